// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IAnchorStateRegistry} from "./interfaces/IAnchorStateRegistry.sol";
import {GameStatus, GameTypes} from "./lib/Types.sol";
import {CloneArgs} from "./lib/Clones.sol";

/// @title PermissionedOutputGame
/// @notice agnt2's permissioned output game, game type 2002 (`GameTypes.PERMISSIONED_OUTPUT`).
///         The proposer claims an output root (version 0, DESIGN §4) for an L2 block and posts
///         the factory's bond; for `maxChallengeDuration` seconds after creation the challenger
///         may invalidate it with `challenge()`, which resolves the game CHALLENGER_WINS and
///         gives the bond to the challenger. Once the window has passed unchallenged, anyone may
///         `resolve()` it to DEFENDER_WINS, which returns the bond to the creator.
///
///         The game is a clone made by the DisputeGameFactory; the implementation's constructor
///         fixes the roles, the window and the contract the respected game type is read from.
///         Like OP's PermissionedDisputeGame, only the proposer may create games: `initialize`
///         accepts the proposer as the transaction origin (OP's rule) or as the account that
///         called the factory (so a proposer contract, such as a multisig, works too).
///
///         Ordering of proposals is not enforced on chain: the proposer is trusted to propose
///         increasing L2 block numbers, and clients (viem's `getGames`) pick the newest game
///         covering the block they need. The permissionless bisection game (type 2003, later)
///         will anchor on a parent game instead.
/// @dev    Clone arguments: creator (20 bytes) ‖ rootClaim (32) ‖ l1Head (32) ‖ extraData (32:
///         abi.encode(uint256 l2BlockNumber)).
contract PermissionedOutputGame is IDisputeGame, CloneArgs {
    uint32 internal constant GAME_TYPE = GameTypes.PERMISSIONED_OUTPUT;
    uint256 internal constant EXTRA_DATA_LENGTH = 32;

    address internal immutable PROPOSER;
    address internal immutable CHALLENGER;
    uint64 internal immutable MAX_CHALLENGE_DURATION;
    IAnchorStateRegistry internal immutable ANCHOR_STATE_REGISTRY;

    uint64 public createdAt;
    uint64 public resolvedAt;
    GameStatus public status;
    bool public wasRespectedGameTypeWhenCreated;
    bool internal initialized;
    /// @notice The bond the creator posted (paid out on resolution).
    uint256 public bond;
    /// @notice ETH owed to an account whose payout transfer failed; `claimCredit` sends it.
    mapping(address => uint256) public credit;

    /// @notice Emitted when the challenger invalidates the root claim.
    event Challenged(address indexed challenger);

    /// @notice `initialize` was called before.
    error AlreadyInitialized();
    /// @notice The caller does not hold the role the call needs.
    error BadAuth();
    /// @notice extraData is not exactly abi.encode(uint256 l2BlockNumber).
    error BadExtraData();
    /// @notice The game was resolved already.
    error GameNotInProgress();
    /// @notice `challenge()` after the window closed.
    error ChallengeWindowClosed();
    /// @notice `resolve()` before the window closed.
    error ChallengeWindowOpen();
    /// @notice `claimCredit` for an account that is owed nothing, or whose transfer failed again.
    error NoCredit();
    error CreditTransferFailed();

    /// @param _anchorStateRegistry   Where the respected game type is read at creation (the OptimismPortal).
    /// @param _proposer              The only account that may create games.
    /// @param _challenger            The only account that may challenge them.
    /// @param _maxChallengeDuration  Challenge window in seconds (3.5 days on mainnet, seconds on a devnet).
    constructor(
        IAnchorStateRegistry _anchorStateRegistry,
        address _proposer,
        address _challenger,
        uint64 _maxChallengeDuration
    ) {
        ANCHOR_STATE_REGISTRY = _anchorStateRegistry;
        PROPOSER = _proposer;
        CHALLENGER = _challenger;
        MAX_CHALLENGE_DURATION = _maxChallengeDuration;
    }

    function version() external pure returns (string memory) {
        return "1.0.0-agnt2";
    }

    /// @inheritdoc IDisputeGame
    function initialize() external payable {
        if (initialized) revert AlreadyInitialized();
        if (tx.origin != PROPOSER && gameCreator() != PROPOSER) revert BadAuth();
        if (_argsLength() != 84 + EXTRA_DATA_LENGTH) revert BadExtraData();
        initialized = true;
        createdAt = uint64(block.timestamp);
        bond = msg.value;
        wasRespectedGameTypeWhenCreated = ANCHOR_STATE_REGISTRY.respectedGameType() == GAME_TYPE;
    }

    /// @notice Invalidates the root claim (challenger only, inside the window).
    function challenge() external {
        if (msg.sender != CHALLENGER) revert BadAuth();
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (block.timestamp >= challengeDeadline()) revert ChallengeWindowClosed();
        emit Challenged(msg.sender);
        _resolveAs(GameStatus.CHALLENGER_WINS, msg.sender);
    }

    /// @inheritdoc IDisputeGame
    /// @dev Anyone may call it once the window has passed without a challenge.
    function resolve() external returns (GameStatus status_) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (block.timestamp < challengeDeadline()) revert ChallengeWindowOpen();
        _resolveAs(GameStatus.DEFENDER_WINS, gameCreator());
        return GameStatus.DEFENDER_WINS;
    }

    /// @notice Sends `_recipient` the ETH it is owed from a payout whose transfer failed.
    function claimCredit(address _recipient) external {
        uint256 amount = credit[_recipient];
        if (amount == 0) revert NoCredit();
        credit[_recipient] = 0;
        (bool ok,) = _recipient.call{value: amount}("");
        if (!ok) revert CreditTransferFailed();
    }

    /// @notice When the challenge window closes: createdAt + maxChallengeDuration.
    function challengeDeadline() public view returns (uint64) {
        return createdAt + MAX_CHALLENGE_DURATION;
    }

    /// @notice The challenge window (FaultDisputeGame's name for the clock, which viem reads to
    ///         estimate when an unchallenged game resolves).
    function maxClockDuration() external view returns (uint64) {
        return MAX_CHALLENGE_DURATION;
    }

    /// @notice The earliest time an unchallenged game can resolve.
    function expectedResolution() external view returns (uint64) {
        return challengeDeadline();
    }

    function maxChallengeDuration() external view returns (uint64) {
        return MAX_CHALLENGE_DURATION;
    }

    function proposer() external view returns (address) {
        return PROPOSER;
    }

    function challenger() external view returns (address) {
        return CHALLENGER;
    }

    function anchorStateRegistry() external view returns (IAnchorStateRegistry) {
        return ANCHOR_STATE_REGISTRY;
    }

    /// @inheritdoc IDisputeGame
    function gameType() public pure returns (uint32) {
        return GAME_TYPE;
    }

    /// @inheritdoc IDisputeGame
    function gameCreator() public pure returns (address) {
        return _argAddress(0);
    }

    /// @inheritdoc IDisputeGame
    function rootClaim() public pure returns (bytes32) {
        return _argBytes32(20);
    }

    /// @inheritdoc IDisputeGame
    function l1Head() public pure returns (bytes32) {
        return _argBytes32(52);
    }

    /// @inheritdoc IDisputeGame
    function extraData() public pure returns (bytes memory) {
        return _argBytes(84, _argsLength() - 84);
    }

    /// @inheritdoc IDisputeGame
    function l2BlockNumber() public pure returns (uint256) {
        return uint256(_argBytes32(84));
    }

    /// @inheritdoc IDisputeGame
    function l2SequenceNumber() external pure returns (uint256) {
        return l2BlockNumber();
    }

    /// @inheritdoc IDisputeGame
    function gameData() external pure returns (uint32, bytes32, bytes memory) {
        return (GAME_TYPE, rootClaim(), extraData());
    }

    /// @notice Records the outcome and pays the bond to `_winner` (as credit if the transfer fails).
    function _resolveAs(GameStatus _status, address _winner) internal {
        status = _status;
        resolvedAt = uint64(block.timestamp);
        emit Resolved(_status);

        uint256 amount = bond;
        if (amount == 0) return;
        bond = 0;
        (bool ok,) = _winner.call{value: amount}("");
        if (!ok) credit[_winner] += amount;
    }
}
