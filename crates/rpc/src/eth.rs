//! `eth_`, `net_`, `web3_` and `txpool_` methods.

use std::{sync::Arc, time::Duration};

use agnt2_primitives::{RecoveredTx, SealedBlock, StoredReceipt};
use agnt2_storage::{HistoricalState, StateProvider};
use agnt2_txpool::{BlockInfo, PoolError, SenderState};
use alloy::rpc::types::{
    BlockId, BlockNumberOrTag, EIP1186AccountProofResponse, EIP1186StorageProof, FeeHistory,
};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U64, U256};
use jsonrpsee::{
    RpcModule,
    core::RpcResult,
    types::{ErrorObjectOwned, Params},
};
use serde_json::{Value, json};

use crate::{
    RpcContext,
    convert::{TxPosition, first_log_index, rpc_block, rpc_receipt, rpc_transaction},
    errors::{internal, server_error},
};

type Ctx = RpcContext;

impl RpcContext {
    pub(crate) fn head_number(&self) -> RpcResult<u64> {
        Ok(self.db.head().map_err(internal)?.map_or(0, |(n, _)| n))
    }

    /// Resolves a tag to a block number. `safe` and `finalized` are the heads the rollup
    /// driver records (derived from L1 data that is safe / finalized on L1); on a chain without
    /// an L1 (`--dev`) none are recorded and they are the head, as sealed blocks are final.
    pub(crate) fn resolve_tag(&self, tag: BlockNumberOrTag) -> RpcResult<u64> {
        match tag {
            BlockNumberOrTag::Earliest => Ok(0),
            BlockNumberOrTag::Number(n) => Ok(n),
            BlockNumberOrTag::Safe => match self.db.safe().map_err(internal)? {
                Some(n) => Ok(n),
                None => self.head_number(),
            },
            BlockNumberOrTag::Finalized => match self.db.finalized().map_err(internal)? {
                Some(n) => Ok(n),
                None => self.head_number(),
            },
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => self.head_number(),
        }
    }

    /// Resolves a block id to a number, `None` if no such block.
    pub(crate) fn resolve_id(&self, id: Option<BlockId>) -> RpcResult<Option<u64>> {
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Hash(h) => self.db.block_number(&h.block_hash).map_err(internal),
            BlockId::Number(tag) => {
                let n = self.resolve_tag(tag)?;
                Ok((n <= self.head_number()?).then_some(n))
            }
        }
    }

    /// The state at a block id.
    pub(crate) fn state(&self, id: Option<BlockId>) -> RpcResult<Box<dyn StateProvider>> {
        let head = self.head_number()?;
        let n = self
            .resolve_id(id)?
            .ok_or_else(|| server_error("header not found"))?;
        if n == head {
            return Ok(Box::new(self.db.latest().map_err(internal)?));
        }
        let s: HistoricalState = self
            .db
            .state_at(n)
            .map_err(crate::errors::storage)?
            .ok_or_else(|| server_error("header not found"))?;
        Ok(Box::new(s))
    }

    pub(crate) fn load_block(
        &self,
        n: u64,
    ) -> RpcResult<Option<(SealedBlock, Vec<StoredReceipt>)>> {
        let Some(header) = self.db.header(n).map_err(internal)? else {
            return Ok(None);
        };
        let hash = self
            .db
            .block_hash(n)
            .map_err(internal)?
            .unwrap_or_else(|| header.hash_slow());
        let transactions = self.db.body(n).map_err(internal)?.unwrap_or_default();
        let receipts = self.db.receipts(n).map_err(internal)?.unwrap_or_default();
        Ok(Some((
            SealedBlock {
                header,
                hash,
                transactions,
            },
            receipts,
        )))
    }

    fn tx_and_receipt(
        &self,
        hash: &B256,
    ) -> RpcResult<Option<(SealedBlock, Vec<StoredReceipt>, usize)>> {
        let Some((n, i)) = self.db.tx_location(hash).map_err(internal)? else {
            return Ok(None);
        };
        Ok(self.load_block(n)?.map(|(b, r)| (b, r, i as usize)))
    }

    pub(crate) fn receipt_json(&self, hash: &B256) -> RpcResult<Option<Value>> {
        let Some((block, receipts, i)) = self.tx_and_receipt(hash)? else {
            return Ok(None);
        };
        let (Some(tx), Some(r)) = (block.transactions.get(i), receipts.get(i)) else {
            return Err(internal("receipt missing for indexed transaction"));
        };
        let pos = position(&block, i);
        let receipt = rpc_receipt(tx, r, pos, first_log_index(&receipts, i));
        Ok(Some(serde_json::to_value(receipt).map_err(internal)?))
    }

    fn next_base_fee(&self) -> RpcResult<u64> {
        Ok(self
            .builder
            .next_block_env(now_secs())
            .map_err(internal)?
            .0
            .base_fee)
    }

    /// Validates and admits raw transaction bytes into the pool.
    pub(crate) fn submit_raw(&self, raw: &[u8]) -> RpcResult<B256> {
        if self.config.read_only {
            return Err(server_error(
                "this node is a verifier: it derives blocks from L1 and takes no transactions; send them to the sequencer",
            ));
        }
        let tx =
            RecoveredTx::decode_user_with(raw, self.config.allow_unprotected_txs).map_err(|e| {
                match e {
                    agnt2_primitives::TxDecodeError::Signature(_) => server_error("invalid sender"),
                    other => server_error(other.to_string()),
                }
            })?;
        let state = self.db.latest().map_err(internal)?;
        let account = state
            .account(&tx.signer)
            .map_err(internal)?
            .unwrap_or_default();
        let (next, _) = self.builder.next_block_env(now_secs()).map_err(internal)?;
        let hash = tx.hash;
        // The parallel builder learns a contract call's access set at admission.
        let speculate = self.builder.learns_access_sets()
            && !alloy::consensus::Transaction::input(&tx.envelope).is_empty();
        let copy = speculate.then(|| std::sync::Arc::new(tx.clone()));
        self.pool
            .add(
                tx,
                SenderState {
                    nonce: account.nonce,
                    balance: account.balance,
                },
                BlockInfo {
                    base_fee: next.base_fee,
                    gas_limit: self.builder.max_tx_gas(),
                },
            )
            .map_err(|e: PoolError| server_error(e.to_string()))?;
        if let Some(tx) = copy
            && let Err(e) = self.builder.speculate(std::slice::from_ref(&tx))
        {
            tracing::debug!(%hash, error = %e, "speculative execution failed");
        }
        Ok(hash)
    }
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

