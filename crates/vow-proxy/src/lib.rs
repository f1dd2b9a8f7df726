//! `vow proxy`: an AI provider's own HTTP API, in front of it. An application changes only its base
//! URL and sends a vow API key as its SDK sends a provider key; vow checks that the key's role may
//! send to this processor, replaces every kind of personal data the policy does not declare for the
//! processor with a consistent, format-valid pseudonym (or refuses the call), records the call as a
//! provision to the processor, adds the provider's real key, and restores the pseudonyms in the
//! answer — streamed answers incrementally, as they pass.
//!
//! Every string of the body is read — values, object keys, `name` fields, ids — and what is encoded in
//! it: `data:` URLs (percent-encoded or base64), base64 runs, percent-encoded pieces. Content the proxy
//! cannot read inside (images, audio, video, documents) passes only to a processor the policy declares
//! for that kind of content (`kinds::media_of`), and is refused with 422 otherwise.
//!
//! Routes: OpenAI `POST /v1/chat/completions`, `/v1/responses`, `/v1/embeddings`; Anthropic
//! `POST /v1/messages`. The map from pseudonym to value lives in memory for one request and is never
//! logged; errors and logs name kinds and counts, never a value.

pub mod codec;
pub mod error;
// The fake provider serves this crate's tests, vow's end-to-end test and the bench: not part of the API.
#[doc(hidden)]
pub mod fake;
pub mod kinds;
mod metrics;
pub mod scrub;
pub mod sse;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use vow_engine::provisions::NewProvision;
use vow_engine::{Caller, Vault, VaultError};
use vow_pii::{Entity, Scanner};
use vow_policy::{AiApi, Policy, Processor};

pub use error::{Family, ProxyError};
pub use kinds::Media;
pub use scrub::{OnUndeclared, Restorer, Scrubber};
pub use sse::{Route, SseRestorer};

/// Largest answer read whole from the upstream (a streamed one is never held whole).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// Bodies larger than this are scanned on the blocking pool, not on an async worker.
const BLOCKING_SCAN_BYTES: usize = 256 * 1024;
/// Request headers passed upstream; everything else (the caller's key above all) stays here.
const FORWARDED_HEADERS: [&str; 6] = [
    "anthropic-version",
    "anthropic-beta",
    "openai-beta",
    "openai-organization",
    "openai-project",
    "accept",
];
/// The answer's header naming the content that passed unread, as the policy declares it for the
/// processor (`image 1, document 2`).
pub const UNREAD_HEADER: &str = "x-vow-proxy-unread";
/// Answer headers passed back.
const RETURNED_HEADERS: [&str; 4] = [
    "x-request-id",
    "request-id",
    "retry-after",
    "openai-processing-ms",
];

/// How the proxy runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `[[processor]]` key.
    pub processor: String,
    /// The provider's origin; `None`: the processor's `endpoint`.
    pub upstream: Option<String>,
    /// The provider's API key, added to every call upstream.
    pub upstream_key: Option<String>,
    pub on_undeclared: OnUndeclared,
    /// Largest request body (413 beyond).
    pub body_limit: usize,
    /// How long to wait for the upstream's answer to start (504 beyond).
    pub upstream_timeout: Duration,
    /// How long a streamed answer may stay silent between chunks before it is cut off.
    pub idle_timeout: Duration,
}

