//! `vow scan` and `vow redact` run as a user runs them: the real binary on real files.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn vow(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const CHAT: &str = "고객: 제 번호는 010-1234-5678이고 주민번호는 901231-1234563이에요.\n상담원: 메일 kim@example.com 확인했습니다. 주문번호 2023-11-25, 금액 12,000원.\n";

#[test]
fn scan_exits_one_and_shows_counts_with_masked_examples_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    let out = vow(&["scan", "chat.txt"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(report.contains("chat.txt: 3 finding(s)"), "{report}");
    assert!(report.contains("010-****-5678"), "{report}");
    assert!(report.contains("901231-1******"), "{report}");
    assert!(
        !report.contains("1234563") && !report.contains("kim@"),
        "{report}"
    );
}

#[test]
fn scan_of_clean_files_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clean.md"),
        "# 릴리스 노트\n버전 1.2.3, 2023-11-25 12:30:45, 1,234원\n",
    )
    .unwrap();
    let out = vow(&["scan", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn scan_fail_at_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // A resident number issued after October 2020: valid date, random last digits, scored below 0.9.
    std::fs::write(dir.path().join("a.txt"), "번호 901231-1234567\n").unwrap();
    assert_eq!(vow(&["scan", "a.txt"], dir.path()).status.code(), Some(1));
    assert_eq!(
        vow(&["scan", "a.txt", "--fail-at", "0.9"], dir.path())
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn scan_json_gives_byte_offsets_lines_and_masked_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    let out = vow(&["scan", "chat.txt", "--format", "json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    let email = findings.iter().find(|f| f["entity"] == "EMAIL").unwrap();
    let (s, e) = (
        email["start"].as_u64().unwrap() as usize,
        email["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&CHAT.as_bytes()[s..e], b"kim@example.com");
    assert_eq!(email["line"], 2);
    assert_eq!(email["masked"], "k**@example.com");
    assert_eq!(doc["failed"], true);
    assert!(!stdout(&out).contains("kim@example.com"));
}

#[test]
fn scan_walks_directories_skipping_hidden_ones_and_binary_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs/2025")).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("logs/2025/a.txt"), "010-1234-5678\n").unwrap();
    std::fs::write(dir.path().join("logs/b.csv"), "email\nkim@example.com\n").unwrap();
    std::fs::write(dir.path().join(".git/c.txt"), "010-9999-8888\n").unwrap();
    std::fs::write(
        dir.path().join("logs/blob.bin"),
        b"\x00\x01\x02 010-1234-5678",
    )
    .unwrap();
    let out = vow(&["scan", "."], dir.path());
    let report = stdout(&out);
    assert!(report.contains("a.txt: 1 finding(s)"), "{report}");
    assert!(report.contains("b.csv: 1 finding(s)"), "{report}");
    assert!(
        report.contains("column 1 \"email\": personal data"),
        "{report}"
    );
    assert!(report.contains("blob.bin: skipped (binary)"), "{report}");
    assert!(!report.contains("c.txt"), "{report}");
}

#[test]
fn redact_writes_a_masked_copy_and_a_summary_without_clear_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    let out = vow(&["redact", "chat.txt", "-o", "safe.txt"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let safe = std::fs::read_to_string(dir.path().join("safe.txt")).unwrap();
    assert_eq!(
        safe,
        CHAT.replace("010-1234-5678", "010-****-5678")
            .replace("901231-1234563", "901231-1******")
            .replace("kim@example.com", "k**@example.com")
    );
    let summary = stderr(&out);
    assert!(
        summary.contains("KR_RRN") && !summary.contains("1234563"),
        "{summary}"
    );
}

#[test]
fn redact_reads_csv_by_extension_and_keeps_quoting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("u.csv"),
        "name,phone,memo\n김철수,010-1111-2222,\"a, 901231-1234563\"\n",
    )
    .unwrap();
    let out = vow(
        &["redact", "u.csv", "-o", "o.csv", "--operator", "replace"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("o.csv")).unwrap(),
        // The `name` column holds people's names (PERSON, issue 14).
        "name,phone,memo\n<PERSON>,<KR_PHONE>,\"a, <KR_RRN>\"\n"
    );
}

#[test]
fn redact_streams_standard_input_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vow"))
        .args([
            "redact",
            "-",
            "-o",
            "-",
            "--operator",
            "replace",
            "--summary",
            "none",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"call 010-1234-5678\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "call <KR_PHONE>\n");
}

#[test]
fn encrypted_copy_decrypts_back_to_the_original() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    std::fs::write(
        dir.path().join("vow.key"),
        "5f2b0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c\n",
    )
    .unwrap();
    let enc = vow(
        &[
            "redact",
            "chat.txt",
            "-o",
            "enc.txt",
            "--operator",
            "encrypt",
            "--key-file",
            "vow.key",
        ],
        dir.path(),
    );
    assert_eq!(enc.status.code(), Some(0), "{}", stderr(&enc));
    let text = std::fs::read_to_string(dir.path().join("enc.txt")).unwrap();
    assert!(
        text.contains("<ENC:KR_PHONE:") && !text.contains("5678"),
        "{text}"
    );
    let dec = vow(
        &[
            "redact",
            "enc.txt",
            "-o",
            "back.txt",
            "--decrypt",
            "--key-file",
            "vow.key",
        ],
        dir.path(),
    );
    assert_eq!(dec.status.code(), Some(0), "{}", stderr(&dec));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("back.txt")).unwrap(),
        CHAT
    );
}

#[test]
fn pseudonyms_are_consistent_across_files_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vow.key"), "x".repeat(40)).unwrap();
    std::fs::write(dir.path().join("a.txt"), "kim 010-1234-5678\n").unwrap();
    std::fs::write(
        dir.path().join("b.jsonl"),
        "{\"phone\": \"010-1234-5678\"}\n",
    )
    .unwrap();
    for (i, o) in [("a.txt", "a.out"), ("b.jsonl", "b.out.jsonl")] {
        let out = vow(
            &[
                "redact",
                i,
                "-o",
                o,
                "--operator",
                "pseudonymize",
                "--key-file",
                "vow.key",
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let a = std::fs::read_to_string(dir.path().join("a.out")).unwrap();
    let fake = a.trim_start_matches("kim ").trim_end().to_owned();
    assert!(fake.starts_with("010-") && fake != "010-1234-5678", "{a}");
    let b = std::fs::read_to_string(dir.path().join("b.out.jsonl")).unwrap();
    assert_eq!(b, format!("{{\"phone\": \"{fake}\"}}\n"));
}

#[test]
fn failed_run_leaves_no_output_file_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "a,b\n1,\"never closed 010-1234-5678\n",
    )
    .unwrap();
    let out = vow(&["redact", "bad.csv", "-o", "out.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("never closed"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("010-1234-5678"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("bad.csv")]);
}

#[test]
fn failed_run_keeps_a_previous_output_intact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), "{\"a\": [1, 2}").unwrap();
    std::fs::write(dir.path().join("out.json"), "previous").unwrap();
    let out = vow(&["redact", "bad.json", "-o", "out.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid JSON at line 1, byte 11"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.json")).unwrap(),
        "previous"
    );
}

#[test]
fn keyed_operator_without_a_key_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "x").unwrap();
    let out = vow(
        &["redact", "a.txt", "-o", "b.txt", "--operator", "EMAIL=hash"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--key-file"), "{}", stderr(&out));
    assert!(!dir.path().join("b.txt").exists());
}

#[test]
fn unknown_operator_or_kind_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "x").unwrap();
    let out = vow(
        &[
            "redact",
            "a.txt",
            "-o",
            "b.txt",
            "--operator",
            "PHONE_NO=mask",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("KR_PHONE"), "{}", stderr(&out));
    let out = vow(
        &["redact", "a.txt", "-o", "b.txt", "--operator", "shred"],
        dir.path(),
    );
    assert!(stderr(&out).contains("pseudonymize"), "{}", stderr(&out));
}

#[test]
fn redact_refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), CHAT).unwrap();
    let out = vow(&["redact", "a.txt", "-o", "a.txt"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        CHAT
    );
}

