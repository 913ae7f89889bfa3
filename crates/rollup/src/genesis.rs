//! The L2 genesis a deploy writes: the dev genesis's accounts and predeploys (funded dev
//! accounts, OP predeploys, agent registries, preinstalls) under the rollup's chain id, gas
//! limit and a timestamp at the L1 anchor.

use agnt2_primitives::{ChainSpec, chainspec::DEV_GENESIS_JSON};
use alloy_primitives::B256;

/// Genesis failures.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The template did not parse.
    #[error("genesis template: {0}")]
    Json(#[from] serde_json::Error),
    /// The result is not a valid chain spec.
    #[error("genesis: {0}")]
    Spec(String),
}

/// The L2 genesis file, its spec and its block hash.
pub fn l2_genesis(
    chain_id: u64,
    timestamp: u64,
    gas_limit: u64,
) -> Result<(String, ChainSpec, B256), GenesisError> {
    let mut doc: serde_json::Value = serde_json::from_str(DEV_GENESIS_JSON)?;
    doc["config"]["chainId"] = chain_id.into();
    doc["timestamp"] = format!("{timestamp:#x}").into();
    doc["gasLimit"] = format!("{gas_limit:#x}").into();
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    let spec =
        ChainSpec::from_genesis_json(&text).map_err(|e| GenesisError::Spec(e.to_string()))?;
    let hash = agnt2_builder::expected_genesis_header(&spec).hash_slow();
    Ok((text, spec, hash))
}
