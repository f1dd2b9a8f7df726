//! PostgreSQL, for when one machine is not enough: several `vow serve` processes share one database.
//! Each connection claims a chain of the access log for as long as it lives (a session advisory lock
//! on the chain's id, so a chain has one writer, and the chain of a process that died is taken over
//! by the next one to start), and extends it without waiting for the others. Only transactions that
//! number rows in commit order (the consent ledger, the outbox) still queue behind each other.

use std::collections::HashMap;

use ::postgres::{Client, NoTls, Statement, Transaction};
use vow_audit::{Entry, Position};

use crate::batch::{self};
use crate::remembered::{self, Inspection, Remember, Remembered};
use crate::schema;
use crate::{Durability, Outcome, Request, StoreError};

/// Any fixed number: only vow's migrations take this advisory lock.
const MIGRATION_LOCK: i64 = 0x0076_6f77_5f6d_6967;

/// The advisory lock (second key, beside the schema's class) that orders transactions numbering rows
/// in commit order. Chain ids, the other locks of the class, are never negative.
pub(crate) const COMMIT_ORDER_LOCK: i32 = -1;

/// Chains a database may have at once: one per live writer (each `vow serve`, each command run).
const MAX_CHAINS: u32 = 4096;

/// The advisory lock class of one vow schema: a hash of its name, so vaults in two schemas of one
/// database do not share chains (a collision only makes one skip a chain id, or wait on the other's
/// commit order, never share a chain).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Locks {
    pub(crate) class: i32,
}

impl Locks {
    fn of(schema: Option<&str>) -> Locks {
        // FNV-1a, 32 bits: stable across versions and platforms, unlike the standard hasher.
        let name = format!("vow.chains.{}", schema.unwrap_or("public"));
        let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        Locks {
            class: i32::from_ne_bytes(hash.to_ne_bytes()),
        }
    }
}

pub(crate) struct PostgresBackend {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    audit_statements: HashMap<usize, Statement>,
    chain: u32,
    locks: Locks,
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
        let locks = Locks::of(schema);
        let chain = claim_chain(&mut client, locks)?;
        Ok(PostgresBackend {
            client,
            statements: HashMap::new(),
            audit_statements: HashMap::new(),
            chain,
            locks,
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
                chain: self.chain,
                locks: self.locks,
            };
            let attempt = batch::apply_all(&mut tx, requests);
            if attempt.is_ok() {
                tx.tx.commit()?;
            }
            // Dropping an uncommitted transaction rolls it back.
            Ok(attempt)
        })
    }

    /// Every chain's newest entry, by chain.
    pub(crate) fn audit_heads(&mut self) -> Result<Vec<Entry>, StoreError> {
        let rows = self.client.query(schema::LOG_HEADS_POSTGRES, &[])?;
        rows.iter().map(crate::audit::entry_from).collect()
    }

    pub(crate) fn audit_page(
        &mut self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = self.client.query(
            schema::LOG_PAGE_POSTGRES,
            &[
                &crate::audit::postgres::chain_i32(after.chain),
                &i64::try_from(after.seq).unwrap_or(i64::MAX),
                &limit_i64(limit),
            ],
        )?;
        rows.iter().map(crate::audit::entry_from).collect()
    }

    /// The chain this connection extends.
    pub(crate) fn chain(&self) -> u32 {
        self.chain
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
                    "INSERT INTO signed_head (id, seq, hash, at_ms, signature, heads)
                     VALUES (1, $1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                       at_ms = excluded.at_ms, signature = excluded.signature, heads = excluded.heads
                     WHERE excluded.seq > signed_head.seq",
                    &[
                        &(cp.seq as i64),
                        &&cp.hash[..],
                        &cp.at_ms,
                        &cp.signature,
                        &remembered::encode_heads(cp),
                    ],
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
            "SELECT seq, hash, at_ms, signature, heads FROM signed_head WHERE id = 1",
            &[],
        )? {
            Some(row) => Some(remembered::signed_head(
                row.try_get(0)?,
                &row.try_get::<_, Vec<u8>>(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
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

/// Claims the lowest chain id no live connection holds: a session advisory lock, released when this
/// connection ends (so a chain whose writer died is continued by the next writer to start).
fn claim_chain(client: &mut Client, locks: Locks) -> Result<u32, StoreError> {
    let statement = client.prepare("SELECT pg_try_advisory_lock($1, $2)")?;
    for chain in 0..MAX_CHAINS {
        let id = crate::audit::postgres::chain_i32(chain);
        let claimed: bool = client
            .query_one(&statement, &[&locks.class, &id])?
            .try_get(0)?;
        if claimed {
            return Ok(chain);
        }
    }
    Err(StoreError::NoFreeChain(MAX_CHAINS))
}

pub(crate) fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(crate) struct PgTx<'c, 's> {
    pub(crate) tx: Transaction<'c>,
    pub(crate) statements: &'s mut HashMap<&'static str, Statement>,
    pub(crate) audit_statements: &'s mut HashMap<usize, Statement>,
    /// The chain this connection claimed.
    pub(crate) chain: u32,
    pub(crate) locks: Locks,
}

impl PgTx<'_, '_> {
    /// Prepared once per connection: a statement prepared per call would cost a round trip each time.
    pub(crate) fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<::postgres::Row>, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }
}
