//! A run of consecutive canonical blocks, and the notifications built from them.

use std::sync::Arc;

use agnt2_storage::CommittedBlock;
use alloy_primitives::B256;

/// A block number with its hash (reth's `BlockNumHash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct BlockNumHash {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
}

impl BlockNumHash {
    /// The pair.
    pub fn new(number: u64, hash: B256) -> Self {
        Self { number, hash }
    }
}

/// Consecutive blocks, oldest first, each with its senders, receipts and state changes.
/// Never empty.
#[derive(Debug, Clone)]
pub struct Chain {
    blocks: Vec<CommittedBlock>,
}

impl Chain {
    /// A chain of `blocks` (oldest first). `None` when empty or not consecutive.
    pub fn new(blocks: Vec<CommittedBlock>) -> Option<Self> {
        let first = blocks.first()?.block.number();
        let consecutive = blocks
            .iter()
            .enumerate()
            .all(|(i, b)| b.block.number() == first + i as u64)
            && blocks
                .windows(2)
                .all(|w| w[1].block.header.parent_hash == w[0].block.hash);
        consecutive.then_some(Self { blocks })
    }

    /// A chain of one block.
    pub fn from_block(block: CommittedBlock) -> Self {
        Self {
            blocks: vec![block],
        }
    }

    /// The blocks, oldest first.
    pub fn blocks(&self) -> &[CommittedBlock] {
        &self.blocks
    }

    /// The oldest block.
    pub fn first(&self) -> &CommittedBlock {
        &self.blocks[0]
    }

    /// The newest block.
    pub fn tip(&self) -> &CommittedBlock {
        &self.blocks[self.blocks.len() - 1]
    }

    /// Number and hash of the newest block.
    pub fn tip_num_hash(&self) -> BlockNumHash {
        let tip = self.tip();
        BlockNumHash::new(tip.block.number(), tip.block.hash)
    }

    /// The block number range, inclusive.
    pub fn range(&self) -> std::ops::RangeInclusive<u64> {
        self.first().block.number()..=self.tip().block.number()
    }

    /// The parent of the oldest block: where this chain attaches.
    pub fn fork_point(&self) -> BlockNumHash {
        let first = self.first();
        BlockNumHash::new(
            first.block.number().saturating_sub(1),
            first.block.header.parent_hash,
        )
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Always `false`: a chain has at least one block.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// One change of the canonical chain.
#[derive(Debug, Clone)]
pub enum CanonStateNotification {
    /// Blocks were appended to the tip.
    ChainCommitted {
        /// The new blocks.
        new: Arc<Chain>,
    },
    /// The tip was replaced: `old` left the canonical chain and `new` took its place.
    ChainReorged {
        /// The blocks removed.
        old: Arc<Chain>,
        /// The blocks added.
        new: Arc<Chain>,
    },
    /// Blocks were removed from the tip (an unwind) with nothing in their place yet.
    ChainReverted {
        /// The blocks removed.
        old: Arc<Chain>,
    },
}

impl CanonStateNotification {
    /// The chain that is canonical after this notification, if any.
    pub fn committed_chain(&self) -> Option<&Arc<Chain>> {
        match self {
            Self::ChainCommitted { new } | Self::ChainReorged { new, .. } => Some(new),
            Self::ChainReverted { .. } => None,
        }
    }

    /// The chain that stopped being canonical, if any.
    pub fn reverted_chain(&self) -> Option<&Arc<Chain>> {
        match self {
            Self::ChainReorged { old, .. } | Self::ChainReverted { old } => Some(old),
            Self::ChainCommitted { .. } => None,
        }
    }

    /// The highest block number this notification mentions (committed or reverted).
    pub fn max_block(&self) -> u64 {
        let tip = |c: &Arc<Chain>| c.tip().block.number();
        match self {
            Self::ChainCommitted { new } => tip(new),
            Self::ChainReorged { old, new } => tip(old).max(tip(new)),
            Self::ChainReverted { old } => tip(old),
        }
    }

    /// The canonical tip after this notification: the committed tip, or the fork point of a
    /// revert.
    pub fn tip(&self) -> BlockNumHash {
        match self {
            Self::ChainCommitted { new } | Self::ChainReorged { new, .. } => new.tip_num_hash(),
            Self::ChainReverted { old } => old.fork_point(),
        }
    }
}

/// An OP block in reth's shape (`alloy_consensus::Block` of OP transactions), what reth's
/// `RecoveredBlock` wraps.
pub type OpBlock = alloy::consensus::Block<op_alloy_consensus::OpTxEnvelope>;

/// The block as reth's `RecoveredBlock` (header, body, senders, hash), for plugin code written
/// against reth's types. Copies the transactions: our blocks keep each transaction's encoding
/// and hash beside it, reth's keep the senders apart.
pub fn reth_block(b: &CommittedBlock) -> reth_primitives_traits::RecoveredBlock<OpBlock> {
    let txs = &b.block.transactions;
    let body = alloy::consensus::BlockBody {
        transactions: txs.iter().map(|t| t.envelope.clone()).collect(),
        ommers: Vec::new(),
        // OP blocks since Canyon carry an empty withdrawals list.
        withdrawals: Some(Default::default()),
    };
    let block = alloy::consensus::Block {
        header: b.block.header.clone(),
        body,
    };
    reth_primitives_traits::RecoveredBlock::new(
        block,
        txs.iter().map(|t| t.signer).collect(),
        b.block.hash,
    )
}

impl Chain {
    /// The blocks as reth's `RecoveredBlock`s, oldest first (see [`reth_block`]).
    pub fn reth_blocks(&self) -> Vec<reth_primitives_traits::RecoveredBlock<OpBlock>> {
        self.blocks.iter().map(reth_block).collect()
    }
}
