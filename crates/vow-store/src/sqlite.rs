//! The embedded default: one SQLite file in a data directory, in WAL mode, synced on every commit so
//! that an acknowledged write survives a crash. Several processes may share the directory: writers
//! take SQLite's write lock before reading the log's head.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vow_audit::Entry;

use crate::batch::{self, Tx};
use crate::remembered::{self, Inspection, Remember, Remembered};
use crate::schema;
use crate::{
    ApiKeyRecord, CampaignSubject, ConsentEvent, ConsentState, DestructionRow, Durability,
    ItemRecord, Op, OutboxRecord, Outcome, Piece, ProvisionRow, RecordRow, Request, RetentionView,
    RightsRequestRow, SeparatedPiece, SeparatedRow, StoreError, SubjectRecord, UploadRow,
};

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
/// Whether a committed batch destroyed a value (a disposal, an erasure's consent evidence).
fn destroyed_something(batch: &[Request], results: &[Result<Outcome, StoreError>]) -> bool {
    batch.iter().zip(results).any(|(request, result)| {
        matches!(
            (&request.op, result),
            (Op::Dispose { .. }, Ok(Outcome::Disposed(done))) if done.destroyed > 0 || done.shredded
        ) || matches!(
            (&request.op, result),
            (Op::CloseSubject { erasure: true, .. }, Ok(Outcome::Done))
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
        minor: row.get(5)?,
        restricted: row.get(6)?,
        closed_ms: row.get(7)?,
        erasure_ms: row.get(8)?,
        born_sealed: row.get(9)?,
    })
}

/// The columns [`consent_event_row`] reads, in its order.
pub(crate) const CONSENT_EVENT_COLUMNS: &str = "e.seq, e.id, e.subject_id, e.purpose, e.channel, e.night, e.change, e.at_ms, \
     e.recorded_ms, e.policy_version, e.by_guardian, e.evidence, e.key_id, e.notice_due_ms, n.sent_ms";

fn consent_event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentEvent> {
    Ok(ConsentEvent {
        seq: row.get(0)?,
        id: row.get(1)?,
        subject_id: row.get(2)?,
        purpose: row.get(3)?,
        channel: row.get(4)?,
        night: row.get(5)?,
        change: row.get(6)?,
        at_ms: row.get(7)?,
        recorded_ms: row.get(8)?,
        policy_version: row.get(9)?,
        by_guardian: row.get(10)?,
        evidence: row.get(11)?,
        key_id: row.get(12)?,
        notice_due_ms: row.get(13)?,
        notice_sent_ms: row.get(14)?,
    })
}

/// The columns [`consent_state_row`] reads, in its order.
pub(crate) const CONSENT_STATE_COLUMNS: &str =
    "c.subject_id, c.purpose, c.channel, c.night, c.granted, c.since_ms, c.changed_ms";

fn consent_state_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentState> {
    Ok(ConsentState {
        subject_id: row.get(0)?,
        purpose: row.get(1)?,
        channel: row.get(2)?,
        night: row.get(3)?,
        granted: row.get(4)?,
        since_ms: row.get(5)?,
        changed_ms: row.get(6)?,
    })
}

pub(crate) const OUTBOX_COLUMNS: &str =
    "seq, id, subject_id, kind, body, created_ms, attempts, delivered_ms";

fn outbox_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRecord> {
    Ok(OutboxRecord {
        seq: row.get(0)?,
        id: row.get(1)?,
        subject_id: row.get(2)?,
        kind: row.get(3)?,
        body: row.get(4)?,
        created_ms: row.get(5)?,
        attempts: row.get(6)?,
        delivered_ms: row.get(7)?,
    })
}

fn item_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRecord> {
    Ok(ItemRecord {
        category: row.get(0)?,
        sealed: row.get(1)?,
        blind_index: row.get(2)?,
        updated_ms: row.get(3)?,
        contested: row.get(4)?,
    })
}

fn record_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: row.get(0)?,
        subject_id: row.get(1)?,
        category: row.get(2)?,
        sealed: row.get(3)?,
        at_ms: row.get(4)?,
        created_ms: row.get(5)?,
        contested: row.get(6)?,
    })
}

pub(crate) const UPLOAD_COLUMNS: &str =
    "id, subject_id, category, sealed_key, bytes, media_type, created_ms, processed_ms, keep, contested";

fn upload_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRow> {
    Ok(UploadRow {
        id: row.get(0)?,
        subject_id: row.get(1)?,
        category: row.get(2)?,
        sealed_key: row.get(3)?,
        bytes: row.get(4)?,
        media_type: row.get(5)?,
        created_ms: row.get(6)?,
        processed_ms: row.get(7)?,
        keep: row.get(8)?,
        contested: row.get(9)?,
    })
}

pub(crate) const SEPARATED_COLUMNS: &str =
    "id, subject_id, category, binding, sealed, at_ms, rule, until_ms, moved_ms";

