//! The write paths: committing a block together with the change sets that undo it, unwinding
//! the head back to an earlier block, and the `safe` / `finalized` heads.
//!
//! A change set records, per block, the value every touched account and slot had *before*
//! the block, and the history index (`AccountsHistory`, `StoragesHistory`) lists, per key,
//! the blocks that changed it, so a historical read is one seek. Unwinding block `n` puts the
//! recorded values back into the plain and hashed state, then the tries are walked once over
//! every key the unwound blocks touched, so the head state after an unwind is exactly the
//! state the older header commits to (checked). Change sets older than the history window are
//! pruned one block per commit. Code is content-addressed and stays.

use std::{collections::HashSet, sync::Arc};

use agnt2_primitives::{SealedBlock, StoredReceipt};
use alloy_primitives::{Address, U256, keccak256};
use libmdbx::{NoWriteMap, RW, Transaction, WriteFlags};

use crate::{
    AccountUpdate, Database, StateChanges, StorageError, StoredAccount, TrieOutput, codec,
    db::{META_FINALIZED, META_HEAD, META_PERSISTING, META_PRUNED, META_SAFE, Tables},
    pending::{NO_LAYER, PendingBlock, PendingView},
    sealed::{self, SealedRead},
    state::storage_key,
    trie::{StateTrie, node_key},
};

type RwTxn = Transaction<'static, RW, NoWriteMap>;
type KeyValue = (Vec<u8>, Vec<u8>);

/// A block as it was committed: what a canonical-chain notification carries, and what an
/// unwind hands back for the blocks it removed.
#[derive(Debug, Clone)]
pub struct CommittedBlock {
    /// The block with its senders.
    pub block: Arc<SealedBlock>,
    /// Its receipts.
    pub receipts: Arc<Vec<StoredReceipt>>,
    /// The state it wrote: every touched account's new fields and every touched slot's new
    /// value. For an unwound block the values come from its change sets, so an account that
    /// was destroyed and re-created lists its old slots as cleared rather than `wipe_storage`.
    pub changes: Arc<StateChanges>,
}

impl Database {
    /// Removes every block above `target` and puts the state back to what it was after
    /// `target`, in one write transaction. Returns the removed blocks, oldest first. `safe` is
    /// lowered to `target` when it was above; unwinding below `finalized` is refused.
    pub fn unwind_to(&self, target: u64) -> Result<Vec<CommittedBlock>, StorageError> {
        self.flush()?;
        let Some((head, _)) = self.head()? else {
            return Ok(Vec::new());
        };
        if target >= head {
            return Ok(Vec::new());
        }
        if let Some(finalized) = self.finalized()?
            && target < finalized
        {
            return Err(StorageError::UnwindFinalized { target, finalized });
        }
        let t = self.tables();
        let txn = self.env().begin_rw_txn()?;
        if let Some(oldest) = read_u64(&txn, t, META_PRUNED)?
            && target < oldest
        {
            return Err(StorageError::HistoryPruned {
                block: target,
                oldest,
            });
        }
        let mut removed = Vec::with_capacity((head - target) as usize);
        for n in (target + 1..=head).rev() {
            removed.push(unwind_block(&txn, t, n)?);
        }
        let expected = codec::decode_header(
            &txn.sealed(&t.headers, &target.to_be_bytes())?
                .ok_or(StorageError::Corrupt("unwind target has no header"))?,
        )?
        .state_root;
        rehash_after_unwind(&txn, t, &removed, expected)?;
        let num = target.to_be_bytes();
        sealed::put(&txn, &t.meta, META_HEAD, &num)?;
        if read_u64(&txn, t, META_SAFE)?.is_some_and(|s| s > target) {
            sealed::put(&txn, &t.meta, META_SAFE, &num)?;
        }
        txn.commit()?;
        metrics::counter!("agnt2_storage_blocks_unwound_total").increment(removed.len() as u64);
        tracing::info!(from = head, to = target, "unwound the head");
        removed.reverse();
        let shared = self.shared();
        shared.replace_view(|_| PendingView::empty(Some(target)));
        shared.set_persisted(Some(target));
        Ok(removed)
    }

