//! `vow policy publish` end to end: the real binary writes the site, and headless Chromium reads it — each
//! version's page, each change page, the notices, English without Korean, no sentence twice, axe-core with
//! no serious or critical violation, no horizontal scroll at 375 px, screenshots and a printed PDF.
//!
//! Browser tests skip when Chromium is not installed, unless VOW_REQUIRE_BROWSER is set (CI sets it).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vow() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vow"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies")
        .join(name)
}

/// Where the screenshots and the PDF are kept after the run, to be looked at.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("policy_publish");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ------------------------------------------------------------------------------------------------------
// The policies: imagesfactory now, and two earlier versions
// ------------------------------------------------------------------------------------------------------

/// imagesfactory as published on 2025-11-23, announced 32 days before.
fn current_text() -> String {
    std::fs::read_to_string(example("imagesfactory.toml"))
        .unwrap()
        .replacen(
            "effective = 2025-11-23",
            "announced = 2025-10-22\neffective = 2025-11-23",
            1,
        )
}

/// The version before: generated images kept 30 days instead of 90.
fn v2_text() -> String {
    current_text()
        .replacen("version = \"2025-11-23\"", "version = \"2025-08-01\"", 1)
        .replacen("announced = 2025-10-22", "announced = 2025-06-25", 1)
        .replacen("effective = 2025-11-23", "effective = 2025-08-01", 1)
        .replacen("period = \"90d\"", "period = \"30d\"", 1)
}

/// The first: also without the SendGrid processor.
fn v1_text() -> String {
    let text = v2_text()
        .replacen("version = \"2025-08-01\"", "version = \"2025-03-01\"", 1)
        .replacen("announced = 2025-06-25", "announced = 2025-01-20", 1)
        .replacen("effective = 2025-08-01", "effective = 2025-03-01", 1);
    let start = text.find("[[processor]]\nkey = \"sendgrid\"").unwrap();
    let end = start + text[start..].find("\n\n").unwrap() + 2;
    format!("{}{}", &text[..start], &text[end..])
}

/// Writes the three versions into `dir` and publishes them to `dir/site` as of `as_of`.
fn publish_imagesfactory(dir: &Path, as_of: &str) -> PathBuf {
    let history = dir.join("history");
    std::fs::create_dir_all(&history).unwrap();
    std::fs::write(history.join("2025-03-01.toml"), v1_text()).unwrap();
    std::fs::write(history.join("2025-08-01.toml"), v2_text()).unwrap();
    let file = dir.join("imagesfactory.toml");
    std::fs::write(&file, current_text()).unwrap();
    let site = dir.join("site");
    let output = vow()
        .args(["policy", "publish"])
        .arg(&file)
        .arg("--history")
        .arg(&history)
        .arg("--out")
        .arg(&site)
        .args(["--as-of", as_of])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    site
}

// ------------------------------------------------------------------------------------------------------
// The browser
// ------------------------------------------------------------------------------------------------------

