//! `vow scan` and `vow redact`: finding and removing personal data in chat logs, exports and training sets.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vow_pii::{
    decrypt_stream, process, Entity, Format as PiiFormat, Job, Key, Limits, Operator, Outcome,
    Redactor, Report, Scanner,
};

use crate::atomic::AtomicFile;

/// How a report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// For people: a table per kind with masked examples, one line per file.
    #[default]
    Text,
    /// For programs: one JSON document with every finding's byte offsets.
    Json,
}

/// The format of the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// From the file name: .csv, .tsv, .json, .jsonl/.ndjson; anything else is text.
    #[default]
    Auto,
    /// Plain text or Markdown, any size, line by line.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON document (up to 256 MB).
    Json,
    /// JSON Lines: one JSON value per line, any size.
    Jsonl,
}

impl InputFormat {
    fn resolve(self, name: &str) -> PiiFormat {
        match self {
            InputFormat::Auto => PiiFormat::from_extension(name),
            InputFormat::Text => PiiFormat::Text,
            InputFormat::Csv => PiiFormat::Csv,
            InputFormat::Tsv => PiiFormat::Tsv,
            InputFormat::Json => PiiFormat::Json,
            InputFormat::Jsonl => PiiFormat::Jsonl,
        }
    }
}

fn format_name(f: PiiFormat) -> &'static str {
    match f {
        PiiFormat::Text => "text",
        PiiFormat::Csv => "csv",
        PiiFormat::Tsv => "tsv",
        PiiFormat::Json => "json",
        PiiFormat::Jsonl => "jsonl",
    }
}

pub const SCAN_LONG_ABOUT: &str = "\
Find personal data in files: resident and foreigner registration numbers, phone numbers, card
numbers, e-mail addresses, names and postal addresses, and the other kinds listed below, in
Korean and English text, CSV, JSON and JSON Lines.

