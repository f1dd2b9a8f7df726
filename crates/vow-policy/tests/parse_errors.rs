//! Bad input gets a clear error at the exact line and column, never a panic.
#![allow(clippy::unwrap_used)]

use vow_policy::{parse, CheckStatus, LoadError, Location, STARTER_POLICY};

/// The starter with `from` replaced by `to` (exactly once).
fn starter_with(from: &str, to: &str) -> String {
    assert_eq!(
        STARTER_POLICY.matches(from).count(),
        1,
        "`{from}` must occur once"
    );
    STARTER_POLICY.replacen(from, to, 1)
}

/// Line (1-based) of the first line containing `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn invalid(text: &str) -> (Location, String, Option<String>, String) {
    match parse(text.as_bytes(), "p.toml") {
        Err(err @ LoadError::Invalid { .. }) => {
            let rendered = err.to_string();
            let d = err.to_diagnostic();
            (d.location.unwrap(), d.message, d.help, rendered)
        }
        other => panic!("expected an invalid-file error, got {other:?}"),
    }
}

#[test]
fn unknown_field_points_at_the_key_and_suggests_the_right_name() {
    let text = starter_with("title = \"CPO\"", "titel = \"CPO\"");
    let (loc, message, help, rendered) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "titel"),
            column: 1
        }
    );
    assert!(message.starts_with("unknown field `titel`"), "{message}");
    assert_eq!(help.as_deref(), Some("did you mean `title`?"));
    assert!(
        rendered.contains(&format!("--> p.toml:{}:1", loc.line)),
        "{rendered}"
    );
    assert!(rendered.contains("titel = \"CPO\"\n"), "{rendered}");
    assert!(rendered.contains("^^^^^"), "{rendered}");
}

#[test]
fn misspelt_section_name_suggests_the_section() {
    let text = starter_with("[destruction]", "[destuction]");
    let (loc, _, help, _) = invalid(&text);
    assert_eq!(loc.line, line_of(&text, "[destuction]"));
    assert_eq!(help.as_deref(), Some("did you mean `destruction`?"));
}

#[test]
fn misspelt_enum_value_suggests_the_variant() {
    let text = starter_with("basis = \"contract\"", "basis = \"contrct\"");
    let (loc, message, help, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "contrct"),
            column: 9
        }
    );
    assert!(message.contains("unknown variant `contrct`"), "{message}");
    assert_eq!(help.as_deref(), Some("did you mean `contract`?"));
}

#[test]
fn wrong_type_points_at_the_value() {
    let text = starter_with("deadline_days = 10", "deadline_days = \"ten\"");
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "deadline_days"),
            column: 17
        }
    );
    assert!(
        message.contains("invalid type: string \"ten\""),
        "{message}"
    );
}

#[test]
fn duplicate_key_points_at_the_second_occurrence() {
    let text = starter_with("version = \"v1\"", "version = \"v1\"\nversion = \"v2\"");
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "version = \"v2\""),
            column: 1
        }
    );
    assert!(message.starts_with("duplicate key"), "{message}");
}

#[test]
fn impossible_date_literal_points_at_the_value() {
    let text = starter_with("effective = 2025-01-08", "effective = 2025-02-30");
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "effective = 2025-02-30"),
            column: 13
        }
    );
    assert!(message.contains("day"), "{message}");
}

#[test]
fn impossible_date_string_points_at_the_value_and_names_the_month() {
    let text = starter_with("effective = 2025-01-08", "effective = \"2025-02-30\"");
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "effective = \"2025"),
            column: 13
        }
    );
    assert_eq!(message, "`2025-02-30`: February 2025 has no day 30");
}

#[test]
fn period_without_unit_is_explained() {
    let text = starter_with("period = \"3mo\"", "period = \"3\"");
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(
        loc,
        Location {
            line: line_of(&text, "period = \"3\""),
            column: 10
        }
    );
    assert!(message.contains("has no unit"), "{message}");
}

