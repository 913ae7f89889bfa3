// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GameStatus} from "../lib/Types.sol";

/// @title IDisputeGame
/// @notice The game interface the portal and the factory rely on; OP Stack's `IDisputeGame`
///         (its user-defined value types written as their underlying types: GameType = uint32,
///         Claim = Hash = bytes32, Timestamp = uint64), plus the getters OP's output games and
///         viem's op-stack actions read (`l2BlockNumber`, `l2SequenceNumber`,
///         `wasRespectedGameTypeWhenCreated`).
interface IDisputeGame {
    /// @notice Emitted once, when the game resolves.
    event Resolved(GameStatus indexed status);

    /// @notice Called by the factory right after it creates the clone, with the creator's bond.
    function initialize() external payable;

    function createdAt() external view returns (uint64);
    function resolvedAt() external view returns (uint64);
    function status() external view returns (GameStatus);
    function gameType() external view returns (uint32 gameType_);
    /// @notice Who called the factory's `create`.
    function gameCreator() external pure returns (address creator_);
    /// @notice The claim under dispute; for output games an output root (DESIGN §4).
    function rootClaim() external pure returns (bytes32 rootClaim_);
    /// @notice The L1 parent block hash at creation.
    function l1Head() external pure returns (bytes32 l1Head_);
    function extraData() external pure returns (bytes memory extraData_);
    function gameData() external view returns (uint32 gameType_, bytes32 rootClaim_, bytes memory extraData_);
    /// @notice The L2 block number the root claim is for.
    function l2BlockNumber() external pure returns (uint256 l2BlockNumber_);
    /// @notice The same as `l2BlockNumber` for output games (super-root games use a timestamp).
    function l2SequenceNumber() external pure returns (uint256 l2SequenceNumber_);
    /// @notice Whether this game's type was the portal's respected type when it was created.
    function wasRespectedGameTypeWhenCreated() external view returns (bool);
    /// @notice Ends the game when its rules allow it; returns the outcome.
    function resolve() external returns (GameStatus status_);
}
