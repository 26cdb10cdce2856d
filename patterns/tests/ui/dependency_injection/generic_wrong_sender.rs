//! Generic parameters: something that is not a `Sender` where the sender goes.
use mastery_patterns::dependency_injection::{FixedClock, GenericNotifier, MemoryStore, Timestamp};

fn main() {
    let _notifier = GenericNotifier::new(FixedClock(Timestamp(0)), MemoryStore::default(), "smtp://");
}
