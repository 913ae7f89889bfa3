//! Read-only calls (`eth_call`, `eth_estimateGas`, `eth_createAccessList`, tracing): one way to
//! turn a call request into op-revm's transaction, so every simulation path treats access lists
//! and EIP-7702 authorizations alike.

use agnt2_precompiles::AgentPrecompiles;
use agnt2_storage_api::StateProvider;
use alloy::eips::eip7702::SignedAuthorization;
use std::time::Instant;

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use op_revm::{DefaultOp, OpBuilder, OpContext, OpHaltReason, OpSpecId, OpTransaction};
use revm::{
    Context, Database, ExecuteEvm, InspectEvm, Inspector,
    context::{
        CfgEnv, TxEnv,
        result::{EVMError, ResultAndState},
    },
    context_interface::ContextTr,
    interpreter::{
        CallInputs, CallOutcome, CreateInputs, CreateOutcome, Interpreter,
        interpreter::EthInterpreter,
    },
};

use crate::{
    config::{EvmConfig, NextBlock},
    db::{DbError, StateDb},
    executor::tx_error_message,
};

/// The parameters of a read-only call.
#[derive(Debug, Clone, Default)]
pub struct CallRequest {
    /// Caller (zero address if unset).
    pub from: Address,
    /// Target; `None` creates.
    pub to: Option<Address>,
    /// Gas limit (defaults to the block gas limit).
    pub gas: Option<u64>,
    /// Gas price; zero means fees are not charged.
    pub gas_price: u128,
    /// Priority fee.
    pub priority_fee: Option<u128>,
    /// Value.
    pub value: U256,
    /// Input.
    pub input: Bytes,
    /// Nonce (defaults to the account's).
    pub nonce: Option<u64>,
    /// Access list.
    pub access_list: alloy::eips::eip2930::AccessList,
    /// EIP-7702 authorizations: a non-empty list makes the call a type-4 transaction, so the
    /// delegations are applied (and charged) before it runs, as they would be on chain.
    pub authorization_list: Vec<SignedAuthorization>,
}

/// The result of a read-only call.
pub type CallResult = ResultAndState<OpHaltReason>;

/// Why a call could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call is not a valid transaction (geth wording).
    #[error("{0}")]
    Invalid(String),
    /// The call ran past its deadline (geth's `--rpc.evmtimeout` wording).
    #[error("execution aborted (timeout = {0:?})")]
    Timeout(std::time::Duration),
    /// State access failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// op-revm failed for a reason that is neither the state's nor the call's; revm reports
    /// those as text.
    #[error("{0}")]
    Evm(String),
}

/// A request ready for op-revm: the relaxed configuration and the transaction.
#[derive(Debug, Clone)]
pub struct CallEnv {
    /// Configuration: nonce, base-fee and fee checks relaxed the way geth relaxes them for
    /// `eth_call` when no nonce or gas price is given.
    pub cfg: CfgEnv<OpSpecId>,
    /// The transaction.
    pub tx: OpTransaction<TxEnv>,
}

/// Builds the transaction `req` stands for on top of `db`.
pub fn call_env<P: StateProvider>(
    config: &EvmConfig,
    next: &NextBlock,
    db: &mut StateDb<P>,
    req: &CallRequest,
) -> Result<CallEnv, CallError> {
    let mut cfg = config.cfg();
    cfg.disable_nonce_check = req.nonce.is_none();
    cfg.disable_base_fee = req.gas_price == 0;
    cfg.disable_fee_charge = req.gas_price == 0;
    let nonce = match req.nonce {
        Some(n) => n,
        None => db
            .basic(req.from)
            .map_err(CallError::Db)?
            .map_or(0, |a| a.nonce),
    };
    let gas_limit = req.gas.unwrap_or(next.gas_limit).min(next.gas_limit);
    let mut base = TxEnv {
        caller: req.from,
        gas_limit,
        gas_price: req.gas_price,
        gas_priority_fee: req.priority_fee,
        kind: req.to.map_or(TxKind::Create, TxKind::Call),
        value: req.value,
        data: req.input.clone(),
        nonce,
        chain_id: Some(config.chain_id),
        access_list: req.access_list.clone(),
        ..Default::default()
    };
    base.set_signed_authorization(req.authorization_list.clone());
    base.derive_tx_type()
        .map_err(|_| CallError::Invalid("transaction type requires a \"to\" address".into()))?;
    Ok(CallEnv {
        cfg,
        tx: OpTransaction {
            base,
            // Empty envelope: no L1 data fee for simulations.
            enveloped_tx: Some(Bytes::new()),
            deposit: Default::default(),
        },
    })
}

/// Maps op-revm's refusal of a transaction to a call error.
pub(crate) fn call_error(e: EVMError<DbError, op_revm::OpTransactionError>) -> CallError {
    match e {
        EVMError::Transaction(e) => CallError::Invalid(tx_error_message(&e)),
        EVMError::Database(e) => CallError::Db(e),
        other => CallError::Evm(other.to_string()),
    }
}

