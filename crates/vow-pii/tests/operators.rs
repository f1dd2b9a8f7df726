//! Each operator's promise.
#![allow(clippy::unwrap_used)]

use vow_pii::{
    decrypt_tokens, DecryptError, Entity, Key, KeyError, Operator, Redactor, Scanner, Validation,
};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
const OTHER_KEY: &[u8] = b"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

fn key() -> Key {
    Key::from_material(KEY).unwrap()
}

fn redact(op: Operator, text: &str) -> String {
    let r = Redactor::new(op).with_key(key());
    let found = Scanner::new().scan(text.as_bytes());
    let mut out = Vec::new();
    r.apply(text.as_bytes(), &found, &mut out);
    String::from_utf8(out).unwrap()
}

fn one(op: Operator, entity: Entity, value: &str) -> String {
    let mut out = Vec::new();
    Redactor::new(op)
        .with_key(key())
        .replace(entity, value.as_bytes(), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn mask_keeps_the_parts_people_recognise() {
    assert_eq!(
        one(Operator::Mask, Entity::KrPhone, "010-1234-5678"),
        "010-****-5678"
    );
    assert_eq!(
        one(Operator::Mask, Entity::KrPhone, "02-123-4567"),
        "02-***-4567"
    );
    assert_eq!(
        one(Operator::Mask, Entity::KrRrn, "901231-1234563"),
        "901231-1******"
    );
    assert_eq!(
        one(Operator::Mask, Entity::CreditCard, "4111-1111-1111-1111"),
        "****-****-****-1111"
    );
    assert_eq!(
        one(Operator::Mask, Entity::Email, "kim@example.com"),
        "k**@example.com"
    );
    assert_eq!(
        one(Operator::Mask, Entity::IpAddress, "192.168.10.20"),
        "192.168.**.**"
    );
}

#[test]
fn mask_keeps_the_text_around_byte_for_byte() {
    assert_eq!(
        redact(
            Operator::Mask,
            "연락처는 010-1234-5678이고 주민번호는 901231-1234563이에요."
        ),
        "연락처는 010-****-5678이고 주민번호는 901231-1******이에요."
    );
}

#[test]
fn replace_writes_the_kind_in_angle_brackets() {
    assert_eq!(
        redact(Operator::Replace, "메일 kim@example.com 입니다"),
        "메일 <EMAIL> 입니다"
    );
}

#[test]
fn hash_is_the_same_for_the_same_value_in_every_spelling_and_run() {
    let a = one(Operator::Hash, Entity::KrPhone, "010-1234-5678");
    let b = one(Operator::Hash, Entity::KrPhone, "01012345678");
    let c = one(Operator::Hash, Entity::KrPhone, "+82 10-1234-5678");
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert!(
        a.starts_with("<KR_PHONE:") && a.len() == "<KR_PHONE:>".len() + 32,
        "{a}"
    );
    assert_ne!(a, one(Operator::Hash, Entity::KrPhone, "010-1234-5679"));
}

#[test]
fn hash_differs_with_another_key() {
    let mut other = Vec::new();
    Redactor::new(Operator::Hash)
        .with_key(Key::from_material(OTHER_KEY).unwrap())
        .replace(Entity::Email, b"kim@example.com", &mut other);
    assert_ne!(
        String::from_utf8(other).unwrap(),
        one(Operator::Hash, Entity::Email, "kim@example.com")
    );
}

#[test]
fn pseudonym_is_consistent_and_differs_from_the_real_value() {
    let a = one(Operator::Pseudonymize, Entity::KrPhone, "010-1234-5678");
    assert_eq!(
        a,
        one(Operator::Pseudonymize, Entity::KrPhone, "010-1234-5678")
    );
    assert_ne!(a, "010-1234-5678");
    assert!(
        a.starts_with("010-") && a.len() == 13 && a.as_bytes()[8] == b'-',
        "{a}"
    );
    assert_ne!(
        a,
        one(Operator::Pseudonymize, Entity::KrPhone, "010-1234-5679")
    );
}

#[test]
fn pseudonymous_resident_number_has_a_real_date_and_a_valid_check_digit() {
    for real in ["901231-1234563", "020101-3234561", "851111-2999995"] {
        let fake = one(Operator::Pseudonymize, Entity::KrRrn, real);
        assert_eq!(fake.len(), real.len());
        assert_eq!(fake.as_bytes()[6], b'-');
        let f = Scanner::new().scan(fake.as_bytes());
        assert_eq!(f.len(), 1, "{fake}");
        assert_eq!(f[0].entity, Entity::KrRrn);
        assert_eq!(f[0].validation, Validation::Checksum, "{fake}");
    }
}

#[test]
fn pseudonymous_card_passes_luhn_and_keeps_its_groups() {
    let fake = one(
        Operator::Pseudonymize,
        Entity::CreditCard,
        "4111 1111 1111 1111",
    );
    assert_eq!(fake.len(), 19);
    assert!(fake.starts_with('4'));
    let digits: Vec<u8> = fake.bytes().filter(u8::is_ascii_digit).collect();
    assert!(vow_pii::validate::luhn(&digits), "{fake}");
}

#[test]
fn a_pseudonym_is_written_in_the_script_of_the_name_it_replaces() {
    // A Latin name with diacritics gets a Latin fake, a Korean name a Korean one.
    for latin in ["Łukasz Nowak", "Émile Dufour", "Minh Nguyễn"] {
        let fake = one(Operator::Pseudonymize, Entity::Person, latin);
        assert!(
            fake.chars().all(|c| c.is_ascii_alphabetic() || c == ' '),
            "{latin} became {fake}"
        );
    }
    let fake = one(Operator::Pseudonymize, Entity::Person, "김민수");
    assert!(
        fake.chars().all(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "김민수 became {fake}"
    );
}

#[test]
fn pseudonymous_email_keeps_a_common_domain_and_hides_others() {
    let a = one(Operator::Pseudonymize, Entity::Email, "kim@naver.com");
    assert!(a.ends_with("@naver.com") && !a.starts_with("kim"), "{a}");
    let b = one(
        Operator::Pseudonymize,
        Entity::Email,
        "ceo@small-company.co.kr",
    );
    assert!(b.ends_with("@example.com"), "{b}");
}

#[test]
fn encrypted_values_decrypt_with_the_same_key() {
    let text = "주민번호 901231-1234563, phone 010-1234-5678, mail kim@example.com";
    let enc = redact(Operator::Encrypt, text);
    assert!(!enc.contains("1234563") && !enc.contains("kim@"), "{enc}");
    assert!(enc.contains("<ENC:KR_RRN:"), "{enc}");
    let mut out = Vec::new();
    let n = decrypt_tokens(&key(), enc.as_bytes(), 0, &mut out).unwrap();
    assert_eq!(n, 3);
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

#[test]
fn encryption_is_deterministic_so_records_stay_joinable() {
    assert_eq!(
        one(Operator::Encrypt, Entity::Email, "kim@example.com"),
        one(Operator::Encrypt, Entity::Email, "kim@example.com")
    );
}

#[test]
fn decrypting_with_another_key_fails_and_names_the_position() {
    let enc = redact(Operator::Encrypt, "x 010-1234-5678");
    let other = Key::from_material(OTHER_KEY).unwrap();
    let err = decrypt_tokens(&other, enc.as_bytes(), 100, &mut Vec::new()).unwrap_err();
    assert_eq!(err, DecryptError::WrongKey(102));
}

#[test]
fn altered_token_is_refused() {
    let enc = redact(Operator::Encrypt, "x 010-1234-5678");
    let tampered = enc.replacen("<ENC:KR_PHONE:", "<ENC:EMAIL:", 1);
    assert!(decrypt_tokens(&key(), tampered.as_bytes(), 0, &mut Vec::new()).is_err());
    let broken = "<ENC:KR_PHONE:!!!>";
    assert_eq!(
        decrypt_tokens(&key(), broken.as_bytes(), 0, &mut Vec::new()).unwrap_err(),
        DecryptError::Malformed(0)
    );
}

#[test]
fn keyed_operator_without_a_key_is_refused() {
    assert!(Redactor::new(Operator::Hash).validate().is_err());
    assert!(Redactor::new(Operator::Mask)
        .with_operator(Entity::Email, Operator::Encrypt)
        .validate()
        .is_err());
    assert!(Redactor::new(Operator::Mask).validate().is_ok());
}

#[test]
fn keyed_operator_used_without_a_key_writes_the_tag_never_the_value() {
    let mut out = Vec::new();
    Redactor::new(Operator::Hash).replace(Entity::Email, b"kim@example.com", &mut out);
    assert_eq!(out, b"<EMAIL>");
}

#[test]
fn short_key_is_refused() {
    assert_eq!(
        Key::from_material(b"short\n").unwrap_err(),
        KeyError::TooShort(5)
    );
}

#[test]
fn key_debug_shows_only_a_fingerprint() {
    let k = key();
    let shown = format!("{k:?}");
    assert!(shown.starts_with("Key(fingerprint "), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn per_kind_operator_overrides_the_default() {
    let r = Redactor::new(Operator::Mask).with_operator(Entity::Email, Operator::Keep);
    let text = "010-1234-5678 kim@example.com";
    let found = Scanner::new().scan(text.as_bytes());
    let mut out = Vec::new();
    r.apply(text.as_bytes(), &found, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "010-****-5678 kim@example.com"
    );
}

#[test]
fn decrypting_a_stream_restores_tokens_across_block_boundaries() {
    // Long enough that tokens straddle the 1 MiB blocks the stream is read in.
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 3 << 20 {
        text.push_str(&format!(
            "row {i} 010-{:04}-5678 kim{i}@example.com\n",
            i % 10000
        ));
        i += 1;
    }
    let text = text.replace('\n', " ");
    let enc = redact(Operator::Encrypt, &text);
    let mut out = Vec::new();
    let n = vow_pii::decrypt_stream(&key(), enc.as_bytes(), &mut out).unwrap();
    assert_eq!(n, 2 * i);
    assert!(out == text.as_bytes());
}

#[test]
fn pseudonymous_iban_ipv6_and_licence_stay_valid() {
    let iban = one(
        Operator::Pseudonymize,
        Entity::Iban,
        "DE89 3704 0044 0532 0130 00",
    );
    let compact: Vec<u8> = iban.bytes().filter(u8::is_ascii_alphanumeric).collect();
    assert!(
        iban.starts_with("DE") && vow_pii::validate::iban_valid(&compact),
        "{iban}"
    );
    let ip = one(
        Operator::Pseudonymize,
        Entity::IpAddress,
        "2001:db8::8a2e:370:7334",
    );
    assert!(ip.parse::<std::net::Ipv6Addr>().is_ok(), "{ip}");
    let dl = one(
        Operator::Pseudonymize,
        Entity::KrDriverLicense,
        "11-19-123456-01",
    );
    assert!(dl.starts_with("11-") && dl != "11-19-123456-01", "{dl}");
}

#[test]
fn a_masked_name_keeps_the_first_letter_of_each_word() {
    assert_eq!(one(Operator::Mask, Entity::Person, "김민수"), "김**");
    assert_eq!(
        one(Operator::Mask, Entity::Person, "John Smith"),
        "J*** S****"
    );
}

#[test]
fn a_masked_address_keeps_its_region() {
    assert_eq!(
        one(
            Operator::Mask,
            Entity::Address,
            "서울특별시 강남구 테헤란로 123, 4층"
        ),
        "서울특별시 강남구 ****"
    );
    assert_eq!(
        one(
            Operator::Mask,
            Entity::Address,
            "(06236) 서울특별시 강남구 역삼동 123-45"
        ),
        "서울특별시 강남구 ****"
    );
    assert_eq!(
        one(
            Operator::Mask,
            Entity::Address,
            "경기도 성남시 분당구 판교역로 235"
        ),
        "경기도 성남시 분당구 ****"
    );
    assert_eq!(
        one(Operator::Mask, Entity::Address, "강남구 테헤란로 123, 4층"),
        "강남구 ****"
    );
    assert_eq!(
        one(
            Operator::Mask,
            Entity::Address,
            "1600 Pennsylvania Avenue NW, Washington, DC 20500"
        ),
        "****, Washington, DC 20500"
    );
}

#[test]
fn a_pseudonymised_address_stays_in_its_region_and_a_name_stays_a_name() {
    let a = one(
        Operator::Pseudonymize,
        Entity::Address,
        "서울특별시 강남구 테헤란로 123, 4층",
    );
    assert!(a.starts_with("서울특별시 강남구 "), "{a}");
    assert!(!a.contains("테헤란로 123"), "{a}");
    // The fake is itself read as an address in the same region.
    let f = Scanner::new().scan(format!("주소: {a}").as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].entity, Entity::Address);
    let us = one(
        Operator::Pseudonymize,
        Entity::Address,
        "1600 Pennsylvania Avenue NW, Washington, DC 20500",
    );
    assert!(us.ends_with(", Washington, DC 20500"), "{us}");
    assert!(!us.starts_with("1600 Pennsylvania"), "{us}");
    let n = one(Operator::Pseudonymize, Entity::Person, "김민수");
    assert_eq!(n.chars().count(), 3);
    assert_ne!(n, "김민수");
    assert_eq!(n, one(Operator::Pseudonymize, Entity::Person, "김민수"));
    let e = one(Operator::Pseudonymize, Entity::Person, "John Smith");
    assert_eq!(e.split(' ').count(), 2, "{e}");
    assert_ne!(e, "John Smith");
}

#[test]
fn a_masked_us_address_keeps_only_its_last_line() {
    let mask = |text: &str| {
        let f = Scanner::new().scan(text.as_bytes());
        assert_eq!(f.len(), 1, "{text:?}: {f:?}");
        let mut out = Vec::new();
        Redactor::new(Operator::Mask).apply(text.as_bytes(), &f, &mut out);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(
        mask("44492 Mariah Ferry Suite 219, New Emilyside, AL 34476"),
        "****, New Emilyside, AL 34476"
    );
    assert_eq!(
        mask("5020 Valerie Spur\nKevinbury, MP 47067"),
        "****\nKevinbury, MP 47067"
    );
    // The unit and box of a military address are as personal as a street.
    assert_eq!(
        mask("PSC 2905, Box 1114, APO AA 33131"),
        "****, APO AA 33131"
    );
}