pub(crate) fn position(block: &SealedBlock, index: usize) -> TxPosition {
    TxPosition {
        block_hash: block.hash,
        block_number: block.number(),
        index: index as u64,
        base_fee: block.header.base_fee_per_gas,
        timestamp: block.header.timestamp,
    }
}

/// `txpool_content`'s shape: sender → nonce → transaction.
fn render_pool(
    m: std::collections::BTreeMap<Address, std::collections::BTreeMap<u64, Arc<RecoveredTx>>>,
) -> Value {
    let mut out = serde_json::Map::new();
    for (addr, txs) in m {
        let mut inner = serde_json::Map::new();
        for (nonce, tx) in txs {
            inner.insert(
                nonce.to_string(),
                serde_json::to_value(rpc_transaction(&tx, None, None)).unwrap_or(Value::Null),
            );
        }
        out.insert(addr.to_checksum(None), Value::Object(inner));
    }
    Value::Object(out)
}

fn to_json<T: serde::Serialize>(v: T) -> RpcResult<Value> {
    serde_json::to_value(v).map_err(internal)
}

/// geth's rules for reward percentiles: at most `max`, each in 0..=100, non-decreasing.
fn check_percentiles(ps: &[f64], max: usize) -> RpcResult<()> {
    if ps.len() > max {
        return Err(crate::errors::invalid_params(format!(
            "too many reward percentiles: {} (limit {max})",
            ps.len()
        )));
    }
    for (i, p) in ps.iter().enumerate() {
        if !(0.0..=100.0).contains(p) {
            return Err(crate::errors::invalid_params(format!(
                "invalid reward percentile: {p}"
            )));
        }
        if i > 0 && *p < ps[i - 1] {
            return Err(crate::errors::invalid_params(format!(
                "invalid reward percentile: #{}:{} > #{i}:{p}",
                i - 1,
                ps[i - 1]
            )));
        }
    }
    Ok(())
}

