//! The ERC-8004 validation registry (v2.0.0): requests keyed by a globally unique hash,
//! monotone validator responses and the per-agent summary.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};

use crate::{
    Ctx, Halt, VALIDATION_REGISTRY,
    abi::IValidationRegistry::{self, IValidationRegistryCalls as C},
    ctx::{address_word, check_len, word_address},
    identity,
    layout::{SlotKey, identity as id_layout, validation as l},
    revert,
};

const REG: Address = VALIDATION_REGISTRY;
const MAX_SCAN: u64 = 100_000;

/// A request's status word, unpacked.
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    validator: Address,
    response: u8,
    has_response: bool,
    last_update: u64,
}

impl Status {
    fn load(ctx: &mut Ctx<'_>, request: B256) -> Result<Self, Halt> {
        let w = ctx.read(REG, l::status(request))?;
        Ok(Self {
            validator: word_address(w),
            response: ((w >> 160usize) & U256::from(0xffu8)).to::<u8>(),
            has_response: w.bit(168),
            last_update: ((w >> 176usize) & U256::from(u64::MAX)).to::<u64>(),
        })
    }

    fn store(&self, ctx: &mut Ctx<'_>, request: B256) -> Result<(), Halt> {
        let mut w = address_word(self.validator);
        w |= U256::from(self.response) << 160usize;
        if self.has_response {
            w.set_bit(168, true);
        }
        w |= U256::from(self.last_update) << 176usize;
        ctx.write(REG, l::status(request), w)
    }
}

fn read_list(
    ctx: &mut Ctx<'_>,
    len_slot: SlotKey,
    item: impl Fn(u64) -> SlotKey,
) -> Result<Vec<B256>, Halt> {
    let n: u64 = ctx.read(REG, &len_slot)?.saturating_to();
    (0..n.min(MAX_SCAN))
        .map(|i| ctx.read(REG, item(i)).map(B256::from))
        .collect()
}

fn push(
    ctx: &mut Ctx<'_>,
    len_slot: SlotKey,
    item: impl Fn(u64) -> SlotKey,
    value: B256,
) -> Result<(), Halt> {
    let n: u64 = ctx.read(REG, &len_slot)?.saturating_to();
    ctx.write(REG, item(n), U256::from_be_bytes(value.0))?;
    ctx.write(REG, len_slot, U256::from(n + 1))
}

