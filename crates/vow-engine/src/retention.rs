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

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Month, OffsetDateTime};
use vow_audit::Action;
use vow_crypto::Binding;
use vow_policy::model::{Period, Policy, RetentionBasis, RetentionEvent, RetentionRule};
use vow_store::{
    record_binding, DestructionRow, Disposal, Disposed, Outcome, Piece, RecordRow, Request,
    RetentionOp, RetentionView, SeparatedPiece, SeparatedRow,
};

use crate::vault::{
    clip, list, new_id, unexpected, validate_text, Caller, ItemValue, Vault, VaultError,
    MAX_VALUE_BYTES,
};

/// Subjects read per page of a sweep.
const SWEEP_PAGE: usize = 512;
/// The method the ledger names for electronic data: what the store does.
pub const DESTRUCTION_METHOD: &str =
    "deleted from the database with secure delete; sealed value unreadable without its data key";

/// Every retention event the policy language knows, by the name the API takes.
pub fn event_name(event: RetentionEvent) -> &'static str {
    match event {
        RetentionEvent::Collection => "collection",
        RetentionEvent::AccountClosure => "account_closure",
        RetentionEvent::ContractEnd => "contract_end",
        RetentionEvent::PurposeAchieved => "purpose_achieved",
        RetentionEvent::ProcessingCompleted => "processing_completed",
        RetentionEvent::ConsentWithdrawn => "consent_withdrawn",
        RetentionEvent::Transaction => "transaction",
    }
}

/// The retention event a withdrawal of consent to `purpose` records: it starts the clocks of rules
/// `from = "consent_withdrawn"` only for categories collected for that purpose.
pub fn withdrawal_event(purpose: &str) -> String {
    format!("consent_withdrawn:{purpose}")
}

const ALL_EVENTS: [RetentionEvent; 7] = [
    RetentionEvent::Collection,
    RetentionEvent::AccountClosure,
    RetentionEvent::ContractEnd,
    RetentionEvent::PurposeAchieved,
    RetentionEvent::ProcessingCompleted,
    RetentionEvent::ConsentWithdrawn,
    RetentionEvent::Transaction,
];

/// The law a rule names, as the ledger and an erasure's answer quote it (Korean first).
pub fn law_text(law: &vow_policy::model::Text) -> String {
    law.ko
        .clone()
        .or_else(|| law.en.clone())
        .unwrap_or_default()
}

pub fn basis_name(basis: RetentionBasis) -> &'static str {
    match basis {
        RetentionBasis::Law => "law",
        RetentionBasis::Consent => "consent",
        RetentionBasis::InternalPolicy => "internal_policy",
    }
}

/// `at_ms` plus a period, on the calendar for months and years (Korea time, so "5 years from
/// 2024-02-29" ends on 2029-02-28 as a person there counts it).
pub fn add_period(at_ms: i64, period: Period) -> i64 {
    const KST: time::UtcOffset = time::macros::offset!(+9);
    let months = match period {
        Period::Hours(n) => return at_ms.saturating_add(i64::from(n) * 3_600_000),
        Period::Days(n) => return at_ms.saturating_add(i64::from(n) * 86_400_000),
        Period::Months(n) => i64::from(n),
        Period::Years(n) => i64::from(n) * 12,
    };
    // A time at the edge of the calendar (a row altered in the database) ends nothing: the sweep
    // must neither panic on it nor wrap it into the past.
    let Some(start) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .ok()
        .and_then(|start| start.checked_to_offset(KST))
    else {
        return i64::MAX;
    };
    let total = i64::from(start.year()) * 12 + i64::from(u8::from(start.month())) - 1 + months;
    let Ok(year) = i32::try_from(total.div_euclid(12)) else {
        return i64::MAX;
    };
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    let day = start.day().min(time::util::days_in_month(month, year));
    match time::Date::from_calendar_date(year, month, day) {
        Ok(date) => {
            let end = start.replace_date(date);
            let millis = end.unix_timestamp_nanos() / 1_000_000;
            i64::try_from(millis).unwrap_or(i64::MAX)
        }
        Err(_) => i64::MAX,
    }
}

/// What becomes of one piece of data now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Fate {
    /// In use. `until_ms` is absent while a rule's trigger has not happened yet.
    Keep {
        rule: Option<String>,
        until_ms: Option<i64>,
    },
    /// Its use ended but `rule` still requires it: kept apart until `until_ms`.
    Separate { rule: String, until_ms: i64 },
    /// Due: `rule` is the one that held it longest (or the erasure that ended it).
    Destroy {
        rule: String,
        basis: String,
        law: Option<String>,
        due_ms: i64,
    },
}

