//! # AsyncIO producer/consumer and cancellation
//!
//! ## Python idiom
//! `queue = asyncio.Queue(maxsize=N)`; producers `await queue.put(item)`
//! (which waits while the queue is full: backpressure), consumers loop on
//! `item = await queue.get()` and call `queue.task_done()`. Work is bounded
//! with `await asyncio.wait_for(handle(item), timeout)`, and shutdown is
//! `task.cancel()` on every task.
//!
//! Cancellation in asyncio is delivered at an `await`: `task.cancel()`
//! raises `CancelledError` inside the task at the point where it is
//! suspended (or at its next `await`), never in the middle of plain code.
//! The task may catch it — `except CancelledError:` or `finally:` — and run
//! cleanup there, `await`s included, before it re-raises (or even refuses
//! to stop).
//!
//! Draining politely means stopping the producers first,
//! `await queue.join()`, and only then cancelling the consumers. A hurried
//! shutdown that cancels everything does not make the queue lose items —
//! they stay in the `Queue` object — but nothing counts them or hands them
//! back unless the code empties the queue itself (`get_nowait()` until
//! `QueueEmpty`), and an item a consumer had already taken goes with its
//! cancelled handler unless that handler puts it back. Python 3.13 added
//! `queue.shutdown()`: from then on `put` raises `QueueShutDown`, and `get`
//! raises it once the queue is empty (`shutdown(immediate=True)` empties
//! the queue at once, discarding what was in it).
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
//! The core idea fits in one function, [`pipeline_simple`] below: one
//! producer, one consumer, a bounded channel, a stop token, a timeout per
//! item, and a drain that hands out everything queued before the stop.
//!
//! **Cancellation.** Tokio, like asyncio, can only stop a task where it is
//! suspended: at an `.await`. What differs is what happens next. Python
//! *raises* into the task, so its `except`/`finally` blocks run and may
//! `await`. Tokio *drops* the future (the losing branch of a `select!`, an
//! aborted task, a `timeout` that fired): none of its code runs again; the
//! only cleanup is the `Drop` of its locals, which is synchronous — no
//! `.await` in it. So the pipeline does not rely on dropping for shutdown.
//! It cancels two [`CancellationToken`]s that its tasks watch with
//! `tokio::select!`: a task stops at the points where it looks at a token,
//! and does its bookkeeping before it returns — Python's `except
//! CancelledError:` made explicit. [`Pipeline::shutdown`] takes a
//! [`Shutdown`] mode:
//!
//! - [`Shutdown::Graceful`] cancels the *stop* token: producers' `send`
//!   fails (the item is handed back in [`Stopping`]), the first consumer to
//!   notice closes the receiver, and consumers drain everything queued and
//!   finish what they hold. Nothing is dropped *because* the consumers keep
//!   receiving until the channel is closed **and** empty (`recv` returns
//!   `None` only then); a consumer that left at the first sight of the
//!   token would leave the queue behind. With no consumer running at all,
//!   the queued items are counted and handed back as in a hard stop.
//! - [`Shutdown::Hard`] cancels the *hard* token too: consumers abandon the
//!   item they hold (its handler future is dropped; counted as
//!   [`Report::cancelled`]) and take no more. Then the shutdown path itself
//!   closes the queue and drains it: those items are counted as
//!   [`Report::dropped`] **and returned** in [`Outcome::unprocessed`], so a
//!   caller can persist or re-queue them.
//! - [`Shutdown::DrainFor`] is graceful with a deadline, then hard: the
//!   usual "drain for a while, then force" of a service being redeployed.
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
//!   `maxsize`) only moves the problem into the allocator.
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
//!   cancellation. A thread blocked in `recv` (std) or `blocking_recv`
//!   (Tokio) wakes when an item arrives or when every sender is dropped
//!   (the channel closes, and `recv` returns an error or `None`); std's
//!   `recv_timeout` adds a deadline. What a thread on std's channels
//!   cannot do is wait on a queue, a timer and a cancellation token at
//!   once, as a task's `select!` does: to stop it for another reason you
//!   close its channel or make it poll a flag.
//!
//! ## What it costs
//! The demo measures:
//! - **Backpressure**: producer blocked time and peak queue depth with a
//!   4-slot queue against a queue large enough never to fill (the
//!   `asyncio.Queue()` without `maxsize`), with one slow consumer; and the
//!   time to process everything on both. The consumer sets the pace either
//!   way, so the large queue buys no speed — it holds the backlog in memory
//!   instead of making the producers wait.
//! - **Hand-off cost per item**: `Pipeline` (Tokio tasks, every item
//!   counted) against `std::sync::mpsc::sync_channel` between two threads,
//!   and a bare Tokio `mpsc` between two tasks for the price of the
//!   pipeline's bookkeeping.
//! - The shutdown, timeout and bug-story sections print counts, not costs:
//!   items dropped, cancelled, timed out and lost.
//!
//! Every section but the hand-off cost runs on tokio's paused clock
//! (`start_paused`): the consumers' sleeps stand for work, cost no wall
//! time and last exactly as asked, so the counts and the times they print
//! are the same on every machine. The hand-off cost is real time.
//!
//! What the bookkeeping costs: one `Mutex` acquisition per item (consumers
//! share one receiver), a few relaxed atomic counters per item, two token
//! checks per item. Memory is bounded by the capacity times the item size.
//! What you give up: a consumer that never returns from its handler, or a
//! producer that ignores [`Stopping`], delays a graceful shutdown — use
//! `DrainFor`. Dropping a `Pipeline` without `shutdown` aborts its tasks
//! uncounted.
//!
//! ## Run it
//! `mastery run concurrency/asyncio-patterns` (producer blocked time with a
//! small vs a large queue, graceful vs hard vs deadline shutdown with
//! exact counts, per-item timeouts, the broken vs fixed `select!` loop,
//! hand-off cost against `std::sync::mpsc` with threads), and
//! `cargo test -p mastery-concurrency asyncio_patterns` (paused-clock
//! tests that pin the exact counts, a property test that the books always
//! balance, and one that [`pipeline_simple`] agrees with [`Pipeline`]).

