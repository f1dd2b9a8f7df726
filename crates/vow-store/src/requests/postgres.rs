//! requests on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

impl RequestTx for PgTx<'_, '_> {
    fn insert_rights_request(&mut self, r: &RightsRequestRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO rights_requests (id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &r.id,
                &r.subject_id,
                &r.kind,
                &r.state,
                &r.received_ms,
                &r.due_ms,
                &r.updated_ms,
                &r.detail,
            ],
        )?;
        Ok(())
    }
    fn update_rights_request(
        &mut self,
        r: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE rights_requests SET state = $2, due_ms = $3, updated_ms = $4, detail = $5
             WHERE id = $1 AND state = $6",
            &[
                &r.id,
                &r.state,
                &r.due_ms,
                &r.updated_ms,
                &r.detail,
                &expected_state,
            ],
        )? > 0)
    }
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let rows = self.query(
            "SELECT id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail FROM rights_requests
             WHERE ($1::TEXT IS NULL OR id = $1) AND (NOT $2 OR state NOT IN ('completed', 'refused'))
             ORDER BY due_ms, id LIMIT $3",
            &[&id, &open_only, &limit_i64(limit)],
        )?;
        rows.iter().map(crate::requests::request_from).collect()
    }
    fn rights_requests_after(
        &mut self,
        open_only: bool,
        after: (i64, &str),
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        // Two statements, so that each uses its index: the open queue's partial one, or all.
        let rows = if open_only {
            self.query(
                "SELECT id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail FROM rights_requests
                 WHERE state NOT IN ('completed', 'refused') AND (due_ms, id) > ($1, $2)
                 ORDER BY due_ms, id LIMIT $3",
                &[&after.0, &after.1, &limit_i64(limit)],
            )?
        } else {
            self.query(
                "SELECT id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail FROM rights_requests
                 WHERE (due_ms, id) > ($1, $2) ORDER BY due_ms, id LIMIT $3",
                &[&after.0, &after.1, &limit_i64(limit)],
            )?
        };
        rows.iter().map(crate::requests::request_from).collect()
    }
    fn rights_requests_of(
        &mut self,
        subject_ids: &[String],
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let rows = self.query(
            "SELECT id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail FROM rights_requests
             WHERE subject_id = ANY($1) ORDER BY received_ms DESC, id",
            &[&subject_ids],
        )?;
        rows.iter().map(crate::requests::request_from).collect()
    }
}
