//! Sessions: the context of a run of calls from a client to a provider agent, with an escrowed
//! budget. Layer Top channels settle into a session: the provider records what was spent, and
//! closing pays it out.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolValue};

use crate::{
    Ctx, Halt, SESSIONS,
    abi::IAgentSessions::{self, IAgentSessionsCalls as C},
    ctx::{address_word, word_address},
    identity,
    layout::sessions as l,
    revert,
};

const REG: Address = SESSIONS;

/// A session as stored.
#[derive(Debug, Default, Clone)]
pub struct Session {
    /// Client address (the one that escrowed the budget).
    pub client: Address,
    /// Whether the client named an agent of its own.
    pub has_client_agent: bool,
    /// Closed sessions take no more invocations.
    pub closed: bool,
    /// Unix time after which anyone may close the session.
    pub expiry: u64,
    /// Client agent id (0 unless `has_client_agent`).
    pub client_agent: U256,
    /// Provider agent id.
    pub provider_agent: U256,
    /// Escrowed budget.
    pub budget: U256,
    /// Spent so far.
    pub spent: U256,
    /// Settlement nonce.
    pub nonce: u64,
    /// Invocations recorded.
    pub call_count: u64,
}

/// Loads session `id`; `None` when it was never opened.
pub fn load(ctx: &mut Ctx<'_>, id: U256) -> Result<Option<Session>, Halt> {
    let parties = ctx.read(REG, l::field(l::PARTIES, id))?;
    if parties.is_zero() {
        return Ok(None);
    }
    let counters = ctx.read(REG, l::field(l::COUNTERS, id))?;
    Ok(Some(Session {
        client: word_address(parties),
        has_client_agent: parties.bit(160),
        closed: parties.bit(161),
        expiry: ((parties >> 168usize) & U256::from(u64::MAX)).to::<u64>(),
        client_agent: ctx.read(REG, l::field(l::CLIENT_AGENT, id))?,
        provider_agent: ctx.read(REG, l::field(l::PROVIDER_AGENT, id))?,
        budget: ctx.read(REG, l::field(l::BUDGET, id))?,
        spent: ctx.read(REG, l::field(l::SPENT, id))?,
        nonce: (counters & U256::from(u64::MAX)).to::<u64>(),
        call_count: ((counters >> 64usize) & U256::from(u64::MAX)).to::<u64>(),
    }))
}

fn parties_word(s: &Session) -> U256 {
    let mut w = address_word(s.client);
    if s.has_client_agent {
        w.set_bit(160, true);
    }
    if s.closed {
        w.set_bit(161, true);
    }
    w | (U256::from(s.expiry) << 168usize)
}

fn open(
    ctx: &mut Ctx<'_>,
    client_agent: Option<U256>,
    provider_agent: U256,
    budget: U256,
    expiry: u64,
) -> Result<Vec<u8>, Halt> {
    if ctx.is_static {
        return Err(revert("state change in a static call"));
    }
    if ctx.value != budget {
        return Err(revert("msg.value must equal the budget"));
    }
    if expiry <= ctx.block.timestamp {
        return Err(revert("expiry in the past"));
    }
    let sender = ctx.caller;
    identity::owner_of(ctx, provider_agent)?;
    if let Some(agent) = client_agent
        && !identity::is_authorized_or_owner(ctx, sender, agent)?
    {
        return Err(revert("Not authorized"));
    }
    let id = ctx.read(REG, l::last_id())? + U256::from(1);
    ctx.write(REG, l::last_id(), id)?;
    let s = Session {
        client: sender,
        has_client_agent: client_agent.is_some(),
        expiry,
        client_agent: client_agent.unwrap_or_default(),
        provider_agent,
        budget,
        ..Default::default()
    };
    ctx.write(REG, l::field(l::PARTIES, id), parties_word(&s))?;
    if let Some(agent) = client_agent {
        ctx.write(REG, l::field(l::CLIENT_AGENT, id), agent)?;
    }
    ctx.write(REG, l::field(l::PROVIDER_AGENT, id), provider_agent)?;
    ctx.write(REG, l::field(l::BUDGET, id), budget)?;
    ctx.emit_event(
        REG,
        &IAgentSessions::SessionOpened {
            sessionId: id,
            providerAgentId: provider_agent,
            client: sender,
            clientAgentId: s.client_agent,
            budget,
            expiry,
        },
    )?;
    Ok(id.abi_encode())
}

