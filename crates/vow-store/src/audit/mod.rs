//! The access log's rows: the head read (and locked) before a batch appends, the entries appended
//! together, and the decoding of a stored row back into an [`Entry`]. The chaining itself is
//! `vow_audit`'s; the batch machinery calls it (`batch.rs`).

use crate::*;

pub(crate) mod postgres;
mod sqlite;

/// What is asked of the store about audit.
#[derive(Clone, Debug)]
pub enum AuditOp {
    /// Changes nothing; only the request's log entry is written (an attempt the vault refused, for
    /// one): `Done`.
    LogOnly,
    /// Records a cut: the entries it covers were written to an archive and may now be removed
    /// (`Created`). It must start where its chain's newest cut ended (or at entry 1) and end at an
    /// entry the log holds with the cut's head hash (`Stale` otherwise: nothing recorded). The
    /// archiver leaves every chain an entry after its cut (the archiving's own entry, or the
    /// chain's newest), which is how verification tells a chain archived from a chain removed.
    RecordCut(Cut),
    /// Every recorded cut, oldest first (`AuditCuts`).
    Cuts,
    /// Removes up to `limit` entries of `chain` at or before `through_seq`, oldest first
    /// (`Removed(n)`); never past the chain's newest recorded cut (`Stale`).
    PruneArchived {
        chain: u32,
        through_seq: u64,
        limit: usize,
    },
}

impl From<AuditOp> for Op {
    fn from(op: AuditOp) -> Op {
        Op::Audit(op)
    }
}

/// The SQL primitives of audit, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait AuditTx {
    /// The chain this writer extends: its own, held for as long as its connection lives (0 on
    /// SQLite, which has one writer).
    fn chain_id(&self) -> u32;
    /// Orders this transaction after every other that numbers rows in commit order (the consent
    /// ledger, the outbox), across processes, until it ends. Taken before any row is locked.
    fn lock_commit_order(&mut self) -> Result<(), StoreError>;
    /// The newest entry of this writer's chain (no other writer extends it).
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError>;
    /// Appends entries in order (several rows per statement: the log is most of what a batch writes).
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError>;
    /// The entry at this position, if the log holds it.
    fn audit_entry(&mut self, at: Position) -> Result<Option<Entry>, StoreError>;
    fn insert_cut(&mut self, cut: &Cut) -> Result<(), StoreError>;
    /// Every cut, by chain, oldest first.
    fn cuts(&mut self) -> Result<Vec<Cut>, StoreError>;
    fn delete_audit_through(
        &mut self,
        chain: u32,
        through_seq: u64,
        limit: usize,
    ) -> Result<u64, StoreError>;
}

pub(crate) fn run(tx: &mut impl AuditTx, op: &AuditOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        AuditOp::LogOnly => Outcome::Done,
        AuditOp::RecordCut(cut) => {
            let newest = newest_cut(tx, cut.chain)?;
            let (from, prev) = newest.map_or((1, vow_audit::GENESIS), |c| {
                (c.to_seq.saturating_add(1), c.head_hash)
            });
            let at = Position {
                chain: cut.chain,
                seq: cut.to_seq,
            };
            let entry = tx.audit_entry(at)?;
            if cut.from_seq != from
                || cut.prev_hash != prev
                || cut.to_seq < cut.from_seq
                || entry.is_none_or(|e| e.hash != cut.head_hash)
            {
                Outcome::Stale
            } else {
                tx.insert_cut(cut)?;
                Outcome::Created
            }
        }
        AuditOp::Cuts => Outcome::AuditCuts(tx.cuts()?),
        AuditOp::PruneArchived {
            chain,
            through_seq,
            limit,
        } => match newest_cut(tx, *chain)? {
            Some(cut) if cut.to_seq >= *through_seq => {
                Outcome::Removed(tx.delete_audit_through(*chain, *through_seq, *limit)?)
            }
            _ => Outcome::Stale,
        },
    })
}

fn newest_cut(tx: &mut impl AuditTx, chain: u32) -> Result<Option<Cut>, StoreError> {
    Ok(tx.cuts()?.into_iter().rev().find(|c| c.chain == chain))
}

/// A chain id as stored (PostgreSQL's INTEGER, read as BIGINT) back into a `u32`.
fn chain_from(value: i64, table: &'static str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        table,
        reason: format!("chain {value} out of range"),
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
        chain: chain_from(row.col(8)?, "audit_cuts")?,
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

/// The columns of `audit_cuts` both backends have; PostgreSQL's also has `chain` (read as the
/// ninth column, `0` on SQLite).
pub(crate) const CUT_COLUMNS: &str =
    "to_seq, from_seq, prev_hash, head_hash, entries, first_at_ms, last_at_ms, signature";

/// A stored log row (the columns of `schema::LOG_LAST_SQLITE` in order) back into an [`Entry`].
pub(crate) fn entry_from(row: &impl Cols) -> Result<Entry, StoreError> {
    let seq: i64 = row.col(0)?;
    let action: String = row.col(6)?;
    let categories: String = row.col(7)?;
    let prev: Vec<u8> = row.col(9)?;
    let hash: Vec<u8> = row.col(10)?;
    Ok(Entry {
        chain: chain_from(row.col(11)?, "audit_log")?,
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
