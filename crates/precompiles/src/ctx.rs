//! The execution context a native registry call runs in: metered state access, logs, and the
//! revert/halt outcomes.

use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, keccak256};
use alloy_sol_types::{Revert, SolError};

use crate::gas;

/// Why a registry call could not touch state: a node failure, not the caller's.
#[derive(Debug, thiserror::Error)]
pub enum StateAccessError {
    /// The state backend failed (the journal's database error).
    #[error("state access failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    /// A write was attempted on a read-only view (RPC reads).
    #[error("read-only state")]
    ReadOnly,
    /// A stored byte string's length header is impossible: the registry's storage is corrupt.
    #[error("corrupt byte string at slot {0}")]
    CorruptString(U256),
    /// A registry account holds less escrow than it owes.
    #[error("escrow of {from} short of {amount}")]
    EscrowShort {
        /// The registry account.
        from: Address,
        /// What it had to pay.
        amount: U256,
    },
}

/// Access to the world state the EVM is executing against. Implemented over revm's journal, so
/// writes join the call's checkpoint and revert with it.
pub trait StateAccess {
    /// Reads a storage slot; returns the value and whether the slot was cold in this
    /// transaction.
    fn sload(&mut self, address: Address, slot: U256) -> Result<(U256, bool), StateAccessError>;
    /// Writes a storage slot; returns the value it held before this write and whether the slot
    /// was cold in this transaction.
    fn sstore(
        &mut self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(U256, bool), StateAccessError>;
    /// Appends a log to the transaction.
    fn log(&mut self, log: Log);
    /// Moves `amount` wei between accounts; `Ok(false)` when `from` has too little.
    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<bool, StateAccessError>;
}

/// Block facts a registry call may depend on.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockFacts {
    /// `block.timestamp`.
    pub timestamp: u64,
    /// `block.chainid`.
    pub chain_id: u64,
}

/// Why a call did not succeed.
#[derive(Debug)]
pub enum Halt {
    /// Revert with ABI-encoded data (an `Error(string)` or a custom error); state is rolled back.
    Revert(Bytes),
    /// The call ran out of gas; state is rolled back and all gas is consumed.
    OutOfGas,
    /// A node failure (state unreadable): the block must be abandoned.
    Fatal(StateAccessError),
}

/// Builds a revert with the standard `Error(string)` payload, as Solidity's `require` does.
pub fn revert(msg: impl Into<String>) -> Halt {
    Halt::Revert(Revert::from(msg.into()).abi_encode().into())
}

/// Result of a registry call: the ABI-encoded return data.
pub type CallResult = Result<Vec<u8>, Halt>;

/// One native call: who called, with what, and the metered state it may touch.
pub struct Ctx<'a> {
    state: &'a mut dyn StateAccess,
    /// `msg.sender` as the registry sees it.
    pub caller: Address,
    /// `msg.value`.
    pub value: U256,
    /// Whether the call came through STATICCALL (no writes allowed).
    pub is_static: bool,
    /// Block facts.
    pub block: BlockFacts,
    gas_limit: u64,
    gas_used: u64,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("caller", &self.caller)
            .field("gas_used", &self.gas_used)
            .finish_non_exhaustive()
    }
}

impl<'a> Ctx<'a> {
    /// A context with `gas_limit` to spend.
    pub fn new(
        state: &'a mut dyn StateAccess,
        caller: Address,
        value: U256,
        is_static: bool,
        block: BlockFacts,
        gas_limit: u64,
    ) -> Self {
        Self {
            state,
            caller,
            value,
            is_static,
            block,
            gas_limit,
            gas_used: 0,
        }
    }

    /// Gas spent so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// Charges `amount` gas.
    pub fn charge(&mut self, amount: u64) -> Result<(), Halt> {
        self.gas_used = self.gas_used.saturating_add(amount);
        if self.gas_used > self.gas_limit {
            return Err(Halt::OutOfGas);
        }
        Ok(())
    }

    /// keccak256 of caller-supplied bytes, charged by length.
    pub fn hash(&mut self, data: &[u8]) -> Result<B256, Halt> {
        self.charge(gas::keccak(data.len()))?;
        Ok(keccak256(data))
    }

    /// Charges for a caller-supplied list of `n` entries.
    pub fn charge_list(&mut self, n: usize) -> Result<(), Halt> {
        self.charge(gas::LIST_ITEM.saturating_mul(n as u64))
    }

    /// Reverts unless the call carries no value.
    pub fn non_payable(&self) -> Result<(), Halt> {
        if self.value.is_zero() {
            Ok(())
        } else {
            Err(revert("function is not payable"))
        }
    }

    /// Reverts when the call is static; every state-changing entry point calls this first.
    pub fn mutating(&self) -> Result<(), Halt> {
        if self.is_static {
            return Err(revert("state change in a static call"));
        }
        self.non_payable()
    }

    /// Reads one slot at a derived (hashed) position.
    pub fn read(&mut self, address: Address, slot: impl Into<U256>) -> Result<U256, Halt> {
        self.charge(gas::SLOT_KECCAK)?;
        self.read_next(address, slot.into())
    }

    /// Reads a slot whose position follows another's (the data words of a string): no hash.
    fn read_next(&mut self, address: Address, slot: U256) -> Result<U256, Halt> {
        self.charge(gas::SLOAD)?;
        let (value, cold) = self.state.sload(address, slot).map_err(Halt::Fatal)?;
        if cold {
            self.charge(gas::SLOAD_COLD - gas::SLOAD)?;
        }
        Ok(value)
    }

