//! One normalisation for every caller: what the scanner reads is the text with the tricks that hide a
//! value from a pattern undone, and every finding is mapped back to the bytes of the text as it came.
//!
//! Undone: invisible characters (zero-width spaces and joiners, the soft hyphen, direction marks, the
//! byte-order mark) are dropped; full-width forms (`０１０`, `＠`) become ASCII; Unicode hyphens and
//! dashes (U+2010–U+2015, U+2212, `﹣`) become `-`, and Unicode spaces (no-break, thin, ideographic)
//! a space; percent-escapes of printable ASCII (`%40`, `%2D`) and HTML character references (`&#64;`,
//! `&#x2D;`, `&commat;`, `&hyphen;`, ...) are decoded, and what they decode to is normalised in turn.
//!
//! Most text holds none of these: [`Normalized::of`] answers `None` after one SIMD search for the
//! few bytes that can start one (`%`, `&` and the lead bytes of those characters), and the scanner reads
//! the original bytes.

/// A replaced stretch: `norm_len` bytes of the normalised text stand for `orig_len` bytes of the original
/// (`norm_len` 0 for a dropped character).
#[derive(Clone, Copy, Debug)]
struct Unit {
    norm_start: usize,
    norm_len: usize,
    orig_start: usize,
    orig_len: usize,
}

/// A text with its tricks undone, and the way back to the original's byte offsets.
#[derive(Debug)]
pub struct Normalized {
    /// The normalised bytes.
    pub text: Vec<u8>,
    units: Vec<Unit>,
}

/// Characters that render as nothing: dropped.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// What a character stands for, when it is not itself: `Some(None)` drops it.
fn fold(c: char) -> Option<Option<char>> {
    if invisible(c) {
        return Some(None);
    }
    let folded = match c {
        // Full-width ASCII: `０`, `＠`, `－`, `ｍ`.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{2043}' => '-',
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        '\u{FE6B}' => '@',
        '\u{FE52}' => '.',
        _ => return None,
    };
    Some(Some(folded))
}

/// Named character references worth decoding: the ones that spell parts of an address or a number.
const NAMED: [(&str, char); 14] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("commat", '@'),
    ("period", '.'),
    ("hyphen", '-'),
    ("dash", '-'),
    ("minus", '-'),
    ("ndash", '-'),
    ("plus", '+'),
    ("colon", ':'),
];

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A percent-escape of printable ASCII at `i` (`%40`): the byte it stands for.
fn percent(t: &[u8], i: usize) -> Option<u8> {
    let (h, l) = (hex_val(*t.get(i + 1)?)?, hex_val(*t.get(i + 2)?)?);
    let b = h << 4 | l;
    (0x20..0x7F).contains(&b).then_some(b)
}

/// A character reference at `i` (`&#64;`, `&#x40;`, `&commat;`): the character and the reference's length.
fn entity(t: &[u8], i: usize) -> Option<(char, usize)> {
    let rest = t.get(i + 1..(i + 12).min(t.len()))?;
    let semi = rest.iter().position(|&b| b == b';')?;
    let body = &rest[..semi];
    let c = if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        if digits.is_empty() || digits.len() > 7 {
            return None;
        }
        let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
        char::from_u32(v).filter(|c| !c.is_control() || *c == '\t')?
    } else {
        NAMED.iter().find(|(n, _)| n.as_bytes() == body)?.1
    };
    Some((c, semi + 2))
}

/// The character at `i` if it is one [`fold`] changes: its replacement and its length in bytes.
fn folded_at(t: &[u8], i: usize) -> Option<(Option<char>, usize)> {
    // Every character `fold` changes is of two or three bytes.
    if !(0xC2..=0xEF).contains(&t[i]) {
        return None;
    }
    let (c, end) = crate::text::char_at(t, i)?;
    Some((fold(c)?, end - i))
}

/// What replaces the trick starting at `i`, if one does: the replacement character (none when dropped)
/// and the trick's length.
fn trick_at(t: &[u8], i: usize) -> Option<(Option<char>, usize)> {
    match t[i] {
        b'%' => percent(t, i).map(|b| (Some(b as char), 3)),
        b'&' => entity(t, i).map(|(c, len)| match fold(c) {
            Some(f) => (f, len),
            None => (Some(c), len),
        }),
        // Invisible characters, hyphens, spaces and full-width forms all begin with one of these bytes.
        0xC2 | 0xCD | 0xE1 | 0xE2 | 0xE3 | 0xEF => folded_at(t, i),
        _ => None,
    }
}

