//! Property tests: whatever bytes arrive, `check` answers with a report and never panics.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vow_policy::{check, CheckStatus, STARTER_POLICY};

/// One edit of a policy file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Replace { at: usize, byte: u8 },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    // Fragments that are meaningful in TOML or in the model, so mutations reach deep into parsing.
    let fragments = prop::sample::select(vec![
        "[",
        "]",
        "[[",
        "]]",
        "=",
        "\"",
        "'''",
        "{",
        "}",
        ",",
        ".",
        "#",
        "\n",
        "\\u",
        "2025-02-30",
        "-1",
        "1e400",
        "\"5y\"",
        "\"0h\"",
        "\"4294967296d\"",
        "key = \"x\"",
        "[[category]]",
        "[policy]",
        "가",
        "\u{0}",
        "\r",
        "inf",
        "nan",
        "true",
    ]);
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), fragments).prop_map(|(at, s)| Edit::Insert {
            at,
            bytes: s.as_bytes().to_vec()
        }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Replace { at, byte }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let n = bytes.len().max(1);
    match edit {
        Edit::Delete { at, len } => {
            let start = at % n;
            let end = (start + len).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Edit::Insert { at, bytes: new } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Edit::Replace { at, byte } => {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = *byte;
            }
        }
        Edit::DuplicateLine { line } | Edit::SwapLines { a: line, .. } => {
            let mut lines: Vec<Vec<u8>> =
                bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let count = lines.len();
            match edit {
                Edit::DuplicateLine { .. } => {
                    let copy = lines[line % count].clone();
                    lines.insert(line % count, copy);
                }
                Edit::SwapLines { a, b } => lines.swap(a % count, b % count),
                _ => {}
            }
            *bytes = lines.join(&b'\n');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let outcome = check(&bytes, "fuzz.toml");
        // Random bytes are never a clean policy, and the report renders.
        prop_assert_eq!(outcome.status(), CheckStatus::Invalid);
        prop_assert!(!outcome.to_text().is_empty());
        prop_assert!(!outcome.to_json().is_empty());
    }

    #[test]
    fn mutated_starter_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        let mut bytes = STARTER_POLICY.as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        let outcome = check(&bytes, "mutated.toml");
        let text = outcome.to_text();
        prop_assert!(!text.is_empty());
        // Whatever the verdict, an invalid outcome explains itself with at least one error.
        if outcome.status() == CheckStatus::Invalid {
            prop_assert!(!outcome.errors.is_empty(), "{}", text);
        }
        // A mutated file that still parses can be diffed against the original without panicking.
        if let (Some(new), Ok(old)) = (outcome.policy.as_ref(), vow_policy::parse(STARTER_POLICY.as_bytes(), "s")) {
            let d = vow_policy::diff(&old, new);
            prop_assert!(!d.to_json().is_empty());
        }
    }
}
