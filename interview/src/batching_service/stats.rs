//! What a batcher counts: the [`Counters`] its worker adds to after every
//! handler call, and the [`BatchStats`] snapshot a handle reads from them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters of what a [`Batcher`](super::Batcher) has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Handler calls made.
    pub batches: u64,
    /// Requests handed to the handler.
    pub requests: u64,
    /// Time spent in handler calls, summed.
    pub handler_time: Duration,
}

impl BatchStats {
    /// Requests per handler call (0 before the first call).
    pub fn mean_batch_size(&self) -> f64 {
        if self.batches == 0 {
            return 0.0;
        }
        self.requests as f64 / self.batches as f64
    }

    /// Average duration of one handler call.
    pub fn mean_handler_call(&self) -> Duration {
        match u32::try_from(self.batches) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.handler_time / n,
            Err(_) => {
                Duration::from_secs_f64(self.handler_time.as_secs_f64() / self.batches as f64)
            }
        }
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &BatchStats) -> BatchStats {
        BatchStats {
            batches: self.batches.saturating_sub(earlier.batches),
            requests: self.requests.saturating_sub(earlier.requests),
            handler_time: self.handler_time.saturating_sub(earlier.handler_time),
        }
    }
}

/// What the worker counts, shared with every handle for
/// [`Batcher::stats`](super::Batcher::stats).
#[derive(Default)]
pub(super) struct Counters {
    batches: AtomicU64,
    requests: AtomicU64,
    handler_nanos: AtomicU64,
}

impl Counters {
    /// One handler call of `size` requests that took `took`.
    pub(super) fn record(&self, size: usize, took: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(size as u64, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.handler_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// What has been counted so far.
    pub(super) fn snapshot(&self) -> BatchStats {
        BatchStats {
            batches: self.batches.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            handler_time: Duration::from_nanos(self.handler_nanos.load(Ordering::Relaxed)),
        }
    }
}
