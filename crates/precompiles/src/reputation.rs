//! The ERC-8004 reputation registry (v2.0.0): signed fixed-point feedback per (agent, client),
//! revocation, responses and the filtered summary.

use alloy_primitives::{Address, I256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};

use crate::{
    Ctx, Halt, REPUTATION_REGISTRY,
    abi::IReputationRegistry::{self, IReputationRegistryCalls as C},
    ctx::{address_word, check_len, word_address},
    identity,
    layout::reputation as l,
    revert,
};

const REG: Address = REPUTATION_REGISTRY;
/// Largest absolute feedback value (`1e38`).
const MAX_ABS_VALUE: i128 = 100_000_000_000_000_000_000_000_000_000_000_000_000;
/// Entries a view will walk before giving up (bounded like any EVM loop is by gas).
const MAX_SCAN: u64 = 100_000;

/// One stored feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// Signed value.
    pub value: i128,
    /// Decimals of `value`.
    pub decimals: u8,
    /// Revoked by its client.
    pub revoked: bool,
    /// First tag.
    pub tag1: String,
    /// Second tag.
    pub tag2: String,
}

fn pack(value: i128, decimals: u8, revoked: bool) -> U256 {
    let mut w = U256::from(value as u128);
    w |= U256::from(decimals) << 128usize;
    if revoked {
        w.set_bit(136, true);
    }
    w
}

fn unpack(word: U256) -> (i128, u8, bool) {
    let value = (word & U256::from(u128::MAX)).to::<u128>() as i128;
    let decimals = ((word >> 128usize) & U256::from(0xffu8)).to::<u8>();
    (value, decimals, word.bit(136))
}

fn encode_tags(tag1: &str, tag2: &str) -> Result<Vec<u8>, Halt> {
    let len1 = u16::try_from(tag1.len()).map_err(|_| revert("tag too long"))?;
    let mut out = Vec::with_capacity(2 + tag1.len() + tag2.len());
    out.extend_from_slice(&len1.to_be_bytes());
    out.extend_from_slice(tag1.as_bytes());
    out.extend_from_slice(tag2.as_bytes());
    Ok(out)
}

fn decode_tags(raw: &[u8]) -> (String, String) {
    if raw.len() < 2 {
        return (String::new(), String::new());
    }
    let len1 = (u16::from_be_bytes([raw[0], raw[1]]) as usize).min(raw.len() - 2);
    let tag1 = String::from_utf8_lossy(&raw[2..2 + len1]).into_owned();
    let tag2 = String::from_utf8_lossy(&raw[2 + len1..]).into_owned();
    (tag1, tag2)
}

/// Reads one feedback entry (no bounds check).
pub fn read_entry(
    ctx: &mut Ctx<'_>,
    agent: U256,
    client: Address,
    index: u64,
) -> Result<Feedback, Halt> {
    let (value, decimals, revoked) = unpack(ctx.read(REG, l::feedback(agent, client, index))?);
    let (tag1, tag2) = decode_tags(&ctx.read_bytes(REG, l::tags(agent, client, index))?);
    Ok(Feedback {
        value,
        decimals,
        revoked,
        tag1,
        tag2,
    })
}

fn last_index(ctx: &mut Ctx<'_>, agent: U256, client: Address) -> Result<u64, Halt> {
    Ok(ctx.read(REG, l::last_index(agent, client))?.saturating_to())
}

/// The clients of `agent`, in first-feedback order.
pub fn clients(ctx: &mut Ctx<'_>, agent: U256) -> Result<Vec<Address>, Halt> {
    let n: u64 = ctx.read(REG, l::clients(agent))?.saturating_to();
    (0..n.min(MAX_SCAN))
        .map(|i| ctx.read_address(REG, l::client(agent, i)))
        .collect()
}

/// Whether `tag` passes the filter: the standard compares the hashes, which equal exactly when
/// the strings do, so the bytes are compared instead (a length mismatch costs nothing, a match
/// at most the stored tag's length, already paid for by reading it).
fn tag_matches(filter: &str, tag: &str) -> bool {
    filter.is_empty() || filter == tag
}

