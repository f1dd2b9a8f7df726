//! The privacy center's one-time secrets: codes sent to a contact, links a service hands its
//! signed-in users, the sessions they open, and links to download an answer. Only keyed digests of
//! the secrets are kept (a code's digest is bound to its challenge), beside the subject they are for.

use crate::*;

mod postgres;
mod sqlite;

/// What kind of secret a token row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A challenge: a code was (or, for an unknown contact, seemed to be) sent.
    Code,
    /// A link a service's backend asked for, for a user it has signed in.
    Link,
    /// A data subject's session in the privacy center.
    Session,
    /// A single-use link to download the answer to a request.
    Download,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Code => "code",
            TokenKind::Link => "link",
            TokenKind::Session => "session",
            TokenKind::Download => "download",
        }
    }
}

/// One secret, by the keyed digest of its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivacyTokenRow {
    pub digest: Vec<u8>,
    pub kind: String,
    /// None for a challenge of a contact nobody has: it can never be redeemed.
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    /// For a code: the keyed digest of the code.
    pub secret: Option<Vec<u8>>,
    /// What the secret carries beside (the verification method, a download's format): no values.
    pub detail: String,
    pub created_ms: i64,
    /// Sessions move this forward as they are used (idle time-out).
    pub expires_ms: i64,
    pub used_ms: Option<i64>,
    pub tries: i64,
}

/// At most `at_most` tokens of one subject and kind created at or after `since_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentCap {
    pub since_ms: i64,
    pub at_most: i64,
}

/// What is asked of the store about the privacy center's secrets.
#[derive(Clone, Debug)]
pub enum PrivacyOp {
    /// `Created`.
    Insert(PrivacyTokenRow),
    /// Inserts a row for a subject unless the subject already has `at_most` rows of its kind
    /// created at or after `since_ms`, for any of the `caps` given: then the row goes in without its
    /// subject (it can never be redeemed, and the one who asked sees no difference) and the outcome
    /// is `Stale`; otherwise `Created`. The count and the insert are one transaction.
    InsertCapped {
        row: PrivacyTokenRow,
        caps: Vec<RecentCap>,
    },
    /// A live (unused, unexpired) token: `PrivacyTokens` with zero or one row.
    Live {
        digest: Vec<u8>,
        kind: TokenKind,
        now_ms: i64,
    },
    /// Uses a live token once: `PrivacyTokens` with the row as it was, or `NotFound` when it is
    /// unknown, used, expired or (a code) locked. Two concurrent uses: one wins.
    Redeem {
        digest: Vec<u8>,
        kind: TokenKind,
        now_ms: i64,
    },
    /// Checks a code against a live challenge: on a match the challenge is used and its row
    /// returned (`PrivacyTokens`); a wrong code counts a try (`Stale`); a challenge out of tries is
    /// `Closed`; unknown, used or expired is `NotFound`.
    TryCode {
        digest: Vec<u8>,
        code_digest: Vec<u8>,
        now_ms: i64,
        max_tries: i64,
    },
    /// Moves a live session's expiry: `Done` / `NotFound`.
    Extend {
        digest: Vec<u8>,
        expires_ms: i64,
        now_ms: i64,
    },
    /// Ends a token (a session at sign-out): `Done` / `NotFound`.
    End { digest: Vec<u8> },
    /// Ends every token of a subject of this kind (erasure ends their sessions): `Removed(n)`.
    EndAllOf { subject_id: String, kind: TokenKind },
    /// Removes tokens that expired before `before_ms`: `Removed(n)`.
    Prune { before_ms: i64 },
}

impl From<PrivacyOp> for Op {
    fn from(op: PrivacyOp) -> Op {
        Op::Privacy(op)
    }
}

