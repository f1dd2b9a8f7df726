//! The monthly access-log review (안전성 확보조치 기준 제8조: review the access log at least monthly).
//!
//! What a privacy officer is asked to look at: every export and download, bulk reads (one key
//! reading more than N subjects on one local day), reads outside working hours (weekends count as
//! outside; public holidays are not known here), how much each key did, and what each key tried
//! and was refused (403s). Keys are shown by the label they were given, with their id, once the
//! caller hands the labels in ([`Review::label_keys`]: the log holds ids only).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset, Weekday};

use crate::{Action, Entry};

/// What to review and what counts as unusual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewOptions {
    /// (year, month 1–12), in local time.
    pub month: (i32, u8),
    /// A key reading more than this many distinct subjects on one local day is flagged.
    pub bulk_threshold: usize,
    /// A key making more than this many lookups by value on one local day is flagged.
    pub lookup_threshold: usize,
    /// A key whose lookups found nobody more than this many times on one local day is flagged:
    /// the sign of someone guessing values.
    pub unmatched_lookup_threshold: usize,
    /// Working hours are `[work_start_hour, work_end_hour)`, Monday to Friday, local time; a start
    /// after the end means a shift across midnight (22 → 6).
    pub work_start_hour: u8,
    pub work_end_hour: u8,
    /// Local time zone as an offset from UTC (KST = +9).
    pub utc_offset_hours: i8,
}

impl ReviewOptions {
    /// Defaults for Korea: more than 100 subjects a day is bulk; 08:00–20:00 KST, Monday–Friday.
    pub fn for_month(year: i32, month: u8) -> Self {
        ReviewOptions {
            month: (year, month),
            bulk_threshold: 100,
            lookup_threshold: 100,
            unmatched_lookup_threshold: 20,
            work_start_hour: 8,
            work_end_hour: 20,
            utc_offset_hours: 9,
        }
    }
}

/// One entry as the review shows it, with local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flagged {
    /// The entry's chain (0 unless several servers write the log; absent in JSON when 0).
    #[serde(skip_serializing_if = "is_chain_zero")]
    pub chain: u32,
    pub seq: u64,
    /// Unix milliseconds, to order lines of several chains by time (the JSON has `local_time`).
    #[serde(skip)]
    pub at_ms: i64,
    /// Local time, `YYYY-MM-DD HH:MM (Ddd)`.
    pub local_time: String,
    pub key_id: String,
    /// The key's label, when it has one ([`Review::label_keys`]).
    pub key_label: Option<String>,
    pub role: String,
    pub source: String,
    pub subject_id: Option<String>,
    pub action: Action,
    pub categories: Vec<String>,
    pub reason: Option<String>,
    /// Why it is listed: `export`, `night`, `weekend`.
    pub why: &'static str,
}

/// A key that read more subjects in one day than the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkRead {
    pub key_id: String,
    pub key_label: Option<String>,
    pub role: String,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    pub subjects: usize,
}

/// A key that looked subjects up by value more often, or failed more often, than the thresholds
/// on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkLookup {
    pub key_id: String,
    pub key_label: Option<String>,
    pub role: String,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Lookup entries (a lookup finding several subjects is one entry each).
    pub lookups: usize,
    /// Lookups that found nobody.
    pub unmatched: usize,
}

/// What one key did in the month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyActivity {
    pub key_id: String,
    pub key_label: Option<String>,
    pub roles: Vec<String>,
    pub total: u64,
    pub reads: u64,
    pub writes: u64,
    pub deletions: u64,
    pub exports: u64,
    pub other: u64,
    /// Attempts refused (403).
    pub denied: u64,
    pub distinct_subjects: usize,
    pub off_hours: u64,
}

/// What one key tried in the month and was refused: its role had no grant for it (403).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denials {
    pub key_id: String,
    pub key_label: Option<String>,
    pub roles: Vec<String>,
    pub attempts: u64,
    /// Attempts per route (`GET /v1/subjects/{id}/export`), most first.
    pub routes: Vec<RouteCount>,
    /// Local time of the first and the last attempt, `YYYY-MM-DD HH:MM (Ddd)`.
    pub first: String,
    pub last: String,
}

/// Refused attempts at one route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteCount {
    pub route: String,
    pub attempts: u64,
}

/// Provisions to one recipient in the month: a third party, or a processor (an AI provider's calls
/// through `vow proxy` among them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The `[[third_party]]` or `[[processor]]` key.
    pub recipient: String,
    /// Provisions recorded (each proxied call is one).
    pub provisions: u64,
    /// The keys that made them.
    pub keys: Vec<String>,
}

