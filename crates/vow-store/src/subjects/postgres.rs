//! subjects on PostgreSQL.

use super::*;
use crate::backend::postgres::PgTx;

impl SubjectTx for PgTx<'_, '_> {
    fn guardian_state(&mut self, subject_id: &str) -> Result<Option<bool>, StoreError> {
        let rows = self.query(
            "SELECT granted FROM consent_state WHERE subject_id = $1 AND purpose = $2 LIMIT 1",
            &[&subject_id, &crate::GUARDIAN_PURPOSE],
        )?;
        rows.first()
            .map(|row| row.try_get(0).map_err(StoreError::from))
            .transpose()
    }
    fn subject_by_external_id(&mut self, external_id: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query(
            "SELECT id FROM subjects WHERE external_id = $1",
            &[&external_id],
        )?;
        Ok(match rows.first() {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        })
    }
    fn insert_subject(&mut self, s: &SubjectRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO subjects (id, external_id, kind, created_ms, minor, born_sealed) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&s.id, &s.external_id, &s.kind, &s.created_ms, &s.minor, &s.born_sealed],
        )?;
        self.execute(
            "INSERT INTO subject_keys (subject_id, wrapped_key) VALUES ($1, $2)",
            &[&s.id, &s.wrapped_key],
        )?;
        Ok(())
    }
    fn subject(&mut self, id: &str) -> Result<Option<SubjectRecord>, StoreError> {
        let rows = self.query(
            "SELECT s.id, s.external_id, s.kind, k.wrapped_key, s.created_ms, s.minor, s.restricted,
                    s.closed_ms, s.erasure_ms, s.born_sealed
             FROM subjects s LEFT JOIN subject_keys k ON k.subject_id = s.id
             WHERE s.id = $1 AND s.erased_ms IS NULL",
            &[&id],
        )?;
        rows.first().map(crate::subjects::subject_from).transpose()
    }
    fn upsert_item(&mut self, subject_id: &str, item: &ItemRecord) -> Result<bool, StoreError> {
        // xmax is 0 for a freshly inserted row and non-zero for one the upsert updated.
        let rows = self.query(
            "INSERT INTO items (subject_id, category, sealed, blind_index, updated_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subject_id, category) DO UPDATE
               SET sealed = EXCLUDED.sealed, blind_index = EXCLUDED.blind_index, updated_ms = EXCLUDED.updated_ms,
                   contested = false
             RETURNING (xmax <> 0)",
            &[&subject_id, &item.category, &item.sealed, &item.blind_index, &item.updated_ms],
        )?;
        Ok(match rows.first() {
            Some(row) => row.try_get(0)?,
            None => false,
        })
    }
    fn item_with_key(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<crate::subjects::ItemWithKey>, StoreError> {
        let rows = self.query(
            "SELECT i.category, i.sealed, i.blind_index, i.updated_ms, i.contested, k.wrapped_key, s.restricted, s.minor
             FROM items i
             JOIN subjects s ON s.id = i.subject_id AND s.erased_ms IS NULL
             JOIN subject_keys k ON k.subject_id = i.subject_id
             WHERE i.subject_id = $1 AND i.category = $2",
            &[&subject_id, &category],
        )?;
        match rows.first() {
            Some(row) => Ok(Some(crate::subjects::ItemWithKey {
                wrapped_key: row.try_get(5)?,
                item: crate::subjects::item_from(row)?,
                restricted: row.try_get(6)?,
                minor: row.try_get(7)?,
            })),
            None => Ok(None),
        }
    }
    fn items(&mut self, subject_id: &str) -> Result<Vec<ItemRecord>, StoreError> {
        let rows = self.query(
            "SELECT category, sealed, blind_index, updated_ms, contested FROM items WHERE subject_id = $1 ORDER BY category",
            &[&subject_id],
        )?;
        rows.iter().map(crate::subjects::item_from).collect()
    }
    fn lookup(
        &mut self,
        category: &str,
        blind_index: &[u8],
        include_contested: bool,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self.query(
            "SELECT subject_id FROM items WHERE category = $1 AND blind_index = $2 AND ($3 OR NOT contested)
             ORDER BY subject_id LIMIT 100",
            &[&category, &blind_index, &include_contested],
        )?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(StoreError::from))
            .collect()
    }
    fn erase_subject(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM items WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM records WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM separated WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM retention_events WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM uploads WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM subject_keys WHERE subject_id = $1", &[&id])?;
        self.execute("DELETE FROM consent_state WHERE subject_id = $1", &[&id])?;
        self.execute(
            "UPDATE subjects SET external_id = NULL, erased_ms = $2 WHERE id = $1",
            &[&id, &at_ms],
        )?;
        Ok(())
    }
    fn close_subject(&mut self, id: &str, at_ms: i64, erasure: bool) -> Result<(), StoreError> {
        self.execute(
            "UPDATE subjects SET closed_ms = LEAST(COALESCE(closed_ms, $2), $2),
                    erasure_ms = CASE WHEN $3 THEN COALESCE(erasure_ms, $2) ELSE erasure_ms END
             WHERE id = $1",
            &[&id, &at_ms, &erasure],
        )?;
        Ok(())
    }
    fn set_wrapped_key(&mut self, id: &str, wrapped_key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE subject_keys SET wrapped_key = $2 WHERE subject_id = $1
               AND EXISTS (SELECT 1 FROM subjects WHERE id = $1 AND erased_ms IS NULL)",
            &[&id, &wrapped_key],
        )? > 0)
    }
    fn subject_ids(&mut self, after: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let rows = self.query(
            "SELECT id FROM subjects WHERE id > $1 AND erased_ms IS NULL ORDER BY id LIMIT $2",
            &[&after, &(limit as i64)],
        )?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(StoreError::from))
            .collect()
    }
    fn set_restricted(&mut self, subject_id: &str, restricted: bool) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE subjects SET restricted = $2 WHERE id = $1 AND erased_ms IS NULL",
            &[&subject_id, &restricted],
        )? > 0)
    }
    fn set_contested(
        &mut self,
        subject_id: &str,
        category: &str,
        contested: bool,
    ) -> Result<bool, StoreError> {
        let mut changed = 0;
        for sql in [
            "UPDATE items SET contested = $3 WHERE subject_id = $1 AND category = $2",
            "UPDATE records SET contested = $3 WHERE subject_id = $1 AND category = $2",
            "UPDATE uploads SET contested = $3 WHERE subject_id = $1 AND category = $2",
        ] {
            changed += self.execute(sql, &[&subject_id, &category, &contested])?;
        }
        Ok(changed > 0)
    }
}
