use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vow_audit::{chain, checkpoint, verify, Action, Entry, NewEntry};
use vow_crypto::AuditSigner;

fn new_entry(i: u64) -> NewEntry {
    NewEntry {
        at_ms: 1_764_000_000_000 + i as i64 * 1000,
        key_id: "key_support_01".into(),
        role: "support".into(),
        source: "203.0.113.7".into(),
        subject_id: Some(format!("sub_{i:08}")),
        action: Action::Read,
        categories: vec!["user.contact.email".into(), "user.contact.phone".into()],
        reason: Some("ticket 4821".into()),
    }
}

fn build(n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let e = chain(out.last(), new_entry(i));
        out.push(e);
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(1));
    let prev = build(1).remove(0);
    g.bench_function("chain (1 entry)", |b| {
        b.iter_batched(
            || new_entry(1),
            |n| chain(Some(&prev), n),
            BatchSize::SmallInput,
        )
    });
    let signer = AuditSigner::generate();
    g.bench_function("checkpoint (sign)", |b| {
        b.iter(|| checkpoint(&prev, &signer))
    });

    let log = build(10_000);
    let cps = vec![checkpoint(&log[log.len() - 1], &signer)];
    let verifier = signer.verifying_key();
    g.throughput(Throughput::Elements(log.len() as u64));
    g.bench_function("verify 10k entries", |b| {
        b.iter(|| verify(log.iter().cloned().map(Ok::<_, ()>), &cps, &verifier).expect("verify"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