/// The Chromium binary, or `None` after printing why the test is skipped (a failure when it is required).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| which(b));
    if found.is_none() {
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
    }
    found
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Runs headless Chromium on a local page with `extra` arguments; the sandbox has no network, and the
/// pages must not need one.
fn browse(chromium: &str, page: &Path, width: u32, extra: &[String]) -> Output {
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
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--window-size={width},900"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium on {}: {}",
        page.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The DOM Chromium built from a page.
fn dom(chromium: &str, page: &Path) -> String {
    let output = browse(chromium, page, 1280, &["--dump-dom".to_string()]);
    String::from_utf8(output.stdout).unwrap()
}

/// What the probe script measures in the page, at a given window width.
#[derive(Debug)]
struct Probe {
    inner_width: u64,
    scroll_width: u64,
    /// Text with Hangul outside elements marked lang="ko" and outside quoted legal labels such as "(광고)".
    hangul: Vec<String>,
    /// Sentences that appear twice within one section (paragraphs and list items).
    repeated: Vec<String>,
    /// axe-core violations: (id, impact, help, first targets).
    violations: Vec<(String, String, String, String)>,
}

impl Probe {
    fn serious_violations(&self) -> Vec<&(String, String, String, String)> {
        self.violations
            .iter()
            .filter(|v| v.1 == "serious" || v.1 == "critical")
            .collect()
    }
}

const PROBE_SCRIPT: &str = r#"
<script src="AXE"></script>
<script>
(async () => {
  const out = {};
  out.innerWidth = window.innerWidth;
  out.scrollWidth = document.documentElement.scrollWidth;
  const hangul = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;
  out.hangul = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('[lang="ko"]') || el.closest('script')) continue;
    const text = node.textContent.replace(/"\([^)"]*\)"/g, '');
    if (hangul.test(text)) out.hangul.push(node.textContent.trim().slice(0, 120));
  }
  // The same rule as vow_policy::render::sentences_of: split after . ? ! before white space; a sentence
  // ends so and has at least 12 characters.
  const sentences = (text) => {
    const pieces = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if ('.?!'.includes(text[i]) && i + 1 < text.length && /\s/.test(text[i + 1])) {
        pieces.push(text.slice(start, i + 1).trim());
        start = i + 1;
      }
    }
    pieces.push(text.slice(start).trim());
    return pieces.filter(p => /[.?!]$/.test(p) && [...p].length >= 12).map(p => p.split(/\s+/).join(' '));
  };
  out.repeated = [];
  for (const section of document.querySelectorAll('section')) {
    const seen = new Set();
    for (const el of section.querySelectorAll('p, li')) {
      for (const s of sentences(el.textContent)) {
        if (seen.has(s)) out.repeated.push((section.id || section.getAttribute('aria-labelledby')) + ': ' + s);
        seen.add(s);
      }
    }
  }
  const result = await axe.run(document, { resultTypes: ['violations'] });
  out.violations = result.violations.map(v => [v.id, v.impact || '', v.help, v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')]);
  parent.postMessage(JSON.stringify(out), '*');
})().catch(e => parent.postMessage(JSON.stringify({ error: String(e) }), '*'));
</script>
"#;

/// A page beside `page` that shows it in a frame `width` pixels wide. Headless Chromium lays a window out
/// at least 500 px wide whatever --window-size says, so a phone's width is given to the page by a frame.
fn framed(page: &Path, width: u32, height: u32) -> PathBuf {
    let frame = page.with_file_name(format!(
        "{}.frame{width}.html",
        page.file_stem().unwrap().to_str().unwrap()
    ));
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>frame</title></head>
<body style="margin:0"><iframe title="page" src="{}" style="width:{width}px;height:{height}px;border:0;display:block"></iframe>
<script>window.addEventListener('message', e => {{ const pre = document.createElement('pre'); pre.id = 'vow-probe'; pre.textContent = e.data; document.body.appendChild(pre); }});</script>
</body></html>"#,
        page.file_name().unwrap().to_str().unwrap()
    );
    std::fs::write(&frame, html).unwrap();
    frame
}

