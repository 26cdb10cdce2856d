//! The demo of `concurrency/task-groups`: fail-fast against collect-all,
//! an error group split like `except*`, a panic surfacing, the thread
//! version, and what the group costs per task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mastery_kit::narrator::millis;
use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error_group::collect;
use super::{ErrorGroup, Mode, TaskError, TaskFailure, TaskGroup, scoped};

mastery_kit::inventory::submit! {
    Topic {
        id: "concurrency/task-groups",
        area: Area::Concurrency,
        rank: 2,
        title: "Structured concurrency (Task Groups, PEP 654)",
        python: "async with asyncio.TaskGroup() as tg: tg.create_task(...); except* ValueError (ExceptionGroup)",
        rust: "TaskGroup on JoinSet: first error cancels siblings or collect-all into an ErrorGroup; panics surface as errors; std::thread::scope for threads",
        path: "concurrency/src/task_groups/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Every deliberate panic of the demo starts with this.
pub(super) const DEMO_PANIC: &str = "demo panic:";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
    // The first sections are about who stops, who cleans up and what is
    // counted; their sleeps stand for work. On tokio's paused clock a sleep
    // costs no wall time and lasts exactly as long as asked, so the story is
    // the same on every machine and every run. The tasks, the cancellation
    // and the scheduling are real.
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    paused.block_on(fail_fast_vs_collect_all(n))?;
    paused.block_on(error_group_and_except_star(n))?;
    paused.block_on(panic_surfaces(n))?;
    threads_with_scope(n)?;
    // What the group costs per task is a real measurement, on real threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
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
    /// On the runtime's clock: paused in the demo, so virtual time.
    elapsed: Duration,
    /// Wall time from the moment the failing task returned its error to
    /// `join`'s return: the real cost of stopping the siblings.
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
            let _ = failed.set(std::time::Instant::now());
            Err("upstream returned 503".to_owned())
        });
        let errors = match group.join().await {
            Ok(_) => anyhow::bail!("the failing task must make the group fail"),
            Err(errors) => errors,
        };
        let ended = Instant::now();
        let ended_wall = std::time::Instant::now();
        let failed_at = failed_at.get().copied().unwrap_or(ended_wall);
        Ok(StepRun {
            elapsed: ended - started,
            after_failure: ended_wall - failed_at,
            steps_done: steps_done.load(Ordering::Relaxed),
            cleanups: cleanups.load(Ordering::Relaxed),
            errors,
        })
    }
}

