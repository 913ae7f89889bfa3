// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {RLPWriter} from "./lib/RLPWriter.sol";
import {RLPReader, RLPItem} from "src/L1/lib/RLPReader.sol";

contract RLPReaderHarness {
    function readBytes(bytes memory _in) external pure returns (bytes memory) {
        return RLPReader.readBytes(_in);
    }

    function listLength(bytes memory _in) external pure returns (uint256) {
        return RLPReader.readList(_in).length;
    }

    function listItem(bytes memory _in, uint256 _i) external pure returns (bytes memory) {
        return RLPReader.readBytes(RLPReader.readList(_in)[_i]);
    }
}

contract RLPReaderTest is Test {
    RLPReaderHarness internal h;

    function setUp() public {
        h = new RLPReaderHarness();
    }

    function test_strings() public view {
        assertEq(h.readBytes(hex"00"), hex"00");
        assertEq(h.readBytes(hex"7f"), hex"7f");
        assertEq(h.readBytes(hex"80"), hex"");
        assertEq(h.readBytes(hex"8180"), hex"80");
        assertEq(h.readBytes(hex"83646f67"), bytes("dog"));
        bytes memory long = new bytes(56);
        long[55] = 0x01;
        assertEq(h.readBytes(bytes.concat(hex"b838", long)), long);
    }

    function test_lists() public view {
        assertEq(h.listLength(hex"c0"), 0);
        // ["cat", "dog"]
        assertEq(h.listLength(hex"c88363617483646f67"), 2);
        assertEq(h.listItem(hex"c88363617483646f67", 1), bytes("dog"));
    }

    function testFuzz_roundTrip(bytes memory _a, bytes memory _b) public view {
        bytes memory enc = RLPWriter.encodeList2(RLPWriter.encodeBytes(_a), RLPWriter.encodeBytes(_b));
        assertEq(h.listLength(enc), 2);
        assertEq(h.listItem(enc, 0), _a);
        assertEq(h.listItem(enc, 1), _b);
        assertEq(h.readBytes(RLPWriter.encodeBytes(_a)), _a);
    }

    function test_empty_reverts() public {
        vm.expectRevert(RLPReader.EmptyItem.selector);
        h.readBytes(hex"");
    }

    function test_nonCanonicalSingleByte_reverts() public {
        vm.expectRevert(RLPReader.InvalidHeader.selector);
        h.readBytes(hex"8105");
    }

    function test_longFormForShortPayload_reverts() public {
        vm.expectRevert(RLPReader.InvalidHeader.selector);
        h.readBytes(hex"b803646f67");
    }

    function test_lengthWithLeadingZero_reverts() public {
        bytes memory long = new bytes(56);
        vm.expectRevert(RLPReader.InvalidHeader.selector);
        h.readBytes(bytes.concat(hex"b90038", long));
    }

    function test_payloadPastEnd_reverts() public {
        vm.expectRevert(RLPReader.ContentLengthMismatch.selector);
        h.readBytes(hex"83646f");
        vm.expectRevert(RLPReader.ContentLengthMismatch.selector);
        h.readBytes(hex"b9ffff00");
        // An element running past its list.
        vm.expectRevert(RLPReader.ContentLengthMismatch.selector);
        h.listLength(hex"c28364");
    }

    function test_trailingBytes_reverts() public {
        vm.expectRevert(RLPReader.InvalidDataRemainder.selector);
        h.readBytes(hex"83646f6700");
        vm.expectRevert(RLPReader.InvalidDataRemainder.selector);
        h.listLength(hex"c000");
    }

    function test_wrongKind_reverts() public {
        vm.expectRevert(RLPReader.UnexpectedList.selector);
        h.readBytes(hex"c0");
        vm.expectRevert(RLPReader.UnexpectedString.selector);
        h.listLength(hex"83646f67");
    }
}
