//! The experiments the demo and the tests share: the GIL and a bare
//! condition variable ping-ponging, blocking calls with the GIL released or
//! held, and the convoy of an IO thread next to a CPU-bound one.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{DEFAULT_SWITCH_INTERVAL, Gil, bytecode};

/// What a GIL ping-pong measured.
#[derive(Debug, Clone, Copy)]
pub struct PingPong {
    /// Wall time divided by the hand-offs.
    pub per_pass: Duration,
    /// The GIL's own timing: mean from a release to the waiting thread
    /// holding the GIL ([`GilStats::mean_handoff`](super::GilStats::mean_handoff)).
    pub release_to_run: Option<Duration>,
}

/// Two threads pass the GIL back and forth with [`GilGuard::yield_now`](super::GilGuard::yield_now)
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
/// standing for a read); with `release`, around [`GilGuard::allow_threads`](super::GilGuard::allow_threads),
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

    /// Several runs read as one: all their calls, their CPU units and their
    /// wall times summed.
    pub fn pooled(runs: &[Convoy]) -> Convoy {
        Convoy {
            calls: runs.iter().flat_map(|r| r.calls.iter().copied()).collect(),
            cpu_units: runs.iter().map(|r| r.cpu_units).sum(),
            elapsed: runs.iter().map(|r| r.elapsed).sum(),
        }
    }

    /// How many calls took longer than `at_least` (those that waited for
    /// the GIL).
    pub fn calls_longer_than(&self, at_least: Duration) -> usize {
        self.calls.iter().filter(|&&c| c > at_least).count()
    }
}

// ANCHOR: convoy
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
// ANCHOR_END: convoy
