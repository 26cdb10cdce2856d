//! # AsyncIO producer/consumer and cancellation
//!
//! ## Python idiom
//! `queue = asyncio.Queue(maxsize=N)`; producers `await queue.put(item)`
//! (which waits while the queue is full: backpressure), consumers loop on
//! `item = await queue.get()`. Work is bounded with
//! `await asyncio.wait_for(handle(item), timeout)`, and shutdown is
//! `task.cancel()` on every task — which raises `CancelledError` at whatever
//! `await` the task was parked on. Draining politely means stopping the
//! producers first, `await queue.join()`, and only then cancelling the
//! consumers; what was still in the queue when a hurried shutdown cancelled
//! everything is usually just gone, and nobody can say how many items.
//!
//! ## Rust answer
//! [`Pipeline<T>`](Pipeline) is that shape with every item accounted for.
//! Items travel over a **bounded** `tokio::sync::mpsc` channel: a
//! [`Producer::send`] first *reserves* a slot and waits while the queue is
//! full, and the time it waited is measured ([`Report::producer_blocked`]).
//! Consumers share the receiver and run each item through the handler under
//! an optional per-item `tokio::time::timeout` (the `wait_for` analogue);
//! an item that runs out of time is counted as [`Report::timed_out`].
//!
//! Cancellation is two [`CancellationToken`]s that tasks watch with
//! `tokio::select!` — cooperative, unlike `task.cancel()`: a task stops at
//! the points where it looks at the token, never in the middle of its own
//! bookkeeping. [`Pipeline::shutdown`] takes a [`Shutdown`] mode:
//!
//! - [`Shutdown::Graceful`] cancels the *stop* token: producers' `send`
//!   fails (the item is handed back in [`Stopping`]), the first consumer to
//!   notice closes the receiver, and consumers drain everything queued and
//!   finish what they hold. Nothing is dropped.
//! - [`Shutdown::Hard`] cancels the *hard* token too: consumers abandon the
//!   item they hold (its handler future is dropped; counted as
//!   [`Report::cancelled`]) and take no more. Then the shutdown path itself
//!   closes the queue and drains it: those items are counted as
//!   [`Report::dropped`] **and returned** in [`Outcome::unprocessed`], so a
//!   caller can persist or re-queue them.
//! - [`Shutdown::DrainFor`] is graceful with a deadline, then hard: the
//!   usual "drain for 30 s, then force" of a service being redeployed.
//!
//! Whatever the mode, the books balance:
//! `produced = consumed + timed_out + cancelled + dropped + failed`
//! ([`Report::is_balanced`]); `failed` counts items whose handler panicked.
//!
//! ```
//! use std::time::Duration;
//! use mastery_concurrency::asyncio_patterns::{Pipeline, PipelineConfig, Shutdown};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = PipelineConfig { capacity: 4, item_timeout: Some(Duration::from_secs(1)) };
//! let mut pipeline = Pipeline::new(config)?;
//! pipeline.spawn_consumers(2, |n: u64| async move {
//!     tokio::task::yield_now().await; // the work
//!     let _ = n * n;
//! });
//! pipeline.spawn_producer(|queue| async move {
//!     for n in 0..100 {
//!         if queue.send(n).await.is_err() {
//!             return; // shutting down: stop producing
//!         }
//!     }
//! });
//! pipeline.join_producers().await; // like `await asyncio.gather(*producers)`
//! let outcome = pipeline.shutdown(Shutdown::Graceful).await; // `await queue.join()`
//! assert_eq!((outcome.report.produced, outcome.report.consumed), (100, 100));
//! assert!(outcome.report.is_balanced() && outcome.unprocessed.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! ### Bug story: a `select!` that eats items
//! `select!` polls several futures and **drops the losers**. That is
//! harmless for a *cancellation-safe* future — `mpsc::Receiver::recv`,
//! `Interval::tick`, `CancellationToken::cancelled` — which holds no data
//! while it waits. It loses data for a future that has already *taken*
//! something and is waiting for more: an `async fn` that receives two
//! items to make a pair, or `AsyncReadExt::read_exact`, which has consumed
//! part of a frame. [`collect_pairs_broken`] races such a "receive a
//! pair" future against a heartbeat tick; each time the tick wins between
//! the two halves, the first half is dropped with the future — silently,
//! no error, no count. The test `the_broken_pair_loop_is_caught_losing_items`
//! catches it by checking that every sent item comes back; the fix,
//! [`collect_pairs`], puts only `recv()` in the `select!` and keeps the
//! half-built pair in a local variable of the loop, which survives a lost
//! race. The rule: **state that must survive a `select!` lives outside the
//! futures it races.**
//!
//! ## When to use which
//! - A bounded queue is the default: the capacity is how much work may pile
//!   up in memory when consumers fall behind; past it, producers wait
//!   (`send`) or are told (`try_send`/`try_reserve`) — that signal is
//!   backpressure. An unbounded queue (or `asyncio.Queue()` without
//!   `maxsize`) only moves the problem into the allocator; the demo
//!   measures its peak depth next to a small queue's, with the same total
//!   time when the consumer is the bottleneck.
//! - Reserve first, build later: `Sender::reserve` waits for a slot
//!   *before* the item is handed over, so a producer cancelled while
//!   waiting still owns its item ([`Stopping`] gives it back). `send(item)`
//!   inside a `select!` drops the item if another branch wins.
//! - Graceful for deploys and `Ctrl-C`; hard when the work is worthless
//!   after a deadline or the process must go now; `DrainFor` when both are
//!   true in that order. Hard stop is only safe if abandoning a handler
//!   mid-`await` is safe: dropping its future runs no more of its code
//!   (use `Drop` guards, or transactions, for cleanup).
//! - A per-item timeout bounds the latency one poisoned item can add; the
//!   item is counted, not retried — retrying belongs to the handler or a
//!   dead-letter queue fed from the counts.
//! - Tokio tasks vs threads with `std::sync::mpsc::sync_channel`: the same
//!   bounded hand-off; threads are fine for a few CPU-bound workers, tasks
//!   when there are thousands of waiting producers, timeouts and
//!   cancellation (a blocked thread cannot be cancelled at all). The demo
//!   measures the per-item hand-off cost of both.
//! - Costs: one `Mutex` acquisition per item (consumers share one
//!   receiver), a few atomic counters per item, two token checks per item.
//!   A consumer that never returns from its handler, or a producer that
//!   ignores [`Stopping`], delays a graceful shutdown — use `DrainFor`.
//!   Dropping a `Pipeline` without `shutdown` aborts its tasks uncounted.
//!
//! ## Run it
//! `mastery run concurrency/asyncio-patterns` (producer blocked time with a
//! small vs a large queue, graceful vs hard vs deadline shutdown with
//! exact counts, per-item timeouts, the broken vs fixed `select!` loop,
//! hand-off cost against `std::sync::mpsc` with threads), and
//! `cargo test -p mastery-concurrency asyncio_patterns` (paused-clock
//! tests that pin the exact counts, a property test that the books always
//! balance).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use mastery_kit::narrator::millis;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, mpsc};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/asyncio-patterns",
        area: Area::Concurrency,
        rank: 1,
        title: "AsyncIO producer/consumer and cancellation",
        python: "asyncio.Queue(maxsize=N) producers/consumers; task.cancel(); asyncio.wait_for; draining on shutdown",
        rust: "bounded tokio mpsc (backpressure), CancellationToken + select!, tokio::time::timeout, graceful drain vs hard stop with exact counts",
        path: "concurrency/src/asyncio_patterns.rs",
        source: include_str!("asyncio_patterns.rs"),
        run: demo,
    }
}