#[test]
fn syntax_error_column_counts_characters_not_bytes() {
    // The Korean text before the error is 3 bytes per character; the column counts it as 3 columns, not 9.
    let text = "[policy]\nservice = \"가나다\" x\n";
    let (loc, _, _, rendered) = invalid(text);
    assert_eq!(
        loc,
        Location {
            line: 2,
            column: 17
        }
    );
    assert!(rendered.contains("service = \"가나다\" x"), "{rendered}");
}

#[test]
fn empty_file_names_the_missing_policy_table() {
    for text in ["", "   \n\n", "# only a comment\n"] {
        let err = parse(text.as_bytes(), "empty.toml").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`[policy]`"), "{text:?}: {message}");
        assert!(message.contains("vow init"), "{message}");
    }
}

#[test]
fn missing_required_field_is_named() {
    let text = starter_with("version = \"v1\"\n", "");
    let (_, message, help, _) = invalid(&text);
    assert_eq!(message, "missing field `version`");
    assert!(help.unwrap().contains("version"));
}

#[test]
fn invalid_utf8_reports_byte_offset_line_and_column() {
    let mut bytes = b"[policy]\nservice = \"ab".to_vec();
    bytes.push(0xff);
    bytes.extend_from_slice(b"\"\n");
    match parse(&bytes, "latin1.toml") {
        Err(LoadError::NotUtf8 {
            offset,
            line,
            column,
            ..
        }) => {
            assert_eq!((offset, line, column), (22, 2, 14));
        }
        other => panic!("expected NotUtf8, got {other:?}"),
    }
    let message = parse(&bytes, "latin1.toml").unwrap_err().to_string();
    assert!(
        message.starts_with("latin1.toml:2:14: the file is not UTF-8"),
        "{message}"
    );
}

