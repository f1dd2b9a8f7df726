//! Consent, the advertising gate, the operator lists and the event feed, as HTTP. As in `routes`,
//! each handler only translates: the vault decides.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use vow_engine::marketing::{make_lawful, Draft, DraftError};
use vow_engine::{Caller, ConsentChange, Evidence};

use crate::error::{ApiError, ErrorBody};
use crate::routes::{body, path, ApiResult};
use crate::AppState;

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

#[utoipa::path(post, path = "/v1/subjects/{id}/consents", request_body = ConsentBody,
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
    params: Result<Path<String>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<vow_engine::ConsentRecorded>)> {
    let id = path(params)?;
    let request: ConsentBody = body(bytes)?;
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

#[utoipa::path(get, path = "/v1/subjects/{id}/consents", params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{subject, minor, current: [{purpose, channel?, night, granted, since_ms, changed_ms, reconfirm_by?}], history: [{id, seq, purpose, channel?, night, change, at_ms, recorded_ms, policy_version, by_guardian, recorded_by, evidence, notice_due_ms?, notice_sent_ms?}]}`", body = Object),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn consents(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<vow_engine::SubjectConsents>> {
    let id = path(params)?;
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

#[utoipa::path(post, path = "/v1/subjects/{id}/guardian", request_body = GuardianBody,
    params(("id" = String, Path)),
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 422, description = "A method the policy does not name, or the subject is not a child", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn guardian(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<vow_engine::ConsentRecorded>)> {
    let id = path(params)?;
    let request: GuardianBody = body(bytes)?;
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

/// `POST /v1/marketing/check`: one subject (`subject`) or a whole campaign (`subjects`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketingCheck {
    #[serde(default)]
    pub subject: Option<String>,
    /// A campaign's recipients (at most 2,000,000), answered in the same order.
    #[serde(default)]
    pub subjects: Option<Vec<String>>,
    pub channel: String,
    /// When the message is to be sent (RFC 3339); now when absent.
    #[serde(default)]
    pub at: Option<String>,
}

#[derive(Debug, Serialize)]
struct CampaignAnswer {
    allowed: usize,
    refused: usize,
    results: Vec<CampaignResult>,
}

#[derive(Debug, Serialize)]
struct CampaignResult {
    subject: String,
    #[serde(flatten)]
    verdict: vow_engine::Verdict,
}

#[utoipa::path(post, path = "/v1/marketing/check", request_body = MarketingCheck,
    responses(
        (status = 200, description = "One subject: `{allowed, rule, reconfirm_by?}`. A campaign: `{allowed: n, refused: n, results: [{subject, allowed, rule, reconfirm_by?}]}`. Rules: consented, no_advertising, channel_not_in_policy, no_subject, no_consent, withdrawn, night_time_not_in_policy, no_night_consent, night_consent_withdrawn, reconfirmation_overdue, no_guardian_consent", body = Object),
    ),
    security(("api_key" = [])))]
pub async fn marketing_check(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    request: axum::extract::Request,
) -> ApiResult<axum::response::Response> {
    use axum::extract::FromRequest;
    use axum::response::IntoResponse;
    // A role that may not check advertising is refused before any of the body is read.
    state
        .vault
        .require_consent_grant(&caller, "check advertising")?;
    // A campaign comes a page at a time, within the body limit of every route (256 KiB holds
    // 5,000 ids): no call holds more than a page in memory.
    let request: MarketingCheck = body(Bytes::from_request(request, &state).await)?;
    let at_ms = parse_time("at", request.at.as_deref())?;
    match (request.subject, request.subjects) {
        (Some(subject), None) => {
            let verdict = state
                .vault
                .marketing_check(&caller, &subject, &request.channel, at_ms)
                .await?;
            Ok(Json(verdict).into_response())
        }
        (None, Some(subjects)) => {
            let verdicts = state
                .vault
                .marketing_campaign(&caller, &subjects, &request.channel, at_ms)
                .await?;
            let allowed = verdicts.iter().filter(|(_, v)| v.allowed).count();
            Ok(Json(CampaignAnswer {
                allowed,
                refused: verdicts.len() - allowed,
                results: verdicts
                    .into_iter()
                    .map(|(subject, verdict)| CampaignResult { subject, verdict })
                    .collect(),
            })
            .into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "give either subject (one) or subjects (a campaign), not both",
        )),
    }
}

