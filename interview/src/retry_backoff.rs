//! # Retry with exponential backoff
//!
//! ## Python idiom
//! `tenacity` (or the `backoff` package) wraps a flaky call in a decorator:
//!
//! ```text
//! @retry(wait=wait_exponential(multiplier=0.1, max=10) + wait_random(0, 1),
//!        stop=stop_after_attempt(5) | stop_after_delay(30),
//!        retry=retry_if_exception_type(TimeoutError))
//! def fetch(): ...
//! ```
//!
//! The interview version asks you to write it: wait `base · factor^n`, capped,
//! with jitter so that a thousand clients failing together do not retry
//! together; stop after N attempts or T seconds; retry only errors worth
//! retrying; re-raise the last error.
//!
//! ## Rust answer
//! A [`Backoff`] is a validated, `Copy` policy: base delay, factor, cap,
//! [`Jitter`] mode, max attempts, max elapsed time. Bad values (a factor below
//! 1, a base above the cap, zero attempts) are a [`PolicyError`] from
//! [`BackoffBuilder::build`], never a panic. [`Backoff::delays`] is the
//! schedule as an iterator — one [`Duration`] per retry, `max_attempts - 1` of
//! them — drawing its jitter from any [`RngCore`] you hand it, so a seed
//! reproduces a schedule exactly. The four jitter modes are the ones from the
//! AWS Architecture Blog's *Exponential Backoff and Jitter*: none, full
//! (`random(0, exp)`), equal (`exp/2 + random(0, exp/2)`) and decorrelated
//! (`min(cap, random(base, prev · 3))`).
//!
//! [`retry`] and [`retry_async`] run an operation under a policy; [`Retry`]
//! is the builder behind them, adding a retry-if predicate that sees the
//! error ([`Retry::when`]), an observer of every planned sleep
//! ([`Retry::notify`], plus `tracing` debug events), a seeded RNG
//! ([`Retry::seed`]) and an injectable clock-and-sleeper ([`BlockingTimer`],
//! [`AsyncTimer`]). Tests use a [`ManualClock`], whose sleeps only move its
//! own time, or `tokio::time::pause` for the async path. Giving up returns a
//! [`RetryError`]: the last error (also its `source()`), how many attempts
//! ran, and why it stopped ([`StopReason`]).
//!
//! ```
//! use std::time::Duration;
//! use mastery_interview::retry_backoff::{Backoff, Jitter, ManualClock, Retry, StopReason};
//!
//! let policy = Backoff::builder()
//!     .base_delay(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(1))
//!     .jitter(Jitter::None)
//!     .max_attempts(4)
//!     .build()?;
//! let clock = ManualClock::new();               // sleeping only moves this clock
//! let mut calls = 0;
//! let result: Result<(), _> = Retry::new(policy).timer(clock.clone()).call(|| {
//!     calls += 1;
//!     Err("connection reset")
//! });
//! let error = result.unwrap_err();
//! assert_eq!((error.attempts, error.reason, error.last), (4, StopReason::Exhausted, "connection reset"));
//! assert_eq!(clock.elapsed(), Duration::from_millis(100 + 200 + 400));
//! # Ok::<(), mastery_interview::retry_backoff::PolicyError>(())
//! ```
//!
//! **The no-failure path** is one call of the operation and a branch: no
//! allocation, no RNG seeding (the default RNG seeds itself on its first
//! draw), no schedule built, and no clock read — unless the policy has a max
//! elapsed time. A deadline measured from the *first* attempt needs the time
//! before that attempt; reading the clock only after a failure would silently
//! leave the first attempt's duration out of the budget. So a deadline costs
//! one `Instant::now()` per call, paid only by policies that ask for one; the
//! demo and the bench measure both variants. Everything after a first failure
//! lives apart: a `#[cold]` function for [`Retry::call`], and for
//! [`Retry::call_async`] a boxed future — one allocation, made only when a
//! retry is about to sleep anyway — so the future every call builds and moves
//! stays small. [`retry`] and [`retry_async`] go one step further and copy
//! the policy into a [`Retry`] only after a failure; in the bench that made
//! the async no-failure path several times cheaper.
//!
//! ## When to use which
//! - **This module** when you want the AWS jitter modes (backon has one: add
//!   `random(0, d)` to each delay), a wall-clock deadline that counts the time
//!   spent *in* attempts (backon's `with_total_delay` sums only the sleeps),
//!   the attempt count and stop reason in the error, or a clock you can drive
//!   from a test.
//! - **`backon`** when you want the most ergonomic call site —
//!   `fetch.retry(ExponentialBuilder::default()).when(..).notify(..).await` —
//!   constant and Fibonacci strategies, `no_std` and wasm sleepers, and
//!   `adjust` to honour a server's `Retry-After`. `cargo bench --bench
//!   retry_backoff` measures the two on the no-failure path.
//! - **Neither** for non-idempotent operations (a retried `POST` may charge
//!   twice) or for overload you cause yourself: pair retries with a circuit
//!   breaker or a retry budget, or every client multiplies the load exactly
//!   when the server can least take it.
//!
//! Which jitter: full jitter spreads clients best and finishes soonest in
//! AWS's simulation; equal jitter guarantees at least half the exponential
//! wait; decorrelated jitter grows from the previous *actual* sleep, which
//! keeps the spread without a retry counter. Decorrelated jitter follows the
//! published formula, so its growth is "up to ×3" and the policy's `factor`
//! does not apply to it.
//!
//! Costs: a sync retry blocks its thread while sleeping; an attempt already
//! running is never interrupted, so a slow attempt can overrun the max elapsed
//! time (wrap the operation in a timeout when that matters). The async
//! version stops retrying the moment its future is dropped — a
//! `tokio::time::timeout` around it is a deadline that also cuts an attempt.
//!
//! ## Run it
//! `mastery run interview/retry-backoff` (a flaky operation under each jitter
//! mode: planned and measured sleeps side by side; the spread of 10 000 draws
//! per mode; the no-failure overhead; the three ways to give up), `cargo bench
//! -p mastery-interview --bench retry_backoff` (ours vs `backon`, sync and
//! async), and `cargo test -p mastery-interview retry_backoff` (unit, property
//! and doc tests, deterministic through `ManualClock` and paused tokio time).

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::iter::FusedIterator;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mastery_kit::{Area, Narrator, Topic, Unit};
use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};

// ---------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------

