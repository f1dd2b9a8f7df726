//! API keys, as HTTP: created (the secret shown once), listed without secrets, revoked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vow_engine::ApiKeyInfo;
use vow_engine::Caller;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

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

#[utoipa::path(post, path = "/v1/keys", tag = "routes", request_body = CreateKey,
    responses(
        (status = 201, description = "The key; its secret is shown only now", body = CreatedKey),
        (status = 403, description = "Only an admin role may create keys", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
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

#[utoipa::path(get, path = "/v1/keys", tag = "routes",
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

#[utoipa::path(delete, path = "/v1/keys/{id}", tag = "routes", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")),
    security(("api_key" = [])))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.vault.revoke_api_key(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
