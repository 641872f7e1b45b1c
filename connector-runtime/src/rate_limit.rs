//! Client-side rate limiting: at most `requests` requests in any `per_seconds` window.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use connector_defs::RateLimitDef;
use tokio::time::Instant;

/// A budget of `requests` requests per window, shared by everything holding the same `Arc`.
///
/// It is a sliding log: a request may start once the request `requests` places before it is at
/// least one window old. Unlike a token bucket (which lets up to twice the budget through in
/// one window after an idle period), no window of that length ever sees more than `requests`
/// requests, which is what providers' quotas count. [`RateLimiter::acquire`] waits for a slot
/// rather than failing; slots are handed out in call order.
pub struct RateLimiter {
    requests: usize,
    window: Duration,
    /// Start times of the last `requests` grants, oldest first (some may be in the future).
    grants: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// At most `requests` requests per `window`. `requests` of 0 is taken as 1.
    pub fn new(requests: u32, window: Duration) -> Self {
        let requests = requests.max(1) as usize;
        RateLimiter {
            requests,
            window,
            grants: Mutex::new(VecDeque::with_capacity(requests.min(1024))),
        }
    }

    /// The limiter a definition's `rate_limit` describes (a new one, shared by no one yet).
    pub fn from_def(def: &RateLimitDef) -> Self {
        RateLimiter::new(
            def.requests,
            Duration::from_secs(u64::from(def.per_seconds)),
        )
    }

    /// The process-wide limiter of connector `name`: every caller that passes the same name
    /// and limit gets the same limiter. This is what [`crate::RawClient`] uses for
    /// `scope: connector` (the default).
    pub fn shared(name: &str, def: &RateLimitDef) -> Arc<RateLimiter> {
        type Registry = Mutex<HashMap<(String, u32, u32), Arc<RateLimiter>>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let registry = REGISTRY.get_or_init(Default::default);
        let mut registry = registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Keyed by the limit as well, so that a definition reloaded with another limit gets
        // a limiter that enforces it.
        registry
            .entry((name.to_owned(), def.requests, def.per_seconds))
            .or_insert_with(|| Arc::new(RateLimiter::from_def(def)))
            .clone()
    }

    /// Waits until a request may start, and counts it. The slot is reserved when the call
    /// starts, so a future dropped while waiting still uses its slot.
    pub async fn acquire(&self) {
        let start = self.reserve(Instant::now());
        if start > Instant::now() {
            tracing::debug!(
                wait_ms = (start - Instant::now()).as_millis() as u64,
                "waiting for the rate limit"
            );
            tokio::time::sleep_until(start).await;
        }
    }

    /// Reserves the earliest slot at or after `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut grants = self
            .grants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let start = if grants.len() < self.requests {
            // Grants are in increasing order; a new one never starts before the last.
            grants.back().map_or(now, |last| now.max(*last))
        } else {
            let oldest = grants.pop_front().expect("the log is full");
            now.max(oldest + self.window)
        };
        grants.push_back(start);
        start
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("requests", &self.requests)
            .field("window", &self.window)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_window_holds_more_than_the_budget() {
        let limiter = RateLimiter::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        let starts: Vec<_> = (0..5).map(|_| limiter.reserve(t0) - t0).collect();
        let secs = |s: f64| Duration::from_secs_f64(s);
        assert_eq!(
            starts,
            [secs(0.0), secs(0.0), secs(1.0), secs(1.0), secs(2.0)]
        );
    }

    #[test]
    fn an_idle_limiter_grants_at_once() {
        let limiter = RateLimiter::new(1, Duration::from_millis(10));
        let t0 = Instant::now();
        assert_eq!(limiter.reserve(t0), t0);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(limiter.reserve(later), later);
    }
}
