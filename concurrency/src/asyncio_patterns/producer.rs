//! The producer's side: reserve a slot (waiting is backpressure), count the
//! item, queue it.

use std::fmt;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::report::Counters;
use super::shared::Shared;

/// A [`Producer::send`] refused because the pipeline is shutting down. The
/// item was not queued and is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopping<T>(pub T);

impl<T> fmt::Display for Stopping<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the pipeline is shutting down and accepts no more items; the item was not queued and is handed back",
        )
    }
}

impl<T: fmt::Debug> std::error::Error for Stopping<T> {}

/// Queues items into a [`Pipeline`](super::Pipeline); cheap to clone.
pub struct Producer<T> {
    sender: mpsc::Sender<T>,
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        Producer::new(self.sender.clone(), Arc::clone(&self.shared))
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("stopped", &self.is_stopped())
            .finish_non_exhaustive()
    }
}

impl<T> Producer<T> {
    pub(super) fn new(sender: mpsc::Sender<T>, shared: Arc<Shared<T>>) -> Self {
        Producer { sender, shared }
    }

    // ANCHOR: send
    /// Queues `item`, waiting while the queue is full (backpressure; the
    /// wait is measured).
    ///
    /// Cancellation-safe: the item is handed over only once a slot is
    /// reserved, so dropping this future (in a `select!`, say) never loses
    /// a counted item — the item is simply not queued.
    ///
    /// # Errors
    /// [`Stopping`] with the item, once the pipeline is shutting down.
    pub async fn send(&self, item: T) -> Result<(), Stopping<T>> {
        match self.reserve_slot().await {
            Some(slot) => {
                self.fill_slot(slot, item);
                Ok(())
            }
            None => Err(Stopping(item)),
        }
    }
    // ANCHOR_END: send

    /// A reserved slot in the queue, or `None` once the pipeline is
    /// stopping. Waits while the queue is full and measures the wait.
    pub(super) async fn reserve_slot(&self) -> Option<mpsc::Permit<'_, T>> {
        if self.is_stopped() {
            return None;
        }
        match self.sender.try_reserve() {
            Ok(slot) => Some(slot),
            Err(mpsc::error::TrySendError::Closed(())) => None,
            Err(mpsc::error::TrySendError::Full(())) => {
                let waiting = Instant::now();
                // `biased`: once the stop is on, a slot that frees up at the
                // same moment is not taken.
                let reserved = tokio::select! {
                    biased;
                    () = self.shared.stop.cancelled() => None,
                    slot = self.sender.reserve() => slot.ok(),
                };
                self.shared.counters.add_blocked(waiting.elapsed());
                reserved
            }
        }
    }

    /// Counts `item` as produced, then puts it in the reserved `slot`.
    ///
    /// The order matters. Once the item is in the queue, a consumer on
    /// another thread may take it, finish it and count it at once; counted
    /// the other way round, the books could show an item consumed that was
    /// not yet produced. And there is no `.await` here, so no cancellation
    /// can fall between the count and the send.
    pub(super) fn fill_slot(&self, slot: mpsc::Permit<'_, T>, item: T) {
        let counters = &self.shared.counters;
        Counters::add(&counters.produced, 1);
        slot.send(item);
        counters.note_depth(self.sender.max_capacity() - self.sender.capacity());
    }

    /// Whether the pipeline is shutting down (sends will fail).
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Completes when the pipeline starts shutting down: `select!` on it
    /// while waiting for anything other than [`Producer::send`].
    pub async fn stopped(&self) {
        self.shared.stop.cancelled().await;
    }
}
