//! What producers, consumers and the pipeline share: the receiving end of
//! the queue, the two stop signals, the counters and the per-item timeout.

use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use super::report::Counters;

/// What producers, consumers and the pipeline share.
pub(super) struct Shared<T> {
    /// Consumers take turns on the one receiver of the channel.
    queue: Mutex<mpsc::Receiver<T>>,
    /// Cancelled by every shutdown: producers stop, consumers drain.
    pub(super) stop: CancellationToken,
    /// Cancelled by a hard stop: consumers abandon their item and leave.
    /// Its child `stop` is cancelled with it.
    pub(super) hard: CancellationToken,
    pub(super) counters: Counters,
    pub(super) item_timeout: Option<Duration>,
}

impl<T> Shared<T> {
    /// The state of a pipeline whose consumers read `queue`, each item
    /// under `item_timeout` if there is one.
    pub(super) fn new(queue: mpsc::Receiver<T>, item_timeout: Option<Duration>) -> Self {
        let hard = CancellationToken::new();
        Shared {
            queue: Mutex::new(queue),
            stop: hard.child_token(),
            hard,
            counters: Counters::default(),
            item_timeout,
        }
    }

    /// The next queued item, or `None` once the queue is closed and empty.
    ///
    /// Cancellation-safe: the lock and `recv` hold no item while they wait,
    /// so a consumer that gives up here (hard stop) loses nothing.
    pub(super) async fn next_item(&self) -> Option<T> {
        let mut queue = self.queue.lock().await;
        tokio::select! {
            biased;
            () = self.stop.cancelled() => {
                // Graceful: no more sends can succeed, but everything
                // already queued is still handed out, then `None`.
                queue.close();
                queue.recv().await
            }
            item = queue.recv() => item,
        }
    }

    /// Closes the queue and takes out what no consumer took, in queue order.
    ///
    /// [`Pipeline::shutdown`](super::Pipeline::shutdown) calls it once every
    /// pipeline task has ended, but a [`Producer`](super::Producer) the
    /// pipeline does not run may be between reserving a slot and filling
    /// it. Closing refuses new reservations; `recv` then returns `None` only
    /// once the queue is empty *and* every reserved slot was filled or given
    /// up, so an item sent through such a slot is drained and counted here,
    /// not left in a queue nobody reads (`try_recv` would give up at once).
    /// Filling a slot is synchronous in
    /// [`Producer::send`](super::Producer::send), so the wait is short.
    pub(super) async fn drain_queue(&self) -> Vec<T> {
        let mut queue = self.queue.lock().await;
        queue.close();
        let mut left = Vec::new();
        while let Some(item) = queue.recv().await {
            left.push(item);
        }
        left
    }
}
