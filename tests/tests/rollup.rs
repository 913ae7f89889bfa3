//! agnt2 as a rollup on a real anvil: `agnt2 devnet` driven by viem's own OP Stack actions
//! (deposit, a deposit that registers an ERC-8004 agent from L1, withdrawal through prove and
//! finalize); `agnt2 deploy` + `agnt2 node --rollup.config` through an L1 reorg across a
//! deposit and a `kill -9`; the files deploy writes checked against OP's parsers; and bad L1
//! input refused with a reason.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use agnt2_e2e::{DEV_KEYS, Node, agnt2_bin, cast, dev_signer, hex_u64, repo_root, run, send};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue, sol};
use serde_json::{Value, json};

const ETH: u128 = 1_000_000_000_000_000_000;

/// Deploy parameters with a devnet's short delays; the batcher and the challenger are anvil's
/// dev accounts 7 and 8 (as in `agnt2 devnet`), so their L1 nonces are their own.
const DEPLOY_CONFIG: &str = r#"{"proofMaturityDelay":6,"finalityDelay":2,"maxChallengeDuration":4,"initBond":"0x38d7ea4c68000","batcher":"0x14dC79964da2C08b23698B3D3cc7Ca32193d9955","challenger":"0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"}"#;
/// anvil's dev account 7: the batcher.
const BATCHER_KEY: &str = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";
/// anvil's dev account 8: the challenger.
const CHALLENGER_KEY: &str = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn selector(sig: &str) -> String {
    alloy_primitives::hex::encode(&keccak256(sig.as_bytes())[..4])
}

fn balance(node: &Node, who: Address) -> U256 {
    let v = node.rpc("eth_getBalance", json!([who, "latest"]));
    v.as_str().and_then(|s| s.parse().ok()).expect("balance")
}

/// `agnt2 devnet` as a process; stopped with SIGTERM (so it stops its anvil) on drop.
struct Devnet {
    child: Child,
    dir: tempfile::TempDir,
}

impl Devnet {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let builder = std::env::var("AGNT2_TEST_BUILDER").unwrap_or_else(|_| "parallel".into());
        let child = Command::new(agnt2_bin())
            .current_dir(repo_root())
            .args(["devnet", "--datadir"])
            .arg(dir.path().join("devnet"))
            .args(["--http.port", &free_port().to_string()])
            .args(["--l1.port", &free_port().to_string()])
            .args(["--verifier.port", &free_port().to_string()])
            .args(["--proposer.interval", "3", "--builder", &builder])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting agnt2 devnet");
        let d = Self { child, dir };
        let json = d.json_path();
        wait_until("devnet.json", Duration::from_secs(120), || json.exists());
        d
    }

    fn json_path(&self) -> PathBuf {
        self.dir.path().join("devnet").join("devnet.json")
    }

    fn info(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.json_path()).expect("devnet.json"))
            .expect("devnet.json parses")
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn viem_op_stack_actions_work_unchanged_on_the_devnet() {
    let devnet = Devnet::start();
    let info = devnet.info();
    for key in [
        "OptimismPortal",
        "DisputeGameFactory",
        "SystemConfig",
        "BatchInbox",
        "L2ToL1MessagePasser",
    ] {
        assert!(
            info["contracts"][key].is_string(),
            "devnet.json lacks {key}: {info}"
        );
    }
    let out = Command::new("node")
        .current_dir(repo_root().join("tests/js"))
        .arg("op-stack.mjs")
        .arg(devnet.json_path())
        .output()
        .expect("node op-stack.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "op-stack.mjs failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("json");
    // The deposit: found on L2 by the hash viem computes from the L1 log, minting exactly 1 ETH.
    assert_eq!(r["deposit"]["l2Status"], "success", "{r}");
    assert_eq!(r["deposit"]["l2Type"], "deposit", "{r}");
    assert_eq!(r["deposit"]["minted"], ETH.to_string(), "{r}");
    // The ERC-8004 registration from L1 is owned by the L1 sender.
    assert_eq!(r["register"]["l2Status"], "success", "{r}");
    assert_eq!(
        r["register"]["owner"], r["register"]["expectedOwner"],
        "{r}"
    );
    // The withdrawal: proven, finalized, paid exactly once.
    assert_eq!(r["statusBeforeProof"], "ready-to-prove", "{r}");
    assert_eq!(r["proveStatus"], "success", "{r}");
    assert_eq!(r["withdrawal"]["finalizeStatus"], "success", "{r}");
    assert_eq!(
        r["withdrawal"]["received"], r["withdrawal"]["expected"],
        "{r}"
    );
    assert_eq!(r["withdrawal"]["status"], "finalized", "{r}");
    assert_eq!(r["secondFinalize"], "refused", "{r}");
    assert_eq!(r["forcedSecondFinalize"], "reverted", "{r}");
    assert_eq!(r["portalPaidAgain"], "0", "{r}");
    // The devnet's verifier rebuilt all of that from L1: the same block at the sequencer's head.
    let rpc = |url: &str, method: &str, params: Value| -> Value {
        let addr = url
            .trim_start_matches("http://")
            .parse()
            .expect("rpc address");
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, text) = agnt2_e2e::http_post(addr, &body.to_string());
        serde_json::from_str::<Value>(&text).unwrap_or_default()["result"].clone()
    };
    let (l2, verifier) = (
        info["l2Rpc"].as_str().expect("l2Rpc").to_string(),
        info["verifierRpc"]
            .as_str()
            .expect("verifierRpc")
            .to_string(),
    );
    let head = hex_u64(&rpc(&l2, "eth_blockNumber", json!([])));
    wait_until("the verifier at the head", Duration::from_secs(120), || {
        rpc(&verifier, "eth_blockNumber", json!([]))
            .as_str()
            .is_some_and(|n| {
                u64::from_str_radix(n.trim_start_matches("0x"), 16).unwrap_or(0) >= head
            })
    });
    let at = |url: &str| {
        rpc(
            url,
            "eth_getBlockByNumber",
            json!([format!("{head:#x}"), false]),
        )["hash"]
            .clone()
    };
    assert_eq!(at(&l2), at(&verifier), "block {head}");
}

/// anvil as L1, the contracts deployed with `agnt2 deploy`.
struct Chain {
    l1: Node,
    out: tempfile::TempDir,
    deployment: Value,
}

impl Chain {
    fn deploy() -> Self {
        Self::deploy_with(&["--block-time", "1"], DEPLOY_CONFIG)
    }

