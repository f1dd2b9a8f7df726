//! The vault's promises, walked through on a real SQLite data directory with imagesfactory's policy.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vow_engine::{Caller, ItemValue, ManualClock, Vault, VaultConfig, VaultError};
use vow_store::{Location, Store, StoreOptions};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const EMAIL: &str = "user.contact.email";
const PHONE: &str = "user.contact.phone";
const PASSWORD: &str = "user.credential.password";

struct Fixture {
    vault: Vault,
    data: PathBuf,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

fn open(data: &Path, clock: ManualClock) -> Vault {
    let policy = vow_policy::load(Path::new(POLICY)).unwrap();
    let key_file = data.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(
        &Location::Directory(data.to_path_buf()),
        StoreOptions::default(),
    )
    .unwrap();
    Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(key_file),
        store,
        clock: Arc::new(clock),
        checkpoints: Some(data.join("audit-checkpoints.jsonl")),
    })
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let clock = ManualClock::at(1_764_000_000_000);
    Fixture {
        vault: open(&data, clock.clone()),
        data,
        clock,
        _dir: dir,
    }
}

fn caller(role: &str) -> Caller {
    Caller {
        key_id: format!("key_{role}"),
        role: role.into(),
        source: "127.0.0.1".into(),
        reason: Some("test".into()),
        purpose: None,
    }
}

async fn member(vault: &Vault, external_id: &str) -> String {
    vault
        .create_subject(&caller("service"), external_id, "member")
        .await
        .unwrap()
}

/// Every file in the data directory, raw, as one byte string.
fn raw_files(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn planted_values_never_reach_the_data_directory_in_plaintext() {
    let f = fixture();
    let planted = [
        (EMAIL, "planted.person.7731@example.com"),
        (PHONE, "010-7731-4402"),
        ("user.name", "김심어진"),
        (PASSWORD, "Planted-Passw0rd-7731"),
    ];
    let id = member(&f.vault, "user-7731").await;
    for (category, value) in planted {
        f.vault
            .put_item(&caller("service"), &id, category, value)
            .await
            .unwrap();
    }
    // Read them back too, so that reads and the log are on disk as well.
    f.vault.export(&caller("service"), &id).await.unwrap();
    f.vault.checkpoint().await.unwrap();
    let raw = raw_files(&f.data);
    assert!(raw.len() > 10_000, "the database files are there");
    for (_, value) in planted {
        assert!(!contains(&raw, value), "{value} found in plaintext on disk");
    }
    // The blind index of the phone is not the digits either.
    assert!(!contains(&raw, "01077314402"));
}

#[tokio::test]
async fn full_view_roles_see_values_and_read_only_roles_see_them_masked() {
    let f = fixture();
    let id = member(&f.vault, "u1").await;
    let service = caller("service");
    f.vault
        .put_item(&service, &id, PHONE, "010-1234-5678")
        .await
        .unwrap();
    f.vault
        .put_item(&service, &id, EMAIL, "minji@example.com")
        .await
        .unwrap();
    assert_eq!(
        f.vault
            .get_item(&caller("privacy_officer"), &id, PHONE)
            .await
            .unwrap(),
        ItemValue::Full("010-1234-5678".into())
    );
    assert_eq!(
        f.vault
            .get_item(&caller("support"), &id, PHONE)
            .await
            .unwrap(),
        ItemValue::Masked("010-****-5678".into())
    );
    assert_eq!(
        f.vault
            .get_item(&caller("support"), &id, EMAIL)
            .await
            .unwrap(),
        ItemValue::Masked("m***@example.com".into())
    );
}

#[tokio::test]
async fn roles_without_a_grant_are_refused_and_see_nothing() {
    let f = fixture();
    let id = member(&f.vault, "u1").await;
    f.vault
        .put_item(&caller("service"), &id, PHONE, "010-1234-5678")
        .await
        .unwrap();
    let admin = caller("admin");
    let refused = f.vault.get_item(&admin, &id, PHONE).await.unwrap_err();
    assert!(matches!(refused, VaultError::Forbidden { .. }), "{refused}");
    assert!(!refused.to_string().contains("5678"));
    assert!(matches!(
        f.vault.export(&caller("support"), &id).await,
        Err(VaultError::Forbidden { .. })
    ));
    assert!(matches!(
        f.vault.erase(&caller("support"), &id).await,
        Err(VaultError::Forbidden { .. })
    ));
    assert!(matches!(
        f.vault
            .put_item(&caller("support"), &id, PHONE, "010-0000-0000")
            .await,
        Err(VaultError::Forbidden { .. })
    ));
    assert!(matches!(
        f.vault.get_item(&caller("intruder"), &id, PHONE).await,
        Err(VaultError::UnknownRole { .. })
    ));
}

#[tokio::test]
async fn what_the_policy_does_not_declare_is_refused_with_what_it_allows() {
    let f = fixture();
    let id = member(&f.vault, "u1").await;
    let error = f
        .vault
        .put_item(&caller("service"), &id, "user.biometric.face", "x")
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("user.biometric.face"), "{message}");
    assert!(
        message.contains(EMAIL),
        "the message lists what is declared: {message}"
    );
    let error = f
        .vault
        .create_subject(&caller("service"), "u2", "alien")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("member"), "{error}");
}

