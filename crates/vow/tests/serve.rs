//! `vow serve`, `vow keys` and `vow audit` as a user runs them: the real binary, a real data
//! directory, real HTTP on loopback, and a real SIGKILL.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{postgres_url, start_listening, PgSchema};

const VOW: &str = env!("CARGO_BIN_EXE_vow");
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/policies/imagesfactory.toml"
);

struct Running {
    child: Child,
    address: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// A minimal HTTP/1.1 client, enough for JSON over loopback.
#[derive(Clone)]
struct Client {
    address: String,
}

fn serve(data: &Path) -> Running {
    serve_with(data, &[])
}

// The child is waited for in `Running::terminate`, or killed and waited for by the test that owns it.
#[allow(clippy::zombie_processes)]
fn serve_with(data: &Path, extra: &[&str]) -> Running {
    serve_with_env(data, extra, &[])
}

#[allow(clippy::zombie_processes)]
fn serve_with_env(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(VOW);
    command
        .args([
            "serve",
            "--policy",
            POLICY,
            "--listen",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(data)
        .args(extra)
        .envs(env.iter().copied());
    let started = start_listening(command, "vow serve", Duration::from_secs(20));
    Running {
        child: started.child,
        address: started.address,
        stdout: started.stdout,
        stderr: started.stderr,
    }
}

impl Running {
    fn client(&self) -> Client {
        Client {
            address: self.address.clone(),
        }
    }

    fn call(&self, method: &str, path: &str, key: &str, body: Option<&str>) -> (u16, String) {
        self.client().call(method, path, key, body)
    }
}

impl Client {
    /// One exchange; returns the status (0 when the server is gone) and body.
    fn call(&self, method: &str, path: &str, key: &str, body: Option<&str>) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(&self.address) else {
            return (0, String::new());
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let body = body.unwrap_or("");
        let sent = write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        if sent.is_err() {
            return (0, String::new());
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Running {
    fn terminate(mut self) -> (String, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "vow serve exited with {status}");
        std::thread::sleep(Duration::from_millis(100));
        (
            self.stdout.lock().unwrap().clone(),
            self.stderr.lock().unwrap().clone(),
        )
    }
}

fn vow(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(VOW)
        .args(args)
        .arg("--data")
        .arg(data)
        .args(["--policy", POLICY])
        .output()
        .unwrap()
}

fn new_key(data: &Path, role: &str) -> String {
    let out = vow(
        &["keys", "create", "--role", role, "--format", "json"],
        data,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["secret"].as_str().unwrap().to_string()
}

fn id_of(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json["id"].as_str().unwrap().to_string()
}

/// Mode 0700, as vow makes its data directory (`cp -a` would keep it; `create_dir_all` does not).
fn private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

#[test]
fn first_start_creates_the_vault_and_prints_an_admin_key_once() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let first = server.stdout.lock().unwrap().clone();
    let admin = first
        .split_whitespace()
        .find(|w| w.starts_with("vow_"))
        .unwrap()
        .to_string();
    let (status, body) = server.call(
        "POST",
        "/v1/keys",
        &admin,
        Some(r#"{"role": "service", "label": "backend"}"#),
    );
    assert_eq!(status, 201, "{body}");
    server.terminate();

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("vow.keys"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");

    let again = serve(&data);
    let (stdout, _) = again.terminate();
    assert!(
        !stdout.contains("vow_"),
        "a second start printed a key: {stdout}"
    );
}

#[test]
fn acknowledged_writes_survive_sigkill_under_load_and_the_log_verifies() {
    let (_dir, data) = data_dir();
    let mut server = serve(&data);
    let service = new_key(&data, "service");
    let officer = new_key(&data, "privacy_officer");
    let (status, body) = server.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id": "crash", "kind": "member"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let subject = id_of(&body);

    // Writers record every write the server acknowledged; the server is killed mid-stream.
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let client = server.client();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (acknowledged, stop, service, client) = (
            Arc::clone(&acknowledged),
            Arc::clone(&stop),
            service.clone(),
            client.clone(),
        );
        writers.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let external = format!("w{writer}-{n}");
                let (status, body) = client.call(
                    "POST",
                    "/v1/subjects",
                    &service,
                    Some(&format!(
                        r#"{{"external_id": "{external}", "kind": "member"}}"#
                    )),
                );
                if status == 201 {
                    let id = id_of(&body);
                    let phone = format!("010-{writer:04}-{n:04}");
                    let (status, _) = client.call(
                        "PUT",
                        &format!("/v1/subjects/{id}/items/user.contact.phone"),
                        &service,
                        Some(&format!(r#"{{"value": "{phone}"}}"#)),
                    );
                    if status == 201 {
                        acknowledged.lock().unwrap().push((id, phone));
                    }
                } else if status == 0 {
                    break;
                }
                n += 1;
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "too few writes before the kill: {}",
        acknowledged.len()
    );

    let server = serve(&data);
    for (id, phone) in &acknowledged {
        let (status, body) = server.call(
            "GET",
            &format!("/v1/subjects/{id}/items/user.contact.phone"),
            &officer,
            None,
        );
        assert_eq!(status, 200, "acknowledged write of {id} lost: {body}");
        assert!(body.contains(phone.as_str()), "{body}");
    }
    let (status, _) = server.call(
        "GET",
        &format!("/v1/subjects/{subject}/export"),
        &officer,
        None,
    );
    assert_eq!(status, 200);
    let (stdout, stderr) = server.terminate();

    let verify = vow(&["audit", "verify"], &data);
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "{report} {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(report.starts_with("intact"), "{report}");

    // Nothing the server printed carries a value it stored.
    for (_, phone) in acknowledged.iter().take(50) {
        assert!(!stdout.contains(phone.as_str()) && !stderr.contains(phone.as_str()));
    }
}

#[test]
fn an_edited_or_truncated_access_log_is_detected_and_located() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let service = new_key(&data, "service");
    for n in 0..10 {
        let (status, _) = server.call(
            "POST",
            "/v1/subjects",
            &service,
            Some(&format!(r#"{{"external_id": "t{n}", "kind": "member"}}"#)),
        );
        assert_eq!(status, 201);
    }
    server.terminate();
    let intact = vow(&["audit", "verify", "--format", "json"], &data);
    assert!(intact.status.success());
    let copy = |name: &str| {
        let target = data.parent().unwrap().join(name);
        std::fs::create_dir_all(&target).unwrap();
        private(&target);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
        target
    };

    let edited = copy("edited");
    rusqlite::Connection::open(edited.join("vow.db"))
        .unwrap()
        .execute("UPDATE audit_log SET role = 'auditor' WHERE seq = 4", [])
        .unwrap();
    let out = vow(&["audit", "verify", "--format", "json"], &edited);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["first_break"]["seq"], 4, "{report}");

    let truncated = copy("truncated");
    rusqlite::Connection::open(truncated.join("vow.db"))
        .unwrap()
        .execute("DELETE FROM audit_log WHERE seq > 9", [])
        .unwrap();
    let out = vow(&["audit", "verify", "--format", "json"], &truncated);
    assert_eq!(out.status.code(), Some(1), "a truncated log passed");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["first_break"]["seq"].as_u64().unwrap() >= 10,
        "{report}"
    );
}

#[test]
fn keys_are_listed_without_secrets_and_revoked() {
    let (_dir, data) = data_dir();
    let secret = new_key(&data, "support");
    let list = vow(&["keys", "list", "--format", "json"], &data);
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(!text.contains(&secret));
    let keys: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = keys[0]["id"].as_str().unwrap().to_string();
    assert_eq!(keys[0]["role"], "support");
    let revoke = vow(&["keys", "revoke", &id], &data);
    assert!(revoke.status.success());
    let again = vow(&["keys", "revoke", &id], &data);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains(&id));
    let unknown_role = vow(&["keys", "create", "--role", "root"], &data);
    assert_eq!(unknown_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_role.stderr).contains("privacy_officer"));
}

/// The current month in Korea time, `YYYY-MM`, and the one before it.
fn this_and_last_month() -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 9 * 3600;
    let days = now.div_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm), for the current KST month.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let last = if month == 1 {
        format!("{}-12", year - 1)
    } else {
        format!("{year}-{:02}", month - 1)
    };
    (format!("{year}-{month:02}"), last)
}

#[test]
fn the_monthly_review_reads_the_log() {
    let (_dir, data) = data_dir();
    new_key(&data, "support");
    let out = vow(
        &["audit", "review", "--month", "2026-13", "--format", "json"],
        &data,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM"));
    let (this_month, _) = this_and_last_month();
    let out = vow(
        &[
            "audit",
            "review",
            "--month",
            &this_month,
            "--format",
            "json",
        ],
        &data,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("key_create"), "{text}");
}

#[test]
fn the_monthly_review_names_keys_by_label_counts_refusals_and_defaults_to_last_month() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let service = new_key(&data, "service");
    let made = vow(
        &[
            "keys",
            "create",
            "--role",
            "support",
            "--label",
            "front desk",
            "--format",
            "json",
        ],
        &data,
    );
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let (desk, desk_id) = (
        made["secret"].as_str().unwrap().to_string(),
        made["id"].as_str().unwrap().to_string(),
    );
    let (_, body) = server.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id": "r1", "kind": "member"}"#),
    );
    let id = id_of(&body);
    for _ in 0..2 {
        let (status, body) = server.call("GET", &format!("/v1/subjects/{id}/export"), &desk, None);
        assert_eq!(status, 403, "{body}");
    }
    let (status, _) = server.call("DELETE", &format!("/v1/subjects/{id}"), &desk, None);
    assert_eq!(status, 403);
    server.terminate();

    let (this_month, last_month) = this_and_last_month();
    let out = vow(&["audit", "review", "--month", &this_month], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let named = format!("front desk ({desk_id})");
    assert!(
        text.contains(&format!("key {named}, role support: 3 refused")),
        "{text}"
    );
    assert!(
        text.contains("     2  GET /v1/subjects/{id}/export"),
        "{text}"
    );
    assert!(text.contains("     1  DELETE /v1/subjects/{id}"), "{text}");
    assert!(!text.contains(&id), "a subject id in the refusals: {text}");

    let csv = vow(
        &["audit", "review", "--month", &this_month, "--format", "csv"],
        &data,
    );
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let csv = String::from_utf8_lossy(&csv.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("month,section,when,seq,key_id,key_label,role,source,subject,action,detail,count,reason")
    );
    assert!(
        lines
            .clone()
            .any(|line| line.starts_with(&format!("{this_month},denied,"))
                && line.contains(&format!("{desk_id},front desk,support"))
                && line.ends_with(",denied,GET /v1/subjects/{id}/export,2,")),
        "{csv}"
    );
    assert!(
        lines.any(|line| line.contains(&format!(
            "per_key,,,{desk_id},front desk,support,,,,denied,3,"
        ))),
        "{csv}"
    );

    // No month named: the previous calendar month, said so.
    let out = vow(&["audit", "review"], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("review — {last_month}")), "{text}");
    assert!(text.contains("the previous calendar month"), "{text}");
    let json = vow(&["audit", "review", "--format", "json"], &data);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["month"], last_month.as_str());
    assert_eq!(json["default_month"], true);
}

#[test]
fn keys_rotate_while_serving_and_every_value_stays_readable() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let service = new_key(&data, "service");
    let mut stored = Vec::new();
    for n in 0..20 {
        let (_, body) = server.call(
            "POST",
            "/v1/subjects",
            &service,
            Some(&format!(r#"{{"external_id": "r{n}", "kind": "member"}}"#)),
        );
        let id = id_of(&body);
        let phone = format!("010-3000-{n:04}");
        let (status, _) = server.call(
            "PUT",
            &format!("/v1/subjects/{id}/items/user.contact.phone"),
            &service,
            Some(&format!(r#"{{"value": "{phone}"}}"#)),
        );
        assert_eq!(status, 201);
        stored.push((id, phone));
    }
    let rotate = vow(&["keys", "rotate"], &data);
    assert!(
        rotate.status.success(),
        "{}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    let said = String::from_utf8_lossy(&rotate.stdout).to_string();
    assert!(
        said.contains("version 2") && said.contains("20 data keys"),
        "{said}"
    );
    let read_all = |server: &Running| {
        for (id, phone) in &stored {
            let (status, body) = server.call(
                "GET",
                &format!("/v1/subjects/{id}/items/user.contact.phone"),
                &service,
                None,
            );
            assert_eq!(status, 200, "{body}");
            assert!(body.contains(phone.as_str()), "{body}");
        }
    };
    read_all(&server);
    server.terminate();
    // A fresh server has no key in memory: every data key is unwrapped under the new version.
    let server = serve(&data);
    read_all(&server);
    server.terminate();
}

#[test]
fn verifying_a_directory_that_is_not_a_vault_says_so_and_creates_nothing() {
    let (_dir, data) = data_dir();
    let out = vow(&["audit", "verify"], &data);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key file"));
    assert!(!data.exists(), "verify created {}", data.display());
}

/// Runs `vow serve` expecting it to refuse to start; a server that starts anyway is killed and the
/// test fails.
fn serve_refused(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(VOW)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            let mut stdout = String::new();
            let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
            panic!("vow serve started instead of refusing: {stdout}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve_refused_on(data: &Path, extra: &[&str]) -> (i32, String) {
    let data = data.to_str().unwrap();
    let mut args = vec![
        "--policy",
        POLICY,
        "--listen",
        "127.0.0.1:0",
        "--data",
        data,
    ];
    args.extend_from_slice(extra);
    serve_refused(&args)
}

/// Names and contents of every file in a directory, to show that nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A vault with an admin key, `n` subjects and their checkpoints, stopped.
fn vault_with_subjects(data: &Path, n: usize, extra: &[&str]) -> String {
    let server = serve_with(data, extra);
    let service = new_key(data, "service");
    for i in 0..n {
        let (status, body) = server.call(
            "POST",
            "/v1/subjects",
            &service,
            Some(&format!(r#"{{"external_id": "s{i}", "kind": "member"}}"#)),
        );
        assert_eq!(status, 201, "{body}");
    }
    server.terminate();
    service
}

fn checkpoint_seqs(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let cp: serde_json::Value = serde_json::from_str(line).unwrap();
            cp["seq"].as_u64().unwrap()
        })
        .collect()
}

fn log_head(data: &Path) -> u64 {
    rusqlite::Connection::open(data.join("vow.db"))
        .unwrap()
        .query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64
}

// ---- item 4: the key file

#[test]
fn a_vault_whose_key_file_is_missing_refuses_to_start_and_creates_nothing() {
    let (_dir, data) = data_dir();
    vault_with_subjects(&data, 3, &[]);
    let key_file = data.join("vow.keys");
    std::fs::remove_file(&key_file).unwrap();
    let before = snapshot(&data);

    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains(&key_file.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("Restore the key file from its backup"),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a new key file was made");
    assert_eq!(
        snapshot(&data),
        before,
        "the refused start changed the data directory"
    );

    let create = vow(&["keys", "create", "--role", "service"], &data);
    assert_eq!(create.status.code(), Some(2));
    assert!(!key_file.exists(), "keys create made a new key file");
    assert_eq!(snapshot(&data), before);
}

#[test]
fn another_vaults_key_file_is_refused_and_verify_says_it_does_not_belong() {
    let (_dir, data) = data_dir();
    vault_with_subjects(&data, 3, &[]);
    let (_other_dir, other) = data_dir();
    new_key(&other, "service");
    std::fs::copy(other.join("vow.keys"), data.join("vow.keys")).unwrap();
    let before = snapshot(&data);

    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("does not belong to this vault"), "{stderr}");
    assert_eq!(snapshot(&data), before);

    let verify = vow(&["audit", "verify"], &data);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert_ne!(verify.status.code(), Some(0));
    assert!(said.contains("does not belong to this vault"), "{said}");
    assert!(!said.contains("forged"), "{said}");
}

#[test]
fn with_postgresql_a_vault_whose_key_file_is_missing_refuses_to_start() {
    let Some(url) =
        postgres_url("with_postgresql_a_vault_whose_key_file_is_missing_refuses_to_start")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = format!(
        "vow_cli_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let key_file = dir.path().join("vow.keys");
    let checkpoints = dir.path().join("checkpoints.jsonl");
    let (key_file_arg, checkpoints_arg) = (
        key_file.to_str().unwrap().to_string(),
        checkpoints.to_str().unwrap().to_string(),
    );
    let pg: Vec<&str> = vec![
        "--policy",
        POLICY,
        "--database-url",
        &url,
        "--schema",
        &schema,
        "--key-file",
        &key_file_arg,
        "--checkpoints",
        &checkpoints_arg,
    ];
    let create = Command::new(VOW)
        .args(["keys", "create", "--role", "service"])
        .args(&pg)
        .output()
        .unwrap();
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    std::fs::remove_file(&key_file).unwrap();

    let mut args = pg.clone();
    args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    let (code, stderr) = serve_refused(&args);
    assert_ne!(code, 0);
    assert!(stderr.contains(&key_file_arg), "{stderr}");
    assert!(
        stderr.contains("Restore the key file from its backup"),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a new key file was made");

    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "DROP SCHEMA {schema} CASCADE; DROP SCHEMA {schema}_keys CASCADE"
        ))
        .unwrap();
}

/// Issue 28: several `vow serve` on one PostgreSQL each extend a chain of their own. One is killed
/// (SIGKILL) while all write and read; every write and read it acknowledged is there, a server
/// started after it takes its chain over, and the merged log verifies against every server's
/// checkpoints.
#[test]
fn servers_on_one_postgres_write_a_chain_each_survive_sigkill_and_the_merged_log_verifies() {
    let Some(url) = postgres_url(
        "servers_on_one_postgres_write_a_chain_each_survive_sigkill_and_the_merged_log_verifies",
    ) else {
        return;
    };
    let schema = PgSchema::new(&url, "chains");
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let key_file = file("vow.keys");
    let common = |checkpoints: &str| -> Vec<String> {
        [
            "--policy",
            POLICY,
            "--database-url",
            &url,
            "--schema",
            &schema.name,
            "--key-file",
            &key_file,
            "--checkpoints",
            checkpoints,
        ]
        .map(String::from)
        .to_vec()
    };
    let cli = |args: &[&str]| {
        let out = Command::new(VOW)
            .args(args)
            .args(common(&file("cp-cli.jsonl")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let key = |role: &str| -> String {
        let out = cli(&["keys", "create", "--role", role, "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["secret"].as_str().unwrap().to_string()
    };
    let service = key("service");
    let officer = key("privacy_officer");
    #[allow(clippy::zombie_processes)]
    let start = |name: &str| -> Running {
        let mut command = Command::new(VOW);
        command
            .arg("serve")
            .args(common(&file(&format!("cp-{name}.jsonl"))))
            .args(["--listen", "127.0.0.1:0"]);
        let started = start_listening(command, "vow serve", Duration::from_secs(20));
        Running {
            child: started.child,
            address: started.address,
            stdout: started.stdout,
            stderr: started.stderr,
        }
    };
    let first = start("a");
    let mut second = start("b");

    // Per server, the writes and reads it acknowledged: (subject, phone written, read back).
    type Acknowledged = Arc<Mutex<Vec<(String, String, bool)>>>;
    let acknowledged: Acknowledged = Arc::default();
    let stop_second = Arc::new(AtomicBool::new(false));
    let stop_all = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (server, client) in [(0, first.client()), (1, second.client())] {
        for writer in 0..2 {
            let (acknowledged, stop_all, stop_second, service, client) = (
                Arc::clone(&acknowledged),
                Arc::clone(&stop_all),
                Arc::clone(&stop_second),
                service.clone(),
                client.clone(),
            );
            writers.push(std::thread::spawn(move || {
                let mut n = 0;
                let stopped = || {
                    stop_all.load(Ordering::SeqCst)
                        || (server == 1 && stop_second.load(Ordering::SeqCst))
                };
                while !stopped() {
                    let external = format!("s{server}w{writer}-{n}");
                    n += 1;
                    let (status, body) = client.call(
                        "POST",
                        "/v1/subjects",
                        &service,
                        Some(&format!(
                            r#"{{"external_id": "{external}", "kind": "member"}}"#
                        )),
                    );
                    if status == 0 {
                        break;
                    }
                    if status != 201 {
                        continue;
                    }
                    let id = id_of(&body);
                    let phone = format!("010-{server}{writer}{:02}-{:04}", n / 10_000, n % 10_000);
                    let path = format!("/v1/subjects/{id}/items/user.contact.phone");
                    let (status, _) = client.call(
                        "PUT",
                        &path,
                        &service,
                        Some(&format!(r#"{{"value": "{phone}"}}"#)),
                    );
                    if status != 201 {
                        continue;
                    }
                    let (status, _) = client.call("GET", &path, &service, None);
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((id, phone, status == 200));
                }
            }));
        }
    }
    std::thread::sleep(Duration::from_millis(1500));
    second.child.kill().unwrap(); // SIGKILL, mid-batch as likely as not
    second.child.wait().unwrap();
    stop_second.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    stop_all.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "too few writes: {}",
        acknowledged.len()
    );

    // A server started after the kill takes the dead one's chain over and serves every write.
    let third = start("c");
    for (id, phone, _) in &acknowledged {
        let (status, body) = third.call(
            "GET",
            &format!("/v1/subjects/{id}/items/user.contact.phone"),
            &officer,
            None,
        );
        assert_eq!(status, 200, "acknowledged write of {id} lost: {body}");
        assert!(body.contains(phone.as_str()), "{body}");
    }
    first.terminate();
    third.terminate();

    // Every acknowledged read has its entry, whichever server's chain holds it.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let read_back: Vec<String> = acknowledged
        .iter()
        .filter(|(_, _, read)| *read)
        .map(|(id, _, _)| id.clone())
        .collect();
    assert!(!read_back.is_empty());
    let logged: i64 = client
        .query_one(
            &format!(
                "SELECT count(DISTINCT subject_id) FROM {}.audit_log
                 WHERE action = 'read' AND role = 'service' AND subject_id = ANY($1)",
                schema.name
            ),
            &[&read_back],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        logged as usize,
        read_back.len(),
        "an acknowledged read has no entry"
    );
    let chains: Vec<i32> = client
        .query(
            &format!(
                "SELECT DISTINCT chain FROM {}.audit_log ORDER BY chain",
                schema.name
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(chains.len() >= 2, "one chain per server: {chains:?}");

    let out = Command::new(VOW)
        .args(["audit", "verify", "--format", "json"])
        .args(common(&file("cp-a.jsonl")))
        .args(["--checkpoint-copy", &file("cp-b.jsonl")])
        .args(["--checkpoint-copy", &file("cp-c.jsonl")])
        .args(["--checkpoint-copy", &file("cp-cli.jsonl")])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("{}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(
        report["chains"].as_u64(),
        Some(chains.len() as u64),
        "{report}"
    );
    assert!(report["checkpoints"].as_u64().unwrap_or(0) > 0, "{report}");

    // The dead server's chain is cut short by hand: verification names that chain.
    let victim = chains[1];
    client
        .execute(
            &format!(
                "DELETE FROM {}.audit_log WHERE chain = $1 AND seq > 3",
                schema.name
            ),
            &[&victim],
        )
        .unwrap();
    let out = Command::new(VOW)
        .args(["audit", "verify", "--format", "json"])
        .args(common(&file("cp-a.jsonl")))
        .args(["--checkpoint-copy", &file("cp-b.jsonl")])
        .args(["--checkpoint-copy", &file("cp-c.jsonl")])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["first_break"]["chain"], victim, "{report}");
    assert_eq!(
        report["first_break"]["kind"], "checkpoint_missing_entry",
        "{report}"
    );
}

// ---- item 5: the log's anchor

/// A vault with a longer log and several checkpoints: subjects made across more than one second
/// of serving, so the server checkpoints more than once.
fn vault_with_history(data: &Path, extra: &[&str]) {
    let server = serve_with(data, extra);
    let service = new_key(data, "service");
    for round in 0..2 {
        for i in 0..8 {
            let (status, body) = server.call(
                "POST",
                "/v1/subjects",
                &service,
                Some(&format!(
                    r#"{{"external_id": "h{round}-{i}", "kind": "member"}}"#
                )),
            );
            assert_eq!(status, 201, "{body}");
        }
        std::thread::sleep(Duration::from_millis(1300));
    }
    server.terminate();
}

fn verify_json(data: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", "verify", "--format", "json"];
    args.extend_from_slice(extra);
    let out = vow(&args, data);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

#[test]
fn verify_fails_when_the_checkpoint_file_is_removed_unless_told_there_are_none() {
    let (_dir, data) = data_dir();
    vault_with_history(&data, &[]);
    let (code, report) = verify_json(&data, &[]);
    assert_eq!(code, Some(0), "{report}");

    std::fs::remove_file(data.join("audit-checkpoints.jsonl")).unwrap();
    let (code, report) = verify_json(&data, &[]);
    assert_eq!(
        code,
        Some(1),
        "a log without its checkpoints passed: {report}"
    );
    assert_eq!(report["intact"], false);

    let (code, report) = verify_json(&data, &["--no-checkpoints"]);
    assert_eq!(code, Some(0), "{report}");
    let help = Command::new(VOW)
        .args(["audit", "verify", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--no-checkpoints") && help.contains("gives up"),
        "{help}"
    );
}

#[test]
fn cutting_the_log_tail_together_with_the_checkpoint_tail_is_caught() {
    let (_dir, data) = data_dir();
    vault_with_history(&data, &[]);
    let file = data.join("audit-checkpoints.jsonl");
    let seqs = checkpoint_seqs(&file);
    assert!(seqs.len() >= 3, "too few checkpoints to cut: {seqs:?}");
    let head = log_head(&data);
    assert_eq!(seqs.last(), Some(&head));

    // Whoever owns the files keeps the first checkpoints and the entries they cover, nothing after.
    let keep = seqs[seqs.len() - 2];
    rusqlite::Connection::open(data.join("vow.db"))
        .unwrap()
        .execute("DELETE FROM audit_log WHERE seq > ?1", [keep as i64])
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: String = text
        .lines()
        .filter(|line| checkpoint_seqs_of(line) <= keep)
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&file, kept).unwrap();

    let (code, report) = verify_json(&data, &[]);
    assert_eq!(
        code,
        Some(1),
        "a log cut with its checkpoints passed: {report}"
    );
    assert_eq!(report["first_break"]["seq"], head, "{report}");
    assert_eq!(
        report["first_break"]["kind"], "checkpoint_missing_entry",
        "{report}"
    );
}

fn checkpoint_seqs_of(line: &str) -> u64 {
    let cp: serde_json::Value = serde_json::from_str(line).unwrap();
    cp["seq"].as_u64().unwrap()
}

#[test]
fn vow_serve_refuses_a_database_restored_from_an_older_copy() {
    let (dir, data) = data_dir();
    vault_with_subjects(&data, 3, &[]);
    let backup = dir.path().join("vow.db.backup");
    std::fs::copy(data.join("vow.db"), &backup).unwrap();
    vault_with_subjects(&data, 0, &[]); // another service key: the log moves on
    assert!(!data.join("vow.db-wal").exists());

    std::fs::copy(&backup, data.join("vow.db")).unwrap();
    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("older than its access log's last signed checkpoint"),
        "{stderr}"
    );

    // The key store remembers the head even when the checkpoint file is gone too.
    std::fs::remove_file(data.join("audit-checkpoints.jsonl")).unwrap();
    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("recorded in the key store"), "{stderr}");
}

#[test]
fn a_checkpoint_copy_elsewhere_catches_a_log_cut_with_its_checkpoint_file_and_key_store() {
    let (dir, data) = data_dir();
    let copy = dir.path().join("elsewhere.jsonl");
    let copy_arg = ["--checkpoint-copy", copy.to_str().unwrap()];
    vault_with_history(&data, &copy_arg);
    let file = data.join("audit-checkpoints.jsonl");
    // The server wrote every checkpoint of its own to the copy (`vow keys create` was not given it).
    let primary = std::fs::read_to_string(&file).unwrap();
    let copied = std::fs::read_to_string(&copy).unwrap();
    assert!(copied.lines().all(|line| primary.contains(line)));
    let seqs = checkpoint_seqs(&file);
    assert_eq!(checkpoint_seqs(&copy).last(), seqs.last());
    let keep = seqs[0];
    // The database's owner rewrites everything they own: log tail, checkpoint file, key store.
    let conn = rusqlite::Connection::open(data.join("vow.db")).unwrap();
    conn.execute("DELETE FROM audit_log WHERE seq > ?1", [keep as i64])
        .unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS keys",
        [data.join("keys.db").to_str().unwrap()],
    )
    .unwrap();
    conn.execute("DELETE FROM keys.signed_head", []).unwrap();
    drop(conn);
    let first_line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&file, format!("{first_line}\n")).unwrap();

    let (code, report) = verify_json(&data, &[]);
    assert_eq!(
        code,
        Some(0),
        "without the copy the cut is invisible: {report}"
    );
    let (code, report) = verify_json(&data, &copy_arg);
    assert_eq!(code, Some(1), "the copy did not catch the cut: {report}");
    assert_eq!(report["first_break"]["kind"], "checkpoint_missing_entry");
}

#[test]
fn verify_reads_a_checkpoint_copy_at_any_mode_though_vow_creates_it_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, data) = data_dir();
    let copy = dir.path().join("elsewhere.jsonl");
    let copy_arg = ["--checkpoint-copy", copy.to_str().unwrap()];
    vault_with_history(&data, &copy_arg);
    assert_eq!(mode_of(&copy), 0o600, "a copy vow created");
    // Signed, not secret: a copy another user keeps readable (or a witness's saved file) verifies.
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = verify_json(&data, &copy_arg);
    assert_eq!(code, Some(0), "{report}");
    assert!(report["checkpoints"].as_u64().unwrap() >= 2, "{report}");
    // And the monthly review, given the same options, is not refused either.
    let mut review = vec!["audit", "review", "--format", "json"];
    review.extend_from_slice(&copy_arg);
    let out = vow(&review, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- item 6: files at rest

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn every_file_of_a_vault_is_private_and_a_loosened_one_is_refused() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let service = new_key(&data, "service");
    let (status, body) = server.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id": "m1", "kind": "member"}"#),
    );
    assert_eq!(status, 201, "{body}");
    std::thread::sleep(Duration::from_millis(1200)); // a checkpoint from the server too
                                                     // While serving: the WAL and shared-memory files exist as well.
    assert_eq!(mode_of(&data), 0o700, "the data directory");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        assert_eq!(mode_of(&path), 0o600, "{}", path.display());
    }
    for name in [
        "vow.db",
        "vow.db-wal",
        "vow.db-shm",
        "keys.db",
        "vow.keys",
        "audit-checkpoints.jsonl",
    ] {
        assert!(seen.iter().any(|s| s == name), "{name} not among {seen:?}");
    }
    server.terminate();

    use std::os::unix::fs::PermissionsExt;
    let database = data.join("vow.db");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("chmod 600 {}", database.display())),
        "{stderr}"
    );
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, stderr) = serve_refused_on(&data, &[]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("chmod 700 {}", data.display())),
        "{stderr}"
    );
    private(&data);
    serve(&data).terminate();
}

// ---- item 9: the first start

#[test]
fn a_busy_port_on_first_start_creates_nothing_and_the_next_start_prints_the_admin_key() {
    let (_dir, data) = data_dir();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let (code, stderr) = serve_refused(&[
        "--policy",
        POLICY,
        "--listen",
        &address,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains(&address), "{stderr}");
    assert!(!data.exists(), "the vault was created on a busy port");
    drop(busy);

    let server = serve(&data);
    let stdout = server.stdout.lock().unwrap().clone();
    assert!(
        stdout.split_whitespace().any(|w| w.starts_with("vow_")),
        "{stdout}"
    );
    server.terminate();
}

#[test]
fn a_vault_without_an_admin_key_says_how_to_make_one_and_that_command_works() {
    let (_dir, data) = data_dir();
    new_key(&data, "service"); // the vault is created by a command that makes no admin key
    let server = serve(&data);
    std::thread::sleep(Duration::from_millis(200));
    let (_, stderr) = server.terminate();
    assert!(stderr.contains("no admin API key"), "{stderr}");
    let command = stderr
        .split('`')
        .find(|part| part.starts_with("vow keys create"))
        .unwrap_or_else(|| panic!("no command in {stderr}"));
    assert!(command.contains("--role admin"), "{command}");
    let words: Vec<&str> = command.split_whitespace().collect();
    let made = Command::new(VOW).args(&words[1..]).output().unwrap();
    assert!(
        made.status.success(),
        "`{command}` failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stdout).contains("vow_"));

    let server = serve(&data);
    std::thread::sleep(Duration::from_millis(200));
    let (_, stderr) = server.terminate();
    assert!(!stderr.contains("no admin API key"), "{stderr}");
}

/// A witness: a real HTTP server on loopback that keeps the bodies it is sent.
fn witness() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/checkpoints", listener.local_addr().unwrap());
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            assert!(
                request_line.starts_with("POST /checkpoints "),
                "{request_line}"
            );
            keep.lock().unwrap().push(String::from_utf8(body).unwrap());
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (url, received)
}

#[test]
fn a_checkpoint_witness_receives_each_signed_checkpoint_over_http() {
    let (_dir, data) = data_dir();
    let (url, received) = witness();
    vault_with_history(&data, &["--checkpoint-witness", &url]);
    let received = received.lock().unwrap().clone();
    assert!(received.len() >= 2, "{received:?}");
    let file = std::fs::read_to_string(data.join("audit-checkpoints.jsonl")).unwrap();
    for body in &received {
        assert!(
            file.lines().any(|line| line == body),
            "{body} is not in the checkpoint file"
        );
    }
    let last: serde_json::Value = serde_json::from_str(received.last().unwrap()).unwrap();
    assert_eq!(last["seq"].as_u64(), Some(log_head(&data)));

    let refused = serve_refused_on(&data, &["--checkpoint-witness", "https://w.example/"]);
    assert_ne!(refused.0, 0);
    assert!(refused.1.contains("http://"), "{}", refused.1);
}

/// The count `/metrics` shows for one checkpoint destination.
fn delivery_failures(server: &Running, kind: &str, to: &str) -> Option<u64> {
    let (status, metrics) = server.call("GET", "/metrics", "", None);
    assert_eq!(status, 200, "{metrics}");
    let series = format!("vow_checkpoint_delivery_failures_total{{kind=\"{kind}\",to=\"{to}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .map(|count| count.trim().parse().unwrap())
}

#[test]
fn a_witness_that_is_down_is_a_delivery_failure_logged_and_counted_and_checkpoints_go_on() {
    let (_dir, data) = data_dir();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/checkpoints", closed.local_addr().unwrap());
    drop(closed);
    let (up, _received) = witness();
    let server = serve_with(
        &data,
        &["--checkpoint-witness", &url, "--checkpoint-witness", &up],
    );
    // Listed from the start (the server's own first checkpoint may already have failed to reach
    // the dead witness by the time this reads it, on a loaded machine).
    let at_start = delivery_failures(&server, "witness", &url);
    assert!(
        at_start.is_some(),
        "the dead witness is not listed in /metrics"
    );
    let service = new_key(&data, "service");
    let (status, body) = server.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id": "w1", "kind": "member"}"#),
    );
    assert_eq!(status, 201, "{body}");
    std::thread::sleep(Duration::from_millis(1500)); // a checkpoint of the server's own
    let failed = delivery_failures(&server, "witness", &url).unwrap();
    assert!(failed >= 1, "no delivery failure counted for {url}");
    assert_eq!(delivery_failures(&server, "witness", &up), Some(0));
    let (_, stderr) = server.terminate();
    // Which witness, what happened, and that nothing is lost.
    assert!(
        stderr.contains(&format!("could not be delivered to the witness {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        stderr.contains("written in the local checkpoint file"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("could not write an access-log checkpoint"),
        "a delivery failure reported as a failed checkpoint: {stderr}"
    );
    let seqs = checkpoint_seqs(&data.join("audit-checkpoints.jsonl"));
    assert_eq!(seqs.last(), Some(&log_head(&data)));
    let (code, report) = verify_json(&data, &[]);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn consent_lists_and_the_proof_export_read_what_the_server_recorded() {
    let (_dir, data) = data_dir();
    let server = serve(&data);
    let service = new_key(&data, "service");
    let subject = |external: &str| {
        let (status, body) = server.call(
            "POST",
            "/v1/subjects",
            &service,
            Some(&format!(
                r#"{{"external_id": "{external}", "kind": "member"}}"#
            )),
        );
        assert_eq!(status, 201, "{body}");
        id_of(&body)
    };
    let (leaver, stayer) = (subject("leaver"), subject("stayer"));
    // Evidence a hostile form could carry: a spreadsheet formula.
    let grant = r#"{"purpose": "marketing", "channel": "email", "granted": true,
        "evidence": {"method": "web_form", "location": "https://imagesfactory.example/signup",
                     "wording": "=HYPERLINK(\"http://evil.example\", \"agree\")"}}"#;
    for s in [&leaver, &stayer] {
        let (status, body) = server.call(
            "POST",
            &format!("/v1/subjects/{s}/consents"),
            &service,
            Some(grant),
        );
        assert_eq!(status, 201, "{body}");
    }
    let withdraw = r#"{"purpose": "marketing", "channel": "email", "granted": false, "evidence": {"method": "unsubscribe_link"}}"#;
    let (status, body) = server.call(
        "POST",
        &format!("/v1/subjects/{leaver}/consents"),
        &service,
        Some(withdraw),
    );
    assert_eq!(status, 201, "{body}");
    server.terminate();

    let text = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let notices = text(vow(&["consent", "notices", "--format", "json"], &data));
    let owed: serde_json::Value = serde_json::from_str(&notices).unwrap();
    assert_eq!(owed.as_array().unwrap().len(), 3);
    let first = owed[0]["id"].as_str().unwrap().to_string();
    assert!(text(vow(&["consent", "notices", "--mark-sent", &first], &data)).contains(&first));
    let csv = text(vow(&["consent", "notices", "--format", "csv"], &data));
    assert_eq!(csv.lines().count(), 1 + 2, "{csv}");
    assert!(!csv.contains(&first));

    let due = text(vow(
        &["consent", "due", "--days", "800", "--format", "json"],
        &data,
    ));
    let due: serde_json::Value = serde_json::from_str(&due).unwrap();
    assert_eq!(
        due.as_array().unwrap().len(),
        1,
        "only the consent that stands: {due}"
    );
    assert_eq!(due[0]["subject"], stayer.as_str());

    let proof = text(vow(&["consent", "export", "--format", "csv"], &data));
    assert_eq!(proof.lines().count(), 1 + 3, "{proof}");
    assert!(
        proof.contains("'=HYPERLINK"),
        "a formula is defused: {proof}"
    );
    assert!(!proof.contains(",=HYPERLINK"), "{proof}");
    let json = text(vow(
        &[
            "consent",
            "export",
            "--format",
            "json",
            "--subject",
            &leaver,
        ],
        &data,
    ));
    let ledger: serde_json::Value = serde_json::from_str(&json).unwrap();
    let changes: Vec<&str> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["grant", "withdraw"]);
    assert_eq!(
        ledger[0]["evidence"]["location"],
        "https://imagesfactory.example/signup"
    );
}

#[test]
fn serve_refuses_a_webhook_it_cannot_use_and_creates_nothing() {
    let (_dir, data) = data_dir();
    let (code, stderr) = serve_refused_on(
        &data,
        &[
            "--webhook-url",
            "https://app.example/hooks",
            "--webhook-secret-env",
            "VOW_TEST_NO_SUCH_VARIABLE",
        ],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("VOW_TEST_NO_SUCH_VARIABLE"), "{stderr}");
    // PATH is set in every environment and long enough to be a secret: the URL is what is wrong.
    let (code, stderr) = serve_refused_on(
        &data,
        &[
            "--webhook-url",
            "http://app.example/hooks",
            "--webhook-secret-env",
            "PATH",
        ],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("https"), "{stderr}");
    assert!(!data.exists(), "a refused start created {}", data.display());
}

/// Each delivery's header lines and body.
type Deliveries = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on loopback: answers every POST with 204 and keeps (headers, body).
fn webhook_receiver() -> (String, Deliveries) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            keep.lock().unwrap().push((head, body));
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (address, received)
}

#[test]
fn vow_serve_delivers_consent_events_to_the_webhook_signed() {
    let (_dir, data) = data_dir();
    let (receiver, received) = webhook_receiver();
    let secret = "a-webhook-secret-for-the-test-0001";
    let url = format!("http://{receiver}/hooks/vow");
    let server = serve_with_env(
        &data,
        &["--webhook-url", &url],
        &[("VOW_WEBHOOK_SECRET", secret)],
    );
    let service = new_key(&data, "service");
    let (status, body) = server.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id": "hooked", "kind": "member"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let subject = id_of(&body);
    let grant = r#"{"purpose": "marketing", "channel": "push", "granted": true, "evidence": {"method": "app_toggle"}}"#;
    let (status, body) = server.call(
        "POST",
        &format!("/v1/subjects/{subject}/consents"),
        &service,
        Some(grant),
    );
    assert_eq!(status, 201, "{body}");
    let started = Instant::now();
    while received.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no delivery arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.terminate();
    let (head, body) = received.lock().unwrap()[0].clone();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(vow_server::verify(
        secret.as_bytes(),
        &header("vow-timestamp"),
        &body,
        &header("vow-signature"),
        now,
        300
    ));
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["type"], "consent.granted");
    assert_eq!(event["subject"], subject.as_str());
    assert_eq!(event["data"]["channel"], "push");
    assert_eq!(header("vow-event-id"), event["id"].as_str().unwrap());
}

/// Subjects with visit logs four months old, so a sweep now destroys them, and closed accounts.
fn vault_with_due_records(data: &Path, subjects: usize, records_each: usize) {
    let server = serve_with(data, &["--sweep-every", "0"]);
    let service = new_key(data, "service");
    let four_months_ago = time::OffsetDateTime::now_utc() - time::Duration::days(120);
    let at = four_months_ago
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for i in 0..subjects {
        let (status, body) = server.call(
            "POST",
            "/v1/subjects",
            &service,
            Some(&format!(
                r#"{{"external_id": "due-{i}", "kind": "member"}}"#
            )),
        );
        assert_eq!(status, 201, "{body}");
        let id = id_of(&body);
        for n in 0..records_each {
            let (status, body) = server.call(
                "POST",
                &format!("/v1/subjects/{id}/records/user.device.ip_address"),
                &service,
                Some(&format!(r#"{{"value": "198.51.100.{n}", "at": "{at}"}}"#)),
            );
            assert_eq!(status, 201, "{body}");
        }
    }
    server.terminate();
}

#[test]
fn vow_sweep_dry_runs_destroys_and_prints_the_ledger_as_csv() {
    let (_dir, data) = data_dir();
    vault_with_due_records(&data, 3, 2);
    let text = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dry: serde_json::Value = serde_json::from_str(&text(vow(
        &["sweep", "--dry-run", "--format", "json"],
        &data,
    )))
    .unwrap();
    assert_eq!(dry["destroyed"], 6, "{dry}");
    assert_eq!(dry["planned"][0]["rule"], "visit_logs", "{dry}");
    assert_eq!(dry["planned"][0]["action"], "destroy", "{dry}");
    let empty = text(vow(&["sweep", "ledger", "--format", "json"], &data));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&empty).unwrap(),
        serde_json::json!([])
    );

    let done: serde_json::Value =
        serde_json::from_str(&text(vow(&["sweep", "--format", "json"], &data))).unwrap();
    assert_eq!(done["destroyed"], 6, "{done}");
    let csv = text(vow(&["sweep", "ledger", "--format", "csv"], &data));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 3,
        "one line per subject's destruction: {csv}"
    );
    assert!(lines[0].starts_with("seq,at,subject,category,storage,count,rule,basis,law"));
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",visit_logs,law,통신비밀보호법,retention,")),
        "{csv}"
    );
    assert!(!csv.contains("198.51.100."), "a value in the ledger: {csv}");
    // Nothing more to do, and a rehearsal far ahead changes nothing.
    let again: serde_json::Value =
        serde_json::from_str(&text(vow(&["sweep", "--format", "json"], &data))).unwrap();
    assert_eq!(again["destroyed"], 0);
    text(vow(
        &["sweep", "--as-of", "2099-01-01T00:00:00+09:00", "--dry-run"],
        &data,
    ));
    let out = vow(&["sweep", "--as-of", "next tuesday"], &data);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    assert_eq!(
        text(vow(&["requests", "--format", "json"], &data)).trim(),
        "[]"
    );
}

