//! PERSON and ADDRESS: names and postal addresses, which carry no checksum and no fixed shape, so they are
//! found from evidence and scored by it, like the context-anchored numbers.
//!
//! A name is a Korean surname followed by common given-name syllables, or an English first name and last
//! name from the US Census lists (`data/`), next to an honorific or title (`님`, `씨`, `고객님`, `Mr`, `Dr`,
//! `Dear`), after a name field (`이름:`, `성명`, `Name:`), under a sign-off (`Regards,`), or as the whole value
//! of a column or key that names a person. Knowledge alone never reaches the threshold, so ordinary words
//! that begin with a surname syllable (`이번`, `정말`, `최고`, `한국`) stay.
//!
//! An address is a Korean road-name or lot-number address (시·도, 시·군·구, 읍·면·동, 로·길 and building
//! number, then building and unit) with an optional postal code before it, or a US street address
//! (number, street, suffix, optional unit, city, state and ZIP). The whole address is one finding.

mod address;
mod columns;
pub(crate) mod model;
mod packing;
mod tables;

use crate::text::*;
use crate::{Entity, Finding, Validation};
pub(crate) use address::{
    is_ko_region_token, ko_address_before_number, numbered_ordinal_at, old_postcodes_beside,
    us_address,
};
use address::{ko_address, us_military_address};
pub(crate) use columns::name_columns;
use tables::{tables, WordSet};

/// Korean surnames (Statistics Korea, 2015 census: those borne by more than about 10,000 people).
const KO_SURNAMES: &str = "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민류나진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌";
/// Two-syllable surnames.
const KO_SURNAMES_2: [&str; 6] = ["남궁", "황보", "제갈", "선우", "독고", "사공"];
/// Syllables common in Korean given names. Syllables that mostly make ordinary words (번, 말, 고, 국, 늘)
/// are left out on purpose: a name made of them needs a name field, not an honorific alone.
const KO_GIVEN: &str = "가강건겸경계광교구권규균근금기길나남내다단달담대덕도동두득라란람랑래량려련렬령례로록룡루류륜률륭리린림마만명모목무문미민바박반방배백범법벽병보복본봉부분비빈빛사산삼상새샘서석선설섭성세소솔송수숙순술숭슬승시식신실심아안애양억언엄업여연열염엽영예오옥온완왕용우욱운웅원월위유윤율은을음의이익인일임자작장재전정제조종주준중지직진찬창채천철청초춘충치탁태택판평표필하학한해행향허헌혁현형혜호홍화환황효후훈휘흠흥희름늘결별봄힘얼누솜";

const EN_FIRST: &str = include_str!("../../data/en_first_names.txt");
/// First names of other countries in the Latin alphabet (`data/README.md`): recognised, never drawn
/// for a pseudonym.
const WORLD_FIRST: &str = include_str!("../../data/world_first_names.txt");
const EN_LAST: &str = include_str!("../../data/en_last_names.txt");

#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    KoTitle,
    KoField,
    EnTitle,
    EnSignoff,
    EnField,
    EnDear,
    KoRegion,
    KoIntro,
    UsMilitary,
    UsPoBox,
    Postcode,
}

/// The word tables, compiled once per [`crate::Scanner`].
pub(crate) struct Names {
    kinds: Vec<Anchor>,
    en_first: WordSet,
    en_last: WordSet,
}

/// The words names and addresses are anchored on. The scanner finds them in the same pass as the
/// prefixes of secrets, and hands each match to [`Names::on_match`] with its index in this table.
pub(crate) fn anchor_table() -> Vec<(&'static str, Anchor)> {
    let mut words: Vec<(&'static str, Anchor)> = Vec::new();
    for &w in &tables().ko_titles {
        words.push((w, Anchor::KoTitle));
    }
    for &w in &tables().ko_name_fields {
        words.push((w, Anchor::KoField));
    }
    for &w in &tables().en_titles {
        words.push((w, Anchor::EnTitle));
    }
    for &w in &tables().en_signoffs {
        words.push((w, Anchor::EnSignoff));
    }
    for &w in &tables().en_name_fields {
        words.push((w, Anchor::EnField));
    }
    words.push(("Dear", Anchor::EnDear));
    words.push(("DEAR", Anchor::EnDear));
    // Regions by their first two syllables only: a small automaton stays in cache, and the whole word
    // is checked against tables().ko_regions when one matches.
    for &w in &tables().ko_region_heads {
        words.push((w, Anchor::KoRegion));
    }
    for &w in &tables().ko_intro {
        words.push((w, Anchor::KoIntro));
    }
    for w in ["APO ", "FPO ", "DPO "] {
        words.push((w, Anchor::UsMilitary));
    }
    for w in address::PO_BOX_WORDS {
        words.push((w, Anchor::UsPoBox));
    }
    for w in address::POSTCODE_WORDS {
        words.push((w, Anchor::Postcode));
    }
    words
}

/// The first names of the English list, for pseudonyms.
pub(crate) fn en_first_names() -> impl Iterator<Item = &'static str> {
    tables::data_lines(EN_FIRST)
}

/// The last names of the English list, for pseudonyms.
pub(crate) fn en_last_names() -> impl Iterator<Item = &'static str> {
    tables::data_lines(EN_LAST)
}

/// Korean surnames, one syllable each, for pseudonyms.
pub(crate) fn ko_surnames() -> impl Iterator<Item = char> {
    KO_SURNAMES.chars()
}

/// Korean given-name syllables, for pseudonyms.
pub(crate) fn ko_given() -> impl Iterator<Item = char> {
    KO_GIVEN.chars()
}

/// The endings that make a word describe the noun after it (하다's `한`, `할`; 되다's `된`, `될`; the
/// copula's `인`; `새로운`'s `운`).
const ADNOMINAL_ENDINGS: &str = "한할된될인운";

/// How much a Korean word looks like a full name by itself: 0 when it cannot be one.
fn ko_name_knowledge(word: &str) -> f32 {
    if tables().ko_stop.contains(&word) {
        return 0.0;
    }
    // What the name model says of the word's syllables (a score of 1 is as much as the lists' 0.15,
    // 5 as much as their 0.35), or what the syllable lists say, whichever knows more.
    let syls: Vec<model::Syl> = word.chars().filter_map(model::syl).collect();
    // The anchor has already set the name apart from what follows it: only a word as it is counts, and
    // not one that is also a person's name (`이민수 고객님`).
    let m = model::ko_names();
    let whole = syls.len() == word.chars().count();
    if whole && m.is_exact_word(&syls) && !m.is_also_name(&syls) {
        return 0.0;
    }
    // A word and the ending that makes it describe what follows (`훌륭한 선생님`, `가입된 회원님`, `이름은
    // 선택한 개체`): no name, unless what follows the surname is a given name some bear, as `한`, `인` and
    // `운` end many (`김성한`, `정지인`, `이하운`; so `소중한 고객님` stays a name: some are named 중한).
    if let (true, &[s, a, b]) = (whole, syls.as_slice()) {
        if ADNOMINAL_ENDINGS
            .chars()
            .filter_map(model::syl)
            .any(|e| e == b)
            && m.is_exact_word(&[s, a])
            && !m.is_borne_given(a, b)
        {
            return 0.0;
        }
    }
    let from_model = if whole && (2..=4).contains(&syls.len()) {
        match m.core_score_expected(&syls) {
            Some(v) => (0.05 * v).clamp(0.0, 0.45),
            _ => 0.0,
        }
    } else {
        0.0
    };
    from_model.max(ko_name_knowledge_by_lists(word))
}

/// What the syllable lists say of a word as a full name: 0 when it cannot be one.
fn ko_name_knowledge_by_lists(word: &str) -> f32 {
    let chars: Vec<char> = word.chars().collect();
    let given: &[char] = match chars.len() {
        2 | 3 if KO_SURNAMES.contains(chars[0]) => &chars[1..],
        3 | 4 if KO_SURNAMES_2.iter().any(|s| word.starts_with(s)) => &chars[2..],
        // A rarer surname, one that reads a Chinese character (`팽서연 과장`), before a given name
        // of two common syllables.
        3 if model::syl(chars[0]).is_some_and(|s| model::ko_names().may_be_surname(s))
            && chars[1..].iter().all(|&c| KO_GIVEN.contains(c)) =>
        {
            return 0.2;
        }
        _ => return 0.0,
    };
    match (given.iter().all(|&c| KO_GIVEN.contains(c)), chars.len()) {
        // Two syllables make many ordinary words (`예정`, `여권`): an honorific alone does not do.
        (true, 2) => 0.1,
        (true, _) => 0.35,
        (false, _) => 0.05,
    }
}

