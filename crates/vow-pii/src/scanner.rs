//! The single pass over a text. A cheap search for the bytes every kind is anchored on (digits, `@`, `:`)
//! finds candidates; each candidate is cut into digit groups and handed to the validators; a second, SIMD
//! accelerated pass (aho-corasick) looks for the prefixes of secrets. Works on bytes, so invalid UTF-8 is
//! scanned (and later passed through) as it is.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::context::{Context, Said, WINDOW_AFTER, WINDOW_BEFORE};
use crate::names::model::Syl;
use crate::names::Names;
use crate::normalize::Normalized;
use crate::text::{
    array_at, has_ascii_letter, has_byte_between, next_with_top_bit, word_at, HI, LO,
};
pub use crate::validate::Date;
use crate::validate::*;
use crate::{Entity, Finding, Validation};

/// The default threshold: findings scored below it are not reported.
pub const DEFAULT_MIN_SCORE: f32 = 0.5;

/// Default score added by a context word naming the kind, and removed by one naming a look-alike.
const BOOST: f32 = 0.35;
const PENALTY: f32 = 0.35;

/// Digit groups one candidate may have before the rest is treated as a new candidate.
const MAX_GROUPS: usize = 16;
/// The longest digit string any recognizer validates.
const MAX_DIGITS: usize = 24;

