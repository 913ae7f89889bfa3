// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Emitter
/// @notice Emits events and reverts on demand, for log, filter and revert-surface tests.
contract Emitter {
    event Ping(address indexed sender, uint256 indexed n, string note);

    uint256 public count;

    function ping(string calldata note) external {
        count += 1;
        emit Ping(msg.sender, count, note);
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }
}
