//! Sections: Sensitive and pseudonymised data, the data subject's rights, children.

use crate::model::*;

use crate::render::phrases::*;
use crate::render::types::*;

pub(crate) fn sensitive_and_pseudonymised(policy: &Policy, p: &Phrases) -> Option<Vec<Block>> {
    let lang = p.lang;
    let mut blocks = Vec::new();
    if let Some(s) = policy.sensitive.as_ref().filter(|s| s.processed) {
        let items: Vec<String> = policy
            .categories
            .iter()
            .filter(|c| c.class == DataClass::Sensitive)
            .map(|c| text(&c.label, lang))
            .collect();
        blocks.push(Block::Heading {
            text: p.pick("민감정보", "Sensitive data"),
        });
        blocks.push(para(p.pick(
            &format!(
                "다음 민감정보를 정보주체의 별도 동의를 받아 처리합니다: {}.",
                items.join(", ")
            ),
            &format!(
                "We process the following sensitive data only with your separate consent: {}.",
                items.join(", ")
            ),
        )));
        if let Some(statement) = &s.statement {
            blocks.push(para(text(statement, lang)));
        }
        if let Some(risk) = &s.disclosure_risk {
            blocks.push(para(text(risk, lang)));
        }
    }
    if let Some(ps) = policy.pseudonymised.as_ref().filter(|x| x.processed) {
        blocks.push(Block::Heading {
            text: p.pick("가명정보", "Pseudonymised data"),
        });
        let rows = vec![vec![
            opt_text(&ps.purpose, lang),
            opt_text(&ps.retention, lang),
            opt_text(&ps.safeguards, lang),
        ]];
        blocks.push(Block::Table {
            caption: p.pick("가명정보 처리", "Pseudonymised data"),
            headers: vec![
                p.pick("처리 목적", "Purpose"),
                p.pick("보유 기간", "Kept for"),
                p.pick("안전성 확보조치", "Safeguards"),
            ],
            rows,
        });
    }
    (!blocks.is_empty()).then_some(blocks)
}

pub(crate) fn rights(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let Some(r) = &policy.rights else {
        return p
            .gap(
                "권리 행사 방법을 정하지 않았습니다.",
                "No way to exercise your rights is stated.",
            )
            .map(para)
            .into_iter()
            .collect();
    };
    let mut blocks = vec![
        para(p.pick(
            "정보주체는 언제든지 다음의 권리를 행사할 수 있습니다.",
            "You may at any time exercise these rights:",
        )),
        Block::List {
            items: r.rights.iter().map(|x| right_words(*x, p)).collect(),
        },
        Block::Heading {
            text: p.pick("행사 방법", "How"),
        },
        Block::List {
            items: r.how.iter().map(|h| text(h, lang)).collect(),
        },
        para(p.pick(
            &format!(
                "요구를 받은 날부터 {}일 이내에 조치하고 그 결과를 알려드립니다.",
                r.deadline_days
            ),
            &format!(
                "We act on a request and tell you the result within {} days of receiving it.",
                r.deadline_days
            ),
        )),
    ];
    // The policy's own refusal text replaces ours when it speaks of refusing, so the page does not say the
    // same thing twice in two wordings; a refusal text about something else (corrections) leaves ours in place.
    let says_how_refusals_go = r.refusal.as_ref().is_some_and(|t| {
        t.ko.as_deref()
            .is_some_and(|ko| ko.contains("거절") || ko.contains("거부"))
            || t.en
                .as_deref()
                .is_some_and(|en| en.to_lowercase().contains("refus"))
    });
    if !says_how_refusals_go {
        blocks.push(para(p.pick(
            "요구를 거절하는 경우에는 그 사유와 이의제기 방법을 함께 알려드립니다.",
            "If we refuse, we tell you why and how to object.",
        )));
    }
    if let Some(refusal) = &r.refusal {
        blocks.push(para(text(refusal, lang)));
    }
    if r.representatives {
        blocks.push(para(p.pick(
            "법정대리인이나 위임을 받은 자 등 대리인을 통하여 권리를 행사할 수 있으며, 이 경우 위임장을 제출하여야 합니다.",
            "You may exercise these rights through a legal representative or someone you authorise, who must provide a power of attorney.",
        )));
    }
    blocks
}

pub(crate) fn children(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let Some(c) = &policy.children else {
        return p
            .gap(
                "만 14세 미만 아동의 개인정보 처리에 관하여 정하지 않았습니다.",
                "This policy does not state how children's data is treated.",
            )
            .map(para)
            .into_iter()
            .collect();
    };
    // A refusing policy's own statement that names the age says what our sentence would, in its own words;
    // printing both is the repetition a reader notices first.
    let statement_refuses = matches!(c.policy, ChildPolicy::Refuse)
        && c.statement
            .as_ref()
            .is_some_and(|s| text(s, lang).contains(&c.age.to_string()));
    let mut blocks = vec![para(match c.policy {
        ChildPolicy::Refuse if statement_refuses => String::new(),
        ChildPolicy::Refuse => p.pick(
            &format!("만 {}세 미만 아동의 개인정보를 수집하지 않습니다.", c.age),
            &format!(
                "We do not collect personal data of children under {}.",
                c.age
            ),
        ),
        ChildPolicy::GuardianConsent => p.pick(
            &format!(
                "만 {}세 미만 아동의 개인정보는 법정대리인의 동의를 받아 처리합니다.",
                c.age
            ),
            &format!(
                "We process data of children under {} only with their legal guardian's consent.",
                c.age
            ),
        ),
    })];
    blocks.retain(|b| !matches!(b, Block::Paragraph { text } if text.is_empty()));
    if !c.methods.is_empty() {
        let methods: Vec<String> = c
            .methods
            .iter()
            .map(|m| match m {
                GuardianVerification::Sms => p.pick(
                    "법정대리인의 휴대전화 문자메시지로 동의 확인",
                    "a text message to the guardian's mobile phone",
                ),
                GuardianVerification::Card => p.pick(
                    "법정대리인의 신용카드·직불카드 정보 확인",
                    "the guardian's credit or debit card",
                ),
                GuardianVerification::MobileIdentity => p.pick(
                    "법정대리인의 휴대전화 본인인증",
                    "identity verification of the guardian's mobile phone",
                ),
                GuardianVerification::Document => p.pick(
                    "동의서면의 우편·팩스·직접 제출",
                    "a signed form by post, fax or in person",
                ),
                GuardianVerification::Email => p.pick(
                    "법정대리인의 전자우편 회신",
                    "an e-mail answered by the guardian",
                ),
                GuardianVerification::PhoneCall => {
                    p.pick("전화 통화로 동의 확인", "a phone call with the guardian")
                }
            })
            .collect();
        blocks.push(para(p.labelled(
            "법정대리인 동의 확인 방법 (시행령 제17조의2)",
            "How the guardian's consent is verified",
            methods.join(", "),
        )));
    }
    if let Some(v) = &c.verification {
        blocks.push(para(p.labelled(
            "법정대리인 동의 확인 방법",
            "How the guardian's consent is verified",
            text(v, lang),
        )));
    }
    if let Some(s) = &c.statement {
        blocks.push(para(text(s, lang)));
    }
    blocks
}
