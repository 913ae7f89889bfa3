//! Logs, polling filters and WebSocket subscriptions.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use agnt2_chain_state::{CanonStateNotification, CanonStateNotifications};
use alloy::rpc::types::{Filter, FilterBlockOption, Log as RpcLog};
use alloy_primitives::{B256, Bloom, BloomInput, U256};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule, SubscriptionMessage,
    core::{RpcResult, SubscriptionError},
    types::ErrorObject,
};
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::{
    RpcContext,
    convert::{TxPosition, first_log_index, rpc_block, rpc_logs},
    errors::{internal, invalid_params, server_error},
    eth::position,
};

#[derive(Debug)]
enum Kind {
    Blocks { next: u64 },
    Logs { filter: Box<Filter>, next: u64 },
    Pending { rx: broadcast::Receiver<B256> },
}

#[derive(Debug)]
struct Installed {
    kind: Kind,
    last_poll: Instant,
}

/// Installed polling filters.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    next_id: u64,
    map: HashMap<U256, Installed>,
}

impl Filters {
    /// Installs `kind`, or refuses when `max` filters are live.
    fn install(&mut self, kind: Kind, max: usize, ttl: Duration) -> RpcResult<U256> {
        if self.map.len() >= max {
            self.sweep(ttl);
            if self.map.len() >= max {
                return Err(server_error(format!(
                    "too many filters installed (limit {max}): uninstall unused ones"
                )));
            }
        }
        self.next_id += 1;
        // Ids are unguessable-looking but unique: counter mixed with the process start.
        let id = U256::from(self.next_id) | (U256::from(std::process::id()) << 64);
        self.map.insert(
            id,
            Installed {
                kind,
                last_poll: Instant::now(),
            },
        );
        metrics::gauge!("agnt2_rpc_filters").set(self.map.len() as f64);
        Ok(id)
    }

    /// Drops filters not polled within `ttl` (geth: 5 minutes).
    pub(crate) fn sweep(&mut self, ttl: Duration) {
        self.map.retain(|_, f| f.last_poll.elapsed() < ttl);
        metrics::gauge!("agnt2_rpc_filters").set(self.map.len() as f64);
    }
}

/// Rewinds polling filters past a revert: a filter whose next block was above the fork point
/// reports the new chain's blocks (and logs) from the fork on at its next poll.
pub(crate) fn spawn_rewinder(ctx: std::sync::Weak<RpcContext>, mut chain: CanonStateNotifications) {
    tokio::spawn(async move {
        while let Some(n) = chain.recv().await {
            let Some(old) = n.reverted_chain() else {
                continue;
            };
            let Some(ctx) = ctx.upgrade() else { break };
            let first = *old.range().start();
            for f in ctx.filters.lock().map.values_mut() {
                match &mut f.kind {
                    Kind::Blocks { next } | Kind::Logs { next, .. } => *next = (*next).min(first),
                    Kind::Pending { .. } => {}
                }
            }
        }
    });
}

/// Sweeps expired filters on a timer, so they go even when nobody installs another.
pub(crate) fn spawn_sweeper(ctx: std::sync::Weak<RpcContext>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let Some(ctx) = ctx.upgrade() else { break };
            ctx.filters.lock().sweep(ctx.config.filter_timeout);
        }
    });
}

/// A log filter checked against the limits and with its bloom inputs hashed once, not once
/// per block.
struct Matcher {
    addresses: Vec<Bloom>,
    topics: Vec<Vec<Bloom>>,
}

impl Matcher {
    fn new(ctx: &RpcContext, filter: &Filter) -> RpcResult<Self> {
        check_filter(ctx, filter)?;
        let bloom = |input: &[u8]| {
            let mut b = Bloom::ZERO;
            b.accrue(BloomInput::Raw(input));
            b
        };
        Ok(Self {
            addresses: filter.address.iter().map(|a| bloom(a.as_slice())).collect(),
            topics: filter
                .topics
                .iter()
                .map(|t| t.iter().map(|h| bloom(h.as_slice())).collect())
                .collect(),
        })
    }

    /// Whether a block with `bloom` may hold a matching log.
    fn may_match(&self, bloom: &Bloom) -> bool {
        let any = |set: &[Bloom]| set.is_empty() || set.iter().any(|b| bloom.contains(b));
        any(&self.addresses) && self.topics.iter().all(|t| any(t))
    }
}

