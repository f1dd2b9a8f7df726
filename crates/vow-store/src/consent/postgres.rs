//! consent on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

impl ConsentTx for PgTx<'_, '_> {
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_state_columns!(),
                " FROM consent_state c WHERE c.subject_id = $1 ORDER BY c.purpose, c.channel, c.night"
            ),
            &[&subject_id],
        )?;
        rows.iter()
            .map(|r| crate::consent::consent_state_from(r, 0))
            .collect()
    }
    fn insert_consent_event(&mut self, e: &ConsentEvent) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_events (seq, id, subject_id, purpose, channel, night, change, at_ms,
               recorded_ms, policy_version, by_guardian, evidence, key_id, notice_due_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_events),
               $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                &e.id,
                &e.subject_id,
                &e.purpose,
                &e.channel,
                &e.night,
                &e.change,
                &e.at_ms,
                &e.recorded_ms,
                &e.policy_version,
                &e.by_guardian,
                &e.evidence,
                &e.key_id,
                &e.notice_due_ms,
            ],
        )?;
        Ok(())
    }
    fn upsert_consent_state(&mut self, c: &ConsentState) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_state (subject_id, purpose, channel, night, granted, since_ms, changed_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (subject_id, purpose, channel, night) DO UPDATE
               SET granted = EXCLUDED.granted, since_ms = EXCLUDED.since_ms, changed_ms = EXCLUDED.changed_ms",
            &[
                &c.subject_id,
                &c.purpose,
                &c.channel,
                &c.night,
                &c.granted,
                &c.since_ms,
                &c.changed_ms,
            ],
        )?;
        Ok(())
    }
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_event_columns!(),
                " FROM consent_events e LEFT JOIN consent_notices n ON n.event_id = e.id
                 WHERE e.seq > $1 AND ($2::TEXT IS NULL OR e.subject_id = $2) ORDER BY e.seq LIMIT $3"
            ),
            &[&after_seq, &subject_id, &limit_i64(limit)],
        )?;
        rows.iter()
            .map(crate::consent::consent_event_from)
            .collect()
    }
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT s.id, s.closed_ms, ",
                consent_state_columns!(),
                " FROM subjects s
                 LEFT JOIN consent_state c ON c.subject_id = s.id
                   AND ((c.purpose = $2 AND c.channel = $3) OR (s.minor AND c.purpose = $4))
                 WHERE s.id = ANY($1) AND s.erased_ms IS NULL ORDER BY s.id"
            ),
            &[&subject_ids, &purpose, &channel, &crate::GUARDIAN_PURPOSE],
        )?;
        let mut found: Vec<CampaignSubject> = Vec::new();
        for row in &rows {
            let id: String = row.try_get(0)?;
            let state = match row.try_get::<_, Option<String>>(2)? {
                Some(_) => Some(crate::consent::consent_state_from(row, 2)?),
                None => None,
            };
            match found.last_mut() {
                Some(last) if last.id == id => last.states.extend(state),
                _ => found.push(CampaignSubject {
                    id,
                    closed_ms: row.try_get(1)?,
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
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_state_columns!(),
                " FROM consent_state c WHERE c.purpose = $1 AND c.granted AND c.since_ms < $2
                 ORDER BY c.since_ms, c.subject_id LIMIT $3"
            ),
            &[&purpose, &since_before_ms, &limit_i64(limit)],
        )?;
        rows.iter()
            .map(|r| crate::consent::consent_state_from(r, 0))
            .collect()
    }
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_event_columns!(),
                " FROM consent_events e LEFT JOIN consent_notices n ON n.event_id = e.id
                 WHERE e.notice_due_ms IS NOT NULL AND n.event_id IS NULL
                 ORDER BY e.notice_due_ms, e.seq LIMIT $1"
            ),
            &[&limit_i64(limit)],
        )?;
        rows.iter()
            .map(crate::consent::consent_event_from)
            .collect()
    }
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError> {
        let rows = self.query(
            "SELECT e.notice_due_ms IS NOT NULL, n.event_id IS NOT NULL, e.at_ms FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id WHERE e.id = $1",
            &[&event_id],
        )?;
        match rows.first() {
            Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))),
            None => Ok(None),
        }
    }
    fn insert_notice(
        &mut self,
        event_id: &str,
        at_ms: i64,
        key_id: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_notices (event_id, sent_ms, key_id) VALUES ($1, $2, $3)",
            &[&event_id, &at_ms, &key_id],
        )?;
        Ok(())
    }
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM consent_state WHERE subject_id = $1",
            &[&subject_id],
        )?;
        Ok(())
    }
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError> {
        let emptied = self.execute(
            "UPDATE consent_events SET evidence = ''::bytea WHERE subject_id = $1 AND length(evidence) > 0",
            &[&subject_id],
        )?;
        Ok(i64::try_from(emptied).unwrap_or(i64::MAX))
    }
}
