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
//! lost, and the tests and the demo count them. The fixes, all behind one
//! [`Counter`] trait so a single harness ([`hammer`]) drives and checks them:
//!
//! - [`MutexCounter`] — `Mutex<u64>`: the `threading.Lock` answer.
//! - [`RwLockCounter`] — `RwLock<u64>`: no better, because every add is a write.
//! - [`AtomicCounter`] — `AtomicU64::fetch_add`, one `lock xadd` on x86-64.
//!   **`Relaxed` is enough**: a read-modify-write always acts on the latest
//!   value in that atomic's modification order, whatever the ordering, so no
//!   add is lost. An ordering only decides what *other* memory a thread may
//!   see around the add, and a counter publishes nothing else; joining the
//!   threads (or the lock or channel that hands the total over) supplies the
//!   happens-before edge for reading the final sum. Reach for
//!   `Release`/`Acquire` only when the count guards other data ("when it
//!   reaches N, the N slots written before are ready"), and for `SeqCst` when
//!   several atomics must be seen in one global order.
//! - [`ShardedCounter`] — one cache-padded (128-byte) atomic per shard, each
//!   thread bound round-robin to a shard, [`ShardedCounter::sum`] adds them:
//!   no two threads fight over one cache line.
//! - [`BatchedCounter`] with [`LocalBatch`] — each thread counts in a plain
//!   local `u64` and flushes into one shared atomic every N adds and on drop.
//! - [`RedisCounter`] — `INCR`/`INCRBY` on a real `redis-server`, which
//!   [`RedisServer::spawn`] starts on a free loopback port; per-add round
//!   trips, a pipeline, or `INCRBY` batches (the network twin of
//!   [`LocalBatch`]).
//!
//! ```
//! use mastery_interview::safe_counters::{hammer, AtomicCounter, RacyCounter, ShardedCounter};
//!
//! let sharded = ShardedCounter::new();
//! let tally = hammer(&sharded, 4, 10_000)?;         // 4 threads × 10 000 adds
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
//!   [`LocalBatch`] — fastest of all, but the shared total lags by up to N
//!   adds per thread until a flush.
//! - The count is one field of a larger invariant (count *and* sum *and*
//!   max updated together): a [`Mutex`] around the struct. A lone counter
//!   under a mutex pays for the lock on every add; an [`RwLock`] never helps a
//!   write-only workload.
//! - Several processes or machines: Redis `INCR` ([`RedisCounter`]). Each add
//!   is a network round trip, so pipeline or batch with `INCRBY` when you
//!   can; `INCR` is atomic on the server because Redis runs commands one at a
//!   time.
//!
//! Costs: sharding spends 128 bytes per shard and turns a read into a sum;
//! batching trades freshness (and counts held by a handle that is leaked with
//! `mem::forget`) for speed; Redis trades ~10⁵× the per-add cost for a counter
//! every process shares.
//!
//! ## Run it
//! `mastery run interview/safe-counters` (lost updates counted, ops/s for
//! every backend at 1, 2 and 4 threads, sharded vs one atomic, Redis per-add
//! vs pipelined vs batched; `--redis redis://HOST:PORT` uses your server
//! instead of spawning one, `MASTERY_REQUIRE_REDIS=1` turns a missing
//! `redis-server` from a skip into a failure),
//! `cargo bench -p mastery-interview --bench safe_counters`, and
//! `cargo test -p mastery-interview safe_counters`. The Redis part needs
//! `redis-server` on `PATH` (`apt-get install redis-server`).

use std::cell::Cell;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use mastery_kit::{Area, Narrator, Topic, Unit};

mod redis_backend;

