//! Advertising, as HTTP: the gate for one subject or a page of a campaign, a message made lawful, the
//! re-confirmations due and the result notices owed.

use std::borrow::Cow;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use vow_engine::marketing::{make_lawful, Draft, DraftError};
use vow_engine::Caller;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{parse_time, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

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

#[utoipa::path(post, path = "/v1/marketing/check", tag = "consents", request_body = MarketingCheck,
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
    let ApiJson(request) = ApiJson::<MarketingCheck>::from_request(request, &state).await?;
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

/// `POST /v1/marketing/format`'s body: the engine's [`Draft`] itself, read as it is (`transparent`).
/// The wrapper holds no field: it only gives the schema the name (`DraftBody`) and description the
/// API has always published, while the fields and their comments are the engine's.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct DraftBody(Draft);

impl PartialSchema for DraftBody {
    fn schema() -> RefOr<Schema> {
        let mut schema = <Draft as PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.description = Some("`POST /v1/marketing/format`: a message made lawful.".into());
        }
        schema
    }
}

impl ToSchema for DraftBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("DraftBody")
    }
}

#[utoipa::path(post, path = "/v1/marketing/format", tag = "consents", request_body = DraftBody,
    responses(
        (status = 200, description = "`{title?, body}`: the label first, the sender and a free opt-out last", body = Object),
        (status = 422, description = "A channel the policy does not list, or no way to opt out", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn marketing_format(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(DraftBody(draft)): ApiJson<DraftBody>,
) -> ApiResult<Json<vow_engine::marketing::Lawful>> {
    // Formatting reveals nothing of anyone, but it is part of the advertising tools: same grant.
    state
        .vault
        .require_consent_grant(&caller, "format advertising")?;
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

#[utoipa::path(get, path = "/v1/consents/due", tag = "consents", params(DueQuery),
    responses((status = 200, description = "`{due: [{subject, purpose, channel, night, since_ms, reconfirm_by, overdue}]}`", body = Object)),
    security(("api_key" = [])))]
pub async fn consents_due(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<Json<serde_json::Value>> {
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

#[utoipa::path(get, path = "/v1/consents/notices", tag = "consents", params(LimitQuery),
    responses((status = 200, description = "`{owed: [ledger entries]}`: advertising consent changes whose 14-day result notice is not yet marked sent, earliest deadline first", body = Object)),
    security(("api_key" = [])))]
pub async fn owed_notices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> ApiResult<Json<serde_json::Value>> {
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

#[utoipa::path(post, path = "/v1/consents/notices/{id}/sent", tag = "consents", request_body = NoticeSent,
    params(("id" = String, Path, description = "The consent change's id (`con_…`)")),
    responses((status = 204, description = "Marked sent")),
    security(("api_key" = [])))]
pub async fn notice_sent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<NoticeSent>,
) -> ApiResult<StatusCode> {
    let at_ms = parse_time("at", request.at.as_deref())?;
    state.vault.mark_notice_sent(&caller, &id, at_ms).await?;
    Ok(StatusCode::NO_CONTENT)
}
