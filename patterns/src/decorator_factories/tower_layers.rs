//! The retry + cache decorator, way 3: `tower` middleware.
//!
//! A [`tower::Layer`] is what a decorator factory returns: configured once
//! ([`CacheLayer::new`], [`RetryLayer::new`]), it wraps any inner service in
//! another. A [`tower::Service`] is the wrapper: `poll_ready`, then `call`,
//! which returns a future. Stacked with `ServiceBuilder` — the first layer
//! is the outermost, like the top decorator:
//!
//! ```
//! use mastery_interview::retry_backoff::Backoff;
//! use mastery_patterns::decorator_factories::{CacheLayer, RetryLayer, ready_call, sync_service_fn};
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut price = ServiceBuilder::new()
//!     .layer(CacheLayer::new(1024)?)            // @lru_cache(maxsize=1024)
//!     .layer(RetryLayer::new(Backoff::default())) // @retry(...)
//!     .service(sync_service_fn(|sku: u32| Ok::<_, std::io::Error>(sku * 10)));
//! assert_eq!(ready_call(&mut price, 7).await?, 70);
//! # Ok(()) }
//! ```
//!
//! Written without tower's `util` feature: [`sync_service_fn`] and
//! [`ready_call`] are the few lines of `service_fn` and `ServiceExt::ready`
//! this topic needs.

use std::fmt;
use std::future::{Future, Ready, poll_fn, ready};
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use mastery_interview::lru_cache::{CapacityError, LruCache};
use mastery_interview::retry_backoff::{Backoff, RetryError, retry_async};
use tower::{Layer, Service};

/// A future that may borrow nothing and may move between threads.
type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// Waits until `service` is ready, then calls it — `ServiceExt::ready` and
/// `call` in one.
///
/// # Errors
/// The service's error, from `poll_ready` or from the call.
pub async fn ready_call<S: Service<R>, R>(
    service: &mut S,
    request: R,
) -> Result<S::Response, S::Error> {
    poll_fn(|cx| service.poll_ready(cx)).await?;
    service.call(request).await
}

/// A synchronous fallible function as a service that is always ready; made
/// by [`sync_service_fn`].
#[derive(Clone, Copy)]
pub struct SyncFnService<F>(F);

impl<F> fmt::Debug for SyncFnService<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SyncFnService")
    }
}

/// Makes `function` a service: `call(request)` runs it and returns its
/// result as a ready future.
pub fn sync_service_fn<F>(function: F) -> SyncFnService<F> {
    SyncFnService(function)
}

impl<F, R, T, E> Service<R> for SyncFnService<F>
where
    F: FnMut(R) -> Result<T, E>,
{
    type Response = T;
    type Error = E;
    type Future = Ready<Result<T, E>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        ready((self.0)(request))
    }
}

/// `@retry(policy)` as a layer: wraps a service in a [`RetryService`].
#[derive(Debug, Clone, Copy)]
pub struct RetryLayer {
    policy: Backoff,
}

impl RetryLayer {
    /// Retries under `policy` (a validated `Backoff`, so there is nothing
    /// left to check here).
    pub fn new(policy: Backoff) -> Self {
        RetryLayer { policy }
    }
}

// ANCHOR: retry_layer
impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> RetryService<S> {
        RetryService {
            inner,
            policy: self.policy,
        }
    }
}
// ANCHOR_END: retry_layer

/// Calls the inner service again after an error, under the interview
/// crate's `retry_async` (tokio sleeps between attempts). Each attempt
/// clones the request and the inner service and waits for the clone to be
/// ready — what tower's own `Retry` does — so the service itself is always
/// ready and backpressure applies per attempt.
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    policy: Backoff,
}

impl<S, R> Service<R> for RetryService<S>
where
    S: Service<R> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: Send,
    R: Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = RetryError<S::Error>;
    type Future = BoxFuture<S::Response, RetryError<S::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        let inner = self.inner.clone();
        let policy = self.policy;
        Box::pin(async move {
            retry_async(&policy, move || {
                let mut attempt = inner.clone();
                let request = request.clone();
                async move { ready_call(&mut attempt, request).await }
            })
            .await
        })
    }
}

