//! # GIL experiments: one global lock vs fine-grained locks vs none
//!
//! ## Python idiom
//! CPython runs bytecode only while holding the *global interpreter lock*.
//! Threads take turns: a thread that wants the GIL waits
//! `sys.getswitchinterval()` (5 ms by default), then sets
//! `gil_drop_request` on the *eval breaker*; the holder notices it between
//! two bytecodes, drops the GIL and — since Python 3.2's "forced
//! switching" — waits until another thread has really taken it, so it
//! cannot grab it straight back. C code that blocks (`time.sleep`, a socket
//! `recv`, a NumPy kernel) brackets itself with `Py_BEGIN_ALLOW_THREADS`,
//! and that is why threads still help for IO:
//!
//! ```python
//! sys.setswitchinterval(0.005)           # how long a waiter waits before asking
//! with ThreadPoolExecutor(4) as pool:    # CPU-bound: no faster than 1 thread
//!     list(pool.map(crunch, chunks))
//! with ThreadPoolExecutor(4) as pool:    # IO-bound: 4× faster, the GIL is
//!     list(pool.map(fetch, urls))        # released around every blocking call
//! ```
//!
//! The price is known as the *convoy effect*: an IO thread that releases the
//! GIL for a 100 µs read must then wait a whole switch interval to get it
//! back from a CPU-bound thread, so each of its reads costs 5 ms.
//!
//! ## Rust answer
//! [`Gil<T>`](Gil) is a toy GIL built the way `Python/ceval_gil.c` builds
//! its own: a `locked` flag, a switch number and two condition variables
//! (parking_lot's) under one mutex, plus an atomic drop request — the eval
//! breaker. The state `T` it protects (the "interpreter state") is reached
//! only through the [`GilGuard`] that [`Gil::acquire`] returns, so the type
//! system, not discipline, keeps bytecode under the lock.
//! - [`GilGuard::check_eval_breaker`] is what the eval loop does between
//!   bytecodes: if a waiter has asked, drop the GIL, wait for the switch,
//!   queue for it again.
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
//! Rust has no GIL: the same work runs under the three other schemes
//! ([`Scheme`]), all computing the same histogram — *fine-grained* locks
//! (one `Mutex` per bucket, held for one increment), and *no lock* (each
//! thread fills its own histogram, merged at the end). The demo measures
//! throughput by thread count for each, the hand-off cost, IO with the GIL
//! released and held, and the convoy.
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
//!   a wake-up and a context switch, measured below). In Python: threads for
//!   IO, processes or native code that releases the GIL for CPU work (or
//!   the free-threaded 3.13+ build, PEP 703, which replaces the GIL with
//!   per-object locks — the fine-grained scheme).
//!
//! ## Run it
//! `mastery run perf/gil-experiments` (throughput by thread count for the
//! three schemes, GIL hand-off latency against a bare `Condvar` ping-pong, IO with
//! the GIL released and held, the convoy effect by switch interval), and
//! `cargo test -p mastery-perf gil` (one runner at a time, forced hand-off
//! within the interval, `allow_threads` lets others run, no lost update and
//! identical results in every scheme).

use std::hint::black_box;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use mastery_kit::narrator::millis;
use mastery_kit::stats::Spread;
use mastery_kit::{Area, Narrator, Topic, Unit};
use parking_lot::{Condvar, Mutex, MutexGuard};

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/gil-experiments",
        area: Area::Perf,
        rank: 5,
        title: "GIL experiments: one global lock vs fine-grained locks vs none",
        python: "threading + the GIL: sys.setswitchinterval, Py_BEGIN_ALLOW_THREADS around blocking calls",
        rust: "a toy GIL (Mutex + Condvar + eval-breaker drop request) vs per-bucket Mutexes vs thread-local work merged; measured by thread count",
        path: "perf/src/gil_experiments.rs",
        source: include_str!("gil_experiments.rs"),
        run: demo,
    }
}

// ---- the toy GIL --------------------------------------------------------------