/// The first byte at or after `from` where a trick starts.
fn next_trick(t: &[u8], mut from: usize) -> Option<usize> {
    // Three searches over a window at a time, so that one common byte does not make the others'
    // searches run to the end of the text again and again; within a window each search's next
    // candidate is kept until it is passed, so a common byte that starts no trick (the curly quotes
    // of English prose: 0xE2) costs one search, not three.
    const WINDOW: usize = 4096;
    while from < t.len() {
        let end = (from + WINDOW).min(t.len());
        let find = |search: usize, at: usize| {
            let w = &t[at..end];
            match search {
                0 => memchr::memchr3(b'%', b'&', 0xE2, w),
                1 => memchr::memchr3(0xEF, 0xC2, 0xE3, w),
                _ => memchr::memchr2(0xCD, 0xE1, w),
            }
            .map_or(end, |k| at + k)
        };
        let mut next = [find(0, from), find(1, from), find(2, from)];
        loop {
            let mut search = 0;
            for k in 1..next.len() {
                if next[k] < next[search] {
                    search = k;
                }
            }
            let p = next[search];
            if p >= end {
                break;
            }
            if trick_at(t, p).is_some() {
                return Some(p);
            }
            next[search] = find(search, p + 1);
        }
        from = end;
    }
    None
}

impl Normalized {
    /// `text` with its tricks undone, or `None` when it holds none (read it as it is).
    pub fn of(text: &[u8]) -> Option<Normalized> {
        let first = next_trick(text, 0)?;
        let mut out = Vec::with_capacity(text.len());
        let mut units = Vec::new();
        let mut at = 0;
        let mut next = Some(first);
        while let Some(p) = next {
            out.extend_from_slice(&text[at..p]);
            let (c, len) = match trick_at(text, p) {
                Some(x) => x,
                None => {
                    at = p;
                    next = next_trick(text, p + 1);
                    continue;
                }
            };
            let norm_start = out.len();
            if let Some(c) = c {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            units.push(Unit {
                norm_start,
                norm_len: out.len() - norm_start,
                orig_start: p,
                orig_len: len,
            });
            at = p + len;
            next = if at < text.len() {
                next_trick(text, at)
            } else {
                None
            };
        }
        out.extend_from_slice(&text[at.min(text.len())..]);
        Some(Normalized { text: out, units })
    }

    /// The last unit starting at or before normalised byte `p`.
    fn unit_before(&self, p: usize) -> Option<&Unit> {
        let k = self.units.partition_point(|u| u.norm_start <= p);
        k.checked_sub(1).map(|k| &self.units[k])
    }

    /// The original offset of normalised byte `p`, as the start of a finding.
    pub fn orig_start(&self, p: usize) -> usize {
        match self.unit_before(p) {
            None => p,
            Some(u) if p < u.norm_start + u.norm_len => u.orig_start,
            Some(u) => u.orig_start + u.orig_len + (p - u.norm_start - u.norm_len),
        }
    }

    /// The original offset of normalised offset `p`, as the (exclusive) end of a finding.
    pub fn orig_end(&self, p: usize) -> usize {
        if p == 0 {
            return self.orig_start(0);
        }
        let q = p - 1;
        match self.unit_before(q) {
            None => p,
            Some(u) if q < u.norm_start + u.norm_len => u.orig_start + u.orig_len,
            Some(u) => u.orig_start + u.orig_len + (p - u.norm_start - u.norm_len),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Normalized::of(s.as_bytes())
            .map(|n| String::from_utf8(n.text).unwrap_or_default())
            .unwrap_or_else(|| s.to_owned())
    }

    #[test]
    fn tricks_are_undone() {
        assert_eq!(norm("010\u{200b}-7777\u{200b}-3141"), "010-7777-3141");
        assert_eq!(norm("０１０-７７７７-３１４１"), "010-7777-3141");
        assert_eq!(
            norm("010\u{2010}7777\u{2212}3141\u{2013}1"),
            "010-7777-3141-1"
        );
        assert_eq!(
            norm("kim%40example.com 010%2D1234"),
            "kim@example.com 010-1234"
        );
        assert_eq!(
            norm("kim&#64;example.com &#x2D; &commat;"),
            "kim@example.com - @"
        );
        assert_eq!(norm("&#65296;&#8203;1"), "01");
        assert_eq!(norm("plain text 100% & more"), "plain text 100% & more");
    }

    #[test]
    fn offsets_map_back_to_the_original_bytes() {
        let s = "tel 0&#49;0\u{200b}-7777 end";
        let n = Normalized::of(s.as_bytes()).unwrap();
        let t = std::str::from_utf8(&n.text).unwrap();
        assert_eq!(t, "tel 010-7777 end");
        let (a, b) = (t.find("010").unwrap(), t.find(" end").unwrap());
        assert_eq!(&s[n.orig_start(a)..n.orig_end(b)], "0&#49;0\u{200b}-7777");
        assert_eq!(n.orig_end(t.len()), s.len());
        assert_eq!(n.orig_start(0), 0);
    }
}
