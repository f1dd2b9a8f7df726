#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vow_audit::{chain, checkpoint, verify, Action, Break, Checkpoint, Entry, NewEntry, GENESIS};
use vow_crypto::{AuditSigner, AuditVerifier};

fn new_entry(i: u64) -> NewEntry {
    NewEntry {
        at_ms: 1_764_000_000_000 + i as i64 * 60_000,
        key_id: format!("key_{}", i % 3),
        role: if i.is_multiple_of(2) {
            "support".into()
        } else {
            "admin".into()
        },
        source: format!("10.0.0.{}", i % 250),
        subject_id: if i.is_multiple_of(5) {
            None
        } else {
            Some(format!("sub_{i}"))
        },
        action: Action::ALL[(i % 11) as usize],
        categories: (0..(i % 3)).map(|c| format!("user.cat{c}")).collect(),
        reason: if i.is_multiple_of(4) {
            Some(format!("ticket {i}"))
        } else {
            None
        },
    }
}

fn build(n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for i in 0..n {
        let e = chain(out.last(), new_entry(i));
        out.push(e);
    }
    out
}

fn run(entries: &[Entry], cps: &[Checkpoint], v: &AuditVerifier) -> vow_audit::Verification {
    verify(
        entries
            .iter()
            .cloned()
            .map(Ok::<_, std::convert::Infallible>),
        cps,
        v,
    )
    .unwrap()
}

fn signer() -> AuditSigner {
    AuditSigner::generate()
}

#[test]
fn first_entry_has_seq_one_and_points_at_genesis() {
    let e = chain(None, new_entry(0));
    assert_eq!(e.seq, 1);
    assert_eq!(e.prev_hash, GENESIS);
    assert_eq!(e.hash, e.compute_hash());
    let next = chain(Some(&e), new_entry(1));
    assert_eq!((next.seq, next.prev_hash), (2, e.hash));
}

#[test]
fn chain_of_1000_entries_with_checkpoints_verifies() {
    let s = signer();
    let log = build(1000);
    let cps: Vec<Checkpoint> = [100usize, 500, 1000]
        .iter()
        .map(|&k| checkpoint(&log[k - 1], &s))
        .collect();
    let v = run(&log, &cps, &s.verifying_key());
    assert_eq!(v.entries, 1000);
    assert_eq!(v.checkpoints, 3);
    assert_eq!(v.first_break, None);
    assert!(v.is_intact());
}

#[test]
fn empty_log_without_checkpoints_verifies() {
    let v = run(&[], &[], &signer().verifying_key());
    assert_eq!((v.entries, v.first_break), (0, None));
}

