//! Retention, run from the policy: records with their own times, the events that start retention
//! clocks, and the sweeper that destroys what is due, moves what another law still requires into
//! separated storage (분리보관), and writes one line of the destruction ledger (파기 관리대장) per
//! destruction.
//!
//! **The decision** ([`decide`]) is a pure function of the policy, what the store knows about one
//! subject (times and categories, never values) and the time. Every rule covering a piece's category
//! gives a deadline counted from the rule's trigger; the latest deadline decides when the piece goes,
//! and the rule that gives it is named. While a rule not marked `separate_storage` still holds the
//! piece it stays in use; once only `separate_storage` rules hold it (its use ended, or the account
//! is closed) it moves apart. A `from = "transaction"` rule holds an item (one value, such as the
//! e-mail) from the subject's latest transaction record among the rule's categories: the copy a legal
//! record needs outlives the membership, nothing else does.
//!
//! **Invariants.** Nothing here reads a value. The store removes a piece only if it is still there
//! and writes the ledger line in the same transaction, so two sweepers (or a sweeper restarted after
//! a crash) destroy and record each piece once.

use serde::Serialize;
use vow_audit::Action;
use vow_crypto::Binding;
use vow_policy::model::RetentionEvent;
use vow_store::{
    record_binding, DestructionRow, Disposal, Disposed, Outcome, RecordRow, Request, RetentionOp,
    RetentionView, SeparatedRow,
};

mod decide;
pub use decide::*;

use crate::vault::{
    clip, list, new_id, unexpected, validate_text, Caller, ItemValue, Vault, VaultError,
    MAX_VALUE_BYTES,
};

/// Subjects read per page of a sweep.
const SWEEP_PAGE: usize = 512;
/// The method the ledger names for electronic data: what the store does.
pub const DESTRUCTION_METHOD: &str =
    "deleted from the database with secure delete; sealed value unreadable without its data key";

/// What a sweep did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub as_of_ms: i64,
    pub dry_run: bool,
    pub subjects: u64,
    pub destroyed: u64,
    pub separated: u64,
    /// Subjects of whom nothing was left: their data keys destroyed.
    pub shredded: u64,
    /// The decisions (only with `--dry-run`, or when asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedDisposal>,
}

/// A record as a caller may receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedRecord {
    pub id: String,
    pub category: String,
    pub at_ms: i64,
    pub value: ItemValue,
}

/// A destruction ledger line as the API and the CLI give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    pub seq: i64,
    pub at_ms: i64,
    pub subject: String,
    pub category: String,
    pub storage: String,
    pub count: i64,
    pub rule: String,
    pub basis: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    pub cause: String,
    pub method: String,
    pub by: String,
}

impl From<DestructionRow> for LedgerLine {
    fn from(row: DestructionRow) -> LedgerLine {
        LedgerLine {
            seq: row.seq,
            at_ms: row.at_ms,
            subject: row.subject_id,
            category: row.category,
            storage: row.storage,
            count: row.count,
            rule: row.rule,
            basis: row.basis,
            law: row.law,
            cause: row.cause,
            method: row.method,
            by: row.by_key,
        }
    }
}

impl Vault {
    fn known_event(&self, name: &str) -> Result<RetentionEvent, VaultError> {
        ALL_EVENTS
            .into_iter()
            .find(|e| event_name(*e) == name)
            .ok_or_else(|| VaultError::Invalid {
                what: "event",
                why: format!(
                    "{:?} is not a retention event; the events are: {}",
                    clip(name),
                    list(ALL_EVENTS.into_iter().map(event_name))
                ),
            })
    }

