//! The privacy center in a real browser (headless Chromium through ChromeDriver): a person verifies
//! with the code from the `--mail-dir` e-mail, files an access request in Korean, the officer sees it
//! in the console with its due date and completes it, and the person downloads the answer once; then
//! withdraws a consent and the advertising gate refuses at once — with the keyboard alone, JavaScript
//! on and off. axe-core finds no WCAG 2.1 A/AA violation on any page in Korean and English at 1280
//! and 390 px; screenshots are left in `target/tmp/privacy/`.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::path::Path;
use std::time::Duration;

use common::{put, start_with, Backend, Server, Setup};
use reqwest::Method;
use serde_json::json;
use vow_engine::Caller;
use webdriver::{Browser, ENTER};

const EMAIL: &str = "seoyeon.kim@example.com";
const PASSWORD: &str = "correct horse 42";

async fn server() -> Server {
    start_with(
        Backend::Sqlite,
        None,
        Setup {
            mail_dir: true,
            privacy_limits: Some(vow_server::PrivacyLimits {
                codes_per_address: 1_000,
                codes_per_contact: 1_000,
                tries_per_address: 1_000,
            }),
            ..Setup::default()
        },
    )
    .await
    .unwrap()
}

fn mails(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
}

/// The code in the next e-mail (the body is base64 UTF-8; the code is its only six digits).
async fn next_code(dir: &Path, seen: usize) -> String {
    use base64::Engine as _;
    for _ in 0..200 {
        let files = mails(dir);
        if files.len() > seen {
            let raw = std::fs::read_to_string(files.last().unwrap()).unwrap();
            let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
            let compact: String = body.split_whitespace().collect();
            let text = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map(|b| String::from_utf8(b).unwrap())
                .unwrap_or_else(|_| body.to_string());
            let digits: Vec<char> = text.chars().collect();
            for window in digits.windows(6) {
                if window.iter().all(char::is_ascii_digit) {
                    return window.iter().collect();
                }
            }
            panic!("no code in {text}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no e-mail arrived");
}

async fn wait_for(browser: &Browser, what: &str, done: impl Fn(&str, &str) -> bool) -> String {
    for _ in 0..100 {
        let url = browser.url().await;
        let source = browser.source().await;
        if done(&url, &source) {
            return source;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let source = browser.source().await;
    let main = source.split("<main").nth(1).unwrap_or(&source);
    panic!(
        "waited in vain for {what}; at {}: {main}",
        browser.url().await
    );
}

fn korean_day(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap()
        .to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// A privacy officer's console session in this browser (its cookie lives under /console, beside the
/// person's under /privacy).
async fn officer_session(server: &Server, browser: &Browser) {
    let new = server
        .vault
        .add_console_user(
            &Caller::operator(None),
            "officer@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    let totp = server
        .vault
        .pending_enrolment(&new.token)
        .await
        .unwrap()
        .totp;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code = format!("{:06}", totp.code_at_step(now / 30));
    server
        .vault
        .complete_enrolment(&new.token, PASSWORD, &code)
        .await
        .unwrap();
    let signed = server
        .vault
        .console_sign_in("officer@example.com", PASSWORD, &code, "127.0.0.1")
        .await
        .unwrap();
    browser
        .goto(&format!("{}/console/login", server.base))
        .await;
    browser.add_cookie("vow_console", &signed.token).await;
}

async fn advertising_allowed(server: &Server, subject: &str) -> bool {
    let (_, verdict) = server
        .json(
            Method::POST,
            "/v1/marketing/check",
            &server.keys.service,
            Some(
                json!({"subject": subject, "channel": "email", "at": "2027-01-05T12:00:00+09:00"}),
            ),
        )
        .await;
    verdict["allowed"].as_bool().unwrap()
}

async fn keyboard_walk(javascript: bool) {
    let server = server().await;
    let Some(browser) = Browser::start(javascript, 1280, 900).await else {
        return;
    };
    assert_eq!(browser.page_scripts_run().await, javascript);
    let subject = server.subject("person-1").await;
    put(&server, &subject, "user.contact.email", EMAIL).await;
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{subject}/consents"),
            &server.keys.service,
            Some(
                json!({"purpose": "marketing", "channel": "email", "granted": true,
                        "evidence": {"method": "web_form"}}),
            ),
        )
        .await;
    assert!(status.is_success());
    let mail = server.mail.clone().unwrap();

    // Verification by a code, typed from the e-mail.
    browser.goto(&format!("{}/privacy/", server.base)).await;
    browser
        .tab_to("the request tile", 20, |f| {
            f.href.ends_with("/privacy/requests/new")
        })
        .await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the verification page", |url, _| {
        url.ends_with("/privacy/verify")
    })
    .await;
    browser
        .tab_to("the contact", 20, |f| f.id == "contact")
        .await;
    let seen = mails(&mail).len();
    browser.keys(EMAIL).await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the code page", |_, source| {
        source.contains("name=\"challenge\"")
    })
    .await;
    let code = next_code(&mail, seen).await;
    browser.tab_to("the code", 20, |f| f.id == "code").await;
    browser.keys(&code).await;
    browser.keys(ENTER).await;
    wait_for(&browser, "my requests", |url, _| {
        url.ends_with("/privacy/me")
    })
    .await;

    // An access request, in Korean.
    browser
        .tab_to("the request link", 30, |f| {
            f.href.ends_with("/privacy/requests/new")
        })
        .await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the request form", |url, _| {
        url.ends_with("/requests/new")
    })
    .await;
    let access = browser
        .tab_to("the first right", 30, |f| f.name == "kind")
        .await;
    assert_eq!(access.value, "access", "{access}");
    let file = browser
        .tab_to("the file button", 40, |f| {
            f.tag == "button" && f.text.contains("요구 접수")
        })
        .await;
    assert!(file.text.contains("요구 접수"));
    browser.keys(ENTER).await;
    wait_for(&browser, "the filed request", |_, source| {
        source.contains("role=\"status\"")
    })
    .await;
    let requests = server
        .vault
        .rights_requests(&Caller::operator(None), true)
        .await
        .unwrap();
    let request = requests
        .iter()
        .find(|r| r.subject == subject)
        .unwrap()
        .clone();
    assert_eq!(request.kind, "access");
    assert_eq!(request.detail.verification.method, "email_code");

    // The officer's console shows it with its due date; the officer completes it.
    officer_session(&server, &browser).await;
    browser
        .goto(&format!("{}/console/requests", server.base))
        .await;
    let queue = browser.source().await;
    assert!(
        queue.contains(&request.id),
        "the request is in the console's queue"
    );
    assert!(
        queue.contains(&korean_day(request.due_ms)),
        "with its due date"
    );
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{}", request.id),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert!(status.is_success());

    // The person downloads the answer, once.
    browser
        .goto(&format!("{}/privacy/requests/{}", server.base, request.id))
        .await;
    browser
        .tab_to("the download button", 40, |f| {
            f.tag == "button" && f.text.contains("읽기 쉬운")
        })
        .await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the download link", |_, source| {
        source.contains("package-link")
    })
    .await;
    browser
        .tab_to("the download link", 40, |f| f.id == "package-link")
        .await;
    browser.keys(ENTER).await;
    let package = wait_for(&browser, "the answer", |url, _| {
        url.contains("/download/vpd_")
    })
    .await;
    assert!(
        package.contains(EMAIL),
        "the answer shows the person's own e-mail"
    );
    let link = browser.url().await;
    browser.goto(&link).await;
    let again = browser.source().await;
    assert!(!again.contains(EMAIL), "a second download shows nothing");
    assert!(again.contains("role=\"alert\""));

    // Consent withdrawn in one step; the gate refuses at once.
    assert!(advertising_allowed(&server, &subject).await);
    browser
        .goto(&format!("{}/privacy/consent", server.base))
        .await;
    browser
        .tab_to("the withdraw button", 40, |f| {
            f.tag == "button" && f.text.contains("동의 철회")
        })
        .await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the withdrawal", |_, source| {
        source.contains("role=\"status\"")
    })
    .await;
    assert!(!advertising_allowed(&server, &subject).await);
    browser.quit().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_files_a_request_downloads_the_answer_once_and_withdraws_consent_by_keyboard() {
    keyboard_walk(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_walk_works_with_javascript_off() {
    keyboard_walk(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_korean_and_english_at_desktop_and_phone_width() {
    let server = server().await;
    let Some(browser) = Browser::start(true, 1280, 900).await else {
        return;
    };
    let subject = server.subject("axe-1").await;
    put(&server, &subject, "user.contact.email", EMAIL).await;
    let (_, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": subject, "type": "access",
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    let id = filed["id"].as_str().unwrap().to_string();
    server
        .json(
            Method::POST,
            &format!("/v1/requests/{id}"),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("privacy");
    let mut failures = Vec::new();
    for (lang, base) in [("ko", "/privacy"), ("en", "/privacy/en")] {
        for width in [1280u32, 390] {
            browser.set_window(width, 900).await;
            // Before verification.
            let (_, link) = server
                .json(
                    Method::POST,
                    "/v1/privacy-links",
                    &server.keys.service,
                    Some(json!({"subject": subject, "lang": lang})),
                )
                .await;
            let link = link["path"].as_str().unwrap().to_string();
            let mut pages: Vec<(&str, String)> = vec![
                ("home", format!("{base}/")),
                ("verify", format!("{base}/verify")),
                ("link", link.clone()),
                ("expired", format!("{base}/download/vpd_nothing")),
            ];
            // After: the link's button opens the session.
            pages.push(("me", format!("{base}/me")));
            pages.push(("new-request", format!("{base}/requests/new")));
            pages.push(("request", format!("{base}/requests/{id}")));
            pages.push(("consent", format!("{base}/consent")));
            for (name, path) in pages {
                if name == "me" {
                    browser.goto(&format!("{}{link}", server.base)).await;
                    browser
                        .tab_to("continue", 30, |f| {
                            f.tag == "button"
                                && (f.text.contains("계속") || f.text.contains("Continue"))
                        })
                        .await;
                    browser.keys(ENTER).await;
                    wait_for(
                        &browser,
                        &format!("the session ({lang} {width})"),
                        |url, _| url.ends_with("/me"),
                    )
                    .await;
                }
                browser.goto(&format!("{}{path}", server.base)).await;
                audit(&browser, &shots, name, lang, width, &mut failures).await;
            }
            // The code page and the answer page.
            browser.goto(&format!("{}{base}/verify", server.base)).await;
            browser
                .tab_to("the contact", 20, |f| f.id == "contact")
                .await;
            browser.keys("nobody@example.com").await;
            browser.keys(ENTER).await;
            wait_for(&browser, "the code page", |_, s| {
                s.contains("name=\"challenge\"")
            })
            .await;
            audit(&browser, &shots, "code", lang, width, &mut failures).await;
            browser
                .goto(&format!("{}{base}/requests/{id}", server.base))
                .await;
            browser
                .tab_to("the download button", 40, |f| {
                    f.tag == "button"
                        && (f.text.contains("읽기 쉬운") || f.text.contains("As a page"))
                })
                .await;
            browser.keys(ENTER).await;
            wait_for(&browser, "the link", |_, s| s.contains("package-link")).await;
            audit(&browser, &shots, "package-link", lang, width, &mut failures).await;
            browser
                .tab_to("the link", 40, |f| f.id == "package-link")
                .await;
            browser.keys(ENTER).await;
            wait_for(&browser, "the answer", |url, _| url.contains("/download/")).await;
            audit(&browser, &shots, "answer", lang, width, &mut failures).await;
        }
    }
    browser.quit().await;
    server.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn audit(
    browser: &Browser,
    shots: &Path,
    name: &str,
    lang: &str,
    width: u32,
    failures: &mut Vec<String>,
) {
    let source = browser.source().await;
    if !source.contains(&format!("<html lang=\"{lang}\"")) {
        failures.push(format!("{name} {lang} {width}px: not a {lang} page"));
    }
    browser
        .screenshot(&shots.join(format!("{name}-{lang}-{width}.png")))
        .await;
    for v in browser.axe().await {
        failures.push(format!(
            "{name} {lang} {width}px: {} ({}) {} at {:?}",
            v.id, v.impact, v.help, v.targets
        ));
    }
    if width == 390 {
        let wide = browser.too_wide().await;
        if !wide.is_empty() {
            failures.push(format!(
                "{name} {lang} 390px: the page scrolls sideways: {wide:?}"
            ));
        }
    }
}
