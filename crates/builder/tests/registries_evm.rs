//! The agent registries through the real EVM over a real MDBX genesis:
//! - fuzzing: arbitrary and mutated calldata never panics, never fails the node, and a call that
//!   does not succeed leaves every registry slot as it was;
//! - static access keys: for random sequences of valid calls, every slot a successful call
//!   actually touched is covered by the keys declared from its calldata alone.

mod common;

use agnt2_evm::{CallRequest, EvmConfig, NextBlock, StateDb, call};
use agnt2_precompiles::{
    CAPABILITIES, IDENTITY_CORE, IDENTITY_REGISTRY, Preimage, REPUTATION_REGISTRY, SESSIONS,
    STATE_ACCOUNTS, VALIDATION_REGISTRY,
    abi::{
        IAgentCapabilities, IAgentSessions, IIdentityRegistry, IReputationRegistry,
        IValidationRegistry,
    },
    declared_access,
    layout::{is_data_slot, preimages},
};
use agnt2_primitives::ChainSpec;
use agnt2_storage::LatestState;
use alloy_primitives::{Address, B256, Bytes, U256, address};
use alloy_sol_types::SolCall;
use proptest::prelude::*;
use revm::DatabaseCommit;

const OWNER: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const CLIENT: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const THIRD: Address = address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const ACTORS: [Address; 3] = [OWNER, CLIENT, THIRD];
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
        ..Default::default()
    }
}

