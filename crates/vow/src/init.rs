//! `vow init`: write a commented starter policy.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use vow_policy::STARTER_POLICY;

pub const INIT_LONG_ABOUT: &str = "\
Write a commented starter policy file.

The starter describes a small service (e-mail sign-up, access logs, a login cookie) and
passes `vow policy check` as written. Its comments explain each section; replace the example
values with your service's, then check again.";

const INIT_AFTER_LONG_HELP: &str = "\
Examples:
  vow init                        write vow-policy.toml in the current directory
  vow init policies/shop.toml     write it elsewhere (the directory must exist)
  vow init --force                replace an existing file

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
}

/// Runs `vow init`.
pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let path = &args.path;
    if args.force {
        crate::atomic::write_atomically(path, STARTER_POLICY.as_bytes())?;
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
        file.write_all(STARTER_POLICY.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    crate::out::println(format_args!(
        "wrote {path}\nnext: edit it to describe your service, then run `vow policy check {path}`",
        path = path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
