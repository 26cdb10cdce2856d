//! The worker task behind a [`Batcher`](super::Batcher): takes [`Job`]s off
//! the queue, collects a batch, calls the handler once in a task of its own,
//! answers every caller.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mastery_kit::panics::panic_message;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinError;
use tokio::time::Instant;

use super::config::BatchConfig;
use super::error::BatchError;
use super::stats::Counters;

/// A queued request, the way back to its caller, and when it was queued
/// (the batch deadline counts from the oldest request's arrival).
pub(super) struct Job<Req, Resp> {
    pub(super) request: Req,
    pub(super) reply: oneshot::Sender<Result<Resp, BatchError>>,
    pub(super) enqueued: Instant,
}

/// A batch vector is preallocated up to this many slots, whatever
/// `max_batch` says, so a huge `max_batch` costs memory only when used.
const PREALLOCATE_MAX: usize = 1024;

/// The task that turns queued requests into handler calls. One per
/// [`Batcher`](super::Batcher); it ends when the queue is closed and empty.
pub(super) struct Worker<Req, Resp, F> {
    queue: mpsc::Receiver<Job<Req, Resp>>,
    shutdown: watch::Receiver<bool>,
    handler: Arc<F>,
    config: BatchConfig,
    counters: Arc<Counters>,
    /// Shutdown began: the queue is closed, what is in it is flushed.
    draining: bool,
}

/// What woke the worker while it waited.
enum Wake<T> {
    /// A request arrived (`None`: the queue is closed and empty).
    Job(Option<T>),
    /// Shutdown was asked for (or every handle is gone).
    Shutdown,
    /// The oldest request of the batch has waited `max_wait`.
    Deadline,
}

type Outcome<Resp, E> = Result<Result<Vec<Result<Resp, E>>, E>, JoinError>;

impl<Req, Resp, F, Fut, E> Worker<Req, Resp, F>
where
    Req: Send + 'static,
    Resp: Send + 'static,
    F: Fn(Vec<Req>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<Result<Resp, E>>, E>> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    pub(super) fn new(
        queue: mpsc::Receiver<Job<Req, Resp>>,
        shutdown: watch::Receiver<bool>,
        handler: F,
        config: BatchConfig,
        counters: Arc<Counters>,
    ) -> Self {
        Worker {
            queue,
            shutdown,
            handler: Arc::new(handler),
            config,
            counters,
            draining: false,
        }
    }

    // ANCHOR: worker_loop
    pub(super) async fn run(mut self) {
        // Ends when the queue is closed and empty: after a shutdown, or when
        // every `Batcher` handle was dropped (which flushes the same way).
        while let Some(first) = self.next_first().await {
            let batch = self.collect(first).await;
            self.dispatch(batch).await;
        }
    }

    /// Waits for the first request of the next batch, or for shutdown.
    async fn next_first(&mut self) -> Option<Job<Req, Resp>> {
        loop {
            if self.draining {
                return self.queue.recv().await;
            }
            let woken = tokio::select! {
                biased;
                job = self.queue.recv() => Wake::Job(job),
                // Err means every handle is gone: flush and stop as well.
                _ = self.shutdown.wait_for(|&stop| stop) => Wake::Shutdown,
            };
            match woken {
                Wake::Job(job) => return job,
                Wake::Shutdown | Wake::Deadline => self.begin_draining(),
            }
        }
    }

    /// Fills a batch until it is full, or the oldest request has waited
    /// `max_wait`, or shutdown asks to flush now.
    async fn collect(&mut self, first: Job<Req, Resp>) -> Vec<Job<Req, Resp>> {
        // The deadline counts from the oldest request's arrival, not from
        // when the worker got to it: a request that already waited through
        // the previous handler call is not made to wait again.
        let deadline = batch_deadline(first.enqueued, self.config.max_wait);
        let mut batch = Vec::with_capacity(self.config.max_batch.min(PREALLOCATE_MAX));
        batch.push(first);
        let timer = sleep_until_deadline(deadline);
        tokio::pin!(timer);
        while batch.len() < self.config.max_batch {
            // Take what is already queued without touching the timer.
            match self.queue.try_recv() {
                Ok(job) => {
                    batch.push(job);
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {}
            }
            if self.draining || deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break;
            }
            let woken = tokio::select! {
                biased;
                job = self.queue.recv() => Wake::Job(job),
                _ = self.shutdown.wait_for(|&stop| stop) => Wake::Shutdown,
                () = &mut timer => Wake::Deadline,
            };
            match woken {
                Wake::Job(Some(job)) => batch.push(job),
                // Flush now: take what is queued, then go.
                Wake::Shutdown => self.begin_draining(),
                Wake::Job(None) | Wake::Deadline => break,
            }
        }
        batch
    }

    /// Calls the handler once for the batch and answers every caller.
    async fn dispatch(&mut self, mut batch: Vec<Job<Req, Resp>>) {
        // Callers that gave up (dropped their submit future) are not worth
        // a slot in the handler call.
        batch.retain(|job| !job.reply.is_closed());
        if batch.is_empty() {
            return;
        }
        let (requests, replies): (Vec<Req>, Vec<_>) = batch
            .into_iter()
            .map(|job| (job.request, job.reply))
            .unzip();
        let size = requests.len();
        let handler = Arc::clone(&self.handler);
        let started = Instant::now();
        // A task of its own: a panic in the handler (in the call or in the
        // future) ends that task, not the worker, and comes back as a
        // JoinError we can answer with.
        let mut call = tokio::spawn(async move { handler(requests).await });
        let outcome = if self.draining {
            call.await
        } else {
            let woken = tokio::select! {
                biased;
                outcome = &mut call => Some(outcome),
                _ = self.shutdown.wait_for(|&stop| stop) => None,
            };
            match woken {
                Some(outcome) => outcome,
                // Close the queue as soon as shutdown is asked for, so that
                // submitters waiting for room are refused now rather than
                // after this call.
                None => {
                    self.begin_draining();
                    call.await
                }
            }
        };
        self.counters.record(size, started.elapsed());
        answer(replies, outcome);
        // Callers just answered often send their next request at once. One
        // yield lets them run (and queue it) before we collect again, so
        // they join the next batch instead of missing it by microseconds —
        // without it, one late caller can split a closed loop of callers
        // into two groups that alternate forever, each waiting for the
        // other's handler call.
        tokio::task::yield_now().await;
    }
    // ANCHOR_END: worker_loop

    fn begin_draining(&mut self) {
        self.draining = true;
        // Refuses new sends (and wakes senders waiting for room with an
        // error) but keeps what is buffered for us to drain.
        self.queue.close();
    }
}

