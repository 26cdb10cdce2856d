//! How a retry loop reports giving up: [`RetryError`] and its [`StopReason`].

use std::fmt;

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
