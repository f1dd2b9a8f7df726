//! The console's people: users (sealed e-mail, password hash, sealed TOTP secret), their sessions
//! (only digests of tokens), the grant history (never deleted), and the officer's sign-offs and
//! findings of the monthly review.

use crate::*;

mod postgres;
mod sqlite;

/// A person who signs in to the console, apart from API keys. No plaintext: the e-mail is sealed and
/// found through its blind index; the password is an Argon2id PHC string; the TOTP secret is sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleUserRow {
    pub id: String,
    pub email_index: Vec<u8>,
    pub email_sealed: Vec<u8>,
    pub role: String,
    /// None until enrolled.
    pub password_phc: Option<String>,
    /// None until enrolled.
    pub totp_sealed: Option<Vec<u8>>,
    /// The last TOTP time step accepted (one code signs in once).
    pub totp_last_step: i64,
    /// The keyed digest of the outstanding one-time enrolment token.
    pub enrol_digest: Option<Vec<u8>>,
    pub enrol_expires_ms: Option<i64>,
    pub created_ms: i64,
    pub created_by: String,
    pub enrolled_ms: Option<i64>,
    pub disabled_ms: Option<i64>,
}

/// A console session: the keyed digest of its token, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSessionRow {
    pub digest: Vec<u8>,
    pub user_id: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// One change to who may access what (안전성 확보조치 기준 제5조: kept three years; never deleted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRow {
    /// Assigned by the store; ignored on insert.
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    /// `user:usr_…` or `key:key_…`.
    pub grantee: String,
    pub role: String,
    /// `granted`, `enrolled`, `disabled`, `revoked`, `reenrol`.
    pub change: String,
}

/// An officer's signature on a month's review or ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignOffRow {
    /// `review` or `ledger`.
    pub kind: String,
    /// `YYYY-MM`.
    pub period: String,
    pub by_user: String,
    pub at_ms: i64,
    pub note: String,
}

/// The officer's note on one access-log entry during a month's review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRow {
    pub period: String,
    /// The entry's chain (0 unless several servers write the log).
    pub entry_chain: i64,
    pub entry_seq: i64,
    pub by_user: String,
    pub at_ms: i64,
    pub note: String,
}

/// How a user is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserKey {
    Id(String),
    EmailIndex(Vec<u8>),
    EnrolDigest(Vec<u8>),
}

/// What is asked of the store about the console's people.
#[derive(Clone, Debug)]
pub enum ConsoleOp {
    /// `Created`, or `AlreadyExists { id }` (the existing user's id) when the e-mail is taken.
    AddUser(ConsoleUserRow),
    /// `ConsoleUsers` with zero or one row.
    User(UserKey),
    /// Every user, by creation: `ConsoleUsers`.
    ListUsers,
    /// Completes an enrolment for the not-disabled user whose outstanding token digest this is and
    /// whose link has not expired; the link then stops working: `Done`, else `NotFound`.
    Enrol {
        id: String,
        enrol_digest: Vec<u8>,
        now_ms: i64,
        password_phc: String,
        totp_sealed: Vec<u8>,
    },
    /// A new enrolment link for a not-disabled user: the old password and second factor stop
    /// working and the user's sessions end. `Done` / `NotFound`.
    Reenrol {
        id: String,
        enrol_digest: Vec<u8>,
        enrol_expires_ms: i64,
    },
    /// Accepts a TOTP step only when it is later than the last accepted one: `Done`, else `Stale`.
    AcceptTotpStep { id: String, step: i64 },
    /// Disables the user and ends every session of theirs in the same transaction: `Done`, or
    /// `NotFound` when there is no such user that is not disabled already.
    DisableUser { id: String, at_ms: i64 },
    /// `Created`.
    CreateSession(ConsoleSessionRow),
    /// `ConsoleSessions` with zero or one row.
    Session { digest: Vec<u8> },
    /// `Done` / `NotFound`.
    TouchSession { digest: Vec<u8>, at_ms: i64 },
    /// `Done` / `NotFound`.
    EndSession { digest: Vec<u8> },
    /// Removes sessions last seen before `before_ms`: `Removed(n)`.
    PruneSessions { before_ms: i64 },
    /// `Created`.
    RecordGrant(GrantRow),
    /// Newest first, before `before_seq` when given: `Grants`.
    Grants {
        before_seq: Option<i64>,
        limit: usize,
    },
    /// `Created`, or `AlreadyExists { id }` naming who signed the period already.
    SignOff(SignOffRow),
    /// Newest period first: `SignOffs`.
    SignOffs { kind: String, limit: usize },
    /// Inserts or replaces the note on (period, entry): `Stored { replaced }`.
    RecordFinding(FindingRow),
    /// By entry: `Findings`.
    Findings { period: String },
}

