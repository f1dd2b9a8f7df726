//! Every lint rule fires on a policy that lacks what it requires, and stays quiet once the policy says it.
//!
//! Each test starts from the starter policy (which lints clean), takes away or adds one thing, and checks the
//! rule by its id — the id a policy file uses to waive it.
#![allow(clippy::unwrap_used)]

use vow_policy::{
    lint, AdChannel, Advertising, AiPromises, Category, ChangeNotice, ChildPolicy, Children,
    Collection, DataClass, Date, Jurisdiction, LegalBasis, OverseasTransfer, Period, Policy,
    Processor, Pseudonymised, Purpose, RetentionBasis, RetentionEvent, RetentionRule, Right,
    SensitiveData, Text, ThirdParty, UploadPromise, RULES, STARTER_POLICY,
};

fn starter() -> Policy {
    vow_policy::parse(STARTER_POLICY.as_bytes(), "starter").unwrap()
}

fn fires(policy: &Policy, rule: &str) -> bool {
    lint(policy).of_rule(rule).next().is_some()
}

fn rules_fired(policy: &Policy) -> Vec<&'static str> {
    let mut ids: Vec<&str> = lint(policy).findings.iter().map(|f| f.rule).collect();
    ids.dedup();
    ids
}

#[track_caller]
fn assert_fires_only(policy: &Policy, rule: &str) {
    let fired = rules_fired(policy);
    assert!(
        fired.contains(&rule),
        "`{rule}` did not fire; fired: {fired:?}"
    );
    assert!(
        fired.iter().all(|r| *r == rule),
        "only `{rule}` should fire; fired: {fired:?}"
    );
}

#[track_caller]
fn assert_clean(policy: &Policy) {
    let report = lint(policy);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

/// A text in both languages, so that a test about one rule does not also fire `translation-missing`.
fn t(s: &str) -> Text {
    Text {
        ko: Some(s.into()),
        en: Some(s.into()),
    }
}

fn category(key: &str, class: DataClass) -> Category {
    Category {
        key: key.into(),
        label: t(key),
        class,
        lookup: false,
        note: None,
        mask: None,
    }
}

fn purpose(key: &str, basis: LegalBasis, separate_consent: bool) -> Purpose {
    Purpose {
        key: key.into(),
        label: t(key),
        details: vec![t("detail")],
        basis,
        separate_consent,
    }
}

/// Adds a category collected for `purpose`, governed by a retention rule, so that only the rule under test
/// can fire.
fn collect(policy: &mut Policy, cat: Category, purpose_key: &str) {
    let key = cat.key.clone();
    policy.categories.push(cat);
    policy.collections.push(Collection {
        key: format!("collect-{key}"),
        label: t("when"),
        subjects: vec![],
        method: None,
        automatic: false,
        required: vec![key.clone()],
        optional: vec![],
        purposes: vec![purpose_key.into()],
    });
    policy.retention.push(RetentionRule {
        key: format!("keep-{key}"),
        label: t("kept"),
        categories: vec![key],
        from: RetentionEvent::AccountClosure,
        period: None,
        basis: RetentionBasis::Consent,
        law: None,
        reason: None,
        separate_storage: false,
    });
}

fn processor(key: &str, country: Option<&str>) -> Processor {
    Processor {
        key: key.into(),
        name: t(key),
        task: t("hosting"),
        categories: vec!["user.contact.email".into()],
        retention: None,
        country: country.map(str::to_string),
        ai_provider: false,
        endpoint: None,
        api: None,
        subprocessing: None,
    }
}

fn transfer(recipient: &str) -> OverseasTransfer {
    OverseasTransfer {
        recipient: recipient.into(),
        country: "US".into(),
        contact: Some("privacy@vendor.example".into()),
        categories: vec!["user.contact.email".into()],
        when_and_how: t("서비스 이용 시 네트워크로 전송"),
        purpose: t("hosting"),
        retention: t("위탁 계약 종료 시까지"),
        ground: Some(t("consent")),
        refusal: t("거부 시 서비스 이용 불가"),
    }
}

#[test]
fn every_rule_id_is_unique_and_has_a_reference() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    assert!(RULES
        .iter()
        .all(|r| !r.reference.is_empty() && !r.requires.is_empty()));
}

