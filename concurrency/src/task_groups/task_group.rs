//! The async group: a nursery of Tokio tasks on a `JoinSet`, with a
//! cancellation token the first failure cancels.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mastery_kit::panics::panic_message;
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error_group::{ErrorGroup, TaskError, collect};
use super::policy::{Mode, OnPanic};

/// A nursery of tokio tasks: spawn, then [`join`](TaskGroup::join) once.
/// See the module docs for the rules.
#[must_use = "dropping a TaskGroup aborts its tasks; call join().await"]
pub struct TaskGroup<T, E> {
    mode: Mode,
    /// Each task returns its spawn index with its outcome.
    tasks: JoinSet<(usize, Result<T, TaskError<E>>)>,
    /// Task id and spawn index of every started task: a panicked or aborted
    /// task comes back as a `JoinError` carrying only its id. (A hash map
    /// is built from it at the first such error, not paid for per spawn.)
    started: Vec<(Id, usize)>,
    spawned: usize,
    /// Shared with every task through an `Arc`. Cloning a
    /// `CancellationToken` takes the token's internal lock; cloning an
    /// `Arc` is one atomic increment. With many short tasks spawned and
    /// finishing on several threads, the `Arc` keeps them from queueing on
    /// that one lock.
    token: Arc<CancellationToken>,
    grace: Option<Duration>,
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("mode", &self.mode)
            .field("spawned", &self.spawned)
            .field("running", &self.tasks.len())
            .field("cancelled", &self.token.is_cancelled())
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl<T, E> TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// An empty group with its own cancellation token.
    pub fn new(mode: Mode) -> Self {
        Self::with_token(mode, CancellationToken::new())
    }

    /// An empty group cancelled whenever `parent` is: a group started by a
    /// task of another group, or by a server that shuts down. Cancelling
    /// the group does not cancel the parent.
    pub fn with_parent(mode: Mode, parent: &CancellationToken) -> Self {
        Self::with_token(mode, parent.child_token())
    }

    fn with_token(mode: Mode, token: CancellationToken) -> Self {
        TaskGroup {
            mode,
            tasks: JoinSet::new(),
            started: Vec::new(),
            spawned: 0,
            token: Arc::new(token),
            grace: None,
        }
    }

    /// After the group is cancelled, waits at most `grace` for cooperative
    /// tasks ([`spawn_with_token`](Self::spawn_with_token)) to finish, then
    /// aborts them (they report [`TaskError::Cancelled`]). Without it the
    /// group waits for them as long as they take, as Python's does.
    pub fn with_cancel_grace(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }

