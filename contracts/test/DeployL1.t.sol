// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {DeployL1} from "../script/DeployL1.s.sol";
import {GameTypes} from "src/L1/lib/Types.sol";
import {BatchInbox} from "src/L1/BatchInbox.sol";

contract DeployL1Test is Test {
    function test_deploy_wiresEverything() public {
        DeployL1 script = new DeployL1();
        // Roles default to the deployer (the values depend on the environment, so only call it).
        script.configFromEnv(address(script));
        DeployL1.Config memory c = DeployL1.Config({
            owner: makeAddr("owner"),
            guardian: makeAddr("guardian"),
            proposer: makeAddr("proposer"),
            challenger: makeAddr("challenger"),
            batcher: makeAddr("batcher"),
            unsafeBlockSigner: makeAddr("signer"),
            l2ChainId: 28004,
            l2GasLimit: 60_000_000,
            basefeeScalar: 1368,
            blobbasefeeScalar: 810_949,
            proofMaturityDelay: 7 days,
            finalityDelay: 3.5 days,
            maxChallengeDuration: 3.5 days,
            initBond: 1 ether
        });
        DeployL1.Deployed memory d = script.deploy(c, address(script));

        uint32 t = GameTypes.PERMISSIONED_OUTPUT;
        assertEq(address(d.disputeGameFactory.gameImpls(t)), address(d.permissionedOutputGame));
        assertEq(d.disputeGameFactory.initBonds(t), 1 ether);
        assertEq(d.disputeGameFactory.owner(), c.owner);
        assertEq(d.systemConfig.owner(), c.owner);
        assertEq(d.systemConfig.optimismPortal(), address(d.optimismPortal));
        assertEq(d.systemConfig.disputeGameFactory(), address(d.disputeGameFactory));
        assertEq(address(d.optimismPortal.disputeGameFactory()), address(d.disputeGameFactory));
        assertEq(d.optimismPortal.systemConfig(), address(d.systemConfig));
        assertEq(uint256(d.optimismPortal.respectedGameType()), t);
        assertEq(d.optimismPortal.proofMaturityDelaySeconds(), 7 days);
        assertEq(d.optimismPortal.disputeGameFinalityDelaySeconds(), 3.5 days);
        assertEq(d.permissionedOutputGame.proposer(), c.proposer);
        assertEq(d.permissionedOutputGame.challenger(), c.challenger);
        assertEq(uint256(d.permissionedOutputGame.maxChallengeDuration()), 3.5 days);
        assertEq(address(d.permissionedOutputGame.anchorStateRegistry()), address(d.optimismPortal));
        assertEq(d.batchInbox, d.systemConfig.batchInbox());
        assertEq(BatchInbox(d.batchInbox).systemConfig(), address(d.systemConfig));
        assertEq(d.systemConfig.l2ChainId(), 28004);
        assertEq(d.optimismPortal.guardian(), c.guardian);
        assertEq(d.systemConfig.batcherHash(), bytes32(uint256(uint160(c.batcher))));

        // The proposer can create a game straight away.
        vm.deal(c.proposer, 1 ether);
        vm.prank(c.proposer, c.proposer);
        d.disputeGameFactory.create{value: 1 ether}(t, keccak256("root"), abi.encode(uint256(1)));
        assertEq(d.disputeGameFactory.gameCount(), 1);
    }
}
