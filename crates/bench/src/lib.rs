//! Benchmark binaries for agnt2. They print figures (human-readable, or one JSON object per
//! row with `--json`); `docs/benchmarks.md` records them with the machine they ran on.
//!
//! This crate owns workload generation and measurement only: it drives the real builder and
//! storage and must not reimplement them.

use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use secp256k1::{Message, PublicKey, SECP256K1, SecretKey};

/// A funded account the benchmark signs for.
#[derive(Debug, Clone, Copy)]
pub struct BenchKey {
    /// Secret key.
    pub secret: SecretKey,
    /// Its address.
    pub address: Address,
}

impl BenchKey {
    /// Deterministic key number `i`.
    pub fn nth(i: u64) -> Self {
        let mut seed = keccak256([b"agnt2-bench".as_slice(), &i.to_be_bytes()].concat()).0;
        loop {
            if let Ok(secret) = SecretKey::from_byte_array(seed) {
                let pk = PublicKey::from_secret_key(SECP256K1, &secret).serialize_uncompressed();
                let address = Address::from_slice(&keccak256(&pk[1..])[12..]);
                return Self { secret, address };
            }
            seed = keccak256(seed).0;
        }
    }

    /// Signs a prehash with libsecp256k1 (fast enough to pre-sign large workloads).
    pub fn sign(&self, prehash: B256) -> Signature {
        let rs = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(prehash.0), &self.secret);
        let (id, bytes) = rs.serialize_compact();
        Signature::new(
            U256::from_be_slice(&bytes[..32]),
            U256::from_be_slice(&bytes[32..]),
            i32::from(id) != 0,
        )
    }
}

/// Percentile of a sorted slice.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
