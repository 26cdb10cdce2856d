//! Broken answers to the `safe-counters` kata, one plausible mistake each.
//! Each is caught by the kit test named in its doc.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mastery_interview::safe_counters::RacyCounter;

use crate::safe_counters::{CounterKata, KataHandle};

/// Broken: Python's `count += 1` — the interview's [`RacyCounter`], a load
/// then a store, so an add that lands between them is overwritten. Left to
/// luck it might pass on a quiet machine; instead each handle's first add
/// holds the window open (the interview's `add_with_window`, as its
/// `Barrier` test does) until a second live handle has loaded too, so with
/// two threads at least one add is lost every run. Caught by
/// `every_add_counts_at_1_2_and_4_threads`.
#[derive(Debug, Default)]
pub struct RacyLoadThenStore {
    racy: RacyCounter,
    live: AtomicUsize,
    loaded: AtomicUsize,
}

/// A thread's handle on [`RacyLoadThenStore`].
#[derive(Debug)]
pub struct RacyHandle<'a> {
    counter: &'a RacyLoadThenStore,
    first: bool,
}

impl CounterKata for RacyLoadThenStore {
    type Handle<'a> = RacyHandle<'a>;

    fn new() -> Self {
        Self::default()
    }

    fn handle(&self) -> RacyHandle<'_> {
        self.live.fetch_add(1, Ordering::SeqCst);
        RacyHandle {
            counter: self,
            first: true,
        }
    }

    fn total(&self) -> u64 {
        self.racy.get()
    }
}

impl KataHandle for RacyHandle<'_> {
    fn add(&mut self, n: u64) {
        let c = self.counter;
        if !std::mem::take(&mut self.first) {
            c.racy.add(n); // BUG: load, then store.
            return;
        }
        // The window held open: wait, between the load and the store, until
        // as many first adds have loaded as there are live handles (at most
        // two). The deadline only guards against a hang; the wait ends as
        // soon as the partner has loaded.
        c.racy.add_with_window(n, || {
            c.loaded.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(30);
            while c.loaded.load(Ordering::SeqCst) < c.live.load(Ordering::SeqCst).min(2)
                && Instant::now() < deadline
            {
                std::thread::yield_now();
            }
        });
    }
}

impl Drop for RacyHandle<'_> {
    fn drop(&mut self) {
        self.counter.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Broken: `add(n)` adds 1, as when the counter was first written as an
/// `increment()`. Caught by `add_counts_its_argument`.
#[derive(Debug, Default)]
pub struct AddIgnoresN {
    value: AtomicU64,
}

impl CounterKata for AddIgnoresN {
    type Handle<'a> = &'a AddIgnoresN;

    fn new() -> Self {
        Self::default()
    }

    fn handle(&self) -> &AddIgnoresN {
        self
    }

    fn total(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl KataHandle for &AddIgnoresN {
    fn add(&mut self, _n: u64) {
        self.value.fetch_add(1, Ordering::Relaxed); // BUG: ignores n.
    }
}

/// How many adds [`HandleDoesNotFlushOnDrop`]'s handle holds before a flush.
const BATCH: u64 = 64;

/// Broken: each handle batches its adds locally and flushes every
/// `BATCH` adds — but has no `Drop`, so the last partial batch is lost. Caught
/// by `a_dropped_handle_flushes_its_adds`.
#[derive(Debug, Default)]
pub struct HandleDoesNotFlushOnDrop {
    value: AtomicU64,
}

/// A thread's batch on [`HandleDoesNotFlushOnDrop`].
#[derive(Debug)]
pub struct UnflushedBatch<'a> {
    counter: &'a HandleDoesNotFlushOnDrop,
    pending: u64,
}

impl CounterKata for HandleDoesNotFlushOnDrop {
    type Handle<'a> = UnflushedBatch<'a>;

    fn new() -> Self {
        Self::default()
    }

    fn handle(&self) -> UnflushedBatch<'_> {
        UnflushedBatch {
            counter: self,
            pending: 0,
        }
    }

    fn total(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl KataHandle for UnflushedBatch<'_> {
    fn add(&mut self, n: u64) {
        self.pending = self.pending.wrapping_add(n);
        if self.pending >= BATCH {
            self.counter
                .value
                .fetch_add(std::mem::take(&mut self.pending), Ordering::Relaxed);
        }
    }
    // BUG: no `impl Drop` that flushes `pending`.
}
