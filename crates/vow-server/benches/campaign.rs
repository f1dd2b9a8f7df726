//! The advertising gate over loopback HTTP: one campaign of VOW_BENCH_RECIPIENTS (default 1,000,000)
//! subjects checked through the batch form of `POST /v1/marketing/check`, and single checks per
//! second at concurrency 16. A bench binary (`cargo bench -p vow-server --bench campaign`); the
//! recipients are loaded straight into the store first (two thirds consented, one third withdrew).
//!
//! Environment: VOW_BENCH_RECIPIENTS, VOW_BENCH_SECONDS (default 5), VOW_BENCH_DATABASE_URL to run
//! against PostgreSQL as well.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{
    ConsentEvent, ConsentOp, Location, OutboxRecord, Request, Store, StoreOptions, SubjectOp,
    SubjectRecord,
};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn load(store: &Store, recipients: usize) -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ids: Vec<String> = (0..recipients)
        .map(|n| format!("sub_bench{n:010}"))
        .collect();
    let started = Instant::now();
    for (c, chunk) in ids.chunks(2_000).enumerate() {
        let creates = chunk.iter().map(|id| {
            store.apply(Request::unlogged(SubjectOp::CreateSubject(SubjectRecord {
                id: id.clone(),
                external_id: format!("ext-{id}"),
                kind: "member".into(),
                wrapped_key: vec![7; 65],
                created_ms: now,
                minor: false,
                restricted: false,
                closed_ms: None,
                erasure_ms: None,
                born_sealed: None,
            })))
        });
        for result in futures_util::future::join_all(creates).await {
            result.unwrap();
        }
        let consents = chunk
            .iter()
            .enumerate()
            .map(|(n, id)| (c * 2_000 + n, id))
            .filter(|(n, _)| n % 3 != 0)
            .map(|(n, id)| {
                let event = ConsentEvent {
                    seq: 0,
                    id: format!("con_{id}"),
                    subject_id: id.clone(),
                    purpose: "marketing".into(),
                    channel: "email".into(),
                    night: false,
                    change: if n % 3 == 1 { "grant" } else { "withdraw" }.into(),
                    at_ms: now - 86_400_000,
                    recorded_ms: now,
                    policy_version: "bench".into(),
                    by_guardian: false,
                    evidence: vec![0; 60],
                    key_id: "bench".into(),
                    notice_due_ms: None,
                    notice_sent_ms: None,
                };
                store.apply(Request::unlogged(ConsentOp::RecordConsent {
                    event: Box::new(event),
                    expected: None,
                    outbox: Box::new(OutboxRecord {
                        seq: 0,
                        id: format!("evt_{id}"),
                        subject_id: Some(id.clone()),
                        kind: "consent.granted".into(),
                        body: "{}".into(),
                        created_ms: now,
                        attempts: 0,
                        delivered_ms: None,
                    }),
                }))
            });
        for result in futures_util::future::join_all(consents).await {
            result.unwrap();
        }
    }
    eprintln!(
        "  loaded {recipients} subjects and {} consents in {:.1} s",
        recipients * 2 / 3,
        started.elapsed().as_secs_f64()
    );
    ids
}

/// The process's peak resident memory (Linux `VmHWM`), in KiB.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn run(label: &str, location: Location, dir: &Path) {
    let recipients = env_or("VOW_BENCH_RECIPIENTS", 1_000_000) as usize;
    let seconds = env_or("VOW_BENCH_SECONDS", 5);
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (base, key, ids) = server.block_on(async {
        let key_file = dir.join("vow.keys");
        let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
        let vault = Arc::new(Vault::new(VaultConfig {
            policy: vow_policy::load(Path::new(POLICY)).unwrap(),
            keys,
            key_file: Some(key_file),
            store: Store::open(&location, StoreOptions::default()).unwrap(),
            clock: Arc::new(SystemClock),
            checkpoints: None,
        }));
        let ids = load(vault.store(), recipients).await;
        let key = vault
            .create_api_key(&Caller::operator(None), "service", "bench")
            .await
            .unwrap()
            .secret
            .to_string();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = vow_server::AppState::new(vault);
        tokio::spawn(vow_server::serve(
            state,
            listener,
            None,
            vow_server::Limits::default(),
            std::future::pending(),
        ));
        (base, key, ids)
    });
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    client_runtime.block_on(async {
        let http = reqwest::Client::new();
        // Noon tomorrow in Seoul: a daytime send, so the gate decides on consent alone.
        let noon = (time::OffsetDateTime::now_utc().to_offset(vow_engine::marketing::KST).date()
            + time::Duration::days(1))
        .with_hms(12, 0, 0)
        .unwrap()
        .assume_offset(vow_engine::marketing::KST)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
        // A campaign goes a page at a time (the API's body limit holds 5,000 ids), four pages in
        // flight: the server never holds more than a few pages.
        let peak_before = peak_memory_kib();
        let started = Instant::now();
        let page_size = vow_engine::consent::MAX_CAMPAIGN;
        let mut allowed = 0u64;
        let mut refused = 0u64;
        use futures_util::StreamExt as _;
        let mut pages = futures_util::stream::iter(ids.chunks(page_size).map(|page| {
            let (http, base, key, noon) = (http.clone(), base.clone(), key.clone(), noon.clone());
            async move {
                let response = http
                    .post(format!("{base}/v1/marketing/check"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({"subjects": page, "channel": "email", "at": noon}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let answer: serde_json::Value = response.json().await.unwrap();
                assert!(status.is_success(), "{status}: {answer}");
                (answer["allowed"].as_u64().unwrap(), answer["refused"].as_u64().unwrap())
            }
        }))
        .buffer_unordered(4);
        while let Some((a, r)) = pages.next().await {
            allowed += a;
            refused += r;
        }
        let elapsed = started.elapsed();
        assert_eq!(allowed as usize, recipients / 3, "a third consented and kept it");
        println!(
            "{label}: campaign of {recipients} recipients checked over HTTP in pages of {page_size} in {:.2} s ({allowed} allowed, {refused} refused); peak memory of the process {} MiB before, {} MiB after",
            elapsed.as_secs_f64(),
            peak_before / 1024,
            peak_memory_kib() / 1024,
        );
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let workers = (0..16).map(|w| {
            let (http, base, key, ids, noon) =
                (http.clone(), base.clone(), key.clone(), &ids, noon.clone());
            async move {
                let mut done = 0u64;
                let mut n = w * 7919;
                while Instant::now() < deadline {
                    let subject = &ids[n % ids.len()];
                    n += 16;
                    let response = http
                        .post(format!("{base}/v1/marketing/check"))
                        .bearer_auth(&key)
                        .json(&serde_json::json!({"subject": subject, "channel": "email", "at": noon}))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    let _ = response.bytes().await;
                    done += 1;
                }
                done
            }
        });
        let started = Instant::now();
        let total: u64 = futures_util::future::join_all(workers).await.into_iter().sum();
        println!(
            "{label}: single checks over HTTP, concurrency 16: {:.0}/s",
            total as f64 / started.elapsed().as_secs_f64()
        );
    });
    drop(server);
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    run(
        "SQLite",
        Location::Directory(dir.path().join("data")),
        dir.path(),
    );
    if let Ok(url) = std::env::var("VOW_BENCH_DATABASE_URL") {
        let schema = format!("vow_bench_campaign_{}", std::process::id());
        let pg_dir = tempfile::tempdir().unwrap();
        run(
            "PostgreSQL",
            Location::Postgres {
                url: url.clone(),
                schema: Some(schema.clone()),
            },
            pg_dir.path(),
        );
        if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
            ));
        }
    }
}
