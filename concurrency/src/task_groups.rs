//! # Structured concurrency (Task Groups, PEP 654)
//!
//! ## Python idiom
//! Python 3.11 took Trio's *nursery* and made it `asyncio.TaskGroup`: tasks
//! are started inside an `async with` block, and the block does not end
//! until every one of them has. If one raises, the group cancels the others,
//! waits for them to unwind, and raises every failure at once as an
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
//! The promise is *structure*: no task outlives the block that started it,
//! and no failure is lost. `asyncio.gather(..., return_exceptions=True)` is
//! the other policy — let every task finish and look at all the outcomes —
//! and `ThreadPoolExecutor` inside a `with` block is the threaded version,
//! which waits for every thread but cannot stop one.
//!
//! ## Rust answer
//! [`TaskGroup<T, E>`](TaskGroup) is a small nursery on tokio's `JoinSet`.
//! [`TaskGroup::spawn`] starts a task returning `Result<T, E>`;
//! [`TaskGroup::join`] waits for all of them and returns their values **in
//! spawn order** (whatever order they finished in), or an [`ErrorGroup`] —
//! the `ExceptionGroup` analogue — holding every task that did not succeed,
//! each as a [`TaskFailure`] with its spawn index and a [`TaskError`]:
//! [`Failed(e)`](TaskError::Failed), [`Panicked(message)`](TaskError::Panicked)
//! or [`Cancelled`](TaskError::Cancelled). [`ErrorGroup::split`] is `except*`:
//! a predicate divides the group into the matching part and the rest.
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
//! What it costs and what it cannot do:
//! - Per task: an `Arc` clone of the group's token, a `select!` against it
//!   around the future, and the spawn index carried with the result. The
//!   demo measures spawn plus join of trivial tasks against a bare
//!   `JoinSet` and against `tokio::spawn` + `Vec<JoinHandle>`: the group
//!   costs under a microsecond more per task, which matters only for
//!   tasks that do almost nothing. (A first version cloned the
//!   `CancellationToken` itself per task and checked `is_cancelled()` in
//!   it; both take the token's mutex, which the worker threads then fought
//!   over, several times today's overhead. The check now happens once, in
//!   `spawn`: a group already cancelled starts nothing.)
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
//! `tokio::spawn`), and `cargo test -p mastery-concurrency task_groups`
//! (paused-clock tests of every rule above, property tests, doctests).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use mastery_kit::narrator::millis;
use mastery_kit::panics::panic_message;
use mastery_kit::{Area, Narrator, Topic, Unit};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/task-groups",
        area: Area::Concurrency,
        rank: 2,
        title: "Structured concurrency (Task Groups, PEP 654)",
        python: "async with asyncio.TaskGroup() as tg: tg.create_task(...); except* ValueError (ExceptionGroup)",
        rust: "TaskGroup on JoinSet: first error cancels siblings or collect-all into an ErrorGroup; panics surface as errors; std::thread::scope for threads",
        path: "concurrency/src/task_groups.rs",
        source: include_str!("task_groups.rs"),
        run: demo,
    }
}

// ---- errors ---------------------------------------------------------------

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

/// Why one task of a group produced no value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskError<E> {
    /// The task returned this error.
    Failed(E),
    /// The task panicked; the panic message (or a note that the payload was
    /// not a string).
    Panicked(String),
    /// The task was stopped before it finished: a sibling failed in
    /// fail-fast mode, the group (or its parent token) was cancelled, or the
    /// grace period ran out. Not a failure of the task itself.
    Cancelled,
}

impl<E> TaskError<E> {
    /// Whether the task itself went wrong (an error or a panic), as opposed
    /// to being cancelled. Only failures trigger fail-fast cancellation.
    pub fn is_failure(&self) -> bool {
        !self.is_cancelled()
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// The task's own error, if it returned one.
    pub fn failed(&self) -> Option<&E> {
        match self {
            TaskError::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// Lets a cooperative task use `?` on its own errors.
impl<E> From<E> for TaskError<E> {
    fn from(error: E) -> Self {
        TaskError::Failed(error)
    }
}

impl<E: fmt::Display> fmt::Display for TaskError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Failed(e) => write!(f, "failed: {e}"),
            TaskError::Panicked(message) => write!(f, "panicked: {message}"),
            TaskError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskError<E> {}

/// One task of a group that did not succeed: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskFailure<E> {
    /// The task's position in spawn order (the value `spawn` returned).
    pub index: usize,
    /// What happened to it.
    pub error: TaskError<E>,
}

impl<E: fmt::Display> fmt::Display for TaskFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} {}", self.index, self.error)
    }
}

/// Every task of a group that did not succeed — the `ExceptionGroup`
/// analogue. Never empty; failures are in spawn order.
///
/// It is a `std::error::Error` whenever `E` is `Debug + Display` (so also
/// for `String` and `anyhow::Error`), and its `Display` lists every failure
/// on a line of its own. `source()` is `None`: a chain has one cause, a
/// group has many; walk [`ErrorGroup::failures`] instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorGroup<E> {
    failures: Vec<TaskFailure<E>>,
}

impl<E> ErrorGroup<E> {
    /// A group of `failures`, or `None` when there are none (a group is never
    /// empty, like Python's). They are sorted into spawn order.
    pub fn new(mut failures: Vec<TaskFailure<E>>) -> Option<Self> {
        if failures.is_empty() {
            return None;
        }
        failures.sort_by_key(|f| f.index);
        Some(ErrorGroup { failures })
    }

    /// Every failure, in spawn order.
    pub fn failures(&self) -> &[TaskFailure<E>] {
        &self.failures
    }

    /// The errors the tasks returned (`eg.exceptions`, without the panics
    /// and cancellations).
    pub fn errors(&self) -> impl Iterator<Item = &E> {
        self.failures.iter().filter_map(|f| f.error.failed())
    }

