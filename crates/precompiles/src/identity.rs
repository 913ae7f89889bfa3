//! The ERC-8004 identity registry core: agents as ERC-721 tokens, URIs, metadata and agent
//! wallets. Reached only through the identity front contract, which appends the real
//! `msg.sender` to the calldata and handles the two call-backs a precompile cannot make
//! (`onERC721Received`, ERC-1271).

use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolValue};

use crate::{
    Ctx, Halt, IDENTITY_REGISTRY,
    abi::{
        IIdentityCoreInternal,
        IIdentityRegistry::{self, IIdentityRegistryCalls as C},
    },
    ctx::{address_word, word_address},
    layout::identity as l,
    revert,
};

const REG: Address = IDENTITY_REGISTRY;
/// Bit of the owner word set while the agent wallet is the owner (as `register` leaves it).
const WALLET_IS_OWNER: usize = 160;
/// Bit of the wallet word set while an explicit wallet is present.
const WALLET_PRESENT: usize = 160;
/// The reserved metadata key.
pub const AGENT_WALLET_KEY: &str = "agentWallet";
/// `keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)")`.
pub fn agent_wallet_typehash() -> B256 {
    keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)")
}
/// Longest a wallet-signature deadline may lie ahead.
pub const MAX_DEADLINE_DELAY: u64 = 300;

fn nonexistent(agent: U256) -> Halt {
    Halt::Revert(
        IIdentityRegistry::ERC721NonexistentToken { tokenId: agent }
            .abi_encode()
            .into(),
    )
}

fn ok<T: SolValue>(v: T) -> Result<Vec<u8>, Halt> {
    Ok(v.abi_encode())
}

