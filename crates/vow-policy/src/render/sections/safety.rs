//! Sections: Safety measures, automatic collection (cookies), advertising and AI.

use crate::model::*;

use crate::render::phrases::*;
use crate::render::types::*;

pub(crate) fn safety(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let Some(s) = &policy.safety else {
        return p
            .gap(
                "안전성 확보조치를 정하지 않았습니다.",
                "No safety measures are stated.",
            )
            .map(para)
            .into_iter()
            .collect();
    };
    let mut blocks = vec![para(p.pick(
        "「개인정보 보호법」 제29조에 따라 다음과 같이 안전성 확보에 필요한 조치를 하고 있습니다.",
        "We take the following measures to keep your data safe.",
    ))];
    for (title, list) in [
        (
            p.pick("관리적 조치", "Administrative measures"),
            &s.administrative,
        ),
        (p.pick("기술적 조치", "Technical measures"), &s.technical),
        (p.pick("물리적 조치", "Physical measures"), &s.physical),
    ] {
        if !list.is_empty() {
            blocks.push(Block::Heading { text: title });
            blocks.push(Block::List {
                items: list.iter().map(|t| text(t, lang)).collect(),
            });
        }
    }
    let mut kept = Vec::new();
    if s.encryption_at_rest {
        kept.push(p.pick(
            "저장되는 개인정보는 정보주체별 키로 암호화(AES-256-GCM)합니다.",
            "Stored personal data is encrypted with a key per person (AES-256-GCM).",
        ));
    }
    if s.password_hashing {
        kept.push(p.pick(
            "비밀번호는 복호화할 수 없도록 일방향 암호화(Argon2id)하여 저장합니다.",
            "Passwords are stored only as one-way hashes (Argon2id).",
        ));
    }
    kept.push(p.pick(
        &format!("개인정보처리시스템 접속기록을 {} 이상 보관하고 위·변조를 방지하며, {}", period_words(s.access_log_retention, lang), if s.monthly_log_review { "월 1회 이상 점검합니다." } else { "정기적으로 점검합니다." }),
        &format!("Access records are kept for at least {}, protected against tampering, and reviewed {}.", period_words(s.access_log_retention, lang), if s.monthly_log_review { "monthly" } else { "regularly" }),
    ));
    blocks.push(Block::Heading {
        text: p.pick("암호화 및 접속기록", "Encryption and access records"),
    });
    blocks.push(Block::List { items: kept });
    blocks
}

pub(crate) fn automatic(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    if policy.automatic_collection.is_empty() {
        return p
            .gap(
                "쿠키 등 개인정보 자동 수집 장치에 관하여 정하지 않았습니다.",
                "This policy does not describe cookies or other automatic collection.",
            )
            .map(para)
            .into_iter()
            .collect();
    }
    let mut blocks = Vec::new();
    for a in &policy.automatic_collection {
        let name = match a.kind {
            AutomaticKind::Cookie => p.pick("쿠키", "Cookies"),
            AutomaticKind::WebStorage => p.pick("웹 스토리지", "Web storage"),
            AutomaticKind::Sdk => p.pick("SDK", "SDKs"),
            AutomaticKind::AdvertisingId => p.pick("광고 식별자", "Advertising identifiers"),
        };
        blocks.push(Block::Heading { text: name });
        if let Some(d) = &a.description {
            blocks.push(para(text(d, lang)));
        }
        blocks.push(Block::List {
            items: a.purposes.iter().map(|x| text(x, lang)).collect(),
        });
        blocks.push(para(p.labelled(
            "거부 방법",
            "How to refuse",
            text(&a.refusal, lang),
        )));
        if let Some(c) = &a.consequence {
            blocks.push(para(text(c, lang)));
        }
    }
    blocks
}

