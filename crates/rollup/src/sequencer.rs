//! The rollup sequencer's choice of payload attributes (OP's sequencing rules): each L2 block
//! is `block_time` after its parent, names an L1 origin, and the first block of a new origin
//! carries that L1 block's deposits right after the L1-attributes deposit. The origin moves to
//! the next L1 block once that block is known, confirmed and not newer than the L2 block; it
//! must move before the L2 block would run more than `max_sequencer_drift` ahead of it, so
//! when L1 is out of reach the sequencer keeps going within the drift and then waits. When an
//! origin the L2 chain used is no longer canonical on L1, the chain is unwound to the last
//! block whose origin still is, and re-derived.

use std::sync::Arc;

use agnt2_builder::{BuildError, PayloadAttributes, PayloadSource, SequencerAction};
use agnt2_evm::L1Origin;
use agnt2_storage::Database;
use alloy::consensus::Header;
use alloy_primitives::U256;
use parking_lot::Mutex;

use crate::{
    RollupConfig,
    l1info::{OriginRef, origin_of},
    published::{PublishedBatches, PublishedHead},
    view::{L1Block, L1View},
};

/// The rollup's [`PayloadSource`].
#[derive(Debug, Clone)]
pub struct RollupPayloads {
    config: Arc<RollupConfig>,
    view: Arc<Mutex<L1View>>,
    db: Database,
    /// (L2 head, L1 head, L1 safe, L1 finalized) the heads were last computed for.
    heads_for: Arc<Mutex<(u64, u64, u64, u64)>>,
    published: Arc<Mutex<PublishedBatches>>,
}

impl RollupPayloads {
    /// A sequencer over `db` reading L1 from `view`.
    pub fn new(config: Arc<RollupConfig>, view: Arc<Mutex<L1View>>, db: Database) -> Self {
        Self {
            published: Arc::new(Mutex::new(PublishedBatches::new(&config))),
            config,
            view,
            db,
            heads_for: Arc::new(Mutex::new((u64::MAX, 0, 0, 0))),
        }
    }

    /// L2's safe and finalized heads: the newest blocks whose batches are in L1-safe and
    /// L1-finalized blocks (with every block below them), as a verifier would see them.
    fn update_heads(&self, head: u64, view: &L1View) -> Result<(), BuildError> {
        let key = (
            head,
            view.head().map_or(0, |h| h.number),
            view.safe,
            view.finalized,
        );
        if *self.heads_for.lock() == key {
            return Ok(());
        }
        *self.heads_for.lock() = key;
        let (safe, finalized) = self
            .published
            .lock()
            .update(&self.config, &self.db, view, head)?;
        let old = (self.db.safe()?, self.db.finalized()?);
        if old != (Some(safe), Some(finalized)) {
            self.db.set_forkchoice(safe, finalized)?;
        }
        Ok(())
    }

    /// The newest L2 block that is on L1 with all blocks below it (the batcher resumes after
    /// it).
    pub fn published_head(&self) -> PublishedHead {
        self.published.lock().head()
    }

    /// What to do on top of `head` at `now` (see the module doc).
    pub fn decide(&self, head: &Header, now: u64) -> Result<SequencerAction, BuildError> {
        // Held for the decision (a few point reads of storage); the watcher only takes it to
        // insert a block. Cloning the window instead would copy thousands of blocks per tick.
        let view = self.view.lock();
        let parent = origin_at(&self.config, &self.db, head.number)?.ok_or(BuildError::NoHead)?;
        if let Some(stale) = first_stale(&self.config, &self.db, &view, head.number, parent)? {
            let target = last_canonical(&self.config, &self.db, &view, stale)?;
            tracing::warn!(
                l2_head = head.number,
                unwind_to = target,
                l1_origin = parent.number,
                "L1 reorg removed an origin of the L2 chain"
            );
            return Ok(SequencerAction::Unwind(target));
        }
        self.update_heads(head.number, &view)?;
        let timestamp = head.timestamp + self.config.block_time;
        if timestamp > now {
            return Ok(SequencerAction::Wait);
        }
        let confirmed = view
            .head()
            .map_or(0, |h| h.number.saturating_sub(self.config.l1_confirmations));
        let next = view
            .get(parent.number + 1)
            .filter(|b| b.number <= confirmed && b.parent_hash == parent.hash);
        let (origin, sequence_number, deposits) = match next {
            Some(b) if b.timestamp <= timestamp => {
                (origin_for(&self.config, b), 0, b.deposits.clone())
            }
            _ => {
                let Some(current) = view.get(parent.number).filter(|b| b.hash == parent.hash)
                else {
                    // The origin is older than the view (a long outage): wait for the watcher.
                    return Ok(SequencerAction::Wait);
                };
                if timestamp > current.timestamp + self.config.max_sequencer_drift {
                    tracing::warn!(
                        l1_origin = current.number,
                        "sequencer drift reached and no newer L1 block known; waiting for L1"
                    );
                    return Ok(SequencerAction::Wait);
                }
                (
                    origin_for(&self.config, current),
                    parent.sequence_number + 1,
                    Vec::new(),
                )
            }
        };
        Ok(SequencerAction::Build(Box::new(PayloadAttributes {
            parent: Some(head.hash_slow()),
            timestamp,
            strict_timestamp: true,
            l1_origin: Some(origin),
            sequence_number,
            transactions: deposits,
            gas_limit: Some(self.config.gas_limit),
            ..Default::default()
        })))
    }
}

