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
    let collected = vow_policy::collected_categories(&policy);
    for category in &policy.categories {
        assert!(
            collected.contains(category.key.as_str()),
            "{}",
            category.key
        );
    }
}

#[test]
fn every_starter_vow_init_writes_checks_clean_without_waivers() {
    let variants = vow_policy::starter_variants();
    assert_eq!(variants.len(), 4);
    for (name, text) in variants {
        let outcome = check(text.as_bytes(), "vow-policy.toml");
        assert_eq!(
            outcome.status(),
            CheckStatus::Clean,
            "{name}:\n{}",
            outcome.to_text()
        );
        assert!(
            outcome.findings.is_empty(),
            "{name}:\n{}",
            outcome.to_text()
        );
        let policy = outcome.policy.unwrap();
        assert!(policy.waivers.is_empty(), "{name}");
        // Everything it declares it collects.
        let collected = vow_policy::collected_categories(&policy);
        for category in &policy.categories {
            assert!(
                collected.contains(category.key.as_str()),
                "{name}: {}",
                category.key
            );
        }
    }
}

#[test]
fn every_starter_has_the_roles_a_small_service_needs() {
    for (name, text) in vow_policy::starter_variants() {
        let policy = vow_policy::parse(text.as_bytes(), &name).unwrap();
        let role = |pred: fn(&vow_policy::Role) -> bool| policy.roles.iter().any(pred);
        assert!(
            role(|r| r.requests),
            "{name}: no role answers rights requests"
        );
        assert!(
            role(|r| r.separated),
            "{name}: no role reads separated storage"
        );
        assert!(role(|r| r.consents), "{name}: no role records consents");
        assert!(
            role(|r| r.erase && r.export),
            "{name}: no role erases and exports"
        );
        assert!(role(|r| r.admin), "{name}: no role administers keys");
    }
}

#[test]
fn the_ai_starter_declares_its_provider_its_transfer_abroad_and_who_may_send_to_it() {
    let text = vow_policy::starter(vow_policy::StarterOptions {
        ai: true,
        eu: false,
    });
    let policy = vow_policy::parse(text.as_bytes(), "ai").unwrap();
    let provider = policy.processors.iter().find(|p| p.ai_provider).unwrap();
    assert_eq!(provider.country.as_deref(), Some("US"));
    assert!(provider.endpoint.is_some() && !provider.categories.is_empty());
    assert!(policy
        .overseas_transfers
        .iter()
        .any(|t| t.recipient == provider.key));
    assert!(policy
        .roles
        .iter()
        .any(|r| r.send_to.contains(&provider.key)));
    assert!(policy.ai.is_some());
}

#[test]
fn the_eu_starter_names_its_representative_and_a_basis_for_every_purpose() {
    let text = vow_policy::starter(vow_policy::StarterOptions {
        ai: false,
        eu: true,
    });
    let policy = vow_policy::parse(text.as_bytes(), "eu").unwrap();
    assert!(policy
        .policy
        .jurisdictions
        .contains(&vow_policy::Jurisdiction::Eu));
    assert!(policy.controller.eu_representative.is_some());
    assert!(policy
        .purposes
        .iter()
        .any(|p| p.basis == vow_policy::LegalBasis::LegitimateInterest && !p.details.is_empty()));
    assert!(policy.remedies.unwrap().others.len() == 1);
}

#[test]
fn each_place_a_variant_edits_is_one_line_of_the_plain_starter() {
    for anchor in vow_policy::starter::anchors() {
        assert_eq!(STARTER_POLICY.matches(anchor).count(), 1, "{anchor:?}");
    }
    // And the plain starter is what `vow init` without options writes.
    assert_eq!(
        vow_policy::starter(vow_policy::StarterOptions::default()),
        STARTER_POLICY
    );
}
