//! The routes, one plain function each. Authentication, limits, timing and the access log are layers
//! and the vault; a handler only translates between HTTP and a vault call.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vow_engine::{ApiKeyInfo, Caller, Exported, ItemValue};

use crate::error::{ApiError, ErrorBody};
use crate::AppState;

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn body<T: DeserializeOwned>(bytes: Result<Bytes, BytesRejection>) -> ApiResult<T> {
    let bytes = bytes.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "body_too_large", "the request body is too large")
                .hint("items are short values; send uploads elsewhere")
        } else {
            ApiError::new(
                status,
                "unreadable_body",
                "the request body could not be read",
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_json(&e))
}

pub(crate) fn path<T>(path: Result<Path<T>, PathRejection>) -> ApiResult<T> {
    path.map(|Path(p)| p).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the path holds invalid percent-encoding or UTF-8",
        )
    })
}

/// `POST /v1/subjects`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubject {
    /// The service's own id for this person (its user id); unique among live subjects.
    pub external_id: String,
    /// A subject kind the policy declares (`[[subject]] key`), e.g. `member`.
    pub kind: String,
    /// The date of birth (`YYYY-MM-DD`) as collected, to apply the policy's `[children]` rule.
    /// vow keeps only whether the person was a child, never the date.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Or the age in full years, as attested.
    #[serde(default)]
    pub age: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The vault's id for the subject: store this instead of the personal data.
    pub id: String,
}

#[utoipa::path(post, path = "/v1/subjects", request_body = CreateSubject,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 409, description = "The external id belongs to a subject already", body = ErrorBody),
        (status = 422, description = "The kind is not in the policy, or the policy refuses a child", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_subject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let request: CreateSubject = body(bytes)?;
    let age = match (request.birth_date.as_deref(), request.age) {
        (None, None) => None,
        (Some(text), None) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let born = time::Date::parse(text, &format).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_birth_date",
                    "birth_date must be a date like 2012-05-31",
                )
            })?;
            Some(vow_engine::AgeEvidence::BirthDate(born))
        }
        (None, Some(years)) => Some(vow_engine::AgeEvidence::Age(years)),
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "give birth_date or age, not both",
            ))
        }
    };
    let id = state
        .vault
        .create_subject_aged(&caller, &request.external_id, &request.kind, age)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// `CATEGORY:VALUE`, e.g. `user.contact.email:minji@example.com` (a category the policy marks
    /// `lookup = true`).
    pub lookup: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    pub subjects: Vec<String>,
}

#[utoipa::path(get, path = "/v1/subjects", params(LookupQuery),
    responses(
        (status = 200, description = "Subjects holding that value", body = Found),
        (status = 403, description = "The role may not look up by this category (the `lookup` grant)", body = ErrorBody),
        (status = 422, description = "Not a lookup category", body = ErrorBody),
        (status = 429, description = "Too many lookups by this key; see Retry-After", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn lookup(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<LookupQuery>, QueryRejection>,
) -> ApiResult<Json<Found>> {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "expected ?lookup=CATEGORY:VALUE",
        )
    })?;
    let Some((category, value)) = query.lookup.split_once(':') else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "expected ?lookup=CATEGORY:VALUE (a colon between category and value)",
        ));
    };
    let subjects = state.vault.lookup(&caller, category, value).await?;
    Ok(Json(Found { subjects }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueBody {
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    /// Whether a value was there before and has been replaced.
    pub replaced: bool,
}

#[utoipa::path(put, path = "/v1/subjects/{id}/items/{category}", request_body = ValueBody,
    params(("id" = String, Path), ("category" = String, Path, description = "A category the policy declares")),
    responses(
        (status = 201, description = "Stored", body = Stored),
        (status = 200, description = "Replaced", body = Stored),
        (status = 403, description = "The role may not write this category", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 422, description = "The category is not in the policy", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn put_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Stored>)> {
    let (id, category) = path(params)?;
    let request: ValueBody = body(bytes)?;
    let replaced = state
        .vault
        .put_item(&caller, &id, &category, &request.value)
        .await?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(Stored { replaced })))
}

/// An item as the role may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemBody {
    /// The value, in full or masked; absent for credentials, which are never readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `full`, `masked` or `credential`.
    pub shown: &'static str,
}

impl From<ItemValue> for ItemBody {
    fn from(value: ItemValue) -> ItemBody {
        match value {
            ItemValue::Full(v) => ItemBody {
                value: Some(v),
                shown: "full",
            },
            ItemValue::Masked(v) => ItemBody {
                value: Some(v),
                shown: "masked",
            },
            ItemValue::Credential => ItemBody {
                value: None,
                shown: "credential",
            },
        }
    }
}