// ---- errors and configuration ----------------------------------------------

/// Why a [`PipelineConfig`] (or the place it was used) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `capacity` is 0.
    #[error("capacity must be at least 1 (a queue of 0 slots could never accept an item)")]
    ZeroCapacity,
    /// `capacity` exceeds what a Tokio channel supports.
    #[error("capacity {requested} exceeds the maximum of {max} a Tokio channel supports")]
    CapacityTooLarge {
        /// What was asked for.
        requested: usize,
        /// The largest capacity supported.
        max: usize,
    },
    /// `Pipeline::new` was called outside a Tokio runtime.
    #[error(
        "a Pipeline must be created inside a Tokio runtime (its producers and consumers are Tokio tasks); call Pipeline::new from async code or within Runtime::enter"
    )]
    NoRuntime,
}

/// The largest queue capacity (the limit of Tokio's bounded channel).
pub const MAX_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// How a [`Pipeline`] queues and bounds its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Items that may wait in the queue; producers wait for room beyond it
    /// (at least 1).
    pub capacity: usize,
    /// The longest one item's handler may run; `None` for no limit.
    pub item_timeout: Option<Duration>,
}

impl Default for PipelineConfig {
    /// Room for 1024 queued items, no per-item timeout.
    fn default() -> Self {
        PipelineConfig {
            capacity: 1024,
            item_timeout: None,
        }
    }
}

impl PipelineConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`ConfigError::ZeroCapacity`] and [`ConfigError::CapacityTooLarge`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if self.capacity > MAX_CAPACITY {
            return Err(ConfigError::CapacityTooLarge {
                requested: self.capacity,
                max: MAX_CAPACITY,
            });
        }
        Ok(())
    }
}

/// A [`Producer::send`] refused because the pipeline is shutting down. The
/// item was not queued and is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopping<T>(pub T);

impl<T> fmt::Display for Stopping<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the pipeline is shutting down and accepts no more items; the item was not queued and is handed back",
        )
    }
}

impl<T: fmt::Debug> std::error::Error for Stopping<T> {}

// ---- shutdown modes and the report ------------------------------------------

/// How [`Pipeline::shutdown`] stops the work. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Stop the producers, then let the consumers drain the queue and finish
    /// what they hold. Nothing is dropped.
    Graceful,
    /// Stop producers and consumers at once: items being handled are
    /// abandoned ([`Report::cancelled`]), items still queued are drained by
    /// the shutdown itself ([`Report::dropped`], [`Outcome::unprocessed`]).
    Hard,
    /// Graceful for at most this long, then hard.
    DrainFor(Duration),
}

/// What a pipeline did, counted item by item.
///
/// Every item a producer queued ends in exactly one of `consumed`,
/// `timed_out`, `cancelled`, `dropped` or `failed`:
/// [`Report::is_balanced`] checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// Items producers queued (sends that succeeded).
    pub produced: u64,
    /// Items whose handler finished (within the timeout, if any).
    pub consumed: u64,
    /// Items whose handler ran out of time; its future was dropped.
    pub timed_out: u64,
    /// Items a consumer held when a hard stop abandoned them.
    pub cancelled: u64,
    /// Items still queued at a hard stop, drained by the shutdown and
    /// returned in [`Outcome::unprocessed`].
    pub dropped: u64,
    /// Items whose handler panicked (the consumer running it ended).
    pub failed: u64,
    /// Producer and consumer tasks that ended in a panic.
    pub tasks_panicked: u64,
    /// Time producers spent waiting for room in a full queue, summed over
    /// producers.
    pub producer_blocked: Duration,
    /// Sends that found the queue full and had to wait.
    pub blocked_sends: u64,
    /// The most items seen in the queue at once.
    pub peak_depth: usize,
    /// Whether the hard stop was used (`Hard`, or `DrainFor` ran out).
    pub forced: bool,
    /// From `Pipeline::new` to the end of `shutdown`.
    pub elapsed: Duration,
}

impl Report {
    /// Items that reached an end of any kind.
    pub fn accounted(&self) -> u64 {
        self.consumed + self.timed_out + self.cancelled + self.dropped + self.failed
    }

    /// `produced == consumed + timed_out + cancelled + dropped + failed`:
    /// no item was lost without being counted.
    pub fn is_balanced(&self) -> bool {
        self.accounted() == self.produced
    }

    /// Items queued but never processed to the end by the handler because of
    /// the shutdown (`cancelled + dropped`).
    pub fn unfinished(&self) -> u64 {
        self.cancelled + self.dropped
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "produced {} = consumed {} + timed out {} + cancelled {} + dropped {} + failed {}",
            self.produced, self.consumed, self.timed_out, self.cancelled, self.dropped, self.failed
        )
    }
}

