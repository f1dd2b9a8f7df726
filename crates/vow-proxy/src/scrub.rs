//! What leaves and what comes back: the personal data in a request that the policy does not declare
//! for the processor is replaced by pseudonyms (or counted, to refuse the request), and the
//! pseudonyms in the answer are turned back into the values they stand for.
//!
//! Every string the provider will read is scrubbed, wherever it is: values and object keys, `name`s
//! and ids; and what is encoded in it, as the provider could decode it (`data:` URLs, base64,
//! percent-encoding). Content the proxy cannot read inside — images, audio, video, documents — is left
//! as it is and counted, for the caller to pass or refuse as the policy declares.
//!
//! The key behind the pseudonyms is random and lives only as long as one request, with the map from
//! pseudonym to value: the same value becomes the same pseudonym everywhere in the request (a whole
//! conversation, as the APIs resend it), and nothing about it survives the request.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde_json::Value;
use vow_pii::{Entity, Finding, Key, Operator, Redactor, Scanner};

use crate::codec::{self, Label};
use crate::kinds::Media;

/// What to do with a kind the processor is not declared for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUndeclared {
    /// Replace it by a consistent, format-valid pseudonym, restored in the answer.
    Pseudonymise,
    /// Refuse the whole request (422), naming the kinds.
    Refuse,
}

/// How many encodings deep the proxy reads (base64 in a percent-encoded `data:` URL is two).
const MAX_DEPTH: u8 = 3;
/// Characters of a base64 payload decoded to recognise its format before decoding it whole.
const SNIFF_CHARS: usize = 64;

/// Words of the APIs themselves — keys (`role`, `content`) and values (`user`, `input_text`): exactly
/// these strings hold no personal data, so they are not scanned. Anything else is, wherever it is:
/// a structural key (`id`, `model`, `name`) is no hiding place for a value that is not structure.
fn is_vocabulary(word: &str) -> bool {
    matches!(
        word,
        "model"
            | "messages"
            | "role"
            | "content"
            | "type"
            | "text"
            | "name"
            | "id"
            | "tool_calls"
            | "tool_call_id"
            | "function"
            | "arguments"
            | "stream"
            | "stream_options"
            | "include_usage"
            | "temperature"
            | "max_tokens"
            | "max_completion_tokens"
            | "max_output_tokens"
            | "top_p"
            | "top_k"
            | "n"
            | "stop"
            | "stop_sequences"
            | "presence_penalty"
            | "frequency_penalty"
            | "logit_bias"
            | "logprobs"
            | "top_logprobs"
            | "seed"
            | "user"
            | "tools"
            | "tool_choice"
            | "parallel_tool_calls"
            | "parameters"
            | "description"
            | "properties"
            | "required"
            | "items"
            | "enum"
            | "strict"
            | "additionalProperties"
            | "response_format"
            | "json_schema"
            | "schema"
            | "image_url"
            | "url"
            | "detail"
            | "input_audio"
            | "data"
            | "format"
            | "file"
            | "file_data"
            | "file_id"
            | "file_url"
            | "filename"
            | "input"
            | "instructions"
            | "metadata"
            | "system"
            | "source"
            | "media_type"
            | "tool_use_id"
            | "is_error"
            | "cache_control"
            | "encoding_format"
            | "dimensions"
            | "previous_response_id"
            | "store"
            | "reasoning"
            | "effort"
            | "summary"
            | "call_id"
            | "output"
            | "status"
            | "item_id"
            | "input_schema"
            | "thinking"
            | "budget_tokens"
            | "signature"
            | "service_tier"
            | "truncation"
            | "modalities"
            | "audio"
            | "voice"
            | "refusal"
            | "annotations"
            | "citations"
            | "title"
            | "context"
            | "include"
            | "background"
            | "prompt_cache_key"
            | "safety_identifier"
            | "developer"
            | "assistant"
            | "tool"
            | "input_text"
            | "input_image"
            | "input_file"
            | "output_text"
            | "message"
            | "function_call"
            | "function_call_output"
            | "tool_use"
            | "tool_result"
            | "image"
            | "document"
            | "base64"
            | "auto"
            | "none"
            | "any"
            | "low"
            | "high"
            | "medium"
            | "minimal"
            | "json_object"
            | "float"
            | "object"
            | "string"
            | "integer"
            | "number"
            | "boolean"
            | "array"
            | "null"
            | "ephemeral"
            | "enabled"
            | "disabled"
            | "completed"
            | "in_progress"
            | "incomplete"
            | "wav"
            | "mp3"
            | "default"
            | "flex"
            | "priority"
            | "disabled_auto"
    )
}

