//! Header rules shared by genesis and every later block.

use agnt2_primitives::ChainSpec;
use alloy::eips::eip1559::BaseFeeParams;
use alloy_primitives::Bytes;

/// Base fee of the block after a parent with these values (EIP-1559 with OP's parameters).
pub fn next_base_fee(spec: &ChainSpec, gas_used: u64, gas_limit: u64, base_fee: u64) -> u64 {
    BaseFeeParams::new(spec.denominator as u128, spec.elasticity as u128)
        .next_block_base_fee(gas_used, gas_limit, base_fee)
}

/// Holocene `extraData`: version 0, denominator and elasticity as big-endian u32.
pub fn holocene_extra_data(spec: &ChainSpec) -> Bytes {
    let mut out = Vec::with_capacity(9);
    out.push(0);
    out.extend_from_slice(&(spec.denominator as u32).to_be_bytes());
    out.extend_from_slice(&(spec.elasticity as u32).to_be_bytes());
    out.into()
}
