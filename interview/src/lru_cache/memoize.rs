//! [`memoize`] and [`memoize_recursive`]: the `functools.lru_cache`
//! decorator as a value that wraps a function and an [`LruCache`].

use std::fmt;
use std::hash::Hash;

use super::cache::{CapacityError, LruCache};

/// Hit and miss counts, like `functools`' `cache_info()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheInfo {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the function.
    pub misses: u64,
    /// The cache's capacity (`maxsize`).
    pub capacity: usize,
    /// Entries cached now (`currsize`).
    pub len: usize,
}

/// A function that recurses through a callback instead of calling itself, so
/// a cache can sit between the calls: `|recurse, n| ... recurse(n - 1) ...`.
/// Implemented for every such closure.
pub trait Recursive<A, R>: Fn(&mut dyn FnMut(A) -> R, A) -> R {}

impl<A, R, F: Fn(&mut dyn FnMut(A) -> R, A) -> R> Recursive<A, R> for F {}

/// A function wrapped with an LRU cache of its results; made by [`memoize`]
/// or [`memoize_recursive`].
pub struct Memoized<A, R, F> {
    cache: LruCache<A, R>,
    function: F,
    hits: u64,
    misses: u64,
}

impl<A, R, F> fmt::Debug for Memoized<A, R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memoized")
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish_non_exhaustive()
    }
}

// ANCHOR: memoize
/// Wraps `function` with an LRU cache of `capacity` results.
///
/// ```
/// # use mastery_interview::lru_cache::memoize;
/// let mut square = memoize(16, |x: u64| x * x)?;
/// assert_eq!(square.call(12), 144);
/// assert_eq!(square.call(12), 144);
/// assert_eq!((square.info().hits, square.info().misses), (1, 1));
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
///
/// # Errors
/// As [`LruCache::new`].
pub fn memoize<A, R>(
    capacity: usize,
    function: impl Fn(A) -> R,
) -> Result<Memoized<A, R, impl Recursive<A, R>>, CapacityError>
where
    A: Hash + Eq + Clone,
    R: Clone,
{
    memoize_recursive(capacity, move |_recurse: &mut dyn FnMut(A) -> R, arg: A| {
        function(arg)
    })
}
// ANCHOR_END: memoize

/// Wraps a recursive `function`, which receives a `recurse` callback to call
/// instead of itself, so that inner calls hit the cache too — what decorating
/// a recursive function with `@lru_cache` does in Python.
///
/// ```
/// # use mastery_interview::lru_cache::memoize_recursive;
/// let mut fib = memoize_recursive(128, |fib, n: u64| if n < 2 { n } else { fib(n - 1) + fib(n - 2) })?;
/// assert_eq!(fib.call(90), 2_880_067_194_370_816_120);
/// assert_eq!(fib.info().misses, 91); // each n computed once
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
///
/// # Errors
/// As [`LruCache::new`].
pub fn memoize_recursive<A, R, F>(
    capacity: usize,
    function: F,
) -> Result<Memoized<A, R, F>, CapacityError>
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    Ok(Memoized {
        cache: LruCache::new(capacity)?,
        function,
        hits: 0,
        misses: 0,
    })
}

impl<A, R, F> Memoized<A, R, F>
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    /// Calls the function, or answers from the cache.
    pub fn call(&mut self, arg: A) -> R {
        let Memoized {
            cache,
            function,
            hits,
            misses,
        } = self;
        call_cached(function, cache, hits, misses, arg)
    }

    /// Hits, misses, capacity and current size.
    pub fn info(&self) -> CacheInfo {
        CacheInfo {
            hits: self.hits,
            misses: self.misses,
            capacity: self.cache.capacity(),
            len: self.cache.len(),
        }
    }

    /// Empties the cache and resets the statistics (`cache_clear()`).
    pub fn clear(&mut self) {
        self.cache.clear();
        self.hits = 0;
        self.misses = 0;
    }
}

/// One call through the cache. A free function over the split-up fields,
/// not a method: the `recurse` callback it hands to `function` must borrow
/// the cache and the counters mutably while `function` itself is borrowed.
fn call_cached<A, R, F>(
    function: &F,
    cache: &mut LruCache<A, R>,
    hits: &mut u64,
    misses: &mut u64,
    arg: A,
) -> R
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    if let Some(hit) = cache.get(&arg) {
        *hits += 1;
        return hit.clone();
    }
    *misses += 1;
    let result = function(
        &mut |inner| call_cached(function, cache, hits, misses, inner),
        arg.clone(),
    );
    cache.put(arg, result.clone());
    result
}
