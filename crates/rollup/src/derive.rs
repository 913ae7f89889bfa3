//! Derivation: the verifier's [`PayloadSource`]. It rebuilds the L2 chain from L1 alone —
//! deposits from the portal's logs, every other transaction from the batches the BatchInbox
//! accepted — with the same block builder the sequencer uses, so an honest sequencer's blocks
//! come out bit for bit. The rules (what is skipped, and what then happens) are the spec's
//! (`docs/batches.md`, "Derivation"); [`check_batch`] holds the batch rules.
//!
//! A batch is for the block after the head when its timestamp is the head's plus the block
//! time; older ones (replays, duplicates) are dropped, newer ones wait. A batch that breaks a
//! rule is dropped; when none is valid and L1 has moved a sequencing window past the head's
//! origin, the block is filled deposit-only, so the chain always advances. A batch whose
//! transactions do not all execute is replaced by the deposit-only block (Holocene).

use std::{collections::BTreeMap, sync::Arc};

use agnt2_builder::{BuildError, PayloadAttributes, PayloadSource, SequencerAction};
use agnt2_primitives::RecoveredTx;
use agnt2_storage::Database;
use alloy::consensus::Header;
use alloy_primitives::B256;
use parking_lot::Mutex;

use crate::{
    RollupConfig,
    batch::SingularBatch,
    channel::{ChannelBank, IncludedBatch, IngestReport},
    l1info::OriginRef,
    sequencer::{first_stale, last_canonical, origin_at, origin_for},
    view::{L1Block, L1View},
};

/// Why a batch is dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchInvalid {
    /// It does not build on the head.
    #[error("parent {got} is not the head {head}")]
    Parent {
        /// The batch's parent.
        got: B256,
        /// The head.
        head: B256,
    },
    /// Its epoch is neither the head's origin nor the next L1 block.
    #[error("epoch {epoch} is not {parent} or {parent}+1")]
    Epoch {
        /// The batch's epoch.
        epoch: u64,
        /// The head's origin.
        parent: u64,
    },
    /// Its epoch is not the canonical L1 block of that number (or not known yet).
    #[error("epoch {0} hash is not L1's")]
    EpochHash(u64),
    /// Its timestamp is before its origin's.
    #[error("timestamp {ts} before its origin's {origin}")]
    BeforeOrigin {
        /// Batch timestamp.
        ts: u64,
        /// Origin timestamp.
        origin: u64,
    },
    /// Its timestamp runs more than the max sequencer drift past its origin's.
    #[error("timestamp {ts} beyond the drift of origin {origin}")]
    Drift {
        /// Batch timestamp.
        ts: u64,
        /// Origin timestamp.
        origin: u64,
    },
    /// It was included more than a sequencing window after its epoch.
    #[error("included in L1 block {included}, past epoch {epoch}'s sequencing window")]
    Window {
        /// Its epoch.
        epoch: u64,
        /// Where it was included.
        included: u64,
    },
    /// A transaction is empty, a deposit, or does not decode.
    #[error("transaction {index}: {reason}")]
    Transaction {
        /// Position in the batch.
        index: usize,
        /// Why.
        reason: String,
    },
}

/// The attributes a valid batch gives.
#[derive(Debug)]
pub struct CheckedBatch {
    /// The origin's L1 block.
    pub origin: L1Block,
    /// Whether the origin is a new epoch (its deposits go first).
    pub new_epoch: bool,
    /// The decoded transactions.
    pub transactions: Vec<Arc<RecoveredTx>>,
}