    /// How many tasks were cancelled rather than failed.
    pub fn cancelled_count(&self) -> usize {
        self.failures
            .iter()
            .filter(|f| f.error.is_cancelled())
            .count()
    }

    /// Whether nothing failed: every entry is a cancellation (the group was
    /// cancelled from outside).
    pub fn all_cancelled(&self) -> bool {
        self.cancelled_count() == self.failures.len()
    }

    /// `except*`: splits the group into the failures matching `predicate`
    /// and the rest, keeping spawn order; either side is `None` when empty
    /// (Python's `eg.split(ValueError)` returns `(match, rest)` the same way).
    ///
    /// ```
    /// use mastery_concurrency::task_groups::{ErrorGroup, TaskError, TaskFailure};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Problem { Value(i32), Io(&'static str) }
    ///
    /// let group = ErrorGroup::new(vec![
    ///     TaskFailure { index: 0, error: TaskError::Failed(Problem::Value(-1)) },
    ///     TaskFailure { index: 1, error: TaskError::Failed(Problem::Io("disk full")) },
    ///     TaskFailure { index: 2, error: TaskError::Panicked("boom".into()) },
    /// ]).expect("three failures");
    /// // except* Value: handle the value errors; the rest propagates.
    /// let (values, rest) = group.split(|e| matches!(e, TaskError::Failed(Problem::Value(_))));
    /// assert_eq!(values.map(|g| g.failures().len()), Some(1));
    /// assert_eq!(rest.map(|g| g.failures().len()), Some(2));
    /// ```
    pub fn split(
        self,
        mut predicate: impl FnMut(&TaskError<E>) -> bool,
    ) -> (Option<Self>, Option<Self>) {
        let (matching, rest): (Vec<_>, Vec<_>) =
            self.failures.into_iter().partition(|f| predicate(&f.error));
        (Self::new(matching), Self::new(rest))
    }

    /// Gives up the failures, in spawn order.
    pub fn into_failures(self) -> Vec<TaskFailure<E>> {
        self.failures
    }
}

impl<E> IntoIterator for ErrorGroup<E> {
    type Item = TaskFailure<E>;
    type IntoIter = std::vec::IntoIter<TaskFailure<E>>;

    fn into_iter(self) -> Self::IntoIter {
        self.failures.into_iter()
    }
}

impl<'a, E> IntoIterator for &'a ErrorGroup<E> {
    type Item = &'a TaskFailure<E>;
    type IntoIter = std::slice::Iter<'a, TaskFailure<E>>;

    fn into_iter(self) -> Self::IntoIter {
        self.failures.iter()
    }
}

impl<E: fmt::Display> fmt::Display for ErrorGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |want: fn(&TaskError<E>) -> bool| {
            self.failures.iter().filter(|x| want(&x.error)).count()
        };
        let kinds = [
            (count(|e| matches!(e, TaskError::Failed(_))), "failed"),
            (count(|e| matches!(e, TaskError::Panicked(_))), "panicked"),
            (count(TaskError::is_cancelled), "cancelled"),
        ];
        let summary: Vec<String> = kinds
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, kind)| format!("{n} {kind}"))
            .collect();
        let tasks = if self.failures.len() == 1 {
            "task"
        } else {
            "tasks"
        };
        write!(
            f,
            "{} {tasks} of the group did not succeed ({})",
            self.failures.len(),
            summary.join(", ")
        )?;
        for failure in &self.failures {
            write!(f, "\n  - {failure}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ErrorGroup<E> {}

/// Values in spawn order if every outcome is `Ok`, else every failure.
fn collect<T, E>(outcomes: Vec<Result<T, TaskError<E>>>) -> Result<Vec<T>, ErrorGroup<E>> {
    let mut values = Vec::with_capacity(outcomes.len());
    let mut failures = Vec::new();
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(value) => values.push(value),
            Err(error) => failures.push(TaskFailure { index, error }),
        }
    }
    match ErrorGroup::new(failures) {
        None => Ok(values),
        Some(group) => Err(group),
    }
}

/// Calls its closure if dropped while the thread unwinds from a panic. Kept
/// as a local of the task (or thread) body, it turns a panic into "cancel
/// the siblings" before the panic is even caught.
struct OnPanic<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}

// ---- the async group --------------------------------------------------------

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
    /// Shared with every task through an `Arc`: cloning a
    /// `CancellationToken` takes its lock, cloning an `Arc` does not — with
    /// many short tasks on several threads, that lock was most of the
    /// group's overhead.
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
                    // never registers a waiter with the token, which takes
                    // the token's lock (the overhead measured in the demo).
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

    /// Waits for every task; their values in **spawn order**, or every task
    /// that did not succeed. In fail-fast mode a failure is followed by
    /// [`TaskError::Cancelled`] entries for the siblings it stopped (and by
    /// any sibling that failed on its own meanwhile).
    pub async fn join(self) -> Result<Vec<T>, ErrorGroup<E>> {
        collect(self.join_outcomes().await)
    }

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
fn join_error<E>(error: JoinError) -> TaskError<E> {
    match error.try_into_panic() {
        Ok(payload) => TaskError::Panicked(panic_message(&*payload)),
        Err(_aborted) => TaskError::Cancelled,
    }
}

// ---- the thread group -------------------------------------------------------

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

// ---- the demo -------------------------------------------------------------

/// Every deliberate panic of the demo starts with this.
const DEMO_PANIC: &str = "demo panic:";

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    runtime.block_on(fail_fast_vs_collect_all(n))?;
    runtime.block_on(error_group_and_except_star(n))?;
    runtime.block_on(panic_surfaces(n))?;
    threads_with_scope(n)?;
    spawn_overhead(n, &runtime)
}

