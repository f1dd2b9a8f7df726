//! Consent, as HTTP: a consent given, re-confirmed or withdrawn with its evidence; a subject's
//! consents and their history; a guardian's consent for a child. Each handler only translates: the
//! vault decides.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use vow_engine::Caller;
use vow_engine::{ConsentChange, Evidence};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{parse_time, ApiJson, ApiPath};
use crate::state::AppState;

/// How and where a consent was collected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    /// How: `web_form`, `app_checkbox`, `paper_form`, `phone_call`, `email_reply`, … For a guardian's
    /// consent, the verification method the policy names (`mobile_identity`, `sms`, `card`, …).
    pub method: String,
    /// Where: the page, screen or form.
    #[serde(default)]
    pub location: Option<String>,
    /// The wording the person agreed to, or its version.
    #[serde(default)]
    pub wording: Option<String>,
}

impl From<EvidenceBody> for Evidence {
    fn from(e: EvidenceBody) -> Evidence {
        Evidence {
            method: e.method,
            location: e.location,
            wording: e.wording,
        }
    }
}

/// `POST /v1/subjects/{id}/consents`: a consent given (`granted: true`; again, it re-confirms) or
/// withdrawn (`granted: false`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// A `[[purpose]]` key whose basis is consent.
    pub purpose: String,
    /// For the advertising purpose: `email`, `sms`, `push`, `phone` or `kakao`, as the policy lists.
    #[serde(default)]
    pub channel: Option<String>,
    /// For the advertising purpose: consent to messages between 21:00 and 08:00 (Korea time).
    #[serde(default)]
    pub night: bool,
    pub granted: bool,
    pub evidence: EvidenceBody,
    /// When the person gave or withdrew it (RFC 3339); now when absent. At most 5 minutes ahead.
    #[serde(default)]
    pub at: Option<String>,
    /// `subject` (default) or `guardian`: the child's legal guardian acts for them.
    #[serde(default)]
    pub by: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/consents", tag = "consents", request_body = ConsentBody,
    params(("id" = String, Path)),
    responses(
        (status = 201, description = "Recorded: `{id, change: grant|reconfirm|withdraw, at_ms, notice_due_ms?}`", body = Object),
        (status = 403, description = "The role does not handle consents, or a child's consent without the guardian", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
        (status = 409, description = "A withdrawal of a consent not given", body = ErrorBody),
        (status = 422, description = "A purpose not resting on consent, a channel the policy does not list, bad evidence or time", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn record_consent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ConsentBody>,
) -> ApiResult<(StatusCode, Json<vow_engine::ConsentRecorded>)> {
    let by_guardian = match request.by.as_deref() {
        None | Some("subject") => false,
        Some("guardian") => true,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "by must be subject or guardian",
            ))
        }
    };
    let change = ConsentChange {
        purpose: request.purpose,
        channel: request.channel,
        night: request.night,
        granted: request.granted,
        evidence: request.evidence.into(),
        at_ms: parse_time("at", request.at.as_deref())?,
        by_guardian,
    };
    let recorded = state.vault.record_consent(&caller, &id, change).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/consents", tag = "consents", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{subject, minor, current: [{purpose, channel?, night, granted, since_ms, changed_ms, reconfirm_by?}], history: [{id, seq, purpose, channel?, night, change, at_ms, recorded_ms, policy_version, by_guardian, recorded_by, evidence, notice_due_ms?, notice_sent_ms?}]}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn consents(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<vow_engine::SubjectConsents>> {
    Ok(Json(state.vault.consents(&caller, &id).await?))
}

/// `POST /v1/subjects/{id}/guardian`: a legal guardian's consent for a child, verified by one of the
/// policy's `[children] methods` (named in `evidence.method`), or its withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianBody {
    pub granted: bool,
    pub evidence: EvidenceBody,
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/guardian", tag = "consents", request_body = GuardianBody,
    params(("id" = String, Path)),
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 422, description = "A method the policy does not name, or the subject is not a child", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn guardian(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<GuardianBody>,
) -> ApiResult<(StatusCode, Json<vow_engine::ConsentRecorded>)> {
    let at_ms = parse_time("at", request.at.as_deref())?;
    let recorded = state
        .vault
        .record_guardian_consent(
            &caller,
            &id,
            request.granted,
            request.evidence.into(),
            at_ms,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}
