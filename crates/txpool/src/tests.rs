use super::*;
use agnt2_primitives::OpTxEnvelope;
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Bytes, TxKind};

const CHAIN: u64 = 28004;
const BLOCK: BlockInfo = BlockInfo {
    base_fee: 1_000,
    gas_limit: 30_000_000,
};
const RICH: SenderState = SenderState {
    nonce: 0,
    balance: U256::from_limbs([u64::MAX, 0, 0, 0]),
};

fn tx(key: &PrivateKeySigner, nonce: u64, tip: u128) -> RecoveredTx {
    let t = TxEip1559 {
        chain_id: CHAIN,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000 + tip,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(7)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = key.sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = OpTxEnvelope::Eip1559(t.into_signed(sig)).encoded_2718();
    RecoveredTx::decode_user(&raw).unwrap()
}

#[test]
fn orders_by_tip_and_nonce() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let (a, b) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    pool.add(tx(&a, 0, 1), RICH, BLOCK).unwrap();
    pool.add(tx(&a, 1, 100), RICH, BLOCK).unwrap();
    pool.add(tx(&b, 0, 50), RICH, BLOCK).unwrap();
    let order: Vec<_> = pool
        .best_transactions(1_000)
        .iter()
        .map(|t| (t.signer, t.nonce()))
        .collect();
    assert_eq!(
        order,
        vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]
    );
}

#[test]
fn gap_is_queued_until_filled_and_mined_txs_leave() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let a = PrivateKeySigner::random();
    assert_eq!(
        pool.add(tx(&a, 1, 1), RICH, BLOCK).unwrap(),
        AddOutcome::Queued
    );
    assert!(pool.best_transactions(1_000).is_empty());
    assert_eq!(
        pool.add(tx(&a, 0, 1), RICH, BLOCK).unwrap(),
        AddOutcome::Pending
    );
    assert_eq!(pool.best_transactions(1_000).len(), 2);
    assert_eq!(pool.status(), (2, 0));
    pool.on_block([(a.address(), SenderState { nonce: 1, ..RICH })]);
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.pending_nonce(&a.address(), 1), 2);
}

#[test]
fn admission_errors_use_geth_wording() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let a = PrivateKeySigner::random();
    let t = tx(&a, 0, 1);
    pool.add(t.clone(), RICH, BLOCK).unwrap();
    assert_eq!(
        pool.add(t, RICH, BLOCK).unwrap_err().to_string(),
        "already known"
    );
    assert_eq!(
        pool.add(tx(&a, 0, 2), RICH, BLOCK).unwrap_err().to_string(),
        "replacement transaction underpriced"
    );
    assert!(
        pool.add(tx(&a, 0, 2_000), RICH, BLOCK).is_ok(),
        "a 10% bump replaces"
    );
    assert_eq!(pool.len(), 1);
    let low = SenderState {
        nonce: 5,
        balance: RICH.balance,
    };
    assert!(
        pool.add(tx(&a, 1, 1), low, BLOCK)
            .unwrap_err()
            .to_string()
            .starts_with("nonce too low")
    );
    let poor = SenderState {
        nonce: 0,
        balance: U256::from(1),
    };
    let err = pool
        .add(tx(&PrivateKeySigner::random(), 0, 1), poor, BLOCK)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("insufficient funds for gas * price + value")
    );
    let small = BlockInfo {
        base_fee: 1_000_000,
        gas_limit: 30_000_000,
    };
    let err = pool
        .add(tx(&PrivateKeySigner::random(), 0, 1), RICH, small)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("max fee per gas less than block base fee")
    );
}

#[test]
fn full_pool_rejects_equal_fee_and_evicts_cheaper() {
    let mut config = PoolConfig::new(CHAIN);
    config.max_pool_size = 2;
    let pool = Pool::new(config);
    pool.add(tx(&PrivateKeySigner::random(), 0, 5), RICH, BLOCK)
        .unwrap();
    pool.add(tx(&PrivateKeySigner::random(), 0, 10), RICH, BLOCK)
        .unwrap();
    assert_eq!(
        pool.add(tx(&PrivateKeySigner::random(), 0, 5), RICH, BLOCK),
        Err(PoolError::PoolFull)
    );
    pool.add(tx(&PrivateKeySigner::random(), 0, 50), RICH, BLOCK)
        .unwrap();
    assert_eq!(pool.len(), 2);
    assert!(
        pool.best_transactions(1_000)
            .iter()
            .all(|t| t.effective_tip(1_000).unwrap() >= 10)
    );
}

