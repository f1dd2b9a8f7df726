//! Policy diff: each kind of change is classified material or ordinary, and the notice period is checked
//! against the new policy's announced and effective dates.
#![allow(clippy::unwrap_used)]

use vow_policy::{
    diff, Category, ChangeKind, Collection, DataClass, Date, LegalBasis, OverseasTransfer, Period,
    Policy, Processor, Purpose, Text, ThirdParty, STARTER_POLICY,
};

fn starter() -> Policy {
    vow_policy::parse(STARTER_POLICY.as_bytes(), "starter").unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn t(s: &str) -> Text {
    Text::ko(s)
}

/// The single change in `section`, asserting there is exactly one.
fn only_change(old: &Policy, new: &Policy, section: &str) -> vow_policy::Change {
    let d = diff(old, new);
    let changes: Vec<_> = d.changes.iter().filter(|c| c.section == section).collect();
    assert_eq!(changes.len(), 1, "{:#?}", d.changes);
    changes[0].clone()
}

#[test]
fn identical_policies_have_no_changes_and_need_no_notice() {
    let d = diff(&starter(), &starter());
    assert!(d.changes.is_empty());
    assert!(d.notice.ok);
    assert_eq!(d.notice.required_days, 0);
}

#[test]
fn a_newly_collected_category_is_material() {
    let old = starter();
    let mut new = starter();
    new.categories.push(Category {
        key: "user.contact.phone".into(),
        label: Text {
            ko: Some("휴대전화번호".into()),
            en: Some("Mobile number".into()),
        },
        class: DataClass::Ordinary,
        lookup: false,
        note: None,
        mask: None,
    });
    new.collections[0]
        .optional
        .push("user.contact.phone".into());
    let c = only_change(&old, &new, "category");
    assert_eq!(c.kind, ChangeKind::Added);
    assert!(c.material);
    // Labels, not keys: these words go into the notices members read. The key is the change's `key`.
    assert_eq!(c.en, "new item collected: Mobile number");
    assert_eq!(c.ko, "수집 항목 추가: 휴대전화번호");
    assert_eq!(c.key.as_deref(), Some("user.contact.phone"));
    // The collection that gained the item is listed too, as an ordinary change.
    let d = diff(&old, &new);
    assert!(d
        .changes
        .iter()
        .any(|c| c.section == "collection" && !c.material));
}

#[test]
fn a_category_no_longer_collected_is_ordinary() {
    let old = starter();
    let mut new = starter();
    new.collections.retain(|c| c.key != "usage");
    new.categories.retain(|c| c.key != "user.device.ip");
    new.retention.retain(|r| r.key != "access-records");
    let d = diff(&old, &new);
    assert!(!d.is_material(), "{:#?}", d.changes);
    assert!(d
        .changes
        .iter()
        .any(|c| c.section == "category" && c.kind == ChangeKind::Removed));
}

#[test]
fn a_new_purpose_is_material() {
    let old = starter();
    let mut new = starter();
    new.purposes.push(Purpose {
        key: "marketing".into(),
        label: t("마케팅"),
        details: vec![],
        basis: LegalBasis::Consent,
        separate_consent: true,
    });
    let c = only_change(&old, &new, "purpose");
    assert!(c.material);
    assert_eq!(c.kind, ChangeKind::Added);
}

#[test]
fn a_reworded_purpose_is_ordinary() {
    let old = starter();
    let mut new = starter();
    new.purposes[0].label = t("회원 관리");
    let c = only_change(&old, &new, "purpose");
    assert!(!c.material);
    assert_eq!(c.kind, ChangeKind::Changed);
}

#[test]
fn a_new_third_party_is_material() {
    let old = starter();
    let mut new = starter();
    new.third_parties.push(ThirdParty {
        key: "insurer".into(),
        name: t("보험사"),
        purpose: t("보험 상품 안내"),
        categories: vec!["user.contact.email".into()],
        retention: t("1년"),
        basis: LegalBasis::Consent,
        country: None,
    });
    assert!(only_change(&old, &new, "third_party").material);
}

#[test]
fn giving_an_existing_third_party_more_items_is_material() {
    let mut old = starter();
    old.third_parties.push(ThirdParty {
        key: "insurer".into(),
        name: t("보험사"),
        purpose: t("보험 상품 안내"),
        categories: vec!["user.contact.email".into()],
        retention: t("1년"),
        basis: LegalBasis::Consent,
        country: None,
    });
    let mut new = old.clone();
    new.third_parties[0]
        .categories
        .push("user.device.ip".into());
    assert!(only_change(&old, &new, "third_party").material);
}

fn processor(key: &str) -> Processor {
    Processor {
        key: key.into(),
        name: t(key),
        task: t("호스팅"),
        categories: vec!["user.contact.email".into()],
        retention: None,
        country: Some("US".into()),
        ai_provider: false,
        endpoint: None,
        api: None,
        subprocessing: None,
    }
}

#[test]
fn a_new_processor_is_material_and_a_removed_one_ordinary() {
    let old = starter();
    let mut new = starter();
    new.processors.push(processor("aws"));
    assert!(only_change(&old, &new, "processor").material);
    let c = only_change(&new, &old, "processor");
    assert!(!c.material);
    assert_eq!(c.kind, ChangeKind::Removed);
}

#[test]
fn a_new_overseas_transfer_is_material() {
    let mut old = starter();
    old.processors.push(processor("aws"));
    let mut new = old.clone();
    new.overseas_transfers.push(OverseasTransfer {
        recipient: "aws".into(),
        country: "US".into(),
        contact: None,
        categories: vec!["user.contact.email".into()],
        when_and_how: t("수시 전송"),
        purpose: t("호스팅"),
        retention: t("계약 종료 시"),
        ground: None,
        refusal: t("거부 불가"),
    });
    let c = only_change(&old, &new, "overseas_transfer");
    assert!(c.material);
    assert_eq!(c.en, "new overseas transfer: aws (United States)");
    assert_eq!(c.ko, "국외 이전 추가: aws (미국)");
}

#[test]
fn a_longer_retention_period_is_material_and_a_shorter_one_ordinary() {
    let old = starter();
    let mut new = starter();
    let rule = new
        .retention
        .iter_mut()
        .find(|r| r.key == "access-records")
        .unwrap();
    rule.period = Some(Period::Months(6));
    let c = only_change(&old, &new, "retention");
    assert!(c.material);
    assert_eq!(
        c.en,
        "retention lengthened: Access records — 3 months → 6 months"
    );
    let back = only_change(&new, &old, "retention");
    assert!(!back.material);
}

#[test]
fn retention_units_are_compared_by_their_length_not_their_number() {
    let mut old = starter();
    old.retention[1].period = Some(Period::Days(90));
    let mut new = old.clone();
    new.retention[1].period = Some(Period::Months(3));
    // 3 months can be 93 days: longer than 90 days.
    assert!(only_change(&old, &new, "retention").material);
    new.retention[1].period = Some(Period::Hours(24 * 90));
    assert!(!only_change(&old, &new, "retention").material);
}

#[test]
fn retention_becoming_indefinite_is_material() {
    let old = starter();
    let mut new = starter();
    new.retention.retain(|r| r.key != "access-records");
    let d = diff(&old, &new);
    let indefinite = d
        .changes
        .iter()
        .find(|c| c.en.contains("kept indefinitely"))
        .unwrap_or_else(|| panic!("{:#?}", d.changes));
    assert!(indefinite.material);
    assert_eq!(indefinite.key.as_deref(), Some("user.device.ip"));
}

#[test]
fn an_ordinary_change_needs_ordinary_notice() {
    let old = starter();
    let mut new = starter();
    new.officer.name = t("김철수");
    new.policy.announced = Some(date("2025-03-01"));
    new.policy.effective = date("2025-03-08");
    let d = diff(&old, &new);
    assert!(!d.is_material());
    assert_eq!(d.notice.required_days, 7);
    assert_eq!(d.notice.given_days, Some(7));
    assert!(d.notice.ok, "{}", d.notice.en);
}

#[test]
fn ordinary_notice_one_day_short_says_so() {
    let old = starter();
    let mut new = starter();
    new.officer.name = t("김철수");
    new.policy.announced = Some(date("2025-03-02"));
    new.policy.effective = date("2025-03-08");
    let d = diff(&old, &new);
    assert!(!d.notice.ok);
    assert_eq!(d.notice.short_by, Some(1));
    assert!(d.notice.en.contains("1 days short"), "{}", d.notice.en);
    assert!(
        d.notice.en.contains("announce by 2025-03-01"),
        "{}",
        d.notice.en
    );
    assert!(d.notice.ko.contains("1일 부족"), "{}", d.notice.ko);
}

#[test]
fn a_material_change_needs_material_notice_across_a_month_boundary() {
    let old = starter();
    let mut new = starter();
    new.processors.push(processor("aws"));
    // 2024 is a leap year: 2024-02-10 to 2024-03-11 is 30 days.
    new.policy.announced = Some(date("2024-02-10"));
    new.policy.effective = date("2024-03-11");
    let d = diff(&old, &new);
    assert!(d.notice.material);
    assert_eq!(d.notice.required_days, 30);
    assert_eq!(d.notice.given_days, Some(30));
    assert!(d.notice.ok);
    new.policy.effective = date("2024-03-01");
    let d = diff(&old, &new);
    assert_eq!(d.notice.given_days, Some(20));
    assert_eq!(d.notice.short_by, Some(10));
    assert!(!d.notice.ok);
}

#[test]
fn notice_periods_come_from_the_new_policys_changes_table() {
    let old = starter();
    let mut new = starter();
    new.processors.push(processor("aws"));
    new.changes.as_mut().unwrap().material_days = 14;
    new.policy.announced = Some(date("2025-01-01"));
    new.policy.effective = date("2025-01-15");
    let d = diff(&old, &new);
    assert_eq!(d.notice.required_days, 14);
    assert!(d.notice.ok);
}

#[test]
fn missing_changes_table_falls_back_to_seven_and_thirty_days() {
    let old = starter();
    let mut new = starter();
    new.changes = None;
    new.processors.push(processor("aws"));
    let d = diff(&old, &new);
    assert_eq!(d.notice.required_days, 30);
}

#[test]
fn missing_announced_date_fails_the_notice_and_says_so() {
    let old = starter();
    let mut new = starter();
    new.officer.name = t("김철수");
    new.policy.announced = None;
    let d = diff(&old, &new);
    assert!(!d.notice.ok);
    assert!(
        d.notice.en.contains("announced is missing"),
        "{}",
        d.notice.en
    );
    assert_eq!(d.notice.short_by, None);
}

#[test]
fn diff_json_carries_both_languages_and_the_classification() {
    let old = starter();
    let mut new = starter();
    new.processors.push(processor("aws"));
    let json: serde_json::Value = serde_json::from_str(&diff(&old, &new).to_json()).unwrap();
    let change = &json["changes"][0];
    assert_eq!(change["section"], "processor");
    assert_eq!(change["kind"], "added");
    assert_eq!(change["material"], true);
    assert!(change["ko"].as_str().unwrap().starts_with("처리위탁 추가"));
    assert!(change["en"].as_str().unwrap().starts_with("new processor"));
    assert_eq!(json["notice"]["required_days"], 30);
}

#[test]
fn changes_are_grouped_by_section_in_order_of_appearance() {
    let old = starter();
    let mut new = starter();
    new.processors.push(processor("aws"));
    new.processors.push(processor("gcp"));
    new.collections.push(Collection {
        key: "support".into(),
        label: t("문의 시"),
        subjects: vec![],
        method: None,
        automatic: false,
        required: vec!["user.contact.email".into()],
        optional: vec![],
        purposes: vec!["service".into()],
    });
    let d = diff(&old, &new);
    let groups = d.by_section();
    let sections: Vec<&str> = groups.iter().map(|(s, _)| *s).collect();
    assert_eq!(sections, ["collection", "processor"]);
    assert_eq!(groups[1].1.len(), 2);
}

#[test]
fn a_changed_collection_names_the_items_and_purposes_added_and_removed() {
    let old = starter();
    let mut new = starter();
    let signup = &mut new.collections[0];
    signup.required.retain(|k| k != "user.contact.email");
    signup.optional.push("user.contact.email".into());
    signup.purposes.clear();
    let c = only_change(&old, &new, "collection");
    assert_eq!(
        c.en,
        "collection changed: At sign-up — required items removed: E-mail address; \
         optional items added: E-mail address; purposes removed: Membership and service provision"
    );
    assert_eq!(
        c.ko,
        "수집 시점 변경: 회원가입 시 — 필수항목 삭제: 이메일 주소; 선택항목 추가: 이메일 주소; \
         이용 목적 삭제: 회원 관리 및 서비스 제공"
    );
}

#[test]
fn a_changed_deadline_for_rights_says_from_what_to_what() {
    let old = starter();
    let mut new = starter();
    new.rights.as_mut().unwrap().deadline_days = 7;
    let c = only_change(&old, &new, "rights");
    assert_eq!(
        c.en,
        "your rights changed — answered within: 10 days → 7 days"
    );
}
