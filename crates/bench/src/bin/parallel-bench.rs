//! The parallel block builder against the sequential one, in one invocation, on pevm-shaped
//! 1-gigagas workloads plus agnt2's own: raw transfers, ERC-20 transfers among many holders,
//! agent-registry feedback, one hot contract every transaction writes, and a transfer mix with a
//! configurable conflict ratio. Each row builds one block on a fresh MDBX datadir with the real
//! builder and reports execution-only and whole-block (execution + state root + commit) figures.
//! Signatures are recovered before building (as pool admission does); the machine's recovery
//! rate on all cores is printed next to the rows. Contract calls are executed speculatively
//! before building too (also admission work, `spec` in the table, not counted in block time).

use std::{sync::Arc, time::Instant};

use agnt2_bench::BenchKey;
use agnt2_builder::{BlockBuilder, BuilderMode, BuiltBlock, init_genesis};
use agnt2_precompiles::{
    IDENTITY_REGISTRY, REPUTATION_REGISTRY,
    abi::{IIdentityRegistry, IReputationRegistry},
};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_storage::{Database, DatabaseConfig};
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    genesis::GenesisAccount,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_sol_types::SolCall;
use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "Parallel against sequential block building on 1-gigagas workloads")]
struct Args {
    /// Block gas limit of every measured block.
    #[arg(long, default_value_t = 1_000_000_000)]
    gas_limit: u64,
    /// Share of the mix workload's transfers that go to one hot account.
    #[arg(long, default_value_t = 0.3)]
    conflict_ratio: f64,
    /// Pools of the swap workload.
    #[arg(long, default_value_t = 1_000)]
    pools: u64,
    /// Only run workloads whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Builds per row; the row reports the median (this 2-vCPU machine is noisy).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print one JSON object per row.
    #[arg(long)]
    json: bool,
}

const TOKEN: Address = address!("0x00000000000000000000000000000000000e2c20");
const COUNTER: Address = address!("0x00000000000000000000000000000000c0ffee01");
const AMM: Address = address!("0x0000000000000000000000000000000000a3a3a3");
/// PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP
const COUNTER_CODE: [u8; 10] = [0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x00];
const CHAIN_ID: u64 = 28004;

struct Workload {
    name: String,
    alloc: Vec<(Address, GenesisAccount)>,
    /// Blocks built (sequentially, unmeasured) before the measured one.
    setup: Vec<Vec<Arc<RecoveredTx>>>,
    txs: Vec<Vec<u8>>,
}

fn sign(key: &BenchKey, nonce: u64, to: Address, value: U256, input: Vec<u8>, gas: u64) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = key.sign(tx.signature_hash());
    OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718()
}

fn funded(keys: &[BenchKey]) -> Vec<(Address, GenesisAccount)> {
    keys.iter()
        .map(|k| {
            (
                k.address,
                GenesisAccount {
                    balance: U256::from(10u128.pow(22)),
                    ..Default::default()
                },
            )
        })
        .collect()
}

fn keys(n: usize) -> Vec<BenchKey> {
    (0..n as u64).into_par_iter().map(BenchKey::nth).collect()
}

fn addr(tag: &str, i: u64) -> Address {
    Address::from_slice(&keccak256([tag.as_bytes(), &i.to_be_bytes()].concat())[12..])
}

/// Gives back a finished build's data file. The environment stays open for the process (the
/// node opens one per process), so deleting the directory would not free the file: its pages
/// would stay cached and keep being written back to disk by the kernel during later builds,
/// stealing the second core from them (and only from the parallel builder, which needs it).
/// Cutting the file to nothing drops those pages; nothing touches the environment again.
fn release_datadir(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "dat")
            && let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path)
        {
            let _ = file.set_len(0);
        }
    }
}

