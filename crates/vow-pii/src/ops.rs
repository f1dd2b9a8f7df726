//! Operators: what replaces a finding. Each keeps the text around it byte for byte.

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::key::{hex, Key};
use crate::validate::{brn_checksum, days_in_month, luhn, rrn_checksum};
use crate::{Entity, Finding};

/// What to put in place of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Hide all but the parts people use to recognise their own data: `010-****-5678`, `901231-1******`.
    Mask,
    /// The kind in angle brackets: `<KR_RRN>`.
    Replace,
    /// A keyed HMAC-SHA256 of the value: the same value gives the same tag in every file and run with the
    /// same key, so records can still be joined. `<KR_PHONE:3f0c…>`.
    Hash,
    /// A consistent, format-preserving fake: the same real value always becomes the same fake (with the
    /// same key), and fakes keep separators, length and validity (dates, check digits, Luhn).
    Pseudonymize,
    /// Reversible: AES-256-GCM-SIV, deterministic, as `<ENC:KR_RRN:base64url>`; `decrypt_tokens` restores it.
    Encrypt,
    /// Leave the value as it is (for kinds a dataset may keep).
    Keep,
}

impl Operator {
    /// Parses an operator name: mask, replace, hash, pseudonymize (or pseudonymise), encrypt, keep.
    pub fn parse(name: &str) -> Option<Operator> {
        Some(match name.to_ascii_lowercase().as_str() {
            "mask" => Operator::Mask,
            "replace" | "tag" => Operator::Replace,
            "hash" => Operator::Hash,
            "pseudonymize" | "pseudonymise" | "fake" => Operator::Pseudonymize,
            "encrypt" => Operator::Encrypt,
            "keep" => Operator::Keep,
            _ => return None,
        })
    }

    /// Whether the operator needs a key.
    pub fn needs_key(self) -> bool {
        matches!(
            self,
            Operator::Hash | Operator::Pseudonymize | Operator::Encrypt
        )
    }
}

/// Applies operators to findings: a default, and a choice per kind.
#[derive(Clone, Debug)]
pub struct Redactor {
    default: Operator,
    per_entity: [Option<Operator>; Entity::ALL.len()],
    key: Option<Key>,
}

/// Why a redactor could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RedactorError {
    /// A keyed operator was chosen without a key.
    #[error("the {0:?} operator needs a key (--key-file); make one with `openssl rand -hex 32 > vow.key`")]
    NeedsKey(Operator),
}

impl Redactor {
    /// A redactor using `default` for every kind.
    pub fn new(default: Operator) -> Redactor {
        Redactor {
            default,
            per_entity: [None; Entity::ALL.len()],
            key: None,
        }
    }

    /// Uses `op` for `entity` instead of the default.
    pub fn with_operator(mut self, entity: Entity, op: Operator) -> Redactor {
        self.per_entity[entity as usize] = Some(op);
        self
    }

    /// Gives the keyed operators their key.
    pub fn with_key(mut self, key: Key) -> Redactor {
        self.key = Some(key);
        self
    }

    /// The operator used for `entity`.
    pub fn operator(&self, entity: Entity) -> Operator {
        self.per_entity[entity as usize].unwrap_or(self.default)
    }

    /// Checks that every keyed operator in use has a key.
    pub fn validate(&self) -> Result<(), RedactorError> {
        if self.key.is_some() {
            return Ok(());
        }
        match Entity::ALL
            .into_iter()
            .map(|e| self.operator(e))
            .find(|op| op.needs_key())
        {
            Some(op) => Err(RedactorError::NeedsKey(op)),
            None => Ok(()),
        }
    }

    /// Writes `text` to `out` with every finding replaced. Findings must be sorted and not overlap, as
    /// [`crate::Scanner::scan`] returns them.
    pub fn apply(&self, text: &[u8], findings: &[Finding], out: &mut Vec<u8>) {
        let mut at = 0;
        for f in findings {
            if f.start < at || f.end > text.len() {
                continue;
            }
            out.extend_from_slice(&text[at..f.start]);
            self.replace(f.entity, &text[f.start..f.end], out);
            at = f.end;
        }
        out.extend_from_slice(&text[at..]);
    }

