//! Events out, against a real local receiver over loopback HTTP: it fails, it is down while vow
//! restarts, then it recovers — and every event arrives, signed, once per idempotency key, in order
//! per subject.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::postgres_url;
use vow_engine::{Caller, ConsentChange, Evidence, SystemClock, Vault, VaultConfig};
use vow_store::{Location, Store, StoreOptions};

const SECRET: &[u8] = b"webhook-test-secret-0123456789";

#[derive(Default)]
struct Received {
    failing: bool,
    attempts: usize,
    bad_signatures: usize,
    /// First accepted delivery of each id, in the order accepted: (subject, seq, id).
    accepted: Vec<(String, i64, String)>,
    seen: HashSet<String>,
    duplicates: usize,
}

type Shared = Arc<Mutex<Received>>;

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut received = shared.lock().unwrap();
    received.attempts += 1;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let timestamp = headers["vow-timestamp"].to_str().unwrap();
    let signature = headers["vow-signature"].to_str().unwrap();
    if !vow_server::verify(SECRET, timestamp, &body, signature, now, 300) {
        received.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    if received.failing {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = event["id"].as_str().unwrap().to_string();
    assert_eq!(headers["vow-event-id"].to_str().unwrap(), id);
    if received.seen.insert(id.clone()) {
        received.accepted.push((
            event["subject"].as_str().unwrap().to_string(),
            event["seq"].as_i64().unwrap(),
            id,
        ));
    } else {
        received.duplicates += 1;
    }
    StatusCode::NO_CONTENT
}

/// Runs the receiver on `listener` until the returned task is aborted.
fn receiver(listener: std::net::TcpListener, shared: Shared) -> tokio::task::JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let app = axum::Router::new()
        .route("/hooks/vow", axum::routing::post(receive))
        .with_state(shared);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    })
}

fn open(location: &Location, key_file: &std::path::Path) -> Arc<Vault> {
    let policy = vow_policy::load(std::path::Path::new(common::POLICY)).unwrap();
    let (keys, _) = vow_crypto::KeyRing::load_or_create(key_file).unwrap();
    Arc::new(Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(key_file.to_path_buf()),
        store: Store::open(location, StoreOptions::default()).unwrap(),
        clock: Arc::new(SystemClock),
        checkpoints: None,
    }))
}

fn change(channel: &str, granted: bool) -> ConsentChange {
    ConsentChange {
        purpose: "marketing".into(),
        channel: Some(channel.into()),
        night: false,
        granted,
        evidence: Evidence {
            method: "app_checkbox".into(),
            location: None,
            wording: None,
        },
        at_ms: None,
        by_guardian: false,
    }
}

