use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::{fingerprint, CryptoError};

/// The ed25519 key that signs audit-log checkpoints. The secret half zeroizes on drop and never prints.
pub struct AuditSigner(SigningKey);

impl AuditSigner {
    pub(crate) fn from_secret(secret: &[u8; 32]) -> Self {
        AuditSigner(SigningKey::from_bytes(secret))
    }

    pub(crate) fn secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// A fresh signer, for tests and for a new key ring.
    pub fn generate() -> Self {
        let mut secret = zeroize::Zeroizing::new(crate::random::array_or_abort::<32>());
        let s = AuditSigner::from_secret(&secret);
        zeroize::Zeroize::zeroize(&mut *secret);
        s
    }

    /// Signs `msg` (ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }

    /// The public half, to verify checkpoints without the key file's secrets.
    pub fn verifying_key(&self) -> AuditVerifier {
        AuditVerifier(self.0.verifying_key())
    }
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AuditSigner(public {})",
            fingerprint(self.0.verifying_key().as_bytes())
        )
    }
}

/// The public key that verifies audit checkpoints.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditVerifier(VerifyingKey);

impl AuditVerifier {
    /// Strict verification (rejects small-order keys and non-canonical signatures).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        self.0
            .verify_strict(msg, &Signature::from_bytes(sig))
            .is_ok()
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        VerifyingKey::from_bytes(bytes)
            .map(AuditVerifier)
            .map_err(|_| CryptoError::Malformed("not an ed25519 public key"))
    }
}

impl std::fmt::Debug for AuditVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditVerifier({})", fingerprint(self.0.as_bytes()))
    }
}
