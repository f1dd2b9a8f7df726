//! ADDRESS: Korean road-name and lot-number addresses (building, wing and unit included, a postal
//! code before them), US street addresses with city, state and ZIP, and US military addresses. The
//! whole address is one finding.

use super::tables::{is_us_state_code, tables};
use crate::text::*;
use crate::{Entity, Finding, Validation};

/// The Korean region tokens an address starts with.
pub(crate) fn is_ko_region_token(w: &str) -> bool {
    tables().ko_regions.contains(&w)
        || tables()
            .ko_regions
            .iter()
            .any(|r| r.chars().count() == 2 && w.strip_prefix(r) == Some("시"))
}

/// A US street address starting with the house number at `s` (`1600 Pennsylvania Ave NW, Washington, DC
/// 20500`); returns its end.
/// Words a postal code follows (`우편번호는 06236입니다`, `(우)135-080`, `ZIP code: 94105`).
pub(crate) const POSTCODE_WORDS: [&str; 14] = [
    "우편번호",
    "우편 번호",
    "(우)",
    "우)",
    "ZIP code",
    "ZIP Code",
    "Zip code",
    "zip code",
    "ZIP",
    "Zip",
    "zip",
    "postal code",
    "Postal code",
    "Postal Code",
];

/// The postal code after one of [`POSTCODE_WORDS`] at `ms..me`: five digits (Korea since 2015, a US ZIP,
/// with its `-1234`), or the old Korean `123-456`, after a particle, a colon or the like.
pub(crate) fn postcode_after_word(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
    if ms > 0 && t[ms - 1].is_ascii_alphanumeric()
        || t.get(me).is_some_and(u8::is_ascii_alphabetic) && t[ms] < 0x80
    {
        return;
    }
    let n = t.len();
    let mut k = me;
    // What may stand between the word and the code: a particle, a colon, a bracket, `is`.
    let fillers: [&[u8]; 12] = [
        b" ",
        b":",
        b"(",
        b"[",
        b"-",
        b"=",
        "는".as_bytes(),
        "은".as_bytes(),
        "가".as_bytes(),
        "이".as_bytes(),
        b"is",
        b"was",
    ];
    'skip: while k < n && k - me < 16 {
        for f in fillers {
            if t[k..].starts_with(f) {
                k += f.len();
                continue 'skip;
            }
        }
        break;
    }
    let ds = k;
    while k < n && t[k].is_ascii_digit() {
        k += 1;
    }
    let end = match k - ds {
        5 if t.get(k) == Some(&b'-')
            && t.get(k + 1..k + 5)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit)) =>
        {
            k + 5
        }
        5 => k,
        3 if t.get(k) == Some(&b'-')
            && t.get(k + 1..k + 4)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit)) =>
        {
            k + 4
        }
        _ => return,
    };
    if t.get(end).is_some_and(|b| b.is_ascii_digit() || *b == b'-') {
        return;
    }
    out.push(Finding {
        entity: Entity::Address,
        start: ds,
        end,
        score: 0.85,
        validation: Validation::Context,
    });
}

/// Old Korean postal codes (`135-080`) in the same line as a Korean address: a record's other cell
/// (`4199;송영일;…;724-600`, `637-923 | 서울특별시 …`). The address is what says what the number is.
pub(crate) fn old_postcodes_beside(t: &[u8], out: &mut Vec<Finding>) {
    let korean: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| f.entity == Entity::Address && t.get(f.start).is_some_and(|&b| b >= 0x80))
        .map(|f| (f.start, f.end))
        .collect();
    for (s, e) in korean {
        let line_start = t[..s]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |k| k + 1);
        let line_end = t[e..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(t.len(), |k| e + k);
        let mut k = line_start;
        while k + 7 <= line_end {
            let shaped = t[k..k + 3].iter().all(u8::is_ascii_digit)
                && t[k + 3] == b'-'
                && t[k + 4..k + 7].iter().all(u8::is_ascii_digit);
            let free =
                |b: Option<&u8>| b.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
            if shaped
                && (k == 0 || free(t.get(k - 1)))
                && free(t.get(k + 7))
                && !out.iter().any(|f| f.start < k + 7 && f.end > k)
            {
                out.push(Finding {
                    entity: Entity::Address,
                    start: k,
                    end: k + 7,
                    score: 0.7,
                    validation: Validation::Context,
                });
                k += 7;
            } else {
                k += 1;
            }
        }
    }
}

