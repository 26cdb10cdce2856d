//! The retry loop: the [`Retry`] builder, its sync and async `call`s, the
//! [`retry`] and [`retry_async`] shortcuts, and the bookkeeping both loops
//! share ([`LoopState`]).

use std::future::Future;
use std::time::{Duration, Instant};

use rand::RngCore;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::error::{RetryError, StopReason};
use super::lazy_rng::LazyRng;
use super::policy::{Backoff, Schedule};
use super::timer::{AsyncTimer, BlockingTimer, RealTime};

/// Decides whether an error is worth another attempt ([`Retry::when`]).
/// Implemented by closures `FnMut(&E) -> bool` and by [`Always`].
pub trait RetryIf<E> {
    /// `true` to retry after `error`.
    fn should_retry(&mut self, error: &E) -> bool;
}

/// Retries every error (the default predicate).
#[derive(Debug, Clone, Copy, Default)]
pub struct Always;

impl<E> RetryIf<E> for Always {
    fn should_retry(&mut self, _: &E) -> bool {
        true
    }
}

impl<E, F: FnMut(&E) -> bool> RetryIf<E> for F {
    fn should_retry(&mut self, error: &E) -> bool {
        self(error)
    }
}

/// One planned retry, as shown to a [`Retry::notify`] observer just before the
/// loop sleeps.
#[derive(Debug, Clone, Copy)]
pub struct RetryEvent<'a, E> {
    /// The attempt that just failed, counting from 1.
    pub attempt: u32,
    /// Its error.
    pub error: &'a E,
    /// The sleep about to start before attempt `attempt + 1`.
    pub delay: Duration,
}

/// Observes retries ([`Retry::notify`]). Implemented by closures
/// `FnMut(&RetryEvent<'_, E>)` and by [`Quiet`].
pub trait OnRetry<E> {
    /// Called once per retry, before its sleep.
    fn on_retry(&mut self, event: &RetryEvent<'_, E>);
}

/// Observes nothing (the default observer; `tracing` events are still sent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl<E> OnRetry<E> for Quiet {
    fn on_retry(&mut self, _: &RetryEvent<'_, E>) {}
}

impl<E, F: FnMut(&RetryEvent<'_, E>)> OnRetry<E> for F {
    fn on_retry(&mut self, event: &RetryEvent<'_, E>) {
        self(event);
    }
}

/// Runs an operation under a [`Backoff`] policy, with a retry-if predicate,
/// an observer, an RNG and a timer. Sync: [`Retry::call`]; async:
/// [`Retry::call_async`]. [`retry`] and [`retry_async`] are the defaults.
///
/// ```
/// use std::time::Duration;
/// use mastery_interview::retry_backoff::{Backoff, ManualClock, Retry, RetryEvent, StopReason};
///
/// #[derive(Debug, PartialEq)]
/// enum Error { Timeout, NotFound }
///
/// let mut planned = Vec::new();
/// let mut script = vec![Error::NotFound, Error::Timeout, Error::Timeout].into_iter();
/// let result: Result<(), _> = Retry::new(Backoff::default())
///     .when(|e: &Error| *e == Error::Timeout)          // NotFound will not get better
///     .notify(|ev: &RetryEvent<'_, Error>| planned.push(ev.delay))
///     .seed(42)                                        // reproducible jitter
///     .timer(ManualClock::new())                       // no real sleeping in a test
///     .call(|| Err(script.next_back().unwrap_or(Error::NotFound)));
/// let error = result.unwrap_err();
/// assert_eq!((error.attempts, error.reason), (3, StopReason::NotRetryable));
/// assert_eq!(error.last, Error::NotFound);
/// assert_eq!(planned.len(), 2);
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Retry does nothing until `call` or `call_async`"]
pub struct Retry<P = Always, N = Quiet, T = RealTime, R = LazyRng> {
    policy: Backoff,
    retry_if: P,
    on_retry: N,
    timer: T,
    rng: R,
}

impl Retry {
    /// A retry loop under `policy` that retries every error, sleeps in real
    /// time and seeds its jitter RNG on first use.
    pub fn new(policy: Backoff) -> Self {
        Retry {
            policy,
            retry_if: Always,
            on_retry: Quiet,
            timer: RealTime,
            rng: LazyRng::default(),
        }
    }
}

impl<P, N, T, R> Retry<P, N, T, R> {
    /// Retries only errors for which `predicate` returns `true`; any other
    /// error is returned at once with [`StopReason::NotRetryable`]. Annotate
    /// the closure's argument type: `|e: &io::Error| ...`.
    pub fn when<E, P2: FnMut(&E) -> bool>(self, predicate: P2) -> Retry<P2, N, T, R> {
        Retry {
            policy: self.policy,
            retry_if: predicate,
            on_retry: self.on_retry,
            timer: self.timer,
            rng: self.rng,
        }
    }

    /// Calls `observer` before every sleep with the failed attempt, its error
    /// and the planned delay.
    pub fn notify<E, N2: FnMut(&RetryEvent<'_, E>)>(self, observer: N2) -> Retry<P, N2, T, R> {
        Retry {
            policy: self.policy,
            retry_if: self.retry_if,
            on_retry: observer,
            timer: self.timer,
            rng: self.rng,
        }
    }

