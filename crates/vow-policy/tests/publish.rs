//! `publish`: the site of a policy's versions, built in memory from imagesfactory and two earlier versions
//! (one without the SendGrid processor, one with a shorter retention of generated images).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use vow_policy::{parse, publish, Date, Policy, PublishError, PublishOptions, Version};

fn imagesfactory_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies/imagesfactory.toml");
    std::fs::read_to_string(path).unwrap()
}

/// imagesfactory as published on 2025-11-23, announced 32 days before.
fn current_text() -> String {
    imagesfactory_text().replacen(
        "effective = 2025-11-23",
        "announced = 2025-10-22\neffective = 2025-11-23",
        1,
    )
}

/// The version before: generated images kept 30 days instead of 90.
fn v2_text() -> String {
    current_text()
        .replacen("version = \"2025-11-23\"", "version = \"2025-08-01\"", 1)
        .replacen("announced = 2025-10-22", "announced = 2025-06-25", 1)
        .replacen("effective = 2025-11-23", "effective = 2025-08-01", 1)
        .replacen("period = \"90d\"", "period = \"30d\"", 1)
}

/// The first: also without SendGrid.
fn v1_text() -> String {
    let text = v2_text()
        .replacen("version = \"2025-08-01\"", "version = \"2025-03-01\"", 1)
        .replacen("announced = 2025-06-25", "announced = 2025-01-20", 1)
        .replacen("effective = 2025-08-01", "effective = 2025-03-01", 1);
    let start = text.find("[[processor]]\nkey = \"sendgrid\"").unwrap();
    let end = start + text[start..].find("\n\n").unwrap() + 2;
    format!("{}{}", &text[..start], &text[end..])
}

fn policy(text: &str, name: &str) -> Policy {
    parse(text.as_bytes(), name).unwrap()
}

fn versions() -> Vec<Version> {
    // Out of order on purpose: publish orders by effective date.
    vec![
        Version {
            source: "imagesfactory.toml".into(),
            policy: policy(&current_text(), "imagesfactory.toml"),
        },
        Version {
            source: "history/2025-03-01.toml".into(),
            policy: policy(&v1_text(), "v1"),
        },
        Version {
            source: "history/2025-08-01.toml".into(),
            policy: policy(&v2_text(), "v2"),
        },
    ]
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn site(today: &str) -> BTreeMap<String, String> {
    let options = PublishOptions {
        today: date(today),
        base_url: Some("https://imagesfactory.com/privacy".into()),
    };
    publish(versions(), &options)
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

#[test]
fn every_version_has_its_stable_pages_and_json() {
    let site = site("2025-12-01");
    for v in ["2025-03-01", "2025-08-01", "2025-11-23"] {
        for file in ["ko.html", "en.html", "policy.json", "ko.json", "en.json"] {
            assert!(
                site.contains_key(&format!("versions/{v}/{file}")),
                "versions/{v}/{file}"
            );
        }
    }
    for file in [
        "index.html",
        "en.html",
        "history/ko.html",
        "history/en.html",
        "versions.json",
    ] {
        assert!(site.contains_key(file), "{file}");
    }
    // The policy JSON is the policy file as data: it parses back to the same policy, less the waivers (notes
    // about its own gaps) and the roles, which are not part of the public document.
    let json: Policy = serde_json::from_str(&site["versions/2025-08-01/policy.json"]).unwrap();
    let v2 = policy(&v2_text(), "v2");
    assert!(!v2.waivers.is_empty() && !v2.roles.is_empty());
    assert_eq!(json, vow_policy::publish::public_policy(&v2));
    assert!(json.waivers.is_empty() && json.roles.is_empty());
    let index: serde_json::Value = serde_json::from_str(&site["versions.json"]).unwrap();
    let statuses: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["previous", "previous", "in_force"]);
    assert_eq!(index[0]["until"], "2025-07-31");
}

#[test]
fn each_change_page_names_the_material_change_and_its_dates() {
    let site = site("2025-12-01");
    let first = &site["changes/2025-08-01/en.html"];
    assert!(first.contains("new processor: SendGrid"), "{first}");
    assert!(first.contains("material"));
    let second = &site["changes/2025-11-23/en.html"];
    assert!(
        second.contains("retention lengthened: Generated images"),
        "{second}"
    );
    assert!(second.contains("30 days → 90 days"), "{second}");
    assert!(
        second.contains("Announced: 2025-10-22") && second.contains("Takes effect: 2025-11-23")
    );
    let diff: serde_json::Value =
        serde_json::from_str(&site["changes/2025-11-23/diff.json"]).unwrap();
    let retention = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["section"] == "retention")
        .unwrap();
    assert_eq!(retention["material"], true);
    // The first version has no change page: nothing came before it.
    assert!(!site.keys().any(|k| k.starts_with("changes/2025-03-01/")));
}

