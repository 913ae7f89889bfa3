//! `agnt2 devnet`: a whole rollup on one machine from one command — anvil as L1, the L1
//! contracts deployed, the L2 genesis written, the sequencer and the proposer running in this
//! process, the dev accounts funded on both layers (anvil funds the same ten keys as the L2
//! genesis). A devnet starts fresh: its anvil keeps no state, so DIR is rewritten each run.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use agnt2_primitives::constants::{DEV_MNEMONIC, L2_TO_L1_MESSAGE_PASSER};
use alloy::signers::local::{MnemonicBuilder, coins_bip39::English};
use clap::Parser;
use eyre::{Context, bail};

/// Flags of `agnt2 devnet`.
#[derive(Debug, Clone, clap::Args)]
pub struct DevnetArgs {
    /// Where the devnet keeps everything (rewritten on every start).
    #[arg(long, value_name = "DIR", default_value = ".devnet")]
    datadir: PathBuf,
    /// L2 RPC port.
    #[arg(long = "http.port", default_value_t = 8545)]
    http_port: u16,
    /// L1 (anvil) RPC port.
    #[arg(long = "l1.port", default_value_t = 8546)]
    l1_port: u16,
    /// L1 block time in seconds.
    #[arg(long = "l1.block-time", default_value_t = 1)]
    l1_block_time: u64,
    /// L1 chain id.
    #[arg(long = "l1.chain-id", default_value_t = 900)]
    l1_chain_id: u64,
    /// Propose every this many L2 blocks.
    #[arg(long = "proposer.interval", default_value_t = 5)]
    proposer_interval: u64,
    /// Block builder (`parallel` or `sequential`).
    #[arg(long = "builder", default_value = "parallel", value_parser = ["sequential", "parallel"])]
    builder: String,
    /// The verifier node's RPC port.
    #[arg(long = "verifier.port", default_value_t = 8547)]
    verifier_port: u16,
    /// Where batches go: `auto` (blobs when L1 has blob gas), `blobs` or `calldata`.
    #[arg(long = "batcher.data-availability", default_value = "auto")]
    batcher_da: String,
}

/// Dev account indexes of the devnet's operator roles (0 deploys and proposes; users keep the
/// low ones).
const BATCHER_KEY: u32 = 7;
const CHALLENGER_KEY: u32 = 8;

/// `agnt2 node`'s flags, parsed from the devnet's own command line for it.
#[derive(Debug, Parser)]
struct NodeFlags {
    #[command(flatten)]
    node: crate::NodeArgs,
}

/// Kills a child process (anvil, the verifier) when the devnet stops, however it stops.
struct Anvil(Child);

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// anvil from `PATH`, or from the project's `.tools/bin` (what `scripts/install-tools.sh`
/// installs) under the current directory or beside the binary's checkout.
fn find_anvil() -> eyre::Result<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("anvil"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from(".tools/bin/anvil")]);
    for c in candidates {
        if c.is_file() {
            return Ok(c);
        }
    }
    bail!("anvil not found on PATH or in ./.tools/bin (run bash scripts/install-tools.sh)")
}

fn dev_key(i: u32) -> eyre::Result<String> {
    let key = MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(i)?
        .build()?;
    Ok(alloy_primitives::hex::encode_prefixed(key.to_bytes()))
}

fn address_of(key: &str) -> eyre::Result<alloy_primitives::Address> {
    let signer: alloy::signers::local::PrivateKeySigner = key.trim_start_matches("0x").parse()?;
    Ok(signer.address())
}

