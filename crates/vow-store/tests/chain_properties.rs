//! The access log written by several stores at once, as a property: random sequences of logged
//! requests from three writers (singly and in concurrent bursts that form batches), restarts (a
//! writer gone, another taking the lowest free chain), checkpoints of every chain's head, and
//! archive cuts of a chain with the archived rows pruned — on the real PostgreSQL (a chain per
//! writer) and a real SQLite directory (one chain). After the sequence:
//!
//! - the log left in the database verifies against every checkpoint and every cut;
//! - no acknowledged entry is lost: the entries in the database plus those the cuts archived are
//!   every entry a request was acknowledged for;
//! - each chain has one writer at a time (on PostgreSQL, live writers hold distinct chains);
//! - a batch keeps each subject's requests in the order they were sent: a read in a burst returns
//!   the last write sent before it (a model of the items says which);
//! - a cut that does not fit its chain is refused, and of two cuts of one chain recorded at once
//!   by two writers exactly one is.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;

use proptest::prelude::*;
use vow_audit::{Action, Cut, Entry, NewEntry};
use vow_crypto::AuditSigner;
use vow_store::{
    AuditOp, ItemRecord, Location, Outcome, Position, Request, Store, StoreOptions, SubjectOp,
    SubjectRecord,
};

const WRITERS: usize = 3;
const SUBJECTS: usize = 4;

#[derive(Clone, Debug)]
enum Step {
    /// One logged request from a writer.
    Log { writer: usize },
    /// Requests from one writer in flight at once, so the committer applies them as one batch
    /// (in subject order): writes and reads of random subjects.
    Burst { writer: usize, subjects: Vec<usize> },
    /// The writer closes and opens again.
    Restart { writer: usize },
    /// Every chain's head signed.
    Checkpoint,
    /// The oldest entries of one chain cut off (leaving at least its newest), then pruned.
    Archive { chain: usize, leave: usize },
    /// Every writer logs at once (on PostgreSQL, batches of several chains commit together).
    Together,
    /// A cut that does not fit its chain: it starts one entry late, or names another head.
    BadCut { chain: usize, late: bool },
    /// Two writers record cuts of one chain at once, ending at different entries.
    RacingCuts { chain: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..WRITERS).prop_map(|writer| Step::Log { writer }),
        3 => (0..WRITERS, proptest::collection::vec(0..SUBJECTS, 2..8))
            .prop_map(|(writer, subjects)| Step::Burst { writer, subjects }),
        1 => (0..WRITERS).prop_map(|writer| Step::Restart { writer }),
        2 => Just(Step::Checkpoint),
        1 => (0usize..4, 0usize..3).prop_map(|(chain, leave)| Step::Archive { chain, leave }),
        2 => Just(Step::Together),
        1 => (0usize..4, any::<bool>()).prop_map(|(chain, late)| Step::BadCut { chain, late }),
        1 => (0usize..4).prop_map(|chain| Step::RacingCuts { chain }),
    ]
}

fn entry(action: Action, subject: Option<String>) -> NewEntry {
    NewEntry {
        at_ms: 1_764_000_000_000,
        key_id: "key_prop".into(),
        role: "service".into(),
        source: "127.0.0.1".into(),
        subject_id: subject,
        action,
        categories: vec!["user.contact.phone".into()],
        reason: None,
    }
}

fn subject_id(n: usize) -> String {
    format!("sub_{n}")
}

struct World {
    location: Location,
    writers: Vec<Store>,
    signer: AuditSigner,
    checkpoints: Vec<vow_audit::Checkpoint>,
    /// Entries the store acknowledged writing.
    acknowledged: u64,
    /// What each subject's phone item holds, as the requests sent say it must.
    items: HashMap<usize, Vec<u8>>,
}

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Polls the futures in the order given until all are done: each sends its request on its first
/// poll, so the store receives them in this order, all in flight at once.
async fn in_order<T>(mut futures: Vec<Boxed<T>>) -> Vec<T> {
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, future) in done.iter_mut().zip(futures.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *slot = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().map(|slot| slot.unwrap()).collect()
}

