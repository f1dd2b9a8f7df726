//! Streamed answers (server-sent events) restored as they pass: each event is parsed, the strings
//! that are fragments of a longer text (a message's text, a tool call's arguments) go through a
//! [`StreamText`] per text, which holds back only a tail that could still grow into a pseudonym;
//! every other string is restored whole. Held-back text is sent in an event of the same shape
//! before the next event that is not a fragment (a block's end, the finish reason, `[DONE]`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::scrub::{Restorer, StreamText};

/// The routes the proxy serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    ChatCompletions,
    Responses,
    Embeddings,
    Messages,
}

impl Route {
    /// The path, the same upstream as here.
    pub fn path(self) -> &'static str {
        match self {
            Route::ChatCompletions => "/v1/chat/completions",
            Route::Responses => "/v1/responses",
            Route::Embeddings => "/v1/embeddings",
            Route::Messages => "/v1/messages",
        }
    }
}

/// One streamed text and how to send what it held back.
struct Channel {
    text: StreamText,
    event: Option<String>,
    template: Value,
    pointer: String,
}

/// A fragment found in an event.
struct Found {
    key: String,
    pointer: String,
    template: Value,
    template_pointer: String,
    ends: bool,
}

/// Restores one event stream.
pub struct SseRestorer {
    route: Route,
    restorer: Arc<Restorer>,
    pending: Vec<u8>,
    channels: BTreeMap<String, Channel>,
}

impl SseRestorer {
    pub fn new(route: Route, restorer: Arc<Restorer>) -> SseRestorer {
        SseRestorer {
            route,
            restorer,
            pending: Vec::new(),
            channels: BTreeMap::new(),
        }
    }

    /// Takes bytes as they came; returns the events completed by them, restored.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending
            .extend(chunk.iter().copied().filter(|&b| b != b'\r'));
        let mut out = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            self.event(&block[..end], &mut out);
        }
        out
    }

    /// The end of the stream: an unfinished event and every held-back text, released.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.pending.is_empty() {
            let block = std::mem::take(&mut self.pending);
            let block = block.strip_suffix(b"\n").unwrap_or(&block).to_vec();
            self.event(&block, &mut out);
        }
        self.flush(&mut out);
        out
    }

    fn event(&mut self, block: &[u8], out: &mut Vec<u8>) {
        let restorer = Arc::clone(&self.restorer);
        let Ok(text) = std::str::from_utf8(block) else {
            out.extend_from_slice(block);
            out.extend_from_slice(b"\n\n");
            return;
        };
        let mut name = None;
        let mut data: Vec<&str> = Vec::new();
        let mut other: Vec<&str> = Vec::new();
        for line in text.split('\n') {
            if let Some(d) = line.strip_prefix("data:") {
                data.push(d.strip_prefix(' ').unwrap_or(d));
            } else {
                if let Some(e) = line.strip_prefix("event:") {
                    name = Some(e.trim().to_string());
                }
                other.push(line);
            }
        }
        if data.is_empty() {
            out.extend_from_slice(restorer.restore(text).as_bytes());
            out.extend_from_slice(b"\n\n");
            return;
        }
        let joined = data.join("\n");
        let Ok(mut value) = serde_json::from_str::<Value>(&joined) else {
            // `[DONE]` and anything else that is not JSON ends every text first.
            self.flush(out);
            write_event(out, &other, &restorer.restore(&joined));
            return;
        };
        let found = self.fragments(&value);
        if found.is_empty() {
            self.flush(out);
            restorer.restore_json(&mut value);
            write_event(out, &other, &value.to_string());
            return;
        }
        let mut fragments = Vec::with_capacity(found.len());
        for f in &found {
            let fragment = match value.pointer_mut(&f.pointer) {
                Some(Value::String(s)) => std::mem::take(s),
                _ => String::new(),
            };
            fragments.push(fragment);
        }
        restorer.restore_json(&mut value);
        for (f, fragment) in found.into_iter().zip(fragments) {
            let channel = self.channels.entry(f.key).or_insert_with(|| Channel {
                text: StreamText::default(),
                event: None,
                template: Value::Null,
                pointer: String::new(),
            });
            channel.event = name.clone();
            channel.template = f.template;
            channel.pointer = f.template_pointer;
            let mut released = channel.text.push(&restorer, &fragment);
            if f.ends {
                released.push_str(&channel.text.finish(&restorer));
            }
            if let Some(slot) = value.pointer_mut(&f.pointer) {
                *slot = Value::String(released);
            }
        }
        write_event(out, &other, &value.to_string());
    }

    /// Sends every held-back text in an event of its own.
    fn flush(&mut self, out: &mut Vec<u8>) {
        let restorer = Arc::clone(&self.restorer);
        for channel in self.channels.values_mut() {
            if !channel.text.is_holding() {
                continue;
            }
            let rest = channel.text.finish(&restorer);
            let mut event = channel.template.clone();
            if let Some(slot) = event.pointer_mut(&channel.pointer) {
                *slot = Value::String(rest);
            }
            let name = channel.event.as_ref().map(|n| format!("event: {n}"));
            let other: Vec<&str> = name.iter().map(String::as_str).collect();
            write_event(out, &other, &event.to_string());
        }
    }

    /// The fragments of streamed texts in an event of this route.
    fn fragments(&self, v: &Value) -> Vec<Found> {
        let mut found = Vec::new();
        match self.route {
            Route::ChatCompletions => {
                let Some(choices) = v.get("choices").and_then(Value::as_array) else {
                    return found;
                };
                for (ci, choice) in choices.iter().enumerate() {
                    let i = choice
                        .get("index")
                        .and_then(Value::as_u64)
                        .unwrap_or(ci as u64);
                    let ends = choice.get("finish_reason").is_some_and(|r| !r.is_null());
                    let Some(delta) = choice.get("delta") else {
                        continue;
                    };
                    let head = |choice: Value| {
                        json!({
                            "id": v.get("id").cloned().unwrap_or(Value::Null),
                            "object": v.get("object").cloned().unwrap_or(Value::Null),
                            "created": v.get("created").cloned().unwrap_or(Value::Null),
                            "model": v.get("model").cloned().unwrap_or(Value::Null),
                            "choices": [choice],
                        })
                    };
                    for field in ["content", "refusal", "reasoning_content", "reasoning"] {
                        if delta.get(field).is_some_and(Value::is_string) {
                            found.push(Found {
                                key: format!("{i}/{field}"),
                                pointer: format!("/choices/{ci}/delta/{field}"),
                                template: head(json!({"index": i, "delta": {field: ""}, "finish_reason": null})),
                                template_pointer: format!("/choices/0/delta/{field}"),
                                ends,
                            });
                        }
                    }
                    let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) else {
                        continue;
                    };
                    for (tj, call) in calls.iter().enumerate() {
                        let idx = call
                            .get("index")
                            .and_then(Value::as_u64)
                            .unwrap_or(tj as u64);
                        if call
                            .pointer("/function/arguments")
                            .is_some_and(Value::is_string)
                        {
                            found.push(Found {
                                key: format!("{i}/tool/{idx}"),
                                pointer: format!("/choices/{ci}/delta/tool_calls/{tj}/function/arguments"),
                                template: head(json!({"index": i, "delta": {"tool_calls": [{"index": idx, "function": {"arguments": ""}}]}, "finish_reason": null})),
                                template_pointer: "/choices/0/delta/tool_calls/0/function/arguments".into(),
                                ends,
                            });
                        }
                    }
                }
            }
            Route::Messages => {
                if v.get("type").and_then(Value::as_str) != Some("content_block_delta") {
                    return found;
                }
                let i = v.get("index").cloned().unwrap_or(Value::Null);
                let kind = v.pointer("/delta/type").cloned().unwrap_or(Value::Null);
                for field in ["text", "partial_json", "thinking"] {
                    if v.pointer(&format!("/delta/{field}"))
                        .is_some_and(Value::is_string)
                    {
                        found.push(Found {
                            key: format!("{i}/{field}"),
                            pointer: format!("/delta/{field}"),
                            template: json!({"type": "content_block_delta", "index": i.clone(), "delta": {"type": kind.clone(), field: ""}}),
                            template_pointer: format!("/delta/{field}"),
                            ends: false,
                        });
                    }
                }
            }
            Route::Responses => {
                let Some(kind) = v.get("type").and_then(Value::as_str) else {
                    return found;
                };
                if !kind.ends_with(".delta") || !v.get("delta").is_some_and(Value::is_string) {
                    return found;
                }
                let part = |k: &str| v.get(k).map(Value::to_string).unwrap_or_default();
                let mut template = v.clone();
                if let Some(slot) = template.get_mut("delta") {
                    *slot = Value::String(String::new());
                }
                found.push(Found {
                    key: format!(
                        "{kind}/{}/{}/{}/{}",
                        part("item_id"),
                        part("output_index"),
                        part("content_index"),
                        part("summary_index")
                    ),
                    pointer: "/delta".into(),
                    template,
                    template_pointer: "/delta".into(),
                    ends: false,
                });
            }
            Route::Embeddings => {}
        }
        found
    }
}

