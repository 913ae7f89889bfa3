// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase, console} from "../lib/Test.sol";
import {L1Fixture} from "../lib/L1Fixture.sol";
import {TrieBuilder} from "../lib/TrieBuilder.sol";
import {OptimismPortal} from "src/L1/OptimismPortal.sol";
import {DisputeGameFactory} from "src/L1/DisputeGameFactory.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {WithdrawalTransaction, OutputRootProof, GameStatus} from "src/L1/lib/Types.sol";
import {Hashing} from "src/L1/lib/Hashing.sol";

/// @notice A withdrawal target that refuses everything.
contract Refuser {
    fallback() external payable {
        revert("no");
    }
}

/// @notice Drives the L1 contracts the way an L2 and its users would: deposits fund the portal
///         (and the L2's ETH supply), withdrawals are initiated from that supply, the proposer
///         posts outputs committing to every withdrawal so far, the challenger challenges some,
///         anyone resolves, provers prove against any game, relayers finalize, time passes.
///         It records what the portal did in ghost variables the invariants check.
contract PortalHandler is CommonBase {
    struct Game {
        PermissionedOutputGame game;
        uint256 index;
        uint256 count; // the output commits to withdrawals[0 .. count)
        OutputRootProof outputProof;
    }

    uint256 internal constant MAX_WITHDRAWALS = 20;
    uint256 internal constant MAX_GAMES = 10;

    OptimismPortal internal portal;
    DisputeGameFactory internal factory;
    address internal proposer;
    address internal challenger;
    uint32 internal gameType;
    uint256 internal bond;
    uint256 internal maturity;
    uint256 internal finality;
    address internal refuser;
    address[3] internal submitters;

    WithdrawalTransaction[] internal withdrawals;
    Game[] internal games;
    /// @notice (withdrawal index, submitter) pairs that were proven, for relayers to pick from.
    uint256[] internal provenWithdrawal;
    address[] internal provenBy;

    // Ghost state.
    uint256 public totalDeposited;
    uint256 public totalPaidOut;
    uint256 public l2Supply;
    uint256 public proofs;
    uint256 public finalizations;
    uint256 public doubleFinalizations;
    uint256 public earlyFinalizations;
    uint256 public badGameFinalizations;
    uint256 public overpaidFinalizations;
    mapping(bytes32 => uint256) public finalizeCount;

    constructor(L1Fixture.Deployment memory _d) {
        portal = _d.portal;
        factory = _d.factory;
        proposer = _d.proposer;
        challenger = _d.challenger;
        gameType = _d.gameType;
        bond = _d.bond;
        maturity = portal.proofMaturityDelaySeconds();
        finality = portal.disputeGameFinalityDelaySeconds();
        refuser = address(new Refuser());
        submitters = [address(0x5b1), address(0x5b2), address(0x5b3)];
    }

    // ---- actions ----

    function deposit(uint256 _amount) external {
        _amount = bound(_amount, 0, 5 ether);
        address user = address(0xd0);
        vm.deal(user, _amount);
        vm.prank(user, user);
        portal.depositTransaction{value: _amount}(user, _amount, 100_000, false, "");
        totalDeposited += _amount;
        l2Supply += _amount;
    }

    function initiateWithdrawal(uint256 _amount, uint256 _targetSeed, uint256 _gasLimit) public {
        if (withdrawals.length >= MAX_WITHDRAWALS) return;
        _amount = bound(_amount, 0, l2Supply);
        address target = _targetSeed % 4 == 0 ? refuser : address(uint160(0x7a00 + _targetSeed % 8));
        withdrawals.push(
            WithdrawalTransaction({
                nonce: withdrawals.length,
                sender: address(0xa11ce),
                target: target,
                value: _amount,
                gasLimit: bound(_gasLimit, 0, 200_000),
                data: ""
            })
        );
        l2Supply -= _amount;
    }

    function propose(uint256 _seed) external {
        if (games.length >= MAX_GAMES) return;
        if (withdrawals.length == 0) initiateWithdrawal(_seed, _seed >> 8, _seed >> 16);
        uint256 count = withdrawals.length;
        (bytes32 storageRoot,) = _storageProof(count, 0);
        OutputRootProof memory orp = OutputRootProof({
            version: bytes32(0),
            stateRoot: keccak256(abi.encode("state", count)),
            messagePasserStorageRoot: storageRoot,
            latestBlockhash: keccak256(abi.encode("block", count))
        });
        vm.deal(proposer, bond);
        vm.prank(proposer, proposer);
        try factory.create{value: bond}(
            gameType, Hashing.hashOutputRootProof(orp), abi.encode(games.length + 1)
        ) returns (
            IDisputeGame g
        ) {
            games.push(
                Game({
                    game: PermissionedOutputGame(address(g)),
                    index: factory.gameCount() - 1,
                    count: count,
                    outputProof: orp
                })
            );
        } catch {}
    }

    function challenge(uint256 _gameSeed) external {
        // The challenger acts on a third of the opportunities, so most games survive.
        if (games.length == 0 || _gameSeed % 3 != 0) return;
        vm.prank(challenger);
        try games[_gameSeed % games.length].game.challenge() {} catch {}
    }

    /// @notice Anyone resolving whatever can be resolved (starting at a random game).
    function resolve(uint256 _gameSeed) external {
        for (uint256 i = 0; i < games.length; ++i) {
            try games[(_gameSeed % games.length + i) % games.length].game.resolve() {} catch {}
        }
    }

    function prove(uint256 _wSeed, uint256 _gameSeed, uint256 _submitterSeed) external {
        if (games.length == 0) return;
        Game memory g = games[_gameSeed % games.length];
        uint256 w = _wSeed % g.count;
        (, bytes[] memory proof) = _storageProof(g.count, w);
        address submitter = submitters[_submitterSeed % submitters.length];
        vm.prank(submitter, submitter);
        try portal.proveWithdrawalTransaction(withdrawals[w], g.index, g.outputProof, proof) {
            proofs += 1;
            provenWithdrawal.push(w);
            provenBy.push(submitter);
        } catch {}
    }

    function finalize(uint256 _wSeed, uint256 _submitterSeed) external {
        if (withdrawals.length == 0) return;
        WithdrawalTransaction memory wd = withdrawals[_wSeed % withdrawals.length];
        address submitter = submitters[_submitterSeed % submitters.length];
        // Mostly finalize something that was proven (by whoever proved it); sometimes anything.
        if (provenWithdrawal.length != 0 && _submitterSeed % 4 != 0) {
            uint256 k = _wSeed % provenWithdrawal.length;
            wd = withdrawals[provenWithdrawal[k]];
            submitter = provenBy[k];
        }
        bytes32 h = Hashing.hashWithdrawal(wd);

        bool wasFinalized = portal.finalizedWithdrawals(h);
        (IDisputeGame game, uint64 provenAt) = portal.provenWithdrawals(h, submitter);
        uint256 balanceBefore = address(portal).balance;

        vm.prank(address(0xfee), address(0xfee));
        try portal.finalizeWithdrawalTransactionExternalProof(wd, submitter) {
            finalizations += 1;
            finalizeCount[h] += 1;
            if (wasFinalized) doubleFinalizations += 1;
            if (provenAt == 0 || block.timestamp - provenAt <= maturity) earlyFinalizations += 1;
            if (game.resolvedAt() == 0 || block.timestamp - game.resolvedAt() <= finality) earlyFinalizations += 1;
            if (game.status() != GameStatus.DEFENDER_WINS) badGameFinalizations += 1;
            uint256 paid = balanceBefore - address(portal).balance;
            if (paid != 0 && paid != wd.value) overpaidFinalizations += 1;
            totalPaidOut += paid;
        } catch {}
    }

    function warp(uint256 _dt) external {
        vm.warp(block.timestamp + bound(_dt, 10 minutes, 2 days));
    }

    // ---- views for the invariants ----

    function gameCount() external view returns (uint256) {
        return games.length;
    }

    function withdrawalCount() external view returns (uint256) {
        return withdrawals.length;
    }

    function withdrawalAt(uint256 _i) external view returns (WithdrawalTransaction memory) {
        return withdrawals[_i];
    }

    /// @notice The sum of the values of withdrawals not finalized yet (the portal's liabilities).
    function unfinalizedValue() external view returns (uint256 sum_) {
        for (uint256 i = 0; i < withdrawals.length; ++i) {
            if (!portal.finalizedWithdrawals(Hashing.hashWithdrawal(withdrawals[i]))) sum_ += withdrawals[i].value;
        }
    }

    function _storageProof(uint256 _count, uint256 _which) internal view returns (bytes32, bytes[] memory) {
        bytes[] memory keys = new bytes[](_count);
        bytes[] memory values = new bytes[](_count);
        for (uint256 i = 0; i < _count; ++i) {
            bytes32 slot = Hashing.withdrawalSlot(Hashing.hashWithdrawal(withdrawals[i]));
            keys[i] = abi.encodePacked(keccak256(abi.encode(slot)));
            values[i] = hex"01";
        }
        return TrieBuilder.prove(keys, values, keys[_which], false);
    }
}

