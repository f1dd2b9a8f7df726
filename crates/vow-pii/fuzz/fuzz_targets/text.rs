//! The text reader over arbitrary bytes (see `round_trip` in src/lib.rs for what must hold).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vow_pii_fuzz::round_trip(vow_pii::formats::Format::Text, data));
