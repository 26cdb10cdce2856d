//! What can go wrong, as types: a pipeline that cannot be built, a source
//! that no longer accepts items, a batch handler that answers with the
//! wrong number of outputs, and a stage that failed — named, with every
//! item still counted.

use super::channel::CapacityError;
use super::report::Report;

/// The error type stage handlers may fail with (anything `Into` it:
/// `std::io::Error`, your own error enum, a `String`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a pipeline could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A queue capacity out of range.
    #[error("stage `{stage}`: {source}")]
    Capacity {
        /// The stage whose output queue it is (`source` for the first).
        stage: String,
        /// What was wrong with it.
        source: CapacityError,
    },
    /// A stage without workers.
    #[error("stage `{stage}`: needs at least 1 worker (Stage::workers)")]
    ZeroWorkers {
        /// The stage.
        stage: String,
    },
    /// A batch policy with `max_size` 0.
    #[error("stage `{stage}`: BatchPolicy::max_size must be at least 1 (1 means per-item calls)")]
    ZeroBatchSize {
        /// The stage.
        stage: String,
    },
    /// Two stages with one name.
    #[error(
        "stage name `{stage}` is used twice; names label the metrics and errors, so give each stage its own (`source` is taken by the first queue)"
    )]
    DuplicateStage {
        /// The name.
        stage: String,
    },
    /// Built outside a Tokio runtime.
    #[error(
        "a pipeline must be built inside a Tokio runtime (its stages are Tokio tasks); build it from async code or within Runtime::enter"
    )]
    NoRuntime,
}

/// The [`Source`](super::Source) could not queue an item: the pipeline's
/// first stage has stopped because a stage failed. The item is handed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the pipeline no longer accepts items (a stage failed; Pipeline::finish names it); the item was not queued and is handed back"
)]
pub struct Closed<T>(pub T);

/// A batch handler answered with the wrong number of outputs. Outputs are
/// matched to inputs by position, so the stage stops instead of guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the batch handler returned {got} outputs for a batch of {expected} items; it must return exactly one output per item, in order"
)]
pub struct WrongOutputCount {
    /// Items in the batch.
    pub expected: usize,
    /// Outputs returned.
    pub got: usize,
}

/// Why [`Pipeline::finish`](super::Pipeline::finish) failed: the first
/// stage to fail, and the counts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// A handler returned an error; the error is the `source()`.
    #[error(
        "stage `{stage}` failed: {source}; the stages before it stopped, the ones after it drained ({})",
        .report.balance()
    )]
    StageFailed {
        /// The stage's name.
        stage: String,
        /// The handler's error.
        source: BoxError,
        /// Every item, counted.
        report: Box<Report>,
    },
    /// A handler panicked.
    #[error(
        "stage `{stage}` panicked: {message}; the stages before it stopped, the ones after it drained ({})",
        .report.balance()
    )]
    StagePanicked {
        /// The stage's name.
        stage: String,
        /// The panic message.
        message: String,
        /// Every item, counted.
        report: Box<Report>,
    },
}

impl PipelineError {
    /// The name of the stage that failed.
    pub fn stage(&self) -> &str {
        match self {
            PipelineError::StageFailed { stage, .. }
            | PipelineError::StagePanicked { stage, .. } => stage,
        }
    }

    /// The counts at the end of the failed run.
    pub fn report(&self) -> &Report {
        match self {
            PipelineError::StageFailed { report, .. }
            | PipelineError::StagePanicked { report, .. } => report,
        }
    }
}