Each candidate is validated as far as its format allows (the date and check digit of a
resident number, Luhn for cards, the region code of a driver licence) and scored from 0 to 1;
context words around it (\"주민번호\", \"phone\", \"계좌\") raise the score, words that name
look-alikes (\"주문번호\", \"tracking\", \"version\") lower it. Findings scored below
--min-score are not reported.

The report shows counts per kind and per file (per column for CSV) with examples masked, never
in clear. Directories are searched recursively; hidden directories (.git) are skipped, and
binary files (a NUL byte in the first 8 KiB) are listed as skipped.";

pub fn scan_after_long_help() -> String {
    let mut help = String::from(
        "\
Examples:
  vow scan chat-logs/                         a table of what was found, by kind and file
  vow scan export.csv --format json           every finding with byte offsets, line and masked value
  vow scan --fail-at 0.9 data/                CI or pre-commit: exit 1 only on near-certain findings
  git diff | vow scan -                       standard input; the report goes to standard output

Exit codes:
  0  nothing scored at or above --fail-at
  1  something scored at or above --fail-at
  2  a path cannot be read, or an input is invalid (broken CSV quoting, invalid JSON)

Kinds: ",
    );
    let names: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
    help.push_str(&names.join(", "));
    help
}

/// Arguments of `vow scan`.
#[derive(Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories recursively), or `-` for standard input (read as
    /// text unless --input-format says otherwise).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// `text` prints a table for people; `json` prints {files[{path, format, bytes, counts, examples,
    /// columns, findings[{entity, start, end, line, score, validation, masked}]}], totals, failed}.
    /// The JSON report holds every finding in memory; the text report only counts.
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    pub format: OutFormat,
    /// Exit with status 1 when any finding scores at least this (0 to 1).
    #[arg(long, value_name = "SCORE", default_value_t = 0.5)]
    pub fail_at: f32,
    /// Report findings scoring at least this (0 to 1). 0.5 keeps every validated value and every
    /// context-anchored one with its context word.
    #[arg(long, value_name = "SCORE", default_value_t = vow_pii::DEFAULT_MIN_SCORE)]
    pub min_score: f32,
    /// The input format; by default from each file's extension.
    #[arg(long = "input-format", value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
}

pub const REDACT_LONG_ABOUT: &str = "\
Copy a file with its personal data removed, keeping every other byte as it was.

What replaces each finding is chosen per kind with --operator:
  mask          keep what people recognise their own data by: 010-****-5678, 901231-1******,
                김**, 서울특별시 강남구 **** (an address keeps its region)
  replace       the kind in angle brackets: <KR_RRN>
  hash          a keyed HMAC-SHA256 tag, equal for equal values in every file and run
  pseudonymize  a consistent fake in the same format (real date, valid check digit, Luhn):
                the same person stays the same fake person across a whole training set
  encrypt       reversible AES-256-GCM-SIV token <ENC:KR_RRN:…>; --decrypt restores it
  keep          leave this kind as it is
hash, pseudonymize and encrypt need --key-file: 32 bytes or more, e.g. `openssl rand -hex 32`.
Keep the key secret and keep it: without it tags cannot be matched nor values decrypted.

Text and Markdown, CSV, TSV and JSON Lines are streamed in constant memory on every core; a
single JSON document is read whole (up to 256 MB). Without -o the copy goes to standard output;
with -o OUTPUT it is written to a temporary file beside OUTPUT and renamed when complete, so a
failed run never leaves a truncated file under OUTPUT's name.";

pub const REDACT_AFTER_LONG_HELP: &str = "\
Examples:
  vow redact chat.log > chat.redacted.log        standard output when -o is not given
  vow redact chat.log -o chat.redacted.log       written atomically: complete or not at all
  vow redact users.csv -o users.safe.csv --operator pseudonymize --key-file vow.key
  vow redact train.jsonl -o train.safe.jsonl --operator replace --operator EMAIL=hash --key-file vow.key
  vow redact support.txt -o support.enc.txt --operator encrypt --key-file vow.key
  vow redact support.enc.txt -o support.txt --decrypt --key-file vow.key
  cat log.txt | vow redact -                   standard input to standard output

A summary (counts per kind and per column, examples masked) goes to standard error.

Exit codes:
  0  written (whether or not anything was found)
  2  the input cannot be read or is invalid, or the options are wrong; OUTPUT is left untouched";

/// Arguments of `vow redact`.
#[derive(Args)]
pub struct RedactArgs {
    /// The file to redact, or `-` for standard input.
    pub input: PathBuf,
    /// Where to write the redacted copy (written beside it and renamed when complete). Without it, or
    /// with `-`, the copy goes to standard output.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
    /// `OP` for every kind, or `KIND=OP` for one (repeatable): mask, replace, hash, pseudonymize, encrypt,
    /// keep. Default: mask.
    #[arg(long = "operator", value_name = "[KIND=]OP")]
    pub operators: Vec<String>,
    /// The key for hash, pseudonymize, encrypt and --decrypt (at least 32 bytes of material).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The input format; by default from the input's extension (text for `-`).
    #[arg(long = "format", value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Remove findings scoring at least this (0 to 1).
    #[arg(long, value_name = "SCORE", default_value_t = vow_pii::DEFAULT_MIN_SCORE)]
    pub min_score: f32,
    /// Restore the values of <ENC:…> tokens written by `--operator encrypt` (needs the same key).
    #[arg(long)]
    pub decrypt: bool,
    /// How the summary on standard error is printed: text, json, or none.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub summary: SummaryFormat,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The summary `vow redact` prints on standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A table for people.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// Nothing.
    None,
}

fn threads(n: Option<usize>) -> usize {
    n.filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Today's date (UTC) from the system clock: resident numbers born after it are look-alikes.
fn today() -> vow_pii::Date {
    // A clock set before 1970 (or absurdly far ahead) is read as "no limit" rather than refusing every
    // number.
    let no_limit = vow_pii::Date {
        year: 9999,
        month: 12,
        day: 31,
    };
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs() / 86_400)
            .ok()
            .and_then(vow_pii::Date::from_unix_days)
            .unwrap_or(no_limit),
        Err(_) => no_limit,
    }
}

fn check_score(name: &str, v: f32) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&v) {
        bail!("{name} must be between 0 and 1, not {v}");
    }
    Ok(())
}

/// A progress bar on standard error for inputs over 32 MB, hidden when standard error is not a terminal.
fn progress_bar(len: Option<u64>) -> ProgressBar {
    match len {
        Some(len) if len > 32 << 20 && std::io::stderr().is_terminal() => {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        }
        _ => ProgressBar::hidden(),
    }
}

