//! The legal completeness lint: does the policy say everything the law requires a policy to say?
//!
//! Each rule has a fixed id (policy files waive rules by id, so ids never change), a legal reference that
//! the finding prints, and a check over the parsed [`Policy`]. The rules and their references are kept in
//! one table, [`RULES`], so that the law lives in data rather than scattered through code.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::diagnostic::{DocPath, Severity};
use crate::model::collected_categories;
use crate::model::{
    ChildPolicy, DataClass, Jurisdiction, LegalBasis, Period, Policy, RetentionBasis,
    RetentionEvent, Right, Text,
};

/// A lint rule: its id, what it requires and the law behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The fixed id, as `[[waiver]] rule = "..."` names it.
    pub id: &'static str,
    /// What the rule requires, in one line.
    pub requires: &'static str,
    /// The legal reference printed with each finding.
    pub reference: &'static str,
    /// Whether the rule applies only to policies whose jurisdictions include the EU.
    pub gdpr: bool,
    pub severity: Severity,
}

const fn rule(id: &'static str, requires: &'static str, reference: &'static str) -> Rule {
    Rule {
        id,
        requires,
        reference,
        gdpr: false,
        severity: Severity::Error,
    }
}

const fn guideline(id: &'static str, requires: &'static str, reference: &'static str) -> Rule {
    Rule {
        id,
        requires,
        reference,
        gdpr: false,
        severity: Severity::Warning,
    }
}

const fn gdpr(id: &'static str, requires: &'static str, reference: &'static str) -> Rule {
    Rule {
        id,
        requires,
        reference,
        gdpr: true,
        severity: Severity::Error,
    }
}

