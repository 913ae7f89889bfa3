//! The state trie as agnt2 stores it: branch nodes only, keyed by their nibble path, and
//! leaves recomputed from the hashed state — the layout reth keeps in its `AccountsTrie` and
//! `StoragesTrie` tables.
//!
//! Keying nodes by path (not by hash) is what gives the trie locality and pruning: a block
//! rewrites the nodes on the paths it changed, in path order, at the same keys, and a node the
//! new trie no longer has is deleted in the same write. Leaves are not stored as nodes at all;
//! the hashed state (sorted by hashed key) is the leaf set.
//!
//! [`compute`] walks the stored nodes from the top, skipping every subtree no changed key falls
//! under (its hash is in its parent's [`BranchNodeCompact`]), and feeds alloy-trie's
//! [`HashBuilder`] the skipped subtrees' hashes and the leaves of everything else, in key
//! order. The same walk with proof targets gives EIP-1186 proofs, and over a leaf set with
//! older values (see [`OverlayLeaves`]) it gives the root and proofs of a past state.
//!
//! Owns: that walk, the prefix set, the node and path encodings. Must not touch a database
//! (it reads through [`TrieCursor`] and [`LeafCursor`]), plain state, or execution.

use std::collections::BTreeMap;

use alloy_primitives::B256;
pub use alloy_trie::{
    BranchNodeCompact, EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieMask,
    proof::{ProofNodes, ProofRetainer},
};

/// Trie failures.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// The store behind a cursor failed.
    #[error("trie store: {0}")]
    Store(String),
    /// A stored node or path does not decode, or the stored nodes contradict each other.
    #[error("corrupt trie at path 0x{path}: {what}")]
    Corrupt {
        /// The nibble path, one hex digit per nibble.
        path: String,
        /// What is wrong.
        what: &'static str,
    },
}

fn corrupt(path: &Nibbles, what: &'static str) -> TrieError {
    TrieError::Corrupt {
        path: path
            .to_vec()
            .iter()
            .map(|n| char::from_digit(u32::from(*n), 16).unwrap_or('?'))
            .collect(),
        what,
    }
}

/// Stored branch nodes, in path order (a path sorts before its extensions).
pub trait TrieCursor {
    /// The first stored node whose path is at or after `path`.
    fn seek(&mut self, path: &Nibbles) -> Result<Option<(Nibbles, BranchNodeCompact)>, TrieError>;
}

/// Leaves (hashed key → leaf value RLP), in key order.
pub trait LeafCursor {
    /// The first leaf whose key is at or after `key`; the cursor is left on it.
    fn seek(&mut self, key: &B256) -> Result<Option<(B256, Vec<u8>)>, TrieError>;
    /// The leaf after the one the cursor is on.
    fn next(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError>;
}

/// The keys (or key prefixes) that changed: a subtree is recomputed when any of them falls
/// under it.
#[derive(Debug, Clone, Default)]
pub struct PrefixSet {
    keys: Vec<Nibbles>,
    all: bool,
}

impl PrefixSet {
    /// A set of changed keys (any order, duplicates allowed).
    pub fn new(mut keys: Vec<Nibbles>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        Self { keys, all: false }
    }

    /// Everything changed (a wiped storage trie, a trie built from scratch).
    pub fn everything() -> Self {
        Self {
            keys: Vec::new(),
            all: true,
        }
    }

    /// Whether some changed key starts with `prefix`.
    pub fn contains(&self, prefix: &Nibbles) -> bool {
        self.all
            || self
                .keys
                .get(self.keys.partition_point(|k| k < prefix))
                .is_some_and(|k| k.starts_with(prefix))
    }

