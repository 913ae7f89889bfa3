//! EVM configuration and block execution for agnt2: op-revm at Isthmus rules over a
//! [`StateProvider`](agnt2_storage::StateProvider), the L1-attributes deposit every block starts
//! with, the sequential block executor (the reference every builder is checked against), and
//! read-only calls for RPC.
//!
//! Owns how a transaction turns into state changes and receipts. It must not write to storage,
//! order transactions, or know about RPC: it returns results and the caller decides.

mod config;
mod db;
mod executor;
mod guard;
mod l1info;
mod tracer;
mod txenv;

pub use config::{EvmConfig, NextBlock};
pub use db::{DbError, StateDb};
pub use executor::{
    AgentEvm, BlockExecutor, CallError, CallRequest, CallResult, ExecutedBlock, ExecutedTx,
    FatalError, TxAccess, TxOutcome, call, set_cumulative_gas, tx_error_message,
};
pub use l1info::{L1Origin, l1_info_deposit};
pub use tracer::{CallTracer, trace_call};
pub use txenv::tx_env;

pub use op_revm::OpSpecId;
