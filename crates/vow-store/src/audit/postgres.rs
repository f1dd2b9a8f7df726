//! audit on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

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
            let sql = schema::audit_insert_sql_cached(chunk.len(), true);
            let statement = match self.audit_statements.get(&chunk.len()) {
                Some(statement) => statement.clone(),
                None => {
                    let statement = self.tx.prepare(sql)?;
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
    fn audit_entry(&mut self, seq: u64) -> Result<Option<Entry>, StoreError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let rows = self.query(schema::LOG_ENTRY_POSTGRES, &[&seq])?;
        rows.first().map(crate::audit::entry_from).transpose()
    }
    fn insert_cut(&mut self, c: &Cut) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO audit_cuts (to_seq, from_seq, prev_hash, head_hash, entries, first_at_ms, \
             last_at_ms, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &i64::try_from(c.to_seq).unwrap_or(i64::MAX),
                &i64::try_from(c.from_seq).unwrap_or(i64::MAX),
                &&c.prev_hash[..],
                &&c.head_hash[..],
                &i64::try_from(c.entries).unwrap_or(i64::MAX),
                &c.first_at_ms,
                &c.last_at_ms,
                &c.signature,
            ],
        )?;
        Ok(())
    }
    fn cuts(&mut self) -> Result<Vec<Cut>, StoreError> {
        let rows = self.query(
            "SELECT to_seq, from_seq, prev_hash, head_hash, entries, first_at_ms, last_at_ms, \
             signature FROM audit_cuts ORDER BY to_seq",
            &[],
        )?;
        rows.iter().map(crate::audit::cut_from).collect()
    }
    fn delete_audit_through(&mut self, through_seq: u64, limit: usize) -> Result<u64, StoreError> {
        let through = i64::try_from(through_seq).unwrap_or(i64::MAX);
        self.execute(
            "DELETE FROM audit_log WHERE seq IN (
               SELECT seq FROM audit_log WHERE seq <= $1 ORDER BY seq LIMIT $2)",
            &[&through, &limit_i64(limit)],
        )
    }
}
