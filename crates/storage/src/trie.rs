//! The state tries on MDBX: cursors over the hashed state (the leaves) and the path-keyed
//! branch-node tables, for `agnt2_trie`'s walk.
//!
//! `HashedAccounts` maps `keccak(address)` to the account's trie leaf value and
//! `HashedStorages` maps `keccak(address) ‖ keccak(slot)` to the slot's, so both iterate in
//! trie order. `AccountsTrie` maps a nibble path (one byte per nibble) to a branch node and
//! `StoragesTrie` maps `keccak(address) ‖ path` to one; a storage trie is the key range under
//! its account's prefix.

use agnt2_trie::{BranchNodeCompact, LeafCursor, Nibbles, TrieCursor, TrieError};
use alloy_primitives::B256;
use libmdbx::{Cursor, TransactionKind};

use crate::sealed::{SealedTable, unseal};

fn store_err(e: impl std::fmt::Display) -> TrieError {
    TrieError::Store(e.to_string())
}

type RawEntry = Result<Option<(Vec<u8>, Vec<u8>)>, libmdbx::Error>;

/// Leaves of one table (or of one account's range of it, under `prefix`).
pub(crate) struct TableLeaves<'t, K: TransactionKind> {
    cursor: Cursor<'t, K>,
    table: &'static SealedTable,
    prefix: Vec<u8>,
}

impl<'t, K: TransactionKind> TableLeaves<'t, K> {
    pub(crate) fn new(cursor: Cursor<'t, K>, table: &'static SealedTable, prefix: &[u8]) -> Self {
        Self {
            cursor,
            table,
            prefix: prefix.to_vec(),
        }
    }

    fn entry(&self, item: RawEntry) -> Result<Option<(B256, Vec<u8>)>, TrieError> {
        let Some((key, value)) = item.map_err(store_err)? else {
            return Ok(None);
        };
        if !key.starts_with(&self.prefix) {
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
