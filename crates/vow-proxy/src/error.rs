//! Errors, answered in the shape of the provider's API the caller speaks, so its SDK raises its own
//! error types. No message ever quotes a value from the request or a parser's message (which could).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which provider API a route belongs to: decides the error shape and the upstream key header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// OpenAI's API: `{"error": {"message", "type", "param", "code"}}`.
    OpenAi,
    /// Anthropic's API: `{"type": "error", "error": {"type", "message"}}`.
    Anthropic,
}

/// Why the proxy did not pass a call on, or could not pass its answer back.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("no vow API key, or an unknown or revoked one; send a key of a role the policy allows to send to {processor}, as the SDK's api_key")]
    Unauthenticated { processor: String },
    #[error("the role {role} may not send to {processor}; the policy's [[role]] table must list it in send_to")]
    Forbidden { role: String, processor: String },
    #[error("no such route: {method} {path}; vow proxy serves {served}")]
    NotFound {
        method: String,
        path: String,
        served: String,
    },
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(&'static str),
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request holds personal data the policy does not declare for {processor}: {kinds}; remove it, or declare its category for the processor in the policy")]
    Undeclared { processor: String, kinds: String },
    #[error("the request holds content the proxy cannot read inside — {parts} — and the policy does not declare that kind of content for {processor}, so nothing was sent; remove it, or declare for the processor a category of that content (an image category such as user.account.profile_photo for images, an upload category such as user.content.upload for any file)")]
    UndeclaredContent { processor: String, parts: String },
    #[error("the call could not be recorded, so it was not sent: {0}")]
    NotRecorded(String),
    #[error("the upstream {processor} did not answer within {seconds} s")]
    UpstreamTimeout { processor: String, seconds: u64 },
    #[error("the upstream {processor} could not be reached")]
    Upstream { processor: String },
    #[error("the upstream {processor} answered {status} with a body that is not JSON")]
    UpstreamNotJson { processor: String, status: u16 },
    #[error("the proxy failed: {0}")]
    Internal(&'static str),
}

impl ProxyError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ProxyError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ProxyError::NotFound { .. } => StatusCode::NOT_FOUND,
            ProxyError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ProxyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::Undeclared { .. } | ProxyError::UndeclaredContent { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ProxyError::NotRecorded(_) => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ProxyError::UpstreamNotJson { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            ProxyError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short name for logs and the `x-vow-proxy-error` header.
    pub fn name(&self) -> &'static str {
        self.code().0
    }

    /// The code OpenAI's shape carries (and the type Anthropic's does).
    fn code(&self) -> (&'static str, &'static str) {
        match self {
            ProxyError::Unauthenticated { .. } => ("invalid_api_key", "authentication_error"),
            ProxyError::Forbidden { .. } => ("permission_denied", "permission_error"),
            ProxyError::NotFound { .. } => ("not_found", "not_found_error"),
            ProxyError::MalformedJson(_) => ("invalid_json", "invalid_request_error"),
            ProxyError::TooLarge { .. } => ("request_too_large", "request_too_large"),
            ProxyError::Undeclared { .. } => ("undeclared_personal_data", "invalid_request_error"),
            ProxyError::UndeclaredContent { .. } => ("undeclared_content", "invalid_request_error"),
            ProxyError::NotRecorded(_) => ("not_recorded", "api_error"),
            ProxyError::UpstreamTimeout { .. } => ("upstream_timeout", "timeout_error"),
            ProxyError::Upstream { .. } => ("upstream_unreachable", "api_error"),
            ProxyError::UpstreamNotJson { .. } => ("upstream_error", "api_error"),
            ProxyError::Internal(_) => ("internal_error", "api_error"),
        }
    }

    /// The body in the family's shape.
    pub fn body(&self, family: Family) -> serde_json::Value {
        let (code, anthropic_type) = self.code();
        let message = self.to_string();
        match family {
            Family::OpenAi => {
                let kind = match self.status().as_u16() {
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    400 | 413 | 422 => "invalid_request_error",
                    _ => "api_error",
                };
                json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
            }
            Family::Anthropic => {
                json!({"type": "error", "error": {"type": anthropic_type, "message": message}})
            }
        }
    }

    /// The response in the family's shape.
    pub fn respond(&self, family: Family) -> Response {
        let mut response = (self.status(), axum::Json(self.body(family))).into_response();
        response
            .headers_mut()
            .insert("x-vow-proxy-error", HeaderValue::from_static(self.code().0));
        response
    }
}
