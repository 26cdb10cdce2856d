//! # Structured concurrency (Task Groups, PEP 654)
//!
//! ## Python idiom
//! Python 3.11 took Trio's *nursery* and made it `asyncio.TaskGroup`: tasks
//! are started inside an `async with` block, and the block does not end
//! until every one of them has. If one raises, the group cancels the others,
//! waits for them to unwind, and raises the failures at once as an
//! `ExceptionGroup` (PEP 654), which `except*` takes apart by type:
//!
//! ```python
//! try:
//!     async with asyncio.TaskGroup() as tg:
//!         user = tg.create_task(fetch_user(42))
//!         feed = tg.create_task(fetch_feed(42))
//! except* ValueError as eg:      # every ValueError of the group…
//!     report(eg.exceptions)
//! except* OSError:               # …and, separately, every OSError
//!     retry_later()
//! ```
//!
//! The group holds only the exceptions the tasks raised by themselves: the
//! siblings it cancelled end in `CancelledError`, which it leaves out. The
//! promise is *structure*: no task outlives the block that started it, and
//! no failure is lost. `asyncio.gather(..., return_exceptions=True)` is the
//! other policy — let every task finish and look at all the outcomes — and
//! `ThreadPoolExecutor` inside a `with` block is the threaded version,
//! which waits for every thread but cannot stop one that is running.
//!
//! ## Rust answer
//! The core idea fits in one function, [`join_fail_fast_simple`] below:
//! spawn every task into a `JoinSet`, take the values in spawn order, and
//! at the first failure return it — dropping the `JoinSet`, which aborts
//! the siblings.
//!
//! [`TaskGroup<T, E>`](TaskGroup) is the full nursery on tokio's `JoinSet`.
//! [`TaskGroup::spawn`] starts a task returning `Result<T, E>`;
//! [`TaskGroup::join`] waits for all of them and returns their values **in
//! spawn order** (whatever order they finished in), or an [`ErrorGroup`] —
//! the `ExceptionGroup` analogue — holding every task that did not succeed,
//! each as a [`TaskFailure`] with its spawn index and a [`TaskError`]:
//! [`Failed(e)`](TaskError::Failed), [`Panicked(message)`](TaskError::Panicked)
//! or [`Cancelled`](TaskError::Cancelled). [`ErrorGroup::split`] is `except*`:
//! a predicate divides the group into the matching part and the rest.
//!
//! One difference from Python, on purpose: the [`ErrorGroup`] also lists
//! the siblings that were cancelled, as `TaskError::Cancelled`. `join`
//! answers per spawn index, so a caller must be able to tell which slots
//! are empty and why; and a group cancelled from outside, with no failure
//! at all, still has to answer (Python's parent task gets
//! `CancelledError` instead). Python's view is one call away:
//! [`ErrorGroup::errors`] yields the errors and panics — a panic is the
//! analogue of an exception — as `eg.exceptions` would, and
//! [`ErrorGroup::without_cancellations`] returns the group Python would
//! raise.
//!
//! ```
//! use std::time::Duration;
//! use mastery_concurrency::task_groups::{Mode, TaskError, TaskGroup};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut group = TaskGroup::<u32, String>::new(Mode::FailFast);
//! group.spawn(async {
//!     tokio::time::sleep(Duration::from_secs(3600)).await; // slow, and doomed
//!     Ok(1)
//! });
//! group.spawn(async { Err("no such user".to_owned()) }); // fails at once
//!
//! let errors = group.join().await.expect_err("the second task failed");
//! // The failure is reported, and its sibling was cancelled instead of
//! // being waited for (the paused clock never had to advance an hour).
//! assert_eq!(errors.failures()[0].error, TaskError::Cancelled);
//! assert_eq!(errors.failures()[1].error, TaskError::Failed("no such user".to_owned()));
//! // What Python's ExceptionGroup would hold: the failure only.
//! assert_eq!(errors.errors().map(|f| f.index).collect::<Vec<_>>(), [1]);
//! # }
//! ```
//!
//! How it keeps Python's promises:
//! - **First error cancels the siblings** ([`Mode::FailFast`]). A task that
//!   returns an error — or panics — cancels the group's
//!   `CancellationToken` *from inside the task*, so the siblings stop at
//!   once, whether or not anyone is awaiting `join` yet. A task started with
//!   [`TaskGroup::spawn`] is then dropped at its next `.await`: its
//!   destructors run, but it gets no chance to do async cleanup. A task
//!   started with [`TaskGroup::spawn_with_token`] is handed a child token
//!   instead and stops *cooperatively* — it sees the cancellation, finishes
//!   its cleanup (flush, roll back, say goodbye) and returns
//!   `Err(TaskError::Cancelled)`; that is `except CancelledError: cleanup();
//!   raise`. The group waits for cooperative tasks as Python does, or at most
//!   [`TaskGroup::with_cancel_grace`] before aborting them.
//! - **Every failure collected** ([`Mode::CollectAll`]): nothing is
//!   cancelled; `join` reports every failure in one [`ErrorGroup`], and
//!   [`TaskGroup::join_outcomes`] gives every task's own `Result`, the
//!   `gather(return_exceptions=True)` list.
//! - **A panic is an error, not a hang.** Tokio catches a task's panic; the
//!   group turns it into [`TaskError::Panicked`] with the panic message, and
//!   in fail-fast mode the panic cancels the siblings like an error does.
//! - **No task outlives the group.** `join` consumes the group, and dropping
//!   a group that was never joined — an early `return`, a `?`, the caller's
//!   own cancellation — aborts every task in it (the `JoinSet` does it).
//!   Cancellation nests: [`TaskGroup::with_parent`] ties a group to an outer
//!   token, so cancelling the outer work cancels the inner groups too.
//!
//! Threads get the same shape from [`scoped`], built on
//! `std::thread::scope`: the scope already guarantees that every thread is
//! joined before it returns (which is what lets threads borrow local data),
//! and the [`ThreadGroup`] adds the policy — a [`CancelFlag`] raised by the
//! first failure, which the threads poll because a thread cannot be
//! aborted, and panics collected as [`TaskError::Panicked`] instead of
//! re-raised.
//!
//! ```
//! use mastery_concurrency::task_groups::{scoped, Mode, TaskError};
//!
//! let records = vec![3, 1, 4, 1, 5, 9, 2, 6];
//! let sums = scoped(Mode::FailFast, |group| {
//!     for chunk in records.chunks(3) {
//!         // Threads borrow `records`: the scope outlives every one of them.
//!         group.spawn(move |stop| {
//!             if stop.is_cancelled() {
//!                 return Err(TaskError::Cancelled);
//!             }
//!             Ok::<i32, TaskError<String>>(chunk.iter().sum())
//!         });
//!     }
//! });
//! assert_eq!(sums, Ok(vec![8, 15, 8]));
//! ```
//!
//! ## When to use which
//! - **Fail-fast** when the tasks are parts of one answer (the user *and*
//!   the feed of one page, the shards of one query): after the first failure
//!   the rest is wasted work. The demo measures how much it saves.
//! - **Collect-all** when the tasks are independent and every outcome
//!   matters: validating a batch and reporting *every* bad record, a
//!   deployment to many hosts, a test runner.
//! - A plain `JoinSet` when you want results *as they complete*
//!   (`join_next`) or a changing set of tasks — a group answers once, at the
//!   end. `tokio::try_join!` (or `futures::try_join_all`) for a few futures
//!   that need not run in parallel: no spawn, no `'static`, cancellation by
//!   dropping — cheaper, but all on one task.
//! - [`scoped`] for blocking or CPU-bound work that borrows local data; a
//!   data-parallel loop over a collection is rayon's job, with its own
//!   panic propagation and no cancellation.
//!
//! ## What it costs
//! The demo measures:
//! - **Fail-fast against collect-all** on the same work (cooperative
//!   workers doing timed steps, one plain task, one task that fails early):
//!   the time until `join` returns, how soon after the failure the siblings
//!   have all stopped, and how many of the workers' steps fail-fast avoided.
//!   The steps are sleeps on tokio's paused clock (`start_paused`): they
//!   cost no wall time and last exactly as asked, so the join times are
//!   virtual and the same on every machine; how soon the siblings stop is
//!   wall time, the real cost of the cancellation.
//! - **A panic surfacing**: how long `join` takes to answer (wall time)
//!   when one task panics beside hour-long siblings.
//! - **The thread version**: records checked before the flag stopped the
//!   threads, against all of them.
//! - **What the group adds per task**: spawn plus join of trivial tasks,
//!   `TaskGroup` against `tokio::spawn` with a `Vec<JoinHandle>` and
//!   against a bare `JoinSet`; and `scoped` against bare
//!   `std::thread::scope` for a few threads.
//!
//! The price, in words: per task an `Arc` clone of the group's token (not
//! a clone of the token, which would take its lock), a `select!` against
//! it around the future, and the spawn index carried with the result —
//! noise next to a task that does any I/O, visible only on tasks that do
//! almost nothing. A `JoinSet` itself costs more than a `Vec` of handles:
//! it tracks its tasks so that it can abort them when dropped. A group
//! that is already cancelled starts nothing (checked once, in `spawn`).
//!
//! What you give up:
//! - Tasks are `'static` and `Send`, like every spawned tokio task; they
//!   start running in parallel at once (Python's run only when the spawner
//!   awaits). Only the owner of the group spawns into it: Python passes `tg`
//!   to its tasks, here a task that needs children starts a nested group
//!   ([`TaskGroup::with_parent`]).
//! - Cancellation is cooperative at `.await` points: a task that blocks its
//!   thread (a long CPU loop, `std::thread::sleep`) cannot be stopped until
//!   it yields. A cooperative task that ignores its token is waited for
//!   unless a grace period is set — the same hazard as a Python task that
//!   swallows `CancelledError`.
//! - Matching is by pattern on your error type `E` (an enum), where
//!   `except*` matches classes; a panic's payload survives only as its
//!   message.
//!
//! ## Run it
//! `mastery run concurrency/task-groups` (fail-fast: how soon the siblings
//! stop and how much work that avoids, against collect-all on the same
//! work; an error group split like `except*`; a panic surfacing; the
//! `thread::scope` version; spawn+join overhead per task against bare
//! `tokio::spawn`, a bare `JoinSet` and a bare `thread::scope`), and
//! `cargo test -p mastery-concurrency task_groups` (paused-clock tests of
//! every rule above, property tests — one checks that
//! [`join_fail_fast_simple`] agrees with [`TaskGroup`] — and doctests).