impl PayloadSource for RollupPayloads {
    async fn next_action(
        &mut self,
        head: &Header,
        now: u64,
    ) -> Result<SequencerAction, BuildError> {
        let this = self.clone();
        let head = head.clone();
        tokio::task::spawn_blocking(move || this.decide(&head, now))
            .await
            .map_err(|e| BuildError::Task(e.to_string()))?
    }
}

/// The origin recorded in L2 block `number` (the genesis block's is the rollup's L1
/// genesis).
pub(crate) fn origin_at(
    config: &RollupConfig,
    db: &Database,
    number: u64,
) -> Result<Option<OriginRef>, BuildError> {
    if number == config.genesis_l2.number {
        return Ok(Some(OriginRef {
            number: config.genesis_l1.number,
            hash: config.genesis_l1.hash,
            timestamp: 0,
            sequence_number: 0,
        }));
    }
    Ok(db.first_transaction(number)?.as_ref().and_then(origin_of))
}

/// The newest L2 block whose origin the view shows as replaced, looking back from the head
/// past origins the view no longer knows (its tail was dropped by the reorg) until one it
/// knows; `None` when the head's chain of origins is canonical as far as the view can tell.
pub(crate) fn first_stale(
    config: &RollupConfig,
    db: &Database,
    view: &L1View,
    head: u64,
    head_origin: OriginRef,
) -> Result<Option<u64>, BuildError> {
    let oldest = view.oldest().unwrap_or(0);
    let mut n = head;
    let mut origin = head_origin;
    loop {
        match view.is_canonical(origin.number, origin.hash) {
            Some(true) => return Ok(None),
            Some(false) => return Ok(Some(n)),
            None if n == config.genesis_l2.number || origin.number < oldest => {
                return Ok(None);
            }
            None => {}
        }
        n -= 1;
        match origin_at(config, db, n)? {
            Some(o) => origin = o,
            None => return Ok(None),
        }
    }
}

/// The newest L2 block at or below `from` whose origin `view` still shows canonical (or
/// does not cover any more, being older than its window).
pub(crate) fn last_canonical(
    config: &RollupConfig,
    db: &Database,
    view: &L1View,
    from: u64,
) -> Result<u64, BuildError> {
    let mut n = from;
    while n > config.genesis_l2.number {
        let Some(o) = origin_at(config, db, n)? else {
            return Ok(n);
        };
        if view.is_canonical(o.number, o.hash) != Some(false) {
            return Ok(n);
        }
        n -= 1;
    }
    Ok(n)
}

/// The L1-attributes origin of an L2 block on L1 block `block`.
pub(crate) fn origin_for(config: &RollupConfig, block: &L1Block) -> L1Origin {
    L1Origin {
        number: block.number,
        timestamp: block.timestamp,
        base_fee: U256::from(block.base_fee),
        blob_base_fee: U256::from(block.blob_base_fee),
        hash: block.hash,
        batcher_hash: config.batcher.into_word(),
        base_fee_scalar: config.base_fee_scalar,
        blob_base_fee_scalar: config.blob_base_fee_scalar,
        ..Default::default()
    }
}
