//! One conformance suite, run against both backends: SQLite in a temporary directory, and PostgreSQL in a
//! schema of its own per test on the server named by `VOW_TEST_DATABASE_URL`. Without that variable the
//! PostgreSQL half is skipped, unless `VOW_REQUIRE_POSTGRES=1` (as in CI), where a skip is a failure.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use vow_audit::{Action, Checkpoint, Cut, Entry, NewEntry};
use vow_store::{
    ApiKeyRecord, AuditOp, ConsentEvent, ConsentOp, Disposal, ItemRecord, KeyOp, Location,
    OutboxOp, OutboxRecord, Outcome, Piece, Request, RetentionOp, Store, StoreOptions, SubjectOp,
    SubjectRecord, GUARDIAN_PURPOSE,
};

/// A store under test and what keeps its place alive.
struct Harness {
    store: Store,
    location: Location,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::Directory(dir.path().join("data"));
    Harness {
        store: Store::open(&location, StoreOptions::default()).unwrap(),
        location,
        _dir: Some(dir),
    }
}

fn postgres() -> Option<Harness> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let url = vow_testkit::postgres_url()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "vow_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    );
    let location = Location::Postgres {
        url,
        schema: Some(schema),
    };
    let store = Store::open(&location, StoreOptions::default())
        .unwrap_or_else(|e| panic!("PostgreSQL at VOW_TEST_DATABASE_URL: {e}"));
    Some(Harness {
        store,
        location,
        _dir: None,
    })
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Location::Postgres {
            url,
            schema: Some(schema),
        } = &self.location
        {
            let (url, schema) = (url.clone(), schema.clone());
            // The blocking client must not run inside the test's runtime.
            let _ = std::thread::spawn(move || {
                if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
                    let _ = client.batch_execute(&format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_keys CASCADE"
                    ));
                }
            })
            .join();
        }
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::sqlite()).await
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(harness) = super::postgres() {
                        super::$name(harness).await
                    }
                }
            )*
        }
    };
}

conformance!(
    created_subject_is_read_back_with_its_wrapped_key,
    a_taken_external_id_answers_with_the_subject_that_holds_it,
    putting_an_item_twice_replaces_it_and_says_so,
    items_of_an_unknown_subject_are_not_found,
    lookup_finds_by_blind_index_within_its_category_only,
    export_returns_every_item_of_the_subject,
    erasure_removes_items_and_key_and_frees_the_external_id,
    every_access_appends_one_entry_chained_to_the_one_before,
    a_miss_is_not_logged,
    a_lookup_logs_one_entry_per_subject_found,
    a_failing_request_leaves_no_trace_and_spares_its_batch,
    concurrent_writers_keep_one_gapless_chain,
    api_keys_are_created_listed_and_revoked_once,
    rewrap_replaces_the_key_of_live_subjects_only,
    subject_ids_page_through_live_subjects,
    a_reopened_store_keeps_everything,
    the_key_store_keeps_the_first_audit_key_and_the_newest_signed_head,
    inspect_sees_data_and_the_recorded_key,
    a_consent_change_moves_the_state_and_refuses_a_stale_decision,
    a_childs_items_wait_for_the_guardians_consent,
    campaign_states_answer_for_live_subjects_only,
    due_consents_and_owed_notices_are_listed_and_notices_marked_once,
    the_outbox_hands_out_each_subjects_oldest_event_once,
    a_webhook_only_event_is_never_paged_and_drops_its_secret_once_delivered,
    pruning_removes_only_events_delivered_before_the_cut,
    a_closed_subject_takes_nothing_new_and_an_erasure_destroys_its_consent_evidence,
    a_log_only_request_writes_its_entry_and_changes_nothing,
    an_enrolment_link_works_once_and_not_after_it_expires_or_the_user_is_disabled,
    a_totp_step_is_accepted_once_and_never_an_older_one,
    disabling_a_user_ends_their_sessions_and_pruning_ends_idle_ones,
    reenrolment_ends_the_sessions_and_old_factors_and_not_for_a_disabled_user,
    grants_sign_offs_and_findings_are_kept_as_the_review_needs,
    paging_requests_by_key_returns_each_once_in_due_order,
    a_privacy_token_is_redeemed_once_while_live_and_a_code_has_five_tries,
    a_capped_token_past_its_subjects_cap_goes_in_without_its_subject,
    archived_entries_leave_only_after_a_cut_that_fits_the_log_is_recorded,
);

fn audit(action: Action, subject: Option<&str>, categories: &[&str]) -> NewEntry {
    NewEntry {
        at_ms: 1_764_000_000_000,
        key_id: "key_test".into(),
        role: "support".into(),
        source: "127.0.0.1".into(),
        subject_id: subject.map(str::to_string),
        action,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        reason: Some("ticket 42".into()),
    }
}

fn subject(id: &str, external_id: &str) -> SubjectRecord {
    SubjectRecord {
        id: id.into(),
        external_id: external_id.into(),
        kind: "member".into(),
        wrapped_key: format!("wrapped-{id}").into_bytes(),
        created_ms: 1,
        minor: false,
        restricted: false,
        closed_ms: None,
        erasure_ms: None,
        born_sealed: None,
    }
}

fn item(category: &str, sealed: &str, blind: Option<&str>) -> ItemRecord {
    ItemRecord {
        category: category.into(),
        sealed: sealed.as_bytes().to_vec(),
        blind_index: blind.map(|b| b.as_bytes().to_vec()),
        updated_ms: 2,
        contested: false,
    }
}

async fn create(store: &Store, id: &str, external_id: &str) -> Outcome {
    store
        .apply(Request::logged(
            SubjectOp::CreateSubject(subject(id, external_id)),
            audit(Action::Create, Some(id), &[]),
        ))
        .await
        .unwrap()
}

/// Erases a subject as the vault does once nothing a law holds is left: each piece destroyed with its
/// ledger line, then the data key (crypto-shredding), in one transaction.
async fn erase(
    store: &Store,
    id: &str,
    at_ms: i64,
    items: &[&str],
    audit: Option<NewEntry>,
) -> Outcome {
    let disposals = items
        .iter()
        .map(|category| Disposal::Destroy {
            piece: Piece::Item {
                category: category.to_string(),
            },
            category: category.to_string(),
            rule: "erasure".into(),
            basis: "request".into(),
            law: None,
        })
        .collect();
    let op = RetentionOp::Dispose {
        subject_id: id.into(),
        at_ms,
        disposals,
        cause: "erasure".into(),
        method: "deleted".into(),
        by_key: "key_test".into(),
        shred_when_empty: true,
    };
    store
        .apply(Request {
            op: op.into(),
            audit,
        })
        .await
        .unwrap()
}

