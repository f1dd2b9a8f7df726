//! The authentication layer: `Authorization: Bearer KEY` becomes a [`Caller`] in the request's
//! extensions, or the request ends here. Repeated failures from one address are slowed, then locked
//! out for a while (안전성 확보조치 기준 제5조: limit repeated failed access).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vow_engine::{Caller, Vault, MAX_REASON_BYTES};

use crate::error::ApiError;

/// The header in which a caller says why it accesses personal data; it goes into the access log.
pub const REASON_HEADER: &str = "x-vow-reason";
/// The header in which a caller names the purpose (a `[[purpose]]` key) it processes data for. A
/// purpose that rests on consent is checked against the subject's consent.
pub const PURPOSE_HEADER: &str = "x-vow-purpose";

/// Failures from one address before each further attempt is delayed.
const SLOW_AFTER: u32 = 3;
/// Failures from one address before it is locked out.
const LOCK_AFTER: u32 = 10;
const WINDOW: Duration = Duration::from_secs(10 * 60);
const LOCKOUT: Duration = Duration::from_secs(15 * 60);
const MAX_DELAY: Duration = Duration::from_secs(2);
/// Addresses remembered at most, so a flood of failures from ever new addresses cannot grow the table
/// without bound. When it is full, addresses whose failures have expired go first, then those with
/// the fewest failures that are not locked out; a locked-out address is never forgotten before its
/// lockout ends, so a flood from other addresses cannot unlock it. Forgetting an unlocked address
/// gives it no more than a new address has anyway (a fresh count below the lockout).
const MAX_TRACKED: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

impl Failures {
    /// Neither counting (its window is over) nor locked out: forgetting it changes nothing.
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.first) > WINDOW && self.locked_until.is_none_or(|u| u <= now)
    }

    fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|u| u > now)
    }
}

/// Failed authentications per source — an address for API keys, an address and account for the
/// console's sign-in — at most `capacity` of them.
#[derive(Debug)]
pub struct Lockout<K = IpAddr> {
    by_address: Mutex<HashMap<K, Failures>>,
    capacity: usize,
}

impl<K> Default for Lockout<K> {
    fn default() -> Lockout<K> {
        Lockout::with_capacity(MAX_TRACKED)
    }
}

pub(crate) enum Verdict {
    Proceed { delay: Duration },
    Locked { retry_after: Duration },
}

