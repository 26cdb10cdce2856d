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
//! The whole idea fits in one loop, [`retry_simple`] below: call, and on an
//! error sleep for the schedule's next delay and call again, until the
//! schedule runs out. [`Retry::call`] is that loop plus the predicate, the
//! observer, the deadline and the injectable clock, with the failure path
//! moved out of line; a property test checks that the two make the same
//! calls and sleep the same delays.
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
//!   `adjust` to honour a server's `Retry-After`.
//! - **Neither** for non-idempotent operations (a retried `POST` may charge
//!   twice) or for overload you cause yourself: pair retries with a circuit
//!   breaker or a retry budget, or every client multiplies the load exactly
//!   when the server can least take it.
//!
//! Which jitter. AWS's *Exponential Backoff and Jitter* simulated many
//! clients contending for one row under optimistic concurrency. Plain
//! exponential backoff was the clear loser: more calls *and* more time than
//! any jittered schedule. Among those, full and equal jitter made about the
//! same number of calls and decorrelated jitter more; full jitter did the
//! least work but finished slightly later than decorrelated jitter, and
//! equal jitter did a little more work than full and took much longer. Full
//! jitter is the default here. Equal jitter guarantees at least half the
//! exponential wait. Decorrelated jitter grows from the previous *actual*
//! sleep, so it needs no retry counter; it follows the published formula
//! `min(cap, random(base, prev · 3))`, so the policy's `factor` does not
//! apply to it — and it collapses onto the cap: once `prev · 3` passes the
//! cap, every draw above the cap becomes exactly the cap (with `prev` at the
//! cap, two draws in three), so clients that have backed off that far retry
//! in step again. Keep the cap well above the delays you expect, or use full
//! jitter.
//!
//! ## What it costs
//! The demo measures, in this run:
//! - **planned vs slept**: for each jitter mode, the delays the policy chose
//!   next to `std::thread::sleep` timed around them — the OS always oversleeps
//!   a little, so a schedule is a lower bound on the wait;
//! - **the spread** of many draws of one delay per mode (min, p50, p99, max),
//!   and the time to plan a schedule with no, full and decorrelated jitter;
//! - **the no-failure path**, which is what a retry wrapper costs almost
//!   always: a direct call, then [`retry`] against the hand-written loop an
//!   interview answer starts with (with and without a max elapsed time) and
//!   against `backon`; the same three for [`retry_async`];
//! - **the ladder**, on two paths (nothing fails; two failures, then
//!   success) with sleepers that return at once: [`retry_simple`], the
//!   lesson's loop, then [`Retry::call`], then `backon`, all in the same
//!   rounds, each against the one below. No Python rung: `tenacity` is not
//!   in the standard library, and a bare `for`/`try` loop would time only
//!   CPython's exception path; the demo says so.
//!
//! Where that cost comes from. Without a failure the wrapper is one call of
//! the operation and a branch: no allocation, no RNG seeding (the default RNG
//! seeds itself on its first draw), no schedule built, no clock read — unless
//! the policy has a max elapsed time. A deadline measured from the *first*
//! attempt needs the time before that attempt (reading the clock only after a
//! failure would leave the first attempt out of the budget), so a deadline
//! costs one `Instant::now()` per call, paid only by policies that ask for
//! one. Everything after a first failure lives apart: a `#[cold]` function
//! for [`Retry::call`], and for [`Retry::call_async`] a boxed future — one
//! allocation, made only when a retry is about to sleep anyway — so the
//! future every call builds and moves stays small. [`retry`] and
//! [`retry_async`] also copy the policy into a [`Retry`] only after a
//! failure; the bench group `retry-no-failure-async` (`ours/retry_async`
//! against `baseline/direct-await` and `peer/backon`) shows what that buys.
//!
//! What you give up: a sync retry blocks its thread while sleeping; an
//! attempt already running is never interrupted, so a slow attempt can
//! overrun the max elapsed time (wrap the operation in a timeout when that
//! matters). The async version stops retrying the moment its future is
//! dropped — a `tokio::time::timeout` around it is a deadline that also cuts
//! an attempt.
//!
//! ## Run it
//! `mastery run interview/retry-backoff` runs the demo above and the three
//! ways to give up; `mastery run interview/retry-backoff --deep` sleeps a
//! schedule five times as long and times many more calls per sample.
//! `cargo bench -p mastery-interview --bench retry_backoff` measures ours
//! against `backon`: groups `retry-no-failure` and
//! `retry-no-failure-async` (the wrapper alone) and
//! `retry-3-failures-no-sleep` (the bookkeeping of three retries without
//! waiting). `cargo test -p mastery-interview retry_backoff` runs the unit,
//! property and doc tests, deterministic through `ManualClock` and paused
//! tokio time.
//!
//! ## Follow-ups
//! - **How do you avoid a thundering herd?** Jitter: the default `Jitter::Full`
//!   sleeps `random(0, exp)` and each call's `LazyRng` seeds itself afresh, so
//!   clients that failed together spread out
//!   (`the_default_rng_differs_between_threads` in
//!   `interview/src/retry_backoff/tests.rs`). `Jitter::None` retries in
//!   lockstep.
//! - **Can you retry a non-idempotent call?** Not blindly: a `POST` that took
//!   effect but timed out takes effect twice, and `Retry` cannot tell. Retry
//!   only errors that prove nothing happened (`Retry::when` in
//!   `interview/src/retry_backoff/retry_loop.rs`), or send a request id; the
//!   kit has no idempotency keys.
//! - **A deadline, or summed sleeps?** A deadline: `max_elapsed` counts from
//!   the first attempt's start, time inside attempts included; a retry that
//!   would start past it is not made (`StopReason::Elapsed`, `after_failure` in
//!   `interview/src/retry_backoff/retry_loop.rs`). A running attempt is never
//!   cut: wrap `retry_async` in `tokio::time::timeout`.
//! - **What breaks at 10× load? Budgets, breakers?** Every call retries on its
//!   own, up to `max_attempts` (`interview/src/retry_backoff/policy.rs`),
//!   multiplying the load during an outage. The kit has no retry budget and no
//!   circuit breaker: `Retry` (`interview/src/retry_backoff/retry_loop.rs`)
//!   keeps no state across calls, so put a shared one in front of it.
//! - **Is it thread-safe; what does it hold?** A call owns its state (a `Copy`
//!   `Backoff`, the schedule, an RNG, the last error) and shares nothing; the
//!   async future is `Send` when the operation's is
//!   (`async_futures_are_send_so_they_can_be_spawned` in
//!   `interview/src/retry_backoff/tests.rs`). The sync loop blocks its thread
//!   while it sleeps.
//! - **How do you test it without waiting?** `ManualClock`
//!   (`interview/src/retry_backoff/timer.rs`) advances on every sleep,
//!   `Retry::seed` fixes the jitter, and async tests use paused tokio time;
//!   `retry_simple_agrees_with_retry_call`
//!   (`interview/src/retry_backoff/tests.rs`) holds `Retry::call` to the
//!   lesson's `retry_simple`.