async fn put(store: &Store, id: &str, item: ItemRecord) -> Outcome {
    let categories = [item.category.clone()];
    store
        .apply(Request::logged(
            SubjectOp::PutItem {
                subject_id: id.into(),
                item,
            },
            audit(
                Action::Update,
                Some(id),
                &categories.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
        ))
        .await
        .unwrap()
}

async fn get(store: &Store, id: &str, category: &str) -> Outcome {
    store
        .apply(Request::logged(
            SubjectOp::GetItem {
                subject_id: id.into(),
                category: category.into(),
            },
            audit(Action::Read, Some(id), &[category]),
        ))
        .await
        .unwrap()
}

async fn log(store: &Store) -> Vec<vow_audit::Entry> {
    store
        .audit_page(vow_store::Position::default(), 100_000)
        .await
        .unwrap()
}

async fn created_subject_is_read_back_with_its_wrapped_key(h: Harness) {
    assert_eq!(create(&h.store, "s1", "user-1").await, Outcome::Created);
    let got = h
        .store
        .apply(Request::unlogged(SubjectOp::GetSubject {
            subject_id: "s1".into(),
        }))
        .await
        .unwrap();
    assert_eq!(got, Outcome::Subject(subject("s1", "user-1")));
}

async fn a_taken_external_id_answers_with_the_subject_that_holds_it(h: Harness) {
    create(&h.store, "s1", "user-1").await;
    assert_eq!(
        create(&h.store, "s2", "user-1").await,
        Outcome::AlreadyExists { id: "s1".into() }
    );
}

async fn putting_an_item_twice_replaces_it_and_says_so(h: Harness) {
    create(&h.store, "s1", "user-1").await;
    let first = put(&h.store, "s1", item("user.contact.email", "sealed-1", None)).await;
    assert_eq!(first, Outcome::Stored { replaced: false });
    let second = put(&h.store, "s1", item("user.contact.email", "sealed-2", None)).await;
    assert_eq!(second, Outcome::Stored { replaced: true });
    match get(&h.store, "s1", "user.contact.email").await {
        Outcome::Item {
            wrapped_key, item, ..
        } => {
            assert_eq!(wrapped_key, b"wrapped-s1");
            assert_eq!(item.sealed, b"sealed-2");
        }
        other => panic!("expected the item, got {other:?}"),
    }
}

async fn items_of_an_unknown_subject_are_not_found(h: Harness) {
    assert_eq!(
        put(&h.store, "nobody", item("user.contact.email", "x", None)).await,
        Outcome::NotFound
    );
    assert_eq!(
        get(&h.store, "nobody", "user.contact.email").await,
        Outcome::NotFound
    );
    create(&h.store, "s1", "user-1").await;
    assert_eq!(
        get(&h.store, "s1", "user.contact.phone").await,
        Outcome::NotFound
    );
}

async fn lookup_finds_by_blind_index_within_its_category_only(h: Harness) {
    for (id, ext) in [("s1", "u1"), ("s2", "u2")] {
        create(&h.store, id, ext).await;
    }
    put(
        &h.store,
        "s1",
        item("user.contact.email", "a", Some("idx-a")),
    )
    .await;
    put(
        &h.store,
        "s2",
        item("user.contact.email", "b", Some("idx-b")),
    )
    .await;
    put(
        &h.store,
        "s2",
        item("user.contact.phone", "c", Some("idx-a")),
    )
    .await;
    let found = h
        .store
        .apply(Request::logged(
            SubjectOp::Lookup {
                category: "user.contact.email".into(),
                blind_index: b"idx-a".to_vec(),
                include_contested: true,
            },
            audit(Action::Lookup, None, &["user.contact.email"]),
        ))
        .await
        .unwrap();
    assert_eq!(found, Outcome::Subjects(vec!["s1".into()]));
}

async fn export_returns_every_item_of_the_subject(h: Harness) {
    create(&h.store, "s1", "u1").await;
    put(&h.store, "s1", item("user.contact.phone", "p", None)).await;
    put(&h.store, "s1", item("user.contact.email", "e", None)).await;
    let exported = h
        .store
        .apply(Request::logged(
            SubjectOp::Export {
                subject_id: "s1".into(),
            },
            audit(Action::Export, Some("s1"), &[]),
        ))
        .await
        .unwrap();
    let Outcome::Export { subject: s, items } = exported else {
        panic!("expected an export, got {exported:?}")
    };
    assert_eq!(s.id, "s1");
    let categories: Vec<_> = items.iter().map(|i| i.category.as_str()).collect();
    assert_eq!(categories, ["user.contact.email", "user.contact.phone"]);
}

async fn erasure_removes_items_and_key_and_frees_the_external_id(h: Harness) {
    create(&h.store, "s1", "u1").await;
    put(&h.store, "s1", item("user.contact.email", "e", Some("idx"))).await;
    let erased = erase(
        &h.store,
        "s1",
        5,
        &["user.contact.email"],
        Some(audit(Action::Erase, Some("s1"), &["user.contact.email"])),
    )
    .await;
    let Outcome::Disposed(done) = erased else {
        panic!("expected a disposal, got {erased:?}")
    };
    assert_eq!((done.destroyed, done.shredded), (1, true));
    // Each destruction, the key's included, is a line of the ledger.
    let Outcome::Destructions(lines) = h
        .store
        .apply(Request::unlogged(RetentionOp::Destructions {
            after_seq: 0,
            limit: 10,
        }))
        .await
        .unwrap()
    else {
        panic!("expected the ledger")
    };
    let storages: Vec<&str> = lines.iter().map(|l| l.storage.as_str()).collect();
    assert_eq!(storages, ["active", "subject_key"]);
    assert_eq!(
        get(&h.store, "s1", "user.contact.email").await,
        Outcome::NotFound
    );
    let lookup = h
        .store
        .apply(Request::unlogged(SubjectOp::Lookup {
            category: "user.contact.email".into(),
            blind_index: b"idx".to_vec(),
            include_contested: true,
        }))
        .await
        .unwrap();
    assert_eq!(lookup, Outcome::Subjects(vec![]));
    // The service may sign the same person up again later: a new subject with a new key.
    assert_eq!(create(&h.store, "s2", "u1").await, Outcome::Created);
    let again = erase(&h.store, "s1", 6, &[], None).await;
    assert_eq!(again, Outcome::NotFound, "erasing twice finds nothing");
}

async fn every_access_appends_one_entry_chained_to_the_one_before(h: Harness) {
    create(&h.store, "s1", "u1").await;
    put(&h.store, "s1", item("user.contact.email", "e", None)).await;
    get(&h.store, "s1", "user.contact.email").await;
    let entries = log(&h.store).await;
    let actions: Vec<_> = entries.iter().map(|e| e.action).collect();
    assert_eq!(actions, [Action::Create, Action::Update, Action::Read]);
    assert_eq!(entries[0].prev_hash, vow_audit::GENESIS);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(entries[2].categories, ["user.contact.email"]);
    assert_eq!(entries[2].reason.as_deref(), Some("ticket 42"));
    assert_eq!(entries[2].subject_id.as_deref(), Some("s1"));
    assert_eq!(
        h.store.audit_newest().await.unwrap().as_ref(),
        entries.last()
    );
}

async fn a_log_only_request_writes_its_entry_and_changes_nothing(h: Harness) {
    create(&h.store, "s1", "u1").await;
    let outcome = h
        .store
        .apply(Request::logged(
            AuditOp::LogOnly,
            audit(Action::Denied, None, &["GET /v1/subjects/{id}/export"]),
        ))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Done);
    let entries = log(&h.store).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].action, Action::Denied);
    assert_eq!(entries[1].categories, ["GET /v1/subjects/{id}/export"]);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    let ids = h
        .store
        .apply(Request::unlogged(SubjectOp::SubjectIds {
            after: String::new(),
            limit: 10,
        }))
        .await
        .unwrap();
    assert_eq!(ids, Outcome::Subjects(vec!["s1".into()]));
}

async fn a_miss_is_not_logged(h: Harness) {
    get(&h.store, "nobody", "user.contact.email").await;
    create(&h.store, "s1", "u1").await;
    create(&h.store, "s2", "u1").await;
    assert_eq!(log(&h.store).await.len(), 1);
}

async fn a_lookup_logs_one_entry_per_subject_found(h: Harness) {
    for (id, ext) in [("s1", "u1"), ("s2", "u2")] {
        create(&h.store, id, ext).await;
        put(&h.store, id, item("user.contact.phone", id, Some("same"))).await;
    }
    h.store
        .apply(Request::logged(
            SubjectOp::Lookup {
                category: "user.contact.phone".into(),
                blind_index: b"same".to_vec(),
                include_contested: true,
            },
            audit(Action::Lookup, None, &["user.contact.phone"]),
        ))
        .await
        .unwrap();
    let lookups: Vec<_> = log(&h.store)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Lookup)
        .map(|e| e.subject_id)
        .collect();
    assert_eq!(lookups, [Some("s1".to_string()), Some("s2".to_string())]);
}

async fn a_failing_request_leaves_no_trace_and_spares_its_batch(h: Harness) {
    let key = |id: &str, digest: &str| ApiKeyRecord {
        id: id.into(),
        digest: digest.as_bytes().to_vec(),
        role: "admin".into(),
        label: String::new(),
        created_ms: 1,
        revoked_ms: None,
    };
    let request = |k: ApiKeyRecord| {
        let id = k.id.clone();
        Request::logged(
            KeyOp::CreateApiKey(k),
            NewEntry {
                key_id: id,
                ..audit(Action::KeyCreate, None, &[])
            },
        )
    };
    // Sent together so that they can share a transaction; the second reuses the first's digest.
    let (a, b, c) = tokio::join!(
        h.store.apply(request(key("k1", "d1"))),
        h.store.apply(request(key("k2", "d1"))),
        h.store.apply(request(key("k3", "d3"))),
    );
    assert_eq!(a.unwrap(), Outcome::Created);
    assert!(b.is_err(), "a duplicate digest is refused");
    assert_eq!(c.unwrap(), Outcome::Created);
    let logged: Vec<_> = log(&h.store).await.into_iter().map(|e| e.key_id).collect();
    assert_eq!(logged, ["k1", "k3"]);
    let Outcome::ApiKeys(keys) = h
        .store
        .apply(Request::unlogged(KeyOp::ListApiKeys))
        .await
        .unwrap()
    else {
        panic!("expected keys")
    };
    assert_eq!(keys.len(), 2);
}

async fn concurrent_writers_keep_one_gapless_chain(h: Harness) {
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = h.store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..40 {
                let id = format!("s{writer}-{n}");
                assert_eq!(create(&store, &id, &id).await, Outcome::Created);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let entries = log(&h.store).await;
    assert_eq!(entries.len(), 320);
    for (n, pair) in entries.windows(2).enumerate() {
        assert_eq!(pair[0].seq, n as u64 + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash, "link {}", n + 1);
    }
}

async fn api_keys_are_created_listed_and_revoked_once(h: Harness) {
    let record = ApiKeyRecord {
        id: "k1".into(),
        digest: vec![1; 32],
        role: "support".into(),
        label: "help desk".into(),
        created_ms: 10,
        revoked_ms: None,
    };
    let created = h
        .store
        .apply(Request::unlogged(KeyOp::CreateApiKey(record.clone())))
        .await
        .unwrap();
    assert_eq!(created, Outcome::Created);
    let revoke = || {
        Request::unlogged(KeyOp::RevokeApiKey {
            id: "k1".into(),
            at_ms: 20,
        })
    };
    assert_eq!(h.store.apply(revoke()).await.unwrap(), Outcome::Done);
    assert_eq!(h.store.apply(revoke()).await.unwrap(), Outcome::NotFound);
    let listed = h
        .store
        .apply(Request::unlogged(KeyOp::ListApiKeys))
        .await
        .unwrap();
    assert_eq!(
        listed,
        Outcome::ApiKeys(vec![ApiKeyRecord {
            revoked_ms: Some(20),
            ..record
        }])
    );
}

async fn rewrap_replaces_the_key_of_live_subjects_only(h: Harness) {
    create(&h.store, "s1", "u1").await;
    create(&h.store, "s2", "u2").await;
    erase(&h.store, "s2", 3, &[], None).await;
    let rewrap = |id: &str| {
        Request::unlogged(SubjectOp::Rewrap {
            subject_id: id.into(),
            wrapped_key: b"new".to_vec(),
        })
    };
    assert_eq!(h.store.apply(rewrap("s1")).await.unwrap(), Outcome::Done);
    assert_eq!(
        h.store.apply(rewrap("s2")).await.unwrap(),
        Outcome::NotFound
    );
    let got = h
        .store
        .apply(Request::unlogged(SubjectOp::GetSubject {
            subject_id: "s1".into(),
        }))
        .await
        .unwrap();
    let Outcome::Subject(s) = got else {
        panic!("expected s1")
    };
    assert_eq!(s.wrapped_key, b"new");
}

async fn subject_ids_page_through_live_subjects(h: Harness) {
    for n in 0..5 {
        create(&h.store, &format!("s{n}"), &format!("u{n}")).await;
    }
    erase(&h.store, "s2", 3, &[], None).await;
    let page = |after: &str| {
        Request::unlogged(SubjectOp::SubjectIds {
            after: after.into(),
            limit: 2,
        })
    };
    assert_eq!(
        h.store.apply(page("")).await.unwrap(),
        Outcome::Subjects(vec!["s0".into(), "s1".into()])
    );
    assert_eq!(
        h.store.apply(page("s1")).await.unwrap(),
        Outcome::Subjects(vec!["s3".into(), "s4".into()])
    );
}

async fn a_reopened_store_keeps_everything(h: Harness) {
    create(&h.store, "s1", "u1").await;
    put(&h.store, "s1", item("user.contact.email", "e", None)).await;
    let before = log(&h.store).await;
    let Harness {
        store,
        location,
        _dir,
    } = &h;
    store.clone().close().await;
    let reopened = Store::open(location, StoreOptions::default()).unwrap();
    assert!(matches!(
        get(&reopened, "s1", "user.contact.email").await,
        Outcome::Item { .. }
    ));
    let after = log(&reopened).await;
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(after.len(), before.len() + 1, "the read was logged too");
}

/// `vow keys create` beside a running `vow serve`: two stores on one data directory write one chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_sqlite_directory_keep_one_chain() {
    let h = sqlite();
    assert_eq!(two_stores_write(h).await, 1);
}

