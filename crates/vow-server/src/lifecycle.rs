//! Retention and the data subject's rights, as HTTP: records with their own times, the events that
//! start retention clocks, separated storage, the destruction ledger, and rights requests. As in
//! `routes`, each handler only translates: the vault decides.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use vow_engine::requests::{NewRequest, RequestAction, Verification};
use vow_engine::Caller;

use crate::consents::{parse_time, query};
use crate::error::{ApiError, ErrorBody};
use crate::routes::{body, path, ApiResult};
use crate::AppState;

/// `POST /v1/subjects/{id}/records/{category}`: one record (an order, a payment, a visit).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    pub value: String,
    /// When it happened (RFC 3339); now when absent. Rules `from = "transaction"` count from here.
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/records/{category}", request_body = RecordBody,
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
    params: Result<Path<(String, String)>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let (id, category) = path(params)?;
    let request: RecordBody = body(bytes)?;
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

#[utoipa::path(get, path = "/v1/subjects/{id}/records", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{records: [{id, category, at_ms, value: {shown, value}}]}` oldest first", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn records(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = path(params)?;
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

#[utoipa::path(post, path = "/v1/subjects/{id}/events", request_body = EventBody,
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
    params: Result<Path<String>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let id = path(params)?;
    let request: EventBody = body(bytes)?;
    let at_ms = parse_time("at", request.at.as_deref())?;
    state
        .vault
        .report_event(&caller, &id, &request.event, at_ms)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/subjects/{id}/separated", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{separated: [{id, category, at_ms, rule, until_ms, value}]}`: what another law still requires, kept apart. Needs the role's `separated` grant and an `x-vow-reason`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn separated(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = path(params)?;
    let rows = state.vault.separated(&caller, &id).await?;
    Ok(Json(serde_json::json!({ "separated": rows })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// The `seq` of the last line seen (default 0).
    pub after: Option<i64>,
    /// At most this many (default and maximum 10000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/destructions", params(LedgerQuery),
    responses((status = 200, description = "The destruction ledger (파기 관리대장): `{destructions: [{seq, at_ms, subject, category, storage, count, rule, basis, law?, cause, method, by}]}`, never a value", body = Object)),
    security(("api_key" = [])))]
pub async fn destructions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<LedgerQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
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

#[utoipa::path(post, path = "/v1/requests", request_body = RequestBody,
    responses(
        (status = 201, description = "`{id, subject, type, state: received, received_ms, due_ms, urgency, jurisdiction, verification, …}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 422, description = "A type the policy does not offer, no verification, a bad time", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn file_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<vow_engine::requests::RightsRequest>)> {
    let request: RequestBody = body(bytes)?;
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

#[utoipa::path(get, path = "/v1/requests", params(RequestsQuery),
    responses((status = 200, description = "`{requests: [...]}` by due date, each with `urgency`: overdue, nearly_due, on_time or closed", body = Object)),
    security(("api_key" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<RequestsQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
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

#[utoipa::path(get, path = "/v1/requests/{id}", params(("id" = String, Path)),
    responses(
        (status = 200, description = "The request", body = Object),
        (status = 404, description = "No such request", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<vow_engine::requests::RightsRequest>> {
    let id = path(params)?;
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

#[utoipa::path(post, path = "/v1/requests/{id}", request_body = RequestActionBody,
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
    params: Result<Path<String>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = path(params)?;
    let request: RequestActionBody = body(bytes)?;
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

#[utoipa::path(post, path = "/v1/provisions", request_body = ProvisionBody,
    responses(
        (status = 201, description = "Recorded: `{seq, at_ms, recipient, recipient_kind, categories, purpose?, count, subject?, by, role}`", body = Object),
        (status = 403, description = "The role may not read a category it gives", body = ErrorBody),
        (status = 422, description = "A recipient the policy does not name, a category not listed for it, a bad count", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn record_provision(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<vow_engine::provisions::Provision>)> {
    let request: ProvisionBody = body(bytes)?;
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

#[utoipa::path(get, path = "/v1/provisions", params(LedgerQuery),
    responses((status = 200, description = "The provision log: `{provisions: [...]}` in order, never a value", body = Object)),
    security(("api_key" = [])))]
pub async fn provisions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<LedgerQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
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

/// Largest upload accepted (`POST /v1/subjects/{id}/uploads/{category}`).
pub const UPLOAD_LIMIT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[utoipa::path(post, path = "/v1/subjects/{id}/uploads/{category}",
    params(("id" = String, Path), ("category" = String, Path)),
    request_body(content = Vec<u8>, description = "The file itself (any media type; `Content-Type` is kept), streamed", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "`{id, category, bytes, media_type, created_ms, keep}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 413, description = "Larger than 2 GiB; nothing was kept", body = ErrorBody),
        (status = 422, description = "An undeclared category or media type", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn put_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(limits): Extension<crate::Limits>,
    params: Result<Path<(String, String)>, PathRejection>,
    headers: axum::http::HeaderMap,
    upload: axum::body::Body,
) -> ApiResult<(StatusCode, Json<vow_engine::uploads::UploadInfo>)> {
    use futures_util::StreamExt;
    let (id, category) = path(params)?;
    // A declared length over the limit is refused before a byte is read.
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > UPLOAD_LIMIT_BYTES) {
        return Err(vow_engine::VaultError::UploadTooLarge {
            limit: UPLOAD_LIMIT_BYTES,
        }
        .into());
    }
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // The body must keep coming: a sender that stalls for `body_idle` is cut off (408), so a
    // connection cannot be held open by declaring a large body and sending nothing.
    let stalled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let idle = limits.body_idle;
    let flag = std::sync::Arc::clone(&stalled);
    let stream = futures_util::stream::unfold(
        (upload.into_data_stream(), flag),
        move |(mut body, flag)| async move {
            match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), (body, flag))),
                Ok(Some(Err(error))) => Some((Err(std::io::Error::other(error)), (body, flag))),
                Ok(None) => None,
                Err(_) => {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the upload's body stopped arriving",
                        )),
                        (body, flag),
                    ))
                }
            }
        },
    );
    let mut reader = tokio_util::io::StreamReader::new(Box::pin(stream));
    let stored = state
        .vault
        .put_upload(
            &caller,
            &id,
            &category,
            content_type,
            &mut reader,
            UPLOAD_LIMIT_BYTES,
        )
        .await;
    match stored {
        Ok(info) => Ok((StatusCode::CREATED, Json(info))),
        Err(_) if stalled.load(std::sync::atomic::Ordering::Relaxed) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the upload's body stopped arriving for {} seconds; nothing was kept",
                idle.as_secs()
            ),
        )
        .hint("send the file without pauses; retry the whole upload")),
        Err(error) => Err(error.into()),
    }
}

