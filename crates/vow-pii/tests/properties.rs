//! Properties that hold for any input: no panic, findings in bounds, masking keeps length, keep changes
//! nothing, validators agree with their definitions.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vow_pii::formats::Format;
use vow_pii::{process, validate, Job, Limits, Operator, Redactor, Scanner};

fn pii_like() -> impl Strategy<Value = Vec<u8>> {
    // Bytes biased towards what the recognizers look at, so that the interesting paths are exercised.
    let alphabet: Vec<u8> = b"0123456789-. +()@:_abcAZMSR\xea\xb0\x80\n,\"{}[]\\".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 0..400)
}

fn run(format: Format, input: &[u8], op: Operator, limits: Limits) -> Option<Vec<u8>> {
    let scanner = Scanner::new().with_min_score(0.0);
    let redactor = Redactor::new(op);
    let job = Job {
        scanner: &scanner,
        redactor: Some(&redactor),
        collect: true,
        threads: 2,
        limits,
    };
    let mut out = Vec::new();
    process(format, &job, input, Some(&mut out), &|_| {})
        .ok()
        .map(|_| out)
}

/// The findings in `text` do not overlap, lie inside it and start and end on character boundaries.
fn findings_are_sorted_and_on_char_boundaries(
    text: &str,
) -> Result<Vec<vow_pii::Finding>, TestCaseError> {
    let bytes = text.as_bytes();
    let f = Scanner::new().with_min_score(0.0).scan(bytes);
    for w in f.windows(2) {
        prop_assert!(w[0].end <= w[1].start);
    }
    for x in &f {
        prop_assert!(x.start < x.end && x.end <= bytes.len());
        prop_assert!(text.is_char_boundary(x.start) && text.is_char_boundary(x.end));
    }
    Ok(f)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scanning_any_bytes_never_panics_and_findings_are_sorted_and_in_bounds(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        biased in pii_like(),
    ) {
        for input in [&bytes, &biased] {
            let f = Scanner::new().with_min_score(0.0).scan(input);
            for w in f.windows(2) {
                prop_assert!(w[0].end <= w[1].start);
            }
            for x in &f {
                prop_assert!(x.start < x.end && x.end <= input.len());
                prop_assert!((0.0..=1.0).contains(&x.score));
            }
        }
    }

    #[test]
    fn keep_operator_gives_back_the_input_in_every_format(input in pii_like()) {
        for format in [Format::Text, Format::Jsonl, Format::Csv] {
            if let Some(out) = run(format, &input, Operator::Keep, Limits { chunk_bytes: 64, ..Limits::default() }) {
                prop_assert_eq!(out, input.clone());
            }
        }
    }

    #[test]
    fn scanning_korean_and_english_words_never_panics(
        text in "([ -~]|[가-힣]|님|씨|고객|서울특별시|강남구|테헤란로|Dear|Mr\\.|Name: |Regards,\n|[0-9]{1,4} [A-Z][a-z]+ St|\n){0,60}",
    ) {
        let bytes = text.as_bytes();
        let f = findings_are_sorted_and_on_char_boundaries(&text)?;
        let mut out = Vec::new();
        Redactor::new(Operator::Mask).apply(bytes, &f, &mut out);
        prop_assert!(std::str::from_utf8(&out).is_ok());
    }

    #[test]
    fn addresses_and_names_as_records_and_governments_write_them_never_panic(
        text in "([0-9]{1,5} |[0-9]{1,3}(st|nd|rd|th) |[A-Z] |U\\.S\\. |Street|Road|Valley|Mount|Point|Drive|Vermont|North|Southeast|#|##|APT |STE |[A-Z][a-z]{2,9}|Daniel |Thomas |by |with |thanks to |cc |from |, |,|;|\t|\"|\n|CA 94609|VT 05345|와|님이|Inc|René |Häring|Van |de la |Sylvain |Łukasz |Müller|É|é|: |Nguyễn|ễ|\u{301}|Le |MD){0,40}",
    ) {
        findings_are_sorted_and_on_char_boundaries(&text)?;
    }

    // Names and addresses mask to a shorter form (initials, a region and ****); this alphabet does not
    // form them, so every masked value here keeps its length.
    #[test]
    fn masking_text_keeps_its_length(input in pii_like()) {
        let out = run(Format::Text, &input, Operator::Mask, Limits { chunk_bytes: 64, ..Limits::default() }).unwrap();
        prop_assert_eq!(out.len(), input.len());
    }

    #[test]
    fn every_format_and_operator_survives_any_bytes(
        input in prop::collection::vec(any::<u8>(), 0..300),
        biased in pii_like(),
    ) {
        for data in [&input, &biased] {
            for format in [Format::Text, Format::Json, Format::Jsonl, Format::Csv, Format::Tsv] {
                for op in [Operator::Mask, Operator::Replace] {
                    let _ = run(format, data, op, Limits { chunk_bytes: 64, ..Limits::default() });
                }
            }
        }
    }

    #[test]
    fn redacted_json_is_still_valid_json(v in json_value()) {
        let input = serde_json::to_vec(&v).unwrap();
        let out = run(Format::Json, &input, Operator::Mask, Limits::default()).unwrap();
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok(), "{}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn luhn_accepts_exactly_one_check_digit(body in prop::collection::vec(0u8..10, 12..18)) {
        let mut d: Vec<u8> = body.iter().map(|x| b'0' + x).collect();
        d.push(b'0');
        let l = d.len() - 1;
        let ok = (b'0'..=b'9').filter(|&c| { d[l] = c; validate::luhn(&d) }).count();
        prop_assert_eq!(ok, 1);
    }

    #[test]
    fn resident_number_checksum_accepts_exactly_one_check_digit(body in prop::collection::vec(0u8..10, 12)) {
        let mut d: Vec<u8> = body.iter().map(|x| b'0' + x).collect();
        d.push(b'0');
        let ok = (b'0'..=b'9').filter(|&c| { d[12] = c; validate::rrn_checksum(&d) }).count();
        prop_assert_eq!(ok, 1);
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "[ -~가-힣]{0,30}".prop_map(serde_json::Value::String),
        prop::sample::select(vec![
            "010-1234-5678",
            "kim@example.com",
            "901231-1234563",
            "4111 1111 1111 1111",
            "a\"b\\c\n"
        ])
        .prop_map(|s| serde_json::Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}|phone|email|password", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