/// @notice Invariants of the withdrawal path, with short (devnet-like) delays so games resolve
///         and proofs mature within a run.
contract PortalInvariantTest is L1Fixture {
    PortalHandler internal handler;

    function setUp() public override {
        super.setUp();
        // Devnet-like timing: minutes rather than days.
        portal = new OptimismPortal(factory, address(sysConfig), guardian, 2 hours, 1 hours, GAME_TYPE);
        gameImpl = new PermissionedOutputGame(portal, proposer, challenger, 3 hours);
        vm.prank(owner);
        factory.setImplementation(GAME_TYPE, IDisputeGame(address(gameImpl)));
        vm.warp(block.timestamp + 1);

        handler = new PortalHandler(
            L1Fixture.Deployment({
                portal: portal,
                factory: factory,
                proposer: proposer,
                challenger: challenger,
                gameType: GAME_TYPE,
                bond: BOND
            })
        );
        // Genesis deposits: the L2 starts with ETH that withdrawals can take back out.
        handler.deposit(5 ether);
        handler.deposit(5 ether);
        targetContract(address(handler));
    }

    /// The handler's actions do reach a finalization (the invariants are not vacuous).
    function test_handler_reachesFinalization() public {
        handler.deposit(3 ether);
        handler.initiateWithdrawal(1 ether, 1, 100_000);
        handler.initiateWithdrawal(2 ether, 2, 100_000);
        handler.propose(0);
        handler.warp(60);
        handler.prove(1, 0, 0);
        assertEq(handler.proofs(), 1);
        handler.warp(3 hours);
        handler.resolve(0);
        handler.warp(2 hours);
        handler.finalize(0, 1);
        assertEq(handler.finalizations(), 1);
        assertEq(handler.totalPaidOut(), 2 ether);
        handler.finalize(0, 1);
        assertEq(handler.finalizations(), 1, "a second finalization is refused");
    }

    /// Accounting: the portal holds exactly what deposits brought in minus what withdrawals paid
    /// out, at least the value of every withdrawal not finalized yet, and a finalization pays
    /// exactly its withdrawal's value (or nothing, when the call fails).
    function invariant_accounting() public view {
        assertEq(address(portal).balance, handler.totalDeposited() - handler.totalPaidOut(), "balance");
        assertGe(address(portal).balance, handler.unfinalizedValue(), "portal cannot pay its pending withdrawals");
        assertEq(handler.overpaidFinalizations(), 0, "paid another amount than the withdrawal's value");
    }

    /// Finalization rules: never twice, never before the proof matured and the game's finality
    /// delay passed, never against a game that did not resolve DEFENDER_WINS.
    function invariant_finalizationRules() public view {
        assertEq(handler.doubleFinalizations(), 0, "finalized twice");
        assertEq(handler.earlyFinalizations(), 0, "finalized early");
        assertEq(handler.badGameFinalizations(), 0, "finalized against a game that is not DEFENDER_WINS");
        uint256 n = handler.withdrawalCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 h = Hashing.hashWithdrawal(handler.withdrawalAt(i));
            assertLe(handler.finalizeCount(h), 1);
            assertEq(handler.finalizeCount(h) == 1, portal.finalizedWithdrawals(h));
        }
    }

    function afterInvariant() public view {
        console.log("proofs", handler.proofs());
        console.log("finalizations", handler.finalizations());
        console.log("paid out", handler.totalPaidOut());
    }
}
