//! The routes: the router with its layers, and the OpenAPI document. One file per capability, as in
//! vow-engine; each handler takes what the extractors of `extract.rs` give it and calls the vault.
//!
//! The operations keep the tags they were published with (`routes`, `consents`, `lifecycle`, named
//! after the files they once lived in): clients generated from `/openapi.json` group by them.

mod campaign;
mod consent;
mod keys;
mod outbox;
mod privacy_links;
mod provisions;
mod requests;
mod retention;
mod service;
mod subjects;
pub(crate) mod uploads;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{middleware, Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::limits::Limits;
use crate::state::AppState;
use crate::{auth, denials, layers, metrics};

#[derive(OpenApi)]
#[openapi(
    info(title = "vow", description = "The personal-data vault: subjects' data kept as the privacy policy says, every access logged."),
    paths(
        subjects::create_subject, subjects::lookup, subjects::put_item, subjects::get_item,
        subjects::verify, subjects::erase, subjects::export, keys::create_key, keys::list_keys,
        keys::revoke_key, service::healthz, consent::record_consent, consent::consents,
        consent::guardian, campaign::marketing_check, campaign::marketing_format,
        campaign::consents_due, campaign::owed_notices, campaign::notice_sent, outbox::events,
        retention::put_record, retention::records, retention::report_event, retention::separated,
        retention::destructions, requests::file_request, requests::list_requests,
        requests::get_request, requests::act_on_request, provisions::record_provision,
        provisions::provisions, uploads::put_upload, uploads::list_uploads, uploads::get_upload,
        uploads::update_upload, privacy_links::create_privacy_link,
    ),
    modifiers(&BearerKeys, &CommonErrors),
)]
struct ApiDoc;

/// The answers every authenticated route can give, whatever it does: documented once, here, rather
/// than on each handler.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        const COMMON: [(&str, &str); 8] = [
            ("400", "Malformed body, path, query or x-vow-reason header"),
            ("401", "No API key, or an unknown or revoked one"),
            ("403", "The key's role has no grant for this (the policy's [[role]] table)"),
            ("405", "The route does not take this method"),
            ("408", "The request was not completed in time"),
            ("413", "The body is too large"),
            ("429", "Too many failed authentications from this address, or too many lookups by this key; see Retry-After"),
            ("503", "The store could not complete the request; nothing was changed"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (code, description) in COMMON {
                    operation
                        .responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The advertising gate's route: one subject, or a page of a campaign (at most
/// `vow_engine::consent::MAX_CAMPAIGN`), within the same body limit and deadline as every route.
pub const CAMPAIGN_PATH: &str = "/v1/marketing/check";

pub fn router(state: AppState, limits: Limits) -> Router {
    let protected = Router::new()
        .route(
            "/v1/subjects",
            post(subjects::create_subject).get(subjects::lookup),
        )
        .route("/v1/subjects/{id}", axum::routing::delete(subjects::erase))
        .route("/v1/subjects/{id}/export", get(subjects::export))
        .route(
            "/v1/subjects/{id}/items/{category}",
            put(subjects::put_item).get(subjects::get_item),
        )
        .route(
            "/v1/subjects/{id}/items/{category}/verify",
            post(subjects::verify),
        )
        .route(
            "/v1/subjects/{id}/consents",
            post(consent::record_consent).get(consent::consents),
        )
        .route("/v1/subjects/{id}/guardian", post(consent::guardian))
        .route(CAMPAIGN_PATH, post(campaign::marketing_check))
        .route("/v1/marketing/format", post(campaign::marketing_format))
        .route("/v1/consents/due", get(campaign::consents_due))
        .route("/v1/consents/notices", get(campaign::owed_notices))
        .route(
            "/v1/consents/notices/{id}/sent",
            post(campaign::notice_sent),
        )
        .route("/v1/events", get(outbox::events))
        .route(
            "/v1/subjects/{id}/records/{category}",
            post(retention::put_record),
        )
        .route("/v1/subjects/{id}/records", get(retention::records))
        .route("/v1/subjects/{id}/events", post(retention::report_event))
        .route("/v1/subjects/{id}/separated", get(retention::separated))
        .route(
            "/v1/subjects/{id}/uploads/{category}",
            // A file is streamed to disk, never held: the body limit is the upload limit.
            post(uploads::put_upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/subjects/{id}/uploads/{category}/{upload}",
            get(uploads::get_upload).patch(uploads::update_upload),
        )
        .route("/v1/subjects/{id}/uploads", get(uploads::list_uploads))
        .route("/v1/destructions", get(retention::destructions))
        .route(
            "/v1/provisions",
            post(provisions::record_provision).get(provisions::provisions),
        )
        .route(
            "/v1/requests",
            post(requests::file_request).get(requests::list_requests),
        )
        .route(
            "/v1/requests/{id}",
            get(requests::get_request).post(requests::act_on_request),
        )
        .route(
            "/v1/privacy-links",
            post(privacy_links::create_privacy_link),
        )
        .route("/v1/keys", post(keys::create_key).get(keys::list_keys))
        .route("/v1/keys/{id}", axum::routing::delete(keys::revoke_key))
        // Inside authentication (the later layer runs first): a 403 to a known caller is logged.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            denials::record,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let document = openapi();
    let mut routes = Router::new().route("/healthz", get(service::healthz));
    if state.surfaces.api {
        routes = routes
            .route("/metrics", get(service::metrics))
            .route(
                "/openapi.json",
                get(move || {
                    let document = document.clone();
                    async move { Json(document) }
                }),
            )
            .merge(protected);
    }
    if state.surfaces.console {
        routes = routes.merge(crate::console::router());
    }
    // The privacy center is public: it is served wherever the API is.
    if state.surfaces.api {
        routes = routes.merge(crate::privacy::router());
    }
    routes
        .fallback(service::not_found)
        .method_not_allowed_fallback(service::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            layers::timeout,
        ))
        .layer(middleware::from_fn_with_state(
            limits.uri_bytes,
            layers::uri_limit,
        ))
        .layer(middleware::from_fn(layers::no_store))
        .layer(axum::Extension(limits))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::clone(&state.trusted_proxies),
            layers::forwarded_for,
        ))
        .with_state(state)
}
