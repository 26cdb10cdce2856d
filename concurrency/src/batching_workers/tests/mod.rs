//! The pipeline's tests, by concern; the helpers below build small
//! pipelines of numbers for them.

mod batching;
mod demo;
mod failures;
mod pipeline;
mod properties;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use tokio::time::{sleep, timeout};

use super::metrics::KEPT_REJECTIONS;
use super::*;

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

/// Sends `items` through the pipeline's own source, in order.
async fn send_all(
    pipeline: &Pipeline<u64>,
    items: std::ops::Range<u64>,
) -> Result<(), Closed<u64>> {
    for i in items {
        pipeline.send(i).await?;
    }
    Ok(())
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

/// A sink's work in these tests: take `sink_ms`, then keep the item in
/// `sunk`.
async fn keep(sunk: Sunk, sink_ms: u64, n: u64) -> Result<(), Infallible> {
    sleep(Duration::from_millis(sink_ms)).await;
    sunk.lock().expect("sink lock").push(n);
    Ok(())
}

/// u64 → parse (identity) → enrich (×10, in batches) → a sink that takes
/// `sink_ms` per item and keeps what it got.
fn numbers(
    queue: usize,
    batch: BatchPolicy,
    sink_ms: u64,
) -> Result<(Pipeline<u64>, Sunk), BoxError> {
    let sunk = Sunk::default();
    let pipeline = PipelineBuilder::new(queue)?
        .map(Stage::new("parse", queue), identity)?
        .batch(Stage::new("enrich", queue), batch, |b: Vec<u64>| {
            ready(Ok::<_, Infallible>(b.into_iter().map(|n| n * 10).collect()))
        })?
        .sink("sink", {
            let sunk = Arc::clone(&sunk);
            move |n: u64| keep(Arc::clone(&sunk), sink_ms, n)
        })?;
    Ok((pipeline, sunk))
}
