//! The seam between execution and storage: the [`StateProvider`] trait the EVM reads world
//! state through, the account as the state commits to it ([`StoredAccount`]), the state changes
//! a block hands back ([`StateChanges`]) and the provider's typed error. `agnt2-storage`
//! implements it on MDBX; `agnt2-evm`, the RPC's simulations and plugins see only this crate,
//! so none of them depends on the database.
//!
//! Owns these types and nothing else: no I/O, no encoding of tables.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable};

/// Root of an empty trie.
const EMPTY_ROOT_HASH: B256 =
    alloy_primitives::b256!("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

/// Why a state read failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Stored bytes did not decode.
    #[error("corrupt database: {0}")]
    Corrupt(&'static str),
    /// An account names code the store does not have.
    #[error("missing code {0}")]
    MissingCode(B256),
    /// The backend failed (its own typed error, e.g. a checksum mismatch or an MDBX error).
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// Read access to one version of the world state.
pub trait StateProvider: Send + Sync {
    /// The account, if it exists.
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError>;
    /// A storage slot (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError>;
    /// Code by hash.
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError>;
    /// Canonical block hash by number.
    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError>;
    /// The state root this view corresponds to.
    fn state_root(&self) -> B256;
}

impl<T: StateProvider + ?Sized> StateProvider for Box<T> {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        (**self).storage(address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        (**self).code(code_hash)
    }
    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        (**self).block_hash(number)
    }
    fn state_root(&self) -> B256 {
        (**self).state_root()
    }
}

/// New values of an account after a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code hash.
    pub code_hash: B256,
    /// The code, when it is new in this block.
    pub code: Option<Bytes>,
}

/// What a block did to one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// New account fields; `None` removes the account.
    pub info: Option<AccountUpdate>,
    /// Changed slots (zero clears a slot).
    pub storage: BTreeMap<U256, U256>,
    /// Storage was wiped before `storage` applies (account destroyed or re-created).
    pub wipe_storage: bool,
}

/// A block's state changes, sorted by address.
pub type StateChanges = BTreeMap<Address, AccountChange>;

/// An account as the state stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// keccak256 of the code (`KECCAK_EMPTY` for none).
    pub code_hash: B256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
}

impl StoredAccount {
    /// Fixed encoded size.
    pub const SIZE: usize = 8 + 32 + 32 + 32;

    /// Fixed-width encoding.
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[..8].copy_from_slice(&self.nonce.to_be_bytes());
        out[8..40].copy_from_slice(&self.balance.to_be_bytes::<32>());
        out[40..72].copy_from_slice(self.code_hash.as_slice());
        out[72..].copy_from_slice(self.storage_root.as_slice());
        out
    }

    /// Inverse of [`Self::encode`].
    pub fn decode(b: &[u8]) -> Result<Self, ProviderError> {
        if b.len() != Self::SIZE {
            return Err(ProviderError::Corrupt("account length"));
        }
        let mut nonce = [0u8; 8];
        nonce.copy_from_slice(&b[..8]);
        Ok(Self {
            nonce: u64::from_be_bytes(nonce),
            balance: U256::from_be_slice(&b[8..40]),
            code_hash: B256::from_slice(&b[40..72]),
            storage_root: B256::from_slice(&b[72..]),
        })
    }

    /// The RLP the account trie stores as the leaf value.
    pub fn trie_rlp(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(110);
        self.nonce.encode(&mut payload);
        self.balance.encode(&mut payload);
        self.storage_root.encode(&mut payload);
        self.code_hash.encode(&mut payload);
        let mut out = Vec::with_capacity(payload.len() + 3);
        alloy_rlp::Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes an account-trie leaf value.
    pub fn from_trie_rlp(mut b: &[u8]) -> Result<Self, ProviderError> {
        let bad = |_| ProviderError::Corrupt("account rlp");
        let h = alloy_rlp::Header::decode(&mut b).map_err(bad)?;
        if !h.list {
            return Err(ProviderError::Corrupt("account rlp"));
        }
        let nonce = u64::decode(&mut b).map_err(bad)?;
        let balance = U256::decode(&mut b).map_err(bad)?;
        let storage_root = B256::decode(&mut b).map_err(bad)?;
        let code_hash = B256::decode(&mut b).map_err(bad)?;
        Ok(Self {
            nonce,
            balance,
            code_hash,
            storage_root,
        })
    }
}

/// A state provider that sees a block's pending `changes` on top of `base`: the parallel
/// builder's workers all start from the state after the block's first transaction this way.
#[derive(Debug)]
pub struct Overlay<'a, P: ?Sized> {
    /// The committed state.
    pub base: &'a P,
    /// Changes not committed yet.
    pub changes: &'a StateChanges,
}

impl<P: StateProvider + ?Sized> StateProvider for Overlay<'_, P> {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        match self.changes.get(address) {
            Some(change) => match &change.info {
                None => Ok(None),
                Some(u) => {
                    let storage_root = self
                        .base
                        .account(address)?
                        .map(|a| a.storage_root)
                        .unwrap_or(EMPTY_ROOT_HASH);
                    Ok(Some(StoredAccount {
                        nonce: u.nonce,
                        balance: u.balance,
                        code_hash: u.code_hash,
                        storage_root,
                    }))
                }
            },
            None => self.base.account(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        match self.changes.get(address) {
            Some(change) => match change.storage.get(slot) {
                Some(v) => Ok(*v),
                None if change.wipe_storage || change.info.is_none() => Ok(U256::ZERO),
                None => self.base.storage(address, slot),
            },
            None => self.base.storage(address, slot),
        }
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        for change in self.changes.values() {
            if let Some(u) = &change.info
                && u.code_hash == *code_hash
                && let Some(code) = &u.code
            {
                return Ok(Some(code.clone()));
            }
        }
        self.base.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        self.base.block_hash(number)
    }

    fn state_root(&self) -> B256 {
        self.base.state_root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        let a = StoredAccount {
            nonce: 7,
            balance: U256::from(1234u64),
            code_hash: B256::repeat_byte(1),
            storage_root: B256::repeat_byte(2),
        };
        assert_eq!(StoredAccount::decode(&a.encode()).unwrap(), a);
        assert_eq!(StoredAccount::from_trie_rlp(&a.trie_rlp()).unwrap(), a);
        assert!(StoredAccount::decode(&[0; 5]).is_err());
        assert!(StoredAccount::from_trie_rlp(&[0x01]).is_err());
    }
}