/// Checks batch `b`, included in L1 block `included`, as the block after the head `head_hash`
/// (whose origin is `parent`), against what `view` knows of L1. The caller picks batches by timestamp.
pub fn check_batch(
    config: &RollupConfig,
    view: &L1View,
    head_hash: B256,
    parent: OriginRef,
    b: &SingularBatch,
    included: u64,
) -> Result<CheckedBatch, BatchInvalid> {
    if b.parent_hash != head_hash {
        return Err(BatchInvalid::Parent {
            got: b.parent_hash,
            head: head_hash,
        });
    }
    let new_epoch = match b.epoch_number {
        n if n == parent.number => false,
        n if n == parent.number + 1 => true,
        epoch => {
            return Err(BatchInvalid::Epoch {
                epoch,
                parent: parent.number,
            });
        }
    };
    let origin = view
        .get(b.epoch_number)
        .filter(|o| o.hash == b.epoch_hash)
        .filter(|o| !new_epoch || o.parent_hash == parent.hash)
        .ok_or(BatchInvalid::EpochHash(b.epoch_number))?;
    if b.timestamp < origin.timestamp {
        return Err(BatchInvalid::BeforeOrigin {
            ts: b.timestamp,
            origin: origin.timestamp,
        });
    }
    if b.timestamp > origin.timestamp + config.max_sequencer_drift {
        return Err(BatchInvalid::Drift {
            ts: b.timestamp,
            origin: origin.timestamp,
        });
    }
    if included > b.epoch_number + config.seq_window_size {
        return Err(BatchInvalid::Window {
            epoch: b.epoch_number,
            included,
        });
    }
    let mut transactions = Vec::with_capacity(b.transactions.len());
    for (index, raw) in b.transactions.iter().enumerate() {
        let bad = |reason: String| BatchInvalid::Transaction { index, reason };
        match raw.first() {
            None => return Err(bad("empty".into())),
            Some(0x7e) => return Err(bad("deposits come from L1, not batches".into())),
            Some(_) => {}
        }
        let tx = RecoveredTx::decode_user_with(raw, true).map_err(|e| bad(e.to_string()))?;
        transactions.push(Arc::new(tx));
    }
    Ok(CheckedBatch {
        origin: origin.clone(),
        new_epoch,
        transactions,
    })
}

/// Where derivation stands in L1 (in memory: a restart re-reads L1 from a little before the
/// head's origin, see [`DerivedPayloads`]).
#[derive(Debug)]
struct Pipeline {
    /// The head this state was built for (`None`: rebuild before use).
    reset_for: Option<u64>,
    /// Next L1 block to read.
    next_l1: u64,
    bank: ChannelBank,
    /// Batches read and not yet used, in the order they were read.
    queue: Vec<IncludedBatch>,
    /// L1 blocks read, for noticing a reorg of data already used.
    read: BTreeMap<u64, B256>,
    /// L1 block whose data derived each L2 block (since the last reset).
    derived_from: BTreeMap<u64, u64>,
    report: IngestReport,
}

/// Most batches waiting (read but not yet used) before the oldest are dropped.
const MAX_QUEUED_BATCHES: usize = 10_000;

/// The verifier's [`PayloadSource`].
#[derive(Debug, Clone)]
pub struct DerivedPayloads {
    config: Arc<RollupConfig>,
    view: Arc<Mutex<L1View>>,
    db: Database,
    state: Arc<Mutex<Pipeline>>,
}

impl DerivedPayloads {
    /// Derivation over `db` reading L1 from `view`.
    pub fn new(config: Arc<RollupConfig>, view: Arc<Mutex<L1View>>, db: Database) -> Self {
        let timeout = config.channel_timeout;
        Self {
            config,
            view,
            db,
            state: Arc::new(Mutex::new(Pipeline {
                reset_for: None,
                next_l1: 0,
                bank: ChannelBank::new(timeout),
                queue: Vec::new(),
                read: BTreeMap::new(),
                derived_from: BTreeMap::new(),
                report: IngestReport::default(),
            })),
        }
    }

    /// The newest L1 block derivation has read.
    pub fn l1_progress(&self) -> Option<u64> {
        let p = self.state.lock();
        p.reset_for?;
        p.next_l1.checked_sub(1)
    }

    /// The first L1 block derivation must read to continue from L2 block `head`: a channel
    /// holding `head + 1` opened no earlier than the head's origin less a channel timeout.
    pub fn reset_point(config: &RollupConfig, db: &Database, head: u64) -> Result<u64, BuildError> {
        let origin = origin_at(config, db, head)?.map_or(config.genesis_l1.number, |o| o.number);
        Ok(origin
            .saturating_sub(config.channel_timeout)
            .max(config.genesis_l1.number + 1))
    }

    fn reset(&self, p: &mut Pipeline, head: u64) -> Result<(), BuildError> {
        // From the finalized block's origin: the batches of every block not yet finalized are
        // read again, so finality can be followed after the reset as well.
        let finalized = self.db.finalized()?.unwrap_or(0).min(head);
        p.next_l1 = Self::reset_point(&self.config, &self.db, finalized)?;
        p.bank = ChannelBank::new(self.config.channel_timeout);
        p.queue.clear();
        p.read.clear();
        p.derived_from.split_off(&(head + 1));
        p.reset_for = Some(head);
        tracing::info!(l2_head = head, l1_from = p.next_l1, "derivation reset");
        Ok(())
    }

