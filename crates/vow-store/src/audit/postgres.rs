//! audit on PostgreSQL.

use super::*;
use crate::backend::postgres::PgTx;

impl AuditTx for PgTx<'_, '_> {
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        // EXCLUSIVE lets plain reads of the log go on but serialises writers across all processes.
        self.tx
            .batch_execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")?;
        let rows = self.query(schema::LOG_LAST, &[])?;
        rows.first().map(crate::audit::entry_from).transpose()
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql(chunk.len(), |n| format!("${n}"));
            let statement = match self.audit_statements.get(&chunk.len()) {
                Some(statement) => statement.clone(),
                None => {
                    let statement = self.tx.prepare(&sql)?;
                    self.audit_statements.insert(chunk.len(), statement.clone());
                    statement
                }
            };
            // seq, action and categories as their columns store them; the hashes as slices.
            type Encoded<'e> = (i64, String, String, &'e [u8], &'e [u8]);
            let encoded: Vec<Encoded<'_>> = chunk
                .iter()
                .map(|e| {
                    (
                        e.seq as i64,
                        schema::encode_action(&e.action),
                        schema::encode_categories(&e.categories),
                        &e.prev_hash[..],
                        &e.hash[..],
                    )
                })
                .collect();
            let mut values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
                Vec::with_capacity(chunk.len() * 11);
            for (e, (seq, action, categories, prev, hash)) in chunk.iter().zip(&encoded) {
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
                    prev,
                    hash,
                ]);
            }
            self.tx.execute(&statement, &values)?;
        }
        Ok(())
    }
}