/// The work of the first section: cooperative workers doing timed steps,
/// one plain task that would sleep as long, and one task that fails early.
struct StepWork {
    workers: usize,
    steps: u64,
    step: Duration,
    fail_after: Duration,
}

/// What one run of [`StepWork`] did.
struct StepRun {
    elapsed: Duration,
    /// From the moment the failing task returned its error to `join`'s return.
    after_failure: Duration,
    steps_done: u64,
    cleanups: u64,
    errors: ErrorGroup<String>,
}

impl StepWork {
    async fn run(&self, mode: Mode) -> anyhow::Result<StepRun> {
        let steps_done = Arc::new(AtomicU64::new(0));
        let cleanups = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut group = TaskGroup::<u64, String>::new(mode);
        for _ in 0..self.workers {
            let (done, cleaned) = (Arc::clone(&steps_done), Arc::clone(&cleanups));
            let (steps, step) = (self.steps, self.step);
            group.spawn_with_token(move |token| async move {
                for _ in 0..steps {
                    tokio::select! {
                        () = token.cancelled() => {
                            // Async cleanup, which an abort would not allow.
                            tokio::task::yield_now().await;
                            cleaned.fetch_add(1, Ordering::Relaxed);
                            return Err(TaskError::Cancelled);
                        }
                        () = tokio::time::sleep(step) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                Ok(steps)
            });
        }
        let whole = self.step * u32::try_from(self.steps)?;
        group.spawn(async move {
            tokio::time::sleep(whole).await; // not cooperative: aborted
            Ok(0)
        });
        let fail_after = self.fail_after;
        let failed_at = Arc::new(std::sync::OnceLock::new());
        let failed = Arc::clone(&failed_at);
        group.spawn(async move {
            tokio::time::sleep(fail_after).await;
            let _ = failed.set(Instant::now());
            Err("upstream returned 503".to_owned())
        });
        let errors = match group.join().await {
            Ok(_) => anyhow::bail!("the failing task must make the group fail"),
            Err(errors) => errors,
        };
        let ended = Instant::now();
        let failed_at = failed_at.get().copied().unwrap_or(ended);
        Ok(StepRun {
            elapsed: ended - started,
            after_failure: ended - failed_at,
            steps_done: steps_done.load(Ordering::Relaxed),
            cleanups: cleanups.load(Ordering::Relaxed),
            errors,
        })
    }
}

async fn fail_fast_vs_collect_all(n: &mut Narrator) -> anyhow::Result<()> {
    let work = StepWork {
        workers: 4,
        steps: n.mode().pick(10, 20),
        step: Duration::from_millis(n.mode().pick(5, 20)),
        fail_after: Duration::from_millis(n.mode().pick(12, 50)),
    };
    let total_steps = work.steps * work.workers as u64;
    n.section("Fail-fast: one task fails early, its siblings stop");
    n.say(&format!(
        "{} cooperative workers each do {} steps of {} ms (they watch a child token), one plain \
         task sleeps as long, and one task fails after {} ms. The same group runs fail-fast \
         (asyncio.TaskGroup) and collect-all (gather with return_exceptions).",
        work.workers,
        work.steps,
        work.step.as_millis(),
        work.fail_after.as_millis()
    ));
    let fast = work.run(Mode::FailFast).await?;
    let all = work.run(Mode::CollectAll).await?;
    n.show_block(&format!("fail-fast join → Err: {}", fast.errors));
    n.show_block(&format!("collect-all join → Err: {}", all.errors));
    n.compare(
        "time until join returns, fail-fast (ours) (ms)",
        millis(fast.elapsed),
        millis(all.elapsed),
        "collect-all (siblings run to the end)",
        Unit::Millis,
    );
    n.record(
        "siblings all stopped, after the failure (ms)",
        millis(fast.after_failure),
        Unit::Millis,
    );
    n.record(
        &format!("steps done by the workers, fail-fast (of {total_steps})"),
        fast.steps_done as f64,
        Unit::Count,
    );
    n.record(
        &format!("steps done by the workers, collect-all (of {total_steps})"),
        all.steps_done as f64,
        Unit::Count,
    );
    let avoided = 100.0 * (1.0 - fast.steps_done as f64 / total_steps as f64);
    n.record("work avoided by fail-fast", avoided, Unit::Percent);
    n.record(
        "workers that ran their cleanup after cancellation",
        fast.cleanups as f64,
        Unit::Count,
    );
    anyhow::ensure!(
        fast.cleanups == work.workers as u64 && all.cleanups == 0,
        "every worker cleans up under fail-fast, none under collect-all"
    );
    anyhow::ensure!(
        all.steps_done == total_steps && fast.steps_done < total_steps,
        "collect-all does all the work, fail-fast less"
    );
    anyhow::ensure!(
        fast.errors.cancelled_count() == work.workers + 1 && all.errors.cancelled_count() == 0,
        "fail-fast cancels the {} siblings; collect-all cancels none",
        work.workers + 1
    );
    n.say(
        "The failing task cancels the group's token itself, so the siblings stop within one \
         scheduler hop of the failure; the cooperative workers still ran their cleanup, and the \
         plain task was dropped at its .await. Collect-all waited for all of them.",
    );
    Ok(())
}

/// The error type of the second section: what `except*` matches on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum InputError {
    /// Not digits at all.
    #[error("{0:?} is not a number")]
    NotANumber(String),
    /// Digits, but too many.
    #[error("{0:?} does not fit in a u32")]
    OutOfRange(String),
    /// Nothing there.
    #[error("empty field")]
    Empty,
}

fn parse_field(field: &str) -> Result<u32, InputError> {
    if field.is_empty() {
        return Err(InputError::Empty);
    }
    if !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InputError::NotANumber(field.to_owned()));
    }
    field
        .parse()
        .map_err(|_| InputError::OutOfRange(field.to_owned()))
}

