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
