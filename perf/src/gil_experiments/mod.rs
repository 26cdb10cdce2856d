//! # GIL experiments: one global lock vs fine-grained locks vs none
//!
//! ## Python idiom
//! CPython runs bytecode only while holding the *global interpreter lock*.
//! Threads take turns: a thread that wants the GIL waits one switch
//! interval (`sys.getswitchinterval()`, `0.005` by default, in seconds),
//! then sets `gil_drop_request` on the *eval breaker*. The holder does not
//! look at the eval breaker between every two bytecodes: it checks at
//! particular points — function entry (`RESUME`), the backward jump that
//! closes a loop (`JUMP_BACKWARD`), and after a call into C — so
//! straight-line bytecode, or one long C call that keeps the GIL, runs on
//! until the next check. There it drops the GIL and — since Python 3.2's
//! "forced switching" — waits until another thread has really taken it, so
//! it cannot grab it straight back. C code that blocks (`time.sleep`, a
//! socket `recv`, a NumPy kernel) brackets itself with
//! `Py_BEGIN_ALLOW_THREADS`, and that is why threads still help for IO:
//!
//! ```python
//! sys.setswitchinterval(0.005)           # how long a waiter waits before asking
//! with ThreadPoolExecutor(4) as pool:    # CPU-bound: no faster than 1 thread
//!     list(pool.map(crunch, chunks))
//! with ThreadPoolExecutor(4) as pool:    # IO-bound: the waits overlap, the GIL
//!     list(pool.map(fetch, urls))        # is released around every blocking call
//! ```
//!
//! The price is known as the *convoy effect*: an IO thread that releases the
//! GIL for a short read must then wait up to a whole switch interval to get
//! it back from a CPU-bound thread, so each of its reads costs about an
//! interval rather than its own length.
//!
//! ## Rust answer
//! [`Gil<T>`](Gil) is a toy GIL built the way `Python/ceval_gil.c` builds
//! its own: a `locked` flag, a switch number and two condition variables
//! (parking_lot's) under one mutex, plus an atomic drop request — the eval
//! breaker. The state `T` it protects (the "interpreter state") is reached
//! only through the [`GilGuard`] that [`Gil::acquire`] returns, so the type
//! system, not discipline, keeps bytecode under the lock.
//! - [`GilGuard::check_eval_breaker`] is what the eval loop does at its
//!   check points: if a waiter has asked, drop the GIL, wait for the
//!   switch, queue for it again. The toy's threads check after every unit
//!   of work, the backward jump of their loop.
//! - [`GilGuard::allow_threads`] is `Py_BEGIN/END_ALLOW_THREADS`: release,
//!   run the blocking call, take the GIL back.
//! - [`GilGuard::yield_now`] hands the GIL to a waiting thread on purpose
//!   (a forced switch without waiting out the interval): the ping-pong that measures one
//!   hand-off.
//!
//! ```
//! use std::time::Duration;
//! use mastery_perf::gil_experiments::Gil;
//!
//! let gil = Gil::new(0_u64, Duration::from_millis(5)); // sys.setswitchinterval(0.005)
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         s.spawn(|| {
//!             let mut interp = gil.acquire();
//!             for _ in 0..1_000 {
//!                 *interp += 1;               // a "bytecode": runs under the GIL
//!                 interp.check_eval_breaker(); // hand off if someone asked
//!             }
//!         });
//!     }
//! });
//! assert_eq!(gil.into_inner(), 2_000); // no lost update, and no data race possible
//! ```
//!
//! Rust has no GIL: the same work runs under the three schemes
//! ([`Scheme`], the core below), all computing the same histogram — one
//! *global lock*, *fine-grained* locks (one `Mutex` per bucket, held for
//! one increment), and *no lock* (each thread fills its own histogram,
//! merged at the end). The demo measures throughput by thread count for
//! each, the hand-off cost, IO with the GIL released and held, and the
//! convoy.
//!
//! ## When to use which
//! - **No lock** (thread-local work, merge at the end) whenever the work
//!   splits: it scales with the cores and costs one merge. This is what
//!   rayon's `fold`/`reduce` and `multiprocessing` both do.
//! - **Fine-grained locks** when threads must share mutable state: a lock
//!   held for one update lets the expensive part run in parallel; the cost
//!   is a lock per update, and cache lines that bounce between cores.
//! - **One global lock** only to make a single-threaded design safe cheaply
//!   — exactly why CPython has one. It serialises the work; the switch
//!   interval trades latency (the convoy) for fewer hand-offs (each costs
//!   a wake-up and a context switch). In Python: threads for IO, processes
//!   or native code that releases the GIL for CPU work — or the
//!   free-threaded build of PEP 703, a separate interpreter
//!   (`python3.13t`, experimental in 3.13) that runs without the GIL. It
//!   takes more than per-object locks (containers lock themselves, the
//!   fine-grained scheme): *biased reference counting* (the owning thread
//!   counts without atomic instructions, other threads atomically),
//!   *immortal objects* (`None`, small ints, interned strings are never
//!   counted), deferred reference counting, and a thread-safe allocator
//!   (mimalloc). And the GIL can come back at run time: importing an
//!   extension module that does not declare free-threading support
//!   re-enables it (with a warning), and `PYTHON_GIL=1` or `-X gil=1`
//!   turns it on from the start.
//!
//! ## What it costs
//! The demo measures, in the run:
//! - **throughput by thread count** (1, 2 and 4 threads; units of work per
//!   second) for the three schemes, compared as the GIL with 2 threads
//!   against 1, no lock against the GIL, and fine-grained locks against no
//!   lock — what serialising costs, and what a lock per update costs;
//! - **one GIL hand-off against one bare `Mutex` + `Condvar` turn**
//!   (ping-pong between two threads), with the GIL's own timing from a
//!   release to the waiting thread running — what forced switching adds;
//! - **blocking calls with the GIL released against held** — why
//!   `Py_BEGIN_ALLOW_THREADS` matters;
//! - **the convoy**: a short IO call alone against next to a CPU-bound
//!   thread, and by switch interval the median call, the calls that
//!   waited, and the CPU thread's throughput meanwhile.
//!
//! Every comparison pairs the two sides round by round, taking turns, and
//! calls a winner only when its interval excludes a tie. The full run keeps
//! the work, the ping-pong and the blocking calls short enough for the
//! one-minute tour; `mastery run perf/gil-experiments --deep` runs the long
//! versions (more work per run, more hand-offs, longer and more calls).
//!
//! What each scheme gives up: the global lock gives up parallelism and
//! adds latency for every waiter; fine-grained locks give up simplicity (a
//! lock per shared thing, and an order to take them in) and pay on every
//! update; no lock needs work that splits, a copy of the state per thread,
//! and a merge.
//!
//! ## Run it
//! `mastery run perf/gil-experiments` (throughput by thread count for the
//! three schemes, GIL hand-off latency against a bare `Condvar` ping-pong, IO with
//! the GIL released and held, the convoy effect by switch interval), and
//! `cargo test -p mastery-perf gil` (one runner at a time, forced hand-off
//! within the interval, `allow_threads` lets others run, no lost update and
//! identical results in every scheme).

mod demo;
mod experiments;
mod gil;
#[cfg(test)]
mod tests;

pub use experiments::{Convoy, PingPong, blocking_calls, condvar_pingpong, convoy, gil_pingpong};
pub use gil::{DEFAULT_SWITCH_INTERVAL, Gil, GilGuard, GilStats};

use std::hint::black_box;
use std::thread;
use std::time::Duration;

use parking_lot::Mutex;

// ANCHOR: core
/// Buckets of the histogram every scheme computes.
pub const BUCKETS: usize = 64;

/// The histogram: how many work units hashed into each bucket.
pub type Histogram = [u64; BUCKETS];

/// Rounds of mixing per unit of work. Each round is SplitMix64's
/// finalizer — an add, two xor-shift-multiplies and a final xor-shift,
/// every step depending on the one before — so a unit is a fixed chain of
/// dependent integer operations, with no memory traffic, that outweighs
/// the one histogram increment it ends with.
const ROUNDS: u32 = 64;

/// One unit of CPU work — one "bytecode": mixes `i` and names the bucket
/// it lands in.
pub fn bytecode(i: u64) -> usize {
    let mut x = i;
    for _ in 0..ROUNDS {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
    }
    (black_box(x) % BUCKETS as u64) as usize
}

/// How threads share the histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// One global interpreter lock, held while running bytecode and handed
    /// over at the switch interval.
    Gil {
        /// `sys.setswitchinterval`.
        switch_interval: Duration,
    },
    /// One `Mutex` per bucket, held only for the increment; the mixing
    /// runs in parallel (the free-threaded CPython's per-object locks).
    FineGrained,
    /// Every thread fills its own histogram; they are summed at the end.
    NoLock,
}

impl Scheme {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Gil { .. } => "one global lock (GIL)",
            Scheme::FineGrained => "fine-grained (lock per bucket)",
            Scheme::NoLock => "no lock (thread-local + merge)",
        }
    }
}