    /// Writes one slot, priced by whether it creates state.
    pub fn write(
        &mut self,
        address: Address,
        slot: impl Into<U256>,
        value: U256,
    ) -> Result<(), Halt> {
        let slot = slot.into();
        if self.is_static {
            return Err(revert("state change in a static call"));
        }
        // Charge the cheapest price first so a write never runs unpaid.
        self.charge(gas::SSTORE_NOOP)?;
        let (before, cold) = self
            .state
            .sstore(address, slot, value)
            .map_err(Halt::Fatal)?;
        let price = if before == value {
            gas::SSTORE_NOOP
        } else if before.is_zero() {
            gas::SSTORE_NEW_SLOT
        } else {
            gas::SSTORE
        };
        let cold_read = if cold { gas::SLOAD_COLD } else { 0 };
        self.charge(price - gas::SSTORE_NOOP + cold_read)
    }

    /// Reads a slot as an address (low 20 bytes).
    pub fn read_address(
        &mut self,
        address: Address,
        slot: impl Into<U256>,
    ) -> Result<Address, Halt> {
        Ok(word_address(self.read(address, slot)?))
    }

    /// Reads a dynamic byte string written by [`Ctx::write_bytes`].
    pub fn read_bytes(&mut self, address: Address, slot: impl Into<U256>) -> Result<Vec<u8>, Halt> {
        let slot = slot.into();
        let head = self.read(address, slot)?.to_be_bytes::<32>();
        let len = head_len(&head);
        if len > crate::MAX_BYTES {
            return Err(Halt::Fatal(StateAccessError::CorruptString(slot)));
        }
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&head[..len.min(HEAD_DATA)]);
        let base = long_base(slot);
        for i in 0..data_words(len) {
            let word = self
                .read_next(address, base + U256::from(i))?
                .to_be_bytes::<32>();
            let take = (len - out.len()).min(32);
            out.extend_from_slice(&word[..take]);
        }
        self.charge(gas::copy(len))?;
        Ok(out)
    }

    /// Writes a dynamic byte string: the head slot holds the first 30 bytes and the length (two
    /// bytes at the end), the rest follows in consecutive slots from `keccak256(head slot)`. So
    /// strings up to 30 bytes cost one slot and a 60-byte URI two, where Solidity's layout needs
    /// three. Slots a shorter new value no longer uses are cleared.
    pub fn write_bytes(
        &mut self,
        address: Address,
        slot: impl Into<U256>,
        data: &[u8],
    ) -> Result<(), Halt> {
        let slot = slot.into();
        check_len(data)?;
        let old = self.read(address, slot)?.to_be_bytes::<32>();
        let old_words = data_words(head_len(&old).min(crate::MAX_BYTES));
        let mut head = [0u8; 32];
        let in_head = data.len().min(HEAD_DATA);
        head[..in_head].copy_from_slice(&data[..in_head]);
        head[HEAD_DATA..].copy_from_slice(&(data.len() as u16).to_be_bytes());
        self.write(address, slot, U256::from_be_bytes(head))?;
        let base = long_base(slot);
        let rest = &data[in_head..];
        for (i, chunk) in rest.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write(address, base + U256::from(i), U256::from_be_bytes(word))?;
        }
        for i in data_words(data.len())..old_words {
            self.write(address, base + U256::from(i), U256::ZERO)?;
        }
        self.charge(gas::copy(data.len()))
    }

    /// Emits a log from `address`, priced as the EVM prices LOGn.
    pub fn emit(&mut self, address: Address, topics: Vec<B256>, data: Bytes) -> Result<(), Halt> {
        self.charge(gas::log(topics.len(), data.len()))?;
        let log = Log {
            address,
            data: LogData::new_unchecked(topics, data),
        };
        self.state.log(log);
        Ok(())
    }

    /// Emits a `sol!` event from `address`.
    pub fn emit_event<E: alloy_sol_types::SolEvent>(
        &mut self,
        address: Address,
        event: &E,
    ) -> Result<(), Halt> {
        let data = event.encode_log_data();
        self.charge(gas::log(data.topics().len(), data.data.len()))?;
        self.state.log(Log { address, data });
        Ok(())
    }

    /// Moves escrowed wei out of a registry account.
    pub fn pay(&mut self, from: Address, to: Address, amount: U256) -> Result<(), Halt> {
        if amount.is_zero() {
            return Ok(());
        }
        self.charge(gas::TRANSFER)?;
        match self.state.transfer(from, to, amount) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Halt::Fatal(StateAccessError::EscrowShort { from, amount })),
            Err(e) => Err(Halt::Fatal(e)),
        }
    }
}

/// Reverts when a string or bytes argument is longer than the registries accept.
pub fn check_len(data: impl AsRef<[u8]>) -> Result<(), Halt> {
    let len = data.as_ref().len();
    if len > crate::MAX_BYTES {
        return Err(revert(format!(
            "string too long: {len} bytes, at most {}",
            crate::MAX_BYTES
        )));
    }
    Ok(())
}

/// Bytes of string data the head slot holds; its last two bytes are the length.
const HEAD_DATA: usize = 30;

fn head_len(head: &[u8; 32]) -> usize {
    u16::from_be_bytes([head[HEAD_DATA], head[HEAD_DATA + 1]]) as usize
}

/// Data slots after the head for a string of `len` bytes.
fn data_words(len: usize) -> usize {
    len.saturating_sub(HEAD_DATA).div_ceil(32)
}

fn long_base(slot: U256) -> U256 {
    U256::from_be_bytes(keccak256(slot.to_be_bytes::<32>()).0)
}

/// The address in a word's low 20 bytes.
pub fn word_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

/// An address as a word.
pub fn address_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}
