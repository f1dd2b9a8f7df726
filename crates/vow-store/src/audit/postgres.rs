//! audit on PostgreSQL.

use std::sync::OnceLock;

use super::*;
use crate::backend::postgres::{limit_i64, PgTx, COMMIT_ORDER_LOCK};

/// The cut statements, written from [`CUT_COLUMNS`] once (prepared statements are cached by
/// `&'static str`).
fn insert_cut_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "INSERT INTO audit_cuts ({CUT_COLUMNS}, chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
    })
}

fn cuts_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!("SELECT {CUT_COLUMNS}, chain::bigint FROM audit_cuts ORDER BY chain, to_seq")
    })
}

/// A chain id as its INTEGER column takes it (ids are claimed below 2^31, see `backend/postgres.rs`).
pub(crate) fn chain_i32(chain: u32) -> i32 {
    i32::try_from(chain).unwrap_or(i32::MAX)
}

impl AuditTx for PgTx<'_, '_> {
    fn chain_id(&self) -> u32 {
        self.chain
    }
    fn lock_commit_order(&mut self) -> Result<(), StoreError> {
        // Released at commit or rollback. The log itself needs no lock: each writer has its chain.
        let statement = self.statement("SELECT pg_advisory_xact_lock($1, $2)")?;
        self.tx
            .execute(&statement, &[&self.locks.class, &COMMIT_ORDER_LOCK])?;
        Ok(())
    }
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        let chain = chain_i32(self.chain);
        let rows = self.query(schema::LOG_CHAIN_HEAD_POSTGRES, &[&chain])?;
        rows.first().map(crate::audit::entry_from).transpose()
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql_cached(chunk.len(), true);
            let statement = match self.audit_statements.get(&chunk.len()) {
                Some(statement) => statement.clone(),
                None => {
                    let statement = self.tx.prepare(sql)?;
                    self.audit_statements.insert(chunk.len(), statement.clone());
                    statement
                }
            };
            // chain, seq, action and categories as their columns store them; the hashes as slices.
            type Encoded<'e> = (i32, i64, String, String, &'e [u8], &'e [u8]);
            let encoded: Vec<Encoded<'_>> = chunk
                .iter()
                .map(|e| {
                    (
                        chain_i32(e.chain),
                        e.seq as i64,
                        schema::encode_action(&e.action),
                        schema::encode_categories(&e.categories),
                        &e.prev_hash[..],
                        &e.hash[..],
                    )
                })
                .collect();
            let mut values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
                Vec::with_capacity(chunk.len() * 12);
            for (e, (chain, seq, action, categories, prev, hash)) in chunk.iter().zip(&encoded) {
                values.extend_from_slice(&[
                    chain,
                    seq,
                    &e.at_ms,
                    &e.key_id,
                    &e.role,
                    &e.source,
                    &e.subject_id,
                    action,
                    categories,
                    &e.reason,
                    prev,
                    hash,
                ]);
            }
            self.tx.execute(&statement, &values)?;
        }
        Ok(())
    }
    fn audit_entry(&mut self, at: Position) -> Result<Option<Entry>, StoreError> {
        let seq = i64::try_from(at.seq).unwrap_or(i64::MAX);
        let rows = self.query(schema::LOG_ENTRY_POSTGRES, &[&chain_i32(at.chain), &seq])?;
        rows.first().map(crate::audit::entry_from).transpose()
    }
    fn insert_cut(&mut self, c: &Cut) -> Result<(), StoreError> {
        self.execute(
            insert_cut_sql(),
            &[
                &i64::try_from(c.to_seq).unwrap_or(i64::MAX),
                &i64::try_from(c.from_seq).unwrap_or(i64::MAX),
                &&c.prev_hash[..],
                &&c.head_hash[..],
                &i64::try_from(c.entries).unwrap_or(i64::MAX),
                &c.first_at_ms,
                &c.last_at_ms,
                &c.signature,
                &chain_i32(c.chain),
            ],
        )?;
        Ok(())
    }
    fn cuts(&mut self) -> Result<Vec<Cut>, StoreError> {
        let rows = self.query(cuts_sql(), &[])?;
        rows.iter().map(crate::audit::cut_from).collect()
    }
    fn delete_audit_through(
        &mut self,
        chain: u32,
        through_seq: u64,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let through = i64::try_from(through_seq).unwrap_or(i64::MAX);
        self.execute(
            "DELETE FROM audit_log WHERE chain = $1 AND seq IN (
               SELECT seq FROM audit_log WHERE chain = $1 AND seq <= $2 ORDER BY seq LIMIT $3)",
            &[&chain_i32(chain), &through, &limit_i64(limit)],
        )
    }
}
