//! The Korean name model: whether a run of Hangul is a name, judged by how names are formed against how
//! ordinary words are formed, not by a list of names.
//!
//! A name is a surname (one syllable, or one of the compound ones: 남궁, 제갈, ...) and a given name of
//! one or two syllables. Its score is a log-likelihood ratio: how likely its syllables are in their
//! places in a person's name (surname; first and second syllable of a given name; a one-syllable given
//! name) against how likely they are in an ordinary word (first syllable; any later one). The counts come
//! from mecab-ko-dic (`data/ko_syllables.tsv`, built by `data/build_ko_names.py`): about 147,000 person
//! names against 380,000 other entries. A particle (조사) or copula after the name is separated first
//! (`김민수가`, `제갈서연이랑`, `이명자입니다`), and a run that is an ordinary word with a particle or ending
//! (`조건은`, `유효한`: `data/ko_words.txt`) is a word, whatever its syllables.
//!
//! The tables are parsed once per process.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use super::packing::{entry_in, mix, pack, pack_bytes, FREQUENT, NAME_TOO, UNCLASSED_PROPER};
pub(crate) use super::packing::{syl_at, Syl};
use super::tables;

const SYLLABLES: &str = include_str!("../../data/ko_syllables.tsv");
/// The word list's lookup table, written by `build.rs` from `data/ko_words.txt` (see `packing.rs`).
const WORD_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ko_words.table"));
const GIVEN: &str = include_str!("../../data/ko_given.tsv");
const GIVEN_RECENT: &str = include_str!("../../data/ko_given_recent.txt");
const STEMS: &str = include_str!("../../data/ko_stems.txt");
const HANJA: &str = include_str!("../../data/ko_hanja.txt");

/// The ending that makes a verb's stem its noun, as labels name actions (`채우기`, `나누기`).
const VERB_ENDS: &str = "기";

/// Syllables that end compound words far more than names do (式 `정규식`, 者 `한정자`, 性 `유효성`,
/// 型 `정수형`, ...), and the verb 하다's (`변경해도`, `변경했다`): after a word, one of them
/// makes a compound or a verb in a sentence, even where the rest would be a common given name.
const COMPOUND_ENDS: &str = "식자성형화적용별법률율론학값셋측층량력품체감문해했할함키";

/// More syllables that end compounds, which given names also end with (名 `함수명`, 線 `추세선`) or
/// that a label ends with (色 `배경색`, 값 `임계값`, 表 `색상표`): after a word, alone as a label, they
/// make a compound unless what follows the surname is a given name many bear.
const LABEL_ENDS: &str = "명값선색표";

/// How much a given name borne whole (`ko_given.tsv`) adds to what its syllables apart say.
const GIVEN_WHOLE_WEIGHT: f32 = 0.5;

/// A syllable of the vowel ㅡ with no final consonant and a consonant first (그, 드, 르, 스, 트, ...): the
/// vowel Korean adds to spell a foreign consonant (`마우스`, `호스트`), which hardly a Korean name holds.
fn transliterated(s: Syl) -> bool {
    // Not 으, which native names hold (`으뜸`).
    (s % 588) / 28 == 18 && s.is_multiple_of(28) && s / 588 != 11
}

/// The log share of the dictionary's names a surname must bear to be one of the commonest (김, 이, 박:
/// about one in twenty or more).
const COMMONEST_SURNAME: f32 = -3.1;

/// A given name borne by this many of the dictionary's full names or more is common.
const COMMON_GIVEN: f32 = 10.0;

/// Particles (조사) that may follow a name, each as written after a final vowel and after a final
/// consonant where the two differ (가/이, 는/은, 와/과, 랑/이랑): case, then auxiliary ones.
const PARTICLES: [&str; 46] = [
    "가",
    "이",
    "는",
    "은",
    "를",
    "을",
    "와",
    "과",
    "의",
    "도",
    "만",
    "께",
    "께서",
    "에게",
    "한테",
    "에게서",
    "한테서",
    "더러",
    "하고",
    "랑",
    "이랑",
    "로",
    "으로",
    "처럼",
    "보다",
    "만큼",
    "같이",
    "까지",
    "부터",
    "조차",
    "마저",
    "밖에",
    "나",
    "이나",
    "든",
    "이든",
    "라도",
    "이라도",
    "야",
    "아",
    "이야",
    "여",
    "이여",
    "요",
    "이요",
    "보고",
];

/// Particles after which another may follow (`에게는`, `한테도`, `께서만`, `하고요`).
const STACKING: [&str; 18] = [
    "께",
    "께서",
    "에게",
    "한테",
    "에게서",
    "한테서",
    "하고",
    "랑",
    "이랑",
    "와",
    "과",
    "로",
    "으로",
    "처럼",
    "보다",
    "만큼",
    "까지",
    "부터",
];

/// The copula (이다) and its common endings after a name ending in a consonant; after a vowel the 이
/// drops (`민수예요`, `민수였다`, `민수라고`), and both are written.
const COPULA: [&str; 26] = [
    "이다",
    "이에요",
    "이예요",
    "입니다",
    "이었다",
    "이었어",
    "이었고",
    "이었는데",
    "이었다고",
    "이었던",
    "이고",
    "이며",
    "이라고",
    "이라는",
    "이란",
    "이라서",
    "이라면",
    "이지만",
    "이죠",
    "인데",
    "인데요",
    "인가",
    "인가요",
    "인지",
    "이니까",
    "이세요",
];

/// Honorific and familiar address attached to a name (`민수님`, `민수씨`): a person, whatever follows.
const HONORIFICS: [&str; 2] = ["님", "씨"];

/// Particles that follow a person (or an animal) and hardly a thing: to, from, with, by an honoured
/// subject (`김민수에게`, `제갈서연이랑`, `이기수께서`). In a sentence, a run that ends with one is a name
/// on less evidence. The forms built on them (`에게는`, `이랑도`, `님께`) follow persons too.
const PERSON_PARTICLES: [&str; 8] = [
    "께",
    "께서",
    "에게",
    "한테",
    "에게서",
    "한테서",
    "랑",
    "이랑",
];

/// The longest ending [`after_name_forms`] makes, in syllables.
pub(crate) const MAX_AFTER_NAME: usize = 4;