pub use redis_backend::{
    REDIS_URL_ENV, REQUIRE_REDIS_ENV, RedisCounter, RedisHandle, RedisMode, RedisServer,
    RedisSource, redis_required_by_env, unique_key,
};

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// What went wrong while counting, or while getting a Redis server to count on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    /// No `redis-server` binary on `PATH`.
    #[error(
        "redis-server is not installed (not found on PATH): install it with `apt-get install redis-server`, or point at a running server with --redis URL / MASTERY_REDIS_URL"
    )]
    RedisNotInstalled,
    /// The operating system refused to start `redis-server`, or to report on it.
    #[error("could not run {}", binary.display())]
    RedisSpawn {
        /// The binary that was started.
        binary: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// No free loopback port could be reserved for the server.
    #[error("could not reserve a free port on 127.0.0.1 for redis-server")]
    NoFreePort(#[source] std::io::Error),
    /// The spawned server exited before it answered.
    #[error(
        "redis-server on 127.0.0.1:{port} exited during startup ({status}); its last output: {log}"
    )]
    RedisExited {
        /// The port it was told to listen on.
        port: u16,
        /// How it exited.
        status: ExitStatus,
        /// The tail of what it printed.
        log: String,
    },
    /// The spawned server did not answer `PING` in time.
    #[error(
        "redis-server on 127.0.0.1:{port} did not answer PING within {waited:?} (last attempt: {last_error})"
    )]
    RedisStartTimeout {
        /// The port it was told to listen on.
        port: u16,
        /// How long we waited.
        waited: Duration,
        /// What the last attempt to reach it said.
        last_error: String,
    },
    // A `redis::RedisError` prints its own cause and also returns it as its
    // source, so as a source it would be printed twice; the Redis variants
    // put it in their message instead.
    /// The Redis URL does not parse.
    #[error("`{url}` is not a valid redis URL (expected redis://HOST:PORT): {cause}")]
    InvalidRedisUrl {
        /// The URL as given.
        url: String,
        /// The parser's complaint.
        cause: redis::RedisError,
    },
    /// Nothing answered at the Redis address.
    #[error("cannot reach redis at {addr}: {cause} (is a redis-server listening there?)")]
    RedisUnreachable {
        /// `host:port` of the server.
        addr: String,
        /// The connection error.
        cause: redis::RedisError,
    },
    /// A command failed on a reachable server.
    #[error("redis {command} on {addr} failed: {cause}")]
    RedisCommand {
        /// The command, e.g. `INCRBY`.
        command: &'static str,
        /// `host:port` of the server.
        addr: String,
        /// The server's or the connection's error.
        cause: redis::RedisError,
    },
    /// A counting thread could not be started.
    #[error("could not start counting thread {index}")]
    Thread {
        /// Which thread (0-based).
        index: usize,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A counting thread panicked (a bug in a backend, not an input error).
    #[error("a counting thread panicked while adding to {counter}")]
    ThreadPanicked {
        /// The counter's name.
        counter: String,
    },
}

// ---------------------------------------------------------------------------
// The common trait and the harness
// ---------------------------------------------------------------------------

// ANCHOR: counter_trait
/// A counter many threads add to. Each thread first takes a
/// [`Handle`](Counter::Handle) — the counter itself for the in-memory
/// backends, a local batch for [`BatchedCounter`], its own connection for
/// [`RedisCounter`] — so one harness ([`hammer`]) drives every backend.
pub trait Counter: Sync {
    /// What one thread adds through.
    type Handle<'a>: CounterHandle
    where
        Self: 'a;

    /// A short name for tables, e.g. `Mutex<u64>`.
    fn name(&self) -> String;

    /// A handle for the calling thread.
    ///
    /// # Errors
    /// Only for Redis: the server cannot be reached.
    fn handle(&self) -> Result<Self::Handle<'_>, CounterError>;

    /// The count so far: every add of every finished (or dropped) handle.
    ///
    /// # Errors
    /// Only for Redis: the server cannot be reached or answers nonsense.
    fn total(&self) -> Result<u64, CounterError>;
}

/// One thread's way to add to a [`Counter`].
pub trait CounterHandle {
    /// Adds `n`. Counters wrap at 2⁶⁴, as atomics do.
    ///
    /// # Errors
    /// Only for Redis: the command failed.
    fn add(&mut self, n: u64) -> Result<(), CounterError>;

    /// Hands every add still held locally to the shared count, reporting any
    /// failure (dropping a handle flushes too, but cannot report).
    ///
    /// # Errors
    /// Only for Redis: the final flush failed.
    fn finish(self) -> Result<(), CounterError>
    where
        Self: Sized,
    {
        Ok(())
    }
}
// ANCHOR_END: counter_trait