/// Handles one call arriving through the front. `input` is the front's calldata followed by the
/// 20-byte original sender.
pub fn call(ctx: &mut Ctx<'_>, input: &[u8]) -> Result<Vec<u8>, Halt> {
    if ctx.caller != REG {
        return Err(revert(format!(
            "the identity core is reached only through the registry at {REG}"
        )));
    }
    let Some(split) = input.len().checked_sub(20) else {
        return Err(revert("malformed call from the identity front"));
    };
    let sender = Address::from_slice(&input[split..]);
    let data = &input[..split];
    if data.len() >= 4 && data[..4] == IIdentityCoreInternal::setAgentWalletVerifiedCall::SELECTOR {
        let c = IIdentityCoreInternal::setAgentWalletVerifiedCall::abi_decode(data)
            .map_err(|_| revert("malformed calldata for setAgentWalletVerified"))?;
        ctx.mutating()?;
        check_wallet_change(ctx, sender, c.agentId, c.newWallet, c.deadline)?;
        set_wallet(ctx, c.agentId, c.newWallet)?;
        return Ok(Vec::new());
    }
    let decoded = crate::decode::<C>(data)?;
    // The front forwards msg.value; only payable functions may keep it, and none is.
    ctx.non_payable()?;
    match decoded {
        C::register_0(_) => {
            ctx.mutating()?;
            ok(register(ctx, sender, None, &[])?)
        }
        C::register_1(c) => {
            ctx.mutating()?;
            ok(register(ctx, sender, Some(&c.agentURI), &[])?)
        }
        C::register_2(c) => {
            ctx.mutating()?;
            ok(register(ctx, sender, Some(&c.agentURI), &c.metadata)?)
        }
        C::getMetadata(c) => {
            let value = get_metadata(ctx, c.agentId, &c.metadataKey)?;
            ok(Bytes::from(value))
        }
        C::setMetadata(c) => {
            ctx.mutating()?;
            let owner = owner_raw(ctx, c.agentId)?;
            let authorized = sender == owner
                || is_operator(ctx, owner, sender)?
                || sender == get_approved(ctx, c.agentId)?;
            if !authorized {
                return Err(revert("Not authorized"));
            }
            if c.metadataKey == AGENT_WALLET_KEY {
                return Err(revert("reserved key"));
            }
            set_metadata(ctx, c.agentId, &c.metadataKey, &c.metadataValue)?;
            ok(())
        }
        C::setAgentURI(c) => {
            ctx.mutating()?;
            require_authorized(ctx, sender, c.agentId)?;
            ctx.write_bytes(REG, l::uri(c.agentId), c.newURI.as_bytes())?;
            ctx.emit_event(
                REG,
                &IIdentityRegistry::MetadataUpdate {
                    _tokenId: c.agentId,
                },
            )?;
            ctx.emit_event(
                REG,
                &IIdentityRegistry::URIUpdated {
                    agentId: c.agentId,
                    newURI: c.newURI,
                    updatedBy: sender,
                },
            )?;
            ok(())
        }
        C::getAgentWallet(c) => ok(agent_wallet(ctx, c.agentId)?.unwrap_or_default()),
        C::setAgentWallet(c) => {
            ctx.mutating()?;
            let owner = check_wallet_change(ctx, sender, c.agentId, c.newWallet, c.deadline)?;
            let digest = wallet_digest(
                ctx.block.chain_id,
                c.agentId,
                c.newWallet,
                owner,
                c.deadline,
            );
            if ecdsa_signer(&c.signature, digest) == Some(c.newWallet) {
                set_wallet(ctx, c.agentId, c.newWallet)?;
                ok(())
            } else {
                Err(Halt::Revert(
                    IIdentityCoreInternal::WalletSignatureNeedsContractCheck { digest }
                        .abi_encode()
                        .into(),
                ))
            }
        }
        C::unsetAgentWallet(c) => {
            ctx.mutating()?;
            require_authorized(ctx, sender, c.agentId)?;
            clear_wallet(ctx, c.agentId)?;
            ok(())
        }
        C::isAuthorizedOrOwner(c) => {
            let owner = owner_of(ctx, c.agentId)?;
            ok(is_authorized(ctx, owner, c.spender, c.agentId)?)
        }
        C::getVersion(_) => ok("2.0.0".to_string()),
        C::name(_) => ok("AgentIdentity".to_string()),
        C::symbol(_) => ok("AGENT".to_string()),
        C::tokenURI(c) => {
            owner_of(ctx, c.tokenId)?;
            let uri = ctx.read_bytes(REG, l::uri(c.tokenId))?;
            ok(String::from_utf8_lossy(&uri).into_owned())
        }
        C::ownerOf(c) => ok(owner_of(ctx, c.tokenId)?),
        C::balanceOf(c) => {
            if c.owner.is_zero() {
                return Err(Halt::Revert(
                    IIdentityRegistry::ERC721InvalidOwner {
                        owner: Address::ZERO,
                    }
                    .abi_encode()
                    .into(),
                ));
            }
            ok(ctx.read(REG, l::balance(c.owner))?)
        }
        C::approve(c) => {
            ctx.mutating()?;
            let owner = owner_of(ctx, c.tokenId)?;
            if sender != owner && !is_operator(ctx, owner, sender)? {
                return Err(Halt::Revert(
                    IIdentityRegistry::ERC721InvalidApprover { approver: sender }
                        .abi_encode()
                        .into(),
                ));
            }
            ctx.emit_event(
                REG,
                &IIdentityRegistry::Approval {
                    owner,
                    approved: c.to,
                    tokenId: c.tokenId,
                },
            )?;
            ctx.write(REG, l::approved(c.tokenId), address_word(c.to))?;
            ok(())
        }
        C::getApproved(c) => ok(get_approved(ctx, c.tokenId)?),
        C::setApprovalForAll(c) => {
            ctx.mutating()?;
            if c.operator.is_zero() {
                return Err(Halt::Revert(
                    IIdentityRegistry::ERC721InvalidOperator {
                        operator: c.operator,
                    }
                    .abi_encode()
                    .into(),
                ));
            }
            ctx.write(
                REG,
                l::operator(sender, c.operator),
                U256::from(c.approved as u8),
            )?;
            ctx.emit_event(
                REG,
                &IIdentityRegistry::ApprovalForAll {
                    owner: sender,
                    operator: c.operator,
                    approved: c.approved,
                },
            )?;
            ok(())
        }
        C::isApprovedForAll(c) => ok(is_operator(ctx, c.owner, c.operator)?),
        C::transferFrom(c) => {
            ctx.mutating()?;
            transfer(ctx, sender, c.from, c.to, c.tokenId)?;
            ok(())
        }
        // The front runs the receiver check after the core moved the token.
        C::safeTransferFrom_0(c) => {
            ctx.mutating()?;
            transfer(ctx, sender, c.from, c.to, c.tokenId)?;
            ok(())
        }
        C::safeTransferFrom_1(c) => {
            ctx.mutating()?;
            transfer(ctx, sender, c.from, c.to, c.tokenId)?;
            ok(())
        }
        C::supportsInterface(c) => ok(matches!(
            c.interfaceId.0,
            [0x01, 0xff, 0xc9, 0xa7]
                | [0x80, 0xac, 0x58, 0xcd]
                | [0x5b, 0x5e, 0x13, 0x9f]
                | [0x49, 0x06, 0x49, 0x06]
        )),
        C::eip712Domain(_) => Ok((
            alloy_primitives::FixedBytes::<1>([0x0f]),
            "ERC8004IdentityRegistry".to_string(),
            "1".to_string(),
            U256::from(ctx.block.chain_id),
            REG,
            B256::ZERO,
            Vec::<U256>::new(),
        )
            .abi_encode_params()),
    }
}

