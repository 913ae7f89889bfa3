//! Contract agents against the identity registry through a real node: the front's
//! `onERC721Received` call-back (accepting, refusing, re-entering), agent wallets proven by an
//! EIP-712 signature and by ERC-1271, and the calls the native registries refuse
//! (DELEGATECALL, writes under STATICCALL, value, oversized strings), each with its reason and
//! no state change.

use agnt2_e2e::{CHAIN_ID, Node, cast, dev_signer, forge_create, hex_u64, revert_reason, send};
use agnt2_precompiles::{
    IDENTITY_REGISTRY, REPUTATION_REGISTRY,
    abi::{IIdentityRegistry, IReputationRegistry},
    wallet_digest,
};
use alloy::signers::SignerSync;
use alloy_primitives::{U256, hex};
use alloy_sol_types::SolCall;
use serde_json::json;

fn hexed(data: Vec<u8>) -> String {
    hex::encode_prefixed(data)
}

#[test]
fn contract_agents_callbacks_wallet_signatures_and_refused_calls() {
    let node = Node::dev(&["--block-time", "100ms"]);
    let owner = dev_signer(0).address();
    let id = IDENTITY_REGISTRY;
    let id_s = id.to_string();
    let h = forge_create(&node, "src/examples/AgentHarness.sol:AgentHarness", &[]);
    let h_s = h.to_string();
    let owner_of = |agent: u64| {
        cast(
            &node,
            &[
                "call",
                &id_s,
                "ownerOf(uint256)(address)",
                &agent.to_string(),
            ],
        )
    };
    let harness_received = || cast(&node, &["call", &h_s, "received()(uint256)"]);

    // safeTransferFrom to a contract that accepts: the front runs onERC721Received.
    send(&node, 0, id, "register()", &[]);
    send(
        &node,
        0,
        id,
        "safeTransferFrom(address,address,uint256)",
        &[&owner.to_string(), &h_s, "0"],
    );
    assert_eq!(owner_of(0), h_s);
    assert_eq!(harness_received(), "1");

    // A receiver that answers wrongly: ERC721InvalidReceiver(h), and the agent stays put.
    send(&node, 0, id, "register()", &[]);
    send(&node, 0, h, "setRefuseTokens(bool)", &["true"]);
    let err = revert_reason(
        &node,
        0,
        id,
        "safeTransferFrom(address,address,uint256)",
        &[&owner.to_string(), &h_s, "1"],
    );
    assert!(
        err.contains("0x64a0ae92"),
        "ERC721InvalidReceiver expected: {err}"
    );
    assert_eq!(owner_of(1), owner.to_string());
    send(&node, 0, h, "setRefuseTokens(bool)", &["false"]);

    // A contract registers through a relay: it is the owner and gets the mint call-back.
    let register = hexed(IIdentityRegistry::register_0Call {}.abi_encode());
    send(&node, 0, h, "relay(address,bytes)", &[&id_s, &register]);
    assert_eq!(owner_of(2), h_s);
    assert_eq!(harness_received(), "2");

    // Re-entering from the call-back: the core finished before the call-back ran, so the nested
    // registration sees consistent state and both agents exist.
    send(&node, 0, h, "setReenterOnReceive(bool)", &["true"]);
    send(&node, 0, h, "relay(address,bytes)", &[&id_s, &register]);
    assert_eq!(owner_of(3), h_s);
    assert_eq!(owner_of(4), h_s);
    assert_eq!(
        cast(&node, &["call", &id_s, "balanceOf(address)(uint256)", &h_s]),
        "4"
    );

    // The core's front-only entry point cannot be reached from outside: a wallet is only ever
    // set with a proof.
    let err = revert_reason(
        &node,
        0,
        id,
        "setAgentWalletVerified(uint256,address,uint256)",
        &[
            "1",
            &h_s,
            &(hex_u64(&node.rpc("eth_getBlockByNumber", json!(["latest", false]))["timestamp"])
                + 100)
                .to_string(),
        ],
    );
    assert!(err.contains("unknown function selector"), "{err}");
    assert_eq!(
        cast(
            &node,
            &["call", &id_s, "getAgentWallet(uint256)(address)", "1"]
        ),
        owner.to_string()
    );

    // Agent wallet by ERC-1271: the harness accepts only the digest it was given.
    let block = node.rpc("eth_getBlockByNumber", json!(["latest", false]));
    let deadline = U256::from(hex_u64(&block["timestamp"]) + 200);
    let digest = wallet_digest(CHAIN_ID, U256::from(1), h, owner, deadline);
    let set_wallet = "setAgentWallet(uint256,address,uint256,bytes)";
    let err = revert_reason(
        &node,
        0,
        id,
        set_wallet,
        &["1", &h_s, &deadline.to_string(), "0x"],
    );
    assert!(err.contains("invalid wallet sig"), "{err}");
    send(
        &node,
        0,
        h,
        "setAcceptedDigest(bytes32)",
        &[&digest.to_string()],
    );
    send(
        &node,
        0,
        id,
        set_wallet,
        &["1", &h_s, &deadline.to_string(), "0x"],
    );
    assert_eq!(
        cast(
            &node,
            &["call", &id_s, "getAgentWallet(uint256)(address)", "1"]
        ),
        h_s
    );

    // Agent wallet by an EIP-712 signature from an EOA.
    let wallet = dev_signer(2);
    let digest = wallet_digest(CHAIN_ID, U256::from(1), wallet.address(), owner, deadline);
    let sig = wallet.sign_hash_sync(&digest).expect("sign");
    let sig_hex = hex::encode_prefixed(sig.as_bytes());
    send(
        &node,
        0,
        id,
        set_wallet,
        &[
            "1",
            &wallet.address().to_string(),
            &deadline.to_string(),
            &sig_hex,
        ],
    );
    assert_eq!(
        cast(
            &node,
            &["call", &id_s, "getAgentWallet(uint256)(address)", "1"]
        ),
        wallet.address().to_string()
    );
    // The same signature for another agent is not valid.
    send(&node, 0, id, "register()", &[]);
    let err = revert_reason(
        &node,
        0,
        id,
        set_wallet,
        &[
            "5",
            &wallet.address().to_string(),
            &deadline.to_string(),
            &sig_hex,
        ],
    );
    assert!(err.contains("invalid wallet sig"), "{err}");
    // A deadline beyond five minutes is refused before any signature check.
    let far = (deadline + U256::from(1_000)).to_string();
    let err = revert_reason(&node, 0, id, set_wallet, &["1", &h_s, &far, "0x"]);
    assert!(err.contains("deadline too far"), "{err}");

    // DELEGATECALL into a native registry.
    let version = hexed(IReputationRegistry::getVersionCall {}.abi_encode());
    let rep_s = REPUTATION_REGISTRY.to_string();
    let err = revert_reason(
        &node,
        0,
        h,
        "relayDelegate(address,bytes)",
        &[&rep_s, &version],
    );
    assert!(
        err.contains("delegatecall to a native registry is not allowed"),
        "{err}"
    );
    // STATICCALL: views answer, writes are refused.
    let out = cast(
        &node,
        &[
            "call",
            &h_s,
            "relayStatic(address,bytes)(bytes)",
            &rep_s,
            &version,
        ],
    );
    assert!(out.contains(&hex::encode("2.0.0")), "{out}");
    let revoke = hexed(
        IReputationRegistry::revokeFeedbackCall {
            agentId: U256::ZERO,
            feedbackIndex: 1,
        }
        .abi_encode(),
    );
    let err = revert_reason(
        &node,
        0,
        h,
        "relayStatic(address,bytes)",
        &[&rep_s, &revoke],
    );
    assert!(err.contains("state change in a static call"), "{err}");
    // Value through a contract to a non-payable registry function.
    let out = std::process::Command::new(agnt2_e2e::tool("cast"))
        .args(["call", "--from", &owner.to_string(), "--value", "1", &h_s])
        .args([
            "relay(address,bytes)",
            &rep_s,
            &version,
            "--rpc-url",
            &node.url(),
        ])
        .output()
        .expect("cast");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("function is not payable"), "{err}");

    // Oversized strings are refused with the limit in the reason, and nothing changes.
    let long = "x".repeat(agnt2_precompiles::MAX_BYTES + 1);
    let err = revert_reason(&node, 0, id, "setAgentURI(uint256,string)", &["1", &long]);
    assert!(err.contains("string too long"), "{err}");
    assert_eq!(
        cast(&node, &["call", &id_s, "tokenURI(uint256)(string)", "1"]),
        "\"\""
    );
}
