//! Payload attributes drive a build, for both builders: the L1-attributes deposit first, then
//! the forced deposits in order (a failing one still mints and bumps its nonce), then pool
//! transactions unless `no_tx_pool`; gas limit, fee recipient and EIP-1559 parameters land in
//! the header; a wrong parent or a deposit that cannot fit refuses the block and writes nothing.

mod common;

use std::sync::Arc;

use agnt2_builder::{BlockBuilder, BuildError, BuilderMode, ForcedTxError, PayloadAttributes};
use agnt2_evm::L1Origin;
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_storage::StateProvider;
use alloy::{genesis::GenesisAccount, signers::local::PrivateKeySigner};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use op_alloy::consensus::TxDeposit;

/// Code that always reverts (PUSH0 PUSH0 REVERT).
const REVERTER: Address = address!("0x00000000000000000000000000000000000fa11e");
const ETH: u128 = 1_000_000_000_000_000_000;

fn deposit(n: u8, from: Address, to: Address, mint: u128, value: u128, gas: u64) -> RecoveredTx {
    let tx = TxDeposit {
        source_hash: B256::repeat_byte(n),
        from,
        to: TxKind::Call(to),
        mint,
        value: U256::from(value),
        gas_limit: gas,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    RecoveredTx::from_parts(OpTxEnvelope::from(tx), from)
}

fn chain(key: &PrivateKeySigner) -> Arc<ChainSpec> {
    let mut spec = ChainSpec::dev();
    spec.genesis.alloc.insert(
        key.address(),
        GenesisAccount {
            balance: U256::from(ETH),
            ..Default::default()
        },
    );
    spec.genesis.alloc.insert(
        REVERTER,
        GenesisAccount {
            code: Some(Bytes::from_static(&[0x5f, 0x5f, 0xfd])),
            ..Default::default()
        },
    );
    Arc::new(spec)
}

fn origin() -> L1Origin {
    L1Origin {
        number: 7,
        timestamp: 1_000,
        base_fee: U256::from(3u64),
        blob_base_fee: U256::from(1u64),
        hash: B256::repeat_byte(0x11),
        ..Default::default()
    }
}

fn run(mode: BuilderMode) -> B256 {
    let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x33)).expect("key");
    let spec = chain(&key);
    let (_dir, db) = common::temp_chain(&spec);
    let builder = BlockBuilder::new(db, spec.clone(), 30_000_000)
        .with_mode(mode)
        .expect("mode");
    let (alice, bob, carol) = (
        Address::repeat_byte(0xa1),
        Address::repeat_byte(0xb0),
        Address::repeat_byte(0xc0),
    );
    let ok = deposit(1, alice, bob, ETH / 2, ETH / 4, 100_000);
    let failing = deposit(2, carol, REVERTER, 2 * ETH, ETH, 100_000);
    let genesis = db.block_hash(0).unwrap().unwrap();
    let attrs = PayloadAttributes {
        parent: Some(genesis),
        timestamp: 1_002,
        strict_timestamp: true,
        l1_origin: Some(origin()),
        sequence_number: 2,
        transactions: vec![ok.clone(), failing.clone()],
        gas_limit: Some(25_000_000),
        fee_recipient: Some(Address::repeat_byte(0xfe)),
        eip1559_params: Some((100, 4)),
        ..Default::default()
    };
    let pool_tx = Arc::new(common::transfer(&key, spec.chain_id, 0));
    let (built, invalid) = builder
        .build_payload(&attrs, vec![pool_tx.clone()])
        .expect("build");
    assert!(invalid.is_empty());
    let b = &built.block;
    let hashes: Vec<B256> = b.transactions.iter().map(|t| t.hash).collect();
    assert_eq!(hashes[1..], [ok.hash, failing.hash, pool_tx.hash]);
    assert!(
        b.transactions[0].is_deposit(),
        "the L1-attributes deposit opens the block"
    );
    assert_eq!(b.header.gas_limit, 25_000_000);
    assert_eq!(b.header.beneficiary, Address::repeat_byte(0xfe));
    assert_eq!(b.header.timestamp, 1_002);
    assert_eq!(&b.header.extra_data[..], &[0, 0, 0, 0, 100, 0, 0, 0, 4]);

    let state = db.latest().unwrap();
    let acc = |a: &Address| state.account(a).unwrap().unwrap_or_default();
    // The good deposit minted to alice and moved value to bob.
    assert_eq!(acc(&alice).balance, U256::from(ETH / 4));
    assert_eq!(acc(&alice).nonce, 1);
    assert_eq!(acc(&bob).balance, U256::from(ETH / 4));
    // The failing one: status 0, the mint stays, the value does not move, the nonce is bumped.
    assert!(!built.receipts[2].receipt.status());
    assert!(built.receipts[1].receipt.status());
    assert_eq!(acc(&carol).balance, U256::from(2 * ETH));
    assert_eq!(acc(&carol).nonce, 1);
    assert_eq!(acc(&REVERTER).balance, U256::ZERO);

    // The next block's base fee follows the parameters the parent's extraData carries.
    let (next, _) = builder.next_block_env(1_003).unwrap();
    let expected = agnt2_builder::next_base_fee_with(
        100,
        4,
        b.header.gas_used,
        b.header.gas_limit,
        b.header.base_fee_per_gas.unwrap(),
    );
    assert_eq!(next.base_fee, expected);

    // no_tx_pool: forced transactions only.
    let key2 = PrivateKeySigner::random();
    let attrs2 = PayloadAttributes {
        parent: Some(b.hash),
        timestamp: 1_004,
        no_tx_pool: true,
        ..Default::default()
    };
    let (only_forced, _) = builder
        .build_payload(
            &attrs2,
            vec![Arc::new(common::transfer(&key2, spec.chain_id, 0))],
        )
        .expect("no_tx_pool block");
    assert_eq!(only_forced.block.transactions.len(), 1);

    // A stale parent is refused; so is a deposit that cannot fit. Neither writes anything.
    let head = db.head().unwrap();
    let err = builder
        .build_payload(&attrs2, Vec::new())
        .expect_err("stale parent");
    assert!(matches!(err, BuildError::ParentMismatch { .. }), "{err}");
    let too_big = PayloadAttributes {
        timestamp: 1_006,
        gas_limit: Some(1_000_000),
        transactions: vec![deposit(3, alice, bob, 0, 0, 2_000_000)],
        ..Default::default()
    };
    let err = builder
        .build_payload(&too_big, Vec::new())
        .expect_err("deposit over the gas limit");
    assert!(
        matches!(
            err,
            BuildError::Forced {
                index: 1,
                reason: ForcedTxError::DoesNotFit,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(db.head().unwrap(), head);
    b.header.state_root
}

#[test]
fn attributes_drive_both_builders_to_the_same_block() {
    let sequential = run(BuilderMode::Sequential);
    let parallel = run(BuilderMode::Parallel { threads: 2 });
    assert_eq!(sequential, parallel);
}
