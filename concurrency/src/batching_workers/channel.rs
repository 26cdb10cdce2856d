//! The metered channel: a bounded Tokio `mpsc` channel that measures
//! itself — how full it is, how full it has been, and how long each send
//! waited for room. Every queue of a pipeline is one; the report's queue
//! columns and blocked times come from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::report::QueueStats;

/// The largest queue capacity (the limit of Tokio's bounded channel).
pub const MAX_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// A queue capacity a bounded channel cannot have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "queue capacity {requested} is outside 1..={MAX_CAPACITY} (a queue of 0 slots could never accept an item)"
)]
pub struct CapacityError {
    /// What was asked for.
    pub requested: usize,
}

/// How full one queue is, and has been. Shared by both ends of a
/// [`metered_channel`]; the pipeline's sampler reads it on a timer.
///
/// The depth counts an item from the moment its sender holds a reserved
/// slot until a receiver has taken it. It never goes below zero: the
/// channel orders the increment before the decrement of the same item. It
/// can run one over the capacity per receiver for an instant — Tokio frees
/// the slot inside `recv`, and another sender may count its item before the
/// receiver subtracts the one it took — so reads are clamped to the
/// capacity, which the real queue never exceeds.
#[derive(Debug)]
pub struct QueueGauge {
    capacity: usize,
    depth: AtomicUsize,
    peak: AtomicUsize,
    samples: AtomicU64,
    depth_sum: AtomicU64,
    full_samples: AtomicU64,
}

impl QueueGauge {
    fn new(capacity: usize) -> Self {
        QueueGauge {
            capacity,
            depth: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            samples: AtomicU64::new(0),
            depth_sum: AtomicU64::new(0),
            full_samples: AtomicU64::new(0),
        }
    }

    /// The most items the queue can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Items in the queue now.
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed).min(self.capacity)
    }

    /// The most items seen in the queue at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn push(&self) {
        let depth = self.depth.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak
            .fetch_max(depth.min(self.capacity), Ordering::Relaxed);
    }

    fn pop(&self) {
        self.depth.fetch_sub(1, Ordering::Relaxed);
    }

    /// Records the current depth once (the sampler calls this on a timer).
    pub(super) fn sample(&self) {
        let depth = self.depth();
        self.samples.fetch_add(1, Ordering::Relaxed);
        self.depth_sum.fetch_add(depth as u64, Ordering::Relaxed);
        if depth >= self.capacity {
            self.full_samples.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn stats(&self) -> QueueStats {
        let samples = self.samples.load(Ordering::Relaxed);
        let share = |n: u64| (samples > 0).then(|| n as f64 / samples as f64);
        QueueStats {
            capacity: self.capacity,
            peak: self.peak(),
            left: self.depth(),
            samples,
            mean_depth: share(self.depth_sum.load(Ordering::Relaxed)),
            full_share: share(self.full_samples.load(Ordering::Relaxed)),
        }
    }
}

// ANCHOR: metered_channel
/// A bounded channel that measures itself: depth, peak, and how long each
/// send waited for room. The building block of every pipeline queue.
///
/// # Errors
/// [`CapacityError`] unless `1 <= capacity <= MAX_CAPACITY`.
pub fn metered_channel<T>(
    capacity: usize,
) -> Result<(MeteredSender<T>, MeteredReceiver<T>), CapacityError> {
    if capacity == 0 || capacity > MAX_CAPACITY {
        return Err(CapacityError {
            requested: capacity,
        });
    }
    let (tx, rx) = mpsc::channel(capacity);
    let gauge = Arc::new(QueueGauge::new(capacity));
    let sender = MeteredSender {
        tx,
        gauge: Arc::clone(&gauge),
    };
    Ok((sender, MeteredReceiver { rx, gauge }))
}
// ANCHOR_END: metered_channel

/// The sending half of a [`metered_channel`]; cheap to clone.
#[derive(Debug)]
pub struct MeteredSender<T> {
    tx: mpsc::Sender<T>,
    gauge: Arc<QueueGauge>,
}

impl<T> Clone for MeteredSender<T> {
    fn clone(&self) -> Self {
        MeteredSender {
            tx: self.tx.clone(),
            gauge: Arc::clone(&self.gauge),
        }
    }
}

impl<T> MeteredSender<T> {
    /// Queues `item`, waiting while the queue is full. Returns how long it
    /// waited: `None` when a slot was free at once.
    ///
    /// # Errors
    /// `SendError` with the item when the receiver is gone.
    pub async fn send(&self, item: T) -> Result<Option<Duration>, mpsc::error::SendError<T>> {
        let (permit, waited) = match self.tx.try_reserve() {
            Ok(permit) => (permit, None),
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(mpsc::error::SendError(item));
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                let since = Instant::now();
                match self.tx.reserve().await {
                    Ok(permit) => (permit, Some(since.elapsed())),
                    Err(_) => return Err(mpsc::error::SendError(item)),
                }
            }
        };
        // Counted before it is visible to the receiver, so the receiver's
        // decrement of the same item always comes after this increment.
        self.gauge.push();
        permit.send(item);
        Ok(waited)
    }

    /// Completes once the receiver is gone (cancellation-safe).
    pub async fn closed(&self) {
        self.tx.closed().await;
    }

    /// The queue's gauge.
    pub fn gauge(&self) -> &Arc<QueueGauge> {
        &self.gauge
    }
}

/// The receiving half of a [`metered_channel`].
#[derive(Debug)]
pub struct MeteredReceiver<T> {
    rx: mpsc::Receiver<T>,
    gauge: Arc<QueueGauge>,
}

impl<T> MeteredReceiver<T> {
    /// The next item, or `None` once every sender is gone and the queue is
    /// empty. Cancellation-safe: an item is taken only when this returns.
    pub async fn recv(&mut self) -> Option<T> {
        let item = self.rx.recv().await?;
        self.gauge.pop();
        Some(item)
    }

    /// The queue's gauge.
    pub fn gauge(&self) -> &Arc<QueueGauge> {
        &self.gauge
    }
}
