//! `vow audit archive` and `vow audit verify-archive`: the access log kept as the law says, then
//! moved out. Entries older than the policy's `[safety] access_log_retention` (and never younger
//! than the law's floor) go to a sealed archive file; only once that file is written, fsynced and
//! verified is the cut recorded and are the rows removed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use vow_audit::{ArchiveVerification, AuditError, Break, Cut, Entry};
use vow_crypto::AuditVerifier;
use vow_policy::model::{DataClass, Period};
use vow_store::{AuditOp, Outcome, Request, Store};

use crate::vault_cli::{open_log, OutputFormat, VaultArgs};

/// Rows removed per transaction once the archive is safe.
const PRUNE_BATCH: usize = 10_000;

/// Subjects from which the law asks two years of access records (안전성 확보조치 기준 제8조①).
const MANY_SUBJECTS: usize = 50_000;

/// The recorded cuts, oldest first.
pub(crate) fn cuts(store: &Store) -> anyhow::Result<Vec<Cut>> {
    match store
        .apply_blocking(Request::unlogged(AuditOp::Cuts))
        .context("cannot read the access log's cuts")?
    {
        Outcome::AuditCuts(cuts) => Ok(cuts),
        other => bail!("unexpected answer from the store: {other:?}"),
    }
}

pub(crate) fn break_json(b: &Break) -> serde_json::Value {
    serde_json::json!({
        "seq": b.seq(),
        "kind": serde_json::to_value(b).ok().and_then(|v| v.get("kind").cloned()),
        "what": b.to_string(),
    })
}

/// What was found about a set of archives.
#[derive(Default)]
pub(crate) struct Archives {
    /// Each file with its verification, in the order of their entries.
    checked: Vec<(PathBuf, ArchiveVerification)>,
    /// Problems between archives, or between them and the database's cuts.
    problems: Vec<String>,
}

impl Archives {
    pub(crate) fn intact(&self) -> bool {
        self.problems.is_empty() && self.checked.iter().all(|(_, v)| v.is_intact())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.checked
                .iter()
                .map(|(path, v)| {
                    serde_json::json!({
                        "file": path.display().to_string(),
                        "intact": v.is_intact(),
                        "entries": v.entries,
                        "checkpoints": v.checkpoints,
                        "from_seq": v.cut.as_ref().map(|c| c.from_seq),
                        "to_seq": v.cut.as_ref().map(|c| c.to_seq),
                        "first_break": v.first_break.as_ref().map(break_json),
                    })
                })
                .chain(
                    self.problems
                        .iter()
                        .map(|p| serde_json::json!({ "problem": p })),
                )
                .collect(),
        )
    }

    pub(crate) fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        for (path, v) in &self.checked {
            writeln!(out, "{}: {v}", path.display())?;
        }
        for problem in &self.problems {
            writeln!(out, "BROKEN: {problem}")?;
        }
        Ok(())
    }
}

/// Verifies each archive alone and the set together: sealed by `expected` when given, each
/// linking to the one before, and — when the database's `cuts` are given — each one of them.
pub(crate) fn check_archives(
    files: &[PathBuf],
    expected: Option<&AuditVerifier>,
    cuts: &[Cut],
) -> anyhow::Result<Archives> {
    let mut found = Archives::default();
    for path in files {
        let verification = vow_audit::verify_archive(path, expected)
            .with_context(|| format!("cannot read the archive {}", path.display()))?;
        found.checked.push((path.clone(), verification));
    }
    found
        .checked
        .sort_by_key(|(_, v)| v.cut.as_ref().map_or(0, |c| c.from_seq));
    let sealed: Vec<(&PathBuf, &Cut)> = found
        .checked
        .iter()
        .filter(|(_, v)| v.is_intact())
        .filter_map(|(p, v)| v.cut.as_ref().map(|c| (p, c)))
        .collect();
    let mut problems = Vec::new();
    for pair in sealed.windows(2) {
        let ((first_path, first), (next_path, next)) = (pair[0], pair[1]);
        if next.from_seq != first.to_seq.saturating_add(1) || next.prev_hash != first.head_hash {
            problems.push(format!(
                "{} (entries {}–{}) does not continue {} (entries {}–{}): an archive between them is \
                 missing, or one was altered",
                next_path.display(),
                next.from_seq,
                next.to_seq,
                first_path.display(),
                first.from_seq,
                first.to_seq
            ));
        }
    }
    if !cuts.is_empty() {
        for (path, cut) in &sealed {
            if !cuts.iter().any(|c| c == *cut) {
                problems.push(format!(
                    "{} (entries {}–{}) is not a cut this database recorded: it is another vault's, \
                     or was made again from an altered log",
                    path.display(),
                    cut.from_seq,
                    cut.to_seq
                ));
            }
        }
    }
    found.problems = problems;
    Ok(found)
}

