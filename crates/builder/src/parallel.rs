//! The dependency-aware parallel executor.
//!
//! A block stays an ordinary sequential block: re-executing its transactions one after another
//! with [`BlockExecutor`] gives the same receipts and state root. Parallelism is only in how the
//! builder gets there:
//!
//! 1. **Prediction.** Each candidate gets an access set before execution: a plain value transfer
//!    to an account without code touches exactly its sender and recipient; a call to an agent
//!    registry touches the keys the registry declares from its calldata. Anything else (contract
//!    code, registry calls that call out) is *unpredicted* and goes to the sequential tail, and so
//!    does every later transaction of the same sender.
//! 2. **Grouping.** Predicted transactions that share a written key (or read what another
//!    writes) are joined into groups (union-find); groups are packed into one bin per thread,
//!    balanced by gas. Bins run on worker threads with no synchronisation per transaction, each
//!    over its own overlay of the state after the block's L1-attributes deposit.
//! 3. **Fees.** Every transaction credits the fee vaults; those credits commute, so bins keep
//!    them locally and the merge adds the per-bin deltas (as pevm and Monad do). Predicted
//!    transactions never run code that could read a vault's balance.
//! 4. **Validation.** Each transaction's actual reads (accounts and slots) are checked against
//!    the actual writes of earlier transactions in other bins. Any hit means a misprediction: the
//!    parallel result is dropped and the block is built sequentially, so a wrong prediction costs
//!    time, never correctness. The same fallback applies when grouping finds no parallelism.
//!
//! Block order (the ordering rule): predicted transactions first, in the pool's fee-priority
//! order, then the tail in pool order. A sender's transactions keep their nonce order because
//! once one of them goes to the tail, all its later ones do too.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use agnt2_evm::{
    BlockExecutor, EvmConfig, ExecutedBlock, FatalError, NextBlock, StateDb, TxAccess, TxOutcome,
    with_cumulative_gas,
};
use agnt2_precompiles::{AccessKey, IDENTITY_REGISTRY, declared_access, is_native};
use agnt2_primitives::{
    RecoveredTx, StoredReceipt,
    constants::{BASE_FEE_VAULT, L1_FEE_VAULT, OPERATOR_FEE_VAULT, SEQUENCER_FEE_VAULT},
};
use agnt2_storage::{AccountChange, Database, Overlay, StateChanges, StateProvider};
use alloy::consensus::Transaction;
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, U256};

/// Accounts whose balance every transaction credits; merged as sums of deltas.
const FEE_ACCOUNTS: [Address; 4] = [
    SEQUENCER_FEE_VAULT,
    BASE_FEE_VAULT,
    L1_FEE_VAULT,
    OPERATOR_FEE_VAULT,
];

/// What the parallel executor did with one block.
#[derive(Debug, Clone, Default)]
pub struct ParallelStats {
    /// Transactions with a predicted access set.
    pub predicted: usize,
    /// Transactions in the sequential tail.
    pub tail: usize,
    /// Independent groups among the predicted transactions.
    pub groups: usize,
    /// Bins that ran concurrently.
    pub bins: usize,
    /// Gas share of the largest bin (1.0 = no parallelism).
    pub largest_bin_share: f64,
    /// Why the block fell back to sequential execution, if it did.
    pub fallback: Option<&'static str>,
}

/// The result of executing a block's user transactions.
#[derive(Debug)]
pub(crate) struct ParallelOutcome {
    pub block: ExecutedBlock,
    pub changes: StateChanges,
    pub invalid: Vec<B256>,
    pub stats: ParallelStats,
}

/// A conflict key: an account, or a storage family of a registry account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(Address),
    /// An exact registry slot, named by its derivation.
    Slot(Address, u8, Vec<U256>),
    /// Every slot of one registry domain.
    Domain(Address, u8),
}

struct Predicted {
    reads: Vec<Key>,
    writes: Vec<Key>,
}