/// The summary `getSummary` returns: count, average scaled to the most common decimals, decimals.
pub fn summary(
    ctx: &mut Ctx<'_>,
    agent: U256,
    clients: &[Address],
    tag1: &str,
    tag2: &str,
) -> Result<(u64, i128, u8), Halt> {
    let mut sum = I256::ZERO;
    let mut count: u64 = 0;
    let mut decimal_counts = [0u64; 19];
    let scales: [I256; 19] = std::array::from_fn(|d| I256::exp10(18 - d));
    for client in clients {
        let last = last_index(ctx, agent, *client)?;
        for j in 1..=last.min(MAX_SCAN) {
            let (value, decimals, revoked) = unpack(ctx.read(REG, l::feedback(agent, *client, j))?);
            if revoked {
                continue;
            }
            if !tag1.is_empty() || !tag2.is_empty() {
                let (t1, t2) = decode_tags(&ctx.read_bytes(REG, l::tags(agent, *client, j))?);
                if !tag_matches(tag1, &t1) || !tag_matches(tag2, &t2) {
                    continue;
                }
            }
            let d = decimals.min(18);
            sum = sum.saturating_add(
                I256::try_from(value)
                    .unwrap_or_default()
                    .saturating_mul(scales[d as usize]),
            );
            decimal_counts[d as usize] += 1;
            count += 1;
        }
    }
    if count == 0 {
        return Ok((0, 0, 0));
    }
    let mut mode = 0usize;
    for d in 1..decimal_counts.len() {
        if decimal_counts[d] > decimal_counts[mode] {
            mode = d;
        }
    }
    // Signed division truncates toward zero, as Solidity's does.
    let avg = sum / I256::try_from(count).unwrap_or(I256::ONE);
    let scaled = avg / I256::exp10(18 - mode);
    // Solidity's int128(int256) keeps the low 128 bits.
    let value = (scaled.into_raw() & U256::from(u128::MAX)).to::<u128>() as i128;
    Ok((count, value, mode as u8))
}

