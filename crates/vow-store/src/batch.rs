//! What an operation means, once for both backends: each backend supplies the SQL primitives ([`Tx`]),
//! this module composes them into operations and chains their access-log entries.

use vow_audit::Entry;

use std::collections::BTreeMap;

use crate::{
    record_binding, ApiKeyRecord, CampaignSubject, ConsentEvent, ConsentState, DestructionRow,
    Disposal, Disposed, ItemRecord, Op, OutboxRecord, Outcome, Piece, ProvisionRow, RecordRow,
    Request, RetentionView, RightsRequestRow, SeparatedRow, StoreError, SubjectRecord, UploadRow,
    CONSENT_EVIDENCE, GUARDIAN_PURPOSE,
};

/// An item as a read needs it: with the subject's wrapped key and whether the subject may be used.
pub(crate) struct ItemWithKey {
    pub wrapped_key: Vec<u8>,
    pub item: ItemRecord,
    pub restricted: bool,
    pub minor: bool,
}

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
    /// Drops the subject's consent states (an erased subject's consents count as withdrawn).
    fn delete_consent_states(&mut self, subject_id: &str) -> Result<(), StoreError>;
    /// Empties the sealed evidence of the subject's consent changes (the ledger's shape stays as
    /// proof); returns how many were emptied.
    fn destroy_consent_evidence(&mut self, subject_id: &str) -> Result<i64, StoreError>;
    fn insert_api_key(&mut self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    /// Returns false when no unrevoked key has that id.
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError>;
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Returns false when the subject is not live.
    fn set_wrapped_key(&mut self, id: &str, wrapped_key: &[u8]) -> Result<bool, StoreError>;
    fn subject_ids(&mut self, after: &str, limit: usize) -> Result<Vec<String>, StoreError>;

    // ---- consent and the outbox
    /// Every current consent state of the subject.
    fn consent_states(&mut self, subject_id: &str) -> Result<Vec<ConsentState>, StoreError>;
    /// Whether the guardian's consent is currently given for the child.
    fn guardian_consented(&mut self, subject_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .consent_states(subject_id)?
            .iter()
            .any(|s| s.purpose == GUARDIAN_PURPOSE && s.granted))
    }
    /// Appends to the ledger with the next sequence number (the caller holds the log's lock).
    fn insert_consent_event(&mut self, event: &ConsentEvent) -> Result<(), StoreError>;
    fn upsert_consent_state(&mut self, state: &ConsentState) -> Result<(), StoreError>;
    fn consent_events(
        &mut self,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<ConsentEvent>, StoreError>;
    fn campaign_states(
        &mut self,
        subject_ids: &[String],
        purpose: &str,
        channel: &str,
    ) -> Result<Vec<CampaignSubject>, StoreError>;
    fn consents_due(
        &mut self,
        purpose: &str,
        since_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<ConsentState>, StoreError>;
    fn owed_notices(&mut self, limit: usize) -> Result<Vec<ConsentEvent>, StoreError>;
    /// `None` when no change has that id; otherwise whether it needs a notice, whether one was sent,
    /// and when the change was made.
    fn notice_status(&mut self, event_id: &str) -> Result<Option<(bool, bool, i64)>, StoreError>;
    fn insert_notice(&mut self, event_id: &str, at_ms: i64, key_id: &str)
        -> Result<(), StoreError>;
    /// Appends with the next sequence number (the caller holds the log's lock); false when an event
    /// with this id is there already.
    fn insert_outbox(&mut self, record: &OutboxRecord) -> Result<bool, StoreError>;
    fn claim_outbox(
        &mut self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    fn finish_delivery(
        &mut self,
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    fn outbox_page(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;

    // ---- retention, separated storage, the destruction ledger, rights requests
    fn insert_record(&mut self, record: &RecordRow) -> Result<(), StoreError>;
    fn records(&mut self, subject_id: &str) -> Result<Vec<RecordRow>, StoreError>;
    fn insert_retention_event(
        &mut self,
        subject_id: &str,
        event: &str,
        at_ms: i64,
        recorded_ms: i64,
    ) -> Result<(), StoreError>;
    /// Live subjects after `after` with their events, items, records and separated rows (times and
    /// categories only), read with one range query per table.
    fn retention_page(
        &mut self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RetentionView>, StoreError>;
    /// Deletes and returns an item (`None` when another writer took it first).
    fn take_item(
        &mut self,
        subject_id: &str,
        category: &str,
    ) -> Result<Option<ItemRecord>, StoreError>;
    fn take_record(&mut self, subject_id: &str, id: &str) -> Result<Option<RecordRow>, StoreError>;
    fn delete_piece(&mut self, subject_id: &str, piece: &Piece) -> Result<bool, StoreError>;
    fn insert_separated(&mut self, row: &SeparatedRow) -> Result<(), StoreError>;
    fn separated(&mut self, subject_id: &str) -> Result<Vec<SeparatedRow>, StoreError>;
    /// Whether any item, record or separated row of the subject is left.
    fn holds_anything(&mut self, subject_id: &str) -> Result<bool, StoreError>;
    /// Appends with the next sequence number (the caller holds the log's lock).
    fn insert_destruction(&mut self, row: &DestructionRow) -> Result<(), StoreError>;
    fn destructions(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<DestructionRow>, StoreError>;
    fn insert_rights_request(&mut self, row: &RightsRequestRow) -> Result<(), StoreError>;
    /// Returns false when the request is not in `expected_state` (or does not exist).
    fn update_rights_request(
        &mut self,
        row: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError>;
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError>;
    fn insert_upload(&mut self, row: &UploadRow) -> Result<(), StoreError>;
    /// A live subject's upload with the subject's wrapped key and restriction mark.
    fn upload(
        &mut self,
        subject_id: &str,
        id: &str,
    ) -> Result<Option<(UploadRow, Vec<u8>, bool)>, StoreError>;
    fn uploads(&mut self, subject_id: &str) -> Result<Vec<UploadRow>, StoreError>;
    fn update_upload(
        &mut self,
        subject_id: &str,
        id: &str,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    ) -> Result<bool, StoreError>;
    fn take_upload(&mut self, subject_id: &str, id: &str) -> Result<Option<UploadRow>, StoreError>;
    /// Appends with the next sequence number (the caller holds the log's lock).
    fn insert_provision(&mut self, row: &ProvisionRow) -> Result<i64, StoreError>;
    fn provisions(&mut self, after_seq: i64, limit: usize)
        -> Result<Vec<ProvisionRow>, StoreError>;
    fn set_restricted(&mut self, subject_id: &str, restricted: bool) -> Result<bool, StoreError>;
    fn set_contested(
        &mut self,
        subject_id: &str,
        category: &str,
        contested: bool,
    ) -> Result<bool, StoreError>;
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
    // Operations that number rows (the consent ledger, the outbox) take the log's lock first, so rows
    // are numbered in commit order even across processes, and every transaction takes the locks in
    // the same order.
    if head.is_none()
        && matches!(
            request.op,
            Op::RecordConsent { .. }
                | Op::Enqueue(_)
                | Op::Dispose { .. }
                | Op::RecordRetentionEvent { .. }
                | Op::RecordProvision(_)
                | Op::CloseSubject { .. }
        )
    {
        *head = Some(tx.audit_head()?);
    }
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
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => Outcome::Stored {
                replaced: tx.upsert_item(subject_id, item)?,
            },
            None => Outcome::NotFound,
        },
        Op::GetItem {
            subject_id,
            category,
        } => match tx.item_with_key(subject_id, category)? {
            Some(ItemWithKey {
                wrapped_key,
                item,
                restricted,
                minor,
            }) => Outcome::Item {
                guardian_withdrawn: minor
                    && tx
                        .consent_states(subject_id)?
                        .iter()
                        .any(|s| s.purpose == GUARDIAN_PURPOSE && !s.granted),
                wrapped_key,
                item,
                restricted,
            },
            None => Outcome::NotFound,
        },
        Op::Lookup {
            category,
            blind_index,
            include_contested,
        } => Outcome::Subjects(tx.lookup(category, blind_index, *include_contested)?),
        Op::Export { subject_id } => match tx.subject(subject_id)? {
            Some(subject) => Outcome::Export {
                items: tx.items(subject_id)?,
                subject,
            },
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
        Op::LogOnly => Outcome::Done,
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
        Op::RecordConsent {
            event,
            expected,
            outbox,
        } => record_consent(tx, event, *expected, outbox)?,
        Op::Consents {
            subject_id,
            history,
        } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Consents {
                states: tx.consent_states(subject_id)?,
                history: if *history {
                    tx.consent_events(Some(subject_id), 0, usize::MAX)?
                } else {
                    Vec::new()
                },
            },
            None => Outcome::NotFound,
        },
        Op::CampaignStates {
            subject_ids,
            purpose,
            channel,
        } => Outcome::CampaignStates(tx.campaign_states(subject_ids, purpose, channel)?),
        Op::ConsentsDue {
            purpose,
            since_before_ms,
            limit,
        } => Outcome::ConsentStates(tx.consents_due(purpose, *since_before_ms, *limit)?),
        Op::OwedNotices { limit } => Outcome::ConsentEvents(tx.owed_notices(*limit)?),
        Op::MarkNoticeSent {
            event_id,
            at_ms,
            key_id,
        } => match tx.notice_status(event_id)? {
            None | Some((false, _, _)) => Outcome::NotFound,
            Some((true, true, _)) => Outcome::AlreadyExists {
                id: event_id.clone(),
            },
            // A notice cannot have been sent before the change it tells of.
            Some((true, false, changed_ms)) if *at_ms < changed_ms => Outcome::Stale,
            Some((true, false, _)) => {
                tx.insert_notice(event_id, *at_ms, key_id)?;
                Outcome::Done
            }
        },
        Op::ConsentLedger {
            subject_id,
            after_seq,
            limit,
        } => {
            Outcome::ConsentEvents(tx.consent_events(subject_id.as_deref(), *after_seq, *limit)?)
        }
        Op::Enqueue(record) => {
            if tx.insert_outbox(record)? {
                Outcome::Created
            } else {
                Outcome::AlreadyExists {
                    id: record.id.clone(),
                }
            }
        }
        Op::ClaimOutbox {
            now_ms,
            lease_until_ms,
            limit,
        } => Outcome::Outbox(tx.claim_outbox(*now_ms, *lease_until_ms, *limit)?),
        Op::FinishDelivery {
            seq,
            delivered_ms,
            next_attempt_ms,
            error,
        } => {
            tx.finish_delivery(*seq, *delivered_ms, *next_attempt_ms, error.as_deref())?;
            Outcome::Done
        }
        Op::OutboxPage { after_seq, limit } => Outcome::Outbox(tx.outbox_page(*after_seq, *limit)?),
        Op::PutRecord(record) => match tx.subject(&record.subject_id)? {
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(&record.subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => {
                tx.insert_record(record)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        Op::PutSeparated(row) => match tx.subject(&row.subject_id)? {
            Some(_) => {
                tx.insert_separated(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        Op::CloseSubject {
            subject_id,
            at_ms,
            erasure,
            cause,
            method,
            by_key,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                tx.close_subject(subject_id, *at_ms, *erasure)?;
                tx.insert_retention_event(subject_id, "account_closure", *at_ms, *at_ms)?;
                if *erasure {
                    tx.delete_consent_states(subject_id)?;
                    let emptied = tx.destroy_consent_evidence(subject_id)?;
                    if emptied > 0 {
                        tx.insert_destruction(&DestructionRow {
                            seq: 0,
                            at_ms: *at_ms,
                            subject_id: subject_id.clone(),
                            category: CONSENT_EVIDENCE.to_string(),
                            storage: "active".to_string(),
                            count: emptied,
                            rule: cause.clone(),
                            basis: "request".to_string(),
                            law: None,
                            cause: cause.clone(),
                            method: method.clone(),
                            by_key: by_key.clone(),
                        })?;
                    }
                }
                Outcome::Done
            }
            None => Outcome::NotFound,
        },
        Op::Records { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Records(tx.records(subject_id)?),
            None => Outcome::NotFound,
        },
        Op::RecordRetentionEvent {
            subject_id,
            event,
            at_ms,
            recorded_ms,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                tx.insert_retention_event(subject_id, event, *at_ms, *recorded_ms)?;
                // The account's closure ends its use, whoever reports it.
                if event == "account_closure" {
                    tx.close_subject(subject_id, *at_ms, false)?;
                }
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        Op::RetentionPage { after, limit } => {
            Outcome::RetentionViews(tx.retention_page(after, *limit)?)
        }
        Op::Dispose {
            subject_id,
            at_ms,
            disposals,
            cause,
            method,
            by_key,
            shred_when_empty,
        } => match tx.subject(subject_id)? {
            Some(_) => {
                let context = DisposalContext {
                    subject_id,
                    at_ms: *at_ms,
                    cause,
                    method,
                    by_key,
                };
                Outcome::Disposed(dispose(tx, &context, disposals, *shred_when_empty)?)
            }
            None => Outcome::NotFound,
        },
        Op::Destructions { after_seq, limit } => {
            Outcome::Destructions(tx.destructions(*after_seq, *limit)?)
        }
        Op::SeparatedOf { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Separated(tx.separated(subject_id)?),
            None => Outcome::NotFound,
        },
        Op::CreateRightsRequest(row) => match tx.subject(&row.subject_id)? {
            Some(_) => {
                tx.insert_rights_request(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        Op::UpdateRightsRequest {
            row,
            expected_state,
        } => {
            if tx.rights_requests(Some(&row.id), false, 1)?.is_empty() {
                Outcome::NotFound
            } else if tx.update_rights_request(row, expected_state)? {
                Outcome::Done
            } else {
                Outcome::Stale
            }
        }
        Op::GetRightsRequest { id } => match tx.rights_requests(Some(id), false, 1)? {
            rows if rows.is_empty() => Outcome::NotFound,
            rows => Outcome::RightsRequests(rows),
        },
        Op::RightsRequests { open_only, limit } => {
            Outcome::RightsRequests(tx.rights_requests(None, *open_only, *limit)?)
        }
        Op::PutUpload(row) => match tx.subject(&row.subject_id)? {
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(&row.subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => {
                tx.insert_upload(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        Op::GetUpload { subject_id, id } => match tx.upload(subject_id, id)? {
            Some((row, wrapped_key, restricted)) => Outcome::Upload {
                row,
                wrapped_key,
                restricted,
            },
            None => Outcome::NotFound,
        },
        Op::Uploads { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Uploads(tx.uploads(subject_id)?),
            None => Outcome::NotFound,
        },
        Op::UpdateUpload {
            subject_id,
            id,
            processed_ms,
            keep,
        } => {
            if tx.subject(subject_id)?.is_some()
                && tx.update_upload(subject_id, id, *processed_ms, *keep)?
            {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        Op::RecordProvision(row) => match &row.subject_id {
            Some(subject_id) if tx.subject(subject_id)?.is_none() => Outcome::NotFound,
            _ => Outcome::Appended {
                seq: tx.insert_provision(row)?,
            },
        },
        Op::Provisions { after_seq, limit } => {
            Outcome::Provisions(tx.provisions(*after_seq, *limit)?)
        }
        Op::SetRestricted {
            subject_id,
            restricted,
        } => {
            if tx.set_restricted(subject_id, *restricted)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        Op::SetContested {
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

/// A consent change: checked against the state the caller decided on, then the ledger row, the new
/// state and the outbox event, together.
fn record_consent(
    tx: &mut impl Tx,
    event: &ConsentEvent,
    expected: Option<bool>,
    outbox: &OutboxRecord,
) -> Result<Outcome, StoreError> {
    match tx.subject(&event.subject_id)? {
        None => return Ok(Outcome::NotFound),
        // An ended subject's consents count as withdrawn: none is given or re-confirmed any more.
        Some(subject) if subject.closed_ms.is_some() && event.change != "withdraw" => {
            return Ok(Outcome::Closed)
        }
        Some(_) => {}
    }
    let current = tx.consent_states(&event.subject_id)?.into_iter().find(|s| {
        s.purpose == event.purpose && s.channel == event.channel && s.night == event.night
    });
    if current.as_ref().map(|s| s.granted) != expected {
        return Ok(Outcome::Stale);
    }
    let granted = event.change != "withdraw";
    let since_ms = match (&current, granted) {
        (Some(state), false) => state.since_ms,
        _ => event.at_ms,
    };
    tx.insert_consent_event(event)?;
    tx.upsert_consent_state(&ConsentState {
        subject_id: event.subject_id.clone(),
        purpose: event.purpose.clone(),
        channel: event.channel.clone(),
        night: event.night,
        granted,
        since_ms,
        changed_ms: event.at_ms,
    })?;
    tx.insert_outbox(outbox)?;
    Ok(Outcome::Done)
}

/// A ledger line's identity: category, storage, rule.
type LedgerKey = (String, &'static str, String);
/// What a ledger line adds up: count, basis, law.
type LedgerCount = (i64, String, Option<String>);

struct DisposalContext<'a> {
    subject_id: &'a str,
    at_ms: i64,
    cause: &'a str,
    method: &'a str,
    by_key: &'a str,
}

/// Destroys and separates what the engine decided, counting only what this transaction removed (a
/// piece another sweeper took first is skipped, so nothing is destroyed or logged twice), then writes
/// one ledger line per category, storage and rule.
fn dispose(
    tx: &mut impl Tx,
    context: &DisposalContext<'_>,
    disposals: &[Disposal],
    shred_when_empty: bool,
) -> Result<Disposed, StoreError> {
    let subject_id = context.subject_id;
    let mut done = Disposed::default();
    let mut lines: BTreeMap<LedgerKey, LedgerCount> = BTreeMap::new();
    for disposal in disposals {
        match disposal {
            Disposal::Destroy {
                piece,
                category,
                rule,
                basis,
                law,
            } => {
                let storage = match piece {
                    Piece::Upload { id } => {
                        let taken = tx.take_upload(subject_id, id)?;
                        if taken.is_some() {
                            done.uploads.push(id.clone());
                        }
                        taken.map(|_| "upload")
                    }
                    Piece::Item { .. } | Piece::Record { .. } => {
                        tx.delete_piece(subject_id, piece)?.then_some("active")
                    }
                    Piece::Separated { .. } => {
                        tx.delete_piece(subject_id, piece)?.then_some("separated")
                    }
                };
                if let Some(storage) = storage {
                    done.destroyed += 1;
                    let line = lines
                        .entry((category.clone(), storage, rule.clone()))
                        .or_insert_with(|| (0, basis.clone(), law.clone()));
                    line.0 += 1;
                }
            }
            Disposal::Separate {
                piece,
                category,
                rule,
                until_ms,
                new_id,
            } => {
                let taken = match piece {
                    Piece::Item { category } => tx
                        .take_item(subject_id, category)?
                        .map(|item| (category.clone(), item.sealed, item.updated_ms)),
                    Piece::Record { id } => tx.take_record(subject_id, id)?.map(|record| {
                        (
                            record_binding(&record.category, &record.id),
                            record.sealed,
                            record.at_ms,
                        )
                    }),
                    Piece::Separated { .. } | Piece::Upload { .. } => None,
                };
                if let Some((binding, sealed, at_ms)) = taken {
                    tx.insert_separated(&SeparatedRow {
                        id: new_id.clone(),
                        subject_id: subject_id.to_string(),
                        category: category.clone(),
                        binding,
                        sealed,
                        at_ms,
                        rule: rule.clone(),
                        until_ms: *until_ms,
                        moved_ms: context.at_ms,
                    })?;
                    done.separated += 1;
                }
            }
        }
    }
    let mut last_rule = None;
    for ((category, storage, rule), (count, basis, law)) in lines {
        tx.insert_destruction(&DestructionRow {
            seq: 0,
            at_ms: context.at_ms,
            subject_id: subject_id.to_string(),
            category,
            storage: storage.to_string(),
            count,
            rule: rule.clone(),
            basis,
            law,
            cause: context.cause.to_string(),
            method: context.method.to_string(),
            by_key: context.by_key.to_string(),
        })?;
        last_rule = Some(rule);
    }
    if shred_when_empty && !tx.holds_anything(subject_id)? {
        tx.erase_subject(subject_id, context.at_ms)?;
        done.shredded = true;
        tx.insert_destruction(&DestructionRow {
            seq: 0,
            at_ms: context.at_ms,
            subject_id: subject_id.to_string(),
            category: "*".to_string(),
            storage: "subject_key".to_string(),
            count: 1,
            rule: last_rule.unwrap_or_else(|| context.cause.to_string()),
            basis: "crypto_shredding".to_string(),
            law: None,
            cause: context.cause.to_string(),
            method: "data key destroyed (crypto-shredding)".to_string(),
            by_key: context.by_key.to_string(),
        })?;
    }
    Ok(done)
}