#[test]
fn the_notice_and_email_carry_the_dates_and_the_links() {
    let site = site("2025-12-01");
    let notice = &site["changes/2025-11-23/notice.ko.txt"];
    assert!(
        notice.starts_with("[공지] imagesfactory 개인정보 처리방침 개정 안내"),
        "{notice}"
    );
    assert!(notice.contains("공고일: 2025-10-22"), "{notice}");
    assert!(notice.contains("시행일: 2025-11-23"), "{notice}");
    assert!(
        notice.contains("현행 방침(버전 2025-08-01)은 2025-11-22까지 적용됩니다."),
        "{notice}"
    );
    assert!(notice.contains("- [중요] 보유 기간 연장"), "{notice}");
    assert!(notice.contains("https://imagesfactory.com/privacy/versions/2025-11-23/ko.html"));
    let email = &site["changes/2025-08-01/email.en.txt"];
    assert!(
        email.starts_with(
            "Subject: [imagesfactory] Changes to our privacy policy (effective 2025-08-01)"
        ),
        "{email}"
    );
    assert!(
        email.contains("- [material] new processor: SendGrid"),
        "{email}"
    );
    assert!(email.contains("The current policy (version 2025-03-01) applies until 2025-07-31."));
}

#[test]
fn a_version_announced_for_later_is_published_with_the_current_one_still_in_force() {
    let site = site("2025-11-01");
    let index = &site["index.html"];
    // The root shows the version in force today, and announces the next.
    assert!(index.contains("버전 2025-08-01"), "{index}");
    assert!(
        index.contains("새 버전 2025-11-23이(가) 2025-10-22에 공고되어 2025-11-23부터 시행되며"),
        "{index}"
    );
    let upcoming = &site["versions/2025-11-23/en.html"];
    assert!(
        upcoming.contains("A new version, announced on 2025-10-22, that takes effect on 2025-11-23. Until then version 2025-08-01 applies."),
        "{upcoming}"
    );
    let index: serde_json::Value = serde_json::from_str(&site["versions.json"]).unwrap();
    assert_eq!(index[1]["status"], "in_force");
    assert_eq!(index[2]["status"], "announced");
}

#[test]
fn the_public_change_pages_leave_out_waivers_and_roles() {
    let mut versions = versions();
    versions[0].policy.waivers.pop();
    versions[0].policy.roles.clear();
    let files = publish(
        versions,
        &PublishOptions {
            today: date("2025-12-01"),
            base_url: None,
        },
    )
    .unwrap();
    let diff = &files
        .iter()
        .find(|f| f.path == "changes/2025-11-23/diff.json")
        .unwrap()
        .contents;
    assert!(
        !diff.contains("\"waiver\"") && !diff.contains("\"role\""),
        "{diff}"
    );
}

