//! `vow serve`'s periodic sweep keeps the outbox bounded: an event delivered longer ago than the keep
//! period goes with the next sweep, one still owed to the application stays — as the events feed
//! shows over HTTP, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{now_ms, start, Backend, Server};
use reqwest::Method;
use vow_engine::KEEP_DELIVERED_MS;
use vow_store::{OutboxOp, OutboxRecord, Outcome, Request};

async fn enqueue(server: &Server, id: &str) -> i64 {
    let store = server.vault.store();
    let outcome = store
        .apply(Request::unlogged(OutboxOp::Enqueue(OutboxRecord {
            seq: 0,
            id: id.into(),
            subject_id: Some(format!("sub_{id}")),
            kind: "consent.changed".into(),
            body: "{}".into(),
            created_ms: now_ms(),
            attempts: 0,
            delivered_ms: None,
        })))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Created);
    match store
        .apply(Request::unlogged(OutboxOp::OutboxPage {
            after_seq: 0,
            limit: 100,
            hide_kinds: vec![],
        }))
        .await
        .unwrap()
    {
        Outcome::Outbox(records) => records.iter().find(|r| r.id == id).unwrap().seq,
        other => panic!("{other:?}"),
    }
}

/// The ids the events feed lists, read as an application polls it.
async fn feed(server: &Server) -> Vec<String> {
    let (status, body) = server
        .json(
            Method::GET,
            "/v1/events?after=0",
            &server.keys.service,
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    body["events"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

async fn the_periodic_sweep_removes_events_delivered_past_the_keep_period(backend: Backend) {
    let Some(server) = start(backend, None).await else {
        return;
    };
    let delivered = enqueue(&server, "delivered").await;
    enqueue(&server, "owed").await;
    // Delivered a day more than the keep period ago; "owed" was never delivered.
    server
        .vault
        .store()
        .apply(Request::unlogged(OutboxOp::FinishDelivery {
            seq: delivered,
            delivered_ms: Some(now_ms() - KEEP_DELIVERED_MS - 86_400_000),
            next_attempt_ms: 0,
            error: None,
            body_after: None,
        }))
        .await
        .unwrap();
    assert_eq!(feed(&server).await, ["delivered", "owed"]);

    let sweeper = tokio::spawn(vow_server::sweep_periodically(
        server.vault.clone(),
        Duration::from_millis(20),
    ));
    let mut left = feed(&server).await;
    for _ in 0..250 {
        if !left.contains(&"delivered".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = feed(&server).await;
    }
    sweeper.abort();
    assert_eq!(left, ["owed"], "what the sweep left in the events feed");
    server.stop().await;
}

#[tokio::test]
async fn the_periodic_sweep_removes_events_delivered_past_the_keep_period_on_sqlite() {
    the_periodic_sweep_removes_events_delivered_past_the_keep_period(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_periodic_sweep_removes_events_delivered_past_the_keep_period_on_postgres() {
    the_periodic_sweep_removes_events_delivered_past_the_keep_period(Backend::Postgres).await;
}
