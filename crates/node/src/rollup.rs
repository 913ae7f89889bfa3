//! Rollup mode: the node follows an L1 (deposits, reorgs), sequences on L1 origins, and runs
//! the proposer ExEx; and the `deploy` command that sets such a chain up.

use std::{path::PathBuf, sync::Arc, time::Duration};

use agnt2_builder::{BuildError, PayloadSource, SequencerAction};
use agnt2_exex::ExExManagerBuilder;
use agnt2_primitives::ChainSpec;
use agnt2_rollup::{
    L1Client, L1Sender, L1View, L1Watcher, RollupConfig, RollupPayloads,
    batcher::{BatcherConfig, run_batcher},
    challenger::{ChallengerConfig, OutputChecker},
    deploy::{DeployConfig, Deployment},
    derive::DerivedPayloads,
    l1info::origin_of,
    proposer::{ProposerConfig, run_proposer},
    rollup_json::{Agnt2Json, JsonBlockId, RollupJson, read_json, write_json},
    watcher::L1Contracts,
};
use agnt2_storage::Database;
use alloy::signers::local::PrivateKeySigner;
use eyre::{Context, bail};
use parking_lot::Mutex;

/// Flags of rollup mode (all unset: a chain without an L1).
#[derive(Debug, Clone, clap::Args)]
pub struct RollupArgs {
    /// OP's rollup.json (written by `agnt2 deploy`); `agnt2.json` beside it holds our
    /// extensions. Turns on rollup mode: blocks follow L1 origins and carry its deposits.
    #[arg(
        long = "rollup.config",
        alias = "rollup-config",
        value_name = "FILE",
        requires = "l1_rpc"
    )]
    pub rollup_config: Option<PathBuf>,
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc", alias = "l1-rpc", value_name = "URL")]
    pub l1_rpc: Option<String>,
    /// Beacon API endpoint (`http://`) to read blobs from, instead of the L1 node's
    /// `anvil_getBlobByHash` (which only anvil serves).
    #[arg(long = "l1.beacon", value_name = "URL")]
    pub l1_beacon: Option<String>,
    /// How often to poll L1 for new blocks.
    #[arg(long = "l1.poll-interval", default_value = "500ms", value_parser = crate::parse_duration)]
    pub l1_poll: Duration,
    /// Proposer key (hex): proposes output roots to the DisputeGameFactory.
    #[arg(
        long = "proposer.key",
        value_name = "HEX",
        env = "AGNT2_PROPOSER_KEY",
        hide_env_values = true
    )]
    pub proposer_key: Option<String>,
    /// Propose every this many L2 blocks.
    #[arg(long = "proposer.interval", default_value_t = 10)]
    pub proposer_interval: u64,
    /// Batcher key (hex): posts every L2 block to the BatchInbox. Must be the SystemConfig's
    /// batcher (the inbox refuses anyone else).
    #[arg(
        long = "batcher.key",
        value_name = "HEX",
        env = "AGNT2_BATCHER_KEY",
        hide_env_values = true
    )]
    pub batcher_key: Option<String>,
    /// Where batches go: `auto` (blobs when L1 has blob gas), `blobs` or `calldata`.
    #[arg(long = "batcher.data-availability", default_value = "auto")]
    pub batcher_da: agnt2_rollup::batcher::DataAvailability,
    /// Most bytes of one calldata batch transaction's frame.
    #[arg(long = "batcher.max-frame-size", default_value_t = 120_000)]
    pub batcher_max_frame_size: usize,
    /// Most blobs per batch transaction.
    #[arg(long = "batcher.blobs-per-tx", default_value_t = 6)]
    pub batcher_blobs_per_tx: usize,
    /// Longest a block waits to be posted (a batch goes out when full or this old).
    #[arg(long = "batcher.max-delay", default_value = "6s", value_parser = crate::parse_duration)]
    pub batcher_max_delay: Duration,
    /// Verifier: derive every block from L1 alone (deposits and batches) instead of
    /// sequencing; serves the same read RPC and refuses transactions.
    #[arg(long = "verifier", requires = "rollup_config")]
    pub verifier: bool,
    /// Challenger key (hex; verifier only): invalidates games whose output root does not match
    /// the chain derived from L1. Without it a verifier still checks and reports mismatches.
    #[arg(
        long = "challenger.key",
        value_name = "HEX",
        env = "AGNT2_CHALLENGER_KEY",
        hide_env_values = true,
        requires = "verifier"
    )]
    pub challenger_key: Option<String>,
}

