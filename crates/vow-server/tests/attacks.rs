//! The vault attacked as someone holding an ordinary key would, over real HTTP on loopback, on both
//! backends: free text through the mask, guessing through lookup, export past the grants, the
//! lockout turned against valid keys, slow connections, and the small leaks of the HTTP layer.
//! Each test names the promise it holds the server to (ARCHITECTURE.md, "Threat model").
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/forms.rs"]
mod forms;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use forms::Person;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use vow_audit::{Review, ReviewOptions};

/// Every kind vow-pii knows, as it might be typed into an inquiry, with the parts of each that must
/// never reach a masked role.
const PLANTED: &[(&str, &[&str])] = &[
    ("minji.kim@example.com", &["minji.kim@", "minji.kim"]),
    ("010-2222-3333", &["2222-3333", "2222"]),
    (
        "4111-1111-1111-1111",
        &["1111-1111-1111", "4111111111111111"],
    ),
    ("900101-1234567", &["1234567"]),
    ("901231-1234563", &["1234563"]),
    ("900101-5000007", &["5000007"]),
    ("M12345678", &["12345678"]),
    ("11-19-123456-01", &["123456"]),
    ("220-81-62517", &["62517"]),
    ("국민은행 계좌 123456-01-234567", &["234567", "123456-01"]),
    ("건강보험증 번호 12345678901", &["12345678901", "5678901"]),
    ("+1 415 555 0132", &["555 0132", "415 555"]),
    ("from 192.168.10.23", &["192.168.10.23", "168.10"]),
    ("2001:db8::8a2e:370:7334", &["8a2e:370:7334"]),
    (
        "IBAN DE89 3704 0044 0532 0130 00",
        &["3704 0044", "0532 0130"],
    ),
    ("SSN 123-45-6789", &["45-6789", "6789"]),
    (
        "key sk-proj-abcdefghijklmnopqrstuvwx1234",
        &["abcdefghijklmnop"],
    ),
    ("AKIAIOSFODNN7EXAMPLE", &["IOSFODNN7"]),
];

async fn put(server: &Server, key: &str, id: &str, category: &str, value: &str) {
    let (status, body) = server
        .json(
            Method::PUT,
            &format!("/v1/subjects/{id}/items/{category}"),
            key,
            Some(json!({ "value": value })),
        )
        .await;
    assert!(status.is_success(), "{category}: {status} {body}");
}

async fn read(server: &Server, key: &str, id: &str, category: &str) -> (StatusCode, Value) {
    server
        .json(
            Method::GET,
            &format!("/v1/subjects/{id}/items/{category}"),
            key,
            None,
        )
        .await
}

// ---- 1. The mask