/// A piece of data the decision is about.
#[derive(Clone, Copy, Debug)]
pub struct PieceTimes {
    /// When collected (an item's last write) or when it happened (a record's time).
    pub own_ms: i64,
    pub is_record: bool,
    /// For an upload: when the application reported it processed.
    pub processed_ms: Option<i64>,
    /// For an upload the subject chose to keep: rules counted from processing do not apply.
    pub keep: bool,
}

impl PieceTimes {
    pub fn item(collected_ms: i64) -> PieceTimes {
        PieceTimes {
            own_ms: collected_ms,
            is_record: false,
            processed_ms: None,
            keep: false,
        }
    }
    pub fn record(at_ms: i64) -> PieceTimes {
        PieceTimes {
            own_ms: at_ms,
            is_record: true,
            processed_ms: None,
            keep: false,
        }
    }
}

/// The rule that keeps data of a category no `[[retention]]` rule covers: until the account closes.
pub const UNLISTED_RULE: &str = "unlisted";
/// What the ledger names for data an erasure destroyed that no rule still held.
pub const ERASURE_RULE: &str = "erasure";

/// Decides the fate of one piece of `category` of the subject `view` at `now_ms`. With `erasing`
/// (an erasure request), only rules that rest on a law still hold anything, and the account counts
/// as closed.
pub fn decide(
    policy: &Policy,
    view: &RetentionView,
    category: &str,
    piece: PieceTimes,
    now_ms: i64,
    erasing: bool,
) -> Fate {
    let event_at = |event: RetentionEvent| -> Option<i64> {
        let name = event_name(event);
        view.events
            .iter()
            .filter(|(e, _)| e == name)
            .map(|(_, at)| *at)
            .max()
    };
    let closed_at = event_at(RetentionEvent::AccountClosure).or(erasing.then_some(now_ms));
    // (rule, deadline: None while its trigger has not happened)
    let mut holding: Vec<(&RetentionRule, Option<i64>)> = Vec::new();
    // In the policy's order, so that of rules ending together the first declared is named.
    for rule in policy
        .retention
        .iter()
        .filter(|r| r.categories.iter().any(|c| c.as_str() == category))
    {
        if erasing && rule.basis != RetentionBasis::Law {
            continue;
        }
        if piece.keep && rule.from == RetentionEvent::ProcessingCompleted {
            continue;
        }
        let trigger = match rule.from {
            RetentionEvent::Collection => Some(piece.own_ms),
            RetentionEvent::Transaction if piece.is_record => Some(piece.own_ms),
            RetentionEvent::Transaction => {
                // An item is part of the legal record of the subject's latest transaction, in use or
                // kept apart already.
                let of_rule = |c: &str| rule.categories.iter().any(|k| k.as_str() == c);
                let latest_record = view
                    .records
                    .iter()
                    .filter(|(_, c, _)| of_rule(c))
                    .map(|(_, _, at)| *at)
                    .chain(
                        view.separated
                            .iter()
                            .filter(|s| s.record.is_some() && of_rule(&s.category))
                            .map(|s| s.at_ms),
                    )
                    .max();
                match latest_record.max(event_at(RetentionEvent::Transaction)) {
                    Some(at) => Some(at),
                    // No transaction: nothing for this rule to keep.
                    None => continue,
                }
            }
            RetentionEvent::AccountClosure => closed_at,
            RetentionEvent::ConsentWithdrawn => {
                // The application's report, or the withdrawal of a purpose this category serves.
                let purposes = policy.collections.iter().filter(|c| {
                    c.required
                        .iter()
                        .chain(c.optional.iter())
                        .any(|k| k.as_str() == category)
                });
                let withdrawn = purposes
                    .flat_map(|c| c.purposes.iter())
                    .filter_map(|p| {
                        let name = withdrawal_event(p.as_str());
                        view.events
                            .iter()
                            .filter(|(e, _)| *e == name)
                            .map(|(_, at)| *at)
                            .max()
                    })
                    .max();
                withdrawn.max(event_at(RetentionEvent::ConsentWithdrawn))
            }
            RetentionEvent::ProcessingCompleted => piece
                .processed_ms
                .into_iter()
                .chain(event_at(RetentionEvent::ProcessingCompleted))
                .min(),
            other => event_at(other),
        };
        let deadline = trigger.map(|at| match rule.period {
            Some(period) => add_period(at, period),
            None => at,
        });
        holding.push((rule, deadline));
    }
    if holding.is_empty() {
        return match closed_at {
            Some(at) if at <= now_ms => Fate::Destroy {
                rule: if erasing {
                    ERASURE_RULE.into()
                } else {
                    UNLISTED_RULE.into()
                },
                basis: if erasing {
                    "request"
                } else {
                    "account_closure"
                }
                .into(),
                law: None,
                due_ms: at,
            },
            _ => Fate::Keep {
                rule: None,
                until_ms: None,
            },
        };
    }
    let still: Vec<&(&RetentionRule, Option<i64>)> = holding
        .iter()
        .filter(|(_, deadline)| deadline.is_none_or(|d| d > now_ms))
        .collect();
    if still.is_empty() {
        // Every rule has ended: the one that ended last decided.
        let (rule, due) = latest(holding.iter())
            .map(|(rule, deadline)| (*rule, deadline.unwrap_or(now_ms)))
            .unwrap_or((holding[0].0, now_ms));
        return Fate::Destroy {
            rule: rule.key.to_string(),
            basis: basis_name(rule.basis).into(),
            law: rule.law.as_ref().map(law_text),
            due_ms: due,
        };
    }
    let longest = |rules: &[&&(&RetentionRule, Option<i64>)]| {
        latest(rules.iter().map(|r| **r)).map(|(rule, deadline)| (rule.key.to_string(), *deadline))
    };
    let in_use: Vec<&&(&RetentionRule, Option<i64>)> = still
        .iter()
        .filter(|(rule, _)| !rule.separate_storage)
        .collect();
    let has_use_rules = holding.iter().any(|(rule, _)| !rule.separate_storage);
    let account_open = closed_at.is_none_or(|at| at > now_ms);
    // An erasure leaves nothing in use: what a law still requires goes apart, in use or not.
    if !erasing && (!in_use.is_empty() || (account_open && !has_use_rules)) {
        let all: Vec<&&(&RetentionRule, Option<i64>)> = still.iter().collect();
        let (rule, until_ms) = longest(&all).unwrap_or_default();
        return Fate::Keep {
            rule: Some(rule),
            until_ms,
        };
    }
    let all: Vec<&&(&RetentionRule, Option<i64>)> = still.iter().collect();
    match longest(&all) {
        Some((rule, Some(until_ms))) => Fate::Separate { rule, until_ms },
        // A separate-storage rule whose trigger has not happened: kept apart until it does.
        Some((rule, None)) => Fate::Separate {
            rule,
            until_ms: i64::MAX,
        },
        None => Fate::Keep {
            rule: None,
            until_ms: None,
        },
    }
}