/// The result of [`Pipeline::shutdown`]: the counts, and the items a hard
/// stop took out of the queue unprocessed (empty after a graceful one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// The counts.
    pub report: Report,
    /// The items counted in [`Report::dropped`], in queue order.
    pub unprocessed: Vec<T>,
}

// ---- the pipeline -----------------------------------------------------------

/// Counters shared by producers, consumers and the shutdown. Relaxed
/// atomics: each is a tally, read only after the tasks that write it were
/// joined (a join is a synchronization point).
#[derive(Debug, Default)]
struct Counters {
    produced: AtomicU64,
    /// Items consumers took off the queue; the ones that reached no other
    /// end were in a handler that panicked.
    taken: AtomicU64,
    consumed: AtomicU64,
    timed_out: AtomicU64,
    cancelled: AtomicU64,
    blocked_sends: AtomicU64,
    blocked_nanos: AtomicU64,
    peak_depth: AtomicUsize,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn add_blocked(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        Self::add(&self.blocked_sends, 1);
        Self::add(&self.blocked_nanos, nanos);
    }

    fn count(&self, finished: Finished) {
        let counter = match finished {
            Finished::Consumed => &self.consumed,
            Finished::TimedOut => &self.timed_out,
            Finished::Cancelled => &self.cancelled,
        };
        Self::add(counter, 1);
    }
}

/// How one taken item ended (a panic ends it too, but is counted by what is
/// missing: `taken` minus the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finished {
    Consumed,
    TimedOut,
    Cancelled,
}

/// What producers, consumers and the pipeline share.
struct Shared<T> {
    /// Consumers take turns on the one receiver of the channel.
    queue: Mutex<mpsc::Receiver<T>>,
    /// Cancelled by every shutdown: producers stop, consumers drain.
    stop: CancellationToken,
    /// Cancelled by a hard stop: consumers abandon their item and leave.
    /// Its child `stop` is cancelled with it.
    hard: CancellationToken,
    counters: Counters,
    item_timeout: Option<Duration>,
}

impl<T> Shared<T> {
    /// The next queued item, or `None` once the queue is closed and empty.
    ///
    /// Cancellation-safe: the lock and `recv` hold no item while they wait,
    /// so a consumer that gives up here (hard stop) loses nothing.
    async fn next_item(&self) -> Option<T> {
        let mut queue = self.queue.lock().await;
        tokio::select! {
            biased;
            () = self.stop.cancelled() => {
                // Graceful: no more sends can succeed, but everything
                // already queued is still handed out, then `None`.
                queue.close();
                queue.recv().await
            }
            item = queue.recv() => item,
        }
    }
}

