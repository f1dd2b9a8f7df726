//! Pseudonyms of the structured kinds are values of their kind: valid by the kind's own rules, found by
//! vow's scanner as that kind, the same for the same key and value, and different under another key.

use proptest::prelude::*;
use vow_pii::validate::{brn_checksum, frn_checksum, iban_valid, luhn, rrn_checksum, ssn_valid};
use vow_pii::{Entity, Key, Operator, Redactor, Scanner};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER_KEY: &[u8] = b"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

fn pseudonym(key: &[u8], entity: Entity, value: &str) -> String {
    let mut out = Vec::new();
    Redactor::new(Operator::Pseudonymize)
        .with_key(Key::from_material(key).expect("a 64-hex-digit key"))
        .replace(entity, value.as_bytes(), &mut out);
    String::from_utf8(out).expect("pseudonyms are UTF-8")
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).collect()
}

/// `body` with the one last digit that makes `ok` hold.
fn with_check(body: &[u8], ok: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    (b'0'..=b'9').find_map(|c| {
        let mut d = body.to_vec();
        d.push(c);
        ok(&d).then_some(d)
    })
}

fn text(d: &[u8]) -> String {
    String::from_utf8(d.to_vec()).unwrap_or_default()
}

/// A valid value of a structured kind, written as people write it.
fn valid_value() -> impl Strategy<Value = (Entity, String)> {
    let d = |n: usize| prop::collection::vec(b'0'..=b'9', n);
    prop_oneof![
        (d(8), 0..3usize).prop_map(|(x, form)| {
            let (a, b) = (text(&x[..4]), text(&x[4..]));
            let a = format!("{}{}", (b'2' + x[0] % 8) as char, &a[1..]);
            let v = match form {
                0 => format!("010-{a}-{b}"),
                1 => format!("+82 10 {a} {b}"),
                _ => format!("010{a}{b}"),
            };
            (Entity::KrPhone, v)
        }),
        d(7).prop_map(|x| (
            Entity::KrPhone,
            format!(
                "02-{}{}-{}",
                (b'2' + x[0] % 8) as char,
                text(&x[1..3]),
                text(&x[3..])
            )
        )),
        (d(10), 0..3usize).prop_map(|(x, form)| {
            let area = format!("{}{}", (b'2' + x[0] % 8) as char, text(&x[1..3]));
            let exch = format!("{}{}", (b'2' + x[3] % 8) as char, text(&x[4..6]));
            let line = text(&x[6..]);
            let v = match form {
                0 => format!("({area}) {exch}-{line}"),
                1 => format!("+1 {area} {exch} {line}"),
                _ => format!("{area}-{exch}-{line}"),
            };
            (Entity::Phone, v)
        }),
        (d(14), 0..3usize).prop_filter_map("a check digit", |(x, brand)| {
            let (prefix, len): (&[u8], usize) = match brand {
                0 => (b"4", 16),
                1 => (b"52", 16),
                _ => (b"37", 15),
            };
            let mut body = prefix.to_vec();
            body.extend_from_slice(&x[..len - 1 - prefix.len()]);
            let n = with_check(&body, luhn)?;
            let s = text(&n);
            let v = if len == 15 {
                format!("{} {} {}", &s[..4], &s[4..10], &s[10..])
            } else {
                format!("{}-{}-{}-{}", &s[..4], &s[4..8], &s[8..12], &s[12..])
            };
            Some((Entity::CreditCard, v))
        }),
        (1950u32..2009, 1u32..13, 1u32..29, d(5), prop::bool::ANY).prop_filter_map(
            "a check digit",
            |(y, m, day, x, foreign)| {
                let gender = match (y >= 2000, foreign) {
                    (false, false) => b'1',
                    (true, false) => b'3',
                    (false, true) => b'5',
                    (true, true) => b'7',
                };
                let mut body = format!("{:02}{m:02}{day:02}", y % 100).into_bytes();
                body.push(gender);
                body.extend_from_slice(&x);
                let n = if foreign {
                    with_check(&body, frn_checksum)?
                } else {
                    with_check(&body, rrn_checksum)?
                };
                let s = text(&n);
                let kind = if foreign {
                    Entity::KrFrn
                } else {
                    Entity::KrRrn
                };
                Some((kind, format!("{}-{}", &s[..6], &s[6..])))
            }
        ),
        d(9).prop_filter_map("a check digit", |x| {
            let n = with_check(&x, brn_checksum)?;
            let s = text(&n);
            Some((
                Entity::KrBrn,
                format!("{}-{}-{}", &s[..3], &s[3..5], &s[5..]),
            ))
        }),
        (100u32..900, 1u32..100, 1u32..10000).prop_filter_map("a used area", |(a, g, s)| {
            (a != 666).then(|| (Entity::UsSsn, format!("{a:03}-{g:02}-{s:04}")))
        }),
        d(18).prop_filter_map("check digits", |x| {
            let bban = text(&x);
            (0..100u32).find_map(|c| {
                let iban = format!("DE{c:02}{bban}");
                iban_valid(iban.as_bytes()).then(|| {
                    let spaced: Vec<String> = iban.as_bytes().chunks(4).map(text).collect();
                    (Entity::Iban, spaced.join(" "))
                })
            })
        }),
        d(8).prop_map(|x| (Entity::KrPassport, format!("M{}", text(&x)))),
        d(10).prop_map(|x| (
            Entity::KrDriverLicense,
            format!("11-{}-{}-{}", text(&x[..2]), text(&x[2..8]), text(&x[8..]))
        )),
        (1u8..=254, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c)| (Entity::IpAddress, format!("203.{a}.{b}.{c}"))),
    ]
}