/// CPython's default switch interval (`sys.getswitchinterval()`).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// The scheduling state, under the GIL's own (short-held) mutex: what
/// `struct _gil_runtime_state` holds in CPython.
#[derive(Debug, Default)]
struct Sched {
    /// Whether a thread holds the GIL.
    locked: bool,
    /// Threads blocked in `take`.
    waiters: usize,
    /// Incremented by every `take`: lets a waiter tell "the holder kept it
    /// for a whole interval" from "it changed hands meanwhile", and lets a
    /// forced dropper wait for the switch.
    switch_number: u64,
    /// The last thread that took the GIL, to count real hand-offs.
    last_holder: Option<ThreadId>,
    /// When the GIL was last released with a thread waiting for it: the
    /// start of a hand-off, whose end is that thread running.
    released_at: Option<Instant>,
}

/// Counters of what the GIL did, for tests and the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GilStats {
    /// Times the GIL passed to a thread other than its previous holder.
    pub handoffs: u64,
    /// Times a waiter set the drop request after a whole switch interval.
    pub drop_requests: u64,
    /// Hand-offs to a thread that was asleep waiting, timed from the
    /// release to that thread holding the GIL.
    pub timed_handoffs: u64,
    /// The sum of those times.
    pub handoff_time: Duration,
}

impl GilStats {
    /// Mean time from a release to the waiting thread running, if any
    /// hand-off to a sleeping waiter happened.
    pub fn mean_handoff(&self) -> Option<Duration> {
        let count = u32::try_from(self.timed_handoffs).ok().filter(|&c| c > 0)?;
        Some(self.handoff_time / count)
    }
}

/// A toy global interpreter lock protecting the "interpreter state" `T`.
/// See the module docs for the protocol; it follows CPython's
/// `take_gil`/`drop_gil` with forced switching.
#[derive(Debug)]
pub struct Gil<T> {
    sched: Mutex<Sched>,
    /// Signalled when the GIL is released: one waiter re-checks `locked`.
    released: Condvar,
    /// Signalled when a thread takes the GIL: a holder that was asked to
    /// drop it waits on this until the switch has happened.
    switched: Condvar,
    /// The eval breaker's `gil_drop_request`: set by a waiter that timed
    /// out, polled (one atomic load) by the holder between bytecodes.
    drop_request: AtomicBool,
    interval: Duration,
    handoffs: AtomicU64,
    drop_requests: AtomicU64,
    timed_handoffs: AtomicU64,
    handoff_nanos: AtomicU64,
    /// `Sched::waiters`, readable without the mutex.
    waiting: AtomicUsize,
    /// The protected state. Only the GIL holder ever locks this mutex, so
    /// it is never contended; it is here so that safe code can hand out
    /// `&mut T` to exactly one thread.
    state: Mutex<T>,
}

impl<T> Gil<T> {
    /// A GIL around `state` with the given switch interval (clamped to at
    /// least 1 µs).
    pub fn new(state: T, switch_interval: Duration) -> Self {
        Gil {
            sched: Mutex::new(Sched::default()),
            released: Condvar::new(),
            switched: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval: switch_interval.max(Duration::from_micros(1)),
            handoffs: AtomicU64::new(0),
            drop_requests: AtomicU64::new(0),
            timed_handoffs: AtomicU64::new(0),
            handoff_nanos: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
            state: Mutex::new(state),
        }
    }

    /// The switch interval (`sys.getswitchinterval()`).
    pub fn switch_interval(&self) -> Duration {
        self.interval
    }

