// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RLPReader, RLPItem} from "./RLPReader.sol";

/// @title MerkleTrie
/// @notice Verifies Merkle-Patricia proofs against an Ethereum trie root (the hexary trie of the
///         Yellow Paper, appendix D), as `eth_getProof` returns them.
/// @dev    A proof is the list of trie nodes on the path from the root to the key, each given as
///         its RLP encoding, root first. Nodes are referenced from their parent by hash when their
///         encoding is 32 bytes or longer, and embedded in the parent ("inline") when shorter.
///         An inline node may be given as a proof element of its own (OP's verifier requires that,
///         and viem's `buildProveWithdrawal` appends it) or left out (geth, reth and alloy-trie
///         leave it out); both are accepted, and when given it must equal the embedded bytes.
///
///         `get` returns whether the key is in the trie and its value, and reverts with a named
///         error on any proof that is not a well-formed path through the trie with that root.
///         A well-formed proof of absence (the path ends in an empty branch slot, or in a leaf or
///         extension whose path diverges from the key) returns `found_ == false`.
library MerkleTrie {
    /// @notice Root of the trie with no keys: keccak256(rlp("")).
    bytes32 internal constant EMPTY_TRIE_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;

    /// @notice The first proof element does not hash to the root.
    error MerkleTrie_InvalidRootHash();
    /// @notice Proof element `index` does not hash to the reference its parent holds.
    error MerkleTrie_InvalidNodeHash(uint256 index);
    /// @notice Proof element `index` is given for an inline node but differs from it.
    error MerkleTrie_InvalidInlineNode(uint256 index);
    /// @notice A node is neither a branch (17 items) nor a leaf/extension (2 items), or holds a
    ///         child reference that is neither empty, a 32-byte hash nor an inline node under 32
    ///         bytes, or is an extension with an empty path or no child.
    error MerkleTrie_InvalidNode();
    /// @notice A leaf or extension path is not valid hex-prefix encoding.
    error MerkleTrie_InvalidPathEncoding();
    /// @notice A leaf holds an empty value (an empty value means "deleted" and is never stored).
    error MerkleTrie_EmptyValue();
    /// @notice The proof ends before the path reaches a leaf, a value or a proof of absence.
    error MerkleTrie_ProofIncomplete();
    /// @notice The proof has elements left after the path ended.
    error MerkleTrie_ProofTooLong();

    /// @notice Where the walk goes next: a node referenced by hash, or an inline node.
    struct Ref {
        bool isInline;
        bytes32 hash;
        bytes inlineNode;
    }

    /// @notice Whether `_key` maps to `_value` in the trie with root `_root`.
    /// @return False for a valid proof that the key is absent or holds another value; reverts
    ///         on a malformed proof.
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        (bool found, bytes memory value) = get(_key, _proof, _root);
        return found && keccak256(value) == keccak256(_value);
    }

    /// @notice Looks `_key` up in the trie with root `_root`, using `_proof`.
    /// @return found_ Whether the key is in the trie.
    /// @return value_ Its value (the bytes stored at the leaf), empty when not found.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool found_, bytes memory value_)
    {
        if (_root == EMPTY_TRIE_ROOT) return _getFromEmptyTrie(_proof);

        bytes memory key = _toNibbles(_key);
        uint256 keyPos;
        uint256 index;
        Ref memory next = Ref({isInline: false, hash: _root, inlineNode: ""});

        while (true) {
            bytes memory node;
            (node, index) = _takeNode(_proof, index, next);
            RLPItem[] memory items = RLPReader.readList(node);

            if (items.length == 17) {
                if (keyPos == key.length) {
                    // The key ends at this branch: its value slot answers.
                    value_ = RLPReader.readBytes(items[16]);
                    found_ = value_.length != 0;
                    break;
                }
                bool empty;
                (next, empty) = _childRef(items[uint8(key[keyPos])]);
                keyPos += 1;
                if (empty) break; // proof of absence: the key's slot is empty.
            } else if (items.length == 2) {
                (bool isLeaf, bytes memory path) = _decodePath(RLPReader.readBytes(items[0]));
                uint256 shared = _sharedPrefix(path, key, keyPos);
                if (isLeaf) {
                    if (shared == path.length && keyPos + shared == key.length) {
                        value_ = RLPReader.readBytes(items[1]);
                        if (value_.length == 0) revert MerkleTrie_EmptyValue();
                        found_ = true;
                    }
                    break; // found, or proof of absence: the leaf holds another key.
                }
                if (path.length == 0) revert MerkleTrie_InvalidNode();
                if (shared != path.length) break; // proof of absence: the extension diverges.
                keyPos += shared;
                bool empty;
                (next, empty) = _childRef(items[1]);
                if (empty) revert MerkleTrie_InvalidNode();
            } else {
                revert MerkleTrie_InvalidNode();
            }
        }

        if (index != _proof.length) revert MerkleTrie_ProofTooLong();
        if (!found_) value_ = "";
    }

    /// @notice The empty trie: an empty proof, or just the empty root node (rlp("") = 0x80).
    function _getFromEmptyTrie(bytes[] memory _proof) private pure returns (bool, bytes memory) {
        if (_proof.length > 1) revert MerkleTrie_ProofTooLong();
        if (_proof.length == 1 && keccak256(_proof[0]) != EMPTY_TRIE_ROOT) revert MerkleTrie_InvalidRootHash();
        return (false, "");
    }

    /// @notice The node `_ref` points to, checked against the proof, and the next proof index.
    function _takeNode(bytes[] memory _proof, uint256 _index, Ref memory _ref)
        private
        pure
        returns (bytes memory node_, uint256 nextIndex_)
    {
        if (_ref.isInline) {
            // Given as a proof element of its own, or not at all.
            if (_index < _proof.length) {
                if (keccak256(_proof[_index]) != keccak256(_ref.inlineNode)) {
                    revert MerkleTrie_InvalidInlineNode(_index);
                }
                return (_ref.inlineNode, _index + 1);
            }
            return (_ref.inlineNode, _index);
        }
        if (_index >= _proof.length) revert MerkleTrie_ProofIncomplete();
        node_ = _proof[_index];
        if (keccak256(node_) != _ref.hash) {
            if (_index == 0) revert MerkleTrie_InvalidRootHash();
            revert MerkleTrie_InvalidNodeHash(_index);
        }
        nextIndex_ = _index + 1;
    }

    /// @notice Reads a child reference: empty, a 32-byte hash, or an inline node under 32 bytes.
    function _childRef(RLPItem memory _item) private pure returns (Ref memory ref_, bool empty_) {
        (bool isList,, uint256 payloadLen) = RLPReader.decodeHeader(_item);
        if (isList) {
            if (_item.len >= 32) revert MerkleTrie_InvalidNode();
            ref_.isInline = true;
            ref_.inlineNode = RLPReader.readRawBytes(_item);
            return (ref_, false);
        }
        if (payloadLen == 0) {
            // Decode to reject trailing bytes (and a non-canonical header).
            RLPReader.readBytes(_item);
            return (ref_, true);
        }
        if (payloadLen != 32) revert MerkleTrie_InvalidNode();
        ref_.hash = bytes32(RLPReader.readBytes(_item));
    }

    /// @notice Decodes a hex-prefix path into nibbles, and whether it is a leaf's.
    /// @dev    The first nibble is the flag: 0 extension/even, 1 extension/odd, 2 leaf/even,
    ///         3 leaf/odd. With an even length the second nibble is padding and must be 0.
    function _decodePath(bytes memory _encoded) private pure returns (bool isLeaf_, bytes memory nibbles_) {
        if (_encoded.length == 0) revert MerkleTrie_InvalidPathEncoding();
        uint8 first = uint8(_encoded[0]);
        uint8 flag = first >> 4;
        if (flag > 3) revert MerkleTrie_InvalidPathEncoding();
        isLeaf_ = flag >= 2;
        bool odd = flag % 2 == 1;
        if (!odd && (first & 0x0f) != 0) revert MerkleTrie_InvalidPathEncoding();

        uint256 n = (_encoded.length - 1) * 2 + (odd ? 1 : 0);
        nibbles_ = new bytes(n);
        uint256 j;
        if (odd) {
            nibbles_[0] = bytes1(first & 0x0f);
            j = 1;
        }
        for (uint256 i = 1; i < _encoded.length; ++i) {
            uint8 b = uint8(_encoded[i]);
            nibbles_[j] = bytes1(b >> 4);
            nibbles_[j + 1] = bytes1(b & 0x0f);
            j += 2;
        }
    }

    /// @notice How many leading nibbles of `_path` match `_key` from position `_from`.
    function _sharedPrefix(bytes memory _path, bytes memory _key, uint256 _from) private pure returns (uint256 n_) {
        uint256 max = _key.length - _from;
        if (_path.length < max) max = _path.length;
        while (n_ < max && _path[n_] == _key[_from + n_]) {
            ++n_;
        }
    }

    /// @notice Splits bytes into nibbles, high nibble first.
    function _toNibbles(bytes memory _in) private pure returns (bytes memory out_) {
        out_ = new bytes(_in.length * 2);
        for (uint256 i = 0; i < _in.length; ++i) {
            uint8 b = uint8(_in[i]);
            out_[2 * i] = bytes1(b >> 4);
            out_[2 * i + 1] = bytes1(b & 0x0f);
        }
    }
}

/// @title SecureMerkleTrie
/// @notice A MerkleTrie whose keys are hashed with keccak256 first, as Ethereum's state and
///         storage tries are ("secure" tries).
library SecureMerkleTrie {
    /// @notice Whether keccak256(`_key`) maps to `_value` in the trie with root `_root`.
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        return MerkleTrie.verifyInclusionProof(abi.encodePacked(keccak256(_key)), _value, _proof, _root);
    }

    /// @notice Looks keccak256(`_key`) up in the trie with root `_root`.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool found_, bytes memory value_)
    {
        return MerkleTrie.get(abi.encodePacked(keccak256(_key)), _proof, _root);
    }
}
