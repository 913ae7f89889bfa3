//! Static access keys: from a call's target, sender and calldata alone, the storage a registry
//! call may read and write. The dependency-aware builder uses them to schedule agent
//! transactions without executing them first.
//!
//! Keys are exact slots where the calldata names them (an agent's owner, a client's last index)
//! and *prefixes* (`domain ‖ leading key words`, any continuation) where the slot depends on
//! state, such as the id `register` hands out or the index `giveFeedback` appends at. Two keys
//! overlap when they are the same slot, or one is a prefix the other's derivation starts with.
//! A byte-string key covers its head slot and its data slots.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolInterface;

use crate::{
    CAPABILITIES, IDENTITY_REGISTRY, REPUTATION_REGISTRY, SESSIONS, VALIDATION_REGISTRY,
    abi::{
        IAgentCapabilities::IAgentCapabilitiesCalls as Cap,
        IAgentSessions::IAgentSessionsCalls as Ses,
        IIdentityRegistry::IIdentityRegistryCalls as Id,
        IReputationRegistry::IReputationRegistryCalls as Rep,
        IValidationRegistry::IValidationRegistryCalls as Val,
    },
    capability_id,
    layout::{self, Domain, SlotKey, a},
};

/// A storage location (or family of locations) of a registry account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessKey {
    /// One slot.
    Slot(Address, SlotKey),
    /// A byte string: its head slot and the data slots that follow `keccak256(head)`.
    Bytes(Address, SlotKey),
    /// Every slot whose derivation is `domain ‖ lead ‖ …` (and the data slots of byte strings
    /// stored there).
    Prefix(Address, Domain, Vec<U256>),
}

/// How a slot was derived: `keccak256(domain ‖ parts)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preimage {
    /// The account.
    pub address: Address,
    /// The domain byte.
    pub domain: Domain,
    /// The key words.
    pub parts: Vec<U256>,
}

impl AccessKey {
    fn address(&self) -> Address {
        match self {
            Self::Slot(a, _) | Self::Bytes(a, _) | Self::Prefix(a, _, _) => *a,
        }
    }

    /// Whether this key covers `slot` of `address`, given how the slot was derived (`None` for
    /// a slot whose preimage is unknown, which only an exact key can cover).
    pub fn covers(&self, address: Address, slot: U256, preimage: Option<&Preimage>) -> bool {
        if self.address() != address {
            return false;
        }
        match self {
            Self::Slot(_, k) => k.slot() == slot,
            Self::Bytes(_, k) => {
                let head = k.slot();
                head == slot || layout::is_data_slot(head, slot)
            }
            Self::Prefix(_, domain, lead) => preimage.is_some_and(|p| {
                p.address == address && p.domain == *domain && p.parts.starts_with(lead)
            }),
        }
    }

    /// Whether two keys may name the same slot (used as the conflict test): derivations are
    /// compared, never hashes, so distinct domains and distinct leading keys never collide.
    pub fn overlaps(&self, other: &Self) -> bool {
        if self.address() != other.address() {
            return false;
        }
        let (d1, p1, exact1) = self.derivation();
        let (d2, p2, exact2) = other.derivation();
        d1 == d2
            && match (exact1, exact2) {
                (true, true) => p1 == p2,
                (true, false) => p1.starts_with(p2),
                (false, true) => p2.starts_with(p1),
                (false, false) => p1.starts_with(p2) || p2.starts_with(p1),
            }
    }

    fn derivation(&self) -> (Domain, &[U256], bool) {
        match self {
            Self::Slot(_, k) | Self::Bytes(_, k) => (k.domain, &k.parts, true),
            Self::Prefix(_, d, lead) => (*d, lead, false),
        }
    }
}

/// The declared access of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessSet {
    /// Keys the call may read.
    pub reads: Vec<AccessKey>,
    /// Keys the call may write (also read).
    pub writes: Vec<AccessKey>,
    /// The call may reach state the keys do not describe: the identity front's call-backs
    /// (`onERC721Received`, ERC-1271) when the other party has code, and session payouts to
    /// balances chosen by state. The builder must not trust the keys alone for these.
    pub calls_out: bool,
}

impl AccessSet {
    /// Whether the declared keys cover a touched slot.
    pub fn covers(&self, address: Address, slot: U256, preimage: Option<&Preimage>) -> bool {
        self.reads
            .iter()
            .chain(&self.writes)
            .any(|k| k.covers(address, slot, preimage))
    }

