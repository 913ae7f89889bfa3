// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Clones
/// @notice Minimal proxies that carry immutable arguments (clone-with-immutable-args).
/// @dev    A clone's runtime code is 56 bytes of proxy followed by the arguments and a 2-byte
///         big-endian length (arguments length + 2). On every call it copies the calldata to
///         memory, appends those trailing code bytes, delegatecalls the implementation and
///         returns or reverts with the implementation's return data. The implementation reads
///         the arguments from the end of its calldata (see `CloneArgs`).
///
///         Runtime (offset: opcode):
///           00 CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY        copy calldata to memory 0
///           04 PUSH2 n PUSH1 0x38 CALLDATASIZE CODECOPY     append the n trailing code bytes
///           0b PUSH0 PUSH0 PUSH2 n CALLDATASIZE ADD PUSH0
///           13 PUSH20 impl GAS DELEGATECALL                 delegatecall(gas, impl, 0, cds+n, 0, 0)
///           2a RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY    copy the return data to memory 0
///           2e PUSH1 0x34 JUMPI                              success → 0x34
///           31 RETURNDATASIZE PUSH0 REVERT
///           34 JUMPDEST RETURNDATASIZE PUSH0 RETURN
///         Init code (10 bytes): PUSH2 len DUP1 PUSH1 0x0a PUSH0 CODECOPY PUSH0 RETURN.
library Clones {
    /// @notice The immutable arguments do not fit the 2-byte length field.
    error Clones_ArgsTooLong();
    /// @notice CREATE failed.
    error Clones_DeploymentFailed();

    uint256 internal constant PROXY_CODE_LENGTH = 0x38;

    /// @notice Deploys a clone of `_impl` carrying `_args`, with CREATE.
    function cloneWithArgs(address _impl, bytes memory _args) internal returns (address instance_) {
        bytes memory initCode = initCodeFor(_impl, _args);
        assembly ("memory-safe") {
            instance_ := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (instance_ == address(0)) revert Clones_DeploymentFailed();
    }

    /// @notice The init code of a clone of `_impl` carrying `_args`.
    function initCodeFor(address _impl, bytes memory _args) internal pure returns (bytes memory) {
        // Arguments plus their 2-byte length trailer, the part appended to every call.
        uint256 n = _args.length + 2;
        if (n > type(uint16).max) revert Clones_ArgsTooLong();
        uint256 runtimeLength = PROXY_CODE_LENGTH + n;
        return abi.encodePacked(
            hex"61",
            uint16(runtimeLength),
            hex"80600a5f395ff3", // init: DUP1 PUSH1 0x0a PUSH0 CODECOPY PUSH0 RETURN
            hex"365f5f3761",
            uint16(n),
            hex"603836395f5f61",
            uint16(n),
            hex"36015f73",
            _impl,
            hex"5af43d5f5f3e6034573d5ffd5b3d5ff3",
            _args,
            uint16(n)
        );
    }
}

/// @title CloneArgs
/// @notice Reads the immutable arguments a `Clones` proxy appends to calldata.
abstract contract CloneArgs {
    /// @notice Calldata offset where the arguments start.
    function _argsOffset() internal pure returns (uint256 offset_) {
        assembly {
            offset_ := sub(calldatasize(), shr(240, calldataload(sub(calldatasize(), 2))))
        }
    }

    /// @notice Length of the arguments (without the 2-byte trailer).
    function _argsLength() internal pure returns (uint256 length_) {
        assembly {
            length_ := sub(shr(240, calldataload(sub(calldatasize(), 2))), 2)
        }
    }

    function _argAddress(uint256 _at) internal pure returns (address addr_) {
        uint256 offset = _argsOffset() + _at;
        assembly {
            addr_ := shr(96, calldataload(offset))
        }
    }

    function _argBytes32(uint256 _at) internal pure returns (bytes32 word_) {
        uint256 offset = _argsOffset() + _at;
        assembly {
            word_ := calldataload(offset)
        }
    }

    function _argBytes(uint256 _at, uint256 _length) internal pure returns (bytes memory out_) {
        uint256 offset = _argsOffset() + _at;
        out_ = new bytes(_length);
        assembly ("memory-safe") {
            calldatacopy(add(out_, 0x20), offset, _length)
        }
    }
}