/// The outcome of one [`hammer`] run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
    /// Threads that added concurrently.
    pub threads: usize,
    /// Adds that were made: threads × adds per thread.
    pub expected: u64,
    /// How much the counter grew.
    pub counted: u64,
    /// Wall time from releasing the threads to the last one finishing.
    pub elapsed: Duration,
    /// The share (0–1) of that time during which every thread had started
    /// adding and none had finished. Near 1 when each thread had a core to
    /// itself; near 0 when they ran one after another (a busy machine, or
    /// more threads than cores) — then there was no contention to measure.
    pub overlap: f64,
}

impl Tally {
    /// Adds the counter did not count (0 for every correct backend).
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.counted)
    }

    /// Adds per second over all threads.
    pub fn ops_per_sec(&self) -> f64 {
        self.expected as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

// ANCHOR: hammer
/// Runs `threads` threads that each add 1 to `counter` `adds_per_thread`
/// times, and reports how much the counter grew and how long it took.
///
/// Every thread takes its handle (connects, for Redis) *before* the clock
/// starts; a start flag then releases them together, so the timing covers
/// the adds and nothing else.
///
/// # Errors
/// A thread that cannot be spawned, a panicking backend, or any error of the
/// backend itself (Redis unreachable, a failed command).
pub fn hammer<C: Counter>(
    counter: &C,
    threads: usize,
    adds_per_thread: u64,
) -> Result<Tally, CounterError> {
    let threads = threads.max(1);
    let before = counter.total()?;
    let ready = AtomicUsize::new(0);
    let go = AtomicBool::new(false);
    let (outcome, elapsed, spans) = std::thread::scope(|s| {
        let mut workers = Vec::with_capacity(threads);
        let mut outcome = Ok(());
        for index in 0..threads {
            let work = || {
                let handle = counter.handle();
                ready.fetch_add(1, Ordering::Release);
                let mut handle = handle?;
                // Wait runnable rather than blocked, so every thread is on a
                // CPU when the clock starts: waking a blocked thread takes
                // long enough for another to finish a short run alone.
                while !go.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                let start = Instant::now();
                for _ in 0..adds_per_thread {
                    handle.add(1)?;
                }
                handle.finish()?;
                Ok((start, Instant::now()))
            };
            match std::thread::Builder::new()
                .name(format!("counter-{index}"))
                .spawn_scoped(s, work)
            {
                Ok(worker) => workers.push(worker),
                Err(source) => {
                    outcome = Err(CounterError::Thread { index, source });
                    break;
                }
            }
        }
        while ready.load(Ordering::Acquire) < workers.len()
            && !workers.iter().any(|w| w.is_finished())
        {
            std::thread::yield_now();
        }
        let started = Instant::now();
        go.store(true, Ordering::Release);
        let mut spans = Vec::with_capacity(workers.len());
        for worker in workers {
            let result = worker.join().unwrap_or_else(|_| {
                Err(CounterError::ThreadPanicked {
                    counter: counter.name(),
                })
            });
            match result {
                Ok(span) => spans.push(span),
                Err(e) if outcome.is_ok() => outcome = Err(e),
                Err(_) => {}
            }
        }
        (outcome, started.elapsed(), spans)
    });
    outcome?;
    let after = counter.total()?;
    Ok(Tally {
        threads,
        expected: (threads as u64).saturating_mul(adds_per_thread),
        counted: after.wrapping_sub(before),
        elapsed,
        overlap: overlap(&spans),
    })
}

/// How much of the spans' union all of them cover at once.
fn overlap(spans: &[(Instant, Instant)]) -> f64 {
    let (Some(first), Some(last)) = (
        spans.iter().map(|s| s.0).min(),
        spans.iter().map(|s| s.1).max(),
    ) else {
        return 0.0;
    };
    let (Some(all_started), Some(first_done)) = (
        spans.iter().map(|s| s.0).max(),
        spans.iter().map(|s| s.1).min(),
    ) else {
        return 0.0;
    };
    let union = last.duration_since(first).as_secs_f64();
    let together = first_done
        .saturating_duration_since(all_started)
        .as_secs_f64();
    if union > 0.0 { together / union } else { 1.0 }
}
// ANCHOR_END: hammer

/// The in-memory counters need no per-thread state: the handle is `&counter`.
macro_rules! shared_handle {
    ($($counter:ty),* $(,)?) => {$(
        impl Counter for $counter {
            type Handle<'a> = &'a $counter;

            fn name(&self) -> String {
                self.label()
            }

            fn handle(&self) -> Result<Self::Handle<'_>, CounterError> {
                Ok(self)
            }

            fn total(&self) -> Result<u64, CounterError> {
                Ok(self.get())
            }
        }

        impl CounterHandle for &$counter {
            #[inline]
            fn add(&mut self, n: u64) -> Result<(), CounterError> {
                <$counter>::add(self, n);
                Ok(())
            }
        }
    )*};
}