    /// Takes the GIL, blocking until it is free; the guard gives access to
    /// the state and releases the GIL when dropped.
    pub fn acquire(&self) -> GilGuard<'_, T> {
        self.take();
        GilGuard {
            state: self.state.lock(),
            held: Held { gil: self },
        }
    }

    /// What the GIL has done so far.
    pub fn stats(&self) -> GilStats {
        GilStats {
            handoffs: self.handoffs.load(Ordering::Relaxed),
            drop_requests: self.drop_requests.load(Ordering::Relaxed),
            timed_handoffs: self.timed_handoffs.load(Ordering::Relaxed),
            handoff_time: Duration::from_nanos(self.handoff_nanos.load(Ordering::Relaxed)),
        }
    }

    /// How many threads are blocked waiting for the GIL right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Gives up the state.
    pub fn into_inner(self) -> T {
        self.state.into_inner()
    }

    /// `take_gil`: wait in slices of one switch interval; a slice that ends
    /// with the same holder still in place sets the drop request.
    fn take(&self) {
        let mut s = self.sched.lock();
        if s.locked {
            s.waiters += 1;
            self.waiting.store(s.waiters, Ordering::Relaxed);
            while s.locked {
                let seen = s.switch_number;
                let timed_out = self.released.wait_for(&mut s, self.interval).timed_out();
                if timed_out && s.locked && s.switch_number == seen {
                    self.drop_request.store(true, Ordering::Release);
                    self.drop_requests.fetch_add(1, Ordering::Relaxed);
                }
            }
            s.waiters -= 1;
            self.waiting.store(s.waiters, Ordering::Relaxed);
            if let Some(released) = s.released_at.take() {
                let nanos = u64::try_from(released.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.handoff_nanos.fetch_add(nanos, Ordering::Relaxed);
                self.timed_handoffs.fetch_add(1, Ordering::Relaxed);
            }
        }
        s.released_at = None;
        s.locked = true;
        s.switch_number += 1;
        let me = thread::current().id();
        if s.last_holder != Some(me) {
            s.last_holder = Some(me);
            self.handoffs.fetch_add(1, Ordering::Relaxed);
        }
        // As CPython does: whoever takes the GIL clears the request; a
        // waiter still unserved will time out and set it again.
        self.drop_request.store(false, Ordering::Release);
        self.switched.notify_all();
    }

    /// `drop_gil`: release and wake one waiter. When `forced` and someone
    /// waits, block until a switch has happened, so the caller cannot take
    /// the GIL straight back (the pre-3.2 GIL's flaw on multicore machines).
    fn drop_gil(&self, forced: bool) {
        let mut s = self.sched.lock();
        s.locked = false;
        if s.waiters > 0 {
            s.released_at = Some(Instant::now());
        }
        self.released.notify_one();
        if forced && s.waiters > 0 {
            let seen = s.switch_number;
            while s.switch_number == seen {
                self.switched.wait(&mut s);
            }
        }
    }
}

/// Releases the GIL when the guard goes; declared after the state guard in
/// [`GilGuard`], so the state is unlocked first.
#[derive(Debug)]
struct Held<'a, T> {
    gil: &'a Gil<T>,
}

impl<T> Drop for Held<'_, T> {
    fn drop(&mut self) {
        self.gil.drop_gil(false);
    }
}

/// Proof of holding the GIL: derefs to the protected state.
#[derive(Debug)]
pub struct GilGuard<'a, T> {
    state: MutexGuard<'a, T>,
    held: Held<'a, T>,
}

impl<T> GilGuard<'_, T> {
    /// The eval breaker check, done between two bytecodes: if a waiter has
    /// asked for the GIL, hand it over (waiting for the switch) and queue to
    /// get it back. Returns whether the GIL was handed over. Costs one
    /// atomic load when nobody asked.
    pub fn check_eval_breaker(&mut self) -> bool {
        let gil = self.held.gil;
        if !gil.drop_request.load(Ordering::Acquire) {
            return false;
        }
        MutexGuard::unlocked(&mut self.state, || {
            gil.drop_gil(true);
            gil.take();
        });
        true
    }

    /// Hands the GIL to a waiting thread now, as if it had asked (does
    /// nothing when nobody waits), then queues to get it back.
    pub fn yield_now(&mut self) {
        let gil = self.held.gil;
        MutexGuard::unlocked(&mut self.state, || {
            gil.drop_gil(true);
            gil.take();
        });
    }

    /// `Py_BEGIN_ALLOW_THREADS … Py_END_ALLOW_THREADS`: releases the GIL
    /// while `blocking` runs (a sleep, a read), so other threads run
    /// bytecode meanwhile, then takes it back. `blocking` gets no access to
    /// the state — the borrow checker enforces CPython's rule that such code
    /// must not touch Python objects.
    pub fn allow_threads<R>(&mut self, blocking: impl FnOnce() -> R) -> R {
        let gil = self.held.gil;
        MutexGuard::unlocked(&mut self.state, || {
            gil.drop_gil(false);
            let result = blocking();
            gil.take();
            result
        })
    }
}

impl<T> Deref for GilGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.state
    }
}

