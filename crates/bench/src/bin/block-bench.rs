//! Whole-block building benchmark: N pre-signed transfers over a state of K accounts, built
//! by the sequential builder into blocks and committed to a real MDBX datadir. Prints TPS and
//! the time per phase (signature recovery, execution, state root, commit).

use std::{sync::Arc, time::Instant};

use agnt2_bench::BenchKey;
use agnt2_builder::{BlockBuilder, init_genesis_bulk};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_storage::{Database, DatabaseConfig, StoredAccount};
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
    /// At most this many transactions per block (default: as many as the gas limit takes).
    #[arg(long)]
    block_txs: Option<usize>,
    /// `transfers` (ETH between accounts) or `erc20` (one token's `transfer` among `--holders`
    /// holders: one storage trie that large).
    #[arg(long, default_value = "transfers")]
    workload: String,
    /// Blocks of history (change sets) kept, as the node's `--history.blocks`.
    #[arg(long, default_value_t = agnt2_storage::DEFAULT_HISTORY_BLOCKS)]
    history_blocks: u64,
    /// Token holders for `--workload erc20` (bulk-loaded into the token's storage).
    #[arg(long, default_value_t = 1_000_000)]
    holders: u64,
    /// Blocks whose state may be written behind the tip, as the node's `--persist.behind`
    /// (0: every block written to the tables inside its commit).
    #[arg(long, default_value_t = agnt2_storage::DEFAULT_PERSIST_BEHIND)]
    persist_behind: usize,
}

/// Gas limit of one token transfer (it uses about 35k).
const TX_GAS_ERC20: u64 = 60_000;

/// The benchmark token (SimpleToken: `balanceOf` is the mapping at slot 3).
const TOKEN: alloy_primitives::Address =
    alloy_primitives::address!("0x00000000000000000000000000000000000e2c20");

fn balance_slot(holder: alloy_primitives::Address) -> U256 {
    U256::from_be_bytes(
        alloy_primitives::keccak256(
            [
                holder.into_word().as_slice(),
                alloy_primitives::B256::with_last_byte(3).as_slice(),
            ]
            .concat(),
        )
        .0,
    )
}

fn token_holder(i: u64) -> alloy_primitives::Address {
    alloy_primitives::Address::from_slice(
        &alloy_primitives::keccak256([b"holder".as_slice(), &i.to_be_bytes()].concat())[12..],
    )
}

