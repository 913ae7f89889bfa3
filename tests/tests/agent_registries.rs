//! The agent registries through a real node: cast drives the ERC-8004 identity and reputation
//! registries by their standard signatures, the logs are decoded with the reference event ABI,
//! the owner slot is proven with alloy-trie, and an alloy client uses the `sol!` bindings for
//! registration, capabilities and sessions.

use std::{process::Command, time::Duration};

use agnt2_e2e::{Node, cast, dev_signer, revert_reason, send, tool, verify_storage_proof};
use agnt2_precompiles::{
    CAPABILITIES, IDENTITY_REGISTRY, REPUTATION_REGISTRY, SESSIONS,
    abi::{IAgentCapabilities, IAgentSessions, IIdentityRegistry, IReputationRegistry},
    layout,
};
use alloy::rpc::types::TransactionRequest;
use alloy_network::EthereumWallet;
use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_sol_types::{SolCall, SolEvent};
use serde_json::{Value, json};

/// The receipt's logs as alloy logs.
fn logs(receipt: &Value) -> Vec<Log> {
    receipt["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| {
            let topics: Vec<B256> = serde_json::from_value(l["topics"].clone()).expect("topics");
            let data: Bytes = serde_json::from_value(l["data"].clone()).expect("data");
            Log::new_unchecked(
                l["address"]
                    .as_str()
                    .expect("address")
                    .parse()
                    .expect("addr"),
                topics,
                data,
            )
        })
        .collect()
}

