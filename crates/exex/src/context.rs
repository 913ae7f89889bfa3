//! What a plugin is given when it starts.

use std::{path::PathBuf, sync::Arc};

use agnt2_chain_state::BlockNumHash;
use agnt2_primitives::ChainSpec;
use agnt2_storage::Database;
use agnt2_txpool::Pool;
use tokio::sync::mpsc;

use crate::{ExExEvent, ExExNotification};

/// The node parts a plugin may use: read storage, look at or add to the pool.
#[derive(Debug, Clone)]
pub struct NodeComponents {
    /// Storage (read it; only the block loop writes).
    pub db: Database,
    /// The transaction pool.
    pub pool: Arc<Pool>,
    /// The chain.
    pub spec: Arc<ChainSpec>,
}

/// Where a plugin runs.
#[derive(Debug, Clone)]
pub struct ExExConfig {
    /// The name it was installed under.
    pub name: String,
    /// A directory of its own under the datadir, for whatever it must keep across restarts.
    pub data_dir: PathBuf,
}

/// The notifications a plugin reads: first what the log replays (blocks above its finished
/// height), then live ones, in order and without gaps.
#[derive(Debug)]
pub struct ExExNotifications {
    pub(crate) rx: mpsc::Receiver<ExExNotification>,
}

impl ExExNotifications {
    /// The next notification; `None` when the node is shutting down.
    pub async fn recv(&mut self) -> Option<ExExNotification> {
        self.rx.recv().await
    }
}

impl futures::Stream for ExExNotifications {
    type Item = ExExNotification;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// Everything a plugin gets (reth's `ExExContext`).
#[derive(Debug)]
pub struct ExExContext {
    /// The last block this plugin reported finished (or the node's head when it is new).
    pub head: BlockNumHash,
    /// Its name and directory.
    pub config: ExExConfig,
    /// Canonical-chain notifications.
    pub notifications: ExExNotifications,
    /// Where it reports [`ExExEvent::FinishedHeight`].
    pub events: mpsc::UnboundedSender<ExExEvent>,
    /// Node parts.
    pub components: NodeComponents,
}