    /// Whether running `self` and `other` in either order could differ.
    pub fn conflicts(&self, other: &Self) -> bool {
        let hits = |w: &[AccessKey], any: &[AccessKey]| {
            w.iter().any(|x| any.iter().any(|y| x.overlaps(y)))
        };
        hits(&self.writes, &other.writes)
            || hits(&self.writes, &other.reads)
            || hits(&other.writes, &self.reads)
    }

    fn r(&mut self, k: AccessKey) -> &mut Self {
        self.reads.push(k);
        self
    }

    fn w(&mut self, k: AccessKey) -> &mut Self {
        self.writes.push(k);
        self
    }
}

use AccessKey::{Bytes as B, Prefix as P, Slot as S};

/// The access of a call to `to` from `caller` with `input`; `None` when `to` is not a registry
/// or the calldata does not decode (such a call reverts after touching nothing but its own
/// frame).
pub fn declared_access(to: Address, caller: Address, input: &[u8]) -> Option<AccessSet> {
    let mut set = AccessSet::default();
    match to {
        IDENTITY_REGISTRY => identity(&mut set, caller, Id::abi_decode(input).ok()?),
        REPUTATION_REGISTRY => reputation(&mut set, caller, Rep::abi_decode(input).ok()?),
        VALIDATION_REGISTRY => validation(&mut set, Val::abi_decode(input).ok()?),
        CAPABILITIES => capabilities(&mut set, caller, Cap::abi_decode(input).ok()?),
        SESSIONS => sessions(&mut set, Ses::abi_decode(input).ok()?),
        _ => return None,
    }
    Some(set)
}

const ID: Address = IDENTITY_REGISTRY;

/// What `isAuthorizedOrOwner(spender, agent)` and the identity auth checks read.
fn identity_auth(set: &mut AccessSet, agent: U256) {
    use layout::identity as l;
    set.r(S(ID, l::owner(agent)))
        .r(S(ID, l::approved(agent)))
        .r(P(ID, l::OPERATOR, vec![]));
}

fn identity(set: &mut AccessSet, sender: Address, call: Id) {
    use layout::identity as l;
    let meta_new_key = |set: &mut AccessSet, agent: U256, key: &str| {
        let kh = keccak256(key.as_bytes());
        set.w(B(ID, l::meta(agent, kh)))
            .w(S(ID, l::meta_key_pos(agent, kh)))
            .w(S(ID, l::meta_keys(agent)))
            .w(P(ID, l::META_KEY, vec![agent]));
    };
    let register = |set: &mut AccessSet,
                    metadata: &[crate::abi::IIdentityRegistry::MetadataEntry]| {
        // The new id is the counter's value: its slots are named by prefix.
        set.w(S(ID, l::last_id()))
            .w(P(ID, l::OWNER, vec![]))
            .w(P(ID, l::URI, vec![]))
            .w(S(ID, l::balance(sender)));
        if !metadata.is_empty() {
            for d in [l::META, l::META_KEY_POS, l::META_KEYS, l::META_KEY] {
                set.w(P(ID, d, vec![]));
            }
        }
        set.calls_out = true;
    };
    let transfer = |set: &mut AccessSet, from: Address, to: Address, agent: U256| {
        identity_auth(set, agent);
        set.w(S(ID, l::owner(agent)))
            .w(S(ID, l::wallet(agent)))
            .w(S(ID, l::approved(agent)))
            .w(S(ID, l::balance(from)))
            .w(S(ID, l::balance(to)));
    };
    match call {
        Id::register_0(_) => register(set, &[]),
        Id::register_1(_) => register(set, &[]),
        Id::register_2(c) => register(set, &c.metadata),
        Id::getMetadata(c) => {
            set.r(S(ID, l::owner(c.agentId)))
                .r(S(ID, l::wallet(c.agentId)))
                .r(B(
                    ID,
                    l::meta(c.agentId, keccak256(c.metadataKey.as_bytes())),
                ));
        }
        Id::setMetadata(c) => {
            identity_auth(set, c.agentId);
            meta_new_key(set, c.agentId, &c.metadataKey);
        }
        Id::setAgentURI(c) => {
            identity_auth(set, c.agentId);
            set.w(B(ID, l::uri(c.agentId)));
        }
        Id::getAgentWallet(c) => {
            set.r(S(ID, l::owner(c.agentId)))
                .r(S(ID, l::wallet(c.agentId)));
        }
        Id::setAgentWallet(c) => {
            identity_auth(set, c.agentId);
            set.w(S(ID, l::owner(c.agentId)))
                .w(S(ID, l::wallet(c.agentId)));
            set.calls_out = true;
        }
        Id::unsetAgentWallet(c) => {
            identity_auth(set, c.agentId);
            set.w(S(ID, l::owner(c.agentId)))
                .w(S(ID, l::wallet(c.agentId)));
        }
        Id::isAuthorizedOrOwner(c) => identity_auth(set, c.agentId),
        Id::tokenURI(c) => {
            set.r(S(ID, l::owner(c.tokenId)))
                .r(B(ID, l::uri(c.tokenId)));
        }
        Id::ownerOf(c) => {
            set.r(S(ID, l::owner(c.tokenId)));
        }
        Id::balanceOf(c) => {
            set.r(S(ID, l::balance(c.owner)));
        }
        Id::approve(c) => {
            identity_auth(set, c.tokenId);
            set.w(S(ID, l::approved(c.tokenId)));
        }
        Id::getApproved(c) => {
            set.r(S(ID, l::owner(c.tokenId)))
                .r(S(ID, l::approved(c.tokenId)));
        }
        Id::setApprovalForAll(c) => {
            set.w(S(ID, l::operator(sender, c.operator)));
        }
        Id::isApprovedForAll(c) => {
            set.r(S(ID, l::operator(c.owner, c.operator)));
        }
        Id::transferFrom(c) => transfer(set, c.from, c.to, c.tokenId),
        Id::safeTransferFrom_0(c) => {
            transfer(set, c.from, c.to, c.tokenId);
            set.calls_out = true;
        }
        Id::safeTransferFrom_1(c) => {
            transfer(set, c.from, c.to, c.tokenId);
            set.calls_out = true;
        }
        Id::getVersion(_)
        | Id::name(_)
        | Id::symbol(_)
        | Id::supportsInterface(_)
        | Id::eip712Domain(_) => {}
    }
}

