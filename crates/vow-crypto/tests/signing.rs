#![allow(clippy::unwrap_used)]

use vow_crypto::{AuditSigner, AuditVerifier, KeyRing};

#[test]
fn signature_verifies_with_the_ring_s_public_key_only_for_the_same_message() {
    let ring = KeyRing::generate();
    let sig = ring.signing_key().sign(b"seq=1");
    let v = ring.signing_key().verifying_key();
    assert!(v.verify(b"seq=1", &sig));
    assert!(!v.verify(b"seq=2", &sig));
}

#[test]
fn signature_from_another_key_does_not_verify() {
    let ring = KeyRing::generate();
    let sig = AuditSigner::generate().sign(b"seq=1");
    assert!(!ring.signing_key().verifying_key().verify(b"seq=1", &sig));
}

#[test]
fn verifying_key_bytes_roundtrip() {
    let v = KeyRing::generate().signing_key().verifying_key();
    assert_eq!(AuditVerifier::from_bytes(&v.to_bytes()).unwrap(), v);
}