#[test]
fn a_sweep_killed_midway_loses_nothing_and_destroys_nothing_twice() {
    let (_dir, data) = data_dir();
    const SUBJECTS: usize = 400;
    const RECORDS: usize = 3;
    vault_with_due_records(&data, SUBJECTS, RECORDS);
    for delay_ms in [5, 20, 60] {
        let mut child = Command::new(VOW)
            .args(["sweep", "--policy", POLICY, "--data"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let out = vow(&["sweep", "--format", "json"], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vow(&["sweep", "ledger", "--format", "json"], &data);
    let ledger: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = ledger.as_array().unwrap();
    let total: i64 = lines.iter().map(|l| l["count"].as_i64().unwrap()).sum();
    assert_eq!(
        total,
        (SUBJECTS * RECORDS) as i64,
        "every record destroyed exactly once"
    );
    let mut subjects: Vec<&str> = lines
        .iter()
        .map(|l| l["subject"].as_str().unwrap())
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(
        subjects.len(),
        SUBJECTS,
        "one ledger line per subject's destruction"
    );
    let out = vow(&["audit", "verify"], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_bad_mail_setting_is_refused_before_anything_is_created() {
    let (_dir, data) = data_dir();
    for (extra, names) in [
        (vec!["--smtp-url", "http://mail.example.com"], "--smtp-url"),
        (vec!["--smtp-url", "not a url"], "--smtp-url"),
        (
            vec!["--mail-dir", "/tmp", "--mail-from", "not an address <"],
            "--mail-from",
        ),
        (vec!["--trusted-proxy", "proxy.internal"], "--trusted-proxy"),
        (vec!["--trusted-proxy", "10.0.0.0/40"], "--trusted-proxy"),
    ] {
        let (code, stderr) = serve_refused_on(&data, &extra);
        assert_ne!(code, 0);
        assert!(stderr.contains(names), "{stderr}");
        assert!(stderr.contains("nothing was created"), "{stderr}");
        assert!(!data.exists(), "{} was created", data.display());
    }
}

/// One raw HTTP/1.1 exchange: the status and the whole answer (headers and body).
fn exchange(address: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn the_privacy_center_writes_its_codes_to_the_mail_directory() {
    let (dir, data) = data_dir();
    let mail = dir.path().join("mail");
    let running = serve_with(&data, &["--mail-dir", mail.to_str().unwrap()]);
    let service = new_key(&data, "service");
    let (status, body) = running.call(
        "POST",
        "/v1/subjects",
        &service,
        Some(r#"{"external_id":"m-1","kind":"member"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let id = id_of(&body);
    let (status, _) = running.call(
        "PUT",
        &format!("/v1/subjects/{id}/items/user.contact.email"),
        &service,
        Some(r#"{"value":"minho.lee@example.com"}"#),
    );
    assert!(status == 200 || status == 201, "{status}");
    let address = running.address.clone();
    let (status, page) = exchange(
        &address,
        &format!("GET /privacy/verify HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = format!("csrf={csrf}&contact=minho.lee%40example.com");
    let (status, _) = exchange(
        &address,
        &format!(
            "POST /privacy/verify HTTP/1.1\r\nHost: {address}\r\nCookie: vow_privacy_pre={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files: Vec<_> = std::fs::read_dir(&mail)
            .map(|d| d.filter_map(Result::ok).collect())
            .unwrap_or_default();
        if let Some(file) = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"))
        {
            let text = std::fs::read_to_string(file.path()).unwrap();
            assert!(text.contains("To: minho.lee@example.com"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "no e-mail in {}", mail.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    // The policy finds people by phone too, and no webhook was given: the server says what is
    // missing for those codes, and nothing about mail, which goes out.
    let (_, stderr) = running.terminate();
    assert!(
        stderr.contains("by phone") && stderr.contains("--webhook-url"),
        "{stderr}"
    );
    assert!(!stderr.contains("--smtp-url"), "{stderr}");
}
