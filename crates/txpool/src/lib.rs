//! The transaction pool: validated, sender-recovered transactions waiting for a block.
//!
//! Per sender, transactions are kept by nonce: the run that starts at the account's nonce is
//! *pending* (executable), the rest is *queued* behind a gap. Across senders the builder takes
//! pending transactions by effective tip. Senders are recovered once, here, at admission.
//!
//! Costs are 256-bit and checked (a fee or value chosen to wrap is unaffordable), a sender's
//! pooled transactions may not together cost more than its balance, and every resource a sender
//! can hold is capped: slots, queued transactions, bytes, and time (queued ones expire).
//!
//! Owns admission rules and ordering. It must not execute transactions or touch storage: the
//! caller passes the account state admission needs and tells the pool what a block mined.

use std::{
    cmp::Ordering,
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use agnt2_primitives::{RecoveredTx, TxDecodeError, constants::MAX_TX_SIZE};
use alloy::consensus::Transaction;
use alloy_primitives::{Address, B256, U256};
use parking_lot::Mutex;
use tokio::sync::broadcast;

/// Pool limits.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Chain id every transaction must commit to.
    pub chain_id: u64,
    /// Most transactions one sender may have in the pool.
    pub max_account_slots: usize,
    /// Most transactions in the pool.
    pub max_pool_size: usize,
    /// Minimum fee bump, in percent, to replace a transaction with the same nonce.
    pub price_bump_percent: u128,
    /// Whether legacy transactions without an EIP-155 chain id are admitted.
    pub allow_unprotected: bool,
    /// Most queued (not yet executable) transactions one sender may have.
    pub max_account_queued: usize,
    /// Most queued transactions in the pool; past it the sender holding the most queued
    /// transactions loses its highest nonce.
    pub max_queued: usize,
    /// Most encoded bytes of all transactions in the pool.
    pub max_pool_bytes: usize,
    /// How long a sender's queued transactions stay without the sender adding one.
    pub lifetime: Duration,
}

impl PoolConfig {
    /// Defaults sized for agent workloads: generous per-sender slots, 200k transactions.
    pub fn new(chain_id: u64) -> Self {
        Self {
            chain_id,
            max_account_slots: 16_384,
            max_pool_size: 200_000,
            price_bump_percent: 10,
            allow_unprotected: false,
            max_account_queued: 1_024,
            max_queued: 50_000,
            max_pool_bytes: 256 * 1024 * 1024,
            lifetime: Duration::from_secs(3 * 3600),
        }
    }
}

/// Why the pool refused a transaction. Messages follow geth, which tools match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Decoding or signature failure.
    #[error("{0}")]
    Decode(String),
    /// Same hash already in the pool.
    #[error("already known")]
    AlreadyKnown,
    /// Nonce below the account's.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Transaction nonce.
        tx: u64,
        /// Account nonce.
        state: u64,
    },
    /// Balance below `gas * maxFee + value`.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}")]
    InsufficientFunds {
        /// Account balance.
        balance: U256,
        /// Maximum cost.
        cost: U256,
    },
    /// The sender's pooled transactions together with this one cost more than its balance.
    #[error(
        "transaction would cause overdraft: balance {balance}, pooled cost {spent}, tx cost {cost}"
    )]
    Overdraft {
        /// Account balance.
        balance: U256,
        /// What the sender's other pooled transactions may spend.
        spent: U256,
        /// Maximum cost of this one.
        cost: U256,
    },
    /// An EIP-7702 transaction must carry at least one authorization.
    #[error("EIP-7702 transaction with empty auth list")]
    EmptyAuthList,
    /// Replacement without the fee bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Gas limit below the intrinsic cost.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// Gas limit.
        gas: u64,
        /// Intrinsic gas.
        needed: u64,
    },
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// Encoded size above the limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Wrong or missing chain id.
    #[error("invalid chain id: have {have:?}, want {want}")]
    InvalidChainId {
        /// Chain id in the transaction.
        have: Option<u64>,
        /// This chain's id.
        want: u64,
    },
    /// Max fee below the base fee.
    #[error("max fee per gas less than block base fee: maxFeePerGas {max_fee}, baseFee {base_fee}")]
    FeeBelowBaseFee {
        /// Max fee per gas.
        max_fee: u128,
        /// Current base fee.
        base_fee: u64,
    },
    /// Priority fee above max fee.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Sender has too many transactions in the pool.
    #[error("account limit exceeded: {0} transactions pending for sender")]
    AccountLimit(usize),
    /// Sender has too many transactions waiting behind a nonce gap.
    #[error("account limit exceeded: {0} transactions queued behind a nonce gap for sender")]
    AccountQueueLimit(usize),
    /// The pool is full and the transaction pays no more than the cheapest in it.
    #[error("txpool is full")]
    PoolFull,
}

