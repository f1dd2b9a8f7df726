//! Retention: records with their own times, the events that start clocks, separated storage
//! (분리보관), the end of a subject's use, and disposal with its destruction ledger (파기 관리대장), a
//! line per destruction in the same transaction.

use std::collections::BTreeMap;

use crate::consent::ConsentTx;
use crate::subjects::SubjectTx;
use crate::uploads::UploadTx;
use crate::*;

macro_rules! separated_columns {
    () => {
        "id, subject_id, category, binding, sealed, at_ms, rule, until_ms, moved_ms"
    };
}

mod postgres;
mod sqlite;

/// What a record's seal is bound to: its category and its id, so one record's sealed value cannot be
/// passed off as another's.
pub fn record_binding(category: &str, id: &str) -> String {
    format!("{category}#{id}")
}

/// The record id a seal's binding names (`category#id`), or `None` for an item's binding.
pub fn record_of_binding(binding: &str) -> Option<String> {
    binding.split_once('#').map(|(_, id)| id.to_string())
}

/// Data kept apart (분리보관) because a rule still requires it after its use ended: readable only
/// by roles granted separated storage, destroyed at `until_ms`. `binding` is what the seal is bound
/// to (the category, or the category and record id), kept so the value can still be opened.
#[derive(Clone, PartialEq, Eq)]
pub struct SeparatedRow {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub binding: String,
    pub sealed: Vec<u8>,
    /// When the data was collected or the record happened.
    pub at_ms: i64,
    /// The retention rule that keeps it.
    pub rule: String,
    pub until_ms: i64,
    pub moved_ms: i64,
}

impl std::fmt::Debug for SeparatedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeparatedRow")
            .field("id", &self.id)
            .field("category", &self.category)
            .field("rule", &self.rule)
            .field("until_ms", &self.until_ms)
            .finish_non_exhaustive()
    }
}

/// One record of a subject: an entry of its own time among many of one category (an order, a
/// payment, a visit, a complaint), so that "5 years from the transaction" is counted per record.
/// `sealed` is bound to the category and the record's id.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub sealed: Vec<u8>,
    /// When it happened (the transaction, the visit): the clock of `from = "transaction"` rules.
    pub at_ms: i64,
    pub created_ms: i64,
    /// Under correction at the subject's request: neither used nor given until resolved.
    pub contested: bool,
}

impl std::fmt::Debug for RecordRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordRow")
            .field("id", &self.id)
            .field("category", &self.category)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

/// What the retention sweeper needs to decide about one live subject: times and categories, never
/// a value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RetentionView {
    pub subject_id: String,
    pub kind: String,
    pub created_ms: i64,
    /// When the account was closed or the subject erased.
    pub closed_ms: Option<i64>,
    /// When an erasure ended the subject: only rules resting on a law still hold anything.
    pub erasure_ms: Option<i64>,
    /// Each reported event with the time it last happened.
    pub events: Vec<(String, i64)>,
    /// Items: category and when collected (last written).
    pub items: Vec<(String, i64)>,
    /// Records: id, category, time.
    pub records: Vec<(String, String, i64)>,
    /// Separated rows.
    pub separated: Vec<SeparatedPiece>,
    /// Uploads: id, category, created, processed, keep.
    pub uploads: Vec<(String, String, i64, Option<i64>, bool)>,
}

/// A separated row as the sweeper sees it: no value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SeparatedPiece {
    pub id: String,
    pub category: String,
    pub rule: String,
    pub until_ms: i64,
    /// When the data was collected or the record happened.
    pub at_ms: i64,
    /// The record's own id when the row was a record (its seal is bound to it); `None` for an item.
    pub record: Option<String>,
}

/// A piece of a subject's data the sweeper decided about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Upload { id: String },
    Item { category: String },
    Record { id: String },
    Separated { id: String },
}

/// A line of the destruction ledger (파기 관리대장): what kind and how many, when, under which rule
/// and basis, by which method. Never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestructionRow {
    /// Order in the ledger; assigned by the store.
    pub seq: i64,
    pub at_ms: i64,
    pub subject_id: String,
    pub category: String,
    /// `active`, `separated`, or `subject_key` (the data key destroyed: crypto-shredding).
    pub storage: String,
    pub count: i64,
    /// The retention rule's key, or the request that erased it.
    pub rule: String,
    pub basis: String,
    pub law: Option<String>,
    /// `retention` (the period ended) or `erasure_request`.
    pub cause: String,
    pub method: String,
    /// The key that ran the sweep or the request.
    pub by_key: String,
}

