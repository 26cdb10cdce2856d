//! # A mini DAG / pipeline framework
//!
//! ## Python idiom
//! Airflow, Luigi, Prefect or a Makefile: tasks with dependencies, run in
//! an order that respects them, as parallel as the graph allows, with
//! retries, timeouts and "do not redo what is already done". The standard
//! library has the core since Python 3.9:
//!
//! ```text
//! from graphlib import TopologicalSorter
//! sorter = TopologicalSorter({"report": {"clean"}, "clean": {"fetch"}})
//! sorter.prepare()                       # CycleError(msg, [a, b, c, a])
//! with ThreadPoolExecutor(4) as pool:
//!     while sorter.is_active():
//!         for task in sorter.get_ready(): submit(pool, task)
//!         ...; sorter.done(task)         # releases its dependents
//! ```
//!
//! Everything around it — a file format, its errors, retries, caching,
//! resuming after a crash — is yours to write, or a framework's.
//!
//! ## Rust answer
//! The same idea, [`run_in_order`] below: count each task's unfinished
//! deps, run the ones at zero, count dependents down as tasks end (Kahn's
//! algorithm), and skip whatever sits downstream of a failure. Around it,
//! one file a concern:
//! - **the file** (`spec.rs`): `[[task]]` entries with `id`, `run` (a shell
//!   command) or `builtin`, `deps`, `retries`, `backoff`, `timeout`, `env`,
//!   `inputs`, `outputs`. Parsed with `toml`'s serde support into
//!   [`toml::Spanned`] keys and values, then checked key by key — not with
//!   `deny_unknown_fields`, which stops at the first unknown key — so every
//!   mistake is reported with its `file:line:col` and, for a misspelling,
//!   "did you mean" (edit distance, `strsim`);
//! - **the graph** (`validate.rs`, `graph.rs`): duplicate ids, unknown deps
//!   and every cycle as its full path `a → b → c → a`, found with Tarjan's
//!   strongly connected components (without recursion) and the shortest
//!   cycle through each knot — `petgraph`'s toposort names one node only;
//! - **the run** (`executor.rs`, `action.rs`): a scheduler on the calling
//!   thread owns all the state; a pool of `concurrency` worker threads runs
//!   tasks (`sh -c` in its own process group, output to a log file, killed
//!   at its timeout), each retried under the interview `Backoff`
//!   ([`mastery_interview::retry_backoff::Retry`]). A failure skips its
//!   dependents and reports them; other branches go on;
//! - **the cache** ([`cache`]): a task whose command, env, input contents
//!   and deps' outputs hash to the key of its record is not run again; the
//!   record is written atomically when the task succeeds, which also makes
//!   a run killed with SIGKILL resumable — only unfinished tasks run again;
//! - **the views** (`export.rs`, `timeline.rs`): DOT and Mermaid, and after
//!   a run a timeline with the critical path marked, as text or JSON.
//!
//! ```
//! use std::path::Path;
//! use mastery_patterns::mini_dag::{RunOptions, Status, load_str, run};
//!
//! let cyclic = "[[task]]\nid = \"a\"\nbuiltin = \"noop\"\ndeps = [\"a\"]\n";
//! let problems = load_str(cyclic, Path::new("p.toml")).expect_err("a cycle");
//! assert!(problems.to_string().contains("p.toml:4:8: dependency cycle: a → a"));
//!
//! let dag = load_str(r#"
//!     [[task]]
//!     id = "fetch"
//!     builtin = "noop"
//!     [[task]]
//!     id = "parse"
//!     builtin = "fail"
//!     deps = ["fetch"]
//!     [[task]]
//!     id = "report"
//!     builtin = "noop"
//!     deps = ["parse"]
//!     [[task]]
//!     id = "upload"
//!     builtin = "flaky 1"
//!     retries = 1
//!     backoff = "1ms"
//!     deps = ["fetch"]
//! "#, Path::new("p.toml"))?;
//! let mut options = RunOptions::new(2);
//! options.use_cache = false; // no records written
//! let report = run(&dag, &options, &mut |_| {})?;
//! assert_eq!(report.ids("ran"), ["fetch", "upload"]);
//! assert_eq!(report.tasks[2].status, Status::Skipped("parse".into()));
//! assert_eq!(report.tasks[3].attempts, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Threads, not tokio: a running task is a child process to wait for (or a
//! built-in that sleeps), and the retry sleeps are the blocking `Retry`;
//! the concurrency bound is small, so a thread per running task costs
//! nothing an async runtime would save, keeps `std::process` (no async
//! process API needed) and keeps the scheduler a plain loop over a channel.
//! With thousands of I/O-bound tasks at once, tokio and `JoinSet` would be
//! the better fit.
//!
//! ## When to use which
//! - **This module / `mastery dag`** for a local pipeline of commands:
//!   builds, data preparation, a CI-like sequence on one machine, where
//!   "what changed" is file contents.
//! - **Make or Ninja** when the tasks are file-to-file and mtimes are good
//!   enough; **Bazel, Buck or Nix** when builds must be hermetic and shared.
//! - **Airflow, Prefect, Dagster, Argo** when runs are scheduled, span
//!   machines, need a UI, history and alerting — a process on one machine
//!   is the wrong tool there.
//! - **`graphlib` + a pool** (Python) or `petgraph` + rayon/tokio (Rust)
//!   when the tasks are functions in one program and you need only order
//!   and parallelism.
//!
//! ## What it costs
//! The demo measures, in this run:
//! - **validation**: how many problems one pass reports for a bad file,
//!   next to typed serde structs with `deny_unknown_fields` (the first);
//! - **the cache**: how many tasks an unchanged re-run executes next to
//!   `--force` (a count, exact);
//! - **scheduling overhead per task** on four shapes — a chain, a diamond,
//!   a fan-out 1 → N and N independent tasks — of no-op tasks, ours (build
//!   the `Dag`, run it on worker threads) against `graphlib` driving a
//!   `ThreadPoolExecutor` in `python3`, paired round by round (full and
//!   deep mode; a quick run times ours alone, since starting the
//!   interpreter would outlast the rest of it).
//!
//! Where the costs are: a task hand-off is two channel messages and a
//! thread wake-up on each side; a chain pays it in full for every task,
//! wide shapes overlap it. A cache lookup reads one small JSON record and
//! hashes the declared inputs and outputs (XXH3, so hashing is limited by
//! reading the files). Timeouts are checked by polling the child (std has
//! no wait-with-timeout), a few wake-ups a second for a long command.
//! What you give up next to a framework: no scheduler daemon, no remote
//! workers, no UI; one machine, one user's cache.
//!
//! ## Run it
//! `mastery run patterns/mini-dag` for the demo. As a tool:
//! `mastery dag patterns/dags/build.toml` validates and lists the tasks by
//! level, `--dot` / `--mermaid` draw it, `--run` runs it (parallel tasks, a
//! flaky upload retried, then the timeline; run it again and everything is
//! cached; `--force` runs all, `-j N` bounds concurrency, `--json` prints
//! the timeline as JSON). `mastery dag patterns/dags/cyclic.toml` prints
//! its cycle and exits 2. `cargo test -p mastery-patterns mini_dag` runs
//! the unit and property tests; `cargo test --test dag` the command,
//! including a run killed with SIGKILL and resumed.
//!
//! ## Follow-ups
//! - **How is a cycle reported?** As a path, `a → b → c → a`: Tarjan's
//!   algorithm finds each knot and a breadth-first search its shortest cycle
//!   (`find_cycles` in `patterns/src/mini_dag/graph.rs`);
//!   `patterns/src/mini_dag/validate.rs` reports each at its `file:line:col`.
//!   The textbook `simple_order` (`patterns/src/mini_dag/simple_order.rs`)
//!   walks back through unplaced predecessors.
//! - **What about very long chains?** Nothing recurses: Tarjan keeps an
//!   explicit stack, the order is Kahn's loop, and skipping after a failure is
//!   a work list; `cycles_in_a_long_chain_do_not_overflow_the_stack`
//!   (`patterns/src/mini_dag/tests/validation.rs`) checks a ring of 100 000
//!   tasks. A chain never overlaps, so each task pays a full hand-off.
//! - **What if one task fails?** It is retried first (`retries`, `backoff`,
//!   under the interview `Retry`); then everything downstream is
//!   `Status::Skipped` while other branches go on
//!   (`patterns/src/mini_dag/executor.rs`). Only successes write a cache
//!   record, so with the cache on, an unchanged re-run redoes just the failed
//!   and skipped tasks.
//! - **Is it thread-safe?** By construction: the scheduler alone owns the run's
//!   state, so none of it is locked; workers own just the attempt they run and
//!   talk over two `mpsc` channels (`Scheduler` and `work` in
//!   `patterns/src/mini_dag/executor.rs`).
//! - **What bounds memory; what breaks at 10× tasks?** Memory is O(tasks +
//!   edges); output goes to log files (`patterns/src/mini_dag/action.rs`).
//!   Worker threads are capped at `concurrency` (`RunOptions` in
//!   `patterns/src/mini_dag/executor.rs`), so ten times the tasks is a longer
//!   queue, not more threads; thousands of I/O-bound tasks would suit tokio
//!   better.
//! - **How do you test it?** `executor_agrees_with_the_core`
//!   (`patterns/src/mini_dag/tests/run.rs`) runs random graphs with random
//!   failures on the threaded executor and on `run_in_order` and wants the same
//!   end for each task; `tests/dag.rs` kills a run with SIGKILL and checks that
//!   it resumes.