async fn error_group_and_except_star(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Collect-all: every failure in one ErrorGroup, split like except*");
    let fields = ["12", "x7", "40", "", "99999999999", "8", "checksum", "n/a"];
    let mut group = TaskGroup::<u32, InputError>::new(Mode::CollectAll);
    for field in fields {
        group.spawn(async move {
            tokio::task::yield_now().await;
            if field == "checksum" {
                panic!("{DEMO_PANIC} checksum table missing");
            }
            parse_field(field)
        });
    }
    let outcomes = group.join_outcomes().await;
    let parsed = outcomes.iter().filter(|o| o.is_ok()).count();
    for (field, outcome) in fields.iter().zip(&outcomes) {
        match outcome {
            Ok(v) => n.show(format!("{:>13} → Ok({v})", format!("{field:?}"))),
            Err(e) => n.show(format!("{:>13} → Err({e})", format!("{field:?}"))),
        }
    }
    let Err(errors) = collect(outcomes) else {
        anyhow::bail!("the bad fields must make the group fail");
    };
    n.say("join() turns those outcomes into one error, the ExceptionGroup analogue:");
    n.show_block(&errors);
    let failures = errors.failures().len();
    let (not_numbers, rest) =
        errors.split(|e| matches!(e, TaskError::Failed(InputError::NotANumber(_))));
    n.say("except* NotANumber → handled here; the rest propagates:");
    for failure in not_numbers.iter().flatten() {
        n.show(format!("handled:    {failure}"));
    }
    for failure in rest.iter().flatten() {
        n.show(format!("propagated: {failure}"));
    }
    n.record("fields parsed", parsed as f64, Unit::Count);
    n.record(
        "failures in the group (none lost)",
        failures as f64,
        Unit::Count,
    );
    anyhow::ensure!(
        parsed == 3 && failures == 5,
        "3 fields parse, 5 fail (one by panicking); got {parsed} and {failures}"
    );
    Ok(())
}

async fn panic_surfaces(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A panicking task is an error, not a hang");
    let siblings = 3;
    let started = Instant::now();
    let mut group = TaskGroup::<(), String>::new(Mode::FailFast);
    for _ in 0..siblings {
        group.spawn(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
    }
    group.spawn(async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        panic!("{DEMO_PANIC} index out of bounds in the parser")
    });
    // A hang guard only: the group answers within milliseconds.
    let joined = tokio::time::timeout(Duration::from_secs(10), group.join()).await;
    let Ok(Err(errors)) = joined else {
        anyhow::bail!("a panic must end the group with an error: {joined:?}");
    };
    let elapsed = started.elapsed();
    n.show_block(&errors);
    n.record(
        "join returned after the panic (ms)",
        millis(elapsed),
        Unit::Millis,
    );
    anyhow::ensure!(
        errors.cancelled_count() == siblings,
        "the hour-long siblings are cancelled"
    );
    n.say(
        "Tokio catches the panic at the task boundary; the group reports its message as \
         TaskError::Panicked and, in fail-fast mode, cancels the hour-long siblings. A bare \
         JoinHandle would give a JoinError — but only to whoever awaits that one handle.",
    );
    Ok(())
}

/// A little CPU work per record, so that stopping early is worth something.
fn checksum(record: u64) -> u64 {
    (0..64).fold(record, |h, i| {
        h.rotate_left(5).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i
    })
}