impl Config {
    /// Defaults: pseudonymise, 10 MiB bodies, 120 s to the first byte, 60 s idle in a stream.
    pub fn new(processor: impl Into<String>) -> Config {
        Config {
            processor: processor.into(),
            upstream: None,
            upstream_key: None,
            on_undeclared: OnUndeclared::Pseudonymise,
            body_limit: 10 * 1024 * 1024,
            upstream_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the policy declares no [[processor]] with key {key:?}; its AI providers are: {ai}. Declare it (with ai_provider = true and the categories it receives) or name one of those")]
    UnknownProcessor { key: String, ai: String },
    #[error("[[processor]] {key:?} is not marked ai_provider = true, so the policy does not say it receives prompts; set ai_provider = true in its table if it is an AI model provider, or name one of the AI providers: {ai}")]
    NotAiProvider { key: String, ai: String },
    #[error("[[processor]] {key:?} lists no categories, so no call to it could be recorded as the policy declares; list what it receives, e.g. categories = [\"user.content.prompt\"]")]
    NoCategories { key: String },
    #[error("no upstream for {key:?}: give --upstream URL or set endpoint = \"https://…\" in its [[processor]] table")]
    NoUpstream { key: String },
    #[error("the upstream {0:?} is not an http:// or https:// URL")]
    BadUpstream(String),
    #[error("cannot build the HTTP client for the upstream")]
    Client,
}

/// Checks that `key` names a processor the policy declares as an AI provider with categories.
pub fn check_processor<'p>(policy: &'p Policy, key: &str) -> Result<&'p Processor, StartError> {
    let ai = || {
        let ai: Vec<&str> = policy
            .processors
            .iter()
            .filter(|p| p.ai_provider)
            .map(|p| p.key.as_str())
            .collect();
        if ai.is_empty() {
            "none declared".to_string()
        } else {
            ai.join(", ")
        }
    };
    let Some(processor) = policy.processors.iter().find(|p| p.key == key) else {
        return Err(StartError::UnknownProcessor {
            key: key.to_string(),
            ai: ai(),
        });
    };
    if !processor.ai_provider {
        return Err(StartError::NotAiProvider {
            key: key.to_string(),
            ai: ai(),
        });
    }
    if processor.categories.is_empty() {
        return Err(StartError::NoCategories {
            key: key.to_string(),
        });
    }
    Ok(processor)
}

/// Failed key checks from one address before each further one is slowed.
const SLOW_AFTER: u32 = 3;
/// The longest a failed key check is made to wait.
const MAX_DELAY: Duration = Duration::from_secs(2);
/// How long failures are remembered.
const FAILURE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Addresses remembered at most; beyond, the table is cleared of old entries.
const MAX_TRACKED: usize = 100_000;

/// Failed key checks per source address: a valid key is never slowed (it is checked first); a wrong
/// one waits longer the more wrong ones came from its address lately, as `vow serve` does.
#[derive(Debug, Default)]
struct Guesses {
    by_address: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (u32, Instant)>>,
}

impl Guesses {
    /// Counts a failure and says how long to wait before answering it.
    fn failed(&self, address: std::net::IpAddr) -> Duration {
        let now = Instant::now();
        let Ok(mut table) = self.by_address.lock() else {
            return MAX_DELAY;
        };
        if table.len() >= MAX_TRACKED {
            table.retain(|_, (_, first)| now.duration_since(*first) <= FAILURE_WINDOW);
        }
        let entry = table.entry(address).or_insert((0, now));
        if now.duration_since(entry.1) > FAILURE_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        if entry.0 <= SLOW_AFTER {
            return Duration::ZERO;
        }
        let doublings = (entry.0 - SLOW_AFTER - 1).min(10);
        (Duration::from_millis(100) * 2u32.pow(doublings)).min(MAX_DELAY)
    }
}

