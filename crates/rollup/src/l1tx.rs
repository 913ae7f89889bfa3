//! Sending L1 transactions from an operator key (deploys, proposals): EIP-1559 fees from the
//! L1 head, the receipt awaited, and the same nonce re-sent with bumped fees when a
//! transaction sits unmined — so a proposal is never lost to a fee spike nor sent twice.

use std::time::Duration;

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
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
        let http = self.client.http();
        let from = self.address();
        let nonce: U64 = http
            .request("eth_getTransactionCount", rpc_params![from, "pending"])
            .await?;
        let estimate = serde_json::json!({
            "from": from,
            "to": to,
            "value": value,
            "data": data,
        });
        let gas: U64 = http
            .request("eth_estimateGas", rpc_params![estimate])
            .await?;
        let gas_limit = gas.to::<u64>() * 6 / 5 + 10_000;
        let base_fee = self
            .client
            .block("latest")
            .await?
            .header
            .base_fee_per_gas
            .unwrap_or(1_000_000_000) as u128;
        let mut tip: u128 = 1_000_000_000;
        let mut max_fee = base_fee * 2 + tip;
        // Every hash sent so far: any of them may be the one L1 mines.
        let mut sent_hashes: Vec<B256> = Vec::new();
        for attempt in 1..=self.max_attempts {
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
            let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
            let sent: Result<B256, _> = http
                .request("eth_sendRawTransaction", rpc_params![Bytes::from(raw)])
                .await;
            match sent {
                Ok(h) => sent_hashes.push(h),
                // An earlier attempt may already be mined ("nonce too low") or still pending
                // ("already known", "replacement underpriced"): the receipts below tell.
                Err(e) => tracing::debug!(error = %e, attempt, "L1 send refused"),
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
                // Our nonce was used by a transaction this call never sent.
                return Err(SendError::NotMined {
                    nonce: nonce.to(),
                    attempts: attempt,
                });
            }
            // Geth and anvil want at least 10% more on both fees to replace.
            tip = tip * 5 / 4 + 1;
            max_fee = max_fee * 5 / 4 + 1;
            metrics::counter!("agnt2_l1_fee_bumps_total").increment(1);
        }
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