#[utoipa::path(get, path = "/v1/subjects/{id}/items/{category}",
    params(("id" = String, Path), ("category" = String, Path)),
    responses(
        (status = 200, description = "The item, masked unless the role may see it in full", body = ItemBody),
        (status = 403, description = "The role may not read this category", body = ErrorBody),
        (status = 404, description = "No such subject or item", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get_item(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<ItemBody>> {
    let (id, category) = path(params)?;
    let value = state.vault.get_item(&caller, &id, &category).await?;
    Ok(Json(value.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    #[serde(rename = "match")]
    pub matches: bool,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/items/{category}/verify", request_body = ValueBody,
    params(("id" = String, Path), ("category" = String, Path, description = "A credential category")),
    responses((status = 200, description = "Whether the value matches the stored credential", body = Verified)),
    security(("api_key" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Verified>> {
    let (id, category) = path(params)?;
    let request: ValueBody = body(bytes)?;
    let matches = state
        .vault
        .verify_credential(&caller, &id, &category, &request.value)
        .await?;
    Ok(Json(Verified { matches }))
}

#[utoipa::path(delete, path = "/v1/subjects/{id}", params(("id" = String, Path)),
    responses(
        (status = 204, description = "Erased: everything destroyed, data key included"),
        (status = 200, description = "Erased except what a law still requires, kept apart: `{destroyed, kept_apart: [{category, rule, law?, until_ms}], kept_by_rule, data_key_destroyed: false}`", body = Object),
        (status = 403, description = "The role may not erase", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 410, description = "Erased already: only what a law still requires is left, kept apart (`erased`)", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let id = path(params)?;
    let erasure = state.vault.erase(&caller, &id).await?;
    if erasure.kept_apart.is_empty() {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok((StatusCode::OK, Json(erasure)).into_response())
    }
}

/// Everything held about a subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportBody {
    pub id: String,
    pub external_id: String,
    pub kind: String,
    pub created_ms: i64,
    pub items: Vec<ExportedItemBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedItemBody {
    pub category: String,
    pub label_ko: String,
    pub label_en: String,
    pub updated_ms: i64,
    #[serde(flatten)]
    pub item: ItemBody,
}

impl From<Exported> for ExportBody {
    fn from(e: Exported) -> ExportBody {
        ExportBody {
            id: e.id,
            external_id: e.external_id,
            kind: e.kind,
            created_ms: e.created_ms,
            items: e
                .items
                .into_iter()
                .map(|i| ExportedItemBody {
                    category: i.category,
                    label_ko: i.label_ko,
                    label_en: i.label_en,
                    updated_ms: i.updated_ms,
                    item: i.value.into(),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/v1/subjects/{id}/export", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Everything held about the subject", body = ExportBody),
        (status = 403, description = "The role may not export", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ExportBody>> {
    let id = path(params)?;
    Ok(Json(state.vault.export(&caller, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A role the policy declares.
    pub role: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: String,
    pub role: String,
    /// Shown once: only a digest is kept.
    pub secret: String,
}

#[utoipa::path(post, path = "/v1/keys", request_body = CreateKey,
    responses(
        (status = 201, description = "The key; its secret is shown only now", body = CreatedKey),
        (status = 403, description = "Only an admin role may create keys", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let request: CreateKey = body(bytes)?;
    let key = state
        .vault
        .create_api_key(&caller, &request.role, &request.label)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: key.id.clone(),
            role: key.role.clone(),
            secret: key.secret.to_string(),
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyInfo {
    pub id: String,
    pub role: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

impl From<ApiKeyInfo> for KeyInfo {
    fn from(k: ApiKeyInfo) -> KeyInfo {
        KeyInfo {
            id: k.id,
            role: k.role,
            label: k.label,
            created_ms: k.created_ms,
            revoked_ms: k.revoked_ms,
        }
    }
}

#[utoipa::path(get, path = "/v1/keys",
    responses((status = 200, description = "Every key, without secrets", body = KeyList)),
    security(("api_key" = [])))]
pub async fn list_keys(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<KeyList>> {
    let keys = state.vault.list_api_keys(&caller).await?;
    Ok(Json(KeyList {
        keys: keys.into_iter().map(KeyInfo::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/v1/keys/{id}", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")),
    security(("api_key" = [])))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    let id = path(params)?;
    state.vault.revoke_api_key(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub store: String,
}

#[utoipa::path(get, path = "/healthz",
    responses((status = 200, description = "Serving", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.vault.store().audit_last().await {
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
