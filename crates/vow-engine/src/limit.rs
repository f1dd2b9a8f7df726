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
    /// The bucket's own limit: one limiter holds keys of several limits (the privacy center's per
    /// address, per contact and per try), and a bucket is full only against its own.
    capacity: f64,
}

impl Bucket {
    /// How full the bucket would be at `now_ms` (1.0: full, as if never used).
    fn fill(&self, now_ms: i64) -> f64 {
        let refilled = self.tokens + (now_ms - self.at_ms).max(0) as f64 * self.capacity / 60_000.0;
        (refilled / self.capacity).min(1.0)
    }
}

/// Token buckets keyed by API key id: `per_minute` tokens, refilled evenly over a minute.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Keys remembered at most.
    tracked: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_capacity(MAX_TRACKED)
    }
}

impl RateLimiter {
    /// A limiter that remembers at most `tracked` keys. Past that, keys whose buckets are full again
    /// are forgotten (they would start full anyway); if none is, the fullest is — never a key that
    /// is being held back, so a flood of new keys cannot refill an attacker's bucket, nor grow the
    /// memory without bound.
    pub fn with_capacity(tracked: usize) -> RateLimiter {
        RateLimiter {
            buckets: Mutex::default(),
            tracked: tracked.max(1),
        }
    }

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
        if buckets.len() >= self.tracked && !buckets.contains_key(key) {
            buckets.retain(|_, b| b.fill(now_ms) < 1.0);
            if buckets.len() >= self.tracked {
                let fullest = buckets
                    .iter()
                    .max_by(|a, b| a.1.fill(now_ms).total_cmp(&b.1.fill(now_ms)))
                    .map(|(k, _)| k.clone());
                if let Some(fullest) = fullest {
                    buckets.remove(&fullest);
                }
            }
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            at_ms: now_ms,
            capacity,
        });
        bucket.capacity = capacity;
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
    fn a_flood_of_new_keys_never_refills_a_bucket_that_is_holding_back() {
        let limiter = RateLimiter::with_capacity(50);
        // A key of a large limit, used down to four tokens.
        for _ in 0..26 {
            limiter.take("attacker", 30, 0).unwrap();
        }
        // Many fresh keys of a small limit, each used a little, in the same instant.
        for i in 0..1_000 {
            let _ = limiter.take(&format!("flood-{i}"), 3, 0);
            assert!(limiter.buckets.lock().unwrap().len() <= 50);
        }
        let left = (0..30)
            .filter(|_| limiter.take("attacker", 30, 0).is_ok())
            .count();
        assert_eq!(left, 4, "the flood gave the attacker's bucket nothing back");
    }

    #[test]
    fn a_limit_of_zero_refuses_everything() {
        assert!(RateLimiter::default().take("key_a", 0, 0).is_err());
    }
}
