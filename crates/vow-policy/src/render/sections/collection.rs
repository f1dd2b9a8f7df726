//! Sections: What is collected, why, for how long, and how it is destroyed.

use crate::model::*;

use crate::render::phrases::*;
use crate::render::types::*;

pub(crate) fn purposes(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut blocks = vec![para(p.pick(
        "다음의 목적을 위하여 개인정보를 처리합니다. 처리하는 개인정보는 다음의 목적 이외의 용도로는 이용되지 않으며, 이용 목적이 변경되는 경우에는 「개인정보 보호법」 제18조에 따라 별도의 동의를 받는 등 필요한 조치를 이행합니다.",
        "We process personal data for the purposes below and for no other. If a purpose changes, we take the steps the law requires, such as asking for separate consent.",
    ))];
    let rows = policy
        .purposes
        .iter()
        .map(|x| {
            let details = x
                .details
                .iter()
                .map(|d| text(d, lang))
                .collect::<Vec<_>>()
                .join("; ");
            let consent = if x.separate_consent {
                p.pick(" (별도 동의)", " (separate consent)")
            } else {
                String::new()
            };
            vec![
                text(&x.label, lang),
                details,
                format!("{}{consent}", basis_words(x.basis, p)),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: p.pick("처리 목적과 법적 근거", "Purposes and legal bases"),
        headers: vec![
            p.pick("목적", "Purpose"),
            p.pick("세부 내용", "Details"),
            p.pick("법적 근거", "Legal basis"),
        ],
        rows,
    });
    blocks
}

pub(crate) fn items(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut rows = Vec::new();
    for c in &policy.collections {
        let mut label = text(&c.label, lang);
        if c.automatic {
            label.push_str(&p.pick(" (자동 수집)", " (collected automatically)"));
        }
        let purposes = c
            .purposes
            .iter()
            .filter_map(|k| policy.purposes.iter().find(|x| &x.key == k))
            .map(|x| text(&x.label, lang))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(vec![
            label,
            category_list(policy, &c.required, lang),
            category_list(policy, &c.optional, lang),
            purposes,
        ]);
    }
    let mut blocks = vec![Block::Table {
        caption: p.pick("수집 시점별 처리 항목", "What we collect, and when"),
        headers: vec![
            p.pick("수집 시점", "When"),
            p.pick("필수항목", "Required"),
            p.pick("선택항목", "Optional"),
            p.pick("이용 목적", "Purposes"),
        ],
        rows,
    }];
    let methods: Vec<String> = policy
        .collections
        .iter()
        .filter_map(|c| c.method.as_ref())
        .map(|m| text(m, lang))
        .collect();
    if !methods.is_empty() {
        blocks.push(Block::Heading {
            text: p.pick("수집 방법", "How we collect it"),
        });
        blocks.push(Block::List {
            items: dedup(methods),
        });
    }
    let notes: Vec<String> = policy
        .categories
        .iter()
        .filter_map(|c| {
            c.note
                .as_ref()
                .map(|n| format!("{}: {}", text(&c.label, lang), text(n, lang)))
        })
        .collect();
    if !notes.is_empty() {
        blocks.push(Block::Heading {
            text: p.pick("항목에 관한 참고", "Notes on the items"),
        });
        blocks.push(Block::List { items: notes });
    }
    blocks
}

pub(crate) fn retention(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut blocks = vec![para(p.pick(
        "법령에 따른 보유기간 또는 정보주체로부터 동의받은 보유기간 내에서 개인정보를 처리·보유하며, 보유기간이 끝나면 지체 없이 파기합니다.",
        "We keep personal data only for the period a law sets or you agreed to, and destroy it without delay when that period ends.",
    ))];
    let rows = policy
        .retention
        .iter()
        .map(|r| {
            let basis = match r.basis {
                RetentionBasis::Law => opt_text(&r.law, lang),
                RetentionBasis::Consent => p.pick("정보주체의 동의", "Your consent"),
                RetentionBasis::InternalPolicy => p.pick("내부 방침", "Internal policy"),
            };
            let mut kept = retention_words(r, p);
            if let Some(reason) = &r.reason {
                kept = format!("{kept} — {}", text(reason, lang));
            }
            vec![
                text(&r.label, lang),
                category_list(policy, &r.categories, lang),
                kept,
                basis,
                p.yes_no(r.separate_storage),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: p.pick("보유 기간과 근거", "Retention periods and their grounds"),
        headers: vec![
            p.pick("보존 기록", "Record"),
            p.pick("항목", "Items"),
            p.pick("보유 기간", "Kept for"),
            p.pick("근거", "Ground"),
            p.pick("분리보관", "Stored separately"),
        ],
        rows,
    });
    blocks
}

pub(crate) fn destruction(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let Some(d) = &policy.destruction else {
        return p
            .gap(
                "파기 절차 및 방법을 정하지 않았습니다.",
                "No destruction procedure is stated.",
            )
            .map(para)
            .into_iter()
            .collect();
    };
    let deadline = if d.within_days == 0 {
        p.pick("보유기간이 끝나거나 처리 목적이 달성되면 지체 없이 파기합니다.", "We destroy data without delay once its retention period ends or its purpose is achieved.")
    } else {
        p.pick(
            &format!("보유기간이 끝나거나 처리 목적이 달성되면 {}일 이내에 파기합니다.", d.within_days),
            &format!("We destroy data within {} days once its retention period ends or its purpose is achieved.", d.within_days),
        )
    };
    let mut methods =
        vec![p.labelled("전자적 파일", "Electronic files", text(&d.electronic, lang))];
    if let Some(paper) = &d.paper {
        methods.push(p.labelled("종이 문서", "Paper", text(paper, lang)));
    }
    vec![
        Block::Heading {
            text: p.pick("파기 절차", "Procedure"),
        },
        para(text(&d.procedure, lang)),
        para(deadline),
        Block::Heading {
            text: p.pick("파기 방법", "Methods"),
        },
        Block::List { items: methods },
    ]
}
