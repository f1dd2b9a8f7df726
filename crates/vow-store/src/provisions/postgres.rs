//! provisions on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

impl ProvisionTx for PgTx<'_, '_> {
    fn insert_provision(&mut self, p: &ProvisionRow) -> Result<i64, StoreError> {
        let rows = self.query(
            "INSERT INTO provisions (seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions), $1, $2, $3, $4, $5, $6, $7, $8, $9)
             RETURNING seq",
            &[
                &p.at_ms,
                &p.recipient,
                &p.recipient_kind,
                &p.categories,
                &p.purpose,
                &p.count,
                &p.subject_id,
                &p.key_id,
                &p.role,
            ],
        )?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::Corrupt {
                table: "provisions",
                reason: "the insert returned no sequence number".into(),
            }),
        }
    }
    fn provisions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ProvisionRow>, StoreError> {
        let rows = self.query(
            "SELECT seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role
             FROM provisions WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after_seq, &limit_i64(limit)],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ProvisionRow {
                    seq: row.try_get(0)?,
                    at_ms: row.try_get(1)?,
                    recipient: row.try_get(2)?,
                    recipient_kind: row.try_get(3)?,
                    categories: row.try_get(4)?,
                    purpose: row.try_get(5)?,
                    count: row.try_get(6)?,
                    subject_id: row.try_get(7)?,
                    key_id: row.try_get(8)?,
                    role: row.try_get(9)?,
                })
            })
            .collect()
    }
}
