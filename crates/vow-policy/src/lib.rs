//! The vow policy file: a privacy policy (개인정보 처리방침) stated as data.
//!
//! [`model`] is the file's structure, and [`schema`] the same structure as data (types, defaults, the law
//! each field serves), from which `docs/policy-reference.md` is made. A policy file is TOML; `vow init`
//! writes a commented starter ([`STARTER_POLICY`], and the variants of [`starter()`]).
//!
//! The path of a policy file through this crate:
//!
//! 1. [`parse`] / [`load`]: bytes in; size, encoding, TOML syntax and the model's structure checked, every
//!    error placed at `file:line:col` with the offending line and a caret ([`LoadError`]); every missing
//!    field, unknown field and wrong type is reported at once ([`schema::check_structure`]).
//! 2. [`validate`]: every key a section refers to is declared ([`Diagnostic`]s).
//! 3. [`lint`]: everything the law requires a policy to say is said ([`LintReport`], rules in [`RULES`]).
//! 4. [`check`] ties the three together for `vow policy check` ([`CheckOutcome`], exit codes 0/1/2).
//! 5. [`diff`] compares two versions and checks the notice period ([`PolicyDiff`]).
//! 6. [`render`] writes the document a service publishes (Markdown, HTML, JSON; Korean or English).
//! 7. [`publish`] makes the static site of every version, its changes and their notices.

pub mod check;
pub mod diagnostic;
pub mod diff;
pub mod lint;
pub mod load;
pub mod model;
pub mod publish;
pub mod render;
pub mod schema;
pub mod starter;
pub mod validate;

pub use check::{check, CheckOutcome, CheckStatus, LocatedFinding, Summary};
pub use diagnostic::{Diagnostic, DocPath, Location, PathSegment, Severity};
pub use diff::{diff, Change, ChangeKind, NoticeCheck, PolicyDiff};
pub use lint::{lint, rule_by_id, Finding, LintReport, Rule, RULES};
pub use load::{load, parse, read_limited, LoadError, MAX_POLICY_BYTES};
pub use model::*;
pub use publish::{publish, PublishError, PublishOptions, SiteFile, Version};
pub use render::{document, document_with, Document, Edition, RenderError, Renderer};
pub use validate::validate;

pub use starter::{starter, starter_variants, StarterOptions, STARTER_POLICY};

/// Reads a policy from TOML text, checking only its structure.
///
/// Prefer [`parse`], whose errors carry positions and suggestions; this stays for callers that already hold
/// a `&str` and want the `toml` error.
pub fn from_toml_str(source: &str) -> Result<Policy, toml::de::Error> {
    toml::from_str(source)
}
