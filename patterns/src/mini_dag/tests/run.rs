//! The executor: parallel within its bound, failures propagated, retries,
//! timeouts and the environment. Assertions are on what ran and in which
//! order, never on how long it took.

use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;

use super::super::*;
use super::dag;

fn noop() -> Action {
    Action::Builtin(Builtin::Noop)
}

/// Runs without the cache, collecting the retry events.
fn run_plain(dag: &Dag, concurrency: usize) -> (RunReport, Vec<(String, u32)>) {
    let mut options = RunOptions::new(concurrency);
    options.use_cache = false;
    let mut retries = Vec::new();
    let report = run(dag, &options, &mut |e| {
        if let Event::Retrying { id, attempt, .. } = e {
            retries.push((id.to_owned(), attempt));
        }
    })
    .expect("no state is written without the cache");
    (report, retries)
}

fn status<'a>(report: &'a RunReport, id: &str) -> &'a Status {
    &report
        .tasks
        .iter()
        .find(|t| t.id == id)
        .expect("task in report")
        .status
}

/// How many intervals overlap at the busiest instant.
fn max_overlap(report: &RunReport) -> usize {
    let ran: Vec<&TaskRun> = report.tasks.iter().filter(|t| t.attempts > 0).collect();
    ran.iter()
        .map(|a| {
            ran.iter()
                .filter(|b| b.start <= a.start && a.start < b.end)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn independent_tasks_run_at_once_up_to_the_bound() {
    let tasks = |k: usize| {
        (0..k)
            .map(|i| {
                TaskSpec::new(
                    format!("t{i}"),
                    Action::Builtin(Builtin::Sleep(Duration::from_millis(150))),
                )
            })
            .collect::<Vec<_>>()
    };
    let wide = Dag::new(Pipeline::in_dir("w", Path::new("."), tasks(4))).expect("a valid graph");
    let (report, _) = run_plain(&wide, 4);
    assert!(report.succeeded());
    assert_eq!(max_overlap(&report), 4, "{report:#?}");
    let narrow = Dag::new(Pipeline::in_dir("n", Path::new("."), tasks(6))).expect("a valid graph");
    let (report, _) = run_plain(&narrow, 2);
    assert_eq!(report.count("ran"), 6);
    assert_eq!(max_overlap(&report), 2, "{report:#?}");
}

#[test]
fn dependents_of_a_failure_are_skipped_and_other_branches_go_on() {
    let dag = dag(r#"
[[task]]
id = "a"
builtin = "noop"
[[task]]
id = "b"
builtin = "fail"
deps = ["a"]
[[task]]
id = "c"
builtin = "noop"
deps = ["b"]
[[task]]
id = "d"
builtin = "noop"
deps = ["c", "e"]
[[task]]
id = "e"
builtin = "sleep 20ms"
deps = ["a"]
[[task]]
id = "f"
builtin = "noop"
deps = ["e"]
"#);
    let (report, _) = run_plain(&dag, 2);
    assert!(!report.succeeded());
    assert_eq!(report.ids("ran"), ["a", "e", "f"]);
    assert!(matches!(status(&report, "b"), Status::Failed(e) if e.contains("always fails")));
    assert_eq!(status(&report, "c"), &Status::Skipped("b".into()));
    assert_eq!(status(&report, "d"), &Status::Skipped("b".into()));
}

#[test]
fn a_flaky_task_is_retried_with_backoff_until_it_passes_or_gives_up() {
    let dag = dag(r#"
[[task]]
id = "passes"
builtin = "flaky 2"
retries = 2
backoff = "1ms"
[[task]]
id = "gives-up"
builtin = "flaky 5"
retries = 2
backoff = "1ms"
[[task]]
id = "after"
builtin = "noop"
deps = ["passes"]
"#);
    let (report, retries) = run_plain(&dag, 2);
    let passes = &report.tasks[0];
    assert_eq!((&passes.status, passes.attempts), (&Status::Succeeded, 3));
    let gave_up = &report.tasks[1];
    assert_eq!(gave_up.attempts, 3);
    assert!(matches!(&gave_up.status, Status::Failed(e) if e.contains("after 3 attempts")));
    assert_eq!(status(&report, "after"), &Status::Succeeded);
    let mut seen: Vec<(String, u32)> = retries;
    seen.sort();
    let expected: Vec<(String, u32)> = [
        ("gives-up", 1),
        ("gives-up", 2),
        ("passes", 1),
        ("passes", 2),
    ]
    .map(|(id, n)| (id.to_owned(), n))
    .into();
    assert_eq!(seen, expected);
}

#[test]
fn a_command_over_its_timeout_is_killed_and_fails() {
    let dag = dag(r#"
[[task]]
id = "slow"
run = "sleep 30"
timeout = "100ms"
[[task]]
id = "slow-builtin"
builtin = "sleep 10s"
timeout = "20ms"
"#);
    let started = std::time::Instant::now();
    let (report, _) = run_plain(&dag, 2);
    for t in &report.tasks {
        assert!(
            matches!(&t.status, Status::Failed(e) if e.contains("timed out after")),
            "{t:?}"
        );
    }
    // Not a timing test: a timeout that did not kill would wait 10 s or more.
    assert!(started.elapsed() < Duration::from_secs(9));
}

#[test]
fn commands_see_the_task_env_over_the_injected_env_and_exit_codes_are_reported() {
    let dag = dag(r#"
[[task]]
id = "env"
run = 'test "$GREETING" = hi && test "$FROM_RUN" = yes && test "$SHARED" = task && test "$DAG_TASK" = env'
env = { GREETING = "hi", SHARED = "task" }
[[task]]
id = "exit3"
run = "exit 3"
"#);
    let mut options = RunOptions::new(2);
    options.use_cache = false;
    options.env.insert("FROM_RUN".into(), "yes".into());
    options.env.insert("SHARED".into(), "run".into());
    let report = run(&dag, &options, &mut |_| {}).expect("the run starts");
    assert_eq!(report.tasks[0].status, Status::Succeeded, "{report:#?}");
    assert!(
        matches!(&report.tasks[1].status, Status::Failed(e) if e.contains("exited with status 3"))
    );
}

fn random_dag() -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<bool>)> {
    (1usize..12).prop_flat_map(|n| {
        let deps = (0..n)
            .map(|i| proptest::collection::vec(0..i.max(1), 0..3.min(i + 1)))
            .collect::<Vec<_>>();
        (
            deps,
            proptest::collection::vec(proptest::bool::weighted(0.2), n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The parallel executor ends every task as the one-at-a-time core does.
    #[test]
    fn executor_agrees_with_the_core((deps, fails) in random_dag()) {
        let deps: Vec<Vec<usize>> = deps
            .into_iter()
            .enumerate()
            .map(|(i, mut ds)| { ds.retain(|&d| d < i); ds.sort(); ds.dedup(); ds })
            .collect();
        let ended = run_in_order(&deps, |i| if fails[i] { Err(()) } else { Ok(()) });
        let tasks = deps.iter().enumerate().map(|(i, ds)| {
            let action = if fails[i] { Action::Builtin(Builtin::Fail) } else { noop() };
            let names: Vec<String> = ds.iter().map(|d| format!("t{d}")).collect();
            TaskSpec::new(format!("t{i}"), action).after(names.iter().map(String::as_str))
        }).collect();
        let dag = Dag::new(Pipeline::in_dir("p", Path::new("."), tasks)).expect("a valid graph");
        let (report, _) = run_plain(&dag, 3);
        for (i, t) in report.tasks.iter().enumerate() {
            let want = match ended[i] {
                Some(Ended::Succeeded) => "ran",
                Some(Ended::Failed) => "failed",
                _ => "skipped",
            };
            prop_assert_eq!(t.status.word(), want, "task {}", i);
        }
    }
}
