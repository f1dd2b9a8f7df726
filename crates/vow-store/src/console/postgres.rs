//! The console's people on PostgreSQL.

use super::*;
use crate::backend::postgres::{limit_i64, PgTx};

macro_rules! user_select {
    ($condition:literal) => {
        concat!(
            "SELECT id, email_index, email_sealed, role, password_phc, totp_sealed, totp_last_step, ",
            "enrol_digest, enrol_expires_ms, created_ms, created_by, enrolled_ms, disabled_ms ",
            "FROM console_users WHERE ",
            $condition,
            " ORDER BY created_ms, id"
        )
    };
}

impl ConsoleTx for PgTx<'_, '_> {
    fn insert_console_user(&mut self, u: &ConsoleUserRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO console_users (id, email_index, email_sealed, role, password_phc, totp_sealed, \
             totp_last_step, enrol_digest, enrol_expires_ms, created_ms, created_by, enrolled_ms, disabled_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                &u.id,
                &u.email_index,
                &u.email_sealed,
                &u.role,
                &u.password_phc,
                &u.totp_sealed,
                &u.totp_last_step,
                &u.enrol_digest,
                &u.enrol_expires_ms,
                &u.created_ms,
                &u.created_by,
                &u.enrolled_ms,
                &u.disabled_ms,
            ],
        )?;
        Ok(())
    }
    fn console_users(&mut self, key: Option<&UserKey>) -> Result<Vec<ConsoleUserRow>, StoreError> {
        let rows = match key {
            None => self.query(user_select!("true"), &[])?,
            Some(UserKey::Id(id)) => self.query(user_select!("id = $1"), &[id])?,
            Some(UserKey::EmailIndex(index)) => {
                self.query(user_select!("email_index = $1"), &[index])?
            }
            Some(UserKey::EnrolDigest(digest)) => {
                self.query(user_select!("enrol_digest = $1"), &[digest])?
            }
        };
        rows.iter().map(user_from).collect()
    }
    fn enrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        now_ms: i64,
        password_phc: &str,
        totp_sealed: &[u8],
    ) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE console_users SET password_phc = $4, totp_sealed = $5, totp_last_step = 0,
                 enrolled_ms = $3, enrol_digest = NULL, enrol_expires_ms = NULL
             WHERE id = $1 AND enrol_digest = $2 AND enrol_expires_ms > $3 AND disabled_ms IS NULL",
            &[&id, &enrol_digest, &now_ms, &password_phc, &totp_sealed],
        )
    }
    fn reenrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        enrol_expires_ms: i64,
    ) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE console_users SET enrol_digest = $2, enrol_expires_ms = $3,
                 password_phc = NULL, totp_sealed = NULL
             WHERE id = $1 AND disabled_ms IS NULL",
            &[&id, &enrol_digest, &enrol_expires_ms],
        )
    }
    fn accept_totp_step(&mut self, id: &str, step: i64) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE console_users SET totp_last_step = $2
             WHERE id = $1 AND totp_last_step < $2 AND disabled_ms IS NULL",
            &[&id, &step],
        )
    }
    fn disable_console_user(&mut self, id: &str, at_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE console_users SET disabled_ms = $2, enrol_digest = NULL, enrol_expires_ms = NULL
             WHERE id = $1 AND disabled_ms IS NULL",
            &[&id, &at_ms],
        )
    }
    fn end_sessions_of(&mut self, user_id: &str) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM console_sessions WHERE user_id = $1",
            &[&user_id],
        )
    }
    fn insert_console_session(&mut self, s: &ConsoleSessionRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO console_sessions (digest, user_id, created_ms, last_seen_ms) VALUES ($1, $2, $3, $4)",
            &[&s.digest, &s.user_id, &s.created_ms, &s.last_seen_ms],
        )?;
        Ok(())
    }
    fn console_session(&mut self, digest: &[u8]) -> Result<Vec<ConsoleSessionRow>, StoreError> {
        let rows = self.query(
            "SELECT digest, user_id, created_ms, last_seen_ms FROM console_sessions WHERE digest = $1",
            &[&digest],
        )?;
        rows.iter().map(session_from).collect()
    }
    fn touch_console_session(&mut self, digest: &[u8], at_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE console_sessions SET last_seen_ms = GREATEST(last_seen_ms, $2) WHERE digest = $1",
            &[&digest, &at_ms],
        )
    }
    fn end_console_session(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        self.execute("DELETE FROM console_sessions WHERE digest = $1", &[&digest])
    }
    fn prune_console_sessions(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM console_sessions WHERE last_seen_ms < $1",
            &[&before_ms],
        )
    }
    fn insert_grant(&mut self, g: &GrantRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO access_grants (at_ms, actor, grantee, role, change) VALUES ($1, $2, $3, $4, $5)",
            &[&g.at_ms, &g.actor, &g.grantee, &g.role, &g.change],
        )?;
        Ok(())
    }
    fn grants(
        &mut self,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<GrantRow>, StoreError> {
        let rows = self.query(
            "SELECT seq, at_ms, actor, grantee, role, change FROM access_grants
             WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            &[&before_seq.unwrap_or(i64::MAX), &limit_i64(limit)],
        )?;
        rows.iter().map(grant_from).collect()
    }
    fn sign_offs(
        &mut self,
        kind: &str,
        period: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SignOffRow>, StoreError> {
        let rows = self.query(
            "SELECT kind, period, by_user, at_ms, note FROM sign_offs
             WHERE kind = $1 AND ($2::TEXT IS NULL OR period = $2) ORDER BY period DESC LIMIT $3",
            &[&kind, &period, &limit_i64(limit)],
        )?;
        rows.iter().map(sign_off_from).collect()
    }
    fn insert_sign_off(&mut self, s: &SignOffRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sign_offs (kind, period, by_user, at_ms, note) VALUES ($1, $2, $3, $4, $5)",
            &[&s.kind, &s.period, &s.by_user, &s.at_ms, &s.note],
        )?;
        Ok(())
    }
    fn upsert_finding(&mut self, f: &FindingRow) -> Result<bool, StoreError> {
        let chain = i32::try_from(f.entry_chain).unwrap_or(i32::MAX);
        let before = self.query(
            "SELECT 1 FROM review_findings WHERE period = $1 AND entry_seq = $2 AND entry_chain = $3",
            &[&f.period, &f.entry_seq, &chain],
        )?;
        self.execute(
            "INSERT INTO review_findings (period, entry_seq, by_user, at_ms, note, entry_chain)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (period, entry_chain, entry_seq) DO UPDATE SET by_user = EXCLUDED.by_user,
                 at_ms = EXCLUDED.at_ms, note = EXCLUDED.note",
            &[
                &f.period,
                &f.entry_seq,
                &f.by_user,
                &f.at_ms,
                &f.note,
                &chain,
            ],
        )?;
        Ok(!before.is_empty())
    }
    fn findings(&mut self, period: &str) -> Result<Vec<FindingRow>, StoreError> {
        let rows = self.query(
            "SELECT period, entry_seq, by_user, at_ms, note, entry_chain::bigint FROM review_findings
             WHERE period = $1 ORDER BY entry_chain, entry_seq",
            &[&period],
        )?;
        rows.iter().map(finding_from).collect()
    }
}
