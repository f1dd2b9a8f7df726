//! `vow policy render` end to end: the real binary on real files.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

fn vow() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vow"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies")
        .join(name)
}

#[test]
fn render_writes_an_html_page_chosen_by_the_output_extension() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("policy.html");
    let status = vow()
        .args(["policy", "render"])
        .arg(example("imagesfactory.toml"))
        .args(["--lang", "en", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("imagesfactory Privacy Policy"));
    // Only the finished file is left behind: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn render_prints_korean_markdown_by_default() {
    let output = vow()
        .args(["policy", "render"])
        .arg(example("talk-with-me.toml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let md = String::from_utf8(output.stdout).unwrap();
    assert!(
        md.starts_with("# 나와의 대화 개인정보 처리방침"),
        "{}",
        &md[..80.min(md.len())]
    );
    assert!(md.contains("## 목차"));
}

#[test]
fn render_json_parses() {
    let output = vow()
        .args(["policy", "render", "--format", "json"])
        .arg(example("aimos.toml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["service"], "Aimos");
}

#[test]
fn render_refuses_an_invalid_policy_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[policy]\nformat = 1\nservice = \"x\"\nversion = \"1\"\neffective = 2025-02-30\n",
    )
    .unwrap();
    let out = dir.path().join("out.html");
    let output = vow()
        .args(["policy", "render"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("2025-02-30"), "{stdout}");
    assert!(!out.exists());
}

#[test]
fn render_with_a_missing_templates_directory_says_so() {
    let output = vow()
        .args(["policy", "render", "--templates", "/no/such/dir"])
        .arg(example("aimos.toml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/no/such/dir") && stderr.contains("policy.html.j2"),
        "{stderr}"
    );
}

/// Opens the rendered page in headless Chromium and reads back the DOM the browser built: the page parses,
/// keeps its structure, and loads nothing from outside (the sandbox has no network; a request would hang).
#[test]
fn rendered_page_opens_in_a_real_browser() {
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| which(b))
    else {
        assert!(
            std::env::var_os("VOW_REQUIRE_BROWSER").is_none(),
            "VOW_REQUIRE_BROWSER is set but chromium is not installed (apt-get install chromium)"
        );
        // Written past libtest's capture, so `cargo test` shows it even though the test passes.
        use std::io::Write as _;
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test} — chromium is not installed (apt-get install chromium)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("policy.html");
    let status = vow()
        .args(["policy", "render"])
        .arg(example("aimex.toml"))
        .arg("-o")
        .arg(&page)
        .status()
        .unwrap();
    assert!(status.success());
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains(r#"<h2 id="retention">"#),
        "the browser's DOM keeps the sections"
    );
    assert!(
        dom.matches("<table>").count() >= 4,
        "tables for items, retention, processors, remedies"
    );
    assert!(dom.contains("AIMEX"));
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

#[test]
fn a_policy_with_open_findings_renders_as_a_marked_draft_that_shows_its_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let start = vow_policy::STARTER_POLICY.find("[destruction]").unwrap();
    let end = start + vow_policy::STARTER_POLICY[start..].find("\n\n").unwrap();
    let text = format!(
        "{}{}",
        &vow_policy::STARTER_POLICY[..start],
        &vow_policy::STARTER_POLICY[end..]
    );
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, text).unwrap();
    let output = vow()
        .args(["policy", "render", "--lang", "en"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success());
    let md = String::from_utf8(output.stdout).unwrap();
    assert!(md.contains("Draft: not ready to publish."), "{md}");
    assert!(md.contains("No destruction procedure is stated."), "{md}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("draft"));

    // The starter itself has no open findings: the public document, with neither.
    let starter = dir.path().join("starter.toml");
    std::fs::write(&starter, vow_policy::STARTER_POLICY).unwrap();
    let output = vow()
        .args(["policy", "render", "--lang", "en"])
        .arg(&starter)
        .output()
        .unwrap();
    let md = String::from_utf8(output.stdout).unwrap();
    assert!(!md.contains("Draft") && !md.contains("not stated"), "{md}");
}