/// Handles one call.
pub fn call(ctx: &mut Ctx<'_>, input: &[u8]) -> Result<Vec<u8>, Halt> {
    let decoded = crate::decode::<C>(input)?;
    ctx.non_payable()?;
    let sender = ctx.caller;
    match decoded {
        C::getIdentityRegistry(_) => Ok(crate::IDENTITY_REGISTRY.abi_encode()),
        C::getVersion(_) => Ok("2.0.0".to_string().abi_encode()),
        C::giveFeedback(c) => {
            ctx.mutating()?;
            if c.valueDecimals > 18 {
                return Err(revert("too many decimals"));
            }
            if !(-MAX_ABS_VALUE..=MAX_ABS_VALUE).contains(&c.value) {
                return Err(revert("value too large"));
            }
            if identity::is_authorized_or_owner(ctx, sender, c.agentId)? {
                return Err(revert("Self-feedback not allowed"));
            }
            let agent = c.agentId;
            let index = last_index(ctx, agent, sender)? + 1;
            ctx.write(REG, l::last_index(agent, sender), U256::from(index))?;
            ctx.write(
                REG,
                l::feedback(agent, sender, index),
                pack(c.value, c.valueDecimals, false),
            )?;
            if !c.tag1.is_empty() || !c.tag2.is_empty() {
                let tags = encode_tags(&c.tag1, &c.tag2)?;
                ctx.write_bytes(REG, l::tags(agent, sender, index), &tags)?;
            }
            if index == 1 {
                let n: u64 = ctx.read(REG, l::clients(agent))?.saturating_to();
                ctx.write(REG, l::client(agent, n), address_word(sender))?;
                ctx.write(REG, l::clients(agent), U256::from(n + 1))?;
            }
            check_len(&c.endpoint)?;
            check_len(&c.feedbackURI)?;
            ctx.emit_event(
                REG,
                &IReputationRegistry::NewFeedback {
                    agentId: agent,
                    clientAddress: sender,
                    feedbackIndex: index,
                    value: c.value,
                    valueDecimals: c.valueDecimals,
                    indexedTag1: keccak256(c.tag1.as_bytes()),
                    tag1: c.tag1,
                    tag2: c.tag2,
                    endpoint: c.endpoint,
                    feedbackURI: c.feedbackURI,
                    feedbackHash: c.feedbackHash,
                },
            )?;
            Ok(Vec::new())
        }
        C::revokeFeedback(c) => {
            ctx.mutating()?;
            if c.feedbackIndex == 0 {
                return Err(revert("index must be > 0"));
            }
            if c.feedbackIndex > last_index(ctx, c.agentId, sender)? {
                return Err(revert("index out of bounds"));
            }
            let slot = l::feedback(c.agentId, sender, c.feedbackIndex);
            let (value, decimals, revoked) = unpack(ctx.read(REG, &slot)?);
            if revoked {
                return Err(revert("Already revoked"));
            }
            ctx.write(REG, slot, pack(value, decimals, true))?;
            ctx.emit_event(
                REG,
                &IReputationRegistry::FeedbackRevoked {
                    agentId: c.agentId,
                    clientAddress: sender,
                    feedbackIndex: c.feedbackIndex,
                },
            )?;
            Ok(Vec::new())
        }
        C::appendResponse(c) => {
            ctx.mutating()?;
            if c.feedbackIndex == 0 {
                return Err(revert("index must be > 0"));
            }
            if c.responseURI.is_empty() {
                return Err(revert("Empty URI"));
            }
            if c.feedbackIndex > last_index(ctx, c.agentId, c.clientAddress)? {
                return Err(revert("index out of bounds"));
            }
            check_len(&c.responseURI)?;
            let (agent, client, index) = (c.agentId, c.clientAddress, c.feedbackIndex);
            let count_slot = l::response_count(agent, client, index, sender);
            let count = ctx.read(REG, &count_slot)?;
            if count.is_zero() {
                let n: u64 = ctx
                    .read(REG, l::responders(agent, client, index))?
                    .saturating_to();
                ctx.write(
                    REG,
                    l::responder(agent, client, index, n),
                    address_word(sender),
                )?;
                ctx.write(REG, l::responders(agent, client, index), U256::from(n + 1))?;
            }
            ctx.write(REG, count_slot, count + U256::from(1))?;
            ctx.emit_event(
                REG,
                &IReputationRegistry::ResponseAppended {
                    agentId: agent,
                    clientAddress: client,
                    feedbackIndex: index,
                    responder: sender,
                    responseURI: c.responseURI,
                    responseHash: c.responseHash,
                },
            )?;
            Ok(Vec::new())
        }
        C::getLastIndex(c) => Ok(last_index(ctx, c.agentId, c.clientAddress)?.abi_encode()),
        C::readFeedback(c) => {
            if c.feedbackIndex == 0 {
                return Err(revert("index must be > 0"));
            }
            if c.feedbackIndex > last_index(ctx, c.agentId, c.clientAddress)? {
                return Err(revert("index out of bounds"));
            }
            let f = read_entry(ctx, c.agentId, c.clientAddress, c.feedbackIndex)?;
            Ok(IReputationRegistry::readFeedbackCall::abi_encode_returns(
                &IReputationRegistry::readFeedbackReturn {
                    value: f.value,
                    valueDecimals: f.decimals,
                    tag1: f.tag1,
                    tag2: f.tag2,
                    isRevoked: f.revoked,
                },
            ))
        }
        C::getSummary(c) => {
            if c.clientAddresses.is_empty() {
                return Err(revert("clientAddresses required"));
            }
            let (count, value, decimals) = {
                ctx.charge_list(c.clientAddresses.len())?;
                summary(ctx, c.agentId, &c.clientAddresses, &c.tag1, &c.tag2)?
            };
            Ok(IReputationRegistry::getSummaryCall::abi_encode_returns(
                &IReputationRegistry::getSummaryReturn {
                    count,
                    summaryValue: value,
                    summaryValueDecimals: decimals,
                },
            ))
        }
        C::readAllFeedback(c) => {
            ctx.charge_list(c.clientAddresses.len())?;
            let list = if c.clientAddresses.is_empty() {
                clients(ctx, c.agentId)?
            } else {
                c.clientAddresses
            };
            let mut out = IReputationRegistry::readAllFeedbackReturn {
                clients: Vec::new(),
                feedbackIndexes: Vec::new(),
                values: Vec::new(),
                valueDecimals: Vec::new(),
                tag1s: Vec::new(),
                tag2s: Vec::new(),
                revokedStatuses: Vec::new(),
            };
            for client in list {
                let last = last_index(ctx, c.agentId, client)?;
                for j in 1..=last.min(MAX_SCAN) {
                    let f = read_entry(ctx, c.agentId, client, j)?;
                    if (f.revoked && !c.includeRevoked)
                        || !tag_matches(&c.tag1, &f.tag1)
                        || !tag_matches(&c.tag2, &f.tag2)
                    {
                        continue;
                    }
                    out.clients.push(client);
                    out.feedbackIndexes.push(j);
                    out.values.push(f.value);
                    out.valueDecimals.push(f.decimals);
                    out.tag1s.push(f.tag1);
                    out.tag2s.push(f.tag2);
                    out.revokedStatuses.push(f.revoked);
                }
            }
            Ok(IReputationRegistry::readAllFeedbackCall::abi_encode_returns(&out))
        }
        C::getResponseCount(c) => {
            ctx.charge_list(c.responders.len())?;
            let mut total: u64 = 0;
            let mut count_one =
                |ctx: &mut Ctx<'_>, client: Address, index: u64| -> Result<(), Halt> {
                    if c.responders.is_empty() {
                        let n: u64 = ctx
                            .read(REG, l::responders(c.agentId, client, index))?
                            .saturating_to();
                        for i in 0..n.min(MAX_SCAN) {
                            let r = word_address(
                                ctx.read(REG, l::responder(c.agentId, client, index, i))?,
                            );
                            let k: u64 = ctx
                                .read(REG, l::response_count(c.agentId, client, index, r))?
                                .saturating_to();
                            total = total.wrapping_add(k);
                        }
                    } else {
                        for r in &c.responders {
                            let k: u64 = ctx
                                .read(REG, l::response_count(c.agentId, client, index, *r))?
                                .saturating_to();
                            total = total.wrapping_add(k);
                        }
                    }
                    Ok(())
                };
            if c.clientAddress.is_zero() {
                for client in clients(ctx, c.agentId)? {
                    let last = last_index(ctx, c.agentId, client)?;
                    for j in 1..=last.min(MAX_SCAN) {
                        count_one(ctx, client, j)?;
                    }
                }
            } else if c.feedbackIndex == 0 {
                let last = last_index(ctx, c.agentId, c.clientAddress)?;
                for j in 1..=last.min(MAX_SCAN) {
                    count_one(ctx, c.clientAddress, j)?;
                }
            } else {
                count_one(ctx, c.clientAddress, c.feedbackIndex)?;
            }
            Ok(total.abi_encode())
        }
        C::getClients(c) => Ok(clients(ctx, c.agentId)?.abi_encode()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_negative_values() {
        for (v, d, r) in [
            (-1i128, 2u8, false),
            (MAX_ABS_VALUE, 18, true),
            (-MAX_ABS_VALUE, 0, false),
        ] {
            assert_eq!(unpack(pack(v, d, r)), (v, d, r));
        }
    }

    #[test]
    fn tags_round_trip() {
        let raw = encode_tags("quality", "fast").unwrap();
        assert_eq!(decode_tags(&raw), ("quality".into(), "fast".into()));
        assert_eq!(decode_tags(&[]), (String::new(), String::new()));
    }
}
