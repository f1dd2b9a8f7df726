//! The proxy's side doors (issue 23): every place of a request body the provider reads — names, ids,
//! object keys, numbers — and every encoding a value can hide in — `data:` URLs, base64, percent —,
//! and the content the proxy cannot read inside (images, audio, documents), which passes only as the
//! policy declares. Over real HTTP: a client, `vow proxy` and the fake provider, on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use common::{b64, harness, harness_declaring, percent, post, readable, Harness};
use serde_json::{json, Value};
use vow_engine::Caller;
use vow_proxy::fake::FakeOptions;
use vow_proxy::OnUndeclared;

const PHONE: &str = "010-7777-3141";
const RRN: &str = "900101-1234568";
const EMAIL: &str = "kim.minsu@example.com";

/// Every spelling of the planted values a provider could read: as written, and digits only.
const FORMS: [&str; 5] = [PHONE, "01077773141", RRN, "9001011234568", EMAIL];

fn planted() -> String {
    format!("연락처 {PHONE} 주민번호 {RRN} email {EMAIL}")
}

fn assert_no_form_received(h: &Harness) {
    let seen = readable(h);
    assert!(!seen.is_empty(), "the fake provider received nothing");
    for form in FORMS {
        if let Some(view) = seen.iter().find(|v| v.contains(form)) {
            panic!("{form:?} reached the provider, readable as: {view}");
        }
    }
}

fn last_received(h: &Harness) -> Value {
    serde_json::from_slice(&h.fake.received().last().unwrap().body).unwrap()
}

/// The smallest files of each kind the proxy recognises: their signatures and a little more.
fn png() -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend_from_slice(
        b"\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82",
    );
    bytes
}

