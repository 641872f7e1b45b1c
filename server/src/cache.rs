//! A bounded map whose entries serve for a fixed time after they were stored.

use std::time::Duration;

/// Entries kept at most; the least recently used go first beyond it.
const CAPACITY: u64 = 200_000;

/// Values by key, each fresh for `ttl` after it was stored. Writers in this process
/// `forget` what they change; changes by other processes show once an entry expires.
///
/// Reads take no lock shared with other threads (moka), so the serving threads do not queue
/// behind one another on the proxy's path, and a store of many connections costs no more per
/// read than a store of one.
pub struct TtlCache<T> {
    /// `None` when the time to live is zero: nothing is cached.
    entries: Option<moka::sync::Cache<String, T>>,
}

impl<T: Clone + Send + Sync + 'static> TtlCache<T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            entries: (!ttl.is_zero()).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(CAPACITY)
                    .time_to_live(ttl)
                    .build()
            }),
        }
    }

    /// The value, while it is fresh.
    pub fn get(&self, key: &str) -> Option<T> {
        self.entries.as_ref()?.get(key)
    }

    pub fn put(&self, key: impl Into<String>, value: T) {
        if let Some(entries) = &self.entries {
            entries.insert(key.into(), value);
        }
    }

    pub fn forget(&self, key: &str) {
        if let Some(entries) = &self.entries {
            entries.invalidate(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = TtlCache::new(Duration::from_millis(50));
        cache.put("a", 1);
        cache.put("b", 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.forget("a");
        assert_eq!(cache.get("a"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("b"), None);
        let zero = TtlCache::new(Duration::ZERO);
        zero.put("c", 3);
        assert_eq!(zero.get("c"), None, "a zero TTL caches nothing");
    }
}
