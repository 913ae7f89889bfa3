//! The sequential block executor (the reference semantics) and read-only calls.

use agnt2_precompiles::AgentPrecompiles;
use agnt2_primitives::{OpTxEnvelope, ReceiptMeta, RecoveredTx, StoredReceipt};
use agnt2_storage_api::StateProvider;
use alloy::consensus::{Eip658Value, Receipt, ReceiptWithBloom, Transaction};
use alloy_primitives::{Address, Log, TxKind, U256};
use op_alloy::consensus::{OpDepositReceipt, OpReceipt, OpReceiptEnvelope};
use op_revm::{DefaultOp, OpBuilder, OpContext, OpEvm, OpHaltReason, OpTransactionError};
use revm::{
    Context, Database, DatabaseCommit, ExecuteEvm,
    context::result::{EVMError, ExecutionResult, ResultAndState},
    context_interface::result::InvalidTransaction,
};
use revm::{handler::instructions::EthInstructions, interpreter::interpreter::EthInterpreter};

use crate::{
    config::{EvmConfig, NextBlock},
    db::{DbError, StateDb},
    txenv::tx_env,
};

/// op-revm at our rules with the agent registries among its precompiles.
pub type AgentEvm<CTX, INSP = ()> =
    OpEvm<CTX, INSP, EthInstructions<EthInterpreter, CTX>, AgentPrecompiles>;

/// What happened to a transaction offered to the executor.
#[derive(Debug)]
pub enum TxOutcome {
    /// Executed and part of the block (successful or reverted).
    Included,
    /// Its gas limit exceeds what is left in the block; it may fit a later block.
    DoesNotFit,
    /// Not executable against the current state (nonce, balance, fee...). Not included.
    Invalid(String),
}

/// A transaction executed in a block.
#[derive(Debug, Clone)]
pub struct ExecutedTx {
    /// The transaction.
    pub tx: RecoveredTx,
    /// Its receipt.
    pub receipt: StoredReceipt,
}

/// The result of executing a block's transactions.
#[derive(Debug, Default)]
pub struct ExecutedBlock {
    /// Included transactions, in order.
    pub transactions: Vec<RecoveredTx>,
    /// Their receipts.
    pub receipts: Vec<StoredReceipt>,
    /// Total gas used.
    pub gas_used: u64,
}

/// Executes transactions one after another on top of a [`StateDb`]: the reference semantics
/// that every parallel builder result must match.
pub struct BlockExecutor<'db, P: StateProvider> {
    evm: AgentEvm<OpContext<&'db mut StateDb<P>>>,
    base_fee: u64,
    gas_limit: u64,
    out: ExecutedBlock,
}

impl<P: StateProvider> std::fmt::Debug for BlockExecutor<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockExecutor")
            .field("gas_used", &self.out.gas_used)
            .finish()
    }
}

/// What one transaction read and wrote, at account and slot level. An account counts as
/// written when its nonce, balance or code changed (or it was created or destroyed), not merely
/// because the EVM touched it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxAccess {
    /// Accounts loaded.
    pub read_accounts: Vec<Address>,
    /// Accounts whose fields changed.
    pub written_accounts: Vec<Address>,
    /// Slots loaded.
    pub read_slots: Vec<(Address, U256)>,
    /// Slots whose value changed.
    pub written_slots: Vec<(Address, U256)>,
    /// Contract code looked at a fee vault (balance, code, call), only known for guarded runs.
    pub touches_fee_vault: bool,
}

fn record_access<P: StateProvider>(
    db: &mut StateDb<P>,
    state: &revm::primitives::AddressMap<revm::state::Account>,
    access: &mut TxAccess,
) -> Result<(), DbError> {
    for (address, account) in state {
        access.read_accounts.push(*address);
        let before = db.basic(*address)?;
        // A touched empty account is removed at commit (EIP-161): that is a write too, and one
        // that EXTCODEHASH can tell apart from an empty account.
        let changed = account.is_touched()
            && (account.is_selfdestructed()
                || account.is_created()
                || (account.is_empty() && before.is_some())
                || match &before {
                    Some(b) => {
                        b.nonce != account.info.nonce
                            || b.balance != account.info.balance
                            || b.code_hash != account.info.code_hash
                    }
                    None => !account.is_empty(),
                });
        if changed {
            access.written_accounts.push(*address);
        }
        for (slot, value) in &account.storage {
            access.read_slots.push((*address, *slot));
            if value.is_changed() {
                access.written_slots.push((*address, *slot));
            }
        }
    }
    Ok(())
}

