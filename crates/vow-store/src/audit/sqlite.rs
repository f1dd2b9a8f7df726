//! audit on SQLite.

use rusqlite::OptionalExtension;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl AuditTx for SqliteTx<'_> {
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        let raw = self
            .tx
            .prepare_cached(schema::LOG_LAST)?
            .query_row([], sql_row(|r| crate::audit::entry_from(r)))
            .optional()?;
        Ok(raw)
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql(chunk.len(), |n| format!("?{n}"));
            let mut statement = self.tx.prepare_cached(&sql)?;
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
}
