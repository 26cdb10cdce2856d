//! The live counters behind the report: one `StageMetrics` per stage,
//! written by its workers while the pipeline runs, and the failures the
//! workers noticed. Private to the pipeline; [`Report`](super::Report) is
//! the public view.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::Flush;
use super::channel::QueueGauge;
use super::error::BoxError;
use super::report::{BatchStats, StageKind, StageReport};
use super::stage::Stage;

/// Kept rejection messages per stage.
pub(super) const KEPT_REJECTIONS: usize = 3;

/// A stage's live counters. Relaxed atomics: each is a tally, read for the
/// report only after every task that writes it was joined (a join is a
/// synchronization point).
#[derive(Debug)]
pub(super) struct StageMetrics {
    pub(super) name: String,
    kind: StageKind,
    workers: usize,
    pub(super) outbox: Option<Arc<QueueGauge>>,
    started: Instant,
    received: AtomicU64,
    emitted: AtomicU64,
    rejected: AtomicU64,
    busy_nanos: AtomicU64,
    blocked_nanos: AtomicU64,
    blocked_sends: AtomicU64,
    /// Nanoseconds since `started` of the first item; `u64::MAX` until then.
    first_nanos: AtomicU64,
    last_nanos: AtomicU64,
    batches: [AtomicU64; 3],
    largest_batch: AtomicUsize,
    rejections: StdMutex<Vec<String>>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl StageMetrics {
    pub(super) fn new(
        stage: &Stage,
        kind: StageKind,
        outbox: Option<Arc<QueueGauge>>,
        started: Instant,
    ) -> Self {
        StageMetrics {
            name: stage.name.clone(),
            kind,
            workers: stage.workers,
            outbox,
            started,
            received: AtomicU64::new(0),
            emitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
            blocked_nanos: AtomicU64::new(0),
            blocked_sends: AtomicU64::new(0),
            first_nanos: AtomicU64::new(u64::MAX),
            last_nanos: AtomicU64::new(0),
            batches: Default::default(),
            largest_batch: AtomicUsize::new(0),
            rejections: StdMutex::new(Vec::new()),
        }
    }

    fn now(&self) -> u64 {
        nanos(self.started.elapsed())
    }

    pub(super) fn received(&self, items: usize) {
        self.received.fetch_add(items as u64, Ordering::Relaxed);
        self.first_nanos.fetch_min(self.now(), Ordering::Relaxed);
    }

    fn finished_one(&self) {
        self.last_nanos.fetch_max(self.now(), Ordering::Relaxed);
    }

    /// The source queued an item (it has no inbox: queuing is both its
    /// "received" and its "emitted").
    pub(super) fn queued_at_source(&self, waited: Option<Duration>) {
        self.first_nanos.fetch_min(self.now(), Ordering::Relaxed);
        self.emitted(waited);
    }

    pub(super) fn emitted(&self, waited: Option<Duration>) {
        self.emitted.fetch_add(1, Ordering::Relaxed);
        if let Some(waited) = waited {
            self.blocked_sends.fetch_add(1, Ordering::Relaxed);
            self.blocked_nanos
                .fetch_add(nanos(waited), Ordering::Relaxed);
        }
        self.finished_one();
    }

    pub(super) fn rejected(&self, reason: &dyn fmt::Display) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let mut kept = self
            .rejections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if kept.len() < KEPT_REJECTIONS {
            kept.push(reason.to_string());
        }
        drop(kept);
        self.finished_one();
    }

    pub(super) fn busy(&self, d: Duration) {
        self.busy_nanos.fetch_add(nanos(d), Ordering::Relaxed);
    }

    pub(super) fn batch(&self, flush: Flush, size: usize) {
        self.received(size);
        let slot = match flush {
            Flush::Size => 0,
            Flush::Deadline => 1,
            Flush::Closed => 2,
        };
        self.batches[slot].fetch_add(1, Ordering::Relaxed);
        self.largest_batch.fetch_max(size, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> StageReport {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let emitted = load(&self.emitted);
        // The source receives what it queues.
        let received = if self.kind == StageKind::Source {
            emitted
        } else {
            load(&self.received)
        };
        let first = load(&self.first_nanos);
        let active = if first == u64::MAX {
            Duration::ZERO
        } else {
            Duration::from_nanos(load(&self.last_nanos).saturating_sub(first))
        };
        let batches = (self.kind == StageKind::Batch).then(|| {
            let [size, deadline, close] = &self.batches;
            BatchStats {
                batches: load(size) + load(deadline) + load(close),
                by_size: load(size),
                by_deadline: load(deadline),
                by_close: load(close),
                largest: self.largest_batch.load(Ordering::Relaxed),
            }
        });
        StageReport {
            name: self.name.clone(),
            kind: self.kind,
            workers: self.workers,
            received,
            emitted,
            rejected: load(&self.rejected),
            busy: Duration::from_nanos(load(&self.busy_nanos)),
            blocked: Duration::from_nanos(load(&self.blocked_nanos)),
            blocked_sends: load(&self.blocked_sends),
            active,
            batches,
            outbox: self.outbox.as_ref().map(|g| g.stats()),
            rejections: self
                .rejections
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

/// How a stage failed.
#[derive(Debug)]
pub(super) enum Fault {
    Error(BoxError),
    Panic(String),
}

/// What every task of a pipeline shares.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) started: Instant,
    /// Failures in the order they were noticed (handler errors at once,
    /// panics when their task is joined).
    failures: StdMutex<Vec<(usize, Fault)>>,
}

impl Shared {
    /// The shared state of a pipeline whose clock started at `started`.
    pub(super) fn new(started: Instant) -> Self {
        Shared {
            started,
            failures: StdMutex::new(Vec::new()),
        }
    }

    pub(super) fn fail(&self, stage: usize, fault: Fault) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((stage, fault));
    }

    /// The root cause: the first handler error, else the first panic.
    pub(super) fn first_failure(&self) -> Option<(usize, Fault)> {
        let mut failures =
            std::mem::take(&mut *self.failures.lock().unwrap_or_else(PoisonError::into_inner));
        let at = failures
            .iter()
            .position(|(_, f)| matches!(f, Fault::Error(_)))
            .unwrap_or(0);
        (!failures.is_empty()).then(|| failures.swap_remove(at))
    }
}
