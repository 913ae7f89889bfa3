//! Loading a large genesis state: millions of plain accounts written in key order, with the
//! account trie built in the same pass, in memory that does not follow the state's size beyond
//! a 40-byte sort entry per account.
//!
//! The accounts are loaded into an empty datadir before its genesis block; the genesis block
//! is then committed as any block is (its own allocation as the change set), so the stored trie
//! the load leaves behind is walked like any other.

use alloy_primitives::{Address, B256, keccak256};
use alloy_trie::{HashBuilder, Nibbles};
use libmdbx::WriteFlags;
use rayon::prelude::*;

use crate::{Database, StorageError, StoredAccount, db::META_HEAD, sealed};

/// Accounts written per write transaction.
const CHUNK: usize = 1 << 20;

impl Database {
    /// Loads `count` accounts, the `i`-th being `account(i)` (no code, no storage: the storage
    /// root must be empty), into a datadir that has no blocks and no state yet. Returns the
    /// root of the accounts loaded. `account` is called twice per index (once to sort by hashed
    /// address, once to write), so it should be cheap and deterministic.
    pub fn bulk_load_accounts(
        &self,
        count: u64,
        account: impl Fn(u64) -> (Address, StoredAccount) + Sync,
    ) -> Result<B256, StorageError> {
        let t = self.tables();
        {
            let txn = self.ro()?;
            let empty = txn.get::<Vec<u8>>(&t.meta.table, META_HEAD)?.is_none()
                && self.shared().view().head.is_none()
                && txn.table_stat(&t.hashed_accounts.table)?.entries() == 0;
            if !empty {
                return Err(StorageError::Corrupt(
                    "bulk load needs a datadir without blocks or state",
                ));
            }
        }
        let order = trie_order(
            count,
            |i| keccak256(account(i).0),
            "an address appears twice",
        )?;
        let mut hb = HashBuilder::default().with_updates(true);
        for chunk in order.chunks(CHUNK) {
            let rows: Vec<(B256, Address, StoredAccount)> = chunk
                .par_iter()
                .map(|(h, i)| {
                    let (a, acct) = account(*i);
                    (*h, a, acct)
                })
                .collect();
            let txn = self.env().begin_rw_txn()?;
            for (hashed, _, acct) in &rows {
                let leaf = acct.trie_rlp();
                let key = hashed.as_slice();
                txn.put(
                    &t.hashed_accounts.table,
                    key,
                    sealed::seal(t.hashed_accounts.name, key, &leaf),
                    WriteFlags::APPEND,
                )?;
                hb.add_leaf(Nibbles::unpack(hashed), &leaf);
            }
            let mut plain: Vec<_> = rows.iter().map(|(_, a, acct)| (*a, *acct)).collect();
            plain.par_sort_unstable_by_key(|e| e.0);
            for (address, acct) in &plain {
                sealed::put(&txn, &t.plain_accounts, address.as_slice(), &acct.encode())?;
            }
            write_emitted(&txn, &t.accounts_trie, &[], &mut hb)?;
            txn.commit()?;
        }
        let root = if count == 0 {
            crate::EMPTY_ROOT
        } else {
            hb.root()
        };
        let txn = self.env().begin_rw_txn()?;
        write_emitted(&txn, &t.accounts_trie, &[], &mut hb)?;
        txn.commit()?;
        tracing::info!(accounts = count, %root, "bulk-loaded accounts");
        Ok(root)
    }
}

