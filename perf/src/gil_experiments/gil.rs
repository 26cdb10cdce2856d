//! The toy GIL, built the way `Python/ceval_gil.c` builds CPython's: a
//! `locked` flag, a switch number and two condition variables under one
//! short-held mutex, plus an atomic drop request — the eval breaker.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

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
    /// out, polled (one atomic load) by the holder at its check points.
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
    // ANCHOR: check_eval_breaker
    /// The eval breaker check: if a waiter has asked for the GIL, hand it
    /// over (waiting for the switch) and queue to get it back. Returns
    /// whether the GIL was handed over. Costs one atomic load when nobody
    /// asked. CPython checks at particular instructions (function entry, a
    /// loop's backward jump, after a call into C); the toy's callers check
    /// after every unit of work, which plays the backward jump of their
    /// loop.
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
    // ANCHOR_END: check_eval_breaker

    /// Hands the GIL to a waiting thread now, as if it had asked (does
    /// nothing when nobody waits), then queues to get it back.
    pub fn yield_now(&mut self) {
        let gil = self.held.gil;
        MutexGuard::unlocked(&mut self.state, || {
            gil.drop_gil(true);
            gil.take();
        });
    }

    // ANCHOR: allow_threads
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
    // ANCHOR_END: allow_threads
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
