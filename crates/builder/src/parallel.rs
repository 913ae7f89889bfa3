//! The dependency-aware parallel executor.
//!
//! A block stays an ordinary sequential block: re-executing its transactions one after another
//! with [`BlockExecutor`] gives the same receipts and state root. Parallelism is only in how the
//! builder gets there:
//!
//! 1. **Prediction.** Each candidate gets an access set before execution: a plain value transfer
//!    to an account without code touches exactly its sender and recipient; a call to an agent
//!    registry touches the keys the registry declares from its calldata; a contract call touches
//!    what speculative execution at admission saw, or else what its EIP-2930 access list names.
//!    Anything else (registry calls that call out, contract calls with neither) is *unpredicted*
//!    and goes to the sequential tail, and so does every later transaction of the same sender.
//! 2. **Grouping.** Predicted transactions that share a written key (or read what another
//!    writes) are joined into groups (union-find); groups are packed into one bin per thread,
//!    balanced by gas. Bins run on worker threads with no synchronisation per transaction, each
//!    over its own overlay of the state after the block's L1-attributes deposit.
//! 3. **Fees.** Every transaction credits the fee vaults; those credits commute, so bins keep
//!    them locally and the merge adds the per-bin deltas (as pevm and Monad do). That is exact
//!    only if no code looks at a vault: transfers and registry calls cannot, and contract calls
//!    run with the executor's fee-vault guard (`execute_guarded`), which turns any such look into a fallback.
//! 4. **Validation and repair.** Each transaction's actual reads (accounts and slots) are checked
//!    against the actual writes of earlier transactions in other bins. A hit means a
//!    misprediction. Bins note which speculated or access-listed transactions touched keys outside
//!    their prediction; if there are any, their predictions gain what they actually touched and
//!    the block is regrouped and its bins run again, once. Otherwise (or if the second round
//!    conflicts too) the block is built sequentially. Either way a wrong prediction costs time,
//!    never correctness. The sequential path is also taken when grouping finds no parallelism.
//!
//! Block order (the ordering rule): predicted transactions first, in the pool's fee-priority
//! order, then the tail in pool order. A sender's transactions keep their nonce order because
//! once one of them goes to the tail, all its later ones do too. A predicted transfer whose
//! recipient turns out to have code is deferred to the tail with its sender's later
//! transactions (its bin never saw its effects, so the moved order is still exact).

use std::sync::Arc;

use alloy_primitives::map::{HashMap, HashSet};

use agnt2_evm::{
    BlockExecutor, EvmConfig, ExecutedBlock, FatalError, NextBlock, StateDb, TxAccess, TxOutcome,
    set_cumulative_gas,
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
    /// Predicted transactions moved to the tail at execution (a "transfer" to a contract).
    pub deferred: usize,
    /// Independent groups among the predicted transactions.
    pub groups: usize,
    /// Bins that ran concurrently.
    pub bins: usize,
    /// Gas share of the largest bin (1.0 = no parallelism).
    pub largest_bin_share: f64,
    /// Why the block fell back to sequential execution, if it did.
    pub fallback: Option<&'static str>,
    /// Times the bins ran again after a misprediction, regrouped with what the transactions
    /// that left their predictions actually touched (at most once per block).
    pub repairs: usize,
    /// Transactions whose actual access left their prediction, when a repair happened.
    pub escaped: usize,
    /// Executions beyond each transaction's first: a repair round runs the bins again, and a
    /// fallback after the bins ran rebuilds their transactions sequentially.
    pub reexecuted: usize,
}

/// The result of executing a block's user transactions.
#[derive(Debug)]
pub(crate) struct ParallelOutcome {
    pub block: ExecutedBlock,
    pub changes: StateChanges,
    pub invalid: Vec<B256>,
    pub stats: ParallelStats,
}

/// A registry conflict key, named by its derivation (its fingerprint depends on how other
/// transactions of the block name the same domain, so it is taken at grouping).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// An exact registry slot.
    Slot(Address, u8, Vec<U256>),
    /// Every slot of one registry domain whose key words start with these.
    Prefix(Address, u8, Vec<U256>),
}

struct Predicted {
    /// Fingerprints of the accounts and raw slots read and written.
    reads: Vec<u64>,
    writes: Vec<u64>,
    /// Registry keys read and written.
    registry_reads: Vec<Key>,
    registry_writes: Vec<Key>,
    /// A plain transfer: its access is exactly sender and recipient, provided the recipient has
    /// no code, which the bin checks on its own cached state right before executing it.
    transfer_to: Option<Address>,
    /// Predicted by speculative execution: contract code runs, so the bin watches it for fee
    /// vault access.
    guarded: bool,
    /// Gas the transaction is expected to use (its limit when nothing better is known).
    est_gas: u64,
    /// Keys learnt by speculative execution (shared with the cache, not copied).
    learnt: Option<Arc<Learnt>>,
}

/// 64-bit fingerprints of conflict keys, under one random seed per process (so fingerprints
/// taken at admission and at block building agree, and nobody can aim collisions at them). A
/// collision can only join groups that did not need joining or report a conflict that is not
/// there: a lost chance of parallelism, never a wrong block.
mod fingerprint {
    use std::{
        hash::{BuildHasher, Hasher},
        sync::LazyLock,
    };

    use alloy_primitives::{Address, U256, map::DefaultHashBuilder};