    /// Writes the replacement of one value of kind `entity`.
    pub fn replace(&self, entity: Entity, value: &[u8], out: &mut Vec<u8>) {
        // `validate` refuses a keyed operator without a key; used without it anyway, a redactor degrades to
        // the type tag, never to clear text.
        let key = self.key.as_ref();
        let op = self.operator(entity);
        // A value written with the scanner's tricks (`０１０`, `kim&#64;…`, a zero-width space) is masked,
        // hashed and pseudonymised as the value it spells, so nothing of it stays readable and one value
        // keeps one hash and one pseudonym however it is written. Encryption keeps the bytes as they came.
        let normalized = match op {
            Operator::Mask | Operator::Hash | Operator::Pseudonymize => {
                crate::normalize::Normalized::of(value)
            }
            _ => None,
        };
        let value = normalized.as_ref().map_or(value, |n| n.text.as_slice());
        match op {
            Operator::Keep => out.extend_from_slice(value),
            Operator::Mask => mask(entity, value, out),
            Operator::Replace => tag(entity, out),
            Operator::Hash => match key {
                Some(k) => {
                    let mac = Key::mac(
                        k.hash_key(),
                        &[entity.as_str().as_bytes(), &normalize(entity, value)],
                    );
                    out.push(b'<');
                    out.extend_from_slice(entity.as_str().as_bytes());
                    out.push(b':');
                    out.extend_from_slice(hex(&mac[..16]).as_bytes());
                    out.push(b'>');
                }
                None => tag(entity, out),
            },
            Operator::Pseudonymize => match key {
                Some(k) => pseudonymize(k, entity, value, out),
                None => tag(entity, out),
            },
            Operator::Encrypt => match key {
                Some(k) => encrypt(k, entity, value, out),
                None => tag(entity, out),
            },
        }
    }
}

fn tag(entity: Entity, out: &mut Vec<u8>) {
    out.push(b'<');
    out.extend_from_slice(entity.as_str().as_bytes());
    out.push(b'>');
}

/// The form two spellings of one value share: digits only for numbers, lower case for e-mail.
fn normalize(entity: Entity, value: &[u8]) -> Vec<u8> {
    match entity {
        Entity::Email | Entity::Secret | Entity::IpAddress => value.to_ascii_lowercase(),
        // `John  Smith` and `john smith` are one person; `김민수` is itself.
        Entity::Person | Entity::Address => String::from_utf8_lossy(value)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .into_bytes(),
        Entity::KrPassport | Entity::Iban => value
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_uppercase)
            .collect(),
        _ => {
            let mut d: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
            // +82 10-… and 010-… are one number.
            if matches!(entity, Entity::KrPhone)
                && value.first() == Some(&b'+')
                && d.starts_with(b"82")
            {
                d.drain(..2);
                if d.first() != Some(&b'0') {
                    d.insert(0, b'0');
                }
            }
            d
        }
    }
}

