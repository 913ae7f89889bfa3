// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./IDisputeGame.sol";

/// @title IAnchorStateRegistry
/// @notice The game-validity views of OP Stack's AnchorStateRegistry. Our OptimismPortal serves
///         them itself (its `anchorStateRegistry()` is its own address): games read the respected
///         type from it, and viem's `getWithdrawalStatus` asks it why a withdrawal cannot be
///         finalized yet.
interface IAnchorStateRegistry {
    function respectedGameType() external view returns (uint32);
    function retirementTimestamp() external view returns (uint64);
    function disputeGameFinalityDelaySeconds() external view returns (uint256);
    function isGameRegistered(IDisputeGame _game) external view returns (bool);
    function isGameBlacklisted(IDisputeGame _game) external view returns (bool);
    function isGameRetired(IDisputeGame _game) external view returns (bool);
    function isGameRespected(IDisputeGame _game) external view returns (bool);
    function isGameProper(IDisputeGame _game) external view returns (bool);
    function isGameResolved(IDisputeGame _game) external view returns (bool);
    function isGameFinalized(IDisputeGame _game) external view returns (bool);
    function isGameClaimValid(IDisputeGame _game) external view returns (bool);
}