#[tokio::test]
async fn a_password_is_kept_only_as_a_verifiable_hash() {
    let f = fixture();
    let id = member(&f.vault, "u1").await;
    let service = caller("service");
    f.vault
        .put_item(&service, &id, PASSWORD, "correct horse")
        .await
        .unwrap();
    assert_eq!(
        f.vault.get_item(&service, &id, PASSWORD).await.unwrap(),
        ItemValue::Credential
    );
    assert!(f
        .vault
        .verify_credential(&service, &id, PASSWORD, "correct horse")
        .await
        .unwrap());
    assert!(!f
        .vault
        .verify_credential(&service, &id, PASSWORD, "wrong horse")
        .await
        .unwrap());
}

#[tokio::test]
async fn lookup_finds_a_subject_by_email_whatever_its_case() {
    let f = fixture();
    let id = member(&f.vault, "u1").await;
    let other = member(&f.vault, "u2").await;
    let service = caller("service");
    f.vault
        .put_item(&service, &id, EMAIL, "Minji@Example.com")
        .await
        .unwrap();
    f.vault
        .put_item(&service, &other, EMAIL, "other@example.com")
        .await
        .unwrap();
    assert_eq!(
        f.vault
            .lookup(&service, EMAIL, " minji@example.COM ")
            .await
            .unwrap(),
        vec![id]
    );
    assert!(matches!(
        f.vault.lookup(&service, "user.name", "김민지").await,
        Err(VaultError::NotALookupKey { .. })
    ));
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_subject_does_not_decrypt() {
    let f = fixture();
    let service = caller("service");
    let alice = member(&f.vault, "alice").await;
    let bob = member(&f.vault, "bob").await;
    f.vault
        .put_item(&service, &alice, PHONE, "010-1111-1111")
        .await
        .unwrap();
    f.vault
        .put_item(&service, &bob, PHONE, "010-2222-2222")
        .await
        .unwrap();
    // An attacker with write access to the database copies Alice's sealed phone into Bob's row.
    let db = rusqlite::Connection::open(f.data.join("vow.db")).unwrap();
    db.execute(
        "UPDATE items SET sealed = (SELECT sealed FROM items WHERE subject_id = ?1 AND category = ?3)
         WHERE subject_id = ?2 AND category = ?3",
        [&alice, &bob, PHONE],
    )
    .unwrap();
    let error = f
        .vault
        .get_item(&caller("privacy_officer"), &bob, PHONE)
        .await
        .unwrap_err();
    assert!(matches!(error, VaultError::Crypto(_)), "{error}");
    assert!(!error.to_string().contains("1111"));
}

#[tokio::test]
async fn an_erased_subject_is_unreadable_from_a_backup_taken_before() {
    let f = fixture();
    let service = caller("service");
    let id = member(&f.vault, "u1").await;
    f.vault
        .put_item(&service, &id, PHONE, "010-5555-0001")
        .await
        .unwrap();
    // The backup: the database (with its WAL), taken before the erasure. The key store is backed up
    // separately; its old copy is what would make the backup readable.
    let backup = f._dir.path().join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    for file in ["vow.db", "vow.db-wal"] {
        if f.data.join(file).exists() {
            std::fs::copy(f.data.join(file), backup.join(file)).unwrap();
        }
    }
    let old_key_store = std::fs::read(f.data.join("keys.db")).unwrap();
    f.vault.erase(&service, &id).await.unwrap();
    assert!(matches!(
        f.vault.get_item(&service, &id, PHONE).await,
        Err(VaultError::NoSubject(_))
    ));
    f.vault.store().clone().close().await;

    // Restore the backup beside the current key file and key store: the subject is there, its data
    // key is not.
    let restored = f._dir.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    for file in ["vow.db", "vow.db-wal"] {
        if backup.join(file).exists() {
            std::fs::copy(backup.join(file), restored.join(file)).unwrap();
        }
    }
    for file in ["keys.db", "vow.keys"] {
        std::fs::copy(f.data.join(file), restored.join(file)).unwrap();
    }
    set_private(&restored.join("vow.keys"));
    let vault = open(&restored, f.clock.clone());
    let result = vault.get_item(&caller("privacy_officer"), &id, PHONE).await;
    assert!(
        !matches!(result, Ok(ItemValue::Full(_))),
        "the erased phone number came back: {result:?}"
    );
    vault.store().clone().close().await;

    // The control: had the key store's old copy been restored too, the value would be readable, so
    // the test above fails if erasure ever stops destroying the key.
    // (Opening the restored copy finished the erasure in it, so restore it afresh.)
    for file in ["vow.db", "vow.db-wal", "vow.db-shm"] {
        let _ = std::fs::remove_file(restored.join(file));
        if backup.join(file).exists() {
            std::fs::copy(backup.join(file), restored.join(file)).unwrap();
        }
    }
    std::fs::write(restored.join("keys.db"), old_key_store).unwrap();
    let vault = open(&restored, f.clock.clone());
    assert_eq!(
        vault
            .get_item(&caller("privacy_officer"), &id, PHONE)
            .await
            .unwrap(),
        ItemValue::Full("010-5555-0001".into())
    );
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked_and_are_logged() {
    let f = fixture();
    let admin = caller("admin");
    let key = f
        .vault
        .create_api_key(&admin, "support", "help desk")
        .await
        .unwrap();
    let principal = f.vault.authenticate(&key.secret).await.unwrap();
    assert_eq!(principal.role, "support");
    assert!(matches!(
        f.vault.authenticate("vow_not-a-key").await,
        Err(VaultError::Unauthenticated)
    ));
    assert!(matches!(
        f.vault
            .create_api_key(&caller("support"), "admin", "")
            .await,
        Err(VaultError::Forbidden { .. })
    ));
    assert!(matches!(
        f.vault.create_api_key(&admin, "root", "").await,
        Err(VaultError::UnknownRole { .. })
    ));
    f.vault.revoke_api_key(&admin, &key.id).await.unwrap();
    assert!(matches!(
        f.vault.authenticate(&key.secret).await,
        Err(VaultError::Unauthenticated)
    ));
    let log = f
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 100)
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key_create", "key_revoke"]);
    // The secret itself is nowhere on disk.
    assert!(!contains(&raw_files(&f.data), &key.secret));
}

#[tokio::test]
async fn rotation_rewraps_every_key_and_everything_stays_readable() {
    let f = fixture();
    let service = caller("service");
    let mut ids = Vec::new();
    for n in 0..30 {
        let id = member(&f.vault, &format!("u{n}")).await;
        f.vault
            .put_item(&service, &id, PHONE, &format!("010-0000-{n:04}"))
            .await
            .unwrap();
        ids.push(id);
    }
    let (version, rewrapped) = f.vault.rotate_keys(|_| {}).await.unwrap();
    assert_eq!((version, rewrapped), (2, 30));
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(
            f.vault.get_item(&service, id, PHONE).await.unwrap(),
            ItemValue::Full(format!("010-0000-{n:04}"))
        );
    }
}