/// Finds personal data in bytes. Build once (it compiles its word tables) and share across threads.
pub struct Scanner {
    context: Context,
    names: Names,
    /// The patterns that begin with an ASCII byte (secret prefixes, English anchor words), searched
    /// with a prefilter that skips ahead; `ascii_index` maps each to its index in the whole table.
    secrets: AhoCorasick,
    ascii_index: Vec<usize>,
    /// The patterns that begin with a Hangul syllable, by that syllable: looked for only at the
    /// syllables of Hangul runs (see [`Scanner::korean_anchors`]), longest first.
    korean_first: Vec<u16>,
    korean_groups: Vec<Vec<KoreanAnchor>>,
    secret_kinds: Vec<SecretKind>,
    min_score: f32,
    today: Option<Date>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("min_score", &self.min_score)
            .finish_non_exhaustive()
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

#[derive(Clone, Copy)]
enum SecretKind {
    /// A vendor prefix followed by at least `min` token characters (exactly `min` when `exact`).
    Prefix {
        min: usize,
        exact: bool,
        upper_only: bool,
    },
    /// A JSON Web Token: three base64url segments.
    Jwt,
    /// `Bearer <token>`: only the token is reported.
    Bearer,
    /// `password = value`, `api_key: value`: only the value is reported.
    KeyValue,
}

fn secret_table() -> Vec<(&'static str, SecretKind)> {
    use SecretKind::*;
    let p = |min| Prefix {
        min,
        exact: false,
        upper_only: false,
    };
    let mut t = vec![
        ("sk-", p(20)),
        ("sk_live_", p(16)),
        ("sk_test_", p(16)),
        ("rk_live_", p(16)),
        ("ghp_", p(30)),
        ("gho_", p(30)),
        ("ghu_", p(30)),
        ("ghs_", p(30)),
        ("ghr_", p(30)),
        ("github_pat_", p(30)),
        ("glpat-", p(20)),
        ("xoxb-", p(10)),
        ("xoxp-", p(10)),
        ("xoxa-", p(10)),
        ("xoxr-", p(10)),
        ("xoxs-", p(10)),
        (
            "AKIA",
            Prefix {
                min: 16,
                exact: true,
                upper_only: true,
            },
        ),
        (
            "ASIA",
            Prefix {
                min: 16,
                exact: true,
                upper_only: true,
            },
        ),
        (
            "AIza",
            Prefix {
                min: 35,
                exact: true,
                upper_only: false,
            },
        ),
        ("hf_", p(30)),
        ("ya29.", p(20)),
        ("eyJ", Jwt),
        ("Bearer ", Bearer),
        ("bearer ", Bearer),
        ("BEARER ", Bearer),
    ];
    for w in [
        "password",
        "Password",
        "PASSWORD",
        "passwd",
        "pwd",
        "api_key",
        "apikey",
        "apiKey",
        "API_KEY",
        "api-key",
        "secret",
        "Secret",
        "SECRET",
        "access_token",
        "auth_token",
        "client_secret",
        "비밀번호",
    ] {
        t.push((w, KeyValue));
    }
    t
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A Korean word of the anchor table, among those that start with the same syllable.
struct KoreanAnchor {
    /// Its index in the table of every pattern.
    index: usize,
    word: &'static [u8],
    /// Its three bytes after the first syllable, if it has as many.
    next: Option<[u8; 3]>,
}

/// A digit group: byte range and the separator byte before it (0 for the first group).
#[derive(Clone, Copy, Default)]
struct Group {
    start: usize,
    end: usize,
    sep_before: u8,
    /// A trunk prefix in parentheses, `+44 (0)20 …`: written, but not part of the number.
    trunk: bool,
}

/// One way to read a candidate, before context.
#[derive(Clone, Copy)]
struct Cand {
    entity: Entity,
    base: f32,
    validation: Validation,
    boost: f32,
    /// Bytes before the first group that belong to the value (`+`, `(`, a region name).
    lead: usize,
}

impl Cand {
    fn new(entity: Entity, base: f32, validation: Validation) -> Cand {
        Cand {
            entity,
            base,
            validation,
            boost: BOOST,
            lead: 0,
        }
    }
    fn boost(mut self, b: f32) -> Cand {
        self.boost = b;
        self
    }
    fn lead(mut self, lead: usize) -> Cand {
        self.lead = lead;
        self
    }
    fn score(&self, said: Said) -> f32 {
        let mut s = self.base;
        if said.positive & self.entity.bit() != 0 {
            s += self.boost;
        }
        if said.negative && self.validation != Validation::Checksum {
            s -= PENALTY;
        }
        s.clamp(0.0, 1.0)
    }
}

/// The digits and shape of a window of consecutive groups.
struct Win {
    digits: [u8; MAX_DIGITS],
    nd: usize,
    lens: [usize; MAX_GROUPS],
    ng: usize,
    /// The separator shared by every gap, or 0 for one group; `None` when gaps differ.
    sep: Option<u8>,
    /// The first gap's separator (`)` in `(02) 123-4567`).
    first_sep: u8,
    /// The gaps after the first do not all share one separator (`+81 3-1234-5678 06`).
    rest_mixed: bool,
    rest_sep: u8,
}

impl Win {
    fn d(&self) -> &[u8] {
        &self.digits[..self.nd]
    }
    fn lens(&self) -> &[usize] {
        &self.lens[..self.ng]
    }
    fn contiguous(&self) -> bool {
        self.ng == 1
    }
    fn sep_in(&self, set: &[u8]) -> bool {
        matches!(self.sep, Some(s) if set.contains(&s))
    }
}

const REGIONS: [&str; 17] = [
    "서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주", "대구",
    "인천", "광주", "대전", "울산", "세종",
];

impl Scanner {
    /// A scanner reporting findings scored at least [`DEFAULT_MIN_SCORE`].
    pub fn new() -> Scanner {
        let table = secret_table();
        // Every pattern: the prefixes of secrets, then the words names and addresses are anchored on.
        let anchors = crate::names::anchor_table();
        let all: Vec<&'static str> = table
            .iter()
            .map(|(w, _)| *w)
            .chain(anchors.iter().map(|(w, _)| *w))
            .collect();
        // Those that begin in ASCII go to one automaton, which skips ahead on its rare first bytes;
        // Korean words leave no rare byte to skip to, so they are matched syllable by syllable in the
        // Hangul runs the name pass reads anyway.
        let (ascii, korean): (Vec<usize>, Vec<usize>) =
            (0..all.len()).partition(|&i| all[i].as_bytes()[0] < 0x80);
        let secrets = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(ascii.iter().map(|&i| all[i]))
            .expect("the fixed table of secret prefixes and anchors always compiles");
        let mut korean_first = vec![0u16; 11_172];
        let mut korean_groups: Vec<Vec<KoreanAnchor>> = Vec::new();
        for i in korean {
            let Some(first) = all[i].chars().next().and_then(crate::names::model::syl) else {
                continue;
            };
            let slot = &mut korean_first[usize::from(first)];
            if *slot == 0 {
                korean_groups.push(Vec::new());
                *slot = korean_groups.len() as u16;
            }
            let word = all[i].as_bytes();
            korean_groups[usize::from(*slot) - 1].push(KoreanAnchor {
                index: i,
                word,
                next: array_at(word, 3),
            });
        }
        for g in &mut korean_groups {
            g.sort_by_key(|a| std::cmp::Reverse(a.word.len()));
        }
        Scanner {
            context: Context::new(),
            names: Names::new(),
            secrets,
            ascii_index: ascii,
            korean_first,
            korean_groups,
            secret_kinds: table.into_iter().map(|(_, k)| k).collect(),
            min_score: DEFAULT_MIN_SCORE,
            today: None,
        }
    }

    /// Reports only findings scored at least `min_score` (0.0 reports every candidate).
    pub fn with_min_score(mut self, min_score: f32) -> Scanner {
        self.min_score = min_score;
        self
    }

    /// Refuses resident and foreigner numbers whose birth date is after `today` (a Korean EAN-13 barcode,
    /// `880…`, reads as someone born in 2088). The crate reads no clock: without this, any real date passes.
    pub fn with_today(mut self, today: Date) -> Scanner {
        self.today = Some(today);
        self
    }

    /// The threshold in use.
    pub fn min_score(&self) -> f32 {
        self.min_score
    }

    /// Finds personal data in `text`. Findings are sorted, do not overlap, and their offsets index `text`.
    pub fn scan(&self, text: &[u8]) -> Vec<Finding> {
        self.scan_with_context(text, &[])
    }

    /// Like [`Scanner::scan`], with extra context that applies to the whole text: a JSON key, a CSV column
    /// header. A key that names a secret (`password`, `api_key`) makes a whole one-word value a secret.
    ///
    /// The text is read through [`Normalized`]: zero-width characters, full-width forms, Unicode
    /// hyphens, percent-escapes and HTML character references do not hide a value, and findings are
    /// given as offsets of `text` as it came.
    pub fn scan_with_context(&self, text: &[u8], extra: &[u8]) -> Vec<Finding> {
        match Normalized::of(text) {
            None => self.scan_plain(text, extra),
            Some(n) => {
                let mut found = self.scan_plain(&n.text, extra);
                for f in &mut found {
                    f.start = n.orig_start(f.start);
                    f.end = n.orig_end(f.end);
                }
                found
            }
        }
    }

    /// The scan proper, over text already normalised.
    fn scan_plain(&self, text: &[u8], extra: &[u8]) -> Vec<Finding> {
        let extra_said = if extra.is_empty() {
            Said::default()
        } else {
            self.context.read(extra)
        };
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(p) = next_trigger(text, i) {
            let next = match text[p] {
                b'@' => self.email(text, p, &mut out),
                b':' => self.ipv6(text, p, &mut out),
                _ => self.digits(text, p, extra_said, &mut out),
            };
            // Every step moves forward, whatever a recognizer returns.
            i = next.max(p + 1);
        }
        self.secrets(text, &mut out);
        self.names.en_full_names(text, &mut out);
        // Korean names, and the Korean anchor words, in one pass over the Hangul runs.
        let mut skip_to = 0;
        self.names.ko_free_names(text, &mut out, |q, s, out| {
            // Most syllables begin no anchor word: that is known before any call.
            if q >= skip_to && self.korean_first[usize::from(s)] != 0 {
                if let Some(end) = self.korean_anchor_at(text, q, s, out) {
                    skip_to = end;
                }
            }
        });
        crate::names::old_postcodes_beside(text, &mut out);
        crate::names::name_columns(text, &mut out);
        if !extra.is_empty() && out.is_empty() && self.names.header_names_person(extra) {
            out.extend(self.names.whole_value(text));
        }
        if extra_said.positive & Entity::Secret.bit() != 0
            && is_secret_value(text)
            && out.is_empty()
        {
            out.push(Finding {
                entity: Entity::Secret,
                start: 0,
                end: text.len(),
                score: 0.8,
                validation: Validation::Context,
            });
        }
        out.retain(|f| f.score >= self.min_score);
        resolve_overlaps(&mut out);
        out
    }

    /// A cell of a record that is an English name with a surname the census lists need not know
    /// (`Thomas Volkert`): see `Names::en_record_cell`.
    pub(crate) fn record_cell_name(&self, value: &[u8]) -> Option<Finding> {
        self.names
            .en_record_cell(value)
            .filter(|f| f.score >= self.min_score)
    }

    /// A whole cell shaped like a name (letters, one to four words), for a column whose other values are
    /// mostly names.
    pub(crate) fn name_cell(&self, value: &[u8]) -> Option<Finding> {
        self.names
            .whole_value(value)
            .filter(|f| f.score >= self.min_score)
    }

    /// Whether a column header or key names a kind of personal data (`전화번호`, `email`, `card_no`).
    pub fn header_names_pii(&self, header: &[u8]) -> bool {
        self.context.read(header).positive != 0 || self.names.header_names_person(header)
    }

    /// Context before a value: up to the line start, or the previous number, whose context it is.
    fn said_before(&self, text: &[u8], start: usize, extra: Said) -> Said {
        let mut from = start.saturating_sub(WINDOW_BEFORE);
        if let Some(k) = text[from..start]
            .iter()
            .rposition(|&b| b == b'\n' || b.is_ascii_digit())
        {
            from += k + 1;
        }
        self.context.read(&text[from..start]).merge(extra)
    }

    /// Context after a value: only Korean words right after it ("…로 전화 주세요", "… 계좌로 환불"),
    /// up to a sentence end or the next number.
    fn said_after(&self, text: &[u8], end: usize) -> Said {
        let attached = |k: usize| k < text.len() && text[k] >= 0x80;
        if !(attached(end) || text.get(end) == Some(&b' ') && attached(end + 1)) {
            return Said::default();
        }
        let to = (end + WINDOW_AFTER).min(text.len());
        let to = text[end..to]
            .iter()
            .position(|&b| matches!(b, b'\n' | b'.' | b'!' | b'?' | b',') || b.is_ascii_digit())
            .map_or(to, |k| end + k);
        self.context.read(&text[end..to]).positive_only()
    }

    fn digits(&self, t: &[u8], s: usize, extra: Said, out: &mut Vec<Finding>) -> usize {
        let n = t.len();
        // Most numbers in text are short and alone (`3개`, `2023년`, `10시`): no kind is shorter than
        // nine digits unless letters come first, so they are skipped before any work.
        let mut j0 = s;
        while j0 < n && t[j0].is_ascii_digit() {
            j0 += 1;
        }
        let joined = j0 + 1 < n
            && (matches!(t[j0], b'-' | b' ' | b'.' | b')') && t[j0 + 1].is_ascii_digit()
                || t[j0] == b')'
                    && j0 + 2 < n
                    && matches!(t[j0 + 1], b' ' | b'-')
                    && t[j0 + 2].is_ascii_digit());
        let joined = joined || s > 0 && t[s - 1] == b'+' && t[j0..].starts_with(b" (");
        let lettered = s > 0 && (t[s - 1].is_ascii_alphabetic() || t[s - 1] == b'_');
        // A house number and a numbered street: `725 65th Street`, `1816 14th Avenue`.
        if j0 - s <= 6
            && t.get(j0) == Some(&b' ')
            && !lettered
            && crate::names::numbered_ordinal_at(t, j0 + 1)
        {
            if let Some(e) = crate::names::us_address(t, s, out) {
                return e;
            }
        }
        if j0 - s < 9 && !joined && !lettered {
            // A Korean address without its province: `강남구 테헤란로 123`.
            if s > 0 && t[s - 1] == b' ' && s >= 4 && t[s - 2] >= 0x80 {
                if let Some(e) = crate::names::ko_address_before_number(t, s, out) {
                    return e.max(j0);
                }
            }
            // A house number and a street: `1600 Pennsylvania Ave NW`.
            if j0 - s <= 6
                && t.get(j0) == Some(&b' ')
                && t.get(j0 + 1).is_some_and(u8::is_ascii_uppercase)
            {
                if let Some(e) = crate::names::us_address(t, s, out) {
                    return e;
                }
            }
            return j0;
        }
        let mut groups = [Group::default(); MAX_GROUPS];
        let mut g = 0;
        let mut j = s;
        let mut sep_before = 0u8;
        let plus_first = s > 0 && t[s - 1] == b'+';
        let mut in_paren = false;
        loop {
            let gs = j;
            while j < n && t[j].is_ascii_digit() {
                j += 1;
            }
            groups[g] = Group {
                start: gs,
                end: j,
                sep_before,
                trunk: in_paren && j - gs == 1 && t[gs] == b'0',
            };
            g += 1;
            if g == MAX_GROUPS || j + 1 >= n {
                break;
            }
            let c = t[j];
            let digit_at = |k: usize| k < n && t[k].is_ascii_digit();
            // An area code in parentheses after a country code: `+44 (20) 7946 0958`, `+1 (415) 555-0132`,
            // `+44 (0)20 7946 0958`.
            if plus_first && g == 1 && c == b' ' && t[j + 1] == b'(' && digit_at(j + 2) {
                sep_before = b'(';
                in_paren = true;
                j += 2;
                continue;
            }
            if in_paren {
                in_paren = false;
                if c == b')' && digit_at(j + 1) {
                    sep_before = b')';
                    j += 1;
                    continue;
                }
                if c == b')' && matches!(t[j + 1], b' ' | b'-') && digit_at(j + 2) {
                    sep_before = b')';
                    j += 2;
                    continue;
                }
                break;
            }
            // `)` separates only an area code: `(02)123-4567`, `02) 123-4567`.
            if (matches!(c, b'-' | b' ' | b'.') || c == b')' && g == 1) && t[j + 1].is_ascii_digit()
            {
                sep_before = c;
                j += 1;
            } else if c == b')'
                && g == 1
                && matches!(t[j + 1], b' ' | b'-')
                && j + 2 < n
                && t[j + 2].is_ascii_digit()
            {
                sep_before = c;
                j += 2;
            } else {
                break;
            }
        }
        let e = j;
        let left = s.checked_sub(1).map(|k| t[k]);
        if left.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            // Whatever follows a code like `1Z999AA1…` is scanned on its own.
            return self.letter_prefixed(t, s, &groups[..g], out);
        }
        // `$1,234.56 901231-…`: the amount is not a value, what follows it may be.
        let amount_first = amount_before(t, s);
        let end_ok_last = !(g == MAX_GROUPS || e < n && (is_word(t[e]) || t[e] == b'@'));
        // An extension belongs to the phone before it: `480-555-4804x74740`, `… ext. 12`.
        let ext_end = if g < MAX_GROUPS {
            extension_end(t, e)
        } else {
            None
        };
        let plus = left == Some(b'+');
        let paren = left == Some(b'(');

        // Whether group `k`, next to a window, is itself one of a run of space-separated groups, rather
        // than the start or end of another value (`2022-09-13`, `09:41`, `856-02-01804`, `3개`).
        let free = |b: u8| b.is_ascii_whitespace() || b >= 0x80 || b"()[]\"',.;".contains(&b);
        let spaced_neighbour = |k: usize| -> bool {
            let left_ok = if k == 0 {
                s == 0 || free(t[s - 1])
            } else {
                groups[k].sep_before == b' '
            };
            let right_ok = if k + 1 < g {
                groups[k + 1].sep_before == b' '
            } else {
                e >= n || free(t[e])
            };
            // A lone digit is a count (`3개`) and nine digits are a value of their own, not a group of a
            // longer number.
            left_ok && right_ok && (2..=6).contains(&(groups[k].end - groups[k].start))
        };
        let mut gi = 0;
        while gi < g {
            if gi > 0 && groups[gi].sep_before != b' ' || gi == 0 && amount_first {
                gi += 1;
                continue;
            }
            let mut said: Option<Said> = None;
            let mut best: Option<(Cand, f32, usize)> = None;
            let mut win = Win {
                digits: [0; MAX_DIGITS],
                nd: 0,
                lens: [0; MAX_GROUPS],
                ng: 0,
                sep: Some(0),
                first_sep: 0,
                rest_mixed: false,
                rest_sep: 0,
            };
            for (gj, grp) in groups.iter().enumerate().take(g).skip(gi) {
                let len = grp.end - grp.start;
                if win.nd + len > MAX_DIGITS {
                    break;
                }
                if grp.trunk {
                    continue;
                }
                if win.ng > 0 {
                    if win.ng == 1 {
                        win.first_sep = grp.sep_before;
                        win.sep = Some(grp.sep_before);
                    } else {
                        if win.sep != Some(grp.sep_before) {
                            win.sep = None;
                        }
                        if win.ng >= 2 && grp.sep_before != b')' {
                            if win.rest_sep == 0 {
                                win.rest_sep = grp.sep_before;
                            } else if win.rest_sep != grp.sep_before {
                                win.rest_mixed = true;
                            }
                        }
                    }
                }
                win.digits[win.nd..win.nd + len].copy_from_slice(&t[grp.start..grp.end]);
                win.nd += len;
                win.lens[win.ng] = len;
                win.ng += 1;
                if amount_after(t, grp.end) {
                    continue;
                }
                let last = gj + 1 == g;
                let end_ok = if !last {
                    groups[gj + 1].sep_before == b' '
                } else {
                    end_ok_last || ext_end.is_some()
                };
                if !end_ok {
                    continue;
                }
                let at_start = gi == 0;
                let mut cands: [Option<Cand>; 4] = [None; 4];
                let region = if win.lens() == [2, 6, 2] {
                    region_before(t, groups[gi].start)
                } else {
                    None
                };
                classify(
                    &win,
                    at_start && plus,
                    at_start && paren,
                    region,
                    self.today,
                    &mut cands,
                );
                // Only a phone may end in an extension.
                let only_phone = last && !end_ok_last;
                // Spaced digit groups are read whole: four groups cut out of a longer run (a 22-digit
                // tracking number, an account's digits) are not a card.
                let run_goes_on = win.ng > 1
                    && win.sep == Some(b' ')
                    && (gi > 0 && spaced_neighbour(gi - 1) || !last && spaced_neighbour(gj + 1));
                let mut after: Option<Said> = None;
                for c in cands.into_iter().flatten() {
                    let phone = matches!(c.entity, Entity::Phone | Entity::KrPhone);
                    if only_phone && !phone || run_goes_on && c.entity == Entity::CreditCard {
                        continue;
                    }
                    let before = *said.get_or_insert_with(|| {
                        self.said_before(t, groups[gi].start - c.lead, extra)
                    });
                    // A look-alike word right before the value outweighs anything after it.
                    let sd = if before.negative {
                        before
                    } else {
                        before.merge(*after.get_or_insert_with(|| self.said_after(t, grp.end)))
                    };
                    let score = c.score(sd);
                    let better = match best {
                        None => true,
                        // On a tie the shorter reading wins: `+1 415 555 0132 85` is a phone and a number.
                        Some((_, bs, _)) => score > bs,
                    };
                    if better {
                        best = Some((c, score, gj));
                    }
                }
            }
            match best {
                Some((c, score, gj)) => {
                    let end = match ext_end {
                        Some(x)
                            if gj + 1 == g
                                && matches!(c.entity, Entity::Phone | Entity::KrPhone) =>
                        {
                            x
                        }
                        _ => groups[gj].end,
                    };
                    out.push(Finding {
                        entity: c.entity,
                        start: groups[gi].start - c.lead,
                        end,
                        score,
                        validation: c.validation,
                    });
                    gi = gj + 1;
                }
                None => gi += 1,
            }
        }
        // A lot number after a Korean town (`분당구 정자동 178-1`).
        if g <= 2 && s >= 4 && t[s - 1] == b' ' && t[s - 2] >= 0x80 {
            if let Some(end) = crate::names::ko_address_before_number(t, s, out) {
                return end.max(e);
            }
        }
        // A house number after other numbers (`… 311918-2883692 9577 Sunset Blvd`).
        let last = groups[g - 1];
        if g > 1
            && last.end - last.start <= 6
            && last.sep_before == b' '
            && t.get(e) == Some(&b' ')
            && t.get(e + 1).is_some_and(u8::is_ascii_uppercase)
        {
            if let Some(end) = crate::names::us_address(t, last.start, out) {
                return end.max(e);
            }
        }
        e
    }

    /// Digits right after letters: passports (`M12345678`, `M123A4567`) and IBANs (`DE89 3704 ...`).
    fn letter_prefixed(
        &self,
        t: &[u8],
        s: usize,
        groups: &[Group],
        out: &mut Vec<Finding>,
    ) -> usize {
        let n = t.len();
        let g0 = groups[0];
        let before = |k: usize| k == 0 || !is_alnum(t[k - 1]);
        // IBAN: two capital letters, two check digits.
        if s >= 2
            && t[s - 1].is_ascii_uppercase()
            && t[s - 2].is_ascii_uppercase()
            && before(s - 2)
            && g0.end - g0.start >= 2
        {
            let mut compact = [0u8; 34];
            let mut ends = [0usize; 34];
            let mut k = 0;
            let mut j = s - 2;
            // Written in groups of four with spaces or dashes (`DE89 3704 …`, `DE89-3704-…`), or not.
            let mut sep = 0u8;
            while j < n && k < 34 {
                let b = t[j];
                if b.is_ascii_uppercase() || b.is_ascii_digit() {
                    compact[k] = b;
                    ends[k] = j + 1;
                    k += 1;
                    j += 1;
                } else if (b == b' ' || b == b'-')
                    && (sep == 0 || sep == b)
                    && j + 1 < n
                    && (t[j + 1].is_ascii_uppercase() || t[j + 1].is_ascii_digit())
                {
                    sep = b;
                    j += 1;
                } else {
                    break;
                }
            }
            if let Some(len) = iban_length(&compact[..2]).filter(|&len| len <= k) {
                let end = ends[len - 1];
                if (end >= n || !is_alnum(t[end])) && iban_valid(&compact[..len]) {
                    out.push(Finding {
                        entity: Entity::Iban,
                        start: s - 2,
                        end,
                        score: 0.95,
                        validation: Validation::Checksum,
                    });
                    return end;
                }
                // The shape of an IBAN that fails its check is read as one or not at all: its digits
                // are not a card or an account of their own.
                if sep != 0 {
                    return end;
                }
            }
        }
        // Passports: M, S, R, O, D, G and eight digits (old), or a letter, three digits, a letter, four digits
        // (2021 format).
        if s >= 1 && b"MSRODG".contains(&t[s - 1]) && before(s - 1) {
            let glen = g0.end - g0.start;
            let free = |k: usize| {
                k >= n
                    || !(is_alnum(t[k]) || t[k] == b'-' && k + 1 < n && t[k + 1].is_ascii_digit())
            };
            if glen == 8 && free(g0.end) {
                out.push(self.passport(t, s - 1, g0.end, 0.55));
                return g0.end;
            }
            let k = g0.end;
            if glen == 3
                && k + 5 <= n
                && t[k].is_ascii_uppercase()
                && t[k + 1..k + 5].iter().all(u8::is_ascii_digit)
                && free(k + 5)
            {
                out.push(self.passport(t, s - 1, k + 5, 0.75));
                return k + 5;
            }
        }
        g0.end
    }

    fn passport(&self, t: &[u8], start: usize, end: usize, base: f32) -> Finding {
        let c = Cand::new(Entity::KrPassport, base, Validation::Structure);
        let score = c.score(self.said_before(t, start, Said::default()));
        Finding {
            entity: Entity::KrPassport,
            start,
            end,
            score,
            validation: Validation::Structure,
        }
    }

    fn email(&self, t: &[u8], p: usize, out: &mut Vec<Finding>) -> usize {
        let n = t.len();
        let local_char = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
        let mut k = p;
        while k > 0 && local_char(t[k - 1]) && p - k < 64 {
            k -= 1;
        }
        while k < p && !t[k].is_ascii_alphanumeric() {
            k += 1;
        }
        if k == p {
            return p + 1;
        }
        let mut j = p + 1;
        let mut labels = 0;
        let mut last = (j, j);
        let mut prev = (j, j);
        loop {
            let ls = j;
            j = domain_label_end(t, j);
            if j == ls {
                break;
            }
            labels += 1;
            prev = last;
            last = (ls, j);
            if j + 1 < n && t[j] == b'.' && (is_alnum(t[j + 1]) || t[j + 1] >= 0x80) {
                j += 1;
            } else {
                break;
            }
        }
        // The top-level label: ASCII letters, punycode (`xn--3e0b707e`), or an internationalised one
        // (`한국`), cut where a Korean particle is glued to it (`회사.한국이에요`).
        let tld_end = |(ls, le): (usize, usize)| -> Option<usize> {
            let tld = &t[ls..le];
            if tld.first().is_some_and(|&b| b >= 0x80) {
                return IDN_TLDS
                    .iter()
                    .find(|w| tld.starts_with(w.as_bytes()))
                    .map(|w| ls + w.len());
            }
            let punycode = tld.starts_with(b"xn--")
                && tld.len() > 4
                && tld.iter().all(|&b| is_alnum(b) || b == b'-');
            (tld.len() >= 2 && (tld.iter().all(u8::is_ascii_alphabetic) || punycode)).then_some(le)
        };
        // `kim@example.com.감사합니다`: the sentence goes on after the address's last dot.
        let mut tld = tld_end(last);
        if tld.is_none() && labels >= 3 && t[last.0] >= 0x80 {
            labels -= 1;
            tld = tld_end(prev);
        }
        if let (true, Some(end)) = (labels >= 2, tld) {
            last.1 = end;
            out.push(Finding {
                entity: Entity::Email,
                start: k,
                end: last.1,
                score: 0.95,
                validation: Validation::Structure,
            });
            return last.1;
        }
        p + 1
    }

    fn ipv6(&self, t: &[u8], p: usize, out: &mut Vec<Finding>) -> usize {
        let n = t.len();
        let v6 = |b: u8| b.is_ascii_hexdigit() || b == b':';
        let mut k = p;
        while k > 0 && v6(t[k - 1]) && p - k < 40 {
            k -= 1;
        }
        let mut j = p;
        while j < n && (v6(t[j]) || t[j] == b'.') && j - k < 45 {
            j += 1;
        }
        while j > p + 1 && matches!(t[j - 1], b'.') {
            j -= 1;
        }
        if j > k + 2 && t[j - 1] == b':' && t[j - 2] != b':' {
            j -= 1;
        }
        let span = &t[k..j];
        let colons = span.iter().filter(|&&b| b == b':').count();
        let left_ok = k == 0 || !is_word(t[k - 1]);
        let right_ok = j >= n || !is_word(t[j]);
        if colons >= 2 && left_ok && right_ok && span.iter().any(|b| b.is_ascii_hexdigit()) {
            let compressed = memchr::memmem::find(span, b"::").is_some();
            let hexy = span.iter().any(|b| b.is_ascii_alphabetic()) || colons >= 4;
            // Eight groups, or six and an IPv4 address (`0:0:0:0:0:ffff:192.0.2.1`), or `::`.
            let full = colons == 7 || colons == 6 && span.contains(&b'.');
            if (compressed || full)
                && hexy
                && std::str::from_utf8(span).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok())
            {
                out.push(Finding {
                    entity: Entity::IpAddress,
                    start: k,
                    end: j,
                    score: 0.8,
                    validation: Validation::Structure,
                });
                return j.max(p + 1);
            }
        }
        // Not an address: go on right after the colon, so `Tel:010-1234-5678` is still read as a phone.
        p + 1
    }

