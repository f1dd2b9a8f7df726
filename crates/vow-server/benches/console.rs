//! The console's pages with a large store: 1,000,000 subjects and 100,000 rights requests (a third
//! closed), each page fetched over loopback HTTP by a signed-in privacy officer, one request at a
//! time; p50, p99 and max per page. A bench binary: `cargo bench -p vow-server --bench console`.
//!
//! Environment: VOW_BENCH_SUBJECTS (default 1,000,000), VOW_BENCH_REQUESTS (default 100,000),
//! VOW_BENCH_ROUNDS (default 200 fetches per page), VOW_BENCH_DATABASE_URL to run on PostgreSQL too.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{
    ItemRecord, Location, Request, RequestOp, RightsRequestRow, Store, StoreOptions, SubjectOp,
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

/// Fills the store directly (a million subjects through the vault would take many minutes of
/// sealed writes, and only the pages are measured): subjects with a sealed phone and its blind
/// index, and requests spread over the next months, a third of them closed.
async fn fill(store: &Store, subjects: usize, requests: usize, now_ms: i64) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..256 {
        let (store, next) = (store.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= subjects {
                    break;
                }
                let id = format!("sub_fill{n:010}");
                store
                    .apply(Request::unlogged(SubjectOp::CreateSubject(SubjectRecord {
                        id: id.clone(),
                        external_id: format!("fill-{n}"),
                        kind: "member".into(),
                        wrapped_key: vec![7; 65],
                        created_ms: 0,
                        minor: false,
                        restricted: false,
                        closed_ms: None,
                        erasure_ms: None,
                        born_sealed: None,
                    })))
                    .await
                    .unwrap();
                store
                    .apply(Request::unlogged(SubjectOp::PutItem {
                        subject_id: id.clone(),
                        item: ItemRecord {
                            category: "user.contact.phone".into(),
                            sealed: vec![9; 45],
                            blind_index: Some((n as u64).to_be_bytes().repeat(4)),
                            updated_ms: 0,
                            contested: false,
                        },
                    }))
                    .await
                    .unwrap();
                if n < requests {
                    let state = if n % 3 == 0 { "completed" } else { "received" };
                    let detail = serde_json::json!({
                        "jurisdiction": if n % 2 == 0 { "kr" } else { "eu" },
                        "verification": {"method": if n % 10 == 0 { "none" } else { "logged_in_session" }},
                    });
                    store
                        .apply(Request::unlogged(RequestOp::CreateRightsRequest(
                            RightsRequestRow {
                                id: format!("req_fill{n:010}"),
                                subject_id: id,
                                kind: "access".into(),
                                state: state.into(),
                                received_ms: now_ms - 86_400_000,
                                due_ms: now_ms + (n as i64 % 90) * 86_400_000 - 5 * 86_400_000,
                                updated_ms: now_ms,
                                detail: detail.to_string(),
                            },
                        )))
                        .await
                        .unwrap();
                }
                if n % 100_000 == 0 {
                    eprintln!("  filled {n} subjects");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

struct Percentiles {
    p50: f64,
    p99: f64,
    max: f64,
}

fn percentiles(mut ms: Vec<f64>) -> Percentiles {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        max: *ms.last().unwrap(),
    }
}

async fn run(name: &str, location: Location, dir: &Path) {
    let subjects = env_or("VOW_BENCH_SUBJECTS", 1_000_000) as usize;
    let requests = env_or("VOW_BENCH_REQUESTS", 100_000) as usize;
    let rounds = env_or("VOW_BENCH_ROUNDS", 200) as usize;
    let key_file = dir.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(&location, StoreOptions::default()).unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let started = Instant::now();
    fill(&store, subjects, requests.min(subjects), now_ms).await;
    eprintln!(
        "{name}: filled {subjects} subjects and {requests} requests in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let vault = Arc::new(Vault::new(VaultConfig {
        policy: vow_policy::load(Path::new(POLICY)).unwrap(),
        keys,
        key_file: Some(key_file),
        store,
        clock: Arc::new(SystemClock),
        checkpoints: Some(dir.join("checkpoints.jsonl")),
    }));
    // A privacy officer, enrolled and signed in as the pages' tests do.
    let new = vault
        .add_console_user(
            &Caller::operator(None),
            "officer@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    let totp = vault.pending_enrolment(&new.token).await.unwrap().totp;
    // The fill took a while: the code is for the time now.
    let code = format!("{:06}", totp.code_at_step(vault.now_ms() / 30_000));
    vault
        .complete_enrolment(&new.token, "correct horse 42", &code)
        .await
        .unwrap();
    let session = vault
        .console_sign_in(
            "officer@example.com",
            "correct horse 42",
            &code,
            "127.0.0.1",
        )
        .await
        .unwrap()
        .token
        .to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = vow_server::AppState::new(Arc::clone(&vault));
    tokio::spawn(async move {
        vow_server::serve(
            state,
            listener,
            None,
            vow_server::Limits::default(),
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let cookie = format!("vow_console={session}");
    let get = |path: String| {
        let (http, cookie, base) = (http.clone(), cookie.clone(), base.clone());
        async move {
            let started = Instant::now();
            let response = http
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert!(status.is_success(), "{path}: {status}");
            (started.elapsed().as_secs_f64() * 1000.0, body)
        }
    };
    // A cursor deep in the queue, and one request and its subject.
    let (_, first) = get("/console/requests".into()).await;
    let next = first
        .split("after=")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .unwrap_or_default();
    let deep = format!("{}.req_fill0000050000", now_ms + 40 * 86_400_000);
    let sample = (requests.min(subjects) / 2 + 4321) % requests.min(subjects).max(1);
    let request = format!("req_fill{sample:010}");
    let subject = format!("sub_fill{sample:010}");
    let pages = [
        ("Today", "/console/".to_string()),
        ("Requests, first page", "/console/requests".into()),
        (
            "Requests, next page",
            format!("/console/requests?after={next}"),
        ),
        (
            "Requests, deep in the queue",
            format!("/console/requests?after={deep}"),
        ),
        (
            "Unverified and duplicates",
            "/console/requests?view=unverified".into(),
        ),
        ("A request", format!("/console/requests/{request}")),
        ("Its notice", format!("/console/requests/{request}/notice")),
        ("A subject", format!("/console/subjects/{subject}")),
        ("Consent", "/console/consent".into()),
        ("Retention", "/console/retention".into()),
        ("Destruction ledger", "/console/retention/ledger".into()),
        ("Access-log review", "/console/review".into()),
        ("Provisions", "/console/provisions".into()),
        ("Policy", "/console/policy".into()),
    ];
    println!("\n{name}: {subjects} subjects, {requests} requests, {rounds} fetches per page\n");
    println!("| page | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- |");
    for (label, path) in pages {
        for _ in 0..3 {
            get(path.clone()).await;
        }
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            times.push(get(path.clone()).await.0);
        }
        let p = percentiles(times);
        println!("| {label} | {:.1} | {:.1} | {:.1} |", p.p50, p.p99, p.max);
    }
    // The preview walks every subject, as the sweep does: timed once, apart.
    let (preview, _) = get("/console/retention?preview=1".into()).await;
    println!("\nThe retention preview (every subject walked, on demand): {preview:.0} ms");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var("VOW_BENCH_SKIP_SQLITE").as_deref() != Ok("1") {
            run(
            "SQLite",
            Location::Directory(dir.path().join("data")),
            dir.path(),
        )
        .await;
        }
        if let Ok(url) = std::env::var("VOW_BENCH_DATABASE_URL") {
            let dir = tempfile::tempdir().unwrap();
            let schema = format!("vow_bench_console_{}", std::process::id());
            run(
                "PostgreSQL",
                Location::Postgres {
                    url: url.clone(),
                    schema: Some(schema.clone()),
                },
                dir.path(),
            )
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
    });
}
