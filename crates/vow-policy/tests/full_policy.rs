//! A policy that uses every section (AI uploads, payments, advertising, sensitive data, overseas processors,
//! EU users) lints clean: every rule has a realistic satisfied case, not only the starter's small one.
#![allow(clippy::unwrap_used)]

use vow_policy::{check, diff, CheckStatus, Jurisdiction};

const FULL: &str = include_str!("fixtures/full.toml");

#[test]
fn policy_using_every_section_checks_clean_including_gdpr() {
    let outcome = check(FULL.as_bytes(), "full.toml");
    assert_eq!(
        outcome.status(),
        CheckStatus::Clean,
        "{}",
        outcome.to_text()
    );
    assert!(outcome.findings.is_empty(), "{}", outcome.to_text());
    let policy = outcome.policy.unwrap();
    assert!(policy.policy.jurisdictions.contains(&Jurisdiction::Eu));
    assert!(policy.ai.is_some() && policy.advertising.is_some() && policy.sensitive.is_some());
}

#[test]
fn removing_the_overseas_transfer_of_a_foreign_processor_is_caught() {
    let start = FULL.find("[[overseas_transfer]]").unwrap();
    let end = start + FULL[start..].find("\n\n").unwrap();
    let text = format!("{}{}", &FULL[..start], &FULL[end..]);
    let outcome = check(text.as_bytes(), "full.toml");
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.finding.rule).collect();
    assert_eq!(rules, ["overseas-transfer"]);
}

#[test]
fn moving_from_the_starter_to_the_full_policy_is_material() {
    let starter = vow_policy::parse(vow_policy::STARTER_POLICY.as_bytes(), "starter").unwrap();
    let full = vow_policy::parse(FULL.as_bytes(), "full").unwrap();
    let d = diff(&starter, &full);
    for section in [
        "category",
        "purpose",
        "processor",
        "third_party",
        "overseas_transfer",
    ] {
        assert!(
            d.changes.iter().any(|c| c.section == section && c.material),
            "no material change in {section}: {:#?}",
            d.changes
        );
    }
    // announced 2025-02-01, effective 2025-03-03: exactly the 30 days a material change needs.
    assert_eq!(d.notice.given_days, Some(30));
    assert!(d.notice.ok, "{}", d.notice.en);
}
