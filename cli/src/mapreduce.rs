//! `mastery mapreduce`: count the words of a generated corpus with one of
//! the engines of `mastery_concurrency::mapreduce_demo`, and the hidden
//! `mastery worker` that the `processes` engine starts.
//!
//! The summary goes to stdout as `key: value` lines (engine, bytes, words,
//! distinct, seconds, throughput, digest), then the `--top K` words;
//! `--output FILE` writes the whole table as TSV. Only counting is timed:
//! generating the corpus, starting workers and connecting to peers are
//! reported on lines of their own. Exit codes: 0 ok, 1 the count failed
//! (a worker died, a peer was unreachable), 2 usage error (bad option,
//! hostfile, process index).
//!
//! For `--engine timely` with several processes, every process generates
//! only its share of the corpus and runs the same dataflow; process 0 (the
//! one holding timely worker 0) prints the result, the others a line about
//! their share. See the lesson of `concurrency/mapreduce` for running it
//! on a cluster.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{
    CRASH_ENV, CRASH_EXIT_CODE, ClusterSpec, CorpusSpec, RunSummary, TimelySetup, WorkerExit,
    WorkerOptions, WorkerPool, count_rayon_on, count_single, count_timely, default_chunk_bytes,
    serve_worker, started_by_hand,
};
use mastery_tooling::cli_tools::{MapreduceArgs, MapreduceEngine, WorkerArgs};

use crate::error::{AppError, EXIT_USAGE};

mod inputs;

/// Carries out `mastery mapreduce`; `Ok` holds the exit code.
/// `worker_program` is the `mastery` binary, which the processes engine
/// starts as `mastery worker`.
///
/// # Errors
/// [`AppError::Usage`] for options that do not fit together, a bad corpus
/// description, hostfile or process index; [`AppError::Failure`] when the
/// count itself fails or the output cannot be written.
pub fn mapreduce(args: &MapreduceArgs, worker_program: Option<&Path>) -> Result<u8, AppError> {
    let workers = workers(args)?;
    if args.engine != MapreduceEngine::Timely {
        for (given, flag) in [
            (args.processes.is_some(), "--processes"),
            (args.process.is_some(), "--process"),
            (args.hostfile.is_some(), "--hostfile"),
        ] {
            if given {
                return Err(usage(&format!(
                    "{flag} is for --engine timely; the {} engine runs in this process",
                    engine_name(args.engine)
                )));
            }
        }
    }
    if !args.input.is_empty() {
        return inputs::count_inputs(args, workers, worker_program);
    }
    let spec = corpus_spec(args)?;
    let chunk_bytes = chunk_bytes(args, spec.bytes as u64, workers)?;
    match args.engine {
        MapreduceEngine::Timely => timely(args, &spec, workers, chunk_bytes),
        engine => on_this_process(args, engine, &spec, workers, chunk_bytes, worker_program),
    }
}