    /// Adds keys.
    pub fn extend(&mut self, keys: impl IntoIterator<Item = Nibbles>) {
        self.keys.extend(keys);
        self.keys.sort_unstable();
        self.keys.dedup();
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.all && self.keys.is_empty()
    }
}

/// What one computation produced: the root, and the stored-node writes that bring the stored
/// trie level with it.
#[derive(Debug, Clone, Default)]
pub struct TrieUpdates {
    /// The root hash.
    pub root: B256,
    /// Nodes to write, by path, in path order.
    pub updated: Vec<(Nibbles, BranchNodeCompact)>,
    /// Stored nodes the new trie no longer has, in path order.
    pub removed: Vec<Nibbles>,
}

/// Computes the root over `leaves`, reusing every stored subtree that no key in `changed`
/// falls under, and returns the node writes. `leaves` must be the whole new leaf set (stored
/// leaves with the changes applied, e.g. an [`OverlayLeaves`]); `changed` must hold every key
/// whose leaf differs from the one the stored nodes were built over.
pub fn compute<T: TrieCursor, L: LeafCursor>(
    trie: &mut T,
    leaves: &mut L,
    changed: &PrefixSet,
) -> Result<TrieUpdates, TrieError> {
    run(trie, leaves, changed, None).map(|(u, _)| u)
}

/// Like [`compute`], and also the nodes on the path to each of `targets` (for EIP-1186
/// proofs; see [`ProofNodes::matching_nodes_sorted`]). The targets are recomputed, never
/// skipped, so `changed` need not hold them.
pub fn compute_with_proofs<T: TrieCursor, L: LeafCursor>(
    trie: &mut T,
    leaves: &mut L,
    changed: &PrefixSet,
    targets: &[B256],
) -> Result<(TrieUpdates, ProofNodes), TrieError> {
    let targets: Vec<Nibbles> = targets.iter().map(Nibbles::unpack).collect();
    let mut changed = changed.clone();
    changed.extend(targets.iter().copied());
    run(trie, leaves, &changed, Some(targets))
}

/// What the walk hands the hash builder, in key order.
enum Step {
    /// A subtree kept: its path, hash, and whether stored nodes lie below it.
    Skip {
        path: Nibbles,
        hash: B256,
        stored_below: bool,
    },
    /// Every leaf from the first key starting at `from` up to (not including) the first key
    /// starting at `until` (`None`: the end).
    Feed {
        from: Nibbles,
        until: Option<Nibbles>,
    },
}

/// Adds a feed range, joining it to the previous one when they touch (one cursor seek for a
/// run of leaf children instead of one per leaf).
fn feed(steps: &mut Vec<Step>, from: Nibbles, until: Option<Nibbles>) {
    if let Some(Step::Feed { until: last, .. }) = steps.last_mut()
        && *last == Some(from)
    {
        *last = until;
        return;
    }
    steps.push(Step::Feed { from, until });
}

fn run<T: TrieCursor, L: LeafCursor>(
    trie: &mut T,
    leaves: &mut L,
    changed: &PrefixSet,
    targets: Option<Vec<Nibbles>>,
) -> Result<(TrieUpdates, ProofNodes), TrieError> {
    let mut steps = Vec::new();
    let mut visited = Vec::new();
    // The first stored node in path order is the topmost one: a stored node's ancestors that
    // are branches are stored too (their tree mask marks it), and above an extension there is
    // no node to store. Keys outside it can only be new ones.
    let top = if changed.all {
        collect_all(trie, &mut visited)?;
        None
    } else {
        trie.seek(&Nibbles::default())?
    };
    match top {
        Some((path, node)) => {
            if !path.is_empty() {
                feed(&mut steps, Nibbles::default(), Some(path));
            }
            walk(trie, changed, path, node, &mut steps, &mut visited)?;
            if !path.is_empty()
                && let Some(after) = path.increment()
            {
                feed(&mut steps, after, None);
            }
        }
        None => feed(&mut steps, Nibbles::default(), None),
    }

    let mut hb = HashBuilder::default().with_updates(true);
    if let Some(targets) = targets {
        hb = hb.with_proof_retainer(ProofRetainer::new(targets));
    }
    // The last key handed to the builder: a cursor that repeats or reorders keys is a corrupt
    // store, refused rather than left to the builder's assertions.
    let mut last = Nibbles::default();
    for step in steps {
        match step {
            Step::Skip {
                path,
                hash,
                stored_below,
            } => {
                if !last.is_empty() && last >= path {
                    return Err(corrupt(&path, "leaves out of order around a kept subtree"));
                }
                hb.add_branch(path, hash, stored_below);
                last = path;
            }
            Step::Feed { from, until } => {
                let mut next = leaves.seek(&padded(&from))?;
                while let Some((key, value)) = &next {
                    if until.is_some_and(|u| Nibbles::unpack(key) >= u) {
                        break;
                    }
                    add_leaf(&mut hb, &mut last, key, value)?;
                    next = leaves.next()?;
                }
            }
        }
    }
    let root = hb.root();
    let proofs = hb.take_proof_nodes();
    let (_, updates) = hb.split();
    let updated: BTreeMap<Nibbles, BranchNodeCompact> = updates.into_iter().collect();
    let removed = visited
        .into_iter()
        .filter(|p| !updated.contains_key(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok((
        TrieUpdates {
            root,
            updated: updated.into_iter().collect(),
            removed,
        },
        proofs,
    ))
}

fn add_leaf(
    hb: &mut HashBuilder,
    last: &mut Nibbles,
    key: &B256,
    value: &[u8],
) -> Result<(), TrieError> {
    let n = Nibbles::unpack(key);
    if (!last.is_empty() && *last >= n) || value.is_empty() {
        return Err(corrupt(&n, "leaves out of order, repeated or empty"));
    }
    *last = n;
    hb.add_leaf(n, value);
    Ok(())
}

/// Like [`compute`], with the subtrees under a branch root computed side by side, each with
/// its own leaf cursor from `leaves` (the sixteen children of a large trie's root are
/// independent). Where the root is not a stored branch, or the change would collapse it or
/// leave a child that is not a hashed branch, it computes the one walk [`compute`] does. The
/// result is the same in every case.
pub fn compute_parallel<T, L, F>(
    trie: &mut T,
    leaves: F,
    changed: &PrefixSet,
) -> Result<TrieUpdates, TrieError>
where
    T: TrieCursor,
    L: LeafCursor,
    F: Fn() -> Result<L, TrieError> + Sync,
{
    use rayon::prelude::*;
    let top = if changed.all {
        None
    } else {
        trie.seek(&Nibbles::default())?
    };
    let Some((root_path, root_node)) = top.filter(|(p, _)| p.is_empty()) else {
        return compute(trie, &mut leaves()?, changed);
    };
    let mut steps = Vec::new();
    let mut visited = Vec::new();
    walk(
        trie,
        changed,
        root_path,
        root_node,
        &mut steps,
        &mut visited,
    )?;
    let Some(per_child) = split_by_child(steps) else {
        return compute(trie, &mut leaves()?, changed);
    };
    let children: Vec<Child> = per_child
        .into_par_iter()
        .enumerate()
        .map(|(c, steps)| child_subtree(c as u8, steps, &leaves))
        .collect::<Result<_, _>>()?;
    let Some(updates) = join_root(children, visited) else {
        return compute(trie, &mut leaves()?, changed);
    };
    Ok(updates)
}

/// One root child's part of [`compute_parallel`].
enum Child {
    /// No key under it.
    Empty,
    /// Kept whole: a hashed branch, with or without stored nodes below.
    Kept { hash: B256, stored_below: bool },
    /// Recomputed: its reference in the root, and its nodes (paths from the root).
    Built {
        rlp: alloy_trie::nodes::RlpNode,
        stored: bool,
        updated: Vec<(Nibbles, BranchNodeCompact)>,
    },
}

/// The walk's steps by root child; a feed range running across children is cut at their
/// boundaries. `None` if a step lies at the root itself.
fn split_by_child(steps: Vec<Step>) -> Option<Vec<Vec<Step>>> {
    let mut out: Vec<Vec<Step>> = (0..16).map(|_| Vec::new()).collect();
    for step in steps {
        match step {
            Step::Skip { path, .. } => out[usize::from(path.first()?)].push(step),
            Step::Feed { mut from, until } => loop {
                let c = from.first()?;
                let next = (c < 15).then(|| Nibbles::from_nibbles_unchecked([c + 1]));
                let ends_here = match (&until, &next) {
                    (_, None) => true,
                    (Some(u), Some(n)) => u <= n,
                    (None, Some(_)) => false,
                };
                if ends_here {
                    out[usize::from(c)].push(Step::Feed { from, until });
                    break;
                }
                out[usize::from(c)].push(Step::Feed { from, until: next });
                from = next?;
            },
        }
    }
    Some(out)
}

/// Builds one root child's subtree from its steps, over keys without their first nibble (the
/// subtree at path `[c]` is the trie of those suffixes).
fn child_subtree<L: LeafCursor>(
    c: u8,
    steps: Vec<Step>,
    leaves: &(impl Fn() -> Result<L, TrieError> + Sync),
) -> Result<Child, TrieError> {
    if let [
        Step::Skip {
            path,
            hash,
            stored_below,
        },
    ] = steps.as_slice()
        && path.len() == 1
    {
        return Ok(Child::Kept {
            hash: *hash,
            stored_below: *stored_below,
        });
    }
    let mut cursor = leaves()?;
    let mut hb = HashBuilder::default().with_updates(true);
    let mut last = Nibbles::default();
    let mut any = false;
    for step in steps {
        match step {
            Step::Skip {
                path,
                hash,
                stored_below,
            } => {
                let suffix = path.slice(1..);
                if any && last >= suffix {
                    return Err(corrupt(&path, "leaves out of order around a kept subtree"));
                }
                hb.add_branch(suffix, hash, stored_below);
                last = suffix;
                any = true;
            }
            Step::Feed { from, until } => {
                let mut next = cursor.seek(&padded(&from))?;
                while let Some((key, value)) = &next {
                    let n = Nibbles::unpack(key);
                    if until.is_some_and(|u| n >= u) || n.first() != Some(c) {
                        break;
                    }
                    let suffix = n.slice(1..);
                    if (any && last >= suffix) || value.is_empty() {
                        return Err(corrupt(&n, "leaves out of order, repeated or empty"));
                    }
                    hb.add_leaf(suffix, value);
                    last = suffix;
                    any = true;
                    next = cursor.next()?;
                }
            }
        }
    }
    if !any {
        return Ok(Child::Empty);
    }
    hb.root();
    let rlp = hb
        .stack
        .last()
        .cloned()
        .ok_or_else(|| corrupt(&Nibbles::default(), "hash builder left no root"))?;
    let (_, emitted) = hb.split();
    let mut stored = false;
    let mut updated: Vec<(Nibbles, BranchNodeCompact)> = emitted
        .into_iter()
        .map(|(suffix, mut node)| {
            if suffix.is_empty() {
                stored = true;
                node.root_hash = None;
            }
            let mut path = Nibbles::from_nibbles_unchecked([c]);
            path.extend(&suffix);
            (path, node)
        })
        .collect();
    updated.sort_unstable_by_key(|(p, _)| *p);
    Ok(Child::Built {
        rlp,
        stored,
        updated,
    })
}

/// The root branch over its children's results, or `None` where the shortcut does not hold
/// (fewer than two children left, or a recomputed child that is inline or not a stored
/// branch, whose parent masks the shortcut would not know).
fn join_root(children: Vec<Child>, visited: Vec<Nibbles>) -> Option<TrieUpdates> {
    let mut state = 0u16;
    let mut tree = 0u16;
    let mut hashes = Vec::new();
    let mut refs = Vec::new();
    let mut updated: BTreeMap<Nibbles, BranchNodeCompact> = BTreeMap::new();
    for (c, child) in children.into_iter().enumerate() {
        let bit = 1u16 << c;
        match child {
            Child::Empty => continue,
            Child::Kept { hash, stored_below } => {
                if stored_below {
                    tree |= bit;
                }
                hashes.push(hash);
                refs.push(alloy_trie::nodes::RlpNode::word_rlp(&hash));
            }
            Child::Built {
                rlp,
                stored,
                updated: nodes,
            } => {
                let hash = rlp.as_hash()?;
                if !stored {
                    return None;
                }
                tree |= bit;
                hashes.push(hash);
                refs.push(rlp);
                updated.extend(nodes);
            }
        }
        state |= bit;
    }
    if state.count_ones() < 2 {
        return None;
    }
    let mut buf = Vec::new();
    alloy_trie::nodes::BranchNodeRef::new(&refs, TrieMask::new(state)).rlp(&mut buf);
    let root = alloy_primitives::keccak256(&buf);
    updated.insert(
        Nibbles::default(),
        BranchNodeCompact::new(state, tree, state, hashes, Some(root)),
    );
    let removed = visited
        .into_iter()
        .filter(|p| !updated.contains_key(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(TrieUpdates {
        root,
        updated: updated.into_iter().collect(),
        removed,
    })
}

/// Collects, below a stored node, the subtrees to keep, the leaf ranges to feed and the stored
/// nodes on changed paths. A child the node does not have holds no leaf unless a changed key
/// falls there (a new one); under a child whose stored node sits below an extension, only new
/// keys can lie beside that node.
fn walk<T: TrieCursor>(
    trie: &mut T,
    changed: &PrefixSet,
    path: Nibbles,
    node: BranchNodeCompact,
    steps: &mut Vec<Step>,
    visited: &mut Vec<Nibbles>,
) -> Result<(), TrieError> {
    visited.push(path);
    if path.len() >= 64 {
        return Err(corrupt(&path, "branch node at full key length"));
    }
    for nibble in 0..16u8 {
        let mut child = path;
        child.push(nibble);
        let after = child.increment();
        if !node.state_mask.is_bit_set(nibble) {
            if changed.contains(&child) {
                feed(steps, child, after);
            } else if let Some(Step::Feed { until, .. }) = steps.last_mut()
                && *until == Some(child)
            {
                // Nothing lies there: the open range may run across it.
                *until = after;
            }
        } else if node.hash_mask.is_bit_set(nibble) && !changed.contains(&child) {
            steps.push(Step::Skip {
                path: child,
                hash: node.hash_for_nibble(nibble),
                stored_below: node.tree_mask.is_bit_set(nibble),
            });
        } else if node.tree_mask.is_bit_set(nibble) {
            match trie.seek(&child)? {
                Some((below, n)) if below.starts_with(&child) => {
                    let beside = below != child && changed.contains(&child);
                    if beside {
                        feed(steps, child, Some(below));
                    }
                    walk(trie, changed, below, n, steps, visited)?;
                    if beside && let Some(past) = below.increment() {
                        feed(steps, past, after);
                    }
                }
                _ => {
                    return Err(corrupt(
                        &child,
                        "tree mask names a stored node that is missing",
                    ));
                }
            }
        } else {
            feed(steps, child, after);
        }
    }
    Ok(())
}

/// Every stored path (the trie is rebuilt from its leaves).
fn collect_all<T: TrieCursor>(trie: &mut T, out: &mut Vec<Nibbles>) -> Result<(), TrieError> {
    let mut at = trie.seek(&Nibbles::default())?;
    while let Some((path, _)) = at {
        out.push(path);
        if path.len() >= 64 {
            return Err(corrupt(&path, "branch node at full key length"));
        }
        // Nothing sorts between a path and its first extension.
        let mut next = path;
        next.push(0);
        at = trie.seek(&next)?;
    }
    Ok(())
}

/// The smallest full key that starts with `prefix`.
fn padded(prefix: &Nibbles) -> B256 {
    let mut out = [0u8; 32];
    prefix.pack_to(&mut out);
    B256::from(out)
}

/// A leaf set with changes laid over it: `overlay` (sorted by key, `None` = removed) shadows
/// the same keys of `base`.
pub struct OverlayLeaves<'a, C> {
    base: C,
    overlay: &'a [(B256, Option<Vec<u8>>)],
    /// The base entry read but not yet returned.
    base_next: Option<(B256, Vec<u8>)>,
    at: usize,
}

impl<'a, C: LeafCursor> OverlayLeaves<'a, C> {
    /// `overlay` must be sorted by key, each key once.
    pub fn new(base: C, overlay: &'a [(B256, Option<Vec<u8>>)]) -> Self {
        Self {
            base,
            overlay,
            base_next: None,
            at: 0,
        }
    }

    fn advance(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        loop {
            let over = self.overlay.get(self.at);
            match (over, &self.base_next) {
                (None, None) => return Ok(None),
                (Some((k, v)), base) if base.as_ref().is_none_or(|(b, _)| k <= b) => {
                    if base.as_ref().is_some_and(|(b, _)| b == k) {
                        self.base_next = self.base.next()?;
                    }
                    self.at += 1;
                    if let Some(v) = v {
                        return Ok(Some((*k, v.clone())));
                    }
                }
                _ => {
                    let out = self.base_next.take();
                    self.base_next = self.base.next()?;
                    return Ok(out);
                }
            }
        }
    }
}

impl<C: LeafCursor> LeafCursor for OverlayLeaves<'_, C> {
    fn seek(&mut self, key: &B256) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        self.base_next = self.base.seek(key)?;
        self.at = self.overlay.partition_point(|(k, _)| k < key);
        self.advance()
    }

    fn next(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        self.advance()
    }
}

/// An empty leaf set or stored trie.
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl LeafCursor for Empty {
    fn seek(&mut self, _: &B256) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        Ok(None)
    }
    fn next(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        Ok(None)
    }
}

impl TrieCursor for Empty {
    fn seek(&mut self, _: &Nibbles) -> Result<Option<(Nibbles, BranchNodeCompact)>, TrieError> {
        Ok(None)
    }
}

/// An in-memory stored trie (tests, and tries built whole before they are written).
impl TrieCursor for &BTreeMap<Nibbles, BranchNodeCompact> {
    fn seek(&mut self, path: &Nibbles) -> Result<Option<(Nibbles, BranchNodeCompact)>, TrieError> {
        Ok(self.range(*path..).next().map(|(p, n)| (*p, n.clone())))
    }
}

/// An in-memory leaf set.
pub struct MemLeaves<'a> {
    leaves: &'a BTreeMap<B256, Vec<u8>>,
    at: Option<B256>,
}

