//! Reading back the L1-attributes deposit an L2 block opens with: which L1 block it was
//! derived from, and its position in that epoch. The L2 chain itself is the record of its L1
//! origins, so no extra table is needed to unwind after an L1 reorg.

use agnt2_primitives::{
    RecoveredTx,
    constants::{L1_ATTRIBUTES_DEPOSITOR, SET_L1_BLOCK_VALUES_ISTHMUS},
};
use alloy_primitives::B256;

/// The L1 block an L2 block names as its origin, and the L2 block's sequence number in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginRef {
    /// L1 block number.
    pub number: u64,
    /// L1 block hash.
    pub hash: B256,
    /// L1 block timestamp.
    pub timestamp: u64,
    /// Position of the L2 block within the epoch.
    pub sequence_number: u64,
}

/// The origin recorded in a block's first transaction, if it is an Isthmus L1-attributes
/// deposit (`setL1BlockValuesIsthmus`, 176 bytes: selector, two u32 scalars, then sequence
/// number, timestamp and number as u64, base fee and blob base fee as u256, hash, …).
pub fn origin_of(first_tx: &RecoveredTx) -> Option<OriginRef> {
    if !first_tx.is_deposit() || first_tx.signer != L1_ATTRIBUTES_DEPOSITOR {
        return None;
    }
    let data = alloy::consensus::Transaction::input(&first_tx.envelope);
    if data.len() != 176 || data[..4] != SET_L1_BLOCK_VALUES_ISTHMUS {
        return None;
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[at..at + 8]);
        u64::from_be_bytes(b)
    };
    Some(OriginRef {
        sequence_number: u64_at(12),
        timestamp: u64_at(20),
        number: u64_at(28),
        hash: B256::from_slice(&data[100..132]),
    })
}

#[cfg(test)]
mod tests {
    use agnt2_evm::{L1Origin, l1_info_deposit};
    use alloy_primitives::U256;

    use super::*;

    #[test]
    fn reads_back_what_the_deposit_encodes() {
        let origin = L1Origin {
            number: 1234,
            timestamp: 5678,
            base_fee: U256::from(9u64),
            blob_base_fee: U256::from(2u64),
            hash: B256::repeat_byte(0xaa),
            batcher_hash: B256::repeat_byte(0xbb),
            base_fee_scalar: 7,
            blob_base_fee_scalar: 8,
            ..Default::default()
        };
        let tx = l1_info_deposit(&origin, 3);
        assert_eq!(
            origin_of(&tx),
            Some(OriginRef {
                number: 1234,
                hash: B256::repeat_byte(0xaa),
                timestamp: 5678,
                sequence_number: 3,
            })
        );
    }
}
