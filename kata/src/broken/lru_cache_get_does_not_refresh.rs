//! Broken: `get` finds the value but leaves the key where it was, so a key
//! read a moment ago is evicted as if nobody wanted it (the planted bug of
//! `testing/hypothesis-examples`, too). Caught by `get_refreshes_recency`.

use std::num::NonZeroUsize;

use crate::lru_cache::LruKata;

/// An LRU whose `get` forgets to count as a use.
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
        // BUG: no move to the front.
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        let displaced = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(i) => Some(self.entries.remove(i)),
            None if self.entries.len() == self.capacity => self.entries.pop(),
            None => None,
        };
        self.entries.insert(0, (key, value));
        displaced
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}