shared_handle!(
    RacyCounter,
    MutexCounter,
    RwLockCounter,
    AtomicCounter,
    ShardedCounter
);

// ---------------------------------------------------------------------------
// The bug
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Locks
// ---------------------------------------------------------------------------

/// `Mutex<u64>`: the `with lock: count += 1` answer. Correct, simple, and
/// every add takes and releases the lock.
#[derive(Debug, Default)]
pub struct MutexCounter {
    value: Mutex<u64>,
}

impl MutexCounter {
    /// A counter at 0.
    pub const fn new() -> Self {
        MutexCounter {
            value: Mutex::new(0),
        }
    }

    /// Adds `n` under the lock.
    #[inline]
    pub fn add(&self, n: u64) {
        // A poisoned lock is safe to reuse: the only code that runs under it
        // is one wrapping add, which cannot leave the value half-updated.
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        *value = value.wrapping_add(n);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        *self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn label(&self) -> String {
        "Mutex<u64>".to_owned()
    }
}

/// `RwLock<u64>`: correct, but a counter's adds are all writes, so the
/// reader-writer bookkeeping buys nothing. Kept to measure exactly that.
#[derive(Debug, Default)]
pub struct RwLockCounter {
    value: RwLock<u64>,
}

impl RwLockCounter {
    /// A counter at 0.
    pub const fn new() -> Self {
        RwLockCounter {
            value: RwLock::new(0),
        }
    }

    /// Adds `n` under the write lock.
    #[inline]
    pub fn add(&self, n: u64) {
        // Poison is harmless here for the reason given in `MutexCounter::add`.
        let mut value = self.value.write().unwrap_or_else(PoisonError::into_inner);
        *value = value.wrapping_add(n);
    }

    /// The count, under the read lock.
    pub fn get(&self) -> u64 {
        *self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn label(&self) -> String {
        "RwLock<u64>".to_owned()
    }
}

// ---------------------------------------------------------------------------
// Atomics
// ---------------------------------------------------------------------------

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
/// Each shard is a [`CachePadded`] atomic — 128 bytes on x86-64 and
/// aarch64, because their prefetchers pull cache lines in pairs — so two
/// shards never share a line (false sharing would undo the split).
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
    shards: Box<[CachePadded<AtomicU64>]>,
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

    fn label(&self) -> String {
        "ShardedCounter".to_owned()
    }
}
// ANCHOR_END: sharded

impl Default for ShardedCounter {
    fn default() -> Self {
        Self::new()
    }
}

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

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/safe-counters",
        area: Area::Interview,
        rank: 4,
        title: "Concurrency-safe counters (locks vs atomics vs Redis)",
        python: "threading.Lock around count += 1; Redis INCR across processes",
        rust: "Mutex, RwLock, AtomicU64 (Relaxed is enough), sharded cache-padded and thread-local counters; INCR on a real redis-server",
        path: "interview/src/safe_counters.rs",
        source: include_str!("safe_counters.rs"),
        run: demo,
    }
}

/// Thread counts of the throughput tables.
pub const THREAD_COUNTS: [usize; 3] = [1, 2, 4];

/// Adds per local batch in the demo and the bench.
pub const BATCH: u64 = 64;

