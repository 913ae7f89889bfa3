//! Blocks that are sealed but whose state is not persisted yet: the in-memory overlay every
//! read goes through, and the trie layers the next block's root is computed over.
//!
//! A block is made durable in two steps (see `write.rs`): its header, body, receipts and its
//! state changes (the journal, `PendingState`) are written in one small append-only write, and
//! the block joins the [`PendingView`]; a background thread then writes its plain state,
//! change sets, history index, hashed state and trie nodes, and drops it from the view. Reads
//! see "the persisted state, then the pending blocks newest first". A view may still hold
//! blocks the tables already have (the persister drops them from the view right after its
//! commit): that is harmless, because every key such a block touched is answered by the view
//! with the newest value, and every other key has the same value in the tables at any of
//! those heights.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use agnt2_trie::{BranchNodeCompact, Nibbles, TrieCursor, TrieError};
use alloy_primitives::{Address, B256, Bytes, U256};

use crate::{CommittedBlock, StoredAccount, TrieOutput};

/// One sealed block whose state is not in the tables yet.
#[derive(Debug)]
pub(crate) struct PendingBlock {
    pub number: u64,
    /// The block, its receipts and its state changes.
    pub block: CommittedBlock,
    pub trie: TrieOutput,
    accounts: HashMap<Address, Option<StoredAccount>>,
    codes: HashMap<B256, Bytes>,
    tx_index: HashMap<B256, u32>,
}

impl PendingBlock {
    pub fn new(block: CommittedBlock, trie: TrieOutput) -> Self {
        let accounts = trie.accounts.iter().copied().collect();
        let codes = block
            .changes
            .values()
            .filter_map(|c| c.info.as_ref())
            .filter_map(|i| i.code.as_ref().map(|code| (i.code_hash, code.clone())))
            .collect();
        let tx_index = block
            .block
            .transactions
            .iter()
            .enumerate()
            .map(|(i, t)| (t.hash, i as u32))
            .collect();
        Self {
            number: block.block.number(),
            block,
            trie,
            accounts,
            codes,
            tx_index,
        }
    }
}

/// A leaf or node change list, sorted by key; `None` removes.
pub(crate) type Layer<K, V> = Vec<(K, Option<V>)>;

/// One trie's pending changes, merged over the pending blocks.
#[derive(Debug, Default)]
pub(crate) struct TrieLayer {
    /// The stored rows do not count (the storage was wiped by a pending block).
    pub wiped: bool,
    pub leaves: Layer<B256, Vec<u8>>,
    pub nodes: Layer<Nibbles, BranchNodeCompact>,
}

/// No pending changes.
pub(crate) static NO_LAYER: TrieLayer = TrieLayer {
    wiped: false,
    leaves: Vec::new(),
    nodes: Vec::new(),
};

/// The trie layers of a view, built on first use.
#[derive(Debug, Default)]
pub(crate) struct MergedTries {
    pub accounts: TrieLayer,
    pub storage: HashMap<B256, TrieLayer>,
}

/// The pending blocks as one immutable snapshot: `blocks` are consecutive, oldest first, and
/// the newest is `head`.
#[derive(Debug, Default)]
pub(crate) struct PendingView {
    /// The head block (the tables' `head` when this view was made).
    pub head: Option<u64>,
    pub blocks: Vec<Arc<PendingBlock>>,
    merged: OnceLock<MergedTries>,
}

impl PendingView {
    pub fn empty(head: Option<u64>) -> Self {
        Self {
            head,
            blocks: Vec::new(),
            merged: OnceLock::new(),
        }
    }

    /// This view with `block` appended as the new head.
    pub fn with(&self, block: Arc<PendingBlock>) -> Self {
        debug_assert_eq!(self.head.map_or(0, |h| h + 1), block.number);
        let mut blocks = self.blocks.clone();
        let head = Some(block.number);
        blocks.push(block);
        Self {
            head,
            blocks,
            merged: OnceLock::new(),
        }
    }

    /// This view without `persisted` (the very blocks, not their numbers: after an unwind a
    /// new block may carry the number of one the persister wrote before it).
    pub fn without(&self, persisted: &[Arc<PendingBlock>]) -> Self {
        Self {
            head: self.head,
            blocks: self
                .blocks
                .iter()
                .filter(|b| !persisted.iter().any(|p| Arc::ptr_eq(p, b)))
                .cloned()
                .collect(),
            merged: OnceLock::new(),
        }
    }

    /// The view of the state after block `number` (blocks above it left out).
    pub fn prefix(&self, number: u64) -> Self {
        Self {
            head: Some(number),
            blocks: self
                .blocks
                .iter()
                .filter(|b| b.number <= number)
                .cloned()
                .collect(),
            merged: OnceLock::new(),
        }
    }