#[test]
fn an_unwritable_data_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let error = Store::open(&Location::Directory(file.clone()), StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("not-a-directory"), "{error}");
}

/// Scale-out: two processes' stores on one PostgreSQL database write a gapless chain each, without
/// waiting for each other's log; the merged log verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_postgres_database_write_a_chain_each() {
    if let Some(h) = postgres() {
        assert_eq!(two_stores_write(h).await, 2);
    }
}

/// Two stores write 60 entries each at once; every chain of the log is gapless and linked, and the
/// whole verifies. Returns how many chains the log has.
async fn two_stores_write(h: Harness) -> usize {
    let second = Store::open(&h.location, StoreOptions::default()).unwrap();
    let mut tasks = Vec::new();
    for (writer, store) in [h.store.clone(), second.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for n in 0..60 {
                let id = format!("w{writer}-{n}");
                assert_eq!(create(&store, &id, &id).await, Outcome::Created);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let entries = log(&second).await;
    assert_eq!(entries.len(), 120);
    let mut chains = std::collections::BTreeSet::new();
    for pair in entries.windows(2) {
        chains.insert(pair[0].chain);
        if pair[1].chain != pair[0].chain {
            assert!(pair[1].chain > pair[0].chain, "chains in order");
            assert_eq!(pair[1].seq, 1, "a chain starts at 1");
            continue;
        }
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    chains.extend(entries.last().map(|e| e.chain));
    let verifier = vow_crypto::AuditSigner::generate().verifying_key();
    let verified = vow_audit::verify(
        entries.into_iter().map(Ok::<_, std::convert::Infallible>),
        &[],
        &verifier,
    )
    .unwrap();
    assert!(verified.is_intact(), "{verified}");
    assert_eq!(verified.chains as usize, chains.len());
    if chains.len() > 1 {
        assert_ne!(
            h.store.chain(),
            second.chain(),
            "each writer has its own chain"
        );
    }
    second.close().await;
    chains.len()
}

/// Two servers on one PostgreSQL updating the same items at once never deadlock: a batch is applied
/// in subject order, so two batches lock subjects' rows in one order (with a chain per writer no log
/// lock orders them; a deadlock costs a second before PostgreSQL breaks it — found by
/// bench/pg-multi, where two servers fell from 3,000 to 600 writes/s). Counted by PostgreSQL
/// itself (`pg_stat_database.deadlocks`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_stores_writing_the_same_items_never_deadlock() {
    let Some(h) = postgres() else { return };
    let Location::Postgres { url, .. } = &h.location else {
        unreachable!()
    };
    let url = url.clone();
    let deadlocks = {
        let url = url.clone();
        move || {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                client
                    .query_one(
                        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
                        &[],
                    )
                    .unwrap()
                    .get::<_, i64>(0)
            })
            .join()
            .unwrap()
        }
    };
    for n in 0..5 {
        let id = format!("sub_{n}");
        assert_eq!(create(&h.store, &id, &id).await, Outcome::Created);
    }
    let before = deadlocks();
    let second = Store::open(&h.location, StoreOptions::default()).unwrap();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for store in [h.store.clone(), second.clone()] {
        for writer in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..40usize {
                    let subject = format!("sub_{}", (n + writer) % 5);
                    let outcome = store
                        .apply(Request::logged(
                            SubjectOp::PutItem {
                                subject_id: subject.clone(),
                                item: item("user.contact.phone", &format!("sealed-{n}"), None),
                            },
                            audit(Action::Update, Some(&subject), &["user.contact.phone"]),
                        ))
                        .await
                        .unwrap();
                    assert!(matches!(outcome, Outcome::Stored { .. }), "{outcome:?}");
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let took = started.elapsed();
    let after = deadlocks();
    second.close().await;
    // Other tests share the database, so the counter is read around this run only; a deadlock in
    // another test at the same moment would show here too, which is also worth failing on.
    assert_eq!(
        after - before,
        0,
        "deadlocks while two stores wrote ({took:?})"
    );
    let entries = log(&h.store).await;
    assert_eq!(entries.len(), 5 + 2 * 8 * 40);
}

fn signed_head(seq: u64) -> Checkpoint {
    Checkpoint {
        seq,
        hash: [seq as u8; 32],
        at_ms: 1_764_000_000_000 + seq as i64,
        signature: vec![7; 64],
        heads: Vec::new(),
    }
}

async fn the_key_store_keeps_the_first_audit_key_and_the_newest_signed_head(h: Harness) {
    let store = h.store.clone();
    let remembered = tokio::task::spawn_blocking(move || store.remembered_blocking())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(remembered, vow_store::Remembered::default());

    for seq in [5, 9, 7] {
        h.store
            .remember_signed_head(&signed_head(seq))
            .await
            .unwrap();
    }
    let store = h.store.clone();
    let (first, second) = tokio::task::spawn_blocking(move || {
        (
            store.record_audit_key_blocking([1; 32]).unwrap(),
            store.record_audit_key_blocking([2; 32]).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(first.audit_key, Some([1; 32]));
    assert_eq!(
        second.audit_key,
        Some([1; 32]),
        "the first key recorded stays"
    );
    assert_eq!(
        second.signed_head,
        Some(signed_head(9)),
        "an older head does not replace a newer one"
    );
}

async fn inspect_sees_data_and_the_recorded_key(h: Harness) {
    let inspect = || vow_store::inspect(&h.location).unwrap();
    assert_eq!(inspect(), vow_store::Inspection::default());
    create(&h.store, "s1", "u1").await;
    let found = inspect();
    assert!(found.holds_data && found.is_in_use());
    assert_eq!(found.audit_key, None);
    let store = h.store.clone();
    tokio::task::spawn_blocking(move || store.record_audit_key_blocking([3; 32]).unwrap())
        .await
        .unwrap();
    assert_eq!(inspect().audit_key, Some([3; 32]));
}

#[test]
fn inspecting_a_directory_without_a_store_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let found = vow_store::inspect(&Location::Directory(data.clone())).unwrap();
    assert!(!found.is_in_use());
    assert!(!data.exists());
}

#[cfg(unix)]
#[test]
fn a_new_data_directory_is_0700_and_its_databases_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&Location::Directory(data.clone()), StoreOptions::default()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    store.close_blocking();
}

// ---- consent and the outbox

fn consent(subject: &str, id: &str, channel: &str, change: &str, at_ms: i64) -> ConsentEvent {
    ConsentEvent {
        seq: 0,
        id: id.into(),
        subject_id: subject.into(),
        purpose: "marketing".into(),
        channel: channel.into(),
        night: false,
        change: change.into(),
        at_ms,
        recorded_ms: at_ms,
        policy_version: "1.0".into(),
        by_guardian: false,
        evidence: b"sealed".to_vec(),
        key_id: "key_test".into(),
        notice_due_ms: Some(at_ms + 14 * 86_400_000),
        notice_sent_ms: None,
    }
}

fn event(id: &str, subject: Option<&str>) -> OutboxRecord {
    OutboxRecord {
        seq: 0,
        id: id.into(),
        subject_id: subject.map(str::to_string),
        kind: "consent.changed".into(),
        body: "{}".into(),
        created_ms: 1_000,
        attempts: 0,
        delivered_ms: None,
    }
}

async fn record(h: &Harness, event_: ConsentEvent, expected: Option<bool>) -> Outcome {
    let outbox = event(&format!("evt_{}", event_.id), Some(&event_.subject_id));
    h.store
        .apply(Request::logged(
            ConsentOp::RecordConsent {
                event: Box::new(event_),
                expected,
                outbox: Box::new(outbox),
            },
            audit(Action::ConsentGrant, Some("sub_a"), &["marketing/email"]),
        ))
        .await
        .unwrap()
}

async fn states(h: &Harness, subject: &str) -> (Vec<vow_store::ConsentState>, Vec<ConsentEvent>) {
    match h
        .store
        .apply(Request::unlogged(ConsentOp::Consents {
            subject_id: subject.into(),
            history: true,
        }))
        .await
        .unwrap()
    {
        Outcome::Consents { states, history } => (states, history),
        other => panic!("{other:?}"),
    }
}

async fn a_consent_change_moves_the_state_and_refuses_a_stale_decision(h: Harness) {
    create(&h.store, "sub_a", "a@example.com").await;
    assert_eq!(
        record(&h, consent("sub_a", "c1", "email", "grant", 1_000), None).await,
        Outcome::Done
    );
    // Decided on "no consent yet", but there is one now: nothing is written.
    assert_eq!(
        record(&h, consent("sub_a", "c2", "email", "grant", 2_000), None).await,
        Outcome::Stale
    );
    assert_eq!(
        record(
            &h,
            consent("sub_a", "c3", "email", "reconfirm", 3_000),
            Some(true)
        )
        .await,
        Outcome::Done
    );
    assert_eq!(
        record(
            &h,
            consent("sub_a", "c4", "email", "withdraw", 4_000),
            Some(true)
        )
        .await,
        Outcome::Done
    );
    let (now, history) = states(&h, "sub_a").await;
    assert_eq!(now.len(), 1);
    assert!(!now[0].granted);
    // The re-confirmation restarted the clock; the withdrawal did not move it.
    assert_eq!((now[0].since_ms, now[0].changed_ms), (3_000, 4_000));
    let ids: Vec<&str> = history.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c3", "c4"]);
    assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        record(
            &h,
            consent("sub_nobody", "c5", "email", "grant", 1_000),
            None
        )
        .await,
        Outcome::NotFound
    );
}

async fn a_childs_items_wait_for_the_guardians_consent(h: Harness) {
    let mut child = subject("sub_child", "child@example.com");
    child.minor = true;
    h.store
        .apply(Request::unlogged(SubjectOp::CreateSubject(child)))
        .await
        .unwrap();
    let put = || {
        Request::logged(
            SubjectOp::PutItem {
                subject_id: "sub_child".into(),
                item: item("user.name", "sealed-name", None),
            },
            audit(Action::Update, Some("sub_child"), &["user.name"]),
        )
    };
    assert_eq!(h.store.apply(put()).await.unwrap(), Outcome::NeedsGuardian);
    let mut guardian = consent("sub_child", "g1", "", "grant", 1_000);
    guardian.purpose = GUARDIAN_PURPOSE.into();
    guardian.notice_due_ms = None;
    assert_eq!(record(&h, guardian, None).await, Outcome::Done);
    assert_eq!(
        h.store.apply(put()).await.unwrap(),
        Outcome::Stored { replaced: false }
    );
}

async fn campaign_states_answer_for_live_subjects_only(h: Harness) {
    for (id, ext) in [("sub_a", "a"), ("sub_b", "b"), ("sub_c", "c")] {
        create(&h.store, id, ext).await;
    }
    record(&h, consent("sub_a", "c1", "email", "grant", 1_000), None).await;
    let mut night = consent("sub_a", "c2", "email", "grant", 1_000);
    night.night = true;
    record(&h, night, None).await;
    record(&h, consent("sub_b", "c3", "sms", "grant", 1_000), None).await;
    erase(&h.store, "sub_c", 2_000, &[], None).await;
    let ids: Vec<String> = ["sub_a", "sub_b", "sub_c", "sub_missing"]
        .map(String::from)
        .to_vec();
    let Outcome::CampaignStates(mut found) = h
        .store
        .apply(Request::unlogged(ConsentOp::CampaignStates {
            subject_ids: ids,
            purpose: "marketing".into(),
            channel: "email".into(),
        }))
        .await
        .unwrap()
    else {
        panic!("expected campaign states")
    };
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let summary: Vec<(&str, usize)> = found
        .iter()
        .map(|s| (s.id.as_str(), s.states.len()))
        .collect();
    assert_eq!(summary, [("sub_a", 2), ("sub_b", 0)]);
}

async fn due_consents_and_owed_notices_are_listed_and_notices_marked_once(h: Harness) {
    create(&h.store, "sub_a", "a").await;
    create(&h.store, "sub_b", "b").await;
    record(&h, consent("sub_a", "c1", "email", "grant", 1_000), None).await;
    record(&h, consent("sub_b", "c2", "email", "grant", 5_000), None).await;
    let Outcome::ConsentStates(due) = h
        .store
        .apply(Request::unlogged(ConsentOp::ConsentsDue {
            purpose: "marketing".into(),
            since_before_ms: 2_000,
            limit: 10,
        }))
        .await
        .unwrap()
    else {
        panic!("expected states")
    };
    assert_eq!(
        due.iter()
            .map(|s| s.subject_id.as_str())
            .collect::<Vec<_>>(),
        ["sub_a"]
    );
    let owed = || async {
        match h
            .store
            .apply(Request::unlogged(ConsentOp::OwedNotices { limit: 10 }))
            .await
            .unwrap()
        {
            Outcome::ConsentEvents(events) => events.into_iter().map(|e| e.id).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(owed().await, ["c1", "c2"]);
    let mark = |id: &str| {
        Request::unlogged(ConsentOp::MarkNoticeSent {
            event_id: id.into(),
            at_ms: 9_000,
            key_id: "key_test".into(),
        })
    };
    assert_eq!(h.store.apply(mark("c1")).await.unwrap(), Outcome::Done);
    assert!(matches!(
        h.store.apply(mark("c1")).await.unwrap(),
        Outcome::AlreadyExists { .. }
    ));
    assert_eq!(
        h.store.apply(mark("nope")).await.unwrap(),
        Outcome::NotFound
    );
    assert_eq!(owed().await, ["c2"]);
}

async fn the_outbox_hands_out_each_subjects_oldest_event_once(h: Harness) {
    for (id, subject_) in [("e1", "sub_a"), ("e2", "sub_a"), ("e3", "sub_b")] {
        let created = h
            .store
            .apply(Request::unlogged(OutboxOp::Enqueue(event(
                id,
                Some(subject_),
            ))))
            .await
            .unwrap();
        assert_eq!(created, Outcome::Created);
    }
    assert!(matches!(
        h.store
            .apply(Request::unlogged(OutboxOp::Enqueue(event(
                "e1",
                Some("sub_a")
            ))))
            .await
            .unwrap(),
        Outcome::AlreadyExists { .. }
    ));
    let claim = |now_ms: i64| {
        Request::unlogged(OutboxOp::ClaimOutbox {
            now_ms,
            lease_until_ms: now_ms + 30_000,
            limit: 10,
        })
    };
    let ids = |outcome: Outcome| match outcome {
        Outcome::Outbox(records) => records
            .into_iter()
            .map(|r| (r.id, r.seq))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let first = ids(h.store.apply(claim(2_000)).await.unwrap());
    // e2 waits behind e1 of the same subject.
    assert_eq!(
        first.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["e1", "e3"]
    );
    // Leased: a second claimer gets nothing until the lease ends.
    assert!(ids(h.store.apply(claim(3_000)).await.unwrap()).is_empty());
    let e1 = first[0].1;
    h.store
        .apply(Request::unlogged(OutboxOp::FinishDelivery {
            seq: e1,
            delivered_ms: Some(3_000),
            next_attempt_ms: 3_000,
            error: None,
            body_after: None,
        }))
        .await
        .unwrap();
    let next = ids(h.store.apply(claim(4_000)).await.unwrap());
    assert_eq!(
        next.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["e2"]
    );
    // e3's lease ended without a result: it is handed out again.
    let later = ids(h.store.apply(claim(40_000)).await.unwrap());
    assert_eq!(
        later.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["e2", "e3"]
    );
}

async fn a_webhook_only_event_is_never_paged_and_drops_its_secret_once_delivered(h: Harness) {
    for (id, kind) in [
        ("a", "consent.changed"),
        ("secret", "privacy.code"),
        ("b", "consent.changed"),
    ] {
        let mut record = event(id, Some(&format!("sub_{id}")));
        record.kind = kind.into();
        record.body = format!(r#"{{"code":"{id}-123456"}}"#);
        h.store
            .apply(Request::unlogged(OutboxOp::Enqueue(record)))
            .await
            .unwrap();
    }
    let page = |hide_kinds: Vec<String>| async {
        match h
            .store
            .apply(Request::unlogged(OutboxOp::OutboxPage {
                after_seq: 0,
                limit: 100,
                hide_kinds,
            }))
            .await
            .unwrap()
        {
            Outcome::Outbox(records) => records,
            other => panic!("{other:?}"),
        }
    };
    let polled = page(vec!["privacy.code".into(), "other.kind".into()]).await;
    assert_eq!(
        polled.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let all = page(vec![]).await;
    assert_eq!(all.len(), 3);
    let finish = |seq: i64, delivered_ms: Option<i64>| {
        Request::unlogged(OutboxOp::FinishDelivery {
            seq,
            delivered_ms,
            next_attempt_ms: 9_000,
            error: None,
            body_after: Some(r#"{"subject":"sub_secret"}"#.into()),
        })
    };
    // A failed delivery keeps the body: it is still owed.
    h.store.apply(finish(all[1].seq, None)).await.unwrap();
    assert!(page(vec![]).await[1].body.contains("secret-123456"));
    h.store
        .apply(finish(all[1].seq, Some(5_000)))
        .await
        .unwrap();
    let after = page(vec![]).await;
    assert_eq!(after[1].body, r#"{"subject":"sub_secret"}"#);
    assert_eq!(after[1].delivered_ms, Some(5_000));
    assert!(after[0].body.contains("a-123456") && after[2].body.contains("b-123456"));
}

async fn pruning_removes_only_events_delivered_before_the_cut(h: Harness) {
    // (id, kind, delivered at): delivered long ago, recently, never; a kept kind delivered long ago;
    // and the newest event, delivered long ago too.
    let planted: [(&str, &str, Option<i64>); 6] = [
        ("old_1", "consent.changed", Some(1_000)),
        ("recent", "consent.changed", Some(90_000)),
        ("undelivered", "consent.changed", None),
        ("old_2", "request.received", Some(2_000)),
        ("kept_kind", "consent.reconfirmation_due", Some(1_000)),
        ("newest", "consent.changed", Some(1_000)),
    ];
    for (id, kind, delivered_ms) in planted {
        let mut record = event(id, Some(&format!("sub_{id}")));
        record.kind = kind.into();
        h.store
            .apply(Request::unlogged(OutboxOp::Enqueue(record)))
            .await
            .unwrap();
        let page = h
            .store
            .apply(Request::unlogged(OutboxOp::OutboxPage {
                after_seq: 0,
                limit: 100,
                hide_kinds: vec![],
            }))
            .await
            .unwrap();
        let Outcome::Outbox(records) = page else {
            panic!("{page:?}")
        };
        let seq = records.iter().find(|r| r.id == id).unwrap().seq;
        if let Some(at) = delivered_ms {
            h.store
                .apply(Request::unlogged(OutboxOp::FinishDelivery {
                    seq,
                    delivered_ms: Some(at),
                    next_attempt_ms: at,
                    error: None,
                    body_after: None,
                }))
                .await
                .unwrap();
        }
    }
    let prune = |limit: usize| {
        Request::unlogged(OutboxOp::PruneDelivered {
            delivered_before_ms: 50_000,
            keep_kinds: vec!["consent.reconfirmation_due".into()],
            limit,
        })
    };
    // A limit bounds one call; the next takes the rest, oldest first.
    assert_eq!(h.store.apply(prune(1)).await.unwrap(), Outcome::Removed(1));
    assert_eq!(h.store.apply(prune(10)).await.unwrap(), Outcome::Removed(1));
    assert_eq!(h.store.apply(prune(10)).await.unwrap(), Outcome::Removed(0));
    let left = match h
        .store
        .apply(Request::unlogged(OutboxOp::OutboxPage {
            after_seq: 0,
            limit: 100,
            hide_kinds: vec![],
        }))
        .await
        .unwrap()
    {
        Outcome::Outbox(records) => records,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        left.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["recent", "undelivered", "kept_kind", "newest"]
    );
    // The newest kept its number, so the next event is numbered after it, not after the gap.
    let newest = left.last().unwrap().seq;
    h.store
        .apply(Request::unlogged(OutboxOp::Enqueue(event("next", None))))
        .await
        .unwrap();
    let after = match h
        .store
        .apply(Request::unlogged(OutboxOp::OutboxPage {
            after_seq: newest,
            limit: 100,
            hide_kinds: vec![],
        }))
        .await
        .unwrap()
    {
        Outcome::Outbox(records) => records,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        after
            .iter()
            .map(|r| (r.id.as_str(), r.seq))
            .collect::<Vec<_>>(),
        [("next", newest + 1)]
    );
}

async fn a_closed_subject_takes_nothing_new_and_an_erasure_destroys_its_consent_evidence(
    h: Harness,
) {
    create(&h.store, "sub_a", "a").await;
    create(&h.store, "sub_b", "b").await;
    record(&h, consent("sub_a", "c1", "email", "grant", 1_000), None).await;
    record(&h, consent("sub_b", "c2", "email", "grant", 1_000), None).await;
    // An account closure reported as an event closes the subject; an erasure closes and erases.
    let closed = h
        .store
        .apply(Request::unlogged(RetentionOp::RecordRetentionEvent {
            subject_id: "sub_b".into(),
            event: "account_closure".into(),
            at_ms: 1_500,
            recorded_ms: 1_500,
        }))
        .await
        .unwrap();
    assert_eq!(closed, Outcome::Created);
    let erased = h
        .store
        .apply(Request::logged(
            RetentionOp::CloseSubject {
                subject_id: "sub_a".into(),
                at_ms: 2_000,
                erasure: true,
                cause: "erasure".into(),
                method: "deleted".into(),
                by_key: "key_test".into(),
            },
            audit(Action::Erase, Some("sub_a"), &["consent.evidence"]),
        ))
        .await
        .unwrap();
    assert_eq!(erased, Outcome::Done);
    for id in ["sub_a", "sub_b"] {
        let Outcome::Subject(subject) = h
            .store
            .apply(Request::unlogged(SubjectOp::GetSubject {
                subject_id: id.into(),
            }))
            .await
            .unwrap()
        else {
            panic!("a closed subject is still there")
        };
        assert!(subject.closed_ms.is_some(), "{id}");
        assert_eq!(subject.erasure_ms.is_some(), id == "sub_a");
        assert_eq!(
            put(&h.store, id, item("user.contact.email", "e", None)).await,
            Outcome::Closed
        );
        let row = vow_store::RecordRow {
            id: format!("rec_{id}"),
            subject_id: id.into(),
            category: "user.financial.order".into(),
            sealed: b"sealed".to_vec(),
            at_ms: 3_000,
            created_ms: 3_000,
            contested: false,
        };
        let put_record = h
            .store
            .apply(Request::unlogged(RetentionOp::PutRecord(row)))
            .await
            .unwrap();
        assert_eq!(put_record, Outcome::Closed);
        // What a law requires still goes in, apart.
        let apart = vow_store::SeparatedRow {
            id: format!("sep_{id}"),
            subject_id: id.into(),
            category: "user.financial.order".into(),
            binding: format!("user.financial.order#rec_{id}"),
            sealed: b"sealed".to_vec(),
            at_ms: 3_000,
            rule: "contract_records".into(),
            until_ms: 9_000,
            moved_ms: 3_000,
        };
        let put_apart = h
            .store
            .apply(Request::unlogged(RetentionOp::PutSeparated(apart)))
            .await
            .unwrap();
        assert_eq!(put_apart, Outcome::Created);
    }
    // No new consent; a withdrawal still goes in (the closed account's consent counts as withdrawn).
    assert_eq!(
        record(
            &h,
            consent("sub_b", "c3", "email", "grant", 3_000),
            Some(true)
        )
        .await,
        Outcome::Closed
    );
    assert_eq!(
        record(
            &h,
            consent("sub_b", "c4", "email", "withdraw", 3_000),
            Some(true)
        )
        .await,
        Outcome::Done
    );
    // The erased subject's consent states are gone and its evidence emptied, with a ledger line;
    // the closed one's evidence stays.
    let (a_states, a_history) = states(&h, "sub_a").await;
    assert!(a_states.is_empty());
    assert!(
        a_history.iter().all(|e| e.evidence.is_empty()),
        "{a_history:?}"
    );
    let (_, b_history) = states(&h, "sub_b").await;
    assert!(b_history.iter().all(|e| !e.evidence.is_empty()));
    let Outcome::Destructions(lines) = h
        .store
        .apply(Request::unlogged(RetentionOp::Destructions {
            after_seq: 0,
            limit: 10,
        }))
        .await
        .unwrap()
    else {
        panic!("expected the ledger")
    };
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (
            lines[0].subject_id.as_str(),
            lines[0].category.as_str(),
            lines[0].count
        ),
        ("sub_a", "consent.evidence", 1)
    );
    // The campaign check sees when each subject's use ended.
    let Outcome::CampaignStates(found) = h
        .store
        .apply(Request::unlogged(ConsentOp::CampaignStates {
            subject_ids: vec!["sub_a".into(), "sub_b".into()],
            purpose: "marketing".into(),
            channel: "email".into(),
        }))
        .await
        .unwrap()
    else {
        panic!("expected campaign states")
    };
    let closed: Vec<Option<i64>> = found.iter().map(|s| s.closed_ms).collect();
    assert_eq!(closed, [Some(2_000), Some(1_500)]);
    // The retention view carries it too, and the separated rows with their time and record.
    let Outcome::RetentionViews(views) = h
        .store
        .apply(Request::unlogged(RetentionOp::RetentionPage {
            after: String::new(),
            limit: 10,
        }))
        .await
        .unwrap()
    else {
        panic!("expected views")
    };
    assert_eq!(views[0].erasure_ms, Some(2_000));
    assert_eq!(views[1].erasure_ms, None);
    assert_eq!(views[0].separated[0].record.as_deref(), Some("rec_sub_a"));
    assert_eq!(views[0].separated[0].at_ms, 3_000);
}

// ---- the console's people

fn console_user(id: &str, email: &str, enrol: &str, expires_ms: i64) -> vow_store::ConsoleUserRow {
    vow_store::ConsoleUserRow {
        id: id.into(),
        email_index: format!("index-{email}").into_bytes(),
        email_sealed: format!("sealed-{email}").into_bytes(),
        role: "privacy_officer".into(),
        password_phc: None,
        totp_sealed: None,
        totp_last_step: 0,
        enrol_digest: Some(enrol.as_bytes().to_vec()),
        enrol_expires_ms: Some(expires_ms),
        created_ms: 1_000,
        created_by: "operator".into(),
        enrolled_ms: None,
        disabled_ms: None,
    }
}

/// The review findings of a month.
async fn findings(h: &Harness, period: &str) -> Vec<vow_store::FindingRow> {
    match console(
        h,
        vow_store::ConsoleOp::Findings {
            period: period.into(),
        },
    )
    .await
    {
        Outcome::Findings(found) => found,
        other => panic!("{other:?}"),
    }
}

async fn console(h: &Harness, op: vow_store::ConsoleOp) -> Outcome {
    h.store.apply(Request::unlogged(op)).await.unwrap()
}

fn enrol(id: &str, digest: &str, now_ms: i64) -> vow_store::ConsoleOp {
    vow_store::ConsoleOp::Enrol {
        id: id.into(),
        enrol_digest: digest.as_bytes().to_vec(),
        now_ms,
        password_phc: "$argon2id$…".into(),
        totp_sealed: b"sealed-totp".to_vec(),
    }
}

async fn an_enrolment_link_works_once_and_not_after_it_expires_or_the_user_is_disabled(h: Harness) {
    use vow_store::{ConsoleOp, UserKey};
    assert_eq!(
        console(
            &h,
            ConsoleOp::AddUser(console_user("usr_a", "a@x", "tok-a", 5_000))
        )
        .await,
        Outcome::Created
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::AddUser(console_user("usr_a2", "a@x", "tok-a2", 5_000))
        )
        .await,
        Outcome::AlreadyExists { id: "usr_a".into() },
        "one user per e-mail"
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::AddUser(console_user("usr_b", "b@x", "tok-b", 5_000))
        )
        .await,
        Outcome::Created
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::AddUser(console_user("usr_c", "c@x", "tok-c", 5_000))
        )
        .await,
        Outcome::Created
    );
    // Another user's token, or an expired one, does nothing.
    assert_eq!(
        console(&h, enrol("usr_a", "tok-b", 2_000)).await,
        Outcome::NotFound
    );
    assert_eq!(
        console(&h, enrol("usr_b", "tok-b", 5_000)).await,
        Outcome::NotFound,
        "expired at 5,000"
    );
    assert_eq!(
        console(&h, enrol("usr_a", "tok-a", 2_000)).await,
        Outcome::Done
    );
    assert_eq!(
        console(&h, enrol("usr_a", "tok-a", 2_001)).await,
        Outcome::NotFound,
        "a link works once"
    );
    let Outcome::ConsoleUsers(found) =
        console(&h, ConsoleOp::User(UserKey::Id("usr_a".into()))).await
    else {
        panic!("expected users")
    };
    assert_eq!(found[0].enrolled_ms, Some(2_000));
    assert_eq!(found[0].enrol_digest, None);
    assert_eq!(found[0].password_phc.as_deref(), Some("$argon2id$…"));
    let Outcome::ConsoleUsers(by_token) =
        console(&h, ConsoleOp::User(UserKey::EnrolDigest(b"tok-a".to_vec()))).await
    else {
        panic!("expected users")
    };
    assert!(by_token.is_empty());
    assert_eq!(
        console(
            &h,
            ConsoleOp::DisableUser {
                id: "usr_c".into(),
                at_ms: 1_500
            }
        )
        .await,
        Outcome::Done
    );
    assert_eq!(
        console(&h, enrol("usr_c", "tok-c", 2_000)).await,
        Outcome::NotFound,
        "disabled"
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::DisableUser {
                id: "usr_c".into(),
                at_ms: 1_600
            }
        )
        .await,
        Outcome::NotFound,
        "disabled once"
    );
    // Re-enrolment: a new token, the old password gone.
    assert_eq!(
        console(
            &h,
            ConsoleOp::Reenrol {
                id: "usr_a".into(),
                enrol_digest: b"tok-a3".to_vec(),
                enrol_expires_ms: 9_000
            }
        )
        .await,
        Outcome::Done
    );
    let Outcome::ConsoleUsers(all) = console(&h, ConsoleOp::ListUsers).await else {
        panic!("expected users")
    };
    assert_eq!(
        all.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["usr_a", "usr_b", "usr_c"]
    );
    assert_eq!(all[0].password_phc, None);
    assert_eq!(
        console(&h, enrol("usr_a", "tok-a3", 3_000)).await,
        Outcome::Done
    );
}

async fn a_totp_step_is_accepted_once_and_never_an_older_one(h: Harness) {
    use vow_store::ConsoleOp;
    console(
        &h,
        ConsoleOp::AddUser(console_user("usr_a", "a@x", "tok-a", 5_000)),
    )
    .await;
    let step = |step| ConsoleOp::AcceptTotpStep {
        id: "usr_a".into(),
        step,
    };
    assert_eq!(console(&h, step(100)).await, Outcome::Done);
    assert_eq!(
        console(&h, step(100)).await,
        Outcome::Stale,
        "the same code again"
    );
    assert_eq!(console(&h, step(99)).await, Outcome::Stale, "an older code");
    assert_eq!(console(&h, step(101)).await, Outcome::Done);
    // Many tries at once, from as many tasks: exactly one wins a step.
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = h.store.clone();
        tries.spawn(async move { store.apply(Request::unlogged(step(150))).await.unwrap() });
    }
    let outcomes = tries.join_all().await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Done).count(),
        1,
        "{outcomes:?}"
    );
}

async fn disabling_a_user_ends_their_sessions_and_pruning_ends_idle_ones(h: Harness) {
    use vow_store::{ConsoleOp, ConsoleSessionRow};
    console(
        &h,
        ConsoleOp::AddUser(console_user("usr_a", "a@x", "tok-a", 5_000)),
    )
    .await;
    console(
        &h,
        ConsoleOp::AddUser(console_user("usr_b", "b@x", "tok-b", 5_000)),
    )
    .await;
    let session = |digest: &str, user: &str, seen| ConsoleSessionRow {
        digest: digest.as_bytes().to_vec(),
        user_id: user.into(),
        created_ms: 1_000,
        last_seen_ms: seen,
    };
    for (digest, user, seen) in [
        ("s1", "usr_a", 1_000),
        ("s2", "usr_a", 1_000),
        ("s3", "usr_b", 1_000),
        ("s4", "usr_b", 9_000),
    ] {
        assert_eq!(
            console(&h, ConsoleOp::CreateSession(session(digest, user, seen))).await,
            Outcome::Created
        );
    }
    let live = |digest: &str| ConsoleOp::Session {
        digest: digest.as_bytes().to_vec(),
    };
    let Outcome::ConsoleSessions(found) = console(&h, live("s1")).await else {
        panic!()
    };
    assert_eq!(found, [session("s1", "usr_a", 1_000)]);
    assert_eq!(
        console(
            &h,
            ConsoleOp::TouchSession {
                digest: b"s3".to_vec(),
                at_ms: 8_000
            }
        )
        .await,
        Outcome::Done
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::DisableUser {
                id: "usr_a".into(),
                at_ms: 2_000
            }
        )
        .await,
        Outcome::Done
    );
    for gone in ["s1", "s2"] {
        assert_eq!(
            console(&h, live(gone)).await,
            Outcome::ConsoleSessions(vec![]),
            "{gone}"
        );
    }
    assert_eq!(
        console(&h, ConsoleOp::PruneSessions { before_ms: 8_500 }).await,
        Outcome::Removed(1)
    );
    assert_eq!(
        console(&h, live("s3")).await,
        Outcome::ConsoleSessions(vec![])
    );
    let Outcome::ConsoleSessions(kept) = console(&h, live("s4")).await else {
        panic!()
    };
    assert_eq!(kept.len(), 1);
    assert_eq!(
        console(
            &h,
            ConsoleOp::EndSession {
                digest: b"s4".to_vec()
            }
        )
        .await,
        Outcome::Done
    );
    assert_eq!(
        console(
            &h,
            ConsoleOp::EndSession {
                digest: b"s4".to_vec()
            }
        )
        .await,
        Outcome::NotFound
    );
}

