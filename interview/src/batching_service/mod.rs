//! # Batching service (collect → batch → process)
//!
//! ## Python idiom
//! A model server or a database writer is cheap per item but expensive per
//! call, so many concurrent requests are answered by one call. In `asyncio`
//! each caller puts `(request, future)` on an `asyncio.Queue` and `await`s
//! the future; one background task takes the first item, keeps taking with
//! `asyncio.wait_for(queue.get(), timeout)` until the batch is full or the
//! deadline passes, calls the handler once, and `fut.set_result(...)` for
//! each caller. The interview questions are the edges: what if the handler
//! raises, returns too few results, or a caller gives up; what happens to
//! the queue on shutdown.
//!
//! ## Rust answer
//! [`serve_batches_simple`] below is that background task, line for line:
//! an `mpsc` channel is the queue, a `oneshot` channel is each caller's
//! future, and `tokio::time::timeout` is `asyncio.wait_for`. It takes the
//! first request, keeps taking until the batch holds `max_batch` or the
//! first has waited `max_wait`, calls the handler once, and sends each
//! caller its own answer.
//!
//! [`Batcher<Req, Resp>`](Batcher) is the production service around that
//! loop (`batcher.rs` for the handle, `worker.rs` for the loop, `stats.rs`
//! for what it counts).
//! [`Batcher::submit`] enqueues a request on a **bounded** channel (waiting
//! for room: backpressure) and awaits its answer; [`Batcher::try_submit`]
//! fails fast with [`BatchError::QueueFull`]. The deadline counts from when
//! the *oldest* request entered the queue, so a request that already waited
//! through the previous handler call is not made to wait again. The handler
//! answers with one `Result` per request, so a bad item fails only its own
//! caller.
//!
//! ```
//! use std::time::Duration;
//! use mastery_interview::batching_service::{BatchConfig, Batcher};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = BatchConfig { max_batch: 64, max_wait: Duration::from_millis(1), queue_capacity: 1024 };
//! let batcher = Batcher::new(config, |words: Vec<String>| async move {
//!     // One call for the whole batch; one result per request, in order.
//!     Ok::<_, String>(words.into_iter().map(|w| Ok(w.len())).collect())
//! })?;
//! assert_eq!(batcher.submit("batch".to_owned()).await?, 5);
//! batcher.shutdown().await; // answers everything still queued, then stops
//! # Ok(())
//! # }
//! ```
//!
//! Failure isolation is the point of the design, so it is spelled out:
//! - The handler runs in a task of its own (`tokio::spawn`), and the worker
//!   inspects the `JoinError`: a **panic** fails that batch's callers with
//!   [`BatchError::HandlerPanicked`] and the worker goes on to the next batch.
//!   (Without the `futures` crate there is no `catch_unwind` for futures;
//!   `spawn` + `JoinHandle` is tokio's way, and it also moves the handler off
//!   the collecting task.)
//! - A handler **error** for the whole batch gives every caller
//!   [`BatchError::Handler`]; the **wrong number** of results gives every
//!   caller [`BatchError::WrongResultCount`] — an answer can't be matched to
//!   its caller then, so none is guessed.
//! - A caller that **drops** its `submit` future is skipped if its request
//!   has not been dispatched yet, and otherwise its answer is dropped (the
//!   `oneshot` send fails, nothing else happens).
//! - [`Batcher::shutdown`] closes the queue (new submits, and submits still
//!   waiting for room, get [`BatchError::ShuttingDown`]), dispatches what is
//!   queued without waiting for deadlines, and returns when every accepted
//!   request has been answered. A request is either answered or refused —
//!   never lost, never left hanging; the tests check it with 64 concurrent
//!   submitters and a shutdown midway.
//! - No configuration makes the worker panic: a `max_wait` too long to add
//!   to the clock (`Duration::MAX`) means "no deadline" — a batch goes when
//!   it is full, or at shutdown — as it does for `tokio::time::timeout`.
//!
//! ## When to use which
//! - Batch when a call has a large fixed cost next to a small per-item cost
//!   (a GPU forward pass, a network round trip, an `INSERT` of many rows, an
//!   `fsync`) *and* there is concurrency to batch: the speed-up is bounded by
//!   `(fixed + item) / (fixed / batch + item)` per request, and by how many
//!   requests are in flight — a batch never fills beyond the number of
//!   concurrent callers, so `max_batch` above it only adds `max_wait`.
//! - `max_wait` is the latency you pay at low load to win throughput at
//!   high load. Under load the batch fills first and the deadline never
//!   matters; when idle, a lone request waits `max_wait`. Set it to a
//!   fraction of one handler call.
//! - One batch is in flight at a time: the handler is treated as one serial
//!   resource (one model, one connection). If the backend can serve several
//!   calls at once, run several batchers (or shard by key) rather than
//!   unbounded concurrent calls; the unbatched baseline below is that serial
//!   resource called once per request.
//! - Python's version is the same shape; what Rust adds is the type-checked
//!   one-answer-per-caller channel, panic isolation without a bare `except`,
//!   and a bounded queue by default (`asyncio.Queue()` is unbounded unless
//!   you pass `maxsize`).
//!
//! ## What it costs
//! What the demo measures, with a simulated handler ([`SimulatedCost::DEMO`]):
//! a **fixed cost per call** waited as a `tokio::time::sleep` — I/O-like,
//! holding no CPU, like a round trip — and a **per-item cost** spun on the
//! CPU. A spin for the fixed part would model a CPU-bound call and burn a
//! core; the sleep's price is tokio's timer, which rounds a deadline up to
//! its next millisecond tick, so a call lasts longer than its nominal cost
//! and a short `max_wait` fires late. So the demo first times one handler
//! call, and judges everything against the calls it actually got:
//! - **Throughput and p50/p99 latency**, 64 closed-loop clients: unbatched
//!   (`max_batch` 1, one handler call per request — the peer) against batch
//!   8, 64 and 256, each with a short and a longer `max_wait`. Each answer
//!   carries the duration of the handler call that produced it
//!   ([`Served`]), so a request's latency splits into *its own handler
//!   call* and *everything before it* (queued, collected, dispatched) — the
//!   part batching adds. The target "p99 ≤ `max_wait` + one handler call"
//!   is checked against the p99 handler call of the same runs. Every
//!   configuration runs several times, in rounds that alternate their
//!   order; a comparison pairs a batched run with the unbatched run of the
//!   same round — throughput against throughput, and p99 against p99, since
//!   a percentile of one run is a single sample and no verdict can rest on
//!   one pair. `mastery run interview/batching-service --deep` takes more
//!   rounds and more requests per client.
//! - **The overhead ladder**: the same 64 clients with a handler that
//!   answers at once, so only the machinery is timed, in the same rounds:
//!   the Python idiom above in CPython (`interview/python/rung_zero.py`,
//!   full mode, when `python3` is there) → one handler call per request
//!   (the `Batcher` with `max_batch` 1) →
//!   [`serve_batches_simple`], the loop above → [`Batcher`], which adds
//!   per-request errors, the handler in its own task, a deadline from
//!   enqueue and a flushing shutdown. Each rung is compared with the one
//!   below, so the price (or gain) of the production parts is measured,
//!   not assumed. There is no peer crate: `tower`'s `buffer` batches
//!   nothing, and the workspace adds no batching crate to race.
//! - **A shutdown under load**: submits answered, refused and lost (zero),
//!   and how long the flushing shutdown took.
//!
//! In a closed loop each client sends its next request when the previous
//! one is answered, so all requests of a batch share one latency and p99 is
//! set by the slowest few rounds — on a busy machine, a handler call whose
//! timer fired late. The worker yields once after answering a batch, so the
//! callers it just woke queue their next request before it collects again;
//! without that, one late client splits the loop into two groups that take
//! turns, each waiting for the other's call (a test pins it).
//!
//! What you give up: one `oneshot` and one queue slot per request and one
//! task spawn per batch; a lone request's `max_wait`; and a handler that
//! never returns stalls the batcher and its shutdown (wrap the handler in
//! `tokio::time::timeout` if that can happen).
//!
//! Measure it: `mastery run interview/batching-service`, and `cargo bench
//! -p mastery-interview --bench batching_service` (the
//! `batching-64-clients` group: `peer/unbatched` and
//! `ours/batch-<max_batch>-wait-<max_wait>`).
//!
//! ## Run it
//! `mastery run interview/batching-service` (batches formed, failure
//! isolation, throughput and p50/p99 of unbatched vs batch 8/64/256 with two
//! `max_wait` settings, a shutdown under load),
//! `cargo bench -p mastery-interview --bench batching_service`, and
//! `cargo test -p mastery-interview batching_service`.
//!
//! ## Follow-ups
//! - **Is it thread-safe, and what bounds its memory?** Clones of a `Batcher`
//!   share one `Arc`'d queue and worker, and the handler must be `Send + Sync`
//!   (`interview/src/batching_service/batcher.rs`). It holds at most
//!   `queue_capacity` queued requests plus the one batch of up to `max_batch`
//!   being collected or handled (`interview/src/batching_service/worker.rs`).
//! - **How do you pick `max_wait`; what breaks at 10× load?** `max_wait` is
//!   what a lone request pays when idle: keep it a fraction of one handler
//!   call; under load batches fill first. One batch is in flight at a time
//!   (`interview/src/batching_service/worker.rs`), so the queue fills: `submit`
//!   waits and `try_submit` fails
//!   (`interview/src/batching_service/batcher.rs`). Add batchers.
//! - **What if the handler panics or hangs?** It runs in its own task, so a
//!   panic fails only its batch (`BatchError::HandlerPanicked`) and the worker
//!   goes on (`answer` in `interview/src/batching_service/worker.rs`). A hang
//!   stalls the batcher: the kit sets no timeout, so wrap the handler in
//!   `tokio::time::timeout`.
//! - **What if a caller gives up?** Its answer channel closes: `dispatch` drops
//!   such jobs before the handler call, and an answer for a batch already
//!   running is discarded (`dropped_callers_do_not_break_the_worker` in
//!   `interview/src/batching_service/tests/mod.rs`).
//! - **How does it shut down?** `Batcher::shutdown` refuses new submits with
//!   `BatchError::ShuttingDown`, flushes the queue without waiting for
//!   deadlines and returns once every accepted request is answered
//!   (`shutdown_midway_under_concurrent_load_loses_nothing` in
//!   `interview/src/batching_service/tests/mod.rs`).
//! - **How do you test timing?** On tokio's paused clock, with no real waits:
//!   `the_simple_loop_and_the_batcher_form_the_same_batches`
//!   (`interview/src/batching_service/tests/simple_vs_batcher.rs`) feeds random
//!   arrival gaps to `serve_batches_simple` and `Batcher` and wants the same
//!   batches.

