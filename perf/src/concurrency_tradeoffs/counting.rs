//! The CPU-bound variants beyond threads: tokio tasks pulling chunks like
//! the threads do, and the mapreduce topic's worker processes.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{WordCounts, WorkerPool, split_ranges};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use super::{TradeoffError, tally_into};

/// Word count as `tasks` tokio tasks on `runtime`, each pulling chunks
/// like [`count_threads`](super::count_threads). On a multi-thread runtime the tasks run in
/// parallel; on a current-thread runtime they run one after another.
///
/// The tasks never `.await` while counting — CPU work has nothing to
/// wait for — so each holds its worker thread until it is done, which is
/// exactly why CPU work does not belong on a runtime that also serves
/// sockets and timers. (Adding `yield_now().await` between chunks keeps
/// the runtime responsive, but measured here it made the count slower:
/// the tasks then interleave their tables on the same worker.)
///
/// # Errors
/// [`TradeoffError::Panicked`] when a task panicked.
pub fn count_tasks(
    runtime: &Runtime,
    text: &Arc<str>,
    chunk_bytes: usize,
    tasks: usize,
) -> Result<WordCounts, TradeoffError> {
    let ranges: Arc<Vec<Range<usize>>> = Arc::new(split_ranges(text, chunk_bytes));
    let next = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..tasks.max(1) {
            let (text, ranges, next) = (Arc::clone(text), Arc::clone(&ranges), Arc::clone(&next));
            set.spawn(async move {
                let mut local = WordCounts::new();
                while let Some(range) = ranges.get(next.fetch_add(1, Ordering::Relaxed)) {
                    tally_into(&mut local, &text[range.clone()]);
                }
                local
            });
        }
        let mut total = WordCounts::new();
        while let Some(joined) = set.join_next().await {
            total.merge(joined.map_err(|_| TradeoffError::Panicked("counting task"))?);
        }
        Ok(total)
    })
}

// ANCHOR: start_workers
/// Starts `workers` word-count worker processes of `program` (the
/// `mastery` binary, handed over as `Settings::worker_program`) and says how long the start
/// and handshake took. Count with [`WorkerPool::count`].
///
/// # Errors
/// [`TradeoffError::NoWorkerProgram`] when `program` is `None`;
/// [`TradeoffError::Workers`] when the processes do not start or are not
/// workers.
pub fn start_workers(
    program: Option<&Path>,
    workers: usize,
) -> Result<(WorkerPool, Duration), TradeoffError> {
    let program = program.ok_or(TradeoffError::NoWorkerProgram)?;
    let started = Instant::now();
    let pool = WorkerPool::spawn(program, workers)?;
    Ok((pool, started.elapsed()))
}
// ANCHOR_END: start_workers
