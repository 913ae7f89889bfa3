//! State reads (latest and historical) and the change set a block hands to storage.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use libmdbx::{NoWriteMap, RO, Transaction};

use agnt2_storage_api::{ProviderError, StateProvider};

use crate::{
    EMPTY_ROOT, StorageError, StoredAccount, codec,
    db::Tables,
    pending::{NO_LAYER, PendingView},
    sealed::{SealedRead, SealedTable, unseal},
    trie::StateTrie,
};

/// An EIP-1186 proof: the account proof nodes, and one node list per requested slot.
pub type AccountProof = (Vec<Vec<u8>>, Vec<Vec<Vec<u8>>>);

/// The head state, read from the plain tables inside one MDBX read transaction.
pub struct LatestState {
    pub(crate) txn: Transaction<'static, RO, NoWriteMap>,
    pub(crate) tables: &'static Tables,
    pub(crate) root: B256,
    /// Blocks whose state is not in the tables yet, read first.
    pub(crate) pending: Arc<PendingView>,
}

impl std::fmt::Debug for LatestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatestState")
            .field("root", &self.root)
            .finish()
    }
}

pub(crate) fn storage_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

pub(crate) fn read_code(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
    code_hash: &B256,
) -> Result<Option<Bytes>, StorageError> {
    Ok(txn
        .sealed(&tables.bytecodes, code_hash.as_slice())?
        .map(Bytes::from))
}

pub(crate) fn read_block_hash(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
    number: u64,
) -> Result<Option<B256>, StorageError> {
    Ok(txn
        .sealed_array::<32>(&tables.canonical_hashes, &number.to_be_bytes())?
        .map(B256::from))
}

/// A block hash from the pending blocks, else the tables.
fn block_hash_in(
    pending: &PendingView,
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
    number: u64,
) -> Result<Option<B256>, StorageError> {
    match pending.block(number) {
        Some(p) => Ok(Some(p.block.block.hash)),
        None => read_block_hash(txn, tables, number),
    }
}

impl StateProvider for LatestState {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        if let Some(a) = self.pending.account(address) {
            return Ok(a);
        }
        match self
            .txn
            .sealed(&self.tables.plain_accounts, address.as_slice())?
        {
            Some(v) => Ok(Some(StoredAccount::decode(&v)?)),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        if let Some(v) = self.pending.storage(address, slot) {
            return Ok(v);
        }
        let key = storage_key(address, slot);
        Ok(self
            .txn
            .sealed(&self.tables.plain_storage, &key)?
            .map(|v| U256::from_be_slice(&v))
            .unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        if let Some(code) = self.pending.code(code_hash) {
            return Ok(Some(code));
        }
        Ok(read_code(&self.txn, self.tables, code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        Ok(block_hash_in(
            &self.pending,
            &self.txn,
            self.tables,
            number,
        )?)
    }

    fn state_root(&self) -> B256 {
        self.root
    }
}

/// The state after some block, read through the change sets of the blocks after it: the
/// value a key had after block `n` is the "before" value recorded by the first block above `n`
/// that changed it (found through the history index), or its current value if none did.
pub struct HistoricalState {
    pub(crate) txn: Transaction<'static, RO, NoWriteMap>,
    pub(crate) tables: &'static Tables,
    pub(crate) root: B256,
    pub(crate) block_number: u64,
    /// The block the tables' plain state is at inside `txn` (history reads below it go
    /// through the change sets).
    pub(crate) head: u64,
    /// The block the tables' tries are at (their `head`; one below `head` while a block is
    /// half written).
    pub(crate) tries_head: u64,
    /// For a block at or above `head`: the pending blocks up to it, read first.
    pub(crate) pending: Arc<PendingView>,
}

impl std::fmt::Debug for HistoricalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoricalState")
            .field("block", &self.block_number)
            .field("root", &self.root)
            .finish()
    }
}

/// The first block above `after` that the history index `table` lists under `key`.
fn first_change_after(
    txn: &Transaction<'static, RO, NoWriteMap>,
    table: &SealedTable,
    key: &[u8],
    after: u64,
) -> Result<Option<u64>, StorageError> {
    let Some(from) = after.checked_add(1) else {
        return Ok(None);
    };
    let mut cursor = txn.cursor(&table.table)?;
    let seek = [key, &from.to_be_bytes()].concat();
    match cursor.set_range::<Vec<u8>, ()>(&seek)? {
        Some((found, ())) if found.len() == key.len() + 8 && found.starts_with(key) => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&found[key.len()..]);
            Ok(Some(u64::from_be_bytes(n)))
        }
        _ => Ok(None),
    }
}

impl HistoricalState {
    fn latest(&self) -> bool {
        self.block_number >= self.head
    }

    fn account_at(&self, address: &Address) -> Result<Option<StoredAccount>, StorageError> {
        if !self.latest()
            && let Some(b) = first_change_after(
                &self.txn,
                &self.tables.accounts_history,
                address.as_slice(),
                self.block_number,
            )?
        {
            let key = [&b.to_be_bytes()[..], address.as_slice()].concat();
            let prev = self
                .txn
                .sealed(&self.tables.account_changesets, &key)?
                .ok_or(StorageError::Corrupt(
                    "history index names a missing change set",
                ))?;
            return if prev.is_empty() {
                Ok(None)
            } else {
                Ok(Some(StoredAccount::decode(&prev)?))
            };
        }
        if let Some(a) = self.pending.account(address) {
            return Ok(a);
        }
        match self
            .txn
            .sealed(&self.tables.plain_accounts, address.as_slice())?
        {
            Some(v) => Ok(Some(StoredAccount::decode(&v)?)),
            None => Ok(None),
        }
    }

