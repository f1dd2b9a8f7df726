fn main() {
    let s = vow_pii::Scanner::new().with_min_score(0.0);
    for a in std::env::args().skip(1) {
        for f in s.scan(a.as_bytes()) {
            println!("{:?} {:?} {}", f.entity, &a[f.start..f.end], f.score);
        }
    }
}