/// The owner of `agent`, zero when it does not exist (OpenZeppelin's `_ownerOf`).
pub fn owner_raw(ctx: &mut Ctx<'_>, agent: U256) -> Result<Address, Halt> {
    ctx.read_address(REG, l::owner(agent))
}

/// The owner of `agent`, reverting `ERC721NonexistentToken` when there is none.
pub fn owner_of(ctx: &mut Ctx<'_>, agent: U256) -> Result<Address, Halt> {
    let owner = owner_raw(ctx, agent)?;
    if owner.is_zero() {
        return Err(nonexistent(agent));
    }
    Ok(owner)
}

/// Whether `operator` may manage every agent of `owner`.
pub fn is_operator(ctx: &mut Ctx<'_>, owner: Address, operator: Address) -> Result<bool, Halt> {
    Ok(!ctx.read(REG, l::operator(owner, operator))?.is_zero())
}

/// The approved address of an existing agent.
pub fn get_approved(ctx: &mut Ctx<'_>, agent: U256) -> Result<Address, Halt> {
    owner_of(ctx, agent)?;
    ctx.read_address(REG, l::approved(agent))
}

/// OpenZeppelin's `_isAuthorized`.
pub fn is_authorized(
    ctx: &mut Ctx<'_>,
    owner: Address,
    spender: Address,
    agent: U256,
) -> Result<bool, Halt> {
    if spender.is_zero() {
        return Ok(false);
    }
    Ok(spender == owner
        || is_operator(ctx, owner, spender)?
        || ctx.read_address(REG, l::approved(agent))? == spender)
}

/// The registry's `isAuthorizedOrOwner`, for the other registries.
pub fn is_authorized_or_owner(
    ctx: &mut Ctx<'_>,
    spender: Address,
    agent: U256,
) -> Result<bool, Halt> {
    let owner = owner_of(ctx, agent)?;
    is_authorized(ctx, owner, spender, agent)
}

/// The check `setAgentURI` and the wallet functions share; returns the owner.
fn require_authorized(ctx: &mut Ctx<'_>, sender: Address, agent: U256) -> Result<Address, Halt> {
    let owner = owner_of(ctx, agent)?;
    let approved = ctx.read_address(REG, l::approved(agent))?;
    if sender == owner || is_operator(ctx, owner, sender)? || sender == approved {
        Ok(owner)
    } else {
        Err(revert("Not authorized"))
    }
}

/// The agent wallet: `None` when unset (cleared by a transfer or `unsetAgentWallet`).
pub fn agent_wallet(ctx: &mut Ctx<'_>, agent: U256) -> Result<Option<Address>, Halt> {
    let owner_word = ctx.read(REG, l::owner(agent))?;
    if owner_word.bit(WALLET_IS_OWNER) {
        return Ok(Some(word_address(owner_word)));
    }
    let wallet = ctx.read(REG, l::wallet(agent))?;
    Ok(wallet.bit(WALLET_PRESENT).then(|| word_address(wallet)))
}

fn get_metadata(ctx: &mut Ctx<'_>, agent: U256, key: &str) -> Result<Vec<u8>, Halt> {
    if key == AGENT_WALLET_KEY {
        return Ok(agent_wallet(ctx, agent)?
            .map(|w| w.to_vec())
            .unwrap_or_default());
    }
    let key_hash = ctx.hash(key.as_bytes())?;
    ctx.read_bytes(REG, l::meta(agent, key_hash))
}