fn fee_history(
    ctx: &Ctx,
    count: u64,
    newest: BlockNumberOrTag,
    percentiles: Option<Vec<f64>>,
) -> RpcResult<FeeHistory> {
    if let Some(ps) = &percentiles {
        check_percentiles(ps, ctx.config.max_fee_history_percentiles)?;
    }
    let count = count.clamp(1, 1024);
    let newest = ctx.resolve_tag(newest)?.min(ctx.head_number()?);
    let oldest = newest.saturating_sub(count - 1);
    let mut history = FeeHistory {
        oldest_block: oldest,
        ..Default::default()
    };
    let mut rewards = Vec::new();
    let mut last = None;
    for n in oldest..=newest {
        let Some((block, receipts)) = ctx.load_block(n)? else {
            break;
        };
        let h = &block.header;
        let base = h.base_fee_per_gas.unwrap_or_default();
        history.base_fee_per_gas.push(base as u128);
        history.gas_used_ratio.push(if h.gas_limit == 0 {
            0.0
        } else {
            h.gas_used as f64 / h.gas_limit as f64
        });
        history.base_fee_per_blob_gas.push(1);
        history.blob_gas_used_ratio.push(0.0);
        if let Some(ps) = &percentiles {
            let mut tips: Vec<(u128, u64)> = block
                .transactions
                .iter()
                .zip(&receipts)
                .filter(|(t, _)| !t.is_deposit())
                .map(|(t, r)| (t.effective_tip(base).unwrap_or(0), r.meta.gas_used))
                .collect();
            tips.sort_unstable();
            let total: u64 = tips.iter().map(|(_, g)| g).sum();
            let row = ps
                .iter()
                .map(|p| {
                    if tips.is_empty() {
                        return 0;
                    }
                    let threshold = (total as f64 * p / 100.0) as u64;
                    let mut acc = 0;
                    for (tip, gas) in &tips {
                        acc += gas;
                        if acc >= threshold {
                            return *tip;
                        }
                    }
                    tips.last().map_or(0, |t| t.0)
                })
                .collect();
            rewards.push(row);
        }
        last = Some(h.clone());
    }
    if let Some(h) = last {
        let next = agnt2_builder::next_base_fee(
            &ctx.spec,
            h.gas_used,
            h.gas_limit,
            h.base_fee_per_gas.unwrap_or_default(),
        );
        history.base_fee_per_gas.push(next as u128);
        history.base_fee_per_blob_gas.push(1);
    }
    if percentiles.is_some() {
        history.reward = Some(rewards);
    }
    Ok(history)
}

fn get_proof(
    ctx: &Ctx,
    address: Address,
    keys: Vec<B256>,
    block: Option<BlockId>,
) -> RpcResult<EIP1186AccountProofResponse> {
    let n = ctx
        .resolve_id(block)?
        .ok_or_else(|| server_error("header not found"))?;
    let state = ctx
        .db
        .state_at(n)
        .map_err(crate::errors::storage)?
        .ok_or_else(|| server_error("header not found"))?;
    let account = state
        .account(&address)
        .map_err(internal)?
        .unwrap_or_default();
    let (account_proof, storage_proofs) = state
        .proof(&address, &keys)
        .map_err(crate::errors::storage)?;
    let storage_proof = keys
        .iter()
        .zip(storage_proofs)
        .map(|(k, proof)| -> RpcResult<EIP1186StorageProof> {
            Ok(EIP1186StorageProof {
                key: alloy::serde::storage::JsonStorageKey::from(*k),
                value: state
                    .storage(&address, &U256::from_be_bytes(k.0))
                    .map_err(internal)?,
                proof: proof.into_iter().map(Bytes::from).collect(),
            })
        })
        .collect::<RpcResult<Vec<_>>>()?;
    let exists = account != Default::default();
    Ok(EIP1186AccountProofResponse {
        address,
        balance: account.balance,
        code_hash: if exists {
            account.code_hash
        } else {
            KECCAK256_EMPTY
        },
        nonce: account.nonce,
        storage_hash: if exists {
            account.storage_root
        } else {
            agnt2_storage::EMPTY_ROOT
        },
        account_proof: account_proof.into_iter().map(Bytes::from).collect(),
        storage_proof,
    })
}

