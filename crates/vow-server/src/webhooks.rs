//! Events out: the outbox delivered to the application's webhook, signed, retried with backoff, in
//! order per subject, at least once — the receiver deduplicates by the event id (its idempotency
//! key), so each event takes effect exactly once.
//!
//! A delivery is a `POST` of `{"id", "seq", "type", "subject", "created_ms", "data"}` with
//!
//! ```text
//! vow-event-id:  evt_…            the idempotency key
//! vow-timestamp: 1764160000       Unix seconds when signed
//! vow-signature: v1=<hex>         HMAC-SHA-256(secret, "<timestamp>.<body>")
//! ```
//!
//! Any 2xx answer counts as delivered; anything else, or no answer in time, is retried after
//! 1 s, 2 s, 4 s … up to 10 minutes apart. Events wait in the database, so a receiver that is down, or
//! a vow that restarts, loses none.

use std::sync::Arc;
use std::time::Duration;

use vow_engine::Vault;
use vow_store::OutboxRecord;

/// Where events go and the secret they are signed with.
#[derive(Clone)]
pub struct WebhookConfig {
    pub url: reqwest::Url,
    pub secret: Arc<vow_crypto::Zeroizing<Vec<u8>>>,
    /// How long one delivery may take.
    pub timeout: Duration,
    /// How often to look for new events when there were none.
    pub poll: Duration,
    /// The first retry's delay; each later one doubles it, up to 10 minutes.
    pub retry_base: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook URL {0:?} is not http(s)")]
    Scheme(String),
    #[error(
        "the webhook URL must use https unless it points at this machine (loopback); its host is {0:?}"
    )]
    Plaintext(String),
    #[error("the webhook secret must be at least 16 bytes")]
    ShortSecret,
    #[error("invalid webhook URL: {0}")]
    Url(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl WebhookConfig {
    /// Checks the URL (https, or http to loopback only: the events name subjects) and the secret.
    pub fn new(url: &str, secret: Vec<u8>) -> Result<WebhookConfig, WebhookError> {
        let url = reqwest::Url::parse(url).map_err(|e| WebhookError::Url(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    Some(url::Host::Domain(name)) => name == "localhost",
                    None => false,
                };
                if !loopback {
                    // Only the host: the query or the user part may carry a token.
                    return Err(WebhookError::Plaintext(
                        url.host_str().unwrap_or_default().to_string(),
                    ));
                }
            }
            other => return Err(WebhookError::Scheme(other.to_string())),
        }
        if secret.len() < 16 {
            return Err(WebhookError::ShortSecret);
        }
        Ok(WebhookConfig {
            url,
            secret: Arc::new(vow_crypto::Zeroizing::new(secret)),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(250),
            retry_base: Duration::from_secs(1),
        })
    }
}

/// The signature header's value for a body signed at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(body.len() + 24);
    message.extend_from_slice(timestamp.to_string().as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    format!(
        "v1={}",
        hex::encode(vow_crypto::hmac_sha256(secret, &message))
    )
}

/// Checks a delivery as a receiver should: the signature over the timestamp and body, compared in
/// constant time, and the timestamp within `tolerance_secs` of `now_secs`, so a captured delivery
/// cannot be replayed later. Deduplicate by the body's `id` as well: within the window a replay
/// carries an id already seen.
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_secs: i64,
    tolerance_secs: i64,
) -> bool {
    let Ok(at) = timestamp.parse::<i64>() else {
        return false;
    };
    let expected = sign(secret, at, body);
    vow_crypto::ct_eq(expected.as_bytes(), signature.as_bytes())
        && now_secs.abs_diff(at) <= tolerance_secs.unsigned_abs()
}

const LEASE_MS: i64 = 60_000;
const BATCH: usize = 32;
const MAX_BACKOFF_MS: i64 = 10 * 60 * 1000;
/// Re-confirmations falling due within this many days are announced.
const ANNOUNCE_DAYS: u32 = 30;
const ANNOUNCE_EVERY: Duration = Duration::from_secs(3600);

/// Delivers events for as long as it runs (abort the task to stop it). Each claimed event is leased,
/// so several servers on one database never deliver the same event at the same time; a server
/// killed mid-delivery leaves its lease to run out, and the event goes again.
pub async fn deliver_events(vault: Arc<Vault>, config: WebhookConfig) -> Result<(), WebhookError> {
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| WebhookError::Client(e.to_string()))?;
    let mut last_announcement: Option<tokio::time::Instant> = None;
    loop {
        if last_announcement.is_none_or(|at| at.elapsed() >= ANNOUNCE_EVERY) {
            last_announcement = Some(tokio::time::Instant::now());
            if let Err(error) = vault.announce_due_reconfirmations(ANNOUNCE_DAYS).await {
                tracing::error!(%error, "could not list re-confirmations due");
            }
        }
        let events = match vault.claim_events(LEASE_MS, BATCH).await {
            Ok(events) => events,
            Err(error) => {
                tracing::error!(%error, "could not read the outbox");
                tokio::time::sleep(config.poll * 4).await;
                continue;
            }
        };
        if events.is_empty() {
            tokio::time::sleep(config.poll).await;
            continue;
        }
        // Each claimed event is a different subject's oldest: they may go out side by side.
        let deliveries = events.into_iter().map(|event| {
            let (client, config, vault) = (&client, &config, &vault);
            async move {
                let outcome = deliver(client, config, &event).await;
                let (delivered, retry_in_ms, error) = match outcome {
                    Ok(()) => (true, 0, None),
                    Err(why) => {
                        let base = i64::try_from(config.retry_base.as_millis()).unwrap_or(1_000);
                        let backoff = base
                            .saturating_mul(1 << event.attempts.clamp(0, 20))
                            .min(MAX_BACKOFF_MS);
                        tracing::warn!(event = %event.id, attempts = event.attempts + 1, error = %why, "webhook delivery failed; will retry");
                        (false, backoff, Some(why))
                    }
                };
                if let Err(error) = vault
                    .finish_event(&event, delivered, retry_in_ms, error)
                    .await
                {
                    tracing::error!(%error, "could not record a delivery");
                }
            }
        });
        futures_util::future::join_all(deliveries).await;
    }
}

async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    event: &OutboxRecord,
) -> Result<(), String> {
    let data: serde_json::Value =
        serde_json::from_str(&event.body).unwrap_or(serde_json::Value::Null);
    let body = serde_json::to_vec(&serde_json::json!({
        "id": event.id,
        "seq": event.seq,
        "type": event.kind,
        "subject": event.subject_id,
        "created_ms": event.created_ms,
        "data": data,
    }))
    .map_err(|e| e.to_string())?;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let signature = sign(&config.secret, timestamp, &body);
    let response = client
        .post(config.url.clone())
        .header("content-type", "application/json")
        .header("vow-event-id", &event.id)
        .header("vow-timestamp", timestamp.to_string())
        .header("vow-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("no answer: {}", without_url(&e)))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status()))
    }
}

/// reqwest's errors quote the URL, which may carry a token in its query: keep only the kind.
fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}
