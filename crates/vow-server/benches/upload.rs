//! An upload of VOW_BENCH_UPLOAD_MIB (default 1024) MiB over loopback HTTP, streamed through the
//! vault into an encrypted file and back, beside writing the same bytes to a plain file on the same
//! disk; and the process's peak resident memory before and after, which must not grow with the file.
//! A bench binary: `cargo bench -p vow-server --bench upload`.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{Location, Store, StoreOptions};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const PIECE: usize = 1 << 20;

/// Peak resident memory so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn piece(n: usize) -> Vec<u8> {
    (0..PIECE).map(|i| ((i * 31 + n) % 251) as u8).collect()
}

fn main() {
    let mib: usize = std::env::var("VOW_BENCH_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        // The baseline: the same bytes to a plain file on the same disk, synced.
        let plain = dir.path().join("plain.bin");
        let started = Instant::now();
        let mut file = std::fs::File::create(&plain).unwrap();
        for n in 0..mib {
            file.write_all(&piece(n)).unwrap();
        }
        file.sync_all().unwrap();
        let baseline = started.elapsed();
        std::fs::remove_file(&plain).unwrap();

        let data = dir.path().join("data");
        let key_file = dir.path().join("vow.keys");
        let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
        let vault = Vault::new(VaultConfig {
            policy: vow_policy::load(Path::new(POLICY)).unwrap(),
            keys,
            key_file: Some(key_file),
            store: Store::open(&Location::Directory(data.clone()), StoreOptions::default())
                .unwrap(),
            clock: Arc::new(SystemClock),
            checkpoints: None,
        })
        .with_uploads(data.join("uploads"));
        let vault = Arc::new(vault);
        let operator = Caller::operator(None);
        let key = vault
            .create_api_key(&operator, "service", "bench")
            .await
            .unwrap()
            .secret
            .to_string();
        let service = Caller {
            key_id: "bench".into(),
            role: "service".into(),
            source: "127.0.0.1".into(),
            reason: None,
            purpose: None,
        };
        let subject = vault
            .create_subject(&service, "uploader", "member")
            .await
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(vow_server::serve(
            vow_server::AppState::new(Arc::clone(&vault)),
            listener,
            None,
            vow_server::Limits::default(),
            std::future::pending(),
        ));
        let http = reqwest::Client::new();
        let before = peak_rss_mib();
        let body = futures_util::stream::iter(
            (0..mib).map(|n| Ok::<_, std::io::Error>(bytes_of(piece(n)))),
        );
        let started = Instant::now();
        let response = http
            .post(format!("{base}/v1/subjects/{subject}/uploads/user.content.generated_image"))
            .bearer_auth(&key)
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let info: serde_json::Value = response.json().await.unwrap();
        let upload = started.elapsed();
        let after_upload = peak_rss_mib();
        let id = info["id"].as_str().unwrap().to_string();
        let started = Instant::now();
        let mut response = http
            .get(format!(
                "{base}/v1/subjects/{subject}/uploads/user.content.generated_image/{id}"
            ))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let mut total = 0usize;
        while let Some(chunk) = response.chunk().await.unwrap() {
            total += chunk.len();
        }
        assert_eq!(total, mib * PIECE);
        let download = started.elapsed();
        let after_download = peak_rss_mib();
        let rate = |d: std::time::Duration| mib as f64 / d.as_secs_f64();
        println!("| what | MiB | time | MiB/s | peak RSS |");
        println!("|---|---|---|---|---|");
        println!(
            "| plain file write + fsync (baseline) | {mib} | {:.1} s | {:.0} | — |",
            baseline.as_secs_f64(),
            rate(baseline)
        );
        println!(
            "| upload over HTTP, encrypted to disk + fsync | {mib} | {:.1} s | {:.0} | {before:.0} → {after_upload:.0} MiB |",
            upload.as_secs_f64(),
            rate(upload)
        );
        println!(
            "| download over HTTP, checked whole, then decrypted | {mib} | {:.1} s | {:.0} | {after_upload:.0} → {after_download:.0} MiB |",
            download.as_secs_f64(),
            rate(download)
        );

        // Stalled senders: each declares a megabyte, sends three bytes and stops. Every one must
        // be answered 408 once the body has been quiet for `body_idle` (10 s by default), and a
        // declared length over 2 GiB must be refused before any body is sent.
        let stalled = std::env::var("VOW_BENCH_STALLED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200usize);
        let address = base.trim_start_matches("http://").to_string();
        let head = |length: u64| {
            format!(
                "POST /v1/subjects/{subject}/uploads/user.content.generated_image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n"
            )
        };
        let started = Instant::now();
        let stalls = (0..stalled).map(|_| {
            let (address, head) = (address.clone(), head(1_000_000));
            tokio::task::spawn_blocking(move || status_of(&address, &head, b"abc", 30))
        });
        let statuses: Vec<Option<u16>> = futures_util::future::join_all(stalls)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let cut_off = started.elapsed();
        let answered_408 = statuses.iter().filter(|s| **s == Some(408)).count();
        let started = Instant::now();
        let refused = {
            let (address, head) = (address.clone(), head(3_221_225_472));
            tokio::task::spawn_blocking(move || status_of(&address, &head, b"", 10))
                .await
                .unwrap()
        };
        let refusal = started.elapsed();
        println!();
        println!("| stalled or oversized uploads | result |");
        println!("|---|---|");
        println!(
            "| {stalled} connections declaring 1 MB, sending 3 bytes, then nothing | {answered_408} answered 408, all closed {:.1} s after they started |",
            cut_off.as_secs_f64()
        );
        println!(
            "| one declaring 3 GiB (over the 2 GiB limit) | {} in {:.1} ms, before any body |",
            refused.map_or("no answer".to_string(), |s| s.to_string()),
            refusal.as_secs_f64() * 1000.0
        );
        println!("| peak RSS through all of it | {:.0} MiB |", peak_rss_mib());
    });
}

/// Sends a request's head and a part of its body on a raw connection, then reads the answer's
/// status; `None` when none came within `wait_s` seconds.
fn status_of(address: &str, head: &str, body: &[u8], wait_s: u64) -> Option<u16> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(wait_s)))
        .ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut answer = [0u8; 64];
    let n = stream.read(&mut answer).ok()?;
    std::str::from_utf8(&answer[..n])
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

fn bytes_of(v: Vec<u8>) -> axum::body::Bytes {
    axum::body::Bytes::from(v)
}
