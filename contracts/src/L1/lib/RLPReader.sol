// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A view of one RLP item inside a `bytes` value in memory: `ptr` points at the item's
///         first header byte, `len` is the item's whole length (header plus payload).
struct RLPItem {
    uint256 ptr;
    uint256 len;
}

/// @title RLPReader
/// @notice A strict decoder for Ethereum's Recursive Length Prefix encoding, enough to walk
///         Merkle-Patricia trie nodes. Every malformed input reverts with a named error: an
///         item that runs past its container, a header that is not the canonical (shortest)
///         one, trailing bytes after a list or a top-level item, or a list where a string is
///         expected and vice versa. The error names are the ones OP Stack's reader uses, so
///         tools that already know OP's portal ABI (viem's `portal2Abi`) decode them.
library RLPReader {
    /// @notice The input (or an item inside it) has no bytes at all.
    error EmptyItem();
    /// @notice A header is not canonical: a one-byte string below 0x80 written with a length
    ///         prefix, a long form used for a payload under 56 bytes, or a length with a
    ///         leading zero byte.
    error InvalidHeader();
    /// @notice A header announces more payload than there are bytes left.
    error ContentLengthMismatch();
    /// @notice A list was found where a string was expected.
    error UnexpectedList();
    /// @notice A string was found where a list was expected.
    error UnexpectedString();
    /// @notice Bytes are left over after the item (or after the last element of a list).
    error InvalidDataRemainder();

    /// @notice Wraps `_in` as one RLP item covering all of it.
    function toItem(bytes memory _in) internal pure returns (RLPItem memory item_) {
        if (_in.length == 0) revert EmptyItem();
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(_in, 0x20)
        }
        item_ = RLPItem({ptr: ptr, len: _in.length});
    }

    /// @notice Decodes the header of `_item`.
    /// @return isList_     Whether the item is a list.
    /// @return offset_     Header length: where the payload starts, relative to `_item.ptr`.
    /// @return payloadLen_ Payload length.
    function decodeHeader(RLPItem memory _item)
        internal
        pure
        returns (bool isList_, uint256 offset_, uint256 payloadLen_)
    {
        if (_item.len == 0) revert EmptyItem();
        uint256 ptr = _item.ptr;
        uint256 prefix;
        assembly ("memory-safe") {
            prefix := byte(0, mload(ptr))
        }
        if (prefix < 0x80) {
            return (false, 0, 1);
        }
        if (prefix < 0xb8) {
            payloadLen_ = prefix - 0x80;
            offset_ = 1;
            if (payloadLen_ == 1) {
                if (_item.len < 2) revert ContentLengthMismatch();
                uint256 first;
                assembly ("memory-safe") {
                    first := byte(0, mload(add(ptr, 1)))
                }
                // A single byte below 0x80 is its own encoding.
                if (first < 0x80) revert InvalidHeader();
            }
        } else if (prefix < 0xc0) {
            (offset_, payloadLen_) = _longLength(_item, prefix - 0xb7);
        } else if (prefix < 0xf8) {
            isList_ = true;
            payloadLen_ = prefix - 0xc0;
            offset_ = 1;
        } else {
            isList_ = true;
            (offset_, payloadLen_) = _longLength(_item, prefix - 0xf7);
        }
        if (offset_ + payloadLen_ > _item.len) revert ContentLengthMismatch();
    }

    /// @notice Decodes `_item`, which must be a list that fills the item exactly, into its elements.
    function readList(RLPItem memory _item) internal pure returns (RLPItem[] memory items_) {
        (bool isList, uint256 offset, uint256 payloadLen) = decodeHeader(_item);
        if (!isList) revert UnexpectedString();
        if (offset + payloadLen != _item.len) revert InvalidDataRemainder();

        // First pass counts the elements, second pass records them.
        uint256 end = _item.ptr + offset + payloadLen;
        uint256 count;
        uint256 cursor = _item.ptr + offset;
        while (cursor < end) {
            cursor += _elementLength(cursor, end - cursor);
            unchecked {
                ++count;
            }
        }
        items_ = new RLPItem[](count);
        cursor = _item.ptr + offset;
        for (uint256 i = 0; i < count; ++i) {
            uint256 len = _elementLength(cursor, end - cursor);
            items_[i] = RLPItem({ptr: cursor, len: len});
            cursor += len;
        }
    }

    /// @notice Decodes `_in`, which must be one list and nothing else.
    function readList(bytes memory _in) internal pure returns (RLPItem[] memory) {
        return readList(toItem(_in));
    }

    /// @notice The payload of `_item`, which must be a string that fills the item exactly.
    function readBytes(RLPItem memory _item) internal pure returns (bytes memory out_) {
        (bool isList, uint256 offset, uint256 payloadLen) = decodeHeader(_item);
        if (isList) revert UnexpectedList();
        if (offset + payloadLen != _item.len) revert InvalidDataRemainder();
        out_ = _copy(_item.ptr + offset, payloadLen);
    }

    /// @notice The payload of `_in`, which must be one string and nothing else.
    function readBytes(bytes memory _in) internal pure returns (bytes memory) {
        return readBytes(toItem(_in));
    }

    /// @notice The whole encoding of `_item` (header included), copied out.
    function readRawBytes(RLPItem memory _item) internal pure returns (bytes memory) {
        return _copy(_item.ptr, _item.len);
    }

    /// @notice The length of the long-form length field and the length it encodes.
    function _longLength(RLPItem memory _item, uint256 _lenOfLen)
        private
        pure
        returns (uint256 offset_, uint256 payloadLen_)
    {
        if (_item.len < 1 + _lenOfLen) revert ContentLengthMismatch();
        uint256 ptr = _item.ptr;
        uint256 firstLenByte;
        assembly ("memory-safe") {
            let word := mload(add(ptr, 1))
            firstLenByte := byte(0, word)
            payloadLen_ := shr(sub(256, mul(8, _lenOfLen)), word)
        }
        if (firstLenByte == 0) revert InvalidHeader();
        if (payloadLen_ < 56) revert InvalidHeader();
        offset_ = 1 + _lenOfLen;
    }

    /// @notice The whole length of the element that starts at `_ptr`, with `_remaining` bytes
    ///         left in its container.
    function _elementLength(uint256 _ptr, uint256 _remaining) private pure returns (uint256) {
        (, uint256 offset, uint256 payloadLen) = decodeHeader(RLPItem({ptr: _ptr, len: _remaining}));
        return offset + payloadLen;
    }

    /// @notice Copies `_len` bytes starting at memory address `_src` into a new `bytes`.
    function _copy(uint256 _src, uint256 _len) private pure returns (bytes memory out_) {
        out_ = new bytes(_len);
        assembly ("memory-safe") {
            mcopy(add(out_, 0x20), _src, _len)
        }
    }
}
