//! uploads on SQLite.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl UploadTx for SqliteTx<'_> {
    fn insert_upload(&mut self, u: &UploadRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                u.id,
                u.subject_id,
                u.category,
                u.sealed_key,
                u.bytes,
                u.media_type,
                u.created_ms,
                u.processed_ms,
                u.keep,
                u.contested
            ])?;
        Ok(())
    }
    fn upload(
        &mut self,
        subject_id: &str,
        id: &str,
    ) -> Result<Option<(UploadRow, Vec<u8>, bool)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT u.id, u.subject_id, u.category, u.sealed_key, u.bytes, u.media_type, u.created_ms, u.processed_ms, u.keep,
                        u.contested, k.wrapped_key, s.restricted
                 FROM uploads u
                 JOIN subjects s ON s.id = u.subject_id AND s.erased_ms IS NULL
                 JOIN keys.subject_keys k ON k.subject_id = u.subject_id
                 WHERE u.subject_id = ?1 AND u.id = ?2",
            )?
            .query_row(params![subject_id, id], |row| {
                Ok((sql_row(|r| crate::uploads::upload_from(r))(row)?, row.get(10)?, row.get(11)?))
            })
            .optional()?)
    }
    fn uploads(&mut self, subject_id: &str) -> Result<Vec<UploadRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE subject_id = ?1 ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map([subject_id], sql_row(|r| crate::uploads::upload_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn update_upload(
        &mut self,
        subject_id: &str,
        id: &str,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE uploads SET processed_ms = COALESCE(?3, processed_ms), keep = COALESCE(?4, keep)
                 WHERE subject_id = ?1 AND id = ?2",
            )?
            .execute(params![subject_id, id, processed_ms, keep])?
            > 0)
    }
    fn take_upload(&mut self, subject_id: &str, id: &str) -> Result<Option<UploadRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "DELETE FROM uploads WHERE subject_id = ?1 AND id = ?2 RETURNING {UPLOAD_COLUMNS}"
            ))?
            .query_row(
                params![subject_id, id],
                sql_row(|r| crate::uploads::upload_from(r)),
            )
            .optional()?)
    }
}
