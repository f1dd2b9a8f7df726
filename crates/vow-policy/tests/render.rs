//! Rendering: golden documents for every example policy in both languages and both page formats, and the
//! properties every rendered document must have.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use vow_policy::render::{Block, Format, Renderer};
use vow_policy::{check, document, document_with, Edition, Lang, Policy};

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Policy {
    check(&std::fs::read(path).unwrap(), &path.display().to_string())
        .policy
        .unwrap()
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_str().unwrap().to_string()
}

#[test]
fn every_example_renders_to_its_golden_document_in_both_languages() {
    let renderer = Renderer::new();
    let files = examples();
    assert_eq!(files.len(), 6);
    for path in files {
        let policy = load(&path);
        for (lang, tag) in [(Lang::Ko, "ko"), (Lang::En, "en")] {
            for (format, ext) in [(Format::Markdown, "md"), (Format::Html, "html")] {
                let out = renderer.render(&policy, lang, format).unwrap();
                insta::assert_snapshot!(format!("{}.{tag}.{ext}", stem(&path)), out);
            }
        }
    }
}

#[test]
fn every_document_has_the_mandatory_sections_in_guideline_order() {
    let mandatory = [
        "purposes",
        "items",
        "retention",
        "destruction",
        "third-parties",
        "processors",
        "rights",
        "children",
        "safety",
        "automatic",
        "officer",
        "remedies",
        "changes",
    ];
    for path in examples() {
        // The draft keeps every section; the public document leaves out one the policy says nothing about.
        let doc = document_with(&load(&path), Lang::Ko, Edition::Draft);
        let ids: Vec<&str> = doc.sections.iter().map(|s| s.id).collect();
        let positions: Vec<usize> = mandatory
            .iter()
            .map(|m| {
                ids.iter()
                    .position(|id| id == m)
                    .unwrap_or_else(|| panic!("{}: no section {m}", path.display()))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{}: sections out of order: {ids:?}",
            path.display()
        );
        assert!(doc.labels.len() >= 8, "summary labels at the top");
        for (i, s) in doc.sections.iter().enumerate() {
            assert_eq!(s.number, i + 1);
            assert!(
                !s.blocks.is_empty(),
                "{}: section {} is empty",
                path.display(),
                s.id
            );
        }
    }
}

#[test]
fn retention_table_states_each_period_with_its_law() {
    let doc = document(&load(&examples_dir().join("imagesfactory.toml")), Lang::Ko);
    let section = doc.sections.iter().find(|s| s.id == "retention").unwrap();
    let rows = section
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Table { rows, .. } => Some(rows.clone()),
            _ => None,
        })
        .unwrap();
    let payment = rows
        .iter()
        .find(|r| r[0] == "대금결제 및 재화 등의 공급에 관한 기록")
        .unwrap();
    assert!(payment[2].contains("5년"), "{payment:?}");
    assert_eq!(payment[3], "전자상거래 등에서의 소비자보호에 관한 법률");
    assert_eq!(payment[4], "예", "kept in separated storage");
    let visits = rows.iter().find(|r| r[0] == "웹사이트 방문 기록").unwrap();
    assert!(visits[2].contains("3개월") && visits[3] == "통신비밀보호법");
}

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

#[test]
fn html_escapes_policy_text() {
    let mut policy = load(&examples_dir().join("talk-with-me.toml"));
    policy.officer.name = vow_policy::Text::ko("<script>alert(1)</script>");
    let html = Renderer::new()
        .render(&policy, Lang::Ko, Format::Html)
        .unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;"),
        "the name is shown, escaped"
    );
}

