//! In-process figures of the vault (`cargo bench -p vow-engine --bench vault`):
//!
//! 1. the cost of encryption plus access logging: the vault's reads and writes against the same
//!    store doing the same operations on plaintext without log entries, side by side;
//! 2. erasing one subject among one million.
//!
//! Environment: VOW_BENCH_SECONDS (default 3), VOW_BENCH_SUBJECTS (default 1000000),
//! VOW_BENCH_DATABASE_URL to measure PostgreSQL as well.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{ItemRecord, Location, Request, Store, StoreOptions, SubjectOp, SubjectRecord};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const PHONE: &str = "user.contact.phone";
const CONCURRENCY: usize = 64;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn caller() -> Caller {
    Caller {
        key_id: "bench".into(),
        role: "service".into(),
        source: "127.0.0.1".into(),
        reason: None,
        purpose: None,
    }
}

fn open(location: &Location, dir: &Path, durability: vow_store::Durability) -> Arc<Vault> {
    let key_file = dir.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    Arc::new(Vault::new(VaultConfig {
        policy: vow_policy::load(Path::new(POLICY)).unwrap(),
        keys,
        key_file: Some(key_file),
        store: Store::open(
            location,
            StoreOptions {
                durability,
                ..StoreOptions::default()
            },
        )
        .unwrap(),
        clock: Arc::new(SystemClock),
        checkpoints: None,
    }))
}

/// Runs `op(worker, n)` from CONCURRENCY tasks for the configured time; operations per second.
async fn rate<F, Fut>(op: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let seconds = env_or("VOW_BENCH_SECONDS", 3);
    let op = Arc::new(op);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let op = Arc::clone(&op);
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                op(worker, done).await;
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / seconds as f64
}

async fn cost_of_protection(
    name: &str,
    location: Location,
    dir: &Path,
    durability: vow_store::Durability,
) {
    let vault = open(&location, dir, durability);
    let store = vault.store().clone();
    let count = 2_000;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let id = vault
            .create_subject(&caller(), &format!("cost-{n}"), "member")
            .await
            .unwrap();
        vault
            .put_item(&caller(), &id, PHONE, "010-1234-5678")
            .await
            .unwrap();
        // The same item in plaintext, under another category key, for the unprotected baseline.
        store
            .apply(Request::unlogged(SubjectOp::PutItem {
                subject_id: id.clone(),
                item: ItemRecord {
                    category: "plain.phone".into(),
                    sealed: b"010-1234-5678".to_vec(),
                    blind_index: None,
                    updated_ms: 0,
                    contested: false,
                },
            }))
            .await
            .unwrap();
        ids.push(id);
    }
    let ids = Arc::new(ids);

    let (v, i) = (Arc::clone(&vault), Arc::clone(&ids));
    let protected_reads = rate(move |w, n| {
        let (v, i) = (Arc::clone(&v), Arc::clone(&i));
        async move {
            let id = &i[(w * 7919 + n) % i.len()];
            v.get_item(&caller(), id, PHONE).await.unwrap();
        }
    })
    .await;
    let (s, i) = (store.clone(), Arc::clone(&ids));
    let plain_reads = rate(move |w, n| {
        let (s, i) = (s.clone(), Arc::clone(&i));
        async move {
            let id = &i[(w * 7919 + n) % i.len()];
            let outcome = s
                .apply(Request::unlogged(SubjectOp::GetItem {
                    subject_id: id.clone(),
                    category: "plain.phone".into(),
                }))
                .await
                .unwrap();
            assert!(matches!(outcome, vow_store::Outcome::Item { .. }));
        }
    })
    .await;
    let (s, i) = (store.clone(), Arc::clone(&ids));
    let logged_reads = rate(move |w, n| {
        let (s, i) = (s.clone(), Arc::clone(&i));
        async move {
            let id = &i[(w * 7919 + n) % i.len()];
            let entry = vow_audit::NewEntry {
                at_ms: 0,
                key_id: "bench".into(),
                role: "service".into(),
                source: "127.0.0.1".into(),
                subject_id: Some(id.clone()),
                action: vow_audit::Action::Read,
                categories: vec!["plain.phone".into()],
                reason: None,
            };
            s.apply(Request::logged(
                SubjectOp::GetItem {
                    subject_id: id.clone(),
                    category: "plain.phone".into(),
                },
                entry,
            ))
            .await
            .unwrap();
        }
    })
    .await;
    let (v, i) = (Arc::clone(&vault), Arc::clone(&ids));
    let protected_writes = rate(move |w, n| {
        let (v, i) = (Arc::clone(&v), Arc::clone(&i));
        async move {
            let id = &i[(w * 7919 + n) % i.len()];
            v.put_item(&caller(), id, PHONE, "010-8765-4321")
                .await
                .unwrap();
        }
    })
    .await;
    let (s, i) = (store.clone(), Arc::clone(&ids));
    let plain_writes = rate(move |w, n| {
        let (s, i) = (s.clone(), Arc::clone(&i));
        async move {
            let id = &i[(w * 7919 + n) % i.len()];
            s.apply(Request::unlogged(SubjectOp::PutItem {
                subject_id: id.clone(),
                item: ItemRecord {
                    category: "plain.phone".into(),
                    sealed: b"010-8765-4321".to_vec(),
                    blind_index: None,
                    updated_ms: 0,
                    contested: false,
                },
            }))
            .await
            .unwrap();
        }
    })
    .await;
    println!(
        "| {name} | reads | {protected_reads:.0} | {plain_reads:.0} | {:.2}× |",
        plain_reads / protected_reads
    );
    println!(
        "| {name} | reads, logged but not encrypted | {logged_reads:.0} | {plain_reads:.0} | {:.2}× |",
        plain_reads / logged_reads
    );
    println!(
        "| {name} | writes | {protected_writes:.0} | {plain_writes:.0} | {:.2}× |",
        plain_writes / protected_writes
    );
    store.close().await;
}

