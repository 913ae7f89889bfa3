// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L1Block
/// @notice The L1-attributes predeploy at 0x4200000000000000000000000000000000000015.
///         The sequencer's first transaction of every L2 block (a system deposit from the
///         depositor account) writes the L1 origin here; op-revm reads the fee fields straight
///         from these storage slots, so the layout below is protocol, not an implementation detail.
/// @dev Storage layout (slot: fields, low-order bytes first):
///      0: number (uint64) | timestamp (uint64)
///      1: basefee
///      2: hash
///      3: sequenceNumber (uint64) | blobBaseFeeScalar (uint32) | baseFeeScalar (uint32)
///      4: batcherHash
///      5: l1FeeOverhead (legacy)   6: l1FeeScalar (legacy)
///      7: blobBaseFee
///      8: operatorFeeConstant (uint64) | operatorFeeScalar (uint32)
contract L1Block {
    address public constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    uint64 public number;
    uint64 public timestamp;
    uint256 public basefee;
    bytes32 public hash;
    uint64 public sequenceNumber;
    uint32 public blobBaseFeeScalar;
    uint32 public baseFeeScalar;
    bytes32 public batcherHash;
    uint256 public l1FeeOverhead;
    uint256 public l1FeeScalar;
    uint256 public blobBaseFee;
    uint64 public operatorFeeConstant;
    uint32 public operatorFeeScalar;

    error NotDepositor();

    function version() external pure returns (string memory) {
        return "1.6.0-agnt2";
    }

    /// @notice Updates the L1 attributes. Packed calldata (176 bytes with the selector):
    ///   baseFeeScalar u32 | blobBaseFeeScalar u32 | sequenceNumber u64 | timestamp u64 |
    ///   number u64 | basefee u256 | blobBaseFee u256 | hash b32 | batcherHash b32 |
    ///   operatorFeeScalar u32 | operatorFeeConstant u64
    function setL1BlockValuesIsthmus() external {
        if (msg.sender != DEPOSITOR_ACCOUNT) revert NotDepositor();
        assembly {
            // baseFeeScalar | blobBaseFeeScalar | sequenceNumber -> slot 3
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // timestamp | number -> slot 0
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
            // operatorFeeScalar | operatorFeeConstant -> slot 8
            sstore(operatorFeeConstant.slot, shr(160, calldataload(164)))
        }
    }
}
