//! op-node's `optimism_` namespace, served beside `eth_` by every rollup node so OP tooling can
//! ask it what it would ask op-node: `optimism_outputAtBlock` (the output root a proposal for
//! a block must carry, to compare against a game's claim) and `optimism_syncStatus` (the L1
//! and L2 heads), with op-node's JSON shapes; plus `optimism_rollupConfig` and
//! `optimism_version`.

use std::sync::Arc;

use agnt2_storage::Database;
use alloy_primitives::{B256, U64};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::{RollupConfig, l1info::origin_of, output::output_root_of, view::L1View};

/// How far this node has read L1 (`None`: the view's head).
pub type L1Progress = Arc<dyn Fn() -> Option<u64> + Send + Sync>;

fn err(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32000, msg.into(), None::<()>)
}

/// An L2 block as op-node's `L2BlockRef`.
fn l2_ref(config: &RollupConfig, db: &Database, n: u64) -> Result<Value, ErrorObjectOwned> {
    let header = db
        .header(n)
        .map_err(|e| err(e.to_string()))?
        .ok_or_else(|| err(format!("L2 block {n} not found")))?;
    let origin = if n == config.genesis_l2.number {
        Some((config.genesis_l1.hash, config.genesis_l1.number, 0))
    } else {
        db.first_transaction(n)
            .map_err(|e| err(e.to_string()))?
            .as_ref()
            .and_then(origin_of)
            .map(|o| (o.hash, o.number, o.sequence_number))
    };
    let (l1_hash, l1_number, seq) = origin.unwrap_or_default();
    Ok(json!({
        "hash": header.hash_slow(),
        "number": header.number,
        "parentHash": header.parent_hash,
        "timestamp": header.timestamp,
        "l1origin": { "hash": l1_hash, "number": l1_number },
        "sequenceNumber": seq,
    }))
}

/// An L1 block as op-node's `L1BlockRef` (zero when the view does not hold it).
fn l1_ref(view: &L1View, n: u64) -> Value {
    match view.get(n) {
        Some(b) => json!({
            "hash": b.hash,
            "number": b.number,
            "parentHash": b.parent_hash,
            "timestamp": b.timestamp,
        }),
        None => json!({
            "hash": B256::ZERO,
            "number": n,
            "parentHash": B256::ZERO,
            "timestamp": 0,
        }),
    }
}

fn sync_status(
    config: &RollupConfig,
    db: &Database,
    view: &Mutex<L1View>,
    progress: &L1Progress,
) -> Result<Value, ErrorObjectOwned> {
    let e = |e: agnt2_storage::StorageError| err(e.to_string());
    let head = db.head().map_err(e)?.map_or(0, |(n, _)| n);
    let safe = db.safe().map_err(e)?.unwrap_or(0).min(head);
    let finalized = db.finalized().map_err(e)?.unwrap_or(0).min(safe);
    let view = view.lock();
    let l1_head = view.head().map_or(0, |b| b.number);
    let current = progress().unwrap_or(l1_head);
    let unsafe_l2 = l2_ref(config, db, head)?;
    let safe_l2 = l2_ref(config, db, safe)?;
    Ok(json!({
        "current_l1": l1_ref(&view, current),
        "current_l1_finalized": l1_ref(&view, view.finalized),
        "head_l1": l1_ref(&view, l1_head),
        "safe_l1": l1_ref(&view, view.safe),
        "finalized_l1": l1_ref(&view, view.finalized),
        "unsafe_l2": unsafe_l2,
        "safe_l2": safe_l2,
        "finalized_l2": l2_ref(config, db, finalized)?,
        "pending_safe_l2": safe_l2,
        "cross_unsafe_l2": unsafe_l2,
        "local_safe_l2": safe_l2,
    }))
}

/// The namespace's methods.
pub fn optimism_module(
    config: Arc<RollupConfig>,
    rollup_json: Value,
    db: Database,
    view: Arc<Mutex<L1View>>,
    progress: L1Progress,
) -> RpcModule<()> {
    let mut m = RpcModule::new(());
    let (c, d, v, p) = (config.clone(), db, view.clone(), progress.clone());
    // Registration only fails on a duplicate name, which this fixed list does not have.
    let _ = m.register_method("optimism_syncStatus", move |_, _, _| {
        sync_status(&c, &d, &v, &p)
    });
    let (c, d, v, p) = (config, db, view, progress);
    let _ = m.register_method("optimism_outputAtBlock", move |params, _, _| {
        let (n,): (U64,) = params
            .parse()
            .map_err(|e| ErrorObjectOwned::owned(-32602, e.to_string(), None::<()>))?;
        let n = n.to::<u64>();
        let header = d
            .header(n)
            .map_err(|e| err(e.to_string()))?
            .ok_or_else(|| err(format!("L2 block {n} not found")))?;
        let hash = header.hash_slow();
        Ok::<_, ErrorObjectOwned>(json!({
            "version": B256::ZERO,
            "outputRoot": output_root_of(&header, hash),
            "blockRef": l2_ref(&c, &d, n)?,
            "withdrawalStorageRoot": header.withdrawals_root.unwrap_or_default(),
            "stateRoot": header.state_root,
            "syncStatus": sync_status(&c, &d, &v, &p)?,
        }))
    });
    let _ = m.register_method("optimism_rollupConfig", move |_, _, _| rollup_json.clone());
    let _ = m.register_method("optimism_version", |_, _, _| {
        format!("agnt2/v{}", env!("CARGO_PKG_VERSION"))
    });
    m
}
