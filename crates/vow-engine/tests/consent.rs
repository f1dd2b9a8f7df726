//! Consent, the advertising gate and children, walked through the example policies on a real SQLite
//! data directory, with time moved explicitly.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use time::macros::datetime;
use time::OffsetDateTime;
use vow_engine::{
    AgeEvidence, Caller, ConsentChange, Evidence, ManualClock, Rule, Vault, VaultConfig, VaultError,
};
use vow_store::{Location, Store, StoreOptions};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/policies/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A role for the tests of a policy that has no service role (aimos, talk-with-me).
const TEST_SERVICE_ROLE: &str = r#"
[[role]]
key = "test_service"
label = "test service"
read = ["user.*"]
write = ["user.*"]
full_view = ["user.*"]
consents = true
"#;

struct Fixture {
    vault: Vault,
    clock: ManualClock,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

fn fixture(policy: &str, now: OffsetDateTime) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let clock = ManualClock::at(ms(now));
    let policy = vow_policy::parse(policy.as_bytes(), "test policy").unwrap();
    let key_file = data.join("vow.keys");
    std::fs::create_dir_all(&data).unwrap();
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(&Location::Directory(data.clone()), StoreOptions::default()).unwrap();
    let vault = Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(key_file),
        store,
        clock: Arc::new(clock.clone()),
        checkpoints: None,
    });
    Fixture {
        vault,
        clock,
        data,
        _dir: dir,
    }
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

fn evidence() -> Evidence {
    Evidence {
        method: "web_form".into(),
        location: Some("https://imagesfactory.example/settings/marketing".into()),
        wording: Some("마케팅 정보 수신에 동의합니다 (v3)".into()),
    }
}

fn marketing(channel: &str, night: bool, granted: bool, at: OffsetDateTime) -> ConsentChange {
    ConsentChange {
        purpose: "marketing".into(),
        channel: Some(channel.into()),
        night,
        granted,
        evidence: evidence(),
        at_ms: Some(ms(at)),
        by_guardian: false,
    }
}

async fn member(f: &Fixture, role: &str) -> String {
    f.vault
        .create_subject(
            &caller(role),
            &format!("user-{}", f.clock.now_ms()),
            "member",
        )
        .await
        .unwrap()
}

async fn check(f: &Fixture, subject: &str, channel: &str, at: OffsetDateTime) -> Rule {
    f.vault
        .marketing_check(&caller("service"), subject, channel, Some(ms(at)))
        .await
        .unwrap()
        .rule
}

use vow_engine::Clock as _;

#[tokio::test]
async fn night_time_sends_need_their_own_consent_where_the_policy_sends_at_night() {
    let policy = example("imagesfactory").replace("night_time = false", "night_time = true");
    let f = fixture(&policy, datetime!(2026-01-10 10:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    f.vault
        .record_consent(
            &service,
            &s,
            marketing("email", false, true, datetime!(2026-01-10 10:00 +9)),
        )
        .await
        .unwrap();
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 20:59 +9)).await,
        Rule::Consented
    );
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 21:00 +9)).await,
        Rule::NoNightConsent
    );
    // 23:30 UTC is 08:30 the next morning in Seoul: daytime.
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 23:30 UTC)).await,
        Rule::Consented
    );
    f.vault
        .record_consent(
            &service,
            &s,
            marketing("email", true, true, datetime!(2026-01-10 10:01 +9)),
        )
        .await
        .unwrap();
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 22:00 +9)).await,
        Rule::Consented
    );
    // Push was never consented to; SMS is not a channel of this policy.
    assert_eq!(
        check(&f, &s, "push", datetime!(2026-01-10 12:00 +9)).await,
        Rule::NoConsent
    );
    assert_eq!(
        check(&f, &s, "sms", datetime!(2026-01-10 12:00 +9)).await,
        Rule::ChannelNotInPolicy
    );
    f.vault
        .record_consent(
            &service,
            &s,
            marketing("email", true, false, datetime!(2026-01-10 10:02 +9)),
        )
        .await
        .unwrap();
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 22:00 +9)).await,
        Rule::NightConsentWithdrawn
    );
}

