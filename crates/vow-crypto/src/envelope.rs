//! The one envelope format. Sealed value:
//!
//! ```text
//! 0x01 || nonce (12 bytes, random) || AES-256-GCM ciphertext || tag (16 bytes)
//! AAD = "vow.seal.v1" || u32be(len subject) || subject || u32be(len category) || category
//! ```
//!
//! The version byte comes first so that a future format can be told apart by its bytes alone; the
//! AAD is length-prefixed so that `("ab", "c")` and `("a", "bc")` bind differently.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::{random, CryptoError};

/// Format version of sealed values and wrapped keys.
pub const ENVELOPE_VERSION: u8 = 1;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const KEY_LEN: usize = 32;

const SEAL_DOMAIN: &[u8] = b"vow.seal.v1";

/// What a ciphertext is bound to: moving it to another subject or category makes it fail to decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub subject_id: &'a str,
    pub category: &'a str,
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad =
            Vec::with_capacity(SEAL_DOMAIN.len() + 8 + self.subject_id.len() + self.category.len());
        aad.extend_from_slice(SEAL_DOMAIN);
        push_lp(&mut aad, self.subject_id.as_bytes());
        push_lp(&mut aad, self.category.as_bytes());
        aad
    }
}

pub(crate) fn push_lp(out: &mut Vec<u8>, field: &[u8]) {
    // Fields longer than 4 GiB cannot occur in memory-bound values; saturating keeps this total.
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
}

/// A per-subject data key. Zeroized on drop; never printed.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        DataKey(Zeroizing::new(bytes))
    }

    pub(crate) fn generate() -> Result<Self, CryptoError> {
        let mut k = random::array::<KEY_LEN>()?;
        let key = DataKey::from_bytes(k);
        k.zeroize();
        Ok(key)
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// AES-256-GCM with a random 96-bit nonce. Output = version byte (1) || nonce || ciphertext+tag;
    /// AAD = the binding, so the value opens only for the same subject and category.
    pub fn seal(&self, plaintext: &[u8], binding: &Binding) -> Result<Vec<u8>, CryptoError> {
        seal_raw(&self.0, plaintext, &binding.aad())
    }

    /// Opens a value sealed by [`DataKey::seal`] under the same binding.
    pub fn open(
        &self,
        sealed: &[u8],
        binding: &Binding,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_raw(&self.0, sealed, &binding.aad())
    }
}

/// `version || nonce || ct+tag` under `key` with `aad`; shared by values and wrapped keys.
pub(crate) fn seal_raw(
    key: &[u8; KEY_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher =
        Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Malformed("key length"))?;
    let nonce_bytes = random::array::<NONCE_LEN>()?;
    let nonce = Nonce::from(nonce_bytes);
    let ct = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Malformed("plaintext too long"))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ct);
    Ok(out)
}

pub(crate) fn open_raw(
    key: &[u8; KEY_LEN],
    sealed: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (&version, rest) = sealed
        .split_first()
        .ok_or(CryptoError::Malformed("empty sealed value"))?;
    if version != ENVELOPE_VERSION {
        return Err(CryptoError::UnknownFormat(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed(
            "sealed value shorter than nonce and tag",
        ));
    }
    let (nonce_bytes, ct) = rest.split_at(NONCE_LEN);
    let mut nonce_arr = [0u8; NONCE_LEN];
    nonce_arr.copy_from_slice(nonce_bytes);
    let cipher =
        Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Malformed("key length"))?;
    cipher
        .decrypt(&Nonce::from(nonce_arr), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// A data key wrapped (AES-256-GCM) under one version of the key-encryption key.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub kek_version: u32,
    /// The envelope: version byte || nonce || encrypted data key || tag.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kek_version", &self.kek_version)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Serialized length of a wrapped key: format byte, KEK version, envelope.
pub const WRAPPED_KEY_LEN: usize = 1 + 4 + WRAPPED_ENVELOPE_LEN;
pub(crate) const WRAPPED_ENVELOPE_LEN: usize = 1 + NONCE_LEN + KEY_LEN + TAG_LEN;

impl WrappedKey {
    /// `0x01 || u32be(kek_version) || envelope` — the form stored next to a subject.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.bytes.len());
        out.push(ENVELOPE_VERSION);
        out.extend_from_slice(&self.kek_version.to_be_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Parses [`WrappedKey::to_bytes`]; checks shape only (authenticity is checked on unwrap).
    pub fn from_bytes(b: &[u8]) -> Result<Self, CryptoError> {
        let (&version, rest) = b
            .split_first()
            .ok_or(CryptoError::Malformed("empty wrapped key"))?;
        if version != ENVELOPE_VERSION {
            return Err(CryptoError::UnknownFormat(version));
        }
        if b.len() != WRAPPED_KEY_LEN {
            return Err(CryptoError::Malformed("wrapped key has the wrong length"));
        }
        let (ver, envelope) = rest.split_at(4);
        let mut v = [0u8; 4];
        v.copy_from_slice(ver);
        if envelope.first() != Some(&ENVELOPE_VERSION) {
            return Err(CryptoError::UnknownFormat(
                envelope.first().copied().unwrap_or(0),
            ));
        }
        Ok(WrappedKey {
            kek_version: u32::from_be_bytes(v),
            bytes: envelope.to_vec(),
        })
    }
}
