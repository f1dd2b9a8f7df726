//! Rendering a policy into the document a service publishes.
//!
//! The content is decided once, in Rust: [`document`] turns a [`Policy`] into a [`Document`] — the summary
//! labels (라벨링), then the sections in the order of the PIPC 작성지침, each a list of [`Block`]s
//! (paragraphs, lists, tables). Templates only lay those blocks out, so Markdown and HTML cannot say
//! different things, and the JSON format is the [`Document`] itself.
//!
//! Templates are minijinja files: `policy.md.j2` and `policy.html.j2`, embedded in the binary. A directory
//! given to [`Renderer::with_overrides`] may hold files of the same names to replace them; they receive one
//! variable, `doc`, with the fields of [`Document`].

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::model::*;

/// Output formats of `vow policy render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
}

/// Who a document is for. The public edition states what the policy says and never prints a note about what
/// it fails to say; a draft prints those notes, so the author sees the gaps, and says that it is a draft.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Edition {
    #[default]
    Public,
    Draft,
}

/// Template file names, by format. An override directory uses the same names.
pub const TEMPLATE_NAMES: [&str; 2] = ["policy.md.j2", "policy.html.j2"];

const MD_TEMPLATE: &str = include_str!("../templates/policy.md.j2");
const HTML_TEMPLATE: &str = include_str!("../templates/policy.html.j2");
/// The pieces every HTML page shares: the stylesheet (screen, phone and print) and the block layout.
const STYLE: &str = include_str!("../templates/style.css");
const BLOCKS_TEMPLATE: &str = include_str!("../templates/blocks.html.j2");
/// A page of the published site that is not a policy document (a change, the list of versions).
const PAGE_TEMPLATE: &str = include_str!("../templates/page.html.j2");

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read template override {path}: {source}")]
    ReadTemplate {
        path: String,
        source: std::io::Error,
    },
    #[error("template {name}: {detail}")]
    Template { name: String, detail: String },
    #[error("cannot encode the document as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn template_error(name: &str, err: &minijinja::Error) -> RenderError {
    let mut detail = err.to_string();
    if let Some(line) = err.line() {
        detail = format!("line {line}: {detail}");
    }
    RenderError::Template {
        name: name.to_string(),
        detail,
    }
}

/// Renders policies with the built-in templates or overrides.
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// A renderer with the built-in templates.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // The built-in templates are part of the binary and tested; adding them cannot fail.
        for (name, source) in [
            ("policy.md.j2", MD_TEMPLATE),
            ("policy.html.j2", HTML_TEMPLATE),
            ("style.css", STYLE),
            ("blocks.html.j2", BLOCKS_TEMPLATE),
            ("page.html.j2", PAGE_TEMPLATE),
        ] {
            if let Err(err) = env.add_template(name, source) {
                unreachable_template(name, &err);
            }
        }
        env.add_filter("cell", markdown_cell);
        env.add_filter("breakable", breakable);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        Renderer { env }
    }

    /// A renderer whose templates are replaced by any of [`TEMPLATE_NAMES`] found in `dir`.
    pub fn with_overrides(dir: &Path) -> Result<Self, RenderError> {
        let mut renderer = Self::new();
        for name in TEMPLATE_NAMES {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let source =
                std::fs::read_to_string(&path).map_err(|source| RenderError::ReadTemplate {
                    path: path.display().to_string(),
                    source,
                })?;
            renderer
                .env
                .add_template_owned(name.to_string(), source)
                .map_err(|err| template_error(&path.display().to_string(), &err))?;
        }
        Ok(renderer)
    }

    /// Renders `policy` in `lang` as `format`.
    pub fn render(
        &self,
        policy: &Policy,
        lang: Lang,
        format: Format,
    ) -> Result<String, RenderError> {
        self.render_edition(policy, lang, format, Edition::Public)
    }

    /// Renders `policy` in `lang` as `format`, as the public document or as a draft.
    pub fn render_edition(
        &self,
        policy: &Policy,
        lang: Lang,
        format: Format,
        edition: Edition,
    ) -> Result<String, RenderError> {
        let doc = document_with(policy, lang, edition);
        let name = match format {
            Format::Json => return Ok(serde_json::to_string_pretty(&doc)? + "\n"),
            Format::Markdown => "policy.md.j2",
            Format::Html => "policy.html.j2",
        };
        let template = self
            .env
            .get_template(name)
            .map_err(|err| template_error(name, &err))?;
        template
            .render(minijinja::context! { doc => minijinja::value::Serde(&doc) })
            .map_err(|err| template_error(name, &err))
    }
}