/// Whether an ending starting with this syllable is a plain particle or copula after a name set apart:
/// not 하고, 보고, 더러 (also verbs' forms) nor 로, 으로.
fn plain_first(s: Syl) -> bool {
    !"하보더로으".chars().filter_map(syl).any(|x| x == s)
}

/// What the forms written only after a final consonant start with (이, 은, 을, 과, 으로, 아, 입니다,
/// 인데), and those written only after a vowel (가, 는, 를, 와, 랑, 로, 나, 든, 야, 여, 예요, 였다,
/// 라고, 란).
const AFTER_CONSONANT: [char; 8] = ['이', '은', '을', '과', '으', '아', '입', '인'];
const AFTER_VOWEL: [char; 14] = [
    '가', '는', '를', '와', '랑', '로', '나', '든', '야', '여', '예', '였', '라', '란',
];

/// Whether a Hangul syllable ends in a consonant (받침).
fn has_final(c: char) -> bool {
    syl(c).is_some_and(|s| s % 28 != 0)
}

/// Every ending that may follow a name in a sentence, as written, with whether it follows persons
/// only: the particles, two stacked (`에게는`, `까지도`, `만이`), the familiar 이 of a name ending in
/// a consonant before them (`민준이가`, `민준이한테`), the copula's forms, and the honorifics with any
/// of these after them (`님께서`, `씨한테는`). Made by these rules, not listed, so that no
/// combination is forgotten; at most [`MAX_AFTER_NAME`] syllables.
pub(crate) fn after_name_forms() -> Vec<(String, bool)> {
    let person = |w: &str| PERSON_PARTICLES.iter().any(|p| w.starts_with(p));
    let mut plain: Vec<String> = Vec::new();
    for p in PARTICLES {
        plain.push(p.to_string());
    }
    for p in STACKING {
        let topic = if p.chars().last().is_some_and(has_final) {
            "은"
        } else {
            "는"
        };
        for q in [topic, "도", "만", "요"] {
            plain.push(format!("{p}{q}"));
        }
    }
    for q in ["이", "은", "을", "의", "도", "요"] {
        plain.push(format!("만{q}"));
    }
    for p in ["는", "은", "도", "가", "이", "를", "을"] {
        plain.push(format!("{p}요"));
    }
    for c in COPULA {
        plain.push(c.to_string());
        // After a vowel: 이에요 → 예요, 이었다 → 였다, 입니다 → ㅂ니다 is not written apart, 인데 → ㄴ데
        // neither; the rest lose their 이.
        let vowel = match c {
            "이에요" | "이예요" => Some("예요".to_string()),
            "입니다" | "인데" | "인데요" | "인가" | "인가요" | "인지" => None,
            _ if c.starts_with("이었") => Some(format!("였{}", &c["이었".len()..])),
            // 라고, 라는, 란, 라서, 라면; not 다, 고, 며, 지만, 죠, 니까, 세요, which after a vowel
            // end verbs far more often than names (`이상하죠`, `고유하고`).
            _ => c
                .strip_prefix('이')
                .filter(|v| v.starts_with(['라', '란']))
                .map(str::to_string),
        };
        plain.extend(vowel);
    }
    // The familiar 이 after a name that ends in a consonant (`민준이가`), before the forms that follow
    // a vowel and those that follow either (not before 이, 은, 을, 과, 으로, 아, 입니다, 인데).
    let familiar: Vec<String> = plain
        .iter()
        .filter(|w| !w.starts_with(AFTER_CONSONANT))
        .map(|w| format!("이{w}"))
        .collect();
    let mut forms: Vec<(String, bool)> = Vec::new();
    for h in HONORIFICS {
        forms.push((h.to_string(), true));
        for w in &plain {
            // 님 ends in a consonant, 씨 in a vowel: 님이/씨가, 님은/씨는, 님과/씨와, ...
            let after_consonant = w.starts_with(AFTER_CONSONANT);
            let after_vowel = w.starts_with(AFTER_VOWEL);
            if (h == "님" || !after_consonant) && (h == "씨" || !after_vowel) {
                forms.push((format!("{h}{w}"), true));
            }
        }
    }
    plain.extend(familiar);
    for w in plain {
        let p = person(&w) || w.starts_with('이') && person(&w['이'.len_utf8()..]);
        forms.push((w, p));
    }
    forms.retain(|(w, _)| w.chars().count() <= MAX_AFTER_NAME);
    forms.sort();
    forms.dedup();
    forms
}

/// What may follow an ordinary word that makes it a word with an ending (`허용하는`, `조건은`).
const AFTER_WORD: [&str; 74] = [
    "한",
    "하는",
    "하다",
    "했다",
    "하고",
    "하여",
    "해야",
    "된",
    "되는",
    "되어",
    "되고",
    "적",
    "적인",
    "적으로",
    "하게",
    "함",
    "해",
    "할",
    "했",
    "하며",
    "하지",
    "합니다",
    "했습니다",
    "된다",
    "한다",
    "스러운",
    "없는",
    "있는",
    "인",
    "일",
    "에",
    "에는",
    "부터",
    "까지",
    "들",
    "들이",
    "들은",
    "들을",
    "들의",
    "될",
    "됨",
    "되면",
    "하면",
    "해서",
    "에도",
    "에만",
    "하든",
    "하든지",
    "하거나",
    "하니",
    "하니까",
    "하려면",
    "하려고",
    "하도록",
    "하기",
    "하기에",
    "하여도",
    "하므로",
    "하였다",
    "하였",
    "하던",
    "하세요",
    "하십시오",
    "하지만",
    "하자",
    "하더라도",
    "해도",
    "했던",
    "한다면",
    "하겠",
    "하겠다",
    "하여야",
    // A note's style: the copula's and 하다's noun forms (`읽기 전용 변수임`), and 하다's `but`
    // (`현재 허용하나 무시함`).
    "임",
    "하나",
];

/// 하, which after a noun makes it a verb (`사용하`).
const HA: Syl = 0xD558 - 0xAC00;

/// Suffixes that make a frequent word another (`파일용`, `지역별`, `부서명`), as syllable indices (용,
/// 별, 명).
const AFTER_FREQUENT: [Syl; 3] = [0xC6A9 - 0xAC00, 0xBCC4 - 0xAC00, 0xBA85 - 0xAC00];

