//! Property: a value planted anywhere in a valid request body of any API the proxy speaks — OpenAI
//! chat completions, responses, embeddings, Anthropic messages —, as a string value, an object key, a
//! name, an id, inside a `data:` URL (percent-encoded or base64), as base64 text, never reaches the
//! provider in any form it could read. Each case is a real call through `vow proxy` to the fake
//! provider; what the fake received is decoded (with other crates than the proxy's) and searched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{b64, harness, post, readable_body};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use vow_pii::Entity;
use vow_proxy::fake::FakeOptions;

/// Values of several kinds, as written and digits only (the spelling glued into names and keys).
const VALUES: [(Entity, &str, &str); 7] = [
    (Entity::KrRrn, "900101-1234568", "9001011234568"),
    (Entity::KrRrn, "851212-2345678", "8512122345678"),
    (Entity::KrPhone, "010-7777-3141", "01077773141"),
    (
        Entity::Email,
        "kim.minsu@example.com",
        "kim.minsu@example.com",
    ),
    (
        Entity::Email,
        "lee.jiwoo@example.co.kr",
        "lee.jiwoo@example.co.kr",
    ),
    (
        Entity::CreditCard,
        "4111-1111-1111-1111",
        "4111111111111111",
    ),
    (Entity::IpAddress, "192.168.10.20", "192.168.10.20"),
];

/// Words around a value, in Korean and English; none of them a context word for or against a kind.
const FILL: [&str; 8] = [
    "hello",
    "안녕하세요",
    "please check",
    "note",
    "",
    "see below",
    "메모",
    "ok then",
];
/// What separates a value from its words.
const SEP: [&str; 7] = [" ", "\n", ", ", ": ", " (", ") ", " / "];

/// How a value is written into the body.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// In a sentence, as it is.
    Plain,
    /// Glued into an identifier: `kim_minsu_01077773141`.
    Joined,
    /// A sentence in base64, inside text.
    Base64Text,
    /// `data:text/plain,` and the sentence percent-encoded: every byte but letters and digits, or only
    /// spaces and what must be.
    PercentDataUrl { every_byte: bool },
    /// `data:<text type>;base64,` and the sentence (as JSON for `application/json`).
    Base64DataUrl { media_type: usize },
    /// A URL's query, percent-encoded.
    PercentQuery,
}

/// Percent-encoding of only what must be: controls, spaces, `%`, `,` (and every non-ASCII byte).
const LIGHT: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'%').add(b',');

const TEXT_TYPES: [&str; 4] = [
    "text/plain",
    "text/markdown",
    "application/json",
    "text/csv",
];

#[derive(Clone, Debug)]
struct Plant {
    value: usize,
    form: Form,
    before: usize,
    after: usize,
    sep: (usize, usize),
}

impl Plant {
    fn value(&self) -> &'static str {
        VALUES[self.value].1
    }

    fn compact(&self) -> &'static str {
        VALUES[self.value].2
    }

    /// The value in a sentence.
    fn sentence(&self) -> String {
        format!(
            "{}{}{}{}{}",
            FILL[self.before],
            SEP[self.sep.0],
            self.value(),
            SEP[self.sep.1],
            FILL[self.after]
        )
    }

    /// An identifier with the value glued in.
    fn joined(&self) -> String {
        format!("kim_minsu_{}", self.compact())
    }

    fn data_url(&self, base64: bool) -> String {
        if base64 {
            format!("data:text/plain;base64,{}", b64(self.sentence()))
        } else {
            format!("data:text/plain,{}", common::percent(&self.sentence()))
        }
    }

    /// The string that carries the value, in its form.
    fn text(&self) -> String {
        match self.form {
            Form::Plain => self.sentence(),
            Form::Joined => self.joined(),
            Form::Base64Text => format!(
                "{} {} {}",
                FILL[self.before],
                b64(self.sentence()),
                FILL[self.after]
            ),
            Form::PercentDataUrl { every_byte: true } => self.data_url(false),
            Form::PercentDataUrl { every_byte: false } => {
                let sentence = self.sentence();
                let encoded = percent_encoding::utf8_percent_encode(&sentence, LIGHT);
                format!("data:text/plain,{encoded}")
            }
            Form::Base64DataUrl { media_type } => {
                let media_type = TEXT_TYPES[media_type];
                let payload = if media_type == "application/json" {
                    json!({"note": self.sentence()}).to_string()
                } else {
                    self.sentence()
                };
                format!("data:{media_type};base64,{}", b64(payload))
            }
            Form::PercentQuery => format!(
                "https://example.com/search?q={}&lang=ko",
                common::percent(&self.sentence())
            ),
        }
    }

    /// A `data:` URL carrying the value: its own form when it is one, else the sentence.
    fn as_data_url(&self) -> String {
        match self.form {
            Form::PercentDataUrl { .. } | Form::Base64DataUrl { .. } => self.text(),
            _ => self.data_url(self.before.is_multiple_of(2)),
        }
    }

    /// An object key carrying the value.
    fn key(&self) -> String {
        match self.form {
            Form::Plain => self.compact().to_string(),
            _ => self.text(),
        }
    }
}

