//! Crypto without surprises for vow: the key ring, envelope encryption with per-subject data keys,
//! blind indexes, secret hashing and the audit signing key.
//!
//! ## What it owns
//!
//! - [`KeyRing`]: the key file. Versioned key-encryption keys (KEKs) wrap per-subject [`DataKey`]s
//!   (envelope encryption); destroying a subject's [`WrappedKey`] makes everything sealed for that
//!   subject unreadable (crypto-shredding), and rotating, rewrapping the others and
//!   [`KeyRing::retire_kek`] extends that to database backups taken earlier. It also holds the
//!   blind-index root key
//!   ([`KeyRing::blind_index`], [`KeyRing::api_key_digest`]) and the ed25519 [`AuditSigner`].
//! - [`DataKey::seal`] / [`DataKey::open`]: one envelope format, `0x01 || nonce || ciphertext+tag`,
//!   AES-256-GCM, bound by associated data to a [`Binding`] (subject and category), so a ciphertext
//!   moved to another subject or column does not decrypt.
//! - [`hash_secret`] / [`verify_secret`]: Argon2id for credentials (verifiable, never readable).
//!
//! ## Invariant
//!
//! Key material is never printed: every type holding it zeroizes on drop and its `Debug` shows a
//! fingerprint at most; errors carry no plaintext, keys or parser messages that could quote them.
//! There is one envelope format, and its version is the first byte of the bytes; no knobs.
//!
//! Only RustCrypto primitives are used (AES-GCM, HKDF, HMAC, SHA-2, Argon2) plus ed25519-dalek; all
//! randomness comes from the operating system (`getrandom`).

mod blob;
mod envelope;
mod error;
mod keyring;
mod private;
mod random;
mod secret;
mod sign;
mod totp;

pub use blob::{BlobDecryptor, BlobEncryptor, BlobKey, BLOB_CHUNK, BLOB_MAGIC, BLOB_SEALED_CHUNK};
pub use envelope::{Binding, DataKey, WrappedKey, ENVELOPE_VERSION, WRAPPED_KEY_LEN};
pub use error::CryptoError;
pub use keyring::{KeyRing, KEY_FILE_FORMAT};
pub use private::{create_private_dir, create_private_file, require_private};
pub use secret::{
    ct_eq, hash_secret, hmac_sha256, new_api_secret, normalise_for_lookup, verify_secret,
    API_SECRET_PREFIX, ARGON2_M_KIB, ARGON2_P, ARGON2_T,
};
pub use sign::{AuditSigner, AuditVerifier};
pub use totp::{TotpSecret, TOTP_DIGITS, TOTP_SECRET_LEN, TOTP_STEP_SECS};
pub use zeroize::Zeroizing;

/// A short public fingerprint of key material (first 8 bytes of a domain-separated SHA-256, hex), for
/// `Debug` and logs. Reveals nothing usable about the key.
pub(crate) fn fingerprint(key: &[u8]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"vow.fingerprint.v1");
    h.update(key);
    let d = h.finalize();
    hex::encode(&d[..8])
}
