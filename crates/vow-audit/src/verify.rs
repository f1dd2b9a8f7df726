//! Verification of the chain against the checkpoints.

use std::collections::BTreeMap;

use serde::Serialize;
use vow_crypto::AuditVerifier;

use crate::{Checkpoint, Cut, Entry, GENESIS};

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
    /// No checkpoint verifies under the key ring's public key, yet every one is well formed and names
    /// an entry of this log with its hash, and the chain holds: the log is intact, and the key file is
    /// another vault's. `seq` is the first checkpoint's.
    ForeignKey { seq: u64 },
    /// The log has entries but there is no checkpoint at all, while checkpoints are required: the
    /// checkpoint file was removed or emptied, so nothing outside the log vouches for its length.
    NoCheckpoints { entries: u64 },
    /// The key store remembers a signed head later than the last checkpoint in the checkpoint files:
    /// checkpoints were cut off the end of the file.
    CheckpointsBehind { remembered: u64, last: u64 },
    /// An archive has no seal (its last line): it was cut short or never finished.
    ArchiveUnsealed { seq: u64 },
    /// An archive's entries do not agree with its signed seal (first or last entry, count or times):
    /// entries were added, removed or edited with their hashes recomputed.
    ArchiveSealMismatch { seq: u64 },
    /// The log left in the database does not continue where its signed cut says the archived part
    /// ends: entries around the cut were removed, added or edited.
    CutMismatch { seq: u64 },
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
            Break::ForeignKey { seq } => seq,
            Break::NoCheckpoints { .. } => 1,
            Break::CheckpointsBehind { last, .. } => last.saturating_add(1),
            Break::ArchiveUnsealed { seq }
            | Break::ArchiveSealMismatch { seq }
            | Break::CutMismatch { seq } => seq,
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
            Break::ForeignKey { .. } => write!(
                f,
                "no checkpoint is signed by this key file's audit key, though every one matches the log and \
                 the chain holds: the key file does not belong to this vault; restore the vault's own key file \
                 from its backup"
            ),
            Break::NoCheckpoints { entries } => write!(
                f,
                "the log has {entries} entries but no signed checkpoint: the checkpoint file was removed or \
                 emptied, so nothing vouches that the log was not cut short or rolled back"
            ),
            Break::CheckpointsBehind { remembered, last } => write!(
                f,
                "the key store remembers a signed checkpoint of entry {remembered}, but the checkpoint files \
                 end at entry {last}: checkpoints were removed from their end (or, with several servers, \
                 another server's checkpoint file was not given)"
            ),
            Break::ArchiveUnsealed { seq } => write!(
                f,
                "the archive ends after entry {seq} without its signed seal: it was cut short or never finished"
            ),
            Break::ArchiveSealMismatch { seq } => write!(
                f,
                "the archive's entries do not agree with its signed seal (ending at entry {seq}): entries were \
                 added, removed or edited"
            ),
            Break::CutMismatch { seq } => write!(
                f,
                "the log does not continue where its signed cut at entry {seq} says the archived part ends: \
                 entries around the cut were removed, added or edited"
            ),
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// Chains read (1 for a log written by one writer at a time).
    pub chains: u64,
    /// Checkpoints that were checked and held (signature valid, entries present, hashes equal).
    pub checkpoints: u64,
    pub first_break: Option<Break>,
    /// The chain the first break is on (0 in a log of one chain).
    pub break_chain: u32,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chains = if self.chains > 1 {
            format!(" in {} chains", self.chains)
        } else {
            String::new()
        };
        match &self.first_break {
            None => write!(
                f,
                "intact: {} entries{chains}, {} signed checkpoints hold",
                self.entries, self.checkpoints
            ),
            Some(b) => {
                let on_chain = if self.break_chain != 0 {
                    format!(" of chain {}", self.break_chain)
                } else {
                    String::new()
                };
                write!(
                    f,
                    "BROKEN at entry {}{on_chain}: {b} ({} entries read, {} checkpoints held before the break)",
                    b.seq(),
                    self.entries,
                    self.checkpoints
                )
            }
        }
    }
}

/// What a log is verified against, besides its own chains.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anchors<'a> {
    /// The checkpoints from the checkpoint file(s), in any order; duplicates are fine.
    pub checkpoints: &'a [Checkpoint],
    /// The newest signed head remembered apart from the log and its checkpoint file (the key store).
    pub remembered: Option<&'a Checkpoint>,
    /// Whether checkpoints must exist: a log with entries and no checkpoint, or checkpoints ending
    /// before the remembered head, is then broken. Without it, only what is there is checked.
    pub required: bool,
    /// The cuts recorded in the database, in any order: for each chain, the entries up to its newest
    /// cut were archived, and the chain must continue exactly where that cut ends.
    pub cuts: &'a [Cut],
}

