//! agnt2's persistent storage on MDBX: blocks, receipts, the transaction index, plain state,
//! contract code and the state tries (content-addressed trie nodes, whose leaves are the
//! hashed state).
//!
//! Owns every byte on disk and the state-root computation. It must not execute transactions or
//! know about the pool or RPC: callers hand it finished blocks and the state changes they made.
//! A block is written in one MDBX write transaction, so after a crash the database holds
//! whole blocks only.

pub mod codec;
mod db;
pub mod mpt;
mod state;

pub use codec::StoredAccount;
pub use db::{Database, DatabaseConfig, TrieOutput};
pub use state::{
    AccountChange, AccountProof, AccountUpdate, HistoricalState, LatestState, Overlay,
    StateChanges, StateProvider,
};

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
    /// The datadir was created for another chain.
    #[error("datadir belongs to a chain with genesis {stored}, not {expected}")]
    GenesisMismatch {
        /// Genesis hash in the datadir.
        stored: alloy_primitives::B256,
        /// Genesis hash of the configured chain.
        expected: alloy_primitives::B256,
    },
}
