//! How long `check` (parse, validate, lint) and `render` take on the largest example policy: the work of
//! `vow policy check` and `vow policy render` without process start-up. Goal: under 20 ms together.
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
    let renderer = vow_policy::Renderer::new();
    for (label, format) in [
        ("check+render md", vow_policy::render::Format::Markdown),
        ("check+render html", vow_policy::render::Format::Html),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let outcome = vow_policy::check(std::hint::black_box(&bytes), &name);
                let policy = outcome.policy.as_ref().expect("the example checks");
                renderer
                    .render(policy, vow_policy::Lang::Ko, format)
                    .expect("the example renders")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
