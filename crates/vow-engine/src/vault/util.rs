//! Small helpers every capability uses: ids, short names in errors, lists, text checks.

use vow_store::*;

use crate::vault::*;

pub(crate) fn unexpected(outcome: Outcome) -> VaultError {
    VaultError::Store(StoreError::Corrupt {
        table: "answer",
        reason: format!("unexpected store answer {outcome:?}"),
    })
}

pub(crate) fn with_reason(what: String, reason: &Option<String>) -> String {
    match reason {
        Some(reason) => format!("{what}: {reason}"),
        None => what,
    }
}

pub(crate) fn validate_text(what: &'static str, text: &str, max: usize) -> Result<(), VaultError> {
    if text.is_empty() {
        return Err(VaultError::Invalid {
            what,
            why: "empty".into(),
        });
    }
    if text.len() > max {
        return Err(VaultError::Invalid {
            what,
            why: format!("{} bytes, more than the {max} allowed", text.len()),
        });
    }
    if text.contains('\0') {
        return Err(VaultError::Invalid {
            what,
            why: "contains a NUL character".into(),
        });
    }
    Ok(())
}

/// Names echoed in errors are cut short: an error must not become a way to reflect large input.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub(crate) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

/// A random identifier with a readable prefix: `sub_…` for subjects, `key_…` for API keys.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Without the operating system's randomness no key could be made either.
        std::process::abort();
    }
    format!("{prefix}_{}", hex::encode(bytes))
}

/// A time for a message, as RFC 3339 in UTC.
pub(crate) fn rfc3339(at_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at_ms.to_string())
}
