//! The vault itself: the policy, the key ring, the store and the clock joined, the caches of unwrapped
//! data keys and API keys, and what every capability asks of them (the declared category, the
//! caller's grants, a log entry, a data key, a masked value). The capabilities — subjects, consent,
//! retention, requests, uploads, provisions, keys — each add their operations to [`Vault`] in a file
//! of their own; this module imports none of them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use vow_audit::{Action, Checkpoint, NewEntry};
use vow_crypto::{CryptoError, DataKey, KeyRing, WrappedKey};
use vow_policy::model::{Category, Policy};
use vow_store::{ApiKeyRecord, Outcome, Request, Store, StoreError, SubjectOp, SubjectRecord};

use crate::access::Grants;
use crate::clock::Clock;
use crate::limit::RateLimiter;
use crate::mask::{style_for, Masker};

mod guards;
mod types;
mod util;

pub use types::*;
pub(crate) use util::*;

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

pub(crate) struct KeyCache {
    pub(crate) by_digest: HashMap<[u8; 32], ApiKeyRecord>,
    pub(crate) loaded_ms: Option<i64>,
}

/// How long a cached list of API keys is trusted: a revocation by another process takes effect
/// within this time.
pub(crate) const KEY_CACHE_MS: i64 = 2_000;
/// An unknown key reloads the list at most this often, so guessing keys cannot hammer the database.
pub(crate) const KEY_MISS_RELOAD_MS: i64 = 50;

/// Somewhere else each new checkpoint goes, after the checkpoint file and the key store: a copy of
/// the file the database's owner cannot rewrite, a witness service. A failure is returned from
/// [`Vault::checkpoint`] (the server logs it); the next checkpoint covers everything before it.
pub type CheckpointSink = Box<dyn Fn(&Checkpoint) -> Result<(), VaultError> + Send + Sync>;

pub struct Vault {
    pub(crate) policy: Arc<Policy>,
    pub(crate) keys: RwLock<Arc<KeyRing>>,
    pub(crate) key_file: Option<PathBuf>,
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) checkpoints: Option<PathBuf>,
    pub(crate) checkpoint_state: Mutex<CheckpointState>,
    pub(crate) checkpoint_sinks: Vec<CheckpointSink>,
    pub(crate) api_keys: Mutex<KeyCache>,
    pub(crate) data_keys: Mutex<HashMap<String, Arc<DataKey>>>,
    pub(crate) masker: Masker,
    /// Per-key budget of guesses at values: lookups and credential checks.
    pub(crate) guesses: RateLimiter,
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    /// Where encrypted uploads are kept (`uploads.rs`); none: uploads are refused.
    pub(crate) uploads: Option<PathBuf>,
    /// The grants of a data subject acting on their own data in the privacy center.
    pub(crate) self_service_role: vow_policy::model::Role,
}

/// What this process knows of its checkpoints, for the console: the last one it signed, and whether
/// the latest attempt failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointState {
    /// The entries the last signed checkpoint counts (every chain's), and its newest entry's time.
    pub signed: Option<(u64, i64)>,
    /// Since when (the vault's clock) checkpoints have failed, and the latest failure; none once one
    /// succeeds.
    pub failing: Option<(i64, String)>,
}

/// Unwrapped data keys kept in memory (zeroized when dropped), so a write needs no extra round trip
/// to fetch the wrapped key and a read no unwrapping. Erasure removes the subject's; a subject erased
/// by another process is refused by the store, which checks that the subject is live.
const DATA_KEY_CACHE: usize = 100_000;

impl Vault {
    pub fn new(config: VaultConfig) -> Vault {
        Vault {
            self_service_role: crate::privacy_center::self_service_role(&config.policy),
            policy: Arc::new(config.policy),
            keys: RwLock::new(Arc::new(config.keys)),
            key_file: config.key_file,
            store: config.store,
            clock: config.clock,
            checkpoints: config.checkpoints,
            checkpoint_state: Mutex::new(CheckpointState::default()),
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
    pub(crate) fn take_guess(
        &self,
        caller: &Caller,
        grants: &Grants<'_>,
    ) -> Result<(), VaultError> {
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
    pub(crate) async fn hash_work<T: Send + 'static>(
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

    pub(crate) fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(crate) fn replace_keys(&self, ring: KeyRing) {
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

    pub(crate) fn category(&self, key: &str) -> Result<&Category, VaultError> {
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
        if caller.is_self_service() {
            return Ok(Grants::new(&self.self_service_role));
        }
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

    pub(crate) fn cached_key(&self, subject_id: &str) -> Option<Arc<DataKey>> {
        self.lock_data_keys().get(subject_id).cloned()
    }

    pub(crate) fn remember_key(&self, subject_id: &str, key: DataKey) -> Arc<DataKey> {
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

    pub(crate) fn unwrap(&self, wrapped: &[u8], subject_id: &str) -> Result<DataKey, VaultError> {
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

    // ---- API keys

    // ---- keys and the log
}

/// Password hashes run at once at most on half the cores (at least one), so the other half keeps
/// answering other requests.
fn hashing_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}
