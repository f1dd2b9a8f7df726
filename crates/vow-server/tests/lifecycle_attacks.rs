//! A reviewer's attacks on retention, rights requests, uploads and the provision log, over real HTTP:
//! each test asserts the safe behaviour, so it fails while the hole it probes is open.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    file_and_complete, now_ms, put, record, rfc3339, start, start_with, Backend, Server, Setup,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use vow_engine::Caller;

const DAY_MS: i64 = 86_400_000;

async fn upload(server: &Server, subject: &str, category: &str, bytes: Vec<u8>) -> String {
    let response = server
        .http
        .post(server.url(&format!("/v1/subjects/{subject}/uploads/{category}")))
        .bearer_auth(&server.keys.service)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn raw_files(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                all.extend(raw_files(&path));
            } else {
                all.extend(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    all
}

/// The service (full view, export) after the subject asked to stop processing: every read path it
/// has — item, records, upload, export — is refused, and none carries the value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restriction_stops_every_read_path_export_included() {
    let policy = std::fs::read_to_string(common::POLICY).unwrap().replace(
        r#"rights = ["access", "rectification", "erasure", "consent_withdrawal"]"#,
        r#"rights = ["access", "rectification", "erasure", "consent_withdrawal", "restriction"]"#,
    );
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(policy),
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-restricting").await;
    put(&server, &member, "user.contact.phone", "010-5555-1212").await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order RESTRICTED-ORDER-77",
        now_ms() - DAY_MS,
    )
    .await;
    let image = upload(
        &server,
        &member,
        "user.content.generated_image",
        b"RESTRICTED-IMAGE-BYTES".repeat(10),
    )
    .await;
    file_and_complete(
        &server,
        json!({"subject": member, "type": "restriction", "verification": {"method": "logged_in_session"}}),
    )
    .await;
    for path in [
        format!("/v1/subjects/{member}/items/user.contact.phone"),
        format!("/v1/subjects/{member}/records"),
        format!("/v1/subjects/{member}/export"),
        format!("/v1/subjects/{member}/uploads/user.content.generated_image/{image}"),
    ] {
        let (status, body) = server
            .call(Method::GET, &path, Some(&server.keys.service), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        for planted in ["5555", "RESTRICTED-ORDER", "RESTRICTED-IMAGE"] {
            assert!(!body.contains(planted), "{path} gave {planted}: {body}");
        }
    }
    // Nor is the subject found by lookup for use.
    let lookup = "/v1/subjects?lookup=user.contact.phone:010-5555-1212";
    let (status, found) = server
        .json(Method::GET, lookup, &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(!found.to_string().contains(&member), "{found}");
    // The officer, who answers the request, still reads.
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/export"),
            Some(&server.keys.officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

/// A rectification marks a value as neither used nor given from the moment it is filed: an export
/// by the service must not give it either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_under_correction_is_not_given_in_an_export() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-correcting").await;
    put(&server, &member, "user.contact.phone", "010-4321-8765").await;
    put(&server, &member, "user.name", "정정대상").await;
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": member, "type": "rectification",
                        "categories": ["user.contact.phone"],
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/export"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !body.contains("4321-8765"),
        "the contested value went out: {body}"
    );
    // The rest of the export is still given.
    assert!(body.contains("정정대상"), "{body}");
    server.stop().await;
}

/// Rectification of a record category (an order) marks nothing: records of that category are still
/// read and given while the request is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_under_correction_are_not_given() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-correcting-order").await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order WRONG-AMOUNT-1",
        now_ms() - DAY_MS,
    )
    .await;
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": member, "type": "rectification",
                        "categories": ["user.financial.order"],
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (_, body) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/records"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert!(!body.contains("WRONG-AMOUNT"), "{body}");
    server.stop().await;
}

