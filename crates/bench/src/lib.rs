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

/// The process's peak resident memory (`VmHWM`), 0 where `/proc` does not tell.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Percentile of a sorted slice.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// A fresh MDBX datadir holding `spec`'s genesis, and the environment of block `number` on top
/// of it with no gas limit to speak of, so whole workloads fit (the registry benchmarks).
pub fn open_chain(
    spec: &agnt2_primitives::ChainSpec,
    number: u64,
) -> eyre::Result<(
    tempfile::TempDir,
    agnt2_storage::Database,
    agnt2_evm::EvmConfig,
    agnt2_evm::NextBlock,
)> {
    let dir = tempfile::tempdir()?;
    let db = agnt2_storage::Database::open(dir.path(), &agnt2_storage::DatabaseConfig::default())?;
    agnt2_builder::init_genesis(&db, spec)?;
    let next = agnt2_evm::NextBlock {
        number,
        timestamp: 1_000,
        beneficiary: agnt2_primitives::constants::SEQUENCER_FEE_VAULT,
        base_fee: 1,
        gas_limit: u64::MAX / 4,
        prevrandao: B256::ZERO,
    };
    Ok((dir, db, agnt2_evm::EvmConfig::isthmus(spec.chain_id), next))
}

/// Intrinsic gas without the EIP-7623 calldata floor, for views measured with `eth_call`.
pub fn standard_intrinsic(input: &[u8]) -> u64 {
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    21_000 + zeros * 4 + (input.len() as u64 - zeros) * 16
}
