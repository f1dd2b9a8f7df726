//! Semantic validation: every key a section refers to is declared, keys are unique and well-formed.
//!
//! The policy file is the only source of truth, so a reference to something it does not declare is an error,
//! not a warning: the engine would refuse to store such a category, and the rendered document would promise
//! something that does not exist.

use std::collections::{BTreeSet, HashMap};

use crate::diagnostic::{Diagnostic, DocPath};
use crate::lint::RULES;
use crate::load::closest;
use crate::model::{collected_categories, DataClass, Policy, FORMAT_VERSION};

/// Checks the references and keys of a parsed policy. An empty list means the policy is valid.
pub fn validate(policy: &Policy) -> Vec<Diagnostic> {
    let categories: BTreeSet<&str> = policy.categories.iter().map(|c| c.key.as_str()).collect();
    let mut v = Validator {
        policy,
        out: Vec::new(),
        declared: categories.iter().copied().collect(),
        categories,
        suggestions_left: MAX_SUGGESTIONS,
    };
    v.run();
    v.out
}

/// Whether `key` is a well-formed category key: lower-case ASCII letters, digits and `_`, in one or more
/// segments separated by single dots (`user.contact.email`).
pub fn is_category_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Whether a role's category pattern matches `category`: an exact key, `prefix.*` for everything under
/// `prefix`, or `*` for every category.
pub fn pattern_matches(pattern: &str, category: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => category
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == category,
    }
}

struct Validator<'p> {
    policy: &'p Policy,
    out: Vec<Diagnostic>,
    categories: BTreeSet<&'p str>,
    /// The declared categories in order, for suggestions and help lists.
    declared: Vec<&'p str>,
    /// How many "did you mean" searches remain: each costs a string distance per declared key, so a hostile
    /// file with thousands of bad references must not cost thousands of searches.
    suggestions_left: usize,
}

/// How many misspelt references get a "did you mean" suggestion.
const MAX_SUGGESTIONS: usize = 50;

impl<'p> Validator<'p> {
    fn run(&mut self) {
        let p = self.policy;
        if p.policy.format != FORMAT_VERSION {
            self.out.push(
                Diagnostic::error(format!(
                    "format {} is not supported; this version of vow reads format {FORMAT_VERSION}",
                    p.policy.format
                ))
                .in_section("[policy]")
                .at(DocPath::root("policy").key("format")),
            );
        }
        self.unique_keys("subject", p.subjects.iter().map(|s| s.key.as_str()));
        self.unique_keys("category", p.categories.iter().map(|c| c.key.as_str()));
        self.unique_keys("collection", p.collections.iter().map(|c| c.key.as_str()));
        self.unique_keys("purpose", p.purposes.iter().map(|c| c.key.as_str()));
        self.unique_keys("retention", p.retention.iter().map(|c| c.key.as_str()));
        self.unique_keys(
            "third_party",
            p.third_parties.iter().map(|c| c.key.as_str()),
        );
        self.unique_keys("processor", p.processors.iter().map(|c| c.key.as_str()));
        self.unique_keys("role", p.roles.iter().map(|c| c.key.as_str()));
        self.recipients_unique();

        for (i, category) in p.categories.iter().enumerate() {
            if !is_category_key(&category.key) {
                self.out.push(
                    Diagnostic::error(format!(
                        "`{}` is not a category key: use lower-case letters, digits and `_`, in segments \
                         separated by dots",
                        category.key
                    ))
                    .in_section(format!("[[category]] key = {:?}", category.key))
                    .at(DocPath::root("category").index(i).key("key"))
                    .with_help("for example `user.contact.email`"),
                );
            }
        }
        self.collections();
        self.retention();
        self.recipients();
        self.ai();
        self.advertising();
        self.roles();
        self.waivers();
    }