/// Masking keeps length and separators and hides the characters that identify; names and addresses
/// are the exception: a name keeps its initials (`김**`), an address its region (`서울특별시 강남구 ****`).
fn mask(entity: Entity, value: &[u8], out: &mut Vec<u8>) {
    match entity {
        Entity::Person => return mask_person(value, out),
        Entity::Address => return mask_address(value, out),
        _ => {}
    }
    let start = out.len();
    out.extend_from_slice(value);
    let v = &mut out[start..];
    let count = |v: &[u8]| v.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let n = count(v);
    // Hides the letters and digits whose rank among the value's letters and digits is in `range`.
    let hide = |v: &mut [u8], range: std::ops::Range<usize>| {
        let mut k = 0;
        for b in v.iter_mut() {
            if b.is_ascii_alphanumeric() {
                if range.contains(&k) {
                    *b = b'*';
                }
                k += 1;
            }
        }
    };
    match entity {
        Entity::KrRrn | Entity::KrFrn => hide(v, 7.min(n)..n),
        Entity::KrPhone | Entity::Phone => {
            // Keep the first group (010, 02, +82 10) and the last four digits.
            let first_sep = v
                .iter()
                .skip(1)
                .position(|b| !b.is_ascii_alphanumeric())
                .map(|p| p + 1);
            let keep_head = match first_sep {
                Some(p) if p < v.len() / 2 + 2 => count(&v[..p]),
                _ => 3.min(n),
            };
            let keep_head = if value.first() == Some(&b'+') {
                // +82 10-1234-5678: keep the country code and the next group.
                let second = v
                    .iter()
                    .skip(keep_head + 2)
                    .position(|b| !b.is_ascii_alphanumeric());
                second.map_or(keep_head, |p| count(&v[..(p + keep_head + 2).min(v.len())]))
            } else {
                keep_head
            };
            hide(v, keep_head.min(n.saturating_sub(4))..n.saturating_sub(4));
        }
        Entity::Email => {
            let at = v.iter().position(|&b| b == b'@').unwrap_or(v.len());
            for b in v.iter_mut().take(at).skip(1) {
                *b = b'*';
            }
        }
        Entity::IpAddress => {
            // 192.168.*.* and 2001:db8:*:…: the network stays, the host goes.
            let sep = if v.contains(&b':') { b':' } else { b'.' };
            let mut seps = 0;
            for b in v.iter_mut() {
                if *b == sep {
                    seps += 1;
                } else if seps >= 2 && b.is_ascii_alphanumeric() {
                    *b = b'*';
                }
            }
        }
        Entity::Secret => hide(v, 4.min(n)..n),
        _ => hide(v, 0..n.saturating_sub(4)),
    }
}

/// A name keeps the first letter of each word: `김**`, `J*** S****`.
fn mask_person(value: &[u8], out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(value);
    let mut first = true;
    for c in text.chars() {
        if c.is_whitespace() || c == '-' || c == '.' {
            out.extend_from_slice(c.to_string().as_bytes());
            first = true;
        } else if first {
            out.extend_from_slice(c.to_string().as_bytes());
            first = false;
        } else {
            out.push(b'*');
        }
    }
}

/// The words of an address that name its region: a Korean province or metropolitan city and its 시·군·구
/// (`서울특별시 강남구`), or for a US address what follows the street (`, Washington, DC 20500`). Returns
/// (start and end of the leading region, start of the trailing region). A postal code before a Korean
/// address (`(06236) 서울특별시 …`) is not part of its region: it narrows it to a few streets.
fn address_region(value: &str) -> (usize, usize, usize) {
    let body = match value.split_once(' ') {
        Some((code, _))
            if !code.is_empty()
                && code
                    .trim_matches(['(', ')', '[', ']'])
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                && !value.is_ascii() =>
        {
            code.len() + 1
        }
        _ => 0,
    };
    let mut lead = body;
    let mut words = 0;
    for (i, w) in value[body..].split(' ').enumerate() {
        let region = if i == 0 {
            crate::names::is_ko_region_token(w)
                || w.chars().count() >= 2
                    && w.ends_with(['시', '군', '구'])
                    && !w.contains(|c: char| c.is_ascii_digit())
        } else {
            w.chars().count() >= 2
                && w.ends_with(['시', '군', '구'])
                && !w.contains(|c: char| c.is_ascii_digit())
        };
        if !region || words == 3 {
            break;
        }
        lead += w.len() + usize::from(i > 0);
        words += 1;
    }
    if words > 0 {
        return (body, lead, value.len());
    }
    // A US address: the region is its last line, city, state and ZIP (`, Washington, DC 20500`,
    // `\nKevinbury, MP 47067`, `APO AA 33131`), so a unit or box before it is hidden too.
    if !value.is_ascii() {
        return (0, 0, value.len());
    }
    if let Some(p) = ["APO ", "FPO ", "DPO "]
        .iter()
        .filter_map(|w| value.find(w))
        .min()
    {
        let sep = [", ", "\n", " "]
            .iter()
            .find(|s| value[..p].ends_with(**s))
            .map_or(0, |s| s.len());
        return (0, 0, p - sep);
    }
    let commas: Vec<usize> = value.match_indices(", ").map(|(i, _)| i).collect();
    let by_comma = match commas.len() {
        0 => None,
        1 => Some(commas[0]),
        n => Some(commas[n - 2]),
    };
    (0, 0, value.rfind('\n').or(by_comma).unwrap_or(value.len()))
}

