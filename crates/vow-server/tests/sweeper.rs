//! `vow serve`'s periodic sweep keeps the outbox bounded: an event delivered longer ago than the keep
//! period goes with the next sweep, one still owed to the application stays.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use vow_engine::{ManualClock, Vault, VaultConfig, KEEP_DELIVERED_MS};
use vow_store::{Location, OutboxOp, OutboxRecord, Outcome, Request, Store, StoreOptions};

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

async fn enqueue(vault: &Vault, id: &str, now_ms: i64) {
    let outcome = vault
        .store()
        .apply(Request::unlogged(OutboxOp::Enqueue(OutboxRecord {
            seq: 0,
            id: id.into(),
            subject_id: Some(format!("sub_{id}")),
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

async fn ids(vault: &Vault) -> Vec<String> {
    match vault
        .store()
        .apply(Request::unlogged(OutboxOp::OutboxPage {
            after_seq: 0,
            limit: 100,
        }))
        .await
        .unwrap()
    {
        Outcome::Outbox(records) => records.into_iter().map(|r| r.id).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_periodic_sweep_removes_events_delivered_past_the_keep_period() {
    let dir = tempfile::tempdir().unwrap();
    let start = 1_764_000_000_000;
    let clock = ManualClock::at(start);
    let vault = Arc::new(vault(&clock, &dir));
    enqueue(&vault, "delivered", start).await;
    enqueue(&vault, "owed", start).await;
    for event in vault.claim_events(60_000, 100).await.unwrap() {
        let ok = event.id == "delivered";
        vault
            .finish_event(event.seq, ok, 60_000, (!ok).then(|| "down".into()))
            .await
            .unwrap();
    }
    clock.set(start + KEEP_DELIVERED_MS + 86_400_000);

    let sweeper = tokio::spawn(vow_server::sweep_periodically(
        vault.clone(),
        Duration::from_millis(20),
    ));
    let mut left = ids(&vault).await;
    for _ in 0..250 {
        if !left.contains(&"delivered".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = ids(&vault).await;
    }
    sweeper.abort();
    assert_eq!(left, ["owed"], "what the sweep left in the outbox");
}
