//! The in-memory overlay the EVM runs against: reads fall through to a state provider, writes
//! collect into the block's [`StateChanges`].

use std::sync::Arc;

use agnt2_storage_api::{AccountChange, AccountUpdate, ProviderError, StateChanges, StateProvider};
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, U256, map::HashMap};
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    database_interface::DBErrorMarker,
    primitives::AddressMap,
    state::{Account, AccountInfo, Bytecode},
};

/// A state failure seen by the EVM (revm wants its database error `Clone`, hence the `Arc`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    /// The state provider failed.
    #[error("state: {0}")]
    Provider(Arc<ProviderError>),
    /// An account names code the state does not hold.
    #[error("state: missing code {0}")]
    MissingCode(B256),
}

impl DBErrorMarker for DbError {}

impl From<ProviderError> for DbError {
    fn from(e: ProviderError) -> Self {
        Self::Provider(Arc::new(e))
    }
}

/// Overlay of a block's writes over a state provider.
#[derive(Debug)]
pub struct StateDb<P> {
    provider: P,
    accounts: HashMap<Address, Option<AccountInfo>>,
    /// Cached slots per account, so dropping an account's storage (EIP-161 deletion,
    /// re-creation) costs that account only.
    storage: HashMap<Address, HashMap<U256, U256>>,
    codes: HashMap<B256, Bytecode>,
    /// BLOCKHASH answers replaced by a simulation's block overrides.
    block_hashes: HashMap<u64, B256>,
    /// What the block changed, unordered while it runs (hash lookups on the hot path); sorted
    /// once when the block hands it on.
    changes: HashMap<Address, AccountChange>,
}

impl<P: StateProvider> StateDb<P> {
    /// An empty overlay over `provider`.
    pub fn new(provider: P) -> Self {
        Self {
            provider,
            accounts: HashMap::default(),
            storage: HashMap::default(),
            codes: HashMap::default(),
            block_hashes: HashMap::default(),
            changes: HashMap::default(),
        }
    }

    /// Removes and returns the change recorded for `address` (the parallel builder merges fee
    /// vault credits apart from the rest).
    pub fn take_change(&mut self, address: &Address) -> Option<AccountChange> {
        self.changes.remove(address)
    }

    /// Consumes the overlay, returning the block's changes.
    pub fn into_changes(self) -> StateChanges {
        self.into_sorted_changes().into_iter().collect()
    }

    /// Consumes the overlay, returning the block's changes as a list sorted by address (what a
    /// merge of several overlays wants; [`StateDb::into_changes`] builds the map from it).
    pub fn into_sorted_changes(self) -> Vec<(Address, AccountChange)> {
        let mut changes: Vec<_> = self.changes.into_iter().collect();
        changes.sort_unstable_by_key(|(address, _)| *address);
        changes
    }

    /// The underlying provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// Applies an `eth_call`-style override: replaces an account's fields.
    pub fn override_account(
        &mut self,
        address: Address,
        balance: Option<U256>,
        nonce: Option<u64>,
        code: Option<alloy_primitives::Bytes>,
    ) -> Result<(), DbError> {
        let mut info = self.basic(address)?.unwrap_or_default();
        if let Some(b) = balance {
            info.balance = b;
        }
        if let Some(n) = nonce {
            info.nonce = n;
        }
        if let Some(c) = code {
            let bytecode = Bytecode::new_raw(c);
            info.code_hash = bytecode.hash_slow();
            self.codes.insert(info.code_hash, bytecode.clone());
            info.code = Some(bytecode);
        }
        self.accounts.insert(address, Some(info));
        Ok(())
    }

    /// Applies an override of one storage slot.
    pub fn override_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.storage.entry(address).or_default().insert(slot, value);
    }

    /// Makes BLOCKHASH of `number` answer `hash` (a simulation's block override).
    pub fn override_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    /// Replaces all storage of `address` for reads (`state` override): unset slots read zero.
    pub fn wipe_storage_for_call(&mut self, address: Address) {
        self.changes.entry(address).or_default().wipe_storage = true;
    }
}

