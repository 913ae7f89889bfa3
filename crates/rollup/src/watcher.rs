//! The L1 watcher: polls an L1 JSON-RPC endpoint for new heads, reads each new block's portal
//! deposits and the batcher data the BatchInbox accepted (calldata, or blobs fetched from the
//! L1 node), and keeps the [`L1View`] canonical through reorgs (a block whose parent is not
//! the known block below it, or a known height whose hash changed, drops the known tail and
//! re-reads it). An L1 endpoint that goes away is retried every poll; the view just stops
//! growing, and the sequencer carries on within its drift.

use std::{collections::HashMap, sync::Arc, time::Duration};

use alloy::rpc::types::{Block, Log};
use alloy_primitives::{Address, B256, Bytes, U64};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use parking_lot::Mutex;

use crate::{
    TRANSACTION_DEPOSITED,
    batch::data_from_blob,
    blobs::BeaconBlobs,
    channel::BatcherTx,
    decode_deposit,
    view::{L1Block, L1View},
};

alloy_sol_types::sol! {
    /// The BatchInbox's record of an accepted batcher transaction.
    event BatchCommitted(address indexed batcher, bytes32[] commitments, bool blob);
}

/// The L1 contracts whose logs the watcher reads.
#[derive(Debug, Clone, Copy)]
pub struct L1Contracts {
    /// The OptimismPortal (deposits).
    pub portal: Address,
    /// The BatchInbox (`None`: batches are not read).
    pub inbox: Option<Address>,
}

/// L1 access failures.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The request failed (transport or JSON-RPC error).
    #[error("L1 RPC: {0}")]
    Rpc(#[from] jsonrpsee::core::client::Error),
    /// The endpoint answered without the block asked for.
    #[error("L1 RPC has no block {0}")]
    MissingBlock(String),
    /// A portal log did not decode as a deposit.
    #[error("L1 block {block}: bad deposit log: {source}")]
    Deposit {
        /// L1 block number.
        block: u64,
        /// Why.
        source: crate::DepositError,
    },
    /// The L1 node does not serve a blob a batch names.
    #[error("L1 node has no blob {0}")]
    MissingBlob(B256),
    /// The beacon API failed or answered something else.
    #[error("beacon API: {0}")]
    Beacon(String),
    /// Block `0`'s data cannot be read before its child exists (its blobs are named by the
    /// child's beacon root); read it next round.
    #[error("L1 block {0} is read once its child exists")]
    NotYet(u64),
}

/// A minimal L1 JSON-RPC client (what derivation reads).
#[derive(Debug, Clone)]
pub struct L1Client {
    http: HttpClient,
    beacon: Option<BeaconBlobs>,
}

