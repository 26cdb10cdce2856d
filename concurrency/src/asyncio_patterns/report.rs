//! The shutdown modes, and the books: every item a producer queued ends in
//! exactly one count of the [`Report`].

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How [`Pipeline::shutdown`](super::Pipeline::shutdown) stops the work.
/// See the [module docs](super).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Stop the producers, then let the consumers drain the queue and finish
    /// what they hold. Nothing is dropped, because the consumers keep
    /// receiving until the queue is closed and empty; only a pipeline with
    /// no consumer leaves queued items, which are then counted as
    /// [`Report::dropped`] and handed back as in a hard stop.
    Graceful,
    /// Stop producers and consumers at once: items being handled are
    /// abandoned ([`Report::cancelled`]), items still queued are drained by
    /// the shutdown itself ([`Report::dropped`], [`Outcome::unprocessed`]).
    Hard,
    /// Graceful for at most this long, then hard.
    DrainFor(Duration),
}

/// What a pipeline did, counted item by item.
///
/// Every item a producer queued ends in exactly one of `consumed`,
/// `timed_out`, `cancelled`, `dropped` or `failed`:
/// [`Report::is_balanced`] checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// Items producers queued (sends that succeeded).
    pub produced: u64,
    /// Items whose handler finished (within the timeout, if any).
    pub consumed: u64,
    /// Items whose handler ran out of time; its future was dropped.
    pub timed_out: u64,
    /// Items a consumer held when a hard stop abandoned them.
    pub cancelled: u64,
    /// Items still queued at a hard stop, drained by the shutdown and
    /// returned in [`Outcome::unprocessed`].
    pub dropped: u64,
    /// Items whose handler panicked (the consumer running it ended).
    pub failed: u64,
    /// Producer and consumer tasks that ended in a panic.
    pub tasks_panicked: u64,
    /// Time producers spent waiting for room in a full queue, summed over
    /// producers.
    pub producer_blocked: Duration,
    /// Sends that found the queue full and had to wait.
    pub blocked_sends: u64,
    /// The most items seen in the queue at once.
    pub peak_depth: usize,
    /// Whether the hard stop was used (`Hard`, or `DrainFor` ran out).
    pub forced: bool,
    /// From `Pipeline::new` to the end of `shutdown`.
    pub elapsed: Duration,
}

impl Report {
    /// Items that reached an end of any kind.
    pub fn accounted(&self) -> u64 {
        self.consumed + self.timed_out + self.cancelled + self.dropped + self.failed
    }

    /// `produced == consumed + timed_out + cancelled + dropped + failed`:
    /// no item was lost without being counted.
    pub fn is_balanced(&self) -> bool {
        self.accounted() == self.produced
    }

    /// Items queued but never processed to the end by the handler because of
    /// the shutdown (`cancelled + dropped`).
    pub fn unfinished(&self) -> u64 {
        self.cancelled + self.dropped
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "produced {} = consumed {} + timed out {} + cancelled {} + dropped {} + failed {}",
            self.produced, self.consumed, self.timed_out, self.cancelled, self.dropped, self.failed
        )
    }
}

/// The result of [`Pipeline::shutdown`](super::Pipeline::shutdown): the counts, and the items a hard
/// stop took out of the queue unprocessed (empty after a graceful one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// The counts.
    pub report: Report,
    /// The items counted in [`Report::dropped`], in queue order.
    pub unprocessed: Vec<T>,
}

/// The counters producers, consumers and the shutdown share.
///
/// Relaxed atomics are enough because of the order in which they are
/// written. A producer counts an item as `produced` *before* it puts the
/// item in the queue, so whoever takes the item out — a consumer, or the
/// shutdown's drain — receives it through the channel (which synchronizes)
/// after the count, and must see it. Consumers' counts are read after the
/// consumers were joined, and a join synchronizes too. So when the shutdown
/// reads the books, every item it can know of is counted on both sides,
/// including items sent by a [`Producer`](super::Producer) the pipeline
/// does not join.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) produced: AtomicU64,
    /// Items consumers took off the queue; the ones that reached no other
    /// end were in a handler that panicked.
    pub(super) taken: AtomicU64,
    consumed: AtomicU64,
    timed_out: AtomicU64,
    cancelled: AtomicU64,
    blocked_sends: AtomicU64,
    blocked_nanos: AtomicU64,
    peak_depth: AtomicUsize,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(super) fn add_blocked(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        Self::add(&self.blocked_sends, 1);
        Self::add(&self.blocked_nanos, nanos);
    }

    pub(super) fn note_depth(&self, depth: usize) {
        self.peak_depth.fetch_max(depth, Ordering::Relaxed);
    }

    pub(super) fn count(&self, finished: Finished) {
        let counter = match finished {
            Finished::Consumed => &self.consumed,
            Finished::TimedOut => &self.timed_out,
            Finished::Cancelled => &self.cancelled,
        };
        Self::add(counter, 1);
    }

    /// The books, once every producer and consumer task has ended and the
    /// queue was drained of `dropped` items.
    pub(super) fn report(
        &self,
        dropped: u64,
        tasks_panicked: u64,
        forced: bool,
        elapsed: Duration,
    ) -> Report {
        let consumed = Self::get(&self.consumed);
        let timed_out = Self::get(&self.timed_out);
        let cancelled = Self::get(&self.cancelled);
        let taken = Self::get(&self.taken);
        Report {
            produced: Self::get(&self.produced),
            consumed,
            timed_out,
            cancelled,
            dropped,
            // A consumer whose handler panicked counted the item as taken
            // and never reached another count.
            failed: taken.saturating_sub(consumed + timed_out + cancelled),
            tasks_panicked,
            producer_blocked: Duration::from_nanos(Self::get(&self.blocked_nanos)),
            blocked_sends: Self::get(&self.blocked_sends),
            peak_depth: self.peak_depth.load(Ordering::Relaxed),
            forced,
            elapsed,
        }
    }
}

/// How one taken item ended (a panic ends it too, but is counted by what is
/// missing: `taken` minus the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finished {
    Consumed,
    TimedOut,
    Cancelled,
}
