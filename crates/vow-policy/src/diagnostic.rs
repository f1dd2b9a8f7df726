//! Diagnostics with positions: what is wrong, where in the file, and what to do about it.
//!
//! Every problem vow finds in a policy file — a TOML syntax error, a field of the wrong type, a reference to
//! an undeclared category — becomes a [`Diagnostic`]. Semantic checks work on the parsed [`crate::Policy`]
//! and know only a [`DocPath`] (`retention[2].categories[0]`); [`SourceMap`] turns that path into a line and
//! column in the original text, so the message can show the offending line with a caret under it, the way
//! rustc does.

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path into the policy document: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A path into the policy document, such as `retention[2].categories[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DocPath(pub Vec<PathSegment>);

impl DocPath {
    /// The path to a top-level key: `DocPath::root("officer")`.
    pub fn root(key: &str) -> Self {
        DocPath(vec![PathSegment::Key(key.to_string())])
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathSegment::Key(key.to_string()));
        self
    }

    /// This path extended by an array index.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(k) if i == 0 => write!(f, "{k}")?,
                PathSegment::Key(k) => write!(f, ".{k}")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for DocPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A line and column in the source, both counted from 1. Columns count characters, not bytes, so a caret
/// lands under the right Hangul syllable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must be fixed: the file is invalid, or the law requires what is missing.
    Error,
    /// Should be fixed: a guideline or good practice asks for it.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A problem in a policy file, with its position when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The entry concerned, as a reader finds it in the file: `[[retention]] key = "ecom"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Where in the document, as a path (`retention[2].categories[0]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<DocPath>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Line and column, once resolved against the source text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The byte range of the offending text in the source.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
    /// The source line that holds the problem, with a caret below it (filled by [`SourceMap`]).
    #[serde(skip)]
    pub excerpt: Option<Excerpt>,
}

impl Diagnostic {
    /// An error with a message and nothing else yet.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            section: None,
            path: None,
            help: None,
            location: None,
            span: None,
            excerpt: None,
        }
    }

    /// Names the entry concerned (`[[retention]] key = "ecom"`).
    #[must_use]
    pub fn in_section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// Sets the document path of the offending value.
    #[must_use]
    pub fn at(mut self, path: DocPath) -> Self {
        self.path = Some(path);
        self
    }

    /// Adds advice on what to do.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic the way rustc does: message, `--> file:line:col`, the line, a caret, help.
    pub fn render(&self, origin: &str) -> String {
        let mut out = format!("{}: ", self.severity);
        if let Some(section) = &self.section {
            out.push_str(section);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out.push('\n');
        match self.location {
            Some(loc) => out.push_str(&format!("  --> {origin}:{}:{}\n", loc.line, loc.column)),
            None => out.push_str(&format!("  --> {origin}\n")),
        }
        if let Some(excerpt) = &self.excerpt {
            out.push_str(&excerpt.render());
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

/// The source line shown under a diagnostic, with where the caret goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub line: usize,
    /// The line, shortened around the caret when it is long.
    pub text: String,
    /// Characters before the caret, within `text`.
    pub caret_offset: usize,
    /// Width of the caret in characters.
    pub caret_len: usize,
}

impl Excerpt {
    /// The line with its number in a gutter and a caret line below it.
    pub fn render(&self) -> String {
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        format!(
            "{pad} |\n{gutter} | {}\n{pad} | {}{}\n",
            self.text,
            " ".repeat(self.caret_offset),
            "^".repeat(self.caret_len.max(1))
        )
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The longest source excerpt shown, in characters; longer lines are cut around the caret.
const EXCERPT_WIDTH: usize = 100;

/// Resolves byte offsets and document paths to lines, columns and excerpts.
pub struct SourceMap<'s> {
    text: &'s str,
    /// Byte offset of the start of each line, so a location costs a binary search, not a scan of the file.
    line_starts: Vec<usize>,
    document: Option<Spanned<DeTable<'s>>>,
}

impl<'s> SourceMap<'s> {
    /// A map over `text`. Paths resolve only when `text` is well-formed TOML.
    pub fn new(text: &'s str) -> Self {
        SourceMap {
            text,
            line_starts: line_starts(text),
            document: DeTable::parse(text).ok(),
        }
    }

    /// A map that resolves byte offsets only (for text that is not valid TOML).
    pub fn offsets_only(text: &'s str) -> Self {
        SourceMap {
            text,
            line_starts: line_starts(text),
            document: None,
        }
    }

    /// Line and column of a byte offset (clamped to the text and to a character boundary).
    pub fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // `line_starts` begins with 0, so the partition point is at least 1.
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let line_start = self.line_starts[line.saturating_sub(1)];
        let column = self.text[line_start..offset].chars().count() + 1;
        Location { line, column }
    }

    /// The byte span of the value at `path`, when the document has one.
    pub fn span_of(&self, path: &DocPath) -> Option<Range<usize>> {
        let root = self.document.as_ref()?;
        let mut segments = path.0.iter();
        let first = match segments.next()? {
            PathSegment::Key(k) => root.get_ref().get(k.as_str())?,
            PathSegment::Index(_) => return None,
        };
        let mut current: &Spanned<DeValue<'s>> = first;
        for segment in segments {
            let next = match segment {
                PathSegment::Key(k) => current.get_ref().get(k.as_str()),
                PathSegment::Index(i) => current.get_ref().get(*i),
            };
            match next {
                Some(value) => current = value,
                // The deepest span we could find is still the best pointer we have.
                None => break,
            }
        }
        Some(current.span())
    }

    /// Fills the location and excerpt of `diagnostic` from its span, or failing that from its path.
    pub fn locate(&self, diagnostic: &mut Diagnostic) {
        if diagnostic.span.is_none() {
            if let Some(path) = &diagnostic.path {
                diagnostic.span = self.span_of(path);
            }
        }
        if let Some(span) = diagnostic.span.clone() {
            diagnostic.location = Some(self.location(span.start));
            diagnostic.excerpt = Some(self.excerpt(span));
        }
    }

    fn excerpt(&self, span: Range<usize>) -> Excerpt {
        let start = self.clamp(span.start);
        let end = self.clamp(span.end.max(span.start));
        let line_start = self.line_starts[self
            .line_starts
            .partition_point(|s| *s <= start)
            .saturating_sub(1)];
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let caret_offset = self.text[line_start..start].chars().count();
        let caret_len = self.text[start..end.min(line_end).max(start)]
            .chars()
            .count();
        let chars: Vec<char> = line_text.chars().collect();
        let (text, caret_offset) = if chars.len() <= EXCERPT_WIDTH {
            (line_text.to_string(), caret_offset)
        } else {
            let from = caret_offset.saturating_sub(EXCERPT_WIDTH / 2);
            let to = (from + EXCERPT_WIDTH).min(chars.len());
            let mut shown = String::new();
            if from > 0 {
                shown.push('…');
            }
            shown.extend(&chars[from..to]);
            if to < chars.len() {
                shown.push('…');
            }
            (shown, caret_offset - from + usize::from(from > 0))
        };
        let room = text.chars().count().saturating_sub(caret_offset).max(1);
        Excerpt {
            line: self.location(start).line,
            text,
            caret_offset,
            caret_len: caret_len.clamp(1, room),
        }
    }

    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}
