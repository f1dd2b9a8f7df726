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

use std::collections::HashSet;

use crate::{Entity, Finding, Validation};

/// Korean surnames (Statistics Korea, 2015 census: those borne by more than about 10,000 people).
const KO_SURNAMES: &str = "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민류나진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌";
/// Two-syllable surnames.
const KO_SURNAMES_2: [&str; 6] = ["남궁", "황보", "제갈", "선우", "독고", "사공"];
/// Syllables common in Korean given names. Syllables that mostly make ordinary words (번, 말, 고, 국, 늘)
/// are left out on purpose: a name made of them needs a name field, not an honorific alone.
const KO_GIVEN: &str = "가강건겸경계광교구권규균근금기길나남내다단달담대덕도동두득라란람랑래량려련렬령례로록룡루류륜률륭리린림마만명모목무문미민바박반방배백범법벽병보복본봉부분비빈빛사산삼상새샘서석선설섭성세소솔송수숙순술숭슬승시식신실심아안애양억언엄업여연열염엽영예오옥온완왕용우욱운웅원월위유윤율은을음의이익인일임자작장재전정제조종주준중지직진찬창채천철청초춘충치탁태택판평표필하학한해행향허헌혁현형혜호홍화환황효후훈휘흠흥희름늘결별봄힘얼누솜";
/// Words of two to four syllables that look like a surname and a given name but are ordinary words or
/// titles (`사장님`, `이번 고객님`).
const KO_STOP: [&str; 94] = [
    "이번",
    "정말",
    "최고",
    "한국",
    "이제",
    "이미",
    "이후",
    "이상",
    "이하",
    "이전",
    "고객",
    "오늘",
    "우리",
    "신규",
    "기존",
    "전체",
    "해당",
    "전화",
    "문의",
    "상담",
    "조금",
    "정도",
    "정보",
    "최근",
    "최대",
    "최소",
    "주문",
    "배송",
    "안내",
    "사장",
    "기사",
    "과장",
    "부장",
    "차장",
    "팀장",
    "대리",
    "사원",
    "선생",
    "교수",
    "원장",
    "회장",
    "대표",
    "실장",
    "소장",
    "반장",
    "주임",
    "계장",
    "손님",
    "형님",
    "누님",
    "사모",
    "주인",
    "관리",
    "담당",
    "직원",
    "회원",
    "모두",
    "가족",
    "부모",
    "학생",
    "환자",
    "민원",
    "지원",
    "도움",
    "전문",
    "공지",
    "이용",
    "신청",
    "구매",
    "판매",
    "운영",
    "고객님",
    "상담원",
    "관리자",
    "담당자",
    "작성자",
    "신청자",
    "구매자",
    "판매자",
    "운영자",
    "대표자",
    "보호자",
    "여러분",
    "선생님",
    "이용자",
    "수신자",
    "발신자",
    "정상",
    "성공",
    "안전",
    "장기",
    "유지",
    "조정",
    "조회",
];
/// What may follow a Korean name in a sentence: particles and copulas (`김민수입니다`, `홍길동이`).
const KO_AFTER_NAME: [&str; 24] = [
    "",
    "님",
    "씨",
    "입니다",
    "이에요",
    "예요",
    "이고",
    "이며",
    "이",
    "가",
    "은",
    "는",
    "을",
    "를",
    "의",
    "에게",
    "께서",
    "께",
    "과",
    "와",
    "랑",
    "이랑",
    "도",
    "요",
];
/// Words that name a person after a name (`김민수 고객님`, `홍길동 드림`).
const KO_TITLES: [&str; 25] = [
    "님",
    "씨",
    "고객님",
    "고객",
    "선생님",
    "과장",
    "과장님",
    "부장",
    "부장님",
    "차장",
    "팀장",
    "팀장님",
    "대리",
    "대리님",
    "실장",
    "실장님",
    "대표",
    "대표님",
    "교수",
    "교수님",
    "원장",
    "원장님",
    "드림",
    "올림",
    "귀하",
];
/// Words after which a name is a field's value (`이름: 김민수`, `예금주 홍길동`).
const KO_NAME_FIELDS: &[&str] = &[
    "이름",
    "성명",
    "예금주",
    "고객명",
    "수령인",
    "받는 분",
    "받는분",
    "보호자",
    "신청인",
    "작성자",
    "성함",
    "수취인",
    "담당자",
    "보낸 사람",
    "보낸사람",
    "보내는 사람",
    "받는 사람",
    "받는사람",
    "발신인",
    "발신자",
    "수신인",
    "수신자",
    "주문자",
    "구매자",
    "예약자",
    "가입자",
    "명의자",
    "대표자",
    "의뢰인",
];
/// Words a person introduces themself after (`안녕하세요, 김민수입니다`, `저는 홍길동이에요`).
const KO_INTRO: [&str; 4] = ["안녕하세요", "안녕하십니까", "저는", "제 이름은"];
/// What ends a self-introduction right after the name.
const KO_INTRO_END: [&str; 6] = ["입니다", "이에요", "예요", "이라고", "라고", "이고요"];
const EN_TITLES: [&str; 14] = [
    "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Miss", "Dr.", "Dr", "Prof.", "MR.", "MS.", "MRS.",
    "DR.",
];
const EN_SIGNOFFS: [&str; 12] = [
    "Regards,",
    "regards,",
    "Sincerely,",
    "Thanks,",
    "Thank you,",
    "Best,",
    "Cheers,",
    "Warmly,",
    "Yours,",
    "Respectfully,",
    "Best wishes,",
    "Kind regards,",
];
const EN_NAME_FIELDS: &[&str] = &[
    "Name:",
    "name:",
    "NAME:",
    "Name -",
    "name is",
    "Name is",
    "named",
    "called",
    "Attn:",
    "ATTN:",
    "From:",
    "To:",
    "Signed,",
    "signed by",
    "Contact:",
    "Customer:",
    "Sender:",
    "Recipient:",
];
/// What may follow an English name as part of it (`Tiffany Stephens MD`, `John Smith Jr.`).
const EN_NAME_SUFFIXES: [&str; 14] = [
    "Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV", "MD", "DDS", "DVM", "PhD", "Esq.", "RN", "CPA",
];
/// Capitalised words that follow `Dear` or `Mr` and are not names.
const EN_STOP: [&str; 40] = [
    "Customer",
    "Customers",
    "Sir",
    "Sirs",
    "Madam",
    "Team",
    "All",
    "Valued",
    "User",
    "Users",
    "Client",
    "Member",
    "Members",
    "Support",
    "Hiring",
    "Manager",
    "Friend",
    "Friends",
    "Colleague",
    "Colleagues",
    "Partner",
    "Applicant",
    "Subscriber",
    "Guest",
    "Student",
    "Parent",
    "Patient",
    "Reader",
    "Editor",
    "The",
    "I",
    "We",
    "You",
    "Thanks",
    "Regards",
    "Best",
    "Sincerely",
    "Hello",
    "Hi",
    "Everyone",
];