impl From<TxDecodeError> for PoolError {
    fn from(e: TxDecodeError) -> Self {
        Self::Decode(e.to_string())
    }
}

/// The account state admission checks against.
#[derive(Debug, Clone, Copy, Default)]
pub struct SenderState {
    /// Account nonce.
    pub nonce: u64,
    /// Account balance.
    pub balance: U256,
}

/// Where an admitted transaction went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// Executable now.
    Pending,
    /// Waiting for a lower nonce.
    Queued,
}

/// Block-level inputs for admission.
#[derive(Debug, Clone, Copy)]
pub struct BlockInfo {
    /// Current base fee.
    pub base_fee: u64,
    /// Most gas one transaction may have: the block gas limit less what the block's system
    /// deposits use, so a transaction admitted can fit a block.
    pub gas_limit: u64,
}

/// The most a transaction can cost its sender: `gas * maxFee + value`, or `None` when that
/// does not fit 256 bits (no balance covers it).
pub fn max_cost(tx: &RecoveredTx) -> Option<U256> {
    U256::from(tx.gas_limit())
        .checked_mul(U256::from(tx.max_fee_per_gas()))?
        .checked_add(tx.envelope.value())
}

#[derive(Debug)]
struct SenderQueue {
    /// Account nonce when last seen (state, not pool).
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<RecoveredTx>>,
    /// Length of the gap-free run from `state_nonce` (the pending part).
    pending: usize,
    /// Sum of the maximum costs of `txs`.
    spent: U256,
    /// When the sender last added a transaction: queued ones expire after the lifetime.
    last_active: Instant,
}

impl SenderQueue {
    fn new(state_nonce: u64) -> Self {
        Self {
            state_nonce,
            txs: BTreeMap::new(),
            pending: 0,
            spent: U256::ZERO,
            last_active: Instant::now(),
        }
    }

    fn queued(&self) -> usize {
        self.txs.len() - self.pending
    }

    /// Recomputes the pending run from scratch (after the state nonce moved).
    fn recount(&mut self) {
        self.pending = 0;
        self.extend();
    }

    /// Extends the pending run over transactions that now follow it without a gap.
    fn extend(&mut self) {
        while self
            .txs
            .contains_key(&(self.state_nonce + self.pending as u64))
        {
            self.pending += 1;
        }
    }

    fn insert(&mut self, tx: Arc<RecoveredTx>) -> Option<Arc<RecoveredTx>> {
        let nonce = tx.nonce();
        self.spent = self
            .spent
            .saturating_add(max_cost(&tx).unwrap_or(U256::MAX));
        let old = self.txs.insert(nonce, tx);
        if let Some(old) = &old {
            self.spent = self
                .spent
                .saturating_sub(max_cost(old).unwrap_or(U256::MAX));
        } else if nonce == self.state_nonce + self.pending as u64 {
            self.extend();
        }
        old
    }