impl World {
    async fn open(location: Location) -> World {
        let writers: Vec<Store> = (0..WRITERS)
            .map(|_| Store::open(&location, StoreOptions::default()).unwrap())
            .collect();
        let mut world = World {
            location,
            writers,
            signer: AuditSigner::generate(),
            checkpoints: Vec::new(),
            acknowledged: 0,
            items: HashMap::new(),
        };
        for n in 0..SUBJECTS {
            let record = SubjectRecord {
                id: subject_id(n),
                external_id: format!("ext_{n}"),
                kind: "member".into(),
                wrapped_key: vec![n as u8; 8],
                created_ms: 1,
                minor: false,
                restricted: false,
                closed_ms: None,
                erasure_ms: None,
                born_sealed: None,
            };
            let outcome = world.writers[0]
                .apply(Request::logged(
                    SubjectOp::CreateSubject(record),
                    entry(Action::Create, Some(subject_id(n))),
                ))
                .await
                .unwrap();
            assert_eq!(outcome, Outcome::Created);
            world.acknowledged += 1;
        }
        world
    }

    async fn run(&mut self, step: &Step) {
        match step {
            Step::Log { writer } => {
                self.writers[*writer]
                    .apply(Request::logged(AuditOp::LogOnly, entry(Action::Read, None)))
                    .await
                    .unwrap();
                self.acknowledged += 1;
            }
            Step::Burst { writer, subjects } => {
                let store = &self.writers[*writer];
                let mut futures: Vec<Boxed<Outcome>> = Vec::new();
                let mut expected: Vec<Option<Option<Vec<u8>>>> = Vec::new();
                for (k, n) in subjects.iter().enumerate() {
                    let store = store.clone();
                    let id = subject_id(*n);
                    let sealed = format!("sealed-{}-{k}", self.acknowledged).into_bytes();
                    let (op, action) = if k % 2 == 0 {
                        self.items.insert(*n, sealed.clone());
                        expected.push(None);
                        let item = ItemRecord {
                            category: "user.contact.phone".into(),
                            sealed,
                            blind_index: None,
                            updated_ms: 2,
                            contested: false,
                        };
                        let op = SubjectOp::PutItem {
                            subject_id: id.clone(),
                            item,
                        };
                        (op, Action::Update)
                    } else {
                        expected.push(Some(self.items.get(n).cloned()));
                        let op = SubjectOp::GetItem {
                            subject_id: id.clone(),
                            category: "user.contact.phone".into(),
                        };
                        (op, Action::Read)
                    };
                    futures.push(Box::pin(async move {
                        store
                            .apply(Request::logged(op, entry(action, Some(id))))
                            .await
                            .unwrap()
                    }));
                }
                for (outcome, expected) in in_order(futures).await.into_iter().zip(expected) {
                    match (expected, &outcome) {
                        (None, Outcome::Stored { .. }) => self.acknowledged += 1,
                        (Some(Some(value)), Outcome::Item { item, .. }) => {
                            assert_eq!(
                                item.sealed, value,
                                "a read returns the last write sent before it"
                            );
                            self.acknowledged += 1;
                        }
                        // A read of an item not yet written is no access and leaves no entry.
                        (Some(None), Outcome::NotFound) => {}
                        (expected, outcome) => panic!("expected {expected:?}, got {outcome:?}"),
                    }
                }
            }
            Step::Restart { writer } => {
                let fresh = Store::open(&self.location, StoreOptions::default()).unwrap();
                let old = std::mem::replace(&mut self.writers[*writer], fresh);
                old.close().await;
            }
            Step::Checkpoint => {
                let heads = self.writers[0].audit_heads().await.unwrap();
                if let Some(cp) = vow_audit::checkpoint_chains(&heads, &self.signer) {
                    self.checkpoints.push(cp);
                }
            }
            Step::Archive { chain, leave } => {
                if let Some(cut) = self.cut_of(*chain, *leave).await {
                    self.record_and_prune(cut).await;
                }
            }
            Step::Together => {
                let futures: Vec<Boxed<Outcome>> = self
                    .writers
                    .iter()
                    .map(|store| {
                        let store = store.clone();
                        Box::pin(async move {
                            store
                                .apply(Request::logged(AuditOp::LogOnly, entry(Action::Read, None)))
                                .await
                                .unwrap()
                        }) as Boxed<Outcome>
                    })
                    .collect();
                self.acknowledged += in_order(futures).await.len() as u64;
            }
            Step::BadCut { chain, late } => {
                let Some(mut cut) = self.cut_of(*chain, 0).await else {
                    return;
                };
                if *late {
                    cut.from_seq += 1;
                } else {
                    cut.head_hash[0] ^= 1;
                }
                let refused = self.writers[1]
                    .apply(Request::logged(
                        AuditOp::RecordCut(cut),
                        entry(Action::Destroy, None),
                    ))
                    .await
                    .unwrap();
                assert_eq!(
                    refused,
                    Outcome::Stale,
                    "a cut that does not fit is refused"
                );
                // Refused, nothing happened: no entry either.
            }
            Step::RacingCuts { chain } => {
                let (Some(short), Some(long)) =
                    (self.cut_of(*chain, 1).await, self.cut_of(*chain, 0).await)
                else {
                    return;
                };
                let futures: Vec<Boxed<Outcome>> = [(1, short.clone()), (2, long.clone())]
                    .into_iter()
                    .map(|(w, cut)| {
                        let store = self.writers[w].clone();
                        Box::pin(async move {
                            store
                                .apply(Request::logged(
                                    AuditOp::RecordCut(cut),
                                    entry(Action::Destroy, None),
                                ))
                                .await
                                .unwrap()
                        }) as Boxed<Outcome>
                    })
                    .collect();
                let outcomes = in_order(futures).await;
                // The cut recorded is logged; the one refused changed nothing and is not.
                self.acknowledged += 1;
                let created = outcomes.iter().filter(|o| **o == Outcome::Created).count();
                assert_eq!(created, 1, "one of two racing cuts: {outcomes:?}");
                let on_chain = |c: &Cut| c.chain == long.chain;
                let newest = self
                    .cuts()
                    .await
                    .into_iter()
                    .filter(on_chain)
                    .max_by_key(|c| c.to_seq);
                let won = newest.unwrap();
                assert!(
                    won == short || won == long,
                    "the recorded cut is one of the two"
                );
                self.prune(won.chain, won.to_seq, won.entries).await;
            }
        }
    }