/// Loads a copy of `page` (beside it, so its links resolve the same) with axe-core and the probe script
/// added, in a frame `width` pixels wide, and reads back what the script found.
fn probe(chromium: &str, page: &Path, width: u32) -> Probe {
    let axe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/assets/axe.min.js");
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("</body>"), "{}", page.display());
    let script = PROBE_SCRIPT.replace("AXE", &format!("file://{}", axe.display()));
    let copy = page.with_file_name(format!(
        "{}.probe.html",
        page.file_stem().unwrap().to_str().unwrap()
    ));
    std::fs::write(
        &copy,
        html.replacen("</body>", &format!("{script}</body>"), 1),
    )
    .unwrap();
    let frame = framed(&copy, width, 900);
    let output = browse(
        chromium,
        &frame,
        1400,
        &[
            "--allow-file-access-from-files".to_string(),
            "--virtual-time-budget=60000".to_string(),
            "--dump-dom".to_string(),
        ],
    );
    std::fs::remove_file(&copy).unwrap();
    std::fs::remove_file(&frame).unwrap();
    let dom = String::from_utf8(output.stdout).unwrap();
    let start = dom
        .find("<pre id=\"vow-probe\">")
        .unwrap_or_else(|| panic!("the probe did not finish on {}", page.display()))
        + "<pre id=\"vow-probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(value.get("error").is_none(), "{}: {value}", page.display());
    let strings = |key: &str| -> Vec<String> {
        value[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    Probe {
        inner_width: value["innerWidth"].as_u64().unwrap(),
        scroll_width: value["scrollWidth"].as_u64().unwrap(),
        hangul: strings("hangul"),
        repeated: strings("repeated"),
        violations: value["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let s = |i: usize| v[i].as_str().unwrap_or_default().to_string();
                (s(0), s(1), s(2), s(3))
            })
            .collect(),
    }
}

/// Every page reads at phone width without sideways scrolling and has no serious accessibility problem.
#[track_caller]
fn assert_phone_width_and_accessible(chromium: &str, page: &Path) -> Probe {
    let probe = probe(chromium, page, 375);
    assert_eq!(
        probe.inner_width,
        375,
        "{}: the window is a phone's",
        page.display()
    );
    assert!(
        probe.scroll_width <= probe.inner_width,
        "{}: {} px wide at 375 px: the page scrolls sideways",
        page.display(),
        probe.scroll_width
    );
    assert!(
        probe.serious_violations().is_empty(),
        "{}: axe-core: {:#?}",
        page.display(),
        probe.serious_violations()
    );
    assert!(
        probe.repeated.is_empty(),
        "{}: {:#?}",
        page.display(),
        probe.repeated
    );
    probe
}

/// The width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

// ------------------------------------------------------------------------------------------------------
// The tests
// ------------------------------------------------------------------------------------------------------

