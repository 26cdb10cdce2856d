//! # Parallel MapReduce: word count, three ways, one answer
//!
//! ## Python idiom
//! The GIL lets one thread run Python at a time, so CPU-bound work that
//! wants every core goes to *processes*: `multiprocessing.Pool` starts
//! interpreters, pickles each chunk down a pipe to one of them, and pickles
//! the partial result back. Word count is the "hello world" of that shape —
//! map each chunk to a `Counter`, reduce the counters by adding them:
//!
//! ```python
//! from collections import Counter
//! from multiprocessing import Pool
//!
//! def count(chunk: str) -> Counter:
//!     return Counter(chunk.split())
//!
//! with Pool() as pool:                      # one worker process per core
//!     total = sum(pool.imap_unordered(count, chunks(text)), Counter())
//! ```
//!
//! When one machine is not enough the same program moves to Ray, Dask or
//! Spark: a scheduler, workers on many hosts, data shuffled between them by
//! key. And when a worker dies mid-task (the OOM killer, a segfault in a
//! C extension), `multiprocessing.Pool` starts a replacement, but the task
//! the dead worker held is lost and `imap_unordered` waits for its result
//! forever (a long-standing CPython issue, gh-66587).
//! `concurrent.futures.ProcessPoolExecutor` notices instead: every pending
//! future fails with `BrokenProcessPool` ("a process in the process pool
//! was terminated abruptly"), and the executor refuses further work.
//!
//! ## Rust answer
//! Rust has no GIL: threads run in parallel, so the first answer needs no
//! processes at all. This module counts the words of the same corpus on
//! one thread and with three parallel engines, and checks that all four
//! agree to the last word:
//!
//! 1. **One thread** — [`count_single`]: `split_ascii_whitespace` into a
//!    `hashbrown` map (`String` keys looked up by `&str` with
//!    `entry_ref`, so a word allocates only the first time it is seen).
//!    It is the reference every other engine is tested against, and the
//!    baseline every speed-up is measured from.
//! 2. **rayon** — the text is cut into chunks *at whitespace*
//!    ([`split_chunks`], so no word is ever cut in two). The textbook
//!    answer is [`count_rayon_fold`], the core of this module (below):
//!    `par_iter().fold(WordCounts::new, tally).reduce(WordCounts::new,
//!    merged)` — no locks, no sharing, a table per rayon piece, tables
//!    merged pairwise. It is correct, but rayon splits the work into many
//!    pieces, and every fresh table must learn the whole vocabulary (tens
//!    of thousands of inserts and allocations) before it merely counts.
//!    [`count_rayon`] keeps one table per *thread* instead:
//!    `rayon::broadcast` runs a task on each thread of the pool, each task
//!    pulls chunks from a shared atomic counter (load balancing without
//!    splitting) into its own table, and the few tables are merged.
//!
//!    ```
//!    use mastery_concurrency::mapreduce_demo::{
//!        count_rayon, count_rayon_fold, count_single, CorpusSpec,
//!    };
//!
//!    let text = CorpusSpec::new(200_000, 7).generate()?;
//!    let reference = count_single(&text);
//!    assert_eq!(count_rayon_fold(&text, 4096), reference);
//!    assert_eq!(count_rayon(&text, 4096), reference);
//!    # Ok::<(), mastery_concurrency::mapreduce_demo::CorpusError>(())
//!    ```
//! 3. **Worker processes** — [`WorkerPool`], the `multiprocessing`
//!    analogue. The `mastery` binary starts copies of itself as `mastery
//!    worker` (a hidden subcommand) and talks to each over its stdin and
//!    stdout with length-prefixed frames ([`Message`]): the worker opens
//!    with a `Hello` carrying a magic string and [`PROTOCOL_VERSION`] (so a
//!    wrong program is refused instead of fed), the parent streams `Chunk`s
//!    — one thread per worker pulling the next chunk from a shared counter,
//!    which balances the load — then `End`, and the worker answers with its
//!    partial `Counts`. Frames are checked as they are read: an unknown
//!    kind, an oversized length, a frame cut short or a malformed payload is
//!    a [`FrameError`], never a panic or a giant allocation. A worker that
//!    exits or closes its pipe mid-job becomes
//!    [`ProcessError::Died`], naming its index, its pid and its exit status
//!    — `ProcessPoolExecutor`'s `BrokenProcessPool`, with the worker and
//!    the cause named, where `multiprocessing.Pool` would wait forever.
//!    Nothing hangs: the handshake has a deadline, and dropping the pool
//!    closes every worker's stdin, waits a moment, and kills the
//!    stragglers.
//!
//!    Re-running `current_exe()` is only safe when the current executable
//!    *is* `mastery`: under `cargo test` it is the test harness, and
//!    `harness worker` would run the tests again, recursively. So the
//!    program is declared, not guessed: the binary hands its own path to
//!    the demo as `Settings::worker_program`, and the demo skips this engine
//!    (saying so, printing no figure) when it is not set. As a second fuse,
//!    every worker runs with [`WORKER_ENV`] set, and a process that has it
//!    refuses to start workers of its own.
//! 4. **timely dataflow** — [`count_timely`], a real distributed engine
//!    (the Naiad model: workers exchange data by key and track progress,
//!    so an operator knows when it has seen all of its input). Every worker
//!    counts its chunks into a local map (the combiner), the `(word,
//!    count)` pairs are *exchanged by a stable hash of the word*
//!    (timely's `Exchange` contract sends a record to worker `hash % peers`;
//!    the hash must be the same in every process, so it is FNV-1a, not
//!    hashbrown's per-process random one) so each word has one owner,
//!    owners add up what they receive, and a last
//!    exchange gathers the table on worker 0. The dataflow is the same
//!    whether the workers are threads of one process or processes on many
//!    hosts; only the communication configuration changes.
//!
//!    Across processes each process *generates* only its share of the
//!    corpus — the corpus is built from independently seeded 1 MiB blocks
//!    ([`CorpusSpec::generate_share`]), standing in for "each host reads
//!    its own files". The connections follow timely's conventions (process
//!    `i` dials every lower-numbered process and sends its index as a
//!    big-endian `u64`, and accepts the higher-numbered ones; addresses come
//!    from a hostfile, one `HOST:PORT` per process in process order), but
//!    are made here, by [`connect_peers`], rather than by timely's
//!    `Config::Cluster`: timely's own loop retries forever and reports on
//!    stdout, and a command-line tool should give up after
//!    `--connect-timeout` with an error that names the missing peer. The
//!    connected sockets are then handed to timely's
//!    `initialize_networking_from_sockets`, exactly what `Config::Cluster`
//!    does after connecting.
//!
//! **Counting your own files** (`mastery mapreduce --input PATH...`). The
//! engines above count a text held in memory; a reader's files may not fit
//! in it, so they are *streamed* instead. One thread cuts the inputs into
//! chunks after whitespace, never across two files ([`ChunkReader`]), and
//! a bounded queue ([`stream_chunks`]) hands each chunk to whichever worker
//! takes it first and stops the reader while it is full — so memory follows
//! the chunk size times the workers, not the input. Each engine has a
//! streaming twin that takes from the queue and counts with the same
//! `tally`, so all agree with the one-thread reference
//! ([`count_single_inputs`]). Across timely processes every process is
//! given the same paths and reads the words that *start* in its byte range
//! of them ([`InputList::share`]). The rules (what a directory walk reads
//! and skips, bytes that are not UTF-8, empty and unreadable inputs), when
//! streaming pays and what it costs are in `streaming.rs`, `inputs.rs` and
//! `chunk_reader.rs`; `timely_stream.rs` holds the streaming dataflow, and
//! `cargo test --test mapreduce inputs` runs the binary over real files.
//!
//! Where each piece lives: the reference and the textbook rayon engine are
//! the core, at the end of this file; `corpus.rs` generates the text,
//! `chunking.rs` cuts it, `counts.rs` holds [`WordCounts`] with the map and
//! reduce steps; `rayon_engine.rs` the table-per-thread engine;
//! `protocol.rs` the frames, `worker.rs` the worker's side and `pool.rs`
//! the parent's; `cluster.rs` the hostfile and the connections,
//! `timely_engine.rs` the dataflow; `summary.rs` what `mastery mapreduce`
//! prints, `child_processes.rs` how the demo runs it under a deadline;
//! `demo.rs` the demo; `tests/` the tests.
//!
//! ## When to use which
//! - **rayon** for CPU-bound work on one machine: no serialization, no
//!   copies, threads reading the same text in place, and a speed-up
//!   bounded by the number of cores (the cores share caches and memory
//!   bandwidth, and the tables must be merged). It is the default answer
//!   to "I used `multiprocessing` for speed".
//! - **Worker processes** when isolation is the point, not speed: code
//!   that may crash or leak (a C library, a plugin), a memory limit per
//!   worker, a different binary or language on the other end. You pay for
//!   copying every byte through a pipe and for framing, and you take on
//!   the failure modes the pool here handles: handshakes, dead workers,
//!   cleanup. Between Rust programs, threads give the same answer cheaper.
//! - **timely dataflow** (or its relatives: differential dataflow,
//!   Materialize, Arroyo) when the data or the work outgrows one machine,
//!   or when the computation is a streaming dataflow with progress
//!   tracking. On one machine it does more work than rayon for the same
//!   answer (operators, progress messages, and serialization across
//!   processes); its point is that the same program scales out.
//!
//! ## What it costs
//! The demo (`mastery run concurrency/mapreduce`) counts one seeded corpus
//! with every engine, checks each table against one thread's, and
//! compares each engine's throughput with one thread's on the same text:
//! - **rayon fold/reduce vs one thread**, and **rayon with a table per
//!   thread vs one thread** — what parallel counting gains, and what a
//!   table per rayon piece costs against a table per thread;
//! - **worker processes over pipes vs one thread** — the price of copying
//!   every byte through a pipe and framing it, against threads that read
//!   the text in place (and, recorded on its own, the start-up cost of the
//!   workers and their handshake);
//! - **timely with worker threads vs one thread**, and **two timely
//!   processes on loopback TCP vs one thread**, each side timed by its own
//!   `mastery mapreduce` process over the counting phase only.
//!
//! The trade-offs in words: every parallel engine pays a fixed cost one
//! thread does not — each table learns the vocabulary on its own, and the
//! tables are merged — which grows with distinct words × tables, not with
//! the text; so parallel counting pays off only when the corpus is much
//! larger than its vocabulary (run the demo with `--quick` and without to
//! see a small corpus and a large one). Worker processes add a copy of the
//! text and a frame per chunk, and start-up; timely adds operators,
//! progress tracking and, across processes, serialization. The limits are
//! Amdahl's: generating the corpus, merging the tables and moving bytes
//! between processes do not parallelise.
//!
//! The rayon engines alone, without the demo's other work:
//! `cargo bench -p mastery-concurrency --bench mapreduce`
//! (`mapreduce-wordcount-32MB/peer/one-thread` against
//! `…/ours/rayon-table-per-thread` and `…/ours/rayon-fold-reduce`).
//!
//! ## Run it
//! - `mastery run concurrency/mapreduce` (full: an 8 MB corpus over 10 000
//!   words; `--quick`: 1 MB; `mastery run concurrency/mapreduce --deep`:
//!   100 MB over 50 000 words, more samples) — every engine against one
//!   thread, each result checked against the reference.
//! - `mastery mapreduce --engine rayon --bytes 100MB --top 10` (engines
//!   `single`, `rayon`, `processes`, `timely`; `--workers N`, `--seed S`,
//!   `--output FILE` for the whole table as TSV).
//! - Two timely processes on one host (addresses default to
//!   `127.0.0.1:2101`, `:2102`, …):
//!
//!   ```text
//!   mastery mapreduce --engine timely --processes 2 --process 0 &
//!   mastery mapreduce --engine timely --processes 2 --process 1
//!   ```
//! - **On a cluster**: install the same `mastery` build on every host
//!   (`cargo install --path .`), write a hostfile with one `HOST:PORT` line
//!   per process, in process order, reachable from every host (blank lines
//!   and `#` comments are skipped), copy it to every host, and start
//!   process `i` on its host with the same corpus options:
//!
//!   ```text
//!   # hosts.txt
//!   node0.example:2101
//!   node1.example:2101
//!   node2.example:2101
//!
//!   node0$ mastery mapreduce --engine timely -n 3 -p 0 --hostfile hosts.txt -w 8 --bytes 10GB
//!   node1$ mastery mapreduce --engine timely -n 3 -p 1 --hostfile hosts.txt -w 8 --bytes 10GB
//!   node2$ mastery mapreduce --engine timely -n 3 -p 2 --hostfile hosts.txt -w 8 --bytes 10GB
//!   ```
//!
//!   Process `i` listens on line `i`'s address, so open those ports
//!   between the hosts; the traffic is plain, unauthenticated TCP, so keep
//!   it on a private network. Processes may start in any order within
//!   `--connect-timeout` (its default is in `mastery mapreduce --help`).
//!   Process 0 prints the result; the others print what they counted. The
//!   corpus is generated with a seeded `SmallRng`, so hosts must share an
//!   architecture (64-bit) to agree on it.
//! - `cargo test -p mastery-concurrency mapreduce` (engines against the
//!   reference, frames and malformed frames, wrong worker programs),
//!   `cargo test --test mapreduce` (the real binary: worker processes, a
//!   worker killed mid-job, two timely processes on loopback), and
//!   `cargo bench -p mastery-concurrency --bench mapreduce`.

