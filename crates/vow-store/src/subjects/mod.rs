//! Subjects and their items: registration, one sealed item per category, lookup by blind index,
//! the restriction and correction marks, key rotation's re-wrap.

use crate::*;

mod postgres;
mod sqlite;

/// An item as a read needs it: with the subject's wrapped key and whether the subject may be used.
pub(crate) struct ItemWithKey {
    pub wrapped_key: Vec<u8>,
    pub item: ItemRecord,
    pub restricted: bool,
    pub minor: bool,
}

/// A data subject as stored: an opaque id, the service's own id for them, their kind (from the policy),
/// and their data key wrapped by the key-encryption key. `wrapped_key` is gone once the subject is erased.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectRecord {
    pub id: String,
    pub external_id: String,
    pub kind: String,
    pub wrapped_key: Vec<u8>,
    pub created_ms: i64,
    /// A child under the policy's age of consent when collected: their data waits for a guardian's
    /// verified consent (a consent under [`GUARDIAN_PURPOSE`]).
    pub minor: bool,
    /// Processing restricted (처리정지) at the subject's request: reads for use are refused.
    pub restricted: bool,
    /// When the account was closed (the `account_closure` event) or the subject erased: from then on
    /// no new item, upload or consent is taken, and a record only into separated storage.
    pub closed_ms: Option<i64>,
    /// When an erasure (a `DELETE` or an erasure request) ended the subject: only what a law still
    /// holds is left, kept apart.
    pub erasure_ms: Option<i64>,
    /// For a child: the earliest day they can have been born, sealed with their data key (never
    /// kept for an adult).
    pub born_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for SubjectRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("created_ms", &self.created_ms)
            .field("minor", &self.minor)
            .field("closed_ms", &self.closed_ms)
            .field("erasure_ms", &self.erasure_ms)
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
    /// The subject asked for it to be corrected: until written anew it is neither used nor given.
    pub contested: bool,
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

/// What is asked of the store about subjects.
#[derive(Clone, Debug)]
pub enum SubjectOp {
    /// `Created` or, when the external id is taken, `AlreadyExists` with the subject that holds it.
    CreateSubject(SubjectRecord),
    /// The subject (with its wrapped data key), or `NotFound` if absent or erased.
    GetSubject { subject_id: String },
    /// Inserts or replaces one item: `Stored { replaced }`.
    PutItem {
        subject_id: String,
        item: ItemRecord,
    },
    /// `Item` with the subject's wrapped key, so one round trip is enough to decrypt, and whether
    /// the subject's data may be used (restricted; a child whose guardian withdrew).
    GetItem {
        subject_id: String,
        category: String,
    },
    /// Subjects holding `category` with this blind index; a value under correction (contested) is
    /// found only with `include_contested` (for the role that answers the request).
    Lookup {
        category: String,
        blind_index: Vec<u8>,
        include_contested: bool,
    },
    /// Everything held about the subject.
    Export { subject_id: String },
    /// Replaces a subject's wrapped key (key rotation). `Done`, or `NotFound` if erased meanwhile.
    Rewrap {
        subject_id: String,
        wrapped_key: Vec<u8>,
    },
    /// Live subject ids after `after` in id order, at most `limit` (for rotation and sweeps).
    SubjectIds { after: String, limit: usize },
    /// Marks the subject restricted (처리정지) or lifts it: `Done` or `NotFound`.
    SetRestricted {
        subject_id: String,
        restricted: bool,
    },
    /// Marks the subject's items, records and uploads of a category as under correction, or clears
    /// the mark: `Done`, or `NotFound` when it holds none of them.
    SetContested {
        subject_id: String,
        category: String,
        contested: bool,
    },
}

impl From<SubjectOp> for Op {
    fn from(op: SubjectOp) -> Op {
        Op::Subjects(op)
    }
}

