//! Byte and character helpers the recognizers share (the scanner, names and addresses): SWAR byte
//! searches, UTF-8 steps over Hangul, English word shapes. Beneath every recognizer module; imports none.

pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes of `t` from `i` as one word, little-endian.
pub(crate) fn word_at(t: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&t[i..i + 8]);
    u64::from_le_bytes(a)
}

/// The `N` bytes of `t` from `i`, if there are as many: compared as one array, not as a slice (a call
/// to `memcmp` each).
pub(crate) fn array_at<const N: usize>(t: &[u8], i: usize) -> Option<[u8; N]> {
    t.get(i..i.checked_add(N)?)?.try_into().ok()
}

/// Nonzero when some byte of `x` lies strictly between `lo` and `hi` (both below 128): the "has
/// between" test of *Bit Twiddling Hacks*, eight bytes at a time.
pub(crate) fn has_byte_between(x: u64, lo: u8, hi: u8) -> u64 {
    let low7 = x & (LO * 127);
    (LO * (127 + u64::from(hi))).wrapping_sub(low7)
        & !x
        & low7.wrapping_add(LO * (127 - u64::from(lo)))
        & HI
}

/// Nonzero when some byte of `x` may begin a Hangul syllable in UTF-8 (0xEA to 0xED): the same test
/// on the low seven bits (0x6A to 0x6D) of the bytes whose high bit is set.
pub(crate) fn has_hangul_lead(x: u64) -> u64 {
    let low7 = x & (LO * 127);
    (LO * (127 + 0x6E)).wrapping_sub(low7) & low7.wrapping_add(LO * (127 - 0x69)) & x & HI
}

