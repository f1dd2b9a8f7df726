//! Per-key rate limits on operations that could be used to guess values (lookups): a token bucket per
//! key, on the injected clock.

use std::collections::HashMap;
use std::sync::Mutex;

/// Keys remembered at most; beyond this, buckets that are full again are forgotten first.
const MAX_TRACKED: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// Token buckets keyed by API key id: `per_minute` tokens, refilled evenly over a minute.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Takes one token for `key` at `now_ms`; `Err(wait_ms)` when there is none, with how long until
    /// there is.
    pub fn take(&self, key: &str, per_minute: u32, now_ms: i64) -> Result<(), i64> {
        if per_minute == 0 {
            return Err(60_000);
        }
        let capacity = f64::from(per_minute);
        let per_ms = capacity / 60_000.0;
        let mut buckets = match self.buckets.lock() {
            Ok(buckets) => buckets,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(key) {
            buckets.retain(|_, b| b.tokens + (now_ms - b.at_ms).max(0) as f64 * per_ms < capacity);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * per_ms).min(capacity);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_ms).ceil() as i64)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn a_burst_up_to_the_limit_passes_then_one_token_per_interval() {
        let limiter = RateLimiter::default();
        for _ in 0..60 {
            assert!(limiter.take("key_a", 60, 0).is_ok());
        }
        let wait = limiter.take("key_a", 60, 0).unwrap_err();
        assert!((990..=1_000).contains(&wait), "{wait}");
        assert!(limiter.take("key_a", 60, 500).is_err());
        assert!(limiter.take("key_a", 60, 1_000).is_ok());
        assert!(limiter.take("key_a", 60, 1_000).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let limiter = RateLimiter::default();
        for _ in 0..5 {
            limiter.take("key_a", 5, 0).unwrap();
        }
        assert!(limiter.take("key_a", 5, 0).is_err());
        assert!(limiter.take("key_b", 5, 0).is_ok());
    }

    #[test]
    fn a_limit_of_zero_refuses_everything() {
        assert!(RateLimiter::default().take("key_a", 0, 0).is_err());
    }
}
