//! OP Stack's preinstalls (plus ERC-4337 EntryPoint v0.8 and the Safe v1.3.0 proxy factory):
//! contracts every OP chain has at their canonical addresses from genesis, so tools that
//! hard-code those addresses (bundlers, Safe, Permit2, Multicall3, CREATE2 factories) work.
//!
//! The code comes from the artifacts their projects publish (see `preinstalls/README.md`).
//! Contracts deployed on other chains through a CREATE2 factory are listed by factory, salt and
//! initcode: the genesis builder runs that deployment, so the address is derived rather than
//! trusted and chain-id dependent code (Permit2, EntryPoint v0.8) comes out as a deployment on
//! this chain would produce it. The rest are listed by their runtime code.

use alloy_primitives::{Address, B256, address, b256};

/// The deterministic-deployment proxy (Arachnid's CREATE2 factory).
pub const DETERMINISTIC_DEPLOYMENT_PROXY: Address =
    address!("0x4e59b44847b379578588920cA78FbF26c0B4956C");
/// Safe's singleton factory (the same code as the proxy, at its own address).
pub const SAFE_SINGLETON_FACTORY: Address = address!("0x914d7Fec6aaC8cd542e72Bca78B30650d45643d7");
/// ERC-4337 EntryPoint v0.6.
pub const ENTRY_POINT_V06: Address = address!("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789");
/// ERC-4337 EntryPoint v0.7.
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// ERC-4337 EntryPoint v0.8.
pub const ENTRY_POINT_V08: Address = address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");
/// Safe v1.3.0 proxy factory.
pub const SAFE_PROXY_FACTORY_V130: Address = address!("0xC22834581EbC8527d974F8a1c97E1bEA4EF910BC");
/// Safe v1.3.0 L2 singleton.
pub const SAFE_L2_V130: Address = address!("0xfb1bffC9d739B8D520DaF37dF666da4C687191EA");

/// How a preinstall's code is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreinstallCode {
    /// Runtime code placed as is (hex, no `0x`).
    Runtime(&'static str),
    /// A call of `factory` with `salt ‖ initcode` (the factory CREATE2s it); the genesis builder
    /// runs it and checks that the contract lands at the listed address.
    Create2 {
        /// The CREATE2 factory (itself a preinstall listed earlier).
        factory: Address,
        /// The canonical salt.
        salt: B256,
        /// Initcode, hex without `0x`.
        initcode: &'static str,
    },
}

/// One preinstalled contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preinstall {
    /// Name, as OP's `Preinstalls.sol` spells it where it lists one.
    pub name: &'static str,
    /// Canonical address.
    pub address: Address,
    /// Where its code comes from.
    pub code: PreinstallCode,
}

const fn runtime(name: &'static str, address: Address, hex: &'static str) -> Preinstall {
    Preinstall {
        name,
        address,
        code: PreinstallCode::Runtime(hex),
    }
}

const fn create2(
    name: &'static str,
    address: Address,
    factory: Address,
    salt: B256,
    initcode: &'static str,
) -> Preinstall {
    Preinstall {
        name,
        address,
        code: PreinstallCode::Create2 {
            factory,
            salt,
            initcode,
        },
    }
}

macro_rules! hex_file {
    ($name:literal) => {
        include_str!(concat!("../preinstalls/", $name))
    };
}

const SALT_ZERO: B256 = B256::ZERO;

