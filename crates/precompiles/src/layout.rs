//! Where the registries keep their state: every slot is `keccak256(domain ‖ key words…)`, so the
//! domains never collide with each other or with a Solidity layout. The full table is in
//! `docs/precompiles.md`; the functions here are the single source of truth for it.

use alloy_primitives::{Address, B256, U256, keccak256};

/// A storage domain: the first byte hashed into every slot of one kind.
pub type Domain = u8;

/// A slot named by its derivation: the form access keys compare, hashed only when state is
/// touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotKey {
    /// The domain byte.
    pub domain: Domain,
    /// The key words.
    pub parts: Vec<U256>,
}

impl SlotKey {
    /// The storage slot.
    pub fn slot(&self) -> U256 {
        hash_slot(self.domain, &self.parts)
    }
}

impl From<SlotKey> for U256 {
    fn from(k: SlotKey) -> Self {
        k.slot()
    }
}

impl From<&SlotKey> for U256 {
    fn from(k: &SlotKey) -> Self {
        k.slot()
    }
}

/// The slot key of `domain` keyed by `parts`.
pub fn slot(domain: Domain, parts: &[U256]) -> SlotKey {
    SlotKey {
        domain,
        parts: parts.to_vec(),
    }
}

/// `keccak256(domain ‖ parts)`.
pub fn hash_slot(domain: Domain, parts: &[U256]) -> U256 {
    let mut buf = Vec::with_capacity(1 + 32 * parts.len());
    buf.push(domain);
    for p in parts {
        buf.extend_from_slice(&p.to_be_bytes::<32>());
    }
    let slot = U256::from_be_bytes(keccak256(&buf).0);
    preimages::record(slot, domain, parts);
    slot
}

/// Whether `slot` is one of the data slots of the long byte string whose head is `head`.
pub fn is_data_slot(head: U256, slot: U256) -> bool {
    let base = U256::from_be_bytes(keccak256(head.to_be_bytes::<32>()).0);
    slot.checked_sub(base)
        .is_some_and(|i| i < U256::from(crate::MAX_BYTES.div_ceil(32)))
}

/// Records, when a test turns it on for its thread, how slots were derived, so the test can map
/// a touched slot back to its domain and keys. Off (one thread-local flag check) otherwise.
pub mod preimages {
    use std::{
        cell::{Cell, RefCell},
        collections::HashMap,
    };

    use super::{Domain, U256};

    thread_local! {
        static ON: Cell<bool> = const { Cell::new(false) };
        static SEEN: RefCell<HashMap<U256, (Domain, Vec<U256>)>> = RefCell::new(HashMap::new());
    }

    /// Starts recording on this thread.
    pub fn enable() {
        ON.with(|on| on.set(true));
    }

    pub(super) fn record(slot: U256, domain: Domain, parts: &[U256]) {
        if ON.with(Cell::get) {
            SEEN.with(|m| {
                m.borrow_mut().insert(slot, (domain, parts.to_vec()));
            });
        }
    }

    /// The derivation of `slot`, if this thread computed it.
    pub fn lookup(slot: U256) -> Option<(Domain, Vec<U256>)> {
        SEEN.with(|m| m.borrow().get(&slot).cloned())
    }
}

