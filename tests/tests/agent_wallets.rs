//! Agent wallets against the real binary: EIP-7702 delegation through cast and raw RPC (gas
//! next to anvil's), authorization lists in every simulation path, geth's tracers, the
//! preinstalls (served code, a Safe made by the preinstalled factory), `eth_fillTransaction`,
//! `eth_simulateV1`, `rpc_modules` and `--rpc.allow-unprotected-txs`.

use std::{process::Command, time::Duration};

use agnt2_e2e::{
    CHAIN_ID, DEV_KEYS, Node, cast, dev_signer, forge_create, hex_u64, run, send, sign_legacy, tool,
};
use alloy::{
    consensus::{SignableTransaction, TxEip7702, TxLegacy},
    eips::{eip2718::Encodable2718, eip7702::Authorization},
    signers::SignerSync,
};
use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
use alloy_sol_types::{SolCall, sol};
use op_alloy::consensus::OpTxEnvelope;
use serde_json::{Value, json};

sol! {
    function ping() external returns (uint256);
    function whoami() external view returns (address);
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address who) external view returns (uint256);
}

const WAIT: Duration = Duration::from_secs(30);

fn delegate(node: &Node) -> Address {
    forge_create(node, "src/examples/Delegate.sol:Delegate", &[])
}

fn token(node: &Node) -> Address {
    forge_create(
        node,
        "src/examples/SimpleToken.sol:SimpleToken",
        &["Agent Token", "AGT", "1000000"],
    )
}

/// Dev account `key` signs a delegation of its account to `target` at `nonce`.
fn authorization(key: usize, chain_id: u64, target: Address, nonce: u64) -> Value {
    let auth = Authorization {
        chain_id: U256::from(chain_id),
        address: target,
        nonce,
    };
    let sig = dev_signer(key)
        .sign_hash_sync(&auth.signature_hash())
        .expect("sign authorization");
    serde_json::to_value(auth.into_signed(sig)).expect("authorization json")
}

fn nonce(node: &Node, who: Address) -> u64 {
    hex_u64(&node.rpc("eth_getTransactionCount", json!([who, "latest"])))
}

/// `cast send --auth` delegating dev account 1 and calling through it, with the gas cast got
/// from the node's estimate. Returns the receipt's gas used.
fn cast_auth_flow(node: &Node) -> u64 {
    let target = delegate(node);
    let eoa = dev_signer(1).address();
    let out = cast(
        node,
        &[
            "send",
            "--json",
            "--auth",
            &target.to_string(),
            "--private-key",
            DEV_KEYS[1],
            &eoa.to_string(),
            "ping()",
        ],
    );
    let receipt: Value = serde_json::from_str(&out).expect("receipt json");
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["type"], "0x4", "{receipt}");
    let code = cast(node, &["code", &eoa.to_string()]);
    assert_eq!(code, format!("0xef0100{}", hex::encode(target)));
    let me = cast(node, &["call", &eoa.to_string(), "whoami()(address)"]);
    assert_eq!(me.parse::<Address>().expect("address"), eoa);
    assert_eq!(
        cast(node, &["call", &eoa.to_string(), "count()(uint256)"]),
        "1"
    );
    hex_u64(&receipt["gasUsed"])
}

#[test]
fn cast_send_auth_delegates_and_uses_the_gas_anvil_uses() {
    let node = Node::dev(&[]);
    let ours = cast_auth_flow(&node);
    let anvil = Node::anvil(&[]);
    let theirs = cast_auth_flow(&anvil);
    assert_eq!(ours, theirs, "gas used by the delegating transaction");
}