/// A failure of the node, not of a transaction: the block must be abandoned.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    /// Reading or writing state failed.
    #[error("block execution failed: {0}")]
    State(#[from] DbError),
    /// op-revm failed for a reason that is neither the state's nor the transaction's (a bad
    /// block header or environment); revm reports those as text.
    #[error("block execution failed: {0}")]
    Evm(String),
}

impl From<agnt2_storage_api::ProviderError> for FatalError {
    fn from(e: agnt2_storage_api::ProviderError) -> Self {
        Self::State(e.into())
    }
}

impl<'db, P: StateProvider> BlockExecutor<'db, P> {
    /// Starts a block.
    pub fn new(config: &EvmConfig, next: &NextBlock, db: &'db mut StateDb<P>) -> Self {
        let mut evm = Context::op()
            .with_db(db)
            .with_block(next.block_env())
            .with_cfg(config.cfg())
            .build_op()
            .with_precompiles(AgentPrecompiles::new(config.spec));
        crate::guard::install(&mut evm.0.instruction);
        Self {
            evm,
            base_fee: next.base_fee,
            gas_limit: next.gas_limit,
            out: ExecutedBlock::default(),
        }
    }

    /// Whether `address` has code in the state this block builds on (and has built so far).
    pub fn has_code(&mut self, address: Address) -> Result<bool, FatalError> {
        let db = &mut self.evm.0.ctx.journaled_state.database;
        Ok(db
            .basic(address)?
            .is_some_and(|a| a.code_hash != alloy_primitives::KECCAK256_EMPTY))
    }

    /// Continues a block whose earlier transactions were executed elsewhere: `used` gas counts
    /// as already spent. The block environment (GASLIMIT and the rest) stays the block's own.
    pub fn resume_at(&mut self, used: u64) {
        self.out.gas_used = used;
    }

    /// Gas still available in the block.
    pub fn gas_left(&self) -> u64 {
        self.gas_limit.saturating_sub(self.out.gas_used)
    }

    /// Executes `tx` and, unless it is invalid, commits it to the block.
    pub fn execute(&mut self, tx: RecoveredTx) -> Result<TxOutcome, FatalError> {
        self.execute_inner(tx, None, false)
    }

    /// Like [`BlockExecutor::execute`], also reporting what the transaction read and wrote (the
    /// parallel builder validates its predictions with it).
    pub fn execute_recording(
        &mut self,
        tx: RecoveredTx,
        access: &mut TxAccess,
    ) -> Result<TxOutcome, FatalError> {
        self.execute_inner(tx, Some(access), false)
    }

    /// Like [`BlockExecutor::execute_recording`], with contract code watched for any access to
    /// a fee vault ([`TxAccess::touches_fee_vault`]): the parallel builder merges vault credits
    /// apart, so code that looks at a vault must run in block order.
    pub fn execute_guarded(
        &mut self,
        tx: RecoveredTx,
        access: &mut TxAccess,
    ) -> Result<TxOutcome, FatalError> {
        self.execute_inner(tx, Some(access), true)
    }

    fn execute_inner(
        &mut self,
        tx: RecoveredTx,
        access: Option<&mut TxAccess>,
        guarded: bool,
    ) -> Result<TxOutcome, FatalError> {
        if tx.gas_limit() > self.gas_left() {
            return Ok(TxOutcome::DoesNotFit);
        }
        let deposit_nonce = if tx.is_deposit() {
            let db = &mut self.evm.0.ctx.journaled_state.database;
            Some(db.basic(tx.signer)?.map_or(0, |a| a.nonce))
        } else {
            None
        };
        let env = tx_env(&tx);
        if guarded {
            crate::guard::take();
        }
        let run = self.evm.transact(env);
        let touched_vault = guarded && crate::guard::take();
        let ResultAndState { result, state } = match run {
            Ok(r) => r,
            Err(EVMError::Transaction(e)) => return Ok(TxOutcome::Invalid(tx_error_message(&e))),
            Err(EVMError::Database(e)) => return Err(FatalError::State(e)),
            Err(e) => return Err(FatalError::Evm(e.to_string())),
        };
        let l1_fee = self.l1_fee(&tx);
        if let Some(access) = access {
            access.touches_fee_vault |= touched_vault;
            let db = &mut self.evm.0.ctx.journaled_state.database;
            record_access(db, &state, access)?;
        }
        self.evm.0.ctx.journaled_state.database.commit(state);

        let gas_used = result.tx_gas_used();
        self.out.gas_used += gas_used;
        let receipt = build_receipt(&tx, &result, self.out.gas_used, deposit_nonce);
        let contract_address = match (&result, tx.envelope.kind()) {
            (ExecutionResult::Success { .. }, TxKind::Create) => result.created_address(),
            _ => None,
        };
        let effective_gas_price = if tx.is_deposit() {
            0
        } else {
            tx.envelope.effective_gas_price(Some(self.base_fee))
        };
        self.out.receipts.push(StoredReceipt {
            receipt,
            meta: ReceiptMeta {
                gas_used,
                contract_address,
                effective_gas_price,
                l1_fee,
            },
        });
        self.out.transactions.push(tx);
        metrics::counter!("agnt2_evm_txs_executed_total").increment(1);
        Ok(TxOutcome::Included)
    }