/// Where a rollup node's blocks come from.
#[derive(Debug, Clone)]
pub enum RollupSource {
    /// Sequencing on L1 origins.
    Sequencer(RollupPayloads),
    /// Deriving from L1 data.
    Verifier(DerivedPayloads),
}

impl PayloadSource for RollupSource {
    async fn next_action(
        &mut self,
        head: &alloy::consensus::Header,
        now: u64,
    ) -> Result<SequencerAction, BuildError> {
        match self {
            Self::Sequencer(s) => s.next_action(head, now).await,
            Self::Verifier(v) => v.next_action(head, now).await,
        }
    }
}

/// What rollup mode adds to a running node.
pub struct Rollup {
    /// The payload source.
    pub payloads: RollupSource,
    config: Arc<RollupConfig>,
    view: Arc<Mutex<L1View>>,
    watcher: L1Watcher,
    poll: Duration,
    proposer: Option<(Arc<L1Sender>, ProposerConfig)>,
    batcher: Option<(Arc<L1Sender>, BatcherConfig)>,
    rollup_json: serde_json::Value,
    db: Database,
    checker: Option<OutputChecker>,
}

impl Rollup {
    /// Reads the configuration, checks it against the chain, and connects to L1.
    pub async fn prepare(
        args: &RollupArgs,
        spec: &ChainSpec,
        db: Database,
    ) -> eyre::Result<Option<Self>> {
        let Some(path) = &args.rollup_config else {
            return Ok(None);
        };
        let rollup: RollupJson = read_json(path)?;
        let ext_path = path.with_file_name("agnt2.json");
        let ext: Agnt2Json = read_json(&ext_path)?;
        let config = Arc::new(rollup.rollup_config(&ext));
        check_chain(&config, spec, &db)?;
        let url = args.l1_rpc.as_deref().unwrap_or_default();
        let mut client = L1Client::new(url, Duration::from_secs(10))?;
        if let Some(beacon) = &args.l1_beacon {
            client = client.with_beacon(agnt2_rollup::blobs::BeaconBlobs::new(
                beacon,
                Duration::from_secs(10),
            )?);
        }
        let l1_id = client
            .chain_id()
            .await
            .wrap_err_with(|| format!("reaching the L1 at {url}"))?;
        if l1_id != config.l1_chain_id {
            bail!(
                "L1 at {url} is chain {l1_id}, rollup.json says {}",
                config.l1_chain_id
            );
        }
        if db.finalized()?.is_none() {
            db.set_forkchoice(0, 0)?;
        }
        let view = Arc::new(Mutex::new(L1View::new(4096)));
        let (head, _) = db.head()?.unwrap_or_default();
        let start = watch_from(&config, &db)?
            .min(DerivedPayloads::reset_point(&config, &db, head)?.saturating_sub(1));
        let contracts = L1Contracts {
            portal: config.deposit_contract,
            inbox: Some(config.batch_inbox),
        };
        let watcher = L1Watcher::new(client.clone(), contracts, view.clone(), start);
        if args.verifier && (args.proposer_key.is_some() || args.batcher_key.is_some()) {
            bail!("a --verifier derives the chain; it neither proposes nor posts batches");
        }
        let batcher = match &args.batcher_key {
            Some(key) => {
                let sender = Arc::new(
                    L1Sender::new(client.clone(), parse_key(key, "--batcher.key")?).await?,
                );
                if sender.address() != config.batcher {
                    bail!(
                        "--batcher.key is {}, but the rollup's batcher is {} (the inbox refuses others)",
                        sender.address(),
                        config.batcher
                    );
                }
                Some((
                    sender,
                    BatcherConfig {
                        data_availability: args.batcher_da,
                        max_frame_size: args.batcher_max_frame_size,
                        blobs_per_tx: args.batcher_blobs_per_tx,
                        max_delay: args.batcher_max_delay,
                        ..Default::default()
                    },
                ))
            }
            None => None,
        };
        let proposer = match &args.proposer_key {
            Some(key) => {
                let signer = parse_key(key, "--proposer.key")?;
                let sender = Arc::new(L1Sender::new(client.clone(), signer).await?);
                Some((
                    sender,
                    ProposerConfig {
                        factory: ext.dispute_game_factory,
                        game_type: ext.respected_game_type,
                        interval: args.proposer_interval.max(1),
                    },
                ))
            }
            None => None,
        };
        let checker = if args.verifier {
            let reader = Arc::new(L1Sender::new(client.clone(), PrivateKeySigner::random()).await?);
            let challenger = match &args.challenger_key {
                Some(key) => Some(Arc::new(
                    L1Sender::new(client.clone(), parse_key(key, "--challenger.key")?).await?,
                )),
                None => None,
            };
            Some(OutputChecker::new(
                db,
                reader,
                challenger,
                ChallengerConfig {
                    factory: ext.dispute_game_factory,
                    game_type: ext.respected_game_type,
                    poll: Duration::from_secs(1),
                },
            ))
        } else {
            None
        };
        let payloads = if args.verifier {
            RollupSource::Verifier(DerivedPayloads::new(config.clone(), view.clone(), db))
        } else {
            RollupSource::Sequencer(RollupPayloads::new(config.clone(), view.clone(), db))
        };
        Ok(Some(Self {
            payloads,
            config,
            view,
            watcher,
            poll: args.l1_poll,
            proposer,
            batcher,
            rollup_json: serde_json::to_value(&rollup)?,
            db,
            checker,
        }))
    }