    /// The ASCII patterns, searched only in the stretches of ASCII text that hold a letter (every one
    /// begins with a letter and none crosses a non-ASCII byte): Korean text's spaces and marks between
    /// its words cost no search.
    fn secrets(&self, t: &[u8], out: &mut Vec<Finding>) {
        let n = t.len();
        let mut i = 0;
        while i < n {
            // To the next ASCII byte, then to the end of its stretch.
            let s = next_with_top_bit(t, i, 0);
            i = next_with_top_bit(t, s, 0x80);
            if i - s < 2 || !has_ascii_letter(&t[s..i]) {
                continue;
            }
            for m in self.secrets.find_iter(&t[s..i]) {
                let index = self.ascii_index[m.pattern().as_usize()];
                self.on_pattern(t, index, s + m.start(), s + m.end(), out);
            }
        }
    }

    /// The pattern that begins with syllable `s` at `q`, if one does (the longest): handled, and its end
    /// returned. Called for each syllable of each Hangul run: one table lookup per syllable, where an
    /// automaton would step through every byte.
    fn korean_anchor_at(
        &self,
        t: &[u8],
        q: usize,
        s: Syl,
        out: &mut Vec<Finding>,
    ) -> Option<usize> {
        let slot = self.korean_first[usize::from(s)];
        if slot == 0 {
            return None;
        }
        // The first syllable is `s`; the next three bytes turn most words of the group away as one
        // comparison before the whole word is compared.
        let next: Option<[u8; 3]> = array_at(t, q + 3);
        let a = self.korean_groups[usize::from(slot) - 1]
            .iter()
            .find(|a| match a.next {
                Some(b) => next == Some(b) && t[q..].starts_with(a.word),
                // A word of one syllable is `s` itself, which the caller read at `q`.
                None => a.word.len() == 3 || t[q..].starts_with(a.word),
            })?;
        self.on_pattern(t, a.index, q, q + a.word.len(), out);
        Some(q + a.word.len())
    }

