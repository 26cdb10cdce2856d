// Kata retry-backoff: retry a flaky call with exponential backoff and jitter.
//
// Fill in the `todo!()` (README.md says what it must do), then run `cargo
// test`: the kit's own tests run against your `retry`.
//
// Keep the name and the signature: the tests and the ladder call `retry`
// directly.

use std::time::Duration;

pub use mastery_kata::retry_backoff::{Backoff, Jitter, RetryError, Rng, RngCore, StopReason};

/// Calls `op`; after an error, calls `sleep` with the next delay of
/// `policy`'s schedule and calls `op` again — at most
/// `policy.max_attempts()` calls in all. Draw any jitter from `rng`.
///
/// # Errors
/// Once every attempt failed: the *last* error, the attempts made and
/// `StopReason::Exhausted`.
pub fn retry<O, E>(
    policy: &Backoff,
    rng: impl RngCore,
    sleep: impl FnMut(Duration),
    op: impl FnMut() -> Result<O, E>,
) -> Result<O, RetryError<E>> {
    let _ = (&rng, &sleep, &op); // keeps "unused" warnings quiet until you use them
    todo!("retry with {} attempts at most", policy.max_attempts())
}
