//! # Decorator factories: logging, timing, retry and caching
//!
//! ## Python idiom
//! A decorator factory is three nested functions: the factory takes the
//! arguments, the decorator takes the function, the wrapper takes the call.
//!
//! ```text
//! def retry(times):                          # @retry(times=3): the factory
//!     def decorator(fn):                     # the decorator
//!         @functools.wraps(fn)
//!         def wrapper(*args, **kwargs):      # the wrapper, any signature
//!             for attempt in range(times):
//!                 try: return fn(*args, **kwargs)
//!                 except TimeoutError: time.sleep(0.1 * 2 ** attempt)
//!             return fn(*args, **kwargs)
//!         return wrapper
//!     return decorator
//!
//! @functools.lru_cache(maxsize=1024)         # stacked: the cache is outside,
//! @retry(times=3)                            # so a hit never retries
//! def fetch_price(sku): ...
//! ```
//!
//! `*args, **kwargs` make one wrapper fit every function; `@` rebinds the
//! name when the module loads, so every caller gets the wrapper. And
//! `lru_cache`'s docs warn that under threads "it is possible for the
//! wrapped function to be called more than once if another thread makes an
//! additional call before the initial call has been completed and cached":
//! callers that miss together all compute — a thundering herd on a cold key.
//!
//! ## Rust answer
//! The three levels collapse into one: a function that takes the arguments
//! *and* the function and returns the wrapper as a closure, `impl FnMut(A) ->
//! R` — [`logged`], [`timed`], [`retrying`] and [`cached`] below. Stacking
//! decorators is nesting calls: `cached_ok(1024, retrying(policy, fetch))`.
//! The wrappers reuse the interview crate: [`retrying`] runs its `retry`
//! loop under a validated [`Backoff`], [`cached`] is its LRU `memoize`, and
//! [`cached_ok`] keeps successes only in its `LruCache` (an error is not a
//! value worth remembering: `lru_cache` stores nothing when the call raises).
//!
//! One retry + cache "decorator", written three ways:
//! - **a closure**, [`retry_cached`]: the two closures stacked. Its type has
//!   no name (`impl FnMut`), so it lives in a local or behind a generic.
//! - **a generic struct**, [`RetryCache`]: a nameable type with statistics
//!   and an injectable clock, which a struct can hold as a field — what the
//!   interview's `Memoized` is to `memoize`.
//! - **`tower` middleware**: [`CacheLayer`] and [`RetryLayer`] stacked with
//!   `ServiceBuilder` over [`sync_service_fn`]. A `Layer` is what a decorator
//!   factory returns — `Layer::layer(inner)` wraps a service in another —
//!   and a `Service` is the wrapper: async, cloneable, with its cache shared
//!   by every clone. `axum`, `tonic` and `tower-http` write their middleware
//!   this way, so these layers stack with theirs.
//!
//! A **single-flight** cache, [`SingleFlight`], fixes the herd: each key has
//! one `tokio::sync::OnceCell` (kept in the interview's `LruCache`); the
//! first caller computes, the callers who come while it runs await the same
//! cell, and all get its value. [`PlainCache`] is check-then-compute, the
//! `lru_cache` behaviour, for comparison. A failed computation is not
//! shared: the next waiter runs its own, so a key never has two
//! computations running at once, even while failing. A caller dropped
//! mid-computation hands the key to the next waiter.
//!
//! What Python decorators do that Rust wrappers cannot:
//! - **Change a function's signature at run time.** A wrapper taking
//!   `*args, **kwargs` fits any function and may add a parameter
//!   (`timeout=`), drop one or return something else, and callers find out
//!   when they call. A Rust wrapper's signature is its type: [`retrying`]
//!   turns `FnMut(A) -> Result<T, E>` into `FnMut(A) -> Result<T,
//!   RetryError<E>>`, and the compiler checks every caller against that.
//!   Without variadic generics one wrapper cannot cover every arity: these
//!   take one argument, a tuple when there are more.
//! - **Decorate methods in place.** `@cache` on a method, or `Class.method =
//!   log(Class.method)` at run time, rebinds the name and every caller now
//!   goes through the wrapper. Rust rebinds nothing: wrapping makes a new
//!   value — a closure, a struct, a `Layer` around a `Service` — that
//!   callers must be handed. The only `@` Rust has is an attribute macro
//!   (`#[tracing::instrument]`, the `cached` crate's `#[cached]`), which
//!   rewrites the function's source at compile time.
//! - **Introspect the wrapped function** (`functools.wraps`, `__wrapped__`,
//!   `inspect.signature`): a closure has no name or docs to copy.
//!
//! What Rust gets instead: types checked *through* the wrapper (the retry's
//! error says it retried and how often; `cached` needs `Fn`, a function
//! with no mutable state, and results that are `Clone`; the tower layers
//! need `Send` futures before a runtime may move them between threads), and
//! wrappers that are compiled into their caller: a closure or a generic
//! struct is monomorphized and inlined, with nothing to look up per call.
//!
//! ## When to use which
//! - **A closure** for a wrapper built and used in one place (a script, a
//!   test, one call site).
//! - **A generic struct** when the wrapper is stored, named in a signature,
//!   inspected (hit counts) or configured (a test clock).
//! - **`tower`** for async request/response code, where the service is
//!   cloned per connection and the cache must be shared, and to stack with
//!   the ecosystem's layers (timeouts, rate limits, tracing). It costs a
//!   lock per call, a boxed future per miss and `Send + 'static` bounds.
//! - **Single-flight** when a miss is expensive and callers arrive together
//!   (a cold start, a hot key expiring); a plain cache when computing is
//!   cheap or callers rarely share a key.
//! - **An attribute macro** when call sites must not change at all.
//!
//! ## What it costs
//! The demo measures, in this run:
//! - **per-call overhead** of the closure, the struct and the tower stack
//!   against the bare function, on the miss path (every call runs the
//!   function through the retry, a lookup, an insert and an eviction) and
//!   on the hit path (a lookup and a clone instead of the function), with
//!   paired samples and a verdict for each;
//! - **a thundering herd**: many tasks ask for one cold key at once, from a
//!   backend that serves only a few calls at a time. Single-flight against
//!   the plain cache: the backend calls made (counted, exact) and the time
//!   until every caller has its answer (paired rounds).
//!
//! Where the cost comes from: with nothing failing, the retry wrapper is a
//! call and a branch. The closure and the struct add a hash, an LRU update
//! and a clone of the result. The tower stack adds a mutex (its cache is
//! shared by clones), a poll through async code and, on a miss, a boxed
//! future and a clone of the inner service per attempt. Single-flight adds
//! a lock, an `Arc` clone and a `OnceCell` check per call.
//!
//! ## Run it
//! `mastery run patterns/decorator-factories` runs the stacked wrappers,
//! the three ways with their overhead, and the herd.
//! `cargo test -p mastery-patterns decorator_factories` checks that the
//! three ways give the same answers and make the same calls, and counts the
//! computations of the single-flight cache under contention.