/// A Korean name at the start of a Hangul run (`김민수입니다` → `김민수`), with what follows it being a
/// particle or copula.
fn ko_name_prefix(run: &str) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for len in [3, 2, 4] {
        let Some(end) = run
            .char_indices()
            .nth(len)
            .map(|(i, _)| i)
            .or_else(|| (run.chars().count() == len).then_some(run.len()))
        else {
            continue;
        };
        let (name, rest) = run.split_at(end);
        if !(rest.is_empty() || model::ko_names().is_after_name_plainly(rest)) {
            continue;
        }
        let k = ko_name_knowledge(name);
        if k > 0.0 && best.is_none_or(|(_, bk)| k > bk) {
            best = Some((end, k));
        }
    }
    best
}

/// Where a name starting at `p` starts once a title right before it is counted in (`Dr. Lisa Smith`).
fn en_title_start(t: &[u8], p: usize) -> usize {
    for &title in &tables().en_titles {
        let s = p.saturating_sub(title.len() + 1);
        if p > title.len()
            && t[s..p - 1] == *title.as_bytes()
            && t[p - 1] == b' '
            && (s == 0 || !t[s - 1].is_ascii_alphanumeric())
        {
            return s;
        }
    }
    p
}

/// Where a name ends once a suffix after `end` is counted in (`Stephens MD`, `Smith, Jr.`).
fn en_name_suffix_end(t: &[u8], end: usize) -> usize {
    for sep in [&b" "[..], b", "] {
        if !t[end..].starts_with(sep) {
            continue;
        }
        let s = end + sep.len();
        for &suffix in &tables().en_name_suffixes {
            let e = s + suffix.len();
            if t[s..].starts_with(suffix.as_bytes())
                && t.get(e).is_none_or(|b| !b.is_ascii_alphanumeric())
            {
                return e;
            }
        }
    }
    end
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            kinds: anchor_table().into_iter().map(|(_, k)| k).collect(),
            en_first: en_first_names()
                .chain(tables::data_lines(WORLD_FIRST))
                .collect(),
            en_last: en_last_names().collect(),
        }
    }

    /// Whether a column header or JSON key names a person (`name`, `full_name`, `이름`, `예금주`).
    pub(crate) fn header_names_person(&self, header: &[u8]) -> bool {
        let h: String = String::from_utf8_lossy(header)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        matches!(
            h.as_str(),
            "name"
                | "fullname"
                | "firstname"
                | "lastname"
                | "givenname"
                | "familyname"
                | "surname"
                | "customername"
                | "contactname"
                | "personname"
                | "accountholder"
                | "holdername"
                | "cardholder"
                | "cardholdername"
                | "recipient"
                | "recipientname"
                | "sender"
                | "sendername"
                | "patientname"
                | "employeename"
                | "이름"
                | "성명"
                | "고객명"
                | "예금주"
                | "수령인"
                | "받는분"
                | "보호자"
                | "신청인"
                | "작성자"
                | "성함"
                | "담당자"
                | "수취인"
                | "환자명"
                | "회원명"
        )
    }

    /// Whether `w` is a known first name (the census's or another country's) that vouches for an unknown word after it being a
    /// surname: not one that also begins labels (`Mark Complete`, `Grant Access`).
    fn vouching_first(&self, w: &[u8]) -> bool {
        self.en_first.contains(ascii(w)) && !tables().en_word_first_names.contains(&ascii(w))
    }

    /// A record's cell that is an English name on its own evidence: a known first name
    /// and a word shaped like a surname (`Thomas Volkert`, `Thomas J. Volkert`, `Volkert, Thomas`),
    /// nothing else in the cell. A cell is a value someone filled in, so a surname the census never
    /// saw is no reason to doubt it.
    pub(crate) fn en_record_cell(&self, cell: &[u8]) -> Option<Finding> {
        let start = cell.len() - cell.trim_ascii_start().len();
        let v = cell.trim_ascii();
        let known_first = |w: &[u8]| is_capitalised_name(w) && self.vouching_first(w);
        let surname = |w: &[u8]| is_capitalised_name(w) && surname_shaped(w);
        let name = if let Some(c) = v.windows(2).position(|p| p == b", ") {
            let (last, first) = (&v[..c], &v[c + 2..]);
            !last.contains(&b' ') && surname(last) && known_first(first)
        } else {
            let words: Vec<&[u8]> = v.split(|&b| b == b' ').collect();
            let initial = |w: &[u8]| {
                w.len() == 2 && w[0].is_ascii_uppercase() && w[1] == b'.'
                    || w.len() == 1 && w[0].is_ascii_uppercase()
            };
            match words.as_slice() {
                [first, last] => known_first(first) && surname(last),
                [first, middle, last] => {
                    known_first(first) && (initial(middle) || surname(middle)) && surname(last)
                }
                _ => false,
            }
        };
        name.then(|| Finding {
            entity: Entity::Person,
            start,
            end: start + v.len(),
            score: 0.6,
            validation: Validation::Context,
        })
    }

    /// A whole value that is a name: one to four words, letters only (`김민수`, `John Smith`).
    pub(crate) fn whole_value(&self, text: &[u8]) -> Option<Finding> {
        let s = std::str::from_utf8(text).ok()?;
        let trimmed = s.trim();
        let words = trimmed.split_whitespace().count();
        if trimmed.is_empty()
            || trimmed.len() > 80
            || words > 4
            || !trimmed
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '-' || c == '\'')
        {
            return None;
        }
        let start = s.len() - s.trim_start().len();
        Some(Finding {
            entity: Entity::Person,
            start,
            end: start + trimmed.len(),
            score: 0.8,
            validation: Validation::Context,
        })
    }

    /// A match of anchor `index` (of [`anchor_table`]) at `ms..me` of `t`.
    pub(crate) fn on_match(
        &self,
        t: &[u8],
        index: usize,
        ms: usize,
        me: usize,
        out: &mut Vec<Finding>,
    ) {
        let Some(&kind) = self.kinds.get(index) else {
            return;
        };
        match kind {
            Anchor::KoTitle => self.ko_before_title(t, ms, me, out),
            Anchor::KoField => self.ko_after_field(t, ms, me, out),
            Anchor::EnTitle | Anchor::EnDear | Anchor::EnField | Anchor::EnSignoff => {
                self.en_after(t, ms, me, kind, out)
            }
            Anchor::KoRegion => ko_address(t, ms, me, out),
            Anchor::KoIntro => ko_after_intro(t, me, out),
            Anchor::UsMilitary => us_military_address(t, ms, me, out),
            Anchor::UsPoBox => address::us_po_box(t, ms, me, out),
            Anchor::Postcode => address::postcode_after_word(t, ms, me, out),
        }
    }

    fn ko_before_title(&self, t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
        // The title is a word of its own: `김민수님`, `김민수 고객님`, not `사장님` read as a name `사장`.
        let glued = char_before(t, ms).is_some_and(|(c, _)| hangul(c));
        let after_ok = char_at(t, me)
            .is_none_or(|(c, _)| !hangul(c) || model::ko_names().after_name_starts(t, me));
        if !after_ok {
            return;
        }
        let end = if glued || ms >= 1 && t[ms - 1].is_ascii_alphabetic() {
            ms
        } else if ms >= 1 && t[ms - 1] == b' ' {
            ms - 1
        } else {
            return;
        };
        // An English name before a Korean title: `John Smith 고객님`, `Jane Doe님`.
        if end > 0 && t[end - 1].is_ascii_alphabetic() {
            let mut start = end;
            let mut words = 0;
            while words < 3 {
                let mut k = start;
                while k > 0 && t[k - 1].is_ascii_alphabetic() {
                    k -= 1;
                }
                if !is_capitalised(&t[k..start]) || k > 0 && t[k - 1].is_ascii_alphanumeric() {
                    break;
                }
                start = k;
                words += 1;
                if start >= 2 && t[start - 1] == b' ' && t[start - 2].is_ascii_alphabetic() {
                    start -= 1;
                } else {
                    break;
                }
            }
            if t.get(start) == Some(&b' ') {
                start += 1;
            }
            if words > 0 && start < end {
                if let Some(f) = self.en_words(t, start, 0.3, true) {
                    if f.end == end {
                        out.push(f);
                    }
                }
            }
            return;
        }
        let start = hangul_run_before(t, end);
        let Ok(word) = std::str::from_utf8(&t[start..end]) else {
            return;
        };
        let n = word.chars().count();
        // Glued, a two-syllable word is usually a title or a given name alone (`기사님`, `민수님`).
        if glued && n < 3 || !(2..=4).contains(&n) {
            return;
        }
        let k = ko_name_knowledge(word);
        if k <= 0.0 {
            return;
        }
        out.push(Finding {
            entity: Entity::Person,
            start,
            end,
            score: (k + 0.35).min(1.0),
            validation: Validation::Context,
        });
    }

    fn ko_after_field(&self, t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
        // `이름` (a file's, a signal's) is as often no person's; `담당자`, `예금주` always are.
        let ambiguous = &t[ms..me] == "이름".as_bytes();
        let mut k = me;
        // `이름: `, `이름은 `, `성명 - `, `예금주(`.
        // Marked by a colon, a dash, a bracket or a topic particle; `이름이 …` and `이름 …` are as often
        // prose (`파일 이름이 현재`, `시그널 이름 목록을`).
        let mut marked = false;
        for p in ["은", "는", "이", ":", " ", "-", ":", " ", "("] {
            if t[k..].starts_with(p.as_bytes()) {
                k += p.len();
                marked |= p != " " && p != "이";
            }
        }
        if k == me {
            return;
        }
        let end = hangul_run_after(t, k);
        let Ok(run) = std::str::from_utf8(&t[k..end]) else {
            return;
        };
        if let Some((len, know)) = ko_name_prefix(run) {
            // After `이름`, a word and a syllable that ends compounds is what is named (`이름-정규식`).
            // Nor, as `이름` is as often a thing's, does it vouch for a surname the dictionary's names
            // do not bear (`이름은 파일을 저장한 후에`, `이름은 색상표 아래에`).
            if ambiguous {
                let syls: Vec<model::Syl> = run[..len].chars().filter_map(model::syl).collect();
                let m = model::ko_names();
                if m.is_compound(&syls) || !syls.first().is_some_and(|&s| m.is_known_surname(s)) {
                    return;
                }
            }
            // After a bare space (`파일 이름 사용`) only a name the syllable lists know well, which the
            // name model would also take in a sentence.
            if !marked {
                let syls: Vec<model::Syl> = run.chars().filter_map(model::syl).collect();
                let in_sentence = model::ko_names()
                    .judge_in(&syls, f32::NEG_INFINITY, true, false, false, SENTENCE_BAR)
                    .is_some_and(|(_, v)| v >= SENTENCE_BAR);
                let word = model::ko_names().is_frequent_word(&syls);
                if know < 0.35 || word || ambiguous && !in_sentence {
                    return;
                }
            }
            out.push(Finding {
                entity: Entity::Person,
                start: k,
                end: k + len,
                score: (know + 0.4).min(1.0),
                validation: Validation::Context,
            });
        } else if let Some(f) = self.en_words(t, k, 0.45, true) {
            out.push(f);
        }
    }

    fn en_after(&self, t: &[u8], ms: usize, me: usize, kind: Anchor, out: &mut Vec<Finding>) {
        if ms > 0 && t[ms - 1].is_ascii_alphanumeric() {
            return;
        }
        let mut k = me;
        if t.get(k).is_some_and(u8::is_ascii_alphabetic) {
            return;
        }
        match kind {
            Anchor::EnSignoff => {
                // The name on the next line (or after a space).
                while k < t.len() && matches!(t[k], b' ' | b'\r' | b'\n' | b'\t' | b'-') {
                    k += 1;
                }
            }
            _ => {
                while k < t.len() && matches!(t[k], b' ' | b':' | b'.') {
                    k += 1;
                }
            }
        }
        if k == me && !matches!(kind, Anchor::EnTitle) {
            return;
        }
        let base = match kind {
            Anchor::EnTitle => 0.45,
            Anchor::EnField => 0.4,
            Anchor::EnDear | Anchor::EnSignoff => 0.25,
            _ => return,
        };
        if let Some(f) = self.en_words(t, k, base, !matches!(kind, Anchor::EnSignoff)) {
            let called = matches!(&t[ms..me], b"called" | b"named");
            if called && f.score < base + 0.3 {
                // `a distribution called Unifix Linux`: only a name the lists know.
                return;
            }
            let start = if matches!(kind, Anchor::EnTitle) {
                ms
            } else {
                en_title_start(t, f.start)
            };
            out.push(Finding { start, ..f });
        } else if !matches!(&t[ms..me], b"called" | b"named") {
            // `Name: 김민수`, `Dear 김민수`, `Mr. 김민수`.
            let end = hangul_run_after(t, k);
            if let Some((len, know)) = std::str::from_utf8(&t[k..end])
                .ok()
                .and_then(ko_name_prefix)
            {
                out.push(Finding {
                    entity: Entity::Person,
                    start: k,
                    end: k + len,
                    score: (know + base).min(1.0),
                    validation: Validation::Context,
                });
            }
        }
    }

    /// Full English names anywhere in `t`: a known first name, an optional middle initial and a known
    /// last name, all capitalised (`Please contact Julie Hawkins`, `John F. Kennedy`), with a suffix
    /// (`Jr.`, `MD`) when one follows. Without an anchor word both lists must agree, so `Grant Access`
    /// or `Page Style` stay.
    pub(crate) fn en_full_names(&self, t: &[u8], out: &mut Vec<Finding>) {
        let n = t.len();
        let mut i = 0;
        while let Some(p) = next_name_capital(t, i) {
            if p > 0 && (t[p - 1].is_ascii_alphanumeric() || t[p - 1] >= 0x80) {
                // Inside a word or a token (`sk-proj-eObtEIo2p…`): go past the rest of it at once.
                i = p + 1;
                while i < n && t[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                continue;
            }
            let e = name_word_end(t, p);
            i = e.max(p + 1);
            // Cheap checks first: a capitalised word of name length with a capital after one space
            // (`Julie Hawkins`) or after a comma (`Fisher, Crystal`).
            let comma = t[e..].starts_with(b", ");
            let gap = if comma { 2 } else { 1 };
            if e - p < 2
                || e - p > if comma { 20 } else { 12 }
                || e + gap + 1 >= n
                || !(t[e] == b' ' || comma)
                || !(capital_at(t, e + gap) || !comma && t[e + 1].is_ascii_lowercase())
            {
                continue;
            }
            let first = &t[p..e];
            if !is_capitalised_name(first) {
                continue;
            }
            // A name ends at a word's end; a Korean particle may be glued to it (`Mary Fox가`).
            let ends = |k: usize| {
                t.get(k).is_none_or(|b| !b.is_ascii_alphanumeric())
                    && name_letter_len(t, k).is_none()
            };
            if comma {
                // `Last, First`, a list's or a record's way: a known last name, then a known first
                // name that ends the phrase (not `Smith, Jones and Brown`).
                let fs = e + 2;
                let mut fe = name_word_end(t, fs);
                let given = &t[fs..fe];
                let bounded = |end: usize| whole_field(t, p, end) || alone_on_line(t, p, end);
                // A middle name or second given name after the first, when the field or line ends with
                // it (`"Silva, Gustavo Noronha"`, `Rodriguez, Juan Carlos`).
                if t.get(fe) == Some(&b' ') && capital_at(t, fe + 1) {
                    let me = name_word_end(t, fe + 1);
                    let middle = &t[fe + 1..me];
                    if bounded(me)
                        && is_capitalised_name(middle)
                        && (self.en_first.contains(ascii(middle)) || surname_shaped(middle))
                    {
                        fe = me;
                    }
                }
                let then_capital = t.get(fe) == Some(&b' ') && capital_at(t, fe + 1);
                // Alone in a record's field, any word shaped like a surname (`"Engelhard, Rene"`);
                // before a first name that begins labels too only when the field is quoted, as a
                // CSV quotes a value with a comma in it (`"Nauwelaerts, Mark"`; not `Welcome, Mark`
                // or `Done, Bill` on a line of their own). A sign-off is no surname, though the census
                // lists it (`Best, Arun`).
                let quoted = p > 0 && t[p - 1] == b'"' && t.get(fe) == Some(&b'"');
                let last_ok = !is_signoff(first)
                    && (self.en_last.contains(ascii(first))
                        || bounded(fe)
                            && surname_shaped(first)
                            && (quoted || self.vouching_first(given)));
                // Quoted as a CSV quotes it, a first name no list holds too (`"Petrov, Roumen"`),
                // when neither word is an English word or a proper noun the dictionary capitalises
                // (not `"Lyon, France"`, `"Austin, Texas"`).
                let unknown_given = || {
                    (quoted || alone_on_line(t, p, fe))
                        && bounded(fe)
                        && !is_signoff(first)
                        && surname_shaped(first)
                        && surname_shaped(given)
                        && !tables::is_english_word(first)
                        && !tables::is_english_word(given)
                        && !tables::is_proper_noun(given)
                        && (!tables::is_proper_noun(first) || self.en_last.contains(ascii(first)))
                };
                if is_capitalised_name(given)
                    && (last_ok && self.en_first.contains(ascii(given)) || unknown_given())
                    && ends(fe)
                    && !then_capital
                    && !t[fe..].starts_with(b", ")
                    && !t[fe..].starts_with(b" and ")
                {
                    out.push(Finding {
                        entity: Entity::Person,
                        start: p,
                        end: fe,
                        score: 0.6,
                        validation: Validation::Context,
                    });
                    i = fe;
                }
                continue;
            }
            if !self.en_first.contains(ascii(first)) {
                // A first name no list holds before a surname the census knows (`Boyuan Yang`,
                // `Danek Duvall`), where only a person stands: after words that introduce one, before
                // a verb only a person does, or with a Korean particle glued to it. Not an unknown
                // last word (`powered by Apache Kafka`, `thanks to Open Source`), nor when a third
                // capitalised word follows, as an organisation's name goes on.
                if let Some(end) = self
                    .unknown_first_name(t, p, e)
                    .filter(|&end| !before_us_state(t, end))
                {
                    out.push(Finding {
                        entity: Entity::Person,
                        start: p,
                        end,
                        score: 0.55,
                        validation: Validation::Context,
                    });
                    i = end;
                }
                continue;
            }
            // A small word after a first name only as a surname's particle (`Maria de la Cruz`); looked
            // up after the first name, as most capitalised words are followed by small ones.
            if !self.en_first.contains(ascii(first))
                || !capital_at(t, e + 1) && surname_particles_end(t, e + 1) == e + 1
            {
                continue;
            }
            let mut j = e + 1;
            if j + 3 < n && t[j].is_ascii_uppercase() && t[j + 1] == b'.' && t[j + 2] == b' ' {
                j += 3;
            }
            // Alone in a record's field, after words that introduce a person (`written by`,
            // `talked with`, `thanks to`, `cc`), before a verb only a person does, or with a Korean
            // particle or honorific glued to it (`Tony Bolger와`, `Tejun Heo님이`), a known first name
            // makes any word shaped like a surname the last name, though the census never saw it
            // (`58505,Thomas Volkert,pending`). A word after that one too (`Anibal Monsalve Salazar`),
            // only when the field or the line ends right after it; elsewhere the name's end is a
            // guess, and only a surname the census knows is taken.
            let introduced = introduces_person(t, p);
            let plain_first = self.vouching_first(first);
            let field_end = |e: usize| whole_field(t, p, e) || alone_on_line(t, p, e);
            let person_place = |e: usize| {
                introduced
                    || person_verb_after(t, e)
                    || model::syl_at(t, e).is_some()
                    || field_end(e)
            };
            // A surname's particle (`Van Eynde`, `de la Cruz`, `Di Carlo`), where the place vouches for
            // a person: the surname is the word after it (`Marina Del Rey` in a sentence is a place).
            let mut surname_at = surname_particles_end(t, j);
            if surname_at != j {
                let e = name_word_end(t, surname_at);
                let w = &t[surname_at..e];
                let surname = is_capitalised_name(w)
                    && (self.en_last.contains(ascii(w)) || plain_first && surname_shaped(w));
                // Else the particle is the surname itself (`Kevin Le MD`).
                if !(surname && person_place(e)) {
                    surname_at = j;
                }
            }
            let mut le = name_word_end(t, surname_at);
            // A first name that begins labels too (`Bill`, `Mark`) vouches only where no label fits:
            // after words that introduce a person or before a person's verb (`written by Bill
            // Triggs`), not with a Korean particle (`Mark Complete를 누르세요` is a button).
            let word_first_vouches = |e: usize| introduced || person_verb_after(t, e);
            let strong_place =
                |e: usize| introduced || person_verb_after(t, e) || model::syl_at(t, e).is_some();
            let word_ok = |s: usize, e: usize| {
                is_capitalised_name(&t[s..e])
                    && (self.en_last.contains(ascii(&t[s..e]))
                        || (if s == surname_at {
                            person_place(e) && (plain_first || word_first_vouches(e))
                        } else {
                            plain_first && field_end(e)
                        }) && surname_shaped(&t[s..e])
                            // Where only the field or line vouches, an English word after a first
                            // name is a product or a place (`Chelsea Boots`, `Ruby Slippers`);
                            // after `cc` or before `called` it is a surname (`Stelian Pop`).
                            && (strong_place(e) || !tables::is_english_word(&t[s..e])))
            };
            // A middle name that is a first name (`Richard Laura Price`), or a first surname of two
            // where the field or line ends after the second (`Mauro Carvalho Chehab`; not `Sydney
            // Opera House` in a sentence).
            if !word_ok(surname_at, le)
                && is_capitalised_name(&t[surname_at..le])
                && t.get(le) == Some(&b' ')
            {
                let me = name_word_end(t, le + 1);
                let middle = &t[surname_at..le];
                // A particle is no middle name (`Marina Del Rey`).
                let middle_ok = self.en_first.contains(ascii(middle))
                    && !tables().en_surname_particles.contains(&ascii(middle))
                    || plain_first && surname_shaped(middle) && field_end(me);
                if middle_ok && word_ok(le + 1, me) {
                    le = me;
                }
            }
            let last_start = t[..le]
                .iter()
                .rposition(|&b| b == b' ')
                .map_or(surname_at, |k| k + 1)
                .max(surname_at);
            if !word_ok(last_start, le) || !ends(le) {
                continue;
            }
            // A middle name: `Mary Ann Fox`, `John Michael Smith`, where the word after is a last name too.
            if t.get(le) == Some(&b' ') && capital_at(t, le + 1) {
                let me = name_word_end(t, le + 1);
                if word_ok(le + 1, me) && ends(me) {
                    le = me;
                }
            }
            let end = en_name_suffix_end(t, le);
            if before_us_state(t, end) || organisation_goes_on(t, end) {
                continue;
            }
            out.push(Finding {
                entity: Entity::Person,
                start: en_title_start(t, p),
                end,
                score: 0.6,
                validation: Validation::Context,
            });
            i = end;
        }
    }

    /// The end of a name whose first word no list holds, at `p..e` of `t` (see
    /// [`Names::en_full_names`]).
    fn unknown_first_name(&self, t: &[u8], p: usize, e: usize) -> Option<usize> {
        if !capital_at(t, e + 1) {
            return None;
        }
        let le = name_word_end(t, e + 1);
        // The place first, byte comparisons only: most pairs of capitalised words stand in none.
        let particle = person_particle_after(t, le);
        if !(particle
            || person_verb_after(t, le)
            || introduces_person_only(t, p)
            || whole_field(t, p, le)
            || chat_speaker(t, p, le))
        {
            return None;
        }
        // What follows a person's name: the end of the phrase, a verb only a person does, a Korean
        // particle that follows persons only, or one of a few small words (`for the help`); not a
        // noun the two words qualify (`thanks to Open Source contributors`).
        let after_person = particle
            || match t.get(le) {
                None => true,
                Some(b' ') => {
                    let w = &t[le + 1..];
                    let w = &w[..w
                        .iter()
                        .position(|b| !b.is_ascii_alphabetic())
                        .unwrap_or(w.len())];
                    w.first().is_none_or(|b| !b.is_ascii_lowercase()) && !capital_at(t, le + 1)
                        || matches!(
                            w,
                            b"for" | b"about" | b"and" | b"yesterday" | b"today" | b"who"
                        )
                        || person_verb_after(t, le)
                }
                Some(b) => !b.is_ascii_alphanumeric() && *b != b'-' && *b < 0x80,
            };
        let (first, last) = (&t[p..e], &t[e + 1..le]);
        // Products, teams and companies are named with English words (`Open Source`, `Legal
        // Counsel`, `Docker Compose`), people with names (`Boyuan Yang`).
        (after_person
            && is_capitalised_name(last)
            && surname_shaped(first)
            && surname_shaped(last)
            && !self.en_last.contains(ascii(first))
            && !tables::is_english_word(first)
            && !tables::is_english_word(last)
            // Nor a place's, a brand's or a famous person's (`Seoul Gangnam`, `Mozilla Firefox`),
            // unless the census lists it as a surname (`Chen`).
            && !tables::is_proper_noun(first)
            && (!tables::is_proper_noun(last) || self.en_last.contains(ascii(last))))
        .then_some(le)
    }

    /// Korean names with no anchor word: every run of Hangul is judged by the name model
    /// ([`model::KoNames::judge`]), against a bar set by where the run stands. In a record (the whole of
    /// a CSV or TSV cell, or of the text), as a chat line's speaker, or among English words, a name is
    /// expected and the bar is low; in a Korean sentence a run must start with a common surname and
    /// score high, after its particle is separated (`김민수가`, `제갈서연이랑`). A surname and a given
    /// name written apart (`김 아름`) are read together.
    ///
    /// `at_syllable` is called with every syllable of every run (its offset and value), so that the
    /// scanner looks for its Korean anchor words in the same pass.
    pub(crate) fn ko_free_names(
        &self,
        t: &[u8],
        out: &mut Vec<Finding>,
        mut at_syllable: impl FnMut(usize, model::Syl, &mut Vec<Finding>),
    ) {
        let n = t.len();
        let mut i = 0;
        while let Some(p) = next_hangul(t, i) {
            // Asked here, not before the loop: text with no Hangul never builds the model.
            let m = model::ko_names();
            let mut run = [0 as model::Syl; 8];
            let mut k = 0;
            let mut j = p;
            while let Some(x) = model::syl_at(t, j) {
                at_syllable(j, x, out);
                if k < run.len() {
                    run[k] = x;
                }
                k += 1;
                j += 3;
            }
            i = j.max(p + 1);
            // A particle glued to an English word, a number or a closing bracket or quote (`testing이`,
            // `파일1이`, `이름(…)이 기호`) starts no name.
            if k > 4 + model::MAX_AFTER_NAME
                || p > 0 && t[p - 1].is_ascii_alphanumeric()
                || after_closing(t, p)
            {
                continue;
            }
            // A surname alone, then the given name after one space (`김 아름`, `목 희재에게`).
            if k == 1 && t.get(j) == Some(&b' ') {
                let mut given = [0 as model::Syl; 6];
                let mut g = 0;
                let mut e = j + 1;
                while let Some(x) = model::syl_at(t, e) {
                    if g < given.len() {
                        given[g] = x;
                    }
                    g += 1;
                    e += 3;
                }
                // No surname reads no Chinese character (`셀 범위`, `탭 색상` are labels).
                if !(1..=2 + model::MAX_AFTER_NAME).contains(&g) || !m.may_be_surname(run[0]) {
                    continue;
                }
                let mut both = [0 as model::Syl; 7];
                both[0] = run[0];
                both[1..=g].copy_from_slice(&given[..g]);
                let mut place = place_of(t, p, e);
                // A sign-off or a field word around it (`김 아름 드림`, `작성: 김 아름`) expects a name.
                let before = &t[p.saturating_sub(16)..p];
                let signed = [" 드림", " 올림", " 님", " 씨"]
                    .iter()
                    .any(|w| t[e..].starts_with(w.as_bytes()));
                let field = ["작성:", "작성자:", "보고자", "담당:", "이름:", "성명:"]
                    .iter()
                    .any(|w| before.trim_ascii_end().ends_with(w.as_bytes()));
                if place == Place::Sentence && (signed || field) {
                    place = Place::Speaker;
                }
                // A particle that follows persons after the given name (`김 영호께서`).
                let person_particle = if place == Place::Sentence {
                    m.person_particle(&both[..=g])
                } else {
                    None
                };
                // In a sentence only a known surname starts a name (below: a particle that follows
                // persons, a given name many bear, or a common surname, so none of them asks again);
                // most one-syllable words (`수 있다`, `것 같다`) are none. A rarer one only before a
                // given name of two syllables and a particle that follows persons (`팽 서연에게`; not
                // `각 팀에게`).
                if place == Place::Sentence
                    && !m.is_known_surname(run[0])
                    && person_particle.is_none_or(|k| g != 2 + k)
                {
                    continue;
                }
                // A surname, common or rare, and a given name many bear (`편 서연은`).
                let given_borne = place == Place::Sentence
                    && person_particle.is_none()
                    && g >= 2
                    && m.is_surname_and_common_given(run[0], given[0], given[1]);
                let floor = if place == Place::Sentence && person_particle.is_none() && !given_borne
                {
                    f32::NEG_INFINITY
                } else {
                    model::EXPECTED_SURNAME_FLOOR
                };
                let bar = if person_particle.is_some() {
                    PERSON_PARTICLE_BAR
                } else if given_borne {
                    GIVEN_BORNE_BAR
                } else {
                    bar_spaced(place)
                };
                let Some((len, v)) = m.judge_in(
                    &both[..=g],
                    floor,
                    place == Place::Sentence,
                    place <= Place::Speaker,
                    person_particle.is_some(),
                    bar,
                ) else {
                    continue;
                };
                let bar = if person_particle.is_some_and(|k| len + k == g + 1) {
                    PERSON_PARTICLE_BAR
                } else if given_borne && len == 3 {
                    GIVEN_BORNE_BAR
                } else {
                    bar_spaced(place)
                };
                // With a particle that follows persons, or when it is a given name many bear
                // (`김 소은도`, `안 영호는`), only a frequent word (`이 정식도`) is read as one; outside a
                // sentence, only a frequent word that is no such given name (a label, `장 정보`; not
                // `박 현지`).
                let common_given = len == 3 && m.is_common_given(given[0], given[1]);
                let given_is_word = if place != Place::Sentence {
                    !common_given && m.is_frequent_word(&given[..len - 1])
                } else if person_particle.is_some() || common_given {
                    m.is_frequent_word(&given[..len - 1])
                } else {
                    m.is_word(&given[..len - 1])
                };
                if v >= bar
                    && !given_is_word
                    && (place != Place::Sentence
                        || person_particle.is_some()
                        || given_borne
                        || m.may_start(run[0]))
                {
                    out.push(Finding {
                        entity: Entity::Person,
                        start: p,
                        end: j + 1 + 3 * (len - 1),
                        score: (0.55 + 0.05 * (v - bar)).clamp(0.5, 0.9),
                        validation: Validation::Context,
                    });
                    i = e;
                }
                continue;
            }
            if k < 2 {
                continue;
            }
            // No surname reads no Chinese character (`힌두어`, `쇼핑몰`): asked first, as it is one
            // lookup and most runs' surroundings need not be read.
            if !m.may_be_surname(run[0]) {
                continue;
            }
            let place = place_of(t, p, j);
            // In a sentence, a particle that follows persons (`에게`, `이랑`, `께서`) is evidence of its
            // own: the run needs less of the syllables, and a rare surname is no reason to doubt it.
            // So is an honorific written apart (`이민지 님이`, `김철수 씨가`).
            let honoured = place == Place::Sentence && (2..=4).contains(&k) && honorific_at(t, j);
            let person = honoured
                || place == Place::Sentence && k <= 4 + model::MAX_AFTER_NAME && {
                    let n = k.min(run.len());
                    m.person_particle(&run[..n]).is_some()
                };
            // In a sentence a run needs a surname the dictionary's names bear (the given-name and
            // common-surname readings below rest on one, and none of them asks again), unless a
            // particle or honorific that follows persons vouches for a rarer one (`팽서연에게`).
            if place == Place::Sentence && !person && !m.is_known_surname(run[0]) {
                continue;
            }
            // A surname, common or rare, and a given name many bear (`편서연은`): a name on the evidence of its given
            // name.
            let given_borne = place == Place::Sentence
                && !person
                && k >= 3
                && m.is_surname_and_common_given(run[0], run[1], run[2]);
            if place == Place::Sentence && !person && !given_borne && !m.may_start(run[0])
                // A company's name after its legal form (`주식회사 한가람`, `(유) 한가람`) is no
                // person's.
                || after_company_form(t, p)
            {
                continue;
            }
            // Alone in a cell or as a speaker, three syllables after a known surname are shaped as
            // names are: unless the word tables know them, the syllables need not agree as much.
            let shaped = place <= Place::Speaker && k == 3 && m.is_known_surname(run[0]);
            // Alone in a cell or as a speaker a name is the whole run, and no given name ends as a
            // word with its particle or a verb does (`문서에`, `신호를`, `풉니다`, `싶다면`).
            if place <= Place::Field && k <= 4 && model::ends_as_no_name(&run[..k]) {
                continue;
            }
            // Alone in a cell or among English words, three syllables that are a word and its
            // particle, whose last two no name bears, are the word (`설명만`, `선택은`); a chat's
            // speaker is expected to be a name whatever it reads as.
            if matches!(place, Place::Record | Place::Field | Place::Foreign)
                && k == 3
                && m.is_word_and_particle(&run[..3])
            {
                continue;
            }
            let floor = if place == Place::Sentence && !person && !given_borne {
                f32::NEG_INFINITY
            } else {
                model::EXPECTED_SURNAME_FLOOR
            };
            let Some((len, v)) = m.judge_in(
                &run[..k],
                floor,
                place == Place::Sentence,
                place <= Place::Speaker,
                person,
                if person {
                    PERSON_PARTICLE_BAR
                } else if shaped {
                    SHAPED_CELL_BAR
                } else if given_borne {
                    GIVEN_BORNE_BAR
                } else {
                    bar(place)
                },
            ) else {
                continue;
            };
            let bar = if person
                && (honoured && len == k || len + m.person_particle(&run[..k]).unwrap_or(0) == k)
            {
                PERSON_PARTICLE_BAR
            } else if shaped && len == k {
                SHAPED_CELL_BAR
            } else if given_borne && len == 3 {
                GIVEN_BORNE_BAR
            } else {
                bar(place)
            };
            if v >= bar && (len == k || !matches!(place, Place::Record | Place::Field)) {
                out.push(Finding {
                    entity: Entity::Person,
                    start: p,
                    end: p + 3 * len,
                    score: (0.55 + 0.05 * (v - bar)).clamp(0.5, 0.9),
                    validation: Validation::Context,
                });
            }
            let _ = n;
        }
    }

    /// One to three capitalised words at `k`, scored `base` plus what the name lists know of them.
    fn en_words(&self, t: &[u8], k: usize, base: f32, one_line: bool) -> Option<Finding> {
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut j = k;
        while words.len() < 3 {
            let e = name_word_end(t, j);
            let w = &t[j..e];
            let initial = e - j == 1 && t.get(e) == Some(&b'.') && w[0].is_ascii_uppercase();
            if !(is_capitalised_name(w) || initial) {
                break;
            }
            let ws = std::str::from_utf8(w).ok()?;
            if tables().en_stop.contains(&ws) {
                break;
            }
            let e = if initial { e + 1 } else { e };
            words.push((j, e));
            if e + 1 < t.len() && t[e] == b' ' && !(one_line && t[e + 1] == b'\n') {
                j = e + 1;
            } else {
                break;
            }
        }
        let (&(start, _), &(_, end)) = (words.first()?, words.last()?);
        let end = en_name_suffix_end(t, end);
        let word = |i: usize| std::str::from_utf8(&t[words[i].0..words[i].1]).unwrap_or("");
        let mut score = base;
        if self.en_first.contains(word(0)) {
            score += 0.35;
        } else if words.len() == 1 && self.en_last.contains(word(0)) {
            score += 0.3;
        }
        if words.len() > 1 && self.en_last.contains(word(words.len() - 1)) {
            score += 0.2;
        }
        if words.len() > 1 {
            score += 0.1;
        }
        Some(Finding {
            entity: Entity::Person,
            start,
            end,
            score: score.min(0.95),
            validation: Validation::Context,
        })
    }
}

