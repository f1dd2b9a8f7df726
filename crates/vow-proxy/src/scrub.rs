//! What leaves and what comes back: the personal data in a request that the policy does not declare
//! for the processor is replaced by pseudonyms (or counted, to refuse the request), and the
//! pseudonyms in the answer are turned back into the values they stand for.
//!
//! The key behind the pseudonyms is random and lives only as long as one request, with the map from
//! pseudonym to value: the same value becomes the same pseudonym everywhere in the request (a whole
//! conversation, as the APIs resend it), and nothing about it survives the request.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde_json::Value;
use vow_pii::{Entity, Key, Operator, Redactor, Scanner};

/// What to do with a kind the processor is not declared for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUndeclared {
    /// Replace it by a consistent, format-valid pseudonym, restored in the answer.
    Pseudonymise,
    /// Refuse the whole request (422), naming the kinds.
    Refuse,
}

/// Keys whose string values are structure, not text anyone wrote: never scanned. Everything else
/// that is a string is, wherever it is (messages, content parts, system prompts, tool results,
/// function arguments, tool descriptions, embedding inputs, `instructions`, `metadata`): what leaves
/// is scanned, not only what the model reads.
const STRUCTURAL_KEYS: &[&str] = &[
    "model",
    "role",
    "type",
    "id",
    "tool_call_id",
    "call_id",
    "tool_use_id",
    "item_id",
    "previous_response_id",
    "encoding_format",
    "media_type",
    "detail",
    "service_tier",
    "reasoning_effort",
    "tool_choice",
    "truncation",
    // Base64 payloads (images, files): scanning them would corrupt them and find noise.
    "data",
    "file_data",
    "image_url",
    "signature",
];

/// One request's scrubbing: the scanner's findings of undeclared kinds, replaced or counted.
pub struct Scrubber<'a> {
    scanner: &'a Scanner,
    declared: &'a [Entity],
    mode: OnUndeclared,
    redactor: Redactor,
    /// Pseudonym → the value it replaced.
    map: HashMap<String, String>,
    /// Values found, per kind (replaced or, when refusing, to be refused).
    counts: BTreeMap<Entity, u64>,
}

impl<'a> Scrubber<'a> {
    /// A scrubber with a fresh random key.
    pub fn new(
        scanner: &'a Scanner,
        declared: &'a [Entity],
        mode: OnUndeclared,
    ) -> Result<Scrubber<'a>, getrandom::Error> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)?;
        // Hex, because key material loses trailing whitespace bytes (it is read from files).
        let mut material: Vec<u8> = random
            .iter()
            .flat_map(|b| {
                let hex = b"0123456789abcdef";
                [hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]
            })
            .collect();
        let key = Key::from_material(&material);
        random.fill(0);
        material.fill(0);
        let mut redactor = Redactor::new(Operator::Pseudonymize);
        if let Ok(key) = key {
            redactor = redactor.with_key(key);
        }
        Ok(Scrubber {
            scanner,
            declared,
            mode,
            redactor,
            map: HashMap::new(),
            counts: BTreeMap::new(),
        })
    }

    /// The kinds found and how many values of each.
    pub fn counts(&self) -> &BTreeMap<Entity, u64> {
        &self.counts
    }

    /// The restorer for the answer.
    pub fn restorer(self) -> Restorer {
        Restorer::new(self.map)
    }

    /// Scrubs every string of a request body that is not structure.
    pub fn scrub_json(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let Some(new) = self.scrub_embedded_json(text) {
                    *text = new;
                } else if let Some(new) = self.scrub_text(text) {
                    *text = new;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(fields) => {
                for (key, v) in fields.iter_mut() {
                    if STRUCTURAL_KEYS.contains(&key.as_str()) && !v.is_array() && !v.is_object() {
                        continue;
                    }
                    // `image_url` may be an object ({"url": "data:…"}); a data URL is skipped below.
                    self.scrub_json(v);
                }
            }
            _ => {}
        }
    }

    /// A string that is itself JSON (a tool call's `arguments`), scrubbed as JSON: its strings may
    /// spell Hangul as `\uXXXX` escapes (Python's `json.dumps` does), which the scanner would not read.
    /// `None` when it is not JSON or nothing in it was found.
    fn scrub_embedded_json(&mut self, text: &str) -> Option<String> {
        let trimmed = text.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) || !text.contains("\\u") {
            return None;
        }
        let mut inner: Value = serde_json::from_str(text).ok()?;
        let before: u64 = self.counts.values().sum();
        self.scrub_json(&mut inner);
        let after: u64 = self.counts.values().sum();
        if after == before {
            return None;
        }
        if self.mode == OnUndeclared::Refuse {
            return None;
        }
        Some(inner.to_string())
    }

    /// The text with undeclared kinds replaced, or `None` when nothing was (or, refusing, when
    /// nothing was found).
    pub fn scrub_text(&mut self, text: &str) -> Option<String> {
        if text.starts_with("data:") {
            return None;
        }
        let findings = self.scanner.scan(text.as_bytes());
        let mut out: Vec<u8> = Vec::new();
        let mut at = 0;
        let bytes = text.as_bytes();
        for f in findings {
            if self.declared.contains(&f.entity) || f.start < at || f.end > bytes.len() {
                continue;
            }
            *self.counts.entry(f.entity).or_default() += 1;
            if self.mode == OnUndeclared::Refuse {
                continue;
            }
            let value = &bytes[f.start..f.end];
            let mut fake = Vec::new();
            self.redactor.replace(f.entity, value, &mut fake);
            let (Ok(fake), Ok(original)) = (String::from_utf8(fake), std::str::from_utf8(value))
            else {
                // A finding cut inside a character: replace by the kind's tag, which is never restored.
                out.extend_from_slice(&bytes[at..f.start]);
                out.extend_from_slice(format!("<{}>", f.entity.as_str()).as_bytes());
                at = f.end;
                continue;
            };
            out.extend_from_slice(&bytes[at..f.start]);
            out.extend_from_slice(fake.as_bytes());
            at = f.end;
            if fake != original {
                // The first spelling of a value is the one restored.
                self.map.entry(fake).or_insert_with(|| original.to_string());
            }
        }
        if at == 0 {
            return None;
        }
        out.extend_from_slice(&bytes[at..]);
        Some(
            String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }
}

