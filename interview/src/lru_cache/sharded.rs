//! [`ShardedLruCache`]: a thread-safe LRU made of independent [`LruCache`]s,
//! each behind its own mutex, so two threads rarely wait for each other.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, MutexGuard, PoisonError};

use hashbrown::DefaultHashBuilder;

use super::cache::{CapacityError, LruCache, check_capacity};

/// A thread-safe LRU cache: `shards` independent [`LruCache`]s, each behind
/// its own mutex, chosen by the key's hash. LRU order is exact within a
/// shard and approximate across the whole cache.
pub struct ShardedLruCache<K, V, S = DefaultHashBuilder> {
    shards: Box<[Shard<K, V, S>]>,
    hasher: S,
    mask: u64,
}

/// Puts each shard on its own pair of cache lines (128 bytes covers the
/// adjacent-line prefetch of x86 and the 128-byte lines of Apple silicon),
/// so threads locking *different* shards never write to the same line —
/// without it, neighbouring mutexes share a line and every lock bounces it
/// between cores (false sharing).
#[repr(align(128))]
struct CacheLinePadded<T>(T);

type Shard<K, V, S> = CacheLinePadded<Mutex<LruCache<K, V, S>>>;

impl<K, V, S> fmt::Debug for ShardedLruCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedLruCache")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V: Clone> ShardedLruCache<K, V> {
    /// A cache of at least `capacity` entries, with four shards per CPU
    /// (rounded to a power of two, and never more shards than entries).
    ///
    /// # Errors
    /// As [`LruCache::new`].
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_shards(capacity, 4 * cpus)
    }

    /// A cache of at least `capacity` entries split over `shards` shards
    /// (rounded up to a power of two, at most `capacity`).
    ///
    /// ```
    /// # use mastery_interview::lru_cache::ShardedLruCache;
    /// let cache = ShardedLruCache::with_shards(1000, 8)?;
    /// std::thread::scope(|s| {
    ///     for t in 0..2u64 {
    ///         let cache = &cache;
    ///         s.spawn(move || for k in 0..100 { cache.put(t * 1000 + k, k); });
    ///     }
    /// });
    /// assert_eq!(cache.len(), 200);
    /// assert_eq!(cache.get(&1042), Some(42));
    /// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
    /// ```
    ///
    /// # Errors
    /// As [`LruCache::new`].
    pub fn with_shards(capacity: usize, shards: usize) -> Result<Self, CapacityError> {
        check_capacity(capacity)?;
        // At most 2^16 shards keeps the shard bits (32..48 of the hash) clear
        // of the bits hashbrown uses inside each shard (low bits pick the
        // bucket, the top 7 are the tag), so every shard's table stays well
        // spread.
        let shards = shards
            .clamp(1, capacity.min(1 << 16))
            .next_power_of_two()
            .min(1 << 16);
        let per_shard = capacity.div_ceil(shards);
        let hasher = DefaultHashBuilder::default();
        let shards = (0..shards)
            .map(|_| {
                LruCache::with_hasher(per_shard, hasher.clone())
                    .map(|c| CacheLinePadded(Mutex::new(c)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mask = shards.len() as u64 - 1;
        Ok(ShardedLruCache {
            shards: shards.into_boxed_slice(),
            hasher,
            mask,
        })
    }
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher> ShardedLruCache<K, V, S> {
    fn shard(&self, hash: u64) -> MutexGuard<'_, LruCache<K, V, S>> {
        // A poisoned lock is used anyway, on purpose. Keys are hashed before
        // the lock is taken; the user code that runs under it — a key's
        // `Eq` while probing, a value's `Clone` in `get`, `Drop` in `clear`
        // — runs only before the shard changes anything or after it is
        // done ("When user code runs" in `cache.rs`). So a thread that
        // panicked while holding the lock left the shard consistent, and
        // the test `a_shard_poisoned_by_a_panicking_eq_stays_consistent_and_in_use`
        // holds us to that.
        self.shards[((hash >> 32) & self.mask) as usize]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A clone of the value for `key`, marking it most recently used in its shard.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.shard(hash).get_hashed(hash, key).cloned()
    }

    /// Inserts `key`; returns the displaced entry as [`LruCache::put`] does.
    pub fn put(&self, key: K, value: V) -> Option<(K, V)> {
        let hash = self.hasher.hash_one(&key);
        self.shard(hash).put_hashed(hash, key, value)
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shard(self.hasher.hash_one(key)).remove(key)
    }

    /// Whether `key` is cached (recency unchanged).
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shard(self.hasher.hash_one(key)).contains(key)
    }

    /// Entries across all shards (a snapshot: other threads may change it).
    pub fn len(&self) -> usize {
        self.each_shard().map(|shard| shard.len()).sum()
    }

    /// Whether no shard holds an entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total capacity: shards × per-shard capacity (at least what was asked).
    pub fn capacity(&self) -> usize {
        self.each_shard().map(|shard| shard.capacity()).sum()
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Empties every shard.
    pub fn clear(&self) {
        for mut shard in self.each_shard() {
            shard.clear();
        }
    }

    /// Locks each shard in turn (never two at once).
    fn each_shard(&self) -> impl Iterator<Item = MutexGuard<'_, LruCache<K, V, S>>> {
        self.shards
            .iter()
            .map(|shard| shard.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
impl<K: Hash + Eq, V: Clone, S: BuildHasher> ShardedLruCache<K, V, S> {
    /// [`LruCache::check_invariants`] on every shard, poisoned or not.
    pub(super) fn check_invariants(&self) -> Result<(), String> {
        self.each_shard().enumerate().try_for_each(|(i, shard)| {
            shard
                .check_invariants()
                .map_err(|e| format!("shard {i}: {e}"))
        })
    }
}
