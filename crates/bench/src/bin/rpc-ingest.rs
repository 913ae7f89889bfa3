//! RPC ingestion benchmark: pre-signed transfers from many senders, sent as JSON-RPC batches
//! with a fixed number in flight, against agnt2 and anvil in the same run. The clock runs
//! from the first send until every sender's nonce is final on chain.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use agnt2_bench::percentile;
use agnt2_primitives::{ChainSpec, OpTxEnvelope, constants::DEV_MNEMONIC};
use alloy::consensus::{SignableTransaction, TxEip1559};
use alloy::eips::eip2718::Encodable2718;
use alloy::genesis::GenesisAccount;
use alloy::signers::local::{MnemonicBuilder, coins_bip39::English};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, hex};
use clap::Parser;
use eyre::{Context, bail, eyre};
use rayon::prelude::*;
use secp256k1::{Message, SECP256K1, SecretKey};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "JSON-RPC ingestion benchmark: agnt2 vs anvil in one run")]
struct Args {
    /// Transfers to send.
    #[arg(long, default_value_t = 100_000)]
    txs: usize,
    /// Funded senders (mnemonic accounts 0..N).
    #[arg(long, default_value_t = 500)]
    senders: usize,
    /// Transactions per JSON-RPC batch.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Batches in flight.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Targets to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "agnt2,anvil")]
    targets: Vec<String>,
    /// The agnt2 binary.
    #[arg(long)]
    agnt2_bin: Option<PathBuf>,
    /// The anvil binary.
    #[arg(long)]
    anvil_bin: Option<PathBuf>,
    /// Print one JSON object per target.
    #[arg(long)]
    json: bool,
}

struct Target {
    child: Child,
    addr: SocketAddr,
    chain_id: u64,
    _dir: tempfile::TempDir,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> eyre::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn post(addr: SocketAddr, body: &[u8]) -> eyre::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let i = text.find("\r\n\r\n").ok_or_else(|| eyre!("no HTTP body"))?;
    let (headers, body) = (&text[..i], &text[i + 4..]);
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some(j) = rest.find("\r\n") {
            let len = usize::from_str_radix(rest[..j].trim(), 16)?;
            if len == 0 {
                break;
            }
            out.push_str(&rest[j + 2..j + 2 + len]);
            rest = &rest[j + 4 + len..];
        }
        return Ok(out);
    }
    Ok(body.to_string())
}

fn rpc(addr: SocketAddr, method: &str, params: Value) -> eyre::Result<Value> {
    let body = json!({"jsonrpc":"2.0","id":1,"method":method,"params":params}).to_string();
    let v: Value = serde_json::from_str(&post(addr, body.as_bytes())?)?;
    v.get("result")
        .cloned()
        .ok_or_else(|| eyre!("{method}: {v}"))
}

