//! Every recognizer, through the one scanning pass: no panic, findings sorted, in bounds, not overlapping.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

// Built once: compiling the word tables per input would make every run measure only that.
static SCANNER: OnceLock<vow_pii::Scanner> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (ctx, text) = data.split_at(
        data.len()
            .min(data.first().map_or(0, |&b| usize::from(b % 16))),
    );
    let scanner = SCANNER.get_or_init(|| vow_pii::Scanner::new().with_min_score(0.0));
    let found = scanner.scan_with_context(text, ctx);
    let mut end = 0;
    for f in found {
        assert!(f.start >= end && f.start < f.end && f.end <= text.len());
        end = f.end;
    }
});
