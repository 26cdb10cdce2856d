//! Probes for the drop-order lessons: a shared [`EventLog`] and a
//! [`Noisy`] value that logs its own drop, plus the `let _ = guard` bug
//! ([`hold_guard_broken`]) next to its fix.

use std::sync::{Arc, Mutex, PoisonError};

/// A shared, thread-safe list of events: how the tests and the demo see
/// what ran, and in which order.
#[derive(Debug, Clone, Default)]
pub struct EventLog(Arc<Mutex<Vec<String>>>);

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.lock().push(event.into());
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Whether some event equals `event`.
    pub fn contains(&self, event: &str) -> bool {
        self.lock().iter().any(|e| e == event)
    }

    /// Forgets every event.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A panic while pushing cannot leave a half-written Vec behind, so a
        // poisoned log is still a good log (and the tests panic on purpose).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A value that logs `drop <name>` when dropped: the probe of the
/// drop-order lessons.
#[derive(Debug)]
pub struct Noisy {
    name: String,
    log: EventLog,
}

impl Noisy {
    /// A probe named `name` logging to `log`.
    pub fn new(name: impl Into<String>, log: &EventLog) -> Self {
        Noisy {
            name: name.into(),
            log: log.clone(),
        }
    }

    /// The probe's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

/// **Broken on purpose.** `let _ = …` is not a binding: the guard is a
/// temporary and drops at the end of the statement, *before* the work it
/// was meant to cover (with a `MutexGuard` this runs the work unlocked).
/// The test `let_underscore_drops_at_once` catches it; the fix is
/// [`hold_guard`].
pub fn hold_guard_broken(log: &EventLog) {
    let _ = Noisy::new("guard", log);
    log.push("work");
}

/// The fix: a named binding (even `_guard`) lives to the end of the scope.
pub fn hold_guard(log: &EventLog) {
    let _guard = Noisy::new("guard", log);
    log.push("work");
}