/// Two-syllable surnames.
const COMPOUND: [&str; 13] = [
    "남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "망절", "소봉", "어금", "장곡",
    "황목",
];

/// [`KoNames`]'s per-syllable flags: a name in running text may start with it (a surname borne by
/// many, or the first of a compound one the dictionary's names hold).
const MAY_START: u8 = 1;
/// The surname of any of the dictionary's names (or the first of a compound one).
const KNOWN_SURNAME: u8 = 2;
/// Also a Sino-Korean prefix (最, 全/前, 新, 高, ...).
const PREFIX: u8 = 4;
/// [`transliterated`].
const FOREIGN: u8 = 8;
/// In [`COMPOUND_ENDS`].
const COMPOUND_END: u8 = 16;
/// In [`LABEL_ENDS`].
const LABEL_END: u8 = 32;
/// In [`VERB_ENDS`].
const VERB_END: u8 = 64;
/// Reads a Chinese character (`data/ko_hanja.txt`), as every surname but a few naturalised ones does.
const HANJA_READING: u8 = 128;

/// Sino-Korean prefixes spelled as surnames: 最 (`최상단`), 全/前 (`전단계`), 新, 高, 反/半, 非, 副/不,
/// 主, 小, 舊, 超/初, 原, 現, 正, 逆, 再, 總, 大, 無, 多, 低, 兩, 各, 每, 本, 當, 他, 同.
const PREFIXES: &str = "최전신고반비부주소구초원현정역재총대무다저양각매본당타동";

/// The surname floor where a name is expected: one person in two thousand.
pub(crate) const EXPECTED_SURNAME_FLOOR: f32 = -7.6;

/// The longest run [`KoNames::judge_in`] remembers: eight syllables and their count fill a `u128` key.
const JUDGED_RUN: usize = 8;
/// The memory of [`KoNames::judge_in`]: 2^12 slots of 48 bytes per thread.
const JUDGED_BITS: u32 = 12;

/// One remembered judgement. A run's key holds its count (2 to 8), so no key is 0 and an empty slot
/// (all zero) answers no question.
#[derive(Clone, Copy, Default)]
struct Judged {
    key: u128,
    how: u64,
    verdict: Option<(usize, f32)>,
}

thread_local! {
    static JUDGED: std::cell::RefCell<Vec<Judged>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The Hangul syllable of a `char`, if it is one.
pub(crate) fn syl(c: char) -> Option<Syl> {
    let v = (c as u32).checked_sub(0xAC00)?;
    (v < 11_172).then_some(v as Syl)
}

/// Syllables no given name ends with (or hardly one), which end a word with its particle or a verb's
/// noun: 를, 을, 에, 의, 는, 로, 됨 (`선택됨`), 함 (`확인함`).
const NEVER_LAST: [char; 8] = ['를', '을', '에', '의', '는', '로', '됨', '함'];

/// Whether a run ends as no name does: with a particle no given name ends with, or a verb's ending
/// (`니다`, `다면`, `나요`, `까요`).
pub(crate) fn ends_as_no_name(run: &[Syl]) -> bool {
    let is = |s: Syl, c: char| syl(c) == Some(s);
    let Some(&last) = run.last() else {
        return false;
    };
    NEVER_LAST.iter().any(|&c| is(last, c))
        || run.len() >= 2
            && (is(run[run.len() - 2], '니') && is(last, '다')
                || is(run[run.len() - 2], '다') && is(last, '면')
                // A question's ending (`나오나요`, `할까요`).
                || is(last, '요') && ['나', '까'].iter().any(|&c| is(run[run.len() - 2], c)))
}

/// [`pack`] of a word's syllables, with no allocation (a trailing `*` or other mark is skipped).
fn pack_str(w: &str) -> u64 {
    pack_bytes(w.as_bytes())
}

fn syls(w: &str) -> Vec<Syl> {
    w.chars().filter_map(syl).collect()
}

/// A multiplicative hash for the packed keys: they are already well spread.
#[derive(Default)]
pub(crate) struct PackHasher(u64);

impl Hasher for PackHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = mix(x);
    }
}

type PackSet = HashSet<u64, BuildHasherDefault<PackHasher>>;

/// The words of the word list, or those of them with `mark` ([`FREQUENT`], [`NAME_TOO`]), looked up
/// in the table `build.rs` wrote.
struct WordTable {
    mark: u64,
}

impl WordTable {
    fn contains(&self, key: &u64) -> bool {
        entry_in(WORD_TABLE, *key).is_some_and(|e| self.mark == 0 || e & self.mark != 0)
    }
}

/// Log probabilities per syllable, by place.
#[derive(Clone, Copy, Default)]
struct Place {
    surname: f32,
    given_first: f32,
    given_second: f32,
    given_alone: f32,
    word_first: f32,
    word_other: f32,
}

/// The Korean name model's tables.
pub(crate) struct KoNames {
    places: Vec<Place>,
    /// Per syllable, what it may be: [`MAY_START`], [`KNOWN_SURNAME`], [`PREFIX`], [`FOREIGN`],
    /// [`COMPOUND_END`], [`LABEL_END`], [`VERB_END`], [`HANJA_READING`].
    flags: Vec<u8>,

    compound: Vec<([Syl; 2], f32)>,
    words: WordTable,
    /// Frequent words: with a particle they are words even in a cell (`정보를`), and a frequent
    /// two-syllable one with one more syllable makes a compound (`정규식`).
    frequent: WordTable,
    /// Words that are also persons' names in the dictionary (`=`, `이민수`): alone in a cell they are
    /// read as names.
    names_too: WordTable,
    /// Proper nouns of three syllables after a surname that the dictionary gives no class (`+`,
    /// `조민서`), mostly names of people: see [`KoNames::is_also_name`].
    unclassed: WordTable,
    after_name: PackSet,
    after_person: PackSet,
    after_word: PackSet,
    /// Two-syllable given names the dictionary's full names bear, by [`pair`].
    given: std::collections::HashMap<u32, Given, BuildHasherDefault<PackHasher>>,
    /// Verb and adjective stems (`data/ko_stems.txt`).
    stems: PackSet,
    /// Per syllable, the most that being borne whole adds to a given name it starts (0 if it starts
    /// none).
    given_gain: Vec<f32>,
    /// One bit per [`COMMON_GIVEN_BITS`]-bit hash of each common given name's [`pair`]: a clear bit
    /// answers "not common" from 16 KB that stay in cache, where most lookups in `given` miss it.
    common_given_bits: Vec<u64>,
}