    fn remove(&mut self, nonce: u64) -> Option<Arc<RecoveredTx>> {
        let old = self.txs.remove(&nonce)?;
        self.spent = self
            .spent
            .saturating_sub(max_cost(&old).unwrap_or(U256::MAX));
        let end = self.state_nonce + self.pending as u64;
        if nonce >= self.state_nonce && nonce < end {
            self.pending = (nonce - self.state_nonce) as usize;
        }
        Some(old)
    }

    /// Removes every transaction from `nonce` on, returning them.
    fn truncate(&mut self, nonce: u64) -> Vec<Arc<RecoveredTx>> {
        let gone = self.txs.split_off(&nonce);
        for tx in gone.values() {
            self.spent = self.spent.saturating_sub(max_cost(tx).unwrap_or(U256::MAX));
        }
        let end = self.state_nonce + self.pending as u64;
        if nonce < end {
            self.pending = nonce.saturating_sub(self.state_nonce) as usize;
        }
        gone.into_values().collect()
    }

    /// The transactions behind the pending run.
    fn queued_from(&self) -> u64 {
        self.state_nonce + self.pending as u64
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_hash: HashMap<B256, Arc<RecoveredTx>>,
    senders: HashMap<Address, SenderQueue>,
    /// Transactions behind a nonce gap, over all senders.
    queued: usize,
    /// Encoded bytes of all transactions.
    bytes: usize,
}

impl Inner {
    /// Runs `f` on `addr`'s queue and keeps the pool-wide counters and indexes in step with
    /// what it added and removed.
    fn with_sender<R>(
        &mut self,
        addr: Address,
        state_nonce: u64,
        f: impl FnOnce(&mut SenderQueue) -> (R, Vec<Arc<RecoveredTx>>, Option<Arc<RecoveredTx>>),
    ) -> R {
        let q = self
            .senders
            .entry(addr)
            .or_insert_with(|| SenderQueue::new(state_nonce));
        let before = q.queued();
        let (r, removed, added) = f(q);
        let after = q.queued();
        let empty = q.txs.is_empty();
        self.queued = self.queued - before + after;
        if empty {
            self.senders.remove(&addr);
        }
        for tx in removed {
            self.bytes -= tx.encoded.len();
            self.by_hash.remove(&tx.hash);
        }
        if let Some(tx) = added {
            self.bytes += tx.encoded.len();
            self.by_hash.insert(tx.hash, tx);
        }
        r
    }

    /// Moves `addr`'s queue to the account state `state`: transactions below its nonce leave;
    /// with `afford`, so does every transaction from the first one the balance no longer
    /// covers, counting the costs of those before it. Returns how many were unaffordable.
    fn settle(&mut self, addr: Address, state: SenderState, afford: bool) -> usize {
        self.with_sender(addr, state.nonce, |q| {
            let all = q.truncate(0);
            let (mut removed, keep): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|t| t.nonce() < state.nonce);
            q.state_nonce = state.nonce;
            q.pending = 0;
            let mut total = U256::ZERO;
            let mut unaffordable = 0;
            for t in keep {
                total = total.saturating_add(max_cost(&t).unwrap_or(U256::MAX));
                if afford && (unaffordable > 0 || total > state.balance) {
                    unaffordable += 1;
                    removed.push(t);
                } else {
                    q.insert(t);
                }
            }
            q.recount();
            // Kept transactions were removed and put back: only the others leave the indexes.
            (unaffordable, removed, None)
        })
    }
}

/// The transaction pool.
#[derive(Debug)]
pub struct Pool {
    config: PoolConfig,
    inner: Mutex<Inner>,
    pending_tx: broadcast::Sender<B256>,
}

