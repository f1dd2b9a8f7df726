//! The privacy center's secrets on SQLite (one writer: a read and its update cannot interleave).

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl PrivacyTx for SqliteTx<'_> {
    fn insert_privacy_token(&mut self, t: &PrivacyTokenRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO privacy_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                t.digest,
                t.kind,
                t.subject_id,
                t.request_id,
                t.secret,
                t.detail,
                t.created_ms,
                t.expires_ms,
                t.used_ms,
                t.tries
            ])?;
        Ok(())
    }
    fn privacy_token(
        &mut self,
        digest: &[u8],
        kind: &str,
    ) -> Result<Option<PrivacyTokenRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM privacy_tokens WHERE digest = ?1 AND kind = ?2"
            ))?
            .query_row(params![digest, kind], sql_row(|r| token_from(r)))
            .optional()?)
    }
    fn use_privacy_token(&mut self, digest: &[u8], now_ms: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE privacy_tokens SET used_ms = ?2 WHERE digest = ?1 AND used_ms IS NULL",
            )?
            .execute(params![digest, now_ms])? as u64)
    }
    fn count_privacy_try(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("UPDATE privacy_tokens SET tries = tries + 1 WHERE digest = ?1")?
            .execute(params![digest])? as u64)
    }
    fn extend_privacy_token(
        &mut self,
        digest: &[u8],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE privacy_tokens SET expires_ms = ?2
                 WHERE digest = ?1 AND used_ms IS NULL AND expires_ms > ?3",
            )?
            .execute(params![digest, expires_ms, now_ms])? as u64)
    }
    fn delete_privacy_token(&mut self, digest: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM privacy_tokens WHERE digest = ?1")?
            .execute(params![digest])? as u64)
    }
    fn delete_privacy_tokens_of(
        &mut self,
        subject_id: &str,
        kind: &str,
    ) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM privacy_tokens WHERE subject_id = ?1 AND kind = ?2")?
            .execute(params![subject_id, kind])? as u64)
    }
    fn prune_privacy_tokens(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM privacy_tokens WHERE expires_ms < ?1")?
            .execute(params![before_ms])? as u64)
    }
    fn count_privacy_tokens_since(
        &mut self,
        subject_id: &str,
        kind: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT COUNT(*) FROM privacy_tokens
                 WHERE subject_id = ?1 AND kind = ?2 AND created_ms >= ?3",
            )?
            .query_row(params![subject_id, kind, since_ms], |r| r.get(0))?)
    }
}