/// `--workers`, or one per core.
fn workers(args: &MapreduceArgs) -> Result<usize, AppError> {
    match args.workers {
        Some(0) => Err(usage("--workers must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from)),
    }
}

/// `--chunk-bytes`, or a size that suits `total_bytes` and `workers`.
fn chunk_bytes(args: &MapreduceArgs, total_bytes: u64, workers: usize) -> Result<usize, AppError> {
    match args.chunk_bytes {
        Some(0) => Err(usage("--chunk-bytes must be at least 1")),
        Some(n) => usize::try_from(n).map_err(|_| usage("--chunk-bytes is too large")),
        None => Ok(default_chunk_bytes(
            usize::try_from(total_bytes).unwrap_or(usize::MAX),
            workers,
        )),
    }
}

fn usage(message: &str) -> AppError {
    AppError::usage(message)
}

fn failure(error: impl Into<anyhow::Error>) -> AppError {
    AppError::failure(error)
}

fn engine_name(engine: MapreduceEngine) -> &'static str {
    match engine {
        MapreduceEngine::Single => "single",
        MapreduceEngine::Rayon => "rayon",
        MapreduceEngine::Processes => "processes",
        MapreduceEngine::Timely => "timely",
    }
}

fn corpus_spec(args: &MapreduceArgs) -> Result<CorpusSpec, AppError> {
    let bytes = usize::try_from(args.bytes)
        .map_err(|_| usage(&format!("--bytes {} is too large", args.bytes)))?;
    let spec = CorpusSpec {
        vocabulary: args.vocabulary,
        ..CorpusSpec::new(bytes, args.seed)
    };
    if spec.vocabulary == 0 || spec.vocabulary > CorpusSpec::MAX_VOCABULARY {
        return Err(usage(&format!(
            "--vocabulary must be 1 to {}, not {}",
            CorpusSpec::MAX_VOCABULARY,
            spec.vocabulary
        )));
    }
    Ok(spec)
}

/// `single`, `rayon` and `processes`: the whole corpus in this process.
fn on_this_process(
    args: &MapreduceArgs,
    engine: MapreduceEngine,
    spec: &CorpusSpec,
    workers: usize,
    chunk_bytes: usize,
    worker_program: Option<&Path>,
) -> Result<u8, AppError> {
    let generating = Instant::now();
    let text = spec
        .generate()
        .map_err(|e| AppError::Usage(e.to_string()))?;
    let generated = generating.elapsed();
    let mut notes = vec![format!(
        "generated:  {:.3} s (not counted)",
        generated.as_secs_f64()
    )];
    let (label, counts, elapsed) = match engine {
        MapreduceEngine::Single => {
            let started = Instant::now();
            let counts = count_single(&text);
            ("one thread".to_owned(), counts, started.elapsed())
        }
        MapreduceEngine::Rayon => {
            let started = Instant::now();
            let counts = count_rayon_on(&text, chunk_bytes, workers).map_err(failure)?;
            (
                format!("rayon, {workers} threads"),
                counts,
                started.elapsed(),
            )
        }
        MapreduceEngine::Processes => {
            let program = worker_program.ok_or_else(|| {
                failure(anyhow::anyhow!(
                    "the processes engine starts the mastery binary as workers, and this program \
                     does not know where that binary is"
                ))
            })?;
            let starting = Instant::now();
            let mut pool = WorkerPool::spawn(program, workers).map_err(failure)?;
            notes.push(format!(
                "started:    {workers} workers (pids {:?}) in {:.3} s (not counted)",
                pool.pids(),
                starting.elapsed().as_secs_f64()
            ));
            let started = Instant::now();
            let counts = pool.count(&text, chunk_bytes).map_err(failure)?;
            (
                format!("{workers} worker processes"),
                counts,
                started.elapsed(),
            )
        }
        MapreduceEngine::Timely => unreachable_engine()?,
    };
    let summary = RunSummary::new(label, spec.bytes as u64, &counts, elapsed);
    report(args, &summary, &notes, &counts)
}

/// The timely engine is dispatched before `on_this_process`; reaching it
/// there is a bug, reported as a failure rather than a panic.
fn unreachable_engine<T>() -> Result<T, AppError> {
    Err(failure(anyhow::anyhow!(
        "internal error: the timely engine reached the single-process path"
    )))
}

fn timely(
    args: &MapreduceArgs,
    spec: &CorpusSpec,
    threads: usize,
    chunk_bytes: usize,
) -> Result<u8, AppError> {
    let cluster = cluster_spec(args)?;
    let (processes, process) = (cluster.processes(), cluster.process);
    let generating = Instant::now();
    let share = spec
        .generate_share(process, processes)
        .map_err(|e| AppError::Usage(e.to_string()))?;
    let generated = generating.elapsed();
    let share_bytes = share.len();
    let setup = TimelySetup {
        threads,
        cluster: Some(cluster),
        chunk_bytes,
    };
    let run = count_timely(Arc::new(share), &setup).map_err(timely_error)?;
    let label = format!(
        "timely, {processes} process{} × {threads} worker thread{}",
        if processes == 1 { "" } else { "es" },
        if threads == 1 { "" } else { "s" }
    );
    let notes = [
        format!(
            "generated:  {:.3} s for this process's share, {share_bytes} bytes (not counted)",
            generated.as_secs_f64()
        ),
        format!(
            "connected:  {:.3} s (not counted)",
            run.connect.as_secs_f64()
        ),
    ];
    match &run.counts {
        Some(counts) => {
            let summary = RunSummary::new(label, spec.bytes as u64, counts, run.count);
            report(args, &summary, &notes, counts)
        }
        None => {
            let mut out = io::stdout().lock();
            writeln!(
                out,
                "process {process} of {processes}: counted its share ({share_bytes} bytes) in \
                 {:.3} s with {threads} worker thread{}; process 0 prints the result",
                run.count.as_secs_f64(),
                if threads == 1 { "" } else { "s" }
            )?;
            Ok(0)
        }
    }
}

/// The timely processes: `--processes`, `--process`, `--hostfile` (or the
/// loopback defaults) and `--connect-timeout`.
fn cluster_spec(args: &MapreduceArgs) -> Result<ClusterSpec, AppError> {
    let processes = args.processes.unwrap_or(1);
    let process = args.process.unwrap_or(0);
    if !(args.connect_timeout.is_finite() && args.connect_timeout > 0.0) {
        return Err(usage(&format!(
            "--connect-timeout must be a positive number of seconds, not {}",
            args.connect_timeout
        )));
    }
    let timeout = Duration::from_secs_f64(args.connect_timeout.min(86_400.0));
    match &args.hostfile {
        Some(path) => ClusterSpec::from_hostfile(path, processes, process, timeout),
        None => ClusterSpec::loopback(processes, process, timeout),
    }
    .map_err(timely_error)
}

fn timely_error(e: mastery_concurrency::mapreduce_demo::TimelyError) -> AppError {
    if e.is_usage() {
        AppError::Usage(e.to_string())
    } else {
        failure(e)
    }
}

fn report(
    args: &MapreduceArgs,
    summary: &RunSummary,
    notes: &[String],
    counts: &mastery_concurrency::mapreduce_demo::WordCounts,
) -> Result<u8, AppError> {
    if let Some(path) = &args.output {
        write_table(path, counts)?;
    }
    let mut out = io::stdout().lock();
    write!(out, "{}", summary.render())?;
    for note in notes {
        writeln!(out, "{note}")?;
    }
    if let Some(path) = &args.output {
        writeln!(
            out,
            "table:      {} words written to {}",
            counts.distinct(),
            path.display()
        )?;
    }
    if args.top > 0 {
        writeln!(out, "top {}:", args.top)?;
        for (word, count) in counts.top(args.top) {
            writeln!(out, "  {count:>12}  {word}")?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn write_table(
    path: &Path,
    counts: &mastery_concurrency::mapreduce_demo::WordCounts,
) -> Result<(), AppError> {
    let file = File::create(path)
        .map_err(|e| AppError::Usage(format!("cannot create {}: {e}", path.display())))?;
    counts
        .write_tsv(BufWriter::new(file))
        .map_err(|e| failure(anyhow::anyhow!("writing {}: {e}", path.display())))
}

/// Carries out the hidden `mastery worker`: speaks the worker protocol on
/// stdin/stdout until the parent closes stdin. Started by hand (a
/// terminal on either side) it explains itself and exits 2 instead of
/// printing binary frames. The [`CRASH_ENV`] test hook makes it exit with
/// [`CRASH_EXIT_CODE`] mid-job.
///
/// # Errors
/// [`AppError::Usage`] for a malformed [`CRASH_ENV`]; [`AppError::Failure`]
/// when the parent breaks the protocol or a pipe fails.
pub fn worker(args: &WorkerArgs) -> Result<u8, AppError> {
    if started_by_hand() {
        eprintln!(
            "`mastery worker` is the word-count worker that `mastery mapreduce --engine processes` \
             starts; it speaks a binary protocol on stdin and stdout and has nothing to do on its \
             own.\nTry: mastery mapreduce --engine processes --bytes 10MB"
        );
        return Ok(EXIT_USAGE);
    }
    let crash = std::env::var(CRASH_ENV).ok();
    let options =
        WorkerOptions::from_crash_spec(args.index, crash.as_deref()).map_err(AppError::Usage)?;
    match serve_worker(io::stdin().lock(), io::stdout().lock(), options) {
        Ok(WorkerExit::ParentClosed { .. }) => Ok(0),
        Ok(WorkerExit::CrashRequested { chunk }) => {
            eprintln!(
                "mastery worker {}: exiting at chunk {chunk} as {CRASH_ENV} asks",
                args.index
            );
            std::process::exit(CRASH_EXIT_CODE)
        }
        Err(e) => Err(failure(anyhow::anyhow!("worker {}: {e}", args.index))),
    }
}
