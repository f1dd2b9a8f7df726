//! The consent ledger (append-only, evidence sealed), the current state per subject, purpose,
//! channel and time of day, the result notices sent, and what the advertising gate reads.

use crate::outbox::OutboxTx;
use crate::subjects::SubjectTx;
use crate::*;

macro_rules! consent_event_columns {
    () => {
        "e.seq, e.id, e.subject_id, e.purpose, e.channel, e.night, e.change, e.at_ms, e.recorded_ms, \
         e.policy_version, e.by_guardian, e.evidence, e.key_id, e.notice_due_ms, n.sent_ms"
    };
}

macro_rules! consent_state_columns {
    () => {
        "c.subject_id, c.purpose, c.channel, c.night, c.granted, c.since_ms, c.changed_ms"
    };
}

mod postgres;
mod sqlite;

/// One change in the consent ledger: a grant, a re-confirmation or a withdrawal, as the subject (or
/// their guardian) made it. Rows are only ever appended. `evidence` is sealed with the subject's data
/// key, so erasing the subject makes it unreadable while the ledger's shape stays as proof.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// Order in the ledger; assigned by the store.
    pub seq: i64,
    pub id: String,
    pub subject_id: String,
    pub purpose: String,
    /// The advertising channel, or empty for a purpose without channels.
    pub channel: String,
    /// Consent to advertising between 21:00 and 08:00, kept apart from daytime consent.
    pub night: bool,
    /// `grant`, `reconfirm` or `withdraw`.
    pub change: String,
    /// When the subject gave or withdrew it.
    pub at_ms: i64,
    /// When vow recorded it.
    pub recorded_ms: i64,
    pub policy_version: String,
    /// Given by the child's legal guardian rather than the subject.
    pub by_guardian: bool,
    pub evidence: Vec<u8>,
    /// The API key that recorded it.
    pub key_id: String,
    /// For advertising consents: the result must be told to the person by this time (14 days).
    pub notice_due_ms: Option<i64>,
    /// When that notice was marked sent (read back only).
    pub notice_sent_ms: Option<i64>,
}

impl std::fmt::Debug for ConsentEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentEvent")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("subject_id", &self.subject_id)
            .field("purpose", &self.purpose)
            .field("channel", &self.channel)
            .field("night", &self.night)
            .field("change", &self.change)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

/// Where a subject's consent for one purpose (and channel, and time of day) stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentState {
    pub subject_id: String,
    pub purpose: String,
    pub channel: String,
    pub night: bool,
    pub granted: bool,
    /// The last grant or re-confirmation: the two-year re-confirmation clock runs from here.
    pub since_ms: i64,
    /// The last change of any kind.
    pub changed_ms: i64,
}

/// A subject of a campaign check: whether (and since when) their use ended, and their states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSubject {
    pub id: String,
    pub closed_ms: Option<i64>,
    pub states: Vec<ConsentState>,
}

/// The purpose under which a guardian's consent for a child is kept in the consent ledger. Policy
/// keys cannot start with `@`, so it never clashes with a purpose of the policy.
pub const GUARDIAN_PURPOSE: &str = "@guardian";

/// What the access log and the destruction ledger call the evidence of a subject's consents (sealed
/// with the subject's data key, bound to this name).
pub const CONSENT_EVIDENCE: &str = "consent.evidence";

