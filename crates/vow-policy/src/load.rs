//! Reading a policy file: bytes in, a [`Policy`] or an error that says where and why.

use std::io::Read;
use std::path::Path;

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::Policy;

/// The largest policy file vow reads, in bytes. Real policies are tens of kilobytes; anything near this is
/// not a policy, and refusing it early keeps a hostile file from costing memory or time.
pub const MAX_POLICY_BYTES: u64 = 5_000_000;

/// Why a policy file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {origin}: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_POLICY_BYTES`]; it was not parsed.
    #[error("{origin}: policy file is {}; the limit is {}", megabytes(*.bytes), megabytes(*.limit))]
    TooLarge {
        origin: String,
        bytes: u64,
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error(
        "{origin}:{line}:{column}: the file is not UTF-8 text (invalid byte at offset {offset}); \
         save it as UTF-8"
    )]
    NotUtf8 {
        origin: String,
        offset: usize,
        line: usize,
        column: usize,
    },
    /// The file is not valid TOML, or does not have the structure of a policy file. Every problem of
    /// structure is listed (a missing field, an unknown field, a value of the wrong type), in file order;
    /// a syntax error stops the reading, so it comes alone.
    #[error("{}", render_all(.diagnostics, .origin))]
    Invalid {
        origin: String,
        diagnostics: Vec<Diagnostic>,
    },
}

fn render_all(diagnostics: &[Diagnostic], origin: &str) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(origin).trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl LoadError {
    /// Every problem as a diagnostic (with position when there is one), for reports that list errors.
    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            LoadError::Invalid { diagnostics, .. } => diagnostics.clone(),
            other => vec![other.to_diagnostic()],
        }
    }

    /// The first problem as a diagnostic (with position when there is one).
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            LoadError::Invalid { diagnostics, .. } => diagnostics
                .first()
                .cloned()
                .unwrap_or_else(|| Diagnostic::error("the file is not a valid policy")),
            LoadError::NotUtf8 {
                offset,
                line,
                column,
                ..
            } => {
                let mut d = Diagnostic::error(format!(
                    "the file is not UTF-8 text (invalid byte at offset {offset})"
                ))
                .with_help("save the file as UTF-8");
                d.location = Some(crate::diagnostic::Location {
                    line: *line,
                    column: *column,
                });
                d
            }
            LoadError::Io { source, .. } => {
                Diagnostic::error(format!("cannot read the file: {source}"))
            }
            LoadError::TooLarge { bytes, limit, .. } => Diagnostic::error(format!(
                "policy file is {}; the limit is {}",
                megabytes(*bytes),
                megabytes(*limit)
            )),
        }
    }
}

fn megabytes(bytes: u64) -> String {
    // One decimal is enough to tell a user how far over the limit a file is; the cast loses nothing that matters.
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB")
}

/// Reads and parses the policy file at `path`. A file over [`MAX_POLICY_BYTES`] is refused before it is read.
pub fn load(path: &Path) -> Result<Policy, LoadError> {
    let origin = path.display().to_string();
    let bytes = read_limited(path)?;
    parse(&bytes, &origin)
}

/// Reads at most [`MAX_POLICY_BYTES`] of `path`, refusing larger files without reading them.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    let origin = path.display().to_string();
    let io = |source| LoadError::Io {
        origin: origin.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_POLICY_BYTES {
        return Err(LoadError::TooLarge {
            origin,
            bytes: size,
            limit: MAX_POLICY_BYTES,
        });
    }
    let mut bytes = Vec::new();
    // A file that grows while we read it (or a pipe, whose metadata says 0) is still cut off at the limit.
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(LoadError::TooLarge {
            origin,
            bytes: bytes.len() as u64,
            limit: MAX_POLICY_BYTES,
        });
    }
    Ok(bytes)
}

/// Parses a policy from the bytes of a file. `origin` names the file in messages.
///
/// Checks size, encoding, TOML syntax and the structure of the model (field names, types, dates, periods).
/// References between sections are checked by [`crate::validate`].
pub fn parse(source: &[u8], origin: &str) -> Result<Policy, LoadError> {
    let text = decode(source, origin)?;
    from_text(text).map_err(|diagnostics| LoadError::Invalid {
        origin: origin.to_string(),
        diagnostics,
    })
}

/// Checks the size and the encoding, returning the text.
pub(crate) fn decode<'a>(source: &'a [u8], origin: &str) -> Result<&'a str, LoadError> {
    if source.len() as u64 > MAX_POLICY_BYTES {
        return Err(LoadError::TooLarge {
            origin: origin.to_string(),
            bytes: source.len() as u64,
            limit: MAX_POLICY_BYTES,
        });
    }
    std::str::from_utf8(source).map_err(|err| {
        let offset = err.valid_up_to();
        // The prefix up to `valid_up_to` is valid UTF-8 by definition.
        let valid = std::str::from_utf8(&source[..offset]).unwrap_or_default();
        let location = SourceMap::offsets_only(valid).location(offset);
        LoadError::NotUtf8 {
            origin: origin.to_string(),
            offset,
            line: location.line,
            column: location.column,
        }
    })
}