    /// A match of pattern `index` (of the secret table, then the anchor table) at `ms..me`.
    fn on_pattern(&self, t: &[u8], index: usize, ms: usize, me: usize, out: &mut Vec<Finding>) {
        let n = t.len();
        {
            let Some(&kind) = self.secret_kinds.get(index) else {
                self.names
                    .on_match(t, index - self.secret_kinds.len(), ms, me, out);
                return;
            };
            if ms > 0 && is_word(t[ms - 1]) && !matches!(kind, SecretKind::KeyValue) {
                return;
            }
            match kind {
                SecretKind::Prefix {
                    min,
                    exact,
                    upper_only,
                } => {
                    let mut j = me;
                    while j < n
                        && (if upper_only {
                            t[j].is_ascii_uppercase() || t[j].is_ascii_digit()
                        } else {
                            is_token(t[j]) || t[j] == b'.' && j + 1 < n && is_token(t[j + 1])
                        })
                    {
                        j += 1;
                    }
                    let len = j - me;
                    if (exact && len == min) || (!exact && len >= min) {
                        out.push(Finding {
                            entity: Entity::Secret,
                            start: ms,
                            end: j,
                            score: 0.95,
                            validation: Validation::Structure,
                        });
                    }
                }
                SecretKind::Jwt => {
                    let mut j = ms;
                    let mut dots = 0;
                    while j < n && (is_token(t[j]) || t[j] == b'.') {
                        dots += usize::from(t[j] == b'.');
                        j += 1;
                    }
                    if dots == 2 && j - ms >= 30 {
                        out.push(Finding {
                            entity: Entity::Secret,
                            start: ms,
                            end: j,
                            score: 0.9,
                            validation: Validation::Structure,
                        });
                    }
                }
                SecretKind::Bearer => {
                    let mut j = me;
                    while j < n && (is_token(t[j]) || b"._~+/=".contains(&t[j])) {
                        j += 1;
                    }
                    if j - me >= 16 {
                        out.push(Finding {
                            entity: Entity::Secret,
                            start: me,
                            end: j,
                            score: 0.85,
                            validation: Validation::Structure,
                        });
                    }
                }
                SecretKind::KeyValue => {
                    if ms > 0 && t[ms - 1].is_ascii_alphabetic() {
                        return;
                    }
                    let mut j = me;
                    while j < n && (is_word(t[j]) || t[j] == b'-') && j - me < 24 {
                        j += 1;
                    }
                    while j < n && matches!(t[j], b'"' | b'\'') {
                        j += 1;
                    }
                    while j < n && t[j] == b' ' {
                        j += 1;
                    }
                    if j >= n || !matches!(t[j], b':' | b'=') {
                        return;
                    }
                    j += 1;
                    while j < n && matches!(t[j], b' ' | b'"' | b'\'') {
                        j += 1;
                    }
                    let vs = j;
                    while j < n && !t[j].is_ascii_whitespace() && !b"\"',;&<>".contains(&t[j]) {
                        j += 1;
                    }
                    if j - vs >= 6 {
                        out.push(Finding {
                            entity: Entity::Secret,
                            start: vs,
                            end: j,
                            score: 0.75,
                            validation: Validation::Context,
                        });
                    }
                }
            }
        }
    }
}