use std::collections::HashMap;
use std::future::Future;

use tokio::task::JoinSet;

mod demo;
mod error_group;
mod policy;
mod task_group;
#[cfg(test)]
mod tests;
mod thread_group;

pub use error_group::{ErrorGroup, TaskError, TaskFailure};
pub use policy::Mode;
pub use task_group::TaskGroup;
pub use thread_group::{CancelFlag, ThreadGroup, scoped};

// ANCHOR: core
/// The whole idea in one function: run every task, return the values in
/// spawn order — or, at the first failure, that failure, with every sibling
/// aborted. No task outlives the call, and none runs on after a failure.
///
/// [`TaskGroup`] is this with a collect-all mode, every failure gathered
/// into an [`ErrorGroup`], cooperative cancellation with a token, a grace
/// period for it, and nesting.
///
/// # Panics
/// Outside a Tokio runtime, as `tokio::spawn` does. A task's panic does not
/// propagate: it is returned as [`TaskError::Panicked`].
pub async fn join_fail_fast_simple<T, E, F>(
    tasks: impl IntoIterator<Item = F>,
) -> Result<Vec<T>, TaskFailure<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut running = JoinSet::new();
    // A panicked task comes back as a `JoinError` that knows only the
    // task's id; this map turns it back into the spawn index.
    let mut index_of = HashMap::new();
    let mut values = Vec::new();
    for (index, task) in tasks.into_iter().enumerate() {
        // Tasks finish in any order: each carries its spawn index back.
        let handle = running.spawn(async move { (index, task.await) });
        index_of.insert(handle.id(), index);
        values.push(None);
    }
    while let Some(joined) = running.join_next().await {
        let failure = match joined {
            Ok((index, Ok(value))) => {
                values[index] = Some(value);
                continue;
            }
            Ok((index, Err(error))) => TaskFailure {
                index,
                error: TaskError::Failed(error),
            },
            // Tokio caught the task's panic at the task boundary.
            Err(join_error) => TaskFailure {
                index: *index_of
                    .get(&join_error.id())
                    .expect("every task's id is recorded when it is spawned"),
                error: task_group::join_error(join_error),
            },
        };
        // Returning drops `running`, and dropping a `JoinSet` aborts every
        // task still in it: the siblings stop at their next `.await`.
        return Err(failure);
    }
    // The loop ran until the set was empty: every slot was filled.
    Ok(values.into_iter().flatten().collect())
}
// ANCHOR_END: core
