//! Masking for roles that may read a category but not see it in full: enough remains for a person to
//! recognise their own data (the end of a phone number, the domain of an e-mail), not enough to use it.
//!
//! Each category is masked by a [`MaskStyle`] — from the policy's `mask`, else from the key's last part,
//! else [`MaskStyle::Hidden`]. A style reveals a fixed, small part of a value *of its shape* and nothing
//! of a value of any other shape: an "e-mail" holding a sentence, a "phone" holding a card number and
//! its expiry date, a name holding digits are all shown as `****`. Values too short to mask safely are
//! hidden whole. Free text ([`MaskStyle::Text`]) is masked by finding the personal data inside it with
//! vow-pii and masking each finding, plus every run of five or more digits and every `x@y` word, so a
//! kind the scanner misses is still not shown.
//!
//! This is not `vow-pii`'s mask operator, on purpose: redaction keeps the shape of a text (one `*` per
//! character, so a training set keeps its lengths), while the vault shows one stored value to a person
//! and hides how long it is. The digit conventions are the same (`010-****-5678`, `901231-1******`).

use vow_pii::{Entity, Scanner};
use vow_policy::model::{Category, MaskStyle};

/// What a hidden value is shown as, whatever its length.
pub const HIDDEN: &str = "****";

/// The style a category is masked with: the policy's `mask`, else one suggested by the key's last part
/// (`…email`, `…phone`, `…name`, …), else hidden.
pub fn style_for(category: &Category) -> MaskStyle {
    if let Some(style) = category.mask {
        return style;
    }
    let last = category
        .key
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match last.as_str() {
        l if l.contains("email") => MaskStyle::Email,
        l if l.contains("phone") || l.contains("mobile") || l == "tel" => MaskStyle::Phone,
        "name" | "full_name" | "first_name" | "last_name" | "legal_name" => MaskStyle::Name,
        "rrn" | "resident_number" | "resident_registration_number" => MaskStyle::ResidentNumber,
        "card" | "card_number" | "credit_card" => MaskStyle::Card,
        "account_number" | "bank_account" => MaskStyle::Digits,
        _ => MaskStyle::Hidden,
    }
}

/// Masks values; holds the scanner that free text needs, built once.
pub struct Masker {
    scanner: Scanner,
}

impl Default for Masker {
    fn default() -> Self {
        Masker::new()
    }
}

impl Masker {
    pub fn new() -> Masker {
        // Masking prefers a false alarm to a miss: a look-alike masked costs a support agent a glance,
        // a value shown is a leak.
        Masker {
            scanner: Scanner::new().with_min_score(0.2),
        }
    }

    /// `value` as a role without `full_view` may see it.
    pub fn mask(&self, style: MaskStyle, value: &str) -> String {
        let masked = match style {
            MaskStyle::Hidden => None,
            MaskStyle::Email => email(value),
            MaskStyle::Phone => phone(value),
            MaskStyle::Card => card(value),
            MaskStyle::ResidentNumber => resident_number(value),
            MaskStyle::Digits => digits(value),
            MaskStyle::Name => name(value),
            MaskStyle::Text => Some(self.text(value)),
        };
        masked.unwrap_or_else(|| HIDDEN.to_string())
    }

    fn text(&self, value: &str) -> String {
        let mut findings = self.scanner.scan(value.as_bytes());
        findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut out = String::with_capacity(value.len());
        let mut at = 0;
        for finding in findings {
            let (start, end) = (finding.start, finding.end);
            if start < at || end > value.len() || start >= end {
                continue;
            }
            let (Some(before), Some(found)) = (value.get(at..start), value.get(start..end)) else {
                continue;
            };
            out.push_str(&mask_loose_text(before));
            out.push_str(&mask_finding(finding.entity, found));
            at = end;
        }
        out.push_str(&mask_loose_text(value.get(at..).unwrap_or_default()));
        out
    }
}

/// A finding inside free text, masked by the style of its kind.
fn mask_finding(entity: Entity, found: &str) -> String {
    let style = match entity {
        Entity::Email => email(found),
        Entity::KrPhone | Entity::Phone => phone(found),
        Entity::CreditCard => card(found),
        Entity::KrRrn | Entity::KrFrn => resident_number(found),
        _ => None,
    };
    style.unwrap_or_else(|| HIDDEN.to_string())
}

/// Text between findings: what the scanner did not report is still not shown when it looks like a
/// number or an address — every digit of a run of five or more digits (separators between them kept)
/// becomes `*`, and every word holding `@` is masked as an e-mail or hidden.
fn mask_loose_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let (word, tail) = rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
        if word.contains(['@', '＠', '﹫']) {
            let address = word.trim_end_matches(|c: char| ".,;:!?)]}>\"'".contains(c));
            out.push_str(&email(address).unwrap_or_else(|| HIDDEN.to_string()));
            out.push_str(&word[address.len()..]);
        } else {
            out.push_str(word);
        }
        let (space, next) = tail.split_at(
            tail.find(|c: char| !c.is_whitespace())
                .unwrap_or(tail.len()),
        );
        out.push_str(space);
        rest = next;
    }
    mask_digit_runs(&out)
}

