//! The second half of `mastery kata check` for this kata: the reader's
//! `retry` as one more rung of the `interview/retry-backoff` ladder — the
//! same flaky operation, the same default policy, sleepers that return at
//! once — timed in the same rounds as `retry_simple`, `Retry::call` and
//! `backon`, then placed.

use std::process::ExitCode;

use mastery_interview::retry_backoff::{ReaderRetry, climb_retry_ladder, flaky};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::RetryKata;

/// Climbs the retry ladder with the reader's `T` as a rung and prints
/// where it lands on both paths; the mode comes from the command line
/// (`--quick`, `--deep`, else full). Exit code 1 when the ladder fails (the
/// reader's retry gave up on a call that succeeds by its third attempt), 2
/// on a bad argument.
pub fn ladder<T: RetryKata>() -> ExitCode {
    let mut n = match crate::ladder_narrator("kata/retry-backoff") {
        Ok(n) => n,
        Err(code) => return code,
    };
    // The demo's calls per sample, so the reader's figures match the topic's.
    let ops = n.mode().pick_deep(10_000, 100_000, 500_000);
    let reader = ReaderRetry {
        name: "your retry".to_owned(),
        call: |policy: &_, failures| {
            T::retry(policy, SmallRng::seed_from_u64(7), |_| {}, flaky(failures)).ok()
        },
    };
    crate::ladder_exit(climb_retry_ladder(&mut n, ops, Some(reader)))
}
