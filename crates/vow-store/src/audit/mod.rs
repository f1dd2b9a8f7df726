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
    /// Records a cut: the entries it covers were written to an archive and may now be removed
    /// (`Created`). It must start where the newest cut ended (or at entry 1) and end at an entry
    /// the log holds with the cut's head hash (`Stale` otherwise: nothing recorded).
    RecordCut(Cut),
    /// Every recorded cut, oldest first (`AuditCuts`).
    Cuts,
    /// Removes up to `limit` entries at or before `through_seq`, oldest first (`Removed(n)`); never
    /// past the newest recorded cut (`Stale`).
    PruneArchived { through_seq: u64, limit: usize },
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
    /// The entry with this seq, if the log holds it.
    fn audit_entry(&mut self, seq: u64) -> Result<Option<Entry>, StoreError>;
    fn insert_cut(&mut self, cut: &Cut) -> Result<(), StoreError>;
    /// Every cut, oldest first.
    fn cuts(&mut self) -> Result<Vec<Cut>, StoreError>;
    fn delete_audit_through(&mut self, through_seq: u64, limit: usize) -> Result<u64, StoreError>;
}

pub(crate) fn run(tx: &mut impl AuditTx, op: &AuditOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        AuditOp::LogOnly => Outcome::Done,
        AuditOp::RecordCut(cut) => {
            let newest = tx.cuts()?.pop();
            let (from, prev) = newest.map_or((1, vow_audit::GENESIS), |c| {
                (c.to_seq.saturating_add(1), c.head_hash)
            });
            let head = tx.audit_entry(cut.to_seq)?;
            if cut.from_seq != from
                || cut.prev_hash != prev
                || cut.to_seq < cut.from_seq
                || head.is_none_or(|e| e.hash != cut.head_hash)
            {
                Outcome::Stale
            } else {
                tx.insert_cut(cut)?;
                Outcome::Created
            }
        }
        AuditOp::Cuts => Outcome::AuditCuts(tx.cuts()?),
        AuditOp::PruneArchived { through_seq, limit } => match tx.cuts()?.pop() {
            Some(cut) if cut.to_seq >= *through_seq => {
                Outcome::Removed(tx.delete_audit_through(*through_seq, *limit)?)
            }
            _ => Outcome::Stale,
        },
    })
}

/// A stored cut (the columns of `audit_cuts` in order) back into a [`Cut`].
pub(crate) fn cut_from(row: &impl Cols) -> Result<Cut, StoreError> {
    let seq = |value: i64, column: &str| {
        u64::try_from(value).map_err(|_| StoreError::Corrupt {
            table: "audit_cuts",
            reason: format!("negative {column} {value}"),
        })
    };
    let prev: Vec<u8> = row.col(2)?;
    let head: Vec<u8> = row.col(3)?;
    Ok(Cut {
        to_seq: seq(row.col(0)?, "to_seq")?,
        from_seq: seq(row.col(1)?, "from_seq")?,
        prev_hash: crate::schema::hash32(&prev, "prev_hash")?,
        head_hash: crate::schema::hash32(&head, "head_hash")?,
        entries: seq(row.col(4)?, "entries")?,
        first_at_ms: row.col(5)?,
        last_at_ms: row.col(6)?,
        signature: row.col(7)?,
    })
}

pub(crate) const CUT_COLUMNS: &str =
    "to_seq, from_seq, prev_hash, head_hash, entries, first_at_ms, last_at_ms, signature";

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
