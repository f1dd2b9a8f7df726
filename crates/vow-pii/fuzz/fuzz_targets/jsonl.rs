//! The jsonl reader: a clear error or a complete output, never a panic; with the keep operator an accepted
//! input comes back byte for byte.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

// Built once: compiling the word tables per input would make every run measure only that.
static SCANNER: OnceLock<vow_pii::Scanner> = OnceLock::new();
use vow_pii::formats::Format;
use vow_pii::{process, Job, Limits, Operator, Redactor, Scanner};

fuzz_target!(|data: &[u8]| {
    let scanner = SCANNER.get_or_init(|| Scanner::new().with_min_score(0.0));
    let limits = Limits {
        chunk_bytes: 64,
        max_record_bytes: 1 << 16,
        json_max_bytes: 1 << 20,
        json_max_depth: 1000,
    };
    for op in [Operator::Keep, Operator::Mask, Operator::Replace] {
        let redactor = Redactor::new(op);
        let job = Job {
            scanner: &scanner,
            redactor: Some(&redactor),
            collect: true,
            threads: 1, // threads are covered by the test suite; here they only confuse LeakSanitizer
            limits,
        };
        let mut out = Vec::new();
        if process(Format::Jsonl, &job, data, Some(&mut out), &|_| {}).is_ok()
            && op == Operator::Keep
        {
            assert_eq!(out, data);
        }
    }
});