/// How the exponential delay is randomized (AWS Architecture Blog, *Exponential
/// Backoff and Jitter*). `exp` is `min(cap, base · factor^n)` for retry `n`
/// (counting from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// Sleep exactly `exp`: predictable, and every client that failed together
    /// retries together.
    None,
    /// Sleep `random(0, exp)`: the widest spread; the recommended default.
    #[default]
    Full,
    /// Sleep `exp/2 + random(0, exp/2)`: at least half the exponential wait.
    Equal,
    /// Sleep `min(cap, random(base, prev · 3))`, `prev` being the previous
    /// sleep (initially `base`). Ignores `factor`.
    Decorrelated,
}

impl Jitter {
    /// Every mode, in the order the docs list them.
    pub const ALL: [Jitter; 4] = [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ];

    /// A short lowercase name (`none`, `full`, `equal`, `decorrelated`).
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a [`BackoffBuilder`] refused its values.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// The factor is below 1, NaN or infinite.
    #[error(
        "backoff factor {factor} is invalid: it must be a finite number >= 1 (below 1 the delays would shrink); use 1 for a constant delay"
    )]
    FactorBelowOne {
        /// The factor given.
        factor: f64,
    },
    /// The first delay is already longer than the cap.
    #[error(
        "base delay {base:?} is longer than max delay {max_delay:?}: raise max_delay or lower base_delay"
    )]
    BaseAboveCap {
        /// The base delay given.
        base: Duration,
        /// The cap given.
        max_delay: Duration,
    },
    /// Zero attempts would never call the operation.
    #[error("max_attempts is 0, so the operation would never run: use 1 for no retries, or more")]
    ZeroAttempts,
}

/// A retry policy: when to retry and how long to wait. Build one with
/// [`Backoff::builder`] (validated) or take [`Backoff::default`]: base
/// 100 ms, factor 2, cap 10 s, full jitter, 5 attempts, no max elapsed time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    base: Duration,
    factor: f64,
    max_delay: Duration,
    jitter: Jitter,
    max_attempts: u32,
    max_elapsed: Option<Duration>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            factor: 2.0,
            max_delay: Duration::from_secs(10),
            jitter: Jitter::Full,
            max_attempts: 5,
            max_elapsed: None,
        }
    }
}

impl Backoff {
    /// A builder starting from [`Backoff::default`].
    pub fn builder() -> BackoffBuilder {
        BackoffBuilder {
            policy: Backoff::default(),
        }
    }

    /// The delay before the first retry (before jitter).
    pub fn base_delay(&self) -> Duration {
        self.base
    }

    /// How much each delay grows over the previous one (before jitter).
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// The longest single delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How delays are randomized.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time budget from the start of the first attempt, if any: a retry is
    /// never scheduled to start after it.
    pub fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// A builder starting from this policy, to change some values.
    pub fn to_builder(self) -> BackoffBuilder {
        BackoffBuilder { policy: self }
    }

    /// The delay schedule: one delay per retry (`max_attempts - 1` of them),
    /// jittered with draws from `rng`. Pass `&mut rng` to keep the generator.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mastery_interview::retry_backoff::{Backoff, Jitter};
    /// use rand::{SeedableRng, rngs::SmallRng};
    ///
    /// let policy = Backoff::builder()
    ///     .base_delay(Duration::from_millis(100))
    ///     .max_delay(Duration::from_millis(500))
    ///     .jitter(Jitter::None)
    ///     .max_attempts(6)
    ///     .build()?;
    /// let ms: Vec<u128> = policy.delays(SmallRng::seed_from_u64(1)).map(|d| d.as_millis()).collect();
    /// assert_eq!(ms, [100, 200, 400, 500, 500]);
    ///
    /// // With jitter, a seed reproduces the schedule exactly.
    /// let full = policy.to_builder().jitter(Jitter::Full).build()?;
    /// let a: Vec<_> = full.delays(SmallRng::seed_from_u64(7)).collect();
    /// let b: Vec<_> = full.delays(SmallRng::seed_from_u64(7)).collect();
    /// assert_eq!(a, b);
    /// assert!(a.iter().zip(&ms).all(|(d, cap)| d.as_millis() <= *cap));
    /// # Ok::<(), mastery_interview::retry_backoff::PolicyError>(())
    /// ```
    pub fn delays<R: RngCore>(&self, rng: R) -> Delays<R> {
        Delays {
            schedule: Schedule::new(self),
            rng,
        }
    }
}

/// Builds a [`Backoff`]; [`BackoffBuilder::build`] validates.
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BackoffBuilder {
    policy: Backoff,
}

impl BackoffBuilder {
    /// The delay before the first retry (before jitter). Zero means
    /// "retry at once" for every retry.
    pub fn base_delay(mut self, base: Duration) -> Self {
        self.policy.base = base;
        self
    }

    /// Growth per retry (before jitter): finite and at least 1.
    pub fn factor(mut self, factor: f64) -> Self {
        self.policy.factor = factor;
        self
    }

    /// The longest single delay: at least the base delay. Delays beyond
    /// `u64::MAX` nanoseconds (about 584 years) saturate there.
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.max_delay = max_delay;
        self
    }

    /// How delays are randomized.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// Attempts in all, the first one included: at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// A time budget measured from the start of the first attempt (`None`:
    /// no budget). A retry is never scheduled to start after it.
    pub fn max_elapsed(mut self, budget: impl Into<Option<Duration>>) -> Self {
        self.policy.max_elapsed = budget.into();
        self
    }

    /// The policy, if its values make sense.
    ///
    /// # Errors
    /// [`PolicyError::FactorBelowOne`] for a factor below 1, NaN or infinite;
    /// [`PolicyError::BaseAboveCap`] when the base delay exceeds the max delay;
    /// [`PolicyError::ZeroAttempts`] for zero attempts.
    ///
    /// ```
    /// use mastery_interview::retry_backoff::{Backoff, PolicyError};
    /// let err = Backoff::builder().factor(0.5).build().unwrap_err();
    /// assert_eq!(err, PolicyError::FactorBelowOne { factor: 0.5 });
    /// assert!(err.to_string().contains("must be a finite number >= 1"));
    /// ```
    pub fn build(self) -> Result<Backoff, PolicyError> {
        let p = self.policy;
        if !(p.factor.is_finite() && p.factor >= 1.0) {
            return Err(PolicyError::FactorBelowOne { factor: p.factor });
        }
        if p.base > p.max_delay {
            return Err(PolicyError::BaseAboveCap {
                base: p.base,
                max_delay: p.max_delay,
            });
        }
        if p.max_attempts == 0 {
            return Err(PolicyError::ZeroAttempts);
        }
        Ok(p)
    }
}

/// The delay schedule of a [`Backoff`]: an iterator of one [`Duration`] per
/// retry, made by [`Backoff::delays`].
#[derive(Debug, Clone)]
pub struct Delays<R> {
    schedule: Schedule,
    rng: R,
}

