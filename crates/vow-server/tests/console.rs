//! The privacy officer's console over real HTTP: enrolment with a TOTP second factor, sign-in, the
//! request queue through a request's life, and the attacks — no page without a session, CSRF, a
//! session fixed before sign-in, a masked role, the lockout, a disabled user, personal values in
//! URLs and error pages.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/forms.rs"]
mod forms;

use common::{start, Backend, Server};
use forms::{Page, Person};
use reqwest::header::SET_COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::json;
use vow_engine::Caller;

/// A person added through the vault (as `vow users add` does), enrolled through the pages, and
/// signed in. Returns them with their TOTP key, for signing in again.
async fn enrolled(server: &Server, email: &str, role: &str) -> (Person, vow_crypto::TotpSecret) {
    let new = server
        .vault
        .add_console_user(&Caller::operator(None), email, role)
        .await
        .unwrap();
    let mut person = Person::new(server);
    let path = format!("/console/enrol/{}", new.token.as_str());
    let page = person.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("<svg"), "the QR code is on the page");
    let secret = vow_crypto::TotpSecret::from_base32(&page.text_of_id("totp-key")).unwrap();
    let code = code_now(&secret, 0);
    let done = person
        .post(
            &path,
            &[
                ("csrf", &page.field("csrf")),
                ("password", "correct horse 42"),
                ("password2", "correct horse 42"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), "/console/login?m=enrolled");
    // The current step's code: a later sign-in then uses the next step's (one code signs in once,
    // and never an older one than the last), which the server takes from now until a step after.
    sign_in(&mut person, email, &secret, 0).await;
    (person, secret)
}

fn code_now(secret: &vow_crypto::TotpSecret, steps_ahead: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    format!("{:06}", secret.code_at_step(now / 30 + steps_ahead))
}

