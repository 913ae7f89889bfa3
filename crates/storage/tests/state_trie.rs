//! The path-keyed tries on a real MDBX datadir, against an in-memory model and alloy-trie's
//! reference root: random blocks (new accounts, balance and slot changes, cleared slots,
//! destroyed and re-created accounts) give the reference root every block; the stored tries
//! hold exactly the nodes a fresh build of the same state holds (stale nodes are deleted);
//! historical reads and `eth_getProof`-style proofs at old blocks match the model and verify;
//! an unwind across 64 blocks and the re-execution of the same blocks give the original roots;
//! pruned history is refused with a reason.

use std::collections::BTreeMap;

use agnt2_primitives::SealedBlock;
use agnt2_storage::{
    AccountChange, AccountUpdate, Database, DatabaseConfig, EMPTY_ROOT, StateChanges,
    StateProvider, StorageError, StoredAccount, codec::storage_trie_value,
};
use alloy::consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::{Nibbles, proof::verify_proof};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// An account of the model: nonce, balance, slots.
type Model = BTreeMap<Address, (u64, U256, BTreeMap<U256, U256>)>;

fn open(dir: &std::path::Path, history: Option<u64>) -> Database {
    open_with(dir, history, agnt2_storage::DEFAULT_PERSIST_BEHIND)
}

fn open_with(dir: &std::path::Path, history: Option<u64>, persist_behind: usize) -> Database {
    Database::open(
        dir,
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 32,
            history_blocks: history,
            persist_behind,
        },
    )
    .expect("open")
}

fn storage_root(slots: &BTreeMap<U256, U256>) -> B256 {
    let leaves: BTreeMap<B256, Vec<u8>> = slots
        .iter()
        .map(|(k, v)| (keccak256(k.to_be_bytes::<32>()), storage_trie_value(*v)))
        .collect();
    agnt2_trie::reference_root(leaves.iter())
}

fn stored(nonce: u64, balance: U256, slots: &BTreeMap<U256, U256>) -> StoredAccount {
    StoredAccount {
        nonce,
        balance,
        code_hash: keccak256([]),
        storage_root: storage_root(slots),
    }
}

fn reference(model: &Model) -> B256 {
    let leaves: BTreeMap<B256, Vec<u8>> = model
        .iter()
        .map(|(a, (n, b, s))| (keccak256(a), stored(*n, *b, s).trie_rlp()))
        .collect();
    agnt2_trie::reference_root(leaves.iter())
}

fn commit(db: &Database, changes: &StateChanges) -> SealedBlock {
    let (number, parent_hash) = match db.head().expect("head") {
        Some((n, h)) => (n + 1, h),
        None => (0, B256::ZERO),
    };
    let trie = db.compute_state_root(changes).expect("root");
    let header = Header {
        number,
        parent_hash,
        state_root: trie.state_root,
        ..Default::default()
    };
    let block = SealedBlock {
        hash: header.hash_slow(),
        header,
        transactions: Vec::new(),
    };
    db.commit_block(&block, &[], changes, trie).expect("commit");
    block
}

/// A random block over `model` (applied to it), as the executor would report it.
fn random_block(rng: &mut StdRng, model: &mut Model, addrs: &[Address]) -> StateChanges {
    let mut changes = StateChanges::new();
    for _ in 0..rng.random_range(1..40) {
        let a = addrs[rng.random_range(0..addrs.len())];
        if changes.contains_key(&a) {
            continue;
        }
        let roll = rng.random_range(0..100);
        if roll < 5 && model.contains_key(&a) {
            model.remove(&a);
            changes.insert(a, AccountChange::default());
            continue;
        }
        let wipe = roll < 10;
        let entry = model.entry(a).or_insert((0, U256::ZERO, BTreeMap::new()));
        if wipe {
            entry.2.clear();
        }
        entry.0 += 1;
        entry.1 = U256::from(rng.random_range(0..1_000_000u64));
        let mut slots = BTreeMap::new();
        for _ in 0..rng.random_range(0..6) {
            let slot = U256::from(rng.random_range(0..24u64));
            let value = if rng.random_bool(0.25) {
                U256::ZERO
            } else {
                U256::from(rng.random::<u64>())
            };
            slots.insert(slot, value);
            if value.is_zero() {
                entry.2.remove(&slot);
            } else {
                entry.2.insert(slot, value);
            }
        }
        changes.insert(
            a,
            AccountChange {
                info: Some(AccountUpdate {
                    nonce: entry.0,
                    balance: entry.1,
                    code_hash: keccak256([]),
                    code: None,
                }),
                storage: slots,
                wipe_storage: wipe,
            },
        );
    }
    changes
}

fn rows(db: &Database, table: &str) -> u64 {
    db.table_stats()
        .expect("stats")
        .into_iter()
        .find(|t| t.name == table)
        .map_or(0, |t| t.entries)
}

/// `db` and `fresh` hold the same number of rows in each of `tables`.
fn assert_same_rows(db: &Database, fresh: &Database, tables: &[&str]) {
    for table in tables {
        assert_eq!(rows(db, table), rows(fresh, table), "{table}");
    }
}