/// `@lru_cache(maxsize)` as a layer: wraps a service in a [`CacheService`].
/// Every service this layer makes, and every clone of them, shares the one
/// cache the layer holds.
pub struct CacheLayer<K, V> {
    cache: Arc<Mutex<LruCache<K, V>>>,
}

impl<K, V> Clone for CacheLayer<K, V> {
    fn clone(&self) -> Self {
        CacheLayer {
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<K, V> fmt::Debug for CacheLayer<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheLayer").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V> CacheLayer<K, V> {
    /// A layer caching up to `capacity` successes.
    ///
    /// # Errors
    /// [`CapacityError`] for a capacity of 0 or above the cache's maximum.
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Ok(CacheLayer {
            cache: Arc::new(Mutex::new(LruCache::new(capacity)?)),
        })
    }

    /// Successes cached now.
    pub fn len(&self) -> usize {
        lock(&self.cache).len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        lock(&self.cache).is_empty()
    }
}

impl<S, K, V> Layer<S> for CacheLayer<K, V> {
    type Service = CacheService<S, K, V>;

    fn layer(&self, inner: S) -> Self::Service {
        CacheService {
            inner,
            cache: Arc::clone(&self.cache),
        }
    }
}

/// Answers a request from the shared cache, or calls the inner service and
/// caches its success. Errors are not cached.
pub struct CacheService<S, K, V> {
    inner: S,
    cache: Arc<Mutex<LruCache<K, V>>>,
}

impl<S: Clone, K, V> Clone for CacheService<S, K, V> {
    fn clone(&self) -> Self {
        CacheService {
            inner: self.inner.clone(),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<S, K, V> fmt::Debug for CacheService<S, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheService").finish_non_exhaustive()
    }
}

/// A poisoned cache is still a cache: a panic elsewhere cannot leave an
/// LRU entry half-written in a way later readers could see as a wrong value
/// (its methods do not panic midway), so the lock is taken regardless.
fn lock<K, V>(cache: &Mutex<LruCache<K, V>>) -> MutexGuard<'_, LruCache<K, V>> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S, K, V> Service<K> for CacheService<S, K, V>
where
    S: Service<K, Response = V>,
    S::Future: Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    type Response = V;
    type Error = S::Error;
    type Future = CacheFuture<V, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, key: K) -> Self::Future {
        if let Some(hit) = lock(&self.cache).get(&key).cloned() {
            return CacheFuture(Answer::Hit(Some(hit)));
        }
        let miss = self.inner.call(key.clone());
        let cache = Arc::clone(&self.cache);
        CacheFuture(Answer::Miss(Box::pin(async move {
            let value = miss.await?;
            lock(&cache).put(key, value.clone());
            Ok(value)
        })))
    }
}

/// The future of a [`CacheService`] call: a hit is ready at once and
/// allocates nothing; a miss awaits the inner service (boxed).
pub struct CacheFuture<V, E>(Answer<V, E>);

enum Answer<V, E> {
    Hit(Option<V>),
    Miss(BoxFuture<V, E>),
}

impl<V, E> fmt::Debug for CacheFuture<V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Answer::Hit(_) => "CacheFuture::Hit",
            Answer::Miss(_) => "CacheFuture::Miss",
        })
    }
}

// The value is moved out, never pinned, and the miss is a `Pin<Box<_>>`:
// nothing in the future relies on staying in place.
impl<V, E> Unpin for CacheFuture<V, E> {}

impl<V, E> Future for CacheFuture<V, E> {
    type Output = Result<V, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both variants are `Unpin` (a value, a box), so the future is too.
        match &mut self.get_mut().0 {
            Answer::Hit(value) => Poll::Ready(Ok(value
                .take()
                .expect("a CacheFuture is not polled again after it completed"))),
            Answer::Miss(future) => future.as_mut().poll(cx),
        }
    }
}
