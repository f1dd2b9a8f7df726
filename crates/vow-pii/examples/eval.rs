//! Accuracy evaluation on generated data, deterministic from a seed.
//!
//! ```sh
//! cargo run -p vow-pii --release --example eval                       # 20,000 lines, seed 42, a table
//! cargo run -p vow-pii --release --example eval -- --seed 7 --lines 50000
//! cargo run -p vow-pii --release --example eval -- --write big.txt --mb 200   # a corpus for speed runs
//! cargo run -p vow-pii --release --example eval -- --write s.txt --mb 0.5 --truth s.truth.jsonl
//! ```
//!
//! Korean and English sentences from varied templates carry planted values of every kind (with and
//! without context words, in every separator style) and look-alikes that must stay: dates, times, amounts,
//! version strings, tracking and order numbers, Luhn-failing card-like product codes, resident-number
//! shapes with impossible dates. A planted value counts as left in the output when any letter or digit of
//! it is not covered by a finding; a look-alike counts as wrongly removed when any finding touches it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;

use vow_pii::validate::{brn_checksum, days_in_month, luhn, rrn_checksum};
use vow_pii::{Entity, Scanner};

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| char::from(*self.pick(A))).collect()
    }
}

fn fix_last<F: Fn(&[u8]) -> bool>(mut d: Vec<u8>, ok: F) -> Vec<u8> {
    let l = d.len() - 1;
    for c in b'0'..=b'9' {
        d[l] = c;
        if ok(&d) {
            break;
        }
    }
    d
}

fn s(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap()
}

fn sep_join(groups: &[&str], sep: &str) -> String {
    groups.join(sep)
}

fn rrn(r: &mut Rng, foreign: bool) -> String {
    let year = r.range(1940, 2019);
    let month = r.range(1, 12);
    let day = r.range(1, u64::from(days_in_month(year as u32, month as u32)));
    let g = match (year >= 2000, foreign) {
        (false, false) => r.range(1, 2),
        (true, false) => r.range(3, 4),
        (false, true) => r.range(5, 6),
        (true, true) => r.range(7, 8),
    };
    let head = format!("{:02}{:02}{:02}", year % 100, month, day);
    let mut tail = format!("{g}{}", r.digits(6));
    // Numbers issued since October 2020 have random last digits; the rest carry a check digit.
    if r.chance(0.75) {
        let d = fix_last(format!("{head}{tail}").into_bytes(), |d| {
            if foreign {
                vow_pii::validate::frn_checksum(d)
            } else {
                rrn_checksum(d)
            }
        });
        tail = s(d[6..].to_vec());
    }
    match r.below(10) {
        0 => format!("{head} {tail}"),
        1 | 2 => format!("{head}{tail}"),
        _ => format!("{head}-{tail}"),
    }
}

fn phone_kr(r: &mut Rng) -> String {
    let (p, mid) = match r.below(10) {
        0..=5 => ("010".to_owned(), 4),
        6 => ("02".to_owned(), if r.chance(0.5) { 3 } else { 4 }),
        7 => (
            r.pick(&["031", "032", "051", "053", "062", "064", "042", "055"])
                .to_string(),
            if r.chance(0.5) { 3 } else { 4 },
        ),
        8 => ("070".to_owned(), 4),
        _ => (r.pick(&["011", "016", "019"]).to_string(), 3),
    };
    let m = r.digits(mid);
    let l = r.digits(4);
    match r.below(12) {
        0 | 1 => format!("{p}{m}{l}"),
        2 => format!("{p}.{m}.{l}"),
        3 => format!("{p} {m} {l}"),
        4 if p.starts_with("01") => format!("+82-{}-{m}-{l}", &p[1..]),
        5 if p.starts_with("01") => format!("+82 {} {m} {l}", &p[1..]),
        6 if p == "02" => format!("({p}) {m}-{l}"),
        _ => format!("{p}-{m}-{l}"),
    }
}

fn phone_intl(r: &mut Rng) -> String {
    let a = r.range(201, 989);
    let b = r.range(200, 999);
    let c = r.digits(4);
    match r.below(5) {
        0 => format!("({a}) {b}-{c}"),
        1 => format!("+1 {a} {b} {c}"),
        2 => format!("+44 20 {} {}", r.digits(4), r.digits(4)),
        3 => format!("+81 3-{}-{}", r.digits(4), r.digits(4)),
        _ => format!("{a}-{b}-{c}"),
    }
}