/// How well this machine runs two threads at once right now: the same memory-heavy job (fill a
/// hash map) once alone and then twice side by side, sharing nothing; 2.0 is perfect. Cloud
/// vCPUs drift (a sibling hyperthread, a busy neighbour), so each workload prints its own
/// figure next to its speedups.
fn two_thread_scaling() -> f64 {
    fn job() -> usize {
        let mut m = std::collections::HashMap::new();
        for i in 0..400_000u64 {
            m.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), [i as u8; 48]);
        }
        m.len()
    }
    let started = Instant::now();
    std::hint::black_box(job());
    let one = started.elapsed().as_secs_f64();
    let started = Instant::now();
    std::thread::scope(|s| {
        let a = s.spawn(job);
        std::hint::black_box(job());
        let _ = a.join();
    });
    2.0 * one / started.elapsed().as_secs_f64()
}

fn recover(raws: &[Vec<u8>]) -> eyre::Result<Vec<Arc<RecoveredTx>>> {
    Ok(raws
        .par_iter()
        .map(|r| RecoveredTx::decode_user(r).map(Arc::new))
        .collect::<Result<_, _>>()?)
}

fn raw_transfers(gas_limit: u64, hot_ratio: f64, name: &str) -> Workload {
    let n = ((gas_limit - 200_000) / 21_000) as usize;
    let k = keys(n);
    let mut rng = StdRng::seed_from_u64(7);
    let hot = addr("hot", 0);
    let txs = k
        .par_iter()
        .enumerate()
        .map(|(i, key)| {
            let mut r = StdRng::seed_from_u64(i as u64);
            let to = if r.random_bool(hot_ratio.clamp(0.0, 1.0)) {
                hot
            } else {
                addr("to", r.random_range(0..1_000_000))
            };
            sign(key, 0, to, U256::from(1), vec![], 21_000)
        })
        .collect();
    let _ = rng.random::<u8>();
    Workload {
        name: name.into(),
        alloc: funded(&k),
        setup: Vec::new(),
        txs,
    }
}

fn erc20_transfers(gas_limit: u64) -> eyre::Result<Workload> {
    let n = (gas_limit / 36_000) as usize;
    let holders = keys(n);
    let code = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../contracts/out/SimpleToken.sol/SimpleToken.json"),
    )
    .map_err(|e| eyre::eyre!("{e}: run `forge build` in contracts/ first"))?;
    let json: serde_json::Value = serde_json::from_slice(&code)?;
    let runtime = alloy_primitives::hex::decode(
        json["deployedBytecode"]["object"]
            .as_str()
            .ok_or_else(|| eyre::eyre!("no deployedBytecode"))?,
    )?;
    // balanceOf is the mapping at slot 3.
    let mut storage = std::collections::BTreeMap::new();
    for h in &holders {
        let slot =
            keccak256([h.address.into_word().as_slice(), &B256::with_last_byte(3).0].concat());
        storage.insert(slot, B256::from(U256::from(1_000_000u64)));
    }
    let mut alloc = funded(&holders);
    alloc.push((
        TOKEN,
        GenesisAccount {
            code: Some(Bytes::from(runtime)),
            storage: Some(storage),
            ..Default::default()
        },
    ));
    let txs = holders
        .par_iter()
        .enumerate()
        .map(|(i, key)| {
            // Holders pay each other in pairs (0 and 1, 2 and 3, ...): no chains.
            let partner = (i ^ 1).min(holders.len() - 1);
            let to = holders[partner].address;
            let mut input = keccak256("transfer(address,uint256)")[..4].to_vec();
            input.extend_from_slice(to.into_word().as_slice());
            input.extend_from_slice(&B256::from(U256::from(1)).0);
            sign(key, 0, TOKEN, U256::ZERO, input, 60_000)
        })
        .collect();
    Ok(Workload {
        name: "erc20-transfers".into(),
        alloc,
        setup: Vec::new(),
        txs,
    })
}

fn contract_runtime(name: &str) -> eyre::Result<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../contracts/out/{name}.sol/{name}.json"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).map_err(|e| {
        eyre::eyre!(
            "{}: {e}: run `forge build` in contracts/ first",
            path.display()
        )
    })?)?;
    Ok(alloy_primitives::hex::decode(
        json["deployedBytecode"]["object"]
            .as_str()
            .ok_or_else(|| eyre::eyre!("no deployedBytecode in {}", path.display()))?,
    )?)
}

