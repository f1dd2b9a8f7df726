//! outbox on SQLite.

use rusqlite::params;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl OutboxTx for SqliteTx<'_> {
    fn insert_outbox(&mut self, o: &OutboxRecord) -> Result<bool, StoreError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO outbox (seq, id, subject_id, kind, body, created_ms, next_attempt_ms)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![o.id, o.subject_id, o.kind, o.body, o.created_ms])?;
        Ok(inserted > 0)
    }
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let candidates: Vec<OutboxRecord> = {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox o
                 WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= ?1
                   AND (o.lease_ms IS NULL OR o.lease_ms <= ?1)
                   AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.delivered_ms IS NULL
                     AND p.subject_id = o.subject_id AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT ?2"
            ))?;
            let rows = stmt.query_map(
                params![now_ms, limit],
                sql_row(|r| crate::outbox::outbox_from(r)),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        let mut claimed = Vec::with_capacity(candidates.len());
        for record in candidates {
            let changed = self
                .tx
                .prepare_cached(
                    "UPDATE outbox SET lease_ms = ?2 WHERE seq = ?1 AND delivered_ms IS NULL
                       AND (lease_ms IS NULL OR lease_ms <= ?3)",
                )?
                .execute(params![record.seq, lease_until_ms, now_ms])?;
            if changed > 0 {
                claimed.push(record);
            }
        }
        Ok(claimed)
    }
    fn finish_delivery(
        &mut self,
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<&str>,
        body_after: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE outbox SET delivered_ms = ?2, next_attempt_ms = ?3, last_error = ?4,
                   attempts = attempts + 1, lease_ms = NULL, body = COALESCE(?5, body)
                 WHERE seq = ?1",
            )?
            .execute(params![
                seq,
                delivered_ms,
                next_attempt_ms,
                error,
                body_after
            ])?;
        Ok(())
    }
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
        hide_kinds: &[String],
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let hidden = placeholders(3, hide_kinds.len());
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&after_seq, &limit];
        values.extend(hide_kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE seq > ?1 AND kind NOT IN ({hidden})
             ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(
            values.as_slice(),
            sql_row(|r| crate::outbox::outbox_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn prune_delivered(
        &mut self,
        delivered_before_ms: i64,
        keep_kinds: &[String],
        limit: usize,
    ) -> Result<u64, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let kept = placeholders(3, keep_kinds.len());
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&delivered_before_ms, &limit];
        values.extend(keep_kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
        let removed = self
            .tx
            .prepare_cached(&format!(
                "DELETE FROM outbox WHERE seq IN (
                   SELECT seq FROM outbox
                   WHERE delivered_ms IS NOT NULL AND delivered_ms < ?1
                     AND kind NOT IN ({kept})
                     AND seq < (SELECT MAX(seq) FROM outbox)
                   ORDER BY seq LIMIT ?2)"
            ))?
            .execute(values.as_slice())?;
        Ok(u64::try_from(removed).unwrap_or(u64::MAX))
    }
}

/// `?first, ?first+1, ...`: one placeholder per value of a list (values are bound, never spliced
/// into the text).
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