async fn reenrolment_ends_the_sessions_and_old_factors_and_not_for_a_disabled_user(h: Harness) {
    use vow_store::{ConsoleOp, ConsoleSessionRow, UserKey};
    for (id, email, token) in [("usr_a", "a@x", "tok-a"), ("usr_b", "b@x", "tok-b")] {
        console(
            &h,
            ConsoleOp::AddUser(console_user(id, email, token, 5_000)),
        )
        .await;
        assert_eq!(console(&h, enrol(id, token, 2_000)).await, Outcome::Done);
    }
    let session = |digest: &str, user: &str| ConsoleSessionRow {
        digest: digest.as_bytes().to_vec(),
        user_id: user.into(),
        created_ms: 2_000,
        last_seen_ms: 2_000,
    };
    for (digest, user) in [("s1", "usr_a"), ("s2", "usr_a"), ("s3", "usr_b")] {
        console(&h, ConsoleOp::CreateSession(session(digest, user))).await;
    }
    let accept = |step| ConsoleOp::AcceptTotpStep {
        id: "usr_a".into(),
        step,
    };
    assert_eq!(console(&h, accept(500)).await, Outcome::Done);
    let reenrol = |id: &str, token: &str| ConsoleOp::Reenrol {
        id: id.into(),
        enrol_digest: token.as_bytes().to_vec(),
        enrol_expires_ms: 9_000,
    };
    assert_eq!(console(&h, reenrol("usr_a", "tok-a2")).await, Outcome::Done);
    for (digest, user, left) in [("s1", "usr_a", 0), ("s2", "usr_a", 0), ("s3", "usr_b", 1)] {
        let Outcome::ConsoleSessions(found) = console(
            &h,
            ConsoleOp::Session {
                digest: digest.as_bytes().to_vec(),
            },
        )
        .await
        else {
            panic!()
        };
        assert_eq!(found.len(), left, "{digest} of {user}");
    }
    let Outcome::ConsoleUsers(found) = console(
        &h,
        ConsoleOp::User(UserKey::EnrolDigest(b"tok-a2".to_vec())),
    )
    .await
    else {
        panic!()
    };
    assert_eq!(found.len(), 1, "found by the new token");
    assert_eq!(
        (
            found[0].password_phc.as_ref(),
            found[0].totp_sealed.as_ref()
        ),
        (None, None)
    );
    assert_eq!(
        console(&h, enrol("usr_a", "tok-a", 3_000)).await,
        Outcome::NotFound,
        "the first token stays spent"
    );
    assert_eq!(
        console(&h, enrol("usr_a", "tok-a2", 3_000)).await,
        Outcome::Done
    );
    assert_eq!(
        console(&h, accept(1)).await,
        Outcome::Done,
        "a new second factor starts its steps again"
    );
    console(
        &h,
        ConsoleOp::DisableUser {
            id: "usr_b".into(),
            at_ms: 4_000,
        },
    )
    .await;
    assert_eq!(
        console(&h, reenrol("usr_b", "tok-b2")).await,
        Outcome::NotFound,
        "a disabled user gets no new link"
    );
}