/// Whether `new` may replace `old` (same sender and nonce): both its fee cap and its tip must
/// be at least `bump_percent` above the old ones. Computed in 256 bits, so no fee wraps.
fn replacement_check(
    old: &RecoveredTx,
    new: &RecoveredTx,
    bump_percent: u128,
) -> Result<(), PoolError> {
    let tip = |t: &RecoveredTx| {
        t.envelope
            .max_priority_fee_per_gas()
            .unwrap_or(t.max_fee_per_gas())
    };
    let bump = U256::from(100 + bump_percent);
    let hundred = U256::from(100u8);
    let enough = |new: u128, old: u128| U256::from(new) * hundred >= U256::from(old) * bump;
    if enough(new.max_fee_per_gas(), old.max_fee_per_gas()) && enough(tip(new), tip(old)) {
        Ok(())
    } else {
        Err(PoolError::ReplacementUnderpriced)
    }
}

/// Intrinsic gas of a transaction (EIP-2028 calldata, EIP-2930 access lists, EIP-3860 init code,
/// EIP-7623 floor).
pub fn intrinsic_gas(tx: &RecoveredTx) -> u64 {
    let env = &tx.envelope;
    let input = env.input();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let mut gas = 21_000 + zeros * 4 + non_zeros * 16;
    if env.is_create() {
        gas += 32_000 + 2 * input.len().div_ceil(32) as u64;
    }
    if let Some(al) = env.access_list() {
        for item in al.iter() {
            gas += 2_400 + 1_900 * item.storage_keys.len() as u64;
        }
    }
    if let Some(auths) = env.authorization_list() {
        gas += 25_000 * auths.len() as u64;
    }
    let tokens = zeros + non_zeros * 4;
    gas.max(21_000 + tokens * 10)
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        let (pending_tx, _) = broadcast::channel(16_384);
        Self {
            config,
            inner: Mutex::new(Inner::default()),
            pending_tx,
        }
    }

    /// Subscribes to hashes of newly admitted transactions.
    pub fn subscribe(&self) -> broadcast::Receiver<B256> {
        self.pending_tx.subscribe()
    }

    /// Stateless checks: everything that does not need the account.
    pub fn validate_stateless(&self, tx: &RecoveredTx, block: BlockInfo) -> Result<(), PoolError> {
        if tx.encoded.len() > MAX_TX_SIZE {
            return Err(PoolError::OversizedData {
                size: tx.encoded.len(),
                limit: MAX_TX_SIZE,
            });
        }
        let unprotected_ok = self.config.allow_unprotected && tx.chain_id().is_none();
        if tx.chain_id() != Some(self.config.chain_id) && !unprotected_ok {
            return Err(PoolError::InvalidChainId {
                have: tx.chain_id(),
                want: self.config.chain_id,
            });
        }
        if tx.gas_limit() > block.gas_limit {
            return Err(PoolError::ExceedsBlockGasLimit);
        }
        if tx
            .envelope
            .authorization_list()
            .is_some_and(<[_]>::is_empty)
        {
            return Err(PoolError::EmptyAuthList);
        }
        let needed = intrinsic_gas(tx);
        if tx.gas_limit() < needed {
            return Err(PoolError::IntrinsicGasTooLow {
                gas: tx.gas_limit(),
                needed,
            });
        }
        if let Some(tip) = tx.envelope.max_priority_fee_per_gas()
            && tip > tx.max_fee_per_gas()
        {
            return Err(PoolError::TipAboveFeeCap);
        }
        if tx.max_fee_per_gas() < block.base_fee as u128 {
            return Err(PoolError::FeeBelowBaseFee {
                max_fee: tx.max_fee_per_gas(),
                base_fee: block.base_fee,
            });
        }
        Ok(())
    }

    /// Admits `tx` given its sender's state. Returns where it went.
    pub fn add(
        &self,
        tx: RecoveredTx,
        sender: SenderState,
        block: BlockInfo,
    ) -> Result<AddOutcome, PoolError> {
        self.validate_stateless(&tx, block)?;
        let nonce = tx.nonce();
        if nonce < sender.nonce {
            return Err(PoolError::NonceTooLow {
                tx: nonce,
                state: sender.nonce,
            });
        }
        let cost = match max_cost(&tx) {
            Some(c) if c <= sender.balance => c,
            c => {
                return Err(PoolError::InsufficientFunds {
                    balance: sender.balance,
                    cost: c.unwrap_or(U256::MAX),
                });
            }
        };
        let hash = tx.hash;
        let signer = tx.signer;
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        if inner
            .senders
            .get(&signer)
            .is_some_and(|q| q.state_nonce < sender.nonce)
        {
            // The pool has not yet seen the block that moved this nonce.
            inner.settle(signer, sender, false);
        }
        let (replaced, queued_after, queued_now) = match inner.senders.get_mut(&signer) {
            Some(q) => {
                let old = q.txs.get(&nonce).cloned();
                if let Some(old) = &old {
                    replacement_check(old, &tx, self.config.price_bump_percent)?;
                }
                let others = q
                    .spent
                    .saturating_sub(old.as_ref().and_then(|o| max_cost(o)).unwrap_or_default());
                if others.saturating_add(cost) > sender.balance {
                    return Err(PoolError::Overdraft {
                        balance: sender.balance,
                        spent: others,
                        cost,
                    });
                }
                (old, nonce > q.queued_from(), q.queued())
            }
            None => (None, nonce > sender.nonce, 0),
        };
        if replaced.is_none() {
            let len = inner.senders.get(&signer).map_or(0, |q| q.txs.len());
            if len >= self.config.max_account_slots {
                return Err(PoolError::AccountLimit(len));
            }
            if queued_after && queued_now >= self.config.max_account_queued {
                return Err(PoolError::AccountQueueLimit(queued_now));
            }
        }
        self.make_room(
            &mut inner,
            &tx,
            replaced.as_deref(),
            queued_after,
            block.base_fee,
        )?;
        let tx = Arc::new(tx);
        let outcome = inner.with_sender(signer, sender.nonce, |q| {
            let old = q.insert(tx.clone());
            q.last_active = Instant::now();
            let outcome = if nonce < q.queued_from() {
                AddOutcome::Pending
            } else {
                AddOutcome::Queued
            };
            (outcome, old.into_iter().collect(), Some(tx))
        });
        metrics::gauge!("agnt2_txpool_size").set(inner.by_hash.len() as f64);
        metrics::gauge!("agnt2_txpool_bytes").set(inner.bytes as f64);
        drop(inner);
        let _ = self.pending_tx.send(hash);
        metrics::counter!("agnt2_txpool_added_total").increment(1);
        Ok(outcome)
    }

    /// Evicts until `incoming` fits the count, byte and queue limits. Queued transactions go
    /// first (they cannot run), taken from the sender holding the most; then, only for an
    /// incoming transaction that pays more, the highest nonce of the sender whose last
    /// transaction pays least, so nothing left in the pool depends on what went.
    fn make_room(
        &self,
        inner: &mut Inner,
        incoming: &RecoveredTx,
        replaces: Option<&RecoveredTx>,
        incoming_queued: bool,
        base_fee: u64,
    ) -> Result<(), PoolError> {
        // A replacement takes its predecessor's slot: only its extra bytes need room.
        let size = incoming.encoded.len();
        let freed = replaces.map_or(0, |o| o.encoded.len());
        let over = |i: &Inner| {
            (replaces.is_none() && i.by_hash.len() >= self.config.max_pool_size)
                || (i.bytes + size).saturating_sub(freed) > self.config.max_pool_bytes
                || (replaces.is_none() && incoming_queued && i.queued >= self.config.max_queued)
        };
        let incoming_tip = incoming.effective_tip(base_fee).unwrap_or(0);
        while over(inner) {
            let queued_victim = inner
                .senders
                .iter()
                .filter(|(a, q)| q.queued() > 0 && **a != incoming.signer)
                .max_by_key(|(_, q)| q.queued())
                .and_then(|(a, q)| q.txs.last_key_value().map(|(n, _)| (*a, *n)));
            let victim = match queued_victim {
                // An incoming queued transaction only displaces another sender's queue.
                Some(v) => Some(v),
                None if incoming_queued => None,
                None => inner
                    .senders
                    .iter()
                    .filter(|(a, _)| **a != incoming.signer)
                    .filter_map(|(a, q)| q.txs.last_key_value().map(|(n, t)| (*a, *n, t)))
                    .min_by_key(|(_, _, t)| t.effective_tip(base_fee).unwrap_or(0))
                    .filter(|(_, _, t)| t.effective_tip(base_fee).unwrap_or(0) < incoming_tip)
                    .map(|(a, n, _)| (a, n)),
            };
            let Some((addr, nonce)) = victim else {
                return Err(PoolError::PoolFull);
            };
            inner.with_sender(addr, 0, |q| {
                ((), q.remove(nonce).into_iter().collect(), None)
            });
            metrics::counter!("agnt2_txpool_evicted_total").increment(1);
        }
        Ok(())
    }

    /// Pending transactions in the order a block should take them: by effective tip across
    /// senders, by nonce within a sender.
    pub fn best_transactions(&self, base_fee: u64) -> Vec<Arc<RecoveredTx>> {
        #[derive(PartialEq, Eq)]
        struct Head {
            tip: u128,
            seq: usize,
            sender: usize,
            pos: usize,
        }
        impl Ord for Head {
            fn cmp(&self, o: &Self) -> Ordering {
                self.tip.cmp(&o.tip).then_with(|| o.seq.cmp(&self.seq))
            }
        }
        impl PartialOrd for Head {
            fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                Some(self.cmp(o))
            }
        }
        let inner = self.inner.lock();
        let runs: Vec<Vec<Arc<RecoveredTx>>> = inner
            .senders
            .values()
            .map(|q| {
                let n = q.pending;
                q.txs
                    .range(q.state_nonce..)
                    .take(n)
                    .map(|(_, t)| t.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|r| !r.is_empty())
            .collect();
        drop(inner);
        let mut heap = BinaryHeap::with_capacity(runs.len());
        let mut seq = 0;
        for (i, run) in runs.iter().enumerate() {
            if let Some(tip) = run[0].effective_tip(base_fee) {
                heap.push(Head {
                    tip,
                    seq,
                    sender: i,
                    pos: 0,
                });
                seq += 1;
            }
        }
        let mut out = Vec::with_capacity(runs.iter().map(Vec::len).sum());
        while let Some(h) = heap.pop() {
            out.push(runs[h.sender][h.pos].clone());
            let next = h.pos + 1;
            if let Some(tx) = runs[h.sender].get(next)
                && let Some(tip) = tx.effective_tip(base_fee)
            {
                heap.push(Head {
                    tip,
                    seq,
                    sender: h.sender,
                    pos: next,
                });
                seq += 1;
            }
        }
        out
    }

    /// Tells the pool the new state of senders touched by a block: mined (and now stale)
    /// transactions leave, queued ones may become pending, and from the first transaction the
    /// balance no longer covers (counting the ones before it), the sender's transactions are
    /// dropped. Then runs [`Pool::maintain`].
    pub fn on_block(&self, senders: impl IntoIterator<Item = (Address, SenderState)>) {
        let mut inner = self.inner.lock();
        for (addr, state) in senders {
            if !inner.senders.contains_key(&addr) {
                continue;
            }
            let dropped = inner.settle(addr, state, true);
            if dropped > 0 {
                metrics::counter!("agnt2_txpool_unaffordable_total").increment(dropped as u64);
            }
        }
        self.maintain_locked(&mut inner, Instant::now());
        metrics::gauge!("agnt2_txpool_size").set(inner.by_hash.len() as f64);
        metrics::gauge!("agnt2_txpool_bytes").set(inner.bytes as f64);
    }

    /// Tells the pool the chain was unwound: these senders' nonces and balances moved back, so
    /// their queues re-anchor at the older nonce (before the unwound blocks' transactions are
    /// offered again with [`Pool::add`]).
    pub fn on_unwind(&self, senders: impl IntoIterator<Item = (Address, SenderState)>) {
        let mut inner = self.inner.lock();
        for (addr, state) in senders {
            if inner.senders.contains_key(&addr) {
                inner.settle(addr, state, false);
            }
        }
    }

    /// Drops the queued transactions of senders that have added none for the pool's lifetime.
    pub fn maintain(&self, now: Instant) {
        let mut inner = self.inner.lock();
        self.maintain_locked(&mut inner, now);
    }

    fn maintain_locked(&self, inner: &mut Inner, now: Instant) {
        let expired: Vec<(Address, u64)> = inner
            .senders
            .iter()
            .filter(|(_, q)| {
                q.queued() > 0
                    && now.saturating_duration_since(q.last_active) >= self.config.lifetime
            })
            .map(|(a, q)| (*a, q.queued_from()))
            .collect();
        for (addr, from) in expired {
            let gone = inner.with_sender(addr, 0, |q| {
                let gone = q.truncate(from);
                (gone.len(), gone, None)
            });
            metrics::counter!("agnt2_txpool_expired_total").increment(gone as u64);
        }
    }

    /// Drops one transaction (e.g. found invalid while building).
    pub fn remove(&self, hash: &B256) {
        let mut inner = self.inner.lock();
        let Some(tx) = inner.by_hash.get(hash).cloned() else {
            return;
        };
        inner.with_sender(tx.signer, 0, |q| {
            ((), q.remove(tx.nonce()).into_iter().collect(), None)
        });
    }

    /// A transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        self.inner.lock().by_hash.get(hash).cloned()
    }

    /// The next nonce of `sender` counting its pending transactions (for `pending` tag reads).
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let inner = self.inner.lock();
        match inner.senders.get(sender) {
            Some(q) => {
                let base = q.state_nonce.max(state_nonce);
                let mut n = base;
                while q.txs.contains_key(&n) {
                    n += 1;
                }
                n
            }
            None => state_nonce,
        }
    }

    /// (pending, queued) counts.
    pub fn status(&self) -> (usize, usize) {
        let inner = self.inner.lock();
        (inner.by_hash.len() - inner.queued, inner.queued)
    }

    /// All transactions, split into pending and queued, per sender and nonce.
    #[allow(clippy::type_complexity)]
    pub fn content(
        &self,
    ) -> (
        BTreeMap<Address, BTreeMap<u64, Arc<RecoveredTx>>>,
        BTreeMap<Address, BTreeMap<u64, Arc<RecoveredTx>>>,
    ) {
        let inner = self.inner.lock();
        let mut pending = BTreeMap::new();
        let mut queued = BTreeMap::new();
        for (addr, q) in &inner.senders {
            let end = q.queued_from();
            for (nonce, tx) in &q.txs {
                let target = if *nonce >= q.state_nonce && *nonce < end {
                    &mut pending
                } else {
                    &mut queued
                };
                target
                    .entry(*addr)
                    .or_insert_with(BTreeMap::new)
                    .insert(*nonce, tx.clone());
            }
        }
        (pending, queued)
    }

    /// One sender's transactions, split into pending and queued, by nonce.
    #[allow(clippy::type_complexity)]
    pub fn content_from(
        &self,
        sender: &Address,
    ) -> (
        BTreeMap<u64, Arc<RecoveredTx>>,
        BTreeMap<u64, Arc<RecoveredTx>>,
    ) {
        let inner = self.inner.lock();
        let Some(q) = inner.senders.get(sender) else {
            return Default::default();
        };
        let end = q.queued_from();
        let (pending, queued) = q
            .txs
            .iter()
            .map(|(n, t)| (*n, t.clone()))
            .partition(|(n, _)| *n >= q.state_nonce && *n < end);
        (pending, queued)
    }

    /// Number of transactions in the pool.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