async fn sign_in(
    person: &mut Person,
    email: &str,
    secret: &vow_crypto::TotpSecret,
    steps_ahead: i64,
) -> Page {
    let login = person.get("/console/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let page = person
        .post(
            "/console/login",
            &[
                ("csrf", &login.field("csrf")),
                ("email", email),
                ("password", "correct horse 42"),
                ("code", &code_now(secret, steps_ahead)),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), "/console/");
    page
}

async fn file_request(server: &Server, kind: &str, jurisdiction: &str) -> (String, String) {
    let (status, subject) = server
        .json(
            Method::POST,
            "/v1/subjects",
            &server.keys.service,
            Some(json!({"external_id": format!("ext-{}", rand_suffix()), "kind": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{subject}");
    let subject = subject["id"].as_str().unwrap().to_string();
    let (status, request) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({
                "subject": subject, "type": kind, "jurisdiction": jurisdiction,
                "verification": {"method": "logged_in_session"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    (subject, request["id"].as_str().unwrap().to_string())
}

fn rand_suffix() -> String {
    vow_crypto::new_api_secret()[4..16].to_string()
}

#[tokio::test]
async fn an_officer_enrols_signs_in_and_takes_a_request_through_its_life_on_sqlite() {
    officer_walk(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_officer_enrols_signs_in_and_takes_a_request_through_its_life_on_postgres() {
    officer_walk(Backend::Postgres).await;
}

async fn officer_walk(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let cookie = officer.cookies.get("vow_console").cloned().unwrap();
    assert!(cookie.starts_with("vcs_"));

    let (_, id) = file_request(&server, "access", "eu").await;
    let today = officer.get("/console/").await;
    assert_eq!(today.status, StatusCode::OK, "{}", today.html);
    assert!(today.html.contains("lang=\"ko\""));
    let queue = officer.get("/console/en/requests").await;
    assert!(queue.html.contains("lang=\"en\""));
    assert!(
        queue.html.contains(&format!("/console/en/requests/{id}")),
        "{}",
        queue.html
    );
    let request = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    let due_day = {
        let due = time::OffsetDateTime::from_unix_timestamp(request.due_ms / 1000)
            .unwrap()
            .to_offset(time::macros::offset!(+9));
        format!(
            "{:04}-{:02}-{:02}",
            due.year(),
            u8::from(due.month()),
            due.day()
        )
    };
    assert!(
        queue.html.contains(&due_day),
        "the due date {due_day} is shown"
    );

    let detail = officer.get(&format!("/console/en/requests/{id}")).await;
    let csrf = detail.field("csrf");
    let extended = officer
        .post(
            &format!("/console/en/requests/{id}"),
            &[
                ("csrf", &csrf),
                ("action", "extend"),
                ("reason", "the export is large"),
            ],
        )
        .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.html);
    assert!(extended.html.contains("role=\"status\""));
    let after = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    assert_eq!(after.state, "extended");
    assert!(after.due_ms > request.due_ms);
    let completed = officer
        .post(
            &format!("/console/en/requests/{id}"),
            &[("csrf", &csrf), ("action", "complete")],
        )
        .await;
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.html);
    let done = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    assert_eq!(done.state, "completed");
    let user_id = server
        .vault
        .console_users(&Caller::operator(None))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "officer@example.com")
        .unwrap()
        .id;
    assert_eq!(done.detail.handled_by.as_deref(), Some(user_id.as_str()));
    // The access log has the sign-in and the request's changes under the person, not a shared key.
    let log = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 10_000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.key_id == user_id && e.action == vow_audit::Action::SignIn));
    assert!(log
        .iter()
        .any(|e| e.key_id == user_id && e.action == vow_audit::Action::RightsRequest));
    let notice = officer.get(&format!("/console/requests/{id}/notice")).await;
    assert_eq!(notice.status, StatusCode::OK);
    assert!(notice.html.contains("열람"), "{}", notice.html);

    let csv = officer.get("/console/requests.csv?view=all").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.html.lines().any(|l| l.starts_with(&id)), "{}", csv.html);

    let out = officer.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut replay = Person::new(&server);
    replay.cookies.insert("vow_console".into(), cookie);
    assert_eq!(
        replay.get("/console/").await.status,
        StatusCode::SEE_OTHER,
        "a signed-out session is over"
    );
    server.stop().await;
}

const PAGES: [&str; 13] = [
    "/console/",
    "/console/requests",
    "/console/requests.csv",
    "/console/consent",
    "/console/retention",
    "/console/retention?preview=1",
    "/console/retention/ledger",
    "/console/review",
    "/console/provisions",
    "/console/policy",
    "/console/policy/preview",
    "/console/access",
    "/console/en/access",
];

#[tokio::test]
async fn no_page_without_a_live_session() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (_, id) = file_request(&server, "access", "kr").await;
    let mut stranger = Person::new(&server);
    let detail = format!("/console/requests/{id}");
    for path in PAGES.iter().copied().chain([detail.as_str()]) {
        for cookie in [
            None,
            Some("vcs_forged"),
            Some("vow_admin_key_is_not_a_session"),
        ] {
            stranger.cookies.clear();
            if let Some(cookie) = cookie {
                stranger.cookies.insert("vow_console".into(), cookie.into());
            }
            let page = stranger.get(path).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{path} with {cookie:?}");
            assert!(
                page.location().starts_with("/console"),
                "{path}: {}",
                page.location()
            );
            assert!(
                page.location().contains("/login"),
                "{path}: {}",
                page.location()
            );
            assert!(!page.html.contains(&id));
        }
    }
    // An API key is not a session either.
    let response = server
        .http
        .get(server.url("/console/requests"))
        .bearer_auth(&server.keys.admin)
        .send()
        .await
        .unwrap();
    assert!(
        response.url().path().ends_with("/login"),
        "{}",
        response.url()
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let (_, id) = file_request(&server, "erasure", "kr").await;
    for csrf in ["", "0000", "vcs_"] {
        let page = officer
            .post(
                &format!("/console/requests/{id}"),
                &[("csrf", csrf), ("action", "complete")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
    }
    let page = officer
        .post(&format!("/console/requests/{id}"), &[("action", "start")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let request = server
        .vault
        .rights_request(&Caller::operator(None), &id)
        .await
        .unwrap();
    assert_eq!(request.state, "received", "nothing changed");
    // Another person's token does not do either.
    let (other, _) = enrolled(&server, "second@example.com", "privacy_officer").await;
    let other_csrf = {
        let mut other = other;
        other
            .get(&format!("/console/requests/{id}"))
            .await
            .field("csrf")
    };
    let page = officer
        .post(
            &format!("/console/requests/{id}"),
            &[("csrf", &other_csrf), ("action", "start")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The sign-in form needs its cookie's token too.
    let mut stranger = Person::new(&server);
    let page = stranger
        .post(
            "/console/login",
            &[
                ("csrf", "x"),
                ("email", "officer@example.com"),
                ("password", "p"),
                ("code", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_session_cookie_planted_before_sign_in_is_not_the_one_after_it() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (_, secret) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let mut victim = Person::new(&server);
    let planted = "vcs_attackerchosenvalue0000000000000000000000";
    victim.cookies.insert("vow_console".into(), planted.into());
    sign_in(&mut victim, "officer@example.com", &secret, 1).await;
    let now = victim.cookies.get("vow_console").unwrap().clone();
    assert_ne!(now, planted);
    let mut attacker = Person::new(&server);
    attacker
        .cookies
        .insert("vow_console".into(), planted.into());
    assert_eq!(
        attacker.get("/console/").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(victim.get("/console/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cookies_and_headers_are_strict() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let mut person = Person::new(&server);
    let login = person.get("/console/login").await;
    let csp = login
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!login.html.contains("<script"), "no inline script");
    assert_eq!(login.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(login.headers.get("referrer-policy").unwrap(), "no-referrer");
    let (mut officer, secret) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let _ = &mut officer;
    let mut again = Person::new(&server);
    let answer = sign_in(&mut again, "officer@example.com", &secret, 1).await;
    let cookie = answer
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("vow_console="))
        .unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(part), "{cookie}");
    }
}

#[tokio::test]
async fn a_code_signs_in_once() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (_, secret) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    // `enrolled` signed in with the current step's code; the same code again is refused.
    let mut again = Person::new(&server);
    let login = again.get("/console/login").await;
    let page = again
        .post(
            "/console/login",
            &[
                ("csrf", &login.field("csrf")),
                ("email", "officer@example.com"),
                ("password", "correct horse 42"),
                ("code", &code_now(&secret, 0)),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.html);
    // A fresh code does.
    sign_in(&mut again, "officer@example.com", &secret, 1).await;
}

#[tokio::test]
async fn repeated_failures_lock_out_that_account_from_that_address_and_nobody_else() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (_, secret_a) = enrolled(&server, "a@example.com", "privacy_officer").await;
    let (_, secret_b) = enrolled(&server, "b@example.com", "privacy_officer").await;
    let mut guesser = Person::new(&server);
    let mut locked = false;
    for attempt in 0..12 {
        let login = guesser.get("/console/login").await;
        let page = guesser
            .post(
                "/console/login",
                &[
                    ("csrf", &login.field("csrf")),
                    ("email", "a@example.com"),
                    ("password", &format!("wrong guess {attempt}")),
                    ("code", "000000"),
                ],
            )
            .await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            locked = true;
            assert!(page.headers.get("retry-after").is_some());
            break;
        }
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    assert!(
        locked,
        "ten failures lock the account out from this address"
    );
    // Even the right password and code are refused for a while …
    let login = guesser.get("/console/login").await;
    let page = guesser
        .post(
            "/console/login",
            &[
                ("csrf", &login.field("csrf")),
                ("email", "a@example.com"),
                ("password", "correct horse 42"),
                ("code", &code_now(&secret_a, 1)),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // … while another person at the same address signs in at once.
    let mut colleague = Person::new(&server);
    sign_in(&mut colleague, "b@example.com", &secret_b, 1).await;
    assert_eq!(colleague.get("/console/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let (mut admin, _) = enrolled(&server, "admin@example.com", "admin").await;
    assert_eq!(
        officer.get("/console/requests").await.status,
        StatusCode::OK
    );
    let access = admin.get("/console/access").await;
    assert_eq!(access.status, StatusCode::OK, "{}", access.html);
    let users = server
        .vault
        .console_users(&Caller::operator(None))
        .await
        .unwrap();
    let officer_id = users
        .iter()
        .find(|u| u.email == "officer@example.com")
        .unwrap()
        .id
        .clone();
    let page = admin
        .post(
            &format!("/console/access/users/{officer_id}/disable"),
            &[("csrf", &access.field("csrf"))],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let next = officer.get("/console/requests").await;
    assert_eq!(next.status, StatusCode::SEE_OTHER);
    // The history shows the grant and the disabling, by whom.
    let history = admin.get("/console/en/access").await.html;
    assert!(
        history.contains("Disabled") && history.contains("admin@example.com"),
        "{history}"
    );
}

/// Values planted in a subject; a masked role must never see one whole on any page.
const PLANTED: [(&str, &str); 3] = [
    ("user.contact.email", "planted.person@example.org"),
    ("user.contact.phone", "010-9876-5432"),
    ("user.name", "홍길동"),
];

async fn planted_subject(server: &Server) -> String {
    let (subject, _) = file_request(server, "access", "kr").await;
    for (category, value) in PLANTED {
        put_item(server, &subject, category, value).await;
    }
    subject
}

/// Stores `value` under `category` for `subject`, as the service does.
async fn put_item(server: &Server, subject: &str, category: &str, value: &str) {
    let (status, body) = server
        .json(
            Method::PUT,
            &format!("/v1/subjects/{subject}/items/{category}"),
            &server.keys.service,
            Some(json!({"value": value})),
        )
        .await;
    assert!(status.is_success(), "{category}: {status} {body}");
}

#[tokio::test]
async fn a_support_user_never_sees_a_full_value_and_an_officer_does() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let subject = planted_subject(&server).await;
    let (mut support, _) = enrolled(&server, "support@example.com", "support").await;
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let subject_page = format!("/console/subjects/{subject}");
    let mut seen_by_support = String::new();
    for path in PAGES.iter().copied().chain([subject_page.as_str()]) {
        let page = support.get(path).await;
        seen_by_support.push_str(&page.html);
    }
    for (_, value) in PLANTED {
        assert!(!seen_by_support.contains(value), "support saw {value}");
    }
    assert!(
        seen_by_support.contains("010-****-5432"),
        "support sees the phone masked"
    );
    let seen = officer.get(&subject_page).await.html;
    assert!(
        seen.contains(PLANTED[0].1),
        "the officer reads in full: the check can fail"
    );
    // The support user's read is in the log under their id.
    let support_id = server
        .vault
        .console_users(&Caller::operator(None))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == "support")
        .unwrap()
        .id;
    let log = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 10_000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.key_id == support_id && e.subject_id.as_deref() == Some(subject.as_str())));
}

/// Free text on a subject's page is masked for support by vow-pii's recognizer, the one `vow scan`,
/// the vault's `text` mask and `vow proxy` use: names of other countries, a Korean name with its
/// particle, a phone written in full-width digits.
#[tokio::test]
async fn a_support_user_sees_free_text_with_the_names_and_numbers_in_it_masked() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let subject = planted_subject(&server).await;
    let inquiry = "Valeriy Petrenko called about the refund. 어제 탁민준이 전화했어요. \
                   thanks to Raphaël Lemoine for the help! 연락처 ０１０-７７７６-３１４１";
    let hidden = [
        "Petrenko",
        "탁민준",
        "Raphaël",
        "Lemoine",
        "７７７６",
        "３１４１",
    ];
    put_item(&server, &subject, "user.content.inquiry", inquiry).await;
    let (mut support, _) = enrolled(&server, "support@example.com", "support").await;
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let subject_page = format!("/console/subjects/{subject}");
    let seen = support.get(&subject_page).await.html;
    for value in hidden {
        assert!(!seen.contains(value), "support saw {value} in {seen}");
    }
    assert!(
        seen.contains("called about the refund"),
        "the rest of the text is shown: {seen}"
    );
    let full = officer.get(&subject_page).await.html;
    for value in hidden {
        assert!(full.contains(value), "the officer reads {value} in full");
    }
}

#[tokio::test]
async fn a_search_by_contact_puts_no_value_in_a_url_and_an_error_page_quotes_none() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let subject = planted_subject(&server).await;
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let list = officer.get("/console/requests").await;
    let page = officer
        .post(
            "/console/requests/search",
            &[
                ("csrf", &list.field("csrf")),
                ("category", "user.contact.email"),
                ("value", PLANTED[0].1),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("href=\"/console/requests/"),
        "{}",
        page.html
    );
    assert!(page.location().is_empty());
    assert!(
        !page.html.contains(PLANTED[0].1),
        "the value is not echoed back"
    );
    let _ = subject;
    // Bad input in every field of a form: a clear page, no value quoted, no 5xx.
    let access = officer.get("/console/access").await;
    let hostile = "<script>alert(1)</script>planted.person@example.org\u{0}";
    let page = officer
        .post(
            "/console/access/users",
            &[
                ("csrf", &access.field("csrf")),
                ("email", hostile),
                ("role", "nope"),
            ],
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(!page.html.contains("<script>alert"));
    assert!(!page.html.contains("planted.person"));
    let page = officer
        .post(
            "/console/review/finding",
            &[
                ("csrf", &access.field("csrf")),
                ("month", "2026-13"),
                ("seq", "x"),
                ("note", hostile),
            ],
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(!page.html.contains("planted.person"));
}

/// A finding is kept only against an entry the log holds: a made-up chain or number in the form
/// (which on SQLite would take another finding's place, or on any backend keep a note no review
/// shows) is refused, and an entry the log holds takes its note.
#[tokio::test]
async fn a_finding_on_an_entry_the_log_does_not_hold_is_refused() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let review = officer.get("/console/review?month=2026-11").await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.html);
    let csrf = review.field("csrf");
    for (chain, seq) in [("3", "1"), ("4294967295", "1"), ("0", "999999")] {
        let page = officer
            .post(
                "/console/review/finding",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-11"),
                    ("chain", chain),
                    ("seq", seq),
                    ("note", "made up"),
                ],
            )
            .await;
        assert!(
            page.status.is_client_error(),
            "{chain}:{seq}: {}",
            page.status
        );
        assert!(page.html.contains("not in the access log"), "{}", page.html);
    }
    let held = officer
        .post(
            "/console/review/finding",
            &[
                ("csrf", &csrf),
                ("month", "2026-11"),
                ("chain", "0"),
                ("seq", "1"),
                ("note", "checked with the team"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.html);
    let findings = server
        .vault
        .store()
        .apply(vow_store::Request::unlogged(
            vow_store::ConsoleOp::Findings {
                period: "2026-11".into(),
            },
        ))
        .await
        .unwrap();
    let vow_store::Outcome::Findings(found) = findings else {
        panic!("{findings:?}")
    };
    assert_eq!(
        found
            .iter()
            .map(|f| (f.entry_chain, f.entry_seq, f.note.as_str()))
            .collect::<Vec<_>>(),
        [(0, 1, "checked with the team")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_today_page_says_what_the_last_checkpoint_covers_and_when_checkpoints_fail() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let signed = server.vault.checkpoint().await.unwrap();
    let state = server.vault.checkpoint_state();
    let (entries, up_to) = state.signed.expect("a checkpoint was signed");
    if let Some(checkpoint) = signed {
        assert_eq!((entries, up_to), (checkpoint.seq, checkpoint.at_ms));
    }
    let counts = format!("Last signed checkpoint: {entries} entries");
    let today = officer.get("/console/en/").await;
    assert!(today.html.contains(&counts), "{}", today.html);
    assert!(
        !today.html.contains("Checkpoints have failed"),
        "{}",
        today.html
    );

    // The checkpoint file cannot be written (a directory stands in its place): the page says so,
    // and still counts only what was signed, however far the log moves on.
    let file = server._dir.path().join("checkpoints.jsonl");
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    server.subject("written-after-the-last-checkpoint").await;
    assert!(server.vault.checkpoint().await.is_err());
    let failing = server.vault.checkpoint_state();
    assert_eq!(failing.signed, Some((entries, up_to)));
    let today = officer.get("/console/en/").await;
    assert!(
        today.html.contains("Checkpoints have failed since"),
        "{}",
        today.html
    );
    assert!(today.html.contains("role=\"alert\""), "{}", today.html);
    assert!(today.html.contains(&counts), "{}", today.html);
    let korean = officer.get("/console/").await;
    assert!(
        korean.html.contains("체크포인트 서명에 실패"),
        "{}",
        korean.html
    );

    // Once the file can be written again, the next checkpoint covers everything and the alert goes.
    std::fs::remove_dir(&file).unwrap();
    server.vault.checkpoint().await.unwrap();
    let recovered = server.vault.checkpoint_state();
    assert!(recovered.failing.is_none());
    assert!(recovered.signed.unwrap().0 > entries);
    let today = officer.get("/console/en/").await;
    assert!(
        !today.html.contains("Checkpoints have failed"),
        "{}",
        today.html
    );
}

#[tokio::test]
async fn the_officer_signs_off_a_month_once_and_the_signature_is_logged() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let review = officer.get("/console/review?month=2026-11").await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.html);
    let csrf = review.field("csrf");
    let signed = officer
        .post(
            "/console/review/sign",
            &[("csrf", &csrf), ("month", "2026-11"), ("note", "checked")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.html);
    let again = officer
        .post(
            "/console/review/sign",
            &[("csrf", &csrf), ("month", "2026-11"), ("note", "again")],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.html
    );
    let log = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 10_000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == vow_audit::Action::SignOff && e.categories == ["review:2026-11"]));
    // The review of this month counts this month's entries (the sign-in among them), and the
    // month before none of them.
    let this_month = {
        let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9));
        format!("{:04}-{:02}", now.year(), u8::from(now.month()))
    };
    let count = |html: &str| -> u64 {
        let marker = "<dd>";
        let at = html.find("<dl class=\"facts\">").unwrap();
        html[at..]
            .split(marker)
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let current = officer
        .get(&format!("/console/en/review?month={this_month}"))
        .await;
    assert!(count(&current.html) >= 3, "{}", current.html);
    let earlier = officer.get("/console/en/review?month=2025-01").await;
    assert_eq!(count(&earlier.html), 0);
    let ledger = officer.get("/console/retention/ledger?month=2026-11").await;
    assert_eq!(ledger.status, StatusCode::OK);
    let signed = officer
        .post(
            "/console/retention/ledger/sign",
            &[("csrf", &csrf), ("month", "2026-11"), ("note", "")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.html);
    assert!(signed.html.contains("2026-11"));
}

#[tokio::test]
async fn english_pages_have_no_korean_but_the_language_link() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (mut officer, _) = enrolled(&server, "officer@example.com", "privacy_officer").await;
    let (mut admin, _) = enrolled(&server, "admin@example.com", "admin").await;
    for path in PAGES
        .iter()
        .filter(|p| !p.ends_with(".csv") && !p.contains("preview"))
    {
        let english = path
            .replacen("/console", "/console/en", 1)
            .replace("/en/en", "/en");
        let person = if english.contains("/access") {
            &mut admin
        } else {
            &mut officer
        };
        let page = person.get(&english).await;
        assert_eq!(page.status, StatusCode::OK, "{english}: {}", page.html);
        assert!(page.html.contains("<html lang=\"en\">"), "{english}");
        let without_link = page.html.replace("한국어", "");
        let hangul: String = without_link
            .chars()
            .filter(|c| ('\u{ac00}'..='\u{d7a3}').contains(c))
            .take(20)
            .collect();
        // Role and category labels come from the policy, which may have only Korean; the
        // console's own words must all be English.
        if !hangul.is_empty() {
            let catalogue_ko = include_str!("../src/console/messages/ko.toml");
            for line in catalogue_ko.lines().filter_map(|l| l.split_once(" = ")) {
                let korean = line.1.trim_matches('"');
                if korean.chars().count() > 3 && !korean.contains('{') {
                    assert!(
                        !page.html.contains(korean),
                        "{english} shows the Korean message {korean}"
                    );
                }
            }
        }
    }
}
