// Kata lru-cache: an LRU cache with O(1) `get` and `put`.
//
// Fill in the `todo!()`s (README.md says what each must do), then run
// `cargo test`: the kit's own tests run against your `Lru`. When they pass,
// `mastery kata check` places your cache on the kit's ladder.
//
// Keep the names `Lru`, `new`, `get`, `put` and `len`, and the bounds of the
// `impl` line: the tests use your cache with `u8`, `u32` and `String` keys.

use std::hash::Hash;
use std::marker::PhantomData;
use std::num::NonZeroUsize;

pub use mastery_kata::lru_cache::LruKata;

/// Your cache: at most `capacity` entries; when full, a `put` of a new key
/// evicts the least recently used one.
#[derive(Debug)]
pub struct Lru<K, V> {
    // Replace this with your fields.
    entries: PhantomData<(K, V)>,
}

impl<K: Hash + Eq + Clone, V> LruKata<K, V> for Lru<K, V> {
    /// An empty cache holding at most `capacity` entries.
    fn new(capacity: NonZeroUsize) -> Self {
        todo!("Lru::new")
    }

    /// The value for `key`, marking `key` most recently used; `None` (and
    /// no change) when absent.
    fn get(&mut self, key: &K) -> Option<&V> {
        todo!("Lru::get")
    }

    /// Inserts `key` as the most recently used entry. Returns what it
    /// displaced: `Some((key, old_value))` when `key` was present, else the
    /// least recently used entry when the cache was full, else `None`.
    fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        todo!("Lru::put")
    }

    /// The number of entries (never more than the capacity).
    fn len(&self) -> usize {
        todo!("Lru::len")
    }
}
