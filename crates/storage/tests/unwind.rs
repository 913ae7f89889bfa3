//! Unwinding the head with change sets: the plain state after an unwind is exactly the state
//! the older header commits to, blocks above it are gone, new blocks can follow, and
//! `safe` / `finalized` behave as heads.

use std::collections::BTreeMap;

use agnt2_primitives::SealedBlock;
use agnt2_storage::{
    AccountChange, AccountUpdate, Database, DatabaseConfig, StateChanges, StateProvider,
    StorageError,
};
use alloy::consensus::Header;
use alloy_primitives::{Address, B256, U256, keccak256};

fn account(nonce: u64, balance: u64, storage: &[(u64, u64)], wipe: bool) -> AccountChange {
    AccountChange {
        info: Some(AccountUpdate {
            nonce,
            balance: U256::from(balance),
            code_hash: keccak256([]),
            code: None,
        }),
        storage: storage
            .iter()
            .map(|(k, v)| (U256::from(*k), U256::from(*v)))
            .collect(),
        wipe_storage: wipe,
    }
}

fn commit(db: &Database, changes: &StateChanges) -> SealedBlock {
    let (number, parent_hash) = match db.head().unwrap() {
        Some((n, h)) => (n + 1, h),
        None => (0, B256::ZERO),
    };
    let trie = db.compute_state_root(changes).unwrap();
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
    db.commit_block(&block, &[], changes, trie).unwrap();
    block
}

/// An account's nonce and balance (if it exists) and its first slots.
type Snapshot = (Option<(u64, U256)>, Vec<U256>);

/// Every account and slot the test touches, as the head state has them.
fn snapshot(db: &Database, addrs: &[Address]) -> Vec<Snapshot> {
    let state = db.latest().unwrap();
    addrs
        .iter()
        .map(|a| {
            let acc = state.account(a).unwrap().map(|x| (x.nonce, x.balance));
            let slots = (0..4u64)
                .map(|s| state.storage(a, &U256::from(s)).unwrap())
                .collect();
            (acc, slots)
        })
        .collect()
}

#[test]
fn unwind_restores_state_and_lets_the_chain_continue() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), &DatabaseConfig::default()).unwrap();
    let (a, b, c) = (
        Address::repeat_byte(0xa),
        Address::repeat_byte(0xb),
        Address::repeat_byte(0xc),
    );
    let addrs = [a, b, c];
    commit(
        &db,
        &BTreeMap::from([
            (a, account(0, 100, &[(0, 1), (1, 2)], false)),
            (b, account(0, 50, &[(0, 9)], false)),
        ]),
    );
    let block1 = commit(
        &db,
        &BTreeMap::from([
            (a, account(1, 90, &[(1, 0), (2, 3)], false)),
            (c, account(0, 10, &[], false)),
        ]),
    );
    let at1 = snapshot(&db, &addrs);
    // Block 2 destroys b and re-creates a with fresh storage; block 3 touches c again.
    commit(
        &db,
        &BTreeMap::from([
            (a, account(0, 5, &[(3, 7)], true)),
            (
                b,
                AccountChange {
                    info: None,
                    ..Default::default()
                },
            ),
        ]),
    );
    commit(&db, &BTreeMap::from([(c, account(1, 4, &[(0, 1)], false))]));
    assert_ne!(snapshot(&db, &addrs), at1);
    // Read back from the change sets, block 3 touched c only: its new nonce, balance and slot.
    let b3 = db.committed_block(3).unwrap().expect("block 3");
    assert_eq!(b3.changes.len(), 1);
    let c3 = &b3.changes[&c];
    assert_eq!(c3.info.as_ref().map(|i| i.nonce), Some(1));
    assert_eq!(c3.storage[&U256::from(0)], U256::from(1));

    let removed = db.unwind_to(1).unwrap();
    assert_eq!(
        removed.iter().map(|r| r.block.number()).collect::<Vec<_>>(),
        [2, 3]
    );
    // What the removed blocks wrote comes back: block 2 left `a` with slot 3 = 7 and the old
    // slots cleared, and `b` absent.
    let a2 = &removed[0].changes[&a];
    assert_eq!(a2.storage[&U256::from(3)], U256::from(7));
    assert_eq!(a2.storage[&U256::from(0)], U256::ZERO);
    assert!(removed[0].changes[&b].info.is_none());

    assert_eq!(db.head().unwrap(), Some((1, block1.hash)));
    assert_eq!(snapshot(&db, &addrs), at1);
    assert_eq!(db.latest().unwrap().state_root(), block1.header.state_root);
    assert!(db.header(2).unwrap().is_none());
    assert!(db.block_hash(3).unwrap().is_none());
    // The datadir is whole: every record checks and the head state hashes to its root.
    db.check().unwrap();

    // A different block 2 follows, and blocks must come in order.
    let new2 = commit(&db, &BTreeMap::from([(b, account(1, 1, &[], false))]));
    assert_eq!(db.head().unwrap(), Some((2, new2.hash)));
    let stale = SealedBlock {
        header: Header {
            number: 7,
            ..Default::default()
        },
        hash: B256::ZERO,
        transactions: Vec::new(),
    };
    let err = db
        .commit_block(&stale, &[], &StateChanges::new(), Default::default())
        .unwrap_err();
    assert!(
        matches!(err, StorageError::NotNext { number: 7, .. }),
        "{err}"
    );
    db.check().unwrap();
}

#[test]
fn safe_and_finalized_are_heads() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), &DatabaseConfig::default()).unwrap();
    let a = Address::repeat_byte(1);
    for i in 0..5u64 {
        commit(&db, &BTreeMap::from([(a, account(i, 1, &[], false))]));
    }
    assert_eq!((db.safe().unwrap(), db.finalized().unwrap()), (None, None));
    db.set_forkchoice(3, 1).unwrap();
    assert_eq!(
        (db.safe().unwrap(), db.finalized().unwrap()),
        (Some(3), Some(1))
    );
    // Heads never move back, and never pass the head.
    db.set_forkchoice(2, 0).unwrap();
    assert_eq!(
        (db.safe().unwrap(), db.finalized().unwrap()),
        (Some(3), Some(1))
    );
    db.set_forkchoice(99, 99).unwrap();
    assert_eq!(
        (db.safe().unwrap(), db.finalized().unwrap()),
        (Some(4), Some(4))
    );

    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), &DatabaseConfig::default()).unwrap();
    for i in 0..5u64 {
        commit(&db, &BTreeMap::from([(a, account(i, 1, &[], false))]));
    }
    db.set_forkchoice(3, 1).unwrap();
    // An unwind below safe lowers it; below finalized is refused and changes nothing.
    db.unwind_to(2).unwrap();
    assert_eq!(
        (db.safe().unwrap(), db.finalized().unwrap()),
        (Some(2), Some(1))
    );
    let err = db.unwind_to(0).unwrap_err();
    assert!(matches!(
        err,
        StorageError::UnwindFinalized {
            target: 0,
            finalized: 1
        }
    ));
    assert_eq!(db.head().unwrap().map(|h| h.0), Some(2));
}
