//! `mastery mapreduce --input PATH...`: count the words of the reader's
//! own files — files, directories, `-` for stdin — streamed through a
//! bounded queue to the engine, so memory stays about the chunk size times
//! the workers whatever the size of the input (the summary reports this
//! process's peak heap, which a test checks).
//!
//! The rules (order, what is skipped, bytes that are not UTF-8, words over
//! the limit) are in `mastery_concurrency::mapreduce_demo`'s `inputs.rs`
//! and `chunk_reader.rs`. For `--engine timely` across processes, every
//! process is given the same paths and reads the words that start in its
//! byte range of them ([`InputList::share`]); per-host different paths are
//! not supported (process 0 checks that every process listed the same
//! inputs, and fails if not). Exit codes: 2 for an input that cannot be opened or
//! listed (or `-` twice, or stdin in a multi-process run, or a word over
//! the limit), 1 for a read that fails part-way.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{
    ChunkReader, InputError, InputList, ReadStats, RunSummary, StreamError, TimelySetup,
    WordCounts, WorkerPool, count_rayon_stream, count_single_inputs, count_timely_stream,
    stream_chunks,
};
use mastery_tooling::cli_tools::{MapreduceArgs, MapreduceEngine};

use super::{chunk_bytes, cluster_spec, failure, report, timely_error};
use crate::error::AppError;

/// What the engine produced on this process.
struct Counted {
    label: String,
    /// `None` on a timely process that does not hold worker 0.
    counts: Option<WordCounts>,
    stats: ReadStats,
    elapsed: Duration,
    notes: Vec<String>,
}

/// Carries out `mastery mapreduce --input`; `Ok` holds the exit code.
///
/// # Errors
/// [`AppError::Usage`] for inputs that cannot be used as named;
/// [`AppError::Failure`] when reading fails part-way or the engine fails.
pub(super) fn count_inputs(
    args: &MapreduceArgs,
    workers: usize,
    worker_program: Option<&Path>,
) -> Result<u8, AppError> {
    let list = InputList::expand(&args.input).map_err(input_error)?;
    let chunk_bytes = chunk_bytes(args, list.total_bytes().unwrap_or(u64::MAX), workers)?;
    let cluster = match args.engine {
        MapreduceEngine::Timely => Some(cluster_spec(args)?),
        _ => None,
    };
    let (process, processes) = cluster
        .as_ref()
        .map_or((0, 1), |c| (c.process, c.processes()));
    let pieces = list.share(process, processes).map_err(input_error)?;
    let reader = ChunkReader::new(pieces, chunk_bytes);
    // A queue as deep as there are workers: each worker finds a chunk
    // waiting when it finishes one, and the text in memory stays at most
    // about (2 × workers + 1) chunks.
    let depth = workers;
    let (counted, peak_heap) = mastery_kit::memory::peak_heap_during(|| {
        let setup = cluster.map(|cluster| TimelySetup {
            threads: workers,
            cluster: Some(cluster),
            chunk_bytes,
        });
        let timely = setup.map(|setup| (setup, list.fingerprint()));
        count(args.engine, reader, depth, workers, timely, worker_program)
    });
    let mut counted = counted?;
    warn_about(&list, &counted);
    counted.notes.extend([
        inputs_note(&list),
        read_note(args.engine, &counted.stats, depth),
        peak_note(peak_heap),
    ]);
    if processes > 1 {
        counted.notes.insert(
            0,
            format!(
                "share:      process {process} of {processes} read {} bytes: the words starting in its part of the inputs' {} bytes (listing fingerprint {:016x}; process 0 checks that every process has the same)",
                counted.stats.bytes,
                list.total_bytes().unwrap_or(0),
                list.fingerprint()
            ),
        );
    }
    let Some(counts) = &counted.counts else {
        return other_process(process, processes, workers, &counted);
    };
    let bytes = match processes {
        1 => counted.stats.bytes,
        _ => list.total_bytes().unwrap_or(counted.stats.bytes),
    };
    if counts.total() == 0 && !list.files.is_empty() {
        eprintln!(
            "warning: the inputs ({} file{}, {bytes} bytes) hold no words; every count is zero",
            list.files.len(),
            plural(list.files.len()),
        );
    }
    let summary = RunSummary::new(counted.label.clone(), bytes, counts, counted.elapsed);
    report(args, &summary, &counted.notes, counts)
}

