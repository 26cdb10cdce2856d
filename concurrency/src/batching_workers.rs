//! # Queues and pipelines (batching workers)
//!
//! ## Python idiom
//! A stream of work is split into stages that run side by side, joined by
//! queues: `asyncio.Queue(maxsize=N)` between coroutines, or
//! `multiprocessing.Queue`/`JoinableQueue` between worker processes.
//!
//! ```python
//! async def parse(inq, outq, stats):               # stats: a Counter
//!     while (line := await inq.get()) is not None:
//!         try:
//!             await outq.put(parse_line(line))     # waits while outq is full
//!         except ValueError:
//!             stats["rejected"] += 1               # see below
//!     await outq.put(None)                          # the "poison pill"
//!
//! async def enrich(inq, outq):                      # one call per batch
//!     while batch := await take_batch(inq, max_size=64, max_wait=0.005):
//!         for row in await service.lookup(batch):
//!             await outq.put(row)
//!     await outq.put(None)                          # pass the pill on
//! ```
//!
//! The rejects go into a shared `Counter`: a bare `rejected += 1` would
//! make `rejected` local to the coroutine and raise `UnboundLocalError`
//! (it needs `nonlocal` or `global`). `take_batch` is the hand-written
//! part: `get()` for the first item, then `asyncio.wait_for(inq.get(),
//! remaining)` until the batch is full or the deadline passes. Shutdown is a sentinel passed down the line — forget it
//! in one stage and everything after it hangs; raise in one stage and the
//! stages before it block on a full queue forever. How full each queue was,
//! and which stage was the bottleneck, is guesswork from `qsize()`.
//!
//! ## Rust answer
//! [`PipelineBuilder`] chains stages over **bounded** `tokio::sync::mpsc`
//! channels; each [`Stage`] names the stage, the capacity of the queue it
//! feeds, and how many worker tasks share its inbox:
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::Duration;
//! use mastery_concurrency::batching_workers::{BatchPolicy, PipelineBuilder, Stage};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let total = Arc::new(AtomicU64::new(0));
//! let sum = Arc::clone(&total);
//! let pipeline = PipelineBuilder::<&'static str>::new(8)?
//!     // A parse error rejects the item: counted, never fatal.
//!     .map(Stage::new("parse", 8), |line: &str| line.trim().parse::<u64>())?
//!     // One call per batch of up to 4 items, or whatever came within 5 ms.
//!     .batch(
//!         Stage::new("enrich", 8),
//!         BatchPolicy { max_size: 4, max_wait: Duration::from_millis(5) },
//!         |batch: Vec<u64>| async move {
//!             Ok::<_, std::io::Error>(batch.into_iter().map(|n| n * 10).collect())
//!         },
//!     )?
//!     .sink("sink", move |n: u64| {
//!         let sum = Arc::clone(&sum);
//!         async move {
//!             sum.fetch_add(n, Ordering::Relaxed);
//!             Ok::<_, std::io::Error>(())
//!         }
//!     })?;
//! for line in ["1", "2", "oops", "3"] {
//!     pipeline.send(line).await?; // waits while the first queue is full
//! }
//! let report = pipeline.finish().await?; // close the source, drain, report
//! assert_eq!((report.produced(), report.sunk(), report.rejected()), (4, 3, 1));
//! assert!(report.lost_nothing());
//! assert_eq!(total.load(Ordering::Relaxed), 60);
//! # Ok(())
//! # }
//! ```
//!
//! What each piece answers:
//! - **Backpressure** is the bounded channel: a stage whose output queue is
//!   full waits in `send`, stops taking from its inbox, whose queue fills
//!   in turn — back to the source, whose `send` waits. Every queue is a
//!   [`metered_channel`]: its depth is tracked with atomics (and sampled
//!   while the pipeline runs), and every wait for room is timed; the
//!   [`Report`] shows them per stage, with each stage's busy share:
//!   the busiest stage is the bottleneck ([`Report::bottleneck`]), and the
//!   queues in front of it are where the items wait.
//! - **Batching by size or deadline** is [`next_batch`]: wait for one item,
//!   then race `recv()` against one pinned `sleep_until(deadline)` in a
//!   `biased` `select!` until the batch has `max_size` items or the
//!   deadline passes — or the inbox closes, which flushes the partial batch
//!   at once ([`Flush`]). `recv` is cancellation-safe, so a deadline that
//!   wins the race loses no item.
//! - **Shutdown without a sentinel**: a channel closes when its last sender
//!   is dropped. [`Pipeline::finish`] drops the source; each stage's workers
//!   drain their inbox, and when the last of them returns, its output
//!   sender is dropped and the next stage sees the close. Nobody can forget
//!   the pill, and the report proves the drain:
//!   `produced == sunk + rejected` ([`Report::lost_nothing`]).
//! - **Failure**: a batch or sink handler that returns `Err` (or panics)
//!   stops its stage. Its inbox is dropped, so the stages before it see
//!   their sends fail and stop at once (a waiting source gets [`Closed`]
//!   with its item back); the stages after it drain what they already
//!   have. [`Pipeline::finish`] returns [`PipelineError`] naming the stage,
//!   with the error as its `source()` and a report in which every item is
//!   still counted: `produced == sunk + rejected + abandoned + left in
//!   queues` ([`Report::is_balanced`]).
//!
//! ## When to use which
//! - This pipeline for a **stream** whose stages have different costs and
//!   where nobody waits for an individual answer (ingest, ETL, log
//!   shipping). When each caller needs its own reply, batching is the
//!   request/response shape of `interview/batching-service` (a `oneshot`
//!   per request); for a single queue between producers and consumers see
//!   `concurrency/asyncio-patterns`.
//! - **Batch when a call has a fixed cost** (a round trip, a transaction,
//!   a syscall) that items can share; the demo measures the gain. The
//!   price is latency: an item can wait `max_wait` in the batcher, on top
//!   of its time in the queue — size `max_wait` from the latency you may
//!   add, `max_size` from what the callee accepts. A `max_size` of 1 is
//!   per-item processing with the same code.
//! - **Capacity** bounds memory and how fast backpressure reaches the
//!   source; a few batches' worth is enough to keep a stage busy. Larger
//!   queues only hide a slow stage longer (and lose more on a crash).
//! - **Workers per stage** (`Stage::workers`) for a stage that waits on I/O
//!   — more calls in flight — at the price of output order. A CPU-heavy
//!   stage belongs on `spawn_blocking` or rayon, not on the runtime's
//!   worker threads; `multiprocessing` queues are for Python's GIL, which
//!   Rust does not have.
//! - Costs: per item and stage, a lock of the stage's shared inbox (a
//!   Tokio `Mutex`) and a handful of relaxed atomics; one timer per batch
//!   that is not filled at once; one sampler task. The inbox lock is held
//!   by the worker that is taking items — while it waits for the next one
//!   and, in a batching stage, while its batch fills (up to `max_wait`) —
//!   so with one worker it is uncontended, and with several they take
//!   turns collecting while their handlers run side by side. A `Source` clone kept alive keeps
//!   [`Pipeline::finish`] waiting (it is still a source); dropping a
//!   `Pipeline` without `finish` aborts its tasks uncounted.
//!
//! ## Run it
//! `mastery run concurrency/batching-workers` (the three-stage pipeline's
//! per-stage throughput and queue table; the same pipeline with a slowed
//! sink, showing full queues and the source's blocked time; a failing
//! enrich stage named in the error with every item counted; batched vs
//! per-item enrich with a 1 ms round trip per call), and
//! `cargo test -p mastery-concurrency batching_workers` (paused-clock
//! tests of deadlines, backpressure and drains, failure tests, a property
//! test that the counts always balance).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use mastery_kit::narrator::format_value;
use mastery_kit::narrator::millis;
use mastery_kit::panics::panic_message;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, MutexGuard, mpsc};
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/batching-workers",
        area: Area::Concurrency,
        rank: 3,
        title: "Queues and pipelines (batching workers)",
        python: "asyncio.Queue / multiprocessing queues between worker stages; a consumer that batches with wait_for; None as poison pill",
        rust: "stages over bounded tokio mpsc (backpressure), batches by size or deadline with select!, shutdown by closing channels, per-stage metrics",
        path: "concurrency/src/batching_workers.rs",
        source: include_str!("batching_workers.rs"),
        run: demo,
    }
}

/// The error type stage handlers may fail with (anything `Into` it:
/// `std::io::Error`, your own error enum, a `String`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

// ---- the metered channel ----------------------------------------------------

/// The largest queue capacity (the limit of Tokio's bounded channel).
pub const MAX_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// A queue capacity a bounded channel cannot have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "queue capacity {requested} is outside 1..={MAX_CAPACITY} (a queue of 0 slots could never accept an item)"
)]
pub struct CapacityError {
    /// What was asked for.
    pub requested: usize,
}

/// How full one queue is, and has been. Shared by both ends of a
/// [`metered_channel`]; the pipeline's sampler reads it on a timer.
///
/// The depth counts an item from the moment its sender holds a reserved
/// slot until a receiver has taken it. It never goes below zero: the
/// channel orders the increment before the decrement of the same item. It
/// can run one over the capacity per receiver for an instant — Tokio frees
/// the slot inside `recv`, and another sender may count its item before the
/// receiver subtracts the one it took — so reads are clamped to the
/// capacity, which the real queue never exceeds.
#[derive(Debug)]
pub struct QueueGauge {
    capacity: usize,
    depth: AtomicUsize,
    peak: AtomicUsize,
    samples: AtomicU64,
    depth_sum: AtomicU64,
    full_samples: AtomicU64,
}