/// What to do with one piece: destroy it (naming the rule whose end, or the request, decided it) or
/// move it to separated storage under the rule that still requires it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposal {
    Destroy {
        piece: Piece,
        category: String,
        rule: String,
        basis: String,
        law: Option<String>,
    },
    Separate {
        piece: Piece,
        category: String,
        rule: String,
        until_ms: i64,
        /// The id the separated row gets.
        new_id: String,
    },
}

/// What a disposal did: only what this transaction changed counts, so two sweepers racing on one
/// piece report it once between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disposed {
    pub destroyed: u64,
    pub separated: u64,
    pub shredded: bool,
    /// Uploads whose rows (and keys) were destroyed: their files are to be removed.
    pub uploads: Vec<String>,
}

/// What is asked of the store about retention.
#[derive(Clone, Debug)]
pub enum RetentionOp {
    /// Stores one record: `Created`, `NotFound` (subject not live), `NeedsGuardian`, or `Closed`
    /// when the subject's account is closed or the subject erased.
    PutRecord(RecordRow),
    /// Stores a piece straight into separated storage (a record a law requires that arrives after the
    /// account closed): `Created`, or `NotFound` when the subject is not live.
    PutSeparated(SeparatedRow),
    /// Ends the subject's use: marks the account closed (and, with `erasure`, erased), records the
    /// `account_closure` retention event, and for an erasure drops the consent states and destroys the
    /// consent evidence, writing its ledger line. `Done`, or `NotFound` when the subject is not live.
    CloseSubject {
        subject_id: String,
        at_ms: i64,
        erasure: bool,
        cause: String,
        method: String,
        by_key: String,
    },
    /// The subject's records, oldest first: `Records`, or `NotFound`.
    Records { subject_id: String },
    /// Records that a retention event happened: `Created`, or `NotFound`.
    RecordRetentionEvent {
        subject_id: String,
        event: String,
        at_ms: i64,
        recorded_ms: i64,
    },
    /// What the sweeper needs about live subjects after `after` in id order, at most `limit`.
    RetentionPage { after: String, limit: usize },
    /// Carries out disposals for one subject and writes their ledger lines; when `shred_when_empty`
    /// and nothing is left of the subject, erases it (its data key destroyed). `Disposed`, or
    /// `NotFound` when the subject is not live.
    Dispose {
        subject_id: String,
        at_ms: i64,
        disposals: Vec<Disposal>,
        cause: String,
        method: String,
        by_key: String,
        shred_when_empty: bool,
    },
    /// The destruction ledger in order after `after_seq`.
    Destructions { after_seq: i64, limit: usize },
    /// The subject's separated rows: `Separated`, or `NotFound`.
    SeparatedOf { subject_id: String },
}

impl From<RetentionOp> for Op {
    fn from(op: RetentionOp) -> Op {
        Op::Retention(op)
    }
}