/// Changes one field of an entry (without recomputing its hash, as an editor of the database would).
fn edit(e: &mut Entry, field: usize) {
    match field {
        0 => e.at_ms += 1,
        1 => e.key_id.push('x'),
        2 => e.role = "superuser".into(),
        3 => e.source = "198.51.100.1".into(),
        4 => {
            e.subject_id = if e.subject_id.is_some() {
                None
            } else {
                Some("sub_x".into())
            }
        }
        5 => {
            e.action = if e.action == Action::Read {
                Action::Update
            } else {
                Action::Read
            }
        }
        6 => e.categories.push("user.extra".into()),
        7 => e.reason = Some(format!("{}!", e.reason.clone().unwrap_or_default())),
        8 => e.hash[0] ^= 1,
        9 => e.prev_hash[31] ^= 1,
        _ => e.seq += 1,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn editing_any_field_of_entry_k_is_detected_at_k(k in 1usize..=120, field in 0usize..=10) {
        let s = signer();
        let mut log = build(120);
        edit(&mut log[k - 1], field);
        let v = run(&log, &[], &s.verifying_key());
        let b = v.first_break.expect("edit went unnoticed");
        prop_assert_eq!(b.seq(), k as u64, "{:?}", b);
    }

    #[test]
    fn deleting_entry_k_is_detected_at_k(k in 1usize..=120) {
        let mut log = build(120);
        log.remove(k - 1);
        let v = run(&log, &[], &signer().verifying_key());
        if k == 120 {
            // Deleting the newest entry leaves a valid shorter chain: only a checkpoint can tell.
            prop_assert_eq!(v.first_break, None);
        } else {
            prop_assert_eq!(v.first_break, Some(Break::SeqGap { expected: k as u64, found: k as u64 + 1 }));
        }
    }

    #[test]
    fn deleting_entry_k_and_renumbering_the_rest_is_caught_at_k(k in 1usize..120) {
        // A careful forger renumbers and rehashes everything after k; the link to k-1 still holds,
        // but the checkpoint at the end no longer matches.
        let s = signer();
        let log = build(120);
        let cp = checkpoint(&log[119], &s);
        let mut forged: Vec<Entry> = log[..k - 1].to_vec();
        for e in &log[k..] {
            let n = NewEntry {
                at_ms: e.at_ms, key_id: e.key_id.clone(), role: e.role.clone(), source: e.source.clone(),
                subject_id: e.subject_id.clone(), action: e.action, categories: e.categories.clone(), reason: e.reason.clone(),
            };
            let next = chain(forged.last(), n);
            forged.push(next);
        }
        let v = run(&forged, &[cp], &s.verifying_key());
        prop_assert_eq!(v.first_break, Some(Break::CheckpointMissingEntry { seq: 120 }));
    }

    #[test]
    fn swapping_entries_k_and_k_plus_one_is_detected_at_k(k in 1usize..120) {
        let mut log = build(120);
        log.swap(k - 1, k);
        let v = run(&log, &[], &signer().verifying_key());
        prop_assert_eq!(v.first_break.map(|b| b.seq()), Some(k as u64));
    }
}

#[test]
fn reordering_two_distant_entries_is_detected_at_the_earlier() {
    let mut log = build(50);
    log.swap(9, 29);
    let v = run(&log, &[], &signer().verifying_key());
    assert_eq!(
        v.first_break,
        Some(Break::SeqGap {
            expected: 10,
            found: 30
        })
    );
}

#[test]
fn entry_edited_together_with_its_hash_breaks_the_next_link() {
    let mut log = build(20);
    log[4].role = "admin-forged".into();
    log[4].hash = log[4].compute_hash();
    let v = run(&log, &[], &signer().verifying_key());
    assert_eq!(v.first_break, Some(Break::PrevMismatch { seq: 6 }));
}

#[test]
fn truncating_the_last_10_entries_under_a_checkpoint_is_reported_as_missing_entry() {
    let s = signer();
    let log = build(1000);
    let cps = vec![checkpoint(&log[499], &s), checkpoint(&log[999], &s)];
    let v = run(&log[..990], &cps, &s.verifying_key());
    assert_eq!(
        v.first_break,
        Some(Break::CheckpointMissingEntry { seq: 1000 })
    );
    assert_eq!(v.entries, 990);
    assert_eq!(v.checkpoints, 1);
}

#[test]
fn rolling_back_and_appending_different_entries_is_reported_as_checkpoint_hash_mismatch() {
    let s = signer();
    let log = build(1000);
    let cps = vec![checkpoint(&log[999], &s)];
    // Restore an old copy (990 entries) and let the service append 10 other entries.
    let mut rewritten = log[..990].to_vec();
    for i in 0..10 {
        let mut n = new_entry(5000 + i);
        n.reason = Some("after restore".into());
        let e = chain(rewritten.last(), n);
        rewritten.push(e);
    }
    let v = run(&rewritten, &cps, &s.verifying_key());
    assert_eq!(
        v.first_break,
        Some(Break::CheckpointHashMismatch { seq: 1000 })
    );
}

#[test]
fn checkpoints_all_signed_by_another_key_over_an_intact_log_mean_the_key_file_is_another_vaults() {
    let ours = signer();
    let theirs = signer();
    let log = build(100);
    let cps = vec![checkpoint(&log[49], &theirs), checkpoint(&log[99], &theirs)];
    let v = run(&log, &cps, &ours.verifying_key());
    assert_eq!(v.first_break, Some(Break::ForeignKey { seq: 50 }));
    assert!(
        v.to_string().contains("does not belong to this vault"),
        "{v}"
    );
    assert!(!v.to_string().contains("forged"), "{v}");
}

#[test]
fn one_checkpoint_signed_by_another_key_among_ours_is_a_bad_signature() {
    let ours = signer();
    let theirs = signer();
    let log = build(100);
    let cps = vec![checkpoint(&log[49], &theirs), checkpoint(&log[99], &ours)];
    let v = run(&log, &cps, &ours.verifying_key());
    assert_eq!(v.first_break, Some(Break::BadSignature { seq: 50 }));
}

#[test]
fn checkpoints_by_another_key_that_do_not_match_the_log_are_not_excused_as_a_foreign_key() {
    let ours = signer();
    let theirs = signer();
    let log = build(100);
    let other_log = build(101);
    let cps = vec![checkpoint(&other_log[100], &theirs)];
    let v = run(&log, &cps, &ours.verifying_key());
    assert_eq!(v.first_break, Some(Break::BadSignature { seq: 101 }));
}

fn run_anchored(
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    remembered: Option<&Checkpoint>,
    v: &AuditVerifier,
) -> vow_audit::Verification {
    vow_audit::verify_anchored(
        entries
            .iter()
            .cloned()
            .map(Ok::<_, std::convert::Infallible>),
        vow_audit::Anchors {
            checkpoints,
            remembered,
            required: true,
            cuts: &[],
        },
        v,
    )
    .unwrap()
}

#[test]
fn a_log_with_entries_and_no_checkpoint_fails_when_checkpoints_are_required() {
    let s = signer();
    let log = build(20);
    let v = run_anchored(&log, &[], None, &s.verifying_key());
    assert_eq!(v.first_break, Some(Break::NoCheckpoints { entries: 20 }));
    assert!(!v.is_intact());
    let empty = run_anchored(&[], &[], None, &s.verifying_key());
    assert!(empty.is_intact(), "{empty}");
}

#[test]
fn a_log_cut_together_with_its_checkpoint_file_is_caught_by_the_remembered_head() {
    let s = signer();
    let log = build(30);
    let head = checkpoint(&log[29], &s);
    // Entries 21..30 and the checkpoints covering them are gone; the key store still remembers 30.
    let cps = vec![checkpoint(&log[9], &s), checkpoint(&log[19], &s)];
    let v = run_anchored(&log[..20], &cps, Some(&head), &s.verifying_key());
    assert_eq!(
        v.first_break,
        Some(Break::CheckpointMissingEntry { seq: 30 })
    );
}

#[test]
fn a_checkpoint_file_ending_before_the_remembered_head_is_broken() {
    let s = signer();
    let log = build(30);
    let head = checkpoint(&log[29], &s);
    let cps = vec![checkpoint(&log[9], &s)];
    let v = run_anchored(&log, &cps, Some(&head), &s.verifying_key());
    assert_eq!(
        v.first_break,
        Some(Break::CheckpointsBehind {
            remembered: 30,
            last: 10
        })
    );
    let none = run_anchored(&log, &[], Some(&head), &s.verifying_key());
    assert_eq!(
        none.first_break,
        Some(Break::CheckpointsBehind {
            remembered: 30,
            last: 0
        })
    );
    let whole = run_anchored(
        &log,
        std::slice::from_ref(&head),
        Some(&head),
        &s.verifying_key(),
    );
    assert!(whole.is_intact(), "{whole}");
}

#[test]
fn a_rolled_back_log_is_caught_by_the_remembered_head_alone() {
    let s = signer();
    let log = build(30);
    let head = checkpoint(&log[29], &s);
    let mut forked = build(25);
    forked.extend(
        (100..110)
            .map(new_entry)
            .scan(forked.last().cloned(), |prev, n| {
                let e = chain(prev.as_ref(), n);
                *prev = Some(e.clone());
                Some(e)
            }),
    );
    let v = run_anchored(
        &forked,
        std::slice::from_ref(&head),
        Some(&head),
        &s.verifying_key(),
    );
    assert_eq!(
        v.first_break,
        Some(Break::CheckpointHashMismatch { seq: 30 })
    );
}

#[test]
fn forged_checkpoint_beyond_the_log_is_a_bad_signature_not_a_truncation() {
    let ours = signer();
    let log = build(10);
    let mut cp = checkpoint(&log[9], &ours);
    cp.seq = 11;
    let v = run(&log, &[cp], &ours.verifying_key());
    assert_eq!(v.first_break, Some(Break::BadSignature { seq: 11 }));
}

#[test]
fn checkpoint_with_a_short_signature_is_a_bad_signature() {
    let s = signer();
    let log = build(10);
    let mut cp = checkpoint(&log[4], &s);
    cp.signature.truncate(10);
    let v = run(&log, &[cp], &s.verifying_key());
    assert_eq!(v.first_break, Some(Break::BadSignature { seq: 5 }));
}

#[test]
fn the_earliest_break_is_named_when_there_are_several() {
    let s = signer();
    let mut log = build(100);
    let cps = vec![checkpoint(&log[79], &signer())]; // bad signature at 80
    log[30].source = "x".into(); // edit at 31
    let v = run(&log, &cps, &s.verifying_key());
    assert_eq!(v.first_break, Some(Break::HashMismatch { seq: 31 }));
    assert_eq!(v.entries, 100);
}

#[test]
fn errors_from_the_entry_source_are_passed_through() {
    let log = build(5);
    let items = log
        .into_iter()
        .map(Ok)
        .chain(std::iter::once(Err("disk gone")));
    assert_eq!(
        verify(items, &[], &signer().verifying_key()),
        Err("disk gone")
    );
}

#[test]
fn encoding_distinguishes_shifted_and_absent_fields() {
    let base = chain(None, new_entry(1));
    let with = |f: &dyn Fn(&mut Entry)| {
        let mut e = base.clone();
        f(&mut e);
        e.compute_hash()
    };
    let a = with(&|e| {
        e.key_id = "ab".into();
        e.role = "c".into();
    });
    let b = with(&|e| {
        e.key_id = "a".into();
        e.role = "bc".into();
    });
    assert_ne!(a, b);
    assert_ne!(
        with(&|e| e.reason = None),
        with(&|e| e.reason = Some(String::new()))
    );
    assert_ne!(
        with(&|e| e.categories = vec!["a,b".into()]),
        with(&|e| e.categories = vec!["a".into(), "b".into()])
    );
}

#[test]
fn entry_json_roundtrips_with_snake_case_actions_and_hex_hashes() {
    let mut n = new_entry(1);
    n.action = Action::KeyCreate;
    let e = chain(None, n);
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"action\":\"key_create\""), "{json}");
    assert!(
        json.contains(&format!("\"hash\":\"{}\"", hex::encode(e.hash))),
        "{json}"
    );
    let back: Entry = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
    assert_eq!(Action::RoleChange.to_string(), "role_change");
    assert_eq!("lookup".parse::<Action>().unwrap(), Action::Lookup);
    assert!("read_all".parse::<Action>().is_err());
}

#[test]
fn break_messages_say_what_happened() {
    assert!(Break::CheckpointMissingEntry { seq: 7 }
        .to_string()
        .contains("truncated"));
    assert!(Break::CheckpointHashMismatch { seq: 7 }
        .to_string()
        .contains("rolled back"));
    assert!(Break::SeqGap {
        expected: 3,
        found: 5
    }
    .to_string()
    .contains("deleted or reordered"));
}

#[test]
fn verification_summary_names_the_broken_entry() {
    let s = signer();
    let mut log = build(10);
    assert!(run(&log, &[], &s.verifying_key())
        .to_string()
        .starts_with("intact: 10 entries"));
    log[6].reason = Some("edited".into());
    let text = run(&log, &[], &s.verifying_key()).to_string();
    assert!(
        text.starts_with("BROKEN at entry 7: entry 7 was edited"),
        "{text}"
    );
}
