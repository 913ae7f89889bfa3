//! geth's `debug_trace*` tracers, run by `revm-inspectors` (reth's tracing library): the struct
//! logger, `callTracer`, `prestateTracer`, `4byteTracer`, `noopTracer`, `muxTracer`,
//! `flatCallTracer`, `erc7562Tracer` and JavaScript tracers.
//!
//! Tracing reads state through [`DatabaseRef`](revm::DatabaseRef) (the prestate and JavaScript
//! tracers look state up after execution), so a trace never changes the overlay it runs on; a
//! block trace commits each result itself before the next transaction. Every trace has a
//! deadline (geth's `timeout` option, 5 s by default), so a costly tracer cannot hold a thread.

use std::time::{Duration, Instant};

use agnt2_storage_api::StateProvider;
use alloy::rpc::types::trace::geth::{GethDebugTracingOptions, GethTrace};
use revm::database_interface::WrapDatabaseRef;
use revm_inspectors::tracing::{DebugInspector, TransactionContext};

use crate::{
    call::{CallEnv, CallError, CallResult, Deadline, inspect},
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
    /// The trace ran past its deadline (geth's wording).
    #[error("execution timeout")]
    Timeout,
}

/// geth's default trace timeout.
pub const DEFAULT_TRACE_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses a Go duration as geth's `timeout` option takes it (`"500ms"`, `"10s"`, `"1.5m"`).
pub fn parse_timeout(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ns" => value / 1e9,
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
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
    let timeout = match &opts.timeout {
        Some(t) => {
            parse_timeout(t).ok_or_else(|| TraceError::Tracer(format!("invalid timeout {t:?}")))?
        }
        None => DEFAULT_TRACE_TIMEOUT,
    };
    let inner = DebugInspector::new(opts.clone()).map_err(|e| TraceError::Tracer(e.to_string()))?;
    let mut inspector = Deadline::new(inner, Instant::now() + timeout);
    let tx_env = env.tx.clone();
    let result = inspect(config, next, WrapDatabaseRef(db), env, &mut inspector)?;
    if inspector.expired() {
        return Err(TraceError::Timeout);
    }
    let trace = inspector
        .into_inner()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_geth_takes_them() {
        assert_eq!(parse_timeout("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_timeout("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_timeout("1.5m"), Some(Duration::from_secs(90)));
        assert_eq!(parse_timeout("2h"), Some(Duration::from_secs(7200)));
        for bad in ["", "5", "s", "5 s", "-1s", "1d", "1e999s"] {
            assert_eq!(parse_timeout(bad), None, "{bad:?}");
        }
    }
}
