//! Retention, separated storage, the destruction ledger and rights requests over real HTTP, on SQLite
//! and PostgreSQL, with the attacks each capability invites: a role without the grant, a masked role,
//! a subject who asked to stop processing, and hostile input.
#![allow(clippy::unwrap_used)]

mod common;

use common::{now_ms, put, record, start, start_with, sweep, Backend, Server, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use vow_engine::Caller;

const DAY_MS: i64 = 86_400_000;

async fn a_member_leaves_imagesfactory(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let member = server.subject("member-leaving").await;
    put(
        &server,
        &member,
        "user.contact.email",
        "leaving@example.com",
    )
    .await;
    put(
        &server,
        &member,
        "user.credential.password",
        "Leaving-Passw0rd!",
    )
    .await;
    let ordered = now_ms() - 120 * DAY_MS;
    record(
        &server,
        &member,
        "user.financial.order",
        "order 77, 9,900원",
        ordered,
    )
    .await;
    record(
        &server,
        &member,
        "user.device.ip_address",
        "203.0.113.9",
        ordered,
    )
    .await;
    // The service reads its records back; the masked support role sees the IP masked.
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/records"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["records"].as_array().unwrap().len(), 2);

    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({ "event": "account_closure" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let report = sweep(&server, now_ms()).await;
    // The visit log (3 months) and the password go; e-mail and order are kept apart.
    assert_eq!(report.destroyed, 2, "{report:?}");
    assert_eq!(report.separated, 2, "{report:?}");
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.email"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Separated storage: the service is refused; the officer needs a reason, and each read is logged.
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/separated"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/separated"),
            &server.keys.officer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let log_before = server.log_len().await;
    let response = server
        .http
        .get(server.url(&format!("/v1/subjects/{member}/separated")))
        .bearer_auth(&server.keys.officer)
        .header("x-vow-reason", "전자상거래법 분쟁 대응")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let kept: Value = response.json().await.unwrap();
    assert_eq!(kept["separated"].as_array().unwrap().len(), 2, "{kept}");
    assert!(kept.to_string().contains("leaving@example.com"));
    assert_eq!(server.log_len().await, log_before + 1);

    // The ledger over HTTP: only for the role that handles requests; no values in it.
    let (status, _) = server
        .json(Method::GET, "/v1/destructions", &server.keys.support, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ledger) = server
        .json(Method::GET, "/v1/destructions", &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let rules: Vec<&str> = ledger["destructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 2, "{ledger}");
    assert!(rules.contains(&"membership") && rules.contains(&"visit_logs"));
    for planted in [
        "leaving@example.com",
        "Leaving-Passw0rd!",
        "203.0.113.9",
        "9,900",
    ] {
        assert!(!ledger.to_string().contains(planted));
    }

    // Five years after the order, the rest goes, and the data key with it.
    let report = sweep(
        &server,
        vow_engine::retention::add_period(ordered, vow_policy::model::Period::Years(5)) + 1,
    )
    .await;
    assert_eq!((report.destroyed, report.shredded), (2, 1), "{report:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaves_imagesfactory_on_sqlite() {
    a_member_leaves_imagesfactory(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaves_imagesfactory_on_postgres() {
    a_member_leaves_imagesfactory(Backend::Postgres).await;
}

async fn file(server: &Server, key: &str, body: Value) -> (StatusCode, Value) {
    server
        .json(Method::POST, "/v1/requests", key, Some(body))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rights_requests_over_http_from_filing_to_answer() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-asking").await;
    put(&server, &member, "user.contact.phone", "010-9876-5432").await;

    // Filed by the service, with the identity check it did; the due date is 10 days.
    let (status, filed) = file(
        &server,
        &server.keys.service,
        json!({"subject": member, "type": "rectification", "categories": ["user.contact.phone"],
               "verification": {"method": "logged_in_session"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let received = filed["received_ms"].as_i64().unwrap();
    assert_eq!(filed["due_ms"].as_i64().unwrap(), received + 10 * DAY_MS);
    let id = filed["id"].as_str().unwrap().to_string();

    // Under correction: the service cannot use it, nor give it to anyone.
    let (status, body) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.phone"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "under_correction", "{body}");

    // Only the role that handles requests lists and answers them.
    let (status, _) = server
        .json(Method::GET, "/v1/requests", &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{id}"),
            &server.keys.support,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, open) = server
        .json(Method::GET, "/v1/requests", &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(open["requests"][0]["urgency"], "on_time", "{open}");

    // A refusal without how to object is refused; with both, it closes the request.
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{id}"),
            &server.keys.officer,
            Some(json!({"action": "refuse", "reason": "본인 확인 불가"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{id}"),
            &server.keys.officer,
            Some(json!({"action": "refuse", "reason": "본인 확인 불가",
                        "objection": "개인정보분쟁조정위원회(1833-6972)에 조정을 신청할 수 있습니다"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["request"]["state"], "refused");
    // The mark goes with the refusal.
    let (status, _) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.phone"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Restriction: reads for use stop; the officer still answers.
    let (_, filed) = file(
        &server,
        &server.keys.service,
        json!({"subject": member, "type": "access", "verification": {"method": "mobile_identity"}, "jurisdiction": "eu"}),
    )
    .await;
    let (status, answer) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{}", filed["id"].as_str().unwrap()),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["answer"]["items"][0]["category"],
        "user.contact.phone"
    );

    // Every change went out as an event.
    let (_, events) = server
        .json(Method::GET, "/v1/events", &server.keys.officer, None)
        .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"request.received"), "{kinds:?}");
    assert!(kinds.contains(&"request.refused"), "{kinds:?}");
    assert!(kinds.contains(&"request.completed"), "{kinds:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("member-hostile").await;
    let log_before = server.log_len().await;
    let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            format!("/v1/subjects/{member}/events"),
            json!({"event": "moon_landing"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::POST,
            format!("/v1/subjects/{member}/events"),
            json!({"event": "account_closure", "at": "2999-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::POST,
            format!("/v1/subjects/{member}/events"),
            json!({"event": "account_closure", "at": "yesterday"}),
            StatusCode::BAD_REQUEST,
            "invalid_time",
        ),
        (
            Method::POST,
            "/v1/subjects/sub_nobody/events".into(),
            json!({"event": "account_closure"}),
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::POST,
            format!("/v1/subjects/{member}/records/user.not.declared"),
            json!({"value": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (
            Method::POST,
            format!("/v1/subjects/{member}/records/user.financial.order"),
            json!({"value": "x", "extra": 1}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            Method::POST,
            "/v1/requests".into(),
            json!({"subject": member, "type": "telepathy", "verification": {"method": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::POST,
            "/v1/requests".into(),
            json!({"subject": member, "type": "restriction", "verification": {"method": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "right_not_offered",
        ),
        (
            Method::POST,
            "/v1/requests".into(),
            json!({"subject": "sub_nobody", "type": "access", "verification": {"method": "x"}}),
            StatusCode::NOT_FOUND,
            "no_subject",
        ),
        (
            Method::POST,
            "/v1/requests".into(),
            json!({"subject": member, "type": "access", "verification": {"method": "  "}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::POST,
            "/v1/requests/req_nothing".into(),
            json!({"action": "complete"}),
            StatusCode::NOT_FOUND,
            "no_request",
        ),
    ];
    for (method, path, body, expected, code) in cases {
        let (status, answer) = server
            .json(
                method.clone(),
                &path,
                &server.keys.officer_or_service(&path),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, expected, "{method} {path} {body}: {answer}");
        assert_eq!(answer["error"], code, "{method} {path} {body}: {answer}");
        assert!(
            !answer.to_string().contains("sub_nobody"),
            "an error echoed the id: {answer}"
        );
    }
    // Malformed JSON, wrong encoding, a huge value.
    for raw in [
        b"{".to_vec(),
        vec![0xff, 0xfe, 0x00],
        format!("{{\"value\": \"{}\"}}", "가".repeat(100_000)).into_bytes(),
    ] {
        let (status, _) = server
            .call(
                Method::POST,
                &format!("/v1/subjects/{member}/records/user.financial.order"),
                Some(&server.keys.service),
                Some(raw),
            )
            .await;
        assert!(status.is_client_error(), "{status}");
    }
    assert_eq!(
        server.log_len().await,
        log_before,
        "a refused request was logged as an access"
    );
    let dry = server
        .vault
        .sweep(
            &Caller::operator(None),
            now_ms() + 3650 * DAY_MS,
            true,
            |_| {},
        )
        .await
        .unwrap();
    assert!(dry.planned.is_empty(), "{dry:?}");
    server.stop().await;
}

trait KeyFor {
    fn officer_or_service(&self, path: &str) -> String;
}

impl KeyFor for common::Keys {
    /// Acting on a request is the officer's; everything else here is the service's.
    fn officer_or_service(&self, path: &str) -> String {
        if path.starts_with("/v1/requests/") {
            self.officer.clone()
        } else {
            self.service.clone()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_the_grants_cannot_report_events_or_store_records() {
    let server = start_with(Backend::Sqlite, None, Setup::default())
        .await
        .unwrap();
    let member = server.subject("member-roles").await;
    for (path, body) in [
        (
            format!("/v1/subjects/{member}/events"),
            json!({"event": "account_closure"}),
        ),
        (
            format!("/v1/subjects/{member}/records/user.financial.order"),
            json!({"value": "x"}),
        ),
    ] {
        let (status, answer) = server
            .json(Method::POST, &path, &server.keys.support, Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
    }
    // The member is untouched: nothing is due for them.
    let dry = server
        .vault
        .sweep(&Caller::operator(None), now_ms(), true, |_| {})
        .await
        .unwrap();
    assert!(dry.planned.is_empty());
    server.stop().await;
}

async fn provisions_are_logged_only_as_the_policy_declares(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let member = server.subject("member-provided").await;
    // Declared: sendgrid receives the e-mail.
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/provisions",
            &server.keys.service,
            Some(json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "subject": member,
                        "purpose": "이메일 발송"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["recipient_kind"], "processor");
    let log_before = server.log_len().await;
    for (request, expected) in [
        // A recipient the policy does not name.
        (
            json!({"recipient": "shady-broker", "categories": ["user.contact.email"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // A category not listed for that recipient: OpenAI gets prompts, not phone numbers.
        (
            json!({"recipient": "openai", "categories": ["user.contact.phone"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"recipient": "openai", "categories": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"recipient": "openai", "categories": ["user.content.prompt"], "count": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"recipient": "openai", "categories": ["user.content.prompt"], "subject": "sub_nobody"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, body) = server
            .json(
                Method::POST,
                "/v1/provisions",
                &server.keys.service,
                Some(request.clone()),
            )
            .await;
        assert_eq!(status, expected, "{request}: {body}");
    }
    // A role can give only what it may read: support may not read prompts.
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/provisions",
            &server.keys.support,
            Some(json!({"recipient": "openai", "categories": ["user.content.prompt"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // No provision was logged; the one refused (403) attempt is, as a denial.
    let logged = server
        .vault
        .store()
        .audit_page(
            vow_store::Position {
                chain: 0,
                seq: log_before as u64,
            },
            1_000,
        )
        .await
        .unwrap();
    let actions: Vec<vow_audit::Action> = logged.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![vow_audit::Action::Denied],
        "a refused provision was logged"
    );
    assert_eq!(logged[0].categories, ["POST /v1/provisions"]);
    // The officer reads the log; the service may not.
    let (status, _) = server
        .json(Method::GET, "/v1/provisions", &server.keys.service, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, log) = server
        .json(Method::GET, "/v1/provisions", &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = log["provisions"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{log}");
    assert_eq!(rows[0]["categories"], json!(["user.contact.email"]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisions_are_logged_only_as_the_policy_declares_on_sqlite() {
    provisions_are_logged_only_as_the_policy_declares(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisions_are_logged_only_as_the_policy_declares_on_postgres() {
    provisions_are_logged_only_as_the_policy_declares(Backend::Postgres).await;
}

/// A server whose vault keeps uploads, for the upload tests.
async fn with_uploads(policy: Option<String>) -> (Server, std::path::PathBuf) {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy,
            uploads: true,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let dir = server.uploads.clone().unwrap();
    (server, dir)
}

fn raw_dir(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            all.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_stored_encrypted_streamed_back_whole_and_refused_to_a_masked_role() {
    let (server, dir) = with_uploads(None).await;
    let member = server.subject("member-uploading").await;
    // Three chunks and a bit, with a planted value in the middle.
    let mut file: Vec<u8> = (0..(3 * 64 * 1024 + 123))
        .map(|i| (i % 251) as u8)
        .collect();
    let planted = b"PLANTED-PROMPT: my phone is 010-5555-1234";
    file[100_000..100_000 + planted.len()].copy_from_slice(planted);
    let response = server
        .http
        .post(server.url(&format!(
            "/v1/subjects/{member}/uploads/user.content.generated_image"
        )))
        .bearer_auth(&server.keys.service)
        .header("content-type", "image/png")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["bytes"], file.len());
    let id = info["id"].as_str().unwrap().to_string();
    assert!(
        !contains(&raw_dir(&dir), planted),
        "the upload is on disk in the clear"
    );
    let path = format!("/v1/subjects/{member}/uploads/user.content.generated_image/{id}");
    let response = server
        .http
        .get(server.url(&path))
        .bearer_auth(&server.keys.service)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().to_vec(), file);
    // A role that would see the category masked gets no file at all.
    let (status, _) = server
        .call(Method::GET, &path, Some(&server.keys.support), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The wrong category in the path, or another subject's id, is a 404.
    let other = server.subject("member-other").await;
    for wrong in [
        format!("/v1/subjects/{member}/uploads/user.content.prompt/{id}"),
        format!("/v1/subjects/{other}/uploads/user.content.generated_image/{id}"),
        format!("/v1/subjects/{member}/uploads/user.content.generated_image/upl_..%2F..%2Fvow.db"),
    ] {
        let (status, _) = server
            .call(Method::GET, &wrong, Some(&server.keys.service), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}");
    }
    // Under correction, the file is neither used nor given until the request is resolved.
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": member, "type": "rectification",
                        "categories": ["user.content.generated_image"],
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, body) = server
        .call(Method::GET, &path, Some(&server.keys.service), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("under_correction"), "{body}");
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{}", filed["id"].as_str().unwrap()),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .call(Method::GET, &path, Some(&server.keys.service), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // A file altered on disk does not come back altered.
    let on_disk = dir.join(&id);
    let mut bytes = std::fs::read(&on_disk).unwrap();
    bytes[70_000] ^= 1;
    std::fs::write(&on_disk, &bytes).unwrap();
    // Headers go before the altered chunk is reached: the stream is cut there, so the client sees
    // an error (or at worst a short body), never the altered bytes as a whole file.
    let served = match server
        .http
        .get(server.url(&path))
        .bearer_auth(&server.keys.service)
        .send()
        .await
    {
        Ok(response) => response.bytes().await.ok().map(|b| b.to_vec()),
        Err(_) => None,
    };
    assert!(
        served.is_none_or(|b| b != file),
        "an altered file was served whole"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_character_generator_uploads_go_24_hours_after_processing_unless_kept() {
    let policy = format!(
        "{}{}",
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/policies/ai-character-generator.toml"
        ))
        .unwrap(),
        r#"
[[role]]
key = "service"
label = "service"
read = ["user.*"]
write = ["user.*"]
full_view = ["user.*"]
erase = true
"#
    );
    let (server, dir) = with_uploads(Some(policy)).await;
    let (status, body) = server
        .json(
            Method::POST,
            "/v1/subjects",
            &server.keys.service,
            Some(json!({"external_id": "creator-1", "kind": "user"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let user = body["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for n in 0..2 {
        let response = server
            .http
            .post(server.url(&format!("/v1/subjects/{user}/uploads/user.content.upload")))
            .bearer_auth(&server.keys.service)
            .header("content-type", "image/jpeg")
            .body(vec![n as u8; 5000])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let info: Value = response.json().await.unwrap();
        ids.push(info["id"].as_str().unwrap().to_string());
    }
    // Both processed; the user keeps the second.
    for (id, keep) in [(&ids[0], false), (&ids[1], true)] {
        let (status, body) = server
            .json(
                Method::PATCH,
                &format!("/v1/subjects/{user}/uploads/user.content.upload/{id}"),
                &server.keys.service,
                Some(json!({"processed": true, "keep": keep})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let almost = now_ms() + DAY_MS - 60_000;
    assert_eq!(sweep(&server, almost).await.destroyed, 0);
    let report = sweep(&server, now_ms() + DAY_MS + 60_000).await;
    assert_eq!(report.destroyed, 1, "{report:?}");
    assert!(
        !dir.join(&ids[0]).exists(),
        "the destroyed upload's file is still there"
    );
    assert!(dir.join(&ids[1]).exists(), "the kept upload was destroyed");
    let lines = server
        .vault
        .destruction_ledger(&Caller::operator(None), 0, 100)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].rule.as_str(), lines[0].storage.as_str()),
        ("uploads", "upload")
    );
    // The account closes: the kept upload goes with it, and the key.
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{user}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let report = sweep(&server, now_ms() + 2 * DAY_MS).await;
    assert_eq!((report.destroyed, report.shredded), (1, 1), "{report:?}");
    assert!(!dir.join(&ids[1]).exists());
    server.stop().await;
}

/// One vocabulary of rights: a request's type is the right's name in the policy file; only the rights
/// the policy grants are taken, and every refusal lists exactly those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_rights_the_policy_grants_are_taken_and_each_refusal_lists_exactly_them() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    let member = server.subject("rights-vocabulary").await;
    // imagesfactory grants access, rectification, erasure and consent withdrawal.
    let granted = "access, rectification, erasure, consent_withdrawal";
    for refused in ["portability", "restriction", "objection"] {
        let (status, body) = server
            .json(
                Method::POST,
                "/v1/requests",
                &server.keys.service,
                Some(json!({"subject": member, "type": refused, "verification": {"method": "logged_in_session"}})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused}: {body}"
        );
        assert_eq!(body["error"], "right_not_offered", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .ends_with(&format!("it offers: {granted}")),
            "{body}"
        );
    }
    // The names the policy file once used are not request types.
    for unknown in ["deletion", "correction", "telepathy"] {
        let (status, body) = server
            .json(
                Method::POST,
                "/v1/requests",
                &server.keys.service,
                Some(json!({"subject": member, "type": unknown, "verification": {"method": "logged_in_session"}})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"].as_str().unwrap().ends_with(granted),
            "{body}"
        );
    }
    let policy = vow_policy::load(std::path::Path::new(common::POLICY)).unwrap();
    for right in &policy.rights.as_ref().unwrap().rights {
        let mut request = json!({"subject": member, "type": right.name(), "verification": {"method": "logged_in_session"}});
        if right.name() == "rectification" {
            request["categories"] = json!(["user.contact.email"]);
        }
        let (status, body) = server
            .json(
                Method::POST,
                "/v1/requests",
                &server.keys.service,
                Some(request),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", right.name());
        assert_eq!(body["type"], right.name());
    }
    server.stop().await;
}
