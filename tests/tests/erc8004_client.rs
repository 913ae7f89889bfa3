//! An ERC-8004 client library written by others (the `erc8004` crate) works against our
//! registries at the standard addresses, with no change on either side.

use agnt2_e2e::{Node, dev_signer};
use agnt2_precompiles::{IDENTITY_REGISTRY, REPUTATION_REGISTRY, VALIDATION_REGISTRY};
use alloy_network::EthereumWallet;
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_provider::ProviderBuilder;
use erc8004::{Erc8004, types::FeedbackInput};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erc8004_crate_registers_rates_and_validates() {
    let node = Node::dev(&["--block-time", "100ms"]);
    let url = node.url();
    let client_for = async |i: usize| {
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(dev_signer(i)))
            .connect(&url)
            .await
            .expect("provider");
        Erc8004::new(provider)
            .with_identity_address(IDENTITY_REGISTRY)
            .with_reputation_address(REPUTATION_REGISTRY)
            .with_validation_address(VALIDATION_REGISTRY)
    };
    let owner = client_for(0).await;
    let rater = client_for(1).await;
    let validator = client_for(2).await;
    let (owner_addr, rater_addr, validator_addr) = (
        dev_signer(0).address(),
        dev_signer(1).address(),
        dev_signer(2).address(),
    );

    // Identity.
    let id = owner.identity().expect("identity");
    let agent = id
        .register_with_uri("https://agent.example/agent.json")
        .await
        .expect("register");
    assert_eq!(agent, U256::ZERO);
    // The crate does not check receipt status: every write is read back.
    assert_eq!(id.owner_of(agent).await.expect("ownerOf"), owner_addr);
    id.set_agent_uri(agent, "https://agent.example/v2.json")
        .await
        .expect("setAgentURI");
    assert_eq!(
        id.token_uri(agent).await.expect("tokenURI"),
        "https://agent.example/v2.json"
    );
    id.set_metadata(agent, "role", Bytes::from_static(b"tester"))
        .await
        .expect("setMetadata");
    assert_eq!(
        id.get_metadata(agent, "role").await.expect("getMetadata"),
        Bytes::from_static(b"tester")
    );
    assert_eq!(
        id.get_agent_wallet(agent).await.expect("wallet"),
        owner_addr
    );
    assert_eq!(id.get_version().await.expect("version"), "2.0.0");
    assert!(
        id.is_authorized_or_owner(owner_addr, agent)
            .await
            .expect("auth")
    );

    // Reputation, from a second account (self-feedback is refused).
    let rep = rater.reputation().expect("reputation");
    assert_eq!(
        rep.get_identity_registry().await.expect("identity"),
        IDENTITY_REGISTRY
    );
    rep.give_feedback(
        FeedbackInput::new(agent, 8750, 2)
            .with_tag1("quality")
            .with_tag2("e2e"),
    )
    .await
    .expect("giveFeedback");
    let index = rep
        .get_last_index(agent, rater_addr)
        .await
        .expect("lastIndex");
    assert_eq!(index, 1);
    let fb = rep
        .read_feedback(agent, rater_addr, index)
        .await
        .expect("readFeedback");
    assert_eq!(
        (fb.value, fb.value_decimals, fb.is_revoked),
        (8750, 2, false)
    );
    assert_eq!((fb.tag1.as_str(), fb.tag2.as_str()), ("quality", "e2e"));
    let s = rep
        .get_summary(agent, &[rater_addr], "", "")
        .await
        .expect("getSummary");
    assert_eq!(
        (s.count, s.summary_value, s.summary_value_decimals),
        (1, 8750, 2)
    );
    assert_eq!(
        rep.get_clients(agent).await.expect("clients"),
        vec![rater_addr]
    );
    rep.revoke_feedback(agent, 1).await.expect("revoke");
    let fb = rep
        .read_feedback(agent, rater_addr, 1)
        .await
        .expect("readFeedback");
    assert!(fb.is_revoked);

    // Validation: the owner asks, a validator answers.
    let request: B256 = keccak256("validation-request-1");
    owner
        .validation()
        .expect("validation")
        .submit_request(validator_addr, agent, "ipfs://req", request)
        .await
        .expect("request");
    let val = validator.validation().expect("validation");
    val.submit_response(request, 95, "ipfs://resp", keccak256("resp"), "safety")
        .await
        .expect("response");
    let status = val.get_validation_status(request).await.expect("status");
    assert_eq!(status.validator_address, validator_addr);
    assert_eq!(status.response, 95);
    let summary = val.get_summary(agent, &[], "").await.expect("summary");
    assert_eq!((summary.count, summary.avg_response), (1, 95));
    assert_eq!(
        val.get_agent_validations(agent).await.expect("list"),
        vec![request]
    );
}