/// The first byte at or after `i` whose top bit is `top` (`0x80` for the next non-ASCII byte, `0` for
/// the next ASCII one), or `t.len()`: eight bytes at a time, the first such byte of a word found by
/// counting its trailing zeros (the words are little-endian, so the lowest byte comes first).
pub(crate) fn next_with_top_bit(t: &[u8], mut i: usize, top: u8) -> usize {
    let flip = if top == 0 { HI } else { 0 };
    while i + 8 <= t.len() {
        let hits = (word_at(t, i) ^ flip) & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < t.len() && t[i] & 0x80 != top {
        i += 1;
    }
    i
}

/// Whether ASCII bytes `t` hold a letter, eight at a time: folding case sends `A`..`Z` onto
/// `a`..`z` and no other ASCII byte there.
pub(crate) fn has_ascii_letter(t: &[u8]) -> bool {
    let mut i = 0;
    while i + 8 <= t.len() {
        if has_byte_between(word_at(t, i) | (LO * 0x20), b'a' - 1, b'z' + 1) != 0 {
            return true;
        }
        i += 8;
    }
    t[i..].iter().any(u8::is_ascii_alphabetic)
}

pub(crate) fn hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// The character ending at byte `i` of `t`, if `t[..i]` ends with a whole UTF-8 character.
pub(crate) fn char_before(t: &[u8], i: usize) -> Option<(char, usize)> {
    // Back over at most three continuation bytes to the character's first byte.
    let mut k = i.checked_sub(1)?;
    while k + 3 >= i && k > 0 && t[k] & 0xC0 == 0x80 {
        k -= 1;
    }
    match char_at(t, k) {
        Some((c, end)) if end == i => Some((c, k)),
        _ => None,
    }
}

/// The character starting at byte `i` of `t`, and where it ends, if a whole UTF-8 character starts
/// there.
pub(crate) fn char_at(t: &[u8], i: usize) -> Option<(char, usize)> {
    let len = match *t.get(i)? {
        // Most characters asked about are ASCII or Hangul: read without validating a slice.
        b @ 0..=0x7F => return Some((char::from(b), i + 1)),
        0xEA..=0xED => {
            let (&b1, &b2) = (t.get(i + 1)?, t.get(i + 2)?);
            if b1 & 0xC0 != 0x80 || b2 & 0xC0 != 0x80 {
                return None;
            }
            let c =
                (u32::from(t[i] & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            // U+A000 to U+DFFF: no overlong form, and `from_u32` turns the surrogates away.
            return char::from_u32(c).map(|c| (c, i + 3));
        }
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(t.get(i..i + len)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, i + len))
}

/// The run of Hangul syllables ending at byte `end`.
pub(crate) fn hangul_run_before(t: &[u8], end: usize) -> usize {
    let mut k = end;
    while let Some((c, s)) = char_before(t, k) {
        if !hangul(c) {
            break;
        }
        k = s;
    }
    k
}

/// The run of Hangul syllables starting at byte `start`.
pub(crate) fn hangul_run_after(t: &[u8], start: usize) -> usize {
    let mut k = start;
    while let Some((c, e)) = char_at(t, k) {
        if !hangul(c) {
            break;
        }
        k = e;
    }
    k
}

pub(crate) fn en_word_end(t: &[u8], mut k: usize) -> usize {
    while k < t.len() && (t[k].is_ascii_alphabetic() || t[k] == b'\'' || t[k] == b'-') {
        k += 1;
    }
    k
}

/// The bytes of an ASCII word as text (empty if they are not UTF-8, which ASCII always is).
pub(crate) fn ascii(w: &[u8]) -> &str {
    std::str::from_utf8(w).unwrap_or("")
}

/// A Latin letter with a diacritic, written in two bytes at `t[k]` (`é`, `ü`, `ł`, `ș`: U+00C0 to
/// U+024F, not `×` or `÷`), as European names are spelled (`René`, `Häring`, `Łukasz`).
pub(crate) fn latin_letter_at(t: &[u8], k: usize) -> Option<char> {
    let (&a, &b) = (t.get(k)?, t.get(k + 1)?);
    if !(0xC3..=0xC9).contains(&a) || b & 0xC0 != 0x80 {
        return None;
    }
    let c = char::from_u32((u32::from(a & 0x1F) << 6) | u32::from(b & 0x3F))?;
    (c <= '\u{24F}' && c.is_alphabetic()).then_some(c)
}

/// The length of a letter of a Latin name that is not ASCII at `t[k]`: a letter with a diacritic
/// (U+00C0 to U+024F, and Vietnamese's U+1E00 to U+1EFF, `Nguyễn`) or a combining mark written after
/// its letter (U+0300 to U+036F, `More\u{301}au`).
pub(crate) fn name_letter_len(t: &[u8], k: usize) -> Option<usize> {
    // Every such letter's first byte is 0xC3 to 0xCD or 0xE1: ASCII and most scripts leave at once.
    if !matches!(t.get(k)?, 0xC3..=0xCD | 0xE1) {
        return None;
    }
    if latin_letter_at(t, k).is_some() {
        return Some(2);
    }
    let (c, end) = char_at(t, k)?;
    let letter = ('\u{1E00}'..='\u{1EFF}').contains(&c) && c.is_alphabetic()
        || ('\u{300}'..='\u{36F}').contains(&c);
    letter.then_some(end - k)
}

/// Where a name's word ends: as [`en_word_end`], with Latin letters that carry a diacritic.
pub(crate) fn name_word_end(t: &[u8], mut k: usize) -> usize {
    loop {
        if k < t.len() && (t[k].is_ascii_alphabetic() || t[k] == b'\'' || t[k] == b'-') {
            k += 1;
        } else if let Some(len) = name_letter_len(t, k) {
            k += len;
        } else {
            return k;
        }
    }
}

/// Whether a capital letter, ASCII or Latin with a diacritic (`É`, `Ł`), starts at `t[k]`.
pub(crate) fn capital_at(t: &[u8], k: usize) -> bool {
    t.get(k).is_some_and(u8::is_ascii_uppercase)
        || latin_letter_at(t, k).is_some_and(char::is_uppercase)
}

/// The next capital letter at or after `i`, ASCII or Latin with a diacritic, skipping eight bytes at a time where there is none, and
/// stopping at the lead bytes of Latin letters (which Hangul and most other scripts never use).
pub(crate) fn next_name_capital(t: &[u8], mut i: usize) -> Option<usize> {
    loop {
        while i + 8 <= t.len() && {
            let w = word_at(t, i);
            // Flipping every byte's top bit brings 0xC3..=0xC9 to 0x43..=0x49, below 128 as the test
            // needs, and takes every ASCII byte out of its reach.
            has_byte_between(w, b'A' - 1, b'Z' + 1) == 0
                && has_byte_between(w ^ HI, 0x42, 0x4A) == 0
        } {
            i += 8;
        }
        let k = i + t
            .get(i..)?
            .iter()
            .position(|&b| b.is_ascii_uppercase() || (0xC3..=0xC9).contains(&b))?;
        if capital_at(t, k) {
            return Some(k);
        }
        i = k + 1;
    }
}

/// A name's word capitalised: as [`is_capitalised`], with Latin letters that carry a diacritic
/// (`René`, `Émile`, `Dessì`).
pub(crate) fn is_capitalised_name(w: &[u8]) -> bool {
    if w.is_ascii() {
        return is_capitalised(w);
    }
    let Ok(s) = std::str::from_utf8(w) else {
        return false;
    };
    let latin = |c: char| {
        c.is_ascii_alphabetic()
            || (('\u{C0}'..='\u{24F}').contains(&c) || ('\u{1E00}'..='\u{1EFF}').contains(&c))
                && c.is_alphabetic()
            || ('\u{300}'..='\u{36F}').contains(&c)
    };
    let mut chars = s.chars();
    chars.next().is_some_and(|c| latin(c) && c.is_uppercase())
        && s.chars().skip(1).any(char::is_lowercase)
        && s.chars().all(|c| latin(c) || c == '\'' || c == '-')
}

/// Two or more letters, all capitals (`OAK`, `ST`).
pub(crate) fn is_all_capitals(w: &[u8]) -> bool {
    w.len() >= 2 && w.iter().all(u8::is_ascii_uppercase)
}

pub(crate) fn is_capitalised(w: &[u8]) -> bool {
    w.len() >= 2
        && w[0].is_ascii_uppercase()
        && w[1..].iter().any(u8::is_ascii_lowercase)
        && w.iter()
            .all(|&b| b.is_ascii_alphabetic() || b == b'\'' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain reading of both: the shortest (or nearest) slice that is one whole character.
    fn char_at_by_validation(t: &[u8], i: usize) -> Option<(char, usize)> {
        (i + 1..=(i + 4).min(t.len())).find_map(|k| {
            std::str::from_utf8(&t[i..k])
                .ok()
                .and_then(|s| s.chars().next())
                .map(|c| (c, k))
        })
    }

    fn char_before_by_validation(t: &[u8], i: usize) -> Option<(char, usize)> {
        (i.saturating_sub(4)..i).rev().find_map(|k| {
            std::str::from_utf8(&t[k..i])
                .ok()
                .and_then(|s| s.chars().next().filter(|_| s.chars().count() == 1))
                .map(|c| (c, k))
        })
    }

    proptest! {
        #[test]
        fn an_array_at_is_the_slice_there_when_the_text_holds_it(
            bytes in proptest::collection::vec(any::<u8>(), 0..8),
            i in 0usize..10,
        ) {
            let want: Option<[u8; 3]> = bytes.get(i..i + 3).map(|s| [s[0], s[1], s[2]]);
            prop_assert_eq!(array_at::<3>(&bytes, i), want);
            prop_assert_eq!(array_at::<3>(&bytes, usize::MAX), None);
        }

        #[test]
        fn characters_are_read_as_validation_reads_them(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(0xEAu8), Just(0xB0u8), Just(0x80u8), Just(b'a')],
                0..24,
            ),
            text in "\\PC{0,8}",
        ) {
            for t in [bytes.as_slice(), text.as_bytes()] {
                for i in 0..=t.len() {
                    prop_assert_eq!(char_at(t, i), char_at_by_validation(t, i), "char_at {:?} {}", t, i);
                    prop_assert_eq!(char_before(t, i), char_before_by_validation(t, i), "char_before {:?} {}", t, i);
                }
            }
        }

        #[test]
        fn the_stretch_steps_agree_with_a_byte_by_byte_reading(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'a'), Just(b'Z'), Just(b'5'), Just(b'@'), Just(b'['), Just(0xEAu8)],
                0..40,
            ),
        ) {
            let t = bytes.as_slice();
            for i in 0..=t.len() {
                let ascii_end = (i..t.len()).find(|&k| t[k] >= 0x80).unwrap_or(t.len());
                let other_end = (i..t.len()).find(|&k| t[k] < 0x80).unwrap_or(t.len());
                prop_assert_eq!(next_with_top_bit(t, i, 0x80), ascii_end, "{:?} {}", t, i);
                prop_assert_eq!(next_with_top_bit(t, i, 0), other_end, "{:?} {}", t, i);
                let stretch = &t[i..ascii_end];
                prop_assert_eq!(has_ascii_letter(stretch), stretch.iter().any(u8::is_ascii_alphabetic), "{:?}", stretch);
            }
        }

        #[test]
        fn a_hangul_lead_is_found_in_a_word_exactly_where_a_byte_is_0xea_to_0xed(
            bytes in proptest::array::uniform8(
                prop_oneof![any::<u8>(), Just(0xE9u8), Just(0xEAu8), Just(0xEDu8), Just(0xEEu8), Just(0x6Au8)],
            ),
        ) {
            let x = u64::from_le_bytes(bytes);
            let plain = bytes.iter().any(|b| (0xEA..=0xED).contains(b));
            prop_assert_eq!(has_hangul_lead(x) != 0, plain, "{:02x?}", bytes);
        }

        #[test]
        fn the_next_name_capital_is_the_first_capital_a_plain_search_finds(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(0xC3u8), Just(0x89u8), Just(0xC5u8), Just(0x81u8), Just(b'A'), Just(b' ')],
                0..40,
            ),
            text in "[a-zA-Z éÉüÜłŁ김×÷]{0,30}",
        ) {
            for t in [bytes.as_slice(), text.as_bytes()] {
                for i in 0..=t.len() {
                    let plain = (i..t.len()).find(|&k| capital_at(t, k));
                    prop_assert_eq!(next_name_capital(t, i), plain, "{:?} from {}", t, i);
                }
            }
        }

        #[test]
        fn a_latin_letter_is_what_decoding_reads(a in 0xC0u8..=0xCF, b in any::<u8>()) {
            let t = [a, b];
            let decoded = std::str::from_utf8(&t).ok().and_then(|s| s.chars().next());
            let expected = decoded.filter(|c| c.is_alphabetic() && ('\u{C0}'..='\u{24F}').contains(c));
            prop_assert_eq!(latin_letter_at(&t, 0), expected);
        }
    }
}
