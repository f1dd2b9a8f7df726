//! What the key store remembers apart from the data, and what a store holds before it is opened.
//!
//! The key store (`keys.db`, or the `<schema>_keys` schema) keeps, besides the wrapped data keys, the
//! public half of the key file's audit key, recorded at first start, and the newest signed head of the
//! access log. The first lets a vault refuse a key file that is not its own; the second is an anchor of
//! the log kept away from both the log and its checkpoint file, so a database restored from an older
//! copy, or a log cut short together with its checkpoint file, is still caught.

use vow_audit::Checkpoint;

use crate::StoreError;

/// `vault_meta` name of the audit key's public half.
pub(crate) const AUDIT_KEY: &str = "audit_public_key";

/// What the key store remembers (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Remembered {
    /// The public half of the audit key of the key file the vault was first opened with.
    pub audit_key: Option<[u8; 32]>,
    /// The newest checkpoint of the log ever signed for this vault.
    pub signed_head: Option<Checkpoint>,
}

/// What is asked of the key store's memory; every kind answers with what it remembers afterwards.
#[derive(Clone, Debug)]
pub(crate) enum Remember {
    Read,
    /// Records the audit key's public half unless one is recorded already (the first one stays).
    AuditKey([u8; 32]),
    /// Records a signed head unless a later one is recorded already.
    Head(Checkpoint),
}

/// What a store holds, read without creating or writing anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Any subject, API key or access-log entry.
    pub holds_data: bool,
    /// The audit key's public half recorded at first start.
    pub audit_key: Option<[u8; 32]>,
}

impl Inspection {
    /// Whether this store was ever set up with a key file: it holds data, or remembers a key.
    pub fn is_in_use(&self) -> bool {
        self.holds_data || self.audit_key.is_some()
    }
}

pub(crate) fn audit_key(bytes: Option<Vec<u8>>) -> Result<Option<[u8; 32]>, StoreError> {
    bytes
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
                table: "vault_meta",
                reason: format!("{AUDIT_KEY} is {} bytes, not 32", bytes.len()),
            })
        })
        .transpose()
}

/// The heads of a checkpoint of several chains, as the `heads` column keeps them (JSON; NULL for a
/// checkpoint of chain 0 alone).
pub(crate) fn encode_heads(checkpoint: &Checkpoint) -> Option<String> {
    (!checkpoint.heads.is_empty())
        .then(|| serde_json::to_string(&checkpoint.heads).unwrap_or_else(|_| "[]".to_string()))
}

pub(crate) fn signed_head(
    seq: i64,
    hash: &[u8],
    at_ms: i64,
    signature: Vec<u8>,
    heads: Option<String>,
) -> Result<Checkpoint, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "signed_head",
        reason,
    };
    Ok(Checkpoint {
        seq: u64::try_from(seq).map_err(|_| corrupt(format!("negative seq {seq}")))?,
        hash: hash
            .try_into()
            .map_err(|_| corrupt(format!("hash is {} bytes, not 32", hash.len())))?,
        at_ms,
        signature,
        heads: match heads {
            None => Vec::new(),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| corrupt(format!("heads: {e}")))?
            }
        },
    })
}
