//! The privacy center as the vault keeps it, on a clock the test moves: codes that open a session
//! once and lock after five wrong tries, links from the service used once, sessions that end when
//! idle or when their subject is erased, a session that reaches only its own subject, answers
//! downloaded once, and consents withdrawn in one step.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use vow_engine::privacy_center::{
    CodeRefusal, Delivery, PackageFormat, SelfServiceRequest, ATTORNEY_CATEGORY,
    ATTORNEY_MAX_BYTES, CODES_PER_SUBJECT_DAY, CODES_PER_SUBJECT_HOUR, CODE_VALID_MS,
    LINK_VALID_MS, SESSION_IDLE_MS, SESSION_MAX_MS,
};
use vow_engine::requests::RequestAction;
use vow_engine::{Caller, ConsentChange, Evidence, ManualClock, Vault, VaultConfig, VaultError};
use vow_store::{Location, Store, StoreOptions};

const START_MS: i64 = 1_796_000_000_000;
const EMAIL: &str = "minji.park@example.com";

fn vault(clock: &ManualClock, dir: &tempfile::TempDir) -> Vault {
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
        store: Store::open(
            &Location::Directory(dir.path().join("data")),
            StoreOptions::default(),
        )
        .unwrap(),
        clock: Arc::new(clock.clone()),
        checkpoints: None,
    })
    .with_uploads(dir.path().join("uploads"))
}

fn caller(role: &str) -> Caller {
    Caller {
        key_id: format!("key_{role}"),
        role: role.into(),
        source: "127.0.0.1".into(),
        reason: None,
        purpose: None,
    }
}

async fn member(vault: &Vault, external: &str, email: &str) -> String {
    let id = vault
        .create_subject(&caller("service"), external, "member")
        .await
        .unwrap();
    vault
        .put_item(&caller("service"), &id, "user.contact.email", email)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_code_to_a_known_contact_opens_a_session_once_and_an_unknown_one_never() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-1", EMAIL).await;

    // Typed differently (case, spaces) it is the same contact.
    let challenge = vault
        .start_code("  Minji.Park@Example.com ", "10.0.0.1")
        .await
        .unwrap();
    let send = challenge.send.expect("a known contact gets a code");
    assert_eq!(send.subject, subject);
    assert!(matches!(&send.delivery, Delivery::Email { to } if to == "Minji.Park@Example.com"));
    assert_eq!(send.code.len(), 6);
    let wrong = if send.code.as_str() == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert_eq!(
            vault
                .verify_code(&challenge.token, wrong, "10.0.0.1")
                .await
                .unwrap()
                .unwrap_err(),
            CodeRefusal::Wrong
        );
    }
    let opened = vault
        .verify_code(&challenge.token, &send.code, "10.0.0.1")
        .await
        .unwrap()
        .expect("the fifth try, right, opens a session");
    assert_eq!(opened.session.subject, subject);
    assert_eq!(opened.session.method, "email_code");
    assert_eq!(
        vault
            .verify_code(&challenge.token, &send.code, "10.0.0.1")
            .await
            .unwrap()
            .unwrap_err(),
        CodeRefusal::Expired,
        "a code opens one session"
    );
    let session = vault
        .subject_session(&opened.token, "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(session.subject, subject);
    assert!(session.csrf_matches(&opened.session.csrf));
    assert!(!session.csrf_matches(""));

    // Unknown: a challenge of the same shape, no code to send, and nothing typed ever matches.
    let unknown = vault
        .start_code("nobody@example.com", "10.0.0.1")
        .await
        .unwrap();
    assert!(unknown.send.is_none());
    assert_eq!(unknown.token.len(), challenge.token.len());
    assert_eq!(unknown.expires_ms, vault.now_ms() + CODE_VALID_MS);
    assert_eq!(
        vault
            .verify_code(&unknown.token, &send.code, "10.0.0.1")
            .await
            .unwrap()
            .unwrap_err(),
        CodeRefusal::Wrong
    );

    // Not a contact at all.
    assert!(matches!(
        vault.start_code("hello", "10.0.0.1").await,
        Err(VaultError::Invalid {
            what: "contact",
            ..
        })
    ));
    assert!(matches!(
        vault.start_code("", "10.0.0.1").await,
        Err(VaultError::Invalid { .. })
    ));
}

