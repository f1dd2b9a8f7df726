//! The routes outside `/v1/`, without a key: health and metrics; and the answers for a path no route
//! takes or a method its route does not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub store: String,
}

#[utoipa::path(get, path = "/healthz", tag = "routes",
    responses((status = 200, description = "Serving", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.vault.store().audit_heads().await {
        Ok(_) => Json(Health {
            status: "ok",
            store: state.vault.store().description().to_string(),
        })
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            "the store does not answer",
        )
        .into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics.render();
    state.deliveries.render(&mut text);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
    .hint("see /openapi.json for the methods of each route")
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such route")
        .hint("see /openapi.json for the routes")
}
