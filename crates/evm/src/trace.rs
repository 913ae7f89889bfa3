//! geth's `debug_trace*` tracers, run by `revm-inspectors` (reth's tracing library): the struct
//! logger, `callTracer`, `prestateTracer`, `4byteTracer`, `noopTracer`, `muxTracer`,
//! `flatCallTracer`, `erc7562Tracer` and JavaScript tracers.
//!
//! Tracing reads state through [`DatabaseRef`](revm::DatabaseRef) (the prestate and JavaScript
//! tracers look state up after execution), so a trace never changes the overlay it runs on; a
//! block trace commits each result itself before the next transaction.

use agnt2_storage::StateProvider;
use alloy::rpc::types::trace::geth::{GethDebugTracingOptions, GethTrace};
use revm::database_interface::WrapDatabaseRef;
use revm_inspectors::tracing::{DebugInspector, TransactionContext};

use crate::{
    call::{CallEnv, CallError, CallResult, inspect},
    config::{EvmConfig, NextBlock},
    db::StateDb,
};

/// Why a trace could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The tracer name or its configuration is not valid (or the JavaScript does not compile).
    #[error("{0}")]
    Tracer(String),
    /// The traced transaction could not run.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Traces `env` on top of `db` with the tracer `opts` names. Returns the trace and the
/// execution result (not committed).
pub fn trace<P: StateProvider>(
    config: &EvmConfig,
    next: &NextBlock,
    db: &StateDb<P>,
    env: CallEnv,
    opts: &GethDebugTracingOptions,
    tx: TransactionContext,
) -> Result<(GethTrace, CallResult), TraceError> {
    let mut inspector =
        DebugInspector::new(opts.clone()).map_err(|e| TraceError::Tracer(e.to_string()))?;
    let tx_env = env.tx.clone();
    let result = inspect(config, next, WrapDatabaseRef(db), env, &mut inspector)?;
    let trace = inspector
        .get_result(
            Some(tx),
            &tx_env,
            &next.block_env(),
            &result,
            &mut WrapDatabaseRef(db),
        )
        .map_err(|e| TraceError::Tracer(e.to_string()))?;
    Ok((trace, result))
}
