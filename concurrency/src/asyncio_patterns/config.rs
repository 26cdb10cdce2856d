//! The pipeline's configuration and why one is refused.

use std::time::Duration;

/// Why a [`PipelineConfig`] (or the place it was used) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `capacity` is 0.
    #[error("capacity must be at least 1 (a queue of 0 slots could never accept an item)")]
    ZeroCapacity,
    /// `capacity` exceeds what a Tokio channel supports.
    #[error("capacity {requested} exceeds the maximum of {max} a Tokio channel supports")]
    CapacityTooLarge {
        /// What was asked for.
        requested: usize,
        /// The largest capacity supported.
        max: usize,
    },
    /// `Pipeline::new` was called outside a Tokio runtime.
    #[error(
        "a Pipeline must be created inside a Tokio runtime (its producers and consumers are Tokio tasks); call Pipeline::new from async code or within Runtime::enter"
    )]
    NoRuntime,
}

/// The largest queue capacity (the limit of Tokio's bounded channel).
pub const MAX_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// How a [`Pipeline`](super::Pipeline) queues and bounds its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Items that may wait in the queue; producers wait for room beyond it
    /// (at least 1).
    pub capacity: usize,
    /// The longest one item's handler may run; `None` for no limit.
    pub item_timeout: Option<Duration>,
}

impl Default for PipelineConfig {
    /// Room for 1024 queued items, no per-item timeout.
    fn default() -> Self {
        PipelineConfig {
            capacity: 1024,
            item_timeout: None,
        }
    }
}

impl PipelineConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`ConfigError::ZeroCapacity`] and [`ConfigError::CapacityTooLarge`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if self.capacity > MAX_CAPACITY {
            return Err(ConfigError::CapacityTooLarge {
                requested: self.capacity,
                max: MAX_CAPACITY,
            });
        }
        Ok(())
    }
}
