//! A fake AI provider for tests and benchmarks: OpenAI's and Anthropic's routes on one server, which
//! records exactly the bodies it receives and answers by echoing the text of the last message — as
//! text and as a tool call's arguments — whole or streamed in small, awkwardly cut chunks.
//!
//! The `model` field picks a misbehaviour: `hang` never answers, `silent-stream` starts a stream and
//! goes quiet, `error` answers 400 in the provider's shape echoing the text, `not-json` answers 500
//! with plain text.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

/// One request as the fake provider received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How the fake answers.
#[derive(Clone, Copy, Debug)]
pub struct FakeOptions {
    /// Bytes per write of a streamed answer.
    pub chunk: usize,
    /// Pause after every `burst` writes of a streamed answer, so the cuts reach the proxy (TCP would
    /// join writes that follow each other at once).
    pub pause: Duration,
    /// Writes between pauses.
    pub burst: usize,
    /// Whether to keep what was received (off for benchmarks).
    pub record: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            chunk: 3,
            pause: Duration::from_millis(1),
            burst: 16,
            record: true,
        }
    }
}

#[derive(Clone)]
struct FakeState {
    options: FakeOptions,
    received: Arc<Mutex<Vec<Received>>>,
    open: Arc<AtomicUsize>,
}

/// Counts a streamed answer as open until its body is dropped (finished, or cut off by the reader).
struct OpenStream(Arc<AtomicUsize>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running fake provider; stops when dropped.
pub struct FakeProvider {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    open: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FakeProvider {
    /// Starts one on a free port of 127.0.0.1.
    pub async fn start(options: FakeOptions) -> std::io::Result<FakeProvider> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address: SocketAddr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(AtomicUsize::new(0));
        let state = FakeState {
            options,
            received: Arc::clone(&received),
            open: Arc::clone(&open),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .route("/v1/responses", post(answer))
            .route("/v1/embeddings", post(answer))
            .route("/v1/messages", post(answer))
            .with_state(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeProvider {
            url: format!("http://{address}"),
            received,
            open,
            _stop: stop,
        })
    }

    /// Streamed answers still being sent.
    pub fn open_streams(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// The text the fake echoes: the last message's text (string or text parts), or `input`.
pub fn last_text(body: &Value) -> String {
    let last = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| m.last())
        .and_then(|m| m.get("content"))
        .or_else(|| body.get("input"));
    match last {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| {
                p.get("text")
                    .or_else(|| p.get("content"))
                    .and_then(Value::as_str)
                    .or_else(|| p.as_str())
            })
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

async fn answer(
    State(state): State<FakeState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.options.record {
        if let Ok(mut received) = state.received.lock() {
            received.push(Received {
                path: uri.path().to_string(),
                headers: headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.to_vec(),
            });
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not json").into_response();
    };
    let text = last_text(&request);
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("fake");
    let stream = request.get("stream").and_then(Value::as_bool) == Some(true);
    let path = uri.path();
    match model {
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return StatusCode::OK.into_response();
        }
        "error" => {
            let body = if path == "/v1/messages" {
                json!({"type": "error", "error": {"type": "invalid_request_error", "message": format!("bad: {text}")}})
            } else {
                json!({"error": {"message": format!("bad: {text}"), "type": "invalid_request_error", "param": null, "code": null}})
            };
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
        "not-json" => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response()
        }
        _ => {}
    }
    let args = json!({ "echo": text }).to_string();
    if !stream {
        let body = match path {
            "/v1/chat/completions" => json!({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
                "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null, "message": {
                    "role": "assistant", "content": text, "refusal": null,
                    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": args}}]}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
            }),
            "/v1/responses" => json!({
                "id": "resp_fake", "object": "response", "created_at": 1, "model": model, "status": "completed",
                "output": [
                    {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                     "content": [{"type": "output_text", "text": text, "annotations": []}]},
                    {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup", "arguments": args, "status": "completed"}
                ],
                "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
                "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                          "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}
            }),
            "/v1/embeddings" => json!({
                "object": "list", "model": model,
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                "usage": {"prompt_tokens": 1, "total_tokens": 1}
            }),
            _ => json!({
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text},
                            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"echo": text}}],
                "stop_reason": "tool_use", "stop_sequence": null,
                "usage": {"input_tokens": 1, "output_tokens": 1}
            }),
        };
        return axum::Json(body).into_response();
    }
    let events = stream_events(path, model, &text, &args);
    let mut bytes = Vec::new();
    for (name, data) in &events {
        if let Some(name) = name {
            bytes.extend_from_slice(format!("event: {name}\n").as_bytes());
        }
        bytes.extend_from_slice(format!("data: {data}\n\n").as_bytes());
    }
    if path != "/v1/messages" && path != "/v1/responses" {
        bytes.extend_from_slice(b"data: [DONE]\n\n");
    }
    let options = state.options;
    let silent = model == "silent-stream";
    let chunk = options.chunk.max(1);
    let pieces: Vec<Vec<u8>> = if silent {
        vec![bytes[..bytes.len().min(20)].to_vec()]
    } else {
        bytes.chunks(chunk).map(<[u8]>::to_vec).collect()
    };
    state.open.fetch_add(1, Ordering::SeqCst);
    let guard = OpenStream(Arc::clone(&state.open));
    let stream = futures_util::stream::unfold(
        (pieces.into_iter().enumerate(), silent, guard),
        move |(mut it, silent, guard)| async move {
            match it.next() {
                Some((i, piece)) => {
                    if !options.pause.is_zero() && i % options.burst.max(1) == 0 {
                        tokio::time::sleep(options.pause).await;
                    }
                    Some((Ok::<Vec<u8>, std::io::Error>(piece), (it, silent, guard)))
                }
                None if silent => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    None
                }
                None => None,
            }
        },
    );
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Cuts text into pieces of about `n` characters.
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