/// A type-2 transfer with every field the attacks below choose.
fn raw_tx(
    key: &PrivateKeySigner,
    nonce: u64,
    fee: u128,
    tip: u128,
    value: U256,
    input: usize,
) -> RecoveredTx {
    let t = TxEip1559 {
        chain_id: CHAIN,
        nonce,
        gas_limit: 21_000 + 16 * input as u64 * 4,
        max_fee_per_gas: fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(7)),
        value,
        access_list: Default::default(),
        input: Bytes::from(vec![1u8; input]),
    };
    let sig = key.sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = OpTxEnvelope::Eip1559(t.into_signed(sig)).encoded_2718();
    RecoveredTx::decode_user(&raw).unwrap()
}

const EMPTY: SenderState = SenderState {
    nonce: 0,
    balance: U256::ZERO,
};

#[test]
fn cost_that_wraps_256_bits_is_unaffordable() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let key = PrivateKeySigner::random();
    let fee = u128::MAX;
    // gas * fee + value wraps to exactly 0 in 256-bit arithmetic.
    let value = U256::ZERO.wrapping_sub(U256::from(21_000u64) * U256::from(fee));
    for nonce in [0, 1] {
        let err = pool
            .add(raw_tx(&key, nonce, fee, fee, value, 0), EMPTY, BLOCK)
            .unwrap_err();
        assert!(
            matches!(err, PoolError::InsufficientFunds { cost, .. } if cost == U256::MAX),
            "{err}"
        );
    }
    assert!(pool.is_empty());
}

#[test]
fn fee_bump_is_checked_without_overflow() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let key = PrivateKeySigner::random();
    let rich = SenderState {
        nonce: 0,
        balance: U256::MAX,
    };
    // 110 * fee wraps u128: the old check let a 1 gwei transaction replace this one.
    let fee = (1u128 << 127) / 55 + 1;
    pool.add(raw_tx(&key, 0, fee, fee, U256::ZERO, 0), rich, BLOCK)
        .unwrap();
    let gwei = 1_000_000_000;
    assert_eq!(
        pool.add(raw_tx(&key, 0, gwei, gwei, U256::ZERO, 0), rich, BLOCK),
        Err(PoolError::ReplacementUnderpriced)
    );
    assert_eq!(pool.len(), 1);
}

#[test]
fn empty_authorization_list_is_refused() {
    use alloy::consensus::TxEip7702;
    let key = PrivateKeySigner::random();
    let t = TxEip7702 {
        chain_id: CHAIN,
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 10_000,
        max_priority_fee_per_gas: 1,
        to: Address::repeat_byte(7),
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: Vec::new(),
        input: Bytes::new(),
    };
    let sig = key.sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = OpTxEnvelope::Eip7702(t.into_signed(sig)).encoded_2718();
    let tx = RecoveredTx::decode_user(&raw).unwrap();
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let err = pool.add(tx, RICH, BLOCK).unwrap_err();
    assert_eq!(err.to_string(), "EIP-7702 transaction with empty auth list");
}

#[test]
fn a_sender_cannot_queue_more_than_its_balance_covers() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let key = PrivateKeySigner::random();
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let one_eth = SenderState {
        nonce: 0,
        balance: eth,
    };
    let spend = eth * U256::from(6u64) / U256::from(10u64);
    pool.add(raw_tx(&key, 0, 10_000, 1, spend, 0), one_eth, BLOCK)
        .unwrap();
    for nonce in 1..10 {
        let err = pool
            .add(raw_tx(&key, nonce, 10_000, 1, spend, 0), one_eth, BLOCK)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("transaction would cause overdraft"),
            "{err}"
        );
    }
    assert_eq!(pool.len(), 1);
}

