//! Consent, the advertising gate and children over real HTTP, on both backends: what a service
//! sends, what a wrong or hostile request gets, and that a refused request records nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{start, start_with, Backend, Server, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn grant(channel: &str, granted: bool) -> Value {
    json!({
        "purpose": "marketing",
        "channel": channel,
        "granted": granted,
        "evidence": {"method": "web_form", "location": "https://imagesfactory.example/signup"},
    })
}

async fn post(server: &Server, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    server.json(Method::POST, path, key, Some(body)).await
}

async fn consent_walkthrough(server: &Server) {
    let service = server.keys.service.clone();
    let s = server.subject("walk-1").await;
    let path = format!("/v1/subjects/{s}/consents");
    let (status, recorded) = post(server, &service, &path, grant("email", true)).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["change"], "grant");
    assert!(recorded["notice_due_ms"].is_i64());

    let (status, verdict) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"subject": s, "channel": "email", "at": "2027-01-05T12:00:00+09:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(
        (verdict["allowed"].clone(), verdict["rule"].clone()),
        (json!(true), json!("consented"))
    );
    let (_, night) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"subject": s, "channel": "email", "at": "2027-01-05T22:00:00+09:00"}),
    )
    .await;
    assert_eq!(night["rule"], "night_time_not_in_policy");

    // A read that states the marketing purpose, before and after the withdrawal.
    server
        .json(
            Method::PUT,
            &format!("/v1/subjects/{s}/items/user.contact.email"),
            &service,
            Some(json!({"value": "walk@example.com"})),
        )
        .await;
    let read = || async {
        server
            .http
            .get(server.url(&format!("/v1/subjects/{s}/items/user.contact.email")))
            .bearer_auth(&service)
            .header("x-vow-purpose", "marketing")
            .send()
            .await
            .unwrap()
    };
    assert_eq!(read().await.status(), StatusCode::OK);
    let (status, _) = post(server, &service, &path, grant("email", false)).await;
    assert_eq!(status, StatusCode::CREATED);
    let refused = read().await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "consent_withdrawn");
    assert!(body["message"].as_str().unwrap().contains("marketing"));
    let (_, verdict) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"subject": s, "channel": "email"}),
    )
    .await;
    assert_eq!(verdict["rule"], "withdrawn");

    // A campaign in one call.
    let other = server.subject("walk-2").await;
    post(
        server,
        &service,
        &format!("/v1/subjects/{other}/consents"),
        grant("email", true),
    )
    .await;
    let (status, campaign) = post(server, &service, "/v1/marketing/check", json!({"subjects": [s, other, "sub_nobody"], "channel": "email", "at": "2027-01-05T12:00:00+09:00"})).await;
    assert_eq!(status, StatusCode::OK, "{campaign}");
    assert_eq!(
        (campaign["allowed"].clone(), campaign["refused"].clone()),
        (json!(1), json!(2))
    );
    let rules: Vec<&str> = campaign["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["withdrawn", "consented", "no_subject"]);

    // State and history, the notices owed, the event feed.
    let (_, consents) = server.json(Method::GET, &path, &service, None).await;
    assert_eq!(consents["history"].as_array().unwrap().len(), 2);
    assert_eq!(consents["history"][0]["evidence"]["method"], "web_form");
    let (_, owed) = server
        .json(Method::GET, "/v1/consents/notices", &service, None)
        .await;
    let owed = owed["owed"].as_array().unwrap().clone();
    assert_eq!(owed.len(), 3);
    assert!(
        owed.iter()
            .all(|e| e.get("evidence").is_some_and(Value::is_null)),
        "the list carries no evidence"
    );
    let first = owed[0]["id"].as_str().unwrap();
    let (status, _) = post(
        server,
        &service,
        &format!("/v1/consents/notices/{first}/sent"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = post(
        server,
        &service,
        &format!("/v1/consents/notices/{first}/sent"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, events) = server
        .json(Method::GET, "/v1/events?after=0", &service, None)
        .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["consent.granted", "consent.withdrawn", "consent.granted"]
    );
    let (_, due) = server
        .json(Method::GET, "/v1/consents/due?days=800", &service, None)
        .await;
    assert_eq!(due["due"].as_array().unwrap().len(), 1, "{due}");

    // The lawful shape of a message.
    let (status, lawful) = post(
        server,
        &service,
        "/v1/marketing/format",
        json!({"channel": "email", "title": "겨울 할인", "body": "모든 이미지 생성 30% 할인"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{lawful}");
    assert_eq!(lawful["title"], "(광고) 겨울 할인");
    let body = lawful["body"].as_str().unwrap();
    assert!(
        body.contains("엠제이스튜디오")
            && body.contains("support@imagesfactory.com")
            && body.contains("수신거부"),
        "{body}"
    );
    let (status, _) = post(
        server,
        &service,
        "/v1/marketing/format",
        json!({"channel": "sms", "body": "할인"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sms is not a channel of imagesfactory"
    );
}

async fn bad_requests_get_a_clear_4xx_and_record_nothing(server: &Server) {
    let service = server.keys.service.clone();
    let s = server.subject("bad-1").await;
    let path = format!("/v1/subjects/{s}/consents");
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"purpose": "lottery", "granted": true, "evidence": {"method": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_consent_purpose",
        ),
        (
            json!({"purpose": "contract", "granted": true, "evidence": {"method": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_consent_purpose",
        ),
        (
            json!({"purpose": "marketing", "channel": "fax", "granted": true, "evidence": {"method": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_channel",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": "x"}, "at": "2999-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": "x"}, "at": "yesterday"}),
            StatusCode::BAD_REQUEST,
            "invalid_time",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"how": "x"}}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": ""}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": "x", "location": "a".repeat(5000)}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": false, "evidence": {"method": "x"}}),
            StatusCode::CONFLICT,
            "nothing_to_withdraw",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": "x"}, "by": "guardian"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({"purpose": "marketing", "channel": "email", "granted": true, "evidence": {"method": "x"}, "by": "neighbour"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (json!([1, 2, 3]), StatusCode::BAD_REQUEST, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = post(server, &service, &path, body.clone()).await;
        assert_eq!(
            (got, answer["error"].as_str().unwrap_or("")),
            (status, code),
            "{body} → {answer}"
        );
        assert!(
            !answer["message"]
                .as_str()
                .unwrap()
                .contains(&"a".repeat(100)),
            "echoed input"
        );
    }
    let (status, _) = server
        .call(
            Method::POST,
            &path,
            Some(&service),
            Some(b"{\"purpose\": \xff}".to_vec()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = post(
        server,
        &server.keys.support.clone(),
        &path,
        grant("email", true),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // A role without `consents = true` reaches none of it.
    let support = server.keys.support.clone();
    for (method, route, body) in [
        (Method::GET, format!("/v1/subjects/{s}/consents"), None),
        (
            Method::POST,
            "/v1/marketing/check".to_string(),
            Some(json!({"subject": s, "channel": "email"})),
        ),
        (
            Method::POST,
            "/v1/marketing/format".to_string(),
            Some(json!({"channel": "email", "title": "t", "body": "b"})),
        ),
        (Method::GET, "/v1/consents/due".to_string(), None),
        (Method::GET, "/v1/consents/notices".to_string(), None),
        (Method::GET, "/v1/events".to_string(), None),
        (
            Method::POST,
            format!("/v1/subjects/{s}/guardian"),
            Some(json!({"granted": true, "evidence": {"method": "sms"}})),
        ),
    ] {
        let (status, answer) = server.json(method, &route, &support, body).await;
        assert_eq!(
            (status, answer["error"].as_str().unwrap_or("")),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{route}"
        );
    }
    let (status, _) = post(
        server,
        &service,
        "/v1/subjects/sub_nobody/consents",
        grant("email", true),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"channel": "email"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"subject": s, "channel": "pigeon"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_purpose = server
        .http
        .get(server.url(&format!("/v1/subjects/{s}/export")))
        .bearer_auth(&service)
        .header("x-vow-purpose", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_purpose.status(), StatusCode::BAD_REQUEST);
    // Nothing of all that was recorded.
    let (_, consents) = server.json(Method::GET, &path, &service, None).await;
    assert_eq!(consents["history"], json!([]));
    let (_, events) = server.json(Method::GET, "/v1/events", &service, None).await;
    assert_eq!(events["events"], json!([]));

    // Children: imagesfactory refuses them, and says so.
    let (status, answer) = post(
        server,
        &service,
        "/v1/subjects",
        json!({"external_id": "kid", "kind": "member", "birth_date": "2020-01-01"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "child_refused")
    );
    let (status, _) = post(
        server,
        &service,
        "/v1/subjects",
        json!({"external_id": "kid", "kind": "member", "birth_date": "01/01/2020"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        server,
        &service,
        "/v1/subjects",
        json!({"external_id": "adult", "kind": "member", "birth_date": "1990-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_walkthrough_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    consent_walkthrough(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_walkthrough_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    consent_walkthrough(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_clear_4xx_and_record_nothing_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    bad_requests_get_a_clear_4xx_and_record_nothing(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_clear_4xx_and_record_nothing_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    bad_requests_get_a_clear_4xx_and_record_nothing(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_unlocks_a_childs_data_under_aimos_over_http() {
    let policy = format!(
        "{}\n[[role]]\nkey = \"service\"\nlabel = \"service\"\nread = [\"user.*\"]\nwrite = [\"user.*\"]\nfull_view = [\"user.*\"]\nconsents = true\n[[role]]\nkey = \"support\"\nlabel = \"support\"\n",
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
    let (status, created) = post(
        &server,
        &service,
        "/v1/subjects",
        json!({"external_id": "kid", "kind": "member", "age": 9}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let child = created["id"].as_str().unwrap();
    let item = format!("/v1/subjects/{child}/items/user.name");
    let put = || {
        server.json(
            Method::PUT,
            &item,
            &service,
            Some(json!({"value": "김아이"})),
        )
    };
    let (status, answer) = put().await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (StatusCode::FORBIDDEN, "guardian_consent_missing")
    );
    let (status, answer) = post(
        &server,
        &service,
        &format!("/v1/subjects/{child}/guardian"),
        json!({"granted": true, "evidence": {"method": "sms"}}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_method")
    );
    let (status, _) = post(&server, &service, &format!("/v1/subjects/{child}/guardian"), json!({"granted": true, "evidence": {"method": "mobile_identity", "location": "app/guardian"}})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(put().await.0, StatusCode::CREATED);
    let (_, consents) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{child}/consents"),
            &service,
            None,
        )
        .await;
    assert_eq!(consents["minor"], true);
    server.stop().await;
}

/// The gate judges consent as it stood at the send time: a consent given after `at` does not count,
/// and a send between a grant and its withdrawal was allowed then.
async fn the_gate_judges_consent_as_of_the_send_time(server: &Server) {
    let service = server.keys.service.clone();
    let s = server.subject("as-of").await;
    let path = format!("/v1/subjects/{s}/consents");
    let granted_at = "2026-03-02T10:00:00+09:00";
    let withdrawn_at = "2026-06-01T10:00:00+09:00";
    let mut grant_then = grant("email", true);
    grant_then["at"] = json!(granted_at);
    let (status, body) = post(server, &service, &path, grant_then).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let check = |at: &'static str| {
        let service = service.clone();
        let s = s.clone();
        async move {
            let (status, verdict) = post(
                server,
                &service,
                "/v1/marketing/check",
                json!({"subject": s, "channel": "email", "at": at}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{verdict}");
            (verdict["allowed"].clone(), verdict["rule"].clone())
        }
    };
    // Years before the consent was given: no consent then.
    assert_eq!(
        check("2023-01-05T12:00:00+09:00").await,
        (json!(false), json!("no_consent"))
    );
    assert_eq!(
        check("2026-03-02T09:59:00+09:00").await,
        (json!(false), json!("no_consent"))
    );
    assert_eq!(
        check("2026-04-01T12:00:00+09:00").await,
        (json!(true), json!("consented"))
    );
    let mut withdraw = grant("email", false);
    withdraw["at"] = json!(withdrawn_at);
    let (status, body) = post(server, &service, &path, withdraw).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Between the grant and the withdrawal the send was allowed; after it, not.
    assert_eq!(
        check("2026-04-01T12:00:00+09:00").await,
        (json!(true), json!("consented"))
    );
    assert_eq!(
        check("2026-06-02T12:00:00+09:00").await,
        (json!(false), json!("withdrawn"))
    );
    // The campaign form judges each subject the same way.
    let (status, campaign) = post(
        server,
        &service,
        "/v1/marketing/check",
        json!({"subjects": [s], "channel": "email", "at": "2023-01-05T12:00:00+09:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{campaign}");
    assert!(campaign.to_string().contains("no_consent"), "{campaign}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_judges_consent_as_of_the_send_time_on_sqlite() {
    let server = start(Backend::Sqlite, None).await.unwrap();
    the_gate_judges_consent_as_of_the_send_time(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_judges_consent_as_of_the_send_time_on_postgres() {
    let Some(server) = start(Backend::Postgres, None).await else {
        return;
    };
    the_gate_judges_consent_as_of_the_send_time(&server).await;
    server.stop().await;
}
