//! The `agent_` namespace: the agent registries' protocol objects read straight from state, so
//! explorers and SDKs need no log indexing for the common lookups.

use agnt2_precompiles::{
    BlockFacts, Ctx, Halt, StateAccess, StateAccessError, read_agent, read_session,
};
use agnt2_storage::StateProvider;
use alloy::eips::BlockId;
use alloy_primitives::{Address, Log, U256};
use jsonrpsee::{RpcModule, core::RpcResult};
use serde_json::{Value, json};

use crate::{
    RpcContext,
    errors::{internal, server_error},
};

/// Read-only [`StateAccess`] over a state provider.
struct ReadOnly<'a>(&'a dyn StateProvider);

impl StateAccess for ReadOnly<'_> {
    fn sload(&mut self, address: Address, slot: U256) -> Result<(U256, bool), StateAccessError> {
        self.0
            .storage(&address, &slot)
            .map(|v| (v, true))
            .map_err(|e| StateAccessError::Backend(Box::new(e)))
    }

    fn sstore(&mut self, _: Address, _: U256, _: U256) -> Result<(U256, bool), StateAccessError> {
        Err(StateAccessError::ReadOnly)
    }

    fn log(&mut self, _: Log) {}

    fn transfer(&mut self, _: Address, _: Address, _: U256) -> Result<bool, StateAccessError> {
        Err(StateAccessError::ReadOnly)
    }
}

/// Runs `f` over the state at `block` with an unmetered read-only context.
fn with_state<T>(
    c: &RpcContext,
    block: Option<BlockId>,
    f: impl FnOnce(&mut Ctx<'_>) -> Result<T, Halt>,
) -> RpcResult<T> {
    let state = c.state(block)?;
    let mut access = ReadOnly(&*state);
    let facts = BlockFacts {
        timestamp: 0,
        chain_id: c.spec.chain_id,
    };
    let mut ctx = Ctx::new(
        &mut access,
        Address::ZERO,
        U256::ZERO,
        true,
        facts,
        u64::MAX,
    );
    f(&mut ctx).map_err(|h| match h {
        Halt::Fatal(e) => internal(e),
        other => internal(format!("{other:?}")),
    })
}

/// Registers the `agent_` methods.
pub(crate) fn register(m: &mut RpcModule<RpcContext>) {
    m.register_blocking_method::<RpcResult<Value>, _>("agent_getAgent", |p, c, _| {
        let mut s = p.sequence();
        let id: U256 = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let agent = with_state(&c, block, |ctx| read_agent(ctx, id))?
            .ok_or_else(|| server_error(format!("agent {id} does not exist")))?;
        Ok(json!({
            "agentId": id,
            "owner": agent.owner,
            "agentURI": agent.uri,
            "agentWallet": agent.wallet,
            "metadataKeys": agent.metadata_keys,
            "reputation": {
                "clients": agent.clients,
                "count": agent.feedback_count,
                "summaryValue": agent.reputation_value.to_string(),
                "summaryValueDecimals": agent.reputation_decimals,
            },
        }))
    })
    .unwrap_or_else(|e| panic!("registering agent_getAgent: {e}"));
    m.register_blocking_method::<RpcResult<Value>, _>("agent_getSession", |p, c, _| {
        let mut s = p.sequence();
        let id: U256 = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let session = with_state(&c, block, |ctx| read_session(ctx, id))?
            .ok_or_else(|| server_error(format!("session {id} does not exist")))?;
        Ok(json!({
            "sessionId": id,
            "client": session.client,
            "clientAgentId": session.has_client_agent.then_some(session.client_agent),
            "providerAgentId": session.provider_agent,
            "budget": session.budget,
            "spent": session.spent,
            "expiry": session.expiry,
            "nonce": session.nonce,
            "callCount": session.call_count,
            "closed": session.closed,
        }))
    })
    .unwrap_or_else(|e| panic!("registering agent_getSession: {e}"));
}
