//! The vault's operations. Each one: check the policy (is the category, kind or role declared?), check
//! the caller's grants, then seal or open, and hand the store one request carrying its log entry.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use vow_audit::{Action, Checkpoint, CheckpointFile, NewEntry};
use vow_crypto::{Binding, CryptoError, DataKey, KeyRing, WrappedKey};
use vow_policy::model::{Category, DataClass, Policy};
use vow_store::{
    ApiKeyRecord, ItemRecord, KeyOp, Outcome, Request, Store, StoreError, SubjectOp, SubjectRecord,
};

use crate::access::Grants;
use crate::clock::Clock;
use crate::keys::{ApiKeyInfo, NewApiKey};
use crate::limit::RateLimiter;
use crate::mask::{style_for, Masker};

/// Longest value accepted for one item. Personal data items are short; a document is an upload.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Longest external id and reason accepted.
pub const MAX_ID_BYTES: usize = 200;
pub const MAX_REASON_BYTES: usize = 500;

/// The first byte of a sealed item's plaintext says what follows: a value, or the Argon2id hash of a
/// credential (which is never readable, only verifiable).
const SEALED_VALUE: u8 = 1;
const SEALED_CREDENTIAL_HASH: u8 = 2;

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

pub struct VaultConfig {
    pub policy: Policy,
    pub keys: KeyRing,
    /// Where the key ring lives, so that a rotation by another process can be picked up.
    pub key_file: Option<PathBuf>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Where signed checkpoints of the log are appended (outside the database).
    pub checkpoints: Option<PathBuf>,
}

struct KeyCache {
    by_digest: HashMap<[u8; 32], ApiKeyRecord>,
    loaded_ms: Option<i64>,
}

/// How long a cached list of API keys is trusted: a revocation by another process takes effect
/// within this time.
const KEY_CACHE_MS: i64 = 2_000;
/// An unknown key reloads the list at most this often, so guessing keys cannot hammer the database.
const KEY_MISS_RELOAD_MS: i64 = 50;

/// Somewhere else each new checkpoint goes, after the checkpoint file and the key store: a copy of
/// the file the database's owner cannot rewrite, a witness service. A failure is returned from
/// [`Vault::checkpoint`] (the server logs it); the next checkpoint covers everything before it.
pub type CheckpointSink = Box<dyn Fn(&Checkpoint) -> Result<(), VaultError> + Send + Sync>;

pub struct Vault {
    pub(crate) policy: Arc<Policy>,
    keys: RwLock<Arc<KeyRing>>,
    key_file: Option<PathBuf>,
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    checkpoints: Option<PathBuf>,
    last_checkpoint: Mutex<u64>,
    checkpoint_sinks: Vec<CheckpointSink>,
    api_keys: Mutex<KeyCache>,
    data_keys: Mutex<HashMap<String, Arc<DataKey>>>,
    masker: Masker,
    /// Per-key budget of guesses at values: lookups and credential checks.
    guesses: RateLimiter,
    hashing: Arc<tokio::sync::Semaphore>,
    /// Where encrypted uploads are kept (`uploads.rs`); none: uploads are refused.
    pub(crate) uploads: Option<PathBuf>,
}

/// Unwrapped data keys kept in memory (zeroized when dropped), so a write needs no extra round trip
/// to fetch the wrapped key and a read no unwrapping. Erasure removes the subject's; a subject erased
/// by another process is refused by the store, which checks that the subject is live.
const DATA_KEY_CACHE: usize = 100_000;

impl Vault {
    pub fn new(config: VaultConfig) -> Vault {
        Vault {
            policy: Arc::new(config.policy),
            keys: RwLock::new(Arc::new(config.keys)),
            key_file: config.key_file,
            store: config.store,
            clock: config.clock,
            checkpoints: config.checkpoints,
            last_checkpoint: Mutex::new(0),
            checkpoint_sinks: Vec::new(),
            api_keys: Mutex::new(KeyCache {
                by_digest: HashMap::new(),
                loaded_ms: None,
            }),
            data_keys: Mutex::new(HashMap::new()),
            masker: Masker::new(),
            guesses: RateLimiter::default(),
            hashing: Arc::new(tokio::sync::Semaphore::new(hashing_threads())),
            uploads: None,
        }
    }

