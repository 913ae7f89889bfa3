//! The node under an attacker's load: a flood of unpayable, gapped, replacement and oversized
//! transactions from 23 keys while an honest client sends transfers at the going tip, and a
//! WebSocket subscriber that never reads. Honest transfers are included within two blocks,
//! memory stays under a bound, and the stalled subscriber is dropped, not buffered.

use std::{
    io::Write,
    net::{SocketAddr, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use agnt2_e2e::{
    CHAIN_ID, Node, dev_signer, hex_u64, http_post, sign_1559, signed_transfer, tx_1559,
};
use alloy::consensus::TxEip1559;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Bytes, TxKind, U256};
use serde_json::{Value, json};

const GWEI: u128 = 1_000_000_000;

/// A transaction whose gas limit covers its calldata.
fn tx(nonce: u64, fee: u128, tip: u128, value: U256, input: Bytes) -> TxEip1559 {
    let gas = 21_000 + 64 * input.len() as u64;
    tx_1559(nonce, gas, fee, tip, value, input)
}

fn send(addr: SocketAddr, raw: &str) -> Value {
    let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[raw]})
        .to_string();
    let (_, text) = http_post(addr, &body);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Memory the node may hold under the flood (debug build, pool full of what the caps allow).
const RSS_BOUND_MIB: u64 = 1_536;

