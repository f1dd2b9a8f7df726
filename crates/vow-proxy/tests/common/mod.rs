//! The harness the proxy's tests share: a real vault (SQLite in a temp dir), the fake provider and
//! `vow proxy` between them, on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;
use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_proxy::fake::{FakeOptions, FakeProvider};
use vow_proxy::{Config, Proxy};
use vow_store::{Location, Store, StoreOptions};

pub const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);

pub struct Harness {
    pub url: String,
    pub fake: FakeProvider,
    pub vault: Arc<Vault>,
    pub service: String,
    pub support: String,
    pub _dir: tempfile::TempDir,
    pub _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn harness(fake: FakeOptions, tune: impl FnOnce(&mut Config)) -> Harness {
    harness_declaring(&[], fake, tune).await
}

/// A harness whose `openai` processor is also declared for `categories` (declared in the policy too,
/// when imagesfactory does not declare them).
pub async fn harness_declaring(
    categories: &[&str],
    fake: FakeOptions,
    tune: impl FnOnce(&mut Config),
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeProvider::start(fake).await.unwrap();
    let mut policy = vow_policy::load(Path::new(POLICY)).unwrap();
    for key in categories {
        if !policy.categories.iter().any(|c| c.key == *key) {
            policy.categories.push(vow_policy::model::Category {
                key: key.to_string(),
                label: vow_policy::model::Text::ko(*key),
                class: Default::default(),
                lookup: false,
                note: None,
                mask: None,
            });
        }
    }
    // One processor speaking both APIs, so one proxy serves every route in these tests.
    for p in &mut policy.processors {
        if p.key == "openai" {
            p.api = None;
            p.categories
                .extend(categories.iter().map(|c| c.to_string()));
        }
    }
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&dir.path().join("vow.keys")).unwrap();
    let store = Store::open(
        &Location::Directory(dir.path().join("data")),
        StoreOptions::default(),
    )
    .unwrap();
    let vault = Arc::new(Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(dir.path().join("vow.keys")),
        store,
        clock: Arc::new(SystemClock),
        checkpoints: Some(dir.path().join("checkpoints.jsonl")),
    }));
    let operator = Caller::operator(None);
    let service = vault
        .create_api_key(&operator, "service", "app")
        .await
        .unwrap()
        .secret
        .to_string();
    let support = vault
        .create_api_key(&operator, "support", "desk")
        .await
        .unwrap()
        .secret
        .to_string();
    let mut config = Config::new("openai");
    config.upstream = Some(fake.url.clone());
    config.upstream_key = Some("sk-real-provider-key".into());
    tune(&mut config);
    let proxy = Arc::new(Proxy::new(Arc::clone(&vault), config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(vow_proxy::serve(proxy, listener, async move {
        let _ = stopped.await;
    }));
    Harness {
        url,
        fake,
        vault,
        service,
        support,
        _dir: dir,
        _stop: stop,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn post(h: &Harness, path: &str, key: &str, body: &Value) -> (u16, String) {
    let mut request = client().post(format!("{}{path}", h.url)).json(body);
    request = if path == "/v1/messages" {
        request
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01")
    } else {
        request.bearer_auth(key)
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Every string of every body the fake provider received, and the raw bodies.
pub fn everything_received(h: &Harness) -> String {
    h.fake
        .received()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A string as a provider could read it: as it is, percent-decoded, and every base64 run in it
/// decoded — three layers deep. (Written apart from the proxy's own decoders, with other crates.)
pub fn views(text: &str, depth: u8, out: &mut Vec<String>) {
    out.push(text.to_string());
    if depth == 0 {
        return;
    }
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned();
    if decoded != text {
        views(&decoded, depth - 1, out);
    }
    for run in text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c))) {
        let run = run.trim_end_matches('=');
        let run = if run.len() % 4 == 1 {
            &run[..run.len() - 1]
        } else {
            run
        };
        if run.len() < 8 {
            continue;
        }
        let lenient = base64::engine::general_purpose::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true);
        for alphabet in [&base64::alphabet::STANDARD, &base64::alphabet::URL_SAFE] {
            let engine = base64::engine::GeneralPurpose::new(alphabet, lenient);
            if let Ok(bytes) = engine.decode(run) {
                views(&String::from_utf8_lossy(&bytes), depth - 1, out);
            }
        }
    }
}

pub fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => views(s, 3, out),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => {
            for (k, v) in fields {
                views(k, 3, out);
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Everything the fake provider received, as it could read it.
pub fn readable(h: &Harness) -> Vec<String> {
    let mut out = Vec::new();
    for received in h.fake.received() {
        out.extend(readable_body(&received.body));
    }
    out
}

/// One body as a provider could read it.
pub fn readable_body(body: &[u8]) -> Vec<String> {
    let mut out = vec![String::from_utf8_lossy(body).into_owned()];
    if let Ok(body) = serde_json::from_slice::<Value>(body) {
        strings(&body, &mut out);
    }
    out
}
