//! The command line as a tool among tools, the way ripgrep behaves: a reader that stops early ends
//! vow quietly with success, `vow redact FILE` writes to standard output, colour only on a terminal
//! and never with NO_COLOR, completions and a man page from the same definitions as --help, and a
//! sentence when there is nothing to show. The real binary, real pipes, real files.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::skipped;

const VOW: &str = env!("CARGO_BIN_EXE_vow");
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const OLD_POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/aimex.toml"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs vow with its standard output a pipe whose reader is gone before vow writes a byte, as
/// `vow … | head -0` or a pager quit at once. Returns the exit code and standard error.
fn with_closed_stdout(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(VOW)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the read end: closed now, so every write vow makes fails
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

fn assert_quiet_success(args: &[&str], dir: &Path) {
    let (code, stderr) = with_closed_stdout(args, dir);
    assert_eq!(code, Some(0), "vow {args:?} to a closed pipe: {stderr}");
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("error")
            && !stderr.contains("Broken pipe"),
        "vow {args:?} to a closed pipe said: {stderr}"
    );
}

const CHAT: &str = "고객: 제 번호는 010-1234-5678이고 메일은 kim@example.com이에요.\n";

#[test]
fn a_reader_that_stops_after_one_line_ends_vow_scan_quietly_with_success() {
    let dir = tempfile::tempdir().unwrap();
    // Far more than a pipe holds (64 KiB), so vow is still writing when the reader leaves.
    std::fs::write(dir.path().join("chat.txt"), CHAT.repeat(20_000)).unwrap();
    let mut child = Command::new(VOW)
        .args(["scan", "chat.txt", "--format", "json"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap(); // `| head -1`: one line, then the reader is dropped and the pipe closed
    assert_eq!(first.trim(), "{");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    // Findings would be exit 1; a reader that left is neither a finding nor a failure.
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn every_report_to_a_closed_pipe_ends_quietly_with_success() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    std::fs::write(dir.path().join("clean.txt"), "nothing personal\n").unwrap();
    for args in [
        &["scan", "chat.txt"][..],
        &["scan", "chat.txt", "--format", "json"],
        &["scan", "clean.txt"],
        &["redact", "chat.txt"],
        &["redact", "chat.txt", "-o", "-"],
        &["policy", "check", POLICY],
        &["policy", "check", POLICY, "--format", "json"],
        &["policy", "render", POLICY],
        &["policy", "render", POLICY, "--format", "html"],
        &["policy", "render", POLICY, "--format", "json"],
        &["policy", "diff", OLD_POLICY, POLICY],
        &["completions", "bash"],
        &["man"],
        &["init", "starter.toml"],
        &["--help"],
    ] {
        assert_quiet_success(args, dir.path());
    }
}

fn vault_args(data: &Path) -> Vec<String> {
    vec![
        "--policy".into(),
        POLICY.into(),
        "--data".into(),
        data.display().to_string(),
    ]
}

fn vow_in(args: &[&str], data: &Path) -> Output {
    Command::new(VOW)
        .args(args)
        .args(vault_args(data))
        .output()
        .unwrap()
}

#[test]
fn the_vaults_reports_to_a_closed_pipe_end_quietly_and_an_unseen_key_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = vow_in(&["keys", "create", "--role", "service"], &data);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let data_args = vault_args(&data);
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| a.to_string())
            .chain(data_args.iter().cloned())
            .collect()
    };
    for args in [
        with(&["keys", "list"]),
        with(&["keys", "list", "--format", "json"]),
        with(&["audit", "verify"]),
        with(&["audit", "review"]),
        with(&["audit", "review", "--format", "csv"]),
        with(&["sweep", "--dry-run"]),
        with(&["sweep", "ledger"]),
        with(&["sweep", "ledger", "--format", "csv"]),
        with(&["requests"]),
        with(&["consent", "notices"]),
        with(&["consent", "due", "--format", "csv"]),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_quiet_success(&args, dir.path());
    }

    // A key whose secret nobody could read is not a quiet success: it is revoked, and vow says so.
    let args = with(&["keys", "create", "--role", "support", "--label", "unseen"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stderr) = with_closed_stdout(&args, dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("revoked"), "{stderr}");
    let list = vow_in(&["keys", "list", "--format", "json"], &data);
    let keys: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let unseen = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == "unseen")
        .unwrap_or_else(|| panic!("{keys}"));
    assert!(!unseen["revoked_ms"].is_null(), "{unseen}");
}

