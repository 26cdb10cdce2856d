//! # Concurrency-safe counters
//!
//! ## Python idiom
//! `count += 1` from many threads looks atomic and is not: it is a load, an
//! add and a store, and a thread switch between the load and the store makes
//! two increments count as one. The GIL switches threads rarely enough to
//! hide it most of the time; free-threaded CPython hides nothing. The fixes an
//! interviewer expects: `with lock: count += 1` (`threading.Lock`), and
//! across processes or machines a Redis `INCR`, which the server applies one
//! command at a time.
//!
//! ## Rust answer
//! Safe Rust refuses to compile `count += 1` on a `u64` shared between
//! threads — a *data race* is a compile error. A *race condition* is still
//! expressible, and [`RacyCounter`] keeps it on purpose: a separate `load`
//! and `store` on an [`AtomicU64`]. Every access is atomic, yet updates are
//! lost, and the tests and the demo count them. The code below this lesson
//! puts the bug and its one-instruction fix side by side ([`RacyCounter`],
//! [`AtomicCounter`]). The fixes, all behind one [`Counter`] trait so a
//! single harness ([`hammer`]) drives and checks them:
//!
//! - [`MutexCounter`] — `Mutex<u64>`: the `threading.Lock` answer.
//! - [`RwLockCounter`] — `RwLock<u64>`: no better, because every add is a write.
//! - [`AtomicCounter`] — `AtomicU64::fetch_add`: one locked instruction on
//!   x86-64 (`lock add` when the old value is discarded, as here; `lock
//!   xadd` when it is used). **`Relaxed` is enough**: a read-modify-write always acts on the latest
//!   value in that atomic's modification order, whatever the ordering, so no
//!   add is lost. An ordering only decides what *other* memory a thread may
//!   see around the add, and a counter publishes nothing else; joining the
//!   threads (or the lock or channel that hands the total over) supplies the
//!   happens-before edge for reading the final sum. Reach for
//!   `Release`/`Acquire` only when the count guards other data ("when it
//!   reaches N, the N slots written before are ready"), and for `SeqCst` when
//!   several atomics must be seen in one global order.
//! - [`ShardedCounter`] — one cache-padded atomic per shard (128 bytes on
//!   x86-64 and aarch64), each thread bound round-robin to a shard,
//!   [`ShardedCounter::sum`] adds them: no two threads fight over one cache
//!   line.
//! - [`BatchedCounter`] with [`LocalBatch`] — each thread counts in a plain
//!   local `u64` and flushes into one shared atomic every N adds and on drop.
//! - [`RedisCounter`] — `INCR`/`INCRBY` on a real `redis-server`, which
//!   [`RedisServer::spawn`] starts on a free loopback port; per-add round
//!   trips, a pipeline, or `INCRBY` batches (the network twin of
//!   [`LocalBatch`]). Redis keeps the count as a *signed* 64-bit integer and
//!   never wraps: an `INCR` that would pass `i64::MAX` fails with "increment
//!   or decrement would overflow", and [`RedisCounter`] refuses an add above
//!   `i64::MAX` before sending it — where the in-memory counters wrap at 2⁶⁴
//!   as atomics do.
//!
//! ```
//! use mastery_interview::safe_counters::{hammer, AtomicCounter, RacyCounter, ShardedCounter};
//!
//! let sharded = ShardedCounter::new();
//! let tally = hammer(&sharded, 4, 10_000)?;         // 4 threads, 10 000 adds each
//! assert_eq!((tally.counted, tally.lost()), (40_000, 0));
//! assert_eq!(sharded.sum(), 40_000);
//!
//! let atomic = AtomicCounter::new();                // Relaxed fetch_add
//! assert_eq!(hammer(&atomic, 4, 10_000)?.lost(), 0);
//!
//! let racy = RacyCounter::yielding();               // the bug, window widened
//! let tally = hammer(&racy, 4, 10_000)?;
//! assert!(tally.counted <= 40_000);                 // usually far fewer
//! # Ok::<(), mastery_interview::safe_counters::CounterError>(())
//! ```
//!
//! ## When to use which
//! - One process, a hot counter (requests served, bytes sent):
//!   [`AtomicCounter`] with `Relaxed`. Nothing is simpler or exact-er.
//! - Many threads hammering it on many cores: [`ShardedCounter`] — adds
//!   scale with cores, reads cost one load per shard and are not a snapshot
//!   while writers run (exact once they stop).
//! - Each thread does a burst of work and reports at the end:
//!   [`LocalBatch`] — a plain local add, and one shared atomic add every N,
//!   but the shared total lags by up to N adds per thread until a flush.
//! - The count is one field of a larger invariant (count *and* sum *and*
//!   max updated together): a [`Mutex`](std::sync::Mutex) around the
//!   struct. A lone counter under a mutex pays for the lock on every add; an
//!   [`RwLock`](std::sync::RwLock) never helps a write-only workload.
//! - Several processes or machines: Redis `INCR` ([`RedisCounter`]). Each add
//!   is a network round trip, so pipeline or batch with `INCRBY` when you
//!   can; `INCR` is atomic on the server because Redis runs commands one at a
//!   time.
//!
//! ## What it costs
//! The demo measures, in this run:
//! - **lost updates**: the adds [`RacyCounter`] loses with four threads, as
//!   written and with a yield in its window, next to `fetch_add`, which loses
//!   none;
//! - **adds per second at 1, 2 and 4 threads** for `Mutex`, `RwLock`,
//!   `fetch_add` with `Relaxed` and with `SeqCst`, [`ShardedCounter`] and
//!   [`LocalBatch`], every count checked exact, and `Relaxed` against
//!   `SeqCst` at 2 threads;
//! - **sharded against one atomic** at 2 threads, with the share of the run
//!   during which both threads were adding at once: contention, and what
//!   sharding saves, exist only then;
//! - **the ladder** at 2 threads, every rung in the same rounds and each
//!   compared with the one below: Python's `threading.Lock` counter (timed
//!   in CPython; a skip line without a `python3`), then `Mutex`, `RwLock`
//!   (a flat rung: every add is a write), one `fetch_add`,
//!   [`ShardedCounter`] and [`BatchedCounter`]; a property test checks that
//!   every rung counts every add, on any threads and add sizes;
//! - **Redis**: `INCR` per add against a pipeline of 100 `INCRBY` and one
//!   `INCRBY` per 100 adds, each thread on its own connection.
//!
//! Every table runs in rounds: a round runs each backend once at each
//! thread count, in alternating order, and a cell is the median of its
//! rounds. The comparisons pair two backends' runs of the same round, so
//! their verdicts carry an interval; `mastery run interview/safe-counters
//! --deep` makes each run longer and takes more rounds.
//!
//! The trade-offs behind those numbers. A lock pays for taking and releasing
//! it on every add, and an `RwLock` adds reader bookkeeping a write-only
//! workload never uses. One atomic is a single instruction, but every core
//! that adds must own its cache line in turn. The ordering does not change
//! what a `fetch_add` costs on x86-64, where every read-modify-write is
//! already `lock`-prefixed and a full barrier (`SeqCst` costs extra there
//! only on stores: `xchg` instead of `mov`); on aarch64 a `SeqCst`
//! `fetch_add` is the acquire-release form of the same instruction
//! (`ldaddal`, or an `ldaxr`/`stlxr` loop) and `SeqCst` loads and stores are
//! `ldar`/`stlr`, with no separate fence. Sharding spends one padded line
//! per shard and turns a read into a sum that is not a snapshot while writers
//! run. Batching trades freshness (and the counts held by a handle leaked
//! with `mem::forget`) for speed. Redis costs a network round trip per
//! command — a pipeline or an `INCRBY` batch shares one among many adds —
//! and buys a counter every process and machine can share.
//!
//! ## Run it
//! `mastery run interview/safe-counters` runs the demo above (`--deep` for
//! longer runs and more rounds; `--redis redis://HOST:PORT` uses your server
//! instead of spawning one; `MASTERY_REQUIRE_REDIS=1` turns a missing
//! `redis-server` from a skip into a failure). `cargo bench -p mastery-interview --bench safe_counters`
//! measures the same backends with criterion: `counters/<backend>/<threads>`
//! in memory (`ours/sharded` against `peer/atomic-fetch-add` is the headline
//! pair) and `redis/<mode>/<threads>`. `cargo test -p mastery-interview
//! safe_counters` runs the unit and doc tests; the Redis ones need
//! `redis-server` on `PATH` (`apt-get install redis-server`).
//!
//! ## Follow-ups
//! - **Is an atomic load then store thread-safe?** Data-race-free, yes;
//!   correct, no: `RacyCounter` (`interview/src/safe_counters/mod.rs`) loses an
//!   add that lands between them, `AtomicCounter` makes it one `fetch_add`.
//!   `racy_counter_loses_an_update_when_both_threads_load_first`
//!   (`interview/src/safe_counters/tests/mod.rs`) forces that with a `Barrier`.
//! - **Which memory ordering?** `Relaxed`: a `fetch_add` always acts on the
//!   latest value, so no add is lost, and a counter publishes no other data;
//!   joining the threads orders the final read. `Release`/`Acquire` only when
//!   the count guards other memory (`AtomicCounter::with_ordering` in
//!   `interview/src/safe_counters/mod.rs`).
//! - **What is false sharing?** Atomics on one cache line make cores fight over
//!   it though they never share a value. `ShardedCounter`
//!   (`interview/src/safe_counters/sharded.rs`) pads each shard with
//!   `CachePadded`, 128 bytes on x86-64 and aarch64, as a test in
//!   `interview/src/safe_counters/tests/mod.rs` checks.
//! - **What bounds memory; what breaks at 10× threads?** Memory is fixed: two
//!   padded shards per core, at most `ShardedCounter::MAX_SHARDS`. Threads take
//!   shards round-robin (`NEXT_SHARD_SLOT` in
//!   `interview/src/safe_counters/sharded.rs`), so extra threads share shards:
//!   contention returns, the count stays exact, and `sum` is no snapshot
//!   meanwhile.
//! - **And across machines?** Redis `INCR`, atomic because the server runs one
//!   command at a time (`RedisCounter` in
//!   `interview/src/safe_counters/redis_counter.rs`); pipeline or batch
//!   (`RedisMode`) to share round trips. A failed command is not resent: after
//!   a timeout it may have been applied, and a retry could count it twice.
//! - **How do you test it?** `hammer`
//!   (`interview/src/safe_counters/harness.rs`) releases all threads at once
//!   and compares the count with the adds made, for every backend; stress finds
//!   a race only by luck, hence the forced interleaving above. No model checker
//!   such as `loom` is used.

