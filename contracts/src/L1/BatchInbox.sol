// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISystemConfig} from "./interfaces/ISystemConfig.sol";

/// @title BatchInbox
/// @notice Where the batcher sends its batch transactions, and an on-chain record of them. Only
///         the SystemConfig's current batcher may post (`batcherHash` is read on every call, so
///         `setBatcherHash` rotates the batcher at once). Every batch leaves a commitment that a
///         fraud-proof dispute can later open against the data it was derived from:
///           calldata batch   keccak256(calldata)                   (one commitment)
///           blob batch       the blobs' versioned hashes, in order (one per blob; no calldata)
///         `committedAt[c]` is the L1 block `c` was first posted in (a replay keeps the first);
///         `BatchCommitted` is emitted once per transaction.
///         Derivation still reads batches from the transactions themselves (`to == batchInbox`,
///         `from == batcher`), as in OP Stack; this contract only refuses everyone else and
///         records what was posted.
/// @dev    The only state-changing entry is the fallback. Batch calldata starts with the
///         derivation version byte 0x00 and Solidity dispatches on the first four bytes, so no
///         public function of this contract may have a selector whose first byte is 0x00
///         (committedAt(bytes32) 0x6533d53f, systemConfig() 0x33d7e2bd, version() 0x54fd4d50;
///         test/BatchInbox.t.sol checks the compiled ABI). The fallback is not payable.
contract BatchInbox {
    /// @notice The SystemConfig whose batcher may post.
    address public immutable systemConfig;

    /// @notice The L1 block each commitment was first posted in; 0 if never.
    mapping(bytes32 => uint256) public committedAt;

    /// @notice One batch transaction from `batcher`: keccak256 of its calldata, or its blobs'
    ///         versioned hashes (`blob`).
    event BatchCommitted(address indexed batcher, bytes32[] commitments, bool blob);

    /// @notice The sender is not the SystemConfig's batcher.
    error NotBatcher(address sender);
    /// @notice A transaction with blobs also carries calldata.
    error BlobWithCalldata();
    /// @notice A transaction with neither blobs nor calldata.
    error EmptyBatch();

    /// @param _systemConfig The SystemConfig whose `batcherHash` names the batcher.
    constructor(address _systemConfig) {
        systemConfig = _systemConfig;
    }

    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice Accepts a batch from the batcher and records its commitments.
    fallback() external {
        if (bytes32(uint256(uint160(msg.sender))) != ISystemConfig(systemConfig).batcherHash()) {
            revert NotBatcher(msg.sender);
        }
        bytes32[] memory commitments;
        bool blob = blobhash(0) != bytes32(0);
        if (blob) {
            if (msg.data.length != 0) revert BlobWithCalldata();
            uint256 n = 1;
            while (blobhash(n) != bytes32(0)) ++n;
            commitments = new bytes32[](n);
            for (uint256 i = 0; i < n; ++i) {
                commitments[i] = blobhash(i);
            }
        } else {
            if (msg.data.length == 0) revert EmptyBatch();
            commitments = new bytes32[](1);
            commitments[0] = keccak256(msg.data);
        }
        for (uint256 i = 0; i < commitments.length; ++i) {
            if (committedAt[commitments[i]] == 0) committedAt[commitments[i]] = block.number;
        }
        emit BatchCommitted(msg.sender, commitments, blob);
    }
}
