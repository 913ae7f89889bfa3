//! A Merkle-Patricia trie whose nodes live in a content-addressed node store (hash → RLP).
//!
//! Only the paths a block touches are loaded, rewritten and re-hashed, so the cost of a state
//! root follows what the block changed, not the size of the state. Untouched subtrees stay as
//! hash references. Nodes are never overwritten (their key is their hash), which is also what
//! makes every historical root readable and provable: the store is an archive of tries.

use alloy_primitives::{B256, keccak256};
use alloy_rlp::{Encodable, Header};

/// keccak256(rlp("")): the root of an empty trie.
pub const EMPTY_ROOT: B256 =
    alloy_primitives::b256!("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

/// Where trie nodes are read from.
pub trait NodeReader {
    /// The RLP of the node with this hash, if stored.
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError>;
}

/// Trie failures: a missing node means the store is inconsistent with the root.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TrieError {
    /// A referenced node is not in the store.
    #[error("missing trie node {0}")]
    MissingNode(B256),
    /// A stored node did not decode.
    #[error("corrupt trie node: {0}")]
    Corrupt(&'static str),
    /// The backing store failed.
    #[error("node store: {0}")]
    Store(String),
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    /// A clean subtree, stored under this hash.
    Hash(B256),
    Leaf(Vec<u8>, Vec<u8>),
    Extension(Vec<u8>, Box<Node>),
    Branch(Box<[Node; 16]>),
}

fn empty_children() -> Box<[Node; 16]> {
    Box::new(std::array::from_fn(|_| Node::Empty))
}

/// Unpacks a 32-byte key into 64 nibbles.
fn nibbles(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() * 2);
    for b in key {
        out.push(b >> 4);
        out.push(b & 0x0f);
    }
    out
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Hex-prefix encoding of a path (Yellow Paper, appendix C).
fn hex_prefix(path: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 2u8 } else { 0 };
    let mut out = Vec::with_capacity(path.len() / 2 + 1);
    if path.len() % 2 == 1 {
        out.push(((flag + 1) << 4) | path[0]);
        for pair in path[1..].chunks(2) {
            out.push((pair[0] << 4) | pair[1]);
        }
    } else {
        out.push(flag << 4);
        for pair in path.chunks(2) {
            out.push((pair[0] << 4) | pair[1]);
        }
    }
    out
}

fn decode_hex_prefix(bytes: &[u8]) -> Result<(Vec<u8>, bool), TrieError> {
    let first = *bytes.first().ok_or(TrieError::Corrupt("empty path"))?;
    let flag = first >> 4;
    if flag > 3 {
        return Err(TrieError::Corrupt("bad hex-prefix flag"));
    }
    let mut path = Vec::with_capacity(bytes.len() * 2);
    if flag & 1 == 1 {
        path.push(first & 0x0f);
    }
    for b in &bytes[1..] {
        path.push(b >> 4);
        path.push(b & 0x0f);
    }
    Ok((path, flag & 2 == 2))
}

fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    bytes.encode(out);
}

fn list(payload: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    out
}

/// Splits one RLP item off the front of `buf`: (is_list, payload, whole item).
/// One RLP item split off a buffer: (is_list, payload, whole item, rest).
type Split<'a> = (bool, &'a [u8], &'a [u8], &'a [u8]);

fn split_item(buf: &[u8]) -> Result<Split<'_>, TrieError> {
    let mut cursor = buf;
    let header = Header::decode(&mut cursor).map_err(|_| TrieError::Corrupt("bad rlp header"))?;
    let header_len = buf.len() - cursor.len();
    let total = header_len + header.payload_length;
    if buf.len() < total {
        return Err(TrieError::Corrupt("truncated rlp"));
    }
    Ok((
        header.list,
        &buf[header_len..total],
        &buf[..total],
        &buf[total..],
    ))
}

