//! The `agnt2` binary: command line, configuration and wiring of storage, pool, builder and
//! RPC into one process.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use agnt2_builder::{BlockBuilder, DevPayloads, init_genesis};
use agnt2_chain_state::CanonStateNotifier;
use agnt2_primitives::{
    ChainSpec,
    constants::{DEV_ACCOUNTS, DEV_MNEMONIC, L1_BLOCK, L2_TO_L1_MESSAGE_PASSER},
};
use agnt2_rpc::{RpcConfig, RpcContext, RpcServerConfig};
use agnt2_storage::{Database, DatabaseConfig};
use agnt2_txpool::{Pool, PoolConfig};
use alloy::signers::local::{MnemonicBuilder, coins_bip39::English};
use clap::{Parser, Subcommand};
use eyre::{Context, bail};

mod devnet;
mod rollup;

#[derive(Debug, Parser)]
#[command(
    name = "agnt2",
    version,
    about = "agnt2: an agent-native OP-Stack-style L2 node"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the node.
    Node(Box<NodeArgs>),
    /// Prints the chain id and the reserved addresses.
    Info {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Genesis file (defaults to the embedded dev genesis).
        #[arg(long)]
        genesis: Option<PathBuf>,
    },
    /// Genesis file tools.
    #[command(subcommand)]
    Genesis(GenesisCommand),
    /// Datadir tools (the node must be stopped).
    #[command(subcommand)]
    Db(DbCommand),
    /// Deploys the L1 contracts (OptimismPortal, DisputeGameFactory, the permissioned output
    /// game, SystemConfig) and writes deployments/<l1-chain-id>.json, the L2 genesis and
    /// op-node-config/rollup.json. An interrupted deploy resumes where it stopped.
    Deploy {
        /// L1 JSON-RPC endpoint.
        #[arg(long = "l1-rpc", value_name = "URL")]
        l1_rpc: String,
        /// Deployer key (hex); it pays for the deploy and, unless the config says otherwise,
        /// holds every role.
        #[arg(
            long = "private-key",
            value_name = "HEX",
            env = "AGNT2_DEPLOYER_KEY",
            hide_env_values = true
        )]
        private_key: String,
        /// Deploy parameters (JSON; see docs/operator-guide.md). Defaults: OP's mainnet delays.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where deployments/, genesis/ and op-node-config/ are written.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// A devnet's delays (seconds instead of OP's days) when no --config is given.
        #[arg(long, conflicts_with = "config")]
        devnet: bool,
    },
    /// Runs a whole devnet: anvil as L1, the contracts deployed, the sequencer and the
    /// proposer, dev accounts funded on both layers. Writes DIR/devnet.json once it serves.
    Devnet(devnet::DevnetArgs),
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Checks every record's checksum, every block against its header (hash chain,
    /// transactions root, receipts root, index) and the head state against its state root.
    /// Exits non-zero at the first inconsistency.
    Check {
        /// Data directory.
        #[arg(long, value_name = "DIR")]
        datadir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum GenesisCommand {
    /// Writes OP Stack's preinstalls (CREATE2 factories, Multicall3, Permit2, Safe v1.3.0,
    /// ERC-4337 EntryPoints v0.6-v0.8, the EIP-4788 contract) into a genesis file, deployed for
    /// its chain id. Idempotent; refuses to overwrite other accounts at those addresses.
    AddPreinstalls {
        /// Genesis file (geth format), rewritten in place unless --out is given.
        genesis: PathBuf,
        /// Where to write the result.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct NodeArgs {
    /// Dev chain: embedded genesis, funded dev accounts, blocks on a timer.
    #[arg(long)]
    dev: bool,
    /// Genesis file in geth's format (defaults to the embedded dev genesis).
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Data directory.
    #[arg(long, value_name = "DIR")]
    datadir: Option<PathBuf>,
    /// Use a fresh temporary data directory, deleted on exit.
    #[arg(long, conflicts_with = "datadir")]
    tmp: bool,
    /// Block interval, e.g. `1s`, `250ms` (1ms..1h).
    #[arg(long = "block-time", default_value = "1s", value_parser = parse_block_time)]
    block_time: Duration,
    /// Block gas limit.
    #[arg(long = "gas-limit", default_value_t = 60_000_000)]
    gas_limit: u64,
    /// Block builder: `parallel` (dependency-aware, falls back to sequential per block when it
    /// finds no parallelism or mispredicts) or `sequential` (the reference executor).
    #[arg(long = "builder", default_value = "parallel", value_parser = ["sequential", "parallel"])]
    builder: String,
    /// Worker threads of the parallel builder (default: available cores).
    #[arg(long = "builder.threads")]
    builder_threads: Option<usize>,
    /// RPC listen address (HTTP and WebSocket share the port).
    #[arg(long = "http.addr", default_value = "127.0.0.1")]
    http_addr: IpAddr,
    /// RPC port (0 picks a free one).
    #[arg(long = "http.port", default_value_t = 8545)]
    http_port: u16,
    /// Largest request body in bytes.
    #[arg(long = "rpc.max-request-size", default_value_t = 15 * 1024 * 1024)]
    max_request_size: u32,
    /// Most requests in one JSON-RPC batch.
    #[arg(long = "rpc.max-batch-size", default_value_t = 1_000)]
    max_batch_size: u32,
    /// Largest block range for eth_getLogs.
    #[arg(long = "rpc.max-logs-range", default_value_t = 10_000)]
    max_logs_range: u64,
    /// Most logs one eth_getLogs or filter answer holds (reth's default).
    #[arg(long = "rpc.max-logs-per-response", default_value_t = 20_000)]
    max_logs_per_response: usize,
    /// Most addresses one log filter may name.
    #[arg(long = "rpc.max-filter-addresses", default_value_t = 1_000)]
    max_filter_addresses: usize,
    /// Most alternatives in one topic position of a log filter.
    #[arg(long = "rpc.max-filter-topics", default_value_t = 1_000)]
    max_filter_topics: usize,
    /// Most installed polling filters (eth_newFilter and friends).
    #[arg(long = "rpc.max-filters", default_value_t = 10_000)]
    max_filters: usize,
    /// How long a polling filter lives without a poll (geth: 5m).
    #[arg(long = "rpc.filter-timeout", default_value = "5m", value_parser = parse_duration)]
    filter_timeout: Duration,
    /// Most gas one eth_call, eth_estimateGas, eth_createAccessList, eth_simulateV1 or
    /// debug_traceCall may use (geth's default).
    #[arg(long = "rpc.gascap", default_value_t = agnt2_rpc::DEFAULT_GAS_CAP)]
    gas_cap: u64,
    /// How long one request may execute before it is aborted (geth's default).
    #[arg(long = "rpc.evmtimeout", default_value = "5s", value_parser = parse_duration)]
    evm_timeout: Duration,
    /// How long all requests of one batch may execute together.
    #[arg(long = "rpc.batch-evmtimeout", default_value = "10s", value_parser = parse_duration)]
    batch_evm_timeout: Duration,
    /// Most simulations and traces (eth_call, eth_estimateGas, debug_trace*, …) running at once;
    /// others wait for a slot until their EVM timeout (default: cores - 1, at least 1).
    #[arg(long = "rpc.max-concurrent-executions")]
    max_concurrent_executions: Option<usize>,
    /// Most transactions txpool_content lists; past it, use txpool_contentFrom.
    #[arg(long = "rpc.max-txpool-content", default_value_t = 10_000)]
    max_txpool_content: usize,
    /// How long a new connection may take to send its first request's headers.
    #[arg(long = "rpc.header-timeout", default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// How long one HTTP request may take, reading its body included (geth: 30s).
    #[arg(long = "rpc.request-timeout", default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Most concurrent RPC connections.
    #[arg(long = "rpc.max-connections", default_value_t = 1_000)]
    max_connections: u32,
    /// Notifications queued per connection; a subscriber whose queue stays full for 2 s is
    /// dropped.
    #[arg(long = "rpc.subscription-buffer", default_value_t = 1_024)]
    subscription_buffer: u32,
    /// Accept legacy transactions without an EIP-155 chain id (presigned keyless deployments).
    #[arg(long = "rpc.allow-unprotected-txs")]
    allow_unprotected_txs: bool,
    /// Serve Prometheus metrics on this address, e.g. 127.0.0.1:9001.
    #[arg(long)]
    metrics: Option<SocketAddr>,
    /// Most transactions per sender in the pool.
    #[arg(long = "txpool.max-account-slots", default_value_t = 16_384)]
    max_account_slots: usize,
    /// Most transactions in the pool.
    #[arg(long = "txpool.max-size", default_value_t = 200_000)]
    max_pool_size: usize,
    /// Most transactions one sender may have queued behind a nonce gap.
    #[arg(long = "txpool.max-account-queued", default_value_t = 1_024)]
    max_account_queued: usize,
    /// Most queued transactions in the pool.
    #[arg(long = "txpool.max-queued", default_value_t = 50_000)]
    max_queued: usize,
    /// Most encoded bytes of all pooled transactions, in MiB.
    #[arg(long = "txpool.max-mb", default_value_t = 256)]
    max_pool_mb: usize,
    /// How long a sender's queued transactions stay without the sender adding one.
    #[arg(long = "txpool.lifetime", default_value = "3h", value_parser = parse_duration)]
    pool_lifetime: Duration,
    /// Skip fsync on commit: survives a process kill, not a power loss.
    #[arg(long = "db.no-sync")]
    no_sync: bool,
    /// Blocks of history kept for historical state (`eth_call`, `eth_getBalance`,
    /// `eth_getProof` at old blocks) and unwinds: a week of one-second blocks by default, the
    /// fault-proof window, so withdrawals stay provable; `all` keeps everything.
    #[arg(long = "history.blocks", default_value = "604800", value_parser = parse_history)]
    history_blocks: HistoryBlocks,
    /// Sealed blocks whose state may still be waiting to be written to the tables: each is
    /// durable in the datadir's journal at once and served from memory, and a background
    /// thread writes them behind the tip; 0 writes each block inside its commit.
    #[arg(long = "persist.behind", default_value_t = agnt2_storage::DEFAULT_PERSIST_BEHIND)]
    persist_behind: usize,
    #[command(flatten)]
    rollup: rollup::RollupArgs,
}

/// Blocks of history to keep (`None`: all).
#[derive(Debug, Clone, Copy)]
struct HistoryBlocks(Option<u64>);

/// A block count, or `all`.
fn parse_history(s: &str) -> Result<HistoryBlocks, String> {
    if s == "all" {
        return Ok(HistoryBlocks(None));
    }
    match s.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(HistoryBlocks(Some(n))),
        _ => Err(format!("{s:?} is not a block count (at least 1) or `all`")),
    }
}

/// A duration such as `250ms`, `2s`, `5m` or `3h` (a bare number is seconds).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| s.split_at(i));
    let v: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" | "" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {s:?}"))
}