/// The width of `common_given_bits`' hash: 2^17 bits for some 3,300 common given names, so about one
/// pair in 40 that is none still needs the lookup in `given`.
const COMMON_GIVEN_BITS: u32 = 17;

fn common_given_bit(key: u32) -> (usize, u64) {
    let h = mix(u64::from(key)) >> (64 - COMMON_GIVEN_BITS);
    ((h >> 6) as usize, 1 << (h & 63))
}

/// A two-syllable given name the dictionary's full names bear.
#[derive(Clone, Copy)]
struct Given {
    /// Its log probability as a given name: what its syllables apart say, and more as it is borne
    /// whole (`ko_given.tsv`).
    log_prob: f32,
    /// Borne by [`COMMON_GIVEN`] or more.
    common: bool,
}

/// Two syllables as one key.
fn pair(a: Syl, b: Syl) -> u32 {
    (u32::from(a) << 14) | u32::from(b)
}

/// The tables, parsed on first use.
pub(crate) fn ko_names() -> &'static KoNames {
    static MODEL: OnceLock<KoNames> = OnceLock::new();
    MODEL.get_or_init(KoNames::parse)
}

impl KoNames {
    fn parse() -> KoNames {
        let mut counts = vec![[0f64; 6]; 11_172];
        let mut compound_counts: Vec<([Syl; 2], f64)> = Vec::new();
        for line in tables::data_lines(SYLLABLES) {
            let mut cols = line.split('\t');
            let Some(key) = cols.next() else { continue };
            let mut c = [0f64; 6];
            for (slot, col) in c.iter_mut().zip(cols) {
                *slot = col.parse().unwrap_or(0.0);
            }
            match syls(key).as_slice() {
                [one] => counts[usize::from(*one)] = c,
                [a, b] => compound_counts.push(([*a, *b], c[0])),
                _ => {}
            }
        }
        let totals: Vec<f64> = (0..6)
            .map(|k| counts.iter().map(|c| c[k]).sum::<f64>())
            .collect();
        let surname_total = totals[0] + compound_counts.iter().map(|c| c.1).sum::<f64>();
        let lp = |count: f64, total: f64| ((count + 0.5) / (total + 0.5 * 11_172.0)).ln() as f32;
        let places: Vec<Place> = counts
            .iter()
            .map(|c| Place {
                surname: lp(c[0], surname_total),
                given_first: lp(c[1], totals[1]),
                given_second: lp(c[2], totals[2]),
                given_alone: lp(c[3], totals[3]),
                word_first: lp(c[4], totals[4]),
                word_other: lp(c[5], totals[5]),
            })
            .collect();
        let mut flags: Vec<u8> = counts
            .iter()
            .map(|c| {
                // Surnames of at least one person in a thousand of the dictionary's names.
                let common = if c[0] >= totals[0] / 1000.0 {
                    MAY_START
                } else {
                    0
                };
                common | if c[0] > 0.0 { KNOWN_SURNAME } else { 0 }
            })
            .collect();
        let compound = COMPOUND
            .iter()
            .filter_map(|w| {
                let s = syls(w);
                let count = compound_counts
                    .iter()
                    .find(|(k, _)| k[..] == s[..])
                    .map_or(0.0, |c| c.1);
                Some(([*s.first()?, *s.get(1)?], lp(count, surname_total)))
            })
            .collect::<Vec<([Syl; 2], f32)>>();
        for (s, f) in flags.iter_mut().enumerate() {
            if transliterated(s as Syl) {
                *f |= FOREIGN;
            }
        }
        for (class, flag) in [
            (PREFIXES, PREFIX),
            (COMPOUND_ENDS, COMPOUND_END),
            (LABEL_ENDS, LABEL_END),
            (VERB_ENDS, VERB_END),
        ] {
            for s in class.chars().filter_map(syl) {
                flags[usize::from(s)] |= flag;
            }
        }
        for s in tables::data_lines(HANJA)
            .flat_map(str::chars)
            .filter_map(syl)
        {
            flags[usize::from(s)] |= HANJA_READING;
        }
        // Compound surnames the dictionary's names hold (not the rarest, `어금`, `소봉`).
        for c in compound.iter().filter(|c| c.1 > -11.0) {
            flags[usize::from(c.0[0])] |= MAY_START | KNOWN_SURNAME;
        }
        let mut given: std::collections::HashMap<u32, f64> =
            std::collections::HashMap::with_capacity(16_000);
        let mut given_total = 0f64;
        for line in GIVEN.lines() {
            if let Some(total) = line.strip_prefix('#').and_then(|l| l.rsplit(' ').next()) {
                given_total = total.trim().parse().unwrap_or(given_total);
                continue;
            }
            let mut cols = line.split('\t');
            if let (Some([a, b]), Some(Ok(count))) = (
                cols.next()
                    .map(syls)
                    .as_deref()
                    .and_then(|s| <[Syl; 2]>::try_from(s).ok()),
                cols.next().map(str::parse::<f64>),
            ) {
                given.insert(pair(a, b), count);
            }
        }
        // The names most registered at birth lately are common, however few of the dictionary's
        // (mostly older, often famous) people bear them (`하윤`, `서아`).
        for name in tables::data_lines(GIVEN_RECENT) {
            if let Ok([a, b]) = <[Syl; 2]>::try_from(syls(name).as_slice()) {
                let count = given.entry(pair(a, b)).or_insert(0.0);
                *count = count.max(f64::from(COMMON_GIVEN));
            }
        }
        // A given name as often borne whole as its syllables say apart, and more when the dictionary's
        // names bear it whole (`민재`); a pair they never bear is no less likely than its syllables
        // say (names are given anew every year), so only the pairs they bear are kept.
        let given: std::collections::HashMap<u32, Given, BuildHasherDefault<PackHasher>> = given
            .into_iter()
            .map(|(k, count)| {
                let (a, b) = ((k >> 14) as usize, (k & 0x3FFF) as usize);
                let apart = f64::from(places[a].given_first + places[b].given_second).exp();
                let whole = count / given_total.max(1.0);
                let log_prob = (apart + f64::from(GIVEN_WHOLE_WEIGHT) * whole).ln() as f32;
                (
                    k,
                    Given {
                        log_prob,
                        common: count as f32 >= COMMON_GIVEN,
                    },
                )
            })
            .collect();
        let mut given_gain = vec![0f32; 11_172];
        for (&k, g) in &given {
            let (a, b) = ((k >> 14) as usize, (k & 0x3FFF) as usize);
            let gain = g.log_prob - (places[a].given_first + places[b].given_second);
            given_gain[a] = given_gain[a].max(gain);
        }
        let mut common_given_bits = vec![0u64; 1 << (COMMON_GIVEN_BITS - 6)];
        for (&k, _) in given.iter().filter(|(_, g)| g.common) {
            let (word, bit) = common_given_bit(k);
            common_given_bits[word] |= bit;
        }
        let stems = tables::data_lines(STEMS).map(pack_str).collect();
        let forms = after_name_forms();
        let after_name = forms.iter().map(|(w, _)| pack_str(w)).collect();
        let after_person = forms
            .iter()
            .filter(|(_, person)| *person)
            .map(|(w, _)| pack_str(w))
            .collect();
        // A word with an ending is also a word, 하 (하다's stem) and the copula's forms after a vowel
        // (`설명하라는`, `유명하였던`, `조용하였는데`), which end verbs too; not 하 and a particle
        // (`박성하가` is a name).
        let verb_forms: Vec<String> = forms
            .iter()
            .filter(|(w, _)| {
                w.chars().count() < MAX_AFTER_NAME && w.starts_with(['라', '란', '였'])
            })
            .map(|(w, _)| format!("하{w}"))
            .collect();
        let after_word = forms
            .iter()
            .map(|(w, _)| pack_str(w))
            .chain(AFTER_WORD.iter().map(|w| pack_str(w)))
            .chain(verb_forms.iter().map(|w| pack_str(w)))
            .collect();
        KoNames {
            places,
            flags,
            compound,
            words: WordTable { mark: 0 },
            frequent: WordTable { mark: FREQUENT },
            names_too: WordTable { mark: NAME_TOO },
            unclassed: WordTable {
                mark: UNCLASSED_PROPER,
            },
            after_name,
            after_person,
            after_word,
            given_gain,
            common_given_bits,
            stems,
            given,
        }
    }

