//! How long `check` (parse, validate, lint) takes on the largest example policy.
//!
//! Reads the largest file in `examples/policies/`; falls back to the test fixture that uses every section
//! when there is none.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn largest_example() -> (String, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let largest = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .filter_map(|path| std::fs::read(&path).ok().map(|bytes| (path, bytes)))
        .max_by_key(|(_, bytes)| bytes.len());
    match largest {
        Some((path, bytes)) => (path.display().to_string(), bytes),
        None => (
            "tests/fixtures/full.toml".to_string(),
            include_bytes!("../tests/fixtures/full.toml").to_vec(),
        ),
    }
}

fn bench_check(c: &mut Criterion) {
    let (name, bytes) = largest_example();
    eprintln!("benchmarking check on {name} ({} bytes)", bytes.len());
    let mut group = c.benchmark_group("policy");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("check", |b| {
        b.iter(|| vow_policy::check(std::hint::black_box(&bytes), &name))
    });
    group.bench_function("parse", |b| {
        b.iter(|| vow_policy::parse(std::hint::black_box(&bytes), &name))
    });
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