use std::sync::atomic::{AtomicU64, Ordering};

// ANCHOR: core
// ANCHOR: racy
/// **Broken on purpose: loses updates.** Python's `count += 1` spelled in
/// safe Rust — a `load`, then a `store` of the loaded value plus `n`. Each
/// access is atomic, so there is no data race and the compiler is content;
/// but another thread's add that lands between the load and the store is
/// overwritten. The fix is to make the read-modify-write one operation
/// ([`AtomicCounter`]) or to hold a lock across it ([`MutexCounter`]).
///
/// The window can be widened ([`RacyCounter::yielding`]) or, in a test, held
/// open ([`RacyCounter::add_with_window`]) to lose an update for certain:
///
/// ```
/// use std::sync::Barrier;
/// use mastery_interview::safe_counters::RacyCounter;
///
/// let counter = RacyCounter::new();
/// let both_loaded = Barrier::new(2);
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         // Both threads read 0 before either writes 0 + 1.
///         s.spawn(|| counter.add_with_window(1, || { both_loaded.wait(); }));
///     }
/// });
/// assert_eq!(counter.get(), 1); // two adds, one lost
/// ```
#[derive(Debug, Default)]
pub struct RacyCounter {
    value: AtomicU64,
    yield_in_window: bool,
}

impl RacyCounter {
    /// The bug as written: the window between load and store is a few
    /// nanoseconds, so it loses updates when threads really run in parallel.
    pub const fn new() -> Self {
        RacyCounter {
            value: AtomicU64::new(0),
            yield_in_window: false,
        }
    }

