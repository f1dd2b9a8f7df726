//! Attacks on consent, children, the advertising gate and webhooks over real HTTP (issue 12 review):
//! each test is one thing a hostile or careless client tried, and what it must get.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{start, start_with, Backend, Server, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post(server: &Server, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    server.json(Method::POST, path, key, Some(body)).await
}

fn days_ago(days: i64) -> String {
    (OffsetDateTime::now_utc() - time::Duration::days(days))
        .format(&Rfc3339)
        .unwrap()
}

fn email(granted: bool, at: Option<String>, by: Option<&str>) -> Value {
    let mut body = json!({
        "purpose": "marketing",
        "channel": "email",
        "granted": granted,
        "evidence": {"method": "web_form"},
    });
    if let Some(at) = at {
        body["at"] = json!(at);
    }
    if let Some(by) = by {
        body["by"] = json!(by);
    }
    body
}

/// aimos: children under 14 need a guardian verified by `mobile_identity`; advertising by e-mail.
async fn aimos() -> Server {
    let policy = format!(
        "{}\n[[role]]\nkey = \"service\"\nlabel = \"service\"\nread = [\"user.*\"]\nwrite = [\"user.*\"]\nfull_view = [\"user.*\"]\nconsents = true\n[[role]]\nkey = \"support\"\nlabel = \"support\"\n",
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies/aimos.toml"))
            .unwrap()
            .replace("policy = \"guardian_consent\"\n", "policy = \"guardian_consent\"\nmethods = [\"mobile_identity\"]\n")
    );
    start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(policy),
            ..Setup::default()
        },
    )
    .await
    .unwrap()
}