    pub fn block(&self, number: u64) -> Option<&Arc<PendingBlock>> {
        let first = self.blocks.first()?.number;
        self.blocks
            .get(usize::try_from(number.checked_sub(first)?).ok()?)
    }

    /// The account as the pending blocks left it (`Some(None)`: removed), or `None` when no
    /// pending block touched it.
    pub fn account(&self, address: &Address) -> Option<Option<StoredAccount>> {
        self.blocks
            .iter()
            .rev()
            .find_map(|b| b.accounts.get(address).copied())
    }

    /// The slot as the pending blocks left it, or `None` when no pending block decided it.
    pub fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        self.blocks.iter().rev().find_map(|b| {
            let change = b.block.changes.get(address)?;
            if change.info.is_none() {
                // Removed: its storage went with it (what the tables write).
                return Some(U256::ZERO);
            }
            match change.storage.get(slot) {
                Some(v) => Some(*v),
                None if change.wipe_storage => Some(U256::ZERO),
                None => None,
            }
        })
    }

    pub fn code(&self, code_hash: &B256) -> Option<Bytes> {
        self.blocks
            .iter()
            .rev()
            .find_map(|b| b.codes.get(code_hash).cloned())
    }

    /// The pending block with this hash.
    pub fn by_hash(&self, hash: &B256) -> Option<&Arc<PendingBlock>> {
        self.blocks.iter().find(|b| b.block.block.hash == *hash)
    }

    pub fn tx_location(&self, hash: &B256) -> Option<(u64, u32)> {
        self.blocks
            .iter()
            .find_map(|b| b.tx_index.get(hash).map(|i| (b.number, *i)))
    }

    /// The pending changes of the tries, merged over the blocks (newest wins).
    pub fn tries(&self) -> &MergedTries {
        self.merged.get_or_init(|| merge_tries(&self.blocks))
    }
}

fn merge_tries(blocks: &[Arc<PendingBlock>]) -> MergedTries {
    let mut out = MergedTries::default();
    for b in blocks {
        out.accounts.leaves = merge_sorted(
            std::mem::take(&mut out.accounts.leaves),
            &b.trie.hashed_accounts,
        );
        out.accounts.nodes = merge_sorted(
            std::mem::take(&mut out.accounts.nodes),
            &node_changes(&b.trie.account_trie),
        );
        for st in &b.trie.storage_tries {
            let layer = out.storage.entry(st.hashed_address).or_default();
            if st.wiped {
                *layer = TrieLayer {
                    wiped: true,
                    ..Default::default()
                };
            }
            layer.leaves = merge_sorted(std::mem::take(&mut layer.leaves), &st.leaves);
            layer.nodes =
                merge_sorted(std::mem::take(&mut layer.nodes), &node_changes(&st.updates));
        }
    }
    out
}

/// A block's node writes as one sorted change list.
fn node_changes(u: &agnt2_trie::TrieUpdates) -> Layer<Nibbles, BranchNodeCompact> {
    let removed: Layer<Nibbles, BranchNodeCompact> = u.removed.iter().map(|p| (*p, None)).collect();
    let updated: Layer<Nibbles, BranchNodeCompact> = u
        .updated
        .iter()
        .map(|(p, n)| (*p, Some(n.clone())))
        .collect();
    merge_sorted(removed, &updated)
}

/// Two sorted change lists as one, `newer` winning on equal keys.
fn merge_sorted<K: Ord + Copy, V: Clone>(
    older: Layer<K, V>,
    newer: &[(K, Option<V>)],
) -> Layer<K, V> {
    if older.is_empty() {
        return newer.to_vec();
    }
    let mut out = Vec::with_capacity(older.len() + newer.len());
    let mut new = newer.iter().peekable();
    for (k, v) in older {
        while let Some((nk, nv)) = new.next_if(|(nk, _)| *nk < k) {
            out.push((*nk, nv.clone()));
        }
        match new.next_if(|(nk, _)| *nk == k) {
            Some((nk, nv)) => out.push((*nk, nv.clone())),
            None => out.push((k, v)),
        }
    }
    out.extend(new.map(|(k, v)| (*k, v.clone())));
    out
}

/// Stored branch nodes with pending node changes laid over them.
pub(crate) struct OverlayTrie<'a, C> {
    base: C,
    /// The stored nodes do not count (a wiped storage trie).
    base_dead: bool,
    overlay: &'a [(Nibbles, Option<BranchNodeCompact>)],
}