    /// Installs the rollup's ExExes (the proposer and the batcher, when they have keys).
    pub fn install_exexes(&mut self, exexes: &mut ExExManagerBuilder) {
        if let Some((sender, cfg)) = self.proposer.take() {
            exexes.install_exex("proposer", move |ctx| async move {
                Ok(run_proposer(ctx, sender, cfg))
            });
        }
        if let (Some((sender, cfg)), RollupSource::Sequencer(seq)) =
            (self.batcher.take(), &self.payloads)
        {
            let published = seq.published_head();
            let rollup = self.config.clone();
            let view = self.view.clone();
            exexes.install_exex("batcher", move |ctx| async move {
                Ok(run_batcher(ctx, sender, rollup, view, published, cfg))
            });
        }
    }

    /// The `optimism_` RPC namespace for this node.
    pub fn rpc_methods(&self) -> jsonrpsee::Methods {
        let progress: agnt2_rollup::rpc::L1Progress = match &self.payloads {
            RollupSource::Verifier(v) => {
                let v = v.clone();
                Arc::new(move || v.l1_progress())
            }
            RollupSource::Sequencer(_) => Arc::new(|| None),
        };
        agnt2_rollup::rpc::optimism_module(
            self.config.clone(),
            self.rollup_json.clone(),
            self.db,
            self.view.clone(),
            progress,
        )
        .into()
    }

    /// Starts following L1 (and, on a verifier, checking proposals).
    pub fn spawn_watcher(self) -> RollupSource {
        if let Some(checker) = self.checker {
            tokio::spawn(checker.run());
        }
        tokio::spawn(self.watcher.run(self.poll));
        self.payloads
    }
}

fn parse_key(key: &str, flag: &str) -> eyre::Result<PrivateKeySigner> {
    key.trim_start_matches("0x")
        .parse()
        .wrap_err_with(|| format!("{flag} is not a private key"))
}

