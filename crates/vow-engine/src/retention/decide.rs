//! The retention decision as a pure function of the policy, one subject's times and categories
//! (never a value) and the time: each piece's fate (keep, separate until, destroy) and the rule that
//! decides it, and the disposals that carry it out. No store, no clock.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Month, OffsetDateTime};
use vow_policy::model::{Period, Policy, RetentionBasis, RetentionEvent, RetentionRule};
use vow_store::*;

use crate::vault::*;

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

pub(crate) const ALL_EVENTS: [RetentionEvent; 7] = [
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
pub(crate) fn latest<'a, 'r>(
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
pub(crate) fn may_shred(view: &RetentionView, now_ms: i64, erasing: bool) -> bool {
    erasing
        || view
            .events
            .iter()
            .any(|(event, at)| event == "account_closure" && *at <= now_ms)
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