#[test]
fn rule_ids_are_the_fixed_list_policy_files_waive() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let expected = [
        "purposes",
        "items",
        "retention",
        "retention-law",
        "destruction",
        "separate-storage",
        "third-parties",
        "processors",
        "overseas-transfer",
        "sensitive",
        "unique-identifiers",
        "pseudonymised",
        "rights",
        "rights-deadline",
        "rights-names",
        "officer",
        "department",
        "automatic-collection",
        "safety-measures",
        "access-log",
        "children",
        "remedies",
        "changes",
        "advertising",
        "ai-providers",
        "dates",
        "translation-missing",
        "gdpr-controller",
        "gdpr-legal-basis",
        "gdpr-rights",
        "gdpr-complaint",
        "gdpr-automated-decision",
        "gdpr-transfers",
        "gdpr-deadline",
    ];
    assert_eq!(ids, expected);
}

#[test]
fn starter_policy_has_no_findings() {
    assert_clean(&starter());
}

#[test]
fn purposes_fires_when_a_collection_names_no_purpose() {
    let mut p = starter();
    p.collections[0].purposes.clear();
    assert_fires_only(&p, "purposes");
}

#[test]
fn purposes_fires_when_no_purpose_is_declared() {
    let mut p = starter();
    p.purposes.clear();
    for c in &mut p.collections {
        c.purposes.clear();
    }
    assert!(fires(&p, "purposes"));
    assert!(lint(&p)
        .findings
        .iter()
        .any(|f| f.message.contains("no [[purpose]]")));
}

#[test]
fn items_fires_for_a_declared_category_no_collection_collects() {
    let mut p = starter();
    p.categories
        .push(category("user.profile.nickname", DataClass::Ordinary));
    assert_fires_only(&p, "items");
}

#[test]
fn items_fires_when_nothing_is_collected() {
    let mut p = starter();
    p.collections.clear();
    p.categories.clear();
    p.retention.clear();
    assert!(fires(&p, "items"));
}

#[test]
fn retention_fires_for_a_collected_category_without_a_rule() {
    let mut p = starter();
    p.retention.retain(|r| r.key != "access-records");
    assert_fires_only(&p, "retention");
}

#[test]
fn retention_law_fires_when_a_legal_retention_names_no_law() {
    let mut p = starter();
    let rule = p
        .retention
        .iter_mut()
        .find(|r| r.key == "access-records")
        .unwrap();
    rule.law = None;
    assert_fires_only(&p, "retention-law");
}

#[test]
fn retention_law_fires_when_internal_policy_gives_no_reason_and_is_quiet_with_one() {
    let mut p = starter();
    p.retention[0].basis = RetentionBasis::InternalPolicy;
    assert_fires_only(&p, "retention-law");
    p.retention[0].reason = Some(t("부정 이용자의 재가입 방지"));
    assert_clean(&p);
}

#[test]
fn destruction_fires_when_the_section_is_missing() {
    let mut p = starter();
    p.destruction = None;
    assert_fires_only(&p, "destruction");
}

#[test]
fn destruction_fires_when_the_electronic_method_is_blank() {
    let mut p = starter();
    p.destruction.as_mut().unwrap().electronic = t("  ");
    assert_fires_only(&p, "destruction");
}

#[test]
fn separate_storage_fires_for_data_kept_under_law_after_account_closure() {
    let mut p = starter();
    collect(
        &mut p,
        category("user.order.record", DataClass::Ordinary),
        "service",
    );
    let rule = p.retention.last_mut().unwrap();
    rule.basis = RetentionBasis::Law;
    rule.law = Some(t("전자상거래법 시행령 제6조"));
    rule.period = Some(Period::Years(5));
    assert_fires_only(&p, "separate-storage");
    p.retention.last_mut().unwrap().separate_storage = true;
    assert_clean(&p);
}

