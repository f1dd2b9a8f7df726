//! `vow init` writes a starter that checks clean, and never overwrites a file unless told to.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn vow(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vow"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn init_writes_a_policy_that_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["init"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("vow-policy.toml")).unwrap();
    assert_eq!(written, vow_policy::STARTER_POLICY);
    let check = vow(&["policy", "check", "vow-policy.toml"], dir.path());
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn init_refuses_to_overwrite_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "# my own policy\n").unwrap();
    let out = vow(&["init", "mine.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# my own policy\n");
}

#[test]
fn init_force_replaces_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "# my own policy\n").unwrap();
    let out = vow(&["init", "mine.toml", "--force"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        vow_policy::STARTER_POLICY
    );
}

#[test]
fn init_into_a_missing_directory_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["init", "no/such/dir/p.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot create no/such/dir/p.toml"),
        "{stderr}"
    );
}

#[test]
fn init_help_explains_the_default_path_and_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = vow(&["init", "--help"], dir.path());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("vow-policy.toml"), "{help}");
    assert!(help.contains("--force"), "{help}");
    assert!(help.contains("Examples:"), "{help}");
}

#[test]
fn init_ai_and_eu_write_starters_that_check_clean() {
    for flags in [&["--ai"][..], &["--eu"], &["--ai", "--eu"]] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["init"];
        args.extend_from_slice(flags);
        let out = vow(&args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{flags:?}");
        let written = std::fs::read_to_string(dir.path().join("vow-policy.toml")).unwrap();
        let expected = vow_policy::starter(vow_policy::StarterOptions {
            ai: flags.contains(&"--ai"),
            eu: flags.contains(&"--eu"),
        });
        assert_eq!(written, expected, "{flags:?}");
        assert_ne!(written, vow_policy::STARTER_POLICY, "{flags:?}");
        let check = vow(&["policy", "check", "vow-policy.toml"], dir.path());
        let report = String::from_utf8_lossy(&check.stdout);
        assert_eq!(check.status.code(), Some(0), "{flags:?}: {report}");
        assert!(
            report.contains("0 error(s), 0 finding(s), 0 waived"),
            "{report}"
        );
    }
}

#[test]
fn the_plain_starter_has_a_role_for_rights_requests_and_separated_storage() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(vow(&["init"], dir.path()).status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("vow-policy.toml")).unwrap();
    let policy = vow_policy::parse(written.as_bytes(), "vow-policy.toml").unwrap();
    let officer = policy.roles.iter().find(|r| r.requests).unwrap();
    assert!(officer.separated, "{}", officer.key);
}