/// Uniswap-style swaps: random traders on random pools of one constant-product AMM.
fn swaps(gas_limit: u64, pools: u64) -> eyre::Result<Workload> {
    let n = (gas_limit / 60_000) as usize;
    let traders = keys(n);
    // pools[id] lives at keccak256(id . 0): reserve1 << 128 | reserve0.
    let reserve = U256::from(10u128.pow(24));
    let mut storage = std::collections::BTreeMap::new();
    for id in 0..pools {
        let slot = keccak256([B256::from(U256::from(id)).0, B256::ZERO.0].concat());
        storage.insert(slot, B256::from((reserve << 128) | reserve));
    }
    let mut alloc = funded(&traders);
    alloc.push((
        AMM,
        GenesisAccount {
            code: Some(Bytes::from(contract_runtime("SimpleAmm")?)),
            storage: Some(storage),
            ..Default::default()
        },
    ));
    let txs = traders
        .par_iter()
        .enumerate()
        .map(|(i, key)| {
            let mut r = StdRng::seed_from_u64(1_000 + i as u64);
            let mut input = keccak256("swap(uint256,bool,uint256,uint256)")[..4].to_vec();
            input.extend_from_slice(&B256::from(U256::from(r.random_range(0..pools))).0);
            input.extend_from_slice(&B256::from(U256::from(r.random_bool(0.5) as u8)).0);
            input.extend_from_slice(&B256::from(U256::from(1_000_000u64 + i as u64)).0);
            input.extend_from_slice(&B256::ZERO.0);
            sign(key, 0, AMM, U256::ZERO, input, 120_000)
        })
        .collect();
    Ok(Workload {
        name: format!("amm-swaps-{pools}-pools"),
        alloc,
        setup: Vec::new(),
        txs,
    })
}

fn agent_feedback(gas_limit: u64) -> eyre::Result<Workload> {
    let n = (gas_limit / 60_000) as usize;
    let owners = keys(n);
    let clients: Vec<BenchKey> = (0..n as u64)
        .into_par_iter()
        .map(|i| BenchKey::nth(1_000_000 + i))
        .collect();
    let register: Vec<Vec<u8>> = owners
        .par_iter()
        .map(|k| {
            let input = IIdentityRegistry::register_1Call {
                agentURI: "ipfs://bafy-agent-card".into(),
            }
            .abi_encode();
            sign(k, 0, IDENTITY_REGISTRY, U256::ZERO, input, 200_000)
        })
        .collect();
    // Agent ids follow registration order, which is the owners' order in the setup block.
    let txs = clients
        .par_iter()
        .enumerate()
        .map(|(i, k)| {
            let input = IReputationRegistry::giveFeedbackCall {
                agentId: U256::from(i),
                value: 90,
                valueDecimals: 0,
                tag1: "quality".into(),
                tag2: String::new(),
                endpoint: String::new(),
                feedbackURI: String::new(),
                feedbackHash: B256::ZERO,
            }
            .abi_encode();
            // A limit like eth_estimateGas plus a margin: the parallel builder reserves limits.
            sign(k, 0, REPUTATION_REGISTRY, U256::ZERO, input, 80_000)
        })
        .collect();
    let mut alloc = funded(&owners);
    alloc.extend(funded(&clients));
    Ok(Workload {
        name: "agent-feedback".into(),
        alloc,
        setup: vec![recover(&register)?],
        txs,
    })
}

fn hot_contract(gas_limit: u64) -> Workload {
    let n = (gas_limit / 30_000) as usize;
    let k = keys(n);
    let txs = k
        .par_iter()
        .map(|key| sign(key, 0, COUNTER, U256::ZERO, vec![], 60_000))
        .collect();
    let mut alloc = funded(&k);
    alloc.push((
        COUNTER,
        GenesisAccount {
            code: Some(Bytes::from_static(&COUNTER_CODE)),
            ..Default::default()
        },
    ));
    Workload {
        name: "hot-contract".into(),
        alloc,
        setup: Vec::new(),
        txs,
    }
}

