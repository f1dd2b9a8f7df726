//! retention on SQLite.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::backend::sqlite::{sql_row, SqliteTx};

impl RetentionTx for SqliteTx<'_> {
    // ---- retention, separated storage, the destruction ledger, rights requests
    fn insert_record(&mut self, r: &RecordRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO records (id, subject_id, category, sealed, at_ms, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                r.id,
                r.subject_id,
                r.category,
                r.sealed,
                r.at_ms,
                r.created_ms
            ])?;
        Ok(())
    }
    fn records(&mut self, subject_id: &str) -> Result<Vec<RecordRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, subject_id, category, sealed, at_ms, created_ms, contested FROM records
             WHERE subject_id = ?1 ORDER BY at_ms, id",
        )?;
        let rows = stmt.query_map([subject_id], sql_row(|r| crate::retention::record_from(r)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn insert_retention_event(
        &mut self,
        subject_id: &str,
        event: &str,
        at_ms: i64,
        recorded_ms: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO retention_events (subject_id, event, at_ms, recorded_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![subject_id, event, at_ms, recorded_ms])?;
        Ok(())
    }
    fn retention_page(
        &mut self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RetentionView>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut views: Vec<RetentionView> = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT id, kind, created_ms, closed_ms, erasure_ms FROM subjects WHERE id > ?1 AND erased_ms IS NULL ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, limit], |r| {
                Ok(RetentionView {
                    subject_id: r.get(0)?,
                    kind: r.get(1)?,
                    created_ms: r.get(2)?,
                    closed_ms: r.get(3)?,
                    erasure_ms: r.get(4)?,
                    ..RetentionView::default()
                })
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let (Some(first), Some(last)) = (views.first(), views.last()) else {
            return Ok(views);
        };
        let (first, last) = (first.subject_id.clone(), last.subject_id.clone());
        let index: std::collections::HashMap<String, usize> = views
            .iter()
            .enumerate()
            .map(|(i, v)| (v.subject_id.clone(), i))
            .collect();
        let range = params![first, last];
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT subject_id, event, MAX(at_ms) FROM retention_events
                 WHERE subject_id BETWEEN ?1 AND ?2 GROUP BY subject_id, event",
            )?;
            let mut rows = stmt.query(range)?;
            while let Some(r) = rows.next()? {
                if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                    views[i].events.push((r.get(1)?, r.get(2)?));
                }
            }
        }
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT subject_id, category, updated_ms FROM items WHERE subject_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(range)?;
            while let Some(r) = rows.next()? {
                if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                    views[i].items.push((r.get(1)?, r.get(2)?));
                }
            }
        }
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT subject_id, id, category, at_ms FROM records WHERE subject_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(range)?;
            while let Some(r) = rows.next()? {
                if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                    views[i].records.push((r.get(1)?, r.get(2)?, r.get(3)?));
                }
            }
        }
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT subject_id, id, category, rule, until_ms, at_ms, binding FROM separated WHERE subject_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(range)?;
            while let Some(r) = rows.next()? {
                if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                    views[i].separated.push(SeparatedPiece {
                        id: r.get(1)?,
                        category: r.get(2)?,
                        rule: r.get(3)?,
                        until_ms: r.get(4)?,
                        at_ms: r.get(5)?,
                        record: crate::record_of_binding(&r.get::<_, String>(6)?),
                    });
                }
            }
        }
        {
            let mut stmt = self.tx.prepare_cached(
                "SELECT subject_id, id, category, created_ms, processed_ms, keep FROM uploads WHERE subject_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(range)?;
            while let Some(r) = rows.next()? {
                if let Some(&i) = index.get(&r.get::<_, String>(0)?) {
                    views[i]
                        .uploads
                        .push((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?));
                }
            }
        }
        Ok(views)
    }
    fn take_item(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<ItemRecord>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM items WHERE subject_id = ?1 AND category = ?2
                 RETURNING category, sealed, blind_index, updated_ms, contested",
            )?
            .query_row(
                params![subject_id, category],
                sql_row(|r| crate::subjects::item_from(r)),
            )
            .optional()?)
    }
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM records WHERE id = ?1 AND subject_id = ?2
                 RETURNING id, subject_id, category, sealed, at_ms, created_ms, contested",
            )?
            .query_row(
                params![id, subject_id],
                sql_row(|r| crate::retention::record_from(r)),
            )
            .optional()?)
    }
    fn delete_piece(&mut self, subject_id: &str, piece: &Piece) -> Result<bool, StoreError> {
        let (sql, key) = match piece {
            Piece::Item { category } => (
                "DELETE FROM items WHERE subject_id = ?1 AND category = ?2",
                category,
            ),
            Piece::Record { id } => ("DELETE FROM records WHERE subject_id = ?1 AND id = ?2", id),
            Piece::Separated { id } => (
                "DELETE FROM separated WHERE subject_id = ?1 AND id = ?2",
                id,
            ),
            Piece::Upload { id } => ("DELETE FROM uploads WHERE subject_id = ?1 AND id = ?2", id),
        };
        Ok(self
            .tx
            .prepare_cached(sql)?
            .execute(params![subject_id, key])?
            > 0)
    }
    fn insert_separated(&mut self, r: &SeparatedRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO separated ({SEPARATED_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))?
            .execute(params![
                r.id, r.subject_id, r.category, r.binding, r.sealed, r.at_ms, r.rule, r.until_ms, r.moved_ms
            ])?;
        Ok(())
    }
    fn separated(&mut self, subject_id: &str) -> Result<Vec<SeparatedRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {SEPARATED_COLUMNS} FROM separated WHERE subject_id = ?1 ORDER BY at_ms, id"
        ))?;
        let rows = stmt.query_map(
            [subject_id],
            sql_row(|r| crate::retention::separated_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn holds_anything(&mut self, subject_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM items WHERE subject_id = ?1)
                     OR EXISTS (SELECT 1 FROM records WHERE subject_id = ?1)
                     OR EXISTS (SELECT 1 FROM separated WHERE subject_id = ?1)
                     OR EXISTS (SELECT 1 FROM uploads WHERE subject_id = ?1)",
            )?
            .query_row([subject_id], |r| r.get(0))?)
    }
    fn insert_destruction(&mut self, d: &DestructionRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO destructions (seq, at_ms, subject_id, category, storage, count, rule, basis, law, cause, method, by_key)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM destructions), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                d.at_ms, d.subject_id, d.category, d.storage, d.count, d.rule, d.basis, d.law, d.cause, d.method, d.by_key
            ])?;
        Ok(())
    }
    fn destructions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<DestructionRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {DESTRUCTION_COLUMNS} FROM destructions WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(
            params![after_seq, limit],
            sql_row(|r| crate::retention::destruction_from(r)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
