//! subjects on SQLite.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl SubjectTx for SqliteTx<'_> {
    fn guardian_state(&mut self, subject_id: &str) -> Result<Option<bool>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT granted FROM consent_state WHERE subject_id = ?1 AND purpose = ?2 LIMIT 1",
            )?
            .query_row(params![subject_id, crate::GUARDIAN_PURPOSE], |r| r.get(0))
            .optional()?)
    }
    fn subject_by_external_id(&mut self, external_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM subjects WHERE external_id = ?1")?
            .query_row([external_id], |r| r.get(0))
            .optional()?)
    }
    fn insert_subject(&mut self, s: &SubjectRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO subjects (id, external_id, kind, created_ms, minor, born_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![s.id, s.external_id, s.kind, s.created_ms, s.minor, s.born_sealed])?;
        self.tx
            .prepare_cached(
                "INSERT INTO keys.subject_keys (subject_id, wrapped_key) VALUES (?1, ?2)",
            )?
            .execute(params![s.id, s.wrapped_key])?;
        Ok(())
    }
    fn subject(&mut self, id: &str) -> Result<Option<SubjectRecord>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT s.id, s.external_id, s.kind, k.wrapped_key, s.created_ms, s.minor, s.restricted,
                        s.closed_ms, s.erasure_ms, s.born_sealed
                 FROM subjects s LEFT JOIN keys.subject_keys k ON k.subject_id = s.id
                 WHERE s.id = ?1 AND s.erased_ms IS NULL",
            )?
            .query_row([id], sql_row(|r| crate::subjects::subject_from(r)))
            .optional()?)
    }
    fn upsert_item(&mut self, subject_id: &str, item: &ItemRecord) -> Result<bool, StoreError> {
        let existed = self
            .tx
            .prepare_cached("SELECT 1 FROM items WHERE subject_id = ?1 AND category = ?2")?
            .exists(params![subject_id, item.category])?;
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO items (subject_id, category, sealed, blind_index, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                subject_id,
                item.category,
                item.sealed,
                item.blind_index,
                item.updated_ms
            ])?;
        Ok(existed)
    }
    fn item_with_key(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<crate::subjects::ItemWithKey>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT i.category, i.sealed, i.blind_index, i.updated_ms, i.contested, k.wrapped_key, s.restricted, s.minor
                 FROM items i
                 JOIN subjects s ON s.id = i.subject_id AND s.erased_ms IS NULL
                 JOIN keys.subject_keys k ON k.subject_id = i.subject_id
                 WHERE i.subject_id = ?1 AND i.category = ?2",
            )?
            .query_row(params![subject_id, category], |row| {
                Ok(crate::subjects::ItemWithKey {
                    wrapped_key: row.get(5)?,
                    item: sql_row(|r| crate::subjects::item_from(r))(row)?,
                    restricted: row.get(6)?,
                    minor: row.get(7)?,
                })
            })
            .optional()?)
    }
    fn items(&mut self, subject_id: &str) -> Result<Vec<ItemRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT category, sealed, blind_index, updated_ms, contested FROM items WHERE subject_id = ?1 ORDER BY category",
        )?;
        let rows = stmt.query_map([subject_id], sql_row(|r| crate::subjects::item_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn lookup(
        &mut self,
        category: &str,
        blind_index: &[u8],
        include_contested: bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT subject_id FROM items WHERE category = ?1 AND blind_index = ?2 AND (?3 OR NOT contested)
             ORDER BY subject_id LIMIT 100",
        )?;
        let rows = stmt.query_map(params![category, blind_index, include_contested], |r| {
            r.get(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn erase_subject(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        for table in [
            "items",
            "records",
            "separated",
            "retention_events",
            "uploads",
        ] {
            self.tx
                .prepare_cached(&format!("DELETE FROM {table} WHERE subject_id = ?1"))?
                .execute([id])?;
        }
        self.tx
            .prepare_cached("DELETE FROM keys.subject_keys WHERE subject_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM consent_state WHERE subject_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("UPDATE subjects SET external_id = NULL, erased_ms = ?2 WHERE id = ?1")?
            .execute(params![id, at_ms])?;
        Ok(())
    }
    fn close_subject(&mut self, id: &str, at_ms: i64, erasure: bool) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE subjects SET closed_ms = MIN(COALESCE(closed_ms, ?2), ?2),
                        erasure_ms = CASE WHEN ?3 THEN COALESCE(erasure_ms, ?2) ELSE erasure_ms END
                 WHERE id = ?1",
            )?
            .execute(params![id, at_ms, erasure])?;
        Ok(())
    }
    fn set_wrapped_key(&mut self, id: &str, wrapped_key: &[u8]) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE keys.subject_keys SET wrapped_key = ?2 WHERE subject_id = ?1
                   AND EXISTS (SELECT 1 FROM subjects WHERE id = ?1 AND erased_ms IS NULL)",
            )?
            .execute(params![id, wrapped_key])?;
        Ok(changed > 0)
    }
    fn subject_ids(&mut self, after: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM subjects WHERE id > ?1 AND erased_ms IS NULL ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn set_restricted(&mut self, subject_id: &str, restricted: bool) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE subjects SET restricted = ?2 WHERE id = ?1 AND erased_ms IS NULL",
            )?
            .execute(params![subject_id, restricted])?
            > 0)
    }
    fn set_contested(
        &mut self,
        subject_id: &str,
        category: &str,
        contested: bool,
    ) -> Result<bool, StoreError> {
        let mut changed = 0;
        for sql in [
            "UPDATE items SET contested = ?3 WHERE subject_id = ?1 AND category = ?2",
            "UPDATE records SET contested = ?3 WHERE subject_id = ?1 AND category = ?2",
            "UPDATE uploads SET contested = ?3 WHERE subject_id = ?1 AND category = ?2",
        ] {
            changed += self
                .tx
                .prepare_cached(sql)?
                .execute(params![subject_id, category, contested])?;
        }
        Ok(changed > 0)
    }
}