fn card(r: &mut Rng) -> String {
    let (prefix, len): (String, usize) = match r.below(10) {
        0 | 1 => ("4".into(), 16),
        2 => (r.range(51, 55).to_string(), 16),
        3 => (r.range(2221, 2720).to_string(), 16),
        4 => (r.pick(&["34", "37"]).to_string(), 15),
        5 => (r.range(3528, 3589).to_string(), 16),
        6 => ("6011".into(), 16),
        7 => ("62".into(), 16),
        // Korean domestic-only cards.
        _ => (
            r.pick(&[
                "9410", "9420", "9430", "9445", "9460", "9490", "9411", "9435",
            ])
            .to_string(),
            16,
        ),
    };
    let body = format!("{prefix}{}", r.digits(len - prefix.len()));
    let d = s(fix_last(body.into_bytes(), luhn));
    if len == 15 {
        return match r.below(3) {
            0 => d,
            _ => format!("{} {} {}", &d[..4], &d[4..10], &d[10..]),
        };
    }
    let g = [&d[..4], &d[4..8], &d[8..12], &d[12..]];
    match r.below(4) {
        0 => d.clone(),
        1 => sep_join(&g, " "),
        _ => sep_join(&g, "-"),
    }
}

fn brn(r: &mut Rng) -> String {
    let d = s(fix_last(
        format!("{}{}", r.range(101, 899), r.digits(7)).into_bytes(),
        brn_checksum,
    ));
    format!("{}-{}-{}", &d[..3], &d[3..5], &d[5..])
}

fn email(r: &mut Rng) -> String {
    let names = [
        "kim",
        "lee",
        "park",
        "choi",
        "jung",
        "minsu",
        "jiyeon",
        "hong.gildong",
        "john.smith",
        "sarah_k",
        "dev.team",
        "yuna",
    ];
    let domains = [
        "naver.com",
        "gmail.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
        "company.co.kr",
        "example.org",
        "univ.ac.kr",
        "outlook.com",
    ];
    let n = r.pick(&names);
    let num = if r.chance(0.5) {
        r.range(1, 9999).to_string()
    } else {
        String::new()
    };
    format!("{n}{num}@{}", r.pick(&domains))
}

fn ip(r: &mut Rng) -> String {
    match r.below(4) {
        0 => format!("2001:db8:{:x}::{:x}", r.below(65535), r.below(65535)),
        1 => format!("192.168.{}.{}", r.below(256), r.range(1, 254)),
        _ => format!(
            "{}.{}.{}.{}",
            r.range(1, 223),
            r.below(256),
            r.below(256),
            r.range(1, 254)
        ),
    }
}

