//! Reading plain text, CSV, JSON and JSON Lines from a reader the caller hands in, and writing the redacted
//! copy to a writer the caller hands in. Everything that is not personal data is written byte for byte.
//!
//! Text, CSV and JSON Lines are streamed in chunks cut at line (or record) boundaries and processed on
//! several threads, in constant memory: a line longer than a chunk is cut at a safe boundary (whitespace
//! between non-digits), or, failing that, anywhere, and the cut is counted in [`Report::hard_cuts`].
//! A single JSON document is read whole, up to [`Limits::json_max_bytes`].

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::sync::{mpsc, Mutex};

use serde::Serialize;

use crate::report::ColumnReport;
use crate::{Entity, Finding, Redactor, Report, Scanner, Validation};

/// Why an input could not be processed. Positions, never values: errors do not carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The JSON is not valid.
    #[error("invalid JSON at line {line}, byte {byte}: {what}")]
    Json {
        /// 1-based line.
        line: u64,
        /// 0-based byte offset in the input.
        byte: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A quoted CSV field never ends.
    #[error("CSV: the quoted field starting on line {line} is never closed (or a record is longer than {limit} bytes)")]
    CsvQuote {
        /// 1-based line where the record starts.
        line: u64,
        /// The record size limit.
        limit: usize,
    },
    /// A single JSON document is larger than the limit.
    #[error("the JSON document is larger than {0} bytes; write it as JSON Lines (one value per line) to stream it")]
    JsonTooLarge(usize),
}

/// Sizes that bound memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes per chunk handed to one thread.
    pub chunk_bytes: usize,
    /// The largest CSV record (quoted fields may span lines) or JSON Lines line.
    pub max_record_bytes: usize,
    /// The largest single JSON document.
    pub json_max_bytes: usize,
    /// JSON nesting limit.
    pub json_max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            chunk_bytes: 1 << 20,
            max_record_bytes: 64 << 20,
            json_max_bytes: 256 << 20,
            json_max_depth: 100_000,
        }
    }
}

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Plain text and Markdown.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON document.
    Json,
    /// One JSON value per line.
    Jsonl,
}

impl Format {
    /// The format a file name's extension implies (text when unknown).
    pub fn from_extension(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        match lower.rsplit('.').next() {
            Some("csv") => Format::Csv,
            Some("tsv") => Format::Tsv,
            Some("json") => Format::Json,
            Some("jsonl" | "ndjson") => Format::Jsonl,
            _ => Format::Text,
        }
    }
}

/// One finding, located in the input file.
#[derive(Clone, Debug, Serialize)]
pub struct Located {
    /// The kind.
    pub entity: Entity,
    /// Byte offset in the input.
    pub start: u64,
    /// Byte offset one past the end.
    pub end: u64,
    /// 1-based line.
    pub line: u64,
    /// Score after context.
    pub score: f32,
    /// How it was validated.
    pub validation: Validation,
    /// The value, masked.
    pub masked: String,
    /// The CSV column, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

/// What to do with an input.
pub struct Job<'a> {
    /// The recognizers.
    pub scanner: &'a Scanner,
    /// Replace findings (redact) or only report them (scan).
    pub redactor: Option<&'a Redactor>,
    /// Keep every finding with its position (for `--format json`).
    pub collect: bool,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Memory bounds.
    pub limits: Limits,
}

/// What processing an input produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Counts and masked examples.
    pub report: Report,
    /// Every finding, when the job asked to collect them.
    pub findings: Vec<Located>,
}

/// A piece of input cut at a line (or record) boundary.
struct Chunk {
    offset: u64,
    line: u64,
    bytes: Vec<u8>,
    hard_cut: bool,
}

/// Per-chunk results, in input order.
struct Done {
    out: Vec<u8>,
    report: Report,
    findings: Vec<Located>,
}

