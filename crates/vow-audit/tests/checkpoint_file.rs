#![allow(clippy::unwrap_used)]

use vow_audit::{chain, checkpoint, Action, AuditError, Checkpoint, CheckpointFile, NewEntry};
use vow_crypto::AuditSigner;

fn cps(n: u64) -> Vec<Checkpoint> {
    let s = AuditSigner::generate();
    let mut prev = None;
    let mut out = vec![];
    for i in 0..n {
        let e = chain(
            prev.as_ref(),
            NewEntry {
                at_ms: 1_764_000_000_000 + i as i64,
                key_id: "k".into(),
                role: "r".into(),
                source: "127.0.0.1".into(),
                subject_id: None,
                action: Action::Read,
                categories: vec![],
                reason: None,
            },
        );
        out.push(checkpoint(&e, &s));
        prev = Some(e);
    }
    out
}

#[test]
fn appended_checkpoints_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    let list = cps(3);
    for cp in &list {
        CheckpointFile::append(&path, cp).unwrap();
    }
    assert_eq!(CheckpointFile::read_all(&path).unwrap(), list);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|l| l.starts_with("{\"seq\":")));
}

#[test]
fn missing_checkpoint_file_reads_as_no_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    assert!(CheckpointFile::read_all(&dir.path().join("none.jsonl"))
        .unwrap()
        .is_empty());
}

#[test]
fn torn_last_line_is_reported_with_its_line_number_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    let list = cps(2);
    CheckpointFile::append(&path, &list[0]).unwrap();
    let second = serde_json::to_string(&list[1]).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&second[..second.len() / 2]);
    std::fs::write(&path, &text).unwrap();

    let err = CheckpointFile::read_all(&path).unwrap_err();
    assert!(
        matches!(err, AuditError::TornCheckpoint { line: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("incomplete"), "{err}");
}

#[test]
fn append_after_a_torn_line_is_refused_until_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    let list = cps(3);
    CheckpointFile::append(&path, &list[0]).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"seq\":2,\"ha");
    std::fs::write(&path, &text).unwrap();

    assert!(matches!(
        CheckpointFile::append(&path, &list[2]),
        Err(AuditError::TornCheckpoint { .. })
    ));
    assert!(CheckpointFile::repair_torn_tail(&path).unwrap());
    assert!(!CheckpointFile::repair_torn_tail(&path).unwrap());
    CheckpointFile::append(&path, &list[2]).unwrap();
    assert_eq!(
        CheckpointFile::read_all(&path).unwrap(),
        vec![list[0].clone(), list[2].clone()]
    );
}

#[test]
fn garbage_line_in_the_middle_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    let list = cps(2);
    let a = serde_json::to_string(&list[0]).unwrap();
    let b = serde_json::to_string(&list[1]).unwrap();
    std::fs::write(&path, format!("{a}\nnot json\n{b}\n")).unwrap();
    let err = CheckpointFile::read_all(&path).unwrap_err();
    assert!(
        matches!(err, AuditError::CheckpointLine { line: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn checkpoint_json_uses_hex_for_hash_and_signature() {
    let cp = &cps(1)[0];
    let v: serde_json::Value = serde_json::to_value(cp).unwrap();
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
    assert_eq!(v["signature"].as_str().unwrap().len(), 128);
}

mod arbitrary {
    use proptest::prelude::*;
    use vow_audit::CheckpointFile;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn arbitrary_checkpoint_file_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            let _ = CheckpointFile::read_all(&path);
        }
    }
}

#[cfg(unix)]
#[test]
fn a_new_checkpoint_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    CheckpointFile::append(&path, &cps(1)[0]).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// At start-up only the newest valid checkpoint matters, and the file grows by a line a second: it
/// is found from the end, past a torn line, garbage and a checkpoint signed by someone else.
#[test]
fn the_newest_accepted_checkpoint_is_found_from_the_end_of_a_long_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.jsonl");
    let signer = AuditSigner::generate();
    let verifier = signer.verifying_key();
    let mut text = String::new();
    let mut prev = None;
    let mut newest_signed = None;
    // About 3,000 lines, several read blocks' worth.
    for i in 0..3_000u64 {
        let e = chain(
            prev.as_ref(),
            NewEntry {
                at_ms: 1_764_000_000_000 + i as i64,
                key_id: "k".into(),
                role: "r".into(),
                source: "127.0.0.1".into(),
                subject_id: None,
                action: Action::Read,
                categories: vec![],
                reason: None,
            },
        );
        let cp = checkpoint(&e, &signer);
        text.push_str(&serde_json::to_string(&cp).unwrap());
        text.push('\n');
        newest_signed = Some(cp);
        prev = Some(e);
    }
    let foreign = cps(3_001).pop().unwrap();
    text.push_str(&serde_json::to_string(&foreign).unwrap());
    text.push('\n');
    text.push_str("not a checkpoint\n");
    text.push_str(&"x".repeat(100_000));
    text.push('\n');
    text.push_str("{\"seq\": 3002, \"ha");
    std::fs::write(&path, &text).unwrap();

    let found = CheckpointFile::newest(&path, |cp| cp.verify(&verifier)).unwrap();
    assert_eq!(found, newest_signed);
    assert_eq!(
        CheckpointFile::newest(&path, |_| true)
            .unwrap()
            .map(|cp| cp.seq),
        Some(3_001)
    );
    assert_eq!(CheckpointFile::newest(&path, |_| false).unwrap(), None);
    assert_eq!(
        CheckpointFile::newest(&dir.path().join("none.jsonl"), |_| true).unwrap(),
        None
    );

    // The torn tail is cut off reading only the end, and the file keeps every whole line.
    assert!(CheckpointFile::repair_torn_tail(&path).unwrap());
    let repaired = std::fs::read_to_string(&path).unwrap();
    assert_eq!(repaired.len(), text.rfind('\n').unwrap() + 1);
    assert!(!CheckpointFile::repair_torn_tail(&path).unwrap());
}