fn predict<P: StateProvider + ?Sized>(
    tx: &RecoveredTx,
    state: &P,
) -> Result<Option<Predicted>, FatalError> {
    let sender = tx.signer;
    if FEE_ACCOUNTS.contains(&sender) || tx.envelope.authorization_list().is_some() {
        return Ok(None);
    }
    let Some(to) = tx.envelope.to() else {
        return Ok(None);
    };
    if FEE_ACCOUNTS.contains(&to) {
        return Ok(None);
    }
    let mut p = Predicted {
        reads: Vec::new(),
        writes: vec![Key::Account(sender)],
    };
    let input = tx.envelope.input();
    let value = tx.envelope.value();
    if is_native(&to) || to == IDENTITY_REGISTRY {
        let Some(set) = declared_access(to, sender, input) else {
            // Undecodable calldata reverts before touching registry state.
            p.reads.push(Key::Account(to));
            return Ok(Some(p));
        };
        if set.calls_out && !(to == IDENTITY_REGISTRY && is_register(input)) {
            return Ok(None);
        }
        if set.calls_out && has_code(state, &sender)? {
            // The mint call-back would run the sender's (EIP-7702) code.
            return Ok(None);
        }
        if value.is_zero() {
            p.reads.push(Key::Account(to));
        } else {
            p.writes.push(Key::Account(to));
        }
        p.reads.extend(set.reads.iter().map(key_of));
        p.writes.extend(set.writes.iter().map(key_of));
        return Ok(Some(p));
    }
    if !input.is_empty() || has_code(state, &to)? {
        return Ok(None);
    }
    p.writes.push(Key::Account(to));
    Ok(Some(p))
}

fn is_register(input: &[u8]) -> bool {
    use agnt2_precompiles::abi::IIdentityRegistry as I;
    use alloy_sol_types::SolCall;
    input.len() >= 4
        && [
            I::register_0Call::SELECTOR,
            I::register_1Call::SELECTOR,
            I::register_2Call::SELECTOR,
        ]
        .iter()
        .any(|s| input[..4] == *s)
}

fn has_code<P: StateProvider + ?Sized>(state: &P, address: &Address) -> Result<bool, FatalError> {
    Ok(state
        .account(address)
        .map_err(|e| FatalError(e.to_string()))?
        .is_some_and(|a| a.code_hash != KECCAK256_EMPTY))
}

fn key_of(k: &AccessKey) -> Key {
    match k {
        AccessKey::Slot(a, s) | AccessKey::Bytes(a, s) => Key::Slot(*a, s.domain, s.parts.clone()),
        AccessKey::Prefix(a, d, _) => Key::Domain(*a, *d),
    }
}

/// Union-find over transaction indices.
struct Groups(Vec<usize>);