/// The review of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub options: ReviewOptions,
    /// `YYYY-MM`.
    pub month: String,
    /// Entries in the month.
    pub entries: u64,
    /// Entries whose time could not be represented (outside ±9999 years) and so were skipped.
    pub skipped: u64,
    pub exports: Vec<Flagged>,
    pub bulk_reads: Vec<BulkRead>,
    pub bulk_lookups: Vec<BulkLookup>,
    pub off_hours_reads: Vec<Flagged>,
    pub per_key: Vec<KeyActivity>,
    /// Keys created and revoked, roles changed: the access-right changes to be kept 3 years
    /// (안전성 확보조치 기준 제5조).
    pub access_changes: Vec<Flagged>,
    /// Provisions per recipient.
    pub transfers: Vec<Transfer>,
    /// Attempts refused (403), per key.
    pub denied: Vec<Denials>,
    /// Labels of the keys that appear, by id ([`Review::label_keys`]).
    pub key_labels: BTreeMap<String, String>,
    /// Set when the month was not asked for but chosen as the previous calendar month; the text
    /// report says so.
    pub default_month: bool,
}

#[derive(Default)]
struct DenialAcc {
    roles: BTreeSet<String>,
    attempts: u64,
    routes: BTreeMap<String, u64>,
    /// The earliest and the latest attempt, by time (entries arrive chain by chain, not in time
    /// order, when several servers write the log).
    first: Option<(i64, String)>,
    last: Option<(i64, String)>,
}

#[derive(Default)]
struct KeyAcc {
    activity: KeyActivity,
    roles: BTreeSet<String>,
    subjects: BTreeSet<String>,
}

impl Review {
    /// One pass over the entries; only entries whose local time falls in `opts.month` count.
    pub fn build(entries: impl Iterator<Item = Entry>, opts: &ReviewOptions) -> Review {
        let offset = UtcOffset::from_hms(opts.utc_offset_hours.clamp(-23, 23), 0, 0)
            .unwrap_or(UtcOffset::UTC);
        let mut count = 0u64;
        let mut skipped = 0u64;
        let mut exports = Vec::new();
        let mut transfers: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
        let mut off_hours = Vec::new();
        let mut access_changes = Vec::new();
        let mut keys: BTreeMap<String, KeyAcc> = BTreeMap::new();
        // (key, date) → (role, subjects)
        let mut daily: BTreeMap<(String, String), (String, BTreeSet<String>)> = BTreeMap::new();
        // (key, date) → (role, lookups, unmatched)
        let mut lookups: BTreeMap<(String, String), (String, usize, usize)> = BTreeMap::new();
        let mut denials: BTreeMap<String, DenialAcc> = BTreeMap::new();

        for e in entries {
            let Some(t) = local_time(e.at_ms, offset) else {
                skipped += 1;
                continue;
            };
            if (t.year(), u8::from(t.month())) != opts.month {
                continue;
            }
            count += 1;
            let weekend = matches!(t.weekday(), Weekday::Saturday | Weekday::Sunday);
            let in_hours = if opts.work_start_hour <= opts.work_end_hour {
                (opts.work_start_hour..opts.work_end_hour).contains(&t.hour())
            } else {
                // A shift across midnight, e.g. 22–06.
                t.hour() >= opts.work_start_hour || t.hour() < opts.work_end_hour
            };
            let outside = weekend || !in_hours;

            let acc = keys.entry(e.key_id.clone()).or_default();
            acc.activity.total += 1;
            match e.action {
                Action::Read | Action::Lookup => acc.activity.reads += 1,
                Action::Create
                | Action::Update
                | Action::ConsentGrant
                | Action::ConsentWithdraw
                | Action::ConsentNotice
                | Action::RetentionEvent
                | Action::Separate
                | Action::RightsRequest => acc.activity.writes += 1,
                Action::Delete | Action::Erase | Action::Destroy => acc.activity.deletions += 1,
                Action::Export | Action::Download | Action::Provide => acc.activity.exports += 1,
                Action::KeyCreate
                | Action::KeyRevoke
                | Action::RoleChange
                | Action::SignIn
                | Action::SignOff => acc.activity.other += 1,
                Action::Denied => acc.activity.denied += 1,
            }
            acc.roles.insert(e.role.clone());
            if let Some(s) = &e.subject_id {
                acc.subjects.insert(s.clone());
            }
            if e.action.is_read() && outside {
                acc.activity.off_hours += 1;
            }

            if e.action.is_read() {
                if let Some(s) = &e.subject_id {
                    let day = daily
                        .entry((e.key_id.clone(), date_string(&t)))
                        .or_insert_with(|| (e.role.clone(), BTreeSet::new()));
                    day.1.insert(s.clone());
                }
            }
            if e.action == Action::Lookup {
                let day = lookups
                    .entry((e.key_id.clone(), date_string(&t)))
                    .or_insert_with(|| (e.role.clone(), 0, 0));
                day.1 += 1;
                if e.subject_id.is_none() {
                    day.2 += 1;
                }
            }
            if e.action.is_export() {
                exports.push(flag(&e, &t, "export"));
            }
            if e.action == Action::Provide {
                // The vault writes the recipient first in the reason: `to KEY` or `to KEY: why`.
                let recipient = e
                    .reason
                    .as_deref()
                    .and_then(|r| r.strip_prefix("to "))
                    .map(|r| r.split(':').next().unwrap_or(r).trim().to_string())
                    .unwrap_or_else(|| "(unnamed)".to_string());
                let t = transfers.entry(recipient).or_default();
                t.0 += 1;
                t.1.insert(e.key_id.clone());
            }
            if matches!(
                e.action,
                Action::KeyCreate | Action::KeyRevoke | Action::RoleChange
            ) {
                access_changes.push(flag(&e, &t, "access_change"));
            }
            if e.action.is_read() && outside {
                off_hours.push(flag(&e, &t, if weekend { "weekend" } else { "night" }));
            }
            if e.action == Action::Denied {
                let when = flag(&e, &t, "denied").local_time;
                let d = denials.entry(e.key_id.clone()).or_default();
                d.roles.insert(e.role.clone());
                d.attempts += 1;
                // The route is the first category: `METHOD /template`.
                let route = e
                    .categories
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "(route not recorded)".to_string());
                *d.routes.entry(route).or_default() += 1;
                if d.first.as_ref().is_none_or(|(at, _)| e.at_ms < *at) {
                    d.first = Some((e.at_ms, when.clone()));
                }
                if d.last.as_ref().is_none_or(|(at, _)| e.at_ms >= *at) {
                    d.last = Some((e.at_ms, when));
                }
            }
        }

