//! The vault's keys and log over time: re-wrapping every data key under a new key-encryption key,
//! and signing the log's head into its checkpoints.

use vow_audit::{Checkpoint, CheckpointFile};
use vow_crypto::{KeyRing, WrappedKey};
use vow_store::*;

use crate::vault::*;

impl Vault {
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

    /// Signs the heads of the log's chains into the checkpoint file, if the log moved since the last
    /// time; the key store remembers the checkpoint too, and each checkpoint sink receives it. A
    /// failure is kept for the console ([`Vault::checkpoint_state`]) until a checkpoint succeeds.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, VaultError> {
        let result = self.sign_checkpoint().await;
        let mut state = self.lock_checkpoint_state();
        match &result {
            // Only a checkpoint signed and kept everywhere ends a failure: with the log unmoved
            // (`Ok(None)`) the one that failed is still not where it should be.
            Ok(Some(_)) => state.failing = None,
            Ok(None) => {}
            Err(error) => {
                let since = state
                    .failing
                    .as_ref()
                    .map_or_else(|| self.clock.now_ms(), |f| f.0);
                state.failing = Some((since, error.to_string()));
            }
        }
        result
    }

    pub(crate) fn lock_checkpoint_state(&self) -> std::sync::MutexGuard<'_, CheckpointState> {
        match self.checkpoint_state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    async fn sign_checkpoint(&self) -> Result<Option<Checkpoint>, VaultError> {
        let Some(path) = &self.checkpoints else {
            return Ok(None);
        };
        let heads = self.store.audit_heads().await?;
        if heads.is_empty() {
            return Ok(None);
        }
        let checkpoint = {
            let mut state = self.lock_checkpoint_state();
            // A checkpoint's seq counts every chain's entries, so it grows whenever the log does.
            let entries = heads.iter().fold(0u64, |sum, e| sum.saturating_add(e.seq));
            if entries <= state.signed.map_or(0, |s| s.0) {
                return Ok(None);
            }
            let Some(checkpoint) = vow_audit::checkpoint_chains(&heads, self.keys().signing_key())
            else {
                return Ok(None);
            };
            CheckpointFile::append(path, &checkpoint)?;
            state.signed = Some((checkpoint.seq, checkpoint.at_ms));
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