#[test]
fn vow_redact_without_o_writes_the_copy_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), CHAT).unwrap();
    let out = Command::new(VOW)
        .args(["redact", "chat.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let copy = text(&out.stdout);
    assert!(copy.contains("010-****-5678"), "{copy}");
    assert!(
        !copy.contains("1234-5678") && !copy.contains("kim@"),
        "{copy}"
    );
    // The summary stays on standard error, out of the copy's way.
    assert!(
        text(&out.stderr).contains("chat.txt"),
        "{}",
        text(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "redact wrote a file: {files:?}");
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions_as_help() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(VOW).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = run(&["completions", shell]);
        // Fish writes options without their dashes (`-l fail-at`).
        for word in [
            "scan",
            "redact",
            "fail-at",
            "checkpoint-copy",
            "completions",
        ] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let refused = Command::new(VOW)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("bash"),
        "{}",
        text(&refused.stderr)
    );

    let page = run(&["man"]);
    assert!(page.contains(".TH vow 1"), "{page}");
    assert!(page.contains("vow\\-scan(1)"), "{page}");
    let pages = dir.path().join("man1");
    run(&["man", "--dir", pages.to_str().unwrap()]);
    let scan = std::fs::read_to_string(pages.join("vow-scan.1")).unwrap();
    assert!(scan.contains("fail\\-at"), "{scan}");
    assert!(pages.join("vow-audit-review.1").exists());
}

#[test]
fn empty_results_are_said_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean.txt"), "nothing personal here\n").unwrap();
    let out = Command::new(VOW)
        .args(["scan", "clean.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("No personal data found in 1 file"),
        "{}",
        text(&out.stdout)
    );

    let data = dir.path().join("data");
    let said = |args: &[&str], sentence: &str| {
        let out = vow_in(args, &data);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains(sentence), "{args:?} said: {stdout}");
    };
    said(&["sweep", "ledger"], "The destruction ledger is empty");
    said(&["keys", "list"], "No API keys yet");
    said(&["requests"], "No open requests");
    said(&["audit", "verify"], "The access log is empty");
    said(
        &["audit", "review", "--month", "2026-01"],
        "No access-log entries in 2026-01",
    );
}

// ---- colour

/// Starts `vow serve` with a checkpoint witness that is down (so the log has a line about it as soon
/// as the first checkpoint is made) and stderr into `log`; returns once the log has that line, or
/// after 20 s.
fn serve_logging_into(data: &Path, log: &Path) -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let witness = format!("http://{}/w", closed.local_addr().unwrap());
    drop(closed);
    let mut child = Command::new(VOW)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--checkpoint-witness",
            &witness,
        ])
        .args(vault_args(data))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20)
        && !std::fs::read_to_string(log)
            .unwrap_or_default()
            .contains("checkpoint")
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    std::fs::read_to_string(log).unwrap()
}

#[test]
fn the_server_log_redirected_to_a_file_holds_no_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let logged = serve_logging_into(&dir.path().join("data"), &log);
    assert!(logged.contains("checkpoint"), "{logged}");
    assert!(
        !logged.contains('\u{1b}'),
        "ANSI codes in a file: {logged:?}"
    );
}

/// Runs `vow serve` on a pseudo-terminal (util-linux `script`) and returns what the terminal showed
/// until the witness's failure was logged.
fn serve_on_a_terminal(data: &Path, env: &[(&str, &str)]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        return None;
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let witness = format!("http://{}/w", closed.local_addr().unwrap());
    drop(closed);
    let command = format!(
        "exec {VOW} serve --listen 127.0.0.1:0 --checkpoint-witness {witness} --policy {POLICY} --data {}",
        data.display()
    );
    let mut child = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    common::collect(child.stdout.take().unwrap(), std::sync::Arc::clone(&seen));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20)
        && !seen.lock().unwrap().contains("checkpoint")
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Closing the terminal hangs up on vow serve.
    let _ = child.kill();
    let _ = child.wait();
    let shown = seen.lock().unwrap().clone();
    Some(shown)
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let Some(coloured) = serve_on_a_terminal(&dir.path().join("a"), &[]) else {
        skipped(
            "colour_on_a_terminal_only_and_never_with_no_color",
            "no `script` (util-linux) to give vow a terminal",
        );
        return;
    };
    assert!(coloured.contains("checkpoint"), "{coloured}");
    assert!(
        coloured.contains('\u{1b}'),
        "no colour on a terminal: {coloured:?}"
    );
    let plain = serve_on_a_terminal(&dir.path().join("b"), &[("NO_COLOR", "1")]).unwrap();
    assert!(plain.contains("checkpoint"), "{plain}");
    assert!(
        !plain.contains('\u{1b}'),
        "colour despite NO_COLOR: {plain:?}"
    );
}
