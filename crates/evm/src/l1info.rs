//! The L1-attributes deposit that opens every L2 block.

use agnt2_primitives::{
    OpTxEnvelope, RecoveredTx,
    constants::{
        L1_ATTRIBUTES_DEPOSITOR, L1_BLOCK, L1_INFO_DEPOSIT_GAS, SET_L1_BLOCK_VALUES_ISTHMUS,
    },
};
use alloy_primitives::{B256, Bytes, TxKind, U256};
use op_alloy::consensus::{L1InfoDepositSource, TxDeposit};

/// The L1 block an L2 block builds on. In `--dev` this is synthetic.
#[derive(Debug, Clone, Default)]
pub struct L1Origin {
    /// L1 block number.
    pub number: u64,
    /// L1 block timestamp.
    pub timestamp: u64,
    /// L1 base fee.
    pub base_fee: U256,
    /// L1 blob base fee.
    pub blob_base_fee: U256,
    /// L1 block hash.
    pub hash: B256,
    /// Batcher address, left-padded.
    pub batcher_hash: B256,
    /// Fee scalars (Ecotone).
    pub base_fee_scalar: u32,
    /// Blob fee scalar (Ecotone).
    pub blob_base_fee_scalar: u32,
    /// Operator fee scalar (Isthmus).
    pub operator_fee_scalar: u32,
    /// Operator fee constant (Isthmus).
    pub operator_fee_constant: u64,
}

/// Builds the system deposit calling `setL1BlockValuesIsthmus()` with `origin`; `seq` is the
/// L2 block's position within its L1 epoch.
pub fn l1_info_deposit(origin: &L1Origin, seq: u64) -> RecoveredTx {
    let mut data = Vec::with_capacity(176);
    data.extend_from_slice(&SET_L1_BLOCK_VALUES_ISTHMUS);
    data.extend_from_slice(&origin.base_fee_scalar.to_be_bytes());
    data.extend_from_slice(&origin.blob_base_fee_scalar.to_be_bytes());
    data.extend_from_slice(&seq.to_be_bytes());
    data.extend_from_slice(&origin.timestamp.to_be_bytes());
    data.extend_from_slice(&origin.number.to_be_bytes());
    data.extend_from_slice(&origin.base_fee.to_be_bytes::<32>());
    data.extend_from_slice(&origin.blob_base_fee.to_be_bytes::<32>());
    data.extend_from_slice(origin.hash.as_slice());
    data.extend_from_slice(origin.batcher_hash.as_slice());
    data.extend_from_slice(&origin.operator_fee_scalar.to_be_bytes());
    data.extend_from_slice(&origin.operator_fee_constant.to_be_bytes());
    let deposit = TxDeposit {
        source_hash: L1InfoDepositSource::new(origin.hash, seq).source_hash(),
        from: L1_ATTRIBUTES_DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: L1_INFO_DEPOSIT_GAS,
        is_system_transaction: false,
        input: Bytes::from(data),
    };
    RecoveredTx::from_parts(OpTxEnvelope::from(deposit), L1_ATTRIBUTES_DEPOSITOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_is_176_bytes() {
        let tx = l1_info_deposit(&L1Origin::default(), 3);
        assert!(tx.is_deposit());
        assert_eq!(
            alloy::consensus::Transaction::input(&tx.envelope).len(),
            176
        );
    }
}