/// Processes `reader` as `format`, writing the redacted copy to `writer` when the job redacts.
pub fn process<R: BufRead, W: Write + ?Sized>(
    format: Format,
    job: &Job<'_>,
    reader: R,
    writer: Option<&mut W>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, FormatError> {
    match format {
        Format::Text => redact_text(job, reader, writer, progress),
        Format::Jsonl => redact_jsonl(job, reader, writer, progress),
        Format::Json => redact_json(job, reader, writer, progress),
        Format::Csv => redact_csv(job, reader, writer, b',', progress),
        Format::Tsv => redact_csv(job, reader, writer, b'\t', progress),
    }
}

/// Plain text and Markdown.
pub fn redact_text<R: BufRead, W: Write + ?Sized>(
    job: &Job<'_>,
    reader: R,
    writer: Option<&mut W>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, FormatError> {
    let mut chunker = Chunker::new(reader, job.limits, Cut::Lines);
    pipeline(job, &mut chunker, writer, progress, |c| {
        let mut d = Done {
            out: Vec::new(),
            report: Report::default(),
            findings: Vec::new(),
        };
        let found = job.scanner.scan(&c.bytes);
        account(job, c, &c.bytes, &found, 0, None, &mut d);
        if let Some(r) = job.redactor {
            d.out.reserve(c.bytes.len() + c.bytes.len() / 8 + 64);
            r.apply(&c.bytes, &found, &mut d.out);
        }
        Ok(d)
    })
}

/// JSON Lines: every line is one JSON value (blank lines pass through).
pub fn redact_jsonl<R: BufRead, W: Write + ?Sized>(
    job: &Job<'_>,
    reader: R,
    writer: Option<&mut W>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, FormatError> {
    let mut chunker = Chunker::new(reader, job.limits, Cut::Records(None));
    pipeline(job, &mut chunker, writer, progress, |c| {
        let mut d = Done {
            out: Vec::with_capacity(c.bytes.len() + 64),
            report: Report::default(),
            findings: Vec::new(),
        };
        let mut at = 0;
        let mut line = c.line;
        while at < c.bytes.len() {
            let end = memchr::memchr(b'\n', &c.bytes[at..]).map_or(c.bytes.len(), |p| at + p + 1);
            let text = &c.bytes[at..end];
            if text.iter().all(u8::is_ascii_whitespace) {
                d.out.extend_from_slice(text);
            } else {
                json_value(job, text, c.offset + at as u64, line, &mut d, false)?;
            }
            line += 1;
            at = end;
        }
        Ok(d)
    })
}

/// One JSON document, read whole (up to the limit).
pub fn redact_json<R: BufRead, W: Write + ?Sized>(
    job: &Job<'_>,
    mut reader: R,
    writer: Option<&mut W>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, FormatError> {
    let mut doc = Vec::new();
    let limit = job.limits.json_max_bytes;
    (&mut reader).take(limit as u64 + 1).read_to_end(&mut doc)?;
    if doc.len() > limit {
        return Err(FormatError::JsonTooLarge(limit));
    }
    let mut d = Done {
        out: Vec::with_capacity(doc.len() + 64),
        report: Report::default(),
        findings: Vec::new(),
    };
    json_value(job, &doc, 0, 1, &mut d, true)?;
    progress(doc.len() as u64);
    d.report.bytes = doc.len() as u64;
    if let Some(w) = writer {
        w.write_all(&d.out)?;
        w.flush()?;
    }
    d.report.finish();
    Ok(Outcome {
        report: d.report,
        findings: d.findings,
    })
}

/// Counts findings of `scanned` (which sits at `base` within the chunk's input, or is a decoded value at
/// that place when `decoded`), and keeps them located when the job collects.
fn account(
    job: &Job<'_>,
    c: &Chunk,
    scanned: &[u8],
    found: &[Finding],
    base: u64,
    column: Option<&str>,
    d: &mut Done,
) {
    account_span(job, c, scanned, found, base, None, column, d)
}

/// Like [`account`]; `span`, when given, is the located range of every finding (a JSON string with escapes,
/// whose decoded offsets do not map back to bytes of the file one to one).
#[allow(clippy::too_many_arguments)]
fn account_span(
    job: &Job<'_>,
    c: &Chunk,
    scanned: &[u8],
    found: &[Finding],
    base: u64,
    span: Option<(u64, u64)>,
    column: Option<&str>,
    d: &mut Done,
) {
    d.report.add_all(found, scanned);
    if !job.collect {
        return;
    }
    let mut line = c.line;
    let mut counted_to = 0usize;
    for f in found {
        // Line numbers only matter for text; for decoded values they are the value's line.
        if base == 0 && f.start >= counted_to && scanned.len() == c.bytes.len() {
            line += memchr::memchr_iter(b'\n', &c.bytes[counted_to..f.start]).count() as u64;
            counted_to = f.start;
        }
        let mut masked = Vec::new();
        Redactor::new(crate::Operator::Mask).replace(
            f.entity,
            &scanned[f.start..f.end],
            &mut masked,
        );
        let (start, end) = span.unwrap_or((
            c.offset + base + f.start as u64,
            c.offset + base + f.end as u64,
        ));
        d.findings.push(Located {
            entity: f.entity,
            start,
            end,
            line,
            score: f.score,
            validation: f.validation,
            masked: String::from_utf8_lossy(&masked).into_owned(),
            column: column.map(str::to_owned),
        });
    }
}

/// Runs `f` over the chunks on `job.threads` worker threads while this thread reads the next chunks and
/// writes finished ones in input order, so reading, scanning and writing overlap. At most `2 × threads`
/// chunks are in flight, which bounds memory whatever the input size.
fn pipeline<R: BufRead, W: Write + ?Sized, F>(
    job: &Job<'_>,
    chunker: &mut Chunker<R>,
    mut writer: Option<&mut W>,
    progress: &(dyn Fn(u64) + Sync),
    f: F,
) -> Result<Outcome, FormatError>
where
    F: Fn(&Chunk) -> Result<Done, FormatError> + Sync,
{
    let threads = job.threads.max(1);
    let mut outcome = Outcome::default();
    let mut absorb =
        |c_len: usize, hard_cut: bool, d: Result<Done, FormatError>| -> Result<(), FormatError> {
            let mut d = d?;
            d.report.bytes = c_len as u64;
            d.report.hard_cuts = u64::from(hard_cut);
            if let Some(w) = writer.as_deref_mut() {
                w.write_all(&d.out)?;
            }
            outcome.report.merge(d.report);
            outcome.findings.append(&mut d.findings);
            Ok(())
        };
    if threads == 1 {
        while let Some(c) = chunker.next()? {
            let d = f(&c);
            progress(c.bytes.len() as u64);
            absorb(c.bytes.len(), c.hard_cut, d)?;
        }
    } else {
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Chunk)>(threads * 2);
        let job_rx = Mutex::new(job_rx);
        let (done_tx, done_rx) = mpsc::channel::<(u64, usize, bool, Result<Done, FormatError>)>();
        let f = &f;
        let result = std::thread::scope(|s| -> Result<(), FormatError> {
            for _ in 0..threads {
                let done_tx = done_tx.clone();
                let job_rx = &job_rx;
                s.spawn(move || loop {
                    let msg = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((i, c)) = msg else { break };
                    let d = f(&c);
                    progress(c.bytes.len() as u64);
                    if done_tx.send((i, c.bytes.len(), c.hard_cut, d)).is_err() {
                        break;
                    }
                });
            }
            drop(done_tx);
            // Dropping `job_tx` (on success or on an error below) lets the workers finish.
            let job_tx = job_tx;
            let mut pending: BTreeMap<u64, (usize, bool, Result<Done, FormatError>)> =
                BTreeMap::new();
            let (mut sent, mut written, mut eof) = (0u64, 0u64, false);
            loop {
                while !eof && sent - written < (threads * 2) as u64 {
                    match chunker.next()? {
                        Some(c) => {
                            if job_tx.send((sent, c)).is_err() {
                                return Err(std::io::Error::other("a worker thread stopped").into());
                            }
                            sent += 1;
                        }
                        None => eof = true,
                    }
                }
                if written == sent {
                    break;
                }
                let Ok((i, len, hard, d)) = done_rx.recv() else {
                    return Err(std::io::Error::other("a worker thread stopped").into());
                };
                pending.insert(i, (len, hard, d));
                while let Some((len, hard, d)) = pending.remove(&written) {
                    absorb(len, hard, d)?;
                    written += 1;
                }
            }
            Ok(())
        });
        result?;
    }
    if let Some(w) = writer {
        w.flush()?;
    }
    outcome.report.finish();
    Ok(outcome)
}

#[derive(Clone, Copy)]
enum Cut {
    /// Anywhere between lines; a line longer than a chunk is cut at a safe place.
    Lines,
    /// Only between records: lines (JSON Lines) or CSV records whose quotes balance (Some(delimiter)).
    Records(Option<u8>),
}

/// Reads chunks of about `chunk_bytes`, cut at a boundary the format allows.
struct Chunker<R> {
    reader: R,
    limits: Limits,
    cut: Cut,
    buf: Vec<u8>,
    offset: u64,
    line: u64,
    eof: bool,
}

impl<R: BufRead> Chunker<R> {
    fn new(reader: R, limits: Limits, cut: Cut) -> Chunker<R> {
        Chunker {
            reader,
            limits,
            cut,
            buf: Vec::new(),
            offset: 0,
            line: 1,
            eof: false,
        }
    }

    /// Reads until `buf` holds at least `want` bytes or the input ends.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        while !self.eof && self.buf.len() < want {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                self.eof = true;
                break;
            }
            let take = avail.len().min(want - self.buf.len());
            self.buf.extend_from_slice(&avail[..take]);
            self.reader.consume(take);
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Option<Chunk>, FormatError> {
        let size = self.limits.chunk_bytes.max(64);
        self.fill(size)?;
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut hard_cut = false;
        let cut = match self.cut {
            Cut::Lines => {
                if self.eof && self.buf.len() <= size {
                    self.buf.len()
                } else if let Some(p) = memchr::memrchr(b'\n', &self.buf) {
                    p + 1
                } else if let Some(p) = safe_cut(&self.buf) {
                    p
                } else {
                    hard_cut = true;
                    self.buf.len()
                }
            }
            Cut::Records(csv) => {
                let mut want = size;
                loop {
                    let found = match csv {
                        None => memchr::memrchr(b'\n', &self.buf).map(|p| p + 1),
                        Some(_) => csv_record_end(&self.buf),
                    };
                    match found {
                        Some(p) if !self.eof || p == self.buf.len() => break p,
                        _ if self.eof => {
                            if csv.is_some() && quotes_open(&self.buf) {
                                // The unclosed field is in the record after the last complete one.
                                let done = csv_record_end(&self.buf).unwrap_or(0);
                                let line = self.line
                                    + memchr::memchr_iter(b'\n', &self.buf[..done]).count() as u64;
                                return Err(FormatError::CsvQuote {
                                    line,
                                    limit: self.limits.max_record_bytes,
                                });
                            }
                            break self.buf.len();
                        }
                        _ => {}
                    }
                    if want >= self.limits.max_record_bytes {
                        return Err(match csv {
                            Some(_) => FormatError::CsvQuote {
                                line: self.line,
                                limit: self.limits.max_record_bytes,
                            },
                            None => FormatError::Json {
                                line: self.line,
                                byte: self.offset,
                                what: "a line longer than the record limit",
                            },
                        });
                    }
                    want = (want * 2).min(self.limits.max_record_bytes);
                    self.fill(want)?;
                }
            }
        };
        let rest = self.buf.split_off(cut);
        let bytes = std::mem::replace(&mut self.buf, rest);
        let chunk = Chunk {
            offset: self.offset,
            line: self.line,
            bytes,
            hard_cut,
        };
        self.offset += cut as u64;
        self.line += memchr::memchr_iter(b'\n', &chunk.bytes).count() as u64;
        Ok(Some(chunk))
    }
}

/// A place to cut a line with no newline in it: after whitespace, between bytes that no recognizer joins
/// (not digits, not `+`/`(`), searched from the end.
fn safe_cut(b: &[u8]) -> Option<usize> {
    let lo = b.len().saturating_sub(64 << 10).max(2);
    (lo..b.len()).rev().find(|&k| {
        b[k - 1].is_ascii_whitespace()
            && !b[k - 2].is_ascii_digit()
            && !b[k].is_ascii_digit()
            && !matches!(b[k], b'+' | b'(' | b':' | b'=' | b'"' | b'\'')
            && !matches!(b[k - 2], b':' | b'=')
    })
}

/// The end of the last complete CSV record in `b` (after its newline), counting quotes from the start.
fn csv_record_end(b: &[u8]) -> Option<usize> {
    let mut open = false;
    let mut last = None;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            open = !open;
        } else if c == b'\n' && !open {
            last = Some(i + 1);
        }
    }
    last
}

