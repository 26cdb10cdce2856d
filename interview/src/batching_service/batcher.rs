//! [`Batcher`]: the handle callers submit through, and its [`Ticket`]s.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::BatchConfig;
use super::error::{BatchError, ConfigError};
use super::stats::{BatchStats, Counters};
use super::worker::{Job, Worker};

/// Collects concurrent requests into batches for one async handler call
/// and answers each caller. Cheap to clone: clones share one queue and one
/// worker. See the [module docs](super).
pub struct Batcher<Req, Resp> {
    inner: Arc<Inner<Req, Resp>>,
}

struct Inner<Req, Resp> {
    queue: mpsc::Sender<Job<Req, Resp>>,
    /// `true` once shutdown was asked for; the worker watches it.
    shutdown: watch::Sender<bool>,
    /// The worker, until a `shutdown` has seen it finish.
    worker: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
    config: BatchConfig,
}

impl<Req, Resp> Clone for Batcher<Req, Resp> {
    fn clone(&self) -> Self {
        Batcher {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<Req, Resp> fmt::Debug for Batcher<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batcher")
            .field("config", &self.inner.config)
            .field("queued", &self.queued())
            .field("shutting_down", &self.is_shutting_down())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> Batcher<Req, Resp> {
    /// Starts a batcher whose worker calls `handler` with each batch. The
    /// handler returns one result per request, in request order, or an
    /// error for the whole batch.
    ///
    /// ```
    /// # use mastery_interview::batching_service::{BatchConfig, BatchError, Batcher};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let batcher = Batcher::new(BatchConfig::default(), |xs: Vec<i32>| async move {
    ///     Ok::<_, String>(xs.into_iter().map(|x| if x < 0 { Err(format!("{x} is negative")) } else { Ok(x * 2) }).collect())
    /// })?;
    /// let (good, bad) = tokio::join!(batcher.submit(21), batcher.submit(-1));
    /// assert_eq!(good, Ok(42));
    /// assert_eq!(bad, Err(BatchError::Item("-1 is negative".into()))); // only its own caller fails
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] for an invalid `config`, or when called outside a
    /// Tokio runtime.
    pub fn new<F, Fut, E>(config: BatchConfig, handler: F) -> Result<Self, ConfigError>
    where
        F: Fn(Vec<Req>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Result<Resp, E>>, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
        let (queue, receiver) = mpsc::channel(config.queue_capacity);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let worker = Worker::new(
            receiver,
            shutdown_rx,
            handler,
            config,
            Arc::clone(&counters),
        );
        let worker = runtime.spawn(worker.run());
        Ok(Batcher {
            inner: Arc::new(Inner {
                queue,
                shutdown,
                worker: Mutex::new(Some(worker)),
                counters,
                config,
            }),
        })
    }
}

impl<Req, Resp> Batcher<Req, Resp> {
    // ANCHOR: submit
    /// Queues `request`, waiting for room while the queue is full
    /// (backpressure), and returns its answer once its batch was handled.
    ///
    /// # Errors
    /// [`BatchError::ShuttingDown`] if shutdown began before the request
    /// was queued; otherwise the handler's verdict on it (see
    /// [`BatchError`]).
    pub async fn submit(&self, request: Req) -> Result<Resp, BatchError> {
        if self.is_shutting_down() {
            return Err(BatchError::ShuttingDown);
        }
        let permit = self
            .inner
            .queue
            .reserve()
            .await
            .map_err(|_| BatchError::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        permit.send(Job {
            request,
            reply,
            enqueued: Instant::now(),
        });
        Ticket { answer }.await
    }
    // ANCHOR_END: submit

    /// Queues `request` now or fails now; the returned [`Ticket`] resolves
    /// to the answer.
    ///
    /// ```
    /// # use mastery_interview::batching_service::{BatchConfig, Batcher};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let batcher = Batcher::new(BatchConfig::default(), |xs: Vec<u8>| async move {
    /// #     Ok::<_, String>(xs.into_iter().map(Ok).collect()) })?;
    /// let ticket = batcher.try_submit(7)?; // queued, or Err(QueueFull) at once
    /// assert_eq!(ticket.await?, 7);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`BatchError::QueueFull`] when the queue has no room (the request is
    /// dropped), [`BatchError::ShuttingDown`] once shutdown began.
    pub fn try_submit(&self, request: Req) -> Result<Ticket<Resp>, BatchError> {
        if self.is_shutting_down() {
            return Err(BatchError::ShuttingDown);
        }
        let permit = self.inner.queue.try_reserve().map_err(|e| match e {
            TrySendError::Full(()) => BatchError::QueueFull {
                capacity: self.inner.config.queue_capacity,
            },
            TrySendError::Closed(()) => BatchError::ShuttingDown,
        })?;
        let (reply, answer) = oneshot::channel();
        permit.send(Job {
            request,
            reply,
            enqueued: Instant::now(),
        });
        Ok(Ticket { answer })
    }

    /// Stops taking requests, dispatches everything already queued without
    /// waiting for deadlines, and returns once every accepted request has
    /// been answered. Idempotent; concurrent calls all wait for the end.
    ///
    /// Do not call it from inside the handler: it waits for the handler.
    pub async fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        let mut worker = self.inner.worker.lock().await;
        if let Some(handle) = worker.as_mut() {
            // The worker does not panic (the handler runs in a task of its
            // own, and no `max_wait` overflows its deadline), so an error
            // here means its runtime is going away; it has stopped either way. Awaiting `&mut` keeps the handle if this
            // future is dropped midway, so a later call still waits.
            let _ = handle.await;
            *worker = None;
        }
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Requests waiting in the queue (not counting a batch being collected
    /// or handled).
    pub fn queued(&self) -> usize {
        self.inner.queue.max_capacity() - self.inner.queue.capacity()
    }

    /// The configuration the batcher runs with.
    pub fn config(&self) -> BatchConfig {
        self.inner.config
    }

    /// What the worker has done so far.
    pub fn stats(&self) -> BatchStats {
        self.inner.counters.snapshot()
    }
}

/// The answer to a request queued by [`Batcher::try_submit`]: await it.
/// Dropping it abandons the answer (the request is skipped if not yet
/// dispatched).
#[must_use = "a Ticket is the only way to the answer; dropping it abandons the request"]
pub struct Ticket<Resp> {
    answer: oneshot::Receiver<Result<Resp, BatchError>>,
}

impl<Resp> fmt::Debug for Ticket<Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket").finish_non_exhaustive()
    }
}

impl<Resp> Future for Ticket<Resp> {
    type Output = Result<Resp, BatchError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The worker answers every job it takes; a closed channel means the
        // worker itself is gone.
        Pin::new(&mut self.answer)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(BatchError::WorkerStopped)))
    }
}