/// An address keeps its region and hides the rest: `서울특별시 강남구 ****`, `****, Washington, DC 20500`.
fn mask_address(value: &[u8], out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(value);
    let (from, lead, tail) = address_region(&text);
    out.extend_from_slice(&text.as_bytes()[from..lead]);
    if lead > from {
        out.push(b' ');
    }
    out.extend_from_slice(b"****");
    out.extend_from_slice(&text.as_bytes()[tail..]);
}

/// Korean road names that exist in many cities, for fake addresses that stay in their region.
const KO_ROADS: [&str; 16] = [
    "중앙로",
    "시청로",
    "문화로",
    "공원로",
    "대학로",
    "평화로",
    "역전로",
    "번영로",
    "새마을로",
    "학교로",
    "시장로",
    "중앙대로",
    "희망로",
    "구청로",
    "강변로",
    "산업로",
];
const US_STREETS: [&str; 12] = [
    "Main St",
    "Oak Ave",
    "Maple St",
    "Park Ave",
    "Pine St",
    "Cedar Ln",
    "Elm St",
    "Washington Ave",
    "Lake Rd",
    "Hill St",
    "Church St",
    "Sunset Blvd",
];

/// A stream of pseudo-random bytes from a keyed HMAC of the value: the same value always yields the same
/// stream, so the same person stays the same fake person across files and runs.
struct Stream<'k> {
    key: &'k [u8; 32],
    seed: [u8; 32],
    block: [u8; 32],
    pos: usize,
    counter: u64,
}