    async fn cuts(&self) -> Vec<Cut> {
        match self.writers[0]
            .apply(Request::unlogged(AuditOp::Cuts))
            .await
            .unwrap()
        {
            Outcome::AuditCuts(cuts) => cuts,
            other => panic!("{other:?}"),
        }
    }

    /// A signed cut of the chain `pick` names among the heads, from where its newest cut ended up
    /// to `leave` + 1 entries before its newest (a chain keeps one after its cut); `None` when that
    /// leaves nothing to cut.
    async fn cut_of(&self, pick: usize, leave: usize) -> Option<Cut> {
        let heads = self.writers[0].audit_heads().await.unwrap();
        let head = &heads[pick % heads.len()];
        let chain = head.chain;
        let newest = self
            .cuts()
            .await
            .into_iter()
            .filter(|c| c.chain == chain)
            .max_by_key(|c| c.to_seq);
        let (from, prev) = newest.map_or((1, vow_audit::GENESIS), |c| (c.to_seq + 1, c.head_hash));
        let to = head.seq.checked_sub(1 + leave as u64)?;
        if to < from {
            return None;
        }
        let run: Vec<Entry> = self.writers[0]
            .audit_page(
                Position {
                    chain,
                    seq: from - 1,
                },
                usize::try_from(to - from + 1).unwrap(),
            )
            .await
            .unwrap();
        assert!(run.iter().all(|e| e.chain == chain), "a page of one chain");
        let (first, last) = (run.first().unwrap(), run.last().unwrap());
        assert_eq!((first.seq, last.seq), (from, to));
        let entries = run.len() as u64;
        let message = Cut::message(
            chain,
            from,
            to,
            &prev,
            &last.hash,
            entries,
            first.at_ms,
            last.at_ms,
        );
        let cut = Cut {
            chain,
            from_seq: from,
            to_seq: to,
            prev_hash: prev,
            head_hash: last.hash,
            entries,
            first_at_ms: first.at_ms,
            last_at_ms: last.at_ms,
            signature: self.signer.sign(&message).to_vec(),
        };
        Some(cut)
    }

