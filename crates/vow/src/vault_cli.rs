//! `vow serve`, `vow keys` and `vow audit`: the vault, its API keys and its access log.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use vow_audit::{Checkpoint, CheckpointFile};
use vow_crypto::KeyRing;
use vow_engine::{Caller, SystemClock, Vault, VaultConfig};
use vow_store::{Inspection, Location, Remembered, Store, StoreOptions};

/// Where the vault's data, keys and log checkpoints are.
#[derive(Args, Clone, Debug)]
pub struct VaultArgs {
    /// The policy file the vault enforces: its categories, subject kinds and roles.
    #[arg(
        long,
        env = "VOW_POLICY",
        value_name = "FILE",
        default_value = "vow-policy.toml"
    )]
    pub policy: PathBuf,
    /// Data directory for the embedded SQLite store (created on first start). Holds vow.db, the
    /// separate key store keys.db, the key file vow.keys and audit-checkpoints.jsonl. Default:
    /// ./vow-data, unless --database-url is given.
    #[arg(
        long,
        env = "VOW_DATA",
        value_name = "DIR",
        conflicts_with = "database_url"
    )]
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite, e.g. postgres://vow@db.internal/vow. Several vow serve
    /// processes may share one database. Needs --key-file (or VOW_KEYS).
    #[arg(long, env = "VOW_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// PostgreSQL schema to use (created when missing); the key store goes into SCHEMA_keys.
    #[arg(long, value_name = "SCHEMA", requires = "database_url")]
    pub schema: Option<String>,
    /// The key file (created with mode 0600 on first start). Default: DIR/vow.keys with --data.
    /// The environment variable VOW_KEYS may hold the key file's text instead.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Where signed checkpoints of the access log are appended. Keep it outside the database's
    /// backups. Default: DIR/audit-checkpoints.jsonl with --data, else ./vow-audit-checkpoints.jsonl.
    #[arg(long, value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
    /// Also append every signed checkpoint to FILE (repeatable). Put it where whoever owns the
    /// database cannot rewrite it (another machine's mount, a directory of another user, an
    /// append-only file): then cutting the log short together with the checkpoint file is still
    /// found. `vow audit verify` reads every copy given.
    #[arg(long, value_name = "FILE")]
    pub checkpoint_copy: Vec<PathBuf>,
    /// Also POST every signed checkpoint as JSON to URL (repeatable; http:// only, so a collector
    /// on loopback or the local network, or a TLS proxy in front of one). The body is one line of
    /// the checkpoint file: {"seq", "hash", "at_ms", "signature"}. A failed delivery is logged;
    /// the next checkpoint covers everything before it.
    #[arg(long, value_name = "URL", value_parser = crate::witness::Witness::parse)]
    pub checkpoint_witness: Vec<crate::witness::Witness>,
    /// When a write counts as done. full: on disk (survives a power cut). normal: handed to the
    /// operating system (survives vow being killed, not a power cut; reads, which are logged,
    /// get about twice as fast).
    #[arg(long, value_enum, default_value_t = SyncArg::Full)]
    pub sync: SyncArg,
    /// Where uploads (images, datasets) are kept, encrypted, one file each. Default: DIR/uploads
    /// with --data. With --database-url uploads are off unless this is given; servers sharing one
    /// database need one shared directory (a network mount).
    #[arg(long, value_name = "DIR")]
    pub uploads: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyncArg {
    Full,
    Normal,
}

impl SyncArg {
    fn options(self) -> StoreOptions {
        StoreOptions {
            durability: match self {
                SyncArg::Full => vow_store::Durability::Full,
                SyncArg::Normal => vow_store::Durability::Normal,
            },
            ..StoreOptions::default()
        }
    }
}

const DEFAULT_DATA: &str = "vow-data";

impl VaultArgs {
    fn data_dir(&self) -> Option<PathBuf> {
        match (&self.data, &self.database_url) {
            (Some(dir), _) => Some(dir.clone()),
            (None, None) => Some(PathBuf::from(DEFAULT_DATA)),
            (None, Some(_)) => None,
        }
    }

    fn location(&self) -> Location {
        match (&self.database_url, self.data_dir()) {
            (Some(url), _) => Location::Postgres {
                url: url.clone(),
                schema: self.schema.clone(),
            },
            (None, Some(dir)) => Location::Directory(dir),
            (None, None) => Location::Directory(PathBuf::from(DEFAULT_DATA)),
        }
    }

    fn key_file(&self) -> Option<PathBuf> {
        self.key_file
            .clone()
            .or_else(|| self.data_dir().map(|d| d.join("vow.keys")))
    }

    pub fn checkpoint_file(&self) -> PathBuf {
        self.checkpoints
            .clone()
            .unwrap_or_else(|| match self.data_dir() {
                Some(dir) => dir.join("audit-checkpoints.jsonl"),
                None => PathBuf::from("vow-audit-checkpoints.jsonl"),
            })
    }

    /// The checkpoint file and its copies.
    pub(crate) fn checkpoint_files(&self) -> Vec<PathBuf> {
        std::iter::once(self.checkpoint_file())
            .chain(self.checkpoint_copy.iter().cloned())
            .collect()
    }

    /// How a person names this vault on the command line (never a database password).
    fn vault_options(&self) -> String {
        let mut text = format!(
            "--policy {}",
            shell_word(&self.policy.display().to_string())
        );
        match (&self.database_url, self.data_dir()) {
            (Some(_), _) => {
                text.push_str(" --database-url URL");
                if let Some(schema) = &self.schema {
                    text.push_str(&format!(" --schema {}", shell_word(schema)));
                }
            }
            (None, Some(dir)) => text.push_str(&format!(
                " --data {}",
                shell_word(&dir.display().to_string())
            )),
            (None, None) => {}
        }
        if let Some(file) = &self.key_file {
            text.push_str(&format!(
                " --key-file {}",
                shell_word(&file.display().to_string())
            ));
        }
        text
    }

    /// The command that makes an API key for `role` in this vault, as it can be typed.
    pub fn keys_create_command(&self, role: &str) -> String {
        format!(
            "vow keys create --role {} {}",
            shell_word(role),
            self.vault_options()
        )
    }