impl<T> DerefMut for GilGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.state
    }
}

// ---- the work and the schemes -------------------------------------------------

/// Buckets of the histogram every scheme computes.
pub const BUCKETS: usize = 64;

/// The histogram: how many work units hashed into each bucket.
pub type Histogram = [u64; BUCKETS];

/// Rounds of mixing per unit of work: about 100 ns of pure CPU.
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

// ---- experiments the demo and the tests share ------------------------------------

/// What a GIL ping-pong measured.
#[derive(Debug, Clone, Copy)]
pub struct PingPong {
    /// Wall time divided by the hand-offs.
    pub per_pass: Duration,
    /// The GIL's own timing: mean from a release to the waiting thread
    /// holding the GIL ([`GilStats::mean_handoff`]).
    pub release_to_run: Option<Duration>,
}

/// Two threads pass the GIL back and forth with [`GilGuard::yield_now`]
/// until it has changed hands `handoffs` times.
pub fn gil_pingpong(handoffs: u64) -> PingPong {
    let gil = Gil::new((), DEFAULT_SWITCH_INTERVAL);
    let done = AtomicBool::new(false);
    let started = Instant::now();
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut g = gil.acquire();
                while !done.load(Ordering::Relaxed) {
                    if gil.stats().handoffs >= handoffs {
                        done.store(true, Ordering::Relaxed);
                        break;
                    }
                    // Yield only to a thread already asleep in the queue. The
                    // other is usually still on its way back from its own
                    // forced drop (woken when this one took the GIL): give
                    // it the CPU rather than spin or hammer the GIL's mutex.
                    if gil.waiting() > 0 {
                        g.yield_now();
                    } else {
                        thread::yield_now();
                    }
                }
            });
        }
    });
    let stats = gil.stats();
    PingPong {
        per_pass: started.elapsed() / u32::try_from(stats.handoffs.max(1)).unwrap_or(u32::MAX),
        release_to_run: stats.mean_handoff(),
    }
}

/// The peer of [`gil_pingpong`]: the least a blocking hand-off can cost —
/// two threads taking turns through one `Mutex<usize>` and `Condvar`
/// (whose turn it is), `handoffs` turns; mean time per turn. Like the GIL,
/// every turn wakes a sleeping thread.
pub fn condvar_pingpong(handoffs: u64) -> Duration {
    let turn = Mutex::new(0_u64);
    let changed = Condvar::new();
    let started = Instant::now();
    thread::scope(|s| {
        for me in 0..2_u64 {
            let (turn, changed) = (&turn, &changed);
            s.spawn(move || {
                let mut t = turn.lock();
                loop {
                    while *t < handoffs && *t % 2 != me {
                        changed.wait(&mut t);
                    }
                    if *t >= handoffs {
                        break;
                    }
                    *t += 1;
                    changed.notify_one();
                }
            });
        }
    });
    started.elapsed() / u32::try_from(handoffs.max(1)).unwrap_or(u32::MAX)
}

/// `threads` threads each make `calls` blocking calls of `call` (a sleep,
/// standing for a read); with `release`, around [`GilGuard::allow_threads`],
/// otherwise holding the GIL (a C extension that forgot to release it).
/// Returns the wall time for all of them.
pub fn blocking_calls(threads: usize, calls: u32, call: Duration, release: bool) -> Duration {
    let gil = Gil::new(0_u32, DEFAULT_SWITCH_INTERVAL);
    let started = Instant::now();
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut g = gil.acquire();
                for _ in 0..calls {
                    if release {
                        g.allow_threads(|| thread::sleep(call));
                    } else {
                        thread::sleep(call);
                    }
                    *g += 1;
                }
            });
        }
    });
    started.elapsed()
}

/// What the convoy experiment saw.
#[derive(Debug, Clone)]
pub struct Convoy {
    /// Wall time of each IO call of the IO thread, GIL retaken included.
    pub calls: Vec<Duration>,
    /// Units of work the CPU-bound thread ran meanwhile (0 without one).
    pub cpu_units: u64,
    /// Wall time of the whole experiment.
    pub elapsed: Duration,
}