/// A name a person gives after a greeting (`안녕하세요, 김민수입니다`): only when the copula follows the
/// name, so `안녕하세요, 문의드립니다` names no one.
fn ko_after_intro(t: &[u8], me: usize, out: &mut Vec<Finding>) {
    let mut k = me;
    for p in [",", ".", "!", " ", " "] {
        if t[k..].starts_with(p.as_bytes()) {
            k += p.len();
        }
    }
    if t[k..].starts_with("저는 ".as_bytes()) {
        k += "저는 ".len();
    }
    let end = hangul_run_after(t, k);
    let Ok(run) = std::str::from_utf8(&t[k..end]) else {
        return;
    };
    for len in [3, 2, 4] {
        let Some((cut, _)) = run.char_indices().nth(len) else {
            continue;
        };
        let (name, rest) = run.split_at(cut);
        if !tables().ko_intro_end.iter().any(|e| rest.starts_with(e)) {
            continue;
        }
        let know = ko_name_knowledge(name);
        // A rarer surname before a given name many bear (`팽서연`) scores 0.2 by the lists; in a
        // greeting that introduces the speaker it is enough.
        let rare_but_borne = len == 3 && know > 0.0 && {
            let syls: Vec<model::Syl> = name.chars().filter_map(model::syl).collect();
            syls.len() == 3 && model::ko_names().is_common_given(syls[1], syls[2])
        };
        if know >= 0.35 || len == 2 && know > 0.0 || rare_but_borne {
            out.push(Finding {
                entity: Entity::Person,
                start: k,
                end: k + cut,
                score: (know + 0.4).min(1.0),
                validation: Validation::Context,
            });
            return;
        }
    }
}

