//! The word tables of names and addresses, kept as data (`data/words.txt`) and parsed once per process.

use std::collections::HashSet;
use std::sync::OnceLock;

const WORDS: &str = include_str!("../../data/words.txt");

/// A set of words looked up per candidate: foldhash, not the standard library's SipHash, which took
/// a tenth of start-up building the 65,000 first and last names and showed in the scan of every
/// capitalised word. The tables are fixed, so no input can make their probes long.
pub(crate) type WordSet = HashSet<&'static str, foldhash::fast::FixedState>;

/// Every table, by its section's name.
pub(crate) struct Tables {
    pub(crate) ko_stop: Vec<&'static str>,
    pub(crate) ko_titles: Vec<&'static str>,
    pub(crate) ko_intro: Vec<&'static str>,
    pub(crate) ko_intro_end: Vec<&'static str>,
    pub(crate) en_titles: Vec<&'static str>,
    pub(crate) en_signoffs: Vec<&'static str>,
    pub(crate) en_name_suffixes: Vec<&'static str>,
    pub(crate) en_stop: Vec<&'static str>,
    /// First names that are also words a label begins with (`Mark`, `Will`, `Grant`): no evidence that
    /// an unknown word after them is a surname.
    pub(crate) en_word_first_names: Vec<&'static str>,
    pub(crate) en_surname_particles: Vec<&'static str>,
    pub(crate) en_person_verbs: Vec<&'static str>,
    pub(crate) ko_with_person: Vec<&'static str>,
    pub(crate) ko_regions: Vec<&'static str>,
    pub(crate) ko_region_heads: Vec<&'static str>,
    pub(crate) ko_buildings: Vec<&'static str>,
    pub(crate) ko_name_fields: Vec<&'static str>,
    pub(crate) en_name_fields: Vec<&'static str>,
    pub(crate) us_suffixes: Vec<&'static str>,
    pub(crate) us_states: Vec<&'static str>,
    pub(crate) us_state_names: Vec<&'static str>,
    pub(crate) us_suffixes_rare: Vec<&'static str>,
    /// Capitalised words that are never a surname the census missed, looked up once per candidate:
    /// organisation words, the words after `Dear` that name no one, sign-offs' words (`Best`), and
    /// street suffixes (`Station`, `Street`).
    pub(crate) never_unknown_surnames: WordSet,
    /// Capitalised words that end an organisation's name (`Russell Inc`, `Quinn Group`, `Royal Cloud
    /// Technology`).
    pub(crate) en_org_words: WordSet,
}

/// The tables, parsed on first use.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let en_signoffs = section("en_signoffs");
        let en_stop = section("en_stop");
        // Capitalised words that end an organisation's name (`Russell Inc`, `Quinn Group`).
        let en_org_words = section("en_org_words");
        let us_suffixes = section("us_suffixes");
        let us_suffixes_rare = section("us_suffixes_rare");
        let never_unknown_surnames: WordSet = en_org_words
            .iter()
            .chain(&en_stop)
            .chain(&us_suffixes)
            .chain(&us_suffixes_rare)
            .copied()
            .chain(en_signoffs.iter().map(|s| s.trim_end_matches(',')))
            .collect();
        Tables {
            ko_stop: section("ko_stop"),
            ko_titles: section("ko_titles"),
            ko_intro: section("ko_intro"),
            ko_intro_end: section("ko_intro_end"),
            en_titles: section("en_titles"),
            en_signoffs,
            en_name_suffixes: section("en_name_suffixes"),
            en_stop,
            en_word_first_names: section("en_word_first_names"),
            en_surname_particles: section("en_surname_particles"),
            en_person_verbs: section("en_person_verbs"),
            ko_with_person: section("ko_with_person"),
            ko_regions: section("ko_regions"),
            ko_region_heads: section("ko_region_heads"),
            ko_buildings: section("ko_buildings"),
            ko_name_fields: section("ko_name_fields"),
            en_name_fields: section("en_name_fields"),
            us_suffixes,
            us_states: section("us_states"),
            us_state_names: section("us_state_names"),
            us_suffixes_rare,
            never_unknown_surnames,
            en_org_words: en_org_words.into_iter().collect(),
        }
    })
}

/// Whether `code` is a US state's or territory's USPS code (`IL`, `PR`).
pub(crate) fn is_us_state_code(code: &[u8]) -> bool {
    tables().us_states.iter().any(|s| s.as_bytes() == code)
}

/// The lines of a data file without its comments (`#`) and empty lines, split with `memchr`: the
/// standard library's `lines` cost start-up a third of its time on the word list's 300,000 lines.
pub(crate) fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .filter_map(move |end| {
            let line = text.get(start..end)?;
            start = end + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            (!line.is_empty() && !line.starts_with('#')).then_some(line)
        })
}

/// The words of section `[name]`: one a line, `\s` a kept space, `#` a comment.
fn section(name: &str) -> Vec<&'static str> {
    let head = format!("[{name}]");
    WORDS
        .lines()
        .skip_while(|l| *l != head)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            // A kept space is written `\s`; the table's words are static, so the few with one are
            // leaked once.
            if l.contains("\\s") {
                let owned: &'static str = Box::leak(l.replace("\\s", " ").into_boxed_str());
                owned
            } else {
                l
            }
        })
        .collect()
}

const EN_WORDS: &str = include_str!("../../data/en_words.txt");

/// Whether `w` is one of the words and proper nouns of `data/en_words.txt`. The file is sorted, so it
/// is searched as it is: only where its lines start is found, on the first question (one pass over
/// 0.7 MB, where hashing its 73,000 entries cost a scan of 70 MB of prose 1.5%).
fn en_words_contain(w: &[u8]) -> bool {
    static STARTS: OnceLock<Vec<u32>> = OnceLock::new();
    let text = EN_WORDS.as_bytes();
    let starts = STARTS.get_or_init(|| {
        std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
            .filter(|&s| s < text.len())
            .map(|s| s as u32)
            .collect()
    });
    let line = |s: u32| {
        let rest = &text[s as usize..];
        &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())]
    };
    starts.binary_search_by(|&s| line(s).cmp(w)).is_ok()
}

/// Whether `w` (letters, any case) is an English word of the dictionary (`Open`, `source`).
pub(crate) fn is_english_word(w: &[u8]) -> bool {
    let mut lower = [0u8; 14];
    if !(3..=lower.len()).contains(&w.len()) || !w.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    for (l, b) in lower.iter_mut().zip(w) {
        *l = b.to_ascii_lowercase();
    }
    en_words_contain(&lower[..w.len()])
}

/// Whether `w`, as written, is a proper noun the dictionary capitalises: a place, a brand or a famous
/// person's name (`Tokyo`, `Mozilla`, `Kafka`).
pub(crate) fn is_proper_noun(w: &[u8]) -> bool {
    w.first().is_some_and(u8::is_ascii_uppercase) && en_words_contain(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_words_are_sorted_bytewise_so_a_binary_search_finds_each() {
        let lines: Vec<&str> = EN_WORDS.lines().collect();
        assert!(lines.windows(2).all(|p| p[0].as_bytes() < p[1].as_bytes()));
        for w in [lines[0], lines[lines.len() / 2], lines[lines.len() - 1]] {
            assert!(en_words_contain(w.as_bytes()), "{w}");
        }
        assert!(is_english_word(b"Source") && is_english_word(b"counsel"));
        assert!(is_proper_noun(b"Tokyo") && !is_proper_noun(b"tokyo"));
        assert!(!is_english_word(b"Boyuan") && !is_proper_noun(b"Boyuan"));
    }
}