fn iban(r: &mut Rng) -> String {
    let (cc, len) = *r.pick(&[("DE", 22usize), ("GB", 22), ("FR", 27), ("NL", 18)]);
    let bban: String = match cc {
        "GB" => format!("{}{}", "NWBK", r.digits(14)),
        "NL" => format!("{}{}", "ABNA", r.digits(10)),
        _ => r.digits(len - 4),
    };
    // Check digits: 98 - (BBAN + country + "00") mod 97.
    let mut rem: u64 = 0;
    for ch in format!("{bban}{cc}00").bytes() {
        if ch.is_ascii_digit() {
            rem = (rem * 10 + u64::from(ch - b'0')) % 97;
        } else {
            rem = (rem * 100 + u64::from(ch - b'A') + 10) % 97;
        }
    }
    let compact = format!("{cc}{:02}{bban}", 98 - rem);
    if r.chance(0.5) {
        compact
    } else {
        compact
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn ssn(r: &mut Rng) -> String {
    let mut a = r.range(1, 899);
    if a == 666 {
        a = 665;
    }
    format!("{a:03}-{:02}-{:04}", r.range(1, 99), r.range(1, 9999))
}

fn secret(r: &mut Rng) -> String {
    match r.below(6) {
        0 => format!("sk-proj-{}", r.alnum(40)),
        1 => format!("ghp_{}", r.alnum(36)),
        2 => format!("AKIA{}", r.alnum(16).to_ascii_uppercase()),
        3 => format!("xoxb-{}-{}", r.digits(12), r.alnum(24)),
        4 => format!("eyJ{}.eyJ{}.{}", r.alnum(20), r.alnum(30), r.alnum(43)),
        _ => format!("AIza{}", r.alnum(35)),
    }
}

fn passport(r: &mut Rng) -> String {
    let l = r.pick(&["M", "S", "R"]);
    if r.chance(0.5) {
        format!("{l}{}", r.digits(8))
    } else {
        format!(
            "{l}{}{}{}",
            r.digits(3),
            char::from(b'A' + r.below(26) as u8),
            r.digits(4)
        )
    }
}

fn driver(r: &mut Rng) -> String {
    let region = *r.pick(&[
        11u64, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28,
    ]);
    let body = format!("{:02}-{}-{}", r.below(100), r.digits(6), r.digits(2));
    match r.below(4) {
        0 => format!(
            "{} {body}",
            r.pick(&["서울", "부산", "경기", "대구", "인천"])
        ),
        _ => format!("{region}-{body}"),
    }
}

fn bank(r: &mut Rng) -> String {
    match r.below(6) {
        0 => format!("110-{}-{}", r.digits(3), r.digits(6)),
        1 => format!("{}-{}-{}", r.digits(6), r.digits(2), r.digits(6)),
        2 => format!("1002-{}-{}", r.digits(3), r.digits(6)),
        3 => format!("3333-{}-{}", r.digits(2), r.digits(7)),
        4 => format!("352-{}-{}-{}", r.digits(4), r.digits(4), r.digits(2)),
        _ => {
            let n = r.range(11, 14) as usize;
            r.digits(n)
        }
    }
}

const EN_FIRST: &str = include_str!("../data/en_first_names.txt");
const EN_LAST: &str = include_str!("../data/en_last_names.txt");

fn person(r: &mut Rng) -> String {
    if r.chance(0.55) {
        let sur: Vec<char> = "김이박최정강조윤장임한오서신권황안송전홍".chars().collect();
        let given: Vec<char> =
            "민수지현영준서연우진호성희정은혜경재동윤석상철훈원태기용미숙주하유아예도시건채"
                .chars()
                .collect();
        let mut n = String::new();
        n.push(*r.pick(&sur));
        n.push(*r.pick(&given));
        n.push(*r.pick(&given));
        n
    } else {
        let first: Vec<&str> = EN_FIRST.lines().take(300).collect();
        let last: Vec<&str> = EN_LAST.lines().take(300).collect();
        format!("{} {}", r.pick(&first), r.pick(&last))
    }
}

fn address(r: &mut Rng) -> String {
    if r.chance(0.6) {
        let (region, districts): (&str, &[&str]) = *r.pick(&[
            ("서울특별시", &["강남구", "마포구", "종로구", "송파구"][..]),
            ("부산광역시", &["해운대구", "수영구", "동래구"][..]),
            (
                "경기도",
                &["성남시 분당구", "수원시 영통구", "고양시 일산동구"][..],
            ),
            ("대전광역시", &["유성구", "서구"][..]),
        ]);
        let district = *r.pick(districts);
        let road = *r.pick(&[
            "테헤란로",
            "중앙로",
            "월드컵북로",
            "해운대로",
            "대학로",
            "판교역로",
            "도산대로8길",
        ]);
        let mut a = format!("{region} {district} {road} {}", r.range(1, 400));
        match r.below(3) {
            0 => a.push_str(&format!(", {}층", r.range(1, 20))),
            1 => a.push_str(&format!(
                " {}동 {}호",
                r.range(101, 120),
                r.range(101, 1505)
            )),
            _ => {}
        }
        a
    } else {
        let street = *r.pick(&[
            "Main St",
            "Oak Avenue",
            "Pennsylvania Ave NW",
            "Maple Rd",
            "Sunset Blvd",
            "Elm Street",
        ]);
        let mut a = format!("{} {street}", r.range(1, 9999));
        if r.chance(0.6) {
            let (city, st) = *r.pick(&[
                ("Springfield", "IL"),
                ("Austin", "TX"),
                ("San Jose", "CA"),
                ("Washington", "DC"),
            ]);
            a.push_str(&format!(", {city}, {st} {}", r.range(10000, 99999)));
        }
        a
    }
}

fn health(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("{}-{}", r.range(1, 9), r.digits(10)),
        _ => r.digits(11),
    }
}

/// Templates: `{}` is the value. Context words appear in some and not in others.
fn templates(e: Entity) -> (&'static [&'static str], &'static [&'static str]) {
    use Entity::*;
    match e {
        KrRrn => (
            &[
                "주민등록번호: {}",
                "제 주민번호는 {}이에요",
                "본인확인용 {} 입니다",
                "생년월일과 뒷자리 {} 확인 부탁드립니다",
                "{}",
                "번호 {}로 조회해주세요",
            ],
            &[
                "My resident registration number is {}.",
                "RRN {} for verification",
                "ID number: {}",
                "please check {} again",
            ],
        ),
        KrFrn => (
            &[
                "외국인등록번호 {} 입니다",
                "외국인 등록증 번호는 {}예요",
                "{} 이 번호로 신청했어요",
            ],
            &[
                "Alien registration card no. {}",
                "my ARC number is {}",
                "foreigner ID {}",
            ],
        ),
        KrPhone => (
            &[
                "연락처 {}로 연락주세요",
                "제 번호는 {}입니다",
                "{}으로 문자 주세요",
                "휴대폰: {}",
                "{} 여기로 전화 주세요",
                "담당자 {}",
            ],
            &[
                "Call me at {}",
                "phone: {}",
                "reach me on {} anytime",
                "my number {}",
            ],
        ),
        Phone => (
            &["미국 번호 {}로 연락 바랍니다", "해외 연락처 {}"],
            &[
                "Call {} after 5pm",
                "Phone: {}",
                "you can reach our US office at {}",
                "{} is my cell",
            ],
        ),
        Email => (
            &[
                "이메일 {}로 보내주세요",
                "메일주소는{}입니다",
                "{} 로 회신 부탁",
                "계정 {}",
            ],
            &["email me at {}", "Contact: {}", "sent from {}", "{} wrote:"],
        ),
        CreditCard => (
            &[
                "카드번호 {} 로 결제했어요",
                "결제 카드 {}",
                "{} 카드 분실 신고합니다",
                "이 번호 {} 맞나요",
            ],
            &[
                "card number {}",
                "charged to {}",
                "Visa {} exp 12/27",
                "my card is {}",
            ],
        ),
        KrBrn => (
            &[
                "사업자등록번호 {}",
                "사업자 번호: {} (주)테스트",
                "{} 사업자로 세금계산서 발행",
            ],
            &["Business registration no. {}", "BRN {}"],
        ),
        KrPassport => (
            &["여권번호 {} 입니다", "여권: {}", "여권 번호는 {}예요"],
            &["passport no. {}", "Passport: {}"],
        ),
        KrDriverLicense => (
            &[
                "운전면허번호 {}",
                "면허번호는 {}입니다",
                "운전면허 {} 로 인증",
            ],
            &["driver's license {}", "Driver licence no. {}"],
        ),
        KrBankAccount => (
            &[
                "국민은행 {} 로 입금해주세요",
                "계좌번호: {}",
                "신한 {} 예금주 본인",
                "환불 계좌 {}",
                "카카오뱅크 {}로 송금",
            ],
            &[
                "bank account {}",
                "Please wire to account {}",
                "Account no. {} (Woori Bank)",
            ],
        ),
        KrHealthInsurance => (
            &["건강보험증 번호 {}", "건강보험 {} 입니다", "보험증번호: {}"],
            &["health insurance no. {}", "NHIS number {}"],
        ),
        IpAddress => (
            &[
                "접속 IP {} 에서 로그인",
                "서버 {} 응답 없음",
                "{}에서 접근 시도",
            ],
            &["login from {}", "client ip={}", "host {} is down"],
        ),
        Iban => (
            &["해외 송금 IBAN {}", "IBAN: {}"],
            &["IBAN {}", "please transfer to {}"],
        ),
        UsSsn => (
            &["미국 SSN {}"],
            &["SSN: {}", "social security number {}", "my SSN is {}"],
        ),
        Person => (
            &[
                "{} 고객님 안녕하세요",
                "이름: {}",
                "{}님 주문 확인했습니다",
                "담당자 {} 과장",
            ],
            &["Dear {},", "Name: {}", "Mr. {} called", "Regards, {}"],
        ),
        Address => (
            &["주소: {}", "배송지 {} 로 보내주세요", "{} 으로 이사했어요"],
            &["ship to {}", "address: {}", "I live at {} now"],
        ),
        Secret => (
            &["API 키 {} 유출됨", "토큰: {}", "이 키 {} 써도 되나요"],
            &[
                "api key {}",
                "export OPENAI_API_KEY={}",
                "token {} leaked",
                "Authorization: Bearer {}",
            ],
        ),
    }
}