impl QueueGauge {
    fn new(capacity: usize) -> Self {
        QueueGauge {
            capacity,
            depth: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            samples: AtomicU64::new(0),
            depth_sum: AtomicU64::new(0),
            full_samples: AtomicU64::new(0),
        }
    }

    /// The most items the queue can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Items in the queue now.
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed).min(self.capacity)
    }

    /// The most items seen in the queue at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn push(&self) {
        let depth = self.depth.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak
            .fetch_max(depth.min(self.capacity), Ordering::Relaxed);
    }

    fn pop(&self) {
        self.depth.fetch_sub(1, Ordering::Relaxed);
    }

    /// Records the current depth once (the sampler calls this on a timer).
    fn sample(&self) {
        let depth = self.depth();
        self.samples.fetch_add(1, Ordering::Relaxed);
        self.depth_sum.fetch_add(depth as u64, Ordering::Relaxed);
        if depth >= self.capacity {
            self.full_samples.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn stats(&self) -> QueueStats {
        let samples = self.samples.load(Ordering::Relaxed);
        let share = |n: u64| (samples > 0).then(|| n as f64 / samples as f64);
        QueueStats {
            capacity: self.capacity,
            peak: self.peak(),
            left: self.depth(),
            samples,
            mean_depth: share(self.depth_sum.load(Ordering::Relaxed)),
            full_share: share(self.full_samples.load(Ordering::Relaxed)),
        }
    }
}

/// A bounded channel that measures itself: depth, peak, and how long each
/// send waited for room. The building block of every pipeline queue.
///
/// # Errors
/// [`CapacityError`] unless `1 <= capacity <= MAX_CAPACITY`.
pub fn metered_channel<T>(
    capacity: usize,
) -> Result<(MeteredSender<T>, MeteredReceiver<T>), CapacityError> {
    if capacity == 0 || capacity > MAX_CAPACITY {
        return Err(CapacityError {
            requested: capacity,
        });
    }
    let (tx, rx) = mpsc::channel(capacity);
    let gauge = Arc::new(QueueGauge::new(capacity));
    let sender = MeteredSender {
        tx,
        gauge: Arc::clone(&gauge),
    };
    Ok((sender, MeteredReceiver { rx, gauge }))
}

/// The sending half of a [`metered_channel`]; cheap to clone.
#[derive(Debug)]
pub struct MeteredSender<T> {
    tx: mpsc::Sender<T>,
    gauge: Arc<QueueGauge>,
}

impl<T> Clone for MeteredSender<T> {
    fn clone(&self) -> Self {
        MeteredSender {
            tx: self.tx.clone(),
            gauge: Arc::clone(&self.gauge),
        }
    }
}

impl<T> MeteredSender<T> {
    /// Queues `item`, waiting while the queue is full. Returns how long it
    /// waited: `None` when a slot was free at once.
    ///
    /// # Errors
    /// `SendError` with the item when the receiver is gone.
    pub async fn send(&self, item: T) -> Result<Option<Duration>, mpsc::error::SendError<T>> {
        let (permit, waited) = match self.tx.try_reserve() {
            Ok(permit) => (permit, None),
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(mpsc::error::SendError(item));
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                let since = Instant::now();
                match self.tx.reserve().await {
                    Ok(permit) => (permit, Some(since.elapsed())),
                    Err(_) => return Err(mpsc::error::SendError(item)),
                }
            }
        };
        // Counted before it is visible to the receiver, so the receiver's
        // decrement of the same item always comes after this increment.
        self.gauge.push();
        permit.send(item);
        Ok(waited)
    }

    /// Completes once the receiver is gone (cancellation-safe).
    pub async fn closed(&self) {
        self.tx.closed().await;
    }

    /// The queue's gauge.
    pub fn gauge(&self) -> &Arc<QueueGauge> {
        &self.gauge
    }
}

/// The receiving half of a [`metered_channel`].
#[derive(Debug)]
pub struct MeteredReceiver<T> {
    rx: mpsc::Receiver<T>,
    gauge: Arc<QueueGauge>,
}

impl<T> MeteredReceiver<T> {
    /// The next item, or `None` once every sender is gone and the queue is
    /// empty. Cancellation-safe: an item is taken only when this returns.
    pub async fn recv(&mut self) -> Option<T> {
        let item = self.rx.recv().await?;
        self.gauge.pop();
        Some(item)
    }

    /// The queue's gauge.
    pub fn gauge(&self) -> &Arc<QueueGauge> {
        &self.gauge
    }
}

// ---- batching ---------------------------------------------------------------

/// When a batching stage calls its handler: at `max_size` items, or
/// `max_wait` after the first item of the batch was taken, whichever comes
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// The most items in one batch (at least 1; 1 means per-item calls).
    pub max_size: usize,
    /// The longest the first item of a batch waits for company. Zero means
    /// "whatever is queued right now"; a wait too long for a deadline
    /// (`Duration::MAX`) means no deadline: full batches, or the close.
    pub max_wait: Duration,
}

impl BatchPolicy {
    /// Batches of up to `max_size` items, waiting at most `max_wait`.
    pub const fn new(max_size: usize, max_wait: Duration) -> Self {
        BatchPolicy { max_size, max_wait }
    }
}

impl Default for BatchPolicy {
    /// Batches of up to 64 items, waiting at most 5 ms.
    fn default() -> Self {
        BatchPolicy {
            max_size: 64,
            max_wait: Duration::from_millis(5),
        }
    }
}

/// Why a batch was handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flush {
    /// It reached `max_size`.
    Size,
    /// `max_wait` passed since its first item.
    Deadline,
    /// The inbox closed (shutdown): the partial batch goes at once.
    Closed,
}

/// Items collected by [`next_batch`], and why collection stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<T> {
    /// Between 1 and `max_size` items, in queue order.
    pub items: Vec<T>,
    /// Why the batch was handed over.
    pub flush: Flush,
}

/// Waits for one item, then collects more until the batch is full, the
/// deadline passes, or the queue closes. `None` once the queue is closed
/// and empty. A `max_size` of 0 is treated as 1.
///
/// Not cancellation-safe once the first item is taken (it lives in this
/// future): race it in a `select!` only while it waits for that first item
/// — the pipeline never races it at all.
pub async fn next_batch<T>(
    inbox: &mut MeteredReceiver<T>,
    policy: BatchPolicy,
) -> Option<Batch<T>> {
    let first = inbox.recv().await?;
    Some(fill_batch(inbox, first, policy).await)
}

async fn fill_batch<T>(inbox: &mut MeteredReceiver<T>, first: T, policy: BatchPolicy) -> Batch<T> {
    let max_size = policy.max_size.max(1);
    let mut items = Vec::with_capacity(max_size.min(1024));
    items.push(first);
    // A `max_wait` so long that now + max_wait is past what `Instant` can
    // hold (`Duration::MAX`, say) means "no deadline": the batch goes when
    // it is full or the inbox closes. `Instant + Duration` would panic there.
    let deadline = Instant::now().checked_add(policy.max_wait);
    // One timer per batch, pinned outside the loop: re-creating it on every
    // iteration would re-register a timer per item. Without a deadline the
    // timer is never polled, so it never fires (its instant is a stand-in).
    let timer = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now));
    tokio::pin!(timer);
    while items.len() < max_size {
        tokio::select! {
            // `biased`: take what is already queued before looking at the
            // clock, so a zero `max_wait` still takes what is there.
            biased;
            item = inbox.recv() => match item {
                Some(item) => items.push(item),
                None => return Batch { items, flush: Flush::Closed },
            },
            () = &mut timer, if deadline.is_some() => {
                return Batch { items, flush: Flush::Deadline };
            }
        }
    }
    Batch {
        items,
        flush: Flush::Size,
    }
}

// ---- configuration and errors -------------------------------------------------

/// One stage's name, the capacity of the queue it feeds, and its workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    name: String,
    queue: usize,
    workers: usize,
}

impl Stage {
    /// A stage called `name` (unique in its pipeline: it labels metrics and
    /// errors) whose output queue holds `queue` items; one worker.
    pub fn new(name: impl Into<String>, queue: usize) -> Self {
        Stage {
            name: name.into(),
            queue,
            workers: 1,
        }
    }

    /// Runs `workers` tasks that share the stage's inbox. With more than one
    /// the stage's output order is no longer its input order.
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }
}

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

/// The [`Source`] could not queue an item: the pipeline's first stage has
/// stopped because a stage failed. The item is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed<T>(pub T);

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the pipeline no longer accepts items (a stage failed; Pipeline::finish names it); the item was not queued and is handed back",
        )
    }
}

impl<T: fmt::Debug> std::error::Error for Closed<T> {}

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

/// Why [`Pipeline::finish`] failed: the first stage to fail, and the counts.
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

// ---- the report ---------------------------------------------------------------

/// What a stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageKind {
    /// Where items enter ([`Source::send`]).
    Source,
    /// One item in, one out or rejected ([`PipelineBuilder::map`]).
    Map,
    /// Batches in, one output per item ([`PipelineBuilder::batch`]).
    Batch,
    /// Items in, nothing out ([`PipelineBuilder::sink`]).
    Sink,
}

