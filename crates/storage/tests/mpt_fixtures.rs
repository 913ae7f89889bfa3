//! Merkle-Patricia proofs produced by alloy-trie for the L1 contracts' Solidity verifier
//! (`contracts/test/MerkleTrie.t.sol` reads `contracts/test/fixtures/mpt.json`): tries of many
//! shapes (one leaf, branches, extensions, inline nodes under short keys, 32-byte hashed keys as
//! the withdrawal proofs use), inclusion and exclusion proofs. The file is generated
//! deterministically; this test fails when it drifts from what alloy-trie produces, and
//! rewrites it with `AGNT2_WRITE_FIXTURES=1`.

use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_trie::{
    HashBuilder, Nibbles,
    proof::{ProofRetainer, verify_proof},
};

#[derive(serde::Serialize)]
struct Case {
    root: B256,
    key: Bytes,
    value: Bytes,
    proof: Vec<Bytes>,
}

#[derive(serde::Serialize)]
struct Absent {
    root: B256,
    key: Bytes,
    proof: Vec<Bytes>,
}

#[derive(serde::Serialize)]
struct Fixture {
    cases: Vec<Case>,
    absent: Vec<Absent>,
}

fn word(tag: &str, i: u64) -> B256 {
    keccak256([tag.as_bytes(), &i.to_be_bytes()].concat())
}

/// The RLP a leaf stores: a storage-style encoded integer of varied size, the single byte 0x01
/// the message passer stores, or a long string.
fn value(shape: u64, i: u64) -> Vec<u8> {
    let w = word("value", shape * 10_000 + i);
    match i % 3 {
        0 => alloy_rlp::encode(U256::from_be_bytes(w.0) >> ((i % 29) * 8)),
        1 => vec![0x01],
        _ => alloy_rlp::encode(Bytes::from([w.as_slice(), w.as_slice(), &[7; 40]].concat())),
    }
}

/// Builds a trie over `keys` (with values) and proves `targets`.
fn prove(entries: &[(Vec<u8>, Vec<u8>)], targets: &[Vec<u8>]) -> (B256, Vec<Vec<Bytes>>) {
    let mut sorted: Vec<_> = entries.to_vec();
    sorted.sort();
    sorted.dedup_by(|a, b| a.0 == b.0);
    let retainer = ProofRetainer::new(targets.iter().map(|k| Nibbles::unpack(k)).collect());
    let mut hb = HashBuilder::default().with_proof_retainer(retainer);
    for (k, v) in &sorted {
        hb.add_leaf(Nibbles::unpack(k), v);
    }
    let root = hb.root();
    let nodes = hb.take_proof_nodes();
    let proofs = targets
        .iter()
        .map(|k| {
            nodes
                .matching_nodes_sorted(&Nibbles::unpack(k))
                .into_iter()
                .map(|(_, n)| n)
                .collect()
        })
        .collect();
    (root, proofs)
}

fn fixture() -> Fixture {
    let mut fixture = Fixture {
        cases: Vec::new(),
        absent: Vec::new(),
    };
    // (number of keys, key length): hashed 32-byte keys, and short keys for inline nodes and
    // extensions over shared prefixes.
    let shapes: [(u64, usize); 9] = [
        (1, 32),
        (2, 32),
        (3, 32),
        (17, 32),
        (200, 32),
        (4, 1),
        (12, 2),
        (40, 3),
        (9, 20),
    ];
    for (shape, (n, len)) in shapes.iter().enumerate() {
        let shape = shape as u64;
        let entries: Vec<(Vec<u8>, Vec<u8>)> = (0..*n)
            .map(|i| {
                let mut k = word("key", shape * 10_000 + i)[..*len].to_vec();
                if *len == 20 {
                    // Keys sharing a 15-byte prefix make long extension nodes.
                    k[..15].copy_from_slice(&[0x5a; 15]);
                }
                (k, value(shape, i))
            })
            .collect();
        let mut entries = entries;
        entries.sort();
        entries.dedup_by(|a, b| a.0 == b.0);
        let picks: Vec<usize> = (0..entries.len())
            .step_by((entries.len() / 6).max(1))
            .collect();
        let present: Vec<Vec<u8>> = picks.iter().map(|&i| entries[i].0.clone()).collect();
        let missing: Vec<Vec<u8>> = (0..3)
            .map(|i| word("absent", shape * 10 + i)[..*len].to_vec())
            .filter(|k| entries.iter().all(|(e, _)| e != k))
            .collect();
        let targets: Vec<Vec<u8>> = present.iter().chain(&missing).cloned().collect();
        let (root, proofs) = prove(&entries, &targets);
        for (i, &at) in picks.iter().enumerate() {
            let (key, value) = &entries[at];
            // alloy-trie's verifier does not descend into nodes inlined in their parent (under
            // 32 bytes: short keys with tiny values), which hashed keys never produce; those
            // proofs are checked by the Solidity verifier alone.
            if key.len() == 32 {
                verify_proof(root, Nibbles::unpack(key), Some(value.clone()), &proofs[i])
                    .expect("alloy-trie verifies its own inclusion proof");
            }
            fixture.cases.push(Case {
                root,
                key: key.clone().into(),
                value: value.clone().into(),
                proof: proofs[i].clone(),
            });
        }
        for (j, key) in missing.iter().enumerate() {
            let proof = &proofs[picks.len() + j];
            if key.len() == 32 {
                verify_proof(root, Nibbles::unpack(key), None, proof)
                    .expect("alloy-trie verifies its own exclusion proof");
            }
            fixture.absent.push(Absent {
                root,
                key: key.clone().into(),
                proof: proof.clone(),
            });
        }
    }
    fixture
}

#[test]
fn solidity_mpt_fixtures_match_alloy_trie() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/test/fixtures/mpt.json");
    let mut text = serde_json::to_string_pretty(&fixture()).expect("json");
    text.push('\n');
    if std::env::var_os("AGNT2_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &text).expect("write fixture");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} is not what alloy-trie produces; regenerate with AGNT2_WRITE_FIXTURES=1 cargo test -p agnt2-storage --test mpt_fixtures",
        path.display()
    );
}