fn parse_block_time(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(format!("block time {s:?} out of range (1ms..1h)"));
    }
    Ok(d)
}

fn load_spec(genesis: &Option<PathBuf>) -> eyre::Result<ChainSpec> {
    Ok(match genesis {
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("reading {}", path.display()))?;
            ChainSpec::from_genesis_json(&json)?
        }
        None => ChainSpec::dev(),
    })
}

fn dev_accounts() -> eyre::Result<Vec<(alloy_primitives::Address, String)>> {
    (0..DEV_ACCOUNTS)
        .map(|i| {
            let key = MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)?
                .build()?;
            Ok((
                key.address(),
                alloy_primitives::hex::encode_prefixed(key.to_bytes()),
            ))
        })
        .collect()
}

fn main() -> eyre::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Info { json, genesis } => info(json, &genesis),
        Command::Genesis(GenesisCommand::AddPreinstalls { genesis, out }) => {
            add_preinstalls(&genesis, out.as_ref().unwrap_or(&genesis))
        }
        Command::Db(DbCommand::Check { datadir }) => db_check(&datadir),
        Command::Node(args) => runtime()?.block_on(run_node(*args, None)),
        Command::Deploy {
            l1_rpc,
            private_key,
            config,
            out,
            devnet,
        } => runtime()?
            .block_on(rollup::deploy(&l1_rpc, &private_key, config, &out, devnet))
            .map(|_| ()),
        Command::Devnet(args) => runtime()?.block_on(devnet::run(args)),
    }
}