/// Every lint rule, in the order of a policy document.
pub const RULES: &[Rule] = &[
    rule(
        "purposes",
        "at least one purpose; every collection names a purpose",
        "PIPA 제30조①1",
    ),
    rule(
        "items",
        "items are collected somewhere; every declared category is collected",
        "PIPA 시행령 제31조①1",
    ),
    rule(
        "retention",
        "every collected category is governed by a retention rule",
        "PIPA 제30조①2",
    ),
    rule(
        "retention-law",
        "a rule kept under a law names the law; one kept by internal policy gives a reason",
        "PIPA 제21조①, 제30조①3의2",
    ),
    rule(
        "destruction",
        "[destruction] states the procedure and the method for electronic files",
        "PIPA 제30조①3의2, 시행령 제16조",
    ),
    rule(
        "separate-storage",
        "data kept under a law after its purpose ends is stored separately",
        "PIPA 제21조③",
    ),
    rule(
        "third-parties",
        "each third party names its purpose, the items it receives and how long it keeps them",
        "PIPA 제17조②, 제30조①3",
    ),
    rule(
        "processors",
        "each processor names its task and the items it handles",
        "PIPA 제26조②, 제30조①4",
    ),
    rule(
        "overseas-transfer",
        "every recipient abroad has an [[overseas_transfer]] with all fields",
        "PIPA 제28조의8②",
    ),
    rule(
        "sensitive",
        "sensitive data: a [sensitive] statement and a separately consented purpose",
        "PIPA 제23조, 제30조①3의3",
    ),
    rule(
        "unique-identifiers",
        "unique identifiers need a legal obligation or a separately consented purpose",
        "PIPA 제24조",
    ),
    rule(
        "pseudonymised",
        "processing pseudonymised data states its purpose, retention and safeguards",
        "PIPA 제28조의2–7, 제30조①4의2",
    ),
    rule(
        "rights",
        "[rights] lists access, rectification, erasure, restriction, consent withdrawal, and how",
        "PIPA 제35–37조, 제30조①5",
    ),
    rule(
        "rights-deadline",
        "requests are answered within 10 days",
        "PIPA 시행령 제41조④, 제43조③, 제44조②",
    ),
    guideline(
        "rights-names",
        "rights carry the names the API and the command line use (rectification, erasure, restriction, consent_withdrawal)",
        "vow: one vocabulary of rights from the policy file to the API",
    ),
    rule(
        "officer",
        "the privacy officer has a name and a phone number or e-mail",
        "PIPA 제30조①6, 제31조",
    ),
    guideline(
        "department",
        "a department that receives requests is named",
        "PIPC 작성지침, PIPA 제35조",
    ),
    rule(
        "automatic-collection",
        "automatic collection is described with how to refuse it",
        "PIPA 제30조①7",
    ),
    rule(
        "safety-measures",
        "[safety] lists administrative, technical and physical measures",
        "PIPA 시행령 제31조①3, 제30조",
    ),
    rule(
        "access-log",
        "access logs are kept ≥ 1 year (≥ 2 years with unique identifiers or sensitive data)",
        "개인정보의 안전성 확보조치 기준 제8조",
    ),
    rule(
        "children",
        "[children] states how children under 14 are treated; guardian consent is verified",
        "PIPA 제22조의2, 시행령 제17조의2",
    ),
    guideline(
        "remedies",
        "[remedies] lists where to turn for remedies (권익침해 구제방법)",
        "PIPC 작성지침",
    ),
    guideline(
        "changes",
        "[changes] gives notice periods, material ≥ ordinary ≥ 7 days",
        "PIPC 작성지침 (처리방침의 변경)",
    ),
    rule(
        "advertising",
        "advertising: separately consented purpose, free opt-out, \"(광고)\" label",
        "정보통신망법 제50조, 시행령 제61조–제62조의3",
    ),
    rule(
        "ai-providers",
        "AI model providers are declared processors; AI categories are declared",
        "PIPA 제26조 (정책 일관성)",
    ),
    rule(
        "dates",
        "the policy is announced on or before the day it takes effect",
        "PIPA 시행령 제31조②",
    ),
    guideline(
        "translation-missing",
        "every text has an English form, so the English document never falls back to Korean",
        "PIPC 작성지침 (알기 쉬운 처리방침); GDPR Art. 12(1)",
    ),
    gdpr(
        "gdpr-controller",
        "the controller's name and contact, and the EU representative",
        "GDPR Art. 13(1)(a), Art. 27",
    ),
    gdpr(
        "gdpr-legal-basis",
        "a purpose based on legitimate interests states those interests",
        "GDPR Art. 13(1)(c)(d)",
    ),
    gdpr(
        "gdpr-rights",
        "access, rectification, erasure, restriction, objection, portability, withdrawal",
        "GDPR Art. 13(2)(b)(c)",
    ),
    gdpr(
        "gdpr-complaint",
        "the right to complain to a supervisory authority, named in [remedies] others",
        "GDPR Art. 13(2)(d)",
    ),
    gdpr(
        "gdpr-automated-decision",
        "the right concerning automated decisions is listed",
        "GDPR Art. 13(2)(f)",
    ),
    gdpr(
        "gdpr-transfers",
        "each overseas transfer states its ground",
        "GDPR Art. 13(1)(f)",
    ),
    gdpr(
        "gdpr-deadline",
        "requests are answered within one month (30 days)",
        "GDPR Art. 12(3)",
    ),
];

/// The rule with this id.
pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One thing the policy fails to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's fixed id.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The law behind the rule.
    pub reference: &'static str,
    /// The reason given by the policy's `[[waiver]]` for this rule, when it waives it.
    pub waived: Option<String>,
    /// Where in the document the finding points, when it concerns one entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<DocPath>,
}

/// The findings of [`lint`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Findings not waived by the policy.
    pub fn unwaived(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.waived.is_none())
    }

    /// Whether every finding is waived (or there are none).
    pub fn is_clean(&self) -> bool {
        self.unwaived().next().is_none()
    }

    /// The findings of one rule.
    pub fn of_rule<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == id)
    }
}

/// Runs every rule over the policy. Findings of waived rules are kept, marked with the waiver's reason.
pub fn lint(policy: &Policy) -> LintReport {
    let mut l = Linter::new(policy);
    l.run();
    let mut reasons: HashMap<&str, &str> = HashMap::new();
    for waiver in &policy.waivers {
        let reason = waiver.reason.trim();
        if !reason.is_empty() {
            reasons.entry(waiver.rule.as_str()).or_insert(reason);
        }
    }
    for finding in &mut l.findings {
        finding.waived = reasons.get(finding.rule).map(|r| (*r).to_string());
    }
    LintReport {
        findings: l.findings,
    }
}

struct Linter<'p> {
    p: &'p Policy,
    findings: Vec<Finding>,
    /// For each category, the collections that collect it (indices into `p.collections`).
    collected_by: HashMap<&'p str, Vec<usize>>,
}

fn blank(text: &Option<Text>) -> bool {
    text.as_ref().is_none_or(Text::is_blank)
}