impl<K> Lockout<K> {
    fn with_capacity(capacity: usize) -> Lockout<K> {
        Lockout {
            by_address: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy + std::fmt::Display> Lockout<K> {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        match self.by_address.lock() {
            Ok(table) => table,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn verdict(&self, address: K, now: Instant) -> Verdict {
        let table = self.table();
        let Some(failures) = table.get(&address) else {
            // A table full of addresses still counting or locked out is a flood of failures from
            // many addresses: one it cannot remember waits the longest delay, as a locked one does.
            let full = table.len() >= self.capacity
                && !table.values().any(|f| f.expired(now) || !f.locked(now));
            return Verdict::Proceed {
                delay: if full { MAX_DELAY } else { Duration::ZERO },
            };
        };
        if let Some(until) = failures.locked_until {
            if until > now {
                return Verdict::Locked {
                    retry_after: until - now,
                };
            }
        }
        if now.duration_since(failures.first) > WINDOW || failures.count < SLOW_AFTER {
            return Verdict::Proceed {
                delay: Duration::ZERO,
            };
        }
        let doublings = (failures.count - SLOW_AFTER).min(10);
        Verdict::Proceed {
            delay: (Duration::from_millis(100) * 2u32.pow(doublings)).min(MAX_DELAY),
        }
    }

    pub(crate) fn failed(&self, address: K, now: Instant) {
        let mut table = self.table();
        if !table.contains_key(&address) && table.len() >= self.capacity {
            table.retain(|_, f| !f.expired(now));
            if table.len() >= self.capacity {
                // Make room for a tenth of the table at once, so a flood does not pay for this
                // on every failure: the unlocked addresses with the fewest failures, oldest first.
                let mut unlocked: Vec<(u32, Instant, K)> = table
                    .iter()
                    .filter(|(_, f)| !f.locked(now))
                    .map(|(a, f)| (f.count, f.first, *a))
                    .collect();
                unlocked.sort_unstable_by_key(|(count, first, _)| (*count, *first));
                let target = self.capacity - self.capacity / 10 - 1;
                let excess = table.len().saturating_sub(target);
                for (_, _, forgotten) in unlocked.into_iter().take(excess) {
                    table.remove(&forgotten);
                }
            }
            if table.len() >= self.capacity {
                // Every address remembered is locked out: this one is not counted (the verdict
                // slows it instead), and none of them is forgotten.
                return;
            }
        }
        let entry = table.entry(address).or_insert(Failures {
            count: 0,
            first: now,
            locked_until: None,
        });
        if entry.expired(now) {
            *entry = Failures {
                count: 0,
                first: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= LOCK_AFTER {
            entry.locked_until = Some(now + LOCKOUT);
            tracing::warn!(%address, "locked out after repeated failed authentication");
        }
    }
}

/// The layer's function: authenticate, or answer 401 / 429 / 400.
///
/// The key is checked first: a valid key is never refused because others failed from the same
/// address (behind a proxy or NAT that address is everyone's). Only a missing or wrong key meets the
/// lockout: slowed after a few failures, then refused outright while the address is locked.
pub async fn authenticate(
    State(vault): State<Arc<Vault>>,
    State(lockout): State<Arc<Lockout>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = peer.ip();
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            let (scheme, credentials) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(credentials)
        })
        .map(str::trim);
    let authenticated = match secret {
        Some(secret) => match vault.authenticate(secret).await {
            Ok(principal) => Some(principal),
            Err(vow_engine::VaultError::Unauthenticated) => None,
            Err(other) => return ApiError::from(other).into_response(),
        },
        None => None,
    };
    let Some(principal) = authenticated else {
        return refuse(&lockout, crate::limits::counted_as(address)).await;
    };
    let reason = match reason(&request) {
        Ok(reason) => reason,
        Err(error) => return error.into_response(),
    };
    let purpose = match purpose(&request) {
        Ok(purpose) => purpose,
        Err(error) => return error.into_response(),
    };
    request.extensions_mut().insert(Caller {
        key_id: principal.key_id,
        role: principal.role,
        source: address.to_string(),
        reason,
        purpose,
    });
    next.run(request).await
}

/// A failed authentication: counted against the address, answered 429 while it is locked out and
/// 401 (after the slow-down) otherwise.
async fn refuse(lockout: &Lockout, address: IpAddr) -> Response {
    match lockout.verdict(address, Instant::now()) {
        Verdict::Locked { retry_after } => {
            // The key was checked (a valid one must pass), so guessing goes on; each wrong guess
            // from a locked address waits the longest delay, which with the cap on one address's
            // connections bounds how fast it can go.
            tokio::time::sleep(MAX_DELAY).await;
            return ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked_out",
                "too many failed authentications from this address",
            )
            .hint("wait, then retry with a valid key")
            .retry_after(retry_after.as_secs())
            .into_response();
        }
        Verdict::Proceed { delay } if !delay.is_zero() => tokio::time::sleep(delay).await,
        Verdict::Proceed { .. } => {}
    }
    lockout.failed(address, Instant::now());
    ApiError::unauthenticated().into_response()
}

/// A header that may appear once: a second one (`x-vow-purpose: contract` then
/// `x-vow-purpose: marketing`) would let a check read one and the log another.
fn single<'r>(
    request: &'r Request,
    name: &str,
) -> Result<Option<&'r axum::http::HeaderValue>, ApiError> {
    let mut values = request.headers().get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "repeated_header",
            format!("the {name} header may be sent once"),
        )
        .hint("state one purpose (or reason) per request"));
    }
    Ok(first)
}

fn reason(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = single(request, REASON_HEADER)? else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_reason",
            format!(
                "the {REASON_HEADER} header must be UTF-8 text without control characters, at most {MAX_REASON_BYTES} bytes"
            ),
        )
    };
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| invalid())?;
    if text.len() > MAX_REASON_BYTES || text.chars().any(char::is_control) {
        return Err(invalid());
    }
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_string()))
}

