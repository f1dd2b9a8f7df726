//! uploads on PostgreSQL.

use super::*;
use crate::backend::postgres::PgTx;

impl UploadTx for PgTx<'_, '_> {
    fn insert_upload(&mut self, u: &UploadRow) -> Result<(), StoreError> {
        self.execute(
            concat!(
                "INSERT INTO uploads (",
                upload_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &u.id,
                &u.subject_id,
                &u.category,
                &u.sealed_key,
                &u.bytes,
                &u.media_type,
                &u.created_ms,
                &u.processed_ms,
                &u.keep,
                &u.contested,
            ],
        )?;
        Ok(())
    }
    fn upload(
        &mut self,
        subject_id: &str,
        id: &str,
    ) -> Result<Option<(UploadRow, Vec<u8>, bool)>, StoreError> {
        let rows = self.query(
            "SELECT u.id, u.subject_id, u.category, u.sealed_key, u.bytes, u.media_type, u.created_ms, u.processed_ms, u.keep,
                    u.contested, k.wrapped_key, s.restricted
             FROM uploads u
             JOIN subjects s ON s.id = u.subject_id AND s.erased_ms IS NULL
             JOIN subject_keys k ON k.subject_id = u.subject_id
             WHERE u.subject_id = $1 AND u.id = $2",
            &[&subject_id, &id],
        )?;
        match rows.first() {
            Some(row) => Ok(Some((
                crate::uploads::upload_from(row)?,
                row.try_get(10)?,
                row.try_get(11)?,
            ))),
            None => Ok(None),
        }
    }
    fn uploads(&mut self, subject_id: &str) -> Result<Vec<UploadRow>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                upload_columns!(),
                " FROM uploads WHERE subject_id = $1 ORDER BY created_ms, id"
            ),
            &[&subject_id],
        )?;
        rows.iter().map(crate::uploads::upload_from).collect()
    }
    fn update_upload(
        &mut self,
        subject_id: &str,
        id: &str,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE uploads SET processed_ms = COALESCE($3, processed_ms), keep = COALESCE($4, keep)
             WHERE subject_id = $1 AND id = $2",
            &[&subject_id, &id, &processed_ms, &keep],
        )? > 0)
    }
    fn take_upload(&mut self, subject_id: &str, id: &str) -> Result<Option<UploadRow>, StoreError> {
        let rows = self.query(
            concat!(
                "DELETE FROM uploads WHERE subject_id = $1 AND id = $2 RETURNING ",
                upload_columns!()
            ),
            &[&subject_id, &id],
        )?;
        rows.first().map(crate::uploads::upload_from).transpose()
    }
}