/// Whether a currency sign or code precedes the number starting at `s` (`₩5,000`, `$1,234.56`,
/// `KRW 30000`); a comma ends a digit group, so `1,234,567` starts here at its last group.
fn amount_before(t: &[u8], s: usize) -> bool {
    let mut k = s;
    while k >= 2 && t[k - 1] == b',' && t[k - 2].is_ascii_digit() {
        k -= 1;
        while k > 0 && t[k - 1].is_ascii_digit() {
            k -= 1;
        }
    }
    let lead = &t[..k];
    lead.ends_with("₩".as_bytes())
        || lead.ends_with(b"$")
        || lead.ends_with(b"KRW ")
        || lead.ends_with(b"USD ")
}

/// Whether a currency word follows the number ending at `e` (`12,000원`, `3만원`, `30000 KRW`).
fn amount_after(t: &[u8], e: usize) -> bool {
    let after = &t[e..];
    after.starts_with("원".as_bytes())
        || after.starts_with("만원".as_bytes())
        || after.starts_with(" 원".as_bytes())
        || after.starts_with(b" KRW")
        || after.starts_with(b" USD")
        || after.starts_with("달러".as_bytes())
}

/// A whole value that can be a password or key: one word of 6 to 512 bytes, not only digits
/// (`"total_tokens": 1234` is a count, not a token).
fn is_secret_value(text: &[u8]) -> bool {
    (6..=512).contains(&text.len())
        && !text.iter().any(|b| b.is_ascii_whitespace())
        && !text
            .iter()
            .all(|b| b.is_ascii_digit() || b == &b'.' || b == &b'-')
}

