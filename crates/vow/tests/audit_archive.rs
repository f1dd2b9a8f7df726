//! `vow audit archive`: records kept as the law says, then moved out. A vault's log spanning three
//! years is archived up to the policy's period and no further; the archive proves itself with the
//! database gone; the log left behind is proved to continue from the cut; the review still reads
//! archived months; and tampering with either side is found.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use vow_store::{AuditOp, Location, Request, Store, StoreOptions};

const VOW: &str = env!("CARGO_BIN_EXE_vow");
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);
const DAY_MS: i64 = 86_400_000;

fn vow(args: &[&str], data: &Path) -> std::process::Output {
    vow_with_policy(args, data, Path::new(POLICY))
}

fn vow_with_policy(args: &[&str], data: &Path, policy: &Path) -> std::process::Output {
    Command::new(VOW)
        .args(args)
        .arg("--data")
        .arg(data)
        .arg("--policy")
        .arg(policy)
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The day `days` ago, Korea time, as YYYY-MM-DD.
fn day_ago(days: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp((now_ms() - days * DAY_MS) / 1000)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    at.date().to_string()
}

/// A vault whose log holds one entry every six hours from three years ago to a week ago, with a
/// signed checkpoint every 100 entries in its checkpoint file.
fn three_years_of_log() -> (tempfile::TempDir, PathBuf, u64) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&data.join("vow.keys")).unwrap();
    let store = Store::open(&Location::Directory(data.clone()), StoreOptions::default()).unwrap();
    let n = old_reads(
        std::slice::from_ref(&store),
        &keys,
        &data.join("audit-checkpoints.jsonl"),
        3 * 365 * DAY_MS,
        DAY_MS / 4,
    );
    store.close_blocking();
    (dir, data, n)
}

/// Logged reads from `span` ago to a week ago, one every `every`, taking turns among `writers`,
/// with a signed checkpoint of every chain's head in `checkpoints` every 100 entries; how many.
fn old_reads(
    writers: &[Store],
    keys: &vow_crypto::KeyRing,
    checkpoints: &Path,
    span: i64,
    every: i64,
) -> u64 {
    let end = now_ms() - 7 * DAY_MS;
    let mut at = now_ms() - span;
    let mut n = 0u64;
    while at < end {
        writers[(n % writers.len() as u64) as usize]
            .apply_blocking(Request::logged(
                AuditOp::LogOnly,
                vow_store::NewEntry {
                    at_ms: at,
                    key_id: format!("key_{}", n % 3),
                    role: "support".into(),
                    source: "10.0.0.7".into(),
                    subject_id: Some(format!("sub_{}", n % 50)),
                    action: vow_audit::Action::Read,
                    categories: vec!["user.contact.email".into()],
                    reason: None,
                },
            ))
            .unwrap();
        n += 1;
        if n.is_multiple_of(100) {
            let heads = writers[0].audit_heads_blocking().unwrap();
            vow_audit::CheckpointFile::append(
                checkpoints,
                &vow_audit::checkpoint_chains(&heads, keys.signing_key()).unwrap(),
            )
            .unwrap();
        }
        at += every;
    }
    n
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(out)))
}

