//! Fuzzes the agent registries through the real EVM over a real MDBX genesis: arbitrary and
//! mutated calldata never panics, never fails the node, and a call that does not succeed leaves
//! every registry slot as it was.

use agnt2_builder::init_genesis;
use agnt2_evm::{CallRequest, EvmConfig, NextBlock, StateDb, call};
use agnt2_precompiles::{
    CAPABILITIES, IDENTITY_CORE, IDENTITY_REGISTRY, REPUTATION_REGISTRY, SESSIONS, STATE_ACCOUNTS,
    VALIDATION_REGISTRY,
    abi::{
        IAgentCapabilities, IAgentSessions, IIdentityRegistry, IReputationRegistry,
        IValidationRegistry,
    },
};
use agnt2_primitives::ChainSpec;
use agnt2_storage::{Database, DatabaseConfig, LatestState};
use alloy_primitives::{Address, B256, Bytes, U256, address};
use alloy_sol_types::SolCall;
use proptest::prelude::*;
use revm::DatabaseCommit;

const OWNER: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const CLIENT: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const TARGETS: [Address; 6] = [
    IDENTITY_REGISTRY,
    IDENTITY_CORE,
    REPUTATION_REGISTRY,
    VALIDATION_REGISTRY,
    CAPABILITIES,
    SESSIONS,
];

fn next_block() -> NextBlock {
    NextBlock {
        number: 1,
        timestamp: 1_000,
        beneficiary: Address::ZERO,
        base_fee: 0,
        gas_limit: 30_000_000,
        prevrandao: B256::ZERO,
    }
}

fn request(from: Address, to: Address, value: U256, input: Vec<u8>) -> CallRequest {
    CallRequest {
        from,
        to: Some(to),
        gas: Some(5_000_000),
        gas_price: 0,
        priority_fee: None,
        value,
        input: Bytes::from(input),
        nonce: None,
        access_list: Default::default(),
    }
}

/// A genesis state with agent 0 owned by OWNER and one feedback from CLIENT.
fn seeded() -> (tempfile::TempDir, StateDb<LatestState>) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = Database::open(
        dir.path(),
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
        },
    )
    .expect("db");
    init_genesis(&db, &ChainSpec::dev()).expect("genesis");
    let mut state = StateDb::new(db.latest().expect("latest"));
    let cfg = EvmConfig::isthmus(28004);
    for (from, to, input) in [
        (
            OWNER,
            IDENTITY_REGISTRY,
            IIdentityRegistry::register_1Call {
                agentURI: "ipfs://a".into(),
            }
            .abi_encode(),
        ),
        (
            CLIENT,
            REPUTATION_REGISTRY,
            IReputationRegistry::giveFeedbackCall {
                agentId: U256::ZERO,
                value: 90,
                valueDecimals: 0,
                tag1: "q".into(),
                tag2: String::new(),
                endpoint: String::new(),
                feedbackURI: String::new(),
                feedbackHash: B256::ZERO,
            }
            .abi_encode(),
        ),
    ] {
        let out = call(
            &cfg,
            &next_block(),
            &mut state,
            &request(from, to, U256::ZERO, input),
        )
        .expect("seed call");
        assert!(out.result.is_success(), "seed failed: {:?}", out.result);
        state.commit(out.state);
    }
    (dir, state)
}

/// Valid calldata of every kind, to be mutated.
fn corpus() -> Vec<Vec<u8>> {
    vec![
        IIdentityRegistry::register_0Call {}.abi_encode(),
        IIdentityRegistry::setAgentURICall {
            agentId: U256::ZERO,
            newURI: "x".repeat(40),
        }
        .abi_encode(),
        IIdentityRegistry::setMetadataCall {
            agentId: U256::ZERO,
            metadataKey: "k".into(),
            metadataValue: Bytes::from(vec![7; 70]),
        }
        .abi_encode(),
        IIdentityRegistry::transferFromCall {
            from: OWNER,
            to: CLIENT,
            tokenId: U256::ZERO,
        }
        .abi_encode(),
        IIdentityRegistry::approveCall {
            to: CLIENT,
            tokenId: U256::ZERO,
        }
        .abi_encode(),
        IIdentityRegistry::setAgentWalletCall {
            agentId: U256::ZERO,
            newWallet: CLIENT,
            deadline: U256::from(1_100),
            signature: Bytes::from(vec![1; 65]),
        }
        .abi_encode(),
        IReputationRegistry::giveFeedbackCall {
            agentId: U256::ZERO,
            value: -5,
            valueDecimals: 1,
            tag1: "a".into(),
            tag2: "b".into(),
            endpoint: "e".into(),
            feedbackURI: "u".into(),
            feedbackHash: B256::ZERO,
        }
        .abi_encode(),
        IReputationRegistry::revokeFeedbackCall {
            agentId: U256::ZERO,
            feedbackIndex: 1,
        }
        .abi_encode(),
        IReputationRegistry::appendResponseCall {
            agentId: U256::ZERO,
            clientAddress: CLIENT,
            feedbackIndex: 1,
            responseURI: "r".into(),
            responseHash: B256::ZERO,
        }
        .abi_encode(),
        IReputationRegistry::getSummaryCall {
            agentId: U256::ZERO,
            clientAddresses: vec![CLIENT, CLIENT],
            tag1: "q".into(),
            tag2: String::new(),
        }
        .abi_encode(),
        IValidationRegistry::validationRequestCall {
            validatorAddress: CLIENT,
            agentId: U256::ZERO,
            requestURI: "v".into(),
            requestHash: B256::repeat_byte(1),
        }
        .abi_encode(),
        IAgentCapabilities::grantCall {
            agentId: U256::ZERO,
            grantee: CLIENT,
            scope: B256::ZERO,
            spendLimit: U256::from(5),
            expiry: 5_000,
        }
        .abi_encode(),
        IAgentSessions::openSession_0Call {
            counterpartyAgentId: U256::ZERO,
            budget: U256::ZERO,
            expiry: 5_000,
        }
        .abi_encode(),
    ]
}

fn mutate(mut data: Vec<u8>, cut: usize, flips: &[(usize, u8)]) -> Vec<u8> {
    for (i, b) in flips {
        if !data.is_empty() {
            let n = data.len();
            data[i % n] ^= b;
        }
    }
    data.truncate(data.len().saturating_sub(cut % 40));
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn hostile_calldata_never_panics_and_reverts_cleanly(
        pick in 0usize..13,
        target in 0usize..6,
        from_client in any::<bool>(),
        with_value in any::<bool>(),
        random in proptest::collection::vec(any::<u8>(), 0..200),
        use_random in any::<bool>(),
        cut in 0usize..64,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let (_dir, mut state) = seeded();
        let input = if use_random { random } else { mutate(corpus()[pick].clone(), cut, &flips) };
        let from = if from_client { CLIENT } else { OWNER };
        let value = if with_value { U256::from(1) } else { U256::ZERO };
        let cfg = EvmConfig::isthmus(28004);
        let out = call(&cfg, &next_block(), &mut state, &request(from, TARGETS[target], value, input));
        let out = out.expect("a hostile call is a failed transaction, never a node error");
        if !out.result.is_success() {
            for account in STATE_ACCOUNTS {
                if let Some(acc) = out.state.get(&account) {
                    for (slot, s) in &acc.storage {
                        prop_assert!(!s.is_changed(), "{account} slot {slot} changed by a failed call");
                    }
                }
            }
        }
    }
}
