//! Building a pipeline: [`Stage`] describes one stage, and
//! [`PipelineBuilder`] spawns its workers and wires its queue to the next,
//! checking the configuration as it goes.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;

use super::BatchPolicy;
use super::channel::{MeteredReceiver, MeteredSender, QueueGauge, metered_channel};
use super::error::{BoxError, BuildError};
use super::metrics::{Shared, StageMetrics};
use super::pipeline::{Pipeline, Source};
use super::report::StageKind;
use super::stage::Stage;
use super::workers::{Worker, run_batch, run_map, run_sink, sample_depths};

/// Builds a [`Pipeline`] stage by stage: `In` is what the source takes,
/// `Cur` what the last stage so far emits. See the [module docs](super).
pub struct PipelineBuilder<In, Cur = In> {
    source: Source<In>,
    tail: MeteredReceiver<Cur>,
    stages: Vec<Arc<StageMetrics>>,
    tasks: JoinSet<()>,
    task_stage: HashMap<Id, usize>,
    shared: Arc<Shared>,
    runtime: Handle,
    sample_every: Duration,
}

impl<In, Cur> fmt::Debug for PipelineBuilder<In, Cur> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.stages.iter().map(|s| s.name.as_str()).collect();
        f.debug_struct("PipelineBuilder")
            .field("stages", &names)
            .finish_non_exhaustive()
    }
}

impl<In: Send + 'static> PipelineBuilder<In, In> {
    /// A pipeline whose source queue holds `capacity` items; add stages,
    /// then finish with [`PipelineBuilder::sink`].
    ///
    /// # Errors
    /// [`BuildError::Capacity`], or [`BuildError::NoRuntime`] outside a Tokio
    /// runtime.
    pub fn new(capacity: usize) -> Result<Self, BuildError> {
        let runtime = Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let stage = Stage::new("source", capacity);
        let (tx, rx) = metered_channel(capacity).map_err(|source| BuildError::Capacity {
            stage: stage.name.clone(),
            source,
        })?;
        let started = Instant::now();
        let metrics = Arc::new(StageMetrics::new(
            &stage,
            StageKind::Source,
            Some(Arc::clone(tx.gauge())),
            started,
        ));
        Ok(PipelineBuilder {
            source: Source {
                tx,
                metrics: Arc::clone(&metrics),
            },
            tail: rx,
            stages: vec![metrics],
            tasks: JoinSet::new(),
            task_stage: HashMap::new(),
            shared: Arc::new(Shared::new(started)),
            runtime,
            sample_every: Duration::from_millis(1),
        })
    }
}

impl<In: Send + 'static, Cur: Send + 'static> PipelineBuilder<In, Cur> {
    /// How often queue depths are sampled for the report's mean and "full"
    /// share (default 1 ms); zero turns sampling off.
    #[must_use]
    pub fn sample_every(mut self, period: Duration) -> Self {
        self.sample_every = period;
        self
    }

    // ANCHOR: map_stage
    /// Adds a stage that turns each item into one output, or rejects it:
    /// `Err(reason)` is counted (and the first few reasons kept), never
    /// fatal. For cheap synchronous work — parsing, validation.
    ///
    /// # Errors
    /// A bad [`Stage`] ([`BuildError`]).
    pub fn map<U, R, F>(self, stage: Stage, f: F) -> Result<PipelineBuilder<In, U>, BuildError>
    where
        U: Send + 'static,
        R: fmt::Display + Send + 'static,
        F: Fn(Cur) -> Result<U, R> + Send + Sync + 'static,
    {
        let (mut next, worker, outbox) = self.then::<U>(&stage, StageKind::Map)?;
        let f = Arc::new(f);
        next.spawn_workers(&worker, stage.workers, |w| {
            run_map(w, outbox.clone(), Arc::clone(&f))
        });
        Ok(next)
    }
    // ANCHOR_END: map_stage