#[test]
fn queued_transactions_the_balance_no_longer_covers_are_dropped() {
    let pool = Pool::new(PoolConfig::new(CHAIN));
    let key = PrivateKeySigner::random();
    let state = SenderState {
        nonce: 0,
        balance: U256::from(10_000_000_000u64),
    };
    for nonce in [0, 1, 3, 4] {
        pool.add(raw_tx(&key, nonce, 10_000, 1, U256::ZERO, 0), state, BLOCK)
            .unwrap();
    }
    assert_eq!(pool.status(), (2, 2));
    // Nonce 0 mined; the balance now covers one more transaction only.
    let cost = U256::from(21_000u64 * 10_000);
    pool.on_block([(
        key.address(),
        SenderState {
            nonce: 1,
            balance: cost + U256::from(1u64),
        },
    )]);
    assert_eq!(pool.status(), (1, 0));
    assert_eq!(pool.pending_nonce(&key.address(), 1), 2);
}

#[test]
fn queued_transactions_expire_after_the_lifetime() {
    let mut config = PoolConfig::new(CHAIN);
    config.lifetime = Duration::from_secs(60);
    let pool = Pool::new(config);
    let (a, b) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    pool.add(raw_tx(&a, 0, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    pool.add(raw_tx(&a, 2, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    pool.add(raw_tx(&b, 5, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    pool.maintain(Instant::now() + Duration::from_secs(30));
    assert_eq!(pool.status(), (1, 2));
    pool.maintain(Instant::now() + Duration::from_secs(61));
    assert_eq!(pool.status(), (1, 0), "pending transactions do not expire");
}

#[test]
fn queues_are_capped_per_sender_and_in_all() {
    let mut config = PoolConfig::new(CHAIN);
    config.max_account_queued = 3;
    config.max_queued = 3;
    let pool = Pool::new(config);
    let spammer = PrivateKeySigner::random();
    for nonce in 1..=3 {
        pool.add(
            raw_tx(&spammer, nonce, 10_000, 1, U256::ZERO, 0),
            RICH,
            BLOCK,
        )
        .unwrap();
    }
    assert!(matches!(
        pool.add(raw_tx(&spammer, 4, 10_000, 1, U256::ZERO, 0), RICH, BLOCK),
        Err(PoolError::AccountQueueLimit(3))
    ));
    // Filling the gap makes them pending: the queue limit does not bound a pending run.
    pool.add(raw_tx(&spammer, 0, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    pool.add(raw_tx(&spammer, 4, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    let other = PrivateKeySigner::random();
    for nonce in 10..13 {
        pool.add(raw_tx(&other, nonce, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
            .unwrap();
    }
    let third = PrivateKeySigner::random();
    pool.add(raw_tx(&third, 7, 10_000, 1, U256::ZERO, 0), RICH, BLOCK)
        .unwrap();
    // The pool-wide queue is full: the sender holding the most queued lost its last one.
    assert_eq!(pool.status(), (5, 3));
    let (_, queued) = pool.content();
    assert_eq!(queued[&other.address()].len(), 2);
}

#[test]
fn pool_bytes_are_capped_and_queued_bytes_go_first() {
    let mut config = PoolConfig::new(CHAIN);
    config.max_pool_bytes = 100_000;
    let pool = Pool::new(config);
    let spammer = PrivateKeySigner::random();
    for nonce in 1..=3 {
        pool.add(
            raw_tx(&spammer, nonce, 10_000, 5, U256::ZERO, 30_000),
            RICH,
            BLOCK,
        )
        .unwrap();
    }
    let honest = PrivateKeySigner::random();
    pool.add(
        raw_tx(&honest, 0, 10_000, 1, U256::ZERO, 30_000),
        RICH,
        BLOCK,
    )
    .unwrap();
    assert_eq!(pool.status(), (1, 2));
    assert_eq!(pool.best_transactions(1_000)[0].signer, honest.address());
}

#[test]
fn a_replacement_fits_a_full_pool() {
    let mut config = PoolConfig::new(CHAIN);
    config.max_pool_size = 2;
    let pool = Pool::new(config);
    let (a, b) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    pool.add(tx(&a, 0, 50), RICH, BLOCK).unwrap();
    pool.add(tx(&b, 0, 5_000), RICH, BLOCK).unwrap();
    // Full, and `a`'s replacement pays less than `b`: it still takes its own slot.
    pool.add(tx(&a, 0, 2_000), RICH, BLOCK).unwrap();
    assert_eq!(pool.len(), 2);
    assert_eq!(pool.status(), (2, 0));
}
