//! The batch format (`docs/batches.md` is the spec): how L2 blocks travel to L1 so that anyone
//! can rebuild the chain and a dispute can open any transaction of it on L1.
//!
//! Three layers, as in OP, kept uncompressed so each byte of a block sits at a fixed, provable
//! offset of the L1 data:
//! - **batcher data**: the calldata of a transaction to the BatchInbox, or the payload of one
//!   blob: a version byte (0) and then one or more frames;
//! - **frames**: pieces of a channel (`channel id ‖ frame number ‖ length ‖ data ‖ last`);
//! - **channel**: the concatenated frame data: an encoding byte (0: plain) and then RLP
//!   strings, each one batch (`0x00 ‖ rlp([parent_hash, epoch_number, epoch_hash, timestamp,
//!   [tx, ...]])`, OP's singular batch).
//!
//! Everything here is pure: bytes in, values out, every malformed input an error.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

/// The first byte of every batcher data item.
pub const DERIVATION_VERSION: u8 = 0;
/// A channel's first byte when its batches follow uncompressed (the only encoding derivation
/// accepts: a dispute must be able to read a transaction straight out of L1 data).
pub const CHANNEL_PLAIN: u8 = 0;
/// The batch type of a singular batch (one L2 block).
pub const SINGULAR_BATCH: u8 = 0;
/// Bytes a frame adds to its data: id (16), number (2), length (4), last flag (1).
pub const FRAME_OVERHEAD: usize = 16 + 2 + 4 + 1;
/// Largest frame data derivation accepts (OP's limit).
pub const MAX_FRAME_LEN: usize = 1_000_000;
/// Largest channel (all frame data together) derivation accepts.
pub const MAX_CHANNEL_LEN: usize = 10_000_000;
/// Bytes of a blob: 4096 field elements of 32 bytes.
pub const BLOB_LEN: usize = 4096 * 32;
/// Payload bytes one blob carries: 31 per field element, less the 4-byte length prefix.
pub const BLOB_CAPACITY: usize = 4096 * 31 - 4;

/// A channel id: 16 bytes the batcher picks at random for each channel.
pub type ChannelId = [u8; 16];

/// Why batch data is refused (derivation then skips it; see the spec for what is skipped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Empty, or not starting with the derivation version.
    #[error("batcher data with unknown version {0:?}")]
    Version(Option<u8>),
    /// A frame ends before its declared length, or trailing bytes follow the last frame.
    #[error("truncated frame")]
    Truncated,
    /// A frame's last-flag byte is neither 0 nor 1.
    #[error("frame last flag {0} is neither 0 nor 1")]
    LastFlag(u8),
    /// A frame longer than [`MAX_FRAME_LEN`].
    #[error("frame of {0} bytes is over the limit")]
    FrameTooLong(usize),
    /// A channel longer than [`MAX_CHANNEL_LEN`].
    #[error("channel of {0} bytes is over the limit")]
    ChannelTooLong(usize),
    /// A channel encoding other than plain.
    #[error("channel encoding {0:?} is not accepted")]
    Encoding(Option<u8>),
    /// A batch that is not well-formed RLP of a known type.
    #[error("malformed batch: {0}")]
    Batch(String),
    /// A blob whose field elements or length prefix are out of range.
    #[error("malformed blob: {0}")]
    Blob(&'static str),
}

/// One piece of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The channel it belongs to.
    pub channel: ChannelId,
    /// Its position in the channel, from 0.
    pub number: u16,
    /// Its share of the channel's bytes.
    pub data: Bytes,
    /// Whether it is the channel's last frame.
    pub last: bool,
}

impl Frame {
    /// Encoded length.
    pub fn len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }

    /// Whether the frame carries no channel bytes.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Appends the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel);
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.last));
    }

    /// Reads one frame off the front of `buf`.
    pub fn decode(buf: &mut &[u8]) -> Result<Self, BatchError> {
        let take = |buf: &mut &[u8], n: usize| -> Result<Vec<u8>, BatchError> {
            if buf.len() < n {
                return Err(BatchError::Truncated);
            }
            let (head, rest) = buf.split_at(n);
            *buf = rest;
            Ok(head.to_vec())
        };
        let mut channel = [0u8; 16];
        channel.copy_from_slice(&take(buf, 16)?);
        let number = u16::from_be_bytes([take(buf, 1)?[0], take(buf, 1)?[0]]);
        let len_bytes = take(buf, 4)?;
        let len =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        if len > MAX_FRAME_LEN {
            return Err(BatchError::FrameTooLong(len));
        }
        let data = take(buf, len)?;
        let last = match take(buf, 1)?[0] {
            0 => false,
            1 => true,
            b => return Err(BatchError::LastFlag(b)),
        };
        Ok(Self {
            channel,
            number,
            data: data.into(),
            last,
        })
    }
}