async fn grants_sign_offs_and_findings_are_kept_as_the_review_needs(h: Harness) {
    use vow_store::{ConsoleOp, FindingRow, GrantRow, SignOffRow};
    for i in 0..25 {
        let grant = GrantRow {
            seq: 0,
            at_ms: 1_000 + i,
            actor: "operator".into(),
            grantee: format!("key:key_{i}"),
            role: "support".into(),
            change: "granted".into(),
        };
        assert_eq!(
            console(&h, ConsoleOp::RecordGrant(grant)).await,
            Outcome::Created
        );
    }
    let Outcome::Grants(first) = console(
        &h,
        ConsoleOp::Grants {
            before_seq: None,
            limit: 10,
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].grantee, "key:key_24", "newest first");
    let Outcome::Grants(rest) = console(
        &h,
        ConsoleOp::Grants {
            before_seq: Some(first[9].seq),
            limit: 100,
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(rest.len(), 15);
    assert_eq!(rest.last().unwrap().grantee, "key:key_0");

    let sign = |kind: &str, period: &str, by: &str| SignOffRow {
        kind: kind.into(),
        period: period.into(),
        by_user: by.into(),
        at_ms: 5_000,
        note: String::new(),
    };
    assert_eq!(
        console(&h, ConsoleOp::SignOff(sign("review", "2026-10", "usr_a"))).await,
        Outcome::Created
    );
    assert_eq!(
        console(&h, ConsoleOp::SignOff(sign("review", "2026-11", "usr_a"))).await,
        Outcome::Created
    );
    assert_eq!(
        console(&h, ConsoleOp::SignOff(sign("ledger", "2026-11", "usr_b"))).await,
        Outcome::Created
    );
    assert_eq!(
        console(&h, ConsoleOp::SignOff(sign("review", "2026-11", "usr_b"))).await,
        Outcome::AlreadyExists { id: "usr_a".into() },
        "a month is signed once, and the answer names who signed it"
    );
    let Outcome::SignOffs(reviews) = console(
        &h,
        ConsoleOp::SignOffs {
            kind: "review".into(),
            limit: 10,
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(
        reviews
            .iter()
            .map(|s| s.period.as_str())
            .collect::<Vec<_>>(),
        ["2026-11", "2026-10"]
    );

    let finding = |seq, note: &str| FindingRow {
        period: "2026-11".into(),
        entry_chain: 0,
        entry_seq: seq,
        by_user: "usr_a".into(),
        at_ms: 6_000,
        note: note.into(),
    };
    assert_eq!(
        console(&h, ConsoleOp::RecordFinding(finding(7, "ticket 1"))).await,
        Outcome::Stored { replaced: false }
    );
    assert_eq!(
        console(&h, ConsoleOp::RecordFinding(finding(3, "ok"))).await,
        Outcome::Stored { replaced: false }
    );
    assert_eq!(
        console(&h, ConsoleOp::RecordFinding(finding(7, "ticket 2"))).await,
        Outcome::Stored { replaced: true }
    );
    let found = findings(&h, "2026-11").await;
    assert_eq!(
        found
            .iter()
            .map(|f| (f.entry_seq, f.note.as_str()))
            .collect::<Vec<_>>(),
        [(3, "ok"), (7, "ticket 2")]
    );
}

async fn paging_requests_by_key_returns_each_once_in_due_order(h: Harness) {
    use vow_store::{RequestOp, RightsRequestRow};
    for s in 0..5 {
        create(&h.store, &format!("sub_{s}"), &format!("ext_{s}")).await;
    }
    // 250 requests, due dates with many ties, a third of them closed (completed or refused).
    for i in 0..250i64 {
        let row = RightsRequestRow {
            id: format!("req_{i:03}"),
            subject_id: format!("sub_{}", i % 5),
            kind: "access".into(),
            state: match i % 6 {
                0 => "completed".into(),
                3 => "refused".into(),
                _ => "received".into(),
            },
            received_ms: i,
            due_ms: 1_000 + (i * 7) % 40,
            updated_ms: i,
            detail: "{}".into(),
        };
        assert_eq!(
            h.store
                .apply(Request::unlogged(RequestOp::CreateRightsRequest(row)))
                .await
                .unwrap(),
            Outcome::Created
        );
    }
    for open_only in [true, false] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let Outcome::RightsRequests(page) = h
                .store
                .apply(Request::unlogged(RequestOp::RightsRequestsPage {
                    open_only,
                    after: after.clone(),
                    limit: 37,
                }))
                .await
                .unwrap()
            else {
                panic!()
            };
            let Some(last) = page.last() else { break };
            after = Some((last.due_ms, last.id.clone()));
            seen.extend(page);
        }
        let expected = if open_only { 250 - 84 } else { 250 };
        assert_eq!(seen.len(), expected, "open_only {open_only}");
        assert!(
            seen.windows(2)
                .all(|w| (w[0].due_ms, &w[0].id) < (w[1].due_ms, &w[1].id)),
            "in order, each once"
        );
        if open_only {
            assert!(
                seen.iter().all(|r| r.state == "received"),
                "no closed request"
            );
        }
    }
    let Outcome::RightsRequests(of) = h
        .store
        .apply(Request::unlogged(RequestOp::RightsRequestsOf {
            subject_ids: vec!["sub_1".into(), "sub_9".into()],
        }))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(of.len(), 50);
    assert!(of.iter().all(|r| r.subject_id == "sub_1"));
    assert!(
        of.windows(2).all(|w| w[0].received_ms > w[1].received_ms),
        "newest first"
    );
}

fn privacy_token(
    digest: &str,
    kind: vow_store::TokenKind,
    subject: Option<&str>,
) -> vow_store::PrivacyTokenRow {
    vow_store::PrivacyTokenRow {
        digest: digest.as_bytes().to_vec(),
        kind: kind.as_str().into(),
        subject_id: subject.map(str::to_string),
        request_id: None,
        secret: Some(b"code-digest".to_vec()),
        detail: "{}".into(),
        created_ms: 1_000,
        expires_ms: 10_000,
        used_ms: None,
        tries: 0,
    }
}

fn signed_cut(signer: &vow_crypto::AuditSigner, from: &Entry, to: &Entry, entries: u64) -> Cut {
    let message = Cut::message(
        from.chain,
        from.seq,
        to.seq,
        &from.prev_hash,
        &to.hash,
        entries,
        from.at_ms,
        to.at_ms,
    );
    Cut {
        chain: from.chain,
        from_seq: from.seq,
        to_seq: to.seq,
        prev_hash: from.prev_hash,
        head_hash: to.hash,
        entries,
        first_at_ms: from.at_ms,
        last_at_ms: to.at_ms,
        signature: signer.sign(&message).to_vec(),
    }
}

async fn archived_entries_leave_only_after_a_cut_that_fits_the_log_is_recorded(h: Harness) {
    for _ in 0..30 {
        h.store
            .apply(Request::logged(
                AuditOp::LogOnly,
                audit(Action::Read, Some("sub_a"), &["user.contact.email"]),
            ))
            .await
            .unwrap();
    }
    let log = h
        .store
        .audit_page(vow_store::Position::default(), 100)
        .await
        .unwrap();
    assert_eq!(log.len(), 30);
    let signer = vow_crypto::AuditSigner::generate();
    let op = |op: AuditOp| {
        let store = h.store.clone();
        async move { store.apply(Request::unlogged(op)).await.unwrap() }
    };
    // Nothing may be removed before a cut is recorded.
    assert_eq!(
        op(AuditOp::PruneArchived {
            chain: 0,
            through_seq: 10,
            limit: 100
        })
        .await,
        Outcome::Stale
    );
    // A cut that does not start at 1, or whose head is not the log's, is refused.
    assert_eq!(
        op(AuditOp::RecordCut(signed_cut(&signer, &log[1], &log[9], 9))).await,
        Outcome::Stale
    );
    let mut wrong_head = signed_cut(&signer, &log[0], &log[9], 10);
    wrong_head.head_hash = log[8].hash;
    assert_eq!(op(AuditOp::RecordCut(wrong_head)).await, Outcome::Stale);
    let first = signed_cut(&signer, &log[0], &log[9], 10);
    assert_eq!(
        op(AuditOp::RecordCut(first.clone())).await,
        Outcome::Created
    );
    // Never past the cut; up to it in batches.
    assert_eq!(
        op(AuditOp::PruneArchived {
            chain: 0,
            through_seq: 11,
            limit: 100
        })
        .await,
        Outcome::Stale
    );
    assert_eq!(
        op(AuditOp::PruneArchived {
            chain: 0,
            through_seq: 10,
            limit: 4
        })
        .await,
        Outcome::Removed(4)
    );
    assert_eq!(
        op(AuditOp::PruneArchived {
            chain: 0,
            through_seq: 10,
            limit: 100
        })
        .await,
        Outcome::Removed(6)
    );
    let left = h
        .store
        .audit_page(vow_store::Position::default(), 100)
        .await
        .unwrap();
    assert_eq!(left.first().map(|e| e.seq), Some(11));
    assert_eq!(left.len(), 20);
    // The next cut must start where this one ended.
    assert_eq!(
        op(AuditOp::RecordCut(signed_cut(
            &signer, &log[12], &log[19], 8
        )))
        .await,
        Outcome::Stale
    );
    let second = signed_cut(&signer, &log[10], &log[19], 10);
    assert_eq!(
        op(AuditOp::RecordCut(second.clone())).await,
        Outcome::Created
    );
    assert_eq!(
        op(AuditOp::Cuts).await,
        Outcome::AuditCuts(vec![first, second])
    );
    // New entries go on after whatever was removed.
    h.store
        .apply(Request::logged(
            AuditOp::LogOnly,
            audit(Action::Read, Some("sub_a"), &[]),
        ))
        .await
        .unwrap();
    assert_eq!(h.store.audit_newest().await.unwrap().unwrap().seq, 31);
}

async fn a_capped_token_past_its_subjects_cap_goes_in_without_its_subject(h: Harness) {
    use vow_store::{PrivacyOp, RecentCap, TokenKind};
    let caps = vec![
        RecentCap {
            since_ms: 1_000,
            at_most: 2,
        },
        RecentCap {
            since_ms: 0,
            at_most: 3,
        },
    ];
    let insert = |digest: &str, subject: &str, created_ms: i64| {
        let mut row = privacy_token(digest, TokenKind::Code, Some(subject));
        row.created_ms = created_ms;
        Request::unlogged(PrivacyOp::InsertCapped {
            row,
            caps: caps.clone(),
        })
    };
    // One before the first window, two in it: the third in it is over the first cap.
    let outcomes = [
        h.store.apply(insert("c0", "sub_a", 500)).await.unwrap(),
        h.store.apply(insert("c1", "sub_a", 1_000)).await.unwrap(),
        h.store.apply(insert("c2", "sub_a", 2_000)).await.unwrap(),
        h.store.apply(insert("c3", "sub_a", 3_000)).await.unwrap(),
        // Another subject has its own count; another kind is not counted.
        h.store.apply(insert("d1", "sub_b", 3_000)).await.unwrap(),
    ];
    assert_eq!(
        outcomes,
        [
            Outcome::Created,
            Outcome::Created,
            Outcome::Created,
            Outcome::Stale,
            Outcome::Created
        ]
    );
    let live = |digest: &str| {
        Request::unlogged(PrivacyOp::Live {
            digest: digest.as_bytes().to_vec(),
            kind: TokenKind::Code,
            now_ms: 3_500,
        })
    };
    // The row over the cap is there (the same page is shown) but names nobody.
    match h.store.apply(live("c3")).await.unwrap() {
        Outcome::PrivacyTokens(rows) => assert_eq!(rows[0].subject_id, None),
        other => panic!("{other:?}"),
    }
    match h.store.apply(live("c2")).await.unwrap() {
        Outcome::PrivacyTokens(rows) => assert_eq!(rows[0].subject_id.as_deref(), Some("sub_a")),
        other => panic!("{other:?}"),
    }
}

async fn a_privacy_token_is_redeemed_once_while_live_and_a_code_has_five_tries(h: Harness) {
    use vow_store::{PrivacyOp, TokenKind};
    let op = |op: PrivacyOp| {
        let store = h.store.clone();
        async move { store.apply(Request::unlogged(op)).await.unwrap() }
    };
    let redeem = |digest: &str, kind, now_ms| PrivacyOp::Redeem {
        digest: digest.as_bytes().to_vec(),
        kind,
        now_ms,
    };
    for (digest, kind) in [("link-a", TokenKind::Link), ("late", TokenKind::Link)] {
        assert_eq!(
            op(PrivacyOp::Insert(privacy_token(
                digest,
                kind,
                Some("sub_a")
            )))
            .await,
            Outcome::Created
        );
    }
    assert_eq!(
        op(redeem("late", TokenKind::Link, 10_000)).await,
        Outcome::NotFound,
        "a link past its time"
    );
    assert_eq!(
        op(redeem("link-a", TokenKind::Session, 2_000)).await,
        Outcome::NotFound,
        "a token of another kind"
    );
    let Outcome::PrivacyTokens(rows) = op(redeem("link-a", TokenKind::Link, 2_000)).await else {
        panic!("the first use redeems the link");
    };
    assert_eq!(rows[0].subject_id.as_deref(), Some("sub_a"));
    assert_eq!(
        op(redeem("link-a", TokenKind::Link, 2_001)).await,
        Outcome::NotFound,
        "used"
    );

    // Many redeem one token at once: exactly one wins.
    op(PrivacyOp::Insert(privacy_token(
        "link-b",
        TokenKind::Download,
        Some("sub_a"),
    )))
    .await;
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = h.store.clone();
        tries.spawn(async move {
            store
                .apply(Request::unlogged(PrivacyOp::Redeem {
                    digest: b"link-b".to_vec(),
                    kind: TokenKind::Download,
                    now_ms: 2_000,
                }))
                .await
                .unwrap()
        });
    }
    let outcomes = tries.join_all().await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::PrivacyTokens(_)))
            .count(),
        1,
        "{outcomes:?}"
    );

    // A code: wrong four times, right the fifth; another is locked after five wrong tries.
    let try_code = |digest: &str, code: &[u8]| PrivacyOp::TryCode {
        digest: digest.as_bytes().to_vec(),
        code_digest: code.to_vec(),
        now_ms: 2_000,
        max_tries: 5,
    };
    for digest in ["code-a", "code-b"] {
        op(PrivacyOp::Insert(privacy_token(
            digest,
            TokenKind::Code,
            Some("sub_a"),
        )))
        .await;
    }
    for _ in 0..4 {
        assert_eq!(op(try_code("code-a", b"wrong")).await, Outcome::Stale);
    }
    assert!(matches!(
        op(try_code("code-a", b"code-digest")).await,
        Outcome::PrivacyTokens(_)
    ));
    assert_eq!(
        op(try_code("code-a", b"code-digest")).await,
        Outcome::NotFound,
        "used"
    );
    for _ in 0..5 {
        assert_eq!(op(try_code("code-b", b"wrong")).await, Outcome::Stale);
    }
    assert_eq!(
        op(try_code("code-b", b"code-digest")).await,
        Outcome::Closed,
        "out of tries, even with the right code"
    );
    // A challenge for a contact nobody has never matches, whatever is typed.
    op(PrivacyOp::Insert(privacy_token(
        "code-none",
        TokenKind::Code,
        None,
    )))
    .await;
    assert_eq!(
        op(try_code("code-none", b"code-digest")).await,
        Outcome::Stale
    );

    // Sessions: extended while live, ended once; expired tokens pruned.
    op(PrivacyOp::Insert(privacy_token(
        "session-a",
        TokenKind::Session,
        Some("sub_a"),
    )))
    .await;
    let extend = |expires_ms, now_ms| PrivacyOp::Extend {
        digest: b"session-a".to_vec(),
        expires_ms,
        now_ms,
    };
    assert_eq!(op(extend(20_000, 9_000)).await, Outcome::Done);
    let live = |now_ms| PrivacyOp::Live {
        digest: b"session-a".to_vec(),
        kind: TokenKind::Session,
        now_ms,
    };
    assert!(matches!(op(live(15_000)).await, Outcome::PrivacyTokens(rows) if rows.len() == 1));
    assert_eq!(
        op(live(20_000)).await,
        Outcome::PrivacyTokens(vec![]),
        "expired"
    );
    assert_eq!(
        op(extend(40_000, 25_000)).await,
        Outcome::NotFound,
        "an expired session stays over"
    );
    assert_eq!(
        op(PrivacyOp::EndAllOf {
            subject_id: "sub_a".into(),
            kind: TokenKind::Session
        })
        .await,
        Outcome::Removed(1)
    );
    // Left: late (10 000), link-a, link-b, code-a, code-b, code-none (all 10 000).
    assert_eq!(
        op(PrivacyOp::Prune { before_ms: 10_000 }).await,
        Outcome::Removed(0)
    );
    assert_eq!(
        op(PrivacyOp::Prune { before_ms: 10_001 }).await,
        Outcome::Removed(6)
    );
}