impl L1Client {
    /// A client for `url` with a per-request timeout.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, L1Error> {
        Ok(Self {
            http: HttpClientBuilder::default()
                .request_timeout(timeout)
                .build(url)?,
            beacon: None,
        })
    }

    /// Reads blobs from a beacon node instead of the L1 node's `anvil_getBlobByHash`.
    pub fn with_beacon(mut self, beacon: BeaconBlobs) -> Self {
        self.beacon = Some(beacon);
        self
    }

    /// The underlying client, for calls derivation does not make.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A block header by tag or hex number (`"latest"`, `"safe"`, `"finalized"`, `"0x10"`).
    pub async fn block(&self, id: &str) -> Result<Block, L1Error> {
        let block: Option<Block> = self
            .http
            .request("eth_getBlockByNumber", rpc_params![id, false])
            .await?;
        block.ok_or_else(|| L1Error::MissingBlock(id.to_owned()))
    }

    /// The head block number.
    pub async fn block_number(&self) -> Result<u64, L1Error> {
        let n: U64 = self.http.request("eth_blockNumber", rpc_params![]).await?;
        Ok(n.to())
    }

    /// The L1 chain id.
    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        let n: U64 = self.http.request("eth_chainId", rpc_params![]).await?;
        Ok(n.to())
    }

    /// `TransactionDeposited` logs of `portal` in the block `hash`.
    pub async fn deposit_logs(&self, portal: Address, hash: B256) -> Result<Vec<Log>, L1Error> {
        let filter = serde_json::json!({
            "blockHash": hash,
            "address": portal,
            "topics": [TRANSACTION_DEPOSITED],
        });
        Ok(self
            .http
            .request("eth_getLogs", rpc_params![filter])
            .await?)
    }

    /// A blob by its versioned hash, from the L1 node (anvil serves them; a node that does
    /// not answers with an error, and the watcher retries).
    pub async fn blob(&self, versioned_hash: B256) -> Result<Bytes, L1Error> {
        let blob: Option<Bytes> = self
            .http
            .request("anvil_getBlobByHash", rpc_params![versioned_hash])
            .await?;
        blob.ok_or(L1Error::MissingBlob(versioned_hash))
    }

    /// Whether the L1 node serves blobs by versioned hash (anvil does; geth and most providers
    /// do not, and blobs then have to come from a beacon node).
    pub async fn serves_blobs(&self) -> Result<bool, L1Error> {
        if self.beacon.is_some() {
            return Ok(true);
        }
        match self.blob(B256::ZERO).await {
            Ok(_) | Err(L1Error::MissingBlob(_)) => Ok(true),
            Err(L1Error::Rpc(jsonrpsee::core::client::Error::Call(_))) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The blobs `wanted` of L1 block `number` (`hash`), by versioned hash: from the beacon
    /// node when one is configured, else from the L1 node.
    async fn fetch_blobs(
        &self,
        number: u64,
        hash: B256,
        wanted: &[B256],
    ) -> Result<HashMap<B256, Bytes>, L1Error> {
        let Some(beacon) = &self.beacon else {
            let mut out = HashMap::new();
            for vh in wanted {
                let blob = self.blob(*vh).await?;
                // The node is not trusted for the data: the blob must be the one committed to.
                let hash = {
                    let b = blob.clone();
                    tokio::task::spawn_blocking(move || crate::blobs::versioned_hash(&b))
                        .await
                        .ok()
                        .flatten()
                };
                if hash != Some(*vh) {
                    return Err(L1Error::Beacon(format!(
                        "blob served for {vh} does not match it"
                    )));
                }
                out.insert(*vh, blob);
            }
            return Ok(out);
        };
        let child = match self.block(&format!("{:#x}", number + 1)).await {
            Ok(b) => b,
            Err(L1Error::MissingBlock(_)) => return Err(L1Error::NotYet(number)),
            Err(e) => return Err(e),
        };
        if child.header.parent_hash != hash {
            // Reorged between the reads; the round starts again.
            return Err(L1Error::NotYet(number));
        }
        let id = match child.header.parent_beacon_block_root {
            Some(root) if !root.is_zero() => root.to_string(),
            _ => hash.to_string(),
        };
        let got = beacon.blobs(&id, wanted).await?;
        if let Some(missing) = wanted.iter().find(|vh| !got.contains_key(*vh)) {
            return Err(L1Error::MissingBlob(*missing));
        }
        Ok(got)
    }

    /// The batcher data of the BatchInbox's `BatchCommitted` logs: the calldata of each
    /// transaction sent straight to the inbox, or the payloads of its blobs. A transaction
    /// that reached the inbox through another contract carries no batch of its own and is
    /// skipped. A blob that does not decode leaves its data item empty, which derivation
    /// refuses like any garbled data; a blob that cannot be fetched is an error (retried).
    async fn batcher_txs(
        &self,
        inbox: Address,
        logs: &[Log],
        number: u64,
        block_hash: B256,
    ) -> Result<Vec<BatcherTx>, L1Error> {
        let mut found = Vec::new();
        for log in logs {
            let Ok(ev) = log.log_decode::<BatchCommitted>() else {
                continue;
            };
            let Some(hash) = log.transaction_hash else {
                continue;
            };
            let tx: Option<serde_json::Value> = self
                .http
                .request("eth_getTransactionByHash", rpc_params![hash])
                .await?;
            let Some(tx) = tx else {
                return Err(L1Error::MissingBlock(format!("transaction {hash}")));
            };
            let to: Option<Address> = tx
                .get("to")
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            if to != Some(inbox) {
                continue;
            }
            let input: Bytes = tx
                .get("input")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            found.push((hash, ev.inner.data, input));
        }
        let wanted: Vec<B256> = found
            .iter()
            .filter(|(_, ev, _)| ev.blob)
            .flat_map(|(_, ev, _)| ev.commitments.iter().copied())
            .collect();
        let blobs = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.fetch_blobs(number, block_hash, &wanted).await?
        };
        let mut out = Vec::with_capacity(found.len());
        for (hash, ev, input) in found {
            let data = if ev.blob {
                ev.commitments
                    .iter()
                    .map(|vh| {
                        blobs
                            .get(vh)
                            .and_then(|b| data_from_blob(b).ok())
                            .map(Bytes::from)
                            .unwrap_or_default()
                    })
                    .collect()
            } else {
                if ev.commitments.first() != Some(&alloy_primitives::keccak256(&input)) {
                    continue;
                }
                vec![input]
            };
            out.push(BatcherTx { hash, data });
        }
        Ok(out)
    }

    /// Block `number` with its deposits and batcher data.
    pub async fn l1_block(&self, number: u64, contracts: L1Contracts) -> Result<L1Block, L1Error> {
        let b = self.block(&format!("{number:#x}")).await?;
        let h = &b.header;
        let portal = contracts.portal;
        let mut logs = self.deposit_logs(portal, h.hash).await?;
        logs.sort_by_key(|l| l.log_index);
        let batches = match contracts.inbox {
            Some(inbox) => {
                let filter = serde_json::json!({
                    "blockHash": h.hash,
                    "address": inbox,
                    "topics": [<BatchCommitted as alloy_sol_types::SolEvent>::SIGNATURE_HASH],
                });
                let mut inbox_logs: Vec<Log> = self
                    .http
                    .request("eth_getLogs", rpc_params![filter])
                    .await?;
                inbox_logs.sort_by_key(|l| l.log_index);
                self.batcher_txs(inbox, &inbox_logs, number, h.hash).await?
            }
            None => Vec::new(),
        };
        let deposits = logs
            .iter()
            .map(decode_deposit)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| L1Error::Deposit {
                block: number,
                source,
            })?;
        Ok(L1Block {
            number,
            hash: h.hash,
            parent_hash: h.parent_hash,
            timestamp: h.timestamp,
            base_fee: h.base_fee_per_gas.unwrap_or_default(),
            blob_base_fee: blob_base_fee(h.excess_blob_gas.unwrap_or_default()),
            deposits,
            batches,
        })
    }
}

