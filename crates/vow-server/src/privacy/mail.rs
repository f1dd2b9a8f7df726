//! The privacy center's e-mail: one-time codes, sent off the request's path (so a known contact's
//! answer takes no longer than an unknown one's) by a task of their own, either over SMTP
//! (`--smtp-url smtp://…` with STARTTLS, `smtps://…` with implicit TLS; lettre) or, for development
//! and tests, as one RFC 5322 `.eml` file per message in a directory (`--mail-dir`).

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;

/// Messages waiting to go out at most; beyond this a code is dropped (and logged), never the
/// request held up.
const QUEUE: usize = 1_000;

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum MailTransport {
    /// Nowhere: codes by e-mail cannot be sent (logged once per code).
    None,
    /// One `.eml` file per message, written whole (a temporary name, then renamed).
    Dir(PathBuf),
    /// An SMTP server: `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465`.
    Smtp(String),
}

/// Why mail cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("--smtp-url: {0}")]
    SmtpUrl(String),
    #[error("--mail-from {0:?} is not an address like \"Privacy <privacy@example.com>\"")]
    From(String),
    #[error("--mail-dir {path}: {reason}")]
    Dir { path: PathBuf, reason: String },
}

/// One message to send.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) body: String,
}

/// Hands messages to the sending task.
#[derive(Clone, Debug, Default)]
pub struct Mailer {
    queue: Option<mpsc::Sender<Outgoing>>,
}

impl Mailer {
    /// Checks the sender and the SMTP URL without sending or starting anything, so that `vow serve`
    /// can refuse a bad setting before it creates a file.
    pub fn check(transport: &MailTransport, from: &str) -> Result<(), MailError> {
        from.parse::<Mailbox>()
            .map_err(|_| MailError::From(from.to_string()))?;
        if let MailTransport::Smtp(url) = transport {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&secure_by_default(url)?)
                .map_err(|e| MailError::SmtpUrl(e.to_string()))?;
        }
        Ok(())
    }

    /// Starts the sending task (inside a tokio runtime).
    pub fn start(transport: MailTransport, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::From(from.to_string()))?;
        let sink = match transport {
            MailTransport::None => return Ok(Mailer::default()),
            MailTransport::Dir(path) => {
                // The messages hold sign-in codes: only the server's user reads them.
                vow_crypto::create_private_dir(&path).map_err(|e| MailError::Dir {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Sink::Dir(path)
            }
            MailTransport::Smtp(url) => Sink::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&secure_by_default(&url)?)
                    .map_err(|e| MailError::SmtpUrl(e.to_string()))?
                    .build(),
            ),
        };
        let (queue, mut receiver) = mpsc::channel::<Outgoing>(QUEUE);
        tokio::spawn(async move {
            while let Some(outgoing) = receiver.recv().await {
                if let Err(reason) = sink.send(&from, outgoing).await {
                    // Never the address or the code: only that a message did not go.
                    tracing::warn!(%reason, "a privacy-center e-mail could not be sent");
                }
            }
        });
        Ok(Mailer { queue: Some(queue) })
    }

    /// Queues a message; never waits.
    pub(crate) fn send(&self, outgoing: Outgoing) {
        match &self.queue {
            Some(queue) => {
                if queue.try_send(outgoing).is_err() {
                    tracing::warn!("the privacy-center mail queue is full; a code was not sent");
                }
            }
            None => tracing::warn!(
                "a code by e-mail was asked for, but no mail is set up (--smtp-url or --mail-dir)"
            ),
        }
    }
}

/// `smtp://` to anything but this machine requires STARTTLS unless the URL says otherwise
/// (`?tls=opportunistic`): a code must not cross a network in the clear by default. A relay on
/// loopback (`smtp://localhost:25`) is spoken to as it is.
fn secure_by_default(text: &str) -> Result<String, MailError> {
    let mut url = url::Url::parse(text).map_err(|e| MailError::SmtpUrl(e.to_string()))?;
    // smtp: is not a special scheme to the URL standard, so its host stays text.
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "smtps" => {}
        "smtp" if !local && !url.query_pairs().any(|(k, _)| k == "tls") => {
            url.query_pairs_mut().append_pair("tls", "required");
        }
        "smtp" => {}
        other => {
            return Err(MailError::SmtpUrl(format!(
                "the scheme is {other:?}; use smtp:// (STARTTLS) or smtps:// (TLS)"
            )))
        }
    }
    Ok(url.to_string())
}

enum Sink {
    Dir(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Sink {
    async fn send(&self, from: &Mailbox, outgoing: Outgoing) -> Result<(), String> {
        let to: Mailbox = outgoing
            .to
            .parse()
            .map_err(|_| "the recipient is not an address".to_string())?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(outgoing.subject)
            .message_id(None)
            .header(lettre::message::header::MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(outgoing.body)
            .map_err(|e| e.to_string())?;
        match self {
            Sink::Dir(dir) => {
                let name = format!(
                    "{}-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_micros()),
                    &vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..][..12]
                );
                let partial = dir.join(format!(".{name}.tmp"));
                let done = dir.join(format!("{name}.eml"));
                let bytes = message.formatted();
                let mut options = tokio::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                options.mode(0o600);
                let mut file = options.open(&partial).await.map_err(|e| e.to_string())?;
                tokio::io::AsyncWriteExt::write_all(&mut file, &bytes)
                    .await
                    .map_err(|e| e.to_string())?;
                file.sync_all().await.map_err(|e| e.to_string())?;
                drop(file);
                tokio::fs::rename(&partial, &done)
                    .await
                    .map_err(|e| e.to_string())
            }
            // A server's refusal may quote the recipient; the log gets the reason without it.
            Sink::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| without_addresses(&e.to_string())),
        }
    }
}

/// `text` with every word that holds an `@` (an address, however quoted) replaced.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{secure_by_default, without_addresses};

    #[test]
    fn a_refusal_is_logged_without_the_address_it_quotes() {
        let said =
            "permanent error (550): 5.1.1 <jiwoo.han@example.com>: Recipient address rejected";
        let logged = without_addresses(said);
        assert!(!logged.contains("jiwoo"), "{logged}");
        assert!(logged.contains("Recipient address rejected"), "{logged}");
    }

    #[test]
    fn smtp_to_another_machine_requires_tls_unless_the_url_says_otherwise() {
        let required = secure_by_default("smtp://user:pass@mail.example.com:587").unwrap();
        assert!(required.ends_with("?tls=required"), "{required}");
        for kept in [
            "smtp://localhost:25",
            "smtp://127.0.0.1:2525",
            "smtps://mail.example.com",
            "smtp://mail.example.com?tls=opportunistic",
        ] {
            assert!(
                !secure_by_default(kept).unwrap().contains("tls=required"),
                "{kept}"
            );
        }
        assert!(secure_by_default("http://mail.example.com").is_err());
        assert!(secure_by_default("not a url").is_err());
    }
}
