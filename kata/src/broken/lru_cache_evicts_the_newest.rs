//! Broken: when full, `put` evicts the entry at the wrong end of the
//! recency list — the most recently used one, which is the next most likely
//! to be wanted. Caught by `eviction_reports_the_least_recently_used_entry`.

use std::num::NonZeroUsize;

use crate::lru_cache::LruKata;

/// An LRU that evicts its most recently used entry.
#[derive(Debug)]
pub struct BrokenLru<K, V> {
    /// Most recently used first.
    entries: Vec<(K, V)>,
    capacity: usize,
}

impl<K: PartialEq, V> LruKata<K, V> for BrokenLru<K, V> {
    fn new(capacity: NonZeroUsize) -> Self {
        BrokenLru {
            entries: Vec::new(),
            capacity: capacity.get(),
        }
    }

    fn get(&mut self, key: &K) -> Option<&V> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(i);
        self.entries.insert(0, entry);
        self.entries.first().map(|(_, v)| v)
    }

    fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        let displaced = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(i) => Some(self.entries.remove(i)),
            // BUG: the front is the most recently used end.
            None if self.entries.len() == self.capacity => Some(self.entries.remove(0)),
            None => None,
        };
        self.entries.insert(0, (key, value));
        displaced
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}