#[tokio::test]
async fn where_the_policy_sends_nothing_at_night_night_sends_and_night_consents_are_refused() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-01-10 10:00 +9));
    let s = member(&f, "service").await;
    f.vault
        .record_consent(
            &caller("service"),
            &s,
            marketing("email", false, true, datetime!(2026-01-10 10:00 +9)),
        )
        .await
        .unwrap();
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-01-10 21:30 +9)).await,
        Rule::NightTimeNotInPolicy
    );
    let night = f
        .vault
        .record_consent(
            &caller("service"),
            &s,
            marketing("email", true, true, datetime!(2026-01-10 10:00 +9)),
        )
        .await;
    assert!(
        matches!(night, Err(VaultError::Invalid { what: "night", .. })),
        "{night:?}"
    );
}

#[tokio::test]
async fn consent_given_on_29_february_must_be_reconfirmed_by_28_february_two_years_on() {
    let f = fixture(&example("imagesfactory"), datetime!(2024-02-29 12:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    f.vault
        .record_consent(
            &service,
            &s,
            marketing("email", false, true, datetime!(2024-02-29 12:00 +9)),
        )
        .await
        .unwrap();
    f.clock.set(ms(datetime!(2026-02-01 09:00 +9)));
    assert!(f
        .vault
        .consents_due(&service, 26, 100)
        .await
        .unwrap()
        .is_empty());
    let due = f.vault.consents_due(&service, 27, 100).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].reconfirm_by, "2026-02-28");
    assert!(!due[0].overdue);
    let verdict = f
        .vault
        .marketing_check(
            &service,
            &s,
            "email",
            Some(ms(datetime!(2026-02-28 20:00 +9))),
        )
        .await
        .unwrap();
    assert_eq!(
        (verdict.rule, verdict.reconfirm_by.as_deref()),
        (Rule::Consented, Some("2026-02-28"))
    );
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-03-01 10:00 +9)).await,
        Rule::ReconfirmationOverdue
    );
    f.clock.set(ms(datetime!(2026-03-02 09:00 +9)));
    assert!(f.vault.consents_due(&service, 0, 100).await.unwrap()[0].overdue);
    // Granting again re-confirms: the clock starts over.
    let again = f
        .vault
        .record_consent(
            &service,
            &s,
            marketing("email", false, true, datetime!(2026-03-02 09:00 +9)),
        )
        .await
        .unwrap();
    assert_eq!(again.change, "reconfirm");
    assert_eq!(
        again.notice_due_ms, None,
        "a re-confirmation is no change to notify"
    );
    let verdict = f
        .vault
        .marketing_check(
            &service,
            &s,
            "email",
            Some(ms(datetime!(2026-03-02 10:00 +9))),
        )
        .await
        .unwrap();
    assert_eq!(
        (verdict.rule, verdict.reconfirm_by.as_deref()),
        (Rule::Consented, Some("2028-03-01"))
    );
}

