//! The document of a policy: the summary labels (라벨링), then the sections in the order of the PIPC
//! 작성지침, each built by its group in `sections/`.

use crate::model::*;

use super::phrases::*;
use super::sections::*;
use super::sentences::without_repeated_sentences;
use super::types::*;

/// Builds the public document for `policy` in `lang`.
pub fn document(policy: &Policy, lang: Lang) -> Document {
    document_with(policy, lang, Edition::Public)
}

/// Builds the document for `policy` in `lang`, as the public document or as a draft.
pub fn document_with(policy: &Policy, lang: Lang, edition: Edition) -> Document {
    let p = Phrases { lang, edition };
    let mut sections = Vec::new();
    let mut push = |id: &'static str, title: String, blocks: Vec<Block>| {
        // A section the policy says nothing about has no blocks in the public edition: it is left out rather
        // than printed as an empty heading.
        let blocks = without_repeated_sentences(blocks);
        if blocks.is_empty() {
            return;
        }
        let number = sections.len() + 1;
        sections.push(Section {
            id,
            number,
            title,
            blocks,
        });
    };

    push(
        "purposes",
        p.pick("개인정보의 처리 목적", "Purposes of processing"),
        purposes(policy, &p),
    );
    push(
        "items",
        p.pick("처리하는 개인정보의 항목", "Personal data we process"),
        items(policy, &p),
    );
    push(
        "retention",
        p.pick("개인정보의 처리 및 보유 기간", "How long we keep it"),
        retention(policy, &p),
    );
    push(
        "destruction",
        p.pick("개인정보의 파기 절차 및 방법", "How we destroy it"),
        destruction(policy, &p),
    );
    push(
        "third-parties",
        p.pick("개인정보의 제3자 제공", "Provision to third parties"),
        third_parties(policy, &p),
    );
    push(
        "processors",
        p.pick("개인정보 처리업무의 위탁", "Processors we entrust"),
        processors(policy, &p),
    );
    if !policy.overseas_transfers.is_empty()
        || policy.processors.iter().any(|x| is_abroad(&x.country))
    {
        push(
            "overseas",
            p.pick("개인정보의 국외 이전", "Transfers abroad"),
            overseas(policy, &p),
        );
    }
    if let Some(blocks) = sensitive_and_pseudonymised(policy, &p) {
        push(
            "sensitive",
            p.pick(
                "민감정보 및 가명정보의 처리",
                "Sensitive and pseudonymised data",
            ),
            blocks,
        );
    }
    push(
        "rights",
        p.pick(
            "정보주체와 법정대리인의 권리·의무 및 행사방법",
            "Your rights and how to use them",
        ),
        rights(policy, &p),
    );
    push(
        "children",
        p.pick("만 14세 미만 아동의 개인정보 처리", "Children's data"),
        children(policy, &p),
    );
    push(
        "safety",
        p.pick("개인정보의 안전성 확보조치", "How we keep it safe"),
        safety(policy, &p),
    );
    push(
        "automatic",
        p.pick(
            "개인정보 자동 수집 장치의 설치·운영 및 거부",
            "Cookies and other automatic collection",
        ),
        automatic(policy, &p),
    );
    if let Some(ad) = &policy.advertising {
        push(
            "advertising",
            p.pick("광고성 정보의 전송", "Advertising messages"),
            advertising(ad, &p),
        );
    }
    if let Some(ai) = &policy.ai {
        push(
            "ai",
            p.pick("AI 서비스 관련 고지", "About our AI services"),
            ai_blocks(policy, ai, &p),
        );
    }
    push(
        "officer",
        p.pick(
            "개인정보 보호책임자 및 열람청구 접수·처리 부서",
            "Privacy officer and where to send requests",
        ),
        officer(policy, &p),
    );
    push(
        "remedies",
        p.pick("권익침해 구제방법", "Where else to turn"),
        remedies(policy, &p),
    );
    push(
        "changes",
        p.pick("개인정보 처리방침의 변경", "Changes to this policy"),
        changes(policy, &p),
    );

    let service = text(&policy.policy.service, lang);
    let effective = policy.policy.effective.to_string();
    Document {
        lang,
        title: p.pick("개인정보 처리방침", "Privacy Policy"),
        service,
        controller: text(&policy.controller.name, lang),
        version: policy.policy.version.clone(),
        closing: p.pick(
            &format!("본 개인정보 처리방침은 {effective}부터 시행됩니다."),
            &format!("This privacy policy takes effect on {effective}."),
        ),
        effective,
        announced: policy.policy.announced.map(|d| d.to_string()),
        preamble: policy.policy.preamble.as_ref().map(|t| text(t, lang)),
        labels_title: p.pick("한눈에 보는 개인정보 처리방침 (라벨링)", "At a glance"),
        labels: labels(policy, &p),
        contents_title: p.pick("목차", "Contents"),
        sections,
        draft: p.gap(
            "초안: 이 문서는 아직 공개할 수 없습니다. 방침에 빠진 내용이 있으며, 본문에 표시되어 있습니다.",
            "Draft: not ready to publish. The policy leaves out things the law requires; the text marks them.",
        ),
    }
}