    static SEED: LazyLock<DefaultHashBuilder> = LazyLock::new(DefaultHashBuilder::default);

    pub(super) fn hasher() -> impl Hasher {
        SEED.build_hasher()
    }

    pub(super) fn account(a: &Address) -> u64 {
        let mut h = hasher();
        h.write_u8(0);
        h.write(a.as_slice());
        h.finish()
    }

    pub(super) fn storage(a: &Address, slot: &U256) -> u64 {
        let mut h = hasher();
        h.write_u8(1);
        h.write(a.as_slice());
        h.write(&slot.to_be_bytes::<32>());
        h.finish()
    }
}

/// Above this many cached predictions the cache starts over (stale entries of evicted
/// transactions would otherwise accumulate).
const MAX_CACHED_PREDICTIONS: usize = 400_000;

/// Fingerprints of accessed accounts (fee vaults left out: their credits merge apart) and slots.
fn fingerprints<'a>(
    accounts: &'a [Address],
    slots: &'a [(Address, U256)],
) -> impl Iterator<Item = u64> + 'a {
    accounts
        .iter()
        .filter(|a| !FEE_ACCOUNTS.contains(a))
        .map(fingerprint::account)
        .chain(slots.iter().map(|(a, s)| fingerprint::storage(a, s)))
}

/// What speculative execution learnt about one transaction: the fingerprints of the accounts
/// and slots it read and wrote, and the gas it used.
#[derive(Debug)]
struct Learnt {
    reads: Vec<u64>,
    writes: Vec<u64>,
    gas: u64,
}

/// Access sets learnt by executing transactions speculatively (at pool admission, against the
/// state of the time), keyed by transaction hash. A stale entry only costs a misprediction,
/// which validation catches.
#[derive(Debug, Default)]
pub struct PredictionCache {
    entries: parking_lot::Mutex<HashMap<B256, Arc<Learnt>>>,
}

impl PredictionCache {
    fn get(&self, hash: &B256) -> Option<Arc<Learnt>> {
        self.entries.lock().get(hash).cloned()
    }

    /// Forgets transactions that left the pool (included or dropped).
    pub fn forget<'a>(&self, hashes: impl IntoIterator<Item = &'a B256>) {
        let mut e = self.entries.lock();
        for h in hashes {
            e.remove(h);
        }
    }

    /// Number of cached predictions.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Executes `txs` speculatively on the head state and caches what each read and wrote. Runs on
/// `pool`; a sender's transactions go to the same worker in order, so nonces line up.
/// Transactions that are invalid now, or whose code touches a fee vault, get no entry (they
/// will run in the sequential tail).
pub(crate) fn speculate(
    db: &Database,
    evm: &EvmConfig,
    next: &NextBlock,
    pool: Option<&rayon::ThreadPool>,
    threads: usize,
    cache: &PredictionCache,
    txs: &[Arc<RecoveredTx>],
) -> Result<usize, FatalError> {
    let workers = threads.max(1);
    let mut shards: Vec<Vec<&Arc<RecoveredTx>>> = vec![Vec::new(); workers];
    for tx in txs {
        // Plain transfers need no speculation; registry calls get their keys from calldata but
        // are speculated too, for their gas.
        let plain = tx.envelope.input().is_empty();
        if plain || cache.get(&tx.hash).is_some() {
            continue;
        }
        let shard = (tx.signer.0[19] as usize) % workers;
        shards[shard].push(tx);
    }
    type Shard<'a> = Vec<&'a Arc<RecoveredTx>>;
    let run = |shard: &Shard<'_>| -> Result<Vec<(B256, Arc<Learnt>)>, FatalError> {
        let base = db
            .latest()
            .map_err(|e| FatalError::from(agnt2_storage::ProviderError::from(e)))?;
        let mut state = StateDb::new(base);
        let mut exec = BlockExecutor::new(evm, next, &mut state);
        let mut out = Vec::new();
        for tx in shard {
            let mut access = TxAccess::default();
            let left = exec.gas_left();
            let outcome = exec.execute_guarded((***tx).clone(), &mut access)?;
            let gas_used = left - exec.gas_left();
            if !matches!(outcome, TxOutcome::Included) || access.touches_fee_vault {
                continue;
            }
            let reads = fingerprints(&access.read_accounts, &access.read_slots).collect();
            let writes = fingerprints(&access.written_accounts, &access.written_slots).collect();
            out.push((
                tx.hash,
                Arc::new(Learnt {
                    reads,
                    writes,
                    gas: gas_used,
                }),
            ));
        }
        Ok(out)
    };
    let results: Vec<_> = {
        use rayon::prelude::*;
        let all = || {
            shards
                .par_iter()
                .filter(|shard| !shard.is_empty())
                .map(run)
                .collect::<Vec<_>>()
        };
        match pool {
            Some(pool) => pool.install(all),
            None => all(),
        }
    };
    let mut entries = cache.entries.lock();
    // Transactions evicted from the pool are never forgotten one by one; bound the cache.
    if entries.len() > MAX_CACHED_PREDICTIONS {
        entries.clear();
    }
    let mut n = 0;
    for r in results {
        for (hash, keys) in r? {
            entries.insert(hash, keys);
            n += 1;
        }
    }
    Ok(n)
}

