//! Sections: The privacy officer, remedies, and how changes are announced.

use crate::model::*;

use crate::render::phrases::*;
use crate::render::types::*;

pub(crate) fn officer(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let o = &policy.officer;
    let mut items = vec![p.labelled("성명", "Name", text(&o.name, lang))];
    if let Some(t) = &o.title {
        items.push(p.labelled("직위", "Title", text(t, lang)));
    }
    if let Some(d) = &o.department {
        items.push(p.labelled("부서", "Department", text(d, lang)));
    }
    items.extend(contact_line(&o.email, &o.phone, p));
    if o.email.is_none() && o.phone.is_none() {
        items.extend(p.gap(
            "연락처: 이 방침에 기재되어 있지 않습니다.",
            "Contact: not stated in this policy.",
        ));
    }
    let mut blocks = vec![
        para(p.pick(
            "개인정보 처리에 관한 업무를 총괄해서 책임지고, 개인정보 처리와 관련한 정보주체의 불만처리 및 피해구제 등을 위하여 아래와 같이 개인정보 보호책임자를 지정하고 있습니다.",
            "Our privacy officer is responsible for how we process personal data and handles your complaints and requests.",
        )),
        Block::Heading { text: p.pick("개인정보 보호책임자", "Privacy officer") },
        Block::List { items },
    ];
    if let Some(d) = &o.deputy {
        let mut items = vec![p.labelled("성명", "Name", text(&d.name, lang))];
        if let Some(dep) = &d.department {
            items.push(p.labelled("부서", "Department", text(dep, lang)));
        }
        items.extend(contact_line(&d.email, &d.phone, p));
        blocks.push(Block::Heading {
            text: p.pick("개인정보 보호담당자", "Privacy staff"),
        });
        blocks.push(Block::List { items });
    }
    if let Some(dep) = &policy.department {
        let mut items = vec![p.labelled("부서명", "Department", text(&dep.name, lang))];
        if let Some(c) = &dep.contact {
            items.push(p.labelled("담당자", "Contact person", text(c, lang)));
        }
        items.extend(contact_line(&dep.email, &dep.phone, p));
        blocks.push(Block::Heading {
            text: p.pick("개인정보 열람청구 접수·처리 부서", "Where to send requests"),
        });
        blocks.push(Block::List { items });
    }
    if let Some(representative) = policy
        .controller
        .eu_representative
        .as_ref()
        .filter(|t| !t.is_blank())
    {
        blocks.push(Block::Heading {
            text: p.pick(
                "EU 내 대리인 (GDPR 제27조)",
                "Representative in the European Union (GDPR Art. 27)",
            ),
        });
        blocks.push(para(p.pick(
            "유럽연합 역내의 정보주체와 감독기구는 다음 대리인을 통해서도 문의할 수 있습니다.",
            "People in the European Union, and its supervisory authorities, may also contact our representative there.",
        )));
        blocks.push(para(text(representative, lang)));
    }
    blocks
}

pub(crate) fn remedies(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut blocks = vec![para(p.pick(
        "정보주체는 개인정보침해로 인한 구제를 받기 위하여 다음 기관에 분쟁해결이나 상담 등을 신청할 수 있습니다.",
        "To seek remedies for an infringement, you may also turn to these bodies.",
    ))];
    let standard = policy.remedies.as_ref().is_none_or(|r| r.standard_bodies);
    let mut rows = Vec::new();
    if standard {
        for (ko, en, phone, site) in [
            (
                "개인정보침해신고센터 (한국인터넷진흥원)",
                "Personal Information Infringement Report Center (KISA)",
                "118",
                "privacy.kisa.or.kr",
            ),
            (
                "개인정보분쟁조정위원회",
                "Personal Information Dispute Mediation Committee",
                "1833-6972",
                "www.kopico.go.kr",
            ),
            (
                "대검찰청 사이버수사과",
                "Supreme Prosecutors' Office, Cyber Investigation",
                "1301",
                "www.spo.go.kr",
            ),
            (
                "경찰청 사이버수사국",
                "Korean National Police Agency, Cyber Bureau",
                "182",
                "ecrm.police.go.kr",
            ),
        ] {
            rows.push(vec![p.pick(ko, en), phone.to_string(), site.to_string()]);
        }
    }
    if !rows.is_empty() {
        blocks.push(Block::Table {
            caption: p.pick("권익침해 구제 기관", "Bodies for remedies"),
            headers: vec![
                p.pick("기관", "Body"),
                p.pick("전화", "Phone"),
                p.pick("누리집", "Website"),
            ],
            rows,
        });
    }
    if let Some(r) = &policy.remedies {
        if !r.others.is_empty() {
            blocks.push(Block::List {
                items: r.others.iter().map(|t| text(t, lang)).collect(),
            });
        }
    }
    blocks
}

pub(crate) fn changes(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut items = vec![p.labelled("버전", "Version", &policy.policy.version)];
    if let Some(a) = policy.policy.announced {
        items.push(p.labelled("공고일자", "Announced", a));
    }
    items.push(p.labelled("시행일자", "Effective", policy.policy.effective));
    let mut blocks = Vec::new();
    if let Some(c) = &policy.changes {
        let channels = c
            .channels
            .iter()
            .map(|x| text(x, lang))
            .collect::<Vec<_>>()
            .join(", ");
        blocks.push(para(p.pick(
            &format!("이 개인정보 처리방침의 내용이 추가, 삭제 또는 수정되는 경우 시행 최소 {}일 전에, 수집 항목·이용 목적·제3자 제공 등 정보주체의 권리에 중요한 변경이 있는 경우에는 최소 {}일 전에 {}을(를) 통하여 알립니다.", c.ordinary_days, c.material_days, if channels.is_empty() { "공지사항".to_string() } else { channels.clone() }),
            &format!("We announce changes to this policy at least {} days before they take effect, and material changes (new items, purposes, recipients and the like) at least {} days before, through {}.", c.ordinary_days, c.material_days, if channels.is_empty() { "notices".to_string() } else { channels }),
        )));
        if c.reconsent_on_material {
            blocks.push(para(p.pick(
                "중요한 변경이 있는 경우 필요 시 다시 동의를 받습니다.",
                "For material changes we ask for your consent again where needed.",
            )));
        }
    }
    if let Some(prev) = &policy.policy.previous_versions {
        items.push(p.labelled("이전 방침", "Earlier versions", prev));
    }
    blocks.push(Block::List { items });
    blocks
}