use rayon::prelude::*;

mod child_processes;
mod chunk_reader;
mod chunking;
mod cluster;
mod corpus;
mod counts;
mod demo;
mod inputs;
mod pool;
mod protocol;
mod rayon_engine;
mod streaming;
mod summary;
mod timely_engine;
mod timely_stream;
mod worker;

#[cfg(test)]
mod tests;

pub use child_processes::run_all_with_deadline;
pub use chunk_reader::{ChunkReader, MAX_WORD_BYTES, NotUtf8, ReadStats};
pub use chunking::{default_chunk_bytes, split_chunks, split_ranges};
pub use cluster::{ClusterSpec, FIRST_DEFAULT_PORT, TimelyError, connect_peers};
pub use corpus::{BLOCK_BYTES, CorpusError, CorpusSpec};
pub use counts::{WordCounts, stable_hash};
pub use inputs::{InputError, InputFile, InputList, InputPiece, InputSource, Skipped};
pub use pool::{DEFAULT_HANDSHAKE_TIMEOUT, ProcessError, WorkerPool};
pub use protocol::{
    FrameError, FrameKind, HELLO_MAGIC, MAX_FRAME_PAYLOAD, Message, PROTOCOL_VERSION, write_chunk,
};
pub use rayon_engine::{count_rayon, count_rayon_on};
pub use streaming::{
    ChunkQueue, StreamError, count_rayon_stream, count_single_inputs, stream_chunks,
};
pub use summary::RunSummary;
pub use timely_engine::{TimelyRun, TimelySetup, count_timely};
pub use timely_stream::count_timely_stream;
pub use worker::{
    CRASH_ENV, CRASH_EXIT_CODE, ServeError, WORKER_ENV, WorkerExit, WorkerOptions, serve_worker,
    started_by_hand,
};

// ANCHOR: core
/// Engine 1, the reference: one thread, one table. Every other engine is
/// tested against it, and every speed-up is measured from it.
pub fn count_single(text: &str) -> WordCounts {
    let mut counts = WordCounts::new();
    counts.tally(text);
    counts
}

/// Engine 2, the textbook version: cut the text into chunks at whitespace,
/// count each chunk into a table (`fold`, the map step), add the tables up
/// pairwise (`reduce`, the reduce step). No locks and no sharing: each
/// table belongs to one rayon piece until it is merged.
///
/// Correct, but `fold` starts a fresh table per piece of rayon's
/// splitting, not per thread, and each fresh table learns the whole
/// vocabulary again; [`count_rayon`] keeps one table per thread instead.
pub fn count_rayon_fold(text: &str, chunk_bytes: usize) -> WordCounts {
    split_chunks(text, chunk_bytes)
        .par_iter()
        .fold(WordCounts::new, |mut counts, chunk| {
            counts.tally(chunk);
            counts
        })
        .reduce(WordCounts::new, WordCounts::merged)
}
// ANCHOR_END: core
