#![allow(clippy::unwrap_used)]

use vow_crypto::{Binding, CryptoError, KeyRing};

const EMAIL: &str = "user.contact.email";

fn b<'a>(subject: &'a str, category: &'a str) -> Binding<'a> {
    Binding {
        subject_id: subject,
        category,
    }
}

#[test]
fn sealed_value_opens_to_the_same_plaintext() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"kim@example.com", &b("s1", EMAIL)).unwrap();
    assert_eq!(
        &key.open(&sealed, &b("s1", EMAIL)).unwrap()[..],
        b"kim@example.com"
    );
}

#[test]
fn sealed_value_starts_with_the_format_version_and_hides_the_plaintext() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"kim@example.com", &b("s1", EMAIL)).unwrap();
    assert_eq!(sealed[0], vow_crypto::ENVELOPE_VERSION);
    assert_eq!(sealed.len(), 1 + 12 + 15 + 16);
    assert!(!sealed.windows(3).any(|w| w == b"kim"));
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let a = key.seal(b"same", &b("s1", EMAIL)).unwrap();
    let c = key.seal(b"same", &b("s1", EMAIL)).unwrap();
    assert_ne!(a, c);
}

#[test]
fn ciphertext_moved_to_another_subject_fails_to_open() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key
        .seal(b"010-1234-5678", &b("s1", "user.contact.phone"))
        .unwrap();
    assert!(matches!(
        key.open(&sealed, &b("s2", "user.contact.phone")),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn ciphertext_moved_to_another_category_fails_to_open() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key
        .seal(b"010-1234-5678", &b("s1", "user.contact.phone"))
        .unwrap();
    assert!(matches!(
        key.open(&sealed, &b("s1", EMAIL)),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn binding_fields_cannot_be_shifted_between_subject_and_category() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s").unwrap();
    let sealed = key.seal(b"x", &b("ab", "c")).unwrap();
    assert!(key.open(&sealed, &b("a", "bc")).is_err());
}

#[test]
fn any_tampered_byte_fails_to_open() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"kim@example.com", &b("s1", EMAIL)).unwrap();
    for i in 0..sealed.len() {
        let mut t = sealed.clone();
        t[i] ^= 0x01;
        assert!(
            key.open(&t, &b("s1", EMAIL)).is_err(),
            "flipping byte {i} went unnoticed"
        );
    }
}

#[test]
fn wrong_data_key_fails_to_open() {
    let ring = KeyRing::generate();
    let (k1, _) = ring.new_data_key("s1").unwrap();
    let (k2, _) = ring.new_data_key("s1").unwrap();
    let sealed = k1.seal(b"secret", &b("s1", EMAIL)).unwrap();
    assert!(matches!(
        k2.open(&sealed, &b("s1", EMAIL)),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn destroyed_wrapped_key_leaves_ciphertext_unopenable_even_with_a_new_key_for_the_subject() {
    let ring = KeyRing::generate();
    let sealed = {
        let (key, wrapped) = ring.new_data_key("s1").unwrap();
        let sealed = key.seal(b"kim@example.com", &b("s1", EMAIL)).unwrap();
        drop(wrapped); // erasure: the only copy of the wrapped key is gone
        sealed
    };
    // The same ring, the same subject: a fresh key is a different key.
    let (fresh, fresh_wrapped) = ring.new_data_key("s1").unwrap();
    assert!(fresh.open(&sealed, &b("s1", EMAIL)).is_err());
    let unwrapped = ring.unwrap_key(&fresh_wrapped, "s1").unwrap();
    assert!(unwrapped.open(&sealed, &b("s1", EMAIL)).is_err());
}

#[test]
fn short_sealed_bytes_are_malformed() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    for len in 0..(1 + 12 + 16) {
        let mut bytes = vec![0u8; len];
        if let Some(first) = bytes.first_mut() {
            *first = 1;
        }
        assert!(
            matches!(
                key.open(&bytes, &b("s1", EMAIL)),
                Err(CryptoError::Malformed(_))
            ),
            "len {len}"
        );
    }
}

#[test]
fn unknown_format_version_byte_is_reported() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let mut sealed = key.seal(b"x", &b("s1", EMAIL)).unwrap();
    sealed[0] = 2;
    assert!(matches!(
        key.open(&sealed, &b("s1", EMAIL)),
        Err(CryptoError::UnknownFormat(2))
    ));
}

#[test]
fn empty_plaintext_roundtrips() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"", &b("s1", EMAIL)).unwrap();
    assert!(key.open(&sealed, &b("s1", EMAIL)).unwrap().is_empty());
}
