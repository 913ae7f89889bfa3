//! Whole-block building benchmark: N pre-signed transfers over a state of K accounts, built
//! by the sequential builder into blocks and committed to a real MDBX datadir. Prints TPS and
//! the time per phase (signature recovery, execution, state root, commit).

use std::{sync::Arc, time::Instant};

use agnt2_bench::BenchKey;
use agnt2_builder::{BlockBuilder, init_genesis};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_storage::{Database, DatabaseConfig};
use alloy::consensus::{SignableTransaction, TxEip1559};
use alloy::eips::eip2718::Encodable2718;
use alloy::genesis::GenesisAccount;
use alloy_primitives::{Bytes, TxKind, U256};
use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

#[derive(Debug, Parser)]
#[command(about = "agnt2 whole-block building benchmark (sequential builder)")]
struct Args {
    /// Transfers to build.
    #[arg(long, default_value_t = 100_000)]
    txs: usize,
    /// Accounts in the state (all funded at genesis).
    #[arg(long, default_value_t = 100_000)]
    accounts: u64,
    /// Distinct senders (the first accounts).
    #[arg(long, default_value_t = 5_000)]
    senders: u64,
    /// Block gas limit (1G fits ~47k transfers).
    #[arg(long, default_value_t = 1_000_000_000)]
    gas_limit: u64,
    /// fsync each block commit.
    #[arg(long)]
    durable: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let senders = args.senders.min(args.accounts).max(1);
    let keys: Vec<BenchKey> = (0..senders).into_par_iter().map(BenchKey::nth).collect();
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = args.gas_limit;
    let funded = U256::from(10u128.pow(24));
    for k in &keys {
        spec.genesis.alloc.insert(
            k.address,
            GenesisAccount {
                balance: funded,
                ..Default::default()
            },
        );
    }
    for i in senders..args.accounts {
        let addr = alloy_primitives::Address::from_slice(
            &alloy_primitives::keccak256(i.to_be_bytes())[12..],
        );
        spec.genesis.alloc.insert(
            addr,
            GenesisAccount {
                balance: U256::from(1),
                ..Default::default()
            },
        );
    }
    let chain_id = spec.chain_id;
    let spec = Arc::new(spec);

    // Pre-sign (not timed).
    let mut rng = StdRng::seed_from_u64(42);
    let plan: Vec<(usize, u64, alloy_primitives::Address)> = {
        let mut nonces = vec![0u64; keys.len()];
        (0..args.txs)
            .map(|i| {
                let s = i % keys.len();
                let n = nonces[s];
                nonces[s] += 1;
                let to = alloy_primitives::Address::from_slice(
                    &alloy_primitives::keccak256(rng.random_range(0..args.accounts).to_be_bytes())
                        [12..],
                );
                (s, n, to)
            })
            .collect()
    };
    let raws: Vec<Vec<u8>> = plan
        .par_iter()
        .map(|(s, nonce, to)| {
            let tx = TxEip1559 {
                chain_id,
                nonce: *nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 100_000_000_000,
                max_priority_fee_per_gas: 1_000,
                to: TxKind::Call(*to),
                value: U256::from(1),
                access_list: Default::default(),
                input: Bytes::new(),
            };
            let sig = keys[*s].sign(tx.signature_hash());
            OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718()
        })
        .collect();

    let dir = tempfile::tempdir()?;
    let db = Database::open(
        dir.path(),
        &DatabaseConfig {
            durable: args.durable,
            ..Default::default()
        },
    )?;
    let genesis_started = Instant::now();
    init_genesis(&db, &spec)?;
    let genesis_time = genesis_started.elapsed();

    // Phase 1: signature recovery on all cores (what pool admission does).
    let t = Instant::now();
    let txs: Vec<Arc<RecoveredTx>> = raws
        .par_iter()
        .map(|r| RecoveredTx::decode_user(r).map(Arc::new))
        .collect::<Result<_, _>>()?;
    let recovery = t.elapsed();

    // Phase 2: build blocks.
    let builder = BlockBuilder::new(db, spec.clone(), args.gas_limit);
    let mut remaining: &[Arc<RecoveredTx>] = &txs;
    let (mut exec, mut root, mut commit) = (0.0f64, 0.0f64, 0.0f64);
    let mut blocks = 0;
    let mut included = 0usize;
    let mut ts = 1;
    let build_started = Instant::now();
    while !remaining.is_empty() {
        let per_block = (args.gas_limit / 21_000) as usize - 10;
        let take = remaining.len().min(per_block);
        let (built, invalid) = builder.build(ts, None, remaining[..take].iter().cloned())?;
        eyre::ensure!(
            invalid.is_empty(),
            "{} transactions were invalid",
            invalid.len()
        );
        included += built.block.transactions.len() - 1;
        exec += built.times.execution.as_secs_f64();
        root += built.times.state_root.as_secs_f64();
        commit += built.times.commit.as_secs_f64();
        remaining = &remaining[take..];
        blocks += 1;
        ts += 1;
    }
    let build_total = build_started.elapsed().as_secs_f64();
    eyre::ensure!(included == args.txs, "included {included} of {}", args.txs);
    let tps_block = included as f64 / build_total;
    let tps_with_recovery = included as f64 / (build_total + recovery.as_secs_f64());
    let threads = rayon::current_num_threads();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "bench": "block-bench",
                "workload": "signed-transfers",
                "builder": "sequential",
                "txs": included,
                "accounts": args.accounts,
                "senders": senders,
                "blocks": blocks,
                "gas_limit": args.gas_limit,
                "durable": args.durable,
                "threads": threads,
                "recovery_s": recovery.as_secs_f64(),
                "recovery_per_tx_us": recovery.as_secs_f64() * 1e6 / included as f64,
                "execution_s": exec,
                "state_root_s": root,
                "commit_s": commit,
                "build_total_s": build_total,
                "tps_block": tps_block,
                "tps_with_recovery": tps_with_recovery,
                "gas_per_s": included as f64 * 21_000.0 / build_total,
                "genesis_s": genesis_time.as_secs_f64(),
            })
        );
    } else {
        println!(
            "block-bench: {included} signed transfers, {} accounts, {senders} senders, {blocks} blocks of ≤{} gas",
            args.accounts, args.gas_limit
        );
        println!(
            "  signature recovery ({threads} threads): {:>8.1} ms  ({:.1} µs/tx, {:.0} tx/s)",
            recovery.as_secs_f64() * 1e3,
            recovery.as_secs_f64() * 1e6 / included as f64,
            included as f64 / recovery.as_secs_f64()
        );
        println!("  execution:                  {:>8.1} ms", exec * 1e3);
        println!("  state root:                 {:>8.1} ms", root * 1e3);
        println!(
            "  commit (MDBX{}):       {:>8.1} ms",
            if args.durable { ", fsync" } else { "" },
            commit * 1e3
        );
        println!(
            "  whole block (exec+root+commit+seal): {:.0} TPS, {:.2} Ggas/s",
            tps_block,
            included as f64 * 21_000.0 / build_total / 1e9
        );
        println!(
            "  including recovery:                  {:.0} TPS",
            tps_with_recovery
        );
    }
    Ok(())
}
