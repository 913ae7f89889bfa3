//! Blocks and receipts as the node stores and serves them.

use alloy::consensus::Header;
use alloy_primitives::{Address, B256};
use op_alloy::consensus::OpReceiptEnvelope;

use crate::tx::RecoveredTx;

/// A block with its hash and the senders of its transactions.
#[derive(Debug, Clone)]
pub struct SealedBlock {
    /// The header.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Transactions in block order, each with its sender.
    pub transactions: Vec<RecoveredTx>,
}

impl SealedBlock {
    /// Block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// What the RPC needs per receipt beyond the consensus receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptMeta {
    /// Gas used by this transaction alone.
    pub gas_used: u64,
    /// Address of a contract created by this transaction.
    pub contract_address: Option<Address>,
    /// Price per gas actually paid.
    pub effective_gas_price: u128,
    /// L1 data fee charged (zero for deposits).
    pub l1_fee: u128,
}

/// A receipt with its metadata.
#[derive(Debug, Clone)]
pub struct StoredReceipt {
    /// The consensus receipt (what the receipts root commits to).
    pub receipt: OpReceiptEnvelope,
    /// Per-transaction facts for `eth_getTransactionReceipt`.
    pub meta: ReceiptMeta,
}
