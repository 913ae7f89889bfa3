//! The transaction pool: validated, sender-recovered transactions waiting for a block.
//!
//! Per sender, transactions are kept by nonce: the run that starts at the account's nonce is
//! *pending* (executable), the rest is *queued* behind a gap. Across senders the builder takes
//! pending transactions by effective tip. Senders are recovered once, here, at admission.
//!
//! Owns admission rules and ordering. It must not execute transactions or touch storage: the
//! caller passes the account state admission needs and tells the pool what a block mined.

use std::{
    cmp::Ordering,
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::Arc,
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
    /// Block gas limit.
    pub gas_limit: u64,
}

#[derive(Debug, Default)]
struct SenderQueue {
    /// Account nonce when last seen (state, not pool).
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<RecoveredTx>>,
}

impl SenderQueue {
    /// Length of the gap-free run from the state nonce.
    fn pending_len(&self) -> usize {
        (self.state_nonce..)
            .zip(self.txs.range(self.state_nonce..).map(|(k, _)| *k))
            .take_while(|(expected, nonce)| expected == nonce)
            .count()
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_hash: HashMap<B256, Arc<RecoveredTx>>,
    senders: HashMap<Address, SenderQueue>,
}

/// The transaction pool.
#[derive(Debug)]
pub struct Pool {
    config: PoolConfig,
    inner: Mutex<Inner>,
    pending_tx: broadcast::Sender<B256>,
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
        let cost =
            U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas()) + tx.envelope.value();
        if sender.balance < cost {
            return Err(PoolError::InsufficientFunds {
                balance: sender.balance,
                cost,
            });
        }
        let hash = tx.hash;
        let signer = tx.signer;
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let queue = inner.senders.entry(signer).or_default();
        queue.state_nonce = queue.state_nonce.max(sender.nonce);
        let replaced = match queue.txs.get(&nonce) {
            Some(old) => {
                let bump = 100 + self.config.price_bump_percent;
                let old_fee = old.max_fee_per_gas();
                let old_tip = old.envelope.max_priority_fee_per_gas().unwrap_or(old_fee);
                let new_tip = tx
                    .envelope
                    .max_priority_fee_per_gas()
                    .unwrap_or(tx.max_fee_per_gas());
                if tx.max_fee_per_gas() * 100 < old_fee * bump || new_tip * 100 < old_tip * bump {
                    return Err(PoolError::ReplacementUnderpriced);
                }
                Some(old.hash)
            }
            None => None,
        };
        if replaced.is_none() && queue.txs.len() >= self.config.max_account_slots {
            return Err(PoolError::AccountLimit(queue.txs.len()));
        }
        if replaced.is_none() && inner.by_hash.len() >= self.config.max_pool_size {
            self.evict_cheapest(&mut inner, &tx, block.base_fee)?;
        }
        let tx = Arc::new(tx);
        let queue = inner.senders.entry(signer).or_default();
        queue.txs.insert(nonce, tx.clone());
        let outcome = if nonce < queue.state_nonce + queue.pending_len() as u64 {
            AddOutcome::Pending
        } else {
            AddOutcome::Queued
        };
        if let Some(old) = replaced {
            inner.by_hash.remove(&old);
        }
        inner.by_hash.insert(hash, tx);
        drop(inner);
        let _ = self.pending_tx.send(hash);
        metrics::counter!("agnt2_txpool_added_total").increment(1);
        Ok(outcome)
    }

    /// Makes room by dropping the highest-nonce transaction of the sender whose last
    /// transaction pays the least, if `incoming` pays more. Only that one transaction goes,
    /// and it is the one nothing else depends on.
    fn evict_cheapest(
        &self,
        inner: &mut Inner,
        incoming: &RecoveredTx,
        base_fee: u64,
    ) -> Result<(), PoolError> {
        let incoming_tip = incoming.effective_tip(base_fee).unwrap_or(0);
        let victim = inner
            .senders
            .iter()
            .filter(|(a, _)| **a != incoming.signer)
            .filter_map(|(a, q)| q.txs.last_key_value().map(|(_, t)| (*a, t.clone())))
            .min_by_key(|(_, t)| t.effective_tip(base_fee).unwrap_or(0));
        match victim {
            Some((addr, tx)) if tx.effective_tip(base_fee).unwrap_or(0) < incoming_tip => {
                if let Some(q) = inner.senders.get_mut(&addr) {
                    q.txs.remove(&tx.nonce());
                }
                inner.by_hash.remove(&tx.hash);
                metrics::counter!("agnt2_txpool_evicted_total").increment(1);
                Ok(())
            }
            _ => Err(PoolError::PoolFull),
        }
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
                let n = q.pending_len();
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

    /// Tells the pool the new account nonces of senders touched by a block: mined (and
    /// now stale) transactions leave, queued ones may become pending.
    pub fn on_block(&self, nonces: impl IntoIterator<Item = (Address, u64)>) {
        let mut inner = self.inner.lock();
        let mut removed = Vec::new();
        for (addr, nonce) in nonces {
            let Some(q) = inner.senders.get_mut(&addr) else {
                continue;
            };
            q.state_nonce = nonce;
            let keep = q.txs.split_off(&nonce);
            removed.extend(q.txs.values().map(|t| t.hash));
            q.txs = keep;
            if q.txs.is_empty() {
                inner.senders.remove(&addr);
            }
        }
        for h in removed {
            inner.by_hash.remove(&h);
        }
        metrics::gauge!("agnt2_txpool_size").set(inner.by_hash.len() as f64);
    }

    /// Drops one transaction (e.g. found invalid while building).
    pub fn remove(&self, hash: &B256) {
        let mut inner = self.inner.lock();
        if let Some(tx) = inner.by_hash.remove(hash)
            && let Some(q) = inner.senders.get_mut(&tx.signer)
        {
            q.txs.remove(&tx.nonce());
        }
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
        let pending: usize = inner.senders.values().map(SenderQueue::pending_len).sum();
        (pending, inner.by_hash.len() - pending)
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
            let n = q.pending_len();
            let end = q.state_nonce + n as u64;
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