    /// The same bug with the window widened by a `yield_now` between the load
    /// and the store — what a preemption does to the Python version — so it
    /// loses updates even on a busy or single-core machine.
    pub const fn yielding() -> Self {
        RacyCounter {
            value: AtomicU64::new(0),
            yield_in_window: true,
        }
    }

    /// Adds `n` — incorrectly (see the type's docs).
    #[inline]
    pub fn add(&self, n: u64) {
        if self.yield_in_window {
            self.add_with_window(n, std::thread::yield_now);
        } else {
            self.add_with_window(n, || {});
        }
    }

    /// Adds `n`, running `window` between the load and the store.
    #[inline]
    pub fn add_with_window(&self, n: u64, window: impl FnOnce()) {
        let seen = self.value.load(Ordering::Relaxed);
        window(); // another thread's add here is overwritten below
        self.value.store(seen.wrapping_add(n), Ordering::Relaxed);
    }

    /// The count: lower than the adds made, whenever threads overlapped.
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    fn label(&self) -> String {
        if self.yield_in_window {
            "RacyCounter (yield in the window)".to_owned()
        } else {
            "RacyCounter (load; store)".to_owned()
        }
    }
}
// ANCHOR_END: racy

// ANCHOR: atomic
/// One `AtomicU64` and `fetch_add`: the read-modify-write is a single
/// indivisible instruction, so no add is ever lost — with any ordering. See
/// the [module docs](self) for why `Relaxed` (the default) is enough.
#[derive(Debug)]
pub struct AtomicCounter {
    value: AtomicU64,
    ordering: Ordering,
}

