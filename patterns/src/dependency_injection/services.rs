//! Implementations of the three dependencies: the production ones (a
//! system clock, two in-memory stores) and the test doubles the tests and
//! the demo inject (a fixed clock, a sender that records, one that sends
//! nowhere).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Clock, Message, SendError, Sender, Store, Timestamp, UserId};

/// The real clock: `SystemTime::now()`, in whole seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // A clock set before 1970 reads as the epoch rather than failing.
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(since_epoch.as_secs())
    }
}

/// A test double: a clock stopped at one instant, so a test can assert the
/// timestamp it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Addresses kept in memory, by user.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    addresses: HashMap<UserId, String>,
}

impl MemoryStore {
    /// Records (or replaces) the address of `user`; returns the old one.
    pub fn insert(&mut self, user: UserId, address: impl Into<String>) -> Option<String> {
        self.addresses.insert(user, address.into())
    }

    /// How many users the store knows.
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// Whether the store knows no user.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

impl<A: Into<String>> FromIterator<(UserId, A)> for MemoryStore {
    fn from_iter<I: IntoIterator<Item = (UserId, A)>>(iter: I) -> Self {
        MemoryStore {
            addresses: iter
                .into_iter()
                .map(|(user, address)| (user, address.into()))
                .collect(),
        }
    }
}

impl Store for MemoryStore {
    fn address_of(&self, user: UserId) -> Option<&str> {
        self.addresses.get(&user).map(String::as_str)
    }
}

/// Addresses in a dense table indexed by user id: a store whose lookup is
/// one bounds check and one load. The demo times the wirings over it, so
/// the store does not drown what the wiring costs.
#[derive(Debug, Clone, Default)]
pub struct IndexedStore {
    addresses: Vec<Option<String>>,
}

impl IndexedStore {
    /// Records (or replaces) the address of `user`; returns the old one.
    /// The table grows to `user.0 + 1` entries: meant for dense ids (use a
    /// [`MemoryStore`] for sparse ones).
    pub fn insert(&mut self, user: UserId, address: impl Into<String>) -> Option<String> {
        let index = user.0 as usize;
        if self.addresses.len() <= index {
            self.addresses.resize(index + 1, None);
        }
        self.addresses[index].replace(address.into())
    }
}

impl<A: Into<String>> FromIterator<(UserId, A)> for IndexedStore {
    fn from_iter<I: IntoIterator<Item = (UserId, A)>>(iter: I) -> Self {
        let mut store = IndexedStore::default();
        for (user, address) in iter {
            store.insert(user, address);
        }
        store
    }
}

impl Store for IndexedStore {
    fn address_of(&self, user: UserId) -> Option<&str> {
        self.addresses.get(user.0 as usize)?.as_deref()
    }
}

/// One message a [`RecordingSender`] kept, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The recipient's address.
    pub to: String,
    /// The body.
    pub body: String,
    /// When it was sent.
    pub at: Timestamp,
}

/// A test double: an in-memory sender that records every message, and can
/// be told to refuse messages to one address. Thread-safe (a `Mutex`, not a
/// `RefCell`) so the same double fits the `Arc<dyn Sender + Send + Sync>`
/// wirings.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<SentMessage>>,
    refuse: Option<String>,
}

impl RecordingSender {
    /// A sender that records everything but refuses messages to `address`.
    pub fn refusing(address: impl Into<String>) -> Self {
        RecordingSender {
            sent: Mutex::default(),
            refuse: Some(address.into()),
        }
    }

    /// A copy of what was sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        // A test that panicked while holding the lock left a complete
        // `Vec` behind: reading it is still sound.
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sender for RecordingSender {
    fn send(&self, message: &Message<'_>) -> Result<(), SendError> {
        if self.refuse.as_deref() == Some(message.to) {
            return Err(SendError {
                to: message.to.to_owned(),
                reason: "this address is set to refuse (RecordingSender::refusing)".into(),
            });
        }
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(SentMessage {
                to: message.to.to_owned(),
                body: message.body.to_owned(),
                at: message.at,
            });
        Ok(())
    }
}

/// A sender that sends nowhere: it refuses an empty body and accepts the
/// rest. The demo times the wirings with it, so the cost measured is the
/// wiring's, not a mailbox's.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSender;

impl Sender for NullSender {
    fn send(&self, message: &Message<'_>) -> Result<(), SendError> {
        if message.body.is_empty() {
            return Err(SendError {
                to: message.to.to_owned(),
                reason: "the body is empty: say something".into(),
            });
        }
        Ok(())
    }
}