#[test]
fn third_parties_fires_when_a_recipient_does_not_say_how_long_it_keeps_data() {
    let mut p = starter();
    p.third_parties.push(ThirdParty {
        key: "courier".into(),
        name: t("택배사"),
        purpose: t("배송"),
        categories: vec!["user.contact.email".into()],
        retention: t(""),
        basis: LegalBasis::Consent,
        country: None,
    });
    assert_fires_only(&p, "third-parties");
    p.third_parties[0].retention = t("배송 완료 후 3개월");
    assert_clean(&p);
}

#[test]
fn processors_fires_when_a_processor_names_no_items() {
    let mut p = starter();
    let mut x = processor("hosting", None);
    x.categories.clear();
    p.processors.push(x);
    assert_fires_only(&p, "processors");
    p.processors[0].categories = vec!["user.contact.email".into()];
    assert_clean(&p);
}

#[test]
fn overseas_transfer_fires_for_a_foreign_processor_without_a_transfer_entry() {
    let mut p = starter();
    p.processors.push(processor("cloud", Some("US")));
    assert_fires_only(&p, "overseas-transfer");
    p.overseas_transfers.push(transfer("cloud"));
    assert_clean(&p);
}

#[test]
fn overseas_transfer_fires_when_the_transfer_omits_the_recipient_contact() {
    let mut p = starter();
    p.processors.push(processor("cloud", Some("US")));
    let mut tr = transfer("cloud");
    tr.contact = None;
    p.overseas_transfers.push(tr);
    assert_fires_only(&p, "overseas-transfer");
    assert!(lint(&p).findings[0].message.contains("contact"));
}

#[test]
fn a_korean_processor_needs_no_overseas_transfer() {
    let mut p = starter();
    p.processors.push(processor("pg", Some("kr")));
    assert_clean(&p);
}

#[test]
fn sensitive_fires_without_a_statement_or_separate_consent() {
    let mut p = starter();
    p.purposes
        .push(purpose("health", LegalBasis::Consent, false));
    collect(
        &mut p,
        category("user.health.condition", DataClass::Sensitive),
        "health",
    );
    let findings = lint(&p);
    assert_eq!(findings.of_rule("sensitive").count(), 2, "{findings:#?}");
    assert_fires_only(&p, "sensitive");

    p.purposes.last_mut().unwrap().separate_consent = true;
    p.sensitive = Some(SensitiveData {
        processed: true,
        statement: Some(t("건강 정보는 별도 동의를 받아 처리합니다")),
        disclosure_risk: None,
    });
    // Sensitive data also needs the longer access-log retention; the starter keeps 2 years.
    assert_clean(&p);
}

#[test]
fn unique_identifiers_fire_without_a_legal_obligation_and_are_quiet_with_one() {
    let mut p = starter();
    p.purposes
        .push(purpose("identity", LegalBasis::Consent, false));
    collect(
        &mut p,
        category("user.id.rrn", DataClass::UniqueIdentifier),
        "identity",
    );
    assert_fires_only(&p, "unique-identifiers");
    p.purposes.last_mut().unwrap().basis = LegalBasis::LegalObligation;
    assert_clean(&p);
}

#[test]
fn pseudonymised_fires_when_processed_without_safeguards() {
    let mut p = starter();
    p.pseudonymised = Some(Pseudonymised {
        processed: true,
        purpose: Some(t("통계 작성")),
        retention: Some(t("목적 달성 시까지")),
        safeguards: None,
    });
    assert_fires_only(&p, "pseudonymised");
    p.pseudonymised.as_mut().unwrap().safeguards = Some(t("추가정보 분리 보관"));
    assert_clean(&p);
}

#[test]
fn rights_fires_when_suspension_is_not_listed() {
    let mut p = starter();
    p.rights
        .as_mut()
        .unwrap()
        .rights
        .retain(|r| *r != Right::Restriction);
    assert_fires_only(&p, "rights");
}

