//! The payload builder: sequential reference execution, or the parallel executor
//! ([`crate::parallel`]) with a sequential fallback.

use std::{
    collections::HashSet,
    sync::Arc,
    sync::atomic::{AtomicU64, Ordering as AtomicOrdering},
    time::{Duration, Instant},
};

use agnt2_evm::{
    BlockExecutor, EvmConfig, ExecutedBlock, L1Origin, NextBlock, StateDb, TxOutcome,
    l1_info_deposit,
};
use agnt2_primitives::{
    ChainSpec, OpTxEnvelope, RecoveredTx, SealedBlock, StoredReceipt,
    constants::{L1_INFO_DEPOSIT_GAS, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT},
};
use agnt2_storage::{CommittedBlock, Database, StateChanges, StateProvider, StorageError};
use agnt2_txpool::{Pool, SenderState};
use alloy::consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, TxReceipt,
    proofs::{calculate_receipt_root, calculate_transaction_root},
};
use alloy::eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B256, Bloom, U256, keccak256};

use crate::{
    PayloadAttributes,
    header::{holocene_extra_data, holocene_extra_data_with, next_base_fee_with},
    parallel::{ParallelStats, PredictionCache},
};

/// Block-building failures (the node's, never a transaction's).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A state read failed.
    #[error(transparent)]
    State(#[from] agnt2_storage::ProviderError),
    /// Execution failed for a reason that is not the transaction's.
    #[error(transparent)]
    Execution(#[from] agnt2_evm::FatalError),
    /// No head block: genesis was not initialised.
    #[error("no head block; initialise genesis first")]
    NoHead,
    /// The blocking task that built the block panicked or was cancelled.
    #[error("block building task failed: {0}")]
    Task(String),
    /// A transaction the payload attributes force into the block (the L1-attributes deposit
    /// is index 0, user deposits follow) could not be included: the block is not built,
    /// since skipping it would break derivation.
    #[error("forced transaction {index} ({hash}) could not be included: {reason}")]
    Forced {
        /// Position among the forced transactions.
        index: usize,
        /// Its hash.
        hash: B256,
        /// Why.
        reason: ForcedTxError,
    },
    /// The attributes name a parent that is not the head.
    #[error("payload parent {expected} is not the head {head}")]
    ParentMismatch {
        /// The parent the attributes were made for.
        expected: B256,
        /// The head.
        head: B256,
    },
    /// The attributes' timestamp is before the parent's.
    #[error("payload timestamp {timestamp} is before the parent's {parent}")]
    TimestampBeforeParent {
        /// Attributes' timestamp.
        timestamp: u64,
        /// Parent's timestamp.
        parent: u64,
    },
    /// The parallel builder's worker threads could not be started.
    #[error("worker pool: {0}")]
    Workers(#[from] rayon::ThreadPoolBuildError),
}

/// Why a forced transaction was not included.
#[derive(Debug, thiserror::Error)]
pub enum ForcedTxError {
    /// Its gas limit is above what is left of the block.
    #[error("gas limit above what is left of the block")]
    DoesNotFit,
    /// The EVM refused it (deposits cannot fail validation; this is a bug or a bad payload).
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Time spent in each phase of building a block.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Executing transactions.
    pub execution: Duration,
    /// State root (storage tries, then the account trie).
    pub state_root: Duration,
    /// Writing the block in one MDBX transaction.
    pub commit: Duration,
}

/// A block that was built and committed.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The block.
    pub block: Arc<SealedBlock>,
    /// Its receipts.
    pub receipts: Arc<Vec<StoredReceipt>>,
    /// The state it wrote.
    pub changes: Arc<StateChanges>,
    /// Phase timings.
    pub times: PhaseTimes,
    /// What the parallel executor did (`None` for the sequential builder).
    pub parallel: Option<ParallelStats>,
}

impl BuiltBlock {
    /// The block as committed: what a canonical-chain notification carries.
    pub fn committed(&self) -> CommittedBlock {
        CommittedBlock {
            block: self.block.clone(),
            receipts: self.receipts.clone(),
            changes: self.changes.clone(),
        }
    }
}

/// What executing a payload gives: the block, its state changes, the invalid pool
/// transactions, and the parallel executor's statistics.
type Execution = (
    ExecutedBlock,
    StateChanges,
    Vec<B256>,
    Option<ParallelStats>,
);

/// How the builder executes a block's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderMode {
    /// One after another with the reference executor.
    Sequential,
    /// Dependency-aware parallel execution on this many threads.
    Parallel {
        /// Worker threads.
        threads: usize,
    },
}