/// Metadata keys ever set on `agent`, in first-set order (for `agent_getAgent`).
pub fn metadata_keys(ctx: &mut Ctx<'_>, agent: U256) -> Result<Vec<String>, Halt> {
    let n: u64 = ctx.read(REG, l::meta_keys(agent))?.saturating_to();
    let mut keys = Vec::new();
    for i in 0..n.min(1024) {
        let key = ctx.read_bytes(REG, l::meta_key(agent, i))?;
        keys.push(String::from_utf8_lossy(&key).into_owned());
    }
    Ok(keys)
}

fn set_metadata(ctx: &mut Ctx<'_>, agent: U256, key: &str, value: &[u8]) -> Result<(), Halt> {
    let key_hash = ctx.hash(key.as_bytes())?;
    ctx.write_bytes(REG, l::meta(agent, key_hash), value)?;
    if ctx.read(REG, l::meta_key_pos(agent, key_hash))?.is_zero() {
        let n: u64 = ctx.read(REG, l::meta_keys(agent))?.saturating_to();
        ctx.write_bytes(REG, l::meta_key(agent, n), key.as_bytes())?;
        ctx.write(REG, l::meta_key_pos(agent, key_hash), U256::from(n + 1))?;
        ctx.write(REG, l::meta_keys(agent), U256::from(n + 1))?;
    }
    emit_metadata_set(ctx, agent, key, value)
}

fn emit_metadata_set(ctx: &mut Ctx<'_>, agent: U256, key: &str, value: &[u8]) -> Result<(), Halt> {
    let indexed = ctx.hash(key.as_bytes())?;
    ctx.emit_event(
        REG,
        &IIdentityRegistry::MetadataSet {
            agentId: agent,
            indexedMetadataKey: indexed,
            metadataKey: key.to_string(),
            metadataValue: Bytes::copy_from_slice(value),
        },
    )
}

fn register(
    ctx: &mut Ctx<'_>,
    sender: Address,
    uri: Option<&str>,
    metadata: &[IIdentityRegistry::MetadataEntry],
) -> Result<U256, Halt> {
    let agent = ctx.read(REG, l::last_id())?;
    ctx.write(REG, l::last_id(), agent + U256::from(1))?;
    // Mint with the wallet defaulting to the owner.
    let mut owner_word = address_word(sender);
    owner_word.set_bit(WALLET_IS_OWNER, true);
    ctx.write(REG, l::owner(agent), owner_word)?;
    let balance = ctx.read(REG, l::balance(sender))?;
    ctx.write(REG, l::balance(sender), balance + U256::from(1))?;
    ctx.emit_event(
        REG,
        &IIdentityRegistry::Transfer {
            from: Address::ZERO,
            to: sender,
            tokenId: agent,
        },
    )?;
    if let Some(uri) = uri {
        ctx.write_bytes(REG, l::uri(agent), uri.as_bytes())?;
        ctx.emit_event(REG, &IIdentityRegistry::MetadataUpdate { _tokenId: agent })?;
    }
    ctx.emit_event(
        REG,
        &IIdentityRegistry::Registered {
            agentId: agent,
            agentURI: uri.unwrap_or_default().to_string(),
            owner: sender,
        },
    )?;
    emit_metadata_set(ctx, agent, AGENT_WALLET_KEY, sender.as_slice())?;
    for entry in metadata {
        if entry.metadataKey == AGENT_WALLET_KEY {
            return Err(revert("reserved key"));
        }
        set_metadata(ctx, agent, &entry.metadataKey, &entry.metadataValue)?;
    }
    Ok(agent)
}

