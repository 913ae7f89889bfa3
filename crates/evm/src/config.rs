//! Chain-level EVM settings and the environment of the block being built.

use alloy_primitives::{Address, B256, U256};
use op_revm::OpSpecId;
use revm::context::{BlockEnv, CfgEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;

/// Chain-wide execution settings.
#[derive(Debug, Clone)]
pub struct EvmConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// OP hardfork rules in force.
    pub spec: OpSpecId,
}

impl EvmConfig {
    /// Isthmus rules for `chain_id`.
    pub fn isthmus(chain_id: u64) -> Self {
        Self {
            chain_id,
            spec: OpSpecId::ISTHMUS,
        }
    }

    /// revm's configuration for this chain.
    pub fn cfg(&self) -> CfgEnv<OpSpecId> {
        let mut cfg = CfgEnv::new_with_spec(self.spec);
        cfg.chain_id = self.chain_id;
        cfg
    }
}

/// The fields of the next block that execution depends on.
#[derive(Debug, Clone)]
pub struct NextBlock {
    /// Block number.
    pub number: u64,
    /// Unix seconds.
    pub timestamp: u64,
    /// Fee recipient.
    pub beneficiary: Address,
    /// Base fee per gas.
    pub base_fee: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// prevrandao (the header's mix hash).
    pub prevrandao: B256,
}

impl NextBlock {
    /// revm's block environment.
    pub fn block_env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            // OP chains have no blobs: excess 0, price 1.
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: 0,
                blob_gasprice: 1,
            }),
            slot_num: 0,
        }
    }
}