async fn wait_until(what: &str, shared: &Shared, done: impl Fn(&Received) -> bool) {
    for _ in 0..600 {
        if done(&shared.lock().unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = shared.lock().unwrap();
    panic!(
        "timed out waiting for {what}: {} attempts, {} accepted",
        received.attempts,
        received.accepted.len()
    );
}

async fn every_event_arrives_once_in_order_through_failures_and_a_restart(location: Location) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("vow.keys");
    let shared: Shared = Arc::new(Mutex::new(Received {
        failing: true,
        ..Received::default()
    }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let mut receiver_task = receiver(listener, Arc::clone(&shared));
    let mut config =
        vow_server::WebhookConfig::new(&format!("http://{address}/hooks/vow"), SECRET.to_vec())
            .unwrap();
    config.poll = Duration::from_millis(20);
    config.retry_base = Duration::from_millis(40);

    let service = Caller::operator(None);
    let service = Caller {
        role: "service".into(),
        key_id: "key_service".into(),
        ..service
    };
    let vault = open(&location, &key_file);
    let mut subjects = Vec::new();
    for n in 0..3 {
        let s = vault
            .create_subject(&service, &format!("hook-{n}"), "member")
            .await
            .unwrap();
        vault
            .record_consent(&service, &s, change("email", true))
            .await
            .unwrap();
        vault
            .record_consent(&service, &s, change("push", true))
            .await
            .unwrap();
        vault
            .record_consent(&service, &s, change("email", false))
            .await
            .unwrap();
        subjects.push(s);
    }
    // 1. The receiver fails every delivery.
    let delivering = tokio::spawn(vow_server::deliver_events(
        Arc::clone(&vault),
        config.clone(),
    ));
    wait_until("failed attempts", &shared, |r| r.attempts >= 6).await;
    assert!(shared.lock().unwrap().accepted.is_empty());
    // 2. vow stops; the receiver goes down; vow starts again on the same data and more changes come.
    delivering.abort();
    let _ = delivering.await;
    vault.store().clone().close().await;
    drop(vault);
    receiver_task.abort();
    let _ = receiver_task.await;
    let vault = open(&location, &key_file);
    vault
        .record_consent(&service, &subjects[0], change("email", true))
        .await
        .unwrap();
    vault
        .record_consent(&service, &subjects[1], change("push", false))
        .await
        .unwrap();
    let delivering = tokio::spawn(vow_server::deliver_events(
        Arc::clone(&vault),
        config.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    // 3. The receiver comes back and succeeds.
    shared.lock().unwrap().failing = false;
    let listener = std::net::TcpListener::bind(address).unwrap();
    receiver_task = receiver(listener, Arc::clone(&shared));
    wait_until("all 11 events", &shared, |r| r.accepted.len() == 11).await;
    delivering.abort();
    let _ = delivering.await;

    let (bad_signatures, accepted_list) = {
        let received = shared.lock().unwrap();
        (received.bad_signatures, received.accepted.clone())
    };
    assert_eq!(bad_signatures, 0);
    let events = vault.events(&service, 0, 100).await.unwrap();
    assert_eq!(events.len(), 11);
    assert!(events.iter().all(|e| e.delivered));
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let accepted: HashSet<&str> = accepted_list.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(
        ids, accepted,
        "every event, and nothing else, accepted once"
    );
    let mut per_subject: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (subject, seq, _) in &accepted_list {
        per_subject.entry(subject).or_default().push(*seq);
    }
    for (subject, seqs) in per_subject {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{subject}: out of order {seqs:?}"
        );
    }
    receiver_task.abort();
    vault.store().clone().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_once_in_order_through_failures_and_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    every_event_arrives_once_in_order_through_failures_and_a_restart(Location::Directory(
        dir.path().join("data"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_once_in_order_through_failures_and_a_restart_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("vow_hooks_{}", std::process::id());
    every_event_arrives_once_in_order_through_failures_and_a_restart(Location::Postgres {
        url: url.clone(),
        schema: Some(schema.clone()),
    })
    .await;
    std::thread::spawn(move || {
        if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
            ));
        }
    })
    .join()
    .unwrap();
}

#[test]
fn a_receiver_accepts_a_fresh_signed_delivery_and_nothing_else() {
    let body = br#"{"id":"evt_1","type":"consent.granted"}"#;
    let now = 1_764_000_000;
    let signature = vow_server::sign(SECRET, now, body);
    let check = |secret: &[u8], ts: &str, body: &[u8], sig: &str, at: i64| {
        vow_server::verify(secret, ts, body, sig, at, 300)
    };
    assert!(check(SECRET, &now.to_string(), body, &signature, now + 299));
    // Altered body, other secret, another timestamp than the one signed, a replay an hour later.
    assert!(!check(
        SECRET,
        &now.to_string(),
        br#"{"id":"evt_2"}"#,
        &signature,
        now
    ));
    assert!(!check(
        b"another-secret-0123456789",
        &now.to_string(),
        body,
        &signature,
        now
    ));
    assert!(!check(
        SECRET,
        &(now + 1).to_string(),
        body,
        &signature,
        now
    ));
    assert!(!check(
        SECRET,
        &now.to_string(),
        body,
        &signature,
        now + 3600
    ));
    assert!(!check(SECRET, "soon", body, &signature, now));
}

#[test]
fn webhook_urls_must_be_https_or_loopback_and_secrets_long_enough() {
    let secret = SECRET.to_vec();
    assert!(vow_server::WebhookConfig::new("https://app.example/hooks", secret.clone()).is_ok());
    assert!(vow_server::WebhookConfig::new("http://127.0.0.1:9/hooks", secret.clone()).is_ok());
    assert!(vow_server::WebhookConfig::new("http://app.example/hooks", secret.clone()).is_err());
    assert!(vow_server::WebhookConfig::new("ftp://app.example/hooks", secret.clone()).is_err());
    assert!(vow_server::WebhookConfig::new("not a url", secret).is_err());
    assert!(
        vow_server::WebhookConfig::new("https://app.example/hooks", b"short".to_vec()).is_err()
    );
}

/// Two servers on one store deliver side by side: the lease gives each event to one of them.
async fn two_servers_deliver_each_event_once(location: Location) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("vow.keys");
    let shared: Shared = Arc::new(Mutex::new(Received::default()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let receiver_task = receiver(listener, Arc::clone(&shared));
    let mut config =
        vow_server::WebhookConfig::new(&format!("http://{address}/hooks/vow"), SECRET.to_vec())
            .unwrap();
    config.poll = Duration::from_millis(5);
    let service = Caller {
        role: "service".into(),
        key_id: "key_service".into(),
        ..Caller::operator(None)
    };
    let (first, second) = (open(&location, &key_file), open(&location, &key_file));
    let mut total = 0;
    for n in 0..20 {
        let vault = if n % 2 == 0 { &first } else { &second };
        let s = vault
            .create_subject(&service, &format!("pair-{n}"), "member")
            .await
            .unwrap();
        vault
            .record_consent(&service, &s, change("email", true))
            .await
            .unwrap();
        vault
            .record_consent(&service, &s, change("email", false))
            .await
            .unwrap();
        total += 2;
    }
    let a = tokio::spawn(vow_server::deliver_events(
        Arc::clone(&first),
        config.clone(),
    ));
    let b = tokio::spawn(vow_server::deliver_events(Arc::clone(&second), config));
    wait_until("every event", &shared, |r| r.accepted.len() == total).await;
    a.abort();
    b.abort();
    let (duplicates, accepted) = {
        let received = shared.lock().unwrap();
        (received.duplicates, received.accepted.clone())
    };
    assert_eq!(duplicates, 0, "an event went out twice");
    let mut per_subject: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (subject, seq, _) in accepted {
        per_subject.entry(subject).or_default().push(seq);
    }
    assert!(per_subject
        .values()
        .all(|seqs| seqs.windows(2).all(|w| w[0] < w[1])));
    receiver_task.abort();
    first.store().clone().close().await;
    second.store().clone().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_deliver_each_event_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_servers_deliver_each_event_once(Location::Directory(dir.path().join("data"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_deliver_each_event_once_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("vow_hooks_pair_{}", std::process::id());
    two_servers_deliver_each_event_once(Location::Postgres {
        url: url.clone(),
        schema: Some(schema.clone()),
    })
    .await;
    std::thread::spawn(move || {
        if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
            ));
        }
    })
    .join()
    .unwrap();
}
