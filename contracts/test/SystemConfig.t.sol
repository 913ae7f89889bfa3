// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Fixture} from "./lib/L1Fixture.sol";
import {SystemConfig} from "src/L1/SystemConfig.sol";
import {BatchInbox} from "src/L1/BatchInbox.sol";

contract SystemConfigTest is L1Fixture {
    function test_constructor() public view {
        assertEq(sysConfig.owner(), owner);
        assertEq(sysConfig.batcherHash(), bytes32(uint256(uint160(batcher))));
        assertEq(uint256(sysConfig.gasLimit()), 60_000_000);
        assertEq(uint256(sysConfig.basefeeScalar()), 1368);
        assertEq(uint256(sysConfig.blobbasefeeScalar()), 810_949);
        assertEq(sysConfig.scalar(), (uint256(1) << 248) | (uint256(810_949) << 32) | 1368);
        assertEq(sysConfig.overhead(), 0);
        assertEq(sysConfig.unsafeBlockSigner(), makeAddr_("unsafeBlockSigner"));
        assertEq(sysConfig.proposer(), proposer);
        assertEq(sysConfig.challenger(), challenger);
        assertEq(sysConfig.l2ChainId(), L2_CHAIN_ID);
        assertEq(sysConfig.startBlock(), 100);
        assertEq(sysConfig.optimismPortal(), address(portal));
        assertEq(sysConfig.disputeGameFactory(), address(factory));
        assertEq(BatchInbox(sysConfig.batchInbox()).systemConfig(), address(sysConfig));
    }

    function makeAddr_(string memory _name) internal pure returns (address) {
        return vm.addr(uint256(keccak256(bytes(_name))));
    }

    /// By default the SystemConfig deploys its BatchInbox (its first creation, nonce 1).
    function test_batchInbox_default() public {
        SystemConfig c = new SystemConfig(owner, 0, 0, 0, 30_000_000, address(0), address(0), proposer, challenger, 1);
        address inbox = c.batchInbox();
        assertEq(inbox, address(uint160(uint256(keccak256(abi.encodePacked(hex"d694", address(c), hex"01"))))));
        assertGt(inbox.code.length, 0);
        assertEq(BatchInbox(inbox).systemConfig(), address(c));
    }

    function test_batchInbox_override() public {
        SystemConfig c =
            new SystemConfig(owner, 0, 0, 0, 30_000_000, address(0), address(0xBEEF), proposer, challenger, 1);
        assertEq(c.batchInbox(), address(0xBEEF));
    }

    function test_constructor_emitsInitialConfig() public {
        vm.recordLogs();
        new SystemConfig(owner, 7, 8, bytes32(uint256(9)), 30_000_000, address(10), address(0), proposer, challenger, 1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // OwnershipTransferred, then BATCHER, FEE_SCALARS, GAS_LIMIT, UNSAFE_BLOCK_SIGNER.
        assertEq(logs.length, 5);
        for (uint256 i = 1; i < 5; ++i) {
            assertEq(logs[i].topics[0], SystemConfig.ConfigUpdate.selector);
            assertEq(uint256(logs[i].topics[1]), 0, "version 0");
            assertEq(uint256(logs[i].topics[2]), i - 1, "update type in order");
        }
        assertEq(abi.decode(logs[1].data, (bytes)), abi.encode(bytes32(uint256(9))));
        assertEq(
            abi.decode(logs[2].data, (bytes)), abi.encode(uint256(0), (uint256(1) << 248) | (uint256(8) << 32) | 7)
        );
        assertEq(abi.decode(logs[3].data, (bytes)), abi.encode(uint64(30_000_000)));
        assertEq(abi.decode(logs[4].data, (bytes)), abi.encode(address(10)));
    }

    function test_setters() public {
        vm.startPrank(owner);
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(0, SystemConfig.UpdateType.BATCHER, abi.encode(bytes32(uint256(5))));
        sysConfig.setBatcherHash(bytes32(uint256(5)));
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(
            0, SystemConfig.UpdateType.FEE_SCALARS, abi.encode(uint256(0), (uint256(1) << 248) | (uint256(2) << 32) | 1)
        );
        sysConfig.setGasConfigEcotone(1, 2);
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(0, SystemConfig.UpdateType.GAS_LIMIT, abi.encode(uint64(90_000_000)));
        sysConfig.setGasLimit(90_000_000);
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(0, SystemConfig.UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(address(7)));
        sysConfig.setUnsafeBlockSigner(address(7));
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(0, SystemConfig.UpdateType.EIP_1559_PARAMS, abi.encode((uint256(250) << 32) | 6));
        sysConfig.setEIP1559Params(250, 6);
        vm.expectEmit(address(sysConfig));
        emit SystemConfig.ConfigUpdate(
            0, SystemConfig.UpdateType.OPERATOR_FEE_PARAMS, abi.encode((uint256(3) << 64) | 4)
        );
        sysConfig.setOperatorFeeScalars(3, 4);
        vm.stopPrank();
        assertEq(sysConfig.batcherHash(), bytes32(uint256(5)));
        assertEq(uint256(sysConfig.gasLimit()), 90_000_000);
        assertEq(sysConfig.unsafeBlockSigner(), address(7));
        assertEq(uint256(sysConfig.eip1559Denominator()), 250);
        assertEq(uint256(sysConfig.eip1559Elasticity()), 6);
        assertEq(uint256(sysConfig.operatorFeeScalar()), 3);
        assertEq(uint256(sysConfig.operatorFeeConstant()), 4);
    }

    function test_ownerOnly() public {
        vm.startPrank(makeAddr("eve"));
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setBatcherHash(0);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setGasLimit(30_000_000);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setGasConfigEcotone(0, 0);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setUnsafeBlockSigner(address(0));
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setEIP1559Params(1, 1);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setOperatorFeeScalars(1, 1);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.setAddresses(address(1), address(2));
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysConfig.transferOwnership(address(1));
        vm.stopPrank();
    }

    function test_invalidValues_revert() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.GasLimitOutOfRange.selector, uint64(20_999_999)));
        sysConfig.setGasLimit(20_999_999);
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.GasLimitOutOfRange.selector, uint64(10_000_000_001)));
        sysConfig.setGasLimit(10_000_000_001);
        vm.expectRevert(SystemConfig.InvalidEIP1559Params.selector);
        sysConfig.setEIP1559Params(0, 1);
        vm.expectRevert(SystemConfig.AddressesAlreadySet.selector);
        sysConfig.setAddresses(address(1), address(2));
        sysConfig.transferOwnership(guardian);
        vm.stopPrank();
        assertEq(sysConfig.owner(), guardian);
    }
}