impl From<ConsoleOp> for Op {
    fn from(op: ConsoleOp) -> Op {
        Op::Console(op)
    }
}

/// The SQL primitives of the console, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait ConsoleTx {
    fn insert_console_user(&mut self, user: &ConsoleUserRow) -> Result<(), StoreError>;
    fn console_users(&mut self, key: Option<&UserKey>) -> Result<Vec<ConsoleUserRow>, StoreError>;
    /// Rows changed.
    fn enrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        now_ms: i64,
        password_phc: &str,
        totp_sealed: &[u8],
    ) -> Result<u64, StoreError>;
    fn reenrol_console_user(
        &mut self,
        id: &str,
        enrol_digest: &[u8],
        enrol_expires_ms: i64,
    ) -> Result<u64, StoreError>;
    fn accept_totp_step(&mut self, id: &str, step: i64) -> Result<u64, StoreError>;
    fn disable_console_user(&mut self, id: &str, at_ms: i64) -> Result<u64, StoreError>;
    fn end_sessions_of(&mut self, user_id: &str) -> Result<u64, StoreError>;
    fn insert_console_session(&mut self, session: &ConsoleSessionRow) -> Result<(), StoreError>;
    fn console_session(&mut self, digest: &[u8]) -> Result<Vec<ConsoleSessionRow>, StoreError>;
    fn touch_console_session(&mut self, digest: &[u8], at_ms: i64) -> Result<u64, StoreError>;
    fn end_console_session(&mut self, digest: &[u8]) -> Result<u64, StoreError>;
    fn prune_console_sessions(&mut self, before_ms: i64) -> Result<u64, StoreError>;
    fn insert_grant(&mut self, grant: &GrantRow) -> Result<(), StoreError>;
    fn grants(
        &mut self,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<GrantRow>, StoreError>;
    fn sign_offs(
        &mut self,
        kind: &str,
        period: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SignOffRow>, StoreError>;
    fn insert_sign_off(&mut self, sign_off: &SignOffRow) -> Result<(), StoreError>;
    /// Returns whether a note was there before.
    fn upsert_finding(&mut self, finding: &FindingRow) -> Result<bool, StoreError>;
    fn findings(&mut self, period: &str) -> Result<Vec<FindingRow>, StoreError>;
}

fn done_if(changed: u64) -> Outcome {
    if changed > 0 {
        Outcome::Done
    } else {
        Outcome::NotFound
    }
}

pub(crate) fn run(tx: &mut impl ConsoleTx, op: &ConsoleOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        ConsoleOp::AddUser(user) => {
            let existing =
                tx.console_users(Some(&UserKey::EmailIndex(user.email_index.clone())))?;
            match existing.into_iter().next() {
                Some(other) => Outcome::AlreadyExists { id: other.id },
                None => {
                    tx.insert_console_user(user)?;
                    Outcome::Created
                }
            }
        }
        ConsoleOp::User(key) => Outcome::ConsoleUsers(tx.console_users(Some(key))?),
        ConsoleOp::ListUsers => Outcome::ConsoleUsers(tx.console_users(None)?),
        ConsoleOp::Enrol {
            id,
            enrol_digest,
            now_ms,
            password_phc,
            totp_sealed,
        } => {
            done_if(tx.enrol_console_user(id, enrol_digest, *now_ms, password_phc, totp_sealed)?)
        }
        ConsoleOp::Reenrol {
            id,
            enrol_digest,
            enrol_expires_ms,
        } => {
            let changed = tx.reenrol_console_user(id, enrol_digest, *enrol_expires_ms)?;
            if changed > 0 {
                tx.end_sessions_of(id)?;
            }
            done_if(changed)
        }
        ConsoleOp::AcceptTotpStep { id, step } => {
            if tx.accept_totp_step(id, *step)? > 0 {
                Outcome::Done
            } else {
                Outcome::Stale
            }
        }
        ConsoleOp::DisableUser { id, at_ms } => {
            let changed = tx.disable_console_user(id, *at_ms)?;
            if changed > 0 {
                tx.end_sessions_of(id)?;
            }
            done_if(changed)
        }
        ConsoleOp::CreateSession(session) => {
            tx.insert_console_session(session)?;
            Outcome::Created
        }
        ConsoleOp::Session { digest } => Outcome::ConsoleSessions(tx.console_session(digest)?),
        ConsoleOp::TouchSession { digest, at_ms } => {
            done_if(tx.touch_console_session(digest, *at_ms)?)
        }
        ConsoleOp::EndSession { digest } => done_if(tx.end_console_session(digest)?),
        ConsoleOp::PruneSessions { before_ms } => {
            Outcome::Removed(tx.prune_console_sessions(*before_ms)?)
        }
        ConsoleOp::RecordGrant(grant) => {
            tx.insert_grant(grant)?;
            Outcome::Created
        }
        ConsoleOp::Grants { before_seq, limit } => Outcome::Grants(tx.grants(*before_seq, *limit)?),
        ConsoleOp::SignOff(sign_off) => {
            match tx
                .sign_offs(&sign_off.kind, Some(&sign_off.period), 1)?
                .into_iter()
                .next()
            {
                Some(existing) => Outcome::AlreadyExists {
                    id: existing.by_user,
                },
                None => {
                    tx.insert_sign_off(sign_off)?;
                    Outcome::Created
                }
            }
        }
        ConsoleOp::SignOffs { kind, limit } => Outcome::SignOffs(tx.sign_offs(kind, None, *limit)?),
        ConsoleOp::RecordFinding(finding) => Outcome::Stored {
            replaced: tx.upsert_finding(finding)?,
        },
        ConsoleOp::Findings { period } => Outcome::Findings(tx.findings(period)?),
    })
}

