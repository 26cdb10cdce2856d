//! Broken answers to the `retry-backoff` kata, one plausible mistake each,
//! on a schedule of their own (as the reader's must be). Each is caught by
//! the kit test named in its doc.

use std::time::Duration;

use rand::Rng;

use crate::retry_backoff::{Backoff, Jitter, RetryError, RetryKata, RngCore, StopReason};

/// The delay before retry `n` (0 for the first retry): `base · factor^n`,
/// capped when `capped`, then jittered.
fn delay(policy: &Backoff, n: u32, capped: bool, rng: &mut impl RngCore) -> Duration {
    let cap = policy.max_delay().as_secs_f64();
    let mut exp = policy.base_delay().as_secs_f64()
        * policy.factor().powi(i32::try_from(n).unwrap_or(i32::MAX));
    if capped {
        exp = exp.min(cap);
    }
    let exp = Duration::from_secs_f64(exp);
    match policy.jitter() {
        Jitter::None | Jitter::Decorrelated => exp,
        Jitter::Full => exp.mul_f64(rng.random::<f64>()),
        Jitter::Equal => exp / 2 + (exp / 2).mul_f64(rng.random::<f64>()),
    }
}

/// Broken: the loop sleeps after *every* failure, the last one included —
/// a wasted wait before giving up. Caught by
/// `gives_up_after_max_attempts_with_the_last_error`.
#[derive(Debug)]
pub struct SleepsAfterTheLastFailure;

impl RetryKata for SleepsAfterTheLastFailure {
    fn retry<O, E>(
        policy: &Backoff,
        mut rng: impl RngCore,
        mut sleep: impl FnMut(Duration),
        mut op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, RetryError<E>> {
        let mut n = 0;
        loop {
            match op() {
                Ok(value) => return Ok(value),
                Err(error) => {
                    sleep(delay(policy, n, true, &mut rng)); // BUG: before the check.
                    n += 1;
                    if n == policy.max_attempts() {
                        return Err(RetryError {
                            attempts: n,
                            reason: StopReason::Exhausted,
                            last: error,
                        });
                    }
                }
            }
        }
    }
}

/// Broken: `base · factor^n` with no cap, so delays grow past
/// `max_delay`. Caught by `delays_grow_by_the_factor_up_to_the_cap`.
#[derive(Debug)]
pub struct NoCap;

impl RetryKata for NoCap {
    fn retry<O, E>(
        policy: &Backoff,
        mut rng: impl RngCore,
        mut sleep: impl FnMut(Duration),
        mut op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, RetryError<E>> {
        let mut attempts = 1;
        loop {
            let error = match op() {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if attempts == policy.max_attempts() {
                return Err(RetryError {
                    attempts,
                    reason: StopReason::Exhausted,
                    last: error,
                });
            }
            sleep(delay(policy, attempts - 1, false, &mut rng)); // BUG: not capped.
            attempts += 1;
        }
    }
}

/// Broken: keeps the *first* error and returns it when giving up — the
/// caller sees a stale cause. Caught by
/// `gives_up_after_max_attempts_with_the_last_error`.
#[derive(Debug)]
pub struct ReturnsTheFirstError;

impl RetryKata for ReturnsTheFirstError {
    fn retry<O, E>(
        policy: &Backoff,
        mut rng: impl RngCore,
        mut sleep: impl FnMut(Duration),
        mut op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, RetryError<E>> {
        let first = match op() {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        for n in 1..policy.max_attempts() {
            sleep(delay(policy, n - 1, true, &mut rng));
            if let Ok(value) = op() {
                return Ok(value);
            } // BUG: this attempt's error is dropped; `first` is returned.
        }
        Err(RetryError {
            attempts: policy.max_attempts(),
            reason: StopReason::Exhausted,
            last: first,
        })
    }
}
