//! Signed checkpoints, kept outside the database.
//!
//! A checkpoint says "entry `seq` had hash `hash`", signed with the key ring's ed25519 key. The chain
//! alone shows edits inside the log; the checkpoints, stored apart from it, show what the chain
//! cannot: the log cut short (truncation) or replaced by an older copy with new entries (rollback).
//!
//! Signed message: `"vow.audit.checkpoint.v1" || u64be(seq) || hash || i64be(at_ms)`.
//!
//! File: JSON Lines, one checkpoint per line, appended with `O_APPEND` and fsynced:
//! `{"seq":1000,"hash":"<64 hex>","at_ms":1764000000000,"signature":"<128 hex>"}`.
//!
//! ## Several chains
//!
//! A log of several chains (one per writer, see [`crate::entry`]) is covered at once, as a
//! Certificate Transparency tree head covers its entries: the checkpoint lists every chain's head
//! and signs the Merkle tree over them (RFC 6962's tree hash, leaf = `0x00 || u32be(chain) ||
//! u64be(seq) || hash`, node = `0x01 || left || right`). `seq` is then the number of entries in all
//! chains together (so "later" still means a larger `seq`) and `hash` the tree's root:
//!
//! ```text
//! message = "vow.audit.checkpoint.v2" || u64be(seq) || root || i64be(at_ms)
//! {"seq":1500,"hash":"<root>","at_ms":…,"signature":…,"heads":[{"chain":0,"seq":1000,"hash":…},…]}
//! ```
//!
//! A log with only chain 0 keeps the first form, byte for byte.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vow_crypto::{AuditSigner, AuditVerifier};

use crate::entry::{hex32, hexvec};
use crate::{AuditError, Entry};

const CHECKPOINT_DOMAIN: &[u8] = b"vow.audit.checkpoint.v1";
const TREE_CHECKPOINT_DOMAIN: &[u8] = b"vow.audit.checkpoint.v2";

/// A signed statement of the log's head at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The head's seq; with several chains, the entries of all chains together.
    pub seq: u64,
    /// The head's hash; with several chains, the Merkle root over [`Checkpoint::heads`].
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    /// The checkpointed entry's time (Unix milliseconds, UTC); with several chains, the newest.
    pub at_ms: i64,
    /// ed25519 signature, 64 bytes (hex in JSON).
    #[serde(with = "hexvec")]
    pub signature: Vec<u8>,
    /// Every chain's head, by chain; empty when the log is chain 0 alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heads: Vec<ChainHead>,
}

/// One chain's newest entry, as a checkpoint of several chains lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChainHead {
    pub chain: u32,
    pub seq: u64,
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
}

impl ChainHead {
    pub fn of(entry: &Entry) -> ChainHead {
        ChainHead {
            chain: entry.chain,
            seq: entry.seq,
            hash: entry.hash,
        }
    }
}

impl Checkpoint {
    /// The bytes that are signed (the first form; see the module documentation for the second).
    pub fn message(seq: u64, hash: &[u8; 32], at_ms: i64) -> Vec<u8> {
        Checkpoint::message_in(CHECKPOINT_DOMAIN, seq, hash, at_ms)
    }

    fn message_in(domain: &[u8], seq: u64, hash: &[u8; 32], at_ms: i64) -> Vec<u8> {
        let mut m = Vec::with_capacity(domain.len() + 48);
        m.extend_from_slice(domain);
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&at_ms.to_be_bytes());
        m
    }

    /// True iff the signature is 64 bytes and valid for `(seq, hash, at_ms)` under `verifier`, and,
    /// with several chains, the heads are in chain order, add up to `seq` and hash to the root.
    pub fn verify(&self, verifier: &AuditVerifier) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(self.signature.as_slice()) else {
            return false;
        };
        if self.heads.is_empty() {
            return verifier.verify(&Checkpoint::message(self.seq, &self.hash, self.at_ms), &sig);
        }
        self.heads_hold()
            && verifier.verify(
                &Checkpoint::message_in(TREE_CHECKPOINT_DOMAIN, self.seq, &self.hash, self.at_ms),
                &sig,
            )
    }

    fn heads_hold(&self) -> bool {
        let ordered = self.heads.windows(2).all(|w| w[0].chain < w[1].chain);
        let total = self
            .heads
            .iter()
            .try_fold(0u64, |sum, head| sum.checked_add(head.seq));
        ordered && total == Some(self.seq) && tree_root(&self.heads) == self.hash
    }

    /// The chain heads this checkpoint vouches for: chain 0's alone in the first form.
    pub fn chain_heads(&self) -> Vec<ChainHead> {
        if self.heads.is_empty() {
            vec![ChainHead {
                chain: 0,
                seq: self.seq,
                hash: self.hash,
            }]
        } else {
            self.heads.clone()
        }
    }

    /// "entry N", or "N entries in K chains", for messages.
    pub fn describe(&self) -> String {
        if self.heads.is_empty() {
            format!("entry {}", self.seq)
        } else {
            format!("{} entries in {} chains", self.seq, self.heads.len())
        }
    }
}

