//! Semantic validation: the policy file is the only source of truth, so every reference must resolve.
//! Errors name the entry and point at the offending value.
#![allow(clippy::unwrap_used)]

use vow_policy::{check, CheckStatus, Diagnostic, Location, STARTER_POLICY};

fn starter_with(from: &str, to: &str) -> String {
    assert_eq!(
        STARTER_POLICY.matches(from).count(),
        1,
        "`{from}` must occur once"
    );
    STARTER_POLICY.replacen(from, to, 1)
}

fn starter_plus(extra: &str) -> String {
    format!("{STARTER_POLICY}\n{extra}")
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn errors(text: &str) -> Vec<Diagnostic> {
    let outcome = check(text.as_bytes(), "p.toml");
    assert_eq!(
        outcome.status(),
        CheckStatus::Invalid,
        "{}",
        outcome.to_text()
    );
    outcome.errors
}

fn only_error(text: &str) -> Diagnostic {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn undeclared_category_in_retention_names_the_rule_and_the_declared_categories() {
    let text = starter_with(
        "categories = [\"user.device.ip\"]",
        "categories = [\"user.device.ip\", \"user.x\"]",
    );
    let e = only_error(&text);
    assert_eq!(
        e.section.as_deref(),
        Some("[[retention]] key = \"access-records\"")
    );
    assert_eq!(e.message, "category `user.x` is not declared");
    let help = e.help.unwrap();
    assert!(help.contains("`user.contact.email`"), "{help}");
    let line = line_of(&text, "\"user.x\"");
    assert_eq!(e.location, Some(Location { line, column: 33 }));
}

#[test]
fn misspelt_category_in_a_collection_suggests_the_declared_one() {
    let text = starter_with(
        "required = [\"user.device.ip\"]",
        "required = [\"user.device.pi\"]",
    );
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.section.as_deref() == Some("[[collection]] key = \"usage\""))
        .unwrap();
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `user.device.ip`?"),
        "{e:?}"
    );
    assert_eq!(e.location.unwrap().line, line_of(&text, "user.device.pi"));
}

#[test]
fn undeclared_purpose_and_subject_are_refused() {
    let text = starter_with(
        "purposes = [\"service\"]\n\n[[collection]]\nkey = \"usage\"",
        "purposes = [\"servce\"]\nsubjects = [\"guest\"]\n\n[[collection]]\nkey = \"usage\"",
    );
    let errs = errors(&text);
    let messages: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages.contains(&"purpose `servce` is not declared"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"subject `guest` is not declared"),
        "{messages:?}"
    );
    let purpose = errs
        .iter()
        .find(|e| e.message.starts_with("purpose"))
        .unwrap();
    assert_eq!(purpose.help.as_deref(), Some("did you mean `service`?"));
}

#[test]
fn duplicate_category_key_points_at_the_second_entry() {
    let text = starter_plus("[[category]]\nkey = \"user.contact.email\"\nlabel = \"again\"\n");
    let e = only_error(&text);
    assert!(e.message.starts_with("duplicate key"), "{e:?}");
    assert_eq!(e.location.unwrap().line, text.lines().count() - 1);
}

#[test]
fn category_key_must_be_a_lowercase_dot_path() {
    for bad in ["User.Email", "user..email", "user.e-mail", ".user", "user."] {
        let text = starter_with("key = \"user.contact.email\"", &format!("key = \"{bad}\""));
        let errs = errors(&text);
        assert!(
            errs.iter()
                .any(|e| e.message.contains("is not a category key")),
            "{bad}: {errs:#?}"
        );
    }
    assert!(vow_policy::validate::is_category_key(
        "user.contact.email_2"
    ));
}

#[test]
fn retention_rule_for_a_category_never_collected_is_an_error() {
    let text = starter_plus(
        "[[category]]\nkey = \"user.profile.photo\"\nlabel = \"사진\"\n\n\
         [[retention]]\nkey = \"photos\"\nlabel = \"사진\"\ncategories = [\"user.profile.photo\"]\n\
         from = \"account_closure\"\nbasis = \"consent\"\n",
    );
    let e = only_error(&text);
    assert_eq!(
        e.message,
        "category `user.profile.photo` has a retention rule but is never collected"
    );
    assert_eq!(e.section.as_deref(), Some("[[retention]] key = \"photos\""));
}

#[test]
fn processor_with_an_empty_task_is_an_error() {
    let text = starter_plus(
        "[[processor]]\nkey = \"aws\"\nname = \"AWS\"\ntask = \"\"\ncategories = [\"user.contact.email\"]\n",
    );
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.message.contains("task is empty"))
        .unwrap();
    assert_eq!(e.location.unwrap().line, line_of(&text, "task = \"\""));
}