/// Decodes a node's RLP. Children that are 32-byte strings become hash references; inline
/// children (encodings under 32 bytes) are decoded in place.
fn decode_node(rlp: &[u8]) -> Result<Node, TrieError> {
    let (is_list, mut payload, _, _) = split_item(rlp)?;
    if !is_list {
        return Err(TrieError::Corrupt("node is not a list"));
    }
    let mut items = Vec::with_capacity(17);
    while !payload.is_empty() {
        let (l, p, whole, rest) = split_item(payload)?;
        items.push((l, p, whole));
        payload = rest;
    }
    let child = |(l, p, whole): (bool, &[u8], &[u8])| -> Result<Node, TrieError> {
        if l {
            decode_node(whole)
        } else if p.is_empty() {
            Ok(Node::Empty)
        } else if p.len() == 32 {
            Ok(Node::Hash(B256::from_slice(p)))
        } else {
            Err(TrieError::Corrupt("bad child reference"))
        }
    };
    match items.len() {
        17 => {
            let mut children = empty_children();
            for (i, item) in items.into_iter().take(16).enumerate() {
                children[i] = child(item)?;
            }
            Ok(Node::Branch(children))
        }
        2 => {
            let (l, p, _) = items[0];
            if l {
                return Err(TrieError::Corrupt("path is a list"));
            }
            let (path, leaf) = decode_hex_prefix(p)?;
            if leaf {
                let (vl, vp, _) = items[1];
                if vl {
                    return Err(TrieError::Corrupt("leaf value is a list"));
                }
                Ok(Node::Leaf(path, vp.to_vec()))
            } else {
                Ok(Node::Extension(path, Box::new(child(items[1])?)))
            }
        }
        _ => Err(TrieError::Corrupt("wrong item count")),
    }
}

/// A trie being updated against a node store. Create one per root, apply changes, then
/// [`Trie::commit`] to get the new root and the nodes to store.
#[derive(Debug)]
pub struct Trie {
    root: Node,
}

impl Trie {
    /// Opens the trie with this root.
    pub fn new(root: B256) -> Self {
        Self {
            root: if root == EMPTY_ROOT {
                Node::Empty
            } else {
                Node::Hash(root)
            },
        }
    }

