//! The types every capability of the vault shares: who asks, what goes wrong, what an item or an
//! erasure looks like to a caller.

use serde::Serialize;
use time::Date;
use vow_crypto::CryptoError;
use vow_store::*;

/// Longest value accepted for one item. Personal data items are short; a document is an upload.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Longest external id and reason accepted.
pub const MAX_ID_BYTES: usize = 200;

pub const MAX_REASON_BYTES: usize = 500;

/// The first byte of a sealed item's plaintext says what follows: a value, or the Argon2id hash of a
/// credential (which is never readable, only verifiable).
pub(crate) const SEALED_VALUE: u8 = 1;

pub(crate) const SEALED_CREDENTIAL_HASH: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("category {category:?} is not declared in the policy; it declares: {allowed}")]
    UnknownCategory { category: String, allowed: String },
    #[error("subject kind {kind:?} is not declared in the policy; it declares: {allowed}")]
    UnknownKind { kind: String, allowed: String },
    #[error("role {role:?} is not declared in the policy (roles: {allowed})")]
    UnknownRole { role: String, allowed: String },
    #[error(
        "role {role:?} may not {action} (the policy's [[role]] table grants it no such right)"
    )]
    Forbidden { role: String, action: String },
    #[error("category {category:?} is not a lookup key; the policy allows lookup by: {allowed}")]
    NotALookupKey { category: String, allowed: String },
    /// The id is kept for the caller's code but not echoed: an error never reflects what was sent.
    #[error("no such subject (or it was erased)")]
    NoSubject(String),
    #[error("the subject holds no {category}")]
    NoItem { subject: String, category: String },
    /// The existing subject's id is not told: a writer that may create subjects need not learn
    /// whom an external id belongs to.
    #[error("the external id already belongs to a live subject")]
    Conflict,
    #[error("too many lookups or credential checks by this key; retry in {retry_after_ms} ms")]
    RateLimited { retry_after_ms: i64 },
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    #[error("purpose {purpose:?} {why}; the policy's purposes that rest on consent: {allowed}")]
    NotAConsentPurpose {
        purpose: String,
        why: &'static str,
        allowed: String,
    },
    #[error("channel {channel:?} {why}; the policy's advertising channels: {allowed}")]
    UnknownChannel {
        channel: String,
        why: &'static str,
        allowed: String,
    },
    /// The method is evidence, sealed as personal data is: never quoted back.
    #[error("the {what} is not one the policy names; it names: {allowed}")]
    UnknownMethod { what: &'static str, allowed: String },
    /// A change dated before what it changes: the consent ledger is a timeline.
    #[error("out of order: {why}")]
    Timeline { why: String },
    #[error("there is no given consent to {purpose} to withdraw")]
    NothingToWithdraw { purpose: String },
    /// Processing that rests on consent, after the consent was withdrawn or without it.
    #[error("the subject {state} consent to {purpose}, on which this processing rests")]
    NoConsent {
        purpose: String,
        state: &'static str,
    },
    #[error("the policy does not accept this subject: {rule}")]
    ChildRefused { rule: String },
    #[error("the subject is a child under {age}: their data waits for a legal guardian's verified consent")]
    GuardianConsentMissing { age: u8 },
    #[error("the subject asked to stop the processing of their data (처리정지); it is not read for use until the request is resolved")]
    Restricted,
    #[error("the subject asked for {category} to be corrected; it is not used nor given to anyone until it is written anew")]
    UnderCorrection { category: String },
    /// Erasure and account closure end a subject's use: nothing new is taken.
    #[error("the subject's account is closed or the subject was erased: no new data, consent or record is taken for them")]
    SubjectClosed,
    /// A second erasure of a subject whose erasure is done.
    #[error("the subject was erased already; {kept} piece(s) a law still requires are kept apart until their periods end")]
    AlreadyErased { kept: usize },
    #[error("the policy does not offer the right {right:?}; it offers: {offered}")]
    RightNotOffered { right: String, offered: String },
    #[error("uploads are not enabled on this vault (no uploads directory)")]
    UploadsDisabled,
    #[error("the upload is larger than the limit of {limit} bytes; nothing was kept")]
    UploadTooLarge { limit: u64 },
    #[error("no such upload")]
    NoUpload,
    #[error("upload storage: {0}")]
    UploadIo(String),
    #[error("no such rights request")]
    NoRequest,
    #[error("the request is {state}: {why}")]
    RequestState { state: String, why: String },
    #[error("the API key is missing, unknown or revoked")]
    Unauthenticated,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("access-log checkpoint: {0}")]
    Checkpoint(#[from] vow_audit::AuditError),
}

/// Who is asking: the key and its role, from where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub key_id: String,
    pub role: String,
    pub source: String,
    pub reason: Option<String>,
    /// The purpose the caller processes the data for (a `[[purpose]]` key): checked against the
    /// subject's consent when the purpose rests on consent, and written into the access log.
    pub purpose: Option<String>,
}

impl Caller {
    /// The person at the machine running the command line (who holds the key file anyway).
    pub fn operator(reason: Option<String>) -> Caller {
        Caller {
            key_id: "operator".to_string(),
            role: "operator".to_string(),
            source: "local".to_string(),
            reason,
            purpose: None,
        }
    }
    pub(crate) fn is_operator(&self) -> bool {
        self.key_id == "operator" && self.role == "operator" && self.source == "local"
    }
}

/// An authenticated key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub key_id: String,
    pub role: String,
}

/// An item as a caller may receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "shown", content = "value", rename_all = "snake_case")]
pub enum ItemValue {
    /// The whole value: the role may see this category in full.
    Full(String),
    /// Masked: the role may read this category but not see it in full.
    Masked(String),
    /// A credential, kept only as a one-way hash: it can be verified, never read.
    Credential,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedItem {
    pub category: String,
    pub label_ko: String,
    pub label_en: String,
    pub updated_ms: i64,
    #[serde(flatten)]
    pub value: ItemValue,
}

/// Everything held about one subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub id: String,
    pub external_id: String,
    pub kind: String,
    pub created_ms: i64,
    pub items: Vec<ExportedItem>,
}

/// How old a person is said to be when their data is collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeEvidence {
    BirthDate(Date),
    /// Full years, as the person or the service attests.
    Age(u8),
}

/// What an erasure did: how much it destroyed, what a law still requires (kept apart, until when),
/// and whether the data key went too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub destroyed: u64,
    pub kept_apart: Vec<KeptApart>,
    pub kept_by_rule: std::collections::BTreeMap<String, u64>,
    pub data_key_destroyed: bool,
    /// The subject had been erased before this call.
    #[serde(skip)]
    pub already_erased: bool,
}

/// A piece an erasure kept because a law requires it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptApart {
    pub category: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    pub until_ms: i64,
}
