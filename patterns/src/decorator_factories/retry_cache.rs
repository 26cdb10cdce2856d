//! The retry + cache decorator, way 2: [`RetryCache`], a generic struct.
//!
//! The same behaviour as [`retry_cached`](super::retry_cached) — look up,
//! else call under the retry policy, keep successes — in a type with a name,
//! so it can be a field of another struct, count what it did, and sleep on
//! an injected clock in tests.

use std::fmt;
use std::hash::Hash;

use mastery_interview::lru_cache::{CapacityError, LruCache};
use mastery_interview::retry_backoff::{Backoff, BlockingTimer, RealTime, Retry, RetryError};

/// What a [`RetryCache`] did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryCacheStats {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the function (once or more).
    pub misses: u64,
    /// Times the function ran: first attempts and retries.
    pub attempts: u64,
    /// Misses whose every attempt failed.
    pub failures: u64,
}

/// A fallible function wrapped with a retry policy and an LRU cache of its
/// successes; `Tm` is the clock the retries sleep on.
///
/// ```
/// use std::time::Duration;
/// use mastery_interview::retry_backoff::{Backoff, ManualClock};
/// use mastery_patterns::decorator_factories::RetryCache;
///
/// let policy = Backoff::builder().max_attempts(3).build()?;
/// let mut fails_once = true;
/// let mut price = RetryCache::new(policy, 100, |sku: u32| {
///     if std::mem::take(&mut fails_once) { Err("timeout") } else { Ok(sku * 10) }
/// })?
/// .with_timer(ManualClock::new()); // retries sleep on a clock that only moves
/// assert_eq!(price.call(7), Ok(70)); // failed, retried, cached
/// assert_eq!(price.call(7), Ok(70)); // a hit: the function does not run
/// let stats = price.stats();
/// assert_eq!((stats.hits, stats.misses, stats.attempts), (1, 1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RetryCache<A, T, F, Tm = RealTime> {
    policy: Backoff,
    cache: LruCache<A, T>,
    function: F,
    timer: Tm,
    stats: RetryCacheStats,
}

impl<A, T, F, Tm> fmt::Debug for RetryCache<A, T, F, Tm> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryCache")
            .field("policy", &self.policy)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<A: Hash + Eq, T, F> RetryCache<A, T, F> {
    /// Wraps `function` with `policy` and a cache of `capacity` successes;
    /// retries sleep in real time.
    ///
    /// # Errors
    /// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
    pub fn new(policy: Backoff, capacity: usize, function: F) -> Result<Self, CapacityError> {
        Ok(RetryCache {
            policy,
            cache: LruCache::new(capacity)?,
            function,
            timer: RealTime,
            stats: RetryCacheStats::default(),
        })
    }
}

impl<A, T, F, Tm> RetryCache<A, T, F, Tm> {
    /// The same wrapper sleeping on `timer` (a `ManualClock` in tests).
    pub fn with_timer<Tm2: BlockingTimer>(self, timer: Tm2) -> RetryCache<A, T, F, Tm2> {
        RetryCache {
            policy: self.policy,
            cache: self.cache,
            function: self.function,
            timer,
            stats: self.stats,
        }
    }

    /// What the wrapper did so far.
    pub fn stats(&self) -> RetryCacheStats {
        self.stats
    }

    /// The retry policy.
    pub fn policy(&self) -> &Backoff {
        &self.policy
    }

    /// Successes cached now.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

impl<A, T, F, Tm> RetryCache<A, T, F, Tm>
where
    A: Hash + Eq + Clone,
    T: Clone,
    Tm: BlockingTimer,
{
    // ANCHOR: retry_cache_call
    /// Answers from the cache, or calls the function under the retry policy
    /// and caches a success.
    ///
    /// # Errors
    /// A [`RetryError`] with the last error when every attempt failed;
    /// nothing is cached then.
    pub fn call<E>(&mut self, arg: A) -> Result<T, RetryError<E>>
    where
        F: FnMut(A) -> Result<T, E>,
    {
        if let Some(hit) = self.cache.get(&arg) {
            self.stats.hits += 1;
            return Ok(hit.clone());
        }
        self.stats.misses += 1;
        // Split borrows: the retry loop borrows the timer, the attempt the
        // function and the counter.
        let RetryCache {
            policy,
            function,
            timer,
            stats,
            ..
        } = self;
        let result = Retry::new(*policy).timer(timer).call(|| {
            stats.attempts += 1;
            function(arg.clone())
        });
        match result {
            Ok(value) => {
                self.cache.put(arg, value.clone());
                Ok(value)
            }
            Err(error) => {
                self.stats.failures += 1;
                Err(error)
            }
        }
    }
    // ANCHOR_END: retry_cache_call
}