/// Runs `engine` over `reader`'s chunks; `timely` holds, for that engine,
/// its setup and the listing's fingerprint, which process 0 checks.
fn count(
    engine: MapreduceEngine,
    reader: ChunkReader,
    depth: usize,
    workers: usize,
    timely: Option<(TimelySetup, u64)>,
    worker_program: Option<&Path>,
) -> Result<Counted, AppError> {
    let started = Instant::now();
    let counted = |label: String, counts, stats, notes| Counted {
        label,
        counts: Some(counts),
        stats,
        elapsed: started.elapsed(),
        notes,
    };
    match (engine, timely) {
        (MapreduceEngine::Single, _) => {
            let (counts, stats) = count_single_inputs(reader).map_err(input_error)?;
            Ok(counted("one thread".into(), counts, stats, Vec::new()))
        }
        (MapreduceEngine::Rayon, _) => {
            let (counts, stats) = stream_chunks(reader, depth, |queue| {
                count_rayon_stream(queue, workers).map_err(failure)
            })
            .map_err(stream_error)?;
            let label = format!("rayon, {workers} threads");
            Ok(counted(label, counts, stats, Vec::new()))
        }
        (MapreduceEngine::Processes, _) => {
            let program = worker_program.ok_or_else(|| {
                failure(anyhow::anyhow!(
                    "the processes engine starts the mastery binary as workers, and this program \
                     does not know where that binary is"
                ))
            })?;
            let starting = Instant::now();
            let mut pool = WorkerPool::spawn(program, workers).map_err(failure)?;
            let note = format!(
                "started:    {workers} workers (pids {:?}) in {:.3} s (not counted)",
                pool.pids(),
                starting.elapsed().as_secs_f64()
            );
            let started = Instant::now();
            let (counts, stats) = stream_chunks(reader, depth, |queue| {
                pool.count_stream(queue).map_err(failure)
            })
            .map_err(stream_error)?;
            Ok(Counted {
                label: format!("{workers} worker processes"),
                counts: Some(counts),
                stats,
                elapsed: started.elapsed(),
                notes: vec![note],
            })
        }
        (MapreduceEngine::Timely, Some((setup, listing))) => {
            let (run, stats) = stream_chunks(reader, depth, |queue| {
                count_timely_stream(queue.clone(), listing, &setup).map_err(timely_error)
            })
            .map_err(stream_error)?;
            let processes = setup.cluster.as_ref().map_or(1, |c| c.processes());
            let threads = setup.threads;
            Ok(Counted {
                label: format!(
                    "timely, {processes} process{} × {threads} worker thread{}",
                    if processes == 1 { "" } else { "es" },
                    plural(threads)
                ),
                counts: run.counts,
                stats,
                elapsed: run.count,
                notes: vec![format!(
                    "connected:  {:.3} s (not counted)",
                    run.connect.as_secs_f64()
                )],
            })
        }
        (MapreduceEngine::Timely, None) => Err(failure(anyhow::anyhow!(
            "internal error: the timely engine was started without its cluster"
        ))),
    }
}

/// A timely process other than 0: one line about its share, then its
/// notes; process 0 prints the result.
fn other_process(
    process: usize,
    processes: usize,
    threads: usize,
    counted: &Counted,
) -> Result<u8, AppError> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "process {process} of {processes}: counted its share ({} bytes) in {:.3} s with {threads} worker thread{}; process 0 prints the result",
        counted.stats.bytes,
        counted.elapsed.as_secs_f64(),
        plural(threads)
    )?;
    for note in &counted.notes {
        writeln!(out, "{note}")?;
    }
    out.flush()?;
    Ok(0)
}

/// Warnings on stderr: no files at all, and files that are not UTF-8.
fn warn_about(list: &InputList, counted: &Counted) {
    if list.files.is_empty() {
        eprintln!(
            "warning: the inputs hold no files to read (skipped {}); every count is zero",
            list.skipped
        );
    }
    let stats = &counted.stats;
    for file in &stats.not_utf8 {
        eprintln!(
            "warning: {} is not UTF-8 (first invalid byte at offset {}): its invalid bytes were counted as U+FFFD",
            file.source, file.offset
        );
    }
    let unnamed = stats.not_utf8_inputs - stats.not_utf8.len();
    if unnamed > 0 {
        eprintln!(
            "warning: and {unnamed} more input{} that are not UTF-8",
            plural(unnamed)
        );
    }
}

fn read_note(engine: MapreduceEngine, stats: &ReadStats, depth: usize) -> String {
    let how = match engine {
        MapreduceEngine::Single => "one thread reads and counts in turn".to_owned(),
        _ => format!(
            "a reader thread feeds a queue of {depth} chunk{}",
            plural(depth)
        ),
    };
    let chunks = usize::try_from(stats.chunks).unwrap_or(usize::MAX);
    format!(
        "read:       {} bytes in {} chunk{} (largest {} bytes; the reader's buffer peaked at {} bytes); {how}, and the seconds include reading",
        stats.bytes,
        stats.chunks,
        plural(chunks),
        stats.largest_chunk,
        stats.largest_buffer,
    )
}

fn inputs_note(list: &InputList) -> String {
    let size = match list.total_bytes() {
        Some(bytes) => format!("{bytes} bytes"),
        None => "size known once read (stdin, a pipe or a device)".into(),
    };
    format!(
        "inputs:     {} file{}, {size}; skipped in directories: {}",
        list.files.len(),
        plural(list.files.len()),
        list.skipped
    )
}

fn peak_note(peak_heap: Option<usize>) -> String {
    match peak_heap {
        Some(bytes) => format!(
            "peak heap:  {} KB (this process: reader, queue, counting, tables)",
            bytes.div_ceil(1024)
        ),
        None => "peak heap:  not measured (counting allocator not installed)".into(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn input_error(e: InputError) -> AppError {
    if e.is_usage() {
        AppError::Usage(e.to_string())
    } else {
        failure(e)
    }
}

fn stream_error(e: StreamError<AppError>) -> AppError {
    match e {
        StreamError::Input(e) => input_error(e),
        StreamError::Engine(e) => e,
    }
}
