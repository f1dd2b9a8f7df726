//! Small layers around every route: a request deadline and a URI limit that answer in the API's JSON
//! error shape, and headers that keep answers holding personal data out of caches.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Behind a trusted proxy, the request's peer becomes the client the proxy names in
/// `X-Forwarded-For` (see [`crate::limits::TrustedProxies`]), so everything after this layer — the
/// access log's source, the lockouts, the rate limits — sees the client.
pub async fn forwarded_for(
    State(trusted): State<std::sync::Arc<crate::limits::TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !trusted.is_empty() {
        let peer = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0);
        if let Some(peer) = peer {
            let forwarded: Vec<&str> = request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let client = trusted.client(peer.ip(), &forwarded);
            if client != peer.ip() {
                request.extensions_mut().insert(axum::extract::ConnectInfo(
                    std::net::SocketAddr::new(client, peer.port()),
                ));
            }
        }
    }
    next.run(request).await
}

/// Answers 408 in JSON when the route takes longer than the deadline (a slow body, a stalled store).
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let limit = if path.contains("/uploads/") && request.method() == axum::http::Method::POST {
        // A file of up to 2 GiB comes in the body: ten minutes (3.5 MB/s at the limit).
        limit * 60
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request was not completed within {} seconds",
                limit.as_secs()
            ),
        )
        .hint("send the body promptly; if the server is overloaded, retry later")
        .into_response(),
    }
}

/// Answers 414 in JSON for a path and query longer than the limit.
pub async fn uri_limit(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length > limit {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query are {length} bytes; at most {limit} are accepted"),
        )
        .hint("values belong in the request body, not the URL")
        .into_response();
    }
    next.run(request).await
}

/// Every answer may hold personal data or a key's secret: no cache keeps it, no browser guesses its
/// type.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