/// The address a provider agent is paid at: its wallet, or its owner when none is set.
fn payee(ctx: &mut Ctx<'_>, agent: U256) -> Result<Address, Halt> {
    match identity::agent_wallet(ctx, agent)? {
        Some(w) => Ok(w),
        None => identity::owner_of(ctx, agent),
    }
}

/// Handles one call.
pub fn call(ctx: &mut Ctx<'_>, input: &[u8]) -> Result<Vec<u8>, Halt> {
    let decoded = crate::decode::<C>(input)?;
    let sender = ctx.caller;
    match decoded {
        C::openSession_0(c) => open(ctx, None, c.counterpartyAgentId, c.budget, c.expiry),
        C::openSession_1(c) => open(
            ctx,
            Some(c.clientAgentId),
            c.counterpartyAgentId,
            c.budget,
            c.expiry,
        ),
        C::recordInvocation(c) => {
            ctx.mutating()?;
            let Some(mut s) = load(ctx, c.sessionId)? else {
                return Err(revert("unknown session"));
            };
            if s.closed {
                return Err(revert("session closed"));
            }
            if ctx.block.timestamp >= s.expiry {
                return Err(revert("session expired"));
            }
            let provider_ok = identity::is_authorized_or_owner(ctx, sender, s.provider_agent)?
                || identity::agent_wallet(ctx, s.provider_agent)? == Some(sender);
            if !provider_ok {
                return Err(revert("only the provider agent records invocations"));
            }
            let spent = s.spent.checked_add(c.amount).filter(|t| *t <= s.budget);
            let Some(spent) = spent else {
                return Err(revert("budget exceeded"));
            };
            s.spent = spent;
            s.nonce += 1;
            s.call_count += 1;
            ctx.write(REG, l::field(l::SPENT, c.sessionId), spent)?;
            ctx.write(
                REG,
                l::field(l::COUNTERS, c.sessionId),
                U256::from(s.nonce) | (U256::from(s.call_count) << 64usize),
            )?;
            ctx.emit_event(
                REG,
                &IAgentSessions::InvocationRecorded {
                    sessionId: c.sessionId,
                    nonce: s.nonce,
                    requestHash: c.requestHash,
                    responseHash: c.responseHash,
                    amount: c.amount,
                    spent,
                },
            )?;
            Ok(s.nonce.abi_encode())
        }
        C::closeSession(c) => {
            ctx.mutating()?;
            let Some(mut s) = load(ctx, c.sessionId)? else {
                return Err(revert("unknown session"));
            };
            if s.closed {
                return Err(revert("session closed"));
            }
            let is_party = sender == s.client
                || identity::is_authorized_or_owner(ctx, sender, s.provider_agent)?;
            if !is_party && ctx.block.timestamp < s.expiry {
                return Err(revert("only a party may close before expiry"));
            }
            s.closed = true;
            ctx.write(REG, l::field(l::PARTIES, c.sessionId), parties_word(&s))?;
            let refund = s.budget - s.spent;
            let to = payee(ctx, s.provider_agent)?;
            ctx.pay(REG, to, s.spent)?;
            ctx.pay(REG, s.client, refund)?;
            ctx.emit_event(
                REG,
                &IAgentSessions::SessionClosed {
                    sessionId: c.sessionId,
                    callCount: s.call_count,
                    spent: s.spent,
                    refunded: refund,
                },
            )?;
            Ok(Vec::new())
        }
        C::getSession(c) => {
            ctx.non_payable()?;
            // As agent_getSession answers: an id never opened does not exist.
            let Some(s) = load(ctx, c.sessionId)? else {
                return Err(revert("unknown session"));
            };
            Ok(IAgentSessions::getSessionCall::abi_encode_returns(
                &IAgentSessions::Session {
                    clientAgentId: s.client_agent,
                    providerAgentId: s.provider_agent,
                    client: s.client,
                    budget: s.budget,
                    spent: s.spent,
                    expiry: s.expiry,
                    nonce: s.nonce,
                    callCount: s.call_count,
                    hasClientAgent: s.has_client_agent,
                    closed: s.closed,
                },
            ))
        }
    }
}
