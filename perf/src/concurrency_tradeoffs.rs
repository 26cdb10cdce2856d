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
//! Threads for IO, processes for CPU, asyncio for *lots* of IO: threads
//! cannot run bytecode in parallel (see `perf/gil-experiments`), processes
//! can but cost a start-up and a copy of every argument and result, and a
//! coroutine costs a few hundred bytes where a thread costs a stack.
//!
//! ## Rust answer
//! Rust threads have no GIL, so the folklore changes; this topic measures
//! what is left of it, with the same work in every column.
//! - **CPU-bound**: word counting over a generated corpus (the
//!   `concurrency/mapreduce` corpus, [`CorpusSpec`]) on one thread
//!   ([`count_single`]), on N threads ([`count_threads`], `thread::scope`),
//!   in N worker processes ([`start_workers`]: the mapreduce topic's
//!   [`WorkerPool`], chunks streamed over pipes), and as N tokio tasks
//!   ([`count_tasks`]) on a multi-thread runtime and on a current-thread
//!   one. Every variant pulls chunks from a shared counter into a table of
//!   its own and merges at the end, and every result is checked against the
//!   single-thread count.
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
//!   with the cores, share memory without copying, and cost tens of
//!   microseconds to start.
//! - **Processes** when you need isolation more than speed: a crash, a leak
//!   or a hostile input stays in the worker; or the work is another
//!   program. You pay a start-up of milliseconds per process and a copy of
//!   every input and output through a pipe.
//! - **Async tasks for many waits.** A pending task is a few hundred bytes
//!   of heap and no thread: ten thousand waits cost one thread and
//!   megabytes, where ten thousand threads cost ten thousand stacks and
//!   spawn time. Async does **not** make CPU work faster: on a
//!   current-thread runtime the tasks take turns, and CPU work on a
//!   multi-thread runtime blocks a worker that timers and sockets also
//!   need (`spawn_blocking` or rayon are the way out).
//! - A handful of blocking waits: threads are simpler and just as fast.
//!
//! ## Run it
//! `mastery run perf/concurrency-tradeoffs` (one table: CPU-bound and
//! IO-bound rows, thread, process and async columns, all measured in the
//! run; the process columns need the `mastery` binary, which the command
//! is), and `cargo test -p mastery-perf tradeoffs` (identical counts from
//! every variant, every wait completed, clear errors for a missing program).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{
    CorpusSpec, ProcessError, WordCounts, WorkerPool, count_single, default_chunk_bytes,
    split_chunks, split_ranges,
};
use mastery_kit::narrator::millis;
use mastery_kit::stats::Spread;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/concurrency-tradeoffs",
        area: Area::Perf,
        rank: 4,
        title: "Threads vs processes vs async tasks, for CPU-bound and IO-bound work",
        python: "ThreadPoolExecutor vs ProcessPoolExecutor vs asyncio.gather, for CPU work and for waits",
        rust: "thread::scope vs worker processes over pipes vs tokio tasks (multi- and current-thread), measured in one table",
        path: "perf/src/concurrency_tradeoffs.rs",
        source: include_str!("concurrency_tradeoffs.rs"),
        run: demo,
    }
}

// ---- errors ---------------------------------------------------------------------

/// What went wrong in one of the variants.
#[derive(Debug, thiserror::Error)]
pub enum TradeoffError {
    /// A thread or a process could not be started.
    #[error("cannot start {what} number {index}: {source}")]
    Spawn {
        /// What was being started (`thread`, `process \`sleep\``).
        what: String,
        /// How many had been started before it.
        index: usize,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A child process ended badly.
    #[error("{what} (pid {pid}) {status}")]
    Child {
        /// The program.
        what: String,
        /// Its process id.
        pid: u32,
        /// What happened to it (`exited with exit status: 1`, `could not be waited for: …`).
        status: String,
    },
    /// The process columns need the `mastery` binary to start as workers.
    #[error(
        "worker processes need the `mastery` binary (this process is not it): run `mastery run perf/concurrency-tradeoffs`"
    )]
    NoWorkerProgram,
    /// The worker processes failed.
    #[error("worker processes: {0}")]
    Workers(#[from] ProcessError),
    /// A tokio runtime could not be built.
    #[error("cannot build a tokio runtime: {0}")]
    Runtime(std::io::Error),
    /// A thread or task panicked.
    #[error("a {0} panicked")]
    Panicked(&'static str),
}

// ---- CPU-bound: word counting ------------------------------------------------------

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
                .map_err(|source| TradeoffError::Spawn {
                    what: "thread".into(),
                    index,
                    source,
                })?;
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

/// Word count as `tasks` tokio tasks on `runtime`, each pulling chunks
/// like [`count_threads`]. On a multi-thread runtime the tasks run in
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

// ---- IO-bound: many concurrent waits -----------------------------------------------------

/// One run of M concurrent waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitRun {
    /// Waits started.
    pub waits: usize,
    /// Waits that completed (all of them, or the run is an error).
    pub completed: usize,
    /// From the first start to the last completion.
    pub elapsed: Duration,
    /// Memory held per wait, sampled once all were started and before any
    /// was reaped (see [`WaitMemory`]); `None` where it cannot be read.
    pub memory: Option<WaitMemory>,
}

