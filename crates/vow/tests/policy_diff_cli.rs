//! `vow policy diff` on real files: changes grouped by section, and the notice check decides the exit code.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use vow_policy::STARTER_POLICY;

fn vow(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

const PROCESSOR: &str =
    "\n[[processor]]\nkey = \"cloud\"\nname = { ko = \"클라우드\", en = \"Cloud Co\" }\n\
task = { ko = \"서버 운영\", en = \"server hosting\" }\ncategories = [\"user.contact.email\"]\n";

/// The starter with new dates and, optionally, a new processor (a material change).
fn new_version(announced: &str, effective: &str, with_processor: bool) -> String {
    let mut text = STARTER_POLICY
        .replace(
            "announced = 2025-01-01",
            &format!("announced = {announced}"),
        )
        .replace(
            "effective = 2025-01-08",
            &format!("effective = {effective}"),
        )
        .replace("version = \"v1\"", "version = \"v2\"");
    if with_processor {
        text.push_str(PROCESSOR);
    }
    text
}

fn setup(new: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.toml"), STARTER_POLICY).unwrap();
    std::fs::write(dir.path().join("new.toml"), new).unwrap();
    dir
}

#[test]
fn material_change_announced_thirty_days_ahead_exits_zero() {
    let dir = setup(&new_version("2025-06-01", "2025-07-01", true));
    let out = vow(&["policy", "diff", "old.toml", "new.toml"], dir.path());
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report.contains("[processor]\n  + material new processor: Cloud Co (server hosting)"),
        "{report}"
    );
    assert!(report.contains("notice ok"), "{report}");
}

#[test]
fn material_change_announced_too_late_exits_one_and_says_by_how_many_days() {
    let dir = setup(&new_version("2025-06-01", "2025-06-08", true));
    let out = vow(&["policy", "diff", "old.toml", "new.toml"], dir.path());
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("notice too short"), "{report}");
    assert!(report.contains("23 days short"), "{report}");
}

#[test]
fn korean_report_describes_changes_in_korean() {
    let dir = setup(&new_version("2025-06-01", "2025-06-08", true));
    let out = vow(
        &["policy", "diff", "old.toml", "new.toml", "--lang", "ko"],
        dir.path(),
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("+ 중요"), "{report}");
    assert!(
        report.contains("처리위탁 추가: 클라우드 (서버 운영)"),
        "{report}"
    );
    assert!(report.contains("23일 부족"), "{report}");
}

#[test]
fn ordinary_change_needs_only_the_ordinary_notice() {
    let text = new_version("2025-06-01", "2025-06-08", false).replace(
        "name = { ko = \"홍길동\", en = \"Hong Gildong\" }",
        "name = { ko = \"김철수\", en = \"Kim Cheolsu\" }",
    );
    let dir = setup(&text);
    let out = vow(
        &["policy", "diff", "old.toml", "new.toml", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["notice"]["required_days"], 7);
    assert_eq!(json["notice"]["given_days"], 7);
    assert_eq!(json["changes"][0]["section"], "officer");
    assert_eq!(json["changes"][0]["material"], false);
}

#[test]
fn invalid_new_file_exits_two_with_its_position() {
    let dir = setup("[policy]\nformat = \"one\"\n");
    let out = vow(&["policy", "diff", "old.toml", "new.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("new.toml:2:10"), "{stderr}");
}

#[test]
fn diff_help_explains_material_changes_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["policy", "diff", "--help"], dir.path());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("material"), "{help}");
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(help.contains("--lang"), "{help}");
}

#[test]
fn the_text_report_says_what_changed_in_labels_and_gives_the_operator_the_key() {
    let text = new_version("2025-06-01", "2025-06-08", false).replace(
        "required = [\"user.contact.email\", \"user.account.password\"]",
        "required = [\"user.account.password\"]\noptional = [\"user.contact.email\"]",
    );
    let dir = setup(&text);
    let out = vow(&["policy", "diff", "old.toml", "new.toml"], dir.path());
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains(
            "~ ordinary collection changed: At sign-up — required items removed: E-mail address; \
             optional items added: E-mail address (`signup`)"
        ),
        "{report}"
    );
}
