//! What the node knows of L1: a window of recent canonical blocks with their deposits and
//! batcher data, and L1's safe and finalized heads. The L1 watcher writes it; the sequencer
//! and derivation read it.

use std::collections::BTreeMap;

use agnt2_primitives::RecoveredTx;

use crate::channel::BatcherTx;
use alloy_primitives::B256;

/// An L1 block as derivation needs it.
#[derive(Debug, Clone)]
pub struct L1Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Base fee.
    pub base_fee: u64,
    /// Blob base fee.
    pub blob_base_fee: u128,
    /// The user deposits its portal logs ask for, in log order.
    pub deposits: Vec<RecoveredTx>,
    /// Data of the batcher transactions the BatchInbox accepted, in block order.
    pub batches: Vec<BatcherTx>,
}

/// The known window of L1.
#[derive(Debug, Clone, Default)]
pub struct L1View {
    blocks: BTreeMap<u64, L1Block>,
    /// L1's `safe` head number.
    pub safe: u64,
    /// L1's `finalized` head number.
    pub finalized: u64,
    /// Most blocks kept.
    pub capacity: usize,
    /// Blocks from this number on are kept even past the capacity (a consumer still needs
    /// them); the watcher then stops reading ahead until the consumer moves on.
    pin: Option<u64>,
}

impl L1View {
    /// A view keeping at most `capacity` blocks.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            ..Default::default()
        }
    }

    /// Adds a canonical block. A block that does not attach to its known parent, or replaces
    /// a known block, drops every known block from its number on (an L1 reorg) first.
    pub fn insert(&mut self, block: L1Block) {
        let n = block.number;
        let stale = self.blocks.get(&n).is_some_and(|b| b.hash != block.hash)
            || n.checked_sub(1)
                .and_then(|p| self.blocks.get(&p))
                .is_some_and(|p| p.hash != block.parent_hash);
        if stale {
            self.blocks.split_off(&n);
        }
        self.blocks.insert(n, block);
        while self.blocks.len() > self.capacity {
            if self
                .pin
                .is_some_and(|p| self.oldest().is_some_and(|o| o >= p))
            {
                break;
            }
            self.blocks.pop_first();
        }
    }

    /// Keeps the blocks from `pin` on (see the field).
    pub fn set_pin(&mut self, pin: Option<u64>) {
        self.pin = pin;
    }

    /// Whether reading more would evict a pinned block.
    pub fn is_full(&self) -> bool {
        self.blocks.len() >= self.capacity
            && self
                .pin
                .is_some_and(|p| self.oldest().is_some_and(|o| o >= p))
    }

    /// Forgets the blocks from `number` on (they are no longer canonical).
    pub fn truncate(&mut self, number: u64) {
        self.blocks.split_off(&number);
    }

    /// The known block at `number`.
    pub fn get(&self, number: u64) -> Option<&L1Block> {
        self.blocks.get(&number)
    }

    /// Whether the block `number` with `hash` is canonical: `None` when the view does not
    /// cover `number`.
    pub fn is_canonical(&self, number: u64, hash: B256) -> Option<bool> {
        self.blocks.get(&number).map(|b| b.hash == hash)
    }

    /// The newest known block.
    pub fn head(&self) -> Option<&L1Block> {
        self.blocks.values().next_back()
    }

    /// The oldest known block number.
    pub fn oldest(&self) -> Option<u64> {
        self.blocks.keys().next().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: u64, fork: u8) -> L1Block {
        L1Block {
            number: n,
            hash: B256::with_last_byte(n as u8 ^ fork),
            parent_hash: if n == 0 {
                B256::ZERO
            } else {
                B256::with_last_byte((n - 1) as u8 ^ fork)
            },
            timestamp: n * 12,
            base_fee: 1,
            blob_base_fee: 1,
            deposits: Vec::new(),
            batches: Vec::new(),
        }
    }

    #[test]
    fn a_reorg_replaces_the_tail() {
        let mut v = L1View::new(100);
        for n in 0..5 {
            v.insert(block(n, 0));
        }
        // A block 3 of another fork (whose parent 2 we also replace) drops 3 and 4.
        let mut b2 = block(2, 0x80);
        b2.parent_hash = block(1, 0).hash;
        v.insert(b2.clone());
        assert_eq!(v.head().map(|b| b.number), Some(2));
        assert_eq!(v.is_canonical(2, block(2, 0).hash), Some(false));
        assert_eq!(v.is_canonical(2, b2.hash), Some(true));
        assert_eq!(v.is_canonical(4, block(4, 0).hash), None);
        assert_eq!(v.is_canonical(1, block(1, 0).hash), Some(true));
    }

    #[test]
    fn the_window_is_bounded() {
        let mut v = L1View::new(3);
        for n in 0..10 {
            v.insert(block(n, 0));
        }
        assert_eq!(v.oldest(), Some(7));
    }
}
