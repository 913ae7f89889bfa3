// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Fixture} from "./lib/L1Fixture.sol";
import {OptimismPortal} from "src/L1/OptimismPortal.sol";
import {IOptimismPortal} from "src/L1/interfaces/IOptimismPortal.sol";
import {DisputeGameFactory} from "src/L1/DisputeGameFactory.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {WithdrawalTransaction, OutputRootProof} from "src/L1/lib/Types.sol";
import {Hashing} from "src/L1/lib/Hashing.sol";
import {AddressAliasing} from "src/L1/lib/AddressAliasing.sol";
import {MerkleTrie} from "src/L1/lib/MerkleTrie.sol";

/// @notice Deposits from a contract (so the portal sees a contract caller).
contract Depositor {
    function deposit(OptimismPortal _portal, address _to, uint64 _gas) external payable {
        _portal.depositTransaction{value: msg.value}(_to, msg.value, _gas, false, "");
    }
}

/// @notice A withdrawal target that records what the portal tells it during the call.
contract Recorder {
    address public seenL2Sender;
    uint256 public received;
    bool public reject;
    bytes public reenterData;

    function setReject(bool _reject) external {
        reject = _reject;
    }

    function setReenter(bytes calldata _data) external {
        reenterData = _data;
    }

    receive() external payable {
        _hit();
    }

    fallback() external payable {
        _hit();
    }

    function _hit() internal {
        require(!reject, "Recorder: rejected");
        seenL2Sender = OptimismPortal(payable(msg.sender)).l2Sender();
        received += msg.value;
        if (reenterData.length != 0) {
            (bool ok, bytes memory ret) = msg.sender.call(reenterData);
            // Surface the inner revert so the test can see why reentry failed.
            if (!ok) {
                assembly {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }
}

contract OptimismPortalDepositTest is L1Fixture {
    address internal alice;

    function setUp() public override {
        super.setUp();
        alice = makeAddr("alice");
        vm.deal(alice, 100 ether);
    }

    function test_version_isPortal2() public view {
        bytes memory v = bytes(portal.version());
        assertEq(uint8(v[0]), uint8(bytes1("3")), "major version 3 selects viem's fault-proof path");
        assertEq(uint8(v[1]), uint8(bytes1(".")));
    }

    function test_constructor_wiring() public view {
        assertEq(address(portal.disputeGameFactory()), address(factory));
        assertEq(portal.systemConfig(), address(sysConfig));
        assertEq(portal.guardian(), guardian);
        assertEq(portal.proofMaturityDelaySeconds(), MATURITY);
        assertEq(portal.disputeGameFinalityDelaySeconds(), FINALITY);
        assertEq(uint256(portal.respectedGameType()), uint256(GAME_TYPE));
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD);
        assertEq(address(portal.anchorStateRegistry()), address(portal));
        assertFalse(portal.paused());
    }

    function test_minimumGasLimit() public view {
        assertEq(portal.minimumGasLimit(0), 21_000);
        assertEq(portal.minimumGasLimit(100), 25_000);
        assertEq(portal.minimumGasLimit(120_000), 4_821_000);
    }

    function test_deposit_eoa_emitsOpaqueData() public {
        bytes memory data = hex"c0ffee";
        bytes memory opaque = abi.encodePacked(uint256(1 ether), uint256(0.4 ether), uint64(50_000), false, data);
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(alice, address(0xB0B), 0, opaque);
        vm.prank(alice, alice);
        portal.depositTransaction{value: 1 ether}(address(0xB0B), 0.4 ether, 50_000, false, data);
        assertEq(address(portal).balance, 1 ether, "mint stays locked in the portal");
    }

    function test_deposit_creation() public {
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(
            alice, address(0), 0, abi.encodePacked(uint256(0), uint256(0), uint64(100_000), true, hex"6000")
        );
        vm.prank(alice, alice);
        portal.depositTransaction(address(0), 0, 100_000, true, hex"6000");
    }

    function test_deposit_creationWithTarget_reverts() public {
        vm.prank(alice, alice);
        vm.expectRevert(IOptimismPortal.OptimismPortal_BadTarget.selector);
        portal.depositTransaction(address(0xB0B), 0, 100_000, true, hex"6000");
    }

    function test_deposit_gasLimitTooLow_reverts() public {
        bytes memory data = new bytes(100);
        vm.prank(alice, alice);
        portal.depositTransaction(address(1), 0, 25_000, false, data); // exactly the minimum
        vm.prank(alice, alice);
        vm.expectRevert(IOptimismPortal.OptimismPortal_GasLimitTooLow.selector);
        portal.depositTransaction(address(1), 0, 24_999, false, data);
    }

    function test_deposit_calldataTooLarge_reverts() public {
        vm.prank(alice, alice);
        portal.depositTransaction(address(1), 0, 5_000_000, false, new bytes(120_000)); // the maximum
        vm.prank(alice, alice);
        vm.expectRevert(IOptimismPortal.OptimismPortal_CalldataTooLarge.selector);
        portal.depositTransaction(address(1), 0, 5_000_000, false, new bytes(120_001));
    }

    function test_deposit_fromContract_isAliased() public {
        Depositor d = new Depositor();
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(
            AddressAliasing.applyAlias(address(d)),
            alice,
            0,
            abi.encodePacked(uint256(1 ether), uint256(1 ether), uint64(30_000), false, hex"")
        );
        vm.prank(alice, alice);
        d.deposit{value: 1 ether}(portal, alice, 30_000);
    }

    function test_deposit_from7702DelegatedEOA_isNotAliased() public {
        // alice delegated her code (EIP-7702) and calls the portal through a relayer's transaction.
        vm.etch(alice, abi.encodePacked(hex"ef0100", address(new Depositor())));
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(
            alice, alice, 0, abi.encodePacked(uint256(0), uint256(0), uint64(21_000), false, hex"")
        );
        vm.prank(alice, makeAddr("relayer"));
        portal.depositTransaction(alice, 0, 21_000, false, "");
    }

    function test_deposit_fromContractWith23BytesOfOtherCode_isAliased() public {
        vm.etch(alice, abi.encodePacked(hex"ef0200", address(0x1234)));
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(
            AddressAliasing.applyAlias(alice),
            alice,
            0,
            abi.encodePacked(uint256(0), uint256(0), uint64(21_000), false, hex"")
        );
        vm.prank(alice, makeAddr("relayer"));
        portal.depositTransaction(alice, 0, 21_000, false, "");
    }

    function test_receive_depositsToSender() public {
        vm.expectEmit(address(portal));
        emit IOptimismPortal.TransactionDeposited(
            alice, alice, 0, abi.encodePacked(uint256(2 ether), uint256(2 ether), uint64(100_000), false, hex"")
        );
        vm.prank(alice, alice);
        (bool ok,) = address(portal).call{value: 2 ether}("");
        assertTrue(ok);
    }

    function test_donateETH_doesNotDeposit() public {
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.donateETH{value: 1 ether}();
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(address(portal).balance, 1 ether);
    }

    /// opaqueData decodes back to exactly the deposit's parameters.
    function testFuzz_deposit_opaqueDataRoundTrip(
        address _to,
        uint128 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes memory _data
    ) public {
        if (_isCreation) _to = address(0);
        vm.assume(_data.length <= 120_000);
        _gasLimit = uint64(bound(_gasLimit, portal.minimumGasLimit(uint64(_data.length)), type(uint64).max));
        vm.deal(alice, _mint);

        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction{value: _mint}(_to, _value, _gasLimit, _isCreation, _data);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IOptimismPortal.TransactionDeposited.selector);
        assertEq(address(uint160(uint256(logs[0].topics[1]))), alice);
        assertEq(address(uint160(uint256(logs[0].topics[2]))), _to);
        assertEq(uint256(logs[0].topics[3]), 0, "deposit version 0");

        bytes memory opaque = abi.decode(logs[0].data, (bytes));
        assertEq(opaque.length, 73 + _data.length);
        (uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes memory data) = this.decodeOpaque(opaque);
        assertEq(mint, _mint);
        assertEq(value, _value);
        assertEq(uint256(gasLimit), uint256(_gasLimit));
        assertEq(isCreation, _isCreation);
        assertEq(data, _data);
    }

    /// The packed layout: mint (32) ‖ value (32) ‖ gasLimit (8) ‖ isCreation (1) ‖ data.
    function decodeOpaque(bytes calldata _o)
        external
        pure
        returns (uint256 mint_, uint256 value_, uint64 gasLimit_, bool isCreation_, bytes memory data_)
    {
        mint_ = uint256(bytes32(_o[0:32]));
        value_ = uint256(bytes32(_o[32:64]));
        gasLimit_ = uint64(bytes8(_o[64:72]));
        require(uint8(_o[72]) <= 1, "bool byte");
        isCreation_ = _o[72] != 0;
        data_ = _o[73:];
    }

    /// Any caller that is not the origin (and is no 7702-delegated EOA) is credited under its alias.
    function testFuzz_aliasing(address _caller, address _origin) public {
        vm.assume(_caller != _origin && _caller.code.length == 0);
        assertEq(AddressAliasing.undoAlias(AddressAliasing.applyAlias(_caller)), _caller);
        unchecked {
            assertEq(
                uint160(AddressAliasing.applyAlias(_caller)),
                uint160(_caller) + uint160(0x1111000000000000000000000000000000001111)
            );
        }
        vm.recordLogs();
        vm.prank(_caller, _origin);
        portal.depositTransaction(address(1), 0, 21_000, false, "");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(address(uint160(uint256(logs[0].topics[1]))), AddressAliasing.applyAlias(_caller));

        vm.recordLogs();
        vm.prank(_caller, _caller);
        portal.depositTransaction(address(1), 0, 21_000, false, "");
        logs = vm.getRecordedLogs();
        assertEq(address(uint160(uint256(logs[0].topics[1]))), _caller, "the origin is not aliased");
    }
}

contract OptimismPortalWithdrawalTest is L1Fixture {
    Recorder internal target;
    address internal prover;

    function setUp() public override {
        super.setUp();
        target = new Recorder();
        prover = makeAddr("prover");
        // L2 deposits put ETH into the portal that withdrawals take out again.
        vm.deal(address(portal), 100 ether);
    }

    function _standard() internal returns (L1Fixture.Proven memory p_) {
        WithdrawalTransaction[] memory wds = new WithdrawalTransaction[](3);
        wds[0] = _withdrawal(0, address(target), 1 ether, 100_000, hex"01");
        wds[1] = _withdrawal(1, makeAddr("someone"), 2 ether, 100_000, "");
        wds[2] = _withdrawal(2, address(target), 3 ether, 100_000, hex"02");
        p_ = _setUpOutput(wds, 0, 1000);
    }

    // ---- the whole path ----

    function test_proveAndFinalize() public {
        L1Fixture.Proven memory p = _standard();

        vm.expectEmit(address(portal));
        emit IOptimismPortal.WithdrawalProven(p.hash, l2Sender, address(target));
        vm.expectEmit(address(portal));
        emit IOptimismPortal.WithdrawalProvenExtension1(p.hash, prover);
        _prove(p, prover);

        (IDisputeGame game, uint64 ts) = portal.provenWithdrawals(p.hash, prover);
        assertEq(address(game), address(p.game));
        assertEq(uint256(ts), block.timestamp);
        assertEq(portal.numProofSubmitters(p.hash), 1);
        assertEq(portal.proofSubmitters(p.hash, 0), prover);

        _resolveAndMature(p.game);
        portal.checkWithdrawal(p.hash, prover);

        uint256 before = address(portal).balance;
        vm.expectEmit(address(portal));
        emit IOptimismPortal.WithdrawalFinalized(p.hash, true);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);

        assertTrue(portal.finalizedWithdrawals(p.hash));
        assertEq(target.received(), 1 ether);
        assertEq(target.seenL2Sender(), l2Sender, "l2Sender set during the call");
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD, "and reset after");
        assertEq(address(portal).balance, before - 1 ether);
    }

    function test_finalizeExternalProof_byAnyone() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        _resolveAndMature(p.game);
        address relayer = makeAddr("relayer");
        // The relayer has no proof of its own.
        vm.prank(relayer, relayer);
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unproven.selector);
        portal.finalizeWithdrawalTransaction(p.wd);
        vm.prank(relayer, relayer);
        portal.finalizeWithdrawalTransactionExternalProof(p.wd, prover);
        assertTrue(portal.finalizedWithdrawals(p.hash));
    }

    function test_proveWithRealAnvilProof() public {
        string memory path = "test/fixtures/anvil-mpt.json";
        if (!vm.exists(path)) return;
        string memory json = vm.readFile(path);
        for (uint256 i = 0; vm.keyExistsJson(json, string.concat(".withdrawals[", vm.toString(i), "]")); ++i) {
            string memory at_ = string.concat(".withdrawals[", vm.toString(i), "]");
            WithdrawalTransaction memory wd = WithdrawalTransaction({
                nonce: vm.parseJsonUint(json, string.concat(at_, ".nonce")),
                sender: vm.parseJsonAddress(json, string.concat(at_, ".sender")),
                target: vm.parseJsonAddress(json, string.concat(at_, ".target")),
                value: vm.parseJsonUint(json, string.concat(at_, ".value")),
                gasLimit: vm.parseJsonUint(json, string.concat(at_, ".gasLimit")),
                data: vm.parseJsonBytes(json, string.concat(at_, ".data"))
            });
            assertEq(Hashing.hashWithdrawal(wd), vm.parseJsonBytes32(json, string.concat(at_, ".withdrawalHash")));
            OutputRootProof memory orp = OutputRootProof({
                version: bytes32(0),
                stateRoot: vm.parseJsonBytes32(json, string.concat(at_, ".stateRoot")),
                messagePasserStorageRoot: vm.parseJsonBytes32(json, string.concat(at_, ".storageRoot")),
                latestBlockhash: vm.parseJsonBytes32(json, string.concat(at_, ".blockHash"))
            });
            bytes[] memory proof = vm.parseJsonBytesArray(json, string.concat(at_, ".proof"));
            (, uint256 index) = _propose(Hashing.hashOutputRootProof(orp), 100 + i);
            vm.warp(block.timestamp + 1);
            vm.prank(prover, prover);
            portal.proveWithdrawalTransaction(wd, index, orp, proof);
            (, uint64 ts) = portal.provenWithdrawals(Hashing.hashWithdrawal(wd), prover);
            assertEq(uint256(ts), block.timestamp);
        }
    }

    function test_reprove_afterChallenge_againstAnotherGame() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        vm.prank(challenger);
        p.game.challenge();
        vm.warp(block.timestamp + MATURITY + 1);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.checkWithdrawal(p.hash, prover);

        // The same withdrawal in the next output.
        WithdrawalTransaction[] memory wds = new WithdrawalTransaction[](2);
        wds[0] = p.wd;
        wds[1] = _withdrawal(9, address(target), 0, 50_000, "");
        L1Fixture.Proven memory q = _setUpOutput(wds, 0, 2000);
        _prove(q, prover);
        assertEq(portal.numProofSubmitters(p.hash), 2);
        _resolveAndMature(q.game);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        assertEq(target.received(), 1 ether);
    }

    // ---- prove: refusals ----

    function test_prove_targetIsPortal_reverts() public {
        L1Fixture.Proven memory p = _standard();
        p.wd.target = address(portal);
        vm.expectRevert(IOptimismPortal.OptimismPortal_BadTarget.selector);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
    }

    function test_prove_unknownGameIndex_reverts() public {
        L1Fixture.Proven memory p = _standard();
        vm.expectRevert(); // index past the factory's list
        portal.proveWithdrawalTransaction(p.wd, p.index + 1, p.outputProof, p.proof);
    }

    function test_prove_wrongOutputRootProof_reverts() public {
        L1Fixture.Proven memory p = _standard();
        p.outputProof.stateRoot = keccak256("another state");
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidOutputRootProof.selector);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
    }

    function test_prove_withdrawalNotInStorage_reverts() public {
        L1Fixture.Proven memory p = _standard();
        // A withdrawal that was never initiated, with the proof of another one.
        WithdrawalTransaction memory forged = p.wd;
        forged.value = 50 ether;
        vm.expectRevert(); // the proof walks another key's path: a node hash mismatch or a false result
        portal.proveWithdrawalTransaction(forged, p.index, p.outputProof, p.proof);
    }

    function test_prove_proofOfAbsence_reverts() public {
        WithdrawalTransaction[] memory wds = new WithdrawalTransaction[](1);
        wds[0] = _withdrawal(0, address(target), 1 ether, 100_000, "");
        L1Fixture.Proven memory p = _setUpOutput(wds, 0, 1000);
        // Claim another withdrawal with a valid proof that the storage does not hold it.
        WithdrawalTransaction memory forged = _withdrawal(7, address(target), 1 ether, 100_000, "");
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidMerkleProof.selector);
        portal.proveWithdrawalTransaction(forged, p.index, p.outputProof, p.proof);
    }

    function test_prove_malformedProof_reverts() public {
        L1Fixture.Proven memory p = _standard();
        p.proof[1] = hex"c0";
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.MerkleTrie_InvalidNodeHash.selector, 1));
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, p.proof);
        bytes[] memory empty = new bytes[](0);
        vm.expectRevert(MerkleTrie.MerkleTrie_ProofIncomplete.selector);
        portal.proveWithdrawalTransaction(p.wd, p.index, p.outputProof, empty);
    }

    function test_prove_challengerWinsGame_reverts() public {
        L1Fixture.Proven memory p = _standard();
        vm.prank(challenger);
        p.game.challenge();
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidDisputeGame.selector);
        _prove(p, prover);
    }

    function test_prove_unresolvedGame_isAllowed() public {
        // Proving starts the maturity clock while the game runs (OP's rule); finalizing waits.
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        vm.warp(block.timestamp + MATURITY + 1);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.finalizeWithdrawalTransactionExternalProof(p.wd, prover);
        assertFalse(portal.isGameResolved(p.game));
    }

    function test_prove_blacklistedGame_reverts() public {
        L1Fixture.Proven memory p = _standard();
        vm.prank(guardian);
        portal.blacklistDisputeGame(p.game);
        assertTrue(portal.disputeGameBlacklist(p.game));
        vm.expectRevert(IOptimismPortal.OptimismPortal_ImproperDisputeGame.selector);
        _prove(p, prover);
    }

    function test_prove_gameOfTypeNotRespectedAtCreation_reverts() public {
        vm.prank(guardian);
        portal.setRespectedGameType(7777);
        L1Fixture.Proven memory p = _standard(); // created at T, now T + 1
        assertFalse(p.game.wasRespectedGameTypeWhenCreated());
        // Respect 2002 again in the game's creation second, so the game is not retired either.
        vm.warp(block.timestamp - 1);
        vm.prank(guardian);
        portal.setRespectedGameType(GAME_TYPE);
        vm.warp(block.timestamp + 1);
        assertTrue(portal.isGameProper(p.game));
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidDisputeGame.selector);
        _prove(p, prover);
    }

    function test_prove_retiredGame_reverts() public {
        L1Fixture.Proven memory p = _standard();
        vm.warp(block.timestamp + 10);
        vm.prank(guardian);
        portal.setRespectedGameType(GAME_TYPE); // retires games created before now
        assertTrue(portal.isGameRetired(p.game));
        vm.expectRevert(IOptimismPortal.OptimismPortal_ImproperDisputeGame.selector);
        _prove(p, prover);
    }

    function test_prove_inTheGamesCreationSecond_cannotFinalize() public {
        WithdrawalTransaction[] memory wds = _one(_withdrawal(0, address(target), 1, 100_000, ""));
        L1Fixture.Proven memory p = _setUpOutput(wds, 0, 1000);
        vm.warp(block.timestamp - 1);
        _prove(p, prover);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidProofTimestamp.selector);
        portal.checkWithdrawal(p.hash, prover);
    }

    function test_prove_paused_reverts() public {
        L1Fixture.Proven memory p = _standard();
        vm.prank(guardian);
        portal.pause();
        vm.expectRevert(IOptimismPortal.OptimismPortal_CallPaused.selector);
        _prove(p, prover);
        vm.prank(guardian);
        portal.unpause();
        _prove(p, prover);
    }

    function test_prove_gameFromAnotherFactory_isNotRegistered() public {
        DisputeGameFactory other = new DisputeGameFactory(owner);
        vm.startPrank(owner);
        other.setImplementation(GAME_TYPE, IDisputeGame(address(gameImpl)));
        vm.stopPrank();
        vm.prank(proposer, proposer);
        IDisputeGame foreign = other.create(GAME_TYPE, keccak256("x"), abi.encode(uint256(1)));
        assertFalse(portal.isGameRegistered(foreign));
        assertFalse(portal.isGameProper(foreign));
    }

    // ---- finalize: refusals ----

    function test_finalize_beforeMaturity_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        uint256 provenAt = block.timestamp;
        vm.warp(p.game.challengeDeadline());
        p.game.resolve();
        vm.warp(provenAt + MATURITY); // exactly the delay: not more than it
        vm.expectRevert(IOptimismPortal.OptimismPortal_ProofNotOldEnough.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        vm.warp(provenAt + MATURITY + 1);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_withinFinalityDelay_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        vm.warp(block.timestamp + MATURITY + 1); // proof matured, game window (3.5 d) passed too
        p.game.resolve();
        vm.warp(block.timestamp + FINALITY);
        assertFalse(portal.isGameFinalized(p.game));
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        vm.warp(block.timestamp + 1);
        assertTrue(portal.isGameFinalized(p.game));
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_gameChallengedAfterProof_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        vm.prank(challenger);
        p.game.challenge();
        vm.warp(block.timestamp + MATURITY + FINALITY + 1);
        assertTrue(portal.isGameFinalized(p.game), "finalized, but for the challenger");
        assertFalse(portal.isGameClaimValid(p.game));
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_gameBlacklistedAfterResolution_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        _resolveAndMature(p.game);
        vm.prank(guardian);
        portal.blacklistDisputeGame(p.game);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_twice_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        _resolveAndMature(p.game);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        vm.expectRevert(IOptimismPortal.OptimismPortal_AlreadyFinalized.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        // Nor via another submitter's proof, nor by proving again.
        vm.expectRevert(IOptimismPortal.OptimismPortal_AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransactionExternalProof(p.wd, prover);
        vm.expectRevert(IOptimismPortal.OptimismPortal_AlreadyFinalized.selector);
        _prove(p, makeAddr("late"));
        assertEq(target.received(), 1 ether, "paid once");
    }

    function test_finalize_paused_reverts() public {
        L1Fixture.Proven memory p = _standard();
        _prove(p, prover);
        _resolveAndMature(p.game);
        vm.prank(guardian);
        portal.pause();
        vm.expectRevert(IOptimismPortal.OptimismPortal_CallPaused.selector);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_targetReverts_finalizesWithoutPaying() public {
        L1Fixture.Proven memory p = _standard();
        target.setReject(true);
        _prove(p, prover);
        _resolveAndMature(p.game);
        uint256 before = address(portal).balance;
        vm.expectEmit(address(portal));
        emit IOptimismPortal.WithdrawalFinalized(p.hash, false);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(p.wd);
        assertTrue(portal.finalizedWithdrawals(p.hash), "a failed call still uses up the withdrawal");
        assertEq(address(portal).balance, before, "its ETH stays in the portal");
    }

    function test_finalize_failedCallWhileEstimating_reverts() public {
        L1Fixture.Proven memory p = _standard();
        target.setReject(true);
        _prove(p, prover);
        _resolveAndMature(p.game);
        vm.expectRevert(IOptimismPortal.OptimismPortal_GasEstimation.selector);
        vm.prank(prover, address(1));
        portal.finalizeWithdrawalTransaction(p.wd);
    }

    function test_finalize_underfundedRelayer_reverts() public {
        WithdrawalTransaction[] memory wds = _one(_withdrawal(0, address(target), 1 ether, 1_000_000, ""));
        L1Fixture.Proven memory p = _setUpOutput(wds, 0, 1000);
        _prove(p, prover);
        _resolveAndMature(p.game);
        // Too little gas for the withdrawal's 1M gas limit: refused, not executed with less.
        vm.prank(prover, prover);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InsufficientGas.selector);
        portal.finalizeWithdrawalTransaction{gas: 900_000}(p.wd);
        assertFalse(portal.finalizedWithdrawals(p.hash));
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction{gas: 1_200_000}(p.wd);
        assertTrue(portal.finalizedWithdrawals(p.hash));
    }

    function test_finalize_reentry_isRefused() public {
        // Two withdrawals; the target tries to finalize the second from inside the first.
        WithdrawalTransaction[] memory wds = new WithdrawalTransaction[](2);
        wds[0] = _withdrawal(0, address(target), 1 ether, 500_000, "");
        wds[1] = _withdrawal(1, address(target), 1 ether, 100_000, "");
        L1Fixture.Proven memory p0 = _setUpOutput(wds, 0, 1000);
        (, bytes[] memory proof1) = _storageProof(wds, 1);
        _prove(p0, prover);
        vm.prank(prover, prover);
        portal.proveWithdrawalTransaction(wds[1], p0.index, p0.outputProof, proof1);
        _resolveAndMature(p0.game);

        target.setReenter(abi.encodeCall(portal.finalizeWithdrawalTransactionExternalProof, (wds[1], prover)));
        vm.expectEmit(address(portal));
        emit IOptimismPortal.WithdrawalFinalized(p0.hash, false);
        vm.prank(prover, prover);
        portal.finalizeWithdrawalTransaction(wds[0]);
        assertFalse(portal.finalizedWithdrawals(Hashing.hashWithdrawal(wds[1])), "inner finalization refused");
    }

    // ---- checkWithdrawal: the reasons viem maps to statuses ----

    function test_checkWithdrawal_reasons() public {
        L1Fixture.Proven memory p = _standard();
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unproven.selector);
        portal.checkWithdrawal(p.hash, prover);
        _prove(p, prover);
        vm.expectRevert(IOptimismPortal.OptimismPortal_ProofNotOldEnough.selector);
        portal.checkWithdrawal(p.hash, prover);
        vm.warp(block.timestamp + MATURITY + 1);
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.checkWithdrawal(p.hash, prover); // game not resolved yet
        p.game.resolve();
        vm.expectRevert(IOptimismPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.checkWithdrawal(p.hash, prover); // resolved, within the finality delay
        vm.warp(block.timestamp + FINALITY + 1);
        portal.checkWithdrawal(p.hash, prover);
    }

    function test_gameValidityViews() public {
        L1Fixture.Proven memory p = _standard();
        assertTrue(portal.isGameRegistered(p.game));
        assertTrue(portal.isGameProper(p.game));
        assertTrue(portal.isGameRespected(p.game));
        assertFalse(portal.isGameBlacklisted(p.game));
        assertFalse(portal.isGameRetired(p.game));
        assertFalse(portal.isGameResolved(p.game));
        assertFalse(portal.isGameFinalized(p.game));
        assertFalse(portal.isGameClaimValid(p.game));
        vm.warp(p.game.challengeDeadline());
        p.game.resolve();
        assertTrue(portal.isGameResolved(p.game));
        vm.warp(block.timestamp + FINALITY + 1);
        assertTrue(portal.isGameClaimValid(p.game));
        vm.prank(guardian);
        portal.pause();
        assertFalse(portal.isGameProper(p.game), "paused: no game is proper");
    }

    // ---- guardian ----

    function test_guardianOnly() public {
        address eve = makeAddr("eve");
        vm.startPrank(eve);
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unauthorized.selector);
        portal.blacklistDisputeGame(IDisputeGame(address(1)));
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unauthorized.selector);
        portal.setRespectedGameType(1);
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unauthorized.selector);
        portal.pause();
        vm.expectRevert(IOptimismPortal.OptimismPortal_Unauthorized.selector);
        portal.unpause();
        vm.stopPrank();
    }

    function test_setRespectedGameType_emitsAndRetires() public {
        vm.warp(block.timestamp + 5);
        vm.expectEmit(address(portal));
        emit IOptimismPortal.RespectedGameTypeSet(3, uint64(block.timestamp));
        vm.prank(guardian);
        portal.setRespectedGameType(3);
        assertEq(uint256(portal.respectedGameType()), 3);
        assertEq(uint256(portal.respectedGameTypeUpdatedAt()), block.timestamp);
        assertEq(uint256(portal.retirementTimestamp()), block.timestamp);
    }
}
