//! cast works against agnt2 unchanged.

use std::{process::Command, time::Duration};

use agnt2_e2e::{DEV_KEYS, Node, run, tool};

fn cast(node: &Node, args: &[&str]) -> String {
    run(Command::new(tool("cast"))
        .args(args)
        .args(["--rpc-url", &node.url()]))
}

#[test]
fn cast_chain_balance_send_receipt_block_call() {
    let node = Node::dev(&["--block-time", "200ms"]);
    assert_eq!(cast(&node, &["chain-id"]), "28004");
    let dev0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    assert_eq!(cast(&node, &["balance", dev0]), "10000000000000000000000");

    let to = "0x000000000000000000000000000000000000bEEF";
    let out = cast(
        &node,
        &[
            "send",
            "--private-key",
            DEV_KEYS[0],
            to,
            "--value",
            "1ether",
            "--json",
        ],
    );
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt json");
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let hash = receipt["transactionHash"]
        .as_str()
        .expect("hash")
        .to_string();
    assert_eq!(cast(&node, &["balance", to]), "1000000000000000000");

    let r = cast(&node, &["receipt", &hash, "status"]);
    assert!(
        r.starts_with('1') || r == "true",
        "cast receipt status: {r}"
    );
    let block = cast(&node, &["block", "latest", "--json"]);
    let block: serde_json::Value = serde_json::from_str(&block).expect("block json");
    assert!(block["number"].as_str().is_some() && block["stateRoot"].as_str().is_some());
    // Every block opens with the L1-attributes deposit; cast call reads what it wrote.
    let l1_number = cast(
        &node,
        &[
            "call",
            "0x4200000000000000000000000000000000000015",
            "number()(uint64)",
        ],
    );
    assert!(
        l1_number.parse::<u64>().expect("number") >= 1,
        "{l1_number}"
    );
    let nonce = cast(&node, &["nonce", dev0]);
    assert_eq!(nonce, "1");
    node.wait_for("another block", Duration::from_secs(5), |n| {
        n.block_number() >= 2
    });
}
