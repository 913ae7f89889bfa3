//! Simulation methods: `eth_call`, `eth_estimateGas`, `eth_createAccessList`,
//! `eth_fillTransaction` and `eth_simulateV1`. Every one of them turns a request into a
//! transaction through [`call_request`] and `agnt2_evm::call_env`, so access lists and EIP-7702
//! authorizations count the same everywhere.

use agnt2_evm::{
    AccessListInspector, CallError, CallRequest, CallResult, Deadline, NextBlock, StateDb,
    call_env, call_until, inspect,
};
use agnt2_storage::StateProvider;
use alloy::{
    consensus::{Header, Sealed, SignableTransaction, TypedTransaction},
    eips::eip2718::Encodable2718,
    rpc::types::{
        Block, BlockId, BlockOverrides, BlockTransactions, Header as RpcHeader, Log as RpcLog,
        TransactionRequest, Withdrawals,
        simulate::{SimCallResult, SimulateError, SimulatePayload, SimulatedBlock},
        state::StateOverride,
    },
};
use alloy_primitives::{B256, Bytes, Signature, U64, U256, keccak256};
use jsonrpsee::{
    RpcModule,
    core::RpcResult,
    types::{ErrorObject, ErrorObjectOwned},
};
use revm::{DatabaseCommit, context::result::ExecutionResult};
use revm_inspectors::transfer::TransferInspector;
use serde_json::{Value, json};

use crate::{
    RpcContext,
    errors::{internal, invalid_params, reverted, server_error},
    eth::now_secs,
};

type Ctx = RpcContext;

/// The overlay every simulation runs on.
pub(crate) type SimDb = StateDb<Box<dyn StateProvider>>;

/// Most blocks one `eth_simulateV1` request may simulate (geth's limit).
const MAX_SIMULATE_BLOCKS: usize = 256;

/// Turns a `TransactionRequest` into the executor's call parameters.
/// geth's `--rpc.gascap`: a call gets at most the cap, whatever it asks for (the block gas
/// limit still bounds it further).
pub(crate) fn cap_gas(req: &mut CallRequest) {
    req.gas = Some(
        req.gas
            .unwrap_or(u64::MAX)
            .min(crate::budget::current().gas_cap),
    );
}

pub(crate) fn call_request(req: &TransactionRequest) -> RpcResult<CallRequest> {
    let input = req
        .input
        .clone()
        .try_into_unique_input()
        .map_err(|_| invalid_params("both \"data\" and \"input\" are set and not equal"))?
        .unwrap_or_default();
    Ok(CallRequest {
        from: req.from.unwrap_or_default(),
        to: req.to.and_then(|k| k.to().copied()),
        gas: req.gas,
        gas_price: req.gas_price.or(req.max_fee_per_gas).unwrap_or_default(),
        priority_fee: req.max_priority_fee_per_gas,
        value: req.value.unwrap_or_default(),
        input,
        nonce: req.nonce,
        access_list: req.access_list.clone().unwrap_or_default(),
        authorization_list: req.authorization_list.clone().unwrap_or_default(),
    })
}

/// geth's error for a call that could not run.
pub(crate) fn call_error(e: CallError) -> ErrorObjectOwned {
    match e {
        CallError::Invalid(m) => server_error(m),
        e @ CallError::Timeout(_) => server_error(e.to_string()),
        CallError::Db(e) => internal(e),
        CallError::Evm(m) => internal(m),
    }
}

/// Applies `eth_call`-style state overrides.
pub(crate) fn apply_overrides<P: StateProvider>(
    db: &mut StateDb<P>,
    overrides: Option<StateOverride>,
) -> RpcResult<()> {
    for (address, o) in overrides.into_iter().flatten() {
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(invalid_params(format!(
                "account {address} has both 'state' and 'stateDiff'"
            )));
        }
        db.override_account(address, o.balance, o.nonce, o.code.clone())
            .map_err(internal)?;
        if let Some(state) = &o.state {
            db.wipe_storage_for_call(address);
            for (k, v) in state {
                db.override_storage(address, U256::from_be_bytes(k.0), U256::from_be_bytes(v.0));
            }
        }
        if let Some(diff) = &o.state_diff {
            for (k, v) in diff {
                db.override_storage(address, U256::from_be_bytes(k.0), U256::from_be_bytes(v.0));
            }
        }
    }
    Ok(())
}

