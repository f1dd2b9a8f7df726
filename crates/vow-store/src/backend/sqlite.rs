//! The embedded default: one SQLite file in a data directory, in WAL mode, synced on every commit so
//! that an acknowledged write survives a crash. Several processes may share the directory: writers
//! take SQLite's write lock before reading the log's head.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vow_audit::{Entry, Position};

use crate::batch::{self};
use crate::remembered::{self, Inspection, Remember, Remembered};
use crate::schema;
use crate::{Durability, Op, Outcome, Request, RetentionOp, StoreError};

pub(crate) const DATABASE_FILE: &str = "vow.db";
pub(crate) const KEY_DATABASE_FILE: &str = "keys.db";
pub(crate) struct SqliteBackend {
    conn: Connection,
}

impl SqliteBackend {
    pub(crate) fn open(dir: &Path, durability: Durability) -> Result<SqliteBackend, StoreError> {
        let dir_error = |reason: String| StoreError::Directory {
            path: dir.to_path_buf(),
            reason,
        };
        vow_crypto::create_private_dir(dir).map_err(|e| dir_error(e.to_string()))?;
        if !dir.is_dir() {
            return Err(dir_error("not a directory".to_string()));
        }
        for file in [DATABASE_FILE, KEY_DATABASE_FILE] {
            vow_crypto::create_private_file(&dir.join(file))
                .map_err(|e| dir_error(format!("cannot create {file}: {e}")))?;
        }
        let mut conn = Connection::open(dir.join(DATABASE_FILE))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS keys",
            [dir.join(KEY_DATABASE_FILE).to_string_lossy().as_ref()],
        )?;
        // WAL lets readers proceed during a write; FULL syncs the WAL at every commit, the price of
        // "acknowledged means durable" that group commit spreads over a whole batch. secure_delete
        // overwrites freed pages, so even sealed bytes of an erased subject do not linger in the file.
        // The key database keeps a rollback journal instead of a WAL: a WAL would hold old copies of
        // pages, and so of destroyed keys, until its next checkpoint.
        let main_sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA main.journal_mode = WAL;
             PRAGMA keys.journal_mode = DELETE;
             PRAGMA main.synchronous = {main_sync};
             PRAGMA keys.synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA main.secure_delete = ON;
             PRAGMA keys.secure_delete = ON;
             PRAGMA busy_timeout = 10000;"
        ))?;
        migrate(&mut conn)?;
        repair_key_store(&mut conn)?;
        // One cached statement per multi-row INSERT size, plus the others.
        conn.set_prepared_statement_cache_capacity(schema::AUDIT_ROWS_PER_STATEMENT + 32);
        Ok(SqliteBackend { conn })
    }

    pub(crate) fn apply(
        &mut self,
        batch: &[Request],
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        // IMMEDIATE takes the write lock before the log's head is read, so a second process on the same
        // directory (`vow keys create` beside `vow serve`) waits its turn instead of forking the chain.
        batch::apply_with_fallback(batch, |requests| {
            let mut tx = SqliteTx {
                tx: self
                    .conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            };
            let attempt = batch::apply_all(&mut tx, requests);
            if attempt.is_ok() {
                tx.tx.commit()?;
            }
            // Dropping an uncommitted transaction rolls it back.
            Ok(attempt)
        })
        .and_then(|results| {
            if destroyed_something(batch, &results) {
                self.forget_destroyed()?;
            }
            Ok(results)
        })
    }

    /// Once a destruction commits, the pages that held the destroyed values are copied back into
    /// the database file (where secure_delete has zeroed them) and the WAL is cut to nothing, before
    /// anyone hears the destruction is done: no old copy stays in the WAL while the process runs.
    /// A reader of another process can hold the WAL's frames for a moment; the busy timeout waits
    /// for it.
    fn forget_destroyed(&mut self) -> Result<(), StoreError> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            // Another process still reads an older snapshot: try once more after it moved on.
            std::thread::sleep(std::time::Duration::from_millis(50));
            self.conn
                .query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })?;
        }
        Ok(())
    }

    /// Every chain's newest entry: SQLite's log is chain 0 alone.
    pub(crate) fn audit_heads(&mut self) -> Result<Vec<Entry>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(schema::LOG_LAST_SQLITE)?
            .query_row([], sql_row(|r| crate::audit::entry_from(r)))
            .optional()?;
        Ok(raw.into_iter().collect())
    }

    pub(crate) fn audit_page(
        &mut self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        if after.chain != 0 {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(schema::LOG_PAGE_SQLITE)?;
        let rows = stmt.query_map(
            params![
                i64::try_from(after.seq).unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            sql_row(|r| crate::audit::entry_from(r)),
        )?;
        rows.map(|row| row.map_err(StoreError::from)).collect()
    }

    pub(crate) fn remember(&mut self, what: &Remember) -> Result<Remembered, StoreError> {
        match what {
            Remember::Read => {}
            Remember::AuditKey(key) => {
                self.conn.execute(
                    "INSERT INTO keys.vault_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    params![remembered::AUDIT_KEY, &key[..]],
                )?;
            }
            Remember::Head(cp) => {
                // Unqualified columns in DO UPDATE name the row already there.
                self.conn.execute(
                    "INSERT INTO keys.signed_head (id, seq, hash, at_ms, signature, heads)
                     VALUES (1, ?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                       at_ms = excluded.at_ms, signature = excluded.signature, heads = excluded.heads
                     WHERE excluded.seq > seq",
                    params![
                        cp.seq as i64,
                        &cp.hash[..],
                        cp.at_ms,
                        cp.signature,
                        remembered::encode_heads(cp)
                    ],
                )?;
            }
        }
        let audit_key: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM keys.vault_meta WHERE name = ?1",
                [remembered::AUDIT_KEY],
                |r| r.get(0),
            )
            .optional()?;
        let head = self
            .conn
            .query_row(
                "SELECT seq, hash, at_ms, signature, heads FROM keys.signed_head WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()?;
        Ok(Remembered {
            audit_key: remembered::audit_key(audit_key)?,
            signed_head: head
                .map(|(seq, hash, at_ms, sig, heads)| {
                    remembered::signed_head(seq, &hash, at_ms, sig, heads)
                })
                .transpose()?,
        })
    }
}

/// What the data directory holds, read without creating or changing anything in it.
/// Whether a committed batch destroyed a value (a disposal, an erasure's consent evidence).
fn destroyed_something(batch: &[Request], results: &[Result<Outcome, StoreError>]) -> bool {
    batch.iter().zip(results).any(|(request, result)| {
        matches!(
            (&request.op, result),
            (Op::Retention(RetentionOp::Dispose { .. }), Ok(Outcome::Disposed(done))) if done.destroyed > 0 || done.shredded
        ) || matches!(
            (&request.op, result),
            (
                Op::Retention(RetentionOp::CloseSubject { erasure: true, .. }),
                Ok(Outcome::Done)
            )
        )
    })
}

pub(crate) fn inspect(dir: &Path) -> Result<Inspection, StoreError> {
    let database = dir.join(DATABASE_FILE);
    if !database.is_file() {
        return Ok(Inspection::default());
    }
    // Opened for writing only so that SQLite can share the WAL with a running server; nothing is
    // written, and the file is never created (no CREATE flag).
    let conn = Connection::open_with_flags(
        &database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let has_table = |schema: &str, table: &str| -> Result<bool, StoreError> {
        Ok(conn
            .prepare(&format!(
                "SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?1"
            ))?
            .exists([table])?)
    };
    let holds_data = has_table("main", "audit_log")?
        && conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM subjects) OR EXISTS (SELECT 1 FROM api_keys)
               OR EXISTS (SELECT 1 FROM audit_log)",
            [],
            |r| r.get::<_, bool>(0),
        )?;
    let keys = dir.join(KEY_DATABASE_FILE);
    let mut audit_key = None;
    if keys.is_file() {
        conn.execute(
            "ATTACH DATABASE ?1 AS keys",
            [keys.to_string_lossy().as_ref()],
        )?;
        if has_table("keys", "vault_meta")? {
            audit_key = conn
                .query_row(
                    "SELECT value FROM keys.vault_meta WHERE name = ?1",
                    [remembered::AUDIT_KEY],
                    |r| r.get(0),
                )
                .optional()?;
        }
    }
    Ok(Inspection {
        holds_data,
        audit_key: remembered::audit_key(audit_key)?,
    })
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS vow_schema (version INTEGER NOT NULL)")?;
    let found: i64 = tx
        .query_row("SELECT MAX(version) FROM vow_schema", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0);
    let supported = schema::SQLITE.len() as i64;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (index, sql) in schema::SQLITE.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO vow_schema (version) VALUES (?1)",
            [index as i64 + 1],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A transaction over two SQLite files commits each file atomically but not both as a set, so a crash
/// in between can leave a key without a live subject, or a live subject without its key. Both halves
/// were on their way out or never acknowledged: finish the erasure.
fn repair_key_store(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "DELETE FROM keys.subject_keys
           WHERE subject_id NOT IN (SELECT id FROM subjects WHERE erased_ms IS NULL);
         DELETE FROM items WHERE subject_id IN (
           SELECT id FROM subjects WHERE erased_ms IS NULL
             AND id NOT IN (SELECT subject_id FROM keys.subject_keys));
         UPDATE subjects SET external_id = NULL, erased_ms = created_ms
           WHERE erased_ms IS NULL AND id NOT IN (SELECT subject_id FROM keys.subject_keys);",
    )?;
    tx.commit()?;
    Ok(())
}

pub(crate) struct SqliteTx<'c> {
    pub(crate) tx: Transaction<'c>,
}

/// A row mapper written once for both backends ([`crate::Cols`]), as rusqlite's row callbacks take it.
pub(crate) fn sql_row<T>(
    map: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T> {
    move |row| {
        map(row).map_err(|error| match error {
            StoreError::Sqlite(error) => error,
            other => rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Null,
                Box::new(other),
            ),
        })
    }
}