const REP: Address = REPUTATION_REGISTRY;

fn feedback_of(set: &mut AccessSet, agent: U256, client: Address) {
    use layout::reputation as l;
    set.r(S(REP, l::last_index(agent, client)))
        .r(P(REP, l::FEEDBACK, vec![agent, a(client)]))
        .r(P(REP, l::TAGS, vec![agent, a(client)]));
}

fn reputation(set: &mut AccessSet, sender: Address, call: Rep) {
    use layout::reputation as l;
    let all_clients = |set: &mut AccessSet, agent: U256| {
        set.r(S(REP, l::clients(agent)))
            .r(P(REP, l::CLIENT, vec![agent]))
            .r(P(REP, l::LAST_INDEX, vec![agent]))
            .r(P(REP, l::FEEDBACK, vec![agent]))
            .r(P(REP, l::TAGS, vec![agent]));
    };
    match call {
        Rep::giveFeedback(c) => {
            identity_auth(set, c.agentId);
            let (agent, me) = (c.agentId, a(sender));
            set.w(S(REP, l::last_index(agent, sender)))
                .w(P(REP, l::FEEDBACK, vec![agent, me]))
                .w(P(REP, l::TAGS, vec![agent, me]))
                .w(S(REP, l::clients(agent)))
                .w(P(REP, l::CLIENT, vec![agent]));
        }
        Rep::revokeFeedback(c) => {
            set.r(S(REP, l::last_index(c.agentId, sender)))
                .w(S(REP, l::feedback(c.agentId, sender, c.feedbackIndex)));
        }
        Rep::appendResponse(c) => {
            let (agent, client, i) = (c.agentId, c.clientAddress, c.feedbackIndex);
            set.r(S(REP, l::last_index(agent, client)))
                .w(S(REP, l::response_count(agent, client, i, sender)))
                .w(S(REP, l::responders(agent, client, i)))
                .w(P(REP, l::RESPONDER, vec![agent, a(client), U256::from(i)]));
        }
        Rep::getLastIndex(c) => {
            set.r(S(REP, l::last_index(c.agentId, c.clientAddress)));
        }
        Rep::readFeedback(c) => feedback_of(set, c.agentId, c.clientAddress),
        Rep::getSummary(c) => {
            for client in &c.clientAddresses {
                feedback_of(set, c.agentId, *client);
            }
        }
        Rep::readAllFeedback(c) => {
            if c.clientAddresses.is_empty() {
                all_clients(set, c.agentId);
            }
            for client in &c.clientAddresses {
                feedback_of(set, c.agentId, *client);
            }
        }
        Rep::getResponseCount(c) => {
            let agent = c.agentId;
            all_clients(set, agent);
            for d in [l::RESPONSE_COUNT, l::RESPONDERS, l::RESPONDER] {
                set.r(P(REP, d, vec![agent]));
            }
        }
        Rep::getClients(c) => {
            set.r(S(REP, l::clients(c.agentId)))
                .r(P(REP, l::CLIENT, vec![c.agentId]));
        }
        Rep::getIdentityRegistry(_) | Rep::getVersion(_) => {}
    }
}

