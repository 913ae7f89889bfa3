//! Conversion of node transactions into op-revm's transaction environment.

use agnt2_primitives::{OpTxEnvelope, RecoveredTx};
use alloy::consensus::Transaction;
use op_revm::{OpTransaction, transaction::deposit::DepositTransactionParts};
use revm::context::TxEnv;

/// op-revm's view of `tx`. The EIP-2718 bytes ride along: the L1 data fee is computed over them.
pub fn tx_env(tx: &RecoveredTx) -> OpTransaction<TxEnv> {
    let env = &tx.envelope;
    let mut base = TxEnv {
        tx_type: alloy::eips::Typed2718::ty(env),
        caller: tx.signer,
        gas_limit: env.gas_limit(),
        gas_price: env.max_fee_per_gas(),
        gas_priority_fee: env.max_priority_fee_per_gas(),
        kind: env.kind(),
        value: env.value(),
        data: env.input().clone(),
        nonce: env.nonce(),
        chain_id: env.chain_id(),
        access_list: env.access_list().cloned().unwrap_or_default(),
        ..Default::default()
    };
    match env {
        OpTxEnvelope::Deposit(d) => {
            base.gas_price = 0;
            base.gas_priority_fee = None;
            OpTransaction {
                base,
                enveloped_tx: None,
                deposit: DepositTransactionParts::new(
                    d.source_hash,
                    Some(d.mint),
                    d.is_system_transaction,
                ),
            }
        }
        OpTxEnvelope::Eip7702(s) => {
            base.set_signed_authorization(s.tx().authorization_list.clone());
            OpTransaction {
                base,
                enveloped_tx: Some(tx.encoded.clone()),
                deposit: Default::default(),
            }
        }
        _ => OpTransaction {
            base,
            enveloped_tx: Some(tx.encoded.clone()),
            deposit: Default::default(),
        },
    }
}
