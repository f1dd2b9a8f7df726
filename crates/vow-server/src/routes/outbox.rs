//! The event feed, as HTTP: the outbox read by those who poll instead of receiving webhooks.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;
use vow_engine::Caller;

use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The `seq` of the last event seen (default 0).
    pub after: Option<i64>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/events", tag = "consents", params(EventsQuery),
    responses((status = 200, description = "`{events: [{seq, id, type, subject, created_ms, data, delivered}]}` in order; `id` is the idempotency key", body = Object)),
    security(("api_key" = [])))]
pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let events = state
        .vault
        .events(&caller, q.after.unwrap_or(0), q.limit.unwrap_or(1000))
        .await?;
    Ok(Json(serde_json::json!({ "events": events })))
}
