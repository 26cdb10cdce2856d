//! # A mini DAG / pipeline framework
//!
//! ## Python idiom
//! TODO lesson.
//!
//! ## Rust answer
//! TODO.
//!
//! ## When to use which
//! TODO.
//!
//! ## What it costs
//! TODO.
//!
//! ## Run it
//! `mastery dag patterns/dags/build.toml --run`.

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
mod executor;
mod export;
mod graph;
mod problem;
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
pub use spec::{
    Action, Builtin, DEFAULT_BACKOFF, DEFAULT_STATE_DIR, Pipeline, TaskSpec, parse, parse_duration,
};
pub use timeline::{Row, Timeline, critical_path};
pub use validate::{load, load_str, validate};
