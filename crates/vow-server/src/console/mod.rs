//! The privacy officer's console: server-rendered pages at `/console/` (Korean) and `/console/en/`
//! (English), from templates and message catalogues built into the binary. No JavaScript: every
//! action is a form, every page works with the keyboard alone.
//!
//! **Invariants.** Pages only translate between HTML forms and the vault, as the API's handlers do:
//! each page acts as the signed-in person ([`vow_engine::console::ConsoleSession`]'s caller), so what
//! a page shows is exactly what their role may read, masked on the server, and every read is in the
//! access log under their id. No personal value is put in a URL (searches are POSTed), and every
//! answer carries a strict Content-Security-Policy and `Cache-Control: no-store`.

mod access;
mod overview;
mod records;
mod requests;
mod review;
pub(crate) mod session;
mod sign_in;
pub(crate) mod state;
pub(crate) mod view;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
pub use state::ConsoleState;
pub(crate) use state::SignInKey;

pub(crate) const CSS: &str = include_str!("static/console.css");

/// The console's routes, Korean under `/console` and English under `/console/en`.
pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new().route("/console/static/console.css", get(stylesheet));
    for base in ["/console", "/console/en"] {
        let at = |path: &str| format!("{base}{path}");
        router = router
            .route(
                &at(""),
                get(move || async move { Redirect::permanent(&format!("{base}/")) }),
            )
            .route(&at("/"), get(overview::today))
            .route(&at("/login"), get(sign_in::login_page).post(sign_in::login))
            .route(&at("/logout"), post(sign_in::logout))
            .route(
                &at("/enrol/{token}"),
                get(sign_in::enrol_page).post(sign_in::enrol),
            )
            .route(&at("/requests"), get(requests::list))
            .route(&at("/requests.csv"), get(requests::csv))
            .route(&at("/requests/search"), post(requests::search))
            .route(
                &at("/requests/{id}"),
                get(requests::detail).post(requests::act),
            )
            .route(&at("/requests/{id}/notice"), get(requests::notice))
            .route(
                &at("/requests/{id}/attachments/{upload}"),
                get(requests::attachment),
            )
            .route(&at("/subjects/{id}"), get(records::subject))
            .route(&at("/consent"), get(records::consent))
            .route(
                &at("/consent/notices/{id}/sent"),
                post(records::notice_sent),
            )
            .route(&at("/retention"), get(records::retention))
            .route(&at("/retention/sweep"), post(records::sweep))
            .route(&at("/retention/ledger"), get(records::ledger))
            .route(&at("/retention/ledger/sign"), post(records::sign_ledger))
            .route(&at("/review"), get(review::page))
            .route(&at("/review/finding"), post(review::finding))
            .route(&at("/review/sign"), post(review::sign))
            .route(&at("/provisions"), get(overview::provisions))
            .route(&at("/policy"), get(overview::policy))
            .route(&at("/policy/preview"), get(overview::policy_preview))
            .route(&at("/access"), get(access::page))
            .route(&at("/access/users"), post(access::add_user))
            .route(
                &at("/access/users/{id}/disable"),
                post(access::disable_user),
            )
            .route(&at("/access/keys/{id}/revoke"), post(access::revoke_key));
    }
    router.layer(middleware::from_fn(security_headers))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// The console's own headers: nothing runs but what vow serves, nothing frames it, nothing is
/// sent as a Referer, and forms post only back to it.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}