    /// Records the `safe` and `finalized` heads (block numbers at or below the head, with
    /// `finalized ≤ safe`; a head that would move back is left where it is).
    pub fn set_forkchoice(&self, safe: u64, finalized: u64) -> Result<(), StorageError> {
        let t = self.tables();
        let head = self.shared().view().head.unwrap_or(0);
        let txn = self.env().begin_rw_txn()?;
        let finalized = finalized.min(head);
        let safe = safe.min(head).max(finalized);
        if read_u64(&txn, t, META_FINALIZED)?.is_none_or(|f| finalized > f) {
            sealed::put(&txn, &t.meta, META_FINALIZED, &finalized.to_be_bytes())?;
        }
        if read_u64(&txn, t, META_SAFE)?.is_none_or(|s| safe > s) {
            sealed::put(&txn, &t.meta, META_SAFE, &safe.to_be_bytes())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The `safe` head, if one was recorded.
    pub fn safe(&self) -> Result<Option<u64>, StorageError> {
        self.meta_u64(META_SAFE)
    }

    /// The `finalized` head, if one was recorded.
    pub fn finalized(&self) -> Result<Option<u64>, StorageError> {
        self.meta_u64(META_FINALIZED)
    }

    /// Block `number` as it was committed, its state changes included: the touched keys come
    /// from its change sets and their values from the state after it. Code is not included
    /// (`code: None`; the code hash is). What the ExEx manager backfills its log from after a
    /// crash between a commit and the log write.
    pub fn committed_block(&self, number: u64) -> Result<Option<CommittedBlock>, StorageError> {
        if let Some(p) = self.shared().view().block(number) {
            return Ok(Some(p.block.clone()));
        }
        let (Some(header), Some(hash), Some(body), Some(receipts), Some(state)) = (
            self.header(number)?,
            self.block_hash(number)?,
            self.body(number)?,
            self.receipts(number)?,
            self.state_at(number)?,
        ) else {
            return Ok(None);
        };
        let t = self.tables();
        let txn = self.ro()?;
        let prefix = number.to_be_bytes();
        let mut changes = StateChanges::new();
        for key in keys_with_prefix(&txn, &t.account_changesets, &prefix)? {
            let address = Address::from_slice(&key[8..]);
            let info = crate::StateProvider::account(&state, &address)?.map(|a| AccountUpdate {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
                code: None,
            });
            changes.entry(address).or_default().info = info;
        }
        for key in keys_with_prefix(&txn, &t.storage_changesets, &prefix)? {
            let address = Address::from_slice(&key[8..28]);
            let slot = U256::from_be_slice(&key[28..]);
            let value = crate::StateProvider::storage(&state, &address, &slot)?;
            changes
                .entry(address)
                .or_default()
                .storage
                .insert(slot, value);
        }
        Ok(Some(CommittedBlock {
            block: Arc::new(SealedBlock {
                header,
                hash,
                transactions: body,
            }),
            receipts: Arc::new(receipts),
            changes: Arc::new(changes),
        }))
    }

    /// The newest block the tables hold (blocks above it are pending, see `persist.rs`).
    pub(crate) fn table_head(&self) -> Result<Option<u64>, StorageError> {
        read_head(&self.ro()?, self.tables())
    }

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>, StorageError> {
        Ok(self
            .ro()?
            .sealed_array::<8>(&self.tables().meta, key)?
            .map(u64::from_be_bytes))
    }
}

/// The tables' head inside `txn`.
pub(crate) fn read_head<K: libmdbx::TransactionKind>(
    txn: &Transaction<'static, K, NoWriteMap>,
    t: &Tables,
) -> Result<Option<u64>, StorageError> {
    read_u64(txn, t, META_HEAD)
}

/// Writes `blocks` (consecutive, the first one right above the tables' head), each in two
/// write transactions, because MDBX's cost per dirty page grows with the number of pages a
/// transaction has dirtied (it keeps them in one sorted list), so two half-size transactions
/// are much cheaper than one:
/// 1. the block's header, body, receipts and transaction index, its plain state and code, and
///    the change sets and history index that undo it, with `Meta.persisting` = the block;
/// 2. its hashed state and trie nodes, the pruning of the history that left the window, and
///    `Meta.head` = the block (clearing `persisting`).
///
/// Between the two the plain state is one block ahead of the tries and `head`; readers never
/// see that (the block is still in the pending view, and historical reads below it go through
/// its change sets, see `HistoricalState`), and after a crash there the replay redoes step 2
/// only (`resume`: the first block's step 1 is already in the tables).
pub(crate) fn persist_blocks(
    db: &Database,
    blocks: &[Arc<PendingBlock>],
    mut resume: bool,
) -> Result<(), StorageError> {
    let t = db.tables();
    let mut times = [std::time::Duration::ZERO; 4];
    for b in blocks {
        let block = &b.block.block;
        let num = block.number().to_be_bytes();
        let t0 = std::time::Instant::now();
        if !resume {
            let txn = db.env().begin_rw_txn()?;
            let head = read_u64(&txn, t, META_HEAD)?;
            if head.map_or(0, |h| h + 1) != block.number() {
                return Err(StorageError::NotNext {
                    head,
                    number: block.number(),
                });
            }
            write_block(&txn, t, block, &b.block.receipts)?;
            write_state(&txn, t, &num, &b.block.changes, &b.trie)?;
            sealed::put(&txn, &t.meta, META_PERSISTING, &num)?;
            txn.commit()?;
            die_after(1);
        }
        resume = false;
        let t1 = t0.elapsed();
        let txn = db.env().begin_rw_txn()?;
        if read_u64(&txn, t, META_PERSISTING)? != Some(block.number()) {
            return Err(StorageError::Corrupt(
                "the block's state is not in the tables before its tries",
            ));
        }
        write_tries(&txn, t, &b.trie)?;
        if let Some(window) = db.history_blocks() {
            prune_history(&txn, t, block.number().saturating_sub(window))?;
        }
        sealed::put(&txn, &t.meta, META_HEAD, &num)?;
        txn.del(&t.meta.table, META_PERSISTING, None)?;
        let t2 = t0.elapsed();
        txn.commit()?;
        die_after(2);
        times[0] += t1;
        times[1] += t2 - t1;
        times[2] += t0.elapsed() - t2;
    }
    let phase = |name: &'static str, d: std::time::Duration| {
        metrics::histogram!("agnt2_storage_commit_phase_seconds", "phase" => name)
            .record(d.as_secs_f64());
    };
    phase("block_and_plain_state", times[0]);
    phase("tries", times[1]);
    phase("tries_mdbx_commit", times[2]);
    Ok(())
}

/// Fault injection for the recovery tests (debug builds only): the process dies right after
/// write transaction `step` (1 or 2) of a block in [`persist_blocks`] when
/// `AGNT2_STORAGE_DIE_AFTER_STEP` names it.
fn die_after(step: u8) {
    #[cfg(debug_assertions)]
    if std::env::var("AGNT2_STORAGE_DIE_AFTER_STEP")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        == Some(step)
    {
        std::process::exit(0);
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// The block whose plain state is in the tables but whose tries are not yet (see
/// [`persist_blocks`]), inside `txn`.
pub(crate) fn read_persisting<K: libmdbx::TransactionKind>(
    txn: &Transaction<'static, K, NoWriteMap>,
    t: &Tables,
) -> Result<Option<u64>, StorageError> {
    read_u64(txn, t, META_PERSISTING)
}

fn read_u64<K: libmdbx::TransactionKind>(
    txn: &Transaction<'static, K, NoWriteMap>,
    t: &Tables,
    key: &[u8],
) -> Result<Option<u64>, StorageError> {
    Ok(txn.sealed_array::<8>(&t.meta, key)?.map(u64::from_be_bytes))
}

fn write_block(
    txn: &RwTxn,
    t: &Tables,
    block: &SealedBlock,
    receipts: &[StoredReceipt],
) -> Result<(), StorageError> {
    let num = block.number().to_be_bytes();
    sealed::put(txn, &t.headers, &num, &codec::encode_header(&block.header))?;
    sealed::put(txn, &t.header_numbers, block.hash.as_slice(), &num)?;
    sealed::put(txn, &t.canonical_hashes, &num, block.hash.as_slice())?;
    sealed::put(
        txn,
        &t.bodies,
        &num,
        &codec::encode_body(&block.transactions),
    )?;
    sealed::put(txn, &t.receipts, &num, &codec::encode_receipts(receipts))?;
    for (i, tx) in block.transactions.iter().enumerate() {
        let mut loc = [0u8; 12];
        loc[..8].copy_from_slice(&num);
        loc[8..].copy_from_slice(&(i as u32).to_be_bytes());
        sealed::put(txn, &t.tx_lookup, tx.hash.as_slice(), &loc)?;
    }
    Ok(())
}

/// Applies the block's state to the plain tables, recording first what each key held (its
/// change set, and the key's entry in the history index). Genesis records none: there is no
/// state before it to return to.
fn write_state(
    txn: &RwTxn,
    t: &Tables,
    num: &[u8; 8],
    changes: &StateChanges,
    trie: &TrieOutput,
) -> Result<(), StorageError> {
    let history = u64::from_be_bytes(*num) > 0;
    for (address, change) in changes {
        // Slots whose pre-block value is already recorded (by the wipe below).
        let mut recorded: HashSet<U256> = HashSet::new();
        if change.wipe_storage || change.info.is_none() {
            wipe_storage(txn, t, num, address, &mut recorded, history)?;
        }
        if change.info.is_none() {
            continue;
        }
        for (slot, value) in &change.storage {
            let key = storage_key(address, slot);
            if history && !recorded.contains(slot) {
                let prev = txn.sealed(&t.plain_storage, &key)?.unwrap_or_default();
                record_storage(txn, t, num, &key, &prev)?;
            }
            if value.is_zero() {
                txn.del(&t.plain_storage.table, key, None)?;
            } else {
                sealed::put(txn, &t.plain_storage, &key, &value.to_be_bytes::<32>())?;
            }
        }
        if let Some(code) = change.info.as_ref().and_then(|i| i.code.as_ref())
            && !code.is_empty()
        {
            sealed::put(txn, &t.bytecodes, keccak256(code).as_slice(), code)?;
        }
    }
    for (address, account) in &trie.accounts {
        if history {
            let prev = txn
                .sealed(&t.plain_accounts, address.as_slice())?
                .unwrap_or_default();
            sealed::put(
                txn,
                &t.account_changesets,
                &[&num[..], address.as_slice()].concat(),
                &prev,
            )?;
            sealed::put(
                txn,
                &t.accounts_history,
                &[address.as_slice(), &num[..]].concat(),
                &[],
            )?;
        }
        match account {
            Some(a) => sealed::put(txn, &t.plain_accounts, address.as_slice(), &a.encode())?,
            None => {
                txn.del(&t.plain_accounts.table, address, None)?;
            }
        }
    }
    Ok(())
}

/// A slot's change-set entry and history-index entry.
fn record_storage(
    txn: &RwTxn,
    t: &Tables,
    num: &[u8; 8],
    key: &[u8],
    prev: &[u8],
) -> Result<(), StorageError> {
    sealed::put(txn, &t.storage_changesets, &[&num[..], key].concat(), prev)?;
    sealed::put(txn, &t.storages_history, &[key, &num[..]].concat(), &[])
}

/// Writes the hashed state and the trie nodes the block's trie computation produced, each
/// table in key order; nodes the new tries no longer have are deleted.
fn write_tries(txn: &RwTxn, t: &Tables, trie: &TrieOutput) -> Result<(), StorageError> {
    put_leaves(txn, &t.hashed_accounts, &[], &trie.hashed_accounts)?;
    for st in &trie.storage_tries {
        let prefix = st.hashed_address.as_slice();
        if st.wiped {
            delete_prefixed(txn, &t.hashed_storages, prefix)?;
        }
        put_leaves(txn, &t.hashed_storages, prefix, &st.leaves)?;
    }
    write_nodes(txn, &t.accounts_trie, &[], &trie.account_trie, false)?;
    for st in &trie.storage_tries {
        write_nodes(
            txn,
            &t.storages_trie,
            st.hashed_address.as_slice(),
            &st.updates,
            st.wiped,
        )?;
    }
    Ok(())
}

/// Writes (or, for `None`, deletes) hashed leaves under `prefix`.
fn put_leaves(
    txn: &RwTxn,
    table: &sealed::SealedTable,
    prefix: &[u8],
    leaves: &[(alloy_primitives::B256, Option<Vec<u8>>)],
) -> Result<(), StorageError> {
    for (key, leaf) in leaves {
        let key = [prefix, key.as_slice()].concat();
        match leaf {
            Some(v) => sealed::put(txn, table, &key, v)?,
            None => {
                txn.del(&table.table, &key, None)?;
            }
        }
    }
    Ok(())
}

/// Writes branch nodes under `prefix`.
pub(crate) fn put_nodes(
    txn: &RwTxn,
    table: &sealed::SealedTable,
    prefix: &[u8],
    nodes: &[(agnt2_trie::Nibbles, agnt2_trie::BranchNodeCompact)],
) -> Result<(), StorageError> {
    for (path, node) in nodes {
        sealed::put(
            txn,
            table,
            &node_key(prefix, path),
            &agnt2_trie::encode_node(node),
        )?;
    }
    Ok(())
}

/// Applies one trie's node writes under `prefix` (all of its old nodes go first if `wiped`).
fn write_nodes(
    txn: &RwTxn,
    table: &sealed::SealedTable,
    prefix: &[u8],
    updates: &agnt2_trie::TrieUpdates,
    wiped: bool,
) -> Result<(), StorageError> {
    if wiped {
        delete_prefixed(txn, table, prefix)?;
    } else {
        for path in &updates.removed {
            txn.del(&table.table, node_key(prefix, path), None)?;
        }
    }
    put_nodes(txn, table, prefix, &updates.updated)?;
    metrics::counter!("agnt2_storage_trie_nodes_written_total")
        .increment(updates.updated.len() as u64);
    metrics::counter!("agnt2_storage_trie_nodes_deleted_total")
        .increment(updates.removed.len() as u64);
    Ok(())
}

/// Deletes every row of `table` whose key starts with `prefix`.
fn delete_prefixed(
    txn: &RwTxn,
    table: &sealed::SealedTable,
    prefix: &[u8],
) -> Result<(), StorageError> {
    let mut cursor = txn.cursor(&table.table)?;
    let mut entry = cursor.set_range::<Vec<u8>, ()>(prefix)?;
    while let Some((key, ())) = entry {
        if !key.starts_with(prefix) {
            break;
        }
        cursor.del(WriteFlags::empty())?;
        entry = cursor.get_current::<Vec<u8>, ()>()?;
    }
    Ok(())
}

/// Drops the change sets (and their index entries) of every block up to `through`, once:
/// `Meta.pruned` remembers how far it got, so each commit prunes the one block that left the
/// window.
fn prune_history(txn: &RwTxn, t: &Tables, through: u64) -> Result<(), StorageError> {
    let done = read_u64(txn, t, META_PRUNED)?.unwrap_or(0);
    if through <= done {
        return Ok(());
    }
    for b in done + 1..=through {
        let num = b.to_be_bytes();
        for (key, _) in take_prefixed(txn, &t.account_changesets, &num)? {
            txn.del(
                &t.accounts_history.table,
                [&key[8..], &num[..]].concat(),
                None,
            )?;
        }
        for (key, _) in take_prefixed(txn, &t.storage_changesets, &num)? {
            txn.del(
                &t.storages_history.table,
                [&key[8..], &num[..]].concat(),
                None,
            )?;
        }
    }
    sealed::put(txn, &t.meta, META_PRUNED, &through.to_be_bytes())?;
    Ok(())
}

/// After the plain state is back at the unwind target: rewrites the hashed state of every key
/// the unwound blocks touched and walks the tries over them, checking the result against the
/// target's state root.
fn rehash_after_unwind(
    txn: &RwTxn,
    t: &'static Tables,
    removed: &[CommittedBlock],
    expected: alloy_primitives::B256,
) -> Result<(), StorageError> {
    let mut slots: std::collections::BTreeMap<Address, HashSet<U256>> = Default::default();
    for b in removed {
        for (address, change) in b.changes.iter() {
            slots
                .entry(*address)
                .or_default()
                .extend(change.storage.keys().copied());
        }
    }
    let mut hashed_accounts = Vec::with_capacity(slots.len());
    for (address, touched) in &slots {
        let hashed = keccak256(address);
        let account = match txn.sealed(&t.plain_accounts, address.as_slice())? {
            Some(v) => Some(StoredAccount::decode(&v)?),
            None => None,
        };
        let mut leaves: Vec<(alloy_primitives::B256, Option<Vec<u8>>)> = Vec::new();
        for slot in touched {
            let value = txn
                .sealed(&t.plain_storage, &storage_key(address, slot))?
                .map_or(U256::ZERO, |v| U256::from_be_slice(&v));
            let leaf =
                (account.is_some() && !value.is_zero()).then(|| codec::storage_trie_value(value));
            leaves.push((keccak256(slot.to_be_bytes::<32>()), leaf));
        }
        leaves.sort_unstable_by_key(|e| e.0);
        let Some(account) = account else {
            // Gone at the target: none of its storage rows may stay.
            delete_prefixed(txn, &t.hashed_storages, hashed.as_slice())?;
            delete_prefixed(txn, &t.storages_trie, hashed.as_slice())?;
            hashed_accounts.push((hashed, None));
            continue;
        };
        let (updates, _) = StateTrie::Storage(hashed).walk(txn, t, &NO_LAYER, &leaves, &[])?;
        if updates.root != account.storage_root {
            return Err(StorageError::Corrupt(
                "unwound storage does not give the account's recorded storage root",
            ));
        }
        put_leaves(txn, &t.hashed_storages, hashed.as_slice(), &leaves)?;
        write_nodes(txn, &t.storages_trie, hashed.as_slice(), &updates, false)?;
        hashed_accounts.push((hashed, Some(account.trie_rlp())));
    }
    hashed_accounts.sort_unstable_by_key(|e| e.0);
    let (updates, _) = StateTrie::Accounts.walk(txn, t, &NO_LAYER, &hashed_accounts, &[])?;
    if updates.root != expected {
        return Err(StorageError::Corrupt(
            "the unwound state does not give the target block's state root",
        ));
    }
    put_leaves(txn, &t.hashed_accounts, &[], &hashed_accounts)?;
    write_nodes(txn, &t.accounts_trie, &[], &updates, false)?;
    Ok(())
}

/// Deletes every slot of `address`, recording each one's value in the block's change set.
fn wipe_storage(
    txn: &RwTxn,
    t: &Tables,
    num: &[u8; 8],
    address: &Address,
    recorded: &mut HashSet<U256>,
    history: bool,
) -> Result<(), StorageError> {
    let mut wiped = Vec::new();
    {
        let mut cursor = txn.cursor(&t.plain_storage.table)?;
        let mut entry = cursor.set_range::<Vec<u8>, Vec<u8>>(address.as_slice())?;
        while let Some((key, value)) = entry {
            if !key.starts_with(address.as_slice()) {
                break;
            }
            wiped.push((key, value));
            cursor.del(WriteFlags::empty())?;
            entry = cursor.get_current::<Vec<u8>, Vec<u8>>()?;
        }
    }
    for (key, value) in wiped {
        let prev = sealed::unseal(t.plain_storage.name, &key, value)?;
        recorded.insert(U256::from_be_slice(&key[20..]));
        if history {
            record_storage(txn, t, num, &key, &prev)?;
        }
    }
    Ok(())
}

/// Removes block `n` (which must be the head inside `txn`) and restores the state before it.
fn unwind_block(txn: &RwTxn, t: &Tables, n: u64) -> Result<CommittedBlock, StorageError> {
    let num = n.to_be_bytes();
    let missing = StorageError::Corrupt("block to unwind is incomplete");
    let header = codec::decode_header(&txn.sealed(&t.headers, &num)?.ok_or(missing)?)?;
    let hash = txn
        .sealed_array::<32>(&t.canonical_hashes, &num)?
        .ok_or(StorageError::Corrupt("block to unwind has no hash"))?;
    let body = codec::decode_body(
        &txn.sealed(&t.bodies, &num)?
            .ok_or(StorageError::Corrupt("block to unwind has no body"))?,
    )?;
    let receipts = codec::decode_receipts(
        &txn.sealed(&t.receipts, &num)?
            .ok_or(StorageError::Corrupt("block to unwind has no receipts"))?,
    )?;
    let mut changes = StateChanges::new();
    for (key, prev) in take_prefixed(txn, &t.storage_changesets, &num)? {
        let plain = &key[8..];
        txn.del(&t.storages_history.table, [plain, &num[..]].concat(), None)?;
        let address = Address::from_slice(&plain[..20]);
        let slot = U256::from_be_slice(&plain[20..]);
        let now = txn
            .sealed(&t.plain_storage, plain)?
            .map_or(U256::ZERO, |v| U256::from_be_slice(&v));
        changes
            .entry(address)
            .or_default()
            .storage
            .insert(slot, now);
        if prev.is_empty() {
            txn.del(&t.plain_storage.table, plain, None)?;
        } else {
            sealed::put(txn, &t.plain_storage, plain, &prev)?;
        }
    }
    for (key, prev) in take_prefixed(txn, &t.account_changesets, &num)? {
        let address = Address::from_slice(&key[8..]);
        txn.del(
            &t.accounts_history.table,
            [address.as_slice(), &num[..]].concat(),
            None,
        )?;
        let now = match txn.sealed(&t.plain_accounts, address.as_slice())? {
            Some(v) => Some(StoredAccount::decode(&v)?),
            None => None,
        };
        changes.entry(address).or_default().info = now.map(|a| AccountUpdate {
            nonce: a.nonce,
            balance: a.balance,
            code_hash: a.code_hash,
            code: None,
        });
        if prev.is_empty() {
            txn.del(&t.plain_accounts.table, address, None)?;
        } else {
            sealed::put(txn, &t.plain_accounts, address.as_slice(), &prev)?;
        }
    }
    for tx in &body {
        txn.del(&t.tx_lookup.table, tx.hash, None)?;
    }
    txn.del(&t.headers.table, num, None)?;
    txn.del(&t.header_numbers.table, hash, None)?;
    txn.del(&t.canonical_hashes.table, num, None)?;
    txn.del(&t.bodies.table, num, None)?;
    txn.del(&t.receipts.table, num, None)?;
    Ok(CommittedBlock {
        block: Arc::new(SealedBlock {
            header,
            hash: hash.into(),
            transactions: body,
        }),
        receipts: Arc::new(receipts),
        changes: Arc::new(changes),
    })
}

/// The keys of `table` that start with `prefix`.
fn keys_with_prefix(
    txn: &Transaction<'static, libmdbx::RO, NoWriteMap>,
    table: &sealed::SealedTable,
    prefix: &[u8],
) -> Result<Vec<Vec<u8>>, StorageError> {
    let mut keys = Vec::new();
    let mut cursor = txn.cursor(&table.table)?;
    let mut entry = cursor.set_range::<Vec<u8>, ()>(prefix)?;
    while let Some((key, ())) = entry {
        if !key.starts_with(prefix) {
            break;
        }
        keys.push(key);
        entry = cursor.next::<Vec<u8>, ()>()?;
    }
    Ok(keys)
}

/// Deletes and returns (checked) every entry of `table` whose key starts with `prefix`.
fn take_prefixed(
    txn: &RwTxn,
    table: &sealed::SealedTable,
    prefix: &[u8],
) -> Result<Vec<KeyValue>, StorageError> {
    let mut raw = Vec::new();
    {
        let mut cursor = txn.cursor(&table.table)?;
        let mut entry = cursor.set_range::<Vec<u8>, Vec<u8>>(prefix)?;
        while let Some((key, value)) = entry {
            if !key.starts_with(prefix) {
                break;
            }
            raw.push((key, value));
            cursor.del(WriteFlags::empty())?;
            entry = cursor.get_current::<Vec<u8>, Vec<u8>>()?;
        }
    }
    raw.into_iter()
        .map(|(key, value)| {
            let v = sealed::unseal(table.name, &key, value)?;
            Ok((key, v))
        })
        .collect()
}