impl<P: StateProvider> Database for StateDb<P> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        if let Some(a) = self.accounts.get(&address) {
            return Ok(a.clone());
        }
        let info = self.provider.account(&address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            account_id: None,
            code: None,
        });
        self.accounts.insert(address, info.clone());
        Ok(info)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(c) = self.codes.get(&code_hash) {
            return Ok(c.clone());
        }
        let code = self
            .provider
            .code(&code_hash)?
            .map(Bytecode::new_raw)
            .ok_or(DbError::MissingCode(code_hash))?;
        self.codes.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        if let Some(v) = self.storage.get(&address).and_then(|m| m.get(&index)) {
            return Ok(*v);
        }
        let wiped = self.changes.get(&address).is_some_and(|c| c.wipe_storage);
        let v = if wiped {
            U256::ZERO
        } else {
            self.provider.storage(&address, &index)?
        };
        self.storage.entry(address).or_default().insert(index, v);
        Ok(v)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        self.block_hash_ref(number)
    }
}

/// Reads without filling the caches: what tracers (which look up pre-state after execution)
/// and other shared readers use.
impl<P: StateProvider> DatabaseRef for StateDb<P> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        if let Some(a) = self.accounts.get(&address) {
            return Ok(a.clone());
        }
        Ok(self.provider.account(&address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            account_id: None,
            code: None,
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(c) = self.codes.get(&code_hash) {
            return Ok(c.clone());
        }
        self.provider
            .code(&code_hash)?
            .map(Bytecode::new_raw)
            .ok_or(DbError::MissingCode(code_hash))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        if let Some(v) = self.storage.get(&address).and_then(|m| m.get(&index)) {
            return Ok(*v);
        }
        if self.changes.get(&address).is_some_and(|c| c.wipe_storage) {
            return Ok(U256::ZERO);
        }
        Ok(self.provider.storage(&address, &index)?)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        if let Some(h) = self.block_hashes.get(&number) {
            return Ok(*h);
        }
        Ok(self.provider.block_hash(number)?.unwrap_or_default())
    }
}

impl<P: StateProvider> DatabaseCommit for StateDb<P> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            // EIP-161: touched empty accounts and destroyed accounts are removed.
            if account.is_selfdestructed() || account.is_empty() {
                self.accounts.insert(address, None);
                self.storage.remove(&address);
                let change = self.changes.entry(address).or_default();
                change.info = None;
                change.storage.clear();
                change.wipe_storage = true;
                continue;
            }
            let change = self.changes.entry(address).or_default();
            if account.is_created() {
                self.storage.remove(&address);
                change.storage.clear();
                change.wipe_storage = true;
            }
            for (slot, value) in account.changed_storage_slots() {
                let v = value.present_value();
                self.storage.entry(address).or_default().insert(*slot, v);
                change.storage.insert(*slot, v);
            }
            let info = &account.info;
            // New code: a created contract, or an EIP-7702 delegation set on an existing account.
            let code_changed = self
                .accounts
                .get(&address)
                .and_then(|a| a.as_ref())
                .is_none_or(|a| a.code_hash != info.code_hash);
            let new_code = match &info.code {
                Some(code)
                    if (account.is_created() || code_changed)
                        && info.code_hash != KECCAK256_EMPTY =>
                {
                    self.codes.insert(info.code_hash, code.clone());
                    Some(code.original_bytes())
                }
                _ => change.info.as_ref().and_then(|i| i.code.clone()),
            };
            change.info = Some(AccountUpdate {
                nonce: info.nonce,
                balance: info.balance,
                code_hash: info.code_hash,
                code: new_code,
            });
            let mut cached = info.clone();
            cached.code = None;
            self.accounts.insert(address, Some(cached));
        }
    }
}
