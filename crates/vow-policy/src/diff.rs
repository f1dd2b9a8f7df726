//! `diff`: what changed between two versions of a policy, which changes are material, and whether the new
//! version was announced early enough.
//!
//! A change is **material** when it takes more from the data subject than before: a new item collected, a new
//! purpose, a new recipient (third party, processor, overseas transfer), or data kept longer (a longer period,
//! or a category whose retention rule disappears so that nothing limits it any more). Material changes need the
//! longer notice period of `[changes] material_days`; everything else needs `ordinary_days`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Date, Lang, Period, Policy, Text};
use crate::validate::collected_categories;

/// Notice periods used when the new policy has no `[changes]` table (PIPC guideline practice: 7 days, and
/// 30 days for changes that matter to the subject).
pub const DEFAULT_ORDINARY_DAYS: u32 = 7;
/// See [`DEFAULT_ORDINARY_DAYS`].
pub const DEFAULT_MATERIAL_DAYS: u32 = 30;

/// Whether an entry appeared, disappeared or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One change between two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The section as the file names it: `category`, `purpose`, `retention`, `processor`, ...
    pub section: &'static str,
    /// The entry's key, when the section has entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub kind: ChangeKind,
    /// Whether the change needs the longer notice period.
    pub material: bool,
    /// The change in Korean.
    pub ko: String,
    /// The change in English.
    pub en: String,
}

impl Change {
    /// The description in `lang`.
    pub fn describe(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.ko,
            Lang::En => &self.en,
        }
    }
}

/// Whether the new policy was announced early enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeCheck {
    /// Whether any change is material.
    pub material: bool,
    /// Days of notice required (0 when nothing changed).
    pub required_days: u32,
    pub announced: Option<Date>,
    pub effective: Date,
    /// Days between announcement and effect, when the announcement date is known.
    pub given_days: Option<i64>,
    /// How many days too short the notice is (absent when it is long enough or `announced` is missing).
    pub short_by: Option<i64>,
    /// Whether the notice satisfies the rule.
    pub ok: bool,
    /// The verdict in English.
    pub en: String,
    /// The verdict in Korean.
    pub ko: String,
}

/// The differences between two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    pub changes: Vec<Change>,
    pub notice: NoticeCheck,
}

impl PolicyDiff {
    /// Whether any change is material.
    pub fn is_material(&self) -> bool {
        self.changes.iter().any(|c| c.material)
    }