#[tokio::test]
async fn a_code_locks_after_five_wrong_tries_and_expires_after_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    member(&vault, "u-1", EMAIL).await;
    let challenge = vault.start_code(EMAIL, "10.0.0.1").await.unwrap();
    let code = challenge.send.unwrap().code;
    let wrong = if code.as_str() == "123456" {
        "654321"
    } else {
        "123456"
    };
    for _ in 0..5 {
        vault
            .verify_code(&challenge.token, wrong, "10.0.0.1")
            .await
            .unwrap()
            .unwrap_err();
    }
    assert_eq!(
        vault
            .verify_code(&challenge.token, &code, "10.0.0.1")
            .await
            .unwrap()
            .unwrap_err(),
        CodeRefusal::Locked,
        "the right code after five wrong ones"
    );

    let late = vault.start_code(EMAIL, "10.0.0.1").await.unwrap();
    clock.advance(CODE_VALID_MS);
    assert_eq!(
        vault
            .verify_code(&late.token, &late.send.unwrap().code, "10.0.0.1")
            .await
            .unwrap()
            .unwrap_err(),
        CodeRefusal::Expired
    );
}

/// However the asking is spread over addresses and servers, one person is sent at most five codes
/// an hour and twenty a day; past that the page is the one an unknown contact gets and no code
/// works. The contact is counted as the lookup reads it.
#[tokio::test]
async fn one_person_is_sent_five_codes_an_hour_and_twenty_a_day_from_any_address() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    member(&vault, "u-1", EMAIL).await;
    let mut sent_per_hour = Vec::new();
    for hour in 0..6 {
        let mut sent = 0;
        for i in 0..8 {
            let written = if i % 2 == 0 {
                EMAIL.to_uppercase()
            } else {
                EMAIL.to_string()
            };
            let challenge = vault
                .start_code(&written, &format!("10.0.{hour}.{i}"))
                .await
                .unwrap();
            match challenge.send {
                Some(send) => {
                    sent += 1;
                    // The last one sent still works.
                    if sent == CODES_PER_SUBJECT_HOUR && hour == 0 {
                        let opened = vault
                            .verify_code(&challenge.token, &send.code, "10.0.0.1")
                            .await
                            .unwrap();
                        assert!(opened.is_ok());
                    }
                }
                None => {
                    // Over the cap: the challenge exists (same page) but no code opens it.
                    assert_eq!(
                        vault
                            .verify_code(&challenge.token, "000000", "10.0.0.1")
                            .await
                            .unwrap()
                            .unwrap_err(),
                        CodeRefusal::Wrong
                    );
                }
            }
        }
        sent_per_hour.push(sent);
        clock.advance(3_600_000);
    }
    let hour = CODES_PER_SUBJECT_HOUR;
    let day = CODES_PER_SUBJECT_DAY;
    assert_eq!(sent_per_hour, [hour, hour, hour, hour, day - 4 * hour, 0]);
    // A day after the first, the day has room again.
    clock.advance(18 * 3_600_000);
    assert!(vault
        .start_code(EMAIL, "10.9.9.9")
        .await
        .unwrap()
        .send
        .is_some());

    // One count for every way of writing one contact.
    assert_eq!(
        vault.contact_key(EMAIL),
        vault.contact_key(&format!(" {} ", EMAIL.to_uppercase()))
    );
    assert_eq!(
        vault.contact_key("010-2345-6789"),
        vault.contact_key("+82 10 2345 6789")
    );
    assert_eq!(
        vault.contact_key("010-2345-6789"),
        vault.contact_key("01023456789")
    );
    assert_ne!(
        vault.contact_key("010-2345-6789"),
        vault.contact_key("010-2345-6780")
    );
}

