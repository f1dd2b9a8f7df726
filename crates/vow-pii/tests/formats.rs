//! The format readers: what is not personal data stays byte for byte, and bad input gets a clear error.
#![allow(clippy::unwrap_used)]

use vow_pii::formats::Format;
use vow_pii::{process, Entity, FormatError, Job, Limits, Operator, Outcome, Redactor, Scanner};

fn run_with(
    format: Format,
    input: &[u8],
    limits: Limits,
    threads: usize,
) -> Result<(Vec<u8>, Outcome), FormatError> {
    let scanner = Scanner::new();
    let redactor = Redactor::new(Operator::Replace);
    let job = Job {
        scanner: &scanner,
        redactor: Some(&redactor),
        collect: true,
        threads,
        limits,
    };
    let mut out = Vec::new();
    let outcome = process(format, &job, input, Some(&mut out), &|_| {})?;
    Ok((out, outcome))
}

fn run(format: Format, input: &[u8]) -> Result<(Vec<u8>, Outcome), FormatError> {
    run_with(format, input, Limits::default(), 2)
}

fn text(out: &[u8]) -> &str {
    std::str::from_utf8(out).unwrap()
}

#[test]
fn text_keeps_everything_else_byte_for_byte() {
    let input = "# 상담 기록\r\n\r\n고객: 010-1234-5678로 연락 주세요.\t(급함)\n끝";
    let (out, o) = run(Format::Text, input.as_bytes()).unwrap();
    assert_eq!(
        text(&out),
        "# 상담 기록\r\n\r\n고객: <KR_PHONE>로 연락 주세요.\t(급함)\n끝"
    );
    assert_eq!(o.report.counts[&Entity::KrPhone], 1);
}

#[test]
fn invalid_utf8_passes_through_faithfully() {
    let mut input = b"\xff\xfe broken \xc3 then 010-1234-5678 \x80\n".to_vec();
    input.extend_from_slice(b"\x00\x01 binary-ish kim@example.com\n");
    let (out, _) = run(Format::Text, &input).unwrap();
    let mut want = b"\xff\xfe broken \xc3 then <KR_PHONE> \x80\n".to_vec();
    want.extend_from_slice(b"\x00\x01 binary-ish <EMAIL>\n");
    assert_eq!(out, want);
}

#[test]
fn findings_carry_byte_offsets_and_lines_in_the_file() {
    let input = "첫 줄\n둘째 줄 kim@example.com\n";
    let (_, o) = run(Format::Text, input.as_bytes()).unwrap();
    let f = &o.findings[0];
    assert_eq!(&input[f.start as usize..f.end as usize], "kim@example.com");
    assert_eq!(f.line, 2);
    assert_eq!(f.masked, "k**@example.com");
}

#[test]
fn small_chunks_on_many_threads_give_the_same_output_as_one_chunk() {
    let mut input = String::new();
    for i in 0..2000 {
        input.push_str(&format!(
            "line {i}: 010-{:04}-5678 and kim{i}@example.com, amount 1,234원\n",
            i % 10000
        ));
    }
    let (one, _) = run_with(Format::Text, input.as_bytes(), Limits::default(), 1).unwrap();
    let small = Limits {
        chunk_bytes: 100,
        ..Limits::default()
    };
    let (many, o) = run_with(Format::Text, input.as_bytes(), small, 4).unwrap();
    assert_eq!(one, many);
    assert_eq!(o.report.counts[&Entity::Email], 2000);
    assert_eq!(o.report.counts[&Entity::KrPhone], 2000);
}

#[test]
fn a_line_longer_than_a_chunk_is_cut_at_a_safe_boundary_and_nothing_is_missed() {
    let mut input = String::new();
    for _ in 0..3000 {
        input.push_str("전화 010-1234-5678 그리고 메일 kim@example.com 입니다 ");
    }
    let small = Limits {
        chunk_bytes: 4096,
        ..Limits::default()
    };
    let (out, o) = run_with(Format::Text, input.as_bytes(), small, 2).unwrap();
    assert_eq!(o.report.counts[&Entity::KrPhone], 3000);
    assert_eq!(o.report.counts[&Entity::Email], 3000);
    assert_eq!(o.report.hard_cuts, 0);
    assert_eq!(
        text(&out),
        input
            .replace("010-1234-5678", "<KR_PHONE>")
            .replace("kim@example.com", "<EMAIL>")
    );
}

#[test]
fn a_line_without_any_safe_boundary_is_cut_anyway_and_the_cut_is_reported() {
    let input = vec![b'x'; 20_000];
    let small = Limits {
        chunk_bytes: 4096,
        ..Limits::default()
    };
    let (out, o) = run_with(Format::Text, &input, small, 2).unwrap();
    assert_eq!(out, input);
    assert!(o.report.hard_cuts > 0);
}

