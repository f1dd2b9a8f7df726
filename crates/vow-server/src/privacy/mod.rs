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
mod view;

use std::collections::BTreeMap;

use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use vow_engine::RateLimiter;

use crate::state::AppState;
pub use mail::{MailError, MailTransport, Mailer};

/// How often one address or one contact may ask for codes and try them, per minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivacyLimits {
    /// Codes asked for from one address.
    pub codes_per_address: u32,
    /// Codes asked for one contact (known or not, counted alike), from anywhere.
    pub codes_per_contact: u32,
    /// Codes typed from one address (each challenge also locks after five wrong ones).
    pub tries_per_address: u32,
}

impl Default for PrivacyLimits {
    fn default() -> PrivacyLimits {
        PrivacyLimits {
            codes_per_address: 10,
            codes_per_contact: 3,
            tries_per_address: 30,
        }
    }
}

/// What the privacy center keeps beside the vault.
pub struct PrivacyCenter {
    /// The published policy's files by path (`index.html`, `versions/<v>/ko.html`, …).
    pub(crate) site: BTreeMap<String, String>,
    pub(crate) mailer: Mailer,
    pub(crate) limiter: RateLimiter,
    pub(crate) limits: PrivacyLimits,
    pub(crate) secure_cookies: bool,
}

impl std::fmt::Debug for PrivacyCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyCenter")
            .field("site_files", &self.site.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PrivacyCenter {
    /// The privacy center of `policy`, with its earlier versions (`vow policy publish --history`),
    /// published as of `now_ms`.
    pub fn new(
        policy: &vow_policy::Policy,
        history: Vec<vow_policy::Version>,
        now_ms: i64,
    ) -> PrivacyCenter {
        let korea = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
        let today = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
            .map(|t| t.to_offset(korea).date())
            .unwrap_or(time::Date::MIN);
        let mut versions = history;
        versions.push(vow_policy::Version {
            source: "the running policy".into(),
            policy: policy.clone(),
        });
        let site = match vow_policy::publish(
            versions,
            &vow_policy::PublishOptions {
                today: vow_policy::Date(today),
                base_url: None,
            },
        ) {
            Ok(files) => files.into_iter().map(|f| (f.path, f.contents)).collect(),
            Err(error) => {
                tracing::error!(%error, "the policy's public pages could not be made");
                BTreeMap::new()
            }
        };
        PrivacyCenter {
            site,
            mailer: Mailer::default(),
            limiter: RateLimiter::default(),
            limits: PrivacyLimits::default(),
            secure_cookies: false,
        }
    }

    pub fn with_mailer(mut self, mailer: Mailer) -> PrivacyCenter {
        self.mailer = mailer;
        self
    }

    pub fn with_limits(mut self, limits: PrivacyLimits) -> PrivacyCenter {
        self.limits = limits;
        self
    }

    pub(crate) fn with_secure_cookies(mut self, secure: bool) -> PrivacyCenter {
        self.secure_cookies = secure;
        self
    }
}

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
            .route(&at("/download/{token}"), get(pages::download))
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