impl WaitRun {
    /// What the waits cost beyond the wait itself, per wait: start-up,
    /// scheduling and tear-down.
    pub fn overhead_per_wait(&self, wait: Duration) -> Duration {
        self.elapsed.saturating_sub(wait) / u32::try_from(self.waits.max(1)).unwrap_or(u32::MAX)
    }
}

/// Memory per pending wait, in bytes, and how it was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitMemory {
    /// Bytes per wait.
    pub bytes_per_wait: f64,
    /// Where the figure comes from.
    pub source: MemorySource,
}

/// How a [`WaitMemory`] was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemorySource {
    /// Growth of this process's resident set (`VmRSS`): thread stacks are
    /// mapped memory, invisible to the allocator.
    ResidentGrowth,
    /// Heap retained by the spawned tasks, from the kit's counting
    /// allocator (exact; installed in the `mastery` binary).
    HeapRetained,
    /// The mean resident set (`/proc/PID/status`) of the children still
    /// running when sampled; shared library pages count in every child.
    ChildResident,
}

impl fmt::Display for MemorySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemorySource::ResidentGrowth => "RSS",
            MemorySource::HeapRetained => "heap",
            MemorySource::ChildResident => "child RSS",
        })
    }
}

/// A field of `/proc/PID/status` (`VmRSS`, `VmSize`) in bytes, on Linux.
fn proc_status_bytes(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/status")),
        None => PathBuf::from("/proc/self/status"),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// M OS threads, each sleeping `wait` (a blocking read's stand-in).
///
/// # Errors
/// [`TradeoffError::Spawn`] naming the first thread that could not start
/// (the started ones finish their wait first).
pub fn waits_threads(waits: usize, wait: Duration) -> Result<WaitRun, TradeoffError> {
    let completed = AtomicUsize::new(0);
    let rss_before = proc_status_bytes(None, "VmRSS");
    let started = Instant::now();
    let mut memory = None;
    let spawned = thread::scope(|s| {
        let mut handles = Vec::with_capacity(waits);
        for index in 0..waits {
            let completed = &completed;
            let handle = thread::Builder::new()
                .spawn_scoped(s, move || {
                    thread::sleep(wait);
                    completed.fetch_add(1, Ordering::Relaxed);
                })
                .map_err(|source| TradeoffError::Spawn {
                    what: "thread".into(),
                    index,
                    source,
                })?;
            handles.push(handle);
        }
        // Every thread started is still there, finished or not: a scoped
        // thread keeps its stack mapped until it is joined, below.
        if let (Some(before), Some(during)) = (rss_before, proc_status_bytes(None, "VmRSS")) {
            memory = (waits > 0).then(|| WaitMemory {
                bytes_per_wait: during.saturating_sub(before) as f64 / waits as f64,
                source: MemorySource::ResidentGrowth,
            });
        }
        for handle in handles {
            handle
                .join()
                .map_err(|_| TradeoffError::Panicked("waiting thread"))?;
        }
        Ok::<_, TradeoffError>(waits)
    })?;
    Ok(WaitRun {
        waits: spawned,
        completed: completed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        memory,
    })
}

/// M tokio tasks on `runtime`, each awaiting a `wait`-long timer.
///
/// # Errors
/// [`TradeoffError::Panicked`] when a task panicked.
pub fn waits_tasks(
    runtime: &Runtime,
    waits: usize,
    wait: Duration,
) -> Result<WaitRun, TradeoffError> {
    runtime.block_on(async {
        let started = Instant::now();
        let (mut set, heap) = mastery_kit::memory::heap_use_during(|| {
            let mut set = JoinSet::new();
            for _ in 0..waits {
                set.spawn(tokio::time::sleep(wait));
            }
            set
        });
        let memory = heap.map(|h| WaitMemory {
            bytes_per_wait: h.retained_bytes as f64 / waits.max(1) as f64,
            source: MemorySource::HeapRetained,
        });
        let mut completed = 0;
        while let Some(joined) = set.join_next().await {
            joined.map_err(|_| TradeoffError::Panicked("waiting task"))?;
            completed += 1;
        }
        Ok(WaitRun {
            waits,
            completed,
            elapsed: started.elapsed(),
            memory,
        })
    })
}

/// M child processes of `program` (`sleep`), each given the wait in
/// seconds as its argument, started one after another and all waited for.
/// A process is the heaviest kind of wait: this measures process start-up.
///
/// # Errors
/// [`TradeoffError::Spawn`] when a child cannot be started (those already
/// started are killed and reaped), [`TradeoffError::Child`] when one fails.
pub fn waits_processes(
    program: &str,
    waits: usize,
    wait: Duration,
) -> Result<WaitRun, TradeoffError> {
    let seconds = format!("{:.3}", wait.as_secs_f64());
    let started = Instant::now();
    let mut children: Vec<Child> = Vec::with_capacity(waits);
    let mut failure = None;
    for index in 0..waits {
        let spawned = Command::new(program)
            .arg(&seconds)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => children.push(child),
            Err(source) => {
                failure = Some(TradeoffError::Spawn {
                    what: format!("process `{program}`"),
                    index,
                    source,
                });
                break;
            }
        }
    }
    let resident: Vec<u64> = children
        .iter()
        .filter_map(|c| proc_status_bytes(Some(c.id()), "VmRSS"))
        .collect();
    let memory = (!resident.is_empty()).then(|| WaitMemory {
        bytes_per_wait: resident.iter().sum::<u64>() as f64 / resident.len() as f64,
        source: MemorySource::ChildResident,
    });
    let mut completed = 0;
    for child in &mut children {
        if failure.is_some() {
            let _ = child.kill();
        }
        let pid = child.id();
        match child.wait() {
            Ok(status) if status.success() => completed += 1,
            Ok(status) => {
                failure.get_or_insert(TradeoffError::Child {
                    what: format!("process `{program}`"),
                    pid,
                    status: format!("exited with {status}"),
                });
            }
            Err(e) => {
                failure.get_or_insert(TradeoffError::Child {
                    what: format!("process `{program}`"),
                    pid,
                    status: format!("could not be waited for: {e}"),
                });
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(WaitRun {
            waits,
            completed,
            elapsed: started.elapsed(),
            memory,
        }),
    }
}

// ---- the demo ---------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_time()
        .build()
        .map_err(TradeoffError::Runtime)?;
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(TradeoffError::Runtime)?;
    let mut table = Table::new([
        "",
        "1 thread",
        "N threads",
        "N processes",
        "N tasks (mt)",
        "N tasks (1t)",
    ]);
    let speedups = cpu_bound(n, cores, &multi, &current, &mut table)?;
    io_bound(n, &multi, &current, &mut table)?;
    n.section("The table: every cell measured above, in this run");
    n.say(&format!(
        "N = {cores} (the cores of this machine) for CPU work; N = M, the number of waits, for \
         IO. CPU cells: MB/s (median) and speed-up over one thread. IO cells: wall time for all \
         M waits, then the cost per wait beyond the wait itself. \"mt\" is tokio's \
         multi-thread runtime with {cores} workers, \"1t\" its current-thread runtime. Memory: RSS \
         growth of this process per thread (stacks), a child's RSS per process, heap per task, \
         at the largest M each column ran."
    ));
    table.show(n);
    let measured: Vec<String> = speedups
        .iter()
        .map(|(name, x)| format!("{name} {x:.2}×"))
        .collect();
    n.say(&format!(
        "Read it by row. CPU-bound, against one thread in this run: {}. Threads and processes \
         can use the cores, processes after a start-up and a copy of every chunk through a \
         pipe; async tasks run in parallel only on a multi-thread runtime, and on a \
         current-thread runtime they take turns. Word counting is bound by hash-table \
         lookups in caches the cores share, so it scales less than pure arithmetic (compare \
         the no-lock scheme of perf/gil-experiments) and suffers most from other load on the \
         machine: read the spreads above. IO-bound: the waits overlap in every column; what \
         differs is what each wait costs to start and to hold — a task, a thread with its \
         stack, or a whole process.",
        measured.join(", ")
    ));
    Ok(())
}

/// One CPU-bound variant: a name and a run of the count.
type Variant<'a> = (
    &'a str,
    Box<dyn FnMut() -> Result<WordCounts, TradeoffError> + 'a>,
);

