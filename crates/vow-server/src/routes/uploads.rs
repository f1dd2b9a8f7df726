//! Uploads, as HTTP: a file streamed into the vault (never held whole), listed, streamed back, and
//! marked processed or kept.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use vow_engine::Caller;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::limits::Limits;
use crate::state::AppState;

/// Largest upload accepted (`POST /v1/subjects/{id}/uploads/{category}`).
pub const UPLOAD_LIMIT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[utoipa::path(post, path = "/v1/subjects/{id}/uploads/{category}", tag = "lifecycle",
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
    Extension(limits): Extension<Limits>,
    ApiPath((id, category)): ApiPath<(String, String)>,
    headers: axum::http::HeaderMap,
    upload: axum::body::Body,
) -> ApiResult<(StatusCode, Json<vow_engine::uploads::UploadInfo>)> {
    use futures_util::StreamExt;
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

#[utoipa::path(get, path = "/v1/subjects/{id}/uploads", tag = "lifecycle", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{uploads: [{id, category, bytes, media_type, created_ms, processed_ms?, keep}]}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list_uploads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let uploads = state.vault.uploads(&caller, &id).await?;
    Ok(Json(serde_json::json!({ "uploads": uploads })))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/uploads/{category}/{upload}", tag = "lifecycle",
    params(("id" = String, Path), ("category" = String, Path), ("upload" = String, Path)),
    responses(
        (status = 200, description = "The file, streamed, with its media type (roles that see the category in full)"),
        (status = 404, description = "No such upload", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((id, category, upload)): ApiPath<(String, String, String)>,
) -> ApiResult<axum::response::Response> {
    let (info, reader) = state.vault.get_upload(&caller, &id, &upload).await?;
    if info.category != category {
        return Err(vow_engine::VaultError::NoUpload.into());
    }
    Ok(upload_response(&info, reader))
}

/// An upload streamed out, chunk by checked chunk, with its type and length.
pub(crate) fn upload_response(
    info: &vow_engine::uploads::UploadInfo,
    reader: vow_engine::uploads::UploadReader,
) -> axum::response::Response {
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
    response
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

#[utoipa::path(patch, path = "/v1/subjects/{id}/uploads/{category}/{upload}", tag = "lifecycle", request_body = UploadUpdateBody,
    params(("id" = String, Path), ("category" = String, Path), ("upload" = String, Path)),
    responses(
        (status = 204, description = "Recorded"),
        (status = 404, description = "No such upload", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn update_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((id, _category, upload)): ApiPath<(String, String, String)>,
    ApiJson(request): ApiJson<UploadUpdateBody>,
) -> ApiResult<StatusCode> {
    state
        .vault
        .update_upload(&caller, &id, &upload, request.processed, request.keep)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