/// Turns pseudonyms back into values: whole strings at once, or fragments of a streamed one.
pub struct Restorer {
    finder: Option<AhoCorasick>,
    pseudonyms: Vec<String>,
    originals: Vec<String>,
    longest: usize,
}

impl std::fmt::Debug for Restorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        write!(f, "Restorer({} pseudonyms)", self.pseudonyms.len())
    }
}

impl Restorer {
    /// A restorer for `map` (pseudonym → value).
    pub fn new(map: HashMap<String, String>) -> Restorer {
        let (pseudonyms, originals): (Vec<String>, Vec<String>) = map.into_iter().unzip();
        let longest = pseudonyms.iter().map(String::len).max().unwrap_or(0);
        let finder = if pseudonyms.is_empty() {
            None
        } else {
            // A contiguous NFA: built in microseconds for a request's few pseudonyms, where a DFA
            // would cost more to build than every search in the answer together.
            AhoCorasickBuilder::new()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .match_kind(MatchKind::LeftmostLongest)
                .build(&pseudonyms)
                .ok()
        };
        Restorer {
            finder,
            pseudonyms,
            originals,
            longest,
        }
    }

    /// Whether there is nothing to restore.
    pub fn is_empty(&self) -> bool {
        self.finder.is_none()
    }

    /// The text with every pseudonym replaced by its value.
    pub fn restore<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(finder) = &self.finder else {
            return Cow::Borrowed(text);
        };
        let mut out = String::new();
        let mut at = 0;
        for m in finder.find_iter(text) {
            out.push_str(&text[at..m.start()]);
            out.push_str(&self.originals[m.pattern().as_usize()]);
            at = m.end();
        }
        if at == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    /// Restores every string in a JSON value.
    pub fn restore_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(text) => {
                if let Cow::Owned(new) = self.restore(text) {
                    *text = new;
                } else if text.contains("\\u") {
                    // JSON inside a string, with pseudonyms spelt as `\uXXXX` escapes.
                    let trimmed = text.trim_start();
                    if trimmed.starts_with('{') || trimmed.starts_with('[') {
                        if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                            let before = inner.clone();
                            self.restore_json(&mut inner);
                            if inner != before {
                                *text = inner.to_string();
                            }
                        }
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.restore_json(v)),
            Value::Object(fields) => fields.values_mut().for_each(|v| self.restore_json(v)),
            _ => {}
        }
    }

    /// The earliest position at or after `from` where the rest of `text` could still grow into a
    /// pseudonym (is a proper prefix of one); `text.len()` when none.
    fn held_from(&self, text: &str, from: usize) -> usize {
        let start = from.max(text.len().saturating_sub(self.longest.saturating_sub(1)));
        for p in start..text.len() {
            if !text.is_char_boundary(p) {
                continue;
            }
            let tail = &text[p..];
            if self
                .pseudonyms
                .iter()
                .any(|ps| ps.len() > tail.len() && ps.starts_with(tail))
            {
                return p;
            }
        }
        text.len()
    }

    /// Splits streamed text into what can be released now, restored, and what must wait because it
    /// could still be the start of a pseudonym.
    fn release(&self, text: &str) -> (String, usize) {
        let Some(finder) = &self.finder else {
            return (text.to_string(), text.len());
        };
        let matches: Vec<(usize, usize)> = finder
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut held = self.held_from(text, 0);
        while let Some(&(_, end)) = matches.iter().find(|(s, e)| *s < held && *e > held) {
            held = self.held_from(text, end);
        }
        (self.restore(&text[..held]).into_owned(), held)
    }
}

