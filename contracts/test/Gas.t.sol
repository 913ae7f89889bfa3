// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "./lib/Test.sol";
import {BatchInbox} from "src/L1/BatchInbox.sol";
import {L1Fixture} from "./lib/L1Fixture.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {WithdrawalTransaction} from "src/L1/lib/Types.sol";

/// @notice Gas of each L1 operation, one per test so `forge test --isolate --gas-report` (each
///         call its own transaction, cold storage) reports them; see GAS.md.
///         The proof is against a message-passer trie of 64 withdrawals (a branch, a branch and
///         a leaf: the depth of a real storage trie with a few thousand entries is 5-6 nodes).
contract GasBench is L1Fixture {
    L1Fixture.Proven internal p;
    PermissionedOutputGame internal challenged;

    function setUp() public override {
        super.setUp();
        WithdrawalTransaction[] memory wds = new WithdrawalTransaction[](64);
        for (uint256 i = 0; i < wds.length; ++i) {
            wds[i] = _withdrawal(i, address(uint160(0x7000 + i)), 0.1 ether, 100_000, "");
        }
        p = _setUpOutput(wds, 7, 1000);
        (challenged,) = _propose(keccak256("bad"), 2000);
        vm.deal(address(portal), 10 ether);
        vm.deal(makeAddr("user"), 10 ether);
    }

    function test_gas_deposit() public {
        vm.prank(makeAddr("user"), makeAddr("user"));
        portal.depositTransaction{value: 1 ether}(makeAddr("user"), 1 ether, 100_000, false, "");
        console.log("depositTransaction", vm.lastCallGas().gasTotalUsed);
    }

    function test_gas_createGame() public {
        vm.prank(proposer, proposer);
        factory.create{value: BOND}(GAME_TYPE, keccak256("next"), abi.encode(uint256(3000)));
        console.log("DisputeGameFactory.create", vm.lastCallGas().gasTotalUsed);
    }

    function test_gas_prove() public {
        vm.prank(proposer, proposer);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
        console.log("proveWithdrawalTransaction", vm.lastCallGas().gasTotalUsed);
    }

    function test_gas_challenge() public {
        vm.prank(challenger);
        challenged.challenge();
        console.log("challenge", vm.lastCallGas().gasTotalUsed);
    }

    function test_gas_resolve() public {
        vm.warp(p.game.challengeDeadline());
        p.game.resolve();
        console.log("resolve", vm.lastCallGas().gasTotalUsed);
    }

    /// @notice `_len` bytes of batch-like calldata: the version byte 0x00, then incompressible
    ///         (pseudo-random, almost all nonzero) bytes, as a compressed channel frame is.
    function _batch(uint256 _len) internal pure returns (bytes memory b_) {
        b_ = new bytes(_len);
        for (uint256 i = 0; i < _len; i += 32) {
            bytes32 w = keccak256(abi.encode(i));
            assembly {
                mstore(add(add(b_, 32), i), w)
            }
        }
        b_[0] = 0x00;
        assembly {
            mstore(0x40, add(add(b_, 32), and(add(_len, 31), not(31))))
        }
    }

    /// @notice The same transaction to OP's codeless inbox: the intrinsic cost only.
    function _codeless(bytes memory _data) internal returns (uint256) {
        vm.prank(batcher, batcher);
        (bool ok,) = makeAddr("codelessInbox").call(_data);
        assertTrue(ok);
        return vm.lastCallGas().gasTotalUsed;
    }

    function _postBatch(string memory _name, bytes memory _data) internal {
        address inbox = sysConfig.batchInbox();
        vm.prank(batcher, batcher);
        (bool ok,) = inbox.call(_data);
        assertTrue(ok, "batch accepted");
        uint256 used = vm.lastCallGas().gasTotalUsed;
        console.log(_name, used);
        console.log("  same to a codeless inbox", _codeless(_data));
    }

    function test_gas_batch_calldata_1kb() public {
        _postBatch("BatchInbox calldata 1 KB", _batch(1024));
    }

    function test_gas_batch_calldata_100kb() public {
        _postBatch("BatchInbox calldata 100 KB", _batch(100 * 1024));
    }

    function test_gas_finalize() public {
        vm.prank(proposer, proposer);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
        _resolveAndMature(p.game);
        vm.prank(proposer, proposer);
        portal.finalizeWithdrawalTransaction(p.wd);
        console.log("finalizeWithdrawalTransaction", vm.lastCallGas().gasTotalUsed);
    }
}

/// @notice Gas of a blob batch. forge's `--isolate` does not carry `vm.blobhashes` into the
///         transaction it makes of a call, so this runs without it: the transaction's gas is the
///         21,000 intrinsic cost (a blob batch has no calldata) plus the inbox frame's gas, with
///         SystemConfig and its slot left cold. `test_gas_batch_calldata_1kb_frame` measures the
///         1 KB calldata batch the same way, to match GasBench's isolated figure.
///         forge test --mc BlobGasBench -vv
contract BlobGasBench is L1Fixture {
    address internal inbox;

    function setUp() public override {
        super.setUp();
        inbox = sysConfig.batchInbox();
    }

    /// @notice Whether forge runs with --isolate: a call to an account without code then
    ///         reports the transaction's 21,000, else its frame's 0.
    function _isolated() internal returns (bool) {
        (bool ok,) = makeAddr("codeless").call("");
        assertTrue(ok);
        return vm.lastCallGas().gasTotalUsed >= 21_000;
    }

    function _frame(bytes memory _data) internal returns (bool ok_, uint256 gas_) {
        vm.prank(batcher, batcher);
        (ok_,) = inbox.call(_data);
        gas_ = vm.lastCallGas().gasTotalUsed;
    }

    function test_gas_batch_blob() public {
        bytes32[] memory h = new bytes32[](1);
        h[0] = bytes32((uint256(keccak256("blob")) >> 8) | (uint256(1) << 248));
        if (_isolated()) {
            // The blob hashes would not reach the transaction: the post would be an empty batch.
            console.log("BatchInbox 1 blob: run without --isolate");
            return;
        }
        vm.blobhashes(h);
        (bool ok, uint256 used) = _frame("");
        assertTrue(ok, "blob batch accepted");
        assertEq(BatchInbox(inbox).committedAt(h[0]), block.number);
        console.log("BatchInbox 1 blob (tx gas = 21000 + frame)", 21_000 + used);
    }

    function test_gas_batch_calldata_1kb_frame() public {
        bytes memory data = new bytes(1024);
        for (uint256 i = 0; i < data.length; i += 32) {
            bytes32 w = keccak256(abi.encode(i));
            assembly {
                mstore(add(add(data, 32), i), w)
            }
        }
        data[0] = 0x00;
        uint256 calldataGas;
        for (uint256 i = 0; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        bool isolated = _isolated();
        (bool ok, uint256 used) = _frame(data);
        assertTrue(ok);
        // Under --isolate the figure already is the transaction's.
        console.log(
            "BatchInbox calldata 1 KB (21000 + calldata + frame)", isolated ? used : 21_000 + calldataGas + used
        );
    }
}
