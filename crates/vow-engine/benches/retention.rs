//! Retention figures (`cargo bench -p vow-engine --bench retention`):
//!
//! 1. sweeping N due records (visit logs past their three months), N = VOW_BENCH_ITEMS (default
//!    1,000,000, VOW_BENCH_PER_SUBJECT per subject, default ten): destroyed per second, the
//!    destruction ledger written;
//! 2. an access export (items, records, retention deadlines) of one subject among those
//!    subjects, before the sweep: median and worst of 200.
//!
//! VOW_BENCH_DATABASE_URL measures PostgreSQL as well.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{
    Location, RecordRow, Request, RetentionOp, Store, StoreOptions, SubjectOp, SubjectRecord,
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

fn service() -> Caller {
    Caller {
        key_id: "bench".into(),
        role: "service".into(),
        source: "127.0.0.1".into(),
        reason: None,
        purpose: None,
    }
}

fn open(location: &Location, dir: &Path) -> Arc<Vault> {
    let key_file = dir.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    Arc::new(Vault::new(VaultConfig {
        policy: vow_policy::load(Path::new(POLICY)).unwrap(),
        keys,
        key_file: Some(key_file),
        store: Store::open(location, StoreOptions::default()).unwrap(),
        clock: Arc::new(SystemClock),
        checkpoints: None,
    }))
}

async fn measure(name: &str, location: Location, dir: &Path) {
    let items = env_or("VOW_BENCH_ITEMS", 1_000_000) as usize;
    let per_subject = env_or("VOW_BENCH_PER_SUBJECT", 10).max(1) as usize;
    let subjects = items / per_subject;
    let vault = open(&location, dir);
    let store = vault.store().clone();
    let four_months_ago = vault.now_ms() - 120 * 86_400_000;
    let started = Instant::now();
    // Filled through the store: the sweep reads times and categories only, never a sealed value.
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
                for r in 0..per_subject {
                    store
                        .apply(Request::unlogged(RetentionOp::PutRecord(RecordRow {
                            id: format!("rec_{n:010}_{r}"),
                            subject_id: id.clone(),
                            category: "user.device.ip_address".into(),
                            sealed: vec![9; 40],
                            at_ms: four_months_ago,
                            created_ms: four_months_ago,
                            contested: false,
                        })))
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let fill = started.elapsed();

    // The access export of one real subject among them.
    let officer = Caller {
        role: "privacy_officer".into(),
        ..service()
    };
    let me = vault
        .create_subject(&service(), "bench-member", "member")
        .await
        .unwrap();
    vault
        .put_item(&service(), &me, "user.contact.email", "bench@example.com")
        .await
        .unwrap();
    for _ in 0..5 {
        vault
            .put_record(&service(), &me, "user.financial.order", "order", None)
            .await
            .unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let export = vault.access_export(&officer, &me).await.unwrap();
        assert_eq!(export.records.len(), 5);
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    let operator = Caller::operator(Some("bench".into()));
    let t = Instant::now();
    let report = vault
        .sweep(&operator, vault.now_ms(), false, |_| {})
        .await
        .unwrap();
    let sweep = t.elapsed();
    assert_eq!(report.destroyed as usize, subjects * per_subject);
    println!(
        "| {name} | {} records of {} subjects | {:.1} s | {:.0} records/s | export median {:.2} ms, worst {:.2} ms | fill {:.0} s |",
        subjects * per_subject,
        subjects,
        sweep.as_secs_f64(),
        report.destroyed as f64 / sweep.as_secs_f64(),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        fill.as_secs_f64()
    );
    store.close().await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("| backend | due | sweep | rate | access export | fill |");
        println!("|---|---|---|---|---|---|");
        let dir = tempfile::tempdir().unwrap();
        measure(
            "SQLite",
            Location::Directory(dir.path().join("data")),
            dir.path(),
        )
        .await;
        if let Ok(url) = std::env::var("VOW_BENCH_DATABASE_URL") {
            let schema = format!("vow_bench_retention_{}", std::process::id());
            let dir = tempfile::tempdir().unwrap();
            measure(
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
