//! Ways 2 and 3: the notifier over trait objects. One compiled copy serves
//! every implementation; each call to a dependency goes through its vtable.
//! `&dyn` borrows the dependencies for a scope, `Arc<dyn .. + Send + Sync>`
//! owns a share of them and can move to another thread or task.

use std::fmt;
use std::sync::Arc;

use super::{Clock, NotifyError, Receipt, Sender, Store, UserId, deliver};

/// A clock shared by threads: what application state holds.
pub type SharedClock = Arc<dyn Clock + Send + Sync>;
/// A store shared by threads.
pub type SharedStore = Arc<dyn Store + Send + Sync>;
/// A sender shared by threads.
pub type SharedSender = Arc<dyn Sender + Send + Sync>;

// ANCHOR: borrowed_notifier
/// Way 2: the dependencies borrowed as `&dyn Trait`. No type parameters and
/// no allocation; the borrow checker makes sure every dependency outlives
/// the notifier.
#[derive(Clone, Copy)]
pub struct BorrowedNotifier<'a> {
    clock: &'a dyn Clock,
    store: &'a dyn Store,
    sender: &'a dyn Sender,
}
// ANCHOR_END: borrowed_notifier

impl<'a> BorrowedNotifier<'a> {
    /// Wires the three dependencies; leaving one out does not compile.
    pub fn new(clock: &'a dyn Clock, store: &'a dyn Store, sender: &'a dyn Sender) -> Self {
        BorrowedNotifier {
            clock,
            store,
            sender,
        }
    }

    /// Notifies `user`; see [`deliver`].
    ///
    /// # Errors
    /// As [`deliver`].
    pub fn notify(&self, user: UserId, body: &str) -> Result<Receipt, NotifyError> {
        deliver(self.clock, self.store, self.sender, user, body)
    }
}

impl fmt::Debug for BorrowedNotifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BorrowedNotifier").finish_non_exhaustive()
    }
}

// ANCHOR: shared_notifier
/// Way 3: the dependencies owned through `Arc<dyn Trait + Send + Sync>`.
/// Cloning the notifier clones three pointers; it is `Send + Sync +
/// 'static`, so it can go into a thread, a task or a web framework's state.
#[derive(Clone)]
pub struct SharedNotifier {
    clock: SharedClock,
    store: SharedStore,
    sender: SharedSender,
}
// ANCHOR_END: shared_notifier

impl SharedNotifier {
    /// Wires the three dependencies; leaving one out, or passing one that
    /// is not thread-safe, does not compile.
    pub fn new(clock: SharedClock, store: SharedStore, sender: SharedSender) -> Self {
        SharedNotifier {
            clock,
            store,
            sender,
        }
    }

    /// Notifies `user`; see [`deliver`].
    ///
    /// # Errors
    /// As [`deliver`].
    pub fn notify(&self, user: UserId, body: &str) -> Result<Receipt, NotifyError> {
        deliver(&*self.clock, &*self.store, &*self.sender, user, body)
    }
}

impl fmt::Debug for SharedNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedNotifier").finish_non_exhaustive()
    }
}
