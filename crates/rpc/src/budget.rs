//! What one request may spend executing: a gas cap per call (geth's `--rpc.gascap`), a
//! deadline per request (`--rpc.evmtimeout`) and one shared by every request of a batch, so
//! a batch of loops costs what one request may, not its length times that.
//!
//! Handlers run on blocking threads; the macro registering them enters the budget for the
//! thread, and the simulation paths read it from there.

use std::{cell::Cell, time::Instant};

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
