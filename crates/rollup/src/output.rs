//! Output roots (OP's version 0): what a proposal commits to about an L2 block.

use alloy::consensus::Header;
use alloy_primitives::{B256, keccak256};

/// `keccak256(abi.encode(bytes32(0), stateRoot, messagePasserStorageRoot, blockHash))`. The
/// message passer's storage root is the Isthmus header's `withdrawalsRoot`.
pub fn output_root(state_root: B256, message_passer_root: B256, block_hash: B256) -> B256 {
    let mut buf = [0u8; 128];
    buf[32..64].copy_from_slice(state_root.as_slice());
    buf[64..96].copy_from_slice(message_passer_root.as_slice());
    buf[96..].copy_from_slice(block_hash.as_slice());
    keccak256(buf)
}

/// The output root of a sealed block.
pub fn output_root_of(header: &Header, hash: B256) -> B256 {
    output_root(
        header.state_root,
        header.withdrawals_root.unwrap_or_default(),
        hash,
    )
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolValue;

    use super::*;

    #[test]
    fn matches_abi_encoding_of_the_four_words() {
        let (s, m, h) = (
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
        );
        let encoded = (B256::ZERO, s, m, h).abi_encode();
        assert_eq!(output_root(s, m, h), keccak256(encoded));
    }
}
