//! The tamper-evident access log (접속기록) of vow, as pure logic: storage lives in `vow-store`.
//!
//! - [`chain`] turns a [`NewEntry`] into the next [`Entry`] of a SHA-256 hash chain (canonical,
//!   length-prefixed encoding documented in [`entry`]); [`chain_in`] does so on one of several
//!   chains, one per writer, so writers never wait for each other.
//! - [`checkpoint()`] signs the head of the chain with the key ring's ed25519 key; [`CheckpointFile`]
//!   keeps those signatures as JSON Lines outside the database, so truncating or rolling back the
//!   database is detected, not just editing it. [`checkpoint_chains`] signs every chain's head at
//!   once, as the root of a Merkle tree over them.
//! - [`verify()`] streams the log and the checkpoints and names the first broken entry ([`Break`]).
//! - [`Review`] is the monthly review the law asks for (안전성 확보조치 기준 제8조): exports, bulk
//!   reads, reads outside working hours, activity per key; text for the privacy officer, JSON for tools.
//!
//! ## Invariant
//!
//! Pure: no clock (times come in the entries), no database, no I/O except the checkpoint file whose
//! path it is handed. Nothing here panics on any entry or checkpoint content. An entry's encoding, the
//! action names and the signed checkpoint message never change once published: old logs must verify.

pub mod archive;
pub mod checkpoint;
pub mod entry;
pub mod review;
pub mod verify;

use std::path::PathBuf;

pub use archive::{
    archive_entries, verify_archive, write_archive, ArchiveError, ArchiveVerification, Cut,
    ARCHIVE_FORMAT,
};
pub use checkpoint::{
    checkpoint, checkpoint_chains, tree_root, ChainHead, Checkpoint, CheckpointFile,
};
pub use entry::{chain, chain_in, Action, Entry, NewEntry, Position, UnknownAction, GENESIS};
pub use review::{
    BulkLookup, BulkRead, Denials, Flagged, KeyActivity, Review, ReviewOptions, RouteCount,
};
pub use verify::{verify, verify_anchored, Anchors, Break, Verification};

/// Errors of the checkpoint file (the only I/O in this crate), and of witnesses that receive
/// checkpoints elsewhere (sent by the caller).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error("checkpoint file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint file {path}, line {line}: {reason}")]
    CheckpointLine {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "checkpoint file {path}, line {line}: the last line is incomplete (a write was interrupted); \
         no checkpoint was lost that any verification relied on; remove that incomplete line \
         and checkpoints resume"
    )]
    TornCheckpoint { path: PathBuf, line: usize },
    /// A checkpoint could not be handed to a witness (a service keeping copies elsewhere).
    #[error("checkpoint witness {url}: {reason}")]
    Witness { url: String, reason: String },
}