#[test]
fn simulations_apply_authorization_lists() {
    let node = Node::dev(&[]);
    let target = delegate(&node);
    let sponsor = dev_signer(0).address();
    let eoa = dev_signer(2).address();
    let auth = authorization(2, CHAIN_ID, target, nonce(&node, eoa));
    let call = json!({"from": sponsor, "to": eoa, "data": whoami_data()});
    // Without the authorization the EOA has no code; with it, the delegate answers as the EOA.
    assert_eq!(node.rpc("eth_call", json!([call, "latest"])), "0x");
    let mut with_auth = call.clone();
    with_auth["authorizationList"] = json!([auth]);
    let answer = node.rpc("eth_call", json!([with_auth, "latest"]));
    assert_eq!(
        answer.as_str().expect("hex"),
        format!("0x{:0>64}", hex::encode(eoa))
    );

    let ping = Bytes::from(pingCall {}.abi_encode());
    let req = json!({"from": sponsor, "to": eoa, "data": ping, "authorizationList": [auth]});
    let estimate = hex_u64(&node.rpc("eth_estimateGas", json!([req])));
    assert!(
        estimate > 46_000,
        "estimate {estimate} ignores the authorization"
    );

    // geth's rule: the slots the code reads are listed (here the counter, in the EOA's own
    // storage), accounts the transaction warms anyway (sender, recipient, authority) are not.
    let list = node.rpc("eth_createAccessList", json!([req]));
    assert_eq!(
        list["accessList"],
        json!([{"address": format!("{eoa:#x}"), "storageKeys": [format!("0x{:064x}", 0)]}]),
        "{list}"
    );
    assert!(hex_u64(&list["gasUsed"]) > 46_000, "{list}");

    // The estimate is enough for the real transaction (no gas limit padding by the client).
    let key = dev_signer(0);
    let auth_list = vec![serde_json::from_value(auth).expect("authorization")];
    let tx = TxEip7702 {
        chain_id: CHAIN_ID,
        nonce: nonce(&node, sponsor),
        gas_limit: estimate,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: eoa,
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: auth_list,
        input: ping,
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    let raw = hex::encode_prefixed(OpTxEnvelope::Eip7702(tx.into_signed(sig)).encoded_2718());
    let hash = node.rpc("eth_sendRawTransaction", json!([raw]));
    let receipt = node.wait_receipt(hash.as_str().expect("hash"), WAIT);
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert!(hex_u64(&receipt["gasUsed"]) <= estimate);

    // Tracing sees the delegation too: the mined type-4 transaction, and a call that carries
    // an authorization (the EOA is delegated by now, so a fresh one re-delegates at nonce 1).
    let traced = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer"}]),
    );
    assert_eq!(traced["output"], format!("0x{:064x}", 1), "{traced}");
    let again = authorization(2, CHAIN_ID, target, nonce(&node, eoa));
    let traced_call = node.rpc(
        "debug_traceCall",
        json!([{"from": sponsor, "to": eoa, "data": whoami_data(), "authorizationList": [again]}, "latest", {"tracer": "callTracer"}]),
    );
    assert_eq!(
        traced_call["output"],
        format!("0x{:0>64}", hex::encode(eoa)),
        "{traced_call}"
    );
}

fn whoami_data() -> Bytes {
    Bytes::from(whoamiCall {}.abi_encode())
}

fn transfer_data(to: Address, amount: u64) -> Bytes {
    Bytes::from(
        transferCall {
            to,
            amount: U256::from(amount),
        }
        .abi_encode(),
    )
}

#[test]
fn access_lists_leave_out_the_fee_vaults() {
    let node = Node::dev(&[]);
    let a0 = dev_signer(0).address();
    let a1 = dev_signer(1).address();
    let plain = node.rpc(
        "eth_createAccessList",
        json!([{"from": a0, "to": a1, "value": "0x1"}]),
    );
    assert_eq!(plain["accessList"], json!([]), "{plain}");
    assert_eq!(hex_u64(&plain["gasUsed"]), 21_000);

    let token = token(&node);
    let data = transfer_data(a1, 1);
    let list = node.rpc(
        "eth_createAccessList",
        json!([{"from": a0, "to": token, "data": data}]),
    );
    let items = list["accessList"].as_array().expect("list");
    for vault in agnt2_primitives::constants::FEE_VAULTS {
        assert!(
            !items.iter().any(|i| i["address"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(&vault.to_string()))),
            "fee vault {vault} listed: {list}"
        );
    }
    let token_item = items
        .iter()
        .find(|i| {
            i["address"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(&token.to_string()))
        })
        .unwrap_or_else(|| panic!("token slots missing: {list}"));
    assert_eq!(token_item["storageKeys"].as_array().map(Vec::len), Some(2));
}

