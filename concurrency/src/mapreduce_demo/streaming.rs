//! # Counting files of any size in bounded memory
//!
//! The in-memory engines cut a `&str` they already hold. A reader's files
//! may be larger than memory, so here the text is streamed: one thread
//! reads the inputs and cuts them into chunks ([`ChunkReader`]), a bounded
//! queue ([`ChunkQueue`], a `sync_channel` as deep as there are workers)
//! hands each chunk to whichever worker takes it first, and a full queue
//! stops the reader until a worker catches up — backpressure, so the text
//! in memory is at most the queue's chunks, one chunk per worker and the
//! one being read, never the input.
//!
//! [`stream_chunks`] is the driver every parallel engine runs under; the
//! engines only take chunks: [`count_rayon_stream`] here, the worker
//! processes' [`WorkerPool::count_stream`](super::WorkerPool::count_stream)
//! and timely's [`count_timely_stream`](super::count_timely_stream). The
//! one-thread reference, [`count_single_inputs`], needs no queue: it reads
//! and counts in turn. All of them count with the same `tally`, so they
//! agree with the reference to the last word.
//!
//! ## When to stream, and what it costs
//! Stream whenever the input may outgrow memory: a reader thread and a
//! bounded queue cost little next to counting, and memory then follows the
//! chunk size and the workers, not the input. Holding the text in memory is
//! simpler, and lets rayon cut it without a reader, only when it surely
//! fits. The price is that reading runs on one thread: the parallel
//! engines can go no faster than that thread reads and cuts chunks (or the
//! disk delivers them), and the seconds `mastery mapreduce --input` reports
//! include reading. Its memory, which it reports as the peak heap, stays
//! about the chunk size times the workers plus the count tables; a test of
//! the binary holds it under a fixed bound for an input many times larger,
//! and a test of [`ChunkReader`] counts the bytes its buffer ever reserved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;

use super::chunk_reader::{ChunkReader, ReadStats};
use super::counts::WordCounts;
use super::inputs::InputError;

/// The workers' end of the bounded queue of chunks. Any number of threads
/// may take from it (clones share the queue); each chunk goes to one.
#[derive(Debug, Clone)]
pub struct ChunkQueue {
    receiver: Arc<Mutex<Receiver<String>>>,
    /// Why the reader stopped early, set before the queue ends.
    failure: Arc<OnceLock<String>>,
}

impl ChunkQueue {
    /// The next chunk, waiting for the reader when the queue is empty;
    /// `None` once the reader is done (or has failed: [`stream_chunks`]
    /// reports why).
    pub fn next_chunk(&self) -> Option<String> {
        // One taker at a time waits on the channel; the others wait for the
        // lock, which is the same wait.
        self.receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv()
            .ok()
    }

    /// Once [`ChunkQueue::next_chunk`] has returned `None`: why the reader
    /// stopped early, if it did. An engine whose result leaves this process
    /// (timely across processes) passes it on, so that the other processes
    /// do not take a partial count for a whole one.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }
}

/// A streamed count that failed: reading the inputs, or the engine.
#[derive(Debug, thiserror::Error)]
pub enum StreamError<E> {
    /// An input could not be used or read.
    #[error(transparent)]
    Input(InputError),
    /// The engine failed.
    #[error(transparent)]
    Engine(E),
}

/// Runs `count` over the chunks of `reader`: the reader runs on a thread
/// of its own and feeds a queue of at most `depth` chunks, from which
/// `count`'s workers take until it is empty and the reader is done.
/// Returns what `count` returned and what was read.
///
/// The text held at once is at most `depth` chunks in the queue, one per
/// worker and one in the reader (each chunk at most the target size plus a
/// word) — bounded by the chunk size times the workers, whatever the size
/// of the inputs.
///
/// If reading fails, the queue ends early and the error is returned once
/// `count` has finished (its partial counts are dropped). If `count`
/// fails, its error is returned at once, without waiting for the reader
/// (which may be blocked on a terminal): the reader stops before its next
/// chunk.
///
/// # Errors
/// [`StreamError::Engine`] when `count` fails, else
/// [`StreamError::Input`] when reading failed.
pub fn stream_chunks<T, E>(
    reader: ChunkReader,
    depth: usize,
    count: impl FnOnce(&ChunkQueue) -> Result<T, E>,
) -> Result<(T, ReadStats), StreamError<E>> {
    let (sender, receiver) = mpsc::sync_channel(depth.max(1));
    let stop = Arc::new(AtomicBool::new(false));
    let failure = Arc::new(OnceLock::new());
    let reading = {
        let (stop, failure) = (Arc::clone(&stop), Arc::clone(&failure));
        thread::Builder::new()
            .name("mapreduce-reader".into())
            .spawn(move || {
                let read = feed(reader, &sender, &stop);
                if let Err(e) = &read {
                    // Before `sender` drops: a worker that sees the end of
                    // the queue can already see why.
                    let _ = failure.set(e.to_string());
                }
                read
            })
            .map_err(|e| StreamError::Input(InputError::Reader(format!("cannot start it: {e}"))))?
    };
    let queue = ChunkQueue {
        receiver: Arc::new(Mutex::new(receiver)),
        failure,
    };
    let counted = count(&queue);
    // Whatever happened, the reader stops at its next chunk; dropping the
    // last handle on the queue also wakes it if it waits on a full queue.
    stop.store(true, Ordering::Relaxed);
    drop(queue);
    let counted = counted.map_err(StreamError::Engine)?;
    let stats = reading
        .join()
        .map_err(|panic| InputError::Reader(mastery_kit::panics::panic_message(panic.as_ref())))
        .and_then(|read| read)
        .map_err(StreamError::Input)?;
    Ok((counted, stats))
}

/// The reader thread: chunks into the queue until the inputs end, reading
/// fails, or the workers are gone.
fn feed(
    mut reader: ChunkReader,
    sender: &SyncSender<String>,
    stop: &AtomicBool,
) -> Result<ReadStats, InputError> {
    while !stop.load(Ordering::Relaxed) {
        let Some(chunk) = reader.next_chunk()? else {
            break;
        };
        if sender.send(chunk).is_err() {
            break;
        }
    }
    Ok(reader.into_stats())
}

/// Engine 1 over inputs, the reference: one thread reads a chunk, counts
/// it, reads the next. No queue, no other thread.
///
/// # Errors
/// [`InputError`] when an input cannot be used or read.
pub fn count_single_inputs(mut reader: ChunkReader) -> Result<(WordCounts, ReadStats), InputError> {
    let mut counts = WordCounts::new();
    while let Some(chunk) = reader.next_chunk()? {
        counts.tally(&chunk);
    }
    Ok((counts, reader.into_stats()))
}

/// Engine 2 over a queue: every thread of a rayon pool of `threads` takes
/// chunks from `queue` into a table of its own until the queue ends — the
/// table-per-thread engine, [`count_rayon`](super::count_rayon), with the
/// queue in place of the shared counter — and the tables are merged.
///
/// # Errors
/// When rayon cannot start the threads.
pub fn count_rayon_stream(
    queue: &ChunkQueue,
    threads: usize,
) -> Result<WordCounts, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("wordcount-{i}"))
        .build()?;
    let tables = pool.broadcast(|_| {
        let mut counts = WordCounts::new();
        while let Some(chunk) = queue.next_chunk() {
            counts.tally(&chunk);
        }
        counts
    });
    Ok(tables
        .into_iter()
        .reduce(WordCounts::merged)
        .unwrap_or_default())
}
