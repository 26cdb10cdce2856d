//! The lock answers: `Mutex<u64>` (Python's `with lock: count += 1`) and
//! `RwLock<u64>`, kept to show that a write-only workload gains nothing
//! from reader-writer bookkeeping.

use std::sync::{Mutex, PoisonError, RwLock};

// ANCHOR: mutex_counter
/// `Mutex<u64>`: the `with lock: count += 1` answer. Correct, simple, and
/// every add takes and releases the lock.
#[derive(Debug, Default)]
pub struct MutexCounter {
    value: Mutex<u64>,
}

impl MutexCounter {
    /// A counter at 0.
    pub const fn new() -> Self {
        MutexCounter {
            value: Mutex::new(0),
        }
    }

    /// Adds `n` under the lock.
    #[inline]
    pub fn add(&self, n: u64) {
        // A poisoned lock is safe to reuse: the only code that runs under it
        // is one wrapping add, which cannot leave the value half-updated.
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        *value = value.wrapping_add(n);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        *self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: mutex_counter

// Outside the anchor: `mastery kata new safe-counters --solution` pastes the
// anchored lines into a crate of their own, where `pub(super)` is no path.
impl MutexCounter {
    pub(super) fn label(&self) -> String {
        "Mutex<u64>".to_owned()
    }
}

/// `RwLock<u64>`: correct, but a counter's adds are all writes, so the
/// reader-writer bookkeeping buys nothing. Kept to measure exactly that.
#[derive(Debug, Default)]
pub struct RwLockCounter {
    value: RwLock<u64>,
}

impl RwLockCounter {
    /// A counter at 0.
    pub const fn new() -> Self {
        RwLockCounter {
            value: RwLock::new(0),
        }
    }

    /// Adds `n` under the write lock.
    #[inline]
    pub fn add(&self, n: u64) {
        // Poison is harmless here for the reason given in `MutexCounter::add`.
        let mut value = self.value.write().unwrap_or_else(PoisonError::into_inner);
        *value = value.wrapping_add(n);
    }

    /// The count, under the read lock.
    pub fn get(&self) -> u64 {
        *self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn label(&self) -> String {
        "RwLock<u64>".to_owned()
    }
}
