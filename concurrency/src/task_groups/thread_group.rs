//! The thread group: the same rules on `std::thread::scope`, where a
//! thread cannot be aborted and so polls a [`CancelFlag`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mastery_kit::panics::panic_message;

use super::error_group::{ErrorGroup, TaskError, collect};
use super::policy::{Mode, OnPanic};

/// The stop signal of a [`ThreadGroup`]: threads cannot be aborted, so they
/// poll it between steps and return `Err(TaskError::Cancelled)` when set.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Whether the group was cancelled.
    pub fn is_cancelled(&self) -> bool {
        // Relaxed: the flag publishes no other data; a thread that sees it
        // a moment late only does a moment of extra work.
        self.0.load(Ordering::Relaxed)
    }

    /// Cancels the group: every thread sees it at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The threads of one [`scoped`] call.
pub struct ThreadGroup<'scope, 'env, T, E> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    mode: Mode,
    flag: CancelFlag,
    handles: Vec<std::thread::ScopedJoinHandle<'scope, Result<T, TaskError<E>>>>,
}

impl<T, E> fmt::Debug for ThreadGroup<'_, '_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadGroup")
            .field("mode", &self.mode)
            .field("spawned", &self.handles.len())
            .field("cancelled", &self.flag.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl<'scope, T, E> ThreadGroup<'scope, '_, T, E>
where
    T: Send + 'scope,
    E: Send + 'scope,
{
    /// Starts a thread running `work`, which may borrow from outside the
    /// [`scoped`] call; returns its spawn index. `work` gets the group's
    /// [`CancelFlag`] to poll. In fail-fast mode its failure or panic sets
    /// the flag; a thread spawned after the flag is set never runs `work`.
    pub fn spawn<F>(&mut self, work: F) -> usize
    where
        F: FnOnce(&CancelFlag) -> Result<T, TaskError<E>> + Send + 'scope,
    {
        let flag = self.flag.clone();
        let fail_fast = self.mode == Mode::FailFast;
        let handle = self.scope.spawn(move || {
            if flag.is_cancelled() {
                return Err(TaskError::Cancelled);
            }
            let on_panic = OnPanic(|| {
                if fail_fast {
                    flag.cancel();
                }
            });
            let outcome = work(&flag);
            if fail_fast && outcome.as_ref().is_err_and(TaskError::is_failure) {
                flag.cancel();
            }
            drop(on_panic);
            outcome
        });
        self.handles.push(handle);
        self.handles.len() - 1
    }

    /// The group's flag, to cancel it from the spawning code.
    pub fn flag(&self) -> &CancelFlag {
        &self.flag
    }

    /// Joins every thread in spawn order; a panic becomes its message.
    fn join(self) -> Vec<Result<T, TaskError<E>>> {
        self.handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|payload| Err(TaskError::Panicked(panic_message(&*payload))))
            })
            .collect()
    }
}

/// Runs `body`, which spawns threads into a [`ThreadGroup`], waits for every
/// thread (`std::thread::scope` guarantees it), and returns their values in
/// spawn order or every failure. Thread panics are collected, not re-raised;
/// a panic of `body` itself sets the flag, waits for the threads, and
/// propagates.
// ANCHOR: scoped
pub fn scoped<'env, T, E, F>(mode: Mode, body: F) -> Result<Vec<T>, ErrorGroup<E>>
where
    T: Send + 'env,
    E: Send + 'env,
    F: for<'scope> FnOnce(&mut ThreadGroup<'scope, 'env, T, E>),
{
    let outcomes = std::thread::scope(|scope| {
        let mut group = ThreadGroup {
            scope,
            mode,
            flag: CancelFlag::default(),
            handles: Vec::new(),
        };
        let flag = group.flag.clone();
        let on_panic = OnPanic(|| flag.cancel());
        body(&mut group);
        drop(on_panic);
        group.join()
    });
    collect(outcomes)
}
// ANCHOR_END: scoped