/// When a batch whose oldest request was queued at `oldest` must go:
/// `max_wait` later — or never (`None`) when that instant is beyond what
/// the clock can hold, as for `Duration::MAX`. That is what
/// `tokio::time::timeout` does with such a duration, and it keeps every
/// `max_wait` valid: `oldest + max_wait` would panic on overflow here,
/// inside the worker, and leave every caller without an answer.
pub(super) fn batch_deadline(oldest: Instant, max_wait: Duration) -> Option<Instant> {
    let deadline = oldest.checked_add(max_wait)?;
    // tokio's timer rounds a deadline up to its next millisecond tick by
    // adding just under a millisecond to it: that must not overflow either.
    deadline.checked_add(Duration::from_millis(1))?;
    Some(deadline)
}

/// Sleeps until `deadline`, or for ever when there is none.
async fn sleep_until_deadline(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

// ANCHOR: answer
/// Sends each caller its result, or the batch's failure to all of them.
fn answer<Resp, E: fmt::Display>(
    replies: Vec<oneshot::Sender<Result<Resp, BatchError>>>,
    outcome: Outcome<Resp, E>,
) {
    let failure = match outcome {
        Ok(Ok(results)) if results.len() == replies.len() => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that went away meanwhile just misses its answer.
                let _ = reply.send(result.map_err(|e| BatchError::Item(e.to_string())));
            }
            return;
        }
        Ok(Ok(results)) => BatchError::WrongResultCount {
            expected: replies.len(),
            got: results.len(),
        },
        Ok(Err(e)) => BatchError::Handler(e.to_string()),
        Err(e) if e.is_panic() => BatchError::HandlerPanicked(panic_message(&*e.into_panic())),
        Err(_) => BatchError::WorkerStopped,
    };
    for reply in replies {
        let _ = reply.send(Err(failure.clone()));
    }
}
// ANCHOR_END: answer