impl Convoy {
    /// The median IO call.
    pub fn median_call(&self) -> Duration {
        let mut sorted = self.calls.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    /// How many calls took longer than `at_least` (those that waited for
    /// the GIL).
    pub fn calls_longer_than(&self, at_least: Duration) -> usize {
        self.calls.iter().filter(|&&c| c > at_least).count()
    }
}

/// An IO thread makes `calls` short blocking calls (`call` each) with the
/// GIL released, alone or next to a CPU-bound thread that runs bytecode
/// for as long as the IO thread is busy. With the CPU thread, every call
/// ends by waiting for the GIL: about one switch interval.
pub fn convoy(
    calls: u32,
    call: Duration,
    switch_interval: Duration,
    with_cpu_thread: bool,
) -> Convoy {
    let gil = Gil::new(0_u64, switch_interval);
    let io_done = AtomicBool::new(false);
    let cpu_started = AtomicBool::new(!with_cpu_thread);
    let started = Instant::now();
    let (calls, cpu_units) = thread::scope(|s| {
        let cpu = with_cpu_thread.then(|| {
            s.spawn(|| {
                let mut g = gil.acquire();
                cpu_started.store(true, Ordering::Release);
                let mut units = 0_u64;
                while !io_done.load(Ordering::Relaxed) {
                    black_box(bytecode(units));
                    units += 1;
                    g.check_eval_breaker();
                }
                units
            })
        });
        while !cpu_started.load(Ordering::Acquire) {
            thread::yield_now();
        }
        let mut g = gil.acquire();
        let mut times = Vec::with_capacity(calls as usize);
        for _ in 0..calls {
            let started = Instant::now();
            g.allow_threads(|| thread::sleep(call));
            times.push(started.elapsed());
            *g += 1;
        }
        drop(g);
        io_done.store(true, Ordering::Relaxed);
        let units = cpu.and_then(|h| h.join().ok()).unwrap_or(0);
        (times, units)
    });
    Convoy {
        calls,
        cpu_units,
        elapsed: started.elapsed(),
    }
}

// ---- the demo ---------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    throughput_by_threads(n, cores)?;
    handoff_latency(n);
    io_released(n);
    convoy_effect(n);
    Ok(())
}

fn throughput_by_threads(n: &mut Narrator, cores: usize) -> anyhow::Result<()> {
    let units: u64 = n.mode().pick(40_000, 400_000);
    let samples = n.mode().pick(3, 7);
    let thread_counts = [1, 2, 4];
    let schemes = [
        Scheme::Gil {
            switch_interval: DEFAULT_SWITCH_INTERVAL,
        },
        Scheme::FineGrained,
        Scheme::NoLock,
    ];
    n.section("Throughput by thread count: GIL vs fine-grained locks vs no lock");
    n.say(&format!(
        "This machine has {cores} core(s) (std::thread::available_parallelism). {units} units \
         of CPU work (64 rounds of mixing, then one histogram increment) are split over 1, 2 \
         and 4 threads under each scheme; every run's histogram is checked against the \
         one-thread reference. Median of {samples} runs, spread in brackets."
    ));
    let reference = histogram_sequential(units);
    let mut rows = Vec::new();
    for scheme in schemes {
        let mut cells = Vec::new();
        for &threads in &thread_counts {
            let mut rates = Vec::with_capacity(samples);
            black_box(run_scheme(scheme, threads, units)); // warm-up
            for _ in 0..samples {
                let started = Instant::now();
                let h = run_scheme(scheme, threads, units);
                let secs = started.elapsed().as_secs_f64();
                anyhow::ensure!(
                    h == reference,
                    "{} with {threads} threads lost or invented updates: {} units counted, {units} run",
                    scheme.name(),
                    h.iter().sum::<u64>()
                );
                rates.push(units as f64 / secs.max(1e-9));
            }
            let s = Spread::of(rates);
            n.record(
                &format!("{}, {threads} thread(s)", scheme.name()),
                s.median,
                Unit::OpsPerSec,
            );
            cells.push(s);
        }
        rows.push((scheme, cells));
    }
    n.show(format!(
        "{:<32}{:>15}{:>15}{:>15}",
        "units/s (min–max)", "1 thread", "2 threads", "4 threads"
    ));
    for (scheme, cells) in &rows {
        let mut line = format!("{:<32}", scheme.name());
        for c in cells {
            line.push_str(&format!("{:>15}", format!("{:.1}M", c.median / 1e6)));
        }
        n.show(line);
        let mut range = format!("{:<32}", "");
        for c in cells {
            range.push_str(&format!(
                "{:>15}",
                format!("({:.1}–{:.1})", c.min / 1e6, c.max / 1e6)
            ));
        }
        n.show(range);
    }
    let at = |row: usize, col: usize| rows[row].1[col].median;
    n.compare(
        "GIL: 2 threads (ours) against 1 thread (units/s)",
        at(0, 1),
        at(0, 0),
        "1 thread under the GIL",
        Unit::OpsPerSec,
    );
    n.compare(
        "2 threads: no lock (ours) against the GIL (units/s)",
        at(2, 1),
        at(0, 1),
        "GIL, 2 threads",
        Unit::OpsPerSec,
    );
    n.compare(
        "2 threads: fine-grained locks (ours) against no lock (units/s)",
        at(1, 1),
        at(2, 1),
        "no lock, 2 threads",
        Unit::OpsPerSec,
    );
    n.say(
        "Under the GIL more threads buy nothing: one runs bytecode while the others sleep in \
         the condition variable, and each hand-off adds a wake-up. Without a lock the work \
         scales up to the core count; 4 threads on fewer cores only add switching. \
         Fine-grained locks let the mixing run in parallel but pay for a lock and a shared \
         cache line on every increment.",
    );
    Ok(())
}