#[test]
fn rights_requires_withdraw_consent_only_when_a_purpose_is_consent_based() {
    let mut p = starter();
    p.rights
        .as_mut()
        .unwrap()
        .rights
        .retain(|r| *r != Right::ConsentWithdrawal);
    assert_clean(&p);
    p.purposes
        .push(purpose("newsletter", LegalBasis::Consent, true));
    p.collections[0].purposes.push("newsletter".into());
    assert_fires_only(&p, "rights");
}

#[test]
fn rights_fires_when_the_section_is_missing() {
    let mut p = starter();
    p.rights = None;
    assert_fires_only(&p, "rights");
}

#[test]
fn rights_deadline_fires_above_ten_days() {
    let mut p = starter();
    p.rights.as_mut().unwrap().deadline_days = 11;
    assert_fires_only(&p, "rights-deadline");
    p.rights.as_mut().unwrap().deadline_days = 10;
    assert_clean(&p);
}

#[test]
fn officer_fires_without_phone_or_email() {
    let mut p = starter();
    p.officer.email = None;
    p.officer.phone = None;
    assert_fires_only(&p, "officer");
    p.officer.phone = Some("02-000-0000".into());
    assert_clean(&p);
}

#[test]
fn department_fires_when_no_department_is_named() {
    let mut p = starter();
    p.department = None;
    assert_fires_only(&p, "department");
}

#[test]
fn automatic_collection_fires_for_generated_data_without_a_device_description() {
    let mut p = starter();
    p.automatic_collection.clear();
    assert_fires_only(&p, "automatic-collection");
}

#[test]
fn automatic_collection_is_quiet_when_nothing_is_collected_automatically() {
    let mut p = starter();
    p.automatic_collection.clear();
    p.collections.retain(|c| !c.automatic);
    p.retention.retain(|r| r.key != "access-records");
    p.categories.retain(|c| c.class != DataClass::Generated);
    assert_clean(&p);
}

#[test]
fn safety_measures_fires_when_physical_measures_are_missing() {
    let mut p = starter();
    p.safety.as_mut().unwrap().physical.clear();
    assert_fires_only(&p, "safety-measures");
}

#[test]
fn access_log_fires_below_one_year() {
    let mut p = starter();
    p.safety.as_mut().unwrap().access_log_retention = Period::Months(11);
    assert_fires_only(&p, "access-log");
    p.safety.as_mut().unwrap().access_log_retention = Period::Months(12);
    assert_clean(&p);
}

#[test]
fn access_log_needs_two_years_with_unique_identifiers() {
    let mut p = starter();
    p.purposes
        .push(purpose("identity", LegalBasis::LegalObligation, false));
    collect(
        &mut p,
        category("user.id.passport", DataClass::UniqueIdentifier),
        "identity",
    );
    p.safety.as_mut().unwrap().access_log_retention = Period::Days(365);
    assert_fires_only(&p, "access-log");
    p.safety.as_mut().unwrap().access_log_retention = Period::Years(2);
    assert_clean(&p);
}

#[test]
fn the_access_log_floor_is_two_years_for_strict_data_or_many_subjects() {
    use vow_policy::lint::{access_log_floor, MANY_SUBJECTS};
    let mut p = starter();
    p.categories
        .retain(|c| !matches!(c.class, DataClass::UniqueIdentifier | DataClass::Sensitive));
    assert_eq!(access_log_floor(&p, None), (Period::Years(1), None));
    assert_eq!(
        access_log_floor(&p, Some(MANY_SUBJECTS - 1)),
        (Period::Years(1), None)
    );
    let (floor, why) = access_log_floor(&p, Some(MANY_SUBJECTS));
    assert_eq!(floor, Period::Years(2));
    assert!(why.is_some_and(|w| w.contains("50,000")), "{why:?}");
    p.categories
        .push(category("user.id.passport", DataClass::UniqueIdentifier));
    let (floor, why) = access_log_floor(&p, None);
    assert_eq!(floor, Period::Years(2));
    assert!(
        why.is_some_and(|w| w.contains("unique identifiers")),
        "{why:?}"
    );
}