/// A code proves who holds a contact only when the contact is one person's and not under
/// correction: a family's shared address, or an address its subject said is wrong, gets no code
/// (the page is the unknown contact's); the service's link still works for each person.
#[tokio::test]
async fn a_shared_or_contested_contact_gets_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let shared = "family@example.com";
    let parent = member(&vault, "u-parent", shared).await;
    assert!(vault
        .start_code(shared, "10.0.0.1")
        .await
        .unwrap()
        .send
        .is_some());
    let child = member(&vault, "u-child", shared).await;
    assert!(vault
        .start_code(shared, "10.0.0.1")
        .await
        .unwrap()
        .send
        .is_none());
    for subject in [&parent, &child] {
        let link = vault
            .create_privacy_link(&caller("privacy_officer"), subject)
            .await
            .unwrap();
        assert!(vault
            .redeem_privacy_link(&link.token, "10.0.0.1")
            .await
            .is_ok());
    }

    // An address its subject asked to have corrected is not used to prove who they are.
    member(&vault, "u-1", EMAIL).await;
    let code = vault.start_code(EMAIL, "10.0.0.2").await.unwrap();
    let opened = vault
        .verify_code(&code.token, &code.send.unwrap().code, "10.0.0.2")
        .await
        .unwrap()
        .unwrap();
    let session = vault
        .subject_session(&opened.token, "10.0.0.2")
        .await
        .unwrap();
    vault
        .file_own_request(
            &session,
            SelfServiceRequest {
                kind: "rectification".into(),
                categories: vec!["user.contact.email".into()],
                answer_by: "privacy_center".into(),
                ..SelfServiceRequest::default()
            },
        )
        .await
        .unwrap();
    assert!(vault
        .start_code(EMAIL, "10.0.0.2")
        .await
        .unwrap()
        .send
        .is_none());
}

