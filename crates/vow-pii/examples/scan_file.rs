//! The scanner's own speed on a file, on one thread, without reading or writing: where `vow redact`'s
//! time goes when it is not I/O. Chunks of about 1 MiB cut at line ends, as `vow redact` cuts them.
//!
//! ```text
//! cargo run -p vow-pii --release --example scan_file -- FILE
//! ```
#![allow(clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("a file to scan");
    let bytes = std::fs::read(&path).unwrap();
    let scanner = vow_pii::Scanner::new();
    let mut found = std::collections::BTreeMap::new();
    let mut show: usize = std::env::var("SHOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let started = Instant::now();
    let mut at = 0;
    while at < bytes.len() {
        let mut end = (at + (1 << 20)).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        for f in scanner.scan(&bytes[at..end]) {
            *found.entry(f.entity).or_insert(0u64) += 1;
            if show > 0 && f.entity == vow_pii::Entity::Person {
                show -= 1;
                let c = &bytes[at..end];
                let a = f.start.saturating_sub(30);
                eprintln!(
                    "{:?} in {:?}",
                    String::from_utf8_lossy(&c[f.start..f.end]),
                    String::from_utf8_lossy(&c[a..(f.end + 30).min(c.len())])
                );
            }
        }
        at = end;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{path}: {} MB in {:.3} s ({:.0} MB/s, one thread); findings {:?}",
        bytes.len() / 1_000_000,
        secs,
        bytes.len() as f64 / 1e6 / secs,
        found
    );
}