/// Executes `txs` one after another as the sequential builder does: a sender whose
/// transaction is invalid or does not fit gets no later nonces this block, and the block stops
/// taking transactions when less than a transfer's gas is left. Invalid hashes go to `invalid`.
pub(crate) fn run_in_order<'a, P: StateProvider>(
    exec: &mut BlockExecutor<'_, P>,
    txs: impl IntoIterator<Item = &'a Arc<RecoveredTx>>,
    invalid: &mut Vec<B256>,
) -> Result<(), agnt2_evm::FatalError> {
    let mut blocked: HashSet<Address> = HashSet::new();
    for tx in txs {
        if blocked.contains(&tx.signer) {
            continue;
        }
        if exec.gas_left() < 21_000 {
            break;
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
    Ok(())
}

/// Builds blocks on top of the database head from pool transactions.
#[derive(Debug, Clone)]
pub struct BlockBuilder {
    db: Database,
    spec: Arc<ChainSpec>,
    evm: EvmConfig,
    /// Gas limit of blocks this builder produces.
    pub gas_limit: u64,
    mode: BuilderMode,
    workers: Option<Arc<rayon::ThreadPool>>,
    predictions: Arc<PredictionCache>,
    /// Gas the head block's system deposits used: what a user transaction cannot have.
    system_gas: Arc<AtomicU64>,
}

impl BlockBuilder {
    /// A builder over `db`.
    pub fn new(db: Database, spec: Arc<ChainSpec>, gas_limit: u64) -> Self {
        let evm = EvmConfig::isthmus(spec.chain_id);
        Self {
            db,
            spec,
            evm,
            gas_limit,
            mode: BuilderMode::Sequential,
            workers: None,
            predictions: Arc::default(),
            system_gas: Arc::new(AtomicU64::new(L1_INFO_DEPOSIT_GAS)),
        }
        .with_head_system_gas()
    }

    /// Reads what the head block's leading deposits used; genesis has none, so the deposit's
    /// gas limit stands in until the first block is built.
    fn with_head_system_gas(self) -> Self {
        let used = self.db.head().ok().flatten().and_then(|(n, _)| {
            let receipts = self.db.receipts(n).ok().flatten()?;
            system_gas_used(&receipts)
        });
        if let Some(used) = used {
            self.system_gas.store(used, AtomicOrdering::Relaxed);
        }
        self
    }

    /// Removes the blocks above `target` (an L1 reorg took away what they were derived from)
    /// and returns them, oldest first. The caller announces the revert and offers their pool
    /// transactions again.
    pub fn unwind_to(&self, target: u64) -> Result<Vec<CommittedBlock>, BuildError> {
        let removed = self.db.unwind_to(target)?;
        let used = self
            .db
            .receipts(target)?
            .and_then(|r| system_gas_used(&r))
            .unwrap_or(L1_INFO_DEPOSIT_GAS);
        self.system_gas.store(used, AtomicOrdering::Relaxed);
        Ok(removed)
    }

    /// The database the builder commits to.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The most gas one pool transaction may have and still fit the next block: the gas limit
    /// less what the head block's system deposits used.
    pub fn max_tx_gas(&self) -> u64 {
        self.gas_limit
            .saturating_sub(self.system_gas.load(AtomicOrdering::Relaxed))
    }

    /// Executes contract-calling `txs` speculatively on the head state (what pool admission
    /// does for the parallel builder) and caches their access sets; returns how many were
    /// learnt. A no-op for the sequential builder.
    pub fn speculate(&self, txs: &[Arc<RecoveredTx>]) -> Result<usize, BuildError> {
        let BuilderMode::Parallel { threads } = self.mode else {
            return Ok(0);
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (next, _) = self.next_block_env(now)?;
        Ok(crate::parallel::speculate(
            &self.db,
            &self.evm,
            &next,
            self.workers.as_deref(),
            threads,
            &self.predictions,
            txs,
        )?)
    }

    /// Whether admission should hand contract calls to [`BlockBuilder::speculate`] (the parallel
    /// builder learns their access sets then; the sequential one has no use for them).
    pub fn learns_access_sets(&self) -> bool {
        matches!(self.mode, BuilderMode::Parallel { .. })
    }

    /// The speculative access sets held for pool transactions.
    pub fn predictions(&self) -> &PredictionCache {
        &self.predictions
    }

    /// Switches the execution mode; parallel mode gets its own worker pool.
    pub fn with_mode(mut self, mode: BuilderMode) -> Result<Self, BuildError> {
        self.workers = match mode {
            BuilderMode::Sequential => None,
            BuilderMode::Parallel { threads } => Some(Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads.max(1))
                    .thread_name(|i| format!("agnt2-exec-{i}"))
                    .build()?,
            )),
        };
        self.mode = mode;
        Ok(self)
    }

    /// Runs the parallel builder's work on `pool` instead of a pool of its own, so builders
    /// over different databases can share warm worker threads (their allocator arenas and
    /// caches stay hot from one block to the next, as in a long-running node). Call it after
    /// [`BlockBuilder::with_mode`], which sets up a pool of its own; a sequential builder has no
    /// use for one and ignores it. The bin count stays the mode's thread count.
    pub fn with_workers(mut self, pool: Arc<rayon::ThreadPool>) -> Self {
        if matches!(self.mode, BuilderMode::Parallel { .. }) {
            self.workers = Some(pool);
        }
        self
    }

    /// The execution mode.
    pub fn mode(&self) -> BuilderMode {
        self.mode
    }

    /// The EVM configuration.
    pub fn evm_config(&self) -> &EvmConfig {
        &self.evm
    }

    /// The environment of the next block, as `pending` reads see it.
    pub fn next_block_env(&self, timestamp: u64) -> Result<(NextBlock, Header), BuildError> {
        self.next_block_env_for(&PayloadAttributes::at(timestamp))
    }

    /// The environment of the block `attrs` describe, checked against the head.
    pub fn next_block_env_for(
        &self,
        attrs: &PayloadAttributes,
    ) -> Result<(NextBlock, Header), BuildError> {
        let (number, head_hash) = self.db.head()?.ok_or(BuildError::NoHead)?;
        if let Some(expected) = attrs.parent
            && expected != head_hash
        {
            return Err(BuildError::ParentMismatch {
                expected,
                head: head_hash,
            });
        }
        let parent = self.db.header(number)?.ok_or(BuildError::NoHead)?;
        if attrs.strict_timestamp && attrs.timestamp < parent.timestamp {
            return Err(BuildError::TimestampBeforeParent {
                timestamp: attrs.timestamp,
                parent: parent.timestamp,
            });
        }
        // Holocene: the parent's extraData carries the EIP-1559 parameters its child uses.
        let (denominator, elasticity) = eip1559_params(&parent.extra_data)
            .unwrap_or((self.spec.denominator as u32, self.spec.elasticity as u32));
        let base_fee = next_base_fee_with(
            denominator,
            elasticity,
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or_default(),
        );
        let next = NextBlock {
            number: number + 1,
            timestamp: attrs.timestamp.max(parent.timestamp),
            beneficiary: attrs.fee_recipient.unwrap_or(SEQUENCER_FEE_VAULT),
            base_fee,
            gas_limit: attrs.gas_limit.unwrap_or(self.gas_limit),
            prevrandao: keccak256(parent.hash_slow()),
        };
        Ok((next, parent))
    }

    /// The synthetic L1 origin of `--dev` blocks: one L1 block per L2 block, zero fee scalars so
    /// users pay no L1 data fee.
    pub fn dev_l1_origin(next: &NextBlock) -> L1Origin {
        L1Origin {
            number: next.number,
            timestamp: next.timestamp,
            base_fee: U256::from(1_000_000_000u64),
            blob_base_fee: U256::from(1u64),
            hash: keccak256([b"agnt2-dev-l1".as_slice(), &next.number.to_be_bytes()].concat()),
            ..Default::default()
        }
    }

    /// Builds, seals and commits one block with the L1-attributes deposit and then `txs` in
    /// order (skipping any that turn out invalid), on a synthetic `--dev` L1 origin unless `l1`
    /// is given. Returns the block and the hashes of the transactions found invalid.
    pub fn build<I>(
        &self,
        timestamp: u64,
        l1: Option<L1Origin>,
        txs: I,
    ) -> Result<(BuiltBlock, Vec<B256>), BuildError>
    where
        I: IntoIterator<Item = Arc<RecoveredTx>>,
    {
        let mut attrs = PayloadAttributes::at(timestamp);
        attrs.l1_origin = l1;
        self.build_payload(&attrs, txs)
    }

    /// Builds, seals and commits the block `attrs` describe: the L1-attributes deposit, then
    /// the forced transactions (deposits) in order, none skipped, then — unless
    /// `attrs.no_tx_pool` — `txs` in order, skipping any that turn out invalid. Returns the
    /// block and the hashes of the pool transactions found invalid.
    pub fn build_payload<I>(
        &self,
        attrs: &PayloadAttributes,
        txs: I,
    ) -> Result<(BuiltBlock, Vec<B256>), BuildError>
    where
        I: IntoIterator<Item = Arc<RecoveredTx>>,
    {
        let span = tracing::info_span!("build_block");
        let _g = span.enter();
        let (next, parent) = self.next_block_env_for(attrs)?;
        let l1 = attrs
            .l1_origin
            .clone()
            .unwrap_or_else(|| Self::dev_l1_origin(&next));
        let started = Instant::now();
        let txs: Vec<Arc<RecoveredTx>> = match (&attrs.batch, attrs.no_tx_pool) {
            (Some(batch), _) => batch.clone(),
            (None, true) => Vec::new(),
            (None, false) => txs.into_iter().collect(),
        };
        let mut forced = Vec::with_capacity(1 + attrs.transactions.len());
        forced.push(l1_info_deposit(&l1, attrs.sequence_number));
        forced.extend(attrs.transactions.iter().cloned());
        let (mut executed, mut changes, mut invalid, mut parallel) = if attrs.batch.is_some() {
            // A derived block's order is the batch's: the parallel executor may order what it
            // can predict first, so derived blocks run in order on the reference path.
            let (executed, changes, invalid) = self.execute_sequential(&next, &forced, &txs)?;
            (executed, changes, invalid, None)
        } else {
            self.execute_payload(&next, &forced, &txs)?
        };
        if attrs.batch.is_some() && executed.transactions.len() < forced.len() + txs.len() {
            // Holocene: a derived block whose batch transactions are not all valid becomes
            // the deposit-only block, so the chain still advances.
            tracing::warn!(
                number = next.number,
                included = executed.transactions.len() - forced.len(),
                given = txs.len(),
                "derived block has invalid transactions; building it deposit-only"
            );
            metrics::counter!("agnt2_derived_blocks_replaced_total").increment(1);
            let (e, c, _) = self.execute_sequential(&next, &forced, &[])?;
            (executed, changes, parallel) = (e, c, None);
            invalid.clear();
        }
        record_parallel_stats(parallel.as_ref());
        let execution = started.elapsed();

        let root_started = Instant::now();
        let trie = self.db.compute_state_root(&changes)?;
        let withdrawals_root = match trie
            .storage_roots
            .iter()
            .find(|(a, _)| *a == L2_TO_L1_MESSAGE_PASSER)
        {
            Some((_, r)) => *r,
            None => self.db.storage_root(&L2_TO_L1_MESSAGE_PASSER)?,
        };
        let state_root_time = root_started.elapsed();

        let envelopes: Vec<OpTxEnvelope> = executed
            .transactions
            .iter()
            .map(|t| t.envelope.clone())
            .collect();
        let receipt_envelopes: Vec<_> = executed
            .receipts
            .iter()
            .map(|r| r.receipt.clone())
            .collect();
        let mut logs_bloom = Bloom::ZERO;
        for r in &receipt_envelopes {
            logs_bloom.accrue_bloom(&r.bloom());
        }
        let header = Header {
            parent_hash: parent.hash_slow(),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: next.beneficiary,
            state_root: trie.state_root,
            transactions_root: calculate_transaction_root(&envelopes),
            receipts_root: calculate_receipt_root(&receipt_envelopes),
            logs_bloom,
            number: next.number,
            gas_limit: next.gas_limit,
            gas_used: executed.gas_used,
            timestamp: next.timestamp,
            extra_data: match attrs.eip1559_params {
                Some((denominator, elasticity)) => {
                    holocene_extra_data_with(denominator, elasticity)
                }
                None => holocene_extra_data(&self.spec),
            },
            mix_hash: next.prevrandao,
            base_fee_per_gas: Some(next.base_fee),
            withdrawals_root: Some(withdrawals_root),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        let hash = header.hash_slow();
        let block = SealedBlock {
            header,
            hash,
            transactions: executed.transactions,
        };
        let commit_started = Instant::now();
        let committed = CommittedBlock {
            block: Arc::new(block),
            receipts: Arc::new(executed.receipts),
            changes: Arc::new(changes),
        };
        self.db.commit(committed.clone(), trie)?;
        let commit = commit_started.elapsed();
        let block = &committed.block;
        if let Some(used) = system_gas_used(&committed.receipts) {
            self.system_gas.store(used, AtomicOrdering::Relaxed);
        }
        let times = PhaseTimes {
            execution,
            state_root: state_root_time,
            commit,
        };
        metrics::histogram!("agnt2_block_execution_seconds").record(execution.as_secs_f64());
        metrics::histogram!("agnt2_block_state_root_seconds").record(state_root_time.as_secs_f64());
        metrics::histogram!("agnt2_block_commit_seconds").record(commit.as_secs_f64());
        metrics::counter!("agnt2_blocks_built_total").increment(1);
        metrics::counter!("agnt2_block_txs_total").increment(block.transactions.len() as u64);
        tracing::info!(
            number = block.number(),
            hash = %block.hash,
            txs = block.transactions.len(),
            gas_used = block.header.gas_used,
            exec_ms = execution.as_millis() as u64,
            root_ms = state_root_time.as_millis() as u64,
            commit_ms = commit.as_millis() as u64,
            "built block"
        );
        if !self.predictions.is_empty() {
            self.predictions
                .forget(block.transactions.iter().map(|t| &t.hash).chain(&invalid));
        }
        Ok((
            BuiltBlock {
                block: committed.block,
                receipts: committed.receipts,
                changes: committed.changes,
                times,
                parallel,
            },
            invalid,
        ))
    }

    /// Executes the forced transactions and then `txs` with the builder's mode.
    fn execute_payload(
        &self,
        next: &NextBlock,
        forced: &[RecoveredTx],
        txs: &[Arc<RecoveredTx>],
    ) -> Result<Execution, BuildError> {
        Ok(match self.mode {
            BuilderMode::Sequential => {
                let (executed, changes, invalid) = self.execute_sequential(next, forced, txs)?;
                (executed, changes, invalid, None)
            }
            BuilderMode::Parallel { threads } => {
                let mut state = StateDb::new(self.db.latest()?);
                let forced_block = {
                    let mut exec = BlockExecutor::new(&self.evm, next, &mut state);
                    execute_forced(&mut exec, forced)?;
                    exec.finish()
                };
                let outcome = crate::parallel::execute(
                    &self.db,
                    &self.evm,
                    next,
                    self.workers.as_deref(),
                    threads,
                    &forced_block,
                    state.into_changes(),
                    txs.to_vec(),
                    &self.predictions,
                )?;
                match outcome {
                    Ok(out) => (out.block, out.changes, out.invalid, Some(out.stats)),
                    Err(stats) => {
                        let (executed, changes, invalid) =
                            self.execute_sequential(next, forced, txs)?;
                        (executed, changes, invalid, Some(stats))
                    }
                }
            }
        })
    }

    /// The reference path: the forced transactions, then `txs` one after another.
    fn execute_sequential(
        &self,
        next: &NextBlock,
        forced: &[RecoveredTx],
        txs: &[Arc<RecoveredTx>],
    ) -> Result<(ExecutedBlock, StateChanges, Vec<B256>), BuildError> {
        let mut state = StateDb::new(self.db.latest()?);
        let mut invalid = Vec::new();
        let executed = {
            let mut exec = BlockExecutor::new(&self.evm, next, &mut state);
            execute_forced(&mut exec, forced)?;
            run_in_order(&mut exec, txs, &mut invalid)?;
            exec.finish()
        };
        Ok((executed, state.into_changes(), invalid))
    }

    /// Account nonces and balances after the head, for the senders of `block` (what the pool
    /// needs to settle their queues).
    pub fn sender_states(
        &self,
        block: &SealedBlock,
    ) -> Result<Vec<(Address, SenderState)>, BuildError> {
        self.sender_states_of(
            block
                .transactions
                .iter()
                .filter(|t| !t.is_deposit())
                .map(|t| t.signer),
        )
    }

    /// Head-state nonces and balances of `senders` (each once).
    pub fn sender_states_of(
        &self,
        senders: impl IntoIterator<Item = Address>,
    ) -> Result<Vec<(Address, SenderState)>, BuildError> {
        let state = self.db.latest()?;
        let senders: HashSet<Address> = senders.into_iter().collect();
        senders
            .into_iter()
            .map(|a| {
                let acc = state.account(&a)?.unwrap_or_default();
                Ok((
                    a,
                    SenderState {
                        nonce: acc.nonce,
                        balance: acc.balance,
                    },
                ))
            })
            .collect()
    }
}

/// Gas used by the L1-attributes deposit that opens every block: what no pool transaction can
/// have. User deposits after it vary from block to block, so a transaction that does not fit
/// beside them waits for a block that has room instead of being refused. `None` for a block
/// without it (genesis).
fn system_gas_used(receipts: &[StoredReceipt]) -> Option<u64> {
    let first = receipts.first()?;
    matches!(
        first.receipt,
        op_alloy::consensus::OpReceiptEnvelope::Deposit(_)
    )
    .then_some(first.meta.gas_used)
}

/// Executes the forced prefix of a block in order; any that cannot be included fails the
/// block, as derivation requires.
fn execute_forced<P: StateProvider>(
    exec: &mut BlockExecutor<'_, P>,
    forced: &[RecoveredTx],
) -> Result<(), BuildError> {
    for (index, tx) in forced.iter().enumerate() {
        let reason = match exec.execute(tx.clone())? {
            TxOutcome::Included => continue,
            TxOutcome::DoesNotFit => ForcedTxError::DoesNotFit,
            TxOutcome::Invalid(e) => ForcedTxError::Invalid(e),
        };
        return Err(BuildError::Forced {
            index,
            hash: tx.hash,
            reason,
        });
    }
    Ok(())
}

fn record_parallel_stats(stats: Option<&ParallelStats>) {
    let Some(stats) = stats else { return };
    metrics::counter!("agnt2_builder_parallel_txs_total").increment(stats.predicted as u64);
    metrics::counter!("agnt2_builder_tail_txs_total").increment(stats.tail as u64);
    metrics::histogram!("agnt2_builder_groups").record(stats.groups as f64);
    metrics::histogram!("agnt2_builder_largest_bin_share").record(stats.largest_bin_share);
    metrics::counter!("agnt2_builder_reexecuted_txs_total").increment(stats.reexecuted as u64);
    if stats.fallback.is_none() && stats.largest_bin_share > 0.0 {
        // How many bins' worth of work ran at once: total gas over the largest bin's.
        metrics::histogram!("agnt2_builder_parallelism").record(1.0 / stats.largest_bin_share);
    }
    if let Some(reason) = stats.fallback {
        metrics::counter!("agnt2_builder_sequential_fallbacks_total", "reason" => reason)
            .increment(1);
    }
}

/// EIP-1559 denominator and elasticity from a Holocene `extraData` (version 0, two
/// big-endian u32); `None` for another layout or zero values (the chain's defaults apply).
fn eip1559_params(extra: &[u8]) -> Option<(u32, u32)> {
    let [0, d0, d1, d2, d3, e0, e1, e2, e3] = *extra else {
        return None;
    };
    let d = u32::from_be_bytes([d0, d1, d2, d3]);
    let e = u32::from_be_bytes([e0, e1, e2, e3]);
    (d != 0 && e != 0).then_some((d, e))
}

/// Convenience for callers that build from a pool: the pool's best transactions at the next
/// block's base fee.
pub fn pool_candidates(
    builder: &BlockBuilder,
    pool: &Pool,
    timestamp: u64,
) -> Result<Vec<Arc<RecoveredTx>>, BuildError> {
    let (next, _) = builder.next_block_env(timestamp)?;
    Ok(pool.best_transactions(next.base_fee))
}