    fn unique_keys<'k>(&mut self, table: &str, keys: impl Iterator<Item = &'k str>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, key) in keys.enumerate() {
            if key.trim().is_empty() {
                self.out.push(
                    Diagnostic::error("the key is empty")
                        .in_section(format!("[[{table}]] #{}", i + 1))
                        .at(DocPath::root(table).index(i).key("key")),
                );
                continue;
            }
            if let Some(first) = seen.insert(key, i) {
                self.out.push(
                    Diagnostic::error(format!(
                        "duplicate key: entry #{} already uses `{key}`",
                        first + 1
                    ))
                    .in_section(format!("[[{table}]] key = {key:?}"))
                    .at(DocPath::root(table).index(i).key("key"))
                    .with_help(
                        "each entry needs its own key; other sections refer to entries by key",
                    ),
                );
            }
        }
    }

    fn recipients_unique(&mut self) {
        let third: BTreeSet<&str> = self
            .policy
            .third_parties
            .iter()
            .map(|t| t.key.as_str())
            .collect();
        for (i, processor) in self.policy.processors.iter().enumerate() {
            if third.contains(processor.key.as_str()) {
                self.out.push(
                    Diagnostic::error(format!(
                        "`{}` is the key of both a processor and a third party; an overseas transfer could not \
                         tell which one it names",
                        processor.key
                    ))
                    .in_section(format!("[[processor]] key = {:?}", processor.key))
                    .at(DocPath::root("processor").index(i).key("key")),
                );
            }
        }
    }

    /// Reports each entry of `list` that is not a declared category.
    fn category_refs(&mut self, section: &str, path: DocPath, list: &[String]) {
        for (i, key) in list.iter().enumerate() {
            self.category_ref(section, path.clone().index(i), key);
        }
    }

    fn category_ref(&mut self, section: &str, path: DocPath, key: &str) {
        if self.categories.contains(key) {
            return;
        }
        let suggestion = if self.suggestions_left > 0 {
            self.suggestions_left -= 1;
            closest(key, &self.declared)
        } else {
            None
        };
        let declared = &self.declared;
        let mut d = Diagnostic::error(format!("category `{key}` is not declared"))
            .in_section(section)
            .at(path);
        d.help = Some(match suggestion {
            Some(best) => format!(
                "did you mean `{best}`? declared categories: {}",
                list(declared)
            ),
            None if declared.is_empty() => {
                format!("declare it in a [[category]] table: key = \"{key}\", label = \"...\"")
            }
            None => format!(
                "declare it in a [[category]] table, or use one of: {}",
                list(declared)
            ),
        });
        self.out.push(d);
    }

    /// Reports `key` unless it is in `declared`, which must be sorted.
    fn key_ref(&mut self, kind: &str, declared: &[&str], section: &str, path: DocPath, key: &str) {
        if declared.binary_search(&key).is_ok() {
            return;
        }
        let mut d = Diagnostic::error(format!("{kind} `{key}` is not declared"))
            .in_section(section)
            .at(path);
        let suggestion = if self.suggestions_left > 0 {
            self.suggestions_left -= 1;
            closest(key, declared)
        } else {
            None
        };
        d.help = Some(match suggestion {
            Some(best) => format!("did you mean `{best}`?"),
            None if declared.is_empty() => {
                format!("there is no [[{kind}]] table; declare one with key = \"{key}\"")
            }
            None => format!("declared: {}", list(declared)),
        });
        self.out.push(d);
    }

    fn collections(&mut self) {
        let p = self.policy;
        let purposes = sorted_keys(p.purposes.iter().map(|x| x.key.as_str()));
        let subjects = sorted_keys(p.subjects.iter().map(|x| x.key.as_str()));
        for (i, c) in p.collections.iter().enumerate() {
            let section = format!("[[collection]] key = {:?}", c.key);
            let base = DocPath::root("collection").index(i);
            self.category_refs(&section, base.clone().key("required"), &c.required);
            self.category_refs(&section, base.clone().key("optional"), &c.optional);
            for (j, purpose) in c.purposes.iter().enumerate() {
                let path = base.clone().key("purposes").index(j);
                self.key_ref("purpose", &purposes, &section, path, purpose);
            }
            for (j, subject) in c.subjects.iter().enumerate() {
                let path = base.clone().key("subjects").index(j);
                self.key_ref("subject", &subjects, &section, path, subject);
            }
        }
    }

    fn retention(&mut self) {
        let p = self.policy;
        let collected = collected_categories(p);
        for (i, rule) in p.retention.iter().enumerate() {
            let section = format!("[[retention]] key = {:?}", rule.key);
            let base = DocPath::root("retention").index(i).key("categories");
            for (j, key) in rule.categories.iter().enumerate() {
                if !self.categories.contains(key.as_str()) {
                    self.category_ref(&section, base.clone().index(j), key);
                } else if !collected.contains(key.as_str()) {
                    self.out.push(
                        Diagnostic::error(format!(
                            "category `{key}` has a retention rule but is never collected"
                        ))
                        .in_section(&section)
                        .at(base.clone().index(j))
                        .with_help(
                            "list it in the `required` or `optional` items of a [[collection]], or remove it here",
                        ),
                    );
                }
            }
        }
    }

    fn recipients(&mut self) {
        let p = self.policy;
        for (i, t) in p.third_parties.iter().enumerate() {
            let section = format!("[[third_party]] key = {:?}", t.key);
            let path = DocPath::root("third_party").index(i).key("categories");
            self.category_refs(&section, path, &t.categories);
        }
        for (i, proc) in p.processors.iter().enumerate() {
            let section = format!("[[processor]] key = {:?}", proc.key);
            let base = DocPath::root("processor").index(i);
            self.category_refs(&section, base.clone().key("categories"), &proc.categories);
            if let Some(endpoint) = &proc.endpoint {
                let scheme_ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
                if !scheme_ok || endpoint.chars().any(char::is_whitespace) {
                    self.out.push(
                        Diagnostic::error("the processor's endpoint is not an http(s) URL")
                            .in_section(&section)
                            .at(base.clone().key("endpoint"))
                            .with_help(
                                "give the API's origin, e.g. endpoint = \"https://api.openai.com\"",
                            ),
                    );
                }
            }
            if (proc.endpoint.is_some() || proc.api.is_some()) && !proc.ai_provider {
                self.out.push(
                    Diagnostic::error("`endpoint` and `api` describe an AI provider's API, but this processor is not marked ai_provider = true")
                        .in_section(&section)
                        .at(base.clone().key("ai_provider"))
                        .with_help("set ai_provider = true, or remove endpoint and api"),
                );
            }
            if proc.task.is_blank() {
                self.out.push(
                    Diagnostic::error("the processor's task is empty")
                        .in_section(&section)
                        .at(base.key("task"))
                        .with_help("say what is entrusted to it (위탁업무 내용), e.g. task = \"결제 처리\""),
                );
            }
        }
        let recipients = sorted_keys(
            p.processors
                .iter()
                .map(|x| x.key.as_str())
                .chain(p.third_parties.iter().map(|x| x.key.as_str())),
        );
        for (i, t) in p.overseas_transfers.iter().enumerate() {
            let section = format!("[[overseas_transfer]] recipient = {:?}", t.recipient);
            let base = DocPath::root("overseas_transfer").index(i);
            self.key_ref(
                "recipient",
                &recipients,
                &section,
                base.clone().key("recipient"),
                &t.recipient,
            );
            self.category_refs(&section, base.key("categories"), &t.categories);
        }
    }

    fn ai(&mut self) {
        let Some(ai) = &self.policy.ai else { return };
        let base = DocPath::root("ai");
        if let Some(uploads) = &ai.uploads {
            self.category_ref(
                "[ai.uploads]",
                base.clone().key("uploads").key("category"),
                &uploads.category,
            );
        }
        if let Some(training) = &ai.training {
            self.category_refs(
                "[ai.training]",
                base.clone().key("training").key("categories"),
                &training.categories,
            );
        }
        if let Some(chat) = &ai.chat_logs {
            self.category_ref(
                "[ai.chat_logs]",
                base.key("chat_logs").key("category"),
                &chat.category,
            );
        }
    }

    fn advertising(&mut self) {
        let p = self.policy;
        let Some(purpose) = p.advertising.as_ref().and_then(|a| a.purpose.as_deref()) else {
            return;
        };
        let purposes = sorted_keys(p.purposes.iter().map(|x| x.key.as_str()));
        self.key_ref(
            "purpose",
            &purposes,
            "[advertising]",
            DocPath::root("advertising").key("purpose"),
            purpose,
        );
    }

    fn roles(&mut self) {
        let p = self.policy;
        for (i, role) in p.roles.iter().enumerate() {
            let section = format!("[[role]] key = {:?}", role.key);
            for (j, target) in role.send_to.iter().enumerate() {
                let path = DocPath::root("role").index(i).key("send_to").index(j);
                match p.processors.iter().find(|x| &x.key == target) {
                    None => self.out.push(
                        Diagnostic::error(format!("`send_to` names `{target}`, which is not a declared processor"))
                            .in_section(&section)
                            .at(path)
                            .with_help(format!(
                                "declare it in a [[processor]] table with ai_provider = true, or use one of: {}",
                                list_or_none(p.processors.iter().filter(|x| x.ai_provider).map(|x| x.key.as_str()))
                            )),
                    ),
                    Some(x) if !x.ai_provider => self.out.push(
                        Diagnostic::error(format!("`send_to` names `{target}`, which is not an AI provider"))
                            .in_section(&section)
                            .at(path)
                            .with_help(format!(
                                "`vow proxy` sends prompts only to processors marked ai_provider = true; mark [[processor]] `{target}` so if it is one"
                            )),
                    ),
                    Some(_) => {}
                }
            }
            let no_lookup = Vec::new();
            for (field, patterns) in [
                ("read", &role.read),
                ("write", &role.write),
                ("full_view", &role.full_view),
                ("lookup", role.lookup.as_ref().unwrap_or(&no_lookup)),
            ] {
                for (j, pattern) in patterns.iter().enumerate() {
                    let path = DocPath::root("role").index(i).key(field).index(j);
                    let is_pattern = pattern == "*" || pattern.ends_with(".*");
                    if !is_pattern {
                        if field == "lookup" {
                            self.lookup_ref(&section, path.clone(), pattern);
                        }
                        self.category_ref(&section, path, pattern);
                    } else if !self.pattern_matches_any(pattern) {
                        self.out.push(
                            Diagnostic::error(format!("pattern `{pattern}` matches no declared category"))
                                .in_section(&section)
                                .at(path)
                                .with_help("a pattern `prefix.*` matches the categories whose keys start with `prefix.`"),
                        );
                    }
                }
            }
        }
    }

    /// A role's `lookup` grant names a category that keeps no blind index: no lookup could answer.
    fn lookup_ref(&mut self, section: &str, path: DocPath, key: &str) {
        let declared = self.policy.categories.iter().find(|c| c.key == key);
        if let Some(category) = declared {
            if !category.lookup || category.class == DataClass::Credential {
                self.out.push(
                    Diagnostic::error(format!("category `{key}` cannot be looked up"))
                        .in_section(section)
                        .at(path)
                        .with_help("set `lookup = true` in its [[category]] table (credentials never can be)"),
                );
            }
        }
    }

    /// Whether a role pattern matches some declared category, without scanning them all: the keys under
    /// `prefix.` are contiguous in sorted order, starting at the first key not less than `prefix.`.
    fn pattern_matches_any(&self, pattern: &str) -> bool {
        if pattern == "*" {
            return !self.categories.is_empty();
        }
        let Some(prefix) = pattern.strip_suffix(".*") else {
            return self.categories.contains(pattern);
        };
        let start = format!("{prefix}.");
        self.categories
            .range::<str, _>((
                std::ops::Bound::Included(start.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|first| pattern_matches(pattern, first))
    }

    fn waivers(&mut self) {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let mut seen = BTreeSet::new();
        for (i, waiver) in self.policy.waivers.iter().enumerate() {
            let section = format!("[[waiver]] rule = {:?}", waiver.rule);
            let base = DocPath::root("waiver").index(i);
            if !ids.contains(&waiver.rule.as_str()) {
                let mut d = Diagnostic::error(format!("`{}` is not a lint rule", waiver.rule))
                    .in_section(&section)
                    .at(base.clone().key("rule"));
                d.help = Some(match closest(&waiver.rule, &ids) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "`vow policy check --help` lists the rules".to_string(),
                });
                self.out.push(d);
            } else if !seen.insert(waiver.rule.as_str()) {
                self.out.push(
                    Diagnostic::error(format!("rule `{}` is waived twice", waiver.rule))
                        .in_section(&section)
                        .at(base.clone().key("rule")),
                );
            }
            if waiver.reason.trim().is_empty() {
                self.out.push(
                    Diagnostic::error("a waiver needs a reason")
                        .in_section(&section)
                        .at(base.key("reason"))
                        .with_help("say why the rule does not apply; `vow policy check` shows it"),
                );
            }
        }
    }
}

fn sorted_keys<'k>(keys: impl Iterator<Item = &'k str>) -> Vec<&'k str> {
    let mut keys: Vec<&str> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn list(keys: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut s = keys
        .iter()
        .take(SHOWN)
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > SHOWN {
        s.push_str(&format!(" and {} more", keys.len() - SHOWN));
    }
    s
}

fn list_or_none<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let keys: Vec<&str> = keys.collect();
    if keys.is_empty() {
        "(none declared)".to_string()
    } else {
        keys.join(", ")
    }
}