/// A bounded producer/consumer pipeline with backpressure, per-item
/// timeouts, and a shutdown that counts every item. See the
/// [module docs](self).
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
        let hard = CancellationToken::new();
        let shared = Arc::new(Shared {
            queue: Mutex::new(receiver),
            stop: hard.child_token(),
            hard,
            counters: Counters::default(),
            item_timeout: config.item_timeout,
        });
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
        Producer {
            sender: self.sender.clone(),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Runs `produce` as a task with its own [`Producer`]. It should return
    /// once a `send` fails with [`Stopping`] (or [`Producer::stopped`]
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
        // Every task has ended, so nobody else holds the queue: what is
        // still in it was never taken. Count it and hand it back.
        let unprocessed = {
            let mut queue = self.shared.queue.lock().await;
            queue.close();
            let mut left = Vec::new();
            while let Ok(item) = queue.try_recv() {
                left.push(item);
            }
            left
        };
        let report = self.report(unprocessed.len() as u64, forced);
        Outcome {
            report,
            unprocessed,
        }
    }

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

    fn report(&self, dropped: u64, forced: bool) -> Report {
        let c = &self.shared.counters;
        let consumed = Counters::get(&c.consumed);
        let timed_out = Counters::get(&c.timed_out);
        let cancelled = Counters::get(&c.cancelled);
        let taken = Counters::get(&c.taken);
        Report {
            produced: Counters::get(&c.produced),
            consumed,
            timed_out,
            cancelled,
            dropped,
            failed: taken.saturating_sub(consumed + timed_out + cancelled),
            tasks_panicked: self.tasks_panicked,
            producer_blocked: Duration::from_nanos(Counters::get(&c.blocked_nanos)),
            blocked_sends: Counters::get(&c.blocked_sends),
            peak_depth: c.peak_depth.load(Ordering::Relaxed),
            forced,
            elapsed: self.started.elapsed(),
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

/// Queues items into a [`Pipeline`]; cheap to clone.
pub struct Producer<T> {
    sender: mpsc::Sender<T>,
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        Producer {
            sender: self.sender.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("stopped", &self.is_stopped())
            .finish_non_exhaustive()
    }
}

impl<T> Producer<T> {
    /// Queues `item`, waiting while the queue is full (backpressure; the
    /// wait is measured).
    ///
    /// Cancellation-safe: the item is handed over only once a slot is
    /// reserved, so dropping this future (in a `select!`, say) never loses
    /// a counted item — the item is simply not queued.
    ///
    /// # Errors
    /// [`Stopping`] with the item, once the pipeline is shutting down.
    pub async fn send(&self, item: T) -> Result<(), Stopping<T>> {
        if self.is_stopped() {
            return Err(Stopping(item));
        }
        let permit = match self.sender.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Closed(())) => return Err(Stopping(item)),
            Err(mpsc::error::TrySendError::Full(())) => {
                let waiting = Instant::now();
                let reserved = tokio::select! {
                    biased;
                    () = self.shared.stop.cancelled() => None,
                    permit = self.sender.reserve() => permit.ok(),
                };
                self.shared.counters.add_blocked(waiting.elapsed());
                match reserved {
                    Some(permit) => permit,
                    None => return Err(Stopping(item)),
                }
            }
        };
        // No `.await` from here on: the item is queued and counted in one
        // step, so no cancellation can fall between the two.
        permit.send(item);
        let counters = &self.shared.counters;
        Counters::add(&counters.produced, 1);
        let depth = self.sender.max_capacity() - self.sender.capacity();
        counters.peak_depth.fetch_max(depth, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the pipeline is shutting down (sends will fail).
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Completes when the pipeline starts shutting down: `select!` on it
    /// while waiting for anything other than [`Producer::send`].
    pub async fn stopped(&self) {
        self.shared.stop.cancelled().await;
    }
}

// ---- bug story: a select! that loses items ----------------------------------

/// What a pairing loop collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing<T> {
    /// Pairs made, in order.
    pub pairs: Vec<(T, T)>,
    /// Heartbeats handled while waiting.
    pub heartbeats: u64,
    /// A first half still waiting for its partner when the channel closed.
    pub leftover: Option<T>,
}

impl<T> Pairing<T> {
    /// Items that came out of the loop (in pairs or left over).
    pub fn items(&self) -> u64 {
        2 * self.pairs.len() as u64 + u64::from(self.leftover.is_some())
    }
}

impl<T: PartialEq + fmt::Debug> Pairing<T> {
    /// Checks that `sent` came out whole and in order; the error names the
    /// first item that went missing.
    pub fn check_all_returned(&self, sent: &[T]) -> Result<(), String> {
        let got: Vec<&T> = self
            .pairs
            .iter()
            .flat_map(|(a, b)| [a, b])
            .chain(self.leftover.as_ref())
            .collect();
        if let Some(i) = (0..sent.len()).find(|&i| got.get(i) != Some(&&sent[i])) {
            return Err(format!(
                "{} of {} items came back; the first missing is {:?} (position {i})",
                got.len(),
                sent.len(),
                sent[i]
            ));
        }
        Ok(())
    }
}

/// Receives two items as one pair. **Not cancellation-safe**: once the first
/// item is taken it lives only inside this future, and dropping the future
/// drops it.
async fn recv_pair<T>(queue: &mut mpsc::Receiver<T>) -> Option<(T, T)> {
    let first = queue.recv().await?;
    let second = queue.recv().await?;
    Some((first, second))
}

/// A heartbeat that first fires one period from now.
fn heartbeat_ticks(period: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}

/// **Broken on purpose** (the bug story in the module docs): pairs up items
/// from `queue` while answering a heartbeat every `heartbeat`, by racing a
/// non-cancellation-safe `recv_pair` future against the tick in
/// `select!`. Whenever the tick wins after the first half was received,
/// that half is lost — no error, no count. See [`collect_pairs`].
pub async fn collect_pairs_broken<T>(
    queue: &mut mpsc::Receiver<T>,
    heartbeat: Duration,
) -> Pairing<T> {
    let mut ticks = heartbeat_ticks(heartbeat);
    let mut pairs = Vec::new();
    let mut heartbeats = 0;
    loop {
        tokio::select! {
            biased;
            pair = recv_pair(queue) => match pair {
                Some(pair) => pairs.push(pair),
                None => break,
            },
            _ = ticks.tick() => heartbeats += 1,
        }
    }
    Pairing {
        pairs,
        heartbeats,
        leftover: None,
    }
}

/// The fix of [`collect_pairs_broken`]: only the cancellation-safe `recv()`
/// races the tick, and the half-built pair lives in the loop, not in a
/// future, so a heartbeat between the halves costs nothing.
pub async fn collect_pairs<T>(queue: &mut mpsc::Receiver<T>, heartbeat: Duration) -> Pairing<T> {
    let mut ticks = heartbeat_ticks(heartbeat);
    let mut pairs = Vec::new();
    let mut heartbeats = 0;
    let mut first = None;
    loop {
        tokio::select! {
            biased;
            item = queue.recv() => {
                let Some(item) = item else { break };
                match first.take() {
                    None => first = Some(item),
                    Some(a) => pairs.push((a, item)),
                }
            }
            _ = ticks.tick() => heartbeats += 1,
        }
    }
    Pairing {
        pairs,
        heartbeats,
        leftover: first,
    }
}

// ---- demo -------------------------------------------------------------------

/// The peer of the hand-off measurement.
const STD_PEER: &str = "std sync_channel + 2 threads";
/// Label of the figure that must be zero in every shutdown.
const UNACCOUNTED: &str = "items lost without a count (all shutdowns)";
/// Label of the fixed pair loop's losses.
const FIXED_LOST: &str = "items lost by collect_pairs (fixed)";

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    runtime.block_on(backpressure(n))?;
    runtime.block_on(shutdown_modes(n))?;
    runtime.block_on(item_timeouts(n))?;
    runtime.block_on(select_bug_story(n))?;
    hand_off_cost(n, &runtime)
}

/// Runs `producers` producers of `per_producer` items each into one consumer
/// that takes `work` per item; drains gracefully once the producers are done.
async fn slow_consumer_run(
    capacity: usize,
    producers: u64,
    per_producer: u64,
    work: Duration,
) -> anyhow::Result<Report> {
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity,
        item_timeout: None,
    })?;
    pipeline.spawn_consumers(1, move |_: u64| tokio::time::sleep(work));
    for p in 0..producers {
        pipeline.spawn_producer(move |queue| async move {
            for i in 0..per_producer {
                if queue.send(p * per_producer + i).await.is_err() {
                    return;
                }
            }
        });
    }
    pipeline.join_producers().await;
    let report = pipeline.shutdown(Shutdown::Graceful).await.report;
    anyhow::ensure!(
        report.is_balanced() && report.consumed == producers * per_producer,
        "every item consumed: {report}"
    );
    Ok(report)
}

