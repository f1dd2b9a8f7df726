//! The newer surfaces attacked from outside over real HTTP, each attack one test: stalled and
//! oversized uploads, tampered files, media types, header injection through the advertising
//! formatter, the purpose header on every read route, data under correction or restriction given
//! away, impossible times in the consent ledger, oversized campaigns, and destroyed data lingering in
//! SQLite's files while the server runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{raw_request, start_with, Backend, Server, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn with_uploads(limits: Option<vow_server::Limits>) -> (Server, std::path::PathBuf) {
    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            uploads: true,
            limits,
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let dir = server.uploads.clone().unwrap();
    (server, dir)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_is_cut_off_and_an_oversized_one_refused_before_its_body() {
    let limits = vow_server::Limits {
        body_idle: Duration::from_secs(1),
        ..vow_server::Limits::default()
    };
    let (server, dir) = with_uploads(Some(limits)).await;
    let member = server.subject("stalling-uploader").await;
    let path = format!("/v1/subjects/{member}/uploads/user.content.generated_image");
    let key = server.keys.service.clone();
    let head = |length: u64| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n"
        )
    };
    // Declares a megabyte, sends three bytes, then nothing: cut off once the body stops arriving.
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking({
        let head = head(1_000_000);
        let server_base = server.base.clone();
        move || raw_request(&server_base, &head, b"abc", Duration::from_secs(15))
    })
    .await
    .unwrap();
    let (status, text) = answer.expect("no answer to a stalled upload");
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("\"timeout\""), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // A declared length over the 2 GiB limit is refused before a byte of the body is read.
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking({
        let head = head(3_221_225_472);
        let server_base = server.base.clone();
        move || raw_request(&server_base, &head, b"", Duration::from_secs(5))
    })
    .await
    .unwrap();
    let (status, text) = answer.expect("no answer to an oversized upload");
    assert_eq!(status, 413, "{text}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Neither left a file behind.
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_or_swapped_upload_sends_no_byte_of_itself() {
    let (server, dir) = with_uploads(None).await;
    let member = server.subject("tampered-upload").await;
    let upload = |bytes: Vec<u8>| {
        let server = &server;
        let member = member.clone();
        async move {
            let response = server
                .http
                .post(server.url(&format!(
                    "/v1/subjects/{member}/uploads/user.content.generated_image"
                )))
                .bearer_auth(&server.keys.service)
                .header("content-type", "image/png")
                .body(bytes)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            let info: Value = response.json().await.unwrap();
            info["id"].as_str().unwrap().to_string()
        }
    };
    // Three chunks and a bit: the alteration sits in the second, after an authentic first chunk.
    let file: Vec<u8> = (0..(3 * 64 * 1024 + 77)).map(|i| (i % 239) as u8).collect();
    let first = upload(file.clone()).await;
    let second = upload(file.iter().map(|b| b ^ 0x55).collect()).await;
    let get = |id: String| {
        let server = &server;
        let member = member.clone();
        async move {
            let response = server
                .http
                .get(server.url(&format!(
                    "/v1/subjects/{member}/uploads/user.content.generated_image/{id}"
                )))
                .bearer_auth(&server.keys.service)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.bytes().await.unwrap_or_default().to_vec())
        }
    };
    let (status, body) = get(first.clone()).await;
    assert_eq!((status, body.len()), (StatusCode::OK, file.len()));
    let on_disk = dir.join(&first);
    let authentic = std::fs::read(&on_disk).unwrap();
    let mut altered = authentic.clone();
    altered[70_000] ^= 1;
    std::fs::write(&on_disk, &altered).unwrap();
    let (status, body) = get(first.clone()).await;
    assert_ne!(status, StatusCode::OK);
    assert!(
        !contains(&body, &file[..4096]),
        "the authentic prefix was sent"
    );
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "integrity", "{error}");
    // Another upload's file put in its place does not open either.
    std::fs::copy(dir.join(&second), &on_disk).unwrap();
    let (status, body) = get(first.clone()).await;
    assert_ne!(status, StatusCode::OK);
    assert!(!contains(&body, &file[..4096]));
    // Cut short.
    std::fs::write(&on_disk, &authentic[..authentic.len() - 10]).unwrap();
    let (status, _) = get(first.clone()).await;
    assert_ne!(status, StatusCode::OK);
    std::fs::write(&on_disk, &authentic).unwrap();
    assert_eq!(get(first).await.0, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploads_media_type_is_one_of_a_few_and_kept_sealed() {
    let (server, _dir) = with_uploads(None).await;
    let member = server.subject("media-types").await;
    let post = |content_type: &'static str| {
        let server = &server;
        let member = member.clone();
        async move {
            let response = server
                .http
                .post(server.url(&format!(
                    "/v1/subjects/{member}/uploads/user.content.generated_image"
                )))
                .bearer_auth(&server.keys.service)
                .header("content-type", content_type)
                .body(vec![1u8; 1000])
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for refused in [
        "text/html; name=kim-minsu-010-1234-5678",
        "text/html",
        "image/svg+xml",
        "application/javascript",
        "x/y",
    ] {
        let (status, body) = post(refused).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused}: {body}"
        );
        assert!(!body.to_string().contains("kim-minsu"), "{body}");
    }
    let (status, info) = post("IMAGE/PNG; name=kim-minsu-010-1234-5678").await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["media_type"], "image/png");
    let (_, listed) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/uploads"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(listed["uploads"][0]["media_type"], "image/png", "{listed}");
    // The type is sealed: the database's row holds nothing of it, nor of what the client sent.
    server.vault.store().clone().close().await;
    let data = server.data.clone().unwrap();
    let conn = rusqlite::Connection::open(data.join("vow.db")).unwrap();
    let stored: String = conn
        .query_row("SELECT media_type FROM uploads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, "");
    for file in std::fs::read_dir(&data).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!contains(&bytes, b"kim-minsu"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advertising_formatter_refuses_header_injection_and_unsafe_links() {
    let server = start_with(Backend::Sqlite, None, Setup::default())
        .await
        .unwrap();
    let format = |draft: Value| {
        let server = &server;
        async move {
            server
                .json(
                    Method::POST,
                    "/v1/marketing/format",
                    &server.keys.service,
                    Some(draft),
                )
                .await
        }
    };
    for title in [
        "겨울\r\nBcc: victim@example.com",
        "겨울\nBcc: victim@example.com",
        "겨울\u{2028}Bcc: victim@example.com",
        "겨울\u{0}",
    ] {
        let (status, body) =
            format(json!({"channel": "email", "title": title, "body": "할인"})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title:?}: {body}"
        );
        assert!(!body.to_string().contains("victim"), "{body}");
    }
    for url in [
        "javascript:alert(1)",
        "https://ok.example/out\r\nBcc: victim@example.com",
        "http://plain.example/out",
        "https://user:pw@evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "not a url",
    ] {
        let (status, body) = format(
            json!({"channel": "email", "title": "겨울 할인", "body": "할인", "opt_out_url": url}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url:?}: {body}");
    }
    let (status, body) =
        format(json!({"channel": "push", "body": "할인", "opt_out_number": "080-123-4567\r\nX"}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A body may have lines; a good link and a mailto: address pass.
    for url in [
        "https://imagesfactory.example/unsubscribe?u=1",
        "mailto:optout@imagesfactory.example",
    ] {
        let (status, body) = format(json!({"channel": "email", "title": "겨울 할인", "body": "할인\n다음 줄", "opt_out_url": url})).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        assert!(
            body["title"].as_str().unwrap().starts_with("(광고)"),
            "{body}"
        );
        assert!(!body["title"].as_str().unwrap().contains('\n'));
    }
    server.stop().await;
}

async fn get_with(
    server: &Server,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = server.http.get(server.url(path)).bearer_auth(key);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn marketing_consent(granted: bool) -> Value {
    json!({
        "purpose": "marketing",
        "channel": "email",
        "granted": granted,
        "evidence": {"method": "web_form"},
    })
}

/// After a marketing withdrawal, no read route serves the marketing purpose: not the item, not a
/// lookup, not the uploads list, not separated storage; and the header cannot be sent twice to
/// check one purpose and log another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_route_honours_the_stated_purpose_and_it_is_stated_once() {
    let (server, _dir) = with_uploads(None).await;
    let member = server.subject("purpose-reader").await;
    let service = server.keys.service.clone();
    common::put(
        &server,
        &member,
        "user.contact.email",
        "purpose@example.com",
    )
    .await;
    for granted in [true, false] {
        let (status, body) = server
            .json(
                Method::POST,
                &format!("/v1/subjects/{member}/consents"),
                &service,
                Some(marketing_consent(granted)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let item = format!("/v1/subjects/{member}/items/user.contact.email");
    // Two purposes in one request: refused before anything is read.
    let response = server
        .http
        .get(server.url(&item))
        .bearer_auth(&service)
        .header("x-vow-purpose", "contract")
        .header("x-vow-purpose", "marketing")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("repeated_header") && !body.contains("purpose@"),
        "{body}"
    );
    let marketing = [("x-vow-purpose", "marketing")];
    let (status, body) = get_with(&server, &item, &service, &marketing).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let lookup = "/v1/subjects?lookup=user.contact.email:purpose@example.com";
    let (status, body) = get_with(&server, lookup, &service, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["subjects"].as_array().unwrap().len(), 1, "{body}");
    let (status, body) = get_with(&server, lookup, &service, &marketing).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["subjects"].as_array().unwrap().is_empty(),
        "found for marketing: {body}"
    );
    let (status, body) = get_with(
        &server,
        &format!("/v1/subjects/{member}/uploads"),
        &service,
        &marketing,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get_with(
        &server,
        &format!("/v1/subjects/{member}/separated"),
        &server.keys.officer,
        &[("x-vow-purpose", "marketing"), ("x-vow-reason", "audit")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get_with(
        &server,
        &format!("/v1/subjects/{member}/records"),
        &service,
        &marketing,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // For the contract, the same reads go through.
    let contract = [("x-vow-purpose", "contract")];
    assert_eq!(
        get_with(&server, &item, &service, &contract).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get_with(
            &server,
            &format!("/v1/subjects/{member}/uploads"),
            &service,
            &contract
        )
        .await
        .0,
        StatusCode::OK
    );
    server.stop().await;
}

/// aimos: a child's data rests on their guardian's consent. Once the guardian withdraws it, no read
/// for use goes through — stated purpose or not — while the privacy officer, who answers for what
/// the law requires, still reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_guardian_consent_stops_every_read_of_the_childs_data() {
    let policy = format!(
        "{}\n[[role]]\nkey = \"service\"\nlabel = \"service\"\nread = [\"user.*\"]\nwrite = [\"user.*\"]\nfull_view = [\"user.*\"]\nconsents = true\nexport = true\n[[role]]\nkey = \"support\"\nlabel = \"support\"\n",
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies/aimos.toml"))
            .unwrap()
            .replace("policy = \"guardian_consent\"\n", "policy = \"guardian_consent\"\nmethods = [\"mobile_identity\"]\n")
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
    let service = server.keys.service.clone();
    let (status, created) = server
        .json(
            Method::POST,
            "/v1/subjects",
            &service,
            Some(json!({"external_id": "kid", "kind": "member", "age": 9})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let child = created["id"].as_str().unwrap().to_string();
    let guardian =
        |granted: bool| json!({"granted": granted, "evidence": {"method": "mobile_identity"}});
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{child}/guardian"),
            &service,
            Some(guardian(true)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    common::put(&server, &child, "user.contact.email", "kid@example.com").await;
    let item = format!("/v1/subjects/{child}/items/user.contact.email");
    assert_eq!(
        get_with(&server, &item, &service, &[]).await.0,
        StatusCode::OK
    );
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{child}/guardian"),
            &service,
            Some(guardian(false)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for path in [
        item.clone(),
        format!("/v1/subjects/{child}/export"),
        format!("/v1/subjects/{child}/records"),
    ] {
        let (status, body) = get_with(&server, &path, &service, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(!body.to_string().contains("kid@example.com"), "{body}");
    }
    let (_, found) = get_with(
        &server,
        "/v1/subjects?lookup=user.contact.email:kid@example.com",
        &service,
        &[],
    )
    .await;
    assert!(found["subjects"].as_array().unwrap().is_empty(), "{found}");
    let (status, body) = get_with(&server, &item, &server.keys.officer, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

async fn provide(server: &Server, body: Value) -> (StatusCode, Value) {
    server
        .json(
            Method::POST,
            "/v1/provisions",
            &server.keys.service,
            Some(body),
        )
        .await
}

/// Data under correction or restriction is neither given nor found for use; a provision states only
/// the purpose the policy declares for its recipient; each answer carries its real number.
async fn data_under_correction_or_restriction_is_not_given(backend: Backend) {
    let policy = std::fs::read_to_string(common::POLICY).unwrap().replace(
        r#"rights = ["access", "rectification", "erasure", "consent_withdrawal"]"#,
        r#"rights = ["access", "rectification", "erasure", "consent_withdrawal", "restriction"]"#,
    );
    let Some(server) = start_with(
        backend,
        None,
        Setup {
            policy: Some(policy),
            ..Setup::default()
        },
    )
    .await
    else {
        return;
    };
    let member = server.subject("being-corrected").await;
    common::put(&server, &member, "user.contact.email", "old@example.com").await;
    // Before anything is contested: given, with the declared purpose and a real sequence number.
    let (status, first) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "subject": member}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["purpose"], "이메일 발송", "{first}");
    let (_, second) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "purpose": "Sending e-mail"}),
    )
    .await;
    assert!(first["seq"].as_i64().unwrap() >= 1, "{first}");
    assert_eq!(
        second["seq"].as_i64(),
        Some(first["seq"].as_i64().unwrap() + 1),
        "{second}"
    );
    // A purpose the policy does not declare for the recipient.
    let (status, body) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "purpose": "selling data"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("이메일 발송"),
        "{body}"
    );
    // A rectification of the e-mail is filed: the value is neither given nor found by lookup.
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": member, "type": "rectification", "categories": ["user.contact.email"],
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, body) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "subject": member}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "under_correction", "{body}");
    let lookup = "/v1/subjects?lookup=user.contact.email:old@example.com";
    let (_, found) = get_with(&server, lookup, &server.keys.service, &[]).await;
    assert!(found["subjects"].as_array().unwrap().is_empty(), "{found}");
    // The officer answering the request still finds the subject.
    let (_, found) = get_with(&server, lookup, &server.keys.officer, &[]).await;
    assert_eq!(found["subjects"].as_array().unwrap().len(), 1, "{found}");
    // Written anew, it is used again.
    common::put(&server, &member, "user.contact.email", "new@example.com").await;
    let (status, body) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "subject": member}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A completed restriction stops every provision of the subject's data.
    let (status, filed) = server
        .json(
            Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(json!({"subject": member, "type": "restriction",
                        "verification": {"method": "logged_in_session"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/requests/{}", filed["id"].as_str().unwrap()),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = provide(
        &server,
        json!({"recipient": "sendgrid", "categories": ["user.contact.email"], "subject": member}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "restricted", "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_under_correction_or_restriction_is_not_given_on_sqlite() {
    data_under_correction_or_restriction_is_not_given(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_under_correction_or_restriction_is_not_given_on_postgres() {
    data_under_correction_or_restriction_is_not_given(Backend::Postgres).await;
}

fn aimos_policy() -> String {
    format!(
        "{}\n[[role]]\nkey = \"service\"\nlabel = \"service\"\nread = [\"user.*\"]\nwrite = [\"user.*\"]\nfull_view = [\"user.*\"]\nconsents = true\nexport = true\n[[role]]\nkey = \"support\"\nlabel = \"support\"\n",
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies/aimos.toml"))
            .unwrap()
            .replace("policy = \"guardian_consent\"\n", "policy = \"guardian_consent\"\nmethods = [\"mobile_identity\"]\n")
    )
}

/// The consent ledger is a timeline: a withdrawal dated before the grant it withdraws, and a
/// guardian's consent dated before the child was born, are refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_ledger_refuses_impossible_times() {
    let server = start_with(Backend::Sqlite, None, Setup::default())
        .await
        .unwrap();
    let member = server.subject("timeline").await;
    let path = format!("/v1/subjects/{member}/consents");
    let mut grant = marketing_consent(true);
    grant["at"] = json!("2026-03-02T10:00:00+09:00");
    let (status, body) = server
        .json(Method::POST, &path, &server.keys.service, Some(grant))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut withdraw = marketing_consent(false);
    withdraw["at"] = json!("2025-03-02T10:00:00+09:00");
    let (status, body) = server
        .json(
            Method::POST,
            &path,
            &server.keys.service,
            Some(withdraw.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "out_of_order", "{body}");
    // The ledger still shows only the grant; a withdrawal dated after it goes in.
    withdraw["at"] = json!("2026-03-03T10:00:00+09:00");
    let (status, body) = server
        .json(Method::POST, &path, &server.keys.service, Some(withdraw))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.stop().await;

    let server = start_with(
        Backend::Sqlite,
        None,
        Setup {
            policy: Some(aimos_policy()),
            ..Setup::default()
        },
    )
    .await
    .unwrap();
    let child = |body: Value| {
        let server = &server;
        async move {
            let (status, created) = server
                .json(
                    Method::POST,
                    "/v1/subjects",
                    &server.keys.service,
                    Some(body),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created["id"].as_str().unwrap().to_string()
        }
    };
    let guardian = |id: String, at: &'static str| {
        let server = &server;
        async move {
            server
                .json(
                    Method::POST,
                    &format!("/v1/subjects/{id}/guardian"),
                    &server.keys.service,
                    Some(json!({"granted": true, "evidence": {"method": "mobile_identity"}, "at": at})),
                )
                .await
        }
    };
    let born =
        child(json!({"external_id": "kid-born", "kind": "member", "birth_date": "2020-06-15"}))
            .await;
    let (status, body) = guardian(born.clone(), "2020-06-14T12:00:00+09:00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "out_of_order", "{body}");
    assert!(body["message"].as_str().unwrap().contains("born"), "{body}");
    assert!(
        !body.to_string().contains("2020-06-15"),
        "the birth date is not quoted: {body}"
    );
    let (status, body) = guardian(born, "2020-06-15T12:00:00+09:00").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // An age alone bounds the birthday too: a nine-year-old was not born sixteen years ago.
    let aged = child(json!({"external_id": "kid-aged", "kind": "member", "age": 9})).await;
    let (status, body) = guardian(aged, "2010-01-01T00:00:00+09:00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    server.stop().await;
}

fn raw_data_dir(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(path).unwrap_or_default());
        }
    }
    all
}

fn sealed_values(data: &std::path::Path, sql: &str) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(data.join("vow.db")).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

/// A DELETE and a sweep inside `vow serve` leave no copy of what they destroyed in the database's
/// files, WAL included, by the time they answer — while the server still runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroyed_values_leave_the_wal_before_the_call_returns() {
    let server = start_with(Backend::Sqlite, None, Setup::default())
        .await
        .unwrap();
    let data = server.data.clone().unwrap();
    let erased = server.subject("erased-while-serving").await;
    common::put(
        &server,
        &erased,
        "user.contact.email",
        "wal-erased@example.com",
    )
    .await;
    common::put(&server, &erased, "user.contact.phone", "010-3333-4444").await;
    let swept = server.subject("swept-while-serving").await;
    common::record(
        &server,
        &swept,
        "user.device.ip_address",
        "198.51.100.77",
        common::now_ms() - 100 * 86_400_000,
    )
    .await;
    let erased_sealed = sealed_values(&data, "SELECT sealed FROM items");
    let swept_sealed = sealed_values(&data, "SELECT sealed FROM records");
    assert_eq!((erased_sealed.len(), swept_sealed.len()), (2, 1));
    let on_disk = |sealed: &[Vec<u8>]| {
        let raw = raw_data_dir(&data);
        sealed.iter().filter(|s| contains(&raw, &s[..32])).count()
    };
    assert_eq!(
        on_disk(&erased_sealed),
        2,
        "control: the values are on disk"
    );
    let (status, body) = server
        .json(
            Method::DELETE,
            &format!("/v1/subjects/{erased}"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        on_disk(&erased_sealed),
        0,
        "an erased value is still in the data directory"
    );
    assert_eq!(
        on_disk(&swept_sealed),
        1,
        "control: the record is there until its sweep"
    );
    let report = common::sweep(&server, common::now_ms()).await;
    assert_eq!(report.destroyed, 1, "{report:?}");
    assert_eq!(
        on_disk(&swept_sealed),
        0,
        "a swept value is still in the data directory"
    );
    server.stop().await;
}