/// Writes `model` as the genesis of a fresh datadir.
fn fresh(model: &Model) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = open(dir.path(), None);
    let changes: StateChanges = model
        .iter()
        .map(|(a, (n, b, s))| {
            (
                *a,
                AccountChange {
                    info: Some(AccountUpdate {
                        nonce: *n,
                        balance: *b,
                        code_hash: keccak256([]),
                        code: None,
                    }),
                    storage: s.clone(),
                    wipe_storage: false,
                },
            )
        })
        .collect();
    commit(&db, &changes);
    (dir, db)
}

fn check_proof(db: &Database, block: u64, address: &Address, model: &Model) {
    let state = db.state_at(block).expect("state").expect("block exists");
    let slots: Vec<B256> = (0..24u64)
        .step_by(5)
        .map(|s| B256::from(U256::from(s)))
        .collect();
    let (account_proof, storage_proofs) = state.proof(address, &slots).expect("proof");
    let root = state.state_root();
    let acct = model.get(address);
    let expected = acct.map(|(n, b, s)| stored(*n, *b, s).trie_rlp());
    let nodes: Vec<Bytes> = account_proof.into_iter().map(Bytes::from).collect();
    verify_proof(root, Nibbles::unpack(keccak256(address)), expected, &nodes)
        .unwrap_or_else(|e| panic!("account proof of {address} at {block}: {e}"));
    let sroot = acct.map_or(EMPTY_ROOT, |(_, _, s)| storage_root(s));
    for (slot, proof) in slots.iter().zip(storage_proofs) {
        let value = acct
            .and_then(|(_, _, s)| s.get(&U256::from_be_bytes(slot.0)))
            .map(|v| storage_trie_value(*v));
        let nodes: Vec<Bytes> = proof.into_iter().map(Bytes::from).collect();
        verify_proof(sroot, Nibbles::unpack(keccak256(slot)), value, &nodes)
            .unwrap_or_else(|e| panic!("storage proof of {address} {slot} at {block}: {e}"));
    }
}

/// Every block written to the tables before its commit returns.
#[test]
fn roots_history_proofs_and_unwinds_match_the_model_persisting_in_the_commit() {
    model_run(0, false);
}

/// Blocks written behind the tip by the background persister, as the node runs.
#[test]
fn roots_history_proofs_and_unwinds_match_the_model_persisting_behind() {
    model_run(agnt2_storage::DEFAULT_PERSIST_BEHIND, false);
}

/// Nothing written to the tables until the check: every root, read and proof goes through
/// the pending blocks' overlay (all 121 of them), then the persister writes them in one batch.
#[test]
fn roots_history_proofs_and_unwinds_match_the_model_from_the_overlay() {
    model_run(1000, true);
}

fn model_run(persist_behind: usize, hold: bool) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = open_with(dir.path(), None, persist_behind);
    if hold {
        db.hold_persistence();
    }
    let mut rng = StdRng::seed_from_u64(42);
    let addrs: Vec<Address> = (0..300u64)
        .map(|i| Address::from_slice(&keccak256(i.to_be_bytes())[12..]))
        .collect();
    let mut model = Model::new();
    let mut snapshots = vec![model.clone()];
    let mut blocks = vec![commit(&db, &StateChanges::new())];
    let mut all_changes = vec![StateChanges::new()];
    for _ in 0..120 {
        let changes = random_block(&mut rng, &mut model, &addrs);
        let block = commit(&db, &changes);
        assert_eq!(
            block.header.state_root,
            reference(&model),
            "block {}",
            block.number()
        );
        snapshots.push(model.clone());
        blocks.push(block);
        all_changes.push(changes);
    }
    // Historical reads and proofs at old blocks.
    for block in [0u64, 1, 17, 60, 99, 119, 120] {
        let state = db.state_at(block).expect("state").expect("exists");
        let want = &snapshots[block as usize];
        for a in addrs.iter().step_by(7) {
            let got = state.account(a).expect("account");
            assert_eq!(
                got.map(|x| (x.nonce, x.balance)),
                want.get(a).map(|(n, b, _)| (*n, *b)),
                "{a} at {block}"
            );
            for s in 0..24u64 {
                let slot = U256::from(s);
                assert_eq!(
                    state.storage(a, &slot).expect("slot"),
                    want.get(a)
                        .and_then(|(_, _, m)| m.get(&slot).copied())
                        .unwrap_or_default(),
                    "{a} slot {s} at {block}"
                );
            }
        }
        for a in addrs.iter().step_by(29) {
            check_proof(&db, block, a, want);
        }
    }

    db.check().expect("check");

    // Stale nodes are gone: the stored tries are exactly a fresh build's.
    let (_fresh_dir, fresh_db) = fresh(&model);
    assert_same_rows(
        &db,
        &fresh_db,
        &[
            "AccountsTrie",
            "StoragesTrie",
            "HashedAccounts",
            "HashedStorages",
        ],
    );

    // Unwind 64 blocks: the state and its root are block 56's; the same blocks again give the
    // same roots.
    db.unwind_to(56).expect("unwind");
    assert_eq!(
        db.latest().expect("latest").state_root(),
        blocks[56].header.state_root
    );
    db.check().expect("check after unwind");
    for n in 57..=120usize {
        let again = commit(&db, &all_changes[n]);
        assert_eq!(
            again.header.state_root, blocks[n].header.state_root,
            "block {n}"
        );
    }
    db.check().expect("check after re-execution");
    assert_same_rows(
        &db,
        &fresh_db,
        &[
            "AccountsTrie",
            "StoragesTrie",
            "HashedAccounts",
            "HashedStorages",
        ],
    );
}