impl AtomicCounter {
    /// A counter at 0 that adds with `Ordering::Relaxed`.
    pub const fn new() -> Self {
        Self::with_ordering(Ordering::Relaxed)
    }

    /// A counter at 0 that adds with `ordering` (every ordering is valid for
    /// `fetch_add`; reads use the matching load ordering).
    pub const fn with_ordering(ordering: Ordering) -> Self {
        AtomicCounter {
            value: AtomicU64::new(0),
            ordering,
        }
    }

    /// Adds `n` atomically.
    #[inline]
    pub fn add(&self, n: u64) {
        self.value.fetch_add(n, self.ordering);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        // `load` rejects Release and AcqRel; use the load half of the order.
        let load = match self.ordering {
            Ordering::Relaxed | Ordering::Release => Ordering::Relaxed,
            Ordering::Acquire | Ordering::AcqRel => Ordering::Acquire,
            _ => Ordering::SeqCst,
        };
        self.value.load(load)
    }

    /// The ordering its adds use.
    pub fn ordering(&self) -> Ordering {
        self.ordering
    }

    fn label(&self) -> String {
        format!("AtomicU64::fetch_add({:?})", self.ordering)
    }
}
// ANCHOR_END: atomic

impl Default for AtomicCounter {
    fn default() -> Self {
        Self::new()
    }
}
// ANCHOR_END: core

mod batched;
mod demo;
mod error;
mod harness;
mod ladder;
mod locks;
mod redis_counter;
mod redis_server;
mod sharded;

#[cfg(test)]
mod tests;

pub use batched::{BATCH, BatchedCounter, LocalBatch};
pub use error::CounterError;
pub use harness::{Counter, CounterHandle, THREAD_COUNTS, Tally, hammer};
pub use ladder::climb_counters_ladder;
pub use locks::{MutexCounter, RwLockCounter};
pub use redis_counter::{RedisCounter, RedisHandle, RedisMode, unique_key};
pub use redis_server::{
    REDIS_URL_ENV, REQUIRE_REDIS_ENV, RedisServer, RedisSource, redis_required_by_env,
};
pub use sharded::ShardedCounter;