use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use mastery_interview::lru_cache::{CapacityError, LruCache, memoize};
use mastery_interview::retry_backoff::{Backoff, RetryError, retry};

// ANCHOR: core
/// `@log`: writes `name(arg) -> result` through `write` after every call.
///
/// ```
/// # use mastery_patterns::decorator_factories::logged;
/// let mut lines = Vec::new();
/// let mut double = logged("double", |line| lines.push(line), |x: u32| x * 2);
/// assert_eq!(double(21), 42);
/// drop(double);
/// assert_eq!(lines, ["double(21) -> 42"]);
/// ```
pub fn logged<A: fmt::Debug, R: fmt::Debug>(
    name: &'static str,
    mut write: impl FnMut(String),
    mut function: impl FnMut(A) -> R,
) -> impl FnMut(A) -> R {
    move |arg| {
        // The argument moves into the call: show it first.
        let call = format!("{name}({arg:?})");
        let result = function(arg);
        write(format!("{call} -> {result:?}"));
        result
    }
}

/// `@timed`: hands the duration of every call to `record`.
pub fn timed<A, R>(
    mut record: impl FnMut(Duration),
    mut function: impl FnMut(A) -> R,
) -> impl FnMut(A) -> R {
    move |arg| {
        let start = Instant::now();
        let result = function(arg);
        record(start.elapsed());
        result
    }
}

/// `@retry(policy)`: calls again after an error, sleeping the policy's
/// backoff between attempts (the interview crate's `retry` loop). The error
/// type changes, and says so: a [`RetryError`] carries the last error and
/// the attempts made.
pub fn retrying<A: Clone, T, E>(
    policy: Backoff,
    mut function: impl FnMut(A) -> Result<T, E>,
) -> impl FnMut(A) -> Result<T, RetryError<E>> {
    move |arg| retry(&policy, || function(arg.clone()))
}

/// `@lru_cache(maxsize=capacity)` for a pure function: the interview
/// crate's `memoize`. `Fn`, not `FnMut`: a function with mutable state
/// would make a cached answer wrong.
///
/// # Errors
/// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
pub fn cached<A: Hash + Eq + Clone, R: Clone>(
    capacity: usize,
    function: impl Fn(A) -> R,
) -> Result<impl FnMut(A) -> R, CapacityError> {
    let mut memoized = memoize(capacity, function)?;
    Ok(move |arg| memoized.call(arg))
}

/// `@lru_cache` for a fallible function: successes are cached, errors are
/// returned and forgotten, so the next call tries again.
///
/// # Errors
/// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
pub fn cached_ok<A: Hash + Eq + Clone, T: Clone, E>(
    capacity: usize,
    mut function: impl FnMut(A) -> Result<T, E>,
) -> Result<impl FnMut(A) -> Result<T, E>, CapacityError> {
    let mut cache: LruCache<A, T> = LruCache::new(capacity)?;
    Ok(move |arg: A| {
        if let Some(hit) = cache.get(&arg) {
            return Ok(hit.clone());
        }
        let value = function(arg.clone())?;
        cache.put(arg, value.clone());
        Ok(value)
    })
}

/// The retry + cache decorator, way 1: two closures stacked, the cache
/// outside so that a hit never reaches the retry —
/// `@lru_cache` over `@retry`.
///
/// # Errors
/// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
pub fn retry_cached<A: Hash + Eq + Clone, T: Clone, E>(
    policy: Backoff,
    capacity: usize,
    function: impl FnMut(A) -> Result<T, E>,
) -> Result<impl FnMut(A) -> Result<T, RetryError<E>>, CapacityError> {
    cached_ok(capacity, retrying(policy, function))
}
// ANCHOR_END: core

mod demo;
mod retry_cache;
mod single_flight;
mod tower_layers;

#[cfg(test)]
mod tests;

pub use retry_cache::{RetryCache, RetryCacheStats};
pub use single_flight::{PlainCache, SingleFlight};
pub use tower_layers::{
    CacheFuture, CacheLayer, CacheService, RetryLayer, RetryService, SyncFnService, ready_call,
    sync_service_fn,
};