/// Refuses filters past the address and topic limits (geth's).
pub(crate) fn check_filter(ctx: &RpcContext, filter: &Filter) -> RpcResult<()> {
    let max = ctx.config.max_filter_addresses;
    if filter.address.len() > max {
        return Err(invalid_params(format!(
            "too many addresses in filter: {} (limit {max})",
            filter.address.len()
        )));
    }
    let max = ctx.config.max_filter_topics;
    if filter.topics.iter().any(|t| t.len() > max) {
        return Err(invalid_params(format!(
            "too many topics in one filter position (limit {max})"
        )));
    }
    Ok(())
}

/// Logs of blocks `from..=to` matching `filter`, refused (before more are gathered) once
/// there are more than `--rpc.max-logs-per-response`.
fn logs_in_range(ctx: &RpcContext, filter: &Filter, from: u64, to: u64) -> RpcResult<Vec<RpcLog>> {
    let matcher = Matcher::new(ctx, filter)?;
    let max = ctx.config.max_logs_per_response;
    let mut out = Vec::new();
    for n in from..=to {
        let Some(header) = ctx.db.header(n).map_err(internal)? else {
            break;
        };
        if !matcher.may_match(&header.logs_bloom) {
            continue;
        }
        let Some((block, receipts)) = ctx.load_block(n)? else {
            break;
        };
        if !block_logs(&block, &receipts, filter, max - out.len(), &mut out) {
            return Err(server_error(if n > from {
                format!(
                    "query exceeds max results {max}, retry with the range {from}-{}",
                    n - 1
                )
            } else {
                format!("query exceeds max results {max} in block {n}")
            }));
        }
    }
    Ok(out)
}

/// Appends the logs of `block` matching `filter` to `out`; `false` (leaving `out` part-filled)
/// as soon as more than `room` match.
fn block_logs(
    block: &agnt2_primitives::SealedBlock,
    receipts: &[agnt2_primitives::StoredReceipt],
    filter: &Filter,
    room: usize,
    out: &mut Vec<RpcLog>,
) -> bool {
    let mut added = 0;
    for (i, (tx, r)) in block.transactions.iter().zip(receipts).enumerate() {
        if r.receipt.logs().is_empty() {
            continue;
        }
        let pos: TxPosition = position(block, i);
        for log in rpc_logs(r, tx.hash, pos, first_log_index(receipts, i)) {
            if filter.matches(&log.inner) {
                if added == room {
                    return false;
                }
                out.push(log);
                added += 1;
            }
        }
    }
    true
}

/// The block range a filter covers from `from`, refused past `--rpc.max-logs-range`.
fn check_range(ctx: &RpcContext, from: u64, to: u64) -> RpcResult<()> {
    if to - from >= ctx.config.max_logs_range {
        return Err(server_error(format!(
            "query exceeds max block range {}",
            ctx.config.max_logs_range
        )));
    }
    Ok(())
}

fn get_logs(ctx: &RpcContext, filter: &Filter) -> RpcResult<Vec<RpcLog>> {
    let head = ctx.head_number()?;
    match &filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let n = ctx
                .db
                .block_number(hash)
                .map_err(internal)?
                .ok_or_else(|| server_error("unknown block"))?;
            logs_in_range(ctx, filter, n, n)
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let from = match from_block {
                Some(t) => ctx.resolve_tag(*t)?,
                None => head,
            };
            let to = match to_block {
                Some(t) => ctx.resolve_tag(*t)?,
                None => head,
            }
            .min(head);
            if from > to {
                return if from > head {
                    Ok(Vec::new())
                } else {
                    Err(invalid_params("invalid block range params"))
                };
            }
            check_range(ctx, from, to)?;
            logs_in_range(ctx, filter, from, to)
        }
    }
}

fn not_found() -> jsonrpsee::types::ErrorObjectOwned {
    server_error("filter not found")
}

