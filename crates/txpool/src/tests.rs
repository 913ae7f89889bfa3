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
    pool.on_block([(a.address(), 1)]);
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