/// The service's plain erasure (`DELETE /v1/subjects/{id}`) destroys records a law still requires
/// (the e-commerce act's five years) and writes no line of the destruction ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_erasure_does_not_destroy_what_a_law_still_requires() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-deleted").await;
    put(&server, &member, "user.contact.email", "held@example.com").await;
    put(
        &server,
        &member,
        "user.credential.password",
        "Gone-Passw0rd!",
    )
    .await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order 5 years",
        now_ms() - DAY_MS,
    )
    .await;
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("/v1/subjects/{member}"),
            Some(&server.keys.service),
            None,
        )
        .await;
    // Either refused, or what the law requires is kept apart for the officer.
    if status.is_success() {
        let response = server
            .http
            .get(server.url(&format!("/v1/subjects/{member}/separated")))
            .bearer_auth(&server.keys.officer)
            .header("x-vow-reason", "전자상거래법 분쟁 대응")
            .send()
            .await
            .unwrap();
        let separated: Value = response.json().await.unwrap();
        assert!(
            separated["separated"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|r| r["category"] == "user.financial.order")),
            "the order required by law is gone: {separated}"
        );
        let (_, ledger) = server
            .json(Method::GET, "/v1/destructions", &server.keys.officer, None)
            .await;
        let lines = ledger["destructions"].as_array().unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l["category"] == "user.credential.password" && l["rule"] == "erasure"),
            "the password was destroyed without a ledger line: {ledger}"
        );
        // What was kept is said in the answer.
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("contract_records"), "{body}");
    } else {
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    server.stop().await;
}