impl<R: RngCore> Iterator for Delays<R> {
    type Item = Duration;

    #[doc(alias = "next_delay")]
    fn next(&mut self) -> Option<Duration> {
        self.schedule.next_delay(&mut self.rng)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.schedule.remaining as usize;
        (n, Some(n))
    }
}

impl<R: RngCore> ExactSizeIterator for Delays<R> {}
impl<R: RngCore> FusedIterator for Delays<R> {}

// ANCHOR: schedule
/// The state of a delay schedule, without its RNG (so the retry loop can
/// start it lazily, on the first failure, while keeping the RNG it was given).
#[derive(Debug, Clone)]
struct Schedule {
    /// Retries left to plan.
    remaining: u32,
    /// Base and cap, in nanoseconds.
    base: u64,
    cap: u64,
    factor: f64,
    jitter: Jitter,
    /// The un-jittered delay of the next retry, in nanoseconds, kept as a
    /// float so that a fractional factor does not accumulate rounding; it
    /// never exceeds `cap`, so it never overflows.
    exp: f64,
    /// The previous delay (decorrelated jitter grows from it).
    prev: u64,
}

impl Schedule {
    fn new(policy: &Backoff) -> Self {
        let base = nanos(policy.base);
        Schedule {
            remaining: policy.max_attempts.saturating_sub(1),
            base,
            cap: nanos(policy.max_delay),
            factor: policy.factor,
            jitter: policy.jitter,
            exp: base as f64,
            prev: base,
        }
    }

    fn next_delay(&mut self, rng: &mut impl RngCore) -> Option<Duration> {
        self.remaining = self.remaining.checked_sub(1)?;
        let cap = self.cap as f64;
        // `as u64` is exact enough and cannot overflow: `exp < cap <= u64::MAX`.
        let exp = if self.exp >= cap {
            self.cap
        } else {
            self.exp as u64
        };
        self.exp = (self.exp * self.factor).min(cap);
        let delay = match self.jitter {
            Jitter::None => exp,
            Jitter::Full => between(rng, 0, exp),
            Jitter::Equal => {
                let half = exp / 2;
                half + between(rng, 0, exp - half)
            }
            // AWS: sleep = min(cap, random_between(base, sleep * 3)).
            Jitter::Decorrelated => {
                between(rng, self.base, self.prev.saturating_mul(3)).min(self.cap)
            }
        };
        self.prev = delay;
        Some(Duration::from_nanos(delay))
    }
}
// ANCHOR_END: schedule

/// A uniform draw from `lo..=hi` (just `lo` when the range is empty).
fn between(rng: &mut impl RngCore, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    rng.random_range(lo..=hi)
}

/// A duration in nanoseconds, saturating at `u64::MAX` (~584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a retry loop gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// Every one of `max_attempts` attempts failed.
    Exhausted,
    /// The next retry would have started after `max_elapsed`.
    Elapsed,
    /// The retry-if predicate refused the error.
    NotRetryable,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::Exhausted => "max attempts reached",
            StopReason::Elapsed => "the next retry would start after max elapsed time",
            StopReason::NotRetryable => "the error is not retryable",
        })
    }
}

/// The last error of a retry loop that gave up, with how many attempts ran
/// and why it stopped. Its [`source`](std::error::Error::source) is the last
/// error, so error reports show both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gave up after {attempts} attempt(s): {reason}")]
pub struct RetryError<E> {
    /// Attempts made, the first one included.
    pub attempts: u32,
    /// Why the loop stopped.
    pub reason: StopReason,
    /// The error of the last attempt.
    #[source]
    pub last: E,
}

impl<E> RetryError<E> {
    /// The error of the last attempt.
    pub fn into_last(self) -> E {
        self.last
    }
}

// ---------------------------------------------------------------------------
// Clocks and sleepers
// ---------------------------------------------------------------------------

/// The clock and sleeper of a blocking retry loop ([`Retry::call`]).
pub trait BlockingTimer {
    /// The current time (read only when the policy has a max elapsed time).
    fn now(&self) -> Instant;
    /// Blocks for `delay`.
    fn sleep(&mut self, delay: Duration);
}

/// The clock and sleeper of an async retry loop ([`Retry::call_async`]).
pub trait AsyncTimer {
    /// The current time (read only when the policy has a max elapsed time).
    fn now(&self) -> Instant;
    /// A future that completes after `delay`.
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send;
}

/// Real time: `std::thread::sleep` and `Instant::now` for [`Retry::call`];
/// `tokio::time::sleep` and tokio's clock for [`Retry::call_async`] (so
/// `tokio::time::pause` makes async tests deterministic). The default timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealTime;

impl BlockingTimer for RealTime {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

impl AsyncTimer for RealTime {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }
}

impl<T: BlockingTimer + ?Sized> BlockingTimer for &mut T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&mut self, delay: Duration) {
        (**self).sleep(delay);
    }
}

impl<T: AsyncTimer + ?Sized> AsyncTimer for &mut T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(delay)
    }
}

/// A clock that moves only when told: sleeping on it advances it at once, and
/// an operation under test can [`advance`](ManualClock::advance) it to act
/// slow. Clones share the same time. Works as both timers.
///
/// ```
/// use std::time::Duration;
/// use mastery_interview::retry_backoff::{BlockingTimer, ManualClock};
/// let mut clock = ManualClock::new();
/// let t0 = BlockingTimer::now(&clock);
/// BlockingTimer::sleep(&mut clock, Duration::from_secs(3600)); // returns at once
/// assert_eq!(BlockingTimer::now(&clock) - t0, Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock at "now", which then stands still.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Time passed on this clock since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    fn instant(&self) -> Instant {
        let elapsed = self.elapsed();
        // `Instant + Duration` panics on overflow; past ~292 billion years
        // the clock simply stops.
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

impl BlockingTimer for ManualClock {
    fn now(&self) -> Instant {
        self.instant()
    }
    fn sleep(&mut self, delay: Duration) {
        self.advance(delay);
    }
}

impl AsyncTimer for ManualClock {
    fn now(&self) -> Instant {
        self.instant()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        self.advance(delay);
        std::future::ready(())
    }
}

// ---------------------------------------------------------------------------
// Predicates, observers and the default RNG
// ---------------------------------------------------------------------------

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

/// The default RNG: a [`SmallRng`] seeded from the standard library's
/// per-process random hash keys on its first draw, so a call that never
/// retries never pays for seeding (and a policy without jitter never draws).
#[derive(Debug, Clone, Default)]
pub struct LazyRng(Option<SmallRng>);

