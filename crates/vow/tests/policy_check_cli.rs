//! `vow policy check` run as a user runs it: the real binary on real files.
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

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn clean_policy_exits_zero_and_says_ok() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), STARTER_POLICY).unwrap();
    let out = vow(&["policy", "check", "p.toml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "p.toml: ok: 0 error(s), 0 finding(s), 0 waived\n"
    );
}

#[test]
fn lint_findings_exit_one_and_name_the_rule_and_the_law() {
    let dir = tempfile::tempdir().unwrap();
    let text = STARTER_POLICY.replace("deadline_days = 10", "deadline_days = 30");
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    let out = vow(&["policy", "check", "p.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(report.contains("error[rights-deadline]: requests must be answered within 10 days; the policy says 30 days"), "{report}");
    assert!(report.contains("law: PIPA 시행령 제41조④"), "{report}");
    assert!(report.contains("p.toml:"), "{report}");
}

#[test]
fn syntax_error_exits_two_with_position_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    let text = STARTER_POLICY.replace("title = \"CPO\"", "titel = \"CPO\"");
    let line = text.lines().position(|l| l.starts_with("titel")).unwrap() + 1;
    std::fs::write(dir.path().join("p.toml"), &text).unwrap();
    let out = vow(&["policy", "check", "p.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let report = stdout(&out);
    assert!(report.contains(&format!("--> p.toml:{line}:1")), "{report}");
    assert!(report.contains("did you mean `title`?"), "{report}");
    assert!(report.contains("^^^^^"), "{report}");
}

#[test]
fn missing_file_exits_two_and_says_it_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["policy", "check", "nope.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("cannot read the file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fifty_megabyte_file_exits_two_with_the_size_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("huge.toml")).unwrap();
    file.set_len(50_000_000).unwrap();
    let out = vow(&["policy", "check", "huge.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("policy file is 50.0 MB; the limit is 5.0 MB"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_format_prints_one_document_with_stable_fields() {
    let dir = tempfile::tempdir().unwrap();
    let text = STARTER_POLICY.replace("deadline_days = 10", "deadline_days = 30");
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    let out = vow(
        &["policy", "check", "p.toml", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["file"], "p.toml");
    assert_eq!(json["findings"][0]["rule"], "rights-deadline");
    assert_eq!(json["findings"][0]["severity"], "error");
    assert!(json["findings"][0]["waived"].is_null());
    assert!(json["findings"][0]["reference"]
        .as_str()
        .unwrap()
        .starts_with("PIPA"));
    assert_eq!(json["summary"]["findings"], 1);
    assert_eq!(json["summary"]["status"], "findings");
}

#[test]
fn json_format_reports_invalid_files_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), [0xff, 0xfe, b'\n']).unwrap();
    let out = vow(
        &["policy", "check", "p.toml", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not UTF-8"));
    assert_eq!(json["errors"][0]["location"]["line"], 1);
}

#[test]
fn check_help_lists_examples_exit_codes_and_every_rule_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["policy", "check", "--help"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(help.contains("[[waiver]]"), "{help}");
    for rule in vow_policy::RULES {
        assert!(help.contains(rule.id), "help lacks {}", rule.id);
    }
    assert!(help.contains("--format"), "{help}");
    assert!(help.contains("[default: text]"), "{help}");
}

/// The first draft of a new policy, as a person writes it before reading the reference: tables present,
/// most fields missing, one misspelt, one of the wrong type.
const FIRST_DRAFT: &str = "\
[policy]
format = 1
service = \"챗봇\"

[controller]
email = \"privacy@example.com\"

[officer]
nmae = \"홍길동\"

[[overseas_transfer]]
recipient = \"openai\"
categories = \"user.content.chat\"
";

#[test]
fn a_first_draft_gets_every_missing_field_in_one_run_each_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new.toml"), FIRST_DRAFT).unwrap();
    let out = vow(&["policy", "check", "new.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let report = stdout(&out);
    for (line, message) in [
        (1, "[policy]: missing field `version`"),
        (1, "[policy]: missing field `effective`"),
        (5, "[controller]: missing field `name`"),
        (8, "[officer]: missing field `name`"),
        (9, "[officer]: unknown field `nmae`"),
        (11, "missing field `country`"),
        (11, "missing field `when_and_how`"),
        (11, "missing field `purpose`"),
        (11, "missing field `retention`"),
        (11, "missing field `refusal`"),
        (
            13,
            "invalid type: string \"user.content.chat\", expected a sequence",
        ),
    ] {
        let at = report
            .find(message)
            .unwrap_or_else(|| panic!("no {message:?} in:\n{report}"));
        let located = &report[at..];
        assert!(
            located.contains(&format!("--> new.toml:{line}:")),
            "{message} is not at line {line}:\n{report}"
        );
    }
    assert!(report.contains("did you mean `name`?"), "{report}");
    assert!(
        report.contains("new.toml: invalid: 11 error(s), 0 finding(s), 0 waived"),
        "{report}"
    );
    // The JSON report lists the same errors, each with its line.
    let out = vow(
        &["policy", "check", "new.toml", "--format", "json"],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 11);
    assert!(errors.iter().all(|e| e["location"]["line"].is_u64()));
}