/// Roles without `requests`, `separated` or `erase` are refused each capability, with no data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_without_the_grants_cannot_move_requests_or_read_logs() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-grants").await;
    put(&server, &member, "user.contact.email", "grants@example.com").await;
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.support,
            Some(json!({"subject": member, "type": "erasure", "verification": {"method": "phone_call", "by": "agent 7"}})),
        )
        .await;
    // Support may file: it may write.
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_str().unwrap();
    for key in [
        &server.keys.service,
        &server.keys.support,
        &server.keys.admin,
    ] {
        for action in [
            json!({"action": "complete"}),
            json!({"action": "start"}),
            json!({"action": "refuse", "reason": "x", "objection": "y"}),
        ] {
            let (status, body) = server
                .json(
                    Method::POST,
                    &format!("/v1/requests/{id}"),
                    key,
                    Some(action),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        }
        for path in [
            "/v1/requests".to_string(),
            format!("/v1/requests/{id}"),
            "/v1/destructions".to_string(),
            "/v1/provisions".to_string(),
            format!("/v1/subjects/{member}/separated"),
        ] {
            let (status, body) = server.call(Method::GET, &path, Some(key), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
    }
    // Nothing was erased.
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.email"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Support cannot start clocks that end in destruction.
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.support,
            Some(json!({"event": "account_closure"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The admin reads nothing through records or uploads.
    for path in [
        format!("/v1/subjects/{member}/records"),
        format!("/v1/subjects/{member}/uploads"),
    ] {
        let (status, body) = server
            .call(Method::GET, &path, Some(&server.keys.admin), None)
            .await;
        assert!(
            status == StatusCode::FORBIDDEN
                || status == StatusCode::NOT_IMPLEMENTED
                || (status == StatusCode::OK && !body.contains("grants@")),
            "{path}: {status} {body}"
        );
    }
    server.stop().await;
}

/// The ledger, the request's detail, the events and the provision log never carry a value; the
/// records and uploads are not in the raw files in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_value_reaches_the_ledger_requests_events_provisions_or_raw_files() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-planted").await;
    put(
        &server,
        &member,
        "user.contact.email",
        "planted-mail@example.com",
    )
    .await;
    put(
        &server,
        &member,
        "user.credential.password",
        "Planted-Passw0rd!",
    )
    .await;
    record(
        &server,
        &member,
        "user.financial.order",
        "PLANTED-ORDER-4242",
        now_ms() - DAY_MS,
    )
    .await;
    record(
        &server,
        &member,
        "user.device.ip_address",
        "198.51.100.77",
        now_ms() - 200 * DAY_MS,
    )
    .await;
    upload(
        &server,
        &member,
        "user.content.generated_image",
        b"PLANTED-UPLOAD-CONTENT".repeat(5000),
    )
    .await;
    // Raw files before anything is destroyed.
    let mut raw = raw_files(server.data.as_ref().unwrap());
    raw.extend(raw_files(server.uploads.as_ref().unwrap()));
    for planted in [
        "planted-mail@example.com",
        "PLANTED-ORDER-4242",
        "198.51.100.77",
        "PLANTED-UPLOAD-CONTENT",
        "Planted-Passw0rd!",
    ] {
        assert!(!contains(&raw, planted.as_bytes()), "{planted} on disk");
    }
    let answer = file_and_complete(
        &server,
        json!({"subject": member, "type": "erasure", "verification": {"method": "mobile_identity"}}),
    )
    .await;
    let (_, ledger) = server
        .call(
            Method::GET,
            "/v1/destructions",
            Some(&server.keys.officer),
            None,
        )
        .await;
    let (_, requests) = server
        .call(
            Method::GET,
            "/v1/requests?state=all",
            Some(&server.keys.officer),
            None,
        )
        .await;
    let (_, events) = server
        .call(Method::GET, "/v1/events", Some(&server.keys.officer), None)
        .await;
    let (_, provisions) = server
        .call(
            Method::GET,
            "/v1/provisions",
            Some(&server.keys.officer),
            None,
        )
        .await;
    for text in [
        answer.to_string(),
        ledger.clone(),
        requests.clone(),
        events,
        provisions,
    ] {
        for planted in [
            "planted-mail",
            "PLANTED-ORDER",
            "198.51.100.77",
            "PLANTED-UPLOAD",
            "Planted-Passw0rd",
        ] {
            assert!(!text.contains(planted), "{planted} in {text}");
        }
    }
    assert!(ledger.contains("erasure_request"), "{ledger}");
    server.stop().await;
}

/// Hostile bodies, queries and times on each new route get a 4xx, never a 500, and the server lives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_on_the_new_routes_gets_a_4xx() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-hostile").await;
    let huge = format!("{{\"value\": \"{}\"}}", "x".repeat(400 * 1024)).into_bytes();
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let bodies: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00garbage".to_vec(),
        b"{\"value\": \"\xc3\x28\"}".to_vec(),
        b"{\"value\": \"nul\\u0000byte\"}".to_vec(),
        b"{\"value\": 12}".to_vec(),
        b"{\"value\": \"v\", \"at\": \"+275760-09-13T00:00:00Z\"}".to_vec(),
        b"{\"value\": \"v\", \"at\": \"9999-12-31T23:59:59Z\"}".to_vec(),
        b"{\"value\": \"v\", \"at\": \"1970-01-01T00:00:00Z\"}".to_vec(),
        b"{\"value\": \"v\", \"at\": \"1999-12-31T23:59:59+09:00\"}".to_vec(),
        b"{\"event\": \"account_closure\", \"at\": \"1999-01-01T00:00:00Z\"}".to_vec(),
        b"{\"event\": \"collection\"}".to_vec(),
        b"{\"event\": \"../../etc/passwd\"}".to_vec(),
        b"{\"subject\": 1, \"type\": []}".to_vec(),
        b"{\"recipient\": \"stripe\", \"categories\": [], \"count\": -1}".to_vec(),
        b"{\"recipient\": \"x\", \"categories\": [\"user.name\"], \"count\": 9223372036854775807}"
            .to_vec(),
        b"{\"action\": \"complete\", \"extra\": 1}".to_vec(),
        b"{\"processed\": \"yes\"}".to_vec(),
        huge,
        nested,
        Vec::new(),
    ];
    let routes = [
        (
            Method::POST,
            format!("/v1/subjects/{member}/records/user.financial.order"),
        ),
        (
            Method::POST,
            format!("/v1/subjects/{member}/records/user.nope"),
        ),
        (Method::POST, format!("/v1/subjects/{member}/events")),
        (Method::POST, "/v1/subjects/sub_nobody/events".to_string()),
        (Method::POST, "/v1/requests".to_string()),
        (Method::POST, "/v1/requests/req_nobody".to_string()),
        (Method::POST, "/v1/provisions".to_string()),
        (
            Method::PATCH,
            format!("/v1/subjects/{member}/uploads/user.content.generated_image/upl_nobody"),
        ),
    ];
    for (method, path) in &routes {
        for body in &bodies {
            let (status, text) = server
                .call(
                    method.clone(),
                    path,
                    Some(&server.keys.service),
                    Some(body.clone()),
                )
                .await;
            assert!(
                status.is_client_error(),
                "{method} {path} with {:?}: {status} {text}",
                String::from_utf8_lossy(&body[..body.len().min(80)])
            );
            assert!(
                serde_json::from_str::<Value>(&text).is_ok(),
                "not JSON: {text}"
            );
        }
    }
    for path in [
        "/v1/destructions?limit=18446744073709551616",
        "/v1/destructions?after=-9223372036854775808&limit=0",
        "/v1/destructions?after=abc",
        "/v1/provisions?limit=-1",
        "/v1/requests?state=%00",
        "/v1/requests/..%2F..%2Fetc",
        "/v1/requests/%ff",
    ] {
        let (status, text) = server
            .call(Method::GET, path, Some(&server.keys.officer), None)
            .await;
        assert!(
            status.is_client_error() || status == StatusCode::OK,
            "{path}: {status} {text}"
        );
        assert!(
            status != StatusCode::OK || !text.contains("error"),
            "{path}: {text}"
        );
    }
    for id in [
        "upl_..%2F..%2Fdata%2Fvow.db",
        "..%2Fdata%2Fvow.db",
        "upl_%2e%2e",
        ".partial-upl_x",
        "upl_%c3%a9",
        "%ff",
    ] {
        let (status, text) = server
            .call(
                Method::GET,
                &format!("/v1/subjects/{member}/uploads/user.content.generated_image/{id}"),
                Some(&server.keys.service),
                None,
            )
            .await;
        assert!(status.is_client_error(), "{id}: {status} {text}");
    }
    // Uploads: an undeclared category, a hostile media type, a role that may not write.
    for (category, content_type, key) in [
        ("user.nope", "image/png", &server.keys.service),
        (
            "user.content.generated_image",
            "image/png\"><script>",
            &server.keys.service,
        ),
        ("user.content.generated_image", "", &server.keys.service),
        (
            "user.content.generated_image",
            "image/png",
            &server.keys.support,
        ),
        ("../../etc", "image/png", &server.keys.service),
    ] {
        let response = server
            .http
            .post(server.url(&format!("/v1/subjects/{member}/uploads/{category}")))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(b"data".to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_client_error(),
            "{category} {content_type}: {status}"
        );
    }
    // Nothing was stored for the member, and the server still answers.
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/records"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["records"], json!([]), "{body}");
    let (_, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/uploads"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(body["uploads"], json!([]), "{body}");
    let leftovers: Vec<_> = std::fs::read_dir(server.uploads.as_ref().unwrap())
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    server.stop().await;
}

/// The sweeper at the ends of time: no panic, and each piece destroyed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_survives_extreme_times_and_destroys_each_piece_once() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-extreme").await;
    put(
        &server,
        &member,
        "user.contact.email",
        "extreme@example.com",
    )
    .await;
    put(
        &server,
        &member,
        "user.credential.password",
        "Extr3me-Passw0rd!",
    )
    .await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order extreme",
        now_ms() - DAY_MS,
    )
    .await;
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure", "at": rfc3339(now_ms() - 1000)})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let operator = Caller::operator(Some("attack".into()));
    for as_of in [i64::MIN, -1, 0, 946_684_800_000] {
        let report = server
            .vault
            .sweep(&operator, as_of, false, |_| {})
            .await
            .unwrap();
        assert_eq!(report.destroyed, 0, "as of {as_of}: {report:?}");
    }
    let first = server
        .vault
        .sweep(&operator, now_ms(), false, |_| {})
        .await
        .unwrap();
    let again = server
        .vault
        .sweep(&operator, now_ms(), false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        again.destroyed + again.separated,
        0,
        "{first:?} then {again:?}"
    );
    let last = server
        .vault
        .sweep(&operator, i64::MAX, false, |_| {})
        .await
        .unwrap();
    let after = server
        .vault
        .sweep(&operator, i64::MAX, false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        after.destroyed + after.separated,
        0,
        "{last:?} then {after:?}"
    );
    let lines = server
        .vault
        .destruction_ledger(&operator, 0, 10_000)
        .await
        .unwrap();
    let total: i64 = lines
        .iter()
        .filter(|l| l.storage != "subject_key")
        .map(|l| l.count)
        .sum();
    assert_eq!(total as u64, first.destroyed + last.destroyed, "{lines:?}");
    server.stop().await;
}

/// A role granted `separated` but only some categories sees, of what is kept apart, only those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separated_storage_gives_only_the_categories_the_role_may_read() {
    let policy = common::policy_with(
        r#"
[[role]]
key = "order_auditor"
label = { ko = "주문 감사", en = "Order auditor" }
separated = true
read = ["user.financial.*"]
"#,
    );
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(policy),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let auditor = server.key_for("order_auditor").await;
    let member = server.subject("member-audited").await;
    put(
        &server,
        &member,
        "user.contact.email",
        "kept-apart@example.com",
    )
    .await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order AUDITED-1",
        now_ms() - DAY_MS,
    )
    .await;
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure", "at": rfc3339(now_ms() - 1000)})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    server
        .vault
        .sweep(&Caller::operator(None), now_ms(), false, |_| {})
        .await
        .unwrap();
    let response = server
        .http
        .get(server.url(&format!("/v1/subjects/{member}/separated")))
        .bearer_auth(&auditor)
        .header("x-vow-reason", "전자상거래법 분쟁 대응")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let categories: Vec<&str> = body["separated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["user.financial.order"], "{body}");
    assert!(!body.to_string().contains("kept-apart"), "{body}");
    server.stop().await;
}

