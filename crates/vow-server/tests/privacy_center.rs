//! The privacy center over real HTTP, on SQLite and PostgreSQL: a person verifies by a code read from
//! the `--mail-dir` e-mail, files an access request that the officer completes, downloads the answer
//! once; a link from the service opens one session; a consent withdrawn there stops advertising at
//! once. And the attacks: enumeration of contacts (status, body and timing), code guessing and the
//! rate limits, links reused, another person's request, CSRF, hostile input, values in URLs or on disk.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/forms.rs"]
mod forms;

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use common::{put, raw_request, start_with, Backend, Server, Setup};
use forms::{Page, Person};
use reqwest::{Method, StatusCode};
use serde_json::json;

const EMAIL: &str = "jiwoo.han@example.com";

fn open_limits() -> vow_server::PrivacyLimits {
    vow_server::PrivacyLimits {
        codes_per_address: 10_000,
        codes_per_contact: 10_000,
        tries_per_address: 10_000,
    }
}

async fn server(backend: Backend, limits: Option<vow_server::PrivacyLimits>) -> Option<Server> {
    start_with(
        backend,
        None,
        Setup {
            mail_dir: true,
            privacy_limits: limits,
            ..Setup::default()
        },
    )
    .await
}

/// The newest `.eml` in the mail directory other than those seen already, waited for.
async fn next_mail(dir: &Path, seen: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        if files.len() > seen {
            let newest = files.last().unwrap();
            // The messages hold sign-in codes: only the server's user may read them.
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(newest), 0o600, "{}", newest.display());
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
            return std::fs::read_to_string(newest).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no e-mail arrived in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn mails(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

/// The six digits after "code" in a message, read through Python's `email` package (the body is
/// base64 or quoted-printable UTF-8): the message must be a real RFC 5322 message for this to work.
fn parse_mail(raw: &str) -> serde_json::Value {
    let python = std::env::var("VOW_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import email, email.policy, json, re, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
body = m.get_body(preferencelist=('plain',)).get_content()
code = re.search(r'(\d{6})', body)
print(json.dumps({"from": str(m["From"]), "to": str(m["To"]), "subject": str(m["Subject"]),
                  "date": str(m["Date"]), "message_id": str(m["Message-ID"]),
                  "body": body, "code": code.group(1) if code else None,
                  "defects": [str(d) for d in m.defects]}))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(raw.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn member(server: &Server, external: &str, email: &str) -> String {
    let id = server.subject(external).await;
    put(server, &id, "user.contact.email", email).await;
    id
}

/// Asks for a code for `contact` and types it in: the person's session is then in their cookies.
async fn verify_by_code(server: &Server, person: &mut Person, contact: &str, lang: &str) {
    let mail = server.mail.as_ref().unwrap();
    let seen = mails(mail);
    let form = person.get(&format!("{lang}/verify")).await;
    assert_eq!(form.status, StatusCode::OK);
    let sent = person
        .post(
            &format!("{lang}/verify"),
            &[("csrf", &form.field("csrf")), ("contact", contact)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);
    let parsed = parse_mail(&next_mail(mail, seen).await);
    let code = parsed["code"].as_str().unwrap().to_string();
    let done = person
        .post(
            &format!("{lang}/verify/code"),
            &[
                ("csrf", &sent.field("csrf")),
                ("challenge", &sent.field("challenge")),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), format!("{lang}/me"));
    assert!(person.cookies.contains_key("vow_privacy"));
}

async fn csrf_of(person: &mut Person, path: &str) -> String {
    person.get(path).await.field("csrf")
}

async fn access_request_walk(server: &Server) {
    let subject = member(server, "walk-1", EMAIL).await;
    let mut person = Person::new(server);
    verify_by_code(server, &mut person, EMAIL, "/privacy").await;

    let csrf = csrf_of(&mut person, "/privacy/requests/new").await;
    let filed = person
        .post(
            "/privacy/requests",
            &[
                ("csrf", &csrf),
                ("kind", "access"),
                ("answer_by", "privacy_center"),
                ("jurisdiction", "kr"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.html);
    // The officer sees it in the queue, due in ten days, verified by the code.
    let (_, listed) = server
        .json(Method::GET, "/v1/requests", &server.keys.officer, None)
        .await;
    let request = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == subject.as_str())
        .unwrap()
        .clone();
    let id = request["id"].as_str().unwrap().to_string();
    assert_eq!(request["type"], "access");
    assert_eq!(request["verification"]["method"], "email_code");
    assert_eq!(
        request["due_ms"].as_i64().unwrap() - request["received_ms"].as_i64().unwrap(),
        10 * 86_400_000
    );
    let mine = person.get("/privacy/me").await;
    assert!(mine.html.contains(&id), "{}", mine.html);
    assert!(!person
        .get(&format!("/privacy/requests/{id}"))
        .await
        .html
        .contains("/package"));

    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{id}"),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let detail = person.get(&format!("/privacy/requests/{id}")).await;
    assert!(detail.html.contains("/package"), "{}", detail.html);
    let ready = person
        .post(
            &format!("/privacy/requests/{id}/package"),
            &[("csrf", &detail.field("csrf")), ("format", "json")],
        )
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.html);
    // The download is a button (a POST from the person's session), not a link anyone holding the
    // address could open.
    let link = ready
        .html
        .split("action=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|action| action.contains("/download/"))
        .unwrap()
        .to_string();
    assert!(link.starts_with("/privacy/download/vpd_"), "{link}");
    assert!(ready.html.contains("id=\"package-link\""), "{}", ready.html);
    // Without a session the address opens nothing (it asks to sign in) and uses nothing up; in
    // another person's session it is gone.
    let mut stranger = Person::new(server);
    let anonymous = stranger.get(&link).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    let posted = stranger.post(&link, &[("csrf", "x")]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    member(server, "walk-2", "walk.other@example.com").await;
    verify_by_code(server, &mut stranger, "walk.other@example.com", "/privacy").await;
    let theirs = stranger.get(&link).await;
    assert_eq!(theirs.status, StatusCode::GONE, "another person's session");
    let me_page = stranger.get("/privacy/me").await;
    let theirs = stranger
        .post(&link, &[("csrf", &me_page.field("csrf"))])
        .await;
    assert_eq!(theirs.status, StatusCode::GONE, "another person's session");
    assert!(!theirs.html.contains(EMAIL));
    // A GET in one's own session shows the button again and uses nothing up.
    let again_page = person.get(&link).await;
    assert_eq!(again_page.status, StatusCode::OK, "{}", again_page.html);
    let forged = person.post(&link, &[("csrf", "not-the-token")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let package = person
        .post(&link, &[("csrf", &again_page.field("csrf"))])
        .await;
    assert_eq!(package.status, StatusCode::OK);
    assert!(package
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let data: serde_json::Value = serde_json::from_str(&package.html).unwrap();
    assert_eq!(data["subject"], subject.as_str());
    assert!(
        package.html.contains(EMAIL),
        "the person sees their e-mail in full"
    );
    let again = person
        .post(&link, &[("csrf", &again_page.field("csrf"))])
        .await;
    assert_eq!(again.status, StatusCode::GONE, "a second download");
    assert!(!again.html.contains(EMAIL));
    assert_eq!(person.get(&link).await.status, StatusCode::GONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_by_code_is_answered_and_downloaded_once_on_sqlite() {
    let server = server(Backend::Sqlite, None).await.unwrap();
    access_request_walk(&server).await;
    // Nothing personal reached the data directory in the clear.
    for entry in walk(server.data.as_ref().unwrap()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(EMAIL.len()).any(|w| w == EMAIL.as_bytes()),
            "{} holds the e-mail in the clear",
            entry.display()
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_by_code_is_answered_and_downloaded_once_on_postgres() {
    let Some(server) = server(Backend::Postgres, None).await else {
        return;
    };
    access_request_walk(&server).await;
    server.stop().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_codes_email_is_a_real_message_in_the_persons_language_with_nothing_else_personal() {
    let server = server(Backend::Sqlite, None).await.unwrap();
    let subject = member(&server, "mail-1", EMAIL).await;
    put(&server, &subject, "user.name", "한지우").await;
    let mail = server.mail.clone().unwrap();
    for (lang, words) in [
        ("/privacy", "확인 코드"),
        ("/privacy/en", "privacy center code"),
    ] {
        let seen = mails(&mail);
        let mut person = Person::new(&server);
        let form = person.get(&format!("{lang}/verify")).await;
        person
            .post(
                &format!("{lang}/verify"),
                &[("csrf", &form.field("csrf")), ("contact", EMAIL)],
            )
            .await;
        let raw = next_mail(&mail, seen).await;
        assert!(raw.contains("MIME-Version: 1.0"), "{raw}");
        let parsed = parse_mail(&raw);
        assert_eq!(parsed["defects"], json!([]), "{raw}");
        assert_eq!(parsed["to"], EMAIL);
        assert!(parsed["from"]
            .as_str()
            .unwrap()
            .contains("privacy@imagesfactory.test"));
        assert!(
            parsed["subject"].as_str().unwrap().contains(words),
            "{parsed}"
        );
        assert!(parsed["date"].as_str().unwrap().len() > 10);
        assert!(parsed["message_id"].as_str().unwrap().contains('@'));
        let body = parsed["body"].as_str().unwrap();
        assert!(parsed["code"].as_str().unwrap().len() == 6);
        // Nothing the recipient did not give: no name, no subject id, no other contact.
        for absent in ["한지우", subject.as_str(), "010-"] {
            assert!(
                !body.contains(absent) && !raw.contains(absent),
                "{absent} in {raw}"
            );
        }
    }
    server.stop().await;
}

/// Known and unknown contacts, 100 each, interleaved, for e-mail addresses and phone numbers: the
/// same status, the same page but for its random tokens, and the same time within noise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_and_an_unknown_contact_get_the_same_answer_in_the_same_time() {
    let server = server(Backend::Sqlite, Some(open_limits())).await.unwrap();
    let subject = member(&server, "enum-1", EMAIL).await;
    put(&server, &subject, "user.contact.phone", "010-2345-6789").await;
    let mut person = Person::new(&server);
    let normalise = |page: &Page| {
        let mut html = page.html.clone();
        for field in ["csrf", "challenge"] {
            let value = page.field(field);
            html = html.replace(&value, "TOKEN");
        }
        html
    };
    let email = |round: usize| format!("nobody{round}@example.com");
    let phone = |round: usize| format!("010-9{:03}-{:04}", round % 1000, round);
    type Unknown<'f> = &'f dyn Fn(usize) -> String;
    let families: [(&str, String, Unknown); 2] = [
        ("e-mail", EMAIL.to_string(), &email),
        ("phone", "010 2345 6789".to_string(), &phone),
    ];
    for (family, known_contact, unknown_contact) in families {
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        let (mut known_page, mut unknown_page) = (None, None);
        for round in 0..200 {
            let is_known = round % 2 == 0;
            let contact = if is_known {
                known_contact.clone()
            } else {
                unknown_contact(round)
            };
            let csrf = csrf_of(&mut person, "/privacy/verify").await;
            let started = Instant::now();
            let page = person
                .post("/privacy/verify", &[("csrf", &csrf), ("contact", &contact)])
                .await;
            let took = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(page.status, StatusCode::OK, "{family}");
            let text = normalise(&page);
            if is_known {
                known.push(took);
                assert_eq!(known_page.get_or_insert(text.clone()), &text);
            } else {
                unknown.push(took);
                assert_eq!(unknown_page.get_or_insert(text.clone()), &text);
            }
        }
        assert_eq!(known_page, unknown_page, "{family}: the pages differ");
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (k, u) = (median(&mut known), median(&mut unknown));
        assert!(
            (k - u).abs() <= 2.0_f64.max(0.25 * k.max(u)),
            "{family}: median {k:.2} ms for a known contact, {u:.2} ms for unknown ones"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_locks_after_five_wrong_tries_and_asking_is_rate_limited() {
    let server = server(
        Backend::Sqlite,
        Some(vow_server::PrivacyLimits {
            codes_per_address: 6,
            codes_per_contact: 3,
            tries_per_address: 10_000,
        }),
    )
    .await
    .unwrap();
    member(&server, "guess-1", EMAIL).await;
    let mail = server.mail.clone().unwrap();
    let mut person = Person::new(&server);
    let seen = mails(&mail);
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let sent = person
        .post("/privacy/verify", &[("csrf", &csrf), ("contact", EMAIL)])
        .await;
    let code = parse_mail(&next_mail(&mail, seen).await)["code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let challenge = sent.field("challenge");
    let mut csrf = sent.field("csrf");
    for _ in 0..5 {
        let page = person
            .post(
                "/privacy/verify/code",
                &[("csrf", &csrf), ("challenge", &challenge), ("code", wrong)],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        csrf = page.field("csrf");
    }
    let locked = person
        .post(
            "/privacy/verify/code",
            &[("csrf", &csrf), ("challenge", &challenge), ("code", &code)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::BAD_REQUEST);
    assert!(locked.html.contains("5번"), "{}", locked.html);
    assert!(!person.cookies.contains_key("vow_privacy"));

    // Per contact: the fourth code for one contact in a minute is refused, known or not alike.
    for contact in [EMAIL, "stranger@example.com"] {
        let mut statuses = Vec::new();
        let already = if contact == EMAIL { 1 } else { 0 };
        for _ in already..4 {
            let csrf = csrf_of(&mut person, "/privacy/verify").await;
            statuses.push(
                person
                    .post("/privacy/verify", &[("csrf", &csrf), ("contact", contact)])
                    .await
                    .status,
            );
        }
        assert_eq!(
            statuses.last(),
            Some(&StatusCode::TOO_MANY_REQUESTS),
            "{contact}: {statuses:?}"
        );
    }
    // Per address: six in a minute from one address, whatever the contact.
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let page = person
        .post(
            "/privacy/verify",
            &[("csrf", &csrf), ("contact", "third@example.com")],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_from_the_service_opens_one_session_and_only_for_roles_that_see_in_full() {
    let server = server(Backend::Sqlite, None).await.unwrap();
    let subject = member(&server, "link-1", EMAIL).await;
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/privacy-links",
            &server.keys.support,
            Some(json!({"subject": subject})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/privacy-links",
            &server.keys.service,
            Some(json!({"subject": subject, "lang": "en"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = body["path"].as_str().unwrap().to_string();
    assert!(path.starts_with("/privacy/en/link/vpl_"));
    let mut person = Person::new(&server);
    // Opening the link changes nothing (a mail scanner may open it); the button does.
    let page = person.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!person.cookies.contains_key("vow_privacy"));
    let done = person.post(&path, &[("csrf", &page.field("csrf"))]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(person.cookies.contains_key("vow_privacy"));
    let me = person.get("/privacy/en/me").await;
    assert_eq!(me.status, StatusCode::OK);

    let mut other = Person::new(&server);
    let page = other.get(&path).await;
    let reused = other.post(&path, &[("csrf", &page.field("csrf"))]).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "a link works once");
    assert!(!other.cookies.contains_key("vow_privacy"));
    let (status, _) = server
        .json(
            Method::POST,
            "/v1/privacy-links",
            &server.keys.service,
            Some(json!({"subject": subject, "lang": "fr"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Every link works, whatever characters its token has ('-' and '_' among them).
    let mut dashes = 0;
    for _ in 0..32 {
        let (_, body) = server
            .json(
                Method::POST,
                "/v1/privacy-links",
                &server.keys.service,
                Some(json!({"subject": subject})),
            )
            .await;
        let path = body["path"].as_str().unwrap().to_string();
        dashes += usize::from(path.contains('-'));
        let mut someone = Person::new(&server);
        let page = someone.get(&path).await;
        let done = someone.post(&path, &[("csrf", &page.field("csrf"))]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{path}: {}", done.html);
    }
    assert!(dashes > 0, "no token had a '-' in 32 tries");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reaches_no_other_persons_request_and_no_form_works_without_its_token() {
    let server = server(Backend::Sqlite, Some(open_limits())).await.unwrap();
    member(&server, "mine-1", EMAIL).await;
    let theirs = member(&server, "theirs-1", "other.person@example.com").await;
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": theirs, "type": "access", "verification": {"method": "id_document"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let theirs_id = filed["id"].as_str().unwrap().to_string();
    let mut person = Person::new(&server);
    verify_by_code(&server, &mut person, EMAIL, "/privacy").await;
    let page = person.get(&format!("/privacy/requests/{theirs_id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.html.contains(&theirs));
    let csrf = csrf_of(&mut person, "/privacy/me").await;
    let package = person
        .post(
            &format!("/privacy/requests/{theirs_id}/package"),
            &[("csrf", &csrf), ("format", "json")],
        )
        .await;
    assert_eq!(package.status, StatusCode::NOT_FOUND);

    // CSRF: missing, wrong, or another person's token files nothing.
    let mut other = Person::new(&server);
    verify_by_code(&server, &mut other, "other.person@example.com", "/privacy").await;
    let others_csrf = csrf_of(&mut other, "/privacy/me").await;
    for token in ["", "0000", others_csrf.as_str()] {
        let page = person
            .post("/privacy/requests", &[("csrf", token), ("kind", "erasure")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "csrf {token:?}");
    }
    assert!(!person
        .get("/privacy/me")
        .await
        .html
        .contains("/privacy/requests/req_"));
    // The verification forms need the cookie's token too.
    let mut stranger = Person::new(&server);
    let page = stranger
        .post("/privacy/verify", &[("csrf", "x"), ("contact", EMAIL)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Without a session, every personal page sends to verification.
    for path in ["/privacy/me", "/privacy/consent", "/privacy/requests/new"] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), "/privacy/verify");
    }
    let forged = {
        stranger
            .cookies
            .insert("vow_privacy".into(), "vps_forged".into());
        stranger.get("/privacy/me").await
    };
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_is_refused_plainly_and_never_echoed() {
    let server = server(Backend::Sqlite, Some(open_limits())).await.unwrap();
    let mut person = Person::new(&server);
    let long = "a".repeat(10_000) + "@example.com";
    let cases: Vec<String> = vec![
        "<script>alert(1)</script>".into(),
        long,
        "".into(),
        "\u{0}\u{1}@x".into(),
        "010-7777-3141' OR 1=1 --".into(),
    ];
    for contact in &cases {
        let csrf = csrf_of(&mut person, "/privacy/verify").await;
        let page = person
            .post("/privacy/verify", &[("csrf", &csrf), ("contact", contact)])
            .await;
        assert!(
            page.status == StatusCode::BAD_REQUEST || page.status == StatusCode::OK,
            "{:?}: {}",
            page.status,
            page.html
        );
        if !contact.is_empty() {
            assert!(!page.html.contains(contact.as_str()), "echoed {contact:?}");
        }
    }
    // A body too large for the server, and one that is not UTF-8. The server may answer the large one
    // before it has read it all and close the connection, so it goes over a raw connection that keeps
    // reading after its writes fail (an HTTP client reports a broken pipe there instead).
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let huge = format!("csrf={csrf}&contact={}", "a".repeat(3 * 1024 * 1024));
    let head = format!(
        "POST /privacy/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nCookie: vow_privacy_pre={csrf}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        huge.len()
    );
    let base = server.base.clone();
    let status = tokio::task::spawn_blocking(move || {
        raw_request(&base, &head, huge.as_bytes(), Duration::from_secs(10)).map(|a| a.0)
    })
    .await
    .unwrap();
    assert_eq!(status, Some(StatusCode::PAYLOAD_TOO_LARGE.as_u16()));
    let response = reqwest::Client::new()
        .post(server.url("/privacy/verify"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("vow_privacy_pre={csrf}"))
        .body(vec![
            b'c', b's', b'r', b'f', b'=', 0xff, 0xfe, b'&', b'c', b'=', 0xc3,
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A path out of the site is refused; a download that is not one asks to sign in first, and
    // in a session is gone.
    let page = person.get("/privacy/site/../../etc/passwd").await;
    assert!(page.status.is_client_error(), "{:?}", page.status);
    let downloads = ["/privacy/download/vpd_nothing", "/privacy/download/%00%ff"];
    for path in downloads {
        let page = person.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
    }
    member(&server, "hostile-1", "hostile.one@example.com").await;
    verify_by_code(&server, &mut person, "hostile.one@example.com", "/privacy").await;
    for path in downloads {
        let page = person.get(path).await;
        assert!(page.status.is_client_error(), "{path}: {:?}", page.status);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_strict_headers_and_the_policy_is_served_live() {
    let server = server(Backend::Sqlite, None).await.unwrap();
    let mut person = Person::new(&server);
    for path in ["/privacy/", "/privacy/en/", "/privacy/verify"] {
        let page = person.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let header = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert!(header("content-security-policy").contains("default-src 'none'"));
        assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header("cache-control"), "no-store");
        assert_eq!(header("referrer-policy"), "no-referrer");
        for cookie in page.headers.get_all("set-cookie") {
            let cookie = cookie.to_str().unwrap();
            assert!(
                cookie.contains("HttpOnly")
                    && cookie.contains("SameSite=Strict")
                    && cookie.contains("Path=/privacy"),
                "{cookie}"
            );
        }
        // Nothing from another origin.
        assert!(
            !page.html.contains("http://") && !page.html.contains("https://"),
            "{path}"
        );
    }
    let home = person.get("/privacy/").await;
    assert!(home.html.contains("개인정보분쟁조정위원회"));
    assert!(home.html.contains(&server.vault.policy().policy.version));
    let policy = person.get("/privacy/site/index.html").await;
    assert_eq!(policy.status, StatusCode::OK);
    assert!(
        policy.html.contains("개인정보"),
        "the published page of the running policy"
    );
    let english = person.get("/privacy/site/en.html").await;
    assert_eq!(english.status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_withdrawn_in_the_privacy_center_stops_advertising_at_once() {
    let server = server(Backend::Sqlite, None).await.unwrap();
    let subject = member(&server, "ad-1", EMAIL).await;
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
    assert_eq!(status, StatusCode::CREATED);
    let gate = || async {
        let (_, verdict) = server
            .json(
                Method::POST,
                "/v1/marketing/check",
                &server.keys.service,
                Some(json!({"subject": subject, "channel": "email", "at": "2027-01-05T12:00:00+09:00"})),
            )
            .await;
        verdict["allowed"].as_bool().unwrap()
    };
    assert!(gate().await);
    let mut person = Person::new(&server);
    verify_by_code(&server, &mut person, EMAIL, "/privacy").await;
    let page = person.get("/privacy/consent").await;
    assert!(page.html.contains("동의 철회"), "{}", page.html);
    let done = person
        .post(
            "/privacy/consent",
            &[
                ("csrf", &page.field("csrf")),
                ("purpose", "marketing"),
                ("channel", "email"),
                ("change", "withdraw"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(!gate().await, "the gate refuses at once");
    let (_, ledger) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{subject}/consents"),
            &server.keys.service,
            None,
        )
        .await;
    let last = ledger["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["change"], "withdraw");
    assert_eq!(last["evidence"]["method"], "privacy_center");
    server.stop().await;
}

/// The e-mail gateway's stand-in: a real SMTP server on loopback that keeps every message it is
/// given (the gateway itself is a remote service the tests cannot reach).
async fn smtp_sink() -> (String, tokio::sync::mpsc::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(message) = &mut data {
                        if line == "." {
                            sender.send(std::mem::take(message)).await.unwrap();
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(line.strip_prefix('.').unwrap_or(&line));
                            message.push_str("\r\n");
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (url, receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_go_out_over_smtp_and_by_text_message_as_an_event() {
    let (url, mut inbox) = smtp_sink().await;
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            smtp_url: Some(url),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let subject = member(&server, "smtp-1", EMAIL).await;
    put(&server, &subject, "user.contact.phone", "010-2345-6789").await;
    let mut person = Person::new(&server);
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let sent = person
        .post("/privacy/verify", &[("csrf", &csrf), ("contact", EMAIL)])
        .await;
    let raw = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
        .await
        .expect("the SMTP server got a message")
        .unwrap();
    let parsed = parse_mail(&raw);
    assert_eq!(parsed["to"], EMAIL);
    let done = person
        .post(
            "/privacy/verify/code",
            &[
                ("csrf", &sent.field("csrf")),
                ("challenge", &sent.field("challenge")),
                ("code", parsed["code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);

    // A phone number: the code goes out as an event for the service to text, without the number.
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let page = person
        .post(
            "/privacy/verify",
            &[("csrf", &csrf), ("contact", "010 2345 6789")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // The service's webhook receives it (a real receiver over loopback).
    let (hooks, mut delivered) = webhook_sink().await;
    let mut config = vow_server::WebhookConfig::new(&hooks, WEBHOOK_SECRET.to_vec()).unwrap();
    config.poll = Duration::from_millis(20);
    let delivering = tokio::spawn(vow_server::deliver_events(server.vault.clone(), config));
    let event = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), delivered.recv())
            .await
            .expect("the webhook got the code")
            .unwrap();
        if event["type"] == "privacy.code" {
            break event;
        }
    };
    let code = event["data"]["code"].as_str().unwrap().to_string();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{event}"
    );
    assert_eq!(event["subject"], subject.as_str());
    assert!(
        !event.to_string().contains("2345"),
        "the number is not in the event: {event}"
    );
    // Never to those who poll: a role that may read events could sign in as anyone with it.
    let (status, events) = server
        .json(Method::GET, "/v1/events", &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert!(!events.to_string().contains("privacy.code"), "{events}");
    assert!(!events.to_string().contains(&code), "{events}");
    // And once delivered (recorded just after the receiver answered), the store keeps no copy.
    let mut row = None;
    for _ in 0..200 {
        let Ok(vow_store::Outcome::Outbox(rows)) = server
            .vault
            .store()
            .apply(vow_store::Request::unlogged(
                vow_store::OutboxOp::OutboxPage {
                    after_seq: 0,
                    limit: 1_000,
                    hide_kinds: vec![],
                },
            ))
            .await
        else {
            panic!("the outbox could not be read")
        };
        row = rows.into_iter().find(|r| r.kind == "privacy.code");
        if row.as_ref().is_some_and(|r| r.delivered_ms.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    delivering.abort();
    let row = row.unwrap();
    assert!(row.delivered_ms.is_some(), "{row:?}");
    assert!(!row.body.contains(&code), "{row:?}");
    assert!(row.body.contains(&subject), "{row:?}");
    server.stop().await;
}

/// Served without a webhook (`vow serve` with no `--webhook-url`), a code by text message could never
/// be delivered: it is not queued, so it never waits in the outbox for whoever reads the database.
/// The page is the one every contact gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_webhook_no_code_by_text_message_is_queued() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            no_text_codes: true,
            privacy_limits: Some(open_limits()),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let subject = member(&server, "no-hook-1", EMAIL).await;
    put(&server, &subject, "user.contact.phone", "010-2345-6789").await;
    let mut person = Person::new(&server);
    let csrf = csrf_of(&mut person, "/privacy/verify").await;
    let page = person
        .post(
            "/privacy/verify",
            &[("csrf", &csrf), ("contact", "010 2345 6789")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("name=\"challenge\""), "{}", page.html);
    // Queued codes appear within milliseconds when a webhook is there (the test above); give it
    // half a second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let Ok(vow_store::Outcome::Outbox(rows)) = server
        .vault
        .store()
        .apply(vow_store::Request::unlogged(
            vow_store::OutboxOp::OutboxPage {
                after_seq: 0,
                limit: 1_000,
                hide_kinds: vec![],
            },
        ))
        .await
    else {
        panic!("the outbox could not be read")
    };
    assert!(rows.iter().all(|r| r.kind != "privacy.code"), "{rows:?}");
    server.stop().await;
}

const WEBHOOK_SECRET: &[u8] = b"privacy-center-webhook-secret-0123";

/// A webhook receiver over loopback: each verified event, parsed, on the channel.
async fn webhook_sink() -> (String, tokio::sync::mpsc::Receiver<serde_json::Value>) {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64;
                let signed = vow_server::verify(
                    WEBHOOK_SECRET,
                    headers["vow-timestamp"].to_str().unwrap(),
                    &body,
                    headers["vow-signature"].to_str().unwrap(),
                    now,
                    300,
                );
                assert!(signed, "a delivery with a bad signature");
                let _ = sender.send(serde_json::from_slice(&body).unwrap()).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

/// A multipart/form-data body by hand: text fields, then (optionally) one file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----vow-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"attorney\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    server: &Server,
    person: &Person,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let cookies = person.cookie_header();
    for _ in 0..5 {
        match reqwest::Client::new()
            .post(server.url("/privacy/requests"))
            .header("content-type", content_type)
            .header("cookie", &cookies)
            .body(body.clone())
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status();
                return (status, response.text().await.unwrap_or_default());
            }
            // A server may answer 413 before a huge body is sent and close the connection.
            Err(error) if error.is_request() => continue,
            Err(error) => panic!("{error}"),
        }
    }
    panic!("no answer");
}

fn uploads_left(server: &Server) -> usize {
    server
        .uploads
        .as_ref()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_representative_files_with_a_power_of_attorney_and_hostile_files_are_refused() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            mail_dir: true,
            uploads: true,
            privacy_limits: Some(open_limits()),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let subject = member(&server, "rep-1", EMAIL).await;
    let mut person = Person::new(&server);
    verify_by_code(&server, &mut person, EMAIL, "/privacy").await;
    let form = person.get("/privacy/requests/new").await;
    assert!(form.html.contains("multipart/form-data") && form.html.contains("name=\"attorney\""));
    let csrf = form.field("csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "access"),
        ("representative", "yes"),
        ("answer_by", "email"),
        ("jurisdiction", "kr"),
    ];

    // Hostile: a page sent as a PDF, a type not taken, a file before the token, a broken body.
    let page = b"<html><script>alert(document.cookie)</script></html>";
    for (name, kind) in [("poa.pdf", "application/pdf"), ("poa.html", "text/html")] {
        let (content_type, body) = multipart(&fields, Some((name, kind, page)));
        let (status, html) = post_multipart(&server, &person, &content_type, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {html}");
        assert!(!html.contains("<script>alert"), "echoed");
    }
    let (content_type, body) = multipart(
        &[("kind", "access"), ("representative", "yes")],
        Some(("poa.pdf", "application/pdf", b"%PDF-1.7\n%%EOF\n")),
    );
    let (status, _) = post_multipart(&server, &person, &content_type, body).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the file came before any token"
    );
    let (status, _) = post_multipart(
        &server,
        &person,
        "multipart/form-data; boundary=nothing-like-it",
        b"--garbage\r\n\r\n".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let huge = [b"%PDF-1.7\n".as_slice(), &vec![b'0'; 11 * 1024 * 1024]].concat();
    let (content_type, body) = multipart(&fields, Some(("big.pdf", "application/pdf", &huge)));
    let (status, _) = post_multipart(&server, &person, &content_type, body).await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
        "{status}"
    );
    // A form that stored a power of attorney and then went wrong leaves none behind: two files
    // (one too many), a body cut off after the file.
    let good = b"%PDF-1.7\n%%EOF\n";
    let (content_type, body) = multipart(&fields, Some(("poa.pdf", "application/pdf", good)));
    let closing = format!(
        "--{}--\r\n",
        content_type.split("boundary=").nth(1).unwrap()
    );
    let open = body[..body.len() - closing.len()].to_vec();
    let second_part = format!(
        "--{}\r\nContent-Disposition: form-data; name=\"attorney\"; filename=\"again.pdf\"\r\nContent-Type: application/pdf\r\n\r\n",
        content_type.split("boundary=").nth(1).unwrap()
    );
    let two = [
        open.as_slice(),
        second_part.as_bytes(),
        good.as_slice(),
        b"\r\n",
        closing.as_bytes(),
    ]
    .concat();
    let (status, _) = post_multipart(&server, &person, &content_type, two).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "two powers of attorney");
    assert_eq!(uploads_left(&server), 0, "neither is kept");
    let cut_off = [open.as_slice(), second_part.as_bytes(), b"%PDF-1."].concat();
    let (status, _) = post_multipart(&server, &person, &content_type, cut_off).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a body cut off after a file"
    );
    assert_eq!(uploads_left(&server), 0, "the stored one is not kept");

    assert_eq!(uploads_left(&server), 0, "nothing half-written");
    let (_, listed) = server
        .json(Method::GET, "/v1/requests", &server.keys.officer, None)
        .await;
    assert_eq!(
        listed["requests"].as_array().unwrap().len(),
        0,
        "nothing filed"
    );

    // A real power of attorney: filed, sealed on disk, destroyed when the request closes.
    let pdf = b"%PDF-1.7\n1 0 obj << /Title (Power of attorney for Han Jiwoo) >> endobj\n%%EOF\n";
    let (content_type, body) = multipart(&fields, Some(("poa.pdf", "application/pdf", pdf)));
    let (status, html) = post_multipart(&server, &person, &content_type, body).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let (_, listed) = server
        .json(Method::GET, "/v1/requests", &server.keys.officer, None)
        .await;
    let request = listed["requests"][0].clone();
    assert_eq!(request["subject"], subject.as_str());
    assert_eq!(request["verification"]["representative"], true);
    let attachments = request["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    let upload = attachments[0].as_str().unwrap().to_string();
    for file in std::fs::read_dir(server.uploads.as_ref().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(13).any(|w| w == b"Han Jiwoo) >>"),
            "sealed on disk"
        );
    }
    let officer = vow_engine::Caller {
        key_id: "key_officer".into(),
        role: "privacy_officer".into(),
        source: "127.0.0.1".into(),
        reason: None,
        purpose: None,
    };
    let (info, mut reader) = server
        .vault
        .get_upload(&officer, &subject, &upload)
        .await
        .unwrap();
    assert_eq!(info.media_type, "application/pdf");
    let mut read = Vec::new();
    while let Some(chunk) = reader.next_chunk().await.unwrap() {
        read.extend_from_slice(&chunk);
    }
    assert_eq!(read, pdf);
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{}", request["id"].as_str().unwrap()),
            &server.keys.officer,
            Some(
                json!({"action": "refuse", "reason": "위임장의 서명을 확인할 수 없습니다",
                        "objection": "개인정보 보호책임자에게 이의를 제기할 수 있습니다"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        uploads_left(&server),
        0,
        "destroyed when the request closed"
    );
    let mine = person
        .get(&format!(
            "/privacy/requests/{}",
            request["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        mine.html.contains("위임장의 서명을 확인할 수 없습니다"),
        "the person reads why"
    );
    // A power of attorney sent with no representative named: the request is filed, the file is
    // not kept.
    let for_myself: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(name, _)| *name != "representative")
        .collect();
    let (content_type, body) = multipart(&for_myself, Some(("poa.pdf", "application/pdf", pdf)));
    let (status, html) = post_multipart(&server, &person, &content_type, body).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    assert_eq!(uploads_left(&server), 0, "not needed, not kept");
    server.stop().await;
}

/// Under TLS the cookies of both surfaces are `Secure` and carry the `__Secure-` prefix (a browser
/// takes such a cookie only from a secure origin, so a plain-HTTP page of the host cannot plant
/// one), and the pages read them back by that name: a code is asked for and the form's token holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tls_the_cookies_are_secure_prefixed_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let server = start_with(
        Backend::Sqlite,
        Some(vow_server::Tls {
            cert,
            key,
            tls13_only: false,
        }),
        Setup {
            mail_dir: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let set_cookies = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    };
    for (path, name) in [
        ("/privacy/verify", "__Secure-vow_privacy_pre="),
        ("/console/login", "__Secure-vow_console_pre="),
    ] {
        let page = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let cookies = set_cookies(&page);
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with(name) && c.contains("; Secure")),
            "{path}: {cookies:?}"
        );
        assert!(
            !cookies.iter().any(|c| c.starts_with("vow_")),
            "{cookies:?}"
        );
    }
    // The pre-session token is read back by its prefixed name: the form is accepted.
    let mut person = Person::with_client(&server, client.clone());
    let page = person.get("/privacy/verify").await;
    let csrf = page.field("csrf");
    assert!(
        person.cookies.contains_key("__Secure-vow_privacy_pre"),
        "{:?}",
        person.cookies
    );
    let token = person.cookies["__Secure-vow_privacy_pre"].clone();
    let form = [("csrf", csrf.as_str()), ("contact", "nobody@example.com")];
    let sent = person.post("/privacy/verify", &form).await;
    assert_eq!(sent.status, StatusCode::OK);
    // The same token under the unprefixed name is not the cookie: refused.
    let mut unprefixed = Person::with_client(&server, client.clone());
    unprefixed.cookies.insert("vow_privacy_pre".into(), token);
    let refused = unprefixed.post("/privacy/verify", &form).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The console: signed in over TLS, the session cookie is the prefixed one, and signing out
    // clears that one (a cleared `vow_console` would leave the session cookie in the browser).
    let new = server
        .vault
        .add_console_user(
            &vow_engine::Caller::operator(None),
            "tls.officer@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    let totp = server
        .vault
        .pending_enrolment(new.token.as_str())
        .await
        .unwrap()
        .totp;
    let code = |steps_ahead: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        format!("{:06}", totp.code_at_step(now / 30 + steps_ahead))
    };
    server
        .vault
        .complete_enrolment(new.token.as_str(), "correct horse 42", &code(0))
        .await
        .unwrap();
    let mut officer = Person::with_client(&server, client);
    let login = officer.get("/console/login").await;
    let signed_in = officer
        .post(
            "/console/login",
            &[
                ("csrf", &login.field("csrf")),
                ("email", "tls.officer@example.com"),
                ("password", "correct horse 42"),
                ("code", &code(1)),
            ],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.html
    );
    assert!(
        officer.cookies.contains_key("__Secure-vow_console"),
        "{:?}",
        officer.cookies
    );
    let today = officer.get("/console/").await;
    assert_eq!(today.status, StatusCode::OK);
    let out = officer
        .post("/console/logout", &[("csrf", &today.field("csrf"))])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let cleared: Vec<&str> = out
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("__Secure-vow_console=;")
                && c.contains("Max-Age=0")
                && c.contains("; Secure")),
        "{cleared:?}"
    );
    assert!(
        !officer.cookies.contains_key("__Secure-vow_console"),
        "{:?}",
        officer.cookies
    );
    server.stop().await;
}

/// A power of attorney still streaming when the request's deadline ends it leaves no file: the
/// upload's partial file goes with the dropped request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_of_attorney_cut_off_by_the_deadline_leaves_no_file() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            mail_dir: true,
            limits: Some(vow_server::Limits {
                request_timeout: Duration::from_millis(800),
                ..vow_server::Limits::default()
            }),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    member(&server, "slow-1", EMAIL).await;
    let mut person = Person::new(&server);
    verify_by_code(&server, &mut person, EMAIL, "/privacy").await;
    let csrf = csrf_of(&mut person, "/privacy/requests/new").await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "access"),
        ("representative", "yes"),
        ("answer_by", "email"),
    ];
    // The form and the file's first bytes, then more of the file every 100 ms for three seconds.
    let (content_type, body) =
        multipart(&fields, Some(("poa.pdf", "application/pdf", b"%PDF-1.7\n")));
    let closing = format!(
        "--{}--\r\n",
        content_type.split("boundary=").nth(1).unwrap()
    );
    let head = body[..body.len() - closing.len() - 2].to_vec();
    let chunks =
        futures_util::stream::iter(std::iter::once(head).chain((0..30).map(|_| vec![b'0'; 1024])))
            .then(|chunk| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, std::io::Error>(chunk)
            });
    let cookies = person.cookie_header();
    let answer = reqwest::Client::new()
        .post(server.url("/privacy/requests"))
        .header("content-type", &content_type)
        .header("cookie", &cookies)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The deadline, not the end of the body, ended the request.
    let answer = answer.unwrap();
    assert_eq!(answer.status(), StatusCode::REQUEST_TIMEOUT);
    // Give the dropped request a moment, then look at the directory, which the upload created
    // when it began writing the file: the request reached the file, and the file is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let uploads = server.uploads.as_ref().unwrap();
    assert!(uploads.is_dir(), "{} was never created", uploads.display());
    let left: Vec<_> = std::fs::read_dir(uploads)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    server.stop().await;
}