use std::collections::VecDeque;

// ANCHOR: core
/// How a task ended in [`run_in_order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It ran and succeeded.
    Succeeded,
    /// It ran and failed.
    Failed,
    /// It did not run: a task it depends on (directly or not) failed.
    Skipped,
}

/// The whole idea, one task at a time: `deps[i]` lists the tasks task `i`
/// needs. Count each task's unfinished deps; every task whose count is zero
/// is ready; run a ready task, and when it ends, count its dependents down
/// — a dependent reaching zero is ready in turn (Kahn's algorithm). A
/// failed task's dependents never run: they are skipped, and so are
/// theirs, while branches that do not need it go on. Tasks a cycle keeps
/// waiting forever are left `None` (validation refuses cycles first).
pub fn run_in_order<E>(
    deps: &[Vec<usize>],
    mut run: impl FnMut(usize) -> Result<(), E>,
) -> Vec<Option<Ended>> {
    let n = deps.len();
    let mut dependents = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut failed_dep = vec![false; n];
    let mut ready: VecDeque<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut ended = vec![None; n];
    while let Some(i) = ready.pop_front() {
        let outcome = if failed_dep[i] {
            Ended::Skipped
        } else if run(i).is_ok() {
            Ended::Succeeded
        } else {
            Ended::Failed
        };
        ended[i] = Some(outcome);
        for &j in &dependents[i] {
            // A skipped or failed task passes "do not run" on.
            failed_dep[j] |= outcome != Ended::Succeeded;
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push_back(j);
            }
        }
    }
    ended
}
// ANCHOR_END: core

mod action;
pub mod cache;
mod demo;
mod executor;
mod export;
mod graph;
mod problem;
mod python_peer;
mod shapes;
mod simple_order;
mod spec;
mod timeline;
mod validate;

#[cfg(test)]
mod tests;

pub use action::{Attempt, run_attempt};
pub use executor::{Event, RunOptions, RunReport, Status, TaskRun, run};
pub use export::{to_dot, to_mermaid};
pub use graph::{Dag, GraphError, find_cycles};
pub use problem::{DagError, Location, Problem, Problems, did_you_mean};
pub use python_peer::PythonRunner;
pub use shapes::Shape;
pub use simple_order::simple_order;
pub use spec::{
    Action, Builtin, DEFAULT_BACKOFF, DEFAULT_STATE_DIR, Pipeline, TaskSpec, parse, parse_duration,
};
pub use timeline::{Row, Timeline, critical_path};
pub use validate::{load, load_str, validate};