#[tokio::test]
async fn a_link_from_the_service_opens_one_session_within_fifteen_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-1", EMAIL).await;
    assert!(matches!(
        vault
            .create_privacy_link(&caller("service"), "sub_unknown")
            .await,
        Err(VaultError::NoSubject(_))
    ));
    assert!(
        matches!(
            vault
                .create_privacy_link(&caller("support"), &subject)
                .await,
            Err(VaultError::Forbidden { .. })
        ),
        "a role that sees values masked must not open a session that sees them in full"
    );
    let link = vault
        .create_privacy_link(&caller("privacy_officer"), &subject)
        .await
        .unwrap();
    let opened = vault
        .redeem_privacy_link(&link.token, "10.0.0.2")
        .await
        .unwrap();
    assert_eq!(opened.session.subject, subject);
    assert_eq!(opened.session.method, "logged_in_session");
    assert!(matches!(
        vault.redeem_privacy_link(&link.token, "10.0.0.2").await,
        Err(VaultError::Unauthenticated)
    ));
    let late = vault
        .create_privacy_link(&caller("privacy_officer"), &subject)
        .await
        .unwrap();
    clock.advance(LINK_VALID_MS);
    assert!(matches!(
        vault.redeem_privacy_link(&late.token, "10.0.0.2").await,
        Err(VaultError::Unauthenticated)
    ));
    // A session token is not a link, and a link not a session.
    assert!(matches!(
        vault.redeem_privacy_link(&opened.token, "10.0.0.2").await,
        Err(VaultError::Unauthenticated)
    ));
    assert!(matches!(
        vault.subject_session(&link.token, "10.0.0.2").await,
        Err(VaultError::Unauthenticated)
    ));
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_and_when_its_subject_is_erased() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-1", EMAIL).await;
    let officer = caller("privacy_officer");
    let opened = vault
        .redeem_privacy_link(
            &vault
                .create_privacy_link(&officer, &subject)
                .await
                .unwrap()
                .token,
            "10.0.0.3",
        )
        .await
        .unwrap();
    // Used every 20 minutes, it stays open.
    for _ in 0..3 {
        clock.advance(20 * 60_000);
        vault
            .subject_session(&opened.token, "10.0.0.3")
            .await
            .unwrap();
    }
    clock.advance(SESSION_IDLE_MS);
    assert!(matches!(
        vault.subject_session(&opened.token, "10.0.0.3").await,
        Err(VaultError::Unauthenticated)
    ));
    // Used every ten minutes, it still ends twelve hours after the sign-in.
    let busy = vault
        .redeem_privacy_link(
            &vault
                .create_privacy_link(&officer, &subject)
                .await
                .unwrap()
                .token,
            "10.0.0.3",
        )
        .await
        .unwrap();
    let mut open_for = 0;
    while vault.subject_session(&busy.token, "10.0.0.3").await.is_ok() {
        clock.advance(10 * 60_000);
        open_for += 10 * 60_000;
        assert!(open_for <= SESSION_MAX_MS, "still open after {open_for} ms");
    }
    assert_eq!(open_for, SESSION_MAX_MS);

    let again = vault
        .redeem_privacy_link(
            &vault
                .create_privacy_link(&officer, &subject)
                .await
                .unwrap()
                .token,
            "10.0.0.3",
        )
        .await
        .unwrap();
    let other = vault
        .redeem_privacy_link(
            &vault
                .create_privacy_link(&officer, &subject)
                .await
                .unwrap()
                .token,
            "10.0.0.4",
        )
        .await
        .unwrap();
    vault
        .erase(&caller("privacy_officer"), &subject)
        .await
        .unwrap();
    assert!(matches!(
        vault.subject_session(&again.token, "10.0.0.3").await,
        Err(VaultError::Unauthenticated)
    ));
    assert!(matches!(
        vault.subject_session(&other.token, "10.0.0.4").await,
        Err(VaultError::Unauthenticated)
    ));
    // The erasure ended every session and link of theirs; what is left (a code of nobody) is
    // removed a day after its time.
    let challenge = vault
        .start_code("nobody@example.com", "10.0.0.3")
        .await
        .unwrap();
    assert!(challenge.send.is_none());
    assert_eq!(
        vault.prune_privacy_tokens().await.unwrap(),
        0,
        "nothing a day past its time yet"
    );
    clock.advance(86_400_000 + SESSION_IDLE_MS + 1);
    assert_eq!(vault.prune_privacy_tokens().await.unwrap(), 1);
    assert_eq!(vault.prune_privacy_tokens().await.unwrap(), 0);
}

