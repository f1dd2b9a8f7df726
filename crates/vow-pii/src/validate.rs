//! Checksums and format rules, on ASCII digit strings. Pure functions: every recognizer's validation lives
//! here so that it can be tested (and property-tested) on its own.

/// The value of an ASCII digit string as digits (`b'7'` → 7). Callers pass digits only.
fn d(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// Luhn (ISO/IEC 7812) check over a digit string.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0;
    for (i, &b) in digits.iter().rev().enumerate() {
        let mut v = d(b);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Whether a card number of this length starts with a prefix some issuer uses: international brands and
/// Korean domestic-only cards (BINs starting with 9, e.g. BC 9410, 국민 9445).
pub fn card_issuer_known(digits: &[u8]) -> bool {
    let n = digits.len();
    let p = |k: usize| -> u32 { digits.iter().take(k).fold(0, |a, &b| a * 10 + d(b)) };
    match digits.first() {
        Some(b'4') => matches!(n, 13 | 16 | 19), // Visa
        Some(b'5') => {
            (51..=55).contains(&p(2)) && n == 16
                || (50..=59).contains(&p(2)) && (12..=19).contains(&n)
        } // Mastercard, Maestro
        Some(b'2') => (2221..=2720).contains(&p(4)) && n == 16 || p(4) == 2200 || p(4) == 2201, // Mastercard 2-series, Mir
        Some(b'3') => {
            let p2 = p(2);
            (p2 == 34 || p2 == 37) && n == 15                         // American Express
                || (3528..=3589).contains(&p(4)) && (16..=19).contains(&n) // JCB
                || ((300..=305).contains(&p(3)) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n)
            // Diners
        }
        Some(b'6') => (16..=19).contains(&n) || n == 13, // Discover, UnionPay, Maestro, RuPay
        Some(b'9') => (16..=19).contains(&n),            // Korean domestic-only cards
        Some(b'1') => p(1) == 1 && n == 15,              // UATP
        _ => false,
    }
}

/// Whether YYMMDD, in the century the seventh (gender) digit implies, is a real date.
pub fn rrn_date_valid(digits: &[u8]) -> bool {
    if digits.len() < 7 {
        return false;
    }
    // 9 and 0 mark births in the 1800s: nobody holding such a number is alive, so a number with them is a
    // look-alike.
    let century = match digits[6] {
        b'1' | b'2' | b'5' | b'6' => 1900,
        b'3' | b'4' | b'7' | b'8' => 2000,
        _ => return false,
    };
    let year = century + d(digits[0]) * 10 + d(digits[1]);
    let month = d(digits[2]) * 10 + d(digits[3]);
    let day = d(digits[4]) * 10 + d(digits[5]);
    day >= 1 && day <= days_in_month(year, month)
}

/// Days in a month of the Gregorian calendar; 0 for a month that does not exist.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn rrn_weighted_sum(digits: &[u8]) -> u32 {
    const W: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    digits.iter().zip(W).map(|(&b, w)| d(b) * w).sum()
}

/// The check digit of resident numbers issued before October 2020 (since then the last six digits are
/// random, so a failing check does not mean the number is not real).
pub fn rrn_checksum(digits: &[u8]) -> bool {
    digits.len() == 13 && (11 - rrn_weighted_sum(digits) % 11) % 10 == d(digits[12])
}

/// Foreigner registration numbers are checked with either of two formulas seen in the wild: the resident
/// number formula, and the older foreigner formula `(13 - sum % 11) % 10`.
pub fn frn_checksum(digits: &[u8]) -> bool {
    if digits.len() != 13 {
        return false;
    }
    let sum = rrn_weighted_sum(digits);
    let check = d(digits[12]);
    (11 - sum % 11) % 10 == check || (13 - sum % 11) % 10 == check
}

/// 사업자등록번호 check digit (weights 1,3,7,1,3,7,1,3,5).
pub fn brn_checksum(digits: &[u8]) -> bool {
    if digits.len() != 10 {
        return false;
    }
    const W: [u32; 9] = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let mut sum: u32 = digits.iter().zip(W).map(|(&b, w)| d(b) * w).sum();
    sum += d(digits[8]) * 5 / 10;
    (10 - sum % 10) % 10 == d(digits[9])
}

/// US SSN structural rules: area not 000, 666 or 900–999; group not 00; serial not 0000.
pub fn ssn_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let area = d(digits[0]) * 100 + d(digits[1]) * 10 + d(digits[2]);
    let group = d(digits[3]) * 10 + d(digits[4]);
    let serial: u32 = digits[5..].iter().fold(0, |a, &b| a * 10 + d(b));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// IBAN mod-97 check over the compact form (letters and digits only, upper case).
pub fn iban_valid(compact: &[u8]) -> bool {
    if !(15..=34).contains(&compact.len())
        || !compact[..2].iter().all(u8::is_ascii_uppercase)
        || !compact[2..4].iter().all(u8::is_ascii_digit)
        || !compact
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    if let Some(len) = iban_length(&compact[..2]) {
        if len != compact.len() {
            return false;
        }
    }
    let mut rem: u32 = 0;
    for &b in compact[4..].iter().chain(&compact[..4]) {
        if b.is_ascii_digit() {
            rem = (rem * 10 + d(b)) % 97;
        } else {
            rem = (rem * 100 + u32::from(b - b'A') + 10) % 97;
        }
    }
    rem == 1
}

/// IBAN lengths of the countries most seen in European and Korean business data.
fn iban_length(country: &[u8]) -> Option<usize> {
    Some(match country {
        b"DE" => 22,
        b"GB" => 22,
        b"FR" => 27,
        b"ES" => 24,
        b"IT" => 27,
        b"NL" => 18,
        b"BE" => 16,
        b"CH" => 21,
        b"AT" => 20,
        b"IE" => 22,
        b"PL" => 28,
        b"SE" => 24,
        b"DK" => 18,
        b"FI" => 18,
        b"NO" => 15,
        b"PT" => 25,
        b"LU" => 20,
        _ => return None,
    })
}

/// Korean driver-licence region codes (11–26 and 28).
pub fn driver_region_valid(code: u32) -> bool {
    (11..=26).contains(&code) || code == 28
}

/// Korean mobile and geographic prefixes. Returns the prefix length when `digits` (national form, leading
/// 0) starts with one.
pub fn kr_phone_prefix(digits: &[u8]) -> Option<usize> {
    if digits.len() < 9 || digits[0] != b'0' {
        return None;
    }
    let p3 = &digits[..3];
    match p3 {
        b"010" | b"011" | b"016" | b"017" | b"018" | b"019" | b"070" | b"080" | b"060" => Some(3),
        b"031" | b"032" | b"033" | b"041" | b"042" | b"043" | b"044" | b"051" | b"052" | b"053"
        | b"054" | b"055" | b"061" | b"062" | b"063" | b"064" => Some(3),
        _ if digits.starts_with(b"02") => Some(2),
        _ if digits.starts_with(b"050") && (b'2'..=b'8').contains(&digits[3]) => Some(4),
        _ => None,
    }
}