    /// The L2 block a batch with `timestamp` is for.
    fn block_of(&self, timestamp: u64) -> Option<u64> {
        let offset = timestamp.checked_sub(self.config.l2_time)?;
        if offset % self.config.block_time != 0 {
            return None;
        }
        self.config
            .genesis_l2
            .number
            .checked_add(offset / self.config.block_time)
    }

    /// What to do on top of `head` (see the module doc).
    pub fn decide(&self, head: &Header) -> Result<SequencerAction, BuildError> {
        let mut view = self.view.lock();
        let mut p = self.state.lock();
        let head_hash = head.hash_slow();
        if p.reset_for.is_none() {
            self.reset(&mut p, head.number)?;
        }
        // Data already read was reorged away: unwind every block derived from it (the first
        // such block and all after it), then read again.
        let reorged = p
            .read
            .iter()
            .find(|(n, h)| view.is_canonical(**n, **h) == Some(false))
            .map(|(n, _)| *n);
        if let Some(r) = reorged {
            let target = p
                .derived_from
                .range(..=head.number)
                .filter(|(_, l1)| **l1 >= r)
                .map(|(l2, _)| *l2)
                .min()
                .map_or(head.number, |first| first - 1);
            tracing::warn!(
                l1_block = r,
                l2_unwind_to = target,
                "L1 reorg under derived data"
            );
            self.reset(&mut p, target)?;
            if target < head.number {
                return Ok(SequencerAction::Unwind(target));
            }
        }
        let parent = origin_at(&self.config, &self.db, head.number)?.ok_or(BuildError::NoHead)?;
        if let Some(stale) = first_stale(&self.config, &self.db, &view, head.number, parent)? {
            let target = last_canonical(&self.config, &self.db, &view, stale)?;
            self.reset(&mut p, target)?;
            return Ok(SequencerAction::Unwind(target));
        }
        let expected = head.timestamp + self.config.block_time;
        // The batch for the next block can only come from L1 blocks within the head's
        // sequencing window; what is included later does not count for it. This keeps the
        // choice independent of how far ahead this node has read.
        let window_end = parent.number + self.config.seq_window_size;
        // Read L1 only as far as it takes to find a candidate (pull, as op-node does).
        while !p
            .queue
            .iter()
            .any(|b| b.batch.timestamp == expected && b.l1_block <= window_end)
            && p.next_l1 <= window_end
            && self.read_l1_block(&mut p, &view)
        {}
        // The view keeps what derivation still needs (the head's origin on).
        view.set_pin(Some(parent.number.min(p.next_l1).saturating_sub(1)));
        self.update_heads(head.number, &mut p, &view)?;

        // Batches for blocks already derived are replays; each still tells where its block's
        // data sits on L1 (for finality after a reset).
        let old: Vec<IncludedBatch> = p
            .queue
            .iter()
            .filter(|b| b.batch.timestamp < expected)
            .cloned()
            .collect();
        for b in old {
            if let Some(n) = self.block_of(b.batch.timestamp)
                && n > self.config.genesis_l2.number
                && n <= head.number
                && self.db.block_hash(n - 1)? == Some(b.batch.parent_hash)
            {
                p.derived_from.entry(n).or_insert(b.l1_block);
            }
        }
        p.queue.retain(|b| b.batch.timestamp >= expected);
        while let Some(pos) = p.queue.iter().position(|b| b.batch.timestamp == expected) {
            let candidate = p.queue.remove(pos);
            if candidate.l1_block > window_end {
                continue;
            }
            match check_batch(
                &self.config,
                &view,
                head_hash,
                parent,
                &candidate.batch,
                candidate.l1_block,
            ) {
                Ok(checked) => {
                    p.derived_from.insert(head.number + 1, candidate.l1_block);
                    let sequence_number = if checked.new_epoch {
                        0
                    } else {
                        parent.sequence_number + 1
                    };
                    return Ok(SequencerAction::Build(Box::new(self.attributes(
                        head_hash,
                        expected,
                        &checked.origin,
                        sequence_number,
                        checked.new_epoch,
                        checked.transactions,
                    ))));
                }
                Err(reason) => {
                    metrics::counter!("agnt2_derivation_batches_dropped_total").increment(1);
                    tracing::warn!(
                        l2_block = head.number + 1,
                        l1_block = candidate.l1_block,
                        %reason,
                        "dropping batch"
                    );
                }
            }
        }
        // No batch from any L1 block of the window: fill the block deposit-only.
        if p.next_l1 > window_end {
            let Some(current) = view.get(parent.number).filter(|b| b.hash == parent.hash) else {
                return Ok(SequencerAction::Wait);
            };
            let next = view
                .get(parent.number + 1)
                .filter(|b| b.parent_hash == parent.hash && b.timestamp <= expected);
            let (origin, seq, new_epoch) = match next {
                Some(n) => (n.clone(), 0, true),
                None => (current.clone(), parent.sequence_number + 1, false),
            };
            tracing::warn!(
                l2_block = head.number + 1,
                "no batch within the sequencing window; deriving a deposit-only block"
            );
            p.derived_from.insert(head.number + 1, window_end);
            return Ok(SequencerAction::Build(Box::new(self.attributes(
                head_hash,
                expected,
                &origin,
                seq,
                new_epoch,
                Vec::new(),
            ))));
        }
        Ok(SequencerAction::Wait)
    }

