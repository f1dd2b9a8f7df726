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
use vow_policy::lint::{access_log_floor, MANY_SUBJECTS};
use vow_policy::model::Period;
use vow_store::{AuditOp, Outcome, Request, Store};

use crate::vault_cli::{open_log, OutputFormat, VaultArgs};

/// Rows removed per transaction once the archive is safe.
const PRUNE_BATCH: usize = 10_000;

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
/// linking to the one before, and — when the database's `cuts` are given (`None` only with no
/// database at hand) — each one of them: a database with no cuts recorded has no archive.
pub(crate) fn check_archives(
    files: &[PathBuf],
    expected: Option<&AuditVerifier>,
    cuts: Option<&[Cut]>,
) -> anyhow::Result<Archives> {
    let mut found = Archives::default();
    for path in files {
        let verification = vow_audit::verify_archive(path, expected)
            .with_context(|| format!("cannot read the archive {}", path.display()))?;
        found.checked.push((path.clone(), verification));
    }
    found
        .checked
        .sort_by_key(|(_, v)| v.cut.as_ref().map_or((0, 0), |c| (c.chain, c.from_seq)));
    let sealed: Vec<(&PathBuf, &Cut)> = found
        .checked
        .iter()
        .filter(|(_, v)| v.is_intact())
        .filter_map(|(p, v)| v.cut.as_ref().map(|c| (p, c)))
        .collect();
    let mut problems = Vec::new();
    for pair in sealed.windows(2) {
        let ((first_path, first), (next_path, next)) = (pair[0], pair[1]);
        if first.chain != next.chain {
            // Each chain's archives follow each other; chains are independent.
            continue;
        }
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
    if let Some(cuts) = cuts {
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
/// does not slip entries into the officer's review. With them, the last seq each chain's archives
/// reach: the database may still hold entries up to it, when a prune was interrupted.
pub(crate) fn entries_of(
    files: &[PathBuf],
    expected: &AuditVerifier,
    cuts: &[Cut],
) -> anyhow::Result<(
    std::collections::BTreeMap<u32, u64>,
    impl Iterator<Item = Result<Entry, AuditError>>,
)> {
    let checked = check_archives(files, Some(expected), Some(cuts))?;
    if !checked.intact() {
        let mut text = Vec::new();
        checked.write_text(&mut text)?;
        bail!(
            "an archive does not verify, so its entries are not reviewed:\n{}",
            String::from_utf8_lossy(&text)
        );
    }
    let mut through = std::collections::BTreeMap::new();
    for cut in checked.checked.iter().filter_map(|(_, v)| v.cut.as_ref()) {
        let reached = through.entry(cut.chain).or_insert(0);
        *reached = cut.to_seq.max(*reached);
    }
    let mut iterators = Vec::new();
    for (path, _) in &checked.checked {
        iterators.push(
            vow_audit::archive_entries(path)
                .with_context(|| format!("cannot read the archive {}", path.display()))?,
        );
    }
    Ok((through, iterators.into_iter().flatten()))
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
    // No database here: the archives are checked against each other and their seals only.
    let found = check_archives(files, expected.as_ref(), None)?;
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

/// The first day (Korea time) whose entries must still be kept: `keep` before today. A period
/// reaching back past the calendar (`20000y`) gives `Date::MIN`: nothing is old enough to go.
fn keep_from(today: time::Date, keep: Period) -> time::Date {
    let back_months = |months: u32| -> Option<time::Date> {
        let total = today
            .year()
            .checked_mul(12)?
            .checked_add(i32::from(u8::from(today.month())) - 1)?
            .checked_sub(i32::try_from(months).ok()?)?;
        let year = total.div_euclid(12);
        let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
        let last_day = time::util::days_in_month(month, year);
        time::Date::from_calendar_date(year, month, today.day().min(last_day)).ok()
    };
    let back_days = |days: u32| today.checked_sub(time::Duration::days(i64::from(days)));
    match keep {
        Period::Years(n) => n.checked_mul(12).and_then(back_months),
        Period::Months(n) => back_months(n),
        Period::Days(n) => back_days(n),
        Period::Hours(n) => back_days(n.div_ceil(24)),
    }
    .unwrap_or(time::Date::MIN)
}

/// The access records' period the policy states (two years when it says none).
fn stated_retention(policy: &vow_policy::model::Policy) -> Period {
    policy
        .safety
        .as_ref()
        .map_or(Period::Years(2), |s| s.access_log_retention)
}

/// Whether the number of subjects can move the law's floor above the policy's period: not when the
/// policy keeps two years already, nor when its data alone asks two years. Only then are the
/// subjects counted (round trips to the store).
fn subjects_matter(policy: &vow_policy::model::Policy) -> bool {
    let two_years = Period::Years(2).max_hours();
    stated_retention(policy).max_hours() < two_years
        && access_log_floor(policy, None).0.max_hours() < two_years
}

/// How long this vault's access records must be kept: the policy's period, never less than the
/// law's floor for what it processes and how many people it holds (`None`: not counted, as it
/// cannot matter — see [`subjects_matter`]).
fn retention(policy: &vow_policy::model::Policy, subjects: Option<usize>) -> (Period, String) {
    let stated = stated_retention(policy);
    let (floor, why) = access_log_floor(policy, subjects);
    if stated.max_hours() >= floor.max_hours() {
        (
            stated,
            "the policy's [safety] access_log_retention".to_string(),
        )
    } else {
        let why = why.map(|why| format!(", as {why}")).unwrap_or_default();
        (
            floor,
            format!(
                "by law{why}; longer than the policy's {}",
                stated.to_english()
            ),
        )
    }
}

/// Why archiving the entries before `before_day` is refused, or `None` when it may go ahead:
/// `youngest` is the first day whose entries are still kept.
fn refusal(
    before_day: time::Date,
    youngest: time::Date,
    keep: Period,
    why: &str,
) -> Option<String> {
    let keep = keep.to_english();
    if youngest == time::Date::MIN {
        Some(format!(
            "the access log is kept {keep} ({why}), which reaches back before any date: no entry \
             is old enough to archive; nothing was archived"
        ))
    } else if before_day > youngest {
        Some(format!(
            "entries before {before_day} are not all {keep} old, and the access log is kept {keep} \
             ({why}); the latest --before allowed today is {youngest}; nothing was archived"
        ))
    } else {
        None
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
    let subjects = if subjects_matter(&policy) {
        Some(count_subjects(&store)?)
    } else {
        None
    };
    let (keep, why) = retention(&policy, subjects);
    let now = time::OffsetDateTime::now_utc().to_offset(vow_engine::marketing::KST);
    let youngest = keep_from(now.date(), keep);
    if let Some(refused) = refusal(before_day, youngest, keep, &why) {
        store.close_blocking();
        bail!("{refused}");
    }
    let before_ms = before_day
        .midnight()
        .assume_offset(vow_engine::marketing::KST)
        .unix_timestamp()
        .saturating_mul(1000);

    let recorded = cuts(&store)?;
    let mut checkpoints = Vec::new();
    for path in args.checkpoint_files() {
        if path.exists() {
            checkpoints.extend(
                vow_audit::CheckpointFile::read_all(&path)
                    .with_context(|| format!("cannot read the checkpoints {}", path.display()))?,
            );
        }
    }
    let heads = store
        .audit_heads_blocking()
        .context("cannot read the access log")?;
    let several = heads.len() > 1;
    let mut archived = Vec::new();
    for head in heads {
        let file = chain_file(out, head.chain, several);
        let job = ChainArchive {
            store: &store,
            keys: &keys,
            recorded: &recorded,
            checkpoints: &checkpoints,
            before_ms,
            head: &head,
            out: &file,
            keep: keep.to_english(),
            why: &why,
        };
        match job.run() {
            Ok(Some(done)) => archived.push(done),
            Ok(None) => {}
            Err(error) => {
                store.close_blocking();
                // Chains archived before the failure stay archived: say which, so none is lost track of.
                report_archived(&archived)?;
                return Err(error);
            }
        }
    }
    store.close_blocking();
    if archived.is_empty() {
        crate::out::println(format_args!(
            "No entries before {before_day} are left in the database: nothing to archive."
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    report_archived(&archived)?;
    Ok(ExitCode::SUCCESS)
}

/// What `vow audit archive` archived: each chain's file, and how to prove them.
fn report_archived(archived: &[(Cut, u64, PathBuf)]) -> anyhow::Result<()> {
    if archived.is_empty() {
        return Ok(());
    }
    for (cut, removed, file) in archived {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let chain = if cut.chain == 0 {
            String::new()
        } else {
            format!(" of chain {}", cut.chain)
        };
        crate::out::println(format_args!(
            "Archived entries {}–{}{chain} ({} entries, {} to {}) to {} ({:.1} MB), sealed by the \
             audit key; {removed} rows removed from the database.",
            cut.from_seq,
            cut.to_seq,
            cut.entries,
            day(cut.first_at_ms),
            day(cut.last_at_ms),
            file.display(),
            size as f64 / 1e6,
        ))?;
    }
    let files: Vec<String> = archived
        .iter()
        .map(|(_, _, file)| crate::vault_cli::shell_word(&file.display().to_string()))
        .collect();
    crate::out::println(format_args!(
        "Prove it any time, even without the database: vow audit verify-archive {} --key-file KEYS",
        files.join(" ")
    ))?;
    Ok(())
}

/// Where one chain's archive goes: `--out` itself for a log of one chain; with several, each
/// chain's own file beside it (`2025.jsonl` → `2025.chain3.jsonl`; chain 0 keeps the name).
fn chain_file(out: &Path, chain: u32, several: bool) -> PathBuf {
    if !several || chain == 0 {
        return out.to_path_buf();
    }
    let stem = out.file_stem().map_or_else(
        || "archive".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = match out.extension() {
        Some(ext) => format!("{stem}.chain{chain}.{}", ext.to_string_lossy()),
        None => format!("{stem}.chain{chain}"),
    };
    out.with_file_name(name)
}

/// One chain's part of `vow audit archive`.
struct ChainArchive<'a> {
    store: &'a Store,
    keys: &'a vow_crypto::KeyRing,
    recorded: &'a [Cut],
    checkpoints: &'a [vow_audit::Checkpoint],
    before_ms: i64,
    /// The chain's newest entry when the archive began.
    head: &'a Entry,
    out: &'a Path,
    keep: String,
    why: &'a str,
}

impl ChainArchive<'_> {
    /// Writes, verifies, records and prunes this chain's archive; the cut, the rows removed and
    /// the file, or `None` when nothing of the chain is old enough.
    fn run(&self) -> anyhow::Result<Option<(Cut, u64, PathBuf)>> {
        let chain = self.head.chain;
        let newest_cut = self.recorded.iter().rev().find(|c| c.chain == chain);
        let (from_seq, prev_hash) = newest_cut.map_or((1, vow_audit::GENESIS), |c| {
            (c.to_seq.saturating_add(1), c.head_hash)
        });
        // A prune that an earlier run did not finish is finished first.
        if let Some(cut) = newest_cut {
            prune(self.store, chain, cut.to_seq)?;
        }
        // A chain keeps an entry after its cut, so verification can tell it was archived, not
        // removed: on the chain this process writes, the archiving's own entry; on any other, the
        // chain's newest entry stays.
        let last_seq = if chain == self.store.chain() {
            self.head.seq
        } else {
            self.head.seq.saturating_sub(1)
        };
        let start = vow_audit::Position {
            chain,
            seq: from_seq.saturating_sub(1),
        };
        let archivable =
            |e: &Entry| e.chain == chain && e.seq <= last_seq && e.at_ms < self.before_ms;
        // Nothing of this chain old enough: no file is made (so `--out` stays free for a run that
        // has something to write).
        let first = self
            .store
            .audit_page_blocking(start, 1)
            .context("cannot read the access log")?;
        if !first.first().is_some_and(archivable) {
            return Ok(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("writing the archive");
        let mut written = 0u64;
        let entries = self
            .store
            .audit_entries_after_blocking(start)
            .take_while(|e| e.as_ref().map_or(true, archivable))
            .inspect(|_| {
                written += 1;
                if written.is_multiple_of(10_000) {
                    bar.set_position(written);
                    bar.tick();
                }
            });
        let sealed = vow_audit::write_archive(
            self.out,
            entries,
            prev_hash,
            self.checkpoints,
            self.keys.signing_key(),
        )
        .context("cannot read the access log")?;
        bar.finish_and_clear();
        let cut = match sealed {
            Ok(cut) => cut,
            Err(vow_audit::ArchiveError::Empty) => return Ok(None),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot archive to {}", self.out.display()))
            }
        };
        // Read back from the disk before anything is removed.
        let verifier = self.keys.signing_key().verifying_key();
        let check = vow_audit::verify_archive(self.out, Some(&verifier))
            .with_context(|| format!("cannot read back {}", self.out.display()))?;
        if !check.is_intact() {
            bail!(
                "the archive {} does not verify after writing ({check}); nothing was removed",
                self.out.display()
            );
        }
        let name = self.out.file_name().map_or_else(
            || self.out.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let of_chain = if chain == 0 {
            String::new()
        } else {
            format!(" of chain {chain}")
        };
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
                "access log entries {}–{}{of_chain} archived to {name} and removed (kept {}: {})",
                cut.from_seq, cut.to_seq, self.keep, self.why
            )),
        };
        match self
            .store
            .apply_blocking(Request::logged(AuditOp::RecordCut(cut.clone()), entry))
            .context("cannot record the cut")?
        {
            Outcome::Created => {}
            _ => bail!(
                "the log changed while it was archived (another archive ran at the same time?); \
                 nothing was removed; {} is a valid archive but not recorded: remove it and run again",
                self.out.display()
            ),
        }
        let removed = prune(self.store, chain, cut.to_seq)?;
        Ok(Some((cut, removed, self.out.to_path_buf())))
    }
}

/// Removes the rows of `chain` through `to_seq` (a recorded cut) in batches; how many.
fn prune(store: &Store, chain: u32, to_seq: u64) -> anyhow::Result<u64> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("removing archived rows");
    let mut removed = 0u64;
    loop {
        match store
            .apply_blocking(Request::unlogged(AuditOp::PruneArchived {
                chain,
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
    use super::{keep_from, refusal, retention, subjects_matter, MANY_SUBJECTS};
    use time::macros::date;
    use vow_policy::model::{DataClass, Period};

    #[test]
    fn the_law_floor_wins_over_a_shorter_policy_period() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/policies/imagesfactory.toml"
        );
        let mut policy = vow_policy::load(std::path::Path::new(path)).unwrap();
        assert_eq!(retention(&policy, Some(10)).0, Period::Years(1));
        let (keep, why) = retention(&policy, Some(MANY_SUBJECTS));
        assert_eq!(keep, Period::Years(2));
        assert!(why.contains("50,000"), "{why}");
        policy.categories[0].class = DataClass::Sensitive;
        assert_eq!(retention(&policy, Some(10)).0, Period::Years(2));
        policy.safety = None;
        assert_eq!(
            retention(&policy, Some(10)).0,
            Period::Years(2),
            "unstated: two years"
        );
    }

    #[test]
    fn subjects_are_counted_only_when_their_number_can_move_the_floor() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/policies/imagesfactory.toml"
        );
        let mut policy = vow_policy::load(std::path::Path::new(path)).unwrap();
        assert!(subjects_matter(&policy), "one year stated, no strict data");
        let (keep, why) = retention(&policy, Some(0));
        assert_eq!(keep, Period::Years(1));
        assert!(why.contains("access_log_retention"), "{why}");
        let safety = policy.safety.as_mut().unwrap();
        safety.access_log_retention = Period::Months(6);
        let (keep, why) = retention(&policy, Some(10));
        assert_eq!(keep, Period::Years(1));
        assert!(
            why.starts_with("by law;") && why.contains("6 months") && !why.contains("50,000"),
            "{why}"
        );
        for stated in [Period::Years(2), Period::Months(24), Period::Years(5)] {
            policy.safety.as_mut().unwrap().access_log_retention = stated;
            assert!(!subjects_matter(&policy), "{stated}");
            assert_eq!(
                retention(&policy, None),
                retention(&policy, Some(MANY_SUBJECTS))
            );
        }
        policy.safety.as_mut().unwrap().access_log_retention = Period::Years(1);
        policy.categories[0].class = DataClass::UniqueIdentifier;
        assert!(!subjects_matter(&policy), "the data alone asks two years");
        assert_eq!(
            retention(&policy, None),
            retention(&policy, Some(MANY_SUBJECTS))
        );
        assert_eq!(retention(&policy, None).0, Period::Years(2));
    }

    #[test]
    fn a_period_past_the_calendar_keeps_everything() {
        let today = date!(2026 - 12 - 06);
        let century_ago = date!(1926 - 12 - 06);
        for keep in [
            Period::Years(20_000),
            Period::Years(200_000_000),
            Period::Years(u32::MAX),
            Period::Months(u32::MAX),
            Period::Months(u32::MAX / 2 + 1),
            Period::Days(u32::MAX),
            Period::Hours(u32::MAX),
        ] {
            let from = keep_from(today, keep);
            assert!(from <= century_ago, "{keep}: {from}");
            assert_eq!(from, time::Date::MIN, "{keep}");
        }
        // Long but on the calendar: counted as ever.
        assert_eq!(
            keep_from(today, Period::Years(9_000)),
            time::Date::from_calendar_date(-6974, time::Month::December, 6).unwrap()
        );
        // And the refusal says nothing is old enough, not that some day before -9999 would do.
        let said = refusal(
            today,
            time::Date::MIN,
            Period::Years(20_000),
            "the policy's [safety] access_log_retention",
        )
        .unwrap();
        assert!(said.contains("20000 years"), "{said}");
        assert!(said.contains("no entry is old enough"), "{said}");
        assert!(said.contains("nothing was archived"), "{said}");
        assert!(!said.contains("-9999"), "{said}");
        for before in [time::Date::MIN, date!(1900 - 01 - 01)] {
            assert!(refusal(before, time::Date::MIN, Period::Years(20_000), "").is_some());
        }
        // On the calendar, the first day still kept is the latest --before allowed.
        let (youngest, kept) = (date!(2025 - 12 - 06), Period::Years(1));
        assert!(refusal(youngest, youngest, kept, "").is_none());
        assert!(refusal(youngest.next_day().unwrap(), youngest, kept, "").is_some());
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
