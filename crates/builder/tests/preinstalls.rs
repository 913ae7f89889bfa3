//! The preinstalls against the canonical deployments: every address and code hash as deployed on
//! Ethereum mainnet (OP Stack's `Preinstalls.sol`, Safe's safe-deployments, and the EntryPoint
//! deployments), the chain-dependent ones re-deployed for our chain id, and the dev genesis
//! carrying exactly what the genesis code produces.

use agnt2_builder::{PreinstallError, add_preinstalls, preinstall_alloc};
use agnt2_primitives::ChainSpec;
use alloy::genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, U256, address, b256, keccak256};

/// Canonical runtime code hashes on chain 1.
const MAINNET: [(&str, Address, B256); 18] = [
    (
        "DeterministicDeploymentProxy",
        address!("0x4e59b44847b379578588920cA78FbF26c0B4956C"),
        b256!("0x2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989"),
    ),
    (
        "SafeSingletonFactory",
        address!("0x914d7Fec6aaC8cd542e72Bca78B30650d45643d7"),
        b256!("0x2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989"),
    ),
    (
        "MultiCall3",
        address!("0xcA11bde05977b3631167028862bE2a173976CA11"),
        b256!("0xd5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891"),
    ),
    (
        "CreateX",
        address!("0xba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed"),
        b256!("0xbd8a7ea8cfca7b4e5f5041d7d4b17bc317c5ce42cfbc42066a00cf26b43eb53f"),
    ),
    (
        "Create2Deployer",
        address!("0x13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2"),
        b256!("0xb0550b5b431e30d38000efb7107aaa0ade03d48a7198a140edda9d27134468b2"),
    ),
    (
        "BeaconBlockRoots",
        address!("0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02"),
        b256!("0xf57acd40259872606d76197ef052f3d35588dadf919ee1f0e3cb9b62d3f4b02c"),
    ),
    (
        "Safe_v130",
        address!("0x69f4D1788e39c87893C980c06EdF4b7f686e2938"),
        b256!("0xbba688fbdb21ad2bb58bc320638b43d94e7d100f6f3ebaab0a4e4de6304b1c2e"),
    ),
    (
        "SafeL2_v130",
        address!("0xfb1bffC9d739B8D520DaF37dF666da4C687191EA"),
        b256!("0x21842597390c4c6e3c1239e434a682b054bd9548eee5e9b1d6a4482731023c0f"),
    ),
    (
        "MultiSend_v130",
        address!("0x998739BFdAAdde7C933B942a68053933098f9EDa"),
        b256!("0x81db0e4afdf5178583537b58c5ad403bd47a4ac7f9bde2442ef3e341d433126a"),
    ),
    (
        "MultiSendCallOnly_v130",
        address!("0xA1dabEF33b3B82c7814B6D82A79e50F4AC44102B"),
        b256!("0xa9865ac2d9c7a1591619b188c4d88167b50df6cc0c5327fcbd1c8c75f7c066ad"),
    ),
    (
        "SafeProxyFactory_v130",
        address!("0xC22834581EbC8527d974F8a1c97E1bEA4EF910BC"),
        b256!("0x337d7f54be11b6ed55fef7b667ea5488db53db8320a05d1146aa4bd169a39a9b"),
    ),
    (
        "EntryPoint_v060",
        address!("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789"),
        b256!("0xc93c806e738300b5357ecdc2e971d6438d34d8e4e17b99b758b1f9cac91c8e70"),
    ),
    (
        "SenderCreator_v060",
        address!("0x7fc98430eAEdbb6070B35B39D798725049088348"),
        b256!("0xae818091eaaf1b6175ee41472359a689f3823d0908a41e2e5c4ad508f2fc04a3"),
    ),
    (
        "EntryPoint_v070",
        address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032"),
        b256!("0x8db5ff695839d655407cc8490bb7a5d82337a86a6b39c3f0258aa6c3b582fc58"),
    ),
    (
        "SenderCreator_v070",
        address!("0xEFC2c1444eBCC4Db75e7613d20C6a62fF67A167C"),
        b256!("0x283c9d14378f5f4c4e24045b87d621d48443fa5b4af7dd7180a599b3756a7689"),
    ),
    (
        "EntryPoint_v080",
        address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"),
        b256!("0x44e632a24c6f2600cbd5b5b8b4c2d372359112c8b5774297f5fd0a9e64f11f86"),
    ),
    (
        "SenderCreator_v080",
        address!("0x449ED7C3e6Fee6a97311d4b55475DF59C44AdD33"),
        b256!("0xc69a1b3a000d570bc86eb096ee63a9014a17951ad616d720882ec61432b00fcf"),
    ),
    (
        "Permit2",
        address!("0x000000000022D473030F116dDEE9F6B43aC78BA3"),
        b256!("0xc67d1657868aa5146eaf24fb879fb1fdec3d2d493b3683a61c9c2f4fb2851131"),
    ),
];