/// A child of 9 whose guardian consented (verified), and who then consented to e-mail advertising
/// through the guardian.
async fn child_with_advertising(server: &Server) -> String {
    let service = server.keys.service.clone();
    let (status, created) = post(
        server,
        &service,
        "/v1/subjects",
        json!({"external_id": "kid", "kind": "member", "age": 9}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let child = created["id"].as_str().unwrap().to_string();
    let (status, answer) = post(
        server,
        &service,
        &format!("/v1/subjects/{child}/guardian"),
        json!({"granted": true, "evidence": {"method": "mobile_identity"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer) = post(
        server,
        &service,
        &format!("/v1/subjects/{child}/consents"),
        email(true, None, Some("guardian")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    child
}

async fn guardian_withdraws(server: &Server, child: &str) {
    let (status, answer) = post(
        server,
        &server.keys.service.clone(),
        &format!("/v1/subjects/{child}/guardian"),
        json!({"granted": false, "evidence": {"method": "mobile_identity"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

/// Withdrawing must never be harder than granting: once the guardian withdrew their own consent,
/// the child's advertising consent (given through the guardian) must still be withdrawable — by the
/// guardian or by the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_childs_advertising_consent_can_still_be_withdrawn_after_the_guardian_withdraws() {
    let server = aimos().await;
    let service = server.keys.service.clone();
    let child = child_with_advertising(&server).await;
    guardian_withdraws(&server, &child).await;
    let (status, answer) = post(
        &server,
        &service,
        &format!("/v1/subjects/{child}/consents"),
        email(false, None, Some("guardian")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the child's advertising consent is stuck on granted: {answer}"
    );
    let (_, verdict) = post(
        &server,
        &service,
        "/v1/marketing/check",
        json!({"subject": child, "channel": "email", "at": "2027-01-05T12:00:00+09:00"}),
    )
    .await;
    assert_eq!(verdict["allowed"], false, "{verdict}");
    server.stop().await;
}

/// A child can withdraw their own advertising consent: it only lessens what is done with their data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_can_withdraw_their_own_advertising_consent() {
    let server = aimos().await;
    let child = child_with_advertising(&server).await;
    let (status, answer) = post(
        &server,
        &server.keys.service.clone(),
        &format!("/v1/subjects/{child}/consents"),
        email(false, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    server.stop().await;
}

/// The guardian's consent is what makes the child's consents valid: once it is withdrawn, no
/// advertising goes to the child, and no read for the consent-based purpose passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advertising_to_a_child_stops_when_the_guardian_withdraws() {
    let server = aimos().await;
    let service = server.keys.service.clone();
    let child = child_with_advertising(&server).await;
    let item = format!("/v1/subjects/{child}/items/user.name");
    let (status, _) = server
        .json(
            Method::PUT,
            &item,
            &service,
            Some(json!({"value": "김아이"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    guardian_withdraws(&server, &child).await;
    let read = server
        .http
        .get(server.url(&item))
        .bearer_auth(&service)
        .header("x-vow-purpose", "marketing")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        StatusCode::FORBIDDEN,
        "a read for advertising passed after the guardian withdrew"
    );
    let (status, verdict) = post(
        &server,
        &service,
        "/v1/marketing/check",
        json!({"subject": child, "channel": "email", "at": "2027-01-05T12:00:00+09:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(
        verdict["allowed"], false,
        "advertising still allowed to a child whose guardian withdrew: {verdict}"
    );
    server.stop().await;
}

/// A grant that arrives late (an offline queue, a backfill, or a forger) must not undo a
/// withdrawal the person made after it: the ledger would say "withdrawn" last, the gate "allowed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backdated_grant_cannot_undo_a_later_withdrawal() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("late-grant").await;
    let path = format!("/v1/subjects/{s}/consents");
    let (status, _) = post(
        &server,
        &service,
        &path,
        email(true, Some(days_ago(10)), None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = post(&server, &service, &path, email(false, None, None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = post(
        &server,
        &service,
        &path,
        email(true, Some(days_ago(5)), None),
    )
    .await;
    assert!(
        status.is_client_error(),
        "a grant dated before the withdrawal was accepted: {status} {answer}"
    );
    let (_, verdict) = post(
        &server,
        &service,
        "/v1/marketing/check",
        json!({"subject": s, "channel": "email", "at": "2027-01-05T12:00:00+09:00"}),
    )
    .await;
    assert_eq!(verdict["rule"], "withdrawn", "{verdict}");
    // A withdrawal dated before the grant it withdraws would put the ledger out of order (issue
    // 23): refused by name. Dated now, a withdrawal always goes in.
    let (status, _) = post(&server, &service, &path, email(true, None, None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = post(
        &server,
        &service,
        &path,
        email(false, Some(days_ago(3)), None),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "out_of_order", "{answer}");
    let (status, answer) = post(&server, &service, &path, email(false, None, None)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    server.stop().await;
}

/// A notice cannot have been sent before the change it tells the person about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_cannot_be_marked_sent_before_its_change() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("early-notice").await;
    let (status, recorded) = post(
        &server,
        &service,
        &format!("/v1/subjects/{s}/consents"),
        email(true, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = recorded["id"].as_str().unwrap();
    let (status, answer) = post(
        &server,
        &service,
        &format!("/v1/consents/notices/{id}/sent"),
        json!({"at": days_ago(30)}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a notice dated 30 days before its change was accepted: {answer}"
    );
    server.stop().await;
}

/// Marking a notice sent changes the legal record (the 14-day duty is then met): the access log
/// must say which key did it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_a_notice_sent_is_in_the_access_log() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("logged-notice").await;
    let (_, recorded) = post(
        &server,
        &service,
        &format!("/v1/subjects/{s}/consents"),
        email(true, None, None),
    )
    .await;
    let id = recorded["id"].as_str().unwrap();
    let before = server.log_len().await;
    let (status, _) = post(
        &server,
        &service,
        &format!("/v1/consents/notices/{id}/sent"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        server.log_len().await > before,
        "a notice was marked sent and the access log holds nothing of it"
    );
    server.stop().await;
}

/// An age no person has is a mistake, as a birth date 150 years back is: it must not silently make
/// the person an adult.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_age_is_refused_not_taken_for_an_adult() {
    let server = aimos().await;
    let service = server.keys.service.clone();
    for age in [151, 200, 255] {
        let (status, answer) = post(
            &server,
            &service,
            "/v1/subjects",
            json!({"external_id": format!("old-{age}"), "kind": "member", "age": age}),
        )
        .await;
        assert!(
            status.is_client_error(),
            "age {age} was accepted as an adult: {status} {answer}"
        );
    }
    server.stop().await;
}

/// What held: the minor flag cannot be dodged by the shape of the date, and both fields at once are
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn birth_date_edges_hold() {
    let server = aimos().await;
    let service = server.keys.service.clone();
    let today = OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap())
        .date();
    let cases: Vec<(Value, StatusCode)> = vec![
        (json!({"birth_date": "2012-02-30"}), StatusCode::BAD_REQUEST),
        (json!({"birth_date": "2012-1-1"}), StatusCode::BAD_REQUEST),
        (
            json!({"birth_date": "9999-12-31"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"birth_date": "1800-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"birth_date": "1990-01-01", "age": 9}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"age": -1}), StatusCode::BAD_REQUEST),
        (json!({"age": 9.5}), StatusCode::BAD_REQUEST),
        (json!({"age": "30"}), StatusCode::BAD_REQUEST),
    ];
    for (i, (extra, expected)) in cases.into_iter().enumerate() {
        let mut body = json!({"external_id": format!("edge-{i}"), "kind": "member"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = post(&server, &service, "/v1/subjects", body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
    }
    // Born today is a child; the day before the 14th birthday still a child, on it an adult.
    for (born, minor) in [
        (today, true),
        (
            today
                .replace_year(today.year() - 14)
                .unwrap_or(today)
                .next_day()
                .unwrap(),
            true,
        ),
        (
            today.replace_year(today.year() - 14).unwrap_or(today),
            false,
        ),
    ] {
        let (status, created) = post(
            &server,
            &service,
            "/v1/subjects",
            json!({"external_id": format!("born-{born}"), "kind": "member", "birth_date": born.to_string()}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap();
        let (_, consents) = server
            .json(
                Method::GET,
                &format!("/v1/subjects/{id}/consents"),
                &service,
                None,
            )
            .await;
        assert_eq!(consents["minor"], minor, "born {born}");
    }
    server.stop().await;
}

/// A role that may not check advertising must be refused before the server reads (and buffers, and
/// parses) a campaign body of up to 96 MiB: otherwise any key — support's — makes the server hold
/// 96 MiB per connection, and 512 connections per address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_consents_is_refused_before_its_campaign_body_is_read() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let support = server.keys.support.clone();
    let address = server
        .base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/marketing/check HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {support}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{\"channel\":\"email\",\"subjects\":[",
        90 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
    let n = read
        .expect(
            "the server waited for the whole 90 MiB body before refusing a role without consents",
        )
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    server.stop().await;
}

/// The same for a keyless client (held: authentication runs before the body is read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyless_client_is_refused_before_its_campaign_body_is_read() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let address = server
        .base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/marketing/check HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{",
        90 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 401"));
    server.stop().await;
}

/// Racing grants of the same consent: one grant, the rest re-confirmations, one notice owed.
/// Racing withdrawals: one succeeds, the rest are told there is nothing to withdraw. (Held.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_grants_and_withdrawals_keep_one_story() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("race").await;
    let path = format!("/v1/subjects/{s}/consents");
    let grants = (0..16).map(|_| post(&server, &service, &path, email(true, None, None)));
    let answers = futures_util::future::join_all(grants).await;
    let mut changes: Vec<String> = answers
        .iter()
        .map(|(status, a)| {
            assert_eq!(*status, StatusCode::CREATED, "{a}");
            a["change"].as_str().unwrap().to_string()
        })
        .collect();
    changes.sort();
    assert_eq!(
        changes.iter().filter(|c| *c == "grant").count(),
        1,
        "{changes:?}"
    );
    let (_, owed) = server
        .json(Method::GET, "/v1/consents/notices", &service, None)
        .await;
    assert_eq!(owed["owed"].as_array().unwrap().len(), 1, "{owed}");
    let withdrawals = (0..16).map(|_| post(&server, &service, &path, email(false, None, None)));
    let answers = futures_util::future::join_all(withdrawals).await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|(status, _)| *status == StatusCode::CREATED || *status == StatusCode::CONFLICT));
    server.stop().await;
}

/// Malformed input on every new route: a clear 4xx, never a 5xx or a dropped connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_on_every_new_route_is_a_clear_4xx() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("malformed").await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"{".to_vec(),
        b"\xff\xfe{}".to_vec(),
        b"{\"a\":\"\xc3\x28\"}".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
        "{\"subjects\": [], \"channel\": \"email\"}".into(),
        "{\"subject\": \"\", \"channel\": \"\"}".into(),
        "{\"subject\": \"x\", \"channel\": \"email\", \"at\": \"-999999-01-01T00:00:00Z\"}".into(),
        "{\"subject\": \"x\", \"channel\": \"email\", \"at\": \"9999-12-31T23:59:60Z\"}".into(),
        "{\"granted\": true, \"evidence\": {\"method\": \"\\u0000\"}}".into(),
        "{\"purpose\": \"marketing\", \"channel\": \"email\", \"granted\": true, \"evidence\": {\"method\": \"x\"}, \"at\": \"1999-12-31T23:59:59Z\"}".into(),
        "{\"channel\": \"email\", \"body\": \"\"}".into(),
        "{\"at\": \"not a time\"}".into(),
    ];
    let routes = [
        format!("/v1/subjects/{s}/consents"),
        format!("/v1/subjects/{s}/guardian"),
        "/v1/marketing/check".to_string(),
        "/v1/marketing/format".to_string(),
        "/v1/consents/notices/con_nothing/sent".to_string(),
        "/v1/consents/notices/%FF/sent".to_string(),
        "/v1/subjects/%C3%28/consents".to_string(),
    ];
    for route in &routes {
        for body in &bodies {
            let (status, text) = server
                .call(Method::POST, route, Some(&service), Some(body.clone()))
                .await;
            assert!(
                status.is_client_error() || status.is_success(),
                "{route} {:?} → {status} {text}",
                String::from_utf8_lossy(body)
            );
            if status.is_client_error() {
                let _: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{route}: not JSON: {text}"));
            }
        }
    }
    for query in [
        "/v1/consents/due?days=-1",
        "/v1/consents/due?days=4294967295",
        "/v1/consents/due?limit=18446744073709551615",
        "/v1/consents/notices?limit=x",
        "/v1/events?after=-9223372036854775808&limit=0",
        "/v1/events?after=9223372036854775807",
        "/v1/events?limit=18446744073709551615",
        "/v1/subjects/%C3%28/consents",
    ] {
        let (status, text) = server.call(Method::GET, query, Some(&service), None).await;
        assert!(
            status.is_client_error() || status.is_success(),
            "{query} → {status} {text}"
        );
    }
    server.stop().await;
}

/// A webhook URL's query or user part may hold a token: a refused URL must not be quoted whole in
/// the error, which goes to the operator's terminal and logs.
#[test]
fn a_refused_webhook_url_is_not_quoted_with_its_token() {
    for url in [
        "http://hooks.example.com/vow?token=s3cr3t-t0ken",
        "http://user:s3cr3t-t0ken@hooks.example.com/vow",
        "ftp://user:s3cr3t-t0ken@hooks.example.com/vow",
    ] {
        let error = vow_server::WebhookConfig::new(url, vec![7; 32]).unwrap_err();
        assert!(
            !error.to_string().contains("s3cr3t-t0ken"),
            "the error quotes the secret: {error}"
        );
    }
}

/// The consent history holds the evidence, sealed with the subject's key as personal data is:
/// reading it is an access like any other read, and the access log must hold it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_subjects_consent_evidence_is_in_the_access_log() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("evidence-read").await;
    let path = format!("/v1/subjects/{s}/consents");
    let mut body = email(true, None, None);
    body["evidence"]["location"] =
        json!("https://imagesfactory.example/signup?ref=minji@example.com");
    let (status, _) = post(&server, &service, &path, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let before = server.log_len().await;
    let (status, consents) = server.json(Method::GET, &path, &service, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(consents["history"][0]["evidence"]["location"]
        .as_str()
        .unwrap()
        .contains("minji@example.com"));
    assert!(
        server.log_len().await > before,
        "sealed evidence was opened and read with no access-log entry"
    );
    server.stop().await;
}

/// A send time at the very end of the calendar (9999-12-31 after 15:00 UTC is already year 10000 in
/// Korea) must be refused or judged, never panic the worker and drop the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_time_at_the_end_of_the_calendar_does_not_panic() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let s = server.subject("end-of-time").await;
    for body in [
        json!({"subject": s, "channel": "email", "at": "9999-12-31T23:59:59Z"}),
        json!({"subjects": [s], "channel": "email", "at": "9999-12-31T20:00:00Z"}),
        json!({"subject": s, "channel": "email", "at": "9999-12-31T23:59:59-23:59"}),
    ] {
        let answer = server
            .http
            .post(server.url("/v1/marketing/check"))
            .bearer_auth(&service)
            .json(&body)
            .send()
            .await;
        let answer =
            answer.unwrap_or_else(|e| panic!("{body}: no answer ({e}): the worker panicked"));
        assert!(
            answer.status().is_success() || answer.status().is_client_error(),
            "{body} → {}",
            answer.status()
        );
    }
    server.stop().await;
}

/// A campaign comes in pages within the body limit of every route (issue 23: an 80 MB body took
/// 5.7 s and ~500 MB of memory per call): a body over the limit is refused at once, a page of
/// 5,000 is checked, one of 5,001 refused naming the page size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_is_checked_a_page_at_a_time_within_the_body_limit() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let ids = |n: usize| -> Vec<String> { (0..n).map(|i| format!("sub_{i:032x}")).collect() };
    let started = std::time::Instant::now();
    let huge =
        serde_json::to_vec(&json!({"subjects": ids(2_000_000), "channel": "email"})).unwrap();
    assert!(huge.len() > 75_000_000);
    let (status, answer) = server
        .call(
            Method::POST,
            "/v1/marketing/check",
            Some(&service),
            Some(huge),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (status, answer) = post(
        &server,
        &service,
        "/v1/marketing/check",
        json!({"subjects": ids(5_000), "channel": "email"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", answer["error"]);
    assert_eq!(answer["refused"], 5_000);
    let (status, answer) = post(
        &server,
        &service,
        "/v1/marketing/check",
        json!({"subjects": ids(5_001), "channel": "email"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("5000"),
        "{answer}"
    );
    server.stop().await;
}

/// Evidence is sealed with the subject's key because it can hold personal data (a guardian's phone
/// number typed where the method goes): an error about it must not quote it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_guardian_method_is_not_quoted_back() {
    let server = aimos().await;
    let service = server.keys.service.clone();
    let (_, created) = post(
        &server,
        &service,
        "/v1/subjects",
        json!({"external_id": "kid", "kind": "member", "age": 9}),
    )
    .await;
    let child = created["id"].as_str().unwrap();
    let (status, answer) = post(
        &server,
        &service,
        &format!("/v1/subjects/{child}/guardian"),
        json!({"granted": true, "evidence": {"method": "sms to 010-9876-5432"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !answer.to_string().contains("9876"),
        "the error quotes the evidence: {answer}"
    );
    server.stop().await;
}

/// A role without `consents` gets 403 and nothing else on every consent route (held).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_consents_gets_nothing_from_any_consent_route() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let service = server.keys.service.clone();
    let support = server.keys.support.clone();
    let s = server.subject("no-grant").await;
    let (_, recorded) = post(
        &server,
        &service,
        &format!("/v1/subjects/{s}/consents"),
        email(true, None, None),
    )
    .await;
    let con = recorded["id"].as_str().unwrap();
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/subjects/{s}/consents"), None),
        (
            Method::POST,
            format!("/v1/subjects/{s}/consents"),
            Some(email(false, None, None)),
        ),
        (
            Method::POST,
            format!("/v1/subjects/{s}/guardian"),
            Some(json!({"granted": true, "evidence": {"method": "x"}})),
        ),
        (
            Method::POST,
            "/v1/marketing/check".into(),
            Some(json!({"subject": s, "channel": "email"})),
        ),
        (
            Method::POST,
            "/v1/marketing/format".into(),
            Some(json!({"channel": "email", "body": "x"})),
        ),
        (Method::GET, "/v1/consents/due?days=9999".into(), None),
        (Method::GET, "/v1/consents/notices".into(), None),
        (
            Method::POST,
            format!("/v1/consents/notices/{con}/sent"),
            Some(json!({})),
        ),
        (Method::GET, "/v1/events".into(), None),
    ];
    for (method, path, body) in calls {
        let (status, answer) = server.json(method.clone(), &path, &support, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} → {answer}");
        assert!(
            !answer.to_string().contains(&s) || path.contains(&s),
            "{answer}"
        );
    }
    // Nothing changed: the consent stands, its notice is still owed.
    let (_, owed) = server
        .json(Method::GET, "/v1/consents/notices", &service, None)
        .await;
    assert_eq!(owed["owed"].as_array().unwrap().len(), 1);
    server.stop().await;
}