impl<'k> Stream<'k> {
    fn new(key: &'k Key, entity: Entity, value: &[u8]) -> Stream<'k> {
        let seed = Key::mac(
            key.pseudo_key(),
            &[entity.as_str().as_bytes(), &normalize(entity, value)],
        );
        Stream {
            key: key.pseudo_key(),
            seed,
            block: seed,
            pos: 0,
            counter: 0,
        }
    }
    fn byte(&mut self) -> u8 {
        if self.pos == 32 {
            self.counter += 1;
            self.block = Key::mac(self.key, &[&self.seed, &self.counter.to_be_bytes()]);
            self.pos = 0;
        }
        let b = self.block[self.pos];
        self.pos += 1;
        b
    }
    fn below(&mut self, n: u32) -> u32 {
        // Two bytes keep the bias below 1/250 for every n used here.
        (u32::from(self.byte()) << 8 | u32::from(self.byte())) % n
    }
    fn digit(&mut self) -> u8 {
        b'0' + self.below(10) as u8
    }
}

/// Replaces characters in the value, keeping its separators, then fixes the check digit where the kind has
/// one, so a fake resident number has a real date and a valid checksum and a fake card passes Luhn.
fn pseudonymize(key: &Key, entity: Entity, value: &[u8], out: &mut Vec<u8>) {
    let mut s = Stream::new(key, entity, value);
    let start = out.len();
    match entity {
        Entity::Email => {
            let at = value
                .iter()
                .rposition(|&b| b == b'@')
                .unwrap_or(value.len());
            let domain = value.get(at + 1..).unwrap_or_default().to_ascii_lowercase();
            const FREE: [&[u8]; 11] = [
                b"gmail.com",
                b"naver.com",
                b"daum.net",
                b"hanmail.net",
                b"kakao.com",
                b"nate.com",
                b"outlook.com",
                b"hotmail.com",
                b"yahoo.com",
                b"icloud.com",
                b"example.com",
            ];
            out.extend_from_slice(b"user");
            for _ in 0..8 {
                out.push(b'a' + s.below(26) as u8);
            }
            out.push(b'@');
            out.extend_from_slice(if FREE.contains(&domain.as_slice()) {
                &domain
            } else {
                b"example.com"
            });
            return;
        }
        Entity::Person => {
            let text = String::from_utf8_lossy(value);
            // A Korean fake for a Korean name; a name in the Latin alphabet keeps it, diacritics or
            // not (`Łukasz Nowak`).
            if text.chars().next().is_some_and(crate::text::hangul) {
                let surnames: Vec<char> = crate::names::ko_surnames().take(40).collect();
                let given: Vec<char> = crate::names::ko_given().collect();
                let n = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .count()
                    .clamp(2, 4);
                let mut fake = String::new();
                fake.push(surnames[s.below(surnames.len() as u32) as usize]);
                for _ in 1..n {
                    fake.push(given[s.below(given.len() as u32) as usize]);
                }
                out.extend_from_slice(fake.as_bytes());
            } else {
                let first: Vec<&str> = crate::names::en_first_names().collect();
                let last: Vec<&str> = crate::names::en_last_names().take(300).collect();
                let words = text.split_whitespace().count();
                out.extend_from_slice(first[s.below(first.len() as u32) as usize].as_bytes());
                if words > 1 {
                    out.push(b' ');
                    out.extend_from_slice(last[s.below(last.len() as u32) as usize].as_bytes());
                }
            }
            return;
        }
        Entity::Address => {
            // A real-looking address in the same region: the region stays, the street is a common one.
            let text = String::from_utf8_lossy(value);
            let (from, lead, tail) = address_region(&text);
            if lead > from {
                out.extend_from_slice(&text.as_bytes()[from..lead]);
                out.push(b' ');
                out.extend_from_slice(KO_ROADS[s.below(KO_ROADS.len() as u32) as usize].as_bytes());
                out.extend_from_slice(format!(" {}", 1 + s.below(199)).as_bytes());
            } else {
                out.extend_from_slice(
                    format!(
                        "{} {}",
                        1 + s.below(9899),
                        US_STREETS[s.below(US_STREETS.len() as u32) as usize]
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&text.as_bytes()[tail..]);
            }
            return;
        }
        Entity::IpAddress if !value.contains(&b':') => {
            out.extend_from_slice(
                format!("10.{}.{}.{}", s.below(256), s.below(256), 1 + s.below(254)).as_bytes(),
            );
            return;
        }
        _ => {}
    }
    // Characters that stay: separators always; the leading prefix that says what the value is (010, +82 10,
    // a card's issuer, sk-, the passport letter, the IBAN country). The rest is drawn again until the fake
    // is a valid value of its kind (a real exchange, a Luhn-valid card of the same brand, an SSN outside
    // the unused areas), so the scanner still reads it as one, and a dataset keeps its shape.
    let keep = kept_prefix(entity, value);
    for attempt in 0..64 {
        out.truncate(start);
        draw(&mut s, entity, value, keep, out);
        let v = &mut out[start..];
        fix_check_digits(&mut s, entity, value, v);
        if attempt == 63 || structured_ok(entity, v) {
            break;
        }
    }
}

/// The byte index after the `k`-th digit of `value` (all of it when it has fewer).
fn after_digits(value: &[u8], k: usize) -> usize {
    if k == 0 {
        return 0;
    }
    value
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_digit())
        .nth(k - 1)
        .map_or(value.len(), |(i, _)| i + 1)
}

/// How many leading bytes of a value stay as they are in its pseudonym.
fn kept_prefix(entity: Entity, value: &[u8]) -> usize {
    let digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
    let plus = value.first() == Some(&b'+');
    match entity {
        // The national prefix stays: a mobile stays a mobile (`010-`, `+82 10`), a Seoul number `02-`.
        Entity::KrPhone => {
            let national: Vec<u8> = if plus && digits.starts_with(b"82") {
                let rest = &digits[2..];
                if rest.first() == Some(&b'0') {
                    rest.to_vec()
                } else {
                    [&b"0"[..], rest].concat()
                }
            } else {
                digits.clone()
            };
            let prefix = crate::validate::kr_phone_prefix(&national).unwrap_or(3);
            let k = if plus && digits.starts_with(b"82") {
                2 + prefix - usize::from(digits.get(2) != Some(&b'0'))
            } else {
                prefix
            };
            after_digits(value, k)
        }
        // The country code, and a North American area code: `+1 415`, `(415)`, `001-410`.
        Entity::Phone => {
            let k = if plus {
                if digits.first() == Some(&b'1') {
                    4
                } else {
                    // The first group is the country code when the number is written in groups.
                    let group = value[1..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .unwrap_or(2);
                    group.clamp(1, 3)
                }
            } else if digits.len() == 13 && digits.starts_with(b"001") {
                6
            } else {
                3
            };
            after_digits(value, k)
        }
        // The issuer's identification number (six digits): the fake is a card of the same brand and length.
        Entity::CreditCard => after_digits(value, 6),
        Entity::KrPassport => 1,
        Entity::Iban => 2,
        Entity::Secret => value
            .iter()
            .position(|&b| b == b'-' || b == b'_')
            .map_or(4, |p| p + 1)
            .min(value.len()),
        // The region code (a place, not a person) keeps a fake licence valid.
        Entity::KrDriverLicense => value
            .iter()
            .position(u8::is_ascii_digit)
            .map_or(0, |p| p + 2),
        _ => 0,
    }
}

/// Draws every character after `keep` afresh, of the same class (digit, letter, hex digit).
fn draw(s: &mut Stream<'_>, entity: Entity, value: &[u8], keep: usize, out: &mut Vec<u8>) {
    let hex = entity == Entity::IpAddress;
    for (i, &b) in value.iter().enumerate() {
        let c = if i < keep {
            b
        } else if hex && b.is_ascii_hexdigit() {
            // IPv6 groups stay hexadecimal.
            b"0123456789abcdef"[s.below(16) as usize]
        } else if b.is_ascii_digit() {
            s.digit()
        } else if b.is_ascii_lowercase() {
            b'a' + s.below(26) as u8
        } else if b.is_ascii_uppercase() {
            b'A' + s.below(26) as u8
        } else {
            b
        };
        out.push(c);
    }
}

/// Sets the parts a kind computes: a resident number's date, gender digit and check digit; an IBAN's
/// check digits; a card's Luhn digit; a business number's check digit.
fn fix_check_digits(s: &mut Stream<'_>, entity: Entity, value: &[u8], v: &mut [u8]) {
    let pos: Vec<usize> = (0..v.len()).filter(|&i| v[i].is_ascii_digit()).collect();
    match entity {
        Entity::KrRrn | Entity::KrFrn if pos.len() == 13 => {
            // A real date, the original gender digit (the dataset keeps its shape), a valid check digit.
            let gender = value
                .iter()
                .filter(|b| b.is_ascii_digit())
                .nth(6)
                .copied()
                .unwrap_or(b'1');
            let year = 1950 + s.below(60);
            let month = 1 + s.below(12);
            let day = 1 + s.below(days_in_month(year, month));
            let gender = match (gender, year >= 2000) {
                (g, _) if !g.is_ascii_digit() => b'1',
                (g, true) if matches!(g, b'1' | b'2' | b'5' | b'6') => g + 2,
                (g, false) if matches!(g, b'3' | b'4' | b'7' | b'8') => g - 2,
                (g, _) => g,
            };
            let ymd = format!("{:02}{:02}{:02}", year % 100, month, day);
            for (k, c) in ymd.bytes().enumerate() {
                v[pos[k]] = c;
            }
            v[pos[6]] = gender;
            let digits: Vec<u8> = pos.iter().map(|&i| v[i]).collect();
            let check = (0..10u8).find(|c| {
                let mut d = digits.clone();
                d[12] = b'0' + c;
                rrn_checksum(&d) || entity == Entity::KrFrn && crate::validate::frn_checksum(&d)
            });
            if let Some(c) = check {
                v[pos[12]] = b'0' + c;
            }
        }
        Entity::Iban => {
            // Fresh check digits for the fake account, so it passes mod-97 like the real one.
            let compact: Vec<usize> = (0..v.len())
                .filter(|&i| v[i].is_ascii_alphanumeric())
                .collect();
            if compact.len() >= 5 {
                let mut rem: u32 = 0;
                for &i in compact[4..].iter().chain(&compact[..2]) {
                    let b = v[i];
                    rem = if b.is_ascii_digit() {
                        (rem * 10 + u32::from(b - b'0')) % 97
                    } else {
                        (rem * 100 + u32::from(b.to_ascii_uppercase() - b'A') + 10) % 97
                    };
                }
                rem = (rem * 100) % 97;
                let check = 98 - rem;
                v[compact[2]] = b'0' + (check / 10) as u8;
                v[compact[3]] = b'0' + (check % 10) as u8;
            }
        }
        Entity::CreditCard | Entity::KrBrn if !pos.is_empty() => {
            let last = pos[pos.len() - 1];
            let digits: Vec<u8> = pos.iter().map(|&i| v[i]).collect();
            let fixed = (0..10u8).find(|c| {
                let mut d = digits.clone();
                let l = d.len() - 1;
                d[l] = b'0' + c;
                if entity == Entity::CreditCard {
                    luhn(&d)
                } else {
                    brn_checksum(&d)
                }
            });
            if let Some(c) = fixed {
                v[last] = b'0' + c;
            }
        }
        _ => {}
    }
}

/// Whether a fake is a value of its kind that numbering plans and issuers allow: what makes the scanner,
/// and anyone reading the dataset, take it for one.
fn structured_ok(entity: Entity, v: &[u8]) -> bool {
    let d: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).collect();
    let nxx_ok = |x: &[u8]| x.len() == 3 && (b'2'..=b'9').contains(&x[0]) && x[1..] != *b"11";
    match entity {
        Entity::KrPhone => {
            let national: Vec<u8> = if v.first() == Some(&b'+') && d.starts_with(b"82") {
                let rest = &d[2..];
                if rest.first() == Some(&b'0') {
                    rest.to_vec()
                } else {
                    [&b"0"[..], rest].concat()
                }
            } else {
                d.clone()
            };
            // The subscriber number does not start with 0 or 1 (`010-0…` and `02-1…` are not issued).
            crate::validate::kr_phone_prefix(&national)
                .and_then(|p| national.get(p))
                .is_some_and(|&b| (b'2'..=b'9').contains(&b))
        }
        Entity::Phone => {
            let nanp = match d.len() {
                10 if v.first() != Some(&b'+') => Some(&d[..]),
                11 if d[0] == b'1' => Some(&d[1..]),
                13 if d.starts_with(b"001") => Some(&d[3..]),
                _ => None,
            };
            match nanp {
                // Area code and exchange: 2–9 first, and not a service code (`N11`).
                Some(n) => nxx_ok(&n[..3]) && nxx_ok(&n[3..6]),
                None => true,
            }
        }
        Entity::UsSsn => crate::validate::ssn_valid(&d),
        Entity::CreditCard => luhn(&d) && crate::validate::card_issuer_known(&d),
        Entity::IpAddress if v.contains(&b':') => {
            // The scanner reads a compressed IPv6 address by its hex letters.
            std::str::from_utf8(v).is_ok_and(|x| x.parse::<std::net::Ipv6Addr>().is_ok())
                && (v.iter().any(u8::is_ascii_alphabetic)
                    || v.iter().filter(|&&b| b == b':').count() >= 4)
        }
        _ => true,
    }
}

const ENC_PREFIX: &[u8] = b"<ENC:";

fn encrypt(key: &Key, entity: Entity, value: &[u8], out: &mut Vec<u8>) {
    let cipher =
        Aes256GcmSiv::new_from_slice(key.cipher_key()).expect("a 32-byte key fits AES-256");
    // Deterministic: the nonce is a keyed MAC of the value, so equal values give equal tokens (records stay
    // joinable) and GCM-SIV stays safe when a nonce repeats with the same plaintext.
    let mac = Key::mac(key.nonce_key(), &[entity.as_str().as_bytes(), value]);
    let mut nonce_bytes = [0u8; 12];
    nonce_bytes.copy_from_slice(&mac[..12]);
    let nonce = Nonce::from(nonce_bytes);
    let aad = entity.as_str().as_bytes();
    let ct = cipher
        .encrypt(&nonce, Payload { msg: value, aad })
        .expect("AES-GCM-SIV encrypts any message shorter than 64 GiB");
    let mut blob = nonce_bytes.to_vec();
    blob.extend_from_slice(&ct);
    out.extend_from_slice(ENC_PREFIX);
    out.extend_from_slice(aad);
    out.push(b':');
    out.extend_from_slice(URL_SAFE_NO_PAD.encode(blob).as_bytes());
    out.push(b'>');
}

/// Why a token could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecryptError {
    /// The token is not `<ENC:KIND:base64url>`.
    #[error("malformed encrypted token at byte {0}")]
    Malformed(usize),
    /// The key is not the one the token was made with, or the token was altered.
    #[error("the token at byte {0} does not decrypt with this key (wrong key, or the token was altered)")]
    WrongKey(usize),
}