    /// Stores one record (an order, a payment, a visit, a complaint) with the time it happened;
    /// returns its id. Rules `from = "transaction"` count from that time, per record.
    pub async fn put_record(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        value: &str,
        at_ms: Option<i64>,
    ) -> Result<String, VaultError> {
        self.may_store_readable(caller, category)?;
        validate_text("value", value, MAX_VALUE_BYTES)?;
        let at_ms = self.reported_time(at_ms)?;
        let subject = self.subject(subject_id).await?;
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let id = new_id("rec");
        let binding = record_binding(category, &id);
        let sealed = data_key.seal(
            value.as_bytes(),
            &Binding {
                subject_id,
                category: &binding,
            },
        )?;
        let entry = self.entry(caller, Action::Create, Some(subject_id), &[category]);
        if subject.closed_ms.is_some() {
            return self
                .put_record_apart(subject_id, category, &id, binding, sealed, at_ms, entry)
                .await;
        }
        let record = RecordRow {
            id: id.clone(),
            subject_id: subject_id.to_string(),
            category: category.to_string(),
            sealed: sealed.clone(),
            at_ms,
            created_ms: self.now_ms(),
            contested: false,
        };
        match self
            .store()
            .apply(Request::logged(
                RetentionOp::PutRecord(record),
                entry.clone(),
            ))
            .await?
        {
            Outcome::Created => Ok(id),
            // Closed meanwhile.
            Outcome::Closed => {
                self.put_record_apart(subject_id, category, &id, binding, sealed, at_ms, entry)
                    .await
            }
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            Outcome::NeedsGuardian => Err(VaultError::GuardianConsentMissing {
                age: self.policy().children.as_ref().map_or(14, |c| c.age),
            }),
            other => Err(unexpected(other)),
        }
    }

