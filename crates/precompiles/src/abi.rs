//! Typed bindings of every registry, generated from the Solidity interfaces in
//! `contracts/src/interfaces/` so the node, the tests and dApps share one ABI.

#![allow(missing_docs, clippy::too_many_arguments)]

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/src/interfaces/IIdentityRegistry.sol"
);
alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/src/interfaces/IReputationRegistry.sol"
);
alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/src/interfaces/IValidationRegistry.sol"
);
alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/src/interfaces/IAgentCapabilities.sol"
);
alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/src/interfaces/IAgentSessions.sol"
);

alloy_sol_types::sol! {
    /// Calls only the identity front may make into the identity core.
    interface IIdentityCoreInternal {
        /// Raised by the core when the ECDSA check of `setAgentWallet` fails, so the front can
        /// try ERC-1271 against `digest`.
        error WalletSignatureNeedsContractCheck(bytes32 digest);
        /// Sets the wallet after the front verified an ERC-1271 signature.
        function setAgentWalletVerified(uint256 agentId, address newWallet, uint256 deadline) external;
    }
}