impl Renderer {
    /// Renders the HTML page of `policy` for the published site: the document of [`Renderer::render`] with
    /// the site's navigation and notice (`site`, any serialisable value with `nav`, `notice` and
    /// `title_suffix`).
    pub fn render_site_policy<S: Serialize>(
        &self,
        policy: &Policy,
        lang: Lang,
        site: &S,
    ) -> Result<String, RenderError> {
        let doc = document(policy, lang);
        self.render_named(
            "policy.html.j2",
            minijinja::context! {
                doc => minijinja::value::Serde(&doc),
                site => minijinja::value::Serde(site),
            },
        )
    }

    /// Renders a page of the published site that is not a policy (`page.html.j2`, variable `page`).
    pub fn render_page<P: Serialize>(&self, page: &P) -> Result<String, RenderError> {
        self.render_named(
            "page.html.j2",
            minijinja::context! { page => minijinja::value::Serde(page) },
        )
    }

    fn render_named(&self, name: &str, ctx: minijinja::Value) -> Result<String, RenderError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|err| template_error(name, &err))?;
        template
            .render(ctx)
            .map_err(|err| template_error(name, &err))
    }
}

/// Escapes text for HTML and lets long e-mail addresses and URLs break cleanly: a `<wbr>` after `@` and `/`
/// and before `.` inside a long token, so that a narrow box breaks `support@imagesfactory.com` at
/// `support@` rather than mid-word, and a copied address stays intact (`<wbr>` is not text).
fn breakable(value: String) -> minijinja::Value {
    let mut out = String::with_capacity(value.len() + 16);
    for (i, token) in value.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let long = token.chars().count() > 16;
        let mut chars = token.chars().peekable();
        while let Some(c) = chars.next() {
            if long && c == '.' && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                out.push_str("<wbr>");
            }
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#x27;"),
                _ => out.push(c),
            }
            if long && matches!(c, '@' | '/') {
                out.push_str("<wbr>");
            }
        }
    }
    minijinja::Value::from_safe_string(out)
}

/// Makes text safe inside a Markdown table cell: pipes escaped, line breaks flattened.
fn markdown_cell(value: String) -> String {
    value
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

#[cold]
fn unreachable_template(name: &str, err: &minijinja::Error) {
    // A broken built-in template is a bug caught by the tests; report it loudly in debug builds only.
    debug_assert!(false, "built-in template {name} does not compile: {err}");
}

// ---------------------------------------------------------------------------------------------------------
// The view model
// ---------------------------------------------------------------------------------------------------------

/// A rendered policy before layout. Field names are stable: other tools read `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// `ko` or `en`.
    pub lang: Lang,
    /// `개인정보 처리방침` / `Privacy Policy`.
    pub title: String,
    pub service: String,
    pub controller: String,
    pub version: String,
    pub effective: String,
    pub announced: Option<String>,
    /// Opening statement.
    pub preamble: Option<String>,
    /// The heading of the summary labels and the labels themselves.
    pub labels_title: String,
    pub labels: Vec<Label>,
    /// `목차` / `Contents`.
    pub contents_title: String,
    pub sections: Vec<Section>,
    /// A closing line: `본 방침은 2025-11-23부터 시행됩니다.`
    pub closing: String,
    /// In a draft, the line that says so; absent in the public document.
    pub draft: Option<String>,
}

/// A summary label (라벨링): a name and a short value.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub id: &'static str,
    pub name: String,
    pub value: String,
}

