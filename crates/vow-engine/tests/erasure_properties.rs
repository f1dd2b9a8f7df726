//! Erasure against legal holds, as a property: random sequences of writes, records, consents,
//! account closures, time passing, sweeps, `DELETE`s and erasure requests, run on imagesfactory's
//! policy against a real SQLite data directory and the real PostgreSQL. After every step:
//!
//! - nothing a `[[retention]]` rule resting on a law still holds has disappeared (the hold is worked
//!   out here from the policy and the times this test wrote, not by the engine's `decide`);
//! - every piece that disappeared has its destruction-ledger line, written by the same step, and a
//!   subject whose data key went has its `subject_key` line;
//! - a closed or erased subject takes no new item or consent, and the advertising gate refuses it.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use vow_engine::consent::{ConsentChange, Evidence};
use vow_engine::requests::{NewRequest, RequestAction, Verification};
use vow_engine::retention::add_period;
use vow_engine::{Caller, Clock, ManualClock, Vault, VaultConfig, VaultError};
use vow_policy::model::{Policy, RetentionBasis, RetentionEvent};
use vow_store::{Location, Outcome, Request, RetentionOp, Store, StoreOptions};

const DAY: i64 = 86_400_000;
/// 2026-01-05 09:00 in Korea.
const START_MS: i64 = 1_767_571_200_000;

const ITEMS: [&str; 5] = [
    "user.contact.email",
    "user.contact.phone",
    "user.name",
    "user.credential.password",
    "user.content.inquiry",
];
const RECORDS: [&str; 5] = [
    "user.financial.order",
    "user.device.ip_address",
    "user.behavior.fraud_record",
    "user.behavior.service_usage",
    "user.content.inquiry",
];

#[derive(Clone, Debug)]
enum Step {
    Create,
    Item {
        subject: usize,
        category: usize,
    },
    Record {
        subject: usize,
        category: usize,
        days_ago: u16,
    },
    Consent {
        subject: usize,
    },
    Close {
        subject: usize,
    },
    Wait {
        hours: u32,
    },
    Sweep,
    Delete {
        subject: usize,
    },
    ErasureRequest {
        subject: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Create),
        5 => (0..3usize, 0..ITEMS.len()).prop_map(|(subject, category)| Step::Item { subject, category }),
        5 => (0..3usize, 0..RECORDS.len(), 0..800u16)
            .prop_map(|(subject, category, days_ago)| Step::Record { subject, category, days_ago }),
        2 => (0..3usize).prop_map(|subject| Step::Consent { subject }),
        2 => (0..3usize).prop_map(|subject| Step::Close { subject }),
        // From an hour to about six years: holds of 3 months, 6 months, 1, 3 and 5 years end.
        4 => prop_oneof![1..48u32, 24..2_400u32, 2_400..55_000u32].prop_map(|hours| Step::Wait { hours }),
        3 => Just(Step::Sweep),
        2 => (0..3usize).prop_map(|subject| Step::Delete { subject }),
        2 => (0..3usize).prop_map(|subject| Step::ErasureRequest { subject }),
    ]
}

/// What this test wrote about one subject: the model the law holds are worked out from.
#[derive(Default)]
struct Written {
    id: String,
    /// Category → when its value was last written.
    items: HashMap<String, i64>,
    /// Record id → (category, when it happened).
    records: HashMap<String, (String, i64)>,
    closed_ms: Option<i64>,
}

/// One piece of a subject's data, wherever it is kept (in use or apart).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Piece {
    Item(String),
    Record(String),
}

struct World {
    vault: Vault,
    clock: ManualClock,
    policy: Policy,
    subjects: Vec<Written>,
    ledger_seen: i64,
    /// Each live subject's pieces after the last step.
    pieces: BTreeMap<String, BTreeMap<Piece, usize>>,
}

fn caller(role: &str) -> Caller {
    Caller {
        key_id: format!("key_{role}"),
        role: role.into(),
        source: "127.0.0.1".into(),
        reason: Some("property test".into()),
        purpose: None,
    }
}

fn operator() -> Caller {
    Caller::operator(Some("property test sweep".into()))
}

