//! The demo: the CPU-bound row, the IO-bound rows and the memory rows of
//! one table, every cell measured in the run.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{
    CorpusSpec, WordCounts, count_single, default_chunk_bytes,
};
use mastery_kit::narrator::millis;
use mastery_kit::stats::Spread;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::runtime::Runtime;

use super::table::Table;
use super::{
    MemorySource, TradeoffError, WaitMemory, WaitRun, count_tasks, count_threads, start_workers,
    waits_processes, waits_tasks, waits_threads,
};
use mastery_kit::take_turns;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/concurrency-tradeoffs",
        area: Area::Perf,
        rank: 4,
        title: "Threads vs processes vs async tasks, for CPU-bound and IO-bound work",
        python: "ThreadPoolExecutor vs ProcessPoolExecutor vs asyncio.gather, for CPU work and for waits",
        rust: "thread::scope vs worker processes over pipes vs tokio tasks (multi- and current-thread), measured in one table",
        path: "perf/src/concurrency_tradeoffs/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The table's columns after the row label: one per variant.
const COLUMNS: [&str; 5] = [
    "1 thread",
    "N threads",
    "N processes",
    "N tasks (mt)",
    "N tasks (1t)",
];

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
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
        "", COLUMNS[0], COLUMNS[1], COLUMNS[2], COLUMNS[3], COLUMNS[4],
    ]);
    let verdicts = cpu_bound(n, cores, &multi, &current, &mut table)?;
    io_bound(n, &multi, &current, &mut table)?;
    n.section("The table: every cell measured above, in this run");
    n.say(&format!(
        "N = {cores} (the cores of this machine) for CPU work; N = M, the number of waits, for \
         IO. CPU cells: MB/s (median) and speed-up over one thread. IO cells: wall time for all \
         M waits, then the cost per wait beyond the wait itself. \"mt\" is tokio's \
         multi-thread runtime with {cores} workers, \"1t\" its current-thread runtime. The memory \
         rows, at the largest M each column ran, measure three different things, one row each, \
         and do not compare with each other: a thread's share of this process's RSS growth (the \
         stack pages it touched), a child process's whole RSS (shared library pages counted in \
         every child), and a task's heap by the counting allocator (only when it is installed)."
    ));
    table.show(n);
    n.say(&format!(
        "Read it by row. CPU-bound, in this run: {}. Threads and processes \
         can use the cores, processes after a start-up and a copy of every chunk through a \
         pipe; async tasks run in parallel only on a multi-thread runtime, and on a \
         current-thread runtime they take turns. Word counting is bound by hash-table \
         lookups in caches the cores share, so it scales less than pure arithmetic (compare \
         the no-lock scheme of perf/gil-experiments) and suffers most from other load on the \
         machine: read the spreads above. IO-bound: the waits overlap in every column; what \
         differs is what each wait costs to start and to hold — a task, a thread with its \
         stack, or a whole process.",
        verdicts.join("; ")
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
) -> anyhow::Result<Vec<String>> {
    // The quick and full corpora are small, so their vocabularies are too:
    // otherwise every worker's table would spend the run learning 50 000
    // words and the run would measure table building, not counting.
    let spec = CorpusSpec {
        vocabulary: n
            .mode()
            .pick_deep(5_000, 10_000, CorpusSpec::DEFAULT_VOCABULARY),
        ..CorpusSpec::new(n.mode().pick_deep(500_000, 4_000_000, 32_000_000), 7)
    };
    let rounds = n.samples();
    n.section("CPU-bound: word count, the same kernel in every column");
    let owned = spec.generate()?;
    let text: &str = &owned;
    let shared: Arc<str> = Arc::from(text);
    let chunk = default_chunk_bytes(text.len(), cores);
    let reference = count_single(text);
    n.say(&format!(
        "A generated corpus of {} MB ({} words, {} distinct of a {}-word vocabulary), cut into \
         chunks of {} KiB. Each variant's counts are compared with the single-thread count \
         before any figure is kept. After a warm-up round the variants take turns, {rounds} \
         rounds, forward and then backward; each comparison pairs two variants round by \
         round (`--deep` counts 32 MB).",
        text.len() as f64 / 1e6,
        reference.total(),
        reference.distinct(),
        spec.vocabulary,
        chunk / 1024
    ));
    let worker_program = n.settings().worker_program.clone();
    let workers = match start_workers(worker_program.as_deref(), cores) {
        Ok((pool, startup)) => {
            n.record_duration(
                &format!("start {cores} worker processes and shake hands (ms)"),
                startup,
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
    let count = variants.len();
    let mut rate_of = |i: usize| -> anyhow::Result<f64> {
        let (name, run) = &mut variants[i];
        let started = Instant::now();
        let counts = run()?;
        let secs = started.elapsed().as_secs_f64();
        if let Some(difference) = reference.first_difference(&counts) {
            anyhow::bail!("{name} counted differently from one thread: {difference}");
        }
        Ok(spec.bytes as f64 / 1e6 / secs.max(1e-9))
    };
    // A warm-up round first: the first use of each runtime and pool.
    for i in 0..count {
        rate_of(i)?;
    }
    let rates = take_turns(rounds, count, rate_of)?;
    let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
    drop(variants);
    let spreads: Vec<Spread> = rates.iter().map(|r| Spread::of(r.clone())).collect();
    let single = spreads[0].median;
    let mut row = vec![format!("CPU: count {} MB", spec.bytes as f64 / 1e6)];
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
    for column in COLUMNS {
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
    let samples_of = |column: &str| {
        names
            .iter()
            .position(|&name| name == column)
            .map(|i| rates[i].as_slice())
    };
    let mut verdicts = Vec::new();
    if let Some(threads) = samples_of("N threads") {
        let c = n.compare_samples(
            &format!("word count: {cores} threads (ours) against 1 thread (MB/s)"),
            threads,
            &rates[0],
            "1 thread",
            Unit::MegabytesPerSec,
        );
        verdicts.push(format!(
            "{cores} threads against one thread: {}",
            c.faster_or_slower()
        ));
        if let Some(processes) = samples_of("N processes") {
            let c = n.compare_samples(
                &format!("word count: {cores} threads (ours) against {cores} processes (MB/s)"),
                threads,
                processes,
                "worker processes over pipes",
                Unit::MegabytesPerSec,
            );
            verdicts.push(format!(
                "{cores} threads against {cores} processes: {}",
                c.faster_or_slower()
            ));
        }
    }
    if let (Some(mt), Some(ct)) = (samples_of("N tasks (mt)"), samples_of("N tasks (1t)")) {
        let c = n.compare_samples(
            &format!("word count: {cores} tasks, multi-thread runtime (ours) against current-thread (MB/s)"),
            mt,
            ct,
            "current-thread runtime",
            Unit::MegabytesPerSec,
        );
        verdicts.push(format!(
            "{cores} tasks on the multi-thread runtime against the current-thread one: {}",
            c.faster_or_slower()
        ));
    }
    table.rows.push(row);
    Ok(verdicts)
}

fn io_bound(
    n: &mut Narrator,
    multi: &Runtime,
    current: &Runtime,
    table: &mut Table,
) -> anyhow::Result<()> {
    let wait = Duration::from_millis(n.mode().pick_deep(10, 20, 100));
    let counts: Vec<usize> =
        n.mode()
            .pick_deep(vec![10, 100], vec![100, 1_000], vec![100, 1_000, 10_000]);
    let max_processes = n.mode().pick_deep(10, 100, 1_000);
    n.section("IO-bound: M concurrent waits");
    n.say(&format!(
        "Each wait is a {} ms timer — what a socket read costs a thread that is not \
         computing. M threads each sleep; M tokio tasks each await a timer; M child processes \
         of `sleep` each sleep (the process column measures process start-up, up to M = \
         {max_processes}; `--deep` waits 100 ms, up to M = 10000 and 1000 processes). Every \
         run must complete all M waits.",
        wait.as_millis()
    ));
    // Per column, the memory of its largest run: (M, figure).
    let mut memory: [Option<(usize, WaitMemory)>; 4] = [None; 4];
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
                    n.record_duration(&format!("{m} waits, {what}: wall time (ms)"), run.elapsed);
                    n.record(
                        &format!("{m} waits, {what}: cost per wait beyond the wait (ns)"),
                        per.as_secs_f64() * 1e9,
                        Unit::NsPerOp,
                    );
                    if let Some(held) = run.memory {
                        memory[column] = Some((m, held));
                        // The label names the quantity: each source measures
                        // a different one.
                        n.record(
                            &format!("{m} waits, {what}: {}", held.source.quantity()),
                            held.bytes_per_wait,
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
    table.rows.extend(memory_rows(&memory));
    Ok(())
}

/// The table's label for the memory row of `source`: short enough for the
/// table, and naming its own quantity (the records carry the full
/// [`MemorySource::quantity`]).
pub(super) fn memory_row_label(source: MemorySource) -> &'static str {
    match source {
        MemorySource::ResidentGrowth => "memory: RSS growth per thread",
        MemorySource::ChildResident => "memory: child's RSS, shared pages too",
        MemorySource::HeapRetained => "memory: heap per task",
    }
}

/// The memory rows of the table: one per [`MemorySource`] that measured
/// anything, its label naming the quantity, with a figure only in the
/// columns measured that way. `memory` holds, per IO column (threads,
/// processes, tasks mt, tasks 1t), the largest run's M and figure.
///
/// The sources are different quantities (RSS growth, a child's whole RSS,
/// heap bytes), so no row holds two of them: a reader comparing across a
/// row compares like with like.
pub(super) fn memory_rows(memory: &[Option<(usize, WaitMemory)>; 4]) -> Vec<Vec<String>> {
    if memory.iter().all(Option::is_none) {
        let mut row = vec!["memory per wait".to_owned(), "—".to_owned()];
        row.extend(memory.iter().map(|_| "not measured".to_owned()));
        return vec![row];
    }
    MemorySource::ALL
        .into_iter()
        .filter(|&source| {
            memory
                .iter()
                .flatten()
                .any(|(_, held)| held.source == source)
        })
        .map(|source| {
            let mut row = vec![memory_row_label(source).to_owned(), "—".to_owned()];
            row.extend(memory.iter().map(|cell| match cell {
                Some((m, held)) if held.source == source => {
                    format!("{} (M = {m})", short_bytes(held.bytes_per_wait))
                }
                _ => "—".to_owned(),
            }));
            row
        })
        .collect()
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
