//! The rollup side of the node: how L1 data becomes L2 blocks. It holds the consensus-critical
//! decoding of L1 deposits (`TransactionDeposited` logs of the portal into 0x7E deposit
//! transactions with OP's source hashes) and of the L1-attributes deposit, the L1 watcher that
//! keeps a reorg-safe view of L1, and the sequencer's choice of payload attributes (origin,
//! sequence number, deposits, drift) that drives the block loop. The proposer and later the
//! batcher build on it.
//!
//! Owns the rules that map L1 data to L2 inputs. It must not execute or store blocks (the
//! builder and storage do); its decoding and sequencing rules take data, not connections, so
//! each is testable with known vectors.

pub mod batch;
pub mod batcher;
pub mod blobs;
pub mod challenger;
pub mod channel;
mod config;
pub mod deploy;
pub mod deposit;
pub mod derive;
pub mod genesis;
pub mod l1info;
pub mod l1tx;
pub mod output;
pub mod proposer;
pub mod published;
pub mod rollup_json;
pub mod rpc;
mod sequencer;
pub mod view;
pub mod watcher;

pub use config::{BlockId, RollupConfig};
pub use deposit::{DepositError, TRANSACTION_DEPOSITED, decode_deposit, user_deposit_source};
pub use l1tx::{L1Sender, SendError};
pub use sequencer::RollupPayloads;
pub use view::{L1Block, L1View};
pub use watcher::{L1Client, L1Error, L1Watcher};
