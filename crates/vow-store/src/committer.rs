//! Group commit: one thread per process owns the database connection, takes every request waiting in
//! its queue, applies them in one transaction and answers each caller after the commit. Under load a
//! batch grows, so the cost of a commit (one disk flush) is shared by many requests.

use std::thread;

use tokio::sync::{mpsc, oneshot};
use vow_audit::{Checkpoint, Entry, Position};

use crate::backend::postgres::PostgresBackend;
use crate::backend::sqlite::SqliteBackend;
use crate::remembered::{Remember, Remembered};
use crate::{Durability, Location, Outcome, Request, StoreError};

/// How the committer batches.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// Most requests applied in one transaction.
    pub max_batch: usize,
    /// Requests that may wait in the queue before callers wait to enqueue (back-pressure).
    pub queue: usize,
    pub durability: Durability,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_batch: 1024,
            queue: 16 * 1024,
            durability: Durability::Full,
        }
    }
}

enum Backend {
    Sqlite(SqliteBackend),
    Postgres(Box<PostgresBackend>),
}

impl Backend {
    fn apply(&mut self, batch: &[Request]) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        match self {
            Backend::Sqlite(b) => b.apply(batch),
            Backend::Postgres(b) => b.apply(batch),
        }
    }
    fn audit_heads(&mut self) -> Result<Vec<Entry>, StoreError> {
        match self {
            Backend::Sqlite(b) => b.audit_heads(),
            Backend::Postgres(b) => b.audit_heads(),
        }
    }
    fn chain(&self) -> u32 {
        match self {
            Backend::Sqlite(_) => 0,
            Backend::Postgres(b) => b.chain(),
        }
    }
    fn audit_page(&mut self, after: Position, limit: usize) -> Result<Vec<Entry>, StoreError> {
        match self {
            Backend::Sqlite(b) => b.audit_page(after, limit),
            Backend::Postgres(b) => b.audit_page(after, limit),
        }
    }
    fn remember(&mut self, what: &Remember) -> Result<Remembered, StoreError> {
        match self {
            Backend::Sqlite(b) => b.remember(what),
            Backend::Postgres(b) => b.remember(what),
        }
    }
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Job {
    Apply(Box<Request>, Reply<Outcome>),
    AuditPage {
        after: Position,
        limit: usize,
        reply: Reply<Vec<Entry>>,
    },
    AuditHeads(Reply<Vec<Entry>>),
    Remember(Remember, Reply<Remembered>),
    Close(oneshot::Sender<()>),
}

