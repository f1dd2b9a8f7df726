//! vow's HTTP API: the vault as JSON over HTTP(S).
//!
//! [`router`] builds the routes and their layers — authentication (API keys, lockout), refused
//! attempts written to the access log, metrics, body limit, timeout — around a [`Vault`]; [`serve`] runs them on a listener, with TLS (rustls) when given
//! a certificate, and writes a signed checkpoint of the access log every second and on shutdown.
//!
//! **Invariant.** Handlers only translate between HTTP and the vault: every decision about personal
//! data (what the policy allows, who may see what, what is logged) is the vault's, so HTTP cannot
//! bypass it. Error bodies never quote submitted values.
//!
//! [`Vault`]: vow_engine::Vault

// What the handlers and layers share: the state, the limits, the error shape, the extractors.
mod error;
mod extract;
mod limits;
mod state;

// The layers around the routes, and the connection caps beneath them.
mod auth;
mod conn;
mod denials;
mod layers;
mod metrics;

// The routes, one file per capability, the console's pages, and the server that runs them.
mod console;
mod privacy;
mod routes;
mod serve;

// What `vow serve` runs beside the server.
mod checkpoints;
mod sweeper;
mod webhooks;

pub use auth::{PURPOSE_HEADER, REASON_HEADER};
pub use checkpoints::{CheckpointDeliveries, Destination};
pub use console::ConsoleState;
pub use error::{ApiError, ErrorBody};
pub use limits::{Limits, TrustedProxies};
pub use privacy::{MailError, MailTransport, Mailer, PrivacyCenter, PrivacyLimits};
pub use routes::{openapi, router, CAMPAIGN_PATH};
pub use serve::{serve, ServeError, Tls};
pub use state::{AppState, Surfaces};
pub use sweeper::sweep_periodically;
pub use webhooks::{deliver_events, sign, verify, WebhookConfig, WebhookError};
