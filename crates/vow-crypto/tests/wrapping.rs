#![allow(clippy::unwrap_used)]

use vow_crypto::{Binding, CryptoError, KeyRing, WrappedKey, WRAPPED_KEY_LEN};

const B: Binding<'static> = Binding {
    subject_id: "s1",
    category: "user.contact.email",
};

#[test]
fn unwrapped_key_opens_what_the_original_sealed() {
    let ring = KeyRing::generate();
    let (key, wrapped) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"v", &B).unwrap();
    let again = ring.unwrap_key(&wrapped, "s1").unwrap();
    assert_eq!(&again.open(&sealed, &B).unwrap()[..], b"v");
}

#[test]
fn wrapped_key_copied_to_another_subject_does_not_unwrap() {
    let ring = KeyRing::generate();
    let (_, wrapped) = ring.new_data_key("s1").unwrap();
    assert!(matches!(
        ring.unwrap_key(&wrapped, "s2"),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn wrapped_key_does_not_unwrap_under_another_key_ring() {
    let (_, wrapped) = KeyRing::generate().new_data_key("s1").unwrap();
    assert!(KeyRing::generate().unwrap_key(&wrapped, "s1").is_err());
}

#[test]
fn wrapped_key_bytes_roundtrip() {
    let ring = KeyRing::generate();
    let (_, wrapped) = ring.new_data_key("s1").unwrap();
    let bytes = wrapped.to_bytes();
    assert_eq!(bytes.len(), WRAPPED_KEY_LEN);
    assert_eq!(WrappedKey::from_bytes(&bytes).unwrap(), wrapped);
}

#[test]
fn relabelled_kek_version_does_not_unwrap() {
    let mut ring = KeyRing::generate();
    let (_, wrapped) = ring.new_data_key("s1").unwrap();
    ring.rotate(None).unwrap();
    let relabelled = WrappedKey {
        kek_version: 2,
        bytes: wrapped.bytes.clone(),
    };
    assert!(ring.unwrap_key(&relabelled, "s1").is_err());
}

#[test]
fn unknown_kek_version_is_named() {
    let ring = KeyRing::generate();
    let (_, mut wrapped) = ring.new_data_key("s1").unwrap();
    wrapped.kek_version = 9;
    assert!(matches!(
        ring.unwrap_key(&wrapped, "s1"),
        Err(CryptoError::UnknownKeyVersion(9))
    ));
}

#[test]
fn rotation_keeps_old_wrapped_keys_unwrappable_and_rewrap_moves_them_to_the_new_version() {
    let mut ring = KeyRing::generate();
    assert_eq!(ring.current_version(), 1);
    let (key, old) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"kim", &B).unwrap();

    assert_eq!(ring.rotate(None).unwrap(), 2);
    assert_eq!(ring.current_version(), 2);
    assert_eq!(ring.kek_versions(), vec![1, 2]);

    let via_old = ring.unwrap_key(&old, "s1").unwrap();
    assert_eq!(&via_old.open(&sealed, &B).unwrap()[..], b"kim");

    let moved = ring.rewrap(&old, "s1").unwrap();
    assert_eq!(moved.kek_version, 2);
    assert_ne!(moved.bytes, old.bytes);
    let via_new = ring.unwrap_key(&moved, "s1").unwrap();
    assert_eq!(&via_new.open(&sealed, &B).unwrap()[..], b"kim");

    let (_, fresh) = ring.new_data_key("s2").unwrap();
    assert_eq!(fresh.kek_version, 2);
}

#[test]
fn blind_index_is_stable_across_rotation() {
    let mut ring = KeyRing::generate();
    let before = ring.blind_index("user.contact.email", "kim@example.com");
    ring.rotate(None).unwrap();
    assert_eq!(
        ring.blind_index("user.contact.email", "kim@example.com"),
        before
    );
}

#[test]
fn blind_index_differs_between_categories() {
    let ring = KeyRing::generate();
    assert_ne!(
        ring.blind_index("user.contact.email", "kim@example.com"),
        ring.blind_index("user.account.login_id", "kim@example.com")
    );
}

#[test]
fn blind_index_differs_between_key_rings() {
    assert_ne!(
        KeyRing::generate().blind_index("user.contact.email", "a@b.c"),
        KeyRing::generate().blind_index("user.contact.email", "a@b.c")
    );
}

#[test]
fn blind_index_matches_differently_written_forms_of_the_same_value() {
    let ring = KeyRing::generate();
    assert_eq!(
        ring.blind_index("user.contact.email", "  Kim@Example.COM "),
        ring.blind_index("user.contact.email", "kim@example.com")
    );
    assert_eq!(
        ring.blind_index("user.contact.phone", "+82 10-1234-5678"),
        ring.blind_index("user.contact.phone", "010 1234 5678")
    );
}

#[test]
fn api_key_digest_is_keyed_and_deterministic() {
    let ring = KeyRing::generate();
    let s = vow_crypto::new_api_secret();
    assert_eq!(ring.api_key_digest(&s), ring.api_key_digest(&s));
    assert_ne!(
        ring.api_key_digest(&s),
        KeyRing::generate().api_key_digest(&s)
    );
    assert_ne!(ring.api_key_digest(&s), ring.blind_index("api", &s));
}

#[test]
fn retiring_the_old_kek_makes_a_wrapped_key_from_an_old_backup_unrecoverable() {
    let mut ring = KeyRing::generate();
    let (key_a, wrapped_a) = ring.new_data_key("alice").unwrap();
    let (_, wrapped_b) = ring.new_data_key("bob").unwrap();
    let sealed_a = key_a
        .seal(
            b"alice@example.com",
            &Binding {
                subject_id: "alice",
                category: "e",
            },
        )
        .unwrap();
    drop(key_a);
    let backup = wrapped_a.to_bytes(); // the database backup holds alice's wrapped key

    // Alice is erased: her wrapped key is deleted; everyone else moves to a new KEK; the old one goes.
    ring.rotate(None).unwrap();
    let wrapped_b = ring.rewrap(&wrapped_b, "bob").unwrap();
    ring.retire_kek(1, None).unwrap();

    let restored = WrappedKey::from_bytes(&backup).unwrap();
    assert!(matches!(
        ring.unwrap_key(&restored, "alice"),
        Err(CryptoError::UnknownKeyVersion(1))
    ));
    assert!(ring.unwrap_key(&wrapped_b, "bob").is_ok());
    assert!(!ring.to_text().contains("\"version\": 1,"));
    let _ = sealed_a; // stays ciphertext forever
}

#[test]
fn the_current_kek_cannot_be_retired() {
    let mut ring = KeyRing::generate();
    assert!(ring.retire_kek(1, None).is_err());
    assert!(matches!(
        ring.retire_kek(7, None),
        Err(CryptoError::UnknownKeyVersion(7))
    ));
    assert_eq!(ring.kek_versions(), vec![1]);
}