fn predict<P: StateProvider + ?Sized>(
    tx: &RecoveredTx,
    state: &P,
    cache: &HashMap<B256, Arc<Learnt>>,
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
    let mut writes = Vec::with_capacity(2);
    writes.push(fingerprint::account(&sender));
    let mut p = Predicted {
        reads: Vec::new(),
        writes,
        registry_reads: Vec::new(),
        registry_writes: Vec::new(),
        transfer_to: None,
        guarded: false,
        est_gas: tx.gas_limit(),
        learnt: None,
    };
    let input = tx.envelope.input();
    let value = tx.envelope.value();
    if is_native(&to) || to == IDENTITY_REGISTRY {
        let Some(set) = declared_access(to, sender, input) else {
            // Undecodable calldata reverts before touching registry state.
            p.reads.push(fingerprint::account(&to));
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
            p.reads.push(fingerprint::account(&to));
        } else {
            p.writes.push(fingerprint::account(&to));
        }
        p.registry_reads.extend(set.reads.iter().map(key_of));
        p.registry_writes.extend(set.writes.iter().map(key_of));
        if let Some(l) = cache.get(&tx.hash) {
            p.est_gas = l.gas;
        }
        return Ok(Some(p));
    }
    if !input.is_empty() {
        // Contract code: what speculative execution learnt, else the EIP-2930 access list
        // (every entry counted as written: the list does not say which are).
        if let Some(keys) = cache.get(&tx.hash) {
            return Ok(Some(Predicted {
                reads: Vec::new(),
                writes: Vec::new(),
                registry_reads: Vec::new(),
                registry_writes: Vec::new(),
                transfer_to: None,
                guarded: true,
                est_gas: keys.gas,
                learnt: Some(keys.clone()),
            }));
        }
        let Some(list) = tx.envelope.access_list().filter(|l| !l.0.is_empty()) else {
            return Ok(None);
        };
        if list
            .0
            .iter()
            .any(|item| FEE_ACCOUNTS.contains(&item.address))
        {
            return Ok(None);
        }
        p.reads.push(fingerprint::account(&to));
        for item in list.iter() {
            p.writes.push(fingerprint::account(&item.address));
            for slot in &item.storage_keys {
                p.writes.push(fingerprint::storage(
                    &item.address,
                    &U256::from_be_bytes(slot.0),
                ));
            }
        }
        p.guarded = true;
        return Ok(Some(p));
    }
    p.writes.push(fingerprint::account(&to));
    p.transfer_to = Some(to);
    // A value transfer without calldata to an account without code costs exactly this.
    p.est_gas = 21_000;
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
        .map_err(FatalError::from)?
        .is_some_and(|a| a.code_hash != KECCAK256_EMPTY))
}