/// A queue's figures at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueStats {
    /// Its capacity.
    pub capacity: usize,
    /// The most items it held at once.
    pub peak: usize,
    /// Items still in it when the run ended (0 after a clean drain).
    pub left: usize,
    /// How many times the sampler looked.
    pub samples: u64,
    /// Mean depth over the samples (`None` without samples).
    pub mean_depth: Option<f64>,
    /// Share of samples, 0–1, that found it full (`None` without samples).
    pub full_share: Option<f64>,
}

/// How a batching stage's batches ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Batches handed to the handler.
    pub batches: u64,
    /// ...of which were full.
    pub by_size: u64,
    /// ...of which were flushed at their deadline.
    pub by_deadline: u64,
    /// ...of which were flushed because the inbox closed.
    pub by_close: u64,
    /// The largest batch.
    pub largest: usize,
}

/// One stage's figures at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    /// The stage's name.
    pub name: String,
    /// What it does.
    pub kind: StageKind,
    /// Its worker tasks.
    pub workers: usize,
    /// Items taken from its inbox (for the source: items queued).
    pub received: u64,
    /// Items passed on (for the sink: items handled successfully).
    pub emitted: u64,
    /// Items its handler rejected (map stages).
    pub rejected: u64,
    /// Time inside the handler, summed over workers.
    pub busy: Duration,
    /// Time spent waiting for room in its output queue: backpressure.
    pub blocked: Duration,
    /// Sends that found the output queue full.
    pub blocked_sends: u64,
    /// From its first item received to its last item finished.
    pub active: Duration,
    /// Batch figures (batching stages).
    pub batches: Option<BatchStats>,
    /// Its output queue (every stage but the sink).
    pub outbox: Option<QueueStats>,
    /// The first few rejection messages.
    pub rejections: Vec<String>,
}

impl StageReport {
    /// Items it took but neither passed on nor rejected: held when the
    /// pipeline stopped after a failure (0 after a clean run).
    pub fn abandoned(&self) -> u64 {
        self.received
            .saturating_sub(self.emitted)
            .saturating_sub(self.rejected)
    }

    /// Items received per second over its active time (`None` if it was
    /// never active for a measurable time).
    pub fn throughput(&self) -> Option<f64> {
        let secs = self.active.as_secs_f64();
        (secs > 0.0 && self.received > 0).then(|| self.received as f64 / secs)
    }
}

/// What a pipeline did, stage by stage; `stages[0]` is the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The stages in pipeline order.
    pub stages: Vec<StageReport>,
    /// From `PipelineBuilder::new` to the end of `finish`.
    pub elapsed: Duration,
}

impl Report {
    /// Items the source queued.
    pub fn produced(&self) -> u64 {
        self.stages.first().map_or(0, |s| s.emitted)
    }

    /// Items the sink handled successfully.
    pub fn sunk(&self) -> u64 {
        self.stages.last().map_or(0, |s| s.emitted)
    }

    /// Items rejected by any stage.
    pub fn rejected(&self) -> u64 {
        self.stages.iter().map(|s| s.rejected).sum()
    }

    /// Items held by stages when a failure stopped them.
    pub fn abandoned(&self) -> u64 {
        self.stages.iter().map(StageReport::abandoned).sum()
    }

    /// Items still in queues when the run ended (dropped with a failed
    /// stage's inbox).
    pub fn left_in_queues(&self) -> u64 {
        self.stages
            .iter()
            .filter_map(|s| s.outbox.map(|q| q.left as u64))
            .sum()
    }

    /// `produced == sunk + rejected + abandoned + left_in_queues`: every item
    /// is in exactly one count, however the run ended.
    pub fn is_balanced(&self) -> bool {
        self.produced() == self.sunk() + self.rejected() + self.abandoned() + self.left_in_queues()
    }

    /// Balanced with nothing abandoned or left: `produced == sunk + rejected`.
    pub fn lost_nothing(&self) -> bool {
        self.is_balanced() && self.abandoned() == 0 && self.left_in_queues() == 0
    }

    /// The share, 0–1, of the run that `stage`'s workers spent in its
    /// handler (`None` for the source, or a run of no measurable length).
    pub fn utilization(&self, stage: &StageReport) -> Option<f64> {
        let capacity = self.elapsed.as_secs_f64() * stage.workers as f64;
        (stage.kind != StageKind::Source && capacity > 0.0)
            .then(|| stage.busy.as_secs_f64() / capacity)
    }

    /// The stage with the highest [`Report::utilization`]: the bottleneck,
    /// whose pace every other stage ends up keeping.
    pub fn bottleneck(&self) -> Option<&StageReport> {
        let busy = |s: &&StageReport| self.utilization(s).unwrap_or(0.0);
        self.stages
            .iter()
            .filter(|s| s.kind != StageKind::Source)
            .max_by(|a, b| busy(a).total_cmp(&busy(b)))
    }

    /// The stage called `name`.
    pub fn stage(&self, name: &str) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// The balance as one line: `produced 10 = sunk 8 + rejected 2 + …`.
    pub fn balance(&self) -> String {
        format!(
            "produced {} = sunk {} + rejected {} + abandoned {} + left in queues {}",
            self.produced(),
            self.sunk(),
            self.rejected(),
            self.abandoned(),
            self.left_in_queues()
        )
    }
}

impl fmt::Display for Report {
    /// A table, one row per stage (the queue columns describe the stage's
    /// output queue), then the batch figures and the balance.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.stages.iter().map(|s| s.name.len()).fold(5, usize::max);
        writeln!(
            f,
            "{:<w$} {:>2} {:>7} {:>7} {:>4} {:>5} {:>9} {:>9} | {:>5} {:>4} {:>5} {:>5}",
            "stage",
            "wk",
            "in",
            "out",
            "rej",
            "busy",
            "blocked",
            "items/s",
            "queue",
            "peak",
            "mean",
            "full"
        )?;
        for s in &self.stages {
            let busy = self.utilization(s).map(|u| format!("{:.0}%", 100.0 * u));
            let q = s.outbox;
            writeln!(
                f,
                "{:<w$} {:>2} {:>7} {:>7} {:>4} {:>5} {:>6.1} ms {:>9} | {:>5} {:>4} {:>5} {:>5}",
                s.name,
                s.workers,
                s.received,
                s.emitted,
                s.rejected,
                dash(busy),
                millis(s.blocked),
                dash(s.throughput().map(format_value)),
                dash(q.map(|q| q.capacity.to_string())),
                dash(q.map(|q| q.peak.to_string())),
                dash(q.and_then(|q| q.mean_depth).map(|m| format!("{m:.1}"))),
                dash(
                    q.and_then(|q| q.full_share)
                        .map(|s| format!("{:.0}%", 100.0 * s))
                ),
            )?;
        }
        for s in &self.stages {
            if let Some(b) = s.batches {
                writeln!(
                    f,
                    "{}: {} batches (full {}, at deadline {}, at close {}), largest {}, mean {:.1}",
                    s.name,
                    b.batches,
                    b.by_size,
                    b.by_deadline,
                    b.by_close,
                    b.largest,
                    s.received as f64 / b.batches.max(1) as f64
                )?;
            }
        }
        write!(f, "{}", self.balance())
    }
}

fn dash(cell: Option<String>) -> String {
    cell.unwrap_or_else(|| "-".to_owned())
}

// ---- per-stage metrics (private) ------------------------------------------------

/// Kept rejection messages per stage.
const KEPT_REJECTIONS: usize = 3;

