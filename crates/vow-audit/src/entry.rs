//! Entries and the hash chain.
//!
//! ## Canonical encoding
//!
//! ```text
//! hash = SHA-256( "vow.audit.entry.v1"
//!               || prev_hash                       32 bytes
//!               || u64be(seq) || i64be(at_ms)
//!               || str(key_id) || str(role) || str(source)
//!               || opt(subject_id)
//!               || str(action)                     the snake_case name, e.g. "read"
//!               || u32be(count) || str(category)…  in the order given
//!               || opt(reason) )
//! str(s) = u32be(byte length) || UTF-8 bytes
//! opt(x) = 0x00 when absent, 0x01 || str(x) when present
//! ```
//!
//! Every variable-length field is length-prefixed and every optional field tagged, so no two
//! different entries encode to the same bytes (`subject "ab", reason "c"` ≠ `subject "a", reason
//! "bc"`; an absent reason ≠ an empty one).
//!
//! ## Chains
//!
//! A log is one or more chains, each extended by one writer at a time (on PostgreSQL, each server's
//! committer holds a chain of its own, so servers never wait for each other). Chain 0 is the log as
//! it always was and keeps the encoding above. Every other chain hashes its id first:
//!
//! ```text
//! hash = SHA-256( "vow.audit.entry.v2" || u32be(chain) || prev_hash || …as above… )
//! ```
//!
//! so an entry moved to another chain no longer matches its hash, and `seq` counts within a chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash an entry's `prev_hash` holds when it is the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

const ENTRY_DOMAIN: &[u8] = b"vow.audit.entry.v1";
const CHAINED_ENTRY_DOMAIN: &[u8] = b"vow.audit.entry.v2";

/// What was done. The names are the access-log tasks of 안전성 확보조치 기준 제2조 (read, change,
/// input, delete, print, download) plus vow's own key and role events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Export,
    Download,
    KeyCreate,
    KeyRevoke,
    RoleChange,
    Erase,
    Lookup,
    /// A consent given or re-confirmed (the categories name the purpose and channel).
    ConsentGrant,
    /// A consent withdrawn.
    ConsentWithdraw,
    /// A consent change's result notice marked sent (the categories name the change).
    ConsentNotice,
    /// A retention event reported (account closure, purpose achieved …; the categories name it).
    RetentionEvent,
    /// Data moved to separated storage (분리보관) under a rule that still requires it.
    Separate,
    /// Data destroyed (파기) under the retention rules or an erasure request.
    Destroy,
    /// A data subject's rights request received, or its state changed.
    RightsRequest,
    /// Personal data given to a third party or a processor (the categories; the recipient in the
    /// reason).
    Provide,
    /// An authenticated caller refused (403): the categories hold the route as `METHOD /template`
    /// (`GET /v1/subjects/{id}/export`), never a value from the path or the query.
    Denied,
    /// A person signed in to the console (the key id is the console user's id).
    SignIn,
    /// An officer signed a period off: the monthly access-log review or the destruction ledger (the
    /// categories name which and the month).
    SignOff,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::Create,
        Action::Read,
        Action::Update,
        Action::Delete,
        Action::Export,
        Action::Download,
        Action::KeyCreate,
        Action::KeyRevoke,
        Action::RoleChange,
        Action::Erase,
        Action::Lookup,
        Action::ConsentGrant,
        Action::ConsentWithdraw,
        Action::ConsentNotice,
        Action::RetentionEvent,
        Action::Separate,
        Action::Destroy,
        Action::RightsRequest,
        Action::Provide,
        Action::Denied,
        Action::SignIn,
        Action::SignOff,
    ];

    /// The snake_case name; part of the hashed encoding, so it never changes.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Export => "export",
            Action::Download => "download",
            Action::KeyCreate => "key_create",
            Action::KeyRevoke => "key_revoke",
            Action::RoleChange => "role_change",
            Action::Erase => "erase",
            Action::Lookup => "lookup",
            Action::ConsentGrant => "consent_grant",
            Action::ConsentWithdraw => "consent_withdraw",
            Action::ConsentNotice => "consent_notice",
            Action::RetentionEvent => "retention_event",
            Action::Separate => "separate",
            Action::Destroy => "destroy",
            Action::RightsRequest => "rights_request",
            Action::Provide => "provide",
            Action::Denied => "denied",
            Action::SignIn => "sign_in",
            Action::SignOff => "sign_off",
        }
    }

    /// Reads personal data out of the vault (what the monthly review watches).
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Action::Read | Action::Lookup | Action::Export | Action::Download | Action::Provide
        )
    }

    /// Data leaves the service as a file (exports and downloads are reviewed one by one).
    pub fn is_export(self) -> bool {
        matches!(self, Action::Export | Action::Download)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

/// An action name that is not one of [`Action::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action `{0}`")]
pub struct UnknownAction(pub String);

/// What the caller knows about an access; [`chain`] adds the sequence number and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// Unix time in milliseconds, UTC, from the injected clock.
    pub at_ms: i64,
    pub key_id: String,
    pub role: String,
    /// The client address.
    pub source: String,
    pub subject_id: Option<String>,
    pub action: Action,
    pub categories: Vec<String>,
    /// Why, as given in the request (e.g. a ticket number).
    pub reason: Option<String>,
}