pub(crate) const USER_COLUMNS: &str = "id, email_index, email_sealed, role, password_phc, totp_sealed, \
     totp_last_step, enrol_digest, enrol_expires_ms, created_ms, created_by, enrolled_ms, disabled_ms";

pub(crate) fn user_from(row: &impl Cols) -> Result<ConsoleUserRow, StoreError> {
    Ok(ConsoleUserRow {
        id: row.col(0)?,
        email_index: row.col(1)?,
        email_sealed: row.col(2)?,
        role: row.col(3)?,
        password_phc: row.col(4)?,
        totp_sealed: row.col(5)?,
        totp_last_step: row.col(6)?,
        enrol_digest: row.col(7)?,
        enrol_expires_ms: row.col(8)?,
        created_ms: row.col(9)?,
        created_by: row.col(10)?,
        enrolled_ms: row.col(11)?,
        disabled_ms: row.col(12)?,
    })
}

pub(crate) fn session_from(row: &impl Cols) -> Result<ConsoleSessionRow, StoreError> {
    Ok(ConsoleSessionRow {
        digest: row.col(0)?,
        user_id: row.col(1)?,
        created_ms: row.col(2)?,
        last_seen_ms: row.col(3)?,
    })
}

pub(crate) fn grant_from(row: &impl Cols) -> Result<GrantRow, StoreError> {
    Ok(GrantRow {
        seq: row.col(0)?,
        at_ms: row.col(1)?,
        actor: row.col(2)?,
        grantee: row.col(3)?,
        role: row.col(4)?,
        change: row.col(5)?,
    })
}

pub(crate) fn sign_off_from(row: &impl Cols) -> Result<SignOffRow, StoreError> {
    Ok(SignOffRow {
        kind: row.col(0)?,
        period: row.col(1)?,
        by_user: row.col(2)?,
        at_ms: row.col(3)?,
        note: row.col(4)?,
    })
}

pub(crate) fn finding_from(row: &impl Cols) -> Result<FindingRow, StoreError> {
    Ok(FindingRow {
        period: row.col(0)?,
        entry_seq: row.col(1)?,
        by_user: row.col(2)?,
        at_ms: row.col(3)?,
        note: row.col(4)?,
        entry_chain: row.col(5)?,
    })
}
