// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The outcome of a dispute game. Same values as OP Stack's `GameStatus`.
enum GameStatus {
    // Not resolved yet.
    IN_PROGRESS,
    // The root claim was shown to be wrong.
    CHALLENGER_WINS,
    // The root claim stood.
    DEFENDER_WINS
}

/// @notice A withdrawal as the L2ToL1MessagePasser hashed it (OP's `Types.WithdrawalTransaction`).
struct WithdrawalTransaction {
    uint256 nonce;
    address sender;
    address target;
    uint256 value;
    uint256 gasLimit;
    bytes data;
}

/// @notice The preimage of an output root, version 0 (OP's `Types.OutputRootProof`).
struct OutputRootProof {
    bytes32 version;
    bytes32 stateRoot;
    bytes32 messagePasserStorageRoot;
    bytes32 latestBlockhash;
}

/// @notice One result of `DisputeGameFactory.findLatestGames` (OP's `GameSearchResult`).
/// @dev    `metadata` is the packed game id: gameType << 224 | timestamp << 160 | proxy.
struct GameSearchResult {
    uint256 index;
    bytes32 metadata;
    uint64 timestamp;
    bytes32 rootClaim;
    bytes extraData;
}

/// @notice Game types this repository defines. OP's own numbers (0-9, 254, 255, 1337) are avoided.
library GameTypes {
    /// @notice agnt2's permissioned output game (`PermissionedOutputGame`): a proposer posts an
    ///         output root with a bond, a challenger may invalidate it within a window.
    uint32 internal constant PERMISSIONED_OUTPUT = 2002;
    /// @notice Reserved for the permissionless bisection game (a later issue).
    uint32 internal constant BISECTION = 2003;
}
