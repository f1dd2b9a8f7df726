//! What every handler and layer shares: the vault and the server's own counters. A layer takes only
//! the part it uses (`State<Arc<Vault>>`, `State<Arc<Metrics>>`, …), so the layers need not know
//! this struct.

use std::sync::Arc;

use axum::extract::FromRef;
use vow_engine::Vault;

use crate::auth::Lockout;
use crate::checkpoints::CheckpointDeliveries;
use crate::console::state::ConsoleState;
use crate::metrics::Metrics;
use crate::privacy::state::PrivacyCenter;

/// What every handler and layer shares. Cloned for every request by each layer and extractor, so it
/// is one `Arc`: a clone is one reference count, not one per part (a profile of logged reads showed
/// the per-part counts, bounced between cores, at 3% of the server's time).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub vault: Arc<Vault>,
    pub(crate) metrics: Arc<Metrics>,
    /// Checkpoints not delivered to copies and witnesses, shown in `/metrics`.
    pub(crate) deliveries: Arc<CheckpointDeliveries>,
    lockout: Arc<Lockout>,
    pub(crate) console: Arc<ConsoleState>,
    /// The privacy center's published policy, mail and rate limits.
    pub(crate) privacy: Arc<PrivacyCenter>,
    /// What this listener serves: the API, the console, or both (the default).
    pub(crate) surfaces: Surfaces,
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub(crate) trusted_proxies: Arc<crate::limits::TrustedProxies>,
}

/// What one listener serves. `vow serve --console-listen ADDR` keeps the console on an internal
/// address: the API's listener then serves no console page, and the console's no API route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Surfaces {
    pub api: bool,
    pub console: bool,
}

impl AppState {
    pub fn new(vault: Arc<Vault>) -> AppState {
        let privacy = Arc::new(PrivacyCenter::new(
            vault.policy(),
            Vec::new(),
            vault.now_ms(),
        ));
        AppState(Arc::new(Shared {
            privacy,
            vault,
            metrics: Arc::default(),
            deliveries: Arc::default(),
            lockout: Arc::default(),
            console: Arc::default(),
            surfaces: Surfaces {
                api: true,
                console: true,
            },
            trusted_proxies: Arc::default(),
        }))
    }

    /// The parts, to change while the state is being built (a copy if it is shared already).
    fn parts(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// Shows these delivery failures in `/metrics`: the same [`CheckpointDeliveries`] whose sinks
    /// the vault was given.
    /// Marks the console's cookies `Secure` and its links https (the server runs TLS).
    pub fn with_tls(mut self, tls: bool) -> AppState {
        let parts = self.parts();
        parts.console = Arc::new(ConsoleState::new(tls));
        if let Some(privacy) = Arc::get_mut(&mut parts.privacy) {
            privacy.secure_cookies = tls;
        }
        self
    }

    /// Serves this privacy center (its policy history, mail and limits).
    pub fn with_privacy_center(mut self, center: PrivacyCenter) -> AppState {
        let secure = self.console.secure_cookies;
        self.parts().privacy = Arc::new(center.with_secure_cookies(secure));
        self
    }

    /// Believes `X-Forwarded-For` from these proxies (the client's address then reaches the log,
    /// the lockouts and the rate limits).
    pub fn with_trusted_proxies(mut self, proxies: crate::limits::TrustedProxies) -> AppState {
        self.parts().trusted_proxies = Arc::new(proxies);
        self
    }

    /// Serves only these surfaces on this listener.
    pub fn with_surfaces(mut self, surfaces: Surfaces) -> AppState {
        self.parts().surfaces = surfaces;
        self
    }

    pub fn with_checkpoint_deliveries(mut self, deliveries: Arc<CheckpointDeliveries>) -> AppState {
        self.parts().deliveries = deliveries;
        self
    }
}

impl FromRef<AppState> for Arc<Vault> {
    fn from_ref(state: &AppState) -> Arc<Vault> {
        Arc::clone(&state.vault)
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Arc<Metrics> {
        Arc::clone(&state.metrics)
    }
}

impl FromRef<AppState> for Arc<Lockout> {
    fn from_ref(state: &AppState) -> Arc<Lockout> {
        Arc::clone(&state.lockout)
    }
}
