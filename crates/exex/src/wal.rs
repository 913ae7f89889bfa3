//! The write-ahead log of notifications, one file per notification under
//! `<datadir>/exex/wal/`, so a plugin that restarts or lags is replayed what it missed, reverted
//! blocks included (storage no longer has those).
//!
//! File layout (`<id, 20 digits>.wal`): `"AXW1" ‖ crc32(payload) ‖ max_block u64 ‖ tip number
//! u64 ‖ tip hash 32 ‖ payload`, big-endian; the header lets the log be indexed without
//! decoding payloads. Payload: `kind u8` (0 committed, 1 reorged, 2 reverted), then the chains
//! (`old` before `new`), each `count u32` and per block `header ‖ body ‖ receipts ‖ changes`,
//! each length-prefixed (u32) in storage's encodings, the changes in `agnt2_storage::codec::encode_changes`'s (the journal's layout).
//! A file is written to a temporary name, synced and renamed, so a crash leaves whole entries
//! only.

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use agnt2_chain_state::{BlockNumHash, Chain};
use agnt2_primitives::SealedBlock;
use agnt2_storage::{CommittedBlock, codec};
use alloy_primitives::B256;

use crate::ExExNotification;

const MAGIC: &[u8; 4] = b"AXW1";
const HEADER: usize = 4 + 4 + 8 + 8 + 32;

/// Log failures.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// Filesystem failure.
    #[error("exex wal io: {0}")]
    Io(#[from] std::io::Error),
    /// An entry did not decode or failed its checksum.
    #[error("exex wal entry {id} is corrupt: {reason}")]
    Corrupt {
        /// Entry id.
        id: u64,
        /// What was wrong.
        reason: &'static str,
    },
    /// A stored block did not decode.
    #[error("exex wal entry {id}: {source}")]
    Block {
        /// Entry id.
        id: u64,
        /// Storage's decoding error.
        source: agnt2_storage::StorageError,
    },
}

/// What the index keeps of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    /// Highest block number the notification mentions.
    pub max_block: u64,
    /// Canonical tip after it.
    pub tip: BlockNumHash,
}

/// The log: an index of entries by id, payloads on disk.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    entries: BTreeMap<u64, EntryMeta>,
    next_id: u64,
}

