//! The word tables of names and addresses, kept as data (`data/words.txt`) and parsed once per process.

use std::collections::HashSet;
use std::sync::OnceLock;

const WORDS: &str = include_str!("../../data/words.txt");

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
    pub(crate) never_unknown_surnames: HashSet<&'static str>,
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
        let never_unknown_surnames = en_org_words
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
        }
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

/// The words and proper nouns of `data/en_words.txt`, parsed on the first question, which only the
/// rare places that need it ask, so a scan that never asks pays nothing.
fn en_words() -> &'static HashSet<&'static [u8]> {
    static SET: OnceLock<HashSet<&'static [u8]>> = OnceLock::new();
    SET.get_or_init(|| EN_WORDS.lines().map(str::as_bytes).collect())
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
    en_words().contains(&lower[..w.len()])
}

/// Whether `w`, as written, is a proper noun the dictionary capitalises: a place, a brand or a famous
/// person's name (`Tokyo`, `Mozilla`, `Kafka`).
pub(crate) fn is_proper_noun(w: &[u8]) -> bool {
    w.first().is_some_and(u8::is_ascii_uppercase) && en_words().contains(w)
}
