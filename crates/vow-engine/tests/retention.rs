//! Retention and rights requests, walked through each example policy's real promises on a real
//! SQLite data directory (and PostgreSQL when VOW_TEST_DATABASE_URL is set), with time moved
//! explicitly.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::macros::datetime;
use time::OffsetDateTime;
use vow_engine::requests::{NewRequest, RequestAction, Verification};
use vow_engine::retention::{add_period, Fate, LedgerLine};
use vow_engine::{Caller, Clock, ItemValue, ManualClock, Vault, VaultConfig, VaultError};
use vow_policy::model::Period;
use vow_store::{Location, Store, StoreOptions};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/policies/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A role for the policies that have no service role.
const TEST_SERVICE_ROLE: &str = r#"
[[role]]
key = "test_service"
label = "test service"
read = ["user.*"]
write = ["user.*"]
full_view = ["user.*"]
consents = true
export = true
erase = true
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

const DAY: i64 = 86_400_000;

fn open(policy: &str, data: &Path, clock: &ManualClock) -> Vault {
    let policy = vow_policy::parse(policy.as_bytes(), "test policy").unwrap();
    let key_file = data.join("vow.keys");
    std::fs::create_dir_all(data).unwrap();
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
        clock: Arc::new(clock.clone()),
        checkpoints: None,
    })
}

fn fixture(policy: &str, now: OffsetDateTime) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let clock = ManualClock::at(ms(now));
    Fixture {
        vault: open(policy, &data, &clock),
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
        reason: Some("test".into()),
        purpose: None,
    }
}

fn operator() -> Caller {
    Caller::operator(Some("test sweep".into()))
}

async fn subject(f: &Fixture, role: &str, kind: &str) -> String {
    f.vault
        .create_subject(&caller(role), &format!("user-{}", f.clock.now_ms()), kind)
        .await
        .unwrap()
}

async fn sweep_at(f: &Fixture, at: i64) -> vow_engine::retention::SweepReport {
    f.clock.set(at);
    f.vault.sweep(&operator(), at, false, |_| {}).await.unwrap()
}

async fn ledger(f: &Fixture) -> Vec<LedgerLine> {
    f.vault
        .destruction_ledger(&operator(), 0, 10_000)
        .await
        .unwrap()
}

fn verification() -> Verification {
    Verification {
        method: "logged_in_session".into(),
        by: None,
        representative: false,
    }
}

#[test]
fn periods_count_on_the_calendar_in_korea_time() {
    // 2024-02-29 12:00 KST plus five years ends on 2029-02-28, the last day of that February.
    let leap = ms(datetime!(2024-02-29 12:00 +9));
    assert_eq!(
        add_period(leap, Period::Years(5)),
        ms(datetime!(2029-02-28 12:00 +9))
    );
    // Three months from 30 November is 28 February (no 30 February).
    assert_eq!(
        add_period(ms(datetime!(2025-11-30 00:00 +9)), Period::Months(3)),
        ms(datetime!(2026-02-28 00:00 +9))
    );
    assert_eq!(add_period(0, Period::Hours(24)), DAY);
    assert_eq!(add_period(0, Period::Days(90)), 90 * DAY);
}

