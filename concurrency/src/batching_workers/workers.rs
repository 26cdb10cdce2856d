//! The worker loops: what each task of a map, batch or sink stage does
//! with its inbox, its handler and its output queue — and the sampler that
//! reads the queue gauges on a timer.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::channel::{MeteredReceiver, MeteredSender, QueueGauge};
use super::error::{BoxError, WrongOutputCount};
use super::metrics::{Fault, Shared, StageMetrics};
use super::{BatchPolicy, fill_batch};

/// What the workers of one stage share: the inbox (one receiver, taken in
/// turns), the stage's counters, and a token that stops the siblings of a
/// worker that returned.
pub(super) struct Worker<T> {
    inbox: Arc<Mutex<MeteredReceiver<T>>>,
    metrics: Arc<StageMetrics>,
    shared: Arc<Shared>,
    halt: CancellationToken,
    pub(super) stage: usize,
}

impl<T> Clone for Worker<T> {
    fn clone(&self) -> Self {
        Worker {
            inbox: Arc::clone(&self.inbox),
            metrics: Arc::clone(&self.metrics),
            shared: Arc::clone(&self.shared),
            halt: self.halt.clone(),
            stage: self.stage,
        }
    }
}

impl<T> Worker<T> {
    /// The first worker of stage number `stage`, reading `inbox`; clone it
    /// for the others.
    pub(super) fn new(
        inbox: MeteredReceiver<T>,
        metrics: Arc<StageMetrics>,
        shared: Arc<Shared>,
        stage: usize,
    ) -> Self {
        Worker {
            inbox: Arc::new(Mutex::new(inbox)),
            metrics,
            shared,
            halt: CancellationToken::new(),
            stage,
        }
    }

    /// Locks the inbox and takes its next item, keeping the lock (a batcher
    /// goes on collecting under it). `None` when the inbox is closed and
    /// empty, when a sibling worker has returned, or when `downstream_gone`
    /// completes first. Cancellation-safe: the lock and `recv` hold no item
    /// while they wait.
    ///
    /// The lock is held while waiting for the item, not only while taking
    /// it: the channel has one receiver, so the worker holding it is simply
    /// the next in line, and its siblings would be waiting for an item
    /// anyway. Each sibling takes its turn as soon as the holder lets go.
    async fn take(
        &self,
        downstream_gone: impl Future<Output = ()>,
    ) -> Option<(MutexGuard<'_, MeteredReceiver<T>>, T)> {
        tokio::pin!(downstream_gone);
        let mut inbox = tokio::select! {
            biased;
            () = self.halt.cancelled() => return None,
            () = &mut downstream_gone => return None,
            inbox = self.inbox.lock() => inbox,
        };
        let item = tokio::select! {
            biased;
            () = self.halt.cancelled() => return None,
            () = &mut downstream_gone => return None,
            item = inbox.recv() => item?,
        };
        Some((inbox, item))
    }

    fn fail(&self, error: BoxError) {
        self.shared.fail(self.stage, Fault::Error(error));
    }
}

// Every worker loop holds `halt.drop_guard()`: however it returns — inbox
// drained, downstream gone, handler failed, panic — its siblings stop
// waiting for items, so the stage's inbox is dropped as soon as the last
// of them is done, and the stage before it sees its sends fail.

/// A map worker: one item at a time. The inbox is let go as soon as the
/// item is taken, so a sibling can take the next while this one runs the
/// handler; a rejection is counted and the loop goes on.
pub(super) async fn run_map<T, U, R, F>(w: Worker<T>, outbox: MeteredSender<U>, f: Arc<F>)
where
    F: Fn(T) -> Result<U, R>,
    R: fmt::Display,
{
    let _halt_siblings = w.halt.clone().drop_guard();
    loop {
        let Some((inbox, item)) = w.take(outbox.closed()).await else {
            return;
        };
        drop(inbox);
        w.metrics.received(1);
        let began = Instant::now();
        let result = f(item);
        w.metrics.busy(began.elapsed());
        let out = match result {
            Ok(out) => out,
            Err(reason) => {
                w.metrics.rejected(&reason);
                continue;
            }
        };
        match outbox.send(out).await {
            Ok(waited) => w.metrics.emitted(waited),
            // Downstream stopped: the item is abandoned, and counted as such
            // (received, neither emitted nor rejected).
            Err(_) => return,
        }
    }
}

/// A batch worker: collects a batch under the inbox lock, then lets go and
/// runs the handler — so while one worker's batch is in its handler, the
/// next worker collects. An error or a wrong output count stops the stage.
pub(super) async fn run_batch<T, U, F, Fut, E>(
    w: Worker<T>,
    outbox: MeteredSender<U>,
    policy: BatchPolicy,
    f: Arc<F>,
) where
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<U>, E>>,
    E: Into<BoxError>,
{
    let _halt_siblings = w.halt.clone().drop_guard();
    loop {
        let batch = {
            let Some((mut inbox, first)) = w.take(outbox.closed()).await else {
                return;
            };
            // Collected under the lock; the other workers wait for it while
            // their own batches are in their handlers.
            fill_batch(&mut inbox, first, policy).await
        };
        let size = batch.items.len();
        w.metrics.batch(batch.flush, size);
        let began = Instant::now();
        let result = f(batch.items).await;
        w.metrics.busy(began.elapsed());
        let outputs = match result {
            Ok(outputs) if outputs.len() == size => outputs,
            Ok(outputs) => {
                let got = outputs.len();
                w.fail(Box::new(WrongOutputCount {
                    expected: size,
                    got,
                }));
                return;
            }
            Err(e) => {
                w.fail(e.into());
                return;
            }
        };
        for out in outputs {
            match outbox.send(out).await {
                Ok(waited) => w.metrics.emitted(waited),
                Err(_) => return,
            }
        }
    }
}

/// The sink's worker: consumes one item at a time; an error stops it. It has
/// no output queue, so nothing downstream can go away (`pending()`).
pub(super) async fn run_sink<T, F, Fut, E>(w: Worker<T>, f: Arc<F>)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    let _halt_siblings = w.halt.clone().drop_guard();
    loop {
        let Some((inbox, item)) = w.take(std::future::pending()).await else {
            return;
        };
        drop(inbox);
        w.metrics.received(1);
        let began = Instant::now();
        let result = f(item).await;
        w.metrics.busy(began.elapsed());
        if let Err(e) = result {
            w.fail(e.into());
            return;
        }
        w.metrics.emitted(None);
    }
}

/// Samples every queue's depth each `period` until aborted.
pub(super) async fn sample_depths(gauges: Vec<Arc<QueueGauge>>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        for gauge in &gauges {
            gauge.sample();
        }
    }
}