fn transfer(
    ctx: &mut Ctx<'_>,
    sender: Address,
    from: Address,
    to: Address,
    agent: U256,
) -> Result<(), Halt> {
    if to.is_zero() {
        return Err(Halt::Revert(
            IIdentityRegistry::ERC721InvalidReceiver { receiver: to }
                .abi_encode()
                .into(),
        ));
    }
    let owner = owner_raw(ctx, agent)?;
    if owner.is_zero() {
        return Err(nonexistent(agent));
    }
    // ERC-8004: every transfer (a self-transfer too) clears the agent wallet first.
    clear_wallet(ctx, agent)?;
    if !is_authorized(ctx, owner, sender, agent)? {
        return Err(Halt::Revert(
            IIdentityRegistry::ERC721InsufficientApproval {
                operator: sender,
                tokenId: agent,
            }
            .abi_encode()
            .into(),
        ));
    }
    ctx.write(REG, l::approved(agent), U256::ZERO)?;
    let from_balance = ctx.read(REG, l::balance(owner))?;
    ctx.write(
        REG,
        l::balance(owner),
        from_balance.saturating_sub(U256::from(1)),
    )?;
    let to_balance = ctx.read(REG, l::balance(to))?;
    ctx.write(REG, l::balance(to), to_balance + U256::from(1))?;
    ctx.write(REG, l::owner(agent), address_word(to))?;
    ctx.emit_event(
        REG,
        &IIdentityRegistry::Transfer {
            from: owner,
            to,
            tokenId: agent,
        },
    )?;
    if owner != from {
        return Err(Halt::Revert(
            IIdentityRegistry::ERC721IncorrectOwner {
                sender: from,
                tokenId: agent,
                owner,
            }
            .abi_encode()
            .into(),
        ));
    }
    Ok(())
}

fn clear_wallet(ctx: &mut Ctx<'_>, agent: U256) -> Result<(), Halt> {
    let mut owner_word = ctx.read(REG, l::owner(agent))?;
    if owner_word.bit(WALLET_IS_OWNER) {
        owner_word.set_bit(WALLET_IS_OWNER, false);
        ctx.write(REG, l::owner(agent), owner_word)?;
    }
    if !ctx.read(REG, l::wallet(agent))?.is_zero() {
        ctx.write(REG, l::wallet(agent), U256::ZERO)?;
    }
    emit_metadata_set(ctx, agent, AGENT_WALLET_KEY, &[])
}

fn set_wallet(ctx: &mut Ctx<'_>, agent: U256, wallet: Address) -> Result<(), Halt> {
    let mut owner_word = ctx.read(REG, l::owner(agent))?;
    if owner_word.bit(WALLET_IS_OWNER) {
        owner_word.set_bit(WALLET_IS_OWNER, false);
        ctx.write(REG, l::owner(agent), owner_word)?;
    }
    let mut word = address_word(wallet);
    word.set_bit(WALLET_PRESENT, true);
    ctx.write(REG, l::wallet(agent), word)?;
    emit_metadata_set(ctx, agent, AGENT_WALLET_KEY, wallet.as_slice())
}

/// The checks of `setAgentWallet` before the signature; returns the owner.
fn check_wallet_change(
    ctx: &mut Ctx<'_>,
    sender: Address,
    agent: U256,
    wallet: Address,
    deadline: U256,
) -> Result<Address, Halt> {
    let owner = require_authorized(ctx, sender, agent)?;
    if wallet.is_zero() {
        return Err(revert("bad wallet"));
    }
    let now = U256::from(ctx.block.timestamp);
    if now > deadline {
        return Err(revert("expired"));
    }
    if deadline > now + U256::from(MAX_DEADLINE_DELAY) {
        return Err(revert("deadline too far"));
    }
    Ok(owner)
}

/// The EIP-712 digest a new agent wallet signs.
pub fn wallet_digest(
    chain_id: u64,
    agent: U256,
    wallet: Address,
    owner: Address,
    deadline: U256,
) -> B256 {
    let domain_typehash = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    let domain = keccak256(
        (
            domain_typehash,
            keccak256("ERC8004IdentityRegistry"),
            keccak256("1"),
            U256::from(chain_id),
            REG,
        )
            .abi_encode(),
    );
    let struct_hash =
        keccak256((agent_wallet_typehash(), agent, wallet, owner, deadline).abi_encode());
    let mut buf = Vec::with_capacity(66);
    buf.extend_from_slice(&[0x19, 0x01]);
    buf.extend_from_slice(domain.as_slice());
    buf.extend_from_slice(struct_hash.as_slice());
    keccak256(&buf)
}

/// OpenZeppelin's `tryRecover` for 65-byte `r ‖ s ‖ v` signatures: high `s` and `v` other than
/// 27/28 are rejected.
fn ecdsa_signer(signature: &[u8], digest: B256) -> Option<Address> {
    if signature.len() != 65 || !matches!(signature[64], 27 | 28) {
        return None;
    }
    let sig = Signature::from_raw(signature).ok()?;
    agnt2_primitives::recover_signer(&sig, digest).ok()
}
