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
//!    answer is [`count_rayon_fold`]: `par_iter().fold(HashMap::new,
//!    tally).reduce(HashMap::new, merge)` — no locks, no sharing, a table
//!    per rayon piece, tables merged pairwise. It is correct, and the demo
//!    measures how little it gains here: rayon splits the work into many
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
//! ## When to use which
//! - **rayon** for CPU-bound work on one machine: no serialization, no
//!   copies, threads reading the same text in place, and a speed-up that
//!   approaches the number of cores (the demo measures how closely: the
//!   cores share caches and memory bandwidth, and the tables must be
//!   merged). It is the default answer to "I used `multiprocessing` for
//!   speed".
//! - **Worker processes** when isolation is the point, not speed: code
//!   that may crash or leak (a C library, a plugin), a memory limit per
//!   worker, a different binary or language on the other end. You pay for
//!   copying every byte through a pipe and for framing, and you take on
//!   the failure modes the pool here handles: handshakes, dead workers,
//!   cleanup. Between Rust programs, threads give the same answer cheaper.
//! - **timely dataflow** (or its relatives: differential dataflow,
//!   Materialize, Arroyo) when the data or the work outgrows one machine,
//!   or when the computation is a streaming dataflow with progress
//!   tracking. On one machine it costs a little over rayon (operators,
//!   progress messages, and serialization across processes); its point is
//!   that the same program scales out.
//! - What each costs, measured on your machine by the demo: speed-up over
//!   one thread for each engine, the start-up cost of the worker processes,
//!   and the counting time of two timely processes talking over loopback
//!   TCP. The limits are Amdahl's: generating the corpus, merging the
//!   tables and moving bytes between processes do not parallelise.
//!
//! ## Run it
//! - `mastery run concurrency/mapreduce` (full: a 100 MB corpus; `--quick`:
//!   1 MB) — every engine against one thread, each result checked against
//!   the reference.
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
//!   `--connect-timeout` (default 30 s). Process 0 prints the result; the
//!   others print what they counted. The corpus is generated with a
//!   seeded `SmallRng`, so hosts must share an architecture (64-bit) to
//!   agree on it.
//! - `cargo test -p mastery-concurrency mapreduce` (engines against the
//!   reference, frames and malformed frames, wrong worker programs),
//!   `cargo test --test mapreduce` (the real binary: worker processes, a
//!   worker killed mid-job, two timely processes on loopback), and
//!   `cargo bench -p mastery-concurrency --bench mapreduce`.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufReader, BufWriter, IsTerminal as _, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use hashbrown::HashMap;
use mastery_kit::net::free_loopback_port;
use mastery_kit::{Area, Narrator, Topic, Unit};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use rayon::prelude::*;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::ToStream;
use timely::{CommunicationConfig, WorkerConfig};

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/mapreduce",
        area: Area::Concurrency,
        rank: 4,
        title: "Parallel MapReduce: word count three ways",
        python: "multiprocessing.Pool().imap_unordered(count, chunks) summed into a Counter; Ray / Dask / Spark across hosts",
        rust: "rayon fold/reduce over whitespace-split chunks; the binary re-run as worker processes over framed pipes; timely dataflow across processes and hosts",
        path: "concurrency/src/mapreduce_demo.rs",
        source: include_str!("mapreduce_demo.rs"),
        run: demo,
    }
}

// ---- the corpus -------------------------------------------------------------

/// Bytes per corpus block. Blocks are seeded independently, so any process
/// can generate any block — or just its share — without the others.
pub const BLOCK_BYTES: usize = 1 << 20;

/// A corpus the generator can rebuild byte for byte from its description:
/// `bytes` of text whose words are drawn from a generated vocabulary with
/// Zipf-distributed frequencies (a few words very common, most rare — the
/// shape of natural language).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusSpec {
    /// Exact size of the corpus in bytes.
    pub bytes: usize,
    /// Seed of every random choice: same seed, same corpus.
    pub seed: u64,
    /// Distinct words in the vocabulary the corpus draws from.
    pub vocabulary: usize,
    /// Zipf exponent `s`: the word of rank `r` has weight `1 / r^s`.
    pub exponent: f64,
}

/// A corpus description the generator cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid corpus: {0}")]
pub struct CorpusError(String);

impl CorpusSpec {
    /// The default vocabulary size.
    pub const DEFAULT_VOCABULARY: usize = 50_000;
    /// The largest vocabulary accepted.
    pub const MAX_VOCABULARY: usize = 10_000_000;
    /// The default Zipf exponent (Zipf's law for words: `s ≈ 1`).
    pub const DEFAULT_EXPONENT: f64 = 1.0;

    /// `bytes` of text from `seed`, with the default vocabulary and exponent.
    pub fn new(bytes: usize, seed: u64) -> Self {
        CorpusSpec {
            bytes,
            seed,
            vocabulary: Self::DEFAULT_VOCABULARY,
            exponent: Self::DEFAULT_EXPONENT,
        }
    }

    /// How many blocks the corpus has.
    pub fn blocks(&self) -> usize {
        self.bytes.div_ceil(BLOCK_BYTES)
    }

    /// The size of block `block`: [`BLOCK_BYTES`], except for the last one.
    fn block_len(&self, block: usize) -> usize {
        BLOCK_BYTES.min(self.bytes.saturating_sub(block * BLOCK_BYTES))
    }

    /// The whole corpus.
    ///
    /// # Errors
    /// When the vocabulary is empty or too large, or the exponent is not a
    /// finite number ≥ 0.
    pub fn generate(&self) -> Result<String, CorpusError> {
        self.generate_share(0, 1)
    }

    /// The blocks `b` with `b % parts == part`, concatenated: the share of
    /// the corpus that process `part` of `parts` counts. Every block ends in
    /// whitespace, so concatenating blocks never glues two words together,
    /// and the shares of all parts together hold exactly the words of
    /// [`CorpusSpec::generate`]. Blocks are generated in parallel.
    ///
    /// # Errors
    /// As [`CorpusSpec::generate`], and when `part >= parts`.
    pub fn generate_share(&self, part: usize, parts: usize) -> Result<String, CorpusError> {
        if part >= parts {
            return Err(CorpusError(format!(
                "part {part} of {parts}: parts are numbered 0..{parts}"
            )));
        }
        let words = self.vocabulary_words()?;
        let zipf = Zipf::new(words.len() as f64, self.exponent).map_err(|e| {
            CorpusError(format!(
                "zipf over {} words with exponent {}: {e}",
                words.len(),
                self.exponent
            ))
        })?;
        let blocks: Vec<String> = (0..self.blocks())
            .into_par_iter()
            .filter(|b| b % parts == part)
            .map(|b| self.block(b, &words, &zipf))
            .collect();
        Ok(blocks.concat())
    }

    /// The size of [`CorpusSpec::generate_share`]'s result, without
    /// generating it.
    pub fn share_bytes(&self, part: usize, parts: usize) -> usize {
        (0..self.blocks())
            .filter(|b| parts > 0 && b % parts == part)
            .map(|b| self.block_len(b))
            .sum()
    }

    /// The vocabulary, most frequent rank first: distinct lowercase words
    /// of 2 to 12 letters, shortest first (common words are short).
    fn vocabulary_words(&self) -> Result<Vec<String>, CorpusError> {
        if self.vocabulary == 0 || self.vocabulary > Self::MAX_VOCABULARY {
            return Err(CorpusError(format!(
                "the vocabulary must have 1 to {} words, not {}",
                Self::MAX_VOCABULARY,
                self.vocabulary
            )));
        }
        if !(self.exponent.is_finite() && self.exponent >= 0.0) {
            return Err(CorpusError(format!(
                "the Zipf exponent must be a finite number ≥ 0, not {}",
                self.exponent
            )));
        }
        let mut rng = SmallRng::seed_from_u64(mix(self.seed, u64::MAX));
        let mut seen = hashbrown::HashSet::with_capacity(self.vocabulary);
        let mut words = Vec::with_capacity(self.vocabulary);
        while words.len() < self.vocabulary {
            let len = rng.random_range(2..=12);
            let word: String = (0..len)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        words.sort_by_key(String::len); // stable: ties keep their random order
        Ok(words)
    }

    /// Block `block`: words separated by spaces, a newline every 8 to 16
    /// words, padded with newlines to its exact length (whitespace never
    /// changes a count).
    fn block(&self, block: usize, words: &[String], zipf: &Zipf<f64>) -> String {
        let len = self.block_len(block);
        let mut rng = SmallRng::seed_from_u64(mix(self.seed, block as u64));
        let mut text = String::with_capacity(len);
        let mut line_left = rng.random_range(8..=16);
        loop {
            // Zipf samples are whole numbers in 1..=n; the clamp only guards
            // the float-to-index conversion.
            let rank = (zipf.sample(&mut rng) as usize).clamp(1, words.len());
            let word = &words[rank - 1];
            if text.len() + word.len() + 1 > len {
                break;
            }
            text.push_str(word);
            line_left -= 1;
            if line_left == 0 {
                text.push('\n');
                line_left = rng.random_range(8..=16);
            } else {
                text.push(' ');
            }
        }
        while text.len() < len {
            text.push('\n');
        }
        text
    }
}

/// SplitMix64 of `seed` and `stream`: independent, reproducible seeds for
/// the vocabulary and every block.
fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Cuts `text` into chunks of about `target` bytes, each cut placed at an
/// ASCII whitespace byte: a word — a maximal run of non-whitespace — is
/// never split, and (whitespace being ASCII) no cut lands inside a UTF-8
/// character. Chunks may be longer than `target` by one word.
pub fn split_chunks(text: &str, target: usize) -> Vec<&str> {
    split_ranges(text, target)
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

/// The byte ranges of [`split_chunks`].
pub fn split_ranges(text: &str, target: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let target = target.max(1);
    let mut ranges = Vec::with_capacity(bytes.len() / target + 1);
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + target).min(bytes.len());
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// A chunk size that gives every worker about 64 chunks, between 64 KiB
/// and 1 MiB: when the last chunk is handed out, the other workers are at
/// most one small chunk from done, so little time is lost waiting at the
/// end; and a chunk is large enough that handing it out (an atomic add, a
/// frame on a pipe) costs nothing next to counting it.
pub fn default_chunk_bytes(total_bytes: usize, workers: usize) -> usize {
    (total_bytes / (workers.max(1) * 64)).clamp(64 << 10, 1 << 20)
}

// ---- counts -----------------------------------------------------------------

/// How many times each word occurs. Words are maximal runs of bytes that
/// are not ASCII whitespace (`str::split_ascii_whitespace`); case and
/// punctuation are kept as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordCounts {
    counts: HashMap<String, u64>,
}

impl WordCounts {
    /// No words.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` occurrences of `word`.
    pub fn add(&mut self, word: &str, count: u64) {
        *self.counts.entry_ref(word).or_insert(0) += count;
    }

    /// Adds every count of `other` (the reduce step).
    pub fn merge(&mut self, mut other: WordCounts) {
        if other.counts.len() > self.counts.len() {
            std::mem::swap(self, &mut other);
        }
        for (word, count) in other.counts {
            *self.counts.entry(word).or_insert(0) += count;
        }
    }

    /// Occurrences of `word` (0 when absent).
    pub fn get(&self, word: &str) -> u64 {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// Total words counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Distinct words.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Every word and its count, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(w, &c)| (w.as_str(), c))
    }

    /// Every word and its count, most frequent first, ties by word.
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.iter().collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all
    }

    /// The `k` most frequent words, as [`WordCounts::sorted`] orders them.
    pub fn top(&self, k: usize) -> Vec<(&str, u64)> {
        let mut all = self.sorted();
        all.truncate(k);
        all
    }

    /// A fingerprint of the whole table that does not depend on order or
    /// on the process: equal tables have equal digests, and two processes
    /// can compare tables by exchanging 8 bytes.
    pub fn digest(&self) -> u64 {
        self.counts.iter().fold(0u64, |acc, (word, &count)| {
            acc.wrapping_add(mix(stable_hash(word), count))
        })
    }