async fn wait_for_l1(url: &str) -> eyre::Result<()> {
    let client = agnt2_rollup::L1Client::new(url, Duration::from_secs(2))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if client.chain_id().await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("anvil did not answer on {url} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the devnet until Ctrl-C.
pub async fn run(args: DevnetArgs) -> eyre::Result<()> {
    let dir = &args.datadir;
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .wrap_err_with(|| format!("clearing the old devnet in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let anvil = find_anvil()?;
    let log = std::fs::File::create(dir.join("anvil.log"))?;
    let child = Command::new(&anvil)
        .args([
            "--port",
            &args.l1_port.to_string(),
            "--chain-id",
            &args.l1_chain_id.to_string(),
            "--block-time",
            &args.l1_block_time.to_string(),
            // `safe` and `finalized` one and two blocks behind the head.
            "--slots-in-an-epoch",
            "1",
        ])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .wrap_err_with(|| format!("starting {}", anvil.display()))?;
    let _anvil = Anvil(child);
    let l1_rpc = format!("http://127.0.0.1:{}", args.l1_port);
    wait_for_l1(&l1_rpc).await?;
    println!("L1 (anvil) on {l1_rpc}, chain {}", args.l1_chain_id);

    let deployer = dev_key(0)?;
    let batcher = dev_key(BATCHER_KEY)?;
    let challenger = dev_key(CHALLENGER_KEY)?;
    let config = agnt2_rollup::deploy::DeployConfig::devnet();
    if config.batcher != Some(address_of(&batcher)?)
        || config.challenger != Some(address_of(&challenger)?)
    {
        bail!("the devnet's batcher and challenger are not dev accounts 7 and 8");
    }
    let d = crate::rollup::deploy_with(&l1_rpc, &deployer, &config, dir).await?;
    let genesis = dir
        .join("genesis")
        .join(format!("l2-{}.json", d.l2_chain_id));
    let rollup_json = dir.join("op-node-config").join("rollup.json");
    let node_dir = dir.join("node");
    let node = NodeFlags::try_parse_from([
        "node".into(),
        "--genesis".into(),
        genesis.display().to_string(),
        "--datadir".into(),
        node_dir.display().to_string(),
        "--http.port".into(),
        args.http_port.to_string(),
        "--rollup.config".into(),
        rollup_json.display().to_string(),
        "--l1.rpc".into(),
        l1_rpc.clone(),
        "--l1.poll-interval".into(),
        "250ms".into(),
        "--proposer.key".into(),
        deployer.clone(),
        "--proposer.interval".into(),
        args.proposer_interval.to_string(),
        "--batcher.key".into(),
        batcher,
        "--batcher.data-availability".into(),
        args.batcher_da.clone(),
        "--builder".into(),
        args.builder.clone(),
    ])
    .map_err(|e| eyre::eyre!("devnet node flags: {e}"))?
    .node;
    // The verifier: a second node that rebuilds the chain from L1 alone.
    let exe = std::env::current_exe()?;
    let vlog = std::fs::File::create(dir.join("verifier.log"))?;
    let verifier = Command::new(&exe)
        .args([
            "node",
            "--verifier",
            "--genesis",
            &genesis.display().to_string(),
            "--datadir",
            &dir.join("verifier").display().to_string(),
            "--http.port",
            &args.verifier_port.to_string(),
            "--rollup.config",
            &rollup_json.display().to_string(),
            "--l1.rpc",
            &l1_rpc,
            "--l1.poll-interval",
            "250ms",
            "--builder",
            &args.builder,
        ])
        .env("AGNT2_CHALLENGER_KEY", &challenger)
        .stdout(Stdio::from(vlog.try_clone()?))
        .stderr(Stdio::from(vlog))
        .spawn()
        .wrap_err_with(|| format!("starting the verifier ({})", exe.display()))?;
    let _verifier = Anvil(verifier);
    let verifier_rpc = format!("http://127.0.0.1:{}", args.verifier_port);
    let devnet_json = dir.join("devnet.json");
    let l1 = l1_rpc.clone();
    let ready: crate::OnReady = Box::new(move |addr: SocketAddr| {
        write_devnet_json(&devnet_json, &l1, addr, &verifier_rpc, &d)?;
        println!("\nagnt2 devnet is up");
        println!("  L1 RPC  {l1} (chain {})", d.l1_chain_id);
        println!(
            "  L2 RPC  http://{addr} / ws://{addr} (chain {})",
            d.l2_chain_id
        );
        println!("  verifier {verifier_rpc} (rebuilds the chain from L1 alone)");
        for (name, a) in &d.contracts {
            println!("  {name:<24} {a}");
        }
        println!("  details {}\n  Ctrl-C stops it", devnet_json.display());
        Ok(())
    });
    crate::run_node(node, Some(ready)).await
}

fn write_devnet_json(
    path: &Path,
    l1: &str,
    l2: SocketAddr,
    verifier: &str,
    d: &agnt2_rollup::deploy::Deployment,
) -> eyre::Result<()> {
    let mut contracts = serde_json::Map::new();
    for (k, v) in &d.contracts {
        contracts.insert(k.clone(), serde_json::json!(v));
    }
    contracts.insert(
        "L2ToL1MessagePasser".into(),
        serde_json::json!(L2_TO_L1_MESSAGE_PASSER),
    );
    let doc = serde_json::json!({
        "l1Rpc": l1,
        "l2Rpc": format!("http://{l2}"),
        "l2Ws": format!("ws://{l2}"),
        "verifierRpc": verifier,
        "l1ChainId": d.l1_chain_id,
        "l2ChainId": d.l2_chain_id,
        "respectedGameType": d.respected_game_type,
        "contracts": contracts,
        "l1Genesis": d.l1_genesis,
        "config": d.config,
    });
    std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")?;
    Ok(())
}