#[tokio::test]
async fn a_session_reaches_its_own_requests_only_and_an_answer_downloads_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let officer = caller("privacy_officer");
    let mine = member(&vault, "u-1", EMAIL).await;
    let theirs = member(&vault, "u-2", "other@example.com").await;
    let open = |subject: String| {
        let vault = &vault;
        let officer = &officer;
        async move {
            let link = vault.create_privacy_link(officer, &subject).await.unwrap();
            vault
                .redeem_privacy_link(&link.token, "10.0.0.4")
                .await
                .unwrap()
                .session
        }
    };
    let me = open(mine.clone()).await;
    let them = open(theirs.clone()).await;

    // A session's caller reaches its own subject and no other, whatever id it is handed: the
    // other subject is answered as one that does not exist.
    let as_me = me.caller().clone();
    let nobody = |result: Result<(), VaultError>| {
        assert!(
            matches!(result, Err(VaultError::NoSubject(_))),
            "{result:?}"
        )
    };
    nobody(
        vault
            .get_item(&as_me, &theirs, "user.contact.email")
            .await
            .map(drop),
    );
    nobody(vault.export(&as_me, &theirs).await.map(drop));
    nobody(vault.consents(&as_me, &theirs).await.map(drop));
    nobody(
        vault
            .record_consent(
                &as_me,
                &theirs,
                ConsentChange {
                    purpose: "marketing".into(),
                    channel: Some("email".into()),
                    night: false,
                    granted: false,
                    evidence: Evidence {
                        method: "privacy_center".into(),
                        location: None,
                        wording: None,
                    },
                    at_ms: None,
                    by_guardian: false,
                },
            )
            .await
            .map(drop),
    );
    assert!(vault
        .get_item(&as_me, &mine, "user.contact.email")
        .await
        .is_ok());
    assert!(vault.consents(&as_me, &mine).await.is_ok());

    let filed = vault
        .file_own_request(
            &me,
            SelfServiceRequest {
                kind: "access".into(),
                answer_by: "privacy_center".into(),
                ..SelfServiceRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(filed.subject, mine);
    assert_eq!(filed.detail.verification.method, "logged_in_session");
    assert_eq!(filed.due_ms, START_MS + 10 * 86_400_000, "PIPA: ten days");
    let other = vault
        .file_own_request(
            &them,
            SelfServiceRequest {
                kind: "erasure".into(),
                ..SelfServiceRequest::default()
            },
        )
        .await
        .unwrap();
    // A right the policy does not grant is refused with what it does grant.
    assert!(matches!(
        vault
            .file_own_request(
                &me,
                SelfServiceRequest {
                    kind: "portability".into(),
                    ..SelfServiceRequest::default()
                }
            )
            .await,
        Err(VaultError::RightNotOffered { .. })
    ));
    let listed = vault.own_requests(&me).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [filed.id.as_str()]
    );
    assert!(matches!(
        vault.own_request(&me, &other.id).await,
        Err(VaultError::NoRequest)
    ));
    assert!(matches!(
        vault
            .package_link(&me, &other.id, PackageFormat::Json)
            .await,
        Err(VaultError::NoRequest)
    ));
    // Nothing to download before the officer completes it.
    assert!(matches!(
        vault
            .package_link(&me, &filed.id, PackageFormat::Json)
            .await,
        Err(VaultError::RequestState { .. })
    ));
    vault
        .act_on_request(&officer, &filed.id, RequestAction::Complete)
        .await
        .unwrap();
    let link = vault
        .package_link(&me, &filed.id, PackageFormat::Json)
        .await
        .unwrap();
    // Another person's session cannot use the link, nor use it up.
    assert!(matches!(
        vault.download_package(&them, &link.token).await,
        Err(VaultError::Unauthenticated)
    ));
    let (format, request, export) = vault.download_package(&me, &link.token).await.unwrap();
    assert_eq!(
        (format, request.as_str()),
        (PackageFormat::Json, filed.id.as_str())
    );
    assert_eq!(export.subject, mine);
    let json = serde_json::to_string(&export).unwrap();
    assert!(
        json.contains(EMAIL),
        "the person sees their own e-mail in full"
    );
    assert!(!json.contains("other@example.com"));
    assert!(matches!(
        vault.download_package(&me, &link.token).await,
        Err(VaultError::Unauthenticated)
    ));
    // A second link, past its 24 hours.
    let late = vault
        .package_link(&me, &filed.id, PackageFormat::Html)
        .await
        .unwrap();
    clock.advance(24 * 3_600_000);
    assert!(matches!(
        vault.download_package(&me, &late.token).await,
        Err(VaultError::Unauthenticated)
    ));
    // The download is in the access log, as an export by the person.
    let log = vault
        .store()
        .audit_page(vow_store::Position::default(), 10_000)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.key_id == format!("subject:{mine}")
        && e.action == vow_audit::Action::Export
        && e.subject_id.as_deref() == Some(mine.as_str())));
}