/// Whether the words before `p` introduce a person rather than an organisation: `by`, `with`, `cc`,
/// or `to` after a verb of speaking or `thanks` (`written by`, `talked with`, `thanks to`); not `from`
/// or a bare `to`, which name companies as often (`an invoice from`, `send it to`).
fn introduces_person(t: &[u8], p: usize) -> bool {
    let word_before = |end: usize| -> Option<(usize, &[u8])> {
        if end < 2 || t[end - 1] != b' ' {
            return None;
        }
        let e = end - 1;
        let s = t[..e]
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |k| k + 1);
        (s < e).then(|| (s, &t[s..e]))
    };
    let Some((s, w)) = word_before(p) else {
        return false;
    };
    match w {
        b"by" | b"with" | b"cc" | b"Cc" | b"CC" => true,
        b"to" => word_before(s).is_some_and(|(_, v)| {
            matches!(
                v,
                b"thanks"
                    | b"Thanks"
                    | b"talked"
                    | b"spoke"
                    | b"speak"
                    | b"talk"
                    | b"replied"
                    | b"wrote"
                    | b"reply"
                    | b"write"
                    | b"said"
                    | b"mentioned"
            )
        }),
        _ => false,
    }
}

/// [`introduces_person`], but only by words that never introduce a product: `cc`, `to` after a verb
/// of speaking or `thanks`, `with` after one of meeting, and `by` after one of writing or deciding
/// (`written by`, `approved by`; not `powered by`, `created by`, `ships with`).
fn introduces_person_only(t: &[u8], p: usize) -> bool {
    let before = &t[..p];
    let ends = |w: &[u8]| {
        before.ends_with(w)
            && (before.len() == w.len()
                || !before[before.len() - w.len() - 1].is_ascii_alphabetic())
    };
    [
        &b"written by "[..],
        b"authored by ",
        b"signed by ",
        b"reported by ",
        b"reviewed by ",
        b"approved by ",
        b"submitted by ",
        b"requested by ",
        b"talked with ",
        b"spoke with ",
        b"met with ",
    ]
    .iter()
    .any(|w| ends(w))
        || introduces_person(t, p) && !ends(b"by ") && !ends(b"with ")
}

