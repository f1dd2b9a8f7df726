#![allow(clippy::unwrap_used)]

use base64::Engine;
use vow_crypto::{Binding, CryptoError, KeyRing};

const B: Binding<'static> = Binding {
    subject_id: "s1",
    category: "user.contact.email",
};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn missing_key_file_is_created_with_mode_0600_and_reloads_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("vow.keys");
    let (ring, created) = KeyRing::load_or_create(&path).unwrap();
    assert!(created);
    assert_eq!(mode(&path), 0o600);

    let (again, created_again) = KeyRing::load_or_create(&path).unwrap();
    assert!(!created_again);
    assert_eq!(again.to_text(), ring.to_text());
    // Identical keys, not just identical text: a value sealed under one opens under the other.
    let (key, wrapped) = ring.new_data_key("s1").unwrap();
    let sealed = key.seal(b"v", &B).unwrap();
    assert_eq!(
        &again
            .unwrap_key(&wrapped, "s1")
            .unwrap()
            .open(&sealed, &B)
            .unwrap()[..],
        b"v"
    );
    assert_eq!(again.blind_index("c", "v"), ring.blind_index("c", "v"));
    assert_eq!(
        again.signing_key().verifying_key(),
        ring.signing_key().verifying_key()
    );
    // No temp files left behind.
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
}

#[test]
#[cfg(unix)]
fn world_readable_key_file_is_refused_with_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vow.keys");
    KeyRing::load_or_create(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = KeyRing::load_or_create(&path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CryptoError::KeyFile { .. }));
    assert!(msg.contains("0644") && msg.contains("chmod 600"), "{msg}");
}

#[test]
#[cfg(unix)]
fn group_readable_key_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vow.keys");
    KeyRing::load_or_create(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(KeyRing::load_or_create(&path).is_err());
}

#[test]
#[cfg(unix)]
fn rotation_saves_the_new_version_atomically_and_keeps_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vow.keys");
    let (mut ring, _) = KeyRing::load_or_create(&path).unwrap();
    let (_, old) = ring.new_data_key("s1").unwrap();
    assert_eq!(ring.rotate(Some(&path)).unwrap(), 2);
    assert_eq!(mode(&path), 0o600);
    let (reloaded, created) = KeyRing::load_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(reloaded.current_version(), 2);
    assert!(reloaded.unwrap_key(&old, "s1").is_ok());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn failed_rotation_save_leaves_the_ring_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("vow.keys");
    let mut ring = KeyRing::generate();
    assert!(matches!(
        ring.rotate(Some(&path)),
        Err(CryptoError::KeyFile { .. })
    ));
    assert_eq!(ring.current_version(), 1);
    assert_eq!(ring.kek_versions(), vec![1]);
}

#[test]
fn garbage_key_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vow.keys");
    std::fs::write(&path, "{ not json").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = KeyRing::load_or_create(&path).unwrap_err();
    assert!(err.to_string().contains("vow.keys"), "{err}");
    // Nothing was overwritten.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
}

#[test]
fn key_text_roundtrips_as_json_and_as_base64() {
    let ring = KeyRing::generate();
    let text = ring.to_text();
    assert_eq!(KeyRing::from_text(&text).unwrap().to_text(), text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    // `base64` wraps lines at 76 columns; that must still read.
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(KeyRing::from_text(&wrapped).unwrap().to_text(), text);
}

#[test]
fn key_text_errors_do_not_quote_key_material() {
    let ring = KeyRing::generate();
    let text = ring.to_text();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let index_key = v["index_key"].as_str().unwrap().to_string();
    // Make the index key one character too short, and break the JSON syntax after it.
    let bad = text.replace(&index_key, &index_key[1..]);
    let err = KeyRing::from_text(&bad).unwrap_err().to_string();
    assert!(!err.contains(&index_key[1..]), "{err}");
    let broken = text.replacen(&index_key, &format!("{index_key}\" 1"), 1);
    let err = KeyRing::from_text(&broken).unwrap_err().to_string();
    assert!(!err.contains(&index_key[4..20]), "{err}");
}

#[test]
fn key_text_with_current_version_missing_from_the_list_is_refused() {
    let text = KeyRing::generate()
        .to_text()
        .replace("\"current_kek\": 1", "\"current_kek\": 3");
    let err = KeyRing::from_text(&text).unwrap_err().to_string();
    assert!(err.contains("current_kek"), "{err}");
}

#[test]
fn key_text_from_a_future_format_is_refused() {
    let text = KeyRing::generate()
        .to_text()
        .replace("\"vow_keys\": 1", "\"vow_keys\": 2");
    assert!(KeyRing::from_text(&text)
        .unwrap_err()
        .to_string()
        .contains("format 2"));
}

#[test]
fn processes_creating_the_key_file_at_once_all_end_up_with_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vow.keys");
    let texts: Vec<(String, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let (ring, created) = KeyRing::load_or_create(&path).unwrap();
                    (ring.to_text(), created)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        texts.iter().all(|(t, _)| *t == texts[0].0),
        "two different key rings were handed out"
    );
    assert_eq!(texts.iter().filter(|(_, created)| *created).count(), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), texts[0].0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temp files left behind"
    );
}