#[tokio::test]
async fn a_consent_withdrawn_in_the_privacy_center_stops_advertising_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-1", EMAIL).await;
    let service = caller("service");
    vault
        .record_consent(
            &service,
            &subject,
            ConsentChange {
                purpose: "marketing".into(),
                channel: Some("email".into()),
                night: false,
                granted: true,
                evidence: Evidence {
                    method: "web_form".into(),
                    location: None,
                    wording: None,
                },
                at_ms: None,
                by_guardian: false,
            },
        )
        .await
        .unwrap();
    let noon = START_MS - START_MS.rem_euclid(86_400_000) + 3 * 3_600_000 + 86_400_000;
    async fn gate(vault: &Vault, service: &Caller, subject: &str, at_ms: i64) -> bool {
        vault
            .marketing_check(service, subject, "email", Some(at_ms))
            .await
            .unwrap()
            .allowed
    }
    assert!(
        gate(&vault, &service, &subject, noon).await,
        "consented, at noon in Korea"
    );
    let link = vault
        .create_privacy_link(&caller("privacy_officer"), &subject)
        .await
        .unwrap();
    let me = vault
        .redeem_privacy_link(&link.token, "10.0.0.5")
        .await
        .unwrap()
        .session;
    let consents = vault.own_consents(&me).await.unwrap();
    assert!(consents
        .current
        .iter()
        .any(|c| c.purpose == "marketing" && c.granted));
    vault
        .change_own_consent(&me, "marketing", Some("email".into()), false, false, None)
        .await
        .unwrap();
    assert!(
        !gate(&vault, &service, &subject, noon).await,
        "withdrawn in the privacy center"
    );
    let ledger = vault.own_consents(&me).await.unwrap();
    let last = ledger.history.last().unwrap();
    assert_eq!(last.change, "withdraw");
    assert_eq!(
        last.evidence.as_ref().map(|e| e.method.as_str()),
        Some("privacy_center")
    );
}

#[tokio::test]
async fn a_power_of_attorney_is_kept_sealed_for_the_officer_and_destroyed_when_the_request_closes()
{
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-1", EMAIL).await;
    let officer = caller("privacy_officer");
    let link = vault.create_privacy_link(&officer, &subject).await.unwrap();
    let me = vault
        .redeem_privacy_link(&link.token, "10.0.0.6")
        .await
        .unwrap()
        .session;
    let representative = SelfServiceRequest {
        kind: "access".into(),
        representative: true,
        ..SelfServiceRequest::default()
    };

    // Not what it says it is, or too large: refused, and nothing is left behind.
    let mut script: &[u8] = b"<script>alert(1)</script>";
    assert!(matches!(
        vault
            .store_power_of_attorney(&me, Some("application/pdf"), &mut script)
            .await,
        Err(VaultError::Invalid { .. })
    ));
    let mut html: &[u8] = b"%PDF-1.7 but declared as a page";
    assert!(vault
        .store_power_of_attorney(&me, Some("text/html"), &mut html)
        .await
        .is_err());
    let huge = vec![b'%'; ATTORNEY_MAX_BYTES as usize + 1];
    assert!(matches!(
        vault
            .store_power_of_attorney(&me, Some("application/pdf"), &mut huge.as_slice())
            .await,
        Err(VaultError::UploadTooLarge { .. })
    ));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("uploads"))
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    let mut pdf: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
    let upload = vault
        .store_power_of_attorney(&me, Some("application/pdf"), &mut pdf)
        .await
        .unwrap();
    let filed = vault
        .file_own_request_with(&me, representative, Some(upload.clone()))
        .await
        .unwrap();
    assert!(filed.detail.verification.representative);
    assert_eq!(filed.detail.attachments, std::slice::from_ref(&upload));
    // The officer opens it; a role that does not answer requests does not.
    let (info, _) = vault.get_upload(&officer, &subject, &upload).await.unwrap();
    assert_eq!(
        (info.category.as_str(), info.media_type.as_str()),
        (ATTORNEY_CATEGORY, "application/pdf")
    );
    assert!(matches!(
        vault
            .get_upload(&caller("service"), &subject, &upload)
            .await,
        Err(VaultError::Forbidden { .. })
    ));
    // Closing the request destroys it, as a line of the destruction ledger.
    vault
        .act_on_request(
            &officer,
            &filed.id,
            vow_engine::requests::RequestAction::Complete,
        )
        .await
        .unwrap();
    assert!(matches!(
        vault.get_upload(&officer, &subject, &upload).await,
        Err(VaultError::NoUpload)
    ));
    assert!(!dir.path().join("uploads").join(&upload).exists());
    let ledger = vault.destruction_ledger(&officer, 0, 100).await.unwrap();
    assert!(ledger
        .iter()
        .any(|l| l.category == ATTORNEY_CATEGORY && l.rule == "request_closed"));

    // A request the policy refuses (a representative where it allows none is not the case here;
    // a right it does not grant is): the power of attorney goes at once.
    let mut pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let second = vault
        .store_power_of_attorney(&me, Some("application/pdf"), &mut pdf)
        .await
        .unwrap();
    assert!(vault
        .file_own_request_with(
            &me,
            SelfServiceRequest {
                kind: "portability".into(),
                representative: true,
                ..SelfServiceRequest::default()
            },
            Some(second.clone()),
        )
        .await
        .is_err());
    assert!(!dir.path().join("uploads").join(&second).exists());
}

