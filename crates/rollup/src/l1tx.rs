//! Sending L1 transactions from an operator key (deploys, proposals): EIP-1559 fees from the
//! L1 head, the receipt awaited, and the same nonce re-sent with bumped fees when a
//! transaction sits unmined — so a proposal is never lost to a fee spike nor sent twice. A
//! transaction given up on after every bump keeps its nonce; the next send replaces it at that
//! nonce with higher fees rather than queueing behind it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::Duration,
};

use alloy::{
    consensus::{
        SignableTransaction, Signed, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar,
        TxEnvelope,
    },
    eips::{
        eip2718::Encodable2718,
        eip4844::{Blob, BlobTransactionSidecar, env_settings::EnvKzgSettings},
        eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
    },
    rpc::types::TransactionReceipt,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use jsonrpsee::{core::client::ClientT, rpc_params};

use crate::{L1Client, L1Error};

/// Why an L1 transaction did not land.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The RPC failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The transaction was mined and reverted.
    #[error("L1 transaction {hash} reverted (block {block})")]
    Reverted {
        /// Its hash.
        hash: B256,
        /// The block it was mined in.
        block: u64,
    },
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(#[from] alloy::signers::Error),
    /// The blobs could not be committed to.
    #[error("KZG: {0}")]
    Kzg(String),
    /// Not mined after every fee bump.
    #[error("L1 transaction with nonce {nonce} not mined after {attempts} attempts")]
    NotMined {
        /// Its nonce.
        nonce: u64,
        /// How many times it was sent.
        attempts: u32,
    },
}

impl From<jsonrpsee::core::client::Error> for SendError {
    fn from(e: jsonrpsee::core::client::Error) -> Self {
        Self::L1(L1Error::Rpc(e))
    }
}

/// Sends transactions from one key.
#[derive(Debug, Clone)]
pub struct L1Sender {
    client: L1Client,
    signer: PrivateKeySigner,
    chain_id: u64,
    /// How long to wait for a receipt before bumping the fees.
    pub resubmit_after: Duration,
    /// Most sends of one transaction.
    pub max_attempts: u32,
    /// Which blob sidecar the L1 took last (0: not known yet, then [`KIND_7594`] or
    /// [`KIND_4844`]).
    sidecar_kind: Arc<AtomicU8>,
    /// The transaction the last call gave up on, if it still holds its nonce.
    stuck: Arc<parking_lot::Mutex<Option<Stuck>>>,
}

/// A sent transaction that was not mined through every fee bump.
#[derive(Debug, Clone, Copy)]
struct Stuck {
    nonce: u64,
    tip: u128,
    max_fee: u128,
    blob_fee: u128,
}

const KIND_7594: u8 = 1;
const KIND_4844: u8 = 2;

/// A blob transaction's sidecars, of the kinds worth trying.
struct Sidecars {
    hashes: Vec<B256>,
    v4844: Option<BlobTransactionSidecar>,
    v7594: Option<BlobTransactionSidecarEip7594>,
}

impl Sidecars {
    /// The sidecars to try, in order: EIP-7594 first (Osaka and later), then EIP-4844.
    fn variants(&self) -> Vec<(u8, BlobTransactionSidecarVariant)> {
        let v7594 = self
            .v7594
            .clone()
            .map(|s| (KIND_7594, BlobTransactionSidecarVariant::Eip7594(s)));
        let v4844 = self
            .v4844
            .clone()
            .map(|s| (KIND_4844, BlobTransactionSidecarVariant::Eip4844(s)));
        v7594.into_iter().chain(v4844).collect()
    }
}

impl L1Sender {
    /// A sender for `signer` on the L1 behind `client`.
    pub async fn new(client: L1Client, signer: PrivateKeySigner) -> Result<Self, L1Error> {
        let chain_id = client.chain_id().await?;
        Ok(Self {
            client,
            signer,
            chain_id,
            resubmit_after: Duration::from_secs(12),
            max_attempts: 5,
            sidecar_kind: Arc::new(AtomicU8::new(0)),
            stuck: Arc::new(parking_lot::Mutex::new(None)),
        })
    }

    /// The sending address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The L1 client.
    pub fn client(&self) -> &L1Client {
        &self.client
    }

    /// The code at `address` (empty: none).
    pub async fn code(&self, address: Address) -> Result<Bytes, L1Error> {
        Ok(self
            .client
            .http()
            .request("eth_getCode", rpc_params![address, "latest"])
            .await?)
    }

    /// `eth_call` against the latest L1 block.
    pub async fn call(&self, to: Address, data: &[u8]) -> Result<Bytes, L1Error> {
        let req = serde_json::json!({ "to": to, "data": Bytes::copy_from_slice(data) });
        Ok(self
            .client
            .http()
            .request("eth_call", rpc_params![req, "latest"])
            .await?)
    }

    /// Sends a call (or, with `to = None`, a contract creation) and waits for its receipt;
    /// a revert is an error.
    pub async fn send(
        &self,
        to: Option<Address>,
        value: U256,
        data: Bytes,
    ) -> Result<TransactionReceipt, SendError> {
        self.send_tx(to, value, data, None).await
    }

    /// Sends an EIP-4844 transaction to `to` carrying `blobs` (and no calldata) and waits for
    /// its receipt. The sidecar carries EIP-7594 cell proofs when the L1 takes them (Osaka and
    /// later) and EIP-4844 blob proofs otherwise; which one is learned on the first send.
    pub async fn send_blobs(
        &self,
        to: Address,
        blobs: Vec<Blob>,
    ) -> Result<TransactionReceipt, SendError> {
        // Commitments and proofs take a while (cell proofs above all): off the async threads,
        // and only the kind the L1 takes once that is known.
        let known = self.sidecar_kind.load(Ordering::Relaxed);
        let sidecars = tokio::task::spawn_blocking(move || -> Result<Sidecars, SendError> {
            let kzg = EnvKzgSettings::Default.get();
            let v4844 = if known == KIND_7594 {
                None
            } else {
                Some(
                    BlobTransactionSidecar::try_from_blobs_with_settings(blobs.clone(), kzg)
                        .map_err(|e| SendError::Kzg(e.to_string()))?,
                )
            };
            let v7594 = if known == KIND_4844 {
                None
            } else {
                BlobTransactionSidecarEip7594::try_from_blobs_with_settings(blobs, kzg).ok()
            };
            let hashes = match (&v4844, &v7594) {
                (Some(s), _) => s.versioned_hashes().collect(),
                (None, Some(s)) => s.versioned_hashes().collect(),
                (None, None) => return Err(SendError::Kzg("no sidecar could be built".into())),
            };
            Ok(Sidecars {
                hashes,
                v4844,
                v7594,
            })
        })
        .await
        .map_err(|e| SendError::Kzg(e.to_string()))??;
        self.send_tx(Some(to), U256::ZERO, Bytes::new(), Some(sidecars))
            .await
    }

    async fn send_tx(
        &self,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        blobs: Option<Sidecars>,
    ) -> Result<TransactionReceipt, SendError> {
        let http = self.client.http();
        let from = self.address();
        let pending: U64 = http
            .request("eth_getTransactionCount", rpc_params![from, "pending"])
            .await?;
        let latest: U64 = http
            .request("eth_getTransactionCount", rpc_params![from, "latest"])
            .await?;
        // A transaction a previous call gave up on still holds its nonce: replace it (with
        // fees above its last ones) instead of queueing behind it forever.
        let stuck = {
            let mut stuck = self.stuck.lock();
            // Only while it is the next nonce L1 would mine: once mined it is done, and below
            // it (an L1 reorg took earlier ones away) the pool's own view decides.
            if stuck.is_some_and(|s| latest.to::<u64>() != s.nonce) {
                *stuck = None;
            }
            *stuck
        };
        let nonce = stuck.map_or(pending, |s| U64::from(s.nonce));
        let gas_limit = match &blobs {
            // The inbox's fallback: a check of the batcher and one stored commitment per blob
            // (an estimate would run without the blobs and revert).
            Some(s) => 60_000 + 25_000 * s.hashes.len() as u64,
            None => {
                let estimate = serde_json::json!({
                    "from": from,
                    "to": to,
                    "value": value,
                    "data": data,
                });
                let gas: U64 = http
                    .request("eth_estimateGas", rpc_params![estimate])
                    .await?;
                gas.to::<u64>() * 6 / 5 + 10_000
            }
        };
        let head = self.client.block("latest").await?.header;
        let base_fee = head.base_fee_per_gas.unwrap_or(1_000_000_000) as u128;
        let mut tip: u128 = 1_000_000_000;
        let mut max_fee = base_fee * 2 + tip;
        let mut blob_fee =
            crate::watcher::blob_base_fee(head.excess_blob_gas.unwrap_or_default()).max(1) * 2;
        if let Some(s) = stuck {
            let bump = |v: u128| {
                if blobs.is_some() {
                    v * 2
                } else {
                    v * 5 / 4 + 1
                }
            };
            tip = tip.max(bump(s.tip));
            max_fee = max_fee.max(bump(s.max_fee)).max(tip);
            blob_fee = blob_fee.max(bump(s.blob_fee));
        }
        // Every hash sent so far: any of them may be the one L1 mines.
        let mut sent_hashes: Vec<B256> = Vec::new();
        let mut last_fees = (tip, max_fee, blob_fee);
        for attempt in 1..=self.max_attempts {
            last_fees = (tip, max_fee, blob_fee);
            let raws = match &blobs {
                None => {
                    let tx = TxEip1559 {
                        chain_id: self.chain_id,
                        nonce: nonce.to(),
                        gas_limit,
                        max_fee_per_gas: max_fee,
                        max_priority_fee_per_gas: tip,
                        to: to.map_or(TxKind::Create, TxKind::Call),
                        value,
                        access_list: Default::default(),
                        input: data.clone(),
                    };
                    let sig = self.signer.sign_hash_sync(&tx.signature_hash())?;
                    vec![TxEnvelope::from(tx.into_signed(sig)).encoded_2718()]
                }
                Some(s) => {
                    let tx = TxEip4844 {
                        chain_id: self.chain_id,
                        nonce: nonce.to(),
                        gas_limit,
                        max_fee_per_gas: max_fee,
                        max_priority_fee_per_gas: tip,
                        to: to.unwrap_or_default(),
                        value,
                        access_list: Default::default(),
                        blob_versioned_hashes: s.hashes.clone(),
                        max_fee_per_blob_gas: blob_fee,
                        input: Bytes::new(),
                    };
                    let sig = self.signer.sign_hash_sync(&tx.signature_hash())?;
                    s.variants()
                        .into_iter()
                        .map(|(kind, sidecar)| {
                            let full =
                                TxEip4844WithSidecar::from_tx_and_sidecar(tx.clone(), sidecar);
                            let signed = Signed::new_unhashed(TxEip4844Variant::from(full), sig);
                            (kind, TxEnvelope::from(signed).encoded_2718())
                        })
                        .map(|(kind, raw)| {
                            let mut tagged = vec![kind];
                            tagged.extend(raw);
                            tagged
                        })
                        .collect()
                }
            };
            for raw in raws {
                // Blob transactions carry the sidecar kind in a leading tag byte.
                let (kind, raw) = if blobs.is_some() {
                    (raw[0], raw[1..].to_vec())
                } else {
                    (0, raw)
                };
                let sent: Result<B256, _> = http
                    .request("eth_sendRawTransaction", rpc_params![Bytes::from(raw)])
                    .await;
                match sent {
                    Ok(h) => {
                        sent_hashes.push(h);
                        if kind != 0 {
                            self.sidecar_kind.store(kind, Ordering::Relaxed);
                        }
                        break;
                    }
                    // An earlier attempt may already be mined ("nonce too low") or still
                    // pending ("already known", "replacement underpriced"): the receipts below
                    // tell. A sidecar of the wrong kind is refused too; the next kind follows.
                    Err(e) => tracing::debug!(error = %e, attempt, "L1 send refused"),
                }
            }
            if let Some(receipt) = self.wait_receipt(&sent_hashes).await? {
                if !receipt.status() {
                    return Err(SendError::Reverted {
                        hash: receipt.transaction_hash,
                        block: receipt.block_number.unwrap_or_default(),
                    });
                }
                return Ok(receipt);
            }
            let mined: U64 = http
                .request("eth_getTransactionCount", rpc_params![from, "latest"])
                .await?;
            if mined > nonce && sent_hashes.is_empty() {
                *self.stuck.lock() = None;
                // Our nonce was used by a transaction this call never sent.
                return Err(SendError::NotMined {
                    nonce: nonce.to(),
                    attempts: attempt,
                });
            }
            if blobs.is_some() {
                // Blob pools want every fee doubled to replace.
                tip *= 2;
                max_fee *= 2;
                blob_fee *= 2;
            } else {
                // Geth and anvil want at least 10% more on both fees to replace.
                tip = tip * 5 / 4 + 1;
                max_fee = max_fee * 5 / 4 + 1;
            }
            metrics::counter!("agnt2_l1_fee_bumps_total").increment(1);
        }
        *self.stuck.lock() = Some(Stuck {
            nonce: nonce.to(),
            tip: last_fees.0,
            max_fee: last_fees.1,
            blob_fee: last_fees.2,
        });
        Err(SendError::NotMined {
            nonce: nonce.to(),
            attempts: self.max_attempts,
        })
    }

    /// The receipt of any of `hashes` once one is mined, or `None` after `resubmit_after`.
    async fn wait_receipt(&self, hashes: &[B256]) -> Result<Option<TransactionReceipt>, L1Error> {
        let deadline = tokio::time::Instant::now() + self.resubmit_after;
        loop {
            for hash in hashes {
                let r: Option<TransactionReceipt> = self
                    .client
                    .http()
                    .request("eth_getTransactionReceipt", rpc_params![hash])
                    .await?;
                if r.is_some() {
                    return Ok(r);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