/// Parses TOML text into a policy; the errors are located diagnostics, every problem of structure at once.
pub(crate) fn from_text(text: &str) -> Result<Policy, Vec<Diagnostic>> {
    if text.trim().is_empty() {
        let mut d = Diagnostic::error("the file is empty: a policy file needs a `[policy]` table")
            .with_help(
                "start with `[policy]` (format, service, version, effective); \
                 `vow init` writes a commented starter",
            );
        d.span = Some(0..0);
        SourceMap::offsets_only(text).locate(&mut d);
        return Err(vec![d]);
    }
    let policy = match toml::from_str::<Policy>(text) {
        Ok(policy) => policy,
        Err(err) => return Err(structure_errors(text, &err)),
    };
    if let Some(mut d) = oversized_list(&policy) {
        crate::diagnostic::SourceMap::new(text).locate(&mut d);
        return Err(vec![d]);
    }
    Ok(policy)
}

/// Every problem of structure in a file serde refused. serde stops at its first error; the schema walk
/// ([`crate::schema::check_structure`]) finds them all. serde's own error is kept when the walk found
/// nothing at its place (a syntax error, or a rule only the model knows).
fn structure_errors(text: &str, err: &toml::de::Error) -> Vec<Diagnostic> {
    let mut all = crate::schema::check_structure(text);
    let first = toml_diagnostic(text, err);
    let covered = match &first.span {
        Some(span) => all.iter().any(|d| {
            d.span
                .as_ref()
                .is_some_and(|s| s.start <= span.end && span.start <= s.end)
        }),
        None => !all.is_empty(),
    };
    if !covered {
        let at = first.span.as_ref().map_or(0, |s| s.start);
        let position = all
            .iter()
            .position(|d| d.span.as_ref().is_some_and(|s| s.start > at))
            .unwrap_or(all.len());
        all.insert(position, first);
    }
    all
}

/// The most entries any one list in a policy may have. Real policies have tens of categories; the limit keeps
/// checks that compare entries with each other fast on hostile input.
pub const MAX_LIST_ENTRIES: usize = 2_000;

/// The first list (a section such as `[[category]]`, or a list of keys inside one) longer than
/// [`MAX_LIST_ENTRIES`].
fn oversized_list(policy: &Policy) -> Option<Diagnostic> {
    fn walk(
        value: &serde_json::Value,
        path: &mut Vec<crate::diagnostic::PathSegment>,
    ) -> Option<Diagnostic> {
        use crate::diagnostic::{DocPath, PathSegment};
        match value {
            serde_json::Value::Array(items) => {
                if items.len() > MAX_LIST_ENTRIES {
                    let doc_path = DocPath(path.clone());
                    return Some(
                        Diagnostic::error(format!(
                            "`{doc_path}` has {} entries; the limit is {MAX_LIST_ENTRIES}",
                            items.len()
                        ))
                        .at(doc_path),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSegment::Index(i));
                    let found = walk(item, path);
                    path.pop();
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    path.push(PathSegment::Key(key.clone()));
                    let found = walk(item, path);
                    path.pop();
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            _ => None,
        }
    }
    let value = serde_json::to_value(policy).ok()?;
    walk(&value, &mut Vec::new())
}

/// Turns a `toml` error into a diagnostic with position, excerpt and, for misspelt names, a suggestion.
fn toml_diagnostic(text: &str, err: &toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_string();
    let mut d = Diagnostic::error(message.clone());
    d.span = err.span();
    if let Some(missing) = quoted_after(&message, "missing field ") {
        if missing == "policy" {
            d.message = "the file has no `[policy]` table".to_string();
            d.help = Some(
                "a policy file starts with `[policy]` (format, service, version, effective); \
                 `vow init` writes a commented starter"
                    .to_string(),
            );
        } else {
            d.help = Some(format!("add `{missing} = ...` to this table"));
        }
    }
    for prefix in ["unknown field ", "unknown variant "] {
        if let Some(unknown) = quoted_after(&message, prefix) {
            let expected = expected_names(&message);
            if let Some(best) = closest(unknown, &expected) {
                d.help = Some(format!("did you mean `{best}`?"));
            }
        }
    }
    if message == "duplicate key" {
        d.message = "duplicate key: this key is already set in this table".to_string();
        d.help = Some("remove one of the two, or rename it".to_string());
    }
    SourceMap::offsets_only(text).locate(&mut d);
    d
}

/// The backquoted name right after `prefix` in `message`: "unknown field `nmae`, ..." → `nmae`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// The backquoted names after "expected" in a serde message: "expected one of `a`, `b`" → [a, b].
fn expected_names(message: &str) -> Vec<&str> {
    let Some((_, tail)) = message.split_once("expected") else {
        return Vec::new();
    };
    tail.split('`').skip(1).step_by(2).collect()
}

/// The candidate closest to `word`, when it is close enough to be a likely misspelling.
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(distance, c)| {
            *distance <= 2.max(c.chars().count() / 3) && *distance < c.chars().count()
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
        .or_else(|| {
            // A missing or extra segment (`user.email` for `user.contact.email`) is far in edit distance but
            // obvious to a reader: fall back to a good Jaro-Winkler score.
            candidates
                .iter()
                .map(|c| (strsim::jaro_winkler(word, c), *c))
                .filter(|(score, _)| *score >= 0.88)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c)
        })
}