#[test]
fn imagesfactory_with_two_earlier_versions_reads_right_in_a_real_browser() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let site = publish_imagesfactory(dir.path(), "2025-12-01");

    // Each version's page, at its own stable URL, says which version it is and where it stands.
    for (version, status) in [
        (
            "2025-03-01",
            "An earlier version, in force from 2025-03-01 to 2025-07-31.",
        ),
        (
            "2025-08-01",
            "An earlier version, in force from 2025-08-01 to 2025-11-22.",
        ),
        (
            "2025-11-23",
            "This is the version in force, since 2025-11-23.",
        ),
    ] {
        let page = dom(chromium, &site.join(format!("versions/{version}/en.html")));
        assert!(page.contains(&format!("Version {version}")), "{version}");
        assert!(page.contains(status), "{version}: {status}");
        let ko = dom(chromium, &site.join(format!("versions/{version}/ko.html")));
        assert!(ko.contains(&format!("버전 {version}")), "{version}");
    }
    // SendGrid is in the processors of the later versions only.
    let v1 = dom(chromium, &site.join("versions/2025-03-01/en.html"));
    let v2 = dom(chromium, &site.join("versions/2025-08-01/en.html"));
    assert!(!v1.contains("SendGrid") && v2.contains("SendGrid"));

    // Each change page names its change and calls it material, with the dates.
    let first = dom(chromium, &site.join("changes/2025-08-01/en.html"));
    assert!(
        first.contains("<td data-label=\"Change\">new processor: SendGrid (Sending e-mail)</td><td data-label=\"Kind\">material</td>"),
        "{first}"
    );
    assert!(first.contains("Announced: 2025-06-25") && first.contains("Takes effect: 2025-08-01"));
    let second = dom(chromium, &site.join("changes/2025-11-23/en.html"));
    assert!(
        second.contains("retention lengthened: Generated images (stored in Google Cloud Storage) — 30 days → 90 days</td><td data-label=\"Kind\">material</td>"),
        "{second}"
    );
    let second_ko = dom(chromium, &site.join("changes/2025-11-23/ko.html"));
    assert!(
        second_ko.contains("보유 기간 연장: 생성된 이미지"),
        "{second_ko}"
    );
    assert!(second_ko.contains(">중요</td>"));

    // The notice, as the change page shows it and as the text file holds it, with the right dates.
    assert!(second_ko.contains("[공지] imagesfactory 개인정보 처리방침 개정 안내"));
    let notice = std::fs::read_to_string(site.join("changes/2025-11-23/notice.ko.txt")).unwrap();
    for line in [
        "공고일: 2025-10-22",
        "시행일: 2025-11-23",
        "현행 방침(버전 2025-08-01)은 2025-11-22까지 적용됩니다.",
    ] {
        assert!(notice.contains(line), "{line}\n{notice}");
        assert!(second_ko.contains(line), "{line}");
    }
    let email = std::fs::read_to_string(site.join("changes/2025-08-01/email.en.txt")).unwrap();
    assert!(email.starts_with(
        "Subject: [imagesfactory] Changes to our privacy policy (effective 2025-08-01)"
    ));
    assert!(email.contains("Announced: 2025-06-25\nTakes effect: 2025-08-01\n"));

    // The history lists all three, newest first.
    let history = dom(chromium, &site.join("history/en.html"));
    let at = |v: &str| history.find(&format!("Version {v}</a>")).unwrap();
    assert!(at("2025-11-23") < at("2025-08-01") && at("2025-08-01") < at("2025-03-01"));

    // Every kind of page: readable at 375 px, no serious accessibility violation, no sentence twice.
    for page in [
        "index.html",
        "en.html",
        "history/ko.html",
        "history/en.html",
        "versions/2025-03-01/ko.html",
        "changes/2025-11-23/ko.html",
        "changes/2025-11-23/en.html",
    ] {
        assert_phone_width_and_accessible(chromium, &site.join(page));
    }

    // Screenshots at phone and desktop width, and the page printed to PDF, kept to be looked at.
    let out = artifacts();
    for (width, page, name) in [
        (375, "index.html", "imagesfactory-ko-375.png"),
        (1280, "index.html", "imagesfactory-ko-1280.png"),
        (
            375,
            "changes/2025-11-23/en.html",
            "imagesfactory-change-en-375.png",
        ),
        (1280, "en.html", "imagesfactory-en-1280.png"),
    ] {
        let shot = out.join(name);
        let _ = std::fs::remove_file(&shot);
        // The window is as wide as the frame, so the screenshot is exactly the page at that width.
        let frame = framed(&site.join(page), width, 2400);
        let profile = tempfile::tempdir().unwrap();
        let status = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .args([
                "--force-device-scale-factor=1",
                "--allow-file-access-from-files",
            ])
            .arg(format!("--window-size={width},2400"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", frame.display()))
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        std::fs::remove_file(&frame).unwrap();
        let (w, h) = png_size(&std::fs::read(&shot).unwrap());
        assert_eq!(w, width, "{name}");
        assert!(h > 0);
        eprintln!("screenshot: {}", shot.display());
    }
    let pdf = out.join("imagesfactory-ko.pdf");
    let _ = std::fs::remove_file(&pdf);
    browse(
        chromium,
        &site.join("index.html"),
        1280,
        &[
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&bytes);
    // A4 is 595 × 842 points; one page per section makes many pages.
    assert!(
        text.contains("/MediaBox [0 0 594.9") && text.contains(" 841.9"),
        "A4"
    );
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 10, "{pages} pages: a page per section");
    eprintln!("pdf: {} ({pages} pages)", pdf.display());
}

#[test]
fn a_version_announced_for_later_is_published_as_announced_with_the_current_one_in_force() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let site = publish_imagesfactory(dir.path(), "2025-11-01");
    let index = dom(chromium, &site.join("en.html"));
    assert!(
        index.contains("Version 2025-08-01"),
        "the root shows the version in force"
    );
    assert!(index.contains(
        "A new version, 2025-11-23, was announced on 2025-10-22 and takes effect on 2025-11-23; this one applies until 2025-11-22."
    ));
    let upcoming = dom(chromium, &site.join("versions/2025-11-23/ko.html"));
    assert!(upcoming.contains(
        "2025-10-22에 공고된 새 버전으로, 2025-11-23부터 시행됩니다. 그 전까지는 버전 2025-08-01이(가) 적용됩니다."
    ));
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("versions.json")).unwrap())
            .unwrap();
    assert_eq!(index[2]["status"], "announced");
}