#[test]
fn erc8004_identity_and_reputation_via_cast() {
    let node = Node::dev(&["--block-time", "100ms"]);
    let owner = dev_signer(0).address();
    let client = dev_signer(1).address();
    let id = IDENTITY_REGISTRY;
    let rep = REPUTATION_REGISTRY;

    // register(string): agent ids start at 0; the events are the reference's, in its order.
    let receipt = send(
        &node,
        0,
        id,
        "register(string)",
        &["https://agent.example/card.json"],
    );
    let l = logs(&receipt);
    assert_eq!(l.len(), 4, "{receipt}");
    assert!(l.iter().all(|x| x.address == id));
    let t = IIdentityRegistry::Transfer::decode_log(&l[0]).expect("Transfer");
    assert_eq!(
        (t.from, t.to, t.tokenId),
        (Address::ZERO, owner, U256::ZERO)
    );
    let mu = IIdentityRegistry::MetadataUpdate::decode_log(&l[1]).expect("MetadataUpdate");
    assert_eq!(mu._tokenId, U256::ZERO);
    let r = IIdentityRegistry::Registered::decode_log(&l[2]).expect("Registered");
    assert_eq!(r.agentURI, "https://agent.example/card.json");
    assert_eq!(r.owner, owner);
    let m = IIdentityRegistry::MetadataSet::decode_log(&l[3]).expect("MetadataSet");
    assert_eq!(m.metadataKey, "agentWallet");
    assert_eq!(m.indexedMetadataKey, keccak256("agentWallet"));
    assert_eq!(m.metadataValue.as_ref(), owner.as_slice());

    let call = |sig: &str, args: &[&str]| {
        let mut all = vec!["call", &id.to_string()[..], sig]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        all.extend(args.iter().map(|s| s.to_string()));
        cast(&node, &all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(call("ownerOf(uint256)(address)", &["0"]), owner.to_string());
    assert_eq!(
        call("getAgentWallet(uint256)(address)", &["0"]),
        owner.to_string()
    );
    assert_eq!(call("getVersion()(string)", &[]), "\"2.0.0\"");
    assert_eq!(
        call("supportsInterface(bytes4)(bool)", &["0x80ac58cd"]),
        "true"
    );
    assert_eq!(
        call("supportsInterface(bytes4)(bool)", &["0x780e9d63"]),
        "false"
    );

    // URI and metadata.
    let receipt = send(
        &node,
        0,
        id,
        "setAgentURI(uint256,string)",
        &["0", "ipfs://agent-v2"],
    );
    let l = logs(&receipt);
    let u = IIdentityRegistry::URIUpdated::decode_log(&l[1]).expect("URIUpdated");
    assert_eq!((u.newURI.as_str(), u.updatedBy), ("ipfs://agent-v2", owner));
    assert_eq!(
        call("tokenURI(uint256)(string)", &["0"]),
        "\"ipfs://agent-v2\""
    );
    send(
        &node,
        0,
        id,
        "setMetadata(uint256,string,bytes)",
        &["0", "model", "0x6770742d35"],
    );
    assert_eq!(
        call("getMetadata(uint256,string)(bytes)", &["0", "model"]),
        "0x6770742d35"
    );
    assert!(
        revert_reason(
            &node,
            0,
            id,
            "setMetadata(uint256,string,bytes)",
            &["0", "agentWallet", "0x01"]
        )
        .contains("reserved key")
    );
    assert!(
        revert_reason(&node, 1, id, "setAgentURI(uint256,string)", &["0", "x"])
            .contains("Not authorized")
    );

    // Feedback from a client; the owner may not rate its own agent.
    let zero = format!("{:#x}", B256::ZERO);
    let fb_hash = format!("{:#x}", keccak256("feedback-1"));
    let receipt = send(
        &node,
        1,
        rep,
        "giveFeedback(uint256,int128,uint8,string,string,string,string,bytes32)",
        &[
            "0",
            "8750",
            "2",
            "quality",
            "fast",
            "https://agent.example/api",
            "ipfs://fb1",
            &fb_hash,
        ],
    );
    let l = logs(&receipt);
    assert_eq!(l.len(), 1);
    let f = IReputationRegistry::NewFeedback::decode_log(&l[0]).expect("NewFeedback");
    assert_eq!(f.address, rep);
    assert_eq!(
        (f.agentId, f.clientAddress, f.feedbackIndex),
        (U256::ZERO, client, 1)
    );
    assert_eq!((f.value, f.valueDecimals), (8750, 2));
    assert_eq!(f.indexedTag1, keccak256("quality"));
    assert_eq!((f.tag1.as_str(), f.tag2.as_str()), ("quality", "fast"));
    assert_eq!(f.endpoint, "https://agent.example/api");
    assert_eq!(f.feedbackURI, "ipfs://fb1");
    assert_eq!(f.feedbackHash, keccak256("feedback-1"));
    send(
        &node,
        1,
        rep,
        "giveFeedback(uint256,int128,uint8,string,string,string,string,bytes32)",
        &["0", "9000", "2", "quality", "slow", "", "", &zero],
    );
    let err = revert_reason(
        &node,
        0,
        rep,
        "giveFeedback(uint256,int128,uint8,string,string,string,string,bytes32)",
        &["0", "1", "0", "", "", "", "", &zero],
    );
    assert!(err.contains("Self-feedback not allowed"), "{err}");

    let summary = |tag2: &str| {
        cast(
            &node,
            &[
                "call",
                &rep.to_string(),
                "getSummary(uint256,address[],string,string)(uint64,int128,uint8)",
                "0",
                &format!("[{client}]"),
                "",
                tag2,
            ],
        )
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    };
    assert_eq!(summary(""), "2 8875 2");
    assert_eq!(summary("fast"), "1 8750 2");

    let receipt = send(&node, 1, rep, "revokeFeedback(uint256,uint64)", &["0", "1"]);
    let rv = IReputationRegistry::FeedbackRevoked::decode_log(&logs(&receipt)[0]).expect("revoked");
    assert_eq!(
        (rv.agentId, rv.clientAddress, rv.feedbackIndex),
        (U256::ZERO, client, 1)
    );
    assert_eq!(summary(""), "1 9000 2");
    assert!(
        revert_reason(&node, 1, rep, "revokeFeedback(uint256,uint64)", &["0", "1"])
            .contains("Already revoked")
    );

    // Value to a non-payable function, and calls straight into the core, revert with a reason.
    let out = Command::new(tool("cast"))
        .args([
            "call",
            "--value",
            "1",
            "--from",
            &owner.to_string(),
            &id.to_string(),
            "register()",
        ])
        .args(["--rpc-url", &node.url()])
        .output()
        .expect("cast");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("function is not payable"), "{err}");
    assert!(
        revert_reason(
            &node,
            0,
            agnt2_precompiles::IDENTITY_CORE,
            "ownerOf(uint256)",
            &["0"]
        )
        .contains("only through the registry")
    );

    // The owner slot is in the world state and proven against the block's state root.
    let block = node.rpc("eth_getBlockByNumber", json!(["latest", false]));
    let slot = B256::from(layout::identity::owner(U256::ZERO).slot());
    let word = verify_storage_proof(&node, id, slot, &block);
    assert_eq!(Address::from_word(B256::from(word)), owner);

    // The agent_ namespace reads the same protocol objects from state.
    let agent = node.rpc("agent_getAgent", json!(["0x0"]));
    assert_eq!(agent["owner"], json!(owner), "{agent}");
    assert_eq!(agent["agentURI"], "ipfs://agent-v2");
    assert_eq!(agent["agentWallet"], json!(owner));
    assert_eq!(agent["metadataKeys"], json!(["model"]));
    assert_eq!(agent["reputation"]["count"], 1);
    assert_eq!(agent["reputation"]["summaryValue"], "9000");
    assert_eq!(agent["reputation"]["summaryValueDecimals"], 2);
    let missing = node.rpc_raw("agent_getAgent", json!(["0x7"]));
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not exist"),
        "{missing}"
    );

    // eth_getLogs returns the same events by topic, as an indexer would query them.
    let registered = node.rpc(
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "address": id, "topics": [IIdentityRegistry::Registered::SIGNATURE_HASH] }]),
    );
    assert_eq!(registered.as_array().map(Vec::len), Some(1), "{registered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sol_bindings_drive_identity_reputation_capabilities_and_sessions() {
    let node = Node::dev(&["--block-time", "100ms"]);
    let owner = dev_signer(0);
    let agent_key = dev_signer(2);
    let client = dev_signer(1);
    let url = node.url();
    let provider = async |s: alloy::signers::local::PrivateKeySigner| {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(s))
            .connect(&url)
            .await
            .expect("provider")
    };
    let as_owner = provider(owner.clone()).await;
    let tx = |to: Address, input: Vec<u8>| TransactionRequest::default().to(to).input(input.into());
    let send_tx = async |p: &dyn Provider, req: TransactionRequest| {
        let r = p
            .send_transaction(req)
            .await
            .expect("send")
            .with_timeout(Some(Duration::from_secs(30)))
            .get_receipt()
            .await
            .expect("receipt");
        assert!(r.status(), "reverted: {r:?}");
        r
    };

    // register(string, MetadataEntry[]) through the typed binding.
    let input = IIdentityRegistry::register_2Call {
        agentURI: "https://agent.example/a.json".into(),
        metadata: vec![IIdentityRegistry::MetadataEntry {
            metadataKey: "endpoint".into(),
            metadataValue: Bytes::from_static(b"https://agent.example/api"),
        }],
    }
    .abi_encode();
    let receipt = send_tx(&as_owner, tx(IDENTITY_REGISTRY, input)).await;
    let md: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| IIdentityRegistry::MetadataSet::decode_log(&l.inner).ok())
        .map(|e| e.data.metadataKey)
        .collect();
    assert_eq!(md, ["agentWallet", "endpoint"]);
    let out = as_owner
        .call(tx(
            IDENTITY_REGISTRY,
            IIdentityRegistry::getMetadataCall {
                agentId: U256::ZERO,
                metadataKey: "endpoint".into(),
            }
            .abi_encode(),
        ))
        .await
        .expect("call");
    let value = IIdentityRegistry::getMetadataCall::abi_decode_returns(&out).expect("decode");
    assert_eq!(value.as_ref(), b"https://agent.example/api");

    // URI, feedback from a client, revocation and the summary, all through the bindings.
    send_tx(
        &as_owner,
        tx(
            IDENTITY_REGISTRY,
            IIdentityRegistry::setAgentURICall {
                agentId: U256::ZERO,
                newURI: "ipfs://a-v2".into(),
            }
            .abi_encode(),
        ),
    )
    .await;
    let out = as_owner
        .call(tx(
            IDENTITY_REGISTRY,
            IIdentityRegistry::tokenURICall {
                tokenId: U256::ZERO,
            }
            .abi_encode(),
        ))
        .await
        .expect("tokenURI");
    assert_eq!(
        IIdentityRegistry::tokenURICall::abi_decode_returns(&out).expect("uri"),
        "ipfs://a-v2"
    );
    let as_rater = provider(client.clone()).await;
    let feedback = |value: i128, tag2: &str| {
        IReputationRegistry::giveFeedbackCall {
            agentId: U256::ZERO,
            value,
            valueDecimals: 1,
            tag1: "accuracy".into(),
            tag2: tag2.into(),
            endpoint: "https://agent.example/api".into(),
            feedbackURI: String::new(),
            feedbackHash: B256::ZERO,
        }
        .abi_encode()
    };
    let r = send_tx(&as_rater, tx(REPUTATION_REGISTRY, feedback(-15, "x"))).await;
    let ev = r
        .inner
        .logs()
        .iter()
        .find_map(|l| IReputationRegistry::NewFeedback::decode_log(&l.inner).ok())
        .expect("NewFeedback");
    assert_eq!((ev.data.value, ev.data.feedbackIndex), (-15, 1));
    send_tx(&as_rater, tx(REPUTATION_REGISTRY, feedback(40, "y"))).await;
    let summary = async || {
        let out = as_owner
            .call(tx(
                REPUTATION_REGISTRY,
                IReputationRegistry::getSummaryCall {
                    agentId: U256::ZERO,
                    clientAddresses: vec![client.address()],
                    tag1: String::new(),
                    tag2: String::new(),
                }
                .abi_encode(),
            ))
            .await
            .expect("getSummary");
        let s = IReputationRegistry::getSummaryCall::abi_decode_returns(&out).expect("summary");
        (s.count, s.summaryValue, s.summaryValueDecimals)
    };
    // (-1.5 + 4.0) / 2 = 1.25, truncated toward zero at one decimal: 12.
    assert_eq!(summary().await, (2, 12, 1));
    send_tx(
        &as_rater,
        tx(
            REPUTATION_REGISTRY,
            IReputationRegistry::revokeFeedbackCall {
                agentId: U256::ZERO,
                feedbackIndex: 1,
            }
            .abi_encode(),
        ),
    )
    .await;
    assert_eq!(summary().await, (1, 40, 1));

    // Capabilities: the owner lets an agent key spend up to 100 in scope "api".
    let scope = keccak256("api");
    let expiry = u64::MAX / 2;
    let grant = IAgentCapabilities::grantCall {
        agentId: U256::ZERO,
        grantee: agent_key.address(),
        scope,
        spendLimit: U256::from(100),
        expiry,
    };
    send_tx(&as_owner, tx(CAPABILITIES, grant.abi_encode())).await;
    let as_agent = provider(agent_key.clone()).await;
    let consume = |amount: u64| {
        tx(
            CAPABILITIES,
            IAgentCapabilities::consumeCall {
                agentId: U256::ZERO,
                scope,
                amount: U256::from(amount),
            }
            .abi_encode(),
        )
    };
    let left = as_agent.call(consume(60)).await.expect("consume sim");
    assert_eq!(
        IAgentCapabilities::consumeCall::abi_decode_returns(&left).expect("u256"),
        U256::from(40)
    );
    send_tx(&as_agent, consume(60)).await;
    let err = as_agent
        .call(consume(41))
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("spend limit exceeded"), "{err}");

    // Sessions: a client escrows a budget with the agent, the agent records a call, closing pays.
    let as_client = as_rater;
    let budget = U256::from(1_000_000u64);
    let open = IAgentSessions::openSession_0Call {
        counterpartyAgentId: U256::ZERO,
        budget,
        expiry,
    };
    send_tx(&as_client, tx(SESSIONS, open.abi_encode()).value(budget)).await;
    let session = U256::from(1);
    let record = IAgentSessions::recordInvocationCall {
        sessionId: session,
        requestHash: keccak256("req"),
        responseHash: keccak256("resp"),
        amount: U256::from(250_000u64),
    };
    send_tx(&as_owner, tx(SESSIONS, record.abi_encode())).await;
    let wallet_before = as_owner
        .get_balance(owner.address())
        .await
        .expect("balance");
    send_tx(
        &as_client,
        tx(
            SESSIONS,
            IAgentSessions::closeSessionCall { sessionId: session }.abi_encode(),
        ),
    )
    .await;
    let wallet_after = as_owner
        .get_balance(owner.address())
        .await
        .expect("balance");
    assert_eq!(wallet_after - wallet_before, U256::from(250_000u64));
    let out = as_owner
        .call(tx(
            SESSIONS,
            IAgentSessions::getSessionCall { sessionId: session }.abi_encode(),
        ))
        .await
        .expect("getSession");
    let s = IAgentSessions::getSessionCall::abi_decode_returns(&out).expect("session");
    assert!(s.closed);
    assert_eq!(
        (s.callCount, s.nonce, s.spent, s.client),
        (1, 1, U256::from(250_000u64), client.address())
    );
    assert_eq!(
        as_owner.get_balance(SESSIONS).await.expect("escrow"),
        U256::ZERO
    );
}
