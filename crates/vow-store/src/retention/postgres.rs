//! retention on PostgreSQL.

use crate::backend::postgres::{limit_i64, PgTx};
use std::collections::HashMap;

use super::*;

impl RetentionTx for PgTx<'_, '_> {
    // ---- retention, separated storage, the destruction ledger, rights requests
    fn insert_record(&mut self, r: &RecordRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO records (id, subject_id, category, sealed, at_ms, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &r.id,
                &r.subject_id,
                &r.category,
                &r.sealed,
                &r.at_ms,
                &r.created_ms,
            ],
        )?;
        Ok(())
    }
    fn records(&mut self, subject_id: &str) -> Result<Vec<RecordRow>, StoreError> {
        let rows = self.query(
            "SELECT id, subject_id, category, sealed, at_ms, created_ms, contested FROM records
             WHERE subject_id = $1 ORDER BY at_ms, id",
            &[&subject_id],
        )?;
        rows.iter().map(crate::retention::record_from).collect()
    }
    fn insert_retention_event(
        &mut self,
        subject_id: &str,
        event: &str,
        at_ms: i64,
        recorded_ms: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO retention_events (seq, subject_id, event, at_ms, recorded_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM retention_events), $1, $2, $3, $4)",
            &[&subject_id, &event, &at_ms, &recorded_ms],
        )?;
        Ok(())
    }
    fn retention_page(
        &mut self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RetentionView>, StoreError> {
        let rows = self.query(
            "SELECT id, kind, created_ms, closed_ms, erasure_ms FROM subjects WHERE id > $1 AND erased_ms IS NULL ORDER BY id LIMIT $2",
            &[&after, &limit_i64(limit)],
        )?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(RetentionView {
                subject_id: row.try_get(0)?,
                kind: row.try_get(1)?,
                created_ms: row.try_get(2)?,
                closed_ms: row.try_get(3)?,
                erasure_ms: row.try_get(4)?,
                ..RetentionView::default()
            });
        }
        let (Some(first), Some(last)) = (views.first(), views.last()) else {
            return Ok(views);
        };
        let (first, last) = (first.subject_id.clone(), last.subject_id.clone());
        let index: HashMap<String, usize> = views
            .iter()
            .enumerate()
            .map(|(i, v)| (v.subject_id.clone(), i))
            .collect();
        for row in self.query(
            "SELECT subject_id, event, MAX(at_ms) FROM retention_events
             WHERE subject_id BETWEEN $1 AND $2 GROUP BY subject_id, event",
            &[&first, &last],
        )? {
            if let Some(&i) = index.get(&row.try_get::<_, String>(0)?) {
                views[i].events.push((row.try_get(1)?, row.try_get(2)?));
            }
        }
        for row in self.query(
            "SELECT subject_id, category, updated_ms FROM items WHERE subject_id BETWEEN $1 AND $2",
            &[&first, &last],
        )? {
            if let Some(&i) = index.get(&row.try_get::<_, String>(0)?) {
                views[i].items.push((row.try_get(1)?, row.try_get(2)?));
            }
        }
        for row in self.query(
            "SELECT subject_id, id, category, at_ms FROM records WHERE subject_id BETWEEN $1 AND $2",
            &[&first, &last],
        )? {
            if let Some(&i) = index.get(&row.try_get::<_, String>(0)?) {
                views[i]
                    .records
                    .push((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
            }
        }
        for row in self.query(
            "SELECT subject_id, id, category, rule, until_ms, at_ms, binding FROM separated WHERE subject_id BETWEEN $1 AND $2",
            &[&first, &last],
        )? {
            if let Some(&i) = index.get(&row.try_get::<_, String>(0)?) {
                views[i].separated.push(SeparatedPiece {
                    id: row.try_get(1)?,
                    category: row.try_get(2)?,
                    rule: row.try_get(3)?,
                    until_ms: row.try_get(4)?,
                    at_ms: row.try_get(5)?,
                    record: crate::record_of_binding(&row.try_get::<_, String>(6)?),
                });
            }
        }
        for row in self.query(
            "SELECT subject_id, id, category, created_ms, processed_ms, keep FROM uploads WHERE subject_id BETWEEN $1 AND $2",
            &[&first, &last],
        )? {
            if let Some(&i) = index.get(&row.try_get::<_, String>(0)?) {
                views[i].uploads.push((
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    row.try_get(4)?,
                    row.try_get(5)?,
                ));
            }
        }
        Ok(views)
    }
    fn take_item(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<ItemRecord>, StoreError> {
        let rows = self.query(
            "DELETE FROM items WHERE subject_id = $1 AND category = $2
             RETURNING category, sealed, blind_index, updated_ms, contested",
            &[&subject_id, &category],
        )?;
        rows.first().map(crate::subjects::item_from).transpose()
    }
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError> {
        let rows = self.query(
            "DELETE FROM records WHERE id = $1 AND subject_id = $2
             RETURNING id, subject_id, category, sealed, at_ms, created_ms, contested",
            &[&id, &subject_id],
        )?;
        rows.first().map(crate::retention::record_from).transpose()
    }
    fn delete_piece(&mut self, subject_id: &str, piece: &Piece) -> Result<bool, StoreError> {
        let (sql, key) = match piece {
            Piece::Item { category } => (
                "DELETE FROM items WHERE subject_id = $1 AND category = $2",
                category,
            ),
            Piece::Record { id } => ("DELETE FROM records WHERE subject_id = $1 AND id = $2", id),
            Piece::Separated { id } => (
                "DELETE FROM separated WHERE subject_id = $1 AND id = $2",
                id,
            ),
            Piece::Upload { id } => ("DELETE FROM uploads WHERE subject_id = $1 AND id = $2", id),
        };
        Ok(self.execute(sql, &[&subject_id, key])? > 0)
    }
    fn insert_separated(&mut self, r: &SeparatedRow) -> Result<(), StoreError> {
        self.execute(
            concat!(
                "INSERT INTO separated (",
                separated_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                &r.id,
                &r.subject_id,
                &r.category,
                &r.binding,
                &r.sealed,
                &r.at_ms,
                &r.rule,
                &r.until_ms,
                &r.moved_ms,
            ],
        )?;
        Ok(())
    }
    fn separated(&mut self, subject_id: &str) -> Result<Vec<SeparatedRow>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                separated_columns!(),
                " FROM separated WHERE subject_id = $1 ORDER BY at_ms, id"
            ),
            &[&subject_id],
        )?;
        rows.iter().map(crate::retention::separated_from).collect()
    }
    fn holds_anything(&mut self, subject_id: &str) -> Result<bool, StoreError> {
        let rows = self.query(
            "SELECT EXISTS (SELECT 1 FROM items WHERE subject_id = $1)
                 OR EXISTS (SELECT 1 FROM records WHERE subject_id = $1)
                 OR EXISTS (SELECT 1 FROM separated WHERE subject_id = $1)
                 OR EXISTS (SELECT 1 FROM uploads WHERE subject_id = $1)",
            &[&subject_id],
        )?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Ok(false),
        }
    }
    fn insert_destruction(&mut self, d: &DestructionRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO destructions (seq, at_ms, subject_id, category, storage, count, rule, basis, law, cause, method, by_key)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM destructions), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &d.at_ms,
                &d.subject_id,
                &d.category,
                &d.storage,
                &d.count,
                &d.rule,
                &d.basis,
                &d.law,
                &d.cause,
                &d.method,
                &d.by_key,
            ],
        )?;
        Ok(())
    }
    fn destructions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<DestructionRow>, StoreError> {
        let rows = self.query(
            "SELECT seq, at_ms, subject_id, category, storage, count, rule, basis, law, cause, method, by_key
             FROM destructions WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after_seq, &limit_i64(limit)],
        )?;
        rows.iter()
            .map(crate::retention::destruction_from)
            .collect()
    }
}
