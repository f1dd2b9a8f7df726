//! `vow policy check|render|diff|publish`: the policy file on the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use vow_policy::{check, diff, load, read_limited, CheckOutcome, Lang, PolicyDiff, RULES};

const POLICY_ABOUT: &str = "Check, render, compare and publish policy files.";

pub const POLICY_LONG_ABOUT: &str = "\
Check, render, compare and publish policy files.

A policy file is the privacy policy (개인정보 처리방침) of a service written as TOML. `vow
init` writes a commented starter.";

/// Arguments of `vow policy`.
#[derive(Args)]
#[command(about = POLICY_ABOUT, long_about = POLICY_LONG_ABOUT, arg_required_else_help = true)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The subcommands of `vow policy`.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file: is it valid, and does it say everything the law requires?
    #[command(long_about = CHECK_LONG_ABOUT, after_long_help = check_after_long_help())]
    Check(CheckArgs),
    /// Compare two versions of a policy: what changed, is it material, was it announced early enough?
    #[command(long_about = DIFF_LONG_ABOUT, after_long_help = DIFF_AFTER_LONG_HELP)]
    Diff(DiffArgs),
    /// Render the privacy policy a service publishes (Markdown, HTML or JSON; Korean or English).
    #[command(
        long_about = crate::policy_render::RENDER_LONG_ABOUT,
        after_long_help = crate::policy_render::RENDER_AFTER_LONG_HELP
    )]
    Render(crate::policy_render::RenderArgs),
    /// Publish the policy as a static site: every version, each change and its notice, Korean and English.
    #[command(
        long_about = crate::policy_publish::PUBLISH_LONG_ABOUT,
        after_long_help = crate::policy_publish::PUBLISH_AFTER_LONG_HELP
    )]
    Publish(crate::policy_publish::PublishArgs),
}

/// How a report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: messages with the offending line and a caret, grouped findings, a summary line.
    #[default]
    Text,
    /// For programs: one JSON document on standard output, with stable field names.
    Json,
}

/// The language of `vow policy diff`'s text report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportLang {
    /// English.
    #[default]
    En,
    /// Korean (한국어).
    Ko,
}

impl From<ReportLang> for Lang {
    fn from(lang: ReportLang) -> Lang {
        match lang {
            ReportLang::En => Lang::En,
            ReportLang::Ko => Lang::Ko,
        }
    }
}

const CHECK_LONG_ABOUT: &str = "\
Check a policy file: is it valid, and does it say everything the law requires?

Three passes, in order:
  1. parse     the file is UTF-8 TOML with the fields of a policy file; every missing field,
               unknown field and wrong type is reported in one run (\"did you mean\" for typos);
               docs/policy-reference.md lists every table and field
  2. validate  every category, purpose, subject and recipient that a section names is declared
  3. lint      everything PIPA, 정보통신망법 and (with jurisdictions = [\"EU\"]) the GDPR require a
               policy to state is stated; each finding names its rule and the law behind it

A rule that does not apply to a service can be waived in the policy file itself, with a
reason that every check prints:

  [[waiver]]
  rule = \"department\"
  reason = \"The privacy officer receives requests directly; there is no separate department.\"";

fn check_after_long_help() -> String {
    let mut help = String::from(
        "\
Examples:
  vow policy check vow-policy.toml
  vow policy check vow-policy.toml --format json | jq '.findings[] | select(.waived == null)'

Exit codes:
  0  valid, and every finding is waived (waived findings are still shown)
  1  valid, with lint findings to fix or waive
  2  the file cannot be read or is invalid (nothing was linted)

Lint rules (waive by id):
",
    );
    for rule in RULES {
        let scope = if rule.gdpr { " [EU]" } else { "" };
        help.push_str(&format!(
            "  {}{scope}\n      {}\n      {}\n",
            rule.id, rule.requires, rule.reference
        ));
    }
    help
}

/// Arguments of `vow policy check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The policy file to check (TOML, at most 5 MB).
    pub file: PathBuf,
    /// `text` prints messages for people; `json` prints one JSON document with the fields file, errors[],
    /// findings[{rule, severity, message, reference, waived}] and summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

const DIFF_LONG_ABOUT: &str = "\
Compare two versions of a policy: what changed, is it material, was it announced early
enough?

Changes are listed by section. A change is material when it takes more from the data
subject: a new item collected, a new purpose, a new third party or processor, a new overseas
transfer, a longer retention period, or a category left without any retention rule. Material
changes must be announced [changes] material_days before they take effect; other changes
ordinary_days (7 and 30 days when the new policy has no [changes] table). The notice is
NEW's [policy] announced to its effective date.";

const DIFF_AFTER_LONG_HELP: &str = "\
Examples:
  vow policy diff policy-2024.toml policy-2025.toml
  vow policy diff old.toml new.toml --lang ko
  vow policy diff old.toml new.toml --format json

Exit codes:
  0  the notice period is long enough (or nothing changed)
  1  the notice is too short, or NEW has no announced date; the report says by how many days
  2  a file cannot be read or is invalid";

/// Arguments of `vow policy diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The policy as it is now (the published version).
    pub old: PathBuf,
    /// The policy as it will be; its [policy] announced and effective dates are checked.
    pub new: PathBuf,
    /// `text` prints the changes grouped by section; `json` prints {changes[], notice} with each change's
    /// section, key, kind, material, ko and en.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the text report: `en` (default) or `ko`. The JSON report always carries both.
    #[arg(long, value_enum, default_value_t = ReportLang::En)]
    pub lang: ReportLang,
}

/// Runs `vow policy ...`.
pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Check(args) => run_check(&args),
        PolicyCommand::Diff(args) => run_diff(&args),
        PolicyCommand::Render(args) => crate::policy_render::run(args),
        PolicyCommand::Publish(args) => crate::policy_publish::run(args),
    }
}

