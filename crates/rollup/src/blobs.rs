//! Where blob contents come from. The L1 execution node keeps only blob versioned hashes, and
//! blobs themselves live on the consensus layer: a beacon node serves them through the beacon
//! API (`/eth/v1/beacon/blobs/{block_id}`, Fulu's endpoint). anvil serves the same endpoint on
//! its RPC port, and also `anvil_getBlobByHash`, which is the default source.
//!
//! The beacon block holding L1 block `n`'s blobs is named by block `n + 1`'s
//! `parentBeaconBlockRoot` (EIP-4788), so no slot arithmetic is needed; where that root is zero
//! (anvil), the execution block hash names it. Every blob returned is checked against the
//! versioned hash it is wanted for, by recomputing its KZG commitment: a beacon node is not
//! trusted for the data.

use std::{collections::HashMap, time::Duration};

use alloy::eips::eip4844::{c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash};
use alloy_primitives::{B256, Bytes};
use http_body_util::{BodyExt, Empty};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

use crate::L1Error;

/// A beacon node's blob endpoint (plain `http://`, as a local beacon node serves it).
#[derive(Debug, Clone)]
pub struct BeaconBlobs {
    base: String,
    client: Client<HttpConnector, Empty<bytes::Bytes>>,
    timeout: Duration,
}

/// The versioned hash of a blob's KZG commitment.
pub fn versioned_hash(blob: &[u8]) -> Option<B256> {
    let blob = c_kzg::Blob::from_bytes(blob).ok()?;
    let commitment = EnvKzgSettings::Default
        .get()
        .blob_to_kzg_commitment(&blob)
        .ok()?;
    Some(kzg_to_versioned_hash(commitment.as_slice()))
}

impl BeaconBlobs {
    /// A client for the beacon API at `base` (e.g. `http://127.0.0.1:5052`).
    pub fn new(base: &str, timeout: Duration) -> Result<Self, L1Error> {
        if !base.starts_with("http://") {
            return Err(L1Error::Beacon(format!(
                "{base}: only http:// beacon endpoints are supported"
            )));
        }
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        })
    }

    /// The blobs of beacon block `block_id` with the given versioned hashes, by hash.
    pub async fn blobs(
        &self,
        block_id: &str,
        wanted: &[B256],
    ) -> Result<HashMap<B256, Bytes>, L1Error> {
        let hashes: Vec<String> = wanted.iter().map(|h| h.to_string()).collect();
        let url = format!(
            "{}/eth/v1/beacon/blobs/{block_id}?versioned_hashes={}",
            self.base,
            hashes.join(",")
        );
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| L1Error::Beacon(format!("{url}: {e}")))?;
        let response = tokio::time::timeout(self.timeout, self.client.get(uri))
            .await
            .map_err(|_| L1Error::Beacon(format!("{url}: timed out")))?
            .map_err(|e| L1Error::Beacon(format!("{url}: {e}")))?;
        let status = response.status();
        let body = tokio::time::timeout(self.timeout, response.into_body().collect())
            .await
            .map_err(|_| L1Error::Beacon(format!("{url}: timed out")))?
            .map_err(|e| L1Error::Beacon(format!("{url}: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(L1Error::Beacon(format!(
                "{url}: {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            data: Vec<Bytes>,
        }
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| L1Error::Beacon(format!("{url}: bad answer: {e}")))?;
        let wanted = wanted.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut out = HashMap::new();
            for blob in answer.data {
                if let Some(h) = versioned_hash(&blob)
                    && wanted.contains(&h)
                {
                    out.insert(h, blob);
                }
            }
            out
        })
        .await
        .map_err(|e| L1Error::Beacon(e.to_string()))
    }
}