/// The reference: units `0..units` on one thread, no synchronisation.
pub fn histogram_sequential(units: u64) -> Histogram {
    let mut h = [0; BUCKETS];
    for i in 0..units {
        h[bytecode(i)] += 1;
    }
    h
}

/// Runs units `0..units` on `threads` threads (thread `t` takes the units
/// `i` with `i % threads == t`) under `scheme`; the histogram must equal
/// [`histogram_sequential`] whatever the scheme and thread count.
pub fn run_scheme(scheme: Scheme, threads: usize, units: u64) -> Histogram {
    let threads = threads.max(1);
    let mine = move |t: usize| (t as u64..units).step_by(threads);
    match scheme {
        Scheme::Gil { switch_interval } => {
            let gil = Gil::new([0_u64; BUCKETS], switch_interval);
            thread::scope(|s| {
                for t in 0..threads {
                    let gil = &gil;
                    s.spawn(move || {
                        let mut interp = gil.acquire();
                        for i in mine(t) {
                            let bucket = bytecode(i);
                            interp[bucket] += 1;
                            interp.check_eval_breaker();
                        }
                    });
                }
            });
            gil.into_inner()
        }
        Scheme::FineGrained => {
            let buckets: Vec<Mutex<u64>> = (0..BUCKETS).map(|_| Mutex::new(0)).collect();
            thread::scope(|s| {
                for t in 0..threads {
                    let buckets = &buckets;
                    s.spawn(move || {
                        for i in mine(t) {
                            *buckets[bytecode(i)].lock() += 1;
                        }
                    });
                }
            });
            let mut h = [0; BUCKETS];
            for (slot, bucket) in h.iter_mut().zip(buckets) {
                *slot = bucket.into_inner();
            }
            h
        }
        Scheme::NoLock => thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let mut local = [0_u64; BUCKETS];
                        for i in mine(t) {
                            local[bytecode(i)] += 1;
                        }
                        local
                    })
                })
                .collect();
            let mut h = [0; BUCKETS];
            for worker in workers {
                // A worker only panics if `bytecode` does, which it cannot;
                // should one, its units are missing and the tests say so.
                if let Ok(local) = worker.join() {
                    for (sum, part) in h.iter_mut().zip(local) {
                        *sum += part;
                    }
                }
            }
            h
        }),
    }
}
// ANCHOR_END: core