    fn l1_fee(&mut self, tx: &RecoveredTx) -> u128 {
        if tx.is_deposit() {
            return 0;
        }
        let spec = self.evm.0.ctx.cfg.spec;
        let chain = &mut self.evm.0.ctx.chain;
        if chain.l1_base_fee.is_zero() && chain.l1_blob_base_fee.unwrap_or_default().is_zero() {
            return 0;
        }
        let fee = chain.calculate_tx_l1_cost(&tx.encoded, spec);
        chain.clear_tx_l1_cost();
        fee.saturating_to()
    }

    /// Ends the block.
    pub fn finish(self) -> ExecutedBlock {
        self.out
    }
}

fn build_receipt(
    tx: &RecoveredTx,
    result: &ExecutionResult<OpHaltReason>,
    cumulative_gas_used: u64,
    deposit_nonce: Option<u64>,
) -> OpReceiptEnvelope {
    let logs: Vec<Log> = result.logs().to_vec();
    let inner = Receipt {
        status: Eip658Value::Eip658(result.is_success()),
        cumulative_gas_used,
        logs,
    };
    let receipt = match &tx.envelope {
        OpTxEnvelope::Legacy(_) => OpReceipt::Legacy(inner),
        OpTxEnvelope::Eip2930(_) => OpReceipt::Eip2930(inner),
        OpTxEnvelope::Eip1559(_) => OpReceipt::Eip1559(inner),
        OpTxEnvelope::Eip7702(_) => OpReceipt::Eip7702(inner),
        OpTxEnvelope::Deposit(_) => OpReceipt::Deposit(OpDepositReceipt {
            inner,
            deposit_nonce,
            deposit_receipt_version: Some(1),
        }),
        OpTxEnvelope::PostExec(_) => OpReceipt::PostExec(inner),
    };
    let with_bloom: ReceiptWithBloom<OpReceipt> = receipt.into();
    OpReceiptEnvelope::from(with_bloom)
}

/// Replaces a receipt's cumulative gas: a parallel builder learns each transaction's position
/// in the block only after executing it.
pub fn set_cumulative_gas(r: &mut OpReceiptEnvelope, cumulative_gas_used: u64) {
    match r {
        OpReceiptEnvelope::Legacy(x)
        | OpReceiptEnvelope::Eip2930(x)
        | OpReceiptEnvelope::Eip1559(x)
        | OpReceiptEnvelope::Eip7702(x)
        | OpReceiptEnvelope::PostExec(x) => x.receipt.cumulative_gas_used = cumulative_gas_used,
        OpReceiptEnvelope::Deposit(x) => x.receipt.inner.cumulative_gas_used = cumulative_gas_used,
    }
}

/// geth's wording for transaction-validity errors, which tools match on.
pub fn tx_error_message(e: &OpTransactionError) -> String {
    match e {
        OpTransactionError::Base(base) => match base {
            InvalidTransaction::NonceTooLow { tx, state } => {
                format!("nonce too low: next nonce {state}, tx nonce {tx}")
            }
            InvalidTransaction::NonceTooHigh { tx, state } => {
                format!("nonce too high: next nonce {state}, tx nonce {tx}")
            }
            InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
                format!(
                    "insufficient funds for gas * price + value: balance {balance}, tx cost {fee}"
                )
            }
            InvalidTransaction::CallGasCostMoreThanGasLimit { .. } => {
                "intrinsic gas too low".into()
            }
            InvalidTransaction::GasPriceLessThanBasefee => {
                "max fee per gas less than block base fee".into()
            }
            InvalidTransaction::CallerGasLimitMoreThanBlock => "exceeds block gas limit".into(),
            InvalidTransaction::InvalidChainId => "invalid chain id".into(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}
