//! PostgreSQL, for when one machine is not enough: several `vow serve` processes share one database.
//! The access log stays one chain because every writing transaction takes the log's table lock before
//! reading its head.

use std::collections::HashMap;

use postgres::{Client, NoTls, Statement, Transaction};
use vow_audit::Entry;

use crate::batch::{self, Tx};
use crate::remembered::{self, Inspection, Remember, Remembered};
use crate::schema;
use crate::{
    ApiKeyRecord, CampaignSubject, ConsentEvent, ConsentState, DestructionRow, Durability,
    ItemRecord, OutboxRecord, Outcome, Piece, ProvisionRow, RecordRow, Request, RetentionView,
    RightsRequestRow, SeparatedPiece, SeparatedRow, StoreError, SubjectRecord, UploadRow,
};

/// Any fixed number: only vow's migrations take this advisory lock.
const MIGRATION_LOCK: i64 = 0x0076_6f77_5f6d_6967;

pub(crate) struct PostgresBackend {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    audit_statements: HashMap<usize, Statement>,
}

/// The schema that holds the wrapped data keys, apart from the data (see `schema.rs`).
fn key_schema(schema: Option<&str>) -> String {
    format!("{}_keys", schema.unwrap_or("vow"))
}

/// Schema names are interpolated into SQL, so only plain identifiers are accepted.
fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

impl PostgresBackend {
    pub(crate) fn connect(
        url: &str,
        schema: Option<&str>,
        durability: Durability,
    ) -> Result<PostgresBackend, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        if durability == Durability::Normal {
            // The PostgreSQL equivalent: commit without waiting for the WAL flush (a crash of the
            // server machine can lose the last moments; the database stays consistent).
            client.batch_execute("SET synchronous_commit = off")?;
        }
        let keys = key_schema(schema);
        if let Some(bad) = schema
            .iter()
            .copied()
            .chain([keys.as_str()])
            .find(|name| !valid_schema(name))
        {
            return Err(StoreError::InvalidSchema(bad.to_string()));
        }
        let search_path = match schema {
            Some(schema) => format!("{schema}, {keys}"),
            None => format!("public, {keys}"),
        };
        client.batch_execute(&format!("SET search_path TO {search_path}"))?;
        migrate(&mut client, schema, &keys)?;
        Ok(PostgresBackend {
            client,
            statements: HashMap::new(),
            audit_statements: HashMap::new(),
        })
    }

    pub(crate) fn apply(
        &mut self,
        batch: &[Request],
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        batch::apply_with_fallback(batch, |requests| {
            let mut tx = PgTx {
                tx: self.client.transaction()?,
                statements: &mut self.statements,
                audit_statements: &mut self.audit_statements,
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
        let rows = self.client.query(schema::LOG_LAST, &[])?;
        rows.first().map(entry_from_row).transpose()
    }

    pub(crate) fn audit_page(
        &mut self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = self.client.query(
            schema::LOG_PAGE_POSTGRES,
            &[&(after as i64), &(limit as i64)],
        )?;
        rows.iter().map(entry_from_row).collect()
    }

    pub(crate) fn remember(&mut self, what: &Remember) -> Result<Remembered, StoreError> {
        match what {
            Remember::Read => {}
            Remember::AuditKey(key) => {
                self.client.execute(
                    "INSERT INTO vault_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    &[&remembered::AUDIT_KEY, &&key[..]],
                )?;
            }
            Remember::Head(cp) => {
                self.client.execute(
                    "INSERT INTO signed_head (id, seq, hash, at_ms, signature) VALUES (1, $1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                       at_ms = excluded.at_ms, signature = excluded.signature
                     WHERE excluded.seq > signed_head.seq",
                    &[&(cp.seq as i64), &&cp.hash[..], &cp.at_ms, &cp.signature],
                )?;
            }
        }
        let audit_key: Option<Vec<u8>> = self
            .client
            .query_opt(
                "SELECT value FROM vault_meta WHERE name = $1",
                &[&remembered::AUDIT_KEY],
            )?
            .map(|row| row.try_get(0))
            .transpose()?;
        let head = match self.client.query_opt(
            "SELECT seq, hash, at_ms, signature FROM signed_head WHERE id = 1",
            &[],
        )? {
            Some(row) => Some(remembered::signed_head(
                row.try_get(0)?,
                &row.try_get::<_, Vec<u8>>(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            )?),
            None => None,
        };
        Ok(Remembered {
            audit_key: remembered::audit_key(audit_key)?,
            signed_head: head,
        })
    }
}

/// What the schema holds, read without creating or changing anything.
pub(crate) fn inspect(url: &str, schema: Option<&str>) -> Result<Inspection, StoreError> {
    let keys = key_schema(schema);
    let data = schema.unwrap_or("public");
    if let Some(bad) = [data, keys.as_str()]
        .into_iter()
        .find(|name| !valid_schema(name))
    {
        return Err(StoreError::InvalidSchema(bad.to_string()));
    }
    let mut client = Client::connect(url, NoTls)?;
    let exists = |client: &mut Client, table: String| -> Result<bool, StoreError> {
        let found: Option<String> = client
            .query_one("SELECT to_regclass($1)::text", &[&table])?
            .try_get(0)?;
        Ok(found.is_some())
    };
    let holds_data = exists(&mut client, format!("{data}.audit_log"))?
        && client
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {data}.subjects) OR EXISTS (SELECT 1 FROM {data}.api_keys)
                       OR EXISTS (SELECT 1 FROM {data}.audit_log)"
                ),
                &[],
            )?
            .try_get(0)?;
    let audit_key: Option<Vec<u8>> = if exists(&mut client, format!("{keys}.vault_meta"))? {
        client
            .query_opt(
                &format!("SELECT value FROM {keys}.vault_meta WHERE name = $1"),
                &[&remembered::AUDIT_KEY],
            )?
            .map(|row| row.try_get(0))
            .transpose()?
    } else {
        None
    };
    Ok(Inspection {
        holds_data,
        audit_key: remembered::audit_key(audit_key)?,
    })
}