const EN_FIRST: &str = include_str!("../data/en_first_names.txt");
const EN_LAST: &str = include_str!("../data/en_last_names.txt");

/// Korean provinces and metropolitan cities, in full and short form.
const KO_REGIONS: [&str; 37] = [
    "서울특별시",
    "부산광역시",
    "대구광역시",
    "인천광역시",
    "광주광역시",
    "대전광역시",
    "울산광역시",
    "세종특별자치시",
    "경기도",
    "강원도",
    "강원특별자치도",
    "충청북도",
    "충청남도",
    "전라북도",
    "전북특별자치도",
    "전라남도",
    "경상북도",
    "경상남도",
    "제주특별자치도",
    "제주도",
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
];

/// The first two syllables of every entry of KO_REGIONS.
const KO_REGION_HEADS: [&str; 20] = [
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원", "충북", "충남",
    "전북", "전남", "경북", "경남", "제주", "충청", "전라", "경상",
];

/// How a Korean building's name ends (`OO아파트`, `OO타워`).
const KO_BUILDINGS: [&str; 24] = [
    "아파트",
    "빌라",
    "연립",
    "마을",
    "타운",
    "타워",
    "빌딩",
    "오피스텔",
    "맨션",
    "하이츠",
    "주택",
    "상가",
    "센터",
    "플라자",
    "프라자",
    "캐슬",
    "파크",
    "빌",
    "단지",
    "스퀘어",
    "시티",
    "힐스",
    "팰리스",
    "하우스",
];

