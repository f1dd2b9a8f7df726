//! audit on SQLite.

use rusqlite::OptionalExtension;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl AuditTx for SqliteTx<'_> {
    fn chain_id(&self) -> u32 {
        0
    }
    fn lock_commit_order(&mut self) -> Result<(), StoreError> {
        // One writer: every write transaction already runs alone.
        Ok(())
    }
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        let raw = self
            .tx
            .prepare_cached(schema::LOG_LAST_SQLITE)?
            .query_row([], sql_row(|r| crate::audit::entry_from(r)))
            .optional()?;
        Ok(raw)
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql_cached(chunk.len(), false);
            let mut statement = self.tx.prepare_cached(sql)?;
            let encoded: Vec<(String, String)> = chunk
                .iter()
                .map(|e| {
                    (
                        schema::encode_action(&e.action),
                        schema::encode_categories(&e.categories),
                    )
                })
                .collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 11);
            let seqs: Vec<i64> = chunk.iter().map(|e| e.seq as i64).collect();
            for ((e, (action, categories)), seq) in chunk.iter().zip(&encoded).zip(&seqs) {
                values.extend_from_slice(&[
                    seq,
                    &e.at_ms,
                    &e.key_id,
                    &e.role,
                    &e.source,
                    &e.subject_id,
                    action,
                    categories,
                    &e.reason,
                    &e.prev_hash,
                    &e.hash,
                ]);
            }
            statement.execute(values.as_slice())?;
        }
        Ok(())
    }
    fn audit_entry(&mut self, at: Position) -> Result<Option<Entry>, StoreError> {
        if at.chain != 0 {
            return Ok(None);
        }
        let seq = i64::try_from(at.seq).unwrap_or(i64::MAX);
        Ok(self
            .tx
            .prepare_cached(schema::LOG_ENTRY_SQLITE)?
            .query_row([seq], sql_row(|r| crate::audit::entry_from(r)))
            .optional()?)
    }
    fn insert_cut(&mut self, c: &Cut) -> Result<(), StoreError> {
        if c.chain != 0 {
            return Err(StoreError::Corrupt {
                table: "audit_cuts",
                reason: format!("a cut of chain {}: SQLite's log is chain 0 alone", c.chain),
            });
        }
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO audit_cuts ({CUT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))?
            .execute(rusqlite::params![
                i64::try_from(c.to_seq).unwrap_or(i64::MAX),
                i64::try_from(c.from_seq).unwrap_or(i64::MAX),
                &c.prev_hash[..],
                &c.head_hash[..],
                i64::try_from(c.entries).unwrap_or(i64::MAX),
                c.first_at_ms,
                c.last_at_ms,
                c.signature,
            ])?;
        Ok(())
    }
    fn cuts(&mut self) -> Result<Vec<Cut>, StoreError> {
        let mut statement = self.tx.prepare_cached(&format!(
            "SELECT {CUT_COLUMNS}, 0 FROM audit_cuts ORDER BY to_seq"
        ))?;
        let rows = statement.query_map([], sql_row(|r| crate::audit::cut_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn delete_audit_through(
        &mut self,
        chain: u32,
        through_seq: u64,
        limit: usize,
    ) -> Result<u64, StoreError> {
        if chain != 0 {
            return Ok(0);
        }
        let through = i64::try_from(through_seq).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM audit_log WHERE seq IN (
                   SELECT seq FROM audit_log WHERE seq <= ?1 ORDER BY seq LIMIT ?2)",
            )?
            .execute([through, limit])? as u64)
    }
}
