use criterion::{criterion_group, criterion_main, Criterion};
use vow_crypto::{Binding, KeyRing};

fn bench(c: &mut Criterion) {
    let ring = KeyRing::generate();
    let (key, wrapped) = ring.new_data_key("subject-1").expect("data key");
    let binding = Binding {
        subject_id: "subject-1",
        category: "user.contact.email",
    };
    let value = [7u8; 32];

    c.bench_function("seal+open 32 B", |b| {
        b.iter(|| {
            let sealed = key
                .seal(std::hint::black_box(&value), &binding)
                .expect("seal");
            key.open(&sealed, &binding).expect("open")
        })
    });
    c.bench_function("new_data_key+unwrap", |b| {
        b.iter(|| {
            let (_, w) = ring.new_data_key("subject-1").expect("data key");
            ring.unwrap_key(&w, "subject-1").expect("unwrap")
        })
    });
    c.bench_function("unwrap", |b| {
        b.iter(|| ring.unwrap_key(&wrapped, "subject-1").expect("unwrap"))
    });
    c.bench_function("blind_index email", |b| {
        b.iter(|| {
            ring.blind_index(
                "user.contact.email",
                std::hint::black_box(" Kim@Example.com "),
            )
        })
    });
    let mut slow = c.benchmark_group("argon2id");
    slow.sample_size(10);
    let phc = vow_crypto::hash_secret("correct horse battery staple").expect("hash");
    slow.bench_function("hash_secret (m=19456,t=2,p=1)", |b| {
        b.iter(|| vow_crypto::hash_secret("pw").expect("hash"))
    });
    slow.bench_function("verify_secret", |b| {
        b.iter(|| vow_crypto::verify_secret(&phc, "correct horse battery staple"))
    });
    slow.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
