//! `debug_` tracing methods: geth's tracers (run by `agnt2_evm::trace` on `revm-inspectors`)
//! over transactions replayed on their parent state, whole blocks, and calls.

use agnt2_evm::{
    BlockExecutor, CallEnv, NextBlock, StateDb, TraceError, TransactionContext, TxOutcome,
    call_env, trace,
};
use agnt2_primitives::SealedBlock;
use agnt2_storage::HistoricalState;
use alloy::rpc::types::{
    BlockId, BlockNumberOrTag, TransactionRequest,
    trace::geth::{GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace, TraceResult},
};
use alloy_primitives::B256;
use jsonrpsee::{RpcModule, core::RpcResult, types::ErrorObjectOwned};
use revm::DatabaseCommit;
use serde_json::Value;

use crate::{
    RpcContext,
    errors::{internal, invalid_params, server_error},
    sim::{apply_block_overrides, call_error, call_request, cap_gas, sim_base},
};

fn trace_error(e: TraceError) -> ErrorObjectOwned {
    match e {
        TraceError::Tracer(m) => invalid_params(m),
        TraceError::Call(e) => call_error(e),
        TraceError::Timeout => server_error("execution timeout"),
    }
}

/// The environment block `block` was executed in.
fn block_env(block: &SealedBlock) -> NextBlock {
    let h = &block.header;
    NextBlock {
        number: h.number,
        timestamp: h.timestamp,
        beneficiary: h.beneficiary,
        base_fee: h.base_fee_per_gas.unwrap_or_default(),
        gas_limit: h.gas_limit,
        prevrandao: h.mix_hash,
    }
}

/// Block `n` and the state it was built on.
fn block_and_parent(
    ctx: &RpcContext,
    n: u64,
) -> RpcResult<(SealedBlock, StateDb<HistoricalState>)> {
    if n == 0 {
        return Err(server_error("genesis is not traceable"));
    }
    let (block, _) = ctx
        .load_block(n)?
        .ok_or_else(|| server_error(format!("block #{n} not found")))?;
    let parent = ctx
        .db
        .state_at(n - 1)
        .map_err(crate::errors::storage)?
        .ok_or_else(|| server_error("parent state not found"))?;
    Ok((block, StateDb::new(parent)))
}

/// Re-executes the block prefix before `hash` on the parent state, then traces it.
fn trace_transaction(
    ctx: &RpcContext,
    hash: B256,
    opts: &GethDebugTracingOptions,
) -> RpcResult<Value> {
    let (n, index) = ctx
        .db
        .tx_location(&hash)
        .map_err(internal)?
        .ok_or_else(|| server_error("transaction not found"))?;
    let (block, mut db) = block_and_parent(ctx, n)?;
    let env = block_env(&block);
    let config = ctx.builder.evm_config();
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
    let (trace, _) = trace_in_block(ctx, &block, index as usize, &db, opts)?;
    serde_json::to_value(trace).map_err(internal)
}

/// Traces transaction `index` of `block` on `db` (the state the ones before it left).
fn trace_in_block(
    ctx: &RpcContext,
    block: &SealedBlock,
    index: usize,
    db: &StateDb<HistoricalState>,
    opts: &GethDebugTracingOptions,
) -> RpcResult<(GethTrace, agnt2_evm::CallResult)> {
    let tx = block
        .transactions
        .get(index)
        .ok_or_else(|| internal("indexed tx missing"))?;
    let context = TransactionContext {
        block_hash: Some(block.hash),
        tx_index: Some(index),
        tx_hash: Some(tx.hash),
    };
    let config = ctx.builder.evm_config();
    let env = CallEnv::for_tx(config, tx);
    trace(config, &block_env(block), db, env, opts, context).map_err(trace_error)
}

/// Traces every transaction of block `n`, each on the state the ones before it left.
fn trace_block(ctx: &RpcContext, n: u64, opts: &GethDebugTracingOptions) -> RpcResult<Value> {
    let (block, mut db) = block_and_parent(ctx, n)?;
    let mut out = Vec::with_capacity(block.transactions.len());
    for (i, tx) in block.transactions.iter().enumerate() {
        let (trace, result) = trace_in_block(ctx, &block, i, &db, opts)?;
        db.commit(result.state);
        out.push(TraceResult::Success {
            result: trace,
            tx_hash: Some(tx.hash),
        });
    }
    serde_json::to_value(out).map_err(internal)
}

/// Traces a call at `block`, with geth's state and block overrides.
fn trace_call(
    ctx: &RpcContext,
    req: TransactionRequest,
    block: Option<BlockId>,
    opts: GethDebugTracingCallOptions,
) -> RpcResult<Value> {
    if opts.tx_index.is_some() {
        return Err(invalid_params(
            "txIndex is not supported by debug_traceCall",
        ));
    }
    let (mut env, mut db) = sim_base(ctx, block, opts.state_overrides)?;
    if let Some(o) = &opts.block_overrides {
        apply_block_overrides(&mut env, &mut db, o);
    }
    let config = ctx.builder.evm_config();
    let mut creq = call_request(&req)?;
    cap_gas(&mut creq);
    let tx = call_env(config, &env, &mut db, &creq).map_err(call_error)?;
    let (trace, _) = trace(
        config,
        &env,
        &db,
        tx,
        &opts.tracing_options,
        TransactionContext::default(),
    )
    .map_err(trace_error)?;
    serde_json::to_value(trace).map_err(internal)
}

/// Registers the tracing methods.
pub(crate) fn register(m: &mut RpcModule<RpcContext>) {
    executing!(m, "debug_traceTransaction", |p, c| {
        let mut s = p.sequence();
        let hash: B256 = s.next()?;
        let opts: Option<GethDebugTracingOptions> = s.optional_next()?;
        trace_transaction(c, hash, &opts.unwrap_or_default())
    });
    executing!(m, "debug_traceBlockByNumber", |p, c| {
        let mut s = p.sequence();
        let tag: BlockNumberOrTag = s.next()?;
        let opts: Option<GethDebugTracingOptions> = s.optional_next()?;
        let n = c
            .resolve_id(Some(BlockId::Number(tag)))?
            .ok_or_else(|| server_error("block not found"))?;
        trace_block(c, n, &opts.unwrap_or_default())
    });
    executing!(m, "debug_traceBlockByHash", |p, c| {
        let mut s = p.sequence();
        let hash: B256 = s.next()?;
        let opts: Option<GethDebugTracingOptions> = s.optional_next()?;
        let n =
            c.db.block_number(&hash)
                .map_err(internal)?
                .ok_or_else(|| server_error("block not found"))?;
        trace_block(c, n, &opts.unwrap_or_default())
    });
    executing!(m, "debug_traceCall", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let opts: Option<GethDebugTracingCallOptions> = s.optional_next()?;
        trace_call(c, req, block, opts.unwrap_or_default())
    });
}
