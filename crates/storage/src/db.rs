//! The MDBX environment, its tables, and the block read/write paths.

use std::path::Path;

use agnt2_primitives::StoredReceipt;
use alloy::consensus::Header;
use alloy_primitives::{Address, B256, U256, keccak256};
use libmdbx::{
    DatabaseOptions, Mode, NoWriteMap, RO, ReadWriteOptions, SyncMode, Table, TableFlags,
    Transaction,
};
use rayon::prelude::*;

use crate::{
    StateChanges, StorageError, StoredAccount, codec,
    mpt::{EMPTY_ROOT, NodeReader, Trie, TrieError},
    sealed::{self, SealedRead, SealedTable},
    state::{HistoricalState, LatestState},
};

pub(crate) type Env = libmdbx::Database<NoWriteMap>;

/// Table names, in creation order.
const TABLE_NAMES: [&str; 13] = [
    "Headers",
    "HeaderNumbers",
    "CanonicalHashes",
    "BlockBodies",
    "Receipts",
    "TxLookup",
    "PlainAccounts",
    "PlainStorage",
    "Bytecodes",
    "TrieNodes",
    "Meta",
    "AccountChangeSets",
    "StorageChangeSets",
];

pub(crate) const META_HEAD: &[u8] = b"head";
const META_SCHEMA: &[u8] = b"schema";
pub(crate) const META_SAFE: &[u8] = b"safe";
pub(crate) const META_FINALIZED: &[u8] = b"finalized";
/// Version of the record layout; 2 added the per-record checksums, 3 the change sets.
const SCHEMA_VERSION: u32 = 3;

/// Open table handles, valid for the life of the environment.
#[derive(Debug)]
pub(crate) struct Tables {
    /// number → header RLP
    pub headers: SealedTable,
    /// hash → number
    pub header_numbers: SealedTable,
    /// number → hash
    pub canonical_hashes: SealedTable,
    /// number → body (see `codec::encode_body`)
    pub bodies: SealedTable,
    /// number → receipts (see `codec::encode_receipts`)
    pub receipts: SealedTable,
    /// tx hash → number ‖ index
    pub tx_lookup: SealedTable,
    /// address → `StoredAccount`
    pub plain_accounts: SealedTable,
    /// address ‖ slot → value (big-endian, zero slots absent)
    pub plain_storage: SealedTable,
    /// code hash → code
    pub bytecodes: SealedTable,
    /// node hash → node RLP (account and storage tries; leaves are the hashed state)
    pub trie_nodes: SealedTable,
    /// small named values (head, safe, finalized, schema)
    pub meta: SealedTable,
    /// number ‖ address → the account before block `number` changed it (empty: absent)
    pub account_changesets: SealedTable,
    /// number ‖ address ‖ slot → the slot before block `number` changed it (empty: zero)
    pub storage_changesets: SealedTable,
}

impl Tables {
    /// Every table, in creation order.
    pub(crate) fn all(&self) -> [&SealedTable; 13] {
        [
            &self.headers,
            &self.header_numbers,
            &self.canonical_hashes,
            &self.bodies,
            &self.receipts,
            &self.tx_lookup,
            &self.plain_accounts,
            &self.plain_storage,
            &self.bytecodes,
            &self.trie_nodes,
            &self.meta,
            &self.account_changesets,
            &self.storage_changesets,
        ]
    }
}

/// How to open the datadir.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// fsync every commit (`true`), or leave flushing to the OS (survives a process kill,
    /// not a power loss).
    pub durable: bool,
    /// Upper bound of the data file.
    pub max_size: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            durable: true,
            max_size: 1 << 40,
        }
    }
}

/// The trie work of one block: the new state root and what to write.
#[derive(Debug, Default)]
pub struct TrieOutput {
    /// The state root after the block.
    pub state_root: B256,
    /// New trie nodes.
    pub nodes: Vec<(B256, Vec<u8>)>,
    /// Accounts with their new storage roots (`None`: removed).
    pub accounts: Vec<(Address, Option<StoredAccount>)>,
    /// Storage root of the L2ToL1MessagePasser after the block (Isthmus `withdrawalsRoot`).
    pub storage_roots: Vec<(Address, B256)>,
}