fn stream_events(
    path: &str,
    model: &str,
    text: &str,
    args: &str,
) -> Vec<(Option<&'static str>, Value)> {
    let mut events = Vec::new();
    match path {
        "/v1/messages" => {
            events.push((Some("message_start"), json!({"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 0}}})));
            events.push((Some("content_block_start"), json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            for p in pieces(text, 4) {
                events.push((Some("content_block_delta"), json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
            }
            events.push((
                Some("content_block_stop"),
                json!({"type": "content_block_stop", "index": 0}),
            ));
            events.push((Some("content_block_start"), json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}})));
            for p in pieces(args, 5) {
                events.push((Some("content_block_delta"), json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": p}})));
            }
            events.push((
                Some("content_block_stop"),
                json!({"type": "content_block_stop", "index": 1}),
            ));
            events.push((Some("message_delta"), json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 2}})));
            events.push((Some("message_stop"), json!({"type": "message_stop"})));
        }
        "/v1/responses" => {
            events.push((Some("response.created"), json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_fake", "object": "response", "created_at": 1, "model": model, "status": "in_progress", "output": []}})));
            for p in pieces(text, 4) {
                events.push((Some("response.output_text.delta"), json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": p, "sequence_number": 1})));
            }
            events.push((Some("response.output_text.done"), json!({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0, "text": text, "sequence_number": 2})));
            for p in pieces(args, 5) {
                events.push((Some("response.function_call_arguments.delta"), json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1, "delta": p, "sequence_number": 3})));
            }
            events.push((Some("response.completed"), json!({"type": "response.completed", "sequence_number": 4, "response": {"id": "resp_fake", "object": "response", "created_at": 1, "model": model, "status": "completed", "output": [
                {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": text, "annotations": []}]}]}})));
        }
        _ => {
            let head = |choice: Value| json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [choice]});
            events.push((None, head(json!({"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}))));
            for p in pieces(text, 4) {
                events.push((
                    None,
                    head(json!({"index": 0, "delta": {"content": p}, "finish_reason": null})),
                ));
            }
            events.push((None, head(json!({"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": ""}}]}, "finish_reason": null}))));
            for p in pieces(args, 5) {
                events.push((None, head(json!({"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}, "finish_reason": null}))));
            }
            events.push((
                None,
                head(json!({"index": 0, "delta": {}, "finish_reason": "tool_calls"})),
            ));
        }
    }
    events
}