impl<'a> MemLeaves<'a> {
    /// Over `leaves`.
    pub fn new(leaves: &'a BTreeMap<B256, Vec<u8>>) -> Self {
        Self { leaves, at: None }
    }
}

impl LeafCursor for MemLeaves<'_> {
    fn seek(&mut self, key: &B256) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let found = self
            .leaves
            .range(*key..)
            .next()
            .map(|(k, v)| (*k, v.clone()));
        self.at = found.as_ref().map(|(k, _)| *k);
        Ok(found)
    }

    fn next(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let Some(at) = self.at else { return Ok(None) };
        let found = self
            .leaves
            .range((std::ops::Bound::Excluded(at), std::ops::Bound::Unbounded))
            .next()
            .map(|(k, v)| (*k, v.clone()));
        self.at = found.as_ref().map(|(k, _)| *k);
        Ok(found)
    }
}

/// The EIP-1186 proof of `key` from retained nodes: the nodes on its path, root first, leaving
/// out nodes under 32 bytes below the root (they sit inline in their parent, as every client's
/// proofs have them).
pub fn proof_path(nodes: &ProofNodes, key: &B256) -> Vec<alloy_primitives::Bytes> {
    nodes
        .matching_nodes_sorted(&Nibbles::unpack(key))
        .into_iter()
        .enumerate()
        .filter(|(i, (_, n))| *i == 0 || n.len() >= 32)
        .map(|(_, (_, n))| n)
        .collect()
}

