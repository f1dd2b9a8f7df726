//! Links into the privacy center, for a user the service has signed in: its backend asks, the user
//! follows the link once within 15 minutes, and the privacy center knows who they are
//! (verification `logged_in_session`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vow_engine::Caller;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrivacyLink {
    /// The subject the service has signed in.
    pub subject: String,
    /// `ko` (the default) or `en`: the language of the page the link opens.
    #[serde(default)]
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrivacyLinkBody {
    /// The path to send the user to, on this server (`/privacy/link/vpl_…`): single use.
    pub path: String,
    pub expires_ms: i64,
}

#[utoipa::path(post, path = "/v1/privacy-links", tag = "routes", request_body = NewPrivacyLink,
    responses(
        (status = 201, description = "A single-use link, valid 15 minutes", body = PrivacyLinkBody),
        (status = 403, description = "Only a role that may export and sees every category in full", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_privacy_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<NewPrivacyLink>,
) -> ApiResult<(StatusCode, Json<PrivacyLinkBody>)> {
    let base = match request.lang.as_deref() {
        None | Some("ko") => "/privacy",
        Some("en") => "/privacy/en",
        Some(_) => {
            return Err(crate::error::ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "lang must be \"ko\" or \"en\"",
            ))
        }
    };
    let link = state
        .vault
        .create_privacy_link(&caller, &request.subject)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PrivacyLinkBody {
            path: format!("{base}/link/{}", link.token.as_str()),
            expires_ms: link.expires_ms,
        }),
    ))
}
