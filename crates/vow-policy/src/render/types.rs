//! The document before layout: what the templates receive and `--format json` prints. Field names are
//! stable (other tools read them).

use serde::Serialize;

use crate::model::Lang;

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

pub(crate) fn para(text: impl Into<String>) -> Block {
    Block::Paragraph { text: text.into() }
}