/// What is asked of the store about consent.
#[derive(Clone, Debug)]
pub enum ConsentOp {
    /// Appends a consent change and its outbox event, and moves the current state. `expected` is the
    /// state the caller decided on (`None`: no consent recorded before); when another writer changed
    /// it meanwhile the answer is `Stale` and nothing is written. `NotFound` when the subject is not
    /// live.
    RecordConsent {
        event: Box<ConsentEvent>,
        expected: Option<bool>,
        outbox: Box<OutboxRecord>,
    },
    /// The subject's current consents and, with `history`, every change: `Consents`, or `NotFound`.
    Consents { subject_id: String, history: bool },
    /// For an advertising campaign: the states of `purpose` on `channel` (day and night) of those
    /// subjects that are live, and for a child the guardian's state ([`GUARDIAN_PURPOSE`]):
    /// `CampaignStates`.
    CampaignStates {
        subject_ids: Vec<String>,
        purpose: String,
        channel: String,
    },
    /// Granted consents to `purpose` whose clock started before `since_before_ms`, oldest first.
    ConsentsDue {
        purpose: String,
        since_before_ms: i64,
        limit: usize,
    },
    /// Consent changes whose result notice is owed, earliest deadline first.
    OwedNotices { limit: usize },
    /// Marks a change's result notice as sent: `Done`, `NotFound` (no such change, or none that needs a
    /// notice), `AlreadyExists`, or `Stale` when `at_ms` is before the change.
    MarkNoticeSent {
        event_id: String,
        at_ms: i64,
        key_id: String,
    },
    /// The ledger in order, after `after_seq`, of one subject or all.
    ConsentLedger {
        subject_id: Option<String>,
        after_seq: i64,
        limit: usize,
    },
}

impl From<ConsentOp> for Op {
    fn from(op: ConsentOp) -> Op {
        Op::Consent(op)
    }
}

/// The SQL primitives of consent, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait ConsentTx {
    // ---- consent and the outbox
    /// Every current consent state of the subject.
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError>;
    /// Appends to the ledger with the next sequence number (the caller holds the commit-order lock).
    fn insert_consent_event(&mut self, event: &ConsentEvent) -> Result<(), StoreError>;
    fn upsert_consent_state(&mut self, state: &ConsentState) -> Result<(), StoreError>;
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError>;
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError>;
    fn consents_due(
        &mut self,
        purpose: &str,
        since_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<ConsentState>, StoreError>;
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError>;
    /// `None` when no change has that id; otherwise whether it needs a notice, whether one was sent,
    /// and when the change was made.
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError>;
    fn insert_notice(&mut self, event_id: &str, at_ms: i64, key_id: &str)
        -> Result<(), StoreError>;
    /// Drops the subject's consent states (an erased subject's consents count as withdrawn).
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError>;
    /// Empties the sealed evidence of the subject's consent changes (the ledger's shape stays as
    /// proof); returns how many were emptied.
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError>;
}

pub(crate) fn run(
    tx: &mut (impl ConsentTx + OutboxTx + SubjectTx),
    op: &ConsentOp,
) -> Result<Outcome, StoreError> {
    Ok(match op {
        ConsentOp::RecordConsent {
            event,
            expected,
            outbox,
        } => record_consent(tx, event, *expected, outbox)?,
        ConsentOp::Consents {
            subject_id,
            history,
        } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Consents {
                states: tx.consent_states(subject_id)?,
                history: if *history {
                    tx.consent_events(Some(subject_id), 0, usize::MAX)?
                } else {
                    Vec::new()
                },
            },
            None => Outcome::NotFound,
        },
        ConsentOp::CampaignStates {
            subject_ids,
            purpose,
            channel,
        } => Outcome::CampaignStates(tx.campaign_states(subject_ids, purpose, channel)?),
        ConsentOp::ConsentsDue {
            purpose,
            since_before_ms,
            limit,
        } => Outcome::ConsentStates(tx.consents_due(purpose, *since_before_ms, *limit)?),
        ConsentOp::OwedNotices { limit } => Outcome::ConsentEvents(tx.owed_notices(*limit)?),
        ConsentOp::MarkNoticeSent {
            event_id,
            at_ms,
            key_id,
        } => match tx.notice_status(event_id)? {
            None | Some((false, _, _)) => Outcome::NotFound,
            Some((true, true, _)) => Outcome::AlreadyExists {
                id: event_id.clone(),
            },
            // A notice cannot have been sent before the change it tells of.
            Some((true, false, changed_ms)) if *at_ms < changed_ms => Outcome::Stale,
            Some((true, false, _)) => {
                tx.insert_notice(event_id, *at_ms, key_id)?;
                Outcome::Done
            }
        },
        ConsentOp::ConsentLedger {
            subject_id,
            after_seq,
            limit,
        } => {
            Outcome::ConsentEvents(tx.consent_events(subject_id.as_deref(), *after_seq, *limit)?)
        }
    })
}

