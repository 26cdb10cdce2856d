//! Broken: `put` of a key already present adds a second entry instead of
//! replacing the first: the old value is never returned, and a stale
//! duplicate takes the place of a live entry. Caught by
//! `put_of_a_present_key_replaces_and_refreshes`.

use std::num::NonZeroUsize;

use crate::lru_cache::LruKata;

/// An LRU that treats every `put` as a new key.
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
        // BUG: no lookup of `key` first: a present key gets a second entry.
        let displaced = if self.entries.len() == self.capacity {
            self.entries.pop()
        } else {
            None
        };
        self.entries.insert(0, (key, value));
        displaced
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}