impl LazyRng {
    fn get(&mut self) -> &mut SmallRng {
        self.0.get_or_insert_with(|| {
            // `RandomState::new()` is randomly keyed per process and bumped per
            // call, which is all jitter needs: different clients, different
            // schedules. Not for cryptography.
            SmallRng::seed_from_u64(RandomState::new().hash_one(0x5eed_u64))
        })
    }
}

impl RngCore for LazyRng {
    fn next_u32(&mut self) -> u32 {
        self.get().next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.get().next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.get().fill_bytes(dst);
    }
}

// ---------------------------------------------------------------------------
// The retry loop
// ---------------------------------------------------------------------------

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

    /// Uses `timer` as clock and sleeper: a [`ManualClock`] in tests, or
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
        let start = self.policy.max_elapsed.map(|_| self.timer.now());
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
            let step = state.after_failure(&error, &mut self.retry_if, || self.timer.now());
            let delay = match step {
                Ok(delay) => delay,
                Err(reason) => return Err(state.give_up(error, reason)),
            };
            self.on_retry.on_retry(&state.event(&error, delay));
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
        let start = self.policy.max_elapsed.map(|_| self.timer.now());
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
            let step = state.after_failure(&error, &mut self.retry_if, || self.timer.now());
            let delay = match step {
                Ok(delay) => delay,
                Err(reason) => return Err(state.give_up(error, reason)),
            };
            self.on_retry.on_retry(&state.event(&error, delay));
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
    let start = policy.max_elapsed.map(|_| Instant::now());
    match op() {
        Ok(value) => Ok(value),
        Err(error) => Retry::new(*policy).keep_trying(op, error, start),
    }
}

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
        let start = policy.max_elapsed.map(|_| AsyncTimer::now(&RealTime));
        match op().await {
            Ok(value) => Ok(value),
            Err(error) => Box::pin(Retry::new(policy).keep_trying_async(op, error, start)).await,
        }
    }
}

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
            max_elapsed: policy.max_elapsed,
            start,
            attempts: 1,
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

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/retry-backoff",
        area: Area::Interview,
        rank: 3,
        title: "Retry with exponential backoff (sync + async)",
        python: "tenacity / backoff: @retry(wait=wait_exponential(...), stop=stop_after_attempt(5))",
        rust: "Backoff policy (base, factor, cap, jitter modes, max attempts/elapsed) + retry / retry_async with an injectable clock and sleeper; vs backon",
        path: "interview/src/retry_backoff.rs",
        source: include_str!("retry_backoff.rs"),
        run: demo,
    }
}

/// The demo's error: a transient failure worth retrying, or a fatal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum DemoError {
    #[error("connection reset (transient)")]
    Transient,
    #[error("404 not found (fatal)")]
    Fatal,
}

/// A real sleeper that also times every sleep it takes.
#[derive(Default)]
struct TimedSleeps {
    slept: Vec<Duration>,
}

impl BlockingTimer for TimedSleeps {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, delay: Duration) {
        let start = Instant::now();
        std::thread::sleep(delay);
        self.slept.push(start.elapsed());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    demo_schedules(n)?;
    demo_spread(n)?;
    demo_no_failure(n)?;
    demo_give_up(n)?;
    Ok(())
}