/// The end of the first CSV record in `b` (after its newline).
fn csv_first_record_end(b: &[u8]) -> Option<usize> {
    let mut open = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            open = !open;
        } else if c == b'\n' && !open {
            return Some(i + 1);
        }
    }
    None
}

fn quotes_open(b: &[u8]) -> bool {
    memchr::memchr_iter(b'"', b).count() % 2 == 1
}

/// CSV and TSV: every field scanned with its column's header as context; a quoted field is unquoted first
/// and re-quoted only when it changed.
pub fn redact_csv<R: BufRead, W: Write + ?Sized>(
    job: &Job<'_>,
    mut reader: R,
    mut writer: Option<&mut W>,
    delim: u8,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, FormatError> {
    // The header: the first record, read before the parallel part so every chunk knows the column names.
    let max = job.limits.max_record_bytes;
    let mut header_bytes = Vec::new();
    loop {
        let before = header_bytes.len();
        (&mut reader)
            .take((max - before.min(max)) as u64)
            .read_until(b'\n', &mut header_bytes)?;
        if header_bytes.len() == before || !quotes_open(&header_bytes) {
            break;
        }
        if header_bytes.len() >= max {
            return Err(FormatError::CsvQuote {
                line: 1,
                limit: max,
            });
        }
    }
    if header_bytes.is_empty() {
        return Ok(Outcome::default());
    }
    if quotes_open(&header_bytes) {
        return Err(FormatError::CsvQuote {
            line: 1,
            limit: max,
        });
    }
    let rest_offset = header_bytes.len() as u64;
    let rest_line = 1 + memchr::memchr_iter(b'\n', &header_bytes).count() as u64;
    let header_fields = split_record(&header_bytes, delim);
    let names: Vec<String> = header_fields
        .iter()
        .map(|(s, e, q)| {
            String::from_utf8_lossy(&unquote(&header_bytes[*s..*e], *q))
                .trim()
                .to_owned()
        })
        .collect();
    let header_has_pii = names
        .iter()
        .any(|n| !job.scanner.scan(n.as_bytes()).is_empty());
    let mut outcome = Outcome::default();
    let names: Vec<String> = if header_has_pii {
        // No header: the first row is data.
        let c = Chunk {
            offset: 0,
            line: 1,
            bytes: header_bytes.clone(),
            hard_cut: false,
        };
        let d = csv_chunk(job, &c, delim, &[])?;
        if let Some(w) = writer.as_deref_mut() {
            w.write_all(&d.out)?;
        }
        outcome.report.merge(d.report);
        outcome.findings.extend(d.findings);
        Vec::new()
    } else {
        if let Some(w) = writer.as_deref_mut() {
            w.write_all(&header_bytes)?;
        }
        outcome.report.bytes += header_bytes.len() as u64;
        names
    };
    progress(header_bytes.len() as u64);
    let said: Vec<bool> = names
        .iter()
        .map(|n| job.scanner.header_names_pii(n.as_bytes()))
        .collect();
    let mut chunker = Chunker::new(reader, job.limits, Cut::Records(Some(delim)));
    chunker.offset = rest_offset;
    chunker.line = rest_line;
    let rest = pipeline(job, &mut chunker, writer, progress, |c| {
        csv_chunk(job, c, delim, &names)
    })?;
    outcome.report.merge(rest.report);
    outcome.findings.extend(rest.findings);
    for (i, name) in names.iter().enumerate() {
        if !outcome.report.columns.iter().any(|c| c.index == i) {
            outcome.report.columns.push(ColumnReport {
                index: i,
                name: name.clone(),
                ..ColumnReport::default()
            });
        }
        if let Some(c) = outcome.report.columns.iter_mut().find(|c| c.index == i) {
            c.header_says_personal = said.get(i).copied().unwrap_or(false);
            c.name.clone_from(name);
        }
    }
    outcome.report.columns.sort_by_key(|c| c.index);
    outcome.report.finish();
    Ok(outcome)
}

/// Field spans of one record (without its line ending): (start, end, quoted).
fn split_record(rec: &[u8], delim: u8) -> Vec<(usize, usize, bool)> {
    let mut fields = Vec::new();
    let mut end = rec.len();
    while end > 0 && matches!(rec[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let rec = &rec[..end];
    let mut i = 0;
    loop {
        if i < rec.len() && rec[i] == b'"' {
            let s = i;
            i += 1;
            while i < rec.len() {
                if rec[i] == b'"' {
                    if i + 1 < rec.len() && rec[i + 1] == b'"' {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(rec.len());
            // Text after the closing quote belongs to the field (lenient, like most readers).
            while i < rec.len() && rec[i] != delim {
                i += 1;
            }
            fields.push((s, i, true));
        } else {
            let s = i;
            while i < rec.len() && rec[i] != delim {
                i += 1;
            }
            fields.push((s, i, false));
        }
        if i >= rec.len() {
            break;
        }
        i += 1;
    }
    fields
}

/// The value of a field: quotes removed and `""` turned into `"`. Text after the closing quote of a
/// malformed field (`"a"b`) is kept, as most readers do.
fn unquote(field: &[u8], quoted: bool) -> Vec<u8> {
    if !quoted || field.is_empty() {
        return field.to_vec();
    }
    let mut v = Vec::with_capacity(field.len());
    let mut i = 1;
    while i < field.len() {
        if field[i] == b'"' {
            if field.get(i + 1) == Some(&b'"') {
                v.push(b'"');
                i += 2;
                continue;
            }
            v.extend_from_slice(&field[i + 1..]);
            break;
        }
        v.push(field[i]);
        i += 1;
    }
    v
}

fn csv_chunk(job: &Job<'_>, c: &Chunk, delim: u8, names: &[String]) -> Result<Done, FormatError> {
    let mut d = Done {
        out: Vec::with_capacity(c.bytes.len() + 64),
        report: Report::default(),
        findings: Vec::new(),
    };
    let b = &c.bytes;
    let mut at = 0;
    let mut columns: Vec<ColumnReport> = Vec::new();
    // First every cell is scanned; then a column whose values are mostly names is a name column,
    // header or not, and its other cells shaped like a name are names too (`Sutton, Ann`, `목희재`).
    struct Cell {
        s: usize,
        e: usize,
        quoted: bool,
        value: Vec<u8>,
        found: Vec<crate::Finding>,
    }
    let mut records: Vec<(usize, usize, Vec<Cell>)> = Vec::new();
    let mut person_cells: Vec<(usize, usize)> = Vec::new();
    while at < b.len() {
        let end = csv_first_record_end(&b[at..]).map_or(b.len(), |p| at + p);
        let rec = &b[at..end];
        let mut cells = Vec::new();
        for (ci, (s, e, quoted)) in split_record(rec, delim).into_iter().enumerate() {
            let name = names.get(ci).map(String::as_str).unwrap_or("");
            let value = unquote(&rec[s..e], quoted);
            let mut found = job.scanner.scan_with_context(&value, name.as_bytes());
            if found.is_empty() {
                found.extend(job.scanner.record_cell_name(&value));
            }
            if person_cells.len() <= ci {
                person_cells.resize(ci + 1, (0, 0));
            }
            if !value.trim_ascii().is_empty() {
                person_cells[ci].0 += 1;
                let whole = found.iter().any(|f| {
                    f.entity == crate::Entity::Person
                        && value[..f.start].trim_ascii().is_empty()
                        && value[f.end..].trim_ascii().is_empty()
                });
                person_cells[ci].1 += usize::from(whole);
            }
            cells.push(Cell {
                s,
                e,
                quoted,
                value,
                found,
            });
        }
        records.push((at, end, cells));
        at = end;
    }
    for (_, _, cells) in &mut records {
        for (ci, cell) in cells.iter_mut().enumerate() {
            let (values, persons) = person_cells[ci];
            if cell.found.is_empty() && values >= 3 && 2 * persons >= values {
                cell.found.extend(job.scanner.name_cell(&cell.value));
            }
        }
    }
    let mut rec_line = c.line;
    for (at, end, cells) in records {
        let rec = &b[at..end];
        let mut last = 0;
        for (
            ci,
            Cell {
                s,
                e,
                quoted,
                value,
                found,
            },
        ) in cells.into_iter().enumerate()
        {
            let name = names.get(ci).map(String::as_str).unwrap_or("");
            if columns.len() <= ci {
                columns.resize_with(ci + 1, ColumnReport::default);
            }
            let col = &mut columns[ci];
            col.index = ci;
            col.name = name.to_owned();
            if !value.is_empty() {
                col.values += 1;
            }
            if found.is_empty() {
                continue;
            }
            col.values_with_findings += 1;
            for f in &found {
                *col.counts.entry(f.entity).or_default() += 1;
            }
            let sub = Chunk {
                offset: c.offset + (at + s + usize::from(quoted)) as u64,
                line: rec_line,
                bytes: Vec::new(),
                hard_cut: false,
            };
            account(job, &sub, &value, &found, 0, Some(name), &mut d);
            if let Some(r) = job.redactor {
                let mut red = Vec::with_capacity(value.len());
                r.apply(&value, &found, &mut red);
                if red == value {
                    // Unchanged (the `keep` operator): the field's bytes stay exactly as they were.
                    continue;
                }
                d.out.extend_from_slice(&rec[last..s]);
                let needs_quotes = quoted
                    || red
                        .iter()
                        .any(|&x| x == delim || x == b'"' || x == b'\n' || x == b'\r');
                if needs_quotes {
                    d.out.push(b'"');
                    for &x in &red {
                        if x == b'"' {
                            d.out.push(b'"');
                        }
                        d.out.push(x);
                    }
                    d.out.push(b'"');
                } else {
                    d.out.extend_from_slice(&red);
                }
                last = e;
            }
        }
        if job.redactor.is_some() {
            d.out.extend_from_slice(&rec[last..]);
        }
        rec_line += memchr::memchr_iter(b'\n', rec).count() as u64;
    }
    d.report.columns = columns;
    Ok(d)
}

/// Redacts one JSON value (a JSON Lines line, or a whole document) into `d.out`: strings and numbers are
/// scanned with the nearest key as context; everything else is copied. Iterative, so depth costs heap, not
/// stack, and is capped by [`Limits::json_max_depth`].
fn json_value(
    job: &Job<'_>,
    t: &[u8],
    offset: u64,
    line: u64,
    d: &mut Done,
    whole: bool,
) -> Result<(), FormatError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Ctx {
        Obj,
        Arr,
    }
    let mut stack: Vec<Ctx> = Vec::new();
    let mut key: std::borrow::Cow<'_, [u8]> = std::borrow::Cow::Borrowed(&[]);
    let mut expect_key = false;
    let mut seen_top = false;
    let mut i = 0;
    let mut copied = 0;
    // Line numbers of findings inside a multi-line document, counted forward as the scan goes.
    let (mut cur_line, mut line_pos) = (line, 0usize);
    let mut line_at = |pos: usize| {
        cur_line += memchr::memchr_iter(b'\n', &t[line_pos..pos.max(line_pos)]).count() as u64;
        line_pos = line_pos.max(pos);
        cur_line
    };
    let n = t.len();
    let err = |i: usize, what: &'static str| {
        let l = if whole {
            line + memchr::memchr_iter(b'\n', &t[..i.min(n)]).count() as u64
        } else {
            line
        };
        FormatError::Json {
            line: l,
            byte: offset + i as u64,
            what,
        }
    };
    let redacting = job.redactor.is_some();
    while i < n {
        let c = t[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' => {
                if c == b',' {
                    expect_key = stack.last() == Some(&Ctx::Obj);
                }
                i += 1;
            }
            b'{' | b'[' => {
                if stack.is_empty() && seen_top {
                    return Err(err(i, "more than one value"));
                }
                seen_top = true;
                if stack.len() >= job.limits.json_max_depth {
                    return Err(err(i, "nested deeper than the limit"));
                }
                stack.push(if c == b'{' { Ctx::Obj } else { Ctx::Arr });
                expect_key = c == b'{';
                i += 1;
            }
            b'}' | b']' => {
                let want = if c == b'}' { Ctx::Obj } else { Ctx::Arr };
                if stack.pop() != Some(want) {
                    return Err(err(i, "unbalanced bracket"));
                }
                expect_key = false;
                i += 1;
            }
            b'"' => {
                let s = i;
                i += 1;
                let mut escapes = false;
                while i < n && t[i] != b'"' {
                    if t[i] == b'\\' {
                        escapes = true;
                        i += 1;
                    }
                    i += 1;
                }
                if i >= n {
                    return Err(err(s, "unterminated string"));
                }
                i += 1;
                let raw = &t[s + 1..i - 1];
                if stack.is_empty() && seen_top {
                    return Err(err(s, "more than one value"));
                }
                seen_top = true;
                if expect_key {
                    key = if escapes {
                        std::borrow::Cow::Owned(
                            decode_json_string(raw).ok_or_else(|| err(s, "bad escape"))?,
                        )
                    } else {
                        std::borrow::Cow::Borrowed(raw)
                    };
                    expect_key = false;
                    continue;
                }
                // Only a string with escapes is copied (decoded); the others are scanned in place.
                let decoded;
                let value: &[u8] = if escapes {
                    decoded = decode_json_string(raw).ok_or_else(|| err(s, "bad escape"))?;
                    &decoded
                } else {
                    raw
                };
                let mut found = job.scanner.scan_with_context(value, &key);
                if found.is_empty() {
                    // A JSON string is a value someone filled in, as a CSV cell is.
                    found.extend(job.scanner.record_cell_name(value));
                }
                if found.is_empty() {
                    continue;
                }
                let c = Chunk {
                    offset,
                    line: line_at(s),
                    bytes: Vec::new(),
                    hard_cut: false,
                };
                if escapes {
                    let span = Some((offset + s as u64, offset + i as u64));
                    account_span(job, &c, value, &found, 0, span, None, d);
                } else {
                    account(job, &c, value, &found, (s + 1) as u64, None, d);
                }
                if let Some(r) = job.redactor {
                    let mut red = Vec::with_capacity(value.len());
                    r.apply(value, &found, &mut red);
                    if red != value {
                        d.out.extend_from_slice(&t[copied..s]);
                        push_json_string(&red, &mut d.out);
                        copied = i;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let s = i;
                while i < n && matches!(t[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                if expect_key {
                    return Err(err(s, "a key must be a string"));
                }
                if stack.is_empty() && seen_top {
                    return Err(err(s, "more than one value"));
                }
                seen_top = true;
                let found = job.scanner.scan_with_context(&t[s..i], &key);
                if found.is_empty() {
                    continue;
                }
                let c = Chunk {
                    offset,
                    line: line_at(s),
                    bytes: Vec::new(),
                    hard_cut: false,
                };
                account(job, &c, &t[s..i], &found, s as u64, None, d);
                if let Some(r) = job.redactor {
                    // A number becomes a string: the JSON stays valid, the value's type changes.
                    let mut red = Vec::new();
                    r.apply(&t[s..i], &found, &mut red);
                    if red != t[s..i] {
                        d.out.extend_from_slice(&t[copied..s]);
                        push_json_string(&red, &mut d.out);
                        copied = i;
                    }
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !t[i..].starts_with(word) {
                    return Err(err(i, "unexpected character"));
                }
                seen_top = true;
                i += word.len();
            }
            _ => return Err(err(i, "unexpected character")),
        }
    }
    if !stack.is_empty() {
        return Err(err(n, "unexpected end of input (unclosed bracket)"));
    }
    if redacting {
        d.out.extend_from_slice(&t[copied..]);
    }
    Ok(())
}

/// Decodes the inside of a JSON string; `None` on a bad escape. Lone surrogates become U+FFFD.
fn decode_json_string(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    let hex4 = |s: &[u8]| -> Option<u32> {
        let s = std::str::from_utf8(s.get(..4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let e = *raw.get(i + 1)?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(&raw[i..])?;
                i += 4;
                if (0xD800..0xDC00).contains(&hi)
                    && raw.get(i) == Some(&b'\\')
                    && raw.get(i + 1) == Some(&b'u')
                {
                    match hex4(&raw[i + 2..]) {
                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                            i += 6;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                .unwrap_or('\u{FFFD}')
                        }
                        _ => '\u{FFFD}',
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            _ => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    Some(out)
}

/// Writes `value` as a JSON string: quotes, backslashes and control characters escaped; other bytes
/// (including any invalid UTF-8 the input had) copied.
fn push_json_string(value: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in value {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1F => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}
