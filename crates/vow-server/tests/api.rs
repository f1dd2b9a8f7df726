//! The API over real HTTP on loopback, against a real SQLite data directory and the real PostgreSQL
//! (`VOW_TEST_DATABASE_URL`; required when `VOW_REQUIRE_POSTGRES=1`).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn a_subject_lives_and_is_erased(server: &Server) {
    let id = server.subject("user-1").await;
    let item = format!("/v1/subjects/{id}/items/{PHONE}");
    let (status, body) = server
        .json(
            Method::PUT,
            &item,
            &server.keys.service,
            Some(json!({"value": "010-1234-5678"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!({"replaced": false}));
    let (status, body) = server
        .json(Method::GET, &item, &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"value": "010-1234-5678", "shown": "full"}));
    let (_, body) = server
        .json(Method::GET, &item, &server.keys.support, None)
        .await;
    assert_eq!(body, json!({"value": "010-****-5678", "shown": "masked"}));
    let (status, body) = server
        .json(
            Method::GET,
            "/v1/subjects?lookup=user.contact.phone:%2B82%2010-1234-5678",
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"subjects": [id]}));
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{id}/export"),
            &server.keys.officer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["category"], PHONE);
    assert_eq!(body["items"][0]["value"], "010-1234-5678");
    let (status, _) = server
        .json(
            Method::DELETE,
            &format!("/v1/subjects/{id}"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .json(Method::GET, &item, &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no_subject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_lives_and_is_erased_over_http_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    a_subject_lives_and_is_erased(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_lives_and_is_erased_over_http_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    a_subject_lives_and_is_erased(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_is_401_and_a_role_without_the_grant_is_403_with_no_data() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let id = server.subject("u1").await;
    let item = format!("/v1/subjects/{id}/items/{PHONE}");
    server
        .json(
            Method::PUT,
            &item,
            &server.keys.service,
            Some(json!({"value": "010-9999-0001"})),
        )
        .await;
    let (status, body) = server.call(Method::GET, &item, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("9999"));
    let (status, body) = server
        .call(Method::GET, &item, Some("vow_wrong"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("9999"));
    let (status, body) = server
        .call(Method::GET, &item, Some(&server.keys.admin), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("9999"), "{body}");
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{id}/export"),
            Some(&server.keys.support),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_masked_role_never_receives_a_full_value_in_any_response() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let id = server.subject("u1").await;
    let values = [
        (PHONE, "010-8765-4321", "8765"),
        (
            "user.contact.email",
            "masked.only@example.com",
            "masked.only",
        ),
        ("user.name", "홍길동", "길동"),
    ];
    for (category, value, _) in values {
        server
            .json(
                Method::PUT,
                &format!("/v1/subjects/{id}/items/{category}"),
                &server.keys.service,
                Some(json!({ "value": value })),
            )
            .await;
    }
    let support = Some(server.keys.support.as_str());
    let mut answers = Vec::new();
    for (category, value, _) in values {
        let item = format!("/v1/subjects/{id}/items/{category}");
        answers.push(server.call(Method::GET, &item, support, None).await.1);
        answers.push(
            server
                .call(
                    Method::PUT,
                    &item,
                    support,
                    Some(json!({ "value": value }).to_string().into_bytes()),
                )
                .await
                .1,
        );
        answers.push(
            server
                .call(
                    Method::GET,
                    &format!("/v1/subjects?lookup={category}:{value}"),
                    support,
                    None,
                )
                .await
                .1,
        );
    }
    answers.push(
        server
            .call(
                Method::GET,
                &format!("/v1/subjects/{id}/export"),
                support,
                None,
            )
            .await
            .1,
    );
    for answer in &answers {
        for (_, value, secret_part) in values {
            assert!(
                !answer.contains(value) && !answer.contains(secret_part),
                "{value} leaked: {answer}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_every_route_is_a_clear_4xx_and_changes_nothing() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let id = server.subject("u1").await;
    let item = format!("/v1/subjects/{id}/items/{PHONE}");
    server
        .json(
            Method::PUT,
            &item,
            &server.keys.service,
            Some(json!({"value": "010-1111-2222"})),
        )
        .await;
    let before = server.log_len().await;
    let key = Some(server.keys.service.as_str());
    // (method, path, body, expected status, expected error code)
    type Case = (Method, String, Option<Vec<u8>>, StatusCode, &'static str);
    let cases: Vec<Case> = vec![
        (
            Method::PUT,
            item.clone(),
            Some(b"{\"value\":".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PUT,
            item.clone(),
            Some(b"".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PUT,
            item.clone(),
            Some(b"{\"value\": 5}".to_vec()),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            Method::PUT,
            item.clone(),
            Some(b"{\"value\": \"x\", \"extra\": 1}".to_vec()),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            Method::PUT,
            item.clone(),
            Some(b"{\"value\": \"\xff\xfe\"}".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PUT,
            item.clone(),
            Some(b"{\"value\": \"\"}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::PUT,
            format!("/v1/subjects/{id}/items/user.bio"),
            Some(b"{\"value\": \"x\"}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (
            Method::PUT,
            "/v1/subjects/sub_nope/items/user.contact.phone".into(),
            Some(b"{\"value\": \"x\"}".to_vec()),
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::PUT,
            format!("/v1/subjects/{id}'%20OR%201=1--/items/{PHONE}"),
            Some(b"{\"value\": \"x\"}".to_vec()),
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::GET,
            format!("/v1/subjects/{id}/items/user.contact.phone';DROP%20TABLE%20items;--"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (
            Method::GET,
            format!("/v1/subjects/{id}/items/%FF%FE"),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        (
            Method::GET,
            "/v1/subjects/sub_nope/items/user.contact.phone".into(),
            None,
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::DELETE,
            "/v1/subjects/sub_nope".into(),
            None,
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::GET,
            "/v1/subjects/sub_nope/export".into(),
            None,
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::POST,
            "/v1/subjects".into(),
            Some(b"{\"external_id\": \"u2\", \"kind\": \"robot\"}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_kind",
        ),
        (
            Method::POST,
            "/v1/subjects".into(),
            Some(b"{\"external_id\": \"u1\", \"kind\": \"member\"}".to_vec()),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            Method::POST,
            "/v1/subjects".into(),
            Some(b"[]".to_vec()),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            Method::GET,
            "/v1/subjects?lookup=nocolon".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            Method::GET,
            "/v1/subjects".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            Method::GET,
            "/v1/subjects?lookup=user.name:x".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_lookup_key",
        ),
        (
            Method::POST,
            "/v1/keys".into(),
            Some(b"{\"role\": \"admin\"}".to_vec()),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            Method::GET,
            "/v1/nothing".into(),
            None,
            StatusCode::NOT_FOUND,
            "no_route",
        ),
    ];
    let refusals = cases
        .iter()
        .filter(|case| case.3 == StatusCode::FORBIDDEN)
        .count();
    for (method, path, body, status, code) in cases {
        let (got, text) = server.call(method.clone(), &path, key, body).await;
        assert_eq!(got, status, "{method} {path}: {text}");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
        assert_eq!(body["error"], code, "{method} {path}: {text}");
        assert!(!text.contains("1111-2222"), "{text}");
    }
    // A body over the limit: the server may answer before reading it all and close, so it goes over
    // a raw connection that reads the answer after its writes fail.
    let huge = format!("{{\"value\": \"{}\"}}", "9".repeat(1024 * 1024));
    let head = format!(
        "PUT {item} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.keys.service,
        huge.len()
    );
    let base = server.base.clone();
    let (status, text) = tokio::task::spawn_blocking(move || {
        raw_request(
            &base,
            &head,
            huge.as_bytes(),
            std::time::Duration::from_secs(10),
        )
    })
    .await
    .unwrap()
    .expect("no answer to an oversized body");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE.as_u16(), "{text}");
    assert!(text.contains("\"body_too_large\""), "{text}");
    // Nothing but the refused attempts (403) is written: they are denials, logged as such.
    let logged = server
        .vault
        .store()
        .audit_page(
            vow_store::Position {
                chain: 0,
                seq: before as u64,
            },
            1_000,
        )
        .await
        .unwrap();
    assert_eq!(
        logged.len(),
        refusals,
        "bad requests wrote to the log: {logged:?}"
    );
    assert!(
        logged.iter().all(|e| e.action == vow_audit::Action::Denied),
        "{logged:?}"
    );
    let (_, body) = server
        .json(Method::GET, &item, &server.keys.officer, None)
        .await;
    assert_eq!(body["value"], "010-1111-2222", "the item is unchanged");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_values_are_not_in_the_raw_database_files_or_wal() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let planted = ["planted-7g3k@example.org", "010-4477-1290"];
    let id = server.subject("planted").await;
    for (category, value) in ["user.contact.email", PHONE].into_iter().zip(planted) {
        server
            .json(
                Method::PUT,
                &format!("/v1/subjects/{id}/items/{category}"),
                &server.keys.service,
                Some(json!({ "value": value })),
            )
            .await;
        server
            .json(
                Method::GET,
                &format!("/v1/subjects/{id}/items/{category}"),
                &server.keys.officer,
                None,
            )
            .await;
    }
    let data = server.data.clone().unwrap();
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            raw.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(!raw.is_empty());
    for value in planted {
        assert!(
            !raw.windows(value.len()).any(|w| w == value.as_bytes()),
            "{value} is on disk in plaintext"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_health_and_metrics_are_served_without_a_key() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let (status, text) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_str(&text).unwrap();
    for path in [
        "/v1/subjects",
        "/v1/subjects/{id}/items/{category}",
        "/v1/subjects/{id}/export",
        "/v1/keys",
        "/v1/subjects/{id}/consents",
        "/v1/subjects/{id}/guardian",
        "/v1/marketing/check",
        "/v1/marketing/format",
        "/v1/consents/due",
        "/v1/consents/notices",
        "/v1/consents/notices/{id}/sent",
        "/v1/events",
        "/v1/subjects/{id}/records/{category}",
        "/v1/subjects/{id}/records",
        "/v1/subjects/{id}/events",
        "/v1/subjects/{id}/separated",
        "/v1/destructions",
        "/v1/provisions",
        "/v1/requests",
        "/v1/requests/{id}",
    ] {
        assert!(document["paths"][path].is_object(), "{path} missing");
    }
    // The consent body's fields are documented by name.
    let consent = &document["components"]["schemas"]["ConsentBody"]["properties"];
    for field in [
        "purpose", "channel", "night", "granted", "evidence", "at", "by",
    ] {
        assert!(
            consent[field].is_object(),
            "ConsentBody.{field} undocumented"
        );
    }
    let (status, _) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, metrics) = server.call(Method::GET, "/metrics", None, None).await;
    assert!(
        metrics.contains(
            "vow_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_13_only_serves_tls_13_and_refuses_tls_12() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let server = start(
        Backend::Sqlite,
        Some(vow_server::Tls {
            cert,
            key,
            tls13_only: true,
        }),
    )
    .await
    .unwrap();
    let trusting = |max: Option<reqwest::tls::Version>| {
        let mut builder =
            reqwest::Client::builder()
                .tls_certs_only([
                    reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
                ]);
        if let Some(max) = max {
            builder = builder.tls_version_max(max);
        }
        builder.build().unwrap()
    };
    let ok = trusting(None)
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let refused = trusting(Some(reqwest::tls::Version::TLS_1_2))
        .get(server.url("/healthz"))
        .send()
        .await;
    assert!(refused.is_err(), "a TLS 1.2 client was served");
    server.stop().await;
}

/// A 403 to a known key is in the access log as `denied`, with the method and the route's template;
/// never the concrete path (a subject id, a category) or the query (a looked-up value). 401s and
/// other refusals are not denials.
async fn refused_attempts_are_logged_with_the_route_template_and_never_a_value(server: &Server) {
    let id = server.subject("u1").await;
    let item = format!("/v1/subjects/{id}/items/{PHONE}");
    server
        .json(
            Method::PUT,
            &item,
            &server.keys.service,
            Some(json!({"value": "010-9999-0001"})),
        )
        .await;
    let before = server.log_len().await;
    let support = Some(server.keys.support.as_str());
    for (method, path, key) in [
        (Method::GET, format!("/v1/subjects/{id}/export"), support),
        (
            Method::GET,
            "/v1/subjects?lookup=user.contact.phone:010-9999-0001".to_string(),
            support,
        ),
        (Method::GET, item.clone(), Some(server.keys.admin.as_str())),
        (Method::DELETE, format!("/v1/subjects/{id}"), support),
    ] {
        let (status, body) = server.call(method.clone(), &path, key, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
    }
    // Not denials: no key (401), a subject that does not exist (404).
    let (status, _) = server.call(Method::GET, &item, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/sub_nobody/items/{PHONE}"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let entries = server
        .vault
        .store()
        .audit_page(
            vow_store::Position {
                chain: 0,
                seq: before as u64,
            },
            1_000,
        )
        .await
        .unwrap();
    let denied: Vec<(String, Vec<String>)> = entries
        .iter()
        .filter(|e| e.action == vow_audit::Action::Denied)
        .map(|e| (e.role.clone(), e.categories.clone()))
        .collect();
    assert_eq!(
        denied,
        vec![
            (
                "support".into(),
                vec!["GET /v1/subjects/{id}/export".into()]
            ),
            ("support".into(), vec!["GET /v1/subjects".into()]),
            (
                "admin".into(),
                vec!["GET /v1/subjects/{id}/items/{category}".into()]
            ),
            ("support".into(), vec!["DELETE /v1/subjects/{id}".into()]),
        ]
    );
    assert_eq!(entries.len(), denied.len(), "only the denials were logged");
    for entry in &entries {
        // The hashes are random hex and may hold "9999" by chance: only the recorded fields count.
        let mut fields = serde_json::to_value(entry).unwrap();
        if let Some(map) = fields.as_object_mut() {
            map.remove("hash");
            map.remove("prev_hash");
        }
        let text = fields.to_string();
        assert!(
            !text.contains("9999") && !text.contains(&id) && !text.contains(PHONE),
            "a value or a concrete path in the log: {text}"
        );
    }
    // The monthly review counts them per key.
    let all = server
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 1_000)
        .await
        .unwrap();
    let now =
        time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let review = vow_audit::Review::build(
        all.into_iter(),
        &vow_audit::ReviewOptions::for_month(now.year(), u8::from(now.month())),
    );
    let attempts: Vec<u64> = review.denied.iter().map(|d| d.attempts).collect();
    assert_eq!(attempts.iter().sum::<u64>(), 4, "{:?}", review.denied);
    assert_eq!(
        review.denied.len(),
        2,
        "one line per key: {:?}",
        review.denied
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_are_logged_with_the_route_template_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    refused_attempts_are_logged_with_the_route_template_and_never_a_value(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_are_logged_with_the_route_template_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    refused_attempts_are_logged_with_the_route_template_and_never_a_value(&server).await;
    server.stop().await;
}