#[test]
fn children_fires_for_guardian_consent_without_verification() {
    let mut p = starter();
    p.children = Some(Children {
        policy: ChildPolicy::GuardianConsent,
        age: 14,
        verification: None,
        statement: None,
        methods: Vec::new(),
    });
    assert_fires_only(&p, "children");
    p.children.as_mut().unwrap().verification = Some(t("법정대리인 휴대전화 본인인증"));
    assert_clean(&p);
    // Naming a method of 시행령 제17조의2 is enough too.
    let children = p.children.as_mut().unwrap();
    children.verification = None;
    children.methods = vec![vow_policy::model::GuardianVerification::MobileIdentity];
    assert_clean(&p);
}

#[test]
fn children_fires_when_the_section_is_missing() {
    let mut p = starter();
    p.children = None;
    assert_fires_only(&p, "children");
}

#[test]
fn remedies_fires_when_the_section_is_missing() {
    let mut p = starter();
    p.remedies = None;
    assert_fires_only(&p, "remedies");
}

#[test]
fn changes_fires_when_material_notice_is_shorter_than_ordinary() {
    let mut p = starter();
    p.changes = Some(ChangeNotice {
        ordinary_days: 7,
        material_days: 5,
        channels: vec![],
        reconsent_on_material: false,
    });
    assert_fires_only(&p, "changes");
    p.changes.as_mut().unwrap().material_days = 30;
    p.changes.as_mut().unwrap().ordinary_days = 6;
    assert_fires_only(&p, "changes");
    p.changes = None;
    assert_fires_only(&p, "changes");
}

fn advertising() -> Advertising {
    Advertising {
        sends: true,
        channels: vec![AdChannel::Email],
        purpose: Some("marketing".into()),
        night_time: false,
        label: "(광고)".into(),
        reconfirm_months: 24,
        opt_out: Some(t("메일 하단의 수신거부 링크")),
    }
}

#[test]
fn advertising_fires_without_separate_consent_and_is_quiet_with_it() {
    let mut p = starter();
    p.purposes
        .push(purpose("marketing", LegalBasis::Consent, false));
    p.collections[0].purposes.push("marketing".into());
    p.advertising = Some(advertising());
    assert_fires_only(&p, "advertising");
    p.purposes.last_mut().unwrap().separate_consent = true;
    assert_clean(&p);
}

#[test]
fn advertising_fires_when_the_label_does_not_start_with_gwanggo() {
    let mut p = starter();
    p.purposes
        .push(purpose("marketing", LegalBasis::Consent, true));
    p.collections[0].purposes.push("marketing".into());
    let mut ad = advertising();
    ad.label = "[AD]".into();
    p.advertising = Some(ad);
    assert_fires_only(&p, "advertising");
}

#[test]
fn advertising_fires_when_it_lists_no_channel_to_send_through() {
    let mut p = starter();
    p.purposes
        .push(purpose("marketing", LegalBasis::Consent, true));
    p.collections[0].purposes.push("marketing".into());
    let mut ad = advertising();
    ad.channels.clear();
    p.advertising = Some(ad);
    assert_fires_only(&p, "advertising");
    p.advertising.as_mut().unwrap().channels = vec![AdChannel::Sms];
    assert_clean(&p);
}

#[test]
fn advertising_that_is_not_sent_needs_nothing() {
    let mut p = starter();
    let mut ad = advertising();
    ad.sends = false;
    ad.purpose = None;
    ad.opt_out = None;
    p.advertising = Some(ad);
    assert_clean(&p);
}

