//! The incremental walk against alloy-trie's reference: after every round of random inserts,
//! updates and deletions (many sharing long prefixes, so branches split into extensions and
//! collapse back), the root equals the reference root of the whole leaf set, and the stored
//! nodes equal exactly the nodes a from-scratch build stores — so no stale node survives and
//! none is missing. Proofs from the walk verify with alloy-trie's verifier.

use std::collections::BTreeMap;

use agnt2_trie::{
    BranchNodeCompact, Empty, MemLeaves, Nibbles, OverlayLeaves, PrefixSet, apply, compute,
    compute_with_proofs, decode_node, encode_node, reference_root,
};
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::proof::verify_proof;
use rand::{Rng, SeedableRng, rngs::StdRng};

type Leaves = BTreeMap<B256, Vec<u8>>;
type Stored = BTreeMap<Nibbles, BranchNodeCompact>;

/// Keys from a few families: uniformly random, and clustered under shared prefixes of 1 to 31
/// bytes (extension nodes, deep branches).
fn key(rng: &mut StdRng) -> B256 {
    let mut k: [u8; 32] = keccak256(rng.random::<u64>().to_be_bytes()).0;
    match rng.random_range(0..4) {
        0 => {}
        1 => k[..2].copy_from_slice(&[0xab, 0xcd]),
        2 => k[..20].fill(0x11),
        _ => {
            k[..31].fill(0x77);
            k[31] &= 0x0f | rng.random_range(0..2u8) << 4;
        }
    }
    B256::from(k)
}

/// Leaf values of varied sizes: short ones make inline (under 32 bytes) nodes.
fn value(rng: &mut StdRng) -> Vec<u8> {
    let len = [1, 2, 5, 33, 70][rng.random_range(0..5)];
    (0..len).map(|_| rng.random_range(1..=255u8)).collect()
}

fn rebuild(leaves: &Leaves) -> (B256, Stored) {
    let stored = Stored::new();
    let u = compute(
        &mut &stored,
        &mut MemLeaves::new(leaves),
        &PrefixSet::everything(),
    )
    .expect("rebuild");
    let mut out = Stored::new();
    apply(&mut out, &u);
    (u.root, out)
}

fn round(rng: &mut StdRng, leaves: &mut Leaves, stored: &mut Stored, changes: usize) {
    let mut overlay: BTreeMap<B256, Option<Vec<u8>>> = BTreeMap::new();
    for _ in 0..changes {
        let existing = (!leaves.is_empty() && rng.random_bool(0.6)).then(|| {
            let i = rng.random_range(0..leaves.len());
            *leaves.keys().nth(i).expect("index in range")
        });
        match existing {
            Some(k) if rng.random_bool(0.5) => overlay.insert(k, None),
            Some(k) => overlay.insert(k, Some(value(rng))),
            None => overlay.insert(key(rng), Some(value(rng))),
        };
    }
    let overlay: Vec<_> = overlay.into_iter().collect();
    let changed = PrefixSet::new(overlay.iter().map(|(k, _)| Nibbles::unpack(k)).collect());
    let u = compute(
        &mut &*stored,
        &mut OverlayLeaves::new(MemLeaves::new(leaves), &overlay),
        &changed,
    )
    .expect("compute");
    // The root's subtrees side by side give exactly the same result.
    let p = agnt2_trie::compute_parallel(
        &mut &*stored,
        || Ok(OverlayLeaves::new(MemLeaves::new(leaves), &overlay)),
        &changed,
    )
    .expect("compute_parallel");
    assert_eq!(p.root, u.root, "parallel root");
    assert_eq!(p.updated, u.updated, "parallel node writes");
    assert_eq!(p.removed, u.removed, "parallel node deletions");
    for (k, v) in overlay {
        match v {
            Some(v) => leaves.insert(k, v),
            None => leaves.remove(&k),
        };
    }
    apply(stored, &u);
    assert_eq!(u.root, reference_root(leaves.iter()), "root after a round");
    let (root, fresh) = rebuild(leaves);
    assert_eq!(root, u.root);
    assert_eq!(*stored, fresh, "stored nodes equal a from-scratch build");
}

#[test]
fn incremental_roots_and_stored_nodes_match_a_rebuild() {
    for seed in 0..24u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut leaves = Leaves::new();
        let mut stored = Stored::new();
        for r in 0..30 {
            let changes = if r % 7 == 0 {
                200
            } else {
                rng.random_range(1..12)
            };
            round(&mut rng, &mut leaves, &mut stored, changes);
        }
        // Delete everything: the stored trie empties too.
        let overlay: Vec<(B256, Option<Vec<u8>>)> = leaves.keys().map(|k| (*k, None)).collect();
        let changed = PrefixSet::new(overlay.iter().map(|(k, _)| Nibbles::unpack(k)).collect());
        let u = compute(
            &mut &stored,
            &mut OverlayLeaves::new(MemLeaves::new(&leaves), &overlay),
            &changed,
        )
        .expect("compute");
        apply(&mut stored, &u);
        assert_eq!(u.root, agnt2_trie::EMPTY_ROOT_HASH);
        assert!(stored.is_empty(), "seed {seed}: {stored:?}");
    }
}

