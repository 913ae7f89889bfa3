// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {TrieBuilder} from "./TrieBuilder.sol";
import {OptimismPortal} from "src/L1/OptimismPortal.sol";
import {DisputeGameFactory} from "src/L1/DisputeGameFactory.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {SystemConfig} from "src/L1/SystemConfig.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {IAnchorStateRegistry} from "src/L1/interfaces/IAnchorStateRegistry.sol";
import {WithdrawalTransaction, OutputRootProof, GameTypes} from "src/L1/lib/Types.sol";
import {Hashing} from "src/L1/lib/Hashing.sol";

/// @notice The L1 contracts deployed and wired as DeployL1.s.sol does, with mainnet-style
///         delays, plus helpers to build withdrawals, message-passer storage tries and games.
abstract contract L1Fixture is Test {
    uint32 internal constant GAME_TYPE = GameTypes.PERMISSIONED_OUTPUT;
    uint256 internal constant MATURITY = 7 days;
    uint256 internal constant FINALITY = 3.5 days;
    uint64 internal constant WINDOW = 3.5 days;
    uint256 internal constant BOND = 0.08 ether;
    uint256 internal constant L2_CHAIN_ID = 901;

    /// @notice What an invariant handler needs to drive the deployment.
    struct Deployment {
        OptimismPortal portal;
        DisputeGameFactory factory;
        address proposer;
        address challenger;
        uint32 gameType;
        uint256 bond;
    }

    address internal owner;
    address internal guardian;
    address internal proposer;
    address internal challenger;
    address internal batcher;
    address internal l2Sender;

    SystemConfig internal sysConfig;
    DisputeGameFactory internal factory;
    OptimismPortal internal portal;
    PermissionedOutputGame internal gameImpl;

    function setUp() public virtual {
        owner = makeAddr("owner");
        guardian = makeAddr("guardian");
        proposer = makeAddr("proposer");
        challenger = makeAddr("challenger");
        batcher = makeAddr("batcher");
        l2Sender = makeAddr("l2Sender");
        vm.warp(1_700_000_000);
        vm.roll(100);

        sysConfig = new SystemConfig(
            owner,
            1368,
            810_949,
            bytes32(uint256(uint160(batcher))),
            60_000_000,
            makeAddr("unsafeBlockSigner"),
            address(0),
            proposer,
            challenger,
            L2_CHAIN_ID
        );
        factory = new DisputeGameFactory(owner);
        portal = new OptimismPortal(factory, address(sysConfig), guardian, MATURITY, FINALITY, GAME_TYPE);
        gameImpl = new PermissionedOutputGame(IAnchorStateRegistry(address(portal)), proposer, challenger, WINDOW);
        vm.startPrank(owner);
        factory.setImplementation(GAME_TYPE, IDisputeGame(address(gameImpl)));
        factory.setInitBond(GAME_TYPE, BOND);
        sysConfig.setAddresses(address(portal), address(factory));
        vm.stopPrank();

        vm.deal(proposer, 1000 ether);
        vm.warp(block.timestamp + 1);
        vm.roll(block.number + 1);
    }

    function _withdrawal(uint256 _nonce, address _target, uint256 _value, uint256 _gasLimit, bytes memory _data)
        internal
        view
        returns (WithdrawalTransaction memory)
    {
        return WithdrawalTransaction({
            nonce: _nonce, sender: l2Sender, target: _target, value: _value, gasLimit: _gasLimit, data: _data
        });
    }

    /// @notice The message passer's storage trie holding `_wds` (each `sentMessages[hash] = 1`),
    ///         and the storage proof of `_wds[_which]`.
    function _storageProof(WithdrawalTransaction[] memory _wds, uint256 _which)
        internal
        pure
        returns (bytes32 storageRoot_, bytes[] memory proof_)
    {
        bytes[] memory keys = new bytes[](_wds.length);
        bytes[] memory values = new bytes[](_wds.length);
        for (uint256 i = 0; i < _wds.length; ++i) {
            keys[i] = _trieKey(Hashing.hashWithdrawal(_wds[i]));
            values[i] = hex"01";
        }
        (storageRoot_, proof_) = TrieBuilder.prove(keys, values, keys[_which], false);
    }

    /// @notice The storage-trie key of `sentMessages[_withdrawalHash]`: keccak256(slot).
    function _trieKey(bytes32 _withdrawalHash) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encode(Hashing.withdrawalSlot(_withdrawalHash))));
    }

    function _outputRootProof(bytes32 _storageRoot) internal pure returns (OutputRootProof memory) {
        return OutputRootProof({
            version: bytes32(0),
            stateRoot: keccak256(abi.encode("state", _storageRoot)),
            messagePasserStorageRoot: _storageRoot,
            latestBlockhash: keccak256(abi.encode("block", _storageRoot))
        });
    }

    /// @notice The proposer creates a game for `_rootClaim` at L2 block `_l2Block`.
    function _propose(bytes32 _rootClaim, uint256 _l2Block)
        internal
        returns (PermissionedOutputGame game_, uint256 index_)
    {
        vm.prank(proposer, proposer);
        game_ = PermissionedOutputGame(
            payable(address(factory.create{value: BOND}(GAME_TYPE, _rootClaim, abi.encode(_l2Block))))
        );
        index_ = factory.gameCount() - 1;
    }

    /// @notice One withdrawal in a fresh output: its proof pieces and game, proven by `_by`.
    struct Proven {
        WithdrawalTransaction wd;
        bytes32 hash;
        OutputRootProof outputProof;
        bytes[] proof;
        PermissionedOutputGame game;
        uint256 index;
    }

    /// @notice Proposes an output holding `_wds` (plus nothing else) and returns what proving
    ///         `_wds[_which]` against it takes. Advances time by one second (proofs must come
    ///         after the game's creation).
    function _setUpOutput(WithdrawalTransaction[] memory _wds, uint256 _which, uint256 _l2Block)
        internal
        returns (Proven memory p_)
    {
        (bytes32 storageRoot, bytes[] memory proof) = _storageProof(_wds, _which);
        p_.wd = _wds[_which];
        p_.hash = Hashing.hashWithdrawal(_wds[_which]);
        p_.outputProof = _outputRootProof(storageRoot);
        p_.proof = proof;
        (p_.game, p_.index) = _propose(Hashing.hashOutputRootProof(p_.outputProof), _l2Block);
        vm.warp(block.timestamp + 1);
    }

    function _one(WithdrawalTransaction memory _wd) internal pure returns (WithdrawalTransaction[] memory wds_) {
        wds_ = new WithdrawalTransaction[](1);
        wds_[0] = _wd;
    }

    function _prove(Proven memory _p, address _by) internal {
        vm.prank(_by, _by);
        portal.proveWithdrawalTransaction(_p.wd, _p.index, _p.outputProof, _p.proof);
    }

    /// @notice Lets the game's window pass, resolves it, and lets maturity and finality pass.
    function _resolveAndMature(PermissionedOutputGame _game) internal {
        vm.warp(_game.challengeDeadline());
        _game.resolve();
        vm.warp(block.timestamp + (MATURITY > FINALITY ? MATURITY : FINALITY) + 1);
    }
}
