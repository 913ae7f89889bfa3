//! Payload attributes: everything that decides a block besides the pool's transactions —
//! what a rollup driver (deriving from L1) or an external rollup node (through the engine API)
//! hands the builder.

use std::sync::Arc;

use agnt2_evm::L1Origin;
use agnt2_primitives::RecoveredTx;
use alloy_primitives::{Address, B256};

/// What the next block must be built from (OP's `PayloadAttributes`, less the encoding).
#[derive(Debug, Clone, Default)]
pub struct PayloadAttributes {
    /// The block to build on; `None` builds on whatever the head is (`--dev`). When set and
    /// not the head, the build is refused.
    pub parent: Option<B256>,
    /// Block timestamp.
    pub timestamp: u64,
    /// Refuse a timestamp before the parent's instead of raising it to the parent's (derived
    /// blocks must carry exactly the timestamp derivation gives them).
    pub strict_timestamp: bool,
    /// The L1 block this L2 block builds on (`None`: a synthetic `--dev` origin).
    pub l1_origin: Option<L1Origin>,
    /// The block's position within its L1 epoch (0 for the first L2 block on a new origin).
    pub sequence_number: u64,
    /// Transactions forced in right after the L1-attributes deposit, in order: user deposits
    /// derived from the origin's `TransactionDeposited` logs. Never skipped or reordered; a
    /// deposit whose execution fails still mints and bumps the nonce (op-revm's rule).
    pub transactions: Vec<RecoveredTx>,
    /// Build from the forced transactions only.
    pub no_tx_pool: bool,
    /// Derived blocks: exactly these transactions follow the forced ones, instead of the
    /// pool's. They must all be included; if any is invalid or does not fit, the block is
    /// built from the forced transactions alone (Holocene's deposit-only replacement), so a
    /// bad batch never stalls derivation.
    pub batch: Option<Vec<Arc<RecoveredTx>>>,
    /// Block gas limit (`None`: the builder's).
    pub gas_limit: Option<u64>,
    /// Fee recipient (`None`: the SequencerFeeVault, as OP's sequencers set it).
    pub fee_recipient: Option<Address>,
    /// Holocene EIP-1559 denominator and elasticity written into `extraData` (`None`: the
    /// chain's).
    pub eip1559_params: Option<(u32, u32)>,
}

impl PayloadAttributes {
    /// Attributes of a `--dev` block at `timestamp`: the head as parent, a synthetic origin,
    /// the pool's transactions.
    pub fn at(timestamp: u64) -> Self {
        Self {
            timestamp,
            ..Default::default()
        }
    }
}
