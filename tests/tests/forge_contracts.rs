//! forge deploys and drives contracts; events come back through eth_getLogs and a WebSocket
//! `logs` subscription read by an alloy client.

use std::time::Duration;

use agnt2_e2e::{DEV_KEYS, Node, cast, forge_create, verify_storage_proof};
use alloy::rpc::types::Filter;
use alloy_primitives::{Address, B256, keccak256};
use alloy_provider::{Provider, ProviderBuilder, WsConnect};
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erc20_and_events_via_forge_logs_and_ws_subscription() {
    let node = Node::dev(&["--block-time", "200ms"]);
    let token = forge_create(
        &node,
        "src/examples/SimpleToken.sol:SimpleToken",
        &["Agent Token", "AGT", "1000000"],
    );
    let emitter = forge_create(&node, "src/examples/Emitter.sol:Emitter", &[]);

    assert_eq!(
        cast(&node, &["call", &token.to_string(), "symbol()(string)"]),
        "\"AGT\""
    );
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(node.ws_url()))
        .await
        .expect("ws connect");
    let ping_topic = keccak256("Ping(address,uint256,string)");
    let filter = Filter::new().address(emitter).event_signature(ping_topic);
    let mut sub = ws
        .subscribe_logs(&filter)
        .await
        .expect("subscribe")
        .into_stream();

    let to = "0x000000000000000000000000000000000000cafe";
    cast(
        &node,
        &[
            "send",
            "--private-key",
            DEV_KEYS[0],
            &token.to_string(),
            "transfer(address,uint256)",
            to,
            "250",
        ],
    );
    assert_eq!(
        cast(
            &node,
            &[
                "call",
                &token.to_string(),
                "balanceOf(address)(uint256)",
                to
            ]
        ),
        "250"
    );
    cast(
        &node,
        &[
            "send",
            "--private-key",
            DEV_KEYS[0],
            &emitter.to_string(),
            "ping(string)",
            "hello agents",
        ],
    );

    let log = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("ws log within 10s")
        .expect("stream open");
    assert_eq!(log.address(), emitter);
    assert_eq!(log.topics()[0], ping_topic);
    assert_eq!(log.topics()[2], B256::from(alloy_primitives::U256::from(1)));

    let http = ProviderBuilder::new().connect_http(node.url().parse().expect("url"));
    let transfer_topic = keccak256("Transfer(address,address,uint256)");
    let logs = http
        .get_logs(
            &Filter::new()
                .address(token)
                .event_signature(transfer_topic)
                .from_block(0),
        )
        .await
        .expect("eth_getLogs");
    assert_eq!(logs.len(), 2, "mint + transfer: {logs:?}");
    assert_eq!(
        logs[1].topics()[2],
        B256::left_padding_from(to.parse::<Address>().expect("to").as_slice())
    );
    let pings = http
        .get_logs(&filter.clone().from_block(0))
        .await
        .expect("eth_getLogs");
    assert_eq!(pings.len(), 1);

    // A revert surfaces as geth does: code 3, reason in the message, bytes in data.
    let r = node.rpc_raw(
        "eth_call",
        serde_json::json!([{"to": emitter, "data": format!("0x{}", alloy_primitives::hex::encode(
            alloy::sol_types::SolCall::abi_encode(&failCall { reason: "nope".into() })))}]),
    );
    assert_eq!(r["error"]["code"], 3, "{r}");
    assert_eq!(r["error"]["message"], "execution reverted: nope");
    assert!(
        r["error"]["data"]
            .as_str()
            .expect("data")
            .starts_with("0x08c379a0")
    );
}

alloy::sol! {
    function fail(string reason);
}

#[test]
fn call_tracer_and_proofs() {
    let node = Node::dev(&["--block-time", "200ms"]);
    let emitter = forge_create(&node, "src/examples/Emitter.sol:Emitter", &[]);
    let out = cast(
        &node,
        &[
            "send",
            "--json",
            "--private-key",
            DEV_KEYS[0],
            &emitter.to_string(),
            "ping(string)",
            "trace me",
        ],
    );
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt");
    let hash = receipt["transactionHash"].clone();
    let trace = node.rpc(
        "debug_traceTransaction",
        serde_json::json!([hash, {"tracer": "callTracer"}]),
    );
    assert_eq!(trace["type"], "CALL", "{trace}");
    assert_eq!(
        trace["to"].as_str().map(str::to_lowercase),
        Some(emitter.to_string().to_lowercase())
    );
    assert_eq!(trace["gasUsed"], receipt["gasUsed"], "{trace}");
    // Without a tracer, geth's struct logger; an unknown tracer is refused.
    let logs = node.rpc("debug_traceTransaction", serde_json::json!([hash]));
    assert_eq!(
        logs["gas"].as_u64(),
        Some(agnt2_e2e::hex_u64(&receipt["gasUsed"]))
    );
    assert!(logs["structLogs"].as_array().is_some_and(|l| !l.is_empty()));
    let bad = node.rpc_raw(
        "debug_traceTransaction",
        serde_json::json!([hash, {"tracer": "nope"}]),
    );
    assert_eq!(bad["error"]["code"], -32602);

    // eth_getProof: the emitter's `count` slot, proven against the block's state root.
    let block = node.rpc("eth_getBlockByNumber", serde_json::json!(["latest", false]));
    let value = verify_storage_proof(&node, emitter, B256::ZERO, &block);
    assert_eq!(value, alloy_primitives::U256::from(1));
    // Two more pings: the head's proof shows 3, and the proof at the older block (rebuilt from
    // the change sets since) still verifies against that block's root with the old value.
    for _ in 0..2 {
        cast(
            &node,
            &[
                "send",
                "--private-key",
                DEV_KEYS[0],
                &emitter.to_string(),
                "ping(string)",
                "again",
            ],
        );
    }
    let head = node.rpc("eth_getBlockByNumber", serde_json::json!(["latest", false]));
    assert_ne!(head["number"], block["number"]);
    let now = verify_storage_proof(&node, emitter, B256::ZERO, &head);
    assert_eq!(now, alloy_primitives::U256::from(3));
    let then = verify_storage_proof(&node, emitter, B256::ZERO, &block);
    assert_eq!(then, alloy_primitives::U256::from(1));
}
