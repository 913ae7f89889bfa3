//! The parallel builder produces ordinary sequential blocks: for random workloads with random
//! conflict rates, re-building the parallel block's transactions in the same order with the
//! sequential builder gives the identical block (state root, receipts root, gas used, hash),
//! for 1 to 8 threads.

use std::sync::Arc;

mod common;

use agnt2_builder::{BlockBuilder, BuilderMode, BuiltBlock};
use agnt2_precompiles::{IDENTITY_REGISTRY, REPUTATION_REGISTRY, abi::IIdentityRegistry};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    genesis::GenesisAccount,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_sol_types::SolCall;
use proptest::prelude::*;

/// A contract whose every call increments slot 0 (PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP).
const COUNTER: Address = address!("0x00000000000000000000000000000000c0ffee01");
const COUNTER_CODE: [u8; 10] = [0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x00];
const GAS_LIMIT: u64 = 200_000_000;
/// A contract that stores the base-fee vault's balance (PUSH20 vault BALANCE PUSH1 0 SSTORE
/// STOP): code the parallel builder must keep in block order.
const VAULT_READER: Address = address!("0x00000000000000000000000000000000c0ffee02");

/// A contract that stores the block's gas limit (GASLIMIT PUSH1 0 SSTORE STOP): the tail must
/// see the same block environment as the sequential executor.
const GAS_READER: Address = address!("0x00000000000000000000000000000000c0ffee03");
const GAS_READER_CODE: [u8; 5] = [0x45, 0x60, 0x00, 0x55, 0x00];

/// A contract with three entry points, picked by the first calldata byte: 1 stores 5 in slot 2;
/// 2 stores 1 in slot 0; anything else writes slot 1 while slot 0 is zero and slot 2 after.
/// Which slot a call writes depends on state, so a speculation of it can go stale.
const BRANCH: Address = address!("0x00000000000000000000000000000000c0ffee05");
const BRANCH_CODE: [u8; 53] = [
    0x60, 0x00, 0x35, 0x60, 0xf8, 0x1c, // first calldata byte
    0x80, 0x60, 0x01, 0x14, 0x60, 0x27, 0x57, // == 1: jump to set-z
    0x80, 0x60, 0x02, 0x14, 0x60, 0x2e, 0x57, // == 2: jump to set-x
    0x60, 0x00, 0x54, 0x60, 0x20, 0x57, // slot 0 != 0: jump to else
    0x60, 0x01, 0x60, 0x01, 0x55, 0x00, // slot 1 = 1
    0x5b, 0x60, 0x01, 0x60, 0x02, 0x55, 0x00, // else: slot 2 = 1
    0x5b, 0x60, 0x05, 0x60, 0x02, 0x55, 0x00, // set-z: slot 2 = 5
    0x5b, 0x60, 0x01, 0x60, 0x00, 0x55, 0x00, // set-x: slot 0 = 1
];

fn vault_reader_code() -> Bytes {
    let mut code = vec![0x73];
    code.extend_from_slice(agnt2_primitives::constants::BASE_FEE_VAULT.as_slice());
    code.extend_from_slice(&[0x31, 0x60, 0x00, 0x55, 0x00]);
    Bytes::from(code)
}

fn key(i: u64) -> PrivateKeySigner {
    let mut seed = keccak256(i.to_be_bytes());
    loop {
        if let Ok(k) = PrivateKeySigner::from_bytes(&seed) {
            return k;
        }
        seed = keccak256(seed);
    }
}

fn recipient(i: u64) -> Address {
    Address::from_slice(&keccak256([b"recipient".as_slice(), &i.to_be_bytes()].concat())[12..])
}

