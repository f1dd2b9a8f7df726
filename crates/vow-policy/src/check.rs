//! `check`: parse, validate and lint in one step, with a report for people and one for machines.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Excerpt, Location, Severity, SourceMap};
use crate::lint::{lint, Finding};
use crate::load::{decode, from_text, LoadError};
use crate::model::Policy;
use crate::validate::validate;

/// How many errors a report lists with positions; the rest are counted.
const MAX_REPORTED: usize = 200;

/// What `vow policy check` exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Valid, and every lint finding (if any) is waived. Exit code 0.
    Clean,
    /// Valid, with lint findings that are not waived. Exit code 1.
    Findings,
    /// Unreadable or invalid. Exit code 2.
    Invalid,
}

impl CheckStatus {
    /// The process exit code for this status.
    pub fn exit_code(self) -> u8 {
        match self {
            CheckStatus::Clean => 0,
            CheckStatus::Findings => 1,
            CheckStatus::Invalid => 2,
        }
    }
}

/// A lint finding with its position in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocatedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The source line the finding points at, for the text report.
    #[serde(skip)]
    pub excerpt: Option<Excerpt>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub findings: usize,
    pub waived: usize,
    pub status: Option<CheckStatus>,
}

/// The result of checking one policy file.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    /// The file, as given.
    pub file: String,
    /// Why the file is unreadable or invalid (syntax, structure, references, waivers).
    pub errors: Vec<Diagnostic>,
    /// Lint findings, waived ones included and marked.
    pub findings: Vec<LocatedFinding>,
    pub summary: Summary,
    /// The parsed policy, when parsing succeeded.
    #[serde(skip)]
    pub policy: Option<Policy>,
}

impl CheckOutcome {
    /// Clean, findings or invalid.
    pub fn status(&self) -> CheckStatus {
        if !self.errors.is_empty() || self.policy.is_none() {
            CheckStatus::Invalid
        } else if self.findings.iter().any(|f| f.finding.waived.is_none()) {
            CheckStatus::Findings
        } else {
            CheckStatus::Clean
        }
    }

    /// The process exit code: 0 clean, 1 findings, 2 invalid.
    pub fn exit_code(&self) -> u8 {
        self.status().exit_code()
    }

    /// An outcome for a file that could not be read at all.
    pub fn from_load_error(file: &str, err: &LoadError) -> Self {
        finish(file.to_string(), err.to_diagnostics(), Vec::new(), None)
    }

    /// The report as stable JSON: `file`, `errors[]`, `findings[{rule, severity, message, reference, waived}]`,
    /// `summary`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report for people: errors with excerpts, then findings grouped by rule, then a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for error in &self.errors {
            out.push_str(&error.render(&self.file));
            out.push('\n');
        }
        for f in self.findings.iter().filter(|f| f.finding.waived.is_none()) {
            out.push_str(&format!(
                "{}[{}]: {}\n",
                f.finding.severity, f.finding.rule, f.finding.message
            ));
            match f.location {
                Some(loc) => out.push_str(&format!(
                    "  --> {}:{}:{}\n",
                    self.file, loc.line, loc.column
                )),
                None => out.push_str(&format!("  --> {}\n", self.file)),
            }
            if let Some(excerpt) = &f.excerpt {
                out.push_str(&excerpt.render());
            }
            out.push_str(&format!("  = law: {}\n\n", f.finding.reference));
        }
        for f in &self.findings {
            if let Some(reason) = &f.finding.waived {
                out.push_str(&format!(
                    "waived[{}]: {}\n  = reason: {reason}\n  = law: {}\n\n",
                    f.finding.rule, f.finding.message, f.finding.reference
                ));
            }
        }
        let s = self.summary;
        let verdict = match self.status() {
            CheckStatus::Clean => "ok",
            CheckStatus::Findings => "findings",
            CheckStatus::Invalid => "invalid",
        };
        out.push_str(&format!(
            "{}: {verdict}: {} error(s), {} finding(s), {} waived\n",
            self.file, s.errors, s.findings, s.waived
        ));
        out
    }
}

fn finish(
    file: String,
    errors: Vec<Diagnostic>,
    findings: Vec<LocatedFinding>,
    policy: Option<Policy>,
) -> CheckOutcome {
    let waived = findings
        .iter()
        .filter(|f| f.finding.waived.is_some())
        .count();
    let mut outcome = CheckOutcome {
        file,
        summary: Summary {
            errors: errors.len(),
            findings: findings.len() - waived,
            waived,
            status: None,
        },
        errors,
        findings,
        policy,
    };
    outcome.summary.status = Some(outcome.status());
    outcome
}

/// Parses, validates and lints a policy file's bytes. Never panics; every problem is in the outcome.
pub fn check(source: &[u8], origin: &str) -> CheckOutcome {
    let text = match decode(source, origin) {
        Ok(text) => text,
        Err(err) => return CheckOutcome::from_load_error(origin, &err),
    };
    let policy = match from_text(text) {
        Ok(policy) => policy,
        Err(diagnostics) => return finish(origin.to_string(), diagnostics, Vec::new(), None),
    };
    let map = SourceMap::new(text);
    let mut errors = validate(&policy);
    let total_errors = errors.len();
    // A hostile file can produce a million errors; a person reads the first few, and locating each costs a
    // scan of its line.
    errors.truncate(MAX_REPORTED);
    for error in &mut errors {
        map.locate(error);
    }
    if total_errors > MAX_REPORTED {
        errors.push(Diagnostic::error(format!(
            "{} more errors are not shown; fix these first",
            total_errors - MAX_REPORTED
        )));
    }
    let findings = lint(&policy)
        .findings
        .into_iter()
        .enumerate()
        .map(|(i, finding)| {
            let mut located = Diagnostic::error(String::new());
            if i < MAX_REPORTED {
                located.path = finding.path.clone();
                map.locate(&mut located);
            }
            LocatedFinding {
                finding,
                location: located.location,
                excerpt: located.excerpt,
            }
        })
        .collect();
    debug_assert!(errors.iter().all(|e| e.severity == Severity::Error));
    finish(origin.to_string(), errors, findings, Some(policy))
}