#[test]
fn a_log_is_archived_only_past_its_period_and_proves_itself_on_both_sides_of_the_cut() {
    let (dir, data, total) = three_years_of_log();
    let before = json(&vow(&["audit", "verify", "--format", "json"], &data));
    assert_eq!(before["intact"], true, "{before}");
    assert_eq!(before["entries"], total);
    let db_before = std::fs::metadata(data.join("vow.db")).unwrap().len();

    // The policy keeps access records one year: six months ago is refused, and nothing changes.
    let early = dir.path().join("early.vowlog");
    let refused = vow(
        &[
            "audit",
            "archive",
            "--before",
            &day_ago(180),
            "--out",
            early.to_str().unwrap(),
        ],
        &data,
    );
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(said.contains("kept") && said.contains("1 year"), "{said}");
    assert!(said.contains("nothing was archived"), "{said}");
    assert!(!early.exists());
    for bad in ["2025-13-01", "yesterday", "", "2025-02-30"] {
        let out = vow(
            &[
                "audit",
                "archive",
                "--before",
                bad,
                "--out",
                early.to_str().unwrap(),
            ],
            &data,
        );
        assert!(!out.status.success(), "{bad}");
        assert!(text(&out).contains("YYYY-MM-DD"), "{bad}: {}", text(&out));
        assert!(!early.exists());
    }

    // Two years back: the first year goes.
    let first = dir.path().join("year-1.vowlog");
    let out = vow(
        &[
            "audit",
            "archive",
            "--before",
            &day_ago(2 * 365),
            "--out",
            first.to_str().unwrap(),
        ],
        &data,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Archived entries 1–"), "{}", text(&out));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&first).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let after = json(&vow(
        &[
            "audit",
            "verify",
            "--format",
            "json",
            "--archive",
            first.to_str().unwrap(),
        ],
        &data,
    ));
    assert_eq!(after["intact"], true, "{after}");
    let archived = after["archived_through"].as_u64().unwrap();
    assert!(
        (360 * 4..=372 * 4).contains(&archived),
        "about a year of entries at four a day: {archived}"
    );
    // The archiving itself is in the log.
    assert_eq!(after["entries"].as_u64().unwrap(), total - archived + 1);

    // Then the second year, up to a year ago.
    let second = dir.path().join("year-2.vowlog");
    let out = vow(
        &[
            "audit",
            "archive",
            "--before",
            &day_ago(366),
            "--out",
            second.to_str().unwrap(),
        ],
        &data,
    );
    assert!(out.status.success(), "{}", text(&out));
    let both = json(&vow(
        &[
            "audit",
            "verify",
            "--format",
            "json",
            "--archive",
            second.to_str().unwrap(),
            "--archive",
            first.to_str().unwrap(),
        ],
        &data,
    ));
    assert_eq!(both["intact"], true, "{both}");
    // Archiving again finds nothing more that old.
    let again = vow(
        &[
            "audit",
            "archive",
            "--before",
            &day_ago(366),
            "--out",
            dir.path().join("again.vowlog").to_str().unwrap(),
        ],
        &data,
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("nothing to archive"),
        "{}",
        text(&again)
    );

    // The review still reads an archived month — from its archive.
    let old_month = &day_ago(2 * 365 + 100)[..7];
    let review = |archives: &[&Path]| {
        let mut args = vec!["audit", "review", "--month", old_month, "--format", "json"];
        for a in archives {
            args.push("--archive");
            args.push(a.to_str().unwrap());
        }
        json(&vow(&args, &data))
    };
    let reads = |review: &serde_json::Value| {
        review["per_key"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["reads"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    assert_eq!(
        reads(&review(&[])),
        0,
        "archived, so gone from the database"
    );
    let with_archive = review(&[&first, &second]);
    assert!(reads(&with_archive) >= 28 * 4, "{with_archive}");

    // The database after the cut is smaller once vacuumed (SQLite keeps the freed pages).
    let connection = rusqlite::Connection::open(data.join("vow.db")).unwrap();
    connection.execute_batch("VACUUM").unwrap();
    drop(connection);
    let db_after = std::fs::metadata(data.join("vow.db")).unwrap().len();
    assert!(db_after < db_before, "{db_after} < {db_before}");

    // Tampering with the database around the cut, or with an archive, is found.
    let copy = dir.path().join("copy");
    copy_dir(&data, &copy);
    let connection = rusqlite::Connection::open(copy.join("vow.db")).unwrap();
    let first_left: i64 = connection
        .query_row("SELECT MIN(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    connection
        .execute("DELETE FROM audit_log WHERE seq = ?1", [first_left])
        .unwrap();
    drop(connection);
    let cut_short = vow(&["audit", "verify"], &copy);
    assert!(!cut_short.status.success());
    assert!(text(&cut_short).contains("BROKEN"), "{}", text(&cut_short));
    // The cuts alone deleted, from a copy intact until then: the log's start is gone with nothing
    // to say where it went.
    let uncut_copy = dir.path().join("uncut");
    copy_dir(&data, &uncut_copy);
    let intact = vow(&["audit", "verify"], &uncut_copy);
    assert!(intact.status.success(), "{}", text(&intact));
    let connection = rusqlite::Connection::open(uncut_copy.join("vow.db")).unwrap();
    let first_left: i64 = connection
        .query_row("SELECT MIN(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(connection.execute("DELETE FROM audit_cuts", []).unwrap(), 2);
    drop(connection);
    let uncut = vow(&["audit", "verify"], &uncut_copy);
    assert!(
        !uncut.status.success(),
        "a log with its start gone and no cut: {}",
        text(&uncut)
    );
    assert!(
        text(&uncut).contains(&format!("expected entry 1 but found entry {first_left}")),
        "{}",
        text(&uncut)
    );

    let mut lines: Vec<String> = std::fs::read_to_string(&second)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let edited = second.with_file_name("edited.vowlog");
    lines[40] = lines[40].replace("sub_", "sub_x");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let out = Command::new(VOW)
        .args(["audit", "verify-archive", edited.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("BROKEN at entry"), "{}", text(&out));
    // Nor does the review read it.
    let month = &day_ago(366 + 100)[..7];
    let refused = vow(
        &[
            "audit",
            "review",
            "--month",
            month,
            "--archive",
            edited.to_str().unwrap(),
        ],
        &data,
    );
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("does not verify, so its entries are not reviewed")
            && text(&refused).contains("BROKEN at entry"),
        "{}",
        text(&refused)
    );
    // Nor an archive whole in itself but sealed by another key (the first year's entries,
    // re-sealed by a stranger).
    let resealed = dir.path().join("resealed.vowlog");
    vow_audit::write_archive(
        &resealed,
        vow_audit::archive_entries(&first).unwrap(),
        vow_audit::GENESIS,
        &[],
        &vow_crypto::AuditSigner::generate(),
    )
    .unwrap()
    .unwrap();
    assert!(vow_audit::verify_archive(&resealed, None)
        .unwrap()
        .is_intact());
    let stranger = vow(
        &[
            "audit",
            "review",
            "--month",
            old_month,
            "--archive",
            resealed.to_str().unwrap(),
        ],
        &data,
    );
    assert!(!stranger.status.success(), "{}", text(&stranger));
    assert!(
        text(&stranger).contains("does not verify")
            && text(&stranger).contains("signed by another key"),
        "{}",
        text(&stranger)
    );
    // An archive that is not one of this database's cuts, given to verify, fails it: here sealed
    // by the vault's own key, whole in itself, but over the first 1000 entries, where the database
    // recorded a cut over the first year.
    let (vault_keys, _) = vow_crypto::KeyRing::load_or_create(&data.join("vow.keys")).unwrap();
    let unrecorded = dir.path().join("unrecorded.vowlog");
    vow_audit::write_archive(
        &unrecorded,
        vow_audit::archive_entries(&first).unwrap().take(1000),
        vow_audit::GENESIS,
        &[],
        vault_keys.signing_key(),
    )
    .unwrap()
    .unwrap();
    let verifier = vault_keys.signing_key().verifying_key();
    assert!(vow_audit::verify_archive(&unrecorded, Some(&verifier))
        .unwrap()
        .is_intact());
    let foreign = vow(
        &["audit", "verify", "--archive", unrecorded.to_str().unwrap()],
        &data,
    );
    assert!(!foreign.status.success(), "{}", text(&foreign));
    assert!(
        text(&foreign).contains("is not a cut this database recorded"),
        "{}",
        text(&foreign)
    );
    // Without the database, the same file proves only itself.
    let alone = Command::new(VOW)
        .args(["audit", "verify-archive", unrecorded.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(alone.status.success(), "{}", text(&alone));

    // With the database gone, the archives still prove themselves, sealed by the vault's key.
    let keys = dir.path().join("vow.keys");
    std::fs::copy(data.join("vow.keys"), &keys).unwrap();
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::remove_dir_all(&copy).unwrap();
    let alone = Command::new(VOW)
        .args([
            "audit",
            "verify-archive",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
            "--key-file",
            keys.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(alone.status.success(), "{}", text(&alone));
    let report = json(&alone);
    assert_eq!(report["intact"], true);
    // Another vault's key file: the seal is not theirs.
    let other = dir.path().join("other.keys");
    vow_crypto::KeyRing::load_or_create(&other).unwrap();
    let wrong = Command::new(VOW)
        .args([
            "audit",
            "verify-archive",
            first.to_str().unwrap(),
            "--key-file",
            other.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "{}", text(&wrong));
}

#[test]
fn an_archive_is_reviewed_once_after_an_interrupted_prune_and_never_when_unrecorded() {
    let (dir, data, _) = three_years_of_log();
    let cut_day = day_ago(2 * 365);

    // A period past the calendar keeps everything: nothing is archived, and the refusal says so.
    for period in ["20000y", "4294967295y", "4294967295d", "4294967295h"] {
        let policy = dir.path().join(format!("policy-{period}.toml"));
        let stated = std::fs::read_to_string(POLICY).unwrap().replace(
            "access_log_retention = \"1y\"",
            &format!("access_log_retention = \"{period}\""),
        );
        assert!(stated.contains(period));
        std::fs::write(&policy, stated).unwrap();
        let out = dir.path().join("never.vowlog");
        let refused = vow_with_policy(
            &[
                "audit",
                "archive",
                "--before",
                &cut_day,
                "--out",
                out.to_str().unwrap(),
            ],
            &data,
            &policy,
        );
        assert!(!refused.status.success(), "{period}: {}", text(&refused));
        let said = text(&refused);
        assert!(said.contains("no entry is old enough"), "{period}: {said}");
        assert!(said.contains("nothing was archived"), "{period}: {said}");
        assert!(!out.exists(), "{period}");
    }

    // The vault as it was before archiving, kept aside.
    let unpruned = dir.path().join("unpruned");
    copy_dir(&data, &unpruned);
    let archive = dir.path().join("year-1.vowlog");
    let out = vow(
        &[
            "audit",
            "archive",
            "--before",
            &cut_day,
            "--out",
            archive.to_str().unwrap(),
        ],
        &data,
    );
    assert!(out.status.success(), "{}", text(&out));

    // A database that recorded no cut has no archive: a valid one, sealed by its key, is refused.
    let verify_unpruned = || {
        vow(
            &[
                "audit",
                "verify",
                "--archive",
                archive.to_str().unwrap(),
                "--format",
                "json",
            ],
            &unpruned,
        )
    };
    let uncut = verify_unpruned();
    assert!(!uncut.status.success(), "{}", text(&uncut));
    assert!(
        text(&uncut).contains("is not a cut this database recorded"),
        "{}",
        text(&uncut)
    );
    let month = &day_ago(2 * 365 + 100)[..7];
    let review = |data: &Path, archives: &[&Path]| {
        let mut args = vec!["audit", "review", "--month", month, "--format", "json"];
        for a in archives {
            args.push("--archive");
            args.push(a.to_str().unwrap());
        }
        vow(&args, data)
    };
    let unrecorded = review(&unpruned, &[&archive]);
    assert!(!unrecorded.status.success(), "{}", text(&unrecorded));
    assert!(
        text(&unrecorded).contains("is not a cut this database recorded"),
        "{}",
        text(&unrecorded)
    );

    // The cut recorded but no row removed yet: the archiving stopped between the two.
    let connection = rusqlite::Connection::open(unpruned.join("vow.db")).unwrap();
    connection
        .execute(
            "ATTACH DATABASE ?1 AS archived",
            [data.join("vow.db").to_str().unwrap()],
        )
        .unwrap();
    assert_eq!(
        connection
            .execute(
                "INSERT INTO audit_cuts SELECT * FROM archived.audit_cuts",
                []
            )
            .unwrap(),
        1
    );
    connection.execute("DETACH DATABASE archived", []).unwrap();
    let (min_seq, cut_to): (i64, i64) = connection
        .query_row(
            "SELECT (SELECT MIN(seq) FROM audit_log), (SELECT to_seq FROM audit_cuts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(connection);
    assert_eq!(min_seq, 1, "nothing pruned");
    assert!(cut_to > 28 * 4, "{cut_to}");
    let interrupted = verify_unpruned();
    assert!(interrupted.status.success(), "{}", text(&interrupted));

    let reads = |out: std::process::Output| {
        json(&out)["per_key"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["reads"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let in_database = reads(review(&unpruned, &[]));
    assert!(
        in_database >= 28 * 4,
        "a month at four a day: {in_database}"
    );
    assert_eq!(
        reads(review(&unpruned, &[&archive])),
        in_database,
        "the archive's entries still in the database are read once"
    );
    assert_eq!(reads(review(&data, &[&archive])), in_database);
    assert_eq!(reads(review(&data, &[])), 0);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

mod common;

/// Issue 28, items 1 and 3 together: a log written by two servers on one PostgreSQL (a chain each)
/// is archived chain by chain — one sealed file per chain, each verifying alone — and the log left
/// in the database, the archives and the review all agree afterwards; an archive of one chain
/// passed off as the other's is refused.
#[test]
fn a_log_of_two_chains_on_postgresql_is_archived_chain_by_chain() {
    let Some(url) =
        common::postgres_url("a_log_of_two_chains_on_postgresql_is_archived_chain_by_chain")
    else {
        return;
    };
    let schema = common::PgSchema::new(&url, "archive_chains");
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("vow.keys");
    let checkpoints = dir.path().join("checkpoints.jsonl");
    let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
    let location = Location::Postgres {
        url: url.clone(),
        schema: Some(schema.name.clone()),
    };
    // Two writers at once, as two servers: a chain each. Two years of entries, alternating.
    let writers = [
        Store::open(&location, StoreOptions::default()).unwrap(),
        Store::open(&location, StoreOptions::default()).unwrap(),
    ];
    assert_ne!(writers[0].chain(), writers[1].chain());
    let n = old_reads(&writers, &keys, &checkpoints, 2 * 365 * DAY_MS, DAY_MS / 2);
    let chains: Vec<u32> = writers.iter().map(Store::chain).collect();
    for writer in writers {
        writer.close_blocking();
    }
    let pg = |args: &[&str]| {
        Command::new(VOW)
            .args(args)
            .args([
                "--policy",
                POLICY,
                "--database-url",
                &url,
                "--schema",
                &schema.name,
            ])
            .arg("--key-file")
            .arg(&key_file)
            .arg("--checkpoints")
            .arg(&checkpoints)
            .output()
            .unwrap()
    };
    let before = json(&pg(&["audit", "verify", "--format", "json"]));
    assert_eq!(before["intact"], true, "{before}");
    assert_eq!(before["chains"], 2, "{before}");
    assert_eq!(before["entries"], n);

    let out_file = dir.path().join("year-1.vowlog");
    let out = pg(&[
        "audit",
        "archive",
        "--before",
        &day_ago(366),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    let other = chains.iter().copied().find(|c| *c != 0).unwrap();
    let other_file = dir.path().join(format!("year-1.chain{other}.vowlog"));
    assert!(out_file.exists() && other_file.exists(), "{said}");
    assert!(said.contains(&format!("of chain {other}")), "{said}");

    // Each archive verifies alone, with nothing but its own lines.
    for file in [&out_file, &other_file] {
        let alone = Command::new(VOW)
            .args(["audit", "verify-archive", "--format", "json"])
            .arg(file)
            .arg("--key-file")
            .arg(&key_file)
            .output()
            .unwrap();
        assert!(alone.status.success(), "{}", text(&alone));
    }
    // The database's log continues from both cuts, and the archives are its recorded cuts.
    let after = json(&pg(&[
        "audit",
        "verify",
        "--format",
        "json",
        "--archive",
        out_file.to_str().unwrap(),
        "--archive",
        other_file.to_str().unwrap(),
    ]));
    assert_eq!(after["intact"], true, "{after}");
    let archived: u64 = after["archived"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(
        (355 * 2..=372 * 2).contains(&archived),
        "about a year at two a day: {after}"
    );
    // Two archiving entries were logged (one per chain archived).
    assert_eq!(
        after["entries"].as_u64().unwrap(),
        n - archived + 2,
        "{after}"
    );

    // The review of an archived month reads both chains' archives.
    let old_month = &day_ago(365 + 100)[..7];
    let review = json(&pg(&[
        "audit",
        "review",
        "--month",
        old_month,
        "--format",
        "json",
        "--archive",
        out_file.to_str().unwrap(),
        "--archive",
        other_file.to_str().unwrap(),
    ]));
    let reads: u64 = review["per_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["reads"].as_u64().unwrap_or(0))
        .sum();
    assert!((56..=62).contains(&reads), "a month at two a day: {review}");

    // One chain's archive renamed as the other's: its seal names its chain, so it is no cut of the
    // other, and the chain it claims to continue does not link.
    let swapped = dir.path().join("swapped.vowlog");
    std::fs::copy(&other_file, &swapped).unwrap();
    let text_of = std::fs::read_to_string(&swapped).unwrap();
    std::fs::write(
        &swapped,
        text_of.replace(&format!("\"chain\":{other},"), ""),
    )
    .unwrap();
    let moved = Command::new(VOW)
        .args(["audit", "verify-archive", "--format", "json"])
        .arg(&swapped)
        .arg("--key-file")
        .arg(&key_file)
        .output()
        .unwrap();
    assert!(!moved.status.success(), "{}", text(&moved));
}