/// The proxy for one processor.
pub struct Proxy {
    vault: Arc<Vault>,
    config: Config,
    upstream: String,
    families: Vec<Family>,
    categories: Vec<String>,
    declared: Vec<Entity>,
    declared_media: Vec<Media>,
    scanner: Scanner,
    client: reqwest::Client,
    metrics: metrics::Metrics,
    guesses: Guesses,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the upstream key.
        f.debug_struct("Proxy")
            .field("processor", &self.config.processor)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A proxy for `config.processor`, checked against the vault's policy.
    pub fn new(vault: Arc<Vault>, config: Config) -> Result<Proxy, StartError> {
        let processor = check_processor(vault.policy(), &config.processor)?;
        let upstream = config
            .upstream
            .clone()
            .or_else(|| processor.endpoint.clone())
            .ok_or_else(|| StartError::NoUpstream {
                key: config.processor.clone(),
            })?;
        if !(upstream.starts_with("http://") || upstream.starts_with("https://")) {
            return Err(StartError::BadUpstream(upstream));
        }
        // The routes carry /v1 themselves; an SDK-style base URL ending in /v1 is taken as its origin.
        let upstream = upstream.trim_end_matches('/');
        let upstream = upstream.strip_suffix("/v1").unwrap_or(upstream).to_string();
        let families = match processor.api {
            Some(AiApi::Openai) => vec![Family::OpenAi],
            Some(AiApi::Anthropic) => vec![Family::Anthropic],
            None => vec![Family::OpenAi, Family::Anthropic],
        };
        let categories: Vec<String> = processor
            .categories
            .iter()
            .map(|c| c.as_str().to_string())
            .collect();
        let declared = kinds::declared_kinds(categories.iter().map(String::as_str));
        let declared_media = kinds::declared_media(categories.iter().map(String::as_str));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|_| StartError::Client)?;
        Ok(Proxy {
            vault,
            config,
            upstream,
            families,
            categories,
            declared,
            declared_media,
            scanner: Scanner::new(),
            client,
            metrics: metrics::Metrics::default(),
            guesses: Guesses::default(),
        })
    }

    /// The kinds this processor may receive as they are.
    pub fn declared(&self) -> &[Entity] {
        &self.declared
    }

    /// The kinds of content the proxy cannot read inside that this processor may receive.
    pub fn declared_media(&self) -> &[Media] {
        &self.declared_media
    }

    /// Where calls go.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The routes served, for messages.
    fn served(&self) -> String {
        let mut routes = Vec::new();
        if self.families.contains(&Family::OpenAi) {
            routes.extend([
                Route::ChatCompletions.path(),
                Route::Responses.path(),
                Route::Embeddings.path(),
            ]);
        }
        if self.families.contains(&Family::Anthropic) {
            routes.push(Route::Messages.path());
        }
        format!("POST {}", routes.join(", "))
    }

    /// The metrics text.
    pub fn metrics(&self) -> String {
        self.metrics.render(&self.config.processor)
    }

    async fn call(
        self: &Arc<Self>,
        route: Route,
        peer: SocketAddr,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Response, ProxyError> {
        let family = family_of(route);
        let processor = &self.config.processor;
        if !self.families.contains(&family) {
            return Err(ProxyError::NotFound {
                method: "POST".into(),
                path: route.path().into(),
                served: self.served(),
            });
        }
        let caller = self.authenticate(headers, peer).await?;
        let bytes = read_limited(body, self.config.body_limit).await?;
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| ProxyError::MalformedJson("the body could not be parsed"))?;
        if !value.is_object() {
            return Err(ProxyError::MalformedJson("the body must be a JSON object"));
        }
        let (value, scrubbed) = if bytes.len() > BLOCKING_SCAN_BYTES {
            let me = Arc::clone(self);
            tokio::task::spawn_blocking(move || me.scrub(value))
                .await
                .map_err(|_| ProxyError::Internal("the scan did not finish"))??
        } else {
            self.scrub_in_place(&mut value)
                .map(|scrubbed| (value, scrubbed))?
        };
        let Scrubbed {
            counts,
            media,
            restorer,
        } = scrubbed;
        // Content the proxy cannot read passes only as the policy declares it for the processor,
        // whatever the mode: it cannot be pseudonymised.
        let undeclared: BTreeMap<Media, u64> = media
            .iter()
            .filter(|(kind, _)| !self.declared_media.contains(kind))
            .map(|(kind, n)| (*kind, *n))
            .collect();
        if !undeclared.is_empty() {
            self.metrics.media(&undeclared, "refused");
            return Err(ProxyError::UndeclaredContent {
                processor: processor.clone(),
                parts: listed(&undeclared, |m| m.as_str()),
            });
        }
        if self.config.on_undeclared == OnUndeclared::Refuse && !counts.is_empty() {
            self.metrics.values(&counts, "refused");
            return Err(ProxyError::Undeclared {
                processor: processor.clone(),
                kinds: listed(&counts, |e| e.as_str()),
            });
        }
        self.metrics.values(&counts, "pseudonymised");
        self.metrics.media(&media, "passed_unread");
        let out = serde_json::to_vec(&value).map_err(|_| ProxyError::Internal("serialising"))?;
        self.record(&caller, route, out.len(), &counts, &media)
            .await?;
        let upstream = self.send(route, headers, out).await?;
        let is_stream = upstream
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut response = if is_stream {
            self.stream_back(route, upstream, Arc::new(restorer))
        } else {
            self.answer_back(upstream, &restorer).await?
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if !media.is_empty() {
            // Said, so the caller knows what left unread: `image 1, document 2`.
            let passed = media
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&passed) {
                response.headers_mut().insert(UNREAD_HEADER, value);
            }
        }
        Ok(response)
    }

    async fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: SocketAddr,
    ) -> Result<Caller, ProxyError> {
        let unauthenticated = || async {
            let delay = self.guesses.failed(peer.ip());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            ProxyError::Unauthenticated {
                processor: self.config.processor.clone(),
            }
        };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, credentials) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(credentials)
            });
        let Some(secret) = bearer
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
            .map(str::trim)
        else {
            return Err(unauthenticated().await);
        };
        let principal = match self.vault.authenticate(secret).await {
            Ok(principal) => principal,
            Err(VaultError::Unauthenticated) => return Err(unauthenticated().await),
            Err(_) => return Err(ProxyError::Internal("the key store could not be read")),
        };
        let allowed = self
            .vault
            .policy()
            .roles
            .iter()
            .find(|r| r.key == principal.role)
            .is_some_and(|r| r.send_to.contains(&self.config.processor));
        if !allowed {
            return Err(ProxyError::Forbidden {
                role: principal.role,
                processor: self.config.processor.clone(),
            });
        }
        let reason = headers
            .get("x-vow-reason")
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .map(str::trim)
            .filter(|r| {
                !r.is_empty()
                    && r.len() <= vow_engine::MAX_REASON_BYTES
                    && !r.chars().any(char::is_control)
            })
            .map(str::to_string);
        Ok(Caller {
            key_id: principal.key_id,
            role: principal.role,
            source: peer.ip().to_string(),
            reason,
            purpose: None,
        })
    }

    fn scrub(&self, mut value: Value) -> Result<(Value, Scrubbed), ProxyError> {
        let scrubbed = self.scrub_in_place(&mut value)?;
        Ok((value, scrubbed))
    }

    fn scrub_in_place(&self, value: &mut Value) -> Result<Scrubbed, ProxyError> {
        let mut scrubber = Scrubber::new(&self.scanner, &self.declared, self.config.on_undeclared)
            .map_err(|_| ProxyError::Internal("no randomness for the pseudonym key"))?;
        scrubber.scrub_json(value);
        Ok(Scrubbed {
            counts: scrubber.counts().clone(),
            media: scrubber.media().clone(),
            restorer: scrubber.restorer(),
        })
    }

    /// Records the call as a provision to the processor before anything leaves: who, when, which
    /// route, how many bytes, how many values of each kind were replaced, how many parts of each kind
    /// passed unread as declared — never a value.
    async fn record(
        &self,
        caller: &Caller,
        route: Route,
        bytes: usize,
        counts: &BTreeMap<Entity, u64>,
        media: &BTreeMap<Media, u64>,
    ) -> Result<(), ProxyError> {
        let mut detail = format!("vow proxy {}: {bytes} bytes", route.path());
        if !counts.is_empty() {
            let kinds: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{} {n}", k.as_str()))
                .collect();
            detail.push_str("; pseudonymised ");
            detail.push_str(&kinds.join(", "));
        }
        if !media.is_empty() {
            let kinds: Vec<String> = media
                .iter()
                .map(|(k, n)| format!("{} {n}", k.as_str()))
                .collect();
            detail.push_str("; passed unread as declared ");
            detail.push_str(&kinds.join(", "));
        }
        let new = NewProvision {
            recipient: self.config.processor.clone(),
            categories: self.categories.clone(),
            purpose: None,
            detail: Some(detail),
            count: 1,
            subject: None,
            at_ms: None,
        };
        match self.vault.record_provision(caller, new).await {
            Ok(_) => Ok(()),
            Err(VaultError::Forbidden { .. }) => Err(ProxyError::Forbidden {
                role: caller.role.clone(),
                processor: self.config.processor.clone(),
            }),
            Err(error) => {
                tracing::error!(%error, processor = %self.config.processor, "could not record a call to the AI provider; it was not sent");
                Err(ProxyError::NotRecorded(error.to_string()))
            }
        }
    }

    async fn send(
        &self,
        route: Route,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, ProxyError> {
        let mut request = self
            .client
            .post(format!("{}{}", self.upstream, route.path()))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        for name in FORWARDED_HEADERS {
            if let Some(value) = headers.get(name) {
                request = request.header(name, value);
            }
        }
        if let Some(key) = &self.config.upstream_key {
            request = match family_of(route) {
                Family::OpenAi => request.bearer_auth(key),
                Family::Anthropic => request.header("x-api-key", key),
            };
        }
        let timeout = || ProxyError::UpstreamTimeout {
            processor: self.config.processor.clone(),
            seconds: self.config.upstream_timeout.as_secs(),
        };
        match tokio::time::timeout(self.config.upstream_timeout, request.send()).await {
            Err(_) => Err(timeout()),
            Ok(Err(error)) if error.is_timeout() => Err(timeout()),
            Ok(Err(_)) => Err(ProxyError::Upstream {
                processor: self.config.processor.clone(),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// A whole answer: read (within the timeout), every string restored.
    async fn answer_back(
        &self,
        upstream: reqwest::Response,
        restorer: &Restorer,
    ) -> Result<Response, ProxyError> {
        let status = upstream.status();
        let headers = returned_headers(upstream.headers());
        let read = async {
            let mut upstream = upstream;
            let mut body = Vec::new();
            while let Some(chunk) = upstream.chunk().await.map_err(|_| ProxyError::Upstream {
                processor: self.config.processor.clone(),
            })? {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(ProxyError::Upstream {
                        processor: self.config.processor.clone(),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        let body = tokio::time::timeout(self.config.upstream_timeout, read)
            .await
            .map_err(|_| ProxyError::UpstreamTimeout {
                processor: self.config.processor.clone(),
                seconds: self.config.upstream_timeout.as_secs(),
            })??;
        let body = match serde_json::from_slice::<Value>(&body) {
            Ok(mut value) => {
                restorer.restore_json(&mut value);
                value.to_string().into_bytes()
            }
            Err(_) if !status.is_success() => {
                return Err(ProxyError::UpstreamNotJson {
                    processor: self.config.processor.clone(),
                    status: status.as_u16(),
                });
            }
            Err(_) => match std::str::from_utf8(&body) {
                Ok(text) => restorer.restore(text).into_owned().into_bytes(),
                Err(_) => body,
            },
        };
        let mut response = (status, body).into_response();
        response.headers_mut().extend(headers);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }

    /// A streamed answer: each event restored as it completes, held-back text released at the end;
    /// a stream silent for longer than the idle timeout is ended with an error event.
    fn stream_back(
        &self,
        route: Route,
        upstream: reqwest::Response,
        restorer: Arc<Restorer>,
    ) -> Response {
        let status = upstream.status();
        let headers = returned_headers(upstream.headers());
        let family = family_of(route);
        let idle = self.config.idle_timeout;
        let processor = self.config.processor.clone();
        struct Streaming {
            upstream: reqwest::Response,
            sse: SseRestorer,
        }
        let state = Some(Streaming {
            upstream,
            sse: SseRestorer::new(route, restorer),
        });
        let stream = futures_util::stream::unfold(state, move |state| {
            let processor = processor.clone();
            async move {
                let mut st = state?;
                loop {
                    match tokio::time::timeout(idle, st.upstream.chunk()).await {
                        Ok(Ok(Some(chunk))) => {
                            let out = st.sse.feed(&chunk);
                            if !out.is_empty() {
                                return Some((
                                    Ok::<Bytes, std::io::Error>(Bytes::from(out)),
                                    Some(st),
                                ));
                            }
                        }
                        Ok(Ok(None)) => {
                            let out = st.sse.finish();
                            return Some((Ok(Bytes::from(out)), None));
                        }
                        Ok(Err(_)) => {
                            let mut out = st.sse.finish();
                            out.extend(error_event(family, &ProxyError::Upstream { processor }));
                            return Some((Ok(Bytes::from(out)), None));
                        }
                        Err(_) => {
                            tracing::warn!(processor = %processor, "the upstream's stream went silent; cut off");
                            let mut out = st.sse.finish();
                            out.extend(error_event(
                                family,
                                &ProxyError::UpstreamTimeout {
                                    processor,
                                    seconds: idle.as_secs(),
                                },
                            ));
                            return Some((Ok(Bytes::from(out)), None));
                        }
                    }
                }
            }
        });
        let mut response = (status, Body::from_stream(stream)).into_response();
        response.headers_mut().extend(headers);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        response
    }
}

/// What scrubbing a body found.
struct Scrubbed {
    counts: BTreeMap<Entity, u64>,
    media: BTreeMap<Media, u64>,
    restorer: Restorer,
}

/// `KIND (n), KIND (n)`.
fn listed<K>(counts: &BTreeMap<K, u64>, name: impl Fn(&K) -> &'static str) -> String {
    counts
        .iter()
        .map(|(kind, n)| format!("{} ({n})", name(kind)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error as one server-sent event, in the family's shape.
fn error_event(family: Family, error: &ProxyError) -> Vec<u8> {
    let body = error.body(family);
    match family {
        Family::OpenAi => format!("data: {body}\n\n").into_bytes(),
        Family::Anthropic => format!("event: error\ndata: {body}\n\n").into_bytes(),
    }
}

fn returned_headers(upstream: &reqwest::header::HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in RETURNED_HEADERS {
        if let Some(value) = upstream.get(name) {
            if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                headers.insert(name, value);
            }
        }
    }
    headers
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ProxyError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error)
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ProxyError::TooLarge { limit })
        }
        Err(_) => Err(ProxyError::MalformedJson("the body could not be read")),
    }
}

/// The API a route belongs to.
pub fn family_of(route: Route) -> Family {
    match route {
        Route::Messages => Family::Anthropic,
        _ => Family::OpenAi,
    }
}

/// The family an unknown request most likely speaks: Anthropic's SDK sends `x-api-key` and
/// `anthropic-version`.
fn guess_family(headers: &HeaderMap) -> Family {
    if headers.contains_key("anthropic-version") || headers.contains_key("x-api-key") {
        Family::Anthropic
    } else {
        Family::OpenAi
    }
}

async fn handle(
    proxy: Arc<Proxy>,
    route: Route,
    peer: SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let family = family_of(route);
    let response = match proxy.call(route, peer, &headers, body).await {
        Ok(response) => response,
        Err(error) => {
            // The message names kinds, roles and the processor, never a value.
            tracing::info!(
                route = route.path(),
                status = error.status().as_u16(),
                error = error.name(),
                "call not passed on"
            );
            error.respond(family)
        }
    };
    proxy
        .metrics
        .request(route.path(), response.status().as_u16(), started.elapsed());
    response
}

/// The proxy's routes, with `/healthz` and `/metrics`.
pub fn router(proxy: Arc<Proxy>) -> Router {
    let mut router = Router::new();
    for route in [
        Route::ChatCompletions,
        Route::Responses,
        Route::Embeddings,
        Route::Messages,
    ] {
        router = router.route(
            route.path(),
            post(
                move |State(proxy): State<Arc<Proxy>>,
                      ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      headers: HeaderMap,
                      body: Body| handle(proxy, route, peer, headers, body),
            ),
        );
    }
    router
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|State(proxy): State<Arc<Proxy>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    proxy.metrics(),
                )
            }),
        )
        .fallback(not_found)
        .with_state(proxy)
}

async fn not_found(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let family = guess_family(request.headers());
    let error = ProxyError::NotFound {
        method: request.method().to_string(),
        // The path only, never the query (which could carry anything).
        path: clip(request.uri().path()),
        served: proxy.served(),
    };
    proxy.metrics.request("unmatched", 404, Duration::ZERO);
    error.respond(family)
}

fn clip(text: &str) -> String {
    let mut end = text.len().min(100);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Serves the proxy on `listener` until `shutdown`, writing an access-log checkpoint every second
/// and at the end.
pub async fn serve(
    proxy: Arc<Proxy>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let vault = Arc::clone(&proxy.vault);
    let checkpoints = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(error) = vault.checkpoint().await {
                tracing::error!(%error, "could not write an access-log checkpoint");
            }
        }
    });
    let vault = Arc::clone(&proxy.vault);
    let app = router(proxy).into_make_service_with_connect_info::<SocketAddr>();
    // No Nagle: a streamed answer's small events go out as they are ready, not after the client's
    // delayed acknowledgement of the one before.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    checkpoints.abort();
    if let Err(error) = vault.checkpoint().await {
        tracing::error!(%error, "could not write the last access-log checkpoint");
    }
    served
}