/// The start of a driver-licence region name (`서울 `) right before `start`, if any.
fn region_before(t: &[u8], start: usize) -> Option<usize> {
    let mut k = start;
    while k > 0 && t[k - 1] == b' ' {
        k -= 1;
    }
    REGIONS
        .iter()
        .find(|r| k >= r.len() && &t[k - r.len()..k] == r.as_bytes())
        .map(|r| start - (k - r.len()))
}

/// The end of a phone extension starting at `e` (`x74740`, ` x 12`, ` ext. 123`, `#12`): one to six
/// digits, then no letter or digit.
fn extension_end(t: &[u8], e: usize) -> Option<usize> {
    let rest = t.get(e..)?;
    let lower = |k: usize| rest.get(k).map(u8::to_ascii_lowercase);
    let mut k = usize::from(lower(0) == Some(b' '));
    if lower(k) == Some(b'x') {
        k += 1;
    } else if lower(k) == Some(b'e') && lower(k + 1) == Some(b'x') && lower(k + 2) == Some(b't') {
        k += 3;
        if lower(k) == Some(b'.') {
            k += 1;
        }
    } else if k == 0 && lower(0) == Some(b'#') {
        k += 1;
    } else {
        return None;
    }
    if k > 1 && lower(k) == Some(b' ') || k == 1 && lower(0) == Some(b' ') && lower(k) == Some(b' ')
    {
        k += 1;
    }
    let ds = k;
    while k < rest.len() && rest[k].is_ascii_digit() && k - ds < 7 {
        k += 1;
    }
    let digits = k - ds;
    let free = k >= rest.len() || !is_word(rest[k]);
    ((1..=6).contains(&digits) && free).then_some(e + k)
}

/// Internationalised top-level domains seen in Korean and Asian services' data.
const IDN_TLDS: [&str; 8] = [
    "한국",
    "中国",
    "中國",
    "台灣",
    "台湾",
    "香港",
    "рф",
    "みんな",
];