#[tokio::test]
async fn imagesfactory_a_member_leaves_and_each_record_goes_when_its_own_law_says() {
    let joined = datetime!(2026-01-10 10:00 +9);
    let f = fixture(&example("imagesfactory"), joined);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    for (category, value) in [
        ("user.contact.email", "leaving.member@example.com"),
        ("user.credential.password", "Leaving-Passw0rd!"),
        ("user.name", "김떠남"),
        ("user.contact.phone", "010-2345-6789"),
    ] {
        f.vault
            .put_item(&service, &member, category, value)
            .await
            .unwrap();
    }
    // An order (a transaction) and a visit, each with its own time.
    let ordered = joined + time::Duration::days(20);
    f.clock.set(ms(ordered));
    let order = f
        .vault
        .put_record(
            &service,
            &member,
            "user.financial.order",
            "order 1001: 4 images, 9,900원",
            Some(ms(ordered)),
        )
        .await
        .unwrap();
    f.vault
        .put_record(
            &service,
            &member,
            "user.device.ip_address",
            "203.0.113.77",
            Some(ms(joined)),
        )
        .await
        .unwrap();

    // Before anything is due, a sweep changes nothing.
    let report = sweep_at(&f, ms(joined + time::Duration::days(30))).await;
    assert_eq!((report.destroyed, report.separated), (0, 0));

    // Visit logs are gone three months after the visit, while the member stays.
    let report = sweep_at(&f, ms(joined + time::Duration::days(93))).await;
    assert_eq!(report.destroyed, 1, "{report:?}");
    let lines = ledger(&f).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].rule, "visit_logs");
    assert_eq!(lines[0].category, "user.device.ip_address");
    assert_eq!(lines[0].basis, "law");

    // The member leaves.
    let left = joined + time::Duration::days(180);
    f.clock.set(ms(left));
    f.vault
        .report_event(&service, &member, "account_closure", None)
        .await
        .unwrap();
    let report = sweep_at(&f, ms(left) + 60_000).await;
    // Password and phone go (membership only); e-mail and name move apart with the order record
    // (contract records, 5 years from the transaction).
    assert_eq!(report.destroyed, 2, "{report:?}");
    assert_eq!(report.separated, 3, "{report:?}");
    assert!(matches!(
        f.vault
            .get_item(&service, &member, "user.contact.email")
            .await,
        Err(VaultError::NoItem { .. })
    ));
    // Separated storage: the service cannot read it; the privacy officer can, with a reason.
    assert!(matches!(
        f.vault.separated(&service, &member).await,
        Err(VaultError::Forbidden { .. })
    ));
    let mut no_reason = caller("privacy_officer");
    no_reason.reason = None;
    assert!(matches!(
        f.vault.separated(&no_reason, &member).await,
        Err(VaultError::Invalid { what: "reason", .. })
    ));
    let kept = f
        .vault
        .separated(&caller("privacy_officer"), &member)
        .await
        .unwrap();
    let mut rules: Vec<(&str, &str)> = kept
        .iter()
        .map(|k| (k.category.as_str(), k.rule.as_str()))
        .collect();
    rules.sort();
    assert_eq!(rules.len(), 3);
    assert!(kept
        .iter()
        .any(|k| k.value == ItemValue::Full("leaving.member@example.com".into())));
    let five_years = add_period(ms(ordered), Period::Years(5));
    assert!(kept.iter().all(|k| k.until_ms == five_years), "{kept:?}");
    assert!(kept.iter().any(|k| k.id != order));

    // The day before five years from the order, everything kept is still there.
    let report = sweep_at(&f, five_years - DAY).await;
    assert_eq!((report.destroyed, report.shredded), (0, 0));
    // At five years it goes, and the closed account's data key with it.
    let report = sweep_at(&f, five_years + 1).await;
    assert_eq!(report.destroyed, 3, "{report:?}");
    assert_eq!(report.shredded, 1);
    assert!(matches!(
        f.vault.separated(&caller("privacy_officer"), &member).await,
        Err(VaultError::NoSubject(_))
    ));
    // Sweeping again destroys nothing twice.
    let again = sweep_at(&f, five_years + DAY).await;
    assert_eq!(
        (again.destroyed, again.separated, again.shredded),
        (0, 0, 0)
    );

    // The ledger: one line per destruction, each naming its rule, never a value.
    let lines = ledger(&f).await;
    let mut summary: Vec<(String, String, String, i64)> = lines
        .iter()
        .map(|l| {
            (
                l.category.clone(),
                l.storage.clone(),
                l.rule.clone(),
                l.count,
            )
        })
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        vec![
            (
                "*".into(),
                "subject_key".into(),
                "contract_records".into(),
                1
            ),
            (
                "user.contact.email".into(),
                "separated".into(),
                "contract_records".into(),
                1
            ),
            (
                "user.contact.phone".into(),
                "active".into(),
                "membership".into(),
                1
            ),
            (
                "user.credential.password".into(),
                "active".into(),
                "membership".into(),
                1
            ),
            (
                "user.device.ip_address".into(),
                "active".into(),
                "visit_logs".into(),
                1
            ),
            (
                "user.financial.order".into(),
                "separated".into(),
                "contract_records".into(),
                1
            ),
            (
                "user.name".into(),
                "separated".into(),
                "contract_records".into(),
                1
            ),
        ]
    );
    let text = serde_json::to_string(&lines).unwrap();
    for planted in [
        "leaving.member@example.com",
        "김떠남",
        "9,900",
        "203.0.113.77",
        "010-2345-6789",
    ] {
        assert!(!text.contains(planted), "{planted} in the ledger");
    }
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_destroyed_record_leaves_nothing_of_its_sealed_value_in_the_database_files() {
    let start = datetime!(2026-03-01 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(&service, &member, "user.contact.email", "stays@example.com")
        .await
        .unwrap();
    f.vault
        .put_record(
            &service,
            &member,
            "user.device.ip_address",
            "198.51.100.23",
            None,
        )
        .await
        .unwrap();
    // The sealed bytes as stored: what someone holding the files and the key file could open.
    let sealed: Vec<u8> = {
        let conn = rusqlite::Connection::open(f.data.join("vow.db")).unwrap();
        conn.query_row("SELECT sealed FROM records", [], |r| r.get(0))
            .unwrap()
    };
    assert!(
        contains(&raw_files(&f.data), &sealed[..32]),
        "control: the record is on disk"
    );
    let report = sweep_at(&f, ms(start + time::Duration::days(95))).await;
    assert_eq!(report.destroyed, 1);
    f.vault.store().clone().close().await;
    let raw = raw_files(&f.data);
    assert!(
        !contains(&raw, &sealed[..32]),
        "the destroyed record's sealed bytes are still in the data directory"
    );
}

#[tokio::test]
async fn ai_character_generator_an_upload_goes_24_hours_after_processing() {
    let start = datetime!(2026-05-01 12:00 +9);
    let policy = format!("{}{TEST_SERVICE_ROLE}", example("ai-character-generator"));
    let f = fixture(&policy, start);
    let service = caller("test_service");
    let user = subject(&f, "test_service", "user").await;
    f.vault
        .put_record(
            &service,
            &user,
            "user.content.upload",
            "ref-image-1.png",
            None,
        )
        .await
        .unwrap();
    // Not processed yet: kept.
    assert_eq!(sweep_at(&f, ms(start) + 3 * DAY).await.destroyed, 0);
    let processed = ms(start) + 3 * DAY + 1000;
    f.clock.set(processed);
    f.vault
        .report_event(&service, &user, "processing_completed", None)
        .await
        .unwrap();
    assert_eq!(sweep_at(&f, processed + DAY - 1).await.destroyed, 0);
    let report = sweep_at(&f, processed + DAY).await;
    assert_eq!(report.destroyed, 1);
    assert_eq!(ledger(&f).await[0].rule, "uploads");
    assert!(f.vault.records(&service, &user).await.unwrap().is_empty());
}

#[tokio::test]
async fn aimex_a_training_dataset_is_destroyed_when_its_model_is_built() {
    let start = datetime!(2026-02-01 09:00 +9);
    let f = fixture(&example("aimex"), start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_record(
            &service,
            &member,
            "user.content.training_data",
            "dataset v1: 120 photos",
            None,
        )
        .await
        .unwrap();
    assert_eq!(sweep_at(&f, ms(start) + 40 * DAY).await.destroyed, 0);
    f.clock.set(ms(start) + 41 * DAY);
    f.vault
        .report_event(&service, &member, "processing_completed", None)
        .await
        .unwrap();
    let report = sweep_at(&f, ms(start) + 41 * DAY + 1).await;
    assert_eq!(report.destroyed, 1);
    let lines = ledger(&f).await;
    assert_eq!(lines[0].rule, "training_data");
    assert_eq!(lines[0].category, "user.content.training_data");
}

#[tokio::test]
async fn aimos_keeps_fraud_records_three_years_apart_from_the_closed_account() {
    let start = datetime!(2026-04-01 09:00 +9);
    let policy = format!("{}{TEST_SERVICE_ROLE}", example("aimos"));
    let f = fixture(&policy, start);
    let service = caller("test_service");
    let customer = subject(&f, "test_service", "customer").await;
    f.vault
        .put_item(
            &service,
            &customer,
            "user.contact.email",
            "fraudster@example.com",
        )
        .await
        .unwrap();
    f.clock.set(ms(start) + 10 * DAY);
    f.vault
        .report_event(&service, &customer, "purpose_achieved", None)
        .await
        .unwrap();
    f.vault
        .report_event(&service, &customer, "account_closure", None)
        .await
        .unwrap();
    // The purpose is achieved, but the fraudulent-transactions rule keeps the e-mail apart.
    let report = sweep_at(&f, ms(start) + 11 * DAY).await;
    assert_eq!((report.destroyed, report.separated), (0, 1), "{report:?}");
    let three_years = add_period(ms(start), Period::Years(3));
    assert_eq!(sweep_at(&f, three_years - 1).await.destroyed, 0);
    let report = sweep_at(&f, three_years).await;
    assert_eq!((report.destroyed, report.shredded), (1, 1));
    assert_eq!(ledger(&f).await[0].rule, "fraudulent_transactions");
}

#[tokio::test]
async fn talk_with_me_a_refused_deletion_carries_its_reason_and_objection_within_ten_days() {
    let start = datetime!(2026-06-01 09:00 +9);
    let policy = format!("{}{TEST_SERVICE_ROLE}", example("talk-with-me"));
    let f = fixture(&policy, start);
    let service = caller("test_service");
    let member = subject(&f, "test_service", "member").await;
    let filed = f
        .vault
        .file_request(
            &service,
            NewRequest {
                subject: member.clone(),
                kind: "erasure".into(),
                verification: verification(),
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(filed.state, "received");
    assert_eq!(filed.due_ms, ms(start) + 10 * DAY);
    let officer = caller("privacy_officer");
    // A refusal needs both its reason and how to object.
    assert!(matches!(
        f.vault
            .act_on_request(
                &officer,
                &filed.id,
                RequestAction::Refuse {
                    reason: "분쟁 해결을 위해 필요".into(),
                    objection: "  ".into()
                }
            )
            .await,
        Err(VaultError::Invalid {
            what: "objection",
            ..
        })
    ));
    f.clock.set(ms(start) + 9 * DAY);
    assert_eq!(
        f.vault.rights_requests(&officer, true).await.unwrap()[0].urgency,
        "nearly_due"
    );
    let (refused, _) = f
        .vault
        .act_on_request(
            &officer,
            &filed.id,
            RequestAction::Refuse {
                reason: "진행 중인 분쟁의 증거로 법령에 따라 보존해야 합니다".into(),
                objection: "개인정보침해 신고센터(국번없이 118) 또는 privacy@talkwithme.example로 이의를 제기할 수 있습니다".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(refused.state, "refused");
    assert!(refused.detail.reason.is_some() && refused.detail.objection.is_some());
    assert!(
        refused.due_ms >= f.clock.now_ms(),
        "answered within 10 days"
    );
    // A closed request does not change.
    assert!(matches!(
        f.vault
            .act_on_request(&officer, &filed.id, RequestAction::Complete)
            .await,
        Err(VaultError::RequestState { .. })
    ));
    assert!(f
        .vault
        .rights_requests(&officer, true)
        .await
        .unwrap()
        .is_empty());
    // The policy does not offer portability or restriction: refused at filing.
    assert!(matches!(
        f.vault
            .file_request(
                &service,
                NewRequest {
                    subject: member.clone(),
                    kind: "restriction".into(),
                    verification: verification(),
                    ..NewRequest::default()
                }
            )
            .await,
        Err(VaultError::RightNotOffered { .. })
    ));
}

#[tokio::test]
async fn an_erasure_request_destroys_all_but_what_a_law_requires_and_says_what_it_kept() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let officer = caller("privacy_officer");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(
            &service,
            &member,
            "user.contact.email",
            "erase.me@example.com",
        )
        .await
        .unwrap();
    f.vault
        .put_item(&service, &member, "user.content.prompt", "a cat in a hat")
        .await
        .unwrap();
    f.vault
        .put_record(&service, &member, "user.financial.order", "order 7", None)
        .await
        .unwrap();
    let filed = f
        .vault
        .file_request(
            &service,
            NewRequest {
                subject: member.clone(),
                kind: "erasure".into(),
                verification: verification(),
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let (done, answer) = f
        .vault
        .act_on_request(&officer, &filed.id, RequestAction::Complete)
        .await
        .unwrap();
    assert_eq!(done.state, "completed");
    let answer = answer.unwrap();
    assert_eq!(answer["destroyed"], 1, "{answer}");
    let kept = answer["kept_apart"].as_array().unwrap();
    assert_eq!(kept.len(), 2, "{answer}");
    assert!(kept
        .iter()
        .all(|k| k["rule"] == "contract_records"
            && k["law"].as_str().unwrap().contains("전자상거래")));
    assert!(!answer.to_string().contains("erase.me@example.com"));
    assert!(matches!(
        f.vault
            .get_item(&service, &member, "user.content.prompt")
            .await,
        Err(VaultError::NoItem { .. })
    ));
}

#[tokio::test]
async fn rectification_and_restriction_stop_use_until_resolved() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let officer = caller("privacy_officer");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(&service, &member, "user.contact.phone", "010-1111-2222")
        .await
        .unwrap();
    let filed = f
        .vault
        .file_request(
            &service,
            NewRequest {
                subject: member.clone(),
                kind: "rectification".into(),
                verification: verification(),
                categories: vec!["user.contact.phone".into()],
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        f.vault
            .get_item(&service, &member, "user.contact.phone")
            .await,
        Err(VaultError::UnderCorrection { .. })
    ));
    // The officer answering the request still reads it.
    assert!(f
        .vault
        .get_item(&officer, &member, "user.contact.phone")
        .await
        .is_ok());
    // Writing the corrected value resolves it.
    f.vault
        .put_item(&service, &member, "user.contact.phone", "010-3333-4444")
        .await
        .unwrap();
    assert_eq!(
        f.vault
            .get_item(&service, &member, "user.contact.phone")
            .await
            .unwrap(),
        ItemValue::Full("010-3333-4444".into())
    );
    f.vault
        .act_on_request(&officer, &filed.id, RequestAction::Complete)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_access_request_exports_items_records_purposes_recipients_and_deadlines() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let officer = caller("privacy_officer");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(
            &service,
            &member,
            "user.contact.email",
            "see.me@example.com",
        )
        .await
        .unwrap();
    f.vault
        .put_record(&service, &member, "user.financial.order", "order 9", None)
        .await
        .unwrap();
    let filed = f
        .vault
        .file_request(
            &service,
            NewRequest {
                subject: member.clone(),
                kind: "access".into(),
                verification: verification(),
                jurisdiction: Some("eu".into()),
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    // GDPR: one month, but the policy promises 10 days, and the shorter holds.
    assert_eq!(filed.due_ms, ms(start) + 10 * DAY);
    let (_, answer) = f
        .vault
        .act_on_request(&officer, &filed.id, RequestAction::Complete)
        .await
        .unwrap();
    let answer = answer.unwrap();
    assert_eq!(answer["items"][0]["category"], "user.contact.email");
    assert!(!answer["items"][0]["purposes"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(answer["records"][0]["category"], "user.financial.order");
    assert_eq!(answer["records"][0]["retention"]["action"], "keep");
    assert!(
        answer["records"][0]["retention"]["until_ms"]
            .as_i64()
            .unwrap()
            > ms(start)
    );
}

#[tokio::test]
async fn bad_retention_input_is_refused_and_changes_nothing() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    assert!(matches!(
        f.vault
            .report_event(&service, &member, "moon_landing", None)
            .await,
        Err(VaultError::Invalid { what: "event", .. })
    ));
    assert!(matches!(
        f.vault
            .report_event(
                &service,
                &member,
                "account_closure",
                Some(ms(start) + 365 * DAY)
            )
            .await,
        Err(VaultError::Invalid { what: "at", .. })
    ));
    assert!(matches!(
        f.vault
            .report_event(&service, "sub_nobody", "account_closure", None)
            .await,
        Err(VaultError::NoSubject(_))
    ));
    assert!(matches!(
        f.vault
            .put_record(&service, &member, "user.not.declared", "x", None)
            .await,
        Err(VaultError::UnknownCategory { .. })
    ));
    assert!(matches!(
        f.vault
            .file_request(
                &service,
                NewRequest {
                    subject: member.clone(),
                    kind: "telepathy".into(),
                    verification: verification(),
                    ..NewRequest::default()
                }
            )
            .await,
        Err(VaultError::Invalid { what: "type", .. })
    ));
    assert!(matches!(
        f.vault
            .file_request(
                &service,
                NewRequest {
                    subject: member.clone(),
                    kind: "access".into(),
                    verification: Verification::default(),
                    ..NewRequest::default()
                }
            )
            .await,
        Err(VaultError::Invalid { .. })
    ));
    assert!(matches!(
        f.vault
            .file_request(
                &service,
                NewRequest {
                    subject: "sub_nobody".into(),
                    kind: "access".into(),
                    verification: verification(),
                    ..NewRequest::default()
                }
            )
            .await,
        Err(VaultError::NoSubject(_))
    ));
    // None of it left anything to sweep or any request behind.
    let report = f
        .vault
        .sweep(&operator(), ms(start), true, |_| {})
        .await
        .unwrap();
    assert!(report.planned.is_empty());
    assert!(f
        .vault
        .rights_requests(&operator(), false)
        .await
        .unwrap()
        .is_empty());
    // After the subject is destroyed, an event for it is refused.
    f.vault
        .report_event(&service, &member, "account_closure", None)
        .await
        .unwrap();
    assert_eq!(sweep_at(&f, ms(start) + 1000).await.shredded, 1);
    assert!(matches!(
        f.vault
            .report_event(&service, &member, "purpose_achieved", None)
            .await,
        Err(VaultError::NoSubject(_))
    ));
}

#[tokio::test]
async fn a_dry_run_says_what_would_go_and_why_and_changes_nothing() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("imagesfactory"), start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_record(
            &service,
            &member,
            "user.device.ip_address",
            "192.0.2.1",
            None,
        )
        .await
        .unwrap();
    let later = ms(start) + 100 * DAY;
    let dry = f
        .vault
        .sweep(&operator(), later, true, |_| {})
        .await
        .unwrap();
    assert_eq!(dry.destroyed, 1);
    assert!(matches!(&dry.planned[0].fate, Fate::Destroy { rule, .. } if rule == "visit_logs"));
    assert!(ledger(&f).await.is_empty());
    assert_eq!(sweep_at(&f, later).await.destroyed, 1);
}

/// Two vaults on one PostgreSQL sweeping the same due data together destroy each piece once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweepers_on_one_postgresql_destroy_each_piece_once() {
    let Some(url) = vow_testkit::postgres_url() else {
        return;
    };
    let schema = format!("retention_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("vow.keys");
    let start = datetime!(2026-01-05 09:00 +9);
    let clock = ManualClock::at(ms(start));
    let open_pg = || {
        let policy =
            vow_policy::parse(example("imagesfactory").as_bytes(), "imagesfactory").unwrap();
        let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
        let store = Store::open(
            &Location::Postgres {
                url: url.clone(),
                schema: Some(schema.clone()),
            },
            StoreOptions::default(),
        )
        .unwrap();
        Vault::new(VaultConfig {
            policy,
            keys,
            key_file: Some(key_file.clone()),
            store,
            clock: Arc::new(clock.clone()),
            checkpoints: None,
        })
    };
    let first = Arc::new(open_pg());
    let second = Arc::new(open_pg());
    let service = caller("service");
    const MEMBERS: usize = 120;
    for i in 0..MEMBERS {
        let id = first
            .create_subject(&service, &format!("pg-member-{i}"), "member")
            .await
            .unwrap();
        for n in 0..3 {
            first
                .put_record(
                    &service,
                    &id,
                    "user.device.ip_address",
                    &format!("192.0.2.{n}"),
                    None,
                )
                .await
                .unwrap();
        }
    }
    let later = ms(start) + 100 * DAY;
    clock.set(later);
    let a = {
        let v = Arc::clone(&first);
        tokio::spawn(async move { v.sweep(&operator(), later, false, |_| {}).await.unwrap() })
    };
    let b = {
        let v = Arc::clone(&second);
        tokio::spawn(async move { v.sweep(&operator(), later, false, |_| {}).await.unwrap() })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(
        a.destroyed + b.destroyed,
        (MEMBERS * 3) as u64,
        "{a:?} {b:?}"
    );
    let lines = first
        .destruction_ledger(&operator(), 0, 100_000)
        .await
        .unwrap();
    let counted: i64 = lines.iter().map(|l| l.count).sum();
    assert_eq!(
        counted,
        (MEMBERS * 3) as i64,
        "each destruction written once"
    );
    first.store().clone().close().await;
    second.store().clone().close().await;
    std::thread::spawn(move || {
        if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
            ));
        }
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn aimex_a_completed_restriction_stops_every_read_for_use_but_the_officers() {
    let start = datetime!(2026-01-05 09:00 +9);
    let f = fixture(&example("aimex"), start);
    let service = caller("service");
    let officer = caller("privacy_officer");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(
            &service,
            &member,
            "user.contact.email",
            "stop.it@example.com",
        )
        .await
        .unwrap();
    f.vault
        .put_record(
            &service,
            &member,
            "user.financial.transaction_record",
            "tx 1",
            None,
        )
        .await
        .unwrap();
    let filed = f
        .vault
        .file_request(
            &service,
            NewRequest {
                subject: member.clone(),
                kind: "restriction".into(),
                verification: verification(),
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    // Filing alone stops nothing; completing it does.
    assert!(f
        .vault
        .get_item(&service, &member, "user.contact.email")
        .await
        .is_ok());
    f.vault
        .act_on_request(&officer, &filed.id, RequestAction::Complete)
        .await
        .unwrap();
    assert!(matches!(
        f.vault
            .get_item(&service, &member, "user.contact.email")
            .await,
        Err(VaultError::Restricted)
    ));
    assert!(matches!(
        f.vault.export(&service, &member).await,
        Err(VaultError::Restricted)
    ));
    assert!(matches!(
        f.vault.records(&service, &member).await,
        Err(VaultError::Restricted)
    ));
    assert_eq!(
        f.vault
            .get_item(&officer, &member, "user.contact.email")
            .await
            .unwrap(),
        ItemValue::Full("stop.it@example.com".into())
    );
}

#[tokio::test]
async fn aimex_a_withdrawn_marketing_consent_takes_its_record_with_it() {
    let start = datetime!(2026-01-05 09:00 +9);
    // The seed names no channel for its advertising; one is needed to record consent to it.
    let policy = example("aimex").replace(
        "[advertising]\nsends = true\n",
        "[advertising]\nsends = true\nchannels = [\"email\"]\n",
    );
    assert!(policy.contains("channels = [\"email\"]"));
    let f = fixture(&policy, start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(
            &service,
            &member,
            "user.marketing.consent",
            "광고성 정보 수신 동의: 예",
        )
        .await
        .unwrap();
    let change = |granted: bool| vow_engine::ConsentChange {
        purpose: "marketing".into(),
        channel: Some("email".into()),
        night: false,
        granted,
        evidence: vow_engine::Evidence {
            method: "web_form".into(),
            location: None,
            wording: None,
        },
        at_ms: None,
        by_guardian: false,
    };
    f.vault
        .record_consent(&service, &member, change(true))
        .await
        .unwrap();
    assert_eq!(sweep_at(&f, ms(start) + DAY).await.destroyed, 0);
    f.vault
        .record_consent(&service, &member, change(false))
        .await
        .unwrap();
    let report = sweep_at(&f, ms(start) + DAY + 1000).await;
    assert_eq!(report.destroyed, 1, "{report:?}");
    assert_eq!(ledger(&f).await[0].rule, "marketing_consent");
}

/// Attack: withdrawing one consent (healthcare) must not start the clock of a rule kept for another
/// consent still given (marketing): the consent_withdrawn event names no purpose, so it does.
#[tokio::test]
async fn aimex_withdrawing_another_consent_leaves_the_marketing_record() {
    let start = datetime!(2026-01-05 09:00 +9);
    let policy = example("aimex").replace(
        "[advertising]\nsends = true\n",
        "[advertising]\nsends = true\nchannels = [\"email\"]\n",
    );
    let f = fixture(&policy, start);
    let service = caller("service");
    let member = subject(&f, "service", "member").await;
    f.vault
        .put_item(
            &service,
            &member,
            "user.marketing.consent",
            "광고성 정보 수신 동의: 예",
        )
        .await
        .unwrap();
    let change = |purpose: &str, channel: Option<&str>, granted: bool| vow_engine::ConsentChange {
        purpose: purpose.into(),
        channel: channel.map(Into::into),
        night: false,
        granted,
        evidence: vow_engine::Evidence {
            method: "web_form".into(),
            location: None,
            wording: None,
        },
        at_ms: None,
        by_guardian: false,
    };
    for (purpose, channel) in [("marketing", Some("email")), ("healthcare", None)] {
        f.vault
            .record_consent(&service, &member, change(purpose, channel, true))
            .await
            .unwrap();
    }
    f.vault
        .record_consent(&service, &member, change("healthcare", None, false))
        .await
        .unwrap();
    let report = sweep_at(&f, ms(start) + DAY).await;
    assert_eq!(report.destroyed, 0, "{report:?} {:?}", ledger(&f).await);
}