fn spec(senders: &[PrivateKeySigner]) -> Arc<ChainSpec> {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = GAS_LIMIT;
    for k in senders {
        spec.genesis.alloc.insert(
            k.address(),
            GenesisAccount {
                balance: U256::from(10u128.pow(22)),
                ..Default::default()
            },
        );
    }
    let contracts = [
        (COUNTER, Bytes::from_static(&COUNTER_CODE)),
        (GAS_READER, Bytes::from_static(&GAS_READER_CODE)),
        (BRANCH, Bytes::from_static(&BRANCH_CODE)),
        (VAULT_READER, vault_reader_code()),
    ];
    for (address, code) in contracts {
        spec.genesis.alloc.insert(
            address,
            GenesisAccount {
                code: Some(code),
                ..Default::default()
            },
        );
    }
    Arc::new(spec)
}

fn builder(spec: &Arc<ChainSpec>, mode: BuilderMode) -> (tempfile::TempDir, BlockBuilder) {
    let (dir, db) = common::temp_chain(spec);
    let b = BlockBuilder::new(db, spec.clone(), GAS_LIMIT)
        .with_mode(mode)
        .expect("mode");
    (dir, b)
}

fn sign(
    k: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    input: Vec<u8>,
    gas: u64,
) -> Arc<RecoveredTx> {
    sign_with_list(k, nonce, to, value, input, gas, Default::default())
}

fn sign_with_list(
    k: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    input: Vec<u8>,
    gas: u64,
    access_list: alloy::eips::eip2930::AccessList,
) -> Arc<RecoveredTx> {
    let tx = TxEip1559 {
        chain_id: 28004,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value,
        access_list,
        input: Bytes::from(input),
    };
    let sig = k.sign_hash_sync(&tx.signature_hash()).expect("sign");
    let raw = OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718();
    Arc::new(RecoveredTx::decode_user(&raw).expect("decode"))
}

/// One transfer of 1 wei from each key, to fresh recipients numbered from `first`.
fn independent_transfers(keys: &[PrivateKeySigner], first: u64) -> Vec<Arc<RecoveredTx>> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            sign(
                k,
                0,
                recipient(first + i as u64),
                U256::from(1),
                vec![],
                21_000,
            )
        })
        .collect()
}

/// One step of a workload: (sender, kind, target, amount, conflict roll).
type Step = (u64, u8, u64, u64, u8);

/// Senders shared by conflicting steps; the others each send once, to a fresh recipient.
const SHARED_SENDERS: usize = 12;

fn workload(
    senders: &[PrivateKeySigner],
    steps: &[Step],
    recipients: u64,
    conflict_pct: u8,
) -> Vec<Arc<RecoveredTx>> {
    let mut nonces = vec![0u64; senders.len()];
    let mut out = Vec::new();
    for (i, &(s, kind, target, amount, roll)) in steps.iter().enumerate() {
        if roll % 100 >= conflict_pct {
            let k = &senders[SHARED_SENDERS + i];
            let to = recipient(10_000 + i as u64);
            out.push(sign(k, 0, to, U256::from(amount + 1), vec![], 21_000));
            continue;
        }
        let si = (s as usize) % SHARED_SENDERS;
        let k = &senders[si];
        let nonce = nonces[si];
        let tx = match kind % 17 {
            // Transfers to a shared recipient set: fewer recipients, more conflicts.
            0..=3 => sign(
                k,
                nonce,
                recipient(target % recipients.max(1)),
                U256::from(amount + 1),
                vec![],
                21_000,
            ),
            // Transfers to another sender: chains of dependent senders.
            4 => sign(
                k,
                nonce,
                senders[(target as usize) % SHARED_SENDERS].address(),
                U256::from(amount),
                vec![],
                21_000,
            ),
            5 => sign(
                k,
                nonce,
                IDENTITY_REGISTRY,
                U256::ZERO,
                IIdentityRegistry::register_1Call {
                    agentURI: format!("ipfs://agent-{amount}"),
                }
                .abi_encode(),
                300_000,
            ),
            6 => sign(
                k,
                nonce,
                REPUTATION_REGISTRY,
                U256::ZERO,
                common::feedback(U256::from(target % 4), amount as i128 % 100),
                300_000,
            ),
            7 => sign(
                k,
                nonce,
                IDENTITY_REGISTRY,
                U256::ZERO,
                IIdentityRegistry::setAgentURICall {
                    agentId: U256::from(target % 4),
                    newURI: format!("u{amount}"),
                }
                .abi_encode(),
                300_000,
            ),
            // Contract code with calldata: speculated when the builder was told in advance.
            8 => sign(k, nonce, COUNTER, U256::ZERO, vec![1], 100_000),
            // Code that reads a fee vault: must stay in block order.
            10 => sign(k, nonce, VAULT_READER, U256::ZERO, vec![1], 100_000),
            // A "transfer" to a contract: deferred to the tail at execution.
            11 => sign(k, nonce, COUNTER, U256::ZERO, vec![], 100_000),
            // Code that reads the block environment.
            12 => sign(k, nonce, GAS_READER, U256::ZERO, vec![2], 100_000),
            // A contract call predicted from its EIP-2930 access list (right or, for odd
            // amounts, naming the wrong slot).
            13 => sign_with_list(
                k,
                nonce,
                COUNTER,
                U256::ZERO,
                vec![3],
                100_000,
                alloy::eips::eip2930::AccessList(vec![alloy::eips::eip2930::AccessListItem {
                    address: COUNTER,
                    storage_keys: vec![B256::with_last_byte((amount % 2) as u8)],
                }]),
            ),
            // State-dependent access: a branch call learnt before a set-x earlier in the block
            // writes another slot than speculation saw (repaired or rebuilt in order).
            14 => sign(k, nonce, BRANCH, U256::ZERO, vec![0], 100_000),
            15 => sign(k, nonce, BRANCH, U256::ZERO, vec![1], 100_000),
            16 => sign(k, nonce, BRANCH, U256::ZERO, vec![2], 100_000),
            // A nonce gap: invalid, must be dropped the same way.
            _ => sign(
                k,
                nonce + 5,
                recipient(target),
                U256::from(1),
                vec![],
                21_000,
            ),
        };
        if kind % 17 != 9 {
            nonces[si] += 1;
        }
        out.push(tx);
    }
    out
}

