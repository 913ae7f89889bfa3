//! Writing OP Stack's preinstalls into a genesis allocation.
//!
//! Runtime-listed contracts are placed as they are (nonce 1, as OP's genesis does). The CREATE2
//! ones are deployed the way they were deployed everywhere else: by calling their factory with
//! the canonical salt and initcode, on this chain's EVM rules and chain id. So each lands at an
//! address derived from its initcode (checked against the canonical one), chain-dependent
//! immutables (Permit2's and EntryPoint v0.8's EIP-712 domain) are this chain's, and the
//! constructors' effects are kept: the Safe singletons lock themselves (threshold 1), the
//! EntryPoints create their SenderCreators and set their reentrancy guard, and the factories'
//! nonces advance. OP's own genesis only etches the runtime code; the code is identical.

use std::collections::BTreeMap;

use agnt2_evm::{CallRequest, EvmConfig, NextBlock, StateDb, call};
use agnt2_primitives::preinstalls::{PREINSTALLS, Preinstall, PreinstallCode};
use agnt2_storage::{EMPTY_ROOT, ProviderError, StateProvider, StoredAccount};
use alloy::genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, hex, keccak256};
use revm::DatabaseCommit;

/// Gas each deployment may use (EntryPoint v0.6, the largest, needs about 5M).
const DEPLOY_GAS: u64 = 30_000_000;

/// Why the preinstalls could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PreinstallError {
    /// A listed code is not hex.
    #[error("preinstall {0}: code is not valid hex")]
    BadHex(&'static str),
    /// The deployment call failed.
    #[error("preinstall {name}: deployment failed: {reason}")]
    Deploy {
        /// Preinstall.
        name: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The deployment created no code at the canonical address.
    #[error("preinstall {name}: deployment did not create code at {expected}")]
    Misplaced {
        /// Preinstall.
        name: &'static str,
        /// Canonical address.
        expected: Address,
    },
    /// The genesis already holds something else at a preinstall's address.
    #[error("genesis account {0} differs from the preinstall at that address")]
    Occupied(Address),
}

fn decode(name: &'static str, code: &str) -> Result<Bytes, PreinstallError> {
    hex::decode(code.trim())
        .map(Bytes::from)
        .map_err(|_| PreinstallError::BadHex(name))
}

/// The allocation built so far, as the state the deployments run on.
struct AllocState<'a>(&'a BTreeMap<Address, GenesisAccount>);

impl StateProvider for AllocState<'_> {
    fn account(&self, address: &Address) -> Result<Option<StoredAccount>, ProviderError> {
        Ok(self.0.get(address).map(|a| StoredAccount {
            nonce: a.nonce.unwrap_or(0),
            balance: a.balance,
            code_hash: a.code.as_ref().map_or(KECCAK256_EMPTY, keccak256),
            storage_root: EMPTY_ROOT,
        }))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, ProviderError> {
        let key = B256::from(slot.to_be_bytes::<32>());
        Ok(self
            .0
            .get(address)
            .and_then(|a| a.storage.as_ref()?.get(&key))
            .map_or(U256::ZERO, |v| U256::from_be_bytes(v.0)))
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, ProviderError> {
        Ok(self
            .0
            .values()
            .filter_map(|a| a.code.as_ref())
            .find(|c| keccak256(c) == *code_hash)
            .cloned())
    }

    fn block_hash(&self, _number: u64) -> Result<Option<B256>, ProviderError> {
        Ok(None)
    }

    fn state_root(&self) -> B256 {
        B256::ZERO
    }
}

/// The accounts the preinstalls consist of on chain `chain_id`.
pub fn preinstall_alloc(
    chain_id: u64,
    timestamp: u64,
) -> Result<BTreeMap<Address, GenesisAccount>, PreinstallError> {
    let mut alloc = BTreeMap::new();
    for p in PREINSTALLS {
        if let PreinstallCode::Runtime(code) = p.code {
            let account = GenesisAccount::default()
                .with_nonce(Some(1))
                .with_code(Some(decode(p.name, code)?));
            alloc.insert(p.address, account);
        }
    }
    let changes = {
        let mut db = StateDb::new(AllocState(&alloc));
        let config = EvmConfig::isthmus(chain_id);
        let env = NextBlock {
            number: 0,
            timestamp,
            beneficiary: Address::ZERO,
            base_fee: 0,
            gas_limit: DEPLOY_GAS,
            prevrandao: B256::ZERO,
        };
        for p in PREINSTALLS {
            deploy(&config, &env, &mut db, &p)?;
        }
        db.into_changes()
    };
    for (address, change) in changes {
        let Some(info) = change.info else { continue };
        let entry = alloc.entry(address).or_default();
        entry.nonce = Some(info.nonce);
        entry.balance = info.balance;
        if let Some(code) = info.code {
            entry.code = Some(code);
        }
        let storage: BTreeMap<B256, B256> = change
            .storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| {
                (
                    B256::from(k.to_be_bytes::<32>()),
                    B256::from(v.to_be_bytes::<32>()),
                )
            })
            .collect();
        if !storage.is_empty() {
            entry.storage = Some(storage);
        }
    }
    Ok(alloc)
}

/// Runs the CREATE2 deployment of `p` (nothing for a runtime-listed one).
fn deploy(
    config: &EvmConfig,
    env: &NextBlock,
    db: &mut StateDb<AllocState<'_>>,
    p: &Preinstall,
) -> Result<(), PreinstallError> {
    let PreinstallCode::Create2 {
        factory,
        salt,
        initcode,
    } = p.code
    else {
        return Ok(());
    };
    let mut input = salt.to_vec();
    input.extend_from_slice(&decode(p.name, initcode)?);
    let req = CallRequest {
        to: Some(factory),
        gas: Some(DEPLOY_GAS),
        input: input.into(),
        ..Default::default()
    };
    let mut out = call(config, env, db, &req).map_err(|e| PreinstallError::Deploy {
        name: p.name,
        reason: e.to_string(),
    })?;
    if !out.result.is_success() {
        return Err(PreinstallError::Deploy {
            name: p.name,
            reason: format!("{:?}", out.result),
        });
    }
    let created = out
        .state
        .get(&p.address)
        .is_some_and(|a| a.is_created() && a.info.code_hash != KECCAK256_EMPTY);
    if !created {
        return Err(PreinstallError::Misplaced {
            name: p.name,
            expected: p.address,
        });
    }
    // The caller only exists to make the call; it is no part of the genesis.
    out.state.remove(&req.from);
    db.commit(out.state);
    Ok(())
}

/// Adds the preinstalls to `genesis` (idempotent: accounts already equal to a preinstall are
/// left alone; an address holding anything else is an error rather than overwritten).
pub fn add_preinstalls(genesis: &mut Genesis) -> Result<(), PreinstallError> {
    let accounts = preinstall_alloc(genesis.config.chain_id, genesis.timestamp)?;
    for (address, account) in accounts {
        match genesis.alloc.get(&address) {
            Some(existing) if same_account(existing, &account) => {}
            Some(_) => return Err(PreinstallError::Occupied(address)),
            None => {
                genesis.alloc.insert(address, account);
            }
        }
    }
    Ok(())
}

fn same_account(a: &GenesisAccount, b: &GenesisAccount) -> bool {
    let storage = |x: &GenesisAccount| x.storage.clone().unwrap_or_default();
    a.nonce.unwrap_or(0) == b.nonce.unwrap_or(0)
        && a.balance == b.balance
        && a.code.clone().unwrap_or_default() == b.code.clone().unwrap_or_default()
        && storage(a) == storage(b)
}