    /// Uses `timer` as clock and sleeper: a [`ManualClock`](super::ManualClock) in tests, or
    /// `&mut` your own [`BlockingTimer`] / [`AsyncTimer`].
    pub fn timer<T2>(self, timer: T2) -> Retry<P, N, T2, R> {
        Retry {
            policy: self.policy,
            retry_if: self.retry_if,
            on_retry: self.on_retry,
            timer,
            rng: self.rng,
        }
    }

    /// Draws jitter from `rng` (any [`RngCore`], or `&mut` one).
    pub fn rng<R2: RngCore>(self, rng: R2) -> Retry<P, N, T, R2> {
        Retry {
            policy: self.policy,
            retry_if: self.retry_if,
            on_retry: self.on_retry,
            timer: self.timer,
            rng,
        }
    }

    /// Draws jitter from a [`SmallRng`] seeded with `seed`: the same seed
    /// gives the same delays.
    pub fn seed(self, seed: u64) -> Retry<P, N, T, SmallRng> {
        self.rng(SmallRng::seed_from_u64(seed))
    }

    /// The policy this loop runs under.
    pub fn policy(&self) -> &Backoff {
        &self.policy
    }
}

impl<P, N, T, R: RngCore> Retry<P, N, T, R> {
    /// Calls `op` until it succeeds or the policy gives up, sleeping on the
    /// timer between attempts.
    ///
    /// # Errors
    /// A [`RetryError`] with the last error, the attempts made and the
    /// [`StopReason`].
    #[inline]
    pub fn call<O, E, F>(self, mut op: F) -> Result<O, RetryError<E>>
    where
        F: FnMut() -> Result<O, E>,
        P: RetryIf<E>,
        N: OnRetry<E>,
        T: BlockingTimer,
    {
        // The success path: one call and a branch. Everything else — the
        // schedule, the RNG, the loop — is in a cold function of its own.
        let start = self.policy.max_elapsed().map(|_| self.timer.now());
        match op() {
            Ok(value) => Ok(value),
            Err(error) => self.keep_trying(op, error, start),
        }
    }