/// One numbered section.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Anchor id, stable across languages (`purposes`, `retention`, ...).
    pub id: &'static str,
    pub number: usize,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A piece of section content.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Heading {
        text: String,
    },
    List {
        items: Vec<String>,
    },
    Table {
        caption: String,
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

fn para(text: impl Into<String>) -> Block {
    Block::Paragraph { text: text.into() }
}

/// Phrases fixed by the renderer, in both languages: one place for every heading and legal sentence.
struct Phrases {
    lang: Lang,
    edition: Edition,
}

impl Phrases {
    fn pick(&self, ko: &str, en: &str) -> String {
        match self.lang {
            Lang::Ko => ko.to_string(),
            Lang::En => en.to_string(),
        }
    }
    /// A note about something the policy does not say: printed in a draft only.
    fn gap(&self, ko: &str, en: &str) -> Option<String> {
        (self.edition == Edition::Draft).then(|| self.pick(ko, en))
    }
    fn yes_no(&self, value: bool) -> String {
        if value {
            self.pick("예", "Yes")
        } else {
            self.pick("아니오", "No")
        }
    }
}

fn text(t: &Text, lang: Lang) -> String {
    t.get(lang).to_string()
}

fn opt_text(t: &Option<Text>, lang: Lang) -> String {
    t.as_ref().map(|t| text(t, lang)).unwrap_or_default()
}

/// The label of a category key, falling back to the key itself.
fn category_label(policy: &Policy, key: &str, lang: Lang) -> String {
    policy
        .categories
        .iter()
        .find(|c| c.key == key)
        .map(|c| text(&c.label, lang))
        .unwrap_or_else(|| key.to_string())
}

fn category_list(policy: &Policy, keys: &[String], lang: Lang) -> String {
    keys.iter()
        .map(|k| category_label(policy, k, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

fn period_words(period: Period, lang: Lang) -> String {
    match lang {
        Lang::Ko => period.to_korean(),
        Lang::En => period.to_english(),
    }
}

fn event_words(event: RetentionEvent, p: &Phrases) -> String {
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
fn retention_words(rule: &RetentionRule, p: &Phrases) -> String {
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

fn basis_words(basis: LegalBasis, p: &Phrases) -> String {
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

fn right_words(right: Right, p: &Phrases) -> String {
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

fn country_words(code: &str, p: &Phrases) -> String {
    format!("{} ({code})", country_name(code, p))
}

/// A country's name for readers, from its ISO 3166-1 code; an unknown code stands for itself.
fn country_name(code: &str, p: &Phrases) -> String {
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

/// The sentences of a paragraph or list item: split after `.`, `?` or `!` followed by white space.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '?' | '!')
            && chars.peek().is_some_and(|(_, next)| next.is_whitespace())
        {
            out.push(text[start..=i].trim());
            start = i + 1;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// Whether a piece of text is a sentence: it ends as one and is long enough to say something. Fragments such
/// as "Art." and label lines such as "E-mail: privacy@example.com" (which the officer's and the deputy's lists
/// may share) are not, and are never removed.
fn is_sentence(piece: &str) -> bool {
    piece.ends_with(['.', '?', '!']) && piece.chars().count() >= 12
}

fn normalised(sentence: &str) -> String {
    sentence.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes, from paragraphs and list items, every sentence that an earlier block of the same section already
/// said — a template sentence that the policy's own text repeats, for example — and drops blocks left empty.
/// Table cells repeat legitimately (the same period in two rows) and are left alone.
pub fn without_repeated_sentences(blocks: Vec<Block>) -> Vec<Block> {
    let mut seen = std::collections::HashSet::new();
    let mut keep_new = |text: &str| -> Option<String> {
        let mut repeated = false;
        let kept: Vec<&str> = sentences(text)
            .into_iter()
            .filter(|s| {
                if !is_sentence(s) || seen.insert(normalised(s)) {
                    true
                } else {
                    repeated = true;
                    false
                }
            })
            .collect();
        if !repeated {
            Some(text.to_string())
        } else if kept.iter().any(|s| is_sentence(s)) {
            Some(kept.join(" "))
        } else {
            None
        }
    };
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            Block::Paragraph { text } => {
                if let Some(text) = keep_new(&text) {
                    out.push(Block::Paragraph { text });
                }
            }
            Block::List { items } => {
                let items: Vec<String> = items.iter().filter_map(|i| keep_new(i)).collect();
                if !items.is_empty() {
                    out.push(Block::List { items });
                }
            }
            other => out.push(other),
        }
    }
    // A heading whose content was all removed would head nothing.
    let mut cleaned: Vec<Block> = Vec::with_capacity(out.len());
    for (i, block) in out.iter().enumerate() {
        let heads_nothing = matches!(block, Block::Heading { .. })
            && out
                .get(i + 1)
                .is_none_or(|next| matches!(next, Block::Heading { .. }));
        if !heads_nothing {
            cleaned.push(block.clone());
        }
    }
    cleaned
}

/// The sentences of a paragraph or list item that [`without_repeated_sentences`] keeps apart, normalised:
/// what a test of the rendered page compares.
pub fn sentences_of(text: &str) -> Vec<String> {
    sentences(text)
        .into_iter()
        .filter(|s| is_sentence(s))
        .map(normalised)
        .collect()
}

fn is_abroad(country: &Option<String>) -> bool {
    country.as_deref().is_some_and(|c| c != "KR")
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

fn purposes(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn items(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

fn retention(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn destruction(policy: &Policy, p: &Phrases) -> Vec<Block> {
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
    let mut methods = vec![format!(
        "{}: {}",
        p.pick("전자적 파일", "Electronic files"),
        text(&d.electronic, lang)
    )];
    if let Some(paper) = &d.paper {
        methods.push(format!(
            "{}: {}",
            p.pick("종이 문서", "Paper"),
            text(paper, lang)
        ));
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

fn third_parties(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn processors(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn overseas(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn sensitive_and_pseudonymised(policy: &Policy, p: &Phrases) -> Option<Vec<Block>> {
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

fn rights(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn children(policy: &Policy, p: &Phrases) -> Vec<Block> {
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
        blocks.push(para(format!(
            "{}: {}",
            p.pick(
                "법정대리인 동의 확인 방법 (시행령 제17조의2)",
                "How the guardian's consent is verified"
            ),
            methods.join(", ")
        )));
    }
    if let Some(v) = &c.verification {
        blocks.push(para(format!(
            "{}: {}",
            p.pick(
                "법정대리인 동의 확인 방법",
                "How the guardian's consent is verified"
            ),
            text(v, lang)
        )));
    }
    if let Some(s) = &c.statement {
        blocks.push(para(text(s, lang)));
    }
    blocks
}

fn safety(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn automatic(policy: &Policy, p: &Phrases) -> Vec<Block> {
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
        blocks.push(para(format!(
            "{}: {}",
            p.pick("거부 방법", "How to refuse"),
            text(&a.refusal, lang)
        )));
        if let Some(c) = &a.consequence {
            blocks.push(para(text(c, lang)));
        }
    }
    blocks
}

fn advertising(ad: &Advertising, p: &Phrases) -> Vec<Block> {
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
        items.push(format!(
            "{}: {}",
            p.pick("전송 매체", "Channels"),
            channels.join(", ")
        ));
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

fn ai_blocks(policy: &Policy, ai: &AiPromises, p: &Phrases) -> Vec<Block> {
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

fn contact_line(email: &Option<String>, phone: &Option<String>, p: &Phrases) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = email {
        out.push(format!("{}: {e}", p.pick("이메일", "E-mail")));
    }
    if let Some(ph) = phone {
        out.push(format!("{}: {ph}", p.pick("전화", "Phone")));
    }
    out
}

fn officer(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let o = &policy.officer;
    let mut items = vec![format!(
        "{}: {}",
        p.pick("성명", "Name"),
        text(&o.name, lang)
    )];
    if let Some(t) = &o.title {
        items.push(format!("{}: {}", p.pick("직위", "Title"), text(t, lang)));
    }
    if let Some(d) = &o.department {
        items.push(format!(
            "{}: {}",
            p.pick("부서", "Department"),
            text(d, lang)
        ));
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
        let mut items = vec![format!(
            "{}: {}",
            p.pick("성명", "Name"),
            text(&d.name, lang)
        )];
        if let Some(dep) = &d.department {
            items.push(format!(
                "{}: {}",
                p.pick("부서", "Department"),
                text(dep, lang)
            ));
        }
        items.extend(contact_line(&d.email, &d.phone, p));
        blocks.push(Block::Heading {
            text: p.pick("개인정보 보호담당자", "Privacy staff"),
        });
        blocks.push(Block::List { items });
    }
    if let Some(dep) = &policy.department {
        let mut items = vec![format!(
            "{}: {}",
            p.pick("부서명", "Department"),
            text(&dep.name, lang)
        )];
        if let Some(c) = &dep.contact {
            items.push(format!(
                "{}: {}",
                p.pick("담당자", "Contact person"),
                text(c, lang)
            ));
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

fn remedies(policy: &Policy, p: &Phrases) -> Vec<Block> {
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

fn changes(policy: &Policy, p: &Phrases) -> Vec<Block> {
    let lang = p.lang;
    let mut items = vec![format!(
        "{}: {}",
        p.pick("버전", "Version"),
        policy.policy.version
    )];
    if let Some(a) = policy.policy.announced {
        items.push(format!("{}: {a}", p.pick("공고일자", "Announced")));
    }
    items.push(format!(
        "{}: {}",
        p.pick("시행일자", "Effective"),
        policy.policy.effective
    ));
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
        items.push(format!(
            "{}: {prev}",
            p.pick("이전 방침", "Earlier versions")
        ));
    }
    blocks.push(Block::List { items });
    blocks
}