/// A genesis state with agent 0 owned by OWNER and one feedback from CLIENT.
fn seeded() -> (tempfile::TempDir, StateDb<LatestState>) {
    let (dir, db) = common::temp_chain(&ChainSpec::dev());
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
            common::feedback(U256::ZERO, 90),
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

/// One random registry call: (sender index, target, calldata, value).
fn random_call(
    (who, kind, agent, other, n, text_len, flag): (usize, u8, u8, usize, u64, usize, bool),
) -> (Address, Address, Vec<u8>, U256) {
    let from = ACTORS[who % 3];
    let to_actor = ACTORS[other % 3];
    let agent = U256::from(agent % 3);
    let text = "t".repeat(text_len);
    let scope = B256::repeat_byte((n % 3) as u8);
    let request = B256::repeat_byte((n % 4) as u8 + 1);
    let zero = U256::ZERO;
    let (to, input, value) = match kind % 24 {
        0 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::register_0Call {}.abi_encode(),
            zero,
        ),
        1 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::register_1Call { agentURI: text }.abi_encode(),
            zero,
        ),
        2 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::register_2Call {
                agentURI: text.clone(),
                metadata: vec![IIdentityRegistry::MetadataEntry {
                    metadataKey: format!("k{}", n % 3),
                    metadataValue: Bytes::from(text.into_bytes()),
                }],
            }
            .abi_encode(),
            zero,
        ),
        3 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::setAgentURICall {
                agentId: agent,
                newURI: text,
            }
            .abi_encode(),
            zero,
        ),
        4 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::setMetadataCall {
                agentId: agent,
                metadataKey: format!("k{}", n % 3),
                metadataValue: Bytes::from(text.into_bytes()),
            }
            .abi_encode(),
            zero,
        ),
        5 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::transferFromCall {
                from,
                to: to_actor,
                tokenId: agent,
            }
            .abi_encode(),
            zero,
        ),
        6 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::approveCall {
                to: to_actor,
                tokenId: agent,
            }
            .abi_encode(),
            zero,
        ),
        7 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::setApprovalForAllCall {
                operator: to_actor,
                approved: flag,
            }
            .abi_encode(),
            zero,
        ),
        8 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::unsetAgentWalletCall { agentId: agent }.abi_encode(),
            zero,
        ),
        9 => (
            IDENTITY_REGISTRY,
            IIdentityRegistry::getMetadataCall {
                agentId: agent,
                metadataKey: if flag {
                    "agentWallet".into()
                } else {
                    format!("k{}", n % 3)
                },
            }
            .abi_encode(),
            zero,
        ),
        10 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::giveFeedbackCall {
                agentId: agent,
                value: n as i128 - 50,
                valueDecimals: (n % 4) as u8,
                tag1: if flag { text.clone() } else { String::new() },
                tag2: "x".into(),
                endpoint: String::new(),
                feedbackURI: text,
                feedbackHash: B256::ZERO,
            }
            .abi_encode(),
            zero,
        ),
        11 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::revokeFeedbackCall {
                agentId: agent,
                feedbackIndex: n % 3 + 1,
            }
            .abi_encode(),
            zero,
        ),
        12 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::appendResponseCall {
                agentId: agent,
                clientAddress: to_actor,
                feedbackIndex: n % 3 + 1,
                responseURI: "r".into(),
                responseHash: B256::ZERO,
            }
            .abi_encode(),
            zero,
        ),
        13 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::getSummaryCall {
                agentId: agent,
                clientAddresses: vec![to_actor, from],
                tag1: String::new(),
                tag2: if flag { "x".into() } else { String::new() },
            }
            .abi_encode(),
            zero,
        ),
        14 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::readAllFeedbackCall {
                agentId: agent,
                clientAddresses: if flag { vec![] } else { vec![to_actor] },
                tag1: String::new(),
                tag2: String::new(),
                includeRevoked: flag,
            }
            .abi_encode(),
            zero,
        ),
        15 => (
            REPUTATION_REGISTRY,
            IReputationRegistry::getResponseCountCall {
                agentId: agent,
                clientAddress: if flag { Address::ZERO } else { to_actor },
                feedbackIndex: n % 3,
                responders: vec![],
            }
            .abi_encode(),
            zero,
        ),
        16 => (
            VALIDATION_REGISTRY,
            IValidationRegistry::validationRequestCall {
                validatorAddress: to_actor,
                agentId: agent,
                requestURI: text,
                requestHash: request,
            }
            .abi_encode(),
            zero,
        ),
        17 => (
            VALIDATION_REGISTRY,
            IValidationRegistry::validationResponseCall {
                requestHash: request,
                response: (n % 101) as u8,
                responseURI: String::new(),
                responseHash: B256::ZERO,
                tag: text,
            }
            .abi_encode(),
            zero,
        ),
        18 => (
            VALIDATION_REGISTRY,
            IValidationRegistry::getSummaryCall {
                agentId: agent,
                validatorAddresses: vec![],
                tag: if flag { "t".into() } else { String::new() },
            }
            .abi_encode(),
            zero,
        ),
        19 => (
            CAPABILITIES,
            IAgentCapabilities::grantCall {
                agentId: agent,
                grantee: to_actor,
                scope,
                spendLimit: U256::from(n),
                expiry: 5_000,
            }
            .abi_encode(),
            zero,
        ),
        20 => (
            CAPABILITIES,
            IAgentCapabilities::consumeCall {
                agentId: agent,
                scope,
                amount: U256::from(n % 7),
            }
            .abi_encode(),
            zero,
        ),
        21 => {
            let budget = U256::from(n * 10);
            let call = if flag {
                IAgentSessions::openSession_1Call {
                    clientAgentId: agent,
                    counterpartyAgentId: U256::from(other % 3),
                    budget,
                    expiry: 5_000,
                }
                .abi_encode()
            } else {
                IAgentSessions::openSession_0Call {
                    counterpartyAgentId: agent,
                    budget,
                    expiry: 5_000,
                }
                .abi_encode()
            };
            (SESSIONS, call, budget)
        }
        22 => (
            SESSIONS,
            IAgentSessions::recordInvocationCall {
                sessionId: U256::from(n % 3 + 1),
                requestHash: B256::ZERO,
                responseHash: B256::ZERO,
                amount: U256::from(n % 5),
            }
            .abi_encode(),
            zero,
        ),
        _ => (
            SESSIONS,
            IAgentSessions::closeSessionCall {
                sessionId: U256::from(n % 3 + 1),
            }
            .abi_encode(),
            zero,
        ),
    };
    (from, to, input, value)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn touched_slots_are_within_the_declared_keys(
        ops in proptest::collection::vec(
            (0usize..3, any::<u8>(), any::<u8>(), 0usize..3, 0u64..100, prop_oneof![0usize..8, 30usize..80], any::<bool>()),
            10..60,
        ),
    ) {
        preimages::enable();
        let (_dir, mut state) = seeded();
        let cfg = EvmConfig::isthmus(28004);
        let mut succeeded = 0;
        for op in ops {
            let (from, to, input, value) = random_call(op);
            let declared = declared_access(to, from, &input).expect("valid calldata declares keys");
            let out = call(&cfg, &next_block(), &mut state, &request(from, to, value, input.clone()))
                .expect("no node error");
            if !out.result.is_success() {
                continue;
            }
            succeeded += 1;
            for account in STATE_ACCOUNTS {
                let Some(acc) = out.state.get(&account) else { continue };
                for slot in acc.storage.keys() {
                    let preimage = |s: U256| preimages::lookup(s).map(|(domain, parts)| Preimage { address: account, domain, parts });
                    let covered = match preimage(*slot) {
                        Some(p) => declared.covers(account, *slot, Some(&p)),
                        // A data slot of a long byte string: judged by its head.
                        None => acc.storage.keys().any(|head| {
                            is_data_slot(*head, *slot) && declared.covers(account, *head, preimage(*head).as_ref())
                        }),
                    };
                    prop_assert!(covered, "{account} slot {slot} touched but not declared by 0x{}", alloy_primitives::hex::encode(&input[..4]));
                }
            }
            state.commit(out.state);
        }
        prop_assert!(succeeded > 0, "no call succeeded: the sequence tested nothing");
    }
}