/// Every preinstall, factories first (later entries are deployed through them). The EntryPoint
/// constructors deploy their SenderCreators, which are therefore not listed.
pub const PREINSTALLS: [Preinstall; 15] = [
    runtime(
        "DeterministicDeploymentProxy",
        DETERMINISTIC_DEPLOYMENT_PROXY,
        hex_file!("DeterministicDeploymentProxy.runtime.hex"),
    ),
    runtime(
        "SafeSingletonFactory",
        SAFE_SINGLETON_FACTORY,
        hex_file!("SafeSingletonFactory.runtime.hex"),
    ),
    runtime(
        "MultiCall3",
        address!("0xcA11bde05977b3631167028862bE2a173976CA11"),
        hex_file!("Multicall3.runtime.hex"),
    ),
    runtime(
        "CreateX",
        address!("0xba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed"),
        hex_file!("CreateX.runtime.hex"),
    ),
    runtime(
        "Create2Deployer",
        address!("0x13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2"),
        hex_file!("Create2Deployer.runtime.hex"),
    ),
    runtime(
        "BeaconBlockRoots",
        address!("0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02"),
        hex_file!("BeaconBlockRoots.runtime.hex"),
    ),
    create2(
        "Safe_v130",
        address!("0x69f4D1788e39c87893C980c06EdF4b7f686e2938"),
        SAFE_SINGLETON_FACTORY,
        SALT_ZERO,
        hex_file!("Safe_v130.initcode.hex"),
    ),
    create2(
        "SafeL2_v130",
        SAFE_L2_V130,
        SAFE_SINGLETON_FACTORY,
        SALT_ZERO,
        hex_file!("SafeL2_v130.initcode.hex"),
    ),
    create2(
        "MultiSend_v130",
        address!("0x998739BFdAAdde7C933B942a68053933098f9EDa"),
        SAFE_SINGLETON_FACTORY,
        SALT_ZERO,
        hex_file!("MultiSend_v130.initcode.hex"),
    ),
    create2(
        "MultiSendCallOnly_v130",
        address!("0xA1dabEF33b3B82c7814B6D82A79e50F4AC44102B"),
        SAFE_SINGLETON_FACTORY,
        SALT_ZERO,
        hex_file!("MultiSendCallOnly_v130.initcode.hex"),
    ),
    create2(
        "SafeProxyFactory_v130",
        SAFE_PROXY_FACTORY_V130,
        SAFE_SINGLETON_FACTORY,
        SALT_ZERO,
        hex_file!("GnosisSafeProxyFactory_v130.initcode.hex"),
    ),
    create2(
        "EntryPoint_v060",
        ENTRY_POINT_V06,
        DETERMINISTIC_DEPLOYMENT_PROXY,
        SALT_ZERO,
        hex_file!("EntryPoint_v060.initcode.hex"),
    ),
    create2(
        "EntryPoint_v070",
        ENTRY_POINT_V07,
        DETERMINISTIC_DEPLOYMENT_PROXY,
        b256!("0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3"),
        hex_file!("EntryPoint_v070.initcode.hex"),
    ),
    create2(
        "EntryPoint_v080",
        ENTRY_POINT_V08,
        DETERMINISTIC_DEPLOYMENT_PROXY,
        b256!("0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9"),
        hex_file!("EntryPoint_v080.initcode.hex"),
    ),
    create2(
        "Permit2",
        address!("0x000000000022D473030F116dDEE9F6B43aC78BA3"),
        DETERMINISTIC_DEPLOYMENT_PROXY,
        b256!("0x0000000000000000000000000000000000000000d3af2663da51c10215000000"),
        hex_file!("Permit2.initcode.hex"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn every_preinstall_decodes_and_has_a_distinct_address() {
        let mut seen = std::collections::HashSet::new();
        for p in PREINSTALLS {
            assert!(seen.insert(p.address), "{} listed twice", p.name);
            let code = match p.code {
                PreinstallCode::Runtime(h) => h,
                PreinstallCode::Create2 { initcode, .. } => initcode,
            };
            let bytes = hex::decode(code.trim()).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert!(!bytes.is_empty(), "{} has no code", p.name);
        }
    }

    #[test]
    fn create2_preinstalls_land_at_their_canonical_addresses() {
        for p in PREINSTALLS {
            if let PreinstallCode::Create2 {
                factory,
                salt,
                initcode,
            } = p.code
            {
                let code = hex::decode(initcode.trim()).expect("hex");
                assert_eq!(
                    factory.create2_from_code(salt, code),
                    p.address,
                    "{} initcode or salt is not the canonical one",
                    p.name
                );
            }
        }
    }
}
