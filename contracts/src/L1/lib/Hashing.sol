// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {WithdrawalTransaction, OutputRootProof} from "./Types.sol";

/// @title Hashing
/// @notice The hashes the L1 contracts and the L2 node must agree on (DESIGN §4).
library Hashing {
    /// @notice Output root version 0.
    bytes32 internal constant OUTPUT_VERSION_V0 = bytes32(0);

    /// @notice keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)), the key the
    ///         L2ToL1MessagePasser stores in `sentMessages`.
    function hashWithdrawal(WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice keccak256(abi.encode(version, stateRoot, messagePasserStorageRoot, latestBlockhash)).
    function hashOutputRootProof(OutputRootProof memory _proof) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }

    /// @notice The storage slot of `sentMessages[_withdrawalHash]` (the mapping sits at slot 0).
    function withdrawalSlot(bytes32 _withdrawalHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(_withdrawalHash, uint256(0)));
    }
}
