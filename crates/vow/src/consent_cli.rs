//! `vow consent`: the operator's consent lists, read straight from the store with the key file.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use vow_engine::Caller;

use crate::vault_cli::{runtime, VaultArgs};

pub const CONSENT_LONG_ABOUT: &str = "\
The consent ledger, for the privacy officer and the marketing team.

`due` lists advertising consents whose two-yearly re-confirmation (정보통신망법 시행령 제62조의3)
falls due within --days, with the exact last day, and those already overdue: the advertising gate
refuses them until they are re-confirmed. `notices` lists consent changes whose result notice (14 days,
시행령 제62조의2) is still owed, and `--mark-sent ID` records one as sent. `export` writes the whole
ledger — every grant, re-confirmation and withdrawal with the policy version shown and the
evidence — as CSV or JSON: the proof of consent an audit asks for.";

pub const CONSENT_AFTER_LONG_HELP: &str = "\
Examples:
  vow consent due --policy policy.toml --data vow-data --days 30
  vow consent notices --policy policy.toml --data vow-data --format json
  vow consent notices --policy policy.toml --data vow-data --mark-sent con_3f…
  vow consent export --policy policy.toml --data vow-data --format csv > consent-proof.csv";

#[derive(Args, Debug)]
#[command(long_about = CONSENT_LONG_ABOUT, after_long_help = CONSENT_AFTER_LONG_HELP)]
pub struct ConsentArgs {
    #[command(subcommand)]
    pub command: ConsentCommand,
}