async fn backpressure(n: &mut Narrator) -> anyhow::Result<()> {
    let per_producer = n.mode().pick(12, 200);
    let total = 2 * per_producer;
    let work = Duration::from_millis(1);
    n.section(&format!(
        "Backpressure: 2 fast producers, 1 consumer at {} ms per item, {total} items",
        work.as_millis()
    ));
    let small = slow_consumer_run(4, 2, per_producer, work).await?;
    let large = slow_consumer_run(total as usize, 2, per_producer, work).await?;
    for (capacity, r) in [(4, &small), (total, &large)] {
        n.show(format!(
            "capacity {capacity:>4}: producers blocked {:>7.1} ms (summed over both) in {:>4} sends, peak depth {:>4}, done in {:.1} ms",
            millis(r.producer_blocked),
            r.blocked_sends,
            r.peak_depth,
            millis(r.elapsed),
        ));
    }
    n.record(
        "producer blocked time (sum of 2), capacity 4",
        millis(small.producer_blocked),
        Unit::Millis,
    );
    n.record(
        &format!("producer blocked time (sum of 2), capacity {total} (never full)"),
        millis(large.producer_blocked),
        Unit::Millis,
    );
    n.compare(
        "peak queue depth (items held in memory)",
        small.peak_depth as f64,
        large.peak_depth as f64,
        &format!("capacity {total}, like asyncio.Queue()"),
        Unit::Count,
    );
    n.compare(
        "time to process everything",
        millis(small.elapsed),
        millis(large.elapsed),
        &format!("capacity {total}"),
        Unit::Millis,
    );
    n.say(
        "The consumer sets the pace either way. With a small queue the producers wait \
         (that wait is the backpressure signal, and what they would otherwise have piled \
         up in memory); with a queue that never fills they finish at once and the items \
         wait in the queue instead — same total time, far more memory held.",
    );
    Ok(())
}

async fn shutdown_modes(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Shutdown with 16 slots, 2 consumers at 1 ms per item, an endless producer");
    let mut unaccounted = 0;
    for mode in [
        Shutdown::Graceful,
        Shutdown::Hard,
        Shutdown::DrainFor(Duration::from_millis(3)),
    ] {
        let mut pipeline = Pipeline::new(PipelineConfig {
            capacity: 16,
            item_timeout: None,
        })?;
        pipeline.spawn_consumers(2, |_: u64| tokio::time::sleep(Duration::from_millis(1)));
        pipeline.spawn_producer(|queue| async move {
            let mut i = 0;
            while queue.send(i).await.is_ok() {
                i += 1;
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let queued = pipeline.queued();
        let outcome = pipeline.shutdown(mode).await;
        let r = outcome.report;
        anyhow::ensure!(r.is_balanced(), "{mode:?}: {r}");
        anyhow::ensure!(
            outcome.unprocessed.len() as u64 == r.dropped,
            "{mode:?}: every dropped item is handed back"
        );
        if mode == Shutdown::Graceful {
            anyhow::ensure!(r.unfinished() == 0, "graceful drops nothing: {r}");
        }
        unaccounted += r.produced.abs_diff(r.accounted());
        let name = match mode {
            Shutdown::Graceful => "graceful",
            Shutdown::Hard => "hard",
            Shutdown::DrainFor(_) => "drain for 3 ms",
        };
        n.show(format!(
            "{name:<14} {queued:>2} queued at the call → {r}{}",
            if r.forced { " (forced)" } else { "" }
        ));
        n.record(
            &format!("{name}: dropped (counted, handed back)"),
            r.dropped as f64,
            Unit::Count,
        );
        n.record(
            &format!("{name}: cancelled in flight"),
            r.cancelled as f64,
            Unit::Count,
        );
    }
    n.record(UNACCOUNTED, unaccounted as f64, Unit::Count);
    n.say(
        "Graceful drains the queue and finishes in-flight items; hard abandons the items \
         held by consumers and hands the queued ones back to the caller; drain-for runs \
         graceful until its deadline and then hard. Each way, every item produced is in \
         exactly one count.",
    );
    Ok(())
}

async fn item_timeouts(n: &mut Narrator) -> anyhow::Result<()> {
    let items = n.mode().pick(20, 200);
    let limit = Duration::from_millis(5);
    n.section(&format!(
        "Per-item timeout of {} ms: every 4th of {items} items hangs for 50 ms",
        limit.as_millis()
    ));
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity: 8,
        item_timeout: Some(limit),
    })?;
    pipeline.spawn_consumers(2, |i: u64| async move {
        if i % 4 == 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    pipeline.spawn_producer(move |queue| async move {
        for i in 0..items {
            if queue.send(i).await.is_err() {
                return;
            }
        }
    });
    pipeline.join_producers().await;
    let r = pipeline.shutdown(Shutdown::Graceful).await.report;
    n.show(format!("{r}, in {:.1} ms", millis(r.elapsed)));
    anyhow::ensure!(
        r.is_balanced() && r.timed_out == items / 4,
        "exactly the hanging items time out: {r}"
    );
    n.record(
        "items timed out (counted, not lost)",
        r.timed_out as f64,
        Unit::Count,
    );
    n.say(
        "tokio::time::timeout is asyncio.wait_for: the hanging handler is dropped at the \
         deadline and the item is counted as timed out, so the consumers move on and the \
         total time stays bounded by the limit, not by the hang.",
    );
    Ok(())
}

/// Sends `items` with `gap` between them into one of the pair loops.
async fn pair_run(items: u32, gap: Duration, heartbeat: Duration, broken: bool) -> Pairing<u32> {
    let (tx, mut rx) = mpsc::channel(4);
    let sender = tokio::spawn(async move {
        for i in 0..items {
            if tx.send(i).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    });
    let pairing = if broken {
        collect_pairs_broken(&mut rx, heartbeat).await
    } else {
        collect_pairs(&mut rx, heartbeat).await
    };
    // The sender ends when its loop does (or the receiver is gone); a
    // panic there would be a bug in this demo, reported as such.
    if let Err(e) = sender.await {
        tracing::warn!("pair sender failed: {e}");
    }
    pairing
}

async fn select_bug_story(n: &mut Narrator) -> anyhow::Result<()> {
    let items = n.mode().pick(24, 200);
    let gap = Duration::from_millis(1);
    let heartbeat = Duration::from_millis(2);
    n.section(&format!(
        "Bug story: {items} items, one every {} ms, paired while a {} ms heartbeat ticks",
        gap.as_millis(),
        heartbeat.as_millis()
    ));
    let sent: Vec<u32> = (0..items).collect();
    let broken = pair_run(items, gap, heartbeat, true).await;
    let fixed = pair_run(items, gap, heartbeat, false).await;
    let broken_lost = u64::from(items) - broken.items();
    let fixed_lost = u64::from(items) - fixed.items();
    n.show(format!(
        "collect_pairs_broken: {} pairs, {} heartbeats, {broken_lost} items silently lost{}",
        broken.pairs.len(),
        broken.heartbeats,
        match broken.check_all_returned(&sent) {
            Ok(()) => String::new(),
            Err(e) => format!(" ({e})"),
        }
    ));
    n.show(format!(
        "collect_pairs:        {} pairs, {} heartbeats, {fixed_lost} items lost",
        fixed.pairs.len(),
        fixed.heartbeats
    ));
    fixed
        .check_all_returned(&sent)
        .map_err(|e| anyhow::anyhow!("the fixed loop lost items: {e}"))?;
    n.record(
        "items lost by collect_pairs_broken",
        broken_lost as f64,
        Unit::Count,
    );
    n.record(FIXED_LOST, fixed_lost as f64, Unit::Count);
    n.say(
        "The broken loop races a future that has already taken the first half of a pair; \
         when the heartbeat wins, select! drops that future and the half inside it. The \
         fix races only recv(), which holds nothing while it waits, and keeps the half in \
         a loop variable. (How many the broken loop loses depends on timing — which is \
         why this bug survives testing that does not count items.)",
    );
    Ok(())
}

/// Hands `items` over a tokio Pipeline (1 producer task → 1 consumer task).
async fn pipeline_hand_off(items: u64) -> anyhow::Result<u64> {
    let mut pipeline = Pipeline::new(PipelineConfig {
        capacity: 64,
        item_timeout: None,
    })?;
    pipeline.spawn_consumers(1, |i: u64| {
        std::hint::black_box(i);
        std::future::ready(())
    });
    pipeline.spawn_producer(move |queue| async move {
        for i in 0..items {
            if queue.send(i).await.is_err() {
                return;
            }
        }
    });
    pipeline.join_producers().await;
    Ok(pipeline.shutdown(Shutdown::Graceful).await.report.consumed)
}

/// Hands `items` over a bare tokio bounded channel (1 task → 1 task; both
/// spawned, as the pipeline's are, so both run on the runtime's workers).
async fn tokio_mpsc_hand_off(items: u64) -> u64 {
    let (tx, mut rx) = mpsc::channel(64);
    let producer = tokio::spawn(async move {
        for i in 0..items {
            if tx.send(i).await.is_err() {
                return;
            }
        }
    });
    let consumer = tokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(i) = rx.recv().await {
            sum = sum.wrapping_add(i);
        }
        sum
    });
    if let Err(e) = producer.await {
        tracing::warn!("hand-off producer failed: {e}");
    }
    consumer.await.unwrap_or_else(|e| {
        tracing::warn!("hand-off consumer failed: {e}");
        0
    })
}

/// Hands `items` over `std::sync::mpsc::sync_channel(64)` between two threads.
fn std_hand_off(items: u64) -> u64 {
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..items {
                if tx.send(i).is_err() {
                    return;
                }
            }
        });
        rx.iter().fold(0u64, u64::wrapping_add)
    })
}

