//! Each validator on arbitrary bytes: no panic (they are also called on digit strings only by the scanner).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vow_pii::validate::*;

fuzz_target!(|data: &[u8]| {
    let _ = luhn(data);
    let _ = card_issuer_known(data);
    let _ = rrn_date_valid(data);
    let _ = rrn_checksum(data);
    let _ = frn_checksum(data);
    let _ = brn_checksum(data);
    let _ = ssn_valid(data);
    let _ = iban_valid(data);
    let _ = kr_phone_prefix(data);
});