    /// A record for a subject whose use ended: taken only if a rule resting on a law requires it
    /// (a refund after the account closed), and then straight into separated storage under that rule.
    #[allow(clippy::too_many_arguments)]
    async fn put_record_apart(
        &self,
        subject_id: &str,
        category: &str,
        id: &str,
        binding: String,
        sealed: Vec<u8>,
        at_ms: i64,
        entry: vow_audit::NewEntry,
    ) -> Result<String, VaultError> {
        let now = self.now_ms();
        let view = self
            .retention_view(subject_id)
            .await?
            .ok_or_else(|| VaultError::NoSubject(clip(subject_id)))?;
        let Fate::Separate { rule, until_ms } = decide(
            self.policy(),
            &view,
            category,
            PieceTimes::record(at_ms),
            now,
            true,
        ) else {
            return Err(VaultError::SubjectClosed);
        };
        let row = SeparatedRow {
            id: new_id("sep"),
            subject_id: subject_id.to_string(),
            category: category.to_string(),
            binding,
            sealed,
            at_ms,
            rule,
            until_ms,
            moved_ms: now,
        };
        match self
            .store()
            .apply(Request::logged(RetentionOp::PutSeparated(row), entry))
            .await?
        {
            Outcome::Created => Ok(id.to_string()),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// The subject's records in use, oldest first, each in full or masked as the caller's role
    /// allows; categories the role may not read are left out. A logged read.
    pub async fn records(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<Vec<ExportedRecord>, VaultError> {
        let grants = self.grants(caller)?;
        let readable: Vec<&str> = self
            .policy()
            .categories
            .iter()
            .map(|c| c.key.as_str())
            .filter(|c| grants.may_read(c))
            .collect();
        if readable.is_empty() {
            return Err(Self::forbidden(caller, "read records"));
        }
        self.check_use(caller, subject_id).await?;
        let entry = self.entry(caller, Action::Read, Some(subject_id), &readable);
        let rows = match self
            .store()
            .apply(Request::logged(
                RetentionOp::Records {
                    subject_id: subject_id.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Records(rows) => rows,
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        };
        let subject = self.subject(subject_id).await?;
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let mut out = Vec::new();
        // A record under correction is neither used nor given, except to answer the request.
        let answering = grants.may_handle_requests();
        for row in rows
            .into_iter()
            .filter(|r| grants.may_read(&r.category) && (answering || !r.contested))
        {
            let binding = record_binding(&row.category, &row.id);
            let plaintext = data_key.open(
                &row.sealed,
                &Binding {
                    subject_id,
                    category: &binding,
                },
            )?;
            let value = String::from_utf8_lossy(&plaintext).into_owned();
            out.push(ExportedRecord {
                value: self.shown_value(&grants, &row.category, value),
                id: row.id,
                category: row.category,
                at_ms: row.at_ms,
            });
        }
        Ok(out)
    }

    /// Reads what is kept apart about a subject (분리보관): only roles granted `separated`, every
    /// read logged with the reason given.
    pub async fn separated(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<Vec<SeparatedItem>, VaultError> {
        let grants = self.grants(caller)?;
        if !grants.may_read_separated() {
            return Err(Self::forbidden(caller, "read separated storage"));
        }
        if caller.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(VaultError::Invalid {
                what: "reason",
                why: "reading separated storage needs a reason (the x-vow-reason header): the law that requires the record, or the request it answers".into(),
            });
        }
        // What a law keeps is read for that law; a stated purpose that rests on consent is checked.
        self.check_purpose(caller, subject_id).await?;
        let entry = self.entry(caller, Action::Read, Some(subject_id), &["separated"]);
        let rows = match self
            .store()
            .apply(Request::logged(
                RetentionOp::SeparatedOf {
                    subject_id: subject_id.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Separated(rows) => rows,
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        };
        let subject = self.subject(subject_id).await?;
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let mut out = Vec::with_capacity(rows.len());
        // As everywhere else, only the categories the role may read (masked or in full).
        for row in rows.into_iter().filter(|r| grants.may_read(&r.category)) {
            let plaintext = data_key.open(
                &row.sealed,
                &Binding {
                    subject_id,
                    category: &row.binding,
                },
            )?;
            let value = match plaintext.split_first() {
                // Items carry a kind byte; records are the bare value.
                Some((&1, value)) if !row.binding.contains('#') => {
                    String::from_utf8_lossy(value).into_owned()
                }
                Some((&2, _)) if !row.binding.contains('#') => {
                    out.push(SeparatedItem {
                        id: row.id,
                        category: row.category,
                        at_ms: row.at_ms,
                        rule: row.rule,
                        until_ms: row.until_ms,
                        value: ItemValue::Credential,
                    });
                    continue;
                }
                _ => String::from_utf8_lossy(&plaintext).into_owned(),
            };
            out.push(SeparatedItem {
                value: self.shown_value(&grants, &row.category, value),
                id: row.id,
                category: row.category,
                at_ms: row.at_ms,
                rule: row.rule,
                until_ms: row.until_ms,
            });
        }
        Ok(out)
    }

    /// Records that a retention event happened to the subject (`account_closure`,
    /// `purpose_achieved`, `processing_completed`, …): the clocks of the rules `from` it start.
    pub async fn report_event(
        &self,
        caller: &Caller,
        subject_id: &str,
        event: &str,
        at_ms: Option<i64>,
    ) -> Result<(), VaultError> {
        let known = self.known_event(event)?;
        // An event starts clocks that end in destruction: the power to erase, not merely to write.
        if !self.grants(caller)?.may_erase() {
            return Err(Self::forbidden(
                caller,
                "report retention events (the erase grant)",
            ));
        }
        if known == RetentionEvent::Collection {
            return Err(VaultError::Invalid {
                what: "event",
                why: "collection is when a value is stored; it is not reported".into(),
            });
        }
        let at_ms = self.reported_time(at_ms)?;
        let entry = self.entry(
            caller,
            Action::RetentionEvent,
            Some(subject_id),
            &[event_name(known)],
        );
        match self
            .store()
            .apply(Request::logged(
                RetentionOp::RecordRetentionEvent {
                    subject_id: subject_id.to_string(),
                    event: event_name(known).to_string(),
                    at_ms,
                    recorded_ms: self.now_ms(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Created => Ok(()),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// Sweeps every subject as of `as_of_ms`: destroys what is due, separates what another rule
    /// still requires, destroys the data key of a closed account once nothing is left. Dry, it only
    /// says what it would do. `progress` is called with the subjects seen so far.
    pub async fn sweep(
        &self,
        caller: &Caller,
        as_of_ms: i64,
        dry_run: bool,
        progress: impl Fn(u64),
    ) -> Result<SweepReport, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "run the retention sweep"));
        }
        let mut report = SweepReport {
            as_of_ms,
            dry_run,
            ..SweepReport::default()
        };
        let mut after = String::new();
        loop {
            let views = match self
                .store()
                .apply(Request::unlogged(RetentionOp::RetentionPage {
                    after: after.clone(),
                    limit: SWEEP_PAGE,
                }))
                .await?
            {
                Outcome::RetentionViews(views) => views,
                other => return Err(unexpected(other)),
            };
            let Some(last) = views.last() else { break };
            after = last.subject_id.clone();
            report.subjects += views.len() as u64;
            let mut pending = tokio::task::JoinSet::new();
            for view in &views {
                // An erased subject stays erased: only what a law holds is kept, to its end.
                let erased = view.erasure_ms.is_some();
                let (disposals, planned) = plan(self.policy(), view, as_of_ms, erased);
                let shred = may_shred(view, as_of_ms, erased);
                if dry_run {
                    for p in &planned {
                        match p.fate {
                            Fate::Destroy { .. } => report.destroyed += 1,
                            Fate::Separate { .. } => report.separated += 1,
                            Fate::Keep { .. } => {}
                        }
                    }
                    report.planned.extend(planned);
                    continue;
                }
                let holds_nothing = view.items.is_empty()
                    && view.records.is_empty()
                    && view.separated.is_empty()
                    && view.uploads.is_empty();
                if disposals.is_empty() && !(shred && holds_nothing) {
                    continue;
                }
                let request =
                    self.disposal_request(caller, &view.subject_id, disposals, "retention", shred);
                let store = self.store().clone();
                pending.spawn(async move { store.apply(request).await });
            }
            while let Some(joined) = pending.join_next().await {
                let outcome = joined.map_err(|e| VaultError::Invalid {
                    what: "sweep",
                    why: format!("a disposal task failed: {e}"),
                })??;
                match outcome {
                    Outcome::Disposed(done) => {
                        self.remove_upload_files(&done.uploads);
                        report.add(&done);
                    }
                    // Erased meanwhile: nothing left to do.
                    Outcome::NotFound => {}
                    other => return Err(unexpected(other)),
                }
            }
            progress(report.subjects);
        }
        Ok(report)
    }

    pub(crate) fn disposal_request(
        &self,
        caller: &Caller,
        subject_id: &str,
        disposals: Vec<Disposal>,
        cause: &str,
        shred_when_empty: bool,
    ) -> Request {
        let categories: Vec<String> = {
            let mut set: Vec<String> = disposals
                .iter()
                .map(|d| match d {
                    Disposal::Destroy { category, .. } | Disposal::Separate { category, .. } => {
                        category.clone()
                    }
                })
                .collect();
            set.sort();
            set.dedup();
            set
        };
        let action = if cause.starts_with("erasure") {
            Action::Erase
        } else if disposals
            .iter()
            .all(|d| matches!(d, Disposal::Separate { .. }))
            && !disposals.is_empty()
        {
            Action::Separate
        } else {
            Action::Destroy
        };
        let refs: Vec<&str> = categories.iter().map(String::as_str).collect();
        let entry = self.entry(caller, action, Some(subject_id), &refs);
        Request::logged(
            RetentionOp::Dispose {
                subject_id: subject_id.to_string(),
                at_ms: self.now_ms(),
                disposals,
                cause: cause.to_string(),
                method: DESTRUCTION_METHOD.to_string(),
                by_key: caller.key_id.clone(),
                shred_when_empty,
            },
            entry,
        )
    }

    /// The destruction ledger after `after_seq`, at most `limit` lines.
    pub async fn destruction_ledger(
        &self,
        caller: &Caller,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<LedgerLine>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "read the destruction ledger"));
        }
        match self
            .store()
            .apply(Request::unlogged(RetentionOp::Destructions {
                after_seq,
                limit,
            }))
            .await?
        {
            Outcome::Destructions(rows) => Ok(rows.into_iter().map(LedgerLine::from).collect()),
            other => Err(unexpected(other)),
        }
    }

    /// What retention holds for one subject now: per piece, its fate (for an access export).
    pub(crate) async fn retention_view(
        &self,
        subject_id: &str,
    ) -> Result<Option<RetentionView>, VaultError> {
        // The page after the id just before it holds the subject first, if it is live.
        let before = predecessor(subject_id);
        match self
            .store()
            .apply(Request::unlogged(RetentionOp::RetentionPage {
                after: before,
                limit: 1,
            }))
            .await?
        {
            Outcome::RetentionViews(views) => {
                Ok(views.into_iter().find(|v| v.subject_id == subject_id))
            }
            other => Err(unexpected(other)),
        }
    }
}

/// The greatest string ordered before `id` that a page query can start after (ids are ASCII).
fn predecessor(id: &str) -> String {
    let mut bytes = id.as_bytes().to_vec();
    match bytes.last_mut() {
        Some(last) if *last > 0 => {
            *last -= 1;
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            text.push('\u{7f}');
            text
        }
        _ => String::new(),
    }
}

impl SweepReport {
    fn add(&mut self, done: &Disposed) {
        self.destroyed += done.destroyed;
        self.separated += done.separated;
        self.shredded += u64::from(done.shredded);
    }
}

/// A separated row as a granted role receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeparatedItem {
    pub id: String,
    pub category: String,
    pub at_ms: i64,
    pub rule: String,
    pub until_ms: i64,
    pub value: ItemValue,
}