/// Whether a Korean particle or honorific that follows persons is glued at `e` (`님이`, `씨`,
/// `에게는`, `께서`: [`model::KoNames::person_form_at`]); not `를` or `에서`, which follow products as
/// often (`Google Drive에`).
fn person_particle_after(t: &[u8], e: usize) -> bool {
    if model::syl_at(t, e).is_none() {
        return false;
    }
    if model::ko_names().person_form_at(t, e) {
        return true;
    }
    let rest = &t[e.min(t.len())..];
    // `와`, `과`, `랑`, `하고` (with) before talking or meeting, which one does with a person (`Hilko
    // Bengen와 통화했어요`), not with a product (`Google Drive와 연동`).
    ["와", "과", "랑", "이랑", "하고"].iter().any(|p| {
        rest.strip_prefix(p.as_bytes()).is_some_and(|after| {
            let after = after.strip_prefix(b" ").unwrap_or(after);
            tables()
                .ko_with_person
                .iter()
                .any(|v| after.starts_with(v.as_bytes()))
        })
    })
}

/// Whether a verb only a person is the subject of follows `e` (`Julien Cristau called`, `… phoned`,
/// `… apologised`): a name's subject position, as words that introduce one mark its object's.
fn person_verb_after(t: &[u8], e: usize) -> bool {
    if t.get(e) != Some(&b' ') {
        return false;
    }
    let s = e + 1;
    let mut w_end = s;
    while w_end < t.len() && t[w_end].is_ascii_lowercase() {
        w_end += 1;
    }
    let ends = t.get(w_end).is_none_or(|b| !b.is_ascii_alphanumeric());
    ends && tables().en_person_verbs.contains(&ascii(&t[s..w_end]))
}