    /// The first difference from `other`, in word order, as a sentence
    /// (`None` when equal) — a readable verdict where `assert_eq!` would
    /// print two tables of 50 000 words.
    pub fn first_difference(&self, other: &WordCounts) -> Option<String> {
        let mut words: Vec<&str> = self
            .counts
            .keys()
            .chain(other.counts.keys())
            .map(String::as_str)
            .collect();
        words.sort_unstable();
        words.dedup();
        words.into_iter().find_map(|word| {
            let (a, b) = (self.get(word), other.get(word));
            (a != b).then(|| format!("`{word}` is counted {a} times here and {b} times there"))
        })
    }

    /// Writes the table as TSV, `word<TAB>count` per line, in
    /// [`WordCounts::sorted`] order.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_tsv(&self, mut out: impl Write) -> io::Result<()> {
        for (word, count) in self.sorted() {
            writeln!(out, "{word}\t{count}")?;
        }
        out.flush()
    }

    /// Consumes the table into its `(word, count)` pairs.
    pub fn into_pairs(self) -> impl Iterator<Item = (String, u64)> {
        self.counts.into_iter()
    }
}

impl FromIterator<(String, u64)> for WordCounts {
    fn from_iter<I: IntoIterator<Item = (String, u64)>>(iter: I) -> Self {
        let mut counts = WordCounts::new();
        counts.extend(iter);
        counts
    }
}

impl Extend<(String, u64)> for WordCounts {
    fn extend<I: IntoIterator<Item = (String, u64)>>(&mut self, iter: I) {
        for (word, count) in iter {
            *self.counts.entry(word).or_insert(0) += count;
        }
    }
}

/// FNV-1a, 64 bits: a hash that is the same in every process and on every
/// run, which routing words between processes needs (hashbrown's default
/// hasher is seeded at random per process).
pub fn stable_hash(word: &str) -> u64 {
    word.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The map step: every word of `text` into `counts`. Keys are owned
/// `String`s, looked up by `&str` (`entry_ref`), so a word costs an
/// allocation only the first time a table sees it.
///
/// Why not borrow the keys from the text, which allocates nothing? Each
/// probe compares the word with the stored key, and a borrowed key lives
/// wherever in the (100 MB) text the word first appeared: a cache miss per
/// word. Owned keys sit together in a megabyte or two of heap, and the
/// reference count runs markedly faster with them (measure it: swap
/// `entry_ref(word)` for a `HashMap<&str, u64>`).
fn tally(counts: &mut HashMap<String, u64>, text: &str) {
    for word in text.split_ascii_whitespace() {
        *counts.entry_ref(word).or_insert(0) += 1;
    }
}

/// The reduce step: the smaller table added into the larger.
fn merge_maps(mut a: HashMap<String, u64>, mut b: HashMap<String, u64>) -> HashMap<String, u64> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (word, count) in b {
        *a.entry(word).or_insert(0) += count;
    }
    a
}

/// Engine 1, the reference: one thread, one map.
pub fn count_single(text: &str) -> WordCounts {
    let mut counts = HashMap::new();
    tally(&mut counts, text);
    WordCounts { counts }
}

/// Engine 2: rayon on the current thread pool, one table per thread.
/// The text is cut into chunks of about `chunk_bytes` at whitespace;
/// `rayon::broadcast` runs one task on every thread of the pool, each task
/// takes the next chunk from a shared counter until none are left
/// (dynamic load balancing: a thread slowed down takes fewer chunks) and
/// counts into its own table; the tables are merged pairwise at the end.
///
/// Why not the textbook [`count_rayon_fold`]? `fold` starts a fresh table
/// per *piece* of rayon's splitting, not per thread, and each fresh table
/// must learn the whole vocabulary again — tens of thousands of inserts
/// and allocations — before it merely counts, then be merged. When the
/// accumulator is that expensive to build, make one per thread.
pub fn count_rayon(text: &str, chunk_bytes: usize) -> WordCounts {
    let chunks = split_chunks(text, chunk_bytes);
    let next = AtomicUsize::new(0);
    let tables = rayon::broadcast(|_| {
        let mut counts = HashMap::new();
        while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
            tally(&mut counts, chunk);
        }
        counts
    });
    WordCounts {
        counts: tables.into_iter().reduce(merge_maps).unwrap_or_default(),
    }
}

/// Engine 2, the textbook version: `par_iter().fold(HashMap::new,
/// tally).reduce(HashMap::new, merge)` over the same chunks. Correct and
/// lock-free, but it builds a table per rayon piece (see [`count_rayon`]);
/// the demo measures what that costs.
pub fn count_rayon_fold(text: &str, chunk_bytes: usize) -> WordCounts {
    let chunks = split_chunks(text, chunk_bytes);
    let counts = chunks
        .par_iter()
        .fold(HashMap::new, |mut counts, chunk| {
            tally(&mut counts, chunk);
            counts
        })
        .reduce(HashMap::new, merge_maps);
    WordCounts { counts }
}

/// [`count_rayon`] on a pool of its own with `threads` threads.
///
/// # Errors
/// When rayon cannot start the threads.
pub fn count_rayon_on(
    text: &str,
    chunk_bytes: usize,
    threads: usize,
) -> Result<WordCounts, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("wordcount-{i}"))
        .build()?;
    Ok(pool.install(|| count_rayon(text, chunk_bytes)))
}

// ---- the worker protocol ----------------------------------------------------

/// Version of the parent–worker protocol; a worker speaking another one is
/// refused at the handshake.
pub const PROTOCOL_VERSION: u32 = 1;
/// The first bytes of every `Hello`: not a mastery worker otherwise.
pub const HELLO_MAGIC: &[u8; 16] = b"mastery-wordcnt\0";
/// The largest payload a frame may announce (1 GiB). A bigger length is an
/// error before anything is allocated.
pub const MAX_FRAME_PAYLOAD: usize = 1 << 30;
/// Frame header: kind (1 byte) and payload length (`u32`, little-endian).
const HEADER_BYTES: usize = 5;

/// The kinds of frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// Worker → parent, first: magic, protocol version, pid.
    Hello,
    /// Parent → worker: UTF-8 text to count.
    Chunk,
    /// Parent → worker: the job's chunks are all sent; reply with `Counts`.
    End,
    /// Worker → parent: the partial counts of the job.
    Counts,
    /// Worker → parent: why the worker is giving up.
    Failure,
}

impl FrameKind {
    const ALL: [FrameKind; 5] = [
        FrameKind::Hello,
        FrameKind::Chunk,
        FrameKind::End,
        FrameKind::Counts,
        FrameKind::Failure,
    ];

    /// The kind's byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            FrameKind::Hello => 1,
            FrameKind::Chunk => 2,
            FrameKind::End => 3,
            FrameKind::Counts => 4,
            FrameKind::Failure => 5,
        }
    }

    /// The kind of a wire byte, if any.
    pub fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.byte() == byte)
    }

    /// The kind's name, as errors print it.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Hello => "hello",
            FrameKind::Chunk => "chunk",
            FrameKind::End => "end",
            FrameKind::Counts => "counts",
            FrameKind::Failure => "failure",
        }
    }
}

impl fmt::Display for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The worker's greeting.
    Hello {
        /// The worker's [`PROTOCOL_VERSION`].
        version: u32,
        /// The worker's process id, as it sees it.
        pid: u32,
    },
    /// Text to count.
    Chunk(String),
    /// No more chunks in this job.
    End,
    /// A worker's counts for the job.
    Counts(WordCounts),
    /// A worker's last words.
    Failure(String),
}

/// A frame that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream itself failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The stream ended inside a frame.
    #[error("the stream ended inside a frame: the {what} needs {needed} bytes, {got} arrived")]
    Truncated {
        /// What was being read: the header or a kind's payload.
        what: &'static str,
        /// Bytes announced.
        needed: usize,
        /// Bytes that arrived.
        got: usize,
    },
    /// The first byte is no known kind.
    #[error("unknown frame kind 0x{0:02x}")]
    UnknownKind(u8),
    /// The announced length is over [`MAX_FRAME_PAYLOAD`].
    #[error("a {kind} frame of {len} bytes is over the limit of {MAX_FRAME_PAYLOAD} bytes")]
    TooLarge {
        /// The frame's kind.
        kind: FrameKind,
        /// The announced payload length.
        len: usize,
    },
    /// The payload does not decode.
    #[error("malformed {kind} frame: {reason}")]
    Malformed {
        /// The frame's kind.
        kind: FrameKind,
        /// What is wrong with it.
        reason: String,
    },
}

impl Message {
    /// This message's frame kind.
    pub fn kind(&self) -> FrameKind {
        match self {
            Message::Hello { .. } => FrameKind::Hello,
            Message::Chunk(_) => FrameKind::Chunk,
            Message::End => FrameKind::End,
            Message::Counts(_) => FrameKind::Counts,
            Message::Failure(_) => FrameKind::Failure,
        }
    }

    /// Writes the message as one frame (the caller flushes).
    ///
    /// # Errors
    /// When `out` fails, or the payload is over [`MAX_FRAME_PAYLOAD`].
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        match self {
            Message::Hello { version, pid } => {
                let mut payload = HELLO_MAGIC.to_vec();
                payload.extend_from_slice(&version.to_le_bytes());
                payload.extend_from_slice(&pid.to_le_bytes());
                write_frame(out, FrameKind::Hello, &payload)
            }
            Message::Chunk(text) => write_chunk(out, text),
            Message::End => write_frame(out, FrameKind::End, &[]),
            Message::Counts(counts) => write_frame(out, FrameKind::Counts, &encode_counts(counts)),
            Message::Failure(why) => write_frame(out, FrameKind::Failure, why.as_bytes()),
        }
    }

    /// Reads one frame. `Ok(None)` is a clean end of stream: it ended
    /// between frames.
    ///
    /// # Errors
    /// [`FrameError`]: I/O, a frame cut short, an unknown kind, a length
    /// over the limit, or a payload that does not decode.
    pub fn read_from(input: &mut impl Read) -> Result<Option<Message>, FrameError> {
        let mut header = [0u8; HEADER_BYTES];
        match read_full(input, &mut header)? {
            0 => return Ok(None),
            HEADER_BYTES => {}
            got => {
                return Err(FrameError::Truncated {
                    what: "frame header",
                    needed: HEADER_BYTES,
                    got,
                });
            }
        }
        let kind = FrameKind::from_byte(header[0]).ok_or(FrameError::UnknownKind(header[0]))?;
        let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > MAX_FRAME_PAYLOAD {
            return Err(FrameError::TooLarge { kind, len });
        }
        // Grows as bytes arrive: a lying length costs nothing until the
        // bytes are really there.
        let mut payload = Vec::new();
        let got = input.take(len as u64).read_to_end(&mut payload)?;
        if got < len {
            return Err(FrameError::Truncated {
                what: kind.name(),
                needed: len,
                got,
            });
        }
        decode_payload(kind, payload).map(Some)
    }
}

/// Writes a `Chunk` frame straight from borrowed text (the parent's hot
/// path: no copy into a message).
///
/// # Errors
/// When `out` fails, or the text is over [`MAX_FRAME_PAYLOAD`].
pub fn write_chunk(out: &mut impl Write, text: &str) -> io::Result<()> {
    write_frame(out, FrameKind::Chunk, text.as_bytes())
}

fn write_frame(out: &mut impl Write, kind: FrameKind, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME_PAYLOAD)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a {kind} frame of {} bytes is over the limit of {MAX_FRAME_PAYLOAD} bytes",
                    payload.len()
                ),
            )
        })?;
    let mut header = [0u8; HEADER_BYTES];
    header[0] = kind.byte();
    header[1..].copy_from_slice(&len.to_le_bytes());
    out.write_all(&header)?;
    out.write_all(payload)
}

