//! The provision log, as HTTP: personal data given to a third party or processor, recorded and
//! listed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use vow_engine::Caller;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_time, ApiJson, ApiQuery, LedgerQuery};
use crate::state::AppState;

/// `POST /v1/provisions`: personal data given to a third party or processor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionBody {
    /// A `[[third_party]]` or `[[processor]]` key of the policy.
    pub recipient: String,
    /// Categories given: each must be listed for that recipient in the policy, and readable by the role.
    pub categories: Vec<String>,
    /// The purpose the policy declares for the recipient (its `purpose`, or a processor's `task`), in
    /// Korean or English; absent: that purpose is recorded. Any other text is refused.
    #[serde(default)]
    pub purpose: Option<String>,
    /// How many records or subjects' data went (default 1).
    #[serde(default)]
    pub count: Option<i64>,
    /// When one subject's data was given.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/provisions", tag = "lifecycle", request_body = ProvisionBody,
    responses(
        (status = 201, description = "Recorded: `{seq, at_ms, recipient, recipient_kind, categories, purpose?, count, subject?, by, role}`", body = Object),
        (status = 403, description = "The role may not read a category it gives", body = ErrorBody),
        (status = 422, description = "A recipient the policy does not name, a category not listed for it, a bad count", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn record_provision(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<ProvisionBody>,
) -> ApiResult<(StatusCode, Json<vow_engine::provisions::Provision>)> {
    let new = vow_engine::provisions::NewProvision {
        recipient: request.recipient,
        categories: request.categories,
        purpose: request.purpose,
        detail: None,
        count: request.count.unwrap_or(1),
        subject: request.subject,
        at_ms: parse_time("at", request.at.as_deref())?,
    };
    let recorded = state.vault.record_provision(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

#[utoipa::path(get, path = "/v1/provisions", tag = "lifecycle", params(LedgerQuery),
    responses((status = 200, description = "The provision log: `{provisions: [...]}` in order, never a value", body = Object)),
    security(("api_key" = [])))]
pub async fn provisions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let rows = state
        .vault
        .provisions(
            &caller,
            q.after.unwrap_or(0),
            q.limit.unwrap_or(10_000).min(10_000),
        )
        .await?;
    Ok(Json(serde_json::json!({ "provisions": rows })))
}
