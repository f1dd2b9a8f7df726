//! `vow policy publish`: the policy's public life as a static site, written whole or not at all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use vow_policy::{
    check, read_limited, CheckOutcome, CheckStatus, Date, Policy, PublishOptions, Version,
};

pub const PUBLISH_LONG_ABOUT: &str = "\
Publish the privacy policy as a static site: the version in force, every earlier version, a
version announced to come, a page per change, and the change notice, in Korean and English.

What the site holds (each URL stays the same once published):
  index.html, en.html                     the version in force
  history/ko.html, history/en.html        every version, newest first
  versions/<version>/ko.html, en.html     one version; policy.json, ko.json, en.json as data
  changes/<version>/ko.html, en.html      what changed from the version before: each change,
                                          material or ordinary, announced when, effective when
  changes/<version>/notice.ko.txt, ...    the notice for the service's 공지사항, and email.ko.txt
                                          (with its subject line) for the e-mail to members
  versions.json                           every version with its status and URLs

Earlier versions come from --history, a directory of the policy files as they were published
(their [policy] version, announced and effective dates place them), or with --git-history from
the commits of FILE in its git repository. A version whose effective date is after today is
published as announced, and the version before it stays in force until the day before.

FILE is checked first: publishing refuses an invalid file (exit 2) and a file with lint
findings that are not waived (exit 1), since the public document must not have gaps. The site
is written to a temporary directory beside --out and moved into place only when complete.";

pub const PUBLISH_AFTER_LONG_HELP: &str = "\
Examples:
  vow policy publish vow-policy.toml --out site
  vow policy publish vow-policy.toml --history policy-history --out site
  vow policy publish vow-policy.toml --git-history --out site
  vow policy publish vow-policy.toml --history policy-history --out site \\
      --base-url https://example.com/privacy --as-of 2025-11-23

Exit codes:
  0  the site was written
  1  FILE has lint findings that are not waived (nothing was written)
  2  a file cannot be read or is invalid, or --out cannot be written (nothing was written)";

/// Arguments of `vow policy publish`.
#[derive(Args)]
pub struct PublishArgs {
    /// The policy file to publish: the newest version.
    pub file: PathBuf,
    /// The directory to write the site to. Replaced whole if it holds an earlier site by vow.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A directory of earlier versions of the policy file (*.toml), as they were published.
    #[arg(long, value_name = "DIR", conflicts_with = "git_history")]
    pub history: Option<PathBuf>,
    /// Take the earlier versions from FILE's own git history: for each version label, the file as last
    /// committed with it.
    #[arg(long)]
    pub git_history: bool,
    /// Where the site will be served, for the links in notices and e-mails (e.g.
    /// https://example.com/privacy). Without it they carry the site's relative paths.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Publish as of this day (YYYY-MM-DD): decides which version is in force. Default: today in
    /// Korea (UTC+9).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// The file that marks a directory as a site vow wrote, so that --out never replaces anything else.
const SITE_MARK: &str = "versions.json";

pub fn run(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let origin = args.file.display().to_string();
    let outcome = match read_limited(&args.file) {
        Ok(bytes) => check(&bytes, &origin),
        Err(err) => CheckOutcome::from_load_error(&origin, &err),
    };
    let policy = match (outcome.status(), &outcome.policy) {
        (CheckStatus::Clean, Some(policy)) => policy.clone(),
        (CheckStatus::Findings, Some(_)) => {
            crate::out::print(outcome.to_text())?;
            eprintln!(
                "error: {origin} has lint findings that are not waived; a published policy must not have gaps. \
                 Fix them, or waive a rule that does not apply with a [[waiver]] and its reason. Nothing was written."
            );
            return Ok(ExitCode::from(1));
        }
        _ => {
            crate::out::print(outcome.to_text())?;
            eprintln!("error: {origin} is not a valid policy file; nothing was written");
            return Ok(ExitCode::from(2));
        }
    };
    let today = match &args.as_of {
        Some(text) => text
            .parse::<Date>()
            .map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
        None => today_in_korea(),
    };
    if let Some(base) = &args.base_url {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            bail!("--base-url {base}: give an absolute http(s) URL, such as https://example.com/privacy");
        }
    }
    let mut versions = match &args.history {
        Some(dir) => read_history(dir, &policy)?,
        None if args.git_history => read_git_history(&args.file, &policy)?,
        None => Vec::new(),
    };
    // A notice given too late is the service's to fix, not a sentence for the public site (the change page
    // then states only the dates); say it here, as `vow policy diff` would.
    if let Some(previous) = versions.iter().max_by_key(|v| v.policy.policy.effective) {
        let notice = vow_policy::diff(&previous.policy, &policy).notice;
        if !notice.ok {
            eprintln!(
                "warning: {origin} (version {}) after {} (version {}): {}",
                policy.policy.version, previous.source, previous.policy.policy.version, notice.en
            );
        }
    }
    versions.push(Version {
        source: origin,
        policy,
    });
    let files = vow_policy::publish(
        versions,
        &PublishOptions {
            today,
            base_url: args.base_url.clone(),
        },
    )?;
    write_site(&args.out, &files)?;
    crate::out::println(format_args!(
        "published {} files to {} (open {})",
        files.len(),
        args.out.display(),
        args.out.join("index.html").display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn today_in_korea() -> Date {
    // Korea keeps no daylight saving time: UTC+9 all year.
    let offset = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
    Date(time::OffsetDateTime::now_utc().to_offset(offset).date())
}

/// Reads every `*.toml` in `dir` as an earlier version. Each must be a valid policy file, older than the one
/// being published; lint findings in them are history and do not stop publishing.
pub(crate) fn read_history(dir: &Path, current: &Policy) -> anyhow::Result<Vec<Version>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "--history {}: cannot read the directory (it should hold earlier policy files, *.toml)",
            dir.display()
        )
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("--history {}: cannot read the directory", dir.display()))?
            .path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        bail!(
            "--history {}: no policy files (*.toml) in it; put the earlier versions there, or leave out --history",
            dir.display()
        );
    }
    paths.sort();
    let mut versions = Vec::new();
    for path in paths {
        let origin = path.display().to_string();
        let outcome = match read_limited(&path) {
            Ok(bytes) => check(&bytes, &origin),
            Err(err) => CheckOutcome::from_load_error(&origin, &err),
        };
        let Some(policy) = outcome
            .policy
            .clone()
            .filter(|_| outcome.status() != CheckStatus::Invalid)
        else {
            bail!(
                "{origin}: not a valid policy file, so it cannot be published as an earlier version:\n{}",
                outcome.to_text().trim_end()
            );
        };
        // The history directory may also hold a copy of the version being published.
        if policy == *current {
            continue;
        }
        if policy.policy.effective >= current.policy.effective {
            bail!(
                "{origin}: version {} takes effect on {}, not before the policy being published (version {}, {}); \
                 --history holds earlier versions only",
                policy.policy.version,
                policy.policy.effective,
                current.policy.version,
                current.policy.effective
            );
        }
        versions.push(Version {
            source: origin,
            policy,
        });
    }
    Ok(versions)
}