/// Periods and times at the ends of the range neither panic nor wrap into the past.
#[test]
fn retention_periods_at_the_ends_of_time_saturate() {
    use vow_engine::retention::add_period;
    use vow_policy::model::Period;
    for at in [
        i64::MIN,
        -1,
        0,
        946_684_800_000,
        253_402_300_799_999,
        i64::MAX,
    ] {
        for period in [
            Period::Hours(u32::MAX),
            Period::Days(u32::MAX),
            Period::Months(u32::MAX),
            Period::Years(u32::MAX),
            Period::Hours(0),
            Period::Years(0),
        ] {
            let end = add_period(at, period);
            assert!(end >= at, "{at} + {period:?} = {end}");
        }
    }
}

/// What moved apart, or went at the subject's request, is no longer found by lookup, and the
/// upload's file leaves the disk with its key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_moved_apart_or_was_erased_is_not_found_and_its_files_are_gone() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-apart").await;
    put(&server, &member, "user.contact.email", "apart@example.com").await;
    record(
        &server,
        &member,
        "user.financial.order",
        "order apart",
        now_ms() - DAY_MS,
    )
    .await;
    upload(
        &server,
        &member,
        "user.content.generated_image",
        b"image".repeat(100),
    )
    .await;
    let lookup = "/v1/subjects?lookup=user.contact.email:apart@example.com";
    let (status, found) = server
        .json(Method::GET, lookup, &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(found.to_string().contains(&member), "{found}");
    let answer = file_and_complete(
        &server,
        json!({"subject": member, "type": "erasure", "verification": {"method": "mobile_identity"}}),
    )
    .await;
    // The e-mail is kept apart under the e-commerce act, the order too; the image went.
    assert_eq!(
        answer["answer"]["kept_by_rule"]["contract_records"], 2,
        "{answer}"
    );
    let (status, found) = server
        .json(Method::GET, lookup, &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(!found.to_string().contains(&member), "{found}");
    let files: Vec<_> = std::fs::read_dir(server.uploads.as_ref().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(files.is_empty(), "{files:?}");
    // Nothing of it reads through the ordinary routes any more.
    for path in [
        format!("/v1/subjects/{member}/items/user.contact.email"),
        format!("/v1/subjects/{member}/records"),
        format!("/v1/subjects/{member}/uploads"),
        format!("/v1/subjects/{member}/export"),
    ] {
        let (_, body) = server
            .call(Method::GET, &path, Some(&server.keys.service), None)
            .await;
        assert!(
            !body.contains("apart@") && !body.contains("order apart"),
            "{path}: {body}"
        );
    }
    server.stop().await;
}

/// Someone with the database file sets a record's time to the last millisecond of year 9999: the
/// sweeper (inside `vow serve` too) must go on, not panic on every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_time_at_the_end_of_the_calendar_does_not_crash_the_sweeper() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-far-future").await;
    put(&server, &member, "user.contact.email", "future@example.com").await;
    for (id, at_ms) in [
        ("rec_far_future", 253_402_300_799_999_i64),
        ("rec_far_past", i64::MIN),
    ] {
        let row = vow_store::RecordRow {
            id: id.into(),
            subject_id: member.clone(),
            category: "user.financial.order".into(),
            sealed: vec![0; 40],
            at_ms,
            created_ms: now_ms(),
            contested: false,
        };
        server
            .vault
            .store()
            .apply(vow_store::Request::unlogged(
                vow_store::RetentionOp::PutRecord(row),
            ))
            .await
            .unwrap();
    }
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let operator = Caller::operator(None);
    let report = server
        .vault
        .sweep(&operator, now_ms(), false, |_| {})
        .await
        .unwrap();
    assert!(report.subjects >= 1, "{report:?}");
    server.stop().await;
}

/// A piece moved apart under a rule whose event had not happened yet (kept "until its event
/// happens") must go once the event is reported and its period has run, not stay forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piece_kept_apart_until_its_event_goes_once_the_event_is_reported() {
    let policy = format!(
        "{}\n{}",
        std::fs::read_to_string(common::POLICY).unwrap(),
        r#"
[[retention]]
key = "settlement_records"
label = { ko = "정산 기록", en = "Settlement records" }
categories = ["user.financial.payment_method"]
from = "contract_end"
period = "1d"
basis = "law"
law = { ko = "국세기본법", en = "Framework Act on National Taxes" }
separate_storage = true
"#
    );
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(policy),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-settlement").await;
    put(
        &server,
        &member,
        "user.financial.payment_method",
        "card 4111-1111",
    )
    .await;
    let operator = Caller::operator(None);
    let event = |name: &'static str, at: i64| {
        let server = &server;
        let member = member.clone();
        async move {
            let (status, body) = server
                .json(
                    Method::POST,
                    &format!("/v1/subjects/{member}/events"),
                    &server.keys.service,
                    Some(json!({"event": name, "at": rfc3339(at)})),
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        }
    };
    event("account_closure", now_ms() - 3 * DAY_MS).await;
    let first = server
        .vault
        .sweep(&operator, now_ms(), false, |_| {})
        .await
        .unwrap();
    assert_eq!(first.separated, 1, "{first:?}");
    // The contract ended two days ago; the rule keeps it one day from then.
    event("contract_end", now_ms() - 2 * DAY_MS).await;
    let second = server
        .vault
        .sweep(&operator, now_ms(), false, |_| {})
        .await
        .unwrap();
    assert_eq!(second.destroyed, 1, "{second:?}");
    server.stop().await;
}