/// A flaky operation under each jitter mode, planned vs measured sleeps.
fn demo_schedules(n: &mut Narrator) -> anyhow::Result<()> {
    let base = Duration::from_millis(n.mode().pick(1, 5));
    let failures: u32 = n.mode().pick(4, 5);
    n.section("A flaky operation under each jitter mode: planned vs slept");
    n.say(&format!(
        "The operation fails {failures} times, then succeeds. Policy: base {base:?}, factor 2, \
         cap {:?}, {} attempts; seed 7. `planned` is the delay the policy chose (seen by the \
         notify callback); `slept` is std::thread::sleep timed with Instant around it — the \
         OS always oversleeps a little.",
        base * 8,
        failures + 1
    ));
    let template = Backoff::builder()
        .base_delay(base)
        .factor(2.0)
        .max_delay(base * 8)
        .max_attempts(failures + 1)
        .build()?;
    for jitter in Jitter::ALL {
        let policy = template.to_builder().jitter(jitter).build()?;
        let mut planned = Vec::new();
        let mut sleeper = TimedSleeps::default();
        let mut left = failures;
        let result = Retry::new(policy)
            .seed(7)
            .timer(&mut sleeper)
            .notify(|ev: &RetryEvent<'_, DemoError>| planned.push(ev.delay))
            .call(|| {
                if left == 0 {
                    return Ok(());
                }
                left -= 1;
                Err(DemoError::Transient)
            });
        anyhow::ensure!(result.is_ok(), "{jitter}: gave up: {result:?}");
        let row = |ds: &[Duration]| {
            ds.iter()
                .map(|d| format!("{:>6.2}", ms(*d)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        n.show(format!(
            "{:<13} planned ms {}",
            jitter.name(),
            row(&planned)
        ));
        n.show(format!("{:<13} slept   ms {}", "", row(&sleeper.slept)));
        let planned_total: Duration = planned.iter().sum();
        let slept_total: Duration = sleeper.slept.iter().sum();
        n.record(
            &format!("{jitter} jitter: total planned sleep"),
            ms(planned_total),
            Unit::Millis,
        );
        n.record(
            &format!("{jitter} jitter: total measured sleep"),
            ms(slept_total),
            Unit::Millis,
        );
    }
    Ok(())
}

/// The spread of 10k jitter draws per mode.
fn demo_spread(n: &mut Narrator) -> anyhow::Result<()> {
    const DRAWS: usize = 10_000;
    const RETRY: usize = 4; // the 5th delay: exp = 100 ms · 2^4 = 1.6 s
    n.section("The spread of 10 000 draws of the 5th delay, per jitter mode");
    let template = Backoff::builder()
        .base_delay(Duration::from_millis(100))
        .factor(2.0)
        .max_delay(Duration::from_secs(10))
        .max_attempts(RETRY as u32 + 2)
        .build()?;
    n.say(
        "Base 100 ms, factor 2, cap 10 s: without jitter the 5th delay is 1.6 s. Each draw \
         plans a fresh schedule (decorrelated jitter depends on the delays before) and keeps \
         its 5th delay. Percentiles of the draws made now, in ms:",
    );
    n.show(format!(
        "{:<13} {:>8} {:>8} {:>8} {:>8}",
        "jitter", "min", "p50", "p99", "max"
    ));
    let mut rng = SmallRng::seed_from_u64(2024);
    for jitter in Jitter::ALL {
        let policy = template.to_builder().jitter(jitter).build()?;
        let mut draws: Vec<f64> = (0..DRAWS)
            .filter_map(|_| policy.delays(&mut rng).nth(RETRY).map(ms))
            .collect();
        anyhow::ensure!(draws.len() == DRAWS, "every schedule has a 5th delay");
        draws.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| draws[((draws.len() - 1) as f64 * q).round() as usize];
        n.show(format!(
            "{:<13} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            jitter.name(),
            at(0.0),
            at(0.5),
            at(0.99),
            at(1.0)
        ));
        n.record(
            &format!("{jitter} jitter: p50 of 5th delay"),
            at(0.5),
            Unit::Millis,
        );
        n.record(
            &format!("{jitter} jitter: p99 of 5th delay"),
            at(0.99),
            Unit::Millis,
        );
    }
    n.say(
        "Full jitter spreads over [0, 1.6 s]; equal over [0.8, 1.6 s]. Decorrelated jitter \
         draws from [100 ms, 3 × the previous delay], capped: it may grow up to ×3 per retry \
         instead of ×2, so by the 5th delay its tail reaches well past the others (compare \
         the p99 and max columns).",
    );
    let ops = n.mode().pick(2_000, 100_000);
    for jitter in [Jitter::None, Jitter::Full, Jitter::Decorrelated] {
        let policy = template.to_builder().jitter(jitter).build()?;
        n.measure(
            &format!("plan a 5-delay schedule, {jitter} jitter"),
            ops,
            || {
                let mut total = Duration::ZERO;
                for _ in 0..ops {
                    total += policy.delays(&mut rng).sum::<Duration>();
                }
                total
            },
        );
    }
    Ok(())
}

/// The loop an interview answer starts with: fixed attempts, doubling sleep,
/// no jitter, no deadline, no predicate. The demo's peer on the no-failure path.
fn hand_written_retry<O, E>(
    attempts: u32,
    base: Duration,
    mut op: impl FnMut() -> Result<O, E>,
) -> Result<O, E> {
    let mut delay = base;
    let mut attempt = 1;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= attempts => return Err(error),
            Err(_) => {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// [`hand_written_retry`], async.
async fn hand_written_retry_async<O, E, Fut: Future<Output = Result<O, E>>>(
    attempts: u32,
    base: Duration,
    mut op: impl FnMut() -> Fut,
) -> Result<O, E> {
    let mut delay = base;
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= attempts => return Err(error),
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// What wrapping a call that succeeds costs.
fn demo_no_failure(n: &mut Narrator) -> anyhow::Result<()> {
    use std::hint::black_box;
    n.section("The no-failure path: what the wrapper costs");
    n.say(
        "An operation that succeeds at once, called directly, through retry, and through \
         the hand-written loop an interview answer starts with (fixed attempts, doubling \
         sleep, nothing else). With a max elapsed time, retry must read the clock before the \
         first attempt; without one it reads nothing. The peer is the backon crate with its \
         default exponential policy; `cargo bench --bench retry_backoff` has the same pairs.",
    );
    let ops = n.mode().pick(20_000, 2_000_000);
    let plain = Backoff::default();
    let deadline = plain
        .to_builder()
        .max_elapsed(Duration::from_secs(5))
        .build()?;
    let op = || Ok::<u64, DemoError>(black_box(7));
    n.measure("direct call, no wrapper", ops, || {
        let mut sum = 0u64;
        for _ in 0..ops {
            sum = sum.wrapping_add(op().unwrap_or(0));
        }
        sum
    });
    let hand_written = || {
        let mut sum = 0u64;
        for _ in 0..ops {
            let v = hand_written_retry(black_box(5), black_box(plain.base_delay()), op);
            sum = sum.wrapping_add(v.unwrap_or(0));
        }
        sum
    };
    let through = |policy: Backoff| {
        move || {
            let mut sum = 0u64;
            for _ in 0..ops {
                sum = sum.wrapping_add(retry(black_box(&policy), op).unwrap_or(0));
            }
            sum
        }
    };
    n.compare_timed(
        "sync, no failure: retry(op)",
        ops,
        through(plain),
        "hand-written loop",
        hand_written,
    );
    n.compare_timed(
        "sync, no failure, max_elapsed set: retry(op)",
        ops,
        through(deadline),
        "hand-written loop",
        hand_written,
    );
    n.compare_timed(
        "sync, no failure: retry(op) vs backon",
        ops,
        through(plain),
        "backon",
        || {
            use backon::BlockingRetryable;
            let mut sum = 0u64;
            for _ in 0..ops {
                let policy = black_box(backon::ExponentialBuilder::default());
                sum = sum.wrapping_add(op.retry(policy).call().unwrap_or(0));
            }
            sum
        },
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let async_op = || async { Ok::<u64, DemoError>(black_box(7)) };
    n.measure("direct await, no wrapper", ops, || {
        rt.block_on(async {
            let mut sum = 0u64;
            for _ in 0..ops {
                sum = sum.wrapping_add(async_op().await.unwrap_or(0));
            }
            sum
        })
    });
    // Borrows only: `Copy`, so both comparisons time the same closure.
    let ours_async = || {
        rt.block_on(async {
            let mut sum = 0u64;
            for _ in 0..ops {
                let v = retry_async(black_box(&plain), async_op).await;
                sum = sum.wrapping_add(v.unwrap_or(0));
            }
            sum
        })
    };
    n.compare_timed(
        "async, no failure: retry_async(op).await",
        ops,
        ours_async,
        "hand-written loop",
        || {
            rt.block_on(async {
                let mut sum = 0u64;
                for _ in 0..ops {
                    let base = black_box(plain.base_delay());
                    let v = hand_written_retry_async(black_box(5), base, async_op).await;
                    sum = sum.wrapping_add(v.unwrap_or(0));
                }
                sum
            })
        },
    );
    n.compare_timed(
        "async, no failure: retry_async(op).await vs backon",
        ops,
        ours_async,
        "backon",
        || {
            use backon::Retryable;
            rt.block_on(async {
                let mut sum = 0u64;
                for _ in 0..ops {
                    let policy = black_box(backon::ExponentialBuilder::default());
                    sum = sum.wrapping_add(async_op.retry(policy).await.unwrap_or(0));
                }
                sum
            })
        },
    );
    Ok(())
}

/// The three ways to give up, on a manual clock.
fn demo_give_up(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Three ways to give up (on a ManualClock: no real waiting)");
    let policy = Backoff::builder()
        .base_delay(Duration::from_millis(100))
        .jitter(Jitter::None)
        .max_attempts(5)
        .build()?;
    let budget = policy
        .to_builder()
        .max_attempts(100)
        .max_elapsed(Duration::from_secs(1))
        .build()?;
    let cases: [(&str, Backoff, DemoError); 3] = [
        ("5 attempts, transient errors", policy, DemoError::Transient),
        ("1 s budget, transient errors", budget, DemoError::Transient),
        ("5 attempts, a fatal error", policy, DemoError::Fatal),
    ];
    for (label, policy, failure) in cases {
        let clock = ManualClock::new();
        let attempt_cost = Duration::from_millis(50);
        let result: Result<(), _> = Retry::new(policy)
            .when(|e: &DemoError| *e == DemoError::Transient)
            .timer(clock.clone())
            .call(|| {
                clock.advance(attempt_cost); // each attempt takes 50 ms
                Err(failure)
            });
        let Err(error) = result else {
            anyhow::bail!("{label}: an always-failing operation succeeded");
        };
        n.show(format!("{label}:"));
        n.show(format!(
            "  {error} — last: {} — clock {:?}",
            error.last,
            clock.elapsed()
        ));
    }
    n.say(
        "The budget counts time spent inside attempts too (50 ms each here), and the loop \
         stops before a sleep that would end past it rather than sleeping in vain.",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn no_jitter(base: u64, cap: u64, attempts: u32) -> Backoff {
        Backoff::builder()
            .base_delay(ms(base))
            .max_delay(ms(cap))
            .jitter(Jitter::None)
            .max_attempts(attempts)
            .build()
            .expect("valid test policy")
    }

    fn schedule(policy: &Backoff, seed: u64) -> Vec<Duration> {
        policy.delays(SmallRng::seed_from_u64(seed)).collect()
    }

    #[test]
    fn bad_policies_are_errors_not_panics() {
        let cases: [(BackoffBuilder, PolicyError); 6] = [
            (
                Backoff::builder().factor(0.5),
                PolicyError::FactorBelowOne { factor: 0.5 },
            ),
            (
                Backoff::builder().factor(f64::INFINITY),
                PolicyError::FactorBelowOne {
                    factor: f64::INFINITY,
                },
            ),
            (
                Backoff::builder().factor(-2.0),
                PolicyError::FactorBelowOne { factor: -2.0 },
            ),
            (
                Backoff::builder().base_delay(ms(20)).max_delay(ms(10)),
                PolicyError::BaseAboveCap {
                    base: ms(20),
                    max_delay: ms(10),
                },
            ),
            (
                Backoff::builder().max_attempts(0),
                PolicyError::ZeroAttempts,
            ),
            (
                Backoff::builder().max_delay(ms(1)),
                PolicyError::BaseAboveCap {
                    base: ms(100),
                    max_delay: ms(1),
                },
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.build(), Err(expected));
        }
        assert!(matches!(
            Backoff::builder().factor(f64::NAN).build(),
            Err(PolicyError::FactorBelowOne { factor }) if factor.is_nan()
        ));
        assert!(
            PolicyError::ZeroAttempts
                .to_string()
                .contains("use 1 for no retries")
        );
        assert!(
            PolicyError::BaseAboveCap {
                base: ms(20),
                max_delay: ms(10)
            }
            .to_string()
            .contains("20ms")
        );
    }

    #[test]
    fn default_policy_is_valid_and_builder_round_trips() {
        let default = Backoff::default();
        assert_eq!(default.to_builder().build(), Ok(default));
        assert_eq!(Backoff::builder().build(), Ok(default));
        let p = Backoff::builder()
            .base_delay(ms(5))
            .factor(1.5)
            .max_delay(ms(50))
            .jitter(Jitter::Equal)
            .max_attempts(7)
            .max_elapsed(ms(300))
            .build()
            .expect("valid");
        assert_eq!(
            (
                p.base_delay(),
                p.factor(),
                p.max_delay(),
                p.jitter(),
                p.max_attempts(),
                p.max_elapsed()
            ),
            (ms(5), 1.5, ms(50), Jitter::Equal, 7, Some(ms(300)))
        );
        assert_eq!(
            p.to_builder()
                .max_elapsed(None)
                .build()
                .map(|p| p.max_elapsed()),
            Ok(None)
        );
    }

    #[test]
    fn delays_grow_by_the_factor_and_cap() {
        let cases: [(Backoff, &[u64]); 4] = [
            (
                no_jitter(100, 1_000, 7),
                &[100, 200, 400, 800, 1_000, 1_000],
            ),
            (no_jitter(10, 10, 4), &[10, 10, 10]),
            (no_jitter(100, 1_000, 1), &[]),
            (
                no_jitter(100, 10_000, 5)
                    .to_builder()
                    .factor(1.5)
                    .build()
                    .expect("valid"),
                &[100, 150, 225, 337],
            ),
        ];
        for (policy, expected) in cases {
            let got: Vec<u128> = schedule(&policy, 0).iter().map(|d| d.as_millis()).collect();
            let expected: Vec<u128> = expected.iter().map(|&v| u128::from(v)).collect();
            assert_eq!(got, expected, "{policy:?}");
            assert_eq!(
                policy.delays(SmallRng::seed_from_u64(0)).len(),
                expected.len()
            );
        }
    }

    #[test]
    fn extreme_policies_saturate_at_the_cap_without_panicking() {
        let huge = Backoff::builder()
            .base_delay(Duration::from_nanos(1))
            .factor(1e300)
            .max_delay(Duration::MAX)
            .jitter(Jitter::None)
            .max_attempts(u32::MAX)
            .build()
            .expect("valid");
        let first: Vec<Duration> = huge.delays(SmallRng::seed_from_u64(0)).take(4).collect();
        let saturated = Duration::from_nanos(u64::MAX);
        assert_eq!(
            first,
            [Duration::from_nanos(1), saturated, saturated, saturated]
        );
        assert_eq!(
            huge.delays(SmallRng::seed_from_u64(0)).len(),
            u32::MAX as usize - 1
        );
        for jitter in Jitter::ALL {
            let p = huge.to_builder().jitter(jitter).build().expect("valid");
            assert!(
                p.delays(SmallRng::seed_from_u64(1))
                    .take(200)
                    .all(|d| d <= saturated)
            );
        }
        let zero = Backoff::builder()
            .base_delay(Duration::ZERO)
            .max_attempts(5)
            .build()
            .expect("valid");
        for jitter in Jitter::ALL {
            let p = zero.to_builder().jitter(jitter).build().expect("valid");
            assert_eq!(schedule(&p, 3), [Duration::ZERO; 4], "{jitter}");
        }
    }

    #[test]
    fn a_seed_reproduces_a_jittered_schedule_and_jitter_spreads() {
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = no_jitter(100, 10_000, 10)
                .to_builder()
                .jitter(jitter)
                .build()
                .expect("valid");
            assert_eq!(schedule(&p, 11), schedule(&p, 11), "{jitter}");
            assert_ne!(schedule(&p, 11), schedule(&p, 12), "{jitter}");
        }
        // Full jitter on a 1 s delay: 1000 seeded draws cover nearly [0, 1 s].
        let p = no_jitter(1_000, 1_000, 2)
            .to_builder()
            .jitter(Jitter::Full)
            .build()
            .expect("valid");
        let mut rng = SmallRng::seed_from_u64(5);
        let draws: Vec<Duration> = (0..1_000)
            .filter_map(|_| p.delays(&mut rng).next())
            .collect();
        assert!(draws.iter().min() < Some(&ms(20)));
        assert!(draws.iter().max() > Some(&ms(980)));
    }

    #[test]
    fn the_default_rng_gives_different_clients_different_schedules() {
        let p = Backoff::default();
        let a: Vec<Duration> = p.delays(LazyRng::default()).collect();
        let b: Vec<Duration> = p.delays(LazyRng::default()).collect();
        assert_ne!(
            a, b,
            "two unseeded clients drew the same 4 full-jitter delays"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn jitter_stays_within_its_bounds(
            base in 0u64..2_000_000_000,
            extra in 0u64..50_000_000_000,
            factor in 1.0f64..5.0,
            attempts in 1u32..40,
            seed in any::<u64>(),
        ) {
            let cap = base + extra;
            let plain = Backoff::builder()
                .base_delay(Duration::from_nanos(base))
                .max_delay(Duration::from_nanos(cap))
                .factor(factor)
                .jitter(Jitter::None)
                .max_attempts(attempts)
                .build()
                .expect("valid by construction");
            let exps: Vec<u64> = plain.delays(SmallRng::seed_from_u64(seed)).map(nanos).collect();
            prop_assert_eq!(exps.len(), attempts as usize - 1);
            prop_assert!(exps.windows(2).all(|w| w[0] <= w[1]), "grows: {:?}", exps);
            prop_assert!(exps.iter().all(|&e| base <= e && e <= cap));
            for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
                let p = plain.to_builder().jitter(jitter).build().expect("valid");
                let got: Vec<u64> = p.delays(SmallRng::seed_from_u64(seed)).map(nanos).collect();
                prop_assert_eq!(got.len(), exps.len());
                let mut prev = base;
                for (&d, &exp) in got.iter().zip(&exps) {
                    prop_assert!(d <= cap);
                    match jitter {
                        Jitter::Full => prop_assert!(d <= exp, "full {} > {}", d, exp),
                        Jitter::Equal => prop_assert!(exp / 2 <= d && d <= exp, "equal {} vs {}", d, exp),
                        _ => {
                            prop_assert!(base <= d && d <= prev.saturating_mul(3), "decorrelated {} prev {}", d, prev);
                            prev = d;
                        }
                    }
                }
            }
        }
    }

    /// An operation failing `fails` times with `Transient`, then succeeding.
    fn flaky(fails: u32) -> impl FnMut() -> Result<u32, DemoError> {
        let mut calls = 0;
        move || {
            calls += 1;
            if calls <= fails {
                Err(DemoError::Transient)
            } else {
                Ok(calls)
            }
        }
    }

    #[test]
    fn succeeds_after_failures_sleeping_the_planned_delays() {
        let policy = no_jitter(100, 10_000, 5)
            .to_builder()
            .jitter(Jitter::Full)
            .build()
            .expect("valid");
        let clock = ManualClock::new();
        let mut events = Vec::new();
        let result = Retry::new(policy)
            .seed(9)
            .timer(clock.clone())
            .notify(|ev: &RetryEvent<'_, DemoError>| events.push((ev.attempt, *ev.error, ev.delay)))
            .call(flaky(3));
        assert_eq!(result, Ok(4));
        let expected: Vec<(u32, DemoError, Duration)> = schedule(&policy, 9)
            .into_iter()
            .take(3)
            .zip(1..)
            .map(|(d, attempt)| (attempt, DemoError::Transient, d))
            .collect();
        assert_eq!(events, expected);
        assert_eq!(
            clock.elapsed(),
            expected.iter().map(|e| e.2).sum::<Duration>()
        );
    }

    #[test]
    fn exhausted_returns_the_last_error_and_the_attempt_count() {
        let clock = ManualClock::new();
        let mut calls = 0;
        let result: Result<(), RetryError<String>> = Retry::new(no_jitter(10, 1_000, 4))
            .timer(clock.clone())
            .call(|| {
                calls += 1;
                Err(format!("failure #{calls}"))
            });
        let error = result.expect_err("always fails");
        assert_eq!(error.attempts, 4);
        assert_eq!(error.reason, StopReason::Exhausted);
        assert_eq!(error.last, "failure #4");
        assert_eq!(
            clock.elapsed(),
            ms(10 + 20 + 40),
            "no sleep after the last attempt"
        );
        assert_eq!(
            error.to_string(),
            "gave up after 4 attempt(s): max attempts reached"
        );
    }

    #[test]
    fn a_single_attempt_policy_never_sleeps() {
        let clock = ManualClock::new();
        let result = Retry::new(no_jitter(10, 10, 1))
            .timer(clock.clone())
            .call(flaky(1));
        assert_eq!(
            result.map_err(|e| (e.attempts, e.reason)),
            Err((1, StopReason::Exhausted))
        );
        assert_eq!(clock.elapsed(), Duration::ZERO);
    }

    #[test]
    fn a_non_retryable_error_returns_at_once() {
        let clock = ManualClock::new();
        let mut calls = 0;
        let mut observed = 0;
        let result: Result<(), _> = Retry::new(no_jitter(10, 1_000, 10))
            .when(|e: &DemoError| *e == DemoError::Transient)
            .notify(|_: &RetryEvent<'_, DemoError>| observed += 1)
            .timer(clock.clone())
            .call(|| {
                calls += 1;
                Err(if calls < 3 {
                    DemoError::Transient
                } else {
                    DemoError::Fatal
                })
            });
        let error = result.expect_err("fatal");
        assert_eq!(
            (error.attempts, error.reason, error.last),
            (3, StopReason::NotRetryable, DemoError::Fatal)
        );
        assert_eq!((calls, observed), (3, 2));
        assert_eq!(clock.elapsed(), ms(10 + 20));

        let first: Result<(), _> = Retry::new(no_jitter(10, 1_000, 10))
            .when(|_: &DemoError| false)
            .timer(clock.clone())
            .call(|| Err(DemoError::Fatal));
        assert_eq!(first.map_err(|e| e.attempts), Err(1));
        assert_eq!(clock.elapsed(), ms(30), "no sleep at all");
    }

    #[test]
    fn max_elapsed_is_respected_counting_time_inside_attempts() {
        let policy = no_jitter(100, 10_000, 100)
            .to_builder()
            .max_elapsed(ms(1_000))
            .build()
            .expect("valid");
        let clock = ManualClock::new();
        let mut starts = Vec::new();
        let result: Result<(), _> = Retry::new(policy).timer(clock.clone()).call(|| {
            starts.push(clock.elapsed());
            clock.advance(ms(30)); // each attempt takes 30 ms
            Err(DemoError::Transient)
        });
        let error = result.expect_err("always fails");
        assert_eq!(error.reason, StopReason::Elapsed);
        // Attempts start at 0, 130, 360, 790; the next would start at 1620.
        assert_eq!(starts, [ms(0), ms(130), ms(360), ms(790)]);
        assert_eq!(error.attempts, 4);
        assert!(starts.iter().all(|s| *s <= ms(1_000)));
        assert_eq!(clock.elapsed(), ms(820), "gave up without sleeping in vain");
    }

    /// A timer that counts its clock reads and sleeps in no time.
    struct CountingTimer<'a>(&'a std::cell::Cell<u32>);

    impl BlockingTimer for CountingTimer<'_> {
        fn now(&self) -> Instant {
            self.0.set(self.0.get() + 1);
            Instant::now()
        }
        fn sleep(&mut self, _: Duration) {}
    }

    fn clock_reads(policy: Backoff, fails: u32) -> u32 {
        let reads = std::cell::Cell::new(0);
        let _ = Retry::new(policy)
            .timer(CountingTimer(&reads))
            .call(flaky(fails));
        reads.get()
    }

    #[test]
    fn the_clock_is_read_only_when_there_is_a_budget() {
        let plain = no_jitter(1, 10, 5);
        let timed = plain
            .to_builder()
            .max_elapsed(ms(1_000))
            .build()
            .expect("valid");
        assert_eq!(clock_reads(plain, 0), 0);
        assert_eq!(clock_reads(plain, 3), 0);
        assert_eq!(clock_reads(timed, 0), 1, "once, before the first attempt");
        assert_eq!(clock_reads(timed, 3), 4, "and once per failure");
    }

    #[test]
    fn retry_error_has_the_last_error_as_source() {
        let error =
            retry(&no_jitter(0, 0, 2), || Err::<(), _>(DemoError::Fatal)).expect_err("fails");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("404 not found (fatal)"));
        assert_eq!(error.into_last(), DemoError::Fatal);
    }

    #[test]
    fn retries_emit_tracing_events() {
        use tracing::field::{Field, Visit};
        use tracing::span::{Attributes, Id, Record};
        use tracing::{Event, Metadata};

        #[derive(Default, Clone)]
        struct Collect(Arc<Mutex<Vec<String>>>);
        struct Fields<'a>(&'a mut String);
        impl Visit for Fields<'_> {
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        impl tracing::Subscriber for Collect {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &Attributes<'_>) -> Id {
                Id::from_u64(1)
            }
            fn record(&self, _: &Id, _: &Record<'_>) {}
            fn record_follows_from(&self, _: &Id, _: &Id) {}
            fn event(&self, event: &Event<'_>) {
                let mut line = String::new();
                event.record(&mut Fields(&mut line));
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
            fn enter(&self, _: &Id) {}
            fn exit(&self, _: &Id) {}
        }

        let collect = Collect::default();
        tracing::subscriber::with_default(collect.clone(), || {
            let _ = Retry::new(no_jitter(10, 100, 3))
                .timer(ManualClock::new())
                .call(|| Err::<(), _>(DemoError::Transient));
        });
        let lines = collect
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].contains("attempt=1") && lines[0].contains("delay=10ms"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains("attempt=2") && lines[1].contains("delay=20ms"),
            "{lines:?}"
        );
        assert!(
            lines[2].contains("attempts=3") && lines[2].contains("max attempts reached"),
            "{lines:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn async_retry_sleeps_the_planned_delays_on_paused_time() {
        let policy = no_jitter(100, 10_000, 5)
            .to_builder()
            .jitter(Jitter::Decorrelated)
            .build()
            .expect("valid");
        let start = tokio::time::Instant::now();
        let mut calls = 0;
        let result = Retry::new(policy)
            .seed(3)
            .call_async(|| {
                calls += 1;
                let n = calls;
                async move {
                    if n <= 3 {
                        Err(DemoError::Transient)
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(result, Ok(4));
        let planned: Duration = schedule(&policy, 3).into_iter().take(3).sum();
        // tokio's timer wheel rounds each sleep up to a whole millisecond.
        let slept = start.elapsed();
        assert!(
            planned <= slept && slept <= planned + ms(3),
            "{slept:?} vs {planned:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn async_max_elapsed_uses_tokio_time() {
        let policy = no_jitter(100, 10_000, 100)
            .to_builder()
            .max_elapsed(ms(1_000))
            .build()
            .expect("valid");
        let start = tokio::time::Instant::now();
        let result: Result<(), _> = retry_async(&policy, || async {
            tokio::time::sleep(ms(30)).await;
            Err(DemoError::Transient)
        })
        .await;
        let error = result.expect_err("always fails");
        assert_eq!((error.attempts, error.reason), (4, StopReason::Elapsed));
        assert_eq!(start.elapsed(), ms(820));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_async_future_stops_retrying() {
        let calls = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&calls);
        let looping = retry_async(&no_jitter(100, 10_000, 50), move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(DemoError::Transient) }
        });
        // Attempts at 0, 100, 300 ms; the timeout drops the loop at 250 ms.
        let outcome = tokio::time::timeout(ms(250), looping).await;
        assert!(outcome.is_err(), "timed out");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_secs(3_600)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "no attempt after the drop");
    }

    #[tokio::test]
    async fn async_futures_are_send_so_they_can_be_spawned() {
        let policy = no_jitter(0, 0, 3);
        let handle = tokio::spawn(async move {
            Retry::new(policy)
                .timer(ManualClock::new())
                .seed(1)
                .call_async(flaky_async())
                .await
        });
        assert_eq!(handle.await.ok(), Some(Ok(3)));
    }

    fn flaky_async() -> impl FnMut() -> std::future::Ready<Result<u32, DemoError>> + Send {
        let mut op = flaky(2);
        move || std::future::ready(op())
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("interview/retry-backoff", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "hand-written loop")
        );
        assert!(n.comparisons().iter().any(|c| c.peer_name == "backon"));
        assert!(
            n.measurements()
                .iter()
                .any(|m| m.label.contains("measured sleep"))
        );
    }
}
