//! The write paths: committing a block together with the change sets that undo it, unwinding
//! the head back to an earlier block, and the `safe` / `finalized` heads.
//!
//! A change set records, per block, the value every touched account and slot had *before*
//! the block. Unwinding block `n` puts those values back into the plain state, so the head
//! state after an unwind is exactly the state the older header commits to; historical reads
//! walk the tries from old roots and never needed the plain state. Trie nodes and code are
//! content-addressed and stay.

use std::{collections::HashSet, sync::Arc};

use agnt2_primitives::{SealedBlock, StoredReceipt};
use alloy_primitives::{Address, U256, keccak256};
use libmdbx::{NoWriteMap, RW, Transaction, WriteFlags};

use crate::{
    AccountUpdate, Database, StateChanges, StorageError, StoredAccount, TrieOutput, codec,
    db::{META_FINALIZED, META_HEAD, META_SAFE, Tables},
    sealed::{self, SealedRead},
    state::storage_key,
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
    /// Writes a block, its receipts, its state changes and the change sets that undo them in
    /// one write transaction: after a crash the block is there entirely or not at all.
    pub fn commit_block(
        &self,
        block: &SealedBlock,
        receipts: &[StoredReceipt],
        changes: &StateChanges,
        trie: &TrieOutput,
    ) -> Result<(), StorageError> {
        let t = self.tables();
        let txn = self.env().begin_rw_txn()?;
        let num = block.number().to_be_bytes();
        let head = read_u64(&txn, t, META_HEAD)?;
        if head.map_or(0, |h| h + 1) != block.number() {
            return Err(StorageError::NotNext {
                head,
                number: block.number(),
            });
        }
        write_block(&txn, t, block, receipts)?;
        write_state(&txn, t, &num, changes, trie)?;
        sealed::put(&txn, &t.meta, META_HEAD, &num)?;
        txn.commit()?;
        metrics::counter!("agnt2_storage_blocks_committed_total").increment(1);
        Ok(())
    }

    /// Removes every block above `target` and puts the state back to what it was after
    /// `target`, in one write transaction. Returns the removed blocks, oldest first. `safe` is
    /// lowered to `target` when it was above; unwinding below `finalized` is refused.
    pub fn unwind_to(&self, target: u64) -> Result<Vec<CommittedBlock>, StorageError> {
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
        let mut removed = Vec::with_capacity((head - target) as usize);
        for n in (target + 1..=head).rev() {
            removed.push(unwind_block(&txn, t, n)?);
        }
        let num = target.to_be_bytes();
        sealed::put(&txn, &t.meta, META_HEAD, &num)?;
        if read_u64(&txn, t, META_SAFE)?.is_some_and(|s| s > target) {
            sealed::put(&txn, &t.meta, META_SAFE, &num)?;
        }
        txn.commit()?;
        metrics::counter!("agnt2_storage_blocks_unwound_total").increment(removed.len() as u64);
        tracing::info!(from = head, to = target, "unwound the head");
        removed.reverse();
        Ok(removed)
    }

    /// Records the `safe` and `finalized` heads (block numbers at or below the head, with
    /// `finalized ≤ safe`; a head that would move back is left where it is).
    pub fn set_forkchoice(&self, safe: u64, finalized: u64) -> Result<(), StorageError> {
        let t = self.tables();
        let txn = self.env().begin_rw_txn()?;
        let head = read_u64(&txn, t, META_HEAD)?.unwrap_or(0);
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

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>, StorageError> {
        Ok(self
            .ro()?
            .sealed_array::<8>(&self.tables().meta, key)?
            .map(u64::from_be_bytes))
    }
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

/// Applies the block's state to the plain tables, recording first what each key held.
fn write_state(
    txn: &RwTxn,
    t: &Tables,
    num: &[u8; 8],
    changes: &StateChanges,
    trie: &TrieOutput,
) -> Result<(), StorageError> {
    for (address, change) in changes {
        // Slots whose pre-block value is already recorded (by the wipe below).
        let mut recorded: HashSet<U256> = HashSet::new();
        if change.wipe_storage || change.info.is_none() {
            wipe_storage(txn, t, num, address, &mut recorded)?;
        }
        if change.info.is_none() {
            continue;
        }
        for (slot, value) in &change.storage {
            let key = storage_key(address, slot);
            if !recorded.contains(slot) {
                let prev = txn.sealed(&t.plain_storage, &key)?.unwrap_or_default();
                sealed::put(
                    txn,
                    &t.storage_changesets,
                    &[&num[..], &key].concat(),
                    &prev,
                )?;
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
        let prev = txn
            .sealed(&t.plain_accounts, address.as_slice())?
            .unwrap_or_default();
        sealed::put(
            txn,
            &t.account_changesets,
            &[&num[..], address.as_slice()].concat(),
            &prev,
        )?;
        match account {
            Some(a) => sealed::put(txn, &t.plain_accounts, address.as_slice(), &a.encode())?,
            None => {
                txn.del(&t.plain_accounts.table, address, None)?;
            }
        }
    }
    for (hash, rlp) in &trie.nodes {
        sealed::put(txn, &t.trie_nodes, hash.as_slice(), rlp)?;
    }
    Ok(())
}

/// Deletes every slot of `address`, recording each one's value in the block's change set.
fn wipe_storage(
    txn: &RwTxn,
    t: &Tables,
    num: &[u8; 8],
    address: &Address,
    recorded: &mut HashSet<U256>,
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
        sealed::put(
            txn,
            &t.storage_changesets,
            &[&num[..], &key].concat(),
            &prev,
        )?;
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