/// Sizes of one demo run.
struct Plan {
    /// Adds per thread of the racy runs (the yielding one makes a syscall
    /// per add).
    racy_adds: u64,
    /// Adds per thread, and runs, of each cell of the throughput table.
    adds: u64,
    runs: usize,
    /// Adds per thread, and alternating runs, of the headline comparison:
    /// milliseconds of work, so that a second thread woken on another core
    /// (of a shared VM, say) joins in before the first is done.
    compare_adds: u64,
    compare_runs: usize,
    redis_adds: u64,
    redis_fast_adds: u64,
    redis_runs: usize,
}

impl Plan {
    fn for_mode(n: &Narrator) -> Plan {
        let mode = n.mode();
        Plan {
            racy_adds: mode.pick(10_000, 100_000),
            adds: mode.pick(50_000, 1_000_000),
            runs: mode.pick(1, 5),
            compare_adds: mode.pick(1_000_000, 2_000_000),
            compare_runs: mode.pick(3, 7),
            redis_adds: mode.pick(150, 5_000),
            redis_fast_adds: mode.pick(3_000, 50_000),
            redis_runs: mode.pick(1, 3),
        }
    }
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let plan = Plan::for_mode(n);
    lost_updates(n, &plan)?;
    throughput_by_threads(n, &plan)?;
    sharded_versus_one_atomic(n, &plan)?;
    redis_counters(n, &plan)
}

fn lost_updates(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("The bug: count += 1 as a load and a store");
    n.say(
        "RacyCounter loads the value, adds, and stores it back: every access is atomic, so safe \
         Rust accepts it, but an add by another thread between the load and the store is \
         overwritten. Four threads add 1 each; the counter should end at the number of adds.",
    );
    n.show("let seen = value.load(Relaxed);   // another thread adds here ...");
    n.show("value.store(seen + 1, Relaxed);    // ... and its add is overwritten");
    let threads = 4;
    for (counter, label) in [
        (RacyCounter::new(), "as written"),
        (RacyCounter::yielding(), "yield in window"),
    ] {
        let tally = hammer(&counter, threads, plan.racy_adds)?;
        n.record(
            &format!("RacyCounter {label}: lost of {} adds", tally.expected),
            tally.lost() as f64,
            Unit::Count,
        );
    }
    let fixed = hammer(&AtomicCounter::new(), threads, plan.racy_adds)?;
    n.record(
        &format!("AtomicU64::fetch_add: lost of {} adds", fixed.expected),
        fixed.lost() as f64,
        Unit::Count,
    );
    anyhow::ensure!(fixed.lost() == 0, "fetch_add lost {} adds", fixed.lost());
    n.say(
        "The version as written loses adds only when two threads really run at once (a busy or \
         single-core machine may show 0 — the bug is still there); a yield between load and \
         store, like a thread switch in Python, makes the loss certain. fetch_add never loses \
         one.",
    );
    Ok(())
}

/// `tally`, or an error if the correct backend `counter` lost an add.
fn exact<C: Counter>(counter: &C, tally: Tally) -> anyhow::Result<Tally> {
    anyhow::ensure!(
        tally.counted == tally.expected,
        "{} counted {} of {} adds with {} threads",
        counter.name(),
        tally.counted,
        tally.expected,
        tally.threads
    );
    Ok(tally)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Median ops/s of `runs` runs; fails if a correct backend lost an add.
fn median_ops_per_sec<C: Counter>(
    counter: &C,
    threads: usize,
    adds: u64,
    runs: usize,
) -> anyhow::Result<f64> {
    let mut rates = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        rates.push(exact(counter, hammer(counter, threads, adds)?)?.ops_per_sec());
    }
    Ok(median(&mut rates))
}

/// Records ops/s at each of [`THREAD_COUNTS`]; returns them in that order.
fn throughput_row<C: Counter>(
    n: &mut Narrator,
    counter: &C,
    adds: u64,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut row = Vec::with_capacity(THREAD_COUNTS.len());
    for threads in THREAD_COUNTS {
        let rate = median_ops_per_sec(counter, threads, adds, runs)?;
        n.record(
            &format!(
                "{}, {threads} thread{}",
                counter.name(),
                if threads == 1 { "" } else { "s" }
            ),
            rate,
            Unit::OpsPerSec,
        );
        row.push(rate);
    }
    Ok(row)
}

