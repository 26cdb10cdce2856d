//! # Kata `retry-backoff`: retry a flaky call with exponential backoff
//!
//! The reader writes `retry(policy, rng, sleep, op)`, the signature of the
//! lesson's `retry_simple` (`interview/retry-backoff`): call `op`; after an
//! error, sleep the schedule's next delay — `base · factor^n`, capped at
//! `max_delay`, jittered with draws from `rng` — and call again; after
//! `max_attempts` failures, give up with the *last* error. The policy is
//! the kit's [`Backoff`]; the schedule is the reader's to compute.
//!
//! Nothing here sleeps: the test's `sleep` only records each delay. The
//! loop is judged on the calls it makes, the delays it asks for and what it
//! returns ([`Run`]); the schedule on exact delays without jitter (to the
//! microsecond, so float or integer arithmetic both pass) and, with jitter,
//! on bounds and on the mean over a thousand fixed seeds, so a jitter that
//! always draws the top (or the bottom) of its range fails for certain and
//! a right one never does. A property test holds the whole loop to the
//! kit's `retry_simple` on any un-jittered policy and any number of
//! failures.

use std::fmt;
use std::time::Duration;

pub use mastery_interview::retry_backoff::{Backoff, Jitter, RetryError, StopReason};
use rand::SeedableRng;
use rand::rngs::SmallRng;
pub use rand::{Rng, RngCore};

use crate::failure::{KataFailure, KitTest};

pub mod ladder;
mod schedule;

pub use ladder::ladder;
pub use schedule::{
    behaves_like_retry_simple, decorrelated_jitter_stays_between_base_and_three_times_the_last,
    delays_grow_by_the_factor_up_to_the_cap, equal_jitter_keeps_at_least_half,
    full_jitter_draws_between_zero_and_the_delay, long_schedules_do_not_overflow,
};

/// What the reader implements (`kata_tests!` writes the impl that calls
/// their `retry` function).
pub trait RetryKata {
    /// Calls `op` until it succeeds or `policy.max_attempts()` attempts
    /// failed, calling `sleep` with the schedule's delay between attempts.
    ///
    /// # Errors
    /// The last attempt's error, the attempts made and
    /// [`StopReason::Exhausted`].
    fn retry<O, E>(
        policy: &Backoff,
        rng: impl RngCore,
        sleep: impl FnMut(Duration),
        op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, RetryError<E>>;
}

/// A policy for the tests. Every one used here is valid, so the builder's
/// error cannot happen; a test that hit it would be a kit bug.
fn policy(base: Duration, factor: f64, cap: Duration, jitter: Jitter, attempts: u32) -> Backoff {
    Backoff::builder()
        .base_delay(base)
        .factor(factor)
        .max_delay(cap)
        .jitter(jitter)
        .max_attempts(attempts)
        .build()
        .unwrap_or_else(|e| panic!("a kata test built an invalid policy: {e}"))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The policy as the replay's first line.
fn policy_line(p: &Backoff) -> String {
    format!(
        "let policy = Backoff::builder().base_delay({:?}).factor({:?}).max_delay({:?}).jitter(Jitter::{:?}).max_attempts({}).build()?;",
        p.base_delay(),
        p.factor(),
        p.max_delay(),
        p.jitter(),
        p.max_attempts()
    )
}

/// What one `retry` call did: how many times it called the operation, the
/// delays it asked to sleep, and what it returned. The operation's answers
/// are its call numbers: `Err(1)`, `Err(2)`, …, then `Ok(k)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Calls of the operation.
    pub calls: u32,
    /// The delays passed to `sleep`, in order.
    pub sleeps: Vec<Duration>,
    /// `retry`'s answer.
    pub result: Result<u32, RetryError<u32>>,
}

/// Runs the reader's `retry` under `policy` with a `SmallRng` seeded with
/// `seed`, on an operation that fails `failures` times and then succeeds
/// (`None`: fails every time).
pub fn run<T: RetryKata>(policy: &Backoff, seed: u64, failures: Option<u32>) -> Run {
    let mut calls = 0;
    let mut sleeps = Vec::new();
    let result = T::retry(
        policy,
        SmallRng::seed_from_u64(seed),
        |d| sleeps.push(d),
        || {
            calls += 1;
            match failures {
                Some(f) if calls > f => Ok(calls),
                _ => Err(calls),
            }
        },
    );
    Run {
        calls,
        sleeps,
        result,
    }
}

/// The replay of one run: the policy, the operation, the call.
fn replay(policy: &Backoff, seed: u64, failures: Option<u32>) -> Vec<String> {
    let op = match failures {
        Some(0) => "let op = || Ok::<u32, u32>(1); // succeeds at once".to_owned(),
        Some(f) => format!(
            "let mut calls = 0; let op = || {{ calls += 1; if calls > {f} {{ Ok(calls) }} else {{ Err(calls) }} }};"
        ),
        None => {
            "let mut calls = 0; let op = || { calls += 1; Err::<u32, u32>(calls) }; // always fails"
                .to_owned()
        }
    };
    vec![
        policy_line(policy),
        op,
        "let mut slept = Vec::new();".to_owned(),
        format!("retry(&policy, SmallRng::seed_from_u64({seed}), |d| slept.push(d), op)"),
    ]
}

/// Delays as the messages print them.
struct Delays<'a>(&'a [Duration]);

impl fmt::Display for Delays<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d:?}")?;
        }
        f.write_str("]")
    }
}