fn run_check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let origin = args.file.display().to_string();
    let outcome = match read_limited(&args.file) {
        Ok(bytes) => check(&bytes, &origin),
        Err(err) => CheckOutcome::from_load_error(&origin, &err),
    };
    match args.format {
        Format::Json => crate::out::println(outcome.to_json())?,
        Format::Text => crate::out::print(outcome.to_text())?,
    }
    Ok(ExitCode::from(outcome.exit_code()))
}

fn run_diff(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let mut policies = Vec::with_capacity(2);
    for path in [&args.old, &args.new] {
        match load(path) {
            Ok(policy) => policies.push(policy),
            Err(err) => {
                eprintln!("{err}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let (old, new) = (&policies[0], &policies[1]);
    let result = diff(old, new);
    match args.format {
        Format::Json => crate::out::println(result.to_json())?,
        Format::Text => crate::out::print(diff_text(&result, args))?,
    }
    Ok(ExitCode::from(u8::from(!result.notice.ok)))
}

fn diff_text(result: &PolicyDiff, args: &DiffArgs) -> String {
    let lang = Lang::from(args.lang);
    let mut out = String::new();
    // Hangul takes two columns in a terminal, so the Korean words need less padding to line up.
    let (material_word, ordinary_word, width) = match lang {
        Lang::Ko => ("중요", "일반", 2),
        Lang::En => ("material", "ordinary", 8),
    };
    if result.changes.is_empty() {
        out.push_str(match lang {
            Lang::Ko => "변경 사항 없음\n",
            Lang::En => "no changes\n",
        });
    }
    for (section, changes) in result.by_section() {
        out.push_str(&format!("[{section}]\n"));
        for change in changes {
            let sign = match change.kind {
                vow_policy::ChangeKind::Added => '+',
                vow_policy::ChangeKind::Removed => '-',
                vow_policy::ChangeKind::Changed => '~',
            };
            let weight = if change.material {
                material_word
            } else {
                ordinary_word
            };
            // The description speaks in labels (it is also what members read in the notice); the operator
            // also gets the key that finds the entry in the file.
            let key = change
                .key
                .as_deref()
                .map(|k| format!(" (`{k}`)"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {sign} {weight:<width$} {}{key}\n",
                change.describe(lang)
            ));
        }
        out.push('\n');
    }
    let notice = &result.notice;
    let verdict = match (notice.ok, lang) {
        (true, Lang::En) => "notice ok",
        (false, Lang::En) => "notice too short",
        (true, Lang::Ko) => "고지 기간 충족",
        (false, Lang::Ko) => "고지 기간 부족",
    };
    let message = match lang {
        Lang::Ko => &notice.ko,
        Lang::En => &notice.en,
    };
    out.push_str(&format!(
        "{verdict}: {message}\n({} → {})\n",
        args.old.display(),
        args.new.display()
    ));
    out
}