/// US street suffixes (USPS Publication 28, the common ones) in written and abbreviated form.
const US_SUFFIXES: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Drive",
    "Dr",
    "Lane",
    "Ln",
    "Way",
    "Court",
    "Ct",
    "Place",
    "Pl",
    "Parkway",
    "Pkwy",
    "Highway",
    "Hwy",
    "Terrace",
    "Ter",
    "Circle",
    "Cir",
    "Square",
    "Sq",
    "Trail",
    "Trl",
    "Loop",
    "Plaza",
    "Alley",
    "Route",
    "Pike",
    "Crescent",
    "Expressway",
    "Freeway",
    "Run",
    "Path",
    "Walk",
    "Row",
    "Point",
    "Pt",
    "Center",
];
/// US states and territories (USPS codes).
const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP",
];
/// The rest of USPS Publication 28's street suffixes (Appendix C1). Many are ordinary words (`Union`,
/// `Ferry`, `Island`), so a street ending in one is an address only when city, state and ZIP follow.
const US_SUFFIXES_RARE: &[&str] = &[
    "Anex",
    "Arcade",
    "Bayou",
    "Beach",
    "Bend",
    "Bluff",
    "Bluffs",
    "Bottom",
    "Branch",
    "Bridge",
    "Brook",
    "Brooks",
    "Burg",
    "Burgs",
    "Bypass",
    "Camp",
    "Canyon",
    "Cape",
    "Causeway",
    "Centers",
    "Circles",
    "Cliff",
    "Cliffs",
    "Club",
    "Common",
    "Commons",
    "Corner",
    "Corners",
    "Course",
    "Courts",
    "Cove",
    "Coves",
    "Creek",
    "Crest",
    "Crossing",
    "Crossroad",
    "Crossroads",
    "Curve",
    "Dale",
    "Dam",
    "Divide",
    "Drives",
    "Estate",
    "Estates",
    "Extension",
    "Extensions",
    "Fall",
    "Falls",
    "Ferry",
    "Field",
    "Fields",
    "Flat",
    "Flats",
    "Ford",
    "Fords",
    "Forest",
    "Forge",
    "Forges",
    "Fork",
    "Forks",
    "Fort",
    "Garden",
    "Gardens",
    "Gateway",
    "Glen",
    "Glens",
    "Green",
    "Greens",
    "Grove",
    "Groves",
    "Harbor",
    "Harbors",
    "Haven",
    "Heights",
    "Hill",
    "Hills",
    "Hollow",
    "Inlet",
    "Island",
    "Islands",
    "Isle",
    "Junction",
    "Junctions",
    "Key",
    "Keys",
    "Knoll",
    "Knolls",
    "Lake",
    "Lakes",
    "Land",
    "Landing",
    "Light",
    "Lights",
    "Loaf",
    "Lock",
    "Locks",
    "Lodge",
    "Mall",
    "Manor",
    "Manors",
    "Meadow",
    "Meadows",
    "Mews",
    "Mill",
    "Mills",
    "Mission",
    "Motorway",
    "Mount",
    "Mountain",
    "Mountains",
    "Neck",
    "Orchard",
    "Oval",
    "Overpass",
    "Park",
    "Parks",
    "Parkways",
    "Pass",
    "Passage",
    "Pine",
    "Pines",
    "Plain",
    "Plains",
    "Points",
    "Port",
    "Ports",
    "Prairie",
    "Radial",
    "Ramp",
    "Ranch",
    "Rapid",
    "Rapids",
    "Rest",
    "Ridge",
    "Ridges",
    "River",
    "Roads",
    "Rue",
    "Shoal",
    "Shoals",
    "Shore",
    "Shores",
    "Skyway",
    "Spring",
    "Springs",
    "Spur",
    "Spurs",
    "Squares",
    "Station",
    "Stravenue",
    "Stream",
    "Streets",
    "Summit",
    "Throughway",
    "Trace",
    "Track",
    "Trafficway",
    "Trailer",
    "Tunnel",
    "Turnpike",
    "Underpass",
    "Union",
    "Unions",
    "Valley",
    "Valleys",
    "Viaduct",
    "View",
    "Views",
    "Village",
    "Villages",
    "Ville",
    "Vista",
    "Walks",
    "Wall",
    "Ways",
    "Well",
    "Wells",
    "Xing",
    "Expy",
    "Fwy",
    "Ctr",
    "Hts",
    "Jct",
    "Mtn",
    "Tpke",
    "Aly",
    "Crk",
    "Ext",
    "Cv",
    "Vw",
    "Vlg",
];

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
}

