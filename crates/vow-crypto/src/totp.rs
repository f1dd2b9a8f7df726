//! Time-based one-time passwords (RFC 6238) for the console's second factor: HMAC-SHA-1, 6 digits,
//! 30-second steps — the parameters every authenticator app reads from an `otpauth://` URI.
//!
//! SHA-1 is what the apps implement (many ignore any other `algorithm=`); in HOTP it is used as an
//! HMAC, where SHA-1's collision weakness does not apply (RFC 4226 appendix A). A code is accepted
//! for the step before and after the current one (clock drift), and the caller remembers the last
//! accepted step so that one code signs in once.

use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Seconds per step.
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits per code.
pub const TOTP_DIGITS: usize = 6;
/// Bytes of a secret (160 bits, RFC 4226's recommended length).
pub const TOTP_SECRET_LEN: usize = 20;

/// A TOTP shared secret. Zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<[u8; TOTP_SECRET_LEN]>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// A new random secret from the operating system's generator.
    pub fn generate() -> Result<TotpSecret, CryptoError> {
        Ok(TotpSecret(Zeroizing::new(crate::random::array()?)))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TotpSecret, CryptoError> {
        let bytes: [u8; TOTP_SECRET_LEN] = bytes
            .try_into()
            .map_err(|_| CryptoError::Malformed("a TOTP secret is 20 bytes"))?;
        Ok(TotpSecret(Zeroizing::new(bytes)))
    }

    /// The secret from the base32 key an app or a person was given (spaces and case ignored).
    pub fn from_base32(text: &str) -> Result<TotpSecret, CryptoError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = Zeroizing::new(
            data_encoding::BASE32_NOPAD
                .decode(cleaned.trim_end_matches('=').as_bytes())
                .map_err(|_| CryptoError::Malformed("a TOTP key is base32 (A–Z, 2–7)"))?,
        );
        TotpSecret::from_bytes(&bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    /// The secret as authenticator apps take it typed in: RFC 4648 base32, no padding.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0[..]))
    }

    /// The `otpauth://totp/…` URI a QR code carries (Google Authenticator's key URI format).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let label = format!("{}:{}", encode(issuer), encode(account));
        Zeroizing::new(format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}",
            self.base32().as_str(),
            encode(issuer)
        ))
    }

    /// The code for a time step (RFC 4226 §5.3 dynamic truncation).
    pub fn code_at_step(&self, step: i64) -> u32 {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(&self.0[..]) else {
            return 0;
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        binary % 10u32.pow(TOTP_DIGITS as u32)
    }

    /// The step a submitted code matches at `unix_secs` (the current step, or one either side), or
    /// `None`. Every candidate is compared in constant time, and all three always are.
    pub fn verify(&self, code: &str, unix_secs: i64) -> Option<i64> {
        let code = code.trim();
        let code: Vec<u8> = code.bytes().filter(|b| *b != b' ').collect();
        if code.len() != TOTP_DIGITS || !code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let now = unix_secs.div_euclid(TOTP_STEP_SECS);
        let mut found = None;
        for step in [now - 1, now, now + 1] {
            let expected = format!("{:0width$}", self.code_at_step(step), width = TOTP_DIGITS);
            if crate::ct_eq(expected.as_bytes(), &code) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// Percent-encodes what is not unreserved (RFC 3986), for the URI's label and issuer.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        match TotpSecret::from_bytes(b"12345678901234567890") {
            Ok(secret) => secret,
            Err(error) => panic!("{error}"),
        }
    }

    /// RFC 6238 appendix B's SHA-1 vectors, cut to six digits (the low six of the eight).
    #[test]
    fn codes_match_rfc_6238() {
        let secret = rfc_secret();
        for (time, eight) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(
                secret.code_at_step(time / 30),
                eight % 1_000_000,
                "T={time}"
            );
        }
    }

    #[test]
    fn a_code_verifies_one_step_either_side_and_no_further() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let step = now / 30;
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = format!("{:06}", secret.code_at_step(step + offset));
            assert_eq!(
                secret.verify(&code, now),
                accepted.then_some(step + offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = rfc_secret();
        let now = 59;
        let good = format!("{:06}", secret.code_at_step(1));
        assert!(secret.verify(&good, now).is_some());
        assert!(secret.verify(&format!(" {} ", &good[..3]), now).is_none());
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "１２３４５６",
            "287082\u{0}",
        ] {
            assert!(secret.verify(bad, now).is_none(), "{bad:?}");
        }
        // Spaces as an app shows them ("287 082") are fine.
        assert!(secret
            .verify(&format!("{} {}", &good[..3], &good[3..]), now)
            .is_some());
    }

    #[test]
    fn the_uri_carries_the_secret_in_base32_and_escapes_the_label() {
        let secret = rfc_secret();
        assert_eq!(secret.base32().as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = secret.otpauth_uri("vow 이미지", "officer@example.com");
        assert!(
            uri.starts_with("otpauth://totp/vow%20%EC%9D%B4"),
            "{}",
            uri.as_str()
        );
        assert!(uri.contains(":officer%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"));
        assert!(format!("{secret:?}").find("GEZ").is_none());
        let again = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.as_bytes(), secret.as_bytes());
        assert!(TotpSecret::from_base32("GEZDGNBV").is_err());
        assert!(TotpSecret::from_base32("not base32!").is_err());
    }
}
