//! What a plugin receives and what it reports back.

use agnt2_chain_state::BlockNumHash;

/// A change of the canonical chain, as a plugin sees it (reth's `ExExNotification`). The node's
/// canonical stream has exactly reth's ExEx variants (`ChainCommitted`, `ChainReorged`,
/// `ChainReverted`), so plugins get the same type rather than a copy of it.
pub type ExExNotification = agnt2_chain_state::CanonStateNotification;

/// What a plugin tells the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExExEvent {
    /// Everything up to and including this block is processed and need not be replayed; the
    /// write-ahead log may drop what every plugin has finished.
    FinishedHeight(BlockNumHash),
}