fn handoff_latency(n: &mut Narrator) {
    let handoffs: u64 = n.mode().pick(2_000, 5_000);
    n.section("The cost of one hand-off: GIL ping-pong");
    n.say(&format!(
        "Two threads pass the GIL back and forth {handoffs} times (yield_now: release with \
         forced switching, then queue again); the peer is the least a blocking hand-off can \
         cost, two threads taking turns through a bare Mutex and Condvar. Either way every \
         pass wakes a sleeping thread, so the figure is mostly the scheduler's wake-up \
         latency — microseconds on an idle machine, up to milliseconds on a loaded one, \
         whence the spread."
    ));
    let samples = n.mode().pick(3, 5);
    let mut gil_ns = Vec::new();
    let mut wake_ns = Vec::new();
    let mut condvar_ns = Vec::new();
    for _ in 0..samples {
        let run = gil_pingpong(handoffs);
        gil_ns.push(run.per_pass.as_secs_f64() * 1e9);
        wake_ns.extend(run.release_to_run.map(|d| d.as_secs_f64() * 1e9));
        condvar_ns.push(condvar_pingpong(handoffs).as_secs_f64() * 1e9);
    }
    let (g, c, w) = (
        Spread::of(gil_ns),
        Spread::of(condvar_ns),
        Spread::of(wake_ns),
    );
    n.show(format!(
        "GIL hand-off: {:.1} µs ({:.1}–{:.1}); Condvar turn: {:.1} µs ({:.1}–{:.1})",
        g.median / 1e3,
        g.min / 1e3,
        g.max / 1e3,
        c.median / 1e3,
        c.min / 1e3,
        c.max / 1e3
    ));
    n.record(
        "GIL release → waiting thread running, timed by the GIL (ns)",
        w.median,
        Unit::NsPerOp,
    );
    n.compare(
        "one GIL hand-off (ours) against one bare Condvar turn (ns)",
        g.median,
        c.median,
        "Mutex + Condvar ping-pong",
        Unit::NsPerOp,
    );
    n.say(
        "A GIL pass wakes two threads where a bare turn wakes one: the waiter, which runs \
         at once (the GIL's own release-to-run timing above), and then, because of forced \
         switching, the thread that dropped the GIL and slept until the switch, which must \
         wake to queue again. On a quiet machine that makes a pass dearer than a bare turn; \
         under load, scheduling noise dominates both. Either way a hand-off costs microseconds, a bytecode nanoseconds: that is why CPython switches \
         only every 5 ms instead of after every bytecode.",
    );
}

