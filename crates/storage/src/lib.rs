//! agnt2's persistent storage on MDBX: blocks, receipts, the transaction index, plain state,
//! contract code, the hashed state and the state tries (branch nodes keyed by their nibble
//! path, see `agnt2_trie`), and history as change sets.
//!
//! Owns every byte on disk and the state-root computation. It must not execute transactions or
//! know about the pool or RPC: callers hand it finished blocks and the state changes they made.
//! A committed block is durable at once in the journal and served from memory; a background
//! thread writes it to the tables behind the tip (see `persist.rs`), in MDBX write
//! transactions that hold whole blocks only, and start-up replays what the journal holds
//! beyond them. One process holds a datadir at a time (a lock file), every value carries
//! a checksum so damage is an error rather than a wrong answer, and [`Database::check`] walks
//! the datadir against what the headers commit to. Each block also writes change sets (the
//! values it overwrote), so the head can be unwound to an earlier block when the L1 it was
//! derived from reorganises, and historical state is read through them (the tries hold the head
//! state only: a node a block makes stale is deleted in that block's write). History older
//! than [`DatabaseConfig::history_blocks`] is pruned.

mod bulk;
mod check;
pub mod codec;
mod db;
mod pending;
mod persist;
mod sealed;
mod state;
mod trie;
mod write;

/// Root of an empty trie.
pub const EMPTY_ROOT: alloy_primitives::B256 = agnt2_trie::EMPTY_ROOT_HASH;

pub use agnt2_storage_api::{
    AccountChange, AccountUpdate, Overlay, ProviderError, StateChanges, StateProvider,
};
pub use check::{CheckError, CheckReport};
pub use codec::StoredAccount;
pub use db::{
    DEFAULT_HISTORY_BLOCKS, DEFAULT_PERSIST_BEHIND, Database, DatabaseConfig, StorageTrieOutput,
    TableStats, TrieOutput,
};
pub use state::{AccountProof, HistoricalState, LatestState};
pub use write::CommittedBlock;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// MDBX returned an error.
    #[error("mdbx: {0}")]
    Mdbx(#[from] libmdbx::Error),
    /// Stored bytes did not decode.
    #[error("corrupt database: {0}")]
    Corrupt(&'static str),
    /// The trie is inconsistent with the stored roots.
    #[error(transparent)]
    Trie(#[from] agnt2_trie::TrieError),
    /// The background persister failed; the node must stop (the journal keeps every block
    /// it did not write, and the next start replays them).
    #[error("writing blocks to the tables failed: {0}")]
    Persist(String),
    /// The change sets a historical read needs were pruned.
    #[error(
        "state at block {block} is pruned: this node keeps history from block {oldest} on (--history.blocks)"
    )]
    HistoryPruned {
        /// Requested block.
        block: u64,
        /// The oldest block whose state can still be read.
        oldest: u64,
    },
    /// Filesystem failure opening the datadir.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value does not match its checksum: the datadir is damaged.
    #[error(
        "corrupt database: checksum mismatch in table {table} at key 0x{key}; restore the datadir from a backup or resync"
    )]
    Checksum {
        /// Table.
        table: &'static str,
        /// Key, hex.
        key: String,
    },
    /// The datadir was written with another record layout.
    #[error(
        "datadir written with record layout {}, this build reads layout {expected} (4 and later: hashed state and path-keyed tries; a layout-4 datadir is taken over): start from a fresh datadir",
        found.map_or_else(|| "1 (unrecorded)".to_string(), |v| v.to_string())
    )]
    Schema {
        /// Layout found (`None`: before layouts were recorded).
        found: Option<u32>,
        /// Layout this build writes.
        expected: u32,
    },
    /// Another process holds the datadir.
    #[error(
        "datadir {dir} in use by another agnt2 process (pid {holder}); stop it or pass another --datadir"
    )]
    DatadirInUse {
        /// The datadir.
        dir: String,
        /// What the lock file says of its holder (a pid).
        holder: String,
    },
    /// A block was committed out of order.
    #[error("block {number} does not follow the head {head:?}")]
    NotNext {
        /// The head (`None`: empty datadir).
        head: Option<u64>,
        /// The block offered.
        number: u64,
    },
    /// An unwind would remove a finalized block.
    #[error("cannot unwind to block {target}: block {finalized} is finalized")]
    UnwindFinalized {
        /// Requested new head.
        target: u64,
        /// The finalized head.
        finalized: u64,
    },
    /// A state read failed (see [`ProviderError`]).
    #[error(transparent)]
    Provider(ProviderError),
    /// The datadir was created for another chain.
    #[error("datadir belongs to a chain with genesis {stored}, not {expected}")]
    GenesisMismatch {
        /// Genesis hash in the datadir.
        stored: alloy_primitives::B256,
        /// Genesis hash of the configured chain.
        expected: alloy_primitives::B256,
    },
}

impl From<StorageError> for ProviderError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Corrupt(what) => Self::Corrupt(what),
            StorageError::Provider(p) => p,
            other => Self::Backend(Box::new(other)),
        }
    }
}

impl From<ProviderError> for StorageError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Corrupt(what) => Self::Corrupt(what),
            ProviderError::Backend(b) => match b.downcast::<StorageError>() {
                Ok(own) => *own,
                Err(other) => Self::Provider(ProviderError::Backend(other)),
            },
            other => Self::Provider(other),
        }
    }
}