/// Applies `updates` to an in-memory stored trie.
pub fn apply(stored: &mut BTreeMap<Nibbles, BranchNodeCompact>, updates: &TrieUpdates) {
    for p in &updates.removed {
        stored.remove(p);
    }
    for (p, n) in &updates.updated {
        stored.insert(*p, n.clone());
    }
}

/// The database key of a node path: one byte per nibble, so byte order is path order.
pub fn encode_path(path: &Nibbles) -> Vec<u8> {
    path.to_vec()
}

/// Reads a node path back from its key.
pub fn decode_path(bytes: &[u8]) -> Result<Nibbles, TrieError> {
    if bytes.len() > 64 || bytes.iter().any(|b| *b > 0x0f) {
        return Err(corrupt(&Nibbles::default(), "node path key is not nibbles"));
    }
    Ok(Nibbles::from_nibbles_unchecked(bytes))
}

/// `state_mask ‖ tree_mask ‖ hash_mask` (big-endian u16 each), a root flag byte, the root if
/// present, then one 32-byte hash per bit of the hash mask.
pub fn encode_node(node: &BranchNodeCompact) -> Vec<u8> {
    let mut out = Vec::with_capacity(7 + 32 * (node.hashes.len() + 1));
    out.extend_from_slice(&node.state_mask.get().to_be_bytes());
    out.extend_from_slice(&node.tree_mask.get().to_be_bytes());
    out.extend_from_slice(&node.hash_mask.get().to_be_bytes());
    match &node.root_hash {
        Some(r) => {
            out.push(1);
            out.extend_from_slice(r.as_slice());
        }
        None => out.push(0),
    }
    for h in node.hashes.iter() {
        out.extend_from_slice(h.as_slice());
    }
    out
}