    /// Starts `task`; returns its spawn index (its place in `join`'s
    /// results). Once the group is cancelled the task is dropped at its next
    /// `.await` and reports [`TaskError::Cancelled`]; a task spawned into an
    /// already cancelled group never runs.
    ///
    /// # Panics
    /// Outside a Tokio runtime, as `tokio::spawn` does.
    pub fn spawn<F>(&mut self, task: F) -> usize
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let task = async move { task.await.map_err(TaskError::Failed) };
        self.spawn_wrapped(OnCancel::Drop, task)
    }

    /// Starts a cooperative task: `task` receives a child of the group's
    /// token, watches it (`token.cancelled()` in a `select!`, or
    /// `is_cancelled()` between steps), cleans up, and returns
    /// `Err(TaskError::Cancelled)`. Its own errors convert with `?`. The
    /// group waits for it after cancelling — see
    /// [`with_cancel_grace`](Self::with_cancel_grace).
    ///
    /// # Panics
    /// Outside a Tokio runtime, as `tokio::spawn` does.
    pub fn spawn_with_token<F, Fut>(&mut self, task: F) -> usize
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = Result<T, TaskError<E>>> + Send + 'static,
    {
        // A child, so that a task cancelling its own token stops only itself.
        let future = task(self.token.child_token());
        self.spawn_wrapped(OnCancel::Cooperate, future)
    }

    /// Spawns `task` under the group's rules: dropped on cancellation (or
    /// left to notice it), and in fail-fast mode its error or its panic
    /// cancels the group's token from inside the task.
    fn spawn_wrapped<F>(&mut self, on_cancel: OnCancel, task: F) -> usize
    where
        F: Future<Output = Result<T, TaskError<E>>> + Send + 'static,
    {
        let index = self.spawned;
        self.spawned += 1;
        if self.token.is_cancelled() {
            // A cancelled group starts nothing; `join` reports the slot it
            // leaves empty as cancelled. Checked here, not in the task: the
            // check takes the token's lock, uncontended on this side.
            return index;
        }
        let token = Arc::clone(&self.token);
        let fail_fast = self.mode == Mode::FailFast;
        let handle = self.tasks.spawn(async move {
            // Dropped during the unwinding of a panic in `task`, before
            // tokio catches the panic: the siblings hear about it at once.
            let on_panic = OnPanic(|| {
                if fail_fast {
                    token.cancel();
                }
            });
            let outcome = match on_cancel {
                OnCancel::Cooperate => task.await,
                OnCancel::Drop => tokio::select! {
                    // The task first: one that finishes at its first poll
                    // never registers a waiter with the token, which would
                    // take the token's lock.
                    biased;
                    outcome = task => outcome,
                    () = token.cancelled() => Err(TaskError::Cancelled),
                },
            };
            if fail_fast && outcome.as_ref().is_err_and(TaskError::is_failure) {
                token.cancel();
            }
            drop(on_panic);
            (index, outcome)
        });
        self.started.push((handle.id(), index));
        index
    }

    /// Cancels every task of the group (and of groups nested under it).
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether the group has been cancelled (by a failure in fail-fast mode,
    /// by [`cancel`](Self::cancel), or through its parent).
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The group's token: cancel it to cancel the group from elsewhere, or
    /// hand it to [`with_parent`](Self::with_parent) to nest a group.
    pub fn token(&self) -> CancellationToken {
        CancellationToken::clone(&self.token)
    }

    /// How many tasks were spawned.
    pub fn spawned(&self) -> usize {
        self.spawned
    }

    /// The group's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    // ANCHOR: join
    /// Waits for every task; their values in **spawn order**, or every task
    /// that did not succeed. In fail-fast mode a failure is followed by
    /// [`TaskError::Cancelled`] entries for the siblings it stopped (and by
    /// any sibling that failed on its own meanwhile).
    pub async fn join(self) -> Result<Vec<T>, ErrorGroup<E>> {
        collect(self.join_outcomes().await)
    }
    // ANCHOR_END: join

    /// Waits for every task; each task's own outcome, in spawn order.
    pub async fn join_outcomes(mut self) -> Vec<Result<T, TaskError<E>>> {
        let mut slots: Vec<Option<Result<T, TaskError<E>>>> =
            std::iter::repeat_with(|| None).take(self.spawned).collect();
        let mut index_of: Option<HashMap<Id, usize>> = None;
        // Set once the group is cancelled and a grace period applies.
        let mut abort_at: Option<Instant> = None;
        loop {
            let joined = tokio::select! {
                biased;
                joined = self.tasks.join_next() => joined,
                () = self.token.cancelled(), if abort_at.is_none() && self.grace.is_some() => {
                    abort_at = self.grace.map(|grace| Instant::now() + grace);
                    continue;
                }
                () = tokio::time::sleep_until(abort_at.unwrap_or_else(Instant::now)),
                    if abort_at.is_some() =>
                {
                    // Aborted tasks stop at their next poll: no second deadline.
                    self.tasks.abort_all();
                    self.grace = None;
                    abort_at = None;
                    continue;
                }
            };
            let Some(joined) = joined else {
                break;
            };
            let (index, outcome) = match joined {
                Ok((index, outcome)) => (Some(index), outcome),
                Err(error) => {
                    let index_of =
                        index_of.get_or_insert_with(|| self.started.iter().copied().collect());
                    (index_of.get(&error.id()).copied(), Err(join_error(error)))
                }
            };
            if let Some(slot) = index.and_then(|i| slots.get_mut(i)) {
                *slot = Some(outcome);
            }
        }
        // Every started task was joined above; a slot is empty only for a
        // task spawned into an already cancelled group, never started.
        slots
            .into_iter()
            .map(|slot| slot.unwrap_or(Err(TaskError::Cancelled)))
            .collect()
    }
}

/// What a task does when its group is cancelled.
#[derive(Debug, Clone, Copy)]
enum OnCancel {
    /// Dropped at its next `.await` ([`TaskGroup::spawn`]).
    Drop,
    /// Left running to notice its token ([`TaskGroup::spawn_with_token`]).
    Cooperate,
}

/// A task that did not return: it panicked, or it was aborted.
pub(super) fn join_error<E>(error: JoinError) -> TaskError<E> {
    match error.try_into_panic() {
        Ok(payload) => TaskError::Panicked(panic_message(&*payload)),
        Err(_aborted) => TaskError::Cancelled,
    }
}