/// Two archivers record cuts of one chain at once, from two servers: only one is recorded. (With a
/// chain per writer no log lock orders them; the cut's check — it must start where the chain's
/// newest cut ended — runs under the commit-order lock. A third session holds both cuts' keys
/// uncommitted for a moment, so the two transactions overlap every time; found by review.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_archivers_cannot_both_record_a_cut_of_one_chain() {
    let Some(h) = postgres() else { return };
    let Location::Postgres { url, schema } = &h.location else {
        unreachable!()
    };
    let (url, schema) = (url.clone(), schema.clone().unwrap());
    let second = Store::open(&h.location, StoreOptions::default()).unwrap();
    for _ in 0..10 {
        h.store
            .apply(Request::logged(
                AuditOp::LogOnly,
                audit(Action::Read, None, &[]),
            ))
            .await
            .unwrap();
    }
    let log = log(&h.store).await;
    let signer = vow_crypto::AuditSigner::generate();
    let holder = {
        let (held, wait) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = client.transaction().unwrap();
            tx.batch_execute(&format!(
                "INSERT INTO {schema}.audit_cuts (to_seq, from_seq, prev_hash, head_hash, entries, \
                 first_at_ms, last_at_ms, signature, chain)
                 VALUES (5, 1, '\\x00', '\\x00', 0, 0, 0, '\\x00', 0),
                        (7, 1, '\\x00', '\\x00', 0, 0, 0, '\\x00', 0)"
            ))
            .unwrap();
            held.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(800));
            tx.rollback().unwrap();
        });
        wait.recv().unwrap();
        thread
    };
    let record = |store: &Store, to: usize| {
        let store = store.clone();
        let cut = signed_cut(&signer, &log[0], &log[to - 1], to as u64);
        tokio::spawn(async move {
            store
                .apply(Request::logged(
                    AuditOp::RecordCut(cut),
                    audit(Action::Destroy, None, &["audit_log"]),
                ))
                .await
                .unwrap()
        })
    };
    let (a, b) = (record(&h.store, 5), record(&second, 7));
    let outcomes = [a.await.unwrap(), b.await.unwrap()];
    holder.join().unwrap();
    second.close().await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Created).count(),
        1,
        "{outcomes:?}"
    );
    let Outcome::AuditCuts(cuts) = h
        .store
        .apply(Request::unlogged(AuditOp::Cuts))
        .await
        .unwrap()
    else {
        panic!("no cuts")
    };
    assert_eq!(cuts.len(), 1, "{cuts:?}");
}