#[test]
fn honest_transfers_are_included_under_a_flood() {
    let node = Node::dev(&["--block-time", "500ms"]);
    let addr = node.addr;
    let funder = dev_signer(0);
    let spammers: Vec<PrivateKeySigner> = (0..10).map(|_| PrivateKeySigner::random()).collect();
    let eth = U256::from(10u64).pow(U256::from(18u64));
    for (i, s) in spammers.iter().enumerate() {
        let raw = signed_transfer(
            &funder,
            i as u64,
            s.address(),
            eth * U256::from(100u64),
            CHAIN_ID,
        );
        assert!(send(addr, &raw)["result"].is_string());
    }
    node.wait_for("spammers funded", Duration::from_secs(30), |n| {
        spammers
            .iter()
            .all(|s| n.rpc("eth_getBalance", json!([s.address(), "latest"])) != json!("0x0"))
    });

    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    // 13 unfunded keys whose `gas * fee + value` wraps to zero.
    attackers.push({
        let stop = stop.clone();
        let accepted = accepted.clone();
        std::thread::spawn(move || {
            let fee = u128::MAX;
            let wrap = U256::ZERO.wrapping_sub(U256::from(21_000u64) * U256::from(fee));
            let keys: Vec<PrivateKeySigner> = (0..13).map(|_| PrivateKeySigner::random()).collect();
            for nonce in 1..200 {
                for k in &keys {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let raw = sign_1559(k, tx(nonce, fee, fee, wrap, Bytes::new()));
                    if send(addr, &raw)["result"].is_string() {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    });
    // Funded spammers: nonce gaps, queues past the balance, tiny-bump replacements, huge
    // calldata, all at a tip of 1 wei.
    for (i, key) in spammers.into_iter().enumerate() {
        let stop = stop.clone();
        attackers.push(std::thread::spawn(move || {
            let mut nonce = 0;
            let big = Bytes::from(vec![0xab; 100 * 1024]);
            while !stop.load(Ordering::Relaxed) && nonce < 1_500 {
                let raw = match (i % 4, nonce % 3) {
                    // Far-future nonces: queued behind a gap until the per-sender cap.
                    (0, _) => {
                        sign_1559(&key, tx(10 + nonce, 10 * GWEI, 1, U256::ZERO, Bytes::new()))
                    }
                    // Each transfer spends 40 ETH: the third overdraws.
                    (1, _) => sign_1559(
                        &key,
                        tx(nonce, 10 * GWEI, 1, eth * U256::from(40u64), Bytes::new()),
                    ),
                    // The same nonce again with a 1% bump.
                    (2, _) => sign_1559(
                        &key,
                        tx(
                            0,
                            10 * GWEI + nonce as u128 * GWEI / 10,
                            1 + nonce as u128,
                            U256::ZERO,
                            Bytes::new(),
                        ),
                    ),
                    // 100 KiB of calldata each, gapped so they sit in the pool.
                    _ => sign_1559(&key, tx(5 + nonce, 10 * GWEI, 1, U256::ZERO, big.clone())),
                };
                let _ = send(addr, &raw);
                nonce += 1;
            }
        }));
    }

    // The flood is on before the honest client starts: the gapped queues have filled.
    node.wait_for(
        "the flood to fill the queues",
        Duration::from_secs(60),
        |n| hex_u64(&n.rpc("txpool_status", json!([]))["queued"]) >= 2_000,
    );
    // The honest client: one transfer at a time at the going tip, timed in blocks.
    let honest = dev_signer(1);
    let tip = hex_u64(&node.rpc("eth_maxPriorityFeePerGas", json!([]))) as u128;
    let started = Instant::now();
    let mut worst = 0;
    let mut peak = 0;
    for nonce in 0..20 {
        let at = node.block_number();
        let raw = sign_1559(
            &honest,
            TxEip1559 {
                max_priority_fee_per_gas: tip.max(1),
                ..tx(nonce, 10 * GWEI, tip.max(1), U256::from(1), Bytes::new())
            },
        );
        let r = send(addr, &raw);
        let hash = r["result"]
            .as_str()
            .unwrap_or_else(|| panic!("honest transfer refused: {r}"))
            .to_owned();
        let receipt = node.wait_receipt(&hash, Duration::from_secs(30));
        let included = hex_u64(&receipt["blockNumber"]);
        worst = worst.max(included.saturating_sub(at));
        peak = peak.max(node.rss_mib());
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        let _ = a.join();
    }
    peak = peak.max(node.rss_mib());
    let status = node.rpc("txpool_status", json!([]));
    eprintln!(
        "flood: worst inclusion {worst} blocks, peak RSS {peak} MiB, pool {status}, {:?}",
        started.elapsed()
    );
    assert_eq!(
        accepted.load(Ordering::Relaxed),
        0,
        "an unfunded key got transactions in"
    );
    assert!(worst <= 2, "an honest transfer waited {worst} blocks");
    assert!(peak < RSS_BOUND_MIB, "RSS peaked at {peak} MiB");
    let queued = hex_u64(&status["queued"]);
    assert!(
        queued <= 10 * 1_024,
        "{queued} queued: the per-sender cap did not hold"
    );
}

/// Opens a WebSocket by hand and sends one text frame; the socket is then never read.
fn ws_subscribe_and_stall(addr: SocketAddr, request: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .expect("handshake");
    let payload = request.as_bytes();
    let mut frame = vec![0x81u8];
    assert!(payload.len() < 126);
    frame.push(0x80 | payload.len() as u8);
    let mask = [1u8, 2, 3, 4];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).expect("frame");
    s
}

fn metric(addr: SocketAddr, name: &str) -> f64 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0.0;
    };
    let _ = write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut text);
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn a_subscriber_that_never_reads_is_dropped() {
    let metrics: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let node = Node::dev(&[
        "--block-time",
        "300ms",
        "--rpc.subscription-buffer",
        "16",
        "--metrics",
        &metrics.to_string(),
    ]);
    let _stalled = ws_subscribe_and_stall(
        node.addr,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["logs",{}]}"#,
    );
    // Each transaction emits 40 logs of 24 KiB: about 1 MB of notifications.
    let mut code = Vec::new();
    for _ in 0..40 {
        code.extend_from_slice(&[0x61, 0x60, 0x00, 0x60, 0x00, 0xa0]);
    }
    code.push(0x00);
    let key = dev_signer(2);
    let base = node.rss_mib();
    let mut nonce = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while metric(metrics, "agnt2_rpc_slow_subscribers_dropped_total") < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the stalled subscriber was never dropped"
        );
        for _ in 0..4 {
            let raw = sign_1559(
                &key,
                TxEip1559 {
                    to: TxKind::Create,
                    gas_limit: 9_000_000,
                    input: Bytes::from(code.clone()),
                    ..tx(nonce, 10 * GWEI, GWEI, U256::ZERO, Bytes::new())
                },
            );
            assert!(send(node.addr, &raw)["result"].is_string());
            nonce += 1;
        }
        let head = node.block_number();
        node.wait_for("a block of logs", Duration::from_secs(30), |n| {
            n.block_number() > head
        });
    }
    let grown = node.rss_mib().saturating_sub(base);
    assert!(
        grown < 512,
        "memory grew {grown} MiB for one stalled subscriber"
    );
    let head = node.block_number();
    node.wait_for("blocks on", Duration::from_secs(10), |n| {
        n.block_number() > head + 2
    });
}