async fn erase_among_many(name: &str, location: Location, dir: &Path) {
    let total = env_or("VOW_BENCH_SUBJECTS", 1_000_000) as usize;
    let vault = open(&location, dir, vow_store::Durability::Full);
    let store = vault.store().clone();
    let started = Instant::now();
    // Filling the store directly: a million subjects through the vault would measure Argon2-free
    // but still sealed writes for minutes, and only the erasure is the figure here.
    let fill = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..512 {
        let (store, fill) = (store.clone(), Arc::clone(&fill));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = fill.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
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
                        subject_id: id,
                        item: ItemRecord {
                            category: PHONE.into(),
                            sealed: vec![9; 45],
                            blind_index: Some(vec![n as u8; 32]),
                            updated_ms: 0,
                            contested: false,
                        },
                    }))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let fill_time = started.elapsed();
    let mut victims = Vec::new();
    for n in 0..200 {
        let id = vault
            .create_subject(&caller(), &format!("victim-{n}"), "member")
            .await
            .unwrap();
        vault
            .put_item(&caller(), &id, PHONE, "010-0000-0000")
            .await
            .unwrap();
        victims.push(id);
    }
    let mut times = Vec::new();
    for id in &victims {
        let started = Instant::now();
        vault.erase(&caller(), id).await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name} | {total} | {:.2} | {:.2} | {:.2} | {:.0} s |",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1]),
        fill_time.as_secs_f64()
    );
    store.close().await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    /// A backend's name, and where to put a fresh store for it (given a temp dir and a tag).
    type Backend = (&'static str, Box<dyn Fn(&Path, &str) -> Location>);
    let mut backends: Vec<Backend> = vec![(
        "SQLite",
        Box::new(|dir: &Path, _: &str| Location::Directory(dir.join("data"))),
    )];
    if let Ok(url) = std::env::var("VOW_BENCH_DATABASE_URL") {
        backends.push((
            "PostgreSQL",
            Box::new(move |_: &Path, tag: &str| Location::Postgres {
                url: url.clone(),
                schema: Some(format!("vow_bench_{tag}_{}", std::process::id())),
            }),
        ));
    }
    runtime.block_on(async {
        println!("Encryption + access logging against the same store without them ({CONCURRENCY} concurrent callers):\n");
        println!("| backend | operation | protected ops/s | plain ops/s | cost |\n| --- | --- | --- | --- | --- |");
        for (name, location) in &backends {
            for (sync, tag, durability) in [
                ("sync full", "cost_full", vow_store::Durability::Full),
                ("sync normal", "cost_normal", vow_store::Durability::Normal),
            ] {
                let dir = tempfile::tempdir().unwrap();
                let label = format!("{name}, {sync}");
                cost_of_protection(&label, location(dir.path(), tag), dir.path(), durability)
                    .await;
            }
        }
        println!("\nErasing one subject among many (200 erasures, each logged):\n");
        println!("| backend | subjects | p50 ms | p99 ms | max ms | fill time |\n| --- | --- | --- | --- | --- | --- |");
        for (name, location) in &backends {
            let dir = tempfile::tempdir().unwrap();
            erase_among_many(name, location(dir.path(), "erase"), dir.path()).await;
        }
    });
}