#[test]
fn ai_providers_fires_when_an_ai_service_declares_no_model_provider() {
    let mut p = starter();
    collect(
        &mut p,
        category("user.content.upload", DataClass::Ordinary),
        "service",
    );
    p.ai = Some(AiPromises {
        uploads: Some(UploadPromise {
            category: "user.content.upload".into(),
            delete_after: Period::Hours(24),
            unless_saved: false,
        }),
        training: None,
        label_generated_content: true,
        chat_logs: None,
        notes: vec![],
    });
    assert_fires_only(&p, "ai-providers");
    let mut provider = processor("model", None);
    provider.ai_provider = true;
    p.processors.push(provider);
    assert_clean(&p);
}

#[test]
fn dates_fires_when_announced_after_effective() {
    let mut p = starter();
    p.policy.announced = Some("2025-02-01".parse::<Date>().unwrap());
    assert_fires_only(&p, "dates");
}

/// A starter extended to satisfy every GDPR rule.
fn gdpr_clean() -> Policy {
    let mut p = starter();
    p.policy.jurisdictions = vec![Jurisdiction::Kr, Jurisdiction::Eu];
    p.controller.eu_representative = Some(t("Example EU Rep GmbH, Berlin"));
    let rights = p.rights.as_mut().unwrap();
    rights.rights.extend([
        Right::Objection,
        Right::Portability,
        Right::AutomatedDecision,
    ]);
    p.remedies.as_mut().unwrap().others = vec![t("the supervisory authority of your member state")];
    p
}

#[test]
fn gdpr_rules_apply_only_with_the_eu_jurisdiction() {
    let mut p = starter();
    assert_clean(&p);
    p.policy.jurisdictions.push(Jurisdiction::Eu);
    let fired = rules_fired(&p);
    for rule in [
        "gdpr-controller",
        "gdpr-rights",
        "gdpr-complaint",
        "gdpr-automated-decision",
    ] {
        assert!(fired.contains(&rule), "{rule} should fire: {fired:?}");
    }
    assert_clean(&gdpr_clean());
}

#[test]
fn gdpr_controller_fires_without_an_eu_representative() {
    let mut p = gdpr_clean();
    p.controller.eu_representative = None;
    assert_fires_only(&p, "gdpr-controller");
}

#[test]
fn gdpr_legal_basis_fires_for_legitimate_interest_without_details() {
    let mut p = gdpr_clean();
    let mut x = purpose("fraud", LegalBasis::LegitimateInterest, false);
    x.details.clear();
    p.purposes.push(x);
    p.collections[0].purposes.push("fraud".into());
    assert_fires_only(&p, "gdpr-legal-basis");
}

#[test]
fn gdpr_rights_fires_without_portability() {
    let mut p = gdpr_clean();
    p.rights
        .as_mut()
        .unwrap()
        .rights
        .retain(|r| *r != Right::Portability);
    assert_fires_only(&p, "gdpr-rights");
}

#[test]
fn gdpr_complaint_fires_without_a_supervisory_authority() {
    let mut p = gdpr_clean();
    p.remedies.as_mut().unwrap().others.clear();
    assert_fires_only(&p, "gdpr-complaint");
}

#[test]
fn gdpr_automated_decision_fires_when_not_listed() {
    let mut p = gdpr_clean();
    p.rights
        .as_mut()
        .unwrap()
        .rights
        .retain(|r| *r != Right::AutomatedDecision);
    assert_fires_only(&p, "gdpr-automated-decision");
}

#[test]
fn gdpr_transfers_fires_for_a_transfer_without_a_ground() {
    let mut p = gdpr_clean();
    p.processors.push(processor("cloud", Some("US")));
    let mut tr = transfer("cloud");
    tr.ground = None;
    p.overseas_transfers.push(tr);
    assert_fires_only(&p, "gdpr-transfers");
}

#[test]
fn gdpr_deadline_fires_above_thirty_days_even_when_the_korean_rule_is_waived() {
    let mut p = gdpr_clean();
    p.rights.as_mut().unwrap().deadline_days = 31;
    let fired = rules_fired(&p);
    assert!(fired.contains(&"gdpr-deadline"), "{fired:?}");
    assert!(fired.contains(&"rights-deadline"), "{fired:?}");
    p.rights.as_mut().unwrap().deadline_days = 30;
    assert_fires_only(&p, "rights-deadline");
}