/// A second set of templates, written after the recognizers were tuned on the first and never tuned on:
/// `--alt` gives an out-of-sample figure.
fn templates_alt(e: Entity) -> (&'static [&'static str], &'static [&'static str]) {
    use Entity::*;
    match e {
        KrRrn => (
            &[
                "고객님의 주민번호({})를 확인했습니다",
                "신청서에 {} 라고 적었어요",
                "주민등록 번호가 {} 맞나요?",
                "{}입니다",
            ],
            &[
                "resident reg. no: {}",
                "the applicant ({}) was verified",
                "Korean national ID {}",
            ],
        ),
        KrFrn => (
            &["외국인 {} 체류 연장", "등록번호: {} (외국인)"],
            &["ARC: {}", "foreign resident {}"],
        ),
        KrPhone => (
            &[
                "고객 연락처:{}",
                "{} 으로 회신 바랍니다",
                "핸드폰 번호 {} 입니다",
                "긴급 연락: {}",
                "사무실 {}, 내선 3",
            ],
            &[
                "mobile {}",
                "tel. {}",
                "text {} when you arrive",
                "({}) office",
            ],
        ),
        Phone => (
            &["해외 지사 {}"],
            &["US office: {}", "dial {} for support", "fax {}"],
        ),
        Email => (
            &["회신은 {} 로", "담당자 메일({})", "아이디가 {} 인데요"],
            &["mailto:{}", "<{}>", "cc {} please", "reply to {}."],
        ),
        CreditCard => (
            &["결제수단: {}", "카드 {} 승인 거절", "{} 로 할부 결제"],
            &["payment card {} declined", "CC# {}", "billing {}"],
        ),
        KrBrn => (
            &["사업자번호 {} 로 등록", "(주)예시 사업자 {}"],
            &["company reg {} (business)", "tax id {}"],
        ),
        KrPassport => (
            &["여권 {} 만료 예정", "여권번호:{}"],
            &["passport {} expires soon", "PASSPORT NO {}"],
        ),
        KrDriverLicense => (
            &["면허 번호 {} 로 본인확인", "운전면허증({})"],
            &["license no {}", "DL {} (driver)"],
        ),
        KrBankAccount => (
            &[
                "입금 계좌는 {} 입니다",
                "하나은행 {}",
                "농협 {} (예금주 본인)",
                "{} 계좌로 환불",
            ],
            &[
                "deposit to bank acct {}",
                "wire: account number {}",
                "bank {} KB",
            ],
        ),
        KrHealthInsurance => (
            &["건강보험 번호 {}", "요양기관 제출용 보험증 {}"],
            &["insurance card {}", "national health insurance {}"],
        ),
        IpAddress => (
            &["IP주소 {} 차단", "접속지 {}"],
            &["remote_addr={}", "blocked {} (ip)", "server at {}"],
        ),
        Iban => (&["송금 계좌(IBAN) {}"], &["IBAN:{}", "pay to {} (IBAN)"]),
        UsSsn => (&["SSN {} 제출"], &["social security no. {}", "SSN#{}"]),
        Person => (
            &["성명 {}", "{} 씨에게 전달 부탁드려요", "{} 선생님께"],
            &["Dr. {} will see you", "Attn: {}", "My name is {}."],
        ),
        Address => (
            &["수령지: {}", "{} 앞에 두고 가세요"],
            &["mail it to {} please", "Office: {}"],
        ),
        Secret => (
            &["키 유출: {}", "설정파일에 {} 가 들어있어요"],
            &["OPENAI_API_KEY=\"{}\"", "token: {}", "GITHUB_TOKEN={}"],
        ),
    }
}

