//! `vow sweep` and `vow requests`: retention and the rights requests, run from the command line with
//! the key file (the operator), straight on the store.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use vow_engine::Caller;

use crate::consent_cli::cell;
use crate::vault_cli::{runtime, VaultArgs};

pub const SWEEP_LONG_ABOUT: &str = "\
Carry out the policy's retention rules: destroy what is due, move what another law still requires
into separated storage (분리보관), destroy that when its own period ends, and destroy the data key of
a closed account once nothing of it is left (crypto-shredding).

Each [[retention]] rule gives the data of its categories a deadline counted from its `from` event:
collection (when stored), transaction (each record's own time), or an event the application reports
with POST /v1/subjects/{id}/events (account_closure, purpose_achieved, processing_completed, …). The
latest deadline decides, and every decision names its rule. `vow serve` runs the same sweep every
hour (--sweep-every); run this from cron when it does not, or with --dry-run to see what would go and
why. --as-of sweeps as of another time (a rehearsal: \"what goes on 2031-01-01?\") — combine it with
--dry-run unless you mean it.

`vow sweep ledger` prints the destruction ledger (파기 관리대장): one line per destruction — what
kind and how many, when, under which rule and legal basis, by which method — never a value.";

pub const SWEEP_AFTER_LONG_HELP: &str = "\
Examples:
  vow sweep --policy policy.toml --data vow-data --dry-run
  vow sweep --policy policy.toml --data vow-data --as-of 2031-01-01T00:00:00+09:00 --dry-run --format json
  vow sweep --policy policy.toml --data vow-data
  vow sweep ledger --policy policy.toml --data vow-data --format csv > destruction-ledger.csv";

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    #[command(flatten)]
    pub vault: Option<VaultArgs>,
    /// Sweep as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Only say what would be destroyed or separated, and why; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Subcommand, Debug)]
pub enum SweepCommand {
    /// The destruction ledger (파기 관리대장), as CSV, JSON or a table.
    Ledger {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Csv,
}

pub const REQUESTS_LONG_ABOUT: &str = "\
The data subjects' rights requests for the privacy officer: open ones by due date (received, in
progress or extended), each marked overdue or nearly due (3 days), or --all. Requests are filed and
answered through the API (POST /v1/requests, POST /v1/requests/{id}); the due date is the policy's
[rights] deadline_days (PIPA: 10 days), and for a GDPR subject never later than one month.";

#[derive(Args, Debug)]
pub struct RequestsArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Closed requests too.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// A count of subjects swept on standard error, when it is a terminal.
fn subjects_counter() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {pos} subjects swept {per_sec}")
    {
        bar.set_style(style);
    }
    bar
}

fn time_of(ms: i64) -> String {
    if ms == i64::MAX {
        return "(when its event happens)".into();
    }
    crate::consent_cli::ms_to_rfc3339(ms)
}

fn parse_as_of(text: &str) -> anyhow::Result<i64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .with_context(|| {
            format!("--as-of {text:?}: write an RFC 3339 time with its offset, like 2031-01-01T00:00:00+09:00")
        })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).context("--as-of is out of range")
}

pub fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    if let Some(SweepCommand::Ledger { vault, format }) = args.command {
        return ledger(vault, format);
    }
    let vault_args = args
        .vault
        .context("vow sweep needs --policy and --data or --database-url")?;
    let as_of = args.as_of.as_deref().map(parse_as_of).transpose()?;
    let (vault, _) = vault_args.open()?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(Some("vow sweep".into()));
        let as_of = as_of.unwrap_or_else(|| vault.now_ms());
        let bar = subjects_counter();
        let report = vault
            .sweep(&operator, as_of, args.dry_run, |seen| bar.set_position(seen))
            .await;
        bar.finish_and_clear();
        let report = report?;
        vault.store().clone().close().await;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        match args.format {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
            OutputFormat::Csv => {
                let mut csv = csv::Writer::from_writer(&mut out);
                csv.write_record(["subject", "storage", "category", "action", "rule", "until_or_due"])?;
                for p in &report.planned {
                    let (action, rule, when) = fate_cells(&p.fate);
                    csv.write_record([p.subject.as_str(), p.storage, &p.category, action, &rule, &when])?;
                }
                csv.flush()?;
            }
            OutputFormat::Text => {
                let verb = if report.dry_run { "would be" } else { "were" };
                writeln!(
                    out,
                    "{} subjects swept as of {}: {} pieces {verb} destroyed, {} {verb} moved to separated storage, {} closed accounts' data keys {verb} destroyed.",
                    report.subjects,
                    time_of(report.as_of_ms),
                    report.destroyed,
                    report.separated,
                    report.shredded
                )?;
                for p in &report.planned {
                    let (action, rule, when) = fate_cells(&p.fate);
                    writeln!(out, "  {action:<8} {} {} {} (rule {rule}, {when})", p.subject, p.storage, p.category)?;
                }
            }
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })
}

