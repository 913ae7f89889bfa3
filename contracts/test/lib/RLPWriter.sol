// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RLPWriter
/// @notice RLP encoding for tests (building trie nodes and malformed inputs by hand).
library RLPWriter {
    /// @notice rlp(string `_b`).
    function encodeBytes(bytes memory _b) internal pure returns (bytes memory) {
        if (_b.length == 1 && uint8(_b[0]) < 0x80) return _b;
        return bytes.concat(_header(_b.length, 0x80), _b);
    }

    /// @notice rlp(list) of already-encoded items.
    function encodeList(bytes[] memory _items) internal pure returns (bytes memory) {
        bytes memory payload;
        for (uint256 i = 0; i < _items.length; ++i) {
            payload = bytes.concat(payload, _items[i]);
        }
        return bytes.concat(_header(payload.length, 0xc0), payload);
    }

    /// @notice rlp(list) of two already-encoded items.
    function encodeList2(bytes memory _a, bytes memory _b) internal pure returns (bytes memory) {
        bytes memory payload = bytes.concat(_a, _b);
        return bytes.concat(_header(payload.length, 0xc0), payload);
    }

    /// @notice rlp(uint `_v`): big-endian without leading zeros.
    function encodeUint(uint256 _v) internal pure returns (bytes memory) {
        return encodeBytes(_minimalBigEndian(_v));
    }

    function _header(uint256 _len, uint8 _offset) private pure returns (bytes memory) {
        if (_len < 56) return abi.encodePacked(uint8(_offset + _len));
        bytes memory lenBytes = _minimalBigEndian(_len);
        return bytes.concat(abi.encodePacked(uint8(_offset + 55 + lenBytes.length)), lenBytes);
    }

    function _minimalBigEndian(uint256 _v) private pure returns (bytes memory out_) {
        uint256 n;
        for (uint256 t = _v; t != 0; t >>= 8) {
            ++n;
        }
        out_ = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            out_[n - 1 - i] = bytes1(uint8(_v >> (8 * i)));
        }
    }
}