fn token_runtime() -> eyre::Result<Bytes> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/out/SimpleToken.sol/SimpleToken.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).map_err(|e| {
        eyre::eyre!(
            "{}: {e}: run `forge build` in contracts/ first",
            path.display()
        )
    })?)?;
    Ok(Bytes::from(alloy_primitives::hex::decode(
        json["deployedBytecode"]["object"]
            .as_str()
            .ok_or_else(|| eyre::eyre!("no deployedBytecode"))?,
    )?))
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let senders = args.senders.min(args.accounts).max(1);
    let keys: Vec<BenchKey> = (0..senders).into_par_iter().map(BenchKey::nth).collect();
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = args.gas_limit;
    let erc20 = match args.workload.as_str() {
        "transfers" => false,
        "erc20" => true,
        other => eyre::bail!("unknown --workload {other:?} (transfers, erc20)"),
    };
    let funded = U256::from(10u128.pow(24));
    if erc20 {
        let storage = keys
            .iter()
            .map(|k| {
                (
                    alloy_primitives::B256::from(balance_slot(k.address)),
                    alloy_primitives::B256::from(U256::from(1_000_000_000u64)),
                )
            })
            .collect();
        spec.genesis.alloc.insert(
            TOKEN,
            GenesisAccount {
                code: Some(token_runtime()?),
                storage: Some(storage),
                ..Default::default()
            },
        );
    }
    for k in &keys {
        spec.genesis.alloc.insert(
            k.address,
            GenesisAccount {
                balance: funded,
                ..Default::default()
            },
        );
    }
    // The other accounts are loaded in bulk (sorted, streamed), not through the spec.
    let holder = |i: u64| {
        (
            alloy_primitives::Address::from_slice(
                &alloy_primitives::keccak256((senders + i).to_be_bytes())[12..],
            ),
            StoredAccount {
                nonce: 0,
                balance: U256::from(1),
                code_hash: alloy_primitives::KECCAK256_EMPTY,
                storage_root: agnt2_storage::EMPTY_ROOT,
            },
        )
    };
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
                let to = if erc20 {
                    token_holder(rng.random_range(0..args.holders))
                } else {
                    alloy_primitives::Address::from_slice(
                        &alloy_primitives::keccak256(
                            rng.random_range(0..args.accounts).to_be_bytes(),
                        )[12..],
                    )
                };
                (s, n, to)
            })
            .collect()
    };
    let raws: Vec<Vec<u8>> = plan
        .par_iter()
        .map(|(s, nonce, to)| {
            let (to, value, gas_limit, input) = if erc20 {
                let mut input =
                    alloy_primitives::keccak256("transfer(address,uint256)")[..4].to_vec();
                input.extend_from_slice(to.into_word().as_slice());
                input.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
                (TOKEN, U256::ZERO, TX_GAS_ERC20, Bytes::from(input))
            } else {
                (*to, U256::from(1), 21_000, Bytes::new())
            };
            let tx = TxEip1559 {
                chain_id,
                nonce: *nonce,
                gas_limit,
                max_fee_per_gas: 100_000_000_000,
                max_priority_fee_per_gas: 1_000,
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input,
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
            history_blocks: Some(args.history_blocks),
            persist_behind: args.persist_behind,
            ..Default::default()
        },
    )?;
    let genesis_started = Instant::now();
    if erc20 {
        db.bulk_load_storage(TOKEN, args.holders, |i| {
            (balance_slot(token_holder(i)), U256::from(1_000u64))
        })?;
    }
    init_genesis_bulk(&db, &spec, args.accounts.saturating_sub(senders), holder)?;
    db.flush()?;
    let genesis_time = genesis_started.elapsed();
    let genesis_rss = agnt2_bench::peak_rss_bytes();

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
    let mut gas_used = 0u64;
    let mut ts = 1;
    let build_started = Instant::now();
    while !remaining.is_empty() {
        let per_block = (args.gas_limit / if erc20 { TX_GAS_ERC20 } else { 21_000 }) as usize - 10;
        let take = remaining
            .len()
            .min(per_block)
            .min(args.block_txs.unwrap_or(usize::MAX));
        let (built, invalid) = builder.build(ts, None, remaining[..take].iter().cloned())?;
        eyre::ensure!(
            invalid.is_empty(),
            "{} transactions were invalid",
            invalid.len()
        );
        included += built.block.transactions.len() - 1;
        gas_used += built.block.header.gas_used;
        exec += built.times.execution.as_secs_f64();
        root += built.times.state_root.as_secs_f64();
        commit += built.times.commit.as_secs_f64();
        remaining = &remaining[take..];
        blocks += 1;
        ts += 1;
    }
    // The run ends when the last block's state is in the tables, so the figure is the
    // steady-state rate, not how fast blocks enter the journal.
    let sealed = build_started.elapsed().as_secs_f64();
    db.flush()?;
    let build_total = build_started.elapsed().as_secs_f64();
    let drain = build_total - sealed;
    let db_bytes: u64 = db.table_stats()?.iter().map(|t| t.bytes).sum();
    let file_bytes = std::fs::metadata(dir.path().join("mdbx.dat")).map_or(0, |m| m.len());
    let peak_rss = agnt2_bench::peak_rss_bytes();
    eyre::ensure!(included == args.txs, "included {included} of {}", args.txs);
    let tps_block = included as f64 / build_total;
    let tps_with_recovery = included as f64 / (build_total + recovery.as_secs_f64());
    let threads = rayon::current_num_threads();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "bench": "block-bench",
                "workload": if erc20 { "erc20-transfers" } else { "signed-transfers" },
                "holders": erc20.then_some(args.holders),
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
                "persist_behind": args.persist_behind,
                "final_persist_wait_s": drain,
                "build_total_s": build_total,
                "tps_block": tps_block,
                "tps_with_recovery": tps_with_recovery,
                "gas_per_s": gas_used as f64 / build_total,
                "genesis_s": genesis_time.as_secs_f64(),
                "genesis_peak_rss_bytes": genesis_rss,
                "db_bytes": db_bytes,
                "db_file_bytes": file_bytes,
                "peak_rss_bytes": peak_rss,
            })
        );
    } else {
        println!(
            "block-bench: {included} signed {}, {} accounts{}, {senders} senders, {blocks} blocks of ≤{} gas",
            if erc20 {
                "token transfers"
            } else {
                "transfers"
            },
            args.accounts,
            if erc20 {
                format!(", {} token holders", args.holders)
            } else {
                String::new()
            },
            args.gas_limit
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
            "  commit ({}{}):    {:>8.1} ms",
            if args.persist_behind == 0 {
                "MDBX"
            } else {
                "journal, waits for the persister"
            },
            if args.durable { ", fsync" } else { "" },
            commit * 1e3
        );
        println!(
            "  last blocks' persist after sealing: {:>8.1} ms",
            drain * 1e3
        );
        println!(
            "  whole block (exec+root+commit+seal, until persisted): {:.0} TPS, {:.2} Ggas/s",
            tps_block,
            gas_used as f64 / build_total / 1e9
        );
        println!(
            "  including recovery:                  {:.0} TPS",
            tps_with_recovery
        );
        println!(
            "  genesis: {:.1} s (peak RSS {:.0} MB); after the run: tables {:.0} MB, mdbx.dat {:.0} MB, peak RSS {:.0} MB",
            genesis_time.as_secs_f64(),
            genesis_rss as f64 / 1e6,
            db_bytes as f64 / 1e6,
            file_bytes as f64 / 1e6,
            peak_rss as f64 / 1e6
        );
    }
    Ok(())
}