fn separated_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SeparatedRow> {
    Ok(SeparatedRow {
        id: row.get(0)?,
        subject_id: row.get(1)?,
        category: row.get(2)?,
        binding: row.get(3)?,
        sealed: row.get(4)?,
        at_ms: row.get(5)?,
        rule: row.get(6)?,
        until_ms: row.get(7)?,
        moved_ms: row.get(8)?,
    })
}

pub(crate) const DESTRUCTION_COLUMNS: &str =
    "seq, at_ms, subject_id, category, storage, count, rule, basis, law, cause, method, by_key";

fn destruction_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DestructionRow> {
    Ok(DestructionRow {
        seq: row.get(0)?,
        at_ms: row.get(1)?,
        subject_id: row.get(2)?,
        category: row.get(3)?,
        storage: row.get(4)?,
        count: row.get(5)?,
        rule: row.get(6)?,
        basis: row.get(7)?,
        law: row.get(8)?,
        cause: row.get(9)?,
        method: row.get(10)?,
        by_key: row.get(11)?,
    })
}

pub(crate) const REQUEST_COLUMNS: &str =
    "id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail";

fn request_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RightsRequestRow> {
    Ok(RightsRequestRow {
        id: row.get(0)?,
        subject_id: row.get(1)?,
        kind: row.get(2)?,
        state: row.get(3)?,
        received_ms: row.get(4)?,
        due_ms: row.get(5)?,
        updated_ms: row.get(6)?,
        detail: row.get(7)?,
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
    ) -> Result<Option<batch::ItemWithKey>, StoreError> {
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
                Ok(batch::ItemWithKey {
                    wrapped_key: row.get(5)?,
                    item: item_row(row)?,
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
        let rows = stmt.query_map([subject_id], item_row)?;
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
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM consent_state WHERE subject_id = ?1")?
            .execute([subject_id])?;
        Ok(())
    }
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError> {
        let emptied = self
            .tx
            .prepare_cached(
                "UPDATE consent_events SET evidence = X'' WHERE subject_id = ?1 AND length(evidence) > 0",
            )?
            .execute([subject_id])?;
        Ok(i64::try_from(emptied).unwrap_or(i64::MAX))
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
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_STATE_COLUMNS} FROM consent_state c WHERE c.subject_id = ?1
             ORDER BY c.purpose, c.channel, c.night"
        ))?;
        let rows = stmt.query_map([subject_id], consent_state_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn insert_consent_event(&mut self, e: &ConsentEvent) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO consent_events (seq, id, subject_id, purpose, channel, night, change, at_ms,
                   recorded_ms, policy_version, by_guardian, evidence, key_id, notice_due_ms)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_events),
                   ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                e.id,
                e.subject_id,
                e.purpose,
                e.channel,
                e.night,
                e.change,
                e.at_ms,
                e.recorded_ms,
                e.policy_version,
                e.by_guardian,
                e.evidence,
                e.key_id,
                e.notice_due_ms
            ])?;
        Ok(())
    }
    fn upsert_consent_state(&mut self, c: &ConsentState) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO consent_state
                   (subject_id, purpose, channel, night, granted, since_ms, changed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                c.subject_id,
                c.purpose,
                c.channel,
                c.night,
                c.granted,
                c.since_ms,
                c.changed_ms
            ])?;
        Ok(())
    }
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_EVENT_COLUMNS} FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id
             WHERE e.seq > ?1 AND (?2 IS NULL OR e.subject_id = ?2) ORDER BY e.seq LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after_seq, subject_id, limit], consent_event_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError> {
        // One statement per call: the ids travel as one JSON array.
        let ids = serde_json::to_string(subject_ids).map_err(|e| StoreError::Corrupt {
            table: "consent_state",
            reason: e.to_string(),
        })?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT s.id, s.closed_ms, {CONSENT_STATE_COLUMNS} FROM subjects s
             LEFT JOIN consent_state c ON c.subject_id = s.id
               AND ((c.purpose = ?2 AND c.channel = ?3) OR (s.minor AND c.purpose = ?4))
             WHERE s.id IN (SELECT value FROM json_each(?1)) AND s.erased_ms IS NULL
             ORDER BY s.id"
        ))?;
        let mut rows = stmt.query(params![ids, purpose, channel, crate::GUARDIAN_PURPOSE])?;
        let mut found: Vec<CampaignSubject> = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let state = match row.get::<_, Option<String>>(2)? {
                Some(_) => Some(ConsentState {
                    subject_id: row.get(2)?,
                    purpose: row.get(3)?,
                    channel: row.get(4)?,
                    night: row.get(5)?,
                    granted: row.get(6)?,
                    since_ms: row.get(7)?,
                    changed_ms: row.get(8)?,
                }),
                None => None,
            };
            match found.last_mut() {
                Some(last) if last.id == id => last.states.extend(state),
                _ => found.push(CampaignSubject {
                    id,
                    closed_ms: row.get(1)?,
                    states: state.into_iter().collect(),
                }),
            }
        }
        Ok(found)
    }
    fn consents_due(
        &mut self,
        purpose: &str,
        since_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<ConsentState>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_STATE_COLUMNS} FROM consent_state c
             WHERE c.purpose = ?1 AND c.granted = 1 AND c.since_ms < ?2
             ORDER BY c.since_ms, c.subject_id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![purpose, since_before_ms, limit], consent_state_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONSENT_EVENT_COLUMNS} FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id
             WHERE e.notice_due_ms IS NOT NULL AND n.event_id IS NULL
             ORDER BY e.notice_due_ms, e.seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], consent_event_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT e.notice_due_ms IS NOT NULL, n.event_id IS NOT NULL, e.at_ms FROM consent_events e
                 LEFT JOIN consent_notices n ON n.event_id = e.id WHERE e.id = ?1",
            )?
            .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }
    fn insert_notice(
        &mut self,
        event_id: &str,
        at_ms: i64,
        key_id: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO consent_notices (event_id, sent_ms, key_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![event_id, at_ms, key_id])?;
        Ok(())
    }
    fn insert_outbox(&mut self, o: &OutboxRecord) -> Result<bool, StoreError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO outbox (seq, id, subject_id, kind, body, created_ms, next_attempt_ms)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![o.id, o.subject_id, o.kind, o.body, o.created_ms])?;
        Ok(inserted > 0)
    }
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let candidates: Vec<OutboxRecord> = {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox o
                 WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= ?1
                   AND (o.lease_ms IS NULL OR o.lease_ms <= ?1)
                   AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.delivered_ms IS NULL
                     AND p.subject_id = o.subject_id AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![now_ms, limit], outbox_row)?;
            rows.collect::<Result<_, _>>()?
        };
        let mut claimed = Vec::with_capacity(candidates.len());
        for record in candidates {
            let changed = self
                .tx
                .prepare_cached(
                    "UPDATE outbox SET lease_ms = ?2 WHERE seq = ?1 AND delivered_ms IS NULL
                       AND (lease_ms IS NULL OR lease_ms <= ?3)",
                )?
                .execute(params![record.seq, lease_until_ms, now_ms])?;
            if changed > 0 {
                claimed.push(record);
            }
        }
        Ok(claimed)
    }
    fn finish_delivery(
        &mut self,
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE outbox SET delivered_ms = ?2, next_attempt_ms = ?3, last_error = ?4,
                   attempts = attempts + 1, lease_ms = NULL WHERE seq = ?1",
            )?
            .execute(params![seq, delivered_ms, next_attempt_ms, error])?;
        Ok(())
    }
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after_seq, limit], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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
        let rows = stmt.query_map([subject_id], record_row)?;
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
            .query_row(params![subject_id, category], item_row)
            .optional()?)
    }
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM records WHERE id = ?1 AND subject_id = ?2
                 RETURNING id, subject_id, category, sealed, at_ms, created_ms, contested",
            )?
            .query_row(params![id, subject_id], record_row)
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
        let rows = stmt.query_map([subject_id], separated_row)?;
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
        let rows = stmt.query_map(params![after_seq, limit], destruction_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn insert_rights_request(&mut self, r: &RightsRequestRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO rights_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))?
            .execute(params![
                r.id, r.subject_id, r.kind, r.state, r.received_ms, r.due_ms, r.updated_ms, r.detail
            ])?;
        Ok(())
    }
    fn update_rights_request(
        &mut self,
        r: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE rights_requests SET state = ?2, due_ms = ?3, updated_ms = ?4, detail = ?5
                 WHERE id = ?1 AND state = ?6",
            )?
            .execute(params![
                r.id,
                r.state,
                r.due_ms,
                r.updated_ms,
                r.detail,
                expected_state
            ])?
            > 0)
    }
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS} FROM rights_requests
             WHERE (?1 IS NULL OR id = ?1) AND (NOT ?2 OR state NOT IN ('completed', 'refused'))
             ORDER BY due_ms, id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![id, open_only, limit], request_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
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
                Ok((upload_row(row)?, row.get(10)?, row.get(11)?))
            })
            .optional()?)
    }
    fn uploads(&mut self, subject_id: &str) -> Result<Vec<UploadRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE subject_id = ?1 ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map([subject_id], upload_row)?;
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
            .query_row(params![subject_id, id], upload_row)
            .optional()?)
    }
    fn insert_provision(&mut self, p: &ProvisionRow) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO provisions (seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role)
                 VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 RETURNING seq",
            )?
            .query_row(
                params![
                    p.at_ms, p.recipient, p.recipient_kind, p.categories, p.purpose, p.count, p.subject_id, p.key_id, p.role
                ],
                |r| r.get(0),
            )?)
    }
    fn provisions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ProvisionRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role
             FROM provisions WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |row| {
            Ok(ProvisionRow {
                seq: row.get(0)?,
                at_ms: row.get(1)?,
                recipient: row.get(2)?,
                recipient_kind: row.get(3)?,
                categories: row.get(4)?,
                purpose: row.get(5)?,
                count: row.get(6)?,
                subject_id: row.get(7)?,
                key_id: row.get(8)?,
                role: row.get(9)?,
            })
        })?;
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