fn cpu_bound(
    n: &mut Narrator,
    cores: usize,
    multi: &Runtime,
    current: &Runtime,
    table: &mut Table,
) -> anyhow::Result<Vec<(String, f64)>> {
    // Quick mode's corpus is small, so its vocabulary is too: otherwise
    // every worker's table would spend the run learning 50 000 words and the
    // run would measure table building, not counting.
    let spec = CorpusSpec {
        vocabulary: n.mode().pick(5_000, CorpusSpec::DEFAULT_VOCABULARY),
        ..CorpusSpec::new(n.mode().pick(4_000_000, 32_000_000), 7)
    };
    let samples = n.mode().pick(5, 7);
    n.section("CPU-bound: word count, the same kernel in every column");
    let owned = spec.generate()?;
    let text: &str = &owned;
    let shared: Arc<str> = Arc::from(text);
    let chunk = default_chunk_bytes(text.len(), cores);
    let reference = count_single(text);
    n.say(&format!(
        "A generated corpus of {} MB ({} words, {} distinct of a {}-word vocabulary), cut into \
         chunks of {} KiB. Each variant's counts are compared with the single-thread count \
         before any figure is kept. Median of {samples} runs, the variants interleaved.",
        text.len() / 1_000_000,
        reference.total(),
        reference.distinct(),
        spec.vocabulary,
        chunk / 1024
    ));
    let worker_program = n.settings().worker_program.clone();
    let workers = match start_workers(worker_program.as_deref(), cores) {
        Ok((pool, startup)) => {
            n.record(
                &format!("start {cores} worker processes and shake hands (ms)"),
                millis(startup),
                Unit::Millis,
            );
            Ok(pool)
        }
        Err(e) => Err(e),
    };
    let mut variants: Vec<Variant<'_>> = vec![
        ("1 thread", Box::new(|| Ok(count_single(text)))),
        ("N threads", Box::new(|| count_threads(text, chunk, cores))),
    ];
    let mut process_note = None;
    match workers {
        Ok(mut pool) => variants.push((
            "N processes",
            Box::new(move || Ok(pool.count(text, chunk)?)),
        )),
        Err(e) => process_note = Some(e.to_string()),
    }
    variants.push((
        "N tasks (mt)",
        Box::new(|| count_tasks(multi, &shared, chunk, cores)),
    ));
    variants.push((
        "N tasks (1t)",
        Box::new(|| count_tasks(current, &shared, chunk, cores)),
    ));
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..=samples {
        for (i, (name, run)) in variants.iter_mut().enumerate() {
            let started = Instant::now();
            let counts = run()?;
            let secs = started.elapsed().as_secs_f64();
            if let Some(difference) = reference.first_difference(&counts) {
                anyhow::bail!("{name} counted differently from one thread: {difference}");
            }
            if round > 0 {
                // Round 0 is the warm-up (and the first use of each runtime).
                rates[i].push(spec.bytes as f64 / 1e6 / secs.max(1e-9));
            }
        }
    }
    let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
    drop(variants);
    let spreads: Vec<Spread> = rates.into_iter().map(Spread::of).collect();
    let single = spreads[0].median;
    let mut row = vec![format!("CPU: count {} MB", spec.bytes / 1_000_000)];
    let cell_for = |column: &str| -> String {
        let Some(i) = names.iter().position(|&name| name == column) else {
            return "needs the mastery binary".into();
        };
        let s = spreads[i];
        if i == 0 {
            format!("{:.0} MB/s", s.median)
        } else {
            format!("{:.0} MB/s {:.2}×", s.median, s.median / single.max(1e-9))
        }
    };
    for column in &table.header[1..] {
        row.push(cell_for(column));
    }
    for (name, s) in names.iter().zip(&spreads) {
        n.record(
            &format!("word count, {name} (MB/s; runs {:.0}–{:.0})", s.min, s.max),
            s.median,
            Unit::MegabytesPerSec,
        );
    }
    if let Some(note) = process_note {
        n.say(&format!("N processes: not measured — {note}."));
    }
    let median_of = |column: &str| {
        names
            .iter()
            .position(|&name| name == column)
            .map(|i| spreads[i].median)
    };
    if let Some(threads) = median_of("N threads") {
        n.compare(
            &format!("word count: {cores} threads (ours) against 1 thread (MB/s)"),
            threads,
            single,
            "1 thread",
            Unit::MegabytesPerSec,
        );
        if let Some(processes) = median_of("N processes") {
            n.compare(
                &format!("word count: {cores} threads (ours) against {cores} processes (MB/s)"),
                threads,
                processes,
                "worker processes over pipes",
                Unit::MegabytesPerSec,
            );
        }
    }
    if let (Some(mt), Some(ct)) = (median_of("N tasks (mt)"), median_of("N tasks (1t)")) {
        n.compare(
            &format!("word count: {cores} tasks, multi-thread runtime (ours) against current-thread (MB/s)"),
            mt,
            ct,
            "current-thread runtime",
            Unit::MegabytesPerSec,
        );
    }
    table.rows.push(row);
    Ok(names
        .iter()
        .zip(&spreads)
        .skip(1)
        .map(|(name, s)| ((*name).to_owned(), s.median / single.max(1e-9)))
        .collect())
}

