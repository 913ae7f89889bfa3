// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1Fixture} from "./lib/L1Fixture.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {IDisputeGameFactory} from "src/L1/interfaces/IDisputeGameFactory.sol";
import {GameStatus} from "src/L1/lib/Types.sol";

/// @notice A proposer that is a contract (e.g. a multisig), optionally refusing ETH.
contract ProposerContract {
    bool public refuse;

    function setRefuse(bool _r) external {
        refuse = _r;
    }

    function propose(IDisputeGameFactory _f, uint32 _t, bytes32 _root, uint256 _block)
        external
        payable
        returns (IDisputeGame)
    {
        return _f.create{value: msg.value}(_t, _root, abi.encode(_block));
    }

    receive() external payable {
        require(!refuse, "refused");
    }
}

contract PermissionedOutputGameTest is L1Fixture {
    function test_getters() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 77);
        assertEq(uint256(g.gameType()), 2002);
        assertEq(g.proposer(), proposer);
        assertEq(g.challenger(), challenger);
        assertEq(uint256(g.maxChallengeDuration()), WINDOW);
        assertEq(uint256(g.maxClockDuration()), WINDOW);
        assertEq(uint256(g.createdAt()), block.timestamp);
        assertEq(uint256(g.challengeDeadline()), block.timestamp + WINDOW);
        assertEq(uint256(g.expectedResolution()), block.timestamp + WINDOW);
        assertEq(uint256(g.resolvedAt()), 0);
        assertEq(uint256(g.status()), uint256(GameStatus.IN_PROGRESS));
        assertEq(g.l2SequenceNumber(), 77);
        assertEq(g.bond(), BOND);
        assertTrue(g.wasRespectedGameTypeWhenCreated());
        assertEq(address(g.anchorStateRegistry()), address(portal));
        (uint32 t, bytes32 root, bytes memory extra) = g.gameData();
        assertEq(uint256(t), 2002);
        assertEq(root, keccak256("r"));
        assertEq(extra, abi.encode(uint256(77)));
    }

    function test_create_byNonProposer_reverts() public {
        address eve = makeAddr("eve");
        vm.deal(eve, 1 ether);
        vm.prank(eve, eve);
        vm.expectRevert(PermissionedOutputGame.BadAuth.selector);
        factory.create{value: BOND}(GAME_TYPE, keccak256("r"), abi.encode(uint256(1)));
    }

    function test_create_proposerAsOrigin_throughAContract() public {
        ProposerContract c = new ProposerContract();
        vm.prank(proposer, proposer);
        IDisputeGame g = c.propose{value: BOND}(factory, GAME_TYPE, keccak256("r"), 1);
        assertEq(g.gameCreator(), address(c));
    }

    function test_create_proposerAsCaller_withAnotherOrigin() public {
        vm.prank(proposer, makeAddr("relayer"));
        IDisputeGame g = factory.create{value: BOND}(GAME_TYPE, keccak256("r"), abi.encode(uint256(1)));
        assertEq(g.gameCreator(), proposer);
    }

    function test_create_badExtraData_reverts() public {
        vm.startPrank(proposer, proposer);
        vm.expectRevert(PermissionedOutputGame.BadExtraData.selector);
        factory.create{value: BOND}(GAME_TYPE, keccak256("r"), hex"01");
        vm.expectRevert(PermissionedOutputGame.BadExtraData.selector);
        factory.create{value: BOND}(GAME_TYPE, keccak256("r"), abi.encode(uint256(1), uint256(2)));
        vm.stopPrank();
    }

    function test_initializeTwice_reverts() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        vm.prank(proposer, proposer);
        vm.expectRevert(PermissionedOutputGame.AlreadyInitialized.selector);
        g.initialize();
    }

    function test_notRespectedType_isRecorded() public {
        vm.prank(guardian);
        portal.setRespectedGameType(1);
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        assertFalse(g.wasRespectedGameTypeWhenCreated());
    }

    function test_challenge_inWindow() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        vm.warp(g.challengeDeadline() - 1);
        uint256 before = challenger.balance;
        vm.expectEmit(address(g));
        emit PermissionedOutputGame.Challenged(challenger);
        vm.expectEmit(address(g));
        emit IDisputeGame.Resolved(GameStatus.CHALLENGER_WINS);
        vm.prank(challenger);
        g.challenge();
        assertEq(uint256(g.status()), uint256(GameStatus.CHALLENGER_WINS));
        assertEq(uint256(g.resolvedAt()), block.timestamp);
        assertEq(challenger.balance, before + BOND, "the bond goes to the challenger");
        assertEq(address(g).balance, 0);
        vm.expectRevert(PermissionedOutputGame.GameNotInProgress.selector);
        g.resolve();
        vm.prank(challenger);
        vm.expectRevert(PermissionedOutputGame.GameNotInProgress.selector);
        g.challenge();
    }

    function test_challenge_byOther_reverts() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        vm.prank(proposer);
        vm.expectRevert(PermissionedOutputGame.BadAuth.selector);
        g.challenge();
    }

    function test_challenge_afterWindow_reverts() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        vm.warp(g.challengeDeadline());
        vm.prank(challenger);
        vm.expectRevert(PermissionedOutputGame.ChallengeWindowClosed.selector);
        g.challenge();
    }

    function test_resolve_afterWindow() public {
        (PermissionedOutputGame g,) = _propose(keccak256("r"), 1);
        vm.warp(g.challengeDeadline() - 1);
        vm.expectRevert(PermissionedOutputGame.ChallengeWindowOpen.selector);
        g.resolve();
        vm.warp(g.challengeDeadline());
        uint256 before = proposer.balance;
        vm.expectEmit(address(g));
        emit IDisputeGame.Resolved(GameStatus.DEFENDER_WINS);
        assertEq(uint256(g.resolve()), uint256(GameStatus.DEFENDER_WINS));
        assertEq(uint256(g.resolvedAt()), block.timestamp);
        assertEq(proposer.balance, before + BOND, "the bond returns to the creator");
        vm.expectRevert(PermissionedOutputGame.GameNotInProgress.selector);
        g.resolve();
    }

    function test_resolve_creatorRefusingEth_getsCredit() public {
        ProposerContract c = new ProposerContract();
        c.setRefuse(true);
        vm.prank(proposer, proposer);
        PermissionedOutputGame g =
            PermissionedOutputGame(address(c.propose{value: BOND}(factory, GAME_TYPE, keccak256("r"), 1)));
        vm.warp(g.challengeDeadline());
        g.resolve(); // does not get stuck
        assertEq(uint256(g.status()), uint256(GameStatus.DEFENDER_WINS));
        assertEq(g.credit(address(c)), BOND);
        vm.expectRevert(PermissionedOutputGame.CreditTransferFailed.selector);
        g.claimCredit(address(c));
        c.setRefuse(false);
        g.claimCredit(address(c));
        assertEq(address(c).balance, BOND);
        vm.expectRevert(PermissionedOutputGame.NoCredit.selector);
        g.claimCredit(address(c));
    }

    function testFuzz_windowBoundary(uint64 _window, uint64 _dt, bool _challenge) public {
        _window = uint64(bound(_window, 1, 365 days));
        _dt = uint64(bound(_dt, 0, 2 * uint256(_window)));
        PermissionedOutputGame impl = new PermissionedOutputGame(portal, proposer, challenger, _window);
        vm.prank(owner);
        factory.setImplementation(GAME_TYPE, IDisputeGame(address(impl)));
        (PermissionedOutputGame g,) = _propose(keccak256(abi.encode(_window, _dt)), 1);
        vm.warp(block.timestamp + _dt);
        bool open = _dt < _window;
        if (_challenge) {
            vm.prank(challenger);
            if (!open) vm.expectRevert(PermissionedOutputGame.ChallengeWindowClosed.selector);
            g.challenge();
        } else {
            if (open) vm.expectRevert(PermissionedOutputGame.ChallengeWindowOpen.selector);
            g.resolve();
        }
    }
}
