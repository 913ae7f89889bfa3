// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Multicall3
/// @notice The `aggregate3` call of the Multicall3 interface, for L1 devnets that have no
///         Multicall3 predeployed (anvil): viem's `multicall` (used by op-stack's `getGames`)
///         needs one at the chain's `contracts.multicall3` address, unless the client enables
///         `batch.multicall.deployless`.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call with `allowFailure == false` failed.
    error Multicall3_CallFailed(uint256 index);

    /// @notice Calls each target in order; returns every result.
    function aggregate3(Call3[] calldata _calls) external payable returns (Result[] memory results_) {
        results_ = new Result[](_calls.length);
        for (uint256 i = 0; i < _calls.length; ++i) {
            (bool ok, bytes memory ret) = _calls[i].target.call(_calls[i].callData);
            if (!ok && !_calls[i].allowFailure) revert Multicall3_CallFailed(i);
            results_[i] = Result({success: ok, returnData: ret});
        }
    }

    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }

    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function getEthBalance(address _addr) external view returns (uint256) {
        return _addr.balance;
    }
}