/// The blob base fee for an excess blob gas under Prague's update fraction (anvil's and
/// Sepolia's schedule since Pectra).
pub fn blob_base_fee(excess_blob_gas: u64) -> u128 {
    alloy::eips::eip7840::BlobParams::prague().calc_blob_fee(excess_blob_gas)
}

/// Follows L1 into `view`.
#[derive(Debug)]
pub struct L1Watcher {
    client: L1Client,
    contracts: L1Contracts,
    view: Arc<Mutex<L1View>>,
    /// The first L1 block to read (the one after the rollup's L1 genesis).
    start: u64,
}

impl L1Watcher {
    /// A watcher reading from `start` on.
    pub fn new(
        client: L1Client,
        contracts: L1Contracts,
        view: Arc<Mutex<L1View>>,
        start: u64,
    ) -> Self {
        Self {
            client,
            contracts,
            view,
            start,
        }
    }

    /// Polls every `interval` until dropped.
    pub async fn run(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            match self.sync_once().await {
                Ok(()) => {
                    if failing {
                        tracing::info!("L1 RPC reachable again");
                    }
                    failing = false;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "L1 RPC unavailable; retrying");
                    }
                    failing = true;
                    metrics::counter!("agnt2_l1_errors_total").increment(1);
                }
            }
        }
    }

    /// One round: checks the known tail against L1 (rewinding past a reorg), then reads new
    /// blocks up to the head, and L1's safe and finalized heads.
    pub async fn sync_once(&self) -> Result<(), L1Error> {
        let head = self.client.block_number().await?;
        // Rewind while the newest known block is not L1's block at that height.
        loop {
            let Some(known) = self.view.lock().head().map(|b| (b.number, b.hash)) else {
                break;
            };
            if known.0 <= head {
                let b = self.client.block(&format!("{:#x}", known.0)).await?;
                if b.header.hash == known.1 {
                    break;
                }
            }
            tracing::warn!(
                block = known.0,
                "L1 block no longer canonical; rewinding the view"
            );
            self.view.lock().truncate(known.0);
        }
        let mut next = self.view.lock().head().map_or(self.start, |b| b.number + 1);
        // Read at most a bounded batch per round, so a long catch-up still reports progress.
        while next <= head {
            if self.view.lock().is_full() {
                // Derivation still needs what the view holds: wait for it to move on.
                break;
            }
            let block = match self.client.l1_block(next, self.contracts).await {
                Ok(b) => b,
                Err(L1Error::NotYet(_)) => break,
                Err(e) => return Err(e),
            };
            let attaches = self
                .view
                .lock()
                .get(next.wrapping_sub(1))
                .is_none_or(|p| p.hash == block.parent_hash);
            if !attaches {
                // Reorged between our reads: drop the parent and read again next round.
                self.view.lock().truncate(next - 1);
                break;
            }
            metrics::gauge!("agnt2_l1_head").set(next as f64);
            self.view.lock().insert(block);
            next += 1;
            if next.is_multiple_of(256) {
                break;
            }
        }
        let safe = self.client.block("safe").await.map(|b| b.header.number);
        let finalized = self
            .client
            .block("finalized")
            .await
            .map(|b| b.header.number);
        let mut view = self.view.lock();
        if let Ok(s) = safe {
            view.safe = s;
        }
        if let Ok(f) = finalized {
            view.finalized = f;
        }
        Ok(())
    }
}