#[test]
fn csv_fields_are_redacted_per_column_and_quoting_is_kept() {
    let input = "name,phone,memo\r\n김철수,010-1111-2222,\"주민 901231-1234563, 확인\"\r\n이영희,,\"여러\n줄 메모\"\r\n";
    let (out, o) = run(Format::Csv, input.as_bytes()).unwrap();
    assert_eq!(
        text(&out),
        "name,phone,memo\r\n<PERSON>,<KR_PHONE>,\"주민 <KR_RRN>, 확인\"\r\n<PERSON>,,\"여러\n줄 메모\"\r\n"
    );
    let phone = o.report.columns.iter().find(|c| c.name == "phone").unwrap();
    assert!(phone.personal && phone.header_says_personal);
    // Since issue 14 a column headed `name` holds people's names (PERSON).
    let name = o.report.columns.iter().find(|c| c.name == "name").unwrap();
    assert!(name.personal && name.header_says_personal);
    let memo = o.report.columns.iter().find(|c| c.name == "memo").unwrap();
    assert!(!memo.header_says_personal);
}

#[test]
fn csv_column_whose_contents_are_personal_is_reported_as_such() {
    let mut input = String::from("id,contact\n");
    for i in 0..10 {
        input.push_str(&format!("{i},kim{i}@example.com\n"));
    }
    let (_, o) = run(Format::Csv, input.as_bytes()).unwrap();
    let c = o
        .report
        .columns
        .iter()
        .find(|c| c.name == "contact")
        .unwrap();
    assert!(c.personal);
    assert_eq!(c.values_with_findings, 10);
}

#[test]
fn csv_value_containing_quotes_is_requoted_correctly() {
    let input = "memo\n\"he said \"\"call 010-1234-5678\"\"\"\n";
    let (out, _) = run(Format::Csv, input.as_bytes()).unwrap();
    assert_eq!(text(&out), "memo\n\"he said \"\"call <KR_PHONE>\"\"\"\n");
}

