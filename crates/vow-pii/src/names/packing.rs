//! How a Korean word is packed into one `u64`, and the open-addressing table of the word list
//! (`data/ko_words.txt`) that `build.rs` writes at build time and the name model reads in place.
//! Both include this file, so the table and its reader cannot disagree; it uses nothing else.
//!
//! A key holds up to four syllables (14 bits each, the syllable plus one, so no key is 0) and the
//! syllable count in bits 60 to 63. A table entry is the key with the word's marks in bits 56 to 59.

/// A Hangul syllable: its code point minus U+AC00 (0 to 11,171).
pub(crate) type Syl = u16;

/// The Hangul syllable whose UTF-8 starts at `t[i]`.
pub(crate) fn syl_at(t: &[u8], i: usize) -> Option<Syl> {
    let b = t.get(i..i + 3)?;
    if !(0xEA..=0xED).contains(&b[0]) || b[1] & 0xC0 != 0x80 || b[2] & 0xC0 != 0x80 {
        return None;
    }
    let c = (u32::from(b[0] & 0x0F) << 12) | (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
    let v = c.checked_sub(0xAC00)?;
    (v < 11_172).then_some(v as Syl)
}

/// The key of up to four syllables.
pub(crate) fn pack(s: &[Syl]) -> u64 {
    s.iter()
        .take(4)
        .fold(0u64, |a, &x| (a << 14) | u64::from(x + 1))
        | (s.len() as u64) << 60
}

/// [`pack`] of the syllables of a line's bytes, stepping over anything else (a trailing mark).
pub(crate) fn pack_bytes(w: &[u8]) -> u64 {
    let mut key = 0u64;
    let mut n = 0u64;
    let mut i = 0;
    while i < w.len() && n < 4 {
        if let Some(s) = syl_at(w, i) {
            key = (key << 14) | u64::from(s + 1);
            n += 1;
            i += 3;
        } else {
            i += 1;
        }
    }
    key | n << 60
}

/// A frequent word (`*` in the list).
pub(crate) const FREQUENT: u64 = 1 << 56;
/// A word that is also a person's name (`=` in the list).
pub(crate) const NAME_TOO: u64 = 1 << 57;
/// A proper noun of three syllables after a surname with no class in the dictionary, mostly a
/// person's name it does not mark as one (`+` in the list: `조민서`).
pub(crate) const UNCLASSED_PROPER: u64 = 1 << 58;
const MARKS: u64 = FREQUENT | NAME_TOO | UNCLASSED_PROPER;

/// The entry of the word list's line: its key and marks. (Used by `build.rs` and the tests.)
#[allow(dead_code)]
pub(crate) fn entry_of_line(line: &[u8]) -> u64 {
    pack_bytes(line)
        | match line.last() {
            Some(b'*') => FREQUENT,
            Some(b'=') => NAME_TOO,
            Some(b'+') => UNCLASSED_PROPER,
            _ => 0,
        }
}

/// A packed key spread over all 64 bits (Fibonacci hashing): its top bits choose a slot. The word
/// table, the model's small sets and the memory of judgements all hash with it.
pub(crate) fn mix(key: u64) -> u64 {
    (key ^ (key >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Where `key`'s probe starts in a table of `2^bits` slots.
fn home(key: u64, bits: u32) -> usize {
    (mix(key) >> (64 - bits)) as usize
}

/// The table of `entries`, eight little-endian bytes a slot, 0 an empty slot: at most two-thirds
/// full, so that a probe for a word not listed (most lookups) ends after a few slots, in a table
/// (4 MB for the word list) smaller than a hash set of the same words. (Used by `build.rs` and the
/// tests.)
#[allow(dead_code)]
pub(crate) fn table_of(entries: &[u64]) -> Vec<u8> {
    let mut bits = 1;
    while (1usize << bits) < entries.len() * 3 / 2 {
        bits += 1;
    }
    let mask = (1usize << bits) - 1;
    let mut slots = vec![0u64; 1 << bits];
    for &e in entries {
        let mut i = home(e & !MARKS, bits);
        while slots[i] != 0 && slots[i] & !MARKS != e & !MARKS {
            i = (i + 1) & mask;
        }
        // A word listed twice keeps the marks of both.
        slots[i] |= e;
    }
    slots.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// The entry for `key` in a table [`table_of`] made, if the word is listed.
pub(crate) fn entry_in(table: &[u8], key: u64) -> Option<u64> {
    let slots = table.len() / 8;
    if !slots.is_power_of_two() || key == 0 {
        return None;
    }
    let bits = slots.trailing_zeros();
    let mut i = home(key, bits);
    loop {
        let bytes: [u8; 8] = table.get(i * 8..i * 8 + 8)?.try_into().ok()?;
        let e = u64::from_le_bytes(bytes);
        if e == 0 {
            return None;
        }
        if e & !MARKS == key {
            return Some(e);
        }
        i = (i + 1) & (slots - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &str = include_str!("../../data/ko_words.txt");

    fn lines() -> impl Iterator<Item = &'static str> {
        WORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    }

    #[test]
    fn every_listed_word_is_found_with_its_marks_and_others_are_not() {
        let table = table_of(
            &lines()
                .map(|l| entry_of_line(l.as_bytes()))
                .collect::<Vec<_>>(),
        );
        let mut marked = 0;
        for line in lines() {
            let e = entry_in(&table, pack_bytes(line.as_bytes())).unwrap_or(0);
            let want = match line.as_bytes().last() {
                Some(b'*') => FREQUENT,
                Some(b'=') => NAME_TOO,
                Some(b'+') => UNCLASSED_PROPER,
                _ => 0,
            };
            assert!(e != 0 && e & want == want, "{line}");
            marked += usize::from(want != 0);
        }
        assert!(marked > 10_000);
        // Names and made-up runs the list does not hold.
        for absent in ["김민수", "홍길동", "뷁뷁", "가나다라"] {
            assert_eq!(
                entry_in(&table, pack_bytes(absent.as_bytes())),
                None,
                "{absent}"
            );
        }
        assert_eq!(entry_in(&table, 0), None);
        assert_eq!(entry_in(&[], pack_bytes("정보".as_bytes())), None);
    }

    #[test]
    fn the_table_the_build_wrote_is_the_one_the_word_list_makes() {
        let built: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ko_words.table"));
        let made = table_of(
            &lines()
                .map(|l| entry_of_line(l.as_bytes()))
                .collect::<Vec<_>>(),
        );
        assert!(built == made.as_slice());
    }
}