    /// Whether `word` is a particle, copula or ending that may follow a name (`님이`, `씨가`).
    pub(crate) fn is_after_name(&self, word: &str) -> bool {
        let s = syls(word);
        (1..=MAX_AFTER_NAME).contains(&s.len()) && self.after_name.contains(&pack(&s))
    }

    /// Whether the Hangul at `t[i..]` starts with what may follow a name right after a title
    /// (`김 과장님이`), as [`KoNames::is_after_name_plainly`] says.
    pub(crate) fn after_name_starts(&self, t: &[u8], i: usize) -> bool {
        let mut run = [0 as Syl; MAX_AFTER_NAME];
        let mut n = 0;
        while n < MAX_AFTER_NAME {
            let Some(s) = syl_at(t, i + 3 * n) else { break };
            if n == 0 && !plain_first(s) {
                return false;
            }
            run[n] = s;
            n += 1;
            if self.after_name.contains(&pack(&run[..n])) {
                return true;
            }
        }
        false
    }

    /// Whether the Hangul run at `t[i..]` is a form that follows persons (`님이`, `에게는`, `께서`), but
    /// not one begun by 랑 (with), which speech also puts after things (`Google Drive랑 연동`): what may
    /// follow a name in a language whose words say nothing about it (`Boyuan Yang에게`).
    pub(crate) fn person_form_at(&self, t: &[u8], i: usize) -> bool {
        let mut run = [0 as Syl; MAX_AFTER_NAME];
        let mut n = 0;
        while let Some(s) = syl_at(t, i + 3 * n) {
            if n == MAX_AFTER_NAME {
                return false;
            }
            run[n] = s;
            n += 1;
        }
        let is = |k: usize, c: char| k < n && Some(run[k]) == syl(c);
        n > 0
            && self.after_person.contains(&pack(&run[..n]))
            && !(is(0, '랑') || is(0, '이') && is(1, '랑'))
    }

    /// Whether `word` may follow a name that a field word or a title has already set apart
    /// (`이름은 김민수입니다`): what [`KoNames::is_after_name`] accepts, except the particles that are
    /// also verbs' forms (하고 `with` and `과장하고` exaggerating, 보고, 더러) and the instrumental
    /// 로/으로 (`공란으로`), after which the word before is rarely a name.
    pub(crate) fn is_after_name_plainly(&self, word: &str) -> bool {
        word.chars().next().and_then(syl).is_some_and(plain_first) && self.is_after_name(word)
    }

    /// Whether `core` is a verb's or adjective's stem and its noun ending (`채우기`, `나누기`).
    fn is_verb_form(&self, core: &[Syl]) -> bool {
        let Some((&last, stem)) = core.split_last() else {
            return false;
        };
        !stem.is_empty() && self.is(last, VERB_END) && self.stems.contains(&pack(stem))
    }

    /// Whether `a` `b` is a given name some of the dictionary's full names bear (`ko_given.tsv`), or one
    /// many are given lately.
    pub(crate) fn is_borne_given(&self, a: Syl, b: Syl) -> bool {
        self.given.contains_key(&pair(a, b))
    }

    /// Whether `a` and `b` together are a given name many bear (`민재`, `미정`).
    pub(crate) fn is_common_given(&self, a: Syl, b: Syl) -> bool {
        let (word, bit) = common_given_bit(pair(a, b));
        self.given_gain[usize::from(a)] > 0.0
            && self.common_given_bits[word] & bit != 0
            && self.given.get(&pair(a, b)).is_some_and(|g| g.common)
    }