    /// Refuses to go on when a file or directory vow keeps at rest is open to group or others. The
    /// checkpoint files count only for a command that writes them (`checkpoints`): they are signed,
    /// not secret, so verifying and reviewing read them at any mode, a copy given by someone else
    /// included.
    fn check_private_files(&self, checkpoints: bool) -> anyhow::Result<()> {
        let mut paths = Vec::new();
        if let Some(dir) = self.data_dir() {
            paths.push(dir.clone());
            for file in [
                "vow.db",
                "vow.db-wal",
                "vow.db-shm",
                "keys.db",
                "keys.db-journal",
            ] {
                paths.push(dir.join(file));
            }
        }
        if checkpoints {
            paths.extend(self.checkpoint_files());
        }
        for path in paths {
            vow_crypto::require_private(&path)?;
        }
        Ok(())
    }

    /// The key ring, from VOW_KEYS or the key file. The key file is created only for a store that
    /// holds nothing yet: a vault's data without its key file is refused, never given new keys.
    /// Returns whether it was created now.
    fn keys(&self, found: &Inspection) -> anyhow::Result<(KeyRing, Option<PathBuf>, bool)> {
        if let Ok(text) = std::env::var("VOW_KEYS") {
            let ring = KeyRing::from_text(&text).context("VOW_KEYS")?;
            return Ok((ring, None, false));
        }
        let Some(path) = self.key_file() else {
            bail!("with --database-url, give --key-file FILE (or the key text in VOW_KEYS): the key file is not kept in the database");
        };
        if found.is_in_use() && std::fs::symlink_metadata(&path).is_err() {
            bail!(
                "the key file {} is missing, but {} is already a vault's (it holds subjects, API keys \
                 or access-log entries, or recorded that key file's audit key). Without the key file \
                 its data cannot be read, and vow will not make new keys over it. Restore the key file from its backup to {} (or \
                 point --key-file at it), then start again. Nothing was changed.",
                path.display(),
                self.describe_location(),
                path.display()
            );
        }
        if let Some(dir) = self.data_dir() {
            vow_crypto::create_private_dir(&dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        }
        let (ring, created) = KeyRing::load_or_create(&path)?;
        Ok((ring, Some(path), created))
    }

    fn describe_location(&self) -> String {
        match self.location() {
            Location::Directory(dir) => format!("the data directory {}", dir.display()),
            Location::Postgres { schema, .. } => format!(
                "the PostgreSQL database{}",
                schema.map(|s| format!(" (schema {s})")).unwrap_or_default()
            ),
        }
    }

    fn key_source(&self, key_file: Option<&PathBuf>) -> String {
        match key_file {
            Some(path) => format!("the key file {}", path.display()),
            None => "the keys in VOW_KEYS".to_string(),
        }
    }

    /// Refuses keys whose audit key is not the one the store recorded at first start.
    fn check_own_keys(
        &self,
        keys: &KeyRing,
        key_file: Option<&PathBuf>,
        recorded: Option<[u8; 32]>,
    ) -> anyhow::Result<()> {
        match recorded {
            Some(recorded) if recorded != keys.signing_key().verifying_key().to_bytes() => bail!(
                "{} does not belong to this vault: its audit key is not the one {} recorded at \
                 first start. Its data and log were made with another key file; restore the vault's \
                 own key file from its backup. Nothing was changed.",
                self.key_source(key_file),
                self.describe_location()
            ),
            _ => Ok(()),
        }
    }

    /// Inspects the store, then opens the keys and the store, refusing loose file modes (of the
    /// checkpoint files too when `writes_checkpoints`), a missing or foreign key file. Returns the
    /// keys, the key file, whether it was created now, and the store.
    fn open_keys_and_store(
        &self,
        writes_checkpoints: bool,
    ) -> anyhow::Result<(KeyRing, Option<PathBuf>, bool, Store)> {
        self.check_private_files(writes_checkpoints)?;
        let location = self.location();
        let found = vow_store::inspect(&location).with_context(|| match &location {
            Location::Directory(dir) => format!("cannot read the data directory {}", dir.display()),
            Location::Postgres { .. } => "cannot read the PostgreSQL database".to_string(),
        })?;
        let (keys, key_file, created) = self.keys(&found)?;
        self.check_own_keys(&keys, key_file.as_ref(), found.audit_key)?;
        let store =
            Store::open(&location, self.sync.options()).with_context(|| match &location {
                Location::Directory(dir) => {
                    format!("cannot open the data directory {}", dir.display())
                }
                Location::Postgres { .. } => "cannot open the PostgreSQL database".to_string(),
            })?;
        Ok((keys, key_file, created, store))
    }

    /// Opens the policy, keys and store as one vault. Returns whether the key file was created now.
    ///
    /// Refuses a store older than its log's last signed checkpoint (a rollback): new entries would
    /// fork the log. Call outside an async runtime.
    pub fn open(&self) -> anyhow::Result<(Vault, bool)> {
        self.open_with(&Arc::default())
    }

    /// [`VaultArgs::open`], counting checkpoints not delivered to copies and witnesses in
    /// `deliveries` (which `vow serve` shows in `/metrics`).
    pub fn open_with(
        &self,
        deliveries: &Arc<vow_server::CheckpointDeliveries>,
    ) -> anyhow::Result<(Vault, bool)> {
        // Commands that open a vault log on standard error, such as a checkpoint not delivered.
        init_logging();
        let outcome = vow_policy::check(
            &vow_policy::read_limited(&self.policy)
                .with_context(|| format!("cannot read the policy {}", self.policy.display()))?,
            &self.policy.display().to_string(),
        );
        let policy = match outcome.policy {
            Some(policy) if outcome.errors.is_empty() => policy,
            _ => bail!(
                "the policy {} is invalid; run `vow policy check {}` to see why",
                self.policy.display(),
                self.policy.display()
            ),
        };
        let (keys, key_file, created, store) = self.open_keys_and_store(true)?;
        let remembered = store
            .record_audit_key_blocking(keys.signing_key().verifying_key().to_bytes())
            .context("cannot read the key store")?;
        self.check_own_keys(&keys, key_file.as_ref(), remembered.audit_key)?;
        for checkpoints in self.checkpoint_files() {
            if CheckpointFile::repair_torn_tail(&checkpoints).unwrap_or(false) {
                eprintln!(
                    "note: the last line of {} was torn by a crash and has been removed",
                    checkpoints.display()
                );
            }
        }
        self.refuse_rollback(&store, &keys, &remembered)?;
        let mut vault = Vault::new(VaultConfig {
            policy,
            keys,
            key_file,
            store,
            clock: Arc::new(SystemClock),
            checkpoints: Some(self.checkpoint_file()),
        });
        // A copy or witness that fails loses nothing (the checkpoint is in the local file, and the next
        // one covers it): the failure is logged as a delivery failure and counted, never fatal.
        for copy in self.checkpoint_copy.clone() {
            let to = copy.display().to_string();
            vault = vault.with_checkpoint_sink(deliveries.sink(
                vow_server::Destination::Copy,
                to,
                move |checkpoint| CheckpointFile::append(&copy, checkpoint),
            ));
        }
        for witness in self.checkpoint_witness.clone() {
            let to = witness.url().to_string();
            vault = vault.with_checkpoint_sink(deliveries.sink(
                vow_server::Destination::Witness,
                to,
                // Blocking network I/O: let the runtime move its other tasks off this thread.
                move |checkpoint| tokio::task::block_in_place(|| witness.send(checkpoint)),
            ));
        }
        if let Some(dir) = self.uploads_dir() {
            vault = vault.with_uploads(dir);
        }
        Ok((vault, created))
    }

    fn uploads_dir(&self) -> Option<PathBuf> {
        self.uploads
            .clone()
            .or_else(|| self.data_dir().map(|d| d.join("uploads")))
    }

    /// The newest checkpoint signed by this vault's key, from the key store or a checkpoint file,
    /// must name an entry the log still has, with the same hash.
    fn refuse_rollback(
        &self,
        store: &Store,
        keys: &KeyRing,
        remembered: &Remembered,
    ) -> anyhow::Result<()> {
        let verifier = keys.signing_key().verifying_key();
        let mut newest: Option<(Checkpoint, String)> = None;
        let mut consider = |checkpoint: Checkpoint, place: String| {
            if checkpoint.verify(&verifier)
                && newest.as_ref().is_none_or(|(n, _)| checkpoint.seq > n.seq)
            {
                newest = Some((checkpoint, place));
            }
        };
        if let Some(head) = &remembered.signed_head {
            consider(head.clone(), "the key store".to_string());
        }
        for path in self.checkpoint_files() {
            // Only each file's newest valid checkpoint, read from its end: start-up must not grow
            // with the file, which gains a line every second the log moves.
            let newest_in_file = CheckpointFile::newest(&path, |cp| cp.verify(&verifier))
                .with_context(|| format!("cannot read the checkpoints {}", path.display()))?;
            if let Some(checkpoint) = newest_in_file {
                consider(checkpoint, path.display().to_string());
            }
        }
        let Some((signed, place)) = newest else {
            return Ok(());
        };
        let heads = store
            .audit_heads_blocking()
            .context("cannot read the access log")?;
        for signed_head in signed.chain_heads() {
            let chain = signed_head.chain;
            let of_chain = if chain == 0 {
                String::new()
            } else {
                format!(" of chain {chain}")
            };
            let head = heads
                .iter()
                .find(|e| e.chain == chain)
                .map_or(0, |entry| entry.seq);
            if head < signed_head.seq {
                bail!(
                    "the database is older than its access log's last signed checkpoint: the log ends at \
                     entry {head}{of_chain}, but entry {}{of_chain} was signed (recorded in {place}). It \
                     was restored from an older copy or cut short. vow will not use it, since new \
                     entries would fork the log: restore the newest copy of the database; `vow audit \
                     verify {}` shows what is missing.",
                    signed_head.seq,
                    self.vault_options()
                );
            }
            let at = vow_store::Position {
                chain,
                seq: signed_head.seq.saturating_sub(1),
            };
            let entry = store
                .audit_page_blocking(at, 1)
                .context("cannot read the access log")?
                .into_iter()
                .next()
                .filter(|e| e.chain == chain);
            if entry.map(|entry| entry.hash) != Some(signed_head.hash) {
                bail!(
                    "the database's access log differs from its last signed checkpoint at entry \
                     {}{of_chain} (recorded in {place}): it was restored from an older copy and \
                     written to since, or rewritten. vow will not use it: restore the newest copy of \
                     the database; `vow audit verify {}` shows where the log breaks.",
                    signed_head.seq,
                    self.vault_options()
                );
            }
        }
        Ok(())
    }
}

/// A word as a POSIX shell reads it: as is when plain, else single-quoted.
pub(crate) fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+-,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

// ---- vow serve

pub const SERVE_LONG_ABOUT: &str = "\
Run the personal-data vault: an HTTP API that keeps your users' personal data as your policy
file says.

Your application stores an opaque subject id; vow stores the data, encrypted with a key per
subject, and refuses any category, subject kind or role the policy does not declare. Every
read, write, export and erasure is written to a hash-chained access log in the same
transaction, with signed checkpoints outside the database.

On first start vow binds its address, then creates the data directory (mode 0700) and the
key file (mode 0600) and prints an admin API key once. Keep the key file out of the
database's backups: erasing a subject destroys its data key, and only then is every copy of
their data unreadable. Back the key file up on its own: a vault that holds data refuses to
start without its key file (or with another vault's), and changes nothing.

vow refuses to start when a file it keeps at rest is open to group or others (it names the
`chmod` that fixes it), and when the database is older than the access log's newest signed
checkpoint (restored from an older copy): new entries would fork the log.";

pub const SERVE_AFTER_LONG_HELP: &str = "\
Examples:
  vow serve --policy examples/policies/imagesfactory.toml
  vow serve --policy policy.toml --data /var/lib/vow --listen 0.0.0.0:8443 \\
            --tls-cert cert.pem --tls-key key.pem --tls13-only
  vow serve --policy policy.toml --database-url postgres://vow@db/vow --key-file /etc/vow/keys

Then, with the admin key:
  curl -H 'Authorization: Bearer vow_…' -X POST localhost:8080/v1/keys \\
       -d '{\"role\": \"service\"}'
  curl localhost:8080/openapi.json";

#[derive(Args, Debug)]
#[command(long_about = SERVE_LONG_ABOUT, after_long_help = SERVE_AFTER_LONG_HELP)]
pub struct ServeArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Address to listen on.
    #[arg(long, env = "VOW_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// PEM certificate chain: serve HTTPS (rustls) instead of HTTP.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Refuse TLS 1.2: TLS 1.3 only.
    #[arg(long, requires = "tls_cert")]
    pub tls13_only: bool,
    /// A reverse proxy in front of vow (ADDR or ADDR/PREFIX, repeatable): its X-Forwarded-For is
    /// believed, so the access log, the lockouts and the rate limits see the client, not the proxy.
    /// Nobody else's X-Forwarded-For is. (The cap on connections per address still counts the
    /// proxy: its connections are its own.)
    #[arg(long, value_name = "ADDR[/PREFIX]")]
    pub trusted_proxy: Vec<String>,
    /// TLS ends at a proxy in front of vow: mark the console's and the privacy center's cookies
    /// Secure (with the __Secure- prefix) and make their links https, as with --tls-cert.
    #[arg(long, conflicts_with = "tls_cert")]
    pub secure_cookies: bool,
    /// Deliver events (consent changes, re-confirmations due) to this URL: signed POSTs, retried
    /// until answered 2xx, in order per subject. https, or http to this machine only.
    #[arg(long, env = "VOW_WEBHOOK_URL", value_name = "URL")]
    pub webhook_url: Option<String>,
    /// The environment variable holding the webhook signing secret (at least 16 bytes). Never put
    /// the secret itself on the command line, where `ps` shows it.
    #[arg(long, value_name = "NAME", default_value = "VOW_WEBHOOK_SECRET")]
    pub webhook_secret_env: String,
    /// Run the retention sweep (as `vow sweep`) every this many minutes; 0 turns it off (then run
    /// `vow sweep` from cron). Several servers on one database may all sweep: each piece goes once.
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub sweep_every: u64,
    /// Serve the privacy officer's console (/console/) on this address instead of the API's, e.g.
    /// an internal one; the API's listener then serves no console page.
    #[arg(long, env = "VOW_CONSOLE_LISTEN", value_name = "ADDR")]
    pub console_listen: Option<String>,
    /// Send the privacy center's one-time codes by e-mail through this SMTP server:
    /// smtp://user:pass@host:587 (STARTTLS, required unless ?tls=opportunistic; a relay on
    /// localhost is spoken to in the clear) or smtps://user:pass@host:465 (TLS).
    #[arg(
        long,
        env = "VOW_SMTP_URL",
        value_name = "URL",
        conflicts_with = "mail_dir"
    )]
    pub smtp_url: Option<String>,
    /// Write the privacy center's e-mails as RFC 5322 .eml files in DIR instead of sending them
    /// (development and tests: the file holds the recipient and the code).
    #[arg(long, value_name = "DIR")]
    pub mail_dir: Option<PathBuf>,
    /// The sender of the privacy center's e-mails.
    #[arg(
        long,
        env = "VOW_MAIL_FROM",
        value_name = "ADDRESS",
        default_value = "Privacy Center <privacy@localhost>"
    )]
    pub mail_from: String,
    /// Earlier versions of the policy file (*.toml), as `vow policy publish --history` takes
    /// them: the privacy center serves them and a page per change beside the running version.
    #[arg(long, value_name = "DIR")]
    pub policy_history: Option<PathBuf>,
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    // The listener first: when the port is taken, nothing is created, and the first start (which
    // prints the admin key) is still to come.
    let listener = std::net::TcpListener::bind(&args.listen).with_context(|| {
        format!(
            "cannot listen on {}; nothing was created or changed",
            args.listen
        )
    })?;
    let address = listener.local_addr()?;
    let console_listener = match &args.console_listen {
        Some(console) => Some(std::net::TcpListener::bind(console).with_context(|| {
            format!("cannot listen on {console} (--console-listen); nothing was created or changed")
        })?),
        None => None,
    };
    let trusted_proxies = vow_server::TrustedProxies::parse(&args.trusted_proxy)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was created or changed"))?;
    let webhooks = match &args.webhook_url {
        Some(url) => {
            let secret = std::env::var(&args.webhook_secret_env).map_err(|_| {
                anyhow::anyhow!(
                    "--webhook-url needs the signing secret in the environment variable {}; nothing was created or changed",
                    args.webhook_secret_env
                )
            })?;
            Some(
                vow_server::WebhookConfig::new(url, secret.into_bytes())
                    .context("--webhook-url; nothing was created or changed")?,
            )
        }
        None => None,
    };
    let transport = match (&args.smtp_url, &args.mail_dir) {
        (Some(url), _) => vow_server::MailTransport::Smtp(url.clone()),
        (None, Some(dir)) => vow_server::MailTransport::Dir(dir.clone()),
        (None, None) => vow_server::MailTransport::None,
    };
    vow_server::Mailer::check(&transport, &args.mail_from)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was created or changed"))?;
    let checkpoint_deliveries = Arc::new(vow_server::CheckpointDeliveries::default());
    let (vault, created) = args.vault.open_with(&checkpoint_deliveries)?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal();
        let vault = Arc::new(vault);
        let admin_roles: Vec<String> = vault
            .policy()
            .roles
            .iter()
            .filter(|r| r.admin)
            .map(|r| r.key.clone())
            .collect();
        if created {
            match admin_roles.first() {
                Some(role) => {
                    let key = vault
                        .create_api_key(&Caller::operator(Some("first start".into())), role, "first admin")
                        .await?;
                    let shown = crate::out::println(format_args!(
                        "Created the key file and an admin key (role {role}). It is shown only this once:\n\n    {}\n\n\
                         Create keys for your service with it: POST /v1/keys {{\"role\": \"...\"}}, or `{}`.",
                        key.secret.as_str(),
                        args.vault.keys_create_command("ROLE")
                    ));
                    if let Err(error) = shown {
                        // The server goes on; the key that nobody saw must not stay usable.
                        vault.revoke_api_key(&Caller::operator(Some("first start".into())), &key.id).await?;
                        eprintln!(
                            "note: the admin key could not be shown on standard output ({error}), so it was revoked; \
                             make one with `{}`",
                            args.vault.keys_create_command(role)
                        );
                    }
                }
                None => eprintln!(
                    "note: the policy declares no [[role]] with admin = true, so no admin key was made; \
                     make keys with `{}`",
                    args.vault.keys_create_command("ROLE")
                ),
            }
        } else if let Some(role) = admin_roles.first() {
            let keys = vault.list_api_keys(&Caller::operator(None)).await?;
            let has_admin = keys
                .iter()
                .any(|k| k.revoked_ms.is_none() && admin_roles.contains(&k.role));
            if !has_admin {
                eprintln!(
                    "note: this vault has no admin API key (none made yet, or all revoked); make one with `{}`",
                    args.vault.keys_create_command(role)
                );
            }
        }
        let (by_email, by_phone) = vault.code_channels();
        if by_email && args.smtp_url.is_none() && args.mail_dir.is_none() {
            eprintln!(
                "note: people can ask the privacy center for a code by e-mail, but no mail goes out; \
                 give --smtp-url (or --mail-dir to write the messages to files)"
            );
        }
        if by_phone && args.webhook_url.is_none() {
            eprintln!(
                "note: people can ask the privacy center for a code by phone, and those codes go only \
                 to your webhook as privacy.code events; without --webhook-url none is sent"
            );
        }
        let scheme = if args.tls_cert.is_some() { "https" } else { "http" };
        // A server goes on serving when nobody reads its standard output any more.
        let _ = crate::out::println(format_args!(
            "vow is serving {} on {scheme}://{address} ({}); OpenAPI at /openapi.json, the privacy center at /privacy/",
            args.vault.policy.display(),
            vault.store().description()
        ));
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(vow_server::Tls {
                cert,
                key,
                tls13_only: args.tls13_only,
            }),
            _ => None,
        };
        let deliveries = webhooks.map(|config| {
            let _ = crate::out::println(format_args!("delivering events to {}", config.url));
            tokio::spawn(vow_server::deliver_events(Arc::clone(&vault), config))
        });
        let sweeper = (args.sweep_every > 0).then(|| {
            tokio::spawn(vow_server::sweep_periodically(
                Arc::clone(&vault),
                std::time::Duration::from_secs(args.sweep_every.saturating_mul(60)),
            ))
        });
        let mailer = vow_server::Mailer::start(transport, &args.mail_from)?;
        let history = match &args.policy_history {
            Some(dir) => crate::policy_publish::read_history(dir, vault.policy())?,
            None => Vec::new(),
        };
        let privacy = vow_server::PrivacyCenter::new(vault.policy(), history, vault.now_ms())
            .with_mailer(mailer)
            .with_text_codes(deliveries.is_some());
        let state = vow_server::AppState::new(Arc::clone(&vault))
            .with_checkpoint_deliveries(checkpoint_deliveries)
            .with_tls(tls.is_some() || args.secure_cookies)
            .with_trusted_proxies(trusted_proxies)
            .with_privacy_center(privacy);
        let console_server = match console_listener {
            Some(console) => {
                let console_address = console.local_addr()?;
                let _ = crate::out::println(format_args!(
                    "the console is at {scheme}://{console_address}/console/ (and not on {address})"
                ));
                let state = state.clone().with_surfaces(vow_server::Surfaces { api: false, console: true });
                let tls = tls.clone();
                Some(tokio::spawn(async move {
                    vow_server::serve(state, console, tls, vow_server::Limits::default(), shutdown_signal()).await
                }))
            }
            None => {
                let _ = crate::out::println(format_args!("the console is at {scheme}://{address}/console/"));
                None
            }
        };
        let state = if console_server.is_some() {
            state.with_surfaces(vow_server::Surfaces { api: true, console: false })
        } else {
            state
        };
        let served = vow_server::serve(state, listener, tls, vow_server::Limits::default(), shutdown).await;
        if let Some(task) = console_server {
            match task.await {
                Ok(Err(error)) => eprintln!("error: the console's listener failed: {error}"),
                Err(error) => eprintln!("error: the console's listener stopped: {error}"),
                Ok(Ok(())) => {}
            }
        }
        // A delivery cut short here is leased, not lost: it goes again after the lease.
        if let Some(task) = deliveries {
            task.abort();
        }
        // A sweep cut short commits what it finished; the rest is found again by the next one.
        if let Some(task) = sweeper {
            task.abort();
        }
        served?;
        vault.store().clone().close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives while the server is still starting (after it
/// said it is serving) shuts it down cleanly instead of killing it.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {},
                _ = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The server's log on standard error: coloured on a terminal only, never with `NO_COLOR` set, so a
/// log redirected to a file holds no escape codes.
pub(crate) fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(crate::out::colour_on_stderr())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VOW_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
}