    /// `agnt2 deploy` with `config` onto an anvil started with `anvil_args`.
    fn deploy_with(anvil_args: &[&str], config_json: &str) -> Self {
        let l1 = Node::anvil(anvil_args);
        let out = tempfile::tempdir().expect("tmp");
        let config = out.path().join("deploy.json");
        std::fs::write(&config, config_json).expect("config");
        let printed = run(Command::new(agnt2_bin())
            .args([
                "deploy",
                "--l1-rpc",
                &l1.url(),
                "--private-key",
                DEV_KEYS[0],
            ])
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(out.path()));
        assert!(
            printed.contains("OptimismPortal …"),
            "deploy shows its steps: {printed}"
        );
        let deployment: Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("deployments/31337.json"))
                .expect("deployment"),
        )
        .expect("deployment json");
        Self {
            l1,
            out,
            deployment,
        }
    }

    /// `agnt2 deploy` again over the same output directory; returns what it printed.
    fn redeploy(&self) -> String {
        run(Command::new(agnt2_bin())
            .args([
                "deploy",
                "--l1-rpc",
                &self.l1.url(),
                "--private-key",
                DEV_KEYS[0],
            ])
            .arg("--out")
            .arg(self.out.path()))
    }

    fn address(&self, name: &str) -> Address {
        self.deployment["contracts"][name]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {}", self.deployment))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.out.path().join(rel)
    }

    /// The sequencer with the proposer (every 3 blocks) and the batcher on `datadir`.
    fn node(&self, datadir: &Path) -> Node {
        self.sequencer(
            datadir,
            &[
                "--proposer.key",
                DEV_KEYS[0],
                "--proposer.interval",
                "3",
                "--batcher.key",
                BATCHER_KEY,
            ],
        )
    }

    /// The chain's flags for a node on `datadir`, and `extra`.
    fn rollup_node(&self, datadir: &Path, extra: &[&str]) -> Node {
        let genesis = self.path("genesis/l2-28004.json");
        let rollup = self.path("op-node-config/rollup.json");
        let mut args = vec![
            "--genesis",
            genesis.to_str().expect("path"),
            "--rollup.config",
            rollup.to_str().expect("path"),
            "--l1.poll-interval",
            "200ms",
        ];
        let url = self.l1.url();
        args.extend(["--l1.rpc", &url]);
        args.extend(extra);
        Node::start(datadir, &args)
    }

    /// A sequencer with `extra` flags.
    fn sequencer(&self, datadir: &Path, extra: &[&str]) -> Node {
        self.rollup_node(datadir, extra)
    }

    /// A verifier with `extra` flags.
    fn verifier(&self, datadir: &Path, extra: &[&str]) -> Node {
        let mut args = vec!["--verifier"];
        args.extend(extra);
        self.rollup_node(datadir, &args)
    }

    /// A deposit of `wei` from dev account 1 to `to`; returns the L1 receipt.
    fn deposit(&self, to: Address, wei: u128) -> Value {
        let out = cast(
            &self.l1,
            &[
                "send",
                "--json",
                "--private-key",
                DEV_KEYS[1],
                "--value",
                &wei.to_string(),
                &self.address("OptimismPortal").to_string(),
                "depositTransaction(address,uint256,uint64,bool,bytes)",
                &to.to_string(),
                // What the portal mints goes to the sender; `_value` moves it on to `to`.
                &wei.to_string(),
                "100000",
                "false",
                "0x",
            ],
        );
        let r: Value = serde_json::from_str(&out).expect("receipt");
        assert_eq!(r["status"], "0x1", "deposit failed: {r}");
        r
    }

    /// L2 block numbers of the proposals on L1, oldest first.
    fn proposals(&self) -> Vec<u64> {
        let factory = self.address("DisputeGameFactory").to_string();
        let count = cast(&self.l1, &["call", &factory, "gameCount()(uint256)"]);
        let count: u64 = count
            .split_whitespace()
            .next()
            .unwrap_or("0")
            .parse()
            .expect("count");
        (0..count)
            .map(|i| {
                let game = cast(
                    &self.l1,
                    &[
                        "call",
                        &factory,
                        "gameAtIndex(uint256)(uint32,uint64,address)",
                        &i.to_string(),
                    ],
                );
                let proxy = game.lines().nth(2).expect("proxy").trim().to_string();
                let n = cast(&self.l1, &["call", &proxy, "l2BlockNumber()(uint256)"]);
                n.split_whitespace()
                    .next()
                    .unwrap_or("0")
                    .parse()
                    .expect("number")
            })
            .collect()
    }
}

#[test]
fn the_files_deploy_writes_parse_as_ops() {
    let chain = Chain::deploy();
    let text =
        std::fs::read_to_string(chain.path("op-node-config/rollup.json")).expect("rollup.json");
    // kona's RollupConfig rejects unknown fields at every level.
    let kona: kona_genesis::RollupConfig = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("kona refuses rollup.json: {e}\n{text}"));
    assert_eq!(kona.l1_chain_id, 31337);
    assert_eq!(kona.l2_chain_id.id(), 28004);
    assert_eq!(
        kona.deposit_contract_address,
        chain.address("OptimismPortal")
    );
    assert_eq!(kona.l1_system_config_address, chain.address("SystemConfig"));
    assert_eq!(kona.batch_inbox_address, chain.address("BatchInbox"));
    // The genesis anchor is a real L1 block and the L2 genesis is the node's.
    let anchor = &chain.deployment["l1Genesis"];
    let l1_block = chain.l1.rpc(
        "eth_getBlockByNumber",
        json!([anchor["number"].as_u64().map(|n| format!("{n:#x}")), false]),
    );
    assert_eq!(l1_block["hash"], anchor["hash"]);
    assert_eq!(
        format!("{:#x}", kona.genesis.l1.hash),
        anchor["hash"].as_str().unwrap_or_default()
    );
    let dir = tempfile::tempdir().expect("tmp");
    let node = chain.node(dir.path());
    let g = node.rpc("eth_getBlockByNumber", json!(["0x0", false]));
    assert_eq!(
        g["hash"].as_str(),
        Some(format!("{:#x}", kona.genesis.l2.hash).as_str())
    );
    // A rerun of the finished deploy changes nothing.
    let again = chain.redeploy();
    assert!(
        !again.contains("OptimismPortal …"),
        "a finished deploy is not redone: {again}"
    );
    let after: Value = serde_json::from_str(
        &std::fs::read_to_string(chain.path("deployments/31337.json")).expect("deployment"),
    )
    .expect("json");
    assert_eq!(after["contracts"], chain.deployment["contracts"]);
    // A deploy interrupted before its last steps resumes with exactly those.
    let path = chain.path("deployments/31337.json");
    let mut partial = after.clone();
    let steps = partial["steps"].as_array_mut().expect("steps");
    let cut = steps.len() - 2;
    let redone: Vec<String> = steps
        .drain(cut..)
        .filter_map(|s| s.as_str().map(String::from))
        .collect();
    std::fs::write(&path, serde_json::to_string_pretty(&partial).expect("json")).expect("write");
    let resumed = chain.redeploy();
    let shown: Vec<&str> = resumed
        .lines()
        .filter_map(|l| l.trim().strip_suffix(" …"))
        .collect();
    assert_eq!(shown, redone, "resumed steps: {resumed}");
}

