//! Read-only calls (`eth_call`, `eth_estimateGas`, `eth_createAccessList`, tracing): one way to
//! turn a call request into op-revm's transaction, so every simulation path treats access lists
//! and EIP-7702 authorizations alike.

use agnt2_precompiles::AgentPrecompiles;
use agnt2_storage::StateProvider;
use alloy::eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use op_revm::{DefaultOp, OpBuilder, OpContext, OpHaltReason, OpSpecId, OpTransaction};
use revm::{
    Context, Database, ExecuteEvm, InspectEvm, Inspector,
    context::{
        CfgEnv, TxEnv,
        result::{EVMError, ResultAndState},
    },
    interpreter::interpreter::EthInterpreter,
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
    /// State access failed.
    #[error("state: {0}")]
    Db(String),
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
            .map_err(|e: DbError| CallError::Db(e.0))?
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
pub(crate) fn call_error<E: std::fmt::Display>(
    e: EVMError<E, op_revm::OpTransactionError>,
) -> CallError {
    match e {
        EVMError::Transaction(e) => CallError::Invalid(tx_error_message(&e)),
        other => CallError::Db(other.to_string()),
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
    DB: Database,
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