/// A stage's live counters. Relaxed atomics: each is a tally, read for the
/// report only after every task that writes it was joined (a join is a
/// synchronization point).
#[derive(Debug)]
struct StageMetrics {
    name: String,
    kind: StageKind,
    workers: usize,
    outbox: Option<Arc<QueueGauge>>,
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
    fn new(
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

    fn received(&self, items: usize) {
        self.received.fetch_add(items as u64, Ordering::Relaxed);
        self.first_nanos.fetch_min(self.now(), Ordering::Relaxed);
    }

    fn finished_one(&self) {
        self.last_nanos.fetch_max(self.now(), Ordering::Relaxed);
    }

    fn emitted(&self, waited: Option<Duration>) {
        self.emitted.fetch_add(1, Ordering::Relaxed);
        if let Some(waited) = waited {
            self.blocked_sends.fetch_add(1, Ordering::Relaxed);
            self.blocked_nanos
                .fetch_add(nanos(waited), Ordering::Relaxed);
        }
        self.finished_one();
    }

    fn rejected(&self, reason: &dyn fmt::Display) {
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

    fn busy(&self, d: Duration) {
        self.busy_nanos.fetch_add(nanos(d), Ordering::Relaxed);
    }

    fn batch(&self, flush: Flush, size: usize) {
        self.received(size);
        let slot = match flush {
            Flush::Size => 0,
            Flush::Deadline => 1,
            Flush::Closed => 2,
        };
        self.batches[slot].fetch_add(1, Ordering::Relaxed);
        self.largest_batch.fetch_max(size, Ordering::Relaxed);
    }

    fn snapshot(&self) -> StageReport {
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
enum Fault {
    Error(BoxError),
    Panic(String),
}

/// What every task of a pipeline shares.
#[derive(Debug)]
struct Shared {
    started: Instant,
    /// Failures in the order they were noticed (handler errors at once,
    /// panics when their task is joined).
    failures: StdMutex<Vec<(usize, Fault)>>,
}

impl Shared {
    fn fail(&self, stage: usize, fault: Fault) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((stage, fault));
    }

    /// The root cause: the first handler error, else the first panic.
    fn first_failure(&self) -> Option<(usize, Fault)> {
        let mut failures =
            std::mem::take(&mut *self.failures.lock().unwrap_or_else(PoisonError::into_inner));
        let at = failures
            .iter()
            .position(|(_, f)| matches!(f, Fault::Error(_)))
            .unwrap_or(0);
        (!failures.is_empty()).then(|| failures.swap_remove(at))
    }
}

// ---- the workers ------------------------------------------------------------------

/// What the workers of one stage share: the inbox (one receiver, taken in
/// turns), the stage's counters, and a token that stops the siblings of a
/// worker that returned.
struct Worker<T> {
    inbox: Arc<Mutex<MeteredReceiver<T>>>,
    metrics: Arc<StageMetrics>,
    shared: Arc<Shared>,
    halt: CancellationToken,
    stage: usize,
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
    /// Locks the inbox and takes its next item, keeping the lock (a batcher
    /// goes on collecting under it). `None` when the inbox is closed and
    /// empty, when a sibling worker has returned, or when `downstream_gone`
    /// completes first. Cancellation-safe: the lock and `recv` hold no item
    /// while they wait.
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

async fn run_map<T, U, R, F>(w: Worker<T>, outbox: MeteredSender<U>, f: Arc<F>)
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

async fn run_batch<T, U, F, Fut, E>(
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

async fn run_sink<T, F, Fut, E>(w: Worker<T>, f: Arc<F>)
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
async fn sample_depths(gauges: Vec<Arc<QueueGauge>>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        for gauge in &gauges {
            gauge.sample();
        }
    }
}

// ---- the builder and the pipeline ---------------------------------------------------

/// Builds a [`Pipeline`] stage by stage: `In` is what the source takes,
/// `Cur` what the last stage so far emits. See the [module docs](self).
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
            shared: Arc::new(Shared {
                started,
                failures: StdMutex::new(Vec::new()),
            }),
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

    /// Adds a stage that collects batches by `policy` and calls `f` once per
    /// batch; `f` returns one output per item, in order. An `Err` — or the
    /// wrong number of outputs ([`WrongOutputCount`]) — stops the stage and
    /// fails the pipeline with the stage's name.
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
        let metrics = Arc::new(StageMetrics::new(
            &stage,
            StageKind::Sink,
            None,
            self.shared.started,
        ));
        let worker = Worker {
            inbox: Arc::new(Mutex::new(self.tail)),
            metrics: Arc::clone(&metrics),
            shared: Arc::clone(&self.shared),
            halt: CancellationToken::new(),
            stage: self.stages.len(),
        };
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
        let metrics = Arc::new(StageMetrics::new(
            stage,
            kind,
            Some(Arc::clone(tx.gauge())),
            self.shared.started,
        ));
        let worker = Worker {
            inbox: Arc::new(Mutex::new(self.tail)),
            metrics: Arc::clone(&metrics),
            shared: Arc::clone(&self.shared),
            halt: CancellationToken::new(),
            stage: self.stages.len(),
        };
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

/// Where items enter a [`Pipeline`]; cheap to clone. The pipeline's input
/// closes when [`Pipeline::finish`] has been called and every clone is
/// dropped.
pub struct Source<T> {
    tx: MeteredSender<T>,
    metrics: Arc<StageMetrics>,
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
        self.metrics
            .first_nanos
            .fetch_min(self.metrics.now(), Ordering::Relaxed);
        self.metrics.emitted(waited);
        Ok(())
    }
}

/// A running pipeline. See the [module docs](self).
pub struct Pipeline<In> {
    source: Source<In>,
    stages: Vec<Arc<StageMetrics>>,
    tasks: JoinSet<()>,
    task_stage: HashMap<Id, usize>,
    shared: Arc<Shared>,
    /// The depth sampler, aborted with the pipeline.
    sampler: JoinSet<()>,
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
}

// ---- demo -------------------------------------------------------------------------

/// Label of the figure that must be zero after the slowed run's drain.
const LOST: &str = "items lost at shutdown, slowed sink";
/// Label of the figure that must be zero after the failed run.
const UNACCOUNTED: &str = "items not in any count, failed run";
/// The peer of the comparison.
const PER_ITEM_PEER: &str = "per-item enrich (1 call per order)";
/// One order line in this many is malformed.
const BAD_EVERY: usize = 25;
/// The customer service's round trip per call.
const ROUND_TRIP: Duration = Duration::from_millis(1);
const REGIONS: [&str; 4] = ["eu-west", "us-east", "ap-south", "sa-east"];

/// An order line after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Order {
    id: u64,
    customer: u32,
    cents: u64,
}

/// An order with its customer's region (an index into `REGIONS`).
#[derive(Debug, Clone, Copy)]
struct Enriched {
    order: Order,
    region: usize,
}

/// Why an order line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadLine {
    #[error("line {line:?}: expected 3 comma-separated fields (id,customer,cents), found {found}")]
    FieldCount { line: String, found: usize },
    #[error("line {line:?}: field `{field}` is not a whole number: {value:?}")]
    NotANumber {
        line: String,
        field: &'static str,
        value: String,
    },
}

fn parse_order(line: &str) -> Result<Order, BadLine> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let &[id, customer, cents] = fields.as_slice() else {
        return Err(BadLine::FieldCount {
            line: line.to_owned(),
            found: fields.len(),
        });
    };
    fn number<N: std::str::FromStr>(
        line: &str,
        field: &'static str,
        value: &str,
    ) -> Result<N, BadLine> {
        value.parse().map_err(|_| BadLine::NotANumber {
            line: line.to_owned(),
            field,
            value: value.to_owned(),
        })
    }
    Ok(Order {
        id: number(line, "id", id)?,
        customer: number(line, "customer", customer)?,
        cents: number(line, "cents", cents)?,
    })
}

/// `count` order lines; every `BAD_EVERY`th is malformed in one of three ways.
fn order_lines(count: usize) -> Vec<String> {
    (0..count)
        .map(
            |i| match (i % BAD_EVERY == BAD_EVERY - 1, i / BAD_EVERY % 3) {
                (false, _) => format!("{i},{},{}", i * 7 % 500, 100 + i * 37 % 9_900),
                (true, 0) => format!("{i},{}", i % 500),
                (true, 1) => format!("{i},c{},250", i % 500),
                (true, _) => format!("{i},{},-{}", i % 500, i),
            },
        )
        .collect()
}

/// A remote lookup with a fixed cost per call: a round trip, plus encoding
/// the request and decoding the answer per item.
#[derive(Debug)]
struct CustomerService {
    round_trip: Duration,
    calls: AtomicU64,
    fail_on_call: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "customer service call {call} failed: connection reset by peer (retry the batch, or route it to a dead-letter queue)"
)]
struct ServiceError {
    call: u64,
}

impl CustomerService {
    async fn regions(&self, customers: &[u32]) -> Result<Vec<usize>, ServiceError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let request = customers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        tokio::time::sleep(self.round_trip).await;
        if self.fail_on_call == Some(call) {
            return Err(ServiceError { call });
        }
        request
            .split(',')
            .map(|id| {
                id.parse::<usize>()
                    .map(|c| c % REGIONS.len())
                    .map_err(|_| ServiceError { call })
            })
            .collect()
    }
}

/// The sink's books: orders and revenue per region.
#[derive(Debug, Default)]
struct Ledger {
    orders: [AtomicU64; 4],
    cents: AtomicU64,
}

impl Ledger {
    fn orders(&self) -> u64 {
        self.orders.iter().map(|o| o.load(Ordering::Relaxed)).sum()
    }
}

/// One run of the order pipeline.
#[derive(Debug, Clone, Copy)]
struct OrdersRun {
    lines: usize,
    queue: usize,
    policy: BatchPolicy,
    enrich_workers: usize,
    sink_delay: Option<Duration>,
    fail_on_call: Option<u64>,
}

impl OrdersRun {
    fn new(lines: usize, queue: usize, policy: BatchPolicy) -> Self {
        OrdersRun {
            lines,
            queue,
            policy,
            enrich_workers: 1,
            sink_delay: None,
            fail_on_call: None,
        }
    }
}

#[derive(Debug)]
struct OrdersOutcome {
    result: Result<Report, PipelineError>,
    calls: u64,
    /// Items in the queues when the source was closed.
    queued_at_close: usize,
    /// From closing the source to `finish` returning.
    drain: Duration,
    /// Lines the source refused (after a failure).
    refused: usize,
    ledger_orders: u64,
}

