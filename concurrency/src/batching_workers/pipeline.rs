//! A running pipeline: [`Source`] feeds it, [`Pipeline::finish`] closes the
//! source, waits for every stage to drain, and reports.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use mastery_kit::panics::panic_message;
use tokio::task::{Id, JoinSet};

use super::channel::MeteredSender;
use super::error::{Closed, PipelineError};
use super::metrics::{Fault, Shared, StageMetrics};
use super::report::Report;

/// Where items enter a [`Pipeline`]; cheap to clone. The pipeline's input
/// closes when [`Pipeline::finish`] has been called and every clone is
/// dropped.
pub struct Source<T> {
    pub(super) tx: MeteredSender<T>,
    pub(super) metrics: Arc<StageMetrics>,
}

impl<T> Clone for Source<T> {
    fn clone(&self) -> Self {
        Source {
            tx: self.tx.clone(),
            metrics: Arc::clone(&self.metrics),
        }
    }
}

impl<T> fmt::Debug for Source<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("queued", &self.tx.gauge().depth())
            .finish_non_exhaustive()
    }
}

impl<T> Source<T> {
    /// Queues `item`, waiting while the source queue is full (the wait is
    /// the source's blocked time in the report).
    ///
    /// # Errors
    /// [`Closed`] with the item once the first stage has stopped (a stage
    /// failed).
    pub async fn send(&self, item: T) -> Result<(), Closed<T>> {
        let waited = self.tx.send(item).await.map_err(|e| Closed(e.0))?;
        self.metrics.queued_at_source(waited);
        Ok(())
    }
}

/// A running pipeline. See the [module docs](super).
pub struct Pipeline<In> {
    pub(super) source: Source<In>,
    pub(super) stages: Vec<Arc<StageMetrics>>,
    pub(super) tasks: JoinSet<()>,
    pub(super) task_stage: HashMap<Id, usize>,
    pub(super) shared: Arc<Shared>,
    /// The depth sampler, aborted with the pipeline.
    pub(super) sampler: JoinSet<()>,
}

impl<In> fmt::Debug for Pipeline<In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("queues", &self.queue_depths())
            .field("tasks", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

/// One queue's depth at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// The stage that feeds it.
    pub after: String,
    /// Items in it.
    pub depth: usize,
    /// Its capacity.
    pub capacity: usize,
}

impl<In> Pipeline<In> {
    /// Another handle to the source, for a producer task.
    pub fn source(&self) -> Source<In> {
        self.source.clone()
    }

    /// Queues `item` through the pipeline's own source; see
    /// [`Source::send`].
    ///
    /// # Errors
    /// [`Closed`] once the first stage has stopped.
    pub async fn send(&self, item: In) -> Result<(), Closed<In>> {
        self.source.send(item).await
    }

    /// Every queue's depth now, in pipeline order.
    pub fn queue_depths(&self) -> Vec<QueueDepth> {
        self.stages
            .iter()
            .filter_map(|s| {
                s.outbox.as_ref().map(|g| QueueDepth {
                    after: s.name.clone(),
                    depth: g.depth(),
                    capacity: g.capacity(),
                })
            })
            .collect()
    }

    /// Items in all queues now.
    pub fn queued(&self) -> usize {
        self.queue_depths().iter().map(|q| q.depth).sum()
    }

    // ANCHOR: finish
    /// Closes the source and waits until every stage has drained its inbox
    /// and returned; then reports. Waits for every [`Source`] clone to be
    /// dropped as well — a producer still holding one is still producing.
    ///
    /// # Errors
    /// [`PipelineError`] naming the first stage that failed, with the counts.
    pub async fn finish(self) -> Result<Report, PipelineError> {
        let Pipeline {
            source,
            stages,
            mut tasks,
            task_stage,
            shared,
            mut sampler,
        } = self;
        drop(source);
        while let Some(joined) = tasks.join_next_with_id().await {
            let Err(e) = joined else { continue };
            let stage = task_stage.get(&e.id()).copied().unwrap_or(0);
            if e.is_panic() {
                shared.fail(stage, Fault::Panic(panic_message(&*e.into_panic())));
            }
        }
        sampler.abort_all();
        while sampler.join_next().await.is_some() {}
        let report = Box::new(Report {
            stages: stages.iter().map(|s| s.snapshot()).collect(),
            elapsed: shared.started.elapsed(),
        });
        let Some((index, fault)) = shared.first_failure() else {
            return Ok(*report);
        };
        let stage = stages
            .get(index)
            .map_or_else(String::new, |s| s.name.clone());
        Err(match fault {
            Fault::Error(source) => PipelineError::StageFailed {
                stage,
                source,
                report,
            },
            Fault::Panic(message) => PipelineError::StagePanicked {
                stage,
                message,
                report,
            },
        })
    }
    // ANCHOR_END: finish
}