/// The SQL primitives of retention, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait RetentionTx {
    // ---- retention, separated storage, the destruction ledger, rights requests
    fn insert_record(&mut self, record: &RecordRow) -> Result<(), StoreError>;
    fn records(&mut self, subject_id: &str) -> Result<Vec<RecordRow>, StoreError>;
    fn insert_retention_event(
        &mut self,
        subject_id: &str,
        event: &str,
        at_ms: i64,
        recorded_ms: i64,
    ) -> Result<(), StoreError>;
    /// Live subjects after `after` with their events, items, records and separated rows (times and
    /// categories only), read with one range query per table.
    fn retention_page(
        &mut self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RetentionView>, StoreError>;
    /// Deletes and returns an item (`None` when another writer took it first).
    fn take_item(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<ItemRecord>, StoreError>;
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError>;
    fn delete_piece(&mut self, subject_id: &str, piece: &Piece) -> Result<bool, StoreError>;
    fn insert_separated(&mut self, row: &SeparatedRow) -> Result<(), StoreError>;
    fn separated(&mut self, subject_id: &str) -> Result<Vec<SeparatedRow>, StoreError>;
    /// Whether any item, record or separated row of the subject is left.
    fn holds_anything(&mut self, subject_id: &str) -> Result<bool, StoreError>;
    /// Appends with the next sequence number (the caller holds the commit-order lock).
    fn insert_destruction(&mut self, row: &DestructionRow) -> Result<(), StoreError>;
    fn destructions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<DestructionRow>, StoreError>;
}

pub(crate) fn run(
    tx: &mut (impl RetentionTx + ConsentTx + SubjectTx + UploadTx),
    op: &RetentionOp,
) -> Result<Outcome, StoreError> {
    Ok(match op {
        RetentionOp::PutRecord(record) => match tx.subject(&record.subject_id)? {
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(&record.subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => {
                tx.insert_record(record)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        RetentionOp::PutSeparated(row) => match tx.subject(&row.subject_id)? {
            Some(_) => {
                tx.insert_separated(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        RetentionOp::CloseSubject {
            subject_id,
            at_ms,
            erasure,
            cause,
            method,
            by_key,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                tx.close_subject(subject_id, *at_ms, *erasure)?;
                tx.insert_retention_event(subject_id, "account_closure", *at_ms, *at_ms)?;
                if *erasure {
                    tx.delete_consent_states(subject_id)?;
                    let emptied = tx.destroy_consent_evidence(subject_id)?;
                    if emptied > 0 {
                        tx.insert_destruction(&DestructionRow {
                            seq: 0,
                            at_ms: *at_ms,
                            subject_id: subject_id.clone(),
                            category: CONSENT_EVIDENCE.to_string(),
                            storage: "active".to_string(),
                            count: emptied,
                            rule: cause.clone(),
                            basis: "request".to_string(),
                            law: None,
                            cause: cause.clone(),
                            method: method.clone(),
                            by_key: by_key.clone(),
                        })?;
                    }
                }
                Outcome::Done
            }
            None => Outcome::NotFound,
        },
        RetentionOp::Records { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Records(tx.records(subject_id)?),
            None => Outcome::NotFound,
        },
        RetentionOp::RecordRetentionEvent {
            subject_id,
            event,
            at_ms,
            recorded_ms,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                tx.insert_retention_event(subject_id, event, *at_ms, *recorded_ms)?;
                // The account's closure ends its use, whoever reports it.
                if event == "account_closure" {
                    tx.close_subject(subject_id, *at_ms, false)?;
                }
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        RetentionOp::RetentionPage { after, limit } => {
            Outcome::RetentionViews(tx.retention_page(after, *limit)?)
        }
        RetentionOp::Dispose {
            subject_id,
            at_ms,
            disposals,
            cause,
            method,
            by_key,
            shred_when_empty,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                let context = DisposalContext {
                    subject_id,
                    at_ms: *at_ms,
                    cause,
                    method,
                    by_key,
                };
                Outcome::Disposed(dispose(tx, &context, disposals, *shred_when_empty)?)
            }
            None => Outcome::NotFound,
        },
        RetentionOp::Destructions { after_seq, limit } => {
            Outcome::Destructions(tx.destructions(*after_seq, *limit)?)
        }
        RetentionOp::SeparatedOf { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Separated(tx.separated(subject_id)?),
            None => Outcome::NotFound,
        },
    })
}

struct DisposalContext<'a> {
    subject_id: &'a str,
    at_ms: i64,
    cause: &'a str,
    method: &'a str,
    by_key: &'a str,
}

/// A ledger line's identity: category, storage, rule.
type LedgerKey = (String, &'static str, String);

/// What a ledger line adds up: count, basis, law.
type LedgerCount = (i64, String, Option<String>);

/// Destroys and separates what the engine decided, counting only what this transaction removed (a
/// piece another sweeper took first is skipped, so nothing is destroyed or logged twice), then writes
/// one ledger line per category, storage and rule.
fn dispose(
    tx: &mut (impl RetentionTx + ConsentTx + SubjectTx + UploadTx),
    context: &DisposalContext<'_>,
    disposals: &[Disposal],
    shred_when_empty: bool,
) -> Result<Disposed, StoreError> {
    let subject_id = context.subject_id;
    let mut done = Disposed::default();
    let mut lines: BTreeMap<LedgerKey, LedgerCount> = BTreeMap::new();
    for disposal in disposals {
        match disposal {
            Disposal::Destroy {
                piece,
                category,
                rule,
                basis,
                law,
            } => {
                let storage = match piece {
                    Piece::Upload { id } => {
                        let taken = tx.take_upload(subject_id, id)?;
                        if taken.is_some() {
                            done.uploads.push(id.clone());
                        }
                        taken.map(|_| "upload")
                    }
                    Piece::Item { .. } | Piece::Record { .. } => {
                        tx.delete_piece(subject_id, piece)?.then_some("active")
                    }
                    Piece::Separated { .. } => {
                        tx.delete_piece(subject_id, piece)?.then_some("separated")
                    }
                };
                if let Some(storage) = storage {
                    done.destroyed += 1;
                    let line = lines
                        .entry((category.clone(), storage, rule.clone()))
                        .or_insert_with(|| (0, basis.clone(), law.clone()));
                    line.0 += 1;
                }
            }
            Disposal::Separate {
                piece,
                category,
                rule,
                until_ms,
                new_id,
            } => {
                let taken = match piece {
                    Piece::Item { category } => tx
                        .take_item(subject_id, category)?
                        .map(|item| (category.clone(), item.sealed, item.updated_ms)),
                    Piece::Record { id } => tx.take_record(subject_id, id)?.map(|record| {
                        (
                            record_binding(&record.category, &record.id),
                            record.sealed,
                            record.at_ms,
                        )
                    }),
                    Piece::Separated { .. } | Piece::Upload { .. } => None,
                };
                if let Some((binding, sealed, at_ms)) = taken {
                    tx.insert_separated(&SeparatedRow {
                        id: new_id.clone(),
                        subject_id: subject_id.to_string(),
                        category: category.clone(),
                        binding,
                        sealed,
                        at_ms,
                        rule: rule.clone(),
                        until_ms: *until_ms,
                        moved_ms: context.at_ms,
                    })?;
                    done.separated += 1;
                }
            }
        }
    }
    let mut last_rule = None;
    for ((category, storage, rule), (count, basis, law)) in lines {
        tx.insert_destruction(&DestructionRow {
            seq: 0,
            at_ms: context.at_ms,
            subject_id: subject_id.to_string(),
            category,
            storage: storage.to_string(),
            count,
            rule: rule.clone(),
            basis,
            law,
            cause: context.cause.to_string(),
            method: context.method.to_string(),
            by_key: context.by_key.to_string(),
        })?;
        last_rule = Some(rule);
    }
    if shred_when_empty && !tx.holds_anything(subject_id)? {
        tx.erase_subject(subject_id, context.at_ms)?;
        done.shredded = true;
        tx.insert_destruction(&DestructionRow {
            seq: 0,
            at_ms: context.at_ms,
            subject_id: subject_id.to_string(),
            category: "*".to_string(),
            storage: "subject_key".to_string(),
            count: 1,
            rule: last_rule.unwrap_or_else(|| context.cause.to_string()),
            basis: "crypto_shredding".to_string(),
            law: None,
            cause: context.cause.to_string(),
            method: "data key destroyed (crypto-shredding)".to_string(),
            by_key: context.by_key.to_string(),
        })?;
    }
    Ok(done)
}

pub(crate) const SEPARATED_COLUMNS: &str =
    "id, subject_id, category, binding, sealed, at_ms, rule, until_ms, moved_ms";

pub(crate) const DESTRUCTION_COLUMNS: &str =
    "seq, at_ms, subject_id, category, storage, count, rule, basis, law, cause, method, by_key";

pub(crate) fn record_from(row: &impl Cols) -> Result<RecordRow, StoreError> {
    Ok(RecordRow {
        id: row.col(0)?,
        subject_id: row.col(1)?,
        category: row.col(2)?,
        sealed: row.col(3)?,
        at_ms: row.col(4)?,
        created_ms: row.col(5)?,
        contested: row.col(6)?,
    })
}

pub(crate) fn separated_from(row: &impl Cols) -> Result<SeparatedRow, StoreError> {
    Ok(SeparatedRow {
        id: row.col(0)?,
        subject_id: row.col(1)?,
        category: row.col(2)?,
        binding: row.col(3)?,
        sealed: row.col(4)?,
        at_ms: row.col(5)?,
        rule: row.col(6)?,
        until_ms: row.col(7)?,
        moved_ms: row.col(8)?,
    })
}

pub(crate) fn destruction_from(row: &impl Cols) -> Result<DestructionRow, StoreError> {
    Ok(DestructionRow {
        seq: row.col(0)?,
        at_ms: row.col(1)?,
        subject_id: row.col(2)?,
        category: row.col(3)?,
        storage: row.col(4)?,
        count: row.col(5)?,
        rule: row.col(6)?,
        basis: row.col(7)?,
        law: row.col(8)?,
        cause: row.col(9)?,
        method: row.col(10)?,
        by_key: row.col(11)?,
    })
}