#[test]
fn geth_tracers_answer_for_transactions_blocks_and_calls() {
    let node = Node::dev(&[]);
    let token = token(&node);
    let a1 = dev_signer(1).address();
    let receipt = send(
        &node,
        0,
        token,
        "transfer(address,uint256)",
        &[&a1.to_string(), "7"],
    );
    let hash = receipt["transactionHash"].clone();

    let call = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    assert_eq!(call["type"], "CALL", "{call}");
    assert_eq!(call["logs"].as_array().map(Vec::len), Some(1), "{call}");

    let diff = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
    );
    assert!(
        diff["pre"].is_object() && diff["post"].is_object(),
        "{diff}"
    );

    let four = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "4byteTracer"}]),
    );
    assert_eq!(four["0xa9059cbb-64"], 1, "{four}");

    let noop = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "noopTracer"}]),
    );
    assert_eq!(noop, json!({}));

    let logs = node.rpc("debug_traceTransaction", json!([hash]));
    assert_eq!(logs["failed"], false, "{logs}");
    assert!(
        logs["structLogs"]
            .as_array()
            .is_some_and(|l| l.iter().any(|s| s["op"] == "SSTORE")),
        "struct logger"
    );

    let js = node.rpc(
        "debug_traceTransaction",
        json!([hash, {"tracer": "{n: 0, step: function() { this.n++ }, fault: function() {}, result: function() { return this.n }}"}]),
    );
    assert!(js.as_u64().is_some_and(|n| n > 10), "js tracer: {js}");

    let block = receipt["blockNumber"].clone();
    let traces = node.rpc(
        "debug_traceBlockByNumber",
        json!([block, {"tracer": "callTracer"}]),
    );
    let body = node.rpc("eth_getBlockByNumber", json!([block, false]));
    assert_eq!(
        traces.as_array().map(Vec::len),
        body["transactions"].as_array().map(Vec::len)
    );
    assert!(
        traces
            .as_array()
            .is_some_and(|t| t.iter().any(|e| e["txHash"] == hash))
    );
    let by_hash = node.rpc(
        "debug_traceBlockByHash",
        json!([body["hash"], {"tracer": "callTracer"}]),
    );
    assert_eq!(by_hash, traces);

    // A call with a state override: code that returns 42.
    let answer = Address::repeat_byte(0x42);
    let traced = node.rpc(
        "debug_traceCall",
        json!([
            {"from": dev_signer(0).address(), "to": answer},
            "latest",
            {"tracer": "callTracer", "stateOverrides": {answer.to_string(): {"code": "0x602a60005260206000f3"}}}
        ]),
    );
    assert_eq!(traced["output"], format!("0x{:064x}", 42), "{traced}");

    let bad = node.rpc_raw(
        "debug_traceTransaction",
        json!([hash, {"tracer": "noSuchTracer"}]),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}

