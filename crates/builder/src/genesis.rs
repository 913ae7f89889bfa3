//! Writing block 0 from the chain spec's genesis allocation.

use agnt2_primitives::{ChainSpec, OpTxEnvelope, SealedBlock, constants::L2_TO_L1_MESSAGE_PASSER};
use agnt2_storage::{
    AccountChange, AccountUpdate, Database, EMPTY_ROOT, StateChanges, StorageError,
};
use alloy::consensus::{EMPTY_OMMER_ROOT_HASH, Header, proofs::calculate_transaction_root};
use alloy::eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{B256, KECCAK256_EMPTY, U256, keccak256};

/// Genesis failures.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The datadir holds another chain.
    #[error("datadir genesis {stored} does not match the chain spec's genesis {expected}")]
    Mismatch {
        /// In the datadir.
        stored: B256,
        /// From the spec.
        expected: B256,
    },
}

/// The state changes that create the genesis allocation.
pub fn genesis_changes(spec: &ChainSpec) -> StateChanges {
    let mut changes = StateChanges::new();
    for (address, account) in &spec.genesis.alloc {
        let code = account.code.clone().filter(|c| !c.is_empty());
        let code_hash = code.as_ref().map_or(KECCAK256_EMPTY, keccak256);
        let storage = account
            .storage
            .iter()
            .flatten()
            .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
            .filter(|(_, v)| !v.is_zero())
            .collect();
        changes.insert(
            *address,
            AccountChange {
                info: Some(AccountUpdate {
                    nonce: account.nonce.unwrap_or(0),
                    balance: account.balance,
                    code_hash,
                    code,
                }),
                storage,
                wipe_storage: false,
            },
        );
    }
    changes
}

/// The genesis header, computed from the allocation alone (no database), so a datadir can be
/// checked against the chain spec.
pub fn expected_genesis_header(spec: &ChainSpec) -> Header {
    let alloc = &spec.genesis.alloc;
    let state_root = alloy::consensus::proofs::state_root_ref_unhashed(alloc.iter());
    let passer_root = alloc.get(&L2_TO_L1_MESSAGE_PASSER).map_or(EMPTY_ROOT, |a| {
        alloy::consensus::TrieAccount::from(a.clone()).storage_root
    });
    genesis_header(spec, state_root, passer_root)
}

/// Writes the genesis block if the datadir is empty; otherwise checks that it holds this
/// chain. Returns the genesis hash.
pub fn init_genesis(db: &Database, spec: &ChainSpec) -> Result<B256, GenesisError> {
    let expected = expected_genesis_header(spec);
    let expected_hash = expected.hash_slow();
    if let Some(stored) = db.block_hash(0)? {
        if stored != expected_hash {
            return Err(GenesisError::Mismatch {
                stored,
                expected: expected_hash,
            });
        }
        return Ok(stored);
    }
    let changes = genesis_changes(spec);
    let trie = db.compute_state_root(&changes)?;
    if trie.state_root != expected.state_root {
        return Err(
            StorageError::Corrupt("genesis state root differs from the reference trie").into(),
        );
    }
    let block = SealedBlock {
        header: expected,
        hash: expected_hash,
        transactions: Vec::new(),
    };
    db.commit_block(&block, &[], &changes, trie)?;
    Ok(expected_hash)
}

/// Writes, into an empty datadir, a genesis whose state is `spec`'s allocation plus `count`
/// plain accounts loaded in bulk (`account(i)` is the `i`-th; see
/// [`Database::bulk_load_accounts`]), for state-scale benchmarks and tests. The header commits
/// to the root of both, so its hash is not the spec's own genesis hash. Returns that hash.
pub fn init_genesis_bulk(
    db: &Database,
    spec: &ChainSpec,
    count: u64,
    account: impl Fn(u64) -> (alloy_primitives::Address, agnt2_storage::StoredAccount) + Sync,
) -> Result<B256, GenesisError> {
    db.bulk_load_accounts(count, account)?;
    let changes = genesis_changes(spec);
    let trie = db.compute_state_root(&changes)?;
    let passer_root = trie
        .storage_roots
        .iter()
        .find(|(a, _)| *a == L2_TO_L1_MESSAGE_PASSER)
        .map_or(EMPTY_ROOT, |(_, r)| *r);
    let header = genesis_header(spec, trie.state_root, passer_root);
    let hash = header.hash_slow();
    let block = SealedBlock {
        header,
        hash,
        transactions: Vec::new(),
    };
    db.commit_block(&block, &[], &changes, trie)?;
    Ok(hash)
}

fn genesis_header(spec: &ChainSpec, state_root: B256, withdrawals_root: B256) -> Header {
    let g = &spec.genesis;
    Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: g.coinbase,
        state_root,
        transactions_root: calculate_transaction_root::<OpTxEnvelope>(&[]),
        receipts_root: EMPTY_ROOT,
        number: 0,
        gas_limit: g.gas_limit,
        gas_used: 0,
        timestamp: g.timestamp,
        extra_data: g.extra_data.clone(),
        mix_hash: g.mix_hash,
        base_fee_per_gas: Some(g.base_fee_per_gas.unwrap_or(1_000_000_000) as u64),
        withdrawals_root: Some(withdrawals_root),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}
