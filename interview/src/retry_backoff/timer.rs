//! Clocks and sleepers: the loop reads time and sleeps only through these
//! traits, so a test can hand it a [`ManualClock`] and never wait.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The clock and sleeper of a blocking retry loop ([`Retry::call`](super::Retry::call)).
pub trait BlockingTimer {
    /// The current time (read only when the policy has a max elapsed time).
    fn now(&self) -> Instant;
    /// Blocks for `delay`.
    fn sleep(&mut self, delay: Duration);
}

/// The clock and sleeper of an async retry loop ([`Retry::call_async`](super::Retry::call_async)).
pub trait AsyncTimer {
    /// The current time (read only when the policy has a max elapsed time).
    fn now(&self) -> Instant;
    /// A future that completes after `delay`.
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send;
}

/// Real time: `std::thread::sleep` and `Instant::now` for
/// [`Retry::call`](super::Retry::call); `tokio::time::sleep` and tokio's
/// clock for [`Retry::call_async`](super::Retry::call_async) (so
/// `tokio::time::pause` makes async tests deterministic). The default timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealTime;

impl BlockingTimer for RealTime {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

impl AsyncTimer for RealTime {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }
}

impl<T: BlockingTimer + ?Sized> BlockingTimer for &mut T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&mut self, delay: Duration) {
        (**self).sleep(delay);
    }
}

impl<T: AsyncTimer + ?Sized> AsyncTimer for &mut T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(delay)
    }
}

/// A clock that moves only when told: sleeping on it advances it at once, and
/// an operation under test can [`advance`](ManualClock::advance) it to act
/// slow. Clones share the same time. Works as both timers.
///
/// ```
/// use std::time::Duration;
/// use mastery_interview::retry_backoff::{BlockingTimer, ManualClock};
/// let mut clock = ManualClock::new();
/// let t0 = BlockingTimer::now(&clock);
/// BlockingTimer::sleep(&mut clock, Duration::from_secs(3600)); // returns at once
/// assert_eq!(BlockingTimer::now(&clock) - t0, Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock at "now", which then stands still.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Time passed on this clock since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    fn instant(&self) -> Instant {
        let elapsed = self.elapsed();
        // `Instant + Duration` panics on overflow; past ~292 billion years
        // the clock simply stops.
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

impl BlockingTimer for ManualClock {
    fn now(&self) -> Instant {
        self.instant()
    }
    fn sleep(&mut self, delay: Duration) {
        self.advance(delay);
    }
}

impl AsyncTimer for ManualClock {
    fn now(&self) -> Instant {
        self.instant()
    }
    fn sleep(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        self.advance(delay);
        std::future::ready(())
    }
}