fn policy() -> Policy {
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/policies/imagesfactory.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    vow_policy::parse(text.as_bytes(), "imagesfactory").unwrap()
}

/// Whether a rule resting on a law still requires the piece at `now`: its clock started and has
/// not run out, or (for a rule counted from an event that has not happened) has not started.
fn held_by_law(
    policy: &Policy,
    subject: &Written,
    category: &str,
    own_ms: i64,
    is_record: bool,
    now: i64,
) -> Option<String> {
    for rule in policy.retention.iter().filter(|r| {
        r.basis == RetentionBasis::Law && r.categories.iter().any(|c| c.as_str() == category)
    }) {
        let trigger = match rule.from {
            RetentionEvent::Collection => Some(own_ms),
            RetentionEvent::Transaction if is_record => Some(own_ms),
            // An item belongs to the legal record of the subject's latest transaction.
            RetentionEvent::Transaction => subject
                .records
                .values()
                .filter(|(c, _)| rule.categories.iter().any(|k| k.as_str() == c))
                .map(|(_, at)| *at)
                .max(),
            RetentionEvent::AccountClosure => match subject.closed_ms {
                Some(at) => Some(at),
                None => return Some(rule.key.to_string()),
            },
            _ => None,
        };
        let Some(trigger) = trigger else { continue };
        let end = match rule.period {
            Some(period) => add_period(trigger, period),
            None => trigger,
        };
        if end > now {
            return Some(rule.key.to_string());
        }
    }
    None
}

impl World {
    async fn snapshot(&self) -> BTreeMap<String, BTreeMap<Piece, usize>> {
        let mut all = BTreeMap::new();
        let Outcome::RetentionViews(views) = self
            .vault
            .store()
            .apply(Request::unlogged(RetentionOp::RetentionPage {
                after: String::new(),
                limit: 1_000,
            }))
            .await
            .unwrap()
        else {
            panic!("expected retention views")
        };
        for view in views {
            let mut pieces: BTreeMap<Piece, usize> = BTreeMap::new();
            for (category, _) in &view.items {
                *pieces.entry(Piece::Item(category.clone())).or_default() += 1;
            }
            for (id, _, _) in &view.records {
                *pieces.entry(Piece::Record(id.clone())).or_default() += 1;
            }
            for apart in &view.separated {
                let piece = match &apart.record {
                    Some(id) => Piece::Record(id.clone()),
                    None => Piece::Item(apart.category.clone()),
                };
                *pieces.entry(piece).or_default() += 1;
            }
            all.insert(view.subject_id, pieces);
        }
        all
    }

    fn written(&self, id: &str) -> &Written {
        self.subjects.iter().find(|s| s.id == id).unwrap()
    }

    fn category_of(&self, subject: &Written, piece: &Piece) -> (String, i64, bool) {
        match piece {
            Piece::Item(category) => (
                category.clone(),
                subject.items.get(category).copied().unwrap_or(0),
                false,
            ),
            Piece::Record(id) => {
                let (category, at) = subject.records.get(id).cloned().unwrap();
                (category, at, true)
            }
        }
    }