/// The rule that holds longest (a rule whose trigger has not happened holds forever); of rules that
/// end together, the first in the policy.
fn latest<'a, 'r>(
    rules: impl Iterator<Item = &'a (&'r RetentionRule, Option<i64>)>,
) -> Option<&'a (&'r RetentionRule, Option<i64>)>
where
    'r: 'a,
{
    let mut best: Option<&'a (&'r RetentionRule, Option<i64>)> = None;
    for candidate in rules {
        let later = match best {
            None => true,
            Some(best) => candidate.1.unwrap_or(i64::MAX) > best.1.unwrap_or(i64::MAX),
        };
        if later {
            best = Some(candidate);
        }
    }
    best
}

/// One decision of a sweep, as `--dry-run` and the JSON report show it: no value, only what and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedDisposal {
    pub subject: String,
    /// `item`, `record`, `upload` or `separated`.
    pub storage: &'static str,
    pub category: String,
    /// The record's, upload's or separated row's id (`None` for an item).
    #[serde(skip)]
    pub piece_id: Option<String>,
    #[serde(flatten)]
    pub fate: Fate,
}

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

/// The disposals `view` calls for at `now_ms`, and the plan that explains them.
pub fn plan(
    policy: &Policy,
    view: &RetentionView,
    now_ms: i64,
    erasing: bool,
) -> (Vec<Disposal>, Vec<PlannedDisposal>) {
    let mut disposals = Vec::new();
    let mut planned = Vec::new();
    let mut consider = |storage: &'static str, piece: Piece, category: &str, fate: Fate| {
        let piece_id = match &piece {
            Piece::Item { .. } => None,
            Piece::Record { id } | Piece::Separated { id } | Piece::Upload { id } => {
                Some(id.clone())
            }
        };
        match &fate {
            Fate::Keep { .. } => return,
            Fate::Destroy {
                rule, basis, law, ..
            } => disposals.push(Disposal::Destroy {
                piece,
                category: category.to_string(),
                rule: rule.clone(),
                basis: basis.clone(),
                law: law.clone(),
            }),
            Fate::Separate { rule, until_ms } => disposals.push(Disposal::Separate {
                piece,
                category: category.to_string(),
                rule: rule.clone(),
                until_ms: *until_ms,
                new_id: new_id("sep"),
            }),
        }
        planned.push(PlannedDisposal {
            subject: view.subject_id.clone(),
            storage,
            category: category.to_string(),
            piece_id,
            fate,
        });
    };
    for (category, collected_ms) in &view.items {
        let fate = decide(
            policy,
            view,
            category,
            PieceTimes::item(*collected_ms),
            now_ms,
            erasing,
        );
        consider(
            "item",
            Piece::Item {
                category: category.clone(),
            },
            category,
            fate,
        );
    }
    for (id, category, at_ms) in &view.records {
        let fate = decide(
            policy,
            view,
            category,
            PieceTimes::record(*at_ms),
            now_ms,
            erasing,
        );
        consider("record", Piece::Record { id: id.clone() }, category, fate);
    }
    for (id, category, created_ms, processed_ms, keep) in &view.uploads {
        let fate = decide(
            policy,
            view,
            category,
            PieceTimes {
                own_ms: *created_ms,
                is_record: false,
                processed_ms: *processed_ms,
                keep: *keep,
            },
            now_ms,
            erasing,
        );
        // An upload is never kept apart: it is used, or it goes.
        if matches!(fate, Fate::Destroy { .. }) {
            consider("upload", Piece::Upload { id: id.clone() }, category, fate);
        }
    }
    for piece in &view.separated {
        // What the rules say of the piece now (a separated item of a transaction rule is held by the
        // latest record, apart or not); a piece is destroyed only once they let it go and the time it
        // was kept apart until has come — or, for an erasure, as soon as no law holds it.
        let fresh = decide(
            policy,
            view,
            &piece.category,
            PieceTimes {
                own_ms: piece.at_ms,
                is_record: piece.record.is_some(),
                processed_ms: None,
                keep: false,
            },
            now_ms,
            erasing,
        );
        let until = separated_until(policy, view, piece);
        let Fate::Destroy {
            rule,
            basis,
            law,
            due_ms,
        } = fresh
        else {
            continue;
        };
        if !erasing && until > now_ms {
            continue;
        }
        let stored = policy
            .retention
            .iter()
            .find(|r| r.key.as_str() == piece.rule);
        let fate = if until <= now_ms {
            // The period it was kept for ended: the ledger names that rule.
            Fate::Destroy {
                rule: piece.rule.clone(),
                basis: stored.map_or("unknown", |r| basis_name(r.basis)).into(),
                law: stored.and_then(|r| r.law.as_ref()).map(law_text),
                due_ms: until,
            }
        } else {
            Fate::Destroy {
                rule,
                basis,
                law,
                due_ms,
            }
        };
        consider(
            "separated",
            Piece::Separated {
                id: piece.id.clone(),
            },
            &piece.category,
            fate,
        );
    }
    (disposals, planned)
}

