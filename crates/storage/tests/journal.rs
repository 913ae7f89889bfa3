//! Recovery from the journal: a process that sealed blocks and died before its persister wrote
//! any of them to the tables leaves only journal files; the next open replays them (each root
//! checked) and the datadir is exactly what the blocks committed to. The dying process is this
//! test binary run again with `AGNT2_JOURNAL_CHILD` set, exiting without a flush.

use std::{collections::BTreeMap, path::Path, process::Command};

use agnt2_primitives::SealedBlock;
use agnt2_storage::{
    AccountChange, AccountUpdate, Database, DatabaseConfig, StateChanges, StateProvider,
    StorageError,
};
use alloy::consensus::Header;
use alloy_primitives::{Address, B256, U256, keccak256};

const CHILD: &str = "AGNT2_JOURNAL_CHILD";
const BLOCKS: u64 = 12;

fn open(dir: &Path) -> Result<Database, StorageError> {
    Database::open(
        dir,
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
            history_blocks: None,
            persist_behind: 100,
        },
    )
}

fn account(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[12..])
}

/// Block `n`'s changes: account `n % 5` gets nonce `n` and slot `n % 3` = `n`.
fn changes(n: u64) -> StateChanges {
    BTreeMap::from([(
        account(n % 5),
        AccountChange {
            info: Some(AccountUpdate {
                nonce: n,
                balance: U256::from(n * 1000),
                code_hash: keccak256([]),
                code: None,
            }),
            storage: BTreeMap::from([(U256::from(n % 3), U256::from(n))]),
            wipe_storage: false,
        },
    )])
}

/// Seals blocks 0..=BLOCKS with the persister held, records the head, and dies: at once, or
/// right after step `die_after` of the persister's writes of the first block.
fn child(dir: &Path, die_after: Option<u8>) {
    let db = open(dir).expect("open");
    db.hold_persistence();
    let mut parent = B256::ZERO;
    let mut root = B256::ZERO;
    for n in 0..=BLOCKS {
        let c = changes(n);
        let trie = db.compute_state_root(&c).expect("root");
        root = trie.state_root;
        let header = Header {
            number: n,
            parent_hash: parent,
            state_root: root,
            ..Default::default()
        };
        let block = SealedBlock {
            hash: header.hash_slow(),
            header,
            transactions: Vec::new(),
        };
        parent = block.hash;
        db.commit_block(&block, &[], &c, trie).expect("commit");
    }
    std::fs::write(
        dir.join("expected"),
        [parent.as_slice(), root.as_slice()].concat(),
    )
    .expect("expected");
    if let Some(step) = die_after {
        // SAFETY: the test process has no other thread reading the environment now.
        unsafe { std::env::set_var("AGNT2_STORAGE_DIE_AFTER_STEP", step.to_string()) };
        db.flush().expect("flush");
        unreachable!("the persister exits the process half way");
    }
    // No flush: everything sealed is in the journal only.
    std::process::exit(0);
}

#[test]
fn blocks_only_in_the_journal_are_replayed_at_open() {
    recover("blocks_only_in_the_journal_are_replayed_at_open", None);
}

/// The first block's plain state and change sets are in the tables, its tries are not (after
/// write transaction 1): the replay finishes it (transaction 2 only) and goes on. Or both are
/// written but its journal file was not deleted yet (after transaction 2): the file is dropped.
#[test]
fn a_block_written_half_way_is_finished_at_open() {
    recover("a_block_written_half_way_is_finished_at_open", Some(1));
    recover("a_block_written_half_way_is_finished_at_open", Some(2));
}

fn recover(name: &str, die_after: Option<u8>) {
    if let Ok(dir) = std::env::var(CHILD) {
        let step = std::env::var("AGNT2_JOURNAL_CHILD_STEP")
            .ok()
            .and_then(|s| s.parse().ok());
        child(Path::new(&dir), step);
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let status = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", name, "--test-threads=1"])
        .env(CHILD, dir.path())
        .env(
            "AGNT2_JOURNAL_CHILD_STEP",
            die_after.map_or_else(String::new, |s| s.to_string()),
        )
        .status()
        .expect("child");
    assert!(status.success(), "child: {status}");
    let journal = dir.path().join("journal");
    let files = std::fs::read_dir(&journal).expect("journal").count();
    assert_eq!(
        files as u64,
        BLOCKS + 1,
        "one journal file per sealed block"
    );
    // A torn temporary file (a commit that never returned) is dropped.
    std::fs::write(journal.join("00000000000000000099.tmp"), b"torn").expect("tmp");

    let expected = std::fs::read(dir.path().join("expected")).expect("expected");
    let db = open(dir.path()).expect("reopen");
    let (head, hash) = db.head().expect("head").expect("a head");
    assert_eq!(head, BLOCKS);
    assert_eq!(hash.as_slice(), &expected[..32]);
    let state = db.latest().expect("latest");
    assert_eq!(state.state_root().as_slice(), &expected[32..]);
    assert_eq!(
        std::fs::read_dir(&journal).expect("journal").count(),
        0,
        "replayed files are removed"
    );
    for n in BLOCKS - 4..=BLOCKS {
        let a = state
            .account(&account(n % 5))
            .expect("read")
            .expect("exists");
        assert_eq!(a.nonce, n);
        assert_eq!(
            state
                .storage(&account(n % 5), &U256::from(n % 3))
                .expect("slot"),
            U256::from(n)
        );
    }
    // History through the change sets the first run wrote: every old block reads its own values.
    for n in 1..BLOCKS {
        let old = db.state_at(n).expect("state").expect("exists");
        let a = old.account(&account(n % 5)).expect("read").expect("exists");
        assert_eq!(a.nonce, n, "account at block {n}");
    }
    db.check().expect("check after replay");
}

#[test]
fn a_damaged_journal_file_is_refused_at_open() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let journal = dir.path().join("journal");
    std::fs::create_dir_all(&journal).expect("dir");
    std::fs::write(
        journal.join("00000000000000000000.block"),
        b"agnt2jr1 not a block",
    )
    .expect("file");
    let err = open(dir.path()).expect_err("refused");
    assert!(
        matches!(err, StorageError::Corrupt(_)),
        "a clear corruption error: {err}"
    );
}