#[test]
fn history_beyond_the_window_is_pruned_and_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = open(dir.path(), Some(10));
    let a = Address::repeat_byte(0xa);
    commit(&db, &StateChanges::new());
    for i in 1..=30u64 {
        let change = AccountChange {
            info: Some(AccountUpdate {
                nonce: i,
                balance: U256::from(i),
                code_hash: keccak256([]),
                code: None,
            }),
            storage: BTreeMap::from([(U256::from(1), U256::from(i))]),
            wipe_storage: false,
        };
        commit(&db, &BTreeMap::from([(a, change)]));
    }
    // Pruning follows the blocks written to the tables (up to `persist_behind` behind).
    db.flush().expect("flush");
    // Blocks 20..=30 are readable, with their own values.
    for b in 20..=30u64 {
        let state = db.state_at(b).expect("state").expect("exists");
        assert_eq!(state.account(&a).expect("a").map(|x| x.nonce), Some(b));
        assert_eq!(
            state.storage(&a, &U256::from(1)).expect("slot"),
            U256::from(b)
        );
    }
    let err = db.state_at(19).expect_err("pruned");
    assert!(
        matches!(
            err,
            StorageError::HistoryPruned {
                block: 19,
                oldest: 20
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--history.blocks"), "{err}");
    assert!(matches!(
        db.unwind_to(5),
        Err(StorageError::HistoryPruned { .. })
    ));
    // Only the window's change sets remain.
    assert_eq!(rows(&db, "AccountChangeSets"), 10);
    assert_eq!(rows(&db, "AccountsHistory"), 10);
    db.unwind_to(25).expect("unwind inside the window");
    db.check().expect("check");
}

#[test]
fn a_bulk_loaded_state_is_the_state_committed_as_a_block() {
    let address = |i: u64| Address::from_slice(&keccak256(i.to_be_bytes())[12..]);
    let token = Address::repeat_byte(0xee);
    let mut model = Model::new();
    for i in 0..3000u64 {
        model.insert(address(i), (0, U256::from(i + 1), BTreeMap::new()));
    }
    let mut slots: BTreeMap<U256, U256> = (0..2000u64)
        .map(|i| (U256::from(i * 7 + 1), U256::from(i + 5)))
        .collect();
    // The genesis block's own changes: the token with two more slots (one overwriting a bulk
    // one), and one more account.
    let own = BTreeMap::from([
        (U256::from(1), U256::from(99)),
        (U256::from(2), U256::from(3)),
    ]);
    slots.extend(own.clone());
    model.insert(token, (1, U256::ZERO, slots));
    model.insert(
        Address::repeat_byte(0xab),
        (0, U256::from(5), BTreeMap::new()),
    );

    let dir = tempfile::tempdir().expect("tmp");
    let db = open(dir.path(), None);
    db.bulk_load_accounts(3000, |i| {
        (address(i), stored(0, U256::from(i + 1), &BTreeMap::new()))
    })
    .expect("bulk accounts");
    db.bulk_load_storage(token, 2000, |i| (U256::from(i * 7 + 1), U256::from(i + 5)))
        .expect("bulk storage");
    let update = |nonce: u64, balance: U256| AccountUpdate {
        nonce,
        balance,
        code_hash: keccak256([]),
        code: None,
    };
    let genesis = BTreeMap::from([
        (
            token,
            AccountChange {
                info: Some(update(1, U256::ZERO)),
                storage: own,
                wipe_storage: false,
            },
        ),
        (
            Address::repeat_byte(0xab),
            AccountChange {
                info: Some(update(0, U256::from(5))),
                ..Default::default()
            },
        ),
    ]);
    let block = commit(&db, &genesis);
    assert_eq!(block.header.state_root, reference(&model));
    db.check().expect("check");
    let (_fresh_dir, fresh_db) = fresh(&model);
    assert_same_rows(
        &db,
        &fresh_db,
        &[
            "AccountsTrie",
            "StoragesTrie",
            "HashedAccounts",
            "HashedStorages",
            "PlainAccounts",
            "PlainStorage",
        ],
    );
    // A second load is refused: the datadir has blocks now.
    assert!(
        db.bulk_load_accounts(1, |i| (address(i), StoredAccount::default()))
            .is_err()
    );
}