/// Signs the head of a log of chain 0 alone (`entry` is normally the newest entry).
pub fn checkpoint(entry: &Entry, signer: &AuditSigner) -> Checkpoint {
    if entry.chain != 0 {
        if let Some(tree) = checkpoint_chains(std::slice::from_ref(entry), signer) {
            return tree;
        }
    }
    let sig = signer.sign(&Checkpoint::message(entry.seq, &entry.hash, entry.at_ms));
    Checkpoint {
        seq: entry.seq,
        hash: entry.hash,
        at_ms: entry.at_ms,
        signature: sig.to_vec(),
        heads: Vec::new(),
    }
}

/// Signs the heads of every chain at once (the newest entry of each chain, in any order; of two
/// entries of one chain the later counts); a log of chain 0 alone gets the first form, as
/// [`checkpoint`] gives. `None` for an empty log: there is nothing to sign.
pub fn checkpoint_chains(heads: &[Entry], signer: &AuditSigner) -> Option<Checkpoint> {
    if let [only] = heads {
        if only.chain == 0 {
            return Some(checkpoint(only, signer));
        }
    }
    if heads.is_empty() {
        return None;
    }
    let mut listed: Vec<ChainHead> = heads.iter().map(ChainHead::of).collect();
    listed.sort_by_key(|head| (head.chain, std::cmp::Reverse(head.seq)));
    listed.dedup_by_key(|head| head.chain);
    let seq = listed
        .iter()
        .fold(0u64, |sum, head| sum.saturating_add(head.seq));
    let at_ms = heads.iter().map(|e| e.at_ms).max().unwrap_or(0);
    let root = tree_root(&listed);
    let sig = signer.sign(&Checkpoint::message_in(
        TREE_CHECKPOINT_DOMAIN,
        seq,
        &root,
        at_ms,
    ));
    Some(Checkpoint {
        seq,
        hash: root,
        at_ms,
        signature: sig.to_vec(),
        heads: listed,
    })
}

/// RFC 6962's Merkle tree hash over the heads, in the order given.
pub fn tree_root(heads: &[ChainHead]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    match heads {
        [] => Sha256::digest([]).into(),
        [head] => {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(head.chain.to_be_bytes());
            h.update(head.seq.to_be_bytes());
            h.update(head.hash);
            h.finalize().into()
        }
        _ => {
            // The largest power of two smaller than the count, as RFC 6962 §2.1 splits: the
            // highest bit of count - 1.
            let below = heads.len() - 1;
            let split = 1usize << (usize::BITS - 1 - below.leading_zeros());
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(tree_root(&heads[..split]));
            h.update(tree_root(&heads[split..]));
            h.finalize().into()
        }
    }
}

/// The checkpoint file: JSON Lines, append-only.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointFile;

/// A checkpoint line is a few hundred bytes; anything far longer is not ours.
const MAX_LINE: usize = 4096;

impl CheckpointFile {
    /// Appends one checkpoint as a single `write` on an `O_APPEND` descriptor, then fsyncs (and, when
    /// the file is new, fsyncs its directory so the file itself survives a crash). A new file is
    /// created with mode 0600.
    ///
    /// Refuses to append after a torn last line (a crash mid-write): the new line would be glued to
    /// the fragment. [`CheckpointFile::repair_torn_tail`] removes the fragment.
    pub fn append(path: &Path, cp: &Checkpoint) -> Result<(), AuditError> {
        let existed = path.exists();
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true).read(true);
        #[cfg(unix)]
        {
            // Private, like everything vow keeps at rest.
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(path).map_err(|e| io(path, e))?;
        let len = f.metadata().map_err(|e| io(path, e))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            f.seek(SeekFrom::End(-1)).map_err(|e| io(path, e))?;
            f.read_exact(&mut last).map_err(|e| io(path, e))?;
            if last[0] != b'\n' {
                let line = count_lines(path)?;
                return Err(AuditError::TornCheckpoint {
                    path: path.to_path_buf(),
                    line,
                });
            }
        }
        let mut line = serde_json::to_vec(cp).map_err(|e| AuditError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        f.write_all(&line).map_err(|e| io(path, e))?;
        f.sync_all().map_err(|e| io(path, e))?;
        if !existed {
            sync_dir(path).map_err(|e| io(path, e))?;
        }
        Ok(())
    }

