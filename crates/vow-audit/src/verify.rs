//! Verification of the chain against the checkpoints.

use std::collections::BTreeMap;

use serde::Serialize;
use vow_crypto::AuditVerifier;

use crate::{Checkpoint, Entry, GENESIS};

/// The first thing found wrong, located by sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// The entry's fields do not hash to its stored hash: it was edited.
    HashMismatch { seq: u64 },
    /// The entry does not point at the previous entry's hash: an entry before it was removed,
    /// inserted or edited together with its hash.
    PrevMismatch { seq: u64 },
    /// Sequence numbers are not consecutive here: an entry was deleted or entries were reordered.
    SeqGap { expected: u64, found: u64 },
    /// A checkpoint names an entry the log no longer has: the log was truncated.
    CheckpointMissingEntry { seq: u64 },
    /// The entry at a checkpoint has a different hash than was signed: the log was rolled back and
    /// rewritten, or rewritten wholesale with recomputed hashes.
    CheckpointHashMismatch { seq: u64 },
    /// A checkpoint's signature does not verify under the key ring's public key: it is forged or
    /// came from another key.
    BadSignature { seq: u64 },
}

impl Break {
    /// The sequence number where the log first stops being trustworthy.
    pub fn seq(&self) -> u64 {
        match *self {
            Break::HashMismatch { seq }
            | Break::PrevMismatch { seq }
            | Break::CheckpointMissingEntry { seq }
            | Break::CheckpointHashMismatch { seq }
            | Break::BadSignature { seq } => seq,
            Break::SeqGap { expected, .. } => expected,
        }
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::HashMismatch { seq } => write!(f, "entry {seq} was edited: its contents do not match its hash"),
            Break::PrevMismatch { seq } => {
                write!(f, "entry {seq} does not link to entry {}: the chain was altered before it", seq.saturating_sub(1))
            }
            Break::SeqGap { expected, found } => {
                write!(f, "expected entry {expected} but found entry {found}: entries were deleted or reordered")
            }
            Break::CheckpointMissingEntry { seq } => {
                write!(f, "a signed checkpoint covers entry {seq}, which the log no longer has: the log was truncated")
            }
            Break::CheckpointHashMismatch { seq } => write!(
                f,
                "entry {seq} differs from the signed checkpoint: the log was rolled back or rewritten"
            ),
            Break::BadSignature { seq } => {
                write!(f, "the checkpoint for entry {seq} has an invalid signature: forged or signed by another key")
            }
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints that were checked and held (signature valid, entry present, hash equal).
    pub checkpoints: u64,
    pub first_break: Option<Break>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.first_break {
            None => write!(
                f,
                "intact: {} entries, {} signed checkpoints hold",
                self.entries, self.checkpoints
            ),
            Some(b) => write!(
                f,
                "BROKEN at entry {}: {b} ({} entries read, {} checkpoints held before the break)",
                b.seq(),
                self.entries,
                self.checkpoints
            ),
        }
    }
}

/// Streams entries in seq order and checks every link and every checkpoint; names the FIRST broken
/// entry. Memory is constant in the number of entries (checkpoints are held in a map).
///
/// Checks at each entry, in order: sequence number, link to the previous hash, own hash, then any
/// checkpoints for that sequence number (signature, then hash). After the last entry, a checkpoint
/// beyond it means truncation. After the first break the remaining entries are only counted.
/// Errors from the entry source are returned as they are.
pub fn verify<E>(
    entries: impl Iterator<Item = Result<Entry, E>>,
    checkpoints: &[Checkpoint],
    verifier: &AuditVerifier,
) -> Result<Verification, E> {
    let mut by_seq: BTreeMap<u64, Vec<&Checkpoint>> = BTreeMap::new();
    for cp in checkpoints {
        by_seq.entry(cp.seq).or_default().push(cp);
    }
    let mut count = 0u64;
    let mut held = 0u64;
    let mut first_break: Option<Break> = None;
    let mut prev_hash = GENESIS;
    let mut expected = 1u64;

    for item in entries {
        let entry = item?;
        count += 1;
        if first_break.is_some() {
            continue;
        }
        if entry.seq != expected {
            first_break = Some(Break::SeqGap {
                expected,
                found: entry.seq,
            });
            continue;
        }
        if entry.prev_hash != prev_hash {
            first_break = Some(Break::PrevMismatch { seq: entry.seq });
            continue;
        }
        if entry.compute_hash() != entry.hash {
            first_break = Some(Break::HashMismatch { seq: entry.seq });
            continue;
        }
        if let Some(cps) = by_seq.remove(&entry.seq) {
            for cp in cps {
                if !cp.verify(verifier) {
                    first_break = Some(Break::BadSignature { seq: cp.seq });
                    break;
                }
                if cp.hash != entry.hash {
                    first_break = Some(Break::CheckpointHashMismatch { seq: cp.seq });
                    break;
                }
                held += 1;
            }
        }
        prev_hash = entry.hash;
        expected = expected.saturating_add(1);
    }

    if first_break.is_none() {
        // Checkpoints left over name entries the log does not have (or seq 0, which never exists).
        if let Some((&seq, cps)) = by_seq.iter().next() {
            first_break = Some(if cps.iter().any(|cp| !cp.verify(verifier)) {
                Break::BadSignature { seq }
            } else {
                Break::CheckpointMissingEntry { seq }
            });
        }
    }

    Ok(Verification {
        entries: count,
        checkpoints: held,
        first_break,
    })
}
