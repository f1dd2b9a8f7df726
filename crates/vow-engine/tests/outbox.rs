//! The outbox after delivery: delivered events are removed once older than the keep period; events
//! still owed to the application never are.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use vow_engine::{ManualClock, Vault, VaultConfig, KEEP_DELIVERED_MS};
use vow_store::{Location, OutboxOp, OutboxRecord, Outcome, Request, Store, StoreOptions};

const DAY_MS: i64 = 86_400_000;

fn vault(clock: &ManualClock, dir: &tempfile::TempDir) -> Vault {
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let policy = std::fs::read_to_string(format!(
        "{}/../../examples/policies/imagesfactory.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let policy = vow_policy::parse(policy.as_bytes(), "test policy").unwrap();
    let key_file = data.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(&Location::Directory(data), StoreOptions::default()).unwrap();
    Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(key_file),
        store,
        clock: Arc::new(clock.clone()),
        checkpoints: None,
    })
}

async fn enqueue(vault: &Vault, id: &str, subject: &str, now_ms: i64) {
    let outcome = vault
        .store()
        .apply(Request::unlogged(OutboxOp::Enqueue(OutboxRecord {
            seq: 0,
            id: id.into(),
            subject_id: Some(subject.into()),
            kind: "consent.changed".into(),
            body: "{}".into(),
            created_ms: now_ms,
            attempts: 0,
            delivered_ms: None,
        })))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Created);
}

/// Claims what is due now and records `delivered` ids delivered and the others failed.
async fn deliver(vault: &Vault, delivered: &[&str]) {
    for event in vault.claim_events(60_000, 100).await.unwrap() {
        let ok = delivered.contains(&event.id.as_str());
        vault
            .finish_event(&event, ok, DAY_MS, (!ok).then(|| "down".into()))
            .await
            .unwrap();
    }
}

async fn ids(vault: &Vault) -> Vec<String> {
    match vault
        .store()
        .apply(Request::unlogged(OutboxOp::OutboxPage {
            after_seq: 0,
            limit: 100,
            hide_kinds: vec![],
        }))
        .await
        .unwrap()
    {
        Outcome::Outbox(records) => records.into_iter().map(|r| r.id).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn only_events_delivered_longer_ago_than_the_keep_period_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let start = 1_764_000_000_000;
    let clock = ManualClock::at(start);
    let vault = vault(&clock, &dir);

    // Day 0: one event delivered, one the receiver refuses (and goes on refusing).
    enqueue(&vault, "delivered_old", "sub_a", start).await;
    enqueue(&vault, "undelivered_old", "sub_b", start).await;
    deliver(&vault, &["delivered_old"]).await;
    // Day 20: another delivered.
    clock.set(start + 20 * DAY_MS);
    enqueue(&vault, "delivered_recent", "sub_c", start + 20 * DAY_MS).await;
    deliver(&vault, &["delivered_recent"]).await;

    // Within the keep period nothing goes.
    assert_eq!(vault.prune_delivered_events().await.unwrap(), 0);
    assert_eq!(
        ids(&vault).await,
        ["delivered_old", "undelivered_old", "delivered_recent"]
    );

    // Day 35: the first delivery is past the keep period; the second is not; the undelivered one,
    // older than both, is still owed.
    clock.set(start + KEEP_DELIVERED_MS + 5 * DAY_MS);
    assert_eq!(vault.prune_delivered_events().await.unwrap(), 1);
    assert_eq!(ids(&vault).await, ["undelivered_old", "delivered_recent"]);
    assert_eq!(vault.prune_delivered_events().await.unwrap(), 0);
}