mod batcher;
mod closed_loop;
mod config;
mod demo;
mod error;
mod simulated_backend;
mod stats;
mod worker;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

pub use batcher::{Batcher, Ticket};
pub use closed_loop::{CLIENTS, LoadReport, closed_loop, compared_configs};
pub use config::{BatchConfig, MAX_QUEUE_CAPACITY};
pub use demo::{FreeHandler, Queued, ReaderServer, ServerFuture, climb_overhead_ladder};
pub use error::{BatchError, ConfigError};
pub use simulated_backend::{Served, SimulatedCost, simulated_answer, simulated_batcher};
pub use stats::BatchStats;

// ANCHOR: core
/// The whole idea in one loop — the readable version of [`Batcher`]'s
/// worker: take the first request, keep taking until the batch holds
/// `max_batch` or the first has waited `max_wait`, call `handler` once, and
/// send each caller its answer. Ends when every sender is gone and the
/// queue is empty.
///
/// What [`Batcher`] adds: a deadline counted from when the first request
/// was *queued* (not from when this loop got to it), per-request errors,
/// panic isolation, skipping callers that gave up, and a shutdown that
/// flushes. A test checks the two form the same batches.
///
/// ```
/// # use std::time::Duration;
/// # use mastery_interview::batching_service::serve_batches_simple;
/// # use tokio::sync::{mpsc, oneshot};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (queue, requests) = mpsc::channel(64);
/// tokio::spawn(serve_batches_simple(requests, 8, Duration::from_millis(1), |words: Vec<String>| async move {
///     words.iter().map(|w| w.len()).collect::<Vec<_>>()
/// }));
/// let (answer, reply) = oneshot::channel();
/// queue.send(("batch".to_owned(), answer)).await.expect("the server is running");
/// assert_eq!(reply.await, Ok(5));
/// # }
/// ```
pub async fn serve_batches_simple<Req, Resp, Fut>(
    mut queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
    max_batch: usize,
    max_wait: Duration,
    handler: impl Fn(Vec<Req>) -> Fut,
) where
    Fut: Future<Output = Vec<Resp>>,
{
    while let Some(first) = queue.recv().await {
        let first_taken = Instant::now();
        let mut batch = vec![first];
        while batch.len() < max_batch {
            // `asyncio.wait_for(queue.get(), remaining)`. A wait too long to
            // add to the clock (`Duration::MAX`) is no timeout at all.
            let remaining = max_wait.saturating_sub(first_taken.elapsed());
            match tokio::time::timeout(remaining, queue.recv()).await {
                Ok(Some(request)) => batch.push(request),
                // The queue is closed and empty, or the first has waited enough.
                Ok(None) | Err(_) => break,
            }
        }
        let (requests, callers): (Vec<Req>, Vec<_>) = batch.into_iter().unzip();
        let answers = handler(requests).await;
        for (caller, answer) in callers.into_iter().zip(answers) {
            // A caller that gave up dropped its receiver: nothing to do.
            let _ = caller.send(answer);
        }
    }
}
// ANCHOR_END: core