#[test]
fn fill_transaction_simulate_v1_and_rpc_modules() {
    let node = Node::dev(&[]);
    let a0 = dev_signer(0).address();
    let a1 = dev_signer(1).address();
    let filled = node.rpc(
        "eth_fillTransaction",
        json!([{"from": a0, "to": a1, "value": "0x1"}]),
    );
    let tx = &filled["tx"];
    assert_eq!(hex_u64(&tx["gas"]), 21_000, "{filled}");
    assert_eq!(hex_u64(&tx["nonce"]), nonce(&node, a0));
    assert_eq!(hex_u64(&tx["chainId"]), CHAIN_ID);
    assert!(hex_u64(&tx["maxFeePerGas"]) > 0);
    assert!(
        filled["raw"]
            .as_str()
            .is_some_and(|r| r.starts_with("0x02"))
    );

    let token = token(&node);
    let give = transfer_data(a1, 5);
    let balance = Bytes::from(balanceOfCall { who: a1 }.abi_encode());
    let blocks = node.rpc(
        "eth_simulateV1",
        json!([{
            "blockStateCalls": [
                {"calls": [{"from": a0, "to": token, "data": give}]},
                {"calls": [{"from": a0, "to": token, "data": balance}]}
            ]
        }, "latest"]),
    );
    let blocks = blocks.as_array().expect("blocks");
    assert_eq!(blocks.len(), 2);
    let first = &blocks[0]["calls"][0];
    assert_eq!(first["status"], "0x1", "{first}");
    assert_eq!(first["logs"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        blocks[1]["calls"][0]["returnData"],
        format!("0x{:064x}", 5),
        "the second block sees the first"
    );
    assert_eq!(
        hex_u64(&blocks[1]["number"]),
        hex_u64(&blocks[0]["number"]) + 1
    );
    // Validation refuses what a block would refuse: an unfunded sender paying fees.
    let poor = Address::repeat_byte(0x77);
    let refused = node.rpc_raw(
        "eth_simulateV1",
        json!([{
            "blockStateCalls": [{"calls": [{"from": poor, "to": a1, "value": "0x1", "maxFeePerGas": "0x3b9aca00"}]}],
            "validation": true
        }, "latest"]),
    );
    assert!(refused.get("error").is_some(), "{refused}");

    let modules = node.rpc("rpc_modules", json!([]));
    for ns in ["eth", "net", "web3", "debug", "txpool", "rpc"] {
        assert!(modules.get(ns).is_some(), "{ns} missing from {modules}");
    }
}

#[test]
fn preinstalls_are_served_and_a_safe_runs_through_the_preinstalled_factory() {
    use agnt2_primitives::preinstalls::{PREINSTALLS, SAFE_L2_V130, SAFE_PROXY_FACTORY_V130};
    let node = Node::dev(&[]);
    let spec = agnt2_primitives::ChainSpec::dev();
    for p in PREINSTALLS {
        let code = node.rpc("eth_getCode", json!([p.address, "latest"]));
        let genesis = spec.genesis.alloc[&p.address]
            .code
            .clone()
            .unwrap_or_default();
        assert!(!genesis.is_empty(), "{} has no code", p.name);
        assert_eq!(code, json!(genesis), "{} served code", p.name);
    }

    // A 1-of-1 Safe owned by dev account 1, created through the proxy factory.
    let owner = dev_signer(1).address().to_string();
    let zero = Address::ZERO.to_string();
    let setup = run(Command::new(tool("cast")).args([
        "calldata",
        "setup(address[],uint256,address,bytes,address,address,uint256,address)",
        &format!("[{owner}]"),
        "1",
        &zero,
        "0x",
        &zero,
        &zero,
        "0",
        &zero,
    ]));
    let created = send(
        &node,
        1,
        SAFE_PROXY_FACTORY_V130,
        "createProxyWithNonce(address,bytes,uint256)",
        &[&SAFE_L2_V130.to_string(), &setup, "1"],
    );
    // ProxyCreation(address proxy, address singleton) from the factory.
    let log = created["logs"]
        .as_array()
        .and_then(|l| {
            l.iter().find(|l| {
                l["address"]
                    .as_str()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&SAFE_PROXY_FACTORY_V130.to_string()))
            })
        })
        .unwrap_or_else(|| panic!("no ProxyCreation: {created}"));
    let data = log["data"].as_str().expect("data");
    let safe: Address = format!("0x{}", &data[26..66])
        .parse()
        .expect("proxy address");
    assert_eq!(
        cast(
            &node,
            &["call", &safe.to_string(), "getThreshold()(uint256)"]
        ),
        "1"
    );

    cast(
        &node,
        &[
            "send",
            "--private-key",
            DEV_KEYS[0],
            &safe.to_string(),
            "--value",
            "1000",
        ],
    );
    let payee = Address::repeat_byte(0x5a);
    // An owner sending the transaction itself signs with the "approved by sender" form.
    let signature = format!("0x{:0>64}{}01", &owner[2..], "0".repeat(64));
    send(
        &node,
        1,
        safe,
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        &[
            &payee.to_string(),
            "1",
            "0x",
            "0",
            "0",
            "0",
            "0",
            &zero,
            &zero,
            &signature,
        ],
    );
    assert_eq!(cast(&node, &["balance", &payee.to_string()]), "1");
    assert_eq!(
        cast(&node, &["call", &safe.to_string(), "nonce()(uint256)"]),
        "1"
    );
}

#[test]
fn unprotected_legacy_transactions_are_admitted_only_with_the_flag() {
    let node = Node::dev(&["--rpc.allow-unprotected-txs"]);
    let key = dev_signer(2);
    let raw = sign_legacy(
        &key,
        TxLegacy {
            chain_id: None,
            nonce: nonce(&node, key.address()),
            gas_price: 10_000_000_000,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(9)),
            value: U256::from(1),
            input: Bytes::new(),
        },
    );
    let hash = node.rpc("eth_sendRawTransaction", json!([raw]));
    let receipt = node.wait_receipt(hash.as_str().expect("hash"), WAIT);
    assert_eq!(receipt["status"], "0x1", "{receipt}");
}
