//! Shared set-up of the builder's integration tests.

use agnt2_builder::init_genesis;
use agnt2_precompiles::abi::IReputationRegistry;
use agnt2_primitives::ChainSpec;
use agnt2_storage::{Database, DatabaseConfig};
use alloy_primitives::{B256, U256};
use alloy_sol_types::SolCall;

/// A fresh, non-durable MDBX datadir with `spec`'s genesis written.
pub fn temp_chain(spec: &ChainSpec) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = Database::open(
        dir.path(),
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
        },
    )
    .expect("db");
    init_genesis(&db, spec).expect("genesis");
    (dir, db)
}

/// Calldata of an ERC-8004 `giveFeedback` with tag "q" and no endpoint, URI or hash.
// Each test binary compiles this module; not every one gives feedback.
#[allow(dead_code)]
pub fn feedback(agent_id: U256, value: i128) -> Vec<u8> {
    IReputationRegistry::giveFeedbackCall {
        agentId: agent_id,
        value,
        valueDecimals: 0,
        tag1: "q".into(),
        tag2: String::new(),
        endpoint: String::new(),
        feedbackURI: String::new(),
        feedbackHash: B256::ZERO,
    }
    .abi_encode()
}
