//! Sections: Who else receives the data: third parties, processors, transfers abroad.

use crate::model::*;

use crate::render::phrases::*;
use crate::render::types::*;

pub(crate) fn third_parties(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut blocks = vec![para(p.pick(
        "정보주체의 개인정보를 처리 목적으로 명시한 범위 내에서만 처리하며, 정보주체의 동의, 법률의 특별한 규정 등 「개인정보 보호법」 제17조 및 제18조에 해당하는 경우에만 제3자에게 제공합니다.",
        "We process your data only within the purposes stated here and provide it to third parties only with your consent or where a law specifically allows it.",
    ))];
    if policy.third_parties.is_empty() {
        blocks.push(para(p.pick(
            "현재 개인정보를 제3자에게 제공하지 않습니다.",
            "We currently provide no personal data to third parties.",
        )));
        return blocks;
    }
    let rows = policy
        .third_parties
        .iter()
        .map(|t| {
            vec![
                text(&t.name, lang),
                text(&t.purpose, lang),
                category_list(policy, &t.categories, lang),
                text(&t.retention, lang),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: p.pick("제3자 제공 현황", "Third parties"),
        headers: vec![
            p.pick("제공받는 자", "Recipient"),
            p.pick("제공 목적", "Purpose"),
            p.pick("제공 항목", "Items"),
            p.pick("보유 기간", "Kept for"),
        ],
        rows,
    });
    blocks
}

pub(crate) fn processors(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    if policy.processors.is_empty() {
        return vec![para(p.pick(
            "현재 개인정보 처리업무를 위탁하지 않습니다.",
            "We currently entrust no processing to others.",
        ))];
    }
    let rows = policy
        .processors
        .iter()
        .map(|x| {
            let mut name = text(&x.name, lang);
            if x.ai_provider {
                name.push_str(&p.pick(" (AI 모델 제공자)", " (AI model provider)"));
            }
            vec![
                name,
                text(&x.task, lang),
                category_list(policy, &x.categories, lang),
                opt_text(&x.retention, lang),
            ]
        })
        .collect();
    vec![
        para(p.pick(
            "원활한 서비스 제공을 위하여 다음과 같이 개인정보 처리업무를 위탁하고 있으며, 위탁계약 시 「개인정보 보호법」 제26조에 따라 위탁업무 수행목적 외 처리금지, 안전성 확보조치, 재위탁 제한, 수탁자 관리·감독, 손해배상 등 책임에 관한 사항을 문서에 명시하고 수탁자가 개인정보를 안전하게 처리하는지 감독합니다.",
            "We entrust the processing below to others. Our contracts bind each processor to the task, to safety measures, to limits on sub-processing and to liability, and we supervise how they handle your data.",
        )),
        Block::Table {
            caption: p.pick("수탁자와 위탁업무", "Processors and their tasks"),
            headers: vec![p.pick("수탁자", "Processor"), p.pick("위탁업무", "Task"), p.pick("처리 항목", "Items"), p.pick("보유 기간", "Kept for")],
            rows,
        },
    ]
}

pub(crate) fn overseas(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut blocks = Vec::new();
    if !policy.overseas_transfers.is_empty() {
        // The ground (GDPR Art. 13(1)(f)) gets a column when the file states one for some transfer.
        let grounds = policy.overseas_transfers.iter().any(|t| t.ground.is_some());
        let rows = policy
            .overseas_transfers
            .iter()
            .map(|t| {
                let recipient = policy
                    .processors
                    .iter()
                    .find(|x| x.key == t.recipient)
                    .map(|x| text(&x.name, lang))
                    .or_else(|| {
                        policy
                            .third_parties
                            .iter()
                            .find(|x| x.key == t.recipient)
                            .map(|x| text(&x.name, lang))
                    })
                    .unwrap_or_else(|| t.recipient.clone());
                let recipient = match &t.contact {
                    Some(contact) => format!("{recipient} ({contact})"),
                    None => recipient,
                };
                let mut row = vec![
                    recipient,
                    country_words(&t.country, p),
                    category_list(policy, &t.categories, lang),
                    text(&t.when_and_how, lang),
                    text(&t.purpose, lang),
                    text(&t.retention, lang),
                ];
                if grounds {
                    row.push(opt_text(&t.ground, lang));
                }
                row.push(text(&t.refusal, lang));
                row
            })
            .collect();
        let mut headers = vec![
            p.pick("이전받는 자 (연락처)", "Recipient (contact)"),
            p.pick("이전 국가", "Country"),
            p.pick("이전 항목", "Items"),
            p.pick("이전 일시 및 방법", "When and how"),
            p.pick("이용 목적", "Purpose"),
            p.pick("보유 기간", "Kept for"),
        ];
        if grounds {
            headers.push(p.pick("이전 근거", "Legal ground"));
        }
        headers.push(p.pick("거부 방법 및 효과", "How to refuse"));
        blocks.push(Block::Table {
            caption: p.pick("국외 이전 현황", "Transfers abroad"),
            headers,
            rows,
        });
    }
    let undescribed: Vec<String> = policy
        .processors
        .iter()
        .filter(|x| {
            is_abroad(&x.country)
                && !policy
                    .overseas_transfers
                    .iter()
                    .any(|t| t.recipient == x.key)
        })
        .map(|x| {
            format!(
                "{} — {}",
                text(&x.name, lang),
                country_words(x.country.as_deref().unwrap_or_default(), p)
            )
        })
        .collect();
    if !undescribed.is_empty() {
        blocks.push(para(p.pick(
            "다음 수탁자는 국외에서 개인정보를 처리합니다.",
            "The following processors handle data abroad.",
        )));
        blocks.extend(
            p.gap(
                "이전 일시·방법 및 거부 방법은 이 방침에 아직 기재되어 있지 않습니다.",
                "When and how data is transferred, and how to refuse, is not yet stated in this policy.",
            )
            .map(para),
        );
        blocks.push(Block::List { items: undescribed });
    }
    blocks
}