const VAL: Address = VALIDATION_REGISTRY;

fn request_slots(set: &mut AccessSet, request: B256, write: bool) {
    use layout::validation as l;
    let keys = [
        S(VAL, l::status(request)),
        S(VAL, l::agent(request)),
        S(VAL, l::response_hash(request)),
        B(VAL, l::tag(request)),
    ];
    for k in keys {
        if write {
            set.w(k);
        } else {
            set.r(k);
        }
    }
}

fn validation(set: &mut AccessSet, call: Val) {
    use layout::validation as l;
    match call {
        Val::validationRequest(c) => {
            identity_auth(set, c.agentId);
            request_slots(set, c.requestHash, true);
            set.w(S(VAL, l::agent_requests(c.agentId)))
                .w(P(VAL, l::AGENT_REQUEST, vec![c.agentId]))
                .w(S(VAL, l::validator_requests(c.validatorAddress)))
                .w(P(VAL, l::VALIDATOR_REQUEST, vec![a(c.validatorAddress)]));
        }
        Val::validationResponse(c) => request_slots(set, c.requestHash, true),
        Val::getValidationStatus(c) => request_slots(set, c.requestHash, false),
        Val::getSummary(c) => {
            set.r(S(VAL, l::agent_requests(c.agentId)))
                .r(P(VAL, l::AGENT_REQUEST, vec![c.agentId]))
                .r(P(VAL, l::STATUS, vec![]))
                .r(P(VAL, l::TAG, vec![]));
        }
        Val::getAgentValidations(c) => {
            set.r(S(VAL, l::agent_requests(c.agentId))).r(P(
                VAL,
                l::AGENT_REQUEST,
                vec![c.agentId],
            ));
        }
        Val::getValidatorRequests(c) => {
            set.r(S(VAL, l::validator_requests(c.validatorAddress)))
                .r(P(VAL, l::VALIDATOR_REQUEST, vec![a(c.validatorAddress)]));
        }
        Val::getIdentityRegistry(_) | Val::getVersion(_) => {}
    }
}

fn capabilities(set: &mut AccessSet, sender: Address, call: Cap) {
    use layout::capabilities as l;
    let cap = |set: &mut AccessSet, id: B256, write: bool| {
        for k in [
            S(CAPABILITIES, l::grant(id)),
            S(CAPABILITIES, l::limit(id)),
            S(CAPABILITIES, l::spent(id)),
        ] {
            if write {
                set.w(k);
            } else {
                set.r(k);
            }
        }
    };
    match call {
        Cap::grant(c) => {
            identity_auth(set, c.agentId);
            cap(set, capability_id(c.agentId, c.grantee, c.scope), true);
        }
        Cap::revoke(c) => {
            identity_auth(set, c.agentId);
            cap(set, capability_id(c.agentId, c.grantee, c.scope), true);
        }
        Cap::check(c) => {
            identity_auth(set, c.agentId);
            cap(set, capability_id(c.agentId, c.grantee, c.scope), false);
        }
        Cap::consume(c) => {
            identity_auth(set, c.agentId);
            cap(set, capability_id(c.agentId, sender, c.scope), true);
        }
        Cap::getCapability(c) => cap(set, capability_id(c.agentId, c.grantee, c.scope), false),
        Cap::capabilityId(_) => {}
    }
}

