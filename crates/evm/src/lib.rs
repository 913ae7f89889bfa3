//! EVM configuration and block execution for agnt2: op-revm at Isthmus rules over a
//! [`StateProvider`](agnt2_storage_api::StateProvider), the L1-attributes deposit every block starts
//! with, the sequential block executor (the reference every builder is checked against), and
//! read-only calls and geth-style traces for RPC.
//!
//! Owns how a transaction turns into state changes and receipts. It must not write to storage,
//! order transactions, or know about RPC: it returns results and the caller decides.

mod call;
mod config;
mod db;
mod executor;
mod guard;
mod l1info;
mod trace;
mod txenv;

pub use call::{
    CallEnv, CallError, CallRequest, CallResult, Deadline, call, call_env, call_until, inspect,
};
pub use config::{EvmConfig, NextBlock};
pub use db::{DbError, StateDb};
pub use executor::{
    AgentEvm, BlockExecutor, ExecutedBlock, ExecutedTx, FatalError, TxAccess, TxOutcome,
    set_cumulative_gas, tx_error_message,
};
pub use l1info::{L1Origin, l1_info_deposit};
pub use revm_inspectors::{access_list::AccessListInspector, tracing::TransactionContext};
pub use trace::{TraceError, trace};
pub use txenv::tx_env;

pub use op_revm::OpSpecId;
