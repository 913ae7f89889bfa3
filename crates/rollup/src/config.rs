//! The rollup's parameters as the sequencer uses them (read from `op-node-config/rollup.json`
//! and our extensions file by the node).

use alloy_primitives::{Address, B256};

/// A block number with its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockId {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
}

/// What decides how L2 blocks follow L1.
#[derive(Debug, Clone)]
pub struct RollupConfig {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// The L1 block the L2 genesis is anchored to: deposits are read from the next one on.
    pub genesis_l1: BlockId,
    /// L2 genesis.
    pub genesis_l2: BlockId,
    /// L2 genesis timestamp.
    pub l2_time: u64,
    /// Seconds between L2 blocks (OP: an integer ≥ 1).
    pub block_time: u64,
    /// How far an L2 block's timestamp may run ahead of its L1 origin's.
    pub max_sequencer_drift: u64,
    /// The OptimismPortal whose `TransactionDeposited` logs are deposits.
    pub deposit_contract: Address,
    /// The batcher address (left-padded into the L1-attributes deposit).
    pub batcher: Address,
    /// Ecotone base-fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar.
    pub blob_base_fee_scalar: u32,
    /// L2 block gas limit.
    pub gas_limit: u64,
    /// How many L1 blocks deep an origin must be before the sequencer uses it.
    pub l1_confirmations: u64,
    /// Where batches go (the BatchInbox contract).
    pub batch_inbox: Address,
    /// A channel must be complete within this many L1 blocks of its first frame.
    pub channel_timeout: u64,
    /// A batch must be included within this many L1 blocks of its L1 origin; once L1 is
    /// this far past an epoch without a batch for the next L2 block, derivation fills it with
    /// a deposit-only block.
    pub seq_window_size: u64,
}
