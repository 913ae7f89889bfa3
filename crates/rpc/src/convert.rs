//! Stored blocks, transactions and receipts → JSON-RPC response types.

use agnt2_primitives::{OpReceiptEnvelope, RecoveredTx, SealedBlock, StoredReceipt};
use alloy::consensus::{
    ReceiptWithBloom, Sealed, Transaction as _, TxReceipt,
    transaction::{Recovered, TransactionInfo},
};
use alloy::rpc::types::{
    Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, TransactionReceipt, Withdrawals,
};
use alloy_primitives::{B256, U256};
use op_alloy::consensus::{
    OpReceipt,
    transaction::{OpDepositInfo, OpTransactionInfo},
};
use op_alloy::rpc_types::{L1BlockInfo, OpTransactionReceipt, Transaction as OpRpcTx};

/// A transaction's place in a block.
#[derive(Debug, Clone, Copy)]
pub struct TxPosition {
    pub block_hash: B256,
    pub block_number: u64,
    pub index: u64,
    pub base_fee: Option<u64>,
    pub timestamp: u64,
}

fn deposit_info(tx: &RecoveredTx, receipt: Option<&StoredReceipt>) -> OpDepositInfo {
    match receipt.map(|r| &r.receipt) {
        Some(OpReceiptEnvelope::Deposit(d)) if tx.is_deposit() => OpDepositInfo {
            deposit_nonce: d.receipt.deposit_nonce,
            deposit_receipt_version: d.receipt.deposit_receipt_version,
        },
        _ => OpDepositInfo::default(),
    }
}

/// A transaction as `eth_getTransactionBy*` returns it.
pub fn rpc_transaction(
    tx: &RecoveredTx,
    pos: Option<TxPosition>,
    receipt: Option<&StoredReceipt>,
) -> OpRpcTx {
    let info = match pos {
        Some(p) => TransactionInfo {
            hash: Some(tx.hash),
            index: Some(p.index),
            block_hash: Some(p.block_hash),
            block_number: Some(p.block_number),
            base_fee: p.base_fee,
            block_timestamp: Some(p.timestamp),
        },
        None => TransactionInfo {
            hash: Some(tx.hash),
            ..Default::default()
        },
    };
    OpRpcTx::from_transaction(
        Recovered::new_unchecked(tx.envelope.clone(), tx.signer),
        OpTransactionInfo::new(info, deposit_info(tx, receipt)),
    )
}

/// A block as `eth_getBlockBy*` returns it.
pub fn rpc_block(
    block: &SealedBlock,
    receipts: Option<&[StoredReceipt]>,
    full: bool,
) -> Block<OpRpcTx> {
    let size = alloy_rlp::Encodable::length(&block.header)
        + block
            .transactions
            .iter()
            .map(|t| t.encoded.len())
            .sum::<usize>()
        + 8;
    let header = RpcHeader::from_consensus(
        Sealed::new_unchecked(block.header.clone(), block.hash),
        Some(U256::ZERO),
        Some(U256::from(size)),
    );
    let transactions = if full {
        BlockTransactions::Full(
            block
                .transactions
                .iter()
                .enumerate()
                .map(|(i, tx)| {
                    let pos = TxPosition {
                        block_hash: block.hash,
                        block_number: block.number(),
                        index: i as u64,
                        base_fee: block.header.base_fee_per_gas,
                        timestamp: block.header.timestamp,
                    };
                    rpc_transaction(tx, Some(pos), receipts.and_then(|r| r.get(i)))
                })
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|t| t.hash).collect())
    };
    Block {
        header,
        uncles: Vec::new(),
        transactions,
        withdrawals: Some(Withdrawals::new(Vec::new())),
    }
}

/// Logs of one receipt with their block-wide indices.
pub fn rpc_logs(
    receipt: &StoredReceipt,
    tx_hash: B256,
    pos: TxPosition,
    first_log_index: u64,
) -> Vec<RpcLog> {
    receipt
        .receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, l)| RpcLog {
            inner: l.clone(),
            block_hash: Some(pos.block_hash),
            block_number: Some(pos.block_number),
            block_timestamp: Some(pos.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(pos.index),
            log_index: Some(first_log_index + i as u64),
            removed: false,
        })
        .collect()
}

/// A receipt as `eth_getTransactionReceipt` returns it.
pub fn rpc_receipt(
    tx: &RecoveredTx,
    receipt: &StoredReceipt,
    pos: TxPosition,
    first_log_index: u64,
) -> OpTransactionReceipt {
    let logs = rpc_logs(receipt, tx.hash, pos, first_log_index);
    let bloom = receipt.receipt.bloom();
    let status = receipt.receipt.status_or_post_state();
    let cumulative_gas_used = receipt.receipt.cumulative_gas_used();
    let inner_receipt = alloy::consensus::Receipt {
        status,
        cumulative_gas_used,
        logs,
    };
    let op_receipt = match &receipt.receipt {
        OpReceiptEnvelope::Legacy(_) => OpReceipt::Legacy(inner_receipt),
        OpReceiptEnvelope::Eip2930(_) => OpReceipt::Eip2930(inner_receipt),
        OpReceiptEnvelope::Eip1559(_) => OpReceipt::Eip1559(inner_receipt),
        OpReceiptEnvelope::Eip7702(_) => OpReceipt::Eip7702(inner_receipt),
        OpReceiptEnvelope::PostExec(_) => OpReceipt::PostExec(inner_receipt),
        OpReceiptEnvelope::Deposit(d) => {
            OpReceipt::Deposit(op_alloy::consensus::OpDepositReceipt {
                inner: inner_receipt,
                deposit_nonce: d.receipt.deposit_nonce,
                deposit_receipt_version: d.receipt.deposit_receipt_version,
            })
        }
    };
    let to = tx.envelope.to();
    let l1_block_info = if tx.is_deposit() {
        L1BlockInfo::default()
    } else {
        L1BlockInfo {
            l1_fee: Some(receipt.meta.l1_fee),
            ..Default::default()
        }
    };
    OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: ReceiptWithBloom::new(op_receipt, bloom),
            transaction_hash: tx.hash,
            transaction_index: Some(pos.index),
            block_hash: Some(pos.block_hash),
            block_number: Some(pos.block_number),
            gas_used: receipt.meta.gas_used,
            effective_gas_price: receipt.meta.effective_gas_price,
            blob_gas_used: None,
            blob_gas_price: None,
            from: tx.signer,
            to,
            contract_address: receipt.meta.contract_address,
        },
        l1_block_info,
        op_gas_refund: None,
    }
}

/// Index of the first log of receipt `index` within its block.
pub fn first_log_index(receipts: &[StoredReceipt], index: usize) -> u64 {
    receipts[..index]
        .iter()
        .map(|r| r.receipt.logs().len() as u64)
        .sum()
}
