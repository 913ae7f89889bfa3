// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IDisputeGameFactory} from "./interfaces/IDisputeGameFactory.sol";
import {IAnchorStateRegistry} from "./interfaces/IAnchorStateRegistry.sol";
import {IOptimismPortal} from "./interfaces/IOptimismPortal.sol";
import {GameStatus, WithdrawalTransaction, OutputRootProof} from "./lib/Types.sol";
import {Hashing} from "./lib/Hashing.sol";
import {AddressAliasing} from "./lib/AddressAliasing.sol";
import {SenderKind} from "./lib/SenderKind.sol";
import {SecureMerkleTrie} from "./lib/MerkleTrie.sol";

/// @title OptimismPortal
/// @notice The L1 end of the rollup's deposit and withdrawal paths, with OP Stack's
///         OptimismPortal2 ABI (fault-proof portal, `version()` 3.x) so OP tooling and viem's
///         op-stack actions work against it unchanged.
///
///         Deposits: `depositTransaction` emits `TransactionDeposited`, which the L2 derivation
///         turns into a 0x7E deposit transaction (DESIGN §4). The ETH sent along (`mint`) stays
///         here and is minted on L2.
///
///         Withdrawals: a withdrawal initiated on L2 (a `sentMessages` entry of the
///         L2ToL1MessagePasser) is proven against a dispute game's output root with a
///         Merkle-Patricia proof, waits `proofMaturityDelaySeconds`, and is finalized once its
///         game resolved DEFENDER_WINS at least `disputeGameFinalityDelaySeconds` ago.
///
///         Game validity follows OP's AnchorStateRegistry rules, served by this contract itself
///         (`anchorStateRegistry()` is `address(this)`): a game is *proper* when the factory
///         registered it, it is not blacklisted, not retired (created before the respected game
///         type was last set) and the portal is not paused; *respected* when its type was the
///         respected one at its creation; *finalized* when resolved more than the finality delay
///         ago; its claim is *valid* when all of these hold and it resolved DEFENDER_WINS.
///
///         Not carried over from OP: resource metering of deposit gas (the L2 gas a deposit buys
///         is not priced by burning L1 gas here), custom gas tokens, the ETH lockbox, proxies
///         and initializers (plain constructor deployment), super roots.
contract OptimismPortal is IOptimismPortal {
    /// @notice A proof of a withdrawal by one submitter.
    struct ProvenWithdrawal {
        IDisputeGame disputeGameProxy;
        uint64 timestamp;
    }

    /// @notice `l2Sender` outside of a withdrawal call.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice A finalization whose call fails reverts when sent from here, so gas estimation
    ///         finds the gas the call needs (OP's `Constants.ESTIMATION_ADDRESS`).
    address internal constant ESTIMATION_ADDRESS = address(1);
    /// @notice Version of the `TransactionDeposited` event's `opaqueData` layout.
    uint256 internal constant DEPOSIT_VERSION = 0;
    /// @notice L2 gas a plain ETH transfer to the portal buys.
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;
    /// @notice Largest deposit calldata (OP's limit: fits the 128 KiB p2p message size).
    uint256 internal constant MAX_DEPOSIT_DATA = 120_000;
    /// @notice Gas kept back for the bookkeeping after a withdrawal call and for the CALL itself
    ///         (value transfer to a new account: 9,000 + 25,000, plus margin).
    uint256 internal constant CALL_RESERVED_GAS = 40_000 + 200;

    uint256 internal immutable PROOF_MATURITY_DELAY_SECONDS;
    uint256 internal immutable DISPUTE_GAME_FINALITY_DELAY_SECONDS;

    /// @notice The L2 sender of the withdrawal being executed; 0x…dEaD otherwise.
    address public l2Sender;
    /// @notice Withdrawal hashes that were finalized (each at most once).
    mapping(bytes32 => bool) public finalizedWithdrawals;
    /// @notice Proofs by withdrawal hash and proof submitter.
    mapping(bytes32 => mapping(address => ProvenWithdrawal)) public provenWithdrawals;
    /// @notice Everyone who proved a withdrawal, in order (a submitter appears once per proof).
    mapping(bytes32 => address[]) public proofSubmitters;
    /// @notice Games the guardian ruled out.
    mapping(IDisputeGame => bool) public disputeGameBlacklist;
    /// @notice The game type withdrawals may be proven against.
    uint32 public respectedGameType;
    /// @notice When `respectedGameType` was last set; games created before are retired.
    uint64 public respectedGameTypeUpdatedAt;
    /// @notice Whether withdrawals are paused (deposits never are).
    bool public paused;

    IDisputeGameFactory public immutable disputeGameFactory;
    /// @notice The chain's SystemConfig (informational; the portal reads nothing from it).
    address public immutable systemConfig;
    /// @notice May pause, blacklist games and set the respected game type.
    address public immutable guardian;

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert OptimismPortal_Unauthorized();
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert OptimismPortal_CallPaused();
        _;
    }

    /// @param _disputeGameFactory               The factory games are proven against.
    /// @param _systemConfig                     The chain's SystemConfig.
    /// @param _guardian                         Pauses withdrawals, blacklists games, sets the respected type.
    /// @param _proofMaturityDelaySeconds        Wait between proof and finalization (7 days on mainnet).
    /// @param _disputeGameFinalityDelaySeconds  Wait between a game's resolution and its use (3.5 days).
    /// @param _respectedGameType                The game type withdrawals are proven against.
    constructor(
        IDisputeGameFactory _disputeGameFactory,
        address _systemConfig,
        address _guardian,
        uint256 _proofMaturityDelaySeconds,
        uint256 _disputeGameFinalityDelaySeconds,
        uint32 _respectedGameType
    ) {
        disputeGameFactory = _disputeGameFactory;
        systemConfig = _systemConfig;
        guardian = _guardian;
        PROOF_MATURITY_DELAY_SECONDS = _proofMaturityDelaySeconds;
        DISPUTE_GAME_FINALITY_DELAY_SECONDS = _disputeGameFinalityDelaySeconds;
        l2Sender = DEFAULT_L2_SENDER;
        respectedGameType = _respectedGameType;
        respectedGameTypeUpdatedAt = uint64(block.timestamp);
    }

    /// @notice Semantic version; major 3 makes clients take the fault-proof (Portal2) path.
    function version() external pure returns (string memory) {
        return "3.14.0-agnt2";
    }

    function proofMaturityDelaySeconds() external view returns (uint256) {
        return PROOF_MATURITY_DELAY_SECONDS;
    }

    function disputeGameFinalityDelaySeconds() external view returns (uint256) {
        return DISPUTE_GAME_FINALITY_DELAY_SECONDS;
    }

    /// @notice The contract answering OP's AnchorStateRegistry questions: this one.
    function anchorStateRegistry() external view returns (IAnchorStateRegistry) {
        return IAnchorStateRegistry(address(this));
    }

    /// @notice The minimum L2 gas limit of a deposit with `_byteCount` bytes of calldata
    ///         (OP's rule since Isthmus: 40 gas per byte on top of 21,000).
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 40 + 21_000;
    }

    // ------------------------------------------------------------------------------------
    // Deposits
    // ------------------------------------------------------------------------------------

    /// @notice ETH sent straight to the portal is deposited to the sender on L2 (an L1
    ///         contract sending here is credited under its alias).
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_DEFAULT_GAS_LIMIT, false, bytes(""));
    }

    /// @notice Adds ETH to the portal without a deposit.
    function donateETH() external payable {}

    /// @notice Sends a transaction to L2. `msg.value` is minted to the L2 sender before the
    ///         call; `_value` of it is passed to `_to`.
    /// @param _to         The L2 target; address(0) when `_isCreation`.
    /// @param _value      ETH passed to the target on L2.
    /// @param _gasLimit   L2 gas limit, at least `minimumGasLimit(_data.length)`.
    /// @param _isCreation Whether the L2 transaction creates a contract from `_data`.
    /// @param _data       Calldata, or init code when `_isCreation`; at most 120,000 bytes.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        public
        payable
    {
        if (_isCreation && _to != address(0)) revert OptimismPortal_BadTarget();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert OptimismPortal_GasLimitTooLow();
        if (_data.length > MAX_DEPOSIT_DATA) revert OptimismPortal_CalldataTooLarge();

        address from = SenderKind.isSenderEOA() ? msg.sender : AddressAliasing.applyAlias(msg.sender);
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    // ------------------------------------------------------------------------------------
    // Withdrawals
    // ------------------------------------------------------------------------------------

    /// @notice Proves that withdrawal `_tx` was initiated on L2, against the output root of game
    ///         `_disputeGameIndex`. Proving again (the same or another submitter) is allowed and
    ///         restarts that submitter's maturity clock.
    /// @param _tx                The withdrawal as the L2ToL1MessagePasser hashed it.
    /// @param _disputeGameIndex  The game's index in the factory.
    /// @param _outputRootProof   The preimage of the game's root claim.
    /// @param _withdrawalProof   Merkle-Patricia proof of `sentMessages[hash] = 1` in the
    ///                           message passer's storage trie (`eth_getProof`'s storage proof).
    function proveWithdrawalTransaction(
        WithdrawalTransaction memory _tx,
        uint256 _disputeGameIndex,
        OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external whenNotPaused {
        if (_tx.target == address(this)) revert OptimismPortal_BadTarget();

        (,, IDisputeGame game) = disputeGameFactory.gameAtIndex(_disputeGameIndex);
        if (!isGameProper(game)) revert OptimismPortal_ImproperDisputeGame();
        if (!isGameRespected(game)) revert OptimismPortal_InvalidDisputeGame();
        if (game.status() == GameStatus.CHALLENGER_WINS) revert OptimismPortal_InvalidDisputeGame();
        // A proof in the game's creation second is accepted, as in OP, but can never finalize
        // (`checkWithdrawal` wants it strictly later): clients simulate against the latest
        // block, whose timestamp may be the game's own.
        if (game.rootClaim() != Hashing.hashOutputRootProof(_outputRootProof)) {
            revert OptimismPortal_InvalidOutputRootProof();
        }

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        if (finalizedWithdrawals[withdrawalHash]) revert OptimismPortal_AlreadyFinalized();

        bool included = SecureMerkleTrie.verifyInclusionProof(
            abi.encode(Hashing.withdrawalSlot(withdrawalHash)),
            hex"01",
            _withdrawalProof,
            _outputRootProof.messagePasserStorageRoot
        );
        if (!included) revert OptimismPortal_InvalidMerkleProof();

        provenWithdrawals[withdrawalHash][msg.sender] =
            ProvenWithdrawal({disputeGameProxy: game, timestamp: uint64(block.timestamp)});
        proofSubmitters[withdrawalHash].push(msg.sender);

        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
        emit WithdrawalProvenExtension1(withdrawalHash, msg.sender);
    }

    /// @notice Finalizes withdrawal `_tx` using the caller's own proof.
    function finalizeWithdrawalTransaction(WithdrawalTransaction memory _tx) external {
        finalizeWithdrawalTransactionExternalProof(_tx, msg.sender);
    }

    /// @notice Finalizes withdrawal `_tx` using the proof `_proofSubmitter` made: calls
    ///         `_tx.target` with `_tx.value` and `_tx.data`, giving it at least `_tx.gasLimit`
    ///         gas, with `l2Sender()` set to `_tx.sender` during the call. A failing call still
    ///         finalizes the withdrawal (its ETH stays in the portal), as in OP.
    function finalizeWithdrawalTransactionExternalProof(WithdrawalTransaction memory _tx, address _proofSubmitter)
        public
        whenNotPaused
    {
        if (l2Sender != DEFAULT_L2_SENDER) revert OptimismPortal_NoReentrancy();
        if (_tx.target == address(this)) revert OptimismPortal_BadTarget();

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        checkWithdrawal(withdrawalHash, _proofSubmitter);

        finalizedWithdrawals[withdrawalHash] = true;
        l2Sender = _tx.sender;
        bool success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = DEFAULT_L2_SENDER;

        emit WithdrawalFinalized(withdrawalHash, success);

        if (!success && tx.origin == ESTIMATION_ADDRESS) revert OptimismPortal_GasEstimation();
    }

    /// @notice Reverts, naming the reason, unless the withdrawal can be finalized with
    ///         `_proofSubmitter`'s proof now. viem's `getWithdrawalStatus` maps these errors to
    ///         statuses ("ready-to-prove", "waiting-to-finalize").
    function checkWithdrawal(bytes32 _withdrawalHash, address _proofSubmitter) public view {
        if (finalizedWithdrawals[_withdrawalHash]) revert OptimismPortal_AlreadyFinalized();

        ProvenWithdrawal memory proven = provenWithdrawals[_withdrawalHash][_proofSubmitter];
        if (proven.timestamp == 0) revert OptimismPortal_Unproven();

        IDisputeGame game = proven.disputeGameProxy;
        if (proven.timestamp <= game.createdAt()) revert OptimismPortal_InvalidProofTimestamp();
        if (block.timestamp - proven.timestamp <= PROOF_MATURITY_DELAY_SECONDS) {
            revert OptimismPortal_ProofNotOldEnough();
        }
        if (!isGameClaimValid(game)) revert OptimismPortal_InvalidRootClaim();
    }

    /// @notice How many proofs of `_withdrawalHash` were submitted.
    function numProofSubmitters(bytes32 _withdrawalHash) external view returns (uint256) {
        return proofSubmitters[_withdrawalHash].length;
    }

    /// @notice Calls `_target` with at least `_minGas` gas, or reverts when the caller did not
    ///         leave enough; return data is not copied (a target cannot make the portal pay for
    ///         a huge return). By the 63/64 rule a call gets at most 63/64 of what is left, so
    ///         the check is gasleft * 63 >= minGas * 64 + 63 * reserved.
    function _callWithMinGas(address _target, uint256 _minGas, uint256 _value, bytes memory _data)
        internal
        returns (bool success_)
    {
        if (gasleft() * 63 < _minGas * 64 + 63 * CALL_RESERVED_GAS) revert OptimismPortal_InsufficientGas();
        assembly ("memory-safe") {
            success_ := call(gas(), _target, _value, add(_data, 0x20), mload(_data), 0, 0)
        }
    }

    // ------------------------------------------------------------------------------------
    // Guardian
    // ------------------------------------------------------------------------------------

    /// @notice Rules out `_disputeGame` for proving and finalizing.
    function blacklistDisputeGame(IDisputeGame _disputeGame) external onlyGuardian {
        disputeGameBlacklist[_disputeGame] = true;
        emit DisputeGameBlacklisted(_disputeGame);
    }

    /// @notice Sets the respected game type; every game created before now is retired.
    function setRespectedGameType(uint32 _gameType) external onlyGuardian {
        respectedGameType = _gameType;
        respectedGameTypeUpdatedAt = uint64(block.timestamp);
        emit RespectedGameTypeSet(_gameType, uint64(block.timestamp));
    }

    /// @notice Pauses proving and finalizing withdrawals.
    function pause() external onlyGuardian {
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyGuardian {
        paused = false;
        emit Unpaused(msg.sender);
    }

    // ------------------------------------------------------------------------------------
    // Game validity (OP's AnchorStateRegistry views)
    // ------------------------------------------------------------------------------------

    /// @notice Games created before this time are retired (OP 3.x: when the type was last set).
    function retirementTimestamp() external view returns (uint64) {
        return respectedGameTypeUpdatedAt;
    }

    /// @notice Whether the factory created `_game` (and holds it under its own game data).
    function isGameRegistered(IDisputeGame _game) public view returns (bool) {
        (uint32 gameType, bytes32 rootClaim, bytes memory extraData) = _game.gameData();
        (IDisputeGame registered,) = disputeGameFactory.games(gameType, rootClaim, extraData);
        return address(registered) == address(_game);
    }

    function isGameBlacklisted(IDisputeGame _game) public view returns (bool) {
        return disputeGameBlacklist[_game];
    }

    /// @notice Whether `_game` was created before the respected game type was last set.
    function isGameRetired(IDisputeGame _game) public view returns (bool) {
        return _game.createdAt() < respectedGameTypeUpdatedAt;
    }

    function isGameRespected(IDisputeGame _game) public view returns (bool) {
        return _game.wasRespectedGameTypeWhenCreated();
    }

    function isGameProper(IDisputeGame _game) public view returns (bool) {
        return isGameRegistered(_game) && !isGameBlacklisted(_game) && !isGameRetired(_game) && !paused;
    }

    function isGameResolved(IDisputeGame _game) public view returns (bool) {
        GameStatus status = _game.status();
        return _game.resolvedAt() != 0 && status != GameStatus.IN_PROGRESS;
    }

    /// @notice Whether `_game` resolved more than the finality delay ago.
    function isGameFinalized(IDisputeGame _game) public view returns (bool) {
        return isGameResolved(_game) && block.timestamp - _game.resolvedAt() > DISPUTE_GAME_FINALITY_DELAY_SECONDS;
    }

    /// @notice Whether withdrawals proven against `_game` may be finalized now.
    function isGameClaimValid(IDisputeGame _game) public view returns (bool) {
        return isGameProper(_game) && isGameRespected(_game) && isGameFinalized(_game)
            && _game.status() == GameStatus.DEFENDER_WINS;
    }
}