/// `POST /v1/marketing/format`: a message made lawful.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// `email` or `sms` (push, phone and kakao take the SMS shape).
    pub channel: String,
    /// The e-mail's subject line.
    #[serde(default)]
    pub title: Option<String>,
    pub body: String,
    #[serde(default)]
    pub opt_out_url: Option<String>,
    /// A free (080) number to opt out by, for text messages.
    #[serde(default)]
    pub opt_out_number: Option<String>,
    /// `ko` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

#[utoipa::path(post, path = "/v1/marketing/format", request_body = DraftBody,
    responses(
        (status = 200, description = "`{title?, body}`: the label first, the sender and a free opt-out last", body = Object),
        (status = 422, description = "A channel the policy does not list, or no way to opt out", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn marketing_format(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<vow_engine::marketing::Lawful>> {
    let request: DraftBody = body(bytes)?;
    // Formatting reveals nothing of anyone, but it is part of the advertising tools: same grant.
    state
        .vault
        .require_consent_grant(&caller, "format advertising")?;
    let draft = Draft {
        channel: request.channel,
        title: request.title,
        body: request.body,
        opt_out_url: request.opt_out_url,
        opt_out_number: request.opt_out_number,
        lang: request.lang,
    };
    make_lawful(state.vault.policy(), &draft)
        .map(Json)
        .map_err(|DraftError::Invalid(why)| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", why)
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Re-confirmations due within this many days (default 30); overdue ones are always listed.
    pub days: Option<u32>,
    pub limit: Option<usize>,
}

pub(crate) fn query<T>(query: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    query.map(|Query(q)| q).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "the query string has an unknown parameter or a value of the wrong type",
        )
    })
}

#[utoipa::path(get, path = "/v1/consents/due", params(DueQuery),
    responses((status = 200, description = "`{due: [{subject, purpose, channel, night, since_ms, reconfirm_by, overdue}]}`", body = Object)),
    security(("api_key" = [])))]
pub async fn consents_due(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<DueQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
    let due = state
        .vault
        .consents_due(
            &caller,
            q.days.unwrap_or(30),
            q.limit.unwrap_or(10_000).min(100_000),
        )
        .await?;
    Ok(Json(serde_json::json!({ "due": due })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/consents/notices", params(LimitQuery),
    responses((status = 200, description = "`{owed: [ledger entries]}`: advertising consent changes whose 14-day result notice is not yet marked sent, earliest deadline first", body = Object)),
    security(("api_key" = [])))]
pub async fn owed_notices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<LimitQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
    let owed = state
        .vault
        .owed_notices(&caller, q.limit.unwrap_or(10_000).min(100_000))
        .await?;
    Ok(Json(serde_json::json!({ "owed": owed })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeSent {
    /// When the notice was sent (RFC 3339); now when absent.
    #[serde(default)]
    pub at: Option<String>,
}

#[utoipa::path(post, path = "/v1/consents/notices/{id}/sent", request_body = NoticeSent,
    params(("id" = String, Path, description = "The consent change's id (`con_…`)")),
    responses((status = 204, description = "Marked sent")),
    security(("api_key" = [])))]
pub async fn notice_sent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<String>, PathRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let id = path(params)?;
    let request: NoticeSent = body(bytes)?;
    let at_ms = parse_time("at", request.at.as_deref())?;
    state.vault.mark_notice_sent(&caller, &id, at_ms).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The `seq` of the last event seen (default 0).
    pub after: Option<i64>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/events", params(EventsQuery),
    responses((status = 200, description = "`{events: [{seq, id, type, subject, created_ms, data, delivered}]}` in order; `id` is the idempotency key", body = Object)),
    security(("api_key" = [])))]
pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<EventsQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(params)?;
    let events = state
        .vault
        .events(&caller, q.after.unwrap_or(0), q.limit.unwrap_or(1000))
        .await?;
    Ok(Json(serde_json::json!({ "events": events })))
}