pub(crate) fn advertising(ad: &Advertising, p: &Phrases) -> Vec<Block> {
    if !ad.sends {
        return vec![para(p.pick(
            "광고성 정보를 전송하지 않습니다.",
            "We send no advertising.",
        ))];
    }
    let channels: Vec<String> = ad
        .channels
        .iter()
        .map(|c| match c {
            AdChannel::Email => p.pick("이메일", "e-mail"),
            AdChannel::Sms => p.pick("문자메시지", "text message"),
            AdChannel::Push => p.pick("앱 푸시", "app push"),
            AdChannel::Phone => p.pick("전화", "phone"),
            AdChannel::Kakao => p.pick("카카오톡", "KakaoTalk"),
        })
        .collect();
    let mut items = vec![p.pick(
        "사전에 수신에 동의한 분에게만 광고성 정보를 전송합니다.",
        "We send advertising only to those who agreed to receive it beforehand.",
    )];
    if !channels.is_empty() {
        items.push(p.labelled("전송 매체", "Channels", channels.join(", ")));
    }
    items.push(p.pick(
        &format!("전송하는 광고의 제목 또는 첫머리에 \"{}\"를 표시하고, 전송자의 명칭과 연락처, 무료 수신거부 방법을 밝힙니다.", ad.label),
        &format!("Each message starts with \"{}\" and states the sender, a contact and a free way to opt out.", ad.label),
    ));
    items.push(if ad.night_time {
        p.pick(
            "오후 9시부터 다음 날 오전 8시까지는 별도의 동의를 받은 경우에만 전송합니다.",
            "Between 21:00 and 08:00 we send only with separate consent.",
        )
    } else {
        p.pick(
            "오후 9시부터 다음 날 오전 8시까지는 전송하지 않습니다.",
            "We send nothing between 21:00 and 08:00.",
        )
    });
    items.push(p.pick(
        &format!(
            "수신 동의 여부를 {}개월마다 확인합니다.",
            ad.reconfirm_months
        ),
        &format!(
            "We re-confirm your consent every {} months.",
            ad.reconfirm_months
        ),
    ));
    if let Some(opt_out) = &ad.opt_out {
        items.push(text(opt_out, p.lang));
    }
    vec![Block::List { items }]
}

pub(crate) fn ai_blocks(policy: &Policy, ai: &AiPromises, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut items = Vec::new();
    if let Some(u) = &ai.uploads {
        let what = category_label(policy, &u.category, lang);
        let mut line = p.pick(
            &format!(
                "{what}은(는) 처리 후 {} 이내에 삭제합니다.",
                period_words(u.delete_after, lang)
            ),
            &format!(
                "{what} are deleted within {} after processing.",
                period_words(u.delete_after, lang)
            ),
        );
        if u.unless_saved {
            line.push_str(&p.pick(
                " 단, 이용자가 계정에 저장하기로 선택한 경우는 제외합니다.",
                " Unless you choose to save them to your account.",
            ));
        }
        items.push(line);
    }
    if let Some(t) = &ai.training {
        let what = category_list(policy, &t.categories, lang);
        let fate = match t.after_model {
            TrainingDisposal::Delete => p.pick("삭제합니다", "deleted"),
            TrainingDisposal::Anonymise => p.pick("익명화합니다", "anonymised"),
            TrainingDisposal::DeleteOrAnonymise => {
                p.pick("삭제하거나 익명화합니다", "deleted or anonymised")
            }
        };
        items.push(p.pick(
            &format!("AI 모델 학습에 사용한 {what}은(는) 모델 생성이 완료되면 즉시 {fate}."),
            &format!("{what} used to train AI models is {fate} as soon as the model is made."),
        ));
        if t.model_has_no_personal_data {
            items.push(p.pick(
                "생성된 AI 모델에는 개인을 식별할 수 있는 정보가 포함되지 않습니다.",
                "The models we make contain no information that identifies a person.",
            ));
        }
    }
    let providers: Vec<String> = policy
        .processors
        .iter()
        .filter(|x| x.ai_provider)
        .map(|x| text(&x.name, lang))
        .collect();
    if !providers.is_empty() {
        items.push(p.pick(
            &format!(
                "AI 모델 제공자({})에게 처리를 위탁합니다 (위탁 항목 참조).",
                providers.join(", ")
            ),
            &format!(
                "AI model providers process data on our behalf: {} (see processors).",
                providers.join(", ")
            ),
        ));
    }
    if ai.label_generated_content {
        items.push(p.pick(
            "AI가 생성한 콘텐츠임을 명시적으로 표기합니다.",
            "Content generated by AI is labelled as such.",
        ));
    }
    if let Some(c) = &ai.chat_logs {
        if c.used_for_improvement {
            items.push(p.pick(
                &format!(
                    "{}은(는) 서비스 개선 목적으로 수집·분석될 수 있습니다.",
                    category_label(policy, &c.category, lang)
                ),
                &format!(
                    "{} may be collected and analysed to improve the service.",
                    category_label(policy, &c.category, lang)
                ),
            ));
        }
        if c.redacted_before_use {
            items.push(p.pick(
                "대화 내용은 이용 전에 개인정보를 찾아 제거합니다.",
                "Personal data is found and removed from conversations before they are used.",
            ));
        }
        if let Some(advice) = &c.advice {
            items.push(text(advice, lang));
        }
    }
    items.extend(ai.notes.iter().map(|n| text(n, lang)));
    vec![Block::List { items }]
}