fn value(r: &mut Rng, e: Entity) -> String {
    use Entity::*;
    match e {
        KrRrn => rrn(r, false),
        KrFrn => rrn(r, true),
        KrPhone => phone_kr(r),
        Phone => phone_intl(r),
        Email => email(r),
        CreditCard => card(r),
        KrBrn => brn(r),
        KrPassport => passport(r),
        KrDriverLicense => driver(r),
        KrBankAccount => bank(r),
        KrHealthInsurance => health(r),
        IpAddress => ip(r),
        Iban => iban(r),
        UsSsn => ssn(r),
        Secret => secret(r),
        Person => person(r),
        Address => address(r),
    }
}

/// Look-alikes that must stay, each with its label.
fn lookalike(r: &mut Rng) -> (&'static str, String, &'static str) {
    let y = r.range(2015, 2026);
    let m = r.range(1, 12);
    let d = r.range(1, 28);
    match r.below(14) {
        13 => (
            "name-like",
            String::from(*r.pick(&[
                "이번",
                "정말",
                "최고",
                "한국",
                "사장님",
                "기사님",
                "Customer",
                "Sir",
                "all",
            ])),
            *r.pick(&[
                "{} 고객님께 안내드립니다",
                "{} 감사합니다 고객님",
                "안녕하세요 {}",
                "Dear {},",
            ]),
        ),
        0 => (
            "date",
            format!("{y}-{m:02}-{d:02}"),
            *r.pick(&["{} 에 가입했어요", "on {} we met", "작성일 {}", "{}"]),
        ),
        1 => (
            "date",
            format!("{y}.{m:02}.{d:02}"),
            *r.pick(&["{} 방문 예정", "계약일 {}", "due {}"]),
        ),
        2 => (
            "time",
            format!("{:02}:{:02}:{:02}", r.below(24), r.below(60), r.below(60)),
            *r.pick(&["{} 에 접속", "at {} UTC", "로그 시각 {}"]),
        ),
        3 => (
            "amount",
            format!(
                "{},{:03},{:03}원",
                r.range(1, 99),
                r.below(1000),
                r.below(1000)
            ),
            *r.pick(&["총 {} 결제", "금액 {}", "{} 입금 확인"]),
        ),
        4 => (
            "amount",
            format!(
                "${},{:03}.{:02}",
                r.range(1, 99),
                r.below(1000),
                r.below(100)
            ),
            *r.pick(&["total {}", "refund of {}", "{} charged"]),
        ),
        5 => (
            "version",
            format!("{}.{}.{}", r.range(0, 12), r.range(0, 30), r.range(0, 99)),
            *r.pick(&[
                "버전 {} 업데이트",
                "version {}",
                "v{} released",
                "앱 {} 설치",
            ]),
        ),
        6 => (
            "version",
            format!(
                "{}.{}.{}.{}",
                r.range(1, 12),
                r.range(0, 9),
                r.range(1000, 30000),
                r.range(0, 999)
            ),
            *r.pick(&["Windows {}", "build {}", "빌드 {}"]),
        ),
        7 => (
            "tracking",
            format!("{}-{}-{}", r.digits(4), r.digits(4), r.digits(4)),
            *r.pick(&["운송장번호 {}", "tracking {}", "송장 {} 조회"]),
        ),
        8 => (
            "tracking",
            format!("1Z{}{}", r.alnum(6).to_ascii_uppercase(), r.digits(10)),
            *r.pick(&["UPS {}", "tracking no. {}"]),
        ),
        9 => (
            "order",
            format!("ORD-{y}{m:02}{d:02}-{}", r.digits(6)),
            *r.pick(&["주문번호 {}", "order {}", "{} 주문 취소"]),
        ),
        10 => (
            "order",
            {
                let n = r.range(5, 8) as usize;
                format!("{y}{m:02}{d:02}{}", r.digits(n))
            },
            *r.pick(&["주문번호 {}", "order #{}", "예약번호 {}"]),
        ),
        11 => {
            // A 16-digit product code shaped like a card that fails Luhn.
            let mut code = format!("4{}", r.digits(15)).into_bytes();
            if luhn(&code) {
                code[15] = if code[15] == b'9' { b'0' } else { code[15] + 1 };
            }
            let c = s(code);
            let v = if r.chance(0.5) {
                format!("{}-{}-{}-{}", &c[..4], &c[4..8], &c[8..12], &c[12..])
            } else {
                c
            };
            (
                "product-code",
                v,
                *r.pick(&["상품코드 {}", "serial {}", "{} 제품", "SKU {}"]),
            )
        }
        _ => {
            // A resident-number shape with an impossible date.
            let mm = r.range(13, 19);
            (
                "impossible-date",
                format!(
                    "{:02}{mm}{:02}-{}{}",
                    r.below(100),
                    r.range(1, 28),
                    r.range(1, 4),
                    r.digits(6)
                ),
                *r.pick(&["번호 {}", "{} 확인", "code {}"]),
            )
        }
    }
}

