//! Shared set-up of the builder's integration tests.

use agnt2_builder::init_genesis;
use agnt2_precompiles::abi::IReputationRegistry;
use agnt2_primitives::ChainSpec;
use agnt2_primitives::{OpTxEnvelope, RecoveredTx};
use agnt2_storage::{Database, DatabaseConfig};
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, Bytes, TxKind};
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
            history_blocks: None,
            ..Default::default()
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

/// A signed 21,000-gas transfer of 1 wei from `key`.
// Each test binary compiles this module; not every one sends transfers.
#[allow(dead_code)]
pub fn transfer(key: &PrivateKeySigner, chain_id: u64, nonce: u64) -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    RecoveredTx::decode_user(&OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718())
        .expect("decode")
}
