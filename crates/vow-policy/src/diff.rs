//! `diff`: what changed between two versions of a policy, which changes are material, and whether the new
//! version was announced early enough.
//!
//! A change is **material** when it takes more from the data subject than before: a new item collected, a new
//! purpose, a new recipient (third party, processor, overseas transfer), or data kept longer (a longer period,
//! or a category whose retention rule disappears so that nothing limits it any more). Material changes need the
//! longer notice period of `[changes] material_days`; everything else needs `ordinary_days`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::collected_categories;
use crate::model::{Category, DataClass, Date, Lang, Period, Policy, Right, Rights, Text};
use crate::render::{country_name_in, legal_basis_words, right_words_in};

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

struct Differ {
    changes: Vec<Change>,
}

fn text(t: &Text) -> String {
    t.get(Lang::Ko).to_string()
}

fn text_en(t: &Text) -> String {
    t.get(Lang::En).to_string()
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

/// The names people read for the keys a policy uses: a change is described by labels, never by the file's
/// keys, because the descriptions go into the notices and e-mails members receive. A key is looked up in the
/// new policy first, then in the old one (for what was removed).
struct Names<'a> {
    old: &'a Policy,
    new: &'a Policy,
}

impl Names<'_> {
    fn find<T>(
        &self,
        list: fn(&Policy) -> &[T],
        key: &str,
        of: fn(&T) -> (&str, &Text),
    ) -> Option<Text> {
        [self.new, self.old].into_iter().find_map(|p| {
            list(p)
                .iter()
                .map(of)
                .find(|(k, _)| *k == key)
                .map(|(_, label)| label.clone())
        })
    }

    fn category(&self, key: &str, lang: Lang) -> String {
        self.find(|p| &p.categories, key, |c| (&c.key, &c.label))
            .map_or_else(|| key.to_string(), |t| t.get(lang).to_string())
    }

    fn purpose(&self, key: &str, lang: Lang) -> String {
        self.find(|p| &p.purposes, key, |x| (&x.key, &x.label))
            .map_or_else(|| key.to_string(), |t| t.get(lang).to_string())
    }

    fn subject(&self, key: &str, lang: Lang) -> String {
        self.find(|p| &p.subjects, key, |x| (&x.key, &x.label))
            .map_or_else(|| key.to_string(), |t| t.get(lang).to_string())
    }

    /// A processor's or third party's name.
    fn recipient(&self, key: &str, lang: Lang) -> String {
        self.find(|p| &p.processors, key, |x| (&x.key, &x.name))
            .or_else(|| self.find(|p| &p.third_parties, key, |x| (&x.key, &x.name)))
            .map_or_else(|| key.to_string(), |t| t.get(lang).to_string())
    }
}

/// What changed inside one entry, in both languages, as short clauses: "optional items added: Nickname".
#[derive(Default)]
struct Details {
    ko: Vec<String>,
    en: Vec<String>,
}

impl Details {
    fn push(&mut self, ko: String, en: String) {
        self.ko.push(ko);
        self.en.push(en);
    }

