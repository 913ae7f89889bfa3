//! The batcher, an ExEx: posts every L2 block to the BatchInbox in order, as blobs when the
//! L1 takes them and as calldata otherwise (`docs/batches.md` is the format).
//!
//! Its position lives on L1, not in a file: it resumes after the newest block whose batch it
//! reads back from L1 (with every block below it), the [`PublishedHead`] the sequencer
//! computes by a verifier's rules. A batch whose L1 block a reorg removes is therefore posted
//! again, a restart mid-channel starts a fresh channel (the old one times out in derivation),
//! and a block is never skipped; a block posted twice is dropped by derivation as a replay.
//! Transactions go out one at a time through [`L1Sender`], which re-sends a stuck one at the
//! same nonce with higher fees.

use std::{sync::Arc, time::Duration};

use agnt2_exex::{BoxError, ExExContext, ExExEvent};
use agnt2_storage::Database;
use alloy::eips::eip4844::Blob;
use alloy_primitives::{B256, Bytes, U64};
use jsonrpsee::{core::client::ClientT, rpc_params};
use parking_lot::Mutex;

use crate::{
    L1Sender, RollupConfig,
    batch::{
        BLOB_CAPACITY, ChannelId, FRAME_OVERHEAD, Frame, MAX_FRAME_LEN, SingularBatch,
        blob_from_data, encode_batcher_data, encode_channel, split_channel,
    },
    l1info::origin_of,
    published::PublishedHead,
    view::L1View,
};

/// Where batch data goes on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataAvailability {
    /// Blobs when the L1 has blob gas (Cancun or later), calldata otherwise.
    #[default]
    Auto,
    /// Always blobs.
    Blobs,
    /// Always calldata.
    Calldata,
}

impl std::str::FromStr for DataAvailability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "blobs" => Ok(Self::Blobs),
            "calldata" => Ok(Self::Calldata),
            other => Err(format!("{other}: expected auto, blobs or calldata")),
        }
    }
}

/// How the batcher posts.
#[derive(Debug, Clone)]
pub struct BatcherConfig {
    /// Blobs or calldata.
    pub data_availability: DataAvailability,
    /// Most frame bytes (header included) per calldata transaction.
    pub max_frame_size: usize,
    /// Most blobs per transaction (one frame each).
    pub blobs_per_tx: usize,
    /// How often to look for new blocks when no notification comes.
    pub poll: Duration,
    /// Longest a block waits to be posted: a transaction goes out when its frames are full or
    /// its oldest block is this old (each blob is paid whole, and building one's proofs costs
    /// CPU, so a batcher does not post a nearly empty one every L1 block).
    pub max_delay: Duration,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            data_availability: DataAvailability::Auto,
            // Below geth's 128 KiB transaction limit with room for the envelope.
            max_frame_size: 120_000,
            blobs_per_tx: 6,
            poll: Duration::from_secs(1),
            max_delay: Duration::from_secs(6),
        }
    }
}

/// A channel the batcher finished posting.
#[derive(Debug, Clone, Copy)]
struct Posted {
    /// L1 block of its last transaction.
    l1_number: u64,
    l1_hash: B256,
    /// Last L2 block it carries.
    last_l2: u64,
}

/// The L2 blocks `from..=to` as batches.
fn batches(db: &Database, from: u64, to: u64) -> Result<Vec<SingularBatch>, BoxError> {
    let mut out = Vec::with_capacity((to + 1 - from) as usize);
    for n in from..=to {
        let header = db
            .header(n)?
            .ok_or_else(|| format!("L2 block {n} missing"))?;
        let body = db
            .body(n)?
            .ok_or_else(|| format!("L2 block {n} body missing"))?;
        let origin = body
            .first()
            .and_then(origin_of)
            .ok_or_else(|| format!("L2 block {n} has no L1-attributes deposit"))?;
        out.push(SingularBatch {
            parent_hash: header.parent_hash,
            epoch_number: origin.number,
            epoch_hash: origin.hash,
            timestamp: header.timestamp,
            transactions: body
                .iter()
                .filter(|t| !t.is_deposit())
                .map(|t| t.encoded.clone())
                .collect(),
        });
    }
    Ok(out)
}

/// How long a starting batcher waits for its batches to be read back from L1.
const READ_BACK_WAIT: Duration = Duration::from_secs(120);

