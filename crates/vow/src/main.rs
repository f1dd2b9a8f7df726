//! `vow`: a privacy policy that runs.
//!
//! The binary is a thin layer over the library crates: each subcommand lives in its own module, parses its
//! arguments with clap, calls into a library, and turns typed errors into messages with a hint.

use std::process::ExitCode;

mod atomic;
mod audit_archive;
mod consent_cli;
mod init;
mod lifecycle_cli;
mod out;
mod pii_cli;
mod policy_cli;
mod policy_publish;
mod policy_render;
mod proxy_cli;
mod users_cli;
mod vault_cli;
mod witness;

use clap::{CommandFactory, Parser, Subcommand};

/// mimalloc instead of the system allocator: a logged read allocates a few dozen small buffers
/// across two threads (the request's task and the committer), where glibc's malloc spent ~13% of
/// the server's time consolidating and unlinking chunks (docs/benchmarks.md, issue 28 item 2).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ABOUT: &str = "vow: a privacy policy that runs.";

const LONG_ABOUT: &str = "\
vow: a privacy policy that runs.

A service writes its privacy policy (개인정보 처리방침) as a TOML file. vow checks that file
against what the law requires a policy to say, renders the published document from it, keeps
the users' personal data in a vault that enforces it (encrypted, role-checked, every access
logged), and finds and removes personal data in chat logs and AI training sets.";

const AFTER_LONG_HELP: &str = "\
Getting started:
  vow init                                   write a commented starter policy to vow-policy.toml
  vow policy check vow-policy.toml           is anything the law requires missing?
  vow policy render vow-policy.toml -o policy.html --lang ko
                                             the document to publish
  vow policy diff old.toml new.toml          what changed, and was it announced early enough?
  vow serve --policy vow-policy.toml         run the vault: personal data kept as the policy says
  vow proxy --policy vow-policy.toml --processor openai
                                             an AI provider's API, minus undeclared personal data
  vow audit verify                           is the access log intact?
  vow scan chat-logs/                        personal data in files, by kind and file
  vow redact chat.log -o chat.safe.log       a copy with personal data masked

Exit codes: 0 success, 1 findings (lint findings, personal data found, notice too short),
2 the input could not be read or is invalid. A reader that stops early (`vow scan … | head`)
ends the command quietly with 0.