/// The L2 chain must be the one rollup.json describes.
fn check_chain(config: &RollupConfig, spec: &ChainSpec, db: &Database) -> eyre::Result<()> {
    if spec.chain_id != config.l2_chain_id {
        bail!(
            "genesis chain id {} is not rollup.json's l2_chain_id {}",
            spec.chain_id,
            config.l2_chain_id
        );
    }
    let genesis = db.block_hash(0)?.unwrap_or_default();
    if genesis != config.genesis_l2.hash {
        bail!(
            "genesis hash {genesis} is not rollup.json's genesis.l2.hash {}",
            config.genesis_l2.hash
        );
    }
    Ok(())
}

/// Where the watcher starts: a little below the head's origin, so the view covers the
/// origins an L1 reorg could take away.
fn watch_from(config: &RollupConfig, db: &Database) -> eyre::Result<u64> {
    let (head, _) = db.head()?.unwrap_or_default();
    let origin = db
        .first_transaction(head)?
        .as_ref()
        .and_then(origin_of)
        .map_or(config.genesis_l1.number, |o| o.number);
    Ok(origin.saturating_sub(64).max(config.genesis_l1.number))
}

/// Writes what a finished deployment needs beside it: the L2 genesis, rollup.json and
/// agnt2.json under `out`. Returns the genesis file's path.
pub fn write_chain_files(out: &std::path::Path, d: &Deployment) -> eyre::Result<PathBuf> {
    let anchor = d
        .l1_genesis
        .ok_or_else(|| eyre::eyre!("deployment unfinished"))?;
    let config = d.config.clone().unwrap_or_default();
    let (text, _, hash) =
        agnt2_rollup::genesis::l2_genesis(d.l2_chain_id, anchor.timestamp, config.l2_gas_limit)?;
    let genesis_path = out
        .join("genesis")
        .join(format!("l2-{}.json", d.l2_chain_id));
    std::fs::create_dir_all(out.join("genesis"))?;
    std::fs::write(&genesis_path, text)?;
    let rollup = RollupJson::from_deployment(d, JsonBlockId { hash, number: 0 }, anchor.timestamp)?;
    write_json(&out.join("op-node-config").join("rollup.json"), &rollup)?;
    let ext = Agnt2Json {
        dispute_game_factory: d.address("DisputeGameFactory").unwrap_or_default(),
        respected_game_type: d.respected_game_type,
        l1_confirmations: 0,
        multicall3: d.address("Multicall3"),
    };
    write_json(&out.join("op-node-config").join("agnt2.json"), &ext)?;
    Ok(genesis_path)
}

/// `agnt2 deploy`.
pub async fn deploy(
    l1_rpc: &str,
    key: &str,
    config: Option<PathBuf>,
    out: &std::path::Path,
    devnet: bool,
) -> eyre::Result<Deployment> {
    let config: DeployConfig = match config {
        Some(p) => read_json(&p)?,
        None if devnet => DeployConfig::devnet(),
        None => DeployConfig::default(),
    };
    deploy_with(l1_rpc, key, &config, out).await
}

/// Deploys with `config` and writes the chain files under `out`.
pub async fn deploy_with(
    l1_rpc: &str,
    key: &str,
    config: &DeployConfig,
    out: &std::path::Path,
) -> eyre::Result<Deployment> {
    let client = L1Client::new(l1_rpc, Duration::from_secs(30))?;
    let l1_id = client
        .chain_id()
        .await
        .wrap_err_with(|| format!("reaching the L1 at {l1_rpc}"))?;
    let signer: PrivateKeySigner = key
        .trim_start_matches("0x")
        .parse()
        .wrap_err("--private-key is not a private key")?;
    let sender = L1Sender::new(client, signer).await?;
    let path = out.join("deployments").join(format!("{l1_id}.json"));
    println!("deploying to L1 chain {l1_id} from {}", sender.address());
    let d = agnt2_rollup::deploy::deploy(&sender, config, l1_id, &path, |step| {
        println!("  {step} …");
    })
    .await?;
    let genesis = write_chain_files(out, &d)?;
    println!("deployment: {}", path.display());
    println!("L2 genesis: {}", genesis.display());
    println!(
        "rollup config: {}",
        out.join("op-node-config/rollup.json").display()
    );
    Ok(d)
}