fn io_released(n: &mut Narrator) {
    let threads = 4;
    let calls: u32 = n.mode().pick(5, 20);
    let call = Duration::from_millis(n.mode().pick(2, 5));
    n.section("IO: threads help once the GIL is released around the blocking call");
    n.say(&format!(
        "{threads} threads each make {calls} blocking calls of {} ms (a sleep standing for a \
         read), first inside allow_threads (Py_BEGIN_ALLOW_THREADS), then holding the GIL \
         throughout, as a C extension that forgot to release it would.",
        call.as_millis()
    ));
    let released = blocking_calls(threads, calls, call, true);
    let held = blocking_calls(threads, calls, call, false);
    n.compare(
        &format!("{threads} threads × {calls} calls, GIL released (ours) (ms)"),
        millis(released),
        millis(held),
        "GIL held during the call",
        Unit::Millis,
    );
}

fn convoy_effect(n: &mut Narrator) {
    let calls: u32 = n.mode().pick(10, 40);
    let call = Duration::from_micros(100);
    let intervals: Vec<Duration> = n.mode().pick(
        vec![Duration::from_millis(1), DEFAULT_SWITCH_INTERVAL],
        vec![
            Duration::from_micros(500),
            Duration::from_millis(1),
            DEFAULT_SWITCH_INTERVAL,
            Duration::from_millis(20),
        ],
    );
    n.section("The convoy effect: an IO thread next to a CPU-bound thread");
    n.say(&format!(
        "An IO thread makes {calls} calls of {} µs with the GIL released. Alone, each call \
         costs about its own length. Next to a CPU-bound thread, the CPU thread takes the GIL \
         during the call, and the IO thread must wait a switch interval to get it back — \
         unless the CPU thread has not even woken up by then (on a busy machine it may not \
         have), so some calls escape. Median call, and how many calls waited longer than half \
         an interval.",
        call.as_micros()
    ));
    let alone = convoy(calls, call, DEFAULT_SWITCH_INTERVAL, false);
    n.record(
        "IO call, alone (median ms per call)",
        millis(alone.median_call()),
        Unit::Millis,
    );
    let mut at_default = None;
    for interval in intervals {
        let busy = convoy(calls, call, interval, true);
        let ms = millis(interval);
        n.record(
            &format!("IO call next to a CPU thread, interval {ms} ms (median ms)"),
            millis(busy.median_call()),
            Unit::Millis,
        );
        n.record(
            &format!("  calls that waited > {} ms, of {calls}", ms / 2.0),
            busy.calls_longer_than(interval / 2) as f64,
            Unit::Count,
        );
        n.record(
            &format!("  CPU thread's units/s meanwhile (interval {ms} ms)"),
            busy.cpu_units as f64 / busy.elapsed.as_secs_f64().max(1e-9),
            Unit::OpsPerSec,
        );
        if interval == DEFAULT_SWITCH_INTERVAL {
            at_default = Some(busy.median_call());
        }
    }
    if let Some(busy) = at_default {
        n.compare(
            "median IO call: alone (ours) against next to a CPU-bound thread, 5 ms interval (ms)",
            millis(alone.median_call()),
            millis(busy),
            "with a CPU-bound thread",
            Unit::Millis,
        );
    }
    n.say(
        "A shorter interval shortens the convoy and costs the CPU thread more hand-offs; \
         a longer one the reverse. No interval fixes it: the fix is not to share one lock.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gil_lets_one_thread_run_bytecode_at_a_time() {
        let gil = Gil::new(0_u64, Duration::from_micros(200));
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        thread::scope(|s| {
            for t in 0..4_u64 {
                let (gil, running, most) = (&gil, &running, &most);
                s.spawn(move || {
                    let mut g = gil.acquire();
                    for i in 0..20_000 {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        black_box(bytecode(t * 1_000_000 + i));
                        *g += 1;
                        running.fetch_sub(1, Ordering::SeqCst);
                        g.check_eval_breaker();
                    }
                });
            }
        });
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "two threads ran bytecode at once"
        );
        assert_eq!(gil.into_inner(), 80_000, "no lost update under the GIL");
    }

    #[test]
    fn a_waiter_gets_the_gil_within_the_switch_interval() {
        let interval = Duration::from_millis(5);
        let gil = Gil::new((), interval);
        let stop = AtomicBool::new(false);
        let (holding_tx, holding_rx) = std::sync::mpsc::channel();
        let waited = thread::scope(|s| {
            s.spawn(|| {
                let mut g = gil.acquire();
                let _ = holding_tx.send(());
                // Without the eval breaker this would hold the GIL for 30 s.
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(30) {
                    black_box(bytecode(1));
                    g.check_eval_breaker();
                }
            });
            holding_rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the holder took the GIL");
            let asked = Instant::now();
            let g = gil.acquire();
            let waited = asked.elapsed();
            stop.store(true, Ordering::Relaxed);
            drop(g);
            waited
        });
        // Generous slack: a loaded machine may not schedule anyone for a while.
        assert!(
            waited < interval + Duration::from_secs(3),
            "waited {waited:?} for a GIL with a {interval:?} switch interval"
        );
        let stats = gil.stats();
        assert!(stats.drop_requests >= 1, "the waiter had to ask: {stats:?}");
        assert!(stats.handoffs >= 2, "{stats:?}");
    }

    #[test]
    fn nobody_waiting_means_no_drop_request() {
        let gil = Gil::new(0_u32, Duration::from_micros(50));
        let mut g = gil.acquire();
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(20) {
            *g += 1;
            assert!(!g.check_eval_breaker(), "handed off to nobody");
        }
        g.yield_now(); // no waiter: a no-op, not a deadlock
        drop(g);
        assert_eq!(gil.stats().drop_requests, 0);
    }

    #[test]
    fn allow_threads_lets_another_thread_run_bytecode() {
        let gil = Gil::new(Vec::new(), DEFAULT_SWITCH_INTERVAL);
        let (ran_tx, ran_rx) = std::sync::mpsc::channel();
        thread::scope(|s| {
            let mut g = gil.acquire();
            g.push("main before");
            s.spawn(|| {
                let mut g = gil.acquire();
                g.push("other");
                let _ = ran_tx.send(());
            });
            // If allow_threads kept the GIL, the other thread could never
            // run and this would time out.
            let ran = g.allow_threads(|| ran_rx.recv_timeout(Duration::from_secs(30)));
            assert!(ran.is_ok(), "the other thread never got the GIL");
            g.push("main after");
        });
        assert_eq!(gil.into_inner(), ["main before", "other", "main after"]);
    }

    #[test]
    fn every_scheme_gives_the_reference_histogram() {
        let units = 5_003;
        let reference = histogram_sequential(units);
        assert_eq!(reference.iter().sum::<u64>(), units);
        let schemes = [
            Scheme::Gil {
                switch_interval: Duration::from_micros(100),
            },
            Scheme::FineGrained,
            Scheme::NoLock,
        ];
        for scheme in schemes {
            for threads in [1, 2, 3, 4, 7] {
                assert_eq!(
                    run_scheme(scheme, threads, units),
                    reference,
                    "{} with {threads} threads",
                    scheme.name()
                );
            }
        }
    }

    #[test]
    fn pingpong_really_hands_off() {
        let run = gil_pingpong(200);
        assert!(run.per_pass > Duration::ZERO);
        assert!(
            run.release_to_run.is_some(),
            "some hand-off went to a sleeping waiter"
        );
        assert!(condvar_pingpong(200) > Duration::ZERO);
    }

    #[test]
    fn blocking_calls_complete_with_and_without_release() {
        let call = Duration::from_millis(1);
        // Held: the calls cannot overlap, so the time is at least their sum.
        assert!(blocking_calls(3, 2, call, false) >= call * 6);
        assert!(blocking_calls(3, 2, call, true) >= call * 2);
    }

    #[test]
    fn convoy_runs_both_threads() {
        let c = convoy(
            3,
            Duration::from_micros(50),
            Duration::from_micros(500),
            true,
        );
        assert_eq!(c.calls.len(), 3);
        assert!(c.median_call() >= Duration::from_micros(50));
        let alone = convoy(3, Duration::from_micros(50), DEFAULT_SWITCH_INTERVAL, false);
        assert_eq!(alone.cpu_units, 0);
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("perf/gil-experiments", mastery_kit::Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(n.measurements().len() >= 9);
        assert!(n.comparisons().len() >= 4);
    }
}
