//! Harness for the end-to-end tests: starts the real `agnt2` binary on a free port, talks to
//! it over raw HTTP JSON-RPC, and runs the real `cast`/`forge` from `.tools/bin`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxLegacy},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use op_alloy::consensus::OpTxEnvelope;
use serde_json::{Value, json};

/// Chain id of the dev chain.
pub const CHAIN_ID: u64 = 28004;

/// Private keys of the first dev accounts (anvil's well-known keys).
pub const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// The repository root. Read from cargo's `CARGO_MANIFEST_DIR` at run time first: a test
/// binary reused from a shared target dir may have been built in another checkout.
pub fn repo_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The node binary: `$AGNT2_BIN`, or the workspace's debug build.
pub fn agnt2_bin() -> PathBuf {
    if let Ok(p) = std::env::var("AGNT2_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    target.join("debug").join("agnt2")
}

/// A tool from `.tools/bin` (installed by `scripts/install-tools.sh`).
pub fn tool(name: &str) -> PathBuf {
    repo_root().join(".tools/bin").join(name)
}

/// A running node; killed on drop.
pub struct Node {
    child: Child,
    /// RPC address.
    pub addr: SocketAddr,
    /// Data directory (owned by the test when it passes one).
    pub datadir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts a dev node in a fresh temporary datadir.
    pub fn dev(extra: &[&str]) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut n = Self::start(&dir, extra);
        n._tmp = Some(tmp);
        n
    }

    /// Starts a dev node on `datadir`. `AGNT2_TEST_BUILDER` (`sequential` or `parallel`)
    /// picks the block builder, so the whole suite runs against either.
    pub fn start(datadir: &Path, extra: &[&str]) -> Self {
        let builder = std::env::var("AGNT2_TEST_BUILDER").unwrap_or_else(|_| "parallel".into());
        let mut child = Command::new(agnt2_bin())
            .args([
                "node",
                "--dev",
                "--http.port",
                "0",
                "--builder",
                &builder,
                "--datadir",
            ])
            .arg(datadir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", agnt2_bin().display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("RPC listening on ") {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("node did not report its RPC address within 60s")
            .parse()
            .expect("rpc address");
        Self {
            child,
            addr,
            datadir: datadir.to_path_buf(),
            _tmp: None,
        }
    }

    /// Starts anvil (the reference L1/devnet client) on a free loopback port, so a test can run
    /// the same steps on both and compare. Killed on drop like a node.
    pub fn anvil(extra: &[&str]) -> Self {
        // A free port can be taken by another test between the probe and anvil's bind, so
        // success is anvil itself saying it listens; a start that exits instead is retried.
        for _ in 0..5 {
            let tmp = tempfile::tempdir().expect("tempdir");
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let mut child = Command::new(tool("anvil"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(extra)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("starting anvil: {e}"));
            let stdout = child.stdout.take().expect("stdout");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut said = false;
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if !said && line.contains("Listening on") {
                        said = true;
                        let _ = tx.send(());
                    }
                }
            });
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(()) => {
                    return Self {
                        child,
                        addr: SocketAddr::from(([127, 0, 0, 1], port)),
                        datadir: tmp.path().to_path_buf(),
                        _tmp: Some(tmp),
                    };
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        panic!("anvil did not start in five attempts");
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://addr`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the process in MiB (Linux), 0 when it cannot be read.
    pub fn rss_mib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
            .map_or(0, |kb| kb / 1024)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// One JSON-RPC call; returns the whole response object.
    pub fn rpc_raw(&self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let (_, text) = http_post(self.addr, &body);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("bad response to {method}: {e}: {text}"))
    }

    /// One JSON-RPC call; panics on an error response.
    pub fn rpc(&self, method: &str, params: Value) -> Value {
        let r = self.rpc_raw(method, params);
        match r.get("result") {
            Some(v) => v.clone(),
            None => panic!("{method} failed: {r}"),
        }
    }

    /// Head block number.
    pub fn block_number(&self) -> u64 {
        hex_u64(&self.rpc("eth_blockNumber", json!([])))
    }

    /// Polls until `f` is true or `timeout` passes.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut f: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !f(self) {
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a receipt.
    pub fn wait_receipt(&self, hash: &str, timeout: Duration) -> Value {
        let mut receipt = Value::Null;
        self.wait_for(&format!("receipt of {hash}"), timeout, |n| {
            receipt = n.rpc("eth_getTransactionReceipt", json!([hash]));
            !receipt.is_null()
        });
        receipt
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a `0x` quantity.
pub fn hex_u64(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// POSTs `body` as JSON; returns the HTTP status and body, or `(0, "")` when nothing is
/// listening (a killed node).
pub fn http_post(addr: SocketAddr, body: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    // The server may answer (e.g. 413) before reading an oversized body: ignore write errors.
    let _ = s.write_all(body.as_bytes());
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = match text.find("\r\n\r\n") {
        Some(i) => decode_chunked_if_needed(&text[..i], &text[i + 4..]),
        None => String::new(),
    };
    (status, body)
}

fn decode_chunked_if_needed(head: &str, body: &str) -> String {
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("\r\n") {
        let Ok(len) = usize::from_str_radix(rest[..i].trim(), 16) else {
            break;
        };
        if len == 0 {
            break;
        }
        let start = i + 2;
        out.push_str(&rest[start..(start + len).min(rest.len())]);
        rest = rest.get(start + len + 2..).unwrap_or("");
    }
    out
}

/// A dev signer.
pub fn dev_signer(i: usize) -> PrivateKeySigner {
    DEV_KEYS[i].parse().expect("dev key")
}

/// Signs an EIP-1559 transfer; returns the raw `0x` hex.
pub fn signed_transfer(
    key: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    chain_id: u64,
) -> String {
    sign_1559(
        key,
        TxEip1559 {
            chain_id,
            to: TxKind::Call(to),
            ..tx_1559(
                nonce,
                21_000,
                10_000_000_000,
                1_000_000,
                value,
                Bytes::new(),
            )
        },
    )
}

/// An EIP-1559 transaction on the dev chain to `0x0909…09`, with the gas and fee fields the
/// caller picks (attack tests vary exactly those).
pub fn tx_1559(nonce: u64, gas: u64, fee: u128, tip: u128, value: U256, input: Bytes) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(9)),
        value,
        access_list: Default::default(),
        input,
    }
}

/// Signs an EIP-1559 transaction; returns the raw `0x` hex.
pub fn sign_1559(key: &PrivateKeySigner, tx: TxEip1559) -> String {
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    alloy_primitives::hex::encode_prefixed(
        OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718(),
    )
}

/// Signs a legacy transaction; returns the raw `0x` hex.
pub fn sign_legacy(key: &PrivateKeySigner, tx: TxLegacy) -> String {
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    alloy_primitives::hex::encode_prefixed(OpTxEnvelope::Legacy(tx.into_signed(sig)).encoded_2718())
}

/// Runs a tool and returns trimmed stdout; panics with stderr on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Fetches `eth_getProof` for one storage slot of `address` at `block` (a JSON block), checks
/// the account proof against the block's state root and the slot proof against the account's
/// storage root with alloy-trie, and returns the proven value.
pub fn verify_storage_proof(node: &Node, address: Address, slot: B256, block: &Value) -> U256 {
    let proof = node.rpc(
        "eth_getProof",
        json!([address, [slot], block["number"].clone()]),
    );
    let root: B256 = block["stateRoot"]
        .as_str()
        .expect("stateRoot")
        .parse()
        .expect("b256");
    let account_nodes: Vec<Bytes> =
        serde_json::from_value(proof["accountProof"].clone()).expect("account proof");
    let account = alloy::consensus::TrieAccount {
        nonce: hex_u64(&proof["nonce"]),
        balance: proof["balance"]
            .as_str()
            .expect("balance")
            .parse()
            .expect("balance"),
        storage_root: proof["storageHash"]
            .as_str()
            .expect("sh")
            .parse()
            .expect("sh"),
        code_hash: proof["codeHash"].as_str().expect("ch").parse().expect("ch"),
    };
    alloy_trie::proof::verify_proof(
        root,
        alloy_trie::Nibbles::unpack(keccak256(address)),
        Some(alloy_rlp::encode(account)),
        &account_nodes,
    )
    .expect("account proof verifies against the state root");
    let entry = &proof["storageProof"][0];
    let value: U256 = entry["value"]
        .as_str()
        .expect("value")
        .parse()
        .expect("u256");
    let slot_nodes: Vec<Bytes> =
        serde_json::from_value(entry["proof"].clone()).expect("slot proof");
    let expected = (!value.is_zero()).then(|| alloy_rlp::encode(value));
    alloy_trie::proof::verify_proof(
        account.storage_root,
        alloy_trie::Nibbles::unpack(keccak256(slot)),
        expected,
        &slot_nodes,
    )
    .expect("storage proof verifies against the storage root");
    value
}

/// `forge create` of `contract` (path:Name under `contracts/`) as dev account 0; returns its
/// address.
pub fn forge_create(node: &Node, contract: &str, args: &[&str]) -> Address {
    let mut cmd = Command::new(tool("forge"));
    cmd.current_dir(repo_root().join("contracts")).args([
        "create",
        contract,
        "--broadcast",
        "--json",
        "--private-key",
        DEV_KEYS[0],
        "--rpc-url",
        &node.url(),
    ]);
    if !args.is_empty() {
        cmd.arg("--constructor-args").args(args);
    }
    let out = run(&mut cmd);
    let json = out
        .find('{')
        .map(|i| &out[i..])
        .unwrap_or_else(|| panic!("forge output: {out}"));
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("forge json {e}: {out}"));
    v["deployedTo"]
        .as_str()
        .expect("deployedTo")
        .parse()
        .expect("address")
}

