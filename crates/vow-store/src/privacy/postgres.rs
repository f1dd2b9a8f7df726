//! The privacy center's secrets on PostgreSQL: a token is read `FOR UPDATE`, so two servers
//! redeeming or guessing at it at once take turns.

use super::*;
use crate::backend::postgres::PgTx;

impl PrivacyTx for PgTx<'_, '_> {
    fn insert_privacy_token(&mut self, t: &PrivacyTokenRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO privacy_tokens (digest, kind, subject_id, request_id, secret, detail, \
             created_ms, expires_ms, used_ms, tries) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &t.digest,
                &t.kind,
                &t.subject_id,
                &t.request_id,
                &t.secret,
                &t.detail,
                &t.created_ms,
                &t.expires_ms,
                &t.used_ms,
                &t.tries,
            ],
        )?;
        Ok(())
    }
    fn privacy_token(
        &mut self,
        digest: &[u8],
        kind: &str,
    ) -> Result<Option<PrivacyTokenRow>, StoreError> {
        let rows = self.query(
            "SELECT digest, kind, subject_id, request_id, secret, detail, created_ms, expires_ms, \
             used_ms, tries FROM privacy_tokens WHERE digest = $1 AND kind = $2 FOR UPDATE",
            &[&digest, &kind],
        )?;
        rows.first().map(token_from).transpose()
    }
    fn use_privacy_token(&mut self, digest: &[u8], now_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE privacy_tokens SET used_ms = $2 WHERE digest = $1 AND used_ms IS NULL",
            &[&digest, &now_ms],
        )
    }
    fn count_privacy_try(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE privacy_tokens SET tries = tries + 1 WHERE digest = $1",
            &[&digest],
        )
    }
    fn extend_privacy_token(
        &mut self,
        digest: &[u8],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.execute(
            "UPDATE privacy_tokens SET expires_ms = $2 \
             WHERE digest = $1 AND used_ms IS NULL AND expires_ms > $3",
            &[&digest, &expires_ms, &now_ms],
        )
    }
    fn delete_privacy_token(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        self.execute("DELETE FROM privacy_tokens WHERE digest = $1", &[&digest])
    }
    fn delete_privacy_tokens_of(
        &mut self,
        subject_id: &str,
        kind: &str,
    ) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM privacy_tokens WHERE subject_id = $1 AND kind = $2",
            &[&subject_id, &kind],
        )
    }
    fn prune_privacy_tokens(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM privacy_tokens WHERE expires_ms < $1",
            &[&before_ms],
        )
    }
    fn count_privacy_tokens_since(
        &mut self,
        subject_id: &str,
        kind: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let rows = self.query(
            "SELECT COUNT(*) FROM privacy_tokens
             WHERE subject_id = $1 AND kind = $2 AND created_ms >= $3",
            &[&subject_id, &kind, &since_ms],
        )?;
        match rows.first() {
            Some(row) => Ok(row.try_get::<_, i64>(0)?),
            None => Ok(0),
        }
    }
}