async fn run_orders(run: OrdersRun) -> anyhow::Result<OrdersOutcome> {
    let service = Arc::new(CustomerService {
        round_trip: ROUND_TRIP,
        calls: AtomicU64::new(0),
        fail_on_call: run.fail_on_call,
    });
    let ledger = Arc::new(Ledger::default());
    let (svc, book) = (Arc::clone(&service), Arc::clone(&ledger));
    let input = order_lines(run.lines); // made before the clock starts
    let pipeline = PipelineBuilder::<String>::new(run.queue)?
        .map(Stage::new("parse", run.queue), |line: String| {
            parse_order(&line)
        })?
        .batch(
            Stage::new("enrich", run.queue).workers(run.enrich_workers),
            run.policy,
            move |orders: Vec<Order>| {
                let svc = Arc::clone(&svc);
                async move {
                    let customers: Vec<u32> = orders.iter().map(|o| o.customer).collect();
                    let regions = svc.regions(&customers).await?;
                    let enriched = orders.into_iter().zip(regions);
                    Ok::<_, ServiceError>(
                        enriched
                            .map(|(order, region)| Enriched { order, region })
                            .collect(),
                    )
                }
            },
        )?
        .sink("sink", move |e: Enriched| {
            let book = Arc::clone(&book);
            async move {
                if let Some(delay) = run.sink_delay {
                    tokio::time::sleep(delay).await; // a slow database write
                }
                book.orders[e.region].fetch_add(1, Ordering::Relaxed);
                book.cents.fetch_add(e.order.cents, Ordering::Relaxed);
                std::hint::black_box(e.order.id);
                Ok::<_, Infallible>(())
            }
        })?;
    let mut refused = 0;
    for line in input {
        if pipeline.send(line).await.is_err() {
            refused += 1;
        }
    }
    let queued_at_close = pipeline.queued();
    let closed_at = Instant::now();
    let result = pipeline.finish().await;
    Ok(OrdersOutcome {
        result,
        calls: service.calls.load(Ordering::Relaxed),
        queued_at_close,
        drain: closed_at.elapsed(),
        refused,
        ledger_orders: ledger.orders(),
    })
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let fast = runtime.block_on(three_stages(n))?;
    runtime.block_on(slowed_sink(n, &fast))?;
    runtime.block_on(failing_stage(n))?;
    runtime.block_on(batched_vs_per_item(n))
}

/// A run that must have succeeded and lost nothing.
fn clean(outcome: OrdersOutcome, what: &str) -> anyhow::Result<(Report, OrdersOutcome)> {
    let report = match outcome.result {
        Ok(ref report) => report.clone(),
        Err(ref e) => anyhow::bail!("{what}: {e}"),
    };
    anyhow::ensure!(report.lost_nothing(), "{what}: {}", report.balance());
    anyhow::ensure!(
        report.sunk() == outcome.ledger_orders,
        "{what}: the sink's books disagree with the report"
    );
    Ok((report, outcome))
}

/// Prints figures measured by the demo: `(label, value, unit)` rows.
fn record_all(n: &mut Narrator, rows: &[(&str, f64, Unit)]) {
    for &(label, value, unit) in rows {
        n.record(label, value, unit);
    }
}

/// Says which stage was busiest (the bottleneck) and how busy, and records
/// its busy share under `label`.
fn name_the_bottleneck(n: &mut Narrator, report: &Report, label: &str) {
    let Some((story, share)) = bottleneck_story(report) else {
        return;
    };
    n.say(&story);
    n.record(label, 100.0 * share, Unit::Percent);
}

/// The bottleneck in words, and its busy share (0–1). Every claim is read
/// off the report: whether the stages before the bottleneck waited in send
/// is what their measured blocked time says, not what theory expects.
fn bottleneck_story(report: &Report) -> Option<(String, f64)> {
    let stage = report.bottleneck()?;
    let share = report.utilization(stage).unwrap_or(0.0);
    let mut story = format!(
        "The busiest stage sets the pace of all of them: here `{}`, busy {:.0}% of the run.",
        stage.name,
        100.0 * share
    );
    let upstream = report.stages.iter().take_while(|s| s.name != stage.name);
    let (blocked, sends) = upstream.fold((Duration::ZERO, 0), |(time, sends), s| {
        (time + s.blocked, sends + s.blocked_sends)
    });
    if sends == 0 {
        story.push_str(
            " No stage before it ever found its output queue full: at this pace the queues \
             had room, so nothing upstream waited for it.",
        );
    } else {
        story.push_str(&format!(
            " The stages before it waited {:.1} ms in send, {sends} times finding a full queue \
             (the `blocked` column): the items wait in the queues in front of it (the `mean` \
             and `full` columns).",
            millis(blocked)
        ));
    }
    Some((story, share))
}

async fn three_stages(n: &mut Narrator) -> anyhow::Result<Report> {
    let lines = n.mode().pick(2_000, 40_000);
    let run = OrdersRun::new(lines, 64, BatchPolicy::new(64, Duration::from_millis(2)));
    n.section(&format!(
        "parse → enrich in batches → sink: {lines} order lines, 1 in {BAD_EVERY} malformed"
    ));
    n.say(&format!(
        "Queues of 64 between the stages. Enrich calls a customer service once per batch of up \
         to 64 orders (or what arrived within 2 ms); each call sleeps {} ms, the round trip. \
         The sink books each order at once.",
        ROUND_TRIP.as_millis()
    ));
    let (report, outcome) = clean(run_orders(run).await?, "fast run")?;
    n.show_block(&report);
    if let Some(first) = report.stage("parse").and_then(|s| s.rejections.first()) {
        n.show(format!("first rejection: {first}"));
    }
    for stage in &report.stages {
        if let Some(rate) = stage.throughput() {
            let label = format!("throughput, {} (items/s)", stage.name);
            n.record(&label, rate, Unit::OpsPerSec);
        }
    }
    record_all(
        n,
        &[
            (
                "lines rejected by parse (counted)",
                report.rejected() as f64,
                Unit::Count,
            ),
            ("enrich calls", outcome.calls as f64, Unit::Count),
        ],
    );
    name_the_bottleneck(n, &report, "busiest stage's busy share, fast sink");
    Ok(report)
}

/// The "full" share of the queue after `stage`, in percent.
fn full_percent(report: &Report, stage: &str) -> f64 {
    let queue = report.stage(stage).and_then(|s| s.outbox);
    queue.and_then(|q| q.full_share).map_or(0.0, |s| 100.0 * s)
}

async fn slowed_sink(n: &mut Narrator, fast: &Report) -> anyhow::Result<()> {
    let lines = n.mode().pick(150, 1_500);
    let mut run = OrdersRun::new(lines, 16, BatchPolicy::new(16, Duration::from_millis(2)));
    run.sink_delay = Some(Duration::from_millis(1));
    n.section(&format!(
        "Slow the sink (it sleeps 1 ms per order): {lines} lines, queues of 16"
    ));
    let (report, outcome) = clean(run_orders(run).await?, "slowed run")?;
    n.show_block(&report);
    let (Some(source), Some(sink)) = (report.stages.first(), report.stages.last()) else {
        anyhow::bail!("a report has a source and a sink");
    };
    let active = source.active.as_secs_f64().max(f64::MIN_POSITIVE);
    let per_order = millis(sink.busy) / sink.emitted.max(1) as f64;
    record_all(
        n,
        &[
            (
                "source blocked waiting for room (ms)",
                millis(source.blocked),
                Unit::Millis,
            ),
            (
                "source blocked, share of its active time",
                100.0 * source.blocked.as_secs_f64() / active,
                Unit::Percent,
            ),
            (
                "sink time per order, measured (ms)",
                per_order,
                Unit::Millis,
            ),
            (
                "queue after source found full, slowed sink",
                full_percent(&report, "source"),
                Unit::Percent,
            ),
            (
                "queue after parse found full, slowed sink",
                full_percent(&report, "parse"),
                Unit::Percent,
            ),
            (
                "queue after enrich found full, slowed sink",
                full_percent(&report, "enrich"),
                Unit::Percent,
            ),
            (
                "queue after enrich found full, fast sink",
                full_percent(fast, "enrich"),
                Unit::Percent,
            ),
        ],
    );
    name_the_bottleneck(n, &report, "busiest stage's busy share, slowed sink");
    n.say(&backpressure_story(source));
    let lost = report.produced() - report.sunk() - report.rejected();
    record_all(
        n,
        &[
            (
                "items in the queues when the source closed",
                outcome.queued_at_close as f64,
                Unit::Count,
            ),
            (
                "drain after closing the source (ms)",
                millis(outcome.drain),
                Unit::Millis,
            ),
            (LOST, lost as f64, Unit::Count),
        ],
    );
    n.say(
        "Closing the source is the whole shutdown: each stage drains its inbox, and when its \
         last worker returns its output closes and the next stage drains in turn. Nothing \
         was dropped: produced = sunk + rejected.",
    );
    Ok(())
}

/// What the source's measured blocked time says about backpressure.
fn backpressure_story(source: &StageReport) -> String {
    if source.blocked_sends == 0 {
        return "The source never found its queue full in this run: the backpressure did \
                not reach it, and the memory held stayed below the queues' capacity."
            .to_owned();
    }
    format!(
        "A full inbox makes the stage before it wait in send and stop taking from its own \
         inbox, which fills in turn: the backpressure reached the source, whose send waited \
         {} times ({:.1} ms in all), and the memory held stayed at the queues' capacity.",
        source.blocked_sends,
        millis(source.blocked)
    )
}

async fn failing_stage(n: &mut Narrator) -> anyhow::Result<()> {
    let mut run = OrdersRun::new(600, 16, BatchPolicy::new(32, Duration::from_millis(2)));
    run.fail_on_call = Some(3);
    n.section("A failing stage: the customer service resets its third call");
    let outcome = run_orders(run).await?;
    let error = match outcome.result {
        Ok(report) => anyhow::bail!("the failing run succeeded: {}", report.balance()),
        Err(e) => e,
    };
    anyhow::ensure!(error.stage() == "enrich", "the error names enrich: {error}");
    n.show(format!("finish() → Err: {error}"));
    let r = error.report();
    let counted = r.sunk() + r.rejected() + r.abandoned() + r.left_in_queues();
    record_all(
        n,
        &[
            (
                "lines the source refused after the failure",
                outcome.refused as f64,
                Unit::Count,
            ),
            (
                "items abandoned in stages (counted)",
                r.abandoned() as f64,
                Unit::Count,
            ),
            (
                "items left in queues (counted)",
                r.left_in_queues() as f64,
                Unit::Count,
            ),
            (
                UNACCOUNTED,
                r.produced().abs_diff(counted) as f64,
                Unit::Count,
            ),
        ],
    );
    n.say(
        "The failed stage dropped its inbox, so parse's next send failed and parse stopped, \
         and the source's send returned Closed with the line handed back. The sink drained \
         what enrich had already passed on. The error names the stage and its cause, and \
         every item is in one count.",
    );
    Ok(())
}