#[test]
fn csv_with_an_unclosed_quote_is_an_error_naming_the_line() {
    let input = "a,b\n1,2\n3,\"never closed 010-1234-5678\n4,5\n";
    let err = run(Format::Csv, input.as_bytes()).unwrap_err();
    assert!(
        matches!(err, FormatError::CsvQuote { line: 3, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("010-1234-5678"));
}

#[test]
fn json_stays_valid_and_keys_give_context() {
    let input = r#"{"user": {"email": "kim@example.com", "password": "hunter2hunter2", "tags": ["a", "010-1234-5678"], "n": 4111111111111111, "ok": true, "x": null}}"#;
    let (out, o) = run(Format::Json, input.as_bytes()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["user"]["email"], "<EMAIL>");
    assert_eq!(v["user"]["password"], "<SECRET>");
    assert_eq!(v["user"]["tags"][1], "<KR_PHONE>");
    assert_eq!(v["user"]["n"], "<CREDIT_CARD>");
    assert_eq!(v["user"]["ok"], true);
    assert_eq!(o.report.total(), 4);
}

#[test]
fn json_strings_with_escapes_are_decoded_scanned_and_reescaped() {
    let input = r#"["line\n010\u002d1234\u002d5678 \"q\""]"#;
    let (out, _) = run(Format::Json, input.as_bytes()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[0], "line\n<KR_PHONE> \"q\"");
}

#[test]
fn json_without_personal_data_is_unchanged_byte_for_byte() {
    let input = "{ \"a\" : [1, 2.5e3, \"x\\u00e9\"],\n  \"b\": {} }\n";
    let (out, _) = run(Format::Json, input.as_bytes()).unwrap();
    assert_eq!(text(&out), input);
}

#[test]
fn json_nested_ten_thousand_deep_is_handled_without_overflowing_the_stack() {
    let input = format!(
        "{}\"010-1234-5678\"{}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (out, _) = run(Format::Json, input.as_bytes()).unwrap();
    assert_eq!(
        text(&out),
        format!("{}\"<KR_PHONE>\"{}", "[".repeat(10_000), "]".repeat(10_000))
    );
}

#[test]
fn json_deeper_than_the_limit_is_an_error() {
    let input = "[".repeat(200_000);
    let err = run(Format::Json, input.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
}

#[test]
fn invalid_json_is_an_error_with_its_position() {
    let err = run(Format::Json, b"{\"a\": [1, 2}").unwrap_err();
    assert!(matches!(err, FormatError::Json { byte: 11, .. }), "{err}");
    let err = run(Format::Json, b"{\"a\": \"unterminated").unwrap_err();
    assert!(err.to_string().contains("unterminated string"), "{err}");
}

#[test]
fn json_lines_are_redacted_line_by_line_and_bad_lines_are_named() {
    let input = "{\"m\": \"010-1234-5678\"}\n\n{\"m\": \"kim@example.com\"}\n";
    let (out, _) = run(Format::Jsonl, input.as_bytes()).unwrap();
    assert_eq!(
        text(&out),
        "{\"m\": \"<KR_PHONE>\"}\n\n{\"m\": \"<EMAIL>\"}\n"
    );
    let err = run(Format::Jsonl, b"{\"a\": 1}\n{\"a\": \n").unwrap_err();
    assert!(matches!(err, FormatError::Json { line: 2, .. }), "{err}");
}

#[test]
fn token_counts_in_ai_api_logs_are_not_secrets() {
    let input = r#"{"usage": {"prompt_tokens": 1234, "completion_tokens": "5678", "total_tokens": 6912}, "api_key": "sk_abc_defghij"}"#;
    let (out, _) = run(Format::Json, input.as_bytes()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["usage"]["prompt_tokens"], 1234);
    assert_eq!(v["usage"]["completion_tokens"], "5678");
    assert_eq!(v["api_key"], "<SECRET>");
}

#[test]
fn millisecond_timestamps_are_not_resident_numbers() {
    // 1704067200000 is 2024-01-01T00:00:00Z; read as YYMMDD-G it would be a valid 2017 birth date.
    let input = r#"{"created": 1704067200000, "meta": {"timestamp": "1704067200000"}}"#;
    let (out, o) = run(Format::Json, input.as_bytes()).unwrap();
    assert_eq!(text(&out), input);
    assert_eq!(o.report.total(), 0);
}

#[test]
fn findings_in_a_multi_line_json_document_carry_their_line() {
    let input = "{\n  \"a\": 1,\n  \"phone\": \"010-1234-5678\"\n}\n";
    let (_, o) = run(Format::Json, input.as_bytes()).unwrap();
    assert_eq!(o.findings[0].line, 3);
    let f = &o.findings[0];
    assert_eq!(&input[f.start as usize..f.end as usize], "010-1234-5678");
}

#[test]
fn findings_in_csv_carry_the_line_of_their_record() {
    let input = "memo,phone\n\"two\nlines\",010-1234-5678\nx,010-9999-8888\n";
    let (_, o) = run(Format::Csv, input.as_bytes()).unwrap();
    let lines: Vec<u64> = o.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn a_csv_cell_with_a_known_first_name_and_any_surname_is_a_name_without_its_column() {
    // Real people's surnames are mostly not in the census lists (`Volkert`, `Chifflier`); a cell holds
    // what someone filled in, so a known first name and a word shaped like a surname are a name there,
    // and `Last, First` too. A company's name and a title-case label in their cells stay.
    let csv = "id,contact,status,vendor\n1,Thomas Volkert,Mark Complete,Russell Inc\n2,\"Chifflier, Daniel\",done,Acme\n";
    let (out, _) = run(Format::Csv, csv.as_bytes()).unwrap();
    let out = text(&out);
    assert!(
        !out.contains("Volkert") && !out.contains("Chifflier"),
        "{out}"
    );
    assert!(
        out.contains("Russell Inc") && out.contains("Mark Complete") && out.contains("done"),
        "{out}"
    );
}

#[test]
fn a_json_string_with_a_known_first_name_and_any_surname_is_a_name() {
    // The same for a JSON string, whatever its key: a value someone filled in.
    let jsonl =
        "{\"owner\": \"Thomas Volkert\", \"state\": \"Mark Complete\", \"org\": \"Russell Inc\"}\n";
    let (out, _) = run(Format::Jsonl, jsonl.as_bytes()).unwrap();
    let out = text(&out);
    assert!(!out.contains("Volkert"), "{out}");
    assert!(
        out.contains("Mark Complete") && out.contains("Russell Inc"),
        "{out}"
    );
}

#[test]
fn a_column_of_mostly_names_makes_its_other_name_shaped_cells_names_too() {
    // No header says `name`; the column's values are names the scanner finds, and one it does not
    // know (`Qwerty Zxcv`) is masked with them. The status column stays.
    let csv =
        "id,who,status\n1,김민수,대기\n2,John Smith,완료\n3,이영희,대기\n4,Qwerty Zxcv,완료\n";
    let (out, _) = run(Format::Csv, csv.as_bytes()).unwrap();
    let out = text(&out);
    assert!(!out.contains("Qwerty") && !out.contains("민수"), "{out}");
    assert!(out.contains("대기") && out.contains("완료"), "{out}");
}