/// The run's calls, sleeps and result as one line.
fn describe(run: &Run) -> String {
    let result = match &run.result {
        Ok(v) => format!("Ok({v})"),
        Err(e) => format!(
            "Err(RetryError {{ attempts: {}, reason: {:?}, last: {} }})",
            e.attempts, e.reason, e.last
        ),
    };
    format!(
        "{} call(s), slept {}, returned {result}",
        run.calls,
        Delays(&run.sleeps)
    )
}

/// Runs one case and compares it with the expected run in full.
fn expect_run<T: RetryKata>(
    test: &'static str,
    policy: &Backoff,
    failures: Option<u32>,
    want: &Run,
    why: &str,
) -> Result<(), KataFailure> {
    let got = run::<T>(policy, 7, failures);
    if close_runs(&got, want) {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected: format!("{} ({why})", describe(want)),
        got: describe(&got),
        replay: replay(policy, 7, failures),
    })
}

/// Two delays within a microsecond of each other: integer and float
/// arithmetic both pass.
fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_micros(1)
}

fn close_runs(a: &Run, b: &Run) -> bool {
    a.calls == b.calls
        && a.result == b.result
        && a.sleeps.len() == b.sleeps.len()
        && a.sleeps.iter().zip(&b.sleeps).all(|(x, y)| close(*x, *y))
}

/// A policy without jitter, so every delay is known: 100 ms doubling,
/// capped at 1 s.
fn plain(attempts: u32) -> Backoff {
    policy(ms(100), 2.0, ms(1000), Jitter::None, attempts)
}

/// The operation succeeds at once: one call, no sleep, its value.
pub fn a_first_success_makes_one_call_and_no_sleep<T: RetryKata>() -> Result<(), KataFailure> {
    let want = Run {
        calls: 1,
        sleeps: Vec::new(),
        result: Ok(1),
    };
    expect_run::<T>(
        "a_first_success_makes_one_call_and_no_sleep",
        &plain(4),
        Some(0),
        &want,
        "no retry, so no sleep",
    )
}

/// Two failures, then success: three calls, the first two delays slept,
/// the third call's value returned.
pub fn retries_until_success_and_returns_its_value<T: RetryKata>() -> Result<(), KataFailure> {
    let want = Run {
        calls: 3,
        sleeps: vec![ms(100), ms(200)],
        result: Ok(3),
    };
    expect_run::<T>(
        "retries_until_success_and_returns_its_value",
        &plain(4),
        Some(2),
        &want,
        "a sleep before each retry, the delay doubling",
    )
}

/// Every call fails: exactly `max_attempts` calls, a sleep between each
/// two (none after the last), and the *last* error with the attempt count.
pub fn gives_up_after_max_attempts_with_the_last_error<T: RetryKata>() -> Result<(), KataFailure> {
    let want = Run {
        calls: 4,
        sleeps: vec![ms(100), ms(200), ms(400)],
        result: Err(RetryError {
            attempts: 4,
            reason: StopReason::Exhausted,
            last: 4,
        }),
    };
    expect_run::<T>(
        "gives_up_after_max_attempts_with_the_last_error",
        &plain(4),
        None,
        &want,
        "4 attempts, 3 sleeps between them, the 4th call's error",
    )
}

/// `max_attempts(1)`: no retry at all.
pub fn max_attempts_one_makes_one_call<T: RetryKata>() -> Result<(), KataFailure> {
    let want = Run {
        calls: 1,
        sleeps: Vec::new(),
        result: Err(RetryError {
            attempts: 1,
            reason: StopReason::Exhausted,
            last: 1,
        }),
    };
    expect_run::<T>(
        "max_attempts_one_makes_one_call",
        &plain(1),
        None,
        &want,
        "one attempt allowed: no retry, no sleep",
    )
}

/// Every kit test of this kata, for the reader's `T`.
pub fn tests<T: RetryKata>() -> Vec<KitTest> {
    crate::__kata_retry_backoff!(table, T)
}

/// The list of kit tests, written once (see `lru_cache`'s).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_retry_backoff {
    ($mode:ident, $imp:ty) => {
        $crate::__kata_emit! {$mode, retry_backoff, $imp;
            a_first_success_makes_one_call_and_no_sleep,
            retries_until_success_and_returns_its_value,
            gives_up_after_max_attempts_with_the_last_error,
            max_attempts_one_makes_one_call,
            delays_grow_by_the_factor_up_to_the_cap,
            long_schedules_do_not_overflow,
            full_jitter_draws_between_zero_and_the_delay,
            equal_jitter_keeps_at_least_half,
            decorrelated_jitter_stays_between_base_and_three_times_the_last,
            behaves_like_retry_simple,
        }
    };
}

/// The reader's `retry` function as a [`RetryKata`] named `$name`: what
/// `kata_tests!` and the starter's ladder binary both need.
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_retry_entry {
    ($name:ident, $($retry:tt)+) => {
        /// The reader's `retry` as the kata's implementation.
        #[derive(Debug)]
        pub struct $name;

        impl $crate::retry_backoff::RetryKata for $name {
            fn retry<O, E>(
                policy: &$crate::retry_backoff::Backoff,
                rng: impl $crate::retry_backoff::RngCore,
                sleep: impl FnMut(::std::time::Duration),
                op: impl FnMut() -> ::std::result::Result<O, E>,
            ) -> ::std::result::Result<O, $crate::retry_backoff::RetryError<E>> {
                $($retry)+(policy, rng, sleep, op)
            }
        }
    };
}
