//! # Threads vs processes vs async tasks, measured
//!
//! ## Python idiom
//! Python offers three ways to do several things at once, and the advice
//! that goes with them is folklore until measured:
//!
//! ```python
//! with ThreadPoolExecutor(n) as ex:  ex.map(count_words, chunks)   # GIL: ~1 core
//! with ProcessPoolExecutor(n) as ex: ex.map(count_words, chunks)   # n cores, pickling
//! async def main():                                                 # 1 thread, many waits
//!     await asyncio.gather(*(asyncio.sleep(0.1) for _ in range(10_000)))
//! ```
//!
//! Threads for IO, processes for CPU, asyncio for *lots* of IO. In the
//! default CPython build threads cannot run bytecode in parallel (see
//! `perf/gil-experiments`); the free-threaded build (`python3.13t`,
//! PEP 703, experimental in 3.13) can, until an extension that does not
//! declare itself free-threading-safe re-enables the GIL at import.
//! Processes run in parallel on any build but cost a start-up and a copy
//! of every argument and result. A coroutine handed to `asyncio.gather` is
//! wrapped in a `Task` and scheduled on the event loop; a waiting
//! `asyncio.sleep(…)` task holds about 1.3 KB of Python heap in CPython
//! 3.11 (a CPython fact, counted with `tracemalloc`: the coroutine, its
//! `Task`, and the future and timer handle the sleep schedules), where a
//! thread costs a whole stack.
//!
//! ## Rust answer
//! Rust threads have no GIL, so the folklore changes; this topic measures
//! what is left of it, with the same work in every column.
//! - **CPU-bound**: word counting over a generated corpus (the
//!   `concurrency/mapreduce` corpus, [`CorpusSpec`]) on one thread
//!   ([`count_single`]), on N threads ([`count_threads`], the core below:
//!   `thread::scope`), in N worker processes ([`start_workers`]: the
//!   mapreduce topic's [`WorkerPool`], chunks streamed over pipes), and as N
//!   tokio tasks ([`count_tasks`]) on a multi-thread runtime and on a
//!   current-thread one. Every variant pulls chunks from a shared counter
//!   into a table of its own and merges at the end, and every result is
//!   checked against the single-thread count.
//! - **IO-bound**: M concurrent waits of a fixed length (timers; a wait is
//!   what a socket read costs a thread that is not computing) with M OS
//!   threads ([`waits_threads`]), M tokio tasks ([`waits_tasks`]) and M
//!   child processes of `sleep` ([`waits_processes`] — which measures
//!   process start-up, the point of that column). Each run counts its
//!   completed waits and the memory the waits hold.
//!
//! ```
//! use std::time::Duration;
//! use mastery_perf::concurrency_tradeoffs::{waits_tasks, waits_threads};
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
//! let tasks = waits_tasks(&runtime, 1_000, Duration::from_millis(10))?; // one thread
//! let threads = waits_threads(100, Duration::from_millis(10))?;        // 100 threads
//! assert_eq!((tasks.completed, threads.completed), (1_000, 100));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors are values: a thread or process that cannot be started, a worker
//! program that is missing, a task that panicked — each a
//! [`TradeoffError`] naming what failed; the demo prints it in the table
//! cell instead of a figure.
//!
//! ## When to use which
//! - **CPU-bound work: threads** (`std::thread::scope`, rayon). They scale
//!   with the cores, share memory without copying, and start far faster
//!   than a process.
//! - **Processes** when you need isolation more than speed: a crash, a leak
//!   or a hostile input stays in the worker; or the work is another
//!   program. You pay a process start-up per worker and a copy of every
//!   input and output through a pipe.
//! - **Async tasks for many waits.** A pending tokio task is one heap
//!   allocation holding its future, and no thread: ten thousand waits cost
//!   one thread, where ten thousand threads cost ten thousand stacks and
//!   their spawn time. Async does **not** make CPU work faster: on a
//!   current-thread runtime the tasks take turns, and CPU work on a
//!   multi-thread runtime blocks a worker that timers and sockets also
//!   need (`spawn_blocking` or rayon are the way out).
//! - A handful of blocking waits: threads are simpler and just as fast.
//!
//! ## What it costs
//! The demo builds one table, every cell measured in the run:
//! - **CPU-bound**, word count in megabytes per second: N threads against
//!   one thread, N threads against N worker processes (start-up timed on
//!   its own), and N tasks on a multi-thread runtime against N tasks on a
//!   current-thread one;
//! - **IO-bound**, M concurrent waits with threads, child processes of
//!   `sleep`, and tasks on both runtimes: the wall time for all M, and what
//!   each wait cost beyond the wait itself (start, scheduling, tear-down);
//! - **memory per wait**, one row per way of measuring it, because the
//!   three are different quantities and do not compare with each other: a
//!   thread's share of this process's RSS growth (the stack pages it
//!   touched; the allocator never sees a stack), a child process's whole
//!   RSS (shared library pages counted again in every child), and a task's
//!   heap by the counting allocator (only where `mastery` installs it).
//!
//! Each CPU-bound comparison pairs its two variants round by round (they
//! take turns) and calls a winner only when the interval of the ratio
//! excludes a tie. The full run counts a corpus of a few megabytes and
//! waits a few milliseconds, M up to a thousand; `mastery run
//! perf/concurrency-tradeoffs --deep` counts a corpus eight times larger
//! and runs the longer waits, M up to ten thousand threads and a thousand
//! processes.
//!
//! What each gives up: threads share memory, so a crash or a corrupted
//! structure takes the whole process down; processes pay start-up, pipes
//! and serialization; tasks need an async runtime and `.await` points, and
//! a task that computes without awaiting holds its worker thread.
//!
//! ## Run it
//! `mastery run perf/concurrency-tradeoffs` (one table: CPU-bound and
//! IO-bound rows, thread, process and async columns, all measured in the
//! run; the process columns need the `mastery` binary, which the command
//! is), and `cargo test -p mastery-perf tradeoffs` (identical counts from
//! every variant, every wait completed, clear errors for a missing program).
//!
//! [`CorpusSpec`]: mastery_concurrency::mapreduce_demo::CorpusSpec
//! [`count_single`]: mastery_concurrency::mapreduce_demo::count_single
//! [`WorkerPool`]: mastery_concurrency::mapreduce_demo::WorkerPool

