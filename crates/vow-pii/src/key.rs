//! The secret key behind hashing, pseudonymising and encrypting. One key file gives every operator its own
//! sub-key (HKDF-SHA256), so a hash never reveals a pseudonym's seed and neither reveals the cipher key.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why a key could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Too little key material.
    #[error("the key is {0} bytes long; it must be at least 32 (make one with `openssl rand -hex 32 > vow.key`)")]
    TooShort(usize),
}

/// Key material for the keyed operators. Zeroized on drop; `Debug` shows only a fingerprint.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    hash: [u8; 32],
    pseudo: [u8; 32],
    cipher: [u8; 32],
    nonce: [u8; 32],
    fingerprint: [u8; 8],
}

impl Key {
    /// Derives the operator keys from key-file contents. Trailing whitespace (a newline left by an editor or
    /// `openssl rand -hex 32 > key`) is ignored, so the same file gives the same key everywhere.
    pub fn from_material(material: &[u8]) -> Result<Key, KeyError> {
        let end = material
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        let ikm = &material[..end];
        if ikm.len() < 32 {
            return Err(KeyError::TooShort(ikm.len()));
        }
        let hk = Hkdf::<Sha256>::new(Some(b"vow-pii key v1"), ikm);
        let mut k = Key {
            hash: [0; 32],
            pseudo: [0; 32],
            cipher: [0; 32],
            nonce: [0; 32],
            fingerprint: [0; 8],
        };
        for (info, out) in [
            (&b"hash"[..], &mut k.hash),
            (b"pseudonym", &mut k.pseudo),
            (b"cipher", &mut k.cipher),
            (b"nonce", &mut k.nonce),
        ] {
            hk.expand(info, out)
                .expect("32 bytes is a valid HKDF-SHA256 output length");
        }
        let fp = Sha256::digest([&b"vow-pii fingerprint"[..], &k.hash].concat());
        k.fingerprint.copy_from_slice(&fp[..8]);
        Ok(k)
    }

    /// A short public identifier of the key, safe to print.
    pub fn fingerprint(&self) -> String {
        hex(&self.fingerprint)
    }

    pub(crate) fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    pub(crate) fn hash_key(&self) -> &[u8; 32] {
        &self.hash
    }
    pub(crate) fn pseudo_key(&self) -> &[u8; 32] {
        &self.pseudo
    }
    pub(crate) fn cipher_key(&self) -> &[u8; 32] {
        &self.cipher
    }
    pub(crate) fn nonce_key(&self) -> &[u8; 32] {
        &self.nonce
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(fingerprint {})", self.fingerprint())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(H[usize::from(b >> 4)]));
        s.push(char::from(H[usize::from(b & 15)]));
    }
    s
}
