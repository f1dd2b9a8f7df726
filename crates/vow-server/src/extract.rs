//! Reading a request: extractors that answer a malformed path, query or body in the API's JSON error
//! shape (the same status, code and message whatever the route), so a handler receives only what it
//! can use; and the small parsers of values the bodies carry (times) and the paging query the ledgers
//! share.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// The path's parameters (`{id}`, `{category}`, …), or 400 `invalid_path`.
#[derive(Debug)]
pub(crate) struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    "the path holds invalid percent-encoding or UTF-8",
                )
            })
    }
}

/// The query string, or 400 `invalid_query`.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "the query string has an unknown parameter or a value of the wrong type",
                )
            })
    }
}

/// A JSON body, read within the body limit and parsed whatever its `Content-Type`; a body too large
/// or unreadable, or JSON that does not fit, is answered without quoting it ([`ApiError::bad_json`]).
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
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
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::bad_json(&e))
    }
}

/// A time as the API takes it: RFC 3339 (`2026-11-26T21:30:00+09:00`).
pub(crate) fn parse_time(field: &'static str, text: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(text) = text else { return Ok(None) };
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_time",
            format!(
                "{field} must be an RFC 3339 time with its offset, like 2026-11-26T21:30:00+09:00"
            ),
        )
    })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map(Some)
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_time",
                format!("{field} is out of range"),
            )
        })
}

/// The paging query of the ledgers (destructions, provisions).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// The `seq` of the last line seen (default 0).
    pub after: Option<i64>,
    /// At most this many (default and maximum 10000).
    pub limit: Option<usize>,
}