/// One streamed string (a message's text, a tool call's arguments) restored as it arrives.
#[derive(Debug, Default)]
pub struct StreamText {
    held: String,
}

impl StreamText {
    /// Takes the next fragment; returns what can be shown now, restored.
    pub fn push(&mut self, restorer: &Restorer, fragment: &str) -> String {
        if restorer.is_empty() {
            return fragment.to_string();
        }
        self.held.push_str(fragment);
        let (out, held) = restorer.release(&self.held);
        self.held.drain(..held);
        out
    }

    /// The end of the string: what was held back, with any whole pseudonym in it restored and a
    /// fragment of one released as it is.
    pub fn finish(&mut self, restorer: &Restorer) -> String {
        let held = std::mem::take(&mut self.held);
        restorer.restore(&held).into_owned()
    }

    /// Whether something is held back.
    pub fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn restorer(pairs: &[(&str, &str)]) -> Restorer {
        Restorer::new(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_pseudonym_split_across_fragments_is_restored_and_the_rest_flows() {
        let r = restorer(&[
            ("010-9876-5432", "010-1234-5678"),
            ("user@x.com", "kim@y.com"),
        ]);
        let mut s = StreamText::default();
        let mut out = String::new();
        for piece in [
            "Call 0",
            "10-98",
            "76-5432 or",
            " mail use",
            "r@x.com now 01",
        ] {
            let released = s.push(&r, piece);
            out.push_str(&released);
        }
        // "01" could start a pseudonym: held back, then released unchanged at the end.
        assert_eq!(out, "Call 010-1234-5678 or mail kim@y.com now ");
        assert_eq!(s.finish(&r), "01");
    }

    #[test]
    fn hangul_escaped_inside_tool_arguments_is_found_and_restored() {
        let scanner = Scanner::new();
        let mut scrubber = Scrubber::new(&scanner, &[], OnUndeclared::Pseudonymise).unwrap();
        // {"address": "서울특별시 강남구 테헤란로 152"} as Python's json.dumps writes it.
        let escaped = r#"{"address": "\uc11c\uc6b8\ud2b9\ubcc4\uc2dc \uac15\ub0a8\uad6c \ud14c\ud5e4\ub780\ub85c 152"}"#;
        let mut body = serde_json::json!({"messages": [{"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": escaped}}]}]});
        scrubber.scrub_json(&mut body);
        let sent = body.to_string();
        assert!(
            !sent.contains("테헤란로 152") && !sent.contains("\\ud14c"),
            "{sent}"
        );
        assert_eq!(scrubber.counts().get(&Entity::Address), Some(&1));
        let restorer = scrubber.restorer();
        let args = body
            .pointer("/messages/0/tool_calls/0/function/arguments")
            .unwrap()
            .as_str()
            .unwrap();
        // The model answers with the pseudonym spelt in escapes too.
        let ascii: String = args
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("\\u{:04x}", c as u32)
                }
            })
            .collect();
        let mut answer = serde_json::json!({ "arguments": ascii });
        restorer.restore_json(&mut answer);
        assert!(answer.to_string().contains("테헤란로 152"));
    }

    #[test]
    fn text_that_cannot_start_a_pseudonym_is_released_at_once() {
        let r = restorer(&[("010-9876-5432", "010-1234-5678")]);
        let mut s = StreamText::default();
        assert_eq!(s.push(&r, "hello "), "hello ");
        assert_eq!(s.push(&r, "0"), "");
        assert_eq!(s.push(&r, "x"), "0x");
        assert!(!s.is_holding());
    }

    #[test]
    fn every_cut_of_a_text_restores_the_same() {
        let r = restorer(&[
            ("AB-12", "real-one"),
            ("AB-123", "real-two"),
            ("홍길동", "김철수"),
        ]);
        let text = "x AB-12 y AB-123 z 홍길동 AB-1";
        let whole = r.restore(text).into_owned();
        for size in 1..8 {
            let mut s = StreamText::default();
            let mut out = String::new();
            let chars: Vec<char> = text.chars().collect();
            for chunk in chars.chunks(size) {
                out.push_str(&s.push(&r, &chunk.iter().collect::<String>()));
            }
            out.push_str(&s.finish(&r));
            assert_eq!(out, whole, "chunk size {size}");
        }
    }
}
