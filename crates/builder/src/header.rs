//! Header rules shared by genesis and every later block.

use agnt2_primitives::ChainSpec;
use alloy::eips::eip1559::BaseFeeParams;
use alloy_primitives::Bytes;

/// Base fee of the block after a parent with these values (EIP-1559 with OP's parameters).
pub fn next_base_fee(spec: &ChainSpec, gas_used: u64, gas_limit: u64, base_fee: u64) -> u64 {
    BaseFeeParams::new(spec.denominator as u128, spec.elasticity as u128)
        .next_block_base_fee(gas_used, gas_limit, base_fee)
}

/// Base fee of the block after a parent with these values, under explicit EIP-1559
/// parameters (Holocene lets the parent's `extraData` set them).
pub fn next_base_fee_with(
    denominator: u32,
    elasticity: u32,
    gas_used: u64,
    gas_limit: u64,
    base_fee: u64,
) -> u64 {
    BaseFeeParams::new(denominator as u128, elasticity as u128)
        .next_block_base_fee(gas_used, gas_limit, base_fee)
}

/// Holocene `extraData` with the chain's EIP-1559 parameters.
pub fn holocene_extra_data(spec: &ChainSpec) -> Bytes {
    holocene_extra_data_with(spec.denominator as u32, spec.elasticity as u32)
}

/// Holocene `extraData`: version 0, denominator and elasticity as big-endian u32.
pub fn holocene_extra_data_with(denominator: u32, elasticity: u32) -> Bytes {
    let mut out = Vec::with_capacity(9);
    out.push(0);
    out.extend_from_slice(&denominator.to_be_bytes());
    out.extend_from_slice(&elasticity.to_be_bytes());
    out.into()
}