/// Reads until `buf` is full or the stream ends; how many bytes arrived.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn decode_payload(kind: FrameKind, payload: Vec<u8>) -> Result<Message, FrameError> {
    let malformed = |reason: String| FrameError::Malformed { kind, reason };
    match kind {
        FrameKind::Hello => {
            let want = HELLO_MAGIC.len() + 8;
            if payload.len() != want || !payload.starts_with(HELLO_MAGIC) {
                return Err(malformed(format!(
                    "expected the {}-byte magic {:?} and two u32s ({want} bytes), got {} bytes",
                    HELLO_MAGIC.len(),
                    String::from_utf8_lossy(HELLO_MAGIC),
                    payload.len()
                )));
            }
            let mut cursor = Cursor::new(&payload[HELLO_MAGIC.len()..]);
            let version = cursor.u32().map_err(malformed)?;
            let pid = cursor.u32().map_err(malformed)?;
            Ok(Message::Hello { version, pid })
        }
        FrameKind::Chunk => String::from_utf8(payload)
            .map(Message::Chunk)
            .map_err(|e| malformed(format!("not UTF-8: {}", e.utf8_error()))),
        FrameKind::End if payload.is_empty() => Ok(Message::End),
        FrameKind::End => Err(malformed(format!(
            "an end frame carries no payload, this one has {} bytes",
            payload.len()
        ))),
        FrameKind::Counts => decode_counts(&payload)
            .map(Message::Counts)
            .map_err(malformed),
        FrameKind::Failure => Ok(Message::Failure(
            String::from_utf8_lossy(&payload).into_owned(),
        )),
    }
}

/// Counts payload: `u64` entry count, then per entry a `u32` word length,
/// the word's bytes and a `u64` count; all integers little-endian.
fn encode_counts(counts: &WordCounts) -> Vec<u8> {
    let size: usize = counts.iter().map(|(w, _)| 12 + w.len()).sum();
    let mut out = Vec::with_capacity(8 + size);
    out.extend_from_slice(&(counts.distinct() as u64).to_le_bytes());
    for (word, count) in counts.iter() {
        // Words come from frames under MAX_FRAME_PAYLOAD, so they fit a u32.
        let len = u32::try_from(word.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(word.as_bytes());
        out.extend_from_slice(&count.to_le_bytes());
    }
    out
}

fn decode_counts(payload: &[u8]) -> Result<WordCounts, String> {
    let mut cursor = Cursor::new(payload);
    let entries = cursor.u64()?;
    // Every entry takes at least 12 bytes: a count that cannot fit is a lie
    // to be caught before reserving memory for it.
    if entries > (payload.len() / 12) as u64 {
        return Err(format!(
            "announces {entries} entries in {} bytes",
            payload.len()
        ));
    }
    let mut counts = HashMap::with_capacity(entries as usize);
    for entry in 0..entries {
        let len = cursor.u32()? as usize;
        let word = std::str::from_utf8(cursor.bytes(len)?)
            .map_err(|e| format!("entry {entry}: the word is not UTF-8: {e}"))?;
        let count = cursor.u64()?;
        if counts.insert(word.to_owned(), count).is_some() {
            return Err(format!("entry {entry}: the word `{word}` appears twice"));
        }
    }
    if cursor.remaining() > 0 {
        return Err(format!(
            "{} bytes left over after {entries} entries",
            cursor.remaining()
        ));
    }
    Ok(WordCounts { counts })
}

/// A bounds-checked reader over a payload.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!(
                "needs {n} bytes at offset {}, only {} remain",
                self.at,
                self.remaining()
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.bytes(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(u64::from_le_bytes(array))
    }
}

// ---- the worker side --------------------------------------------------------

/// Set in every worker's environment (to its index). A process that has it
/// refuses to start workers: whatever went wrong, workers never multiply.
/// (Not `MASTERY_*`: those are the kit's settings, and unknown ones are
/// refused.)
pub const WORKER_ENV: &str = "MAPREDUCE_DEMO_WORKER";

/// Test hook: `INDEX:CHUNK` makes worker `INDEX` exit with
/// [`CRASH_EXIT_CODE`] when its `CHUNK`-th chunk (counting from 1)
/// arrives, before counting it — a worker dying mid-job, on demand.
pub const CRASH_ENV: &str = "MAPREDUCE_DEMO_CRASH_WORKER";

/// The exit status of a worker crashed by [`CRASH_ENV`].
pub const CRASH_EXIT_CODE: i32 = 3;

/// How a worker serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Stop, without a word, when this chunk (counting from 1) arrives:
    /// the caller then exits as if it had crashed. See [`CRASH_ENV`].
    pub crash_at_chunk: Option<u64>,
}

impl WorkerOptions {
    /// The options for worker `index` given [`CRASH_ENV`]'s value.
    ///
    /// # Errors
    /// When the value is not `INDEX:CHUNK` with two numbers, CHUNK ≥ 1.
    pub fn from_crash_spec(index: usize, spec: Option<&str>) -> Result<Self, String> {
        let Some(spec) = spec else {
            return Ok(Self::default());
        };
        let parsed = spec
            .split_once(':')
            .and_then(|(i, c)| {
                Some((
                    i.trim().parse::<usize>().ok()?,
                    c.trim().parse::<u64>().ok()?,
                ))
            })
            .filter(|&(_, chunk)| chunk >= 1);
        match parsed {
            Some((i, chunk)) => Ok(WorkerOptions {
                crash_at_chunk: (i == index).then_some(chunk),
            }),
            None => Err(format!(
                "{CRASH_ENV}={spec:?} is not INDEX:CHUNK (two numbers, CHUNK counted from 1)"
            )),
        }
    }
}

/// Why a worker stopped serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerExit {
    /// The parent closed the worker's stdin between frames: the normal end.
    ParentClosed {
        /// Jobs answered.
        jobs: u64,
    },
    /// [`WorkerOptions::crash_at_chunk`] was reached.
    CrashRequested {
        /// The chunk that triggered it.
        chunk: u64,
    },
}

/// A worker that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reading or writing a pipe failed.
    #[error("talking to the parent failed: {0}")]
    Io(#[from] io::Error),
    /// The parent sent something unreadable.
    #[error("the parent sent a bad frame: {0}")]
    Frame(FrameError),
    /// The parent sent a frame only a worker sends.
    #[error("the parent sent a {0} frame, which only workers send")]
    Unexpected(FrameKind),
}

/// The worker's side of the protocol: says hello, then counts the chunks
/// of each job and answers every `End` with the job's counts, until the
/// parent closes `input`. On a bad frame it sends a `Failure` frame saying
/// why before returning the error.
///
/// # Errors
/// [`ServeError`] when a pipe fails or the parent breaks the protocol.
pub fn serve_worker(
    input: impl Read,
    output: impl Write,
    options: WorkerOptions,
) -> Result<WorkerExit, ServeError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut output = BufWriter::new(output);
    Message::Hello {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    }
    .write_to(&mut output)?;
    output.flush()?;
    let mut counts = HashMap::new();
    let (mut chunks, mut jobs) = (0u64, 0u64);
    loop {
        let message = match Message::read_from(&mut input) {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(WorkerExit::ParentClosed { jobs }),
            Err(e) => {
                send_failure(&mut output, &format!("bad frame from the parent: {e}"));
                return Err(ServeError::Frame(e));
            }
        };
        match message {
            Message::Chunk(text) => {
                chunks += 1;
                if options.crash_at_chunk == Some(chunks) {
                    return Ok(WorkerExit::CrashRequested { chunk: chunks });
                }
                tally(&mut counts, &text);
            }
            Message::End => {
                let job = WordCounts {
                    counts: std::mem::take(&mut counts),
                };
                Message::Counts(job).write_to(&mut output)?;
                output.flush()?;
                jobs += 1;
            }
            other => {
                let kind = other.kind();
                send_failure(&mut output, &format!("unexpected {kind} frame"));
                return Err(ServeError::Unexpected(kind));
            }
        }
    }
}

fn send_failure(output: &mut impl Write, why: &str) {
    // Best effort: the parent may be gone already.
    let _ = Message::Failure(why.to_owned()).write_to(output);
    let _ = output.flush();
}

// ---- the parent side: a pool of worker processes ----------------------------

/// How long workers have to say hello, by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a worker has to exit after its stdin closes before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What went wrong with the worker processes.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// A pool needs at least one worker.
    #[error("a worker pool needs at least one worker")]
    NoWorkers,
    /// This process is itself a worker ([`WORKER_ENV`] is set).
    #[error(
        "refusing to start worker processes from inside a worker process ({WORKER_ENV} is set)"
    )]
    Nested,
    /// The program could not be started.
    #[error("cannot start worker {index} from {program}: {source}")]
    Spawn {
        /// The worker's index.
        index: usize,
        /// The program.
        program: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The program is not a mastery worker: no hello, a wrong magic, or
    /// silence until the handshake deadline.
    #[error("worker {index} (pid {pid}) is not a mastery worker: {reason}")]
    NotAWorker {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What it did instead.
        reason: String,
    },
    /// The worker speaks another protocol version.
    #[error(
        "worker {index} (pid {pid}) speaks protocol version {theirs}, this program {PROTOCOL_VERSION}: are both the same build?"
    )]
    Version {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// Its protocol version.
        theirs: u32,
    },
    /// The worker exited, or closed its pipe, in the middle of a job.
    #[error("worker {index} (pid {pid}) died {during}: {status}")]
    Died {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What the parent was doing with it.
        during: String,
        /// Its exit status (`exit status: 3`, `signal: 9 (SIGKILL)`).
        status: String,
    },
    /// The worker reported a failure and stopped.
    #[error("worker {index} (pid {pid}) failed: {message} ({status})")]
    Failed {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// Its `Failure` frame.
        message: String,
        /// Its exit status.
        status: String,
    },
    /// The worker sent a frame that breaks the protocol.
    #[error("worker {index} (pid {pid}) broke the protocol: {reason}")]
    Protocol {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What it sent.
        reason: String,
    },
    /// An earlier job failed; the pool does not run more.
    #[error("the worker pool is unusable after an earlier failure: {0}")]
    Broken(String),
}

/// One worker process and its two pipes.
struct WorkerProcess {
    index: usize,
    pid: u32,
    child: Child,
    /// `None` once closed: the worker's signal to exit.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// A pool of `mastery worker` processes that count chunks of text sent
/// over their stdin and answer over their stdout — `multiprocessing.Pool`
/// for this one job. Dropping the pool ends every worker (see the module
/// docs); a failed job leaves the pool unusable.
pub struct WorkerPool {
    workers: Vec<WorkerProcess>,
    broken: Option<String>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("pids", &self.pids())
            .field("broken", &self.broken)
            .finish()
    }
}

/// Why one worker's part of a job ended early.
enum JobFailure {
    /// Another worker failed; this one stopped at the flag.
    Aborted,
    /// Writing to the worker failed (the pipe broke: the status says why).
    Send { during: String },
    /// The worker's reply could not be read.
    Receive(FrameError),
    /// The worker's output ended where its counts should be.
    NoReply,
    /// The worker sent something else than its counts.
    Unexpected(Message),
}

impl WorkerPool {
    /// Starts `workers` copies of `program` as `program worker --index I`
    /// and waits (at most [`DEFAULT_HANDSHAKE_TIMEOUT`]) for each to say
    /// hello.
    ///
    /// # Errors
    /// [`ProcessError`]: no workers, a nested pool, a program that does not
    /// start, or one that is not a mastery worker of this protocol version.
    pub fn spawn(program: &Path, workers: usize) -> Result<Self, ProcessError> {
        Self::spawn_with_timeout(program, workers, DEFAULT_HANDSHAKE_TIMEOUT)
    }

