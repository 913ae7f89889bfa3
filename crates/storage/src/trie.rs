//! The state tries on MDBX: cursors over the hashed state (the leaves) and the path-keyed
//! branch-node tables, for `agnt2_trie`'s walk.
//!
//! `HashedAccounts` maps `keccak(address)` to the account's trie leaf value and
//! `HashedStorages` maps `keccak(address) ‖ keccak(slot)` to the slot's, so both iterate in
//! trie order. `AccountsTrie` maps a nibble path (one byte per nibble) to a branch node and
//! `StoragesTrie` maps `keccak(address) ‖ path` to one; a storage trie is the key range under
//! its account's prefix.

use agnt2_trie::{
    BranchNodeCompact, LeafCursor, Nibbles, OverlayLeaves, ProofNodes, TrieCursor, TrieError,
    TrieUpdates,
};
use alloy_primitives::B256;
use libmdbx::{Cursor, NoWriteMap, Transaction, TransactionKind};

use crate::{
    StorageError,
    db::{Tables, changed_keys},
    pending::{OverlayTrie, TrieLayer},
    sealed::{SealedTable, unseal},
};

fn store_err(e: impl std::fmt::Display) -> TrieError {
    TrieError::Store(e.to_string())
}

type RawEntry = Result<Option<(Vec<u8>, Vec<u8>)>, libmdbx::Error>;

/// Leaves of one table (or of one account's range of it, under `prefix`).
pub(crate) struct TableLeaves<'t, K: TransactionKind> {
    cursor: Cursor<'t, K>,
    table: &'static SealedTable,
    prefix: Vec<u8>,
    /// The stored rows do not count (a storage trie a pending block wiped).
    dead: bool,
}

impl<'t, K: TransactionKind> TableLeaves<'t, K> {
    pub(crate) fn new(cursor: Cursor<'t, K>, table: &'static SealedTable, prefix: &[u8]) -> Self {
        Self {
            cursor,
            table,
            prefix: prefix.to_vec(),
            dead: false,
        }
    }

    fn entry(&self, item: RawEntry) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let Some((key, value)) = item.map_err(store_err)? else {
            return Ok(None);
        };
        if self.dead || !key.starts_with(&self.prefix) {
            return Ok(None);
        }
        let value = unseal(self.table.name, &key, value).map_err(store_err)?;
        let rest = &key[self.prefix.len()..];
        if rest.len() != 32 {
            return Err(TrieError::Store(format!(
                "{}: key of {} bytes",
                self.table.name,
                key.len()
            )));
        }
        Ok(Some((B256::from_slice(rest), value)))
    }
}

impl<K: TransactionKind> LeafCursor for TableLeaves<'_, K> {
    fn seek(&mut self, key: &B256) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let full = [&self.prefix[..], key.as_slice()].concat();
        let item = self.cursor.set_range::<Vec<u8>, Vec<u8>>(&full);
        self.entry(item)
    }

    fn next(&mut self) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let item = self.cursor.next::<Vec<u8>, Vec<u8>>();
        self.entry(item)
    }
}

/// Stored branch nodes of one trie table (or of one account's range, under `prefix`).
pub(crate) struct TableTrie<'t, K: TransactionKind> {
    cursor: Cursor<'t, K>,
    table: &'static SealedTable,
    prefix: Vec<u8>,
}

impl<'t, K: TransactionKind> TableTrie<'t, K> {
    pub(crate) fn new(cursor: Cursor<'t, K>, table: &'static SealedTable, prefix: &[u8]) -> Self {
        Self {
            cursor,
            table,
            prefix: prefix.to_vec(),
        }
    }
}

impl<K: TransactionKind> TrieCursor for TableTrie<'_, K> {
    fn seek(&mut self, path: &Nibbles) -> Result<Option<(Nibbles, BranchNodeCompact)>, TrieError> {
        let full = [&self.prefix[..], &agnt2_trie::encode_path(path)].concat();
        let Some((key, value)) = self
            .cursor
            .set_range::<Vec<u8>, Vec<u8>>(&full)
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        if !key.starts_with(&self.prefix) {
            return Ok(None);
        }
        let value = unseal(self.table.name, &key, value).map_err(store_err)?;
        let path = agnt2_trie::decode_path(&key[self.prefix.len()..])?;
        Ok(Some((path, agnt2_trie::decode_node(&path, &value)?)))
    }
}

/// The key of a stored node: the trie's prefix (empty for the account trie) and the path.
pub(crate) fn node_key(prefix: &[u8], path: &Nibbles) -> Vec<u8> {
    [prefix, &agnt2_trie::encode_path(path)].concat()
}

/// A trie's node and leaf cursors with the pending blocks' changes laid over the stored rows.
pub(crate) type PendingCursors<'t, 'p, K> = (
    OverlayTrie<'p, TableTrie<'t, K>>,
    OverlayLeaves<'p, TableLeaves<'t, K>>,
);

/// One state trie on disk: the account trie, or the storage trie of the account with this
/// hashed address.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StateTrie {
    Accounts,
    Storage(B256),
}

impl StateTrie {
    /// Its node table, leaf table and key prefix.
    fn parts(&self, t: &'static Tables) -> (&'static SealedTable, &'static SealedTable, &[u8]) {
        match self {
            Self::Accounts => (&t.accounts_trie, &t.hashed_accounts, &[]),
            Self::Storage(hashed) => (&t.storages_trie, &t.hashed_storages, hashed.as_slice()),
        }
    }

    /// Its nodes and leaves as of the head: the stored ones read in `txn`, with the pending
    /// blocks' changes (`pending`) laid over them.
    pub(crate) fn cursors<'t, 'p, K: TransactionKind>(
        &self,
        txn: &'t Transaction<'static, K, NoWriteMap>,
        t: &'static Tables,
        pending: &'p TrieLayer,
    ) -> Result<PendingCursors<'t, 'p, K>, StorageError> {
        let (nodes, leaves, prefix) = self.parts(t);
        let mut stored = TableLeaves::new(txn.cursor(&leaves.table)?, leaves, prefix);
        stored.dead = pending.wiped;
        Ok((
            OverlayTrie::new(
                TableTrie::new(txn.cursor(&nodes.table)?, nodes, prefix),
                pending,
            ),
            OverlayLeaves::new(stored, &pending.leaves),
        ))
    }

    /// Walks it with `overlay` (sorted leaf changes, `None`: removed) laid over its leaves as
    /// of the head, every overlay key counted as changed, retaining the proof nodes of
    /// `targets`.
    pub(crate) fn walk<K: TransactionKind>(
        &self,
        txn: &Transaction<'static, K, NoWriteMap>,
        t: &'static Tables,
        pending: &TrieLayer,
        overlay: &[(B256, Option<Vec<u8>>)],
        targets: &[B256],
    ) -> Result<(TrieUpdates, ProofNodes), StorageError> {
        let (mut nodes, leaves) = self.cursors(txn, t, pending)?;
        let mut leaves = OverlayLeaves::new(leaves, overlay);
        let changed = changed_keys(overlay);
        Ok(if targets.is_empty() {
            (
                agnt2_trie::compute(&mut nodes, &mut leaves, &changed)?,
                ProofNodes::default(),
            )
        } else {
            agnt2_trie::compute_with_proofs(&mut nodes, &mut leaves, &changed, targets)?
        })
    }
}