#[test]
fn deposits_survive_an_l1_reorg_and_a_kill9_and_proposals_have_no_gaps() {
    let chain = Chain::deploy();
    let dir = tempfile::tempdir().expect("tmp");
    let mut node = chain.node(dir.path());
    let alice = Address::repeat_byte(0xa1);
    // `safe` and `finalized` follow L1 (whose finalized head is far behind on anvil), not the tip.
    node.wait_for("a few L2 blocks", Duration::from_secs(60), |n| {
        n.block_number() >= 3
    });
    let finalized =
        hex_u64(&node.rpc("eth_getBlockByNumber", json!(["finalized", false]))["number"]);
    assert!(finalized < node.block_number(), "finalized is not the tip");

    // A deposit lands on L2 …
    let snapshot = chain.l1.rpc("evm_snapshot", json!([]));
    chain.deposit(alice, ETH);
    node.wait_for("the deposit on L2", Duration::from_secs(60), |n| {
        balance(n, alice) == U256::from(ETH)
    });
    // … then L1 reorgs it away: L2 unwinds and re-derives without it, and keeps going.
    let reverted = chain.l1.rpc("evm_revert", json!([snapshot]));
    assert_eq!(reverted, json!(true));
    node.wait_for("the unwind", Duration::from_secs(60), |n| {
        balance(n, alice).is_zero()
    });
    let head = node.block_number();
    node.wait_for("blocks after the unwind", Duration::from_secs(60), |n| {
        n.block_number() > head + 2
    });
    // A new deposit counts once.
    chain.deposit(alice, 2 * ETH);
    node.wait_for("the new deposit", Duration::from_secs(60), |n| {
        balance(n, alice) == U256::from(2 * ETH)
    });

    // kill -9, restart: the chain continues from its head, deposits keep coming.
    let before = node.block_number();
    node.kill9();
    let node = chain.node(dir.path());
    assert!(node.block_number() >= before, "restart kept the head");
    chain.deposit(alice, ETH);
    node.wait_for(
        "a deposit after the restart",
        Duration::from_secs(60),
        |n| balance(n, alice) == U256::from(3 * ETH),
    );
    let proposed_to = node.block_number();
    wait_until(
        "proposals past the restart",
        Duration::from_secs(90),
        || {
            chain
                .proposals()
                .last()
                .is_some_and(|&n| n + 3 >= proposed_to)
        },
    );
    // Proposals: every third block, in order, none skipped, none twice.
    let proposals = chain.proposals();
    let expected: Vec<u64> = (1..=proposals.len() as u64).map(|i| 3 * i).collect();
    assert_eq!(proposals, expected);
}

sol! {
    struct WithdrawalTransaction { uint256 nonce; address sender; address target; uint256 value; uint256 gasLimit; bytes data; }
    struct OutputRootProof { bytes32 version; bytes32 stateRoot; bytes32 messagePasserStorageRoot; bytes32 latestBlockhash; }
    function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes data) external payable;
    function create(uint32 gameType, bytes32 rootClaim, bytes extraData) external payable returns (address);
    function proveWithdrawalTransaction(WithdrawalTransaction wd, uint256 gameIndex, OutputRootProof proof, bytes[] withdrawalProof) external;
    function finalizeWithdrawalTransaction(WithdrawalTransaction wd) external;
}

/// `eth_call` from dev account 2; the revert data's selector must be `error`'s.
fn assert_refused(l1: &Node, what: &str, to: Address, data: Vec<u8>, value: u128, error: &str) {
    let call = json!({
        "from": dev_signer(2).address(),
        "to": to,
        "data": Bytes::from(data),
        "value": format!("{value:#x}"),
    });
    let r = l1.rpc_raw("eth_call", json!([call, "latest"]));
    let err = r
        .get("error")
        .unwrap_or_else(|| panic!("{what}: accepted: {r}"));
    if !error.is_empty() {
        let data = err["data"].as_str().unwrap_or_default();
        assert!(
            data.starts_with(&format!("0x{}", selector(error))),
            "{what}: expected {error}, got {err}"
        );
    }
}

fn withdrawal(who: Address) -> WithdrawalTransaction {
    WithdrawalTransaction {
        nonce: U256::ZERO,
        sender: who,
        target: who,
        value: U256::ZERO,
        gasLimit: U256::ZERO,
        data: Default::default(),
    }
}