/// The end of a domain label starting at `j`: ASCII letters, digits and `-`, and letters outside ASCII
/// (`bücher`, `회사`). A label that starts in ASCII stops at a Korean, Chinese or Japanese character,
/// which is text glued after the address (`example.com이고`).
fn domain_label_end(t: &[u8], mut j: usize) -> usize {
    let n = t.len();
    let ls = j;
    let wide = |b: u8| b >= 0xE0; // the lead byte of a character of three or four bytes
    let starts_ascii = j < n && t[j] < 0x80;
    while j < n && j - ls < 63 {
        let b = t[j];
        if is_alnum(b) || b == b'-' {
            j += 1;
        } else if b >= 0x80 && !(starts_ascii && wide(b)) {
            // A whole UTF-8 character, or stop before a broken one.
            let len = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => break,
            };
            if j + len > n || !t[j + 1..j + len].iter().all(|&c| (0x80..0xC0).contains(&c)) {
                break;
            }
            j += len;
        } else {
            break;
        }
    }
    j
}

fn push(cands: &mut [Option<Cand>; 4], c: Cand) {
    if let Some(slot) = cands.iter_mut().find(|c| c.is_none()) {
        *slot = Some(c);
    }
}

/// Every reading of a window of digit groups that its shape and validators allow.
fn classify(
    w: &Win,
    plus: bool,
    paren: bool,
    region: Option<usize>,
    today: Option<Date>,
    cands: &mut [Option<Cand>; 4],
) {
    use Entity::*;
    use Validation::*;
    let d = w.d();
    let l = w.lens();
    let nd = d.len();

    if plus {
        // International form: +82 ... is Korean, anything else an E.164 number.
        if d.starts_with(b"82") {
            if nd < 10 {
                return;
            }
            let mut nat = [0u8; MAX_DIGITS];
            let rest = &d[2..];
            let nl = if rest.first() == Some(&b'0') {
                nat[..rest.len()].copy_from_slice(rest);
                rest.len()
            } else {
                nat[0] = b'0';
                nat[1..=rest.len()].copy_from_slice(rest);
                rest.len() + 1
            };
            if kr_phone_total_ok(&nat[..nl]) {
                push(cands, Cand::new(KrPhone, 0.9, Structure).lead(1));
            }
        } else if e164_length_ok(d) && d[0] != b'0' && !w.rest_mixed {
            // The longest reading a country's numbering allows wins, so `+44 20 7946 0958` is not cut
            // after `7946`, and `+81 3-1234-5678 06:50` stops before the time.
            let base = 0.7 + 0.02 * (nd - 10) as f32;
            push(cands, Cand::new(Phone, base, Structure).lead(1));
        }
        return;
    }
    if w.sep.is_none() && !(w.first_sep == b')' && w.ng == 3) {
        return;
    }

    // Resident and foreigner registration numbers.
    let born_ok = match today {
        Some(today) => rrn_date_valid_on(d, today),
        None => rrn_date_valid(d),
    };
    if ((l == [6, 7] && w.sep_in(b"- ")) || l == [13]) && born_ok {
        let foreign = (b'5'..=b'8').contains(&d[6]);
        let ok = if foreign {
            frn_checksum(d)
        } else {
            rrn_checksum(d)
        };
        // Thirteen digits from Korea's barcode prefix (880) that fail the resident check but pass the
        // EAN-13 check are a barcode unless a context word says otherwise. Only 880: one resident
        // number in ten passes the EAN-13 check by chance, and leaving a person's number costs more
        // than masking some other country's barcode.
        let barcode = w.contiguous() && !ok && d.starts_with(b"880") && ean13_valid(d);
        let base = match (w.contiguous(), ok) {
            (false, true) => 0.95,
            (false, false) => 0.6,
            (true, true) => 0.85,
            (true, false) if barcode => 0.1,
            (true, false) => 0.5,
        };
        let e = if foreign { KrFrn } else { KrRrn };
        push(
            cands,
            Cand::new(e, base, if ok { Checksum } else { Structure }).boost(if barcode {
                0.5
            } else {
                BOOST
            }),
        );
    } else if l == [6, 7] && w.sep_in(b"-") && (b'1'..=b'8').contains(&d[6]) {
        // The resident-number shape with a date no one was born on: a mistyped number is still the
        // person's when the text calls it one (`주민번호: 850500-1908373`).
        push(cands, Cand::new(KrRrn, 0.1, Context).boost(0.6));
    }

    // Payment cards.
    if (12..=19).contains(&nd) {
        let grouped = w.sep_in(b"- ")
            && (l[..l.len() - 1].iter().all(|&x| x == 4)
                && (1..=4).contains(&l[l.len() - 1])
                && l.len() >= 4
                || l == [4, 6, 5]
                || l == [4, 6, 4]);
        if (w.contiguous() || grouped) && luhn(d) && card_issuer_known(d) {
            // Thirteen-digit Visa numbers are no longer issued: a resident number that passes Luhn by
            // chance reads better as what it also is.
            let base = match (grouped, nd) {
                // A barcode passes Luhn one time in ten.
                (false, 13) if ean13_valid(d) => 0.3,
                (_, 12 | 13) => 0.6,
                (true, _) => 0.95,
                (false, _) => 0.9,
            };
            push(cands, Cand::new(CreditCard, base, Checksum));
        }
    }

    // Korean phones.
    if d[0] == b'0' && kr_phone_total_ok(d) {
        if let Some(pl) = kr_phone_prefix(d) {
            let shaped = w.contiguous()
                || (l[0] == pl
                    && (l.len() == 3 && (3..=4).contains(&l[1]) && l[2] == 4
                        || l.len() == 2 && (7..=8).contains(&l[1])))
                    && (w.sep_in(b"-. ") || w.first_sep == b')');
            if shaped {
                let mobile = d[1] == b'1';
                let base = match (mobile, d.starts_with(b"070"), w.contiguous()) {
                    (true, _, false) => 0.85,
                    (true, _, true) => {
                        if nd == 11 {
                            0.75
                        } else {
                            0.55
                        }
                    }
                    (false, true, false) => 0.8,
                    (false, true, true) => 0.55,
                    (false, false, false) => {
                        if paren || w.first_sep == b')' {
                            0.8
                        } else {
                            0.7
                        }
                    }
                    (false, false, true) => 0.5,
                };
                push(
                    cands,
                    Cand::new(KrPhone, base, Structure)
                        .lead(usize::from(paren && w.first_sep == b')')),
                );
            }
        }
    }
    // Korean representative numbers (1588-1234): a company's, rarely a person's.
    if l == [4, 4] && w.sep_in(b"-") && matches!(&d[..2], b"15" | b"16" | b"18") {
        push(cands, Cand::new(KrPhone, 0.3, Structure));
    }

    // North American numbers.
    if l == [3, 3, 4] && (b'2'..=b'9').contains(&d[0]) && (b'2'..=b'9').contains(&d[3]) {
        let base = if paren && w.first_sep == b')' {
            0.8
        } else {
            match w.sep {
                Some(b'-') => 0.6,
                Some(b'.') => 0.5,
                Some(b' ') => 0.35,
                _ => 0.0,
            }
        };
        if base > 0.0 {
            push(
                cands,
                Cand::new(Phone, base, Structure).lead(usize::from(paren && w.first_sep == b')')),
            );
        }
    }

    // A North American number dialled from abroad through the access code 001 (`001-410-404-5772`).
    if l == [3, 3, 3, 4]
        && d.starts_with(b"001")
        && w.sep_in(b"-. ")
        && (b'2'..=b'9').contains(&d[3])
        && (b'2'..=b'9').contains(&d[6])
    {
        push(cands, Cand::new(Phone, 0.7, Structure));
    }

    // Ten bare digits in the North American shape: a phone only when a context word says so.
    if l == [10] && (b'2'..=b'9').contains(&d[0]) && (b'2'..=b'9').contains(&d[3]) {
        // Ten bare digits that fit North American numbering read as a phone unless a word before
        // them names an order, a tracking number or the like.
        push(cands, Cand::new(Phone, 0.5, Structure).boost(0.2));
    }

    // US social security numbers.
    if ssn_valid(d) {
        if l == [3, 2, 4] && w.sep_in(b"- .") {
            let base = match w.sep {
                Some(b'-') => 0.65,
                Some(b'.') => 0.5,
                _ => 0.4,
            };
            push(cands, Cand::new(UsSsn, base, Structure));
        } else if w.contiguous() {
            push(cands, Cand::new(UsSsn, 0.1, Context).boost(0.6));
        }
    }

    // Business registration numbers.
    if (l == [3, 2, 5] && w.sep_in(b"-") || l == [10]) && brn_checksum(d) {
        push(
            cands,
            Cand::new(KrBrn, if w.contiguous() { 0.3 } else { 0.9 }, Checksum),
        );
    }

    // Driver licences: region, year, serial, check.
    if l == [2, 2, 6, 2] && w.sep_in(b"- ") || l == [12] {
        let region = u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0');
        if driver_region_valid(region) {
            push(
                cands,
                Cand::new(
                    KrDriverLicense,
                    if w.contiguous() { 0.2 } else { 0.85 },
                    Structure,
                )
                .boost(0.5),
            );
        }
    }
    if let Some(lead) = region {
        if w.sep_in(b"- ") {
            push(cands, Cand::new(KrDriverLicense, 0.9, Structure).lead(lead));
        }
    }

    // IPv4.
    if l.len() == 4 && w.sep == Some(b'.') && l.iter().all(|&x| x <= 3) {
        let mut ok = true;
        let mut k = 0;
        for &x in l {
            let part = &d[k..k + x];
            let v: u32 = part.iter().fold(0, |a, &b| a * 10 + u32::from(b - b'0'));
            ok &= v <= 255 && (x == 1 || part[0] != b'0');
            k += x;
        }
        if ok {
            // Three small parts first (`1.2.3.4`, `2.10.0.1`, `4.2.1.200`: major, minor, patch, build)
            // read more like a version than a host, unless they are a private network's (`10.0.0.1`):
            // hosts in logs mostly sit on private networks.
            let part = |i: usize| -> u32 {
                let k: usize = l[..i].iter().sum();
                d[k..k + l[i]]
                    .iter()
                    .fold(0, |a, &b| a * 10 + u32::from(b - b'0'))
            };
            let (a, b) = (part(0), part(1));
            let private = a == 10 || a == 172 && (16..=31).contains(&b) || a == 192 && b == 168;
            let version_like = a < 32 && b < 32 && part(2) < 32 && !private;
            push(
                cands,
                Cand::new(IpAddress, if version_like { 0.4 } else { 0.7 }, Structure),
            );
        }
    }

    // Anchored on context words: bank accounts and health-insurance numbers.
    if (10..=14).contains(&nd) {
        if w.contiguous() {
            push(cands, Cand::new(KrBankAccount, 0.15, Context).boost(0.5));
        } else if w.sep_in(b"-") && (2..=6).contains(&l[0]) && l.len() <= 5 && l != [6, 7] {
            // 6-7 is the resident-number shape, which no Korean bank uses.
            push(cands, Cand::new(KrBankAccount, 0.35, Context).boost(0.5));
        }
    }
    if (10..=12).contains(&nd) && (w.contiguous() || w.sep_in(b"-")) {
        push(cands, Cand::new(KrHealthInsurance, 0.1, Context).boost(0.7));
    }
}