    #[cold]
    fn keep_trying<O, E, F>(
        mut self,
        mut op: F,
        mut error: E,
        start: Option<Instant>,
    ) -> Result<O, RetryError<E>>
    where
        F: FnMut() -> Result<O, E>,
        P: RetryIf<E>,
        N: OnRetry<E>,
        T: BlockingTimer,
    {
        let mut state = LoopState::new(&self.policy, &mut self.rng, start);
        loop {
            let delay = state.plan_retry(error, &mut self.retry_if, &mut self.on_retry, || {
                self.timer.now()
            })?;
            self.timer.sleep(delay);
            error = match op() {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
        }
    }

    /// Awaits `op()` until it succeeds or the policy gives up, sleeping on the
    /// timer between attempts. Dropping the returned future stops the loop —
    /// during an attempt or a sleep — and no further attempt starts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mastery_interview::retry_backoff::{Backoff, Jitter, Retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = Backoff::builder().jitter(Jitter::None).build()?; // 100, 200, 400 ms...
    /// let start = tokio::time::Instant::now();
    /// let mut calls = 0;
    /// let value = Retry::new(policy)
    ///     .call_async(|| {
    ///         calls += 1;
    ///         let attempt = calls;
    ///         async move { if attempt < 3 { Err("busy") } else { Ok(attempt) } }
    ///     })
    ///     .await
    ///     .map_err(|e| e.last)?; // RetryError<&str> is no Error: &str is none
    /// assert_eq!(value, 3);
    /// assert_eq!(start.elapsed(), Duration::from_millis(300)); // paused time: exact
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Retry::call`].
    pub async fn call_async<O, E, F, Fut>(self, mut op: F) -> Result<O, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<O, E>>,
        P: RetryIf<E>,
        N: OnRetry<E>,
        T: AsyncTimer,
    {
        let start = self.policy.max_elapsed().map(|_| self.timer.now());
        match op().await {
            Ok(value) => Ok(value),
            // The loop is a future of its own, boxed: the heap allocation
            // happens only after a failure (which is about to sleep anyway),
            // and keeps this future — the one every call builds and moves —
            // small.
            Err(error) => Box::pin(self.keep_trying_async(op, error, start)).await,
        }
    }

    async fn keep_trying_async<O, E, F, Fut>(
        mut self,
        mut op: F,
        mut error: E,
        start: Option<Instant>,
    ) -> Result<O, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<O, E>>,
        P: RetryIf<E>,
        N: OnRetry<E>,
        T: AsyncTimer,
    {
        let mut state = LoopState::new(&self.policy, &mut self.rng, start);
        loop {
            let delay = state.plan_retry(error, &mut self.retry_if, &mut self.on_retry, || {
                self.timer.now()
            })?;
            self.timer.sleep(delay).await;
            error = match op().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
        }
    }
}

/// Retries `op` under `policy`: every error is retried, sleeps are real
/// (`std::thread::sleep`), jitter is freshly seeded. See [`Retry`] for a
/// predicate, an observer, a seed or a test clock.
///
/// ```
/// use mastery_interview::retry_backoff::{Backoff, retry};
/// let mut left = 2;
/// let answer = retry(&Backoff::builder().base_delay(std::time::Duration::ZERO).build()?, || {
///     if left > 0 { left -= 1; Err("flaky") } else { Ok(42) }
/// });
/// assert_eq!(answer, Ok(42));
/// # Ok::<(), mastery_interview::retry_backoff::PolicyError>(())
/// ```
///
/// # Errors
/// As [`Retry::call`].
#[inline]
pub fn retry<O, E>(
    policy: &Backoff,
    mut op: impl FnMut() -> Result<O, E>,
) -> Result<O, RetryError<E>> {
    // `Retry::new(*policy).call(op)`, except that the policy is copied only
    // once there is something to retry.
    let start = policy.max_elapsed().map(|_| Instant::now());
    match op() {
        Ok(value) => Ok(value),
        Err(error) => Retry::new(*policy).keep_trying(op, error, start),
    }
}

// ANCHOR: retry_async
/// Retries the future `op()` makes under `policy`: every error is retried,
/// sleeps use `tokio::time::sleep` (call it inside a tokio runtime with time
/// enabled). See [`Retry::call_async`].
///
/// The policy is copied, so the future borrows nothing from the caller but
/// `op`.
///
/// # Errors
/// As [`Retry::call`].
pub fn retry_async<O, E, F, Fut>(
    policy: &Backoff,
    op: F,
) -> impl Future<Output = Result<O, RetryError<E>>> + use<O, E, F, Fut>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    let policy = *policy;
    let mut op = op;
    async move {
        // `Retry::new(policy).call_async(op)`, minus the builder's fields on
        // the success path.
        let start = policy.max_elapsed().map(|_| AsyncTimer::now(&RealTime));
        match op().await {
            Ok(value) => Ok(value),
            Err(error) => Box::pin(Retry::new(policy).keep_trying_async(op, error, start)).await,
        }
    }
}
// ANCHOR_END: retry_async

// ANCHOR: loop_state
/// The bookkeeping shared by the sync and the async loop.
struct LoopState<'r, R> {
    rng: &'r mut R,
    schedule: Schedule,
    max_elapsed: Option<Duration>,
    /// When the first attempt started; read only when there is a budget.
    start: Option<Instant>,
    /// Attempts made so far (the running one included).
    attempts: u32,
}

impl<'r, R: RngCore> LoopState<'r, R> {
    /// The state after the first attempt failed; `start` is when it began.
    fn new(policy: &'r Backoff, rng: &'r mut R, start: Option<Instant>) -> Self {
        LoopState {
            rng,
            schedule: Schedule::new(policy),
            max_elapsed: policy.max_elapsed(),
            start,
            attempts: 1,
        }
    }

    /// After a failed attempt: tells the observer about the retry and returns
    /// the sleep before it, or the error to give up with. The error is not
    /// needed after that, so it is dropped here rather than held during the
    /// sleep.
    fn plan_retry<E>(
        &mut self,
        error: E,
        retry_if: &mut impl RetryIf<E>,
        on_retry: &mut impl OnRetry<E>,
        now: impl FnOnce() -> Instant,
    ) -> Result<Duration, RetryError<E>> {
        match self.after_failure(&error, retry_if, now) {
            Ok(delay) => {
                on_retry.on_retry(&self.event(&error, delay));
                Ok(delay)
            }
            Err(reason) => Err(self.give_up(error, reason)),
        }
    }

    /// The sleep before the next attempt, or why there is none.
    fn after_failure<E>(
        &mut self,
        error: &E,
        retry_if: &mut impl RetryIf<E>,
        now: impl FnOnce() -> Instant,
    ) -> Result<Duration, StopReason> {
        if !retry_if.should_retry(error) {
            return Err(StopReason::NotRetryable);
        }
        let delay = self
            .schedule
            .next_delay(&mut *self.rng)
            .ok_or(StopReason::Exhausted)?;
        if let (Some(start), Some(budget)) = (self.start, self.max_elapsed) {
            let elapsed = now().saturating_duration_since(start);
            if elapsed.saturating_add(delay) > budget {
                return Err(StopReason::Elapsed);
            }
        }
        Ok(delay)
    }

    /// The event for the retry about to happen; counts the next attempt.
    fn event<'e, E>(&mut self, error: &'e E, delay: Duration) -> RetryEvent<'e, E> {
        let attempt = self.attempts;
        self.attempts = self.attempts.saturating_add(1);
        tracing::debug!(attempt, ?delay, "retry: attempt failed, sleeping");
        RetryEvent {
            attempt,
            error,
            delay,
        }
    }

    fn give_up<E>(&self, last: E, reason: StopReason) -> RetryError<E> {
        tracing::debug!(attempts = self.attempts, %reason, "retry: giving up");
        RetryError {
            attempts: self.attempts,
            reason,
            last,
        }
    }
}
// ANCHOR_END: loop_state
