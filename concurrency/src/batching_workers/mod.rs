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
//! remaining)` until the batch is full or the deadline passes. Shutdown
//! is a sentinel passed down the line — forget it in one stage and
//! everything after it hangs; raise in one stage and the stages before it
//! block on a full queue forever. How full each queue was, and which stage
//! was the bottleneck, is guesswork from `qsize()`.
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
//!     // One call per batch of up to 4 items, or what came before max_wait.
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
//! - **Batching by size or deadline** is [`next_batch`], the core of this
//!   module (below): wait for one item, then race `recv()` against one
//!   pinned `sleep_until(deadline)` in a `biased` `select!` until the batch
//!   has `max_size` items or the deadline passes — or the inbox closes,
//!   which flushes the partial batch at once ([`Flush`]). `recv` is
//!   cancellation-safe, so a deadline that wins the race loses no item. A
//!   `max_wait` too long to be a deadline (`Duration::MAX`) means none.
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
//! Where each piece lives: [`next_batch`], batching by size or deadline,
//! is the core, at the end of this file; `channel.rs` holds the
//! [`metered_channel`]; `stage.rs` the [`Stage`]; `builder.rs` the
//! [`PipelineBuilder`] that spawns each stage's workers and wires the
//! queues; `workers.rs` what a map, batch or sink worker does with its
//! inbox; `pipeline.rs` the [`Source`] and [`Pipeline::finish`], the
//! drain; `metrics.rs` and `report.rs` the live counters and the
//! [`Report`]; `error.rs` the errors; `demo.rs` (with `demo/orders.rs`) the
//! demo; `tests/` the tests.
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
//!
//! ## What it costs
//! The demo measures, on an order pipeline (parse → enrich → sink) whose
//! enrich step calls a customer service with a fixed round trip per call:
//! - **batched vs per-item enrich** — orders per second end to end with
//!   enrich in batches of up to 64 (ours) against one call per order (the
//!   peer), and against eight per-item workers: what sharing a fixed cost
//!   buys, and that concurrency alone still pays it once per order;
//! - **per stage** — throughput, busy share, time blocked in `send` and how
//!   full each queue was, with a fast sink and with a slowed one: where the
//!   items wait, which stage is the bottleneck, and that backpressure holds
//!   memory at the queues' capacity;
//! - **shutdown and failure** — the drain after closing the source, and
//!   the counts after a stage fails: nothing lost, every item counted.
//!
//! The fast run is timed in real time: its per-stage throughput is the
//! point. The slowed sink, the failure and batched against per-item run on
//! tokio's paused clock (`start_paused`): their sleeps stand for a slow
//! write and a round trip, cost no wall time and last exactly as asked, so
//! the counts, queue shares and rates they print are the same on every
//! machine.
//!
//! What you give up:
//! - **Latency**: an item can wait up to `max_wait` in the batcher, on top
//!   of its time in the queues.
//! - **Memory** is bounded, not zero: the queues' capacities plus what the
//!   workers hold (an item each, or a batch).
//! - **Order**, once a stage has more than one worker.
//! - **Per item and stage**, a lock of the stage's shared inbox (a Tokio
//!   `Mutex`) and a handful of relaxed atomics; one timer per batch that is
//!   not filled at once; one sampler task for the queue depths. The inbox
//!   lock is held by the worker that is taking items — while it waits for
//!   the next one and, in a batching stage, while its batch fills (up to
//!   `max_wait`) — so with one worker it is uncontended, and with several
//!   they take turns collecting while their handlers run side by side.
//! - **Lifetimes to respect**: a `Source` clone kept alive keeps
//!   [`Pipeline::finish`] waiting (it is still a source); dropping a
//!   `Pipeline` without `finish` aborts its tasks uncounted.
//!
//! Measure it with `mastery run concurrency/batching-workers`.
//!
//! ## Run it
//! `mastery run concurrency/batching-workers` (the three-stage pipeline's
//! per-stage throughput and queue table; the same pipeline with a slowed
//! sink, showing full queues and the source's blocked time; a failing
//! enrich stage named in the error with every item counted; batched vs
//! per-item enrich with a fixed round trip per call), and
//! `cargo test -p mastery-concurrency batching_workers` (paused-clock
//! tests of deadlines, backpressure and drains, failure tests, a property
//! test that the counts always balance).

use std::time::Duration;

use tokio::time::Instant;

mod builder;
mod channel;
mod demo;
mod error;
mod metrics;
mod pipeline;
mod report;
mod stage;
mod workers;

#[cfg(test)]
mod tests;

pub use builder::PipelineBuilder;
pub use channel::{
    CapacityError, MAX_CAPACITY, MeteredReceiver, MeteredSender, QueueGauge, metered_channel,
};
pub use error::{BoxError, BuildError, Closed, PipelineError, WrongOutputCount};
pub use pipeline::{Pipeline, QueueDepth, Source};
pub use report::{BatchStats, QueueStats, Report, StageKind, StageReport};
pub use stage::Stage;

// ANCHOR: core
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

/// [`next_batch`] once its first item is taken (a pipeline worker takes
/// that item itself, under its inbox lock).
async fn fill_batch<T>(inbox: &mut MeteredReceiver<T>, first: T, policy: BatchPolicy) -> Batch<T> {
    let max_size = policy.max_size.max(1);
    // A huge `max_size` must not reserve a huge vector before any item
    // arrived: the capacity grows with the batch past this.
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
// ANCHOR_END: core