    /// Adds a stage that collects batches by `policy` and calls `f` once per
    /// batch; `f` returns one output per item, in order. An `Err` — or the
    /// wrong number of outputs
    /// ([`WrongOutputCount`](super::WrongOutputCount)) — stops the stage
    /// and fails the pipeline with the stage's name.
    ///
    /// # Errors
    /// A bad [`Stage`] or a `max_size` of 0 ([`BuildError`]).
    pub fn batch<U, E, F, Fut>(
        self,
        stage: Stage,
        policy: BatchPolicy,
        f: F,
    ) -> Result<PipelineBuilder<In, U>, BuildError>
    where
        U: Send + 'static,
        E: Into<BoxError> + Send + 'static,
        F: Fn(Vec<Cur>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<U>, E>> + Send + 'static,
    {
        if policy.max_size == 0 {
            return Err(BuildError::ZeroBatchSize { stage: stage.name });
        }
        let (mut next, worker, outbox) = self.then::<U>(&stage, StageKind::Batch)?;
        let f = Arc::new(f);
        next.spawn_workers(&worker, stage.workers, |w| {
            run_batch(w, outbox.clone(), policy, Arc::clone(&f))
        });
        Ok(next)
    }

    /// Ends the pipeline with a one-worker stage that consumes each item.
    /// An `Err` stops it and fails the pipeline with the stage's name.
    ///
    /// # Errors
    /// A duplicate name ([`BuildError::DuplicateStage`]).
    pub fn sink<E, F, Fut>(mut self, name: &str, f: F) -> Result<Pipeline<In>, BuildError>
    where
        E: Into<BoxError> + Send + 'static,
        F: Fn(Cur) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let stage = Stage::new(name, 1);
        self.check_name(&stage.name)?;
        let (metrics, worker) = stage_reading(
            self.tail,
            &stage,
            StageKind::Sink,
            None,
            &self.shared,
            self.stages.len(),
        );
        self.stages.push(metrics);
        let f = Arc::new(f);
        let handle = self.tasks.spawn_on(run_sink(worker, f), &self.runtime);
        self.task_stage.insert(handle.id(), self.stages.len() - 1);
        let mut sampler = JoinSet::new();
        if !self.sample_every.is_zero() {
            let gauges = self
                .stages
                .iter()
                .filter_map(|s| s.outbox.clone())
                .collect();
            sampler.spawn_on(sample_depths(gauges, self.sample_every), &self.runtime);
        }
        Ok(Pipeline {
            source: self.source,
            stages: self.stages,
            tasks: self.tasks,
            task_stage: self.task_stage,
            shared: self.shared,
            sampler,
        })
    }

    fn check_name(&self, name: &str) -> Result<(), BuildError> {
        if self.stages.iter().any(|s| s.name == name) {
            return Err(BuildError::DuplicateStage {
                stage: name.to_owned(),
            });
        }
        Ok(())
    }

    /// Creates the next stage's output queue and counters; returns the
    /// builder typed for its output, a worker template reading the current
    /// tail, and the output's sender (dropped by the caller once every
    /// worker holds a clone, so the workers alone keep it open).
    #[allow(clippy::type_complexity)]
    fn then<U: Send + 'static>(
        self,
        stage: &Stage,
        kind: StageKind,
    ) -> Result<(PipelineBuilder<In, U>, Worker<Cur>, MeteredSender<U>), BuildError> {
        self.check_name(&stage.name)?;
        if stage.workers == 0 {
            return Err(BuildError::ZeroWorkers {
                stage: stage.name.clone(),
            });
        }
        let (tx, rx) = metered_channel(stage.queue).map_err(|source| BuildError::Capacity {
            stage: stage.name.clone(),
            source,
        })?;
        let (metrics, worker) = stage_reading(
            self.tail,
            stage,
            kind,
            Some(Arc::clone(tx.gauge())),
            &self.shared,
            self.stages.len(),
        );
        let mut stages = self.stages;
        stages.push(metrics);
        let next = PipelineBuilder {
            source: self.source,
            tail: rx,
            stages,
            tasks: self.tasks,
            task_stage: self.task_stage,
            shared: self.shared,
            runtime: self.runtime,
            sample_every: self.sample_every,
        };
        Ok((next, worker, tx))
    }

    fn spawn_workers<T, Fut>(
        &mut self,
        template: &Worker<T>,
        count: usize,
        mut task: impl FnMut(Worker<T>) -> Fut,
    ) where
        Fut: Future<Output = ()> + Send + 'static,
    {
        for _ in 0..count {
            let handle = self.tasks.spawn_on(task(template.clone()), &self.runtime);
            self.task_stage.insert(handle.id(), template.stage);
        }
    }
}

/// The counters of stage number `index` and the template of its workers,
/// which read `inbox` (the tail of the pipeline so far).
fn stage_reading<T>(
    inbox: MeteredReceiver<T>,
    stage: &Stage,
    kind: StageKind,
    outbox: Option<Arc<QueueGauge>>,
    shared: &Arc<Shared>,
    index: usize,
) -> (Arc<StageMetrics>, Worker<T>) {
    let metrics = Arc::new(StageMetrics::new(stage, kind, outbox, shared.started));
    let worker = Worker::new(inbox, Arc::clone(&metrics), Arc::clone(shared), index);
    (metrics, worker)
}