    /// Sets `key` to `value`; an empty value deletes the key.
    pub fn update<R: NodeReader>(
        &mut self,
        reader: &R,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<(), TrieError> {
        let path = nibbles(key);
        let root = std::mem::replace(&mut self.root, Node::Empty);
        self.root = if value.is_empty() {
            delete(reader, root, &path)?
        } else {
            insert(reader, root, &path, value)?
        };
        Ok(())
    }

    /// Hashes every changed node. Returns the root and the `(hash, rlp)` pairs to store.
    pub fn commit(self) -> (B256, Vec<(B256, Vec<u8>)>) {
        let mut out = Vec::new();
        let root = match self.root {
            Node::Empty => EMPTY_ROOT,
            Node::Hash(h) => h,
            node => {
                let rlp = encode(&node, &mut out);
                let h = keccak256(&rlp);
                out.push((h, rlp));
                h
            }
        };
        (root, out)
    }
}

/// New nodes to store, as `(hash, rlp)` pairs.
pub type NewNodes = Vec<(B256, Vec<u8>)>;

/// Applies `updates` (an empty value deletes) to the trie with this `root` and hashes the
/// result, like [`Trie::update`] for each followed by [`Trie::commit`], but with the sixteen
/// subtries under a branch root updated and hashed side by side on rayon's pool. A root that is
/// not a branch, or one that deletions would leave with fewer than two children (it would
/// collapse), is done one update after another instead.
pub fn update_parallel<R: NodeReader + Sync>(
    reader: &R,
    root: B256,
    updates: &[(B256, Vec<u8>)],
) -> Result<(B256, NewNodes), TrieError> {
    use rayon::prelude::*;
    let sequential = || -> Result<_, TrieError> {
        let mut trie = Trie::new(root);
        for (key, value) in updates {
            trie.update(reader, key.as_slice(), value.clone())?;
        }
        Ok(trie.commit())
    };
    if root == EMPTY_ROOT {
        return sequential();
    }
    let Node::Branch(mut children) = resolve(reader, root)? else {
        return sequential();
    };
    let mut by_nibble: Vec<Vec<&(B256, Vec<u8>)>> = vec![Vec::new(); 16];
    for update in updates {
        by_nibble[(update.0[0] >> 4) as usize].push(update);
    }
    type Subtrie<'a> = (usize, Node, Vec<&'a (B256, Vec<u8>)>);
    let work: Vec<Subtrie<'_>> = by_nibble
        .into_iter()
        .enumerate()
        .filter(|(_, u)| !u.is_empty())
        .map(|(i, u)| (i, std::mem::replace(&mut children[i], Node::Empty), u))
        .collect();
    // Each subtrie is updated and hashed on its own; a stored child comes back as its hash.
    let done: Vec<(usize, Node, NewNodes)> = work
        .into_par_iter()
        .map(|(i, mut node, updates)| -> Result<_, TrieError> {
            for (key, value) in updates {
                let path = nibbles(key.as_slice());
                node = if value.is_empty() {
                    delete(reader, node, &path[1..])?
                } else {
                    insert(reader, node, &path[1..], value.clone())?
                };
            }
            let mut out = Vec::new();
            let node = match node {
                node @ (Node::Empty | Node::Hash(_)) => node,
                node => {
                    let rlp = encode(&node, &mut out);
                    if rlp.len() < 32 {
                        node
                    } else {
                        let h = keccak256(&rlp);
                        out.push((h, rlp));
                        Node::Hash(h)
                    }
                }
            };
            Ok((i, node, out))
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (i, node, nodes) in done {
        children[i] = node;
        out.extend(nodes);
    }
    if children
        .iter()
        .filter(|c| !matches!(c, Node::Empty))
        .count()
        < 2
    {
        return sequential();
    }
    let (root, nodes) = Trie {
        root: Node::Branch(children),
    }
    .commit();
    out.extend(nodes);
    Ok((root, out))
}

fn resolve<R: NodeReader>(reader: &R, hash: B256) -> Result<Node, TrieError> {
    let rlp = reader.node(&hash)?.ok_or(TrieError::MissingNode(hash))?;
    decode_node(&rlp)
}

fn insert<R: NodeReader>(
    reader: &R,
    node: Node,
    path: &[u8],
    value: Vec<u8>,
) -> Result<Node, TrieError> {
    match node {
        Node::Empty => Ok(Node::Leaf(path.to_vec(), value)),
        Node::Hash(h) => insert(reader, resolve(reader, h)?, path, value),
        Node::Leaf(lpath, lvalue) => {
            let cp = common_prefix(&lpath, path);
            if cp == lpath.len() && cp == path.len() {
                return Ok(Node::Leaf(lpath, value));
            }
            let mut children = empty_children();
            // Fixed-length keys: neither path ends inside the other, so both diverge here.
            if cp >= lpath.len() || cp >= path.len() {
                return Err(TrieError::Corrupt("keys of different length"));
            }
            children[lpath[cp] as usize] = Node::Leaf(lpath[cp + 1..].to_vec(), lvalue);
            children[path[cp] as usize] = Node::Leaf(path[cp + 1..].to_vec(), value);
            let branch = Node::Branch(children);
            Ok(if cp == 0 {
                branch
            } else {
                Node::Extension(path[..cp].to_vec(), Box::new(branch))
            })
        }
        Node::Extension(epath, child) => {
            let cp = common_prefix(&epath, path);
            if cp == epath.len() {
                let child = insert(reader, *child, &path[cp..], value)?;
                return Ok(Node::Extension(epath, Box::new(child)));
            }
            let mut children = empty_children();
            let rest = &epath[cp + 1..];
            children[epath[cp] as usize] = if rest.is_empty() {
                *child
            } else {
                Node::Extension(rest.to_vec(), child)
            };
            children[path[cp] as usize] = Node::Leaf(path[cp + 1..].to_vec(), value);
            let branch = Node::Branch(children);
            Ok(if cp == 0 {
                branch
            } else {
                Node::Extension(path[..cp].to_vec(), Box::new(branch))
            })
        }
        Node::Branch(mut children) => {
            let (first, rest) = path
                .split_first()
                .ok_or(TrieError::Corrupt("key too short"))?;
            let idx = *first as usize;
            let child = std::mem::replace(&mut children[idx], Node::Empty);
            children[idx] = insert(reader, child, rest, value)?;
            Ok(Node::Branch(children))
        }
    }
}

fn delete<R: NodeReader>(reader: &R, node: Node, path: &[u8]) -> Result<Node, TrieError> {
    match node {
        Node::Empty => Ok(Node::Empty),
        Node::Hash(h) => {
            let resolved = resolve(reader, h)?;
            if !contains_path(&resolved, path) {
                // Nothing to delete: keep the clean reference.
                return Ok(Node::Hash(h));
            }
            delete(reader, resolved, path)
        }
        Node::Leaf(lpath, lvalue) => {
            if lpath == path {
                Ok(Node::Empty)
            } else {
                Ok(Node::Leaf(lpath, lvalue))
            }
        }
        Node::Extension(epath, child) => {
            if !path.starts_with(&epath) {
                return Ok(Node::Extension(epath, child));
            }
            let child = delete(reader, *child, &path[epath.len()..])?;
            collapse_extension(reader, epath, child)
        }
        Node::Branch(mut children) => {
            let (first, rest) = path
                .split_first()
                .ok_or(TrieError::Corrupt("key too short"))?;
            let idx = *first as usize;
            let child = std::mem::replace(&mut children[idx], Node::Empty);
            children[idx] = delete(reader, child, rest)?;
            let live: Vec<usize> = (0..16)
                .filter(|i| !matches!(children[*i], Node::Empty))
                .collect();
            match live.as_slice() {
                [] => Ok(Node::Empty),
                [only] => {
                    let only = *only;
                    let child = std::mem::replace(&mut children[only], Node::Empty);
                    collapse_extension(reader, vec![only as u8], child)
                }
                _ => Ok(Node::Branch(children)),
            }
        }
    }
}

/// Cheap pre-check so deleting an absent key does not dirty clean paths.
fn contains_path(node: &Node, path: &[u8]) -> bool {
    match node {
        Node::Empty => false,
        Node::Hash(_) => true,
        Node::Leaf(lpath, _) => lpath == path,
        Node::Extension(epath, _) => path.starts_with(epath),
        Node::Branch(children) => path
            .first()
            .is_some_and(|i| !matches!(children[*i as usize], Node::Empty)),
    }
}

/// Re-normalizes `prefix ++ child` after a delete: merges nested extensions and leaves.
fn collapse_extension<R: NodeReader>(
    reader: &R,
    mut prefix: Vec<u8>,
    child: Node,
) -> Result<Node, TrieError> {
    let child = match child {
        Node::Hash(h) => resolve(reader, h)?,
        other => other,
    };
    match child {
        Node::Empty => Ok(Node::Empty),
        Node::Leaf(p, v) => {
            prefix.extend_from_slice(&p);
            Ok(Node::Leaf(prefix, v))
        }
        Node::Extension(p, c) => {
            prefix.extend_from_slice(&p);
            Ok(Node::Extension(prefix, c))
        }
        branch @ Node::Branch(_) => Ok(Node::Extension(prefix, Box::new(branch))),
        Node::Hash(_) => Err(TrieError::Corrupt("unresolved child")),
    }
}

/// Encodes `node`, pushing every stored (≥ 32-byte) descendant into `out`.
fn encode(node: &Node, out: &mut Vec<(B256, Vec<u8>)>) -> Vec<u8> {
    match node {
        Node::Empty => vec![0x80],
        Node::Hash(h) => {
            let mut v = Vec::with_capacity(33);
            encode_bytes(&mut v, h.as_slice());
            v
        }
        Node::Leaf(path, value) => {
            let mut payload = Vec::with_capacity(value.len() + 40);
            encode_bytes(&mut payload, &hex_prefix(path, true));
            encode_bytes(&mut payload, value);
            list(payload)
        }
        Node::Extension(path, child) => {
            let mut payload = Vec::with_capacity(72);
            encode_bytes(&mut payload, &hex_prefix(path, false));
            payload.extend_from_slice(&child_ref(child, out));
            list(payload)
        }
        Node::Branch(children) => {
            let mut payload = Vec::with_capacity(16 * 33 + 1);
            for c in children.iter() {
                payload.extend_from_slice(&child_ref(c, out));
            }
            payload.push(0x80);
            list(payload)
        }
    }
}

/// How a parent refers to `child`: inline if its encoding is shorter than 32 bytes.
fn child_ref(child: &Node, out: &mut Vec<(B256, Vec<u8>)>) -> Vec<u8> {
    match child {
        Node::Empty => vec![0x80],
        Node::Hash(h) => {
            let mut v = Vec::with_capacity(33);
            encode_bytes(&mut v, h.as_slice());
            v
        }
        node => {
            let rlp = encode(node, out);
            if rlp.len() < 32 {
                rlp
            } else {
                let h = keccak256(&rlp);
                out.push((h, rlp));
                let mut v = Vec::with_capacity(33);
                encode_bytes(&mut v, h.as_slice());
                v
            }
        }
    }
}

/// Reads `key` under `root`, without modifying anything.
pub fn get<R: NodeReader>(
    reader: &R,
    root: B256,
    key: &[u8],
) -> Result<Option<Vec<u8>>, TrieError> {
    walk(reader, root, key, None)
}

/// The proof for `key` under `root` (EIP-1186): every stored node on the path, root first.
pub fn prove<R: NodeReader>(reader: &R, root: B256, key: &[u8]) -> Result<Vec<Vec<u8>>, TrieError> {
    let mut proof = Vec::new();
    walk(reader, root, key, Some(&mut proof))?;
    Ok(proof)
}

fn walk<R: NodeReader>(
    reader: &R,
    root: B256,
    key: &[u8],
    mut proof: Option<&mut Vec<Vec<u8>>>,
) -> Result<Option<Vec<u8>>, TrieError> {
    if root == EMPTY_ROOT {
        return Ok(None);
    }
    let path = nibbles(key);
    let mut rest: &[u8] = &path;
    let mut node = {
        let rlp = reader.node(&root)?.ok_or(TrieError::MissingNode(root))?;
        let n = decode_node(&rlp)?;
        if let Some(p) = proof.as_deref_mut() {
            p.push(rlp);
        }
        n
    };
    loop {
        node = match node {
            Node::Empty => return Ok(None),
            Node::Hash(h) => {
                let rlp = reader.node(&h)?.ok_or(TrieError::MissingNode(h))?;
                let n = decode_node(&rlp)?;
                if let Some(p) = proof.as_deref_mut() {
                    p.push(rlp);
                }
                n
            }
            Node::Leaf(lpath, value) => {
                return Ok((lpath.as_slice() == rest).then_some(value));
            }
            Node::Extension(epath, child) => {
                if !rest.starts_with(&epath) {
                    return Ok(None);
                }
                rest = &rest[epath.len()..];
                *child
            }
            Node::Branch(mut children) => {
                let Some((first, tail)) = rest.split_first() else {
                    return Ok(None);
                };
                rest = tail;
                std::mem::replace(&mut children[*first as usize], Node::Empty)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, Nibbles};
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::collections::{BTreeMap, HashMap};

    #[derive(Default)]
    struct MemStore(HashMap<B256, Vec<u8>>);
    impl NodeReader for MemStore {
        fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
            Ok(self.0.get(hash).cloned())
        }
    }

    fn reference_root(map: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = HashBuilder::default();
        for (k, v) in map {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    type Start = (StdRng, MemStore, BTreeMap<B256, Vec<u8>>, B256, Vec<B256>);

    /// A seeded generator over an empty store, model and trie.
    fn start(seed: u64) -> Start {
        let rng = StdRng::seed_from_u64(seed);
        (
            rng,
            MemStore::default(),
            BTreeMap::new(),
            EMPTY_ROOT,
            Vec::new(),
        )
    }

    /// An existing key (40%) or a new one.
    fn pick_key(rng: &mut StdRng, keys: &mut Vec<B256>) -> B256 {
        if !keys.is_empty() && rng.random_bool(0.4) {
            keys[rng.random_range(0..keys.len())]
        } else {
            let k = B256::from(rng.random::<[u8; 32]>());
            keys.push(k);
            k
        }
    }

    #[test]
    fn matches_hash_builder_over_many_commits() {
        let (mut rng, mut store, mut model, mut root, mut keys) = start(7);
        for round in 0..40 {
            let mut trie = Trie::new(root);
            for _ in 0..rng.random_range(1..60) {
                let key = pick_key(&mut rng, &mut keys);
                // Short values make inline (< 32 byte) nodes appear deep in the trie.
                let value = if rng.random_bool(0.25) {
                    Vec::new()
                } else {
                    vec![
                        rng.random::<u8>();
                        rng.random_range(1..(if round % 2 == 0 { 3 } else { 40 }))
                    ]
                };
                trie.update(&store, key.as_slice(), value.clone()).unwrap();
                if value.is_empty() {
                    model.remove(&key);
                } else {
                    model.insert(key, value);
                }
            }
            let (new_root, nodes) = trie.commit();
            store.0.extend(nodes);
            assert_eq!(new_root, reference_root(&model), "round {round}");
            root = new_root;
            for (k, v) in model.iter().take(20) {
                assert_eq!(get(&store, root, k.as_slice()).unwrap().as_ref(), Some(v));
                let proof = prove(&store, root, k.as_slice()).unwrap();
                alloy_trie::proof::verify_proof(
                    root,
                    Nibbles::unpack(k),
                    Some(v.clone()),
                    proof
                        .iter()
                        .map(|p| alloy_primitives::Bytes::from(p.clone()))
                        .collect::<Vec<_>>()
                        .iter(),
                )
                .unwrap();
            }
        }
        // Delete everything: back to the empty root.
        let mut trie = Trie::new(root);
        for k in model.keys() {
            trie.update(&store, k.as_slice(), Vec::new()).unwrap();
        }
        assert_eq!(trie.commit().0, EMPTY_ROOT);
    }

    #[test]
    fn parallel_update_matches_sequential() {
        let (mut rng, mut store, mut model, mut root, mut keys) = start(11);
        for round in 0..30 {
            // Early rounds start from an empty or tiny trie (not a branch root); later ones
            // delete most keys, so the branch root collapses and the sequential path runs.
            let n = if round < 3 {
                1 + round
            } else {
                rng.random_range(1..300)
            };
            let delete_share = if round % 7 == 6 { 0.95 } else { 0.2 };
            let mut updates = Vec::new();
            for _ in 0..n {
                let key = pick_key(&mut rng, &mut keys);
                let value = if rng.random_bool(delete_share) {
                    Vec::new()
                } else {
                    vec![rng.random::<u8>(); rng.random_range(1..40)]
                };
                updates.push((key, value));
            }
            if round % 7 == 6 {
                updates.extend(model.keys().map(|k: &B256| (*k, Vec::new())));
                updates.pop();
            }
            let mut trie = Trie::new(root);
            for (k, v) in &updates {
                trie.update(&store, k.as_slice(), v.clone()).unwrap();
                if v.is_empty() {
                    model.remove(k);
                } else {
                    model.insert(*k, v.clone());
                }
            }
            let (expected, expected_nodes) = trie.commit();
            let (got, nodes) = update_parallel(&store, root, &updates).unwrap();
            assert_eq!(got, expected, "round {round}");
            assert_eq!(got, reference_root(&model), "round {round}");
            let stored: std::collections::HashSet<_> = nodes.iter().map(|(h, _)| *h).collect();
            assert!(
                expected_nodes.iter().all(|(h, _)| stored.contains(h)),
                "round {round}: a node the sequential update stores is missing"
            );
            store.0.extend(nodes);
            root = got;
        }
    }

    #[test]
    fn missing_node_is_an_error_not_a_panic() {
        let store = MemStore::default();
        let mut trie = Trie::new(B256::repeat_byte(1));
        assert!(matches!(
            trie.update(&store, &[0u8; 32], vec![1]),
            Err(TrieError::MissingNode(_))
        ));
        assert!(decode_node(&[0xc1, 0x05]).is_err());
    }
}