/// Whether `v` is a valid value of `entity` by the kind's own rules.
fn valid(entity: Entity, v: &str) -> bool {
    let d = digits(v);
    let nxx = |x: &[u8]| (b'2'..=b'9').contains(&x[0]) && x[1..] != *b"11";
    match entity {
        Entity::KrPhone => {
            let national = if v.starts_with("+82") {
                [&b"0"[..], &d[2..]].concat()
            } else {
                d.clone()
            };
            let prefix = if national.starts_with(b"02") { 2 } else { 3 };
            (national.starts_with(b"010") || national.starts_with(b"02"))
                && (b'2'..=b'9').contains(&national[prefix])
        }
        Entity::Phone => {
            let n = if d.len() == 11 { &d[1..] } else { &d[..] };
            n.len() == 10 && nxx(&n[..3]) && nxx(&n[3..6])
        }
        Entity::CreditCard => luhn(&d) && vow_pii::validate::card_issuer_known(&d),
        Entity::KrRrn => rrn_checksum(&d) && vow_pii::validate::rrn_date_valid(&d),
        Entity::KrFrn => frn_checksum(&d) && vow_pii::validate::rrn_date_valid(&d),
        Entity::KrBrn => brn_checksum(&d),
        Entity::UsSsn => ssn_valid(&d),
        Entity::Iban => {
            let compact: Vec<u8> = v.bytes().filter(u8::is_ascii_alphanumeric).collect();
            iban_valid(&compact)
        }
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn a_pseudonym_of_a_valid_value_is_a_valid_value_of_its_kind_found_as_that_kind(
        (entity, value) in valid_value()
    ) {
        prop_assume!(valid(entity, &value));
        let fake = pseudonym(KEY, entity, &value);
        prop_assert!(valid(entity, &fake), "{entity}: {value} -> {fake} is not valid");
        let found = Scanner::new().scan(fake.as_bytes());
        prop_assert!(
            found.len() == 1
                && found[0].entity == entity
                && found[0].start == 0
                && found[0].end == fake.len(),
            "{entity}: {value} -> {fake}, found {found:?}"
        );
    }

    #[test]
    fn a_pseudonym_is_the_same_under_one_key_and_differs_under_another(
        (entity, value) in valid_value()
    ) {
        let fake = pseudonym(KEY, entity, &value);
        prop_assert_eq!(&fake, &pseudonym(KEY, entity, &value));
        prop_assert_ne!(&fake, &pseudonym(OTHER_KEY, entity, &value));
        // Numbers keep their length and separators; an IPv4 address becomes one of 10.0.0.0/8.
        if entity != Entity::IpAddress {
            prop_assert_eq!(fake.len(), value.len());
        }
    }
}

#[test]
fn a_korean_mobile_stays_a_mobile_and_a_us_number_keeps_its_area_code() {
    let kr = pseudonym(KEY, Entity::KrPhone, "+82 10 9876 5432");
    assert!(kr.starts_with("+82 10 "), "{kr}");
    let us = pseudonym(KEY, Entity::Phone, "(415) 555-0132");
    assert!(us.starts_with("(415) "), "{us}");
    assert!(valid(Entity::Phone, &us), "{us}");
    let card = pseudonym(KEY, Entity::CreditCard, "5500-0000-0000-0004");
    assert!(card.starts_with("5500-00"), "{card}");
}