/// With several servers, entry 7 of chain 1 is another entry than entry 7 of chain 0: a finding
/// on one is not the other's (found by review: findings were keyed by seq alone).
#[tokio::test]
async fn postgres_review_findings_are_kept_per_chain() {
    use vow_store::{ConsoleOp, FindingRow};
    let Some(h) = postgres() else { return };
    let finding = |chain, note: &str| FindingRow {
        period: "2026-11".into(),
        entry_chain: chain,
        entry_seq: 7,
        by_user: "usr_a".into(),
        at_ms: 6_000,
        note: note.into(),
    };
    for (chain, note) in [(0, "chain zero"), (1, "chain one")] {
        assert_eq!(
            console(&h, ConsoleOp::RecordFinding(finding(chain, note))).await,
            Outcome::Stored { replaced: false }
        );
    }
    let found = findings(&h, "2026-11").await;
    assert_eq!(
        found
            .iter()
            .map(|f| (f.entry_chain, f.entry_seq, f.note.as_str()))
            .collect::<Vec<_>>(),
        [(0, 7, "chain zero"), (1, 7, "chain one")]
    );
}

/// A vow from before chains still running while another applies migration 9 inserts log rows
/// without a chain: refused (the column has no default), instead of landing in chain 0 after
/// another chain's head, a gap no verification could ever pass again.
#[tokio::test]
async fn postgres_log_rows_without_a_chain_are_refused() {
    let Some(h) = postgres() else { return };
    h.store
        .apply(Request::logged(
            AuditOp::LogOnly,
            audit(Action::Read, None, &[]),
        ))
        .await
        .unwrap();
    let Location::Postgres { url, schema } = &h.location else {
        unreachable!()
    };
    let (url, schema) = (url.clone(), schema.clone().unwrap());
    let refused = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "INSERT INTO {schema}.audit_log (seq, at_ms, key_id, role, source, subject_id, action, \
                 categories, reason, prev_hash, hash)
                 VALUES (2, 0, 'k', 'r', 's', NULL, 'read', '[]', NULL, '\\x00', '\\x00')"
            ))
            .unwrap_err()
            .as_db_error()
            .map(|e| e.message().to_string())
            .unwrap_or_default()
    })
    .join()
    .unwrap();
    assert!(refused.contains("\"chain\""), "{refused}");
    assert_eq!(log(&h.store).await.len(), 1);
}