/// Encodes frames as one batcher data item (calldata, or a blob's payload).
pub fn encode_batcher_data(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + frames.iter().map(Frame::len).sum::<usize>());
    out.push(DERIVATION_VERSION);
    for f in frames {
        f.encode(&mut out);
    }
    out
}

/// The frames of one batcher data item. Any malformed frame refuses the whole item (OP's
/// rule): a garbled transaction contributes nothing, not a prefix.
pub fn parse_frames(data: &[u8]) -> Result<Vec<Frame>, BatchError> {
    match data.first() {
        Some(&DERIVATION_VERSION) => {}
        other => return Err(BatchError::Version(other.copied())),
    }
    let mut buf = &data[1..];
    let mut frames = Vec::new();
    while !buf.is_empty() {
        frames.push(Frame::decode(&mut buf)?);
    }
    if frames.is_empty() {
        return Err(BatchError::Truncated);
    }
    Ok(frames)
}

/// One L2 block as a batch carries it: what derivation cannot compute on its own.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SingularBatch {
    /// The block's parent.
    pub parent_hash: B256,
    /// Its L1 origin's number.
    pub epoch_number: u64,
    /// Its L1 origin's hash.
    pub epoch_hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// Its transactions after the deposits, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
}

impl SingularBatch {
    /// The batch as a channel holds it: an RLP string of `0x00 ‖ rlp(batch)`.
    pub fn encode_in_channel(&self, out: &mut Vec<u8>) {
        let mut inner = Vec::with_capacity(self.length() + 1);
        inner.push(SINGULAR_BATCH);
        self.encode(&mut inner);
        inner.as_slice().encode(out);
    }

    /// Length of [`Self::encode_in_channel`]'s output.
    pub fn channel_len(&self) -> usize {
        let inner = 1 + self.length();
        alloy_rlp::length_of_length(inner) + inner
    }
}

/// The channel bytes holding `batches` (plain encoding).
pub fn encode_channel(batches: &[SingularBatch]) -> Vec<u8> {
    let mut out = vec![CHANNEL_PLAIN];
    for b in batches {
        b.encode_in_channel(&mut out);
    }
    out
}

/// The batches of a complete channel's bytes, in order.
pub fn decode_channel(data: &[u8]) -> Result<Vec<SingularBatch>, BatchError> {
    if data.len() > MAX_CHANNEL_LEN {
        return Err(BatchError::ChannelTooLong(data.len()));
    }
    match data.first() {
        Some(&CHANNEL_PLAIN) => {}
        other => return Err(BatchError::Encoding(other.copied())),
    }
    let mut buf = &data[1..];
    let mut out = Vec::new();
    while !buf.is_empty() {
        let item = alloy_rlp::Header::decode_bytes(&mut buf, false)
            .map_err(|e| BatchError::Batch(e.to_string()))?;
        let Some((&kind, mut body)) = item.split_first() else {
            return Err(BatchError::Batch("empty batch".into()));
        };
        if kind != SINGULAR_BATCH {
            return Err(BatchError::Batch(format!("unknown batch type {kind}")));
        }
        let batch =
            SingularBatch::decode(&mut body).map_err(|e| BatchError::Batch(e.to_string()))?;
        if !body.is_empty() {
            return Err(BatchError::Batch("trailing bytes after batch".into()));
        }
        out.push(batch);
    }
    Ok(out)
}

/// Cuts channel bytes into frames of at most `max_frame_data` data bytes each.
pub fn split_channel(id: ChannelId, channel: &[u8], max_frame_data: usize) -> Vec<Frame> {
    let size = max_frame_data.max(1);
    let chunks: Vec<&[u8]> = channel.chunks(size).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| Frame {
            channel: id,
            number: i as u16,
            data: Bytes::copy_from_slice(c),
            last: i + 1 == n,
        })
        .collect()
}

/// Packs `data` (at most [`BLOB_CAPACITY`] bytes) into a blob: field element `i` is a zero
/// byte and then bytes `31·i .. 31·i+31` of `len (u32 BE) ‖ data ‖ zeros`. The zero high byte
/// keeps each element below the BLS modulus, and byte `k` of the payload sits at a fixed
/// element, so a dispute opens it with one point evaluation.
pub fn blob_from_data(data: &[u8]) -> Result<Box<[u8; BLOB_LEN]>, BatchError> {
    if data.len() > BLOB_CAPACITY {
        return Err(BatchError::Blob("payload over capacity"));
    }
    let mut payload = Vec::with_capacity(data.len() + 4);
    payload.extend_from_slice(&(data.len() as u32).to_be_bytes());
    payload.extend_from_slice(data);
    let mut blob = Box::new([0u8; BLOB_LEN]);
    for (i, chunk) in payload.chunks(31).enumerate() {
        blob[i * 32 + 1..i * 32 + 1 + chunk.len()].copy_from_slice(chunk);
    }
    Ok(blob)
}

