//! What a role without `full_view` may learn of a value: for random values and every mask style, the
//! masked answer never holds the value, and never more of its letters and digits than the style
//! reveals.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vow_engine::{Masker, HIDDEN};
use vow_policy::model::MaskStyle;

const STRUCTURED: [MaskStyle; 7] = [
    MaskStyle::Hidden,
    MaskStyle::Email,
    MaskStyle::Phone,
    MaskStyle::Card,
    MaskStyle::ResidentNumber,
    MaskStyle::Digits,
    MaskStyle::Name,
];

/// Letters and digits of the value a style may show at most (an e-mail's domain is shown whole).
fn allowed(style: MaskStyle, value: &str) -> usize {
    match style {
        MaskStyle::Hidden => 0,
        MaskStyle::Email => {
            1 + value.split_once('@').map_or(0, |(_, domain)| {
                domain.chars().filter(|c| c.is_alphanumeric()).count()
            })
        }
        MaskStyle::Phone => 7,
        MaskStyle::Card => 8,
        MaskStyle::ResidentNumber => 7,
        MaskStyle::Digits => 4,
        MaskStyle::Name => 1,
        MaskStyle::Text => usize::MAX,
    }
}

fn revealed(masked: &str) -> usize {
    masked.chars().filter(|c| c.is_alphanumeric()).count()
}

/// Values of every shape the styles know, and of none.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._]{0,12}@[a-z0-9-]{1,10}\\.[a-z]{2,4}",
        "[a-z]{1,5}@[a-z]{1,5}\\.com [a-z0-9 ]{0,20}",
        "0[0-9]{1,2}-[0-9]{3,4}-[0-9]{4}",
        "\\+?[0-9 ()-]{1,25}",
        "[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}",
        "[0-9]{6}-[0-9]{7}",
        "[가-힣]{1,4}",
        "[A-Za-z]{1,10}( [A-Za-z]{1,10})?",
        "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn a_masked_value_never_holds_the_value_nor_more_than_its_style_reveals(
        value in value(),
        style in proptest::sample::select(STRUCTURED.to_vec()),
    ) {
        let masked = Masker::new().mask(style, &value);
        if revealed(&value) >= 2 {
            prop_assert!(!masked.contains(value.as_str()), "{style:?}: {value:?} → {masked:?}");
        }
        prop_assert!(
            revealed(&masked) <= allowed(style, &value),
            "{style:?}: {value:?} → {masked:?}"
        );
        // A value the style does not recognise tells nothing, not even its length.
        if revealed(&masked) == 0 {
            prop_assert!(masked == HIDDEN || !masked.chars().any(char::is_alphanumeric));
        }
    }

    #[test]
    fn free_text_never_shows_a_planted_number_or_address(
        before in "[a-z가-힣 ]{0,30}",
        after in "[a-z가-힣 ]{0,30}",
        planted in prop_oneof![
            "010-[0-9]{4}-[0-9]{4}",
            "[0-9]{6}-[1-4][0-9]{6}",
            "4[0-9]{3}-[0-9]{4}-[0-9]{4}-[0-9]{4}",
            "[0-9]{5,14}",
            "[a-z]{3,10}@[a-z]{3,8}\\.(com|kr|net)",
        ],
    ) {
        let text = format!("{before} {planted} {after}");
        let masked = Masker::new().mask(MaskStyle::Text, &text);
        prop_assert!(!masked.contains(planted.as_str()), "{text:?} → {masked:?}");
        let digits: String = planted.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            let shown_digits: String = masked.chars().filter(char::is_ascii_digit).collect();
            prop_assert!(shown_digits.len() <= 8, "{text:?} → {masked:?}");
        }
    }
}
