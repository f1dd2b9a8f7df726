//! Context words: what the text just before a candidate (or the JSON key, or the CSV header) says about
//! it. Positive words raise one kind's score; negative words (order numbers, versions, tracking numbers)
//! lower every kind that has no checksum to vouch for it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::Entity;

/// How many bytes before a candidate are read as its context (about a dozen Korean syllables).
pub(crate) const WINDOW_BEFORE: usize = 60;
/// How many bytes after a candidate are read as context.
pub(crate) const WINDOW_AFTER: usize = 18;

const NEG: u32 = 1 << 31;

fn table() -> Vec<(&'static str, u32)> {
    use Entity::*;
    let mut t: Vec<(&'static str, u32)> = Vec::new();
    let mut add = |words: &[&'static str], bits: u32| {
        for w in words {
            t.push((w, bits));
        }
    };
    let rrn = KrRrn.bit() | KrFrn.bit();
    add(
        &[
            "주민등록",
            "주민번호",
            "주민 번호",
            "resident registration",
            "resident number",
            "rrn",
            "jumin",
        ],
        rrn,
    );
    add(
        &[
            "생년월일",
            "id number",
            "신분증",
            "본인확인",
            "실명확인",
            "birth",
        ],
        rrn,
    );
    add(
        &[
            "외국인등록",
            "외국인 등록",
            "foreigner",
            "alien registration",
            "arc",
        ],
        rrn,
    );
    add(&["여권", "passport"], KrPassport.bit());
    add(
        &[
            "운전면허",
            "면허증",
            "면허번호",
            "면허 번호",
            "driver",
            "licence",
            "license",
        ],
        KrDriverLicense.bit(),
    );
    add(
        &[
            "사업자",
            "business registration",
            "business number",
            "company registration",
            "brn",
            "tax id",
        ],
        KrBrn.bit(),
    );
    let phone = KrPhone.bit() | Phone.bit();
    add(
        &[
            "전화",
            "휴대폰",
            "핸드폰",
            "연락처",
            "휴대전화",
            "phone",
            "tel",
            "mobile",
            "cell",
            "contact",
        ],
        phone,
    );
    add(
        &[
            "call",
            "called",
            "calling",
            "calls",
            "text me",
            "문자",
            "번호로",
            "제 번호",
            "번호는",
            "my number",
            "number is",
            "reach",
            "fax",
            "팩스",
        ],
        phone,
    );
    let bank = KrBankAccount.bit();
    add(
        &[
            "계좌",
            "은행",
            "입금",
            "송금",
            "이체",
            "예금주",
            "bank",
            "acct",
            "wire",
            "deposit",
        ],
        bank,
    );
    add(
        &[
            "account no",
            "account number",
            "account:",
            "account #",
            "to account",
            "account to",
        ],
        bank,
    );
    add(
        &[
            "국민",
            "신한",
            "우리",
            "하나",
            "농협",
            "기업",
            "카카오뱅크",
            "토스",
            "새마을",
            "우체국",
            "수협",
        ],
        bank,
    );
    add(
        &[
            "건강보험",
            "보험증",
            "건보",
            "health insurance",
            "insurance",
            "nhis",
            "요양",
        ],
        KrHealthInsurance.bit(),
    );
    add(
        &[
            "카드",
            "card",
            "visa",
            "master",
            "amex",
            "결제",
            "credit",
            "debit",
            "비자",
            "마스터",
        ],
        CreditCard.bit(),
    );
    add(
        &["ssn", "social security", "사회보장번호", "사회보장 번호"],
        UsSsn.bit(),
    );
    add(
        &[
            "ip",
            "address",
            "host",
            "접속",
            "server",
            "서버",
            "login",
            "로그인",
            "아이피",
            "주소지 ip",
        ],
        IpAddress.bit(),
    );
    add(
        &["iban", "국제계좌", "국제 계좌", "국제은행계좌"],
        Iban.bit(),
    );
    add(
        &[
            "api key",
            "apikey",
            "api_key",
            "token",
            "secret",
            "password",
            "비밀번호",
            "토큰",
            "암호",
            "인증키",
            "비밀키",
            "api 키",
            "access key",
        ],
        Secret.bit(),
    );
    add(
        &[
            "주문번호",
            "주문 번호",
            "바코드",
            "barcode",
            "택배",
            "parcel",
            "shipment",
            "청구서",
            "인보이스",
            "티켓",
            "참조번호",
            "order",
            "tracking",
            "송장",
            "운송장",
            "invoice",
            "version",
            "버전",
            "ver.",
            "serial",
            "시리얼",
            "sku",
            "product",
            "상품코드",
            "품번",
            "isbn",
            "결제금액",
            "금액",
            "amount",
            "price",
            "total",
            "합계",
            "receipt",
            "영수증",
            "ticket",
            "예약번호",
            "booking",
            "reservation",
            "reference",
            "ref",
            "코드",
            "code",
            "build",
            "빌드",
            "timestamp",
            "time",
            "created",
            "updated",
            "date",
            "epoch",
            "ts",
            "시간",
            "일시",
            "날짜",
            "시각",
            "bytes",
            "range",
            "범위",
        ],
        NEG,
    );
    t
}

/// The compiled context-word table.
pub(crate) struct Context {
    ac: AhoCorasick,
    bits: Vec<u32>,
}

/// What a context window says: which kinds it supports, and whether it names a look-alike.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Said {
    pub(crate) positive: u32,
    pub(crate) negative: bool,
}

impl Said {
    /// Context after a value only ever supports it ("…로 전화 주세요"); look-alike words there describe
    /// whatever follows.
    pub(crate) fn positive_only(self) -> Said {
        Said {
            positive: self.positive,
            negative: false,
        }
    }

    pub(crate) fn merge(self, other: Said) -> Said {
        Said {
            positive: self.positive | other.positive,
            negative: self.negative || other.negative,
        }
    }
}

impl Context {
    pub(crate) fn new() -> Context {
        let t = table();
        // Infallible for this fixed table of short literal words; fall back to an empty matcher regardless.
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            // A DFA: the table is small, and it is read once or twice per candidate.
            .kind(Some(AhoCorasickKind::DFA))
            .build(t.iter().map(|(w, _)| *w))
            .expect("the fixed table of short context words always compiles");
        Context {
            ac,
            bits: t.into_iter().map(|(_, b)| b).collect(),
        }
    }

    /// Reads a window of text.
    pub(crate) fn read(&self, window: &[u8]) -> Said {
        let mut said = Said::default();
        for m in self.ac.find_iter(window) {
            let bits = self.bits[m.pattern().as_usize()];
            // English words count only as whole words: "tel" in "hotel", "ip" in "ship" and "ver." in
            // "naver.com" say nothing.
            let word = &window[m.start()..m.end()];
            let before = m.start().checked_sub(1).map(|i| window[i]);
            let after = window.get(m.end()).copied();
            if word[0].is_ascii_alphabetic() && before.is_some_and(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            if word[word.len() - 1].is_ascii_alphabetic()
                && word.len() <= 4
                && after.is_some_and(|b| b.is_ascii_alphabetic())
            {
                continue;
            }
            // The word nearest the value decides: "운송장번호 … 계좌" is an account, "account. tracking" is not.
            if bits & NEG != 0 {
                said.negative = true;
                said.positive = 0;
            } else {
                said.positive |= bits;
                said.negative = false;
            }
        }
        said
    }
}