/// The entries of archives in order (for the review of archived months), once each verifies,
/// sealed by `expected` and one of the database's `cuts`: an archive someone made with another key
/// does not slip entries into the officer's review.
pub(crate) fn entries_of(
    files: &[PathBuf],
    expected: &AuditVerifier,
    cuts: &[Cut],
) -> anyhow::Result<impl Iterator<Item = Result<Entry, AuditError>>> {
    let checked = check_archives(files, Some(expected), cuts)?;
    if !checked.intact() {
        let mut text = Vec::new();
        checked.write_text(&mut text)?;
        bail!(
            "an archive does not verify, so its entries are not reviewed:\n{}",
            String::from_utf8_lossy(&text)
        );
    }
    let mut iterators = Vec::new();
    for (path, _) in &checked.checked {
        iterators.push(
            vow_audit::archive_entries(path)
                .with_context(|| format!("cannot read the archive {}", path.display()))?,
        );
    }
    Ok(iterators.into_iter().flatten())
}

pub(crate) fn verify_archives(
    files: &[PathBuf],
    key_file: Option<&Path>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let expected = match key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the key file {}", path.display()))?;
            let keys = vow_crypto::KeyRing::from_text(&text)
                .with_context(|| format!("{} is not a vow key file", path.display()))?;
            Some(keys.signing_key().verifying_key())
        }
        None => None,
    };
    let found = check_archives(files, expected.as_ref(), &[])?;
    let mut out = crate::out::stdout();
    match format {
        OutputFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({ "intact": found.intact(), "archives": found.json() })
        )?,
        OutputFormat::Text => {
            found.write_text(&mut out)?;
            if expected.is_none() {
                writeln!(
                    out,
                    "Each archive is sealed by the key it names; give --key-file to check that key is the vault's."
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if found.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The first day (Korea time) whose entries must still be kept: `keep` before today.
fn keep_from(today: time::Date, keep: Period) -> time::Date {
    let back_months = |date: time::Date, months: u32| {
        let total = date.year() * 12 + i32::from(u8::from(date.month())) - 1 - months as i32;
        let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
        let month = time::Month::try_from(month).unwrap_or(time::Month::January);
        let last_day = time::util::days_in_month(month, year);
        time::Date::from_calendar_date(year, month, date.day().min(last_day)).unwrap_or(date)
    };
    match keep {
        Period::Years(n) => back_months(today, n.saturating_mul(12)),
        Period::Months(n) => back_months(today, n),
        Period::Days(n) => today - time::Duration::days(i64::from(n)),
        Period::Hours(n) => today - time::Duration::days(i64::from(n.div_ceil(24))),
    }
}

/// How long this vault's access records must be kept: the policy's period, never less than the
/// law's floor for what it processes and how many people it holds.
fn retention(policy: &vow_policy::model::Policy, subjects: usize) -> (Period, String) {
    let stated = policy
        .safety
        .as_ref()
        .map_or(Period::Years(2), |s| s.access_log_retention);
    let strict_data = policy
        .categories
        .iter()
        .any(|c| matches!(c.class, DataClass::UniqueIdentifier | DataClass::Sensitive));
    let floor = if strict_data || subjects >= MANY_SUBJECTS {
        Period::Years(2)
    } else {
        Period::Years(1)
    };
    if stated.max_hours() >= floor.max_hours() {
        (
            stated,
            "the policy's [safety] access_log_retention".to_string(),
        )
    } else {
        let why = if strict_data {
            "unique identifiers or sensitive data are processed"
        } else {
            "the vault holds 50,000 subjects or more"
        };
        (
            floor,
            format!(
                "by law, as {why}; longer than the policy's {}",
                stated.to_english()
            ),
        )
    }
}

/// Subjects in the store, counted up to `MANY_SUBJECTS` (all the law's floor needs to know).
fn count_subjects(store: &Store) -> anyhow::Result<usize> {
    let mut after = String::new();
    let mut count = 0;
    while count < MANY_SUBJECTS {
        match store
            .apply_blocking(Request::unlogged(vow_store::SubjectOp::SubjectIds {
                after: after.clone(),
                limit: 5_000,
            }))
            .context("cannot count the subjects")?
        {
            Outcome::Subjects(ids) => {
                count += ids.len();
                match ids.last() {
                    Some(last) if ids.len() == 5_000 => after = last.clone(),
                    _ => break,
                }
            }
            other => bail!("unexpected answer from the store: {other:?}"),
        }
    }
    Ok(count)
}

pub(crate) fn archive(args: &VaultArgs, before: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let before_day = time::Date::parse(before.trim(), &format).map_err(|_| {
        anyhow::anyhow!("--before {before:?} is not a day; write YYYY-MM-DD, e.g. 2025-01-01")
    })?;
    let policy = vow_policy::load(&args.policy)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot load the policy {}", args.policy.display()))?;
    let (store, keys) = open_log(args)?;
    let subjects = count_subjects(&store)?;
    let (keep, why) = retention(&policy, subjects);
    let now = time::OffsetDateTime::now_utc().to_offset(vow_engine::marketing::KST);
    let youngest = keep_from(now.date(), keep);
    if before_day > youngest {
        store.close_blocking();
        bail!(
            "entries before {before_day} are not all {keep} old, and the access log is kept {keep} \
             ({why}); the latest --before allowed today is {youngest}; nothing was archived",
            keep = keep.to_english()
        );
    }
    let before_ms = before_day
        .midnight()
        .assume_offset(vow_engine::marketing::KST)
        .unix_timestamp()
        .saturating_mul(1000);

    let recorded = cuts(&store)?;
    let (from_seq, prev_hash) = recorded.last().map_or((1, vow_audit::GENESIS), |c| {
        (c.to_seq.saturating_add(1), c.head_hash)
    });
    // A prune that an earlier run did not finish is finished first.
    if let Some(cut) = recorded.last() {
        prune(&store, cut.to_seq)?;
    }
    let mut checkpoints = Vec::new();
    for path in args.checkpoint_files() {
        if path.exists() {
            checkpoints.extend(
                vow_audit::CheckpointFile::read_all(&path)
                    .with_context(|| format!("cannot read the checkpoints {}", path.display()))?,
            );
        }
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("writing the archive");
    let mut written = 0u64;
    let entries = store
        .audit_entries_blocking()
        .filter(|e| e.as_ref().map_or(true, |e| e.seq >= from_seq))
        .take_while(|e| e.as_ref().map_or(true, |e| e.at_ms < before_ms))
        .inspect(|_| {
            written += 1;
            if written.is_multiple_of(10_000) {
                bar.set_position(written);
                bar.tick();
            }
        });
    let sealed =
        vow_audit::write_archive(out, entries, prev_hash, &checkpoints, keys.signing_key())
            .context("cannot read the access log")?;
    bar.finish_and_clear();
    let cut = match sealed {
        Ok(cut) => cut,
        Err(vow_audit::ArchiveError::Empty) => {
            store.close_blocking();
            crate::out::println(format_args!(
                "No entries before {before_day} are left in the database: nothing to archive."
            ))?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => {
            store.close_blocking();
            return Err(error).with_context(|| format!("cannot archive to {}", out.display()));
        }
    };
    // Read back from the disk before anything is removed.
    let verifier = keys.signing_key().verifying_key();
    let check = vow_audit::verify_archive(out, Some(&verifier))
        .with_context(|| format!("cannot read back {}", out.display()))?;
    if !check.is_intact() {
        store.close_blocking();
        bail!(
            "the archive {} does not verify after writing ({check}); nothing was removed",
            out.display()
        );
    }
    let name = out.file_name().map_or_else(
        || out.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let entry = vow_store::NewEntry {
        at_ms: time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .saturating_mul(1000),
        key_id: "operator".into(),
        role: "operator".into(),
        source: "local".into(),
        subject_id: None,
        action: vow_audit::Action::Destroy,
        categories: vec!["audit_log".into()],
        reason: Some(format!(
            "access log entries {}–{} archived to {name} and removed (kept {}: {why})",
            cut.from_seq,
            cut.to_seq,
            keep.to_english()
        )),
    };
    match store
        .apply_blocking(Request::logged(AuditOp::RecordCut(cut.clone()), entry))
        .context("cannot record the cut")?
    {
        Outcome::Created => {}
        _ => {
            store.close_blocking();
            bail!(
                "the log changed while it was archived (another archive ran at the same time?); \
                 nothing was removed; {} is a valid archive but not recorded: remove it and run again",
                out.display()
            );
        }
    }
    let removed = prune(&store, cut.to_seq)?;
    store.close_blocking();
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    crate::out::println(format_args!(
        "Archived entries {}–{} ({} entries, {} to {}) to {} ({:.1} MB), sealed by the audit key; \
         {removed} rows removed from the database.\n\
         Prove it any time, even without the database: vow audit verify-archive {} --key-file KEYS",
        cut.from_seq,
        cut.to_seq,
        cut.entries,
        day(cut.first_at_ms),
        day(cut.last_at_ms),
        out.display(),
        size as f64 / 1e6,
        crate::vault_cli::shell_word(&out.display().to_string()),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Removes the rows through `to_seq` (a recorded cut) in batches; how many.
fn prune(store: &Store, to_seq: u64) -> anyhow::Result<u64> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("removing archived rows");
    let mut removed = 0u64;
    loop {
        match store
            .apply_blocking(Request::unlogged(AuditOp::PruneArchived {
                through_seq: to_seq,
                limit: PRUNE_BATCH,
            }))
            .context("cannot remove archived rows")?
        {
            Outcome::Removed(n) => {
                removed += n;
                bar.set_position(removed);
                bar.tick();
                if n < PRUNE_BATCH as u64 {
                    bar.finish_and_clear();
                    return Ok(removed);
                }
            }
            other => bail!("the store refused to remove archived rows: {other:?}"),
        }
    }
}

fn day(at_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .map(|t| t.to_offset(vow_engine::marketing::KST).date().to_string())
        .unwrap_or_else(|_| "?".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{keep_from, retention, MANY_SUBJECTS};
    use time::macros::date;
    use vow_policy::model::{DataClass, Period};

    #[test]
    fn the_law_floor_wins_over_a_shorter_policy_period() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/policies/imagesfactory.toml"
        );
        let mut policy = vow_policy::load(std::path::Path::new(path)).unwrap();
        assert_eq!(retention(&policy, 10).0, Period::Years(1));
        let (keep, why) = retention(&policy, MANY_SUBJECTS);
        assert_eq!(keep, Period::Years(2));
        assert!(why.contains("50,000"), "{why}");
        policy.categories[0].class = DataClass::Sensitive;
        assert_eq!(retention(&policy, 10).0, Period::Years(2));
        policy.safety = None;
        assert_eq!(
            retention(&policy, 10).0,
            Period::Years(2),
            "unstated: two years"
        );
    }

    #[test]
    fn the_kept_period_is_counted_on_the_calendar() {
        assert_eq!(
            keep_from(date!(2026 - 12 - 06), Period::Years(1)),
            date!(2025 - 12 - 06)
        );
        assert_eq!(
            keep_from(date!(2026 - 12 - 06), Period::Years(2)),
            date!(2024 - 12 - 06)
        );
        assert_eq!(
            keep_from(date!(2028 - 02 - 29), Period::Years(1)),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            keep_from(date!(2026 - 03 - 31), Period::Months(1)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            keep_from(date!(2026 - 01 - 15), Period::Months(13)),
            date!(2024 - 12 - 15)
        );
        assert_eq!(
            keep_from(date!(2026 - 01 - 15), Period::Days(400)),
            date!(2024 - 12 - 11)
        );
    }
}