fn write_event(out: &mut Vec<u8>, other: &[&str], data: &str) {
    for line in other {
        if !line.is_empty() {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restorer() -> Restorer {
        Restorer::new(
            [("010-9876-5432".to_string(), "010-1234-5678".to_string())]
                .into_iter()
                .collect(),
        )
    }

    fn texts(out: &[u8], pointer: &str) -> String {
        String::from_utf8_lossy(out)
            .split("\n\n")
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|v| {
                v.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect::<String>()
    }

    #[test]
    fn a_chat_stream_cut_every_three_bytes_comes_back_whole_and_restored() {
        let r = restorer();
        let mut stream = Vec::new();
        for piece in ["Call ", "010-98", "76-54", "32", " now"] {
            stream.extend_from_slice(
                format!(
                    "data: {}\r\n\r\n",
                    json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
                )
                .as_bytes(),
            );
        }
        stream.extend_from_slice(b"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        let mut s = SseRestorer::new(Route::ChatCompletions, Arc::new(r));
        let mut out = Vec::new();
        for chunk in stream.chunks(3) {
            out.extend(s.feed(chunk));
        }
        out.extend(s.finish());
        assert_eq!(
            texts(&out, "/choices/0/delta/content"),
            "Call 010-1234-5678 now"
        );
        assert!(!String::from_utf8_lossy(&out).contains("9876"));
        assert!(String::from_utf8_lossy(&out).ends_with("data: [DONE]\n\n"));
    }

    #[test]
    fn an_anthropic_block_that_ends_inside_a_fragment_releases_it_unchanged() {
        let r = restorer();
        let mut s = SseRestorer::new(Route::Messages, Arc::new(r));
        let mut out = Vec::new();
        for piece in ["a 010-98", "76"] {
            out.extend(s.feed(format!("event: content_block_delta\ndata: {}\n\n", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})).as_bytes()));
        }
        out.extend(s.feed(
            b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        ));
        let text = String::from_utf8_lossy(&out);
        assert_eq!(texts(&out, "/delta/text"), "a 010-9876");
        // The held-back tail comes in its own delta event, before the block's end.
        let flushed = text.find("\"text\":\"010-9876\"").unwrap_or(usize::MAX);
        let stop = text.find("content_block_stop\ndata").unwrap_or(0);
        assert!(flushed < stop, "{text}");
    }
}
