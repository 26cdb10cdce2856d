//! The contract every backend meets ([`Counter`], [`CounterHandle`]) and
//! the harness that drives them all the same way ([`hammer`]): N threads,
//! released together, each adding 1 a given number of times; then the
//! count is checked against the adds made.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{
    AtomicCounter, CounterError, MutexCounter, RacyCounter, RwLockCounter, ShardedCounter,
};

/// Thread counts of the throughput tables (the demo's and the bench's).
pub const THREAD_COUNTS: [usize; 3] = [1, 2, 4];

// ANCHOR: counter_trait
/// A counter many threads add to. Each thread first takes a
/// [`Handle`](Counter::Handle) — the counter itself for the in-memory
/// backends, a local batch for [`BatchedCounter`](super::BatchedCounter),
/// its own connection for [`RedisCounter`](super::RedisCounter) — so one harness ([`hammer`]) drives every backend.
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
    /// Adds `n`. The in-memory counters wrap at 2⁶⁴, as atomics do;
    /// [`RedisCounter`](super::RedisCounter) does not wrap: Redis keeps a
    /// signed 64-bit integer, and an add that would pass `i64::MAX` is an
    /// error.
    ///
    /// # Errors
    /// Only for Redis: the command failed, or the add would pass `i64::MAX`.
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
pub(super) fn overlap(spans: &[(Instant, Instant)]) -> f64 {
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