fn hand_off_cost(n: &mut Narrator, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let items = n.mode().pick(5_000u64, 200_000);
    n.section(&format!(
        "Hand-off cost: {items} items through a 64-slot queue, 1 producer → 1 consumer"
    ));
    let consumed = runtime.block_on(pipeline_hand_off(items))?;
    anyhow::ensure!(
        consumed == items,
        "the pipeline consumed {consumed} of {items}"
    );
    n.compare_timed(
        "per item, Pipeline (tokio tasks, counted) vs threads",
        items,
        || runtime.block_on(pipeline_hand_off(items)),
        STD_PEER,
        || std_hand_off(items),
    );
    n.measure(
        "per item, bare tokio mpsc (1 task → 1 task)",
        items,
        || runtime.block_on(tokio_mpsc_hand_off(items)),
    );
    n.say(
        "What the pipeline adds over a bare channel is the shared receiver's lock, the \
         counters and the token checks. Threads hand off through a futex whenever one side \
         has to sleep, tasks through the runtime's wakers; which is cheaper per item depends \
         on how often each side sleeps on this machine (and on a debug or release build), \
         so read the figures above rather than a rule. What does not depend on the machine: \
         only the tasks can wait on a queue, a timer and a cancellation token at once.",
    );
    Ok(())
}

