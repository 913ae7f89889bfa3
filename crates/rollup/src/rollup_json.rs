//! `op-node-config/rollup.json` in OP's layout (what op-node and kona read, so only OP's
//! fields), and `op-node-config/agnt2.json`, our extensions beside it.

use std::path::Path;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::{BlockId, RollupConfig, deploy::Deployment};

/// A block reference as rollup.json writes it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JsonBlockId {
    /// Hash.
    pub hash: B256,
    /// Number.
    pub number: u64,
}

/// The genesis system config (OP's camelCase names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonSystemConfig {
    /// Batcher address.
    pub batcher_addr: Address,
    /// Pre-Ecotone overhead (zero).
    pub overhead: B256,
    /// Ecotone-packed scalar: version 1 ‖ … ‖ blobBaseFeeScalar ‖ baseFeeScalar.
    pub scalar: B256,
    /// L2 gas limit.
    pub gas_limit: u64,
    /// Holocene EIP-1559 parameters, 8 bytes (zero: `chain_op_config`'s).
    pub eip1559_params: alloy_primitives::FixedBytes<8>,
    /// Isthmus operator fee parameters, 32 bytes.
    pub operator_fee_params: B256,
}

/// EIP-1559 parameters of the chain (op-node requires them for a chain outside the
/// superchain registry).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonChainOpConfig {
    /// Elasticity multiplier.
    pub eip1559_elasticity: u64,
    /// Base-fee change denominator (pre-Canyon).
    pub eip1559_denominator: u64,
    /// Base-fee change denominator (Canyon on).
    pub eip1559_denominator_canyon: u64,
}

/// The genesis section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JsonGenesis {
    /// L1 anchor.
    pub l1: JsonBlockId,
    /// L2 genesis.
    pub l2: JsonBlockId,
    /// L2 genesis timestamp.
    pub l2_time: u64,
    /// System config at genesis.
    pub system_config: JsonSystemConfig,
}

/// OP's rollup.json.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RollupJson {
    /// Genesis.
    pub genesis: JsonGenesis,
    /// L2 block time (s).
    pub block_time: u64,
    /// Max sequencer drift (s).
    pub max_sequencer_drift: u64,
    /// Sequencing window (L1 blocks).
    pub seq_window_size: u64,
    /// Channel timeout (L1 blocks).
    pub channel_timeout: u64,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Hardfork activation times (all at genesis).
    pub regolith_time: u64,
    /// Canyon.
    pub canyon_time: u64,
    /// Delta.
    pub delta_time: u64,
    /// Ecotone.
    pub ecotone_time: u64,
    /// Fjord.
    pub fjord_time: u64,
    /// Granite.
    pub granite_time: u64,
    /// Holocene.
    pub holocene_time: u64,
    /// Isthmus.
    pub isthmus_time: u64,
    /// Batch inbox.
    pub batch_inbox_address: Address,
    /// The OptimismPortal.
    pub deposit_contract_address: Address,
    /// The SystemConfig.
    pub l1_system_config_address: Address,
    /// ProtocolVersions (none: zero).
    pub protocol_versions_address: Address,
    /// EIP-1559 parameters.
    pub chain_op_config: JsonChainOpConfig,
}

/// Ours, beside rollup.json: what OP's layout has no field for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Agnt2Json {
    /// The DisputeGameFactory.
    pub dispute_game_factory: Address,
    /// The game type proposals create.
    pub respected_game_type: u32,
    /// L1 blocks an origin must be under the head before the sequencer uses it.
    pub l1_confirmations: u64,
    /// Multicall3 on L1 (viem reads games through it).
    pub multicall3: Option<Address>,
}