/// A handle on the store; cheap to clone, shared by every task of a process.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    description: String,
    chain: u32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.description)
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating as needed) the store and starts its committer thread.
    pub fn open(location: &Location, options: StoreOptions) -> Result<Store, StoreError> {
        let description = match location {
            Location::Directory(dir) => format!("SQLite in {}", dir.display()),
            Location::Postgres { schema, .. } => format!(
                "PostgreSQL{}",
                schema
                    .as_deref()
                    .map(|s| format!(" (schema {s})"))
                    .unwrap_or_default()
            ),
        };
        let (jobs, queue) = mpsc::channel(options.queue.max(1));
        let max_batch = options.max_batch.max(1);
        let durability = options.durability;
        let (opened, outcome) = std::sync::mpsc::sync_channel(1);
        let location = location.clone();
        // The connection is made on the committer thread itself: the PostgreSQL client runs its own
        // small runtime, which must not be started from inside the caller's.
        thread::Builder::new()
            .name("vow-store-committer".to_string())
            .spawn(move || {
                let backend = match &location {
                    Location::Directory(dir) => {
                        SqliteBackend::open(dir, durability).map(Backend::Sqlite)
                    }
                    Location::Postgres { url, schema } => {
                        PostgresBackend::connect(url, schema.as_deref(), durability)
                            .map(|b| Backend::Postgres(Box::new(b)))
                    }
                };
                match backend {
                    Ok(backend) => {
                        let _ = opened.send(Ok(backend.chain()));
                        run_committer(backend, queue, max_batch);
                    }
                    Err(error) => {
                        let _ = opened.send(Err(error));
                    }
                }
            })
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        let chain = outcome.recv().map_err(|_| StoreError::Closed)??;
        Ok(Store {
            jobs,
            description,
            chain,
        })
    }

    /// The chain of the access log this store's writer extends (0 on SQLite; on PostgreSQL, each
    /// process its own).
    pub fn chain(&self) -> u32 {
        self.chain
    }

    /// Where the data lives, for messages (never a password).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Applies one request; resolves once it is committed (or failed).
    pub async fn apply(&self, request: Request) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Apply(Box::new(request), reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The same, for callers outside an async runtime (the command line).
    pub fn apply_blocking(&self, request: Request) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .blocking_send(Job::Apply(Box::new(request), reply))
            .map_err(|_| StoreError::Closed)?;
        answer.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Log entries after the position `after`, in order (chain by chain, each in seq order), at
    /// most `limit`.
    pub async fn audit_page(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::AuditPage {
                after,
                limit,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    pub fn audit_page_blocking(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .blocking_send(Job::AuditPage {
                after,
                limit,
                reply,
            })
            .map_err(|_| StoreError::Closed)?;
        answer.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Every chain's newest entry, by chain, once everything queued before the call is committed
    /// (for checkpoints). Empty when the log is.
    pub async fn audit_heads(&self) -> Result<Vec<Entry>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::AuditHeads(reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    pub fn audit_heads_blocking(&self) -> Result<Vec<Entry>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .blocking_send(Job::AuditHeads(reply))
            .map_err(|_| StoreError::Closed)?;
        answer.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// The newest entry of any chain (by time, then position), for showing where the log stands.
    pub async fn audit_newest(&self) -> Result<Option<Entry>, StoreError> {
        Ok(newest(self.audit_heads().await?))
    }

    async fn remember(&self, what: Remember) -> Result<Remembered, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Remember(what, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    fn remember_blocking(&self, what: Remember) -> Result<Remembered, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .blocking_send(Job::Remember(what, reply))
            .map_err(|_| StoreError::Closed)?;
        answer.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// What the key store remembers: the vault's audit key and the newest signed head of the log.
    pub fn remembered_blocking(&self) -> Result<Remembered, StoreError> {
        self.remember_blocking(Remember::Read)
    }

    /// Records the public half of the key file's audit key, unless one is recorded already; returns
    /// what is remembered afterwards, so the caller can compare.
    pub fn record_audit_key_blocking(&self, key: [u8; 32]) -> Result<Remembered, StoreError> {
        self.remember_blocking(Remember::AuditKey(key))
    }

    /// Records a signed head of the log in the key store, unless a later one is recorded already.
    pub async fn remember_signed_head(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.remember(Remember::Head(checkpoint.clone()))
            .await
            .map(|_| ())
    }

    /// Commits what is queued, closes the database (releasing the data directory) and stops the
    /// committer. Requests sent afterwards through other handles fail with `Closed`.
    pub async fn close(self) {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send(Job::Close(reply)).await.is_ok() {
            let _ = answer.await;
        }
    }

    pub fn close_blocking(self) {
        let (reply, answer) = oneshot::channel();
        if self.jobs.blocking_send(Job::Close(reply)).is_ok() {
            let _ = answer.blocking_recv();
        }
    }

    /// Every log entry in order (chain by chain), page by page, without holding the whole log in
    /// memory. Paging by position is safe while writers go on: a chain has one writer, which
    /// commits its entries in seq order.
    pub fn audit_entries_blocking(&self) -> impl Iterator<Item = Result<Entry, StoreError>> + '_ {
        self.audit_entries_after_blocking(Position::default())
    }

    /// The same, from the entry after `after` on.
    pub fn audit_entries_after_blocking(
        &self,
        mut after: Position,
    ) -> impl Iterator<Item = Result<Entry, StoreError>> + '_ {
        const PAGE: usize = 10_000;
        let mut page: std::vec::IntoIter<Entry> = Vec::new().into_iter();
        let mut done = false;
        std::iter::from_fn(move || loop {
            if let Some(entry) = page.next() {
                after = entry.position();
                return Some(Ok(entry));
            }
            if done {
                return None;
            }
            match self.audit_page_blocking(after, PAGE) {
                Ok(next) => {
                    done = next.len() < PAGE;
                    page = next.into_iter();
                }
                Err(error) => {
                    done = true;
                    return Some(Err(error));
                }
            }
        })
    }
}

/// The newest of the chains' heads: latest time, then highest position.
fn newest(heads: Vec<Entry>) -> Option<Entry> {
    heads.into_iter().max_by_key(|e| (e.at_ms, e.position()))
}

fn run_committer(mut backend: Backend, mut queue: mpsc::Receiver<Job>, max_batch: usize) {
    let closed = commit_until_closed(&mut backend, &mut queue, max_batch);
    drop(backend);
    if let Some(closed) = closed {
        let _ = closed.send(());
    }
}

/// Runs until every handle is gone or one asks to close; returns that caller's reply channel.
fn commit_until_closed(
    backend: &mut Backend,
    queue: &mut mpsc::Receiver<Job>,
    max_batch: usize,
) -> Option<oneshot::Sender<()>> {
    let mut requests = Vec::with_capacity(max_batch);
    let mut replies: Vec<Reply<Outcome>> = Vec::with_capacity(max_batch);
    while let Some(job) = queue.blocking_recv() {
        let mut next = Some(job);
        while let Some(job) = next.take() {
            match job {
                Job::Apply(request, reply) => {
                    requests.push(*request);
                    replies.push(reply);
                }
                Job::AuditPage {
                    after,
                    limit,
                    reply,
                } => {
                    // Answered in queue order, after everything queued before it is committed.
                    flush(backend, &mut requests, &mut replies);
                    let _ = reply.send(backend.audit_page(after, limit));
                }
                Job::AuditHeads(reply) => {
                    flush(backend, &mut requests, &mut replies);
                    let _ = reply.send(backend.audit_heads());
                }
                Job::Remember(what, reply) => {
                    flush(backend, &mut requests, &mut replies);
                    let _ = reply.send(backend.remember(&what));
                }
                Job::Close(reply) => {
                    flush(backend, &mut requests, &mut replies);
                    queue.close();
                    return Some(reply);
                }
            }
            if requests.len() < max_batch {
                next = queue.try_recv().ok();
            }
        }
        flush(backend, &mut requests, &mut replies);
    }
    None
}

fn flush(backend: &mut Backend, requests: &mut Vec<Request>, replies: &mut Vec<Reply<Outcome>>) {
    if requests.is_empty() {
        return;
    }
    match backend.apply(requests) {
        Ok(results) => {
            for (reply, result) in replies.drain(..).zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            // The transaction did not commit: nothing of the batch happened, and every caller hears so.
            let message = error.to_string();
            for reply in replies.drain(..) {
                let _ = reply.send(Err(StoreError::RolledBack(message.clone())));
            }
        }
    }
    requests.clear();
}