    /// Changes grouped by section, in the order sections first appear.
    pub fn by_section(&self) -> Vec<(&'static str, Vec<&Change>)> {
        let mut groups: Vec<(&'static str, Vec<&Change>)> = Vec::new();
        for change in &self.changes {
            match groups.iter_mut().find(|(s, _)| *s == change.section) {
                Some((_, list)) => list.push(change),
                None => groups.push((change.section, vec![change])),
            }
        }
        groups
    }

    /// The diff as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// Compares two versions of a policy.
pub fn diff(old: &Policy, new: &Policy) -> PolicyDiff {
    let mut d = Differ {
        changes: Vec::new(),
    };
    d.meta(old, new);
    d.categories(old, new);
    d.keyed_sections(old, new);
    d.retention(old, new);
    d.recipients(old, new);
    d.whole_sections(old, new);
    let notice = notice(new, &d.changes);
    PolicyDiff {
        changes: d.changes,
        notice,
    }
}

fn notice(new: &Policy, changes: &[Change]) -> NoticeCheck {
    let material = changes.iter().any(|c| c.material);
    let (ordinary_days, material_days) = new
        .changes
        .as_ref()
        .map_or((DEFAULT_ORDINARY_DAYS, DEFAULT_MATERIAL_DAYS), |c| {
            (c.ordinary_days, c.material_days)
        });
    let required_days = match (changes.is_empty(), material) {
        (true, _) => 0,
        (false, true) => material_days,
        (false, false) => ordinary_days,
    };
    let effective = new.policy.effective;
    let announced = new.policy.announced;
    let kind_en = if material { "material" } else { "ordinary" };
    let kind_ko = if material { "중요한" } else { "일반" };
    let (given_days, short_by, ok, en, ko) = match announced {
        _ if required_days == 0 => (
            announced.map(|a| a.days_until(effective)),
            None,
            true,
            "nothing changed; no notice is needed".to_string(),
            "변경 사항이 없어 고지가 필요하지 않습니다".to_string(),
        ),
        None => (
            None,
            None,
            false,
            format!(
                "[policy] announced is missing: {kind_en} changes must be announced at least {required_days} days \
                 before {effective}"
            ),
            format!("[policy] announced(공고일)가 없습니다: {kind_ko} 변경은 시행일 {effective}보다 {required_days}일 이상 먼저 공고해야 합니다"),
        ),
        Some(a) => {
            let given = a.days_until(effective);
            let required = i64::from(required_days);
            if given >= required {
                (
                    Some(given),
                    None,
                    true,
                    format!("announced {a}, {given} days before {effective}: enough for {kind_en} changes ({required_days} days)"),
                    format!("{a} 공고, 시행일 {effective}까지 {given}일: {kind_ko} 변경에 필요한 {required_days}일을 충족합니다"),
                )
            } else {
                let short = required - given;
                (
                    Some(given),
                    Some(short),
                    false,
                    format!(
                        "announced {a}, only {given} days before {effective}: {kind_en} changes need {required_days} days, \
                         {short} days short; announce by {} or take effect on {} at the earliest",
                        shift(effective, -required),
                        shift(a, required)
                    ),
                    format!("{a} 공고, 시행일 {effective}까지 {given}일: {kind_ko} 변경은 {required_days}일 전 공고가 필요하며 {short}일 부족합니다"),
                )
            }
        }
    };
    NoticeCheck {
        material,
        required_days,
        announced,
        effective,
        given_days,
        short_by,
        ok,
        en,
        ko,
    }
}

fn shift(date: Date, days: i64) -> String {
    date.0
        .checked_add(time::Duration::days(days))
        .map_or_else(|| "?".to_string(), |d| Date(d).to_string())
}

/// One keyed section's entries before and after: (file name, Korean name, whether an addition is material, old, new).
type KeyedSection = (
    &'static str,
    &'static str,
    bool,
    Vec<(String, serde_json::Value)>,
    Vec<(String, serde_json::Value)>,
);

struct Differ {
    changes: Vec<Change>,
}

fn text(t: &Text) -> String {
    t.get(Lang::Ko).to_string()
}

fn text_en(t: &Text) -> String {
    t.get(Lang::En).to_string()
}

/// The `label` of a serialized entry in `lang` followed by a space, or nothing when it has none.
fn label_of(value: &serde_json::Value, lang: Lang) -> String {
    let label = &value["label"];
    let (first, second) = match lang {
        Lang::Ko => ("ko", "en"),
        Lang::En => ("en", "ko"),
    };
    label[first]
        .as_str()
        .or_else(|| label[second].as_str())
        .map(|s| format!("{s} "))
        .unwrap_or_default()
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The longest retention of each category, in hours (a rule without a period counts 0); absent when no rule
/// governs the category.
fn longest_retention(policy: &Policy) -> BTreeMap<&str, u64> {
    let mut map = BTreeMap::new();
    for rule in &policy.retention {
        let hours = rule.period.map_or(0, Period::max_hours);
        for key in &rule.categories {
            let slot = map.entry(key.as_str()).or_insert(0);
            *slot = (*slot).max(hours);
        }
    }
    map
}

fn period_words(period: Option<Period>) -> (String, String) {
    match period {
        Some(p) => (p.to_korean(), p.to_english()),
        None => ("즉시 파기".to_string(), "destroyed at once".to_string()),
    }
}

impl Differ {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        section: &'static str,
        key: Option<&str>,
        kind: ChangeKind,
        material: bool,
        ko: String,
        en: String,
    ) {
        self.changes.push(Change {
            section,
            key: key.map(str::to_string),
            kind,
            material,
            ko,
            en,
        });
    }

    fn meta(&mut self, old: &Policy, new: &Policy) {
        for (name, a, b) in [
            ("controller", json(&old.controller), json(&new.controller)),
            ("officer", json(&old.officer), json(&new.officer)),
            ("department", json(&old.department), json(&new.department)),
        ] {
            if a != b {
                self.push(
                    name,
                    None,
                    ChangeKind::Changed,
                    false,
                    format!("[{name}] 내용이 변경되었습니다"),
                    format!("[{name}] changed"),
                );
            }
        }
    }

    fn categories(&mut self, old: &Policy, new: &Policy) {
        let old_keys: BTreeMap<&str, &crate::model::Category> =
            old.categories.iter().map(|c| (c.key.as_str(), c)).collect();
        let new_keys: BTreeMap<&str, &crate::model::Category> =
            new.categories.iter().map(|c| (c.key.as_str(), c)).collect();
        let old_collected = collected_categories(old);
        let new_collected = collected_categories(new);
        for (key, c) in &new_keys {
            let label = text(&c.label);
            let label_en = text_en(&c.label);
            if !old_collected.contains(key) && new_collected.contains(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Added,
                    true,
                    format!("수집 항목 추가: {label} (`{key}`)"),
                    format!("new item collected: {label_en} (`{key}`)"),
                );
            } else if !old_keys.contains_key(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Added,
                    false,
                    format!("항목 선언 추가 (수집하지 않음): {label} (`{key}`)"),
                    format!("category declared (not collected): {label_en} (`{key}`)"),
                );
            } else if old_keys.get(key).map(json) != Some(json(c)) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("항목 설명 변경: {label} (`{key}`)"),
                    format!("category changed: {label_en} (`{key}`)"),
                );
            }
        }
        for (key, c) in &old_keys {
            if !new_keys.contains_key(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("항목 삭제: {} (`{key}`)", text(&c.label)),
                    format!("item no longer processed: {} (`{key}`)", text_en(&c.label)),
                );
            } else if old_collected.contains(key) && !new_collected.contains(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("더 이상 수집하지 않음: {} (`{key}`)", text(&c.label)),
                    format!("no longer collected: {} (`{key}`)", text_en(&c.label)),
                );
            }
        }
    }

    /// Collections, purposes, subjects and roles: added and removed by key, changed by content.
    fn keyed_sections(&mut self, old: &Policy, new: &Policy) {
        let sections: [KeyedSection; 4] = [
            (
                "purpose",
                "처리 목적",
                true,
                old.purposes
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
                new.purposes
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
            ),
            (
                "collection",
                "수집 시점",
                false,
                old.collections
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
                new.collections
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
            ),
            (
                "subject",
                "정보주체 유형",
                false,
                old.subjects
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
                new.subjects
                    .iter()
                    .map(|x| (x.key.clone(), json(x)))
                    .collect(),
            ),
            (
                "role",
                "접근 역할",
                false,
                old.roles.iter().map(|x| (x.key.clone(), json(x))).collect(),
                new.roles.iter().map(|x| (x.key.clone(), json(x))).collect(),
            ),
        ];
        for (section, ko_name, added_is_material, old_entries, new_entries) in sections {
            self.keyed(
                section,
                ko_name,
                added_is_material,
                &old_entries,
                &new_entries,
            );
        }
    }

    fn keyed(
        &mut self,
        section: &'static str,
        ko_name: &str,
        added_is_material: bool,
        old: &[(String, serde_json::Value)],
        new: &[(String, serde_json::Value)],
    ) {
        let old_map: BTreeMap<&str, &serde_json::Value> =
            old.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let new_map: BTreeMap<&str, &serde_json::Value> =
            new.iter().map(|(k, v)| (k.as_str(), v)).collect();
        for (key, value) in &new_map {
            match old_map.get(key) {
                None => self.push(
                    section,
                    Some(key),
                    ChangeKind::Added,
                    added_is_material,
                    format!("{ko_name} 추가: {}(`{key}`)", label_of(value, Lang::Ko)),
                    format!("{section} added: {}(`{key}`)", label_of(value, Lang::En)),
                ),
                Some(old_value) if old_value != value => self.push(
                    section,
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("{ko_name} 변경: {}(`{key}`)", label_of(value, Lang::Ko)),
                    format!("{section} changed: {}(`{key}`)", label_of(value, Lang::En)),
                ),
                Some(_) => {}
            }
        }
        for (key, value) in &old_map {
            if !new_map.contains_key(key) {
                self.push(
                    section,
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("{ko_name} 삭제: {}(`{key}`)", label_of(value, Lang::Ko)),
                    format!("{section} removed: {}(`{key}`)", label_of(value, Lang::En)),
                );
            }
        }
    }

    fn retention(&mut self, old: &Policy, new: &Policy) {
        let old_rules: BTreeMap<&str, &crate::model::RetentionRule> =
            old.retention.iter().map(|r| (r.key.as_str(), r)).collect();
        let old_longest = longest_retention(old);
        let new_longest = longest_retention(new);
        let new_keys: BTreeSet<&str> = new.retention.iter().map(|r| r.key.as_str()).collect();
        for rule in &new.retention {
            let key = rule.key.as_str();
            let (ko_period, en_period) = period_words(rule.period);
            // Longer for some category than anything the old policy allowed it (a category the old policy did not
            // keep at all counts under "new item collected" instead).
            let lengthens = rule.categories.iter().any(|c| {
                let hours = rule.period.map_or(0, Period::max_hours);
                old_longest.get(c.as_str()).is_some_and(|old| hours > *old)
            });
            match old_rules.get(key) {
                None => self.push(
                    "retention",
                    Some(key),
                    ChangeKind::Added,
                    lengthens,
                    format!("보유 기간 추가: {} — {ko_period}", text(&rule.label)),
                    format!(
                        "retention rule added: {} — {en_period}",
                        text_en(&rule.label)
                    ),
                ),
                Some(old_rule) => {
                    let old_hours = old_rule.period.map_or(0, Period::max_hours);
                    let new_hours = rule.period.map_or(0, Period::max_hours);
                    let (ko_old, en_old) = period_words(old_rule.period);
                    if old_rule.period != rule.period {
                        let longer = new_hours > old_hours;
                        self.push(
                            "retention",
                            Some(key),
                            ChangeKind::Changed,
                            longer || lengthens,
                            format!(
                                "보유 기간 {}: {} — {ko_old} → {ko_period}",
                                if longer { "연장" } else { "변경" },
                                text(&rule.label)
                            ),
                            format!(
                                "retention {}: {} — {en_old} → {en_period}",
                                if longer { "lengthened" } else { "changed" },
                                text_en(&rule.label)
                            ),
                        );
                    } else if json(old_rule) != json(rule) {
                        self.push(
                            "retention",
                            Some(key),
                            ChangeKind::Changed,
                            lengthens,
                            format!("보유 규칙 변경: {}", text(&rule.label)),
                            format!("retention rule changed: {}", text_en(&rule.label)),
                        );
                    }
                }
            }
        }
        for (key, rule) in &old_rules {
            if !new_keys.contains(key) {
                self.push(
                    "retention",
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("보유 규칙 삭제: {}", text(&rule.label)),
                    format!("retention rule removed: {}", text_en(&rule.label)),
                );
            }
        }
        // A category still collected but no longer governed by any rule is kept without limit.
        for category in collected_categories(new) {
            if old_longest.contains_key(category) && !new_longest.contains_key(category) {
                self.push(
                    "retention",
                    Some(category),
                    ChangeKind::Changed,
                    true,
                    format!("`{category}`의 보유 기간이 정해지지 않게 됨 (무기한 보유)"),
                    format!("`{category}` is no longer governed by any retention rule (kept indefinitely)"),
                );
            }
        }
    }

    fn recipients(&mut self, old: &Policy, new: &Policy) {
        let old_third: BTreeMap<&str, &crate::model::ThirdParty> = old
            .third_parties
            .iter()
            .map(|x| (x.key.as_str(), x))
            .collect();
        let new_third: BTreeMap<&str, &crate::model::ThirdParty> = new
            .third_parties
            .iter()
            .map(|x| (x.key.as_str(), x))
            .collect();
        for (key, t) in &new_third {
            match old_third.get(key) {
                None => self.push(
                    "third_party",
                    Some(key),
                    ChangeKind::Added,
                    true,
                    format!("제3자 제공 추가: {}", text(&t.name)),
                    format!("new third party: {}", text_en(&t.name)),
                ),
                Some(o) => {
                    let before: BTreeSet<&String> = o.categories.iter().collect();
                    let added: Vec<&String> = t
                        .categories
                        .iter()
                        .filter(|c| !before.contains(c))
                        .collect();
                    if !added.is_empty() {
                        let list = added
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.push(
                            "third_party",
                            Some(key),
                            ChangeKind::Changed,
                            true,
                            format!("{}에 제공하는 항목 추가: {list}", text(&t.name)),
                            format!("{} now receives {list}", text_en(&t.name)),
                        );
                    } else if json(o) != json(t) {
                        self.push(
                            "third_party",
                            Some(key),
                            ChangeKind::Changed,
                            false,
                            format!("제3자 제공 내용 변경: {}", text(&t.name)),
                            format!("third party changed: {}", text_en(&t.name)),
                        );
                    }
                }
            }
        }
        for (key, t) in &old_third {
            if !new_third.contains_key(key) {
                self.push(
                    "third_party",
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("제3자 제공 중단: {}", text(&t.name)),
                    format!("third party removed: {}", text_en(&t.name)),
                );
            }
        }

        let old_proc: BTreeMap<&str, &crate::model::Processor> =
            old.processors.iter().map(|x| (x.key.as_str(), x)).collect();
        let new_proc: BTreeMap<&str, &crate::model::Processor> =
            new.processors.iter().map(|x| (x.key.as_str(), x)).collect();
        for (key, x) in &new_proc {
            match old_proc.get(key) {
                None => self.push(
                    "processor",
                    Some(key),
                    ChangeKind::Added,
                    true,
                    format!("처리위탁 추가: {} ({})", text(&x.name), text(&x.task)),
                    format!("new processor: {} ({})", text_en(&x.name), text_en(&x.task)),
                ),
                Some(o) if json(o) != json(x) => self.push(
                    "processor",
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("처리위탁 내용 변경: {}", text(&x.name)),
                    format!("processor changed: {}", text_en(&x.name)),
                ),
                Some(_) => {}
            }
        }
        for (key, x) in &old_proc {
            if !new_proc.contains_key(key) {
                self.push(
                    "processor",
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("처리위탁 종료: {}", text(&x.name)),
                    format!("processor removed: {}", text_en(&x.name)),
                );
            }
        }

        let transfer_key = |t: &crate::model::OverseasTransfer| {
            format!("{}@{}", t.recipient, t.country.to_uppercase())
        };
        let old_tr: BTreeMap<String, &crate::model::OverseasTransfer> = old
            .overseas_transfers
            .iter()
            .map(|t| (transfer_key(t), t))
            .collect();
        let new_tr: BTreeMap<String, &crate::model::OverseasTransfer> = new
            .overseas_transfers
            .iter()
            .map(|t| (transfer_key(t), t))
            .collect();
        for (key, t) in &new_tr {
            match old_tr.get(key) {
                None => self.push(
                    "overseas_transfer",
                    Some(&t.recipient),
                    ChangeKind::Added,
                    true,
                    format!("국외 이전 추가: `{}` ({})", t.recipient, t.country),
                    format!("new overseas transfer: `{}` ({})", t.recipient, t.country),
                ),
                Some(o) => {
                    let before: BTreeSet<&String> = o.categories.iter().collect();
                    let more_items = t.categories.iter().any(|c| !before.contains(c));
                    if json(o) != json(t) {
                        self.push(
                            "overseas_transfer",
                            Some(&t.recipient),
                            ChangeKind::Changed,
                            more_items,
                            format!("국외 이전 내용 변경: `{}` ({})", t.recipient, t.country),
                            format!(
                                "overseas transfer changed: `{}` ({})",
                                t.recipient, t.country
                            ),
                        );
                    }
                }
            }
        }
        for (key, t) in &old_tr {
            if !new_tr.contains_key(key) {
                self.push(
                    "overseas_transfer",
                    Some(&t.recipient),
                    ChangeKind::Removed,
                    false,
                    format!("국외 이전 중단: `{}` ({})", t.recipient, t.country),
                    format!(
                        "overseas transfer removed: `{}` ({})",
                        t.recipient, t.country
                    ),
                );
            }
        }
    }

    /// Sections without keyed entries: any difference is an ordinary change.
    fn whole_sections(&mut self, old: &Policy, new: &Policy) {
        let pairs = [
            (
                "destruction",
                "파기 절차 및 방법",
                json(&old.destruction),
                json(&new.destruction),
            ),
            (
                "sensitive",
                "민감정보",
                json(&old.sensitive),
                json(&new.sensitive),
            ),
            (
                "pseudonymised",
                "가명정보",
                json(&old.pseudonymised),
                json(&new.pseudonymised),
            ),
            (
                "automatic_collection",
                "자동 수집 장치",
                json(&old.automatic_collection),
                json(&new.automatic_collection),
            ),
            (
                "rights",
                "정보주체의 권리",
                json(&old.rights),
                json(&new.rights),
            ),
            (
                "children",
                "아동의 개인정보",
                json(&old.children),
                json(&new.children),
            ),
            (
                "safety",
                "안전성 확보조치",
                json(&old.safety),
                json(&new.safety),
            ),
            (
                "advertising",
                "광고성 정보 전송",
                json(&old.advertising),
                json(&new.advertising),
            ),
            ("ai", "AI 서비스", json(&old.ai), json(&new.ai)),
            (
                "remedies",
                "권익침해 구제방법",
                json(&old.remedies),
                json(&new.remedies),
            ),
            (
                "changes",
                "처리방침의 변경",
                json(&old.changes),
                json(&new.changes),
            ),
            (
                "waiver",
                "린트 예외",
                json(&old.waivers),
                json(&new.waivers),
            ),
        ];
        for (section, ko_name, a, b) in pairs {
            if a != b {
                let kind = match (a.is_null(), b.is_null()) {
                    (true, false) => ChangeKind::Added,
                    (false, true) => ChangeKind::Removed,
                    _ => ChangeKind::Changed,
                };
                let (ko_verb, en_verb) = match kind {
                    ChangeKind::Added => ("추가", "added"),
                    ChangeKind::Removed => ("삭제", "removed"),
                    ChangeKind::Changed => ("변경", "changed"),
                };
                self.push(
                    section,
                    None,
                    kind,
                    false,
                    format!("{ko_name} {ko_verb}"),
                    format!("[{section}] {en_verb}"),
                );
            }
        }
    }
}