/// Replaces every `<ENC:KIND:…>` token in `text` by the value it encrypts. Text without tokens is copied as
/// is. `offset` is added to the byte positions in errors (the position of `text` in its file).
pub fn decrypt_tokens(
    key: &Key,
    text: &[u8],
    offset: usize,
    out: &mut Vec<u8>,
) -> Result<usize, DecryptError> {
    let cipher =
        Aes256GcmSiv::new_from_slice(key.cipher_key()).expect("a 32-byte key fits AES-256");
    let mut at = 0;
    let mut count = 0;
    while let Some(p) = memchr::memmem::find(&text[at..], ENC_PREFIX).map(|p| p + at) {
        out.extend_from_slice(&text[at..p]);
        let body = p + ENC_PREFIX.len();
        let bad = || DecryptError::Malformed(offset + p);
        let colon = text[body..]
            .iter()
            .take(32)
            .position(|&b| b == b':')
            .ok_or_else(bad)?
            + body;
        let entity = std::str::from_utf8(&text[body..colon])
            .ok()
            .and_then(Entity::parse)
            .ok_or_else(bad)?;
        let close = text[colon..]
            .iter()
            .take(1 << 20)
            .position(|&b| b == b'>')
            .ok_or_else(bad)?
            + colon;
        let blob = URL_SAFE_NO_PAD
            .decode(&text[colon + 1..close])
            .map_err(|_| bad())?;
        if blob.len() < 12 + 16 {
            return Err(bad());
        }
        let mut nonce_bytes = [0u8; 12];
        nonce_bytes.copy_from_slice(&blob[..12]);
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: &blob[12..],
                    aad: entity.as_str().as_bytes(),
                },
            )
            .map_err(|_| DecryptError::WrongKey(offset + p))?;
        out.extend_from_slice(&plain);
        count += 1;
        at = close + 1;
    }
    out.extend_from_slice(&text[at..]);
    Ok(count)
}