    /// The checks that hold after every step.
    async fn check(&mut self, step: &Step) {
        let now = self.clock.now_ms();
        let after = self.snapshot().await;
        let lines = self
            .vault
            .destruction_ledger(&operator(), self.ledger_seen, 100_000)
            .await
            .unwrap();
        if let Some(last) = lines.last() {
            self.ledger_seen = last.seq;
        }
        // Ledger counts per subject and category, and the subjects whose key went.
        let mut counted: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut shredded: Vec<String> = Vec::new();
        for line in &lines {
            match line.storage.as_str() {
                "subject_key" => shredded.push(line.subject.clone()),
                _ if line.category == vow_store::CONSENT_EVIDENCE => {}
                _ => {
                    *counted
                        .entry((line.subject.clone(), line.category.clone()))
                        .or_default() += line.count
                }
            }
        }
        let mut gone: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (id, before) in &self.pieces {
            let now_pieces = after.get(id).cloned().unwrap_or_default();
            if !after.contains_key(id) {
                assert!(
                    shredded.contains(id),
                    "{step:?}: subject {id} vanished without a subject_key ledger line: {lines:?}"
                );
            }
            let subject = self.written(id);
            for (piece, count) in before {
                let left = now_pieces.get(piece).copied().unwrap_or(0);
                if left >= *count {
                    continue;
                }
                let (category, own_ms, is_record) = self.category_of(subject, piece);
                if let Some(rule) =
                    held_by_law(&self.policy, subject, &category, own_ms, is_record, now)
                {
                    panic!("{step:?}: {piece:?} of {id} was destroyed while rule {rule} still held it (now {now})");
                }
                *gone.entry((id.clone(), category)).or_default() +=
                    i64::try_from(count - left).unwrap();
            }
        }
        assert_eq!(
            gone, counted,
            "{step:?}: what disappeared and what the ledger says differ: {lines:?}"
        );
        for id in &shredded {
            assert!(
                !after.contains_key(id),
                "{step:?}: {id}'s key is on the ledger as destroyed but it is live"
            );
        }
        // A closed subject is not used: nothing new is taken, no advertising.
        for subject in self.subjects.iter().filter(|s| s.closed_ms.is_some()) {
            let put = self
                .vault
                .put_item(
                    &caller("service"),
                    &subject.id,
                    "user.contact.phone",
                    "010-4444-5555",
                )
                .await;
            assert!(
                matches!(
                    put,
                    Err(VaultError::SubjectClosed) | Err(VaultError::NoSubject(_))
                ),
                "{step:?}: a closed subject took an item: {put:?}"
            );
            let verdict = self
                .vault
                .marketing_check(&caller("service"), &subject.id, "email", None)
                .await
                .unwrap();
            assert!(
                !verdict.allowed,
                "{step:?}: the gate allowed a closed subject: {verdict:?}"
            );
        }
        self.pieces = after;
    }

