//! The `ExceptionGroup` analogue: why one task produced no value
//! ([`TaskError`]), which task ([`TaskFailure`]), and all of them at once
//! ([`ErrorGroup`]).

use std::fmt;

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
/// **One difference from Python, on purpose.** Python's `ExceptionGroup`
/// leaves the cancelled siblings out: a task that ended in
/// `CancelledError` contributes nothing to it. This group lists them, as
/// [`TaskError::Cancelled`], because `join` answers per spawn index — a
/// caller that gets no values must be able to tell which slots are empty
/// and why — and because a group cancelled from outside, with no failure
/// at all, still answers with a group (where Python's parent task gets
/// `CancelledError` instead). For Python's view, filter:
/// [`errors`](Self::errors) yields the errors and panics (`eg.exceptions`),
/// and [`without_cancellations`](Self::without_cancellations) returns the
/// group Python would raise.
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

    /// Every task that failed by itself — it returned an error or it
    /// panicked — in spawn order: what Python's `eg.exceptions` holds
    /// (a panic is the analogue of an exception). The cancelled siblings
    /// are left out, as Python leaves them out.
    pub fn errors(&self) -> impl Iterator<Item = &TaskFailure<E>> {
        self.failures.iter().filter(|f| f.error.is_failure())
    }

    /// Only the `E` values the tasks returned, in spawn order: no panics
    /// (their payload is not an `E`) and no cancellations. For matching on
    /// your own error type; [`errors`](Self::errors) is the full list.
    pub fn returned_errors(&self) -> impl Iterator<Item = &E> {
        self.failures.iter().filter_map(|f| f.error.failed())
    }

    /// The group Python's `asyncio.TaskGroup` would raise: this one without
    /// the cancelled siblings. `None` when every entry is a cancellation
    /// (Python raises no `ExceptionGroup` then: the cancellation itself
    /// propagates).
    ///
    /// ```
    /// use mastery_concurrency::task_groups::{ErrorGroup, TaskError, TaskFailure};
    ///
    /// let group = ErrorGroup::new(vec![
    ///     TaskFailure { index: 0, error: TaskError::Cancelled },
    ///     TaskFailure { index: 1, error: TaskError::Failed("no such user") },
    ///     TaskFailure { index: 2, error: TaskError::Panicked("boom".into()) },
    /// ]).expect("three entries");
    /// let python_view = group.without_cancellations().expect("two failed by themselves");
    /// let indices: Vec<usize> = python_view.failures().iter().map(|f| f.index).collect();
    /// assert_eq!(indices, [1, 2]);
    /// ```
    pub fn without_cancellations(self) -> Option<Self> {
        let (_cancelled, failed) = self.split(TaskError::is_cancelled);
        failed
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
    // ANCHOR: split
    pub fn split(
        self,
        mut predicate: impl FnMut(&TaskError<E>) -> bool,
    ) -> (Option<Self>, Option<Self>) {
        let (matching, rest): (Vec<_>, Vec<_>) =
            self.failures.into_iter().partition(|f| predicate(&f.error));
        (Self::new(matching), Self::new(rest))
    }
    // ANCHOR_END: split

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
pub(super) fn collect<T, E>(
    outcomes: Vec<Result<T, TaskError<E>>>,
) -> Result<Vec<T>, ErrorGroup<E>> {
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
