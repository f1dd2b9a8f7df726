//! A log at its retention limit: two years of access entries at a steady daily rate, generated
//! quickly (not in real time) through the store's group commit, then `vow audit archive` of the
//! older year, `vow audit verify` of both sides of the cut, and the database's size before, after
//! and after VACUUM. Run: `cargo bench -p vow --bench archive_year` (VOW_BENCH_PER_DAY, default
//! 10,000 entries a day; VOW_BENCH_DAYS, default 730).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use vow_store::{AuditOp, Location, Request, Store, StoreOptions};

const VOW: &str = env!("CARGO_BIN_EXE_vow");
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const DAY_MS: i64 = 86_400_000;

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("vow.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn run(args: &[&str], data: &Path) -> (f64, String) {
    let started = Instant::now();
    let out = Command::new(VOW)
        .args(args)
        .arg("--data")
        .arg(data)
        .args(["--policy", POLICY])
        .output()
        .expect("vow runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vow {args:?}: {text}");
    (started.elapsed().as_secs_f64(), text)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let per_day = env_number("VOW_BENCH_PER_DAY", 10_000);
    let days = env_number("VOW_BENCH_DAYS", 730);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("the data directory");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("mode 0700");
    }
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&data.join("vow.keys")).expect("keys");
    let store = Store::open(&Location::Directory(data.clone()), StoreOptions::default())
        .expect("the store");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64;
    let start = now - days * DAY_MS;
    let total = per_day * days;
    let step = DAY_MS / per_day;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let generated = Instant::now();
    let store = Arc::new(store);
    runtime.block_on(async {
        // Many requests in flight, so the committer writes them in batches as it does under load.
        let in_flight = Arc::new(tokio::sync::Semaphore::new(4096));
        let mut last = None;
        for n in 0..total {
            let permit = Arc::clone(&in_flight)
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let store = Arc::clone(&store);
            last = Some(tokio::spawn(async move {
                let entry = vow_store::NewEntry {
                    at_ms: start + n * step,
                    key_id: format!("key_{}", n % 7),
                    role: if n % 5 == 0 {
                        "privacy_officer"
                    } else {
                        "support"
                    }
                    .into(),
                    source: format!("10.0.{}.{}", n % 13, n % 200),
                    subject_id: Some(format!("sub_{:06}", n % 40_000)),
                    action: vow_audit::Action::Read,
                    categories: vec!["user.contact.email".into()],
                    reason: (n % 11 == 0).then(|| format!("ticket {}", n % 9_000)),
                };
                store
                    .apply(Request::logged(AuditOp::LogOnly, entry))
                    .await
                    .expect("an entry is written");
                drop(permit);
            }));
        }
        if let Some(last) = last {
            last.await.expect("the last write");
        }
        // Wait for every write still in flight.
        let _ = in_flight.acquire_many(4096).await;
    });
    let generated = generated.elapsed().as_secs_f64();
    // A running server signs a checkpoint each second the log moved: at this rate nearly one per
    // entry. One every VOW_BENCH_CHECKPOINT_EVERY entries here (default 10), written in one go.
    let every = env_number("VOW_BENCH_CHECKPOINT_EVERY", 10).max(1) as u64;
    let signing = Instant::now();
    let mut checkpoints = std::io::BufWriter::new(
        std::fs::File::create(data.join("audit-checkpoints.jsonl")).expect("the checkpoint file"),
    );
    let mut signed = 0u64;
    for entry in store.audit_entries_blocking() {
        let entry = entry.expect("an entry");
        if entry.seq % every == 0 || entry.seq == total as u64 {
            let line = serde_json::to_string(&vow_audit::checkpoint(&entry, keys.signing_key()))
                .expect("a checkpoint line");
            std::io::Write::write_all(&mut checkpoints, format!("{line}\n").as_bytes())
                .expect("a checkpoint written");
            signed += 1;
        }
    }
    std::io::Write::flush(&mut checkpoints).expect("checkpoints flushed");
    drop(checkpoints);
    let signing = signing.elapsed().as_secs_f64();
    match Arc::try_unwrap(store) {
        Ok(store) => store.close_blocking(),
        Err(_) => panic!("the store is still shared"),
    }
    let before = size_of(&data);

    let (verify_before, _) = run(&["audit", "verify"], &data);
    // The older year: everything before 365 days ago (Korea time).
    let cut_day = time::OffsetDateTime::from_unix_timestamp((now - 366 * DAY_MS) / 1000)
        .expect("a time")
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).expect("KST"))
        .date()
        .to_string();
    let archive = dir.path().join("older-year.vowlog");
    let (archived, said) = run(
        &[
            "audit",
            "archive",
            "--before",
            &cut_day,
            "--out",
            archive.to_str().expect("a UTF-8 path"),
        ],
        &data,
    );
    let after = size_of(&data);
    let (verify_after, _) = run(
        &[
            "audit",
            "verify",
            "--archive",
            archive.to_str().expect("a UTF-8 path"),
        ],
        &data,
    );
    let started = Instant::now();
    let out = Command::new(VOW)
        .args(["audit", "verify-archive"])
        .arg(&archive)
        .arg("--key-file")
        .arg(data.join("vow.keys"))
        .output()
        .expect("vow runs");
    assert!(out.status.success());
    let verify_archive = started.elapsed().as_secs_f64();
    let connection = rusqlite::Connection::open(data.join("vow.db")).expect("the database");
    let vacuum = Instant::now();
    connection.execute_batch("VACUUM").expect("VACUUM");
    let vacuum = vacuum.elapsed().as_secs_f64();
    drop(connection);
    let vacuumed = size_of(&data);
    let archive_size = std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0);
    let mb = |b: u64| b as f64 / 1e6;
    println!("{}", said.lines().next().unwrap_or(""));
    println!("entries: {total} ({per_day} a day for {days} days)");
    println!(
        "generated through group commit: {generated:.1} s ({:.0} entries/s)",
        total as f64 / generated
    );
    println!("checkpoints: {signed} (one every {every} entries), signed in {signing:.1} s");
    println!("vow audit verify before: {verify_before:.1} s");
    println!(
        "vow audit archive (write, read back, record the cut, remove rows): {archived:.1} s ({:.0} entries/s)",
        total as f64 / 2.0 / archived
    );
    println!("vow audit verify --archive after: {verify_after:.1} s; verify-archive alone: {verify_archive:.1} s");
    println!(
        "database: {:.0} MB before, {:.0} MB after (freed pages kept), {:.0} MB after VACUUM ({vacuum:.1} s); archive {:.0} MB",
        mb(before),
        mb(after),
        mb(vacuumed),
        mb(archive_size)
    );
}