impl Groups {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Groups predicted transactions: writers of a key join each other, readers join its writers.
/// Exact registry slots of a domain that some transaction names only by prefix are coarsened
/// to the whole domain, so prefix and exact keys meet.
fn group(preds: &[&Predicted]) -> Vec<usize> {
    let coarse: HashSet<(Address, u8)> = preds
        .iter()
        .flat_map(|p| p.reads.iter().chain(&p.writes))
        .filter_map(|k| match k {
            Key::Domain(a, d) => Some((*a, *d)),
            _ => None,
        })
        .collect();
    let bucket = |k: &Key| match k {
        Key::Slot(a, d, _) if coarse.contains(&(*a, *d)) => Key::Domain(*a, *d),
        other => other.clone(),
    };
    let mut writers: HashMap<Key, usize> = HashMap::new();
    let mut readers: HashMap<Key, Vec<usize>> = HashMap::new();
    let mut uf = Groups((0..preds.len()).collect());
    for (i, p) in preds.iter().enumerate() {
        for k in &p.writes {
            match writers.entry(bucket(k)) {
                std::collections::hash_map::Entry::Occupied(e) => uf.union(*e.get(), i),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        for k in &p.reads {
            readers.entry(bucket(k)).or_default().push(i);
        }
    }
    for (k, rs) in readers {
        if let Some(&w) = writers.get(&k) {
            for r in rs {
                uf.union(w, r);
            }
        }
    }
    (0..preds.len()).map(|i| uf.find(i)).collect()
}

/// One transaction as a bin executed it.
struct Done {
    index: usize,
    outcome: TxOutcome,
    access: TxAccess,
    receipt: Option<StoredReceipt>,
}

struct BinResult {
    done: Vec<Done>,
    changes: StateChanges,
}

fn run_bin(
    db: &Database,
    evm: &EvmConfig,
    next: &NextBlock,
    deposit: &StateChanges,
    txs: &[(usize, Arc<RecoveredTx>)],
) -> Result<BinResult, FatalError> {
    let base = db.latest().map_err(|e| FatalError(e.to_string()))?;
    let overlay = Overlay {
        base: &base,
        changes: deposit,
    };
    let mut state = StateDb::new(overlay);
    let mut done = Vec::with_capacity(txs.len());
    let receipts = {
        let mut exec = BlockExecutor::new(evm, next, &mut state);
        let mut blocked: HashSet<Address> = HashSet::new();
        for (index, tx) in txs {
            let mut access = TxAccess::default();
            if blocked.contains(&tx.signer) {
                access.read_accounts.push(tx.signer);
                done.push(Done {
                    index: *index,
                    outcome: TxOutcome::Invalid("sender blocked earlier in the block".into()),
                    access,
                    receipt: None,
                });
                continue;
            }
            let outcome = exec.execute_recording((**tx).clone(), &mut access)?;
            if !matches!(outcome, TxOutcome::Included) {
                // Its validity depended on the sender's account as this bin saw it.
                access.read_accounts.push(tx.signer);
                blocked.insert(tx.signer);
            }
            done.push(Done {
                index: *index,
                outcome,
                access,
                receipt: None,
            });
        }
        exec.finish().receipts
    };
    let mut receipts = receipts.into_iter();
    for d in done.iter_mut() {
        if matches!(d.outcome, TxOutcome::Included) {
            d.receipt = receipts.next();
        }
    }
    Ok(BinResult {
        done,
        changes: state.into_changes(),
    })
}

/// Applies `later` on top of `into` (a later transaction's changes win).
pub(crate) fn apply_changes(into: &mut StateChanges, later: StateChanges) {
    for (address, change) in later {
        match into.get_mut(&address) {
            Some(existing) if !change.wipe_storage => {
                existing.info = change.info;
                existing.storage.extend(change.storage);
            }
            _ => {
                into.insert(address, change);
            }
        }
    }
}

fn balance_of<P: StateProvider + ?Sized>(state: &P, address: &Address) -> Result<U256, FatalError> {
    Ok(state
        .account(address)
        .map_err(|e| FatalError(e.to_string()))?
        .map(|a| a.balance)
        .unwrap_or_default())
}

/// Executes `candidates` after the deposit whose changes are `deposit`; `None` means the block
/// must be built sequentially (no parallelism found, or a misprediction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn execute(
    db: &Database,
    evm: &EvmConfig,
    next: &NextBlock,
    pool: Option<&rayon::ThreadPool>,
    threads: usize,
    deposit: &ExecutedBlock,
    deposit_changes: StateChanges,
    candidates: Vec<Arc<RecoveredTx>>,
) -> Result<Result<ParallelOutcome, ParallelStats>, FatalError> {
    let base = db.latest().map_err(|e| FatalError(e.to_string()))?;
    let overlay = Overlay {
        base: &base,
        changes: &deposit_changes,
    };
    let mut stats = ParallelStats::default();

    // Select by gas limit (so every selected transaction fits whatever the others use) and
    // classify.
    let mut gas_left = next.gas_limit.saturating_sub(deposit.gas_used);
    let mut tail_senders: HashSet<Address> = HashSet::new();
    let mut blocked: HashSet<Address> = HashSet::new();
    let mut predicted: Vec<(Arc<RecoveredTx>, Predicted)> = Vec::new();
    let mut tail: Vec<Arc<RecoveredTx>> = Vec::new();
    for tx in candidates {
        if blocked.contains(&tx.signer) {
            continue;
        }
        if gas_left < 21_000 {
            break;
        }
        if tx.gas_limit() > gas_left {
            blocked.insert(tx.signer);
            continue;
        }
        gas_left -= tx.gas_limit();
        let prediction = if tail_senders.contains(&tx.signer) {
            None
        } else {
            predict(&tx, &overlay)?
        };
        match prediction {
            Some(p) => predicted.push((tx, p)),
            None => {
                tail_senders.insert(tx.signer);
                tail.push(tx);
            }
        }
    }
    stats.predicted = predicted.len();
    stats.tail = tail.len();

    // Group and pack into bins balanced by gas.
    let roots = group(&predicted.iter().map(|(_, p)| p).collect::<Vec<_>>());
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, r) in roots.iter().enumerate() {
        by_root.entry(*r).or_default().push(i);
    }
    stats.groups = by_root.len();
    let mut groups: Vec<(u64, Vec<usize>)> = by_root
        .into_values()
        .map(|members| {
            let gas = members.iter().map(|i| predicted[*i].0.gas_limit()).sum();
            (gas, members)
        })
        .collect();
    groups.sort_by(|a, b| b.0.cmp(&a.0).then(a.1[0].cmp(&b.1[0])));
    let bins_n = threads.max(1).min(groups.len().max(1));
    let mut bins: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); bins_n];
    for (gas, members) in groups {
        let lightest = bins
            .iter_mut()
            .min_by_key(|b| b.0)
            .expect("at least one bin");
        lightest.0 += gas;
        lightest.1.extend(members);
    }
    let total_gas: u64 = bins.iter().map(|b| b.0).sum();
    let largest = bins.iter().map(|b| b.0).max().unwrap_or_default();
    stats.bins = bins.iter().filter(|b| !b.1.is_empty()).count();
    stats.largest_bin_share = if total_gas == 0 {
        1.0
    } else {
        largest as f64 / total_gas as f64
    };
    if stats.predicted < 2 || stats.bins < 2 || stats.largest_bin_share > 0.95 {
        stats.fallback = Some("no parallelism");
        return Ok(Err(stats));
    }
    let bin_txs: Vec<Vec<(usize, Arc<RecoveredTx>)>> = bins
        .into_iter()
        .map(|(_, mut members)| {
            members.sort_unstable();
            members
                .into_iter()
                .map(|i| (i, predicted[i].0.clone()))
                .collect()
        })
        .collect();

    // Execute the bins concurrently.
    let run_all = || -> Vec<Result<BinResult, FatalError>> {
        use rayon::prelude::*;
        bin_txs
            .par_iter()
            .map(|txs| run_bin(db, evm, next, &deposit_changes, txs))
            .collect()
    };
    let results = match pool {
        Some(pool) => pool.install(run_all),
        None => run_all(),
    };
    let results: Vec<BinResult> = results.into_iter().collect::<Result<_, _>>()?;

    // Validate: no transaction may have read what an earlier transaction of another bin wrote.
    #[derive(Hash, PartialEq, Eq)]
    enum K {
        A(Address),
        S(Address, U256),
    }
    let mut writers: HashMap<K, Vec<(usize, usize)>> = HashMap::new();
    for (b, r) in results.iter().enumerate() {
        for d in &r.done {
            let writes = d
                .access
                .written_accounts
                .iter()
                .filter(|a| !FEE_ACCOUNTS.contains(a));
            for a in writes {
                writers.entry(K::A(*a)).or_default().push((d.index, b));
            }
            for (a, s) in &d.access.written_slots {
                writers.entry(K::S(*a, *s)).or_default().push((d.index, b));
            }
        }
    }
    let conflicts = |key: K, index: usize, bin: usize| {
        writers
            .get(&key)
            .is_some_and(|ws| ws.iter().any(|(i, b)| *b != bin && *i < index))
    };
    for (b, r) in results.iter().enumerate() {
        for d in &r.done {
            let hit = d
                .access
                .read_accounts
                .iter()
                .filter(|a| !FEE_ACCOUNTS.contains(a))
                .any(|a| conflicts(K::A(*a), d.index, b))
                || d.access
                    .read_slots
                    .iter()
                    .any(|(a, s)| conflicts(K::S(*a, *s), d.index, b));
            if hit {
                stats.fallback = Some("misprediction");
                metrics::counter!("agnt2_builder_mispredictions_total").increment(1);
                return Ok(Err(stats));
            }
        }
    }

    // Merge: bins touched disjoint state except the fee vaults, whose deltas add up.
    let mut merged = deposit_changes.clone();
    let mut fee_delta: HashMap<Address, U256> = HashMap::new();
    let mut fee_touched: Vec<Address> = Vec::new();
    let mut done: Vec<Done> = Vec::new();
    for r in results {
        for (address, change) in r.changes {
            if FEE_ACCOUNTS.contains(&address) {
                if !fee_touched.contains(&address) {
                    fee_touched.push(address);
                }
                let before = balance_of(&overlay, &address)?;
                let after = change.info.as_ref().map(|i| i.balance).unwrap_or_default();
                *fee_delta.entry(address).or_default() += after.saturating_sub(before);
                continue;
            }
            match merged.get_mut(&address) {
                Some(existing) => {
                    if existing.info != change.info || change.wipe_storage {
                        stats.fallback = Some("merge conflict");
                        return Ok(Err(stats));
                    }
                    existing.storage.extend(change.storage);
                }
                None => {
                    merged.insert(address, change);
                }
            }
        }
        done.extend(r.done);
    }
    // A vault that ends empty is removed, as EIP-161 removes any touched empty account.
    for address in fee_touched {
        let delta = fee_delta.get(&address).copied().unwrap_or_default();
        let current = overlay
            .account(&address)
            .map_err(|e| FatalError(e.to_string()))?;
        let nonce = current.map(|a| a.nonce).unwrap_or_default();
        let code_hash = current.map(|a| a.code_hash).unwrap_or(KECCAK256_EMPTY);
        let balance = current.map(|a| a.balance).unwrap_or_default() + delta;
        let change = if balance.is_zero() && nonce == 0 && code_hash == KECCAK256_EMPTY {
            AccountChange {
                info: None,
                wipe_storage: true,
                ..Default::default()
            }
        } else {
            AccountChange {
                info: Some(agnt2_storage::AccountUpdate {
                    nonce,
                    balance,
                    code_hash,
                    code: None,
                }),
                ..Default::default()
            }
        };
        merged.insert(address, change);
    }
    done.sort_by_key(|d| d.index);

    // Receipts in block order, then the tail on top of the merged state.
    let mut block = ExecutedBlock {
        transactions: deposit.transactions.clone(),
        receipts: deposit.receipts.clone(),
        gas_used: deposit.gas_used,
    };
    let mut invalid = Vec::new();
    for d in done {
        let tx = &predicted[d.index].0;
        match (d.outcome, d.receipt) {
            (TxOutcome::Included, Some(mut r)) => {
                block.gas_used += r.meta.gas_used;
                r.receipt = with_cumulative_gas(&r.receipt, block.gas_used);
                block.receipts.push(r);
                block.transactions.push((**tx).clone());
            }
            (TxOutcome::Invalid(reason), _) => {
                tracing::debug!(hash = %tx.hash, %reason, "dropping invalid transaction");
                invalid.push(tx.hash);
            }
            _ => {}
        }
    }
    if !tail.is_empty() {
        let tail_overlay = Overlay {
            base: &base,
            changes: &merged,
        };
        let mut state = StateDb::new(tail_overlay);
        let tail_block = {
            let next_tail = NextBlock {
                gas_limit: next.gas_limit.saturating_sub(block.gas_used),
                ..next.clone()
            };
            let mut exec = BlockExecutor::new(evm, &next_tail, &mut state);
            let mut blocked: HashSet<Address> = HashSet::new();
            for tx in &tail {
                if blocked.contains(&tx.signer) {
                    continue;
                }
                match exec.execute((**tx).clone())? {
                    TxOutcome::Included => {}
                    TxOutcome::DoesNotFit => {
                        blocked.insert(tx.signer);
                    }
                    TxOutcome::Invalid(reason) => {
                        tracing::debug!(hash = %tx.hash, %reason, "dropping invalid transaction");
                        invalid.push(tx.hash);
                        blocked.insert(tx.signer);
                    }
                }
            }
            exec.finish()
        };
        let tail_changes = state.into_changes();
        for (tx, mut r) in tail_block.transactions.into_iter().zip(tail_block.receipts) {
            block.gas_used += r.meta.gas_used;
            r.receipt = with_cumulative_gas(&r.receipt, block.gas_used);
            block.receipts.push(r);
            block.transactions.push(tx);
        }
        apply_changes(&mut merged, tail_changes);
    }
    Ok(Ok(ParallelOutcome {
        block,
        changes: merged,
        invalid,
        stats,
    }))
}