/// agnt2's database. Cheap to clone; the environment lives as long as the process.
#[derive(Debug, Clone, Copy)]
pub struct Database {
    env: &'static Env,
    tables: &'static Tables,
}

/// Takes the exclusive lock on `dir/LOCK` for the life of the process and writes our pid
/// into it, so the refusal can say who holds it.
fn lock_datadir(dir: &Path) -> Result<(), StorageError> {
    use std::io::{Read, Seek, Write};
    let path = dir.join("LOCK");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(StorageError::DatadirInUse {
                dir: dir.display().to_string(),
                holder: holder.trim().to_owned(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    // Held until the process exits; the kernel releases it even after `kill -9`.
    std::mem::forget(file);
    Ok(())
}

/// Reads trie nodes inside a read transaction.
pub(crate) struct TxnNodes<'a> {
    pub txn: &'a Transaction<'static, RO, NoWriteMap>,
    pub tables: &'static Tables,
}

impl NodeReader for TxnNodes<'_> {
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
        self.txn
            .sealed(&self.tables.trie_nodes, hash.as_slice())
            .map_err(|e| TrieError::Store(e.to_string()))
    }
}

impl Database {
    /// Opens (creating if needed) the database in `dir`.
    ///
    /// The environment is intentionally leaked: it lives for the process, which lets read
    /// transactions and state providers be owned values without self-references.
    /// A second process (or a second open in this one) is refused while the first holds the
    /// datadir: MDBX itself allows several writers' processes, and two nodes sealing blocks
    /// into one datadir would fork it.
    pub fn open(dir: &Path, config: &DatabaseConfig) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)?;
        lock_datadir(dir)?;
        let options = DatabaseOptions {
            max_tables: Some(TABLE_NAMES.len() as u64 + 4),
            max_readers: Some(512),
            mode: Mode::ReadWrite(ReadWriteOptions {
                sync_mode: if config.durable {
                    SyncMode::Durable
                } else {
                    SyncMode::SafeNoSync
                },
                min_size: None,
                max_size: Some(config.max_size as isize),
                growth_step: Some(64 << 20),
                shrink_threshold: None,
            }),
            ..Default::default()
        };
        let env: &'static Env = Box::leak(Box::new(Env::open_with_options(dir, options)?));
        let txn = env.begin_rw_txn()?;
        let mut dbis = Vec::with_capacity(TABLE_NAMES.len());
        for name in TABLE_NAMES {
            let t = txn.create_table(Some(name), TableFlags::default())?;
            dbis.push(t.dbi());
            txn.prime_for_permaopen(t);
        }
        let (_, opened) = txn.commit_and_rebind_open_dbs()?;
        let mut by_name = Vec::with_capacity(TABLE_NAMES.len());
        for dbi in dbis {
            let t = opened
                .iter()
                .position(|t| t.dbi() == dbi)
                .ok_or(StorageError::Corrupt("table handle missing"))?;
            by_name.push(t);
        }
        let mut opened: Vec<Option<Table<'static>>> = opened.into_iter().map(Some).collect();
        let mut take = |i: usize| {
            opened[by_name[i]]
                .take()
                .map(|table| SealedTable {
                    name: TABLE_NAMES[i],
                    table,
                })
                .ok_or(StorageError::Corrupt("duplicate table handle"))
        };
        let tables = Tables {
            headers: take(0)?,
            header_numbers: take(1)?,
            canonical_hashes: take(2)?,
            bodies: take(3)?,
            receipts: take(4)?,
            tx_lookup: take(5)?,
            plain_accounts: take(6)?,
            plain_storage: take(7)?,
            bytecodes: take(8)?,
            trie_nodes: take(9)?,
            meta: take(10)?,
            account_changesets: take(11)?,
            storage_changesets: take(12)?,
        };
        let db = Self {
            env,
            tables: Box::leak(Box::new(tables)),
        };
        db.check_schema()?;
        Ok(db)
    }

    /// Stamps a new datadir with the record layout this build writes, and refuses one written
    /// with another layout (it would fail every checksum).
    fn check_schema(&self) -> Result<(), StorageError> {
        let txn = self.ro()?;
        let stored = match txn.get::<Vec<u8>>(&self.tables.meta.table, META_SCHEMA)? {
            Some(v) => Some(sealed::unseal(self.tables.meta.name, META_SCHEMA, v)?),
            None => None,
        };
        let has_blocks = txn
            .get::<Vec<u8>>(&self.tables.meta.table, META_HEAD)?
            .is_some();
        drop(txn);
        match stored {
            Some(v) if v == SCHEMA_VERSION.to_be_bytes() => Ok(()),
            None if !has_blocks => {
                let txn = self.env.begin_rw_txn()?;
                sealed::put(
                    &txn,
                    &self.tables.meta,
                    META_SCHEMA,
                    &SCHEMA_VERSION.to_be_bytes(),
                )?;
                txn.commit()?;
                Ok(())
            }
            other => Err(StorageError::Schema {
                found: other
                    .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
                    .map(u32::from_be_bytes),
                expected: SCHEMA_VERSION,
            }),
        }
    }

    pub(crate) fn tables(&self) -> &'static Tables {
        self.tables
    }

    pub(crate) fn env(&self) -> &'static Env {
        self.env
    }

    pub(crate) fn ro(&self) -> Result<Transaction<'static, RO, NoWriteMap>, StorageError> {
        Ok(self.env.begin_ro_txn()?)
    }

    /// The last committed block: number and hash.
    pub fn head(&self) -> Result<Option<(u64, B256)>, StorageError> {
        let txn = self.ro()?;
        let Some(n) = txn.sealed_array::<8>(&self.tables.meta, META_HEAD)? else {
            return Ok(None);
        };
        let number = u64::from_be_bytes(n);
        let hash = txn
            .sealed_array::<32>(&self.tables.canonical_hashes, &n)?
            .ok_or(StorageError::Corrupt("head without hash"))?;
        Ok(Some((number, B256::from(hash))))
    }

    /// Header by number.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        let txn = self.ro()?;
        match txn.sealed(&self.tables.headers, &number.to_be_bytes())? {
            Some(b) => Ok(Some(codec::decode_header(&b)?)),
            None => Ok(None),
        }
    }

    /// Canonical hash by number.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        crate::state::read_block_hash(&self.ro()?, self.tables, number)
    }

    /// Block number by hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        let txn = self.ro()?;
        Ok(txn
            .sealed_array::<8>(&self.tables.header_numbers, hash.as_slice())?
            .map(u64::from_be_bytes))
    }

    /// Transactions of a block.
    pub fn body(
        &self,
        number: u64,
    ) -> Result<Option<Vec<agnt2_primitives::RecoveredTx>>, StorageError> {
        let txn = self.ro()?;
        match txn.sealed(&self.tables.bodies, &number.to_be_bytes())? {
            Some(b) => Ok(Some(codec::decode_body(&b)?)),
            None => Ok(None),
        }
    }

    /// The first transaction of a block (on a rollup, its L1-attributes deposit) without
    /// decoding the others.
    pub fn first_transaction(
        &self,
        number: u64,
    ) -> Result<Option<agnt2_primitives::RecoveredTx>, StorageError> {
        let txn = self.ro()?;
        match txn.sealed(&self.tables.bodies, &number.to_be_bytes())? {
            Some(b) => codec::decode_first_tx(&b),
            None => Ok(None),
        }
    }

    /// Receipts of a block.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<StoredReceipt>>, StorageError> {
        let txn = self.ro()?;
        match txn.sealed(&self.tables.receipts, &number.to_be_bytes())? {
            Some(b) => Ok(Some(codec::decode_receipts(&b)?)),
            None => Ok(None),
        }
    }

    /// Where a transaction is: block number and index.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<(u64, u32)>, StorageError> {
        let txn = self.ro()?;
        Ok(txn
            .sealed_array::<12>(&self.tables.tx_lookup, hash.as_slice())?
            .map(|v| {
                let mut n = [0u8; 8];
                n.copy_from_slice(&v[..8]);
                let mut i = [0u8; 4];
                i.copy_from_slice(&v[8..]);
                (u64::from_be_bytes(n), u32::from_be_bytes(i))
            }))
    }

    /// The head state.
    pub fn latest(&self) -> Result<LatestState, StorageError> {
        let txn = self.ro()?;
        let root = match txn.sealed_array::<8>(&self.tables.meta, META_HEAD)? {
            Some(n) => match txn.sealed(&self.tables.headers, &n)? {
                Some(h) => codec::decode_header(&h)?.state_root,
                None => return Err(StorageError::Corrupt("head header missing")),
            },
            None => EMPTY_ROOT,
        };
        Ok(LatestState {
            txn,
            tables: self.tables,
            root,
        })
    }

    /// The state after block `number`.
    pub fn state_at(&self, number: u64) -> Result<Option<HistoricalState>, StorageError> {
        let Some(header) = self.header(number)? else {
            return Ok(None);
        };
        Ok(Some(HistoricalState {
            txn: self.ro()?,
            tables: self.tables,
            root: header.state_root,
            block_number: number,
        }))
    }

    /// Computes the state root after applying `changes` to the head state, without writing.
    /// Storage tries of different accounts are updated in parallel, then the account trie,
    /// whose subtries under the root are updated in parallel as well.
    pub fn compute_state_root(&self, changes: &StateChanges) -> Result<TrieOutput, StorageError> {
        let latest = self.latest()?;
        let nodes = TxnNodes {
            txn: &latest.txn,
            tables: self.tables,
        };
        let per_account: Vec<_> = changes
            .par_iter()
            .map(|(address, change)| -> Result<_, StorageError> {
                let Some(info) = &change.info else {
                    return Ok((*address, None, Vec::new()));
                };
                let prev = crate::StateProvider::account(&latest, address)?;
                let base_root = match (&prev, change.wipe_storage) {
                    (Some(p), false) => p.storage_root,
                    _ => EMPTY_ROOT,
                };
                let (storage_root, new_nodes) = if change.storage.is_empty() {
                    (base_root, Vec::new())
                } else {
                    let mut trie = Trie::new(base_root);
                    for (slot, value) in &change.storage {
                        trie.update(
                            &nodes,
                            keccak256(slot.to_be_bytes::<32>()).as_slice(),
                            codec::storage_trie_value(*value),
                        )?;
                    }
                    trie.commit()
                };
                let account = StoredAccount {
                    nonce: info.nonce,
                    balance: info.balance,
                    code_hash: info.code_hash,
                    storage_root,
                };
                Ok((*address, Some(account), new_nodes))
            })
            .collect::<Result<_, _>>()?;

        let mut out = TrieOutput::default();
        let mut updates = Vec::with_capacity(per_account.len());
        for (address, account, new_nodes) in per_account {
            let value = account.map(|a| a.trie_rlp()).unwrap_or_default();
            updates.push((keccak256(address), value));
            out.nodes.extend(new_nodes);
            if let Some(a) = &account {
                out.storage_roots.push((address, a.storage_root));
            }
            out.accounts.push((address, account));
        }
        // The account trie's sixteen subtries are updated and hashed side by side too.
        let (root, account_nodes) = crate::mpt::update_parallel(&nodes, latest.root, &updates)?;
        out.nodes.extend(account_nodes);
        out.state_root = root;
        Ok(out)
    }

    /// Storage root of an account in the head state.
    pub fn storage_root(&self, address: &Address) -> Result<B256, StorageError> {
        Ok(crate::StateProvider::account(&self.latest()?, address)?
            .map(|a| a.storage_root)
            .unwrap_or(EMPTY_ROOT))
    }

    /// Reads one storage value of the head state (convenience for tests and RPC).
    pub fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        Ok(crate::StateProvider::storage(
            &self.latest()?,
            address,
            slot,
        )?)
    }
}