#[test]
fn bad_l1_input_is_refused_with_a_reason() {
    let chain = Chain::deploy();
    let portal = chain.address("OptimismPortal");
    let factory = chain.address("DisputeGameFactory");
    let someone = dev_signer(2).address();
    let dep = |to, gas, creation, data: Vec<u8>| {
        depositTransactionCall {
            to,
            value: U256::ZERO,
            gasLimit: gas,
            isCreation: creation,
            data: data.into(),
        }
        .abi_encode()
    };
    let cases: Vec<(&str, Address, Vec<u8>, u128, &str)> = vec![
        (
            "gas under the minimum",
            portal,
            dep(someone, 100, false, vec![]),
            0,
            "OptimismPortal_GasLimitTooLow()",
        ),
        (
            "data over the maximum",
            portal,
            dep(someone, 10_000_000, false, vec![0; 120_001]),
            0,
            "OptimismPortal_CalldataTooLarge()",
        ),
        (
            "creation with a target",
            portal,
            dep(someone, 100_000, true, vec![0x60]),
            0,
            "OptimismPortal_BadTarget()",
        ),
        (
            "a proposal from a non-proposer",
            factory,
            createCall {
                gameType: 2002,
                rootClaim: B256::repeat_byte(0x11),
                extraData: U256::from(5).abi_encode().into(),
            }
            .abi_encode(),
            1_000_000_000_000_000,
            "BadAuth()",
        ),
        (
            "a proof against a game that does not exist",
            portal,
            proveWithdrawalTransactionCall {
                wd: WithdrawalTransaction {
                    nonce: U256::ZERO,
                    sender: someone,
                    target: someone,
                    value: U256::ZERO,
                    gasLimit: U256::ZERO,
                    data: Default::default(),
                },
                gameIndex: U256::ZERO,
                proof: OutputRootProof {
                    version: B256::ZERO,
                    stateRoot: B256::ZERO,
                    messagePasserStorageRoot: B256::ZERO,
                    latestBlockhash: B256::ZERO,
                },
                withdrawalProof: vec![vec![0xde, 0xad].into()],
            }
            .abi_encode(),
            0,
            "",
        ),
    ];
    for (what, to, data, value, error) in cases {
        assert_refused(&chain.l1, what, to, data, value, error);
    }
    // Against a real proposal: a wrong output-root preimage, a malformed proof under the right
    // one, and finalizing what was never proven.
    let dir = tempfile::tempdir().expect("tmp");
    let node = chain.node(dir.path());
    wait_until("the first proposal", Duration::from_secs(90), || {
        !chain.proposals().is_empty()
    });
    let block = node.rpc("eth_getBlockByNumber", json!(["0x3", false]));
    let word = |k: &str| -> B256 { block[k].as_str().and_then(|s| s.parse().ok()).expect(k) };
    let right = OutputRootProof {
        version: B256::ZERO,
        stateRoot: word("stateRoot"),
        messagePasserStorageRoot: word("withdrawalsRoot"),
        latestBlockhash: word("hash"),
    };
    let prove = |proof: OutputRootProof, nodes: Vec<Bytes>| {
        proveWithdrawalTransactionCall {
            wd: withdrawal(someone),
            gameIndex: U256::ZERO,
            proof,
            withdrawalProof: nodes,
        }
        .abi_encode()
    };
    let mut wrong = right.clone();
    wrong.stateRoot = B256::repeat_byte(9);
    assert_refused(
        &chain.l1,
        "a wrong output root preimage",
        portal,
        prove(wrong, vec![]),
        0,
        "OptimismPortal_InvalidOutputRootProof()",
    );
    assert_refused(
        &chain.l1,
        "a malformed withdrawal proof",
        portal,
        prove(right, vec![vec![0xc1, 0x80].into()]),
        0,
        "",
    );
    let finalize = finalizeWithdrawalTransactionCall {
        wd: withdrawal(someone),
    }
    .abi_encode();
    assert_refused(
        &chain.l1,
        "finalizing an unproven withdrawal",
        portal,
        finalize,
        0,
        "OptimismPortal_Unproven()",
    );
    // Nothing was lost: a proper deposit still goes through.
    chain.deposit(Address::repeat_byte(0xb0), 1);
}

/// `docker-compose.yml` parses, and every flag its services pass to agnt2 is one the binary
/// takes (this machine has no Docker engine; the commands themselves run in the tests above).
#[test]
fn docker_compose_runs_what_the_binary_accepts() {
    let text = std::fs::read_to_string(repo_root().join("docker-compose.yml")).expect("compose");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("docker-compose.yml parses");
    let services = &doc["services"];
    assert!(services["l1"]["entrypoint"][0].as_str() == Some("anvil"));
    for service in ["node", "verifier"] {
        let command = services[service]["command"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{service} command"));
        // The agnt2 commands (the verifier first waits for the deploy's files).
        for part in command
            .split("&&")
            .filter(|p| p.trim().starts_with("agnt2"))
        {
            let words: Vec<&str> = part.split_whitespace().collect();
            let sub = words[1];
            let help = run(Command::new(agnt2_bin()).args([sub, "--help"]));
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                assert!(help.contains(flag), "agnt2 {sub} has no {flag}");
            }
        }
        // Keys come from the environment, under the names the binary reads.
        let helps = ["node", "deploy"]
            .map(|sub| run(Command::new(agnt2_bin()).args([sub, "--help"])))
            .join("\n");
        if let Some(env) = services[service]["environment"].as_mapping() {
            for key in env.keys().filter_map(|k| k.as_str()) {
                assert!(helps.contains(key), "agnt2 reads no {key}");
            }
        }
    }
}

/// L1 stops answering (anvil paused): the sequencer keeps producing within its drift, then
/// takes L1's deposits again once it is back.
#[test]
fn an_l1_outage_does_not_stop_the_sequencer() {
    let chain = Chain::deploy();
    let dir = tempfile::tempdir().expect("tmp");
    let node = chain.node(dir.path());
    node.wait_for("a few L2 blocks", Duration::from_secs(60), |n| {
        n.block_number() >= 3
    });
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &chain.l1.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    let head = node.block_number();
    let produced = Instant::now();
    node.wait_for("blocks while L1 is away", Duration::from_secs(30), |n| {
        n.block_number() >= head + 3
    });
    signal("-CONT");
    assert!(produced.elapsed() < Duration::from_secs(30));
    let bob = Address::repeat_byte(0xb2);
    chain.deposit(bob, ETH);
    node.wait_for("a deposit after the outage", Duration::from_secs(60), |n| {
        balance(n, bob) == U256::from(ETH)
    });
}

