//! Fuzz `vow_policy::check`: any bytes must give a report, never a panic, and a policy that parses must
//! survive a diff against itself with no changes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = vow_policy::check(data, "fuzz.toml");
    let _ = outcome.to_text();
    let _ = outcome.to_json();
    if let Some(policy) = &outcome.policy {
        let d = vow_policy::diff(policy, policy);
        assert!(
            d.changes.is_empty(),
            "a policy differs from itself: {:?}",
            d.changes
        );
    }
});