/// A body that, once read to its end, takes the database's write lock through a connection of its
/// own: the upload's file is then complete and renamed, and the store waits with its row in hand.
struct LockedAtTheEnd<'a> {
    bytes: &'a [u8],
    db: rusqlite::Connection,
    locked: bool,
}

impl tokio::io::AsyncRead for LockedAtTheEnd<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.bytes.is_empty() {
            if !this.locked {
                this.db.execute_batch("BEGIN IMMEDIATE").unwrap();
                this.locked = true;
            }
        } else {
            let n = this.bytes.len().min(buf.remaining());
            buf.put_slice(&this.bytes[..n]);
            this.bytes = &this.bytes[n..];
        }
        std::task::Poll::Ready(Ok(()))
    }
}

/// A power of attorney whose caller is dropped (the server's deadline ends the request) while the
/// store records it keeps its file: the store commits the row whatever became of the caller, and a
/// row whose file was removed would be an upload nobody can open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_dropped_while_its_row_is_recorded_keeps_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let vault = vault(&clock, &dir);
    let subject = member(&vault, "u-drop", EMAIL).await;
    let officer = caller("privacy_officer");
    let link = vault.create_privacy_link(&officer, &subject).await.unwrap();
    let me = vault
        .redeem_privacy_link(&link.token, "10.0.0.6")
        .await
        .unwrap()
        .session;
    let mut body = LockedAtTheEnd {
        bytes: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        db: rusqlite::Connection::open(dir.path().join("data").join("vow.db")).unwrap(),
        locked: false,
    };
    let cut = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        vault.store_power_of_attorney(&me, Some("application/pdf"), &mut body),
    )
    .await;
    assert!(cut.is_err(), "the store was held: the upload cannot finish");
    assert!(body.locked, "the body was read to its end");
    let files: Vec<String> = std::fs::read_dir(dir.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let [upload] = files.as_slice() else {
        panic!("one file, the upload's, is kept: {files:?}");
    };
    assert!(upload.starts_with("upl_"), "{upload}");
    // The lock goes; the store records the row it was handed, and the upload opens whole.
    body.db.execute_batch("COMMIT").unwrap();
    let (info, mut reader) = vault.get_upload(&officer, &subject, upload).await.unwrap();
    assert_eq!(info.category, ATTORNEY_CATEGORY);
    let mut read = Vec::new();
    while let Some(chunk) = reader.next_chunk().await.unwrap() {
        read.extend_from_slice(&chunk);
    }
    assert!(read.starts_with(b"%PDF-1.7"));
}