    /// Keys added to and removed from a list, each named by `name`.
    fn list(
        &mut self,
        (ko, en): (&str, &str),
        old: &[String],
        new: &[String],
        name: impl Fn(&str, Lang) -> String,
    ) {
        let added: Vec<&String> = new.iter().filter(|k| !old.contains(k)).collect();
        let removed: Vec<&String> = old.iter().filter(|k| !new.contains(k)).collect();
        let names = |keys: &[&String], lang: Lang| {
            keys.iter()
                .map(|k| name(k, lang))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !added.is_empty() {
            self.push(
                format!("{ko} 추가: {}", names(&added, Lang::Ko)),
                format!("{en} added: {}", names(&added, Lang::En)),
            );
        }
        if !removed.is_empty() {
            self.push(
                format!("{ko} 삭제: {}", names(&removed, Lang::Ko)),
                format!("{en} removed: {}", names(&removed, Lang::En)),
            );
        }
    }

    /// Texts added to and removed from a list of texts (compared as written).
    fn texts(&mut self, names: (&str, &str), old: &[Text], new: &[Text]) {
        let keys =
            |list: &[Text]| -> Vec<String> { list.iter().map(|t| json(t).to_string()).collect() };
        let all: BTreeMap<String, &Text> = old
            .iter()
            .chain(new)
            .map(|t| (json(t).to_string(), t))
            .collect();
        self.list(names, &keys(old), &keys(new), |k, lang| {
            all.get(k)
                .map(|t| t.get(lang).to_string())
                .unwrap_or_default()
        });
    }

    /// A text field that was set, changed or removed: its new wording, or that it was removed.
    fn text(&mut self, (ko, en): (&str, &str), old: Option<&Text>, new: Option<&Text>) {
        if old == new {
            return;
        }
        match new {
            Some(t) => self.push(
                format!("{ko}: {}", text(t)),
                format!("{en}: {}", text_en(t)),
            ),
            None => self.push(format!("{ko} 삭제"), format!("{en} removed")),
        }
    }

    /// A renamed entry: the name it had before.
    fn renamed(&mut self, old: &Text, new: &Text) {
        if old != new {
            self.push(
                format!("이전 명칭: {}", text(old)),
                format!("formerly: {}", text_en(old)),
            );
        }
    }

    /// A plain value that changed: `label: before → after`.
    fn value(&mut self, (ko, en): (&str, &str), old: (String, String), new: (String, String)) {
        if old != new {
            self.push(
                format!("{ko}: {} → {}", old.0, new.0),
                format!("{en}: {} → {}", old.1, new.1),
            );
        }
    }

    /// A switch turned on or off, each way with its own words.
    fn flag(&mut self, old: bool, new: bool, on: (&str, &str), off: (&str, &str)) {
        if old != new {
            let (ko, en) = if new { on } else { off };
            self.push(ko.to_string(), en.to_string());
        }
    }

    /// The clauses after the entry's name (" — a; b"), or a general remark when nothing specific was found.
    fn suffix(self) -> (String, String) {
        if self.ko.is_empty() {
            return (
                " — 세부 내용 변경".to_string(),
                " — details changed".to_string(),
            );
        }
        (
            format!(" — {}", self.ko.join("; ")),
            format!(" — {}", self.en.join("; ")),
        )
    }
}

fn both(f: impl Fn(Lang) -> String) -> (String, String) {
    (f(Lang::Ko), f(Lang::En))
}

fn class_words(class: DataClass) -> (String, String) {
    let (ko, en) = match class {
        DataClass::Ordinary => ("일반 개인정보", "ordinary"),
        DataClass::Credential => ("인증정보", "credential"),
        DataClass::UniqueIdentifier => ("고유식별정보", "unique identifier"),
        DataClass::Sensitive => ("민감정보", "sensitive"),
        DataClass::Financial => ("금융정보", "financial"),
        DataClass::Generated => ("자동 생성 정보", "generated automatically"),
    };
    (ko.to_string(), en.to_string())
}

fn option_words<T: Serialize>(value: Option<&T>) -> (String, String) {
    match value.map(json) {
        Some(serde_json::Value::String(s)) => (s.clone(), s),
        Some(other) => (other.to_string(), other.to_string()),
        None => ("없음".to_string(), "none".to_string()),
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
        for (name, ko, en, a, b) in [
            (
                "controller",
                "개인정보처리자 정보",
                "the controller's details",
                json(&old.controller),
                json(&new.controller),
            ),
            (
                "officer",
                "개인정보 보호책임자 정보",
                "the privacy officer's details",
                json(&old.officer),
                json(&new.officer),
            ),
            (
                "department",
                "열람청구 접수·처리 부서 정보",
                "the details of the department that receives requests",
                json(&old.department),
                json(&new.department),
            ),
        ] {
            if a != b {
                self.push(
                    name,
                    None,
                    ChangeKind::Changed,
                    false,
                    format!("{ko} 변경"),
                    format!("{en} changed"),
                );
            }
        }
    }

    fn categories(&mut self, old: &Policy, new: &Policy) {
        let old_keys: BTreeMap<&str, &Category> =
            old.categories.iter().map(|c| (c.key.as_str(), c)).collect();
        let new_keys: BTreeMap<&str, &Category> =
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
                    format!("수집 항목 추가: {label}"),
                    format!("new item collected: {label_en}"),
                );
            } else if !old_keys.contains_key(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Added,
                    false,
                    format!("항목 선언 추가 (수집하지 않음): {label}"),
                    format!("category declared (not collected): {label_en}"),
                );
            } else if let Some(o) = old_keys.get(key).filter(|o| json(*o) != json(c)) {
                let mut d = Details::default();
                d.renamed(&o.label, &c.label);
                d.value(
                    ("분류", "class"),
                    class_words(o.class),
                    class_words(c.class),
                );
                d.text(("참고", "note"), o.note.as_ref(), c.note.as_ref());
                d.flag(
                    o.lookup,
                    c.lookup,
                    ("값으로 찾기 허용", "lookup by value allowed"),
                    ("값으로 찾기 해제", "lookup by value no longer allowed"),
                );
                d.value(
                    ("가림 방식", "masking"),
                    option_words(o.mask.as_ref()),
                    option_words(c.mask.as_ref()),
                );
                let (ko, en) = d.suffix();
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("항목 설명 변경: {label}{ko}"),
                    format!("category changed: {label_en}{en}"),
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
                    format!("항목 삭제: {}", text(&c.label)),
                    format!("item no longer processed: {}", text_en(&c.label)),
                );
            } else if old_collected.contains(key) && !new_collected.contains(key) {
                self.push(
                    "category",
                    Some(key),
                    ChangeKind::Changed,
                    false,
                    format!("더 이상 수집하지 않음: {}", text(&c.label)),
                    format!("no longer collected: {}", text_en(&c.label)),
                );
            }
        }
    }

    /// Collections, purposes, subjects and roles: added and removed by key, changed by content, each change
    /// saying what changed inside the entry.
    fn keyed_sections(&mut self, old: &Policy, new: &Policy) {
        let names = Names { old, new };
        self.keyed(
            ("purpose", "처리 목적"),
            true,
            (&old.purposes, &new.purposes),
            |x| (&x.key, &x.label),
            |o, n| {
                let mut d = Details::default();
                d.renamed(&o.label, &n.label);
                d.texts(("세부 내용", "details"), &o.details, &n.details);
                d.value(
                    ("법적 근거", "legal basis"),
                    both(|lang| legal_basis_words(o.basis, lang)),
                    both(|lang| legal_basis_words(n.basis, lang)),
                );
                d.flag(
                    o.separate_consent,
                    n.separate_consent,
                    ("별도 동의를 받음", "now asked with separate consent"),
                    (
                        "별도 동의를 받지 않음",
                        "no longer asked with separate consent",
                    ),
                );
                d
            },
        );
        self.keyed(
            ("collection", "수집 시점"),
            false,
            (&old.collections, &new.collections),
            |x| (&x.key, &x.label),
            |o, n| {
                let mut d = Details::default();
                d.renamed(&o.label, &n.label);
                d.list(
                    ("대상", "data subjects"),
                    &o.subjects,
                    &n.subjects,
                    |k, l| names.subject(k, l),
                );
                d.text(
                    ("수집 방법", "method"),
                    o.method.as_ref(),
                    n.method.as_ref(),
                );
                d.flag(
                    o.automatic,
                    n.automatic,
                    ("자동 수집으로 변경", "now collected automatically"),
                    ("자동 수집에서 제외", "no longer collected automatically"),
                );
                d.list(
                    ("필수항목", "required items"),
                    &o.required,
                    &n.required,
                    |k, l| names.category(k, l),
                );
                d.list(
                    ("선택항목", "optional items"),
                    &o.optional,
                    &n.optional,
                    |k, l| names.category(k, l),
                );
                d.list(
                    ("이용 목적", "purposes"),
                    &o.purposes,
                    &n.purposes,
                    |k, l| names.purpose(k, l),
                );
                d
            },
        );
        self.keyed(
            ("subject", "정보주체 유형"),
            false,
            (&old.subjects, &new.subjects),
            |x| (&x.key, &x.label),
            |o, n| {
                let mut d = Details::default();
                d.renamed(&o.label, &n.label);
                d.flag(
                    o.child,
                    n.child,
                    ("아동으로 지정", "now children under the age of consent"),
                    (
                        "아동 지정 해제",
                        "no longer children under the age of consent",
                    ),
                );
                d
            },
        );
        // Roles are how vow runs the policy, not part of the public document: name the grants that changed.
        self.keyed(
            ("role", "접근 역할"),
            false,
            (&old.roles, &new.roles),
            |x| (&x.key, &x.label),
            |o, n| {
                let (a, b) = (json(o), json(n));
                let fields: Vec<String> = a
                    .as_object()
                    .into_iter()
                    .chain(b.as_object())
                    .flat_map(|m| m.keys())
                    .filter(|k| a.get(k.as_str()) != b.get(k.as_str()))
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut d = Details::default();
                d.push(
                    format!("변경된 설정: {}", fields.join(", ")),
                    format!("changed: {}", fields.join(", ")),
                );
                d
            },
        );
    }

    fn keyed<T: Serialize>(
        &mut self,
        (section, ko_name): (&'static str, &str),
        added_is_material: bool,
        (old, new): (&[T], &[T]),
        key_label: fn(&T) -> (&String, &Text),
        details: impl Fn(&T, &T) -> Details,
    ) {
        let old_map: BTreeMap<&str, &T> =
            old.iter().map(|x| (key_label(x).0.as_str(), x)).collect();
        let new_map: BTreeMap<&str, &T> =
            new.iter().map(|x| (key_label(x).0.as_str(), x)).collect();
        for (key, value) in &new_map {
            let label = key_label(value).1;
            match old_map.get(key) {
                None => self.push(
                    section,
                    Some(key),
                    ChangeKind::Added,
                    added_is_material,
                    format!("{ko_name} 추가: {}", text(label)),
                    format!("{section} added: {}", text_en(label)),
                ),
                Some(old_value) if json(*old_value) != json(*value) => {
                    let (ko, en) = details(old_value, value).suffix();
                    self.push(
                        section,
                        Some(key),
                        ChangeKind::Changed,
                        false,
                        format!("{ko_name} 변경: {}{ko}", text(label)),
                        format!("{section} changed: {}{en}", text_en(label)),
                    );
                }
                Some(_) => {}
            }
        }
        for (key, value) in &old_map {
            if !new_map.contains_key(key) {
                let label = key_label(value).1;
                self.push(
                    section,
                    Some(key),
                    ChangeKind::Removed,
                    false,
                    format!("{ko_name} 삭제: {}", text(label)),
                    format!("{section} removed: {}", text_en(label)),
                );
            }
        }
    }

    fn retention(&mut self, old: &Policy, new: &Policy) {
        let names = Names { old, new };
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
                        let mut d = Details::default();
                        d.renamed(&old_rule.label, &rule.label);
                        d.list(
                            ("항목", "items"),
                            &old_rule.categories,
                            &rule.categories,
                            |k, l| names.category(k, l),
                        );
                        d.value(
                            ("기산점", "counted from"),
                            option_words(Some(&old_rule.from)),
                            option_words(Some(&rule.from)),
                        );
                        d.value(
                            ("근거", "basis"),
                            option_words(Some(&old_rule.basis)),
                            option_words(Some(&rule.basis)),
                        );
                        d.text(("법령", "law"), old_rule.law.as_ref(), rule.law.as_ref());
                        d.text(
                            ("사유", "reason"),
                            old_rule.reason.as_ref(),
                            rule.reason.as_ref(),
                        );
                        d.flag(
                            old_rule.separate_storage,
                            rule.separate_storage,
                            ("분리보관함", "now stored separately"),
                            ("분리보관하지 않음", "no longer stored separately"),
                        );
                        let (ko, en) = d.suffix();
                        self.push(
                            "retention",
                            Some(key),
                            ChangeKind::Changed,
                            lengthens,
                            format!("보유 규칙 변경: {}{ko}", text(&rule.label)),
                            format!("retention rule changed: {}{en}", text_en(&rule.label)),
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
                    format!(
                        "{}의 보유 기간이 정해지지 않게 됨 (무기한 보유)",
                        names.category(category, Lang::Ko)
                    ),
                    format!(
                        "{} is no longer governed by any retention rule (kept indefinitely)",
                        names.category(category, Lang::En)
                    ),
                );
            }
        }
    }

    fn recipients(&mut self, old: &Policy, new: &Policy) {
        let names = Names { old, new };
        let category = |k: &str, l: Lang| names.category(k, l);
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
                    let added: Vec<&String> = t
                        .categories
                        .iter()
                        .filter(|c| !o.categories.contains(c))
                        .collect();
                    if !added.is_empty() {
                        let list = |lang| {
                            added
                                .iter()
                                .map(|c| names.category(c, lang))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        self.push(
                            "third_party",
                            Some(key),
                            ChangeKind::Changed,
                            true,
                            format!("{}에 제공하는 항목 추가: {}", text(&t.name), list(Lang::Ko)),
                            format!("{} now receives {}", text_en(&t.name), list(Lang::En)),
                        );
                    } else if json(o) != json(t) {
                        let mut d = Details::default();
                        d.renamed(&o.name, &t.name);
                        d.text(("제공 목적", "purpose"), Some(&o.purpose), Some(&t.purpose));
                        d.list(
                            ("제공 항목", "items"),
                            &o.categories,
                            &t.categories,
                            category,
                        );
                        d.text(
                            ("보유 기간", "kept for"),
                            Some(&o.retention),
                            Some(&t.retention),
                        );
                        d.value(
                            ("법적 근거", "legal basis"),
                            both(|lang| legal_basis_words(o.basis, lang)),
                            both(|lang| legal_basis_words(t.basis, lang)),
                        );
                        d.value(
                            ("국가", "country"),
                            country_or_none(o.country.as_deref()),
                            country_or_none(t.country.as_deref()),
                        );
                        let (ko, en) = d.suffix();
                        self.push(
                            "third_party",
                            Some(key),
                            ChangeKind::Changed,
                            false,
                            format!("제3자 제공 내용 변경: {}{ko}", text(&t.name)),
                            format!("third party changed: {}{en}", text_en(&t.name)),
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
                Some(o) if json(o) != json(x) => {
                    let mut d = Details::default();
                    d.renamed(&o.name, &x.name);
                    d.text(("위탁업무", "task"), Some(&o.task), Some(&x.task));
                    d.list(
                        ("처리 항목", "items"),
                        &o.categories,
                        &x.categories,
                        category,
                    );
                    d.text(
                        ("보유 기간", "kept for"),
                        o.retention.as_ref(),
                        x.retention.as_ref(),
                    );
                    d.value(
                        ("국가", "country"),
                        country_or_none(o.country.as_deref()),
                        country_or_none(x.country.as_deref()),
                    );
                    d.flag(
                        o.ai_provider,
                        x.ai_provider,
                        ("AI 모델 제공자로 지정", "now an AI model provider"),
                        ("AI 모델 제공자 지정 해제", "no longer an AI model provider"),
                    );
                    if o.endpoint != x.endpoint || o.api != x.api {
                        d.push(
                            "AI API 설정 변경".to_string(),
                            "AI API settings changed".to_string(),
                        );
                    }
                    d.text(
                        ("재위탁", "sub-processing"),
                        o.subprocessing.as_ref(),
                        x.subprocessing.as_ref(),
                    );
                    let (ko, en) = d.suffix();
                    self.push(
                        "processor",
                        Some(key),
                        ChangeKind::Changed,
                        false,
                        format!("처리위탁 내용 변경: {}{ko}", text(&x.name)),
                        format!("processor changed: {}{en}", text_en(&x.name)),
                    );
                }
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
        // "OpenAI (미국)" / "OpenAI (United States)".
        let who = |t: &crate::model::OverseasTransfer| {
            both(|lang| {
                format!(
                    "{} ({})",
                    names.recipient(&t.recipient, lang),
                    country_name_in(&t.country, lang)
                )
            })
        };
        for (key, t) in &new_tr {
            let (ko_who, en_who) = who(t);
            match old_tr.get(key) {
                None => self.push(
                    "overseas_transfer",
                    Some(&t.recipient),
                    ChangeKind::Added,
                    true,
                    format!("국외 이전 추가: {ko_who}"),
                    format!("new overseas transfer: {en_who}"),
                ),
                Some(o) => {
                    let more_items = t.categories.iter().any(|c| !o.categories.contains(c));
                    if json(o) != json(t) {
                        let mut d = Details::default();
                        d.list(
                            ("이전 항목", "items"),
                            &o.categories,
                            &t.categories,
                            category,
                        );
                        if o.contact != t.contact {
                            d.push(
                                format!("연락처: {}", t.contact.as_deref().unwrap_or("없음")),
                                format!("contact: {}", t.contact.as_deref().unwrap_or("none")),
                            );
                        }
                        d.text(
                            ("이전 일시 및 방법", "when and how"),
                            Some(&o.when_and_how),
                            Some(&t.when_and_how),
                        );
                        d.text(("이용 목적", "purpose"), Some(&o.purpose), Some(&t.purpose));
                        d.text(
                            ("보유 기간", "kept for"),
                            Some(&o.retention),
                            Some(&t.retention),
                        );
                        d.text(
                            ("이전 근거", "legal ground"),
                            o.ground.as_ref(),
                            t.ground.as_ref(),
                        );
                        d.text(
                            ("거부 방법", "how to refuse"),
                            Some(&o.refusal),
                            Some(&t.refusal),
                        );
                        let (ko, en) = d.suffix();
                        self.push(
                            "overseas_transfer",
                            Some(&t.recipient),
                            ChangeKind::Changed,
                            more_items,
                            format!("국외 이전 내용 변경: {ko_who}{ko}"),
                            format!("overseas transfer changed: {en_who}{en}"),
                        );
                    }
                }
            }
        }
        for (key, t) in &old_tr {
            if !new_tr.contains_key(key) {
                let (ko_who, en_who) = who(t);
                self.push(
                    "overseas_transfer",
                    Some(&t.recipient),
                    ChangeKind::Removed,
                    false,
                    format!("국외 이전 중단: {ko_who}"),
                    format!("overseas transfer removed: {en_who}"),
                );
            }
        }
    }

    /// Sections without keyed entries: any difference is an ordinary change. The rights say which rights
    /// and which deadline changed; the others name the section.
    fn whole_sections(&mut self, old: &Policy, new: &Policy) {
        let pairs = [
            (
                "destruction",
                "파기 절차 및 방법",
                "destruction procedure and methods",
                json(&old.destruction),
                json(&new.destruction),
            ),
            (
                "sensitive",
                "민감정보 처리",
                "sensitive data statement",
                json(&old.sensitive),
                json(&new.sensitive),
            ),
            (
                "pseudonymised",
                "가명정보 처리",
                "pseudonymised data statement",
                json(&old.pseudonymised),
                json(&new.pseudonymised),
            ),
            (
                "automatic_collection",
                "자동 수집 장치",
                "cookies and other automatic collection",
                json(&old.automatic_collection),
                json(&new.automatic_collection),
            ),
            (
                "rights",
                "정보주체의 권리",
                "your rights",
                json(&old.rights),
                json(&new.rights),
            ),
            (
                "children",
                "아동의 개인정보 처리",
                "children's data",
                json(&old.children),
                json(&new.children),
            ),
            (
                "safety",
                "안전성 확보조치",
                "safety measures",
                json(&old.safety),
                json(&new.safety),
            ),
            (
                "advertising",
                "광고성 정보 전송",
                "advertising messages",
                json(&old.advertising),
                json(&new.advertising),
            ),
            (
                "ai",
                "AI 서비스 고지",
                "AI statements",
                json(&old.ai),
                json(&new.ai),
            ),
            (
                "remedies",
                "권익침해 구제방법",
                "where else to turn",
                json(&old.remedies),
                json(&new.remedies),
            ),
            (
                "changes",
                "처리방침 변경 고지",
                "how changes are announced",
                json(&old.changes),
                json(&new.changes),
            ),
            (
                "waiver",
                "린트 예외",
                "lint waivers",
                json(&old.waivers),
                json(&new.waivers),
            ),
        ];
        for (section, ko_name, en_name, a, b) in pairs {
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
                let (ko, en) = match (section, &old.rights, &new.rights) {
                    ("rights", Some(o), Some(n)) => rights_details(o, n).suffix(),
                    _ => (String::new(), String::new()),
                };
                self.push(
                    section,
                    None,
                    kind,
                    false,
                    format!("{ko_name} {ko_verb}{ko}"),
                    format!("{en_name} {en_verb}{en}"),
                );
            }
        }
    }
}

fn country_or_none(code: Option<&str>) -> (String, String) {
    match code {
        Some(c) => both(|lang| country_name_in(c, lang)),
        None => ("지정 안 됨".to_string(), "not stated".to_string()),
    }
}

fn rights_details(o: &Rights, n: &Rights) -> Details {
    let mut d = Details::default();
    let names = |rights: &[Right]| -> Vec<String> {
        rights
            .iter()
            .map(|r| json(r).as_str().unwrap_or_default().to_string())
            .collect()
    };
    let all: Vec<Right> = o.rights.iter().chain(&n.rights).copied().collect();
    d.list(
        ("권리", "rights"),
        &names(&o.rights),
        &names(&n.rights),
        |k, lang| {
            all.iter()
                .find(|r| json(*r).as_str() == Some(k))
                .map(|r| right_words_in(*r, lang))
                .unwrap_or_default()
        },
    );
    d.texts(("행사 방법", "how to exercise them"), &o.how, &n.how);
    d.value(
        ("답변 기한", "answered within"),
        (
            format!("{}일", o.deadline_days),
            format!("{} days", o.deadline_days),
        ),
        (
            format!("{}일", n.deadline_days),
            format!("{} days", n.deadline_days),
        ),
    );
    d.text(
        ("거절 시 안내", "refusals"),
        o.refusal.as_ref(),
        n.refusal.as_ref(),
    );
    d.flag(
        o.representatives,
        n.representatives,
        (
            "대리인을 통한 행사 허용",
            "representatives may now act for you",
        ),
        (
            "대리인을 통한 행사 불가",
            "representatives may no longer act for you",
        ),
    );
    d
}
