//! A log of several chains, one per writer, covered by checkpoints that sign a Merkle tree over
//! every chain's head: each way of tampering with it is detected and located on its chain.

#![allow(clippy::unwrap_used)]

use vow_audit::{
    chain_in, checkpoint, checkpoint_chains, tree_root, verify_anchored, Action, Anchors, Break,
    ChainHead, Checkpoint, Entry, NewEntry, Verification,
};
use vow_crypto::AuditSigner;

fn new_entry(i: u64) -> NewEntry {
    NewEntry {
        at_ms: 1_764_000_000_000 + i as i64,
        key_id: format!("key_{}", i % 3),
        role: "support".into(),
        source: "10.0.0.1".into(),
        subject_id: Some(format!("sub_{i}")),
        action: Action::Read,
        categories: vec!["user.contact".into()],
        reason: None,
    }
}

/// Three writers: chain 0 with 6 entries, chain 1 with 4, chain 7 with 5 (ids need not be dense).
fn three_chains() -> Vec<Vec<Entry>> {
    [(0u32, 6u64), (1, 4), (7, 5)]
        .into_iter()
        .map(|(id, n)| {
            let mut out: Vec<Entry> = Vec::new();
            for i in 0..n {
                let e = chain_in(id, out.last(), new_entry(u64::from(id) * 100 + i));
                out.push(e);
            }
            out
        })
        .collect()
}

fn heads(chains: &[Vec<Entry>]) -> Vec<Entry> {
    chains.iter().filter_map(|c| c.last().cloned()).collect()
}

/// The log as the store pages it: by chain, then seq.
fn merged(chains: &[Vec<Entry>]) -> Vec<Entry> {
    let mut all: Vec<Entry> = chains.iter().flatten().cloned().collect();
    all.sort_by_key(|e| (e.chain, e.seq));
    all
}

fn check(log: &[Entry], checkpoints: &[Checkpoint], signer: &AuditSigner) -> Verification {
    check_with(log, checkpoints, None, signer)
}

fn check_with(
    log: &[Entry],
    checkpoints: &[Checkpoint],
    remembered: Option<&Checkpoint>,
    signer: &AuditSigner,
) -> Verification {
    verify_anchored(
        log.iter().cloned().map(Ok::<_, std::convert::Infallible>),
        Anchors {
            checkpoints,
            remembered,
            required: true,
            cuts: &[],
        },
        &signer.verifying_key(),
    )
    .unwrap()
}

fn broken_at(v: &Verification) -> (u32, Break) {
    (v.break_chain, v.first_break.clone().expect("a break"))
}

#[test]
fn an_intact_log_of_three_chains_verifies_with_its_tree_checkpoint() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    assert_eq!(
        cp.seq, 15,
        "a tree checkpoint counts the entries of every chain"
    );
    assert_eq!(cp.heads.len(), 3);
    assert_eq!(cp.hash, tree_root(&cp.heads));
    let v = check(&merged(&chains), &[cp], &signer);
    assert!(v.is_intact(), "{v}");
    assert_eq!((v.entries, v.chains, v.checkpoints), (15, 3, 1));
    assert_eq!(
        v.to_string(),
        "intact: 15 entries in 3 chains, 1 signed checkpoints hold"
    );
}

#[test]
fn a_log_of_chain_zero_alone_keeps_the_first_checkpoint_form_byte_for_byte() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let head = chains[0].last().unwrap();
    let tree = checkpoint_chains(std::slice::from_ref(head), &signer).unwrap();
    let single = checkpoint(head, &signer);
    assert_eq!(tree, single);
    assert!(tree.heads.is_empty());
    let line = serde_json::to_string(&tree).unwrap();
    assert!(!line.contains("heads") && !line.contains("chain"), "{line}");
    // An entry of chain 0 serialises as before chains existed.
    assert!(!serde_json::to_string(head).unwrap().contains("chain"));
}

#[test]
fn a_tree_checkpoint_round_trips_through_its_json_line() {
    let signer = AuditSigner::generate();
    let cp = checkpoint_chains(&heads(&three_chains()), &signer).unwrap();
    let line = serde_json::to_string(&cp).unwrap();
    let back: Checkpoint = serde_json::from_str(&line).unwrap();
    assert_eq!(back, cp);
    assert!(back.verify(&signer.verifying_key()));
}

#[test]
fn a_head_edited_inside_a_signed_checkpoint_breaks_its_signature() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let mut cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    // Claim chain 1 ended one entry earlier (hiding the truncation of its last entry).
    cp.heads[1] = ChainHead::of(&chains[1][2]);
    assert!(!cp.verify(&signer.verifying_key()));
    // Recomputing the root and the count does not help: the signature covers them.
    cp.hash = tree_root(&cp.heads);
    cp.seq -= 1;
    assert!(!cp.verify(&signer.verifying_key()));
    let mut log = merged(&chains);
    log.retain(|e| !(e.chain == 1 && e.seq == 4));
    // Beside an earlier checkpoint that does verify (else the key would look like another vault's).
    let earlier = checkpoint(&chains[0][1], &signer);
    let v = check(&log, &[earlier, cp], &signer);
    // Found at the first head the forged checkpoint names, in the order the log is read.
    assert_eq!(broken_at(&v), (0, Break::BadSignature { seq: 6 }), "{v}");
}

