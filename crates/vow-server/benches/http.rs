//! Load over loopback HTTP: reads and writes per second, p50 and p99 latency, with every value
//! encrypted and every access logged. A bench binary (`cargo bench -p vow-server --bench http`):
//! the server runs in-process on its own runtime, the load generator on another, both over real
//! TCP on 127.0.0.1.
//!
//! Environment: VOW_BENCH_SECONDS (default 5), VOW_BENCH_CONCURRENCY (default 64),
//! VOW_BENCH_DATABASE_URL to run against PostgreSQL as well.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{Location, Store, StoreOptions};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const SUBJECTS: usize = 2_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Setup {
    base: String,
    key: String,
    subjects: Vec<String>,
}

fn start(location: Location, dir: &Path, server_runtime: &tokio::runtime::Runtime) -> Setup {
    server_runtime.block_on(async {
        let key_file = dir.join("vow.keys");
        let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
        let vault = Arc::new(Vault::new(VaultConfig {
            policy: vow_policy::load(Path::new(POLICY)).unwrap(),
            keys,
            key_file: Some(key_file),
            store: Store::open(&location, StoreOptions::default()).unwrap(),
            clock: Arc::new(SystemClock),
            checkpoints: Some(dir.join("checkpoints.jsonl")),
        }));
        let key = vault
            .create_api_key(&Caller::operator(None), "service", "bench")
            .await
            .unwrap()
            .secret
            .to_string();
        let caller = Caller {
            key_id: "bench".into(),
            role: "service".into(),
            source: "127.0.0.1".into(),
            reason: None,
            purpose: None,
        };
        let mut subjects = Vec::with_capacity(SUBJECTS);
        for n in 0..SUBJECTS {
            let id = vault
                .create_subject(&caller, &format!("bench-{n}"), "member")
                .await
                .unwrap();
            vault
                .put_item(
                    &caller,
                    &id,
                    "user.contact.phone",
                    &format!("010-{:04}-{:04}", n / 10_000, n % 10_000),
                )
                .await
                .unwrap();
            subjects.push(id);
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = vow_server::AppState::new(vault);
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
        Setup {
            base,
            key,
            subjects,
        }
    })
}

#[derive(Clone, Copy)]
enum Load {
    Reads,
    Writes,
}

fn run(load: Load, setup: &Setup, client_runtime: &tokio::runtime::Runtime) -> (f64, f64, f64) {
    let seconds = env_or("VOW_BENCH_SECONDS", 5);
    let concurrency = env_or("VOW_BENCH_CONCURRENCY", 64) as usize;
    client_runtime.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let subjects = Arc::new(setup.subjects.clone());
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (http, subjects, base, key) = (
                http.clone(),
                Arc::clone(&subjects),
                setup.base.clone(),
                setup.key.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = worker;
                while Instant::now() < deadline {
                    let subject = &subjects[n % subjects.len()];
                    let url = format!("{base}/v1/subjects/{subject}/items/user.contact.phone");
                    let started = Instant::now();
                    let response = match load {
                        Load::Reads => http.get(&url).bearer_auth(&key).send().await,
                        Load::Writes => {
                            http.put(&url)
                                .bearer_auth(&key)
                                .header("content-type", "application/json")
                                .body(format!("{{\"value\": \"010-7777-{:04}\"}}", n % 10_000))
                                .send()
                                .await
                        }
                    }
                    .unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    let _ = response.bytes().await.unwrap();
                    latencies.push(started.elapsed().as_micros() as u64);
                    n += concurrency;
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort_unstable();
        let per_second = all.len() as f64 / seconds as f64;
        let p = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)] as f64 / 1000.0;
        (per_second, p(0.50), p(0.99))
    })
}

fn main() {
    // `cargo bench` passes --bench; a plain run with a filter would too. Nothing to parse.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![("SQLite", Location::Directory(dir.path().join("data")))];
    if let Ok(url) = std::env::var("VOW_BENCH_DATABASE_URL") {
        backends.push((
            "PostgreSQL",
            Location::Postgres {
                url,
                schema: Some(format!("vow_bench_{}", std::process::id())),
            },
        ));
    }
    println!("| backend | load | requests/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |");
    for (name, location) in backends {
        let sub = tempfile::tempdir().unwrap();
        let setup = start(location, sub.path(), &server_runtime);
        for (label, load) in [
            ("reads (GET item)", Load::Reads),
            ("writes (PUT item)", Load::Writes),
        ] {
            let (rate, p50, p99) = run(load, &setup, &client_runtime);
            println!("| {name} | {label} | {rate:.0} | {p50:.2} | {p99:.2} |");
        }
    }
}
