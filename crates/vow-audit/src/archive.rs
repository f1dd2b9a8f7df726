//! Archives: a run of the log moved out of the database once the law no longer asks it be kept
//! there, in a file that proves itself.
//!
//! The access log must be kept at least one year, two with 50,000 subjects or more, unique
//! identifiers or sensitive data (안전성 확보조치 기준 제8조); nothing says for ever. An archive holds
//! the entries `from_seq..=to_seq` in order, the signed checkpoints that fall among them, and last a
//! [`Cut`] signed with the audit key: where the run starts (the hash it links to), where it ends
//! (the head's hash), how many entries and over which times. The database keeps the same cut, so
//! `vow audit verify` proves the remaining log continues exactly where the archive stops, and the
//! archive verifies alone, with nothing but its own lines, after the database is gone.
//!
//! File: JSON Lines, written to a temporary name, fsynced, then renamed:
//!
//! ```text
//! {"entry": { …Entry… }}              one per entry, in order
//! {"checkpoint": { …Checkpoint… }}    the checkpoints of entries in the run
//! {"cut": { …Cut… }, "audit_key": "<64 hex>", "format": "vow.audit.archive.v1"}   last
//! ```
//!
//! Signed message of a cut: `"vow.audit.cut.v1" || u64be(from_seq) || u64be(to_seq) || prev_hash
//! || head_hash || u64be(entries) || i64be(first_at_ms) || i64be(last_at_ms)`.
//!
//! An archive holds one chain (see [`crate::entry`]); a log of several chains is archived chain by
//! chain. A cut of any chain but 0 names it: `"vow.audit.cut.v2" || u32be(chain) || …as above…`.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vow_crypto::{AuditSigner, AuditVerifier};

use crate::entry::{hex32, hexvec};
use crate::{AuditError, Break, Checkpoint, Entry, Position};

/// The archive format this crate writes and reads.
pub const ARCHIVE_FORMAT: &str = "vow.audit.archive.v1";

const CUT_DOMAIN: &[u8] = b"vow.audit.cut.v1";
const CHAIN_CUT_DOMAIN: &[u8] = b"vow.audit.cut.v2";

/// Longest line read from an archive: an entry holds short fields (ids, a reason of at most a few
/// hundred bytes); anything far longer is not ours.
const MAX_LINE: usize = 1 << 20;

/// A signed statement that entries `from_seq..=to_seq`, linking to `prev_hash` and ending at
/// `head_hash`, left the database for an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cut {
    /// The chain the archived entries belong to (absent in JSON when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chain: u32,
    pub from_seq: u64,
    pub to_seq: u64,
    /// The hash the first archived entry links to (the previous cut's head, or all zeros).
    #[serde(with = "hex32")]
    pub prev_hash: [u8; 32],
    /// The last archived entry's hash: the first entry left in the database links to it.
    #[serde(with = "hex32")]
    pub head_hash: [u8; 32],
    pub entries: u64,
    pub first_at_ms: i64,
    pub last_at_ms: i64,
    /// ed25519 over [`Cut::message`], 64 bytes (hex in JSON).
    #[serde(with = "hexvec")]
    pub signature: Vec<u8>,
}

impl Cut {
    /// The bytes that are signed.
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        chain: u32,
        from_seq: u64,
        to_seq: u64,
        prev_hash: &[u8; 32],
        head_hash: &[u8; 32],
        entries: u64,
        first_at_ms: i64,
        last_at_ms: i64,
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(CUT_DOMAIN.len() + 108);
        if chain == 0 {
            m.extend_from_slice(CUT_DOMAIN);
        } else {
            m.extend_from_slice(CHAIN_CUT_DOMAIN);
            m.extend_from_slice(&chain.to_be_bytes());
        }
        m.extend_from_slice(&from_seq.to_be_bytes());
        m.extend_from_slice(&to_seq.to_be_bytes());
        m.extend_from_slice(prev_hash);
        m.extend_from_slice(head_hash);
        m.extend_from_slice(&entries.to_be_bytes());
        m.extend_from_slice(&first_at_ms.to_be_bytes());
        m.extend_from_slice(&last_at_ms.to_be_bytes());
        m
    }

    fn signed_message(&self) -> Vec<u8> {
        Cut::message(
            self.chain,
            self.from_seq,
            self.to_seq,
            &self.prev_hash,
            &self.head_hash,
            self.entries,
            self.first_at_ms,
            self.last_at_ms,
        )
    }

    /// True iff the signature is 64 bytes and valid under `verifier`.
    pub fn verify(&self, verifier: &AuditVerifier) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(self.signature.as_slice()) else {
            return false;
        };
        verifier.verify(&self.signed_message(), &sig)
    }
}

