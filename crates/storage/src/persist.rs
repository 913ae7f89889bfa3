//! Persistence behind the tip: the journal of sealed blocks, the background thread that writes
//! them to the tables, and the replay of the journal after a crash.
//!
//! [`Database::commit_block`] makes a block durable by writing one journal file (header, body,
//! receipts and state changes, checksummed; written to a temporary name and renamed, so a file
//! under its final name is always whole) and adding the block to the [`PendingView`]; it
//! never waits for MDBX's write lock. The persister writes every pending block — block tables,
//! transaction index, plain state, change sets, history index, hashed state and trie nodes —
//! in one MDBX write transaction per batch, then deletes their journal files. At most
//! [`crate::DatabaseConfig::persist_behind`] blocks wait; a commit beyond that waits for the
//! persister. After `kill -9`, opening the datadir replays the journal files above the
//! tables' head (each block's root recomputed and checked against its header).

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use agnt2_primitives::{SealedBlock, StoredReceipt};
use alloy_primitives::B256;
use parking_lot::{Condvar, Mutex, RwLock};

use crate::{
    CommittedBlock, Database, StateChanges, StorageError, codec, pending::PendingBlock,
    pending::PendingView,
};

const MAGIC: &[u8; 8] = b"agnt2jr1";

/// What the foreground, the persister and the readers share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The pending blocks; readers clone the `Arc` and then open their MDBX transaction.
    pub view: RwLock<Arc<PendingView>>,
    /// Serialises replacements of `view` (a commit's push, the persister's pop).
    update: Mutex<()>,
    progress: Mutex<Progress>,
    cond: Condvar,
    pub journal: PathBuf,
    pub durable: bool,
    pub persist_behind: usize,
}

#[derive(Debug, Default)]
struct Progress {
    /// The tables' head.
    persisted: Option<u64>,
    /// The persister stopped on this error; commits are refused from then on.
    failed: Option<String>,
    /// The persister waits (see [`Database::hold_persistence`]).
    held: bool,
}

impl Shared {
    pub fn new(dir: &Path, durable: bool, persist_behind: usize) -> Self {
        Self {
            view: RwLock::new(Arc::new(PendingView::empty(None))),
            update: Mutex::new(()),
            progress: Mutex::new(Progress::default()),
            cond: Condvar::new(),
            journal: dir.join("journal"),
            durable,
            persist_behind,
        }
    }

    pub fn view(&self) -> Arc<PendingView> {
        self.view.read().clone()
    }

    pub(crate) fn replace_view(&self, f: impl FnOnce(&PendingView) -> PendingView) {
        let _serial = self.update.lock();
        let next = Arc::new(f(&self.view()));
        *self.view.write() = next;
        let _p = self.progress.lock();
        self.cond.notify_all();
    }

    pub(crate) fn set_persisted(&self, head: Option<u64>) {
        let mut p = self.progress.lock();
        p.persisted = head;
        self.cond.notify_all();
    }

    fn failure(p: &Progress) -> Result<(), StorageError> {
        match &p.failed {
            Some(e) => Err(StorageError::Persist(e.clone())),
            None => Ok(()),
        }
    }

    /// The pending blocks the persister has not written yet.
    fn unpersisted(&self, p: &Progress) -> Vec<Arc<PendingBlock>> {
        self.view()
            .blocks
            .iter()
            .filter(|b| p.persisted.is_none_or(|x| b.number > x))
            .cloned()
            .collect()
    }

    /// Waits until fewer than `persist_behind` blocks wait for the persister.
    fn wait_for_room(&self) -> Result<(), StorageError> {
        let mut p = self.progress.lock();
        loop {
            Self::failure(&p)?;
            if self.unpersisted(&p).len() < self.persist_behind.max(1) {
                return Ok(());
            }
            self.cond.wait(&mut p);
        }
    }

    /// Waits until every committed block is in the tables.
    pub fn flush(&self) -> Result<(), StorageError> {
        let mut p = self.progress.lock();
        p.held = false;
        self.cond.notify_all();
        loop {
            Self::failure(&p)?;
            let head = self.view().head;
            if head.is_none() || head <= p.persisted {
                return Ok(());
            }
            self.cond.wait(&mut p);
        }
    }

    /// The blocks the persister has not written yet (waits for one).
    fn next_batch(&self) -> Vec<Arc<PendingBlock>> {
        let mut p = self.progress.lock();
        loop {
            let batch = self.unpersisted(&p);
            if !batch.is_empty() && !p.held {
                return batch;
            }
            self.cond.wait(&mut p);
        }
    }
}

fn journal_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.block"))
}

fn put_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_be_bytes());
    out.extend_from_slice(part);
}

fn take_part<'a>(b: &mut &'a [u8]) -> Result<&'a [u8], StorageError> {
    let bad = StorageError::Corrupt("truncated journal file");
    let len: [u8; 8] = b
        .get(..8)
        .ok_or(bad)?
        .try_into()
        .map_err(|_| StorageError::Corrupt("journal length"))?;
    let len = usize::try_from(u64::from_be_bytes(len))
        .map_err(|_| StorageError::Corrupt("journal length"))?;
    let rest = &b[8..];
    if rest.len() < len {
        return Err(StorageError::Corrupt("truncated journal file"));
    }
    let (part, rest) = rest.split_at(len);
    *b = rest;
    Ok(part)
}

