//! `agnt2 db check`: walks the datadir and checks every record against its checksum and
//! every block against what its header commits to, so damage is found before it is served.

use alloy::consensus::{
    Header,
    proofs::{calculate_receipt_root, calculate_transaction_root},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::{HashBuilder, Nibbles};
use libmdbx::{NoWriteMap, RO, Transaction};

use crate::{
    EMPTY_ROOT, StorageError, StoredAccount, codec,
    db::{Database, Tables},
    sealed::{SealedRead, unseal},
    trie::StateTrie,
};

/// What `check` looked at.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Head block number.
    pub head: u64,
    /// Records whose checksums were verified, over all tables.
    pub records: u64,
    /// Blocks whose transactions and receipts roots were recomputed.
    pub blocks: u64,
    /// Accounts in the head state whose storage roots were recomputed.
    pub accounts: u64,
}

/// The first inconsistency found.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A record failed its checksum or did not decode.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A block's stored data does not match its header.
    #[error("block {number}: {what} mismatch: header commits to {expected}, data gives {found}")]
    Block {
        /// Block number.
        number: u64,
        /// Which commitment.
        what: &'static str,
        /// What the header says.
        expected: B256,
        /// What the stored data hashes to.
        found: B256,
    },
    /// A block's index entries are missing or point elsewhere.
    #[error("block {number}: {what}")]
    Index {
        /// Block number.
        number: u64,
        /// What is wrong.
        what: String,
    },
    /// The head state does not hash to the head header's state root.
    #[error("head state {what}: header commits to {expected}, plain state gives {found}")]
    State {
        /// Account or whole state.
        what: String,
        /// Committed root.
        expected: B256,
        /// Recomputed root.
        found: B256,
    },
}

fn mismatch(
    number: u64,
    what: &'static str,
    expected: B256,
    found: B256,
) -> Result<(), CheckError> {
    if expected == found {
        Ok(())
    } else {
        Err(CheckError::Block {
            number,
            what,
            expected,
            found,
        })
    }
}

/// Verifies the checksum of every record in every table; code must also hash to its key.
fn check_records(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &Tables,
) -> Result<u64, CheckError> {
    let mut records = 0;
    for t in tables.all() {
        let mut cursor = txn.cursor(&t.table).map_err(StorageError::from)?;
        for item in cursor.iter::<Vec<u8>, Vec<u8>>() {
            let (key, value) = item.map_err(StorageError::from)?;
            let value = unseal(t.name, &key, value)?;
            if t.name == "Bytecodes" && keccak256(&value).as_slice() != key.as_slice() {
                return Err(StorageError::Checksum {
                    table: t.name,
                    key: alloy_primitives::hex::encode(&key),
                }
                .into());
            }
            records += 1;
        }
    }
    Ok(records)
}

impl Database {
    /// Checks the whole datadir: every record's checksum, every canonical block's hash chain,
    /// transactions root, receipts root and index entries, and the head state against the
    /// head header's state root (recomputed from the plain state with alloy-trie's reference
    /// hash builder). Stops at the first inconsistency.
    pub fn check(&self) -> Result<CheckReport, CheckError> {
        self.flush()?;
        let txn = self.ro()?;
        let tables = self.tables();
        let mut report = CheckReport {
            records: check_records(&txn, tables)?,
            ..Default::default()
        };
        let Some(head) = txn.sealed_array::<8>(&tables.meta, crate::db::META_HEAD)? else {
            return Ok(report);
        };
        report.head = u64::from_be_bytes(head);
        let mut parent: Option<B256> = None;
        let mut head_header: Option<Header> = None;
        for number in 0..=report.head {
            let key = number.to_be_bytes();
            let index = |what: String| CheckError::Index { number, what };
            let header = txn
                .sealed(&tables.headers, &key)?
                .ok_or_else(|| index("header missing".into()))?;
            let header = codec::decode_header(&header)?;
            let hash = header.hash_slow();
            let canonical = txn
                .sealed_array::<32>(&tables.canonical_hashes, &key)?
                .map(B256::from);
            if canonical != Some(hash) {
                return Err(index(format!(
                    "canonical hash {canonical:?} is not the header's {hash}"
                )));
            }
            if txn.sealed_array::<8>(&tables.header_numbers, hash.as_slice())? != Some(key) {
                return Err(index(format!("hash {hash} does not map back to the block")));
            }
            if let Some(p) = parent {
                mismatch(number, "parent hash", header.parent_hash, p)?;
            }
            let body = txn
                .sealed(&tables.bodies, &key)?
                .ok_or_else(|| index("body missing".into()))?;
            let body = codec::decode_body(&body)?;
            let envelopes: Vec<_> = body.iter().map(|t| t.envelope.clone()).collect();
            mismatch(
                number,
                "transactions root",
                header.transactions_root,
                calculate_transaction_root(&envelopes),
            )?;
            let receipts = txn
                .sealed(&tables.receipts, &key)?
                .ok_or_else(|| index("receipts missing".into()))?;
            let receipts = codec::decode_receipts(&receipts)?;
            if receipts.len() != body.len() {
                return Err(index(format!(
                    "{} receipts for {} transactions",
                    receipts.len(),
                    body.len()
                )));
            }
            let envelopes: Vec<_> = receipts.iter().map(|r| r.receipt.clone()).collect();
            mismatch(
                number,
                "receipts root",
                header.receipts_root,
                calculate_receipt_root(&envelopes),
            )?;
            for (i, tx) in body.iter().enumerate() {
                let mut loc = [0u8; 12];
                loc[..8].copy_from_slice(&key);
                loc[8..].copy_from_slice(&(i as u32).to_be_bytes());
                if txn.sealed_array::<12>(&tables.tx_lookup, tx.hash.as_slice())? != Some(loc) {
                    return Err(index(format!(
                        "transaction {} is not indexed at position {i}",
                        tx.hash
                    )));
                }
            }
            parent = Some(hash);
            report.blocks += 1;
            if number == report.head {
                head_header = Some(header);
            }
        }
        if let Some(h) = head_header {
            report.accounts = check_state(&txn, tables, h.state_root)?;
        }
        Ok(report)
    }
}