/// The word tables, compiled once per [`crate::Scanner`].
pub(crate) struct Names {
    kinds: Vec<Anchor>,
    en_first: HashSet<&'static str>,
    en_last: HashSet<&'static str>,
}

/// The words names and addresses are anchored on. The scanner finds them in the same pass as the
/// prefixes of secrets, and hands each match to [`Names::on_match`] with its index in this table.
pub(crate) fn anchor_table() -> Vec<(&'static str, Anchor)> {
    let mut words: Vec<(&'static str, Anchor)> = Vec::new();
    for w in KO_TITLES {
        words.push((w, Anchor::KoTitle));
    }
    for w in KO_NAME_FIELDS {
        words.push((w, Anchor::KoField));
    }
    for w in EN_TITLES {
        words.push((w, Anchor::EnTitle));
    }
    for w in EN_SIGNOFFS {
        words.push((w, Anchor::EnSignoff));
    }
    for w in EN_NAME_FIELDS {
        words.push((w, Anchor::EnField));
    }
    words.push(("Dear", Anchor::EnDear));
    words.push(("DEAR", Anchor::EnDear));
    // Regions by their first two syllables only: a small automaton stays in cache, and the whole word
    // is checked against KO_REGIONS when one matches.
    for w in KO_REGION_HEADS {
        words.push((w, Anchor::KoRegion));
    }
    for w in KO_INTRO {
        words.push((w, Anchor::KoIntro));
    }
    for w in ["APO ", "FPO ", "DPO "] {
        words.push((w, Anchor::UsMilitary));
    }
    words
}

/// The first names of the English list, for pseudonyms.
pub(crate) fn en_first_names() -> impl Iterator<Item = &'static str> {
    EN_FIRST.lines().filter(|l| !l.is_empty())
}

/// The last names of the English list, for pseudonyms.
pub(crate) fn en_last_names() -> impl Iterator<Item = &'static str> {
    EN_LAST.lines().filter(|l| !l.is_empty())
}

/// Korean surnames, one syllable each, for pseudonyms.
pub(crate) fn ko_surnames() -> impl Iterator<Item = char> {
    KO_SURNAMES.chars()
}

/// Korean given-name syllables, for pseudonyms.
pub(crate) fn ko_given() -> impl Iterator<Item = char> {
    KO_GIVEN.chars()
}