fn migrate(client: &mut Client, schema: Option<&str>, keys: &str) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    }
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {keys}"))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS vow_schema (version BIGINT NOT NULL)")?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM vow_schema", &[])?
        .get(0);
    let supported = schema::POSTGRES.len() as i64;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (index, sql) in schema::POSTGRES.iter().enumerate().skip(found as usize) {
        tx.batch_execute(&sql.replace("{keys}", keys))?;
        tx.execute(
            "INSERT INTO vow_schema (version) VALUES ($1)",
            &[&(index as i64 + 1)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn entry_from_row(row: &postgres::Row) -> Result<Entry, StoreError> {
    crate::sqlite::entry_from_raw((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
        row.try_get(7)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
    ))
}

fn subject_from_row(row: &postgres::Row) -> Result<SubjectRecord, StoreError> {
    Ok(SubjectRecord {
        id: row.try_get(0)?,
        external_id: row.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
        kind: row.try_get(2)?,
        wrapped_key: row.try_get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
        created_ms: row.try_get(4)?,
        minor: row.try_get(5)?,
        restricted: row.try_get(6)?,
        closed_ms: row.try_get(7)?,
        erasure_ms: row.try_get(8)?,
        born_sealed: row.try_get(9)?,
    })
}

macro_rules! consent_event_columns {
    () => {
        "e.seq, e.id, e.subject_id, e.purpose, e.channel, e.night, e.change, e.at_ms, e.recorded_ms, \
         e.policy_version, e.by_guardian, e.evidence, e.key_id, e.notice_due_ms, n.sent_ms"
    };
}

fn consent_event_from_row(row: &postgres::Row) -> Result<ConsentEvent, StoreError> {
    Ok(ConsentEvent {
        seq: row.try_get(0)?,
        id: row.try_get(1)?,
        subject_id: row.try_get(2)?,
        purpose: row.try_get(3)?,
        channel: row.try_get(4)?,
        night: row.try_get(5)?,
        change: row.try_get(6)?,
        at_ms: row.try_get(7)?,
        recorded_ms: row.try_get(8)?,
        policy_version: row.try_get(9)?,
        by_guardian: row.try_get(10)?,
        evidence: row.try_get(11)?,
        key_id: row.try_get(12)?,
        notice_due_ms: row.try_get(13)?,
        notice_sent_ms: row.try_get(14)?,
    })
}

macro_rules! consent_state_columns {
    () => {
        "c.subject_id, c.purpose, c.channel, c.night, c.granted, c.since_ms, c.changed_ms"
    };
}

/// A consent state from the row's columns starting at `at`.
fn consent_state_from_row(row: &postgres::Row, at: usize) -> Result<ConsentState, StoreError> {
    Ok(ConsentState {
        subject_id: row.try_get(at)?,
        purpose: row.try_get(at + 1)?,
        channel: row.try_get(at + 2)?,
        night: row.try_get(at + 3)?,
        granted: row.try_get(at + 4)?,
        since_ms: row.try_get(at + 5)?,
        changed_ms: row.try_get(at + 6)?,
    })
}

macro_rules! outbox_columns {
    () => {
        "seq, id, subject_id, kind, body, created_ms, attempts, delivered_ms"
    };
}

fn outbox_from_row(row: &postgres::Row) -> Result<OutboxRecord, StoreError> {
    Ok(OutboxRecord {
        seq: row.try_get(0)?,
        id: row.try_get(1)?,
        subject_id: row.try_get(2)?,
        kind: row.try_get(3)?,
        body: row.try_get(4)?,
        created_ms: row.try_get(5)?,
        attempts: row.try_get(6)?,
        delivered_ms: row.try_get(7)?,
    })
}

fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn item_from_row(row: &postgres::Row) -> Result<ItemRecord, StoreError> {
    Ok(ItemRecord {
        category: row.try_get(0)?,
        sealed: row.try_get(1)?,
        blind_index: row.try_get(2)?,
        updated_ms: row.try_get(3)?,
        contested: row.try_get(4)?,
    })
}

fn record_from_row(row: &postgres::Row) -> Result<RecordRow, StoreError> {
    Ok(RecordRow {
        id: row.try_get(0)?,
        subject_id: row.try_get(1)?,
        category: row.try_get(2)?,
        sealed: row.try_get(3)?,
        at_ms: row.try_get(4)?,
        created_ms: row.try_get(5)?,
        contested: row.try_get(6)?,
    })
}

macro_rules! upload_columns {
    () => {
        "id, subject_id, category, sealed_key, bytes, media_type, created_ms, processed_ms, keep, contested"
    };
}

fn upload_from_row(row: &postgres::Row) -> Result<UploadRow, StoreError> {
    Ok(UploadRow {
        id: row.try_get(0)?,
        subject_id: row.try_get(1)?,
        category: row.try_get(2)?,
        sealed_key: row.try_get(3)?,
        bytes: row.try_get(4)?,
        media_type: row.try_get(5)?,
        created_ms: row.try_get(6)?,
        processed_ms: row.try_get(7)?,
        keep: row.try_get(8)?,
        contested: row.try_get(9)?,
    })
}

macro_rules! separated_columns {
    () => {
        "id, subject_id, category, binding, sealed, at_ms, rule, until_ms, moved_ms"
    };
}

fn separated_from_row(row: &postgres::Row) -> Result<SeparatedRow, StoreError> {
    Ok(SeparatedRow {
        id: row.try_get(0)?,
        subject_id: row.try_get(1)?,
        category: row.try_get(2)?,
        binding: row.try_get(3)?,
        sealed: row.try_get(4)?,
        at_ms: row.try_get(5)?,
        rule: row.try_get(6)?,
        until_ms: row.try_get(7)?,
        moved_ms: row.try_get(8)?,
    })
}

fn destruction_from_row(row: &postgres::Row) -> Result<DestructionRow, StoreError> {
    Ok(DestructionRow {
        seq: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        subject_id: row.try_get(2)?,
        category: row.try_get(3)?,
        storage: row.try_get(4)?,
        count: row.try_get(5)?,
        rule: row.try_get(6)?,
        basis: row.try_get(7)?,
        law: row.try_get(8)?,
        cause: row.try_get(9)?,
        method: row.try_get(10)?,
        by_key: row.try_get(11)?,
    })
}

fn request_from_row(row: &postgres::Row) -> Result<RightsRequestRow, StoreError> {
    Ok(RightsRequestRow {
        id: row.try_get(0)?,
        subject_id: row.try_get(1)?,
        kind: row.try_get(2)?,
        state: row.try_get(3)?,
        received_ms: row.try_get(4)?,
        due_ms: row.try_get(5)?,
        updated_ms: row.try_get(6)?,
        detail: row.try_get(7)?,
    })
}

struct PgTx<'c, 's> {
    tx: Transaction<'c>,
    statements: &'s mut HashMap<&'static str, Statement>,
    audit_statements: &'s mut HashMap<usize, Statement>,
}

impl PgTx<'_, '_> {
    /// Prepared once per connection: a statement prepared per call would cost a round trip each time.
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }
}

impl Tx for PgTx<'_, '_> {
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError> {
        // EXCLUSIVE lets plain reads of the log go on but serialises writers across all processes.
        self.tx
            .batch_execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")?;
        let rows = self.query(schema::LOG_LAST, &[])?;
        rows.first().map(entry_from_row).transpose()
    }
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(schema::AUDIT_ROWS_PER_STATEMENT) {
            let sql = schema::audit_insert_sql(chunk.len(), |n| format!("${n}"));
            let statement = match self.audit_statements.get(&chunk.len()) {
                Some(statement) => statement.clone(),
                None => {
                    let statement = self.tx.prepare(&sql)?;
                    self.audit_statements.insert(chunk.len(), statement.clone());
                    statement
                }
            };
            // seq, action and categories as their columns store them; the hashes as slices.
            type Encoded<'e> = (i64, String, String, &'e [u8], &'e [u8]);
            let encoded: Vec<Encoded<'_>> = chunk
                .iter()
                .map(|e| {
                    (
                        e.seq as i64,
                        schema::encode_action(&e.action),
                        schema::encode_categories(&e.categories),
                        &e.prev_hash[..],
                        &e.hash[..],
                    )
                })
                .collect();
            let mut values: Vec<&(dyn postgres::types::ToSql + Sync)> =
                Vec::with_capacity(chunk.len() * 11);
            for (e, (seq, action, categories, prev, hash)) in chunk.iter().zip(&encoded) {
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
                    prev,
                    hash,
                ]);
            }
            self.tx.execute(&statement, &values)?;
        }
        Ok(())
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
        rows.first().map(subject_from_row).transpose()
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
    ) -> Result<Option<batch::ItemWithKey>, StoreError> {
        let rows = self.query(
            "SELECT i.category, i.sealed, i.blind_index, i.updated_ms, i.contested, k.wrapped_key, s.restricted, s.minor
             FROM items i
             JOIN subjects s ON s.id = i.subject_id AND s.erased_ms IS NULL
             JOIN subject_keys k ON k.subject_id = i.subject_id
             WHERE i.subject_id = $1 AND i.category = $2",
            &[&subject_id, &category],
        )?;
        match rows.first() {
            Some(row) => Ok(Some(batch::ItemWithKey {
                wrapped_key: row.try_get(5)?,
                item: item_from_row(row)?,
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
        rows.iter().map(item_from_row).collect()
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
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM consent_state WHERE subject_id = $1",
            &[&subject_id],
        )?;
        Ok(())
    }
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError> {
        let emptied = self.execute(
            "UPDATE consent_events SET evidence = ''::bytea WHERE subject_id = $1 AND length(evidence) > 0",
            &[&subject_id],
        )?;
        Ok(i64::try_from(emptied).unwrap_or(i64::MAX))
    }
    fn insert_api_key(&mut self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_keys (id, digest, role, label, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&k.id, &k.digest, &k.role, &k.label, &k.created_ms, &k.revoked_ms],
        )?;
        Ok(())
    }
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE api_keys SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at_ms],
        )? > 0)
    }
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = self.query(
            "SELECT id, digest, role, label, created_ms, revoked_ms FROM api_keys ORDER BY created_ms, id",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ApiKeyRecord {
                    id: row.try_get(0)?,
                    digest: row.try_get(1)?,
                    role: row.try_get(2)?,
                    label: row.try_get(3)?,
                    created_ms: row.try_get(4)?,
                    revoked_ms: row.try_get(5)?,
                })
            })
            .collect()
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
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_state_columns!(),
                " FROM consent_state c WHERE c.subject_id = $1 ORDER BY c.purpose, c.channel, c.night"
            ),
            &[&subject_id],
        )?;
        rows.iter().map(|r| consent_state_from_row(r, 0)).collect()
    }
    fn insert_consent_event(&mut self, e: &ConsentEvent) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_events (seq, id, subject_id, purpose, channel, night, change, at_ms,
               recorded_ms, policy_version, by_guardian, evidence, key_id, notice_due_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_events),
               $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                &e.id,
                &e.subject_id,
                &e.purpose,
                &e.channel,
                &e.night,
                &e.change,
                &e.at_ms,
                &e.recorded_ms,
                &e.policy_version,
                &e.by_guardian,
                &e.evidence,
                &e.key_id,
                &e.notice_due_ms,
            ],
        )?;
        Ok(())
    }
    fn upsert_consent_state(&mut self, c: &ConsentState) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_state (subject_id, purpose, channel, night, granted, since_ms, changed_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (subject_id, purpose, channel, night) DO UPDATE
               SET granted = EXCLUDED.granted, since_ms = EXCLUDED.since_ms, changed_ms = EXCLUDED.changed_ms",
            &[
                &c.subject_id,
                &c.purpose,
                &c.channel,
                &c.night,
                &c.granted,
                &c.since_ms,
                &c.changed_ms,
            ],
        )?;
        Ok(())
    }
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_event_columns!(),
                " FROM consent_events e LEFT JOIN consent_notices n ON n.event_id = e.id
                 WHERE e.seq > $1 AND ($2::TEXT IS NULL OR e.subject_id = $2) ORDER BY e.seq LIMIT $3"
            ),
            &[&after_seq, &subject_id, &limit_i64(limit)],
        )?;
        rows.iter().map(consent_event_from_row).collect()
    }
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT s.id, s.closed_ms, ",
                consent_state_columns!(),
                " FROM subjects s
                 LEFT JOIN consent_state c ON c.subject_id = s.id
                   AND ((c.purpose = $2 AND c.channel = $3) OR (s.minor AND c.purpose = $4))
                 WHERE s.id = ANY($1) AND s.erased_ms IS NULL ORDER BY s.id"
            ),
            &[&subject_ids, &purpose, &channel, &crate::GUARDIAN_PURPOSE],
        )?;
        let mut found: Vec<CampaignSubject> = Vec::new();
        for row in &rows {
            let id: String = row.try_get(0)?;
            let state = match row.try_get::<_, Option<String>>(2)? {
                Some(_) => Some(consent_state_from_row(row, 2)?),
                None => None,
            };
            match found.last_mut() {
                Some(last) if last.id == id => last.states.extend(state),
                _ => found.push(CampaignSubject {
                    id,
                    closed_ms: row.try_get(1)?,
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
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_state_columns!(),
                " FROM consent_state c WHERE c.purpose = $1 AND c.granted AND c.since_ms < $2
                 ORDER BY c.since_ms, c.subject_id LIMIT $3"
            ),
            &[&purpose, &since_before_ms, &limit_i64(limit)],
        )?;
        rows.iter().map(|r| consent_state_from_row(r, 0)).collect()
    }
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                consent_event_columns!(),
                " FROM consent_events e LEFT JOIN consent_notices n ON n.event_id = e.id
                 WHERE e.notice_due_ms IS NOT NULL AND n.event_id IS NULL
                 ORDER BY e.notice_due_ms, e.seq LIMIT $1"
            ),
            &[&limit_i64(limit)],
        )?;
        rows.iter().map(consent_event_from_row).collect()
    }
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError> {
        let rows = self.query(
            "SELECT e.notice_due_ms IS NOT NULL, n.event_id IS NOT NULL, e.at_ms FROM consent_events e
             LEFT JOIN consent_notices n ON n.event_id = e.id WHERE e.id = $1",
            &[&event_id],
        )?;
        match rows.first() {
            Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))),
            None => Ok(None),
        }
    }
    fn insert_notice(
        &mut self,
        event_id: &str,
        at_ms: i64,
        key_id: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consent_notices (event_id, sent_ms, key_id) VALUES ($1, $2, $3)",
            &[&event_id, &at_ms, &key_id],
        )?;
        Ok(())
    }
    fn insert_outbox(&mut self, o: &OutboxRecord) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO outbox (seq, id, subject_id, kind, body, created_ms, next_attempt_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), $1, $2, $3, $4, $5, $5)
             ON CONFLICT (id) DO NOTHING",
            &[&o.id, &o.subject_id, &o.kind, &o.body, &o.created_ms],
        )? > 0)
    }
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox o
                 WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= $1
                   AND (o.lease_ms IS NULL OR o.lease_ms <= $1)
                   AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.delivered_ms IS NULL
                     AND p.subject_id = o.subject_id AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT $2"
            ),
            &[&now_ms, &limit_i64(limit)],
        )?;
        let candidates = rows
            .iter()
            .map(outbox_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for record in candidates {
            // Read committed re-checks the condition on the newest row version: of two servers
            // claiming the same event, one updates it and the other finds it leased.
            let changed = self.execute(
                "UPDATE outbox SET lease_ms = $2 WHERE seq = $1 AND delivered_ms IS NULL
                   AND (lease_ms IS NULL OR lease_ms <= $3)",
                &[&record.seq, &lease_until_ms, &now_ms],
            )?;
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
        self.execute(
            "UPDATE outbox SET delivered_ms = $2, next_attempt_ms = $3, last_error = $4,
               attempts = attempts + 1, lease_ms = NULL WHERE seq = $1",
            &[&seq, &delivered_ms, &next_attempt_ms, &error],
        )?;
        Ok(())
    }
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2"
            ),
            &[&after_seq, &limit_i64(limit)],
        )?;
        rows.iter().map(outbox_from_row).collect()
    }

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
        rows.iter().map(record_from_row).collect()
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
        rows.first().map(item_from_row).transpose()
    }
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError> {
        let rows = self.query(
            "DELETE FROM records WHERE id = $1 AND subject_id = $2
             RETURNING id, subject_id, category, sealed, at_ms, created_ms, contested",
            &[&id, &subject_id],
        )?;
        rows.first().map(record_from_row).transpose()
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
        rows.iter().map(separated_from_row).collect()
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
        rows.iter().map(destruction_from_row).collect()
    }
    fn insert_rights_request(&mut self, r: &RightsRequestRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO rights_requests (id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &r.id,
                &r.subject_id,
                &r.kind,
                &r.state,
                &r.received_ms,
                &r.due_ms,
                &r.updated_ms,
                &r.detail,
            ],
        )?;
        Ok(())
    }
    fn update_rights_request(
        &mut self,
        r: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE rights_requests SET state = $2, due_ms = $3, updated_ms = $4, detail = $5
             WHERE id = $1 AND state = $6",
            &[
                &r.id,
                &r.state,
                &r.due_ms,
                &r.updated_ms,
                &r.detail,
                &expected_state,
            ],
        )? > 0)
    }
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError> {
        let rows = self.query(
            "SELECT id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail FROM rights_requests
             WHERE ($1::TEXT IS NULL OR id = $1) AND (NOT $2 OR state NOT IN ('completed', 'refused'))
             ORDER BY due_ms, id LIMIT $3",
            &[&id, &open_only, &limit_i64(limit)],
        )?;
        rows.iter().map(request_from_row).collect()
    }
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
                upload_from_row(row)?,
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
        rows.iter().map(upload_from_row).collect()
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
        rows.first().map(upload_from_row).transpose()
    }
    fn insert_provision(&mut self, p: &ProvisionRow) -> Result<i64, StoreError> {
        let rows = self.query(
            "INSERT INTO provisions (seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions), $1, $2, $3, $4, $5, $6, $7, $8, $9)
             RETURNING seq",
            &[
                &p.at_ms,
                &p.recipient,
                &p.recipient_kind,
                &p.categories,
                &p.purpose,
                &p.count,
                &p.subject_id,
                &p.key_id,
                &p.role,
            ],
        )?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::Corrupt {
                table: "provisions",
                reason: "the insert returned no sequence number".into(),
            }),
        }
    }
    fn provisions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ProvisionRow>, StoreError> {
        let rows = self.query(
            "SELECT seq, at_ms, recipient, recipient_kind, categories, purpose, count, subject_id, key_id, role
             FROM provisions WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after_seq, &limit_i64(limit)],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ProvisionRow {
                    seq: row.try_get(0)?,
                    at_ms: row.try_get(1)?,
                    recipient: row.try_get(2)?,
                    recipient_kind: row.try_get(3)?,
                    categories: row.try_get(4)?,
                    purpose: row.try_get(5)?,
                    count: row.try_get(6)?,
                    subject_id: row.try_get(7)?,
                    key_id: row.try_get(8)?,
                    role: row.try_get(9)?,
                })
            })
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
