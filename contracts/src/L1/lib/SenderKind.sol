// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SenderKind
/// @notice Tells an externally owned account from a contract, the way OP's portal does when it
///         decides whether to alias a depositor.
library SenderKind {
    /// @notice Whether `msg.sender` is an EOA: it is the transaction origin, or its code is an
    ///         EIP-7702 delegation designator (exactly 23 bytes, 0xef0100 followed by an address),
    ///         i.e. an EOA that delegated its code and is calling through another account.
    /// @dev    A contract calling from its constructor has no code yet but is not the origin, so
    ///         it counts as a contract (and is aliased), as in OP.
    function isSenderEOA() internal view returns (bool) {
        if (msg.sender == tx.origin) return true;
        return isDelegatedEOA(msg.sender);
    }

    /// @notice Whether `_account`'s code is an EIP-7702 delegation designator.
    function isDelegatedEOA(address _account) internal view returns (bool delegated_) {
        if (_account.code.length != 23) return false;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            extcodecopy(_account, ptr, 0, 3)
            delegated_ := eq(shr(232, mload(ptr)), 0xef0100)
        }
    }
}