/// A checkpoint (its index) and the hash it signed for one entry.
type Signed = (usize, [u8; 32]);

/// [`verify_anchored`] with checkpoints only, none required.
pub fn verify<E>(
    entries: impl Iterator<Item = Result<Entry, E>>,
    checkpoints: &[Checkpoint],
    verifier: &AuditVerifier,
) -> Result<Verification, E> {
    verify_anchored(
        entries,
        Anchors {
            checkpoints,
            ..Anchors::default()
        },
        verifier,
    )
}

/// Streams entries in (chain, seq) order and checks every link and every anchor; names the FIRST
/// broken entry. Memory is constant in the number of entries (checkpoints are held in a map).
///
/// Each chain starts at entry 1 linking to [`GENESIS`], or where its newest cut ends. Checks at each
/// entry, in order: sequence number, link to the previous hash, own hash, then every checkpoint head
/// for that chain and sequence number, the remembered head among them (signature, then hash). After
/// the last entry, a checkpoint head beyond its chain's end, or on a chain the log does not hold,
/// means truncation (or a chain dropped). After the first break the remaining entries are only
/// counted. When no checkpoint verifies but all are well formed and match the log, the key is another
/// vault's ([`Break::ForeignKey`]). Then, if required, checkpoints must exist and reach the
/// remembered head. Errors from the entry source are returned as they are.
pub fn verify_anchored<E>(
    entries: impl Iterator<Item = Result<Entry, E>>,
    anchors: Anchors<'_>,
    verifier: &AuditVerifier,
) -> Result<Verification, E> {
    let all: Vec<&Checkpoint> = anchors
        .checkpoints
        .iter()
        .chain(anchors.remembered)
        .collect();
    let valid: Vec<bool> = all.iter().map(|cp| cp.verify(verifier)).collect();
    // Signed by another key throughout (none verifies): decided at the end, if the log bears it out.
    let foreign = !all.is_empty() && !valid.iter().any(|v| *v);
    let mut matches_log = true;
    // Every head every checkpoint names: (chain, seq) → (which checkpoint, the hash it signed).
    let mut by_head: BTreeMap<(u32, u64), Vec<Signed>> = BTreeMap::new();
    for (index, cp) in all.iter().enumerate() {
        for head in cp.chain_heads() {
            by_head
                .entry((head.chain, head.seq))
                .or_default()
                .push((index, head.hash));
        }
    }
    let mut newest_cut: BTreeMap<u32, &Cut> = BTreeMap::new();
    for cut in anchors.cuts {
        let slot = newest_cut.entry(cut.chain).or_insert(cut);
        if cut.to_seq > slot.to_seq {
            *slot = cut;
        }
    }
    let mut count = 0u64;
    let mut chains = 0u64;
    let mut visited = std::collections::BTreeSet::new();
    let mut held = std::collections::BTreeSet::new();
    let mut first_break: Option<(u32, Break)> = None;
    if !foreign {
        if let Some(cut) = newest_cut.values().find(|cut| !cut.verify(verifier)) {
            first_break = Some((cut.chain, Break::BadSignature { seq: cut.to_seq }));
        }
    }
    // The chain being read: its id, the seq and hash the next entry must follow, its last seq and
    // how many of its entries were read.
    let mut chain: Option<u32> = None;
    let mut prev_hash = GENESIS;
    let mut expected = 1u64;
    let mut last_seq = 0u64;
    let mut in_chain = 0u64;
    // A chain is finished when the next one starts or the log ends: it must reach past its cut.
    let reaches_cut = |chain: u32, last_seq: u64| -> Option<(u32, Break)> {
        let cut = newest_cut.get(&chain)?;
        (last_seq < cut.to_seq).then_some((chain, Break::CutMismatch { seq: cut.to_seq }))
    };

    for item in entries {
        let entry = item?;
        count += 1;
        if chain != Some(entry.chain) {
            chains += 1;
            visited.insert(entry.chain);
            if let (None, Some(done)) = (&first_break, chain) {
                first_break = reaches_cut(done, last_seq);
                if first_break.is_none() && entry.chain < done {
                    // Chains come in order; one seen again was split or reordered.
                    first_break = Some((
                        entry.chain,
                        Break::SeqGap {
                            expected: 1,
                            found: entry.seq,
                        },
                    ));
                }
            }
            chain = Some(entry.chain);
            prev_hash = GENESIS;
            expected = 1;
            in_chain = 0;
        }
        in_chain += 1;
        last_seq = entry.seq;
        if first_break.is_some() {
            continue;
        }
        let at = entry.chain;
        let cut = newest_cut.get(&at).copied();
        if let (Some(cut), 1) = (cut, in_chain) {
            // The archived part is gone: the chain starts at the cut, or (a prune that was
            // interrupted) somewhere before it, and is anchored by the cut's signed head.
            let resumes = cut.to_seq.saturating_add(1);
            if entry.seq > resumes {
                first_break = Some((
                    at,
                    Break::SeqGap {
                        expected: resumes,
                        found: entry.seq,
                    },
                ));
                continue;
            }
            expected = entry.seq;
            prev_hash = if entry.seq == resumes {
                cut.head_hash
            } else {
                entry.prev_hash
            };
            if entry.seq == resumes && entry.prev_hash != cut.head_hash {
                first_break = Some((at, Break::CutMismatch { seq: cut.to_seq }));
                continue;
            }
        }
        if entry.seq != expected {
            first_break = Some((
                at,
                Break::SeqGap {
                    expected,
                    found: entry.seq,
                },
            ));
            continue;
        }
        if entry.prev_hash != prev_hash {
            first_break = Some((at, Break::PrevMismatch { seq: entry.seq }));
            continue;
        }
        if entry.compute_hash() != entry.hash {
            first_break = Some((at, Break::HashMismatch { seq: entry.seq }));
            continue;
        }
        if cut.is_some_and(|cut| cut.to_seq == entry.seq && cut.head_hash != entry.hash) {
            first_break = Some((at, Break::CutMismatch { seq: entry.seq }));
            continue;
        }
        if let Some(heads) = by_head.remove(&(at, entry.seq)) {
            for (index, hash) in heads {
                let cp = all[index];
                if foreign {
                    matches_log &= cp.signature.len() == 64 && hash == entry.hash;
                    continue;
                }
                if !valid[index] {
                    first_break = Some((at, Break::BadSignature { seq: entry.seq }));
                    break;
                }
                if hash != entry.hash {
                    first_break = Some((at, Break::CheckpointHashMismatch { seq: entry.seq }));
                    break;
                }
                held.insert(index);
            }
        }
        prev_hash = entry.hash;
        expected = expected.saturating_add(1);
    }

    if first_break.is_none() {
        if let Some(done) = chain {
            first_break = reaches_cut(done, last_seq);
        }
    }
    if first_break.is_none() {
        // A chain with a cut must keep entries in the log: the archiving is logged after its cut,
        // and a cut never takes a chain's newest entry.
        if let Some(cut) = newest_cut
            .values()
            .find(|cut| !visited.contains(&cut.chain))
        {
            first_break = Some((cut.chain, Break::CutMismatch { seq: cut.to_seq }));
        }
    }
    // Checkpoint heads of archived entries are verified with the archive.
    by_head.retain(|&(chain, seq), _| newest_cut.get(&chain).is_none_or(|cut| seq > cut.to_seq));
    if first_break.is_none() {
        // Heads left over name entries the log does not have (or seq 0, which never exists): the
        // chain was cut short, or dropped altogether.
        if let Some((&(chain, seq), heads)) = by_head.iter().next() {
            let forged = heads.iter().any(|(index, _)| !valid[*index]);
            first_break = Some((
                chain,
                if forged {
                    Break::BadSignature { seq }
                } else {
                    Break::CheckpointMissingEntry { seq }
                },
            ));
        } else if foreign {
            let seq = all.iter().map(|cp| cp.seq).min().unwrap_or(0);
            first_break = Some((
                0,
                if matches_log {
                    Break::ForeignKey { seq }
                } else {
                    Break::BadSignature { seq }
                },
            ));
        }
    }

    if first_break.is_none() && anchors.required {
        // A checkpoint's seq counts the entries of every chain, so a later one has a larger seq.
        // Only signed ones count: a forged line must not stand for checkpoints cut off the end.
        let last = anchors
            .checkpoints
            .iter()
            .zip(&valid)
            .filter(|(_, valid)| **valid)
            .map(|(cp, _)| cp.seq)
            .max();
        match (last, anchors.remembered) {
            (None, None) if count > 0 => {
                first_break = Some((0, Break::NoCheckpoints { entries: count }))
            }
            (last, Some(head)) if last.unwrap_or(0) < head.seq => {
                first_break = Some((
                    0,
                    Break::CheckpointsBehind {
                        remembered: head.seq,
                        last: last.unwrap_or(0),
                    },
                ))
            }
            _ => {}
        }
    }

    let (break_chain, first_break) = match first_break {
        Some((chain, b)) => (chain, Some(b)),
        None => (0, None),
    };
    Ok(Verification {
        entries: count,
        chains,
        checkpoints: held.len() as u64,
        first_break,
        break_chain,
    })
}
