//! Free text read through the vault's `text` mask sees through the same tricks as `vow scan`,
//! `vow redact` and `vow proxy`: one normalisation, vow-pii's.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use vow_engine::{Caller, ItemValue, ManualClock, Vault, VaultConfig};
use vow_store::{Location, Store, StoreOptions};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
/// Masked as free text (`mask = "text"`) for support, who may read it but not in full.
const INQUIRY: &str = "user.content.inquiry";

fn caller(role: &str) -> Caller {
    Caller {
        key_id: format!("key_{role}"),
        role: role.into(),
        source: "127.0.0.1".into(),
        reason: Some("test".into()),
        purpose: None,
    }
}

fn open(data: &Path) -> Vault {
    let policy = vow_policy::load(Path::new(POLICY)).unwrap();
    let key_file = data.join("vow.keys");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let store = Store::open(
        &Location::Directory(data.to_path_buf()),
        StoreOptions::default(),
    )
    .unwrap();
    Vault::new(VaultConfig {
        policy,
        keys,
        key_file: Some(key_file),
        store,
        clock: Arc::new(ManualClock::at(1_764_000_000_000)),
        checkpoints: Some(data.join("audit-checkpoints.jsonl")),
    })
}

/// Stores `inquiry` for a new subject and reads it back as support, who sees it masked.
async fn masked_for_support(vault: &Vault, external_id: &str, inquiry: &str) -> String {
    let service = caller("service");
    let id = vault
        .create_subject(&service, external_id, "member")
        .await
        .unwrap();
    vault
        .put_item(&service, &id, INQUIRY, inquiry)
        .await
        .unwrap();
    let ItemValue::Masked(masked) = vault
        .get_item(&caller("support"), &id, INQUIRY)
        .await
        .unwrap()
    else {
        panic!("support sees the inquiry masked");
    };
    masked
}

#[tokio::test]
async fn a_masked_inquiry_hides_values_written_with_zero_width_full_width_dash_and_escape_tricks() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(&dir.path().join("data"));
    let written = [
        ("010\u{200b}-7777\u{200b}-3141", "7777"),
        ("０１０-７７７６-３１４１", "７７７６"),
        ("010\u{2212}7775\u{2212}3141", "7775"),
        ("minsu%40example.com", "minsu"),
        ("minji&#64;example.com", "minji"),
        ("900101&#45;1234568", "1234568"),
    ];
    let inquiry: String = written
        .iter()
        .map(|(w, _)| format!("연락처 {w} 로 부탁해요. "))
        .collect();
    let masked = masked_for_support(&vault, "u1", &inquiry).await;
    for (w, secret) in written {
        assert!(!masked.contains(secret), "{w:?} shown as {masked:?}");
    }
    assert!(masked.starts_with("연락처 "), "{masked}");
    assert!(masked.contains(" 로 부탁해요."), "{masked}");
}

#[tokio::test]
async fn a_masked_inquiry_hides_korean_names_the_name_model_reads_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(&dir.path().join("data"));
    // An honorific written apart, a rare surname before a common given name, a name whose first two
    // syllables are also a word, one written apart with a particle, one before two stacked particles
    // and one before the copula (the endings the grammar makes).
    let names = ["이민지", "탁민준", "이재용", "소은", "박지훈", "최서연"];
    let inquiry =
        "이민지 님이 문의했어요. 어제 탁민준이 전화했고 이재용이 답했어요. 김 소은도 봤어요. \
                   박지훈까지도 모른대요. 담당은 최서연이었다고 하더라고요.";
    let masked = masked_for_support(&vault, "u2", inquiry).await;
    for name in names {
        assert!(!masked.contains(name), "{name} shown in {masked:?}");
    }
    assert!(masked.contains("문의했어요."), "{masked}");
}

#[tokio::test]
async fn a_masked_inquiry_hides_names_of_other_countries_and_names_spelled_with_accents() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(&dir.path().join("data"));
    // A first name the census never saw before a verb only a person does, one spelled with diacritics
    // after words that introduce a person, and a chat line's speaker.
    let names = [
        "Valeriy Petrenko",
        "Łukasz Nowak",
        "Raphaël",
        "Lemoine",
        "Arun Mehta",
    ];
    let inquiry = "Valeriy Petrenko called about the refund; it was written by Łukasz Nowak. \
                   thanks to Raphaël Lemoine for the help!\nArun Mehta: see you at 3";
    let masked = masked_for_support(&vault, "u3", inquiry).await;
    for name in names {
        assert!(!masked.contains(name), "{name} shown in {masked:?}");
    }
    assert!(masked.contains("called about the refund"), "{masked}");
}
