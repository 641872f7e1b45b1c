//! A small map whose entries serve for a fixed time after they were stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each fresh for `ttl` after it was stored. Writers in this process
/// `forget` what they change; changes by other processes show once an entry expires.
pub struct TtlCache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, T)>>,
}

impl<T: Clone> TtlCache<T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value, while it is fresh.
    pub fn get(&self, key: &str) -> Option<T> {
        let entries = self.entries.lock().unwrap();
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn put(&self, key: impl Into<String>, value: T) {
        let mut entries = self.entries.lock().unwrap();
        // Expired entries go as new ones come, so the map holds what was used lately.
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        entries.insert(key.into(), (Instant::now(), value));
    }

    pub fn forget(&self, key: &str) {
        self.entries.lock().unwrap().remove(key);
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
