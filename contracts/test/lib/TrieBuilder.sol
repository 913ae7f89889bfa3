// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RLPWriter} from "./RLPWriter.sol";

/// @title TrieBuilder
/// @notice Builds a Merkle-Patricia trie from (key, value) pairs in memory, for tests: its root
///         and the proof of one key, shaped as `eth_getProof` returns it (root first, nodes
///         under 32 bytes embedded in their parent and left out of the proof), or, with
///         `_includeInline`, with embedded nodes listed too (the shape OP's verifier wants).
/// @dev    Keys are raw bytes (hash them first for a "secure" trie). Values are the bytes stored
///         at the leaf. Quadratic and recursive: meant for tens of keys.
library TrieBuilder {
    struct Ctx {
        bytes[] nk;
        bytes[] vals;
        bytes target;
        bool includeInline;
        bytes[] path;
        uint256 count;
    }

    /// @notice The root of the trie holding `_keys` → `_values`.
    function root(bytes[] memory _keys, bytes[] memory _values) internal pure returns (bytes32 root_) {
        (root_,) = prove(_keys, _values, _keys[0], false);
    }

    /// @notice The root, and the proof for `_target` (which may be absent: a proof of absence).
    function prove(bytes[] memory _keys, bytes[] memory _values, bytes memory _target, bool _includeInline)
        internal
        pure
        returns (bytes32 root_, bytes[] memory proof_)
    {
        uint256 n = _keys.length;
        require(n > 0 && n == _values.length, "TrieBuilder: bad input");
        bytes[] memory nk = new bytes[](n);
        bytes[] memory vals = new bytes[](n);
        for (uint256 i = 0; i < n; ++i) {
            nk[i] = toNibbles(_keys[i]);
            vals[i] = _values[i];
        }
        _sort(nk, vals);
        for (uint256 i = 1; i < n; ++i) {
            require(keccak256(nk[i]) != keccak256(nk[i - 1]), "TrieBuilder: duplicate key");
        }

        Ctx memory c = Ctx({
            nk: nk,
            vals: vals,
            target: toNibbles(_target),
            includeInline: _includeInline,
            path: new bytes[](160),
            count: 0
        });
        bytes memory rootNode = _node(c, 0, n, 0, true, true);
        root_ = keccak256(rootNode);
        proof_ = new bytes[](c.count);
        for (uint256 i = 0; i < c.count; ++i) {
            proof_[i] = c.path[c.count - 1 - i];
        }
    }

    function _node(Ctx memory _c, uint256 _lo, uint256 _hi, uint256 _depth, bool _onPath, bool _isRoot)
        private
        pure
        returns (bytes memory enc_)
    {
        bytes[] memory _nk = _c.nk;
        if (_hi - _lo == 1) {
            enc_ = RLPWriter.encodeList2(
                RLPWriter.encodeBytes(hexPrefix(_slice(_nk[_lo], _depth, _nk[_lo].length), true)),
                RLPWriter.encodeBytes(_c.vals[_lo])
            );
        } else {
            uint256 cp = _commonPrefix(_nk[_lo], _nk[_hi - 1], _depth);
            if (cp == 0) return _branch(_c, _lo, _hi, _depth, _onPath, _isRoot);
            bool sub = _onPath && _matches(_c.target, _nk[_lo], _depth, cp);
            bytes memory child = _branch(_c, _lo, _hi, _depth + cp, sub, false);
            enc_ = RLPWriter.encodeList2(
                RLPWriter.encodeBytes(hexPrefix(_slice(_nk[_lo], _depth, _depth + cp), false)), ref(child)
            );
        }
        _record(_c, enc_, _onPath, _isRoot);
    }

    function _branch(Ctx memory _c, uint256 _lo, uint256 _hi, uint256 _depth, bool _onPath, bool _isRoot)
        private
        pure
        returns (bytes memory enc_)
    {
        bytes[] memory items = new bytes[](17);
        bytes memory value;
        uint256 i = _lo;
        if (_c.nk[i].length == _depth) {
            value = _c.vals[i];
            ++i;
        }
        for (uint256 nib = 0; nib < 16; ++nib) {
            uint256 start = i;
            while (i < _hi && uint8(_c.nk[i][_depth]) == nib) {
                ++i;
            }
            if (i == start) {
                items[nib] = hex"80";
                continue;
            }
            bool sub = _onPath && _c.target.length > _depth && uint8(_c.target[_depth]) == nib;
            items[nib] = ref(_node(_c, start, i, _depth + 1, sub, false));
        }
        items[16] = RLPWriter.encodeBytes(value);
        enc_ = RLPWriter.encodeList(items);
        _record(_c, enc_, _onPath, _isRoot);
    }

    /// @notice How a parent refers to `_node`: embedded when under 32 bytes, else by hash.
    function ref(bytes memory _enc) internal pure returns (bytes memory) {
        if (_enc.length < 32) return _enc;
        return RLPWriter.encodeBytes(abi.encodePacked(keccak256(_enc)));
    }

    /// @notice Hex-prefix encoding of a nibble path.
    function hexPrefix(bytes memory _nibbles, bool _isLeaf) internal pure returns (bytes memory out_) {
        bool odd = _nibbles.length % 2 == 1;
        uint8 flag = (_isLeaf ? 2 : 0) + (odd ? 1 : 0);
        out_ = new bytes(_nibbles.length / 2 + 1);
        uint256 j;
        if (odd) {
            out_[0] = bytes1((flag << 4) | uint8(_nibbles[0]));
            j = 1;
        } else {
            out_[0] = bytes1(flag << 4);
        }
        for (uint256 k = 1; k < out_.length; ++k) {
            out_[k] = bytes1((uint8(_nibbles[j]) << 4) | uint8(_nibbles[j + 1]));
            j += 2;
        }
    }

    function toNibbles(bytes memory _in) internal pure returns (bytes memory out_) {
        out_ = new bytes(_in.length * 2);
        for (uint256 i = 0; i < _in.length; ++i) {
            out_[2 * i] = bytes1(uint8(_in[i]) >> 4);
            out_[2 * i + 1] = bytes1(uint8(_in[i]) & 0x0f);
        }
    }

    function _record(Ctx memory _c, bytes memory _enc, bool _onPath, bool _isRoot) private pure {
        if (!_onPath) return;
        if (_isRoot || _enc.length >= 32 || _c.includeInline) {
            _c.path[_c.count] = _enc;
            _c.count += 1;
        }
    }

    function _matches(bytes memory _target, bytes memory _key, uint256 _from, uint256 _n) private pure returns (bool) {
        if (_target.length < _from + _n) return false;
        for (uint256 j = 0; j < _n; ++j) {
            if (_target[_from + j] != _key[_from + j]) return false;
        }
        return true;
    }

    function _commonPrefix(bytes memory _a, bytes memory _b, uint256 _from) private pure returns (uint256 n_) {
        while (_from + n_ < _a.length && _from + n_ < _b.length && _a[_from + n_] == _b[_from + n_]) {
            ++n_;
        }
    }

    function _slice(bytes memory _b, uint256 _from, uint256 _to) private pure returns (bytes memory out_) {
        out_ = new bytes(_to - _from);
        for (uint256 i = 0; i < out_.length; ++i) {
            out_[i] = _b[_from + i];
        }
    }

    /// @notice Insertion sort by nibble path (a prefix sorts before its extensions).
    function _sort(bytes[] memory _k, bytes[] memory _v) private pure {
        for (uint256 i = 1; i < _k.length; ++i) {
            bytes memory key = _k[i];
            bytes memory val = _v[i];
            uint256 j = i;
            while (j > 0 && _less(key, _k[j - 1])) {
                _k[j] = _k[j - 1];
                _v[j] = _v[j - 1];
                --j;
            }
            _k[j] = key;
            _v[j] = val;
        }
    }

    function _less(bytes memory _a, bytes memory _b) private pure returns (bool) {
        uint256 n = _a.length < _b.length ? _a.length : _b.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_a[i] != _b[i]) return uint8(_a[i]) < uint8(_b[i]);
        }
        return _a.length < _b.length;
    }
}
