//! A bounded map whose entries serve for a fixed time after they were stored, or until they
//! are forgotten.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entries kept at most; the least recently used go first beyond it.
const CAPACITY: u64 = 200_000;

/// Values by key, each fresh for `ttl` after it was stored. Writers `forget` what they
/// change, and so does the change feed for other processes' writes (`crate::changes`).
///
/// A value read from the database is stored with [`TtlCache::put_unless_changed`], so that a
/// read that began before a change and ends after it cannot store the old value back.
///
/// Reads take no lock shared with other threads (moka), so the serving threads do not queue
/// behind one another on the proxy's path, and a store of many connections costs no more per
/// read than a store of one.
pub struct TtlCache<T> {
    /// `None` when the time to live is zero: nothing is cached.
    entries: Option<moka::sync::Cache<String, T>>,
    /// Counts the entries forgotten: a read that saw it move may be stale.
    changes: AtomicU64,
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
            changes: AtomicU64::new(0),
        }
    }

    /// What to pass to [`TtlCache::put_unless_changed`]: taken before reading the value.
    pub fn version(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Stores a value read after [`TtlCache::version`] answered `version`, unless something
    /// was forgotten since (then the value may predate that change, and is not kept).
    pub fn put_unless_changed(&self, key: impl Into<String>, value: T, version: u64) {
        let Some(entries) = &self.entries else {
            return;
        };
        let key = key.into();
        entries.insert(key.clone(), value);
        // Checked after the insert: `forget` counts before it removes, so whichever order the
        // two run in, a stale value does not stay.
        if self.changes.load(Ordering::SeqCst) != version {
            entries.invalidate(&key);
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
        self.changes.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.invalidate(key);
        }
    }

    /// Forgets every entry (when changes may have gone unseen).
    pub fn forget_all(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
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
        cache.forget_all();
        let zero = TtlCache::new(Duration::ZERO);
        zero.put("c", 3);
        assert_eq!(zero.get("c"), None, "a zero TTL caches nothing");
    }

    #[test]
    fn a_value_read_before_a_change_is_not_kept() {
        let cache = TtlCache::new(Duration::from_secs(60));
        let before = cache.version();
        cache.forget("other");
        cache.put_unless_changed("a", 1, before);
        assert_eq!(cache.get("a"), None, "read before a change: not kept");
        cache.put_unless_changed("a", 2, cache.version());
        assert_eq!(cache.get("a"), Some(2));
        cache.put("b", 3);
        cache.forget_all();
        assert_eq!((cache.get("a"), cache.get("b")), (None, None));
    }
}
