//! vow's HTTP API: the vault as JSON over HTTP(S).
//!
//! [`router`] builds the routes and their layers — authentication (API keys, lockout), refused
//! attempts written to the access log, metrics, body limit, timeout — around a [`Vault`]; [`serve`] runs them on a listener, with TLS (rustls) when given
//! a certificate, and writes a signed checkpoint of the access log every second and on shutdown.
//!
//! **Invariant.** Handlers only translate between HTTP and the vault: every decision about personal
//! data (what the policy allows, who may see what, what is logged) is the vault's, so HTTP cannot
//! bypass it. Error bodies never quote submitted values.

mod auth;
mod checkpoints;
mod conn;
mod consents;
mod denials;
mod error;
mod layers;
mod lifecycle;
mod metrics;
mod routes;
mod sweeper;
mod webhooks;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{middleware, Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use vow_engine::Vault;

pub use auth::{PURPOSE_HEADER, REASON_HEADER};
pub use checkpoints::{CheckpointDeliveries, Destination};
pub use error::{ApiError, ErrorBody};
pub use sweeper::sweep_periodically;
pub use webhooks::{deliver_events, sign, verify, WebhookConfig, WebhookError};

/// What every handler and layer shares.
#[derive(Clone)]
pub struct AppState {
    pub vault: Arc<Vault>,
    metrics: Arc<metrics::Metrics>,
    /// Checkpoints not delivered to copies and witnesses, shown in `/metrics`.
    deliveries: Arc<CheckpointDeliveries>,
    lockout: Arc<auth::Lockout>,
}

impl AppState {
    pub fn new(vault: Arc<Vault>) -> AppState {
        AppState {
            vault,
            metrics: Arc::default(),
            deliveries: Arc::default(),
            lockout: Arc::default(),
        }
    }

    /// Shows these delivery failures in `/metrics`: the same [`CheckpointDeliveries`] whose sinks
    /// the vault was given.
    pub fn with_checkpoint_deliveries(mut self, deliveries: Arc<CheckpointDeliveries>) -> AppState {
        self.deliveries = deliveries;
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "vow", description = "The personal-data vault: subjects' data kept as the privacy policy says, every access logged."),
    paths(
        routes::create_subject, routes::lookup, routes::put_item, routes::get_item, routes::verify,
        routes::erase, routes::export, routes::create_key, routes::list_keys, routes::revoke_key,
        routes::healthz, consents::record_consent, consents::consents, consents::guardian,
        consents::marketing_check, consents::marketing_format, consents::consents_due,
        consents::owed_notices, consents::notice_sent, consents::events,
        lifecycle::put_record, lifecycle::records, lifecycle::report_event, lifecycle::separated,
        lifecycle::destructions, lifecycle::file_request, lifecycle::list_requests,
        lifecycle::get_request, lifecycle::act_on_request, lifecycle::record_provision,
        lifecycle::provisions, lifecycle::put_upload, lifecycle::list_uploads,
        lifecycle::get_upload, lifecycle::update_upload,
    ),
    modifiers(&BearerKeys, &CommonErrors),
)]
struct ApiDoc;

/// The answers every authenticated route can give, whatever it does: documented once, here, rather
/// than on each handler.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        const COMMON: [(&str, &str); 8] = [
            ("400", "Malformed body, path, query or x-vow-reason header"),
            ("401", "No API key, or an unknown or revoked one"),
            ("403", "The key's role has no grant for this (the policy's [[role]] table)"),
            ("405", "The route does not take this method"),
            ("408", "The request was not completed in time"),
            ("413", "The body is too large"),
            ("429", "Too many failed authentications from this address, or too many lookups by this key; see Retry-After"),
            ("503", "The store could not complete the request; nothing was changed"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (code, description) in COMMON {
                    operation
                        .responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The advertising gate's route: one subject, or a page of a campaign (at most
/// `vow_engine::consent::MAX_CAMPAIGN`), within the same body limit and deadline as every route.
pub const CAMPAIGN_PATH: &str = "/v1/marketing/check";

/// Limits that protect the server from its clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    /// From a request's headers to its answer, body included.
    pub request_timeout: Duration,
    /// A connection must deliver its first request's headers (and each later request's, once it
    /// starts one) within this time, or it is closed: slow senders cannot hold connections.
    pub header_timeout: Duration,
    /// Open connections at most; a connection beyond it is closed at once.
    pub max_connections: usize,
    /// Open connections from one source address at most (a NAT or proxy is one address).
    pub max_connections_per_address: usize,
    /// Longest path and query accepted.
    pub uri_bytes: usize,
    /// A streamed body (an upload) must keep arriving: a gap longer than this ends it with 408.
    pub body_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_connections_per_address: 512,
            uri_bytes: 8 * 1024,
            body_idle: Duration::from_secs(10),
        }
    }
}