fn wav() -> Vec<u8> {
    let mut bytes = b"RIFF$\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\0\0\0".to_vec();
    bytes.extend_from_slice(&[0u8; 16]);
    bytes
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_data_url_in_image_url_is_decoded_and_scrubbed_however_it_is_encoded() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted();
    let urls = [
        // As the attack sent it: not even percent-encoded.
        format!("data:text/plain,{PHONE} {RRN} {EMAIL}"),
        format!("data:text/plain,{}", percent(&text)),
        format!("data:text/plain;charset=utf-8;base64,{}", b64(&text)),
        format!(
            "data:application/json;base64,{}",
            b64(json!({"phone": PHONE, "rrn": RRN}).to_string())
        ),
        // Labelled an image, but text: what it holds decides, and text is read.
        format!("data:image/png;base64,{}", b64(&text)),
    ];
    for url in &urls {
        let request = json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what does this say?"},
            {"type": "image_url", "image_url": {"url": url}}]}]});
        let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
        assert_eq!(status, 200, "{body}");
        // Still a data URL of its type, with its text scrubbed.
        let sent = last_received(&h);
        let sent_url = sent
            .pointer("/messages/0/content/1/image_url/url")
            .unwrap()
            .as_str()
            .unwrap();
        assert_eq!(
            sent_url.split(',').next(),
            url.split(',').next(),
            "{sent_url}"
        );
    }
    assert_eq!(h.fake.received().len(), urls.len());
    assert_no_form_received(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base64_text_is_decoded_and_scrubbed_in_messages_data_urls_input_audio_and_files() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted();
    let encoded = b64(&text);
    let requests = [
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [
                {"role": "user", "content": encoded.clone()},
                {"role": "user", "content": format!("decode this: {encoded} and answer")}]}),
        ),
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": encoded.clone(), "format": "wav"}},
                {"type": "file", "file": {"file_data": encoded.clone(), "filename": "notes.txt"}},
                {"type": "file", "file": {"file_data": format!("data:text/plain;base64,{encoded}"), "filename": "notes.txt"}}]}]}),
        ),
        (
            "/v1/responses",
            json!({"model": "m", "input": [{"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "read the file"},
                {"type": "input_file", "filename": "notes.txt", "file_data": format!("data:text/plain;base64,{encoded}")}]}]}),
        ),
        (
            "/v1/messages",
            json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": encoded.clone()}},
                {"type": "text", "text": "summarise"}]}]}),
        ),
    ];
    for (path, request) in &requests {
        let (status, body) = post(&h, path, &h.service, request).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    assert_eq!(h.fake.received().len(), requests.len());
    assert_no_form_received(&h);
    // The rest of the text is still there, encoded as it was.
    let sent = last_received(&h);
    let data = sent
        .pointer("/messages/0/content/0/source/data")
        .unwrap()
        .as_str()
        .unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert!(String::from_utf8(decoded).unwrap().starts_with("연락처 "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_field_with_the_parts_joined_by_underscores_is_scrubbed() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let request = json!({"model": "m", "messages": [
        {"role": "user", "name": "kim_minsu_01077773141", "content": "hello"},
        {"role": "user", "name": "kim_9001011234568", "content": "hi"}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_no_form_received(&h);
    let sent = last_received(&h);
    let name = sent.pointer("/messages/0/name").unwrap().as_str().unwrap();
    // The rest of the name stays; a name is still a valid name.
    assert!(name.starts_with("kim_minsu_"), "{name}");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_keys_are_scrubbed_as_every_other_string() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let request = json!({"model": "m",
        "logit_bias": {"9001011234568": 1, "1234": -1},
        "metadata": {EMAIL: "contact", "note": "x"},
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {
            "type": "object", "properties": {PHONE: {"type": "string"}}}}}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_no_form_received(&h);
    let sent = last_received(&h);
    let bias = sent.get("logit_bias").unwrap().as_object().unwrap();
    assert_eq!(bias.len(), 2, "{bias:?}");
    assert_eq!(bias.get("1234"), Some(&json!(-1)));
    assert_eq!(sent.pointer("/metadata/note"), Some(&json!("x")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structural_keys_are_no_hiding_place_for_values_that_are_not_structure() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let id = "call_kim_01077773141";
    let requests = [
        (
            "/v1/chat/completions",
            json!({"model": "m", "user": RRN, "seed": 9001011234568u64, "messages": [
                {"role": "user", "content": "look it up"},
                {"role": "assistant", "tool_calls": [{"id": id, "type": "function",
                    "function": {"name": "lookup", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": id, "content": "done"}]}),
        ),
        (
            "/v1/responses",
            json!({"model": "m", "previous_response_id": format!("resp_{EMAIL}"),
                "input": [{"type": "function_call_output", "call_id": id, "output": "ok"}]}),
        ),
        (
            "/v1/messages",
            json!({"model": "c", "max_tokens": 10, "metadata": {"user_id": PHONE}, "messages": [
                {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": "lookup", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": id, "content": "done"},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                        "data": format!("주민번호 {RRN}")}}]}]}),
        ),
    ];
    for (path, request) in &requests {
        let (status, body) = post(&h, path, &h.service, request).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    assert_no_form_received(&h);
    // One value, one pseudonym: the call and its result still match.
    let chat: Value = serde_json::from_slice(&h.fake.received()[0].body).unwrap();
    let call = chat.pointer("/messages/1/tool_calls/0/id").unwrap();
    assert_eq!(chat.pointer("/messages/2/tool_call_id").unwrap(), call);
    assert_ne!(call, &json!(id));
    // A real provider's ids pass as they are.
    let real = json!({"model": "m", "messages": [
        {"role": "assistant", "tool_calls": [{"id": "call_Xk2mPq9ZrT41vB7nLw3c", "type": "function",
            "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_Xk2mPq9ZrT41vB7nLw3c", "content": "done"}]});
    let (status, _) = post(&h, "/v1/chat/completions", &h.service, &real).await;
    assert_eq!(status, 200);
    assert_eq!(last_received(&h), real);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_the_proxy_cannot_read_is_refused_when_the_processor_is_not_declared_for_it() {
    // imagesfactory declares `user.content.prompt` only for OpenAI: text, no images, audio or files.
    let h = harness(FakeOptions::default(), |_| {}).await;
    let image = format!("data:image/png;base64,{}", b64(png()));
    let cases = [
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": image.clone()}}]}]}),
            "image (1)",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]}]}),
            "image (1)",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": b64(wav()), "format": "wav"}}]}]}),
            "audio (1)",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"file_data": format!("data:application/pdf;base64,{}", b64(pdf())), "filename": "a.pdf"}}]}]}),
            "document (1)",
        ),
        (
            "/v1/responses",
            json!({"model": "m", "input": [{"role": "user", "content": [
                {"type": "input_file", "file_id": "file-abc123"}]}]}),
            "document (1)",
        ),
        (
            "/v1/messages",
            json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(png())}}]}]}),
            "image (1)",
        ),
        // An image pasted as base64 into a message is an image too.
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": format!("look: {}", b64(png()))}]}),
            "image (1)",
        ),
    ];
    for (path, request, named) in &cases {
        let (status, body) = post(&h, path, &h.service, request).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(
            body.contains("undeclared_content") || body.contains("cannot read"),
            "{body}"
        );
        assert!(body.contains(named), "{named} not named in {body}");
        assert!(body.contains("openai"), "{body}");
    }
    let (_, body) = post(&h, cases[5].0, &h.service, &cases[5].1).await;
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error.pointer("/type").unwrap(), "error");
    assert!(
        h.fake.received().is_empty(),
        "refused content reached the provider"
    );
    // Nothing left, so nothing was recorded as provided.
    let provisions = h
        .vault
        .provisions(&Caller::operator(None), 0, 10)
        .await
        .unwrap();
    assert!(provisions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_content_passes_unread_and_is_said_in_a_header_and_the_provision() {
    let h = harness_declaring(
        &["user.account.profile_photo"],
        FakeOptions::default(),
        |_| {},
    )
    .await;
    let image = format!("data:image/png;base64,{}", b64(png()));
    let request = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": format!("draw me like this, call {PHONE}")},
        {"type": "image_url", "image_url": {"url": image.clone()}}]}]});
    let response = common::client()
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(&h.service)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-vow-proxy-unread")
            .and_then(|v| v.to_str().ok()),
        Some("image 1")
    );
    // The image left as it came; the text beside it was still scrubbed.
    let sent = last_received(&h);
    assert_eq!(
        sent.pointer("/messages/0/content/1/image_url/url").unwrap(),
        &json!(image)
    );
    assert_no_form_received(&h);
    let provisions = h
        .vault
        .provisions(&Caller::operator(None), 0, 10)
        .await
        .unwrap();
    let purpose = provisions[0].purpose.clone().unwrap();
    assert!(
        purpose.contains("passed unread as declared image 1") && purpose.contains("KR_PHONE 1"),
        "{purpose}"
    );
    // A photo category is not an audio one.
    let audio = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": b64(wav()), "format": "wav"}}]}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &audio).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("audio (1)"), "{body}");

    // An upload category stands for any file a user gives.
    let h = harness_declaring(&["user.content.upload"], FakeOptions::default(), |_| {}).await;
    let files = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": b64(wav()), "format": "wav"}},
        {"type": "file", "file": {"file_data": format!("data:application/pdf;base64,{}", b64(pdf())), "filename": "a.pdf"}},
        {"type": "image_url", "image_url": {"url": image}}]}]});
    let response = common::client()
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(&h.service)
        .json(&files)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let unread = response.headers().get("x-vow-proxy-unread").cloned();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
    assert_eq!(
        unread.as_ref().and_then(|v| v.to_str().ok()),
        Some("image 1, audio 1, document 1")
    );
    assert_eq!(last_received(&h), files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_mode_counts_values_found_inside_encodings() {
    let h = harness(FakeOptions::default(), |c| {
        c.on_undeclared = OnUndeclared::Refuse
    })
    .await;
    let request = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": format!("data:text/plain;base64,{}", b64(planted()))}}]}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("KR_RRN (1)") && body.contains("EMAIL (1)"),
        "{body}"
    );
    for form in FORMS {
        assert!(!body.contains(form));
    }
    assert!(h.fake.received().is_empty());
}