/// A consent change: checked against the state the caller decided on, then the ledger row, the new
/// state and the outbox event, together.
fn record_consent(
    tx: &mut (impl ConsentTx + OutboxTx + SubjectTx),
    event: &ConsentEvent,
    expected: Option<bool>,
    outbox: &OutboxRecord,
) -> Result<Outcome, StoreError> {
    match tx.subject(&event.subject_id)? {
        None => return Ok(Outcome::NotFound),
        // An ended subject's consents count as withdrawn: none is given or re-confirmed any more.
        Some(subject) if subject.closed_ms.is_some() && event.change != "withdraw" => {
            return Ok(Outcome::Closed)
        }
        Some(_) => {}
    }
    let current = tx.consent_states(&event.subject_id)?.into_iter().find(|s| {
        s.purpose == event.purpose && s.channel == event.channel && s.night == event.night
    });
    if current.as_ref().map(|s| s.granted) != expected {
        return Ok(Outcome::Stale);
    }
    let granted = event.change != "withdraw";
    let since_ms = match (&current, granted) {
        (Some(state), false) => state.since_ms,
        _ => event.at_ms,
    };
    tx.insert_consent_event(event)?;
    tx.upsert_consent_state(&ConsentState {
        subject_id: event.subject_id.clone(),
        purpose: event.purpose.clone(),
        channel: event.channel.clone(),
        night: event.night,
        granted,
        since_ms,
        changed_ms: event.at_ms,
    })?;
    tx.insert_outbox(outbox)?;
    Ok(Outcome::Done)
}

/// The columns [`consent_event_row`] reads, in its order.
pub(crate) const CONSENT_EVENT_COLUMNS: &str = "e.seq, e.id, e.subject_id, e.purpose, e.channel, e.night, e.change, e.at_ms, \
     e.recorded_ms, e.policy_version, e.by_guardian, e.evidence, e.key_id, e.notice_due_ms, n.sent_ms";

/// The columns [`consent_state_row`] reads, in its order.
pub(crate) const CONSENT_STATE_COLUMNS: &str =
    "c.subject_id, c.purpose, c.channel, c.night, c.granted, c.since_ms, c.changed_ms";

pub(crate) fn consent_event_from(row: &impl Cols) -> Result<ConsentEvent, StoreError> {
    Ok(ConsentEvent {
        seq: row.col(0)?,
        id: row.col(1)?,
        subject_id: row.col(2)?,
        purpose: row.col(3)?,
        channel: row.col(4)?,
        night: row.col(5)?,
        change: row.col(6)?,
        at_ms: row.col(7)?,
        recorded_ms: row.col(8)?,
        policy_version: row.col(9)?,
        by_guardian: row.col(10)?,
        evidence: row.col(11)?,
        key_id: row.col(12)?,
        notice_due_ms: row.col(13)?,
        notice_sent_ms: row.col(14)?,
    })
}

/// A consent state from the row's columns starting at `at` ([`CONSENT_STATE_COLUMNS`]).
pub(crate) fn consent_state_from(row: &impl Cols, at: usize) -> Result<ConsentState, StoreError> {
    Ok(ConsentState {
        subject_id: row.col(at)?,
        purpose: row.col(at + 1)?,
        channel: row.col(at + 2)?,
        night: row.col(at + 3)?,
        granted: row.col(at + 4)?,
        since_ms: row.col(at + 5)?,
        changed_ms: row.col(at + 6)?,
    })
}