pub(crate) fn us_address(t: &[u8], s: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let n = t.len();
    if s > 0
        && !matches!(
            t[s - 1],
            b' ' | b'\n' | b'\t' | b'(' | b'"' | b'\'' | b'>' | b';' | b',' | b'|' | b':' | b'='
        )
        && t[s - 1] < 0x80
    {
        return None;
    }
    let mut k = s;
    while k < n && t[k].is_ascii_digit() {
        k += 1;
    }
    if k - s > 6 || k >= n || t[k] != b' ' {
        return None;
    }
    // The street: up to five words, the last a suffix (`Ave`, `Street`).
    let mut j = k + 1;
    let mut street_end = None;
    let mut rare_suffix = false;
    let mut shouting = false;
    // Where each word of the street read so far ends, for a street with no suffix.
    let mut word_ends = [0usize; 5];
    let mut words = 0;
    for _ in 0..5 {
        let e = en_word_end(t, j);
        let alnum_end = {
            let mut x = j;
            while x < n && t[x].is_ascii_alphanumeric() {
                x += 1;
            }
            x
        };
        let e = e.max(alnum_end);
        let w = &t[j..e];
        let ordinal = is_numbered_ordinal(w);
        let direction = matches!(w, b"N" | b"S" | b"E" | b"W" | b"NE" | b"NW" | b"SE" | b"SW");
        // A lettered street (`1010 M Street`, `335 C Street Southeast`), or a middle initial in a
        // street named for a person (`Rosa L Parks Boulevard`).
        let lettered = w.len() == 1 && w[0].is_ascii_uppercase() && t.get(e) == Some(&b' ')
            || j == k + 1 && t[j..].starts_with(b"U.S. ");
        // Shipping labels and exports write addresses in capitals (`4411 N OAK ST`): such a street
        // counts only when city, state and ZIP follow.
        let capitals = is_all_capitals(w);
        if !(is_capitalised(w) || ordinal || direction || capitals || lettered) {
            break;
        }
        shouting |= capitals && !direction;
        let ws = std::str::from_utf8(w).ok()?;
        let is_in = |table: &[&str]| {
            if capitals {
                table.iter().any(|x| x.eq_ignore_ascii_case(ws))
            } else {
                table.contains(&ws)
            }
        };
        let rare = is_in(&tables().us_suffixes_rare);
        // A rare suffix before a word that is none is part of the street's name (`West Mount Comfort
        // Road`): read on.
        // The capitalised word after this one, and where it ends.
        let (next, ne) = if t.get(e) == Some(&b' ') {
            let ne = en_word_end(t, e + 1);
            (std::str::from_utf8(&t[e + 1..ne]).unwrap_or(""), ne)
        } else {
            ("", e)
        };
        let next_is_suffix = is_capitalised(next.as_bytes())
            && (tables().us_suffixes.contains(&next) || tables().us_suffixes_rare.contains(&next));
        let rare_inside = rare
            && is_capitalised(next.as_bytes())
            && !next_is_suffix
            && !UNIT_WORDS.iter().any(|u| u.eq_ignore_ascii_case(next))
            && !matches!(next, "East" | "West")
            && !next.starts_with("North")
            && !next.starts_with("South");
        if j > k + 1 && (is_in(&tables().us_suffixes) || rare) && !rare_inside {
            rare_suffix = rare;
            // A suffix that names streets as often as it ends them, before another suffix, is part of
            // the name (`Todd Valley Road`, `Sharps Point Road`, `Seville Park Circle`); any other
            // suffix is, when the city, state and ZIP follow the second (`Willow Lane Drive`,
            // `19th Avenue Court`, `South Court Street`).
            if next_is_suffix && (rare || is_in(&NAMING_SUFFIXES) || city_after(t, ne)) {
                j = e + 1;
                continue;
            }
            let mut e = e;
            if t.get(e) == Some(&b'.') {
                e += 1;
            }
            street_end = Some(e);
            break;
        }
        // A numbered road (`4500 Highway 61`, `12 Route 9`, a state's or the nation's: `578 Vermont
        // 30`, `4486 U.S. 5`): the road's number ends the street, and city, state and ZIP must follow.
        let road_word = is_in(&["Highway", "Hwy", "Route", "Rte"]);
        let (road, e) = if t[j..].starts_with(b"U.S. ") {
            (true, j + 4)
        } else {
            let road = road_word || is_in(&["US"]) || tables().us_state_names.contains(&ws);
            (road, e)
        };
        if j == k + 1 && road && t.get(e) == Some(&b' ') {
            let d = e + 1 + t[e + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if d > e + 1
                && d - e <= 4
                && t.get(d).is_none_or(|b| !b.is_ascii_alphanumeric())
                && (road_word || city_after(t, d))
            {
                rare_suffix = true;
                street_end = Some(d);
                break;
            }
        }
        // A direction may be abbreviated with a period (`1201 W. 5th St.`).
        let e = if direction && t.get(e) == Some(&b'.') {
            e + 1
        } else {
            e
        };
        word_ends[words] = e;
        words += 1;
        if e + 1 < n && t[e] == b' ' {
            j = e + 1;
        } else {
            break;
        }
    }
    // A street with no suffix the tables know (`570 Broadway`, `90 Via Verde`, `65 Landau Alcove`) when
    // the city, state and ZIP follow it.
    if street_end.is_none() {
        street_end = word_ends[..words]
            .iter()
            .copied()
            .find(|&e| city_state_zip(t, e).is_some());
        rare_suffix = true;
    }
    let mut end = street_end?;
    // A direction after the suffix (`NW`); spelled out (`Main Street North`) only before the city.
    for d in [" NW", " NE", " SW", " SE", " N", " S", " E", " W"] {
        if t[end..].starts_with(d.as_bytes())
            && t.get(end + d.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            end += d.len();
            break;
        }
    }
    for d in [
        " Northeast",
        " Northwest",
        " Southeast",
        " Southwest",
        " North",
        " South",
        " East",
        " West",
    ] {
        // Or before a unit and then the city (`Drive East APT 201, Dublin, OH`).
        if t[end..].starts_with(d.as_bytes()) && city_after(t, end + d.len()) {
            end += d.len();
            break;
        }
    }
    // A road's number after its suffix (`County Road 5`, `State Route 1`) before the city.
    if t.get(end) == Some(&b' ') {
        let d = end
            + 1
            + t[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if d > end + 1 && d - end <= 4 && city_after(t, d) {
            end = d;
        }
    }
    // A unit (`, Apt 4B`, ` Suite 200`, ` #12`, ` - Ste. 3`): a secondary unit designator of USPS
    // Publication 28, spelled out or abbreviated, any case, then its number.
    // Up to two (`Apt. 643, Apt. 580`, `Suite 200 #4`).
    for _ in 0..2 {
        match unit_after(t, end) {
            Some(e) => end = e,
            None => break,
        }
    }
    // City, state and ZIP (`, Washington, DC 20500`).
    let mut score = 0.6;
    if let Some(z) = city_state_zip(t, end) {
        end = z;
        score = 0.9;
    }
    if (rare_suffix || shouting) && score < 0.9 {
        return None;
    }
    // A number after a capitalised word is a chapter, a page or a room (`Chapter 12 Main Street
    // Stories`) unless the city, state and ZIP follow.
    if score < 0.9 && s >= 2 && t[s - 1] == b' ' {
        let mut w = s - 1;
        while w > 0 && t[w - 1].is_ascii_alphabetic() {
            w -= 1;
        }
        if is_capitalised(&t[w..s - 1]) {
            return None;
        }
    }
    out.push(Finding {
        entity: Entity::Address,
        start: s,
        end,
        score,
        validation: Validation::Structure,
    });
    Some(end)
}

/// Whether the city, state and ZIP follow `from`, with a unit before them or none (`, Dublin, OH 43016`,
/// ` A, Mexico Beach, FL 32456`, ` #2, Castro Valley, CA 94552`).
fn city_after(t: &[u8], from: usize) -> bool {
    city_state_zip(t, from).is_some()
        || unit_after(t, from).is_some_and(|u| city_state_zip(t, u).is_some())
}

/// Common street suffixes that also name streets (`Moose Run Circle`, `Sharps Point Road`).
const NAMING_SUFFIXES: [&str; 11] = [
    "Run", "Point", "Center", "Square", "Walk", "Path", "Row", "Plaza", "Loop", "Pike", "Trail",
];

/// The city, state and ZIP code after an address's street or box at `from` (`, Washington, DC 20500`,
/// ` Des Moines IA 50310`, `, New York, New York 10118`, `, St. Louis, MO 63101-1234`): where the ZIP
/// code ends, if all three follow.
pub(crate) fn city_state_zip(t: &[u8], from: usize) -> Option<usize> {
    // A space before the city counts only when city, state and ZIP all follow, which they must here.
    let sep = [
        &b", "[..],
        b",\n",
        b"\n",
        b"\r\n",
        b" - ",
        " – ".as_bytes(),
        b" ",
    ]
    .into_iter()
    .find(|sep| t[from..].starts_with(sep))?;
    let mut c = from + sep.len();
    // Up to four words of the city; the state may begin after any of them.
    for _ in 0..4 {
        let e = en_word_end(t, c);
        if !(is_capitalised(&t[c..e]) || is_all_capitals(&t[c..e])) {
            return None;
        }
        // An abbreviated word (`St. Louis`, `Ft. Worth`).
        c = if e - c <= 3 && t.get(e) == Some(&b'.') {
            e + 1
        } else {
            e
        };
        let state_at = if t[c..].starts_with(b", ") {
            c + 2
        } else if t.get(c) == Some(&b' ') {
            c + 1
        } else {
            return None;
        };
        if let Some(z) = state_and_zip(t, state_at) {
            return Some(z);
        }
        if t.get(c) == Some(&b' ') && t.get(c + 1).is_some_and(u8::is_ascii_uppercase) {
            c += 1;
        } else {
            return None;
        }
    }
    None
}

/// A state (its USPS code, or its name) then a ZIP code (`IL 62704`, `Illinois 62704-1234`) at `k`:
/// where the ZIP code ends.
fn state_and_zip(t: &[u8], k: usize) -> Option<usize> {
    let n = t.len();
    let rest = &t[k..];
    let code = rest.len() >= 3 && matches!(rest[2], b' ' | b',') && is_us_state_code(&rest[..2]);
    let state_end = if code {
        k + 2
    } else {
        k + tables()
            .us_state_names
            .iter()
            .filter(|s| rest.starts_with(s.as_bytes()) && rest.get(s.len()) == Some(&b' '))
            .map(|s| s.len())
            .max()?
    };
    // `CA 90069`, and `CA, 90069` as forms and exports often write it.
    let zs = if t[state_end..].starts_with(b", ") {
        state_end + 2
    } else {
        state_end + 1
    };
    let mut z = zs;
    while z < n && t[z].is_ascii_digit() {
        z += 1;
    }
    if z - zs != 5 {
        return None;
    }
    if t.get(z) == Some(&b'-')
        && t.get(z + 1..z + 5)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    {
        z += 5;
    }
    (z >= n || !t[z].is_ascii_alphanumeric()).then_some(z)
}

/// A post office box and its number at `ms..me` (`PO Box 1234`, `P.O. Box 77`), with the city, state
/// and ZIP code when they follow.
pub(crate) fn us_po_box(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
    if ms > 0 && t[ms - 1].is_ascii_alphanumeric() {
        return;
    }
    let mut e = me;
    while e < t.len() && t[e].is_ascii_digit() && e - me < 10 {
        e += 1;
    }
    if e == me || t.get(e).is_some_and(u8::is_ascii_alphanumeric) {
        return;
    }
    let (end, score) = city_state_zip(t, e).map_or((e, 0.7), |z| (z, 0.9));
    out.push(Finding {
        entity: Entity::Address,
        start: ms,
        end,
        score,
        validation: Validation::Structure,
    });
}

/// The spellings of a post office box before its number.
pub(crate) const PO_BOX_WORDS: [&str; 8] = [
    "PO Box ",
    "P.O. Box ",
    "P. O. Box ",
    "Post Office Box ",
    "PO BOX ",
    "P.O. BOX ",
    "POB ",
    "Po Box ",
];

/// An ordinal in digits (`5th`, `2ND`, `101st`).
/// Whether a street's number written as an ordinal (`65th`, `1st`) starts at `k`, a space after it.
pub(crate) fn numbered_ordinal_at(t: &[u8], k: usize) -> bool {
    let e = k + t[k.min(t.len())..]
        .iter()
        .take(6)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    t.get(e) == Some(&b' ') && is_numbered_ordinal(&t[k..e])
}

fn is_numbered_ordinal(w: &[u8]) -> bool {
    w.len() >= 3
        && w[..w.len() - 2].iter().all(u8::is_ascii_digit)
        && [&b"st"[..], b"nd", b"rd", b"th"]
            .iter()
            .any(|x| w[w.len() - 2..].eq_ignore_ascii_case(x))
}

/// A floor by its ordinal at `u` (`Fifth Floor`, `10th Floor`, `2nd Fl.`): where it ends.
fn ordinal_floor(t: &[u8], u: usize) -> Option<usize> {
    const SPELLED: [&str; 20] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    let we = u + t[u..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let w = &t[u..we];
    let numbered = is_numbered_ordinal(w);
    let spelled = w.first().is_some_and(u8::is_ascii_uppercase)
        && SPELLED.iter().any(|o| o.as_bytes().eq_ignore_ascii_case(w));
    if !(numbered || spelled) {
        return None;
    }
    [&b" Floor"[..], b" FLOOR", b" floor", b" Fl.", b" Fl"]
        .into_iter()
        .find(|f| {
            t[we..].starts_with(f)
                && t.get(we + f.len())
                    .is_none_or(|b| !b.is_ascii_alphanumeric())
        })
        .map(|f| we + f.len())
}

/// Secondary unit designators (USPS Publication 28, appendix C2) that take a number, spelled out and
/// abbreviated, compared without regard to case.
const UNIT_WORDS: [&str; 25] = [
    "apartment",
    "apt",
    "suite",
    "ste",
    "unit",
    "room",
    "rm",
    "floor",
    "fl",
    "building",
    "bldg",
    "department",
    "dept",
    "lot",
    "space",
    "spc",
    "trailer",
    "trlr",
    "office",
    "ofc",
    "hangar",
    "hngr",
    "pier",
    "slip",
    "stop",
];

/// The end of a unit after `end` (`, Apt. 4B`, ` Suite 200`, ` #12`, ` - Ste 3`), if one follows.
fn unit_after(t: &[u8], end: usize) -> Option<usize> {
    let n = t.len();
    let mut u = end;
    for sep in [&b", "[..], b",", b" - ", b"; ", b" "] {
        if t[u..].starts_with(sep) {
            u += sep.len();
            break;
        }
    }
    if u == end {
        return None;
    }
    if let Some(e) = ordinal_floor(t, u) {
        return Some(e);
    }
    // A unit with no word, one or two short parts right before the city, state and ZIP (`1528 Spruce
    // Street M, Berkeley, CA`, `Vermont Street 1208, Portland, OR`, `Milvia Street R A, Berkeley, CA`).
    if t[end..].starts_with(b" ") {
        let mut x = u;
        for _ in 0..2 {
            let xe = x + t[x..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let id = &t[x..xe];
            let shaped = id.len() == 1 && id[0].is_ascii_uppercase()
                || (1..=6).contains(&id.len())
                    && id.iter().any(u8::is_ascii_digit)
                    && id
                        .iter()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            if !shaped {
                break;
            }
            if city_state_zip(t, xe).is_some() {
                return Some(xe);
            }
            if t.get(xe) != Some(&b' ') {
                break;
            }
            x = xe + 1;
        }
    }
    let mut x = if t.get(u) == Some(&b'#') {
        // `#12`, and as exports write them, `##2`, `#APT 000002`, `#STE H6`.
        let mut x = u + 1;
        while t.get(x) == Some(&b'#') {
            x += 1;
        }
        let we = x + t[x..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if t.get(we) == Some(&b' ')
            && UNIT_WORDS
                .iter()
                .any(|w| w.as_bytes().eq_ignore_ascii_case(&t[x..we]))
        {
            x = we;
        }
        x
    } else {
        let we = u + t[u..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let word = &t[u..we];
        if !UNIT_WORDS
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(word))
            || !word.first().is_some_and(u8::is_ascii_uppercase)
        {
            return None;
        }
        let mut x = we;
        if t.get(x) == Some(&b'.') {
            x += 1;
        }
        if t.get(x) == Some(&b'#') {
            x += 1;
        }
        x
    };
    if t.get(x) == Some(&b' ') {
        x += 1;
    }
    let xs = x;
    while x < n && (t[x].is_ascii_alphanumeric() || t[x] == b'-' && x > xs) {
        x += 1;
    }
    // A unit's number holds a digit (`4B`, `12`) or is one letter (`Apt C`).
    let id = &t[xs..x];
    (id.iter().any(u8::is_ascii_digit) || id.len() == 1 && id[0].is_ascii_uppercase()).then_some(x)
}

/// A US military or diplomatic address ending in `APO|FPO|DPO AA|AE|AP` and a ZIP code, with the unit,
/// post office box or ship before it (`PSC 2905, Box 1114, APO AA 33131`, `USNS Rose\nFPO AE 09546`).
pub(crate) fn us_military_address(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
    if ms > 0 && t[ms - 1].is_ascii_alphanumeric() {
        return;
    }
    let Some(tail) = t.get(me..me + 8) else {
        return;
    };
    if !matches!(&tail[..3], b"AA " | b"AE " | b"AP ")
        || !tail[3..].iter().all(u8::is_ascii_digit)
        || t.get(me + 8).is_some_and(u8::is_ascii_alphanumeric)
    {
        return;
    }
    let end = me + 8;
    // The line before: the unit and box, or the ship, at most a few dozen bytes back.
    let from = ms.saturating_sub(48);
    let start = ["PSC ", "Unit ", "CMR ", "USNS ", "USNV ", "USCGC ", "USS "]
        .iter()
        .filter_map(|w| {
            t[from..ms]
                .windows(w.len())
                .rposition(|x| x == w.as_bytes())
                .map(|i| from + i)
        })
        .filter(|&i| i == 0 || !t[i - 1].is_ascii_alphanumeric())
        .min()
        .unwrap_or(ms);
    out.push(Finding {
        entity: Entity::Address,
        start,
        end,
        score: 0.85,
        validation: Validation::Structure,
    });
}

/// The Korean address starting with the region word at `ms..me`.
pub(crate) fn ko_address(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
    if char_before(t, ms).is_some_and(|(c, _)| hangul(c)) {
        return;
    }
    // The whole region word (`서울특별시`, `서울시`, `서울`, `충청북도`).
    let k = hangul_run_after(t, ms);
    let Ok(region) = std::str::from_utf8(&t[ms..k]) else {
        return;
    };
    if k < me || !is_ko_region_token(region) {
        return;
    }
    ko_address_from(t, ms, k, 0, out);
}

/// The rest of a Korean address whose first word is `start..k` (a region, or a 시·군·구 when
/// `districts` is 1). Returns the end of the address it pushed.
fn ko_address_from(
    t: &[u8],
    ms: usize,
    mut k: usize,
    mut districts: usize,
    out: &mut Vec<Finding>,
) -> Option<usize> {
    let n = t.len();
    let word = |k: usize| -> Option<(usize, usize, String)> {
        // A word after one space: Hangul, digits, `-`.
        if t.get(k) != Some(&b' ') {
            return None;
        }
        let ws = k + 1;
        let mut e = ws;
        while let Some((c, ce)) = char_at(t, e) {
            if hangul(c) || c.is_ascii_digit() || c == '-' {
                e = ce;
            } else {
                break;
            }
        }
        let w = std::str::from_utf8(&t[ws..e]).ok()?.to_owned();
        (!w.is_empty()).then_some((ws, e, w))
    };
    let ends_with = |w: &str, set: &[char]| w.chars().last().is_some_and(|c| set.contains(&c));
    // 시·군·구, up to two (`성남시 분당구`).
    while districts < 2 {
        match word(k) {
            Some((_, e, w))
                if w.chars().count() >= 2
                    && ends_with(&w, &['시', '군', '구'])
                    && !w.contains(|c: char| c.is_ascii_digit()) =>
            {
                k = e;
                districts += 1;
            }
            _ => break,
        }
    }
    // 읍·면·동·리 (`역삼동`, `역삼1동`, `봉담읍 수영리`), up to two.
    let mut towns = 0;
    while towns < 2 {
        match word(k) {
            Some((_, e, w))
                if w.chars().count() >= 2
                    && (ends_with(&w, &['읍', '면', '동', '리', '가']) || w.ends_with("마을")) =>
            {
                k = e;
                towns += 1;
            }
            _ => break,
        }
    }
    if districts == 0 && towns == 0 {
        return None;
    }
    let number = |k: usize| -> Option<usize> {
        // ` 123`, ` 123-4`, ` 산 12-3`.
        let mut j = k;
        if t.get(j) != Some(&b' ') {
            return None;
        }
        j += 1;
        // `산 12-3` (a lot on a mountain), `지하 12` (a building under the road).
        for prefix in ["산", "지하"] {
            if t[j..].starts_with(prefix.as_bytes()) {
                j += prefix.len();
                if t.get(j) == Some(&b' ') {
                    j += 1;
                }
                break;
            }
        }
        let ds = j;
        while j < n && t[j].is_ascii_digit() {
            j += 1;
        }
        if j == ds || j - ds > 5 {
            return None;
        }
        if t.get(j) == Some(&b'-') && t.get(j + 1).is_some_and(u8::is_ascii_digit) {
            j += 1;
            while j < n && t[j].is_ascii_digit() {
                j += 1;
            }
        }
        if t.get(j).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        Some(j)
    };
    // A road (`테헤란로`, `도산대로8길`, `세종대로 12번길`) and its building number, or a lot number.
    let mut end = None;
    if let Some((_, e, w)) = word(k) {
        if ends_with(&w, &['로', '길']) && w.chars().count() >= 2 {
            let mut re = e;
            // `중앙로 12번길 34`.
            if let Some((_, e2, w2)) = word(re) {
                if w2.ends_with("번길")
                    || w2.ends_with('길') && w2.starts_with(|c: char| c.is_ascii_digit())
                {
                    re = e2;
                }
            }
            end = number(re);
        }
    }
    if end.is_none() && towns > 0 {
        end = number(k);
    }
    let mut end = end?;
    // Building and unit: `, 4층`, ` 101동 202호`, ` (역삼동)`, ` 지하 1층`, ` B1`.
    loop {
        let mut j = end;
        if t[j..].starts_with(b",") {
            j += 1;
        }
        if t.get(j) != Some(&b' ') {
            break;
        }
        j += 1;
        if t[j..].starts_with(b"(") {
            if let Some(close) = t[j..]
                .iter()
                .take(60)
                .position(|&b| b == b')' || b == b'\n')
            {
                if t[j + close] == b')' {
                    end = j + close + 1;
                    continue;
                }
            }
            break;
        }
        // A building's name (`래미안아파트`, `승민타워`) and a lettered wing (`가동`, `B동`).
        let name_end = hangul_run_after(t, j);
        if name_end > j {
            let name = std::str::from_utf8(&t[j..name_end]).unwrap_or("");
            let syllables = name.chars().count();
            let wing = syllables == 2 && name.ends_with('동');
            if (syllables <= 15 && tables().ko_buildings.iter().any(|b| name.ends_with(b))) || wing
            {
                end = name_end;
                continue;
            }
            // A particle glued to the building's name (`래미안아파트로 보내 주세요`).
            let bare = [
                "으로", "로", "에서", "에", "이", "가", "은", "는", "을", "를", "의", "도",
            ]
            .iter()
            .find_map(|p| name.strip_suffix(p));
            if let Some(bare) = bare {
                if bare.chars().count() <= 15
                    && tables().ko_buildings.iter().any(|b| bare.ends_with(b))
                {
                    end = j + bare.len();
                    break;
                }
            }
        }
        if t.get(j).is_some_and(u8::is_ascii_uppercase) && t[j + 1..].starts_with("동".as_bytes())
        {
            end = j + 1 + "동".len();
            continue;
        }
        if t[j..].starts_with("지하".as_bytes()) {
            j += "지하".len();
            if t.get(j) == Some(&b' ') {
                j += 1;
            }
        }
        let ds = j;
        if t.get(j) == Some(&b'B') {
            j += 1;
        }
        while j < n && t[j].is_ascii_digit() {
            j += 1;
        }
        if j == ds {
            break;
        }
        let unit = ["층", "호", "동", "실"]
            .iter()
            .find(|u| t[j..].starts_with(u.as_bytes()));
        match unit {
            Some(u) => end = j + u.len(),
            None => break,
        }
    }
    // A postal code right before the region (`(06236) 서울특별시 …`, `06236 서울 …`).
    let mut start = ms;
    let mut p = ms;
    if p > 0 && t[p - 1] == b' ' {
        p -= 1;
    }
    let close = p > 0 && matches!(t[p - 1], b')' | b']');
    let q = if close { p - 1 } else { p };
    let mut z = q;
    while z > 0 && t[z - 1].is_ascii_digit() {
        z -= 1;
    }
    if q - z == 5 && (!close || z > 0 && matches!(t[z - 1], b'(' | b'[')) {
        let zs = if close { z - 1 } else { z };
        // Not the last group of another number (`446-44-25098 서울…`, a card's `… 41662`).
        let free = zs == 0
            || t[zs - 1] == b'\n'
            || t[zs - 1] == b' ' && (zs < 2 || !(t[zs - 2].is_ascii_digit() || t[zs - 2] == b'-'));
        if free {
            start = zs;
        }
    }
    out.push(Finding {
        entity: Entity::Address,
        start,
        end,
        score: if districts > 0 { 0.85 } else { 0.7 },
        validation: Validation::Structure,
    });
    Some(end)
}

/// A Korean address written without its province, found from its building number at `s`
/// (`강남구 테헤란로 123`, `분당구 정자동 178-1`): the words before it are read back to a 시·군·구.
pub(crate) fn ko_address_before_number(
    t: &[u8],
    s: usize,
    out: &mut Vec<Finding>,
) -> Option<usize> {
    // Most numbers after Korean words are not addresses: look at the syllable right before the space
    // first, without decoding anything.
    let before = t.get(s.checked_sub(4)?..s - 1)?;
    if !["로", "길", "동", "리", "가", "읍", "면"]
        .iter()
        .any(|c| c.as_bytes() == before)
    {
        return None;
    }
    let ends_with = |w: &str, set: &[char]| w.chars().last().is_some_and(|c| set.contains(&c));
    // Up to five Hangul words before the number, each after one space.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut e = s.checked_sub(1)?;
    while words.len() < 5 && t.get(e) == Some(&b' ') {
        let mut ws = e;
        while let Some((c, cs)) = char_before(t, ws) {
            if hangul(c) || c.is_ascii_digit() {
                ws = cs;
            } else {
                break;
            }
        }
        if ws == e {
            break;
        }
        words.push((ws, e));
        e = match ws.checked_sub(1) {
            Some(x) => x,
            None => break,
        };
    }
    let text = |(a, b): (usize, usize)| std::str::from_utf8(&t[a..b]).unwrap_or("");
    let last = text(*words.first()?);
    if !(ends_with(last, &['로', '길', '동', '리', '가', '읍', '면'])) {
        return None;
    }
    // The earliest 시·군·구 whose words up to the number are towns and roads.
    let district = words.iter().rposition(|&w| {
        let x = text(w);
        x.chars().count() >= 2
            && ends_with(x, &['시', '군', '구'])
            && !x.contains(|c: char| c.is_ascii_digit())
    })?;
    let (ds, de) = words[district];
    // A region before it was found from the region's own anchor.
    if words
        .get(district + 1)
        .is_some_and(|&w| is_ko_region_token(text(w)))
    {
        return None;
    }
    let mut found = Vec::new();
    let end = ko_address_from(t, ds, de, 1, &mut found)?;
    out.extend(found.into_iter().map(|f| Finding { score: 0.75, ..f }));
    Some(end)
}