fn threads_with_scope(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("The thread version: std::thread::scope + a cancel flag");
    let records: Vec<u64> = (0..n.mode().pick(200_000, 2_000_000)).collect();
    let threads = 4;
    let corrupt = records.len() / threads / 10; // early in the first chunk
    let checked = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let outcome = scoped(Mode::FailFast, |group| {
        for (c, chunk) in records.chunks(records.len().div_ceil(threads)).enumerate() {
            let checked = &checked; // threads borrow locals: the scope joins them
            group.spawn(move |stop| {
                let mut sum = 0u64;
                for (i, &record) in chunk.iter().enumerate() {
                    if i % 1024 == 0 && stop.is_cancelled() {
                        return Err(TaskError::Cancelled);
                    }
                    if c == 0 && i == corrupt {
                        return Err(TaskError::Failed(format!("record {record} is corrupt")));
                    }
                    sum = sum.wrapping_add(checksum(record));
                    checked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(sum)
            });
        }
    });
    let elapsed = started.elapsed();
    let Err(errors) = outcome else {
        anyhow::bail!("the corrupt record must fail the scope");
    };
    n.show_block(&errors);
    let checked = checked.load(Ordering::Relaxed);
    n.record(
        &format!("records checked before stopping (of {})", records.len()),
        checked as f64,
        Unit::Count,
    );
    n.record(
        "work avoided by the flag",
        100.0 * (1.0 - checked as f64 / records.len() as f64),
        Unit::Percent,
    );
    n.record("scope returned after (ms)", millis(elapsed), Unit::Millis);

    let panicked = scoped(Mode::CollectAll, |group| {
        group.spawn(|_| Ok::<_, TaskError<String>>(1));
        group.spawn(|_| panic!("{DEMO_PANIC} a worker thread fell over"));
        group.spawn(|_| Ok(3));
    });
    let Err(errors) = panicked else {
        anyhow::bail!("the panicking thread must fail the scope");
    };
    n.show_block(&format!("collect-all with a panicking thread → {}", errors));
    anyhow::ensure!(
        matches!(
            errors.failures(),
            [TaskFailure {
                index: 1,
                error: TaskError::Panicked(_)
            }]
        ),
        "the panic is collected as task 1's error: {errors:?}"
    );
    n.say(
        "Threads cannot be aborted, so they poll the flag every 1024 records; the scope still \
         guarantees that none outlives the call, which is what lets them borrow `records`. A \
         thread's panic is collected like an error instead of being re-raised by the scope.",
    );
    Ok(())
}

/// The peer of the spawn-overhead comparison.
const SPAWN_PEER: &str = "tokio::spawn + Vec<JoinHandle>";

/// Spawns `tasks` trivial tasks into a fail-fast group and joins them.
fn trivial_group(runtime: &tokio::runtime::Runtime, tasks: u64) -> usize {
    runtime.block_on(async {
        let mut group = TaskGroup::<u64, std::convert::Infallible>::new(Mode::FailFast);
        for i in 0..tasks {
            group.spawn(async move { Ok(i) });
        }
        group.join().await.map_or(0, |values| values.len())
    })
}

fn spawn_overhead(n: &mut Narrator, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    n.section("What the group costs: spawn + join per task");
    let tasks: u64 = n.mode().pick(2_000, 20_000);
    n.compare_timed(
        &format!("spawn + join of {tasks} trivial tasks, per task"),
        tasks,
        || trivial_group(runtime, tasks),
        SPAWN_PEER,
        || {
            runtime.block_on(async {
                let handles: Vec<_> = (0..tasks).map(|i| tokio::spawn(async move { i })).collect();
                let mut joined = 0;
                for handle in handles {
                    joined += usize::from(handle.await.is_ok());
                }
                joined
            })
        },
    );
    n.compare_timed(
        &format!("spawn + join of {tasks} trivial tasks, per task"),
        tasks,
        || trivial_group(runtime, tasks),
        "bare JoinSet + join_next",
        || {
            runtime.block_on(async {
                let mut set = JoinSet::new();
                for i in 0..tasks {
                    set.spawn(async move { i });
                }
                let mut joined = 0;
                while let Some(outcome) = set.join_next().await {
                    joined += usize::from(outcome.is_ok());
                }
                joined
            })
        },
    );
    let threads = 8u64;
    n.compare_timed(
        &format!("spawn + join of {threads} scoped threads, per thread"),
        threads,
        || {
            scoped(Mode::FailFast, |group| {
                for i in 0..threads {
                    group.spawn(move |_| Ok::<_, TaskError<()>>(i));
                }
            })
        },
        "std::thread::scope + ScopedJoinHandle",
        || {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads).map(|i| scope.spawn(move || i)).collect();
                handles.into_iter().filter_map(|h| h.join().ok()).count()
            })
        },
    );
    n.say(
        "Per task the group adds an Arc clone of its token, a select! against it around the \
         future and the spawn index carried with the result — under a microsecond over a \
         bare JoinSet on trivial tasks, noise next to a task that does any I/O. It buys results \
         in spawn order, cancellation, and panics as values. A JoinSet itself costs more than \
         a Vec of JoinHandles: it tracks its tasks so it can abort them when dropped.",
    );
    Ok(())
}