/// Logging to stderr and a multi-threaded runtime.
fn runtime() -> eyre::Result<tokio::runtime::Runtime> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Called once the RPC server listens (the devnet writes its devnet.json then).
pub(crate) type OnReady = Box<dyn FnOnce(SocketAddr) -> eyre::Result<()> + Send>;

fn add_preinstalls(path: &PathBuf, out: &PathBuf) -> eyre::Result<()> {
    let text =
        std::fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
    let mut genesis: alloy::genesis::Genesis =
        serde_json::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))?;
    agnt2_builder::add_preinstalls(&mut genesis)?;
    // Only the allocation is rewritten: every other field stays as the file had it.
    let mut doc: serde_json::Value = serde_json::from_str(&text)?;
    doc["alloc"] = serde_json::to_value(&genesis.alloc)?;
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    std::fs::write(out, text).wrap_err_with(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {} preinstalls for chain {}",
        out.display(),
        agnt2_primitives::preinstalls::PREINSTALLS.len(),
        genesis.config.chain_id
    );
    Ok(())
}

fn db_check(datadir: &std::path::Path) -> eyre::Result<()> {
    if !datadir.join("mdbx.dat").exists() {
        bail!("no database in {}", datadir.display());
    }
    let db = Database::open(datadir, &DatabaseConfig::default())
        .wrap_err_with(|| format!("opening datadir {}", datadir.display()))?;
    let started = std::time::Instant::now();
    let report = db
        .check()
        .wrap_err_with(|| format!("datadir {} is damaged", datadir.display()))?;
    println!(
        "datadir {}: ok ({} records, blocks 0..={} checked against their headers, head state of {} accounts matches its state root) in {:.1?}",
        datadir.display(),
        report.records,
        report.head,
        report.accounts,
        started.elapsed()
    );
    Ok(())
}

