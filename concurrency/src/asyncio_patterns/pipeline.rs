//! The pipeline: its tasks, the consumers' loop, and the shutdown that
//! counts every item.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use super::config::{ConfigError, PipelineConfig};
use super::producer::Producer;
use super::report::{Counters, Finished, Outcome, Shutdown};
use super::shared::Shared;

/// A bounded producer/consumer pipeline with backpressure, per-item
/// timeouts, and a shutdown that counts every item. See the
/// [module docs](super).
pub struct Pipeline<T> {
    shared: Arc<Shared<T>>,
    sender: mpsc::Sender<T>,
    producers: JoinSet<()>,
    consumers: JoinSet<()>,
    runtime: Handle,
    started: Instant,
    tasks_panicked: u64,
}

impl<T> fmt::Debug for Pipeline<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("capacity", &self.sender.max_capacity())
            .field("queued", &self.queued())
            .field("producers", &self.producers.len())
            .field("consumers", &self.consumers.len())
            .finish_non_exhaustive()
    }
}

impl<T> Pipeline<T> {
    /// Items in the queue now (taken by no consumer yet).
    pub fn queued(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Items producers have queued so far.
    pub fn produced(&self) -> u64 {
        Counters::get(&self.shared.counters.produced)
    }
}

impl<T: Send + 'static> Pipeline<T> {
    /// An empty pipeline: no producers, no consumers yet.
    ///
    /// # Errors
    /// A bad `config` ([`PipelineConfig::validate`]), or
    /// [`ConfigError::NoRuntime`] outside a Tokio runtime.
    pub fn new(config: PipelineConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let runtime = Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
        let (sender, receiver) = mpsc::channel(config.capacity);
        let shared = Arc::new(Shared::new(receiver, config.item_timeout));
        Ok(Pipeline {
            shared,
            sender,
            producers: JoinSet::new(),
            consumers: JoinSet::new(),
            runtime,
            started: Instant::now(),
            tasks_panicked: 0,
        })
    }

    /// A handle to queue items from code the pipeline does not run (an
    /// accept loop, a callback). A graceful shutdown does not wait for it,
    /// but its sends fail from then on.
    pub fn producer(&self) -> Producer<T> {
        Producer::new(self.sender.clone(), Arc::clone(&self.shared))
    }

    /// Runs `produce` as a task with its own [`Producer`]. It should return
    /// once a `send` fails with [`Stopping`](super::Stopping) (or [`Producer::stopped`]
    /// fires while it waits for something else): shutdown waits for it.
    pub fn spawn_producer<F, Fut>(&mut self, produce: F)
    where
        F: FnOnce(Producer<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let task = produce(self.producer());
        self.producers.spawn_on(task, &self.runtime);
    }

    /// Starts `count` consumer tasks, each taking items off the queue and
    /// awaiting `handler(item)` — under the per-item timeout, if configured.
    pub fn spawn_consumers<H, Fut>(&mut self, count: usize, handler: H)
    where
        H: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        for _ in 0..count {
            let task = consume(Arc::clone(&self.shared), Arc::clone(&handler));
            self.consumers.spawn_on(task, &self.runtime);
        }
    }

    /// Waits until every spawned producer has returned on its own — for
    /// producers with a finite amount of work, before a graceful shutdown
    /// (like `await asyncio.gather(*producers)` before `queue.join()`).
    pub async fn join_producers(&mut self) {
        while let Some(joined) = self.producers.join_next().await {
            self.note(joined);
        }
    }

    // ANCHOR: shutdown
    /// Stops the pipeline as `mode` says and returns what happened to every
    /// item. Waits for every producer and consumer task to end.
    pub async fn shutdown(mut self, mode: Shutdown) -> Outcome<T> {
        let forced = match mode {
            Shutdown::Graceful => {
                self.shared.stop.cancel();
                self.join_all().await;
                false
            }
            Shutdown::Hard => {
                self.shared.hard.cancel();
                self.join_all().await;
                true
            }
            Shutdown::DrainFor(limit) => {
                self.shared.stop.cancel();
                // `join_next` is cancellation-safe, so giving up on the
                // joins at the deadline loses no task's result.
                let drained = tokio::time::timeout(limit, self.join_all()).await;
                if drained.is_err() {
                    self.shared.hard.cancel();
                    self.join_all().await;
                }
                drained.is_err()
            }
        };
        let unprocessed = self.shared.drain_queue().await;
        let dropped = unprocessed.len() as u64;
        let report = self.shared.counters.report(
            dropped,
            self.tasks_panicked,
            forced,
            self.started.elapsed(),
        );
        Outcome {
            report,
            unprocessed,
        }
    }
    // ANCHOR_END: shutdown

    async fn join_all(&mut self) {
        self.join_producers().await;
        while let Some(joined) = self.consumers.join_next().await {
            self.note(joined);
        }
    }

    fn note(&mut self, joined: Result<(), JoinError>) {
        if let Err(e) = joined {
            if e.is_panic() {
                self.tasks_panicked += 1;
            }
        }
    }
}

/// One consumer: take an item, run the handler, count how it ended; leave
/// when the queue is closed and empty, or at once on a hard stop.
async fn consume<T, H, Fut>(shared: Arc<Shared<T>>, handler: Arc<H>)
where
    H: Fn(T) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        // `biased`: a hard stop is noticed before another item is taken.
        let item = tokio::select! {
            biased;
            () = shared.hard.cancelled() => return,
            item = shared.next_item() => match item {
                Some(item) => item,
                None => return,
            },
        };
        Counters::add(&shared.counters.taken, 1);
        let finished = tokio::select! {
            biased;
            () = shared.hard.cancelled() => Finished::Cancelled,
            finished = run_handler(handler(item), shared.item_timeout) => finished,
        };
        shared.counters.count(finished);
        if finished == Finished::Cancelled {
            return;
        }
    }
}

/// Awaits one handler call, under `limit` if there is one.
async fn run_handler(work: impl Future<Output = ()>, limit: Option<Duration>) -> Finished {
    let Some(limit) = limit else {
        work.await;
        return Finished::Consumed;
    };
    match tokio::time::timeout(limit, work).await {
        Ok(()) => Finished::Consumed,
        Err(_elapsed) => Finished::TimedOut,
    }
}
