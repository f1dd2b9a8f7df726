#![allow(clippy::unwrap_used)]

use base64::Engine;
use vow_crypto::KeyRing;

/// Every key in the ring, decoded from its own key text.
fn secrets(ring: &KeyRing) -> Vec<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_str(&ring.to_text()).unwrap();
    let mut out = vec![];
    let dec = |s: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(s.as_str().unwrap())
            .unwrap()
    };
    for k in v["keks"].as_array().unwrap() {
        out.push(dec(&k["key"]));
    }
    out.push(dec(&v["index_key"]));
    out.push(dec(&v["signing_key"]));
    out
}

fn renderings(key: &[u8]) -> Vec<String> {
    let e = base64::engine::general_purpose::STANDARD;
    vec![
        hex::encode(key),
        hex::encode_upper(key),
        e.encode(key),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
        format!("{key:?}"),
        // A prefix long enough to be meaningful (first 6 bytes).
        hex::encode(&key[..6]),
    ]
}

#[test]
fn key_ring_debug_contains_no_key_bytes() {
    let mut ring = KeyRing::generate();
    ring.rotate(None).unwrap();
    let dbg = format!("{ring:?} {ring:#?} {:?}", ring.signing_key());
    for key in secrets(&ring) {
        for r in renderings(&key) {
            assert!(!dbg.contains(&r), "Debug output contains key bytes ({r})");
        }
    }
    assert!(dbg.contains("current_kek"));
}

#[test]
fn data_key_debug_is_opaque() {
    let ring = KeyRing::generate();
    let (key, wrapped) = ring.new_data_key("s1").unwrap();
    assert_eq!(format!("{key:?}"), "DataKey(..)");
    assert_eq!(format!("{key:#?}"), "DataKey(..)");
    // Wrapped bytes are not secret, but Debug need not dump them either.
    assert!(!format!("{wrapped:?}").contains(&format!("{:?}", &wrapped.bytes[..8])));
}

#[test]
fn crypto_errors_do_not_echo_plaintext() {
    let ring = KeyRing::generate();
    let (key, _) = ring.new_data_key("s1").unwrap();
    let b = vow_crypto::Binding {
        subject_id: "s1",
        category: "c",
    };
    let mut sealed = key.seal(b"900101-1234567", &b).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    let err = key.open(&sealed, &b).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("900101"), "{text}");
}