/// The SQL primitives of the privacy center, written once per backend.
pub(crate) trait PrivacyTx {
    fn insert_privacy_token(&mut self, row: &PrivacyTokenRow) -> Result<(), StoreError>;
    /// The row, locked for the rest of the transaction where the backend has row locks.
    fn privacy_token(
        &mut self,
        digest: &[u8],
        kind: &str,
    ) -> Result<Option<PrivacyTokenRow>, StoreError>;
    /// Marks a token used if it is not yet: rows changed.
    fn use_privacy_token(&mut self, digest: &[u8], now_ms: i64) -> Result<u64, StoreError>;
    fn count_privacy_try(&mut self, digest: &[u8]) -> Result<u64, StoreError>;
    fn extend_privacy_token(
        &mut self,
        digest: &[u8],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError>;
    fn delete_privacy_token(&mut self, digest: &[u8]) -> Result<u64, StoreError>;
    fn delete_privacy_tokens_of(&mut self, subject_id: &str, kind: &str)
        -> Result<u64, StoreError>;
    fn prune_privacy_tokens(&mut self, before_ms: i64) -> Result<u64, StoreError>;
    /// How many tokens of a subject and kind were created at or after `since_ms`.
    fn count_privacy_tokens_since(
        &mut self,
        subject_id: &str,
        kind: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError>;
}

fn live(row: &PrivacyTokenRow, now_ms: i64) -> bool {
    row.used_ms.is_none() && row.expires_ms > now_ms
}

pub(crate) fn run(tx: &mut impl PrivacyTx, op: &PrivacyOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        PrivacyOp::Insert(row) => {
            tx.insert_privacy_token(row)?;
            Outcome::Created
        }
        PrivacyOp::InsertCapped { row, caps } => {
            let mut over = false;
            if let Some(subject) = &row.subject_id {
                for cap in caps {
                    if tx.count_privacy_tokens_since(subject, &row.kind, cap.since_ms)?
                        >= cap.at_most
                    {
                        over = true;
                        break;
                    }
                }
            }
            if over {
                tx.insert_privacy_token(&PrivacyTokenRow {
                    subject_id: None,
                    ..row.clone()
                })?;
                Outcome::Stale
            } else {
                tx.insert_privacy_token(row)?;
                Outcome::Created
            }
        }
        PrivacyOp::Live {
            digest,
            kind,
            now_ms,
        } => Outcome::PrivacyTokens(
            tx.privacy_token(digest, kind.as_str())?
                .filter(|row| live(row, *now_ms))
                .into_iter()
                .collect(),
        ),
        PrivacyOp::Redeem {
            digest,
            kind,
            now_ms,
        } => match tx.privacy_token(digest, kind.as_str())? {
            Some(row) if live(&row, *now_ms) && tx.use_privacy_token(digest, *now_ms)? > 0 => {
                Outcome::PrivacyTokens(vec![row])
            }
            _ => Outcome::NotFound,
        },
        PrivacyOp::TryCode {
            digest,
            code_digest,
            now_ms,
            max_tries,
        } => match tx.privacy_token(digest, TokenKind::Code.as_str())? {
            Some(row) if live(&row, *now_ms) => {
                if row.tries >= *max_tries {
                    Outcome::Closed
                } else {
                    let matches = row.subject_id.is_some()
                        && row
                            .secret
                            .as_deref()
                            .is_some_and(|secret| constant_time_eq(secret, code_digest));
                    if matches && tx.use_privacy_token(digest, *now_ms)? > 0 {
                        Outcome::PrivacyTokens(vec![row])
                    } else {
                        tx.count_privacy_try(digest)?;
                        Outcome::Stale
                    }
                }
            }
            _ => Outcome::NotFound,
        },
        PrivacyOp::Extend {
            digest,
            expires_ms,
            now_ms,
        } => done(tx.extend_privacy_token(digest, *expires_ms, *now_ms)?),
        PrivacyOp::End { digest } => done(tx.delete_privacy_token(digest)?),
        PrivacyOp::EndAllOf { subject_id, kind } => {
            Outcome::Removed(tx.delete_privacy_tokens_of(subject_id, kind.as_str())?)
        }
        PrivacyOp::Prune { before_ms } => Outcome::Removed(tx.prune_privacy_tokens(*before_ms)?),
    })
}

fn done(changed: u64) -> Outcome {
    if changed > 0 {
        Outcome::Done
    } else {
        Outcome::NotFound
    }
}

/// Compares two digests without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) const TOKEN_COLUMNS: &str =
    "digest, kind, subject_id, request_id, secret, detail, created_ms, expires_ms, used_ms, tries";

pub(crate) fn token_from(row: &impl Cols) -> Result<PrivacyTokenRow, StoreError> {
    Ok(PrivacyTokenRow {
        digest: row.col(0)?,
        kind: row.col(1)?,
        subject_id: row.col(2)?,
        request_id: row.col(3)?,
        secret: row.col(4)?,
        detail: row.col(5)?,
        created_ms: row.col(6)?,
        expires_ms: row.col(7)?,
        used_ms: row.col(8)?,
        tries: row.col(9)?,
    })
}