const FILLER_KO: &[&str] = &[
    "안녕하세요, 문의드립니다.",
    "배송이 아직 안 왔어요.",
    "감사합니다!",
    "환불 절차가 궁금합니다.",
    "오늘 날씨가 좋네요.",
    "상담원 연결 부탁드려요.",
    "비밀번호를 잊어버렸어요.",
    "3개 주문했는데 2개만 왔어요.",
    "회원 탈퇴하고 싶어요.",
    "AI 모델 학습에 사용해도 되나요?",
];
const FILLER_EN: &[&str] = &[
    "Hello, I have a question.",
    "Thanks for the quick reply!",
    "The app crashed twice today.",
    "Can I get a refund?",
    "We shipped 3 items in 2 boxes.",
    "See you at 10 tomorrow.",
    "I love this service.",
    "Please delete my account.",
];

#[derive(Clone)]
struct Planted {
    start: usize,
    end: usize,
    what: Result<Entity, &'static str>,
}

/// One line of the corpus with its planted values and look-alikes.
fn line(r: &mut Rng, out: &mut String, planted: &mut Vec<Planted>, base: usize, alt: bool) {
    let parts = r.range(1, 3);
    for k in 0..parts {
        if k > 0 {
            out.push(' ');
        }
        let korean = r.chance(0.6);
        match r.below(10) {
            0..=3 => {
                let e = *r.pick(&Entity::ALL);
                let (ko, en) = if alt { templates_alt(e) } else { templates(e) };
                let t = if korean { *r.pick(ko) } else { *r.pick(en) };
                let v = value(r, e);
                let (pre, post) = t.split_once("{}").unwrap();
                out.push_str(pre);
                let start = base + out.len();
                out.push_str(&v);
                planted.push(Planted {
                    start,
                    end: base + out.len(),
                    what: Ok(e),
                });
                out.push_str(post);
            }
            4..=6 => {
                let (label, v, t) = lookalike(r);
                let (pre, post) = t.split_once("{}").unwrap();
                out.push_str(pre);
                let start = base + out.len();
                out.push_str(&v);
                planted.push(Planted {
                    start,
                    end: base + out.len(),
                    what: Err(label),
                });
                out.push_str(post);
            }
            _ => {
                let filler: &str = if korean {
                    FILLER_KO[r.below(FILLER_KO.len() as u64) as usize]
                } else {
                    FILLER_EN[r.below(FILLER_EN.len() as u64) as usize]
                };
                out.push_str(filler);
            }
        }
    }
    out.push('\n');
}

