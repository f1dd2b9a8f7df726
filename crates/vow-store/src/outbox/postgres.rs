//! outbox on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

impl OutboxTx for PgTx<'_, '_> {
    fn insert_outbox(&mut self, o: &OutboxRecord) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO outbox (seq, id, subject_id, kind, body, created_ms, next_attempt_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), $1, $2, $3, $4, $5, $5)
             ON CONFLICT (id) DO NOTHING",
            &[&o.id, &o.subject_id, &o.kind, &o.body, &o.created_ms],
        )? > 0)
    }
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox o
                 WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= $1
                   AND (o.lease_ms IS NULL OR o.lease_ms <= $1)
                   AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.delivered_ms IS NULL
                     AND p.subject_id = o.subject_id AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT $2"
            ),
            &[&now_ms, &limit_i64(limit)],
        )?;
        let candidates = rows
            .iter()
            .map(crate::outbox::outbox_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for record in candidates {
            // Read committed re-checks the condition on the newest row version: of two servers
            // claiming the same event, one updates it and the other finds it leased.
            let changed = self.execute(
                "UPDATE outbox SET lease_ms = $2 WHERE seq = $1 AND delivered_ms IS NULL
                   AND (lease_ms IS NULL OR lease_ms <= $3)",
                &[&record.seq, &lease_until_ms, &now_ms],
            )?;
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
        self.execute(
            "UPDATE outbox SET delivered_ms = $2, next_attempt_ms = $3, last_error = $4,
               attempts = attempts + 1, lease_ms = NULL, body = COALESCE($5, body)
             WHERE seq = $1",
            &[&seq, &delivered_ms, &next_attempt_ms, &error, &body_after],
        )?;
        Ok(())
    }
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
        hide_kinds: &[String],
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let hide_kinds = hide_kinds.to_vec();
        let rows = self.query(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox WHERE seq > $1 AND kind <> ALL($3::text[]) ORDER BY seq LIMIT $2"
            ),
            &[&after_seq, &limit_i64(limit), &hide_kinds],
        )?;
        rows.iter().map(crate::outbox::outbox_from).collect()
    }
    fn prune_delivered(
        &mut self,
        delivered_before_ms: i64,
        keep_kinds: &[String],
        limit: usize,
    ) -> Result<u64, StoreError> {
        let keep_kinds = keep_kinds.to_vec();
        self.execute(
            "DELETE FROM outbox WHERE seq IN (
               SELECT seq FROM outbox
               WHERE delivered_ms IS NOT NULL AND delivered_ms < $1
                 AND kind <> ALL($2::text[])
                 AND seq < (SELECT MAX(seq) FROM outbox)
               ORDER BY seq LIMIT $3)",
            &[&delivered_before_ms, &keep_kinds, &limit_i64(limit)],
        )
    }
}