// ---- tests ----------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::time::{sleep, timeout};

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// Counts its drops: a task's locals are dropped when it is cancelled.
    struct DropCounter(Arc<AtomicUsize>);

    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn entries<E: Clone>(group: &ErrorGroup<E>) -> Vec<(usize, TaskError<E>)> {
        group
            .failures()
            .iter()
            .map(|f| (f.index, f.error.clone()))
            .collect()
    }

    fn failed(e: &str) -> TaskError<String> {
        TaskError::Failed(e.to_owned())
    }

    #[tokio::test(start_paused = true)]
    async fn results_come_back_in_spawn_order() {
        let mut group = TaskGroup::<usize, String>::new(Mode::FailFast);
        for (i, delay) in [30, 10, 20, 0].into_iter().enumerate() {
            let index = group.spawn(async move {
                sleep(ms(delay)).await;
                Ok(i)
            });
            assert_eq!(index, i);
        }
        assert_eq!(group.spawned(), 4);
        assert_eq!(group.join().await, Ok(vec![0, 1, 2, 3]));
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_group_joins_to_nothing() {
        let group = TaskGroup::<(), String>::new(Mode::CollectAll);
        assert_eq!(group.join().await, Ok(vec![]));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_error_cancels_plain_siblings() {
        let finished = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut group = TaskGroup::<(), String>::new(Mode::FailFast);
        for _ in 0..3 {
            let finished = Arc::clone(&finished);
            let guard = DropCounter(Arc::clone(&dropped));
            group.spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(10)).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        group.spawn(async {
            sleep(ms(5)).await;
            Err("boom".to_owned())
        });
        let errors = group.join().await.expect_err("one task failed");
        assert_eq!(started.elapsed(), ms(5), "nobody waited for the siblings");
        assert_eq!(finished.load(Ordering::SeqCst), 0);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            3,
            "their locals were dropped"
        );
        assert_eq!(
            entries(&errors),
            [
                (0, TaskError::Cancelled),
                (1, TaskError::Cancelled),
                (2, TaskError::Cancelled),
                (3, failed("boom")),
            ]
        );
        assert_eq!(errors.errors().collect::<Vec<_>>(), ["boom"]);
    }

    #[tokio::test(start_paused = true)]
    async fn siblings_observe_cancellation_clean_up_and_stop() {
        let steps = Arc::new(AtomicUsize::new(0));
        let cleaned = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut group = TaskGroup::<usize, &str>::new(Mode::FailFast);
        let (done, clean) = (Arc::clone(&steps), Arc::clone(&cleaned));
        group.spawn_with_token(move |token| async move {
            for _ in 0..100 {
                tokio::select! {
                    () = token.cancelled() => {
                        sleep(ms(2)).await; // async cleanup: abort could not do this
                        clean.store(true, Ordering::SeqCst);
                        return Err(TaskError::Cancelled);
                    }
                    () = sleep(ms(10)) => { done.fetch_add(1, Ordering::SeqCst); }
                }
            }
            Ok(100)
        });
        group.spawn(async {
            sleep(ms(35)).await;
            Err("bad shard")
        });
        let errors = group.join().await.expect_err("the shard failed");
        assert!(
            cleaned.load(Ordering::SeqCst),
            "the sibling ran its cleanup"
        );
        assert_eq!(
            steps.load(Ordering::SeqCst),
            3,
            "and stopped after 3 of 100 steps"
        );
        assert_eq!(
            started.elapsed(),
            ms(37),
            "the group waited for the cleanup"
        );
        assert_eq!(
            entries(&errors),
            [
                (0, TaskError::Cancelled),
                (1, TaskError::Failed("bad shard"))
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cooperative_task_uses_question_mark_on_its_own_errors() {
        let mut group = TaskGroup::<u32, std::num::ParseIntError>::new(Mode::CollectAll);
        group.spawn_with_token(|_token| async { Ok("42".parse::<u32>()?) });
        group.spawn_with_token(|_token| async { Ok("4x".parse::<u32>()?) });
        let outcomes = group.join_outcomes().await;
        assert_eq!(outcomes[0], Ok(42));
        assert!(matches!(outcomes[1], Err(TaskError::Failed(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_cancels_the_group_before_join_is_awaited() {
        let mut group = TaskGroup::<(), &str>::new(Mode::FailFast);
        group.spawn(async { Err("early") });
        sleep(ms(1)).await;
        assert!(group.is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_cancels_the_group_before_join_is_awaited() {
        let mut group = TaskGroup::<(), &str>::new(Mode::FailFast);
        group.spawn(async { panic!("{DEMO_PANIC} early") });
        sleep(ms(1)).await;
        assert!(
            group.is_cancelled(),
            "the unwinding task cancelled the token"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn collect_all_runs_every_task_and_reports_every_failure() {
        let mut group = TaskGroup::<u32, String>::new(Mode::CollectAll);
        let plan: [(u64, Option<u32>); 5] = [
            (10, Some(1)),
            (1, None),
            (20, Some(3)),
            (5, None),
            (2, Some(5)),
        ];
        for (i, (delay, value)) in plan.into_iter().enumerate() {
            group.spawn(async move {
                sleep(ms(delay)).await;
                if i == 4 {
                    panic!("{DEMO_PANIC} task four");
                }
                value.ok_or_else(|| format!("task {i} failed"))
            });
        }
        let token = group.token();
        let outcomes = group.join_outcomes().await;
        assert!(!token.is_cancelled(), "collect-all cancels nobody");
        assert_eq!(
            outcomes,
            [
                Ok(1),
                Err(failed("task 1 failed")),
                Ok(3),
                Err(failed("task 3 failed")),
                Err(TaskError::Panicked(format!("{DEMO_PANIC} task four"))),
            ]
        );
        let errors = collect(outcomes).expect_err("three tasks did not succeed");
        assert_eq!(errors.failures().len(), 3);
        assert!(!errors.all_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_surfaces_as_an_error_not_a_hang() {
        let started = Instant::now();
        let mut group = TaskGroup::<(), String>::new(Mode::FailFast);
        group.spawn(async {
            sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        group.spawn(async {
            sleep(ms(3)).await;
            panic!("{DEMO_PANIC} parser exploded")
        });
        let errors = timeout(Duration::from_secs(60), group.join())
            .await
            .expect("the group answers instead of hanging")
            .expect_err("a task panicked");
        assert_eq!(started.elapsed(), ms(3));
        assert_eq!(
            entries(&errors),
            [
                (0, TaskError::Cancelled),
                (
                    1,
                    TaskError::Panicked(format!("{DEMO_PANIC} parser exploded"))
                ),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_string_panic_payload_is_named() {
        let mut group = TaskGroup::<(), String>::new(Mode::CollectAll);
        group.spawn(async { std::panic::panic_any(42_u32) });
        let errors = group.join().await.expect_err("the task panicked");
        assert_eq!(
            errors.failures()[0].error,
            TaskError::Panicked("a panic with a non-string payload".to_owned())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cooperative_tasks_are_waited_for_without_a_grace_period() {
        let started = Instant::now();
        let mut group = TaskGroup::<&str, &str>::new(Mode::FailFast);
        group.spawn_with_token(|_ignored| async {
            sleep(ms(100)).await;
            Ok("finished anyway")
        });
        group.spawn(async { Err("fail") });
        let outcomes = group.join_outcomes().await;
        assert_eq!(started.elapsed(), ms(100), "as Python waits for its tasks");
        assert_eq!(
            outcomes,
            [Ok("finished anyway"), Err(TaskError::Failed("fail"))]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_ignoring_its_token_is_aborted_after_the_grace_period() {
        let started = Instant::now();
        let mut group = TaskGroup::<(), &str>::new(Mode::FailFast).with_cancel_grace(ms(50));
        group.spawn_with_token(|_ignored| async {
            sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        group.spawn(async {
            sleep(ms(5)).await;
            Err("fail")
        });
        let outcomes = timeout(Duration::from_secs(60), group.join_outcomes())
            .await
            .expect("the grace period ends the wait");
        assert_eq!(started.elapsed(), ms(55));
        assert_eq!(
            outcomes,
            [Err(TaskError::Cancelled), Err(TaskError::Failed("fail"))]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_group_aborts_its_tasks() {
        let finished = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<(), String>::new(Mode::CollectAll);
        for cooperative in [false, true, false] {
            let finished = Arc::clone(&finished);
            let guard = DropCounter(Arc::clone(&dropped));
            let work = async move {
                let _guard = guard;
                sleep(Duration::from_secs(10)).await;
                finished.fetch_add(1, Ordering::SeqCst);
            };
            if cooperative {
                group.spawn_with_token(|_token| async move {
                    work.await;
                    Ok(())
                });
            } else {
                group.spawn(async move {
                    work.await;
                    Ok(())
                });
            }
        }
        tokio::task::yield_now().await; // the tasks start and wait on their sleeps
        drop(group); // an early return, a `?`, the caller cancelled…
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            3,
            "every task was torn down"
        );
        sleep(Duration::from_secs(20)).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "none outlived the group"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_from_outside_reports_only_cancellations() {
        let mut group = TaskGroup::<(), String>::new(Mode::CollectAll);
        for _ in 0..2 {
            group.spawn(async {
                sleep(Duration::from_secs(10)).await;
                Ok(())
            });
        }
        let token = group.token();
        tokio::spawn(async move {
            sleep(ms(5)).await;
            token.cancel();
        });
        let errors = group.join().await.expect_err("cancelled");
        assert!(errors.all_cancelled());
        assert_eq!(errors.cancelled_count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_spawned_into_a_cancelled_group_never_runs() {
        let ran = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::<(), String>::new(Mode::FailFast);
        group.cancel();
        let flag = Arc::clone(&ran);
        group.spawn(async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        let outcomes = group.join_outcomes().await;
        assert_eq!(outcomes, [Err(TaskError::Cancelled)]);
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_a_parent_cancels_the_nested_group_but_not_the_reverse() {
        let outer = CancellationToken::new();
        let inner = TaskGroup::<(), String>::with_parent(Mode::CollectAll, &outer);
        inner.cancel();
        assert!(!outer.is_cancelled(), "a child never cancels its parent");

        let mut inner = TaskGroup::<(), String>::with_parent(Mode::CollectAll, &outer);
        inner.spawn(async {
            sleep(Duration::from_secs(10)).await;
            Ok(())
        });
        outer.cancel();
        let errors = inner
            .join()
            .await
            .expect_err("cancelled through the parent");
        assert!(errors.all_cancelled());
    }

    #[test]
    fn the_error_group_lists_every_failure() {
        let cases: [(Vec<TaskFailure<String>>, &str); 2] = [
            (
                vec![TaskFailure {
                    index: 3,
                    error: TaskError::Cancelled,
                }],
                "1 task of the group did not succeed (1 cancelled)\n  - task 3 cancelled",
            ),
            (
                vec![
                    TaskFailure {
                        index: 2,
                        error: TaskError::Panicked("boom".into()),
                    },
                    TaskFailure {
                        index: 0,
                        error: failed("bad input"),
                    },
                    TaskFailure {
                        index: 5,
                        error: TaskError::Cancelled,
                    },
                ],
                "3 tasks of the group did not succeed (1 failed, 1 panicked, 1 cancelled)\n  \
                 - task 0 failed: bad input\n  - task 2 panicked: boom\n  - task 5 cancelled",
            ),
        ];
        for (failures, want) in cases {
            let group = ErrorGroup::new(failures).expect("not empty");
            assert_eq!(group.to_string(), want);
        }
        assert_eq!(
            ErrorGroup::<String>::new(vec![]),
            None,
            "a group is never empty"
        );
    }

    #[test]
    fn the_error_group_is_an_error_anyhow_accepts() {
        let group = ErrorGroup::new(vec![TaskFailure {
            index: 0,
            error: failed("x"),
        }])
        .expect("not empty");
        let error: anyhow::Error = group.into();
        assert!(error.to_string().contains("task 0 failed: x"));
        let nested: ErrorGroup<anyhow::Error> = ErrorGroup::new(vec![TaskFailure {
            index: 1,
            error: TaskError::Failed(error),
        }])
        .expect("not empty");
        let _: &dyn std::error::Error = &nested;
    }

    #[test]
    fn scoped_threads_borrow_and_return_in_spawn_order() {
        let data: Vec<u64> = (1..=100).collect();
        let sums = scoped(Mode::FailFast, |group| {
            for chunk in data.chunks(30) {
                group.spawn(move |_| Ok::<u64, TaskError<()>>(chunk.iter().sum()));
            }
        });
        assert_eq!(sums, Ok(vec![465, 1365, 2265, 955]));
    }

    /// Waits until `stop` is set; gives up (returning `Ok(false)`) after a
    /// real-time hang guard, so a broken flag fails the test instead.
    fn wait_for_cancel(stop: &CancelFlag) -> Result<bool, TaskError<String>> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if stop.is_cancelled() {
                return Err(TaskError::Cancelled);
            }
            std::thread::sleep(ms(1));
        }
        Ok(false)
    }

    #[test]
    fn scoped_fail_fast_stops_the_sibling_threads() {
        let cleaned = AtomicBool::new(false);
        // The failure waits until the sibling is running: a sibling not yet
        // started when the flag goes up would (rightly) never start at all.
        let both_running = std::sync::Barrier::new(2);
        let outcome = scoped(Mode::FailFast, |group| {
            group.spawn(|stop| {
                both_running.wait();
                let r = wait_for_cancel(stop);
                cleaned.store(true, Ordering::SeqCst);
                r
            });
            group.spawn(|_| {
                both_running.wait();
                Err(TaskError::Failed("corrupt record".to_owned()))
            });
        });
        let errors = outcome.expect_err("a thread failed");
        assert!(
            cleaned.load(Ordering::SeqCst),
            "the sibling saw the flag and cleaned up"
        );
        assert_eq!(
            entries(&errors),
            [(0, TaskError::Cancelled), (1, failed("corrupt record"))]
        );
    }

    #[test]
    fn scoped_threads_after_cancellation_never_run() {
        let ran = AtomicBool::new(false);
        let outcome = scoped(Mode::FailFast, |group| {
            group.flag().cancel();
            group.spawn(|_| {
                ran.store(true, Ordering::SeqCst);
                Ok::<_, TaskError<()>>(())
            });
        });
        assert!(outcome.expect_err("cancelled").all_cancelled());
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[test]
    fn a_thread_panic_is_collected_and_cancels_in_fail_fast() {
        let outcome = scoped(Mode::FailFast, |group| {
            group.spawn(wait_for_cancel);
            group.spawn(|_| panic!("{DEMO_PANIC} thread fell over"));
        });
        let errors = outcome.expect_err("a thread panicked");
        assert_eq!(
            entries(&errors),
            [
                (0, TaskError::Cancelled),
                (
                    1,
                    TaskError::Panicked(format!("{DEMO_PANIC} thread fell over"))
                ),
            ]
        );
    }

    #[test]
    fn a_thread_panic_in_collect_all_leaves_the_siblings_alone() {
        let outcome = scoped(Mode::CollectAll, |group| {
            group.spawn(|stop| {
                std::thread::sleep(ms(20));
                Ok::<_, TaskError<String>>(stop.is_cancelled())
            });
            group.spawn(|_| panic!("{DEMO_PANIC} thread fell over"));
        });
        let errors = outcome.expect_err("a thread panicked");
        assert_eq!(
            entries(&errors),
            [(
                1,
                TaskError::Panicked(format!("{DEMO_PANIC} thread fell over"))
            )],
            "the sibling finished, and never saw a cancellation"
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("concurrency/task-groups", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "quick means quick"
        );
        assert!(n.comparisons().iter().any(|c| c.peer_name == SPAWN_PEER));
        assert!(n.measurements().iter().any(|m| m.label
            == "workers that ran their cleanup after cancellation"
            && m.value == 4.0));
    }

    fn paused_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime builds")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Collect-all: every task's own outcome, in spawn order; the group
        /// holds exactly the failures; split partitions it in order.
        #[test]
        fn collect_all_reports_exactly_the_failures(
            plan in proptest::collection::vec((0u64..50, proptest::bool::ANY), 0..12),
        ) {
            let outcomes = paused_runtime().block_on(async {
                let mut group = TaskGroup::<usize, usize>::new(Mode::CollectAll);
                for (i, &(delay, ok)) in plan.iter().enumerate() {
                    group.spawn(async move {
                        sleep(ms(delay)).await;
                        if ok { Ok(i) } else { Err(i) }
                    });
                }
                group.join_outcomes().await
            });
            let want: Vec<Result<usize, TaskError<usize>>> = plan
                .iter()
                .enumerate()
                .map(|(i, &(_, ok))| if ok { Ok(i) } else { Err(TaskError::Failed(i)) })
                .collect();
            proptest::prop_assert_eq!(&outcomes, &want);
            match collect(outcomes) {
                Ok(values) => proptest::prop_assert!(plan.iter().all(|&(_, ok)| ok) && values.len() == plan.len()),
                Err(errors) => {
                    let failing: Vec<usize> = errors.failures().iter().map(|f| f.index).collect();
                    let want_failing: Vec<usize> =
                        plan.iter().enumerate().filter(|(_, p)| !p.1).map(|(i, _)| i).collect();
                    proptest::prop_assert_eq!(&failing, &want_failing);
                    let (even, odd) = errors.split(|e| e.failed().is_some_and(|i| i % 2 == 0));
                    let even: Vec<usize> = even.into_iter().flatten().map(|f| f.index).collect();
                    let odd: Vec<usize> = odd.into_iter().flatten().map(|f| f.index).collect();
                    proptest::prop_assert!(even.iter().all(|i| i % 2 == 0) && odd.iter().all(|i| i % 2 == 1));
                    let mut both = [even, odd].concat();
                    both.sort_unstable();
                    proptest::prop_assert_eq!(both, want_failing);
                }
            }
        }

        /// Fail-fast: tasks due before the first failure succeed, tasks due
        /// after it are cancelled, and join returns at the first failure.
        #[test]
        fn fail_fast_stops_at_the_first_failure(
            plan in proptest::collection::vec((1u64..50, proptest::bool::weighted(0.8)), 1..12),
        ) {
            let (outcomes, elapsed) = paused_runtime().block_on(async {
                let started = Instant::now();
                let mut group = TaskGroup::<usize, usize>::new(Mode::FailFast);
                for (i, &(delay, ok)) in plan.iter().enumerate() {
                    group.spawn(async move {
                        sleep(ms(delay)).await;
                        if ok { Ok(i) } else { Err(i) }
                    });
                }
                let outcomes = group.join_outcomes().await;
                (outcomes, started.elapsed())
            });
            let first_failure = plan.iter().filter(|p| !p.1).map(|p| p.0).min();
            let end = first_failure.or_else(|| plan.iter().map(|p| p.0).max()).unwrap_or(0);
            proptest::prop_assert_eq!(elapsed, ms(end));
            for (i, (&(delay, ok), outcome)) in plan.iter().zip(&outcomes).enumerate() {
                let own = if ok { Ok(i) } else { Err(TaskError::Failed(i)) };
                match first_failure {
                    Some(at) if delay > at => {
                        proptest::prop_assert_eq!(outcome, &Err(TaskError::Cancelled));
                    }
                    // Due in the same tick as the first failure: either.
                    Some(at) if delay == at => proptest::prop_assert!(
                        outcome == &own || outcome == &Err(TaskError::Cancelled)
                    ),
                    _ => proptest::prop_assert_eq!(outcome, &own),
                }
            }
        }
    }
}
