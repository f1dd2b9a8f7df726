//! The console's people as the vault keeps them, on a clock the test moves: enrolment links that
//! expire, sessions that end after 30 idle minutes, the password rules, sign-in failures that all
//! look alike, and a grant history that records users and API keys.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use vow_engine::console::{ENROL_VALID_MS, SESSION_IDLE_MS};
use vow_engine::{Caller, ManualClock, Vault, VaultConfig, VaultError};
use vow_store::{Location, Store, StoreOptions};

const START_MS: i64 = 1_796_000_000_000;
const PASSWORD: &str = "correct horse 42";

fn vault(clock: &ManualClock, dir: &tempfile::TempDir) -> Vault {
    vault_checkpointed(clock, dir, None)
}

fn vault_checkpointed(
    clock: &ManualClock,
    dir: &tempfile::TempDir,
    checkpoints: Option<std::path::PathBuf>,
) -> Vault {
    let data = dir.path().join("data");
    let policy = std::fs::read_to_string(format!(
        "{}/../../examples/policies/imagesfactory.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let key_file = dir.path().join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    Vault::new(VaultConfig {
        policy: vow_policy::parse(policy.as_bytes(), "test policy").unwrap(),
        keys,
        key_file: Some(key_file),
        store: Store::open(&Location::Directory(data), StoreOptions::default()).unwrap(),
        clock: Arc::new(clock.clone()),
        checkpoints,
    })
}

fn code(vault: &Vault, totp: &vow_crypto::TotpSecret) -> String {
    format!("{:06}", totp.code_at_step(vault.now_ms() / 30_000))
}

/// Adds and enrols a person; returns their TOTP secret.
async fn enrolled(vault: &Vault, email: &str, role: &str) -> vow_crypto::TotpSecret {
    let new = vault
        .add_console_user(&Caller::operator(None), email, role)
        .await
        .unwrap();
    let totp = vault.pending_enrolment(&new.token).await.unwrap().totp;
    vault
        .complete_enrolment(&new.token, PASSWORD, &code(vault, &totp))
        .await
        .unwrap();
    totp
}

#[tokio::test]
async fn an_enrolment_link_expires_after_24_hours_and_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let new = vault
        .add_console_user(
            &Caller::operator(None),
            "late@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    clock.advance(ENROL_VALID_MS + 1);
    assert!(matches!(
        vault.pending_enrolment(&new.token).await,
        Err(VaultError::Unauthenticated)
    ));
    let again = vault
        .reenrol_console_user(&Caller::operator(None), &new.user.id)
        .await
        .unwrap();
    let totp = vault.pending_enrolment(&again.token).await.unwrap().totp;
    vault
        .complete_enrolment(&again.token, PASSWORD, &code(&vault, &totp))
        .await
        .unwrap();
    assert!(matches!(
        vault
            .complete_enrolment(&again.token, PASSWORD, &code(&vault, &totp))
            .await,
        Err(VaultError::Unauthenticated)
    ));
    // The old link stopped working when the new one was made.
    assert!(vault.pending_enrolment(&new.token).await.is_err());
}

#[tokio::test]
async fn weak_passwords_and_wrong_codes_are_refused_and_the_link_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let new = vault
        .add_console_user(
            &Caller::operator(None),
            "officer@example.com",
            "privacy_officer",
        )
        .await
        .unwrap();
    let totp = vault.pending_enrolment(&new.token).await.unwrap().totp;
    for weak in ["short", "onlylowercaseletters", "officer-2026-password", ""] {
        match vault
            .complete_enrolment(&new.token, weak, &code(&vault, &totp))
            .await
        {
            Err(VaultError::Invalid { what, why }) => {
                assert_eq!(what, "password");
                assert!(!why.contains(weak) || weak.is_empty(), "{why}");
            }
            other => panic!("{weak:?}: {other:?}"),
        }
    }
    assert!(matches!(
        vault
            .complete_enrolment(&new.token, PASSWORD, "000000")
            .await,
        Err(VaultError::Invalid {
            what: "one-time code",
            ..
        })
    ));
    vault
        .complete_enrolment(&new.token, PASSWORD, &code(&vault, &totp))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_ends_after_30_idle_minutes_and_use_keeps_it_alive() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let totp = enrolled(&vault, "officer@example.com", "privacy_officer").await;
    clock.advance(30_000);
    let signed = vault
        .console_sign_in(
            "officer@example.com",
            PASSWORD,
            &code(&vault, &totp),
            "192.0.2.1",
        )
        .await
        .unwrap();
    // Used every 20 minutes for two hours: still alive.
    for _ in 0..6 {
        clock.advance(20 * 60_000);
        let session = vault
            .console_session(&signed.token, "192.0.2.1")
            .await
            .unwrap();
        assert_eq!(session.caller.key_id, session.user.id);
        assert_eq!(session.caller.role, "privacy_officer");
    }
    clock.advance(SESSION_IDLE_MS + 1);
    assert!(matches!(
        vault.console_session(&signed.token, "192.0.2.1").await,
        Err(VaultError::Unauthenticated)
    ));
    // And it stays over when the clock is set back, as its row is gone.
    clock.advance(-(SESSION_IDLE_MS + 1));
    assert!(vault
        .console_session(&signed.token, "192.0.2.1")
        .await
        .is_err());
}

