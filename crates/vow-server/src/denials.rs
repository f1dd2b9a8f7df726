//! The layer that writes refused attempts to the access log: when a route answers 403 to an
//! authenticated caller (its role has no grant for this, the subject is restricted, a consent is
//! missing …), the vault records a `denied` entry with the method and the route's template
//! (`GET /v1/subjects/{id}/export`) — never the concrete path or query, which can hold a value.
//! The monthly review lists them per key.

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

use vow_engine::{Caller, Vault};

/// The layer's function; runs inside authentication, so the caller is known.
pub async fn record(State(vault): State<Arc<Vault>>, request: Request, next: Next) -> Response {
    let caller = request.extensions().get::<Caller>().cloned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| format!("{} {}", request.method(), path.as_str()));
    let response = next.run(request).await;
    if response.status() == StatusCode::FORBIDDEN {
        if let (Some(caller), Some(route)) = (caller, route) {
            // The answer stays the refusal it is; a log that cannot be written is the operator's to see.
            if let Err(error) = vault.record_denial(&caller, &route).await {
                tracing::error!(%error, %route, "could not write a refused attempt to the access log");
            }
        }
    }
    response
}