async fn free_text_reaches_a_masked_role_without_its_personal_data(server: &Server) {
    let id = server.subject("member-1").await;
    let inquiry = PLANTED
        .iter()
        .map(|(text, _)| format!("연락처는 {text} 입니다."))
        .collect::<Vec<_>>()
        .join(" ");
    put(
        server,
        &server.keys.service,
        &id,
        "user.content.inquiry",
        &inquiry,
    )
    .await;

    let (status, body) = read(server, &server.keys.support, &id, "user.content.inquiry").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["shown"], "masked");
    let shown = body["value"].as_str().unwrap();
    for (text, secrets) in PLANTED {
        for secret in *secrets {
            assert!(
                !shown.contains(secret),
                "{secret:?} of {text:?} shown: {shown}"
            );
        }
    }
    // The words around them stay, so support can still read the inquiry.
    assert!(shown.contains("연락처는"), "{shown}");
    assert!(shown.contains("입니다."), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_reaches_a_masked_role_without_its_personal_data_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    free_text_reaches_a_masked_role_without_its_personal_data(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_reaches_a_masked_role_without_its_personal_data_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    free_text_reaches_a_masked_role_without_its_personal_data(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_and_misshapen_values_are_hidden_whole() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let id = server.subject("member-1").await;
    let cases = [
        ("user.name", "L", "L"),
        ("user.contact.email", "k@example.com", "k@"),
        ("user.contact.email", "a@x.com, call 010-1234-5678", "1234"),
        ("user.contact.phone", "01012345678 1234", "1234"),
        ("user.contact.phone", "4111111111111111 12/27", "4111"),
    ];
    for (category, value, revealing) in cases {
        put(&server, &server.keys.service, &id, category, value).await;
        let (status, body) = read(&server, &server.keys.support, &id, category).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let shown = body["value"].as_str().unwrap();
        assert!(!shown.contains(revealing), "{value:?} shown as {shown:?}");
    }
    server.stop().await;
}

// ---- 2. Lookup

/// A desk role that sees phones masked but may look them up, slowly.
const DESK: &str = r#"
[[role]]
key = "desk"
label = { ko = "안내 데스크", en = "Front desk" }
read = ["user.contact.phone"]
lookup = ["user.contact.phone"]
lookups_per_minute = 25
"#;

async fn guessing_a_masked_phone_through_lookup_fails(server: &Server) {
    let id = server.subject("member-1").await;
    let secret_phone = "010-1234-0150";
    put(server, &server.keys.service, &id, PHONE, secret_phone).await;

    // Support sees the phone masked and has no lookup grant: every guess is refused outright.
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects?lookup={PHONE}:{secret_phone}"),
            &server.keys.support,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The desk may look up, but a run through the candidates meets the rate limit long before the
    // real number, and every refusal says when to come back.
    let desk = server.key_for("desk").await;
    let mut found = false;
    let mut limited = 0;
    for candidate in 0..200 {
        let (status, body) = server
            .call(
                Method::GET,
                &format!("/v1/subjects?lookup={PHONE}:010-1234-{candidate:04}"),
                Some(&desk),
                None,
            )
            .await;
        match status {
            StatusCode::OK => found |= body.contains(&id),
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!found, "the brute force found the subject");
    assert_eq!(limited, 200 - 25);

    // The monthly review shows the guessing as bulk lookups by that key.
    let entries = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 1_000_000)
        .await
        .unwrap();
    let now =
        time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let review = Review::build(
        entries.into_iter(),
        &ReviewOptions::for_month(now.year(), u8::from(now.month())),
    );
    let flagged: Vec<_> = review
        .bulk_lookups
        .iter()
        .filter(|b| b.role == "desk")
        .collect();
    assert_eq!(flagged.len(), 1, "{:?}", review.bulk_lookups);
    assert_eq!(flagged[0].unmatched, 25);
    assert!(!review.is_quiet());
    assert!(
        review.to_text().contains("25 found nobody"),
        "{}",
        review.to_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_masked_phone_through_lookup_fails_on_sqlite() {
    let setup = Setup {
        policy: Some(policy_with(DESK)),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    guessing_a_masked_phone_through_lookup_fails(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_masked_phone_through_lookup_fails_on_postgres() {
    let setup = Setup {
        policy: Some(policy_with(DESK)),
        ..Setup::default()
    };
    let Some(server) = start_with(Backend::Postgres, None, setup).await else {
        return;
    };
    guessing_a_masked_phone_through_lookup_fails(&server).await;
    server.stop().await;
}

/// A role that may check a PIN but not see it: each check is a guess, and draws on the same budget.
const HELPDESK: &str = r#"
[[role]]
key = "helpdesk"
label = { ko = "헬프데스크", en = "Helpdesk" }
read = ["user.credential.password"]
lookups_per_minute = 5
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_through_verify_meets_the_same_limit() {
    let setup = Setup {
        policy: Some(policy_with(HELPDESK)),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    let id = server.subject("member-1").await;
    put(
        &server,
        &server.keys.service,
        &id,
        "user.credential.password",
        "0031",
    )
    .await;
    let helpdesk = server.key_for("helpdesk").await;
    let path = format!("/v1/subjects/{id}/items/user.credential.password/verify");
    let (mut answered, mut limited, mut matched) = (0, 0, false);
    for pin in 0..40 {
        let (status, body) = server
            .json(
                Method::POST,
                &path,
                &helpdesk,
                Some(json!({"value": format!("{pin:04}")})),
            )
            .await;
        match status {
            StatusCode::OK => {
                answered += 1;
                matched |= body["match"] == true;
            }
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((answered, limited), (5, 35));
    assert!(!matched, "the guessing found the PIN");
    server.stop().await;
}

// ---- 3. Export

const NAME_EXPORTER: &str = r#"
[[role]]
key = "name_exporter"
label = { ko = "이름 반출", en = "Name export" }
read = ["user.name"]
export = true
"#;

async fn an_export_holds_exactly_what_the_role_may_read(server: &Server) {
    // Services do use e-mail addresses as their own ids: that too is masked for a masked role.
    let id = server.subject("gildong.hong@example.com").await;
    for (category, value) in [
        ("user.name", "홍길동"),
        (PHONE, "010-8765-4321"),
        ("user.contact.email", "gildong@example.com"),
        ("user.content.inquiry", "환불 문의 010-8765-4321"),
        ("user.credential.password", "correct horse battery"),
    ] {
        put(server, &server.keys.service, &id, category, value).await;
    }
    let exporter = server.key_for("name_exporter").await;
    let (status, export) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{id}/export"),
            &exporter,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    let items = export["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{export}");
    assert_eq!(items[0]["category"], "user.name");
    let (_, read) = read(server, &exporter, &id, "user.name").await;
    assert_eq!(items[0]["value"], read["value"]);
    assert_eq!(items[0]["shown"], "masked");
    let text = export.to_string();
    for leaked in ["8765", "gildong", "환불", "길동"] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }

    // The log records the categories the export could hold, not "everything".
    let entries = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 1_000_000)
        .await
        .unwrap();
    let logged = entries
        .iter()
        .rev()
        .find(|e| e.action == vow_audit::Action::Export)
        .unwrap();
    assert_eq!(logged.categories, vec!["user.name".to_string()]);

    // A role that may read everything in full still exports everything.
    let (_, full) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{id}/export"),
            &server.keys.officer,
            None,
        )
        .await;
    assert_eq!(full["items"].as_array().unwrap().len(), 5, "{full}");
    assert_eq!(full["external_id"], "gildong.hong@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_exactly_what_the_role_may_read_on_sqlite() {
    let setup = Setup {
        policy: Some(policy_with(NAME_EXPORTER)),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    an_export_holds_exactly_what_the_role_may_read(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_exactly_what_the_role_may_read_on_postgres() {
    let setup = Setup {
        policy: Some(policy_with(NAME_EXPORTER)),
        ..Setup::default()
    };
    let Some(server) = start_with(Backend::Postgres, None, setup).await else {
        return;
    };
    an_export_holds_exactly_what_the_role_may_read(&server).await;
    server.stop().await;
}

// ---- 7. Denial of service

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_guesses_lock_out_wrong_keys_but_never_a_valid_one() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = server
            .call(Method::GET, "/v1/keys", Some("vow_guess"), None)
            .await
            .0;
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Guessing from the address goes on being refused, slowly...
    let started = Instant::now();
    let (status, _) = server
        .call(Method::GET, "/v1/keys", Some("vow_another_guess"), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(started.elapsed() >= Duration::from_millis(1_900));
    // ...while a person behind the same address with a valid key is served, however the client
    // spells the scheme.
    let (status, body) = server
        .call(Method::GET, "/v1/keys", Some(&server.keys.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = server
        .http
        .get(server.url("/v1/keys"))
        .header("authorization", format!("BEARER {}", server.keys.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await;
}

/// Opens a connection that sends the start of a request and then nothing more.
fn slow_connection(server: &Server) -> std::net::TcpStream {
    slow_connection_with(server, b"GET /healthz HTTP/1.1\r\nHost: vow\r\nX-Slow: ")
}

fn slow_connection_with(server: &Server, first_bytes: &[u8]) -> std::net::TcpStream {
    let address = server
        .base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let _ = stream.write_all(first_bytes);
    stream
}

/// Whether the server closed the connection, waiting at most `patience`.
fn closed_by_server(stream: &mut std::net::TcpStream, patience: Duration) -> bool {
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_senders_are_cut_off_and_connections_are_capped() {
    let limits = vow_server::Limits {
        header_timeout: Duration::from_secs(1),
        max_connections: 40,
        ..vow_server::Limits::default()
    };
    let setup = Setup {
        limits: Some(limits),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    let started = Instant::now();
    let mut slow: Vec<_> = (0..120).map(|_| slow_connection(&server)).collect();
    // Beyond the cap a connection is closed at once, long before any timeout.
    let mut refused = 0;
    for stream in slow.iter_mut() {
        if closed_by_server(stream, Duration::from_millis(50)) {
            refused += 1;
        }
    }
    assert!(
        refused >= 80,
        "only {refused} of 120 over a cap of 40 were closed at once"
    );
    // The rest are closed once the header deadline passes.
    for stream in slow.iter_mut() {
        assert!(closed_by_server(stream, Duration::from_secs(5)));
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    // And the server still serves.
    let (status, body) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection_from_the_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = vow_server::Limits {
        max_connections: 100,
        max_connections_per_address: 10,
        ..vow_server::Limits::default()
    };
    let setup = Setup {
        limits: Some(limits),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    let mut flood: Vec<_> = (0..30).map(|_| slow_connection(&server)).collect();
    let mut refused = 0;
    for stream in flood.iter_mut() {
        if closed_by_server(stream, Duration::from_millis(50)) {
            refused += 1;
        }
    }
    assert!(
        refused >= 20,
        "only {refused} of 30 over a cap of 10 per address were closed"
    );

    // Another address is served while the first holds all it may.
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    other
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: vow\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    other.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(flood);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_not_spoken_so_a_quiet_connection_cannot_outlive_the_deadlines() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let mut stream = slow_connection_with(&server, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert!(closed_by_server(&mut stream, Duration::from_secs(3)));
    server.stop().await;
}

// ---- 8. The HTTP layer's small leaks

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_json_and_no_answer_is_cached() {
    let limits = vow_server::Limits {
        request_timeout: Duration::from_secs(1),
        ..vow_server::Limits::default()
    };
    let setup = Setup {
        limits: Some(limits),
        ..Setup::default()
    };
    let server = start_with(Backend::Sqlite, None, setup).await.unwrap();
    let id = server.subject("member-1").await;
    put(&server, &server.keys.service, &id, PHONE, "010-1111-2222").await;

    // 405 and 414 in the API's JSON shape.
    let (status, body) = server
        .call(Method::PATCH, "/v1/keys", Some(&server.keys.admin), None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "method_not_allowed"
    );
    let long = format!("/v1/subjects?lookup={PHONE}:{}", "1".repeat(10_000));
    let (status, body) = server
        .call(Method::GET, &long, Some(&server.keys.service), None)
        .await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "uri_too_long"
    );

    // A 404 does not reflect the id it was asked for.
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/sub_PLANTED7731/items/{PHONE}"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("PLANTED7731"), "{body}");

    // 408 when the body does not come.
    let address = server
        .base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "PUT /v1/subjects/{id}/items/{PHONE} HTTP/1.1\r\nHost: vow\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"val",
        server.keys.service
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"timeout\""), "{answer}");

    // Items and exports are never kept by a cache.
    for path in [
        format!("/v1/subjects/{id}/items/{PHONE}"),
        format!("/v1/subjects/{id}/export"),
    ] {
        let response = server
            .http
            .get(server.url(&path))
            .bearer_auth(&server.keys.officer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_does_not_tell_whose_external_id_it_is_and_blank_ids_are_refused() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let id = server.subject("member-1").await;
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/subjects",
            &server.keys.service,
            Some(json!({"external_id": "member-1", "kind": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!body.to_string().contains(&id), "{body}");
    for external_id in ["   ", "\u{1}member", "member\n2"] {
        let (status, body) = server
            .json(
                Method::POST,
                "/v1/subjects",
                &server.keys.service,
                Some(json!({"external_id": external_id, "kind": "member"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{external_id:?}: {body}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_servers_creating_one_external_id_answer_created_and_conflict() {
    let Some(first) = start(Backend::Postgres, None).await else {
        return;
    };
    let setup = Setup {
        postgres_schema: first.cleanup.as_ref().map(|(_, schema)| schema.clone()),
        key_file: Some(first.key_file.clone()),
        ..Setup::default()
    };
    let second = start_with(Backend::Postgres, None, setup).await.unwrap();
    let service_two = second.keys.service.clone();
    for n in 0..20 {
        let external_id = format!("raced-{n}");
        let body = json!({"external_id": external_id, "kind": "member"});
        let (a, b) = tokio::join!(
            first.json(
                Method::POST,
                "/v1/subjects",
                &first.keys.service,
                Some(body.clone())
            ),
            second.json(
                Method::POST,
                "/v1/subjects",
                &service_two,
                Some(body.clone())
            ),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{external_id}: {a:?} {b:?}"
        );
    }
    second.stop().await;
    first.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_lookup_as_a_query_and_the_common_errors() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (_, text) = server.call(Method::GET, "/openapi.json", None, None).await;
    let document: Value = serde_json::from_str(&text).unwrap();
    let lookup = &document["paths"]["/v1/subjects"]["get"];
    assert_eq!(lookup["parameters"][0]["name"], "lookup");
    assert_eq!(lookup["parameters"][0]["in"], "query");
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            for code in ["400", "401", "413", "429", "503"] {
                assert!(
                    operation["responses"].get(code).is_some(),
                    "{method} {path} does not document {code}"
                );
            }
        }
    }
    server.stop().await;
}

/// `X-Forwarded-For` is believed only from a proxy `--trusted-proxy` names, and then only its first
/// untrusted hop from the right: a client cannot give itself another address in the access log or
/// escape a per-address limit, and behind a real proxy each client is counted apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_trusted_proxy_names_the_client_to_the_log_and_the_limits() {
    async fn read_logged_from(server: &Server, id: &str, forwarded: &str) -> String {
        let response = server
            .http
            .get(server.url(&format!("/v1/subjects/{id}/items/{PHONE}")))
            .bearer_auth(&server.keys.service)
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        server
            .vault
            .store()
            .audit_newest()
            .await
            .unwrap()
            .unwrap()
            .source
    }
    // No trusted proxy: the header is the client's own word, and ignored.
    let plain = start(Backend::Sqlite, None).await.unwrap();
    let id = plain.subject("xff-1").await;
    put(&plain, &plain.keys.service, &id, PHONE, "010-5555-0101").await;
    assert_eq!(
        read_logged_from(&plain, &id, "203.0.113.7").await,
        "127.0.0.1"
    );
    plain.stop().await;

    // Behind a trusted proxy (the test connects from loopback): the client it names.
    let proxied = start_with(
        Backend::Sqlite,
        None,
        Setup {
            trusted_proxies: Some(vow_server::TrustedProxies::parse(&["127.0.0.1"]).unwrap()),
            privacy_limits: Some(vow_server::PrivacyLimits {
                codes_per_address: 1,
                codes_per_contact: 100,
                tries_per_address: 100,
            }),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let id = proxied.subject("xff-2").await;
    put(&proxied, &proxied.keys.service, &id, PHONE, "010-5555-0102").await;
    assert_eq!(
        read_logged_from(&proxied, &id, "203.0.113.7").await,
        "203.0.113.7"
    );
    // A client that sends its own header through the proxy is named by the proxy's entry.
    assert_eq!(
        read_logged_from(&proxied, &id, "6.6.6.6, 198.51.100.4").await,
        "198.51.100.4"
    );
    // The privacy center's limit per address counts each client apart.
    let ask = |forwarded: &'static str| ask_for_code(&proxied, forwarded, "nobody@example.com");
    assert_eq!(ask("203.0.113.20").await, StatusCode::OK);
    assert_eq!(ask("203.0.113.20").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(ask("203.0.113.21").await, StatusCode::OK, "another client");
    proxied.stop().await;
}

/// Asks the privacy center for a code for `contact`, through a trusted proxy that names the client
/// `forwarded`; the status of the answer.
async fn ask_for_code(server: &Server, forwarded: &str, contact: &str) -> StatusCode {
    let mut person = Person::new(server).with_header("x-forwarded-for", forwarded);
    let page = person.get("/privacy/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    person
        .post(
            "/privacy/verify",
            &[("csrf", &page.field("csrf")), ("contact", contact)],
        )
        .await
        .status
}

/// An address over its limit for codes is refused before the contact it typed is counted: asking
/// again and again from one address for someone's contact cannot use up that person's codes, so
/// they can still ask from their own address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_limit_uses_up_none_of_a_contacts_codes() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            trusted_proxies: Some(vow_server::TrustedProxies::parse(&["127.0.0.1"]).unwrap()),
            privacy_limits: Some(vow_server::PrivacyLimits {
                codes_per_address: 1,
                codes_per_contact: 2,
                tries_per_address: 100,
            }),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let victim = "victim@example.com";
    assert_eq!(
        ask_for_code(&server, "203.0.113.30", victim).await,
        StatusCode::OK
    );
    for _ in 0..3 {
        assert_eq!(
            ask_for_code(&server, "203.0.113.30", victim).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    // The contact has been counted once: its owner, elsewhere, still gets a code.
    assert_eq!(
        ask_for_code(&server, "198.51.100.31", victim).await,
        StatusCode::OK
    );
    // And its own limit still holds.
    assert_eq!(
        ask_for_code(&server, "198.51.100.32", victim).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    server.stop().await;
}
