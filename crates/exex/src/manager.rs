//! The ExEx manager: installs plugins by name, replays each what it missed, and delivers every
//! canonical-chain notification to all of them through the write-ahead log.
//!
//! Flow control: the manager reads the node's notifications from a lossless subscription and
//! waits for room in each plugin's bounded queue before taking the next, so a slow plugin
//! fills the queues back to the block loop, which then waits too: block production slows, no
//! notification is dropped.

use std::{
    collections::BTreeMap,
    future::Future,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
};

use agnt2_chain_state::{BlockNumHash, CanonStateNotifications, Chain};
use agnt2_storage::{CommittedBlock, StorageError};
use alloy_primitives::B256;
use tokio::{sync::mpsc, task::JoinSet};

use crate::{
    ExExConfig, ExExContext, ExExEvent, ExExNotification, ExExNotifications, NodeComponents,
    wal::{Wal, WalError},
};

/// A plugin's own failure, as it reports it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type ExExFuture = BoxFuture<Result<(), BoxError>>;
type InitFn = Box<dyn FnOnce(ExExContext) -> BoxFuture<Result<ExExFuture, BoxError>> + Send>;

/// Manager and plugin failures.
#[derive(Debug, thiserror::Error)]
pub enum ExExError {
    /// The write-ahead log failed.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// Storage failed while backfilling.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Filesystem failure (finished heights).
    #[error("exex io: {0}")]
    Io(#[from] std::io::Error),
    /// Two plugins were installed under one name.
    #[error("an exex named {0:?} is installed twice")]
    Duplicate(String),
    /// A name that cannot be a directory name.
    #[error("exex name {0:?} must be non-empty ASCII letters, digits, '-' or '_'")]
    BadName(String),
    /// A plugin's init or run failed.
    #[error("exex {name} failed: {source}")]
    Plugin {
        /// Its name.
        name: String,
        /// What it said.
        source: BoxError,
    },
    /// A plugin stopped on its own, or its task panicked.
    #[error("exex {0} stopped")]
    Stopped(String),
}

/// Collects plugins before the node starts them (`install_exex`).
pub struct ExExManagerBuilder {
    dir: PathBuf,
    components: NodeComponents,
    buffer: usize,
    exexes: Vec<(String, InitFn)>,
}

impl std::fmt::Debug for ExExManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExExManagerBuilder")
            .field("dir", &self.dir)
            .field(
                "exexes",
                &self.exexes.iter().map(|e| &e.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ExExManagerBuilder {
    /// Plugins keep their log and state under `dir` (the datadir's `exex/`); each plugin's
    /// queue holds `buffer` notifications.
    pub fn new(dir: impl Into<PathBuf>, components: NodeComponents, buffer: usize) -> Self {
        Self {
            dir: dir.into(),
            components,
            buffer: buffer.max(1),
            exexes: Vec::new(),
        }
    }

    /// Installs a plugin: `init` gets its context and returns the plugin's future (reth's
    /// `install_exex`).
    pub fn install_exex<F, Fut, E>(&mut self, name: impl Into<String>, init: F) -> &mut Self
    where
        F: FnOnce(ExExContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<E, BoxError>> + Send + 'static,
        E: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let init: InitFn = Box::new(move |ctx| {
            Box::pin(async move {
                let exex = init(ctx).await?;
                Ok(Box::pin(exex) as ExExFuture)
            })
        });
        self.exexes.push((name.into(), init));
        self
    }

    /// Whether any plugin is installed.
    pub fn is_empty(&self) -> bool {
        self.exexes.is_empty()
    }

    /// Opens the log, brings it level with storage, starts every plugin with what it missed
    /// queued, and starts delivering `canon`.
    pub async fn launch(
        self,
        canon: CanonStateNotifications,
    ) -> Result<ExExManagerHandle, ExExError> {
        let mut wal = Wal::open(&self.dir.join("wal"))?;
        let db = self.components.db;
        catch_up(&mut wal, &db)?;
        let node_head = db
            .head()?
            .map(|(n, h)| BlockNumHash::new(n, h))
            .unwrap_or_default();
        let mut tasks = JoinSet::new();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let mut plugins = Vec::new();
        for (i, (name, init)) in self.exexes.into_iter().enumerate() {
            check_name(&name)?;
            if plugins.iter().any(|p: &Plugin| p.name == name) {
                return Err(ExExError::Duplicate(name));
            }
            let data_dir = self.dir.join(&name);
            std::fs::create_dir_all(&data_dir)?;
            let finished = read_finished(&data_dir)?;
            let head = finished.unwrap_or(node_head);
            let (tx, rx) = mpsc::channel(self.buffer);
            let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<ExExEvent>();
            let forward = events_tx.clone();
            tokio::spawn(async move {
                while let Some(ev) = ev_rx.recv().await {
                    if forward.send((i, ev)).is_err() {
                        break;
                    }
                }
            });
            let ctx = ExExContext {
                head,
                config: ExExConfig {
                    name: name.clone(),
                    data_dir: data_dir.clone(),
                },
                notifications: ExExNotifications { rx },
                events: ev_tx,
                components: NodeComponents {
                    db,
                    pool: self.components.pool.clone(),
                    spec: self.components.spec.clone(),
                },
            };
            let task_name = name.clone();
            tasks.spawn(async move {
                let run = async {
                    let exex = init(ctx).await?;
                    exex.await
                };
                match run.await {
                    Ok(()) => Err(ExExError::Stopped(task_name)),
                    Err(source) => Err(ExExError::Plugin {
                        name: task_name,
                        source,
                    }),
                }
            });
            tracing::info!(exex = %name, head = head.number, "exex installed");
            plugins.push(Plugin {
                name,
                dir: data_dir,
                tx,
                finished: head.number,
            });
        }
        let manager = Manager {
            wal,
            plugins,
            events: events_rx,
        };
        tasks.spawn(manager.run(canon));
        Ok(ExExManagerHandle { tasks })
    }
}

/// Running plugins and the manager task.
#[derive(Debug)]
pub struct ExExManagerHandle {
    tasks: JoinSet<Result<(), ExExError>>,
}

impl ExExManagerHandle {
    /// Resolves when the manager or a plugin stops (the node should stop too), with why.
    pub async fn wait(&mut self) -> ExExError {
        match self.tasks.join_next().await {
            Some(Ok(Err(e))) => e,
            Some(Ok(Ok(()))) => ExExError::Stopped("exex manager".into()),
            Some(Err(e)) => ExExError::Stopped(format!("task ({e})")),
            None => std::future::pending().await,
        }
    }

    /// Stops the manager and every plugin, and returns once none of them runs any more (so a
    /// manager launched next over the same directory is the only one touching its log).
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

#[derive(Debug)]
struct Plugin {
    name: String,
    dir: PathBuf,
    tx: mpsc::Sender<ExExNotification>,
    /// Highest block it reported finished (or where it started).
    finished: u64,
}

struct Manager {
    wal: Wal,
    plugins: Vec<Plugin>,
    events: mpsc::UnboundedReceiver<(usize, ExExEvent)>,
}

impl Manager {
    async fn run(mut self, mut canon: CanonStateNotifications) -> Result<(), ExExError> {
        // What each plugin missed, before anything live.
        for i in 0..self.plugins.len() {
            let ids = self.wal.ids_above(self.plugins[i].finished);
            for id in ids {
                let n = self.wal.read(id)?;
                self.deliver(i, n).await?;
            }
        }
        loop {
            tokio::select! {
                n = canon.recv() => {
                    let Some(n) = n else { return Ok(()) };
                    self.wal.append(&n)?;
                    for i in 0..self.plugins.len() {
                        // Drain finished heights first: a plugin may be waiting to be pruned.
                        while let Ok((p, ev)) = self.events.try_recv() {
                            self.on_event(p, ev)?;
                        }
                        self.deliver(i, n.clone()).await?;
                    }
                }
                ev = self.events.recv() => {
                    if let Some((p, ev)) = ev {
                        self.on_event(p, ev)?;
                    }
                }
            }
        }
    }

    async fn deliver(&mut self, i: usize, n: ExExNotification) -> Result<(), ExExError> {
        let plugin = &self.plugins[i];
        if plugin.tx.capacity() == 0 {
            metrics::counter!("agnt2_exex_backpressure_waits_total", "exex" => plugin.name.clone())
                .increment(1);
        }
        plugin
            .tx
            .send(n)
            .await
            .map_err(|_| ExExError::Stopped(plugin.name.clone()))
    }

    fn on_event(&mut self, i: usize, ev: ExExEvent) -> Result<(), ExExError> {
        let ExExEvent::FinishedHeight(height) = ev;
        let Some(plugin) = self.plugins.get_mut(i) else {
            return Ok(());
        };
        if height.number != plugin.finished {
            plugin.finished = height.number;
            write_finished(&plugin.dir, height)?;
            metrics::gauge!("agnt2_exex_finished_height", "exex" => plugin.name.clone())
                .set(height.number as f64);
        }
        let min = self.plugins.iter().map(|p| p.finished).min().unwrap_or(0);
        self.wal.prune(min)?;
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), ExExError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ExExError::BadName(name.into()))
    }
}

fn read_finished(dir: &Path) -> Result<Option<BlockNumHash>, ExExError> {
    match std::fs::read(dir.join("finished")) {
        Ok(b) if b.len() == 40 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&b[..8]);
            Ok(Some(BlockNumHash::new(
                u64::from_be_bytes(n),
                B256::from_slice(&b[8..]),
            )))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn write_finished(dir: &Path, h: BlockNumHash) -> Result<(), ExExError> {
    let mut b = Vec::with_capacity(40);
    b.extend_from_slice(&h.number.to_be_bytes());
    b.extend_from_slice(h.hash.as_slice());
    let tmp = dir.join("finished.tmp");
    std::fs::write(&tmp, b)?;
    std::fs::rename(tmp, dir.join("finished"))?;
    Ok(())
}

/// Brings the log level with storage after a crash: blocks the log holds but storage no
/// longer has (an unwind whose notification was not logged) become a revert entry, and blocks
/// storage committed after the log's tip become committed entries.
fn catch_up(wal: &mut Wal, db: &agnt2_storage::Database) -> Result<(), ExExError> {
    let Some(tip) = wal.tip() else {
        return Ok(());
    };
    let Some((head, _)) = db.head()? else {
        return Ok(());
    };
    let canonical = |b: &BlockNumHash| -> Result<bool, ExExError> {
        Ok(db.block_hash(b.number)? == Some(b.hash))
    };
    let mut fork = tip.number;
    if !canonical(&tip)? {
        let gone = logged_blocks_not_canonical(wal, db)?;
        fork = gone
            .keys()
            .next()
            .map_or(tip.number, |n| n.saturating_sub(1));
        if let Some(old) = Chain::new(gone.into_values().collect()) {
            tracing::warn!(
                from = old.first().block.number(),
                to = old.tip().block.number(),
                "exex log: logging an unwind the node did not log before it stopped"
            );
            wal.append(&ExExNotification::ChainReverted { old: Arc::new(old) })?;
        }
    }
    for n in fork + 1..=head {
        let Some(block) = db.committed_block(n)? else {
            break;
        };
        wal.append(&ExExNotification::ChainCommitted {
            new: Arc::new(Chain::from_block(block)),
        })?;
    }
    Ok(())
}

/// The blocks the log shows as canonical that storage does not have, by number.
fn logged_blocks_not_canonical(
    wal: &Wal,
    db: &agnt2_storage::Database,
) -> Result<BTreeMap<u64, CommittedBlock>, ExExError> {
    let ids: Vec<u64> = wal.entries().map(|(id, _)| id).collect();
    let mut gone: BTreeMap<u64, CommittedBlock> = BTreeMap::new();
    let mut already_reverted = std::collections::HashSet::new();
    for id in ids.into_iter().rev() {
        let n = wal.read(id)?;
        if let Some(old) = n.reverted_chain() {
            already_reverted.extend(old.blocks().iter().map(|b| b.block.hash));
        }
        let Some(new) = n.committed_chain() else {
            continue;
        };
        let mut reached_canonical = false;
        for b in new.blocks().iter().rev() {
            if db.block_hash(b.block.number())? == Some(b.block.hash) {
                reached_canonical = true;
                break;
            }
            if !already_reverted.contains(&b.block.hash) {
                gone.entry(b.block.number()).or_insert_with(|| b.clone());
            }
        }
        if reached_canonical {
            break;
        }
    }
    Ok(gone)
}