use std::time::Duration;

use rand::RngCore;

// ANCHOR: core
/// Retry with exponential backoff, the readable version: call `op`; after an
/// error, sleep for the next delay of `policy`'s schedule (`base · factor^n`,
/// capped, jittered with draws from `rng`) and call again; when the schedule
/// runs out, give up with the last error.
///
/// It leaves out what [`Retry`] adds — a retry-if predicate, an observer, a
/// max elapsed time, an injectable clock, a failure path kept out of line —
/// and makes exactly the calls and sleeps [`Retry::call`] makes for the same
/// policy and seed (a property test checks it).
///
/// ```
/// use std::time::Duration;
/// use mastery_interview::retry_backoff::{Backoff, Jitter, retry_simple};
/// use rand::{SeedableRng, rngs::SmallRng};
///
/// let policy = Backoff::builder().jitter(Jitter::None).max_attempts(4).build()?;
/// let mut slept = Vec::new();
/// let mut left = 2;
/// let result = retry_simple(&policy, SmallRng::seed_from_u64(1), |d| slept.push(d), || {
///     if left > 0 { left -= 1; Err("busy") } else { Ok("done") }
/// });
/// assert_eq!(result.map_err(|e| e.last), Ok("done"));
/// assert_eq!(slept, [Duration::from_millis(100), Duration::from_millis(200)]);
/// # Ok::<(), mastery_interview::retry_backoff::PolicyError>(())
/// ```
///
/// # Errors
/// A [`RetryError`] with the last error, the attempts made and
/// [`StopReason::Exhausted`].
pub fn retry_simple<O, E>(
    policy: &Backoff,
    rng: impl RngCore,
    mut sleep: impl FnMut(Duration),
    mut op: impl FnMut() -> Result<O, E>,
) -> Result<O, RetryError<E>> {
    // The schedule is an iterator of `max_attempts - 1` delays: one per retry.
    let mut delays = policy.delays(rng);
    let mut attempts = 1;
    loop {
        let error = match op() {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let Some(delay) = delays.next() else {
            return Err(RetryError {
                attempts,
                reason: StopReason::Exhausted,
                last: error,
            });
        };
        sleep(delay);
        attempts += 1;
    }
}
// ANCHOR_END: core

mod demo;
mod error;
mod ladder;
mod lazy_rng;
mod policy;
mod retry_loop;
mod timer;

#[cfg(test)]
mod tests;

pub use error::{RetryError, StopReason};
pub use ladder::{ReaderRetry, climb_retry_ladder, flaky};
pub use lazy_rng::LazyRng;
pub use policy::{Backoff, BackoffBuilder, Delays, Jitter, PolicyError};
pub use retry_loop::{Always, OnRetry, Quiet, Retry, RetryEvent, RetryIf, retry, retry_async};
pub use timer::{AsyncTimer, BlockingTimer, ManualClock, RealTime};