#[test]
fn english_pages_of_every_example_and_the_starter_have_no_korean_and_no_repeated_sentence() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let starter = dir.path().join("starter.toml");
    std::fs::write(&starter, vow_policy::STARTER_POLICY).unwrap();
    let mut files: Vec<PathBuf> = [
        "ai-character-generator.toml",
        "aimex.toml",
        "aimos.toml",
        "imagesfactory.toml",
        "talk-with-me.toml",
    ]
    .into_iter()
    .map(example)
    .collect();
    files.push(starter);
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_string();
        let site = dir.path().join(format!("site-{name}"));
        let status = vow()
            .args(["policy", "publish"])
            .arg(&file)
            .arg("--out")
            .arg(&site)
            .args(["--as-of", "2026-01-01"])
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        let en = assert_phone_width_and_accessible(chromium, &site.join("en.html"));
        assert!(
            en.hangul.is_empty(),
            "{name}: Korean in the English page: {:#?}",
            en.hangul
        );
        let history = probe(chromium, &site.join("history/en.html"), 1280);
        assert!(history.hangul.is_empty(), "{name}: {:#?}", history.hangul);
        assert_phone_width_and_accessible(chromium, &site.join("index.html"));
    }
}

// ------------------------------------------------------------------------------------------------------
// Bad input: a clear error naming the file, and nothing written
// ------------------------------------------------------------------------------------------------------