#[tokio::test]
async fn a_withdrawal_is_honoured_by_the_very_next_check_and_read() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    f.vault
        .put_item(&service, &s, "user.contact.email", "minji@example.com")
        .await
        .unwrap();
    let for_marketing = Caller {
        purpose: Some("marketing".into()),
        ..caller("service")
    };
    let read = || f.vault.get_item(&for_marketing, &s, "user.contact.email");
    assert!(matches!(
        read().await,
        Err(VaultError::NoConsent {
            state: "has not given",
            ..
        })
    ));
    f.vault
        .record_consent(
            &service,
            &s,
            marketing("email", false, true, datetime!(2026-05-01 10:00 +9)),
        )
        .await
        .unwrap();
    read().await.unwrap();
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-05-01 12:00 +9)).await,
        Rule::Consented
    );
    let withdrawn = f
        .vault
        .record_consent(
            &service,
            &s,
            marketing("email", false, false, datetime!(2026-05-01 10:05 +9)),
        )
        .await
        .unwrap();
    assert_eq!(withdrawn.change, "withdraw");
    assert_eq!(
        check(&f, &s, "email", datetime!(2026-05-01 12:00 +9)).await,
        Rule::Withdrawn
    );
    let refused = read().await;
    assert!(
        matches!(
            refused,
            Err(VaultError::NoConsent {
                state: "has withdrawn",
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(refused.unwrap_err().to_string().contains("marketing"));
    let export = f.vault.export(&for_marketing, &s).await;
    assert!(matches!(export, Err(VaultError::NoConsent { .. })));
    // A purpose that rests on a contract is not stopped by the withdrawal, and the log says which
    // purpose each read served.
    let for_service = Caller {
        purpose: Some("contract".into()),
        ..caller("service")
    };
    f.vault
        .get_item(&for_service, &s, "user.contact.email")
        .await
        .unwrap();
    let log = f
        .vault
        .store()
        .audit_page(vow_store::Position::default(), 1000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.reason.as_deref() == Some("purpose contract")));
    assert!(log
        .iter()
        .any(|e| e.action == vow_audit::Action::ConsentWithdraw
            && e.categories == ["marketing/email"]));
}

#[tokio::test]
async fn every_advertising_consent_change_owes_a_result_notice_within_14_days() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    let granted = f
        .vault
        .record_consent(
            &service,
            &s,
            marketing("push", false, true, datetime!(2026-05-01 10:00 +9)),
        )
        .await
        .unwrap();
    assert_eq!(
        granted.notice_due_ms,
        Some(ms(datetime!(2026-05-15 10:00 +9)))
    );
    f.clock.set(ms(datetime!(2026-05-03 10:00 +9)));
    let withdrawn = f
        .vault
        .record_consent(
            &service,
            &s,
            marketing("push", false, false, datetime!(2026-05-03 10:00 +9)),
        )
        .await
        .unwrap();
    let owed: Vec<String> = f
        .vault
        .owed_notices(&service, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(owed, [granted.id.clone(), withdrawn.id.clone()]);
    f.vault
        .mark_notice_sent(&service, &granted.id, None)
        .await
        .unwrap();
    assert!(f
        .vault
        .mark_notice_sent(&service, &granted.id, None)
        .await
        .is_err());
    let owed = f.vault.owed_notices(&service, 100).await.unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!(owed[0].id, withdrawn.id);
    // A purpose outside advertising owes no such notice.
    assert!(f
        .vault
        .mark_notice_sent(&service, "con_nonexistent", None)
        .await
        .is_err());
}

#[tokio::test]
async fn bad_consent_input_is_refused_and_records_nothing() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    let now = datetime!(2026-05-01 10:00 +9);
    let cases: Vec<(ConsentChange, &str)> = vec![
        (
            ConsentChange {
                purpose: "lottery".into(),
                ..marketing("email", false, true, now)
            },
            "not declared",
        ),
        (
            ConsentChange {
                purpose: "contract".into(),
                channel: None,
                ..marketing("email", false, true, now)
            },
            "does not rest on consent",
        ),
        (
            marketing("sms", false, true, now),
            "not one the policy sends",
        ),
        (
            ConsentChange {
                channel: None,
                ..marketing("email", false, true, now)
            },
            "per channel",
        ),
        (
            marketing("email", false, true, datetime!(2026-05-01 10:06 +9)),
            "future",
        ),
        (
            ConsentChange {
                evidence: Evidence {
                    method: " ".into(),
                    ..evidence()
                },
                ..marketing("email", false, true, now)
            },
            "method",
        ),
        (
            ConsentChange {
                evidence: Evidence {
                    wording: Some("x\u{0}y".into()),
                    ..evidence()
                },
                ..marketing("email", false, true, now)
            },
            "wording",
        ),
        (marketing("email", false, false, now), "no given consent"),
        (
            ConsentChange {
                by_guardian: true,
                ..marketing("email", false, true, now)
            },
            "guardian",
        ),
    ];
    for (change, expected) in cases {
        let error = f
            .vault
            .record_consent(&service, &s, change)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{error} should say {expected:?}"
        );
    }
    let support = f
        .vault
        .record_consent(&caller("support"), &s, marketing("email", false, true, now))
        .await;
    assert!(matches!(support, Err(VaultError::Forbidden { .. })));
    let consents = f.vault.consents(&service, &s).await.unwrap();
    assert!(consents.current.is_empty() && consents.history.is_empty());
    assert!(f.vault.events(&service, 0, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn evidence_is_sealed_on_disk_and_goes_with_the_erased_subject() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let s = member(&f, "service").await;
    let service = caller("service");
    let planted = "https://planted.example/consent-form-7731";
    let change = ConsentChange {
        evidence: Evidence {
            location: Some(planted.into()),
            ..evidence()
        },
        ..marketing("email", false, true, datetime!(2026-05-01 10:00 +9))
    };
    f.vault.record_consent(&service, &s, change).await.unwrap();
    let history = f.vault.consents(&service, &s).await.unwrap().history;
    assert_eq!(
        history[0].evidence.as_ref().unwrap().location.as_deref(),
        Some(planted)
    );
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(&f.data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            raw.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(raw.len() > 10_000);
    assert!(!raw.windows(planted.len()).any(|w| w == planted.as_bytes()));
    f.vault.erase(&service, &s).await.unwrap();
    let ledger = f
        .vault
        .consent_ledger(&Caller::operator(None), None, 0, 100)
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "the ledger keeps the fact of the consent");
    assert_eq!(
        ledger[0].evidence, None,
        "but not the evidence of an erased subject"
    );
}

#[tokio::test]
async fn imagesfactory_refuses_children_under_14() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let service = caller("service");
    let child = f
        .vault
        .create_subject_aged(
            &service,
            "kid",
            "member",
            Some(AgeEvidence::BirthDate(time::macros::date!(2012 - 05 - 02))),
        )
        .await;
    let error = child.unwrap_err();
    assert!(matches!(error, VaultError::ChildRefused { .. }));
    assert!(error.to_string().contains("refuse"), "{error}");
    // Fourteen today: no longer a child.
    f.vault
        .create_subject_aged(
            &service,
            "teen",
            "member",
            Some(AgeEvidence::BirthDate(time::macros::date!(2012 - 05 - 01))),
        )
        .await
        .unwrap();
    assert!(f
        .vault
        .create_subject_aged(&service, "kid2", "member", Some(AgeEvidence::Age(13)))
        .await
        .is_err());
    let future = f
        .vault
        .create_subject_aged(
            &service,
            "unborn",
            "member",
            Some(AgeEvidence::BirthDate(time::macros::date!(2027 - 01 - 01))),
        )
        .await;
    assert!(matches!(
        future,
        Err(VaultError::Invalid {
            what: "birth_date",
            ..
        })
    ));
}

#[tokio::test]
async fn aimos_takes_a_childs_data_only_after_a_verified_guardian_consents() {
    let policy = format!(
        "{}\n{TEST_SERVICE_ROLE}",
        example("aimos").replace(
            "policy = \"guardian_consent\"\n",
            "policy = \"guardian_consent\"\nmethods = [\"mobile_identity\", \"card\"]\n"
        )
    );
    let f = fixture(&policy, datetime!(2026-05-01 10:00 +9));
    let service = caller("test_service");
    let child = f
        .vault
        .create_subject_aged(&service, "kid", "member", Some(AgeEvidence::Age(10)))
        .await
        .unwrap();
    let put = || f.vault.put_item(&service, &child, "user.name", "김아이");
    assert!(matches!(
        put().await,
        Err(VaultError::GuardianConsentMissing { age: 14 })
    ));
    let guardian = |method: &str| Evidence {
        method: method.into(),
        location: Some("app/guardian-consent".into()),
        wording: None,
    };
    let wrong = f
        .vault
        .record_guardian_consent(&service, &child, true, guardian("email"), None)
        .await
        .unwrap_err();
    assert!(
        wrong.to_string().contains("mobile_identity, card"),
        "{wrong}"
    );
    assert!(matches!(
        put().await,
        Err(VaultError::GuardianConsentMissing { .. })
    ));
    f.vault
        .record_guardian_consent(&service, &child, true, guardian("mobile_identity"), None)
        .await
        .unwrap();
    put().await.unwrap();
    // The child cannot consent to advertising alone; the guardian can, for them.
    let own = f
        .vault
        .record_consent(
            &service,
            &child,
            marketing("email", false, true, datetime!(2026-05-01 10:00 +9)),
        )
        .await;
    assert!(matches!(
        own,
        Err(VaultError::GuardianConsentMissing { .. })
    ));
    let by_guardian = ConsentChange {
        by_guardian: true,
        ..marketing("email", false, true, datetime!(2026-05-01 10:00 +9))
    };
    f.vault
        .record_consent(&service, &child, by_guardian)
        .await
        .unwrap();
    // The guardian withdraws their own consent: the child's data is refused again.
    f.vault
        .record_guardian_consent(&service, &child, false, guardian("card"), None)
        .await
        .unwrap();
    assert!(matches!(
        put().await,
        Err(VaultError::GuardianConsentMissing { .. })
    ));
    // An adult is no one's ward.
    let adult = f
        .vault
        .create_subject_aged(&service, "adult", "member", Some(AgeEvidence::Age(30)))
        .await
        .unwrap();
    assert!(f
        .vault
        .record_guardian_consent(&service, &adult, true, guardian("card"), None)
        .await
        .is_err());
}

#[tokio::test]
async fn a_policy_that_names_no_verification_method_accepts_no_child() {
    let policy = format!("{}\n{TEST_SERVICE_ROLE}", example("talk-with-me"));
    let f = fixture(&policy, datetime!(2026-05-01 10:00 +9));
    let refused = f
        .vault
        .create_subject_aged(
            &caller("test_service"),
            "kid",
            "member",
            Some(AgeEvidence::Age(9)),
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("[children] methods"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_campaign_is_checked_in_one_call_in_the_order_given() {
    let f = fixture(&example("imagesfactory"), datetime!(2026-05-01 10:00 +9));
    let service = caller("service");
    let mut subjects = Vec::new();
    for n in 0..300 {
        let s = f
            .vault
            .create_subject(&service, &format!("campaign-{n}"), "member")
            .await
            .unwrap();
        if n % 3 != 0 {
            f.vault
                .record_consent(
                    &service,
                    &s,
                    marketing("email", false, true, datetime!(2026-05-01 09:00 +9)),
                )
                .await
                .unwrap();
        }
        if n % 3 == 2 {
            f.vault
                .record_consent(
                    &service,
                    &s,
                    marketing("email", false, false, datetime!(2026-05-01 09:30 +9)),
                )
                .await
                .unwrap();
        }
        subjects.push(s);
    }
    subjects.push("sub_nobody".into());
    let verdicts = f
        .vault
        .marketing_campaign(
            &service,
            &subjects,
            "email",
            Some(ms(datetime!(2026-05-02 12:00 +9))),
        )
        .await
        .unwrap();
    assert_eq!(verdicts.len(), 301);
    for (n, (subject, verdict)) in verdicts.iter().enumerate() {
        assert_eq!(subject, &subjects[n]);
        let expected = match n {
            300 => Rule::NoSubject,
            n if n % 3 == 0 => Rule::NoConsent,
            n if n % 3 == 1 => Rule::Consented,
            _ => Rule::Withdrawn,
        };
        assert_eq!(verdict.rule, expected, "subject {n}");
    }
}

#[tokio::test]
async fn each_seed_policys_advertising_promise_is_what_the_gate_enforces() {
    // (policy, channel, the gate's answer for a subject who consented on that channel at noon)
    let cases = [
        ("imagesfactory", "email", Rule::Consented),
        ("imagesfactory", "push", Rule::Consented),
        ("imagesfactory", "sms", Rule::ChannelNotInPolicy),
        ("aimos", "email", Rule::Consented),
        ("aimos", "push", Rule::ChannelNotInPolicy),
        // These two advertise "with consent" but name no channel: nothing may go until they do.
        ("aimex", "email", Rule::ChannelNotInPolicy),
        ("talk-with-me", "sms", Rule::ChannelNotInPolicy),
        // No [advertising] at all: the service sends none.
        ("ai-character-generator", "email", Rule::NoAdvertising),
    ];
    for (name, channel, expected) in cases {
        let policy = format!("{}\n{TEST_SERVICE_ROLE}", example(name));
        let f = fixture(&policy, datetime!(2026-05-01 10:00 +9));
        let role = caller("test_service");
        let kind = if name == "ai-character-generator" {
            "user"
        } else {
            "member"
        };
        let s = f
            .vault
            .create_subject(&role, "seed-subject", kind)
            .await
            .unwrap();
        let consented = f
            .vault
            .record_consent(
                &role,
                &s,
                marketing(channel, false, true, datetime!(2026-05-01 10:00 +9)),
            )
            .await;
        let verdict = f
            .vault
            .marketing_check(&role, &s, channel, Some(ms(datetime!(2026-05-02 12:00 +9))))
            .await
            .unwrap();
        assert_eq!(verdict.rule, expected, "{name} on {channel}");
        // A consent the gate would refuse anyway is not recorded either.
        assert_eq!(
            consented.is_ok(),
            expected == Rule::Consented,
            "{name} on {channel}: {consented:?}"
        );
    }
}