    /// [`WorkerPool::spawn`] with a deadline of its own for the handshake.
    ///
    /// # Errors
    /// As [`WorkerPool::spawn`].
    pub fn spawn_with_timeout(
        program: &Path,
        workers: usize,
        handshake_timeout: Duration,
    ) -> Result<Self, ProcessError> {
        if std::env::var_os(WORKER_ENV).is_some() {
            return Err(ProcessError::Nested);
        }
        if workers == 0 {
            return Err(ProcessError::NoWorkers);
        }
        // Until every worker has said hello, the children live in a guard
        // that kills and reaps them if anything fails on the way.
        let mut starting = Starting(Vec::with_capacity(workers));
        let mut pipes = Vec::with_capacity(workers);
        for index in 0..workers {
            let mut child = Command::new(program)
                .args(["worker", "--index", &index.to_string()])
                .env(WORKER_ENV, index.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|source| ProcessError::Spawn {
                    index,
                    program: program.to_owned(),
                    source,
                })?;
            let stdin = child.stdin.take().expect("stdin was set to Stdio::piped()");
            let stdout = child
                .stdout
                .take()
                .expect("stdout was set to Stdio::piped()");
            starting.0.push(child);
            pipes.push((stdin, BufReader::with_capacity(1 << 16, stdout)));
        }
        let (stdins, stdouts): (Vec<_>, Vec<_>) = pipes.into_iter().unzip();
        let stdouts = handshake(&mut starting.0, stdouts, handshake_timeout)?;
        let workers = std::mem::take(&mut starting.0)
            .into_iter()
            .zip(stdins.into_iter().zip(stdouts))
            .enumerate()
            .map(|(index, (child, (stdin, stdout)))| WorkerProcess {
                index,
                pid: child.id(),
                child,
                stdin: Some(stdin),
                stdout,
            })
            .collect();
        Ok(WorkerPool {
            workers,
            broken: None,
        })
    }

    /// The workers' process ids, by index.
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().map(|w| w.pid).collect()
    }

    /// How many workers the pool has.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the pool has no workers (never true for a spawned pool).
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// Counts `text`: chunks of about `chunk_bytes`, cut at whitespace,
    /// streamed to the workers as they take them; the partial counts
    /// merged. The pool can run job after job.
    ///
    /// # Errors
    /// [`ProcessError::Died`] (and friends) naming the first worker that
    /// failed; the others are stopped and the pool is unusable afterwards
    /// ([`ProcessError::Broken`]).
    pub fn count(&mut self, text: &str, chunk_bytes: usize) -> Result<WordCounts, ProcessError> {
        if let Some(why) = &self.broken {
            return Err(ProcessError::Broken(why.clone()));
        }
        let chunks = split_chunks(text, chunk_bytes);
        let next = AtomicUsize::new(0);
        let abort = AtomicBool::new(false);
        let outcomes: Vec<Result<WordCounts, JobFailure>> = thread::scope(|s| {
            let jobs: Vec<_> = self
                .workers
                .iter_mut()
                .map(|worker| {
                    let (chunks, next, abort) = (&chunks, &next, &abort);
                    s.spawn(move || {
                        let outcome = run_job(worker, chunks, next, abort);
                        if outcome.is_err() {
                            abort.store(true, Ordering::Relaxed);
                        }
                        outcome
                    })
                })
                .collect();
            jobs.into_iter()
                .map(|job| {
                    job.join().unwrap_or_else(|_| {
                        Err(JobFailure::Unexpected(Message::Failure(
                            "the parent's thread for this worker panicked".into(),
                        )))
                    })
                })
                .collect()
        });
        let mut total = WordCounts::new();
        let mut failure = None;
        for (worker, outcome) in self.workers.iter_mut().zip(outcomes) {
            match outcome {
                Ok(counts) => total.merge(counts),
                Err(JobFailure::Aborted) => {}
                Err(why) if failure.is_none() => failure = Some(diagnose(worker, why)),
                Err(_) => {}
            }
        }
        match failure {
            Some(error) => {
                self.broken = Some(error.to_string());
                Err(error)
            }
            None => Ok(total),
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // A closed stdin is a healthy worker's signal to exit; stragglers
        // are killed. Every child is waited for: no zombies, no orphans.
        for w in &mut self.workers {
            w.stdin.take();
        }
        for w in &mut self.workers {
            settle(&mut w.child, EXIT_GRACE);
        }
    }
}

/// Children that have not all said hello yet: killed and reaped on drop.
struct Starting(Vec<Child>);

impl Drop for Starting {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads every worker's hello, each on a thread of its own that owns the
/// pipe and hands it back. A worker silent at the deadline is killed;
/// its reader thread is then left behind rather than waited for (a wrong
/// program may have a grandchild holding the pipe open), so the handshake
/// never outlasts its deadline by more than a moment.
fn handshake(
    children: &mut [Child],
    stdouts: Vec<BufReader<ChildStdout>>,
    timeout: Duration,
) -> Result<Vec<BufReader<ChildStdout>>, ProcessError> {
    type Heard = (
        usize,
        Result<Option<Message>, FrameError>,
        BufReader<ChildStdout>,
    );
    let n = stdouts.len();
    let (tx, rx) = mpsc::channel::<Heard>();
    for (index, mut stdout) in stdouts.into_iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || {
            let hello = Message::read_from(&mut stdout);
            let _ = tx.send((index, hello, stdout));
        });
    }
    drop(tx);
    let mut heard: Vec<Option<Heard>> = (0..n).map(|_| None).collect();
    let mut killed = vec![false; n];
    let mut deadline = Instant::now() + timeout;
    let mut in_grace = false;
    while heard.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(message) => {
                let index = message.0;
                heard[index] = Some(message);
            }
            Err(mpsc::RecvTimeoutError::Timeout) if !in_grace => {
                // Kill the silent ones, then give their readers a moment
                // to see the end of the pipe.
                for (index, child) in children.iter_mut().enumerate() {
                    if heard[index].is_none() {
                        let _ = child.kill();
                        killed[index] = true;
                    }
                }
                in_grace = true;
                deadline = Instant::now() + Duration::from_millis(500);
            }
            Err(_) => break,
        }
    }
    let mut stdouts = Vec::with_capacity(n);
    for (index, (child, heard)) in children.iter_mut().zip(heard).enumerate() {
        let pid = child.id();
        let reason = match heard {
            _ if killed[index] => format!(
                "it said nothing within {:.1} s, so it was killed",
                timeout.as_secs_f64()
            ),
            Some((_, Ok(Some(Message::Hello { version, .. })), stdout))
                if version == PROTOCOL_VERSION =>
            {
                stdouts.push(stdout);
                continue;
            }
            Some((_, Ok(Some(Message::Hello { version, .. })), _)) => {
                return Err(ProcessError::Version {
                    index,
                    pid,
                    theirs: version,
                });
            }
            Some((_, Ok(Some(other)), _)) => format!("it opened with a {} frame", other.kind()),
            Some((_, Ok(None), _)) => format!(
                "it closed its output without a hello ({})",
                settle(child, EXIT_GRACE)
            ),
            Some((_, Err(e), _)) => format!("its first output is not a hello frame: {e}"),
            None => "its reader thread vanished".to_owned(),
        };
        return Err(ProcessError::NotAWorker { index, pid, reason });
    }
    Ok(stdouts)
}

/// One worker's share of a job: chunks until none are left (or another
/// worker failed), then `End`, then its counts.
fn run_job(
    worker: &mut WorkerProcess,
    chunks: &[&str],
    next: &AtomicUsize,
    abort: &AtomicBool,
) -> Result<WordCounts, JobFailure> {
    let Some(stdin) = worker.stdin.as_mut() else {
        return Err(JobFailure::Send {
            during: "before the job (its stdin was closed)".into(),
        });
    };
    loop {
        if abort.load(Ordering::Relaxed) {
            return Err(JobFailure::Aborted);
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = chunks.get(i) else { break };
        write_chunk(stdin, chunk).map_err(|_| JobFailure::Send {
            during: format!("while receiving chunk {} of {}", i + 1, chunks.len()),
        })?;
    }
    write_frame(stdin, FrameKind::End, &[])
        .and_then(|()| stdin.flush())
        .map_err(|_| JobFailure::Send {
            during: "at the end of the job".into(),
        })?;
    match Message::read_from(&mut worker.stdout) {
        Ok(Some(Message::Counts(counts))) => Ok(counts),
        Ok(Some(other)) => Err(JobFailure::Unexpected(other)),
        Ok(None) => Err(JobFailure::NoReply),
        Err(e) => Err(JobFailure::Receive(e)),
    }
}

/// Turns a worker's failure into an error that names it, with its exit
/// status and, when it managed to send one, its `Failure` message.
fn diagnose(worker: &mut WorkerProcess, failure: JobFailure) -> ProcessError {
    let (index, pid) = (worker.index, worker.pid);
    let died = |during: String, worker: &mut WorkerProcess| {
        let status = settle(&mut worker.child, EXIT_GRACE);
        // The worker is gone now, so this read cannot block: it finds its
        // last words, if it had time to say any.
        match Message::read_from(&mut worker.stdout) {
            Ok(Some(Message::Failure(message))) => ProcessError::Failed {
                index,
                pid,
                message,
                status,
            },
            _ => ProcessError::Died {
                index,
                pid,
                during,
                status,
            },
        }
    };
    match failure {
        JobFailure::Send { during } => died(during, worker),
        JobFailure::NoReply => died("before sending its counts".into(), worker),
        JobFailure::Receive(FrameError::Io(_) | FrameError::Truncated { .. }) => {
            died("while sending its counts".into(), worker)
        }
        JobFailure::Receive(e) => {
            settle(&mut worker.child, Duration::ZERO);
            ProcessError::Protocol {
                index,
                pid,
                reason: e.to_string(),
            }
        }
        JobFailure::Unexpected(Message::Failure(message)) => ProcessError::Failed {
            index,
            pid,
            message,
            status: settle(&mut worker.child, EXIT_GRACE),
        },
        JobFailure::Unexpected(other) => {
            settle(&mut worker.child, Duration::ZERO);
            ProcessError::Protocol {
                index,
                pid,
                reason: format!(
                    "it answered with a {} frame instead of counts",
                    other.kind()
                ),
            }
        }
        JobFailure::Aborted => ProcessError::Broken("stopped after another worker failed".into()),
    }
}

/// Waits up to `grace` for `child` to exit, then kills it; either way it
/// is reaped. Returns its status as a sentence.
fn settle(child: &mut Child, grace: Duration) -> String {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => break,
            Err(e) => return format!("its status is unknown ({e})"),
        }
    }
    let _ = child.kill();
    match child.wait() {
        Ok(status) => format!("still running, so it was killed ({status})"),
        Err(e) => format!("still running; killing it failed ({e})"),
    }
}

// ---- timely dataflow --------------------------------------------------------

/// The first default port: process `i` listens on `127.0.0.1:(2101 + i)`
/// (timely's defaults, on the loopback address).
pub const FIRST_DEFAULT_PORT: u16 = 2101;

/// Where the processes of a timely computation are, and which one this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// This process's index, `0..addresses.len()`.
    pub process: usize,
    /// `HOST:PORT` of every process, in process order.
    pub addresses: Vec<String>,
    /// How long to wait for the peers before giving up.
    pub connect_timeout: Duration,
}

