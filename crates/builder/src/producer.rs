//! The sequencer's block loop: on every tick it asks its [`PayloadSource`] what to do — build a
//! block from payload attributes (and the pool's best transactions), or unwind the head — does
//! it, settles the pool and announces the change of the canonical chain. A library function, so
//! it runs in tests without a process and the binary only wires it.

use std::{collections::HashSet, future::Future, sync::Arc, time::Duration};

use agnt2_chain_state::{CanonStateNotification, CanonStateNotifier, Chain};
use agnt2_storage::CommittedBlock;
use agnt2_txpool::{BlockInfo, Pool};
use alloy::consensus::Header;

use crate::{BlockBuilder, BuildError, BuiltBlock, PayloadAttributes, pool_candidates};

/// What the loop does next.
#[derive(Debug, Clone)]
pub enum SequencerAction {
    /// Build the block these attributes describe.
    Build(Box<PayloadAttributes>),
    /// Remove the blocks above this number (their L1 origin is gone), then ask again.
    Unwind(u64),
    /// Nothing this tick (e.g. the L1 origin would drift too far ahead of what is known).
    Wait,
}

/// Decides each block's attributes: synthetic ones for `--dev`, derived from L1 for a rollup.
pub trait PayloadSource: Send {
    /// What to do on top of `head` (its header) at wall-clock second `now`.
    fn next_action(
        &mut self,
        head: &Header,
        now: u64,
    ) -> impl Future<Output = Result<SequencerAction, BuildError>> + Send;
}

/// `--dev`: every tick builds a block at the current time on a synthetic L1 origin.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevPayloads;

impl PayloadSource for DevPayloads {
    async fn next_action(
        &mut self,
        _head: &Header,
        now: u64,
    ) -> Result<SequencerAction, BuildError> {
        Ok(SequencerAction::Build(Box::new(PayloadAttributes::at(now))))
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs `source`'s actions every `interval` until one fails (a storage error or a forced
/// transaction that cannot be included: the node must stop) or the task is dropped. Missed
/// ticks are delayed, not bunched, so a slow block does not cause a burst of empty ones; a
/// subscriber that does not keep up with the notifications delays the next tick the same way.
pub async fn produce_blocks<S: PayloadSource>(
    builder: BlockBuilder,
    pool: Arc<Pool>,
    notifier: CanonStateNotifier,
    mut source: S,
    interval: Duration,
) -> Result<(), BuildError> {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    // A chain behind the wall clock (derived blocks after a restart) builds without waiting.
    let mut behind = false;
    loop {
        if !behind {
            ticker.tick().await;
        }
        behind = false;
        let head = head_header(&builder)?;
        let now = now_secs();
        match source.next_action(&head, now).await? {
            SequencerAction::Build(attrs) => {
                behind = attrs.strict_timestamp && attrs.timestamp < now;
                let built = build_one(builder.clone(), pool.clone(), *attrs).await?;
                let new = Arc::new(Chain::from_block(built.committed()));
                notifier
                    .notify(CanonStateNotification::ChainCommitted { new })
                    .await;
            }
            SequencerAction::Unwind(target) => {
                behind = true;
                let removed = unwind(builder.clone(), pool.clone(), target).await?;
                if let Some(old) = Chain::new(removed) {
                    notifier
                        .notify(CanonStateNotification::ChainReverted { old: Arc::new(old) })
                        .await;
                }
            }
            SequencerAction::Wait => {}
        }
    }
}

fn head_header(builder: &BlockBuilder) -> Result<Header, BuildError> {
    let db = builder.database();
    let (number, _) = db.head()?.ok_or(BuildError::NoHead)?;
    db.header(number)?.ok_or(BuildError::NoHead)
}

/// Builds and commits the block `attrs` describe, from the pool unless they say otherwise, on
/// a blocking thread; then settles the pool.
pub async fn build_one(
    builder: BlockBuilder,
    pool: Arc<Pool>,
    attrs: PayloadAttributes,
) -> Result<BuiltBlock, BuildError> {
    tokio::task::spawn_blocking(move || -> Result<BuiltBlock, BuildError> {
        let candidates = match (&attrs.batch, attrs.no_tx_pool) {
            (Some(batch), _) => batch.clone(),
            (None, true) => Vec::new(),
            (None, false) => pool_candidates(&builder, &pool, attrs.timestamp)?,
        };
        // Learn the access sets of contract calls not seen before (parallel builder only).
        builder.speculate(&candidates)?;
        let (built, invalid) = builder.build_payload(&attrs, candidates)?;
        for h in invalid {
            pool.remove(&h);
        }
        pool.on_block(builder.sender_states(&built.block)?);
        Ok(built)
    })
    .await
    .map_err(|e| BuildError::Task(e.to_string()))?
}

/// Unwinds the head to `target` and offers the removed blocks' pool transactions to the pool
/// again (they were accepted once; an L1 reorg is no reason to lose them). Deposits are not
/// offered: derivation brings back the ones whose L1 blocks are still there.
pub async fn unwind(
    builder: BlockBuilder,
    pool: Arc<Pool>,
    target: u64,
) -> Result<Vec<CommittedBlock>, BuildError> {
    tokio::task::spawn_blocking(move || -> Result<Vec<CommittedBlock>, BuildError> {
        let removed = builder.unwind_to(target)?;
        let senders: HashSet<_> = removed
            .iter()
            .flat_map(|b| b.block.transactions.iter())
            .filter(|t| !t.is_deposit())
            .map(|t| t.signer)
            .collect();
        let states: std::collections::HashMap<_, _> =
            builder.sender_states_of(senders)?.into_iter().collect();
        pool.on_unwind(states.iter().map(|(a, s)| (*a, *s)));
        let (next, _) = builder.next_block_env(now_secs())?;
        let info = BlockInfo {
            base_fee: next.base_fee,
            gas_limit: builder.max_tx_gas(),
        };
        let mut offered = 0usize;
        for tx in removed
            .iter()
            .flat_map(|b| b.block.transactions.iter())
            .filter(|t| !t.is_deposit())
        {
            let Some(state) = states.get(&tx.signer) else {
                continue;
            };
            // The pool may refuse one now (e.g. it was replaced meanwhile): that is its call.
            if pool.add(tx.clone(), *state, info).is_ok() {
                offered += 1;
            }
        }
        tracing::info!(
            target,
            blocks = removed.len(),
            reinjected = offered,
            "unwound the chain"
        );
        Ok(removed)
    })
    .await
    .map_err(|e| BuildError::Task(e.to_string()))?
}