fn is_zero(chain: &u32) -> bool {
    *chain == 0
}

/// One line of an archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entry: Option<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<Checkpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cut: Option<Cut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
}

/// Why entries could not be archived (before anything is written where the archive goes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The run to archive does not hold together: archiving it would make a broken log look sealed.
    #[error("the log is broken here ({0}); nothing was archived: run `vow audit verify`")]
    Broken(Break),
    #[error("no entries to archive")]
    Empty,
}

/// Writes the archive of `entries` (in order, the first linking to `prev_hash`) with the
/// `checkpoints` among them, sealed by a [`Cut`] signed with `signer`. The file appears whole or not
/// at all (a temporary name, fsync, rename, fsync of the directory); an existing file is never
/// replaced. The entries are checked as they are written, so a broken run is refused, not sealed.
pub fn write_archive<E>(
    path: &Path,
    entries: impl Iterator<Item = Result<Entry, E>>,
    prev_hash: [u8; 32],
    checkpoints: &[Checkpoint],
    signer: &AuditSigner,
) -> Result<Result<Cut, ArchiveError>, E> {
    if path.exists() {
        return Ok(Err(AuditError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "an archive is never overwritten; choose another --out",
            ),
        }
        .into()));
    }
    let partial = partial_path(path);
    let result = write_to(&partial, entries, prev_hash, checkpoints, signer);
    match result {
        Ok(Ok(cut)) => match finish(&partial, path) {
            Ok(()) => Ok(Ok(cut)),
            Err(error) => {
                let _ = std::fs::remove_file(&partial);
                Ok(Err(error.into()))
            }
        },
        other => {
            let _ = std::fs::remove_file(&partial);
            other
        }
    }
}

/// The checkpoints that name one entry, each with the hash it signed for it.
type SignedHashes<'c> = Vec<(&'c Checkpoint, [u8; 32])>;

fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "archive".into());
    path.with_file_name(format!(".{name}.partial"))
}