fn labels(policy: &Policy, p: &Phrases) -> Vec<Label> {
    let lang = p.lang;
    let ordinary: Vec<String> = policy
        .categories
        .iter()
        .filter(|c| c.class != DataClass::Sensitive)
        .map(|c| text(&c.label, lang))
        .collect();
    let more = ordinary.len().saturating_sub(6);
    let general: Vec<String> = ordinary.into_iter().take(6).collect();
    let mut general = general.join(", ");
    if more > 0 {
        general.push_str(&p.pick(&format!(" 외 {more}개"), &format!(" and {more} more")));
    }
    let longest = policy
        .retention
        .iter()
        .filter_map(|r| r.period)
        .max_by_key(|period| period.max_hours())
        .map(|period| period_words(period, lang))
        .unwrap_or_else(|| p.pick("목적 달성 시까지", "until the purpose is achieved"));
    let sensitive: Vec<String> = policy
        .categories
        .iter()
        .filter(|c| c.class == DataClass::Sensitive)
        .map(|c| text(&c.label, lang))
        .collect();
    let none = p.pick("없음", "None");
    let count = |n: usize| {
        if n == 0 {
            none.clone()
        } else {
            p.pick(&format!("{n}곳"), &format!("{n}"))
        }
    };
    let officer_contact = [policy.officer.email.clone(), policy.officer.phone.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        Label {
            id: "items",
            name: p.pick("일반 개인정보 수집", "Personal data collected"),
            value: general,
        },
        Label {
            id: "purposes",
            name: p.pick("처리 목적", "Purposes"),
            value: policy
                .purposes
                .iter()
                .map(|x| text(&x.label, lang))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Label {
            id: "retention",
            name: p.pick("최장 보유기간", "Longest retention"),
            value: longest,
        },
        Label {
            id: "sensitive",
            name: p.pick("민감정보", "Sensitive data"),
            value: if sensitive.is_empty() {
                none.clone()
            } else {
                sensitive.join(", ")
            },
        },
        Label {
            id: "third-parties",
            name: p.pick("제3자 제공", "Third parties"),
            value: count(policy.third_parties.len()),
        },
        Label {
            id: "processors",
            name: p.pick("처리위탁", "Processors"),
            value: count(policy.processors.len()),
        },
        Label {
            id: "overseas",
            name: p.pick("국외 이전", "Transfers abroad"),
            value: abroad_label(policy, p),
        },
        Label {
            id: "officer",
            name: p.pick("고충처리", "Complaints"),
            value: if officer_contact.is_empty() {
                text(&policy.officer.name, lang)
            } else {
                format!("{} ({officer_contact})", text(&policy.officer.name, lang))
            },
        },
    ]
}

/// The recipients abroad that the transfers section lists, each once (a processor abroad and its
/// `[[overseas_transfer]]` are one recipient), and their countries: "1곳 (미국)", "3 recipients (United States, United Kingdom)".
fn abroad_label(policy: &Policy, p: &Phrases) -> String {
    let mut recipients: Vec<&str> = Vec::new();
    let mut countries: Vec<&str> = Vec::new();
    let transfers = policy
        .overseas_transfers
        .iter()
        .map(|t| (t.recipient.as_str(), t.country.as_str()));
    let processors = policy
        .processors
        .iter()
        .filter_map(|x| Some((x.key.as_str(), x.country.as_deref()?)));
    for (recipient, country) in transfers.chain(processors) {
        if country == "KR" {
            continue;
        }
        if !recipients.contains(&recipient) {
            recipients.push(recipient);
        }
        if !countries.contains(&country) {
            countries.push(country);
        }
    }
    let n = recipients.len();
    if n == 0 {
        return p.pick("없음", "None");
    }
    let names = countries
        .iter()
        .map(|c| country_name(c, p))
        .collect::<Vec<_>>()
        .join(", ");
    let unit = if n == 1 { "recipient" } else { "recipients" };
    p.pick(
        &format!("{n}곳 ({names})"),
        &format!("{n} {unit} ({names})"),
    )
}
