//! `vow proxy` as a user runs it: the real binary in front of the fake provider, called by the
//! official `openai` and `anthropic` Python packages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;
use common::{skipped, start_listening};

const VOW: &str = env!("CARGO_BIN_EXE_vow");
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);

/// Values of Korean and English kinds, planted in the prompts.
const PLANTED: [&str; 8] = [
    "901231-1234563",
    "010-1234-5678",
    "kim.minsu@example.com",
    "4111-1111-1111-1111",
    "+1 415 555 0132",
    "123-45-6789",
    "DE89 3704 0044 0532 0130 00",
    "서울특별시 강남구 테헤란로 152",
];

fn prompt() -> String {
    format!(
        "주민번호는 {} 입니다. 연락처 {} 로 연락 주세요. email {} 카드 {}\ncall {} SSN {} IBAN {}\n주소 {}",
        PLANTED[0], PLANTED[1], PLANTED[2], PLANTED[3], PLANTED[4], PLANTED[5], PLANTED[6], PLANTED[7]
    )
}

#[test]
fn an_undeclared_or_non_ai_processor_cannot_be_started_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (processor, says) in [
        ("anthropic", "declares no [[processor]]"),
        ("firebase", "not marked ai_provider = true"),
    ] {
        let out = Command::new(VOW)
            .args(["proxy", "--policy", POLICY, "--processor", processor])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "http://127.0.0.1:9",
            ])
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("openai, stability"), "{stderr}");
        assert!(!data.exists(), "a refused start created the data directory");
    }
    // The provider's key comes from the environment; a name that is not set stops the start too.
    let out = Command::new(VOW)
        .args(["proxy", "--policy", POLICY, "--processor", "openai"])
        .args([
            "--listen",
            "127.0.0.1:0",
            "--upstream-key-env",
            "VOW_TEST_NO_SUCH_VARIABLE",
        ])
        .arg("--data")
        .arg(&data)
        .env_remove("VOW_TEST_NO_SUCH_VARIABLE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("VOW_TEST_NO_SUCH_VARIABLE, which is not set"),
        "{stderr}"
    );
    assert!(!data.exists());
}