    async fn record_and_prune(&mut self, cut: Cut) {
        let (chain, to, entries) = (cut.chain, cut.to_seq, cut.entries);
        let recorded = self.writers[0]
            .apply(Request::logged(
                AuditOp::RecordCut(cut),
                entry(Action::Destroy, None),
            ))
            .await
            .unwrap();
        assert_eq!(recorded, Outcome::Created);
        self.acknowledged += 1;
        self.prune(chain, to, entries).await;
    }

    /// Removes the cut's rows: exactly its entries, and nothing past the newest cut.
    async fn prune(&mut self, chain: u32, to: u64, entries: u64) {
        let beyond = self.writers[0]
            .apply(Request::unlogged(AuditOp::PruneArchived {
                chain,
                through_seq: to + 1,
                limit: 1_000,
            }))
            .await
            .unwrap();
        assert_eq!(beyond, Outcome::Stale, "never past the chain's newest cut");
        let pruned = self.writers[0]
            .apply(Request::unlogged(AuditOp::PruneArchived {
                chain,
                through_seq: to,
                limit: 1_000,
            }))
            .await
            .unwrap();
        assert_eq!(pruned, Outcome::Removed(entries));
    }

    async fn check(self, several_chains: bool) {
        let cuts = self.cuts().await;
        let log = self.writers[0]
            .audit_page(Position::default(), 1_000_000)
            .await
            .unwrap();
        let verifier = self.signer.verifying_key();
        let verified = vow_audit::verify_anchored(
            log.iter().cloned().map(Ok::<_, std::convert::Infallible>),
            vow_audit::Anchors {
                checkpoints: &self.checkpoints,
                remembered: None,
                required: false,
                cuts: &cuts,
            },
            &verifier,
        )
        .unwrap();
        assert!(verified.is_intact(), "{verified}");
        let archived: u64 = cuts.iter().map(|c| c.entries).sum();
        assert_eq!(
            log.len() as u64 + archived,
            self.acknowledged,
            "every acknowledged entry is in the log or an archive"
        );
        let chains: std::collections::BTreeSet<u32> =
            self.writers.iter().map(Store::chain).collect();
        if several_chains {
            assert_eq!(chains.len(), WRITERS, "live writers hold distinct chains");
        } else {
            assert_eq!(chains.into_iter().collect::<Vec<_>>(), [0]);
        }
        for writer in self.writers {
            writer.close().await;
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn on_sqlite_writers_sharing_one_chain_keep_every_entry_and_verify(
        steps in proptest::collection::vec(step(), 5..30)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Directory(dir.path().join("data"));
        runtime().block_on(async {
            let mut world = World::open(location).await;
            for step in &steps {
                world.run(step).await;
            }
            world.check(false).await;
        });
    }
}

fn postgres_url() -> Option<String> {
    vow_testkit::postgres_url_for(
        "on_postgres_writers_with_a_chain_each_keep_every_entry_and_verify",
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn on_postgres_writers_with_a_chain_each_keep_every_entry_and_verify(
        steps in proptest::collection::vec(step(), 5..30)
    ) {
        static CASE: AtomicU32 = AtomicU32::new(0);
        let Some(url) = postgres_url() else { return Ok(()) };
        let schema = format!("chain_prop_{}_{}", std::process::id(), CASE.fetch_add(1, Ordering::Relaxed));
        let location = Location::Postgres { url: url.clone(), schema: Some(schema.clone()) };
        runtime().block_on(async {
            let mut world = World::open(location).await;
            for step in &steps {
                world.run(step).await;
            }
            world.check(true).await;
        });
        std::thread::spawn(move || {
            if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = client.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
                ));
            }
        })
        .join()
        .unwrap();
    }
}
