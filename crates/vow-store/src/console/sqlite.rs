//! The console's people on SQLite.

use rusqlite::params;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl ConsoleTx for SqliteTx<'_> {
    fn insert_console_user(&mut self, u: &ConsoleUserRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO console_users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                u.id,
                u.email_index,
                u.email_sealed,
                u.role,
                u.password_phc,
                u.totp_sealed,
                u.totp_last_step,
                u.enrol_digest,
                u.enrol_expires_ms,
                u.created_ms,
                u.created_by,
                u.enrolled_ms,
                u.disabled_ms
            ])?;
        Ok(())
    }
    fn console_users(&mut self, key: Option<&UserKey>) -> Result<Vec<ConsoleUserRow>, StoreError> {
        let (condition, value): (&str, rusqlite::types::Value) = match key {
            None => ("?1 IS NULL", rusqlite::types::Value::Null),
            Some(UserKey::Id(id)) => ("id = ?1", id.clone().into()),
            Some(UserKey::EmailIndex(index)) => ("email_index = ?1", index.clone().into()),
            Some(UserKey::EnrolDigest(digest)) => ("enrol_digest = ?1", digest.clone().into()),
        };
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM console_users WHERE {condition} ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map(params![value], sql_row(|r| user_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn enrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        now_ms: i64,
        password_phc: &str,
        totp_sealed: &[u8],
    ) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE console_users SET password_phc = ?4, totp_sealed = ?5, totp_last_step = 0,
                     enrolled_ms = ?3, enrol_digest = NULL, enrol_expires_ms = NULL
                 WHERE id = ?1 AND enrol_digest = ?2 AND enrol_expires_ms > ?3 AND disabled_ms IS NULL",
            )?
            .execute(params![id, enrol_digest, now_ms, password_phc, totp_sealed])? as u64)
    }
    fn reenrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        enrol_expires_ms: i64,
    ) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE console_users SET enrol_digest = ?2, enrol_expires_ms = ?3,
                     password_phc = NULL, totp_sealed = NULL
                 WHERE id = ?1 AND disabled_ms IS NULL",
            )?
            .execute(params![id, enrol_digest, enrol_expires_ms])? as u64)
    }
    fn accept_totp_step(&mut self, id: &str, step: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE console_users SET totp_last_step = ?2
                 WHERE id = ?1 AND totp_last_step < ?2 AND disabled_ms IS NULL",
            )?
            .execute(params![id, step])? as u64)
    }
    fn disable_console_user(&mut self, id: &str, at_ms: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE console_users SET disabled_ms = ?2, enrol_digest = NULL, enrol_expires_ms = NULL
                 WHERE id = ?1 AND disabled_ms IS NULL",
            )?
            .execute(params![id, at_ms])? as u64)
    }
    fn end_sessions_of(&mut self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM console_sessions WHERE user_id = ?1")?
            .execute(params![user_id])? as u64)
    }
    fn insert_console_session(&mut self, s: &ConsoleSessionRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO console_sessions (digest, user_id, created_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![s.digest, s.user_id, s.created_ms, s.last_seen_ms])?;
        Ok(())
    }
    fn console_session(&mut self, digest: &[u8]) -> Result<Vec<ConsoleSessionRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT digest, user_id, created_ms, last_seen_ms FROM console_sessions WHERE digest = ?1",
        )?;
        let rows = stmt.query_map(params![digest], sql_row(|r| session_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn touch_console_session(&mut self, digest: &[u8], at_ms: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE console_sessions SET last_seen_ms = MAX(last_seen_ms, ?2) WHERE digest = ?1",
            )?
            .execute(params![digest, at_ms])? as u64)
    }
    fn end_console_session(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM console_sessions WHERE digest = ?1")?
            .execute(params![digest])? as u64)
    }
    fn prune_console_sessions(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM console_sessions WHERE last_seen_ms < ?1")?
            .execute(params![before_ms])? as u64)
    }
    fn insert_grant(&mut self, g: &GrantRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO access_grants (at_ms, actor, grantee, role, change) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![g.at_ms, g.actor, g.grantee, g.role, g.change])?;
        Ok(())
    }
    fn grants(
        &mut self,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<GrantRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, at_ms, actor, grantee, role, change FROM access_grants
             WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![before_seq.unwrap_or(i64::MAX), limit],
            sql_row(|r| grant_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn sign_offs(
        &mut self,
        kind: &str,
        period: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SignOffRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, period, by_user, at_ms, note FROM sign_offs
             WHERE kind = ?1 AND (?2 IS NULL OR period = ?2) ORDER BY period DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![kind, period, limit], sql_row(|r| sign_off_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn insert_sign_off(&mut self, s: &SignOffRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sign_offs (kind, period, by_user, at_ms, note) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![s.kind, s.period, s.by_user, s.at_ms, s.note])?;
        Ok(())
    }
    fn upsert_finding(&mut self, f: &FindingRow) -> Result<bool, StoreError> {
        let replaced = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM review_findings WHERE period = ?1 AND entry_seq = ?2 AND entry_chain = ?3",
            )?
            .exists(params![f.period, f.entry_seq, f.entry_chain])?;
        self.tx
            .prepare_cached(
                "INSERT INTO review_findings (period, entry_seq, by_user, at_ms, note, entry_chain)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (period, entry_seq) DO UPDATE SET by_user = excluded.by_user,
                     at_ms = excluded.at_ms, note = excluded.note",
            )?
            .execute(params![
                f.period,
                f.entry_seq,
                f.by_user,
                f.at_ms,
                f.note,
                f.entry_chain
            ])?;
        Ok(replaced)
    }
    fn findings(&mut self, period: &str) -> Result<Vec<FindingRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT period, entry_seq, by_user, at_ms, note, entry_chain FROM review_findings
             WHERE period = ?1 ORDER BY entry_chain, entry_seq",
        )?;
        let rows = stmt.query_map(params![period], sql_row(|r| finding_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
