//! consent on SQLite.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl ConsentTx for SqliteTx<'_> {
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_STATE_COLUMNS} FROM consent_state c WHERE c.subject_id = ?1
             ORDER BY c.purpose, c.channel, c.night"
        ))?;
        let rows = stmt.query_map(
            [subject_id],
            sql_row(|r| crate::consent::consent_state_from(r, 0)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn insert_consent_event(&mut self, e: &ConsentEvent) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO consent_events (seq, id, subject_id, purpose, channel, night, change, at_ms,
                   recorded_ms, policy_version, by_guardian, evidence, key_id, notice_due_ms)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_events),
                   ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                e.id,
                e.subject_id,
                e.purpose,
                e.channel,
                e.night,
                e.change,
                e.at_ms,
                e.recorded_ms,
                e.policy_version,
                e.by_guardian,
                e.evidence,
                e.key_id,
                e.notice_due_ms
            ])?;
        Ok(())
    }
    fn upsert_consent_state(&mut self, c: &ConsentState) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO consent_state
                   (subject_id, purpose, channel, night, granted, since_ms, changed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                c.subject_id,
                c.purpose,
                c.channel,
                c.night,
                c.granted,
                c.since_ms,
                c.changed_ms
            ])?;
        Ok(())
    }
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_EVENT_COLUMNS} FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id
             WHERE e.seq > ?1 AND (?2 IS NULL OR e.subject_id = ?2) ORDER BY e.seq LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![after_seq, subject_id, limit],
            sql_row(|r| crate::consent::consent_event_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError> {
        // One statement per call: the ids travel as one JSON array.
        let ids = serde_json::to_string(subject_ids).map_err(|e| StoreError::Corrupt {
            table: "consent_state",
            reason: e.to_string(),
        })?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT s.id, s.closed_ms, {CONSENT_STATE_COLUMNS} FROM subjects s
             LEFT JOIN consent_state c ON c.subject_id = s.id
               AND ((c.purpose = ?2 AND c.channel = ?3) OR (s.minor AND c.purpose = ?4))
             WHERE s.id IN (SELECT value FROM json_each(?1)) AND s.erased_ms IS NULL
             ORDER BY s.id"
        ))?;
        let mut rows = stmt.query(params![ids, purpose, channel, crate::GUARDIAN_PURPOSE])?;
        let mut found: Vec<CampaignSubject> = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let state = match row.get::<_, Option<String>>(2)? {
                Some(_) => Some(ConsentState {
                    subject_id: row.get(2)?,
                    purpose: row.get(3)?,
                    channel: row.get(4)?,
                    night: row.get(5)?,
                    granted: row.get(6)?,
                    since_ms: row.get(7)?,
                    changed_ms: row.get(8)?,
                }),
                None => None,
            };
            match found.last_mut() {
                Some(last) if last.id == id => last.states.extend(state),
                _ => found.push(CampaignSubject {
                    id,
                    closed_ms: row.get(1)?,
                    states: state.into_iter().collect(),
                }),
            }
        }
        Ok(found)
    }
    fn consents_due(
        &mut self,
        purpose: &str,
        since_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<ConsentState>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_STATE_COLUMNS} FROM consent_state c
             WHERE c.purpose = ?1 AND c.granted = 1 AND c.since_ms < ?2
             ORDER BY c.since_ms, c.subject_id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![purpose, since_before_ms, limit],
            sql_row(|r| crate::consent::consent_state_from(r, 0)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_EVENT_COLUMNS} FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id
             WHERE e.notice_due_ms IS NOT NULL AND n.event_id IS NULL
             ORDER BY e.notice_due_ms, e.seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], sql_row(|r| crate::consent::consent_event_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT e.notice_due_ms IS NOT NULL, n.event_id IS NOT NULL, e.at_ms FROM consent_events e
                 LEFT JOIN consent_notices n ON n.event_id = e.id WHERE e.id = ?1",
            )?
            .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }
    fn insert_notice(
        &mut self,
        event_id: &str,
        at_ms: i64,
        key_id: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO consent_notices (event_id, sent_ms, key_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![event_id, at_ms, key_id])?;
        Ok(())
    }
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM consent_state WHERE subject_id = ?1")?
            .execute([subject_id])?;
        Ok(())
    }
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError> {
        let emptied = self
            .tx
            .prepare_cached(
                "UPDATE consent_events SET evidence = X'' WHERE subject_id = ?1 AND length(evidence) > 0",
            )?
            .execute([subject_id])?;
        Ok(i64::try_from(emptied).unwrap_or(i64::MAX))
    }
}
