//! Rendering a policy into the document a service publishes.
//!
//! The content is decided once, in Rust: [`document`] turns a [`Policy`] into a [`Document`] — the summary
//! labels (라벨링), then the sections in the order of the PIPC 작성지침, each a list of [`Block`]s
//! (paragraphs, lists, tables). Templates only lay those blocks out, so Markdown and HTML cannot say
//! different things, and the JSON format is the [`Document`] itself.
//!
//! Templates are minijinja files: `policy.md.j2` and `policy.html.j2`, embedded in the binary.
//! [`Renderer::with_overrides`] replaces them with sources of the same names (read by the caller); they
//! receive one variable, `doc`, with the fields of [`Document`].
//!
//! The module's files: `types.rs` the document model, `phrases.rs` the bilingual phrase book and shared
//! helpers, `sections/` one file per group of sections, `document.rs` their assembly, `sentences.rs` the
//! de-duplication of repeated sentences, and this file the templates.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::model::*;

mod document;
mod phrases;
mod sections;
mod sentences;
mod types;

pub use document::{document, document_with};
pub(crate) use phrases::{country_name_in, legal_basis_words, right_words_in};
pub use sentences::{sentences_of, without_repeated_sentences};
pub use types::{Block, Document, Edition, Format, Label, Section};

/// A template given in place of a built-in one: `name` is one of [`TEMPLATE_NAMES`], `origin` says where it
/// came from (a file's path) for error messages, `source` is the minijinja text.
#[derive(Debug, Clone)]
pub struct TemplateOverride {
    pub name: String,
    pub origin: String,
    pub source: String,
}

/// Template file names, by format. An override directory uses the same names.
pub const TEMPLATE_NAMES: [&str; 2] = ["policy.md.j2", "policy.html.j2"];

const MD_TEMPLATE: &str = include_str!("../../templates/policy.md.j2");

const HTML_TEMPLATE: &str = include_str!("../../templates/policy.html.j2");

/// The pieces every HTML page shares: the stylesheet (screen, phone and print) and the block layout.
const STYLE: &str = include_str!("../../templates/style.css");

const BLOCKS_TEMPLATE: &str = include_str!("../../templates/blocks.html.j2");

/// A page of the published site that is not a policy document (a change, the list of versions).
const PAGE_TEMPLATE: &str = include_str!("../../templates/page.html.j2");

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template override {origin}: not a template vow uses (expected one of {expected})")]
    UnknownTemplate { origin: String, expected: String },
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

    /// A renderer whose built-in templates are replaced by `overrides`, each named by one of
    /// [`TEMPLATE_NAMES`]. Reading them is the caller's job (vow-policy does no I/O outside its loader):
    /// `vow policy render --templates DIR` reads the files of those names found in `DIR`.
    pub fn with_overrides(
        overrides: impl IntoIterator<Item = TemplateOverride>,
    ) -> Result<Self, RenderError> {
        let mut renderer = Self::new();
        for template in overrides {
            let Some(name) = TEMPLATE_NAMES.iter().find(|n| **n == template.name) else {
                return Err(RenderError::UnknownTemplate {
                    origin: template.origin,
                    expected: TEMPLATE_NAMES.join(", "),
                });
            };
            renderer
                .env
                .add_template_owned(name.to_string(), template.source)
                .map_err(|err| template_error(&template.origin, &err))?;
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
