//! Events for the application (the transactional outbox): read by those who poll, claimed and
//! finished by the webhook deliverer.

use serde::Serialize;
use vow_store::*;

use crate::vault::*;

/// How long a delivered event stays in the outbox before the sweep removes it: 30 days after its
/// delivery. Once delivered, an event is needed only by those who poll the events API and by an
/// operator looking into a delivery; a month covers a poller that was down for weeks and the monthly
/// review of the access log (안전성 확보조치 기준 제8조), and bounds the table by a month of traffic.
/// Undelivered events are never removed, however old: they are still owed to the application.
pub const KEEP_DELIVERED_MS: i64 = 30 * 86_400_000;

/// The kind of the announcement of a re-confirmation due. Its id names the consent, and the
/// announcement is made again (and deduplicated by that id) for as long as the consent is due or
/// overdue, so its row is kept: removing it would announce the same consent again. There is at most
/// one per consent given, so these grow with the consent ledger, not with requests.
pub const RECONFIRMATION_DUE: &str = "consent.reconfirmation_due";

/// Events for the service's webhook alone, never listed to those who poll: each carries a secret
/// meant for one person (a sign-in code to text), which a role that may read events must not see.
/// Once delivered, the secret is dropped from the row ([`secret_dropped`]).
pub const WEBHOOK_ONLY: &[&str] = &[crate::privacy_center::SMS_CODE_EVENT];

/// The fields of a webhook-only event's body that hold its secret.
const SECRET_FIELDS: &[&str] = &["code"];

/// Events removed per transaction when pruning, so one sweep never holds a long transaction.
const PRUNE_BATCH: usize = 1_000;

/// An event for the application, as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppEvent {
    pub seq: i64,
    /// The idempotency key.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub created_ms: i64,
    pub data: serde_json::Value,
    pub delivered: bool,
}

impl From<OutboxRecord> for AppEvent {
    fn from(record: OutboxRecord) -> AppEvent {
        AppEvent {
            seq: record.seq,
            data: serde_json::from_str(&record.body).unwrap_or(serde_json::Value::Null),
            id: record.id,
            kind: record.kind,
            subject: record.subject_id,
            created_ms: record.created_ms,
            delivered: record.delivered_ms.is_some(),
        }
    }
}

impl Vault {
    /// Events for the application, in order after `after_seq` (for those who poll).
    pub async fn events(
        &self,
        caller: &Caller,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<AppEvent>, VaultError> {
        self.require_consent_grant(caller, "read events")?;
        match self
            .store
            .apply(Request::unlogged(OutboxOp::OutboxPage {
                after_seq,
                limit: limit.min(1000),
                hide_kinds: WEBHOOK_ONLY.iter().map(|k| k.to_string()).collect(),
            }))
            .await?
        {
            Outcome::Outbox(records) => Ok(records.into_iter().map(AppEvent::from).collect()),
            other => Err(unexpected(other)),
        }
    }

    /// Takes events to deliver (each subject's oldest undelivered one) until `lease_ms` from now.
    pub async fn claim_events(
        &self,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, VaultError> {
        let now_ms = self.clock.now_ms();
        match self
            .store
            .apply(Request::unlogged(OutboxOp::ClaimOutbox {
                now_ms,
                lease_until_ms: now_ms + lease_ms,
                limit,
            }))
            .await?
        {
            Outcome::Outbox(records) => Ok(records),
            other => Err(unexpected(other)),
        }
    }

    /// Records an event delivered, or failed and to be retried after `retry_in_ms`. A delivered
    /// webhook-only event keeps no copy of its secret.
    pub async fn finish_event(
        &self,
        event: &OutboxRecord,
        delivered: bool,
        retry_in_ms: i64,
        error: Option<String>,
    ) -> Result<(), VaultError> {
        let now_ms = self.clock.now_ms();
        let body_after = (delivered && WEBHOOK_ONLY.contains(&event.kind.as_str()))
            .then(|| secret_dropped(&event.body));
        self.store
            .apply(Request::unlogged(OutboxOp::FinishDelivery {
                seq: event.seq,
                delivered_ms: delivered.then_some(now_ms),
                next_attempt_ms: now_ms + retry_in_ms,
                error,
                body_after,
            }))
            .await?;
        Ok(())
    }

    /// Removes events delivered more than [`KEEP_DELIVERED_MS`] ago (never an undelivered one), in
    /// batches; how many went. `vow serve` runs it with each retention sweep.
    pub async fn prune_delivered_events(&self) -> Result<u64, VaultError> {
        let delivered_before_ms = self.clock.now_ms().saturating_sub(KEEP_DELIVERED_MS);
        let mut removed = 0;
        loop {
            match self
                .store
                .apply(Request::unlogged(OutboxOp::PruneDelivered {
                    delivered_before_ms,
                    keep_kinds: vec![RECONFIRMATION_DUE.to_string()],
                    limit: PRUNE_BATCH,
                }))
                .await?
            {
                Outcome::Removed(n) => {
                    removed += n;
                    if n < PRUNE_BATCH as u64 {
                        return Ok(removed);
                    }
                }
                other => return Err(unexpected(other)),
            }
        }
    }
}

/// A webhook-only event's body without its secret fields (an unreadable body becomes `{}`).
fn secret_dropped(body: &str) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(fields) = value.as_object_mut() {
        for field in SECRET_FIELDS {
            fields.remove(*field);
        }
    } else {
        value = serde_json::json!({});
    }
    value.to_string()
}
