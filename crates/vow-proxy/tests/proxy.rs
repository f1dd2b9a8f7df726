//! `vow proxy` over real HTTP, between a real client and the fake provider (`vow_proxy::fake`), with a
//! real vault (SQLite in a temp dir): what leaves, what comes back, who may call, hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{client, everything_received, harness, harness_declaring, post, Harness};
use serde_json::{json, Value};
use vow_engine::Caller;
use vow_pii::{Entity, Scanner};
use vow_proxy::fake::FakeOptions;
use vow_proxy::OnUndeclared;

/// A value of every kind vow-pii knows, Korean and English, each in words that make the scanner sure.
const PLANTED: [(Entity, &str, &str); 18] = [
    (Entity::KrRrn, "주민번호는 ", "901231-1234563"),
    (Entity::KrFrn, "외국인등록번호 ", "900101-5000007"),
    (Entity::KrPassport, "여권번호 ", "M12345678"),
    (Entity::KrDriverLicense, "운전면허 ", "11-19-123456-01"),
    (Entity::KrBrn, "사업자등록번호 ", "220-81-62517"),
    (Entity::KrPhone, "연락처 ", "010-1234-5678"),
    (Entity::KrBankAccount, "국민은행 계좌 ", "123456-01-234567"),
    (Entity::KrHealthInsurance, "건강보험증 번호 ", "12345678901"),
    (Entity::Email, "email ", "kim.minsu@example.com"),
    (Entity::Phone, "call ", "+1 415 555 0132"),
    (Entity::CreditCard, "카드 ", "4111-1111-1111-1111"),
    (Entity::IpAddress, "from ", "192.168.10.20"),
    (Entity::Iban, "IBAN ", "DE89 3704 0044 0532 0130 00"),
    (Entity::UsSsn, "SSN ", "123-45-6789"),
    (
        Entity::Secret,
        "key ",
        "sk-proj-abcdefghijklmnopqrstuvwx1234",
    ),
    // The title is part of the name vow-pii finds.
    (Entity::Person, "Dear ", "Mr. John Smith"),
    (Entity::Address, "주소 ", "서울특별시 강남구 테헤란로 152"),
    // A first name the census never saw, spelled with a diacritic, after words that introduce a person.
    (Entity::Person, "thanks to ", "Raphaël Lemoine"),
];

fn planted_text() -> String {
    PLANTED
        .iter()
        .map(|(_, before, value)| format!("{before}{value} 입니다.\n"))
        .collect()
}

fn assert_nothing_planted_left(h: &Harness) {
    let sent = everything_received(h);
    assert!(!sent.is_empty(), "the fake provider received nothing");
    for (kind, _, value) in PLANTED {
        assert!(
            !sent.contains(value),
            "{} reached the provider",
            kind.as_str()
        );
    }
}

