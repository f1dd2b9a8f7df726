//! Erasure against what a law still holds, over real HTTP on SQLite and PostgreSQL: a `DELETE` or an
//! erasure request never destroys a piece a `[[retention]]` rule with a legal basis still requires, it
//! keeps it apart and says so; and once a subject is erased or their account closed, vow stops using
//! them — no advertising, no new data, consent or record — while every destruction is on the ledger.
#![allow(clippy::unwrap_used)]

mod common;

use common::{file_and_complete, now_ms, put, record, start, sweep, Backend, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;

async fn ledger(server: &Server) -> Vec<Value> {
    let (status, body) = server
        .json(Method::GET, "/v1/destructions", &server.keys.officer, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["destructions"].as_array().unwrap().clone()
}

fn ledger_of<'a>(lines: &'a [Value], subject: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["subject"] == subject).collect()
}

async fn separated(server: &Server, subject: &str) -> (StatusCode, Value) {
    let response = server
        .http
        .get(server.url(&format!("/v1/subjects/{subject}/separated")))
        .bearer_auth(&server.keys.officer)
        .header("x-vow-reason", "전자상거래법 분쟁 대응")
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn erase(server: &Server, subject: &str) -> (StatusCode, Value) {
    server
        .json(
            Method::DELETE,
            &format!("/v1/subjects/{subject}"),
            &server.keys.service,
            None,
        )
        .await
}

async fn gate(server: &Server, subject: &str) -> Value {
    let (status, verdict) = server
        .json(
            Method::POST,
            "/v1/marketing/check",
            &server.keys.service,
            // Asked for noon tomorrow in Korea: an e-mail at night needs a consent of its own,
            // and the test must not depend on the hour it runs.
            Some(json!({"subject": subject, "channel": "email", "at": noon_tomorrow_in_korea()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    verdict
}

fn noon_tomorrow_in_korea() -> String {
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    format!("{}T03:00:00Z", tomorrow.date())
}

fn marketing_consent(granted: bool) -> Value {
    json!({
        "purpose": "marketing",
        "channel": "email",
        "granted": granted,
        "evidence": {"method": "web_form", "location": "https://imagesfactory.example/signup"},
    })
}

/// What a closed or erased subject must refuse: new items, records of categories no law holds
/// (fraud records are kept by internal policy only), consents. Each answer names why.
async fn nothing_new_is_accepted(server: &Server, subject: &str) {
    let (status, body) = server
        .json(
            Method::PUT,
            &format!("/v1/subjects/{subject}/items/user.contact.phone"),
            &server.keys.service,
            Some(json!({"value": "010-2222-3333"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "subject_closed", "{body}");
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{subject}/records/user.behavior.fraud_record"),
            &server.keys.service,
            Some(json!({"value": "chargeback abuse"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "subject_closed", "{body}");
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{subject}/consents"),
            &server.keys.service,
            Some(marketing_consent(true)),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "subject_closed", "{body}");
}

/// The first reproduction: a member closes their account, the sweep moves the e-mail and the
/// order apart under `contract_records` (전자상거래법, five years), and then the service `DELETE`s
/// them. Nothing held may go, and the answer must say what was kept.
async fn a_delete_after_the_sweep_keeps_what_the_law_holds(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let member = server.subject("closed-then-deleted").await;
    put(&server, &member, "user.contact.email", "held@example.com").await;
    let ordered = now_ms() - 30 * DAY_MS;
    record(
        &server,
        &member,
        "user.financial.order",
        "order 12, 19,800원",
        ordered,
    )
    .await;
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let report = sweep(&server, now_ms()).await;
    assert_eq!(report.separated, 2, "{report:?}");
    let lines_before = ledger_of(&ledger(&server).await, &member).len();

    let (status, body) = erase(&server, &member).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kept = body["kept_apart"].as_array().unwrap();
    assert_eq!(kept.len(), 2, "{body}");
    for piece in kept {
        assert_eq!(piece["rule"], "contract_records", "{body}");
        assert!(
            piece["law"].as_str().unwrap().contains("전자상거래"),
            "{body}"
        );
        assert!(piece["until_ms"].as_i64().unwrap() > now_ms() + 4 * 365 * DAY_MS);
    }
    assert_eq!(body["data_key_destroyed"], false, "{body}");

    // Both pieces are still there, apart, for the officer with a reason.
    let (status, rows) = separated(&server, &member).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows["separated"].as_array().unwrap().len(), 2, "{rows}");
    assert!(rows.to_string().contains("held@example.com"));
    // Nothing was destroyed, so the ledger has no new line; and nothing new is taken.
    assert_eq!(
        ledger_of(&ledger(&server).await, &member).len(),
        lines_before
    );
    nothing_new_is_accepted(&server, &member).await;
    assert_eq!(gate(&server, &member).await["rule"], "closed");

    // An erasure request on the same subject answers the same, and a second DELETE says it is done.
    let done = file_and_complete(
        &server,
        json!({"subject": member, "type": "erasure",
               "verification": {"method": "logged_in_session"}}),
    )
    .await;
    assert_eq!(
        done["answer"]["kept_apart"].as_array().unwrap().len(),
        2,
        "{done}"
    );
    assert_eq!(done["answer"]["destroyed"], 0, "{done}");
    assert_eq!(
        done["request"]["result"]["kept_apart"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{done}"
    );
    let (status, body) = erase(&server, &member).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(separated(&server, &member).await.0, StatusCode::OK);

    // Five years after the order the law's hold ends: the sweep destroys both, with their lines, and
    // the data key with the last of them.
    let report = sweep(
        &server,
        vow_engine::retention::add_period(ordered, vow_policy::model::Period::Years(5)) + 1,
    )
    .await;
    assert_eq!((report.destroyed, report.shredded), (2, 1), "{report:?}");
    let lines = ledger(&server).await;
    let mine = ledger_of(&lines, &member);
    let destroyed: i64 = mine
        .iter()
        .filter(|l| l["storage"] == "separated")
        .map(|l| l["count"].as_i64().unwrap())
        .sum();
    assert_eq!(destroyed, 2, "{mine:?}");
    assert!(
        mine.iter().any(|l| l["storage"] == "subject_key"),
        "{mine:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_after_the_sweep_keeps_what_the_law_holds_on_sqlite() {
    a_delete_after_the_sweep_keeps_what_the_law_holds(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_after_the_sweep_keeps_what_the_law_holds_on_postgres() {
    a_delete_after_the_sweep_keeps_what_the_law_holds(Backend::Postgres).await;
}

/// The second reproduction: a paying member (an order on record) who consented to
/// advertising is deleted. What the law holds is kept apart, everything else goes with a ledger line
/// each, and from then on the member is not used: the gate refuses with its own rule, the consent
/// evidence is gone, and no new item, record or consent is taken.
async fn a_deleted_paying_member_is_no_longer_used(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let member = server.subject("paying-member").await;
    put(&server, &member, "user.contact.email", "payer@example.com").await;
    put(&server, &member, "user.contact.phone", "010-9876-5432").await;
    put(
        &server,
        &member,
        "user.credential.password",
        "Payer-Passw0rd!",
    )
    .await;
    let ordered = now_ms() - 10 * DAY_MS;
    record(
        &server,
        &member,
        "user.financial.order",
        "order 9, 4,900원",
        ordered,
    )
    .await;
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/consents"),
            &server.keys.service,
            Some(marketing_consent(true)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(gate(&server, &member).await["allowed"], true);

    let (status, body) = erase(&server, &member).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kept: Vec<(&str, &str)> = body["kept_apart"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["category"].as_str().unwrap(), k["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(kept.len(), 2, "{body}");
    assert!(
        kept.contains(&("user.contact.email", "contract_records")),
        "{body}"
    );
    assert!(
        kept.contains(&("user.financial.order", "contract_records")),
        "{body}"
    );

    // Every piece that went has its ledger line: the phone, the password and the consent evidence.
    let lines = ledger(&server).await;
    let mine = ledger_of(&lines, &member);
    for category in [
        "user.contact.phone",
        "user.credential.password",
        "consent.evidence",
    ] {
        assert!(
            mine.iter().any(|l| l["category"] == category),
            "no ledger line for {category}: {mine:?}"
        );
    }
    assert!(
        mine.iter().all(|l| l["category"] != "user.contact.email"),
        "{mine:?}"
    );
    // What is held is reachable only as separated storage, with a reason.
    let (status, _) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/items/user.contact.email"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, rows) = separated(&server, &member).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows["separated"].as_array().unwrap().len(), 2, "{rows}");

    // The person is no longer used.
    let verdict = gate(&server, &member).await;
    assert_eq!(
        (verdict["allowed"].clone(), verdict["rule"].clone()),
        (json!(false), json!("closed"))
    );
    let (status, consents) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/consents"),
            &server.keys.officer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{consents}");
    assert!(
        !consents
            .to_string()
            .contains("imagesfactory.example/signup"),
        "{consents}"
    );
    assert!(consents["current"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["granted"] == false));
    nothing_new_is_accepted(&server, &member).await;
    // The campaign form says the same.
    let (status, campaign) = server
        .json(
            Method::POST,
            "/v1/marketing/check",
            &server.keys.service,
            Some(json!({"subjects": [member], "channel": "email"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{campaign}");
    assert!(campaign.to_string().contains("\"closed\""), "{campaign}");

    let (status, body) = erase(&server, &member).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_paying_member_is_no_longer_used_on_sqlite() {
    a_deleted_paying_member_is_no_longer_used(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_paying_member_is_no_longer_used_on_postgres() {
    a_deleted_paying_member_is_no_longer_used(Backend::Postgres).await;
}

/// An account closure alone, before any sweep, already ends use: the gate refuses, nothing new is
/// accepted; the sweep then does what the rules say.
async fn a_closed_account_is_not_used_before_the_sweep(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let member = server.subject("closing").await;
    put(
        &server,
        &member,
        "user.contact.email",
        "closing@example.com",
    )
    .await;
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/consents"),
            &server.keys.service,
            Some(marketing_consent(true)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/events"),
            &server.keys.service,
            Some(json!({"event": "account_closure"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(gate(&server, &member).await["rule"], "closed");
    nothing_new_is_accepted(&server, &member).await;
    // A law-held record that arrives after the closure (a refund) is still taken, straight into
    // separated storage: the law needs it, use has ended.
    let (status, body) = server
        .json(
            Method::POST,
            &format!("/v1/subjects/{member}/records/user.financial.order"),
            &server.keys.service,
            Some(json!({"value": "refund of order 3"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, records) = server
        .json(
            Method::GET,
            &format!("/v1/subjects/{member}/records"),
            &server.keys.service,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{records}");
    assert!(!records.to_string().contains("refund"), "{records}");
    let (_, rows) = separated(&server, &member).await;
    assert!(rows.to_string().contains("refund of order 3"), "{rows}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_account_is_not_used_before_the_sweep_on_sqlite() {
    a_closed_account_is_not_used_before_the_sweep(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_account_is_not_used_before_the_sweep_on_postgres() {
    a_closed_account_is_not_used_before_the_sweep(Backend::Postgres).await;
}