// ---- vow keys

pub const KEYS_LONG_ABOUT: &str = "\
Manage API keys and the key-encryption key.

API keys are stored only as keyed digests: a key's secret is shown once, when it is made.
Each key has one role from the policy file's [[role]] table; the role decides which
categories it may read, write and see in full. Creating and revoking keys is recorded in the
access log, which is kept like the rest of it (at least 3 years for access-right changes).";

#[derive(Args, Debug)]
#[command(long_about = KEYS_LONG_ABOUT)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an API key for a role; prints its secret once.
    Create {
        #[command(flatten)]
        vault: VaultArgs,
        /// A role the policy declares.
        #[arg(long)]
        role: String,
        /// A note to tell keys apart (who or what uses it).
        #[arg(long, default_value = "")]
        label: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Revoke a key: it stops working within two seconds on every server.
    Revoke {
        #[command(flatten)]
        vault: VaultArgs,
        /// The key's id (key_…), as `vow keys list` shows it.
        id: String,
    },
    /// Add a key-encryption-key version and re-wrap every subject's data key under it. Safe
    /// while vow serve runs: servers pick up the new version from the key file.
    Rotate {
        #[command(flatten)]
        vault: VaultArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

pub fn keys(args: KeysArgs) -> anyhow::Result<ExitCode> {
    // Opened before the runtime starts: opening reads the store with blocking calls.
    let (vault, _) = match &args.command {
        KeysCommand::Create { vault, .. }
        | KeysCommand::List { vault, .. }
        | KeysCommand::Revoke { vault, .. }
        | KeysCommand::Rotate { vault } => vault.open()?,
    };
    let runtime = runtime()?;
    runtime.block_on(async move {
        let operator = Caller::operator(None);
        match args.command {
            KeysCommand::Create {
                role,
                label,
                format,
                ..
            } => {
                let key = vault.create_api_key(&operator, &role, &label).await?;
                let shown = match format {
                    OutputFormat::Json => crate::out::println(
                        serde_json::json!({"id": key.id, "role": key.role, "secret": key.secret.as_str()}),
                    ),
                    OutputFormat::Text => crate::out::println(format_args!(
                        "Created {} (role {}). Its secret, shown only now:\n\n    {}",
                        key.id,
                        key.role,
                        key.secret.as_str()
                    )),
                };
                if let Err(error) = shown {
                    // Not a quiet end: a key whose secret nobody saw must not stay usable.
                    vault.revoke_api_key(&operator, &key.id).await?;
                    vault.checkpoint().await?;
                    vault.store().clone().close().await;
                    bail!(
                        "the secret of {} could not be written to standard output ({error}), so the key \
                         was revoked; make another",
                        key.id
                    );
                }
                vault.checkpoint().await?;
                vault.store().clone().close().await;
            }
            KeysCommand::List { format, .. } => {
                let keys = vault.list_api_keys(&operator).await?;
                vault.store().clone().close().await;
                let mut out = crate::out::stdout();
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&keys)?)?,
                    OutputFormat::Text if keys.is_empty() => writeln!(
                        out,
                        "No API keys yet. Make one with `vow keys create --role ROLE` (the roles are the policy's [[role]] keys)."
                    )?,
                    OutputFormat::Text => {
                        writeln!(out, "{:<38} {:<18} {:<8} label", "id", "role", "state")?;
                        for key in keys {
                            let state = if key.revoked_ms.is_some() { "revoked" } else { "active" };
                            writeln!(out, "{:<38} {:<18} {:<8} {}", key.id, key.role, state, key.label)?;
                        }
                    }
                }
                out.flush()?;
            }
            KeysCommand::Revoke { id, .. } => {
                vault.revoke_api_key(&operator, &id).await?;
                vault.checkpoint().await?;
                vault.store().clone().close().await;
                crate::out::println(format_args!("Revoked {id}."))?;
            }
            KeysCommand::Rotate { .. } => {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_message("re-wrapping data keys");
                let (version, count) = vault
                    .rotate_keys(|done| {
                        if done % 100 == 0 {
                            bar.set_position(done);
                            bar.tick();
                        }
                    })
                    .await?;
                bar.finish_and_clear();
                vault.store().clone().close().await;
                crate::out::println(format_args!(
                    "Key-encryption key version {version} is current; {count} data keys re-wrapped."
                ))?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

// ---- vow audit

pub const AUDIT_LONG_ABOUT: &str = "\
Check and review the access log.

`verify` walks the hash chain of every entry and checks it against the signed checkpoints
written outside the database (the checkpoint file and every --checkpoint-copy) and the newest
signed head the key store remembers: an edited, deleted, reordered or truncated entry is found
and named, and so are missing checkpoints and a key file that belongs to another vault.
Checkpoints are signed, not secret: verify reads a copy at any file mode.

`review` is the monthly review of access records the law requires (안전성 확보조치 기준 제8조):
exports and downloads, bulk reads and lookups, reads outside working hours, what each key did
and what it tried and was refused (403), access-right changes and provisions per recipient.
Keys are named by their label and id. Without --month it reviews the previous calendar month
(Korea time) and says so. --format json or csv for other tools: the CSV is one row per finding,
with a `section` column; --archive reads archived months too.

`archive` moves the entries logged before a day out of the database into a file sealed with the
audit key, once they are older than the policy's [safety] access_log_retention (and the law's floor:
one year, two with unique identifiers, sensitive data or 50,000 subjects); only after the file is
written and read back intact are the rows removed. `verify --archive FILE` proves both sides of the
cut; `verify-archive FILE --key-file KEYS` proves archives with nothing else, years later.";

#[derive(Args, Debug)]
#[command(long_about = AUDIT_LONG_ABOUT)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify the chain and the checkpoints; exit 1 and name the first broken entry if any.
    Verify {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Verify without checkpoint files, for a vault that never kept any: only the chain and the
        /// signed head remembered in the key store are checked. This gives up finding a log that
        /// was cut short or rolled back together with its key store. Without this flag a log with
        /// entries but no checkpoints, or with fewer than the key store remembers, is broken.
        #[arg(long)]
        no_checkpoints: bool,
        /// Also verify these archives (repeatable): each alone, sealed by this vault's key, and
        /// together with the database — one after another, each a cut the database recorded.
        #[arg(long, value_name = "FILE")]
        archive: Vec<PathBuf>,
    },
    /// Move the entries older than a date out to an archive file, then remove them from the
    /// database; never an entry younger than the policy's access_log_retention.
    Archive {
        #[command(flatten)]
        vault: VaultArgs,
        /// Archive the entries logged before this day (YYYY-MM-DD, Korea time). It must be at least
        /// [safety] access_log_retention ago (the law: 1 year, 2 with unique identifiers or
        /// sensitive data or 50,000 subjects or more).
        #[arg(long, value_name = "DATE")]
        before: String,
        /// The archive file to write (never replaced if it exists). Keep it where the law's
        /// records are kept; `vow audit verify-archive FILE` proves it alone.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify archive files alone, without the database: the chain inside, the signed seal and
    /// checkpoints, and — with --key-file — that the vault's audit key sealed them.
    VerifyArchive {
        /// Archive files, in any order; consecutive ones must link.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The vault's key file: the archives must be sealed by its audit key.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// The monthly review of the access log, for the privacy officer.
    Review {
        #[command(flatten)]
        vault: VaultArgs,
        /// The month to review, YYYY-MM (in Korea time). Default: the previous calendar month.
        #[arg(long, value_parser = parse_month)]
        month: Option<(i32, u8)>,
        /// Distinct subjects read by one key in one day above which it is a bulk read.
        #[arg(long, default_value_t = 100)]
        bulk_threshold: usize,
        /// text for people; json (the whole review) or csv (a row per finding, with a `section`
        /// column) for other tools.
        #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
        format: ReviewFormat,
        /// Archives to read as well, for a month whose entries were archived (repeatable).
        #[arg(long, value_name = "FILE")]
        archive: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    Text,
    Json,
    Csv,
}

/// The calendar month before the one `now_ms` falls in, in Korea time: the month a monthly review
/// covers when none is named.
fn previous_month(now_ms: i64) -> (i32, u8) {
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.checked_to_offset(vow_engine::marketing::KST))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let this = u8::from(now.month());
    if this == 1 {
        (now.year() - 1, 12)
    } else {
        (now.year(), this - 1)
    }
}

fn parse_month(text: &str) -> Result<(i32, u8), String> {
    let error = || format!("{text:?} is not a month; write YYYY-MM, e.g. 2026-11");
    let (year, month) = text.split_once('-').ok_or_else(error)?;
    let year: i32 = year.parse().map_err(|_| error())?;
    let month: u8 = month.parse().map_err(|_| error())?;
    if !(1..=12).contains(&month) || !(1970..=9999).contains(&year) {
        return Err(error());
    }
    Ok((year, month))
}

pub fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify {
            vault,
            format,
            no_checkpoints,
            archive,
        } => verify(&vault, format, no_checkpoints, &archive),
        AuditCommand::Archive { vault, before, out } => {
            crate::audit_archive::archive(&vault, &before, &out)
        }
        AuditCommand::VerifyArchive {
            files,
            key_file,
            format,
        } => crate::audit_archive::verify_archives(&files, key_file.as_deref(), format),
        AuditCommand::Review {
            vault,
            month,
            bulk_threshold,
            format,
            archive,
        } => review(&vault, month, bulk_threshold, format, &archive),
    }
}

/// Opens only the store and keys: verifying and reviewing need no policy.
pub(crate) fn open_log(args: &VaultArgs) -> anyhow::Result<(Store, KeyRing)> {
    if std::env::var_os("VOW_KEYS").is_none() {
        let location = args.location();
        let in_use = vow_store::inspect(&location)
            .map(|found| found.is_in_use())
            .unwrap_or(true);
        match args.key_file() {
            Some(path) if !path.exists() && !in_use => bail!(
                "no key file at {}, so this is not a vault's data; point --data (or --key-file) at the vault's",
                path.display()
            ),
            _ => {}
        }
    }
    let (keys, _, _, store) = args.open_keys_and_store(false)?;
    Ok((store, keys))
}

fn verify(
    args: &VaultArgs,
    format: OutputFormat,
    no_checkpoints: bool,
    archives: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let (store, keys) = open_log(args)?;
    let cuts = crate::audit_archive::cuts(&store)?;
    let remembered = store
        .remembered_blocking()
        .context("cannot read the key store")?;
    let mut checkpoints = Vec::new();
    if !no_checkpoints {
        for path in args.checkpoint_files() {
            if !path.exists() {
                eprintln!("note: no checkpoint file at {}", path.display());
                continue;
            }
            checkpoints.extend(
                vow_audit::CheckpointFile::read_all(&path)
                    .with_context(|| format!("cannot read the checkpoints {}", path.display()))?,
            );
        }
    }
    let verifier = keys.signing_key().verifying_key();
    let anchors = vow_audit::Anchors {
        checkpoints: &checkpoints,
        remembered: remembered.signed_head.as_ref(),
        required: !no_checkpoints,
        cuts: &cuts,
    };
    let verification =
        vow_audit::verify_anchored(store.audit_entries_blocking(), anchors, &verifier)
            .context("cannot read the access log")?;
    store.close_blocking();
    let archives = crate::audit_archive::check_archives(archives, Some(&verifier), Some(&cuts))?;
    let mut out = crate::out::stdout();
    match format {
        OutputFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                "intact": verification.is_intact() && archives.intact(),
                "entries": verification.entries,
                "chains": verification.chains,
                "checkpoints": verification.checkpoints,
                "first_break": verification.first_break.as_ref().map(|b| {
                    let mut json = crate::audit_archive::break_json(b);
                    json["chain"] = verification.break_chain.into();
                    json
                }),
                "archived_through": newest_cut(&cuts, 0).map(|c| c.to_seq),
                "archived": archived_through_json(&cuts),
                "archives": archives.json(),
            })
        )?,
        OutputFormat::Text => {
            writeln!(out, "{verification}")?;
            let chains: std::collections::BTreeSet<u32> = cuts.iter().map(|c| c.chain).collect();
            for chain in chains {
                let Some(cut) = newest_cut(&cuts, chain) else {
                    continue;
                };
                let of_chain = if chain == 0 {
                    String::new()
                } else {
                    format!(" of chain {chain}")
                };
                let count = cuts.iter().filter(|c| c.chain == chain).count();
                writeln!(
                    out,
                    "Entries 1–{}{of_chain} were archived ({} cut{}); the log continues from the newest cut's signed head.",
                    cut.to_seq,
                    count,
                    if count == 1 { "" } else { "s" }
                )?;
            }
            archives.write_text(&mut out)?;
            if verification.entries == 0 && verification.is_intact() {
                writeln!(
                    out,
                    "The access log is empty: nothing has been done in this vault yet."
                )?;
            }
            if let Some(vow_audit::Break::NoCheckpoints { .. }) = verification.first_break {
                writeln!(out, "If this vault never kept checkpoints, `vow audit verify --no-checkpoints` checks the chain alone.")?;
            }
        }
    }
    out.flush()?;
    Ok(if verification.is_intact() && archives.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A chain's newest recorded cut.
fn newest_cut(cuts: &[vow_audit::Cut], chain: u32) -> Option<&vow_audit::Cut> {
    cuts.iter()
        .filter(|c| c.chain == chain)
        .max_by_key(|c| c.to_seq)
}

/// `{"0": 1200, "3": 80}`: how far each chain was archived.
fn archived_through_json(cuts: &[vow_audit::Cut]) -> serde_json::Value {
    let mut chains = serde_json::Map::new();
    for cut in cuts {
        let through = newest_cut(cuts, cut.chain).map_or(0, |c| c.to_seq);
        chains.insert(cut.chain.to_string(), through.into());
    }
    serde_json::Value::Object(chains)
}

fn review(
    args: &VaultArgs,
    month: Option<(i32, u8)>,
    bulk_threshold: usize,
    format: ReviewFormat,
    archives: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let (year, month_number) = month.unwrap_or_else(|| previous_month(now_ms));
    let (store, keys) = open_log(args)?;
    let cuts = crate::audit_archive::cuts(&store)?;
    let mut options = vow_audit::ReviewOptions::for_month(year, month_number);
    options.bulk_threshold = bulk_threshold;
    let mut failure = None;
    let mut archive_failure = None;
    let verifier = keys.signing_key().verifying_key();
    let (archived_through, archived) =
        crate::audit_archive::entries_of(archives, &verifier, &cuts)?;
    let archived = archived.map_while(|entry| entry.map_err(|e| archive_failure = Some(e)).ok());
    // After an interrupted prune the database still holds rows the archives hold: each is read once.
    let entries = archived.chain(
        store
            .audit_entries_blocking()
            .filter(|entry| {
                entry.as_ref().map_or(true, |e| {
                    archived_through
                        .get(&e.chain)
                        .is_none_or(|&through| e.seq > through)
                })
            })
            .map_while(|entry| entry.map_err(|e| failure = Some(e)).ok()),
    );
    let mut review = vow_audit::Review::build(entries, &options);
    if let Some(error) = archive_failure {
        return Err(error).context("cannot read an archive");
    }
    if let Some(error) = failure {
        return Err(error).context("cannot read the access log");
    }
    // The log names keys by id; the key store has the labels they were given.
    let labels = match store
        .apply_blocking(vow_store::Request::unlogged(vow_store::KeyOp::ListApiKeys))
        .context("cannot read the API keys")?
    {
        vow_store::Outcome::ApiKeys(keys) => {
            keys.into_iter().map(|key| (key.id, key.label)).collect()
        }
        _ => std::collections::BTreeMap::new(),
    };
    store.close_blocking();
    review.label_keys(&labels);
    review.default_month = month.is_none();
    let mut out = crate::out::stdout();
    match format {
        ReviewFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&review)?)?,
        ReviewFormat::Text => write!(out, "{}", review.to_text())?,
        ReviewFormat::Csv => review_csv(&review, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The review as one table for spreadsheets and scripts: a row per finding, the `section` column
/// saying which part of the review it belongs to (export, off_hours, access_change, bulk_read,
/// bulk_lookup, per_key, denied, provision). Text that came from callers (reasons) is defused
/// against formulas.
fn review_csv(review: &vow_audit::Review, out: &mut impl Write) -> anyhow::Result<()> {
    use crate::consent_cli::cell;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "month",
        "section",
        "when",
        "seq",
        "key_id",
        "key_label",
        "role",
        "source",
        "subject",
        "action",
        "detail",
        "count",
        "reason",
    ])?;
    let month = review.month.as_str();
    let label = |id: &str| cell(review.key_labels.get(id).map_or("", String::as_str));
    for (section, list) in [
        ("export", &review.exports),
        ("off_hours", &review.off_hours_reads),
        ("access_change", &review.access_changes),
    ] {
        for f in list {
            csv.write_record([
                month,
                section,
                &f.local_time,
                &f.position().to_string(),
                &f.key_id,
                &label(&f.key_id),
                &f.role,
                &f.source,
                f.subject_id.as_deref().unwrap_or(""),
                f.action.as_str(),
                &cell(&f.categories.join(" ")),
                "1",
                &cell(f.reason.as_deref().unwrap_or("")),
            ])?;
        }
    }
    for b in &review.bulk_reads {
        csv.write_record([
            month,
            "bulk_read",
            &b.date,
            "",
            &b.key_id,
            &label(&b.key_id),
            &b.role,
            "",
            "",
            "read",
            "distinct subjects",
            &b.subjects.to_string(),
            "",
        ])?;
    }
    for b in &review.bulk_lookups {
        csv.write_record([
            month,
            "bulk_lookup",
            &b.date,
            "",
            &b.key_id,
            &label(&b.key_id),
            &b.role,
            "",
            "",
            "lookup",
            &format!("{} found nobody", b.unmatched),
            &b.lookups.to_string(),
            "",
        ])?;
    }
    for k in &review.per_key {
        for (measure, count) in [
            ("total", k.total),
            ("read", k.reads),
            ("write", k.writes),
            ("delete", k.deletions),
            ("export", k.exports),
            ("other", k.other),
            ("denied", k.denied),
            ("distinct_subjects", k.distinct_subjects as u64),
            ("off_hours", k.off_hours),
        ] {
            csv.write_record([
                month,
                "per_key",
                "",
                "",
                &k.key_id,
                &label(&k.key_id),
                &k.roles.join(","),
                "",
                "",
                "",
                measure,
                &count.to_string(),
                "",
            ])?;
        }
    }
    for d in &review.denied {
        for r in &d.routes {
            csv.write_record([
                month,
                "denied",
                &format!("{} – {}", d.first, d.last),
                "",
                &d.key_id,
                &label(&d.key_id),
                &d.roles.join(","),
                "",
                "",
                "denied",
                &r.route,
                &r.attempts.to_string(),
                "",
            ])?;
        }
    }
    for t in &review.transfers {
        let labels: Vec<String> = t.keys.iter().map(|k| label(k)).collect();
        csv.write_record([
            month,
            "provision",
            "",
            "",
            &t.keys.join(" "),
            &labels.join(" "),
            "",
            "",
            "",
            "provide",
            &cell(&t.recipient),
            &t.provisions.to_string(),
            "",
        ])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::previous_month;

    #[test]
    fn the_default_review_month_is_the_previous_calendar_month_in_korea_time() {
        // 2026-01-15 12:00 KST: December of the year before.
        assert_eq!(previous_month(1_768_446_000_000), (2025, 12));
        // 2026-03-31 15:30 UTC is already 1 April in Korea: March.
        assert_eq!(previous_month(1_774_971_000_000), (2026, 3));
    }
}