/// The texts of a stream's data events at `pointer`, joined.
fn streamed(body: &str, pointer: &str) -> String {
    body.split("\n\n")
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

fn streamed_where(body: &str, field: &str, equals: &str, pointer: &str) -> String {
    body.split("\n\n")
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter(|v| v.pointer(field).map(|x| x.to_string()) == Some(equals.to_string()))
        .filter_map(|v| {
            v.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

async fn wait_until_no_stream_is_open(h: &Harness) {
    let started = std::time::Instant::now();
    while h.fake.open_streams() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{} upstream streams still open",
            h.fake.open_streams()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_planted_values_are_found_by_the_scanner_as_their_kinds() {
    let text = planted_text();
    let found = Scanner::new().scan(text.as_bytes());
    for (kind, _, value) in PLANTED {
        assert!(
            found
                .iter()
                .any(|f| f.entity == kind && &text[f.start..f.end] == value),
            "{} not found as planted; found {:?}",
            kind.as_str(),
            found
                .iter()
                .map(|f| (f.entity, &text[f.start..f.end]))
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_value_reaches_the_provider_and_chat_answers_come_back_restored() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted_text();
    let request = json!({"model": "gpt-fake", "messages": [
        {"role": "system", "content": format!("Be brief. {}", PLANTED[5].2)},
        {"role": "user", "content": [{"type": "text", "text": text}]}
    ]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer.pointer("/choices/0/message/content").unwrap(),
        &json!(text)
    );
    let args = answer
        .pointer("/choices/0/message/tool_calls/0/function/arguments")
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(args).unwrap(),
        json!({"echo": text})
    );
    assert_nothing_planted_left(&h);
    // Consistent: the phone in the system prompt and the message became the same pseudonym.
    let received: Value = serde_json::from_slice(&h.fake.received()[0].body).unwrap();
    let system = received
        .pointer("/messages/0/content")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let fake_phone = system.trim_start_matches("Be brief. ");
    assert!(received
        .pointer("/messages/1/content/0/text")
        .unwrap()
        .as_str()
        .unwrap()
        .contains(fake_phone));
    // The provider got the provider's key, never the caller's.
    let headers = &h.fake.received()[0].headers;
    assert!(headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "Bearer sk-real-provider-key"));
    assert!(!headers.iter().any(|(_, v)| v.contains(&h.service)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_stream_cut_every_three_bytes_is_restored_in_text_and_tool_call_arguments() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted_text();
    let request = json!({"model": "gpt-fake", "stream": true, "messages": [{"role": "user", "content": text}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(streamed(&body, "/choices/0/delta/content"), text);
    let args = streamed(&body, "/choices/0/delta/tool_calls/0/function/arguments");
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"echo": text})
    );
    assert!(body.ends_with("data: [DONE]\n\n"));
    assert_nothing_planted_left(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_messages_are_restored_streamed_and_not_with_tool_use() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted_text();
    let request = json!({"model": "claude-fake", "max_tokens": 100, "system": PLANTED[8].2,
        "messages": [{"role": "user", "content": text}]});
    let (status, body) = post(&h, "/v1/messages", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer.pointer("/content/0/text").unwrap(), &json!(text));
    assert_eq!(
        answer.pointer("/content/1/input/echo").unwrap(),
        &json!(text)
    );

    let mut request = request;
    request["stream"] = json!(true);
    let (status, body) = post(&h, "/v1/messages", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(streamed_where(&body, "/index", "0", "/delta/text"), text);
    let json_text = streamed_where(&body, "/index", "1", "/delta/partial_json");
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        json!({"echo": text})
    );
    assert!(body.contains("event: message_stop"));
    assert_nothing_planted_left(&h);
    let headers = &h.fake.received()[0].headers;
    assert!(headers
        .iter()
        .any(|(k, v)| k == "x-api-key" && v == "sk-real-provider-key"));
    assert!(headers
        .iter()
        .any(|(k, v)| k == "anthropic-version" && v == "2023-06-01"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_and_embeddings_are_scrubbed_and_restored() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text = planted_text();
    let request = json!({"model": "gpt-fake", "instructions": PLANTED[0].2, "input": text});
    let (status, body) = post(&h, "/v1/responses", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer.pointer("/output/0/content/0/text").unwrap(),
        &json!(text)
    );
    assert_eq!(
        serde_json::from_str::<Value>(
            answer
                .pointer("/output/1/arguments")
                .unwrap()
                .as_str()
                .unwrap()
        )
        .unwrap(),
        json!({"echo": text})
    );
    let mut request = request;
    request["stream"] = json!(true);
    let (status, body) = post(&h, "/v1/responses", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        streamed_where(&body, "/type", "\"response.output_text.delta\"", "/delta"),
        text
    );
    let args = streamed_where(
        &body,
        "/type",
        "\"response.function_call_arguments.delta\"",
        "/delta",
    );
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"echo": text})
    );
    assert_eq!(
        streamed_where(&body, "/type", "\"response.output_text.done\"", "/text"),
        text
    );

    let (status, body) = post(
        &h,
        "/v1/embeddings",
        &h.service,
        &json!({"model": "emb", "input": [text, "plain"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_nothing_planted_left(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_the_grant_and_a_wrong_key_are_refused_in_the_providers_shape() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let request =
        json!({"model": "m", "messages": [{"role": "user", "content": "hi 010-1234-5678"}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.support, &request).await;
    assert_eq!(status, 403, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error.pointer("/error/code").unwrap(), "permission_denied");
    let (status, body) = post(&h, "/v1/messages", &h.support, &request).await;
    assert_eq!(status, 403);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error.pointer("/type").unwrap(), "error");
    assert_eq!(error.pointer("/error/type").unwrap(), "permission_error");
    let (status, _) = post(&h, "/v1/chat/completions", "vow_not-a-key", &request).await;
    assert_eq!(status, 401);
    // Guessing is slowed per address; a valid key from the same address is not.
    for _ in 0..4 {
        post(&h, "/v1/chat/completions", "vow_not-a-key", &request).await;
    }
    let started = std::time::Instant::now();
    let (status, _) = post(&h, "/v1/chat/completions", "vow_still-not-a-key", &request).await;
    assert_eq!(status, 401);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let started = std::time::Instant::now();
    let (status, _) = post(&h, "/v1/chat/completions", &h.support, &request).await;
    assert_eq!(status, 403);
    // Slowed as the next failure, it would wait 800 ms.
    assert!(started.elapsed() < Duration::from_millis(600));
    assert!(
        h.fake.received().is_empty(),
        "a refused call reached the provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_mode_answers_422_naming_the_kinds_and_sends_nothing() {
    let h = harness(FakeOptions::default(), |c| {
        c.on_undeclared = OnUndeclared::Refuse
    })
    .await;
    let text = planted_text();
    let request = json!({"model": "m", "messages": [{"role": "user", "content": text}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("KR_RRN") && body.contains("EMAIL"), "{body}");
    for (_, _, value) in PLANTED {
        assert!(!body.contains(value));
    }
    assert!(h.fake.received().is_empty());
    let (status, _) = post(
        &h,
        "/v1/chat/completions",
        &h.service,
        &json!({"model": "m", "messages": [{"role": "user", "content": "draw a cat"}]}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_huge_and_unknown_requests_get_the_providers_error_shape() {
    let h = harness(FakeOptions::default(), |c| c.body_limit = 64 * 1024).await;
    let response = client()
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(&h.service)
        .body("{\"messages\": [oops 010-1234-5678")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("\"error\"") && !body.contains("1234-5678"),
        "{body}"
    );
    let huge =
        json!({"model": "m", "messages": [{"role": "user", "content": "a".repeat(100 * 1024)}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &huge).await;
    assert_eq!(status, 413, "{body}");
    let response = client()
        .post(format!("{}/v1/completions", h.url))
        .bearer_auth(&h.service)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error.pointer("/error/code").unwrap(), "not_found");
    let response = client()
        .get(format!("{}/v1/models", h.url))
        .header("x-api-key", &h.service)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error.pointer("/error/type").unwrap(), "not_found_error");
    assert!(h.fake.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_pass_through_restored_and_timeouts_are_504_or_an_error_event() {
    let h = harness(FakeOptions::default(), |c| {
        c.upstream_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let phone = PLANTED[5].2;
    let (status, body) = post(
        &h,
        "/v1/chat/completions",
        &h.service,
        &json!({"model": "error", "messages": [{"role": "user", "content": phone}]}),
    )
    .await;
    assert_eq!(status, 400);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error.pointer("/error/message").unwrap(),
        &json!(format!("bad: {phone}"))
    );
    let (status, body) = post(&h, "/v1/messages", &h.service,
        &json!({"model": "not-json", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(status, 500);
    assert_eq!(
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .pointer("/type")
            .unwrap(),
        "error"
    );
    let started = std::time::Instant::now();
    let (status, body) = post(
        &h,
        "/v1/chat/completions",
        &h.service,
        &json!({"model": "hang", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (status, body) = post(&h, "/v1/chat/completions", &h.service,
        &json!({"model": "silent-stream", "stream": true, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(status, 200);
    assert!(body.contains("upstream_timeout"), "{body}");
    wait_until_no_stream_is_open(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_stream_leaves_the_proxy_serving() {
    let h = harness(
        FakeOptions {
            chunk: 3,
            pause: Duration::from_millis(5),
            burst: 1,
            record: true,
        },
        |_| {},
    )
    .await;
    let request = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": planted_text()}]});
    for _ in 0..5 {
        let mut response = client()
            .post(format!("{}/v1/chat/completions", h.url))
            .bearer_auth(&h.service)
            .json(&request)
            .send()
            .await
            .unwrap();
        let _ = response.chunk().await;
        drop(response);
    }
    // The proxy let go of the upstream's streams too: nothing is still being sent to nobody.
    wait_until_no_stream_is_open(&h).await;
    let (status, _) = post(
        &h,
        "/v1/chat/completions",
        &h.service,
        &json!({"model": "m", "messages": [{"role": "user", "content": "still there?"}]}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_is_a_provision_to_the_processor_with_counts_and_metrics_never_values() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let request = json!({"model": "m", "messages": [{"role": "user", "content": planted_text()}]});
    let (status, _) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200);
    let provisions = h
        .vault
        .provisions(&Caller::operator(None), 0, 10)
        .await
        .unwrap();
    assert_eq!(provisions.len(), 1);
    let p = &provisions[0];
    assert_eq!(p.recipient, "openai");
    assert_eq!(p.role, "service");
    assert_eq!(p.categories, vec!["user.content.prompt".to_string()]);
    let purpose = p.purpose.clone().unwrap();
    assert!(
        purpose.contains("KR_RRN 1") && purpose.contains("/v1/chat/completions"),
        "{purpose}"
    );
    let metrics = client()
        .get(format!("{}/metrics", h.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("vow_proxy_values_total{processor=\"openai\",kind=\"KR_PHONE\",action=\"pseudonymised\"} 1"), "{metrics}");
    assert!(metrics.contains("vow_proxy_requests_total{processor=\"openai\",route=\"/v1/chat/completions\",status=\"200\"} 1"));
    for (_, _, value) in PLANTED {
        assert!(!metrics.contains(value) && !purpose.contains(value));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_the_processor_is_declared_for_pass_as_they_are() {
    let h = harness_declaring(
        &["user.contact.email", "user.contact.phone"],
        FakeOptions::default(),
        |_| {},
    )
    .await;
    let text = planted_text();
    let request = json!({"model": "m", "messages": [{"role": "user", "content": text}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    let sent = everything_received(&h);
    for (kind, _, value) in PLANTED {
        let declared = matches!(kind, Entity::Email | Entity::KrPhone | Entity::Phone);
        assert_eq!(sent.contains(value), declared, "{}", kind.as_str());
    }
}

/// Values hidden by Unicode and encoding tricks, each with the value it spells.
const TRICKS: [(&str, &str); 9] = [
    ("010\u{200b}-7777\u{200b}-3141", "010-7777-3141"),
    ("０１０-７７７６-３１４１", "010-7776-3141"),
    ("010\u{2010}7775\u{2010}3141", "010-7775-3141"),
    ("010\u{2212}7774\u{2212}3141", "010-7774-3141"),
    ("010\u{2013}7773\u{2013}3141", "010-7773-3141"),
    ("minsu%40example.com", "minsu@example.com"),
    ("010%2D7772%2D3141", "010-7772-3141"),
    ("minji&#64;example.com", "minji@example.com"),
    ("900101&#45;1234568", "900101-1234568"),
];

fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push_str(k);
            out.push('\n');
            strings(x, out);
        }),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_hidden_by_zero_width_full_width_dashes_or_escapes_never_reach_the_provider() {
    let h = harness(FakeOptions::default(), |_| {}).await;
    let text: String = TRICKS
        .iter()
        .map(|(written, _)| format!("연락처 {written} 입니다.\n"))
        .collect();
    let request = json!({"model": "gpt-fake", "messages": [{"role": "user", "content": text}]});
    let (status, body) = post(&h, "/v1/chat/completions", &h.service, &request).await;
    assert_eq!(status, 200, "{body}");
    let received = h.fake.received();
    assert!(!received.is_empty(), "the fake provider received nothing");
    let mut sent = String::new();
    for r in &received {
        strings(&serde_json::from_slice(&r.body).unwrap(), &mut sent);
    }
    // Read the way a model would: with the tricks undone.
    let undone = vow_pii::Normalized::of(sent.as_bytes())
        .map(|n| String::from_utf8(n.text).unwrap())
        .unwrap_or_else(|| sent.clone());
    for (written, value) in TRICKS {
        assert!(!sent.contains(written), "{written:?} reached the provider");
        assert!(
            !undone.contains(value),
            "{written:?} reached the provider as {value}"
        );
    }
    // And the caller gets its text back whole.
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer.pointer("/choices/0/message/content").unwrap(),
        &json!(text)
    );
}