fn info(json: bool, genesis: &Option<PathBuf>) -> eyre::Result<()> {
    let spec = load_spec(genesis)?;
    let predeploys = serde_json::json!({
        "L1Block": L1_BLOCK,
        "L2ToL1MessagePasser": L2_TO_L1_MESSAGE_PASSER,
        "SequencerFeeVault": agnt2_primitives::constants::SEQUENCER_FEE_VAULT,
        "BaseFeeVault": agnt2_primitives::constants::BASE_FEE_VAULT,
        "L1FeeVault": agnt2_primitives::constants::L1_FEE_VAULT,
        "OperatorFeeVault": agnt2_primitives::constants::OPERATOR_FEE_VAULT,
        "IdentityRegistry": agnt2_precompiles::IDENTITY_REGISTRY,
    });
    // Standard Ethereum precompiles (0x01..0x11, P256VERIFY at 0x100) are implied by Isthmus.
    let precompiles = serde_json::json!({
        "IdentityRegistryCore": agnt2_precompiles::IDENTITY_CORE,
        "ReputationRegistry": agnt2_precompiles::REPUTATION_REGISTRY,
        "ValidationRegistry": agnt2_precompiles::VALIDATION_REGISTRY,
        "AgentCapabilities": agnt2_precompiles::CAPABILITIES,
        "AgentSessions": agnt2_precompiles::SESSIONS,
    });
    if json {
        println!(
            "{}",
            serde_json::json!({ "chainId": spec.chain_id, "predeploys": predeploys, "precompiles": precompiles })
        );
    } else {
        println!("chain id: {}", spec.chain_id);
        println!("predeploys: {predeploys:#}");
        println!("precompiles: {precompiles:#}");
    }
    Ok(())
}