    /// Keeps uploads (encrypted, one file each) in `dir`, created 0700 on first use.
    pub fn with_uploads(mut self, dir: PathBuf) -> Vault {
        self.uploads = Some(dir);
        self
    }

    /// Lookups by value and credential checks are guesses at a value: each takes one from the key's
    /// budget (`lookups_per_minute`).
    fn take_guess(&self, caller: &Caller, grants: &Grants<'_>) -> Result<(), VaultError> {
        self.guesses
            .take(
                &caller.key_id,
                grants.lookups_per_minute(),
                self.clock.now_ms(),
            )
            .map_err(|retry_after_ms| VaultError::RateLimited { retry_after_ms })
    }

    /// Runs a password hash or check (Argon2id: tens of milliseconds of one core, by design) on
    /// tokio's blocking pool, at most [`hashing_threads`] at a time, so a burst of logins cannot take
    /// every async worker from the other requests.
    async fn hash_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, VaultError> {
        let permit = Arc::clone(&self.hashing)
            .acquire_owned()
            .await
            .map_err(|_| VaultError::Store(StoreError::Closed))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| VaultError::Store(StoreError::Closed))
    }

    /// Adds a place every new checkpoint is also handed to (see [`CheckpointSink`]).
    pub fn with_checkpoint_sink(mut self, sink: CheckpointSink) -> Vault {
        self.checkpoint_sinks.push(sink);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace_keys(&self, ring: KeyRing) {
        let ring = Arc::new(ring);
        match self.keys.write() {
            Ok(mut keys) => *keys = ring,
            Err(poisoned) => *poisoned.into_inner() = ring,
        }
    }

    // ---- the policy as the source of truth

    pub(crate) fn declared_category(&self, key: &str) -> Result<&Category, VaultError> {
        self.category(key)
    }

    fn category(&self, key: &str) -> Result<&Category, VaultError> {
        self.policy
            .categories
            .iter()
            .find(|c| c.key == key)
            .ok_or_else(|| VaultError::UnknownCategory {
                category: clip(key),
                allowed: list(self.policy.categories.iter().map(|c| c.key.as_str())),
            })
    }

    pub(crate) fn grants(&self, caller: &Caller) -> Result<Grants<'_>, VaultError> {
        self.policy
            .roles
            .iter()
            .find(|r| r.key == caller.role)
            .map(Grants::new)
            .ok_or_else(|| VaultError::UnknownRole {
                role: clip(&caller.role),
                allowed: list(self.policy.roles.iter().map(|r| r.key.as_str())),
            })
    }

    pub(crate) fn forbidden(caller: &Caller, action: impl Into<String>) -> VaultError {
        VaultError::Forbidden {
            role: caller.role.clone(),
            action: action.into(),
        }
    }

    pub(crate) fn entry(
        &self,
        caller: &Caller,
        action: Action,
        subject: Option<&str>,
        categories: &[&str],
    ) -> NewEntry {
        NewEntry {
            at_ms: self.clock.now_ms(),
            key_id: caller.key_id.clone(),
            role: caller.role.clone(),
            source: caller.source.clone(),
            subject_id: subject.map(str::to_string),
            action,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            // The purpose a caller states goes into the log beside its reason.
            reason: match (&caller.purpose, &caller.reason) {
                (Some(purpose), Some(reason)) => Some(format!("purpose {purpose}: {reason}")),
                (Some(purpose), None) => Some(format!("purpose {purpose}")),
                (None, reason) => reason.clone(),
            },
        }
    }

    pub(crate) fn lock_data_keys(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Arc<DataKey>>> {
        match self.data_keys.lock() {
            Ok(keys) => keys,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn cached_key(&self, subject_id: &str) -> Option<Arc<DataKey>> {
        self.lock_data_keys().get(subject_id).cloned()
    }

    fn remember_key(&self, subject_id: &str, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        let mut keys = self.lock_data_keys();
        if keys.len() >= DATA_KEY_CACHE {
            // Dropping them all is crude but bounded, and a miss costs only one unwrap.
            keys.clear();
        }
        keys.insert(subject_id.to_string(), Arc::clone(&key));
        key
    }

    /// The subject's data key, from memory or by unwrapping `wrapped`.
    pub(crate) fn data_key(
        &self,
        wrapped: &[u8],
        subject_id: &str,
    ) -> Result<Arc<DataKey>, VaultError> {
        if let Some(key) = self.cached_key(subject_id) {
            return Ok(key);
        }
        let key = self.unwrap(wrapped, subject_id)?;
        Ok(self.remember_key(subject_id, key))
    }

    fn unwrap(&self, wrapped: &[u8], subject_id: &str) -> Result<DataKey, VaultError> {
        let wrapped = WrappedKey::from_bytes(wrapped)?;
        match self.keys().unwrap_key(&wrapped, subject_id) {
            Err(CryptoError::UnknownKeyVersion(version)) => {
                // `vow keys rotate` in another process added a version: read the key file again.
                if let Some(path) = &self.key_file {
                    let (ring, _) = KeyRing::load_or_create(path)?;
                    self.replace_keys(ring);
                    return Ok(self.keys().unwrap_key(&wrapped, subject_id)?);
                }
                Err(CryptoError::UnknownKeyVersion(version).into())
            }
            other => Ok(other?),
        }
    }

    // ---- subjects and their items

    /// Registers a subject; the id returned is what the service stores instead of personal data.
    pub async fn create_subject(
        &self,
        caller: &Caller,
        external_id: &str,
        kind: &str,
    ) -> Result<String, VaultError> {
        self.create_subject_aged(caller, external_id, kind, None)
            .await
    }

    /// Registers a subject whose age at collection is known. Under `[children] policy = "refuse"`
    /// a child is refused; under `guardian_consent` the child is registered, and their data waits
    /// for a guardian's verified consent. Only that fact is kept, never the date of birth.
    pub async fn create_subject_aged(
        &self,
        caller: &Caller,
        external_id: &str,
        kind: &str,
        age: Option<crate::consent::AgeEvidence>,
    ) -> Result<String, VaultError> {
        let grants = self.grants(caller)?;
        if !grants.may_create_subjects() {
            return Err(Self::forbidden(caller, "create subjects"));
        }
        validate_text("external_id", external_id, MAX_ID_BYTES)?;
        if external_id.trim().is_empty() || external_id.chars().any(char::is_control) {
            return Err(VaultError::Invalid {
                what: "external_id",
                why: "blank, or holds control characters".into(),
            });
        }
        if !self.policy.subjects.iter().any(|s| s.key == kind) {
            return Err(VaultError::UnknownKind {
                kind: clip(kind),
                allowed: list(self.policy.subjects.iter().map(|s| s.key.as_str())),
            });
        }
        let minor = self.is_minor(kind, age)?;
        let id = new_id("sub");
        let (data_key, wrapped) = self.keys().new_data_key(&id)?;
        // A child's earliest possible birthday, sealed: a guardian's consent cannot be older. An
        // adult's age is kept nowhere.
        let born_sealed = match (
            minor,
            age.and_then(crate::consent::earliest_birthday(self.clock.now_ms())),
        ) {
            (true, Some(born)) => Some(data_key.seal(
                born.to_string().as_bytes(),
                &Binding {
                    subject_id: &id,
                    category: crate::consent::BORN_BINDING,
                },
            )?),
            _ => None,
        };
        let record = SubjectRecord {
            id: id.clone(),
            external_id: external_id.to_string(),
            kind: kind.to_string(),
            wrapped_key: wrapped.to_bytes(),
            created_ms: self.clock.now_ms(),
            minor,
            restricted: false,
            closed_ms: None,
            erasure_ms: None,
            born_sealed,
        };
        let entry = self.entry(caller, Action::Create, Some(&id), &[]);
        match self
            .store
            .apply(Request::logged(SubjectOp::CreateSubject(record), entry))
            .await?
        {
            Outcome::Created => {
                self.remember_key(&id, data_key);
                Ok(id)
            }
            Outcome::AlreadyExists { .. } => Err(VaultError::Conflict),
            other => Err(unexpected(other)),
        }
    }

    /// Stores one item, replacing what was there. Returns whether a value was replaced.
    pub async fn put_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        value: &str,
    ) -> Result<bool, VaultError> {
        let declared = self.category(category)?;
        if !self.grants(caller)?.may_write(category) {
            return Err(Self::forbidden(caller, format!("write {category}")));
        }
        validate_text("value", value, MAX_VALUE_BYTES)?;
        let data_key = match self.cached_key(subject_id) {
            Some(key) => key,
            None => {
                let subject = self.subject(subject_id).await?;
                self.data_key(&subject.wrapped_key, subject_id)?
            }
        };
        let binding = Binding {
            subject_id,
            category,
        };
        let mut plaintext = vow_crypto::Zeroizing::new(Vec::with_capacity(value.len() + 1));
        let blind_index = if declared.class == DataClass::Credential {
            let secret = vow_crypto::Zeroizing::new(value.to_string());
            let hash = self
                .hash_work(move || vow_crypto::hash_secret(&secret))
                .await??;
            plaintext.push(SEALED_CREDENTIAL_HASH);
            plaintext.extend_from_slice(hash.as_bytes());
            None
        } else {
            plaintext.push(SEALED_VALUE);
            plaintext.extend_from_slice(value.as_bytes());
            declared.lookup.then(|| {
                let normalised = vow_crypto::normalise_for_lookup(category, value);
                self.keys().blind_index(category, &normalised).to_vec()
            })
        };
        let item = ItemRecord {
            category: category.to_string(),
            sealed: data_key.seal(&plaintext, &binding)?,
            blind_index,
            updated_ms: self.clock.now_ms(),
            contested: false,
        };
        let entry = self.entry(caller, Action::Update, Some(subject_id), &[category]);
        match self
            .store
            .apply(Request::logged(
                SubjectOp::PutItem {
                    subject_id: subject_id.to_string(),
                    item,
                },
                entry,
            ))
            .await?
        {
            Outcome::Stored { replaced } => Ok(replaced),
            Outcome::Closed => Err(VaultError::SubjectClosed),
            Outcome::NeedsGuardian => Err(VaultError::GuardianConsentMissing {
                age: self.policy.children.as_ref().map_or(14, |c| c.age),
            }),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// One item, in full or masked as the caller's role allows.
    pub async fn get_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
    ) -> Result<ItemValue, VaultError> {
        self.category(category)?;
        let grants = self.grants(caller)?;
        if !grants.may_read(category) {
            return Err(Self::forbidden(caller, format!("read {category}")));
        }
        self.check_purpose(caller, subject_id).await?;
        let (data_key, item) = self.read_item(caller, subject_id, category).await?;
        self.shown(&grants, &data_key, subject_id, &item)
    }

    /// Fetches one sealed item (logging the read) and the subject's data key.
    async fn read_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
    ) -> Result<(Arc<DataKey>, ItemRecord), VaultError> {
        let entry = self.entry(caller, Action::Read, Some(subject_id), &[category]);
        let (wrapped_key, item) = match self
            .store
            .apply(Request::logged(
                SubjectOp::GetItem {
                    subject_id: subject_id.to_string(),
                    category: category.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Item {
                wrapped_key,
                item,
                restricted,
                guardian_withdrawn,
            } => {
                // Processing stopped at the subject's request, a child's guardian withdrew, or the
                // value is being corrected: only the privacy officer's role (which answers the
                // request) still reads it.
                let answering = self.grants(caller)?.may_handle_requests();
                if restricted && !answering {
                    return Err(VaultError::Restricted);
                }
                if guardian_withdrawn && !answering {
                    return Err(VaultError::GuardianConsentMissing {
                        age: self.policy.children.as_ref().map_or(14, |c| c.age),
                    });
                }
                if item.contested && !answering {
                    return Err(VaultError::UnderCorrection {
                        category: item.category.clone(),
                    });
                }
                (wrapped_key, item)
            }
            Outcome::NotFound => return Err(self.missing(subject_id, category).await),
            other => return Err(unexpected(other)),
        };
        Ok((self.data_key(&wrapped_key, subject_id)?, item))
    }

    /// Checks a candidate against a stored credential (a password): true when it matches.
    pub async fn verify_credential(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        candidate: &str,
    ) -> Result<bool, VaultError> {
        let declared = self.category(category)?;
        if declared.class != DataClass::Credential {
            return Err(VaultError::Invalid {
                what: "category",
                why: format!("{category} is not a credential; read it instead"),
            });
        }
        let grants = self.grants(caller)?;
        if !grants.may_read(category) {
            return Err(Self::forbidden(caller, format!("verify {category}")));
        }
        validate_text("value", candidate, MAX_VALUE_BYTES)?;
        // Each check is a guess at a secret: it draws on the same per-key budget as lookups.
        self.take_guess(caller, &grants)?;
        let (data_key, item) = self.read_item(caller, subject_id, category).await?;
        let plaintext = data_key.open(
            &item.sealed,
            &Binding {
                subject_id,
                category,
            },
        )?;
        match plaintext.split_first() {
            Some((&SEALED_CREDENTIAL_HASH, phc)) => {
                let Ok(phc) = std::str::from_utf8(phc).map(str::to_string) else {
                    return Ok(false);
                };
                let candidate = vow_crypto::Zeroizing::new(candidate.to_string());
                self.hash_work(move || vow_crypto::verify_secret(&phc, &candidate))
                    .await
            }
            _ => Err(VaultError::Invalid {
                what: "stored credential",
                why: "it was stored before the policy marked the category as a credential; store it again".into(),
            }),
        }
    }

    /// Subjects whose `category` equals `value`, found through the blind index without decrypting.
    pub async fn lookup(
        &self,
        caller: &Caller,
        category: &str,
        value: &str,
    ) -> Result<Vec<String>, VaultError> {
        let declared = self.category(category)?;
        if !declared.lookup || declared.class == DataClass::Credential {
            return Err(VaultError::NotALookupKey {
                category: clip(category),
                allowed: list(
                    self.policy
                        .categories
                        .iter()
                        .filter(|c| c.lookup && c.class != DataClass::Credential)
                        .map(|c| c.key.as_str()),
                ),
            });
        }
        let grants = self.grants(caller)?;
        if !grants.may_lookup(category) {
            return Err(Self::forbidden(
                caller,
                format!("look up subjects by {category}"),
            ));
        }
        validate_text("value", value, MAX_VALUE_BYTES)?;
        self.take_guess(caller, &grants)?;
        let normalised = vow_crypto::normalise_for_lookup(category, value);
        let blind_index = self.keys().blind_index(category, &normalised).to_vec();
        let entry = self.entry(caller, Action::Lookup, None, &[category]);
        match self
            .store
            .apply(Request::logged(
                SubjectOp::Lookup {
                    category: category.to_string(),
                    blind_index,
                    // A value under correction is not found for use, only by who answers the request.
                    include_contested: grants.may_handle_requests(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Subjects(ids) => {
                // A subject not to be used for this caller's purpose — processing stopped, a
                // child's guardian withdrew, no consent to the stated purpose — is not found for
                // use either.
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    match self.check_use(caller, &id).await {
                        Ok(()) => found.push(id),
                        Err(
                            VaultError::Restricted
                            | VaultError::GuardianConsentMissing { .. }
                            | VaultError::NoConsent { .. }
                            | VaultError::NoSubject(_),
                        ) => {}
                        Err(error) => return Err(error),
                    }
                }
                Ok(found)
            }
            other => Err(unexpected(other)),
        }
    }

    /// Erases a subject: everything no law still requires is destroyed (one ledger line per
    /// destruction) and, when nothing is left, the data key too, so every copy of their sealed data,
    /// backups included, becomes unreadable. What a law still requires (imagesfactory's contract
    /// records) stays, kept apart, and the answer says under which rule and law, until when. From then
    /// on the subject is not used: no new data, consent or advertising. A second erasure of an erased
    /// subject is refused (`AlreadyErased`) once it has made sure nothing was left behind.
    pub async fn erase(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<crate::requests::Erasure, VaultError> {
        if !self.grants(caller)?.may_erase() {
            return Err(Self::forbidden(caller, "erase subjects"));
        }
        let erasure = self
            .erase_keeping_holds(caller, subject_id, "erasure")
            .await?;
        if erasure.already_erased && erasure.destroyed == 0 {
            return Err(VaultError::AlreadyErased {
                kept: erasure.kept_apart.len(),
            });
        }
        Ok(erasure)
    }

    /// Everything held about a subject (the right of access and to portability), each item in full
    /// or masked as the caller's role allows.
    pub async fn export(&self, caller: &Caller, subject_id: &str) -> Result<Exported, VaultError> {
        let grants = self.grants(caller)?;
        if !grants.may_export() {
            return Err(Self::forbidden(caller, "export subjects' data"));
        }
        // A subject who asked to stop processing is exported only to answer a request.
        self.check_use(caller, subject_id).await?;
        let answering = grants.may_handle_requests();
        // The export holds exactly what the role may read, and the log says which categories.
        let readable: Vec<&str> = self
            .policy
            .categories
            .iter()
            .map(|c| c.key.as_str())
            .filter(|c| grants.may_read(c))
            .collect();
        let entry = self.entry(caller, Action::Export, Some(subject_id), &readable);
        let (subject, items) = match self
            .store
            .apply(Request::logged(
                SubjectOp::Export {
                    subject_id: subject_id.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Export { subject, items } => (subject, items),
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        };
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let mut exported = Vec::with_capacity(items.len());
        // A value under correction is neither used nor given until written anew.
        for item in items
            .iter()
            .filter(|i| grants.may_read(&i.category) && (answering || !i.contested))
        {
            let (label_ko, label_en) = self
                .policy
                .categories
                .iter()
                .find(|c| c.key == item.category)
                .map(|c| {
                    let ko = c.label.ko.clone().unwrap_or_default();
                    let en = c.label.en.clone().unwrap_or_else(|| ko.clone());
                    (ko, en)
                })
                .unwrap_or_default();
            exported.push(ExportedItem {
                category: item.category.clone(),
                label_ko,
                label_en,
                updated_ms: item.updated_ms,
                value: self.shown(&grants, &data_key, subject_id, item)?,
            });
        }
        // The service's own id for the person can be personal data too (an e-mail, a phone number):
        // a role that sees any of its categories masked sees it masked as free text.
        let external_id = if readable.iter().all(|c| grants.may_see_in_full(c)) {
            subject.external_id
        } else {
            self.masker
                .mask(vow_policy::model::MaskStyle::Text, &subject.external_id)
        };
        Ok(Exported {
            id: subject.id,
            external_id,
            kind: subject.kind,
            created_ms: subject.created_ms,
            items: exported,
        })
    }

    fn shown(
        &self,
        grants: &Grants<'_>,
        data_key: &DataKey,
        subject_id: &str,
        item: &ItemRecord,
    ) -> Result<ItemValue, VaultError> {
        let plaintext = data_key.open(
            &item.sealed,
            &Binding {
                subject_id,
                category: &item.category,
            },
        )?;
        match plaintext.split_first() {
            Some((&SEALED_VALUE, value)) => Ok(self.shown_value(
                grants,
                &item.category,
                String::from_utf8_lossy(value).into_owned(),
            )),
            Some((&SEALED_CREDENTIAL_HASH, _)) => Ok(ItemValue::Credential),
            _ => Err(VaultError::Crypto(CryptoError::Malformed(
                "sealed item of unknown kind",
            ))),
        }
    }

    /// A value in full or masked, as the role may see `category`.
    pub(crate) fn shown_value(
        &self,
        grants: &Grants<'_>,
        category: &str,
        value: String,
    ) -> ItemValue {
        if grants.may_see_in_full(category) {
            return ItemValue::Full(value);
        }
        // A category no longer in the policy is shown hidden, never in full.
        let style = self
            .category(category)
            .map(style_for)
            .unwrap_or(vow_policy::model::MaskStyle::Hidden);
        ItemValue::Masked(self.masker.mask(style, &value))
    }

    pub(crate) async fn subject(&self, subject_id: &str) -> Result<SubjectRecord, VaultError> {
        match self
            .store
            .apply(Request::unlogged(SubjectOp::GetSubject {
                subject_id: subject_id.to_string(),
            }))
            .await?
        {
            Outcome::Subject(subject) => Ok(subject),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// Tells a missing subject from a missing item, for the error message.
    async fn missing(&self, subject_id: &str, category: &str) -> VaultError {
        match self.subject(subject_id).await {
            Ok(_) => VaultError::NoItem {
                subject: clip(subject_id),
                category: category.to_string(),
            },
            Err(error) => error,
        }
    }

    // ---- API keys

    /// Checks a presented secret. Unknown, malformed and revoked keys all get the same answer.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal, VaultError> {
        if !secret.starts_with(vow_crypto::API_SECRET_PREFIX) || secret.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        let digest = self.keys().api_key_digest(secret);
        let now = self.clock.now_ms();
        let (found, stale) = {
            let cache = self.lock_cache();
            let found = cache.by_digest.get(&digest).cloned();
            let age = cache.loaded_ms.map(|at| now - at);
            let stale = match (&found, age) {
                (_, None) => true,
                (Some(_), Some(age)) => age > KEY_CACHE_MS,
                (None, Some(age)) => age > KEY_MISS_RELOAD_MS,
            };
            (found, stale)
        };
        let found = if stale {
            self.reload_api_keys().await?;
            self.lock_cache().by_digest.get(&digest).cloned()
        } else {
            found
        };
        match found {
            Some(record)
                if record.revoked_ms.is_none() && vow_crypto::ct_eq(&record.digest, &digest) =>
            {
                Ok(Principal {
                    key_id: record.id,
                    role: record.role,
                })
            }
            _ => Err(VaultError::Unauthenticated),
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, KeyCache> {
        match self.api_keys.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    async fn reload_api_keys(&self) -> Result<(), VaultError> {
        let records = self.all_api_keys().await?;
        let mut cache = self.lock_cache();
        cache.by_digest = records
            .into_iter()
            .filter_map(|r| {
                <[u8; 32]>::try_from(r.digest.as_slice())
                    .ok()
                    .map(|d| (d, r))
            })
            .collect();
        cache.loaded_ms = Some(self.clock.now_ms());
        Ok(())
    }

    async fn all_api_keys(&self) -> Result<Vec<ApiKeyRecord>, VaultError> {
        match self
            .store
            .apply(Request::unlogged(KeyOp::ListApiKeys))
            .await?
        {
            Outcome::ApiKeys(keys) => Ok(keys),
            other => Err(unexpected(other)),
        }
    }

    fn require_admin(&self, caller: &Caller) -> Result<(), VaultError> {
        if caller.is_operator() || self.grants(caller)?.is_admin() {
            Ok(())
        } else {
            Err(Self::forbidden(caller, "administer API keys"))
        }
    }

    /// Creates a key for a role the policy declares. The record of it is kept in the access log.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        role: &str,
        label: &str,
    ) -> Result<NewApiKey, VaultError> {
        self.require_admin(caller)?;
        if !self.policy.roles.iter().any(|r| r.key == role) {
            return Err(VaultError::UnknownRole {
                role: clip(role),
                allowed: list(self.policy.roles.iter().map(|r| r.key.as_str())),
            });
        }
        if label.len() > MAX_ID_BYTES || label.chars().any(char::is_control) {
            return Err(VaultError::Invalid {
                what: "label",
                why: format!("at most {MAX_ID_BYTES} bytes, no control characters"),
            });
        }
        let secret = vow_crypto::Zeroizing::new(vow_crypto::new_api_secret());
        let id = new_id("key");
        let record = ApiKeyRecord {
            id: id.clone(),
            digest: self.keys().api_key_digest(&secret).to_vec(),
            role: role.to_string(),
            label: label.to_string(),
            created_ms: self.clock.now_ms(),
            revoked_ms: None,
        };
        let mut entry = self.entry(caller, Action::KeyCreate, None, &[]);
        entry.reason = Some(with_reason(
            format!("created key {id} for role {role}"),
            &caller.reason,
        ));
        match self
            .store
            .apply(Request::logged(KeyOp::CreateApiKey(record), entry))
            .await?
        {
            Outcome::Created => {
                self.lock_cache().loaded_ms = None;
                Ok(NewApiKey {
                    id,
                    role: role.to_string(),
                    secret,
                })
            }
            other => Err(unexpected(other)),
        }
    }

    pub async fn revoke_api_key(&self, caller: &Caller, id: &str) -> Result<(), VaultError> {
        self.require_admin(caller)?;
        let mut entry = self.entry(caller, Action::KeyRevoke, None, &[]);
        entry.reason = Some(with_reason(
            format!("revoked key {}", clip(id)),
            &caller.reason,
        ));
        match self
            .store
            .apply(Request::logged(
                KeyOp::RevokeApiKey {
                    id: id.to_string(),
                    at_ms: self.clock.now_ms(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => {
                self.lock_cache().loaded_ms = None;
                Ok(())
            }
            Outcome::NotFound => Err(VaultError::Invalid {
                what: "key id",
                why: format!("no unrevoked key {}", clip(id)),
            }),
            other => Err(unexpected(other)),
        }
    }

    pub async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyInfo>, VaultError> {
        self.require_admin(caller)?;
        Ok(self
            .all_api_keys()
            .await?
            .iter()
            .map(ApiKeyInfo::from)
            .collect())
    }

    // ---- keys and the log

    /// Adds a key-encryption-key version and re-wraps every live subject's data key under it, page
    /// by page, while the vault keeps serving. `progress` hears the running count.
    pub async fn rotate_keys(&self, progress: impl Fn(u64)) -> Result<(u32, u64), VaultError> {
        let Some(path) = &self.key_file else {
            return Err(VaultError::Invalid {
                what: "key ring",
                why:
                    "keys from VOW_KEYS cannot be rotated in place; rotate the file they came from"
                        .into(),
            });
        };
        let (mut ring, _) = KeyRing::load_or_create(path)?;
        let version = ring.rotate(Some(path))?;
        self.replace_keys(ring);
        let mut after = String::new();
        let mut done = 0u64;
        loop {
            let ids = match self
                .store
                .apply(Request::unlogged(SubjectOp::SubjectIds {
                    after: after.clone(),
                    limit: 500,
                }))
                .await?
            {
                Outcome::Subjects(ids) => ids,
                other => return Err(unexpected(other)),
            };
            let Some(last) = ids.last().cloned() else {
                break;
            };
            for id in ids {
                let subject = match self.subject(&id).await {
                    Ok(subject) => subject,
                    Err(VaultError::NoSubject(_)) => continue,
                    Err(error) => return Err(error),
                };
                let wrapped = WrappedKey::from_bytes(&subject.wrapped_key)?;
                let rewrapped = self.keys().rewrap(&wrapped, &id)?;
                self.store
                    .apply(Request::unlogged(SubjectOp::Rewrap {
                        subject_id: id,
                        wrapped_key: rewrapped.to_bytes(),
                    }))
                    .await?;
                done += 1;
                progress(done);
            }
            after = last;
        }
        Ok((version, done))
    }

    /// Signs the log's newest entry into the checkpoint file, if it moved since the last time; the key
    /// store remembers it too, and each checkpoint sink receives it.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, VaultError> {
        let Some(path) = &self.checkpoints else {
            return Ok(None);
        };
        let Some(head) = self.store.audit_last().await? else {
            return Ok(None);
        };
        let checkpoint = {
            let mut last = match self.last_checkpoint.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            if head.seq <= *last {
                return Ok(None);
            }
            let checkpoint = vow_audit::checkpoint(&head, self.keys().signing_key());
            CheckpointFile::append(path, &checkpoint)?;
            *last = head.seq;
            checkpoint
        };
        // Only ever moves forward, so two processes checkpointing at once cannot move it back. Every
        // place is tried even when one fails; the first failure is returned.
        let mut failure = self
            .store
            .remember_signed_head(&checkpoint)
            .await
            .map_err(VaultError::from)
            .err();
        for sink in &self.checkpoint_sinks {
            if let Err(error) = sink(&checkpoint) {
                failure.get_or_insert(error);
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(Some(checkpoint)),
        }
    }
}

/// Password hashes run at once at most on half the cores (at least one), so the other half keeps
/// answering other requests.
fn hashing_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}

pub(crate) fn unexpected(outcome: Outcome) -> VaultError {
    VaultError::Store(StoreError::Corrupt {
        table: "answer",
        reason: format!("unexpected store answer {outcome:?}"),
    })
}

fn with_reason(what: String, reason: &Option<String>) -> String {
    match reason {
        Some(reason) => format!("{what}: {reason}"),
        None => what,
    }
}

pub(crate) fn validate_text(what: &'static str, text: &str, max: usize) -> Result<(), VaultError> {
    if text.is_empty() {
        return Err(VaultError::Invalid {
            what,
            why: "empty".into(),
        });
    }
    if text.len() > max {
        return Err(VaultError::Invalid {
            what,
            why: format!("{} bytes, more than the {max} allowed", text.len()),
        });
    }
    if text.contains('\0') {
        return Err(VaultError::Invalid {
            what,
            why: "contains a NUL character".into(),
        });
    }
    Ok(())
}

/// Names echoed in errors are cut short: an error must not become a way to reflect large input.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub(crate) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

/// A random identifier with a readable prefix: `sub_…` for subjects, `key_…` for API keys.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Without the operating system's randomness no key could be made either.
        std::process::abort();
    }
    format!("{prefix}_{}", hex::encode(bytes))
}