/// What went wrong setting up or running the timely computation.
#[derive(Debug, thiserror::Error)]
pub enum TimelyError {
    /// `--processes 0`.
    #[error("--processes must be at least 1")]
    NoProcesses,
    /// The process index is not below the number of processes.
    #[error("--process {process} is out of range: with --processes {processes} it must be 0 to {}", processes - 1)]
    ProcessOutOfRange {
        /// The index given.
        process: usize,
        /// The number of processes.
        processes: usize,
    },
    /// The hostfile cannot be read.
    #[error("cannot read hostfile {}: {source}", path.display())]
    HostfileUnreadable {
        /// The hostfile.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A hostfile line is not `HOST:PORT`.
    #[error("{}:{line}: `{text}` is not an address of the form HOST:PORT", path.display())]
    HostfileLine {
        /// The hostfile.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// The hostfile has fewer addresses than processes.
    #[error("hostfile {} lists {found} address(es), but --processes is {processes}: write one HOST:PORT line per process, in process order", path.display())]
    HostfileShort {
        /// The hostfile.
        path: PathBuf,
        /// Addresses found.
        found: usize,
        /// Addresses needed.
        processes: usize,
    },
    /// This process cannot listen on its own address.
    #[error("process {process} cannot listen on {address}: {source}")]
    Listen {
        /// This process.
        process: usize,
        /// Its address.
        address: String,
        /// Why.
        source: io::Error,
    },
    /// A lower-numbered peer did not accept a connection in time.
    #[error(
        "process {process} could not reach process {peer} at {address} within {waited_s:.1} s ({last_error}); is it running, with the same hostfile?"
    )]
    Unreachable {
        /// This process.
        process: usize,
        /// The peer.
        peer: usize,
        /// The peer's address.
        address: String,
        /// Seconds waited.
        waited_s: f64,
        /// The last connection error.
        last_error: String,
    },
    /// Higher-numbered peers did not connect in time.
    #[error(
        "process {process} heard from no process {missing:?} at {address} within {waited_s:.1} s; are they running, with the same hostfile?"
    )]
    NotConnected {
        /// This process.
        process: usize,
        /// The peers still missing.
        missing: Vec<usize>,
        /// This process's address.
        address: String,
        /// Seconds waited.
        waited_s: f64,
    },
    /// A connection did not introduce itself properly.
    #[error("process {process}: bad handshake from {from}: {reason}")]
    Handshake {
        /// This process.
        process: usize,
        /// The connecting address.
        from: String,
        /// What was wrong.
        reason: String,
    },
    /// Timely failed while running (a worker or network thread panicked,
    /// a peer vanished).
    #[error("timely: {0}")]
    Engine(String),
}

impl TimelyError {
    /// Whether the error is in what the user asked for (exit code 2),
    /// rather than in carrying it out (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            TimelyError::NoProcesses
                | TimelyError::ProcessOutOfRange { .. }
                | TimelyError::HostfileUnreadable { .. }
                | TimelyError::HostfileLine { .. }
                | TimelyError::HostfileShort { .. }
        )
    }
}

impl ClusterSpec {
    /// `processes` processes on this host: `127.0.0.1:2101`, `:2102`, ….
    ///
    /// # Errors
    /// When `processes` is 0 or `process` is out of range.
    pub fn loopback(
        processes: usize,
        process: usize,
        connect_timeout: Duration,
    ) -> Result<Self, TimelyError> {
        check_index(processes, process)?;
        let addresses = (0..processes)
            .map(|i| format!("127.0.0.1:{}", usize::from(FIRST_DEFAULT_PORT) + i))
            .collect();
        Ok(ClusterSpec {
            process,
            addresses,
            connect_timeout,
        })
    }

    /// The addresses from a hostfile, timely's format: one `HOST:PORT` per
    /// line, line `i` for process `i`; lines beyond `processes` are
    /// ignored, as timely does. Blank lines and `#` comments are skipped.
    ///
    /// # Errors
    /// A bad index, an unreadable file, a line that is not `HOST:PORT`
    /// (named by file and line), or too few lines.
    pub fn from_hostfile(
        path: &Path,
        processes: usize,
        process: usize,
        connect_timeout: Duration,
    ) -> Result<Self, TimelyError> {
        check_index(processes, process)?;
        let text =
            std::fs::read_to_string(path).map_err(|source| TimelyError::HostfileUnreadable {
                path: path.to_owned(),
                source,
            })?;
        let mut addresses = Vec::with_capacity(processes);
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if addresses.len() == processes {
                break;
            }
            if !is_host_port(line) {
                return Err(TimelyError::HostfileLine {
                    path: path.to_owned(),
                    line: number + 1,
                    text: line.to_owned(),
                });
            }
            addresses.push(line.to_owned());
        }
        if addresses.len() < processes {
            return Err(TimelyError::HostfileShort {
                path: path.to_owned(),
                found: addresses.len(),
                processes,
            });
        }
        Ok(ClusterSpec {
            process,
            addresses,
            connect_timeout,
        })
    }

    /// The number of processes.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }
}

fn check_index(processes: usize, process: usize) -> Result<(), TimelyError> {
    if processes == 0 {
        return Err(TimelyError::NoProcesses);
    }
    if process >= processes {
        return Err(TimelyError::ProcessOutOfRange { process, processes });
    }
    Ok(())
}

fn is_host_port(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

/// Connects this process to every other one, timely's way: dial each
/// lower-numbered process and send our index (a big-endian `u64`), accept
/// each higher-numbered one and read its index. The listener is bound
/// before dialling, so higher-numbered processes can queue their
/// connections while we dial. Gives up at the spec's deadline.
///
/// The result has one entry per process, `None` at our own index — what
/// timely's `initialize_networking_from_sockets` expects.
///
/// # Errors
/// [`TimelyError::Listen`], [`TimelyError::Unreachable`],
/// [`TimelyError::NotConnected`] or [`TimelyError::Handshake`].
pub fn connect_peers(spec: &ClusterSpec) -> Result<Vec<Option<TcpStream>>, TimelyError> {
    let (me, n) = (spec.process, spec.processes());
    let started = Instant::now();
    let deadline = started + spec.connect_timeout;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    let my_address = &spec.addresses[me];
    let listener = if me + 1 < n {
        let listen_error = |source| TimelyError::Listen {
            process: me,
            address: my_address.clone(),
            source,
        };
        let listener = TcpListener::bind(my_address.as_str()).map_err(listen_error)?;
        listener.set_nonblocking(true).map_err(listen_error)?;
        Some(listener)
    } else {
        None
    };
    for (peer, slot) in sockets.iter_mut().enumerate().take(me) {
        let address = &spec.addresses[peer];
        let unreachable = |last_error: String| TimelyError::Unreachable {
            process: me,
            peer,
            address: address.clone(),
            waited_s: started.elapsed().as_secs_f64(),
            last_error,
        };
        let mut stream = dial(address, deadline).map_err(unreachable)?;
        stream
            .set_nodelay(true)
            .and_then(|()| stream.write_all(&(me as u64).to_be_bytes()))
            .map_err(|e| unreachable(e.to_string()))?;
        *slot = Some(stream);
    }
    let Some(listener) = listener else {
        return Ok(sockets);
    };
    loop {
        let missing: Vec<usize> = (me + 1..n).filter(|&i| sockets[i].is_none()).collect();
        if missing.is_empty() {
            return Ok(sockets);
        }
        match listener.accept() {
            Ok((stream, from)) => {
                let (peer, stream) = introduce(stream, me, n, deadline).map_err(|reason| {
                    TimelyError::Handshake {
                        process: me,
                        from: from.to_string(),
                        reason,
                    }
                })?;
                if sockets[peer].is_some() {
                    return Err(TimelyError::Handshake {
                        process: me,
                        from: from.to_string(),
                        reason: format!("process {peer} connected twice"),
                    });
                }
                sockets[peer] = Some(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(TimelyError::NotConnected {
                        process: me,
                        missing,
                        address: my_address.clone(),
                        waited_s: started.elapsed().as_secs_f64(),
                    });
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(TimelyError::Listen {
                    process: me,
                    address: my_address.clone(),
                    source,
                });
            }
        }
    }
}

/// Connects to `address`, retrying until `deadline`; the last error.
fn dial(address: &str, deadline: Instant) -> Result<TcpStream, String> {
    loop {
        let mut last_error = String::from("no address resolved");
        match address.to_socket_addrs() {
            Ok(addrs) => {
                for addr in addrs {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let attempt = left.clamp(Duration::from_millis(10), Duration::from_secs(1));
                    match TcpStream::connect_timeout(&addr, attempt) {
                        Ok(stream) => return Ok(stream),
                        Err(e) => last_error = e.to_string(),
                    }
                }
            }
            Err(e) => last_error = format!("cannot resolve: {e}"),
        }
        if Instant::now() >= deadline {
            return Err(last_error);
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// Reads an accepted peer's index and readies its socket for timely.
fn introduce(
    mut stream: TcpStream,
    me: usize,
    n: usize,
    deadline: Instant,
) -> Result<(usize, TcpStream), String> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(left)))
        .map_err(|e| e.to_string())?;
    let mut index = [0u8; 8];
    stream
        .read_exact(&mut index)
        .map_err(|e| format!("no process index arrived: {e}"))?;
    let peer = u64::from_be_bytes(index);
    let peer = usize::try_from(peer)
        .ok()
        .filter(|p| (me + 1..n).contains(p))
        .ok_or_else(|| {
            format!(
                "it says it is process {peer}, but only processes {} to {} connect to process {me}",
                me + 1,
                n - 1
            )
        })?;
    // timely's network threads read with blocking calls and no timeout.
    stream
        .set_read_timeout(None)
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|e| e.to_string())?;
    Ok((peer, stream))
}

/// How to run the timely engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelySetup {
    /// Worker threads in this process.
    pub threads: usize,
    /// The other processes; `None` (or one process) for a single process.
    pub cluster: Option<ClusterSpec>,
    /// Chunk size of this process's share.
    pub chunk_bytes: usize,
}

/// What a timely run produced on this process.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelyRun {
    /// The whole table, on the process that holds worker 0; `None` on the
    /// others.
    pub counts: Option<WordCounts>,
    /// Time spent connecting to the peers.
    pub connect: Duration,
    /// Time from the start of the dataflow to its end on this process.
    pub count: Duration,
}

/// Engine 4: counts with timely dataflow. `share` is this process's part
/// of the corpus (all of it for a single process); the process holding
/// worker 0 gets the whole table. See the module docs for the dataflow.
///
/// # Errors
/// Setting up the network ([`connect_peers`]), or timely failing while
/// running ([`TimelyError::Engine`]: a panic in a worker or network
/// thread, such as a peer that vanished, is caught and reported).
pub fn count_timely(share: Arc<String>, setup: &TimelySetup) -> Result<TimelyRun, TimelyError> {
    let threads = setup.threads.max(1);
    let ranges = Arc::new(split_ranges(&share, setup.chunk_bytes));
    let connecting = Instant::now();
    let (builders, network): (Vec<AllocatorBuilder>, Box<dyn Any + Send>) = match &setup.cluster {
        Some(cluster) if cluster.processes() > 1 => {
            let sockets = connect_peers(cluster)?;
            let hooks = Hooks::default();
            let local = ProcessBuilder::new_typed_vector(
                threads,
                hooks.refill.clone(),
                hooks.spill.clone(),
            );
            let (builders, guard) =
                initialize_networking_from_sockets(local, sockets, cluster.process, threads, hooks)
                    .map_err(|e| {
                        TimelyError::Engine(format!("starting the network threads: {e}"))
                    })?;
            (
                builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
                Box::new(guard),
            )
        }
        _ => CommunicationConfig::Process(threads)
            .try_build()
            .map_err(TimelyError::Engine)?,
    };
    let connect = connecting.elapsed();
    let counting = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let guards = timely::execute::execute_from(
            builders,
            network,
            WorkerConfig::default(),
            move |worker| {
                word_count_dataflow(worker, Arc::clone(&share), Arc::clone(&ranges), threads)
            },
        )?;
        // Joining the workers, then dropping the guards, which joins the
        // network threads: nothing of the computation outlives this call.
        Ok::<_, String>(guards.join())
    }));
    let count = counting.elapsed();
    let results = match outcome {
        Ok(Ok(results)) => results,
        Ok(Err(e)) => return Err(TimelyError::Engine(e)),
        Err(panic) => {
            return Err(TimelyError::Engine(format!(
                "a thread panicked: {}",
                mastery_kit::panics::panic_message(panic.as_ref())
            )));
        }
    };
    let mut counts = None;
    for (local, result) in results.into_iter().enumerate() {
        match result {
            Ok(Some(table)) => counts = Some(table),
            Ok(None) => {}
            Err(e) => {
                return Err(TimelyError::Engine(format!(
                    "worker thread {local} of this process failed: {e}"
                )));
            }
        }
    }
    Ok(TimelyRun {
        counts,
        connect,
        count,
    })
}

type Pairs = CapacityContainerBuilder<Vec<(String, u64)>>;

