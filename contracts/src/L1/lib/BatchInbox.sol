// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BatchInbox
/// @notice The batch inbox is not a contract. As in OP Stack, it is an address nobody holds a key
///         for and no code lives at: the batcher sends its batch transactions (calldata or blobs)
///         there, the transactions succeed because a call to an account without code always does,
///         and derivation reads them back by filtering L1 transactions on `to == batchInbox` and
///         `from == batcher`. Leaving it codeless keeps each batch transaction at the intrinsic
///         cost (no execution), which a contract could not match.
/// @dev    The default address is 0x00 ‖ keccak256(bytes32(l2ChainId))[0..19] (DESIGN §4,
///         op-deployer's rule); SystemConfig stores the one in use.
library BatchInbox {
    /// @notice The default batch inbox of L2 chain `_l2ChainId`.
    function addressFor(uint256 _l2ChainId) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(_l2ChainId))) >> 104));
    }
}
