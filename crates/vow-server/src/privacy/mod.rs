//! The privacy center: public pages at `/privacy/` (Korean) and `/privacy/en/` (English) where the
//! people whose data it is read the policy (served live from the running policy file and its earlier
//! versions, as `vow policy publish` makes them), prove who they are (a one-time code to a contact
//! the vault holds, or a link from the service), file requests, follow them, download the answer
//! once, and give or withdraw consent. No JavaScript; every action is a form.
//!
//! **Invariants.** A session acts for one subject, named by the session, never by the page. No
//! personal value is put in a URL, a log line or a Referer; answers carry `no-store` and the
//! console's strict CSP. Asking for a code answers a known and an unknown contact alike, and the
//! e-mail goes out from a task of its own, so the answer's timing does not tell them apart.

mod mail;
mod pages;
pub(crate) mod state;
mod view;

use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
pub use mail::{MailError, MailTransport, Mailer};
pub use state::{PrivacyCenter, PrivacyLimits};

/// The privacy center's routes, Korean under `/privacy` and English under `/privacy/en`.
pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/privacy/static/privacy.css", get(stylesheet))
        .route("/privacy/site/{*path}", get(pages::site_file));
    for base in ["/privacy", "/privacy/en"] {
        let at = |path: &str| format!("{base}{path}");
        router = router
            .route(
                &at(""),
                get(move || async move { Redirect::permanent(&format!("{base}/")) }),
            )
            .route(&at("/"), get(pages::home))
            .route(
                &at("/verify"),
                get(pages::verify_page).post(pages::send_code),
            )
            .route(&at("/verify/code"), post(pages::check_code))
            .route(
                &at("/link/{token}"),
                get(pages::link_page).post(pages::follow_link),
            )
            .route(&at("/logout"), post(pages::logout))
            .route(
                &at("/download/{token}"),
                get(pages::download_page).post(pages::download),
            )
            .route(&at("/me"), get(pages::me))
            .route(&at("/requests/new"), get(pages::new_request))
            .route(
                &at("/requests"),
                // A power of attorney rides with the form: its own limit, checked as it streams.
                post(pages::file_request).layer(axum::extract::DefaultBodyLimit::max(
                    vow_engine::privacy_center::ATTORNEY_MAX_BYTES as usize + 64 * 1024,
                )),
            )
            .route(&at("/requests/{id}"), get(pages::request))
            .route(&at("/requests/{id}/package"), post(pages::package))
            .route(
                &at("/consent"),
                get(pages::consent).post(pages::change_consent),
            );
    }
    router.layer(middleware::from_fn(crate::console::security_headers))
}

const CSS_EXTRA: &str = "
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
.cards { list-style: none; padding: 0; display: grid; gap: .75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1.1rem; }
.h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; margin: .5rem 0; }
legend { font-weight: 600; padding: 0 .3rem; }
";

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        format!("{}{CSS_EXTRA}", crate::console::CSS),
    )
        .into_response()
}