fn rebuild_sequentially(spec: &Arc<ChainSpec>, built: &BuiltBlock, ts: u64) -> BuiltBlock {
    let (_dir, seq) = builder(spec, BuilderMode::Sequential);
    let txs: Vec<Arc<RecoveredTx>> = built.block.transactions[1..]
        .iter()
        .map(|t| Arc::new(t.clone()))
        .collect();
    let (again, invalid) = seq.build(ts, None, txs).expect("sequential rebuild");
    assert!(
        invalid.is_empty(),
        "the parallel block holds a transaction invalid in its own order"
    );
    again
}

fn assert_same(parallel: &BuiltBlock, sequential: &BuiltBlock) {
    let (p, s) = (&parallel.block.header, &sequential.block.header);
    assert_eq!(p.gas_used, s.gas_used, "gas used");
    assert_eq!(p.receipts_root, s.receipts_root, "receipts root");
    assert_eq!(p.state_root, s.state_root, "state root");
    assert_eq!(p.logs_bloom, s.logs_bloom, "logs bloom");
    assert_eq!(parallel.block.hash, sequential.block.hash, "block hash");
    assert_eq!(parallel.receipts.len(), sequential.receipts.len());
    for (a, b) in parallel.receipts.iter().zip(sequential.receipts.iter()) {
        assert_eq!(a.receipt, b.receipt);
        assert_eq!(a.meta.gas_used, b.meta.gas_used);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parallel_blocks_equal_their_sequential_execution(
        threads in 1usize..=8,
        recipients in 1u64..40,
        conflict_pct in 0u8..=100,
        speculate in any::<bool>(),
        steps in proptest::collection::vec((0u64..12, any::<u8>(), any::<u64>(), 0u64..1_000, any::<u8>()), 1..120),
    ) {
        let senders: Vec<PrivateKeySigner> = (0..SHARED_SENDERS as u64 + 120).map(key).collect();
        let spec = spec(&senders);
        let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads });
        let txs = workload(&senders, &steps, recipients, conflict_pct);
        if speculate {
            par.speculate(&txs).expect("speculate");
        }
        let ts = 1_000;
        let (built, _invalid) = par.build(ts, None, txs).expect("parallel build");
        let again = rebuild_sequentially(&spec, &built, ts);
        assert_same(&built, &again);
    }
}

