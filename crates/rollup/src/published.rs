//! What of the sequencer's own chain is on L1: the sequencer reads the batches the inbox
//! accepted by the same rules as a verifier ([`ChannelBank`]) and matches them against its
//! blocks. An L2 block is *published* once a batch carrying exactly it (parent, timestamp,
//! transactions) is on L1, *safe* once that L1 block is L1-safe and every block below is too,
//! *finalized* likewise with L1 finality — the heads op-node reports, and where the batcher
//! resumes after a restart.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use agnt2_builder::BuildError;
use agnt2_storage::Database;
use alloy_primitives::{B256, keccak256};

use crate::{
    RollupConfig,
    batch::SingularBatch,
    channel::{ChannelBank, IngestReport},
    view::L1View,
};

/// The newest L2 block with every block up to it published, shared with the batcher, and the
/// L1 block the reading has got to (a restarted batcher waits for it to reach L1's head
/// before it decides what to post, or it would post again what its last run did).
#[derive(Debug, Clone, Default)]
pub struct PublishedHead(Arc<(AtomicU64, AtomicU64)>);

impl PublishedHead {
    /// The block number.
    pub fn get(&self) -> u64 {
        self.0.0.load(Ordering::Acquire)
    }

    /// The newest L1 block whose batches have been read back (0: none yet).
    pub fn l1_read(&self) -> u64 {
        self.0.1.load(Ordering::Acquire)
    }

    fn set(&self, n: u64, l1_read: u64) {
        self.0.0.store(n, Ordering::Release);
        self.0.1.store(l1_read, Ordering::Release);
        metrics::gauge!("agnt2_l2_published_head").set(n as f64);
    }
}

/// The sequencer's reading of its own batches on L1.
#[derive(Debug)]
pub struct PublishedBatches {
    next_l1: Option<u64>,
    bank: ChannelBank,
    read: BTreeMap<u64, B256>,
    /// L2 block → L1 block its batch was completed in.
    posted: BTreeMap<u64, u64>,
    head: PublishedHead,
}

impl PublishedBatches {
    /// A tracker starting from what `view` holds.
    pub fn new(config: &RollupConfig) -> Self {
        Self {
            next_l1: None,
            bank: ChannelBank::new(config.channel_timeout),
            read: BTreeMap::new(),
            posted: BTreeMap::new(),
            head: PublishedHead::default(),
        }
    }

    /// The handle the batcher reads.
    pub fn head(&self) -> PublishedHead {
        self.head.clone()
    }

    /// Reads new L1 blocks of `view` and returns the (safe, finalized) L2 heads for L2 head
    /// `l2_head`.
    pub fn update(
        &mut self,
        config: &RollupConfig,
        db: &Database,
        view: &L1View,
        l2_head: u64,
    ) -> Result<(u64, u64), BuildError> {
        let oldest = view.oldest().unwrap_or(config.genesis_l1.number + 1);
        let reorged = self
            .read
            .iter()
            .find(|(n, h)| view.is_canonical(**n, **h) == Some(false))
            .map(|(n, _)| *n);
        if let Some(r) = reorged {
            self.posted.retain(|_, l1| *l1 < r);
            self.read.split_off(&r);
            self.bank = ChannelBank::new(config.channel_timeout);
            self.next_l1 = Some(r.saturating_sub(config.channel_timeout).max(oldest));
        }
        // Blocks the sequencer unwound are not published any more, whatever L1 holds.
        self.posted.split_off(&(l2_head + 1));
        let mut next = self.next_l1.unwrap_or(oldest).max(oldest);
        let mut report = IngestReport::default();
        if let Some(h) = view.head().map(|h| h.number) {
            while next <= h {
                let Some(block) = view.get(next) else { break };
                for b in self.bank.ingest(next, &block.batches, &mut report) {
                    // A batch included after its sequencing window is one verifiers refuse.
                    if b.l1_block > b.batch.epoch_number.saturating_add(config.seq_window_size) {
                        continue;
                    }
                    if let Some(n) = self.matches(config, db, &b.batch, l2_head)? {
                        self.posted.entry(n).or_insert(b.l1_block);
                    }
                }
                self.read.insert(next, block.hash);
                next += 1;
            }
        }
        while self.read.len() > 4 * config.channel_timeout as usize + 64 {
            self.read.pop_first();
        }
        self.next_l1 = Some(next);

        let walk = |from: u64, l1_limit: u64| {
            let mut n = from;
            while self.posted.get(&(n + 1)).is_some_and(|l1| *l1 <= l1_limit) {
                n += 1;
            }
            n
        };
        let safe_floor = db.safe()?.unwrap_or(0).min(l2_head);
        let finalized_floor = db.finalized()?.unwrap_or(0).min(safe_floor);
        self.head
            .set(walk(safe_floor, u64::MAX), next.saturating_sub(1));
        let safe = walk(safe_floor, view.safe);
        let finalized = walk(finalized_floor, view.finalized).min(safe);
        // Entries at or below finalized are settled.
        self.posted = self.posted.split_off(&(finalized + 1));
        Ok((safe, finalized))
    }

    /// The L2 block `b` publishes, if it carries exactly one of ours.
    fn matches(
        &self,
        config: &RollupConfig,
        db: &Database,
        b: &SingularBatch,
        l2_head: u64,
    ) -> Result<Option<u64>, BuildError> {
        let Some(offset) = b.timestamp.checked_sub(config.l2_time) else {
            return Ok(None);
        };
        if offset % config.block_time != 0 {
            return Ok(None);
        }
        let Some(n) = config
            .genesis_l2
            .number
            .checked_add(offset / config.block_time)
        else {
            return Ok(None);
        };
        if n == config.genesis_l2.number || n > l2_head {
            return Ok(None);
        }
        if db.block_hash(n - 1)? != Some(b.parent_hash) {
            return Ok(None);
        }
        let Some(body) = db.body(n)? else {
            return Ok(None);
        };
        let ours: Vec<B256> = body
            .iter()
            .filter(|t| !t.is_deposit())
            .map(|t| t.hash)
            .collect();
        let theirs: Vec<B256> = b.transactions.iter().map(keccak256).collect();
        Ok((ours == theirs).then_some(n))
    }
}