/// Registers logs, filter and subscription methods.
pub(crate) fn register(m: &mut RpcModule<RpcContext>) {
    let reg = |m: &mut RpcModule<RpcContext>,
               name: &'static str,
               f: fn(&RpcContext, jsonrpsee::types::Params<'_>) -> RpcResult<Value>| {
        m.register_blocking_method::<RpcResult<Value>, _>(name, move |p, c, _| f(&c, p))
            .unwrap_or_else(|e| panic!("registering {name}: {e}"));
    };
    reg(m, "eth_getLogs", |c, p| {
        let filter: Filter = p.sequence().next()?;
        Ok(json!(get_logs(c, &filter)?))
    });
    reg(m, "eth_newFilter", |c, p| {
        let filter: Filter = p.sequence().next()?;
        check_filter(c, &filter)?;
        let next = match filter.block_option {
            FilterBlockOption::Range {
                from_block: Some(t),
                ..
            } => c.resolve_tag(t)?,
            _ => c.head_number()? + 1,
        };
        let kind = Kind::Logs {
            filter: Box::new(filter),
            next,
        };
        Ok(json!(c.filters.lock().install(
            kind,
            c.config.max_filters,
            c.config.filter_timeout
        )?))
    });
    reg(m, "eth_newBlockFilter", |c, _p| {
        let next = c.head_number()? + 1;
        Ok(json!(c.filters.lock().install(
            Kind::Blocks { next },
            c.config.max_filters,
            c.config.filter_timeout
        )?))
    });
    reg(m, "eth_newPendingTransactionFilter", |c, _p| {
        let rx = c.pool.subscribe();
        Ok(json!(c.filters.lock().install(
            Kind::Pending { rx },
            c.config.max_filters,
            c.config.filter_timeout
        )?))
    });
    reg(m, "eth_uninstallFilter", |c, p| {
        let id: U256 = p.sequence().next()?;
        Ok(json!(c.filters.lock().map.remove(&id).is_some()))
    });
    reg(m, "eth_getFilterChanges", |c, p| {
        let id: U256 = p.sequence().next()?;
        let head = c.head_number()?;
        // Take what is needed under the lock, read storage outside it.
        let job = {
            let mut filters = c.filters.lock();
            let f = filters.map.get_mut(&id).ok_or_else(not_found)?;
            f.last_poll = Instant::now();
            match &mut f.kind {
                Kind::Pending { rx } => {
                    let mut hashes = Vec::new();
                    loop {
                        match rx.try_recv() {
                            Ok(h) => hashes.push(h),
                            Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    return Ok(json!(hashes));
                }
                Kind::Blocks { next } => {
                    let from = *next;
                    *next = head + 1;
                    (None, from)
                }
                Kind::Logs { filter, next } => {
                    let from = *next;
                    *next = head + 1;
                    (Some(filter.clone()), from)
                }
            }
        };
        match job {
            (None, from) => {
                let mut hashes = Vec::new();
                for n in from..=head {
                    if let Some(h) = c.db.block_hash(n).map_err(internal)? {
                        hashes.push(h);
                    }
                }
                Ok(json!(hashes))
            }
            (Some(filter), from) => {
                let to = match filter.block_option {
                    FilterBlockOption::Range {
                        to_block: Some(t), ..
                    } => c.resolve_tag(t)?.min(head),
                    _ => head,
                };
                if from > to {
                    return Ok(json!([]));
                }
                check_range(c, from, to)?;
                Ok(json!(logs_in_range(c, &filter, from, to)?))
            }
        }
    });
    reg(m, "eth_getFilterLogs", |c, p| {
        let id: U256 = p.sequence().next()?;
        let filter = {
            let mut filters = c.filters.lock();
            let f = filters.map.get_mut(&id).ok_or_else(not_found)?;
            f.last_poll = Instant::now();
            match &f.kind {
                Kind::Logs { filter, .. } => filter.clone(),
                _ => return Err(not_found()),
            }
        };
        Ok(json!(get_logs(c, &filter)?))
    });

    m.register_subscription::<Result<(), SubscriptionError>, _, _>(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, ctx, _| async move { subscribe(params, pending, ctx).await },
    )
    .unwrap_or_else(|e| panic!("registering eth_subscribe: {e}"));
}

async fn subscribe(
    params: jsonrpsee::types::Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<RpcContext>,
) -> Result<(), SubscriptionError> {
    let mut seq = params.sequence();
    let kind: String = match seq.next() {
        Ok(k) => k,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    match kind.as_str() {
        "newHeads" => {
            forward_chain(pending, ctx.chain.subscribe_lossy(), |n| {
                let Some(new) = n.committed_chain() else {
                    return Ok(Vec::new());
                };
                new.blocks()
                    .iter()
                    .map(|b| {
                        serde_json::value::to_raw_value(&rpc_block(&b.block, None, false).header)
                    })
                    .collect()
            })
            .await
        }
        "logs" => {
            let filter: Filter = match seq.optional_next() {
                Ok(f) => f.unwrap_or_default(),
                Err(e) => {
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            if let Err(e) = check_filter(&ctx, &filter) {
                pending.reject(e).await;
                return Ok(());
            }
            forward_chain(pending, ctx.chain.subscribe_lossy(), move |n| {
                // Logs of blocks that left the chain first, marked removed (geth's rule), then
                // the new ones.
                let mut logs = Vec::new();
                if let Some(old) = n.reverted_chain() {
                    for b in old.blocks().iter().rev() {
                        let from = logs.len();
                        block_logs(&b.block, &b.receipts, &filter, usize::MAX, &mut logs);
                        for l in &mut logs[from..] {
                            l.removed = true;
                        }
                    }
                }
                if let Some(new) = n.committed_chain() {
                    for b in new.blocks() {
                        block_logs(&b.block, &b.receipts, &filter, usize::MAX, &mut logs);
                    }
                }
                logs.iter().map(serde_json::value::to_raw_value).collect()
            })
            .await
        }
        "newPendingTransactions" => {
            forward(pending, ctx.pool.subscribe(), false, |h| {
                Ok(vec![serde_json::value::to_raw_value(&h)?])
            })
            .await
        }
        other => {
            pending
                .reject(ErrorObject::owned(
                    -32602,
                    format!("unsupported subscription type: {other}"),
                    None::<()>,
                ))
                .await;
            Ok(())
        }
    }
}

/// [`forward`] for canonical-chain notifications: a lagging subscriber is dropped with an
/// error, never silently skipped past blocks.
async fn forward_chain(
    pending: PendingSubscriptionSink,
    rx: broadcast::Receiver<CanonStateNotification>,
    render: impl FnMut(
        CanonStateNotification,
    ) -> Result<Vec<Box<serde_json::value::RawValue>>, serde_json::Error>,
) -> Result<(), SubscriptionError> {
    forward(pending, rx, true, render).await
}

/// How long a notification may wait for room in a subscriber's queue (jsonrpsee's per-connection
/// message buffer) before the subscriber is dropped.
const SUBSCRIBER_SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// Accepts the subscription and forwards every item of `rx`, rendered by `render`, until the
/// client goes away. A subscriber that does not read is dropped once its queue stays full for
/// [`SUBSCRIBER_SEND_TIMEOUT`], so it holds at most its queue and the blocks of that wait, not
/// every block since it stopped reading.
async fn forward<T: Clone>(
    pending: PendingSubscriptionSink,
    mut rx: broadcast::Receiver<T>,
    lag_is_fatal: bool,
    mut render: impl FnMut(T) -> Result<Vec<Box<serde_json::value::RawValue>>, serde_json::Error>,
) -> Result<(), SubscriptionError> {
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => break,
            msg = rx.recv() => match msg {
                Ok(item) => {
                    for raw in render(item)? {
                        match sink
                            .send_timeout(SubscriptionMessage::from(raw), SUBSCRIBER_SEND_TIMEOUT)
                            .await
                        {
                            Ok(()) => {}
                            Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => {
                                metrics::counter!("agnt2_rpc_slow_subscribers_dropped_total")
                                    .increment(1);
                                tracing::debug!("dropping a subscriber that stopped reading");
                                return Err("subscriber too slow: its queue stayed full".into());
                            }
                            Err(_) => return Ok(()),
                        }
                    }
                }
                // A chain subscriber that missed notifications is told so and dropped (it
                // re-subscribes and reads the gap with eth_getLogs / eth_getBlockByNumber); a
                // pending-transaction feed is best effort, as in geth.
                Err(RecvError::Lagged(n)) if lag_is_fatal => {
                    metrics::counter!("agnt2_rpc_lagged_subscribers_dropped_total").increment(1);
                    return Err(format!("subscriber lagged {n} notifications behind; resubscribe").into());
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    }
    Ok(())
}