/// Recomputes the head state root from the plain tables; returns the number of accounts.
fn check_state(
    txn: &Transaction<'static, RO, NoWriteMap>,
    tables: &'static Tables,
    expected: B256,
) -> Result<u64, CheckError> {
    let mut accounts: Vec<(B256, Address, StoredAccount)> = Vec::new();
    let mut cursor = txn
        .cursor(&tables.plain_accounts.table)
        .map_err(StorageError::from)?;
    for item in cursor.iter::<Vec<u8>, Vec<u8>>() {
        let (key, value) = item.map_err(StorageError::from)?;
        let value = unseal(tables.plain_accounts.name, &key, value)?;
        let address =
            Address::try_from(key.as_slice()).map_err(|_| StorageError::Corrupt("account key"))?;
        accounts.push((
            keccak256(address),
            address,
            StoredAccount::decode(&value).map_err(StorageError::from)?,
        ));
    }
    accounts.sort_unstable_by_key(|(h, _, _)| *h);
    let mut storage = txn
        .cursor(&tables.plain_storage.table)
        .map_err(StorageError::from)?;
    let mut hb = HashBuilder::default();
    for (hashed, address, account) in &accounts {
        let mut slots: Vec<(B256, Vec<u8>)> = Vec::new();
        let mut entry = storage
            .set_range::<Vec<u8>, Vec<u8>>(address.as_slice())
            .map_err(StorageError::from)?;
        while let Some((key, value)) = entry {
            if !key.starts_with(address.as_slice()) {
                break;
            }
            let value = unseal(tables.plain_storage.name, &key, value)?;
            let slot = U256::from_be_slice(&key[20..]);
            slots.push((
                keccak256(slot.to_be_bytes::<32>()),
                codec::storage_trie_value(U256::from_be_slice(&value)),
            ));
            entry = storage
                .next::<Vec<u8>, Vec<u8>>()
                .map_err(StorageError::from)?;
        }
        slots.sort_unstable_by_key(|(h, _)| *h);
        let root = if slots.is_empty() {
            EMPTY_ROOT
        } else {
            let mut sb = HashBuilder::default();
            for (k, v) in &slots {
                sb.add_leaf(Nibbles::unpack(k), v);
            }
            sb.root()
        };
        if root != account.storage_root {
            return Err(CheckError::State {
                what: format!("storage root of {address}"),
                expected: account.storage_root,
                found: root,
            });
        }
        hb.add_leaf(Nibbles::unpack(hashed), &account.trie_rlp());
    }
    let root = if accounts.is_empty() {
        EMPTY_ROOT
    } else {
        hb.root()
    };
    if root != expected {
        return Err(CheckError::State {
            what: "root".into(),
            expected,
            found: root,
        });
    }
    // The stored tries and hashed state must give the same root with nothing recomputed
    // but what their own nodes leave out.
    let (walked, _) = StateTrie::Accounts.walk(txn, tables, &crate::pending::NO_LAYER, &[], &[])?;
    if walked.root != expected {
        return Err(CheckError::State {
            what: "root from the stored account trie and hashed accounts".into(),
            expected,
            found: walked.root,
        });
    }
    for (hashed, address, account) in &accounts {
        if account.storage_root == EMPTY_ROOT {
            continue;
        }
        let (walked, _) =
            StateTrie::Storage(*hashed).walk(txn, tables, &crate::pending::NO_LAYER, &[], &[])?;
        if walked.root != account.storage_root {
            return Err(CheckError::State {
                what: format!("storage root of {address} from its stored trie"),
                expected: account.storage_root,
                found: walked.root,
            });
        }
    }
    // The hashed state has a row for every plain one and no other (a stale leaf under a
    // subtree the walk kept would not change the root).
    for (plain, hashed) in [
        (&tables.plain_accounts, &tables.hashed_accounts),
        (&tables.plain_storage, &tables.hashed_storages),
    ] {
        let rows = |t: &crate::sealed::SealedTable| -> Result<usize, CheckError> {
            Ok(txn
                .table_stat(&t.table)
                .map_err(StorageError::from)?
                .entries())
        };
        let (p, h) = (rows(plain)?, rows(hashed)?);
        if p != h {
            return Err(CheckError::Index {
                number: 0,
                what: format!("{} has {h} rows for {p} in {}", hashed.name, plain.name),
            });
        }
    }
    Ok(accounts.len() as u64)
}
