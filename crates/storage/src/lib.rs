//! agnt2's persistent storage on MDBX: blocks, receipts, the transaction index, plain state,
//! contract code and the state tries (content-addressed trie nodes, whose leaves are the
//! hashed state).
//!
//! Owns every byte on disk and the state-root computation. It must not execute transactions or
//! know about the pool or RPC: callers hand it finished blocks and the state changes they made.
//! A block is written in one MDBX write transaction, so after a crash the database holds
//! whole blocks only. One process holds a datadir at a time (a lock file), every value carries
//! a checksum so damage is an error rather than a wrong answer, and [`Database::check`] walks
//! the datadir against what the headers commit to. Each block also writes change sets (the
//! values it overwrote), so the head can be unwound to an earlier block when the L1 it was
//! derived from reorganises.

mod check;
pub mod codec;
mod db;
pub mod mpt;
mod sealed;
mod state;
mod write;

pub use agnt2_storage_api::{
    AccountChange, AccountUpdate, Overlay, ProviderError, StateChanges, StateProvider,
};
pub use check::{CheckError, CheckReport};
pub use codec::StoredAccount;
pub use db::{Database, DatabaseConfig, TrieOutput};
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
    Trie(#[from] mpt::TrieError),
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
        "datadir written with record layout {found:?}, this build reads layout {expected}: start from a fresh datadir"
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