/// rollup.json failures.
#[derive(Debug, thiserror::Error)]
pub enum RollupJsonError {
    /// Read or write failed.
    #[error("{path}: {reason}")]
    File {
        /// Path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The deployment is not finished.
    #[error("the deployment is not finished (no L1 genesis recorded); run agnt2 deploy again")]
    Unfinished,
}

/// OP's Ecotone scalar word: version 1 in the top byte, blob-base-fee scalar in bytes 24..28,
/// base-fee scalar in bytes 28..32.
pub fn ecotone_scalar(base_fee_scalar: u32, blob_base_fee_scalar: u32) -> B256 {
    let v = (U256::from(1u8) << 248)
        | (U256::from(blob_base_fee_scalar) << 32)
        | U256::from(base_fee_scalar);
    B256::from(v)
}

impl RollupJson {
    /// The rollup.json of a finished deployment whose L2 genesis is `l2`.
    pub fn from_deployment(
        d: &Deployment,
        l2: JsonBlockId,
        l2_time: u64,
    ) -> Result<Self, RollupJsonError> {
        let anchor = d.l1_genesis.ok_or(RollupJsonError::Unfinished)?;
        let c = d.config.clone().unwrap_or_default();
        let addr = |n: &str| d.address(n).unwrap_or_default();
        Ok(Self {
            genesis: JsonGenesis {
                l1: JsonBlockId {
                    hash: anchor.hash,
                    number: anchor.number,
                },
                l2,
                l2_time,
                system_config: JsonSystemConfig {
                    batcher_addr: c.batcher.unwrap_or(d.deployer),
                    overhead: B256::ZERO,
                    scalar: ecotone_scalar(c.basefee_scalar, c.blobbasefee_scalar),
                    gas_limit: c.l2_gas_limit,
                    eip1559_params: Default::default(),
                    operator_fee_params: B256::ZERO,
                },
            },
            block_time: c.l2_block_time,
            max_sequencer_drift: 1800,
            seq_window_size: 3600,
            channel_timeout: 50,
            l1_chain_id: d.l1_chain_id,
            l2_chain_id: d.l2_chain_id,
            regolith_time: 0,
            canyon_time: 0,
            delta_time: 0,
            ecotone_time: 0,
            fjord_time: 0,
            granite_time: 0,
            holocene_time: 0,
            isthmus_time: 0,
            batch_inbox_address: addr("BatchInbox"),
            deposit_contract_address: addr("OptimismPortal"),
            l1_system_config_address: addr("SystemConfig"),
            protocol_versions_address: Address::ZERO,
            chain_op_config: JsonChainOpConfig {
                eip1559_elasticity: 6,
                eip1559_denominator: 50,
                eip1559_denominator_canyon: 250,
            },
        })
    }

    /// The sequencer's view of it.
    pub fn rollup_config(&self, ext: &Agnt2Json) -> RollupConfig {
        let scalar = U256::from_be_bytes(self.genesis.system_config.scalar.0);
        let low = |shift: usize| ((scalar >> shift) & U256::from(u32::MAX)).to::<u32>();
        RollupConfig {
            l1_chain_id: self.l1_chain_id,
            l2_chain_id: self.l2_chain_id,
            genesis_l1: BlockId {
                number: self.genesis.l1.number,
                hash: self.genesis.l1.hash,
            },
            genesis_l2: BlockId {
                number: self.genesis.l2.number,
                hash: self.genesis.l2.hash,
            },
            l2_time: self.genesis.l2_time,
            block_time: self.block_time.max(1),
            max_sequencer_drift: self.max_sequencer_drift,
            deposit_contract: self.deposit_contract_address,
            batcher: self.genesis.system_config.batcher_addr,
            base_fee_scalar: low(0),
            blob_base_fee_scalar: low(32),
            gas_limit: self.genesis.system_config.gas_limit,
            l1_confirmations: ext.l1_confirmations,
            batch_inbox: self.batch_inbox_address,
            channel_timeout: self.channel_timeout.max(1),
            seq_window_size: self.seq_window_size.max(1),
        }
    }
}

/// Reads and parses a JSON file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RollupJsonError> {
    let err = |reason: String| RollupJsonError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

/// Writes `value` as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RollupJsonError> {
    let err = |reason: String| RollupJsonError::File {
        path: path.display().to_string(),
        reason,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let mut text = serde_json::to_string_pretty(value).map_err(|e| err(e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_packs_as_ecotone() {
        let s = ecotone_scalar(1368, 810_949);
        assert_eq!(s.0[0], 1);
        assert_eq!(&s.0[28..], &1368u32.to_be_bytes());
        assert_eq!(&s.0[24..28], &810_949u32.to_be_bytes());
        let (c, ext) = (
            RollupJson::from_deployment(
                &Deployment {
                    l1_genesis: Some(crate::deploy::L1Anchor {
                        number: 1,
                        hash: B256::ZERO,
                        timestamp: 0,
                    }),
                    config: Some(crate::deploy::DeployConfig::default()),
                    ..Default::default()
                },
                JsonBlockId {
                    hash: B256::ZERO,
                    number: 0,
                },
                0,
            )
            .unwrap(),
            Agnt2Json {
                dispute_game_factory: Address::ZERO,
                respected_game_type: 2002,
                l1_confirmations: 0,
                multicall3: None,
            },
        );
        let r = c.rollup_config(&ext);
        assert_eq!((r.base_fee_scalar, r.blob_base_fee_scalar), (1368, 810_949));
    }
}