#[tokio::test]
async fn every_access_is_logged_and_the_log_verifies_against_its_checkpoints() {
    let f = fixture();
    let service = caller("service");
    let id = member(&f.vault, "u1").await;
    f.vault
        .put_item(&service, &id, PHONE, "010-1234-5678")
        .await
        .unwrap();
    f.clock.advance(1_000);
    f.vault.get_item(&service, &id, PHONE).await.unwrap();
    f.vault.export(&service, &id).await.unwrap();
    f.vault.checkpoint().await.unwrap();
    let entries = f
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 100)
        .await
        .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "read", "export"]);
    assert!(entries.iter().all(|e| e.subject_id.as_deref() == Some(&id)));
    assert_eq!(
        entries[2].at_ms, 1_764_000_001_000,
        "time comes from the clock"
    );

    let keys = vow_crypto::KeyRing::load_or_create(&f.data.join("vow.keys"))
        .unwrap()
        .0;
    let checkpoints =
        vow_audit::CheckpointFile::read_all(&f.data.join("audit-checkpoints.jsonl")).unwrap();
    let verification = vow_audit::verify(
        entries.into_iter().map(Ok::<_, std::convert::Infallible>),
        &checkpoints,
        &keys.signing_key().verifying_key(),
    )
    .unwrap();
    assert!(verification.is_intact(), "{verification}");
}