fn write_to<E>(
    partial: &Path,
    entries: impl Iterator<Item = Result<Entry, E>>,
    prev_hash: [u8; 32],
    checkpoints: &[Checkpoint],
    signer: &AuditSigner,
) -> Result<Result<Cut, ArchiveError>, E> {
    let io = |source| AuditError::Io {
        path: partial.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = match options.open(partial) {
        Ok(file) => file,
        Err(error) => return Ok(Err(io(error).into())),
    };
    let mut out = BufWriter::new(file);
    let verifier = signer.verifying_key();
    let mut link = prev_hash;
    let mut first: Option<(u64, i64)> = None;
    let mut last: Option<(u64, i64)> = None;
    let mut chain: Option<u32> = None;
    let mut count = 0u64;
    let mut in_run: Vec<&Checkpoint> = Vec::new();
    // The checkpoint file gains a line every second the log moves: looked up by (chain, seq), not
    // scanned per entry, and each verified only if its entry is in the run.
    let mut by_head: std::collections::HashMap<Position, SignedHashes<'_>> = Default::default();
    for cp in checkpoints {
        for head in cp.chain_heads() {
            let at = Position {
                chain: head.chain,
                seq: head.seq,
            };
            by_head.entry(at).or_default().push((cp, head.hash));
        }
    }
    for entry in entries {
        let entry = entry?;
        let chain = *chain.get_or_insert(entry.chain);
        if let Some(broken) = link_break(&entry, chain, last.map(|(seq, _)| seq), &link) {
            return Ok(Err(ArchiveError::Broken(broken)));
        }
        for (cp, hash) in by_head.remove(&entry.position()).unwrap_or_default() {
            // A checkpoint this key signed for another hash: the log was rewritten; sealing it
            // would vouch for the rewrite. One that does not verify is no checkpoint of ours.
            if !cp.verify(&verifier) {
                continue;
            }
            if hash != entry.hash {
                return Ok(Err(ArchiveError::Broken(Break::CheckpointHashMismatch {
                    seq: entry.seq,
                })));
            }
            in_run.push(cp);
        }
        link = entry.hash;
        first.get_or_insert((entry.seq, entry.at_ms));
        last = Some((entry.seq, entry.at_ms));
        count += 1;
        if let Err(error) = write_line(
            &mut out,
            &Line {
                entry: Some(entry),
                ..Line::empty()
            },
        ) {
            return Ok(Err(io(error).into()));
        }
    }
    let (Some((from_seq, first_at_ms)), Some((to_seq, last_at_ms)), Some(chain)) =
        (first, last, chain)
    else {
        return Ok(Err(ArchiveError::Empty));
    };
    in_run.dedup();
    for cp in in_run {
        if let Err(error) = write_line(
            &mut out,
            &Line {
                checkpoint: Some(cp.clone()),
                ..Line::empty()
            },
        ) {
            return Ok(Err(io(error).into()));
        }
    }
    let message = Cut::message(
        chain,
        from_seq,
        to_seq,
        &prev_hash,
        &link,
        count,
        first_at_ms,
        last_at_ms,
    );
    let cut = Cut {
        chain,
        from_seq,
        to_seq,
        prev_hash,
        head_hash: link,
        entries: count,
        first_at_ms,
        last_at_ms,
        signature: signer.sign(&message).to_vec(),
    };
    let seal = Line {
        cut: Some(cut.clone()),
        audit_key: Some(hex::encode(signer.verifying_key().to_bytes())),
        format: Some(ARCHIVE_FORMAT.into()),
        ..Line::empty()
    };
    let flushed = write_line(&mut out, &seal)
        .and_then(|()| out.flush())
        .and_then(|()| out.get_ref().sync_all());
    match flushed {
        Ok(()) => Ok(Ok(cut)),
        Err(error) => Ok(Err(io(error).into())),
    }
}

fn finish(partial: &Path, path: &Path) -> Result<(), AuditError> {
    // `rename` would replace a file created meanwhile; a hard link fails instead.
    std::fs::hard_link(partial, path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let _ = std::fs::remove_file(partial);
    crate::checkpoint::sync_dir(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Line {
    fn empty() -> Line {
        Line {
            entry: None,
            checkpoint: None,
            cut: None,
            audit_key: None,
            format: None,
        }
    }
}

fn write_line(out: &mut impl Write, line: &Line) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// The first thing wrong with `entry` of `chain` following `previous_seq` (none: the first) whose
/// hash is `link`. An entry of another chain does not link here, whatever its fields.
fn link_break(
    entry: &Entry,
    chain: u32,
    previous_seq: Option<u64>,
    link: &[u8; 32],
) -> Option<Break> {
    if entry.chain != chain {
        return Some(Break::PrevMismatch { seq: entry.seq });
    }
    if let Some(previous) = previous_seq {
        let expected = previous.saturating_add(1);
        if entry.seq != expected {
            return Some(Break::SeqGap {
                expected,
                found: entry.seq,
            });
        }
    }
    if &entry.prev_hash != link {
        return Some(Break::PrevMismatch { seq: entry.seq });
    }
    if entry.compute_hash() != entry.hash {
        return Some(Break::HashMismatch { seq: entry.seq });
    }
    None
}

/// What [`verify_archive`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveVerification {
    /// The archive's seal, when it has a readable one.
    pub cut: Option<Cut>,
    /// The key that signed it (hex), as the archive states it.
    pub audit_key: Option<String>,
    pub entries: u64,
    /// Checkpoints inside that were checked and held.
    pub checkpoints: u64,
    pub first_break: Option<Break>,
}

impl ArchiveVerification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

impl std::fmt::Display for ArchiveVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.first_break, &self.cut) {
            (None, Some(cut)) => {
                write!(
                f,
                "intact: entries {}–{} ({}), {} signed checkpoints hold, sealed by audit key {}",
                cut.from_seq,
                cut.to_seq,
                self.entries,
                self.checkpoints,
                self.audit_key.as_deref().map_or("?", |k| &k[..16.min(k.len())])
            )
            }
            (Some(b), _) => write!(
                f,
                "BROKEN at entry {}: {b} ({} entries read)",
                b.seq(),
                self.entries
            ),
            (None, None) => write!(f, "BROKEN: no seal"),
        }
    }
}