fn purpose(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = single(request, PURPOSE_HEADER)? else {
        return Ok(None);
    };
    let text = std::str::from_utf8(value.as_bytes())
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 100 && !t.chars().any(char::is_control))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_purpose",
                format!("the {PURPOSE_HEADER} header must name a purpose of the policy (a [[purpose]] key, at most 100 bytes)"),
            )
        })?;
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_then_lock_out_then_expire() {
        let lockout = Lockout::<IpAddr>::default();
        let address: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        for _ in 0..SLOW_AFTER {
            lockout.failed(address, now);
        }
        assert!(matches!(
            lockout.verdict(address, now),
            Verdict::Proceed { delay } if delay == Duration::from_millis(100)
        ));
        for _ in SLOW_AFTER..LOCK_AFTER {
            lockout.failed(address, now);
        }
        assert!(matches!(
            lockout.verdict(address, now),
            Verdict::Locked { .. }
        ));
        assert!(matches!(
            lockout.verdict(address, now + LOCKOUT + Duration::from_secs(1)),
            Verdict::Proceed { .. }
        ));
    }

    #[test]
    fn another_address_is_not_punished() {
        let lockout = Lockout::<IpAddr>::default();
        let now = Instant::now();
        for _ in 0..LOCK_AFTER {
            lockout.failed([192, 0, 2, 1].into(), now);
        }
        assert!(matches!(
            lockout.verdict([192, 0, 2, 2].into(), now),
            Verdict::Proceed { delay } if delay.is_zero()
        ));
    }

    #[test]
    fn many_addresses_leave_a_bounded_table_and_never_unlock_a_locked_one() {
        let capacity = 100;
        let lockout = Lockout::<IpAddr>::with_capacity(capacity);
        let now = Instant::now();
        let attacker: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..LOCK_AFTER {
            lockout.failed(attacker, now);
        }
        // A flood of failures, each from a new address, within the window.
        for i in 0..10_000u32 {
            let address: IpAddr = std::net::Ipv6Addr::from(u128::from(i) << 64).into();
            lockout.failed(address, now + Duration::from_millis(u64::from(i)));
            assert!(lockout.table().len() <= capacity);
        }
        assert!(matches!(
            lockout.verdict(attacker, now + Duration::from_secs(10)),
            Verdict::Locked { .. }
        ));
        // Once their windows are over, the quiet ones are dropped when room is needed, and the
        // locked one stays.
        let later = now + WINDOW + Duration::from_secs(20);
        for i in 0..capacity as u32 {
            lockout.failed(std::net::Ipv4Addr::from(0x0a00_0000 + i).into(), later);
        }
        let table = lockout.table();
        assert!(table.len() <= capacity);
        assert!(table.contains_key(&attacker));
        assert!(table
            .iter()
            .all(|(a, f)| *a == attacker || f.first == later));
    }

    #[test]
    fn a_table_full_of_locked_addresses_slows_the_ones_it_cannot_remember() {
        let lockout = Lockout::<IpAddr>::with_capacity(3);
        let now = Instant::now();
        for last in 1..=3u8 {
            for _ in 0..LOCK_AFTER {
                lockout.failed([192, 0, 2, last].into(), now);
            }
        }
        let newcomer: IpAddr = [198, 51, 100, 1].into();
        lockout.failed(newcomer, now);
        assert_eq!(lockout.table().len(), 3);
        for last in 1..=3u8 {
            assert!(matches!(
                lockout.verdict([192, 0, 2, last].into(), now),
                Verdict::Locked { .. }
            ));
        }
        assert!(matches!(
            lockout.verdict(newcomer, now),
            Verdict::Proceed { delay } if delay == MAX_DELAY
        ));
        // When the lockouts end, the table has room again and nobody is slowed for it.
        let later = now + LOCKOUT + Duration::from_secs(1);
        assert!(matches!(
            lockout.verdict(newcomer, later),
            Verdict::Proceed { delay } if delay.is_zero()
        ));
    }
}