#[test]
fn html_page_is_self_contained_and_accessible() {
    let html = Renderer::new()
        .render(
            &load(&examples_dir().join("aimex.toml")),
            Lang::En,
            Format::Html,
        )
        .unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(r##"<a class="skip" href="#content">"##));
    assert!(html.contains("@media print"));
    assert!(
        html.contains("<caption>")
            && html.contains(r#"<th scope="col">"#)
            && html.contains(r#"<th scope="row">"#)
    );
    for external in ["<script", "<link", "src=\"http", "@import", "url("] {
        assert!(
            !html.contains(external),
            "the page must not load {external}"
        );
    }
}

#[test]
fn markdown_table_cells_escape_pipes() {
    let mut policy = load(&examples_dir().join("aimos.toml"));
    policy.purposes[0].label = vow_policy::Text::ko("A | B");
    let md = Renderer::new()
        .render(&policy, Lang::Ko, Format::Markdown)
        .unwrap();
    assert!(md.contains(r"A \| B"));
}

#[test]
fn json_is_the_document_with_stable_fields() {
    let json = Renderer::new()
        .render(
            &load(&examples_dir().join("ai-character-generator.toml")),
            Lang::En,
            Format::Json,
        )
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["lang"], "en");
    assert_eq!(value["title"], "Privacy Policy");
    let ai = value["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "ai")
        .unwrap();
    let text = ai["blocks"].to_string();
    assert!(text.contains("within 24 hours after processing"), "{text}");
}

#[test]
fn template_override_replaces_the_builtin_and_a_broken_one_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.md.j2"),
        "{{ doc.service }} / {{ doc.sections | length }}\n",
    )
    .unwrap();
    let policy = load(&examples_dir().join("aimos.toml"));
    let renderer = Renderer::with_overrides(overrides_in(dir.path())).unwrap();
    let out = renderer
        .render(&policy, Lang::En, Format::Markdown)
        .unwrap();
    assert!(out.starts_with("Aimos / "), "{out}");
    // The HTML template was not overridden.
    assert!(renderer
        .render(&policy, Lang::En, Format::Html)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));

    std::fs::write(
        dir.path().join("policy.md.j2"),
        "line one\n{% for x in %}\n",
    )
    .unwrap();
    let err = Renderer::with_overrides(overrides_in(dir.path()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("policy.md.j2") && err.contains("line 2"),
        "{err}"
    );

    std::fs::write(dir.path().join("policy.md.j2"), "{{ doc.no_such_field }}").unwrap();
    let err = Renderer::with_overrides(overrides_in(dir.path()))
        .unwrap()
        .render(&policy, Lang::En, Format::Markdown)
        .unwrap_err();
    assert!(err.to_string().contains("policy.md.j2"), "{err}");
}

/// Sentences a document prints only to point at a gap in the policy.
const GAP_NOTES: [&str; 6] = [
    "기재되어 있지 않습니다",
    "정하지 않았습니다",
    "not stated",
    "not yet stated",
    "does not state",
    "does not describe",
];

fn all_text(doc: &vow_policy::Document) -> String {
    serde_json::to_string(doc).unwrap()
}

#[test]
fn the_public_document_never_prints_a_note_about_the_policys_gaps_but_a_draft_does_and_says_so() {
    let mut seen_in_draft = 0;
    for path in examples() {
        let policy = load(&path);
        for lang in [Lang::Ko, Lang::En] {
            let public = document(&policy, lang);
            assert!(public.draft.is_none());
            let text = all_text(&public);
            for note in GAP_NOTES {
                assert!(
                    !text.contains(note),
                    "{}: public {lang:?} says {note:?}",
                    path.display()
                );
            }
            let draft = document_with(&policy, lang, Edition::Draft);
            assert!(draft.draft.is_some(), "a draft says it is one");
            let text = all_text(&draft);
            seen_in_draft += GAP_NOTES.iter().filter(|n| text.contains(*n)).count();
        }
    }
    assert!(seen_in_draft > 0, "the seeds' gaps show in their drafts");
}

#[test]
fn no_section_of_any_document_says_a_sentence_twice() {
    let starter = vow_policy::parse(vow_policy::STARTER_POLICY.as_bytes(), "starter").unwrap();
    let mut policies: Vec<(String, Policy)> = examples()
        .iter()
        .map(|p| (p.display().to_string(), load(p)))
        .collect();
    policies.push(("starter".into(), starter));
    for (name, policy) in &policies {
        for lang in [Lang::Ko, Lang::En] {
            for section in document(policy, lang).sections {
                let mut seen = std::collections::HashSet::new();
                for block in &section.blocks {
                    let texts: Vec<&String> = match block {
                        Block::Paragraph { text } => vec![text],
                        Block::List { items } => items.iter().collect(),
                        _ => Vec::new(),
                    };
                    for sentence in texts
                        .iter()
                        .flat_map(|t| vow_policy::render::sentences_of(t))
                    {
                        assert!(
                            seen.insert(sentence.clone()),
                            "{name} {lang:?} section {}: {sentence:?} twice",
                            section.id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_starter_states_its_refusal_and_its_children_rule_once() {
    let starter = vow_policy::parse(vow_policy::STARTER_POLICY.as_bytes(), "starter").unwrap();
    let doc = document(&starter, Lang::En);
    let section = |id: &str| {
        all_text(&vow_policy::Document {
            sections: doc
                .sections
                .iter()
                .filter(|s| s.id == id)
                .cloned()
                .collect(),
            ..doc.clone()
        })
    };
    let rights = section("rights");
    assert_eq!(
        rights.matches("why and how to object").count(),
        1,
        "{rights}"
    );
    let children = section("children");
    assert_eq!(children.matches("under 14").count(), 1, "{children}");
}

fn label_value(doc: &vow_policy::Document, id: &str) -> String {
    doc.labels
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("no label {id}"))
        .value
        .clone()
}

#[test]
fn an_eu_representative_given_in_the_file_appears_on_the_page_in_both_languages() {
    let policy = load(&examples_dir().join("dalbit-chat.toml"));
    let representative = policy.controller.eu_representative.clone().unwrap();
    let renderer = Renderer::new();
    for (lang, heading) in [
        (Lang::Ko, "EU 내 대리인"),
        (Lang::En, "Representative in the European Union"),
    ] {
        for format in [Format::Markdown, Format::Html, Format::Json] {
            let out = renderer.render(&policy, lang, format).unwrap();
            let name = representative.get(lang);
            // The HTML escapes nothing in this name but may break it at `@`; compare the part before it.
            let shown = name.split('@').next().unwrap();
            assert!(out.contains(shown), "{lang:?} {format:?}: no {shown:?}");
            assert!(out.contains(heading), "{lang:?} {format:?}: no {heading:?}");
        }
    }
    // A policy without one says nothing about it.
    let starter = vow_policy::parse(vow_policy::STARTER_POLICY.as_bytes(), "starter").unwrap();
    let text = all_text(&document(&starter, Lang::En));
    assert!(!text.contains("Representative in the European Union"));
}

#[test]
fn transfers_abroad_count_each_recipient_once_and_name_the_countries() {
    // dalbit-chat: OpenAI is a processor in the US *and* has its [[overseas_transfer]]: one recipient.
    let dalbit = load(&examples_dir().join("dalbit-chat.toml"));
    assert_eq!(
        label_value(&document(&dalbit, Lang::En), "overseas"),
        "1 recipient (United States)"
    );
    assert_eq!(
        label_value(&document(&dalbit, Lang::Ko), "overseas"),
        "1곳 (미국)"
    );
    // imagesfactory: Stripe and OpenAI in the US, Stability AI in the UK, none with a transfer entry.
    let images = load(&examples_dir().join("imagesfactory.toml"));
    assert_eq!(
        label_value(&document(&images, Lang::En), "overseas"),
        "3 recipients (United States, United Kingdom)"
    );
    assert_eq!(
        label_value(&document(&images, Lang::Ko), "overseas"),
        "3곳 (미국, 영국)"
    );
    let starter = vow_policy::parse(vow_policy::STARTER_POLICY.as_bytes(), "starter").unwrap();
    assert_eq!(
        label_value(&document(&starter, Lang::En), "overseas"),
        "None"
    );
}

#[test]
fn the_ground_of_a_transfer_abroad_given_in_the_file_is_on_the_page() {
    let policy = load(&examples_dir().join("dalbit-chat.toml"));
    let ground = policy.overseas_transfers[0].ground.clone().unwrap();
    for lang in [Lang::Ko, Lang::En] {
        let text = all_text(&document(&policy, lang));
        assert!(text.contains(ground.get(lang)), "{lang:?}");
    }
}

/// The override files in `dir`, read as `vow policy render --templates` reads them.
fn overrides_in(dir: &std::path::Path) -> Vec<vow_policy::render::TemplateOverride> {
    vow_policy::render::TEMPLATE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.exists())
        .map(|path| vow_policy::render::TemplateOverride {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            origin: path.display().to_string(),
            source: std::fs::read_to_string(&path).unwrap(),
        })
        .collect()
}

#[test]
fn an_override_of_a_template_vow_does_not_use_is_refused_by_its_origin() {
    let override_ = vow_policy::render::TemplateOverride {
        name: "policy.txt.j2".to_string(),
        origin: "/srv/templates/policy.txt.j2".to_string(),
        source: "{{ doc.service }}".to_string(),
    };
    let err = Renderer::with_overrides([override_])
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("/srv/templates/policy.txt.j2") && err.contains("policy.md.j2"),
        "{err}"
    );
}