impl<'a, C> OverlayTrie<'a, C> {
    pub fn new(base: C, layer: &'a TrieLayer) -> Self {
        Self {
            base,
            base_dead: layer.wiped,
            overlay: &layer.nodes,
        }
    }
}

impl<C: TrieCursor> TrieCursor for OverlayTrie<'_, C> {
    fn seek(&mut self, path: &Nibbles) -> Result<Option<(Nibbles, BranchNodeCompact)>, TrieError> {
        let mut from = *path;
        loop {
            let base = if self.base_dead {
                None
            } else {
                self.base.seek(&from)?
            };
            let at = self.overlay.partition_point(|(k, _)| *k < from);
            match self.overlay.get(at) {
                Some((k, v)) if base.as_ref().is_none_or(|(b, _)| k <= b) => match v {
                    Some(node) => return Ok(Some((*k, node.clone()))),
                    // Removed: the next path in order is its first extension.
                    None if k.len() < 64 => {
                        from = *k;
                        from.push(0);
                    }
                    None => return Err(TrieError::Store("a branch path of 64 nibbles".into())),
                },
                _ => return Ok(base),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn newer_changes_win_and_keep_the_order() {
        let older: Layer<u8, u8> = vec![(1, Some(1)), (3, Some(3)), (5, None)];
        let newer: Layer<u8, u8> = vec![
            (0, Some(0)),
            (3, None),
            (4, Some(4)),
            (5, Some(5)),
            (9, None),
        ];
        assert_eq!(
            merge_sorted(older, &newer),
            vec![
                (0, Some(0)),
                (1, Some(1)),
                (3, None),
                (4, Some(4)),
                (5, Some(5)),
                (9, None)
            ]
        );
    }

    fn node(mask: u16) -> BranchNodeCompact {
        BranchNodeCompact::new(mask, 0, 0, Vec::new(), None)
    }

    /// The overlay cursor gives exactly what the stored map with the changes applied gives,
    /// from every seek position, removals included.
    #[test]
    fn the_overlay_cursor_equals_the_changed_map() {
        let path = |n: &[u8]| Nibbles::from_nibbles(n);
        let stored: BTreeMap<Nibbles, BranchNodeCompact> = [
            (path(&[]), node(3)),
            (path(&[1]), node(3)),
            (path(&[1, 2]), node(3)),
            (path(&[2]), node(3)),
            (path(&[4, 4]), node(3)),
        ]
        .into_iter()
        .collect();
        let layer = TrieLayer {
            wiped: false,
            leaves: Vec::new(),
            nodes: vec![
                (path(&[1]), None),
                (path(&[1, 2]), None),
                (path(&[1, 3]), Some(node(5))),
                (path(&[3]), None),
                (path(&[4, 4]), None),
            ],
        };
        let mut expected = stored.clone();
        for (p, v) in &layer.nodes {
            match v {
                Some(n) => {
                    expected.insert(*p, n.clone());
                }
                None => {
                    expected.remove(p);
                }
            }
        }
        let seeks = [
            path(&[]),
            path(&[0]),
            path(&[1]),
            path(&[1, 2]),
            path(&[1, 2, 0]),
            path(&[2]),
            path(&[3]),
            path(&[4]),
            path(&[5]),
        ];
        for s in seeks {
            let mut cursor = OverlayTrie::new(&stored, &layer);
            let got = cursor.seek(&s).unwrap();
            let want = expected.range(s..).next().map(|(p, n)| (*p, n.clone()));
            assert_eq!(got, want, "seek {s:?}");
        }
        let wiped = TrieLayer {
            wiped: true,
            ..Default::default()
        };
        assert_eq!(
            OverlayTrie::new(&stored, &wiped).seek(&path(&[])).unwrap(),
            None
        );
    }

    #[test]
    fn state_changes_round_trip_through_the_journal_encoding() {
        let mut changes = crate::StateChanges::new();
        changes.insert(
            Address::repeat_byte(1),
            crate::AccountChange {
                info: Some(crate::AccountUpdate {
                    nonce: 3,
                    balance: U256::from(10u64),
                    code_hash: B256::repeat_byte(9),
                    code: Some(Bytes::from_static(&[0x60, 0x00])),
                }),
                storage: [(U256::from(1u64), U256::from(2u64))].into_iter().collect(),
                wipe_storage: true,
            },
        );
        changes.insert(Address::repeat_byte(2), crate::AccountChange::default());
        let bytes = crate::codec::encode_changes(&changes);
        assert_eq!(crate::codec::decode_changes(&bytes).unwrap(), changes);
        assert!(crate::codec::decode_changes(&bytes[..bytes.len() - 1]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(crate::codec::decode_changes(&extra).is_err());
    }
}
