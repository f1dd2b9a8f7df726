//! What every handler and layer shares: the vault and the server's own counters. A layer takes only
//! the part it uses (`State<Arc<Vault>>`, `State<Arc<Metrics>>`, …), so the layers need not know
//! this struct.

use std::sync::Arc;

use axum::extract::FromRef;
use vow_engine::Vault;

use crate::auth::Lockout;
use crate::checkpoints::CheckpointDeliveries;
use crate::metrics::Metrics;

/// What every handler and layer shares.
#[derive(Clone)]
pub struct AppState {
    pub vault: Arc<Vault>,
    pub(crate) metrics: Arc<Metrics>,
    /// Checkpoints not delivered to copies and witnesses, shown in `/metrics`.
    pub(crate) deliveries: Arc<CheckpointDeliveries>,
    lockout: Arc<Lockout>,
}

impl AppState {
    pub fn new(vault: Arc<Vault>) -> AppState {
        AppState {
            vault,
            metrics: Arc::default(),
            deliveries: Arc::default(),
            lockout: Arc::default(),
        }
    }

    /// Shows these delivery failures in `/metrics`: the same [`CheckpointDeliveries`] whose sinks
    /// the vault was given.
    pub fn with_checkpoint_deliveries(mut self, deliveries: Arc<CheckpointDeliveries>) -> AppState {
        self.deliveries = deliveries;
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
