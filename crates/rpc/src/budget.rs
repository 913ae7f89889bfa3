//! What one request may spend executing: a gas cap per call (geth's `--rpc.gascap`), a
//! deadline per request (`--rpc.evmtimeout`) and one shared by every request of a batch, so
//! a batch of loops costs what one request may, not its length times that.
//!
//! Handlers run on blocking threads; the macro registering them enters the budget for the
//! thread, and the simulation paths read it from there.

use std::{
    cell::Cell,
    time::{Duration, Instant},
};

use jsonrpsee::Extensions;

use crate::RpcContext;

/// When the batch a request came in started (set by the middleware on every batch entry).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchStarted(pub(crate) Instant);

/// The limits of the request running on this thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Halt execution at this instant.
    pub(crate) until: Instant,
    /// What the limit that set `until` was, for the error.
    pub(crate) limit: std::time::Duration,
    /// Most gas one call may have.
    pub(crate) gas_cap: u64,
}

thread_local! {
    static CURRENT: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Restores the thread's previous budget when the handler returns.
pub(crate) struct Entered(Option<Budget>);

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Enters the budget of a request with `ext` for the rest of the handler.
pub(crate) fn enter(ctx: &RpcContext, ext: &Extensions) -> Entered {
    let now = Instant::now();
    let mut budget = Budget {
        until: now + ctx.config.evm_timeout,
        limit: ctx.config.evm_timeout,
        gas_cap: ctx.config.gas_cap,
    };
    if let Some(BatchStarted(started)) = ext.get::<BatchStarted>() {
        let batch_until = *started + ctx.config.batch_evm_timeout;
        if batch_until < budget.until {
            budget.until = batch_until;
            budget.limit = ctx.config.batch_evm_timeout;
        }
    }
    Entered(CURRENT.with(|c| c.replace(Some(budget))))
}

/// The budget of the request on this thread (the defaults outside a handler, as in tests).
pub(crate) fn current() -> Budget {
    CURRENT.with(Cell::get).unwrap_or(Budget {
        until: Instant::now() + crate::DEFAULT_EVM_TIMEOUT,
        limit: crate::DEFAULT_EVM_TIMEOUT,
        gas_cap: crate::DEFAULT_GAS_CAP,
    })
}

/// Execution slots: at most `max` simulations and traces run at once, so requests cannot take
/// every core from the block producer. A request waits for a slot until its own deadline.
#[derive(Debug)]
pub(crate) struct Permits {
    used: parking_lot::Mutex<usize>,
    freed: parking_lot::Condvar,
    max: usize,
}

impl Permits {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            used: parking_lot::Mutex::new(0),
            freed: parking_lot::Condvar::new(),
            max: max.max(1),
        }
    }
}

/// A held execution slot, given back on drop.
pub(crate) struct Permit<'a>(&'a Permits);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.used.lock() -= 1;
        self.0.freed.notify_one();
    }
}

/// Takes an execution slot, waiting until the request's deadline at most.
pub(crate) fn permit(ctx: &RpcContext) -> jsonrpsee::core::RpcResult<Permit<'_>> {
    let permits = &ctx.executions;
    let until = current().until;
    let mut used = permits.used.lock();
    while *used >= permits.max {
        let left = until.saturating_duration_since(Instant::now());
        let timed_out =
            left == Duration::ZERO || permits.freed.wait_for(&mut used, left).timed_out();
        if timed_out && *used >= permits.max {
            metrics::counter!("agnt2_rpc_execution_slots_exhausted_total").increment(1);
            return Err(crate::errors::server_error(format!(
                "too many concurrent executions ({} at once, --rpc.max-concurrent-executions): retry later",
                permits.max
            )));
        }
    }
    *used += 1;
    Ok(Permit(permits))
}