/// Reads the earlier versions of `file` from its git history. Commits come newest first, so the first text
/// seen for a version label is the last one committed with it: the text that was published. Commits where
/// the file was not a valid policy (a work in progress) are skipped with a note.
fn read_git_history(file: &Path, current: &Policy) -> anyhow::Result<Vec<Version>> {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = file
        .file_name()
        .with_context(|| format!("{}: not a file name", file.display()))?;
    let git = |args: &[&std::ffi::OsStr]| -> anyhow::Result<Vec<u8>> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .with_context(|| {
                format!(
                    "--git-history: cannot run git for {} (is git installed?)",
                    file.display()
                )
            })?;
        if !output.status.success() {
            bail!(
                "--git-history: {} is not in a git repository, or git failed: {}; give the earlier versions with --history DIR",
                file.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(output.stdout)
    };
    let log = git(&["log".as_ref(), "--format=%H".as_ref(), "--".as_ref(), name])?;
    let mut relative = std::ffi::OsString::from("./");
    relative.push(name);
    let mut versions: Vec<Version> = Vec::new();
    for commit in String::from_utf8_lossy(&log)
        .lines()
        .filter(|l| !l.is_empty())
    {
        let short = &commit[..commit.len().min(10)];
        let mut spec = std::ffi::OsString::from(format!("{commit}:"));
        spec.push(&relative);
        let Ok(bytes) = git(&["show".as_ref(), spec.as_os_str()]) else {
            continue; // the file did not exist under this name in that commit
        };
        let origin = format!("{} at commit {short}", file.display());
        let outcome = check(&bytes, &origin);
        let Some(policy) = outcome
            .policy
            .clone()
            .filter(|_| outcome.status() != CheckStatus::Invalid)
        else {
            eprintln!(
                "note: {origin} is not a valid policy file; that commit is not a published version"
            );
            continue;
        };
        let label = &policy.policy.version;
        if *label == current.policy.version
            || versions.iter().any(|v| v.policy.policy.version == *label)
        {
            continue;
        }
        if policy.policy.effective >= current.policy.effective {
            bail!(
                "{origin}: version {label} takes effect on {}, not before the policy being published (version {}, {})",
                policy.policy.effective,
                current.policy.version,
                current.policy.effective
            );
        }
        versions.push(Version {
            source: origin,
            policy,
        });
    }
    Ok(versions)
}

/// Writes the site to a temporary directory beside `out`, then moves it into place: a reader sees the old
/// site or the new one, never half of one, and a failure leaves `out` as it was.
fn write_site(out: &Path, files: &[vow_policy::SiteFile]) -> anyhow::Result<()> {
    if out.exists() {
        let is_site = out.is_dir() && out.join(SITE_MARK).is_file();
        let is_empty_dir = out.is_dir()
            && std::fs::read_dir(out)
                .with_context(|| format!("--out {}: cannot read it", out.display()))?
                .next()
                .is_none();
        if !is_site && !is_empty_dir {
            bail!(
                "--out {}: exists and is not a site written by vow policy publish (no {SITE_MARK}); \
                 choose a new or empty directory",
                out.display()
            );
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).with_context(|| {
        format!(
            "--out {}: cannot create {}",
            out.display(),
            parent.display()
        )
    })?;
    let staging = tempfile::Builder::new()
        .prefix(".vow-publish-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a directory in {}", parent.display()))?;
    for file in files {
        let path = staging.path().join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // A site is a set of documents to serve, not secrets: readable like any directory the user creates.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let staged = staging.keep();
    let replaced = if out.exists() {
        let old = parent.join(format!(
            ".vow-publish-old-{}",
            out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        if old.exists() {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove {}", old.display()))?;
        }
        std::fs::rename(out, &old)
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        Some(old)
    } else {
        None
    };
    if let Err(err) = std::fs::rename(&staged, out) {
        // Put the old site back, so a failure changes nothing.
        if let Some(old) = &replaced {
            let _ = std::fs::rename(old, out);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(err).with_context(|| format!("cannot write {}", out.display()));
    }
    if let Some(old) = replaced {
        std::fs::remove_dir_all(&old).with_context(|| {
            format!(
                "the new site is in place; cannot remove the old one at {}",
                old.display()
            )
        })?;
    }
    Ok(())
}
