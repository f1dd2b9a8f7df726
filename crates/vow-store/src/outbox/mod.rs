//! The transactional outbox: events for the application, written in the same transaction as the
//! change they report, leased to one deliverer at a time, each subject's in order.

use crate::*;

macro_rules! outbox_columns {
    () => {
        "seq, id, subject_id, kind, body, created_ms, attempts, delivered_ms"
    };
}

mod postgres;
mod sqlite;

/// An event for the application, written in the same transaction as the change it reports and
/// delivered from there (the transactional outbox). `body` is JSON that names ids, never values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Order of the outbox; assigned by the store.
    pub seq: i64,
    /// The idempotency key the receiver deduplicates by.
    pub id: String,
    pub subject_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub created_ms: i64,
    pub attempts: i64,
    pub delivered_ms: Option<i64>,
}

/// What is asked of the store about outbox.
#[derive(Clone, Debug)]
pub enum OutboxOp {
    /// Adds an event to the outbox unless one with its id is there already (`Created` or
    /// `AlreadyExists`).
    Enqueue(OutboxRecord),
    /// Claims undelivered events for delivery until `lease_until_ms`: only each subject's oldest
    /// undelivered event, so a subject's events are delivered in order.
    ClaimOutbox {
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    },
    /// Records a delivery (`delivered_ms`) or a failure to retry at `next_attempt_ms`. A delivered
    /// event's body becomes `body_after` when given: an event that carried a secret to its one
    /// receiver keeps no copy of it once delivered.
    FinishDelivery {
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<String>,
        body_after: Option<String>,
    },
    /// The outbox in order after `after_seq` (for clients that poll), without events of
    /// `hide_kinds` (those for the webhook alone); numbers skip where one was hidden.
    OutboxPage {
        after_seq: i64,
        limit: usize,
        hide_kinds: Vec<String>,
    },
    /// Removes up to `limit` events delivered before `delivered_before_ms`, oldest first
    /// (`Removed(n)`). Undelivered events are never removed; nor are events of `keep_kinds` (whose
    /// id may be enqueued again, so their row is what keeps them from going out twice); nor the
    /// newest event, whose number the next one counts from, so numbers never go back for pollers.
    PruneDelivered {
        delivered_before_ms: i64,
        keep_kinds: Vec<String>,
        limit: usize,
    },
}

impl From<OutboxOp> for Op {
    fn from(op: OutboxOp) -> Op {
        Op::Outbox(op)
    }
}

/// The SQL primitives of outbox, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait OutboxTx {
    /// Appends with the next sequence number (the caller holds the commit-order lock); false when an event
    /// with this id is there already.
    fn insert_outbox(&mut self, record: &OutboxRecord) -> Result<bool, StoreError>;
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    fn finish_delivery(
        &mut self,
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<&str>,
        body_after: Option<&str>,
    ) -> Result<(), StoreError>;
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
        hide_kinds: &[String],
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    /// Deletes up to `limit` delivered events as [`OutboxOp::PruneDelivered`] says; how many.
    fn prune_delivered(
        &mut self,
        delivered_before_ms: i64,
        keep_kinds: &[String],
        limit: usize,
    ) -> Result<u64, StoreError>;
}

pub(crate) fn run(tx: &mut impl OutboxTx, op: &OutboxOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        OutboxOp::Enqueue(record) => {
            if tx.insert_outbox(record)? {
                Outcome::Created
            } else {
                Outcome::AlreadyExists {
                    id: record.id.clone(),
                }
            }
        }
        OutboxOp::ClaimOutbox {
            now_ms,
            lease_until_ms,
            limit,
        } => Outcome::Outbox(tx.claim_outbox(*now_ms, *lease_until_ms, *limit)?),
        OutboxOp::FinishDelivery {
            seq,
            delivered_ms,
            next_attempt_ms,
            error,
            body_after,
        } => {
            tx.finish_delivery(
                *seq,
                *delivered_ms,
                *next_attempt_ms,
                error.as_deref(),
                body_after.as_deref().filter(|_| delivered_ms.is_some()),
            )?;
            Outcome::Done
        }
        OutboxOp::OutboxPage {
            after_seq,
            limit,
            hide_kinds,
        } => Outcome::Outbox(tx.outbox_page(*after_seq, *limit, hide_kinds)?),
        OutboxOp::PruneDelivered {
            delivered_before_ms,
            keep_kinds,
            limit,
        } => Outcome::Removed(tx.prune_delivered(*delivered_before_ms, keep_kinds, *limit)?),
    })
}

pub(crate) const OUTBOX_COLUMNS: &str =
    "seq, id, subject_id, kind, body, created_ms, attempts, delivered_ms";

pub(crate) fn outbox_from(row: &impl Cols) -> Result<OutboxRecord, StoreError> {
    Ok(OutboxRecord {
        seq: row.col(0)?,
        id: row.col(1)?,
        subject_id: row.col(2)?,
        kind: row.col(3)?,
        body: row.col(4)?,
        created_ms: row.col(5)?,
        attempts: row.col(6)?,
        delivered_ms: row.col(7)?,
    })
}
