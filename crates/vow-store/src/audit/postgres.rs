//! audit on PostgreSQL.

use std::sync::OnceLock;

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

/// The cut statements, written from [`CUT_COLUMNS`] once (prepared statements are cached by
/// `&'static str`).
fn insert_cut_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!("INSERT INTO audit_cuts ({CUT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
    })
}

fn cuts_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| format!("SELECT {CUT_COLUMNS} FROM audit_cuts ORDER BY to_seq"))
}

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
            insert_cut_sql(),
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
        let rows = self.query(cuts_sql(), &[])?;
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