    /// Whether `surname` is a known surname, common or rare (`김`, `편`, `탁`), and `a` `b` a given name
    /// many bear: a name on the evidence of its given name (`홍지유가`, `편서연은`, `편 서연은`).
    ///
    /// After one of the common surnames, whose syllables start many words, not when the surname and the
    /// first syllable are a frequent word and the last ends words (`구성표`: 구성 + 표, `배우기`,
    /// `사용하`): those are the word.
    pub(crate) fn is_surname_and_common_given(&self, surname: Syl, a: Syl, b: Syl) -> bool {
        self.is_known_surname(surname)
            && self.is_common_given(a, b)
            && !(self.may_start(surname)
                && (self.frequent.contains(&pack(&[surname, a]))
                    && self.is(b, COMPOUND_END | LABEL_END)
                    || self.words.contains(&pack(&[surname, a]))
                        && (self.is(b, VERB_END) || b == HA)))
    }

    /// Whether syllable `s` has `flag`.
    fn is(&self, s: Syl, flag: u8) -> bool {
        self.flags[usize::from(s)] & flag != 0
    }

    /// Whether a name in running text may start with this syllable (a common surname, or the first of a
    /// compound one).
    pub(crate) fn may_start(&self, s: Syl) -> bool {
        self.is(s, MAY_START)
    }

    /// How much more `core` (surname and given name, two to four syllables) looks like a name than like
    /// an ordinary word where an anchor expects a name (a title or honorific, a name field, a
    /// sign-off): a log-likelihood ratio, positive when a name is likelier. A rare surname, one that
    /// reads a Chinese character, is floored as in a record's cell (`담당자: 팽서연`).
    pub(crate) fn core_score_expected(&self, core: &[Syl]) -> Option<f32> {
        if core.iter().any(|&s| self.is(s, FOREIGN)) {
            return None;
        }
        let floor = if self.may_be_surname(*core.first()?) {
            EXPECTED_SURNAME_FLOOR
        } else {
            f32::NEG_INFINITY
        };
        self.core_score_floored(core, floor, f32::NEG_INFINITY)
    }

