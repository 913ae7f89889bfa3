//! Execution extensions (ExEx): plugins that follow the canonical chain inside the node —
//! reth's ExEx API, our implementation. A plugin is installed by name with an init function
//! that receives an [`ExExContext`] (`head`, `config`, `notifications`, `events`,
//! `components`) and returns the plugin's future; it reads [`ExExNotification`]s
//! (`ChainCommitted`, `ChainReorged`, `ChainReverted`) and reports
//! [`ExExEvent::FinishedHeight`] once it has durably processed a block.
//!
//! Owns the plugins' delivery: the [`manager`] takes every canonical-chain notification from
//! the node (a lossless subscription, so a slow plugin holds block production back instead of
//! losing notifications), writes it to a write-ahead log under the datadir ([`wal`]) and hands
//! it to every plugin. A plugin that restarts is replayed what the log holds above its
//! finished height; blocks the node committed but the log missed (a crash between the two)
//! are backfilled from storage. It must not build blocks or decide what is canonical.
//!
//! Porting a reth ExEx: the context, notification and event shapes are reth's. Blocks travel as
//! our [`agnt2_storage::CommittedBlock`] (sealed block with senders and each transaction's
//! encoding, receipts, state changes); [`Chain::reth_blocks`] hands the same blocks over as
//! reth's own `RecoveredBlock`s (`reth-primitives-traits` 0.3, on our alloy and revm), so code
//! written against reth's block types runs with renamed imports.

mod context;
pub mod manager;
mod notification;
pub mod wal;

pub use context::{ExExConfig, ExExContext, ExExNotifications, NodeComponents};
pub use manager::{BoxError, ExExError, ExExManagerBuilder, ExExManagerHandle};
pub use notification::{ExExEvent, ExExNotification};

pub use agnt2_chain_state::{BlockNumHash, Chain};