/// Runs `vow scan`.
pub fn run_scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    check_score("--fail-at", args.fail_at)?;
    check_score("--min-score", args.min_score)?;
    let scanner = Scanner::new()
        .with_today(today())
        .with_min_score(args.min_score.min(args.fail_at));
    let mut files = Vec::new();
    for p in &args.paths {
        collect_files(p, &mut files).with_context(|| format!("cannot read {}", p.display()))?;
    }
    let job = Job {
        scanner: &scanner,
        redactor: None,
        // Every finding is kept only for the JSON report (or to sort findings between --fail-at and
        // --min-score); the text report needs counts alone, so memory stays flat on huge files.
        collect: args.format == OutFormat::Json || args.fail_at < args.min_score,
        threads: threads(args.threads),
        limits: Limits::default(),
    };
    let mut results: Vec<serde_json::Value> = Vec::new();
    let mut totals = Report::default();
    let mut failed = false;
    let mut errors = 0;
    let mut text = String::new();
    for path in &files {
        let name = path.display().to_string();
        let format = args.input_format.resolve(&name);
        let mut file: Box<dyn Read> = if is_dash(path) {
            Box::new(std::io::stdin().lock())
        } else {
            match File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("error: cannot read {name}: {e}");
                    errors += 1;
                    continue;
                }
            }
        };
        let mut head = [0u8; 8192];
        let n = read_up_to(&mut file, &mut head)?;
        if head[..n].contains(&0) {
            text.push_str(&format!("{name}: skipped (binary)\n"));
            results.push(serde_json::json!({"path": name, "skipped": "binary"}));
            continue;
        }
        let len = if is_dash(path) {
            None
        } else {
            std::fs::metadata(path).ok().map(|m| m.len())
        };
        let reader = BufReader::with_capacity(
            1 << 20,
            std::io::Cursor::new(head[..n].to_vec()).chain(file),
        );
        let bar = progress_bar(len);
        let outcome = process(format, &job, reader, None::<&mut std::io::Sink>, &|b| {
            bar.inc(b)
        });
        bar.finish_and_clear();
        let mut outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {name}: {e}");
                errors += 1;
                continue;
            }
        };
        // Scored between fail-at and min-score: they decide the exit code but are not listed.
        let fails = outcome.report.max_score >= args.fail_at;
        failed |= fails;
        if args.fail_at < args.min_score {
            outcome.findings.retain(|f| f.score >= args.min_score);
            recount(&mut outcome);
        }
        text.push_str(&file_line(&name, &outcome.report));
        totals.merge(outcome.report.clone());
        results.push(serde_json::json!({
            "path": name,
            "format": format_name(format),
            "bytes": outcome.report.bytes,
            "counts": outcome.report.counts,
            "examples": outcome.report.examples,
            "columns": outcome.report.columns,
            "hard_cuts": outcome.report.hard_cuts,
            "findings": outcome.findings,
        }));
    }
    let mut out = crate::out::stdout();
    match args.format {
        OutFormat::Json => {
            let doc = serde_json::json!({
                "files": results,
                "totals": {"counts": totals.counts, "examples": totals.examples, "bytes": totals.bytes},
                "fail_at": args.fail_at,
                "failed": failed,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        OutFormat::Text => {
            write!(out, "{text}")?;
            write!(out, "{}", summary_table(&totals))?;
            if totals.total() == 0 && errors == 0 && !failed {
                writeln!(
                    out,
                    "No personal data found in {} file(s) (none scored {} or more).",
                    files.len(),
                    args.min_score
                )?;
            } else {
                writeln!(
                    out,
                    "{} file(s), {} finding(s){}",
                    files.len(),
                    totals.total(),
                    if failed {
                        format!("; at least one scored {} or more", args.fail_at)
                    } else {
                        String::new()
                    }
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::from(if errors > 0 {
        2
    } else {
        u8::from(failed)
    }))
}

/// Rebuilds counts from the kept findings (when --fail-at is below --min-score).
fn recount(o: &mut Outcome) {
    o.report.counts.clear();
    for f in &o.findings {
        *o.report.counts.entry(f.entity).or_default() += 1;
    }
    o.report
        .examples
        .retain(|e, _| o.report.counts.contains_key(e));
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn collect_files(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if is_dash(p) {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let meta = std::fs::metadata(p)?;
    if !meta.is_dir() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(p)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let ft = e.file_type()?;
        if ft.is_dir() {
            if !name.to_string_lossy().starts_with('.') {
                collect_files(&e.path(), out)?;
            }
        } else if ft.is_file() || ft.is_symlink() && e.path().is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}

fn file_line(name: &str, r: &Report) -> String {
    let mut s = format!("{name}: {} finding(s)", r.total());
    let parts: Vec<String> = r
        .entries()
        .iter()
        .map(|e| format!("{} {}", e.entity, e.count))
        .collect();
    if !parts.is_empty() {
        s.push_str(" — ");
        s.push_str(&parts.join(", "));
    }
    s.push('\n');
    for c in r.columns.iter().filter(|c| c.personal) {
        let why = if c.header_says_personal {
            "its header names personal data".to_owned()
        } else {
            format!(
                "{} of {} values hold personal data",
                c.values_with_findings, c.values
            )
        };
        let counts: Vec<String> = c.counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
        s.push_str(&format!(
            "  column {} \"{}\": personal data ({why}){}{}\n",
            c.index + 1,
            c.name,
            if counts.is_empty() { "" } else { ": " },
            counts.join(", ")
        ));
    }
    if r.hard_cuts > 0 {
        s.push_str(&format!(
            "  note: lines longer than 1 MiB were cut {} time(s) where no safe boundary was near; a value spanning a cut may be missed\n",
            r.hard_cuts
        ));
    }
    s
}

fn summary_table(r: &Report) -> String {
    if r.counts.is_empty() {
        return String::new();
    }
    let mut s = format!("\n{:<20} {:>9}  examples (masked)\n", "kind", "count");
    for e in r.entries() {
        let ex = r
            .examples
            .get(&e.entity)
            .map(|v| v.join(", "))
            .unwrap_or_default();
        s.push_str(&format!("{:<20} {:>9}  {ex}\n", e.entity.as_str(), e.count));
    }
    s.push('\n');
    s
}

fn parse_operators(specs: &[String]) -> anyhow::Result<Redactor> {
    let mut default = Operator::Mask;
    let mut per: Vec<(Entity, Operator)> = Vec::new();
    for spec in specs {
        let (kind, op) = match spec.split_once('=') {
            Some((k, o)) => (Some(k.trim()), o.trim()),
            None => (None, spec.trim()),
        };
        let Some(op) = Operator::parse(op) else {
            bail!(
                "unknown operator `{op}`: use mask, replace, hash, pseudonymize, encrypt or keep"
            );
        };
        match kind {
            None => default = op,
            Some(k) => {
                let Some(e) = Entity::parse(k) else {
                    let names: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
                    bail!("unknown kind `{k}`: use one of {}", names.join(", "));
                };
                per.push((e, op));
            }
        }
    }
    let mut r = Redactor::new(default);
    for (e, op) in per {
        r = r.with_operator(e, op);
    }
    Ok(r)
}

fn load_key(path: &Path) -> anyhow::Result<Key> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    if meta.len() > 4096 {
        bail!(
            "the key file {} is larger than 4 KiB; is it the right file?",
            path.display()
        );
    }
    let mut material = zeroizing_read(path)?;
    let key = Key::from_material(&material).with_context(|| format!("key file {}", path.display()));
    material.iter_mut().for_each(|b| *b = 0);
    key
}

fn zeroizing_read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the key file {}", path.display()))
}

fn is_dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Runs `vow redact`.
pub fn run_redact(args: RedactArgs) -> anyhow::Result<ExitCode> {
    check_score("--min-score", args.min_score)?;
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    let key = match &args.key_file {
        Some(p) => Some(load_key(p)?),
        None => None,
    };
    if !is_dash(&args.input) && !is_dash(&output) {
        if let (Ok(a), Ok(b)) = (args.input.canonicalize(), output.canonicalize()) {
            if a == b {
                bail!("the output would overwrite the input; write to another file and rename it");
            }
        }
    }
    let (reader, len, name): (Box<dyn BufRead>, Option<u64>, String) = if is_dash(&args.input) {
        (
            Box::new(BufReader::with_capacity(1 << 20, std::io::stdin().lock())),
            None,
            String::from("-"),
        )
    } else {
        let f = File::open(&args.input)
            .with_context(|| format!("cannot read {}", args.input.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        (
            Box::new(BufReader::with_capacity(1 << 20, f)),
            len,
            args.input.display().to_string(),
        )
    };

    if args.decrypt {
        let Some(key) = key else {
            bail!("--decrypt needs the key the file was encrypted with (--key-file)");
        };
        return write_output(&output, |w| {
            let count = decrypt_stream(&key, reader, w)
                .with_context(|| format!("{name}: nothing was written"))?;
            if args.summary != SummaryFormat::None {
                eprintln!("{name}: {count} value(s) decrypted");
            }
            Ok(())
        });
    }

    let mut redactor = parse_operators(&args.operators)?;
    if let Some(k) = key {
        redactor = redactor.with_key(k);
    }
    redactor.validate()?;
    let scanner = Scanner::new()
        .with_today(today())
        .with_min_score(args.min_score);
    let job = Job {
        scanner: &scanner,
        redactor: Some(&redactor),
        collect: false,
        threads: threads(args.threads),
        limits: Limits::default(),
    };
    let format = args.format.resolve(&name);
    let bar = progress_bar(len);
    let mut report = None;
    write_output(&output, |w| {
        let outcome = process(format, &job, reader, Some(w), &|b| bar.inc(b))
            .with_context(|| format!("{name}: nothing was written"))?;
        report = Some(outcome.report);
        Ok(())
    })?;
    bar.finish_and_clear();
    if let Some(r) = report {
        match args.summary {
            SummaryFormat::None => {}
            SummaryFormat::Json => eprintln!(
                "{}",
                serde_json::json!({"input": name, "bytes": r.bytes, "counts": r.counts, "examples": r.examples, "columns": r.columns, "hard_cuts": r.hard_cuts})
            ),
            SummaryFormat::Text => {
                eprint!("{}", file_line(&name, &r));
                eprint!("{}", summary_table(&r));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes through `f` to standard output, or to a temporary file renamed over `path` on success.
fn write_output(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    if is_dash(path) {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        f(&mut w)?;
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut file = AtomicFile::create(path)?;
    f(file.writer())?;
    file.commit()?;
    Ok(ExitCode::SUCCESS)
}
