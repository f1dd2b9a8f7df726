//! What the format-reader fuzz targets share: run a reader over arbitrary bytes with each operator.
//! A reader must give a clear error or a complete output, never a panic; with the keep operator an
//! accepted input must come back byte for byte.

use std::sync::OnceLock;

use vow_pii::formats::Format;
use vow_pii::{process, Job, Limits, Operator, Redactor, Scanner};

// Built once: compiling the word tables per input would make every run measure only that.
static SCANNER: OnceLock<Scanner> = OnceLock::new();

pub fn round_trip(format: Format, data: &[u8]) {
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
            scanner,
            redactor: Some(&redactor),
            collect: true,
            threads: 1, // threads are covered by the test suite; here they only confuse LeakSanitizer
            limits,
        };
        let mut out = Vec::new();
        if process(format, &job, data, Some(&mut out), &|_| {}).is_ok() && op == Operator::Keep {
            assert_eq!(out, data);
        }
    }
}