#[test]
fn going_back_to_an_older_leaf_set_gives_its_root_and_nodes() {
    let mut rng = StdRng::seed_from_u64(99);
    let mut leaves = Leaves::new();
    let mut stored = Stored::new();
    round(&mut rng, &mut leaves, &mut stored, 300);
    let (old_leaves, old_stored) = (leaves.clone(), stored.clone());
    for _ in 0..64 {
        round(&mut rng, &mut leaves, &mut stored, 5);
    }
    // Unwind: every key that differs goes back to its old value in one computation.
    let mut overlay: Vec<(B256, Option<Vec<u8>>)> = Vec::new();
    for k in old_leaves.keys().chain(leaves.keys()) {
        if old_leaves.get(k) != leaves.get(k) {
            overlay.push((*k, old_leaves.get(k).cloned()));
        }
    }
    overlay.sort();
    overlay.dedup();
    let changed = PrefixSet::new(overlay.iter().map(|(k, _)| Nibbles::unpack(k)).collect());
    let u = compute(
        &mut &stored,
        &mut OverlayLeaves::new(MemLeaves::new(&leaves), &overlay),
        &changed,
    )
    .expect("compute");
    apply(&mut stored, &u);
    assert_eq!(u.root, reference_root(old_leaves.iter()));
    assert_eq!(stored, old_stored);
}

#[test]
fn proofs_from_the_walk_verify() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut leaves = Leaves::new();
    let mut stored = Stored::new();
    for _ in 0..5 {
        round(&mut rng, &mut leaves, &mut stored, 150);
    }
    let root = reference_root(leaves.iter());
    let mut targets: Vec<B256> = leaves.keys().step_by(17).copied().collect();
    targets.extend((0..20).map(|_| key(&mut rng)));
    let (u, proofs) = compute_with_proofs(
        &mut &stored,
        &mut MemLeaves::new(&leaves),
        &PrefixSet::default(),
        &targets,
    )
    .expect("proofs");
    assert_eq!(u.root, root);
    for t in &targets {
        let nodes: Vec<Bytes> = agnt2_trie::proof_path(&proofs, t);
        verify_proof(root, Nibbles::unpack(t), leaves.get(t).cloned(), &nodes)
            .unwrap_or_else(|e| panic!("proof of {t}: {e}"));
    }
}

#[test]
fn nodes_round_trip_and_bad_ones_are_refused() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut leaves = Leaves::new();
    let mut stored = Stored::new();
    round(&mut rng, &mut leaves, &mut stored, 400);
    assert!(!stored.is_empty());
    for (p, n) in &stored {
        let b = encode_node(n);
        assert_eq!(&decode_node(p, &b).expect("decodes"), n);
        assert!(decode_node(p, &b[..b.len() - 1]).is_err());
        let mut flipped = b.clone();
        flipped[6] = 7;
        assert!(decode_node(p, &flipped).is_err());
    }
    assert!(decode_node(&Nibbles::default(), &[]).is_err());
    assert!(agnt2_trie::decode_path(&[0x10]).is_err());
    let _ = Empty;
}

#[test]
fn a_large_trie_walked_by_root_subtrees_matches_one_walk() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut leaves = Leaves::new();
    let mut stored = Stored::new();
    // Uniform keys only: every root child holds hundreds of them (the side-by-side path).
    let mut overlay: Vec<(B256, Option<Vec<u8>>)> = (0..6000u64)
        .map(|i| (keccak256(i.to_be_bytes()), Some(value(&mut rng))))
        .collect();
    overlay.sort();
    let changed = PrefixSet::new(overlay.iter().map(|(k, _)| Nibbles::unpack(k)).collect());
    let u = compute(
        &mut &stored,
        &mut OverlayLeaves::new(MemLeaves::new(&leaves), &overlay),
        &changed,
    )
    .expect("build");
    apply(&mut stored, &u);
    for (k, v) in overlay {
        leaves.insert(k, v.expect("value"));
    }
    for r in 0..20 {
        let mut changes: BTreeMap<B256, Option<Vec<u8>>> = BTreeMap::new();
        for _ in 0..rng.random_range(1..300) {
            let i = rng.random_range(0..8000u64);
            let k = keccak256(i.to_be_bytes());
            let v = (rng.random_bool(0.7)).then(|| value(&mut rng));
            changes.insert(k, v);
        }
        let overlay: Vec<_> = changes.into_iter().collect();
        let changed = PrefixSet::new(overlay.iter().map(|(k, _)| Nibbles::unpack(k)).collect());
        let u = compute(
            &mut &stored,
            &mut OverlayLeaves::new(MemLeaves::new(&leaves), &overlay),
            &changed,
        )
        .expect("compute");
        let p = agnt2_trie::compute_parallel(
            &mut &stored,
            || Ok(OverlayLeaves::new(MemLeaves::new(&leaves), &overlay)),
            &changed,
        )
        .expect("parallel");
        assert_eq!(
            (p.root, &p.updated, &p.removed),
            (u.root, &u.updated, &u.removed),
            "round {r}"
        );
        for (k, v) in overlay {
            match v {
                Some(v) => leaves.insert(k, v),
                None => leaves.remove(&k),
            };
        }
        apply(&mut stored, &u);
        assert_eq!(u.root, reference_root(leaves.iter()));
    }
}