#[test]
fn scan_reads_standard_input_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(["scan", "-", "--format", "json"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(CHAT.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["path"], "-");
    assert_eq!(file["counts"]["KR_PHONE"], 1);
    assert_eq!(file["counts"]["KR_RRN"], 1);
    assert!(!stdout(&out).contains("010-1234-5678"));
}

#[test]
fn redact_output_pipes_into_scan_which_finds_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    let mut redact = Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(["redact", "chat.txt", "-o", "-", "--summary", "none"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(["scan", "-"])
        .current_dir(dir.path())
        .stdin(redact.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(redact.wait().unwrap().success());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 finding(s)"), "{}", stdout(&out));
}

#[test]
fn pre_commit_hook_runs_vow_scan_on_staged_files() {
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(hooks.contains("- id: vow-scan"));
    assert!(hooks.contains("entry: vow scan --fail-at 0.9"));
}

#[test]
fn scan_refuses_resident_numbers_born_after_today() {
    let dir = tempfile::tempdir().unwrap();
    // A Korean EAN-13 barcode reads as someone born in 2088; a real number born in 1990 is found.
    std::fs::write(
        dir.path().join("codes.txt"),
        "상품 8801234567893\n주민번호 901231-1234563\n",
    )
    .unwrap();
    let out = vow(&["scan", "codes.txt", "--format", "json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", stdout(&out));
    assert_eq!(findings[0]["entity"], "KR_RRN");
    assert_eq!(findings[0]["line"], 2);
}
