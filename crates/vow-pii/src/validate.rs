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

/// Whether thirteen digits pass the EAN-13 (GTIN) check: weights 1 and 3 alternating, sum a multiple of 10.
pub fn ean13_valid(digits: &[u8]) -> bool {
    digits.len() == 13
        && digits.iter().all(u8::is_ascii_digit)
        && digits
            .iter()
            .enumerate()
            .map(|(i, &b)| d(b) * if i % 2 == 0 { 1 } else { 3 })
            .sum::<u32>()
            % 10
            == 0
}

/// Whether a card number of this length starts with a prefix some issuer uses, at a length that issuer
/// issues: international brands and Korean domestic-only cards (BINs starting with 9, e.g. BC 9410, 국민
/// 9445). Only Visa still has 13-digit numbers; every other brand's length is checked with its prefix, so a
/// 13-digit number that happens to pass Luhn is not a card because it starts with 6.
pub fn card_issuer_known(digits: &[u8]) -> bool {
    let n = digits.len();
    let p = |k: usize| -> u32 { digits.iter().take(k).fold(0, |a, &b| a * 10 + d(b)) };
    let modern = (16..=19).contains(&n);
    let brand = match digits.first() {
        Some(b'4') => matches!(n, 13 | 16 | 19), // Visa (13 digits: old cards still valid)
        Some(b'5') => {
            let p2 = p(2);
            (51..=55).contains(&p2) && n == 16 // Mastercard
                || (p2 == 50 || (56..=59).contains(&p2)) && modern // Maestro, Dankort, Verve, Elo
        }
        Some(b'2') => {
            (2221..=2720).contains(&p(4)) && n == 16 // Mastercard 2-series
                || (2200..=2204).contains(&p(4)) && modern // Mir
        }
        Some(b'3') => {
            let p2 = p(2);
            (p2 == 34 || p2 == 37) && n == 15                         // American Express
                || p2 == 35 && modern                                     // JCB (3528-3589 and test ranges)
                || ((300..=305).contains(&p(3)) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n)
            // Diners
        }
        Some(b'6') => modern, // Discover, UnionPay, Maestro, RuPay, Troy, Verve
        Some(b'8') => (8100..=8171).contains(&p(4)) && modern, // UnionPay 81 series
        Some(b'9') => modern, // Korean domestic-only cards, Troy
        Some(b'1') => n == 15, // UATP, and JCB's old 1800 range
        _ => false,
    };
    brand
        || match n {
            // JCB's old fifteen-digit range, and twelve-digit Maestro cards.
            15 if p(4) == 2131 || p(4) == 1800 => true,
            12 => {
                matches!(
                    p(4),
                    5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763 | 6390 | 604
                ) || (56..=58).contains(&p(2))
            }
            _ => false,
        }
}

/// A calendar date, for "not in the future" checks. The crate never reads the clock: the caller says
/// what today is ([`crate::Scanner::with_today`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: u32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
}

impl Date {
    /// The civil (proleptic Gregorian, UTC) date `days` days after 1970-01-01, for callers that hold a
    /// Unix time; `None` before year 1 or past year 1,000,000.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        if !(-719_162..=364_000_000).contains(&days) {
            return None;
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Some(Date {
            year: u32::try_from(year).ok()?,
            month: u32::try_from(month).ok()?,
            day: u32::try_from(day).ok()?,
        })
    }
}

/// The birth date a resident or foreigner number states (YYMMDD in the century its seventh digit
/// implies), or `None` when the date does not exist.
pub fn rrn_birth_date(digits: &[u8]) -> Option<Date> {
    if digits.len() < 7 || !digits[..7].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // 9 and 0 mark births in the 1800s: nobody holding such a number is alive, so a number with them is a
    // look-alike.
    let century = match digits[6] {
        b'1' | b'2' | b'5' | b'6' => 1900,
        b'3' | b'4' | b'7' | b'8' => 2000,
        _ => return None,
    };
    let year = century + d(digits[0]) * 10 + d(digits[1]);
    let month = d(digits[2]) * 10 + d(digits[3]);
    let day = d(digits[4]) * 10 + d(digits[5]);
    (day >= 1 && day <= days_in_month(year, month)).then_some(Date { year, month, day })
}

/// Whether YYMMDD, in the century the seventh (gender) digit implies, is a real date.
pub fn rrn_date_valid(digits: &[u8]) -> bool {
    rrn_birth_date(digits).is_some()
}

/// Whether a resident or foreigner number states a real birth date that is not after `today`: a number
/// for someone born in 2088 (the shape of a Korean EAN-13 barcode, `880…`) is a look-alike.
pub fn rrn_date_valid_on(digits: &[u8], today: Date) -> bool {
    rrn_birth_date(digits).is_some_and(|born| born <= today)
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

/// IBAN mod-97 check over the compact form (letters and digits only, upper case), with the length the
/// country's registry entry fixes: a prefix of a longer number that happens to pass mod-97 is not an IBAN,
/// nor is a number for a country that has no IBAN.
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
    if iban_length(&compact[..2]) != Some(compact.len()) {
        return false;
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

/// IBAN lengths by country, from the SWIFT IBAN registry (release 99, 2025); `None` for a country that
/// does not use IBANs.
pub fn iban_length(country: &[u8]) -> Option<usize> {
    const TABLE: &[(&[u8; 2], u8)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BI", 27),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DJ", 27),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FK", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HN", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IQ", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LC", 32),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"LY", 25),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MN", 20),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NI", 28),
        (b"NL", 18),
        (b"NO", 15),
        (b"OM", 23),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"RU", 33),
        (b"SA", 24),
        (b"SC", 31),
        (b"SD", 18),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"SO", 23),
        (b"ST", 25),
        (b"SV", 28),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
        (b"YE", 30),
    ];
    TABLE
        .iter()
        .find(|(c, _)| c.as_slice() == country)
        .map(|&(_, n)| usize::from(n))
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
