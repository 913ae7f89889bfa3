//! Delivery of canonical-chain notifications: lossless subscribers with backpressure, and
//! lossy ones that are told when they lag.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};

use crate::CanonStateNotification;

/// The sending side, held by the block commit path. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CanonStateNotifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    lossless: Mutex<Vec<mpsc::Sender<CanonStateNotification>>>,
    lossy: broadcast::Sender<CanonStateNotification>,
}

impl Default for CanonStateNotifier {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl CanonStateNotifier {
    /// A notifier whose lossy receivers may fall `lossy_capacity` notifications behind.
    pub fn new(lossy_capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                lossless: Mutex::default(),
                lossy: broadcast::channel(lossy_capacity.max(1)).0,
            }),
        }
    }

    /// A subscriber that receives every notification from now on, in order. Its queue holds
    /// `capacity`; while it is full, [`CanonStateNotifier::notify`] waits.
    pub fn subscribe(&self, capacity: usize) -> CanonStateNotifications {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.inner.lossless.lock().push(tx);
        CanonStateNotifications { rx }
    }

    /// A receiver the notifier never waits for: when it falls behind it gets `Lagged` and
    /// must handle it (re-read from storage, or tell its client).
    pub fn subscribe_lossy(&self) -> broadcast::Receiver<CanonStateNotification> {
        self.inner.lossy.subscribe()
    }

    /// Delivers `notification` to every subscriber, waiting for room in each lossless queue
    /// (backpressure). Subscribers that were dropped are forgotten.
    pub async fn notify(&self, notification: CanonStateNotification) {
        let senders: Vec<_> = self.inner.lossless.lock().clone();
        let mut closed = false;
        for tx in &senders {
            if tx.capacity() == 0 {
                metrics::counter!("agnt2_canon_notify_waits_total").increment(1);
            }
            closed |= tx.send(notification.clone()).await.is_err();
        }
        if closed {
            self.inner.lossless.lock().retain(|tx| !tx.is_closed());
        }
        let _ = self.inner.lossy.send(notification);
    }

    /// Number of live lossless subscribers.
    pub fn subscribers(&self) -> usize {
        self.inner
            .lossless
            .lock()
            .iter()
            .filter(|t| !t.is_closed())
            .count()
    }
}

/// A lossless subscription: every notification since it was made, in order.
#[derive(Debug)]
pub struct CanonStateNotifications {
    rx: mpsc::Receiver<CanonStateNotification>,
}

impl CanonStateNotifications {
    /// The next notification; `None` once the notifier is gone.
    pub async fn recv(&mut self) -> Option<CanonStateNotification> {
        self.rx.recv().await
    }
}

impl futures::Stream for CanonStateNotifications {
    type Item = CanonStateNotification;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agnt2_primitives::SealedBlock;
    use agnt2_storage::CommittedBlock;
    use alloy_primitives::B256;

    use super::*;
    use crate::Chain;

    fn committed(number: u64) -> CanonStateNotification {
        let block = SealedBlock {
            header: alloy::consensus::Header {
                number,
                ..Default::default()
            },
            hash: B256::with_last_byte(number as u8),
            transactions: Vec::new(),
        };
        CanonStateNotification::ChainCommitted {
            new: Arc::new(Chain::from_block(CommittedBlock {
                block: Arc::new(block),
                receipts: Arc::default(),
                changes: Arc::default(),
            })),
        }
    }

    #[tokio::test]
    async fn a_full_subscriber_holds_the_sender_back_and_loses_nothing() {
        let notifier = CanonStateNotifier::new(1);
        let mut slow = notifier.subscribe(2);
        let mut lossy = notifier.subscribe_lossy();
        notifier.notify(committed(1)).await;
        notifier.notify(committed(2)).await;
        // The third waits until the subscriber reads.
        let n2 = notifier.clone();
        let third = tokio::spawn(async move { n2.notify(committed(3)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "the sender must wait for room");
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(slow.recv().await.expect("open").tip().number);
        }
        third.await.expect("sent");
        assert_eq!(seen, [1, 2, 3]);
        // The lossy receiver was not waited for, and learns it lagged.
        assert!(matches!(
            lossy.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
    }

    #[tokio::test]
    async fn dropped_subscribers_are_forgotten() {
        let notifier = CanonStateNotifier::default();
        let a = notifier.subscribe(1);
        let mut b = notifier.subscribe(4);
        drop(a);
        notifier.notify(committed(1)).await;
        notifier.notify(committed(2)).await;
        assert_eq!(notifier.subscribers(), 1);
        assert_eq!(b.recv().await.map(|n| n.tip().number), Some(1));
    }
}
