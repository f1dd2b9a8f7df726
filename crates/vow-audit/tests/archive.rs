//! Archives: a run of the log sealed in a file that proves itself, and the log left behind that must
//! continue exactly where the seal ends. Every way of tampering with either is found and located.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use vow_audit::{
    chain, checkpoint, verify_anchored, verify_archive, write_archive, Action, Anchors, Break,
    Checkpoint, Cut, Entry, NewEntry, GENESIS,
};
use vow_crypto::AuditSigner;

fn new_entry(i: u64) -> NewEntry {
    NewEntry {
        at_ms: 1_700_000_000_000 + i as i64 * 3_600_000,
        key_id: format!("key_{}", i % 3),
        role: "support".into(),
        source: "10.0.0.1".into(),
        subject_id: Some(format!("sub_{i}")),
        action: Action::Read,
        categories: vec!["user.contact.email".into()],
        reason: i.is_multiple_of(4).then(|| format!("ticket {i}")),
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

fn ok(entries: &[Entry]) -> impl Iterator<Item = Result<Entry, std::convert::Infallible>> + '_ {
    entries.iter().cloned().map(Ok)
}

/// 100 entries with a checkpoint every 10; the first 60 archived.
struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    log: Vec<Entry>,
    checkpoints: Vec<Checkpoint>,
    cut: Cut,
    signer: AuditSigner,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2024.vowlog");
    let signer = AuditSigner::generate();
    let log = build(100);
    let checkpoints: Vec<Checkpoint> = log
        .iter()
        .filter(|e| e.seq.is_multiple_of(10))
        .map(|e| checkpoint(e, &signer))
        .collect();
    let cut = write_archive(&path, ok(&log[..60]), GENESIS, &checkpoints, &signer)
        .unwrap()
        .unwrap();
    Fixture {
        _dir: dir,
        path,
        log,
        checkpoints,
        cut,
        signer,
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn rewrite(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn archive_break(f: &Fixture) -> Option<Break> {
    verify_archive(&f.path, Some(&f.signer.verifying_key()))
        .unwrap()
        .first_break
}

fn remaining(f: &Fixture, rows: &[Entry], cut: &Cut) -> Option<Break> {
    verify_anchored(
        ok(rows),
        Anchors {
            checkpoints: &f.checkpoints,
            remembered: None,
            required: true,
            cuts: std::slice::from_ref(cut),
        },
        &f.signer.verifying_key(),
    )
    .unwrap()
    .first_break
}

#[test]
fn an_archive_verifies_alone_and_the_log_continues_from_its_cut() {
    let f = fixture();
    assert_eq!((f.cut.from_seq, f.cut.to_seq, f.cut.entries), (1, 60, 60));
    assert_eq!(f.cut.head_hash, f.log[59].hash);
    let alone = verify_archive(&f.path, None).unwrap();
    assert!(alone.is_intact(), "{alone}");
    assert_eq!((alone.entries, alone.checkpoints), (60, 6));
    assert_eq!(
        alone.audit_key.as_deref(),
        Some(hex::encode(f.signer.verifying_key().to_bytes()).as_str())
    );
    assert_eq!(remaining(&f, &f.log[60..], &f.cut), None);
    // A prune that stopped half-way leaves some archived rows: still intact, anchored by the cut.
    assert_eq!(remaining(&f, &f.log[30..], &f.cut), None);
    // Read back, the entries are the log's.
    let read: Vec<Entry> = vow_audit::archive_entries(&f.path)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(read, f.log[..60]);
    // A second archive links to the first.
    let second = f.path.with_file_name("2025.vowlog");
    let cut2 = write_archive(
        &second,
        ok(&f.log[60..80]),
        f.cut.head_hash,
        &f.checkpoints,
        &f.signer,
    )
    .unwrap()
    .unwrap();
    assert_eq!((cut2.from_seq, cut2.prev_hash), (61, f.cut.head_hash));
    assert!(verify_archive(&second, None).unwrap().is_intact());
    assert_eq!(remaining(&f, &f.log[80..], &cut2), None);
}

#[test]
fn an_archive_is_never_written_over_nor_made_of_a_broken_run() {
    let f = fixture();
    let again = write_archive(&f.path, ok(&f.log[..60]), GENESIS, &[], &f.signer).unwrap();
    assert!(again.is_err(), "an existing archive is never replaced");
    let mut broken = f.log[..20].to_vec();
    broken[7].key_id = "key_edited".into();
    let other = f.path.with_file_name("broken.vowlog");
    match write_archive(&other, ok(&broken), GENESIS, &[], &f.signer).unwrap() {
        Err(vow_audit::ArchiveError::Broken(Break::HashMismatch { seq: 8 })) => {}
        other => panic!("{other:?}"),
    }
    assert!(
        !other.exists(),
        "nothing is left where the archive would go"
    );
    assert!(std::fs::read_dir(f.path.parent().unwrap())
        .unwrap()
        .all(|e| !e.unwrap().file_name().to_string_lossy().contains("partial")));
    // A log rewritten wholesale (hashes recomputed) holds together, but its signed checkpoints
    // do not: it is refused, not sealed.
    let mut rewritten: Vec<Entry> = Vec::new();
    for e in &f.log[..60] {
        let mut new = new_entry(e.seq - 1);
        new.source = "10.9.9.9".into();
        rewritten.push(chain(rewritten.last(), new));
    }
    match write_archive(&other, ok(&rewritten), GENESIS, &f.checkpoints, &f.signer).unwrap() {
        Err(vow_audit::ArchiveError::Broken(Break::CheckpointHashMismatch { seq: 10 })) => {}
        other => panic!("{other:?}"),
    }
    assert!(!other.exists());
    // A checkpoint no key of ours signed is not ours: left out, not a reason to refuse.
    let stranger = AuditSigner::generate();
    let foreign: Vec<Checkpoint> = rewritten.iter().map(|e| checkpoint(e, &stranger)).collect();
    let sealed = write_archive(&other, ok(&f.log[..60]), GENESIS, &foreign, &f.signer)
        .unwrap()
        .unwrap();
    assert_eq!(sealed.to_seq, 60);
    assert_eq!(verify_archive(&other, None).unwrap().checkpoints, 0);
}

#[test]
fn every_edit_of_an_archive_is_found_and_located() {
    let f = fixture();
    let original = lines(&f.path);

    // An entry edited in place.
    let mut edited = original.clone();
    edited[9] = edited[9].replace("\"key_id\":\"key_0\"", "\"key_id\":\"key_x\"");
    assert_ne!(edited[9], original[9]);
    rewrite(&f.path, &edited);
    assert_eq!(archive_break(&f), Some(Break::HashMismatch { seq: 10 }));

    // An entry removed; two swapped.
    let mut dropped = original.clone();
    dropped.remove(20);
    rewrite(&f.path, &dropped);
    assert_eq!(
        archive_break(&f),
        Some(Break::SeqGap {
            expected: 21,
            found: 22
        })
    );
    let mut swapped = original.clone();
    swapped.swap(30, 31);
    rewrite(&f.path, &swapped);
    assert_eq!(
        archive_break(&f),
        Some(Break::SeqGap {
            expected: 31,
            found: 32
        })
    );

    // The last entries cut off, with the seal kept: the seal no longer agrees.
    let mut shortened = original.clone();
    shortened.drain(55..60);
    rewrite(&f.path, &shortened);
    assert_eq!(
        archive_break(&f),
        Some(Break::ArchiveSealMismatch { seq: 60 })
    );

    // Rewritten wholesale with recomputed hashes: the seal's head is another.
    let mut rewritten: Vec<Entry> = Vec::new();
    for e in &f.log[..60] {
        let mut new = new_entry(e.seq - 1);
        new.key_id = "key_forged".into();
        rewritten.push(chain(rewritten.last(), new));
    }
    let mut forged = original.clone();
    for (i, e) in rewritten.iter().enumerate() {
        forged[i] = serde_json::json!({ "entry": e }).to_string();
    }
    rewrite(&f.path, &forged);
    assert_eq!(
        archive_break(&f),
        Some(Break::ArchiveSealMismatch { seq: 60 })
    );

    // The seal removed (cut short); sealed again by another key.
    let mut unsealed = original.clone();
    unsealed.pop();
    rewrite(&f.path, &unsealed);
    assert_eq!(archive_break(&f), Some(Break::ArchiveUnsealed { seq: 60 }));
    let stranger = AuditSigner::generate();
    let other = f.path.with_file_name("stranger.vowlog");
    write_archive(&other, ok(&f.log[..60]), GENESIS, &[], &stranger)
        .unwrap()
        .unwrap();
    let by_stranger = verify_archive(&other, Some(&f.signer.verifying_key())).unwrap();
    assert_eq!(
        by_stranger.first_break,
        Some(Break::BadSignature { seq: 60 })
    );

    // A line appended after the seal, and a torn last line, are refused outright.
    let mut appended = original.clone();
    appended.push(original[0].clone());
    rewrite(&f.path, &appended);
    assert!(verify_archive(&f.path, None).is_err());
    std::fs::write(&f.path, original.join("\n")).unwrap();
    assert!(verify_archive(&f.path, None).is_err());

    // Untouched, it holds.
    rewrite(&f.path, &original);
    assert_eq!(archive_break(&f), None);
}

#[test]
fn the_log_left_behind_must_continue_exactly_where_the_cut_ends() {
    let f = fixture();
    let rest = &f.log[60..];
    // The first entry after the cut removed, or more.
    assert_eq!(
        remaining(&f, &rest[1..], &f.cut),
        Some(Break::SeqGap {
            expected: 61,
            found: 62
        })
    );
    // The first entry after the cut re-linked to something else.
    let mut relinked = rest.to_vec();
    relinked[0].prev_hash = [7; 32];
    relinked[0].hash = relinked[0].compute_hash();
    assert_eq!(
        remaining(&f, &relinked, &f.cut),
        Some(Break::CutMismatch { seq: 60 })
    );
    // Rows up to the cut left by an interrupted prune, one of them edited with its hash redone and
    // the chain after it rebuilt: the cut's signed head no longer matches.
    let mut rebuilt: Vec<Entry> = f.log[..50].to_vec();
    for e in &f.log[50..] {
        let mut new = new_entry(e.seq - 1);
        if e.seq == 55 {
            new.reason = Some("rewritten".into());
        }
        rebuilt.push(chain(rebuilt.last(), new));
    }
    assert_eq!(
        remaining(&f, &rebuilt[50..], &f.cut),
        Some(Break::CutMismatch { seq: 60 })
    );
    // A cut whose signature does not hold (its head changed to fit a forged log).
    let mut forged_cut = f.cut.clone();
    forged_cut.head_hash = [9; 32];
    assert_eq!(
        remaining(&f, rest, &forged_cut),
        Some(Break::BadSignature { seq: 60 })
    );
    // The log cut off at the cut itself (nothing after it).
    assert_eq!(
        remaining(&f, &[], &f.cut),
        Some(Break::CutMismatch { seq: 60 })
    );
    // Without the cut, a log that starts at 61 is a log with its start removed.
    let without = verify_anchored(
        ok(rest),
        Anchors {
            checkpoints: &f.checkpoints,
            remembered: None,
            required: true,
            cuts: &[],
        },
        &f.signer.verifying_key(),
    )
    .unwrap();
    assert_eq!(
        without.first_break,
        Some(Break::SeqGap {
            expected: 1,
            found: 61
        })
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any sequence of archives (each up to some later entry) and interrupted prunes (any
        /// number of rows left before the newest cut) verifies on both sides; and any single
        /// edit of a row left in the database, or of a line in any archive, is found.
        #[test]
        fn archives_and_prunes_in_any_order_verify_and_any_edit_is_found(
            cuts in proptest::collection::vec(1usize..30, 1..4),
            left in 0usize..10,
            edit_db in any::<prop::sample::Index>(),
            edit_archive in any::<prop::sample::Index>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let signer = AuditSigner::generate();
            let log = build(120);
            let checkpoints: Vec<Checkpoint> = log
                .iter()
                .filter(|e| e.seq.is_multiple_of(7))
                .map(|e| checkpoint(e, &signer))
                .collect();
            // Archive successive runs of the given lengths.
            let mut from = 0usize;
            let mut prev = GENESIS;
            let mut sealed: Vec<(std::path::PathBuf, Cut)> = Vec::new();
            for (n, length) in cuts.iter().enumerate() {
                let to = (from + length).min(log.len() - 1);
                if to <= from {
                    break;
                }
                let path = dir.path().join(format!("{n}.vowlog"));
                let cut = write_archive(&path, ok(&log[from..to]), prev, &checkpoints, &signer)
                    .unwrap()
                    .unwrap();
                prop_assert_eq!(cut.from_seq as usize, from + 1);
                prop_assert_eq!(cut.to_seq as usize, to);
                prev = cut.head_hash;
                from = to;
                sealed.push((path, cut));
            }
            let newest = sealed.last().unwrap().1.clone();
            // The prune stopped with `left` archived rows still there.
            let start = (newest.to_seq as usize).saturating_sub(left);
            let rows = &log[start..];
            let verify_rows = |rows: &[Entry]| {
                verify_anchored(
                    ok(rows),
                    Anchors {
                        checkpoints: &checkpoints,
                        remembered: None,
                        required: true,
                        cuts: std::slice::from_ref(&newest),
                    },
                    &signer.verifying_key(),
                )
                .unwrap()
                .first_break
            };
            prop_assert_eq!(verify_rows(rows), None);
            for (path, _) in &sealed {
                let v = verify_archive(path, Some(&signer.verifying_key())).unwrap();
                prop_assert!(v.is_intact(), "{}", v);
            }
            // One row left in the database, edited.
            let mut edited = rows.to_vec();
            let k = edit_db.index(edited.len());
            edited[k].source = "203.0.113.9".into();
            prop_assert!(verify_rows(&edited).is_some(), "an edit of row {} went unnoticed", edited[k].seq);
            // One line of one archive, edited.
            let (path, _) = &sealed[edit_archive.index(sealed.len())];
            let mut lines: Vec<String> = std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let entries = lines.iter().filter(|l| l.starts_with("{\"entry\"")).count();
            let line = edit_archive.index(entries);
            lines[line] = lines[line].replace("10.0.0.1", "10.0.0.2");
            std::fs::write(path, lines.join("\n") + "\n").unwrap();
            let v = verify_archive(path, Some(&signer.verifying_key())).unwrap();
            prop_assert!(!v.is_intact(), "an edit of archived line {} went unnoticed", line + 1);
        }
    }
}
