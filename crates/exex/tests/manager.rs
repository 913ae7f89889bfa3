//! The ExEx manager over a real MDBX datadir and the real block loop: every block reaches a
//! plugin once and in order; a plugin that restarts is replayed what it had not finished from
//! the write-ahead log; blocks committed while no manager ran are backfilled from storage, and
//! an unwind it did not see becomes a revert; a slow plugin slows block production instead of
//! losing notifications.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agnt2_builder::{BlockBuilder, DevPayloads, PayloadAttributes, init_genesis, produce_blocks};
use agnt2_chain_state::{CanonStateNotification, CanonStateNotifier, Chain};
use agnt2_exex::{
    BlockNumHash, ExExContext, ExExEvent, ExExManagerBuilder, ExExManagerHandle, ExExNotification,
    NodeComponents,
};
use agnt2_primitives::ChainSpec;
use agnt2_storage::{Database, DatabaseConfig};
use agnt2_txpool::{Pool, PoolConfig};

/// What a test plugin saw: `+n` for a committed block, `-n` for a reverted one.
type Seen = Arc<Mutex<Vec<i64>>>;

struct Setup {
    _dir: tempfile::TempDir,
    exex_dir: std::path::PathBuf,
    db: Database,
    builder: BlockBuilder,
    pool: Arc<Pool>,
    spec: Arc<ChainSpec>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tmp");
    let db = Database::open(
        &dir.path().join("db"),
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
            history_blocks: None,
            ..Default::default()
        },
    )
    .expect("db");
    let spec = Arc::new(ChainSpec::dev());
    init_genesis(&db, &spec).expect("genesis");
    Setup {
        exex_dir: dir.path().join("exex"),
        builder: BlockBuilder::new(db, spec.clone(), 30_000_000),
        pool: Arc::new(Pool::new(PoolConfig::new(spec.chain_id))),
        _dir: dir,
        db,
        spec,
    }
}

impl Setup {
    /// Builds and commits the next block without announcing it.
    fn build(&self) -> CanonStateNotification {
        self.build_after(1)
    }

    /// Builds the next block `gap` seconds after its parent (another gap, another block).
    fn build_after(&self, gap: u64) -> CanonStateNotification {
        let ts = self
            .db
            .header(self.db.head().unwrap().unwrap().0)
            .unwrap()
            .unwrap()
            .timestamp
            + gap;
        let (built, _) = self
            .builder
            .build_payload(&PayloadAttributes::at(ts), Vec::new())
            .expect("build");
        CanonStateNotification::ChainCommitted {
            new: Arc::new(Chain::from_block(built.committed())),
        }
    }

    /// Launches a manager with one recording plugin that reports blocks up to `finish_to`
    /// finished and sleeps `delay` per notification.
    async fn launch(
        &self,
        notifier: &CanonStateNotifier,
        seen: Seen,
        finish_to: u64,
        delay: Duration,
        buffer: usize,
    ) -> (
        ExExManagerHandle,
        tokio::sync::oneshot::Receiver<BlockNumHash>,
    ) {
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let mut exexes = ExExManagerBuilder::new(
            self.exex_dir.clone(),
            NodeComponents {
                db: self.db,
                pool: self.pool.clone(),
                spec: self.spec.clone(),
            },
            buffer,
        );
        exexes.install_exex("recorder", move |ctx: ExExContext| async move {
            let _ = head_tx.send(ctx.head);
            Ok(record(ctx, seen, finish_to, delay))
        });
        let handle = exexes
            .launch(notifier.subscribe(buffer))
            .await
            .expect("launch");
        (handle, head_rx)
    }
}

