//! The vault: a data subject's personal data, kept as the policy file says.
//!
//! A [`Vault`] joins the policy (what may be kept and who may see it), the key ring (how it is sealed),
//! the store (where it is kept, with the access log) and a clock. Every method takes the [`Caller`] —
//! the API key's id and role, the source address and the reason given — and checks the role's grants in
//! the policy before anything else: deny by default.
//!
//! **Invariants.** Never reads the system clock itself: time comes from the injected [`Clock`], so
//! every rule can be exercised "as of" any time. Plaintext leaves this crate only in the answer to a
//! caller whose role may see it in full; everyone else receives it masked. Errors never contain a
//! value.

// The hub: the vault, the types and checks every capability shares. It imports no capability.
mod vault;

// Pure parts, below the vault: grants, masks, the advertising rules, limits, time.
mod access;
mod clock;
mod limit;
pub mod marketing;
mod mask;

// The capabilities, each adding its operations to the vault.
mod campaign;
mod children;
pub mod consent;
pub mod console;
mod denials;
mod keys;
mod log;
mod outbox;
pub mod privacy_center;
pub mod provisions;
pub mod requests;
pub mod retention;
mod subjects;
pub mod uploads;

pub use access::{Grants, DEFAULT_LOOKUPS_PER_MINUTE};
pub use clock::{Clock, ManualClock, SystemClock};
pub use consent::{
    AgeEvidence, AppEvent, ConsentChange, ConsentRecorded, DueConsent, Evidence, LedgerEntry,
    SubjectConsents,
};
pub use keys::{ApiKeyInfo, NewApiKey};
pub use limit::RateLimiter;
pub use marketing::{Rule, Verdict};
pub use mask::{style_for, Masker, HIDDEN};
pub use outbox::KEEP_DELIVERED_MS;
pub use vault::{
    Caller, CheckpointSink, CheckpointState, Exported, ExportedItem, ItemValue, Principal, Vault,
    VaultConfig, VaultError, MAX_ID_BYTES, MAX_REASON_BYTES, MAX_VALUE_BYTES,
};