/// Runs `req` on top of `db` without committing.
pub fn call<P: StateProvider>(
    config: &EvmConfig,
    next: &NextBlock,
    db: &mut StateDb<P>,
    req: &CallRequest,
) -> Result<CallResult, CallError> {
    let env = call_env(config, next, db, req)?;
    let mut evm = Context::op()
        .with_db(db)
        .with_block(next.block_env())
        .with_cfg(env.cfg)
        .build_op()
        .with_precompiles(AgentPrecompiles::new(config.spec));
    evm.transact(env.tx).map_err(call_error)
}

impl CallEnv {
    /// A signed transaction as the chain runs it (no checks relaxed).
    pub fn for_tx(config: &EvmConfig, tx: &agnt2_primitives::RecoveredTx) -> Self {
        Self {
            cfg: config.cfg(),
            tx: crate::txenv::tx_env(tx),
        }
    }
}

/// Runs `env` on top of `db` under `inspector`, without committing.
pub fn inspect<DB, I>(
    config: &EvmConfig,
    next: &NextBlock,
    db: DB,
    env: CallEnv,
    inspector: I,
) -> Result<CallResult, CallError>
where
    DB: Database<Error = DbError>,
    I: Inspector<OpContext<DB>, EthInterpreter>,
{
    let mut evm = Context::op()
        .with_db(db)
        .with_block(next.block_env())
        .with_cfg(env.cfg)
        .build_op_with_inspector(inspector)
        .with_precompiles(AgentPrecompiles::new(config.spec));
    evm.inspect_tx(env.tx).map_err(call_error)
}

/// Runs `inner` until a deadline, then halts every frame at its next step (out of gas), so the
/// transaction ends at once; the caller then refuses the result rather than return it cut
/// short. The clock is read every 256 steps, which keeps the check off the step's cost.
pub struct Deadline<I> {
    inner: I,
    until: Instant,
    steps: u32,
    expired: bool,
}

impl<I> Deadline<I> {
    /// `inner`, halted at `until`.
    pub fn new(inner: I, until: Instant) -> Self {
        Self {
            inner,
            until,
            steps: 0,
            expired: Instant::now() >= until,
        }
    }

    /// Whether the deadline cut the execution short.
    pub fn expired(&self) -> bool {
        self.expired
    }

    /// The wrapped inspector.
    pub fn into_inner(self) -> I {
        self.inner
    }

    /// The wrapped inspector.
    pub fn inner(&self) -> &I {
        &self.inner
    }
}

impl<CTX: ContextTr, I: Inspector<CTX, EthInterpreter>> Inspector<CTX, EthInterpreter>
    for Deadline<I>
{
    fn initialize_interp(&mut self, interp: &mut Interpreter<EthInterpreter>, ctx: &mut CTX) {
        self.inner.initialize_interp(interp, ctx);
    }

    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, ctx: &mut CTX) {
        self.steps = self.steps.wrapping_add(1);
        if self.expired || (self.steps.is_multiple_of(256) && Instant::now() >= self.until) {
            self.expired = true;
            interp.halt_oog();
            return;
        }
        self.inner.step(interp, ctx);
    }

    fn step_end(&mut self, interp: &mut Interpreter<EthInterpreter>, ctx: &mut CTX) {
        if !self.expired {
            self.inner.step_end(interp, ctx);
        }
    }

    fn log(&mut self, ctx: &mut CTX, log: Log) {
        self.inner.log(ctx, log);
    }

    fn log_full(&mut self, interp: &mut Interpreter<EthInterpreter>, ctx: &mut CTX, log: Log) {
        self.inner.log_full(interp, ctx, log);
    }

    fn call(&mut self, ctx: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        if self.expired || Instant::now() >= self.until {
            self.expired = true;
        }
        self.inner.call(ctx, inputs)
    }

    fn call_end(&mut self, ctx: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        self.inner.call_end(ctx, inputs, outcome);
    }

    fn create(&mut self, ctx: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.inner.create(ctx, inputs)
    }

    fn create_end(&mut self, ctx: &mut CTX, inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        self.inner.create_end(ctx, inputs, outcome);
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        self.inner.selfdestruct(contract, target, value);
    }
}

/// [`call`], halted at `until` (an RPC's EVM timeout): the result, or
/// [`CallError::Timeout`] with `limit` when the deadline cut it short.
pub fn call_until<P: StateProvider>(
    config: &EvmConfig,
    next: &NextBlock,
    db: &mut StateDb<P>,
    req: &CallRequest,
    until: Instant,
    limit: std::time::Duration,
) -> Result<CallResult, CallError> {
    let env = call_env(config, next, db, req)?;
    let mut deadline = Deadline::new(revm::inspector::NoOpInspector, until);
    let result = inspect(config, next, db, env, &mut deadline)?;
    if deadline.expired() {
        return Err(CallError::Timeout(limit));
    }
    Ok(result)
}