/// One link of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The chain this entry extends (0 unless several writers share the log; see the module
    /// documentation). Absent in JSON when 0, as in every log written before chains.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chain: u32,
    /// 1-based and gapless within its chain.
    pub seq: u64,
    /// Unix time in milliseconds, UTC.
    pub at_ms: i64,
    pub key_id: String,
    pub role: String,
    pub source: String,
    pub subject_id: Option<String>,
    pub action: Action,
    pub categories: Vec<String>,
    pub reason: Option<String>,
    #[serde(with = "hex32")]
    pub prev_hash: [u8; 32],
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
}

/// Where an entry sits in the log, which is read chain by chain, each chain in seq order: the
/// order of this type. Position 0/0 comes before every entry.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    pub chain: u32,
    pub seq: u64,
}

impl std::fmt::Display for Position {
    /// `12`, or `3:12` on a chain other than 0.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.chain == 0 {
            write!(f, "{}", self.seq)
        } else {
            write!(f, "{}:{}", self.chain, self.seq)
        }
    }
}

impl Entry {
    pub fn position(&self) -> Position {
        Position {
            chain: self.chain,
            seq: self.seq,
        }
    }

    /// The hash this entry's fields and `prev_hash` call for (compare with [`Entry::hash`]).
    pub fn compute_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        if self.chain == 0 {
            h.update(ENTRY_DOMAIN);
        } else {
            h.update(CHAINED_ENTRY_DOMAIN);
            h.update(self.chain.to_be_bytes());
        }
        h.update(self.prev_hash);
        h.update(self.seq.to_be_bytes());
        h.update(self.at_ms.to_be_bytes());
        put_str(&mut h, &self.key_id);
        put_str(&mut h, &self.role);
        put_str(&mut h, &self.source);
        put_opt(&mut h, self.subject_id.as_deref());
        put_str(&mut h, self.action.as_str());
        put_len(&mut h, self.categories.len());
        for c in &self.categories {
            put_str(&mut h, c);
        }
        put_opt(&mut h, self.reason.as_deref());
        h.finalize().into()
    }
}

fn is_zero(chain: &u32) -> bool {
    *chain == 0
}

fn put_len(h: &mut Sha256, len: usize) {
    // No in-memory field reaches 4 GiB; saturating keeps the function total without a panic path.
    h.update(u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_str(h: &mut Sha256, s: &str) {
    put_len(h, s.len());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_str(h, s);
        }
    }
}

/// Builds the next entry of chain 0 (see [`chain_in`]).
pub fn chain(prev: Option<&Entry>, new: NewEntry) -> Entry {
    chain_in(0, prev, new)
}

/// Builds the next entry of chain `chain_id`: `seq` = `prev.seq + 1` (or 1), `prev_hash` =
/// `prev.hash` (or [`GENESIS`]), `hash` over the canonical encoding. `prev` is the chain's head.
pub fn chain_in(chain_id: u32, prev: Option<&Entry>, new: NewEntry) -> Entry {
    let (seq, prev_hash) = match prev {
        Some(p) => (p.seq.saturating_add(1), p.hash),
        None => (1, GENESIS),
    };
    let NewEntry {
        at_ms,
        key_id,
        role,
        source,
        subject_id,
        action,
        categories,
        reason,
    } = new;
    let mut e = Entry {
        chain: chain_id,
        seq,
        at_ms,
        key_id,
        role,
        source,
        subject_id,
        action,
        categories,
        reason,
        prev_hash,
        hash: GENESIS,
    };
    e.hash = e.compute_hash();
    e
}

pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.as_bytes(), &mut out)
            .map_err(|_| serde::de::Error::custom("expected 64 hex digits"))?;
        Ok(out)
    }
}

pub(crate) mod hexvec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.as_bytes()).map_err(|_| serde::de::Error::custom("expected hex digits"))
    }
}