#[utoipa::path(get, path = "/v1/subjects/{id}/uploads", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{uploads: [{id, category, bytes, media_type, created_ms, processed_ms?, keep}]}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list_uploads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = path(params)?;
    let uploads = state.vault.uploads(&caller, &id).await?;
    Ok(Json(serde_json::json!({ "uploads": uploads })))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/uploads/{category}/{upload}",
    params(("id" = String, Path), ("category" = String, Path), ("upload" = String, Path)),
    responses(
        (status = 200, description = "The file, streamed, with its media type (roles that see the category in full)"),
        (status = 404, description = "No such upload", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String, String)>, PathRejection>,
) -> ApiResult<axum::response::Response> {
    let (id, category, upload) = path(params)?;
    let (info, reader) = state.vault.get_upload(&caller, &id, &upload).await?;
    if info.category != category {
        return Err(vow_engine::VaultError::NoUpload.into());
    }
    let stream = futures_util::stream::try_unfold(reader, |mut reader| async move {
        match reader.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((Bytes::from(chunk.to_vec()), reader))),
            Ok(None) => Ok(None),
            Err(error) => {
                // Headers are gone already: the connection is cut, so the client sees a short body.
                tracing::error!(%error, "an upload failed to open while streaming");
                Err(std::io::Error::other(
                    "the upload failed its integrity check",
                ))
            }
        }
    });
    let mut response = axum::response::Response::new(axum::body::Body::from_stream(stream));
    if let Ok(value) = axum::http::HeaderValue::from_str(&info.media_type) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    if let Ok(value) = axum::http::HeaderValue::from_str(&info.bytes.to_string()) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_LENGTH, value);
    }
    Ok(response)
}

/// `PATCH /v1/subjects/{id}/uploads/{category}/{upload}`: processed, and whether the subject keeps it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadUpdateBody {
    /// The application processed it: the policy's time-to-live starts now.
    #[serde(default)]
    pub processed: bool,
    /// The subject chose to keep it (rules counted from processing no longer apply), or not.
    #[serde(default)]
    pub keep: Option<bool>,
}

#[utoipa::path(patch, path = "/v1/subjects/{id}/uploads/{category}/{upload}", request_body = UploadUpdateBody,
    params(("id" = String, Path), ("category" = String, Path), ("upload" = String, Path)),
    responses(
        (status = 204, description = "Recorded"),
        (status = 404, description = "No such upload", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn update_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String, String)>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let (id, _category, upload) = path(params)?;
    let request: UploadUpdateBody = body(bytes)?;
    state
        .vault
        .update_upload(&caller, &id, &upload, request.processed, request.keep)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
