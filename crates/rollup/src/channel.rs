//! The channel bank: frames read from L1 in order become channels, complete channels become
//! batches. Shared by the verifier's derivation and the sequencer's view of what its batcher
//! has published, so both read L1 by the same rules (`docs/batches.md`, "Channels").

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{B256, Bytes};

use crate::batch::{
    BatchError, ChannelId, Frame, MAX_CHANNEL_LEN, SingularBatch, decode_channel, parse_frames,
};

/// Most bytes all open channels may hold together.
pub const MAX_BANK_LEN: usize = 100_000_000;

/// Batcher data one L1 transaction carried: its calldata, or the payload of each of its blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatcherTx {
    /// The L1 transaction.
    pub hash: B256,
    /// Its data items, in order.
    pub data: Vec<Bytes>,
}

/// A batch with the L1 block whose data completed its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedBatch {
    /// The batch.
    pub batch: SingularBatch,
    /// L1 block number the channel was completed in.
    pub l1_block: u64,
}

#[derive(Debug, Default)]
struct PendingChannel {
    /// L1 block of its first frame.
    opened: u64,
    frames: BTreeMap<u16, Bytes>,
    last: Option<u16>,
    size: usize,
}

/// What the bank did with data (for logs and metrics; derivation needs only the batches).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    /// Data items refused whole (garbled or truncated frames).
    pub bad_data: usize,
    /// Frames ignored (duplicates, beyond the last frame, a second last frame).
    pub ignored_frames: usize,
    /// Channels dropped: timed out, over the size limit, or undecodable once complete.
    pub dropped_channels: usize,
}

/// Open channels, keyed by id.
#[derive(Debug)]
pub struct ChannelBank {
    channels: HashMap<ChannelId, PendingChannel>,
    /// Bytes all open channels hold.
    total: usize,
    /// A channel must be complete within this many L1 blocks of its first frame.
    timeout: u64,
}

impl ChannelBank {
    /// An empty bank with OP's `channel_timeout`.
    pub fn new(timeout: u64) -> Self {
        Self {
            channels: HashMap::new(),
            total: 0,
            timeout,
        }
    }

    /// Open channels.
    pub fn open(&self) -> usize {
        self.channels.len()
    }

    /// Reads the batcher transactions of L1 block `l1`, in order, and returns the batches of
    /// the channels they complete, in completion order.
    pub fn ingest(
        &mut self,
        l1: u64,
        txs: &[BatcherTx],
        report: &mut IngestReport,
    ) -> Vec<IncludedBatch> {
        let timeout = self.timeout;
        let before = self.channels.len();
        let mut freed = 0;
        self.channels.retain(|_, c| {
            let keep = l1 <= c.opened.saturating_add(timeout);
            if !keep {
                freed += c.size;
            }
            keep
        });
        self.total -= freed;
        report.dropped_channels += before - self.channels.len();
        let mut out = Vec::new();
        for tx in txs {
            for item in &tx.data {
                match parse_frames(item) {
                    Ok(frames) => {
                        for f in frames {
                            self.add(l1, f, report, &mut out);
                        }
                    }
                    Err(e) => {
                        tracing::debug!(tx = %tx.hash, error = %e, "skipping batcher data");
                        report.bad_data += 1;
                    }
                }
            }
        }
        out
    }