#[tokio::test]
async fn every_failed_sign_in_gets_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let totp = enrolled(&vault, "officer@example.com", "privacy_officer").await;
    let pending = vault
        .add_console_user(&Caller::operator(None), "pending@example.com", "support")
        .await
        .unwrap();
    let disabled_totp = enrolled(&vault, "gone@example.com", "support").await;
    let gone = vault
        .console_users(&Caller::operator(None))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "gone@example.com")
        .unwrap();
    vault
        .disable_console_user(&Caller::operator(None), &gone.id)
        .await
        .unwrap();
    clock.advance(30_000);
    let good = code(&vault, &totp);
    let cases = [
        ("nobody@example.com", PASSWORD, good.clone()),
        ("officer@example.com", "wrong password 1", good.clone()),
        ("officer@example.com", PASSWORD, "123456".to_string()),
        ("pending@example.com", PASSWORD, good.clone()),
        ("gone@example.com", PASSWORD, code(&vault, &disabled_totp)),
        ("not an address", PASSWORD, good.clone()),
    ];
    for (email, password, code) in cases {
        assert!(
            matches!(
                vault
                    .console_sign_in(email, password, &code, "192.0.2.1")
                    .await,
                Err(VaultError::Unauthenticated)
            ),
            "{email}"
        );
    }
    let _ = pending;
    // Still able to sign in with the right ones.
    vault
        .console_sign_in("OFFICER@example.com", PASSWORD, &good, "192.0.2.1")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_grant_history_records_users_and_keys_with_who_did_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let operator = Caller::operator(None);
    let key = vault
        .create_api_key(&operator, "support", "helpdesk")
        .await
        .unwrap();
    clock.advance(1);
    let new = vault
        .add_console_user(&operator, "officer@example.com", "privacy_officer")
        .await
        .unwrap();
    let totp = vault.pending_enrolment(&new.token).await.unwrap().totp;
    clock.advance(1);
    vault
        .complete_enrolment(&new.token, PASSWORD, &code(&vault, &totp))
        .await
        .unwrap();
    clock.advance(1);
    vault.revoke_api_key(&operator, &key.id).await.unwrap();
    clock.advance(1);
    vault
        .disable_console_user(&operator, &new.user.id)
        .await
        .unwrap();
    let history = vault.grant_history(&operator, None, 100).await.unwrap();
    let lines: Vec<(String, String, String, String)> = history
        .iter()
        .map(|h| {
            (
                h.grantee.clone(),
                h.role.clone(),
                h.change.clone(),
                h.actor.clone(),
            )
        })
        .collect();
    let user = format!("user:{}", new.user.id);
    let api_key = format!("key:{}", key.id);
    assert_eq!(
        lines,
        [
            (
                user.clone(),
                "privacy_officer".into(),
                "disabled".into(),
                "operator".into()
            ),
            (
                api_key.clone(),
                "support".into(),
                "revoked".into(),
                "operator".into()
            ),
            (
                user.clone(),
                "privacy_officer".into(),
                "enrolled".into(),
                new.user.id.clone()
            ),
            (
                user,
                "privacy_officer".into(),
                "granted".into(),
                "operator".into()
            ),
            (
                api_key,
                "support".into(),
                "granted".into(),
                "operator".into()
            ),
        ]
    );
    // Only an administrator reads it.
    let support = Caller {
        key_id: "key_x".into(),
        role: "support".into(),
        source: "192.0.2.1".into(),
        reason: None,
        purpose: None,
    };
    assert!(matches!(
        vault.grant_history(&support, None, 10).await,
        Err(VaultError::Forbidden { .. })
    ));
}

