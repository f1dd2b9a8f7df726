//! Waivers: a policy may waive a lint rule by id with a written reason; the check still shows the finding.
#![allow(clippy::unwrap_used)]

use vow_policy::{check, CheckStatus, STARTER_POLICY};

/// The starter without its [department] table, so the `department` rule fires.
fn without_department() -> String {
    let start = STARTER_POLICY.find("[department]").unwrap();
    let end = start + STARTER_POLICY[start..].find("\n\n").unwrap();
    format!("{}{}", &STARTER_POLICY[..start], &STARTER_POLICY[end..])
}

#[test]
fn unwaived_finding_makes_the_check_exit_one() {
    let outcome = check(without_department().as_bytes(), "p.toml");
    assert_eq!(outcome.status(), CheckStatus::Findings);
    assert_eq!(outcome.exit_code(), 1);
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.findings[0].finding.rule, "department");
}

#[test]
fn waived_finding_is_shown_with_its_reason_and_the_check_exits_zero() {
    let text = format!(
        "{}\n[[waiver]]\nrule = \"department\"\nreason = \"The officer receives requests directly.\"\n",
        without_department()
    );
    let outcome = check(text.as_bytes(), "p.toml");
    assert_eq!(
        outcome.status(),
        CheckStatus::Clean,
        "{}",
        outcome.to_text()
    );
    assert_eq!(outcome.exit_code(), 0);
    let f = &outcome.findings[0];
    assert_eq!(
        f.finding.waived.as_deref(),
        Some("The officer receives requests directly.")
    );
    let text_report = outcome.to_text();
    assert!(text_report.contains("waived[department]"), "{text_report}");
    assert!(
        text_report.contains("reason: The officer receives requests directly."),
        "{text_report}"
    );
    assert_eq!(outcome.summary.waived, 1);
    assert_eq!(outcome.summary.findings, 0);
}

#[test]
fn waiver_with_an_empty_reason_is_an_error() {
    let text = format!(
        "{}\n[[waiver]]\nrule = \"department\"\nreason = \"  \"\n",
        without_department()
    );
    let outcome = check(text.as_bytes(), "p.toml");
    assert_eq!(outcome.status(), CheckStatus::Invalid);
    assert_eq!(outcome.errors[0].message, "a waiver needs a reason");
    // An empty reason waives nothing.
    assert!(outcome.findings[0].finding.waived.is_none());
}

#[test]
fn waiver_of_an_unknown_rule_is_an_error_with_a_suggestion() {
    let text = format!("{STARTER_POLICY}\n[[waiver]]\nrule = \"departmnet\"\nreason = \"x\"\n");
    let outcome = check(text.as_bytes(), "p.toml");
    assert_eq!(outcome.status(), CheckStatus::Invalid);
    let e = &outcome.errors[0];
    assert_eq!(e.message, "`departmnet` is not a lint rule");
    assert_eq!(e.help.as_deref(), Some("did you mean `department`?"));
    let line = text.lines().position(|l| l.contains("departmnet")).unwrap() + 1;
    assert_eq!(e.location.unwrap().line, line);
}

#[test]
fn waiving_one_rule_leaves_the_others_in_force() {
    let text = format!(
        "{}\n[[waiver]]\nrule = \"department\"\nreason = \"no department\"\n",
        without_department().replace("deadline_days = 10", "deadline_days = 14")
    );
    let outcome = check(text.as_bytes(), "p.toml");
    assert_eq!(outcome.status(), CheckStatus::Findings);
    let unwaived: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.finding.waived.is_none())
        .map(|f| f.finding.rule)
        .collect();
    assert_eq!(unwaived, ["rights-deadline"]);
}

#[test]
fn json_report_has_the_stable_field_names() {
    let text = format!(
        "{}\n[[waiver]]\nrule = \"department\"\nreason = \"no department\"\n",
        without_department()
    );
    let outcome = check(text.as_bytes(), "p.toml");
    let json: serde_json::Value = serde_json::from_str(&outcome.to_json()).unwrap();
    assert_eq!(json["file"], "p.toml");
    assert_eq!(json["errors"], serde_json::json!([]));
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "department");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["waived"], "no department");
    assert!(finding["message"].as_str().unwrap().contains("department"));
    assert!(finding["reference"].as_str().unwrap().contains("작성지침"));
    assert_eq!(json["summary"]["waived"], 1);
    assert_eq!(json["summary"]["status"], "clean");
}