struct Row {
    built: BuiltBlock,
    txs: usize,
    gas: u64,
    /// Speculative execution of contract calls, done at pool admission (not in the block time).
    speculation_s: f64,
    learnt: usize,
}

fn run(
    w: &Workload,
    txs: &[Arc<RecoveredTx>],
    gas_limit: u64,
    mode: BuilderMode,
    workers: &Arc<rayon::ThreadPool>,
) -> eyre::Result<Row> {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = gas_limit;
    for (a, acc) in &w.alloc {
        spec.genesis.alloc.insert(*a, acc.clone());
    }
    let spec = Arc::new(spec);
    let dir = tempfile::tempdir()?;
    // Environments live for the process (the node opens one); each reserves its maximum size
    // of address space, so the many datadirs of one run get a smaller bound than the default.
    let config = DatabaseConfig {
        max_size: 1 << 36,
        ..DatabaseConfig::default()
    };
    let db = Database::open(dir.path(), &config)?;
    init_genesis(&db, &spec)?;
    let setup = BlockBuilder::new(db, spec.clone(), gas_limit);
    let mut ts = 1;
    for block in &w.setup {
        let (built, invalid) = setup.build(ts, None, block.iter().cloned())?;
        eyre::ensure!(
            invalid.is_empty(),
            "{}: setup had invalid transactions",
            w.name
        );
        eyre::ensure!(
            built.block.transactions.len() == block.len() + 1,
            "{}: setup block incomplete",
            w.name
        );
        ts += 1;
    }
    let builder = BlockBuilder::new(db, spec, gas_limit)
        .with_mode(mode)?
        .with_workers(workers.clone());
    let started = Instant::now();
    let learnt = builder.speculate(txs)?;
    let speculation_s = started.elapsed().as_secs_f64();
    let (built, invalid) = builder.build(ts, None, txs.iter().cloned())?;
    eyre::ensure!(
        invalid.is_empty(),
        "{}: {} invalid transactions",
        w.name,
        invalid.len()
    );
    drop(builder);
    release_datadir(dir.path());
    let included = built.block.transactions.len() - 1;
    let gas = built.block.header.gas_used;
    Ok(Row {
        built,
        txs: included,
        gas,
        speculation_s,
        learnt,
    })
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    // `RUST_LOG=agnt2_builder=debug` shows the parallel builder's phase timings.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let g = args.gas_limit;
    let mut workloads = vec![
        raw_transfers(g, 0.0, "raw-transfers"),
        erc20_transfers(g)?,
        swaps(g, args.pools)?,
        agent_feedback(g)?,
        hot_contract(g),
        raw_transfers(
            g,
            args.conflict_ratio,
            &format!("mix-conflict-{:.2}", args.conflict_ratio),
        ),
    ];
    if let Some(only) = &args.only {
        workloads.retain(|w| w.name.contains(only.as_str()));
    }
    let threads = rayon::current_num_threads();
    if !args.json {
        println!(
            "parallel-bench: gas limit {g}, fresh MDBX datadir per build, median of {} builds per row, {threads} cores",
            args.runs
        );
        println!(
            "{:<20} {:<14} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8}  groups/bins/tail",
            "workload",
            "builder",
            "txs",
            "exec ms",
            "root ms",
            "commit ms",
            "total ms",
            "exec TPS",
            "x exec",
            "x block",
            "re-exec",
        );
    }
    // One worker pool per thread count for the whole run, as a node keeps one: a fresh pool
    // per build would start every block on cold threads.
    let pool = |n: usize| -> eyre::Result<Arc<rayon::ThreadPool>> {
        Ok(Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("agnt2-exec-{i}"))
                .build()?,
        ))
    };
    let (one_worker, workers) = (pool(1)?, pool(2)?);
    for w in &workloads {
        let started = Instant::now();
        let txs = recover(&w.txs)?;
        let recovery = started.elapsed().as_secs_f64();
        let scaling = two_thread_scaling();
        let modes = [
            ("sequential", BuilderMode::Sequential),
            ("parallel-1", BuilderMode::Parallel { threads: 1 }),
            ("parallel-2", BuilderMode::Parallel { threads: 2 }),
        ];
        // Builders take turns run by run, so a slow spell of this shared machine hits them
        // alike instead of one builder's whole series.
        let mut series: Vec<Vec<Row>> = modes.iter().map(|_| Vec::new()).collect();
        for _ in 0..args.runs.max(1) {
            for ((_, mode), rows) in modes.iter().zip(series.iter_mut()) {
                let workers = match mode {
                    BuilderMode::Parallel { threads: 1 } => &one_worker,
                    _ => &workers,
                };
                rows.push(run(w, &txs, g, *mode, workers)?);
            }
        }
        // Speedups compare throughput: a builder that reserves gas limits may include fewer.
        let mut base: Option<(f64, f64)> = None;
        for ((label, _), mut rows) in modes.into_iter().zip(series) {
            rows.sort_by_key(|a| a.built.times.execution);
            let row = rows.swap_remove(rows.len() / 2);
            let t = row.built.times;
            let exec = t.execution.as_secs_f64();
            let total = exec + t.state_root.as_secs_f64() + t.commit.as_secs_f64();
            let (tps_exec, tps_block) = (row.txs as f64 / exec, row.txs as f64 / total);
            let (seq_tps_exec, seq_tps_block) = *base.get_or_insert((tps_exec, tps_block));
            let stats = row.built.parallel.clone();
            // Executions beyond each transaction's first (a repair round, or a sequential
            // rebuild after the bins ran), over the block's transactions.
            let re_exec = stats
                .as_ref()
                .map_or(0.0, |s| s.reexecuted as f64 / row.txs.max(1) as f64);
            let shape = stats.as_ref().map_or("-".to_string(), |s| {
                format!(
                    "{}/{}/{}{}",
                    s.groups,
                    s.bins,
                    s.tail,
                    s.fallback.map(|f| format!(" ({f})")).unwrap_or_default()
                )
            });
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "bench": "parallel-bench",
                        "workload": w.name,
                        "builder": label,
                        "txs": row.txs,
                        "gas": row.gas,
                        "execution_s": exec,
                        "state_root_s": t.state_root.as_secs_f64(),
                        "commit_s": t.commit.as_secs_f64(),
                        "block_s": total,
                        "tps_execution": tps_exec,
                        "tps_block": tps_block,
                        "gas_per_s_execution": row.gas as f64 / exec,
                        "speedup": tps_exec / seq_tps_exec,
                        "speedup_block": tps_block / seq_tps_block,
                        "reexecution_rate": re_exec,
                        "groups": stats.as_ref().map(|s| s.groups),
                        "bins": stats.as_ref().map(|s| s.bins),
                        "tail": stats.as_ref().map(|s| s.tail),
                        "fallback": stats.as_ref().and_then(|s| s.fallback),
                        "repairs": stats.as_ref().map(|s| s.repairs),
                        "speculation_s": row.speculation_s,
                        "speculated_txs": row.learnt,
                        "recovery_s": recovery,
                        "recovery_tps_all_cores": w.txs.len() as f64 / recovery,
                        "two_thread_scaling": scaling,
                    })
                );
            } else {
                println!(
                    "{:<20} {:<14} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.0} {:>7.2}x {:>7.2}x {:>7.0}%  {}",
                    w.name,
                    label,
                    row.txs,
                    exec * 1e3,
                    t.state_root.as_secs_f64() * 1e3,
                    t.commit.as_secs_f64() * 1e3,
                    total * 1e3,
                    row.txs as f64 / exec,
                    tps_exec / seq_tps_exec,
                    tps_block / seq_tps_block,
                    re_exec * 100.0,
                    shape
                );
            }
        }
        if !args.json {
            println!(
                "{:<20} signature recovery on {threads} cores: {:.0} tx/s ({} txs in {:.1} ms); two-thread scaling probe x{scaling:.2}",
                "",
                w.txs.len() as f64 / recovery,
                w.txs.len(),
                recovery * 1e3
            );
        }
    }
    Ok(())
}
