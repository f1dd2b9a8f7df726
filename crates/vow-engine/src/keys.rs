//! API keys as the vault hands them out: the secret is shown once and stored only as a keyed digest.

use serde::Serialize;

/// A key just created. `secret` exists only here: print it once, it cannot be recovered.
pub struct NewApiKey {
    pub id: String,
    pub role: String,
    pub secret: vow_crypto::Zeroizing<String>,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// What may be shown about a key: never its secret or digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub role: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

impl From<&vow_store::ApiKeyRecord> for ApiKeyInfo {
    fn from(record: &vow_store::ApiKeyRecord) -> Self {
        ApiKeyInfo {
            id: record.id.clone(),
            role: record.role.clone(),
            label: record.label.clone(),
            created_ms: record.created_ms,
            revoked_ms: record.revoked_ms,
        }
    }
}

use vow_audit::Action;
use vow_store::*;

use crate::vault::*;

impl Vault {
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

    pub(crate) fn lock_cache(&self) -> std::sync::MutexGuard<'_, KeyCache> {
        match self.api_keys.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) async fn reload_api_keys(&self) -> Result<(), VaultError> {
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

    pub(crate) async fn all_api_keys(&self) -> Result<Vec<ApiKeyRecord>, VaultError> {
        match self
            .store
            .apply(Request::unlogged(KeyOp::ListApiKeys))
            .await?
        {
            Outcome::ApiKeys(keys) => Ok(keys),
            other => Err(unexpected(other)),
        }
    }

    pub(crate) fn require_admin(&self, caller: &Caller) -> Result<(), VaultError> {
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
                self.record_grant(caller, format!("key:{id}"), role, "granted")
                    .await?;
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
        let role = self
            .all_api_keys()
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .map(|k| k.role);
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
                self.record_grant(
                    caller,
                    format!("key:{id}"),
                    role.as_deref().unwrap_or_default(),
                    "revoked",
                )
                .await
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
}