fn plant() -> impl Strategy<Value = Plant> {
    let form = prop_oneof![
        Just(Form::Plain),
        Just(Form::Joined),
        Just(Form::Base64Text),
        any::<bool>().prop_map(|every_byte| Form::PercentDataUrl { every_byte }),
        (0..TEXT_TYPES.len()).prop_map(|media_type| Form::Base64DataUrl { media_type }),
        Just(Form::PercentQuery),
    ];
    (
        0..VALUES.len(),
        form,
        0..FILL.len(),
        0..FILL.len(),
        (0..SEP.len(), 0..SEP.len()),
    )
        .prop_map(|(value, form, before, after, sep)| Plant {
            value,
            form,
            before,
            after,
            sep,
        })
}

fn object<'v>(body: &'v mut Value, key: &str) -> &'v mut Map<String, Value> {
    let fields = body.as_object_mut().unwrap();
    fields
        .entry(key)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap()
}

fn array<'v>(body: &'v mut Value, key: &str) -> &'v mut Vec<Value> {
    let fields = body.as_object_mut().unwrap();
    fields
        .entry(key)
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .unwrap()
}

fn chat(plants: &[(Plant, u8)], extra: usize) -> Value {
    let mut body =
        json!({"model": "gpt-fake", "messages": [{"role": "system", "content": "Be brief."}]});
    for fill in FILL.iter().take(extra) {
        array(&mut body, "messages").push(json!({"role": "user", "content": fill}));
    }
    for (p, place) in plants {
        let message = match place % 12 {
            0 => json!({"role": "user", "content": p.text()}),
            1 => json!({"role": "user", "content": [{"type": "text", "text": p.text()}]}),
            2 => json!({"role": "user", "content": [
                {"type": "text", "text": "what is in it?"},
                {"type": "image_url", "image_url": {"url": p.as_data_url(), "detail": "low"}}]}),
            3 => json!({"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": b64(p.sentence()), "format": "wav"}}]}),
            4 => json!({"role": "user", "content": [
                {"type": "file", "file": {"file_data": p.as_data_url(), "filename": "notes.txt"}}]}),
            5 => json!({"role": "user", "name": p.joined(), "content": "hi"}),
            6 => {
                let id = format!("call_{}", p.joined());
                array(&mut body, "messages").push(json!({"role": "assistant", "tool_calls": [
                    {"id": id, "type": "function", "function": {"name": "lookup",
                        "arguments": json!({"q": p.text()}).to_string()}}]}));
                json!({"role": "tool", "tool_call_id": id, "content": p.text()})
            }
            7 => {
                object(&mut body, "metadata").insert(p.key(), json!("v"));
                continue;
            }
            8 => {
                object(&mut body, "metadata").insert("note".into(), json!(p.text()));
                continue;
            }
            9 => {
                object(&mut body, "logit_bias").insert(p.compact().into(), json!(1));
                continue;
            }
            10 => {
                body["user"] = json!(p.text());
                continue;
            }
            _ => {
                array(&mut body, "tools").push(json!({"type": "function", "function": {
                    "name": "lookup", "description": p.text(),
                    "parameters": {"type": "object", "properties": {p.key(): {"type": "string"}}}}}));
                continue;
            }
        };
        array(&mut body, "messages").push(message);
    }
    body
}

fn responses(plants: &[(Plant, u8)], extra: usize) -> Value {
    let mut body = json!({"model": "gpt-fake", "input": []});
    for fill in FILL.iter().take(extra) {
        array(&mut body, "input").push(json!({"role": "user", "content": fill}));
    }
    for (p, place) in plants {
        let item = match place % 9 {
            0 => json!({"role": "user", "content": p.text()}),
            1 => json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": p.text()}]}),
            2 => json!({"type": "message", "role": "user", "content": [
                {"type": "input_image", "image_url": p.as_data_url(), "detail": "auto"}]}),
            3 => json!({"type": "message", "role": "user", "content": [
                {"type": "input_file", "filename": "notes.txt", "file_data": p.as_data_url()}]}),
            4 => {
                body["instructions"] = json!(p.text());
                continue;
            }
            5 => {
                object(&mut body, "metadata").insert(p.key(), json!("v"));
                continue;
            }
            6 => {
                let id = format!("call_{}", p.joined());
                array(&mut body, "input").push(json!({"type": "function_call", "call_id": id,
                    "name": "lookup", "arguments": json!({"q": p.text()}).to_string()}));
                json!({"type": "function_call_output", "call_id": id, "output": p.text()})
            }
            7 => {
                body["previous_response_id"] = json!(format!("resp_{}", p.joined()));
                continue;
            }
            _ => {
                array(&mut body, "tools").push(json!({"type": "function", "name": "lookup",
                    "description": p.text(),
                    "parameters": {"type": "object", "properties": {p.key(): {"type": "string"}}}}));
                continue;
            }
        };
        array(&mut body, "input").push(item);
    }
    body
}