fn io_bound(
    n: &mut Narrator,
    multi: &Runtime,
    current: &Runtime,
    table: &mut Table,
) -> anyhow::Result<()> {
    let wait = Duration::from_millis(n.mode().pick(20, 100));
    let counts: Vec<usize> = n.mode().pick(vec![100, 1_000], vec![100, 1_000, 10_000]);
    let max_processes = n.mode().pick(100, 1_000);
    n.section("IO-bound: M concurrent waits");
    n.say(&format!(
        "Each wait is a {} ms timer — what a socket read costs a thread that is not \
         computing. M threads each sleep; M tokio tasks each await a timer; M child processes \
         of `sleep` each sleep (the process column measures process start-up, up to M = \
         {max_processes}). Every run must complete all M waits.",
        wait.as_millis()
    ));
    // Per column, the memory of its largest run: (M, figure).
    let mut memory_row: [Option<(usize, WaitMemory)>; 4] = [None; 4];
    for &m in &counts {
        let mut row = vec![format!("IO: {m} waits of {} ms", wait.as_millis())];
        row.push("—".into());
        let runs: [(&str, Option<Result<WaitRun, TradeoffError>>); 4] = [
            ("threads", Some(waits_threads(m, wait))),
            (
                "processes of `sleep`",
                (m <= max_processes).then(|| waits_processes("sleep", m, wait)),
            ),
            (
                "tasks, multi-thread runtime",
                Some(waits_tasks(multi, m, wait)),
            ),
            (
                "tasks, current-thread runtime",
                Some(waits_tasks(current, m, wait)),
            ),
        ];
        for (column, (what, run)) in runs.into_iter().enumerate() {
            let cell = match run {
                None => "not run".to_owned(),
                Some(Err(e)) => {
                    n.say(&format!("{m} waits with {what}: {e}"));
                    "failed (see above)".to_owned()
                }
                Some(Ok(run)) => {
                    anyhow::ensure!(
                        run.completed == m,
                        "{what}: {} of {m} waits completed",
                        run.completed
                    );
                    let per = run.overhead_per_wait(wait);
                    n.record(
                        &format!("{m} waits, {what}: wall time (ms)"),
                        millis(run.elapsed),
                        Unit::Millis,
                    );
                    n.record(
                        &format!("{m} waits, {what}: cost per wait beyond the wait (ns)"),
                        per.as_secs_f64() * 1e9,
                        Unit::NsPerOp,
                    );
                    if let Some(memory) = run.memory {
                        memory_row[column] = Some((m, memory));
                        n.record(
                            &format!("{m} waits, {what}: memory per wait ({})", memory.source),
                            memory.bytes_per_wait,
                            Unit::Bytes,
                        );
                    }
                    format!("{:.0} ms +{}", millis(run.elapsed), short_duration(per))
                }
            };
            row.push(cell);
        }
        table.rows.push(row);
    }
    let mut row = vec!["IO: memory per wait, top M".to_owned(), "—".to_owned()];
    for cell in memory_row {
        row.push(match cell {
            Some((_, memory)) => {
                format!("{} {}", short_bytes(memory.bytes_per_wait), memory.source)
            }
            None => "not measured".to_owned(),
        });
    }
    table.rows.push(row);
    Ok(())
}