        let bulk_reads = daily
            .into_iter()
            .filter(|(_, (_, subjects))| subjects.len() > opts.bulk_threshold)
            .map(|((key_id, date), (role, subjects))| BulkRead {
                key_id,
                key_label: None,
                role,
                date,
                subjects: subjects.len(),
            })
            .collect();
        let bulk_lookups = lookups
            .into_iter()
            .filter(|(_, (_, count, unmatched))| {
                *count > opts.lookup_threshold || *unmatched > opts.unmatched_lookup_threshold
            })
            .map(|((key_id, date), (role, lookups, unmatched))| BulkLookup {
                key_id,
                key_label: None,
                role,
                date,
                lookups,
                unmatched,
            })
            .collect();
        let per_key = keys
            .into_iter()
            .map(|(key_id, acc)| KeyActivity {
                key_id,
                roles: acc.roles.into_iter().collect(),
                distinct_subjects: acc.subjects.len(),
                ..acc.activity
            })
            .collect();
        let denied = denials
            .into_iter()
            .map(|(key_id, d)| {
                let mut routes: Vec<RouteCount> = d
                    .routes
                    .into_iter()
                    .map(|(route, attempts)| RouteCount { route, attempts })
                    .collect();
                routes.sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.route.cmp(&b.route)));
                Denials {
                    key_id,
                    key_label: None,
                    roles: d.roles.into_iter().collect(),
                    attempts: d.attempts,
                    routes,
                    first: d.first.map(|(_, when)| when).unwrap_or_default(),
                    last: d.last.map(|(_, when)| when).unwrap_or_default(),
                }
            })
            .collect();
        // In time, then log order (entries come chain by chain).
        exports.sort_by_key(|f| (f.at_ms, f.chain, f.seq));
        off_hours.sort_by_key(|f| (f.at_ms, f.chain, f.seq));

        Review {
            options: opts.clone(),
            month: format!("{:04}-{:02}", opts.month.0, opts.month.1),
            entries: count,
            skipped,
            exports,
            bulk_reads,
            bulk_lookups,
            off_hours_reads: off_hours,
            per_key,
            access_changes,
            transfers: transfers
                .into_iter()
                .map(|(recipient, (provisions, keys))| Transfer {
                    recipient,
                    provisions,
                    keys: keys.into_iter().collect(),
                })
                .collect(),
            denied,
            key_labels: BTreeMap::new(),
            default_month: false,
        }
    }

    /// Names keys by the labels they were given (`labels`: key id → label, as the store keeps
    /// them); keys with no label, or an empty one, stay ids alone.
    pub fn label_keys(&mut self, labels: &BTreeMap<String, String>) {
        let label = |id: &str| labels.get(id).filter(|l| !l.trim().is_empty()).cloned();
        for f in self
            .exports
            .iter_mut()
            .chain(self.off_hours_reads.iter_mut())
            .chain(self.access_changes.iter_mut())
        {
            f.key_label = label(&f.key_id);
        }
        for b in &mut self.bulk_reads {
            b.key_label = label(&b.key_id);
        }
        for b in &mut self.bulk_lookups {
            b.key_label = label(&b.key_id);
        }
        for k in &mut self.per_key {
            k.key_label = label(&k.key_id);
        }
        for d in &mut self.denied {
            d.key_label = label(&d.key_id);
        }
        let mut seen: BTreeSet<&str> = self.per_key.iter().map(|k| k.key_id.as_str()).collect();
        seen.extend(
            self.transfers
                .iter()
                .flat_map(|t| t.keys.iter().map(String::as_str)),
        );
        self.key_labels = seen
            .into_iter()
            .filter_map(|id| label(id).map(|l| (id.to_string(), l)))
            .collect();
    }

    /// A key as the report names it: `label (id)`, or the id alone.
    pub fn key_name(&self, id: &str) -> String {
        key_name(id, self.key_labels.get(id).map(String::as_str))
    }

    /// Nothing the officer needs to look into.
    pub fn is_quiet(&self) -> bool {
        self.exports.is_empty()
            && self.bulk_reads.is_empty()
            && self.bulk_lookups.is_empty()
            && self.off_hours_reads.is_empty()
            && self.denied.is_empty()
    }

    /// The report a privacy officer reads: Korean and English headings, plain text.
    pub fn to_text(&self) -> String {
        let o = &self.options;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "접속기록 월간 점검 / Monthly access-log review — {}",
            self.month
        );
        if self.default_month {
            let _ = writeln!(
                s,
                "(지난달 / the previous calendar month: no month was given; --month YYYY-MM reviews another)"
            );
        }
        let _ = writeln!(
            s,
            "기준 / Criteria: 근무시간 working hours {:02}:00–{:02}:00 월–금 Mon–Fri (UTC{:+}), 대량 조회 bulk > {} subjects/key/day",
            o.work_start_hour, o.work_end_hour, o.utc_offset_hours, o.bulk_threshold
        );
        let denied: u64 = self.denied.iter().map(|d| d.attempts).sum();
        let _ = writeln!(
            s,
            "기록 수 / Entries: {}   반출 exports: {}   대량 조회 bulk: {}   대량 검색 lookups: {}   근무시간 외 off-hours: {}   거부 denied: {}",
            self.entries,
            self.exports.len(),
            self.bulk_reads.len(),
            self.bulk_lookups.len(),
            self.off_hours_reads.len(),
            denied
        );
        if self.skipped > 0 {
            let _ = writeln!(
                s,
                "시각 오류로 제외 / Skipped (time out of range): {}",
                self.skipped
            );
        }
        if self.entries == 0 {
            let _ = writeln!(
                s,
                "\n이 달의 접속기록 없음 / No access-log entries in {}: nothing was read, written or refused.",
                self.month
            );
        }
        if self.is_quiet() {
            let _ = writeln!(s, "\n특이사항 없음 / Nothing to look into.");
        }

        let _ = writeln!(
            s,
            "\n## 1. 개인정보 다운로드·반출 / Exports and downloads ({})",
            self.exports.len()
        );
        self.write_flagged(&mut s, &self.exports);

        let _ = writeln!(
            s,
            "\n## 2. 대량 조회 / Bulk reads ({})",
            self.bulk_reads.len()
        );
        if self.bulk_reads.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        }
        for b in &self.bulk_reads {
            let _ = writeln!(
                s,
                "  {}  key {}, role {}: {} subjects",
                b.date,
                self.key_name(&b.key_id),
                b.role,
                b.subjects
            );
        }

        let _ = writeln!(
            s,
            "\n## 2a. 값으로 대량 검색 / Bulk lookups by value (> {} a day, or > {} finding nobody) ({})",
            o.lookup_threshold,
            o.unmatched_lookup_threshold,
            self.bulk_lookups.len()
        );
        if self.bulk_lookups.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        }
        for b in &self.bulk_lookups {
            let _ = writeln!(
                s,
                "  {}  key {}, role {}: {} lookups, {} found nobody",
                b.date,
                self.key_name(&b.key_id),
                b.role,
                b.lookups,
                b.unmatched
            );
        }

        let _ = writeln!(
            s,
            "\n## 3. 근무시간 외 조회 / Reads outside working hours ({})",
            self.off_hours_reads.len()
        );
        self.write_flagged(&mut s, &self.off_hours_reads);

        let _ = writeln!(
            s,
            "\n## 4. 접근키별 처리 현황 / Activity per key ({})",
            self.per_key.len()
        );
        if self.per_key.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        } else {
            let _ = writeln!(
                s,
                "  {:<12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>9}  key",
                "roles",
                "total",
                "read",
                "write",
                "delete",
                "export",
                "other",
                "denied",
                "subjects",
                "off-hours"
            );
            for k in &self.per_key {
                let _ = writeln!(
                    s,
                    "  {:<12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>9}  {}",
                    k.roles.join(","),
                    k.total,
                    k.reads,
                    k.writes,
                    k.deletions,
                    k.exports,
                    k.other,
                    k.denied,
                    k.distinct_subjects,
                    k.off_hours,
                    self.key_name(&k.key_id)
                );
            }
        }
        let _ = writeln!(
            s,
            "\n## 5. 접근권한 변경 / Access-right changes ({})",
            self.access_changes.len()
        );
        self.write_flagged(&mut s, &self.access_changes);

        let _ = writeln!(
            s,
            "\n## 6. 제공·위탁 / Provisions per recipient ({})",
            self.transfers.len()
        );
        if self.transfers.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        }
        for t in &self.transfers {
            let keys: Vec<String> = t.keys.iter().map(|k| self.key_name(k)).collect();
            let _ = writeln!(
                s,
                "  {:<24} {:>8} provisions  by {}",
                t.recipient,
                t.provisions,
                keys.join(", ")
            );
        }

        let _ = writeln!(
            s,
            "\n## 7. 거부된 시도 / Attempts refused (403), per key ({})",
            self.denied.len()
        );
        if self.denied.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        }
        for d in &self.denied {
            let _ = writeln!(
                s,
                "  key {}, role {}: {} refused, {} – {}",
                self.key_name(&d.key_id),
                d.roles.join(","),
                d.attempts,
                d.first,
                d.last
            );
            for r in &d.routes {
                let _ = writeln!(s, "    {:>6}  {}", r.attempts, r.route);
            }
        }

        let _ = writeln!(
            s,
            "\n점검자 / Reviewed by: ____________   일자 / Date: ____________   조치 / Action taken: ____________"
        );
        s
    }

    fn write_flagged(&self, s: &mut String, list: &[Flagged]) {
        if list.is_empty() {
            let _ = writeln!(s, "  (없음 / none)");
        }
        for f in list {
            let _ = write!(
                s,
                "  #{:<6} {}  {:<8} key {}, role {}, from {}",
                f.position().to_string(),
                f.local_time,
                f.action.as_str(),
                key_name(&f.key_id, f.key_label.as_deref()),
                f.role,
                f.source
            );
            if let Some(subject) = &f.subject_id {
                let _ = write!(s, "  subject {subject}");
            }
            if !f.categories.is_empty() {
                let _ = write!(s, "  [{}]", f.categories.join(", "));
            }
            match &f.reason {
                Some(r) => {
                    let _ = write!(s, "  reason: {r}");
                }
                None => {
                    if f.action.is_export() {
                        let _ = write!(s, "  reason: (none given / 사유 없음)");
                    }
                }
            }
            if f.why != "export" {
                let _ = write!(s, "  <{}>", f.why);
            }
            s.push('\n');
        }
    }
}

/// `label (id)`, or the id alone when there is no label.
fn key_name(id: &str, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("{label} ({id})"),
        None => id.to_string(),
    }
}

fn local_time(at_ms: i64, offset: UtcOffset) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .ok()
        .map(|t| t.to_offset(offset))
}

fn date_string(t: &OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn flag(e: &Entry, t: &OffsetDateTime, why: &'static str) -> Flagged {
    let wd = match t.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    Flagged {
        chain: e.chain,
        seq: e.seq,
        at_ms: e.at_ms,
        local_time: format!(
            "{} {:02}:{:02} ({wd})",
            date_string(t),
            t.hour(),
            t.minute()
        ),
        key_id: e.key_id.clone(),
        key_label: None,
        role: e.role.clone(),
        source: e.source.clone(),
        subject_id: e.subject_id.clone(),
        action: e.action,
        categories: e.categories.clone(),
        reason: e.reason.clone(),
        why,
    }
}

impl Flagged {
    /// Where the entry is in the log: `57`, or `1:57` on chain 1.
    pub fn position(&self) -> crate::Position {
        crate::Position {
            chain: self.chain,
            seq: self.seq,
        }
    }
}

fn is_chain_zero(chain: &u32) -> bool {
    *chain == 0
}
