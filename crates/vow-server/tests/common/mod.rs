//! A real `vow` server for tests: a real SQLite data directory or the real PostgreSQL
//! (`VOW_TEST_DATABASE_URL`; required when `VOW_REQUIRE_POSTGRES=1`), served over loopback HTTP.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{Location, Store, StoreOptions};

pub const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
pub const PHONE: &str = "user.contact.phone";

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub vault: Arc<Vault>,
    pub keys: Keys,
    pub data: Option<std::path::PathBuf>,
    pub key_file: std::path::PathBuf,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<()>>,
    pub cleanup: Option<(String, String)>,
    /// Where the vault keeps uploads, when the setup asked for them.
    pub uploads: Option<std::path::PathBuf>,
    /// Where the privacy center's e-mails are written, when the setup asked for it.
    pub mail: Option<std::path::PathBuf>,
    pub _dir: tempfile::TempDir,
}

pub struct Keys {
    pub service: String,
    pub support: String,
    pub officer: String,
    pub admin: String,
}

pub enum Backend {
    Sqlite,
    Postgres,
}

// Not every test binary that includes this module asks for PostgreSQL.
#[allow(unused_imports)]
pub use vow_testkit::postgres_url;

/// What a test may change about the server it starts.
#[derive(Default)]
pub struct Setup {
    /// Policy text instead of the imagesfactory example.
    pub policy: Option<String>,
    pub limits: Option<vow_server::Limits>,
    /// A PostgreSQL schema another server of the test already uses (and drops at its end).
    pub postgres_schema: Option<String>,
    /// Another server's key file, for a second server on the same database.
    pub key_file: Option<std::path::PathBuf>,
    /// Keep uploads in the test's directory.
    pub uploads: bool,
    /// Write the privacy center's e-mails as .eml files into the test's directory.
    pub mail_dir: bool,
    /// Send the privacy center's e-mails to this SMTP server instead.
    pub smtp_url: Option<String>,
    /// Serve as without `--webhook-url`: codes by text message are not sent.
    pub no_text_codes: bool,
    pub privacy_limits: Option<vow_server::PrivacyLimits>,
    /// Proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Option<vow_server::TrustedProxies>,
}

/// The imagesfactory policy with more roles appended (TOML text of `[[role]]` tables).
pub fn policy_with(extra_roles: &str) -> String {
    format!(
        "{}\n{extra_roles}",
        std::fs::read_to_string(POLICY).unwrap()
    )
}

pub async fn start(backend: Backend, tls: Option<vow_server::Tls>) -> Option<Server> {
    start_with(backend, tls, Setup::default()).await
}

