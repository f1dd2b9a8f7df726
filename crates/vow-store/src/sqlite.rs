//! The embedded default: one SQLite file in a data directory, in WAL mode, synced on every commit so
//! that an acknowledged write survives a crash. Several processes may share the directory: writers
//! take SQLite's write lock before reading the log's head.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vow_audit::Entry;

use crate::batch::{self, Tx};
use crate::remembered::{self, Inspection, Remember, Remembered};
use crate::schema;
use crate::{ApiKeyRecord, Durability, ItemRecord, Outcome, Request, StoreError, SubjectRecord};

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
    }

    pub(crate) fn audit_last(&mut self) -> Result<Option<Entry>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(schema::LOG_LAST)?
            .query_row([], raw_entry)
            .optional()?;
        raw.map(entry_from_raw).transpose()
    }

    pub(crate) fn audit_page(
        &mut self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(schema::LOG_PAGE_SQLITE)?;
        let rows = stmt.query_map(params![after as i64, limit as i64], raw_entry)?;
        rows.map(|row| row.map_err(StoreError::from).and_then(entry_from_raw))
            .collect()
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
                    "INSERT INTO keys.signed_head (id, seq, hash, at_ms, signature) VALUES (1, ?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                       at_ms = excluded.at_ms, signature = excluded.signature
                     WHERE excluded.seq > seq",
                    params![cp.seq as i64, &cp.hash[..], cp.at_ms, cp.signature],
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
                "SELECT seq, hash, at_ms, signature FROM keys.signed_head WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(Remembered {
            audit_key: remembered::audit_key(audit_key)?,
            signed_head: head
                .map(|(seq, hash, at_ms, sig)| remembered::signed_head(seq, &hash, at_ms, sig))
                .transpose()?,
        })
    }
}

/// What the data directory holds, read without creating or changing anything in it.
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

type RawEntry = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Vec<u8>,
    Vec<u8>,
);

fn raw_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
    ))
}

pub(crate) fn entry_from_raw(raw: RawEntry) -> Result<Entry, StoreError> {
    let (seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev, hash) =
        raw;
    Ok(Entry {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            table: "audit_log",
            reason: format!("negative seq {seq}"),
        })?,
        at_ms,
        key_id,
        role,
        source,
        subject_id,
        action: schema::decode_action(&action)?,
        categories: schema::decode_categories(&categories)?,
        reason,
        prev_hash: schema::hash32(&prev, "prev_hash")?,
        hash: schema::hash32(&hash, "hash")?,
    })
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

fn subject_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SubjectRecord> {
    Ok(SubjectRecord {
        id: row.get(0)?,
        external_id: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        kind: row.get(2)?,
        wrapped_key: row.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
        created_ms: row.get(4)?,
    })
}

fn item_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRecord> {
    Ok(ItemRecord {
        category: row.get(0)?,
        sealed: row.get(1)?,
        blind_index: row.get(2)?,
        updated_ms: row.get(3)?,
    })
}

fn api_key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.get(0)?,
        digest: row.get(1)?,
        role: row.get(2)?,
        label: row.get(3)?,
        created_ms: row.get(4)?,
        revoked_ms: row.get(5)?,
    })
}

impl Tx for SqliteTx<'_> {
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        let raw = self
            .tx
            .prepare_cached(schema::LOG_LAST)?
            .query_row([], raw_entry)
            .optional()?;
        raw.map(entry_from_raw).transpose()
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql(chunk.len(), |n| format!("?{n}"));
            let mut statement = self.tx.prepare_cached(&sql)?;
            let encoded: Vec<(String, String)> = chunk
                .iter()
                .map(|e| {
                    (
                        schema::encode_action(&e.action),
                        schema::encode_categories(&e.categories),
                    )
                })
                .collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 11);
            let seqs: Vec<i64> = chunk.iter().map(|e| e.seq as i64).collect();
            for ((e, (action, categories)), seq) in chunk.iter().zip(&encoded).zip(&seqs) {
                values.extend_from_slice(&[
                    seq,
                    &e.at_ms,
                    &e.key_id,
                    &e.role,
                    &e.source,
                    &e.subject_id,
                    action,
                    categories,
                    &e.reason,
                    &e.prev_hash,
                    &e.hash,
                ]);
            }
            statement.execute(values.as_slice())?;
        }
        Ok(())
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
                "INSERT INTO subjects (id, external_id, kind, created_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![s.id, s.external_id, s.kind, s.created_ms])?;
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
                "SELECT s.id, s.external_id, s.kind, k.wrapped_key, s.created_ms
                 FROM subjects s LEFT JOIN keys.subject_keys k ON k.subject_id = s.id
                 WHERE s.id = ?1 AND s.erased_ms IS NULL",
            )?
            .query_row([id], subject_row)
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
    ) -> Result<Option<(Vec<u8>, ItemRecord)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT i.category, i.sealed, i.blind_index, i.updated_ms, k.wrapped_key
                 FROM items i
                 JOIN subjects s ON s.id = i.subject_id AND s.erased_ms IS NULL
                 JOIN keys.subject_keys k ON k.subject_id = i.subject_id
                 WHERE i.subject_id = ?1 AND i.category = ?2",
            )?
            .query_row(params![subject_id, category], |row| {
                Ok((row.get(4)?, item_row(row)?))
            })
            .optional()?)
    }
    fn items(&mut self, subject_id: &str) -> Result<Vec<ItemRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT category, sealed, blind_index, updated_ms FROM items WHERE subject_id = ?1 ORDER BY category",
        )?;
        let rows = stmt.query_map([subject_id], item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn lookup(&mut self, category: &str, blind_index: &[u8]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT subject_id FROM items WHERE category = ?1 AND blind_index = ?2 ORDER BY subject_id LIMIT 100",
        )?;
        let rows = stmt.query_map(params![category, blind_index], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn erase_subject(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM items WHERE subject_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM keys.subject_keys WHERE subject_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("UPDATE subjects SET external_id = NULL, erased_ms = ?2 WHERE id = ?1")?
            .execute(params![id, at_ms])?;
        Ok(())
    }
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
        let rows = stmt.query_map([], api_key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
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
}