fn embeddings(plants: &[(Plant, u8)], extra: usize) -> Value {
    let mut body = json!({"model": "emb", "input": FILL.iter().take(extra).collect::<Vec<_>>()});
    for (p, place) in plants {
        match place % 3 {
            0 | 1 => array(&mut body, "input").push(json!(p.text())),
            _ => body["user"] = json!(p.joined()),
        }
    }
    if array(&mut body, "input").is_empty() {
        array(&mut body, "input").push(json!("plain"));
    }
    body
}

fn messages(plants: &[(Plant, u8)], extra: usize) -> Value {
    let mut body = json!({"model": "claude-fake", "max_tokens": 100, "system": []});
    let mut assistant: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let mut user: Vec<Value> = FILL
        .iter()
        .take(extra)
        .map(|f| json!({"type": "text", "text": format!("{f}.")}))
        .collect();
    for (p, place) in plants {
        match place % 9 {
            0 => array(&mut body, "system").push(json!({"type": "text", "text": p.text()})),
            1 => user.push(json!({"type": "text", "text": p.text()})),
            2 => user.push(json!({"type": "document", "source": {"type": "text",
                "media_type": "text/plain", "data": p.text()}})),
            3 => user.push(json!({"type": "document", "source": {"type": "base64",
                "media_type": "text/plain", "data": b64(p.sentence())}})),
            // Labelled an image, but text.
            4 => user.push(json!({"type": "image", "source": {"type": "base64",
                "media_type": "image/png", "data": b64(p.sentence())}})),
            5 => {
                let id = format!("toolu_{}", p.joined());
                assistant.push(json!({"type": "tool_use", "id": id, "name": "lookup",
                    "input": {p.key(): p.text()}}));
                results
                    .push(json!({"type": "tool_result", "tool_use_id": id, "content": p.text()}));
            }
            6 => {
                object(&mut body, "metadata").insert("user_id".into(), json!(p.joined()));
            }
            7 => user.push(
                json!({"type": "text", "text": format!("{}\n\n{}", FILL[p.after], p.text())}),
            ),
            _ => array(&mut body, "tools").push(json!({"name": "lookup", "description": p.text(),
                "input_schema": {"type": "object", "properties": {p.key(): {"type": "string"}}}})),
        }
    }
    results.extend(user);
    if results.is_empty() {
        results.push(json!({"type": "text", "text": "hi"}));
    }
    let mut turns = vec![json!({"role": "user", "content": "Start."})];
    if !assistant.is_empty() {
        turns.push(json!({"role": "assistant", "content": assistant}));
    }
    turns.push(json!({"role": "user", "content": results}));
    body["messages"] = json!(turns);
    body
}

#[test]
fn no_planted_value_reaches_the_provider_wherever_and_however_it_is_planted() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = runtime.block_on(harness(FakeOptions::default(), |_| {}));
    let mut runner = TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cases = (
        0..4usize,
        prop::collection::vec((plant(), any::<u8>()), 1..5),
        0..3usize,
    );
    let result = runner.run(&cases, |(api, plants, extra)| {
        let (path, body) = match api {
            0 => ("/v1/chat/completions", chat(&plants, extra)),
            1 => ("/v1/responses", responses(&plants, extra)),
            2 => ("/v1/embeddings", embeddings(&plants, extra)),
            _ => ("/v1/messages", messages(&plants, extra)),
        };
        let before = h.fake.received().len();
        let (status, answer) = runtime.block_on(post(&h, path, &h.service, &body));
        prop_assert_eq!(status, 200, "{} answered {}: {}", path, status, answer);
        let received = h.fake.received();
        prop_assert_eq!(received.len(), before + 1);
        let seen = readable_body(&received[before].body);
        for (kind, value, compact) in VALUES {
            for form in [value, compact] {
                if let Some(view) = seen.iter().find(|v| v.contains(form)) {
                    return Err(TestCaseError::fail(format!(
                        "{} ({form}) reached the provider through {path}, readable as {view:?}; the body sent was {body}",
                        kind.as_str()
                    )));
                }
            }
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
