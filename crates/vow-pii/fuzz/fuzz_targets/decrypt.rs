//! Decrypting arbitrary text, whole or streamed: tokens that do not decrypt are errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = vow_pii::Key::from_material(&[7u8; 32]).expect("32 bytes is a valid key");
    let mut out = Vec::new();
    let _ = vow_pii::decrypt_tokens(&key, data, 0, &mut out);
    let mut streamed = Vec::new();
    let _ = vow_pii::decrypt_stream(&key, data, &mut streamed);
});