#[test]
fn a_chain_dropped_altogether_is_found_by_the_checkpoint_that_names_it() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    let log: Vec<Entry> = merged(&chains)
        .into_iter()
        .filter(|e| e.chain != 7)
        .collect();
    let v = check(&log, &[cp], &signer);
    assert_eq!(
        broken_at(&v),
        (7, Break::CheckpointMissingEntry { seq: 5 }),
        "{v}"
    );
    assert!(v.to_string().contains("of chain 7"), "{v}");
}

#[test]
fn a_chain_truncated_is_located_on_its_chain() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    let log: Vec<Entry> = merged(&chains)
        .into_iter()
        .filter(|e| !(e.chain == 1 && e.seq > 2))
        .collect();
    let v = check(&log, &[cp], &signer);
    assert_eq!(
        broken_at(&v),
        (1, Break::CheckpointMissingEntry { seq: 4 }),
        "{v}"
    );
}

#[test]
fn a_chain_forked_after_its_checkpoint_is_found() {
    let signer = AuditSigner::generate();
    let mut chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    // Chain 1 rewritten from its third entry with recomputed hashes: a fork of the signed history.
    chains[1].truncate(2);
    for i in 0..2 {
        let e = chain_in(1, chains[1].last(), new_entry(900 + i));
        chains[1].push(e);
    }
    let v = check(&merged(&chains), &[cp], &signer);
    assert_eq!(
        broken_at(&v),
        (1, Break::CheckpointHashMismatch { seq: 4 }),
        "{v}"
    );
}

#[test]
fn entries_reordered_inside_a_chain_are_found() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    let mut log = merged(&chains);
    let at = log.iter().position(|e| e.chain == 7 && e.seq == 2).unwrap();
    log.swap(at, at + 1);
    let v = check(&log, &[cp], &signer);
    assert_eq!(
        broken_at(&v),
        (
            7,
            Break::SeqGap {
                expected: 2,
                found: 3
            }
        ),
        "{v}"
    );
}

#[test]
fn an_entry_moved_to_another_chain_is_found_where_it_left_and_where_it_landed() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    // The last entry of chain 7 moved to the end of chain 1, renumbered and relinked, its hash
    // kept (the attacker cannot sign, so only the fields can change).
    let mut log = merged(&chains);
    let at = log.iter().position(|e| e.chain == 7 && e.seq == 5).unwrap();
    let mut moved = log.remove(at);
    moved.chain = 1;
    moved.seq = 5;
    moved.prev_hash = chains[1][3].hash;
    log.push(moved);
    log.sort_by_key(|e| (e.chain, e.seq));
    let v = check(&log, std::slice::from_ref(&cp), &signer);
    assert_eq!(broken_at(&v), (1, Break::HashMismatch { seq: 5 }), "{v}");
    // Even with its hash recomputed under chain 1, chain 7 lost its signed head.
    let mut log = merged(&chains);
    let at = log.iter().position(|e| e.chain == 7 && e.seq == 5).unwrap();
    let taken = log.remove(at);
    let moved = chain_in(
        1,
        chains[1].last(),
        new_entry(taken.at_ms as u64 - 1_764_000_000_000),
    );
    log.push(moved);
    log.sort_by_key(|e| (e.chain, e.seq));
    let v = check(&log, &[cp], &signer);
    assert_eq!(
        broken_at(&v),
        (7, Break::CheckpointMissingEntry { seq: 5 }),
        "{v}"
    );
}

#[test]
fn an_entry_of_chain_one_relabelled_chain_zero_no_longer_matches_its_hash() {
    let chains = three_chains();
    let mut entry = chains[1][0].clone();
    assert_eq!(entry.compute_hash(), entry.hash);
    entry.chain = 0;
    assert_ne!(entry.compute_hash(), entry.hash);
}

#[test]
fn a_rollback_to_an_older_copy_is_found_by_the_remembered_head() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    // The copy was taken when chain 1 had 2 entries; checkpoints up to then are in the file, and
    // the key store remembers the newest (all 15 entries).
    let mut old = chains.clone();
    old[1].truncate(2);
    let old_cp = checkpoint_chains(&heads(&old), &signer).unwrap();
    let newest = checkpoint_chains(&heads(&chains), &signer).unwrap();
    let v = check_with(
        &merged(&old),
        std::slice::from_ref(&old_cp),
        Some(&newest),
        &signer,
    );
    assert_eq!(
        broken_at(&v),
        (1, Break::CheckpointMissingEntry { seq: 4 }),
        "{v}"
    );
    // The newest checkpoint also cut off the end of the file: still found.
    let v = check_with(&merged(&chains), &[old_cp], Some(&newest), &signer);
    assert_eq!(
        broken_at(&v).1,
        Break::CheckpointsBehind {
            remembered: 15,
            last: 13
        },
        "{v}"
    );
}

