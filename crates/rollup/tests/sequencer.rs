//! The sequencer's rules over a real datadir and builder, with L1 given as data: the origin
//! advances when the next L1 block is due, a new origin's deposits open its first L2 block,
//! the drift bound makes it wait for L1, and an L1 reorg unwinds L2 to the last block whose
//! origin survived, after which derivation takes the new L1 blocks.

use std::sync::Arc;

use agnt2_builder::{BlockBuilder, SequencerAction, init_genesis};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_rollup::{BlockId, L1Block, L1View, RollupConfig, RollupPayloads, l1info::origin_of};
use agnt2_storage::{Database, DatabaseConfig};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use op_alloy::consensus::TxDeposit;
use parking_lot::Mutex;

fn l1(number: u64, fork: u8, timestamp: u64, deposits: Vec<RecoveredTx>) -> L1Block {
    let hash = |n: u64, f: u8| B256::from(U256::from(n) | (U256::from(f) << 200));
    L1Block {
        number,
        hash: hash(number, fork),
        parent_hash: hash(number - 1, if number - 1 <= 10 { 0 } else { fork }),
        timestamp,
        base_fee: 7,
        blob_base_fee: 1,
        deposits,
        batches: Vec::new(),
    }
}

fn deposit(n: u8) -> RecoveredTx {
    let from = Address::repeat_byte(n);
    let tx = TxDeposit {
        source_hash: B256::repeat_byte(n),
        from,
        to: TxKind::Call(Address::repeat_byte(0x77)),
        mint: 1_000,
        value: U256::from(1_000),
        gas_limit: 50_000,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    RecoveredTx::from_parts(OpTxEnvelope::from(tx), from)
}

struct Chain {
    _dir: tempfile::TempDir,
    db: Database,
    builder: BlockBuilder,
    view: Arc<Mutex<L1View>>,
    seq: RollupPayloads,
}

fn chain(max_drift: u64) -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(
        dir.path(),
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
            history_blocks: None,
            ..Default::default()
        },
    )
    .unwrap();
    let mut spec = ChainSpec::dev();
    spec.genesis.timestamp = 1_000;
    let spec = Arc::new(spec);
    let genesis = init_genesis(&db, &spec).unwrap();
    let view = Arc::new(Mutex::new(L1View::new(64)));
    view.lock().insert(l1(10, 0, 1_000, Vec::new()));
    let config = Arc::new(RollupConfig {
        l1_chain_id: 900,
        l2_chain_id: spec.chain_id,
        genesis_l1: BlockId {
            number: 10,
            hash: view.lock().get(10).unwrap().hash,
        },
        genesis_l2: BlockId {
            number: 0,
            hash: genesis,
        },
        l2_time: 1_000,
        block_time: 1,
        max_sequencer_drift: max_drift,
        deposit_contract: Address::repeat_byte(0xde),
        batcher: Address::repeat_byte(0xba),
        base_fee_scalar: 0,
        blob_base_fee_scalar: 0,
        gas_limit: 30_000_000,
        l1_confirmations: 0,
        batch_inbox: Address::repeat_byte(0xb0),
        channel_timeout: 50,
        seq_window_size: 3600,
    });
    Chain {
        seq: RollupPayloads::new(config, view.clone(), db),
        builder: BlockBuilder::new(db, spec, 30_000_000),
        _dir: dir,
        db,
        view,
    }
}

impl Chain {
    /// Asks the sequencer once (far in the future, so time never holds it) and does it.
    fn step(&self) -> SequencerAction {
        let (n, _) = self.db.head().unwrap().unwrap();
        let head = self.db.header(n).unwrap().unwrap();
        let action = self.seq.decide(&head, u64::MAX / 2).unwrap();
        match &action {
            SequencerAction::Build(attrs) => {
                self.builder.build_payload(attrs, Vec::new()).unwrap();
            }
            SequencerAction::Unwind(to) => {
                self.builder.unwind_to(*to).unwrap();
            }
            SequencerAction::Wait => {}
        }
        action
    }

    /// (origin number, sequence number, user deposits) of L2 block `n`.
    fn block(&self, n: u64) -> (u64, u64, usize) {
        let body = self.db.body(n).unwrap().unwrap();
        let o = origin_of(&body[0]).unwrap();
        (o.number, o.sequence_number, body.len() - 1)
    }
}

#[test]
fn origins_advance_with_l1_and_carry_its_deposits() {
    let c = chain(600);
    c.view
        .lock()
        .insert(l1(11, 0, 1_003, vec![deposit(1), deposit(2)]));
    c.view.lock().insert(l1(12, 0, 1_006, vec![deposit(3)]));
    for _ in 0..7 {
        assert!(matches!(c.step(), SequencerAction::Build(_)));
    }
    // L2 blocks 1..2 stay on the genesis origin; block 3 (time 1003) opens origin 11 with its
    // two deposits; block 6 opens origin 12.
    let blocks: Vec<_> = (1..=7).map(|n| c.block(n)).collect();
    assert_eq!(
        blocks,
        vec![
            (10, 1, 0),
            (10, 2, 0),
            (11, 0, 2),
            (11, 1, 0),
            (11, 2, 0),
            (12, 0, 1),
            (12, 1, 0),
        ]
    );
    let header = c.db.header(3).unwrap().unwrap();
    assert_eq!(header.timestamp, 1_003);
    // The deposits are exactly L1's, in order, after the L1-attributes deposit.
    let body = c.db.body(3).unwrap().unwrap();
    assert_eq!(body[1].hash, deposit(1).hash);
    assert_eq!(body[2].hash, deposit(2).hash);
}

#[test]
fn the_drift_bound_makes_the_sequencer_wait_for_l1() {
    let c = chain(3);
    // Only the genesis origin (time 1000) is known: blocks at 1001..=1003 are within the drift.
    for _ in 0..3 {
        assert!(matches!(c.step(), SequencerAction::Build(_)));
    }
    assert!(matches!(c.step(), SequencerAction::Wait));
    // L1 comes back: the sequencer moves on to the new origin.
    c.view.lock().insert(l1(11, 0, 1_002, vec![deposit(9)]));
    assert!(matches!(c.step(), SequencerAction::Build(_)));
    assert_eq!(c.block(4), (11, 0, 1));
}

#[test]
fn an_l1_reorg_unwinds_and_rederives() {
    let c = chain(600);
    c.view.lock().insert(l1(11, 0, 1_002, vec![deposit(1)]));
    c.view.lock().insert(l1(12, 0, 1_004, vec![deposit(2)]));
    for _ in 0..5 {
        c.step();
    }
    assert_eq!(c.block(2), (11, 0, 1));
    assert_eq!(c.block(4), (12, 0, 1));
    // L1 reorgs from 11: the new 11 has another deposit, and there is no 12 yet.
    c.view.lock().insert(l1(11, 1, 1_002, vec![deposit(5)]));
    // Unwinds to block 1, the last on a surviving origin (10).
    assert!(matches!(c.step(), SequencerAction::Unwind(1)));
    assert_eq!(c.db.head().unwrap().unwrap().0, 1);
    assert!(matches!(c.step(), SequencerAction::Build(_)));
    let body = c.db.body(2).unwrap().unwrap();
    assert_eq!(body[1].hash, deposit(5).hash, "the new L1 block's deposit");
    assert!(
        (2..=c.db.head().unwrap().unwrap().0)
            .flat_map(|n| c.db.body(n).unwrap().unwrap())
            .all(|t| t.hash != deposit(1).hash),
        "the reorged-out deposit is gone"
    );
}
