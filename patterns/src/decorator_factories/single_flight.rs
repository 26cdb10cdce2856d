//! [`SingleFlight`]: one computation per key however many callers wait for
//! it; and [`PlainCache`], check-then-compute, which lets a herd through.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mastery_interview::lru_cache::{CapacityError, LruCache};
use tokio::sync::OnceCell;

/// An async cache in which concurrent callers of one key share a single
/// computation: the first caller runs it, the others await its result.
///
/// Each key maps to an `Arc<OnceCell<V>>` in an LRU of `capacity` keys.
/// A caller takes the cell under a short lock, releases the lock, and
/// awaits `OnceCell::get_or_try_init`, which runs at most one
/// initialization at a time. So:
/// - while a computation runs, later callers wait for it instead of
///   starting their own;
/// - a failed computation caches nothing: the next waiter runs its own
///   (one at a time, never two at once for a key);
/// - a caller dropped while computing hands the key to the next waiter.
///
/// Evicting a key whose computation still runs lets a new caller start a
/// second one: size the cache above the keys in flight at once.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use mastery_patterns::decorator_factories::SingleFlight;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = SingleFlight::new(100)?;
/// let calls = AtomicU32::new(0);
/// let fetch = || async {
///     calls.fetch_add(1, Ordering::Relaxed);
///     tokio::task::yield_now().await; // the others arrive meanwhile
///     Ok::<_, std::io::Error>("value")
/// };
/// let (a, b, c) = tokio::join!(
///     cache.get_or_try_compute("key", fetch),
///     cache.get_or_try_compute("key", fetch),
///     cache.get_or_try_compute("key", fetch),
/// );
/// assert_eq!((a?, b?, c?), ("value", "value", "value"));
/// assert_eq!(calls.load(Ordering::Relaxed), 1);
/// # Ok(()) }
/// ```
pub struct SingleFlight<K, V> {
    cells: Mutex<LruCache<K, Arc<OnceCell<V>>>>,
}

impl<K, V> fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

/// The lock around an LRU. Its methods do not panic midway, so a panic
/// elsewhere cannot leave it in a state later callers would misread.
fn lock<K, V>(cache: &Mutex<LruCache<K, V>>) -> MutexGuard<'_, LruCache<K, V>> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K: Hash + Eq + Clone, V: Clone> SingleFlight<K, V> {
    /// A cache of up to `capacity` keys (values and computations in flight).
    ///
    /// # Errors
    /// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Ok(SingleFlight {
            cells: Mutex::new(LruCache::new(capacity)?),
        })
    }

    // ANCHOR: single_flight
    /// The value for `key`: cached, or computed by `compute` — by this
    /// caller, or by the caller already computing it, whose result this one
    /// awaits.
    ///
    /// # Errors
    /// `compute`'s error, when this caller's own computation failed.
    pub async fn get_or_try_compute<E, F, Fut>(&self, key: K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = self.cell(key);
        cell.get_or_try_init(compute).await.cloned()
    }

    /// The key's cell, made if absent; the lock is held only for this.
    fn cell(&self, key: K) -> Arc<OnceCell<V>> {
        let mut cells = lock(&self.cells);
        if let Some(cell) = cells.get(&key) {
            return Arc::clone(cell);
        }
        let cell = Arc::new(OnceCell::new());
        cells.put(key, Arc::clone(&cell));
        cell
    }
    // ANCHOR_END: single_flight

    /// Keys held now, computed or in flight.
    pub fn len(&self) -> usize {
        lock(&self.cells).len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        lock(&self.cells).is_empty()
    }
}

/// An async cache that checks, computes and then inserts — `lru_cache`'s
/// behaviour under threads: every caller that misses before the first
/// result lands computes the value itself. The peer of [`SingleFlight`].
pub struct PlainCache<K, V> {
    values: Mutex<LruCache<K, V>>,
}

impl<K, V> fmt::Debug for PlainCache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainCache").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V: Clone> PlainCache<K, V> {
    /// A cache of up to `capacity` values.
    ///
    /// # Errors
    /// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Ok(PlainCache {
            values: Mutex::new(LruCache::new(capacity)?),
        })
    }

    /// The cached value for `key`, or `compute`'s, which is then cached.
    ///
    /// # Errors
    /// `compute`'s error; nothing is cached then.
    pub async fn get_or_try_compute<E, F, Fut>(&self, key: K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(hit) = lock(&self.values).get(&key).cloned() {
            return Ok(hit);
        }
        // No lock held while computing: that is the point, and the herd.
        let value = compute().await?;
        lock(&self.values).put(key, value.clone());
        Ok(value)
    }

    /// Values held now.
    pub fn len(&self) -> usize {
        lock(&self.values).len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        lock(&self.values).is_empty()
    }
}