Colour (only in the server's log) is used on a terminal alone, and never when NO_COLOR is set.
Shell completions: `vow completions bash` (zsh, fish, elvish, powershell); the man page: `vow man`.

Run `vow help COMMAND` for the details of a command.";

#[derive(Parser)]
#[command(name = "vow", version, about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
#[command(propagate_version = true, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Each subcommand is a module with `Args` and `run(args) -> anyhow::Result<ExitCode>`; add new ones here.
#[derive(Subcommand)]
enum Command {
    // `about` and `long_about` are set here: a doc comment on a variant would replace the long help
    // of its arguments' struct.
    #[command(about = "Write a commented starter policy file", long_about = init::INIT_LONG_ABOUT)]
    Init(init::InitArgs),
    #[command(about = "Check, render and compare policy files", long_about = policy_cli::POLICY_LONG_ABOUT)]
    Policy(policy_cli::PolicyArgs),
    #[command(
        about = "Find personal data in files: a table by kind and file, or JSON with byte offsets",
        long_about = pii_cli::SCAN_LONG_ABOUT,
        after_long_help = pii_cli::scan_after_long_help()
    )]
    Scan(pii_cli::ScanArgs),
    #[command(
        about = "Copy a file with its personal data masked, replaced, hashed, pseudonymised or encrypted",
        long_about = pii_cli::REDACT_LONG_ABOUT,
        after_long_help = pii_cli::REDACT_AFTER_LONG_HELP
    )]
    Redact(pii_cli::RedactArgs),
    #[command(
        about = "Run the personal-data vault (HTTP API) that enforces a policy file",
        long_about = vault_cli::SERVE_LONG_ABOUT
    )]
    Serve(vault_cli::ServeArgs),
    #[command(
        about = "Create, list and revoke API keys; rotate the key-encryption key",
        long_about = vault_cli::KEYS_LONG_ABOUT
    )]
    Keys(vault_cli::KeysArgs),
    #[command(
        about = "Add, list and disable the people who sign in to the console",
        long_about = users_cli::USERS_LONG_ABOUT
    )]
    Users(users_cli::UsersArgs),
    #[command(
        about = "Verify the access log; the monthly access review",
        long_about = vault_cli::AUDIT_LONG_ABOUT
    )]
    Audit(vault_cli::AuditArgs),
    #[command(
        about = "Put an AI model provider behind vow: undeclared personal data replaced, answers restored",
        long_about = proxy_cli::PROXY_LONG_ABOUT,
        after_long_help = proxy_cli::PROXY_AFTER_LONG_HELP
    )]
    Proxy(proxy_cli::ProxyArgs),
    #[command(
        about = "Consent: re-confirmations due, result notices owed, the ledger as proof (CSV/JSON)",
        long_about = consent_cli::CONSENT_LONG_ABOUT,
        after_long_help = consent_cli::CONSENT_AFTER_LONG_HELP
    )]
    Consent(consent_cli::ConsentArgs),
    #[command(
        about = "Retention: destroy what is due, separate what a law still requires; the destruction ledger",
        long_about = lifecycle_cli::SWEEP_LONG_ABOUT,
        after_long_help = lifecycle_cli::SWEEP_AFTER_LONG_HELP
    )]
    Sweep(lifecycle_cli::SweepArgs),
    #[command(
        about = "Data subjects' rights requests: open, nearly due and overdue",
        long_about = lifecycle_cli::REQUESTS_LONG_ABOUT
    )]
    Requests(lifecycle_cli::RequestsArgs),
    #[command(
        about = "Print shell completions for vow (bash, zsh, fish, elvish, powershell)",
        long_about = COMPLETIONS_LONG_ABOUT
    )]
    Completions(CompletionsArgs),
    #[command(
        about = "Print vow's man page (roff), or write one page per command with --dir",
        long_about = MAN_LONG_ABOUT
    )]
    Man(ManArgs),
}

const COMPLETIONS_LONG_ABOUT: &str = "\
Print a completion script for SHELL on standard output, generated from the same definitions as
--help, so it knows every subcommand and option of this version of vow.

  bash        vow completions bash > ~/.local/share/bash-completion/completions/vow
  zsh         vow completions zsh > ~/.zfunc/_vow     (with fpath+=(~/.zfunc) before compinit)
  fish        vow completions fish > ~/.config/fish/completions/vow.fish
  powershell  vow completions powershell >> $PROFILE";

const MAN_LONG_ABOUT: &str = "\
Print vow's man page in roff on standard output, generated from the same definitions as --help.
With --dir, write a page per command instead (vow.1, vow-scan.1, vow-policy-check.1, ...).

  vow man | man -l -
  vow man --dir ~/.local/share/man/man1 && man vow-scan";

#[derive(clap::Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
struct ManArgs {
    /// Write one page per command into DIR (created if missing) instead of vow.1 on standard output.
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    // Into memory first: clap_complete panics when its writer fails, as a closed pipe does.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "vow", &mut script);
    out::print(String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    use std::io::Write;
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            eprintln!("wrote the man pages into {}", dir.display());
        }
        None => {
            let mut out = out::stdout();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        Command::Init(args) => init::run(args),
        Command::Policy(args) => policy_cli::run(args),
        Command::Serve(args) => vault_cli::serve(args),
        Command::Keys(args) => vault_cli::keys(args),
        Command::Users(args) => users_cli::run(args),
        Command::Audit(args) => vault_cli::audit(args),
        Command::Proxy(args) => proxy_cli::run(args),
        Command::Consent(args) => consent_cli::run(args),
        Command::Sweep(args) => lifecycle_cli::sweep(args),
        Command::Requests(args) => lifecycle_cli::requests(args),
        Command::Scan(args) => pii_cli::run_scan(args),
        Command::Redact(args) => pii_cli::run_redact(args),
        Command::Completions(args) => completions(args),
        Command::Man(args) => man(args),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`vow scan … | head -1`): it has what it wanted, so this is no failure.
        Err(err) if out::is_closed_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
