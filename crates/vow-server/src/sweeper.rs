//! The retention sweeper inside `vow serve`: every interval, the same sweep as `vow sweep`. Several
//! servers on one PostgreSQL may all run it: the store removes a piece only if it is still there, so
//! each piece is destroyed and written to the ledger once. Each sweep also removes outbox events
//! delivered longer ago than the keep period (`vow_engine::KEEP_DELIVERED_MS`), so the outbox does
//! not grow with every event ever sent.

use std::sync::Arc;
use std::time::Duration;

use vow_engine::{Caller, Vault};

/// Sweeps now and then every `every`, until the task is dropped.
pub async fn sweep_periodically(vault: Arc<Vault>, every: Duration) {
    let operator = Caller::operator(Some("scheduled retention sweep".into()));
    loop {
        match vault.sweep(&operator, vault.now_ms(), false, |_| {}).await {
            Ok(report) if report.destroyed + report.separated + report.shredded > 0 => {
                tracing::info!(
                    subjects = report.subjects,
                    destroyed = report.destroyed,
                    separated = report.separated,
                    shredded = report.shredded,
                    "retention sweep"
                );
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%error, "retention sweep failed; it runs again next time")
            }
        }
        match vault.prune_delivered_events().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "delivered events past the keep period removed"),
            Err(error) => {
                tracing::error!(%error, "removing delivered events failed; it runs again next time")
            }
        }
        // The privacy center's codes, links, sessions and download links a day past their time.
        match vault.prune_privacy_tokens().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired privacy-center secrets removed"),
            Err(error) => {
                tracing::error!(%error, "removing expired privacy-center secrets failed; it runs again next time")
            }
        }
        // The alert rules, raised as events once each (the console shows them on Today).
        match vault.raise_alerts().await {
            Ok(0) => {}
            Ok(raised) => tracing::warn!(raised, "console alerts raised as events"),
            Err(error) => tracing::error!(%error, "raising alerts failed; it runs again next time"),
        }
        tokio::time::sleep(every).await;
    }
}
