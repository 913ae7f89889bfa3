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