// ---- tests ------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;
    use tokio::sync::Semaphore;
    use tokio::time::{sleep, timeout};

    /// Real-time guard: a hang fails the test instead of blocking it.
    const GUARD: Duration = Duration::from_secs(10);
    const MS: Duration = Duration::from_millis(1);

    fn config(capacity: usize, item_timeout: Option<Duration>) -> PipelineConfig {
        PipelineConfig {
            capacity,
            item_timeout,
        }
    }

    /// A producer that counts up until the pipeline stops it.
    fn endless(pipeline: &mut Pipeline<u64>) {
        pipeline.spawn_producer(|queue| async move {
            let mut i = 0;
            while queue.send(i).await.is_ok() {
                i += 1;
            }
        });
    }

    /// One producer of `items` items.
    fn finite(pipeline: &mut Pipeline<u64>, items: u64) {
        pipeline.spawn_producer(move |queue| async move {
            for i in 0..items {
                if queue.send(i).await.is_err() {
                    return;
                }
            }
        });
    }

    /// 1 consumer at 10 ms per item, 4 slots, an endless producer; `mode`
    /// at t = 35 ms (paused clock). By then items 0, 1, 2 are done (t = 10,
    /// 20, 30), item 3 is in the consumer's hands (done at 40), items 4..=7
    /// are queued, and the producer waits to queue item 8.
    async fn stop_at_35ms(mode: Shutdown) -> Outcome<u64> {
        let mut pipeline = Pipeline::new(config(4, None)).expect("valid config");
        pipeline.spawn_consumers(1, |_: u64| sleep(10 * MS));
        endless(&mut pipeline);
        sleep(35 * MS).await;
        assert_eq!(pipeline.queued(), 4);
        assert_eq!(pipeline.produced(), 8);
        timeout(GUARD, pipeline.shutdown(mode))
            .await
            .expect("shutdown does not hang")
    }

    #[tokio::test(start_paused = true)]
    async fn graceful_shutdown_drains_everything_and_drops_nothing() {
        let outcome = stop_at_35ms(Shutdown::Graceful).await;
        let r = outcome.report;
        assert_eq!((r.produced, r.consumed), (8, 8), "{r}");
        assert_eq!(
            (r.dropped, r.cancelled, r.timed_out, r.failed),
            (0, 0, 0, 0)
        );
        assert!(r.is_balanced() && !r.forced);
        assert!(outcome.unprocessed.is_empty());
        // Items 3..=7 finish at 40, 50, 60, 70, 80 ms.
        assert_eq!(r.elapsed, 80 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn hard_shutdown_counts_the_exact_number_dropped_and_cancelled() {
        let outcome = stop_at_35ms(Shutdown::Hard).await;
        let r = outcome.report;
        assert_eq!(r.produced, 8, "{r}");
        assert_eq!(r.consumed, 3, "items 0, 1, 2 were done");
        assert_eq!(r.cancelled, 1, "item 3 was in the consumer's hands");
        assert_eq!(r.dropped, 4, "items 4..=7 were queued");
        assert_eq!(outcome.unprocessed, [4, 5, 6, 7]);
        assert!(r.is_balanced() && r.forced);
        assert_eq!(r.elapsed, 35 * MS, "a hard stop waits for nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn drain_for_is_graceful_until_the_deadline_then_hard() {
        // Deadline at 35 + 22 = 57 ms: items 3 and 4 finish (40, 50 ms),
        // item 5 is in the consumer's hands (since 50 ms), 6 and 7 queued.
        let outcome = stop_at_35ms(Shutdown::DrainFor(22 * MS)).await;
        let r = outcome.report;
        assert_eq!(
            (r.produced, r.consumed, r.cancelled, r.dropped),
            (8, 5, 1, 2),
            "{r}"
        );
        assert_eq!(outcome.unprocessed, [6, 7]);
        assert!(r.is_balanced() && r.forced);
        // A deadline long enough is simply graceful.
        let r = stop_at_35ms(Shutdown::DrainFor(100 * MS)).await.report;
        assert_eq!((r.consumed, r.unfinished(), r.forced), (8, 0, false), "{r}");
    }

    #[tokio::test(start_paused = true)]
    async fn producer_blocked_time_is_measured_exactly() {
        // Sends 0..=3 fill the queue; from then on each send waits for the
        // consumer to take an item: until 0, 10, 20, 30 ms, and the send of
        // item 8 waits from 30 ms until the shutdown at 35 ms.
        let r = stop_at_35ms(Shutdown::Hard).await.report;
        assert_eq!(r.producer_blocked, 35 * MS);
        assert_eq!(r.peak_depth, 4);
        assert!(r.blocked_sends >= 4, "{r:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_that_never_fills_never_blocks() {
        let mut pipeline = Pipeline::new(config(100, None)).expect("valid config");
        pipeline.spawn_consumers(1, |_: u64| sleep(MS));
        finite(&mut pipeline, 100);
        pipeline.join_producers().await;
        let r = pipeline.shutdown(Shutdown::Graceful).await.report;
        assert_eq!((r.consumed, r.blocked_sends), (100, 0), "{r}");
        assert_eq!(r.producer_blocked, Duration::ZERO);
        assert!(r.peak_depth >= 99, "{r:?}");
        assert_eq!(r.elapsed, 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn timed_out_items_are_counted_not_lost() {
        let mut pipeline = Pipeline::new(config(4, Some(5 * MS))).expect("valid config");
        // Items take 0, 4, 8, 0, 4, 8, ... ms: every third exceeds 5 ms.
        pipeline.spawn_consumers(2, |i: u64| sleep(Duration::from_millis((i % 3) * 4)));
        finite(&mut pipeline, 30);
        pipeline.join_producers().await;
        let r = pipeline.shutdown(Shutdown::Graceful).await.report;
        assert_eq!((r.produced, r.consumed, r.timed_out), (30, 20, 10), "{r}");
        assert!(r.is_balanced());
    }

    #[tokio::test(start_paused = true)]
    async fn a_hard_stop_with_gated_consumers_is_exact() {
        // The handlers wait on a gate that never opens: 3 consumers hold
        // items 0..=2, the 5 slots hold 3..=7, the producer waits.
        let gate = Arc::new(Semaphore::new(0));
        let mut pipeline = Pipeline::new(config(5, None)).expect("valid config");
        let g = Arc::clone(&gate);
        pipeline.spawn_consumers(3, move |_: u64| {
            let g = Arc::clone(&g);
            async move {
                let _permit = g.acquire().await;
            }
        });
        endless(&mut pipeline);
        sleep(MS).await;
        let outcome = pipeline.shutdown(Shutdown::Hard).await;
        let r = outcome.report;
        assert_eq!(
            (r.produced, r.cancelled, r.dropped, r.consumed),
            (8, 3, 5, 0),
            "{r}"
        );
        assert_eq!(outcome.unprocessed, [3, 4, 5, 6, 7]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_producer_gets_its_item_back() {
        let pipeline = Pipeline::new(config(1, None)).expect("valid config");
        let producer = pipeline.producer();
        producer.send(1).await.expect("room for one");
        // The queue is full and nobody consumes: this send waits until the
        // shutdown stops it, and hands the item back.
        let waiting = tokio::spawn(async move { producer.send(2).await });
        sleep(7 * MS).await;
        let outcome = pipeline.shutdown(Shutdown::Graceful).await;
        assert_eq!(waiting.await.expect("no panic"), Err(Stopping(2)));
        // No consumer ran, so even a graceful stop hands the queued item back.
        assert_eq!(outcome.unprocessed, [1]);
        assert!(outcome.report.is_balanced());
    }

    #[tokio::test]
    async fn a_panicking_handler_is_counted_as_failed() {
        let mut pipeline = Pipeline::new(config(8, None)).expect("valid config");
        pipeline.spawn_consumers(2, |i: u64| async move {
            assert!(i != 5, "handler fails on item 5 (deliberate)");
        });
        finite(&mut pipeline, 20);
        timeout(GUARD, pipeline.join_producers())
            .await
            .expect("no hang");
        let r = timeout(GUARD, pipeline.shutdown(Shutdown::Graceful))
            .await
            .expect("no hang")
            .report;
        assert_eq!(
            (r.produced, r.consumed, r.failed, r.tasks_panicked),
            (20, 19, 1, 1),
            "{r}"
        );
        assert!(r.is_balanced());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_producers_and_consumers_on_threads_balance() {
        let mut pipeline = Pipeline::new(config(16, None)).expect("valid config");
        pipeline.spawn_consumers(4, |_: u64| tokio::task::yield_now());
        for _ in 0..8 {
            finite(&mut pipeline, 1000);
        }
        timeout(GUARD, pipeline.join_producers())
            .await
            .expect("no hang");
        let outcome = timeout(GUARD, pipeline.shutdown(Shutdown::Graceful))
            .await
            .expect("no hang");
        assert_eq!(
            (outcome.report.produced, outcome.report.consumed),
            (8000, 8000)
        );
        assert!(outcome.report.peak_depth <= 16);
    }

    #[test]
    fn bad_configs_and_no_runtime_are_refused() {
        assert_eq!(
            Pipeline::<u8>::new(config(0, None)).map(|_| ()),
            Err(ConfigError::ZeroCapacity)
        );
        assert!(matches!(
            config(MAX_CAPACITY + 1, None).validate(),
            Err(ConfigError::CapacityTooLarge { .. })
        ));
        assert_eq!(
            Pipeline::<u8>::new(PipelineConfig::default()).map(|_| ()),
            Err(ConfigError::NoRuntime)
        );
    }

    // ---- the bug story ------------------------------------------------------

    /// Items 0..40 sent 4 ms apart (paused clock); heartbeats at 11, 21,
    /// 31, ... ms never coincide with a send.
    async fn pairs(broken: bool) -> Pairing<u32> {
        let (tx, mut rx) = mpsc::channel(4);
        let sender = tokio::spawn(async move {
            for i in 0..40u32 {
                tx.send(i).await.expect("receiver alive");
                sleep(4 * MS).await;
            }
        });
        sleep(MS).await; // heartbeats start at +10 ms from here: 11, 21, ...
        let pairing = if broken {
            collect_pairs_broken(&mut rx, 10 * MS).await
        } else {
            collect_pairs(&mut rx, 10 * MS).await
        };
        sender.await.expect("sender finished");
        pairing
    }

    #[tokio::test(start_paused = true)]
    async fn the_fixed_pair_loop_loses_nothing() {
        let sent: Vec<u32> = (0..40).collect();
        let pairing = pairs(false).await;
        assert_eq!(pairing.check_all_returned(&sent), Ok(()));
        assert_eq!(pairing.pairs.len(), 20);
        assert!(pairing.heartbeats >= 15, "{}", pairing.heartbeats);
    }

    #[tokio::test(start_paused = true)]
    async fn the_broken_pair_loop_is_caught_losing_items() {
        let sent: Vec<u32> = (0..40).collect();
        let pairing = pairs(true).await;
        let check = pairing.check_all_returned(&sent);
        assert!(check.is_err(), "the broken loop lost nothing?");
        // Exactly the first halves that were held when a heartbeat fired:
        // item 2 (8 ms) at the 11 ms tick, item 5 (20 ms) at 21 ms, then
        // every fifth item — 8 of 40, and not one error raised.
        let got: Vec<u32> = pairing.pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        let lost: Vec<u32> = sent.iter().copied().filter(|i| !got.contains(i)).collect();
        assert_eq!(lost, [2, 5, 10, 15, 20, 25, 30, 35], "{check:?}");
        assert_eq!(40 - pairing.items(), 8);
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("concurrency/asyncio-patterns", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(n.comparisons().iter().any(|c| c.peer_name == STD_PEER));
        for label in [UNACCOUNTED, FIXED_LOST] {
            assert!(
                n.measurements()
                    .iter()
                    .any(|m| m.label == label && m.value == 0.0),
                "{label} is 0"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Whatever the sizes, speeds, timeout and moment of the shutdown,
        /// every produced item is counted once; graceful drops nothing.
        #[test]
        fn the_books_always_balance(
            capacity in 1usize..8,
            consumers in 0usize..4,
            producers in 1usize..4,
            work_ms in 1u64..5,
            item_timeout_ms in proptest::option::of(1u64..6),
            stop_after_ms in 0u64..40,
            mode in 0u8..3,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let outcome = rt.block_on(async {
                let mut pipeline =
                    Pipeline::new(config(capacity, item_timeout_ms.map(Duration::from_millis)))
                        .expect("valid config");
                pipeline.spawn_consumers(consumers, move |i: u64| {
                    // Every item takes time: a paused clock only moves
                    // when all tasks wait, and an instant consumer with an
                    // endless producer would never let it.
                    sleep(Duration::from_millis((i % 3 + 1) * work_ms))
                });
                for _ in 0..producers {
                    endless(&mut pipeline);
                }
                sleep(Duration::from_millis(stop_after_ms)).await;
                let mode = match mode {
                    0 => Shutdown::Graceful,
                    1 => Shutdown::Hard,
                    _ => Shutdown::DrainFor(3 * MS),
                };
                (mode, pipeline.shutdown(mode).await)
            });
            let (mode, outcome) = outcome;
            let r = outcome.report;
            proptest::prop_assert!(r.is_balanced(), "{}", r);
            proptest::prop_assert_eq!(outcome.unprocessed.len() as u64, r.dropped);
            proptest::prop_assert!(r.peak_depth <= capacity);
            if mode == Shutdown::Graceful && consumers > 0 {
                proptest::prop_assert_eq!(r.unfinished(), 0);
            }
        }
    }
}