/// An address as a key word.
pub fn a(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

/// A hash as a key word.
pub fn h(hash: B256) -> U256 {
    U256::from_be_bytes(hash.0)
}

/// Identity registry domains (stored in the account at the ERC-8004 identity address).
pub mod identity {
    use super::*;
    /// Next agent id to mint (`_lastId`).
    pub const LAST_ID: Domain = 0x01;
    /// Owner of an agent: owner address in the low 160 bits, bit 160 set while the agent wallet
    /// is the owner itself (as `register` leaves it).
    pub const OWNER: Domain = 0x02;
    /// Agent wallet set by `setAgentWallet`: address in the low 160 bits, bit 160 = present.
    pub const WALLET: Domain = 0x03;
    /// Approved address of an agent (`getApproved`).
    pub const APPROVED: Domain = 0x04;
    /// Agent URI (byte string).
    pub const URI: Domain = 0x05;
    /// Number of agents an address owns.
    pub const BALANCE: Domain = 0x06;
    /// Operator approval, keyed by (owner, operator).
    pub const OPERATOR: Domain = 0x07;
    /// Metadata value, keyed by (agent, keccak256(key)) (byte string).
    pub const META: Domain = 0x08;
    /// Number of distinct metadata keys an agent has had set.
    pub const META_KEYS: Domain = 0x09;
    /// The i-th metadata key of an agent (byte string).
    pub const META_KEY: Domain = 0x0a;
    /// Position + 1 of a metadata key in the agent's key list, keyed by (agent, keccak256(key)).
    pub const META_KEY_POS: Domain = 0x0b;

    /// Slot of the id counter.
    pub fn last_id() -> SlotKey {
        slot(LAST_ID, &[])
    }
    /// Owner slot of `agent`.
    pub fn owner(agent: U256) -> SlotKey {
        slot(OWNER, &[agent])
    }
    /// Wallet slot of `agent`.
    pub fn wallet(agent: U256) -> SlotKey {
        slot(WALLET, &[agent])
    }
    /// Approval slot of `agent`.
    pub fn approved(agent: U256) -> SlotKey {
        slot(APPROVED, &[agent])
    }
    /// URI head slot of `agent`.
    pub fn uri(agent: U256) -> SlotKey {
        slot(URI, &[agent])
    }
    /// Balance slot of `owner`.
    pub fn balance(owner: Address) -> SlotKey {
        slot(BALANCE, &[a(owner)])
    }
    /// Operator slot of (`owner`, `operator`).
    pub fn operator(owner: Address, operator: Address) -> SlotKey {
        slot(OPERATOR, &[a(owner), a(operator)])
    }
    /// Metadata value head slot.
    pub fn meta(agent: U256, key_hash: B256) -> SlotKey {
        slot(META, &[agent, h(key_hash)])
    }
    /// Metadata key count slot.
    pub fn meta_keys(agent: U256) -> SlotKey {
        slot(META_KEYS, &[agent])
    }
    /// Head slot of the `i`-th metadata key.
    pub fn meta_key(agent: U256, i: u64) -> SlotKey {
        slot(META_KEY, &[agent, U256::from(i)])
    }
    /// Key-position slot.
    pub fn meta_key_pos(agent: U256, key_hash: B256) -> SlotKey {
        slot(META_KEY_POS, &[agent, h(key_hash)])
    }
}

/// Reputation registry domains (stored in the account at the ERC-8004 reputation address).
pub mod reputation {
    use super::*;
    /// A feedback entry keyed by (agent, client, index): int128 value in the low 128 bits,
    /// decimals in bits 128..136, revoked flag at bit 136.
    pub const FEEDBACK: Domain = 0x20;
    /// The tags of a feedback entry: byte string `len(tag1) as u16 ‖ tag1 ‖ tag2`.
    pub const TAGS: Domain = 0x21;
    /// Last feedback index of (agent, client).
    pub const LAST_INDEX: Domain = 0x22;
    /// Number of distinct clients of an agent.
    pub const CLIENTS: Domain = 0x23;
    /// The i-th client of an agent.
    pub const CLIENT: Domain = 0x24;
    /// Responses by one responder to one feedback, keyed by (agent, client, index, responder).
    pub const RESPONSE_COUNT: Domain = 0x25;
    /// Number of distinct responders to one feedback.
    pub const RESPONDERS: Domain = 0x26;
    /// The i-th responder to one feedback.
    pub const RESPONDER: Domain = 0x27;

    /// Feedback slot.
    pub fn feedback(agent: U256, client: Address, index: u64) -> SlotKey {
        slot(FEEDBACK, &[agent, a(client), U256::from(index)])
    }
    /// Tags head slot.
    pub fn tags(agent: U256, client: Address, index: u64) -> SlotKey {
        slot(TAGS, &[agent, a(client), U256::from(index)])
    }
    /// Last-index slot.
    pub fn last_index(agent: U256, client: Address) -> SlotKey {
        slot(LAST_INDEX, &[agent, a(client)])
    }
    /// Client-count slot.
    pub fn clients(agent: U256) -> SlotKey {
        slot(CLIENTS, &[agent])
    }
    /// The `i`-th client slot.
    pub fn client(agent: U256, i: u64) -> SlotKey {
        slot(CLIENT, &[agent, U256::from(i)])
    }
    /// Response-count slot.
    pub fn response_count(agent: U256, client: Address, index: u64, responder: Address) -> SlotKey {
        slot(
            RESPONSE_COUNT,
            &[agent, a(client), U256::from(index), a(responder)],
        )
    }
    /// Responder-count slot.
    pub fn responders(agent: U256, client: Address, index: u64) -> SlotKey {
        slot(RESPONDERS, &[agent, a(client), U256::from(index)])
    }
    /// The `i`-th responder slot.
    pub fn responder(agent: U256, client: Address, index: u64, i: u64) -> SlotKey {
        slot(
            RESPONDER,
            &[agent, a(client), U256::from(index), U256::from(i)],
        )
    }
}

/// Validation registry domains (stored in the account at the ERC-8004 validation address).
pub mod validation {
    use super::*;
    /// Request status keyed by request hash: validator in the low 160 bits, response in bits
    /// 160..168, has-response at bit 168, last update (u64) in bits 176..240.
    pub const STATUS: Domain = 0x40;
    /// Agent id of a request.
    pub const AGENT: Domain = 0x41;
    /// Response hash of a request.
    pub const RESPONSE_HASH: Domain = 0x42;
    /// Tag of a request's response (byte string).
    pub const TAG: Domain = 0x43;
    /// Number of requests of an agent.
    pub const AGENT_REQUESTS: Domain = 0x44;
    /// The i-th request hash of an agent.
    pub const AGENT_REQUEST: Domain = 0x45;
    /// Number of requests addressed to a validator.
    pub const VALIDATOR_REQUESTS: Domain = 0x46;
    /// The i-th request hash addressed to a validator.
    pub const VALIDATOR_REQUEST: Domain = 0x47;

    /// Status slot.
    pub fn status(request: B256) -> SlotKey {
        slot(STATUS, &[h(request)])
    }
    /// Agent slot.
    pub fn agent(request: B256) -> SlotKey {
        slot(AGENT, &[h(request)])
    }
    /// Response-hash slot.
    pub fn response_hash(request: B256) -> SlotKey {
        slot(RESPONSE_HASH, &[h(request)])
    }
    /// Tag head slot.
    pub fn tag(request: B256) -> SlotKey {
        slot(TAG, &[h(request)])
    }
    /// Agent request-count slot.
    pub fn agent_requests(agent: U256) -> SlotKey {
        slot(AGENT_REQUESTS, &[agent])
    }
    /// The `i`-th request of an agent.
    pub fn agent_request(agent: U256, i: u64) -> SlotKey {
        slot(AGENT_REQUEST, &[agent, U256::from(i)])
    }
    /// Validator request-count slot.
    pub fn validator_requests(validator: Address) -> SlotKey {
        slot(VALIDATOR_REQUESTS, &[a(validator)])
    }
    /// The `i`-th request of a validator.
    pub fn validator_request(validator: Address, i: u64) -> SlotKey {
        slot(VALIDATOR_REQUEST, &[a(validator), U256::from(i)])
    }
}

/// Capability domains (stored in the capabilities account).
pub mod capabilities {
    use super::*;
    /// Grant record keyed by capability id: grantor in the low 160 bits, revoked at bit 160,
    /// expiry (u64) in bits 168..232. Zero means never granted.
    pub const GRANT: Domain = 0x60;
    /// Spend limit.
    pub const LIMIT: Domain = 0x61;
    /// Amount spent.
    pub const SPENT: Domain = 0x62;

    /// Grant slot.
    pub fn grant(id: B256) -> SlotKey {
        slot(GRANT, &[h(id)])
    }
    /// Limit slot.
    pub fn limit(id: B256) -> SlotKey {
        slot(LIMIT, &[h(id)])
    }
    /// Spent slot.
    pub fn spent(id: B256) -> SlotKey {
        slot(SPENT, &[h(id)])
    }
}

/// Session domains (stored in the sessions account).
pub mod sessions {
    use super::*;
    /// Last session id handed out.
    pub const LAST_ID: Domain = 0x80;
    /// Parties word: client address in the low 160 bits, has-client-agent at bit 160, closed at
    /// bit 161, expiry (u64) in bits 168..232.
    pub const PARTIES: Domain = 0x81;
    /// Client agent id.
    pub const CLIENT_AGENT: Domain = 0x82;
    /// Provider agent id.
    pub const PROVIDER_AGENT: Domain = 0x83;
    /// Escrowed budget.
    pub const BUDGET: Domain = 0x84;
    /// Amount spent.
    pub const SPENT: Domain = 0x85;
    /// Counters: nonce in the low 64 bits, call count in bits 64..128.
    pub const COUNTERS: Domain = 0x86;

    /// Counter slot.
    pub fn last_id() -> SlotKey {
        slot(LAST_ID, &[])
    }
    /// A per-session slot of `domain`.
    pub fn field(domain: Domain, id: U256) -> SlotKey {
        slot(domain, &[id])
    }
}