/// Decodes [`encode_node`]'s form, refusing masks that contradict each other.
pub fn decode_node(path: &Nibbles, b: &[u8]) -> Result<BranchNodeCompact, TrieError> {
    let bad = |what| corrupt(path, what);
    if b.len() < 7 {
        return Err(bad("node too short"));
    }
    let mask = |i: usize| TrieMask::new(u16::from_be_bytes([b[i], b[i + 1]]));
    let (state, tree, hash) = (mask(0), mask(2), mask(4));
    let (root, rest) = match b[6] {
        0 => (None, &b[7..]),
        1 if b.len() >= 39 => (Some(B256::from_slice(&b[7..39])), &b[39..]),
        _ => return Err(bad("bad root flag")),
    };
    if !tree.is_subset_of(state) || !hash.is_subset_of(state) || state.count_ones() < 2 {
        return Err(bad("masks contradict each other"));
    }
    if rest.len() != 32 * hash.count_ones() as usize {
        return Err(bad("hash count does not match the hash mask"));
    }
    let hashes = rest.chunks_exact(32).map(B256::from_slice).collect();
    Ok(BranchNodeCompact::new(state, tree, hash, hashes, root))
}

/// The reference root of a leaf set (every leaf through one `HashBuilder`, nothing reused).
pub fn reference_root<'a>(leaves: impl IntoIterator<Item = (&'a B256, &'a Vec<u8>)>) -> B256 {
    let mut hb = HashBuilder::default();
    let mut any = false;
    for (k, v) in leaves {
        hb.add_leaf(Nibbles::unpack(k), v);
        any = true;
    }
    if any { hb.root() } else { EMPTY_ROOT_HASH }
}
