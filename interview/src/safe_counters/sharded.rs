//! Sharding: one cache-padded atomic per shard, each thread bound to a
//! shard, so threads on different cores stop fighting over one cache line.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

// ANCHOR: sharded
/// Shard slots are handed out round-robin, one per thread on first use, so
/// threads that start together land on different shards.
static NEXT_SHARD_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD_SLOT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// This thread's shard slot (any `usize`; callers reduce it to a shard).
#[inline]
fn shard_slot() -> usize {
    SHARD_SLOT
        .try_with(|slot| match slot.get() {
            Some(s) => s,
            None => {
                let s = NEXT_SHARD_SLOT.fetch_add(1, Ordering::Relaxed);
                slot.set(Some(s));
                s
            }
        })
        // During thread-local teardown the slot is gone; any shard is correct.
        .unwrap_or(0)
}

/// A counter split into cache-padded shards: each thread adds to its own
/// shard (assigned round-robin on the thread's first add), so threads on
/// different cores never bounce one cache line between them;
/// [`ShardedCounter::sum`] adds the shards up.
///
/// Each shard is a [`CachePadded`] atomic, so two shards never share a
/// cache line (false sharing would undo the split). crossbeam-utils pads to
/// 128 bytes on x86-64, aarch64 and powerpc64, for different reasons: on
/// x86-64 a line is 64 bytes, but Intel's spatial prefetcher pulls lines in
/// adjacent pairs, so two atomics 64 bytes apart still interfere; on
/// aarch64 the "big" cores of big.LITTLE designs have 128-byte lines;
/// powerpc64 lines are 128 bytes. Elsewhere it pads to 16, 32, 64 or 256
/// bytes: the size is a per-architecture guess, not read from the CPU.
///
/// ```
/// use mastery_interview::safe_counters::ShardedCounter;
///
/// let counter = ShardedCounter::with_shards(4);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..1_000).for_each(|_| counter.add(1)));
///     }
/// });
/// assert_eq!(counter.sum(), 4_000);
/// ```
#[derive(Debug)]
pub struct ShardedCounter {
    pub(super) shards: Box<[CachePadded<AtomicU64>]>,
    /// `shards.len() - 1`; the length is a power of two.
    mask: usize,
}

impl ShardedCounter {
    /// The most shards [`ShardedCounter::with_shards`] makes.
    pub const MAX_SHARDS: usize = 1024;

    /// A counter with two shards per available core (at least 2), rounded up
    /// to a power of two.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, usize::from);
        Self::with_shards(cores.saturating_mul(2))
    }

    /// A counter with `shards` shards, rounded up to a power of two and
    /// clamped to `1..=MAX_SHARDS`.
    pub fn with_shards(shards: usize) -> Self {
        let count = shards.clamp(1, Self::MAX_SHARDS).next_power_of_two();
        ShardedCounter {
            shards: (0..count)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            mask: count - 1,
        }
    }

    /// Adds `n` to the calling thread's shard.
    #[inline]
    pub fn add(&self, n: u64) {
        self.shards[shard_slot() & self.mask].fetch_add(n, Ordering::Relaxed);
    }

    /// The sum of the shards. Exact once writers have finished; while they
    /// run it is a value the counter passed through shard by shard, not a
    /// snapshot of one instant.
    pub fn sum(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Same as [`ShardedCounter::sum`].
    pub fn get(&self) -> u64 {
        self.sum()
    }

    /// How many shards it has.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    pub(super) fn label(&self) -> String {
        "ShardedCounter".to_owned()
    }
}
// ANCHOR_END: sharded

impl Default for ShardedCounter {
    fn default() -> Self {
        Self::new()
    }
}
