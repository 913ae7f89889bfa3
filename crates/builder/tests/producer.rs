//! The block loop without a process: it seals blocks on its interval, takes the pool's
//! transactions, settles the pool and announces every block, for both builders.

mod common;

use std::{sync::Arc, time::Duration};

use agnt2_builder::{BlockBuilder, BuilderMode, DevPayloads, produce_blocks};
use agnt2_chain_state::CanonStateNotifier;
use agnt2_primitives::ChainSpec;
use agnt2_txpool::{BlockInfo, Pool, PoolConfig, SenderState};
use alloy::{genesis::GenesisAccount, signers::local::PrivateKeySigner};
use alloy_primitives::U256;

async fn run(mode: BuilderMode) {
    let key = PrivateKeySigner::random();
    let mut spec = ChainSpec::dev();
    spec.genesis.alloc.insert(
        key.address(),
        GenesisAccount {
            balance: U256::from(10u128.pow(20)),
            ..Default::default()
        },
    );
    let spec = Arc::new(spec);
    let (_dir, db) = common::temp_chain(&spec);
    let builder = BlockBuilder::new(db, spec.clone(), 30_000_000)
        .with_mode(mode)
        .expect("mode");
    let pool = Arc::new(Pool::new(PoolConfig::new(spec.chain_id)));
    let state = SenderState {
        nonce: 0,
        balance: U256::from(10u128.pow(20)),
    };
    let info = BlockInfo {
        base_fee: 1_000_000_000,
        gas_limit: builder.max_tx_gas(),
    };
    for nonce in 0..5 {
        pool.add(common::transfer(&key, spec.chain_id, nonce), state, info)
            .expect("admitted");
    }
    let notifier = CanonStateNotifier::default();
    let mut announced = notifier.subscribe(16);
    let task = tokio::spawn(produce_blocks(
        builder.clone(),
        pool.clone(),
        notifier.clone(),
        DevPayloads,
        Duration::from_millis(20),
    ));
    let first = tokio::time::timeout(Duration::from_secs(30), announced.recv())
        .await
        .expect("a block within 30 s")
        .expect("announced");
    let first = first.committed_chain().expect("committed").tip().clone();
    assert_eq!(first.block.number(), 1);
    // The deposit, then the five transfers in nonce order.
    let nonces: Vec<u64> = first
        .block
        .transactions
        .iter()
        .filter(|t| !t.is_deposit())
        .map(|t| alloy::consensus::Transaction::nonce(&t.envelope))
        .collect();
    assert_eq!(nonces, vec![0, 1, 2, 3, 4]);
    assert!(pool.is_empty(), "the pool let go of what the block mined");
    // The loop keeps its interval and announces every block, empty ones too.
    for expected in 2..=4 {
        let b = tokio::time::timeout(Duration::from_secs(30), announced.recv())
            .await
            .expect("a block within 30 s")
            .expect("announced");
        assert_eq!(b.tip().number, expected);
    }
    // The head block's deposit is what a pool transaction cannot use.
    assert!(builder.max_tx_gas() < 30_000_000 && builder.max_tx_gas() > 29_900_000);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_seals_pool_transactions_sequential() {
    run(BuilderMode::Sequential).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_seals_pool_transactions_parallel() {
    run(BuilderMode::Parallel { threads: 2 }).await;
}