/// The payload of a blob [`blob_from_data`] made.
pub fn data_from_blob(blob: &[u8]) -> Result<Vec<u8>, BatchError> {
    if blob.len() != BLOB_LEN {
        return Err(BatchError::Blob("not 131072 bytes"));
    }
    let mut payload = Vec::with_capacity(4096 * 31);
    for fe in blob.chunks(32) {
        if fe[0] != 0 {
            return Err(BatchError::Blob("field element high byte set"));
        }
        payload.extend_from_slice(&fe[1..]);
    }
    let len = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    if len > BLOB_CAPACITY {
        return Err(BatchError::Blob("length prefix over capacity"));
    }
    if payload[4 + len..].iter().any(|b| *b != 0) {
        return Err(BatchError::Blob("bytes after the payload"));
    }
    Ok(payload[4..4 + len].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(ts: u64, txs: usize) -> SingularBatch {
        SingularBatch {
            parent_hash: B256::repeat_byte(ts as u8),
            epoch_number: ts / 6,
            epoch_hash: B256::repeat_byte(0xee),
            timestamp: ts,
            transactions: (0..txs)
                .map(|i| Bytes::from(vec![0x02, i as u8, 0xaa]))
                .collect(),
        }
    }

    #[test]
    fn a_channel_round_trips_through_frames() {
        let batches = vec![batch(10, 3), batch(12, 0), batch(14, 200)];
        let channel = encode_channel(&batches);
        let expected_len: usize = 1 + batches
            .iter()
            .map(SingularBatch::channel_len)
            .sum::<usize>();
        assert_eq!(channel.len(), expected_len);
        let frames = split_channel([7; 16], &channel, 100);
        assert!(frames.len() > 2);
        assert!(frames.last().is_some_and(|f| f.last));
        let data = encode_batcher_data(&frames);
        let parsed = parse_frames(&data).unwrap();
        assert_eq!(parsed, frames);
        let joined: Vec<u8> = parsed.iter().flat_map(|f| f.data.to_vec()).collect();
        assert_eq!(decode_channel(&joined).unwrap(), batches);
    }

    #[test]
    fn malformed_data_is_refused_whole() {
        let frames = split_channel([1; 16], &encode_channel(&[batch(2, 2)]), 1000);
        let data = encode_batcher_data(&frames);
        assert_eq!(parse_frames(&[]), Err(BatchError::Version(None)));
        assert_eq!(parse_frames(&[1, 2]), Err(BatchError::Version(Some(1))));
        assert_eq!(parse_frames(&[0]), Err(BatchError::Truncated));
        for cut in 1..data.len() {
            assert!(parse_frames(&data[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_flag = data.clone();
        *bad_flag.last_mut().unwrap() = 2;
        assert_eq!(parse_frames(&bad_flag), Err(BatchError::LastFlag(2)));
        let mut long = data.clone();
        long[19..23].copy_from_slice(&(MAX_FRAME_LEN as u32 + 1).to_be_bytes());
        assert!(matches!(
            parse_frames(&long),
            Err(BatchError::FrameTooLong(_))
        ));
    }

    #[test]
    fn garbled_channels_are_refused() {
        let channel = encode_channel(&[batch(2, 2)]);
        assert!(matches!(
            decode_channel(&[0x78, 0x9c]),
            Err(BatchError::Encoding(Some(0x78)))
        ));
        assert!(decode_channel(&channel[..channel.len() - 1]).is_err());
        let mut wrong_type = channel.clone();
        // The first byte inside the RLP string is the batch type.
        let pos = 1 + alloy_rlp::length_of_length(channel.len() - 1 - 1);
        wrong_type[pos] = 1;
        assert!(decode_channel(&wrong_type).is_err());
        assert_eq!(decode_channel(&[CHANNEL_PLAIN]).unwrap(), vec![]);
    }

    #[test]
    fn blobs_round_trip_and_refuse_bad_elements() {
        for len in [0, 1, 30, 31, 32, 1000, BLOB_CAPACITY] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let blob = blob_from_data(&data).unwrap();
            assert_eq!(data_from_blob(&blob[..]).unwrap(), data, "len {len}");
        }
        assert!(blob_from_data(&vec![0; BLOB_CAPACITY + 1]).is_err());
        let mut blob = blob_from_data(b"hello").unwrap();
        blob[32] = 1;
        assert!(data_from_blob(&blob[..]).is_err());
        let mut blob = blob_from_data(b"hello").unwrap();
        blob[40] = 1;
        assert_eq!(
            data_from_blob(&blob[..]),
            Err(BatchError::Blob("bytes after the payload"))
        );
        assert!(data_from_blob(&[0; 10]).is_err());
    }
}