/// A proposal-style L1 transaction that sits unmined is re-sent with the same nonce and higher
/// fees, and lands once.
#[test]
fn an_unmined_l1_transaction_is_resent_with_higher_fees() {
    let l1 = Node::anvil(&[]);
    l1.rpc("evm_setAutomine", json!([false]));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let receipt = rt.block_on(async {
        let client =
            agnt2_rollup::L1Client::new(&l1.url(), Duration::from_secs(5)).expect("client");
        let mut sender = agnt2_rollup::L1Sender::new(client, dev_signer(1))
            .await
            .expect("sender");
        sender.resubmit_after = Duration::from_millis(400);
        let send = sender.send(
            Some(Address::repeat_byte(0xc3)),
            U256::from(7),
            Bytes::new(),
        );
        let miner = async {
            // Two resubmissions go by, then L1 mines.
            tokio::time::sleep(Duration::from_millis(1_000)).await;
            let body =
                json!({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}).to_string();
            agnt2_e2e::http_post(l1.addr, &body);
        };
        let (r, ()) = tokio::join!(send, miner);
        r.expect("mined")
    });
    assert!(receipt.status());
    let tx = l1.rpc(
        "eth_getTransactionByHash",
        json!([receipt.transaction_hash]),
    );
    let tip = u128::from_str_radix(
        tx["maxPriorityFeePerGas"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert!(tip > 1_000_000_000, "fees were bumped: tip {tip}");
    assert_eq!(hex_u64(&tx["nonce"]), 0, "the same nonce");
    assert_eq!(
        balance(&l1, Address::repeat_byte(0xc3)),
        U256::from(7),
        "paid once"
    );
}

// ---- Batches, verifiers and the challenger ----

/// Init code of a contract whose runtime returns 42 (a deployment in the workload).
const INIT_CODE: &str = "0x600a600c600039600a6000f3602a60005260206000f3";

fn block_at(node: &Node, n: u64) -> Value {
    node.rpc("eth_getBlockByNumber", json!([format!("{n:#x}"), false]))
}

fn head_of(node: &Node, tag: &str) -> u64 {
    hex_u64(&node.rpc("eth_getBlockByNumber", json!([tag, false]))["number"])
}

/// `optimism_outputAtBlock(n).outputRoot`.
fn output_at(node: &Node, n: u64) -> B256 {
    node.rpc("optimism_outputAtBlock", json!([format!("{n:#x}")]))["outputRoot"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("outputRoot")
}

/// One round of everything a block can carry: a deposit from L1, an L2 transfer, a contract
/// deployment and an ERC-8004 registration. L2 transactions come from dev account 2: the
/// deposits are dev account 1's and move its L2 nonce too.
fn workload(chain: &Chain, seq: &Node, round: u8) {
    chain.deposit(Address::repeat_byte(0xd0 ^ round), ETH / 100);
    let to = Address::repeat_byte(0xe0 ^ round).to_string();
    cast(
        seq,
        &["send", "--private-key", DEV_KEYS[2], &to, "--value", "1000"],
    );
    // `--create` takes the rest of the line, so the URL goes first.
    run(Command::new(agnt2_e2e::tool("cast")).args([
        "send",
        "--rpc-url",
        &seq.url(),
        "--private-key",
        DEV_KEYS[2],
        "--create",
        INIT_CODE,
    ]));
    send(
        seq,
        2,
        agnt2_precompiles::IDENTITY_REGISTRY,
        "register(string)",
        &[&format!("https://agent-{round}.example/agent-card.json")],
    );
}

/// Block hash and state root agree at every height up to `upto`.
fn assert_same_chain(seq: &Node, ver: &Node, upto: u64) {
    for n in 0..=upto {
        let (a, b) = (block_at(seq, n), block_at(ver, n));
        assert_eq!(
            (&a["hash"], &a["stateRoot"]),
            (&b["hash"], &b["stateRoot"]),
            "block {n} differs between sequencer and verifier"
        );
    }
}

impl Chain {
    /// Every game: (proxy, L2 block, root claim), oldest first.
    fn games(&self) -> Vec<(Address, u64, B256)> {
        let factory = self.address("DisputeGameFactory").to_string();
        let count: u64 = cast(&self.l1, &["call", &factory, "gameCount()(uint256)"])
            .split_whitespace()
            .next()
            .unwrap_or("0")
            .parse()
            .expect("count");
        (0..count)
            .map(|i| {
                let game = cast(
                    &self.l1,
                    &[
                        "call",
                        &factory,
                        "gameAtIndex(uint256)(uint32,uint64,address)",
                        &i.to_string(),
                    ],
                );
                let proxy = game.lines().nth(2).expect("proxy").trim().to_string();
                let n = cast(&self.l1, &["call", &proxy, "l2BlockNumber()(uint256)"]);
                let claim = cast(&self.l1, &["call", &proxy, "rootClaim()(bytes32)"]);
                (
                    proxy.parse().expect("proxy"),
                    n.split_whitespace()
                        .next()
                        .unwrap_or("0")
                        .parse()
                        .expect("number"),
                    claim.trim().parse().expect("claim"),
                )
            })
            .collect()
    }

    fn game_status(&self, game: Address) -> u64 {
        cast(&self.l1, &["call", &game.to_string(), "status()(uint8)"])
            .trim()
            .parse()
            .expect("status")
    }

    /// The batches the inbox accepted, by the derivation rules: (L1 tx of the channel's last
    /// frame, batch), in L1 order.
    fn batches(&self) -> Vec<(B256, agnt2_rollup::batch::SingularBatch)> {
        use agnt2_rollup::channel::{BatcherTx, ChannelBank, IngestReport};
        let inbox = self.address("BatchInbox");
        let logs = self.l1.rpc(
            "eth_getLogs",
            json!([{ "address": inbox, "fromBlock": "0x0", "toBlock": "latest" }]),
        );
        let mut bank = ChannelBank::new(50);
        let mut report = IngestReport::default();
        let mut out = Vec::new();
        for log in logs.as_array().expect("logs") {
            let hash: B256 = log["transactionHash"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("tx hash");
            let block = hex_u64(&log["blockNumber"]);
            let tx = self.l1.rpc("eth_getTransactionByHash", json!([hash]));
            let data: Vec<Bytes> = match tx["blobVersionedHashes"].as_array() {
                Some(hashes) if !hashes.is_empty() => hashes
                    .iter()
                    .map(|vh| {
                        let blob = self.l1.rpc("anvil_getBlobByHash", json!([vh]));
                        let blob: Bytes = serde_json::from_value(blob).expect("blob");
                        agnt2_rollup::batch::data_from_blob(&blob)
                            .expect("blob decodes")
                            .into()
                    })
                    .collect(),
                _ => vec![serde_json::from_value(tx["input"].clone()).expect("input")],
            };
            for b in bank.ingest(block, &[BatcherTx { hash, data }], &mut report) {
                out.push((hash, b.batch));
            }
        }
        out
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[test]
fn a_verifier_started_late_rebuilds_the_chain_from_l1_alone() {
    // L1 starts four minutes in the past, so the sequencer builds its first 200-odd blocks as
    // fast as it can catch up with the wall clock, and the workload lands in them.
    let past = (now_secs() - 240).to_string();
    let chain = Chain::deploy_with(&["--block-time", "1", "--timestamp", &past], DEPLOY_CONFIG);
    let dir = tempfile::tempdir().expect("tmp");
    let seq = chain.sequencer(
        dir.path(),
        &[
            "--proposer.key",
            DEV_KEYS[0],
            "--proposer.interval",
            "25",
            "--batcher.key",
            BATCHER_KEY,
            "--batcher.data-availability",
            "blobs",
        ],
    );
    for round in 0..3 {
        workload(&chain, &seq, round);
    }
    seq.wait_for("200 L2 blocks", Duration::from_secs(300), |n| {
        n.block_number() >= 210
    });
    workload(&chain, &seq, 3);
    let target = seq.block_number();
    seq.wait_for("every block published", Duration::from_secs(120), |n| {
        head_of(n, "safe") >= target
    });
    let games = chain.games();
    assert!(!games.is_empty(), "the proposer proposed");

    // Started after the fact, killed mid-derivation and restarted: it reaches the sequencer's
    // block hash and state root at every height, and every proposed output.
    // It reads the blobs through the beacon API (anvil serves Fulu's blobs endpoint on its RPC
    // port), where the sequencer read them with `anvil_getBlobByHash`.
    let vdir = tempfile::tempdir().expect("tmp");
    let beacon = chain.l1.url();
    let mut ver = chain.verifier(vdir.path(), &["--l1.beacon", &beacon]);
    ver.wait_for("derivation under way", Duration::from_secs(120), |n| {
        n.block_number() >= 50
    });
    ver.kill9();
    let ver = chain.verifier(vdir.path(), &["--l1.beacon", &beacon]);
    ver.wait_for(
        "the verifier at the sequencer's head",
        Duration::from_secs(300),
        |n| n.block_number() >= target,
    );
    assert_same_chain(&seq, &ver, target);
    for (game, n, claim) in chain.games() {
        if n <= target {
            assert_eq!(output_at(&ver, n), claim, "game {game} for block {n}");
        }
    }
    // Everything it derived is safe; it takes no transactions.
    assert!(head_of(&ver, "safe") >= target);
    let status = ver.rpc("optimism_syncStatus", json!([]));
    // op-node's shapes: block numbers are JSON numbers.
    assert!(
        status["safe_l2"]["number"]
            .as_u64()
            .is_some_and(|n| n >= target),
        "{status}"
    );
    let refused = ver.rpc_raw(
        "eth_sendRawTransaction",
        json!([agnt2_e2e::signed_transfer(
            &dev_signer(1),
            9_999,
            Address::ZERO,
            U256::from(1),
            agnt2_e2e::CHAIN_ID,
        )]),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("verifier")),
        "{refused}"
    );
}

/// The sent-message slot of a withdrawal in the L2ToL1MessagePasser (`sentMessages`, slot 0).
fn sent_message_slot(wd: &WithdrawalTransaction) -> B256 {
    let hash = keccak256(
        (
            wd.nonce,
            wd.sender,
            wd.target,
            wd.value,
            wd.gasLimit,
            wd.data.clone(),
        )
            .abi_encode_params(),
    );
    keccak256((hash, U256::ZERO).abi_encode())
}

/// The receipt of L1 transaction `hash`, once mined.
fn l1_receipt(chain: &Chain, hash: &str) -> Value {
    chain.l1.wait_receipt(hash, Duration::from_secs(30))
}

fn l1_time(chain: &Chain) -> u64 {
    hex_u64(
        &chain
            .l1
            .rpc("eth_getBlockByNumber", json!(["latest", false]))["timestamp"],
    )
}

#[test]
fn a_rogue_output_is_challenged_and_its_withdrawal_cannot_finalize() {
    let config = DEPLOY_CONFIG.replace("\"maxChallengeDuration\":4", "\"maxChallengeDuration\":20");
    // L1 finalizes two blocks behind its head, so the verifier (which only challenges what it
    // derived from finalized L1 data) decides well inside the 20 s window.
    let chain = Chain::deploy_with(&["--block-time", "1", "--slots-in-an-epoch", "1"], &config);
    let (dir, vdir) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    // No proposer: this test makes the proposals, one rogue and one honest.
    let seq = chain.sequencer(
        dir.path(),
        &[
            "--batcher.key",
            BATCHER_KEY,
            "--batcher.data-availability",
            "calldata",
        ],
    );
    let ver = chain.verifier(vdir.path(), &["--challenger.key", CHALLENGER_KEY]);
    let portal = chain.address("OptimismPortal");
    let factory = chain.address("DisputeGameFactory").to_string();
    let bond = "1000000000000000";
    // The portal holds the deposit that both withdrawals below want out.
    chain.deposit(Address::repeat_byte(0xd1), ETH);

    // An honest withdrawal of 0.25 ETH to `payee`, initiated on L2 by dev account 2.
    let user = dev_signer(2).address();
    let payee = Address::repeat_byte(0xbe);
    let passer = agnt2_primitives::constants::L2_TO_L1_MESSAGE_PASSER.to_string();
    let out = cast(
        &seq,
        &[
            "send",
            "--json",
            "--private-key",
            DEV_KEYS[2],
            "--value",
            &(ETH / 4).to_string(),
            &passer,
            "initiateWithdrawal(address,uint256,bytes)",
            &payee.to_string(),
            "100000",
            "0x",
        ],
    );
    let r: Value = serde_json::from_str(&out).expect("receipt");
    assert_eq!(r["status"], "0x1", "{r}");
    let n = hex_u64(&r["blockNumber"]);
    let nonce: U256 = r["logs"][0]["topics"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("nonce topic");
    let honest_wd = WithdrawalTransaction {
        nonce,
        sender: user,
        target: payee,
        value: U256::from(ETH / 4),
        gasLimit: U256::from(100_000),
        data: Default::default(),
    };
    ver.wait_for("the verifier at the block", Duration::from_secs(120), |v| {
        v.block_number() >= n
    });
    let block = block_at(&seq, n);
    let word = |k: &str| -> B256 { block[k].as_str().and_then(|s| s.parse().ok()).expect(k) };

    // The rogue claim: the real state and block hash, but a message-passer root of a made-up
    // trie whose one leaf is a made-up withdrawal of 0.5 ETH to a thief.
    let thief = Address::repeat_byte(0xbd);
    let fake_wd = WithdrawalTransaction {
        nonce: U256::from(7),
        sender: thief,
        target: thief,
        value: U256::from(ETH / 2),
        gasLimit: U256::ZERO,
        data: Default::default(),
    };
    let mut leaf = vec![0xe3, 0xa1, 0x20];
    leaf.extend_from_slice(keccak256(sent_message_slot(&fake_wd)).as_slice());
    leaf.push(0x01);
    let fake_root = keccak256(&leaf);
    let rogue_proof = OutputRootProof {
        version: B256::ZERO,
        stateRoot: word("stateRoot"),
        messagePasserStorageRoot: fake_root,
        latestBlockhash: word("hash"),
    };
    let rogue_claim = keccak256(
        (
            B256::ZERO,
            rogue_proof.stateRoot,
            fake_root,
            rogue_proof.latestBlockhash,
        )
            .abi_encode(),
    );
    let extra = Bytes::from(U256::from(n).abi_encode()).to_string();
    // With L1 mining paused, the rogue proposal and the thief's proof land in one block,
    // before any challenge can.
    chain.l1.rpc("evm_setIntervalMining", json!([0]));
    let create = |claim: B256| {
        cast(
            &chain.l1,
            &[
                "send",
                "--async",
                "--private-key",
                DEV_KEYS[0],
                "--value",
                bond,
                &factory,
                "create(uint32,bytes32,bytes)",
                "2002",
                &claim.to_string(),
                &extra,
            ],
        )
    };
    let prove =
        |wd: &WithdrawalTransaction, game: u64, proof: OutputRootProof, nodes: Vec<Bytes>| {
            let data = proveWithdrawalTransactionCall {
                wd: wd.clone(),
                gameIndex: U256::from(game),
                proof,
                withdrawalProof: nodes,
            }
            .abi_encode();
            cast(
                &chain.l1,
                &[
                    "send",
                    "--async",
                    "--gas-limit",
                    "1000000",
                    "--private-key",
                    DEV_KEYS[2],
                    &portal.to_string(),
                    &Bytes::from(data).to_string(),
                ],
            )
        };
    let rogue_tx = create(rogue_claim);
    let theft_tx = prove(&fake_wd, 0, rogue_proof, vec![leaf.into()]);
    chain.l1.rpc("evm_mine", json!([]));
    chain.l1.rpc("evm_setIntervalMining", json!([1]));
    assert_eq!(l1_receipt(&chain, &rogue_tx)["status"], "0x1");
    assert_eq!(
        l1_receipt(&chain, &theft_tx)["status"],
        "0x1",
        "the proof against the rogue game is accepted while it is open"
    );
    let proven_at = l1_time(&chain);

    // The verifier sees the output is not the chain's and invalidates the game.
    let rogue = chain.games()[0].0;
    wait_until("the challenge", Duration::from_secs(60), || {
        chain.game_status(rogue) == 1
    });
    assert_eq!(output_at(&ver, n), output_at(&seq, n));
    assert_ne!(output_at(&ver, n), rogue_claim);
    // Past the proof maturity delay, the thief's withdrawal still cannot finalize.
    wait_until("the proof maturity delay", Duration::from_secs(30), || {
        l1_time(&chain) > proven_at + 7
    });
    let finalize = |wd: &WithdrawalTransaction| {
        finalizeWithdrawalTransactionCall { wd: wd.clone() }.abi_encode()
    };
    assert_refused(
        &chain.l1,
        "finalizing against a challenged game",
        portal,
        finalize(&fake_wd),
        0,
        "",
    );

    // The honest proposal for the same block is left alone, resolves, and its withdrawal
    // finalizes.
    let honest_tx = create(output_at(&seq, n));
    assert_eq!(l1_receipt(&chain, &honest_tx)["status"], "0x1");
    let honest = chain.games()[1].0;
    let created: u64 = cast(
        &chain.l1,
        &["call", &honest.to_string(), "createdAt()(uint64)"],
    )
    .split_whitespace()
    .next()
    .unwrap_or("0")
    .parse()
    .expect("createdAt");
    // anvil may mine two blocks in one second, and the portal only finalizes a proof made
    // strictly after the game was created; so prove once L1's clock is past the creation.
    wait_until(
        "L1 time past the game's creation",
        Duration::from_secs(30),
        || l1_time(&chain) > created,
    );
    let slot = sent_message_slot(&honest_wd);
    let proof = seq.rpc("eth_getProof", json!([passer, [slot], format!("{n:#x}")]));
    let nodes: Vec<Bytes> =
        serde_json::from_value(proof["storageProof"][0]["proof"].clone()).expect("storage proof");
    let right = OutputRootProof {
        version: B256::ZERO,
        stateRoot: word("stateRoot"),
        messagePasserStorageRoot: word("withdrawalsRoot"),
        latestBlockhash: word("hash"),
    };
    let proved = prove(&honest_wd, 1, right, nodes);
    assert_eq!(l1_receipt(&chain, &proved)["status"], "0x1");
    wait_until("the challenge window", Duration::from_secs(60), || {
        l1_time(&chain) > created + 20
    });
    assert_eq!(
        chain.game_status(honest),
        0,
        "the honest game was not challenged"
    );
    cast(
        &chain.l1,
        &[
            "send",
            "--private-key",
            DEV_KEYS[2],
            &honest.to_string(),
            "resolve()",
        ],
    );
    assert_eq!(chain.game_status(honest), 2, "DEFENDER_WINS");
    let call = json!({ "from": user, "to": portal, "data": Bytes::from(finalize(&honest_wd)) });
    let mut refusal = Value::Null;
    wait_until(
        "the withdrawal finalizable",
        Duration::from_secs(60),
        || {
            let now = chain
                .l1
                .rpc_raw("eth_call", json!([call, "latest"]))
                .get("error")
                .cloned()
                .unwrap_or(Value::Null);
            if !now.is_null() && now != refusal {
                eprintln!("finalize refused at L1 time {}: {now}", l1_time(&chain));
            }
            refusal = now;
            refusal.is_null()
        },
    );
    cast(
        &chain.l1,
        &[
            "send",
            "--private-key",
            DEV_KEYS[2],
            &portal.to_string(),
            &Bytes::from(finalize(&honest_wd)).to_string(),
        ],
    );
    assert_eq!(balance(&chain.l1, payee), U256::from(ETH / 4));
    assert_eq!(balance(&chain.l1, thief), U256::ZERO);
}

impl Chain {
    /// Data of every transaction the inbox accepted, in L1 order: (tx hash, calldata).
    fn inbox_calldata(&self) -> Vec<(String, Bytes)> {
        let inbox = self.address("BatchInbox");
        let logs = self.l1.rpc(
            "eth_getLogs",
            json!([{ "address": inbox, "fromBlock": "0x0", "toBlock": "latest" }]),
        );
        logs.as_array()
            .expect("logs")
            .iter()
            .map(|l| {
                let hash = l["transactionHash"].as_str().expect("hash").to_string();
                let tx = self.l1.rpc("eth_getTransactionByHash", json!([hash]));
                let input = serde_json::from_value(tx["input"].clone()).expect("input");
                (hash, input)
            })
            .collect()
    }

    /// Whether some channel has frames on L1 but not its last one yet.
    fn channel_half_posted(&self) -> bool {
        let mut open = std::collections::HashMap::new();
        for (_, data) in self.inbox_calldata() {
            for f in agnt2_rollup::batch::parse_frames(&data).unwrap_or_default() {
                let e = open.entry(f.channel).or_insert(false);
                *e |= f.last;
            }
        }
        open.values().any(|last| !last)
    }

    /// Sends raw `data` to the inbox from the batcher's key (its node must be down, so the
    /// nonces are this call's); returns the receipt.
    fn post_as_batcher(&self, data: &[u8]) -> Value {
        let out = cast(
            &self.l1,
            &[
                "send",
                "--json",
                "--gas-limit",
                "500000",
                "--private-key",
                BATCHER_KEY,
                &self.address("BatchInbox").to_string(),
                &Bytes::copy_from_slice(data).to_string(),
            ],
        );
        serde_json::from_str(&out).expect("receipt")
    }
}

#[test]
fn bad_batches_are_skipped_and_the_batcher_resumes_after_kill9_mid_channel() {
    use agnt2_rollup::batch::{
        Frame, SingularBatch, encode_batcher_data, encode_channel, split_channel,
    };
    let chain = Chain::deploy();
    let (dir, vdir) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    // Small calldata frames, so one block's batch spans several L1 transactions.
    let flags = [
        "--batcher.key",
        BATCHER_KEY,
        "--batcher.data-availability",
        "calldata",
        "--batcher.max-frame-size",
        "400",
    ];
    let mut seq = chain.sequencer(dir.path(), &flags);
    let ver = chain.verifier(vdir.path(), &[]);
    workload(&chain, &seq, 0);
    // A 2 KB contract creation: its block's channel takes half a dozen frames.
    let big = format!("{INIT_CODE}{}", "ab".repeat(2000));
    run(Command::new(agnt2_e2e::tool("cast")).args([
        "send",
        "--rpc-url",
        &seq.url(),
        "--private-key",
        DEV_KEYS[2],
        "--create",
        &big,
    ]));
    wait_until("a channel half posted", Duration::from_secs(60), || {
        chain.channel_half_posted()
    });
    let head = block_at(&seq, seq.block_number());
    seq.kill9();

    // While the batcher is down, the inbox is sent what derivation must skip.
    let inbox = chain.address("BatchInbox");
    assert_refused(
        &chain.l1,
        "a batch from a non-batcher",
        inbox,
        vec![0, 1, 2, 3],
        0,
        "NotBatcher(address)",
    );
    let mut garbled = vec![0u8];
    garbled.extend_from_slice(&[1; 16]);
    garbled.extend_from_slice(&[0, 0, 0, 0, 0x03, 0xe8]);
    garbled.extend_from_slice(&[7; 10]);
    let orphan = encode_batcher_data(&[Frame {
        channel: [2; 16],
        number: 3,
        data: Bytes::from_static(b"orphan"),
        last: false,
    }]);
    let replay = chain.inbox_calldata()[0].1.clone();
    let wrong_parent = SingularBatch {
        parent_hash: B256::repeat_byte(0x66),
        epoch_number: 0,
        epoch_hash: B256::ZERO,
        timestamp: hex_u64(&head["timestamp"]) + 1,
        transactions: vec![],
    };
    let wrong_parent = encode_batcher_data(&split_channel(
        [3; 16],
        &encode_channel(&[wrong_parent]),
        1000,
    ));
    // What the killed batcher left in L1's pool is mined first.
    let batcher = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
    wait_until(
        "the batcher's last send mined",
        Duration::from_secs(30),
        || {
            chain
                .l1
                .rpc("eth_getTransactionCount", json!([batcher, "pending"]))
                == chain
                    .l1
                    .rpc("eth_getTransactionCount", json!([batcher, "latest"]))
        },
    );
    let mut replay_tx = String::new();
    for (what, data) in [
        ("garbled", garbled),
        ("orphan frame", orphan),
        ("replay", replay.to_vec()),
        ("wrong parent", wrong_parent),
    ] {
        let r = chain.post_as_batcher(&data);
        assert_eq!(
            r["status"], "0x1",
            "the inbox takes the batcher's {what}: {r}"
        );
        if what == "replay" {
            replay_tx = r["transactionHash"].as_str().expect("hash").to_string();
        }
    }

    // The batcher resumes; then L1 reorgs a posted batch away, and goes away for a while.
    let seq = chain.sequencer(dir.path(), &flags);
    workload(&chain, &seq, 1);
    let posted = chain.inbox_calldata().len();
    let snapshot = chain.l1.rpc("evm_snapshot", json!([]));
    wait_until(
        "a batch after the snapshot",
        Duration::from_secs(60),
        || chain.inbox_calldata().len() > posted,
    );
    assert_eq!(chain.l1.rpc("evm_revert", json!([snapshot])), json!(true));
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &chain.l1.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    let h = seq.block_number();
    seq.wait_for("blocks while L1 is away", Duration::from_secs(30), |n| {
        n.block_number() >= h + 2
    });
    signal("-CONT");
    workload(&chain, &seq, 2);

    let target = seq.block_number();
    // Generous: with 400-byte frames the batches go out a few hundred bytes per L1 block.
    seq.wait_for("every block published", Duration::from_secs(300), |n| {
        head_of(n, "safe") >= target
    });
    ver.wait_for("the verifier at the head", Duration::from_secs(120), |n| {
        n.block_number() >= target
    });
    assert_same_chain(&seq, &ver, target);
    // No gap and no duplicate: every block's batch is on L1 exactly once (besides the replay
    // this test sent itself).
    let batches = chain.batches();
    for n in 1..=target {
        let b = block_at(&seq, n);
        let parent: B256 = b["parentHash"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("parent");
        let ts = hex_u64(&b["timestamp"]);
        let copies = batches
            .iter()
            .filter(|(tx, batch)| {
                tx.to_string() != replay_tx && batch.parent_hash == parent && batch.timestamp == ts
            })
            .count();
        assert_eq!(copies, 1, "block {n} is on L1 {copies} times");
    }
}

#[test]
fn a_transaction_given_up_on_is_replaced_not_queued_behind() {
    let l1 = Node::anvil(&[]);
    l1.rpc("evm_setAutomine", json!([false]));
    let (first, second) = (Address::repeat_byte(0xc4), Address::repeat_byte(0xc5));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let receipt = rt.block_on(async {
        let client =
            agnt2_rollup::L1Client::new(&l1.url(), Duration::from_secs(5)).expect("client");
        let mut sender = agnt2_rollup::L1Sender::new(client, dev_signer(1))
            .await
            .expect("sender");
        sender.resubmit_after = Duration::from_millis(300);
        sender.max_attempts = 2;
        // Nothing is mined: the sender gives up, and the transaction stays in L1's pool.
        let gave_up = sender.send(Some(first), U256::from(5), Bytes::new()).await;
        assert!(
            matches!(
                gave_up,
                Err(agnt2_rollup::SendError::NotMined { nonce: 0, .. })
            ),
            "{gave_up:?}"
        );
        // The next send takes over nonce 0 with higher fees; then L1 mines.
        let send = sender.send(Some(second), U256::from(9), Bytes::new());
        let miner = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let body =
                json!({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}).to_string();
            agnt2_e2e::http_post(l1.addr, &body);
        };
        let (r, ()) = tokio::join!(send, miner);
        r.expect("mined")
    });
    let tx = l1.rpc(
        "eth_getTransactionByHash",
        json!([receipt.transaction_hash]),
    );
    assert_eq!(hex_u64(&tx["nonce"]), 0, "the stuck nonce was reused");
    assert_eq!(balance(&l1, second), U256::from(9));
    assert_eq!(
        balance(&l1, first),
        U256::ZERO,
        "the stuck one was replaced"
    );
}