    /// [`KoNames::core_score_expected`] with the surname's log probability at least `floor`: where a name is
    /// expected (a record's cell, a chat's speaker), a rare surname (Korea has thousands) is no reason
    /// to doubt it. The caller has checked that no syllable is [`transliterated`].
    ///
    /// A reading that could not reach `min` even as the most borne given name is scored without
    /// looking the given name up.
    fn core_score_floored(&self, core: &[Syl], floor: f32, min: f32) -> Option<f32> {
        let p = |s: Syl| &self.places[usize::from(s)];
        let word: f32 =
            p(*core.first()?).word_first + core[1..].iter().map(|&s| p(s).word_other).sum::<f32>();
        let single = self.given_score(p(core[0]).surname.max(floor), &core[1..], word, min);
        if core.len() >= 3 {
            if let Some((_, lp)) = self.compound.iter().find(|c| c.0[..] == core[..2]) {
                let compound = self.given_score(lp.max(floor), &core[2..], word, min);
                return match (single, compound) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        single
    }

    /// The score of a surname (its log probability) and `given` against the word reading `word`.
    #[inline]
    fn given_score(&self, surname: f32, given: &[Syl], word: f32, min: f32) -> Option<f32> {
        let p = |s: Syl| &self.places[usize::from(s)];
        let name = match *given {
            [g] => surname + p(g).given_alone + 0.1f32.ln(),
            [a, b] => {
                let apart = p(a).given_first + p(b).given_second;
                surname
                    + if self.given_gain[usize::from(a)] > 0.0
                        && surname + apart - word + self.given_gain[usize::from(a)] >= min
                    {
                        self.given.get(&pair(a, b)).map_or(apart, |g| g.log_prob)
                    } else {
                        apart
                    }
            }
            _ => return None,
        };
        Some(name - word)
    }

    /// Whether `run` is an ordinary word as it is, with nothing after it.
    pub(crate) fn is_exact_word(&self, run: &[Syl]) -> bool {
        run.len() <= 4 && self.words.contains(&pack(run))
    }

    /// Whether `run` is a full name that is also a word of the dictionary's (`이민수`), or one of its
    /// proper nouns with no class shaped as a name (`조민서`): a title after it or a field word before
    /// it says it is the name. Not two syllables, which make many words the dictionary's given names
    /// also bear (`문건`, `장인`).
    pub(crate) fn is_also_name(&self, run: &[Syl]) -> bool {
        (3..=4).contains(&run.len()) && self.names_too.contains(&pack(run))
            || self.may_be_unmarked_name(run)
    }

    /// Whether `run` is a proper noun of the dictionary's with no class, a surname and two syllables
    /// (`조민서`, `임원철`), whose last two are a given name someone bears and no compound's ending: mostly
    /// people it did not mark as such. Not brands or compounds (`피아트`, `표현식`); a body or a line
    /// whose last two syllables someone is named (`문광부`, `경남선`) still reads as a name after an
    /// anchor, as a name left would cost more than a word masked.
    fn may_be_unmarked_name(&self, run: &[Syl]) -> bool {
        run.len() == 3
            && self.unclassed.contains(&pack(run))
            && self.is_borne_given(run[1], run[2])
            && !self.is_compound(run)
    }

    /// Whether `run` is a frequent word, alone or with a particle or ending after it (`신원을`).
    pub(crate) fn is_frequent_word(&self, run: &[Syl]) -> bool {
        self.is_word_in(run, &self.frequent)
    }

    /// Whether `run`, alone in a cell, is an ordinary word (not one that is also a name, `이민수`) or a
    /// frequent word with a particle or ending after it.
    pub(crate) fn is_cell_word(&self, run: &[Syl]) -> bool {
        run.len() <= 4 && self.words.contains(&pack(run)) && !self.names_too.contains(&pack(run))
            || self.is_word_in(run, &self.frequent)
    }

    /// Whether `run` is an ordinary word, alone or with a particle or ending after it.
    pub(crate) fn is_word(&self, run: &[Syl]) -> bool {
        self.is_word_in(run, &self.words)
    }

    /// Whether three syllables are a word and a syllable that ends compounds (`정규식`, `한정자`), unless
    /// the word is also a name after one of the commonest surnames and the rest a common given name
    /// (`이재용`, `박정자`).
    pub(crate) fn is_compound(&self, run: &[Syl]) -> bool {
        run.len() == 3
            && self.is(run[2], COMPOUND_END)
            && self.words.contains(&pack(&run[..2]))
            && !(self.places[usize::from(run[0])].surname >= COMMONEST_SURNAME
                && self.names_too.contains(&pack(&run[..2]))
                && self.is_common_given(run[1], run[2]))
    }

    /// Whether three syllables are a word and its particle or ending (`설명만`, `신원을`) and no name of
    /// the dictionary's bears the last two as its given name (so not `박소은`: 박소 + 은, 소은).
    pub(crate) fn is_word_and_particle(&self, run: &[Syl]) -> bool {
        run.len() == 3
            && !self.given.contains_key(&pair(run[1], run[2]))
            && self.is_word_not_name(run)
    }

    /// Whether a syllable is the surname of any of the dictionary's names, or starts a compound one.
    pub(crate) fn is_known_surname(&self, s: Syl) -> bool {
        self.is(s, KNOWN_SURNAME)
    }

    /// Whether a syllable may be a surname: a known one, or one that reads a Chinese character (not
    /// `셀`, `탭`, `쇼`, which no Korean surname is).
    pub(crate) fn may_be_surname(&self, s: Syl) -> bool {
        self.is(s, KNOWN_SURNAME | HANJA_READING)
    }

    /// The length of a particle that follows persons at the end of `run` (`에게`, `이랑`), if any, leaving
    /// two to four syllables before it.
    pub(crate) fn person_particle(&self, run: &[Syl]) -> Option<usize> {
        (1..=MAX_AFTER_NAME).rev().find(|&k| {
            run.len() >= k + 2
                && run.len() - k <= 4
                && self.after_person.contains(&pack(&run[run.len() - k..]))
        })
    }

    /// Whether `run` is a word that is not also a person's name, alone or with a particle or ending
    /// after it.
    fn is_word_not_name(&self, run: &[Syl]) -> bool {
        (2..=run.len().min(4)).any(|k| {
            let stem = pack(&run[..k]);
            self.words.contains(&stem)
                && !self.names_too.contains(&stem)
                && (k == run.len() || self.after_word.contains(&pack(&run[k..])))
        })
    }

    fn is_word_in(&self, run: &[Syl], set: &WordTable) -> bool {
        (2..=run.len().min(4)).any(|k| {
            set.contains(&pack(&run[..k]))
                && (k == run.len() || self.after_word.contains(&pack(&run[k..])))
        })
    }

    /// The best reading of a Hangul run as a name followed by a particle or copula (or nothing): the
    /// name's length in syllables and its score. An ordinary word with a particle scores ten less.
    #[cfg(test)]
    pub(crate) fn judge(&self, run: &[Syl]) -> Option<(usize, f32)> {
        self.judge_in(
            run,
            f32::NEG_INFINITY,
            true,
            false,
            false,
            f32::NEG_INFINITY,
        )
    }

    /// [`KoNames::judge`] with a floor under the surname's log probability (see
    /// [`KoNames::core_score_floored`]), and for a run in a sentence (`sentence`) the readings a
    /// sentence allows: a word with a particle or ending after it (`조건은`), or a compound of a word and
    /// one more syllable (`정규식`), count against a name, the compound not when the run ends with a
    /// particle that follows persons (`person`). Alone in a cell, `박하은` is not `박하` + `은`.
    ///
    /// A score under `min` is returned without the word tables' say, since no penalty can raise it.
    ///
    /// Prose says the same words over and over (`경우에는`, `사용하여`), so each thread remembers the
    /// last judgement of each of 4,096 slots, keyed by everything the judgement reads: the same answer,
    /// a quarter of the work on prose.
    pub(crate) fn judge_in(
        &self,
        run: &[Syl],
        floor: f32,
        sentence: bool,
        cell: bool,
        person: bool,
        min: f32,
    ) -> Option<(usize, f32)> {
        if !(2..=JUDGED_RUN).contains(&run.len()) {
            return self.judge_uncached(run, floor, sentence, cell, person, min);
        }
        // The count and eight syllables fill 116 bits; the three switches go above them.
        let key = run
            .iter()
            .fold(run.len() as u128, |k, &s| (k << 14) | u128::from(s))
            | u128::from(sentence) << 127
            | u128::from(cell) << 126
            | u128::from(person) << 125;
        let how = u64::from(floor.to_bits()) << 32 | u64::from(min.to_bits());
        let slot = (mix(key as u64 ^ (key >> 64) as u64 ^ how) >> (64 - JUDGED_BITS)) as usize;
        JUDGED.with_borrow_mut(|judged| {
            if judged.is_empty() {
                judged.resize(1 << JUDGED_BITS, Judged::default());
            }
            let j = &mut judged[slot];
            if j.key == key && j.how == how {
                return j.verdict;
            }
            let verdict = self.judge_uncached(run, floor, sentence, cell, person, min);
            *j = Judged { key, how, verdict };
            verdict
        })
    }

    fn judge_uncached(
        &self,
        run: &[Syl],
        floor: f32,
        sentence: bool,
        cell: bool,
        person: bool,
        min: f32,
    ) -> Option<(usize, f32)> {
        if run.len() < 2 {
            return None;
        }
        let mut best: Option<(usize, f32)> = None;
        // A foreign word spelled in Hangul (`마우스`, `호스트`) is no Korean name: no name holds one of
        // its syllables (a particle may: `으로`).
        let foreign_from = run
            .iter()
            .position(|&s| self.is(s, FOREIGN))
            .unwrap_or(run.len());
        let mut try_core = |len: usize| {
            if (2..=4).contains(&len) && len <= foreign_from {
                if let Some(v) = self.core_score_floored(&run[..len], floor, min) {
                    if best.is_none_or(|(_, b)| v > b) {
                        best = Some((len, v));
                    }
                }
            }
        };
        try_core(run.len());
        // Particles and copulas are one to four syllables long.
        for k in 1..=MAX_AFTER_NAME.min(run.len() - 1) {
            if self.after_name.contains(&pack(&run[run.len() - k..])) {
                try_core(run.len() - k);
            }
        }
        // Most runs are no name by their syllables alone: the word tables (large, so slow to look in)
        // are read only for the rest.
        let (len, v) = best?;
        if v < min {
            return Some((len, v));
        }
        let penalty = if sentence {
            // A word with a particle or ending (`조건은`), or a frequent word and one more syllable
            // (`정규식`), but not before a particle that follows persons (`이성민께서`).
            let word = if person {
                // A word that is also a name (`이기수`) is the name before such a particle; a frequent
                // word and a syllable that ends compounds is not (`이용자에게`, `관리자께서`: 者).
                self.is_word_not_name(run)
                    || run.len() >= 3
                        && self.frequent.contains(&pack(&run[..2]))
                        && self.is(run[2], COMPOUND_END)
            } else {
                // A word and a syllable that ends compounds (`정규식`, `한정자`, `정수형`, `이론적`),
                // unless the word is also a name after one of the commonest surnames and the rest a
                // common given name (`이재용`, `박정자`); a
                // frequent word and any other syllable
                // (`정규화`), unless what follows the surname is a common given name (`이민재`: 이민 +
                // 재); a Sino-Korean prefix that is also a surname before a word that is no given name
                // (`최상단`: 최 + 상단, `전단계`, `신기술`; not `최미정`).
                self.is_word(run)
                    || run.len() >= 3
                        && (self.is_compound(&run[..3])
                            || !self.is_common_given(run[1], run[2])
                                && (self.frequent.contains(&pack(&run[..2]))
                                    || self.is(run[0], PREFIX)
                                        && self.words.contains(&pack(&run[1..3]))
                                        // Not a given name of the dictionary's (`최영희`).
                                        && !self.names_too.contains(&pack(&run[1..3]))))
            };
            if word || self.is_verb_form(&run[..len]) {
                10.0
            } else {
                0.0
            }
        } else if run.len() <= 4
            && self.words.contains(&pack(run))
            // Alone in a cell or as a speaker, a word that is also a name is read as the name.
            && !(cell && self.names_too.contains(&pack(run)))
            // A word with a particle or ending is Korean being written, wherever it stands
            // (`배송지는` before an English address), unless the word is also a name (`이기수가`).
            // Three syllables are read as a name (`박소은` is no `박소` + `은`).
            || run.len() > 3 && self.is_word_not_name(run)
            || self.is_word_in(run, &self.frequent)
            || run.len() == 3
                && self.frequent.contains(&pack(&run[..2]))
                && AFTER_FREQUENT.contains(&run[2])
            // A word and a syllable that ends compounds, alone as a label (`배경색`, `함수명`,
            // `임계값`), unless a given name many bear follows a common surname (`이성자`: 성자; not
            // `활성화`).
            || self.is_verb_form(&run[..len])
            || run.len() == 3
                && (self.is(run[2], COMPOUND_END | LABEL_END))
                && self.words.contains(&pack(&run[..2]))
                && !(self.may_start(run[0]) && self.is_common_given(run[1], run[2]))
        {
            10.0
        } else {
            0.0
        };
        Some((len, v - penalty))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn judge(w: &str) -> Option<(usize, f32)> {
        ko_names().judge(&syls(w))
    }

    #[test]
    fn names_score_above_words_and_particles_are_separated() {
        for name in ["김민수", "이명자", "박지훈가", "제갈서연이랑", "최영희는"]
        {
            let (_, v) = judge(name).unwrap();
            assert!(v > 1.0, "{name}: {v}");
        }
        assert_eq!(judge("제갈서연이랑").unwrap().0, 4);
        assert_eq!(judge("김민수가").unwrap().0, 3);
        for word in ["정보를", "조건은", "이번에", "한국어", "유효한", "사용자"] {
            let v = judge(word).map_or(-99.0, |x| x.1);
            assert!(v < 1.0, "{word}: {v}");
        }
    }

    #[test]
    fn a_remembered_judgement_is_the_one_made_afresh_whatever_was_asked_before() {
        let m = ko_names();
        let runs = [
            "김민수",
            "김민수가",
            "조건은",
            "정보를",
            "편서연은",
            "이민재",
            "사용자에게",
            "박하은",
            "배경색",
            "김 아름",
            "제갈서연이랑",
            "최상단",
            "이용자에게는",
            "하하하하하하하하",
        ];
        let floors = [f32::NEG_INFINITY, EXPECTED_SURNAME_FLOOR];
        let mins = [f32::NEG_INFINITY, 0.0, 1.5];
        // Every run under every switch, twice over in a different order each time, so that answers
        // are asked back from the memory under other switches than they were made with.
        for round in 0..2 {
            for (i, run) in runs.iter().enumerate() {
                let run = syls(run);
                for k in 0..48usize {
                    let k = if round == 0 { k } else { 47 - k };
                    let (floor, min) = (floors[k % 2], mins[(k / 2) % 3]);
                    let (sentence, cell, person) = (k / 6 % 2 == 1, k / 12 % 2 == 1, k / 24 == 1);
                    let fresh = m.judge_uncached(&run, floor, sentence, cell, person, min);
                    let remembered = m.judge_in(&run, floor, sentence, cell, person, min);
                    assert_eq!(
                        remembered.map(|(l, v)| (l, v.to_bits())),
                        fresh.map(|(l, v)| (l, v.to_bits())),
                        "run {i}, switches {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn what_follows_a_name_is_made_by_the_grammar() {
        let forms = after_name_forms();
        let has = |w: &str| {
            forms
                .iter()
                .find(|(f, _)| f == w)
                .map(|(_, person)| *person)
        };
        // Stacked particles, the familiar 이, the copula after a consonant and after a vowel, and the
        // honorifics with what follows them; those that follow persons are marked.
        for (form, person) in [
            ("에게는", true),
            ("한테도", true),
            ("까지는", false),
            ("만이", false),
            ("이한테", true),
            ("이랑도", true),
            ("이처럼", false),
            ("이었다", false),
            ("였다", false),
            ("예요", false),
            ("이라는", false),
            ("님께서", true),
            ("씨한테는", true),
            ("님이에요", true),
        ] {
            assert_eq!(has(form), Some(person), "{form}");
        }
        // The wrong one of a pair: 님 ends in a consonant, 씨 in a vowel; 이 goes before 가, not 이.
        for wrong in ["님가", "씨이", "이이", "이은", "님는"] {
            assert_eq!(has(wrong), None, "{wrong}");
        }
        assert!(forms
            .iter()
            .all(|(f, _)| (1..=MAX_AFTER_NAME).contains(&f.chars().count())));
    }
}
