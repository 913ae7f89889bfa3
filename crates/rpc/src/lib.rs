//! agnt2's JSON-RPC server: the `eth_`, `net_`, `web3_`, `txpool_` and `debug_` namespaces over
//! HTTP and WebSocket on one port (jsonrpsee), with batch and size limits and CORS.
//!
//! Owns request parsing, response shapes and error codes (geth's, which tools match on). It
//! must not build blocks or write storage: it reads through `agnt2-storage`, submits to the
//! pool, and listens to the node's block notifications.

/// Registers `$name` on jsonrpsee's blocking pool (handlers that read storage or execute), with
/// `$ctx` bound to the shared [`RpcContext`].
macro_rules! blocking {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        $module
            .register_blocking_method::<jsonrpsee::core::RpcResult<serde_json::Value>, _>(
                $name,
                move |$params, $ctx, ext| {
                    let $ctx: &$crate::RpcContext = &$ctx;
                    let _budget = $crate::budget::enter($ctx, &ext);
                    $body
                },
            )
            .unwrap_or_else(|e| panic!("registering {}: {e}", $name));
    };
}

/// [`blocking!`] for handlers that execute (simulations, traces): the handler first takes one
/// of the node's execution slots (see `budget::permit`).
macro_rules! executing {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        blocking!($module, $name, |$params, $ctx| {
            let _permit = $crate::budget::permit($ctx)?;
            $body
        });
    };
}

mod agent;
mod budget;
mod convert;
mod errors;
mod eth;
mod filters;
mod middleware;
mod server;
mod sim;
mod trace;

use std::{sync::Arc, time::Duration};

use agnt2_builder::BlockBuilder;
use agnt2_chain_state::CanonStateNotifier;
use agnt2_primitives::ChainSpec;
use agnt2_storage::Database;
use agnt2_txpool::Pool;
use alloy_primitives::Address;
use parking_lot::Mutex;

pub use server::{RpcServerConfig, start_server, start_server_with};

/// Settings of the RPC behaviour (not the transport).
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Largest block range `eth_getLogs` scans.
    pub max_logs_range: u64,
    /// How long `eth_sendRawTransactionSync` waits for inclusion by default.
    pub sync_timeout: Duration,
    /// Addresses `eth_accounts` reports (the dev accounts in `--dev`).
    pub accounts: Vec<Address>,
    /// Suggested priority fee (wei).
    pub suggested_tip: u128,
    /// Admit legacy transactions without an EIP-155 chain id (`--rpc.allow-unprotected-txs`).
    pub allow_unprotected_txs: bool,
    /// Most gas one simulated call may have (`--rpc.gascap`).
    pub gas_cap: u64,
    /// How long one request may execute (`--rpc.evmtimeout`).
    pub evm_timeout: Duration,
    /// How long all requests of one batch may execute together (`--rpc.batch-evmtimeout`).
    pub batch_evm_timeout: Duration,
    /// Most logs one `eth_getLogs` / filter answer holds (`--rpc.max-logs-per-response`).
    pub max_logs_per_response: usize,
    /// Most addresses one log filter may name (`--rpc.max-filter-addresses`).
    pub max_filter_addresses: usize,
    /// Most alternatives in one topic position of a log filter (`--rpc.max-filter-topics`).
    pub max_filter_topics: usize,
    /// Most installed polling filters (`--rpc.max-filters`).
    pub max_filters: usize,
    /// How long an unpolled filter lives (`--rpc.filter-timeout`).
    pub filter_timeout: Duration,
    /// Most transactions `txpool_content` lists (`--rpc.max-txpool-content`).
    pub max_txpool_content: usize,
    /// Most reward percentiles one `eth_feeHistory` takes.
    pub max_fee_history_percentiles: usize,
    /// Most simulations and traces running at once (`--rpc.max-concurrent-executions`).
    pub max_concurrent_executions: usize,
    /// A verifier derives every block from L1 and builds none: it refuses transactions
    /// instead of pooling ones it would never include.
    pub read_only: bool,
}

/// geth's `--rpc.gascap` default.
pub const DEFAULT_GAS_CAP: u64 = 50_000_000;
/// geth's `--rpc.evmtimeout` default.
pub const DEFAULT_EVM_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            max_logs_range: 10_000,
            sync_timeout: Duration::from_secs(10),
            accounts: Vec::new(),
            suggested_tip: 1_000_000,
            allow_unprotected_txs: false,
            gas_cap: DEFAULT_GAS_CAP,
            evm_timeout: DEFAULT_EVM_TIMEOUT,
            batch_evm_timeout: Duration::from_secs(10),
            max_logs_per_response: 20_000,
            max_filter_addresses: 1_000,
            max_filter_topics: 1_000,
            max_filters: 10_000,
            filter_timeout: Duration::from_secs(300),
            max_txpool_content: 10_000,
            max_fee_history_percentiles: 100,
            max_concurrent_executions: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            read_only: false,
        }
    }
}

/// Everything the RPC handlers share.
#[derive(Debug)]
pub struct RpcContext {
    /// Storage.
    pub db: Database,
    /// The pool.
    pub pool: Arc<Pool>,
    /// Block environment for pending reads and calls.
    pub builder: BlockBuilder,
    /// Chain spec.
    pub spec: Arc<ChainSpec>,
    /// Canonical-chain notifications, as the block loop sends them.
    pub chain: CanonStateNotifier,
    /// RPC settings.
    pub config: RpcConfig,
    pub(crate) filters: Mutex<filters::Filters>,
    pub(crate) executions: budget::Permits,
}

impl RpcContext {
    /// Context over the node's parts.
    pub fn new(
        db: Database,
        pool: Arc<Pool>,
        builder: BlockBuilder,
        spec: Arc<ChainSpec>,
        chain: CanonStateNotifier,
        config: RpcConfig,
    ) -> Self {
        Self {
            db,
            pool,
            builder,
            spec,
            chain,
            executions: budget::Permits::new(config.max_concurrent_executions),
            config,
            filters: Mutex::new(Default::default()),
        }
    }
}

/// All namespaces as one module.
pub fn rpc_module(ctx: Arc<RpcContext>) -> jsonrpsee::RpcModule<RpcContext> {
    let mut module = jsonrpsee::RpcModule::from_arc(ctx);
    eth::register(&mut module);
    filters::register(&mut module);
    sim::register(&mut module);
    trace::register(&mut module);
    agent::register(&mut module);
    register_modules(&mut module);
    module
}

/// `rpc_modules` (geth): the namespaces served, read from the registered method names so the
/// answer cannot drift from what is served.
fn register_modules(module: &mut jsonrpsee::RpcModule<RpcContext>) {
    let mut namespaces: Vec<String> = module
        .method_names()
        .filter_map(|m| m.split_once('_').map(|(ns, _)| ns.to_string()))
        .collect();
    namespaces.push("rpc".into());
    namespaces.sort();
    namespaces.dedup();
    let answer = serde_json::Value::Object(
        namespaces
            .into_iter()
            .map(|ns| (ns, serde_json::Value::from("1.0")))
            .collect(),
    );
    module
        .register_method("rpc_modules", move |_, _, _| {
            jsonrpsee::core::RpcResult::Ok(answer.clone())
        })
        .unwrap_or_else(|e| panic!("registering rpc_modules: {e}"));
}
