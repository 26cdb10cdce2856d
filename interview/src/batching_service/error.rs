//! What can go wrong: [`BatchError`] for a request, [`ConfigError`] for
//! starting a batcher.

/// Why a request got no answer from the handler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// `try_submit` found the queue full.
    #[error(
        "the batcher's queue is full ({capacity} requests waiting); retry later, or use submit() to wait for room"
    )]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The batcher is shutting down (or has shut down) and took no new work.
    #[error("the batcher is shutting down and accepts no new requests")]
    ShuttingDown,
    /// The handler failed the whole batch.
    #[error("the batch handler failed the whole batch this request was in: {0}")]
    Handler(String),
    /// The handler failed this request alone.
    #[error("the batch handler rejected this request: {0}")]
    Item(String),
    /// The handler returned a different number of results than requests, so
    /// no result can be matched to its caller.
    #[error(
        "the batch handler returned {got} results for a batch of {expected} requests; no result can be matched to its caller, so every request in the batch failed"
    )]
    WrongResultCount {
        /// Requests in the batch.
        expected: usize,
        /// Results the handler returned.
        got: usize,
    },
    /// The handler panicked; the batcher keeps serving later batches.
    #[error(
        "the batch handler panicked ({0}); every request in that batch failed, later batches are served"
    )]
    HandlerPanicked(String),
    /// The worker went away without answering (its runtime shut down).
    #[error("the batcher's worker stopped before answering (was its Tokio runtime shut down?)")]
    WorkerStopped,
}

/// Why a [`BatchConfig`](super::BatchConfig) (or the place it was started) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_batch` is 0.
    #[error("max_batch must be at least 1 (a batch of 0 requests would never make progress)")]
    ZeroMaxBatch,
    /// `queue_capacity` is 0.
    #[error("queue_capacity must be at least 1 (a queue of 0 slots could never accept a request)")]
    ZeroQueueCapacity,
    /// `queue_capacity` exceeds what a Tokio channel supports.
    #[error("queue_capacity {requested} exceeds the maximum of {max} a Tokio channel supports")]
    QueueCapacityTooLarge {
        /// What was asked for.
        requested: usize,
        /// The largest capacity supported.
        max: usize,
    },
    /// `Batcher::new` was called outside a Tokio runtime.
    #[error(
        "a Batcher must be created inside a Tokio runtime (its worker is a Tokio task); call Batcher::new from async code or within Runtime::enter"
    )]
    NoRuntime,
}