/// `312 B`, `23 KiB`, `1.6 MiB`.
fn short_bytes(bytes: f64) -> String {
    if bytes < 1024.0 {
        format!("{bytes:.0} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.0} KiB", bytes / 1024.0)
    } else {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    }
}

/// `850 ns`, `12 µs`, `1.3 ms`: a per-wait cost, short enough for a cell.
fn short_duration(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.0} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

/// A small text table shown through the narrator.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new<const N: usize>(header: [&str; N]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    fn show(&self, n: &mut Narrator) {
        let columns = self.header.len();
        let width = |i: usize| {
            std::iter::once(&self.header)
                .chain(&self.rows)
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, &w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" │ ")
        };
        n.show(line(&self.header));
        n.show(
            widths
                .iter()
                .map(|&w| "─".repeat(w))
                .collect::<Vec<_>>()
                .join("─┼─"),
        );
        for row in &self.rows {
            n.show(line(row));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> String {
        CorpusSpec::new(300_000, 11)
            .generate()
            .expect("a valid corpus spec")
    }

    #[test]
    fn threads_and_tasks_count_like_one_thread() {
        let text = corpus();
        let shared: Arc<str> = Arc::from(text.as_str());
        let reference = count_single(&text);
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        for workers in [1, 2, 3, 8] {
            for chunk in [1_000, 64 << 10] {
                let threads = count_threads(&text, chunk, workers).expect("threads start");
                assert_eq!(
                    reference.first_difference(&threads),
                    None,
                    "{workers} threads"
                );
                for rt in [&multi, &current] {
                    let tasks = count_tasks(rt, &shared, chunk, workers).expect("tasks run");
                    assert_eq!(reference.first_difference(&tasks), None, "{workers} tasks");
                }
            }
        }
        assert_eq!(count_threads("", 10, 2).expect("empty").total(), 0);
    }

    #[test]
    fn worker_processes_need_the_program_and_say_so() {
        let Err(e) = start_workers(None, 2) else {
            panic!("no program must be an error");
        };
        assert!(e.to_string().contains("mastery` binary"), "{e}");
        let missing = Path::new("/nonexistent/mastery-worker");
        let Err(e) = start_workers(Some(missing), 2) else {
            panic!("a missing program must be an error");
        };
        assert!(e.to_string().contains("/nonexistent/mastery-worker"), "{e}");
    }

    #[test]
    fn every_wait_completes_in_every_variant() {
        let wait = Duration::from_millis(5);
        let threads = waits_threads(50, wait).expect("threads start");
        assert_eq!((threads.waits, threads.completed), (50, 50));
        assert!(threads.elapsed >= wait);
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let tasks = waits_tasks(&current, 2_000, wait).expect("tasks run");
        assert_eq!(tasks.completed, 2_000);
        assert!(tasks.elapsed >= wait);
        let processes = waits_processes("sleep", 5, wait).expect("`sleep` is installed");
        assert_eq!(processes.completed, 5);
    }

    #[test]
    fn waits_overlap_rather_than_queue() {
        // 200 waits of 50 ms in sequence would take 10 s; overlapped, far less.
        // The bound is loose on purpose: this asserts concurrency, not speed.
        let wait = Duration::from_millis(50);
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let tasks = waits_tasks(&current, 200, wait).expect("tasks run");
        assert!(tasks.elapsed < wait * 100, "{:?}", tasks.elapsed);
        let threads = waits_threads(200, wait).expect("threads start");
        assert!(threads.elapsed < wait * 100, "{:?}", threads.elapsed);
    }

    #[test]
    fn a_program_that_cannot_start_is_a_clear_error() {
        let err = waits_processes("/nonexistent/sleep", 3, Duration::from_millis(1))
            .expect_err("no such program");
        let text = err.to_string();
        assert!(
            text.contains("/nonexistent/sleep") && text.contains("number 0"),
            "{text}"
        );
        // A program that fails is reported with its exit status.
        let err = waits_processes("false", 2, Duration::from_millis(1)).expect_err("`false` fails");
        assert!(err.to_string().contains("exit status"), "{err}");
    }

    #[test]
    fn proc_status_is_read_where_it_exists() {
        if Path::new("/proc/self/status").exists() {
            assert!(proc_status_bytes(None, "VmRSS").is_some_and(|b| b > 0));
        }
        assert_eq!(proc_status_bytes(None, "NoSuchField"), None);
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("perf/concurrency-tradeoffs", mastery_kit::Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(
            n.measurements()
                .iter()
                .any(|m| m.label.starts_with("1000 waits, tasks"))
        );
        assert!(!n.comparisons().is_empty());
    }
}
