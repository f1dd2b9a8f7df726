//! What an operation means, once for both backends: each backend supplies the SQL primitives ([`Tx`]),
//! this module composes them into operations and chains their access-log entries.

use vow_audit::Entry;

use crate::{ApiKeyRecord, ItemRecord, Op, Outcome, Request, StoreError, SubjectRecord};

/// The SQL primitives of one open transaction.
pub(crate) trait Tx {
    /// The last log entry, locked against other writers until the transaction ends.
    fn audit_head(&mut self) -> Result<Option<Entry>, StoreError>;
    /// Appends entries in order (several rows per statement: the log is most of what a batch writes).
    fn append_audit(&mut self, entries: &[Entry]) -> Result<(), StoreError>;
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
    ) -> Result<Option<(Vec<u8>, ItemRecord)>, StoreError>;
    fn items(&mut self, subject_id: &str) -> Result<Vec<ItemRecord>, StoreError>;
    fn lookup(&mut self, category: &str, blind_index: &[u8]) -> Result<Vec<String>, StoreError>;
    /// Deletes the items, the external id and the wrapped key; keeps a tombstone with the time.
    fn erase_subject(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError>;
    fn insert_api_key(&mut self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    /// Returns false when no unrevoked key has that id.
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError>;
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Returns false when the subject is not live.
    fn set_wrapped_key(&mut self, id: &str, wrapped_key: &[u8]) -> Result<bool, StoreError>;
    fn subject_ids(&mut self, after: &str, limit: usize) -> Result<Vec<String>, StoreError>;
}

/// Applies every request of a batch inside one open transaction, without savepoints (each would
/// cost a round trip on PostgreSQL). On the first failure it stops and says which request failed;
/// the caller then rolls the transaction back and applies the requests one transaction each (see
/// [`apply_each`]), so a failing request leaves no trace and does not undo its neighbours.
pub(crate) fn apply_all(
    tx: &mut impl Tx,
    batch: &[Request],
) -> Result<Vec<Outcome>, (usize, StoreError)> {
    // The log's head is read (and on PostgreSQL locked) only when the batch writes to the log.
    let mut head: Option<Option<Entry>> = None;
    let mut entries = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for (index, request) in batch.iter().enumerate() {
        let outcome = apply_one(tx, request, &mut head, &mut entries).map_err(|e| (index, e))?;
        outcomes.push(outcome);
    }
    // Nothing in a batch reads the log, so its entries are written together at the end.
    if !entries.is_empty() {
        tx.append_audit(&entries)
            .map_err(|e| (batch.len().saturating_sub(1), e))?;
    }
    Ok(outcomes)
}

/// The result of applying requests in one transaction: committed outcomes, or the first request that
/// failed (the transaction is then rolled back).
pub(crate) type Attempt = Result<Vec<Outcome>, (usize, StoreError)>;

/// Applies a batch with `in_one_transaction`; when a request fails, the batch is rolled back and
/// each request is applied again in a transaction of its own, so only the failing one fails.
pub(crate) fn apply_with_fallback(
    batch: &[Request],
    mut in_one_transaction: impl FnMut(&[Request]) -> Result<Attempt, StoreError>,
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    let first = in_one_transaction(batch)?;
    let mut alone = |request: &Request| match in_one_transaction(std::slice::from_ref(request)) {
        Ok(Ok(mut outcomes)) => outcomes.pop().ok_or(StoreError::Closed),
        Ok(Err((_, error))) | Err(error) => Err(error),
    };
    match first {
        Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Err((_, error)) if batch.len() == 1 => {
            Ok(vec![after_lost_race(error, || alone(&batch[0]))])
        }
        Err(_) => Ok(batch
            .iter()
            .map(|request| match alone(request) {
                Err(error) => after_lost_race(error, || alone(request)),
                done => done,
            })
            .collect()),
    }
}

/// Another process committed the same unique value (one external id) between this transaction's
/// check and its insert. Once more, the check sees the winner and answers as for any existing
/// value, instead of failing as a storage error.
fn after_lost_race(
    error: StoreError,
    again: impl FnOnce() -> Result<Outcome, StoreError>,
) -> Result<Outcome, StoreError> {
    if error.is_unique_violation() {
        again()
    } else {
        Err(error)
    }
}

fn apply_one(
    tx: &mut impl Tx,
    request: &Request,
    head: &mut Option<Option<Entry>>,
    entries: &mut Vec<Entry>,
) -> Result<Outcome, StoreError> {
    let outcome = run(tx, &request.op)?;
    if let (Some(new_entry), true) = (&request.audit, outcome.is_access()) {
        if head.is_none() {
            *head = Some(tx.audit_head()?);
        }
        let head = head.get_or_insert(None);
        // A lookup is an access to every subject it finds: one entry each, so the monthly review and
        // a subject's own access history see it.
        let subjects: Vec<Option<String>> = match &outcome {
            Outcome::Subjects(ids) if !ids.is_empty() => ids.iter().cloned().map(Some).collect(),
            _ => vec![new_entry.subject_id.clone()],
        };
        for subject_id in subjects {
            let mut new_entry = new_entry.clone();
            new_entry.subject_id = subject_id;
            let entry = vow_audit::chain(head.as_ref(), new_entry);
            *head = Some(entry.clone());
            entries.push(entry);
        }
    }
    Ok(outcome)
}

fn run(tx: &mut impl Tx, op: &Op) -> Result<Outcome, StoreError> {
    Ok(match op {
        Op::CreateSubject(subject) => match tx.subject_by_external_id(&subject.external_id)? {
            Some(id) => Outcome::AlreadyExists { id },
            None => {
                tx.insert_subject(subject)?;
                Outcome::Created
            }
        },
        Op::GetSubject { subject_id } => match tx.subject(subject_id)? {
            Some(subject) => Outcome::Subject(subject),
            None => Outcome::NotFound,
        },
        Op::PutItem { subject_id, item } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Stored {
                replaced: tx.upsert_item(subject_id, item)?,
            },
            None => Outcome::NotFound,
        },
        Op::GetItem {
            subject_id,
            category,
        } => match tx.item_with_key(subject_id, category)? {
            Some((wrapped_key, item)) => Outcome::Item { wrapped_key, item },
            None => Outcome::NotFound,
        },
        Op::Lookup {
            category,
            blind_index,
        } => Outcome::Subjects(tx.lookup(category, blind_index)?),
        Op::Export { subject_id } => match tx.subject(subject_id)? {
            Some(subject) => Outcome::Export {
                items: tx.items(subject_id)?,
                subject,
            },
            None => Outcome::NotFound,
        },
        Op::Erase { subject_id, at_ms } => match tx.subject(subject_id)? {
            Some(_) => {
                tx.erase_subject(subject_id, *at_ms)?;
                Outcome::Done
            }
            None => Outcome::NotFound,
        },
        Op::CreateApiKey(key) => {
            tx.insert_api_key(key)?;
            Outcome::Created
        }
        Op::RevokeApiKey { id, at_ms } => {
            if tx.revoke_api_key(id, *at_ms)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        Op::ListApiKeys => Outcome::ApiKeys(tx.api_keys()?),
        Op::Rewrap {
            subject_id,
            wrapped_key,
        } => {
            if tx.set_wrapped_key(subject_id, wrapped_key)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        Op::SubjectIds { after, limit } => Outcome::Subjects(tx.subject_ids(after, *limit)?),
    })
}