fn throughput_by_threads(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("The fixes: adds per second by thread count");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runs = match plan.runs {
        1 => "one run".to_owned(),
        r => format!("the median of {r} runs"),
    };
    n.say(&format!(
        "Each thread adds 1, {} times, and every count is checked exact; {runs} per cell on \
         this machine ({cores} cores: beyond that, threads take turns).",
        plan.adds
    ));
    throughput_row(n, &MutexCounter::new(), plan.adds, plan.runs)?;
    throughput_row(n, &RwLockCounter::new(), plan.adds, plan.runs)?;
    let relaxed = throughput_row(n, &AtomicCounter::new(), plan.adds, plan.runs)?;
    let seq_cst = throughput_row(
        n,
        &AtomicCounter::with_ordering(Ordering::SeqCst),
        plan.adds,
        plan.runs,
    )?;
    throughput_row(n, &ShardedCounter::new(), plan.adds, plan.runs)?;
    throughput_row(n, &BatchedCounter::new(BATCH), plan.adds, plan.runs)?;
    n.say(&format!(
        "Relaxed vs SeqCst: the ordering cannot change the count, only what other memory is \
         ordered around the add. On {} a fetch_add is the same locked instruction either way, \
         so expect a tie there; weaker-ordered CPUs (ARM) pay for SeqCst with barriers.",
        std::env::consts::ARCH
    ));
    n.compare(
        "fetch_add(Relaxed) vs fetch_add(SeqCst), 2 threads",
        relaxed[1],
        seq_cst[1],
        "AtomicU64::fetch_add(SeqCst)",
        Unit::OpsPerSec,
    );
    Ok(())
}

fn sharded_versus_one_atomic(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("Sharded vs one atomic, 2 threads");
    n.say(&format!(
        "With one AtomicU64 the two cores take turns owning its cache line; sharded, each \
         thread owns a 128-byte-padded shard of its own. {} runs of 2 × {} adds, alternating \
         so machine noise hits both alike. The gap exists only while both threads add at the \
         same moment, so that share of the time is measured too: on a machine too busy to give \
         them two cores it is low, nothing contends, and the two tie.",
        plan.compare_runs, plan.compare_adds
    ));
    let sharded = ShardedCounter::new();
    let atomic = AtomicCounter::new();
    let (mut ours, mut peer, mut together) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..plan.compare_runs {
        let tally = exact(&sharded, hammer(&sharded, 2, plan.compare_adds)?)?;
        ours.push(tally.ops_per_sec());
        let tally = exact(&atomic, hammer(&atomic, 2, plan.compare_adds)?)?;
        peer.push(tally.ops_per_sec());
        together.push(tally.overlap);
    }
    n.record(
        "time both threads were adding at once (one atomic)",
        100.0 * median(&mut together),
        Unit::Percent,
    );
    n.compare(
        "ShardedCounter::add vs one AtomicU64, 2 threads",
        median(&mut ours),
        median(&mut peer),
        "AtomicU64::fetch_add",
        Unit::OpsPerSec,
    );
    Ok(())
}

fn redis_counters(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("Across processes: Redis INCR");
    let url = n.settings().redis_url.clone();
    let required = n.settings().require_redis;
    let Some(source) = RedisSource::resolve(url.as_deref(), required)? else {
        n.say(
            "skipped: redis-server is not installed — install it with `apt-get install \
             redis-server` (or pass --redis URL) to see INCR measured; set \
             MASTERY_REQUIRE_REDIS=1 to make this a failure.",
        );
        return Ok(());
    };
    let counter = RedisCounter::connect(source.url(), unique_key("demo"))?;
    n.say(&format!(
        "Using {source}, key {}. Each thread has its own connection; INCR is atomic because \
         the server runs one command at a time. Every add is a round trip, so the Redis \
         analogue of the local batch is sending many adds per trip: a pipeline (every add \
         still a command) or one INCRBY per 100 adds.",
        counter.key()
    ));
    let result = redis_rows(n, plan, &counter);
    let tidy = counter.delete();
    result?;
    tidy?;
    Ok(())
}

