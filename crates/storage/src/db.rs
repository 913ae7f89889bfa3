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

use agnt2_trie::{Nibbles, OverlayLeaves, PrefixSet, TrieUpdates};

use std::sync::Arc;

use crate::{
    EMPTY_ROOT, StateChanges, StorageError, StoredAccount, codec,
    pending::{NO_LAYER, PendingView},
    persist::Shared,
    sealed::{self, SealedRead, SealedTable},
    state::{HistoricalState, LatestState},
    trie::{StateTrie, TableLeaves},
};

/// The prefix set of a sorted leaf change list.
pub(crate) fn changed_keys(leaves: &[(B256, Option<Vec<u8>>)]) -> PrefixSet {
    PrefixSet::new(leaves.iter().map(|(k, _)| Nibbles::unpack(k)).collect())
}

pub(crate) type Env = libmdbx::Database<NoWriteMap>;

/// Table names, in creation order.
const TABLE_NAMES: [&str; 18] = [
    "Headers",
    "HeaderNumbers",
    "CanonicalHashes",
    "BlockBodies",
    "Receipts",
    "TxLookup",
    "PlainAccounts",
    "PlainStorage",
    "Bytecodes",
    "Meta",
    "AccountChangeSets",
    "StorageChangeSets",
    "HashedAccounts",
    "HashedStorages",
    "AccountsTrie",
    "StoragesTrie",
    "AccountsHistory",
    "StoragesHistory",
];

pub(crate) const META_HEAD: &[u8] = b"head";
const META_SCHEMA: &[u8] = b"schema";
pub(crate) const META_SAFE: &[u8] = b"safe";
pub(crate) const META_FINALIZED: &[u8] = b"finalized";
pub(crate) const META_PRUNED: &[u8] = b"pruned";
/// A block whose plain state is written but whose tries are not yet (see `persist_blocks`).
pub(crate) const META_PERSISTING: &[u8] = b"persisting";
/// Version of the record layout; 2 added the per-record checksums, 3 the change sets, 4 the
/// hashed state with path-keyed branch nodes (replacing content-addressed trie nodes) and the
/// history indices, 5 the journal of blocks persisted behind the tip (`journal/`; the tables
/// are unchanged, so a layout-4 datadir is taken over as it is; the stamp keeps an older
/// build from opening a datadir whose newest blocks it would not see).
pub(crate) const SCHEMA_VERSION: u32 = 5;
/// The layout this build migrates from (by restamping it: nothing else differs).
const SCHEMA_MIGRATES_FROM: u32 = 4;

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
    /// small named values (head, safe, finalized, pruned, schema)
    pub meta: SealedTable,
    /// number ‖ address → the account before block `number` changed it (empty: absent)
    pub account_changesets: SealedTable,
    /// number ‖ address ‖ slot → the slot before block `number` changed it (empty: zero)
    pub storage_changesets: SealedTable,
    /// keccak(address) → the account's trie leaf value (the account trie's leaves)
    pub hashed_accounts: SealedTable,
    /// keccak(address) ‖ keccak(slot) → RLP of the value (the storage tries' leaves)
    pub hashed_storages: SealedTable,
    /// nibble path → branch node of the account trie (see `agnt2_trie::encode_node`)
    pub accounts_trie: SealedTable,
    /// keccak(address) ‖ nibble path → branch node of that account's storage trie
    pub storages_trie: SealedTable,
    /// address ‖ number → empty: block `number` changed the account (finds its change set)
    pub accounts_history: SealedTable,
    /// address ‖ slot ‖ number → empty: block `number` changed the slot
    pub storages_history: SealedTable,
}