/// A role that answers requests but may not erase cannot destroy a subject by completing an
/// erasure request: destruction needs the erase grant, as reporting a retention event does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_an_erasure_needs_the_erase_grant() {
    let policy = common::policy_with(
        r#"
[[role]]
key = "request_desk"
label = { ko = "요청 접수", en = "Request desk" }
requests = true
"#,
    );
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(policy),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let desk = server.key_for("request_desk").await;
    let member = server.subject("member-desk").await;
    put(&server, &member, "user.contact.phone", "010-2222-3333").await;
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &desk,
            Some(json!({"subject": member, "type": "erasure", "verification": {"method": "ipin"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let path = format!("/v1/requests/{}", filed["id"].as_str().unwrap());
    let (status, body) = server
        .json(
            Method::POST,
            &path,
            &desk,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.phone"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the subject was erased");
    // The desk may still move it on, and the officer carries it out.
    let (status, body) = server
        .json(Method::POST, &path, &desk, Some(json!({"action": "start"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .json(
            Method::POST,
            &path,
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

/// A credential is kept only as a hash: it cannot be stored readable as a record or an upload (and
/// read back in full) instead of as an item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_cannot_be_stored_readable_as_a_record_or_an_upload() {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let member = server.subject("member-credential").await;
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/records/user.credential.password"),
            &server.keys.service,
            Some(json!({"value": "Plain-Passw0rd!"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let response = server
        .http
        .post(server.url(&format!(
            "/v1/subjects/{member}/uploads/user.credential.password"
        )))
        .bearer_auth(&server.keys.service)
        .header("content-type", "text/plain")
        .body(b"Plain-Passw0rd!".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, body) = server
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/records"),
            Some(&server.keys.service),
            None,
        )
        .await;
    assert!(!body.contains("Plain-Passw0rd"), "{body}");
    server.stop().await;
}