    async fn run(&mut self, step: &Step) {
        let service = caller("service");
        let now = self.clock.now_ms();
        let pick = |subjects: &[Written], n: usize| {
            subjects
                .get(n % subjects.len().max(1))
                .map(|s| s.id.clone())
        };
        match step {
            Step::Create => {
                let id = self
                    .vault
                    .create_subject(
                        &service,
                        &format!("member-{}-{}", self.subjects.len(), now),
                        "member",
                    )
                    .await
                    .unwrap();
                self.subjects.push(Written {
                    id,
                    ..Written::default()
                });
            }
            Step::Item { subject, category } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                let category = ITEMS[*category];
                match self
                    .vault
                    .put_item(&service, &id, category, "planted-value-7")
                    .await
                {
                    Ok(_) => {
                        let written = self.subjects.iter_mut().find(|s| s.id == id).unwrap();
                        written.items.insert(category.to_string(), now);
                    }
                    Err(VaultError::SubjectClosed) | Err(VaultError::NoSubject(_)) => {
                        assert!(
                            self.written(&id).closed_ms.is_some(),
                            "a live subject refused an item"
                        );
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            Step::Record {
                subject,
                category,
                days_ago,
            } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                let category = RECORDS[*category];
                let at = (now - i64::from(*days_ago) * DAY).max(START_MS - 800 * DAY);
                match self
                    .vault
                    .put_record(&service, &id, category, "order 7", Some(at))
                    .await
                {
                    Ok(record) => {
                        let written = self.subjects.iter_mut().find(|s| s.id == id).unwrap();
                        written.records.insert(record, (category.to_string(), at));
                    }
                    Err(VaultError::SubjectClosed) | Err(VaultError::NoSubject(_)) => {
                        assert!(
                            self.written(&id).closed_ms.is_some(),
                            "a live subject refused a record"
                        );
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            Step::Consent { subject } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                let change = ConsentChange {
                    purpose: "marketing".into(),
                    channel: Some("email".into()),
                    granted: true,
                    evidence: Evidence {
                        method: "web_form".into(),
                        ..Evidence::default()
                    },
                    ..ConsentChange::default()
                };
                match self.vault.record_consent(&service, &id, change).await {
                    Ok(_) => assert!(
                        self.written(&id).closed_ms.is_none(),
                        "a closed subject consented"
                    ),
                    Err(VaultError::SubjectClosed) | Err(VaultError::NoSubject(_)) => {
                        assert!(self.written(&id).closed_ms.is_some());
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            Step::Close { subject } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                if self
                    .vault
                    .report_event(&service, &id, "account_closure", None)
                    .await
                    .is_ok()
                {
                    let written = self.subjects.iter_mut().find(|s| s.id == id).unwrap();
                    written.closed_ms.get_or_insert(now);
                }
            }
            Step::Wait { hours } => self.clock.advance(i64::from(*hours) * 3_600_000),
            Step::Sweep => {
                self.vault
                    .sweep(&operator(), now, false, |_| {})
                    .await
                    .unwrap();
            }
            Step::Delete { subject } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                match self.vault.erase(&service, &id).await {
                    Ok(_) | Err(VaultError::AlreadyErased { .. }) => {
                        let written = self.subjects.iter_mut().find(|s| s.id == id).unwrap();
                        written.closed_ms.get_or_insert(now);
                    }
                    Err(VaultError::NoSubject(_)) => {}
                    Err(other) => panic!("{other}"),
                }
            }
            Step::ErasureRequest { subject } => {
                let Some(id) = pick(&self.subjects, *subject) else {
                    return;
                };
                let filed = self
                    .vault
                    .file_request(
                        &service,
                        NewRequest {
                            subject: id.clone(),
                            kind: "erasure".into(),
                            verification: Verification {
                                method: "logged_in_session".into(),
                                ..Verification::default()
                            },
                            ..NewRequest::default()
                        },
                    )
                    .await;
                let Ok(filed) = filed else { return };
                self.vault
                    .act_on_request(
                        &caller("privacy_officer"),
                        &filed.id,
                        RequestAction::Complete,
                    )
                    .await
                    .unwrap();
                let written = self.subjects.iter_mut().find(|s| s.id == id).unwrap();
                written.closed_ms.get_or_insert(now);
            }
        }
    }
}

fn open(location: Location, key_dir: &std::path::Path) -> World {
    let key_file = key_dir.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(&location, StoreOptions::default()).unwrap();
    let clock = ManualClock::at(START_MS);
    World {
        vault: Vault::new(VaultConfig {
            policy: policy(),
            keys,
            key_file: Some(key_file),
            store,
            clock: Arc::new(clock.clone()),
            checkpoints: None,
        }),
        clock,
        policy: policy(),
        subjects: Vec::new(),
        ledger_seen: 0,
        pieces: BTreeMap::new(),
    }
}

async fn walk(mut world: World, steps: &[Step]) {
    for step in std::iter::once(&Step::Create).chain(steps) {
        world.run(step).await;
        world.check(step).await;
    }
    world.vault.store().clone().close().await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn on_sqlite_nothing_held_is_destroyed_and_every_destruction_is_on_the_ledger(
        steps in proptest::collection::vec(step(), 5..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let world = open(Location::Directory(dir.path().join("data")), dir.path());
        runtime().block_on(walk(world, &steps));
    }
}

fn postgres_url() -> Option<String> {
    vow_testkit::postgres_url_for(
        "on_postgres_nothing_held_is_destroyed_and_every_destruction_is_on_the_ledger",
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn on_postgres_nothing_held_is_destroyed_and_every_destruction_is_on_the_ledger(
        steps in proptest::collection::vec(step(), 5..40)
    ) {
        static CASE: AtomicU32 = AtomicU32::new(0);
        let Some(url) = postgres_url() else { return Ok(()) };
        let schema = format!("erasure_prop_{}_{}", std::process::id(), CASE.fetch_add(1, Ordering::Relaxed));
        let dir = tempfile::tempdir().unwrap();
        let world = open(
            Location::Postgres { url: url.clone(), schema: Some(schema.clone()) },
            dir.path(),
        );
        runtime().block_on(walk(world, &steps));
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
