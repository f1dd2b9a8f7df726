//! `vow users`: the people who sign in to the console, apart from API keys.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use vow_engine::Caller;

use crate::vault_cli::{runtime, OutputFormat, VaultArgs};

pub const USERS_LONG_ABOUT: &str = "\
Add, list, disable and re-enrol the people who use the privacy officer's console at /console/.

Console users are people, apart from API keys: each acts under one [[role]] of the policy, so a
page shows exactly what that role may read, masked as the API masks it, and every read is in the
access log under the person's id. `add` prints a one-time enrolment link, valid 24 hours, where the
person sets a password (Argon2id) and a TOTP second factor from an authenticator app; they then
sign in at /console/login with e-mail, password and the app's 6-digit code.

Every grant, enrolment, disabling and revocation is kept in the grant history (안전성 확보조치
기준 제5조: at least three years), shown on the console's access-rights page.

Examples:
  vow users add officer@example.com --role privacy_officer --policy policy.toml --data /var/lib/vow
  vow users list --policy policy.toml --data /var/lib/vow
  vow users disable usr_… --policy policy.toml --data /var/lib/vow";

#[derive(Args, Debug)]
#[command(long_about = USERS_LONG_ABOUT)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a person under a role; prints their one-time enrolment link.
    Add {
        #[command(flatten)]
        vault: VaultArgs,
        /// Their e-mail address (what they sign in with).
        email: String,
        /// A role the policy declares ([[role]] key), e.g. privacy_officer.
        #[arg(long)]
        role: String,
        /// Where vow serve is reached, for the link (the scheme, host and port people open).
        #[arg(long, env = "VOW_CONSOLE_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List console users (never their passwords or second factors).
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Disable a user: they cannot sign in, and their sessions end at once.
    Disable {
        #[command(flatten)]
        vault: VaultArgs,
        /// The user's id (usr_…), as `vow users list` shows it.
        id: String,
    },
    /// A new enrolment link for a user who lost their phone or password; the old ones stop working.
    Reenrol {
        #[command(flatten)]
        vault: VaultArgs,
        id: String,
        #[arg(long, env = "VOW_CONSOLE_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

fn link(url: &str, token: &str) -> String {
    format!("{}/console/enrol/{token}", url.trim_end_matches('/'))
}

pub fn run(args: UsersArgs) -> anyhow::Result<ExitCode> {
    let (vault, _) = match &args.command {
        UsersCommand::Add { vault, .. }
        | UsersCommand::List { vault, .. }
        | UsersCommand::Disable { vault, .. }
        | UsersCommand::Reenrol { vault, .. } => vault.open()?,
    };
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(None);
        let result = match args.command {
            UsersCommand::Add {
                email,
                role,
                url,
                format,
                ..
            } => {
                let new = vault.add_console_user(&operator, &email, &role).await?;
                let link = link(&url, &new.token);
                let shown = match format {
                    OutputFormat::Json => crate::out::println(serde_json::json!({
                        "id": new.user.id, "email": new.user.email, "role": new.user.role,
                        "enrol_url": link, "expires_ms": new.expires_ms,
                    })),
                    OutputFormat::Text => crate::out::println(format_args!(
                        "Added {} ({}) as {}. Send them this enrolment link; it works once, for 24 hours:\n\n    {link}",
                        new.user.email, new.user.id, new.user.role
                    )),
                };
                shown.map_err(anyhow::Error::from)
            }
            UsersCommand::List { format, .. } => {
                let users = vault.console_users(&operator).await?;
                let mut out = crate::out::stdout();
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&users)?)?,
                    OutputFormat::Text if users.is_empty() => writeln!(
                        out,
                        "No console users yet. Add the privacy officer with `vow users add EMAIL --role ROLE`."
                    )?,
                    OutputFormat::Text => {
                        writeln!(out, "{:<38} {:<18} {:<9} email", "id", "role", "state")?;
                        for user in users {
                            let state = if user.disabled_ms.is_some() {
                                "disabled"
                            } else if user.enrolled_ms.is_some() {
                                "active"
                            } else {
                                "enrolling"
                            };
                            writeln!(out, "{:<38} {:<18} {:<9} {}", user.id, user.role, state, user.email)?;
                        }
                    }
                }
                out.flush().map_err(anyhow::Error::from)
            }
            UsersCommand::Disable { id, .. } => {
                vault.disable_console_user(&operator, &id).await?;
                crate::out::println(format_args!("Disabled {id}; their sessions have ended."))
                    .map_err(anyhow::Error::from)
            }
            UsersCommand::Reenrol { id, url, .. } => {
                let new = vault.reenrol_console_user(&operator, &id).await?;
                crate::out::println(format_args!(
                    "New enrolment link for {} ({}); the old password and second factor no longer work:\n\n    {}",
                    new.user.email,
                    id,
                    link(&url, &new.token)
                ))
                .map_err(anyhow::Error::from)
            }
        };
        vault.checkpoint().await?;
        vault.store().clone().close().await;
        result?;
        Ok(ExitCode::SUCCESS)
    })
}