fn key_of(k: &AccessKey) -> Key {
    match k {
        AccessKey::Slot(a, s) | AccessKey::Bytes(a, s) => Key::Slot(*a, s.domain, s.parts.clone()),
        AccessKey::Prefix(a, d, lead) => Key::Prefix(*a, *d, lead.clone()),
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
/// Keys are bucketed so that any two keys that may name the same slot land in the same bucket:
/// in a registry domain where some transaction names slots by a prefix of `L` key words, every
/// key of that domain is cut to its first `L` words (a prefix covers exactly the slots that
/// share those words).
///
/// Returns each transaction's group root and how many keys it is the first to name (a group's
/// count of distinct keys is roughly the sum over its members; reads of keys nobody writes are
/// counted by every reader).
fn group(preds: &[&Predicted]) -> (Vec<usize>, Vec<u32>) {
    use std::hash::Hasher;
    let mut shortest: HashMap<(Address, u8), usize> = HashMap::default();
    for p in preds {
        for k in p.registry_reads.iter().chain(&p.registry_writes) {
            if let Key::Prefix(a, d, lead) = k {
                let e = shortest.entry((*a, *d)).or_insert(lead.len());
                *e = (*e).min(lead.len());
            }
        }
    }
    let id = |k: &Key| -> u64 {
        let (Key::Slot(a, d, parts) | Key::Prefix(a, d, parts)) = k;
        let cut = shortest
            .get(&(*a, *d))
            .map_or(parts.len(), |l| (*l).min(parts.len()));
        let mut h = fingerprint::hasher();
        h.write_u8(2);
        h.write(a.as_slice());
        h.write_u8(*d);
        for part in &parts[..cut] {
            h.write(&part.to_be_bytes::<32>());
        }
        h.finish()
    };
    let capacity = preds
        .iter()
        .map(|p| {
            p.writes.len()
                + p.registry_writes.len()
                + p.learnt.as_ref().map_or(0, |l| l.writes.len())
        })
        .sum();
    let mut writers: HashMap<u64, usize> =
        HashMap::with_capacity_and_hasher(capacity, Default::default());
    let mut uf = Groups((0..preds.len()).collect());
    let mut fresh = vec![0u32; preds.len()];
    for (i, p) in preds.iter().enumerate() {
        let learnt = p.learnt.iter().flat_map(|l| l.writes.iter().copied());
        let registry = p.registry_writes.iter().map(id);
        for k in p.writes.iter().copied().chain(registry).chain(learnt) {
            match writers.entry(k) {
                alloy_primitives::map::Entry::Occupied(e) => uf.union(*e.get(), i),
                alloy_primitives::map::Entry::Vacant(e) => {
                    e.insert(i);
                    fresh[i] += 1;
                }
            }
        }
    }
    for (i, p) in preds.iter().enumerate() {
        let learnt = p.learnt.iter().flat_map(|l| l.reads.iter().copied());
        let registry = p.registry_reads.iter().map(id);
        for k in p.reads.iter().copied().chain(registry).chain(learnt) {
            match writers.get(&k) {
                Some(&w) => uf.union(w, i),
                None => fresh[i] += 1,
            }
        }
    }
    let roots = (0..preds.len()).map(|i| uf.find(i)).collect();
    (roots, fresh)
}

/// What loading and tracking one state key costs a bin, in gas of execution: an MDBX read, the
/// overlay's caches, the access summary and a change-set entry. Measured on the mix workload
/// (a bin of 14k transfers to one hot account against one of transfers to fresh accounts):
/// about 2 µs a key against 3.6 µs for the rest of a 21,000-gas transfer.
const KEY_COST_GAS: u64 = 12_000;

/// Packs groups (named by `roots`, each group's smallest member: union keeps the smaller
/// index) into one bin per thread: heaviest group first, into the lightest bin. Weight is the
/// expected gas plus [`KEY_COST_GAS`] per distinct key (`fresh`), so a group of many
/// transactions on few accounts weighs less than as many on fresh ones. A bin runs its members
/// in block order. `None` when that leaves no parallelism.
fn pack(
    predicted: &[(Arc<RecoveredTx>, Predicted, usize)],
    roots: &[usize],
    fresh: &[u32],
    threads: usize,
    stats: &mut ParallelStats,
) -> Option<Vec<Vec<BinTx>>> {
    let n = predicted.len();
    let mut gas = vec![0u64; n];
    for (i, root) in roots.iter().enumerate() {
        let (tx, p, _) = &predicted[i];
        gas[*root] += p.est_gas.min(tx.gas_limit()) + KEY_COST_GAS * u64::from(fresh[i]);
    }
    let mut groups: Vec<(u64, usize)> = (0..n)
        .filter(|i| roots[*i] == *i)
        .map(|root| (gas[root], root))
        .collect();
    stats.groups = groups.len();
    groups.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let bins_n = threads.max(1).min(groups.len().max(1));
    let mut load = vec![0u64; bins_n];
    let mut bin_of = vec![0usize; n];
    for (g, root) in &groups {
        let mut lightest = 0;
        for (b, l) in load.iter().enumerate() {
            if *l < load[lightest] {
                lightest = b;
            }
        }
        load[lightest] += g;
        bin_of[*root] = lightest;
    }
    let total_gas: u64 = load.iter().sum();
    let largest = load.iter().copied().max().unwrap_or_default();
    let mut bin_txs: Vec<Vec<BinTx>> = vec![Vec::new(); bins_n];
    for (i, root) in roots.iter().enumerate() {
        let (tx, p, _) = &predicted[i];
        bin_txs[bin_of[*root]].push((i, tx.clone(), p.transfer_to, p.guarded));
    }
    stats.bins = bin_txs.iter().filter(|b| !b.is_empty()).count();
    stats.largest_bin_share = if total_gas == 0 {
        1.0
    } else {
        largest as f64 / total_gas as f64
    };
    let parallel = stats.predicted >= 2 && stats.bins >= 2 && stats.largest_bin_share <= 0.95;
    parallel.then_some(bin_txs)
}

/// A transaction handed to a bin: its block-order index, the transaction, and the recipient
/// when it was predicted as a plain transfer.
type BinTx = (usize, Arc<RecoveredTx>, Option<Address>, bool);

/// One transaction as a bin executed it.
struct Done {
    index: usize,
    outcome: TxOutcome,
    receipt: Option<(RecoveredTx, StoredReceipt)>,
}

/// What a bin actually touched, by key fingerprint (fee vaults left out): the earliest block
/// index at which it wrote the key (`u32::MAX` if never) and the latest at which it touched it.
/// Built on the bin's own thread, so validation only has to compare the bins' summaries.
struct Touched(HashMap<u64, (u32, u32)>);

impl Touched {
    fn note(&mut self, key: u64, index: u32, write: bool) {
        let e = self.0.entry(key).or_insert((u32::MAX, index));
        if write {
            e.0 = e.0.min(index);
        }
        e.1 = e.1.max(index);
    }

    fn account(&mut self, a: &Address, index: u32, write: bool) {
        if !FEE_ACCOUNTS.contains(a) {
            self.note(fingerprint::account(a), index, write);
        }
    }
}

/// A transaction's actual access as fingerprints (fee vaults left out), in buffers reused from
/// one transaction to the next.
#[derive(Default)]
struct Actual {
    reads: Vec<u64>,
    writes: Vec<u64>,
}

impl Actual {
    fn take(&mut self, access: &mut TxAccess) {
        self.reads.clear();
        self.writes.clear();
        self.reads
            .extend(fingerprints(&access.read_accounts, &access.read_slots));
        self.writes.extend(fingerprints(
            &access.written_accounts,
            &access.written_slots,
        ));
        access.read_accounts.clear();
        access.written_accounts.clear();
        access.read_slots.clear();
        access.written_slots.clear();
    }

    fn note(&self, touched: &mut Touched, index: u32) {
        for k in &self.reads {
            touched.note(*k, index, false);
        }
        for k in &self.writes {
            touched.note(*k, index, true);
        }
    }

    /// Whether this access left the keys `p` predicted (reads may hit any predicted key,
    /// writes only predicted writes).
    fn escapes(&self, p: &Predicted) -> bool {
        let learnt = p.learnt.as_deref();
        let written =
            |k: &u64| p.writes.contains(k) || learnt.is_some_and(|l| l.writes.contains(k));
        let read = |k: &u64| {
            written(k) || p.reads.contains(k) || learnt.is_some_and(|l| l.reads.contains(k))
        };
        !self.writes.iter().all(written) || !self.reads.iter().all(read)
    }
}

/// A transaction whose actual access left its prediction: if validation then finds a conflict,
/// the block is regrouped once with these keys added, and the bins run again.
struct Escape {
    index: usize,
    reads: Vec<u64>,
    writes: Vec<u64>,
}

struct BinResult {
    done: Vec<Done>,
    escaped: Vec<Escape>,
    changes: SortedChanges,
    /// The fee vaults' changes, taken out of `changes`: they merge as deltas.
    fees: Vec<(Address, AccountChange)>,
    touched: Touched,
    /// Predicted transfers whose recipient turned out to have code, with every later
    /// transaction of their senders: they move to the tail.
    deferred: Vec<usize>,
}

/// Runs one bin over `overlay` (the block's snapshot with the deposit applied: the same one
/// prediction, the merge and the tail read, so every part of the block sees one state).
fn run_bin<P: StateProvider>(
    overlay: &Overlay<'_, P>,
    evm: &EvmConfig,
    next: &NextBlock,
    txs: &[BinTx],
    predicted: &[(Arc<RecoveredTx>, Predicted, usize)],
) -> Result<Result<BinResult, &'static str>, FatalError> {
    let overlay = Overlay {
        base: overlay.base,
        changes: overlay.changes,
    };
    let mut state = StateDb::new(overlay);
    let mut done = Vec::with_capacity(txs.len());
    let mut deferred = Vec::new();
    let mut touched = Touched(HashMap::with_capacity_and_hasher(
        txs.len() * 3,
        Default::default(),
    ));
    let mut access = TxAccess::default();
    let mut actual = Actual::default();
    let mut escaped = Vec::new();
    let receipts = {
        let mut exec = BlockExecutor::new(evm, next, &mut state);
        let mut blocked: HashSet<Address> = HashSet::default();
        let mut deferred_senders: HashSet<Address> = HashSet::default();
        for (index, tx, transfer_to, guarded) in txs {
            let at = *index as u32;
            if deferred_senders.contains(&tx.signer) {
                deferred.push(*index);
                continue;
            }
            if blocked.contains(&tx.signer) {
                touched.account(&tx.signer, at, false);
                // Skipped, not invalid: it stays in the pool for a later block.
                done.push(Done {
                    index: *index,
                    outcome: TxOutcome::DoesNotFit,
                    receipt: None,
                });
                continue;
            }
            let outcome = match transfer_to {
                Some(to) => {
                    if exec.has_code(*to)? {
                        // Code would run: not a plain transfer after all. Moving it (and its
                        // sender's later transactions) behind everything else is still a valid
                        // order, and nothing in this bin saw its effects.
                        deferred_senders.insert(tx.signer);
                        deferred.push(*index);
                        continue;
                    }
                    // Exact by construction: sender and recipient (fees are merged apart).
                    touched.account(&tx.signer, at, true);
                    touched.account(to, at, true);
                    exec.execute((**tx).clone())?
                }
                None => {
                    let outcome = if *guarded {
                        let outcome = exec.execute_guarded((**tx).clone(), &mut access)?;
                        if access.touches_fee_vault {
                            return Ok(Err("contract code touched a fee vault"));
                        }
                        outcome
                    } else {
                        exec.execute_recording((**tx).clone(), &mut access)?
                    };
                    actual.take(&mut access);
                    actual.note(&mut touched, at);
                    // Speculated and access-listed predictions are in the same terms as the
                    // actual access; registry keys are exact by the registries' declarations.
                    if *guarded && actual.escapes(&predicted[*index].1) {
                        escaped.push(Escape {
                            index: *index,
                            reads: actual.reads.clone(),
                            writes: actual.writes.clone(),
                        });
                    }
                    outcome
                }
            };
            if !matches!(outcome, TxOutcome::Included) {
                // Its validity depended on the sender's account as this bin saw it.
                touched.account(&tx.signer, at, false);
                blocked.insert(tx.signer);
            }
            done.push(Done {
                index: *index,
                outcome,
                receipt: None,
            });
        }
        let out = exec.finish();
        out.transactions.into_iter().zip(out.receipts)
    };
    let mut receipts = receipts;
    for d in done.iter_mut() {
        if matches!(d.outcome, TxOutcome::Included) {
            d.receipt = receipts.next();
        }
    }
    let fees = FEE_ACCOUNTS
        .iter()
        .filter_map(|a| state.take_change(a).map(|c| (*a, c)))
        .collect();
    Ok(Ok(BinResult {
        done,
        escaped,
        changes: state.into_sorted_changes(),
        fees,
        touched,
        deferred,
    }))
}

/// Checks the bins' actual accesses: a key touched by one bin only is fine; for a key several
/// bins touched, no bin may have touched it after another bin's earlier transaction wrote it.
/// Returns the reason to fall back, if any.
/// Returns the fingerprint of a conflicting key, if any.
fn validate(results: &mut [BinResult]) -> Option<u64> {
    let (first, rest) = results.split_first_mut()?;
    // Earlier bins' summaries, folded together: the earliest write and the latest touch.
    let mut seen = std::mem::take(&mut first.touched.0);
    let last = rest.len().saturating_sub(1);
    for (n, r) in rest.iter_mut().enumerate() {
        let mine = std::mem::take(&mut r.touched.0);
        for (k, (w, t)) in mine {
            match seen.entry(k) {
                alloy_primitives::map::Entry::Occupied(mut e) => {
                    let (ew, et) = *e.get();
                    if ew < t || w < et {
                        return Some(k);
                    }
                    e.insert((ew.min(w), et.max(t)));
                }
                alloy_primitives::map::Entry::Vacant(e) => {
                    if n != last {
                        e.insert((w, t));
                    }
                }
            }
        }
    }
    None
}

/// One account's changes, sorted by address.
type SortedChanges = Vec<(Address, AccountChange)>;

/// Merges change lists of disjoint transactions (each sorted by address) in one k-way pass: an
/// account in several lists must carry the same fields in each (touched, not changed, by all
/// but one) and its slots are united. `None` when they disagree.
fn merge_sorted(lists: Vec<SortedChanges>) -> Option<StateChanges> {
    let mut lists: Vec<_> = lists
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    let mut disagree = false;
    let merged = std::iter::from_fn(|| {
        let first = lists
            .iter_mut()
            .filter_map(|l| l.peek().map(|(a, _)| *a))
            .min()?;
        let mut merged: Option<AccountChange> = None;
        for list in lists.iter_mut() {
            let Some((_, y)) = list.next_if(|(a, _)| *a == first) else {
                continue;
            };
            merged = Some(match merged {
                None => y,
                Some(mut x) => {
                    // Both sides removed the same empty account (EIP-161 after a touch, e.g.
                    // the identity core or a standard precompile): the same change.
                    let same_removal = x.info.is_none()
                        && y.info.is_none()
                        && x.storage.is_empty()
                        && y.storage.is_empty();
                    if !same_removal && (x.info != y.info || x.wipe_storage || y.wipe_storage) {
                        disagree = true;
                        return None;
                    }
                    x.storage.extend(y.storage);
                    x
                }
            });
        }
        merged.map(|m| (first, m))
    });
    // The merged sequence is sorted, so the map is built in one pass.
    let out: StateChanges = merged.collect();
    (!disagree).then_some(out)
}

/// Applies `later` on top of `into` (a later transaction's changes win).
pub(crate) fn apply_changes(into: &mut StateChanges, later: StateChanges) {
    for (address, mut change) in later {
        match into.get_mut(&address) {
            Some(existing) if !change.wipe_storage => {
                // Code first set earlier in the block is still new code for storage to write.
                if let (Some(new), Some(old)) = (change.info.as_mut(), existing.info.as_ref())
                    && new.code.is_none()
                    && new.code_hash == old.code_hash
                {
                    new.code = old.code.clone();
                }
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
        .map_err(FatalError::from)?
        .map(|a| a.balance)
        .unwrap_or_default())
}

/// Merges the bins' changes on top of the deposit's: fee-vault credits as summed deltas, the
/// rest as disjoint sets. `Ok(Err(reason))` when they do not merge (the block falls back).
fn merge_states<P: StateProvider + ?Sized>(
    overlay: &P,
    deposit_changes: StateChanges,
    bins: Vec<(SortedChanges, Vec<(Address, AccountChange)>)>,
) -> Result<Result<StateChanges, &'static str>, FatalError> {
    let mut fee_delta: HashMap<Address, U256> = HashMap::default();
    let mut fee_touched: Vec<Address> = Vec::new();
    let mut lists = Vec::with_capacity(bins.len() + 1);
    lists.push(deposit_changes.into_iter().collect());
    for (changes, fees) in bins {
        for (address, change) in fees {
            if !fee_touched.contains(&address) {
                fee_touched.push(address);
            }
            let before = balance_of(overlay, &address)?;
            let after = change.info.as_ref().map(|i| i.balance).unwrap_or_default();
            let Some(delta) = after.checked_sub(before) else {
                return Ok(Err("fee vault balance went down"));
            };
            *fee_delta.entry(address).or_default() += delta;
        }
        lists.push(changes);
    }
    let Some(mut merged) = merge_sorted(lists) else {
        return Ok(Err("merge conflict"));
    };
    // A vault that ends empty is removed, as EIP-161 removes any touched empty account.
    for address in fee_touched {
        let delta = fee_delta.get(&address).copied().unwrap_or_default();
        let current = overlay.account(&address).map_err(FatalError::from)?;
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
    Ok(Ok(merged))
}

/// Puts the bins' receipts in block order (each bin's list is already in order: a k-way merge)
/// after the deposit's, with cumulative gas, and collects the invalid transactions. `Err` when
/// a transaction would not have been admitted by the sequential executor's gas check.
fn receipts_in_order(
    next: &NextBlock,
    deposit: &ExecutedBlock,
    predicted: &[(Arc<RecoveredTx>, Predicted, usize)],
    dones: Vec<Vec<Done>>,
) -> Result<(ExecutedBlock, Vec<B256>), &'static str> {
    let total: usize = dones.iter().map(Vec::len).sum();
    let mut block = ExecutedBlock {
        transactions: deposit.transactions.clone(),
        receipts: deposit.receipts.clone(),
        gas_used: deposit.gas_used,
    };
    let mut invalid = Vec::new();
    block.transactions.reserve(total);
    block.receipts.reserve(total);
    let mut lists: Vec<_> = dones
        .into_iter()
        .map(|d| d.into_iter().peekable())
        .collect();
    loop {
        let mut first: Option<(usize, usize)> = None;
        for (n, list) in lists.iter_mut().enumerate() {
            if let Some(d) = list.peek()
                && first.is_none_or(|(_, index)| d.index < index)
            {
                first = Some((n, d.index));
            }
        }
        let Some(d) = first.and_then(|(n, _)| lists[n].next()) else {
            break;
        };
        let tx = &predicted[d.index].0;
        match (d.outcome, d.receipt) {
            (TxOutcome::Included, Some((executed, mut r))) => {
                // The sequential executor admits a transaction only if its limit fits.
                if executed.gas_limit() > next.gas_limit.saturating_sub(block.gas_used) {
                    return Err("gas estimate exceeded");
                }
                block.gas_used += r.meta.gas_used;
                set_cumulative_gas(&mut r.receipt, block.gas_used);
                block.receipts.push(r);
                block.transactions.push(executed);
            }
            (TxOutcome::Invalid(reason), _) => {
                tracing::debug!(hash = %tx.hash, %reason, "dropping invalid transaction");
                invalid.push(tx.hash);
            }
            _ => {}
        }
    }
    Ok((block, invalid))
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
    cache: &PredictionCache,
) -> Result<Result<ParallelOutcome, ParallelStats>, FatalError> {
    let base = db
        .latest()
        .map_err(|e| FatalError::from(agnt2_storage::ProviderError::from(e)))?;
    let overlay = Overlay {
        base: &base,
        changes: &deposit_changes,
    };
    let mut stats = ParallelStats::default();
    if threads < 2 {
        stats.fallback = Some("one thread");
        return Ok(Err(stats));
    }
    let t0 = std::time::Instant::now();
    let last = std::cell::Cell::new(std::time::Instant::now());
    let phase = |name: &'static str, t: &std::time::Instant| {
        let now = std::time::Instant::now();
        metrics::histogram!("agnt2_builder_parallel_phase_seconds", "phase" => name)
            .record((now - last.get()).as_secs_f64());
        last.set(now);
        tracing::debug!(
            phase = name,
            elapsed_ms = t.elapsed().as_secs_f64() * 1e3,
            "parallel build"
        );
    };

    // Classify. Predicted transactions are admitted while the gas expected before them plus
    // their own limit fits (the condition the sequential executor checks); after execution the
    // actual figures are checked again. The tail runs afterwards on the gas actually left, as
    // the sequential builder would.
    let block_left = next.gas_limit.saturating_sub(deposit.gas_used);
    let mut expected: u64 = 0;
    let mut tail_senders: HashSet<Address> = HashSet::default();
    let mut blocked: HashSet<Address> = HashSet::default();
    let mut predicted: Vec<(Arc<RecoveredTx>, Predicted, usize)> =
        Vec::with_capacity(candidates.len());
    let mut tail: Vec<(usize, Arc<RecoveredTx>)> = Vec::new();
    let learnt = cache.entries.lock();
    // An indexed collect writes each prediction in place (collecting into a `Result` would
    // gather pieces in a list and copy them again); errors are taken out below.
    let predictions: Vec<Result<Option<Predicted>, FatalError>> = {
        use rayon::prelude::*;
        let learnt: &HashMap<B256, Arc<Learnt>> = &learnt;
        let predict_all = || {
            candidates
                .par_iter()
                .map(|tx| predict(tx, &overlay, learnt))
                .collect::<Vec<_>>()
        };
        match pool {
            Some(pool) => pool.install(predict_all),
            None => predict_all(),
        }
    };
    drop(learnt);
    for (pool_index, (tx, prediction)) in candidates.into_iter().zip(predictions).enumerate() {
        let prediction = prediction?;
        if blocked.contains(&tx.signer) {
            continue;
        }
        let prediction = if tail_senders.contains(&tx.signer) {
            None
        } else {
            prediction
        };
        match prediction {
            Some(p) if expected.saturating_add(tx.gas_limit()) <= block_left => {
                expected += p.est_gas.min(tx.gas_limit());
                predicted.push((tx, p, pool_index));
            }
            Some(_) => {
                blocked.insert(tx.signer);
            }
            None => {
                tail_senders.insert(tx.signer);
                tail.push((pool_index, tx));
            }
        }
    }
    phase("predict", &t0);
    stats.predicted = predicted.len();
    stats.tail = tail.len();

    // Group, pack into bins and run them; when validation finds a conflict that transactions
    // which left their predictions explain, regroup once with what they actually touched and run
    // the bins again (cheaper than the sequential rebuild it avoids).
    let mut rounds = 0;
    let results = loop {
        let (roots, fresh) = group(&predicted.iter().map(|(_, p, _)| p).collect::<Vec<_>>());
        let Some(bin_txs) = pack(&predicted, &roots, &fresh, threads, &mut stats) else {
            stats.fallback = Some("no parallelism");
            stats.reexecuted = rounds * stats.predicted;
            return Ok(Err(stats));
        };
        phase("group", &t0);
        let run_all = || -> Vec<Result<Result<BinResult, &'static str>, FatalError>> {
            use rayon::prelude::*;
            let one = |txs: &Vec<BinTx>| {
                let t = std::time::Instant::now();
                let r = run_bin(&overlay, evm, next, txs, &predicted);
                tracing::debug!(
                    txs = txs.len(),
                    start_ms = (t - t0).as_secs_f64() * 1e3,
                    elapsed_ms = t.elapsed().as_secs_f64() * 1e3,
                    "bin"
                );
                r
            };
            bin_txs.par_iter().map(one).collect()
        };
        let outcomes = match pool {
            Some(pool) => pool.install(run_all),
            None => run_all(),
        };
        let mut results = Vec::with_capacity(outcomes.len());
        for r in outcomes {
            match r? {
                Ok(b) => results.push(b),
                Err(reason) => {
                    stats.fallback = Some(reason);
                    metrics::counter!("agnt2_builder_mispredictions_total").increment(1);
                    stats.reexecuted = (rounds + 1) * stats.predicted;
                    return Ok(Err(stats));
                }
            }
        }
        rounds += 1;
        phase("bins", &t0);
        // Validate: no transaction may have read what an earlier transaction of another bin
        // wrote.
        let Some(conflict) = validate(&mut results) else {
            break results;
        };
        metrics::counter!("agnt2_builder_mispredictions_total").increment(1);
        let escaped: Vec<Escape> = results
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.escaped))
            .collect();
        // Regrouping helps only if a transaction that left its prediction touched the key in
        // conflict (a registry slot named two ways, say, would conflict again).
        let explained = escaped
            .iter()
            .any(|e| e.reads.contains(&conflict) || e.writes.contains(&conflict));
        if stats.repairs > 0 || !explained {
            stats.fallback = Some("misprediction");
            stats.reexecuted = rounds * stats.predicted;
            return Ok(Err(stats));
        }
        stats.repairs += 1;
        stats.escaped = escaped.len();
        metrics::counter!("agnt2_builder_repairs_total").increment(1);
        tracing::debug!(escaped = escaped.len(), "regrouping after a misprediction");
        drop(results);
        for e in escaped {
            let p = &mut predicted[e.index].1;
            p.reads.extend(e.reads);
            p.writes.extend(e.writes);
        }
    };

    stats.reexecuted = (rounds - 1) * stats.predicted;
    phase("validate", &t0);
    // Merge the state (bins touched disjoint state except the fee vaults, whose deltas add up)
    // while the receipts are put in block order: the two are independent.
    let mut deferred: Vec<usize> = Vec::new();
    let mut dones = Vec::with_capacity(results.len());
    let mut bin_changes = Vec::with_capacity(results.len());
    for mut r in results {
        deferred.append(&mut r.deferred);
        dones.push(r.done);
        bin_changes.push((r.changes, r.fees));
    }
    let merge = || {
        let t = std::time::Instant::now();
        let r = merge_states(&overlay, deposit_changes.clone(), bin_changes);
        tracing::debug!(elapsed_ms = t.elapsed().as_secs_f64() * 1e3, "state merged");
        r
    };
    let order = || {
        let t = std::time::Instant::now();
        let r = receipts_in_order(next, deposit, &predicted, dones);
        tracing::debug!(
            elapsed_ms = t.elapsed().as_secs_f64() * 1e3,
            "receipts ordered"
        );
        r
    };
    let (merged, ordered) = match pool {
        Some(pool) => pool.install(|| rayon::join(merge, order)),
        None => (merge(), order()),
    };
    let mut merged = match merged? {
        Ok(m) => m,
        Err(reason) => {
            stats.fallback = Some(reason);
            stats.reexecuted = rounds * stats.predicted;
            return Ok(Err(stats));
        }
    };
    let (mut block, mut invalid) = match ordered {
        Ok(o) => o,
        Err(reason) => {
            stats.fallback = Some(reason);
            stats.reexecuted = rounds * stats.predicted;
            return Ok(Err(stats));
        }
    };
    phase("merge", &t0);

    stats.deferred = deferred.len();
    tail.extend(
        deferred
            .into_iter()
            .map(|i| (predicted[i].2, predicted[i].0.clone())),
    );
    tail.sort_by_key(|(pool_index, _)| *pool_index);
    if !tail.is_empty() {
        let tail_overlay = Overlay {
            base: &base,
            changes: &merged,
        };
        let mut state = StateDb::new(tail_overlay);
        let tail_block = {
            // The tail sees the block's own environment (GASLIMIT included); only the gas
            // budget continues from what the predicted part used.
            let mut exec = BlockExecutor::new(evm, next, &mut state);
            exec.resume_at(block.gas_used);
            crate::payload::run_in_order(&mut exec, tail.iter().map(|(_, tx)| tx), &mut invalid)?;
            exec.finish()
        };
        let tail_changes = state.into_changes();
        for (tx, mut r) in tail_block.transactions.into_iter().zip(tail_block.receipts) {
            block.gas_used += r.meta.gas_used;
            set_cumulative_gas(&mut r.receipt, block.gas_used);
            block.receipts.push(r);
            block.transactions.push(tx);
        }
        apply_changes(&mut merged, tail_changes);
    }
    phase("tail", &t0);
    Ok(Ok(ParallelOutcome {
        block,
        changes: merged,
        invalid,
        stats,
    }))
}
