//! What `vow proxy` costs: added latency (p50, p99) against calling the fake provider directly, for a
//! 4 KB prompt with ten personal values; requests per second under concurrency; time to first token
//! when streaming. Everything (client, proxy, vault, fake provider) runs in this one process.
//!
//!     cargo run -p vow-proxy --release --example proxy_bench
//!
//! `VOW_BENCH_REQUESTS` (default 2000) sets the sequential sample size, `VOW_BENCH_SECONDS` (default 5)
//! the length of the throughput run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_proxy::fake::{FakeOptions, FakeProvider};
use vow_proxy::{Config, Proxy};
use vow_store::{Location, Store, StoreOptions};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);

fn prompt() -> String {
    let values = [
        "연락처 010-1234-5678",
        "email kim.minsu@example.com",
        "주민번호는 901231-1234563",
        "카드 4111-1111-1111-1111",
        "call +1 415 555 0132",
        "연락처 010-9876-5432",
        "email lee@example.org",
        "SSN 123-45-6789",
        "from 192.168.10.20",
        "사업자등록번호 220-81-62517",
    ];
    let filler = "Please draw a watercolour of a quiet harbour at dawn, boats resting, gulls overhead, soft light. ";
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 4096 - 40 {
        if text.len() > i * 400 && i < values.len() {
            text.push_str(values[i]);
            text.push_str(". ");
            i += 1;
        } else {
            text.push_str(filler);
        }
    }
    text.truncate(4096);
    while !text.is_char_boundary(text.len()) {
        text.pop();
    }
    text
}

fn base64_of(bytes: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn timed(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
    n: usize,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = client
            .post(url)
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let _ = response.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    times
}

async fn first_token(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
    n: usize,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let mut response = client
            .post(url)
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut first = None;
        while let Some(chunk) = response.chunk().await.unwrap() {
            if first.is_some() {
                // Leave: the rest of the answer does not change the time to the first token.
                break;
            }
            seen.extend_from_slice(&chunk);
            // The first whole event that carries text (an SDK reads whole events; the role-only
            // first chunk has content "").
            let text = String::from_utf8_lossy(&seen);
            let mut events: Vec<&str> = text.split("\n\n").collect();
            events.pop(); // the unfinished one
            if events
                .iter()
                .any(|e| e.contains("\"content\":\"") && !e.contains("\"content\":\"\""))
            {
                first = Some(started.elapsed());
            }
        }
        times.push(first.unwrap_or_else(|| started.elapsed()));
    }
    times.sort();
    times
}

