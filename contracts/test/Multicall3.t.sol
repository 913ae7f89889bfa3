// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {Multicall3} from "src/L1/Multicall3.sol";

contract Multicall3Test is Test {
    Multicall3 internal m;

    function setUp() public {
        m = new Multicall3();
    }

    function fortyTwo() external pure returns (uint256) {
        return 42;
    }

    function fails() external pure {
        revert("nope");
    }

    function test_aggregate3() public {
        Multicall3.Call3[] memory calls = new Multicall3.Call3[](2);
        calls[0] = Multicall3.Call3(address(this), false, abi.encodeCall(this.fortyTwo, ()));
        calls[1] = Multicall3.Call3(address(this), true, abi.encodeCall(this.fails, ()));
        Multicall3.Result[] memory r = m.aggregate3(calls);
        assertTrue(r[0].success);
        assertEq(abi.decode(r[0].returnData, (uint256)), 42);
        assertFalse(r[1].success);
        calls[1].allowFailure = false;
        vm.expectRevert(abi.encodeWithSelector(Multicall3.Multicall3_CallFailed.selector, 1));
        m.aggregate3(calls);
        assertEq(m.getBlockNumber(), block.number);
    }
}