/// Argon2id takes tens of milliseconds of a core on purpose. Run on the async thread, a burst of
/// logins would stop every other request for that long; run on the bounded blocking pool, the
/// async thread goes on serving. Measured as the longest pause a task on the same single-threaded
/// runtime sees while four password checks run, against the time of one hash.
#[tokio::test(flavor = "current_thread")]
async fn password_checks_leave_the_async_thread_free_for_other_requests() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    let f = fixture();
    let id = member(&f.vault, "m1").await;
    f.vault
        .put_item(&caller("service"), &id, PASSWORD, "correct horse battery")
        .await
        .unwrap();
    let started = Instant::now();
    let _ = vow_crypto::hash_secret("one hash, timed").unwrap();
    let one_hash = started.elapsed();

    let running = Arc::new(AtomicBool::new(true));
    let longest_pause = Arc::new(Mutex::new(Duration::ZERO));
    let ticker = {
        let (running, longest_pause) = (Arc::clone(&running), Arc::clone(&longest_pause));
        tokio::spawn(async move {
            let mut last = Instant::now();
            while running.load(Ordering::Relaxed) {
                tokio::task::yield_now().await;
                let now = Instant::now();
                let mut longest = longest_pause.lock().unwrap();
                *longest = (*longest).max(now - last);
                last = now;
            }
        })
    };
    tokio::task::yield_now().await;
    let service = caller("service");
    let checks = (0..4).map(|_| {
        f.vault
            .verify_credential(&service, &id, PASSWORD, "correct horse battery")
    });
    let results = futures_join_all(checks).await;
    running.store(false, Ordering::Relaxed);
    ticker.await.unwrap();
    assert!(results.into_iter().all(|r| r.unwrap()));
    let longest = *longest_pause.lock().unwrap();
    assert!(
        longest < one_hash,
        "the async thread stopped for {longest:?}; one hash takes {one_hash:?}"
    );
}

/// Polls every future to completion on the current task (a small `join_all`).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (handle, output) in handles.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match handle.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}