#[test]
fn independent_transfers_run_in_parallel_and_match() {
    let senders: Vec<PrivateKeySigner> = (0..64).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 2 });
    let txs: Vec<_> = independent_transfers(&senders, 1_000);
    let (built, invalid) = par.build(1_000, None, txs).expect("build");
    assert!(invalid.is_empty());
    let stats = built.parallel.clone().expect("parallel stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert_eq!(stats.bins, 2, "{stats:?}");
    assert_eq!(stats.predicted, 64);
    assert_eq!(built.block.transactions.len(), 65);
    let again = rebuild_sequentially(&spec, &built, 1_000);
    assert_same(&built, &again);
}

#[test]
fn a_fully_conflicting_block_falls_back_to_sequential() {
    let senders: Vec<PrivateKeySigner> = (0..1).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 4 });
    let txs: Vec<_> = (0..20)
        .map(|n| sign(&senders[0], n, recipient(n), U256::from(1), vec![], 21_000))
        .collect();
    let (built, _) = par.build(1_000, None, txs).expect("build");
    let stats = built.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, Some("no parallelism"), "{stats:?}");
    assert_eq!(stats.reexecuted, 0, "found before anything ran");
    assert_eq!(built.block.transactions.len(), 21);
}

#[test]
fn random_workloads_exercise_the_parallel_path() {
    // The property above covers every conflict rate; this pins that a low-conflict mix with a
    // sequential tail really takes the parallel path.
    let senders: Vec<PrivateKeySigner> = (0..SHARED_SENDERS as u64 + 120).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 3 });
    let steps: Vec<Step> = (0..100u64)
        .map(|i| {
            (
                i % 12,
                (i % 10) as u8,
                i,
                i,
                if i % 4 == 0 { 0 } else { 99 },
            )
        })
        .collect();
    let txs = workload(&senders, &steps, 30, 20);
    let (built, _) = par.build(1_000, None, txs).expect("build");
    let stats = built.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert!(
        stats.tail + stats.deferred > 0 && stats.groups > 10,
        "{stats:?}"
    );
    let again = rebuild_sequentially(&spec, &built, 1_000);
    assert_same(&built, &again);
}

#[test]
fn speculated_contract_calls_run_in_parallel_and_vault_readers_stay_in_order() {
    let senders: Vec<PrivateKeySigner> = (0..40).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 2 });
    // Each sender calls its own counter-like slot? All call COUNTER (one hot slot) half the
    // time; the rest are independent transfers; one reads the fee vault.
    let mut txs: Vec<_> = independent_transfers(&senders[..30], 500);
    txs.extend(
        senders[30..39]
            .iter()
            .map(|k| sign(k, 0, COUNTER, U256::ZERO, vec![7], 100_000)),
    );
    txs.push(sign(
        &senders[39],
        0,
        VAULT_READER,
        U256::ZERO,
        vec![7],
        100_000,
    ));
    let learnt = par.speculate(&txs).expect("speculate");
    assert_eq!(
        learnt, 9,
        "the counter calls are learnt, the vault reader is not"
    );
    let (built, invalid) = par.build(1_000, None, txs).expect("build");
    assert!(invalid.is_empty());
    let stats = built.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert_eq!((stats.predicted, stats.tail), (39, 1), "{stats:?}");
    let again = rebuild_sequentially(&spec, &built, 1_000);
    assert_same(&built, &again);
    assert!(
        par.predictions().is_empty(),
        "included transactions are forgotten"
    );
}

/// A factory that CREATEs a contract whose code is STOP and stores its address in slot 0.
const FACTORY: Address = address!("0x00000000000000000000000000000000c0ffee04");
const FACTORY_CODE: [u8; 24] = [
    0x69, 0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3, // PUSH10 initcode
    0x60, 0x00, 0x52, // PUSH1 0 MSTORE
    0x60, 0x0a, 0x60, 0x16, 0x60, 0x00, 0xf0, // CREATE(0, 22, 10)
    0x60, 0x00, 0x55, // PUSH1 0 SSTORE
];

