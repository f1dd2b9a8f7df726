//! `vow init`: write a commented starter policy.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use vow_policy::{starter, StarterOptions};

pub const INIT_LONG_ABOUT: &str = "\
Write a commented starter policy file.

The starter describes a small service (e-mail sign-up, access logs, a login cookie) with the
roles it needs: the application, the privacy officer (answers rights requests, reads what a
law keeps apart), support and an administrator. `--ai` adds an AI model provider abroad that
chat messages go to (the processor, its transfer abroad, `send_to` for the application's
role); `--eu` adds what the GDPR asks for users in the European Union (the EU representative,
a legal basis stated for each purpose, every right, a supervisory authority). Every starter
passes `vow policy check` as written. Its comments explain each section; replace the example
values with your service's, then check again. docs/policy-reference.md lists every field.";

const INIT_AFTER_LONG_HELP: &str = "\
Examples:
  vow init                        write vow-policy.toml in the current directory
  vow init policies/shop.toml     write it elsewhere (the directory must exist)
  vow init --force                replace an existing file
  vow init --ai                   with an AI model provider (OpenAI) and its transfer abroad
  vow init --ai --eu              the same, with the GDPR's items for users in the EU

Then:
  vow policy check vow-policy.toml";

/// Arguments of `vow init`.
#[derive(Args)]
#[command(long_about = INIT_LONG_ABOUT, after_long_help = INIT_AFTER_LONG_HELP)]
pub struct InitArgs {
    /// Where to write the policy file. Default: `vow-policy.toml` in the current directory.
    #[arg(default_value = "vow-policy.toml")]
    pub path: PathBuf,
    /// Replace the file if it exists. Without it, an existing file is never touched.
    #[arg(long)]
    pub force: bool,
    /// Add an AI model provider that chat messages go to: the processor (OpenAI, in the US), its
    /// transfer abroad, the [ai] promises, and `send_to` for the application's role.
    #[arg(long)]
    pub ai: bool,
    /// Add what the GDPR asks for users in the European Union: jurisdictions = ["KR", "EU"], the EU
    /// representative, a purpose resting on legitimate interests that states them, the GDPR's rights
    /// and a supervisory authority.
    #[arg(long)]
    pub eu: bool,
}

/// Runs `vow init`.
pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let path = &args.path;
    let text = starter(StarterOptions {
        ai: args.ai,
        eu: args.eu,
    });
    if args.force {
        crate::atomic::write_atomically(path, text.as_bytes())?;
    } else {
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                anyhow::bail!(
                    "{} already exists; nothing was written (use --force to replace it)",
                    path.display()
                );
            }
            Err(err) => {
                return Err(err).with_context(|| format!("cannot create {}", path.display()))
            }
        };
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    crate::out::println(format_args!(
        "wrote {path}\nnext: edit it to describe your service, then run `vow policy check {path}`",
        path = path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