/// Verifies an archive with nothing but its own lines: every entry links to the one before, from the
/// sealed `prev_hash` to the sealed head; the count and times agree with the seal; the seal and each
/// checkpoint are signed by the key the archive names — and, when `expected` is given (the vault's
/// key file), that key is the vault's. Names the first thing wrong.
pub fn verify_archive(
    path: &Path,
    expected: Option<&AuditVerifier>,
) -> Result<ArchiveVerification, AuditError> {
    let file = std::fs::File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = std::io::BufReader::new(file);
    let mut report = ArchiveVerification {
        cut: None,
        audit_key: None,
        entries: 0,
        checkpoints: 0,
        first_break: None,
    };
    let mut first_entry: Option<Entry> = None;
    let mut last: Option<(u64, i64, [u8; 32])> = None;
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    // Only the hashes a checkpoint names are kept, so memory does not grow with the entries.
    let checkpointed = checkpoint_seqs(path)?;
    let mut seen_hashes: std::collections::HashMap<(u32, u64), [u8; 32]> = Default::default();
    let mut seal: Option<(Cut, String, String)> = None;
    let mut line_number = 0usize;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = std::io::Read::take(&mut reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|source| AuditError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        line_number += 1;
        if buffer.last() != Some(&b'\n') {
            return Err(AuditError::CheckpointLine {
                path: path.to_path_buf(),
                line: line_number,
                reason: if read > MAX_LINE {
                    "line too long: not an archive".into()
                } else {
                    "the last line is incomplete: the archive was cut short".into()
                },
            });
        }
        if seal.is_some() {
            return Err(AuditError::CheckpointLine {
                path: path.to_path_buf(),
                line: line_number,
                reason: "a line after the seal: lines were appended to the archive".into(),
            });
        }
        let line: Line =
            serde_json::from_slice(&buffer).map_err(|e| AuditError::CheckpointLine {
                path: path.to_path_buf(),
                line: line_number,
                reason: format!("not an archive line: {e}"),
            })?;
        match line {
            Line {
                entry: Some(entry),
                checkpoint: None,
                cut: None,
                ..
            } => {
                report.entries += 1;
                if report.first_break.is_none() {
                    // The first entry's link is checked against the seal at the end.
                    let link = last.map_or(entry.prev_hash, |(_, _, hash)| hash);
                    let chain = first_entry.as_ref().map_or(entry.chain, |e| e.chain);
                    if let Some(broken) = link_break(&entry, chain, last.map(|(s, _, _)| s), &link)
                    {
                        report.first_break = Some(broken);
                    }
                }
                if checkpointed.contains(&(entry.chain, entry.seq)) {
                    seen_hashes.insert((entry.chain, entry.seq), entry.hash);
                }
                last = Some((entry.seq, entry.at_ms, entry.hash));
                if first_entry.is_none() {
                    first_entry = Some(entry);
                }
            }
            Line {
                checkpoint: Some(cp),
                entry: None,
                cut: None,
                ..
            } => checkpoints.push(cp),
            Line {
                cut: Some(cut),
                entry: None,
                checkpoint: None,
                audit_key: Some(key),
                format: Some(format),
            } => seal = Some((cut, key, format)),
            _ => {
                return Err(AuditError::CheckpointLine {
                    path: path.to_path_buf(),
                    line: line_number,
                    reason: "a line that is neither an entry, a checkpoint nor the seal".into(),
                })
            }
        }
    }
    let Some((cut, key_hex, format)) = seal else {
        report.first_break = report.first_break.or(Some(Break::ArchiveUnsealed {
            seq: last.map_or(0, |(seq, _, _)| seq),
        }));
        return Ok(report);
    };
    report.audit_key = Some(key_hex.clone());
    report.cut = Some(cut.clone());
    if report.first_break.is_some() {
        return Ok(report);
    }
    let mut key = [0u8; 32];
    let verifier = hex::decode_to_slice(&key_hex, &mut key)
        .ok()
        .and_then(|()| AuditVerifier::from_bytes(&key).ok());
    let sealed_by_vault = match (&verifier, expected) {
        (Some(found), Some(expected)) => found == expected,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let agrees = format == ARCHIVE_FORMAT
        && first_entry.as_ref().is_some_and(|e| {
            e.chain == cut.chain
                && e.seq == cut.from_seq
                && e.prev_hash == cut.prev_hash
                && e.at_ms == cut.first_at_ms
        })
        && last.is_some_and(|(seq, at_ms, hash)| {
            seq == cut.to_seq && at_ms == cut.last_at_ms && hash == cut.head_hash
        })
        && report.entries == cut.entries;
    let signed = verifier.as_ref().is_some_and(|v| cut.verify(v));
    if !sealed_by_vault || !signed {
        report.first_break = Some(Break::BadSignature { seq: cut.to_seq });
        return Ok(report);
    }
    if !agrees {
        report.first_break = Some(Break::ArchiveSealMismatch { seq: cut.to_seq });
        return Ok(report);
    }
    for cp in &checkpoints {
        let Some(verifier) = &verifier else { break };
        if !cp.verify(verifier) {
            report.first_break = Some(Break::BadSignature { seq: cp.seq });
            return Ok(report);
        }
        // A checkpoint is in the archive for its head on the archived chain; its other chains'
        // heads are vouched for elsewhere.
        let on_chain: Vec<_> = cp
            .chain_heads()
            .into_iter()
            .filter(|head| head.chain == cut.chain)
            .collect();
        if on_chain.is_empty() {
            report.first_break = Some(Break::CheckpointHashMismatch { seq: cp.seq });
            return Ok(report);
        }
        for head in on_chain {
            if seen_hashes.get(&(head.chain, head.seq)) != Some(&head.hash) {
                report.first_break = Some(Break::CheckpointHashMismatch { seq: head.seq });
                return Ok(report);
            }
        }
        report.checkpoints += 1;
    }
    Ok(report)
}

/// The (chain, seq) heads the archive's checkpoint lines name (a first, cheap pass: entry lines
/// are not parsed).
fn checkpoint_seqs(path: &Path) -> Result<std::collections::HashSet<(u32, u64)>, AuditError> {
    #[derive(Deserialize)]
    struct Named {
        checkpoint: Checkpoint,
    }
    let file = std::fs::File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut seqs = std::collections::HashSet::new();
    let mut reader = std::io::BufReader::new(file);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = std::io::Read::take(&mut reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|source| AuditError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            return Ok(seqs);
        }
        // Malformed lines are the main pass's to report.
        if buffer.starts_with(b"{\"checkpoint\"") {
            if let Ok(named) = serde_json::from_slice::<Named>(&buffer) {
                seqs.extend(
                    named
                        .checkpoint
                        .chain_heads()
                        .into_iter()
                        .map(|head| (head.chain, head.seq)),
                );
            }
        }
    }
}

/// The entries of an archive, in order, for reading archived months (the review). Lines that are not
/// entries are skipped; a line that cannot be read ends the iteration with its error. Verify the
/// archive first ([`verify_archive`]) to know the entries are the sealed ones.
pub fn archive_entries(
    path: &Path,
) -> Result<impl Iterator<Item = Result<Entry, AuditError>>, AuditError> {
    let file = std::fs::File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let path = path.to_path_buf();
    let mut lines = std::io::BufReader::new(file).lines().enumerate();
    Ok(std::iter::from_fn(move || loop {
        let (number, line) = lines.next()?;
        let line = match line {
            Ok(line) => line,
            Err(source) => {
                return Some(Err(AuditError::Io {
                    path: path.clone(),
                    source,
                }))
            }
        };
        match serde_json::from_str::<Line>(&line) {
            Ok(Line {
                entry: Some(entry), ..
            }) => return Some(Ok(entry)),
            Ok(_) => continue,
            Err(e) => {
                return Some(Err(AuditError::CheckpointLine {
                    path: path.clone(),
                    line: number + 1,
                    reason: format!("not an archive line: {e}"),
                }))
            }
        }
    }))
}
