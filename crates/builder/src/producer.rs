//! The sequencer's block loop: a block every interval from the pool's best transactions, the
//! pool told what the block mined, and the sealed block announced. A library function, so it
//! runs in tests without a process and the binary only wires it.

use std::{sync::Arc, time::Duration};

use agnt2_txpool::Pool;
use tokio::sync::broadcast;

use crate::{BlockBuilder, BuildError, BuiltBlock, pool_candidates};

/// Seals a block every `interval` until building fails (a storage error: the node must stop)
/// or the task is dropped. Missed ticks are delayed, not bunched, so a slow block does not
/// cause a burst of empty ones.
pub async fn produce_blocks(
    builder: BlockBuilder,
    pool: Arc<Pool>,
    blocks: broadcast::Sender<BuiltBlock>,
    interval: Duration,
) -> Result<(), BuildError> {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let built = build_one(builder.clone(), pool.clone()).await?;
        let _ = blocks.send(built);
    }
}

/// Builds and commits the next block from the pool on a blocking thread, then settles the pool.
pub async fn build_one(builder: BlockBuilder, pool: Arc<Pool>) -> Result<BuiltBlock, BuildError> {
    tokio::task::spawn_blocking(move || -> Result<BuiltBlock, BuildError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let candidates = pool_candidates(&builder, &pool, now)?;
        // Learn the access sets of contract calls not seen before (parallel builder only).
        builder.speculate(&candidates)?;
        let (built, invalid) = builder.build(now, None, candidates)?;
        for h in invalid {
            pool.remove(&h);
        }
        pool.on_block(builder.sender_states(&built.block)?);
        Ok(built)
    })
    .await
    .map_err(|e| BuildError::Task(e.to_string()))?
}