impl Database {
    /// Loads `count` storage slots of `address` (the `i`-th being `slot(i)`: key and non-zero
    /// value) before the genesis block, as [`Database::bulk_load_accounts`] loads accounts; the
    /// account itself comes with the genesis allocation, whose own slots of it are laid over
    /// these. Returns the storage root of the slots loaded.
    pub fn bulk_load_storage(
        &self,
        address: Address,
        count: u64,
        slot: impl Fn(u64) -> (alloy_primitives::U256, alloy_primitives::U256) + Sync,
    ) -> Result<B256, StorageError> {
        let t = self.tables();
        let hashed_address = keccak256(address);
        {
            let txn = self.ro()?;
            let mut cursor = txn.cursor(&t.hashed_storages.table)?;
            let taken = txn.get::<Vec<u8>>(&t.meta.table, META_HEAD)?.is_some()
                || self.shared().view().head.is_some()
                || cursor
                    .set_range::<Vec<u8>, ()>(hashed_address.as_slice())?
                    .is_some_and(|(k, ())| k.starts_with(hashed_address.as_slice()));
            if taken {
                return Err(StorageError::Corrupt(
                    "bulk load needs a datadir without blocks, and an account without storage",
                ));
            }
        }
        let order = trie_order(
            count,
            |i| keccak256(slot(i).0.to_be_bytes::<32>()),
            "a slot appears twice",
        )?;
        let mut hb = HashBuilder::default().with_updates(true);
        for chunk in order.chunks(CHUNK) {
            let rows: Vec<_> = chunk
                .par_iter()
                .map(|(h, i)| {
                    let (k, v) = slot(*i);
                    (*h, k, v)
                })
                .collect();
            let txn = self.env().begin_rw_txn()?;
            for (hashed, _, value) in &rows {
                let leaf = crate::codec::storage_trie_value(*value);
                let key = [hashed_address.as_slice(), hashed.as_slice()].concat();
                txn.put(
                    &t.hashed_storages.table,
                    &key,
                    sealed::seal(t.hashed_storages.name, &key, &leaf),
                    WriteFlags::UPSERT,
                )?;
                hb.add_leaf(Nibbles::unpack(hashed), &leaf);
            }
            let mut plain: Vec<_> = rows.iter().map(|(_, k, v)| (*k, *v)).collect();
            plain.par_sort_unstable_by_key(|e| e.0);
            for (k, v) in &plain {
                sealed::put(
                    &txn,
                    &t.plain_storage,
                    &crate::state::storage_key(&address, k),
                    &v.to_be_bytes::<32>(),
                )?;
            }
            write_emitted(&txn, &t.storages_trie, hashed_address.as_slice(), &mut hb)?;
            txn.commit()?;
        }
        let root = if count == 0 {
            crate::EMPTY_ROOT
        } else {
            hb.root()
        };
        let txn = self.env().begin_rw_txn()?;
        write_emitted(&txn, &t.storages_trie, hashed_address.as_slice(), &mut hb)?;
        txn.commit()?;
        tracing::info!(%address, slots = count, %root, "bulk-loaded storage");
        Ok(root)
    }
}

/// The indices `0..count` by their hashed key (trie order), refusing a key that repeats.
fn trie_order(
    count: u64,
    hashed: impl Fn(u64) -> B256 + Sync,
    repeated: &'static str,
) -> Result<Vec<(B256, u64)>, StorageError> {
    let mut order: Vec<(B256, u64)> = (0..count).into_par_iter().map(|i| (hashed(i), i)).collect();
    order.par_sort_unstable_by_key(|e| e.0);
    if order.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(StorageError::Corrupt(repeated));
    }
    Ok(order)
}

/// Writes the branch nodes the builder has finished so far (it never emits a node twice).
fn write_emitted(
    txn: &libmdbx::Transaction<'static, libmdbx::RW, libmdbx::NoWriteMap>,
    table: &sealed::SealedTable,
    prefix: &[u8],
    hb: &mut HashBuilder,
) -> Result<(), StorageError> {
    let Some(emitted) = hb.updated_branch_nodes.as_mut() else {
        return Ok(());
    };
    let mut nodes: Vec<_> = emitted.drain().collect();
    nodes.sort_unstable_by_key(|e| e.0);
    crate::write::put_nodes(txn, table, prefix, &nodes)
}
