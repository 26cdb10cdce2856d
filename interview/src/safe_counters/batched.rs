//! Per-thread batches: each thread counts in a plain local `u64` and hands
//! the sum to one shared atomic every N adds and on drop.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use super::{Counter, CounterError, CounterHandle};

/// Adds per local batch in the demo and the bench.
pub const BATCH: u64 = 64;

// ANCHOR: batched
/// A shared atomic total fed by per-thread batches: each thread takes a
/// [`LocalBatch`], adds to a plain `u64`, and flushes into the total every
/// `batch` adds, on [`LocalBatch::flush`] and on drop.
///
/// Why a handle rather than a `thread_local!`: a thread-local static belongs
/// to the thread, not to one counter, and its destructor is not guaranteed to
/// run (not for the main thread, not at process exit), so counts could be
/// stranded. A handle the thread owns flushes deterministically when it is
/// dropped — including while unwinding from a panic.
///
/// ```
/// use mastery_interview::safe_counters::BatchedCounter;
///
/// let counter = BatchedCounter::new(100);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             let mut local = counter.local();
///             (0..250).for_each(|_| local.add(1)); // 2 flushes + 50 pending
///         }); // drop flushes the 50
///     }
/// });
/// assert_eq!(counter.get(), 1_000);
/// ```
#[derive(Debug)]
pub struct BatchedCounter {
    total: CachePadded<AtomicU64>,
    batch: u64,
}

impl BatchedCounter {
    /// A counter whose handles flush every `batch` adds (at least 1).
    pub fn new(batch: u64) -> Self {
        BatchedCounter {
            total: CachePadded::new(AtomicU64::new(0)),
            batch: batch.max(1),
        }
    }

    /// A handle for the calling thread.
    pub fn local(&self) -> LocalBatch<'_> {
        LocalBatch {
            counter: self,
            pending: 0,
            adds: 0,
        }
    }

    /// The flushed total: every add of every dropped or flushed handle, and
    /// less than `batch` adds short per live handle.
    pub fn get(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Adds per flush.
    pub fn batch(&self) -> u64 {
        self.batch
    }
}

/// One thread's batch of a [`BatchedCounter`]; flushes on drop.
#[derive(Debug)]
#[must_use = "adds are flushed when the batch is dropped; an unused batch counts nothing"]
pub struct LocalBatch<'a> {
    counter: &'a BatchedCounter,
    pending: u64,
    adds: u64,
}

impl LocalBatch<'_> {
    /// Adds `n` locally; every `batch`-th add flushes.
    #[inline]
    pub fn add(&mut self, n: u64) {
        self.pending = self.pending.wrapping_add(n);
        self.adds += 1;
        if self.adds >= self.counter.batch {
            self.flush();
        }
    }

    /// Moves the pending count into the shared total.
    #[inline]
    pub fn flush(&mut self) {
        if self.pending != 0 {
            self.counter
                .total
                .fetch_add(self.pending, Ordering::Relaxed);
        }
        self.pending = 0;
        self.adds = 0;
    }

    /// The count not yet flushed.
    pub fn pending(&self) -> u64 {
        self.pending
    }
}

impl Drop for LocalBatch<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}
// ANCHOR_END: batched

impl Counter for BatchedCounter {
    type Handle<'a> = LocalBatch<'a>;

    fn name(&self) -> String {
        format!("LocalBatch (flush every {})", self.batch)
    }

    fn handle(&self) -> Result<LocalBatch<'_>, CounterError> {
        Ok(self.local())
    }

    fn total(&self) -> Result<u64, CounterError> {
        Ok(self.get())
    }
}

impl CounterHandle for LocalBatch<'_> {
    #[inline]
    fn add(&mut self, n: u64) -> Result<(), CounterError> {
        LocalBatch::add(self, n);
        Ok(())
    }

    fn finish(mut self) -> Result<(), CounterError> {
        self.flush();
        Ok(())
    }
}
