//! State reads (latest and historical) and the change set a block hands to storage.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use libmdbx::{NoWriteMap, RO, Transaction};

use agnt2_storage_api::{ProviderError, StateProvider};

use crate::{
    StorageError, StoredAccount,
    db::{Tables, TxnNodes},
    mpt,
    sealed::SealedRead,
};

/// An EIP-1186 proof: the account proof nodes, and one node list per requested slot.
pub type AccountProof = (Vec<Vec<u8>>, Vec<Vec<Vec<u8>>>);

/// The head state, read from the plain tables inside one MDBX read transaction.
pub struct LatestState {
    pub(crate) txn: Transaction<'static, RO, NoWriteMap>,
    pub(crate) tables: &'static Tables,
    pub(crate) root: B256,
}

impl std::fmt::Debug for LatestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatestState")
            .field("root", &self.root)
            .finish()
    }
}

pub(crate) fn storage_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

pub(crate) fn read_code(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
    code_hash: &B256,
) -> Result<Option<Bytes>, StorageError> {
    Ok(txn
        .sealed(&tables.bytecodes, code_hash.as_slice())?
        .map(Bytes::from))
}

pub(crate) fn read_block_hash(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
    number: u64,
) -> Result<Option<B256>, StorageError> {
    Ok(txn
        .sealed_array::<32>(&tables.canonical_hashes, &number.to_be_bytes())?
        .map(B256::from))
}

impl StateProvider for LatestState {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        match self
            .txn
            .sealed(&self.tables.plain_accounts, address.as_slice())?
        {
            Some(v) => Ok(Some(StoredAccount::decode(&v)?)),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        let key = storage_key(address, slot);
        Ok(self
            .txn
            .sealed(&self.tables.plain_storage, &key)?
            .map(|v| U256::from_be_slice(&v))
            .unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        Ok(read_code(&self.txn, self.tables, code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        Ok(read_block_hash(&self.txn, self.tables, number)?)
    }

    fn state_root(&self) -> B256 {
        self.root
    }
}

/// A past state, read by walking the tries from that block's state root (trie nodes are never
/// deleted, so every committed root stays readable and provable).
pub struct HistoricalState {
    pub(crate) txn: Transaction<'static, RO, NoWriteMap>,
    pub(crate) tables: &'static Tables,
    pub(crate) root: B256,
    pub(crate) block_number: u64,
}

impl std::fmt::Debug for HistoricalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoricalState")
            .field("root", &self.root)
            .finish()
    }
}

impl HistoricalState {
    fn nodes(&self) -> TxnNodes<'_> {
        TxnNodes {
            txn: &self.txn,
            tables: self.tables,
        }
    }

    /// The EIP-1186 account proof and the storage proofs for `slots`.
    pub fn proof(&self, address: &Address, slots: &[B256]) -> Result<AccountProof, StorageError> {
        let nodes = self.nodes();
        let account_proof = mpt::prove(&nodes, self.root, keccak256(address).as_slice())?;
        let storage_root = self
            .account(address)?
            .map(|a| a.storage_root)
            .unwrap_or(mpt::EMPTY_ROOT);
        let storage_proofs = slots
            .iter()
            .map(|s| mpt::prove(&nodes, storage_root, keccak256(s).as_slice()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((account_proof, storage_proofs))
    }
}

impl StateProvider for HistoricalState {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        match mpt::get(&self.nodes(), self.root, keccak256(address).as_slice())
            .map_err(StorageError::from)?
        {
            Some(rlp) => Ok(Some(StoredAccount::from_trie_rlp(&rlp)?)),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        let Some(account) = self.account(address)? else {
            return Ok(U256::ZERO);
        };
        let key = keccak256(slot.to_be_bytes::<32>());
        match mpt::get(&self.nodes(), account.storage_root, key.as_slice())
            .map_err(StorageError::from)?
        {
            Some(rlp) => {
                U256::decode(&mut rlp.as_slice()).map_err(|_| ProviderError::Corrupt("storage rlp"))
            }
            None => Ok(U256::ZERO),
        }
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        Ok(read_code(&self.txn, self.tables, code_hash)?)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, ProviderError> {
        if number > self.block_number {
            return Ok(None);
        }
        Ok(read_block_hash(&self.txn, self.tables, number)?)
    }

    fn state_root(&self) -> B256 {
        self.root
    }
}
