//! Generic parameters: the sender left out of the constructor.
use mastery_patterns::dependency_injection::{FixedClock, GenericNotifier, MemoryStore, Timestamp};

fn main() {
    let _notifier = GenericNotifier::new(FixedClock(Timestamp(0)), MemoryStore::default());
}