/// One timely worker: builds the word-count dataflow, runs it to the end,
/// and returns the table if it is worker 0.
///
/// ```text
/// chunk indices ─▶ CountWords ──exchange by hash(word)──▶ SumByWord ──exchange to 0──▶ Gather
///   (this worker's)   (local map)                         (one owner per word)          (worker 0)
/// ```
fn word_count_dataflow(
    worker: &mut timely::worker::Worker,
    text: Arc<String>,
    ranges: Arc<Vec<Range<usize>>>,
    threads: usize,
) -> Option<WordCounts> {
    let index = worker.index();
    // Global index = process * threads + local index, in timely's numbering.
    let mine: Vec<usize> = (index % threads..ranges.len()).step_by(threads).collect();
    let gathered: Rc<RefCell<WordCounts>> = Rc::default();
    let sink = Rc::clone(&gathered);
    worker.dataflow::<u64, _, _>(move |scope| {
        mine.to_stream(scope)
            .unary_frontier::<Pairs, _, _, _>(Pipeline, "CountWords", move |capability, _| {
                let mut capability = Some(capability);
                let mut counts: HashMap<String, u64> = HashMap::new();
                move |(input, frontier), output| {
                    input.for_each(|_, chunks| {
                        for &chunk in chunks.iter() {
                            tally(&mut counts, &text[ranges[chunk].clone()]);
                        }
                    });
                    // Once no more input can come, emit the local table and
                    // let go of the capability, so downstream can finish.
                    if frontier.is_empty() {
                        if let Some(capability) = capability.take() {
                            output.session(&capability).give_iterator(counts.drain());
                        }
                    }
                }
            })
            .unary_frontier::<Pairs, _, _, _>(
                Exchange::new(|pair: &(String, u64)| stable_hash(&pair.0)),
                "SumByWord",
                |capability, _| {
                    let mut capability = Some(capability);
                    let mut counts: HashMap<String, u64> = HashMap::new();
                    move |(input, frontier), output| {
                        input.for_each(|_, pairs| {
                            for (word, count) in pairs.drain(..) {
                                *counts.entry(word).or_insert(0) += count;
                            }
                        });
                        if frontier.is_empty() {
                            if let Some(capability) = capability.take() {
                                output.session(&capability).give_iterator(counts.drain());
                            }
                        }
                    }
                },
            )
            .sink(
                Exchange::new(|_: &(String, u64)| 0),
                "Gather",
                move |(input, _)| {
                    input.for_each(|_, pairs| sink.borrow_mut().extend(pairs.drain(..)));
                },
            );
    });
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    (index == 0).then(|| gathered.take())
}

// ---- a run's summary ---------------------------------------------------------

/// The summary `mastery mapreduce` prints: `key: value` lines a person can
/// read and a program (the demo, the tests) can parse back.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Which engine, in words.
    pub engine: String,
    /// Corpus bytes counted.
    pub bytes: u64,
    /// Words counted.
    pub words: u64,
    /// Distinct words.
    pub distinct: u64,
    /// Seconds spent counting (not generating, not connecting).
    pub seconds: f64,
    /// [`WordCounts::digest`] of the table.
    pub digest: u64,
}

impl RunSummary {
    /// The summary of `counts`, counted from `bytes` in `elapsed`.
    pub fn new(
        engine: impl Into<String>,
        bytes: u64,
        counts: &WordCounts,
        elapsed: Duration,
    ) -> Self {
        RunSummary {
            engine: engine.into(),
            bytes,
            words: counts.total(),
            distinct: counts.distinct() as u64,
            seconds: elapsed.as_secs_f64(),
            digest: counts.digest(),
        }
    }

    /// Throughput in MB/s (10^6 bytes).
    pub fn megabytes_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(f64::MIN_POSITIVE)
    }

    /// The summary as lines of `key: value`.
    pub fn render(&self) -> String {
        format!(
            "engine:     {}\nbytes:      {}\nwords:      {}\ndistinct:   {}\nseconds:    {:.6}\nthroughput: {:.1} MB/s\ndigest:     {:016x}\n",
            self.engine,
            self.bytes,
            self.words,
            self.distinct,
            self.seconds,
            self.megabytes_per_sec(),
            self.digest
        )
    }

    /// Reads a summary back from `text` (other lines are ignored); `None`
    /// when a field is missing or malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let field = |key: &str| {
            text.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_owned())
            })
        };
        let first = |key: &str| field(key)?.split_whitespace().next().map(str::to_owned);
        Some(RunSummary {
            engine: field("engine")?,
            bytes: first("bytes")?.parse().ok()?,
            words: first("words")?.parse().ok()?,
            distinct: first("distinct")?.parse().ok()?,
            seconds: first("seconds")?.parse().ok()?,
            digest: u64::from_str_radix(&first("digest")?, 16).ok()?,
        })
    }
}

// ---- running child processes with a deadline ---------------------------------

/// Runs `commands` at once, collecting their output; kills all of them if
/// they are not all done within `timeout`. Every child is reaped.
///
/// # Errors
/// When a command cannot start, or the deadline passes (naming which ones
/// were still running).
pub fn run_all_with_deadline(
    commands: Vec<Command>,
    timeout: Duration,
) -> Result<Vec<Output>, String> {
    struct Running {
        child: Child,
        stdout: Option<thread::JoinHandle<Vec<u8>>>,
        stderr: Option<thread::JoinHandle<Vec<u8>>>,
    }
    /// Kills and reaps whatever is still running when dropped early.
    struct Group(Vec<Running>);
    impl Drop for Group {
        fn drop(&mut self) {
            for r in &mut self.0 {
                if matches!(r.child.try_wait(), Ok(None)) {
                    let _ = r.child.kill();
                }
                let _ = r.child.wait();
            }
        }
    }
    fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<thread::JoinHandle<Vec<u8>>> {
        pipe.map(|mut pipe| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        })
    }

    let mut group = Group(Vec::with_capacity(commands.len()));
    for (i, mut command) in commands.into_iter().enumerate() {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start command {i} ({command:?}): {e}"))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        group.0.push(Running {
            child,
            stdout,
            stderr,
        });
    }
    let deadline = Instant::now() + timeout;
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; group.0.len()];
    while statuses.iter().any(Option::is_none) {
        for (r, status) in group.0.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none() {
                *status = r
                    .child
                    .try_wait()
                    .map_err(|e| format!("waiting for pid {}: {e}", r.child.id()))?;
            }
        }
        if statuses.iter().any(Option::is_none) {
            if Instant::now() >= deadline {
                let running: Vec<u32> = group
                    .0
                    .iter()
                    .zip(&statuses)
                    .filter(|(_, s)| s.is_none())
                    .map(|(r, _)| r.child.id())
                    .collect();
                return Err(format!(
                    "processes {running:?} were still running after {:.0} s and were killed",
                    timeout.as_secs_f64()
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
    let mut outputs = Vec::with_capacity(group.0.len());
    for (r, status) in group.0.iter_mut().zip(statuses) {
        let collect = |handle: Option<thread::JoinHandle<Vec<u8>>>| {
            handle.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        outputs.push(Output {
            status: status.expect("the loop above ends only when every status is known"),
            stdout: collect(r.stdout.take()),
            stderr: collect(r.stderr.take()),
        });
    }
    Ok(outputs)
}

// ---- the demo ----------------------------------------------------------------

const QUICK_BYTES: usize = 1_000_000;
const FULL_BYTES: usize = 100_000_000;
const DEMO_SEED: u64 = 42;

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let bytes = n.mode().pick(QUICK_BYTES, FULL_BYTES);
    let spec = CorpusSpec::new(bytes, DEMO_SEED);
    let cores = thread::available_parallelism().map_or(1, usize::from);

    n.section("The corpus: seeded, Zipf-distributed words");
    n.say(&format!(
        "{bytes} bytes drawn from a vocabulary of {} generated words with Zipf \
         exponent {}; seed {DEMO_SEED}, so every run and every process builds the \
         same text. This machine has {cores} cores.",
        spec.vocabulary, spec.exponent
    ));
    let started = Instant::now();
    let text = Arc::new(spec.generate()?);
    n.record(
        "generate the corpus (rayon, in 1 MiB blocks)",
        started.elapsed().as_secs_f64() * 1e3,
        Unit::Millis,
    );
    let reference = count_single(&text);
    n.record("words in the corpus", reference.total() as f64, Unit::Count);
    n.record("distinct words", reference.distinct() as f64, Unit::Count);
    for (word, count) in reference.top(5) {
        n.show(format!("{count:>10}  {word}"));
    }
    let chunk = default_chunk_bytes(bytes, cores);
    let agree = |engine: &str, counts: &WordCounts| -> anyhow::Result<()> {
        match reference.first_difference(counts) {
            None => Ok(()),
            Some(diff) => anyhow::bail!("{engine} disagrees with one thread: {diff}"),
        }
    };

    n.section("1. rayon: threads on one machine");
    n.say(&format!(
        "Chunks of about {chunk} bytes cut at whitespace. The textbook version: \
         par_iter().fold(new table, count).reduce(new table, merge), a table per \
         rayon piece:"
    ));
    agree("rayon fold/reduce", &count_rayon_fold(&text, chunk))?;
    n.show("rayon fold/reduce == one thread  ✓");
    n.compare_throughput(
        &format!("word count: rayon fold/reduce on {cores} threads vs one thread"),
        bytes as u64,
        || count_rayon_fold(&text, chunk),
        "one thread",
        || count_single(&text),
    );
    n.say(
        "One table per thread instead (rayon::broadcast: each thread pulls chunks \
         from a shared counter into its own table; the tables are merged at the \
         end):",
    );
    agree("rayon per-thread tables", &count_rayon(&text, chunk))?;
    n.show("rayon per-thread tables == one thread  ✓");
    n.compare_throughput(
        &format!("word count: rayon, a table per thread, {cores} threads vs one thread"),
        bytes as u64,
        || count_rayon(&text, chunk),
        "one thread",
        || count_single(&text),
    );
    n.say(
        "Parallel counting pays a fixed cost that one thread does not: every \
         table learns the vocabulary on its own, and the tables are merged at the \
         end — work that grows with distinct words × tables, not with the text. \
         The fold version builds many tables, hence its small gain; one table per \
         thread pays the cost once per thread. Even that pays off only when the \
         corpus is much larger than its vocabulary (full mode: 100 MB over 50 000 \
         words); on the small quick-mode corpus it does not, and every parallel \
         engine loses to one thread.",
    );

    n.section("2. worker processes: the multiprocessing analogue");
    let worker_program = n.settings().worker_program.clone();
    match worker_program.as_deref() {
        None => n.say(
            "Skipped: this engine re-runs the `mastery` binary as `mastery worker`, \
             and this process is not it (a test harness, say). Run `mastery run \
             concurrency/mapreduce` to see it; no figure is printed for it here.",
        ),
        Some(program) => {
            let started = Instant::now();
            let mut pool = WorkerPool::spawn(program, cores)?;
            n.record(
                &format!("start {cores} worker processes and shake hands"),
                started.elapsed().as_secs_f64() * 1e3,
                Unit::Millis,
            );
            agree("the worker processes", &pool.count(&text, chunk)?)?;
            n.show(format!(
                "{cores} workers (pids {:?}) == one thread  ✓",
                pool.pids()
            ));
            let mut failure = None;
            n.compare_throughput(
                &format!("word count: {cores} worker processes over pipes vs one thread"),
                bytes as u64,
                || match pool.count(&text, chunk) {
                    Ok(counts) => counts.total(),
                    Err(e) => {
                        failure.get_or_insert(e);
                        0
                    }
                },
                "one thread",
                || count_single(&text),
            );
            if let Some(e) = failure {
                return Err(e.into());
            }
            n.say(
                "Every byte is copied through a pipe (into the kernel and out \
                 again) and checked as UTF-8 by the worker: that is what the \
                 processes pay over rayon's threads, which read the text in place.",
            );
        }
    }

    n.section("3. timely dataflow: the same dataflow, threads or processes");
    let setup = TimelySetup {
        threads: cores,
        cluster: None,
        chunk_bytes: chunk,
    };
    let run = count_timely(Arc::clone(&text), &setup)?;
    let counts = run
        .counts
        .ok_or_else(|| anyhow::anyhow!("timely returned no table from worker 0"))?;
    agree("timely", &counts)?;
    n.show(format!("timely, {cores} worker threads == one thread  ✓"));
    let mut failure = None;
    n.compare_throughput(
        &format!("word count: timely, {cores} worker threads in-process vs one thread"),
        bytes as u64,
        || match count_timely(Arc::clone(&text), &setup) {
            Ok(run) => run.count,
            Err(e) => {
                failure.get_or_insert(e);
                Duration::ZERO
            }
        },
        "one thread",
        || count_single(&text),
    );
    if let Some(e) = failure {
        return Err(e.into());
    }
    match worker_program.as_deref() {
        None => n.say(
            "Two timely processes over loopback TCP need the `mastery` binary to \
             launch; skipped here, as above (the in-process run used the same \
             dataflow).",
        ),
        Some(program) => {
            // Both sides in fresh processes, both timed by the program itself
            // over the counting phase only: a fair pair, alternated.
            let runs = n.mode().pick(1, 3);
            let (mut timely_s, mut single_s) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                for (engine, seconds) in [("single", &mut single_s), ("timely", &mut timely_s)] {
                    let summary = match engine {
                        "single" => mapreduce_children(program, &spec, &[&["--engine", "single"]])?,
                        _ => timely_on_loopback(program, &spec)?,
                    };
                    anyhow::ensure!(
                        summary.digest == reference.digest() && summary.words == reference.total(),
                        "`mastery mapreduce --engine {engine}` disagrees with one thread: {summary:?}"
                    );
                    seconds.push(summary.seconds);
                }
            }
            n.show("timely, 2 processes × 1 worker thread on 127.0.0.1 == one thread  ✓");
            let mb_s = |seconds: &mut Vec<f64>| {
                seconds.sort_unstable_by(f64::total_cmp);
                bytes as f64 / 1e6 / seconds[seconds.len() / 2].max(f64::MIN_POSITIVE)
            };
            n.compare(
                "word count: timely, 2 processes on loopback vs one thread, each run as \
                 `mastery mapreduce` (counting phase)",
                mb_s(&mut timely_s),
                mb_s(&mut single_s),
                "one thread (--engine single)",
                Unit::MegabytesPerSec,
            );
            n.say(
                "Each timely process generated only its half of the corpus (alternate \
                 1 MiB blocks), connected to the other over TCP, counted, and \
                 exchanged (word, count) pairs by word; process 0 gathered the table. \
                 Both sides are fresh `mastery mapreduce` processes timing only their \
                 counting — not starting, generating or connecting — the figure a \
                 long-running cluster job would see.",
            );
        }
    }
    Ok(())
}

/// Runs `program mapreduce` with the corpus options of `spec` plus each
/// of `extra`, all at once, and returns the first one's summary.
fn mapreduce_children(
    program: &Path,
    spec: &CorpusSpec,
    extra: &[&[&str]],
) -> anyhow::Result<RunSummary> {
    let commands = extra
        .iter()
        .map(|args| {
            let mut command = Command::new(program);
            command
                .arg("mapreduce")
                .args(*args)
                .args(["--bytes", &spec.bytes.to_string()])
                .args(["--seed", &spec.seed.to_string()])
                .args(["--vocabulary", &spec.vocabulary.to_string()])
                .args(["--top", "0"]);
            command
        })
        .collect();
    let outputs = run_all_with_deadline(commands, Duration::from_secs(300))
        .map_err(|e| anyhow::anyhow!("`{} mapreduce`: {e}", program.display()))?;
    for (args, output) in extra.iter().zip(&outputs) {
        anyhow::ensure!(
            output.status.success(),
            "`mastery mapreduce {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&outputs[0].stdout);
    RunSummary::parse(&stdout).ok_or_else(|| {
        anyhow::anyhow!(
            "`mastery mapreduce {}` printed no summary:\n{stdout}",
            extra[0].join(" ")
        )
    })
}

/// Launches `program mapreduce --engine timely` as processes 0 and 1 on
/// two free loopback ports and returns process 0's summary.
fn timely_on_loopback(program: &Path, spec: &CorpusSpec) -> anyhow::Result<RunSummary> {
    let hostfile = TempFile::new("hosts")?;
    let ports = [free_loopback_port()?, free_loopback_port()?];
    std::fs::write(
        &hostfile.0,
        format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1]),
    )?;
    let path = hostfile.0.to_string_lossy().into_owned();
    let process = |i: &'static str| -> [&str; 12] {
        [
            "--engine",
            "timely",
            "--processes",
            "2",
            "--process",
            i,
            "--workers",
            "1",
            "--hostfile",
            &path,
            "--connect-timeout",
            "20",
        ]
    };
    let (p0, p1) = (process("0"), process("1"));
    mapreduce_children(program, spec, &[&p0, &p1])
}

/// A file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(what: &str) -> io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "mastery-mapreduce-{}-{nanos}.{what}",
            std::process::id()
        ));
        std::fs::File::create(&path)?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether stdin or stdout is a terminal: a `mastery worker` started by
