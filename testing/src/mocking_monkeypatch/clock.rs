//! Time as a seam, two ways. Sync code reads a [`Clock`] it is given, and a
//! test hands it a [`ManualClock`] that moves only when told. Async code
//! sleeps on tokio's clock, which a test pauses
//! (`#[tokio::test(start_paused = true)]`): when every task is idle, the
//! runtime jumps the clock to the next timer, so a five-minute timeout
//! passes in no real time — and so does anything else that waits,
//! `spawn_blocking` work included (keep it out of such tests).

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Where the code reads the time.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real clock: `Instant::now()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until [`advance`](ManualClock::advance)d.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    offset: Cell<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock at the real "now", standing still.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Cell::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset.set(self.offset.get().saturating_add(by));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        // Past ~292 billion years `Instant + Duration` would overflow; the
        // clock then stops.
        self.start
            .checked_add(self.offset.get())
            .unwrap_or(self.start)
    }
}

/// A lease that lapses `ttl` after it was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    taken: Instant,
    ttl: Duration,
}

impl Lease {
    /// Takes a lease at `clock`'s now.
    pub fn take(clock: &impl Clock, ttl: Duration) -> Self {
        Lease {
            taken: clock.now(),
            ttl,
        }
    }

    /// Whether the lease has lapsed by `clock`'s now (at exactly `ttl` it has).
    pub fn is_expired(&self, clock: &impl Clock) -> bool {
        self.remaining(clock).is_zero()
    }

    /// Time left on the lease.
    pub fn remaining(&self, clock: &impl Clock) -> Duration {
        self.ttl
            .saturating_sub(clock.now().saturating_duration_since(self.taken))
    }
}

/// A service that never came up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not ready after {probes} probes over {waited:?}: check that the service starts, or raise the timeout"
)]
pub struct NotReady {
    /// How many times `probe` was asked.
    pub probes: u32,
    /// How long was waited, on tokio's clock.
    pub waited: Duration,
}

/// Asks `probe` every `every` until it says ready, for at most `timeout`
/// (on tokio's clock); returns how many probes it took.
///
/// # Errors
/// [`NotReady`] when `timeout` passes first.
pub async fn wait_until_ready(
    mut probe: impl FnMut() -> bool,
    every: Duration,
    timeout: Duration,
) -> Result<u32, NotReady> {
    let start = tokio::time::Instant::now();
    let mut probes = 0;
    loop {
        probes += 1;
        if probe() {
            return Ok(probes);
        }
        let waited = start.elapsed();
        if waited + every > timeout {
            return Err(NotReady { probes, waited });
        }
        tokio::time::sleep(every).await;
    }
}