async fn batched_vs_per_item(n: &mut Narrator) -> anyhow::Result<()> {
    let lines = n.mode().pick(120, 1_000);
    let batched = BatchPolicy::new(64, Duration::from_millis(2));
    let per_item = BatchPolicy::new(1, Duration::ZERO);
    n.section(&format!(
        "Batched vs per-item enrich: {lines} lines, a {} ms sleep (the round trip) per call",
        ROUND_TRIP.as_millis()
    ));
    let (b, b_out) = clean(
        run_orders(OrdersRun::new(lines, 64, batched)).await?,
        "batched",
    )?;
    let (p, p_out) = clean(
        run_orders(OrdersRun::new(lines, 64, per_item)).await?,
        "per item",
    )?;
    let mut wide = OrdersRun::new(lines, 64, per_item);
    wide.enrich_workers = 8;
    let (w, w_out) = clean(run_orders(wide).await?, "per item, 8 workers")?;
    let rate = |r: &Report| r.sunk() as f64 / r.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    // The handler's own time per call: round trip plus per-item work.
    let per_call = |r: &Report| {
        r.stage("enrich")
            .and_then(|s| s.batches.map(|b| millis(s.busy) / b.batches.max(1) as f64))
            .unwrap_or(0.0)
    };
    for (name, r, out) in [
        ("batches of ≤64", &b, &b_out),
        ("per item", &p, &p_out),
        ("per item, 8 workers", &w, &w_out),
    ] {
        n.show(format!(
            "{name:<20} {:>4} calls of {:.2} ms each, all done in {:>6.1} ms: {:>7} orders/s",
            out.calls,
            per_call(r),
            millis(r.elapsed),
            format_value(rate(r))
        ));
    }
    n.compare(
        "orders/s end to end, enrich in batches of ≤64 (ours)",
        rate(&b),
        rate(&p),
        PER_ITEM_PEER,
        Unit::OpsPerSec,
    );
    n.record("enrich calls, batched", b_out.calls as f64, Unit::Count);
    n.record("enrich calls, per item", p_out.calls as f64, Unit::Count);
    n.record(
        "orders/s end to end, per item with 8 workers",
        rate(&w),
        Unit::OpsPerSec,
    );
    n.say(
        "Per item, every order pays the round trip (a 1 ms sleep lasts until the timer's next \
         millisecond tick, hence the measured cost per call). Batching shares one round trip \
         among up to 64 orders; eight concurrent per-item workers overlap eight round trips \
         but still make one call per order — and the callee pays for each.",
    );
    Ok(())
}