    fn attributes(
        &self,
        parent: B256,
        timestamp: u64,
        origin: &L1Block,
        sequence_number: u64,
        new_epoch: bool,
        txs: Vec<Arc<RecoveredTx>>,
    ) -> PayloadAttributes {
        PayloadAttributes {
            parent: Some(parent),
            timestamp,
            strict_timestamp: true,
            l1_origin: Some(origin_for(&self.config, origin)),
            sequence_number,
            transactions: if new_epoch {
                origin.deposits.clone()
            } else {
                Vec::new()
            },
            batch: Some(txs),
            no_tx_pool: true,
            gas_limit: Some(self.config.gas_limit),
            ..Default::default()
        }
    }

    /// Reads the next confirmed L1 block of the view into the channel bank; `false` when
    /// there is none yet.
    fn read_l1_block(&self, p: &mut Pipeline, view: &L1View) -> bool {
        let confirmed = view
            .head()
            .map(|h| h.number.saturating_sub(self.config.l1_confirmations));
        if confirmed.is_none_or(|c| p.next_l1 > c) {
            return false;
        }
        let Some(block) = view.get(p.next_l1) else {
            return false;
        };
        let n = p.next_l1;
        let mut report = std::mem::take(&mut p.report);
        let batches = p.bank.ingest(n, &block.batches, &mut report);
        p.report = report;
        p.queue.extend(batches);
        if p.queue.len() > MAX_QUEUED_BATCHES {
            // Hostile or far-future data: the oldest read go first.
            let excess = p.queue.len() - MAX_QUEUED_BATCHES;
            p.queue.drain(..excess);
        }
        p.read.insert(n, block.hash);
        p.next_l1 += 1;
        metrics::gauge!("agnt2_derivation_l1_block").set(n as f64);
        true
    }

    /// Every derived block is safe (its data is on L1). Finalized is the newest block with
    /// every block up to it derived from L1 blocks L1 has finalized.
    fn update_heads(&self, head: u64, p: &mut Pipeline, view: &L1View) -> Result<(), BuildError> {
        let old = self.db.finalized()?.unwrap_or(0).min(head);
        let mut finalized = old;
        while finalized < head
            && p.derived_from
                .get(&(finalized + 1))
                .is_some_and(|l1| *l1 <= view.finalized)
        {
            finalized += 1;
        }
        // What is finalized on L1 cannot be reorged: forget it.
        p.derived_from = p.derived_from.split_off(&finalized);
        p.read = p.read.split_off(&view.finalized.min(p.next_l1));
        if self.db.safe()? != Some(head) || finalized != old {
            self.db.set_forkchoice(head, finalized)?;
        }
        Ok(())
    }
}