/// hand rather than by a pool.
pub fn started_by_hand() -> bool {
    io::stdin().is_terminal() || io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(bytes: usize, seed: u64) -> String {
        CorpusSpec::new(bytes, seed)
            .generate()
            .expect("the default spec is valid")
    }

    /// A naive count with the standard library, as independent of the
    /// engines as possible.
    fn naive(text: &str) -> WordCounts {
        let mut map = std::collections::BTreeMap::<&str, u64>::new();
        for word in text.split(|c: char| c.is_ascii_whitespace()) {
            if !word.is_empty() {
                *map.entry(word).or_default() += 1;
            }
        }
        map.into_iter().map(|(w, c)| (w.to_owned(), c)).collect()
    }

    #[test]
    fn the_corpus_is_deterministic_exact_in_size_and_zipf_shaped() {
        let a = corpus(300_000, 1);
        assert_eq!(a, corpus(300_000, 1), "same seed, same corpus");
        assert_ne!(a, corpus(300_000, 2), "another seed, another corpus");
        assert_eq!(a.len(), 300_000);
        let counts = count_single(&a);
        let top = counts.top(2);
        let rarest = counts.sorted()[counts.distinct() - 1].1;
        assert!(top[0].1 > top[1].1, "{top:?}");
        assert!(
            top[0].1 > 100 * rarest,
            "the top word is far more common than the rarest"
        );
        assert!(
            a.split_ascii_whitespace()
                .all(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn shares_partition_the_corpus() {
        let spec = CorpusSpec::new(2 * BLOCK_BYTES + 12_345, 9);
        let whole = spec.generate().expect("valid");
        let mut from_shares = WordCounts::new();
        for part in 0..2 {
            let share = spec.generate_share(part, 2).expect("valid");
            assert_eq!(share.len(), spec.share_bytes(part, 2));
            from_shares.merge(count_single(&share));
        }
        assert_eq!(from_shares.first_difference(&count_single(&whole)), None);
        assert!(spec.generate_share(2, 2).is_err());
    }

    #[test]
    fn bad_corpus_specs_are_errors() {
        for spec in [
            CorpusSpec {
                vocabulary: 0,
                ..CorpusSpec::new(10, 0)
            },
            CorpusSpec {
                exponent: -1.0,
                ..CorpusSpec::new(10, 0)
            },
            CorpusSpec {
                exponent: f64::NAN,
                ..CorpusSpec::new(10, 0)
            },
        ] {
            assert!(spec.generate().is_err(), "{spec:?}");
        }
        assert_eq!(CorpusSpec::new(0, 0).generate().as_deref(), Ok(""));
    }

    #[test]
    fn one_thread_matches_a_naive_count() {
        let text = "the cat  the\that\n\nthé the\r\ncat é  ";
        assert_eq!(count_single(text), naive(text));
        let text = corpus(200_000, 3);
        assert_eq!(count_single(&text).first_difference(&naive(&text)), None);
    }

    #[test]
    fn rayon_matches_the_reference() {
        let text = corpus(600_000, 4);
        let reference = count_single(&text);
        for chunk in [1, 100, 64 << 10, 10 << 20] {
            assert_eq!(
                count_rayon(&text, chunk).first_difference(&reference),
                None,
                "chunk {chunk}"
            );
        }
        for chunk in [1, 64 << 10, 10 << 20] {
            assert_eq!(
                count_rayon_fold(&text, chunk).first_difference(&reference),
                None,
                "fold, chunk {chunk}"
            );
        }
        let on_three = count_rayon_on(&text, 4096, 3).expect("a pool of three starts");
        assert_eq!(on_three.first_difference(&reference), None);
    }

    #[test]
    fn timely_threads_match_the_reference() {
        let text = Arc::new(corpus(800_000, 5));
        let reference = count_single(&text);
        for threads in [1, 3] {
            let setup = TimelySetup {
                threads,
                cluster: None,
                chunk_bytes: 16 << 10,
            };
            let run = count_timely(Arc::clone(&text), &setup).expect("timely runs");
            let counts = run.counts.expect("worker 0 is in this process");
            assert_eq!(
                counts.first_difference(&reference),
                None,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn timely_on_an_empty_share_returns_an_empty_table() {
        let setup = TimelySetup {
            threads: 2,
            cluster: None,
            chunk_bytes: 1024,
        };
        let run = count_timely(Arc::new(String::new()), &setup).expect("timely runs");
        assert_eq!(run.counts, Some(WordCounts::new()));
    }

    #[test]
    fn chunks_are_cut_only_at_whitespace() {
        let text = "alpha beta\tgamma\ndelta  épsilon ζήτα eta";
        for target in 1..text.len() + 2 {
            let chunks = split_chunks(text, target);
            assert_eq!(chunks.concat(), text, "target {target}");
            let counted: WordCounts = chunks.iter().fold(WordCounts::new(), |mut all, c| {
                all.merge(count_single(c));
                all
            });
            assert_eq!(counted, count_single(text), "target {target}");
        }
        assert!(split_chunks("", 10).is_empty());
        assert_eq!(split_chunks("oneverylongword", 3), ["oneverylongword"]);
    }

    #[test]
    fn digest_and_order_do_not_depend_on_insertion_order() {
        let a: WordCounts = [("b", 2), ("a", 2), ("c", 5)]
            .into_iter()
            .map(|(w, c)| (w.to_owned(), c))
            .collect();
        let b: WordCounts = [("c", 5), ("b", 1), ("a", 2), ("b", 1)]
            .into_iter()
            .map(|(w, c)| (w.to_owned(), c))
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.sorted(), [("c", 5), ("a", 2), ("b", 2)]);
        let mut c = b.clone();
        c.add("a", 1);
        assert_ne!(a.digest(), c.digest());
        assert_eq!(
            a.first_difference(&c).as_deref(),
            Some("`a` is counted 2 times here and 3 times there")
        );
        let mut tsv = Vec::new();
        a.write_tsv(&mut tsv).expect("a Vec accepts writes");
        assert_eq!(String::from_utf8_lossy(&tsv), "c\t5\na\t2\nb\t2\n");
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    fn round_trip(message: &Message) -> Message {
        let mut wire = Vec::new();
        message.write_to(&mut wire).expect("a Vec accepts writes");
        let mut input = wire.as_slice();
        let back = Message::read_from(&mut input)
            .expect("a frame we wrote decodes")
            .expect("one frame");
        assert!(input.is_empty(), "the frame is read exactly");
        back
    }

    #[test]
    fn every_message_round_trips() {
        let counts = count_single("a b b c c c é");
        for message in [
            Message::Hello {
                version: PROTOCOL_VERSION,
                pid: 4242,
            },
            Message::Chunk("the cat sat".into()),
            Message::Chunk(String::new()),
            Message::End,
            Message::Counts(counts),
            Message::Counts(WordCounts::new()),
            Message::Failure("out of memory".into()),
        ] {
            assert_eq!(round_trip(&message), message);
        }
        assert!(
            Message::read_from(&mut &[][..])
                .expect("clean end")
                .is_none()
        );
    }

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    fn counts_payload(entries: &[(&[u8], u64)], announced: u64) -> Vec<u8> {
        let mut p = announced.to_le_bytes().to_vec();
        for (word, count) in entries {
            p.extend_from_slice(&(word.len() as u32).to_le_bytes());
            p.extend_from_slice(word);
            p.extend_from_slice(&count.to_le_bytes());
        }
        p
    }

    #[test]
    fn malformed_frames_are_errors_that_say_what() {
        let mut hello = HELLO_MAGIC.to_vec();
        hello.extend_from_slice(&[1, 0, 0, 0, 7, 0, 0, 0]);
        // One entry whose word claims 20 bytes where 3 (and a count) follow.
        let mut short_word = 1u64.to_le_bytes().to_vec();
        short_word.extend_from_slice(&20u32.to_le_bytes());
        short_word.extend_from_slice(b"abc");
        short_word.extend_from_slice(&7u64.to_le_bytes());
        let mut huge = vec![FrameKind::Chunk.byte()];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![2, 5, 0], "the frame header needs 5 bytes, 3 arrived"),
            (
                frame(2, b"hello")[..7].to_vec(),
                "the chunk needs 5 bytes, 2 arrived",
            ),
            (frame(0x72, b"unning 0 tests"), "unknown frame kind 0x72"),
            (huge, "a chunk frame of 4294967295 bytes is over the limit"),
            (
                frame(2, &[0x66, 0xff, 0x6f]),
                "malformed chunk frame: not UTF-8",
            ),
            (frame(3, b"x"), "an end frame carries no payload"),
            (
                frame(1, &hello[1..]),
                "malformed hello frame: expected the 16-byte magic",
            ),
            (
                frame(4, &short_word),
                "malformed counts frame: needs 20 bytes at offset 12, only 11 remain",
            ),
            (
                frame(4, &counts_payload(&[(b"a", 1)], 1_000_000)),
                "announces 1000000 entries",
            ),
            (
                frame(4, &counts_payload(&[(b"a", 1), (b"a", 2)], 2)),
                "the word `a` appears twice",
            ),
            (
                frame(4, &counts_payload(&[(&[0xff], 1)], 1)),
                "entry 0: the word is not UTF-8",
            ),
            (
                frame(4, &[counts_payload(&[(b"a", 1)], 1), vec![0]].concat()),
                "1 bytes left over",
            ),
        ];
        for (wire, want) in cases {
            let error = Message::read_from(&mut wire.as_slice()).expect_err(want);
            assert!(
                error.to_string().contains(want),
                "{error} does not say {want:?}"
            );
        }
    }

    #[test]
    fn a_worker_counts_jobs_and_answers_each_end() {
        let text = corpus(200_000, 6);
        let mut input = Vec::new();
        for _job in 0..2 {
            for chunk in split_chunks(&text, 10_000) {
                write_chunk(&mut input, chunk).expect("a Vec accepts writes");
            }
            Message::End
                .write_to(&mut input)
                .expect("a Vec accepts writes");
        }
        let mut output = Vec::new();
        let exit = serve_worker(input.as_slice(), &mut output, WorkerOptions::default())
            .expect("a well-formed conversation");
        assert_eq!(exit, WorkerExit::ParentClosed { jobs: 2 });
        let mut replies = output.as_slice();
        let hello = Message::read_from(&mut replies)
            .expect("frame")
            .expect("hello");
        assert!(matches!(
            hello,
            Message::Hello {
                version: PROTOCOL_VERSION,
                ..
            }
        ));
        let reference = count_single(&text);
        for job in 0..2 {
            match Message::read_from(&mut replies).expect("frame") {
                Some(Message::Counts(counts)) => {
                    assert_eq!(counts.first_difference(&reference), None, "job {job}")
                }
                other => panic!("job {job}: expected counts, got {other:?}"),
            }
        }
        assert!(
            Message::read_from(&mut replies)
                .expect("clean end")
                .is_none()
        );
    }

    #[test]
    fn a_worker_refuses_bad_frames_and_says_why() {
        let mut input = Vec::new();
        Message::Hello { version: 1, pid: 1 }
            .write_to(&mut input)
            .expect("Vec");
        let mut output = Vec::new();
        let error = serve_worker(input.as_slice(), &mut output, WorkerOptions::default())
            .expect_err("a hello from the parent is wrong");
        assert!(matches!(error, ServeError::Unexpected(FrameKind::Hello)));
        let mut replies = output.as_slice();
        let _hello = Message::read_from(&mut replies).expect("frame");
        match Message::read_from(&mut replies).expect("frame") {
            Some(Message::Failure(why)) => assert!(why.contains("unexpected hello frame"), "{why}"),
            other => panic!("expected a failure frame, got {other:?}"),
        }
    }

    #[test]
    fn the_crash_hook_stops_the_named_worker_at_its_chunk() {
        let options = WorkerOptions::from_crash_spec(1, Some("1:2")).expect("valid");
        assert_eq!(options.crash_at_chunk, Some(2));
        let other = WorkerOptions::from_crash_spec(0, Some("1:2")).expect("valid");
        assert_eq!(other.crash_at_chunk, None);
        for bad in ["1", "x:2", "1:0", "1:-3"] {
            assert!(
                WorkerOptions::from_crash_spec(1, Some(bad)).is_err(),
                "{bad}"
            );
        }
        let mut input = Vec::new();
        for chunk in ["a b", "c d", "e f"] {
            write_chunk(&mut input, chunk).expect("Vec");
        }
        let exit = serve_worker(input.as_slice(), io::sink(), options).expect("stops cleanly");
        assert_eq!(exit, WorkerExit::CrashRequested { chunk: 2 });
    }

    #[cfg(unix)]
    #[test]
    fn programs_that_are_not_workers_are_refused_by_name() {
        use std::os::unix::fs::PermissionsExt as _;
        // A program that ignores its arguments and says nothing.
        let script = TempFile::new("silent.sh").expect("a temp file");
        std::fs::write(&script.0, "#!/bin/sh\nexec sleep 30\n").expect("write the script");
        std::fs::set_permissions(&script.0, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
        let silent = script.0.clone();
        let cases: [(&str, Duration, &str); 3] = [
            (
                "/bin/echo",
                DEFAULT_HANDSHAKE_TIMEOUT,
                "its first output is not a hello frame: unknown frame kind 0x77",
            ),
            (
                "/bin/true",
                DEFAULT_HANDSHAKE_TIMEOUT,
                "it closed its output without a hello (exit status: 0)",
            ),
            (
                silent.to_str().expect("a UTF-8 temp path"),
                Duration::from_millis(200),
                "it said nothing within 0.2 s, so it was killed",
            ),
        ];
        for (program, timeout, want) in cases {
            let started = Instant::now();
            let error = WorkerPool::spawn_with_timeout(Path::new(program), 2, timeout)
                .expect_err("not a worker");
            let message = error.to_string();
            assert!(message.starts_with("worker 0 (pid "), "{message}");
            assert!(message.contains(want), "{program}: {message}");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{program} made the pool hang"
            );
        }
        let error = WorkerPool::spawn(Path::new("/no/such/program"), 1).expect_err("no program");
        assert!(
            error
                .to_string()
                .starts_with("cannot start worker 0 from /no/such/program"),
            "{error}"
        );
        assert!(matches!(
            WorkerPool::spawn(Path::new("/bin/true"), 0),
            Err(ProcessError::NoWorkers)
        ));
    }

    #[test]
    fn hostfiles_follow_timely_and_errors_name_file_and_line() {
        let dir =
            std::env::temp_dir().join(format!("mastery-hostfile-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write hostfile");
            path
        };
        let t = Duration::from_secs(1);
        let good = write(
            "good",
            "# cluster\n127.0.0.1:3000\n\nnode1.example:3001\n[::1]:3002\nextra\n",
        );
        let spec = ClusterSpec::from_hostfile(&good, 3, 2, t).expect("valid");
        assert_eq!(
            spec.addresses,
            ["127.0.0.1:3000", "node1.example:3001", "[::1]:3002"]
        );
        let cases: Vec<(Result<ClusterSpec, TimelyError>, String, bool)> = vec![
            (
                ClusterSpec::from_hostfile(&good, 2, 2, t),
                "--process 2 is out of range: with --processes 2 it must be 0 to 1".into(),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&good, 0, 0, t),
                "--processes must be at least 1".into(),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&good, 5, 0, t),
                format!("{}:6: `extra` is not an address", good.display()),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&write("short", "127.0.0.1:1\n"), 2, 0, t),
                "lists 1 address(es), but --processes is 2".into(),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&write("noport", "localhost\n"), 1, 0, t),
                "noport:1: `localhost` is not".into(),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&write("badport", "h:99999\n"), 1, 0, t),
                "badport:1: `h:99999`".into(),
                true,
            ),
            (
                ClusterSpec::from_hostfile(&dir.join("missing"), 1, 0, t),
                "cannot read hostfile".into(),
                true,
            ),
        ];
        for (result, want, usage) in cases {
            let error = result.expect_err(&want);
            assert!(
                error.to_string().contains(&want),
                "{error} does not say {want:?}"
            );
            assert_eq!(error.is_usage(), usage, "{error}");
        }
        let _ = std::fs::remove_dir_all(&dir);
        let spec = ClusterSpec::loopback(3, 1, t).expect("valid");
        assert_eq!(
            spec.addresses,
            ["127.0.0.1:2101", "127.0.0.1:2102", "127.0.0.1:2103"]
        );
    }

    #[test]
    fn an_unreachable_peer_times_out_with_its_name() {
        let port = free_loopback_port().expect("a loopback port");
        let spec = ClusterSpec {
            process: 1,
            addresses: vec![format!("127.0.0.1:{port}"), "127.0.0.1:0".into()],
            connect_timeout: Duration::from_millis(300),
        };
        let started = Instant::now();
        let error = connect_peers(&spec).expect_err("nobody listens");
        assert!(started.elapsed() < Duration::from_secs(5));
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "process 1 could not reach process 0 at 127.0.0.1:{port} within"
            )),
            "{message}"
        );
        assert!(!error.is_usage());
    }

    #[test]
    fn summaries_render_and_parse_back() {
        let counts = count_single("a b b");
        let summary = RunSummary::new("rayon, 2 threads", 6, &counts, Duration::from_millis(2));
        let text = format!("{}top 1:\n  2  b\n", summary.render());
        let back = RunSummary::parse(&text).expect("parses");
        assert_eq!(back.engine, "rayon, 2 threads");
        assert_eq!(
            (back.words, back.distinct, back.digest),
            (3, 2, counts.digest())
        );
        assert!((back.seconds - 0.002).abs() < 1e-9);
        assert!(RunSummary::parse("engine: x\n").is_none());
    }

    #[test]
    fn a_deadline_kills_what_is_still_running() {
        #[cfg(unix)]
        {
            let mut sleeper = Command::new("/bin/sleep");
            sleeper.arg("30");
            let started = Instant::now();
            let error = run_all_with_deadline(vec![sleeper], Duration::from_millis(200))
                .expect_err("sleep outlives the deadline");
            assert!(error.contains("were still running after"), "{error}");
            assert!(started.elapsed() < Duration::from_secs(5));
            let mut echo = Command::new("/bin/echo");
            echo.arg("hi");
            let out =
                run_all_with_deadline(vec![echo], Duration::from_secs(10)).expect("echo runs");
            assert_eq!(out[0].stdout, b"hi\n");
        }
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("concurrency/mapreduce", mastery_kit::Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        let labels: Vec<&str> = n.comparisons().iter().map(|c| c.label.as_str()).collect();
        assert!(labels.iter().any(|l| l.contains("rayon")), "{labels:?}");
        assert!(labels.iter().any(|l| l.contains("timely")), "{labels:?}");
        assert!(
            n.comparisons()
                .iter()
                .all(|c| c.speedup.is_finite() && c.speedup > 0.0)
        );
    }
}