/// The SQL primitives of subjects, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait SubjectTx {
    /// Where a child's legal guardian's consent stands ([`crate::GUARDIAN_PURPOSE`] in the consent
    /// states): `None` when never given, else whether it is given now.
    fn guardian_state(&mut self, subject_id: &str) -> Result<Option<bool>, StoreError>;
    /// Whether the guardian's consent is given now: a child's data waits for it.
    fn guardian_consented(&mut self, subject_id: &str) -> Result<bool, StoreError> {
        Ok(self.guardian_state(subject_id)? == Some(true))
    }
    /// The live subject holding `external_id`, if any.
    fn subject_by_external_id(&mut self, external_id: &str) -> Result<Option<String>, StoreError>;
    fn insert_subject(&mut self, subject: &SubjectRecord) -> Result<(), StoreError>;
    /// A live (not erased) subject.
    fn subject(&mut self, id: &str) -> Result<Option<SubjectRecord>, StoreError>;
    /// Inserts or replaces; returns whether an item was replaced.
    fn upsert_item(&mut self, subject_id: &str, item: &ItemRecord) -> Result<bool, StoreError>;
    /// The item of a live subject, with the subject's wrapped key, in one query.
    fn item_with_key(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<ItemWithKey>, StoreError>;
    fn items(&mut self, subject_id: &str) -> Result<Vec<ItemRecord>, StoreError>;
    /// Live subjects whose item of `category` has this blind index; a value under correction only
    /// with `include_contested`.
    fn lookup(
        &mut self,
        category: &str,
        blind_index: &[u8],
        include_contested: bool,
    ) -> Result<Vec<String>, StoreError>;
    /// Deletes the items, the external id and the wrapped key; keeps a tombstone with the time.
    fn erase_subject(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Marks the subject's use ended at `at_ms` (the earlier time stays), and, with `erasure`, erased.
    fn close_subject(&mut self, id: &str, at_ms: i64, erasure: bool) -> Result<(), StoreError>;
    /// Returns false when the subject is not live.
    fn set_wrapped_key(&mut self, id: &str, wrapped_key: &[u8]) -> Result<bool, StoreError>;
    fn subject_ids(&mut self, after: &str, limit: usize) -> Result<Vec<String>, StoreError>;
    fn set_restricted(&mut self, subject_id: &str, restricted: bool) -> Result<bool, StoreError>;
    fn set_contested(
        &mut self,
        subject_id: &str,
        category: &str,
        contested: bool,
    ) -> Result<bool, StoreError>;
}

pub(crate) fn run(tx: &mut impl SubjectTx, op: &SubjectOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        SubjectOp::CreateSubject(subject) => {
            match tx.subject_by_external_id(&subject.external_id)? {
                Some(id) => Outcome::AlreadyExists { id },
                None => {
                    tx.insert_subject(subject)?;
                    Outcome::Created
                }
            }
        }
        SubjectOp::GetSubject { subject_id } => match tx.subject(subject_id)? {
            Some(subject) => Outcome::Subject(subject),
            None => Outcome::NotFound,
        },
        SubjectOp::PutItem { subject_id, item } => match tx.subject(subject_id)? {
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => Outcome::Stored {
                replaced: tx.upsert_item(subject_id, item)?,
            },
            None => Outcome::NotFound,
        },
        SubjectOp::GetItem {
            subject_id,
            category,
        } => match tx.item_with_key(subject_id, category)? {
            Some(ItemWithKey {
                wrapped_key,
                item,
                restricted,
                minor,
            }) => Outcome::Item {
                guardian_withdrawn: minor && tx.guardian_state(subject_id)? == Some(false),
                wrapped_key,
                item,
                restricted,
            },
            None => Outcome::NotFound,
        },
        SubjectOp::Lookup {
            category,
            blind_index,
            include_contested,
        } => Outcome::Subjects(tx.lookup(category, blind_index, *include_contested)?),
        SubjectOp::Export { subject_id } => match tx.subject(subject_id)? {
            Some(subject) => Outcome::Export {
                items: tx.items(subject_id)?,
                subject,
            },
            None => Outcome::NotFound,
        },
        SubjectOp::Rewrap {
            subject_id,
            wrapped_key,
        } => {
            if tx.set_wrapped_key(subject_id, wrapped_key)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        SubjectOp::SubjectIds { after, limit } => Outcome::Subjects(tx.subject_ids(after, *limit)?),
        SubjectOp::SetRestricted {
            subject_id,
            restricted,
        } => {
            if tx.set_restricted(subject_id, *restricted)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        SubjectOp::SetContested {
            subject_id,
            category,
            contested,
        } => {
            if tx.subject(subject_id)?.is_some()
                && tx.set_contested(subject_id, category, *contested)?
            {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
    })
}

pub(crate) fn subject_from(row: &impl Cols) -> Result<SubjectRecord, StoreError> {
    Ok(SubjectRecord {
        id: row.col(0)?,
        external_id: row.col::<Option<String>>(1)?.unwrap_or_default(),
        kind: row.col(2)?,
        wrapped_key: row.col::<Option<Vec<u8>>>(3)?.unwrap_or_default(),
        created_ms: row.col(4)?,
        minor: row.col(5)?,
        restricted: row.col(6)?,
        closed_ms: row.col(7)?,
        erasure_ms: row.col(8)?,
        born_sealed: row.col(9)?,
    })
}

pub(crate) fn item_from(row: &impl Cols) -> Result<ItemRecord, StoreError> {
    Ok(ItemRecord {
        category: row.col(0)?,
        sealed: row.col(1)?,
        blind_index: row.col(2)?,
        updated_ms: row.col(3)?,
        contested: row.col(4)?,
    })
}
