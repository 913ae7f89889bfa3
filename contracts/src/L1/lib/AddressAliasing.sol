// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AddressAliasing
/// @notice L1 contracts appear on L2 under an alias (their address plus a fixed offset, modulo
///         2^160), so an L1 contract cannot pose as the L2 account with the same address.
library AddressAliasing {
    uint160 internal constant OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The L2 alias of L1 address `_l1`.
    function applyAlias(address _l1) internal pure returns (address) {
        unchecked {
            return address(uint160(_l1) + OFFSET);
        }
    }

    /// @notice The L1 address whose alias is `_l2`.
    function undoAlias(address _l2) internal pure returns (address) {
        unchecked {
            return address(uint160(_l2) - OFFSET);
        }
    }
}
