//! Where vow keeps what it keeps: subjects, their sealed items, API keys and the access log.
//!
//! One interface ([`Store`]) over two backends: SQLite in a data directory (the embedded default) and
//! PostgreSQL (several `vow serve` processes on one database). Every change arrives as an [`Op`] with the
//! access-log entry that records it; the store applies the operation and appends the entry, chained to the
//! one before, in the same transaction. Operations from many callers are applied together by one committer
//! thread per process (group commit), so one disk flush covers many requests.
//!
//! The key store, kept apart from the data, also remembers ([`Remembered`]) the public half of the key
//! file's audit key and the newest signed head of the access log; [`inspect`] reads what a store holds
//! without creating or writing anything.
//!
//! **Invariants.** Only this crate knows SQL. It never sees plaintext personal data: values arrive sealed
//! (`vow-crypto`) and lookups arrive as blind indexes. An operation and its log entry commit together or
//! not at all; one failing operation in a batch does not undo the others (the batch is rolled back and
//! replayed one transaction per operation).

mod batch;
mod committer;
mod postgres;
mod remembered;
mod schema;
mod sqlite;

use std::path::PathBuf;

pub use committer::{Store, StoreOptions};
pub use remembered::{inspect, Inspection, Remembered};

pub use vow_audit::{Entry, NewEntry};

/// A data subject as stored: an opaque id, the service's own id for them, their kind (from the policy),
/// and their data key wrapped by the key-encryption key. `wrapped_key` is gone once the subject is erased.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectRecord {
    pub id: String,
    pub external_id: String,
    pub kind: String,
    pub wrapped_key: Vec<u8>,
    pub created_ms: i64,
}

impl std::fmt::Debug for SubjectRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("created_ms", &self.created_ms)
            .finish_non_exhaustive()
    }
}

/// One personal-data item of a subject, sealed. `blind_index` is set for categories the policy marks as
/// lookup keys.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub category: String,
    pub sealed: Vec<u8>,
    pub blind_index: Option<Vec<u8>>,
    pub updated_ms: i64,
}

impl std::fmt::Debug for ItemRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemRecord")
            .field("category", &self.category)
            .field("sealed_len", &self.sealed.len())
            .field("updated_ms", &self.updated_ms)
            .finish_non_exhaustive()
    }
}

/// An API key as stored: only a digest of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub digest: Vec<u8>,
    pub role: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// What a caller asks of the store.
#[derive(Clone, Debug)]
pub enum Op {
    /// `Created` or, when the external id is taken, `AlreadyExists` with the subject that holds it.
    CreateSubject(SubjectRecord),
    /// The subject (with its wrapped data key), or `NotFound` if absent or erased.
    GetSubject {
        subject_id: String,
    },
    /// Inserts or replaces one item: `Stored { replaced }`.
    PutItem {
        subject_id: String,
        item: ItemRecord,
    },
    /// `Item` with the subject's wrapped key, so one round trip is enough to decrypt.
    GetItem {
        subject_id: String,
        category: String,
    },
    /// Subjects holding `category` with this blind index.
    Lookup {
        category: String,
        blind_index: Vec<u8>,
    },
    /// Everything held about the subject.
    Export {
        subject_id: String,
    },
    /// Deletes the subject's items and destroys its wrapped data key (crypto-shredding).
    Erase {
        subject_id: String,
        at_ms: i64,
    },
    CreateApiKey(ApiKeyRecord),
    RevokeApiKey {
        id: String,
        at_ms: i64,
    },
    ListApiKeys,
    /// Replaces a subject's wrapped key (key rotation). `Done`, or `NotFound` if erased meanwhile.
    Rewrap {
        subject_id: String,
        wrapped_key: Vec<u8>,
    },
    /// Live subject ids after `after` in id order, at most `limit` (for rotation and sweeps).
    SubjectIds {
        after: String,
        limit: usize,
    },
}

/// What the store answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Created,
    AlreadyExists {
        id: String,
    },
    Stored {
        replaced: bool,
    },
    Subject(SubjectRecord),
    Item {
        wrapped_key: Vec<u8>,
        item: ItemRecord,
    },
    Subjects(Vec<String>),
    Export {
        subject: SubjectRecord,
        items: Vec<ItemRecord>,
    },
    ApiKeys(Vec<ApiKeyRecord>),
    NotFound,
}

impl Outcome {
    /// Whether the operation touched data, so its access-log entry is written. A miss (`NotFound`,
    /// `AlreadyExists`) changes and reveals nothing and is not logged as an access.
    fn is_access(&self) -> bool {
        !matches!(self, Outcome::NotFound | Outcome::AlreadyExists { .. })
    }
}

/// An operation and the access-log entry that records it (none for operations on no personal data,
/// such as listing API keys).
#[derive(Clone, Debug)]
pub struct Request {
    pub op: Op,
    pub audit: Option<NewEntry>,
}

impl Request {
    pub fn logged(op: Op, audit: NewEntry) -> Request {
        Request {
            op,
            audit: Some(audit),
        }
    }
    pub fn unlogged(op: Op) -> Request {
        Request { op, audit: None }
    }
}

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// After the commit is on disk (fsync): an acknowledged write survives a power cut. One flush
    /// per batch, which group commit shares among the batch's requests.
    #[default]
    Full,
    /// After the commit is in the operating system (SQLite WAL with synchronous=NORMAL,
    /// PostgreSQL synchronous_commit=off): survives the process being killed, not a power cut,
    /// which may lose the last moments' writes and log entries. Reads, which write log entries,
    /// get about twice as fast.
    Normal,
}

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A data directory holding `vow.db` (SQLite, WAL).
    Directory(PathBuf),
    /// A PostgreSQL connection URL, optionally with a schema to use (created when missing).
    Postgres { url: String, schema: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("the database schema is version {found}, newer than this vow understands ({supported}); upgrade vow")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("PostgreSQL schema name {0:?}: use lowercase letters, digits and _ only (at most 63)")]
    InvalidSchema(String),
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("the transaction was rolled back, nothing of it was stored: {0}")]
    RolledBack(String),
    #[error("cannot start the committer thread: {0}")]
    Thread(String),
    #[error("the store has shut down")]
    Closed,
}

impl StoreError {
    /// A unique constraint refused a row: another writer stored the same value first.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Postgres(error) => {
                error.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            }
            _ => false,
        }
    }
}
