//! The starter policy that `vow init` writes must check clean: a new user's first run shows no errors.
#![allow(clippy::unwrap_used)]

use vow_policy::{check, CheckStatus, STARTER_POLICY};

#[test]
fn starter_policy_checks_clean_without_waivers() {
    let outcome = check(STARTER_POLICY.as_bytes(), "vow-policy.toml");
    assert_eq!(
        outcome.status(),
        CheckStatus::Clean,
        "{}",
        outcome.to_text()
    );
    assert!(outcome.findings.is_empty(), "{}", outcome.to_text());
}

#[test]
fn starter_policy_collects_every_category_it_declares() {
    let policy = vow_policy::parse(STARTER_POLICY.as_bytes(), "starter").unwrap();
    let collected = vow_policy::validate::collected_categories(&policy);
    for category in &policy.categories {
        assert!(
            collected.contains(category.key.as_str()),
            "{}",
            category.key
        );
    }
}
