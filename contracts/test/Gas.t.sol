// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "./lib/Test.sol";
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

    function test_gas_finalize() public {
        vm.prank(proposer, proposer);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
        _resolveAndMature(p.game);
        vm.prank(proposer, proposer);
        portal.finalizeWithdrawalTransaction(p.wd);
        console.log("finalizeWithdrawalTransaction", vm.lastCallGas().gasTotalUsed);
    }
}
