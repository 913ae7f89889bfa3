//! The L1 watcher: polls an L1 JSON-RPC endpoint for new heads, reads each new block's portal
//! deposits and the batcher data the BatchInbox accepted (calldata, or blobs fetched from the
//! L1 node), and keeps the [`L1View`] canonical through reorgs (a block whose parent is not
//! the known block below it, or a known height whose hash changed, drops the known tail and
//! re-reads it). An L1 endpoint that goes away is retried every poll; the view just stops
//! growing, and the sequencer carries on within its drift.

use std::{sync::Arc, time::Duration};

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
}

/// A minimal L1 JSON-RPC client (what derivation reads).
#[derive(Debug, Clone)]
pub struct L1Client {
    http: HttpClient,
}

impl L1Client {
    /// A client for `url` with a per-request timeout.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, L1Error> {
        Ok(Self {
            http: HttpClientBuilder::default()
                .request_timeout(timeout)
                .build(url)?,
        })
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

    /// The batcher data of the BatchInbox's `BatchCommitted` logs: the calldata of each
    /// transaction sent straight to the inbox, or the payloads of its blobs. A transaction
    /// that reached the inbox through another contract carries no batch of its own and is
    /// skipped, as is a blob that does not decode (its data item is left empty, which
    /// derivation refuses like any garbled data).
    async fn batcher_txs(&self, inbox: Address, logs: &[Log]) -> Result<Vec<BatcherTx>, L1Error> {
        let mut out = Vec::new();
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
            let ev = ev.inner.data;
            let data = if ev.blob {
                let mut items = Vec::with_capacity(ev.commitments.len());
                for vh in &ev.commitments {
                    let blob = self.blob(*vh).await?;
                    items.push(data_from_blob(&blob).map(Bytes::from).unwrap_or_default());
                }
                items
            } else {
                let input: Bytes = tx
                    .get("input")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
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
                self.batcher_txs(inbox, &inbox_logs).await?
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
            let block = self.client.l1_block(next, self.contracts).await?;
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
