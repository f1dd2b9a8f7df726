//! Arbitrary bytes and text never panic; they give errors.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vow_crypto::{AuditVerifier, Binding, KeyRing, WrappedKey};

const B: Binding<'static> = Binding {
    subject_id: "s1",
    category: "c",
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn open_of_arbitrary_bytes_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let ring = KeyRing::generate();
        let (key, _) = ring.new_data_key("s1").unwrap();
        prop_assert!(key.open(&bytes, &B).is_err());
    }

    #[test]
    fn wrapped_key_from_arbitrary_bytes_never_panics_and_never_unwraps(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let ring = KeyRing::generate();
        if let Ok(w) = WrappedKey::from_bytes(&bytes) {
            prop_assert!(ring.unwrap_key(&w, "s1").is_err());
        }
    }

    #[test]
    fn wrapped_key_with_arbitrary_envelope_never_panics(version in any::<u32>(), bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let ring = KeyRing::generate();
        let w = WrappedKey { kek_version: version, bytes };
        prop_assert!(ring.unwrap_key(&w, "s1").is_err());
    }

    #[test]
    fn key_text_from_arbitrary_strings_is_an_error_not_a_panic(text in ".{0,300}") {
        prop_assert!(KeyRing::from_text(&text).is_err());
    }

    #[test]
    fn key_text_with_one_character_changed_never_panics(pos in any::<prop::sample::Index>(), ch in any::<char>()) {
        let text = KeyRing::generate().to_text();
        let chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        let mutated: String = chars.iter().enumerate().map(|(j, c)| if j == i { ch } else { *c }).collect();
        let _ = KeyRing::from_text(&mutated);
    }

    #[test]
    fn verifier_from_arbitrary_bytes_never_panics(bytes in any::<[u8; 32]>(), sig in proptest::collection::vec(any::<u8>(), 64)) {
        if let Ok(v) = AuditVerifier::from_bytes(&bytes) {
            let mut s = [0u8; 64];
            s.copy_from_slice(&sig);
            let _ = v.verify(b"msg", &s);
        }
    }
}

#[test]
fn truncated_wrapped_key_bytes_are_malformed() {
    let ring = KeyRing::generate();
    let (_, w) = ring.new_data_key("s1").unwrap();
    let bytes = w.to_bytes();
    for len in 0..bytes.len() {
        assert!(WrappedKey::from_bytes(&bytes[..len]).is_err(), "len {len}");
    }
}