fn blank_str(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Subjects from whom the law asks two years of access records (안전성 확보조치 기준 제8조①).
pub const MANY_SUBJECTS: usize = 50_000;

/// The least time the law lets access records be kept (안전성 확보조치 기준 제8조①): two years when
/// unique identifiers or sensitive data are processed, or when the records of `subjects` people are
/// held and they are [`MANY_SUBJECTS`] or more; one year otherwise. `None` when the count is not
/// known (a policy alone cannot say how many people it will hold). With the floor, why it is two years.
pub fn access_log_floor(
    policy: &Policy,
    subjects: Option<usize>,
) -> (Period, Option<&'static str>) {
    let strict = policy
        .categories
        .iter()
        .any(|c| matches!(c.class, DataClass::UniqueIdentifier | DataClass::Sensitive));
    if strict {
        (
            Period::Years(2),
            Some("unique identifiers or sensitive data are processed"),
        )
    } else if subjects.is_some_and(|n| n >= MANY_SUBJECTS) {
        (
            Period::Years(2),
            Some("the vault holds 50,000 subjects or more"),
        )
    } else {
        (Period::Years(1), None)
    }
}

/// A lower bound of the period in days, so that a minimum such as "one year" is met only by periods that
/// certainly reach it (12 months and 365 days both count as a year).
fn min_days(period: Period) -> u64 {
    match period {
        Period::Hours(n) => u64::from(n) / 24,
        Period::Days(n) => u64::from(n),
        Period::Months(n) => u64::from(n) * 365 / 12,
        Period::Years(n) => u64::from(n) * 365,
    }
}

impl<'p> Linter<'p> {
    fn new(p: &'p Policy) -> Self {
        let mut collected_by: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in p.collections.iter().enumerate() {
            for key in c.required.iter().chain(&c.optional) {
                collected_by.entry(key.as_str()).or_default().push(i);
            }
        }
        Linter {
            p,
            findings: Vec::new(),
            collected_by,
        }
    }

    fn find(&mut self, id: &'static str, message: impl Into<String>, path: Option<DocPath>) {
        let Some(rule) = rule_by_id(id) else { return };
        self.findings.push(Finding {
            rule: rule.id,
            severity: rule.severity,
            message: message.into(),
            reference: rule.reference,
            waived: None,
            path,
        });
    }

    fn class_present(&self, class: DataClass) -> bool {
        self.p.categories.iter().any(|c| c.class == class)
    }

    fn run(&mut self) {
        self.purposes_and_items();
        self.retention();
        self.destruction();
        self.recipients();
        self.special_categories();
        self.pseudonymised();
        self.rights();
        self.contacts();
        self.automatic_collection();
        self.safety();
        self.children_remedies_changes();
        self.advertising();
        self.ai();
        self.dates();
        self.translations();
        if self.p.policy.jurisdictions.contains(&Jurisdiction::Eu) {
            self.gdpr();
        }
    }

    fn purposes_and_items(&mut self) {
        let p = self.p;
        if p.purposes.is_empty() {
            self.find(
                "purposes",
                "no [[purpose]] is declared: say why personal data is processed",
                None,
            );
        }
        for (i, c) in p.collections.iter().enumerate() {
            if c.purposes.is_empty() {
                self.find(
                    "purposes",
                    format!("[[collection]] key = {:?} names no purpose", c.key),
                    Some(DocPath::root("collection").index(i).key("key")),
                );
            }
        }
        if !p
            .collections
            .iter()
            .any(|c| !c.required.is_empty() || !c.optional.is_empty())
        {
            self.find(
                "items",
                "no [[collection]] lists any items: say which items are collected, where and how",
                None,
            );
        }
        let collected = collected_categories(p);
        for (i, c) in p.categories.iter().enumerate() {
            if !collected.contains(c.key.as_str()) {
                self.find(
                    "items",
                    format!(
                        "category `{}` is declared but no [[collection]] collects it",
                        c.key
                    ),
                    Some(DocPath::root("category").index(i).key("key")),
                );
            }
        }
    }

    fn retention(&mut self) {
        let p = self.p;
        let governed: BTreeSet<&str> = p
            .retention
            .iter()
            .flat_map(|r| r.categories.iter().map(String::as_str))
            .collect();
        let declared_at: HashMap<&str, usize> = p
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.as_str(), i))
            .collect();
        for key in collected_categories(p) {
            if !governed.contains(key) {
                self.find(
                    "retention",
                    format!("category `{key}` is collected but no [[retention]] rule says how long it is kept"),
                    declared_at
                        .get(key)
                        .map(|i| DocPath::root("category").index(*i).key("key")),
                );
            }
        }
        for (i, r) in p.retention.iter().enumerate() {
            let path = Some(DocPath::root("retention").index(i).key("key"));
            match r.basis {
                RetentionBasis::Law if blank(&r.law) => self.find(
                    "retention-law",
                    format!("[[retention]] key = {:?} is kept under a law but does not name it (law = \"...\")", r.key),
                    path.clone(),
                ),
                RetentionBasis::InternalPolicy if blank(&r.reason) => self.find(
                    "retention-law",
                    format!("[[retention]] key = {:?} is kept by internal policy but gives no reason (reason = \"...\")", r.key),
                    path.clone(),
                ),
                _ => {}
            }
            let kept_after_purpose = r.basis == RetentionBasis::Law
                && r.period.is_some()
                && r.from != RetentionEvent::Collection;
            if kept_after_purpose && !r.separate_storage {
                self.find(
                    "separate-storage",
                    format!(
                        "[[retention]] key = {:?} keeps data under a law after its purpose ends; set separate_storage = true",
                        r.key
                    ),
                    path,
                );
            }
        }
    }

    fn destruction(&mut self) {
        match &self.p.destruction {
            None => self.find(
                "destruction",
                "[destruction] is missing: state the procedure and how electronic files are destroyed",
                None,
            ),
            Some(d) => {
                if d.procedure.is_blank() {
                    self.find("destruction", "[destruction] procedure is empty", Some(DocPath::root("destruction").key("procedure")));
                }
                if d.electronic.is_blank() {
                    self.find("destruction", "[destruction] electronic method is empty", Some(DocPath::root("destruction").key("electronic")));
                }
            }
        }
    }

    fn recipients(&mut self) {
        let p = self.p;
        for (i, t) in p.third_parties.iter().enumerate() {
            let mut missing = Vec::new();
            if t.purpose.is_blank() {
                missing.push("purpose");
            }
            if t.categories.is_empty() {
                missing.push("categories (items)");
            }
            if t.retention.is_blank() {
                missing.push("retention");
            }
            if !missing.is_empty() {
                self.find(
                    "third-parties",
                    format!(
                        "[[third_party]] key = {:?} does not state its {}",
                        t.key,
                        missing.join(", ")
                    ),
                    Some(DocPath::root("third_party").index(i).key("key")),
                );
            }
        }
        for (i, proc) in p.processors.iter().enumerate() {
            let mut missing = Vec::new();
            if proc.task.is_blank() {
                missing.push("task");
            }
            if proc.categories.is_empty() {
                missing.push("categories (items)");
            }
            if !missing.is_empty() {
                self.find(
                    "processors",
                    format!(
                        "[[processor]] key = {:?} does not state its {}",
                        proc.key,
                        missing.join(", ")
                    ),
                    Some(DocPath::root("processor").index(i).key("key")),
                );
            }
        }
        let abroad = p
            .processors
            .iter()
            .enumerate()
            .map(|(i, x)| (i, x.key.as_str(), x.country.as_deref(), "processor"))
            .chain(
                p.third_parties
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (i, x.key.as_str(), x.country.as_deref(), "third_party")),
            )
            .filter_map(|(i, key, country, table)| {
                let country = country?.trim();
                (!country.is_empty() && !country.eq_ignore_ascii_case("KR"))
                    .then_some((i, key, country, table))
            })
            .collect::<Vec<_>>();
        let mut transfers: HashMap<&str, usize> = HashMap::new();
        for (i, t) in p.overseas_transfers.iter().enumerate() {
            transfers.entry(t.recipient.as_str()).or_insert(i);
        }
        for (index, key, country, table) in abroad {
            let transfer = transfers.get(key).map(|i| (*i, &p.overseas_transfers[*i]));
            let Some((i, t)) = transfer else {
                self.find(
                    "overseas-transfer",
                    format!("[[{table}]] key = {key:?} is in {country} but no [[overseas_transfer]] describes the transfer"),
                    Some(DocPath::root(table).index(index).key("country")),
                );
                continue;
            };
            let mut missing = Vec::new();
            if t.country.trim().is_empty() {
                missing.push("country");
            }
            if blank_str(&t.contact) {
                missing.push("contact");
            }
            if t.categories.is_empty() {
                missing.push("categories");
            }
            if t.when_and_how.is_blank() {
                missing.push("when_and_how");
            }
            if t.purpose.is_blank() {
                missing.push("purpose");
            }
            if t.retention.is_blank() {
                missing.push("retention");
            }
            if t.refusal.is_blank() {
                missing.push("refusal");
            }
            if !missing.is_empty() {
                self.find(
                    "overseas-transfer",
                    format!(
                        "[[overseas_transfer]] recipient = {key:?} does not state: {}",
                        missing.join(", ")
                    ),
                    Some(DocPath::root("overseas_transfer").index(i).key("recipient")),
                );
            }
        }
    }

    /// Whether some purpose served by the collections that collect `category` satisfies `test`; when no
    /// collection collects it, whether any purpose does. Each collection is judged once, so the cost stays
    /// linear in the size of the file.
    fn some_purpose_for(
        &self,
        category: &str,
        judged: &HashMap<usize, bool>,
        any_purpose: bool,
    ) -> bool {
        match self.collected_by.get(category) {
            Some(collections) => collections
                .iter()
                .any(|i| judged.get(i).copied().unwrap_or(false)),
            None => any_purpose,
        }
    }

    /// For each collection, whether one of its purposes satisfies `test`.
    fn judge_collections(
        &self,
        test: impl Fn(&crate::model::Purpose) -> bool,
    ) -> HashMap<usize, bool> {
        let passing: BTreeSet<&str> = self
            .p
            .purposes
            .iter()
            .filter(|x| test(x))
            .map(|x| x.key.as_str())
            .collect();
        self.p
            .collections
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.purposes.iter().any(|k| passing.contains(k.as_str()))))
            .collect()
    }

    fn special_categories(&mut self) {
        let p = self.p;
        if self.class_present(DataClass::Sensitive) {
            match &p.sensitive {
                Some(s) if s.processed && !blank(&s.statement) => {}
                _ => self.find(
                    "sensitive",
                    "sensitive categories are declared: set [sensitive] processed = true with a statement",
                    None,
                ),
            }
        }
        let separate = |x: &crate::model::Purpose| x.separate_consent;
        let uid_ok = |x: &crate::model::Purpose| {
            x.basis == LegalBasis::LegalObligation
                || (x.basis == LegalBasis::Consent && x.separate_consent)
        };
        let separate_by_collection = self.judge_collections(separate);
        let uid_by_collection = self.judge_collections(uid_ok);
        let any_separate = p.purposes.iter().any(separate);
        let any_uid = p.purposes.iter().any(uid_ok);
        for (i, c) in p.categories.iter().enumerate() {
            let path = Some(DocPath::root("category").index(i).key("key"));
            match c.class {
                DataClass::Sensitive
                    if !self.some_purpose_for(&c.key, &separate_by_collection, any_separate) =>
                {
                    self.find(
                        "sensitive",
                        format!("sensitive category `{}` is not collected for a purpose with separate_consent = true", c.key),
                        path,
                    );
                }
                DataClass::UniqueIdentifier
                    if !self.some_purpose_for(&c.key, &uid_by_collection, any_uid) =>
                {
                    self.find(
                        "unique-identifiers",
                        format!(
                            "unique identifier `{}` needs a purpose with basis = \"legal_obligation\" or a separately consented one",
                            c.key
                        ),
                        path,
                    );
                }
                _ => {}
            }
        }
    }

    fn pseudonymised(&mut self) {
        let Some(ps) = &self.p.pseudonymised else {
            return;
        };
        if !ps.processed {
            return;
        }
        let mut missing = Vec::new();
        if blank(&ps.purpose) {
            missing.push("purpose");
        }
        if blank(&ps.retention) {
            missing.push("retention");
        }
        if blank(&ps.safeguards) {
            missing.push("safeguards");
        }
        if !missing.is_empty() {
            self.find(
                "pseudonymised",
                format!(
                    "[pseudonymised] processed = true but does not state its {}",
                    missing.join(", ")
                ),
                Some(DocPath::root("pseudonymised")),
            );
        }
    }

    fn rights(&mut self) {
        let p = self.p;
        let Some(rights) = &p.rights else {
            self.find(
                "rights",
                "[rights] is missing: list the subject's rights and how to exercise them",
                None,
            );
            return;
        };
        let path = Some(DocPath::root("rights").key("rights"));
        let mut required = vec![
            Right::Access,
            Right::Rectification,
            Right::Erasure,
            Right::Restriction,
        ];
        if p.purposes.iter().any(|x| x.basis == LegalBasis::Consent) {
            required.push(Right::ConsentWithdrawal);
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|r| !rights.rights.contains(r))
            .map(|r| right_name(*r))
            .collect();
        if !missing.is_empty() {
            self.find(
                "rights",
                format!("[rights] does not list: {}", missing.join(", ")),
                path,
            );
        }
        for (index, old) in &rights.old_names {
            let new = rights.rights.get(*index).map_or("?", |r| r.name());
            self.find(
                "rights-names",
                format!("[rights] writes {old:?}, an older name: write {new:?}, the name requests, the API and the command line use (both are read the same)"),
                Some(DocPath::root("rights").key("rights").index(*index)),
            );
        }
        if rights.how.iter().all(Text::is_blank) {
            self.find(
                "rights",
                "[rights] does not say how to exercise the rights (how = [...])",
                Some(DocPath::root("rights").key("how")),
            );
        }
        if rights.deadline_days > 10 || rights.deadline_days == 0 {
            self.find(
                "rights-deadline",
                format!(
                    "requests must be answered within 10 days; the policy says {} days",
                    rights.deadline_days
                ),
                Some(DocPath::root("rights").key("deadline_days")),
            );
        }
    }

    fn contacts(&mut self) {
        let o = &self.p.officer;
        if o.name.is_blank() {
            self.find(
                "officer",
                "the privacy officer has no name",
                Some(DocPath::root("officer").key("name")),
            );
        }
        if blank_str(&o.email) && blank_str(&o.phone) {
            self.find(
                "officer",
                "the privacy officer has neither a phone number nor an e-mail address",
                Some(DocPath::root("officer")),
            );
        }
        match &self.p.department {
            Some(d) if !d.name.is_blank() => {}
            _ => self.find(
                "department",
                "no [department] receiving requests is named (열람청구 접수·처리 부서)",
                None,
            ),
        }
    }

    fn automatic_collection(&mut self) {
        let p = self.p;
        let collected = collected_categories(p);
        let generated = p
            .categories
            .iter()
            .any(|c| c.class == DataClass::Generated && collected.contains(c.key.as_str()));
        let automatic = p.collections.iter().any(|c| c.automatic);
        if !(generated || automatic) {
            return;
        }
        if p.automatic_collection.is_empty() {
            self.find(
                "automatic-collection",
                "data is collected automatically but no [[automatic_collection]] describes the device and how to refuse it",
                None,
            );
        }
        for (i, a) in p.automatic_collection.iter().enumerate() {
            if a.refusal.is_blank() {
                self.find(
                    "automatic-collection",
                    "an [[automatic_collection]] does not say how to refuse it",
                    Some(
                        DocPath::root("automatic_collection")
                            .index(i)
                            .key("refusal"),
                    ),
                );
            }
        }
    }

    fn safety(&mut self) {
        let Some(s) = &self.p.safety else {
            self.find(
                "safety-measures",
                "[safety] is missing: list administrative, technical and physical measures",
                None,
            );
            return;
        };
        let mut missing = Vec::new();
        for (name, list) in [
            ("administrative", &s.administrative),
            ("technical", &s.technical),
            ("physical", &s.physical),
        ] {
            if list.iter().all(Text::is_blank) {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            self.find(
                "safety-measures",
                format!("[safety] lists no {} measures", missing.join(", ")),
                Some(DocPath::root("safety")),
            );
        }
        // How many subjects the vault will hold is not the policy's to say: only the data counts here.
        let (floor, why) = access_log_floor(self.p, None);
        if min_days(s.access_log_retention) < min_days(floor) {
            let why = why.map(|why| format!(" ({why})")).unwrap_or_default();
            self.find(
                "access-log",
                format!(
                    "access logs are kept {}; they must be kept at least {}{why}",
                    s.access_log_retention.to_english(),
                    floor.to_english()
                ),
                Some(DocPath::root("safety").key("access_log_retention")),
            );
        }
    }

    fn children_remedies_changes(&mut self) {
        let p = self.p;
        match &p.children {
            None => self.find(
                "children",
                "[children] is missing: say whether data of children under 14 is refused or collected with a guardian's consent",
                None,
            ),
            Some(c)
                if c.policy == ChildPolicy::GuardianConsent
                    && blank(&c.verification)
                    && c.methods.is_empty() =>
            {
                self.find(
                "children",
                "[children] collects with a guardian's consent but does not say how the consent is verified (methods = [\"mobile_identity\", ...])",
                Some(DocPath::root("children")),
            )
            }
            Some(_) => {}
        }
        if p.remedies.is_none() {
            self.find(
                "remedies",
                "[remedies] is missing: list where to turn for remedies",
                None,
            );
        }
        match &p.changes {
            None => self.find(
                "changes",
                "[changes] is missing: state how many days before a change takes effect it is announced",
                None,
            ),
            Some(c) if c.ordinary_days < 7 || c.material_days < c.ordinary_days => self.find(
                "changes",
                format!(
                    "notice periods must satisfy material ≥ ordinary ≥ 7 days; the policy says material {}, ordinary {}",
                    c.material_days, c.ordinary_days
                ),
                Some(DocPath::root("changes")),
            ),
            Some(_) => {}
        }
    }

    fn advertising(&mut self) {
        let p = self.p;
        let Some(ad) = &p.advertising else { return };
        if !ad.sends {
            return;
        }
        let path = Some(DocPath::root("advertising"));
        let purpose = ad
            .purpose
            .as_deref()
            .and_then(|key| p.purposes.iter().find(|x| x.key == key));
        match purpose {
            Some(x) if x.basis == LegalBasis::Consent && x.separate_consent => {}
            Some(x) => self.find(
                "advertising",
                format!("advertising purpose `{}` must have basis = \"consent\" and separate_consent = true", x.key),
                path.clone(),
            ),
            None => self.find(
                "advertising",
                "[advertising] sends = true but names no purpose under which consent is collected (purpose = \"...\")",
                path.clone(),
            ),
        }
        if blank(&ad.opt_out) {
            self.find(
                "advertising",
                "[advertising] does not say how to opt out free of charge (opt_out = \"...\")",
                path.clone(),
            );
        }
        if ad.channels.is_empty() {
            self.find(
                "advertising",
                "[advertising] sends = true but lists no channel (channels = [\"email\", ...]); vow's advertising gate refuses every message until it does",
                path.clone(),
            );
        }
        if !ad.label.trim_start().starts_with("(광고)") {
            self.find(
                "advertising",
                format!(
                    "the advertising label must start with \"(광고)\"; it is {:?}",
                    ad.label
                ),
                path,
            );
        }
    }

    fn ai(&mut self) {
        let p = self.p;
        let Some(ai) = &p.ai else { return };
        if !p.processors.iter().any(|x| x.ai_provider) {
            self.find(
                "ai-providers",
                "[ai] is present but no [[processor]] is marked ai_provider = true; declare the AI model providers \
                 (or waive this rule when models run in-house)",
                None,
            );
        }
        let declared: BTreeSet<&str> = p.categories.iter().map(|c| c.key.as_str()).collect();
        let mut referenced: Vec<&str> = Vec::new();
        if let Some(u) = &ai.uploads {
            referenced.push(&u.category);
        }
        if let Some(c) = &ai.chat_logs {
            referenced.push(&c.category);
        }
        if let Some(t) = &ai.training {
            referenced.extend(t.categories.iter().map(String::as_str));
        }
        for key in referenced {
            if !declared.contains(key) {
                self.find(
                    "ai-providers",
                    format!("[ai] refers to category `{key}`, which is not declared"),
                    Some(DocPath::root("ai")),
                );
            }
        }
    }

    fn dates(&mut self) {
        let meta = &self.p.policy;
        if let Some(announced) = meta.announced {
            if announced > meta.effective {
                self.find(
                    "dates",
                    format!(
                        "announced {announced} is after effective {}",
                        meta.effective
                    ),
                    Some(DocPath::root("policy").key("announced")),
                );
            }
        }
    }

    /// Every `Text` of the file that has Korean but no English. The policy is walked as the file's own
    /// structure (its serialised form uses the file's keys), so the path names the field as the file does and
    /// a new text field is covered without a change here.
    fn translations(&mut self) {
        let Ok(serde_json::Value::Object(root)) = serde_json::to_value(self.p) else {
            return;
        };
        let mut missing = Vec::new();
        for (key, value) in &root {
            untranslated(value, DocPath::root(key), &mut missing);
        }
        for path in missing {
            self.find(
                "translation-missing",
                format!("{path} has no English text; write it as {{ ko = \"...\", en = \"...\" }}"),
                Some(path),
            );
        }
    }

    fn gdpr(&mut self) {
        let p = self.p;
        let c = &p.controller;
        if c.name.is_blank() || (blank_str(&c.email) && blank_str(&c.phone)) {
            self.find(
                "gdpr-controller",
                "[controller] needs a name and an e-mail or phone number",
                Some(DocPath::root("controller")),
            );
        }
        if blank(&c.eu_representative) {
            self.find(
                "gdpr-controller",
                "[controller] names no eu_representative (GDPR Art. 27); waive this rule if the controller is established in the Union",
                Some(DocPath::root("controller")),
            );
        }
        for (i, x) in p.purposes.iter().enumerate() {
            if x.basis == LegalBasis::LegitimateInterest && x.details.iter().all(Text::is_blank) {
                self.find(
                    "gdpr-legal-basis",
                    format!("purpose `{}` relies on legitimate interests but does not state them (details = [...])", x.key),
                    Some(DocPath::root("purpose").index(i).key("key")),
                );
            }
        }
        if let Some(rights) = &p.rights {
            let required = [
                Right::Access,
                Right::Rectification,
                Right::Erasure,
                Right::Restriction,
                Right::Objection,
                Right::Portability,
                Right::ConsentWithdrawal,
            ];
            let missing: Vec<String> = required
                .iter()
                .filter(|r| !rights.rights.contains(r))
                .map(|r| right_name(*r))
                .collect();
            if !missing.is_empty() {
                self.find(
                    "gdpr-rights",
                    format!("[rights] does not list: {}", missing.join(", ")),
                    Some(DocPath::root("rights").key("rights")),
                );
            }
            if !rights.rights.contains(&Right::AutomatedDecision) {
                self.find(
                    "gdpr-automated-decision",
                    "[rights] does not list automated_decision",
                    Some(DocPath::root("rights").key("rights")),
                );
            }
            if rights.deadline_days > 30 {
                self.find(
                    "gdpr-deadline",
                    format!(
                        "GDPR requests must be answered within a month; the policy says {} days",
                        rights.deadline_days
                    ),
                    Some(DocPath::root("rights").key("deadline_days")),
                );
            }
        } else {
            self.find("gdpr-rights", "[rights] is missing", None);
        }
        if p.remedies
            .as_ref()
            .is_none_or(|r| r.others.iter().all(Text::is_blank))
        {
            self.find(
                "gdpr-complaint",
                "[remedies] others names no supervisory authority to complain to",
                None,
            );
        }
        for (i, t) in p.overseas_transfers.iter().enumerate() {
            if blank(&t.ground) {
                self.find(
                    "gdpr-transfers",
                    format!(
                        "[[overseas_transfer]] recipient = {:?} states no ground",
                        t.recipient
                    ),
                    Some(DocPath::root("overseas_transfer").index(i).key("recipient")),
                );
            }
        }
    }
}

/// Collects the paths of texts (objects holding only `ko` and `en`) that have Korean but no English.
fn untranslated(value: &serde_json::Value, path: DocPath, out: &mut Vec<DocPath>) {
    match value {
        serde_json::Value::Object(map) => {
            let is_text = !map.is_empty() && map.keys().all(|k| k == "ko" || k == "en");
            if is_text {
                let has = |lang: &str| {
                    map.get(lang)
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|s| !s.trim().is_empty())
                };
                // Korean without Hangul (a brand name such as "Stripe") reads the same in English.
                let korean = map
                    .get("ko")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(contains_hangul);
                if korean && !has("en") {
                    out.push(path);
                }
                return;
            }
            for (key, child) in map {
                untranslated(child, path.clone().key(key), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                untranslated(child, path.clone().index(i), out);
            }
        }
        _ => {}
    }
}

/// Whether `text` holds Hangul (syllables or jamo).
pub fn contains_hangul(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
    })
}

/// A right as it is written in the policy file (`consent_withdrawal`).
fn right_name(right: Right) -> String {
    right.name().to_string()
}
