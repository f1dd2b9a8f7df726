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

mod backend;
mod batch;
mod committer;
mod remembered;
mod rows;
mod schema;

// One folder per capability: its rows and operations (`mod.rs`, written once for both backends)
// and its SQL for each backend (`sqlite.rs`, `postgres.rs`).
mod audit;
mod consent;
mod console;
mod keys;
mod outbox;
mod privacy;
mod provisions;
mod requests;
mod retention;
mod subjects;
mod uploads;

use std::path::PathBuf;

pub use audit::AuditOp;
pub use committer::{Store, StoreOptions};
pub use consent::{
    CampaignSubject, ConsentEvent, ConsentOp, ConsentState, CONSENT_EVIDENCE, GUARDIAN_PURPOSE,
};
pub use console::{
    ConsoleOp, ConsoleSessionRow, ConsoleUserRow, FindingRow, GrantRow, SignOffRow, UserKey,
};
pub use keys::{ApiKeyRecord, KeyOp};
pub use outbox::{OutboxOp, OutboxRecord};
pub use privacy::{PrivacyOp, PrivacyTokenRow, RecentCap, TokenKind};
pub use provisions::{ProvisionOp, ProvisionRow};
pub use remembered::{Inspection, Remembered};
pub use requests::{RequestOp, RightsRequestRow};
pub use retention::{
    record_binding, record_of_binding, DestructionRow, Disposal, Disposed, Piece, RecordRow,
    RetentionOp, RetentionView, SeparatedPiece, SeparatedRow,
};
pub(crate) use rows::Cols;
pub use subjects::{ItemRecord, SubjectOp, SubjectRecord};
pub use uploads::{UploadOp, UploadRow};

pub use vow_audit::{Cut, Entry, NewEntry, Position};

/// Reads what a store holds without creating, migrating or writing anything: a data directory without
/// `vow.db`, or a PostgreSQL schema without vow's tables, is an empty [`Inspection`].
pub fn inspect(location: &Location) -> Result<Inspection, StoreError> {
    match location {
        Location::Directory(dir) => crate::backend::sqlite::inspect(dir),
        Location::Postgres { url, schema } => {
            // The PostgreSQL client runs a runtime of its own, which must not start inside the
            // caller's: it runs on a thread of its own, as the committer does.
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::Builder::new()
                .name("vow-store-inspect".to_string())
                .spawn(move || crate::backend::postgres::inspect(&url, schema.as_deref()))
                .map_err(|e| StoreError::Thread(e.to_string()))?
                .join()
                .map_err(|_| StoreError::Thread("the inspection thread panicked".to_string()))?
        }
    }
}

/// What a caller asks of the store, by capability.
#[derive(Clone, Debug)]
pub enum Op {
    Audit(AuditOp),
    Subjects(SubjectOp),
    Keys(KeyOp),
    Consent(ConsentOp),
    Outbox(OutboxOp),
    Retention(RetentionOp),
    Requests(RequestOp),
    Uploads(UploadOp),
    Provisions(ProvisionOp),
    Console(ConsoleOp),
    Privacy(PrivacyOp),
}

/// What the store answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Created,
    /// Appended to a numbered log, with the number it got.
    Appended {
        seq: i64,
    },
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
        /// The subject asked to stop processing (처리정지).
        restricted: bool,
        /// A child whose legal guardian withdrew the consent their data rests on.
        guardian_withdrawn: bool,
    },
    Subjects(Vec<String>),
    Export {
        subject: SubjectRecord,
        items: Vec<ItemRecord>,
    },
    ApiKeys(Vec<ApiKeyRecord>),
    NotFound,
    /// The state changed since the caller read it; nothing was written.
    Stale,
    /// The subject is a child whose guardian has not consented; nothing was written.
    NeedsGuardian,
    /// The subject's account is closed or the subject erased; nothing was written.
    Closed,
    Consents {
        states: Vec<ConsentState>,
        history: Vec<ConsentEvent>,
    },
    /// Per live subject, its states (none, day, night or both) and whether its use ended.
    CampaignStates(Vec<CampaignSubject>),
    ConsentStates(Vec<ConsentState>),
    ConsentEvents(Vec<ConsentEvent>),
    Outbox(Vec<OutboxRecord>),
    Records(Vec<RecordRow>),
    RetentionViews(Vec<RetentionView>),
    Disposed(Disposed),
    Destructions(Vec<DestructionRow>),
    Separated(Vec<SeparatedRow>),
    RightsRequests(Vec<RightsRequestRow>),
    Provisions(Vec<ProvisionRow>),
    Upload {
        row: UploadRow,
        wrapped_key: Vec<u8>,
        restricted: bool,
    },
    Uploads(Vec<UploadRow>),
    /// How many rows a clean-up removed.
    Removed(u64),
    /// The access log's cuts, oldest first.
    AuditCuts(Vec<Cut>),
    ConsoleUsers(Vec<ConsoleUserRow>),
    ConsoleSessions(Vec<ConsoleSessionRow>),
    Grants(Vec<GrantRow>),
    SignOffs(Vec<SignOffRow>),
    Findings(Vec<FindingRow>),
    PrivacyTokens(Vec<PrivacyTokenRow>),
}

impl Outcome {
    /// Whether the operation touched data, so its access-log entry is written. A miss (`NotFound`,
    /// `AlreadyExists`) changes and reveals nothing and is not logged as an access.
    fn is_access(&self) -> bool {
        !matches!(
            self,
            Outcome::NotFound
                | Outcome::AlreadyExists { .. }
                | Outcome::Stale
                | Outcome::NeedsGuardian
                | Outcome::Closed
        ) && *self != Outcome::Disposed(Disposed::default())
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
    /// The one subject whose rows this request reads or writes, when it names one.
    pub(crate) fn subject(&self) -> Option<&str> {
        let named = match &self.op {
            Op::Subjects(
                SubjectOp::GetSubject { subject_id }
                | SubjectOp::PutItem { subject_id, .. }
                | SubjectOp::GetItem { subject_id, .. }
                | SubjectOp::Export { subject_id }
                | SubjectOp::Rewrap { subject_id, .. }
                | SubjectOp::SetRestricted { subject_id, .. }
                | SubjectOp::SetContested { subject_id, .. },
            ) => Some(subject_id.as_str()),
            Op::Subjects(SubjectOp::CreateSubject(record)) => Some(record.id.as_str()),
            _ => None,
        };
        named.or_else(|| self.audit.as_ref()?.subject_id.as_deref())
    }

    pub fn logged(op: impl Into<Op>, audit: NewEntry) -> Request {
        Request {
            op: op.into(),
            audit: Some(audit),
        }
    }
    pub fn unlogged(op: impl Into<Op>) -> Request {
        Request {
            op: op.into(),
            audit: None,
        }
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
    #[error("all {0} chains of the access log are held by live writers: too many vow processes share this PostgreSQL schema at once")]
    NoFreeChain(u32),
}

impl StoreError {
    /// PostgreSQL aborted this transaction to break a deadlock.
    pub fn is_deadlock(&self) -> bool {
        match self {
            StoreError::Postgres(error) => {
                error.code() == Some(&::postgres::error::SqlState::T_R_DEADLOCK_DETECTED)
            }
            _ => false,
        }
    }

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
