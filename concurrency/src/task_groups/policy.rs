//! What a group does when one of its tasks fails, and the guard that
//! applies it when the failure is a panic.

// ANCHOR: mode
/// What a group does when one of its tasks fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The first failure — an error or a panic — cancels every sibling:
    /// `asyncio.TaskGroup`.
    FailFast,
    /// Every task runs to its end and every failure is reported:
    /// `asyncio.gather(..., return_exceptions=True)`, then one group.
    CollectAll,
}
// ANCHOR_END: mode

/// Calls its closure if dropped while the thread unwinds from a panic. Kept
/// as a local of the task (or thread) body, it turns a panic into "cancel
/// the siblings" before the panic is even caught: the runtime (or the
/// thread scope) catches it only after the unwinding has dropped the
/// body's locals.
pub(super) struct OnPanic<F: FnMut()>(pub(super) F);

impl<F: FnMut()> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}