impl Tables {
    /// Every table, in creation order.
    pub(crate) fn all(&self) -> [&SealedTable; 18] {
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
            &self.meta,
            &self.account_changesets,
            &self.storage_changesets,
            &self.hashed_accounts,
            &self.hashed_storages,
            &self.accounts_trie,
            &self.storages_trie,
            &self.accounts_history,
            &self.storages_history,
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
    /// Blocks of history kept (change sets and their indices: historical state, proofs at
    /// old blocks, unwinds); `None` keeps all of it.
    pub history_blocks: Option<u64>,
    /// Sealed blocks that may wait for their state to be written to the tables by the
    /// background persister (each one durable in the journal meanwhile, and read through the
    /// in-memory overlay). 0 writes every block to the tables before its commit returns.
    pub persist_behind: usize,
}

/// Blocks persisted behind the tip by default.
pub const DEFAULT_PERSIST_BEHIND: usize = 3;

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            durable: true,
            max_size: 1 << 40,
            history_blocks: Some(DEFAULT_HISTORY_BLOCKS),
            persist_behind: DEFAULT_PERSIST_BEHIND,
        }
    }
}

/// One table's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStats {
    /// Table name.
    pub name: &'static str,
    /// Rows.
    pub entries: u64,
    /// Bytes of the pages it uses.
    pub bytes: u64,
}

/// History kept by default: a week of one-second blocks, so withdrawals can be proven against
/// any output proposed within the fault-proof window.
pub const DEFAULT_HISTORY_BLOCKS: u64 = 7 * 24 * 3600;

/// The trie work of one block: the new state root and what to write.
#[derive(Debug, Clone, Default)]
pub struct TrieOutput {
    /// The state root after the block.
    pub state_root: B256,
    /// Accounts with their new storage roots (`None`: removed), by address.
    pub accounts: Vec<(Address, Option<StoredAccount>)>,
    /// Storage root of every account that remains (the L2ToL1MessagePasser's is Isthmus'
    /// `withdrawalsRoot`).
    pub storage_roots: Vec<(Address, B256)>,
    /// The account trie's leaves that changed (`keccak(address)` → leaf value, `None`:
    /// removed), in key order.
    pub hashed_accounts: Vec<(B256, Option<Vec<u8>>)>,
    /// Node writes of the account trie.
    pub account_trie: TrieUpdates,
    /// Per account whose storage changed: its leaves and node writes, by hashed address.
    pub storage_tries: Vec<StorageTrieOutput>,
}

/// One storage trie's part of a [`TrieOutput`].
#[derive(Debug, Clone, Default)]
pub struct StorageTrieOutput {
    /// `keccak(address)`: the prefix of the account's rows.
    pub hashed_address: B256,
    /// The old storage is dropped first (account destroyed or re-created).
    pub wiped: bool,
    /// Changed leaves (`keccak(slot)` → value RLP, `None`: cleared), in key order.
    pub leaves: Vec<(B256, Option<Vec<u8>>)>,
    /// Node writes.
    pub updates: TrieUpdates,
}

