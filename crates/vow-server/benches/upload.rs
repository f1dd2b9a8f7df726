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
            "| download over HTTP, decrypted | {mib} | {:.1} s | {:.0} | {after_upload:.0} → {after_download:.0} MiB |",
            download.as_secs_f64(),
            rate(download)
        );
    });
}

fn bytes_of(v: Vec<u8>) -> axum::body::Bytes {
    axum::body::Bytes::from(v)
}
