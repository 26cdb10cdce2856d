//! `Arc<dyn .. + Send + Sync>`: a sender with a `Cell` inside cannot be
//! shared between threads, so it cannot be the shared notifier's sender.
use std::cell::Cell;
use std::sync::Arc;

use mastery_patterns::dependency_injection::{
    FixedClock, MemoryStore, Message, SendError, Sender, SharedNotifier, Timestamp,
};

#[derive(Default)]
struct CellSender {
    sent: Cell<usize>,
}

impl Sender for CellSender {
    fn send(&self, _message: &Message<'_>) -> Result<(), SendError> {
        self.sent.set(self.sent.get() + 1);
        Ok(())
    }
}

fn main() {
    let _notifier = SharedNotifier::new(
        Arc::new(FixedClock(Timestamp(0))),
        Arc::new(MemoryStore::default()),
        Arc::new(CellSender::default()),
    );
}
