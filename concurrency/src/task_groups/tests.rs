//! Paused-clock tests of every rule of the lesson, the thread group, the
//! error group's rendering, and property tests (one of them checks the
//! core, `join_fail_fast_simple`, against `TaskGroup`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::Strategy;
use tokio::time::{Instant, sleep, timeout};
use tokio_util::sync::CancellationToken;

use super::demo::{DEMO_PANIC, SPAWN_PEER, demo};
use super::error_group::collect;
use super::*;

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
    assert_eq!(errors.returned_errors().collect::<Vec<_>>(), ["boom"]);
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

/// A fail-fast group of two: task 0 sleeps an hour, task 1 panics with
/// "parser exploded" after `delay`.
fn hour_long_task_and_a_panic_after(delay: Duration) -> TaskGroup<(), String> {
    let mut group = TaskGroup::new(Mode::FailFast);
    group.spawn(async {
        sleep(Duration::from_secs(3600)).await;
        Ok(())
    });
    group.spawn(async move {
        sleep(delay).await;
        panic!("{DEMO_PANIC} parser exploded")
    });
    group
}

#[tokio::test(start_paused = true)]
async fn a_panic_surfaces_as_an_error_not_a_hang() {
    let started = Instant::now();
    let group = hour_long_task_and_a_panic_after(ms(3));
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

/// `errors()` is what Python's `eg.exceptions` would hold: every task that
/// failed by itself — errors *and* panics, a panic being the analogue of an
/// exception — and none of the cancelled siblings.
#[tokio::test(start_paused = true)]
async fn errors_report_panics_and_leave_cancelled_siblings_out() {
    mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
    // Fail-fast: a panic cancels the hour-long sibling.
    let group = hour_long_task_and_a_panic_after(ms(2));
    let errors = group.join().await.expect_err("a task panicked");
    let python_view: Vec<&TaskFailure<String>> = errors.errors().collect();
    assert_eq!(
        python_view,
        [&TaskFailure {
            index: 1,
            error: TaskError::Panicked(format!("{DEMO_PANIC} parser exploded")),
        }],
        "the panic is reported; the cancelled sibling is not"
    );
    assert_eq!(errors.returned_errors().count(), 0, "no task returned an E");
    let raised = errors
        .without_cancellations()
        .expect("one task failed by itself");
    assert_eq!(raised.failures().len(), 1);

    // Collect-all: an error and a panic, both reported, in spawn order.
    let mut group = TaskGroup::<u32, String>::new(Mode::CollectAll);
    group.spawn(async { Err("bad input".to_owned()) });
    group.spawn(async { panic!("{DEMO_PANIC} checksum table missing") });
    group.spawn(async { Ok(3) });
    let errors = group.join().await.expect_err("two tasks failed");
    let indices: Vec<usize> = errors.errors().map(|f| f.index).collect();
    assert_eq!(indices, [0, 1]);
    assert_eq!(errors.returned_errors().collect::<Vec<_>>(), ["bad input"]);

    // Cancelled from outside, nothing failed: Python would raise no group.
    let mut group = TaskGroup::<(), String>::new(Mode::CollectAll);
    group.spawn(async {
        sleep(Duration::from_secs(10)).await;
        Ok(())
    });
    group.cancel();
    let errors = group.join().await.expect_err("cancelled");
    assert_eq!(errors.errors().count(), 0);
    assert_eq!(errors.without_cancellations(), None);
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
    let n = mastery_kit::demo_test::run_quick("concurrency/task-groups", demo);
    assert!(n.comparison_with(SPAWN_PEER).is_some());
    assert_eq!(
        n.recorded("workers that ran their cleanup after cancellation"),
        Some(4.0)
    );
    // Each comparison says what it measures: no two share a label (a
    // report keyed by label would otherwise show one and lose the other).
    let mut labels: Vec<&str> = n.comparisons().iter().map(|c| c.label.as_str()).collect();
    let all = labels.len();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), all, "duplicate comparison labels: {labels:?}");
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

    /// The core, `join_fail_fast_simple`, and the production `TaskGroup` in
    /// fail-fast mode agree: the same values when every task succeeds, and
    /// otherwise the core's one failure is exactly what the group's
    /// `errors()` holds (tasks end at distinct times, so the first failure
    /// is unambiguous and every later task was cancelled).
    #[test]
    fn the_core_agrees_with_the_task_group(
        (kinds, delays) in (1usize..10).prop_flat_map(|n| (
            proptest::collection::vec(0u8..3, n),
            proptest::strategy::Just((1..=n as u64).collect::<Vec<_>>()).prop_shuffle(),
        )),
    ) {
        mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
        let plan: Vec<(u8, u64)> = kinds.into_iter().zip(delays).collect();
        let task = |i: usize, (kind, delay): (u8, u64)| async move {
            sleep(ms(delay)).await;
            match kind {
                0 => Ok(i),
                1 => Err(i),
                _ => panic!("{DEMO_PANIC} task {i}"),
            }
        };
        let (simple, grouped) = paused_runtime().block_on(async {
            let simple = join_fail_fast_simple(
                plan.iter().enumerate().map(|(i, &step)| task(i, step)),
            )
            .await;
            let mut group = TaskGroup::<usize, usize>::new(Mode::FailFast);
            for (i, &step) in plan.iter().enumerate() {
                group.spawn(task(i, step));
            }
            (simple, group.join().await)
        });
        match (simple, grouped) {
            (Ok(simple), Ok(grouped)) => proptest::prop_assert_eq!(simple, grouped),
            (Err(failure), Err(errors)) => {
                let python_view: Vec<TaskFailure<usize>> = errors.errors().cloned().collect();
                proptest::prop_assert_eq!(python_view, vec![failure]);
            }
            (simple, grouped) => proptest::prop_assert!(
                false,
                "they disagree: core {:?}, group {:?}",
                simple,
                grouped
            ),
        }
    }
}
