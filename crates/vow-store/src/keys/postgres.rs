//! keys on PostgreSQL.

use super::*;
use crate::backend::postgres::PgTx;

impl KeyTx for PgTx<'_, '_> {
    fn insert_api_key(&mut self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_keys (id, digest, role, label, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&k.id, &k.digest, &k.role, &k.label, &k.created_ms, &k.revoked_ms],
        )?;
        Ok(())
    }
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE api_keys SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at_ms],
        )? > 0)
    }
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = self.query(
            "SELECT id, digest, role, label, created_ms, revoked_ms FROM api_keys ORDER BY created_ms, id",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ApiKeyRecord {
                    id: row.try_get(0)?,
                    digest: row.try_get(1)?,
                    role: row.try_get(2)?,
                    label: row.try_get(3)?,
                    created_ms: row.try_get(4)?,
                    revoked_ms: row.try_get(5)?,
                })
            })
            .collect()
    }
}