fn block_by(ctx: &Ctx, n: Option<u64>, full: bool) -> RpcResult<Value> {
    let Some(n) = n else { return Ok(Value::Null) };
    match ctx.load_block(n)? {
        Some((block, receipts)) => to_json(rpc_block(&block, Some(&receipts), full)),
        None => Ok(Value::Null),
    }
}

fn tx_by_block_index(ctx: &Ctx, n: Option<u64>, index: U64) -> RpcResult<Value> {
    let Some(n) = n else { return Ok(Value::Null) };
    let Some((block, receipts)) = ctx.load_block(n)? else {
        return Ok(Value::Null);
    };
    let i = index.to::<usize>();
    match block.transactions.get(i) {
        Some(tx) => to_json(rpc_transaction(
            tx,
            Some(position(&block, i)),
            receipts.get(i),
        )),
        None => Ok(Value::Null),
    }
}

fn seq<'a>(params: &'a Params<'a>) -> jsonrpsee::types::params::ParamsSequence<'a> {
    params.sequence()
}

macro_rules! sync {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        $module
            .register_method::<RpcResult<Value>, _>($name, move |$params, $ctx, _| $body)
            .unwrap_or_else(|e| panic!("registering {}: {e}", $name));
    };
}

/// Registers the methods of this module.
pub(crate) fn register(m: &mut RpcModule<Ctx>) {
    sync!(m, "web3_clientVersion", |_p, _c| Ok(json!(format!(
        "agnt2/v{}/{}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    ))));
    sync!(m, "web3_sha3", |p, _c| {
        let data: Bytes = seq(&p).next()?;
        Ok(json!(alloy_primitives::keccak256(&data)))
    });
    sync!(m, "net_version", |_p, c| Ok(json!(
        c.spec.chain_id.to_string()
    )));
    sync!(m, "net_listening", |_p, _c| Ok(json!(true)));
    sync!(m, "net_peerCount", |_p, _c| Ok(json!(U64::ZERO)));
    sync!(m, "eth_chainId", |_p, c| Ok(json!(U64::from(
        c.spec.chain_id
    ))));
    sync!(m, "eth_syncing", |_p, _c| Ok(json!(false)));
    sync!(m, "eth_mining", |_p, _c| Ok(json!(true)));
    sync!(m, "eth_hashrate", |_p, _c| Ok(json!(U64::ZERO)));
    sync!(m, "eth_coinbase", |_p, _c| Ok(json!(
        agnt2_primitives::constants::SEQUENCER_FEE_VAULT
    )));
    sync!(m, "eth_protocolVersion", |_p, _c| Ok(json!("0x41")));
    sync!(m, "eth_blockNumber", |_p, c| Ok(json!(U64::from(
        c.head_number()?
    ))));
    sync!(m, "eth_accounts", |_p, c| Ok(json!(c.config.accounts)));
    sync!(m, "eth_gasPrice", |_p, c| Ok(json!(U256::from(
        c.next_base_fee()? as u128 + c.config.suggested_tip
    ))));
    sync!(m, "eth_maxPriorityFeePerGas", |_p, c| Ok(json!(
        U256::from(c.config.suggested_tip)
    )));
    sync!(m, "eth_blobBaseFee", |_p, _c| Ok(json!(U256::from(1))));

    blocking!(m, "eth_getBalance", |p, c| {
        let mut s = seq(&p);
        let address: Address = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let acc = c.state(block)?.account(&address).map_err(internal)?;
        Ok(json!(acc.map(|a| a.balance).unwrap_or_default()))
    });
    blocking!(m, "eth_getTransactionCount", |p, c| {
        let mut s = seq(&p);
        let address: Address = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let nonce = c
            .state(block)?
            .account(&address)
            .map_err(internal)?
            .map_or(0, |a| a.nonce);
        let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let nonce = if pending {
            c.pool.pending_nonce(&address, nonce)
        } else {
            nonce
        };
        Ok(json!(U64::from(nonce)))
    });
    blocking!(m, "eth_getCode", |p, c| {
        let mut s = seq(&p);
        let address: Address = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let state = c.state(block)?;
        let code = match state.account(&address).map_err(internal)? {
            Some(a) if a.code_hash != KECCAK256_EMPTY => state
                .code(&a.code_hash)
                .map_err(internal)?
                .unwrap_or_default(),
            _ => Bytes::new(),
        };
        Ok(json!(code))
    });
    blocking!(m, "eth_getStorageAt", |p, c| {
        let mut s = seq(&p);
        let address: Address = s.next()?;
        let slot: U256 = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let v = c.state(block)?.storage(&address, &slot).map_err(internal)?;
        Ok(json!(B256::from(v.to_be_bytes::<32>())))
    });
    blocking!(m, "eth_feeHistory", |p, c| {
        let mut s = seq(&p);
        let count: U64 = s.next()?;
        let newest: BlockNumberOrTag = s.next()?;
        let percentiles: Option<Vec<f64>> = s.optional_next()?;
        to_json(fee_history(c, count.to::<u64>(), newest, percentiles)?)
    });
    blocking!(m, "eth_getProof", |p, c| {
        let mut s = seq(&p);
        let address: Address = s.next()?;
        let keys: Vec<alloy::serde::storage::JsonStorageKey> = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let keys = keys.into_iter().map(|k| k.as_b256()).collect();
        to_json(get_proof(c, address, keys, block)?)
    });
    sync!(m, "eth_sendRawTransaction", |p, c| {
        let raw: Bytes = seq(&p).next()?;
        Ok(json!(c.submit_raw(&raw)?))
    });
    m.register_async_method::<RpcResult<Value>, _, _>("eth_sendRawTransactionSync", |p, c, _| async move {
        let mut s = p.sequence();
        let raw: Bytes = s.next()?;
        let timeout_ms: Option<u64> = s.optional_next()?;
        let timeout = timeout_ms.map_or(c.config.sync_timeout, Duration::from_millis);
        // Subscribe before submitting so the including block cannot be missed.
        let mut chain = c.chain.subscribe_lossy();
        let hash = c.submit_raw(&raw)?;
        let wait = async {
            loop {
                match chain.recv().await {
                    Ok(n) if n.committed_chain().is_some_and(|new| {
                        new.blocks().iter().any(|b| b.block.transactions.iter().any(|t| t.hash == hash))
                    }) => return Ok(()),
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if c.db.tx_location(&hash).map_err(internal)?.is_some() {
                            return Ok(());
                        }
                    }
                    Err(_) => return Err(internal("node shutting down")),
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(ErrorObjectOwned::owned(
                    crate::errors::SYNC_TIMEOUT,
                    format!("The transaction was added to the transaction pool but wasn't processed in {}ms", timeout.as_millis()),
                    Some(hash),
                ))
            }
        }
        let c2 = c.clone();
        tokio::task::spawn_blocking(move || c2.receipt_json(&hash))
            .await
            .map_err(internal)?
            .map(|r| r.unwrap_or(Value::Null))
    })
    .unwrap_or_else(|e| panic!("registering eth_sendRawTransactionSync: {e}"));
    blocking!(m, "eth_getTransactionByHash", |p, c| {
        let hash: B256 = seq(&p).next()?;
        if let Some((block, receipts, i)) = c.tx_and_receipt(&hash)? {
            let tx = block
                .transactions
                .get(i)
                .ok_or_else(|| internal("indexed tx missing"))?;
            return to_json(rpc_transaction(
                tx,
                Some(position(&block, i)),
                receipts.get(i),
            ));
        }
        match c.pool.get(&hash) {
            Some(tx) => to_json(rpc_transaction(&tx, None, None)),
            None => Ok(Value::Null),
        }
    });
    blocking!(m, "eth_getRawTransactionByHash", |p, c| {
        let hash: B256 = seq(&p).next()?;
        if let Some((block, _, i)) = c.tx_and_receipt(&hash)? {
            return Ok(json!(block.transactions.get(i).map(|t| t.encoded.clone())));
        }
        Ok(json!(c.pool.get(&hash).map(|t| t.encoded.clone())))
    });
    blocking!(m, "eth_getTransactionReceipt", |p, c| {
        let hash: B256 = seq(&p).next()?;
        Ok(c.receipt_json(&hash)?.unwrap_or(Value::Null))
    });
    blocking!(m, "eth_getBlockReceipts", |p, c| {
        let id: BlockId = seq(&p).next()?;
        let Some(n) = c.resolve_id(Some(id))? else {
            return Ok(Value::Null);
        };
        let Some((block, receipts)) = c.load_block(n)? else {
            return Ok(Value::Null);
        };
        let out: Vec<_> = block
            .transactions
            .iter()
            .zip(&receipts)
            .enumerate()
            .map(|(i, (tx, r))| {
                rpc_receipt(tx, r, position(&block, i), first_log_index(&receipts, i))
            })
            .collect();
        to_json(out)
    });
    blocking!(m, "eth_getBlockByNumber", |p, c| {
        let mut s = seq(&p);
        let tag: BlockNumberOrTag = s.next()?;
        let full: Option<bool> = s.optional_next()?;
        let n = c.resolve_id(Some(BlockId::Number(tag)))?;
        block_by(c, n, full.unwrap_or(false))
    });
    blocking!(m, "eth_getBlockByHash", |p, c| {
        let mut s = seq(&p);
        let hash: B256 = s.next()?;
        let full: Option<bool> = s.optional_next()?;
        let n = c.db.block_number(&hash).map_err(internal)?;
        block_by(c, n, full.unwrap_or(false))
    });
    blocking!(m, "eth_getBlockTransactionCountByNumber", |p, c| {
        let tag: BlockNumberOrTag = seq(&p).next()?;
        let Some(n) = c.resolve_id(Some(BlockId::Number(tag)))? else {
            return Ok(Value::Null);
        };
        Ok(json!(
            c.db.body(n).map_err(internal)?.map(|b| U64::from(b.len()))
        ))
    });
    blocking!(m, "eth_getBlockTransactionCountByHash", |p, c| {
        let hash: B256 = seq(&p).next()?;
        let Some(n) = c.db.block_number(&hash).map_err(internal)? else {
            return Ok(Value::Null);
        };
        Ok(json!(
            c.db.body(n).map_err(internal)?.map(|b| U64::from(b.len()))
        ))
    });
    blocking!(m, "eth_getTransactionByBlockNumberAndIndex", |p, c| {
        let mut s = seq(&p);
        let tag: BlockNumberOrTag = s.next()?;
        let index: U64 = s.next()?;
        let n = c.resolve_id(Some(BlockId::Number(tag)))?;
        tx_by_block_index(c, n, index)
    });
    blocking!(m, "eth_getTransactionByBlockHashAndIndex", |p, c| {
        let mut s = seq(&p);
        let hash: B256 = s.next()?;
        let index: U64 = s.next()?;
        let n = c.db.block_number(&hash).map_err(internal)?;
        tx_by_block_index(c, n, index)
    });
    // No uncles on an L2: zero for a block that exists, null (geth) for one that does not.
    blocking!(m, "eth_getUncleCountByBlockNumber", |p, c| {
        let tag: BlockNumberOrTag = seq(&p).next()?;
        let n = c.resolve_tag(tag)?;
        let exists = n <= c.head_number()?;
        Ok(if exists {
            json!(U64::ZERO)
        } else {
            Value::Null
        })
    });
    blocking!(m, "eth_getUncleCountByBlockHash", |p, c| {
        let hash: B256 = seq(&p).next()?;
        let exists = c.db.block_number(&hash).map_err(internal)?.is_some();
        Ok(if exists {
            json!(U64::ZERO)
        } else {
            Value::Null
        })
    });
    sync!(m, "txpool_status", |_p, c| {
        let (pending, queued) = c.pool.status();
        Ok(json!({ "pending": U64::from(pending), "queued": U64::from(queued) }))
    });
    blocking!(m, "txpool_content", |_p, c| {
        let max = c.config.max_txpool_content;
        let len = c.pool.len();
        if len > max {
            return Err(server_error(format!(
                "txpool holds {len} transactions, more than txpool_content lists ({max}): \
                 use txpool_contentFrom or txpool_status"
            )));
        }
        let (pending, queued) = c.pool.content();
        Ok(json!({ "pending": render_pool(pending), "queued": render_pool(queued) }))
    });
    blocking!(m, "txpool_contentFrom", |p, c| {
        let address: Address = p.sequence().next()?;
        let (pending, queued) = c.pool.content_from(&address);
        let render = |txs: std::collections::BTreeMap<u64, Arc<RecoveredTx>>| {
            txs.into_iter()
                .map(|(nonce, tx)| {
                    (
                        nonce.to_string(),
                        serde_json::to_value(rpc_transaction(&tx, None, None))
                            .unwrap_or(Value::Null),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
        };
        Ok(json!({ "pending": render(pending), "queued": render(queued) }))
    });
}