/// The Korean region tokens an address starts with.
pub(crate) fn is_ko_region_token(w: &str) -> bool {
    KO_REGIONS.contains(&w)
        || KO_REGIONS
            .iter()
            .any(|r| r.chars().count() == 2 && w.strip_prefix(r) == Some("시"))
}

fn hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// The character ending at byte `i` of `t`, if `t[..i]` ends with a whole UTF-8 character.
fn char_before(t: &[u8], i: usize) -> Option<(char, usize)> {
    let from = i.saturating_sub(4);
    (from..i).rev().find_map(|k| {
        std::str::from_utf8(&t[k..i])
            .ok()
            .and_then(|s| s.chars().next().filter(|_| s.chars().count() == 1))
            .map(|c| (c, k))
    })
}

fn char_at(t: &[u8], i: usize) -> Option<(char, usize)> {
    let to = (i + 4).min(t.len());
    (i + 1..=to).find_map(|k| {
        std::str::from_utf8(&t[i..k])
            .ok()
            .and_then(|s| s.chars().next())
            .map(|c| (c, k))
    })
}

/// The run of Hangul syllables ending at byte `end`.
fn hangul_run_before(t: &[u8], end: usize) -> usize {
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
fn hangul_run_after(t: &[u8], start: usize) -> usize {
    let mut k = start;
    while let Some((c, e)) = char_at(t, k) {
        if !hangul(c) {
            break;
        }
        k = e;
    }
    k
}

/// How much a Korean word looks like a full name by itself: 0 when it cannot be one.
fn ko_name_knowledge(word: &str) -> f32 {
    if KO_STOP.contains(&word) {
        return 0.0;
    }
    let chars: Vec<char> = word.chars().collect();
    let given: &[char] = match chars.len() {
        2 | 3 if KO_SURNAMES.contains(chars[0]) => &chars[1..],
        3 | 4 if KO_SURNAMES_2.iter().any(|s| word.starts_with(s)) => &chars[2..],
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
        if !KO_AFTER_NAME.contains(&rest) {
            continue;
        }
        let k = ko_name_knowledge(name);
        if k > 0.0 && best.is_none_or(|(_, bk)| k > bk) {
            best = Some((end, k));
        }
    }
    best
}

fn en_word_end(t: &[u8], mut k: usize) -> usize {
    while k < t.len() && (t[k].is_ascii_alphabetic() || t[k] == b'\'' || t[k] == b'-') {
        k += 1;
    }
    k
}

/// The bytes of an ASCII word as text (empty if they are not UTF-8, which ASCII always is).
fn ascii(w: &[u8]) -> &str {
    std::str::from_utf8(w).unwrap_or("")
}

/// Where a name starting at `p` starts once a title right before it is counted in (`Dr. Lisa Smith`).
fn en_title_start(t: &[u8], p: usize) -> usize {
    for title in EN_TITLES {
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
        for suffix in EN_NAME_SUFFIXES {
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

/// The next ASCII capital letter at or after `i`, skipping eight bytes at a time where there is none.
fn next_capital(t: &[u8], mut i: usize) -> Option<usize> {
    use crate::scanner::{has_byte_between, word_at};
    while i + 8 <= t.len() && has_byte_between(word_at(t, i), b'A' - 1, b'Z' + 1) == 0 {
        i += 8;
    }
    t.get(i..)?
        .iter()
        .position(u8::is_ascii_uppercase)
        .map(|k| k + i)
}

fn is_capitalised(w: &[u8]) -> bool {
    w.len() >= 2
        && w[0].is_ascii_uppercase()
        && w[1..].iter().any(u8::is_ascii_lowercase)
        && w.iter()
            .all(|&b| b.is_ascii_alphabetic() || b == b'\'' || b == b'-')
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            kinds: anchor_table().into_iter().map(|(_, k)| k).collect(),
            en_first: en_first_names().collect(),
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
        }
    }

    fn ko_before_title(&self, t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
        // The title is a word of its own: `김민수님`, `김민수 고객님`, not `사장님` read as a name `사장`.
        let glued = char_before(t, ms).is_some_and(|(c, _)| hangul(c));
        let after_ok = char_at(t, me).is_none_or(|(c, _)| {
            !hangul(c)
                || KO_AFTER_NAME
                    .iter()
                    .any(|p| !p.is_empty() && t[me..].starts_with(p.as_bytes()))
        });
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

    fn ko_after_field(&self, t: &[u8], _ms: usize, me: usize, out: &mut Vec<Finding>) {
        let mut k = me;
        // `이름: `, `이름은 `, `성명 - `, `예금주(`.
        let mut marked = false;
        for p in ["은", "는", "이", ":", " ", "-", ":", " ", "("] {
            if t[k..].starts_with(p.as_bytes()) {
                k += p.len();
                marked |= p != " ";
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
            // After a bare space (`파일 이름 사용`) only a name the syllable lists know well.
            if !marked && know < 0.35 {
                return;
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
        while let Some(p) = next_capital(t, i) {
            if p > 0 && (t[p - 1].is_ascii_alphanumeric() || t[p - 1] >= 0x80) {
                // Inside a word or a token (`sk-proj-eObtEIo2p…`): go past the rest of it at once.
                i = p + 1;
                while i < n && t[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                continue;
            }
            let e = en_word_end(t, p);
            i = e.max(p + 1);
            // Cheap checks first: a capitalised word of name length with a capital after one space.
            if e - p < 2
                || e - p > 12
                || e + 2 >= n
                || t[e] != b' '
                || !t[e + 1].is_ascii_uppercase()
            {
                continue;
            }
            let first = &t[p..e];
            if !is_capitalised(first) || !self.en_first.contains(ascii(first)) {
                continue;
            }
            let mut j = e + 1;
            if j + 3 < n && t[j].is_ascii_uppercase() && t[j + 1] == b'.' && t[j + 2] == b' ' {
                j += 3;
            }
            let le = en_word_end(t, j);
            let last = &t[j..le];
            if !is_capitalised(last)
                || !self.en_last.contains(ascii(last))
                || t.get(le)
                    .is_some_and(|&b| b.is_ascii_alphanumeric() || b >= 0x80)
            {
                continue;
            }
            let end = en_name_suffix_end(t, le);
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

    /// One to three capitalised words at `k`, scored `base` plus what the name lists know of them.
    fn en_words(&self, t: &[u8], k: usize, base: f32, one_line: bool) -> Option<Finding> {
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut j = k;
        while words.len() < 3 {
            let e = en_word_end(t, j);
            let w = &t[j..e];
            let initial = e - j == 1 && t.get(e) == Some(&b'.') && w[0].is_ascii_uppercase();
            if !(is_capitalised(w) || initial) {
                break;
            }
            let ws = std::str::from_utf8(w).ok()?;
            if EN_STOP.contains(&ws) {
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

    /// A US street address starting with the house number at `s` (`1600 Pennsylvania Ave NW, Washington, DC
    /// 20500`); returns its end.
    pub(crate) fn us_address(&self, t: &[u8], s: usize, out: &mut Vec<Finding>) -> Option<usize> {
        let n = t.len();
        if s > 0
            && !matches!(t[s - 1], b' ' | b'\n' | b'\t' | b'(' | b'"' | b'\'' | b'>')
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
            let ordinal = w.len() >= 3
                && w[0].is_ascii_digit()
                && [&b"st"[..], b"nd", b"rd", b"th"]
                    .iter()
                    .any(|x| w.ends_with(x));
            let direction = matches!(w, b"N" | b"S" | b"E" | b"W" | b"NE" | b"NW" | b"SE" | b"SW");
            if !(is_capitalised(w) || ordinal || direction) {
                break;
            }
            let ws = std::str::from_utf8(w).ok()?;
            let rare = US_SUFFIXES_RARE.contains(&ws);
            if j > k + 1 && (US_SUFFIXES.contains(&ws) || rare) {
                rare_suffix = rare;
                let mut e = e;
                if t.get(e) == Some(&b'.') {
                    e += 1;
                }
                street_end = Some(e);
                break;
            }
            if e + 1 < n && t[e] == b' ' {
                j = e + 1;
            } else {
                break;
            }
        }
        let mut end = street_end?;
        // A direction after the suffix (`NW`).
        for d in [" NW", " NE", " SW", " SE", " N", " S", " E", " W"] {
            if t[end..].starts_with(d.as_bytes())
                && t.get(end + d.len())
                    .is_none_or(|b| !b.is_ascii_alphanumeric())
            {
                end += d.len();
                break;
            }
        }
        // A unit (`, Apt 4B`, ` Suite 200`, ` #12`).
        let mut u = end;
        if t[u..].starts_with(b",") {
            u += 1;
        }
        if t.get(u) == Some(&b' ') {
            u += 1;
        }
        for unit in [
            "Apt. ", "Apt ", "Suite ", "Ste ", "Unit ", "#", "Room ", "Fl ",
        ] {
            if t[u..].starts_with(unit.as_bytes()) {
                let mut x = u + unit.len();
                let xs = x;
                while x < n && t[x].is_ascii_alphanumeric() {
                    x += 1;
                }
                if x > xs {
                    end = x;
                }
                break;
            }
        }
        // City, state and ZIP (`, Washington, DC 20500`).
        let mut score = 0.6;
        let mut c = end;
        let city_sep = [&b", "[..], b",\n", b"\n", b"\r\n"]
            .into_iter()
            .find(|sep| t[c..].starts_with(sep));
        if let Some(sep) = city_sep {
            c += sep.len();
            let mut words = 0;
            while words < 4 {
                let e = en_word_end(t, c);
                if !is_capitalised(&t[c..e]) {
                    break;
                }
                words += 1;
                c = e;
                if t[c..].starts_with(b" ") && t.get(c + 1).is_some_and(u8::is_ascii_uppercase) {
                    c += 1;
                } else {
                    break;
                }
            }
            let before_state = if t[c..].starts_with(b", ") {
                c + 2
            } else if t.get(c) == Some(&b' ') {
                c + 1
            } else {
                c
            };
            if words > 0 && before_state + 2 <= n {
                let st = &t[before_state..before_state + 2];
                let state_ok = US_STATES.iter().any(|s| s.as_bytes() == st);
                let mut z = before_state + 2;
                if state_ok && t.get(z) == Some(&b' ') {
                    z += 1;
                    let zs = z;
                    while z < n && t[z].is_ascii_digit() {
                        z += 1;
                    }
                    if z - zs == 5 {
                        if t.get(z) == Some(&b'-')
                            && t.get(z + 1..z + 5)
                                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                        {
                            z += 5;
                        }
                        if z >= n || !t[z].is_ascii_alphanumeric() {
                            end = z;
                            score = 0.9;
                        }
                    }
                }
            }
        }
        if rare_suffix && score < 0.9 {
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
        if !KO_INTRO_END.iter().any(|e| rest.starts_with(e)) {
            continue;
        }
        let know = ko_name_knowledge(name);
        if know >= 0.35 || len == 2 && know > 0.0 {
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

/// A US military or diplomatic address ending in `APO|FPO|DPO AA|AE|AP` and a ZIP code, with the unit,
/// post office box or ship before it (`PSC 2905, Box 1114, APO AA 33131`, `USNS Rose\nFPO AE 09546`).
fn us_military_address(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
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
fn ko_address(t: &[u8], ms: usize, me: usize, out: &mut Vec<Finding>) {
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
            if (syllables <= 15 && KO_BUILDINGS.iter().any(|b| name.ends_with(b))) || wing {
                end = name_end;
                continue;
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