#[test]
fn versions_that_cannot_be_urls_or_collide_are_refused_naming_the_files() {
    let mut bad = versions();
    bad[1].policy.policy.version = "../etc".into();
    let err = publish(
        bad,
        &PublishOptions {
            today: date("2025-12-01"),
            base_url: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, PublishError::VersionNotUrlSafe { .. }));
    assert!(err.to_string().contains("history/2025-03-01.toml"), "{err}");

    let mut twice = versions();
    twice[1].policy.policy.version = "2025-08-01".into();
    let err = publish(
        twice,
        &PublishOptions {
            today: date("2025-12-01"),
            base_url: None,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("history/2025-03-01.toml")
            && err.to_string().contains("history/2025-08-01.toml"),
        "{err}"
    );

    let none = publish(
        Vec::new(),
        &PublishOptions {
            today: date("2025-12-01"),
            base_url: None,
        },
    );
    assert!(matches!(none, Err(PublishError::NoVersions)));
}

#[test]
fn versions_json_gives_the_version_in_force_the_end_date_its_page_names() {
    // On 2025-11-01 version 2025-08-01 is in force and 2025-11-23 is announced: the page of 2025-08-01 says
    // it applies until 2025-11-22, and so must versions.json.
    let site = site("2025-11-01");
    let page = &site["versions/2025-08-01/en.html"];
    assert!(page.contains("this one applies until 2025-11-22"), "{page}");
    let index: serde_json::Value = serde_json::from_str(&site["versions.json"]).unwrap();
    assert_eq!(index[1]["version"], "2025-08-01");
    assert_eq!(index[1]["status"], "in_force");
    assert_eq!(index[1]["until"], "2025-11-22");
    // The announced version has no end yet.
    assert_eq!(index[2]["until"], serde_json::Value::Null);
    // With no successor at all, the version in force has none either.
    let site = site_of(vec![versions().remove(0)], "2025-12-01");
    let index: serde_json::Value = serde_json::from_str(&site["versions.json"]).unwrap();
    assert_eq!(index[0]["until"], serde_json::Value::Null);
}

fn site_of(versions: Vec<Version>, today: &str) -> BTreeMap<String, String> {
    let options = PublishOptions {
        today: date(today),
        base_url: None,
    };
    publish(versions, &options)
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

fn dalbit_text() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/dalbit-chat.toml");
    std::fs::read_to_string(path).unwrap()
}

/// dalbit-chat and the version before it: no nickname asked at sign-up, and membership resting on consent.
fn dalbit_versions() -> Vec<Version> {
    let new = dalbit_text();
    let old = new
        .replacen("version = \"2026-01-01\"", "version = \"2025-06-01\"", 1)
        .replacen("announced = 2025-12-01", "announced = 2025-05-01", 1)
        .replacen("effective = 2026-01-01", "effective = 2025-06-01", 1)
        .replacen("optional = [\"user.profile.nickname\"]\n", "", 1)
        .replacen(
            "basis = \"contract\"\n\n[[purpose]]\nkey = \"chat\"",
            "basis = \"consent\"\n\n[[purpose]]\nkey = \"chat\"",
            1,
        );
    assert_ne!(old, new);
    vec![
        Version {
            source: "old.toml".into(),
            policy: policy(&old, "old.toml"),
        },
        Version {
            source: "dalbit-chat.toml".into(),
            policy: policy(&new, "dalbit-chat.toml"),
        },
    ]
}

#[test]
fn notices_and_emails_show_the_labels_people_read_never_the_files_keys() {
    let versions = dalbit_versions();
    let mut keys: Vec<String> = Vec::new();
    for v in &versions {
        let p = &v.policy;
        keys.extend(p.categories.iter().map(|c| c.key.clone()));
        keys.extend(p.collections.iter().map(|c| c.key.clone()));
        keys.extend(p.purposes.iter().map(|c| c.key.clone()));
        keys.extend(p.retention.iter().map(|c| c.key.clone()));
        keys.extend(p.processors.iter().map(|c| c.key.clone()));
        keys.extend(p.subjects.iter().map(|c| c.key.clone()));
    }
    let site = site_of(versions, "2026-01-02");
    for file in [
        "notice.ko.txt",
        "notice.en.txt",
        "email.ko.txt",
        "email.en.txt",
        "ko.html",
        "en.html",
    ] {
        let text = &site[&format!("changes/2026-01-01/{file}")];
        for key in &keys {
            assert!(
                !text.contains(&format!("({key})")) && !text.contains(&format!("`{key}`")),
                "{file} shows the key {key}:\n{text}"
            );
            if key.contains('.') {
                assert!(!text.contains(key.as_str()), "{file} shows {key}:\n{text}");
            }
        }
    }
    let notice = &site["changes/2026-01-01/notice.ko.txt"];
    assert!(notice.contains("수집 항목 추가: 닉네임\n"), "{notice}");
    let email = &site["changes/2026-01-01/email.en.txt"];
    assert!(email.contains("new item collected: Nickname\n"), "{email}");
}

#[test]
fn a_changed_collection_or_purpose_says_what_changed() {
    let site = site_of(dalbit_versions(), "2026-01-02");
    let en = &site["changes/2026-01-01/notice.en.txt"];
    assert!(
        en.contains(
            "- [ordinary] collection changed: At sign-up — optional items added: Nickname\n"
        ),
        "{en}"
    );
    assert!(
        en.contains(
            "- [ordinary] purpose changed: Managing membership — legal basis: consent → performance of a contract\n"
        ),
        "{en}"
    );
    let ko = &site["changes/2026-01-01/notice.ko.txt"];
    assert!(
        ko.contains("- [일반] 수집 시점 변경: 회원가입 시 — 선택항목 추가: 닉네임\n"),
        "{ko}"
    );
    assert!(
        ko.contains(
            "- [일반] 처리 목적 변경: 회원 관리 — 법적 근거: 정보주체의 동의 → 계약의 이행\n"
        ),
        "{ko}"
    );
}