fn sessions(set: &mut AccessSet, call: Ses) {
    use layout::sessions as l;
    let session = |set: &mut AccessSet, id: U256, write: bool| {
        for d in [
            l::PARTIES,
            l::CLIENT_AGENT,
            l::PROVIDER_AGENT,
            l::BUDGET,
            l::SPENT,
            l::COUNTERS,
        ] {
            if write {
                set.w(S(SESSIONS, l::field(d, id)));
            } else {
                set.r(S(SESSIONS, l::field(d, id)));
            }
        }
    };
    let open = |set: &mut AccessSet, client_agent: Option<U256>, provider: U256| {
        set.r(S(ID, layout::identity::owner(provider)));
        if let Some(agent) = client_agent {
            identity_auth(set, agent);
        }
        set.w(S(SESSIONS, l::last_id()));
        for d in [l::PARTIES, l::CLIENT_AGENT, l::PROVIDER_AGENT, l::BUDGET] {
            set.w(P(SESSIONS, d, vec![]));
        }
    };
    // Provider checks read whichever agent the session names: any identity owner, approval or
    // wallet slot.
    let any_agent = |set: &mut AccessSet| {
        for d in [
            layout::identity::OWNER,
            layout::identity::APPROVED,
            layout::identity::OPERATOR,
            layout::identity::WALLET,
        ] {
            set.r(P(ID, d, vec![]));
        }
    };
    match call {
        Ses::openSession_0(c) => open(set, None, c.counterpartyAgentId),
        Ses::openSession_1(c) => open(set, Some(c.clientAgentId), c.counterpartyAgentId),
        Ses::recordInvocation(c) => {
            session(set, c.sessionId, true);
            any_agent(set);
        }
        Ses::closeSession(c) => {
            session(set, c.sessionId, true);
            any_agent(set);
            set.calls_out = true;
        }
        Ses::getSession(c) => session(set, c.sessionId, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{IIdentityRegistry, IReputationRegistry};
    use alloy_primitives::address;
    use alloy_sol_types::SolCall;

    const A: Address = address!("0x00000000000000000000000000000000000000aa");
    const B2: Address = address!("0x00000000000000000000000000000000000000bb");

    fn feedback(agent: u64) -> Vec<u8> {
        IReputationRegistry::giveFeedbackCall {
            agentId: U256::from(agent),
            value: 1,
            valueDecimals: 0,
            tag1: String::new(),
            tag2: String::new(),
            endpoint: String::new(),
            feedbackURI: String::new(),
            feedbackHash: B256::ZERO,
        }
        .abi_encode()
    }

    #[test]
    fn independent_agents_do_not_conflict() {
        let f1 = declared_access(REPUTATION_REGISTRY, A, &feedback(1)).unwrap();
        let f2 = declared_access(REPUTATION_REGISTRY, B2, &feedback(2)).unwrap();
        assert!(!f1.conflicts(&f2));
        let uri = IIdentityRegistry::setAgentURICall {
            agentId: U256::from(2),
            newURI: "x".into(),
        };
        let uri = declared_access(IDENTITY_REGISTRY, A, &uri.abi_encode()).unwrap();
        let transfer = IIdentityRegistry::transferFromCall {
            from: A,
            to: B2,
            tokenId: U256::from(1),
        };
        let transfer = declared_access(IDENTITY_REGISTRY, A, &transfer.abi_encode()).unwrap();
        assert!(!uri.conflicts(&transfer));
    }

    #[test]
    fn dependent_calls_conflict() {
        let r = IIdentityRegistry::register_0Call {}.abi_encode();
        let r1 = declared_access(IDENTITY_REGISTRY, A, &r).unwrap();
        let r2 = declared_access(IDENTITY_REGISTRY, B2, &r).unwrap();
        assert!(r1.conflicts(&r2), "both take the next id");
        let transfer = IIdentityRegistry::transferFromCall {
            from: A,
            to: B2,
            tokenId: U256::from(1),
        };
        let transfer = declared_access(IDENTITY_REGISTRY, A, &transfer.abi_encode()).unwrap();
        let f = declared_access(REPUTATION_REGISTRY, B2, &feedback(1)).unwrap();
        assert!(
            transfer.conflicts(&f),
            "feedback checks the owner the transfer changes"
        );
    }

    #[test]
    fn undecodable_calldata_declares_nothing() {
        assert!(declared_access(REPUTATION_REGISTRY, A, &[1, 2, 3]).is_none());
        assert!(declared_access(A, A, &feedback(1)).is_none());
    }
}
