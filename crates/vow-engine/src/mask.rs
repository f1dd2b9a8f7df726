//! Masking for roles that may read a category but not see it in full: enough remains for a person to
//! recognise their own data (the end of a phone number, the domain of an e-mail), not enough to use it.
//!
//! This is not `vow-pii`'s mask operator, on purpose: redaction keeps the shape of a text (one `*` per
//! character, so a training set keeps its lengths), while the vault shows one stored value to a person
//! and hides how long it is (`k***@example.com` whatever the local part). The digit conventions are the
//! same (`010-****-5678`, `901231-1******`).

/// Masks a value. E-mail: the first character of the local part and the domain
/// (`k***@example.com`). Values that are mostly digits (phones, card and account numbers, resident
/// numbers): see [`mask_digits`]. Anything else: the first
/// character, then one `*` per remaining character, capped so the length of a long text is not told.
pub fn mask(value: &str) -> String {
    if let Some((local, domain)) = value.split_once('@') {
        if !local.is_empty() && !domain.is_empty() && !domain.contains('@') {
            let first: String = local.chars().take(1).collect();
            return format!("{first}***@{domain}");
        }
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let others = value
        .chars()
        .filter(|c| !c.is_ascii_digit() && !matches!(c, '-' | ' ' | '.' | '+' | '(' | ')'))
        .count();
    if digits >= 6 && others <= 1 {
        return mask_digits(value);
    }
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().min(8);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// Digit groups split by separators: with three or more groups the first and last stay
/// (`010-****-5678`, `1234-****-****-3456`); with two, the first and one more digit (a resident
/// number's birth date and gender digit, `901231-1******`); one long run keeps three digits in front
/// and four at the end.
fn mask_digits(value: &str) -> String {
    let is_separator = |c: char| !c.is_ascii_digit();
    let groups = value.split(is_separator).filter(|g| !g.is_empty()).count();
    let total = value.chars().filter(char::is_ascii_digit).count();
    let mut group = 0;
    let mut in_group = false;
    let mut position_in_group = 0;
    let mut seen = 0;
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if !c.is_ascii_digit() {
            in_group = false;
            out.push(c);
            continue;
        }
        if !in_group {
            in_group = true;
            group += 1;
            position_in_group = 0;
        }
        position_in_group += 1;
        seen += 1;
        let keep = match groups {
            0 | 1 => seen <= 3 && total >= 10 || seen > total.saturating_sub(4),
            2 => group == 1 || (group == 2 && position_in_group == 1),
            _ => group == 1 || group == groups,
        };
        out.push(if keep { c } else { '*' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn phone_keeps_separators_and_last_four_digits() {
        assert_eq!(mask("010-1234-5678"), "010-****-5678");
        assert_eq!(mask("01012345678"), "010****5678");
    }

    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(mask("kim.minji@example.com"), "k***@example.com");
    }

    #[test]
    fn names_keep_only_their_first_character() {
        assert_eq!(mask("김민지"), "김**");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn a_long_text_does_not_reveal_its_length() {
        assert_eq!(mask(&"a".repeat(500)), format!("a{}", "*".repeat(8)));
    }

    #[test]
    fn resident_number_keeps_birth_date_and_gender_digit() {
        assert_eq!(mask("901231-1234567"), "901231-1******");
    }

    #[test]
    fn card_keeps_first_and_last_group() {
        assert_eq!(mask("9410 1234 5678 1234"), "9410 **** **** 1234");
    }
}