impl PayloadSource for DerivedPayloads {
    async fn next_action(
        &mut self,
        head: &Header,
        _now: u64,
    ) -> Result<SequencerAction, BuildError> {
        let this = self.clone();
        let head = head.clone();
        tokio::task::spawn_blocking(move || this.decide(&head))
            .await
            .map_err(|e| BuildError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlockId;
    use alloy_primitives::{Address, Bytes};

    fn config() -> RollupConfig {
        RollupConfig {
            l1_chain_id: 900,
            l2_chain_id: 28004,
            genesis_l1: BlockId::default(),
            genesis_l2: BlockId::default(),
            l2_time: 1_000,
            block_time: 2,
            max_sequencer_drift: 600,
            deposit_contract: Address::ZERO,
            batcher: Address::ZERO,
            base_fee_scalar: 0,
            blob_base_fee_scalar: 0,
            gas_limit: 30_000_000,
            l1_confirmations: 0,
            batch_inbox: Address::ZERO,
            channel_timeout: 50,
            seq_window_size: 100,
        }
    }

    fn l1(n: u64) -> L1Block {
        L1Block {
            number: n,
            hash: B256::with_last_byte(n as u8),
            parent_hash: B256::with_last_byte(n.wrapping_sub(1) as u8),
            timestamp: 1_000 + 12 * (n - 10),
            base_fee: 1,
            blob_base_fee: 1,
            deposits: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// A signed transfer on chain 28004.
    fn transfer() -> Bytes {
        use alloy::{
            consensus::{SignableTransaction, TxEip1559},
            eips::eip2718::Encodable2718,
            signers::{SignerSync, local::PrivateKeySigner},
        };
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let tx = TxEip1559 {
            chain_id: 28004,
            gas_limit: 21_000,
            max_fee_per_gas: 1_000_000_000,
            to: alloy_primitives::TxKind::Call(Address::repeat_byte(2)),
            ..Default::default()
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
        agnt2_primitives::OpTxEnvelope::Eip1559(tx.into_signed(sig))
            .encoded_2718()
            .into()
    }

    #[test]
    fn batch_rules_table() {
        let cfg = config();
        let mut view = L1View::new(64);
        for n in 10..=14 {
            view.insert(l1(n));
        }
        let head_hash = B256::repeat_byte(0xaa);
        let parent = OriginRef {
            number: 10,
            hash: l1(10).hash,
            timestamp: l1(10).timestamp,
            sequence_number: 2,
        };
        let good = SingularBatch {
            parent_hash: head_hash,
            epoch_number: 10,
            epoch_hash: l1(10).hash,
            timestamp: 1_012,
            transactions: vec![transfer()],
        };
        let with = |f: &dyn Fn(&mut SingularBatch)| {
            let mut b = good.clone();
            f(&mut b);
            b
        };
        let cases: Vec<(&str, SingularBatch, u64, Result<bool, &str>)> = vec![
            ("same epoch", good.clone(), 11, Ok(false)),
            (
                "next epoch",
                with(&|b| {
                    b.epoch_number = 11;
                    b.epoch_hash = l1(11).hash;
                    b.timestamp = l1(11).timestamp;
                }),
                12,
                Ok(true),
            ),
            (
                "wrong parent",
                with(&|b| b.parent_hash = B256::ZERO),
                11,
                Err("parent"),
            ),
            (
                "epoch skipped",
                with(&|b| {
                    b.epoch_number = 12;
                    b.epoch_hash = l1(12).hash;
                }),
                13,
                Err("epoch 12 is not"),
            ),
            (
                "epoch from another fork",
                with(&|b| b.epoch_hash = B256::repeat_byte(9)),
                11,
                Err("hash is not L1's"),
            ),
            (
                "before its origin",
                with(&|b| {
                    b.epoch_number = 11;
                    b.epoch_hash = l1(11).hash;
                    b.timestamp = l1(11).timestamp - 1;
                }),
                12,
                Err("before its origin"),
            ),
            (
                "past the drift",
                with(&|b| b.timestamp = l1(10).timestamp + 601),
                11,
                Err("beyond the drift"),
            ),
            (
                "past the sequencing window",
                good.clone(),
                111,
                Err("sequencing window"),
            ),
            (
                "an empty transaction",
                with(&|b| b.transactions.push(Bytes::new())),
                11,
                Err("transaction 1: empty"),
            ),
            (
                "a deposit",
                with(&|b| b.transactions.insert(0, Bytes::from_static(&[0x7e, 0xc0]))),
                11,
                Err("transaction 0: deposits"),
            ),
            (
                "garbage",
                with(&|b| b.transactions.push(Bytes::from_static(&[0x02, 0x01]))),
                11,
                Err("transaction 1"),
            ),
        ];
        for (what, batch, included, expected) in cases {
            let got = check_batch(&cfg, &view, head_hash, parent, &batch, included);
            match (got, expected) {
                (Ok(c), Ok(new_epoch)) => {
                    assert_eq!(c.new_epoch, new_epoch, "{what}");
                    assert_eq!(c.transactions.len(), batch.transactions.len(), "{what}");
                }
                (Err(e), Err(msg)) => {
                    assert!(e.to_string().contains(msg), "{what}: {e}")
                }
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }
}