use std::future::Future;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod config;
mod demo;
mod pairing;
mod pipeline;
mod producer;
mod report;
mod shared;
#[cfg(test)]
mod tests;

pub use config::{ConfigError, MAX_CAPACITY, PipelineConfig};
pub use pairing::{Pairing, collect_pairs, collect_pairs_broken};
pub use pipeline::Pipeline;
pub use producer::{Producer, Stopping};
pub use report::{Outcome, Report, Shutdown};

// ANCHOR: core
/// What [`pipeline_simple`] counted: `produced = consumed + timed_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimpleReport {
    /// Items the producer queued.
    pub produced: u64,
    /// Items whose handler finished (within the timeout, if any).
    pub consumed: u64,
    /// Items whose handler ran out of time; its future was dropped.
    pub timed_out: u64,
}

/// The whole idea in one function: one producer queues `items` into a
/// bounded channel until they run out or `stop` is cancelled; one consumer
/// runs `handler` on each under the per-item timeout, and keeps receiving
/// until the channel is closed **and** empty — so what was queued when the
/// stop came is still handled, and nothing is lost.
///
/// [`Pipeline`] is this with many producers and consumers, a hard stop
/// that hands unprocessed items back, panics counted, and the producers'
/// waits measured.
///
/// # Errors
/// A bad `config` ([`PipelineConfig::validate`]).
pub async fn pipeline_simple<T, H, Fut>(
    config: PipelineConfig,
    items: impl IntoIterator<Item = T>,
    stop: &CancellationToken,
    mut handler: H,
) -> Result<SimpleReport, ConfigError>
where
    H: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    config.validate()?;
    let (sender, mut receiver) = mpsc::channel(config.capacity);
    let produce = async move {
        let mut produced = 0;
        for item in items {
            // Wait for a free slot (backpressure) or for the stop, whichever
            // comes first. Reserving the slot before handing the item over
            // means a stop during the wait leaves the item here, unsent,
            // instead of inside a dropped `send` future.
            let permit = tokio::select! {
                biased;
                () = stop.cancelled() => break,
                permit = sender.reserve() => match permit {
                    Ok(permit) => permit,
                    Err(_receiver_gone) => break,
                },
            };
            permit.send(item);
            produced += 1;
        }
        produced
        // `sender` is dropped here: the channel closes, and the consumer's
        // `recv` returns `None` once it has taken everything queued.
    };
    let consume = async move {
        let (mut consumed, mut timed_out) = (0, 0);
        while let Some(item) = receiver.recv().await {
            let work = handler(item);
            let in_time = match config.item_timeout {
                None => {
                    work.await;
                    true
                }
                // At the deadline `timeout` drops `work`: that is the
                // cancellation, and the item is counted, not lost.
                Some(limit) => tokio::time::timeout(limit, work).await.is_ok(),
            };
            if in_time {
                consumed += 1;
            } else {
                timed_out += 1;
            }
        }
        (consumed, timed_out)
    };
    // Both halves run on this one task, taking turns at their `.await`s:
    // concurrency without a spawn.
    let (produced, (consumed, timed_out)) = tokio::join!(produce, consume);
    Ok(SimpleReport {
        produced,
        consumed,
        timed_out,
    })
}
// ANCHOR_END: core