#[derive(Default)]
struct Row {
    planted: u64,
    left: u64,
    typed: u64,
    found: u64,
    found_true: u64,
}

/// The line around a span, with the span in brackets (for `--show`, on generated data only).
fn context_of(text: &str, start: usize, end: usize) -> String {
    let ls = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let le = text[end..].find('\n').map_or(text.len(), |p| end + p);
    format!(
        "{}[{}]{}",
        &text[ls..start],
        &text[start..end],
        &text[end..le]
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seed: u64 = arg("--seed").map_or(42, |s| s.parse().unwrap());
    let lines: usize = arg("--lines").map_or(20_000, |s| s.parse().unwrap());
    let mut r = Rng(seed);
    let show = args.iter().any(|a| a == "--show");
    let alt = args.iter().any(|a| a == "--alt");

    if let Some(path) = arg("--write") {
        let mb: f64 = arg("--mb").map_or(200.0, |s| s.parse().unwrap());
        let target = (mb * 1024.0 * 1024.0) as usize;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut truth =
            arg("--truth").map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
        let mut written = 0;
        let mut buf = String::new();
        let mut planted = Vec::new();
        while written < target {
            buf.clear();
            planted.clear();
            line(&mut r, &mut buf, &mut planted, written, alt);
            f.write_all(buf.as_bytes()).unwrap();
            if let Some(t) = truth.as_mut() {
                for p in &planted {
                    let (kind, label) = match p.what {
                        Ok(e) => ("pii", e.as_str()),
                        Err(l) => ("lookalike", l),
                    };
                    writeln!(
                        t,
                        "{{\"start\":{},\"end\":{},\"kind\":\"{kind}\",\"label\":\"{label}\"}}",
                        p.start, p.end
                    )
                    .unwrap();
                }
            }
            written += buf.len();
        }
        eprintln!("wrote {written} bytes to {path}");
        return;
    }

    let mut text = String::new();
    let mut planted = Vec::new();
    for _ in 0..lines {
        let base = text.len();
        let mut l = String::new();
        line(&mut r, &mut l, &mut planted, base, alt);
        text.push_str(&l);
    }
    let scanner = Scanner::new();
    let started = std::time::Instant::now();
    let findings = scanner.scan(text.as_bytes());
    let elapsed = started.elapsed();
    let bytes = text.as_bytes();

    let mut rows: BTreeMap<Entity, Row> = BTreeMap::new();
    let mut looks: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    let mut hit = vec![false; findings.len()];
    let mut fi = 0;
    for p in &planted {
        while fi < findings.len() && findings[fi].end <= p.start {
            fi += 1;
        }
        let mut covered = vec![false; p.end - p.start];
        let mut same_type = false;
        let mut touched = false;
        let mut k = fi;
        while k < findings.len() && findings[k].start < p.end {
            let f = &findings[k];
            if f.end > p.start {
                touched = true;
                for (i, c) in covered.iter_mut().enumerate() {
                    let at = p.start + i;
                    if at >= f.start && at < f.end {
                        *c = true;
                    }
                }
                if p.what == Ok(f.entity) {
                    same_type = true;
                    hit[k] = true;
                }
            }
            k += 1;
        }
        match p.what {
            Ok(e) => {
                let row = rows.entry(e).or_default();
                row.planted += 1;
                let left = (p.start..p.end)
                    .zip(&covered)
                    // Letters and digits, Hangul included: a Korean name or address left in clear counts.
                    .any(|(i, c)| !c && (bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80));
                if left && show {
                    eprintln!("LEFT {e}: {}", context_of(&text, p.start, p.end));
                }
                if !left && !same_type && show {
                    eprintln!("OTHER KIND {e}: {}", context_of(&text, p.start, p.end));
                }
                row.left += u64::from(left);
                row.typed += u64::from(same_type);
            }
            Err(label) => {
                let l = looks.entry(label).or_default();
                l.0 += 1;
                l.1 += u64::from(touched);
                if touched && show {
                    eprintln!("REMOVED {label}: {}", context_of(&text, p.start, p.end));
                }
            }
        }
    }
    for (f, h) in findings.iter().zip(&hit) {
        if !h && show {
            eprintln!("FALSE {}: {}", f.entity, context_of(&text, f.start, f.end));
        }
        let row = rows.entry(f.entity).or_default();
        row.found += 1;
        row.found_true += u64::from(*h);
    }
    println!(
        "{} templates",
        if alt { "alternative (--alt)" } else { "tuning" }
    );
    println!(
        "seed {seed}, {lines} lines, {} bytes, scanned in {:.1} ms ({:.0} MB/s, one thread)\n",
        bytes.len(),
        elapsed.as_secs_f64() * 1e3,
        bytes.len() as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!("| kind | planted | left in output | precision | recall (right kind) |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let (mut tp, mut tl) = (0, 0);
    for (e, row) in &rows {
        tp += row.planted;
        tl += row.left;
        let precision = if row.found == 0 {
            1.0
        } else {
            row.found_true as f64 / row.found as f64
        };
        let recall = if row.planted == 0 {
            1.0
        } else {
            row.typed as f64 / row.planted as f64
        };
        println!(
            "| {e} | {} | {} | {:.3} | {:.3} |",
            row.planted, row.left, precision, recall
        );
    }
    println!(
        "| **all** | {tp} | {tl} ({:.2}%) | | |\n",
        100.0 * tl as f64 / tp.max(1) as f64
    );
    println!("| look-alike | planted | wrongly removed |");
    println!("| --- | ---: | ---: |");
    let (mut lp, mut lr) = (0, 0);
    for (label, (n, bad)) in &looks {
        lp += n;
        lr += bad;
        println!("| {label} | {n} | {bad} |");
    }
    println!(
        "| **all** | {lp} | {lr} ({:.2}%) |",
        100.0 * lr as f64 / lp.max(1) as f64
    );
    let leaked_checksum: u64 = rows
        .iter()
        .filter(|(e, _)| e.has_checksum())
        .map(|(_, r)| r.left)
        .sum();
    println!("\nchecksum-bearing values left in output: {leaked_checksum}");
}
