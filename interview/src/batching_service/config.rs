//! [`BatchConfig`]: how a batcher forms batches, and what it refuses.

use std::time::Duration;

use super::error::ConfigError;

/// How a [`Batcher`](super::Batcher) forms batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// The most requests handed to one handler call (at least 1; 1 means
    /// unbatched).
    pub max_batch: usize,
    /// How long the oldest request of a batch may wait for the batch to fill
    /// before it is dispatched anyway. Zero: take what is queued, never wait.
    /// A wait too long to add to the clock, such as `Duration::MAX`: no
    /// deadline — a batch goes when it is full, or at shutdown.
    pub max_wait: Duration,
    /// Requests that may wait in the queue; `submit` waits for room beyond
    /// it and `try_submit` fails (at least 1).
    pub queue_capacity: usize,
}

impl Default for BatchConfig {
    /// 64 per batch, 1 ms of waiting, room for 1024 queued requests.
    fn default() -> Self {
        BatchConfig {
            max_batch: 64,
            max_wait: Duration::from_millis(1),
            queue_capacity: 1024,
        }
    }
}

impl BatchConfig {
    /// Checks the configuration. Every `max_wait` is valid (see the field).
    ///
    /// # Errors
    /// [`ConfigError::ZeroMaxBatch`], [`ConfigError::ZeroQueueCapacity`] and
    /// [`ConfigError::QueueCapacityTooLarge`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_batch == 0 {
            return Err(ConfigError::ZeroMaxBatch);
        }
        if self.queue_capacity == 0 {
            return Err(ConfigError::ZeroQueueCapacity);
        }
        if self.queue_capacity > MAX_QUEUE_CAPACITY {
            return Err(ConfigError::QueueCapacityTooLarge {
                requested: self.queue_capacity,
                max: MAX_QUEUE_CAPACITY,
            });
        }
        Ok(())
    }
}

/// The largest `queue_capacity` (the limit of Tokio's bounded channel).
pub const MAX_QUEUE_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;
