//! `&dyn`: the store is dropped while the notifier still borrows it.
use mastery_patterns::dependency_injection::{
    BorrowedNotifier, FixedClock, MemoryStore, NullSender, Timestamp, UserId,
};

fn main() {
    let clock = FixedClock(Timestamp(0));
    let sender = NullSender;
    let notifier = {
        let store = MemoryStore::default();
        BorrowedNotifier::new(&clock, &store, &sender)
    };
    let _ = notifier.notify(UserId(7), "hi");
}