/// Whether an international number (country code first, no `+`) has a length its country allows: exact
/// for the countries most seen in Korean services' data, 10 to 13 digits otherwise.
fn e164_length_ok(d: &[u8]) -> bool {
    let n = d.len();
    let two = |p: &[u8]| d.starts_with(p);
    match () {
        _ if two(b"1") => n == 11,
        _ if two(b"44") => n == 12,
        _ if two(b"81") => (11..=12).contains(&n),
        _ if two(b"86") => n == 13,
        _ if two(b"33") || two(b"61") || two(b"7") => n == 11,
        _ if two(b"49") => (11..=13).contains(&n),
        _ if two(b"852") || two(b"65") => n == 11 || n == 10,
        _ if two(b"886") || two(b"91") || two(b"84") => n == 12 || n == 11,
        _ => (10..=13).contains(&n),
    }
}

/// Whether a national Korean number (leading 0) has a length its prefix allows.
fn kr_phone_total_ok(d: &[u8]) -> bool {
    let n = d.len();
    match kr_phone_prefix(d) {
        Some(2) => (9..=10).contains(&n),
        Some(3) if d.starts_with(b"070") => n == 11,
        Some(3) => (10..=11).contains(&n),
        Some(4) => (11..=12).contains(&n),
        _ => false,
    }
}

/// The next byte a recognizer is anchored on (digit, `:`, `@`) at or after `i`. Eight bytes at a time: most
/// text has none of them, and this is the loop every byte goes through.
fn next_trigger(t: &[u8], mut i: usize) -> Option<usize> {
    while i + 8 <= t.len() {
        let x = word_at(t, i);
        // The digits and ':' (strictly between '/' and ';'), and '@'.
        let at = x ^ (LO * 0x40);
        let has_at = at.wrapping_sub(LO) & !at & HI;
        if has_byte_between(x, 0x2F, 0x3B) | has_at != 0 {
            break;
        }
        i += 8;
    }
    t[i.min(t.len())..]
        .iter()
        .position(|&b| b.is_ascii_digit() || b == b':' || b == b'@')
        .map(|k| k + i)
}

/// Keeps, of overlapping findings, the one scored highest (then the longest). Sorts by start.
pub(crate) fn resolve_overlaps(f: &mut Vec<Finding>) {
    if f.len() < 2 {
        f.sort_by_key(|x| x.start);
        return;
    }
    f.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(f.len());
    for x in f.drain(..) {
        match kept.last_mut() {
            Some(last) if x.start < last.end => {
                let better = x.score > last.score
                    || (x.score == last.score && x.end - x.start > last.end - last.start);
                if better {
                    *last = x;
                }
            }
            _ => kept.push(x),
        }
    }
    *f = kept;
}