pub fn router(state: AppState, limits: Limits) -> Router {
    let protected = Router::new()
        .route(
            "/v1/subjects",
            post(routes::create_subject).get(routes::lookup),
        )
        .route("/v1/subjects/{id}", axum::routing::delete(routes::erase))
        .route("/v1/subjects/{id}/export", get(routes::export))
        .route(
            "/v1/subjects/{id}/items/{category}",
            put(routes::put_item).get(routes::get_item),
        )
        .route(
            "/v1/subjects/{id}/items/{category}/verify",
            post(routes::verify),
        )
        .route(
            "/v1/subjects/{id}/consents",
            post(consents::record_consent).get(consents::consents),
        )
        .route("/v1/subjects/{id}/guardian", post(consents::guardian))
        .route(CAMPAIGN_PATH, post(consents::marketing_check))
        .route("/v1/marketing/format", post(consents::marketing_format))
        .route("/v1/consents/due", get(consents::consents_due))
        .route("/v1/consents/notices", get(consents::owed_notices))
        .route(
            "/v1/consents/notices/{id}/sent",
            post(consents::notice_sent),
        )
        .route("/v1/events", get(consents::events))
        .route(
            "/v1/subjects/{id}/records/{category}",
            post(lifecycle::put_record),
        )
        .route("/v1/subjects/{id}/records", get(lifecycle::records))
        .route("/v1/subjects/{id}/events", post(lifecycle::report_event))
        .route("/v1/subjects/{id}/separated", get(lifecycle::separated))
        .route(
            "/v1/subjects/{id}/uploads/{category}",
            // A file is streamed to disk, never held: the body limit is the upload limit.
            post(lifecycle::put_upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/subjects/{id}/uploads/{category}/{upload}",
            get(lifecycle::get_upload).patch(lifecycle::update_upload),
        )
        .route("/v1/subjects/{id}/uploads", get(lifecycle::list_uploads))
        .route("/v1/destructions", get(lifecycle::destructions))
        .route(
            "/v1/provisions",
            post(lifecycle::record_provision).get(lifecycle::provisions),
        )
        .route(
            "/v1/requests",
            post(lifecycle::file_request).get(lifecycle::list_requests),
        )
        .route(
            "/v1/requests/{id}",
            get(lifecycle::get_request).post(lifecycle::act_on_request),
        )
        .route("/v1/keys", post(routes::create_key).get(routes::list_keys))
        .route("/v1/keys/{id}", axum::routing::delete(routes::revoke_key))
        // Inside authentication (the later layer runs first): a 403 to a known caller is logged.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            denials::record,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let document = openapi();
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document) }
            }),
        )
        .merge(protected)
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            layers::timeout,
        ))
        .layer(middleware::from_fn_with_state(
            limits.uri_bytes,
            layers::uri_limit,
        ))
        .layer(middleware::from_fn(layers::no_store))
        .layer(axum::Extension(limits))
        .with_state(state)
}

/// TLS settings: a PEM certificate chain and private key; `tls13_only` refuses TLS 1.2.
#[derive(Clone, Debug)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub tls13_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("TLS: {0}")]
    Tls(String),
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

fn rustls_config(tls: &Tls) -> Result<axum_server::tls_rustls::RustlsConfig, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls(format!("certificate {}: {e}", tls.cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "certificate {}: no certificate in the file",
            tls.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| ServeError::Tls(format!("private key {}: {e}", tls.key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls.tls13_only {
        &[&rustls::version::TLS13]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    // HTTP/1.1 only: hyper's HTTP/2 has no deadline for a connection that goes quiet after its first
    // request, so idle HTTP/2 connections could hold the connection cap for ever.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// The server with every limit on its connections: the caps around `acceptor` (plain or TLS),
/// HTTP/1.1 only, and the header deadlines.
fn guarded<Acc>(
    server: axum_server::Server<SocketAddr>,
    acceptor: Acc,
    handle: axum_server::Handle<SocketAddr>,
    limits: Limits,
) -> axum_server::Server<SocketAddr, conn::Capped<Acc>> {
    let mut server = server
        .acceptor(conn::Capped::new(
            acceptor,
            limits.max_connections,
            limits.max_connections_per_address,
        ))
        .handle(handle)
        .http1_only()
        .first_request_timeout(limits.header_timeout);
    server
        .http_builder()
        .http1()
        .header_read_timeout(limits.header_timeout);
    server
}

/// Serves until `shutdown` resolves, then drains connections (up to 10 s) and writes a last
/// checkpoint of the access log.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    tls: Option<Tls>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let app = router(state.clone(), limits).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let checkpoints = {
        let vault = Arc::clone(&state.vault);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(error) = vault.checkpoint().await {
                    tracing::error!(%error, "could not write an access-log checkpoint");
                }
            }
        })
    };
    {
        let handle = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        });
    }
    let served = match tls {
        Some(tls) => {
            let tls = axum_server::tls_rustls::RustlsAcceptor::new(rustls_config(&tls)?);
            guarded(axum_server::from_tcp(listener)?, tls, handle, limits)
                .serve(app)
                .await
        }
        None => {
            let plain = axum_server::accept::DefaultAcceptor;
            guarded(axum_server::from_tcp(listener)?, plain, handle, limits)
                .serve(app)
                .await
        }
    };
    checkpoints.abort();
    if let Err(error) = state.vault.checkpoint().await {
        tracing::error!(%error, "could not write the final access-log checkpoint");
    }
    Ok(served?)
}