/// Why a stream could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum DecryptStreamError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A token did not decrypt.
    #[error("{0}")]
    Token(#[from] DecryptError),
}

/// Streams `reader` to `writer` with every `<ENC:…>` token decrypted, in bounded memory: the input is read
/// in blocks, and only an unfinished token at a block's end is carried over to the next. Returns how many
/// values were decrypted.
pub fn decrypt_stream<R: std::io::Read, W: std::io::Write + ?Sized>(
    key: &Key,
    mut reader: R,
    writer: &mut W,
) -> Result<usize, DecryptStreamError> {
    const BLOCK: usize = 1 << 20;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut out = Vec::with_capacity(2 * BLOCK);
    let mut offset = 0usize;
    let mut count = 0;
    let mut eof = false;
    while !eof || !buf.is_empty() {
        while !eof && buf.len() < BLOCK {
            let start = buf.len();
            buf.resize(start + BLOCK, 0);
            match reader.read(&mut buf[start..]) {
                Ok(0) => {
                    buf.truncate(start);
                    eof = true;
                }
                Ok(n) => buf.truncate(start + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(start),
                Err(e) => return Err(e.into()),
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            // Keep back a tail that may be the start of `<ENC:`, and any token the cut would split.
            let tail = buf.len() - (ENC_PREFIX.len() - 1);
            match memchr::memmem::rfind(&buf[..tail], ENC_PREFIX) {
                Some(p) if memchr::memchr(b'>', &buf[p..tail]).is_none() && tail - p < BLOCK => p,
                _ => tail,
            }
        };
        out.clear();
        count += decrypt_tokens(key, &buf[..cut], offset, &mut out)?;
        writer.write_all(&out)?;
        buf.drain(..cut);
        offset += cut;
        if eof && cut == 0 {
            break;
        }
    }
    writer.flush()?;
    Ok(count)
}