/// Every digit of a run of at least five digits joined by single separators becomes `*`. Digits of
/// any script count (full-width `０１０`, Arabic-Indic, …), and so do full-width and typographic
/// separators: a number typed on a Korean or Japanese keyboard is still a number.
fn mask_digit_runs(text: &str) -> String {
    const SEPARATORS: &[char] = &[
        '-', '.', ' ', '/', '(', ')', '+', '－', '．', '／', '（', '）', '＋', '　', '‐', '‑', '‒',
        '–', '—',
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_numeric() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let mut end = i;
        let mut count = 0;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_numeric() {
                count += 1;
                j += 1;
                end = j;
            } else if SEPARATORS.contains(&chars[j])
                && chars.get(j + 1).is_some_and(|c| c.is_numeric())
            {
                j += 1;
            } else {
                break;
            }
        }
        for &c in &chars[i..end] {
            out.push(if count >= 5 && c.is_numeric() { '*' } else { c });
        }
        i = end;
    }
    out
}

fn digit_count(value: &str) -> usize {
    value.chars().filter(char::is_ascii_digit).count()
}

/// Whether `value` holds only digits and the given separators.
fn only_digits_and(value: &str, separators: &[char]) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_digit() || separators.contains(&c))
}

/// Keeps the digits `keep(index, count)` says, masks the others; separators stay.
fn keep_digits(value: &str, keep: impl Fn(usize, usize) -> bool) -> String {
    let count = digit_count(value);
    let mut index = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            let shown = keep(index, count);
            index += 1;
            if shown {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// `k***@example.com`: one whole address, nothing else; the first character only of a local part of
/// four or more characters.
fn email(value: &str) -> Option<String> {
    let (local, domain) = value.split_once('@')?;
    let local_chars = local.chars().count();
    let domain_ok = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    let local_ok = (1..=64).contains(&local_chars)
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '@');
    if !domain_ok || !local_ok {
        return None;
    }
    let first = if local_chars >= 4 {
        local.chars().next().map(String::from).unwrap_or_default()
    } else {
        String::new()
    };
    Some(format!("{first}***@{domain}"))
}

const PHONE_SEPARATORS: &[char] = &['-', ' ', '.', '+', '(', ')'];

/// `010-****-5678`: the last four digits, and the first three when at least four stay hidden.
fn phone(value: &str) -> Option<String> {
    let count = digit_count(value);
    if !only_digits_and(value, PHONE_SEPARATORS) || !(9..=13).contains(&count) {
        return None;
    }
    let prefix = if count >= 11 { 3 } else { 0 };
    Some(keep_digits(value, |i, n| i < prefix || i + 4 >= n))
}

/// `4111-****-****-1111`: a card number's first four and last four digits.
fn card(value: &str) -> Option<String> {
    let count = digit_count(value);
    if !only_digits_and(value, &['-', ' ']) || !(13..=19).contains(&count) {
        return None;
    }
    Some(keep_digits(value, |i, n| i < 4 || i + 4 >= n))
}

/// `901231-1******`: birth date and gender digit of a 13-digit resident or foreigner number.
fn resident_number(value: &str) -> Option<String> {
    if !only_digits_and(value, &['-', ' ']) || digit_count(value) != 13 {
        return None;
    }
    Some(keep_digits(value, |i, _| i < 7))
}

/// `******7890`: the last four digits of a number of ten or more.
fn digits(value: &str) -> Option<String> {
    let count = digit_count(value);
    if !only_digits_and(value, &['-', ' ', '.']) || count < 10 {
        return None;
    }
    Some(keep_digits(value, |i, n| i + 4 >= n))
}

/// `김**`: the first character of a name of two or more letters, with a fixed tail so the length is
/// not told.
fn name(value: &str) -> Option<String> {
    let letters = value.chars().filter(|c| c.is_alphabetic()).count();
    let shaped = value.chars().count() <= 64
        && value
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | '\'' | '-' | '·'))
        && value.chars().next().is_some_and(char::is_alphabetic);
    if !shaped || letters < 2 {
        return None;
    }
    value.chars().next().map(|first| format!("{first}**"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(style: MaskStyle, value: &str) -> String {
        Masker::new().mask(style, value)
    }

    #[test]
    fn phone_keeps_separators_prefix_and_last_four_digits() {
        assert_eq!(m(MaskStyle::Phone, "010-1234-5678"), "010-****-5678");
        assert_eq!(m(MaskStyle::Phone, "01012345678"), "010****5678");
        assert_eq!(m(MaskStyle::Phone, "02-123-4567"), "**-***-4567");
    }

    #[test]
    fn a_phone_holding_anything_else_is_hidden() {
        assert_eq!(m(MaskStyle::Phone, "01012345678 1234"), HIDDEN);
        assert_eq!(m(MaskStyle::Phone, "call 010-1234-5678"), HIDDEN);
        assert_eq!(m(MaskStyle::Phone, "1234"), HIDDEN);
    }

    #[test]
    fn email_keeps_first_letter_and_domain_only_for_long_local_parts() {
        assert_eq!(
            m(MaskStyle::Email, "kim.minji@example.com"),
            "k***@example.com"
        );
        assert_eq!(m(MaskStyle::Email, "k@example.com"), "***@example.com");
        assert_eq!(m(MaskStyle::Email, "kim@example.com"), "***@example.com");
    }

    #[test]
    fn an_email_holding_a_sentence_is_hidden() {
        assert_eq!(
            m(MaskStyle::Email, "me@example.com or call 010-2222-3333"),
            HIDDEN
        );
        assert_eq!(m(MaskStyle::Email, "a@b@example.com"), HIDDEN);
    }

    #[test]
    fn names_keep_only_their_first_character_and_hide_their_length() {
        assert_eq!(m(MaskStyle::Name, "김민지"), "김**");
        assert_eq!(m(MaskStyle::Name, "Alexandra Smith"), "A**");
        assert_eq!(m(MaskStyle::Name, "L"), HIDDEN);
        assert_eq!(m(MaskStyle::Name, ""), HIDDEN);
        assert_eq!(m(MaskStyle::Name, "Kim 010-1234-5678"), HIDDEN);
    }

    #[test]
    fn resident_number_keeps_birth_date_and_gender_digit() {
        assert_eq!(
            m(MaskStyle::ResidentNumber, "901231-1234567"),
            "901231-1******"
        );
        assert_eq!(m(MaskStyle::ResidentNumber, "901231-12345"), HIDDEN);
    }

    #[test]
    fn card_keeps_first_and_last_four_and_refuses_extra_groups() {
        assert_eq!(
            m(MaskStyle::Card, "9410 1234 5678 1234"),
            "9410 **** **** 1234"
        );
        assert_eq!(m(MaskStyle::Card, "4111111111111111 12/27"), HIDDEN);
    }

    #[test]
    fn hidden_tells_nothing_not_even_the_length() {
        assert_eq!(m(MaskStyle::Hidden, "a"), HIDDEN);
        assert_eq!(m(MaskStyle::Hidden, &"a".repeat(500)), HIDDEN);
    }

    #[test]
    fn free_text_keeps_its_words_and_masks_each_piece_of_personal_data() {
        let text = "문의: contact me at minji@example.com or call 010-2222-3333, card 4111-1111-1111-1111, RRN 900101-1234567";
        let masked = m(MaskStyle::Text, text);
        for planted in [
            "minji@example.com",
            "2222-3333",
            "1111-1111-1111",
            "1234567",
        ] {
            assert!(!masked.contains(planted), "{planted} in {masked}");
        }
        assert!(masked.starts_with("문의: contact me at"), "{masked}");
        assert!(masked.contains("or call"), "{masked}");
    }

    #[test]
    fn free_text_masks_numbers_the_scanner_does_not_know() {
        let masked = m(MaskStyle::Text, "member no. 55512-998 and order 12 items");
        assert!(!masked.contains("55512"), "{masked}");
        assert!(masked.contains("order 12 items"), "{masked}");
    }

    #[test]
    fn free_text_masks_full_width_numbers_and_addresses() {
        let masked = m(
            MaskStyle::Text,
            "전화 ０１０－２２２２－３３３３ 메일 ｍｉｎｊｉ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        );
        assert!(!masked.contains("２２２２"), "{masked}");
        assert!(!masked.contains("ｍｉｎｊｉ"), "{masked}");
        assert!(masked.starts_with("전화 "), "{masked}");
    }

    #[test]
    fn free_text_keeps_its_whitespace() {
        assert_eq!(m(MaskStyle::Text, "a  b\n\tc"), "a  b\n\tc");
        assert_eq!(
            m(MaskStyle::Text, "  write x@y, \n ok"),
            "  write ****, \n ok"
        );
        assert_eq!(
            m(MaskStyle::Text, "to: somebody@mail.example.org."),
            "to: s***@mail.example.org."
        );
    }

    #[test]
    fn the_style_comes_from_the_policy_then_the_key_then_is_hidden() {
        let category = |key: &str, mask: Option<MaskStyle>| Category {
            key: key.to_string(),
            label: Default::default(),
            class: Default::default(),
            lookup: false,
            note: None,
            mask,
        };
        assert_eq!(
            style_for(&category("user.contact.email", None)),
            MaskStyle::Email
        );
        assert_eq!(
            style_for(&category("user.contact.phone", None)),
            MaskStyle::Phone
        );
        assert_eq!(style_for(&category("user.name", None)), MaskStyle::Name);
        assert_eq!(
            style_for(&category("user.content.inquiry", None)),
            MaskStyle::Hidden
        );
        assert_eq!(
            style_for(&category("user.content.inquiry", Some(MaskStyle::Text))),
            MaskStyle::Text
        );
    }
}
