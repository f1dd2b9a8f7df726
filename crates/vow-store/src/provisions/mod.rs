//! The provision log: personal data given to third parties and processors, numbered in commit order.

use crate::subjects::SubjectTx;
use crate::*;

mod postgres;
mod sqlite;

/// A provision of personal data to a third party or processor: who, which categories, for what,
/// how many, when, by which key. Never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionRow {
    /// Order of the log; assigned by the store.
    pub seq: i64,
    pub at_ms: i64,
    pub recipient: String,
    /// `third_party` or `processor`.
    pub recipient_kind: String,
    /// JSON array of category keys.
    pub categories: String,
    pub purpose: Option<String>,
    pub count: i64,
    /// When one subject's data was given.
    pub subject_id: Option<String>,
    pub key_id: String,
    pub role: String,
}

/// What is asked of the store about provisions.
#[derive(Clone, Debug)]
pub enum ProvisionOp {
    /// Appends a provision to the provision log: `Appended` with its number, or `NotFound` when it
    /// names a subject that is not live.
    RecordProvision(ProvisionRow),
    /// The provision log in order after `after_seq`.
    Provisions { after_seq: i64, limit: usize },
}

impl From<ProvisionOp> for Op {
    fn from(op: ProvisionOp) -> Op {
        Op::Provisions(op)
    }
}

/// The SQL primitives of provisions, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait ProvisionTx {
    /// Appends with the next sequence number (the caller holds the commit-order lock).
    fn insert_provision(&mut self, row: &ProvisionRow) -> Result<i64, StoreError>;
    fn provisions(&mut self, after_seq: i64, limit: usize)
        -> Result<Vec<ProvisionRow>, StoreError>;
}

pub(crate) fn run(
    tx: &mut (impl ProvisionTx + SubjectTx),
    op: &ProvisionOp,
) -> Result<Outcome, StoreError> {
    Ok(match op {
        ProvisionOp::RecordProvision(row) => match &row.subject_id {
            Some(subject_id) if tx.subject(subject_id)?.is_none() => Outcome::NotFound,
            _ => Outcome::Appended {
                seq: tx.insert_provision(row)?,
            },
        },
        ProvisionOp::Provisions { after_seq, limit } => {
            Outcome::Provisions(tx.provisions(*after_seq, *limit)?)
        }
    })
}