async fn fail_fast_vs_collect_all(n: &mut Narrator) -> anyhow::Result<()> {
    let work = StepWork {
        workers: 4,
        steps: 20,
        step: Duration::from_millis(20),
        fail_after: Duration::from_millis(50),
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
    // Rounds in pairs, as for any timed comparison; on the paused clock
    // they agree exactly, and the interval says so.
    let (mut fast_ms, mut all_ms) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..n.samples() {
        let fast = work.run(Mode::FailFast).await?;
        let all = work.run(Mode::CollectAll).await?;
        fast_ms.push(millis(fast.elapsed));
        all_ms.push(millis(all.elapsed));
        last = Some((fast, all));
    }
    let (fast, all) = last.ok_or_else(|| anyhow::anyhow!("at least one round runs"))?;
    n.show_block(&format!("fail-fast join → Err: {}", fast.errors));
    n.show_block(&format!("collect-all join → Err: {}", all.errors));
    let c = n.compare_samples(
        "time until join returns, fail-fast (ours) (ms)",
        &fast_ms,
        &all_ms,
        "collect-all (siblings run to the end)",
        Unit::Millis,
    );
    n.record_duration(
        "siblings all stopped, after the failure (ms)",
        fast.after_failure,
    );
    n.record_count(
        &format!("steps done by the workers, fail-fast (of {total_steps})"),
        fast.steps_done,
    );
    n.record_count(
        &format!("steps done by the workers, collect-all (of {total_steps})"),
        all.steps_done,
    );
    let avoided = 100.0 * (1.0 - fast.steps_done as f64 / total_steps as f64);
    n.record("work avoided by fail-fast", avoided, Unit::Percent);
    n.record_count(
        "workers that ran their cleanup after cancellation",
        fast.cleanups,
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
    let returned = match c.verdict {
        Verdict::Better => format!(
            "fail-fast's join returned {:.1}× sooner, while collect-all waited for all of them",
            c.speedup
        ),
        Verdict::Worse => "yet fail-fast's join returned later than collect-all's in this run \
                           — a result to investigate, not a property of the two modes"
            .to_owned(),
        Verdict::Tie { within } => format!(
            "and the two joins returned at times this run cannot tell apart (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "see the figures above for when each join returned (too few rounds for a verdict)"
                .to_owned()
        }
    };
    n.say(&format!(
        "The failing task cancels the group's token itself, so the siblings stop within one \
         scheduler hop of the failure (the wall time above); the cooperative workers still ran \
         their cleanup, and the plain task was dropped at its .await; {returned}. The sleeps \
         ran on tokio's paused clock, so the join times are virtual{}.",
        if same_every_round(&fast_ms) && same_every_round(&all_ms) {
            ", exact, and the same in every round"
        } else {
            ""
        }
    ));
    Ok(())
}

/// Whether every round measured the same value.
fn same_every_round(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
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
    n.record_count("fields parsed", parsed);
    n.record_count("failures in the group (none lost)", failures);
    anyhow::ensure!(
        parsed == 3 && failures == 5,
        "3 fields parse, 5 fail (one by panicking); got {parsed} and {failures}"
    );
    Ok(())
}

async fn panic_surfaces(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A panicking task is an error, not a hang");
    let siblings = 3;
    let mut group = TaskGroup::<(), String>::new(Mode::FailFast);
    for _ in 0..siblings {
        group.spawn(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
    }
    let panicked_at = Arc::new(std::sync::OnceLock::new());
    let panicked = Arc::clone(&panicked_at);
    group.spawn(async move {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let _ = panicked.set(std::time::Instant::now());
        panic!("{DEMO_PANIC} index out of bounds in the parser")
    });
    // A hang guard only: the group answers within milliseconds.
    let joined = tokio::time::timeout(Duration::from_secs(10), group.join()).await;
    let Ok(Err(errors)) = joined else {
        anyhow::bail!("a panic must end the group with an error: {joined:?}");
    };
    // Wall time: the paused clock would call it zero.
    let elapsed = panicked_at
        .get()
        .map_or(Duration::ZERO, std::time::Instant::elapsed);
    n.show_block(&errors);
    n.record_duration("join returned after the panic (ms)", elapsed);
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
    n.record_count(
        &format!("records checked before stopping (of {})", records.len()),
        checked,
    );
    n.record(
        "work avoided by the flag",
        100.0 * (1.0 - checked as f64 / records.len() as f64),
        Unit::Percent,
    );
    n.record_duration("scope returned after (ms)", elapsed);

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

/// The peer of the first spawn-overhead comparison: no group at all.
pub(super) const SPAWN_PEER: &str = "tokio::spawn + Vec<JoinHandle>";
/// The peer of the second: the `JoinSet` the group is built on, bare.
const JOINSET_PEER: &str = "bare JoinSet + join_next";

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
    let tasks: u64 = n.mode().pick(2_000, 5_000);
    n.compare_timed(
        &format!("spawn + join per task, TaskGroup vs tokio::spawn ({tasks} trivial tasks)"),
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
    let against_joinset = n.compare_timed(
        &format!("spawn + join per task, TaskGroup vs a bare JoinSet ({tasks} trivial tasks)"),
        tasks,
        || trivial_group(runtime, tasks),
        JOINSET_PEER,
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
    let measured = match against_joinset.verdict {
        Verdict::Worse => format!(
            "which, on tasks that do nothing else, made spawn + join {:.2}× slower than a bare \
             JoinSet's in this run",
            1.0 / against_joinset.speedup
        ),
        Verdict::Better => format!(
            "yet in this run the group's spawn + join measured {:.2}× faster than a bare \
             JoinSet's — the extra work is smaller than what else varies between the two loops",
            against_joinset.speedup
        ),
        Verdict::Tie { within } => format!(
            "which, on tasks that do nothing else, this run cannot tell apart from a bare \
             JoinSet (±{:.1} %)",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "too few rounds in this run to say what that costs against a bare JoinSet".to_owned()
        }
    };
    n.say(&format!(
        "Per task the group adds an Arc clone of its token, a select! against it around the \
         future and the spawn index carried with the result; {measured}. Next to a task that \
         does any I/O it is noise. It buys results in spawn order, cancellation, and panics as \
         values. A JoinSet also tracks its tasks, so that it can abort them when dropped, which \
         a Vec of JoinHandles does not."
    ));
    Ok(())
}