impl Wal {
    /// Opens (creating) the log in `dir`, indexing the entries there and removing leftovers
    /// of an interrupted write.
    pub fn open(dir: &Path) -> Result<Self, WalError> {
        fs::create_dir_all(dir)?;
        let mut entries = BTreeMap::new();
        for item in fs::read_dir(dir)? {
            let path = item?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".tmp") {
                fs::remove_file(&path)?;
                continue;
            }
            let Some(id) = name
                .strip_suffix(".wal")
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            entries.insert(id, read_meta(&path, id)?);
        }
        let next_id = entries.keys().next_back().map_or(0, |id| id + 1);
        Ok(Self {
            dir: dir.to_path_buf(),
            entries,
            next_id,
        })
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:020}.wal"))
    }

    /// Appends `n` durably; returns its id.
    pub fn append(&mut self, n: &ExExNotification) -> Result<u64, WalError> {
        let id = self.next_id;
        let payload = encode_notification(n);
        let meta = EntryMeta {
            max_block: n.max_block(),
            tip: n.tip(),
        };
        let mut bytes = Vec::with_capacity(HEADER + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
        bytes.extend_from_slice(&meta.max_block.to_be_bytes());
        bytes.extend_from_slice(&meta.tip.number.to_be_bytes());
        bytes.extend_from_slice(meta.tip.hash.as_slice());
        bytes.extend_from_slice(&payload);
        let tmp = self.dir.join(format!("{id:020}.tmp"));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
        }
        fs::rename(&tmp, self.path(id))?;
        fs::File::open(&self.dir)?.sync_all()?;
        self.entries.insert(id, meta);
        self.next_id = id + 1;
        metrics::gauge!("agnt2_exex_wal_entries").set(self.entries.len() as f64);
        Ok(id)
    }

    /// Reads entry `id`.
    pub fn read(&self, id: u64) -> Result<ExExNotification, WalError> {
        let bytes = fs::read(self.path(id))?;
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(WalError::Corrupt {
                id,
                reason: "bad header",
            });
        }
        let payload = &bytes[HEADER..];
        if crc32fast::hash(payload).to_be_bytes() != bytes[4..8] {
            return Err(WalError::Corrupt {
                id,
                reason: "checksum mismatch",
            });
        }
        decode_notification(id, payload)
    }

    /// The index, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (u64, EntryMeta)> + '_ {
        self.entries.iter().map(|(id, m)| (*id, *m))
    }

    /// Ids of the entries a plugin that finished `height` has not seen: from the first one
    /// that mentions a block above it.
    pub fn ids_above(&self, height: u64) -> Vec<u64> {
        let mut ids: Vec<u64> = Vec::new();
        for (id, m) in &self.entries {
            if !ids.is_empty() || m.max_block > height {
                ids.push(*id);
            }
        }
        ids
    }

    /// The canonical tip after the newest entry.
    pub fn tip(&self) -> Option<BlockNumHash> {
        self.entries.values().next_back().map(|m| m.tip)
    }

    /// Drops the oldest entries that mention nothing above `finished` (every plugin has them).
    pub fn prune(&mut self, finished: u64) -> Result<usize, WalError> {
        let mut removed = 0;
        // Keep the newest entry: it anchors the log's tip for the next start.
        while self.entries.len() > 1 {
            let Some((&id, meta)) = self.entries.iter().next() else {
                break;
            };
            if meta.max_block > finished {
                break;
            }
            fs::remove_file(self.path(id))?;
            self.entries.remove(&id);
            removed += 1;
        }
        metrics::gauge!("agnt2_exex_wal_entries").set(self.entries.len() as f64);
        Ok(removed)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn read_meta(path: &Path, id: u64) -> Result<EntryMeta, WalError> {
    use std::io::Read;
    let mut head = [0u8; HEADER];
    fs::File::open(path)?
        .read_exact(&mut head)
        .map_err(|_| WalError::Corrupt {
            id,
            reason: "truncated header",
        })?;
    if &head[..4] != MAGIC {
        return Err(WalError::Corrupt {
            id,
            reason: "bad magic",
        });
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[at..at + 8]);
        u64::from_be_bytes(b)
    };
    Ok(EntryMeta {
        max_block: u64_at(8),
        tip: BlockNumHash::new(u64_at(16), B256::from_slice(&head[24..56])),
    })
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

fn encode_chain(out: &mut Vec<u8>, chain: &Chain) {
    out.extend_from_slice(&(chain.len() as u32).to_be_bytes());
    for b in chain.blocks() {
        put_bytes(out, &codec::encode_header(&b.block.header));
        put_bytes(out, &codec::encode_body(&b.block.transactions));
        put_bytes(out, &codec::encode_receipts(&b.receipts));
        put_bytes(out, &codec::encode_changes(&b.changes));
    }
}

fn encode_notification(n: &ExExNotification) -> Vec<u8> {
    let mut out = Vec::new();
    match n {
        ExExNotification::ChainCommitted { new } => {
            out.push(0);
            encode_chain(&mut out, new);
        }
        ExExNotification::ChainReorged { old, new } => {
            out.push(1);
            encode_chain(&mut out, old);
            encode_chain(&mut out, new);
        }
        ExExNotification::ChainReverted { old } => {
            out.push(2);
            encode_chain(&mut out, old);
        }
    }
    out
}

struct Reader<'a> {
    id: u64,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WalError> {
        if self.rest.len() < n {
            return Err(WalError::Corrupt {
                id: self.id,
                reason: "truncated payload",
            });
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, WalError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(b))
    }
    fn bytes(&mut self) -> Result<&'a [u8], WalError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn block_err(&self) -> impl Fn(agnt2_storage::StorageError) -> WalError + use<> {
        let id = self.id;
        move |source| WalError::Block { id, source }
    }
}

fn decode_chain(r: &mut Reader<'_>) -> Result<Arc<Chain>, WalError> {
    let count = r.u32()?;
    let mut blocks = Vec::with_capacity(count.min(1024) as usize);
    for _ in 0..count {
        let err = r.block_err();
        let header = codec::decode_header(r.bytes()?).map_err(&err)?;
        let transactions = codec::decode_body(r.bytes()?).map_err(&err)?;
        let receipts = codec::decode_receipts(r.bytes()?).map_err(&err)?;
        let changes = codec::decode_changes(r.bytes()?).map_err(&err)?;
        blocks.push(CommittedBlock {
            block: Arc::new(SealedBlock {
                hash: header.hash_slow(),
                header,
                transactions,
            }),
            receipts: Arc::new(receipts),
            changes: Arc::new(changes),
        });
    }
    Chain::new(blocks).map(Arc::new).ok_or(WalError::Corrupt {
        id: r.id,
        reason: "chain empty or not consecutive",
    })
}

fn decode_notification(id: u64, payload: &[u8]) -> Result<ExExNotification, WalError> {
    let mut r = Reader { id, rest: payload };
    let n = match r.take(1)?[0] {
        0 => ExExNotification::ChainCommitted {
            new: decode_chain(&mut r)?,
        },
        1 => {
            let old = decode_chain(&mut r)?;
            let new = decode_chain(&mut r)?;
            ExExNotification::ChainReorged { old, new }
        }
        2 => ExExNotification::ChainReverted {
            old: decode_chain(&mut r)?,
        },
        _ => {
            return Err(WalError::Corrupt {
                id,
                reason: "unknown kind",
            });
        }
    };
    if !r.rest.is_empty() {
        return Err(WalError::Corrupt {
            id,
            reason: "trailing bytes",
        });
    }
    Ok(n)
}