/// Applies block overrides to the environment (and BLOCKHASH answers to the overlay).
pub(crate) fn apply_block_overrides(env: &mut NextBlock, db: &mut SimDb, o: &BlockOverrides) {
    if let Some(n) = o.number {
        env.number = n.saturating_to();
    }
    if let Some(t) = o.time {
        env.timestamp = t;
    }
    if let Some(g) = o.gas_limit {
        env.gas_limit = g;
    }
    if let Some(c) = o.coinbase {
        env.beneficiary = c;
    }
    if let Some(r) = o.random {
        env.prevrandao = r;
    }
    if let Some(b) = o.base_fee {
        env.base_fee = b.saturating_to();
    }
    for (n, h) in o.block_hash.iter().flatten() {
        db.override_block_hash(*n, *h);
    }
}

/// The block environment and state overlay a simulation at `block` runs on: the pending
/// block's environment for the head, the block's own for an older one.
pub(crate) fn sim_base(
    ctx: &Ctx,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> RpcResult<(NextBlock, SimDb)> {
    let number = ctx
        .resolve_id(block)?
        .ok_or_else(|| server_error("header not found"))?;
    let head = ctx.head_number()?;
    let (mut env, _) = ctx.builder.next_block_env(now_secs()).map_err(internal)?;
    if number < head {
        let header = ctx
            .db
            .header(number)
            .map_err(internal)?
            .ok_or_else(|| server_error("header not found"))?;
        env.number = header.number;
        env.timestamp = header.timestamp;
        env.base_fee = header.base_fee_per_gas.unwrap_or_default();
        env.gas_limit = header.gas_limit;
        env.beneficiary = header.beneficiary;
        env.prevrandao = header.mix_hash;
    }
    let mut db = StateDb::new(ctx.state(block)?);
    apply_overrides(&mut db, overrides)?;
    Ok((env, db))
}

/// Runs a call at `block`; returns the execution result and the state it touched.
fn run_call(
    ctx: &Ctx,
    req: &CallRequest,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> RpcResult<CallResult> {
    let (env, mut db) = sim_base(ctx, block, overrides)?;
    let budget = crate::budget::current();
    let mut req = req.clone();
    cap_gas(&mut req);
    call_until(
        ctx.builder.evm_config(),
        &env,
        &mut db,
        &req,
        budget.until,
        budget.limit,
    )
    .map_err(call_error)
}

/// A call's return data, or geth's error for a revert or halt.
pub(crate) fn call_output(result: &ExecutionResult<op_revm::OpHaltReason>) -> RpcResult<Bytes> {
    match result {
        ExecutionResult::Success { output, .. } => Ok(output.data().clone()),
        ExecutionResult::Revert { output, .. } => Err(reverted(output)),
        ExecutionResult::Halt { reason, .. } => Err(server_error(halt_message(reason))),
    }
}

fn halt_message(reason: &op_revm::OpHaltReason) -> String {
    use revm::context::result::HaltReason;
    match reason {
        op_revm::OpHaltReason::Base(HaltReason::OutOfGas(_)) => "out of gas".into(),
        op_revm::OpHaltReason::Base(HaltReason::InvalidFEOpcode)
        | op_revm::OpHaltReason::Base(HaltReason::OpcodeNotFound) => "invalid opcode".into(),
        other => format!("execution halted: {other:?}"),
    }
}

/// The smallest gas limit with which `creq` succeeds (within 0.1%), by binary search.
fn estimate(
    ctx: &Ctx,
    mut creq: CallRequest,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> RpcResult<u64> {
    let (env, _) = ctx.builder.next_block_env(now_secs()).map_err(internal)?;
    cap_gas(&mut creq);
    let cap = creq.gas.unwrap_or(env.gas_limit).min(env.gas_limit);
    creq.gas = Some(cap);
    let first = run_call(ctx, &creq, block, overrides.clone())?;
    match &first.result {
        ExecutionResult::Success { .. } => {}
        // geth: a revert answers with its reason; anything else did not fit the allowance.
        ExecutionResult::Revert { .. } => {
            call_output(&first.result)?;
        }
        ExecutionResult::Halt { .. } => {
            return Err(server_error(format!(
                "gas required exceeds allowance ({cap})"
            )));
        }
    }
    // Between the gas used (a lower bound) and the cap; most calls (transfers among them)
    // need no more than they used, so that is the first try and often the exact answer.
    let used = first.result.tx_gas_used();
    creq.gas = Some(used);
    if run_call(ctx, &creq, block, overrides.clone())?
        .result
        .is_success()
    {
        return Ok(used);
    }
    let mut lo = used;
    let mut hi = cap;
    // Most calls succeed with a little headroom over what they used: try that first.
    let guess = (first.result.tx_gas_used() * 64 / 63 + 2_300).min(cap);
    creq.gas = Some(guess);
    if run_call(ctx, &creq, block, overrides.clone())?
        .result
        .is_success()
    {
        hi = guess;
    }
    while hi - lo > 1 && (hi - lo) * 1000 > hi {
        let mid = lo + (hi - lo) / 2;
        creq.gas = Some(mid);
        if run_call(ctx, &creq, block, overrides.clone())?
            .result
            .is_success()
        {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// `eth_createAccessList`: the accounts and slots the call's code touches (geth's rule: not the
/// sender, the recipient, precompiles, EIP-7702 authorities, and here not the fee vaults, which
/// every transaction credits), iterated until the list no longer changes, with the gas the call
/// uses with it.
fn access_list(
    ctx: &Ctx,
    req: TransactionRequest,
    block: Option<BlockId>,
    overrides: Option<StateOverride>,
) -> RpcResult<Value> {
    let mut creq = call_request(&req)?;
    cap_gas(&mut creq);
    let config = ctx.builder.evm_config();
    let mut list = creq.access_list.clone();
    let mut last = None;
    // geth stops when the list is stable; a list only grows, so a few rounds suffice.
    for _ in 0..4 {
        creq.access_list = list.clone();
        let (env, mut db) = sim_base(ctx, block, overrides.clone())?;
        let env_tx = call_env(config, &env, &mut db, &creq).map_err(call_error)?;
        let budget = crate::budget::current();
        let mut inspector = Deadline::new(AccessListInspector::new(list.clone()), budget.until);
        let out = inspect(config, &env, &mut db, env_tx, &mut inspector).map_err(call_error)?;
        if inspector.expired() {
            return Err(call_error(CallError::Timeout(budget.limit)));
        }
        let mut next = inspector.into_inner().into_access_list();
        next.0
            .retain(|i| !agnt2_primitives::constants::FEE_VAULTS.contains(&i.address));
        next.0.sort_by_key(|i| i.address);
        let stable = next == list;
        list = next;
        last = Some(out);
        if stable {
            break;
        }
    }
    let out = last.ok_or_else(|| internal("access list: no run"))?;
    let mut result = json!({
        "accessList": list,
        "gasUsed": U64::from(out.result.tx_gas_used()),
    });
    if !out.result.is_success()
        && let Err(e) = call_output(&out.result)
    {
        result["error"] = json!(e.message());
    }
    Ok(result)
}

/// `eth_fillTransaction` (geth): the request with nonce, gas, fees, chain id and type filled
/// in, as an unsigned transaction (`tx`) and its encoding (`raw`).
fn fill_transaction(ctx: &Ctx, mut req: TransactionRequest) -> RpcResult<Value> {
    let from = req.from.unwrap_or_default();
    if req.nonce.is_none() {
        let state = ctx.db.latest().map_err(internal)?;
        let nonce = state
            .account(&from)
            .map_err(internal)?
            .map_or(0, |a| a.nonce);
        req.nonce = Some(ctx.pool.pending_nonce(&from, nonce));
    }
    req.chain_id.get_or_insert(ctx.spec.chain_id);
    if req.gas_price.is_none() {
        let base = ctx
            .builder
            .next_block_env(now_secs())
            .map_err(internal)?
            .0
            .base_fee as u128;
        let tip = *req
            .max_priority_fee_per_gas
            .get_or_insert(ctx.config.suggested_tip);
        req.max_fee_per_gas.get_or_insert(2 * base + tip);
    }
    if req.gas.is_none() {
        let mut creq = call_request(&req)?;
        // Estimated without fee checks, as geth estimates before it fills fees.
        creq.gas_price = 0;
        creq.priority_fee = None;
        creq.nonce = None;
        req.gas = Some(estimate(ctx, creq, None, None)?);
    }
    let raw_input = req.input.input().cloned().unwrap_or_default();
    req.input = alloy::rpc::types::TransactionInput::both(raw_input);
    let typed: TypedTransaction = req
        .clone()
        .build_typed_tx()
        .map_err(|_| invalid_params("transaction request is missing fields"))?;
    let signed = typed.into_signed(Signature::new(U256::ZERO, U256::ZERO, false));
    let raw = Bytes::from(signed.encoded_2718());
    let mut tx = serde_json::to_value(&req).map_err(internal)?;
    tx["hash"] = json!(signed.hash());
    tx["type"] = json!(U64::from(alloy::eips::Typed2718::ty(signed.tx())));
    Ok(json!({ "raw": raw, "tx": tx }))
}

/// geth's error object for one failed simulated call.
fn sim_call_error(result: &ExecutionResult<op_revm::OpHaltReason>) -> Option<SimulateError> {
    match result {
        ExecutionResult::Success { .. } => None,
        ExecutionResult::Revert { output, .. } => {
            let e = reverted(output);
            Some(SimulateError {
                code: e.code(),
                message: e.message().to_string(),
                data: Some(output.clone()),
            })
        }
        ExecutionResult::Halt { reason, .. } => Some(SimulateError {
            code: -32015,
            message: halt_message(reason),
            data: None,
        }),
    }
}

fn sim_error(code: i32, msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, msg.into(), None::<()>)
}

/// `eth_simulateV1`: blocks of calls on top of `block`, each with its own block and state
/// overrides, every call seeing the ones before it. Simulated blocks carry no state root
/// (zero): they are never sealed.
fn simulate_v1(
    ctx: &Ctx,
    payload: SimulatePayload,
    block: Option<BlockId>,
) -> RpcResult<Vec<SimulatedBlock<Block<Value>>>> {
    if payload.block_state_calls.len() > MAX_SIMULATE_BLOCKS {
        return Err(sim_error(-38026, "too many blocks"));
    }
    let (mut env, mut db) = sim_base(ctx, block, None)?;
    let config = ctx.builder.evm_config();
    let mut parent_hash = ctx
        .db
        .block_hash(env.number.saturating_sub(1))
        .map_err(internal)?
        .unwrap_or_default();
    let checks = SimChecks {
        validation: payload.validation,
        trace_transfers: payload.trace_transfers,
    };
    let mut out = Vec::with_capacity(payload.block_state_calls.len());
    for (i, sim) in payload.block_state_calls.into_iter().enumerate() {
        if i > 0 {
            next_sim_env(&mut env, &mut db, sim.block_overrides.as_ref())?;
        } else if let Some(o) = &sim.block_overrides {
            apply_block_overrides(&mut env, &mut db, o);
        }
        apply_overrides(&mut db, sim.state_overrides)?;
        let results = run_sim_calls(config, &env, &mut db, &sim.calls, checks)?;
        let block = sim_block(&env, parent_hash, results);
        parent_hash = block.inner.header.hash;
        out.push(block);
    }
    Ok(out)
}

/// Moves the environment to the next simulated block: one number and one second on, unless
/// overridden, and never backwards (geth's rule).
fn next_sim_env(
    env: &mut NextBlock,
    db: &mut SimDb,
    overrides: Option<&BlockOverrides>,
) -> RpcResult<()> {
    let prev = (env.number, env.timestamp);
    env.number += 1;
    env.timestamp += 1;
    if let Some(o) = overrides {
        apply_block_overrides(env, db, o);
    }
    if env.number <= prev.0 {
        return Err(sim_error(-38020, "block numbers must be in order"));
    }
    if env.timestamp <= prev.1 {
        return Err(sim_error(-38021, "block timestamps must be in order"));
    }
    Ok(())
}

/// How `eth_simulateV1` runs its calls.
#[derive(Debug, Clone, Copy)]
struct SimChecks {
    /// Enforce nonces, balances and the base fee as a real block does.
    validation: bool,
    /// Add ERC-20-style logs for ETH moves.
    trace_transfers: bool,
}

/// Runs one simulated block's calls in order, committing each.
fn run_sim_calls(
    config: &agnt2_evm::EvmConfig,
    env: &NextBlock,
    db: &mut SimDb,
    calls: &[TransactionRequest],
    checks: SimChecks,
) -> RpcResult<Vec<ExecutionResult<op_revm::OpHaltReason>>> {
    let mut results = Vec::with_capacity(calls.len());
    let mut gas_used = 0u64;
    for req in calls {
        let mut creq = call_request(req)?;
        let left = env.gas_limit.saturating_sub(gas_used);
        let gas = creq
            .gas
            .unwrap_or(left)
            .min(crate::budget::current().gas_cap);
        if gas > left {
            return Err(sim_error(-38015, "block gas limit reached"));
        }
        creq.gas = Some(gas);
        let mut tx = call_env(config, env, db, &creq).map_err(call_error)?;
        if checks.validation {
            tx.cfg.disable_nonce_check = false;
            tx.cfg.disable_base_fee = false;
            tx.cfg.disable_fee_charge = false;
        }
        let budget = crate::budget::current();
        let mut transfers = Deadline::new(
            TransferInspector::new(false).with_logs(checks.trace_transfers),
            budget.until,
        );
        let res = inspect(config, env, &mut *db, tx, &mut transfers).map_err(call_error)?;
        if transfers.expired() {
            return Err(call_error(CallError::Timeout(budget.limit)));
        }
        gas_used += res.result.tx_gas_used();
        db.commit(res.state);
        results.push(res.result);
    }
    Ok(results)
}

/// The block `eth_simulateV1` reports for calls run in `env`: synthetic transaction hashes
/// (the block hash and the call's index), logs placed in the block.
fn sim_block(
    env: &NextBlock,
    parent_hash: B256,
    results: Vec<ExecutionResult<op_revm::OpHaltReason>>,
) -> SimulatedBlock<Block<Value>> {
    let header = Header {
        parent_hash,
        beneficiary: env.beneficiary,
        number: env.number,
        timestamp: env.timestamp,
        gas_limit: env.gas_limit,
        gas_used: results.iter().map(|r| r.tx_gas_used()).sum(),
        base_fee_per_gas: Some(env.base_fee),
        mix_hash: env.prevrandao,
        ..Default::default()
    };
    let hash = header.hash_slow();
    let tx_hashes: Vec<B256> = (0..results.len())
        .map(|j| keccak256([hash.as_slice(), &(j as u64).to_be_bytes()].concat()))
        .collect();
    let mut log_index = 0u64;
    let calls = results
        .iter()
        .enumerate()
        .map(|(j, result)| SimCallResult {
            return_data: result.output().cloned().unwrap_or_default(),
            logs: result
                .logs()
                .iter()
                .map(|inner| {
                    log_index += 1;
                    RpcLog {
                        inner: inner.clone(),
                        block_hash: Some(hash),
                        block_number: Some(env.number),
                        block_timestamp: Some(env.timestamp),
                        transaction_hash: Some(tx_hashes[j]),
                        transaction_index: Some(j as u64),
                        log_index: Some(log_index - 1),
                        removed: false,
                    }
                })
                .collect(),
            gas_used: result.tx_gas_used(),
            max_used_gas: None,
            status: result.is_success(),
            error: sim_call_error(result),
        })
        .collect();
    SimulatedBlock {
        inner: Block {
            header: RpcHeader::from_consensus(Sealed::new_unchecked(header, hash), None, None),
            uncles: Vec::new(),
            transactions: BlockTransactions::Hashes(tx_hashes),
            withdrawals: Some(Withdrawals::new(Vec::new())),
        },
        calls,
    }
}

/// Registers the simulation methods.
pub(crate) fn register(m: &mut RpcModule<Ctx>) {
    executing!(m, "eth_call", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let overrides: Option<StateOverride> = s.optional_next()?;
        let out = run_call(c, &call_request(&req)?, block, overrides)?;
        Ok(json!(call_output(&out.result)?))
    });
    executing!(m, "eth_estimateGas", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let overrides: Option<StateOverride> = s.optional_next()?;
        Ok(json!(U64::from(estimate(
            c,
            call_request(&req)?,
            block,
            overrides
        )?)))
    });
    executing!(m, "eth_createAccessList", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let overrides: Option<StateOverride> = s.optional_next()?;
        access_list(c, req, block, overrides)
    });
    executing!(m, "eth_fillTransaction", |p, c| {
        let req: TransactionRequest = p.sequence().next()?;
        fill_transaction(c, req)
    });
    executing!(m, "eth_simulateV1", |p, c| {
        let mut s = p.sequence();
        let payload: SimulatePayload = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        serde_json::to_value(simulate_v1(c, payload, block)?).map_err(internal)
    });
}
