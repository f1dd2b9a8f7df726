//! Masking for roles that may read a category but not see it in full: enough remains for a person to
//! recognise their own data (the end of a phone number, the domain of an e-mail), not enough to use it.
//!
//! Each category is masked by a [`MaskStyle`] — from the policy's `mask`, else from the key's last part,
//! else [`MaskStyle::Hidden`]. A style reveals a fixed, small part of a value *of its shape* and nothing
//! of a value of any other shape: an "e-mail" holding a sentence, a "phone" holding a card number and
//! its expiry date, a name holding digits are all shown as `****`. Values too short to mask safely are
//! hidden whole. Free text ([`MaskStyle::Text`]) is masked by finding the personal data inside it with
//! vow-pii and hiding each finding whole, plus every number however it is written (five or more
//! digits close together, in any script) and everything before the `@` of a word, so a kind the
//! scanner misses, or a number written to slip past it, is still not shown.
//!
//! This is not `vow-pii`'s mask operator, on purpose: redaction keeps the shape of a text (one `*` per
//! character, so a training set keeps its lengths), while the vault shows one stored value to a person
//! and hides how long it is. The digit conventions are the same (`010-****-5678`, `901231-1******`).

use vow_pii::{Normalized, Scanner};
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

    /// Free text: which characters to hide is decided on the text as vow-pii's scanner reads it
    /// ([`Normalized`]: zero-width characters dropped, full-width forms, Unicode dashes, `%2D` and
    /// `&#64;` escapes undone — one normalisation for the vault, `vow redact` and the proxy), then each
    /// hidden letter or digit of the original becomes `*` (separators and everything else stay). Hidden
    /// are every digit of a number (see [`number_runs`]), every letter and digit of a scanner finding,
    /// and everything before the `@` of a word that holds one — so nothing a finding's own mask would
    /// show, and no digits next to a finding, escape.
    fn text(&self, value: &str) -> String {
        let normalized = Normalized::of(value.as_bytes());
        let seen: &str = match &normalized {
            Some(n) => std::str::from_utf8(&n.text).unwrap_or(value),
            None => value,
        };
        let chars: Vec<(usize, char)> = seen.char_indices().collect();
        let byte_of = |index: usize| chars.get(index).map_or(seen.len(), |&(at, _)| at);
        // Byte ranges of `seen` to hide.
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        for run in number_runs(&chars).into_iter().chain(local_parts(&chars)) {
            ranges.push(byte_of(run.start)..byte_of(run.end));
        }
        for finding in self.scanner.scan(seen.as_bytes()) {
            ranges.push(finding.start..finding.end);
        }
        // The same ranges in the original's bytes.
        let mut hide = vec![false; value.len() + 1];
        for r in ranges {
            let (start, end) = match &normalized {
                Some(n) if seen.len() == n.text.len() => (n.orig_start(r.start), n.orig_end(r.end)),
                _ => (r.start, r.end),
            };
            for h in hide
                .get_mut(start..end.min(value.len()))
                .into_iter()
                .flatten()
            {
                *h = true;
            }
        }
        value
            .char_indices()
            .map(|(at, c)| {
                if hide[at] && c.is_alphanumeric() {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }
}

/// Digits of every script, and the CJK numerals.
fn is_digit_like(c: char) -> bool {
    c.is_numeric() || "〇一二三四五六七八九零".contains(c)
}

/// The Hangul syllables that read as digits (공일공 일이삼사 …).
fn is_hangul_digit(c: char) -> bool {
    "공영일이삼사오육륙칠팔구".contains(c)
}

/// Character ranges of numbers in free text, however they are written: at least five digits where
/// each is at most three characters from the next, and no word of two or more letters lies between
/// them (`010 - 1234 - 5678`, `010\n1234`, `[010][1234]`, `0a1b0c1d2`, digits between zero-width
/// spaces or emoji, `&#45;` and `%2D` escapes); and runs of seven or more Hangul digit syllables
/// (`공일공-일이삼사-오육칠팔`). Every character of a range is hidden; only letters and digits show it.
fn number_runs(chars: &[(usize, char)]) -> Vec<std::ops::Range<usize>> {
    const MAX_GAP: usize = 3;
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_digit_like(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut digits = 1;
        let mut j = i + 1;
        let mut gap = 0;
        let mut letters = 0;
        while j < chars.len() {
            let c = chars[j].1;
            if is_digit_like(c) {
                digits += 1;
                end = j + 1;
                gap = 0;
                letters = 0;
            } else {
                gap += 1;
                letters += usize::from(c.is_alphabetic());
                // A gap is up to three marks, spaces or invisible characters, or one lone letter
                // (`0a1b0c`); a word between two numbers keeps them apart (`3건, 2024년`).
                if gap > MAX_GAP || (letters > 0 && gap > 1) {
                    break;
                }
            }
            j += 1;
        }
        if digits >= 5 && !is_amount(&chars[start..end]) {
            runs.push(start..end);
        }
        i = end;
    }
    let mut i = 0;
    while i < chars.len() {
        if !is_hangul_digit(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut count = 1;
        let mut j = i + 1;
        while j < chars.len() {
            let c = chars[j].1;
            if is_hangul_digit(c) {
                count += 1;
                end = j + 1;
            } else if !(matches!(c, '-' | ' ' | '.')
                && chars.get(j + 1).is_some_and(|&(_, n)| is_hangul_digit(n)))
            {
                break;
            }
            j += 1;
        }
        if count >= 7 {
            runs.push(start..end);
        }
        i = end;
    }
    runs
}

/// An amount written with thousands separators (`50,000`, `1,250,000`): digit groups of three after
/// the first, joined by commas only. Amounts are not personal data, and support needs to read them.
fn is_amount(run: &[(usize, char)]) -> bool {
    let text: String = run.iter().map(|&(_, c)| c).collect();
    let mut groups = text.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()));
    text.contains(',')
        && first_ok
        && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// In every whitespace-separated word that holds an `@` (or a written-out one: `(at)`, `[at]`; the
/// encoded ones, `＠`, `&#64;`, `%40`, arrive as `@` from [`Normalized`]), everything from the word's
/// start to the marker: the local part of an address, whatever characters it is made of, and the user
/// and password of a URL.
fn local_parts(chars: &[(usize, char)]) -> Vec<std::ops::Range<usize>> {
    const MARKERS: [&str; 3] = ["@", "(at)", "[at]"];
    let mut parts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].1.is_whitespace() {
            i += 1;
        }
        let word: String = chars[start..i].iter().map(|&(_, c)| c).collect();
        let lower = word.to_ascii_lowercase();
        let marker = MARKERS.iter().filter_map(|m| lower.find(m)).min();
        if let Some(byte) = marker {
            let local = word[..byte.min(word.len())].chars().count();
            parts.push(start..start + local);
        }
    }
    parts
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

    /// Layouts an attacker tried against the first version of this mask (each leaked then).
    #[test]
    fn free_text_hides_numbers_and_addresses_however_they_are_written() {
        let cases: &[(&str, &str)] = &[
            ("연락처 010 - 1234 - 5678 입니다", "5678"),
            ("010  1234  5678", "1234"),
            ("핸드폰 010,1234,5678", "1234"),
            ("010_1234_5678 or 010:1234:5678 or 010#1234#5678", "1234"),
            ("[010][1234][5678]", "1234"),
            ("010\t1234\t5678", "1234"),
            ("card\n4111\n1111\n1111\n1111", "4111"),
            ("010\u{200b}1234\u{200b}5678", "1234"),
            ("010\u{1f600}1234\u{1f600}5678", "1234"),
            ("0a1b0c1d2e3f4g5h6i7j8", "2e3f4g5"),
            ("010x1234x5678", "1234"),
            ("공일공-일이삼사-오육칠팔", "일이삼사"),
            ("〇一〇一二三四五六七八", "一二三四"),
            ("minji(at)example(dot)com", "minji"),
            ("minji&#64;example.com and minji%40example.com", "minji"),
            ("010&#45;1234&#45;5678", "1234"),
            ("minjisecret!kim@example.com", "minjisecret"),
            ("josé.secret@example.com", "secret"),
            ("민지비밀kim@example.com", "민지비밀"),
            ("https://minjisecret:pass@example.com/", "minjisecret"),
            ("card 6250 3982 5979 1905 745", "1905"),
            ("4111 1111 1111 1111 1227", "1227"),
            ("+14155552671 1234", "2671"),
            ("mail abcd@9001011234568.kr", "9001011234568"),
        ];
        for (text, secret) in cases {
            let masked = m(MaskStyle::Text, text);
            assert!(!masked.contains(secret), "{text:?} → {masked:?}");
        }
    }

    #[test]
    fn free_text_keeps_ordinary_words_and_small_numbers() {
        let text = "주문 3건, 2024년 환불 요청 — order 12 items for 50,000원";
        assert_eq!(m(MaskStyle::Text, text), text);
    }

    #[test]
    fn free_text_keeps_its_whitespace() {
        assert_eq!(m(MaskStyle::Text, "a  b\n\tc"), "a  b\n\tc");
        assert_eq!(
            m(MaskStyle::Text, "  write x@y, \n ok"),
            "  write *@y, \n ok"
        );
        assert_eq!(
            m(MaskStyle::Text, "to: somebody@mail.example.org."),
            "to: ********@****.*******.***."
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