#[tokio::test]
async fn guessing_and_night_reads_raise_alerts_once_each_through_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-12-01 00:30 in Korea (2026-11-30 15:30 UTC).
    let clock = ManualClock::at(1_796_052_600_000);
    let vault = vault(&clock, &dir);
    let operator = Caller::operator(None);
    let totp = enrolled(&vault, "officer@example.com", "privacy_officer").await;
    assert!(vault.alerts(&operator).await.unwrap().is_empty());
    for _ in 0..vow_engine::console::ALERT_DENIED {
        let _ = vault
            .console_sign_in(
                "officer@example.com",
                "not the password",
                "000000",
                "198.51.100.7",
            )
            .await;
    }
    let service = Caller {
        key_id: "key_night".into(),
        role: "service".into(),
        source: "192.0.2.9".into(),
        reason: None,
        purpose: None,
    };
    let subject = vault
        .create_subject(&service, "night-1", "member")
        .await
        .unwrap();
    vault
        .put_item(&service, &subject, "user.contact.phone", "010-1111-2222")
        .await
        .unwrap();
    vault
        .get_item(&service, &subject, "user.contact.phone")
        .await
        .unwrap();
    let alerts = vault.alerts(&operator).await.unwrap();
    let rules: Vec<(&str, &str, usize)> = alerts
        .iter()
        .map(|a| (a.rule, a.who.as_str(), a.count))
        .collect();
    assert!(
        rules.contains(&("failed_sign_in", "198.51.100.7", 5)),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|(rule, who, _)| *rule == "night_read" && *who == "key_night"),
        "{rules:?}"
    );
    // The log names the address, never the e-mail typed.
    let log = vault
        .store()
        .audit_page(vow_store::Position::default(), 1000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .all(|e| !format!("{e:?}").contains("officer@example.com")));
    assert_eq!(vault.raise_alerts().await.unwrap(), alerts.len() as u64);
    assert_eq!(vault.raise_alerts().await.unwrap(), 0, "each alert once");
    let events = vault.claim_events(60_000, 100).await.unwrap();
    assert!(events.iter().filter(|e| e.kind == "console.alert").count() >= 2);
    let _ = totp;
}

#[tokio::test]
async fn a_checkpoint_failure_stays_shown_until_a_checkpoint_is_kept_everywhere() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let clock = ManualClock::at(START_MS);
    let dir = tempfile::tempdir().unwrap();
    let witness_down = Arc::new(AtomicBool::new(true));
    let down = Arc::clone(&witness_down);
    let vault = vault_checkpointed(&clock, &dir, Some(dir.path().join("checkpoints.jsonl")))
        .with_checkpoint_sink(Box::new(move |_| {
            if down.load(Ordering::SeqCst) {
                Err(VaultError::Invalid {
                    what: "witness",
                    why: "unreachable".into(),
                })
            } else {
                Ok(())
            }
        }));
    let operator = Caller::operator(None);
    vault
        .create_api_key(&operator, "service", "first")
        .await
        .unwrap();
    assert!(vault.checkpoint().await.is_err());
    let failed = vault.checkpoint_state();
    let (since, why) = failed.failing.clone().expect("the failure is kept");
    assert_eq!(since, START_MS);
    assert!(why.contains("unreachable"), "{why}");
    // The checkpoint is in the file (signed), but not everywhere it goes.
    assert!(failed.signed.is_some());

    // A second later nothing new was logged: no checkpoint is signed, and the failure still shows,
    // since when it began.
    clock.advance(1_000);
    assert!(vault.checkpoint().await.unwrap().is_none());
    assert_eq!(vault.checkpoint_state().failing, failed.failing);

    // Once a checkpoint reaches every place, the failure is over.
    witness_down.store(false, Ordering::SeqCst);
    vault
        .create_api_key(&operator, "service", "second")
        .await
        .unwrap();
    assert!(vault.checkpoint().await.unwrap().is_some());
    let kept = vault.checkpoint_state();
    assert_eq!(kept.failing, None);
    assert!(kept.signed.unwrap().0 > failed.signed.unwrap().0);
}
