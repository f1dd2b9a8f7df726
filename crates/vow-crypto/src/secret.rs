use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use crate::CryptoError;

/// Argon2id memory cost in KiB (19 MiB).
///
/// OWASP's Password Storage Cheat Sheet lists m=19456 KiB, t=2, p=1 as the baseline for Argon2id
/// (RFC 9106's second recommended option scaled down for servers): it makes each guess cost 19 MiB of
/// memory, which defeats GPU/ASIC parallelism, while one verification stays around tens of
/// milliseconds on a 2-core VM — cheap enough for logins, expensive for an offline attacker.
/// p=1 because a server verifying many logins gains nothing from splitting one hash across cores.
pub const ARGON2_M_KIB: u32 = 19_456;
/// Argon2id passes.
pub const ARGON2_T: u32 = 2;
/// Argon2id lanes.
pub const ARGON2_P: u32 = 1;

/// Largest memory cost [`verify_secret`] will spend on one stored hash (256 MiB).
const MAX_VERIFY_M_KIB: u32 = 256 * 1024;

fn argon2() -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Argon2id (PHC string, random 16-byte salt) for categories the policy marks as credentials:
/// verifiable, never readable.
pub fn hash_secret(secret: &str) -> Result<String, CryptoError> {
    argon2()?
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Hash(e.to_string()))
}

/// True iff `candidate` hashes to `phc`. A malformed PHC string, or one that is not Argon2id, is
/// simply `false`: there is nothing a caller could do differently.
pub fn verify_secret(phc: &str, candidate: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    if hash.algorithm.as_str() != "argon2id" {
        return false;
    }
    // A stored hash with absurd costs (a corrupted or planted row) must not make one login allocate
    // gigabytes; these bounds are far above anything vow writes.
    match Params::try_from(&hash) {
        Ok(p) if p.m_cost() <= MAX_VERIFY_M_KIB && p.t_cost() <= 16 && p.p_cost() <= 8 => {}
        _ => return false,
    }
    // Parameters come from the PHC string, so hashes made with older settings still verify.
    Argon2::default()
        .verify_password(candidate.as_bytes(), &hash)
        .is_ok()
}

/// Constant-time equality (the length is not secret; the contents are).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Prefix of every API key secret, so secret scanners can recognise a leaked one.
pub const API_SECRET_PREFIX: &str = "vow_";

/// A new API key secret: `vow_` followed by 32 random bytes in URL-safe base64 without padding
/// (43 characters, 256 bits).
///
/// # Panics
/// Only if the operating system's random number generator fails.
pub fn new_api_secret() -> String {
    let bytes = zeroize::Zeroizing::new(crate::random::array_or_abort::<32>());
    let mut s = String::with_capacity(API_SECRET_PREFIX.len() + 43);
    s.push_str(API_SECRET_PREFIX);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(*bytes, &mut s);
    s
}

/// Normalises a value before blind indexing, so that lookups match what a person means:
///
/// - a category whose last segment contains `email`: trimmed, lowercased, Unicode NFC;
/// - a category whose last segment contains `phone`: digits only; a leading country code `82`
///   (from `+82` or `82`) becomes the domestic `0` (`+82 10-1234-5678` → `01012345678`);
/// - anything else: trimmed and Unicode NFC (case is kept: names and identifiers may be
///   case-sensitive).
pub fn normalise_for_lookup(category: &str, value: &str) -> String {
    let last = category
        .rsplit('.')
        .next()
        .unwrap_or(category)
        .to_ascii_lowercase();
    if last.contains("email") {
        // Lowercasing can decompose (İ → i + U+0307), so NFC comes last to keep this idempotent.
        value.trim().to_lowercase().nfc().collect()
    } else if last.contains("phone") {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        match digits.strip_prefix("82") {
            // A domestic Korean number always starts with 0, so a leading 82 is the country code.
            Some(rest) if !rest.is_empty() => {
                if rest.starts_with('0') {
                    rest.to_string()
                } else {
                    format!("0{rest}")
                }
            }
            _ => digits,
        }
    } else {
        value.trim().nfc().collect()
    }
}

/// HMAC-SHA-256 of `message` under `key`: the signature on webhook deliveries, which a receiver
/// recomputes with the shared secret (and compares with [`ct_eq`]).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod hmac_tests {
    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = super::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