/// Handles one call.
pub fn call(ctx: &mut Ctx<'_>, input: &[u8]) -> Result<Vec<u8>, Halt> {
    let decoded = crate::decode::<C>(input)?;
    ctx.non_payable()?;
    let sender = ctx.caller;
    match decoded {
        C::getIdentityRegistry(_) => Ok(crate::IDENTITY_REGISTRY.abi_encode()),
        C::getVersion(_) => Ok("2.0.0".to_string().abi_encode()),
        C::validationRequest(c) => {
            ctx.mutating()?;
            if c.validatorAddress.is_zero() {
                return Err(revert("bad validator"));
            }
            if !Status::load(ctx, c.requestHash)?.validator.is_zero() {
                return Err(revert("exists"));
            }
            let owner = identity::owner_of(ctx, c.agentId)?;
            let approved =
                ctx.read_address(crate::IDENTITY_REGISTRY, id_layout::approved(c.agentId))?;
            if !(sender == owner
                || identity::is_operator(ctx, owner, sender)?
                || approved == sender)
            {
                return Err(revert("Not authorized"));
            }
            check_len(&c.requestURI)?;
            Status {
                validator: c.validatorAddress,
                last_update: ctx.block.timestamp,
                ..Default::default()
            }
            .store(ctx, c.requestHash)?;
            ctx.write(REG, l::agent(c.requestHash), c.agentId)?;
            let agent = c.agentId;
            push(
                ctx,
                l::agent_requests(agent),
                |i| l::agent_request(agent, i),
                c.requestHash,
            )?;
            let validator = c.validatorAddress;
            push(
                ctx,
                l::validator_requests(validator),
                |i| l::validator_request(validator, i),
                c.requestHash,
            )?;
            ctx.emit_event(
                REG,
                &IValidationRegistry::ValidationRequest {
                    validatorAddress: c.validatorAddress,
                    agentId: c.agentId,
                    requestURI: c.requestURI,
                    requestHash: c.requestHash,
                },
            )?;
            Ok(Vec::new())
        }
        C::validationResponse(c) => {
            ctx.mutating()?;
            let mut status = Status::load(ctx, c.requestHash)?;
            if status.validator.is_zero() {
                return Err(revert("unknown"));
            }
            if sender != status.validator {
                return Err(revert("not validator"));
            }
            if c.response > 100 {
                return Err(revert("resp>100"));
            }
            if c.response < status.response {
                return Err(revert("response cannot decrease"));
            }
            check_len(&c.responseURI)?;
            status.response = c.response;
            status.has_response = true;
            status.last_update = ctx.block.timestamp;
            status.store(ctx, c.requestHash)?;
            ctx.write(
                REG,
                l::response_hash(c.requestHash),
                U256::from_be_bytes(c.responseHash.0),
            )?;
            ctx.write_bytes(REG, l::tag(c.requestHash), c.tag.as_bytes())?;
            let agent = ctx.read(REG, l::agent(c.requestHash))?;
            ctx.emit_event(
                REG,
                &IValidationRegistry::ValidationResponse {
                    validatorAddress: status.validator,
                    agentId: agent,
                    requestHash: c.requestHash,
                    response: c.response,
                    responseURI: c.responseURI,
                    responseHash: c.responseHash,
                    tag: c.tag,
                },
            )?;
            Ok(Vec::new())
        }
        C::getValidationStatus(c) => {
            let status = Status::load(ctx, c.requestHash)?;
            if status.validator.is_zero() {
                return Err(revert("unknown"));
            }
            let agent = ctx.read(REG, l::agent(c.requestHash))?;
            let response_hash = B256::from(ctx.read(REG, l::response_hash(c.requestHash))?);
            let tag =
                String::from_utf8_lossy(&ctx.read_bytes(REG, l::tag(c.requestHash))?).into_owned();
            Ok(
                IValidationRegistry::getValidationStatusCall::abi_encode_returns(
                    &IValidationRegistry::getValidationStatusReturn {
                        validatorAddress: status.validator,
                        agentId: agent,
                        response: status.response,
                        responseHash: response_hash,
                        tag,
                        lastUpdate: U256::from(status.last_update),
                    },
                ),
            )
        }
        C::getSummary(c) => {
            let agent = c.agentId;
            let requests = read_list(ctx, l::agent_requests(agent), |i| {
                l::agent_request(agent, i)
            })?;
            ctx.charge_list(c.validatorAddresses.len())?;
            let validators: std::collections::HashSet<Address> =
                c.validatorAddresses.iter().copied().collect();
            let (mut count, mut total) = (0u64, 0u64);
            for request in requests {
                let status = Status::load(ctx, request)?;
                if !validators.is_empty() && !validators.contains(&status.validator) {
                    continue;
                }
                // Hashes equal exactly when the strings do: compare the bytes.
                if !c.tag.is_empty() && ctx.read_bytes(REG, l::tag(request))? != c.tag.as_bytes() {
                    continue;
                }
                if status.has_response {
                    count += 1;
                    total += status.response as u64;
                }
            }
            let avg = total.checked_div(count).unwrap_or(0) as u8;
            Ok(IValidationRegistry::getSummaryCall::abi_encode_returns(
                &IValidationRegistry::getSummaryReturn {
                    count,
                    avgResponse: avg,
                },
            ))
        }
        C::getAgentValidations(c) => {
            let agent = c.agentId;
            Ok(read_list(ctx, l::agent_requests(agent), |i| {
                l::agent_request(agent, i)
            })?
            .abi_encode())
        }
        C::getValidatorRequests(c) => {
            let v = c.validatorAddress;
            Ok(read_list(ctx, l::validator_requests(v), |i| {
                l::validator_request(v, i)
            })?
            .abi_encode())
        }
    }
}
