//! Subjects, as HTTP: registration, items in full or masked, credentials, lookup by value, export
//! and erasure. Each handler only translates: the vault decides.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vow_engine::Caller;
use vow_engine::{Exported, ItemValue};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

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

#[utoipa::path(post, path = "/v1/subjects", tag = "routes", request_body = CreateSubject,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 409, description = "The external id belongs to a subject already", body = ErrorBody),
        (status = 422, description = "The kind is not in the policy, or the policy refuses a child", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_subject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<CreateSubject>,
) -> ApiResult<(StatusCode, Json<Created>)> {
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

/// `?lookup=CATEGORY:VALUE`, split at its first colon; a query without one is answered 400
/// `invalid_query`, saying what is expected.
#[derive(Debug)]
pub struct Lookup {
    category: String,
    value: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Lookup {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(query) = Query::<LookupQuery>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
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
        Ok(Lookup {
            category: category.to_string(),
            value: value.to_string(),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    pub subjects: Vec<String>,
}

#[utoipa::path(get, path = "/v1/subjects", tag = "routes", params(LookupQuery),
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
    lookup: Lookup,
) -> ApiResult<Json<Found>> {
    let subjects = state
        .vault
        .lookup(&caller, &lookup.category, &lookup.value)
        .await?;
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

#[utoipa::path(put, path = "/v1/subjects/{id}/items/{category}", tag = "routes", request_body = ValueBody,
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
    ApiPath((id, category)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<ValueBody>,
) -> ApiResult<(StatusCode, Json<Stored>)> {
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

#[utoipa::path(get, path = "/v1/subjects/{id}/items/{category}", tag = "routes",
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
    ApiPath((id, category)): ApiPath<(String, String)>,
) -> ApiResult<Json<ItemBody>> {
    let value = state.vault.get_item(&caller, &id, &category).await?;
    Ok(Json(value.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    #[serde(rename = "match")]
    pub matches: bool,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/items/{category}/verify", tag = "routes", request_body = ValueBody,
    params(("id" = String, Path), ("category" = String, Path, description = "A credential category")),
    responses((status = 200, description = "Whether the value matches the stored credential", body = Verified)),
    security(("api_key" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((id, category)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<ValueBody>,
) -> ApiResult<Json<Verified>> {
    let matches = state
        .vault
        .verify_credential(&caller, &id, &category, &request.value)
        .await?;
    Ok(Json(Verified { matches }))
}

#[utoipa::path(delete, path = "/v1/subjects/{id}", tag = "routes", params(("id" = String, Path)),
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
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
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

#[utoipa::path(get, path = "/v1/subjects/{id}/export", tag = "routes", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Everything held about the subject", body = ExportBody),
        (status = 403, description = "The role may not export", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ExportBody>> {
    Ok(Json(state.vault.export(&caller, &id).await?.into()))
}