mod counting;
mod demo;
mod error;
mod table;
#[cfg(test)]
mod tests;
mod waits;

pub use counting::{count_tasks, start_workers};
pub use error::TradeoffError;
pub use waits::{MemorySource, WaitMemory, WaitRun, waits_processes, waits_tasks, waits_threads};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use mastery_concurrency::mapreduce_demo::{WordCounts, split_chunks};

// ANCHOR: core
/// Counts the words of `chunk` into `counts` — the kernel every variant
/// runs (the same hashing and table as [`count_single`]).
fn tally_into(counts: &mut WordCounts, chunk: &str) {
    for word in chunk.split_ascii_whitespace() {
        counts.add(word, 1);
    }
}

/// Word count on `threads` scoped threads: each pulls the next chunk of
/// about `chunk_bytes` from a shared counter into a table of its own; the
/// tables are merged at the end.
///
/// # Errors
/// [`TradeoffError::Spawn`] when a thread cannot be started (the threads
/// already started finish their work first), [`TradeoffError::Panicked`].
pub fn count_threads(
    text: &str,
    chunk_bytes: usize,
    threads: usize,
) -> Result<WordCounts, TradeoffError> {
    let chunks = split_chunks(text, chunk_bytes);
    let next = AtomicUsize::new(0);
    thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        for index in 0..threads.max(1) {
            let (chunks, next) = (&chunks, &next);
            let handle = thread::Builder::new()
                .name(format!("count-{index}"))
                .spawn_scoped(s, move || {
                    let mut local = WordCounts::new();
                    while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
                        tally_into(&mut local, chunk);
                    }
                    local
                })
                .map_err(TradeoffError::thread_spawn(index))?;
            handles.push(handle);
        }
        let mut total = WordCounts::new();
        for handle in handles {
            total.merge(
                handle
                    .join()
                    .map_err(|_| TradeoffError::Panicked("counting thread"))?,
            );
        }
        Ok(total)
    })
}
// ANCHOR_END: core