#[test]
fn checkpoints_of_one_chain_and_of_the_tree_mix_in_one_file() {
    // A log that had one writer, then three: the file holds first-form lines, then tree lines.
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let early = checkpoint(&chains[0][2], &signer);
    let later = checkpoint_chains(&heads(&chains), &signer).unwrap();
    let v = check(&merged(&chains), &[early, later], &signer);
    assert!(v.is_intact(), "{v}");
    assert_eq!(v.checkpoints, 2);
}

#[test]
fn chains_out_of_order_in_the_stream_are_reported() {
    let signer = AuditSigner::generate();
    let chains = three_chains();
    let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
    // Chain 0's last entry served after chain 7: a source that splits a chain.
    let mut log = merged(&chains);
    let last_of_zero = log.iter().position(|e| e.chain == 0 && e.seq == 6).unwrap();
    let e = log.remove(last_of_zero);
    log.push(e);
    let v = check(&log, &[cp], &signer);
    assert!(!v.is_intact(), "{v}");
}

mod random {
    //! Random logs of several chains and one random tampering each: every one is caught; an
    //! untouched log always verifies.

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Tamper {
        None,
        Delete(usize),
        SwapWithNext(usize),
        MoveToChain(usize, usize),
        EditRole(usize),
        TruncateChain(usize, usize),
        DropChain(usize),
    }

    fn tamper() -> impl Strategy<Value = Tamper> {
        prop_oneof![
            Just(Tamper::None),
            any::<usize>().prop_map(Tamper::Delete),
            any::<usize>().prop_map(Tamper::SwapWithNext),
            (any::<usize>(), any::<usize>()).prop_map(|(e, c)| Tamper::MoveToChain(e, c)),
            any::<usize>().prop_map(Tamper::EditRole),
            (any::<usize>(), 1usize..4).prop_map(|(c, k)| Tamper::TruncateChain(c, k)),
            any::<usize>().prop_map(Tamper::DropChain),
        ]
    }

    /// Chains with these ids and lengths, entries written in an interleaved order.
    fn log_of(lengths: &[(u32, usize)]) -> Vec<Vec<Entry>> {
        let mut chains: Vec<Vec<Entry>> = lengths.iter().map(|_| Vec::new()).collect();
        let mut i = 0u64;
        let longest = lengths.iter().map(|(_, n)| *n).max().unwrap_or(0);
        for round in 0..longest {
            for (slot, (id, n)) in lengths.iter().enumerate() {
                if round < *n {
                    let e = chain_in(*id, chains[slot].last(), new_entry(i));
                    chains[slot].push(e);
                    i += 1;
                }
            }
        }
        chains
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn every_tampering_of_a_log_of_several_chains_is_caught(
            ids in proptest::collection::btree_set(0u32..6, 1..4),
            lengths in proptest::collection::vec(1usize..8, 4),
            tamper in tamper(),
        ) {
            let signer = AuditSigner::generate();
            let spec: Vec<(u32, usize)> = ids.iter().copied().zip(lengths).collect();
            let chains = log_of(&spec);
            let cp = checkpoint_chains(&heads(&chains), &signer).unwrap();
            let mut log = merged(&chains);
            let n = log.len();
            let tampered = match tamper {
                Tamper::None => false,
                Tamper::Delete(i) => {
                    log.remove(i % n);
                    true
                }
                Tamper::SwapWithNext(i) => {
                    let i = i % n;
                    if i + 1 < n && log[i].chain == log[i + 1].chain {
                        log.swap(i, i + 1);
                        true
                    } else {
                        false
                    }
                }
                Tamper::MoveToChain(i, c) => {
                    let i = i % n;
                    let to = spec[c % spec.len()].0;
                    if log[i].chain != to {
                        log[i].chain = to;
                        log.sort_by_key(|e| (e.chain, e.seq));
                        true
                    } else {
                        false
                    }
                }
                Tamper::EditRole(i) => {
                    log[i % n].role.push('!');
                    true
                }
                Tamper::TruncateChain(c, k) => {
                    let id = spec[c % spec.len()].0;
                    let len = log.iter().filter(|e| e.chain == id).count();
                    let keep = len.saturating_sub(k);
                    log.retain(|e| e.chain != id || (e.seq as usize) <= keep);
                    true
                }
                Tamper::DropChain(c) => {
                    let id = spec[c % spec.len()].0;
                    log.retain(|e| e.chain != id);
                    true
                }
            };
            let v = check(&log, std::slice::from_ref(&cp), &signer);
            prop_assert_eq!(v.is_intact(), !tampered, "{}", v);
        }
    }
}
