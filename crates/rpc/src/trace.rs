//! `debug_` tracing methods.

use agnt2_evm::{BlockExecutor, NextBlock, StateDb, TxOutcome, trace_call};
use alloy_primitives::B256;
use jsonrpsee::{RpcModule, core::RpcResult};
use serde_json::Value;

use crate::{
    RpcContext,
    errors::{internal, invalid_params, server_error},
};

/// Re-executes the block prefix before `hash` on the parent state, then traces it.
fn trace_transaction(ctx: &RpcContext, hash: B256) -> RpcResult<Value> {
    let (n, index) = ctx
        .db
        .tx_location(&hash)
        .map_err(internal)?
        .ok_or_else(|| server_error("transaction not found"))?;
    let (block, _) = ctx
        .load_block(n)?
        .ok_or_else(|| server_error("block not found"))?;
    let parent = ctx
        .db
        .state_at(n.saturating_sub(1))
        .map_err(internal)?
        .ok_or_else(|| server_error("parent state not found"))?;
    let h = &block.header;
    let env = NextBlock {
        number: h.number,
        timestamp: h.timestamp,
        beneficiary: h.beneficiary,
        base_fee: h.base_fee_per_gas.unwrap_or_default(),
        gas_limit: h.gas_limit,
        prevrandao: h.mix_hash,
    };
    let config = ctx.builder.evm_config();
    let mut db = StateDb::new(parent);
    {
        let mut exec = BlockExecutor::new(config, &env, &mut db);
        for tx in block.transactions.iter().take(index as usize) {
            match exec.execute(tx.clone()).map_err(internal)? {
                TxOutcome::Included => {}
                other => {
                    return Err(internal(format!(
                        "replay diverged at {}: {other:?}",
                        tx.hash
                    )));
                }
            }
        }
    }
    let tx = block
        .transactions
        .get(index as usize)
        .ok_or_else(|| internal("indexed tx missing"))?;
    let frame = trace_call(config, &env, &mut db, tx).map_err(internal)?;
    serde_json::to_value(frame).map_err(internal)
}

/// Registers the tracing methods.
pub(crate) fn register(m: &mut RpcModule<RpcContext>) {
    m.register_blocking_method::<RpcResult<Value>, _>("debug_traceTransaction", |p, c, _| {
        let mut s = p.sequence();
        let hash: B256 = s.next()?;
        let opts: Option<Value> = s.optional_next()?;
        let tracer = opts
            .as_ref()
            .and_then(|o| o.get("tracer"))
            .and_then(Value::as_str);
        if tracer != Some("callTracer") {
            return Err(invalid_params(
                "only the callTracer is supported: pass {\"tracer\":\"callTracer\"}",
            ));
        }
        trace_transaction(&c, hash)
    })
    .unwrap_or_else(|e| panic!("registering debug_traceTransaction: {e}"));
}