async fn throughput(
    url: String,
    key: String,
    body: Value,
    seconds: u64,
    concurrency: usize,
) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key, body, done) = (
            client.clone(),
            url.clone(),
            key.clone(),
            body.clone(),
            Arc::clone(&done),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let _ = response.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::var("VOW_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let seconds: u64 = std::env::var("VOW_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let fake = FakeProvider::start(FakeOptions {
        chunk: 64,
        pause: Duration::ZERO,
        burst: 1,
        record: false,
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&dir.path().join("vow.keys")).unwrap();
    // VOW_BENCH_SYNC=normal: as `vow proxy --sync normal` (the record handed to the OS, not on disk).
    let normal = std::env::var("VOW_BENCH_SYNC").as_deref() == Ok("normal");
    let options = StoreOptions {
        durability: if normal {
            vow_store::Durability::Normal
        } else {
            vow_store::Durability::Full
        },
        ..StoreOptions::default()
    };
    println!(
        "store durability: {}",
        if normal {
            "normal"
        } else {
            "full (the default)"
        }
    );
    let store = Store::open(&Location::Directory(dir.path().join("data")), options).unwrap();
    let vault = Arc::new(Vault::new(VaultConfig {
        policy: vow_policy::load(Path::new(POLICY)).unwrap(),
        keys,
        key_file: Some(dir.path().join("vow.keys")),
        store,
        clock: Arc::new(SystemClock),
        checkpoints: Some(dir.path().join("checkpoints.jsonl")),
    }));
    let key = vault
        .create_api_key(&Caller::operator(None), "service", "bench")
        .await
        .unwrap()
        .secret
        .to_string();
    let mut config = Config::new("openai");
    config.upstream = Some(fake.url.clone());
    let proxy = Arc::new(Proxy::new(Arc::clone(&vault), config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(vow_proxy::serve(proxy, listener, std::future::pending()));

    let text = prompt();
    let found = vow_pii::Scanner::new().scan(text.as_bytes()).len();
    let body = json!({"model": "bench", "messages": [{"role": "user", "content": text}]});
    // For the time to first token, a provider that streams as a model does: a write every millisecond.
    let slow = FakeProvider::start(FakeOptions {
        chunk: 64,
        pause: Duration::from_millis(1),
        burst: 1,
        record: false,
    })
    .await
    .unwrap();
    let mut slow_config = Config::new("openai");
    slow_config.upstream = Some(slow.url.clone());
    let slow_proxy = Arc::new(Proxy::new(Arc::clone(&vault), slow_config).unwrap());
    let slow_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow_proxy_url = format!("http://{}", slow_listener.local_addr().unwrap());
    tokio::spawn(vow_proxy::serve(
        slow_proxy,
        slow_listener,
        std::future::pending(),
    ));
    let direct = format!("{}/v1/chat/completions", fake.url);
    let proxied = format!("{proxy_url}/v1/chat/completions");
    let client = reqwest::Client::new();
    let scanner = vow_pii::Scanner::new();
    let started = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(scanner.scan(text.as_bytes()));
    }
    println!(
        "scanning the prompt alone: {:.1} µs",
        started.elapsed().as_secs_f64() * 1e6 / 1000.0
    );
    // The walk over the body alone (no HTTP, no record): the prompt body, and a conversation with
    // tool calls, names, ids, metadata and a 96 KiB image as a base64 data: URL.
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.extend((0..96 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let image = format!("data:image/png;base64,{}", base64_of(&image));
    let mut turns = Vec::new();
    for i in 0..10 {
        turns.push(
            json!({"role": "user", "name": format!("user_{i}"), "content": [
            {"type": "text", "text": text.chars().skip(i * 300).take(300).collect::<String>()}]}),
        );
        turns.push(json!({"role": "assistant", "tool_calls": [{"id": format!("call_Xk2mPq9ZrT41vB7nLw{i}"),
            "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"harbour\"}"}}]}));
        turns.push(json!({"role": "tool", "tool_call_id": format!("call_Xk2mPq9ZrT41vB7nLw{i}"), "content": "found"}));
    }
    turns.push(
        json!({"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}}]}),
    );
    let conversation = json!({"model": "bench", "metadata": {"session": "s-1", "app": "harbour"},
        "temperature": 0.2, "messages": turns});
    for (name, shape) in [
        ("the prompt body", &body),
        ("a conversation with an image", &conversation),
    ] {
        // The best of ten batches: the machine is shared, and the best is the walk's own cost.
        let rounds = 200;
        let mut best = f64::MAX;
        for _ in 0..10 {
            let started = Instant::now();
            for _ in 0..rounds {
                let mut value = shape.clone();
                let mut scrubber =
                    vow_proxy::Scrubber::new(&scanner, &[], vow_proxy::OnUndeclared::Pseudonymise)
                        .unwrap();
                scrubber.scrub_json(&mut value);
                std::hint::black_box((value, scrubber.restorer()));
            }
            best = best.min(started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds));
        }
        println!(
            "scrubbing {name} alone ({} bytes, clone included; best of 10 batches): {best:.1} µs",
            shape.to_string().len(),
        );
    }
    println!(
        "prompt: {} bytes, {found} values found by the scanner; {n} sequential requests each way",
        text.len()
    );
    // Warm up both paths.
    timed(&client, &direct, &key, &body, 50).await;
    timed(&client, &proxied, &key, &body, 50).await;
    let d = timed(&client, &direct, &key, &body, n).await;
    let p = timed(&client, &proxied, &key, &body, n).await;
    println!("| path | p50 ms | p99 ms |");
    println!(
        "| direct to the fake provider | {} | {} |",
        ms(percentile(&d, 0.5)),
        ms(percentile(&d, 0.99))
    );
    println!(
        "| through vow proxy | {} | {} |",
        ms(percentile(&p, 0.5)),
        ms(percentile(&p, 0.99))
    );
    println!(
        "| added | {} | {} |",
        ms(percentile(&p, 0.5).saturating_sub(percentile(&d, 0.5))),
        ms(percentile(&p, 0.99).saturating_sub(percentile(&d, 0.99)))
    );
    let stream_body =
        json!({"model": "bench", "stream": true, "messages": [{"role": "user", "content": text}]});
    let m = n / 4;
    let slow_direct = format!("{}/v1/chat/completions", slow.url);
    let slow_proxied = format!("{slow_proxy_url}/v1/chat/completions");
    first_token(&client, &slow_direct, &key, &stream_body, 20).await;
    first_token(&client, &slow_proxied, &key, &stream_body, 20).await;
    let fd = first_token(&client, &slow_direct, &key, &stream_body, m).await;
    let fp = first_token(&client, &slow_proxied, &key, &stream_body, m).await;
    println!("time to first token, {m} streamed requests each way:");
    println!("| path | p50 ms | p99 ms |");
    println!(
        "| direct | {} | {} |",
        ms(percentile(&fd, 0.5)),
        ms(percentile(&fd, 0.99))
    );
    println!(
        "| through vow proxy | {} | {} |",
        ms(percentile(&fp, 0.5)),
        ms(percentile(&fp, 0.99))
    );
    for concurrency in [16, 64] {
        let direct_rps = throughput(
            direct.clone(),
            key.clone(),
            body.clone(),
            seconds,
            concurrency,
        )
        .await;
        let proxied_rps = throughput(
            proxied.clone(),
            key.clone(),
            body.clone(),
            seconds,
            concurrency,
        )
        .await;
        println!(
            "requests/s at concurrency {concurrency}: direct {direct_rps:.0}, through vow proxy {proxied_rps:.0} ({:.0} % of direct)",
            proxied_rps / direct_rps * 100.0
        );
    }
}
