//! Bad input gets the expected JSON-RPC error, and the node keeps serving.

use std::time::Duration;

use agnt2_e2e::{CHAIN_ID, Node, dev_signer, http_post, sign_1559, sign_legacy, signed_transfer};
use alloy::consensus::{TxEip1559, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
use op_alloy::consensus::TxDeposit;
use serde_json::{Value, json};

fn tx(nonce: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    }
}

fn expect_err(node: &Node, case: &str, method: &str, params: Value, code: i64, msg: &str) {
    let r = node.rpc_raw(method, params);
    let err = r
        .get("error")
        .unwrap_or_else(|| panic!("{case}: expected an error, got {r}"));
    assert_eq!(err["code"].as_i64(), Some(code), "{case}: {r}");
    let m = err["message"].as_str().unwrap_or_default();
    assert!(
        m.contains(msg),
        "{case}: message {m:?} does not contain {msg:?}"
    );
}

#[test]
fn bad_input_table() {
    let node = Node::dev(&["--block-time", "200ms", "--rpc.max-logs-range", "2"]);
    let key = dev_signer(2);
    let send = |raw: String| json!([raw]);

    // Mine nonce 0 so "nonce too low" has something to be low against.
    let first = signed_transfer(&key, 0, Address::repeat_byte(1), U256::from(1), CHAIN_ID);
    let h = node.rpc("eth_sendRawTransaction", send(first.clone()));
    node.wait_receipt(h.as_str().unwrap_or_default(), Duration::from_secs(10));

    node.wait_for("block 3", Duration::from_secs(10), |n| {
        n.block_number() >= 3
    });
    let valid = sign_1559(&key, tx(1));
    let raw = hex::decode(&valid).unwrap_or_default();
    let cases: Vec<(&str, &str, Value, i64, &str)> = vec![
        (
            "malformed rlp",
            "eth_sendRawTransaction",
            send("0xf86c0a8502540be40082520894".into()),
            -32000,
            "rlp",
        ),
        (
            "truncated tx",
            "eth_sendRawTransaction",
            send(hex::encode_prefixed(&raw[..raw.len() - 10])),
            -32000,
            "rlp",
        ),
        (
            "empty tx",
            "eth_sendRawTransaction",
            send("0x".into()),
            -32000,
            "empty",
        ),
        (
            "not hex",
            "eth_sendRawTransaction",
            send("0xzz".into()),
            -32602,
            "Invalid params",
        ),
        (
            "bad signature",
            "eth_sendRawTransaction",
            send({
                use alloy::consensus::SignableTransaction;
                let bad = alloy_primitives::Signature::new(U256::ZERO, U256::from(1), false);
                hex::encode_prefixed(
                    op_alloy::consensus::OpTxEnvelope::Eip1559(tx(1).into_signed(bad))
                        .encoded_2718(),
                )
            }),
            -32000,
            "invalid sender",
        ),
        (
            "wrong chain id",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    chain_id: 1,
                    ..tx(1)
                },
            )),
            -32000,
            "invalid chain id",
        ),
        (
            "unprotected legacy",
            "eth_sendRawTransaction",
            send(sign_legacy(
                &key,
                TxLegacy {
                    chain_id: None,
                    nonce: 1,
                    gas_price: 10_000_000_000,
                    gas_limit: 21_000,
                    to: TxKind::Call(Address::repeat_byte(9)),
                    value: U256::from(1),
                    input: Bytes::new(),
                },
            )),
            -32000,
            "replay-protected",
        ),
        (
            "nonce too low",
            "eth_sendRawTransaction",
            send(first),
            -32000,
            "nonce too low",
        ),
        (
            "insufficient funds",
            "eth_sendRawTransaction",
            send(signed_transfer(
                &PrivateKeySigner::random(),
                0,
                Address::repeat_byte(1),
                U256::from(1),
                CHAIN_ID,
            )),
            -32000,
            "insufficient funds for gas * price + value",
        ),
        (
            "oversized tx",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    gas_limit: 30_000_000,
                    input: Bytes::from(vec![1u8; 130 * 1024]),
                    ..tx(1)
                },
            )),
            -32000,
            "oversized data",
        ),
        (
            "intrinsic gas too low",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    gas_limit: 20_000,
                    ..tx(1)
                },
            )),
            -32000,
            "intrinsic gas too low",
        ),
        (
            "exceeds block gas limit",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    gas_limit: 1 << 40,
                    ..tx(1)
                },
            )),
            -32000,
            "exceeds block gas limit",
        ),
        (
            "fee below base fee",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    max_fee_per_gas: 1,
                    max_priority_fee_per_gas: 1,
                    ..tx(1)
                },
            )),
            -32000,
            "max fee per gas less than block base fee",
        ),
        (
            "tip above fee cap",
            "eth_sendRawTransaction",
            send(sign_1559(
                &key,
                TxEip1559 {
                    max_priority_fee_per_gas: 20_000_000_000,
                    ..tx(1)
                },
            )),
            -32000,
            "max priority fee per gas higher than max fee per gas",
        ),
        (
            "deposit via rpc",
            "eth_sendRawTransaction",
            send(hex::encode_prefixed(
                TxDeposit {
                    from: key.address(),
                    to: TxKind::Call(Address::repeat_byte(1)),
                    gas_limit: 21_000,
                    mint: 1 << 80,
                    ..Default::default()
                }
                .encoded_2718(),
            )),
            -32000,
            "deposit transactions are derived from L1",
        ),
        (
            "unknown method",
            "eth_doesNotExist",
            json!([]),
            -32601,
            "Method not found",
        ),
        (
            "bad params type",
            "eth_getBalance",
            json!(["0x1234", "latest"]),
            -32602,
            "Invalid params",
        ),
        (
            "missing params",
            "eth_getTransactionReceipt",
            json!([]),
            -32602,
            "Invalid params",
        ),
        (
            "unknown block for call",
            "eth_call",
            json!([{"to": "0x0000000000000000000000000000000000000001"}, "0xffffffff"]),
            -32000,
            "header not found",
        ),
        (
            "unknown filter",
            "eth_getFilterChanges",
            json!(["0xdead"]),
            -32000,
            "filter not found",
        ),
        (
            "logs range too wide",
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "latest"}]),
            -32000,
            "query exceeds max block range 2",
        ),
        (
            "unknown tracer",
            "debug_traceCall",
            json!([{"to": Address::repeat_byte(9)}, "latest", {"tracer": "evilTracer"}]),
            -32602,
            "evilTracer is not defined",
        ),
        (
            "javascript tracer that does not compile",
            "debug_traceCall",
            json!([{"to": Address::repeat_byte(9)}, "latest", {"tracer": "{result: function( {"}]),
            -32602,
            "SyntaxError",
        ),
        (
            "javascript tracer past its timeout",
            "debug_traceCall",
            json!([
                {"to": Address::repeat_byte(0x10), "gas": "0x1c9c380"},
                "latest",
                {
                    "tracer": "{step: function() { for (var i = 0; i < 1000; i++) {} }, fault: function() {}, result: function() { return 0 }}",
                    "timeout": "200ms",
                    // JUMPDEST PUSH1 0 JUMP: a loop that only gas ends.
                    "stateOverrides": {Address::repeat_byte(0x10).to_string(): {"code": "0x5b600056"}}
                }
            ]),
            -32000,
            "execution timeout",
        ),
        (
            "tracer timeout that is not a duration",
            "debug_traceCall",
            json!([{"to": Address::repeat_byte(9)}, "latest", {"timeout": "soon"}]),
            -32602,
            "invalid timeout",
        ),
        (
            "traceCall at a transaction index",
            "debug_traceCall",
            json!([{"to": Address::repeat_byte(9)}, "latest", {"txIndex": "0x1"}]),
            -32602,
            "txIndex",
        ),
        (
            "state and stateDiff for one account",
            "eth_call",
            json!([{"to": Address::repeat_byte(9)}, "latest", {
                Address::repeat_byte(9).to_string(): {"state": {}, "stateDiff": {}}
            }]),
            -32602,
            "both 'state' and 'stateDiff'",
        ),
        (
            "authorization list without a recipient",
            "eth_estimateGas",
            json!([{"from": key.address(), "authorizationList": [{
                "chainId": "0x1", "address": Address::repeat_byte(9), "nonce": "0x0",
                "yParity": "0x0", "r": "0x1", "s": "0x1"
            }]}]),
            -32000,
            "requires a \"to\" address",
        ),
        (
            "simulate: more than 256 blocks",
            "eth_simulateV1",
            json!([{"blockStateCalls": vec![json!({"calls": []}); 257]}, "latest"]),
            -38026,
            "too many blocks",
        ),
        (
            "simulate: block numbers out of order",
            "eth_simulateV1",
            json!([{"blockStateCalls": [
                {"blockOverrides": {"number": "0x100"}, "calls": []},
                {"blockOverrides": {"number": "0x50"}, "calls": []}
            ]}, "latest"]),
            -38020,
            "block numbers must be in order",
        ),
    ];
    assert!(cases.len() >= 20);
    for (case, method, params, code, msg) in cases {
        expect_err(&node, case, method, params, code, msg);
    }

    // Queued behind a gap: accepted, not executable.
    let gapped = signed_transfer(&key, 5, Address::repeat_byte(1), U256::from(1), CHAIN_ID);
    node.rpc("eth_sendRawTransaction", send(gapped.clone()));
    let status = node.rpc("txpool_status", json!([]));
    assert_eq!(status["queued"], "0x1", "{status}");
    expect_err(
        &node,
        "already known",
        "eth_sendRawTransaction",
        send(gapped),
        -32000,
        "already known",
    );
    let same_nonce = signed_transfer(&key, 5, Address::repeat_byte(2), U256::from(1), CHAIN_ID);
    expect_err(
        &node,
        "replacement underpriced",
        "eth_sendRawTransaction",
        send(same_nonce),
        -32000,
        "replacement transaction underpriced",
    );

    // Transport-level abuse.
    let (status, body) = http_post(node.addr, "{not json");
    assert!(status == 200 || status == 400, "{status} {body}");
    assert!(body.contains("-32700"), "parse error: {body}");
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[\"{}\"]}}",
        "a".repeat(16 * 1024 * 1024)
    );
    let (status, _) = http_post(node.addr, &big);
    assert_eq!(status, 413, "oversized request");
    let batch: Vec<Value> = (0..1_001)
        .map(|i| json!({"jsonrpc":"2.0","id":i,"method":"eth_chainId"}))
        .collect();
    let (_, body) = http_post(node.addr, &Value::Array(batch).to_string());
    assert!(body.contains("-32010"), "batch limit: {body}");
    let (_, body) = http_post(node.addr, &json!([{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}]).to_string());
    let v: Value = serde_json::from_str(&body).expect("batch response");
    assert_eq!(v.as_array().map(Vec::len), Some(2));

    // Still serving, and a good transaction still lands.
    let good = node.rpc("eth_sendRawTransaction", send(valid));
    node.wait_receipt(good.as_str().unwrap_or_default(), Duration::from_secs(10));
    assert_eq!(
        node.rpc("eth_chainId", json!([])),
        json!(format!("{CHAIN_ID:#x}"))
    );
}
