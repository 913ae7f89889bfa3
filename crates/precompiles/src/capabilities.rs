//! Capabilities: an agent's owner lets another address act for the agent within a scope, until
//! an expiry, up to a spend limit, without handing over the owner key.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};

use crate::{
    CAPABILITIES, Ctx, Halt,
    abi::IAgentCapabilities::{self, IAgentCapabilitiesCalls as C},
    ctx::{address_word, word_address},
    identity,
    layout::capabilities as l,
    revert,
};

const REG: Address = CAPABILITIES;

/// The id of the capability of `grantee` over `agent` in `scope`.
pub fn capability_id(agent: U256, grantee: Address, scope: B256) -> B256 {
    keccak256((agent, grantee, scope).abi_encode())
}

#[derive(Debug, Default, Clone, Copy)]
struct Grant {
    grantor: Address,
    revoked: bool,
    expiry: u64,
}

fn load(ctx: &mut Ctx<'_>, id: B256) -> Result<Grant, Halt> {
    let w = ctx.read(REG, l::grant(id))?;
    Ok(Grant {
        grantor: word_address(w),
        revoked: w.bit(160),
        expiry: ((w >> 168usize) & U256::from(u64::MAX)).to::<u64>(),
    })
}

fn store(ctx: &mut Ctx<'_>, id: B256, g: Grant) -> Result<(), Halt> {
    let mut w = address_word(g.grantor);
    if g.revoked {
        w.set_bit(160, true);
    }
    w |= U256::from(g.expiry) << 168usize;
    ctx.write(REG, l::grant(id), w)
}

/// Whether a capability is usable for `amount` now: granted, not revoked, not expired, within
/// its limit, and its grantor still controls the agent (a transfer voids old grants).
fn usable(
    ctx: &mut Ctx<'_>,
    agent: U256,
    id: B256,
    amount: U256,
) -> Result<Result<U256, &'static str>, Halt> {
    let g = load(ctx, id)?;
    if g.grantor.is_zero() {
        return Ok(Err("no such capability"));
    }
    if g.revoked {
        return Ok(Err("capability revoked"));
    }
    if ctx.block.timestamp >= g.expiry {
        return Ok(Err("capability expired"));
    }
    if identity::owner_raw(ctx, agent)?.is_zero()
        || !identity::is_authorized_or_owner(ctx, g.grantor, agent)?
    {
        return Ok(Err("grantor no longer controls the agent"));
    }
    let limit = ctx.read(REG, l::limit(id))?;
    let spent = ctx.read(REG, l::spent(id))?;
    match spent.checked_add(amount) {
        Some(total) if total <= limit => Ok(Ok(total)),
        _ => Ok(Err("spend limit exceeded")),
    }
}

/// Handles one call.
pub fn call(ctx: &mut Ctx<'_>, input: &[u8]) -> Result<Vec<u8>, Halt> {
    let decoded = crate::decode::<C>(input)?;
    ctx.non_payable()?;
    let sender = ctx.caller;
    match decoded {
        C::grant(c) => {
            ctx.mutating()?;
            if !identity::is_authorized_or_owner(ctx, sender, c.agentId)? {
                return Err(revert("Not authorized"));
            }
            if c.grantee.is_zero() {
                return Err(revert("bad grantee"));
            }
            if c.expiry <= ctx.block.timestamp {
                return Err(revert("expiry in the past"));
            }
            let id = capability_id(c.agentId, c.grantee, c.scope);
            store(
                ctx,
                id,
                Grant {
                    grantor: sender,
                    revoked: false,
                    expiry: c.expiry,
                },
            )?;
            ctx.write(REG, l::limit(id), c.spendLimit)?;
            ctx.write(REG, l::spent(id), U256::ZERO)?;
            ctx.emit_event(
                REG,
                &IAgentCapabilities::CapabilityGranted {
                    capabilityId: id,
                    agentId: c.agentId,
                    grantee: c.grantee,
                    scope: c.scope,
                    spendLimit: c.spendLimit,
                    expiry: c.expiry,
                },
            )?;
            Ok(id.abi_encode())
        }
        C::revoke(c) => {
            ctx.mutating()?;
            if !identity::is_authorized_or_owner(ctx, sender, c.agentId)? {
                return Err(revert("Not authorized"));
            }
            let id = capability_id(c.agentId, c.grantee, c.scope);
            let mut g = load(ctx, id)?;
            if g.grantor.is_zero() {
                return Err(revert("no such capability"));
            }
            if g.revoked {
                return Err(revert("capability revoked"));
            }
            g.revoked = true;
            store(ctx, id, g)?;
            ctx.emit_event(
                REG,
                &IAgentCapabilities::CapabilityRevoked {
                    capabilityId: id,
                    agentId: c.agentId,
                    grantee: c.grantee,
                },
            )?;
            Ok(Vec::new())
        }
        C::check(c) => {
            let id = capability_id(c.agentId, c.grantee, c.scope);
            Ok(usable(ctx, c.agentId, id, c.amount)?.is_ok().abi_encode())
        }
        C::consume(c) => {
            ctx.mutating()?;
            let id = capability_id(c.agentId, sender, c.scope);
            let spent = usable(ctx, c.agentId, id, c.amount)?.map_err(revert)?;
            ctx.write(REG, l::spent(id), spent)?;
            let limit = ctx.read(REG, l::limit(id))?;
            ctx.emit_event(
                REG,
                &IAgentCapabilities::CapabilityConsumed {
                    capabilityId: id,
                    agentId: c.agentId,
                    grantee: sender,
                    amount: c.amount,
                    spent,
                },
            )?;
            Ok((limit - spent).abi_encode())
        }
        C::getCapability(c) => {
            let id = capability_id(c.agentId, c.grantee, c.scope);
            let g = load(ctx, id)?;
            let cap = IAgentCapabilities::Capability {
                agentId: c.agentId,
                grantee: c.grantee,
                scope: c.scope,
                grantor: g.grantor,
                spendLimit: ctx.read(REG, l::limit(id))?,
                spent: ctx.read(REG, l::spent(id))?,
                expiry: g.expiry,
                revoked: g.revoked,
            };
            Ok(IAgentCapabilities::getCapabilityCall::abi_encode_returns(
                &cap,
            ))
        }
        C::capabilityId(c) => Ok(capability_id(c.agentId, c.grantee, c.scope).abi_encode()),
    }
}
