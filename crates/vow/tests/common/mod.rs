//! What the command-line tests that run `vow` as a server share: starting it and reading where it
//! listens, and saying a test was skipped.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `vow` server started by a test: the child, the address it printed, and what it wrote so far.
pub struct Started {
    pub child: Child,
    pub address: String,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

/// Copies a child's output, line by line, into `into` on a thread of its own.
pub fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

/// Spawns `command` and waits, up to `limit`, until it prints `on http://ADDRESS`. On timeout the child
/// is killed and the test fails with what it wrote.
// The child is returned to the caller, who waits for it.
#[allow(clippy::zombie_processes)]
pub fn start_listening(mut command: Command, what: &str, limit: Duration) -> Started {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    collect(child.stdout.take().unwrap(), Arc::clone(&stdout));
    collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
    let started = Instant::now();
    loop {
        let text = stdout.lock().unwrap().clone();
        if let Some(rest) = text.split("on http://").nth(1) {
            let address = rest
                .split(|c: char| c.is_whitespace() || c == ';')
                .next()
                .unwrap()
                .to_string();
            return Started {
                child,
                address,
                stdout,
                stderr,
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not start: {text} {}", stderr.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Says so where `cargo test` shows it even for a passing test (libtest captures only `eprintln!`).
pub fn skipped(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test} — {why}");
}

// Not every test binary that includes this module asks for PostgreSQL.
#[allow(unused_imports)]
pub use vow_testkit::postgres_url_for as postgres_url;

/// A schema of its own for one test, dropped when the test ends (also when it fails).
pub struct PgSchema {
    pub url: String,
    pub name: String,
}

impl PgSchema {
    pub fn new(url: &str, test: &str) -> PgSchema {
        let name = format!(
            "vow_{test}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        PgSchema {
            url: url.to_string(),
            name,
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {0} CASCADE; DROP SCHEMA IF EXISTS {0}_keys CASCADE",
                self.name
            ));
        }
    }
}
