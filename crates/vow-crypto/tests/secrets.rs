#![allow(clippy::unwrap_used)]

use vow_crypto::{ct_eq, hash_secret, new_api_secret, normalise_for_lookup, verify_secret};

#[test]
fn argon2_hash_verifies_the_right_secret_and_rejects_a_wrong_one() {
    let phc = hash_secret("correct horse battery staple").unwrap();
    assert!(verify_secret(&phc, "correct horse battery staple"));
    assert!(!verify_secret(&phc, "correct horse battery stapler"));
    assert!(!verify_secret(&phc, ""));
}

#[test]
fn argon2_hash_uses_owasp_parameters_and_a_random_salt() {
    let a = hash_secret("pw").unwrap();
    let b = hash_secret("pw").unwrap();
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    assert_ne!(a, b);
    let plain = "a-plaintext-secret-that-must-not-appear";
    assert!(!hash_secret(plain).unwrap().contains(plain));
}

#[test]
fn malformed_or_foreign_phc_strings_do_not_verify() {
    assert!(!verify_secret("", "pw"));
    assert!(!verify_secret("$argon2id$v=19$garbage", "pw"));
    assert!(!verify_secret("plaintext-password", "plaintext-password"));
    let argon2i = hash_secret("pw")
        .unwrap()
        .replacen("argon2id", "argon2i", 1);
    assert!(!verify_secret(&argon2i, "pw"));
}

#[test]
fn ct_eq_compares_contents_and_length() {
    assert!(ct_eq(b"abc", b"abc"));
    assert!(!ct_eq(b"abc", b"abd"));
    assert!(!ct_eq(b"abc", b"ab"));
    assert!(ct_eq(b"", b""));
}

#[test]
fn api_secrets_carry_the_vow_prefix_and_are_url_safe_and_unique() {
    let a = new_api_secret();
    let b = new_api_secret();
    assert!(a.starts_with("vow_"));
    assert_eq!(a.len(), 4 + 43);
    assert!(a[4..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert_ne!(a, b);
}

#[test]
fn email_is_trimmed_and_lowercased_for_lookup() {
    assert_eq!(
        normalise_for_lookup("user.contact.email", "  Kim@Example.COM\n"),
        "kim@example.com"
    );
}

#[test]
fn korean_phone_numbers_normalise_to_domestic_digits() {
    for v in [
        "010-1234-5678",
        "+82 10 1234 5678",
        "82-10-1234-5678",
        "+82 (0)10-1234-5678",
        "(010) 1234.5678",
    ] {
        assert_eq!(
            normalise_for_lookup("user.contact.phone", v),
            "01012345678",
            "{v}"
        );
    }
    assert_eq!(
        normalise_for_lookup("user.contact.phone", "+1 415 555 0100"),
        "14155550100"
    );
}

#[test]
fn other_values_are_trimmed_and_nfc_normalised_but_keep_case() {
    // "한" as decomposed jamo (NFD) becomes the precomposed syllable.
    let nfd = "\u{1112}\u{1161}\u{11AB}";
    assert_eq!(normalise_for_lookup("user.name", &format!(" {nfd} ")), "한");
    assert_eq!(
        normalise_for_lookup("user.account.login_id", " KimA "),
        "KimA"
    );
}

#[test]
fn stored_hash_with_absurd_memory_cost_is_refused_without_computing_it() {
    let phc = hash_secret("pw")
        .unwrap()
        .replacen("m=19456", "m=4194304", 1);
    assert!(!verify_secret(&phc, "pw"));
}

mod properties {
    use proptest::prelude::*;
    use vow_crypto::normalise_for_lookup;

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(cat in prop::sample::select(vec!["user.contact.email", "user.contact.phone", "user.name"]), v in ".{0,40}") {
            let once = normalise_for_lookup(cat, &v);
            prop_assert_eq!(normalise_for_lookup(cat, &once), once);
        }
    }
}
