//! The bilingual phrase book: how the document words the policy's values (periods, events, legal bases,
//! rights, countries) in Korean or English, and the small helpers every section builder shares.

use crate::model::*;

use super::types::Edition;

/// Phrases fixed by the renderer, in both languages: one place for every heading and legal sentence.
pub(crate) struct Phrases {
    pub(crate) lang: Lang,
    pub(crate) edition: Edition,
}

impl Phrases {
    pub(crate) fn pick(&self, ko: &str, en: &str) -> String {
        match self.lang {
            Lang::Ko => ko.to_string(),
            Lang::En => en.to_string(),
        }
    }
    /// The document's one "label: value" shape (`직위: 팀장`, `Title: Team lead`).
    pub(crate) fn labelled(&self, ko: &str, en: &str, value: impl std::fmt::Display) -> String {
        format!("{}: {value}", self.pick(ko, en))
    }
    /// A note about something the policy does not say: printed in a draft only.
    pub(crate) fn gap(&self, ko: &str, en: &str) -> Option<String> {
        (self.edition == Edition::Draft).then(|| self.pick(ko, en))
    }
    pub(crate) fn yes_no(&self, value: bool) -> String {
        if value {
            self.pick("예", "Yes")
        } else {
            self.pick("아니오", "No")
        }
    }
}

pub(crate) fn text(t: &Text, lang: Lang) -> String {
    t.get(lang).to_string()
}

pub(crate) fn opt_text(t: &Option<Text>, lang: Lang) -> String {
    t.as_ref().map(|t| text(t, lang)).unwrap_or_default()
}

/// The label of a category key, falling back to the key itself.
pub(crate) fn category_label(policy: &Policy, key: &str, lang: Lang) -> String {
    policy
        .categories
        .iter()
        .find(|c| c.key == key)
        .map(|c| text(&c.label, lang))
        .unwrap_or_else(|| key.to_string())
}

pub(crate) fn category_list(policy: &Policy, keys: &[String], lang: Lang) -> String {
    keys.iter()
        .map(|k| category_label(policy, k, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn period_words(period: Period, lang: Lang) -> String {
    match lang {
        Lang::Ko => period.to_korean(),
        Lang::En => period.to_english(),
    }
}

pub(crate) fn event_words(event: RetentionEvent, p: &Phrases) -> String {
    match event {
        RetentionEvent::Collection => p.pick("수집일", "collection"),
        RetentionEvent::AccountClosure => p.pick("회원 탈퇴", "account closure"),
        RetentionEvent::ContractEnd => p.pick("계약 종료", "the end of the contract"),
        RetentionEvent::PurposeAchieved => p.pick("처리 목적 달성", "achieving the purpose"),
        RetentionEvent::ProcessingCompleted => p.pick("처리 완료", "completion of processing"),
        RetentionEvent::ConsentWithdrawn => p.pick("동의 철회", "withdrawal of consent"),
        RetentionEvent::Transaction => p.pick("거래 완료", "the transaction"),
    }
}

/// "5년 (거래 완료부터)" / "until account closure".
pub(crate) fn retention_words(rule: &RetentionRule, p: &Phrases) -> String {
    let event = event_words(rule.from, p);
    match rule.period {
        Some(period) => match p.lang {
            Lang::Ko => format!("{event}부터 {}", period.to_korean()),
            Lang::En => format!("{} from {event}", period.to_english()),
        },
        None => match p.lang {
            Lang::Ko => format!("{event} 시까지"),
            Lang::En => format!("until {event}"),
        },
    }
}

/// A legal basis as the document words it, for other modules (the change notices).
pub(crate) fn legal_basis_words(basis: LegalBasis, lang: Lang) -> String {
    basis_words(
        basis,
        &Phrases {
            lang,
            edition: Edition::Public,
        },
    )
}

/// A right as the document words it, for other modules.
pub(crate) fn right_words_in(right: Right, lang: Lang) -> String {
    right_words(
        right,
        &Phrases {
            lang,
            edition: Edition::Public,
        },
    )
}

/// A country's name from its ISO code, for other modules.
pub(crate) fn country_name_in(code: &str, lang: Lang) -> String {
    country_name(
        code,
        &Phrases {
            lang,
            edition: Edition::Public,
        },
    )
}

pub(crate) fn basis_words(basis: LegalBasis, p: &Phrases) -> String {
    match basis {
        LegalBasis::Consent => p.pick("정보주체의 동의", "consent"),
        LegalBasis::Contract => p.pick("계약의 이행", "performance of a contract"),
        LegalBasis::LegalObligation => p.pick("법령상 의무 준수", "legal obligation"),
        LegalBasis::VitalInterest => p.pick("정보주체 등의 급박한 이익", "vital interests"),
        LegalBasis::PublicTask => p.pick("공공기관의 업무 수행", "public task"),
        LegalBasis::LegitimateInterest => {
            p.pick("개인정보처리자의 정당한 이익", "legitimate interests")
        }
    }
}

pub(crate) fn right_words(right: Right, p: &Phrases) -> String {
    match right {
        Right::Access => p.pick("개인정보 열람 요구", "access to your data"),
        Right::Rectification => p.pick(
            "오류 등이 있을 경우 정정 요구",
            "rectification of inaccurate data",
        ),
        Right::Erasure => p.pick("삭제 요구", "erasure (deletion) of your data"),
        Right::Restriction => p.pick("처리정지 요구", "restriction of processing (stopping it)"),
        Right::ConsentWithdrawal => p.pick("동의 철회", "withdrawal of consent"),
        Right::Portability => p.pick("개인정보 전송 요구", "data portability"),
        Right::Objection => p.pick("처리에 대한 이의 제기", "objection to processing"),
        Right::AutomatedDecision => p.pick(
            "자동화된 결정에 대한 거부 및 설명 요구",
            "refusal of, and explanation of, automated decisions",
        ),
        Right::Notification => p.pick(
            "개인정보 처리현황 통지 요구",
            "notification of how your data is processed",
        ),
    }
}

pub(crate) fn country_words(code: &str, p: &Phrases) -> String {
    format!("{} ({code})", country_name(code, p))
}

/// A country's name for readers, from its ISO 3166-1 code; an unknown code stands for itself.
pub(crate) fn country_name(code: &str, p: &Phrases) -> String {
    let (ko, en) = match code {
        "US" => ("미국", "United States"),
        "GB" => ("영국", "United Kingdom"),
        "JP" => ("일본", "Japan"),
        "SG" => ("싱가포르", "Singapore"),
        "IE" => ("아일랜드", "Ireland"),
        "DE" => ("독일", "Germany"),
        "KR" => ("대한민국", "Republic of Korea"),
        _ => (code, code),
    };
    p.pick(ko, en)
}

pub(crate) fn is_abroad(country: &Option<String>) -> bool {
    country.as_deref().is_some_and(|c| c != "KR")
}

pub(crate) fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

pub(crate) fn contact_line(
    email: &Option<String>,
    phone: &Option<String>,
    p: &Phrases,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = email {
        out.push(p.labelled("이메일", "E-mail", e));
    }
    if let Some(ph) = phone {
        out.push(p.labelled("전화", "Phone", ph));
    }
    out
}
