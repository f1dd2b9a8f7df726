//! The starter policies `vow init` writes: a small service ([`STARTER_POLICY`]), and the same with an AI
//! provider (`--ai`) and with the GDPR's items for users in the European Union (`--eu`), alone or together.
//!
//! The variants are the plain starter with sections added at fixed places, so the four files share every
//! line they have in common. Each one checks clean without a waiver (`tests/starter.rs`).

/// The commented starter policy that `vow init` writes. It passes `vow policy check` without findings.
pub const STARTER_POLICY: &str = include_str!("starter.toml");

/// What a starter adds to the plain one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StarterOptions {
    /// An AI model provider abroad that chat messages go to: the processor, its transfer abroad, the
    /// `[ai]` promises, and `send_to` for the service's role so `vow proxy` lets its calls through.
    pub ai: bool,
    /// Users in the European Union: `jurisdictions = ["KR", "EU"]`, the EU representative, the GDPR's
    /// rights, a purpose resting on legitimate interests that states them, a supervisory authority.
    pub eu: bool,
}

/// One insertion or replacement: `anchor` (a whole line or more of the plain starter) becomes `with`.
struct Edit {
    anchor: &'static str,
    with: &'static str,
}

/// The starter for `options`.
pub fn starter(options: StarterOptions) -> String {
    let mut text = STARTER_POLICY.to_string();
    let mut edits: Vec<&Edit> = Vec::new();
    if options.ai {
        edits.extend(AI_EDITS);
    }
    if options.eu {
        edits.extend(EU_EDITS);
    }
    for edit in edits {
        // Every anchor is a line of the plain starter; a test keeps it so (and a missing one would only
        // leave that addition out, never garble the file).
        text = text.replacen(edit.anchor, edit.with, 1);
    }
    text
}

/// Every starter `vow init` can write, with the command that writes it.
pub fn starter_variants() -> Vec<(String, String)> {
    [
        ("vow init", false, false),
        ("vow init --ai", true, false),
        ("vow init --eu", false, true),
        ("vow init --ai --eu", true, true),
    ]
    .into_iter()
    .map(|(name, ai, eu)| (name.to_string(), starter(StarterOptions { ai, eu })))
    .collect()
}

/// The anchors the variants edit, for the test that keeps each one a single line of the plain starter.
pub fn anchors() -> impl Iterator<Item = &'static str> {
    AI_EDITS.iter().chain(EU_EDITS).map(|e| e.anchor)
}

