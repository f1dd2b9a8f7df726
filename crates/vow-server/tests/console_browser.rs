//! The console in a real browser (headless Chromium through ChromeDriver): a privacy officer walks
//! enrolment, sign-in with TOTP and a request from the API to its completion with the keyboard alone,
//! with JavaScript on and off; axe-core finds no WCAG 2.1 A/AA violation on any page, in Korean and
//! English, at 1280 and 390 px; screenshots of every page are left in `target/tmp/console/`.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::time::Duration;

use common::{start, Backend, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;
use vow_engine::Caller;
use webdriver::{Browser, Focused, ENTER};

const PASSWORD: &str = "correct horse 42";

fn code(secret: &vow_crypto::TotpSecret, steps_ahead: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    format!("{:06}", secret.code_at_step(now / 30 + steps_ahead))
}

/// The text of the element with this id in a page's source.
fn text_of_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap().to_string()
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
    panic!("waited in vain for {what}; at {}", browser.url().await);
}

async fn file_request(server: &Server) -> String {
    let subject = server
        .subject(&format!("ext-{}", &vow_crypto::new_api_secret()[4..14]))
        .await;
    let (status, request) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({
                "subject": subject, "type": "access", "jurisdiction": "eu",
                "verification": {"method": "logged_in_session"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    request["id"].as_str().unwrap().to_string()
}

fn is_field(id: &'static str) -> impl Fn(&Focused) -> bool {
    move |f| f.id == id
}

async fn keyboard_walk(javascript: bool) {
    let Some(server) = start(Backend::Sqlite, None).await else {
        return;
    };
    let Some(browser) = Browser::start(javascript, 1280, 900).await else {
        return;
    };
    assert_eq!(
        browser.page_scripts_run().await,
        javascript,
        "the browser runs pages' scripts exactly when asked to"
    );

    // Enrolment, from the link `vow users add` prints.
    let new = server
        .vault
        .add_console_user(
            &Caller::operator(None),
            "officer@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    browser
        .goto(&format!(
            "{}/console/enrol/{}",
            server.base,
            new.token.as_str()
        ))
        .await;
    let page = browser.source().await;
    assert!(page.contains("<svg"), "the QR code");
    let secret = vow_crypto::TotpSecret::from_base32(&text_of_id(&page, "totp-key")).unwrap();
    browser
        .tab_to("the password", 10, is_field("password"))
        .await;
    browser.keys(PASSWORD).await;
    browser
        .tab_to("the password again", 3, is_field("password2"))
        .await;
    browser.keys(PASSWORD).await;
    browser.tab_to("the code", 10, is_field("code")).await;
    browser.keys(&code(&secret, 0)).await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the sign-in page", |url, _| {
        url.contains("/console/login")
    })
    .await;

    // Sign-in with the second factor.
    browser.tab_to("the e-mail", 10, is_field("email")).await;
    browser.keys("officer@example.com").await;
    browser
        .tab_to("the password", 3, is_field("password"))
        .await;
    browser.keys(PASSWORD).await;
    browser.tab_to("the code", 3, is_field("code")).await;
    // Enrolment checked a code but spent no step: the current one signs in.
    browser.keys(&code(&secret, 0)).await;
    browser.keys(ENTER).await;
    wait_for(&browser, "Today", |url, _| url.ends_with("/console/")).await;

    // A request filed through the API is in the queue with its due date.
    let id = file_request(&server).await;
    browser.goto(&format!("{}/console/", server.base)).await;
    browser
        .tab_to("the Requests menu", 20, |f| {
            f.href.ends_with("/console/requests")
        })
        .await;
    browser.keys(ENTER).await;
    let queue = wait_for(&browser, "the queue", |url, _| {
        url.ends_with("/console/requests")
    })
    .await;
    let request = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    let due = time::OffsetDateTime::from_unix_timestamp(request.due_ms / 1000)
        .unwrap()
        .to_offset(time::macros::offset!(+9));
    let due = format!(
        "{:04}-{:02}-{:02}",
        due.year(),
        u8::from(due.month()),
        due.day()
    );
    assert!(queue.contains(&due), "the due date {due} is in the queue");
    browser
        .tab_to("the request", 40, |f| {
            f.href.contains(&format!("/requests/{id}"))
        })
        .await;
    browser.keys(ENTER).await;
    wait_for(&browser, "the request's page", |url, _| url.ends_with(&id)).await;

    // Extended, with a reason …
    browser
        .tab_to("the extension's reason", 40, is_field("extend-reason"))
        .await;
    browser.keys("내보낼 자료가 많아 연장합니다").await;
    let button = browser
        .tab_to("the extend button", 3, |f| f.tag == "button")
        .await;
    assert!(button.text.contains("연장"), "{button}");
    browser.keys(ENTER).await;
    wait_for(&browser, "the extension", |_, source| {
        source.contains("role=\"status\"")
    })
    .await;
    let extended = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    assert_eq!(extended.state, "extended");
    assert_eq!(
        extended.detail.extension_reason.as_deref(),
        Some("내보낼 자료가 많아 연장합니다")
    );

    // … then completed.
    let complete = browser
        .tab_to("the complete button", 40, |f| {
            f.tag == "button" && f.text.contains("완료")
        })
        .await;
    assert!(complete.text.contains("완료"), "{complete}");
    browser.keys(ENTER).await;
    wait_for(&browser, "the completion", |_, source| {
        source.contains("role=\"status\"")
    })
    .await;
    let done = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    assert_eq!(done.state, "completed");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_walks_enrolment_sign_in_and_a_request_with_the_keyboard_alone() {
    keyboard_walk(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_walk_works_with_javascript_off() {
    keyboard_walk(false).await;
}

/// Signs a person in through the vault and hands the browser their session cookie.
async fn session_for(server: &Server, browser: &Browser, email: &str, role: &str) {
    let new = server
        .vault
        .add_console_user(&Caller::operator(None), email, role)
        .await
        .unwrap();
    let pending = server.vault.pending_enrolment(&new.token).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let totp = pending.totp;
    let at = |ahead: i64| format!("{:06}", totp.code_at_step(now / 30 + ahead));
    server
        .vault
        .complete_enrolment(&new.token, PASSWORD, &at(0))
        .await
        .unwrap();
    let signed = server
        .vault
        .console_sign_in(email, PASSWORD, &at(0), "127.0.0.1")
        .await
        .unwrap();
    browser
        .goto(&format!("{}/console/login", server.base))
        .await;
    browser.add_cookie("vow_console", &signed.token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_korean_and_english_at_desktop_and_phone_width() {
    let Some(server) = start(Backend::Sqlite, None).await else {
        return;
    };
    let Some(browser) = Browser::start(true, 1280, 900).await else {
        return;
    };
    let id = file_request(&server).await;
    let subject = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap()
        .subject;
    let (status, _) = server
        .json(
            Method::PUT,
            &format!("/v1/subjects/{subject}/items/user.contact.phone"),
            &server.keys.service,
            Some(json!({"value": "010-1234-5678"})),
        )
        .await;
    assert!(status.is_success());
    let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console");
    let enrol = server
        .vault
        .add_console_user(&Caller::operator(None), "new@example.com", "support")
        .await
        .unwrap();
    let mut pages: Vec<(String, String)> = vec![
        ("login".into(), "/login".into()),
        ("enrol".into(), format!("/enrol/{}", enrol.token.as_str())),
    ];
    let signed_in: Vec<(String, String)> = vec![
        ("today".into(), "/".into()),
        ("requests".into(), "/requests".into()),
        ("request".into(), format!("/requests/{id}")),
        ("notice".into(), format!("/requests/{id}/notice")),
        ("subject".into(), format!("/subjects/{subject}")),
        ("consent".into(), "/consent".into()),
        ("retention".into(), "/retention".into()),
        ("ledger".into(), "/retention/ledger".into()),
        ("review".into(), "/review".into()),
        ("provisions".into(), "/provisions".into()),
        ("policy".into(), "/policy".into()),
    ];
    let mut failures = Vec::new();
    for (signed, list) in [(false, &mut pages), (true, &mut signed_in.clone())] {
        if signed {
            session_for(&server, &browser, "officer@example.com", "privacy_officer").await;
        }
        for (name, path) in list.iter() {
            for (lang, base) in [("ko", "/console"), ("en", "/console/en")] {
                for width in [1280, 390] {
                    browser.set_window(width, 900).await;
                    browser.goto(&format!("{}{base}{path}", server.base)).await;
                    let source = browser.source().await;
                    assert!(
                        source.contains(&format!("<html lang=\"{lang}\"")),
                        "{name} {lang}: {source}"
                    );
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
            }
        }
    }
    // The access-rights page, as an administrator.
    session_for(&server, &browser, "admin@example.com", "admin").await;
    for (lang, base) in [("ko", "/console"), ("en", "/console/en")] {
        for width in [1280, 390] {
            browser.set_window(width, 900).await;
            browser.goto(&format!("{}{base}/access", server.base)).await;
            browser
                .screenshot(&shots.join(format!("access-{lang}-{width}.png")))
                .await;
            for v in browser.axe().await {
                failures.push(format!(
                    "access {lang} {width}px: {} ({}) {} at {:?}",
                    v.id, v.impact, v.help, v.targets
                ));
            }
            if width == 390 {
                let wide = browser.too_wide().await;
                if !wide.is_empty() {
                    failures.push(format!(
                        "access {lang} 390px: the page scrolls sideways: {wide:?}"
                    ));
                }
            }
        }
    }
    browser.quit().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_catch_a_page_that_fails_them() {
    let Some(browser) = Browser::start(true, 390, 900).await else {
        return;
    };
    browser
        .goto("data:text/html,<html><body><img src=x><input><div style='width:2000px'>wide</div></body></html>")
        .await;
    let found: Vec<String> = browser.axe().await.into_iter().map(|v| v.id).collect();
    for rule in ["html-has-lang", "image-alt", "label"] {
        assert!(found.iter().any(|f| f == rule), "{rule} not in {found:?}");
    }
    assert!(!browser.fits_width().await);
    browser.quit().await;
}