#[test]
fn every_finding_carries_its_rules_legal_reference() {
    let mut p = starter();
    p.destruction = None;
    p.rights = None;
    p.children = None;
    for finding in lint(&p).findings {
        let rule = vow_policy::rule_by_id(finding.rule).unwrap();
        assert_eq!(finding.reference, rule.reference);
        assert!(!finding.message.is_empty());
    }
}

#[test]
fn a_finding_about_one_entry_points_at_its_line_in_the_text_report() {
    let text = STARTER_POLICY.replace("deadline_days = 10", "deadline_days = 12");
    let line = text
        .lines()
        .position(|l| l.starts_with("deadline_days"))
        .unwrap()
        + 1;
    let outcome = vow_policy::check(text.as_bytes(), "p.toml");
    let finding = &outcome.findings[0];
    assert_eq!(finding.finding.rule, "rights-deadline");
    assert_eq!(finding.location.unwrap().line, line);
    let report = outcome.to_text();
    assert!(
        report.contains(&format!("--> p.toml:{line}:17")),
        "{report}"
    );
    assert!(report.contains("deadline_days = 12"), "{report}");
}

#[test]
fn translation_missing_fires_for_korean_without_english_and_names_the_field() {
    let mut p = starter();
    p.purposes[0].details[1] = Text::ko("서비스 부정 이용 방지");
    assert_fires_only(&p, "translation-missing");
    let report = lint(&p);
    let finding = report.of_rule("translation-missing").next().unwrap();
    assert_eq!(
        finding.path.as_ref().map(ToString::to_string).as_deref(),
        Some("purpose[0].details[1]")
    );
    // A name without Hangul reads the same in both languages.
    p.purposes[0].details[1] = Text::ko("Stripe");
    assert_clean(&p);
}

/// The rights' older names still parse, each with a hint naming the one the API uses; the new
/// names draw no hint.
#[test]
fn older_names_of_rights_are_read_with_a_hint() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/policies/imagesfactory.toml"
    ))
    .unwrap();
    let hints = |text: &str| -> Vec<String> {
        let policy = vow_policy::parse(text.as_bytes(), "test").unwrap();
        lint(&policy)
            .of_rule("rights-names")
            .map(|f| f.message.clone())
            .collect()
    };
    assert!(hints(&text).is_empty());
    let old = text.replace(
        r#"rights = ["access", "rectification", "erasure", "consent_withdrawal"]"#,
        r#"rights = ["access", "correction", "deletion", "withdraw_consent"]"#,
    );
    assert_ne!(old, text);
    let policy = vow_policy::parse(old.as_bytes(), "test").unwrap();
    assert_eq!(
        policy.rights.as_ref().unwrap().rights,
        [
            Right::Access,
            Right::Rectification,
            Right::Erasure,
            Right::ConsentWithdrawal
        ]
    );
    let found = hints(&old);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("\"correction\"") && found[0].contains("\"rectification\""));
    // An unknown right is refused, naming the rights by their one vocabulary.
    let wrong = text.replace(
        r#""erasure", "consent_withdrawal"]"#,
        r#""erasure", "telepathy"]"#,
    );
    let error = vow_policy::parse(wrong.as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("telepathy") && error.contains("consent_withdrawal"),
        "{error}"
    );
    assert!(!error.contains("withdraw_consent"), "{error}");
}

#[test]
fn every_right_has_one_name_the_file_and_the_api_share() {
    let names: Vec<&str> = Right::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names, Right::names());
    for right in Right::ALL {
        // The model's serde name is the same word.
        assert_eq!(serde_json::to_value(right).unwrap(), right.name());
        assert_eq!(Right::from_name(right.name()), Some((right, None)));
    }
}