/// Whether `s..e` is the whole of one field of a delimited record: a delimiter (`,`, `;`, tab, `|`) on
/// one side at least, and nothing else but a CSV quote, a line end or the text's own end on the other.
/// A line of prose alone (`Mark Changes`) is no such field.
fn whole_field(t: &[u8], s: usize, e: usize) -> bool {
    let delim = |b: u8| matches!(b, b',' | b';' | b'\t' | b'|');
    let line_end = |b: u8| matches!(b, b'\n' | b'\r');
    let (s, e) = if s > 0 && e < t.len() && t[s - 1] == b'"' && t[e] == b'"' {
        (s - 1, e + 1)
    } else {
        (s, e)
    };
    // A comma and a space are prose's; a record's comma has none after it (`58505,Thomas Volkert,done`).
    let before_delim = s > 0 && delim(t[s - 1]);
    let after_delim = e < t.len() && delim(t[e]) && !(t[e] == b',' && t.get(e + 1) == Some(&b' '));
    let before = before_delim || s == 0 || line_end(t[s - 1]);
    let after = after_delim || e == t.len() || line_end(t[e]);
    before && after && (before_delim || after_delim)
}

/// Past the particles a surname may begin with (`Van`, `de la`, `Di`, `von der`) at `j`, when a
/// capital follows them; `j` itself otherwise.
fn surname_particles_end(t: &[u8], j: usize) -> usize {
    let mut k = j;
    for _ in 0..2 {
        let e = en_word_end(t, k);
        if e > k
            && t.get(e) == Some(&b' ')
            && tables().en_surname_particles.contains(&ascii(&t[k..e]))
        {
            k = e + 1;
        } else {
            break;
        }
    }
    if k > j && capital_at(t, k) {
        k
    } else {
        j
    }
}