// ---- tests ------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;
    use std::future::{Ready, ready};
    use tokio::time::{sleep, timeout};

    type TestResult = Result<(), BoxError>;
    const MS: Duration = Duration::from_millis(1);

    fn policy(max_size: usize, max_wait_ms: u64) -> BatchPolicy {
        let max_wait = Duration::from_millis(max_wait_ms);
        BatchPolicy { max_size, max_wait }
    }

    fn identity(n: u64) -> Result<u64, Infallible> {
        Ok(n)
    }

    fn pass<T>(batch: Vec<T>) -> Ready<Result<Vec<T>, Infallible>> {
        ready(Ok(batch))
    }

    fn discard<T>(_: T) -> Ready<Result<(), Infallible>> {
        ready(Ok(()))
    }

    /// `finish` with a real-time guard: a hang fails the test (with a paused
    /// clock the guard's 10 s pass at once when every task is stuck).
    async fn finish<T>(pipeline: Pipeline<T>) -> Result<Report, PipelineError> {
        let guarded = timeout(Duration::from_secs(10), pipeline.finish()).await;
        guarded.expect("finish does not hang")
    }

    /// A producer task sending 0..items until a send is refused; it returns
    /// how many it could not send.
    fn produce(source: Source<u64>, items: u64) -> tokio::task::JoinHandle<u64> {
        tokio::spawn(async move {
            for i in 0..items {
                if source.send(i).await.is_err() {
                    return items - i;
                }
            }
            0
        })
    }

    type Sunk = Arc<StdMutex<Vec<u64>>>;

    /// u64 → parse (identity) → enrich (×10, in batches) → a sink that takes
    /// `sink_ms` per item and keeps what it got.
    fn numbers(
        queue: usize,
        batch: BatchPolicy,
        sink_ms: u64,
    ) -> Result<(Pipeline<u64>, Sunk), BoxError> {
        let sunk = Sunk::default();
        let into = Arc::clone(&sunk);
        let pipeline = PipelineBuilder::new(queue)?
            .map(Stage::new("parse", queue), identity)?
            .batch(Stage::new("enrich", queue), batch, |b: Vec<u64>| {
                ready(Ok::<_, Infallible>(b.into_iter().map(|n| n * 10).collect()))
            })?
            .sink("sink", move |n: u64| {
                let into = Arc::clone(&into);
                async move {
                    sleep(Duration::from_millis(sink_ms)).await;
                    into.lock().expect("sink lock").push(n);
                    Ok::<_, Infallible>(())
                }
            })?;
        Ok((pipeline, sunk))
    }

    // ---- next_batch and the metered channel ---------------------------------------

    #[tokio::test(start_paused = true)]
    async fn full_batches_go_at_once_and_a_partial_one_at_its_deadline() -> TestResult {
        let (tx, mut rx) = metered_channel(16)?;
        for i in 0..10 {
            tx.send(i).await?;
        }
        let start = Instant::now();
        let mut batches = Vec::new();
        for _ in 0..3 {
            let b = next_batch(&mut rx, policy(4, 5))
                .await
                .expect("items queued");
            batches.push((b.items, b.flush, start.elapsed()));
        }
        assert_eq!(
            batches,
            [
                (vec![0, 1, 2, 3], Flush::Size, Duration::ZERO),
                (vec![4, 5, 6, 7], Flush::Size, Duration::ZERO),
                (vec![8, 9], Flush::Deadline, 5 * MS),
            ]
        );
        drop(tx);
        assert_eq!(next_batch(&mut rx, policy(4, 5)).await, None);
        assert_eq!((rx.gauge().depth(), rx.gauge().peak()), (0, 10));
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_closing_queue_flushes_the_partial_batch_without_waiting() -> TestResult {
        let (tx, mut rx) = metered_channel(8)?;
        tx.send(1).await?;
        tx.send(2).await?;
        drop(tx);
        let start = Instant::now();
        let b = next_batch(&mut rx, policy(10, 1_000)).await.expect("items");
        assert_eq!((b.items, b.flush), (vec![1, 2], Flush::Closed));
        assert_eq!(start.elapsed(), Duration::ZERO);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_wait_takes_what_is_queued_and_a_late_item_joins_in_time() -> TestResult {
        let (tx, mut rx) = metered_channel(8)?;
        for i in 0..3 {
            tx.send(i).await?;
        }
        let b = next_batch(&mut rx, policy(10, 0)).await.expect("items");
        assert_eq!((b.items, b.flush), (vec![0, 1, 2], Flush::Deadline));
        // An item arriving 3 ms into a 5 ms wait joins the batch.
        tx.send(10).await?;
        let late = tx.clone();
        tokio::spawn(async move {
            sleep(3 * MS).await;
            late.send(11).await
        });
        let start = Instant::now();
        let b = next_batch(&mut rx, policy(10, 5)).await.expect("items");
        assert_eq!(
            (b.items, b.flush, start.elapsed()),
            (vec![10, 11], Flush::Deadline, 5 * MS)
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn an_unrepresentable_deadline_means_no_deadline() -> TestResult {
        // `Duration::MAX` after now is past what `Instant` can hold: the
        // batch waits for `max_size` items or the close, and never panics.
        let forever = BatchPolicy::new(3, Duration::MAX);
        let (tx, mut rx) = metered_channel(8)?;
        for i in 0..4 {
            tx.send(i).await?;
        }
        let full = next_batch(&mut rx, forever).await.expect("items queued");
        assert_eq!((full.items, full.flush), (vec![0, 1, 2], Flush::Size));
        let late = tx.clone();
        tokio::spawn(async move {
            sleep(Duration::from_secs(3_600)).await;
            drop(late);
        });
        drop(tx);
        let start = Instant::now();
        let rest = next_batch(&mut rx, forever).await.expect("one item left");
        assert_eq!((rest.items, rest.flush), (vec![3], Flush::Closed));
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3_600),
            "no deadline fired"
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_pipeline_batching_with_no_deadline_does_not_panic() -> TestResult {
        let pipeline = PipelineBuilder::new(8)?
            .batch(
                Stage::new("enrich", 8),
                BatchPolicy::new(4, Duration::MAX),
                pass::<u64>,
            )?
            .sink("sink", discard)?;
        for i in 0..10 {
            pipeline.send(i).await?;
        }
        let report = finish(pipeline).await?;
        let b = report
            .stage("enrich")
            .and_then(|s| s.batches)
            .expect("batch stats");
        assert_eq!((b.by_size, b.by_deadline, b.by_close), (2, 0, 1));
        assert!(report.lost_nothing(), "{}", report.balance());
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_metered_send_reports_how_long_it_waited() -> TestResult {
        let (tx, mut rx) = metered_channel(1)?;
        assert_eq!(tx.send(1).await?, None);
        let receiver = tokio::spawn(async move {
            sleep(7 * MS).await;
            let first = rx.recv().await;
            (first, rx) // keeps the queue open for the waiting send
        });
        assert_eq!(tx.send(2).await?, Some(7 * MS));
        let (first, _rx) = receiver.await?;
        assert_eq!(
            (first, tx.gauge().depth(), tx.gauge().peak()),
            (Some(1), 1, 1)
        );
        Ok(())
    }

    // ---- the pipeline -------------------------------------------------------------

    #[tokio::test(start_paused = true)]
    async fn a_partial_batch_is_flushed_at_its_deadline_in_the_pipeline() -> TestResult {
        let calls = Arc::new(StdMutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let start = Instant::now();
        let pipeline = PipelineBuilder::new(16)?
            .batch(
                Stage::new("enrich", 16),
                policy(10, 5),
                move |b: Vec<u64>| {
                    seen.lock().expect("lock").push((start.elapsed(), b.len()));
                    pass(b)
                },
            )?
            .sink("sink", discard)?;
        for i in 0..3 {
            pipeline.send(i).await?;
        }
        sleep(20 * MS).await;
        for i in 0..10 {
            pipeline.send(i).await?;
        }
        let report = finish(pipeline).await?;
        assert_eq!(*calls.lock().expect("lock"), [(5 * MS, 3), (20 * MS, 10)]);
        let b = report
            .stage("enrich")
            .and_then(|s| s.batches)
            .expect("batch stats");
        assert_eq!(
            (b.batches, b.by_deadline, b.by_size, b.by_close, b.largest),
            (2, 1, 1, 0, 10)
        );
        assert!(report.lost_nothing(), "{}", report.balance());
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_sink_backs_up_every_queue_to_the_source() -> TestResult {
        let (pipeline, sunk) = numbers(4, policy(4, 5), 10)?;
        let producer = produce(pipeline.source(), 40);
        sleep(35 * MS).await;
        // Mid-run: every queue is at its capacity of 4.
        let depths: Vec<usize> = pipeline.queue_depths().iter().map(|q| q.depth).collect();
        assert_eq!(depths, [4, 4, 4], "{:?}", pipeline.queue_depths());
        assert_eq!(producer.await?, 0);
        let report = finish(pipeline).await?;
        // The sink takes 10 ms per item and is never idle: 400 ms in all.
        assert_eq!(report.elapsed, 400 * MS);
        // At most 18 items fit in the pipeline (3 queues of 4, the sink's
        // item, enrich's batch of 4, parse's item), so the 40th send waits
        // until the sink has finished at least 22 items: 220 ms. The source
        // did nothing but wait, so its blocked time is its whole active time.
        let source = &report.stages[0];
        assert!(source.blocked >= 220 * MS, "{:?}", source.blocked);
        assert_eq!(source.blocked, source.active);
        assert!(source.blocked_sends > 0);
        for stage in &report.stages[..3] {
            let q = stage.outbox.expect("an output queue");
            assert_eq!(q.peak, q.capacity, "{}", stage.name);
            assert!(
                q.full_share.expect("sampled") > 0.5,
                "{}: {q:?}",
                stage.name
            );
        }
        assert_eq!(sunk.lock().expect("lock").len(), 40);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_sink_never_blocks_the_source() -> TestResult {
        let (pipeline, _) = numbers(64, policy(8, 1), 0)?;
        for i in 0..40 {
            pipeline.send(i).await?;
        }
        let report = finish(pipeline).await?;
        let source = &report.stages[0];
        assert_eq!((source.blocked, source.blocked_sends), (Duration::ZERO, 0));
        assert!(report.lost_nothing());
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn closing_the_source_drains_every_stage() -> TestResult {
        let (pipeline, sunk) = numbers(4, policy(4, 5), 10)?;
        for i in 0..20 {
            pipeline.send(i).await?;
        }
        // The last send just got in: the queues are (nearly) full at the close.
        let queued = pipeline.queued();
        assert!(queued >= 8, "{:?}", pipeline.queue_depths());
        let closed_at = Instant::now();
        let report = finish(pipeline).await?;
        assert!(report.lost_nothing(), "{}", report.balance());
        assert_eq!((report.produced(), report.sunk()), (20, 20));
        let want: Vec<u64> = (0..20).map(|n| n * 10).collect();
        assert_eq!(*sunk.lock().expect("lock"), want, "all of them, in order");
        // Each queued item still cost the sink its 10 ms: processed, not dropped.
        assert!(closed_at.elapsed() >= queued as u32 * 10 * MS);
        Ok(())
    }

    #[tokio::test]
    async fn bad_input_is_rejected_and_counted_never_fatal() -> TestResult {
        let pipeline = PipelineBuilder::<&'static str>::new(4)?
            .map(Stage::new("parse", 4), |s: &str| s.parse::<i32>())?
            .sink("sink", discard)?;
        for line in ["1", "x", "", "2", "3.5", "-4", "99999999999"] {
            pipeline.send(line).await?;
        }
        let report = finish(pipeline).await?;
        let counts = (report.produced(), report.sunk(), report.rejected());
        assert_eq!(counts, (7, 3, 4));
        assert!(report.lost_nothing());
        let parse = report.stage("parse").expect("parse");
        assert_eq!(parse.rejections.len(), KEPT_REJECTIONS);
        assert_eq!(parse.rejections[0], "invalid digit found in string");
        Ok(())
    }

    #[test]
    fn bad_order_lines_get_errors_that_say_what_and_where() {
        let order = Order {
            id: 7,
            customer: 42,
            cents: 1999,
        };
        assert_eq!(parse_order("7, 42 ,1999"), Ok(order));
        let cases = [
            ("7,42", "found 2"),
            (
                "7,c42,10",
                "field `customer` is not a whole number: \"c42\"",
            ),
            ("7,42,-5", "field `cents`"),
        ];
        for (line, want) in cases {
            let e = parse_order(line).expect_err(line).to_string();
            assert!(e.contains(want) && e.contains(line), "{e}");
        }
        let bad = order_lines(100)
            .iter()
            .filter(|l| parse_order(l).is_err())
            .count();
        assert_eq!(bad, 100 / BAD_EVERY);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_stage_surfaces_as_an_error_with_its_name() -> TestResult {
        let calls = AtomicU64::new(0);
        let pipeline = PipelineBuilder::new(8)?
            .map(Stage::new("parse", 8), identity)?
            .batch(Stage::new("enrich", 8), policy(4, 1), move |b: Vec<u64>| {
                let call = calls.fetch_add(1, Ordering::Relaxed) + 1;
                ready(if call == 3 {
                    Err("enrich service unavailable (HTTP 503)")
                } else {
                    Ok(b)
                })
            })?
            .sink("sink", discard)?;
        let refused = produce(pipeline.source(), 1_000);
        let error = finish(pipeline).await.expect_err("enrich fails");
        assert_eq!(error.stage(), "enrich");
        let message = error.to_string();
        assert!(
            message.starts_with("stage `enrich` failed: enrich service unavailable"),
            "{message}"
        );
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("enrich service unavailable (HTTP 503)")
        );
        let report = error.report();
        assert!(
            report.is_balanced() && !report.lost_nothing(),
            "{}",
            report.balance()
        );
        // Two good calls of 4 items reached the sink; the third batch and
        // what was queued are counted, not silently gone.
        assert_eq!(report.sunk(), 8);
        assert!(report.stage("enrich").expect("enrich").abandoned() >= 4);
        assert!(refused.await? > 0, "the source was closed");
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_number_of_outputs_is_a_typed_error() -> TestResult {
        let pipeline = PipelineBuilder::new(4)?
            .batch(Stage::new("enrich", 4), policy(4, 1), |_: Vec<u64>| {
                pass(Vec::<u64>::new())
            })?
            .sink("sink", discard)?;
        for i in 0..3 {
            pipeline.send(i).await?;
        }
        let error = finish(pipeline).await.expect_err("wrong output count");
        let PipelineError::StageFailed {
            stage,
            source,
            report,
        } = error
        else {
            panic!("expected StageFailed, got {error}");
        };
        assert_eq!(stage, "enrich");
        let wrong = WrongOutputCount {
            expected: 3,
            got: 0,
        };
        assert_eq!(source.downcast_ref::<WrongOutputCount>(), Some(&wrong));
        assert_eq!((report.abandoned(), report.sunk()), (3, 0));
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_stage_is_reported_with_its_name() -> TestResult {
        let pipeline = PipelineBuilder::new(4)?
            .map(Stage::new("parse", 4).workers(2), |n: u64| {
                assert!(n != 7, "parse cannot handle item 7 (deliberate)");
                Ok::<_, Infallible>(n)
            })?
            .sink("sink", discard)?;
        let producer = produce(pipeline.source(), 100);
        let error = finish(pipeline).await.expect_err("parse panics");
        assert!(
            matches!(error, PipelineError::StagePanicked { .. }),
            "{error}"
        );
        assert_eq!(error.stage(), "parse");
        assert!(
            error.to_string().contains("cannot handle item 7"),
            "{error}"
        );
        assert!(error.report().is_balanced(), "{}", error.report().balance());
        assert!(producer.await? > 0, "the source was closed");
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_sink_stops_the_pipeline_and_is_named() -> TestResult {
        let pipeline = PipelineBuilder::new(4)?
            .map(Stage::new("parse", 4), identity)?
            .sink("ledger", |n: u64| {
                ready(if n == 5 {
                    Err(format!("disk full at item {n}"))
                } else {
                    Ok(())
                })
            })?;
        let producer = produce(pipeline.source(), 100);
        let error = finish(pipeline).await.expect_err("the sink fails");
        assert_eq!(error.stage(), "ledger");
        assert!(error.to_string().contains("disk full at item 5"), "{error}");
        assert_eq!(error.report().sunk(), 5);
        assert!(error.report().is_balanced(), "{}", error.report().balance());
        assert!(producer.await? > 0);
        Ok(())
    }

    #[tokio::test]
    async fn bad_configs_are_refused_with_the_stage_named() -> TestResult {
        let named = |stage: &str| stage.to_owned();
        let zero_source = PipelineBuilder::<u64>::new(0).map(|_| ());
        let zero = CapacityError { requested: 0 };
        assert_eq!(
            zero_source,
            Err(BuildError::Capacity {
                stage: named("source"),
                source: zero
            })
        );
        let zero_queue = PipelineBuilder::new(4)?
            .map(Stage::new("parse", 0), identity)
            .map(|_| ());
        assert_eq!(
            zero_queue,
            Err(BuildError::Capacity {
                stage: named("parse"),
                source: zero
            })
        );
        let no_workers = PipelineBuilder::new(4)?.map(Stage::new("parse", 4).workers(0), identity);
        assert_eq!(
            no_workers.map(|_| ()),
            Err(BuildError::ZeroWorkers {
                stage: named("parse")
            })
        );
        let empty_batches =
            PipelineBuilder::new(4)?.batch(Stage::new("enrich", 4), policy(0, 1), pass::<u64>);
        assert_eq!(
            empty_batches.map(|_| ()),
            Err(BuildError::ZeroBatchSize {
                stage: named("enrich")
            })
        );
        let twice = PipelineBuilder::new(4)?
            .map(Stage::new("parse", 4), identity)?
            .sink("parse", discard);
        assert_eq!(
            twice.map(|_| ()),
            Err(BuildError::DuplicateStage {
                stage: named("parse")
            })
        );
        assert!(metered_channel::<u8>(MAX_CAPACITY + 1).is_err());
        Ok(())
    }

    #[test]
    fn building_outside_a_runtime_is_refused() {
        assert_eq!(
            PipelineBuilder::<u8>::new(4).map(|_| ()),
            Err(BuildError::NoRuntime)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn several_workers_per_stage_on_threads_lose_nothing() -> TestResult {
        let sunk = Sunk::default();
        let into = Arc::clone(&sunk);
        let pipeline = PipelineBuilder::new(16)?
            .map(Stage::new("parse", 16).workers(3), |n: u64| {
                if n % 10 == 9 { Err("ends in 9") } else { Ok(n) }
            })?
            .batch(
                Stage::new("enrich", 16).workers(2),
                policy(8, 1),
                |b: Vec<u64>| async move {
                    tokio::task::yield_now().await;
                    Ok::<_, Infallible>(b)
                },
            )?
            .sink("sink", move |n: u64| {
                into.lock().expect("lock").push(n);
                ready(Ok::<_, Infallible>(()))
            })?;
        assert_eq!(produce(pipeline.source(), 5_000).await?, 0);
        let report = finish(pipeline).await?;
        assert!(report.lost_nothing(), "{}", report.balance());
        assert_eq!(report.rejected(), 500);
        let mut got = sunk.lock().expect("lock").clone();
        got.sort_unstable();
        assert_eq!(
            got,
            (0..5_000).filter(|n| n % 10 != 9).collect::<Vec<u64>>()
        );
        Ok(())
    }

    /// A report of `source → parse → sink` in which parse was busy for the
    /// whole run and the source was blocked `source_blocked_sends` times.
    fn report_with(source_blocked_sends: u64) -> Report {
        let stage = |name: &str, kind, busy_ms| StageReport {
            name: name.to_owned(),
            kind,
            workers: 1,
            received: 10,
            emitted: 10,
            rejected: 0,
            busy: Duration::from_millis(busy_ms),
            blocked: Duration::ZERO,
            blocked_sends: 0,
            active: Duration::from_millis(100),
            batches: None,
            outbox: None,
            rejections: Vec::new(),
        };
        let mut source = stage("source", StageKind::Source, 0);
        source.blocked_sends = source_blocked_sends;
        source.blocked =
            Duration::from_millis(40) * u32::try_from(source_blocked_sends).unwrap_or(0);
        Report {
            stages: vec![
                source,
                stage("parse", StageKind::Map, 100),
                stage("sink", StageKind::Sink, 10),
            ],
            elapsed: Duration::from_millis(100),
        }
    }

    #[test]
    fn the_bottleneck_story_says_only_what_was_measured() {
        let (idle, share) = bottleneck_story(&report_with(0)).expect("a bottleneck");
        assert!(idle.contains("`parse`, busy 100%"), "{idle}");
        for claim in ["blocked in send", "ms in send"] {
            assert!(!idle.contains(claim), "no blocked time, no claim: {idle}");
        }
        assert!(idle.contains("nothing upstream waited"), "{idle}");
        assert!((share - 1.0).abs() < 1e-9);
        let (blocked, _) = bottleneck_story(&report_with(2)).expect("a bottleneck");
        assert!(
            blocked.contains("waited 80.0 ms in send, 2 times"),
            "{blocked}"
        );
        let calm = backpressure_story(&report_with(0).stages[0]);
        assert!(calm.contains("never found its queue full"), "{calm}");
        let pushed = backpressure_story(&report_with(3).stages[0]);
        assert!(
            pushed.contains("waited 3 times (120.0 ms in all)"),
            "{pushed}"
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("concurrency/batching-workers", Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "quick means quick"
        );
        let c = n
            .comparisons()
            .iter()
            .find(|c| c.peer_name == PER_ITEM_PEER);
        let c = c.expect("the batching comparison");
        assert!(c.speedup > 1.0, "batching beats per-item calls: {c:?}");
        for label in [LOST, UNACCOUNTED] {
            let zero = n
                .measurements()
                .iter()
                .any(|m| m.label == label && m.value == 0.0);
            assert!(zero, "{label} is 0");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Whatever the sizes, capacities, batch policy, workers and speeds,
        /// a clean run sinks every valid item exactly once, rejects every
        /// bad one, never exceeds the batch size or a queue's capacity, and
        /// keeps order with one worker per stage.
        #[test]
        fn counts_always_balance(
            items in 0u64..300,
            bad_every in 2u64..20,
            capacity in 1usize..8,
            max_size in 1usize..12,
            max_wait_ms in 0u64..4,
            parse_workers in 1usize..3,
            enrich_workers in 1usize..3,
            sink_ms in 0u64..2,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let largest_seen = Arc::new(AtomicUsize::new(0));
            let seen = Arc::clone(&largest_seen);
            let sunk = Sunk::default();
            let into = Arc::clone(&sunk);
            let report = rt.block_on(async move {
                let pipeline = PipelineBuilder::new(capacity)?
                    .map(Stage::new("parse", capacity).workers(parse_workers), move |n: u64| {
                        if n % bad_every == 0 { Err(format!("{n} is bad")) } else { Ok(n) }
                    })?
                    .batch(
                        Stage::new("enrich", capacity).workers(enrich_workers),
                        policy(max_size, max_wait_ms),
                        move |b: Vec<u64>| {
                            seen.fetch_max(b.len(), Ordering::Relaxed);
                            async move {
                                sleep(MS).await;
                                Ok::<_, Infallible>(b)
                            }
                        },
                    )?
                    .sink("sink", move |n: u64| {
                        let into = Arc::clone(&into);
                        async move {
                            sleep(Duration::from_millis(sink_ms)).await;
                            into.lock().expect("lock").push(n);
                            Ok::<_, Infallible>(())
                        }
                    })?;
                let refused = produce(pipeline.source(), items).await?;
                assert_eq!(refused, 0);
                Ok::<_, BoxError>(finish(pipeline).await?)
            });
            let report = report.expect("a clean run");
            let want: Vec<u64> = (0..items).filter(|n| n % bad_every != 0).collect();
            proptest::prop_assert!(report.lost_nothing(), "{}", report.balance());
            proptest::prop_assert_eq!(report.produced(), items);
            proptest::prop_assert_eq!(report.sunk(), want.len() as u64);
            proptest::prop_assert_eq!(report.rejected(), items - want.len() as u64);
            let largest = report.stage("enrich").and_then(|s| s.batches).map_or(0, |b| b.largest);
            proptest::prop_assert!(largest <= max_size);
            proptest::prop_assert!(largest_seen.load(Ordering::Relaxed) <= max_size);
            for q in report.stages.iter().filter_map(|s| s.outbox) {
                proptest::prop_assert!(q.peak <= q.capacity);
            }
            let mut got = sunk.lock().expect("lock").clone();
            if parse_workers == 1 && enrich_workers == 1 {
                proptest::prop_assert_eq!(&got, &want, "one worker per stage keeps order");
            }
            got.sort_unstable();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
