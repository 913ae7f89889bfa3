//! Agent-native precompiles: the ERC-8004 identity, reputation and validation registries, plus
//! capabilities and sessions, run as native code over ordinary world state.
//!
//! Owns the registries' semantics, their storage layout (`layout`), their gas schedule (`gas`)
//! and the revm [`AgentPrecompiles`] provider that plugs them into the EVM. State lives in the
//! storage of reserved accounts, so the state root, `eth_getProof` and fraud proofs cover it
//! with no special case. It must not open databases, build blocks or speak RPC.

pub mod abi;
mod access;
mod capabilities;
mod ctx;
pub mod gas;
mod identity;
pub mod layout;
mod provider;
mod reputation;
mod sessions;
mod validation;

pub use access::{AccessKey, AccessSet, Preimage, declared_access};
pub use capabilities::capability_id;
pub use ctx::{BlockFacts, CallResult, Ctx, Halt, StateAccess, StateAccessError, revert};
pub use identity::{AGENT_WALLET_KEY, wallet_digest};
pub use provider::AgentPrecompiles;
pub use reputation::Feedback;
pub use sessions::Session;

use alloy_primitives::{Address, U256, address, hex};
use alloy_sol_types::SolInterface;

/// ERC-8004 identity registry: the predeployed front contract, whose account holds the state.
pub const IDENTITY_REGISTRY: Address = address!("0x8004A169FB4a3325136EB29fA0ceB6D2e539a432");
/// ERC-8004 reputation registry (native).
pub const REPUTATION_REGISTRY: Address = address!("0x8004BAa17C55a88189AE136b182e5fdA19dE9b63");
/// ERC-8004 validation registry (native).
pub const VALIDATION_REGISTRY: Address = address!("0x8004Cc8439f36fd5F9F049D9fF86523Df6dAAB58");
/// Native core of the identity registry; only the front may call it.
pub const IDENTITY_CORE: Address = address!("0x00000000000000000000000000000000000A9E01");
/// Capabilities (native).
pub const CAPABILITIES: Address = address!("0x00000000000000000000000000000000000A9E02");
/// Sessions (native).
pub const SESSIONS: Address = address!("0x00000000000000000000000000000000000A9E03");

/// Addresses that run native code.
pub const NATIVE_ADDRESSES: [Address; 5] = [
    IDENTITY_CORE,
    REPUTATION_REGISTRY,
    VALIDATION_REGISTRY,
    CAPABILITIES,
    SESSIONS,
];

/// Accounts whose storage holds registry state (they carry a one-byte `0xfe` marker code in
/// genesis, except the identity front which carries its real code, so EIP-161 never deletes
/// them).
pub const STATE_ACCOUNTS: [Address; 5] = [
    IDENTITY_REGISTRY,
    REPUTATION_REGISTRY,
    VALIDATION_REGISTRY,
    CAPABILITIES,
    SESSIONS,
];

/// Longest string or bytes value a registry stores or emits.
pub const MAX_BYTES: usize = 8 * 1024;

/// Whether `address` runs native registry code.
pub fn is_native(address: &Address) -> bool {
    NATIVE_ADDRESSES.contains(address)
}

/// A short name of the registry at `address`, for metrics and logs.
pub fn registry_name(address: &Address) -> &'static str {
    match *address {
        IDENTITY_CORE | IDENTITY_REGISTRY => "identity",
        REPUTATION_REGISTRY => "reputation",
        VALIDATION_REGISTRY => "validation",
        CAPABILITIES => "capabilities",
        SESSIONS => "sessions",
        _ => "other",
    }
}

/// Runs the registry at `address`.
pub fn dispatch(address: Address, ctx: &mut Ctx<'_>, input: &[u8]) -> CallResult {
    match address {
        IDENTITY_CORE => identity::call(ctx, input),
        REPUTATION_REGISTRY => reputation::call(ctx, input),
        VALIDATION_REGISTRY => validation::call(ctx, input),
        CAPABILITIES => capabilities::call(ctx, input),
        SESSIONS => sessions::call(ctx, input),
        _ => Err(revert("not a native registry")),
    }
}

/// Decodes calldata strictly, with a reason for each way it can be wrong.
fn decode<C: SolInterface>(data: &[u8]) -> Result<C, Halt> {
    let Some(selector) = data.get(..4) else {
        return Err(revert("calldata too short for a function selector"));
    };
    let selector: [u8; 4] = selector.try_into().unwrap_or_default();
    if !C::valid_selector(selector) {
        return Err(revert(format!(
            "unknown function selector 0x{}",
            hex::encode(selector)
        )));
    }
    C::abi_decode_validate(data).map_err(|e| {
        revert(format!(
            "malformed calldata for selector 0x{}: {e}",
            hex::encode(selector)
        ))
    })
}

/// Reads an agent as `agent_getAgent` reports it.
pub fn read_agent(ctx: &mut Ctx<'_>, agent: U256) -> Result<Option<AgentView>, Halt> {
    let owner = identity::owner_raw(ctx, agent)?;
    if owner.is_zero() {
        return Ok(None);
    }
    let uri = ctx.read_bytes(IDENTITY_REGISTRY, layout::identity::uri(agent))?;
    let wallet = identity::agent_wallet(ctx, agent)?;
    let metadata_keys = identity::metadata_keys(ctx, agent)?;
    let clients = reputation::clients(ctx, agent)?;
    let (count, value, decimals) = if clients.is_empty() {
        (0, 0, 0)
    } else {
        reputation::summary(ctx, agent, &clients, "", "")?
    };
    Ok(Some(AgentView {
        owner,
        uri: String::from_utf8_lossy(&uri).into_owned(),
        wallet,
        metadata_keys,
        feedback_count: count,
        reputation_value: value,
        reputation_decimals: decimals,
        clients: clients.len() as u64,
    }))
}

/// Reads a session for `agent_getSession`.
pub fn read_session(ctx: &mut Ctx<'_>, id: U256) -> Result<Option<Session>, Halt> {
    sessions::load(ctx, id)
}

/// An agent as the `agent_` RPC namespace reports it.
#[derive(Debug, Clone)]
pub struct AgentView {
    /// Owner.
    pub owner: Address,
    /// Agent URI.
    pub uri: String,
    /// Agent wallet, when set.
    pub wallet: Option<Address>,
    /// Metadata keys ever set (the reserved wallet key excluded).
    pub metadata_keys: Vec<String>,
    /// Non-revoked feedback entries across all clients.
    pub feedback_count: u64,
    /// Average feedback value (in `reputation_decimals`).
    pub reputation_value: i128,
    /// Decimals of `reputation_value`.
    pub reputation_decimals: u8,
    /// Distinct clients that gave feedback.
    pub clients: u64,
}
