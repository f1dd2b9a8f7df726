//! `vow policy render`: the document a service publishes, from its policy file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use vow_policy::render::{Edition, Format, Renderer, TemplateOverride, TEMPLATE_NAMES};
use vow_policy::{check, read_limited, CheckOutcome, CheckStatus, Lang};

pub const RENDER_LONG_ABOUT: &str = "\
Render the privacy policy a service publishes, from its policy file.

The document follows the order of the PIPC 작성지침: summary labels (라벨링) first, a table
of contents, then every section the law requires, with tables for items, retention (with
legal grounds), processors, recipients and transfers abroad. HTML is one self-contained,
printable page; Markdown suits a docs site; JSON is the same content as data, for other
tools.

The file is checked first: an invalid file is refused (exit 2). Lint findings do not stop
rendering, but are counted on standard error, and the document is then a draft: it says so at
the top and notes each gap, so a gap is never published unnoticed. A policy whose findings are
all fixed or waived renders as the public document, which never prints such notes.";

pub const RENDER_AFTER_LONG_HELP: &str = "\
Examples:
  vow policy render policy.toml                         Korean Markdown on standard output
  vow policy render policy.toml --lang en -o policy.html   English HTML page (format from the extension)
  vow policy render policy.toml --format json           the document as JSON
  vow policy render policy.toml --templates my-templates -o policy.html

Templates: a directory given with --templates may hold policy.md.j2 and/or policy.html.j2
(minijinja). Each receives one variable, `doc`: lang, title, service, controller, version,
effective, announced, preamble, labels_title, labels[{id, name, value}], contents_title,
sections[{id, number, title, blocks[]}], closing, draft (set only in a draft). A block
has `type`: paragraph {text}, heading {text}, list {items}, table {caption, headers, rows}.
Run with --format json to see a document.";

/// Document language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Korean (한국어), the language of the PIPC guideline.
    #[default]
    Ko,
    /// English.
    En,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Markdown, for a docs site or a repository.
    Md,
    /// One self-contained, printable HTML page.
    Html,
    /// The document as JSON, with stable field names.
    Json,
}

/// Arguments of `vow policy render`.
#[derive(Args)]
pub struct RenderArgs {
    /// The policy file to render.
    pub file: PathBuf,
    /// Language of the document.
    #[arg(long, value_enum, default_value_t = LangArg::Ko)]
    pub lang: LangArg,
    /// Output format. Default: from the extension of -o (.md, .html, .json), else Markdown.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write to this file (atomically: a reader never sees half a document) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Directory with template overrides (policy.md.j2, policy.html.j2).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

fn format_for(args: &RenderArgs) -> Format {
    let chosen = args.format.or_else(|| {
        let ext = args
            .output
            .as_deref()?
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(FormatArg::Html),
            "json" => Some(FormatArg::Json),
            "md" | "markdown" => Some(FormatArg::Md),
            _ => None,
        }
    });
    match chosen.unwrap_or(FormatArg::Md) {
        FormatArg::Md => Format::Markdown,
        FormatArg::Html => Format::Html,
        FormatArg::Json => Format::Json,
    }
}

pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let origin = args.file.display().to_string();
    let outcome = match read_limited(&args.file) {
        Ok(bytes) => check(&bytes, &origin),
        Err(err) => CheckOutcome::from_load_error(&origin, &err),
    };
    let Some(policy) = outcome
        .policy
        .as_ref()
        .filter(|_| outcome.status() != CheckStatus::Invalid)
    else {
        crate::out::print(outcome.to_text())?;
        eprintln!("hint: fix the errors above (`vow policy check {origin}` shows them alone), then render again");
        return Ok(ExitCode::from(2));
    };
    if outcome.status() == CheckStatus::Findings {
        let open = outcome
            .findings
            .iter()
            .filter(|f| f.finding.waived.is_none())
            .count();
        eprintln!(
            "warning: {origin} has {open} lint finding(s) that are not waived, so this is a draft: it says so at the \
             top and marks each gap. Run `vow policy check {origin}` to see them."
        );
    }
    // A policy with open findings is not ready to publish: it is rendered as a draft, which shows its gaps.
    let edition = if outcome.status() == CheckStatus::Findings {
        Edition::Draft
    } else {
        Edition::Public
    };
    let renderer = match &args.templates {
        Some(dir) => {
            if !dir.is_dir() {
                bail!(
                    "--templates {}: not a directory (it may hold {})",
                    dir.display(),
                    TEMPLATE_NAMES.join(", ")
                );
            }
            Renderer::with_overrides(template_overrides(dir)?)?
        }
        None => Renderer::new(),
    };
    let lang = match args.lang {
        LangArg::Ko => Lang::Ko,
        LangArg::En => Lang::En,
    };
    let rendered = renderer.render_edition(policy, lang, format_for(&args), edition)?;
    match &args.output {
        Some(path) => crate::atomic::write_atomically(path, rendered.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The files of [`TEMPLATE_NAMES`] present in `dir`, read for [`Renderer::with_overrides`]: vow-policy does
/// no I/O outside its loader, so the binary reads them.
fn template_overrides(dir: &std::path::Path) -> anyhow::Result<Vec<TemplateOverride>> {
    let mut overrides = Vec::new();
    for name in TEMPLATE_NAMES {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read template override {}", path.display()))?;
        overrides.push(TemplateOverride {
            name: name.to_string(),
            origin: path.display().to_string(),
            source,
        });
    }
    Ok(overrides)
}