/// Writes the journal file of a sealed block.
fn write_journal(
    shared: &Shared,
    block: &SealedBlock,
    receipts: &[StoredReceipt],
    changes: &StateChanges,
) -> Result<(), StorageError> {
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&block.number().to_be_bytes());
    put_part(&mut out, block.hash.as_slice());
    put_part(&mut out, &codec::encode_header(&block.header));
    put_part(&mut out, &codec::encode_body(&block.transactions));
    put_part(&mut out, &codec::encode_receipts(receipts));
    put_part(&mut out, &codec::encode_changes(changes));
    let sum = crc32fast::hash(&out);
    out.extend_from_slice(&sum.to_be_bytes());
    let path = journal_path(&shared.journal, block.number());
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&out)?;
        if shared.durable {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, &path)?;
    if shared.durable
        && let Err(e) = sync_dir(&shared.journal)
    {
        // The caller hears the commit failed: the file must not be replayed as committed.
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Reads a journal file back (checksum checked).
fn read_journal(path: &Path) -> Result<CommittedBlock, StorageError> {
    let bytes = std::fs::read(path)?;
    let corrupt = StorageError::Corrupt("journal file checksum");
    if bytes.len() < MAGIC.len() + 8 + 4 || &bytes[..8] != MAGIC {
        return Err(StorageError::Corrupt("not a journal file"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_be_bytes() != sum {
        return Err(corrupt);
    }
    let mut b = &body[16..];
    let hash =
        B256::try_from(take_part(&mut b)?).map_err(|_| StorageError::Corrupt("journal hash"))?;
    let header = codec::decode_header(take_part(&mut b)?)?;
    let transactions = codec::decode_body(take_part(&mut b)?)?;
    let receipts = codec::decode_receipts(take_part(&mut b)?)?;
    let changes = codec::decode_changes(take_part(&mut b)?)?;
    Ok(CommittedBlock {
        block: Arc::new(SealedBlock {
            header,
            hash,
            transactions,
        }),
        receipts: Arc::new(receipts),
        changes: Arc::new(changes),
    })
}

/// Journal files by block number, oldest first; stray temporary files are removed.
fn journal_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StorageError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("tmp") => std::fs::remove_file(&path)?,
            Some("block") => {
                let n = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or(StorageError::Corrupt("journal file name"))?;
                out.push((n, path));
            }
            _ => {}
        }
    }
    out.sort();
    Ok(out)
}

impl Database {
    /// [`Self::commit`] for a block not yet shared (copies it).
    pub fn commit_block(
        &self,
        block: &SealedBlock,
        receipts: &[StoredReceipt],
        changes: &StateChanges,
        trie: crate::TrieOutput,
    ) -> Result<(), StorageError> {
        self.commit(
            CommittedBlock {
                block: Arc::new(block.clone()),
                receipts: Arc::new(receipts.to_vec()),
                changes: Arc::new(changes.clone()),
            },
            trie,
        )
    }

    /// Makes a sealed block durable: its journal file, then the pending view (so every read
    /// sees it); its state is written to the tables behind (see the module doc). With
    /// `persist_behind` 0 it is written to the tables before this returns.
    pub fn commit(
        &self,
        block: CommittedBlock,
        trie: crate::TrieOutput,
    ) -> Result<(), StorageError> {
        let shared = self.shared();
        let number = block.block.number();
        let head = shared.view().head;
        if head.map_or(0, |h| h + 1) != number {
            return Err(StorageError::NotNext { head, number });
        }
        shared.wait_for_room()?;
        let started = Instant::now();
        // Written even when the block is persisted at once: a crash between its two write
        // transactions is finished from it.
        write_journal(shared, &block.block, &block.receipts, &block.changes)?;
        let pending = Arc::new(PendingBlock::new(block, trie));
        if shared.persist_behind == 0 {
            self.persist(std::slice::from_ref(&pending))?;
            shared.replace_view(|_| PendingView::empty(Some(number)));
            shared.set_persisted(Some(number));
            return Ok(());
        }
        shared.replace_view(|v| v.with(pending));
        metrics::histogram!("agnt2_storage_commit_phase_seconds", "phase" => "journal")
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!("agnt2_storage_unpersisted_blocks").set(shared.view().blocks.len() as f64);
        Ok(())
    }

    /// Waits until every committed block's state is in the tables (the background persister
    /// has caught up). Reads never need this; a full check of the tables does.
    pub fn flush(&self) -> Result<(), StorageError> {
        self.shared().flush()
    }

    /// Keeps the persister from writing until the next [`Self::flush`], so every read goes
    /// through the pending blocks (tests of the overlay; a commit still waits once
    /// `persist_behind` blocks are pending).
    pub fn hold_persistence(&self) {
        self.shared().progress.lock().held = true;
    }

    /// Writes `blocks` (consecutive, the first one above the tables' head) to the tables in
    /// one write transaction, then deletes their journal files.
    fn persist(&self, blocks: &[Arc<PendingBlock>]) -> Result<(), StorageError> {
        let started = Instant::now();
        crate::write::persist_blocks(self, blocks, false)?;
        let elapsed = started.elapsed();
        metrics::histogram!("agnt2_storage_persist_seconds").record(elapsed.as_secs_f64());
        metrics::counter!("agnt2_storage_blocks_committed_total").increment(blocks.len() as u64);
        let shared = self.shared();
        {
            for b in blocks {
                let path = journal_path(&shared.journal, b.number);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            // An unwind may follow: its blocks' files must not come back after a power loss.
            if shared.durable {
                sync_dir(&shared.journal)?;
            }
        }
        tracing::debug!(
            blocks = blocks.len(),
            ms = elapsed.as_millis() as u64,
            "persisted blocks"
        );
        Ok(())
    }

    /// At open: removes journal files the tables already hold, replays the others (in order,
    /// each root checked against its header), and starts the persister.
    pub(crate) fn start_persistence(&self) -> Result<(), StorageError> {
        let shared = self.shared();
        std::fs::create_dir_all(&shared.journal)?;
        let mut head = self.table_head()?;
        let mut replayed = 0usize;
        for (n, path) in journal_files(&shared.journal)? {
            if head.is_some_and(|h| n <= h) {
                std::fs::remove_file(&path)?;
                continue;
            }
            if head.map_or(0, |h| h + 1) != n {
                return Err(StorageError::Corrupt(
                    "the journal does not continue the tables' head",
                ));
            }
            let block = read_journal(&path)?;
            if block.block.number() != n {
                return Err(StorageError::Corrupt("journal file of another block"));
            }
            if let Some(h) = head
                && self.block_hash_in_tables(h)? != Some(block.block.header.parent_hash)
            {
                return Err(StorageError::Corrupt(
                    "a journaled block does not build on the tables' head",
                ));
            }
            shared.replace_view(|_| PendingView::empty(head));
            let trie = self.compute_state_root(&block.changes)?;
            if trie.state_root != block.block.header.state_root {
                return Err(StorageError::Corrupt(
                    "a replayed block does not give its header's state root",
                ));
            }
            let pending = Arc::new(PendingBlock::new(block, trie));
            // A crash between a block's two write transactions left its plain state written.
            let resume = crate::write::read_persisting(&self.ro()?, self.tables())? == Some(n);
            crate::write::persist_blocks(self, std::slice::from_ref(&pending), resume)?;
            std::fs::remove_file(&path)?;
            head = Some(n);
            replayed += 1;
        }
        if crate::write::read_persisting(&self.ro()?, self.tables())?.is_some() {
            return Err(StorageError::Corrupt(
                "a block's plain state is written but its tries are not, and its journal file is gone",
            ));
        }
        if replayed > 0 {
            tracing::info!(blocks = replayed, head, "replayed journaled blocks");
        }
        shared.replace_view(|_| PendingView::empty(head));
        shared.set_persisted(head);
        if shared.persist_behind > 0 {
            let db = *self;
            std::thread::Builder::new()
                .name("agnt2-persist".into())
                .spawn(move || db.persist_loop())?;
        }
        Ok(())
    }

    fn persist_loop(self) {
        let shared = self.shared();
        loop {
            let batch = shared.next_batch();
            let Some(last) = batch.last().map(|b| b.number) else {
                continue;
            };
            if let Err(e) = self.persist(&batch) {
                tracing::error!(error = %e, "persisting blocks failed; refusing further commits");
                let mut p = shared.progress.lock();
                p.failed = Some(e.to_string());
                shared.cond.notify_all();
                return;
            }
            // The view first: once `persisted` says so, a flush (and an unwind after it) may
            // go on, and must find the view without these blocks.
            shared.replace_view(|v| v.without(&batch));
            shared.set_persisted(Some(last));
            metrics::gauge!("agnt2_storage_unpersisted_blocks")
                .set(shared.view().blocks.len() as f64);
        }
    }

    /// The view and a read transaction that agree: the tables' head is at or below the view's
    /// head and at or above the block before its first pending block.
    pub(crate) fn snapshot(
        &self,
    ) -> Result<
        (
            Arc<PendingView>,
            libmdbx::Transaction<'static, libmdbx::RO, libmdbx::NoWriteMap>,
        ),
        StorageError,
    > {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let view = self.shared().view();
            let txn = self.ro()?;
            let tables = crate::write::read_head(&txn, self.tables())?;
            let first = view.blocks.first().map(|b| b.number);
            let consistent = tables <= view.head
                && first.is_none_or(|f| tables.map_or(0, |t| t + 1) >= f)
                && (first.is_some() || tables == view.head);
            if consistent {
                return Ok((view, txn));
            }
            if Instant::now() > deadline {
                return Err(StorageError::Corrupt(
                    "the pending blocks and the tables do not meet",
                ));
            }
            drop(txn);
            std::thread::yield_now();
        }
    }
}
