//! The overhead ladder: the same closed-loop clients through one handler
//! call per request, the lesson's loop and the production [`Batcher`], with
//! a handler that costs nothing — so what is timed is the machinery each
//! rung adds (see [`mastery_kit::ladder`]). With a handler that costs
//! something, batching wins by calling it less often; the demo's
//! throughput section shows that side.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::time::{Duration, Instant};

use mastery_kit::ladder::{self, Climbed, Kind, Rung};
use mastery_kit::python::{self, Served};
use mastery_kit::{Mode, Narrator, Unit};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::super::{BatchConfig, Batcher, CLIENTS, serve_batches_simple, simulated_answer};

/// Room in every rung's queue: more than the clients, so no rung waits for
/// room and the ladder times batching, not backpressure.
const QUEUE: usize = 1024;

/// Batch limits of the two batching rungs: one batch can hold every client.
const MAX_BATCH: usize = CLIENTS;
const MAX_WAIT: Duration = Duration::from_millis(1);

/// The free handler: each request's answer, nothing else.
fn answer_all(requests: &[u64]) -> Vec<u64> {
    requests.iter().map(|&x| simulated_answer(x)).collect()
}

/// The free handler as the loops take it: a plain function, so the
/// lesson's loop and a kata reader's are handed the very same type.
pub type FreeHandler = fn(Vec<u64>) -> Ready<Vec<u64>>;

fn free_handler(requests: Vec<u64>) -> Ready<Vec<u64>> {
    ready(answer_all(&requests))
}

/// What a request carries through a batching loop's queue: the request and
/// the caller's answer channel.
pub type Queued = (u64, oneshot::Sender<u64>);

/// A batching loop started as a task: `(queue, max_batch, max_wait,
/// handler)` to the loop's future.
pub type ServerFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A kata reader's batching loop as one more rung: its name, and how to
/// start it on a queue — `serve_batches_simple`'s signature, with the
/// ladder's [`FreeHandler`].
#[derive(Debug)]
pub struct ReaderServer<S> {
    /// What the ladder calls the rung, e.g. `your serve_batches`.
    pub name: String,
    /// Starts the loop: called once, its future spawned on the runtime.
    pub start: S,
}

/// How long a rung may leave its clients waiting before the ladder calls it
/// hung.
const PATIENCE: Duration = Duration::from_secs(60);

/// Requests per second of [`CLIENTS`] clients, each sending `per_client`
/// requests one after another through `submit` (the next when the last is
/// answered). Any wrong or missing answer is an error: a rung that loses
/// requests must not be timed as fast.
async fn clients_through<F, Fut>(per_client: usize, submit: F) -> anyhow::Result<f64>
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Option<u64>> + Send,
{
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for client in 0..CLIENTS {
        let submit = submit.clone();
        clients.spawn(async move {
            let mut wrong = 0usize;
            for i in 0..per_client {
                let x = (client * per_client + i) as u64;
                if submit(x).await != Some(simulated_answer(x)) {
                    wrong += 1;
                }
            }
            wrong
        });
    }
    let mut wrong = 0;
    while let Some(joined) = clients.join_next().await {
        wrong += joined?;
    }
    anyhow::ensure!(wrong == 0, "{wrong} requests got a wrong or no answer");
    let requests = (CLIENTS * per_client) as f64;
    Ok(requests / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE))
}

/// A [`Batcher`] over the free handler.
fn free_batcher(max_batch: usize, max_wait: Duration) -> anyhow::Result<Batcher<u64, u64>> {
    let config = BatchConfig {
        max_batch,
        max_wait,
        queue_capacity: QUEUE,
    };
    Ok(Batcher::new(config, |requests: Vec<u64>| async move {
        Ok::<_, Infallible>(answer_all(&requests).into_iter().map(Ok).collect())
    })?)
}

/// A sampler: one closed-loop run through `submit` on `runtime`. A rung
/// that leaves a request unanswered for [`PATIENCE`] is an error (the
/// kit's rungs answer in milliseconds; a kata reader's loop might never).
fn sampler<'a, F, Fut>(
    runtime: &'a Runtime,
    per_client: usize,
    name: &str,
    submit: F,
) -> impl FnMut() -> anyhow::Result<f64> + 'a
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Option<u64>> + Send,
{
    let name = name.to_owned();
    move || {
        let clients = clients_through(per_client, submit.clone());
        runtime
            .block_on(async { tokio::time::timeout(PATIENCE, clients).await })
            .map_err(|_| {
                anyhow::anyhow!(
                    "{name} left requests unanswered for {PATIENCE:?}: does it send every \
                     batch once it holds max_batch or its first request has waited max_wait?"
                )
            })?
    }
}

