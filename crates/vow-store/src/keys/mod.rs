//! API keys: only a digest of each secret, created and revoked (never deleted).

use crate::*;

mod postgres;
mod sqlite;

/// An API key as stored: only a digest of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub digest: Vec<u8>,
    pub role: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// What is asked of the store about keys.
#[derive(Clone, Debug)]
pub enum KeyOp {
    CreateApiKey(ApiKeyRecord),
    RevokeApiKey { id: String, at_ms: i64 },
    ListApiKeys,
}

impl From<KeyOp> for Op {
    fn from(op: KeyOp) -> Op {
        Op::Keys(op)
    }
}

/// The SQL primitives of keys, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait KeyTx {
    fn insert_api_key(&mut self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    /// Returns false when no unrevoked key has that id.
    fn revoke_api_key(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError>;
    fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError>;
}

pub(crate) fn run(tx: &mut impl KeyTx, op: &KeyOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        KeyOp::CreateApiKey(key) => {
            tx.insert_api_key(key)?;
            Outcome::Created
        }
        KeyOp::RevokeApiKey { id, at_ms } => {
            if tx.revoke_api_key(id, *at_ms)? {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
        KeyOp::ListApiKeys => Outcome::ApiKeys(tx.api_keys()?),
    })
}

pub(crate) fn api_key_from(row: &impl Cols) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: row.col(0)?,
        digest: row.col(1)?,
        role: row.col(2)?,
        label: row.col(3)?,
        created_ms: row.col(4)?,
        revoked_ms: row.col(5)?,
    })
}