    fn add(&mut self, l1: u64, f: Frame, report: &mut IngestReport, out: &mut Vec<IncludedBatch>) {
        let c = self
            .channels
            .entry(f.channel)
            .or_insert_with(|| PendingChannel {
                opened: l1,
                ..Default::default()
            });
        let beyond_last = c.last.is_some_and(|last| f.number > last);
        let second_last = f.last && c.last.is_some();
        if c.frames.contains_key(&f.number) || beyond_last || second_last {
            report.ignored_frames += 1;
            return;
        }
        if f.last {
            c.last = Some(f.number);
            // Frames after the last one that arrived early are not part of the channel.
            if let Some(after) = f.number.checked_add(1) {
                let dropped = c.frames.split_off(&after);
                let bytes = dropped.values().map(|d| d.len()).sum::<usize>();
                c.size -= bytes;
                self.total -= bytes;
                report.ignored_frames += dropped.len();
            }
        }
        c.size += f.data.len();
        self.total += f.data.len();
        c.frames.insert(f.number, f.data);
        if c.size > MAX_CHANNEL_LEN {
            self.total -= c.size;
            self.channels.remove(&f.channel);
            report.dropped_channels += 1;
            return;
        }
        // All open channels together are bounded too: the oldest go first (OP's rule).
        while self.total > MAX_BANK_LEN {
            let Some((oldest, size)) = self
                .channels
                .iter()
                .min_by_key(|(id, c)| (c.opened, **id))
                .map(|(id, c)| (*id, c.size))
            else {
                break;
            };
            self.channels.remove(&oldest);
            self.total -= size;
            report.dropped_channels += 1;
        }
        let Some(c) = self.channels.get(&f.channel) else {
            return;
        };
        let complete = c
            .last
            .is_some_and(|last| c.frames.len() == usize::from(last) + 1);
        if !complete {
            return;
        }
        let Some(c) = self.channels.remove(&f.channel) else {
            return;
        };
        self.total -= c.size;
        let data: Vec<u8> = c.frames.values().flat_map(|d| d.iter().copied()).collect();
        match decode_channel(&data) {
            Ok(batches) => out.extend(batches.into_iter().map(|batch| IncludedBatch {
                batch,
                l1_block: l1,
            })),
            Err(e) => {
                let e: BatchError = e;
                tracing::debug!(channel = %alloy_primitives::hex::encode(f.channel), error = %e, "dropping channel");
                report.dropped_channels += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{encode_batcher_data, encode_channel, split_channel};

    fn batch(ts: u64) -> SingularBatch {
        SingularBatch {
            parent_hash: B256::repeat_byte(1),
            epoch_number: 1,
            epoch_hash: B256::repeat_byte(2),
            timestamp: ts,
            transactions: vec![Bytes::from(vec![2u8; 50])],
        }
    }

    fn tx(frames: &[Frame]) -> BatcherTx {
        BatcherTx {
            hash: B256::ZERO,
            data: vec![encode_batcher_data(frames).into()],
        }
    }

    #[test]
    fn frames_complete_a_channel_in_any_order_and_duplicates_are_ignored() {
        let batches = vec![batch(2), batch(4)];
        let frames = split_channel([3; 16], &encode_channel(&batches), 40);
        assert!(frames.len() >= 3);
        let mut bank = ChannelBank::new(10);
        let mut r = IngestReport::default();
        let mut rev = frames.clone();
        rev.reverse();
        // All but frame 0, in reverse, plus a duplicate: nothing yet.
        assert!(
            bank.ingest(5, &[tx(&rev[..rev.len() - 1])], &mut r)
                .is_empty()
        );
        assert!(bank.ingest(6, &[tx(&frames[1..2])], &mut r).is_empty());
        assert_eq!(r.ignored_frames, 1);
        let out = bank.ingest(7, &[tx(&frames[..1])], &mut r);
        assert_eq!(
            out.iter()
                .map(|b| (b.batch.timestamp, b.l1_block))
                .collect::<Vec<_>>(),
            vec![(2, 7), (4, 7)]
        );
        assert_eq!(bank.open(), 0);
    }

    #[test]
    fn a_channel_not_complete_within_the_timeout_is_dropped() {
        let frames = split_channel([4; 16], &encode_channel(&[batch(2)]), 30);
        let mut bank = ChannelBank::new(3);
        let mut r = IngestReport::default();
        bank.ingest(10, &[tx(&frames[..1])], &mut r);
        assert!(bank.ingest(14, &[tx(&frames[1..])], &mut r).is_empty());
        assert_eq!(r.dropped_channels, 1);
        // Inside the timeout it completes.
        let mut bank = ChannelBank::new(3);
        bank.ingest(10, &[tx(&frames[..1])], &mut r);
        assert_eq!(bank.ingest(13, &[tx(&frames[1..])], &mut r).len(), 1);
    }

    #[test]
    fn garbled_data_and_unknown_channels_do_not_disturb_others() {
        let good = split_channel([5; 16], &encode_channel(&[batch(2)]), 1000);
        let mut garbled = encode_batcher_data(&good);
        garbled.truncate(garbled.len() - 3);
        let stray = Frame {
            channel: [9; 16],
            number: 3,
            data: Bytes::from_static(b"xyz"),
            last: false,
        };
        let mut bank = ChannelBank::new(10);
        let mut r = IngestReport::default();
        let bad = BatcherTx {
            hash: B256::ZERO,
            data: vec![garbled.into(), Bytes::from_static(&[7, 7])],
        };
        let out = bank.ingest(1, &[bad, tx(&[stray]), tx(&good)], &mut r);
        assert_eq!(out.len(), 1);
        assert_eq!(r.bad_data, 2);
        // The stray frame's channel stays open until it times out.
        assert_eq!(bank.open(), 1);
        bank.ingest(12, &[], &mut r);
        assert_eq!(bank.open(), 0);
    }

    #[test]
    fn an_undecodable_complete_channel_is_dropped() {
        let frames = split_channel([6; 16], &[0u8, 0xc5, 1, 2], 100);
        let mut bank = ChannelBank::new(10);
        let mut r = IngestReport::default();
        assert!(bank.ingest(1, &[tx(&frames)], &mut r).is_empty());
        assert_eq!(r.dropped_channels, 1);
    }

    #[test]
    fn hostile_frame_numbers_and_sizes_are_bounded() {
        let mut bank = ChannelBank::new(10);
        let mut r = IngestReport::default();
        // A last frame numbered u16::MAX: no overflow, the channel just never completes.
        let f = Frame {
            channel: [8; 16],
            number: u16::MAX,
            data: Bytes::from_static(b"x"),
            last: true,
        };
        assert!(bank.ingest(1, &[tx(&[f])], &mut r).is_empty());
        assert_eq!(bank.open(), 1);
        // Many channels together stay under the bank's byte limit: the oldest go first.
        let big = Bytes::from(vec![1u8; 900_000]);
        for i in 0..120u32 {
            let mut id = [0u8; 16];
            id[..4].copy_from_slice(&i.to_be_bytes());
            let f = Frame {
                channel: id,
                number: 0,
                data: big.clone(),
                last: false,
            };
            bank.ingest(2 + u64::from(i) / 100, &[tx(&[f])], &mut r);
        }
        assert!(bank.total <= MAX_BANK_LEN);
        assert!(r.dropped_channels >= 10, "{r:?}");
    }
}