/// Whether `t[s..e]` is a line of its own, or a chat line's speaker before the colon (`Cyril Bouthors`,
/// `Daniel Gollub: see you at 3`): nothing before it on its line, nothing after it but the colon.
fn alone_on_line(t: &[u8], s: usize, e: usize) -> bool {
    line_starts_at(t, s) && t.get(e).is_none_or(|b| matches!(b, b'\n' | b'\r'))
        || chat_speaker(t, s, e)
}

/// Whether a US state's code follows `e` as a place's does (`Lynn Haven, FL`, `Santa Cruz, CA 95060`):
/// a city's name, though its words are a first name and a surname. Not the codes that are also a
/// person's credentials (`Jane Doe, MD`, `John Roe, PA`).
fn before_us_state(t: &[u8], e: usize) -> bool {
    let Some(code) = t
        .get(e..)
        .and_then(|r| r.strip_prefix(b", "))
        .and_then(|r| r.get(..2))
    else {
        return false;
    };
    let after = t.get(e + 4);
    let place_ends = after.is_none_or(|&b| {
        matches!(
            b,
            b',' | b';' | b'\t' | b'|' | b'"' | b'\n' | b'\r' | b')' | b'.' | 0x80..
        ) || b == b' '
            && t.get(e + 5)
                .is_none_or(|b| b.is_ascii_digit() || !b.is_ascii_alphanumeric())
    });
    place_ends && !matches!(code, b"MD" | b"PA") && tables::is_us_state_code(code)
}

/// Whether the capitalised words after a name at `e` end an organisation's name (`Ray Shine Video
/// Technology Inc`, `Royal Cloud Technology Co., Ltd`): the name is the organisation's, not a person's.
fn organisation_goes_on(t: &[u8], e: usize) -> bool {
    let mut k = e;
    for _ in 0..3 {
        if t.get(k) != Some(&b' ') || !capital_at(t, k + 1) {
            return false;
        }
        let we = name_word_end(t, k + 1);
        if we == k + 1 {
            return false;
        }
        if tables().en_org_words.contains(ascii(&t[k + 1..we])) {
            return true;
        }
        k = we + usize::from(t.get(we) == Some(&b'.'));
    }
    false
}

/// Whether a line starts at `s`.
fn line_starts_at(t: &[u8], s: usize) -> bool {
    s == 0 || matches!(t[s - 1], b'\n' | b'\r')
}

/// Whether `t[s..e]` is a chat line's speaker (`Daniel Gollub: see you at 3`): it starts the line, and
/// a colon and what they said follow it (`Paris Office: +33 1 …` is a label).
fn chat_speaker(t: &[u8], s: usize, e: usize) -> bool {
    let said = |k: usize| {
        t.get(k)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b >= 0x80)
    };
    line_starts_at(t, s) && t.get(e) == Some(&b':') && t.get(e + 1) == Some(&b' ') && said(e + 2)
}

/// Whether a capitalised word is shaped like a surname the census may have missed: letters (one hyphen
/// or apostrophe allowed inside, `Fernandez-Sanguino`, `O'Neil`), three to twenty, the rest lower case.
fn surname_shaped(w: &[u8]) -> bool {
    let inner = w.iter().filter(|&&b| b == b'-' || b == b'\'').count();
    (3..=20).contains(&w.len())
        && inner <= 1
        && (w.last().is_some_and(u8::is_ascii_lowercase)
            || char_before(w, w.len()).is_some_and(|(c, k)| {
                c.is_lowercase() && name_letter_len(w, k).is_some()
                    || ('\u{300}'..='\u{36F}').contains(&c)
            }))
        && w.windows(2)
            .all(|p| !p[1].is_ascii_uppercase() || matches!(p[0], b'-' | b'\''))
        // Nor an organisation's, a sign-off's or a street's word (`Victoria Station`).
        && !tables().never_unknown_surnames.contains(ascii(w))
}

/// A sign-off's word (`Best`, `Cheers`, `Thanks`), which a comma and a first name follow.
fn is_signoff(w: &[u8]) -> bool {
    tables()
        .en_signoffs
        .iter()
        .any(|s| s.trim_end_matches(',') == ascii(w))
}

/// Whether a closing bracket or quote stands right before `p` (`)`, `]`, `」`, `』`, `”`, `’`), so that a
/// Hangul run there is a particle after what it closes.
fn after_closing(t: &[u8], p: usize) -> bool {
    let before = &t[..p];
    // Every mark below ends with one of these bytes; most runs follow a space.
    if !matches!(before.last(), Some(b')' | b']' | 0x8D | 0x8F | 0x9D | 0x99)) {
        return false;
    }
    before.ends_with(b")")
        || before.ends_with(b"]")
        || ["」", "』", "”", "’"]
            .iter()
            .any(|c| before.ends_with(c.as_bytes()))
}

/// Whether the text before `p` ends with a company's legal form (`주식회사 `, `유한회사 `, `(주)`,
/// `㈜`, `(유)`, `재단법인 `, `사단법인 `), so that what starts at `p` names a company.
fn after_company_form(t: &[u8], p: usize) -> bool {
    // Spaces only: a name that starts the next line is no company's (`주식회사\n김민수`).
    let mut end = p;
    while end > 0 && t[end - 1] == b' ' {
        end -= 1;
    }
    let before = &t[end.saturating_sub(12)..end];
    // Every form below ends with 사, 인, `)` or ㈜, whose last bytes are these.
    if !matches!(before.last(), Some(0xAC | 0xB8 | b')' | 0x9C)) {
        return false;
    }
    [
        "주식회사",
        "유한회사",
        "합자회사",
        "합명회사",
        "재단법인",
        "사단법인",
        "(주)",
        "(유)",
        "㈜",
    ]
    .iter()
    .any(|form| before.ends_with(form.as_bytes()))
}

/// The four bytes of a space and a syllable, for comparing as one word.
const fn four_bytes(s: &str) -> [u8; 4] {
    let b = s.as_bytes();
    [b[0], b[1], b[2], b[3]]
}

/// Whether an honorific written apart stands at `j` (` 님`, ` 씨`, with a particle after it or none:
/// `님이`, `씨가`), as after a person's name (`이민지 님이 들어왔습니다`).
fn honorific_at(t: &[u8], j: usize) -> bool {
    // Compared as four bytes: most runs in a sentence end before a space.
    const SPACE_NIM: [u8; 4] = four_bytes(" 님");
    const SPACE_SSI: [u8; 4] = four_bytes(" 씨");
    if !array_at(t, j).is_some_and(|b| b == SPACE_NIM || b == SPACE_SSI) {
        return false;
    }
    let end = hangul_run_after(t, j + 1);
    let Ok(word) = std::str::from_utf8(&t[j + 1..end]) else {
        return false;
    };
    (word.starts_with('님') || word.starts_with('씨')) && model::ko_names().is_after_name(word)
}

/// The name model's score a run in a Korean sentence needs, with no anchor word.
const SENTENCE_BAR: f32 = 3.0;

/// The name model's score a run in a Korean sentence needs when a particle that follows persons ends it
/// (`이기수랑`, `방미비에게`).
const PERSON_PARTICLE_BAR: f32 = 1.0;

/// The name model's score a surname and a given name many bear need in a Korean sentence (`편서연은`,
/// `홍지유가`), the surname's rarity floored.
const GIVEN_BORNE_BAR: f32 = 1.0;

/// The name model's score three syllables alone in a cell need after a known surname (`고지아`).
const SHAPED_CELL_BAR: f32 = -3.0;

/// The name model's score a run needs where it stands.
fn bar(place: Place) -> f32 {
    match place {
        Place::Record | Place::Speaker => 0.0,
        Place::Field | Place::Foreign => 0.5,
        Place::Sentence => SENTENCE_BAR,
    }
}

/// The score a surname and given name written apart (`김 아름`) need where they stand.
fn bar_spaced(place: Place) -> f32 {
    match place {
        Place::Record | Place::Speaker => 1.0,
        Place::Field | Place::Foreign => 2.0,
        Place::Sentence => 3.0,
    }
}

/// Where a run of Hangul stands, from most to least expected to hold a name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Place {
    /// The whole of a cell, a field or the text.
    Record,
    /// A chat line's speaker (`김민수: …`, `[김민수]`, `<김민수>`).
    Speaker,
    /// A field of a line written by hand, where a label is as likely as a name: a list item (`- 김민수`),
    /// a handle (`@김민수`), a field between slashes or columns of spaces, a name before its age
    /// (`김민수 (32세)`). A name is expected, but a word that is also a name is read as the word
    /// (`정원 (30명)`).
    Field,
    /// Among English words (`thanks to 김미정 for …`).
    Foreign,
    /// In a Korean sentence.
    Sentence,
}

