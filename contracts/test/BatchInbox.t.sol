// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Fixture} from "./lib/L1Fixture.sol";
import {BatchInbox} from "src/L1/BatchInbox.sol";

contract BatchInboxTest is L1Fixture {
    event BatchCommitted(address indexed batcher, bytes32[] commitments, bool blob);

    BatchInbox internal inbox;

    function setUp() public override {
        super.setUp();
        inbox = BatchInbox(sysConfig.batchInbox());
    }

    /// @notice `_data` sent to the inbox by `_from`.
    function _post(address _from, bytes memory _data) internal returns (bool ok_, bytes memory ret_) {
        vm.prank(_from, _from);
        (ok_, ret_) = address(inbox).call(_data);
    }

    function _one(bytes32 _c) internal pure returns (bytes32[] memory a_) {
        a_ = new bytes32[](1);
        a_[0] = _c;
    }

    function _blobHashes(uint256 _n) internal pure returns (bytes32[] memory h_) {
        h_ = new bytes32[](_n);
        for (uint256 i = 0; i < _n; ++i) {
            // Versioned hashes: 0x01 ‖ sha256(commitment)[1..].
            h_[i] = bytes32((uint256(keccak256(abi.encode("blob", i))) >> 8) | (uint256(1) << 248));
        }
    }

    function test_deployedBySystemConfig() public view {
        assertGt(address(inbox).code.length, 0);
        assertEq(inbox.systemConfig(), address(sysConfig));
        assertEq(inbox.version(), "1.0.0");
    }

    function test_calldata_recordsKeccakAndEmits() public {
        bytes memory data = hex"00deadbeefcafe";
        bytes32 c = keccak256(data);
        assertEq(inbox.committedAt(c), 0);
        vm.expectEmit(address(inbox));
        emit BatchCommitted(batcher, _one(c), false);
        (bool ok,) = _post(batcher, data);
        assertTrue(ok, "batcher post");
        assertEq(inbox.committedAt(c), block.number);
    }

    /// A one-byte batch (shorter than a selector) still reaches the fallback.
    function test_calldata_shortBatch() public {
        (bool ok,) = _post(batcher, hex"00");
        assertTrue(ok, "1-byte batch");
        assertEq(inbox.committedAt(keccak256(hex"00")), block.number);
    }

    function test_nonBatcher_reverts() public {
        address eve = makeAddr("eve");
        (bool ok, bytes memory ret) = _post(eve, hex"00aa");
        assertFalse(ok, "eve refused");
        assertEq(ret, abi.encodeWithSelector(BatchInbox.NotBatcher.selector, eve));
        assertEq(inbox.committedAt(keccak256(hex"00aa")), 0);
    }

    function test_emptyCalldata_reverts() public {
        (bool ok, bytes memory ret) = _post(batcher, "");
        assertFalse(ok, "empty refused");
        assertEq(ret, abi.encodeWithSelector(BatchInbox.EmptyBatch.selector));
    }

    function test_value_reverts() public {
        vm.deal(batcher, 1 ether);
        vm.prank(batcher, batcher);
        (bool ok,) = address(inbox).call{value: 1}(hex"00aa");
        assertFalse(ok, "fallback is not payable");
    }

    function test_replay_keepsFirstBlock() public {
        bytes memory data = hex"0001020304";
        bytes32 c = keccak256(data);
        (bool ok,) = _post(batcher, data);
        assertTrue(ok);
        uint256 first = block.number;
        vm.roll(first + 50);
        vm.expectEmit(address(inbox));
        emit BatchCommitted(batcher, _one(c), false);
        (ok,) = _post(batcher, data);
        assertTrue(ok, "replay accepted");
        assertEq(inbox.committedAt(c), first, "first inclusion wins");
    }

    function test_batcherRotation() public {
        address next = makeAddr("nextBatcher");
        vm.prank(owner);
        sysConfig.setBatcherHash(bytes32(uint256(uint160(next))));
        (bool ok, bytes memory ret) = _post(batcher, hex"0011");
        assertFalse(ok, "old batcher refused");
        assertEq(ret, abi.encodeWithSelector(BatchInbox.NotBatcher.selector, batcher));
        (ok,) = _post(next, hex"0011");
        assertTrue(ok, "new batcher accepted");
        assertEq(inbox.committedAt(keccak256(hex"0011")), block.number);
    }

    function test_blob_recordsVersionedHashes() public {
        bytes32[] memory h = _blobHashes(3);
        vm.blobhashes(h);
        vm.expectEmit(address(inbox));
        emit BatchCommitted(batcher, h, true);
        (bool ok,) = _post(batcher, "");
        assertTrue(ok, "blob post");
        for (uint256 i = 0; i < h.length; ++i) {
            assertEq(inbox.committedAt(h[i]), block.number);
        }
    }

    function test_blob_single() public {
        bytes32[] memory h = _blobHashes(1);
        vm.blobhashes(h);
        vm.expectEmit(address(inbox));
        emit BatchCommitted(batcher, h, true);
        (bool ok,) = _post(batcher, "");
        assertTrue(ok, "blob post");
        assertEq(inbox.committedAt(h[0]), block.number);
    }

    function test_blob_replayKeepsFirstBlock() public {
        bytes32[] memory h = _blobHashes(2);
        vm.blobhashes(h);
        (bool ok,) = _post(batcher, "");
        assertTrue(ok);
        uint256 first = block.number;
        vm.roll(first + 7);
        (ok,) = _post(batcher, "");
        assertTrue(ok);
        assertEq(inbox.committedAt(h[0]), first);
        assertEq(inbox.committedAt(h[1]), first);
    }

    function test_blobWithCalldata_reverts() public {
        vm.blobhashes(_blobHashes(1));
        (bool ok, bytes memory ret) = _post(batcher, hex"00aa");
        assertFalse(ok, "blob + calldata refused");
        assertEq(ret, abi.encodeWithSelector(BatchInbox.BlobWithCalldata.selector));
    }

    function test_blob_nonBatcher_reverts() public {
        vm.blobhashes(_blobHashes(1));
        address eve = makeAddr("eve");
        (bool ok, bytes memory ret) = _post(eve, "");
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(BatchInbox.NotBatcher.selector, eve));
    }

    // Selectors: batch calldata starts with the derivation version 0x00, so no function of the
    // inbox may have a selector starting with 0x00 (the batch would call it instead of the
    // fallback).

    function _selectors() internal view returns (bytes4[] memory s_) {
        s_ = new bytes4[](3);
        s_[0] = inbox.committedAt.selector;
        s_[1] = inbox.systemConfig.selector;
        s_[2] = inbox.version.selector;
    }

    function test_selectors_firstByteNonzero() public view {
        bytes4[] memory s = _selectors();
        for (uint256 i = 0; i < s.length; ++i) {
            assertTrue(s[i][0] != 0x00, "selector starts with 0x00");
        }
    }

    /// The compiled ABI has exactly the functions above (so a new one cannot slip past the
    /// check). Reads forge's artifact; skipped when the build writes it elsewhere.
    function test_selectors_matchCompiledAbi() public view {
        string memory path = "out/BatchInbox.sol/BatchInbox.json";
        if (!vm.exists(path)) return;
        string[] memory sigs = vm.parseJsonKeys(vm.readFile(path), "$.methodIdentifiers");
        bytes4[] memory known = _selectors();
        assertEq(sigs.length, known.length, "BatchInbox has a function the tests do not know");
        for (uint256 i = 0; i < sigs.length; ++i) {
            bytes4 sel = bytes4(keccak256(bytes(sigs[i])));
            assertTrue(sel[0] != 0x00, string.concat(sigs[i], " starts with 0x00"));
            bool found;
            for (uint256 j = 0; j < known.length; ++j) {
                if (known[j] == sel) found = true;
            }
            assertTrue(found, string.concat(sigs[i], " is not in _selectors()"));
        }
    }

    /// 0x00 followed by the last three bytes of each selector (and an argument) is a batch.
    function test_selectorTails_goToFallback() public {
        bytes4[] memory s = _selectors();
        for (uint256 i = 0; i < s.length; ++i) {
            bytes memory data =
                abi.encodePacked(bytes1(0x00), bytes3(s[i] << 8), bytes32(uint256(uint160(address(sysConfig)))));
            bytes32 c = keccak256(data);
            vm.expectEmit(address(inbox));
            emit BatchCommitted(batcher, _one(c), false);
            (bool ok,) = _post(batcher, data);
            assertTrue(ok, "selector tail batch");
            assertEq(inbox.committedAt(c), block.number);
            // The same bytes from anyone else are refused, not served by a getter.
            (ok,) = _post(makeAddr("eve"), data);
            assertFalse(ok, "no getter answers 0x00...");
        }
    }

    // Fuzz.

    /// Batch data (it starts with the derivation version, 0x00, which no selector does) from
    /// anyone but the batcher is refused. (Data starting with a getter's selector reaches the
    /// getter, which changes nothing.)
    function testFuzz_nonBatcher_reverts(address _sender, bytes calldata _tail) public {
        vm.assume(_sender != batcher);
        bytes memory data = bytes.concat(hex"00", _tail);
        (bool ok, bytes memory ret) = _post(_sender, data);
        assertFalse(ok, "non-batcher refused");
        assertEq(ret, abi.encodeWithSelector(BatchInbox.NotBatcher.selector, _sender));
    }

    function testFuzz_batcher_recordsKeccak(bytes calldata _tail, uint32 _blocks) public {
        vm.roll(block.number + _blocks);
        bytes memory data = bytes.concat(hex"00", _tail);
        bytes32 c = keccak256(data);
        vm.expectEmit(address(inbox));
        emit BatchCommitted(batcher, _one(c), false);
        (bool ok,) = _post(batcher, data);
        assertTrue(ok, "batcher post");
        assertEq(inbox.committedAt(c), block.number);
    }
}
