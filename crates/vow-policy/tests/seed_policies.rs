//! The five seed services as policy files (`examples/policies/`): each checks clean, every gap of its seed is
//! a waiver with a reason, and the concrete promises each seed makes are stated in structured fields — the
//! facts the engine will enforce.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use vow_policy::{check, CheckStatus, Period, Policy, RetentionEvent, TrainingDisposal};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

fn load_clean(name: &str) -> Policy {
    let path = examples_dir().join(name);
    let bytes = std::fs::read(&path).unwrap();
    let outcome = check(&bytes, &path.display().to_string());
    assert_eq!(
        outcome.status(),
        CheckStatus::Clean,
        "{}",
        outcome.to_text()
    );
    outcome.policy.unwrap()
}

fn retention_period(policy: &Policy, key: &str) -> Option<Period> {
    policy
        .retention
        .iter()
        .find(|r| r.key == key)
        .unwrap()
        .period
}

#[test]
fn every_example_checks_clean_and_every_waiver_has_a_reason() {
    let mut seen = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let policy = load_clean(path.file_name().unwrap().to_str().unwrap());
        assert!(!policy.categories.is_empty(), "{}", path.display());
        for waiver in &policy.waivers {
            assert!(
                waiver.reason.trim().len() > 20,
                "{}: waiver {} needs a real reason",
                path.display(),
                waiver.rule
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 6, "the five seed services and dalbit-chat");
}

#[test]
fn dalbit_chat_states_its_transfer_abroad_and_its_eu_representative_without_a_waiver() {
    let p = load_clean("dalbit-chat.toml");
    assert!(p.waivers.is_empty());
    assert!(p
        .policy
        .jurisdictions
        .contains(&vow_policy::Jurisdiction::Eu));
    assert!(p
        .controller
        .eu_representative
        .as_ref()
        .is_some_and(|t| t.has(vow_policy::Lang::Ko) && t.has(vow_policy::Lang::En)));
    let transfer = &p.overseas_transfers[0];
    assert_eq!(
        (transfer.recipient.as_str(), transfer.country.as_str()),
        ("openai", "US")
    );
    assert!(transfer.contact.is_some() && transfer.ground.is_some());
    // The recipient is the AI provider the service role may send chat messages to.
    let service = p.roles.iter().find(|r| r.key == "service").unwrap();
    assert_eq!(service.send_to, ["openai"]);
    let privacy = p.roles.iter().find(|r| r.key == "privacy").unwrap();
    assert!(privacy.requests && privacy.separated);
}

#[test]
fn imagesfactory_keeps_ecommerce_records_for_their_statutory_periods() {
    let p = load_clean("imagesfactory.toml");
    assert_eq!(
        retention_period(&p, "contract_records"),
        Some(Period::Years(5))
    );
    assert_eq!(
        retention_period(&p, "payment_records"),
        Some(Period::Years(5))
    );
    assert_eq!(
        retention_period(&p, "complaint_records"),
        Some(Period::Years(3))
    );
    assert_eq!(
        retention_period(&p, "advertising_records"),
        Some(Period::Months(6))
    );
    assert_eq!(retention_period(&p, "visit_logs"), Some(Period::Months(3)));
    assert_eq!(retention_period(&p, "fraud"), Some(Period::Years(1)));
    let names: Vec<&str> = p.processors.iter().map(|x| x.key.as_str()).collect();
    assert_eq!(
        names,
        [
            "firebase",
            "toss",
            "stripe",
            "sendgrid",
            "openai",
            "stability",
            "gcs"
        ]
    );
    assert!(p.processors.iter().filter(|x| x.ai_provider).count() == 2);
    let changes = p.changes.unwrap();
    assert_eq!((changes.ordinary_days, changes.material_days), (7, 30));
    assert!(p.waivers.iter().any(|w| w.rule == "overseas-transfer"));
}

#[test]
fn ai_character_generator_deletes_uploads_within_24_hours_unless_saved() {
    let p = load_clean("ai-character-generator.toml");
    let uploads = p.ai.as_ref().unwrap().uploads.clone().unwrap();
    assert_eq!(uploads.delete_after, Period::Hours(24));
    assert!(uploads.unless_saved);
    let rule = p.retention.iter().find(|r| r.key == "uploads").unwrap();
    assert_eq!(rule.from, RetentionEvent::ProcessingCompleted);
    assert_eq!(retention_period(&p, "usage"), Some(Period::Years(2)));
}

#[test]
fn aimex_deletes_or_anonymises_training_data_once_the_model_is_made() {
    let p = load_clean("aimex.toml");
    let ai = p.ai.clone().unwrap();
    let training = ai.training.unwrap();
    assert_eq!(training.after_model, TrainingDisposal::DeleteOrAnonymise);
    assert!(training.model_has_no_personal_data);
    assert!(ai.label_generated_content);
    assert!(ai.chat_logs.unwrap().used_for_improvement);
    assert_eq!(
        retention_period(&p, "usage_records"),
        Some(Period::Years(3))
    );
    assert_eq!(p.changes.unwrap().ordinary_days, 7);
}

#[test]
fn talk_with_me_answers_refusals_within_ten_days_and_keeps_email_until_withdrawal() {
    let p = load_clean("talk-with-me.toml");
    assert_eq!(p.rights.unwrap().deadline_days, 10);
    let membership = p.retention.iter().find(|r| r.key == "membership").unwrap();
    assert_eq!(membership.from, RetentionEvent::AccountClosure);
    assert!(membership
        .categories
        .iter()
        .any(|c| c == "user.contact.email"));
}

#[test]
fn aimos_keeps_fraud_records_six_months_and_fraudulent_transactions_three_years() {
    let p = load_clean("aimos.toml");
    assert_eq!(
        retention_period(&p, "unauthorised_use"),
        Some(Period::Months(6))
    );
    assert_eq!(
        retention_period(&p, "fraudulent_transactions"),
        Some(Period::Years(3))
    );
    assert_eq!(
        retention_period(&p, "telecom_records"),
        Some(Period::Months(3))
    );
    assert_eq!(p.advertising.unwrap().label, "(광고)");
}