/// Preinstalls whose code embeds the chain id (EIP-712 domain caches).
const CHAIN_DEPENDENT: [&str; 2] = ["EntryPoint_v080", "Permit2"];

fn code_hash(a: &GenesisAccount) -> B256 {
    keccak256(a.code.clone().unwrap_or_default())
}

#[test]
fn preinstalls_match_the_canonical_mainnet_deployments() {
    let alloc = preinstall_alloc(1, 0).expect("preinstalls");
    for (name, address, hash) in MAINNET {
        let account = alloc
            .get(&address)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(code_hash(account), hash, "{name} code differs from mainnet");
    }
    assert_eq!(alloc.len(), MAINNET.len(), "unexpected extra accounts");
}

#[test]
fn chain_dependent_preinstalls_are_deployed_for_the_chain() {
    let alloc = preinstall_alloc(28004, 0).expect("preinstalls");
    for (name, address, hash) in MAINNET {
        let same = code_hash(&alloc[&address]) == hash;
        assert_eq!(same, !CHAIN_DEPENDENT.contains(&name), "{name}");
    }
    // Permit2 caches the chain id at byte 6945 of its runtime (EIP-712 domain).
    let permit2 = alloc[&MAINNET[17].1].code.clone().unwrap_or_default();
    let word = U256::from_be_slice(&permit2[6945..6977]);
    assert_eq!(word, U256::from(28004));
    // Arbitrum Sepolia's EntryPoint v0.8, as published for that chain.
    let sepolia = preinstall_alloc(421614, 0).expect("preinstalls");
    assert_eq!(
        code_hash(&sepolia[&MAINNET[15].1]),
        b256!("0xe3f30f78ae55058acdefea00952c8e44f2263215cf720fe1b27b6f148add0278")
    );
}

#[test]
fn constructors_leave_the_state_a_real_deployment_leaves() {
    let alloc = preinstall_alloc(28004, 0).expect("preinstalls");
    let slot = |a: Address, s: u64| {
        alloc[&a]
            .storage
            .clone()
            .unwrap_or_default()
            .get(&B256::from(U256::from(s)))
            .copied()
            .unwrap_or_default()
    };
    // The Safe singletons lock themselves: threshold (slot 4) = 1, so nobody can set them up.
    assert_eq!(slot(MAINNET[6].1, 4), B256::from(U256::from(1)));
    assert_eq!(slot(MAINNET[7].1, 4), B256::from(U256::from(1)));
    // EntryPoints created their SenderCreator (nonce 2 afterwards).
    assert_eq!(alloc[&MAINNET[13].1].nonce, Some(2));
}

#[test]
fn the_dev_genesis_carries_the_preinstalls() {
    let spec = ChainSpec::dev();
    let alloc = preinstall_alloc(spec.chain_id, spec.genesis.timestamp).expect("preinstalls");
    for (address, account) in alloc {
        assert_eq!(
            spec.genesis.alloc.get(&address),
            Some(&account),
            "genesis/dev.json is stale at {address}: run scripts/gen-dev-genesis.sh"
        );
    }
}

#[test]
fn an_occupied_preinstall_address_is_refused() {
    let mut genesis = Genesis::default();
    genesis.config.chain_id = 7;
    let proxy = MAINNET[0].1;
    genesis.alloc.insert(
        proxy,
        GenesisAccount::default().with_code(Some(Bytes::from_static(&[0xfe]))),
    );
    match add_preinstalls(&mut genesis) {
        Err(PreinstallError::Occupied(a)) => assert_eq!(a, proxy),
        other => panic!("expected Occupied, got {other:?}"),
    }
    let mut clean = Genesis::default();
    clean.config.chain_id = 7;
    add_preinstalls(&mut clean).expect("first");
    let once = clean.alloc.clone();
    add_preinstalls(&mut clean).expect("idempotent");
    assert_eq!(clean.alloc, once);
}