/// The Python rung: the lesson's asyncio idiom (`rung_zero.py`) with the
/// same clients, batch limits and free handler; `None` in quick mode or,
/// with a skip line, without a usable `python3`. A Python sample sends a
/// sixth of the requests a Rust one does (each costs far more), checked
/// once: every request must get its own answer.
fn python_rung<'a>(
    n: &mut Narrator,
    served: &'a mut Option<Served>,
    per_client: usize,
) -> anyhow::Result<Option<Rung<'a>>> {
    if n.mode() == Mode::Quick {
        return Ok(None);
    }
    let started = Served::spawn(&python::interpreter(n.settings()), crate::RUNG_ZERO, &[])
        .and_then(Served::ready);
    *served = python::skip_or_fail(n, "the asyncio rung", started)?;
    let Some(served) = served.as_mut() else {
        return Ok(None);
    };
    let per_client = (per_client / 6).max(5);
    let request = serde_json::json!({
        "op": "asyncio_batcher",
        "clients": CLIENTS,
        "per_client": per_client,
        "max_batch": MAX_BATCH,
        "max_wait_ms": MAX_WAIT.as_secs_f64() * 1e3,
    });
    let warm = served.call(&request)?;
    let requests = (CLIENTS * per_client) as u64;
    anyhow::ensure!(
        warm.check == requests,
        "the asyncio batcher answered {} of {requests} requests right",
        warm.check
    );
    n.say(&format!(
        "The asyncio rung runs the lesson's Python idiom in CPython {}, timed by the \
         interpreter around its clients only; it sends {per_client} requests per client.",
        served.version()
    ));
    Ok(Some(Rung::new(
        "asyncio batcher",
        Kind::Python,
        "asyncio.Queue, wait_for per request, a future per caller",
        move || {
            let reply = served.call(&request)?;
            anyhow::ensure!(
                reply.check == requests,
                "the asyncio batcher answered {} of {requests} requests right",
                reply.check
            );
            Ok(1e9 / reply.ns_per_op.max(f64::MIN_POSITIVE))
        },
    )))
}

pub(super) fn overhead_ladder(n: &mut Narrator, runtime: &Runtime) -> anyhow::Result<()> {
    climb_overhead_ladder(
        n,
        runtime,
        None::<
            ReaderServer<fn(mpsc::Receiver<Queued>, usize, Duration, FreeHandler) -> ServerFuture>,
        >,
    )
    .map(drop)
}

/// A sampler for a batching loop behind `queue`: each client's request
/// goes in with its own answer channel.
fn queue_sampler<'a>(
    runtime: &'a Runtime,
    per_client: usize,
    name: &str,
    queue: mpsc::Sender<Queued>,
) -> impl FnMut() -> anyhow::Result<f64> + 'a {
    sampler(runtime, per_client, name, move |x| {
        let queue = queue.clone();
        async move {
            let (answer, reply) = oneshot::channel();
            queue.send((x, answer)).await.ok()?;
            reply.await.ok()
        }
    })
}

/// The overhead ladder, with a kata reader's batching loop placed on it
/// when one is given. The reader's loop runs the same clients through the
/// same free handler; a request it answers wrongly (or not at all within
/// a minute) is an error, not a timing.
///
/// # Errors
/// A rung that answered a request wrongly or not at all, the Python rung's
/// failure under `require_python`, or the runtime's.
pub fn climb_overhead_ladder<S>(
    n: &mut Narrator,
    runtime: &Runtime,
    reader: Option<ReaderServer<S>>,
) -> anyhow::Result<Climbed>
where
    S: FnOnce(mpsc::Receiver<Queued>, usize, Duration, FreeHandler) -> ServerFuture,
{
    let per_client = n.mode().pick_deep(10, 60, 200);
    n.section("The overhead ladder: a free handler, one call per request to the Batcher");
    n.say(&format!(
        "{CLIENTS} clients, {per_client} requests each, sent one after another; the handler \
         answers at once, so each rung's rate is the price of its machinery per request. \
         Batches hold up to {MAX_BATCH} (every client) with `max_wait` \
         {MAX_WAIT:?}; every queue has room for {QUEUE}."
    ));
    let _in_runtime = runtime.enter();

    let unbatched = free_batcher(1, Duration::ZERO)?;
    let (queue, requests) = mpsc::channel(QUEUE);
    runtime.spawn(serve_batches_simple(
        requests,
        MAX_BATCH,
        MAX_WAIT,
        free_handler as FreeHandler,
    ));
    let batcher = free_batcher(MAX_BATCH, MAX_WAIT)?;

    let through_batcher = |b: &Batcher<u64, u64>| {
        let b = b.clone();
        move |x| {
            let b = b.clone();
            async move { b.submit(x).await.ok() }
        }
    };
    let mut served = None;
    let mut rungs: Vec<Rung<'_>> = python_rung(n, &mut served, per_client)?
        .into_iter()
        .collect();
    rungs.extend([
        Rung::new(
            "unbatched",
            Kind::Baseline,
            "the Batcher with max_batch 1: one handler call per request",
            sampler(
                runtime,
                per_client,
                "unbatched",
                through_batcher(&unbatched),
            ),
        ),
        Rung::new(
            "serve_batches_simple",
            Kind::Textbook,
            "the lesson's loop: collect up to max_batch or max_wait, call once",
            queue_sampler(runtime, per_client, "serve_batches_simple", queue),
        ),
        Rung::new(
            "Batcher",
            Kind::Production,
            "per-request errors, the handler in its own task (panic isolation), \
                 deadline from enqueue, flush on shutdown",
            sampler(runtime, per_client, "Batcher", through_batcher(&batcher)),
        ),
    ]);
    if let Some(reader) = reader {
        let (queue, requests) = mpsc::channel(QUEUE);
        runtime.spawn((reader.start)(requests, MAX_BATCH, MAX_WAIT, free_handler));
        rungs.push(Rung::new(
            &reader.name,
            Kind::Reader,
            "your loop, the same clients, limits and handler",
            queue_sampler(runtime, per_client, &reader.name, queue),
        ));
    }
    let climbed = ladder::climb(n, "requests through a free handler", Unit::OpsPerSec, rungs);
    // The loops end when their queue's last sender (inside the rungs,
    // dropped by now) is gone; the batchers flush and stop — whether the
    // climb succeeded or a rung was refused.
    runtime.block_on(async {
        unbatched.shutdown().await;
        batcher.shutdown().await;
    });
    climbed
}