async fn record(
    mut ctx: ExExContext,
    seen: Seen,
    finish_to: u64,
    delay: Duration,
) -> Result<(), agnt2_exex::BoxError> {
    while let Some(n) = ctx.notifications.recv().await {
        if let Some(old) = n.reverted_chain() {
            for b in old.blocks().iter().rev() {
                seen.lock().unwrap().push(-(b.block.number() as i64));
            }
        }
        if let Some(new) = n.committed_chain() {
            for b in new.blocks() {
                seen.lock().unwrap().push(b.block.number() as i64);
            }
        }
        let tip = n.tip();
        if tip.number <= finish_to {
            ctx.events.send(ExExEvent::FinishedHeight(tip))?;
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    Ok(())
}

/// Waits until the manager has recorded `number` as the plugin's finished height (events are
/// asynchronous: a plugin stopped before they land is replayed a little more, never less).
async fn wait_finished(s: &Setup, number: u64) {
    let path = s.exex_dir.join("recorder").join("finished");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(b) = std::fs::read(&path)
            && b.len() == 40
            && u64::from_be_bytes(b[..8].try_into().unwrap()) == number
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "finished height never reached {number}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `seen` holds `want`, for at most 20 s.
async fn wait_for(seen: &Seen, want: &[i64]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if seen.lock().unwrap().as_slice() == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "plugin saw {:?}, expected {want:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_plugin_is_replayed_what_it_did_not_finish() {
    let s = setup();
    let notifier = CanonStateNotifier::default();
    let seen: Seen = Arc::default();
    // First run: blocks 1..=5 delivered; the plugin finishes only up to 3.
    let (handle, head) = s
        .launch(&notifier, seen.clone(), 3, Duration::ZERO, 8)
        .await;
    assert_eq!(
        head.await.unwrap().number,
        0,
        "a new plugin starts at the head"
    );
    for _ in 0..5 {
        notifier.notify(s.build()).await;
    }
    wait_for(&seen, &[1, 2, 3, 4, 5]).await;
    wait_finished(&s, 3).await;
    handle.shutdown().await;

    // Restart: it is replayed 4 and 5 (from the log), then gets 6 live.
    let seen2: Seen = Arc::default();
    let notifier = CanonStateNotifier::default();
    let (_handle, head) = s
        .launch(&notifier, seen2.clone(), u64::MAX, Duration::ZERO, 8)
        .await;
    assert_eq!(head.await.unwrap().number, 3);
    wait_for(&seen2, &[4, 5]).await;
    notifier.notify(s.build()).await;
    wait_for(&seen2, &[4, 5, 6]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_and_unwinds_the_manager_missed_are_caught_up_from_storage() {
    let s = setup();
    let notifier = CanonStateNotifier::default();
    let seen: Seen = Arc::default();
    let (handle, _) = s
        .launch(&notifier, seen.clone(), 2, Duration::ZERO, 8)
        .await;
    for _ in 0..4 {
        notifier.notify(s.build()).await;
    }
    wait_for(&seen, &[1, 2, 3, 4]).await;
    wait_finished(&s, 2).await;
    handle.shutdown().await;

    // While no manager runs (a crash between commit and log): blocks 3 and 4 are unwound and
    // two others take their place, then one more.
    s.builder.unwind_to(2).expect("unwind");
    for _ in 0..3 {
        s.build_after(2);
    }
    let seen2: Seen = Arc::default();
    let notifier = CanonStateNotifier::default();
    let (_handle, head) = s
        .launch(&notifier, seen2.clone(), u64::MAX, Duration::ZERO, 8)
        .await;
    assert_eq!(head.await.unwrap().number, 2);
    // The plugin had finished 2: it sees the old 3 and 4 committed (from the log), their
    // revert, then the new 3, 4 and 5 from storage.
    wait_for(&seen2, &[3, 4, -4, -3, 3, 4, 5]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_plugin_slows_block_production_and_loses_nothing() {
    let s = setup();
    let notifier = CanonStateNotifier::default();
    let seen: Seen = Arc::default();
    // 50 ms per notification, queues of one: at most a few blocks can be ahead of it.
    let (_handle, _) = s
        .launch(
            &notifier,
            seen.clone(),
            u64::MAX,
            Duration::from_millis(50),
            1,
        )
        .await;
    let producer = tokio::spawn(produce_blocks(
        s.builder.clone(),
        s.pool.clone(),
        notifier.clone(),
        DevPayloads,
        Duration::from_millis(1),
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < 20 {
        assert!(tokio::time::Instant::now() < deadline, "plugin stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let head = s.db.head().unwrap().unwrap().0;
    let got = seen.lock().unwrap().clone();
    producer.abort();
    // Every block, in order, from 1.
    assert_eq!(got, (1..=got.len() as i64).collect::<Vec<_>>());
    // A 1 ms loop would be hundreds of blocks ahead by now; the plugin held it to a few.
    assert!(
        head <= got.len() as u64 + 4,
        "head {head} ran ahead of the plugin ({} seen)",
        got.len()
    );
}

#[test]
fn notifications_round_trip_through_the_log() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let mut wal = agnt2_exex::wal::Wal::open(dir.path()).unwrap();
    let committed: ExExNotification = s.build();
    let id = wal.append(&committed).unwrap();
    let back = wal.read(id).unwrap();
    let (a, b) = (
        committed.committed_chain().unwrap(),
        back.committed_chain().unwrap(),
    );
    assert_eq!(a.tip().block.hash, b.tip().block.hash);
    assert_eq!(a.tip().changes, b.tip().changes);
    assert_eq!(
        a.tip().receipts.len(),
        b.tip().receipts.len(),
        "receipts survive"
    );
    // A damaged entry is an error, not a wrong notification.
    let path = dir.path().join(format!("{id:020}.wal"));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert!(wal.read(id).is_err());
}