/// The kind of unreadable content a content part of the APIs carries, by its `type`: OpenAI's
/// `image_url`, `input_audio`, `file` (chat) and `input_image`, `input_file` (responses); Anthropic's
/// `image` and `document`.
fn part_media(part_type: &str) -> Option<Media> {
    match part_type {
        "image_url" | "input_image" | "image" => Some(Media::Image),
        "input_audio" => Some(Media::Audio),
        "file" | "input_file" | "document" => Some(Media::Document),
        _ => None,
    }
}

/// Where a string is, as far as reading it goes.
#[derive(Clone, Copy, Debug, Default)]
struct Place {
    /// Inside a content part of this kind.
    part: Option<Media>,
    /// A payload (`data`, `file_data`): read whole under this label when it is one base64 run.
    label: Option<Label>,
    /// The part's content given by reference (a URL, a file the provider holds): that kind of
    /// content, which the proxy cannot read.
    reference: bool,
}

/// One request's scrubbing: the scanner's findings of undeclared kinds, replaced or counted, in every
/// string of the body (values and keys), and in what is encoded in them (`data:` URLs, base64,
/// percent-encoding); and the content it cannot read inside (images, audio, documents), counted for
/// the caller to pass or refuse as the policy declares.
pub struct Scrubber<'a> {
    scanner: &'a Scanner,
    declared: &'a [Entity],
    mode: OnUndeclared,
    redactor: Redactor,
    /// Pseudonym → the value it replaced.
    map: HashMap<String, String>,
    /// Values found, per kind (replaced or, when refusing, to be refused).
    counts: BTreeMap<Entity, u64>,
    /// Parts the proxy cannot read inside, per kind.
    media: BTreeMap<Media, u64>,
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
            media: BTreeMap::new(),
        })
    }

    /// The kinds found and how many values of each.
    pub fn counts(&self) -> &BTreeMap<Entity, u64> {
        &self.counts
    }

    /// The parts found that the proxy cannot read inside (images, audio, video, documents), per kind:
    /// left as they are, for the caller to pass or refuse.
    pub fn media(&self) -> &BTreeMap<Media, u64> {
        &self.media
    }

    /// The restorer for the answer.
    pub fn restorer(self) -> Restorer {
        Restorer::new(self.map)
    }

    /// Scrubs every string of a request body: values and object keys.
    pub fn scrub_json(&mut self, value: &mut Value) {
        self.walk(value, Place::default());
    }

    fn walk(&mut self, value: &mut Value, place: Place) {
        match value {
            Value::String(text) => {
                if let Some(new) = self.scrub_value(text, place) {
                    *text = new;
                }
            }
            // A long integer is read as its digits (a resident number sent as a number).
            Value::Number(number) if number.as_u64().is_some_and(|n| n >= 100_000_000) => {
                let digits = number.to_string();
                if let Some(new) = self.scrub_text(digits.as_bytes()) {
                    let new = String::from_utf8_lossy(&new).into_owned();
                    *value = match new.parse::<u64>() {
                        Ok(n) if !new.starts_with('0') => Value::from(n),
                        _ => Value::String(new),
                    };
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v, place)),
            Value::Object(fields) => {
                let part = fields
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(part_media)
                    .or(place.part);
                let label = fields
                    .get("media_type")
                    .and_then(Value::as_str)
                    .and_then(codec::label_of)
                    .or(part.map(Label::Binary));
                let mut renamed: Vec<(String, String)> = Vec::new();
                for (key, v) in fields.iter_mut() {
                    let child = Place {
                        part,
                        label: matches!(key.as_str(), "data" | "file_data" | "b64_json")
                            .then_some(label)
                            .flatten(),
                        reference: part.is_some()
                            && matches!(key.as_str(), "url" | "image_url" | "file_url" | "file_id"),
                    };
                    self.walk(v, child);
                    if !is_vocabulary(key) {
                        if let Some(new) = self.scrub_value(key, Place::default()) {
                            renamed.push((key.clone(), new));
                        }
                    }
                }
                for (old, new) in renamed {
                    if let Some(v) = fields.remove(&old) {
                        fields.insert(new, v);
                    }
                }
            }
            _ => {}
        }
    }

    /// One string of the body (a value or a key): the replacement, if anything in it was replaced.
    fn scrub_value(&mut self, text: &str, place: Place) -> Option<String> {
        if is_vocabulary(text) {
            return None;
        }
        let bytes = text.as_bytes();
        if place.reference && codec::data_url(bytes).is_none() {
            if let Some(kind) = place.part {
                self.saw(kind);
            }
        }
        if let Some(new) = self.scrub_embedded_json(text) {
            return Some(new);
        }
        let new = self.scrub_bytes(bytes, place.label, 0)?;
        Some(
            String::from_utf8(new)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    fn saw(&mut self, kind: Media) {
        *self.media.entry(kind).or_default() += 1;
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

    /// Scrubs `text` and what is encoded in it: a `data:` URL's payload, percent-encoded pieces,
    /// base64 runs (decoded under `label` when the whole text is one). The new bytes, when anything was
    /// replaced.
    fn scrub_bytes(&mut self, text: &[u8], label: Option<Label>, depth: u8) -> Option<Vec<u8>> {
        if let Some(url) = codec::data_url(text) {
            return self.scrub_data_url(url, depth);
        }
        if depth < MAX_DEPTH && codec::is_base64(text, codec::MIN_BASE64_RUN) {
            return self.scrub_whole_run(text, label, depth);
        }
        let mut current: Option<Vec<u8>> = self.scrub_text(text);
        if depth >= MAX_DEPTH {
            return current;
        }
        // Percent-encoded pieces (a URL's query, a `data:` URL inside text), decoded and scrubbed;
        // what did not change keeps its spelling.
        let now = current.as_deref().unwrap_or(text);
        if codec::has_percent_escape(now) {
            let mut out = Vec::with_capacity(now.len());
            let mut at = 0;
            let mut changed = false;
            for (s, e) in codec::percent_segments(now) {
                let piece = &now[s..e];
                let before = codec::decode_percent(piece);
                if let Some(after) = self.scrub_bytes(&before, None, depth + 1) {
                    out.extend_from_slice(&now[at..s]);
                    out.extend_from_slice(&codec::reencode_percent(piece, &before, &after));
                    at = e;
                    changed = true;
                }
            }
            if changed {
                out.extend_from_slice(&now[at..]);
                current = Some(out);
            }
        }
        // Base64 runs: an image pasted as text is an image; text is scrubbed and encoded again.
        let now = current.as_deref().unwrap_or(text);
        let runs = codec::base64_runs(now);
        if !runs.is_empty() {
            let mut out = Vec::with_capacity(now.len());
            let mut at = 0;
            let mut changed = false;
            for (s, e) in runs {
                if let Some(new) = self.scrub_base64(&now[s..e], None, depth) {
                    out.extend_from_slice(&now[at..s]);
                    out.extend_from_slice(&new);
                    at = e;
                    changed = true;
                }
            }
            if changed {
                out.extend_from_slice(&now[at..]);
                current = Some(out);
            }
        }
        current
    }

    /// A text that is one base64 run (but for surrounding whitespace): a payload. A known binary
    /// format is that kind of content, left as it is. If it decodes to text, the text is scrubbed and
    /// encoded again; if not, the run is scanned as it is (digits and long words are base64 too), and
    /// then what it decodes to (bytes with text hidden among them).
    fn scrub_whole_run(&mut self, text: &[u8], label: Option<Label>, depth: u8) -> Option<Vec<u8>> {
        let start = text.len() - text.trim_ascii_start().len();
        let end = text.trim_ascii_end().len().max(start);
        let run = &text[start..end];
        if self.sniffed(run, label) {
            return None;
        }
        let (decoded, spelling) = codec::decode_base64(run, usize::MAX);
        if !codec::looks_like_text(&decoded) {
            if let Some(new) = self.scrub_text(text) {
                if let Some(Label::Binary(kind)) = label {
                    self.saw(kind);
                }
                return Some(new);
            }
        }
        let new = self.scrub_decoded(&decoded, spelling, label, depth)?;
        let mut out = text[..start].to_vec();
        out.extend_from_slice(&new);
        out.extend_from_slice(&text[end..]);
        Some(out)
    }

    /// A base64 run inside text: a known binary format is counted as that kind of content and left
    /// as it is; anything else is decoded and scrubbed.
    fn scrub_base64(&mut self, run: &[u8], label: Option<Label>, depth: u8) -> Option<Vec<u8>> {
        if self.sniffed(run, label) {
            return None;
        }
        let (decoded, spelling) = codec::decode_base64(run, usize::MAX);
        self.scrub_decoded(&decoded, spelling, label, depth)
    }

    /// Decoded base64: scrubbed (text, or bytes with text among them) and encoded again as it was
    /// spelt when something in it was replaced. Labelled binary and not text, it is counted as its
    /// label says too.
    fn scrub_decoded(
        &mut self,
        decoded: &[u8],
        spelling: codec::Spelling,
        label: Option<Label>,
        depth: u8,
    ) -> Option<Vec<u8>> {
        if decoded.is_empty() {
            return None;
        }
        let new = if codec::looks_like_text(decoded) {
            self.scrub_bytes(decoded, None, depth + 1)?
        } else {
            if let Some(Label::Binary(kind)) = label {
                self.saw(kind);
            }
            // Bytes: only the text a reader could pick out of them is read.
            let islands = codec::printable_islands(decoded)?;
            self.scrub_text_in(decoded, &islands)?
        };
        Some(codec::encode_base64(&new, spelling).into_bytes())
    }

    /// Whether a base64 run is a binary format the proxy knows (counted as its kind): a container
    /// that holds audio or video is what its label says.
    fn sniffed(&mut self, run: &[u8], label: Option<Label>) -> bool {
        let (head, _) = codec::decode_base64(run, SNIFF_CHARS);
        let Some((kind, ambiguous)) = codec::sniff(&head) else {
            return false;
        };
        let kind = match label {
            Some(Label::Binary(l @ (Media::Audio | Media::Video))) if ambiguous => l,
            _ => kind,
        };
        self.saw(kind);
        true
    }

    /// A `data:` URL: its header scanned as text, its payload decoded and read by its media type
    /// (text types scrubbed; binary formats counted as their kind).
    fn scrub_data_url(&mut self, url: codec::DataUrl<'_>, depth: u8) -> Option<Vec<u8>> {
        let label = codec::label_of(&url.media_type).unwrap_or(Label::Text);
        let header = self.scrub_text(url.header);
        let payload = if depth >= MAX_DEPTH {
            self.scrub_text(url.payload)
        } else if url.base64 {
            let raw: Cow<'_, [u8]> = if codec::has_percent_escape(url.payload) {
                Cow::Owned(codec::decode_percent(url.payload))
            } else {
                Cow::Borrowed(url.payload)
            };
            if codec::is_base64(&raw, 1) {
                self.scrub_whole_run(&raw, Some(label), depth)
            } else {
                // Not base64 after all: read as it is.
                self.scrub_bytes(&raw, None, depth + 1)
            }
        } else {
            let decoded = codec::decode_percent(url.payload);
            if let Some((kind, _)) = codec::sniff(&decoded) {
                self.saw(kind);
                None
            } else {
                if let Label::Binary(kind) = label {
                    if !codec::looks_like_text(&decoded) {
                        self.saw(kind);
                    }
                }
                self.scrub_bytes(&decoded, None, depth + 1)
                    .map(|after| codec::reencode_percent(url.payload, &decoded, &after))
            }
        };
        if header.is_none() && payload.is_none() {
            return None;
        }
        let mut out = header.unwrap_or_else(|| url.header.to_vec());
        out.push(b',');
        out.extend_from_slice(payload.as_deref().unwrap_or(url.payload));
        Some(out)
    }

    /// The text with undeclared kinds replaced, or `None` when nothing was (or, refusing, when
    /// nothing was found). A value glued to a word (`kim_minsu_01077773141`) is found too: the text is
    /// scanned again with those joints made spaces, byte for byte.
    fn scrub_text(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.scrub_text_in(bytes, bytes)
    }

    /// [`Scrubber::scrub_text`] of `bytes`, finding values in `view` (as long, equal where it is read).
    fn scrub_text_in(&mut self, bytes: &[u8], view: &[u8]) -> Option<Vec<u8>> {
        let mut findings = self.scanner.scan(view);
        if let Some(separated) = separated(view) {
            let more = self.scanner.scan(&separated);
            if !more.is_empty() {
                findings = merge(findings, more);
            }
        }
        let mut out: Vec<u8> = Vec::new();
        let mut at = 0;
        for f in findings {
            if self.declared.contains(&f.entity) || f.start < at || f.end > bytes.len() {
                continue;
            }
            let value = &bytes[f.start..f.end];
            let original = std::str::from_utf8(value);
            // A pseudonym this request already made (found again in a decoded form): not a value.
            if original.is_ok_and(|v| self.map.contains_key(v)) {
                continue;
            }
            *self.counts.entry(f.entity).or_default() += 1;
            if self.mode == OnUndeclared::Refuse {
                continue;
            }
            let mut fake = Vec::new();
            self.redactor.replace(f.entity, value, &mut fake);
            let (Ok(fake), Ok(original)) = (String::from_utf8(fake), original) else {
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
        Some(out)
    }
}

/// `text` with the joints that glue a value to a word made spaces, byte for byte (so offsets stay):
/// `_` (`kim_minsu_01077773141`); `+` before a `0` (no country code starts with 0, so it is not a
/// number's international prefix); an escape of JSON or code text (`\n900101-1234568` in a tool
/// call's arguments). `None` when there is none.
///
/// A letter against a digit is no joint here: random ids (hex above all) are letters and digits side
/// by side, and their digit runs would read as phone numbers.
fn separated(text: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < text.len() {
        let width = match (text[i], text.get(i + 1)) {
            (b'_', _) | (b'+', Some(b'0')) => 1,
            (b'\\', Some(b'n' | b'r' | b't' | b'b' | b'f' | b'"' | b'/' | b'\\')) => 2,
            _ => 0,
        };
        if width > 0 {
            out.get_or_insert_with(|| text.to_vec())[i..i + width].fill(b' ');
        }
        i += width.max(1);
    }
    out
}

/// Findings of two scans of one text, as one sorted list without overlaps: overlapping findings become
/// one span, named by the longer.
fn merge(mut findings: Vec<Finding>, more: Vec<Finding>) -> Vec<Finding> {
    findings.extend(more);
    findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        if let Some(last) = out.last_mut() {
            if f.start < last.end {
                if f.end > last.end {
                    if f.end - f.start > last.end - last.start {
                        last.entity = f.entity;
                    }
                    last.end = f.end;
                }
                continue;
            }
        }
        out.push(f);
    }
    out
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

    fn scrub(body: &mut Value) -> (BTreeMap<Entity, u64>, BTreeMap<Media, u64>, Restorer) {
        let scanner = Scanner::new();
        let mut scrubber = Scrubber::new(&scanner, &[], OnUndeclared::Pseudonymise).unwrap();
        scrubber.scrub_json(body);
        (
            scrubber.counts().clone(),
            scrubber.media().clone(),
            scrubber.restorer(),
        )
    }

    #[test]
    fn a_value_and_its_encoded_copies_become_one_pseudonym_restored_to_the_value() {
        let encoded = codec::encode_base64(b"call 010-7777-3141", codec::Spelling::STANDARD);
        let mut body = serde_json::json!({
            "plain": "010-7777-3141",
            "url": format!("data:text/plain;base64,{encoded}"),
            "query": "https://x.example/?tel=010%2D7777%2D3141&lang=ko",
        });
        let (counts, media, restorer) = scrub(&mut body);
        assert_eq!(counts.get(&Entity::KrPhone), Some(&3));
        assert!(media.is_empty());
        let fake = body["plain"].as_str().unwrap().to_string();
        assert_ne!(fake, "010-7777-3141");
        let url = body["url"].as_str().unwrap();
        let (decoded, _) = codec::decode_base64(
            url.trim_start_matches("data:text/plain;base64,").as_bytes(),
            usize::MAX,
        );
        assert_eq!(String::from_utf8(decoded).unwrap(), format!("call {fake}"));
        let query = body["query"].as_str().unwrap();
        // What did not change keeps its spelling.
        assert!(
            query.starts_with("https://x.example/?tel=") && query.ends_with("&lang=ko"),
            "{query}"
        );
        assert_eq!(
            String::from_utf8(codec::decode_percent(query.as_bytes())).unwrap(),
            format!("https://x.example/?tel={fake}&lang=ko")
        );
        assert_eq!(
            restorer.restore(&format!("call {fake}")),
            "call 010-7777-3141"
        );
    }

    #[test]
    fn provider_ids_and_api_words_pass_as_they_are() {
        // Ids as the providers make them: a prefix and random letters and digits, or hex.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let base62 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let hex = b"0123456789abcdef";
        let mut ids = Vec::new();
        for _ in 0..3000 {
            for (prefix, alphabet, len) in [
                ("call_", &base62[..], 24),
                ("toolu_01", &base62[..], 22),
                ("msg_01", &base62[..], 22),
                ("chatcmpl-", &base62[..], 29),
                ("file-", &base62[..], 22),
                ("resp_", &hex[..], 48),
                ("fc_", &hex[..], 48),
            ] {
                let id: String = (0..len)
                    .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                    .collect();
                ids.push(format!("{prefix}{id}"));
            }
        }
        let mut body = serde_json::json!({"model": "gpt-4o-2024-08-06", "ids": ids,
            "messages": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]});
        let before = body.clone();
        let (counts, media, _) = scrub(&mut body);
        let changed: Vec<(&Value, &Value)> = before["ids"]
            .as_array()
            .unwrap()
            .iter()
            .zip(body["ids"].as_array().unwrap())
            .filter(|(a, b)| a != b)
            .collect();
        assert!(counts.is_empty(), "{counts:?}: {changed:?}");
        assert!(media.is_empty());
        assert_eq!(body, before);
    }

    #[test]
    fn separating_a_value_from_the_word_it_is_glued_to_keeps_every_offset() {
        let text = r#"kim_minsu_01077773141 kim+01077773141 {"q": "a\n01077773141"}"#.as_bytes();
        let apart = separated(text).unwrap();
        assert_eq!(apart.len(), text.len());
        let findings = Scanner::new().scan(&apart);
        let phones = findings
            .iter()
            .filter(|f| f.entity == Entity::KrPhone && &text[f.start..f.end] == b"01077773141")
            .count();
        assert_eq!(phones, 3, "{findings:?}");
        assert!(separated(b"plain words, no joints, +1 415 555 0132.").is_none());
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