fn redis_rows(n: &mut Narrator, plan: &Plan, counter: &RedisCounter) -> anyhow::Result<()> {
    let per_add = counter.clone();
    let per_add_row = throughput_row(n, &per_add, plan.redis_adds, plan.redis_runs)?;
    let pipelined = counter.clone().with_mode(RedisMode::Pipelined(100));
    throughput_row(n, &pipelined, plan.redis_fast_adds, plan.redis_runs)?;
    let batched = counter.clone().with_mode(RedisMode::Batched(100));
    let batched_row = throughput_row(n, &batched, plan.redis_fast_adds, plan.redis_runs)?;
    n.compare(
        "INCRBY every 100 adds vs INCR per add, 2 threads",
        batched_row[1],
        per_add_row[1],
        "Redis INCR per add",
        Unit::OpsPerSec,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;
    use std::sync::Barrier;

    /// A backend, ready to be hammered by `threads` threads × `adds`.
    type Run = Box<dyn Fn(usize, u64) -> Tally>;

    fn run<C: Counter + 'static>(counter: C) -> Run {
        Box::new(move |threads, adds| {
            hammer(&counter, threads, adds).expect("in-memory backends cannot fail")
        })
    }

    /// Every correct in-memory backend.
    fn correct_backends() -> Vec<(&'static str, Run)> {
        vec![
            ("Mutex", run(MutexCounter::new())),
            ("RwLock", run(RwLockCounter::new())),
            ("fetch_add Relaxed", run(AtomicCounter::new())),
            (
                "fetch_add SeqCst",
                run(AtomicCounter::with_ordering(Ordering::SeqCst)),
            ),
            ("sharded", run(ShardedCounter::new())),
            ("sharded, 1 shard", run(ShardedCounter::with_shards(1))),
            // 5 000 adds is not a multiple of 64 or 7: the final flush matters.
            ("local batch 64", run(BatchedCounter::new(BATCH))),
            ("local batch 7", run(BatchedCounter::new(7))),
        ]
    }

    #[test]
    fn every_correct_backend_counts_exactly_with_2_to_8_threads() {
        for (name, hammer_it) in correct_backends() {
            for threads in 2..=8 {
                let tally = hammer_it(threads, 5_000);
                assert_eq!(tally.expected, threads as u64 * 5_000, "{name}");
                assert_eq!(tally.counted, tally.expected, "{name}, {threads} threads");
                assert_eq!(tally.lost(), 0, "{name}");
            }
        }
    }

    #[test]
    fn racy_counter_loses_an_update_when_both_threads_load_first() {
        // Deterministic: both threads load 0 before either stores 1.
        let counter = RacyCounter::new();
        let both_loaded = Barrier::new(2);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    counter.add_with_window(1, || {
                        both_loaded.wait();
                    })
                });
            }
        });
        assert_eq!(counter.get(), 1, "two adds, one lost");
    }

    #[test]
    fn racy_counter_loses_updates_under_the_harness() {
        // A yield between load and store loses adds whenever another counting
        // thread is runnable, even on a busy two-core machine.
        let tally = hammer(&RacyCounter::yielding(), 4, 20_000).expect("in-memory");
        assert!(tally.lost() > 0, "expected lost updates, got {tally:?}");
        assert!(tally.counted < tally.expected);
    }

    #[test]
    fn sharded_counter_spreads_threads_and_sums_exactly() {
        let counter = ShardedCounter::with_shards(3);
        assert_eq!(counter.shard_count(), 4, "rounded up to a power of two");
        assert_eq!(ShardedCounter::with_shards(0).shard_count(), 1);
        assert_eq!(
            ShardedCounter::with_shards(usize::MAX).shard_count(),
            ShardedCounter::MAX_SHARDS
        );
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1_000).for_each(|_| counter.add(3)));
            }
        });
        assert_eq!(counter.sum(), 12_000);
        let used = counter
            .shards
            .iter()
            .filter(|s| s.load(Ordering::Relaxed) > 0)
            .count();
        assert!(used >= 2, "4 threads landed on {used} shard(s)");
        assert!(std::mem::align_of::<CachePadded<AtomicU64>>() >= 64);
    }

    #[test]
    fn overlap_is_the_share_of_time_every_thread_ran() {
        let t = Instant::now();
        let at = |ms| t + Duration::from_millis(ms);
        assert_eq!(overlap(&[(at(0), at(10)), (at(0), at(10))]), 1.0);
        assert!((overlap(&[(at(0), at(10)), (at(5), at(15))]) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(overlap(&[(at(0), at(10)), (at(10), at(20))]), 0.0);
        assert_eq!(overlap(&[(at(0), at(5)), (at(8), at(20))]), 0.0, "disjoint");
        assert_eq!(overlap(&[]), 0.0);
        let tally = hammer(&AtomicCounter::new(), 2, 10_000).expect("in-memory");
        assert!((0.0..=1.0).contains(&tally.overlap), "{tally:?}");
    }

    #[test]
    fn local_batch_flushes_every_n_adds_and_on_drop() {
        let counter = BatchedCounter::new(10);
        let mut local = counter.local();
        (0..25).for_each(|_| local.add(2));
        assert_eq!(counter.get(), 40, "two flushes of 10 adds × 2");
        assert_eq!(local.pending(), 10);
        local.flush();
        assert_eq!((counter.get(), local.pending()), (50, 0));
        local.add(5);
        drop(local);
        assert_eq!(counter.get(), 55, "drop flushes");
        assert_eq!(BatchedCounter::new(0).batch(), 1);
    }

    #[test]
    fn local_batch_flushes_while_unwinding() {
        let counter = BatchedCounter::new(1_000);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut local = counter.local();
            local.add(7);
            panic!("worker failed mid-batch");
        }));
        assert!(outcome.is_err());
        assert_eq!(counter.get(), 7);
    }

    #[test]
    fn counters_wrap_instead_of_panicking() {
        let mutex = MutexCounter::new();
        mutex.add(u64::MAX);
        mutex.add(2);
        assert_eq!(mutex.get(), 1);
        let rw = RwLockCounter::new();
        rw.add(u64::MAX);
        rw.add(2);
        assert_eq!(rw.get(), 1);
        let batched = BatchedCounter::new(2);
        let mut local = batched.local();
        local.add(u64::MAX);
        local.add(2);
        assert_eq!(batched.get(), 1);
    }

    #[test]
    fn atomic_counter_reads_with_any_ordering() {
        for ordering in [
            Ordering::Relaxed,
            Ordering::Release,
            Ordering::Acquire,
            Ordering::AcqRel,
            Ordering::SeqCst,
        ] {
            let counter = AtomicCounter::with_ordering(ordering);
            counter.add(2);
            assert_eq!((counter.get(), counter.ordering()), (2, ordering));
        }
        assert!(AtomicCounter::new().name().contains("Relaxed"));
    }

    #[test]
    fn demo_reports_an_unreachable_redis_url_as_an_error() {
        // Port 1 on loopback: nothing listens there, the connect is refused.
        let mut n = Narrator::silent("interview/safe-counters", Mode::Quick).with_settings(
            mastery_kit::Settings {
                redis_url: Some("redis://127.0.0.1:1".to_owned()),
                ..mastery_kit::Settings::default()
            },
        );
        let plan = Plan::for_mode(&n);
        let err = redis_counters(&mut n, &plan).expect_err("the URL was asked for: no skip");
        let text = format!("{err:#}");
        assert!(text.contains("127.0.0.1:1"), "names the address: {text}");
        assert!(
            text.to_lowercase().contains("refused"),
            "names the cause: {text}"
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("interview/safe-counters", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "AtomicU64::fetch_add")
        );
        assert!(n.measurements().iter().any(|m| m.unit == Unit::OpsPerSec));
        let lost = n
            .measurements()
            .iter()
            .find(|m| m.label.starts_with("RacyCounter yield"))
            .expect("the racy run is recorded");
        assert!(lost.value > 0.0, "the demo shows lost updates");
    }
}