#[test]
fn overseas_transfer_to_an_unknown_recipient_is_an_error() {
    let text = starter_plus(
        "[[overseas_transfer]]\nrecipient = \"openai\"\ncountry = \"US\"\ncontact = \"privacy@openai.com\"\n\
         categories = [\"user.contact.email\"]\nwhen_and_how = \"API\"\npurpose = \"AI\"\n\
         retention = \"30일\"\nrefusal = \"서비스 이용 불가\"\n",
    );
    let e = only_error(&text);
    assert_eq!(e.message, "recipient `openai` is not declared");
    assert_eq!(
        e.location.unwrap().line,
        line_of(&text, "recipient = \"openai\"")
    );
}

#[test]
fn role_pattern_matching_no_category_is_an_error() {
    let text = starter_with(
        "read = [\"user.contact.*\"]",
        "read = [\"user.billing.*\", \"user.device.ip\"]",
    );
    let e = only_error(&text);
    assert_eq!(
        e.message,
        "pattern `user.billing.*` matches no declared category"
    );
    assert!(vow_policy::validate::pattern_matches(
        "user.*",
        "user.contact.email"
    ));
    assert!(!vow_policy::validate::pattern_matches(
        "user.contact.*",
        "user.contactx.email"
    ));
}

#[test]
fn a_lookup_grant_must_name_a_category_that_keeps_a_blind_index() {
    let text = starter_with(
        "read = [\"user.contact.*\"]",
        "read = [\"user.contact.*\"]\nlookup = [\"user.contact.email\", \"user.account.password\"]",
    );
    let e = only_error(&text);
    assert_eq!(
        e.message,
        "category `user.account.password` cannot be looked up"
    );
    assert_eq!(e.location.unwrap().line, line_of(&text, "lookup = [\""));
}

#[test]
fn ai_promises_must_name_declared_categories() {
    let text =
        starter_plus("[ai.uploads]\ncategory = \"user.content.upload\"\ndelete_after = \"24h\"\n");
    let errs = errors(&text);
    assert!(
        errs.iter().any(
            |e| e.message == "category `user.content.upload` is not declared"
                && e.section.as_deref() == Some("[ai.uploads]")
        ),
        "{errs:#?}"
    );
}

#[test]
fn unsupported_format_version_is_an_error() {
    let text = starter_with("format = 1 ", "format = 2 ");
    let e = only_error(&text);
    assert!(e.message.contains("format 2 is not supported"), "{e:?}");
}

#[test]
fn semantic_errors_render_with_the_offending_line_and_a_caret() {
    let text = starter_with(
        "required = [\"user.device.ip\"]",
        "required = [\"user.device.ipx\"]",
    );
    let outcome = check(text.as_bytes(), "shop.toml");
    let rendered = outcome.to_text();
    let line = line_of(&text, "user.device.ipx");
    assert!(
        rendered.contains(&format!("--> shop.toml:{line}:13")),
        "{rendered}"
    );
    assert!(
        rendered.contains("required = [\"user.device.ipx\"]"),
        "{rendered}"
    );
    assert!(rendered.contains("^^^^^^^^^^^^^^^^^"), "{rendered}");
}

#[test]
fn a_role_may_send_only_to_declared_ai_providers() {
    let text = starter_with(
        "label = { ko = \"고객지원\", en = \"Support\" }",
        "label = { ko = \"고객지원\", en = \"Support\" }\nsend_to = [\"openai\"]",
    );
    let e = only_error(&text);
    assert_eq!(
        e.message,
        "`send_to` names `openai`, which is not a declared processor"
    );
    assert!(e.help.unwrap().contains("(none declared)"));

    let text = starter_plus(
        "[[processor]]\nkey = \"openai\"\nname = \"OpenAI\"\ntask = \"AI\"\ncategories = [\"user.contact.email\"]\n",
    )
    .replacen(
        "label = { ko = \"고객지원\", en = \"Support\" }",
        "label = { ko = \"고객지원\", en = \"Support\" }\nsend_to = [\"openai\"]",
        1,
    );
    let e = only_error(&text);
    assert_eq!(
        e.message,
        "`send_to` names `openai`, which is not an AI provider"
    );
    let fixed = text.replace("task = \"AI\"\n", "task = \"AI\"\nai_provider = true\n");
    let outcome = check(fixed.as_bytes(), "p.toml");
    assert!(outcome.errors.is_empty(), "{}", outcome.to_text());
}