pub(crate) async fn run_node(args: NodeArgs, on_ready: Option<OnReady>) -> eyre::Result<()> {
    let spec = Arc::new(load_spec(&args.genesis)?);
    if !args.dev && args.genesis.is_none() {
        bail!("pass --dev for the embedded dev chain, or --genesis FILE");
    }
    for account in agnt2_precompiles::STATE_ACCOUNTS {
        let has_code = spec
            .genesis
            .alloc
            .get(&account)
            .and_then(|a| a.code.as_ref())
            .is_some_and(|c| !c.is_empty());
        if !has_code {
            tracing::warn!(
                %account,
                "genesis lacks the agent-registry account (code); the registries will not work as documented \
                 (see scripts/gen-dev-genesis.sh)"
            );
        }
    }
    let tmp = if args.tmp || args.datadir.is_none() && args.dev {
        Some(tempfile::Builder::new().prefix("agnt2-dev-").tempdir()?)
    } else {
        None
    };
    let datadir = match (&args.datadir, &tmp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("--datadir is required without --dev"),
    };
    if let Some(addr) = args.metrics {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .wrap_err("starting the metrics exporter")?;
        tracing::info!(%addr, "metrics at http://{addr}/metrics");
    }
    let db = Database::open(
        &datadir,
        &DatabaseConfig {
            durable: !args.no_sync,
            history_blocks: args.history_blocks.0,
            persist_behind: args.persist_behind,
            ..Default::default()
        },
    )
    .wrap_err_with(|| format!("opening datadir {}", datadir.display()))?;
    let genesis_hash = init_genesis(&db, &spec)?;
    let (head, head_hash) = db
        .head()?
        .ok_or_else(|| eyre::eyre!("no head after genesis"))?;
    let head_root = db.header(head)?.map(|h| h.state_root).unwrap_or_default();
    tracing::info!(chain_id = spec.chain_id, %genesis_hash, head, %head_hash, state_root = %head_root, datadir = %datadir.display(), "database ready");

    let mut pool_config = PoolConfig::new(spec.chain_id);
    pool_config.max_account_slots = args.max_account_slots;
    pool_config.max_pool_size = args.max_pool_size;
    pool_config.max_account_queued = args.max_account_queued;
    pool_config.max_queued = args.max_queued;
    pool_config.max_pool_bytes = args.max_pool_mb.saturating_mul(1024 * 1024);
    pool_config.lifetime = args.pool_lifetime;
    pool_config.allow_unprotected = args.allow_unprotected_txs;
    let pool = Arc::new(Pool::new(pool_config));
    let mode = match args.builder.as_str() {
        "parallel" => agnt2_builder::BuilderMode::Parallel {
            threads: args
                .builder_threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        },
        _ => agnt2_builder::BuilderMode::Sequential,
    };
    let builder = BlockBuilder::new(db, spec.clone(), args.gas_limit).with_mode(mode)?;
    // One stream of canonical-chain changes for RPC, pool upkeep and plugins.
    let chain = CanonStateNotifier::default();

    let accounts = dev_accounts()?;
    let rpc_config = RpcConfig {
        max_logs_range: args.max_logs_range,
        allow_unprotected_txs: args.allow_unprotected_txs,
        max_logs_per_response: args.max_logs_per_response,
        max_filter_addresses: args.max_filter_addresses,
        max_filter_topics: args.max_filter_topics,
        max_filters: args.max_filters,
        filter_timeout: args.filter_timeout,
        gas_cap: args.gas_cap,
        evm_timeout: args.evm_timeout,
        batch_evm_timeout: args.batch_evm_timeout,
        max_txpool_content: args.max_txpool_content,
        max_concurrent_executions: args
            .max_concurrent_executions
            .unwrap_or(RpcConfig::default().max_concurrent_executions),
        accounts: if args.dev {
            accounts.iter().map(|(a, _)| *a).collect()
        } else {
            Vec::new()
        },
        read_only: args.rollup.verifier,
        ..Default::default()
    };
    let ctx = Arc::new(RpcContext::new(
        db,
        pool.clone(),
        builder.clone(),
        spec.clone(),
        chain.clone(),
        rpc_config,
    ));
    let server_config = RpcServerConfig {
        addr: SocketAddr::new(args.http_addr, args.http_port),
        max_request_body_size: args.max_request_size,
        max_batch_size: args.max_batch_size,
        max_connections: args.max_connections,
        header_timeout: args.header_timeout,
        request_timeout: args.request_timeout,
        subscription_buffer: args.subscription_buffer,
        ..Default::default()
    };
    let mut rollup = rollup::Rollup::prepare(&args.rollup, &spec, db).await?;
    let extra = rollup.as_ref().map(|r| r.rpc_methods()).unwrap_or_default();
    let (addr, handle) = agnt2_rpc::start_server_with(&server_config, ctx, extra)
        .await
        .wrap_err("starting the RPC server")?;
    if args.dev {
        println!("\nAvailable accounts (10,000 ETH each)\n==================");
        for (i, (a, k)) in accounts.iter().enumerate() {
            println!("({i}) {a}  private key {k}");
        }
        println!();
    }
    println!(
        "chain id {}  block time {:?}  gas limit {}",
        spec.chain_id, args.block_time, args.gas_limit
    );
    println!("RPC listening on {addr} (http and ws)");

    // Plugins follow the chain through the manager, installed by name (the rollup's proposer).
    let mut exexes = agnt2_exex::ExExManagerBuilder::new(
        datadir.join("exex"),
        agnt2_exex::NodeComponents {
            db,
            pool: pool.clone(),
            spec: spec.clone(),
        },
        EXEX_BUFFER,
    );
    if let Some(r) = rollup.as_mut() {
        r.install_exexes(&mut exexes);
    }
    let mut exex_handle = if exexes.is_empty() {
        None
    } else {
        Some(exexes.launch(chain.subscribe(EXEX_BUFFER)).await?)
    };
    let producer = match rollup {
        // Derived blocks have their own timestamps; the loop just polls for the next one due.
        Some(r) => tokio::spawn(agnt2_builder::produce_blocks(
            builder,
            pool,
            chain,
            r.spawn_watcher(),
            Duration::from_millis(100),
        )),
        None => tokio::spawn(agnt2_builder::produce_blocks(
            builder,
            pool,
            chain,
            DevPayloads,
            args.block_time,
        )),
    };
    if let Some(ready) = on_ready {
        ready(addr)?;
    }
    tokio::select! {
        r = producer => {
            r?.wrap_err("block production stopped")?;
        }
        e = async {
            match exex_handle.as_mut() {
                Some(h) => h.wait().await,
                None => std::future::pending().await,
            }
        } => {
            bail!("{e}");
        }
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
        }
    }
    let _ = handle.stop();
    drop(tmp);
    Ok(())
}

/// Notifications queued for each plugin (and for the manager) before block production waits.
const EXEX_BUFFER: usize = 64;

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}