fn wait_ready(addr: SocketAddr) -> eyre::Result<u64> {
    let start = Instant::now();
    loop {
        if let Ok(v) = rpc(addr, "eth_chainId", json!([])) {
            let s = v.as_str().unwrap_or("0x0");
            return Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?);
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("{addr} did not answer within 60s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start_agnt2(bin: &PathBuf, senders: &[Address]) -> eyre::Result<Target> {
    let dir = tempfile::tempdir()?;
    let mut spec = ChainSpec::dev();
    for a in senders {
        spec.genesis.alloc.insert(
            *a,
            GenesisAccount {
                balance: U256::from(10u128.pow(24)),
                ..Default::default()
            },
        );
    }
    spec.genesis.gas_limit = 1_000_000_000;
    let genesis = dir.path().join("genesis.json");
    std::fs::write(&genesis, serde_json::to_string(&spec.genesis)?)?;
    let port = free_port()?;
    let child = Command::new(bin)
        .args([
            "node",
            "--dev",
            "--block-time",
            "1s",
            "--gas-limit",
            "1000000000",
            "--txpool.max-size",
            "250000",
        ])
        .arg("--genesis")
        .arg(&genesis)
        .arg("--datadir")
        .arg(dir.path().join("data"))
        .args(["--http.port", &port.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .wrap_err_with(|| format!("starting {}", bin.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut t = Target {
        child,
        addr,
        chain_id: 0,
        _dir: dir,
    };
    t.chain_id = wait_ready(addr)?;
    Ok(t)
}

fn start_anvil(bin: &PathBuf, senders: usize) -> eyre::Result<Target> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let child = Command::new(bin)
        .args([
            "--block-time",
            "1",
            "--gas-limit",
            "1000000000",
            "--accounts",
            &senders.to_string(),
        ])
        .args([
            "--balance",
            "1000000",
            "--port",
            &port.to_string(),
            "--silent",
        ])
        .stdout(Stdio::null())
        .spawn()
        .wrap_err_with(|| format!("starting {}", bin.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut t = Target {
        child,
        addr,
        chain_id: 0,
        _dir: dir,
    };
    t.chain_id = wait_ready(addr)?;
    Ok(t)
}

fn sign(secret: &SecretKey, prehash: B256) -> Signature {
    let rs = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(prehash.0), secret);
    let (id, b) = rs.serialize_compact();
    Signature::new(
        U256::from_be_slice(&b[..32]),
        U256::from_be_slice(&b[32..]),
        i32::from(id) != 0,
    )
}

#[derive(Debug, serde::Serialize)]
struct Outcome {
    target: String,
    txs: usize,
    senders: usize,
    batch: usize,
    in_flight: usize,
    rejected: usize,
    send_s: f64,
    total_s: f64,
    tps: f64,
    batch_p50_ms: f64,
    batch_p99_ms: f64,
}

fn run_target(
    name: &str,
    target: &Target,
    keys: &[(Address, SecretKey)],
    args: &Args,
) -> eyre::Result<Outcome> {
    let per_sender = args.txs.div_ceil(keys.len());
    // Interleave senders so every batch spans many accounts, nonces in order per sender.
    let plan: Vec<(usize, u64)> = (0..per_sender as u64)
        .flat_map(|n| (0..keys.len()).map(move |s| (s, n)))
        .take(args.txs)
        .collect();
    let raws: Vec<String> = plan
        .par_iter()
        .map(|(s, nonce)| {
            let tx = TxEip1559 {
                chain_id: target.chain_id,
                nonce: *nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 50_000_000_000,
                max_priority_fee_per_gas: 1_000_000,
                to: TxKind::Call(Address::with_last_byte(0x99)),
                value: U256::from(1),
                access_list: Default::default(),
                input: Bytes::new(),
            };
            let sig = sign(&keys[*s].1, tx.signature_hash());
            hex::encode_prefixed(OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718())
        })
        .collect();
    // Bodies serialized before the clock starts.
    let bodies: Vec<Vec<u8>> = raws
        .chunks(args.batch)
        .map(|chunk| {
            let reqs: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| json!({"jsonrpc":"2.0","id":i,"method":"eth_sendRawTransaction","params":[r]}))
                .collect();
            Value::Array(reqs).to_string().into_bytes()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let rejected = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now();
    let workers: Vec<_> = (0..args.in_flight)
        .map(|_| {
            let (bodies, next, rejected, latencies, first_error) = (
                bodies.clone(),
                next.clone(),
                rejected.clone(),
                latencies.clone(),
                first_error.clone(),
            );
            let addr = target.addr;
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = Instant::now();
                    match post(addr, body) {
                        Ok(resp) => {
                            let errors = resp.matches("\"error\"").count();
                            if errors > 0 {
                                rejected.fetch_add(errors, Ordering::Relaxed);
                                if let Ok(mut e) = first_error.lock() {
                                    e.get_or_insert_with(|| resp.chars().take(300).collect());
                                }
                            }
                        }
                        Err(e) => {
                            rejected.fetch_add(500, Ordering::Relaxed);
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                    if let Ok(mut l) = latencies.lock() {
                        l.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| eyre!("sender thread panicked"))?;
    }
    let send_s = start.elapsed().as_secs_f64();
    // Wait until every sender's nonce is final.
    let mut expected = vec![0u64; keys.len()];
    for (s, _) in &plan {
        expected[*s] += 1;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let reqs: Vec<Value> = keys
            .iter()
            .enumerate()
            .map(|(i, (a, _))| json!({"jsonrpc":"2.0","id":i,"method":"eth_getTransactionCount","params":[a, "latest"]}))
            .collect();
        let resp: Value = serde_json::from_str(&post(
            target.addr,
            Value::Array(reqs).to_string().as_bytes(),
        )?)?;
        let done = resp.as_array().is_some_and(|rs| {
            rs.iter().all(|r| {
                let i = r["id"].as_u64().unwrap_or(0) as usize;
                let n = r["result"]
                    .as_str()
                    .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok());
                n.is_some_and(|n| n >= expected.get(i).copied().unwrap_or(0))
            })
        });
        if done {
            break;
        }
        if Instant::now() > deadline {
            bail!("{name}: nonces not final after 600s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let total_s = start.elapsed().as_secs_f64();
    let mut lat = latencies.lock().map_err(|_| eyre!("lock"))?.clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    if let Ok(Some(e)) = first_error.lock().map(|e| e.clone()) {
        eprintln!("{name}: first rejection: {e}");
    }
    Ok(Outcome {
        target: name.to_string(),
        txs: args.txs,
        senders: keys.len(),
        batch: args.batch,
        in_flight: args.in_flight,
        rejected: rejected.load(Ordering::Relaxed),
        send_s,
        total_s,
        tps: args.txs as f64 / total_s,
        batch_p50_ms: percentile(&lat, 50.0),
        batch_p99_ms: percentile(&lat, 99.0),
    })
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = std::env::var("HOME")
        .map(|h| PathBuf::from(h).join(".cache/agnt2/target"))
        .ok();
    let target_dir = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .ok()
        .or(shared.filter(|p| p.exists()))
        .unwrap_or_else(|| root.join("target"));
    let agnt2_bin = args
        .agnt2_bin
        .clone()
        .unwrap_or_else(|| target_dir.join("release/agnt2"));
    let anvil_bin = args
        .anvil_bin
        .clone()
        .unwrap_or_else(|| root.join(".tools/bin/anvil"));
    let keys: Vec<(Address, SecretKey)> = (0..args.senders as u32)
        .into_par_iter()
        .map(|i| -> eyre::Result<_> {
            let k = MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)?
                .build()?;
            Ok((k.address(), SecretKey::from_byte_array(k.to_bytes().0)?))
        })
        .collect::<eyre::Result<_>>()?;
    let addresses: Vec<Address> = keys.iter().map(|k| k.0).collect();
    for name in &args.targets {
        let target = match name.as_str() {
            "agnt2" => start_agnt2(&agnt2_bin, &addresses)?,
            "anvil" => start_anvil(&anvil_bin, args.senders)?,
            other => bail!("unknown target {other} (agnt2, anvil)"),
        };
        let out = run_target(name, &target, &keys, &args)?;
        drop(target);
        if args.json {
            println!("{}", serde_json::to_string(&out)?);
        } else {
            println!(
                "{:>6}: {} txs in {:.2}s = {:.0} tx/s (sending {:.2}s; batch p50 {:.0} ms, p99 {:.0} ms; rejected {})",
                out.target,
                out.txs,
                out.total_s,
                out.tps,
                out.send_s,
                out.batch_p50_ms,
                out.batch_p99_ms,
                out.rejected
            );
        }
    }
    Ok(())
}
