//! kill -9 while blocks are produced under load; the restarted node has the same head, state
//! root and receipts as were committed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use agnt2_e2e::{CHAIN_ID, Node, dev_signer, hex_u64, signed_transfer};
use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

#[test]
fn kill9_under_load_restarts_at_committed_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = Node::start(dir.path(), &["--block-time", "100ms"]);
    let addr = node.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let key = dev_signer(1);
            let mut nonce = 0;
            while !stop.load(Ordering::Relaxed) && nonce < 5_000 {
                let raw = signed_transfer(
                    &key,
                    nonce,
                    Address::repeat_byte(0x77),
                    U256::from(1),
                    CHAIN_ID,
                );
                let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[raw]}).to_string();
                let (_, resp) = agnt2_e2e::http_post(addr, &body);
                if resp.contains("result") {
                    nonce += 1;
                } else if resp.is_empty() {
                    break; // node gone
                }
            }
            nonce
        })
    };
    node.wait_for("a few loaded blocks", Duration::from_secs(30), |n| {
        n.block_number() >= 10
    });
    // Record what is committed, then kill at once while the load continues.
    let committed: Value = node.rpc("eth_getBlockByNumber", json!(["latest", true]));
    let number = hex_u64(&committed["number"]);
    let receipts = node.rpc("eth_getBlockReceipts", json!([committed["number"]]));
    node.kill9();
    stop.store(true, Ordering::Relaxed);
    let sent = load.join().expect("load thread");
    assert!(sent > 0, "load generator sent nothing");

    let node = Node::start(dir.path(), &["--block-time", "100ms"]);
    assert!(
        node.block_number() >= number,
        "restarted below the committed head"
    );
    let again = node.rpc("eth_getBlockByNumber", json!([committed["number"], true]));
    assert_eq!(again["hash"], committed["hash"]);
    assert_eq!(again["stateRoot"], committed["stateRoot"]);
    assert_eq!(
        node.rpc("eth_getBlockReceipts", json!([committed["number"]])),
        receipts
    );
    for tx in committed["transactions"].as_array().expect("txs") {
        let r = node.rpc("eth_getTransactionReceipt", json!([tx["hash"]]));
        assert_eq!(r["blockHash"], committed["hash"]);
    }
    // The chain continues from there.
    let head = node.block_number();
    node.wait_for("a new block after restart", Duration::from_secs(10), |n| {
        n.block_number() > head
    });
}

/// Keeps sending transfers from dev account `signer`, starting at `nonce`, to fresh addresses
/// (so every block inserts into the trie) until `stop`.
fn load(
    addr: std::net::SocketAddr,
    signer: usize,
    mut nonce: u64,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let key = dev_signer(signer);
        while !stop.load(Ordering::Relaxed) {
            let to = Address::from_slice(
                &alloy_primitives::keccak256(
                    [&signer.to_be_bytes()[..], &nonce.to_be_bytes()].concat(),
                )[12..],
            );
            let raw = signed_transfer(&key, nonce, to, U256::from(1), CHAIN_ID);
            let body =
                json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[raw]})
                    .to_string();
            let (_, resp) = agnt2_e2e::http_post(addr, &body);
            if resp.contains("result") {
                nonce += 1;
            } else if resp.is_empty() {
                break;
            }
        }
        nonce
    })
}

#[test]
fn repeated_kill9_at_random_points_keeps_every_committed_block() {
    use rand::Rng;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = rand::rng();
    let mut recorded: Vec<(Value, Value)> = Vec::new();
    for round in 0..5 {
        let mut node = Node::start(dir.path(), &["--block-time", "50ms"]);
        // Every block recorded before an earlier kill is still there, unchanged.
        for (block, receipts) in &recorded {
            let again = node.rpc("eth_getBlockByNumber", json!([block["number"], false]));
            assert_eq!(again["hash"], block["hash"], "round {round}");
            assert_eq!(again["stateRoot"], block["stateRoot"], "round {round}");
            assert_eq!(
                &node.rpc("eth_getBlockReceipts", json!([block["number"]])),
                receipts,
                "round {round}"
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let loads: Vec<_> = (0..3)
            .map(|s| {
                let pending = node.rpc(
                    "eth_getTransactionCount",
                    json!([dev_signer(s).address(), "pending"]),
                );
                load(node.addr, s, hex_u64(&pending), stop.clone())
            })
            .collect();
        let target = node.block_number() + rng.random_range(3..12);
        node.wait_for("loaded blocks", Duration::from_secs(30), |n| {
            n.block_number() >= target
        });
        let head: Value = node.rpc("eth_getBlockByNumber", json!(["latest", false]));
        let receipts = node.rpc("eth_getBlockReceipts", json!([head["number"]]));
        recorded.push((head, receipts));
        // Kill at a random point of the block cycle, with the load still running.
        let spin = rng.random_range(0..20_000_000u64);
        let mut x = 0u64;
        for i in 0..spin {
            x = x.wrapping_add(i);
        }
        std::hint::black_box(x);
        node.kill9();
        stop.store(true, Ordering::Relaxed);
        for l in loads {
            l.join().expect("load thread");
        }
    }
    // The datadir checks out: every record, block and the head state against its root.
    let out = agnt2_e2e::run(
        std::process::Command::new(agnt2_e2e::agnt2_bin())
            .args(["db", "check", "--datadir"])
            .arg(dir.path()),
    );
    assert!(out.contains("ok"), "{out}");
}