/// Where the Hangul run `p..e` stands, judged by the nearest non-space bytes on either side.
fn place_of(t: &[u8], p: usize, e: usize) -> Place {
    let mut a = p;
    while a > 0 && t[a - 1] == b' ' {
        a -= 1;
    }
    let left = a.checked_sub(1).map(|k| t[k]);
    // Most runs follow another word of the sentence, one space apart: no cell, speaker or English
    // sentence begins so. Not a list item's marker (`• `), nor columns aligned by spaces (below).
    if left.is_some_and(|x| x >= 0x80) && p - a < 2 && !matches!(left, Some(0xA2 | 0xB7)) {
        return Place::Sentence;
    }
    let mut b = e;
    while b < t.len() && t[b] == b' ' {
        b += 1;
    }
    let right = t.get(b).copied();
    let edge = |x: Option<u8>| matches!(x, None | Some(b'\n' | b'\r'));
    // A handle, a list item's marker, columns aligned by spaces: each ends with one of these bytes
    // (as do a few syllables, which the helper turns away).
    let mut item = false;
    if matches!(
        left,
        Some(b'@' | b'-' | b'*' | b'+' | b'>' | b'.' | b')' | 0xA2 | 0xB7)
    ) || p - a >= 2
        || b - e >= 2
    {
        match field_edges(t, p, e, a, b) {
            FieldEdge::Field => return Place::Field,
            FieldEdge::ItemMarker => item = true,
            FieldEdge::Nothing => {}
        }
    }
    if left.is_some_and(|x| x >= 0x80) && !item {
        return Place::Sentence;
    }
    // A comma separates cells only written tight on both sides (`12,김민수,완료`); prose puts a space
    // after it.
    let tight_left = a == p && a >= 2 && t[a - 2] != b' ';
    let tight_right = b == e && t.get(b + 1).is_some_and(|&x| x != b' ');
    // A quote is a cell's edge only right beside the value (`"김민수",`); after a space it opens a quoted
    // phrase of the sentence (`여기서 "$br"은`).
    let cell = |x: Option<u8>, tight: bool, beside: bool| {
        edge(x)
            || matches!(x, Some(b';' | b'|' | b'\t'))
            || x == Some(b'"') && beside
            || x == Some(b',') && tight
    };
    // Or between numbers and marks, as in a row of space-separated fields (`58068 김아름 2026-12-01`).
    let mark = |x: Option<u8>| edge(x) || x.is_some_and(|b| b < 0x80 && !b.is_ascii_alphabetic());
    if cell(left, tight_left, a == p) && cell(right, tight_right, b == e)
        || mark(left)
            && mark(right)
            && left.is_some_and(|b| b.is_ascii_digit())
            && right.is_some_and(|b| b.is_ascii_digit())
    {
        return Place::Record;
    }
    // A list item, a field between slashes (`김민수 / 개발팀`), a name before its age in brackets
    // (`김민수 (32세)`).
    let numbered = right == Some(b'(') && t.get(b + 1).is_some_and(u8::is_ascii_digit);
    if (item || cell(left, tight_left, a == p) || left == Some(b'/'))
        && (cell(right, tight_right, b == e) || right == Some(b'/') || numbered)
    {
        return Place::Field;
    }
    // A speaker starts the line, after a time stamp at most: `김민수: …`, `[10:32] 김민수: …`,
    // `[김민수] …`, `<김민수> …`, `김민수 [오후 2:28] …`.
    let stamp_before = edge(left) || left == Some(b']');
    let opens_line = |x: Option<u8>| {
        a.checked_sub(1)
            .is_some_and(|k| Some(t[k]) == x && (k == 0 || matches!(t[k - 1], b'\n' | b'\r')))
    };
    // A speaker says something: a word and a colon that end the line are a heading or a label
    // (`마감일:`).
    let says = || {
        t[b + 1..]
            .iter()
            .find(|&&x| x != b' ' && x != b'\t')
            .is_some_and(|&x| !matches!(x, b'\n' | b'\r' | b':'))
    };
    if right == Some(b':') && stamp_before && says()
        || left == Some(b'[') && right == Some(b']') && opens_line(Some(b'['))
        || left == Some(b'<') && right == Some(b'>') && opens_line(Some(b'<'))
        || right == Some(b'[') && edge(left)
    {
        return Place::Speaker;
    }
    // A lone Korean word among English ones: no other non-ASCII byte near, an English letter beside it.
    if left.is_some_and(|x| x >= 0x80) || right.is_some_and(|x| x >= 0x80) {
        return Place::Sentence;
    }
    let near = 32;
    let before = &t[p.saturating_sub(near)..p];
    let after = &t[e..(e + near).min(t.len())];
    let lone = before.iter().chain(after).all(|&x| x < 0x80);
    let latin = |x: Option<u8>| x.is_some_and(|b| b.is_ascii_alphabetic());
    if lone
        && (latin(left) || latin(right) || before.iter().chain(after).any(u8::is_ascii_alphabetic))
    {
        return Place::Foreign;
    }
    Place::Sentence
}

/// What a handle, columns aligned by spaces or a list item's marker say of where a run stands.
enum FieldEdge {
    /// A handle (`@김민수`) or a field between columns (`김민수  010-1234-5678  서울`).
    Field,
    /// A list item's marker (`- 김민수`) before the run, read as the line's edge.
    ItemMarker,
    Nothing,
}

/// What [`place_of`] learns from a handle, columns or a list item's marker for the run `p..e`, with
/// spaces out to `a` and `b`. Kept apart: most runs have none of these.
#[cold]
fn field_edges(t: &[u8], p: usize, e: usize, a: usize, b: usize) -> FieldEdge {
    // A handle names a person wherever it stands.
    if a == p
        && a >= 1
        && t[a - 1] == b'@'
        && (p == 1 || matches!(t[p - 2], b' ' | b'\n' | b'\r' | b'('))
    {
        return FieldEdge::Field;
    }
    // A list item's marker begins its line as a cell's edge does.
    let item = a < p && item_marker_before(t, a);
    // Columns: two spaces or more on one side, and on the other as many or the line's edge.
    let wide_left = p - a >= 2 || item || line_starts_at(t, a);
    let wide_right = b - e >= 2 || t.get(b).is_none_or(|x| matches!(x, b'\n' | b'\r'));
    if wide_left && wide_right && (p - a >= 2 || b - e >= 2) {
        return FieldEdge::Field;
    }
    if item {
        FieldEdge::ItemMarker
    } else {
        FieldEdge::Nothing
    }
}

/// Whether the line holding `a` begins, up to `a`, with a list item's marker and nothing else: `-`,
/// `*`, `+`, `>`, `•`, `·`, or a number with `.` or `)` (`1.`, `2)`), after an indent of a few spaces.
/// Looks back a few bytes only: most runs follow a word, and a paragraph's line is long.
fn item_marker_before(t: &[u8], a: usize) -> bool {
    let marker_start = match t[..a] {
        [.., b'-' | b'*' | b'+' | b'>'] => a - 1,
        [.., 0xE2, 0x80, 0xA2] => a - 3,
        [.., 0xC2, 0xB7] => a - 2,
        [.., b'.' | b')'] => {
            let digits = t[..a - 1]
                .iter()
                .rev()
                .take(4)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if !(1..=3).contains(&digits) {
                return false;
            }
            a - 1 - digits
        }
        _ => return false,
    };
    let indent = t[..marker_start]
        .iter()
        .rev()
        .take(17)
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    indent <= 16 && line_starts_at(t, marker_start - indent)
}

/// The next byte at or after `i` that starts a Hangul syllable, skipping eight bytes at a time where
/// none may (English text, and its curly quotes and dashes, which once sent the search byte by byte to
/// the end of the text).
pub(crate) fn next_hangul(t: &[u8], mut i: usize) -> Option<usize> {
    while i < t.len() {
        while i + 8 <= t.len() && has_hangul_lead(word_at(t, i)) == 0 {
            i += 8;
        }
        let end = (i + 8).min(t.len());
        while i < end {
            if (0xEA..=0xED).contains(&t[i]) && model::syl_at(t, i).is_some() {
                return Some(i);
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// English with curly quotes, Hangul, broken UTF-8: the eight-byte skip finds the first
        /// syllable a byte-by-byte search finds, from any start.
        #[test]
        fn the_next_hangul_is_the_first_syllable_a_plain_search_finds(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(0xEAu8), Just(0xB0u8), Just(0x80u8), Just(0xE2u8), Just(b'a')],
                0..40,
            ),
            text in "[a-z “”—김민수가 ]{0,30}",
        ) {
            for t in [bytes.as_slice(), text.as_bytes()] {
                for i in 0..=t.len() {
                    let plain = (i..t.len()).find(|&k| model::syl_at(t, k).is_some());
                    prop_assert_eq!(next_hangul(t, i), plain, "{:?} from {}", t, i);
                }
            }
        }
    }
}