/// agnt2's database. Cheap to clone; the environment lives as long as the process.
#[derive(Debug, Clone, Copy)]
pub struct Database {
    env: &'static Env,
    tables: &'static Tables,
    history_blocks: Option<u64>,
    shared: &'static Shared,
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
                // Each datadir's file grows by this much at a time; tests open hundreds of them
                // in one process, so it stays small.
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
            meta: take(9)?,
            account_changesets: take(10)?,
            storage_changesets: take(11)?,
            hashed_accounts: take(12)?,
            hashed_storages: take(13)?,
            accounts_trie: take(14)?,
            storages_trie: take(15)?,
            accounts_history: take(16)?,
            storages_history: take(17)?,
        };
        let db = Self {
            env,
            tables: Box::leak(Box::new(tables)),
            history_blocks: config.history_blocks,
            shared: Box::leak(Box::new(Shared::new(
                dir,
                config.durable,
                config.persist_behind,
            ))),
        };
        db.check_schema()?;
        db.start_persistence()?;
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
        let migrates = stored
            .as_ref()
            .is_some_and(|v| *v == SCHEMA_MIGRATES_FROM.to_be_bytes());
        match stored {
            Some(v) if v == SCHEMA_VERSION.to_be_bytes() => Ok(()),
            _ if migrates => {
                tracing::info!(
                    from = SCHEMA_MIGRATES_FROM,
                    to = SCHEMA_VERSION,
                    "migrating the datadir's record layout"
                );
                self.stamp_schema()
            }
            None if !has_blocks => self.stamp_schema(),
            other => Err(StorageError::Schema {
                found: other
                    .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
                    .map(u32::from_be_bytes),
                expected: SCHEMA_VERSION,
            }),
        }
    }

    fn stamp_schema(&self) -> Result<(), StorageError> {
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

    pub(crate) fn tables(&self) -> &'static Tables {
        self.tables
    }

    pub(crate) fn env(&self) -> &'static Env {
        self.env
    }

    pub(crate) fn shared(&self) -> &'static Shared {
        self.shared
    }

    pub(crate) fn ro(&self) -> Result<Transaction<'static, RO, NoWriteMap>, StorageError> {
        Ok(self.env.begin_ro_txn()?)
    }

    /// The last committed block: number and hash.
    pub fn head(&self) -> Result<Option<(u64, B256)>, StorageError> {
        let (view, txn) = self.snapshot()?;
        let Some(number) = view.head else {
            return Ok(None);
        };
        if let Some(p) = view.block(number) {
            return Ok(Some((number, p.block.block.hash)));
        }
        let hash = txn
            .sealed_array::<32>(&self.tables.canonical_hashes, &number.to_be_bytes())?
            .ok_or(StorageError::Corrupt("head without hash"))?;
        Ok(Some((number, B256::from(hash))))
    }

    /// Canonical hash by number in the tables only (start-up, before the view is set).
    pub(crate) fn block_hash_in_tables(&self, number: u64) -> Result<Option<B256>, StorageError> {
        crate::state::read_block_hash(&self.ro()?, self.tables, number)
    }

    /// Header by number.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        if let Some(p) = self.shared.view().block(number) {
            return Ok(Some(p.block.block.header.clone()));
        }
        let txn = self.ro()?;
        match txn.sealed(&self.tables.headers, &number.to_be_bytes())? {
            Some(b) => Ok(Some(codec::decode_header(&b)?)),
            None => Ok(None),
        }
    }

    /// Canonical hash by number.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        if let Some(p) = self.shared.view().block(number) {
            return Ok(Some(p.block.block.hash));
        }
        crate::state::read_block_hash(&self.ro()?, self.tables, number)
    }

    /// Block number by hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        if let Some(p) = self.shared.view().by_hash(hash) {
            return Ok(Some(p.number));
        }
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
        if let Some(p) = self.shared.view().block(number) {
            return Ok(Some(p.block.block.transactions.clone()));
        }
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
        if let Some(p) = self.shared.view().block(number) {
            return Ok(p.block.block.transactions.first().cloned());
        }
        let txn = self.ro()?;
        match txn.sealed(&self.tables.bodies, &number.to_be_bytes())? {
            Some(b) => codec::decode_first_tx(&b),
            None => Ok(None),
        }
    }

    /// Receipts of a block.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<StoredReceipt>>, StorageError> {
        if let Some(p) = self.shared.view().block(number) {
            return Ok(Some(p.block.receipts.to_vec()));
        }
        let txn = self.ro()?;
        match txn.sealed(&self.tables.receipts, &number.to_be_bytes())? {
            Some(b) => Ok(Some(codec::decode_receipts(&b)?)),
            None => Ok(None),
        }
    }

    /// Where a transaction is: block number and index.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<(u64, u32)>, StorageError> {
        if let Some(found) = self.shared.view().tx_location(hash) {
            return Ok(Some(found));
        }
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
        let (pending, txn) = self.snapshot()?;
        let root = match pending.head {
            Some(n) => match pending.block(n) {
                Some(p) => p.block.block.header.state_root,
                None => match txn.sealed(&self.tables.headers, &n.to_be_bytes())? {
                    Some(h) => codec::decode_header(&h)?.state_root,
                    None => return Err(StorageError::Corrupt("head header missing")),
                },
            },
            None => EMPTY_ROOT,
        };
        Ok(LatestState {
            txn,
            tables: self.tables,
            root,
            pending,
        })
    }

    /// The state after block `number`, read through the change sets of the blocks after it;
    /// refused once those are pruned (see [`DatabaseConfig::history_blocks`]).
    pub fn state_at(&self, number: u64) -> Result<Option<HistoricalState>, StorageError> {
        let (view, txn) = self.snapshot()?;
        let root = match view.block(number) {
            Some(p) => p.block.block.header.state_root,
            None => match txn.sealed(&self.tables.headers, &number.to_be_bytes())? {
                Some(header) => codec::decode_header(&header)?.state_root,
                None => return Ok(None),
            },
        };
        let head = view.head.unwrap_or(0);
        // The tables' own head (their tries are at it) and the block their plain state is at
        // (one above while a block is half written): the history index and change sets start
        // from the latter.
        let tables_head = txn
            .sealed_array::<8>(&self.tables.meta, META_HEAD)?
            .map_or(0, u64::from_be_bytes);
        let plain_head = crate::write::read_persisting(&txn, self.tables)?.unwrap_or(tables_head);
        let pruned = txn
            .sealed_array::<8>(&self.tables.meta, META_PRUNED)?
            .map(u64::from_be_bytes);
        if let Some(oldest) = pruned
            && number < oldest
            && number < head
        {
            return Err(StorageError::HistoryPruned {
                block: number,
                oldest,
            });
        }
        let pending = if number >= tables_head {
            Arc::new(view.prefix(number))
        } else {
            Arc::new(PendingView::empty(Some(tables_head)))
        };
        Ok(Some(HistoricalState {
            txn,
            tables: self.tables,
            root,
            block_number: number,
            head: plain_head,
            tries_head: tables_head,
            pending,
        }))
    }

    /// Rows and bytes (pages in use) of every table, by name.
    pub fn table_stats(&self) -> Result<Vec<TableStats>, StorageError> {
        self.flush()?;
        let txn = self.ro()?;
        self.tables
            .all()
            .into_iter()
            .map(|t| {
                let s = txn.table_stat(&t.table)?;
                Ok(TableStats {
                    name: t.name,
                    entries: s.entries() as u64,
                    bytes: s.total_size(),
                })
            })
            .collect()
    }

    /// Blocks of history this database keeps (`None`: all).
    pub fn history_blocks(&self) -> Option<u64> {
        self.history_blocks
    }

    /// Computes the state root after applying `changes` to the head state, without writing.
    /// Storage tries of different accounts are updated in parallel, then the account trie;
    /// each walk reuses every stored subtree no change falls under.
    pub fn compute_state_root(&self, changes: &StateChanges) -> Result<TrieOutput, StorageError> {
        let latest = self.latest()?;
        let t = self.tables;
        let tries = latest.pending.tries();
        let per_account: Vec<_> = changes
            .par_iter()
            .map(|(address, change)| -> Result<_, StorageError> {
                let hashed = keccak256(address);
                let Some(info) = &change.info else {
                    let gone = StorageTrieOutput {
                        hashed_address: hashed,
                        wiped: true,
                        leaves: Vec::new(),
                        updates: TrieUpdates {
                            root: EMPTY_ROOT,
                            ..Default::default()
                        },
                    };
                    return Ok((*address, hashed, None, Some(gone)));
                };
                let prev = crate::StateProvider::account(&latest, address)?;
                let (storage_root, storage) = if !change.wipe_storage && change.storage.is_empty() {
                    (prev.map_or(EMPTY_ROOT, |p| p.storage_root), None)
                } else {
                    let mut leaves: Vec<(B256, Option<Vec<u8>>)> = change
                        .storage
                        .iter()
                        .map(|(slot, value)| {
                            (
                                keccak256(slot.to_be_bytes::<32>()),
                                (!value.is_zero()).then(|| codec::storage_trie_value(*value)),
                            )
                        })
                        .collect();
                    leaves.sort_unstable_by_key(|e| e.0);
                    let updates = if change.wipe_storage {
                        agnt2_trie::compute(
                            &mut agnt2_trie::Empty,
                            &mut OverlayLeaves::new(agnt2_trie::Empty, &leaves),
                            &PrefixSet::everything(),
                        )?
                    } else {
                        StateTrie::Storage(hashed)
                            .walk(
                                &latest.txn,
                                t,
                                tries.storage.get(&hashed).unwrap_or(&NO_LAYER),
                                &leaves,
                                &[],
                            )?
                            .0
                    };
                    (
                        updates.root,
                        Some(StorageTrieOutput {
                            hashed_address: hashed,
                            wiped: change.wipe_storage,
                            leaves,
                            updates,
                        }),
                    )
                };
                let account = StoredAccount {
                    nonce: info.nonce,
                    balance: info.balance,
                    code_hash: info.code_hash,
                    storage_root,
                };
                Ok((*address, hashed, Some(account), storage))
            })
            .collect::<Result<_, _>>()?;

        let mut out = TrieOutput::default();
        for (address, hashed, account, storage) in per_account {
            out.hashed_accounts
                .push((hashed, account.map(|a| a.trie_rlp())));
            if let Some(a) = &account {
                out.storage_roots.push((address, a.storage_root));
            }
            out.accounts.push((address, account));
            out.storage_tries.extend(storage);
        }
        out.hashed_accounts.sort_unstable_by_key(|e| e.0);
        out.storage_tries.sort_unstable_by_key(|s| s.hashed_address);
        let changed = changed_keys(&out.hashed_accounts);
        let hashed = &out.hashed_accounts;
        let txn = &latest.txn;
        out.account_trie = agnt2_trie::compute_parallel(
            &mut StateTrie::Accounts.cursors(txn, t, &tries.accounts)?.0,
            || {
                let cursor = txn
                    .cursor(&t.hashed_accounts.table)
                    .map_err(|e| agnt2_trie::TrieError::Store(e.to_string()))?;
                Ok(OverlayLeaves::new(
                    OverlayLeaves::new(
                        TableLeaves::new(cursor, &t.hashed_accounts, &[]),
                        &tries.accounts.leaves,
                    ),
                    hashed,
                ))
            },
            &changed,
        )?;
        out.state_root = out.account_trie.root;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare environment whose `Meta` table says layout `schema` (and head `head`).
    fn stamp(dir: &Path, schema: u32, head: Option<u64>) {
        let env = Env::open_with_options(
            dir,
            DatabaseOptions {
                max_tables: Some(32),
                mode: Mode::ReadWrite(ReadWriteOptions::default()),
                ..Default::default()
            },
        )
        .expect("env");
        let txn = env.begin_rw_txn().expect("txn");
        let meta = txn
            .create_table(Some("Meta"), TableFlags::default())
            .expect("meta");
        let mut rows = vec![(META_SCHEMA, schema.to_be_bytes().to_vec())];
        if let Some(h) = head {
            rows.push((META_HEAD, h.to_be_bytes().to_vec()));
        }
        for (key, value) in rows {
            txn.put(
                &meta,
                key,
                sealed::seal("Meta", key, &value),
                libmdbx::WriteFlags::UPSERT,
            )
            .expect("put");
        }
        txn.commit().expect("commit");
    }

    /// A datadir from an older layout (content-addressed trie nodes, `schema` 3) is refused
    /// at open with both layout numbers, before anything is read or written.
    #[test]
    fn a_datadir_of_the_previous_layout_is_refused_naming_both_versions() {
        let dir = tempfile::tempdir().expect("tmp");
        stamp(dir.path(), 3, Some(7));
        let err = Database::open(dir.path(), &DatabaseConfig::default()).expect_err("refused");
        assert!(
            matches!(
                err,
                StorageError::Schema {
                    found: Some(3),
                    expected: SCHEMA_VERSION
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("record layout 3,"), "{text}");
        assert!(text.contains("reads layout 5"), "{text}");
    }

    /// A layout-4 datadir differs only by the missing journal: it is taken over and restamped.
    #[test]
    fn a_datadir_of_layout_4_is_migrated() {
        let dir = tempfile::tempdir().expect("tmp");
        stamp(dir.path(), 4, None);
        let db = Database::open(dir.path(), &DatabaseConfig::default()).expect("migrated");
        let stamp = db
            .ro()
            .expect("txn")
            .sealed_array::<4>(&db.tables().meta, META_SCHEMA)
            .expect("read");
        assert_eq!(stamp, Some(SCHEMA_VERSION.to_be_bytes()));
        assert_eq!(db.head().expect("head"), None);
    }
}