/// Until when a separated piece is kept: the time it was moved apart with, or, for one kept "until its
/// event happens", that event's time plus the rule's period once the event is reported.
pub fn separated_until(policy: &Policy, view: &RetentionView, piece: &SeparatedPiece) -> i64 {
    let rule = policy
        .retention
        .iter()
        .find(|r| r.key.as_str() == piece.rule);
    match rule {
        Some(rule) if piece.until_ms == i64::MAX => view
            .events
            .iter()
            .filter(|(e, _)| e == event_name(rule.from))
            .map(|(_, at)| *at)
            .max()
            .map_or(i64::MAX, |at| match rule.period {
                Some(period) => add_period(at, period),
                None => at,
            }),
        _ => piece.until_ms,
    }
}

/// The subject's account is closed (or an erasure was asked): once nothing is left, its key goes.
fn may_shred(view: &RetentionView, now_ms: i64, erasing: bool) -> bool {
    erasing
        || view
            .events
            .iter()
            .any(|(event, at)| event == "account_closure" && *at <= now_ms)
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
        // A credential is kept only as a hash (as an item): never as a readable record.
        if self.declared_category(category)?.class == vow_policy::model::DataClass::Credential {
            return Err(VaultError::Invalid {
                what: "category",
                why: format!(
                    "{category} is a credential: store it as an item, kept only as a hash"
                ),
            });
        }
        if !self.grants(caller)?.may_write(category) {
            return Err(Self::forbidden(caller, format!("write {category}")));
        }
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

/// Counts, per rule, what a plan keeps, for messages.
pub fn kept_by_rule(planned: &[PlannedDisposal]) -> BTreeMap<String, u64> {
    let mut kept = BTreeMap::new();
    for p in planned {
        if let Fate::Separate { rule, .. } = &p.fate {
            *kept.entry(rule.clone()).or_insert(0) += 1;
        }
    }
    kept
}