#[test]
fn fifty_megabyte_file_is_refused_without_parsing() {
    let huge = vec![b'#'; 50_000_000];
    let err = parse(&huge, "huge.toml").unwrap_err();
    assert!(matches!(
        err,
        LoadError::TooLarge {
            bytes: 50_000_000,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "huge.toml: policy file is 50.0 MB; the limit is 5.0 MB"
    );
}

#[test]
fn fifty_megabyte_file_on_disk_is_refused_before_it_is_read() {
    let dir = std::env::temp_dir().join(format!("vow-policy-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.toml");
    let file = std::fs::File::create(&path).unwrap();
    // A sparse file: 50 MB long without writing 50 MB.
    file.set_len(50_000_000).unwrap();
    let err = vow_policy::load(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.to_string()
            .ends_with("policy file is 50.0 MB; the limit is 5.0 MB"),
        "{err}"
    );
}

#[test]
fn ten_thousand_nested_arrays_are_an_error_not_a_stack_overflow() {
    let text = format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (loc, message, _, rendered) = invalid(&text);
    assert_eq!(loc.line, 1);
    assert!(message.contains("recursion"), "{message}");
    // The excerpt of a 20,000-character line is cut to a readable width.
    assert!(
        rendered.lines().all(|l| l.chars().count() < 200),
        "{rendered}"
    );
}

#[test]
fn ten_thousand_nested_inline_tables_are_an_error_not_a_stack_overflow() {
    let text = format!("x = {}1{}\n", "{a=".repeat(10_000), "}".repeat(10_000));
    let (_, message, _, _) = invalid(&text);
    assert!(message.contains("recursion"), "{message}");
}

#[test]
fn ten_thousand_dotted_key_segments_are_an_error() {
    let text = format!("{} = 1\n", vec!["a"; 10_000].join("."));
    let outcome = vow_policy::check(text.as_bytes(), "dots.toml");
    assert_eq!(outcome.status(), CheckStatus::Invalid);
}

#[test]
fn a_date_with_a_time_of_day_is_refused() {
    let text = starter_with("effective = 2025-01-08", "effective = 2025-01-08T09:00:00");
    let (_, message, _, _) = invalid(&text);
    assert!(message.contains("has a time of day"), "{message}");
}

#[test]
fn a_section_with_more_entries_than_the_limit_is_refused_at_its_first_entry() {
    let mut text = STARTER_POLICY.to_string();
    // The starter already has one subject.
    for i in 0..vow_policy::load::MAX_LIST_ENTRIES {
        text.push_str(&format!("\n[[subject]]\nkey = \"s{i}\"\nlabel = \"s\"\n"));
    }
    let (loc, message, _, _) = invalid(&text);
    assert_eq!(message, "`subject` has 2001 entries; the limit is 2000");
    assert_eq!(loc.line, line_of(&text, "[[subject]]"));
}

#[test]
fn thousands_of_bad_references_are_counted_not_all_listed() {
    let mut text = STARTER_POLICY.to_string();
    for i in 0..1_000 {
        text.push_str(&format!(
            "\n[[collection]]\nkey = \"c{i}\"\nlabel = \"x\"\nrequired = [\"user.nope{i}\"]\npurposes = [\"service\"]\n"
        ));
    }
    let outcome = vow_policy::check(text.as_bytes(), "many.toml");
    assert_eq!(outcome.status(), CheckStatus::Invalid);
    assert_eq!(outcome.errors.len(), 201);
    assert_eq!(
        outcome.errors[200].message,
        "800 more errors are not shown; fix these first"
    );
    assert!(outcome.errors[..200].iter().all(|e| e.location.is_some()));
}

#[test]
fn every_missing_field_of_a_new_policy_is_named_in_one_run() {
    let text = "[policy]\nformat = 1\nservice = \"챗봇\"\n\n[controller]\nemail = \"a@b.c\"\n\n\
                [officer]\ntitle = \"CPO\"\n\n[[overseas_transfer]]\nrecipient = \"openai\"\n";
    let outcome = vow_policy::check(text.as_bytes(), "new.toml");
    assert_eq!(outcome.status(), CheckStatus::Invalid);
    let named: Vec<(Option<&str>, &str, usize)> = outcome
        .errors
        .iter()
        .map(|d| {
            (
                d.section.as_deref(),
                d.message.as_str(),
                d.location.unwrap().line,
            )
        })
        .collect();
    let transfer = Some("[[overseas_transfer]] recipient = \"openai\"");
    let mut expected = vec![
        (Some("[policy]"), "missing field `version`".to_string(), 1),
        (Some("[policy]"), "missing field `effective`".to_string(), 1),
        (Some("[controller]"), "missing field `name`".to_string(), 5),
        (Some("[officer]"), "missing field `name`".to_string(), 8),
    ];
    for field in [
        "country",
        "categories",
        "when_and_how",
        "purpose",
        "retention",
        "refusal",
    ] {
        expected.push((transfer, format!("missing field `{field}`"), 11));
    }
    let expected: Vec<(Option<&str>, &str, usize)> = expected
        .iter()
        .map(|(s, m, l)| (*s, m.as_str(), *l))
        .collect();
    assert_eq!(named, expected, "{}", outcome.to_text());
    // Each says what to write.
    assert!(outcome.errors.iter().all(|d| d.help.is_some()));
    let report = outcome.to_text();
    assert!(
        report.contains("new.toml: invalid: 10 error(s)"),
        "{report}"
    );
}

#[test]
fn unknown_fields_wrong_types_and_missing_fields_are_reported_together_in_file_order() {
    let text = starter_with("title = \"CPO\"", "titel = \"CPO\"")
        .replacen("deadline_days = 10", "deadline_days = \"ten\"", 1)
        .replacen("basis = \"contract\"", "basis = \"contrct\"", 1)
        .replacen("version = \"v1\"\n", "", 1);
    let err = parse(text.as_bytes(), "p.toml").unwrap_err();
    let all = err.to_diagnostics();
    let messages: Vec<&str> = all.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert_eq!(messages[0], "missing field `version`");
    assert!(
        messages[1].starts_with("unknown field `titel`"),
        "{messages:?}"
    );
    assert!(
        messages[2].starts_with("unknown variant `contrct`"),
        "{messages:?}"
    );
    assert!(
        messages[3].contains("invalid type: string \"ten\""),
        "{messages:?}"
    );
    let lines: Vec<usize> = all.iter().map(|d| d.location.unwrap().line).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    assert_eq!(all[2].help.as_deref(), Some("did you mean `contract`?"));
    // The error message a person reads lists all four.
    let rendered = err.to_string();
    for m in &messages {
        assert!(rendered.contains(m), "{rendered}");
    }
}