fn fate_cells(fate: &vow_engine::retention::Fate) -> (&'static str, String, String) {
    use vow_engine::retention::Fate;
    match fate {
        Fate::Destroy { rule, due_ms, .. } => {
            ("destroy", rule.clone(), format!("due {}", time_of(*due_ms)))
        }
        Fate::Separate { rule, until_ms } => (
            "separate",
            rule.clone(),
            format!("until {}", time_of(*until_ms)),
        ),
        Fate::Keep { rule, until_ms } => (
            "keep",
            rule.clone().unwrap_or_default(),
            until_ms.map(time_of).unwrap_or_default(),
        ),
    }
}

fn ledger(vault_args: VaultArgs, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let (vault, _) = vault_args.open()?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(Some("vow sweep ledger".into()));
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut csv =
            (format == OutputFormat::Csv).then(|| csv::Writer::from_writer(std::io::stdout()));
        if let Some(csv) = csv.as_mut() {
            csv.write_record([
                "seq", "at", "subject", "category", "storage", "count", "rule", "basis", "law",
                "cause", "method", "by",
            ])?;
        }
        let mut json = Vec::new();
        let mut after = 0;
        let mut lines_seen = 0usize;
        loop {
            let lines = vault.destruction_ledger(&operator, after, 10_000).await?;
            let Some(last) = lines.last() else { break };
            after = last.seq;
            lines_seen += lines.len();
            for line in lines {
                match format {
                    OutputFormat::Csv => {
                        if let Some(csv) = csv.as_mut() {
                            csv.write_record([
                                line.seq.to_string(),
                                time_of(line.at_ms),
                                line.subject.clone(),
                                cell(&line.category),
                                line.storage.clone(),
                                line.count.to_string(),
                                cell(&line.rule),
                                line.basis.clone(),
                                cell(line.law.as_deref().unwrap_or("")),
                                line.cause.clone(),
                                line.method.clone(),
                                line.by.clone(),
                            ])?;
                        }
                    }
                    OutputFormat::Json => json.push(line),
                    OutputFormat::Text => writeln!(
                        out,
                        "{:>6}  {}  {}  {} ×{} ({})  rule {} [{}]",
                        line.seq,
                        time_of(line.at_ms),
                        line.subject,
                        line.category,
                        line.count,
                        line.storage,
                        line.rule,
                        line.basis
                    )?,
                }
            }
        }
        if format == OutputFormat::Json {
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        if format == OutputFormat::Text && lines_seen == 0 {
            writeln!(
                out,
                "The destruction ledger is empty: nothing has been destroyed yet. `vow sweep --dry-run` shows what is due."
            )?;
        }
        if let Some(mut csv) = csv {
            csv.flush()?;
        }
        out.flush()?;
        vault.store().clone().close().await;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn requests(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    let (vault, _) = args.vault.open()?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(Some("vow requests".into()));
        let requests = vault.rights_requests(&operator, !args.all).await?;
        vault.store().clone().close().await;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        match args.format {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&requests)?)?,
            OutputFormat::Csv => {
                let mut csv = csv::Writer::from_writer(&mut out);
                csv.write_record([
                    "id",
                    "subject",
                    "type",
                    "state",
                    "received",
                    "due",
                    "urgency",
                    "jurisdiction",
                ])?;
                for r in &requests {
                    csv.write_record([
                        r.id.as_str(),
                        &r.subject,
                        &r.kind,
                        &r.state,
                        &time_of(r.received_ms),
                        &time_of(r.due_ms),
                        r.urgency,
                        &r.detail.jurisdiction,
                    ])?;
                }
                csv.flush()?;
            }
            OutputFormat::Text => {
                if requests.is_empty() {
                    writeln!(out, "No {}requests.", if args.all { "" } else { "open " })?;
                }
                for r in &requests {
                    writeln!(
                        out,
                        "{:<11} {}  {:<18} {:<12} due {}  {}",
                        r.urgency,
                        r.id,
                        r.kind,
                        r.state,
                        time_of(r.due_ms),
                        r.subject
                    )?;
                }
            }
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::time_of;

    /// `vow sweep --as-of 9999-12-31T23:59:59Z`, or a deadline that ends there, prints no time
    /// rather than panicking when shown in Korea time.
    #[test]
    fn times_at_the_end_of_the_calendar_do_not_panic() {
        assert_eq!(time_of(253_402_300_799_999), "");
        assert_eq!(time_of(i64::MIN), "");
        assert!(time_of(0).starts_with("1970-01-01T09:00:00"));
    }
}
