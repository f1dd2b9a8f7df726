//! provisions on SQLite.

use rusqlite::params;

use super::*;
use crate::backend::sqlite::SqliteTx;

impl ProvisionTx for SqliteTx<'_> {
    fn insert_provision(&mut self, p: &ProvisionRow) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO provisions (seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 RETURNING seq",
            )?
            .query_row(
                params![
                    p.at_ms, p.recipient, p.recipient_kind, p.categories, p.purpose, p.count, p.subject_id, p.key_id, p.role
                ],
                |r| r.get(0),
            )?)
    }
    fn provisions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ProvisionRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role
             FROM provisions WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |row| {
            Ok(ProvisionRow {
                seq: row.get(0)?,
                at_ms: row.get(1)?,
                recipient: row.get(2)?,
                recipient_kind: row.get(3)?,
                categories: row.get(4)?,
                purpose: row.get(5)?,
                count: row.get(6)?,
                subject_id: row.get(7)?,
                key_id: row.get(8)?,
                role: row.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
