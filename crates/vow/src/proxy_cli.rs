//! `vow proxy`: an AI provider's API in front of it, letting through only the personal data the
//! policy declares for that provider.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use vow_proxy::{Config, OnUndeclared, Proxy};

use crate::vault_cli::{init_logging, runtime, shutdown_signal, VaultArgs};

pub const PROXY_LONG_ABOUT: &str = "\
Run a gateway in front of an AI model provider that the policy declares as a processor
(a [[processor]] with ai_provider = true). It speaks the provider's own API, so an
application changes only its base URL and uses a vow API key as its SDK's api_key:

  OpenAI:    POST /v1/chat/completions, /v1/responses, /v1/embeddings (streamed or not)
  Anthropic: POST /v1/messages (streamed or not)

Only keys whose [[role]] lists the processor in send_to may call it. Every string sent is
scanned; each kind of personal data whose category the policy does not list for the
processor is replaced by a consistent, format-valid pseudonym (a fake phone number for a
phone number), or the call is refused with 422 (--on-undeclared refuse). Pseudonyms in the
answer, streamed answers included, are turned back into the real values before the
application sees them. The map lives in memory for one request and is never logged.

Each call is recorded, before it is sent, as a provision to the processor in the vault's
access log (key, role, time, bytes, counts per kind — never a value), so it needs the
vault's data (--data or --database-url), as `vow serve` does. The provider's real key is
read from the environment variable named by --upstream-key-env and never leaves vow.";

pub const PROXY_AFTER_LONG_HELP: &str = "\
Example:
  export OPENAI_API_KEY=sk-…
  vow proxy --policy examples/policies/imagesfactory.toml --processor openai \\
            --upstream https://api.openai.com --upstream-key-env OPENAI_API_KEY --data vow-data
  vow keys create --role service --data vow-data --policy examples/policies/imagesfactory.toml

Then in the application:
  client = OpenAI(base_url=\"http://127.0.0.1:8090/v1\", api_key=\"vow_…\")";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnUndeclaredArg {
    /// Replace each value by a consistent, format-valid pseudonym, restored in the answer.
    Pseudonymise,
    /// Refuse the call (422), naming the kinds found.
    Refuse,
}

#[derive(Args, Debug)]
#[command(long_about = PROXY_LONG_ABOUT, after_long_help = PROXY_AFTER_LONG_HELP)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// The [[processor]] key of the AI provider (it must have ai_provider = true).
    #[arg(long, value_name = "KEY")]
    pub processor: String,
    /// Address to listen on.
    #[arg(long, env = "VOW_PROXY_LISTEN", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// The provider's origin (e.g. https://api.openai.com). Default: the processor's `endpoint`
    /// in the policy.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// The environment variable holding the provider's API key, added to every call upstream.
    /// Without it no key is sent (a local model server). Never put the key on the command line.
    #[arg(long, value_name = "NAME")]
    pub upstream_key_env: Option<String>,
    /// What to do with personal data of a kind the policy does not declare for the processor.
    #[arg(long, value_enum, default_value_t = OnUndeclaredArg::Pseudonymise)]
    pub on_undeclared: OnUndeclaredArg,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub body_limit: usize,
    /// Seconds to wait for the provider's answer to start (504 beyond).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub upstream_timeout: u64,
    /// Seconds a streamed answer may stay silent before it is cut off with an error event.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub idle_timeout: u64,
}

pub fn run(args: ProxyArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    // The processor first, from the policy alone: a proxy that may not run creates nothing.
    let text = vow_policy::read_limited(&args.vault.policy)
        .with_context(|| format!("cannot read the policy {}", args.vault.policy.display()))?;
    let outcome = vow_policy::check(&text, &args.vault.policy.display().to_string());
    let Some(policy) = outcome.policy.filter(|_| outcome.errors.is_empty()) else {
        bail!(
            "the policy {} is invalid; run `vow policy check {}` to see why",
            args.vault.policy.display(),
            args.vault.policy.display()
        );
    };
    vow_proxy::check_processor(&policy, &args.processor)
        .with_context(|| format!("cannot proxy to {:?}; nothing was started", args.processor))?;
    let upstream_key = match &args.upstream_key_env {
        Some(name) => Some(std::env::var(name).map_err(|_| {
            anyhow::anyhow!(
                "--upstream-key-env names {name}, which is not set; export the provider's key as {name}"
            )
        })?),
        None => None,
    };
    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("cannot listen on {}; nothing was started", args.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let (vault, _) = args.vault.open()?;
    let config = Config {
        processor: args.processor.clone(),
        upstream: args.upstream.clone(),
        upstream_key,
        on_undeclared: match args.on_undeclared {
            OnUndeclaredArg::Pseudonymise => OnUndeclared::Pseudonymise,
            OnUndeclaredArg::Refuse => OnUndeclared::Refuse,
        },
        body_limit: args.body_limit,
        upstream_timeout: Duration::from_secs(args.upstream_timeout.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
    };
    let vault = Arc::new(vault);
    let proxy = Proxy::new(Arc::clone(&vault), config)
        .with_context(|| format!("cannot proxy to {:?}; nothing was started", args.processor))?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let declared: Vec<&str> = proxy.declared().iter().map(|k| k.as_str()).collect();
        // A server goes on serving when nobody reads its standard output any more.
        let _ = crate::out::println(format_args!(
            "vow proxy for {} ({}) on http://{address}; passes {} as they are, {} the rest",
            args.processor,
            proxy.upstream(),
            if declared.is_empty() {
                "no kind of personal data".to_string()
            } else {
                declared.join(", ")
            },
            match args.on_undeclared {
                OnUndeclaredArg::Pseudonymise => "pseudonymises",
                OnUndeclaredArg::Refuse => "refuses calls with",
            }
        ));
        vow_proxy::serve(Arc::new(proxy), listener, shutdown)
            .await
            .context("the proxy stopped")?;
        vault.store().clone().close().await;
        Ok(ExitCode::SUCCESS)
    })
}
