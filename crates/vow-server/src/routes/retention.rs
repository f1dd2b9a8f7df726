//! Retention, as HTTP: records with their own times, the events that start retention clocks,
//! separated storage, and the destruction ledger. Each handler only translates: the vault decides.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use vow_engine::Caller;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_time, ApiJson, ApiPath, ApiQuery, LedgerQuery};
use crate::state::AppState;

/// `POST /v1/subjects/{id}/records/{category}`: one record (an order, a payment, a visit).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    pub value: String,
    /// When it happened (RFC 3339); now when absent. Rules `from = "transaction"` count from here.
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/records/{category}", tag = "lifecycle", request_body = RecordBody,
    params(("id" = String, Path), ("category" = String, Path)),
    responses(
        (status = 201, description = "`{id}` of the record", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 422, description = "An undeclared category, a bad value or time", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn put_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((id, category)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<RecordBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let at_ms = parse_time("at", request.at.as_deref())?;
    let record = state
        .vault
        .put_record(&caller, &id, &category, &request.value, at_ms)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": record })),
    ))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/records", tag = "lifecycle", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{records: [{id, category, at_ms, value: {shown, value}}]}` oldest first", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn records(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let records = state.vault.records(&caller, &id).await?;
    Ok(Json(serde_json::json!({ "records": records })))
}

/// `POST /v1/subjects/{id}/events`: a retention event happened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The policy's `from` value: `account_closure`, `contract_end`, `purpose_achieved`,
    /// `processing_completed`, `consent_withdrawn`, `transaction`.
    pub event: String,
    /// When it happened (RFC 3339); now when absent.
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/events", tag = "lifecycle", request_body = EventBody,
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Recorded; the next sweep counts from it"),
        (status = 404, description = "No such subject (or it was destroyed)", body = ErrorBody),
        (status = 422, description = "Not a retention event, or a bad time", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn report_event(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<EventBody>,
) -> ApiResult<StatusCode> {
    let at_ms = parse_time("at", request.at.as_deref())?;
    state
        .vault
        .report_event(&caller, &id, &request.event, at_ms)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/subjects/{id}/separated", tag = "lifecycle", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{separated: [{id, category, at_ms, rule, until_ms, value}]}`: what another law still requires, kept apart. Needs the role's `separated` grant and an `x-vow-reason`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn separated(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let rows = state.vault.separated(&caller, &id).await?;
    Ok(Json(serde_json::json!({ "separated": rows })))
}

#[utoipa::path(get, path = "/v1/destructions", tag = "lifecycle", params(LedgerQuery),
    responses((status = 200, description = "The destruction ledger (파기 관리대장): `{destructions: [{seq, at_ms, subject, category, storage, count, rule, basis, law?, cause, method, by}]}`, never a value", body = Object)),
    security(("api_key" = [])))]
pub async fn destructions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let lines = state
        .vault
        .destruction_ledger(
            &caller,
            q.after.unwrap_or(0),
            q.limit.unwrap_or(10_000).min(10_000),
        )
        .await?;
    Ok(Json(serde_json::json!({ "destructions": lines })))
}
