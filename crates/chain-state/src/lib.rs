//! The canonical chain as the rest of the node sees it change: [`Chain`] (a run of committed
//! blocks with their senders, receipts and state changes), [`CanonStateNotification`] (one per
//! change of the canonical chain: committed, reverted, reorged) and the [`CanonStateNotifier`]
//! the block commit path sends them through.
//!
//! Owns the notification types and their delivery guarantees. It must not build, execute or
//! store blocks (the builder and storage do), nor know who listens: RPC, pool upkeep and the
//! ExEx manager are all just subscribers.
//!
//! Delivery: a [`CanonStateNotifier::subscribe`] subscriber gets every notification, in order;
//! when its bounded queue is full, the sender waits, so a slow subscriber slows block production
//! instead of losing blocks. [`CanonStateNotifier::subscribe_lossy`] is for fan-out to clients
//! the node does not wait for (WebSocket subscriptions): such a receiver learns that it lagged
//! (`Lagged`) and must say so to its client, never skip silently.

mod chain;
mod notifier;

pub use chain::{BlockNumHash, CanonStateNotification, Chain, OpBlock, reth_block};
pub use notifier::{CanonStateNotifications, CanonStateNotifier};