#[derive(Subcommand, Debug)]
pub enum ConsentCommand {
    /// Advertising consents to re-confirm within N days, and those overdue.
    Due {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Consent changes whose 14-day result notice is owed; or mark one sent.
    Notices {
        #[command(flatten)]
        vault: VaultArgs,
        /// Record that the notice of this consent change (con_…) was sent, now.
        #[arg(long, value_name = "ID")]
        mark_sent: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// The whole ledger with evidence, as proof of consent (CSV or JSON).
    Export {
        #[command(flatten)]
        vault: VaultArgs,
        /// Only this subject (sub_…).
        #[arg(long, value_name = "ID")]
        subject: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// A time in Korea, as RFC 3339 (empty for a time the calendar cannot hold).
pub(crate) fn ms_to_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.checked_to_offset(vow_engine::marketing::KST)?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A cell a spreadsheet will not run as a formula: text from outside (the evidence) that starts with
/// `=`, `+`, `-`, `@` or a control character gets a leading apostrophe (OWASP "CSV injection").
pub(crate) fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub fn run(args: ConsentArgs) -> anyhow::Result<ExitCode> {
    let (vault, _) = match &args.command {
        ConsentCommand::Due { vault, .. }
        | ConsentCommand::Notices { vault, .. }
        | ConsentCommand::Export { vault, .. } => vault.open()?,
    };
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(Some("vow consent".into()));
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        match args.command {
            ConsentCommand::Due { days, format, .. } => {
                let due = vault.consents_due(&operator, days, usize::MAX).await?;
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&due)?)?,
                    ListFormat::Csv => {
                        let mut csv = csv::Writer::from_writer(&mut out);
                        csv.write_record([
                            "subject",
                            "purpose",
                            "channel",
                            "night",
                            "consented",
                            "reconfirm_by",
                            "overdue",
                        ])?;
                        for d in &due {
                            csv.write_record([
                                d.subject.as_str(),
                                &d.purpose,
                                d.channel.as_deref().unwrap_or(""),
                                if d.night { "true" } else { "false" },
                                &ms_to_rfc3339(d.since_ms),
                                &d.reconfirm_by,
                                if d.overdue { "true" } else { "false" },
                            ])?;
                        }
                        csv.flush()?;
                    }
                    ListFormat::Text => {
                        if due.is_empty() {
                            writeln!(out, "No advertising consent falls due within {days} days.")?;
                        } else {
                            writeln!(
                                out,
                                "{:<38} {:<8} {:<6} {:<12} state",
                                "subject", "channel", "night", "confirm by"
                            )?;
                            for d in &due {
                                writeln!(
                                    out,
                                    "{:<38} {:<8} {:<6} {:<12} {}",
                                    d.subject,
                                    d.channel.as_deref().unwrap_or("-"),
                                    if d.night { "yes" } else { "no" },
                                    d.reconfirm_by,
                                    if d.overdue {
                                        "OVERDUE: refused until re-confirmed"
                                    } else {
                                        "due"
                                    }
                                )?;
                            }
                            writeln!(out, "{} consent(s).", due.len())?;
                        }
                    }
                }
            }
            ConsentCommand::Notices {
                mark_sent: Some(id),
                ..
            } => {
                vault.mark_notice_sent(&operator, &id, None).await?;
                writeln!(out, "Marked the notice of {id} sent.")?;
                vault.checkpoint().await?;
            }
            ConsentCommand::Notices {
                mark_sent: None,
                format,
                ..
            } => {
                let owed = vault.owed_notices(&operator, usize::MAX).await?;
                let now = vault.now_ms();
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&owed)?)?,
                    ListFormat::Csv => {
                        let mut csv = csv::Writer::from_writer(&mut out);
                        csv.write_record([
                            "consent",
                            "subject",
                            "purpose",
                            "channel",
                            "night",
                            "change",
                            "at",
                            "notice_due",
                            "overdue",
                        ])?;
                        for e in &owed {
                            let due = e.notice_due_ms.unwrap_or_default();
                            csv.write_record([
                                e.id.as_str(),
                                &e.subject,
                                &e.purpose,
                                e.channel.as_deref().unwrap_or(""),
                                if e.night { "true" } else { "false" },
                                &e.change,
                                &ms_to_rfc3339(e.at_ms),
                                &ms_to_rfc3339(due),
                                if due < now { "true" } else { "false" },
                            ])?;
                        }
                        csv.flush()?;
                    }
                    ListFormat::Text => {
                        if owed.is_empty() {
                            writeln!(out, "No result notice is owed.")?;
                        }
                        for e in &owed {
                            let due = e.notice_due_ms.unwrap_or_default();
                            writeln!(
                                out,
                                "{}  {} {}{} {} — tell the person by {}{}",
                                e.id,
                                e.subject,
                                e.purpose,
                                e.channel
                                    .as_deref()
                                    .map(|c| format!("/{c}"))
                                    .unwrap_or_default(),
                                e.change,
                                ms_to_rfc3339(due),
                                if due < now { " (OVERDUE)" } else { "" }
                            )?;
                        }
                    }
                }
            }
            ConsentCommand::Export {
                subject, format, ..
            } => {
                // Streamed page by page: the ledger can be far larger than memory.
                let mut csv = None;
                let mut json = None;
                match format {
                    ExportFormat::Csv => {
                        let mut writer = csv::Writer::from_writer(&mut out);
                        writer.write_record([
                            "seq",
                            "consent",
                            "subject",
                            "purpose",
                            "channel",
                            "night",
                            "change",
                            "at",
                            "recorded",
                            "policy_version",
                            "by_guardian",
                            "recorded_by",
                            "method",
                            "location",
                            "wording",
                            "notice_due",
                            "notice_sent",
                        ])?;
                        csv = Some(writer);
                    }
                    ExportFormat::Json => {
                        out.write_all(b"[")?;
                        json = Some(&mut out);
                    }
                }
                let mut first = true;
                let mut after = 0;
                loop {
                    let page = vault
                        .consent_ledger(&operator, subject.as_deref(), after, 1000)
                        .await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    for e in page {
                        if let Some(out) = json.as_mut() {
                            out.write_all(if first { b"\n  " } else { b",\n  " })?;
                            out.write_all(serde_json::to_string(&e)?.as_bytes())?;
                            first = false;
                        }
                        let Some(csv) = csv.as_mut() else { continue };
                        let evidence = e.evidence.clone().unwrap_or_default();
                        csv.write_record([
                            e.seq.to_string(),
                            e.id.clone(),
                            e.subject.clone(),
                            e.purpose.clone(),
                            e.channel.clone().unwrap_or_default(),
                            e.night.to_string(),
                            e.change.clone(),
                            ms_to_rfc3339(e.at_ms),
                            ms_to_rfc3339(e.recorded_ms),
                            e.policy_version.clone(),
                            e.by_guardian.to_string(),
                            e.recorded_by.clone(),
                            if e.evidence.is_some() {
                                cell(&evidence.method)
                            } else {
                                "(erased with the subject)".into()
                            },
                            cell(evidence.location.as_deref().unwrap_or_default()),
                            cell(evidence.wording.as_deref().unwrap_or_default()),
                            e.notice_due_ms.map(ms_to_rfc3339).unwrap_or_default(),
                            e.notice_sent_ms.map(ms_to_rfc3339).unwrap_or_default(),
                        ])?;
                    }
                }
                if let Some(mut csv) = csv {
                    csv.flush()?;
                }
                if let Some(out) = json {
                    out.write_all(b"\n]\n")?;
                }
            }
        }
        out.flush()?;
        vault.store().clone().close().await;
        Ok(ExitCode::SUCCESS)
    })
}
