//! requests on SQLite.

use rusqlite::params;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl RequestTx for SqliteTx<'_> {
    fn insert_rights_request(&mut self, r: &RightsRequestRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO rights_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))?
            .execute(params![
                r.id, r.subject_id, r.kind, r.state, r.received_ms, r.due_ms, r.updated_ms, r.detail
            ])?;
        Ok(())
    }
    fn update_rights_request(
        &mut self,
        r: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE rights_requests SET state = ?2, due_ms = ?3, updated_ms = ?4, detail = ?5
                 WHERE id = ?1 AND state = ?6",
            )?
            .execute(params![
                r.id,
                r.state,
                r.due_ms,
                r.updated_ms,
                r.detail,
                expected_state
            ])?
            > 0)
    }
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS} FROM rights_requests
             WHERE (?1 IS NULL OR id = ?1) AND (NOT ?2 OR state NOT IN ('completed', 'refused'))
             ORDER BY due_ms, id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![id, open_only, limit],
            sql_row(|r| crate::requests::request_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn rights_requests_after(
        &mut self,
        open_only: bool,
        after: (i64, &str),
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Two statements, so that each uses its index: the open queue's partial one, or all.
        let sql = if open_only {
            format!(
                "SELECT {REQUEST_COLUMNS} FROM rights_requests
                 WHERE state NOT IN ('completed', 'refused') AND (due_ms, id) > (?1, ?2)
                 ORDER BY due_ms, id LIMIT ?3"
            )
        } else {
            format!(
                "SELECT {REQUEST_COLUMNS} FROM rights_requests
                 WHERE (due_ms, id) > (?1, ?2) ORDER BY due_ms, id LIMIT ?3"
            )
        };
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![after.0, after.1, limit],
            sql_row(|r| crate::requests::request_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn rights_requests_of(
        &mut self,
        subject_ids: &[String],
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        // The ids go in as one JSON array: one statement, whatever their number. CROSS JOIN keeps
        // the ids as the outer loop (SQLite does not reorder it), so each is one probe of the
        // subject index instead of a scan of every request.
        let ids = serde_json::to_string(subject_ids).map_err(|e| StoreError::Corrupt {
            table: "rights_requests",
            reason: e.to_string(),
        })?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {cols} FROM json_each(?1) AS ids CROSS JOIN rights_requests r
             ON r.subject_id = ids.value ORDER BY r.received_ms DESC, r.id",
            cols = REQUEST_COLUMNS
                .split(", ")
                .map(|c| format!("r.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let rows = stmt.query_map(params![ids], sql_row(|r| crate::requests::request_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
