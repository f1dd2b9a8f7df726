//! keys on SQLite.

use rusqlite::params;

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl KeyTx for SqliteTx<'_> {
    fn insert_api_key(&mut self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO api_keys (id, digest, role, label, created_ms, revoked_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![k.id, k.digest, k.role, k.label, k.created_ms, k.revoked_ms])?;
        Ok(())
    }
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            )?
            .execute(params![id, at_ms])?;
        Ok(changed > 0)
    }
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, digest, role, label, created_ms, revoked_ms FROM api_keys ORDER BY created_ms, id",
        )?;
        let rows = stmt.query_map([], sql_row(|r| crate::keys::api_key_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
