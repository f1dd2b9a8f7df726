//! The data subject's rights requests, as HTTP: filed, listed, read, and moved on (started,
//! extended, refused, completed). Each handler only translates: the vault decides.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use vow_engine::requests::{NewRequest, RequestAction, Verification};
use vow_engine::Caller;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{parse_time, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    /// How the requester's identity was checked: `logged_in_session`, `mobile_identity`, `ipin`, …
    pub method: String,
    #[serde(default)]
    pub by: Option<String>,
    /// Filed by a legal representative or delegate.
    #[serde(default)]
    pub representative: bool,
}

/// `POST /v1/requests`: a data subject's rights request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub subject: String,
    /// `access`, `portability`, `rectification`, `erasure`, `restriction`, `objection`,
    /// `consent_withdrawal` — those the policy's `[rights]` grants.
    #[serde(rename = "type")]
    pub kind: String,
    /// `kr` (PIPA, the default) or `eu` (GDPR): sets the due date.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    pub verification: VerificationBody,
    /// For rectification: the categories to correct (not used nor given until written anew).
    #[serde(default)]
    pub categories: Vec<String>,
    /// When it was received (RFC 3339); now when absent.
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/requests", tag = "lifecycle", request_body = RequestBody,
    responses(
        (status = 201, description = "`{id, subject, type, state: received, received_ms, due_ms, urgency, jurisdiction, verification, …}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 422, description = "A type the policy does not offer, no verification, a bad time", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn file_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<RequestBody>,
) -> ApiResult<(StatusCode, Json<vow_engine::requests::RightsRequest>)> {
    let new = NewRequest {
        subject: request.subject,
        kind: request.kind,
        jurisdiction: request.jurisdiction,
        verification: Verification {
            method: request.verification.method,
            by: request.verification.by,
            representative: request.verification.representative,
        },
        categories: request.categories,
        at_ms: parse_time("at", request.at.as_deref())?,
    };
    let filed = state.vault.file_request(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// `open` (default: received, in progress, extended) or `all`.
    pub state: Option<String>,
}

#[utoipa::path(get, path = "/v1/requests", tag = "lifecycle", params(RequestsQuery),
    responses((status = 200, description = "`{requests: [...]}` by due date, each with `urgency`: overdue, nearly_due, on_time or closed", body = Object)),
    security(("api_key" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let open_only = match q.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "state must be open or all",
            ))
        }
    };
    let requests = state.vault.rights_requests(&caller, open_only).await?;
    Ok(Json(serde_json::json!({ "requests": requests })))
}

#[utoipa::path(get, path = "/v1/requests/{id}", tag = "lifecycle", params(("id" = String, Path)),
    responses(
        (status = 200, description = "The request", body = Object),
        (status = 404, description = "No such request", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<vow_engine::requests::RightsRequest>> {
    Ok(Json(state.vault.rights_request(&caller, &id).await?))
}

/// `POST /v1/requests/{id}`: move a request on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestActionBody {
    /// `start`, `extend` (GDPR only, once: `reason`), `refuse` (`reason` and `objection`, both
    /// required) or `complete` (carries the request out).
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// How the subject can object to a refusal (an authority, a form, an address).
    #[serde(default)]
    pub objection: Option<String>,
}

#[utoipa::path(post, path = "/v1/requests/{id}", tag = "lifecycle", request_body = RequestActionBody,
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{request, answer?}`: for access and portability the export, for erasure what was destroyed and what was kept under which law", body = Object),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "The request is closed, or not in a state for this action", body = ErrorBody),
        (status = 422, description = "A refusal without reason or objection, an unknown action", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn act_on_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RequestActionBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let missing = |field: &'static str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("{field} is required for this action"),
        )
    };
    let action = match request.action.as_str() {
        "start" => RequestAction::Start,
        "extend" => RequestAction::Extend {
            reason: request.reason.ok_or_else(|| missing("reason"))?,
        },
        "refuse" => RequestAction::Refuse {
            reason: request.reason.ok_or_else(|| missing("reason"))?,
            objection: request.objection.ok_or_else(|| missing("objection"))?,
        },
        "complete" => RequestAction::Complete,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "action must be start, extend, refuse or complete",
            ))
        }
    };
    let (request, answer) = state.vault.act_on_request(&caller, &id, action).await?;
    Ok(Json(
        serde_json::json!({ "request": request, "answer": answer }),
    ))
}