pub async fn start_with(
    backend: Backend,
    tls: Option<vow_server::Tls>,
    setup: Setup,
) -> Option<Server> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = tempfile::tempdir().unwrap();
    let (location, data, cleanup) = match backend {
        Backend::Sqlite => {
            let data = dir.path().join("data");
            (Location::Directory(data.clone()), Some(data), None)
        }
        Backend::Postgres => {
            let url = postgres_url()?;
            let (schema, owned) = match &setup.postgres_schema {
                Some(schema) => (schema.clone(), false),
                None => (
                    format!(
                        "vow_api_{}_{}",
                        std::process::id(),
                        COUNTER.fetch_add(1, Ordering::Relaxed)
                    ),
                    true,
                ),
            };
            (
                Location::Postgres {
                    url: url.clone(),
                    schema: Some(schema.clone()),
                },
                None,
                owned.then_some((url, schema)),
            )
        }
    };
    let key_file = setup
        .key_file
        .clone()
        .unwrap_or_else(|| dir.path().join("vow.keys"));
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(&location, StoreOptions::default()).unwrap();
    let uploads = setup.uploads.then(|| dir.path().join("uploads"));
    let vault = Vault::new(VaultConfig {
        policy: match &setup.policy {
            Some(text) => vow_policy::parse(text.as_bytes(), "test policy").unwrap(),
            None => vow_policy::load(Path::new(POLICY)).unwrap(),
        },
        keys,
        key_file: Some(key_file.clone()),
        store,
        clock: Arc::new(SystemClock),
        checkpoints: Some(dir.path().join("checkpoints.jsonl")),
    });
    let vault = Arc::new(match &uploads {
        Some(path) => vault.with_uploads(path.clone()),
        None => vault,
    });
    let operator = Caller::operator(None);
    let secret = |role: &'static str| {
        let vault = Arc::clone(&vault);
        let operator = operator.clone();
        async move {
            vault
                .create_api_key(&operator, role, role)
                .await
                .unwrap()
                .secret
                .to_string()
        }
    };
    let keys = Keys {
        service: secret("service").await,
        support: secret("support").await,
        officer: secret("privacy_officer").await,
        admin: secret("admin").await,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mail = setup.mail_dir.then(|| dir.path().join("mail"));
    let mut center = vow_server::PrivacyCenter::new(vault.policy(), Vec::new(), vault.now_ms());
    if let Some(url) = &setup.smtp_url {
        center = center.with_mailer(
            vow_server::Mailer::start(
                vow_server::MailTransport::Smtp(url.clone()),
                "Privacy Center <privacy@imagesfactory.test>",
            )
            .unwrap(),
        );
    } else if let Some(mail) = &mail {
        center = center.with_mailer(
            vow_server::Mailer::start(
                vow_server::MailTransport::Dir(mail.clone()),
                "Privacy Center <privacy@imagesfactory.test>",
            )
            .unwrap(),
        );
    }
    if let Some(limits) = setup.privacy_limits {
        center = center.with_limits(limits);
    }
    center = center.with_text_codes(!setup.no_text_codes);
    let state = vow_server::AppState::new(Arc::clone(&vault))
        .with_tls(tls.is_some())
        .with_privacy_center(center)
        .with_trusted_proxies(setup.trusted_proxies.clone().unwrap_or_default());
    let task = tokio::spawn(async move {
        vow_server::serve(
            state,
            listener,
            tls,
            setup.limits.unwrap_or_default(),
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
    });
    Some(Server {
        base: format!("{scheme}://localhost:{port}"),
        http: reqwest::Client::new(),
        vault,
        keys,
        data,
        key_file,
        stop: Some(stop),
        task: Some(task),
        cleanup,
        uploads,
        mail,
        _dir: dir,
    })
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, String) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        // A server may answer 413 before a huge body is sent and close the connection under the
        // client's feet; the client then sees a broken pipe instead of the answer. Try again: the
        // point is the answer the server gives.
        for _ in 0..10 {
            let Some(attempt) = request.try_clone() else {
                break;
            };
            match attempt.send().await {
                Ok(response) => {
                    let status = response.status();
                    return (status, response.text().await.unwrap());
                }
                Err(error) if error.is_request() => continue,
                Err(error) => panic!("{error}"),
            }
        }
        panic!("no answer from {path}");
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, text) = self
            .call(
                method,
                path,
                Some(key),
                body.map(|b| serde_json::to_vec(&b).unwrap()),
            )
            .await;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, value)
    }

    pub async fn subject(&self, external_id: &str) -> String {
        let (status, body) = self
            .json(
                reqwest::Method::POST,
                "/v1/subjects",
                &self.keys.service,
                Some(json!({"external_id": external_id, "kind": "member"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// A new key for `role`, made by the operator.
    pub async fn key_for(&self, role: &str) -> String {
        self.vault
            .create_api_key(&Caller::operator(None), role, role)
            .await
            .unwrap()
            .secret
            .to_string()
    }

    pub async fn log_len(&self) -> usize {
        self.vault
            .store()
            .audit_page(vow_store::Position::default(), 1_000_000)
            .await
            .unwrap()
            .len()
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self.vault.store().clone().close().await;
        if let Some((url, schema)) = self.cleanup.take() {
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
    }
}

// ---- retention and rights requests (lifecycle.rs, lifecycle_attacks.rs)

pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub async fn sweep(server: &Server, as_of: i64) -> vow_engine::retention::SweepReport {
    server
        .vault
        .sweep(
            &vow_engine::Caller::operator(Some("test".into())),
            as_of,
            false,
            |_| {},
        )
        .await
        .unwrap()
}

pub async fn put(server: &Server, subject: &str, category: &str, value: &str) {
    let (status, body) = server
        .json(
            reqwest::Method::PUT,
            &format!("/v1/subjects/{subject}/items/{category}"),
            &server.keys.service,
            Some(serde_json::json!({ "value": value })),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
}

pub async fn record(
    server: &Server,
    subject: &str,
    category: &str,
    value: &str,
    at: i64,
) -> String {
    let (status, body) = server
        .json(
            reqwest::Method::POST,
            &format!("/v1/subjects/{subject}/records/{category}"),
            &server.keys.service,
            Some(serde_json::json!({ "value": value, "at": rfc3339(at) })),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Files a request with the service's key and completes it with the officer's; returns the answer.
pub async fn file_and_complete(server: &Server, body: Value) -> Value {
    let (status, filed) = server
        .json(
            reqwest::Method::POST,
            "/v1/requests",
            &server.keys.service,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, answer) = server
        .json(
            reqwest::Method::POST,
            &format!("/v1/requests/{}", filed["id"].as_str().unwrap()),
            &server.keys.officer,
            Some(json!({"action": "complete"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// Sends a request's head and `body` on a raw connection and reads the answer (up to `wait` for each
/// read): its status and its whole text; `None` when no answer came. A server may answer a body it
/// refuses (too large) before reading it and close the connection: the writes then fail, and the
/// answer is read all the same, where an HTTP client would report a broken pipe instead.
pub fn raw_request(
    base: &str,
    head: &str,
    body: &[u8],
    wait: std::time::Duration,
) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let address = base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(wait)).ok()?;
    if stream.write_all(head.as_bytes()).is_ok() {
        for chunk in body.chunks(64 * 1024) {
            if stream.write_all(chunk).is_err() {
                break;
            }
        }
    }
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if answer_complete(&answer) || answer.len() > 1 << 20 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

/// Whether `answer` holds a whole HTTP/1.1 answer: its head and `Content-Length` bytes after it.
fn answer_complete(answer: &[u8]) -> bool {
    let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    head.lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|length| answer.len() >= head_end + 4 + length)
}