#[test]
fn code_created_in_a_bin_survives_a_tail_that_touches_it() {
    let senders: Vec<PrivateKeySigner> = (0..24).map(key).collect();
    let mut spec = (*spec(&senders)).clone();
    let mut code = FACTORY_CODE.to_vec();
    code.push(0x00);
    spec.genesis.alloc.insert(
        FACTORY,
        GenesisAccount {
            code: Some(Bytes::from(code)),
            nonce: Some(1),
            ..Default::default()
        },
    );
    let spec = Arc::new(spec);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 2 });
    let created = FACTORY.create(1);
    let mut txs = vec![
        sign(&senders[0], 0, FACTORY, U256::ZERO, vec![1], 200_000),
        // Predicted as a transfer (no code yet), deferred to the tail once the bin sees code.
        sign(&senders[1], 0, created, U256::from(5), vec![], 100_000),
    ];
    txs.extend(senders[2..22].iter().enumerate().map(|(i, k)| {
        sign(
            k,
            0,
            recipient(900 + i as u64),
            U256::from(1),
            vec![],
            21_000,
        )
    }));
    par.speculate(&txs).expect("speculate");
    let (built, invalid) = par.build(1_000, None, txs).expect("block 1");
    assert!(invalid.is_empty());
    let stats = built.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert_eq!(stats.deferred, 1, "{stats:?}");
    // The next block calls the created contract: its code must have been stored.
    let call = sign(&senders[22], 0, created, U256::ZERO, vec![1], 100_000);
    let (next, invalid) = par
        .build(1_001, None, vec![call])
        .expect("block 2 runs the new code");
    assert!(invalid.is_empty());
    assert_eq!(next.block.transactions.len(), 2);
}

#[test]
fn registry_calls_from_many_owners_run_in_parallel() {
    let senders: Vec<PrivateKeySigner> = (0..20).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 2 });
    let (_dir2, seq) = builder(&spec, BuilderMode::Sequential);
    let register: Vec<_> = senders
        .iter()
        .map(|k| {
            let input = IIdentityRegistry::register_1Call {
                agentURI: "ipfs://a".into(),
            }
            .abi_encode();
            sign(k, 0, IDENTITY_REGISTRY, U256::ZERO, input, 300_000)
        })
        .collect();
    let (b1, _) = par.build(1_000, None, register).expect("block 1");
    let replay: Vec<_> = b1.block.transactions[1..]
        .iter()
        .map(|t| Arc::new(t.clone()))
        .collect();
    let (s1, _) = seq.build(1_000, None, replay).expect("block 1 sequential");
    assert_same(&b1, &s1);
    // Agent ids follow block order: find each sender's agent from its position.
    let uris: Vec<_> = b1.block.transactions[1..]
        .iter()
        .enumerate()
        .map(|(agent, tx)| {
            let k = senders
                .iter()
                .find(|k| k.address() == tx.signer)
                .expect("sender");
            let input = IIdentityRegistry::setAgentURICall {
                agentId: U256::from(agent),
                newURI: format!("ipfs://agent-{agent}-v2"),
            }
            .abi_encode();
            sign(k, 1, IDENTITY_REGISTRY, U256::ZERO, input, 300_000)
        })
        .collect();
    let (b2, invalid) = par.build(1_001, None, uris).expect("block 2");
    assert!(invalid.is_empty());
    let stats = b2.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert_eq!(stats.groups, 20, "{stats:?}");
    let replay: Vec<_> = b2.block.transactions[1..]
        .iter()
        .map(|t| Arc::new(t.clone()))
        .collect();
    let (s2, _) = seq.build(1_001, None, replay).expect("block 2 sequential");
    assert_same(&b2, &s2);
}

