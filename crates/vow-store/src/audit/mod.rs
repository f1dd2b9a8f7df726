//! The access log's rows: the head read (and locked) before a batch appends, the entries appended
//! together, and the decoding of a stored row back into an [`Entry`]. The chaining itself is
//! `vow_audit`'s; the batch machinery calls it (`batch.rs`).

use crate::*;

mod postgres;
mod sqlite;

/// What is asked of the store about audit.
#[derive(Clone, Debug)]
pub enum AuditOp {
    /// Changes nothing; only the request's log entry is written (an attempt the vault refused, for
    /// one): `Done`.
    LogOnly,
}

impl From<AuditOp> for Op {
    fn from(op: AuditOp) -> Op {
        Op::Audit(op)
    }
}

/// The SQL primitives of audit, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait AuditTx {
    /// The last log entry, locked against other writers until the transaction ends.
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError>;
    /// Appends entries in order (several rows per statement: the log is most of what a batch writes).
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError>;
}

pub(crate) fn run(_tx: &mut impl AuditTx, op: &AuditOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        AuditOp::LogOnly => Outcome::Done,
    })
}

/// A stored log row (the columns of `schema::LOG_LAST` in order) back into an [`Entry`].
pub(crate) fn entry_from(row: &impl Cols) -> Result<Entry, StoreError> {
    let seq: i64 = row.col(0)?;
    let action: String = row.col(6)?;
    let categories: String = row.col(7)?;
    let prev: Vec<u8> = row.col(9)?;
    let hash: Vec<u8> = row.col(10)?;
    Ok(Entry {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            table: "audit_log",
            reason: format!("negative seq {seq}"),
        })?,
        at_ms: row.col(1)?,
        key_id: row.col(2)?,
        role: row.col(3)?,
        source: row.col(4)?,
        subject_id: row.col(5)?,
        action: crate::schema::decode_action(&action)?,
        categories: crate::schema::decode_categories(&categories)?,
        reason: row.col(8)?,
        prev_hash: crate::schema::hash32(&prev, "prev_hash")?,
        hash: crate::schema::hash32(&hash, "hash")?,
    })
}