/// Runs `cast ARGS --rpc-url <node>`; returns trimmed stdout.
pub fn cast(node: &Node, args: &[&str]) -> String {
    run(Command::new(tool("cast"))
        .args(args)
        .args(["--rpc-url", &node.url()]))
}

/// `cast send` as dev account `key`; returns the receipt (JSON), asserting success.
pub fn send(node: &Node, key: usize, to: Address, sig: &str, args: &[&str]) -> Value {
    let mut all = vec![
        "send",
        "--json",
        "--private-key",
        DEV_KEYS[key],
        &to.to_string(),
        sig,
    ]
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    all.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let receipt: Value = serde_json::from_str(&cast(node, &refs)).expect("receipt json");
    assert_eq!(receipt["status"], "0x1", "{sig} failed: {receipt}");
    receipt
}

/// The reason a call reverts with, as cast reports it.
pub fn revert_reason(node: &Node, key: usize, to: Address, sig: &str, args: &[&str]) -> String {
    let from = dev_signer(key).address().to_string();
    let out = Command::new(tool("cast"))
        .args(["call", "--from", &from, &to.to_string(), sig])
        .args(args)
        .args(["--rpc-url", &node.url()])
        .output()
        .expect("cast");
    assert!(!out.status.success(), "{sig} unexpectedly succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