#[test]
fn eip7702_delegation_code_is_stored_and_runs_in_the_next_block() {
    use alloy::{consensus::TxEip7702, eips::eip7702::Authorization};
    let senders: Vec<PrivateKeySigner> = (0..2).map(key).collect();
    let spec = spec(&senders);
    for mode in [
        BuilderMode::Sequential,
        BuilderMode::Parallel { threads: 2 },
    ] {
        let (_dir, b) = builder(&spec, mode);
        let authority = &senders[0];
        let auth = Authorization {
            chain_id: U256::from(28004),
            address: COUNTER,
            nonce: 0,
        };
        let sig = authority
            .sign_hash_sync(&auth.signature_hash())
            .expect("sign auth");
        let tx = TxEip7702 {
            chain_id: 28004,
            nonce: 0,
            gas_limit: 200_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: senders[1].address(),
            value: U256::ZERO,
            access_list: Default::default(),
            authorization_list: vec![auth.into_signed(sig)],
            input: Bytes::new(),
        };
        let sig = senders[1]
            .sign_hash_sync(&tx.signature_hash())
            .expect("sign");
        let raw = OpTxEnvelope::Eip7702(tx.into_signed(sig)).encoded_2718();
        let tx = Arc::new(RecoveredTx::decode_user(&raw).expect("decode"));
        let (b1, invalid) = b.build(1_000, None, vec![tx]).expect("delegation block");
        assert!(invalid.is_empty(), "{mode:?}");
        assert_eq!(b1.block.transactions.len(), 2);
        // Calling the authority runs the delegated counter code, loaded from storage.
        let call = sign(
            &senders[1],
            1,
            authority.address(),
            U256::ZERO,
            vec![1],
            100_000,
        );
        let (b2, invalid) = b
            .build(1_001, None, vec![call])
            .expect("the delegated code is found");
        assert!(invalid.is_empty(), "{mode:?}");
        assert!(b2.receipts[1].receipt.status(), "{mode:?}");
    }
}

#[test]
fn a_stale_speculation_is_repaired_by_regrouping() {
    let senders: Vec<PrivateKeySigner> = (0..23).map(key).collect();
    let spec = spec(&senders);
    let (_dir, par) = builder(&spec, BuilderMode::Parallel { threads: 2 });
    let set_z = sign(&senders[0], 0, BRANCH, U256::ZERO, vec![1], 100_000);
    let branch = sign(&senders[1], 0, BRANCH, U256::ZERO, vec![0], 100_000);
    // Learnt while slot 0 is zero: the branch call writes slot 1, apart from the set-z call.
    let learnt = par
        .speculate(&[set_z.clone(), branch.clone()])
        .expect("speculate");
    assert_eq!(learnt, 2);
    // Then slot 0 becomes one, so the branch call will write slot 2, as the set-z call does.
    let set_x = sign(&senders[2], 0, BRANCH, U256::ZERO, vec![2], 100_000);
    let (_, invalid) = par
        .build(1_000, None, vec![set_x.clone()])
        .expect("first block");
    assert!(invalid.is_empty());
    let mut txs = vec![set_z, branch];
    txs.extend(independent_transfers(&senders[3..], 700));
    let (built, invalid) = par.build(1_001, None, txs).expect("second block");
    assert!(invalid.is_empty());
    let stats = built.parallel.clone().expect("stats");
    assert_eq!(stats.fallback, None, "{stats:?}");
    assert_eq!((stats.repairs, stats.escaped), (1, 1), "{stats:?}");
    assert_eq!(
        stats.reexecuted, stats.predicted,
        "one repair round runs every predicted transaction again"
    );
    assert_eq!(built.block.transactions.len(), 23);

    // The same two blocks built by the sequential reference.
    let (_seq_dir, seq) = builder(&spec, BuilderMode::Sequential);
    seq.build(1_000, None, vec![set_x]).expect("first block");
    let again: Vec<Arc<RecoveredTx>> = built.block.transactions[1..]
        .iter()
        .map(|t| Arc::new(t.clone()))
        .collect();
    let (again, invalid) = seq.build(1_001, None, again).expect("sequential rebuild");
    assert!(invalid.is_empty());
    assert_same(&built, &again);
}