/// The batcher's state between posts.
struct Batcher {
    db: Database,
    sender: Arc<L1Sender>,
    rollup: Arc<RollupConfig>,
    view: Arc<Mutex<L1View>>,
    published: PublishedHead,
    cfg: BatcherConfig,
    blobs: bool,
    posted: Vec<Posted>,
}

impl Batcher {
    /// Frame data bytes per frame, and frames per transaction.
    fn framing(&self) -> (usize, usize) {
        if self.blobs {
            (
                BLOB_CAPACITY - 1 - FRAME_OVERHEAD,
                self.cfg.blobs_per_tx.max(1),
            )
        } else {
            (
                self.cfg
                    .max_frame_size
                    .min(MAX_FRAME_LEN)
                    .saturating_sub(1 + FRAME_OVERHEAD)
                    .max(1),
                1,
            )
        }
    }

    /// The newest L2 block known to be on L1: read back by the sequencer, or posted by this
    /// run in an L1 block that is still canonical (or not yet seen by the view).
    fn posted_through(&mut self, head: u64) -> u64 {
        // Blocks the sequencer unwound are not posted, whatever was sent for them.
        self.posted.retain(|p| p.last_l2 <= head);
        let view = self.view.lock();
        self.posted
            .retain(|p| view.is_canonical(p.l1_number, p.l1_hash) != Some(false));
        let own = self.posted.iter().map(|p| p.last_l2).max().unwrap_or(0);
        let read_back = self.published.get();
        // What L1 shows settles older entries.
        self.posted.retain(|p| p.last_l2 > read_back);
        own.max(read_back)
    }

    /// Posts one channel of the blocks after what is on L1, if any; returns whether it did.
    async fn post_next(&mut self) -> Result<bool, BoxError> {
        let head = self.db.head()?.map_or(0, |(n, _)| n);
        let from = self.posted_through(head) + 1;
        if from > head {
            return Ok(false);
        }
        let (frame_data, frames_per_tx) = self.framing();
        let budget = frame_data * frames_per_tx;
        // As many blocks as fit one transaction's frames (at least one block, which may then
        // span several transactions).
        let mut chosen = Vec::new();
        let mut size = 1;
        for b in batches(&self.db, from, head.min(from + 1023))? {
            let len = b.channel_len();
            if !chosen.is_empty() && size + len > budget {
                break;
            }
            size += len;
            chosen.push(b);
        }
        let full = chosen.len() as u64 <= head - from;
        let oldest = chosen.first().map_or(0, |b| b.timestamp);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if !full && oldest + self.cfg.max_delay.as_secs() > now {
            return Ok(false);
        }
        let last = from + chosen.len() as u64 - 1;
        let l1_head = self.view.lock().head().map_or(0, |h| h.number);
        if let Some(first) = chosen.first()
            && first.epoch_number + self.rollup.seq_window_size < l1_head
        {
            // Verifiers will not take it any more; they derive a deposit-only block there.
            tracing::error!(
                l2_block = from,
                epoch = first.epoch_number,
                "block is past its sequencing window on L1; verifiers derive it deposit-only"
            );
            metrics::counter!("agnt2_batcher_window_missed_total").increment(1);
        }
        let channel = encode_channel(&chosen);
        let id: ChannelId = rand::random();
        let frames = split_channel(id, &channel, frame_data);
        let txs: Vec<&[Frame]> = frames.chunks(frames_per_tx).collect();
        tracing::info!(
            blocks = %format!("{from}..={last}"),
            bytes = channel.len(),
            transactions = txs.len(),
            blobs = self.blobs,
            "posting channel"
        );
        let mut first_l1 = None;
        let mut last_receipt = None;
        for group in txs {
            let receipt = if self.blobs {
                let mut blobs = Vec::with_capacity(group.len());
                for f in group {
                    let data = encode_batcher_data(std::slice::from_ref(f));
                    blobs.push(Blob::from(*blob_from_data(&data)?));
                }
                self.sender
                    .send_blobs(self.rollup.batch_inbox, blobs)
                    .await?
            } else {
                let data = Bytes::from(encode_batcher_data(group));
                self.sender
                    .send(Some(self.rollup.batch_inbox), Default::default(), data)
                    .await?
            };
            let l1 = receipt.block_number.unwrap_or_default();
            let first = *first_l1.get_or_insert(l1);
            if l1 > first + self.rollup.channel_timeout {
                tracing::warn!(
                    channel_opened = first,
                    now = l1,
                    "channel timed out before its last frame landed; starting again"
                );
                return Ok(true);
            }
            metrics::counter!("agnt2_batcher_transactions_total").increment(1);
            last_receipt = Some(receipt);
        }
        if let Some(r) = last_receipt {
            metrics::counter!("agnt2_batcher_blocks_total").increment(last + 1 - from);
            metrics::counter!("agnt2_batcher_bytes_total").increment(channel.len() as u64);
            self.posted.push(Posted {
                l1_number: r.block_number.unwrap_or_default(),
                l1_hash: r.block_hash.unwrap_or_default(),
                last_l2: last,
            });
        }
        Ok(true)
    }
}