    /// Reads every checkpoint. A missing file is an empty list (no checkpoint written yet). A last
    /// line without its newline is reported as [`AuditError::TornCheckpoint`]; any other bad line as
    /// [`AuditError::CheckpointLine`] with its number.
    pub fn read_all(path: &Path) -> Result<Vec<Checkpoint>, AuditError> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(path, e)),
        };
        parse_lines(path, &text)
    }

    /// Removes an incomplete last line left by a crash mid-append; returns whether one was removed.
    /// Safe: a line without its newline was never completely written, so no verifier relied on it.
    /// Reads only the end of the file: it runs at every start, and the file grows for ever.
    pub fn repair_torn_tail(path: &Path) -> Result<bool, AuditError> {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io(path, e))?;
        let mut lines = BackwardLines::new(&mut f).map_err(|e| io(path, e))?;
        if lines.ends_with_newline().map_err(|e| io(path, e))? {
            return Ok(false);
        }
        let keep = lines.end_of_last_complete_line().map_err(|e| io(path, e))?;
        f.set_len(keep).map_err(|e| io(path, e))?;
        f.sync_all().map_err(|e| io(path, e))?;
        Ok(true)
    }

    /// The newest checkpoint that `accept` takes (a valid signature, say), read line by line from the
    /// end of the file, so that finding it costs the same however long the file has grown. Lines that
    /// are not checkpoints are passed over here; [`CheckpointFile::read_all`] names them. A missing
    /// file holds none.
    pub fn newest(
        path: &Path,
        accept: impl Fn(&Checkpoint) -> bool,
    ) -> Result<Option<Checkpoint>, AuditError> {
        let mut f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(path, e)),
        };
        let mut lines = BackwardLines::new(&mut f).map_err(|e| io(path, e))?;
        while let Some(line) = lines.previous().map_err(|e| io(path, e))? {
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.len() > MAX_LINE {
                continue;
            }
            if let Ok(cp) = serde_json::from_slice::<Checkpoint>(line) {
                if accept(&cp) {
                    return Ok(Some(cp));
                }
            }
        }
        Ok(None)
    }
}

/// Lines of a file from its end towards its start, read in blocks.
struct BackwardLines<'f> {
    file: &'f mut std::fs::File,
    /// The file's bytes `[pos, pos + buf.len())`, not yet handed out.
    buf: Vec<u8>,
    pos: u64,
}

impl<'f> BackwardLines<'f> {
    const BLOCK: u64 = 64 * 1024;

    fn new(file: &'f mut std::fs::File) -> std::io::Result<BackwardLines<'f>> {
        let pos = file.metadata()?.len();
        Ok(BackwardLines {
            file,
            buf: Vec::new(),
            pos,
        })
    }

    /// Reads the block before what is held; false at the start of the file.
    fn read_more(&mut self) -> std::io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom};
        if self.pos == 0 {
            return Ok(false);
        }
        let start = self.pos.saturating_sub(Self::BLOCK);
        let mut block = vec![0u8; usize::try_from(self.pos - start).unwrap_or(0)];
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut block)?;
        block.extend_from_slice(&self.buf);
        self.buf = block;
        self.pos = start;
        Ok(true)
    }

    fn ends_with_newline(&mut self) -> std::io::Result<bool> {
        if self.buf.is_empty() && !self.read_more()? {
            return Ok(true); // an empty file has nothing torn
        }
        Ok(self.buf.ends_with(b"\n"))
    }

    /// The length the file keeps when its last, unfinished line is cut off.
    fn end_of_last_complete_line(&mut self) -> std::io::Result<u64> {
        loop {
            if let Some(i) = self.buf.iter().rposition(|b| *b == b'\n') {
                return Ok(self.pos + i as u64 + 1);
            }
            if !self.read_more()? {
                return Ok(0);
            }
        }
    }

    /// The line before those already handed out, without its newline; `None` at the start.
    fn previous(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            let body_end = self.buf.len() - usize::from(self.buf.ends_with(b"\n"));
            if let Some(i) = self.buf[..body_end].iter().rposition(|b| *b == b'\n') {
                let line = self.buf[i + 1..body_end].to_vec();
                self.buf.truncate(i + 1);
                return Ok(Some(line));
            }
            if body_end > MAX_LINE {
                // Far too long for a checkpoint: drop what is held of it and go on before it.
                self.buf.clear();
            }
            if !self.read_more()? {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let line = self.buf[..body_end.min(self.buf.len())].to_vec();
                self.buf.clear();
                return Ok(Some(line));
            }
        }
    }
}

fn parse_lines(path: &Path, text: &[u8]) -> Result<Vec<Checkpoint>, AuditError> {
    let torn = !text.is_empty() && !text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let n = lines.len();
    let mut out = Vec::new();
    for (i, raw) in lines.into_iter().enumerate() {
        let line_no = i + 1;
        let is_last = i + 1 == n;
        if is_last && !torn {
            break; // the empty remainder after the final newline
        }
        if is_last && torn {
            return Err(AuditError::TornCheckpoint {
                path: path.to_path_buf(),
                line: line_no,
            });
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if raw.len() > MAX_LINE {
            return Err(line_err(
                path,
                line_no,
                "line too long for a checkpoint".into(),
            ));
        }
        let cp: Checkpoint =
            serde_json::from_slice(raw).map_err(|e| line_err(path, line_no, e.to_string()))?;
        out.push(cp);
    }
    Ok(out)
}

fn count_lines(path: &Path) -> Result<usize, AuditError> {
    let text = std::fs::read(path).map_err(|e| io(path, e))?;
    Ok(text.iter().filter(|b| **b == b'\n').count() + 1)
}

fn line_err(path: &Path, line: usize, reason: String) -> AuditError {
    AuditError::CheckpointLine {
        path: path.to_path_buf(),
        line,
        reason,
    }
}

fn io(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent: PathBuf = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
