// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISystemConfig
/// @notice The part of SystemConfig's ABI the BatchInbox reads.
interface ISystemConfig {
    /// @notice bytes32(uint256(uint160(batcher))).
    function batcherHash() external view returns (bytes32);
}