const AI_EDITS: &[Edit] = &[
    Edit {
        anchor: "# --- Purposes and collection points",
        with: r#"[[category]]
key = "user.content.chat"
label = { ko = "대화 내용", en = "Chat messages" }
mask = "text"                                # roles without full_view see it with personal data masked

# --- Purposes and collection points"#,
    },
    Edit {
        anchor: "# --- How long (PIPA",
        with: r#"[[collection]]
key = "chat"
label = { ko = "AI와 대화할 때", en = "When you chat with the AI" }
method = { ko = "서비스의 대화 화면", en = "The chat screen of the service" }
required = ["user.content.chat"]
purposes = ["service"]

# --- How long (PIPA"#,
    },
    Edit {
        anchor: "[destruction]",
        with: r#"[[retention]]
key = "chats"
label = { ko = "대화 내용", en = "Chat messages" }
categories = ["user.content.chat"]
from = "collection"
period = "30d"
basis = "internal_policy"                    # internal_policy needs a reason
reason = { ko = "이전 대화를 이어 볼 수 있도록 30일간 보관합니다.", en = "Kept 30 days so you can go back to a conversation." }

[destruction]"#,
    },
    Edit {
        anchor: "# A recipient with a country other than \"KR\" needs an [[overseas_transfer]] entry.\n",
        with: r#"# A recipient with a country other than "KR" needs an [[overseas_transfer]] entry.

# The AI model provider the chat messages go to. `vow proxy` forwards the service's calls to `endpoint`
# and replaces, in each prompt, the personal data this processor's categories do not stand for.
[[processor]]
key = "openai"
name = "OpenAI"
task = { ko = "AI 답변 생성", en = "Generating the AI's answers" }
categories = ["user.content.chat"]
retention = { ko = "처리 후 최대 30일", en = "Up to 30 days after processing" }
country = "US"
ai_provider = true
endpoint = "https://api.openai.com"
api = "openai"                               # openai | anthropic

# The transfer abroad, with every item PIPA 제28조의8② asks for.
[[overseas_transfer]]
recipient = "openai"
country = "US"
contact = "privacy@openai.com"
categories = ["user.content.chat"]
when_and_how = { ko = "메시지를 보낼 때마다 암호화된 네트워크(TLS)로 전송", en = "Sent over an encrypted connection (TLS) with each message" }
purpose = { ko = "AI 답변 생성", en = "Generating the AI's answers" }
retention = { ko = "처리 후 최대 30일", en = "Up to 30 days after processing" }
ground = { ko = "계약 이행에 필요한 처리위탁으로 처리방침에 공개 (개인정보 보호법 제28조의8①3호)", en = "Processing the contract with you requires, disclosed in this policy (PIPA Art. 28-8(1)3)" }
refusal = { ko = "대화 기능을 이용하지 않으면 이전되지 않으며, 이 경우 AI 대화를 이용할 수 없습니다.", en = "Nothing is transferred if you do not use the chat; without it the AI chat cannot work." }
"#,
    },
    Edit {
        anchor: "[remedies]",
        with: r#"[ai]                                         # promises about the AI feature
label_generated_content = true

[ai.chat_logs]
category = "user.content.chat"
used_for_improvement = false
advice = { ko = "대화에 주민등록번호, 건강 정보 등 민감한 정보를 입력하지 마세요.", en = "Please do not enter resident registration numbers, health information or other sensitive data." }

[remedies]"#,
    },
    Edit {
        anchor: "lookups_per_minute = 6000                    # finds members by e-mail at sign-in (default 60)\n",
        with: "lookups_per_minute = 6000                    # finds members by e-mail at sign-in (default 60)
send_to = [\"openai\"]                          # may send prompts to OpenAI through `vow proxy`
",
    },
];

const EU_EDITS: &[Edit] = &[
    Edit {
        anchor: "jurisdictions = [\"KR\"]                       # add \"EU\" to check the GDPR Art. 13 items as well\n",
        with: "jurisdictions = [\"KR\", \"EU\"]                 # \"EU\": the GDPR Art. 13 items are checked too\n",
    },
    Edit {
        anchor: "website = \"https://example.com\"\n",
        with: r#"website = "https://example.com"
# A controller outside the Union names its representative there (GDPR Art. 27).
eu_representative = { ko = "Example EU Representative GmbH (독일 베를린), eu-rep@example.eu", en = "Example EU Representative GmbH, Berlin, Germany, eu-rep@example.eu" }
"#,
    },
    Edit {
        anchor: "basis = \"contract\"                           # consent | contract | legal_obligation | vital_interest | ...\n",
        with: r#"basis = "contract"                           # consent | contract | legal_obligation | vital_interest | ...

# Every purpose names its legal basis (GDPR Art. 6(1)); one resting on legitimate interests states them.
[[purpose]]
key = "security"
label = { ko = "부정 이용 방지 및 보안", en = "Preventing misuse and keeping the service secure" }
details = [{ ko = "비정상 접속 탐지 및 차단: 이용자와 서비스를 보호하기 위한 정당한 이익", en = "Detecting and blocking abnormal access: our legitimate interest in protecting you and the service" }]
basis = "legitimate_interest"
"#,
    },
    Edit {
        anchor: "automatic = true\nrequired = [\"user.device.ip\"]\npurposes = [\"service\"]\n",
        with: "automatic = true\nrequired = [\"user.device.ip\"]\npurposes = [\"security\"]\n",
    },
    Edit {
        anchor: "rights = [\"access\", \"rectification\", \"erasure\", \"restriction\", \"consent_withdrawal\"]\n",
        with: "rights = [\"access\", \"rectification\", \"erasure\", \"restriction\", \"consent_withdrawal\", \"objection\", \"portability\", \"automated_decision\"]\n",
    },
    Edit {
        anchor: "standard_bodies = true\n",
        with: r#"standard_bodies = true
others = [{ ko = "EU 이용자는 거주하는 회원국의 개인정보 감독기구에 불만을 제기할 수 있습니다.", en = "In the EU, you may complain to the data protection supervisory authority of the member state where you live." }]
"#,
    },
];