fn run(args: &[&std::ffi::OsStr]) -> Output {
    vow()
        .args(["policy", "publish"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_policy_with_findings_that_are_not_waived_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    let text = vow_policy::STARTER_POLICY.replacen(
        "name = { ko = \"개인정보보호팀\", en = \"Privacy team\" }",
        "name = \"개인정보보호팀\"",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("site");
    let output = run(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("translation-missing"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not waived"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary directory left"
    );
}

#[test]
fn a_missing_empty_or_malformed_history_is_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, current_text()).unwrap();
    let out = dir.path().join("site");

    let missing = dir.path().join("no-such-history");
    let output = run(&[
        file.as_os_str(),
        "--history".as_ref(),
        missing.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-history"), "{stderr}");

    let empty = dir.path().join("empty-history");
    std::fs::create_dir(&empty).unwrap();
    let output = run(&[
        file.as_os_str(),
        "--history".as_ref(),
        empty.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("empty-history") && stderr.contains("no policy files"),
        "{stderr}"
    );

    let broken = dir.path().join("broken-history");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("2025-01-01.toml"),
        "[policy]\nformat = 1\nversion = \"1\"\neffective = 2025-02-30\n",
    )
    .unwrap();
    let output = run(&[
        file.as_os_str(),
        "--history".as_ref(),
        broken.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2025-01-01.toml") && stderr.contains("2025-02-30"),
        "{stderr}"
    );

    let newer = dir.path().join("newer-history");
    std::fs::create_dir(&newer).unwrap();
    std::fs::write(
        newer.join("later.toml"),
        current_text()
            .replacen("version = \"2025-11-23\"", "version = \"2026\"", 1)
            .replacen("effective = 2025-11-23", "effective = 2026-01-01", 1),
    )
    .unwrap();
    let output = run(&[
        file.as_os_str(),
        "--history".as_ref(),
        newer.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("later.toml") && stderr.contains("earlier versions only"),
        "{stderr}"
    );

    assert!(!out.exists(), "nothing was written");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".vow-publish"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn publishing_again_replaces_the_site_whole_but_never_a_directory_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, current_text()).unwrap();
    let out = dir.path().join("site");
    for _ in 0..2 {
        let output = run(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(out.join("versions/2025-11-23/ko.html").is_file());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "the policy and the site, nothing else: {names:?}"
    );

    let precious = dir.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), "mine").unwrap();
    let output = run(&[file.as_os_str(), "--out".as_ref(), precious.as_os_str()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("not a site written by vow policy publish"));
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn earlier_versions_come_from_the_files_git_history() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args([
                "-c",
                "user.name=Privacy Officer",
                "-c",
                "user.email=privacy@example.com",
            ])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let file = dir.path().join("vow-policy.toml");
    // A work in progress between two versions is committed too; it is not a published version.
    for (text, message) in [
        (v1_text(), "v1"),
        ("[policy]\nformat = 1\n".to_string(), "wip"),
        (v2_text(), "v2"),
        (current_text(), "current"),
    ] {
        std::fs::write(&file, text).unwrap();
        git(&["add", "vow-policy.toml"]);
        git(&["commit", "-q", "-m", message]);
    }
    let out = dir.path().join("site");
    let output = run(&[
        file.as_os_str(),
        "--git-history".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--as-of".as_ref(),
        "2025-12-01".as_ref(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a valid policy file"));
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("versions.json")).unwrap()).unwrap();
    let versions: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2025-03-01", "2025-08-01", "2025-11-23"]);
    assert!(out.join("changes/2025-08-01/notice.ko.txt").is_file());

    let outside = tempfile::tempdir().unwrap();
    let lone = outside.path().join("policy.toml");
    std::fs::write(&lone, current_text()).unwrap();
    let output = run(&[
        lone.as_os_str(),
        "--git-history".as_ref(),
        "--out".as_ref(),
        outside.path().join("site").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not in a git repository"));
}

/// The checks above can fail: on a page with an image without text and a block wider than a phone, the
/// probe reports both.
#[test]
fn the_browser_checks_catch_a_page_that_scrolls_sideways_and_an_image_without_text() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bad</title></head><body><main>\
         <h1>Bad</h1><section id=\"s\"><p>This sentence is said twice.</p><p>This sentence is said twice.</p>\
         <p>보이는 한국어</p></section><img src=\"x.png\"><div style=\"width:600px\">wide</div></main></body></html>",
    )
    .unwrap();
    let probe = probe(chromium, &page, 375);
    assert_eq!(probe.inner_width, 375);
    assert!(probe.scroll_width > 375, "{probe:?}");
    assert!(
        probe
            .serious_violations()
            .iter()
            .any(|v| v.0 == "image-alt"),
        "{probe:?}"
    );
    assert_eq!(probe.repeated, ["s: This sentence is said twice."]);
    assert_eq!(probe.hangul, ["보이는 한국어"]);
}

#[test]
fn a_notice_given_too_late_is_a_warning_for_the_service_not_a_sentence_on_the_public_page() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    std::fs::create_dir(&history).unwrap();
    std::fs::write(history.join("v2.toml"), v2_text()).unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        current_text().replacen("announced = 2025-10-22", "announced = 2025-11-20", 1),
    )
    .unwrap();
    let out = dir.path().join("site");
    let output = run(&[
        file.as_os_str(),
        "--history".as_ref(),
        history.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("27 days short"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(out.join("changes/2025-11-23/en.html")).unwrap();
    assert!(page.contains("Announced: 2025-11-20"));
    assert!(
        !page.contains("days ahead") && !page.contains("short"),
        "{page}"
    );
}