    fn storage_at(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        let key = storage_key(address, slot);
        if !self.latest()
            && let Some(b) = first_change_after(
                &self.txn,
                &self.tables.storages_history,
                &key,
                self.block_number,
            )?
        {
            let prev = self
                .txn
                .sealed(
                    &self.tables.storage_changesets,
                    &[&b.to_be_bytes()[..], &key].concat(),
                )?
                .ok_or(StorageError::Corrupt(
                    "history index names a missing change set",
                ))?;
            return Ok(U256::from_be_slice(&prev));
        }
        if let Some(v) = self.pending.storage(address, slot) {
            return Ok(v);
        }
        Ok(self
            .txn
            .sealed(&self.tables.plain_storage, &key)?
            .map(|v| U256::from_be_slice(&v))
            .unwrap_or_default())
    }

    /// What the tries' leaves were after this block, where they differ from the head: the
    /// account leaves, and the storage leaves of `address`. Read from the change sets of
    /// every later block (the earliest one's "before" value wins).
    fn reverts(&self, address: &Address) -> Result<(Leaves, Leaves), StorageError> {
        let mut accounts: BTreeMap<B256, Option<Vec<u8>>> = BTreeMap::new();
        let mut slots: BTreeMap<B256, Option<Vec<u8>>> = BTreeMap::new();
        let mut account_sets = self.txn.cursor(&self.tables.account_changesets.table)?;
        let mut storage_sets = self.txn.cursor(&self.tables.storage_changesets.table)?;
        for b in self.block_number + 1..=self.tries_head {
            let num = b.to_be_bytes();
            let cursor = &mut account_sets;
            let mut entry = cursor.set_range::<Vec<u8>, Vec<u8>>(&num)?;
            while let Some((key, value)) = entry {
                if !key.starts_with(&num) {
                    break;
                }
                let prev = unseal(self.tables.account_changesets.name, &key, value)?;
                let hashed = keccak256(&key[8..]);
                if let std::collections::btree_map::Entry::Vacant(v) = accounts.entry(hashed) {
                    v.insert(if prev.is_empty() {
                        None
                    } else {
                        Some(StoredAccount::decode(&prev)?.trie_rlp())
                    });
                }
                entry = cursor.next::<Vec<u8>, Vec<u8>>()?;
            }
            let prefix = [&num[..], address.as_slice()].concat();
            let cursor = &mut storage_sets;
            let mut entry = cursor.set_range::<Vec<u8>, Vec<u8>>(&prefix)?;
            while let Some((key, value)) = entry {
                if !key.starts_with(&prefix) {
                    break;
                }
                let prev = unseal(self.tables.storage_changesets.name, &key, value)?;
                let hashed = keccak256(&key[28..]);
                slots.entry(hashed).or_insert_with(|| {
                    let v = U256::from_be_slice(&prev);
                    (!v.is_zero()).then(|| codec::storage_trie_value(v))
                });
                entry = cursor.next::<Vec<u8>, Vec<u8>>()?;
            }
        }
        Ok((accounts.into_iter().collect(), slots.into_iter().collect()))
    }

    /// The EIP-1186 account proof and the storage proofs for `slots`, built by walking the
    /// stored tries with this block's leaves laid over the head's; both roots are checked
    /// against what this block committed to.
    pub fn proof(&self, address: &Address, slots: &[B256]) -> Result<AccountProof, StorageError> {
        let t = self.tables;
        let (accounts, storage) = if self.block_number >= self.tries_head {
            (Vec::new(), Vec::new())
        } else {
            self.reverts(address)?
        };
        let hashed = keccak256(address);
        let tries = self.pending.tries();
        let (updates, nodes) =
            StateTrie::Accounts.walk(&self.txn, t, &tries.accounts, &accounts, &[hashed])?;
        if updates.root != self.root {
            return Err(StorageError::Corrupt(
                "the account trie does not give the block's state root",
            ));
        }
        let account_proof = path_nodes(&nodes, &hashed);
        let storage_root = self
            .account_at(address)?
            .map(|a| a.storage_root)
            .unwrap_or(EMPTY_ROOT);
        let hashed_slots: Vec<B256> = slots.iter().map(keccak256).collect();
        let layer = tries.storage.get(&hashed).unwrap_or(&NO_LAYER);
        let (updates, nodes) =
            StateTrie::Storage(hashed).walk(&self.txn, t, layer, &storage, &hashed_slots)?;
        if updates.root != storage_root {
            return Err(StorageError::Corrupt(
                "the storage trie does not give the account's storage root",
            ));
        }
        let storage_proofs = hashed_slots.iter().map(|h| path_nodes(&nodes, h)).collect();
        Ok((account_proof, storage_proofs))
    }
}

type Leaves = Vec<(B256, Option<Vec<u8>>)>;

/// The proof nodes on the path to `key`, root first.
fn path_nodes(nodes: &agnt2_trie::ProofNodes, key: &B256) -> Vec<Vec<u8>> {
    agnt2_trie::proof_path(nodes, key)
        .into_iter()
        .map(|n| n.to_vec())
        .collect()
}

impl StateProvider for HistoricalState {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        Ok(self.account_at(address)?)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        Ok(self.storage_at(address, slot)?)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        if let Some(code) = self.pending.code(code_hash) {
            return Ok(Some(code));
        }
        Ok(read_code(&self.txn, self.tables, code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        if number > self.block_number {
            return Ok(None);
        }
        Ok(block_hash_in(
            &self.pending,
            &self.txn,
            self.tables,
            number,
        )?)
    }

    fn state_root(&self) -> B256 {
        self.root
    }
}