/// Waits (bounded) until no transaction of `sender` is pending, so that a restarted batcher
/// reads back what its previous run had in flight before it decides what to post.
async fn settle_pending(sender: &L1Sender) -> Result<(), BoxError> {
    let http = sender.client().http();
    for _ in 0..120 {
        let pending: U64 = http
            .request(
                "eth_getTransactionCount",
                rpc_params![sender.address(), "pending"],
            )
            .await?;
        let latest: U64 = http
            .request(
                "eth_getTransactionCount",
                rpc_params![sender.address(), "latest"],
            )
            .await?;
        if pending == latest {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tracing::warn!("batcher transactions still pending after 60 s; continuing");
    Ok(())
}

/// The ExEx.
pub async fn run_batcher(
    mut ctx: ExExContext,
    sender: Arc<L1Sender>,
    rollup: Arc<RollupConfig>,
    view: Arc<Mutex<L1View>>,
    published: PublishedHead,
    cfg: BatcherConfig,
) -> Result<(), BoxError> {
    // Blobs need an L1 with blob gas, and a node that serves them back: the sequencer reads its
    // own batches back to know what is published, as every verifier reads them.
    let blob_gas = sender
        .client()
        .block("latest")
        .await?
        .header
        .excess_blob_gas
        .is_some();
    let served = sender.client().serves_blobs().await?;
    let blobs = match cfg.data_availability {
        DataAvailability::Blobs => {
            if !served {
                tracing::warn!(
                    "--batcher.data-availability blobs, but the L1 node does not serve blobs \
                     (anvil_getBlobByHash): nodes reading this chain from it will stall"
                );
            }
            true
        }
        DataAvailability::Calldata => false,
        DataAvailability::Auto => {
            if blob_gas && !served {
                tracing::warn!(
                    "L1 has blobs but its node does not serve them back; posting calldata"
                );
            }
            blob_gas && served
        }
    };
    settle_pending(&sender).await?;
    // Let the sequencer read its batches back up to L1's head, so what was in flight (or
    // posted by the last run) counts before anything is posted again.
    let latest = sender.client().block_number().await?;
    let deadline = tokio::time::Instant::now() + READ_BACK_WAIT;
    while published.l1_read() < latest {
        if tokio::time::Instant::now() > deadline {
            tracing::warn!(
                l1_head = latest,
                read_back = published.l1_read(),
                "L1 not read back in time; posting may repeat batches L1 already has"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::info!(
        address = %sender.address(),
        blobs,
        published = published.get(),
        "batcher starting"
    );
    let mut b = Batcher {
        db: ctx.components.db,
        sender,
        rollup,
        view,
        published,
        cfg: cfg.clone(),
        blobs,
        posted: Vec::new(),
    };
    // Posting waits on L1 receipts; it runs beside the notification loop so that it never
    // holds block production back (its progress is on L1, not in the notifications).
    let poster = tokio::spawn(async move {
        let mut tick = tokio::time::interval(cfg.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match b.post_next().await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "posting a batch failed; retrying");
                        metrics::counter!("agnt2_batcher_errors_total").increment(1);
                        break;
                    }
                }
            }
        }
    });
    let _abort = AbortOnDrop(poster);
    while let Some(n) = ctx.notifications.recv().await {
        ctx.events.send(ExExEvent::FinishedHeight(n.tip()))?;
    }
    Ok(())
}

/// Stops the posting task with the ExEx.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
