//! Chain spec: the genesis and the parameters derived from it.

use alloy::genesis::Genesis;
use alloy_primitives::Address;

use crate::constants::{EIP1559_DENOMINATOR, EIP1559_ELASTICITY};

/// The dev chain's genesis, embedded so `agnt2 node --dev` needs no files.
pub const DEV_GENESIS_JSON: &str = include_str!("../../../genesis/dev.json");

/// Errors loading a chain spec.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The genesis JSON did not parse.
    #[error("invalid genesis json: {0}")]
    Json(#[from] serde_json::Error),
    /// The genesis has no usable chain id.
    #[error("genesis config has chainId 0")]
    NoChainId,
}

/// What the node needs to know about its chain.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The parsed geth-format genesis.
    pub genesis: Genesis,
    /// EIP-1559 elasticity multiplier.
    pub elasticity: u64,
    /// EIP-1559 base-fee change denominator.
    pub denominator: u64,
}

impl ChainSpec {
    /// Parses a geth-format genesis file.
    pub fn from_genesis_json(json: &str) -> Result<Self, ChainSpecError> {
        let genesis: Genesis = serde_json::from_str(json)?;
        let chain_id = genesis.config.chain_id;
        if chain_id == 0 {
            return Err(ChainSpecError::NoChainId);
        }
        Ok(Self {
            chain_id,
            genesis,
            elasticity: EIP1559_ELASTICITY,
            denominator: EIP1559_DENOMINATOR,
        })
    }

    /// The embedded dev chain (`genesis/dev.json`).
    pub fn dev() -> Self {
        // The embedded file is checked by this crate's tests, so parsing cannot fail at run time.
        Self::from_genesis_json(DEV_GENESIS_JSON)
            .unwrap_or_else(|e| panic!("embedded dev genesis: {e}"))
    }

    /// Genesis block gas limit.
    pub fn genesis_gas_limit(&self) -> u64 {
        self.genesis.gas_limit
    }

    /// Accounts funded or deployed at genesis.
    pub fn alloc_addresses(&self) -> impl Iterator<Item = &Address> {
        self.genesis.alloc.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::*;

    #[test]
    fn dev_genesis_parses_and_funds_dev_accounts() {
        let spec = ChainSpec::dev();
        assert_eq!(spec.chain_id, DEV_CHAIN_ID);
        let dev0: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap();
        assert!(spec.genesis.alloc[&dev0].balance > alloy_primitives::U256::ZERO);
        assert!(
            spec.genesis.alloc[&L1_BLOCK]
                .code
                .as_ref()
                .is_some_and(|c| !c.is_empty())
        );
        assert!(spec.genesis.alloc[&L2_TO_L1_MESSAGE_PASSER].code.is_some());
        assert_eq!(
            alloy_primitives::keccak256("setL1BlockValuesIsthmus()")[..4],
            SET_L1_BLOCK_VALUES_ISTHMUS
        );
    }

    #[test]
    fn bad_genesis_is_an_error() {
        assert!(ChainSpec::from_genesis_json("{").is_err());
    }
}
