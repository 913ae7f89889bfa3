//! One process per datadir, and damage found instead of served: a second node on a held
//! datadir is refused, a flipped byte in `mdbx.dat` gives a clear error on the read that
//! touches it and in `agnt2 db check`, never a wrong answer.

use std::{process::Command, time::Duration};

use agnt2_e2e::{CHAIN_ID, Node, agnt2_bin, dev_signer, sign_1559};
use alloy::consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use serde_json::json;

/// Runs `agnt2 args…` and returns (success, stdout + stderr).
fn agnt2(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(agnt2_bin())
        .args(args)
        .arg(dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running agnt2");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn a_second_node_on_a_held_datadir_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = Node::start(dir.path(), &["--block-time", "100ms"]);
    let (ok, text) = agnt2(
        &["node", "--dev", "--http.port", "0", "--datadir"],
        dir.path(),
    );
    assert!(!ok, "second node started: {text}");
    assert!(text.contains("in use by another agnt2 process"), "{text}");
    let (ok, text) = agnt2(&["db", "check", "--datadir"], dir.path());
    assert!(
        !ok && text.contains("in use"),
        "db check on a live datadir: {text}"
    );
    assert!(first.is_running(), "the first node went down");
    let head = first.block_number();
    first.kill9();
    // The kernel drops the lock with the process, even after kill -9.
    let again = Node::start(dir.path(), &["--block-time", "100ms"]);
    assert!(again.block_number() >= head);
}

#[test]
fn a_flipped_byte_is_an_error_not_a_wrong_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = Node::start(dir.path(), &["--block-time", "100ms"]);
    let probe: Vec<u8> = b"agnt2 corruption probe: this calldata is found in mdbx.dat"
        .iter()
        .copied()
        .cycle()
        .take(200)
        .collect();
    let raw = sign_1559(
        &dev_signer(2),
        TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: 0,
            gas_limit: 100_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: TxKind::Call(Address::repeat_byte(0x42)),
            value: U256::from(1),
            access_list: Default::default(),
            input: Bytes::from(probe.clone()),
        },
    );
    let hash = node.rpc("eth_sendRawTransaction", json!([raw]));
    let hash = hash.as_str().expect("hash").to_owned();
    node.wait_receipt(&hash, Duration::from_secs(30));
    node.kill9();

    let (ok, text) = agnt2(&["db", "check", "--datadir"], dir.path());
    assert!(ok, "a crash-consistent datadir checks clean: {text}");
    assert!(text.contains(": ok"), "{text}");

    let path = dir.path().join("mdbx.dat");
    let mut bytes = std::fs::read(&path).expect("read mdbx.dat");
    let mut flipped = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..]
        .windows(probe.len())
        .position(|w| w == probe.as_slice())
    {
        bytes[at + i + 100] ^= 0x01;
        flipped += 1;
        at += i + probe.len();
    }
    assert!(flipped > 0, "probe calldata not found in mdbx.dat");
    std::fs::write(&path, &bytes).expect("write mdbx.dat");

    let (ok, text) = agnt2(&["db", "check", "--datadir"], dir.path());
    assert!(!ok, "db check passed a damaged datadir: {text}");
    assert!(
        text.contains("checksum mismatch in table BlockBodies"),
        "{text}"
    );

    let node = Node::start(dir.path(), &["--block-time", "100ms"]);
    for (method, params) in [
        ("eth_getTransactionByHash", json!([hash])),
        ("eth_getTransactionReceipt", json!([hash])),
        ("eth_getRawTransactionByHash", json!([hash])),
    ] {
        let r = node.rpc_raw(method, params);
        let msg = r["error"]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("corrupt database") && msg.contains("BlockBodies"),
            "{method} answered {r}"
        );
    }
    let head = node.block_number();
    node.wait_for(
        "blocks on after the damaged read",
        Duration::from_secs(30),
        |n| n.block_number() > head + 2,
    );
}

#[test]
fn state_older_than_the_history_window_is_refused_with_the_flag_named() {
    let node = Node::dev(&["--block-time", "100ms", "--history.blocks", "3"]);
    node.wait_for("a few blocks", Duration::from_secs(30), |n| {
        n.block_number() >= 8
    });
    let who = dev_signer(0).address();
    let head = node.block_number();
    // Inside the window: answered.
    let recent = node.rpc_raw("eth_getBalance", json!([who, format!("{:#x}", head - 2)]));
    assert!(recent.get("result").is_some(), "{recent}");
    // Below it: refused, saying why and which flag keeps more.
    let old = node.rpc_raw("eth_getBalance", json!([who, "0x1"]));
    assert_eq!(old["error"]["code"], -32000, "{old}");
    let msg = old["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("pruned") && msg.contains("--history.blocks"),
        "{old}"
    );
    let proof = node.rpc_raw("eth_getProof", json!([who, [], "0x1"]));
    assert_eq!(proof["error"]["code"], -32000, "{proof}");
    // A bad value for the flag is refused at start-up.
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, text) = agnt2(
        &["node", "--dev", "--history.blocks", "0", "--datadir"],
        dir.path(),
    );
    assert!(!ok && text.contains("block count"), "{text}");
}
