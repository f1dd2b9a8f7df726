//! Every failure becomes one JSON shape: `{"error": code, "message": ..., "hint": ...}`. Messages name
//! the problem and never quote a submitted value.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use vow_engine::VaultError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code (`unknown_category`, `forbidden`, ...).
    pub error: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// What to do about it, when there is something to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What a handler returns: its answer, or the error it becomes.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds, for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                message: message.into(),
                hint: None,
            },
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> ApiError {
        self.body.hint = Some(hint.into());
        self
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "this route needs an API key",
        )
        .hint("send `Authorization: Bearer vow_…`; an administrator creates keys with POST /v1/keys, or on the server with `vow keys create --role ROLE` plus the --policy and --data (or --database-url and --key-file) options vow serve runs with")
    }

    pub fn bad_json(error: &serde_json::Error) -> ApiError {
        use serde_json::error::Category;
        // serde_json's own message can quote the offending value, which may be personal data: only
        // the kind of error and its position are passed on.
        let (code, what) = match error.classify() {
            Category::Syntax | Category::Eof => ("malformed_json", "malformed JSON"),
            Category::Data => (
                "invalid_body",
                "a field is missing, unknown or of the wrong type",
            ),
            Category::Io => ("malformed_json", "unreadable body"),
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("{what} at line {} column {}", error.line(), error.column()),
        )
        .hint("see /openapi.json for the body each route expects")
    }
}

impl From<VaultError> for ApiError {
    fn from(error: VaultError) -> ApiError {
        let message = error.to_string();
        let (status, code) = match &error {
            VaultError::UnknownCategory { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category")
            }
            VaultError::UnknownKind { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_kind"),
            VaultError::NotALookupKey { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "not_a_lookup_key")
            }
            VaultError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            VaultError::NotAConsentPurpose { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "not_a_consent_purpose")
            }
            VaultError::UnknownChannel { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_channel")
            }
            VaultError::UnknownMethod { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_method")
            }
            VaultError::NothingToWithdraw { .. } => (StatusCode::CONFLICT, "nothing_to_withdraw"),
            VaultError::Timeline { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "out_of_order"),
            VaultError::NoConsent { state, .. } => (
                StatusCode::FORBIDDEN,
                if *state == "has withdrawn" {
                    "consent_withdrawn"
                } else {
                    "no_consent"
                },
            ),
            VaultError::ChildRefused { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "child_refused"),
            VaultError::GuardianConsentMissing { .. } => {
                (StatusCode::FORBIDDEN, "guardian_consent_missing")
            }
            VaultError::Restricted => (StatusCode::FORBIDDEN, "restricted"),
            VaultError::UnderCorrection { .. } => (StatusCode::FORBIDDEN, "under_correction"),
            VaultError::RightNotOffered { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "right_not_offered")
            }
            VaultError::SubjectClosed => {
                return ApiError::new(StatusCode::CONFLICT, "subject_closed", message).hint(
                    "a closed or erased subject is no longer used; what a law still requires is read with GET /v1/subjects/{id}/separated",
                )
            }
            VaultError::AlreadyErased { .. } => {
                return ApiError::new(StatusCode::GONE, "erased", message).hint(
                    "what a law still requires is read with GET /v1/subjects/{id}/separated (a role granted `separated`, with an x-vow-reason); the sweep destroys it when its period ends",
                )
            }
            VaultError::NoRequest => (StatusCode::NOT_FOUND, "no_request"),
            VaultError::NoUpload => (StatusCode::NOT_FOUND, "no_upload"),
            VaultError::UploadsDisabled => (StatusCode::NOT_IMPLEMENTED, "uploads_disabled"),
            VaultError::UploadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large")
            }
            VaultError::UploadIo(_) => {
                tracing::error!(error = %message, "upload storage failed");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the upload could not be stored or read; nothing was kept",
                )
                .hint("retry; if it persists, see the server's log");
            }
            VaultError::RequestState { .. } => (StatusCode::CONFLICT, "request_state"),
            VaultError::UnknownRole { .. } => (StatusCode::FORBIDDEN, "unknown_role"),
            VaultError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            VaultError::NoSubject(_) => (StatusCode::NOT_FOUND, "no_subject"),
            VaultError::NoItem { .. } => (StatusCode::NOT_FOUND, "no_item"),
            VaultError::Conflict => (StatusCode::CONFLICT, "conflict"),
            VaultError::RateLimited { retry_after_ms } => {
                let seconds = u64::try_from((retry_after_ms + 999) / 1000).unwrap_or(1);
                return ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
                    .hint(
                        "lookups and credential checks are limited per key (the role's lookups_per_minute in the policy)",
                    )
                    .retry_after(seconds);
            }
            VaultError::Unauthenticated => return ApiError::unauthenticated(),
            VaultError::Crypto(_) => {
                tracing::error!(error = %message, "stored data failed to open");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "integrity",
                    "stored data failed its integrity check; nothing was returned",
                )
                .hint(
                    "run `vow audit verify` and tell the privacy officer: this can mean tampering",
                );
            }
            VaultError::Store(_) | VaultError::Checkpoint(_) => {
                tracing::error!(error = %message, "storage failed");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the store could not complete the request; nothing was changed",
                )
                .hint("retry; if it persists, see the server's log");
            }
        };
        let mut api = ApiError::new(status, code, message);
        if let VaultError::Forbidden { .. } | VaultError::UnknownRole { .. } = error {
            api = api.hint("grants come from the policy file's [[role]] table");
        }
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vow\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