struct Proxy {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is killed and waited for when `Proxy` is dropped.
#[allow(clippy::zombie_processes)]
fn start_proxy(policy: &Path, data: &Path, upstream: &str) -> Proxy {
    let mut command = Command::new(VOW);
    command
        .args(["proxy", "--processor", "openai", "--listen", "127.0.0.1:0"])
        .arg("--policy")
        .arg(policy)
        .arg("--data")
        .arg(data)
        .args([
            "--upstream",
            upstream,
            "--upstream-key-env",
            "FAKE_PROVIDER_KEY",
        ])
        .env("FAKE_PROVIDER_KEY", "sk-the-real-provider-key")
        .env("VOW_LOG", "debug");
    let started = start_listening(command, "vow proxy", Duration::from_secs(30));
    Proxy {
        child: started.child,
        url: format!("http://{}", started.address),
        stderr: started.stderr,
    }
}

const SCRIPT: &str = r#"
import json, os, sys
from openai import OpenAI
from anthropic import Anthropic

url, key, prompt = os.environ["PROXY_URL"], os.environ["VOW_KEY"], os.environ["PROMPT"]
out = {}
oai = OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
r = oai.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": prompt}])
out["chat"] = r.choices[0].message.content
out["chat_tool"] = r.choices[0].message.tool_calls[0].function.arguments
text, args = "", ""
for chunk in oai.chat.completions.create(model="gpt-fake", stream=True, messages=[{"role": "user", "content": prompt}]):
    if not chunk.choices:
        continue
    d = chunk.choices[0].delta
    text += d.content or ""
    for call in d.tool_calls or []:
        args += (call.function.arguments or "") if call.function else ""
out["chat_stream"], out["chat_stream_tool"] = text, args
r = oai.responses.create(model="gpt-fake", input=prompt)
out["responses"] = r.output_text
text = ""
for event in oai.responses.create(model="gpt-fake", input=prompt, stream=True):
    if event.type == "response.output_text.delta":
        text += event.delta
out["responses_stream"] = text
out["embeddings"] = len(oai.embeddings.create(model="emb", input=prompt).data)

ant = Anthropic(base_url=url, api_key=key, max_retries=0)
m = ant.messages.create(model="claude-fake", max_tokens=100, messages=[{"role": "user", "content": prompt}])
out["messages"] = m.content[0].text
out["messages_tool"] = m.content[1].input["echo"]
with ant.messages.stream(model="claude-fake", max_tokens=100, messages=[{"role": "user", "content": prompt}]) as s:
    out["messages_stream"] = "".join(s.text_stream)
    final = s.get_final_message()
out["messages_stream_tool"] = final.content[1].input["echo"]
try:
    Anthropic(base_url=url, api_key="vow_wrong", max_retries=0).messages.create(
        model="claude-fake", max_tokens=1, messages=[{"role": "user", "content": "x"}])
    out["wrong_key"] = "passed"
except Exception as e:
    out["wrong_key"] = type(e).__name__
print(json.dumps(out))
"#;

#[test]
fn the_official_python_sdks_get_original_values_back_and_the_provider_never_sees_them() {
    let test = "the_official_python_sdks_get_original_values_back_and_the_provider_never_sees_them";
    let python = std::env::var("VOW_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_sdks = Command::new(&python)
        .args(["-c", "import openai, anthropic"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdks {
        assert!(
            std::env::var("VOW_REQUIRE_PYTHON_SDKS").as_deref() != Ok("1"),
            "VOW_REQUIRE_PYTHON_SDKS=1 but {python} cannot import openai and anthropic (pip install openai anthropic)"
        );
        skipped(
            test,
            "the openai and anthropic Python packages are not installed",
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime
        .block_on(vow_proxy::fake::FakeProvider::start(Default::default()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The example policy with its OpenAI processor serving both APIs, so one proxy answers both SDKs.
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        std::fs::read_to_string(POLICY)
            .unwrap()
            .replace("api = \"openai\"\n", ""),
    )
    .unwrap();
    let keys = Command::new(VOW)
        .args(["keys", "create", "--role", "service", "--format", "json"])
        .arg("--policy")
        .arg(&policy)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        keys.status.success(),
        "{}",
        String::from_utf8_lossy(&keys.stderr)
    );
    let key: serde_json::Value = serde_json::from_slice(&keys.stdout).unwrap();
    let key = key["secret"].as_str().unwrap().to_string();
    let proxy = start_proxy(&policy, &data, &fake.url);
    let out = Command::new(&python)
        .args(["-c", SCRIPT])
        .env("PROXY_URL", &proxy.url)
        .env("VOW_KEY", &key)
        .env("PROMPT", prompt())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Python script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let prompt = prompt();
    let echo = serde_json::json!({ "echo": prompt });
    for field in [
        "chat",
        "chat_stream",
        "responses",
        "responses_stream",
        "messages",
        "messages_stream",
        "messages_tool",
        "messages_stream_tool",
    ] {
        assert_eq!(got[field], serde_json::json!(prompt), "{field}");
    }
    for field in ["chat_tool", "chat_stream_tool"] {
        let args: serde_json::Value = serde_json::from_str(got[field].as_str().unwrap()).unwrap();
        assert_eq!(args, echo, "{field}");
    }
    assert_eq!(got["embeddings"], 1);
    assert_eq!(got["wrong_key"], "AuthenticationError");
    let received = fake.received();
    assert_eq!(
        received.len(),
        7,
        "two chat calls, two responses, an embedding, two messages"
    );
    let stderr = proxy.stderr.lock().unwrap().clone();
    for value in PLANTED {
        for r in &received {
            assert!(
                !String::from_utf8_lossy(&r.body).contains(value),
                "{value} reached the provider"
            );
            assert!(
                !r.headers.iter().any(|(_, v)| v.contains(&key)),
                "the vow key reached the provider"
            );
        }
        assert!(!stderr.contains(value), "a value is in the proxy's log");
    }
    assert!(!stderr.contains(&key) && !stderr.contains("sk-the-real-provider-key"));
    drop(proxy);
    // The log verifies, and the monthly review shows the calls as provisions to the processor.
    let review = Command::new(VOW)
        .args(["audit", "verify"])
        .arg("--policy")
        .arg(&policy)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        review.status.success(),
        "{}",
        String::from_utf8_lossy(&review.stderr)
    );
    let now =
        time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let review = Command::new(VOW)
        .args(["audit", "review", "--month", &month, "--format", "json"])
        .arg("--policy")
        .arg(&policy)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        review.status.success(),
        "{}",
        String::from_utf8_lossy(&review.stderr)
    );
    let review: serde_json::Value = serde_json::from_slice(&review.stdout).unwrap();
    assert_eq!(review["transfers"][0]["recipient"], "openai");
    assert_eq!(review["transfers"][0]["provisions"], 7);
}
