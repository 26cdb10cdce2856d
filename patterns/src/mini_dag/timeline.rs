//! After a run: what ran when, and the critical path.
//!
//! The **critical path** is the chain of dependent tasks with the most
//! work in it: each task's duration plus the longest chain before it,
//! taken backwards from the task where that sum is largest. No amount of
//! concurrency makes a run shorter than this chain; the gap between it and
//! the run's total is what waiting for a free worker (the concurrency
//! bound) and scheduling cost. A cached or skipped task counts as no work.
//!
//! [`Timeline::render`] draws it for a terminal, one bar per task on a
//! shared time axis; [`Timeline::to_json`] gives the same for charts.

use std::fmt::Write;
use std::time::Duration;

use serde_json::json;

use super::executor::{RunReport, Status};
use super::graph::Dag;

/// A run laid out in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The pipeline's name.
    pub pipeline: String,
    /// The run's length.
    pub total: Duration,
    /// The concurrency it ran with.
    pub concurrency: usize,
    /// One row per task, in file order.
    pub rows: Vec<Row>,
    /// Indices of the critical path, first task first.
    pub critical_path: Vec<usize>,
    /// The work on the critical path.
    pub critical_work: Duration,
}

/// One task in a [`Timeline`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its id.
    pub id: String,
    /// How it ended.
    pub status: Status,
    /// Start, from the start of the run.
    pub start: Duration,
    /// End, from the start of the run.
    pub end: Duration,
    /// Attempts made.
    pub attempts: u32,
    /// Whether it is on the critical path.
    pub critical: bool,
    /// Its deps' ids.
    pub deps: Vec<String>,
}

impl Timeline {
    /// Lays out `report`, a run of `dag`.
    pub fn of(dag: &Dag, report: &RunReport) -> Timeline {
        let work = |i: usize| {
            let t = &report.tasks[i];
            match t.status {
                Status::Succeeded | Status::Failed(_) => t.end.saturating_sub(t.start),
                Status::Cached | Status::Skipped(_) => Duration::ZERO,
            }
        };
        let critical_path = critical_path(dag, work);
        let critical_work = critical_path.iter().map(|&i| work(i)).sum();
        let rows = report
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| Row {
                id: t.id.clone(),
                status: t.status.clone(),
                start: t.start,
                end: t.end,
                attempts: t.attempts,
                critical: critical_path.contains(&i),
                deps: dag
                    .deps(i)
                    .iter()
                    .map(|&d| dag.task(d).id.clone())
                    .collect(),
            })
            .collect();
        Timeline {
            pipeline: dag.pipeline().name.clone(),
            total: report.total,
            concurrency: report.concurrency,
            rows,
            critical_path,
            critical_work,
        }
    }

    /// The ids on the critical path, first task first.
    pub fn critical_ids(&self) -> Vec<&str> {
        self.critical_path
            .iter()
            .map(|&i| self.rows[i].id.as_str())
            .collect()
    }

    /// Text for a terminal: a heading naming the critical path, then one
    /// bar per task, `width` columns for the whole run, `*` on the rows of
    /// the critical path.
    pub fn render(&self, width: usize) -> String {
        let width = width.max(10);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "timeline of `{}`: {} in all, up to {} at once; * marks the critical path",
            self.pipeline,
            ms(self.total),
            self.concurrency
        );
        if self.critical_path.is_empty() {
            let _ = writeln!(out, "critical path: none, no task ran");
        } else {
            let _ = writeln!(
                out,
                "critical path: {} ({} of work; the run cannot be shorter)",
                self.critical_ids().join(" → "),
                ms(self.critical_work)
            );
        }
        let id_width = self
            .rows
            .iter()
            .map(|r| r.id.chars().count())
            .max()
            .unwrap_or(0);
        let total = self.total.as_secs_f64().max(f64::MIN_POSITIVE);
        let column = |d: Duration| {
            let c = (d.as_secs_f64() / total * width as f64).round() as usize;
            c.min(width)
        };
        for row in &self.rows {
            let (from, to) = (column(row.start), column(row.end));
            let mut bar = vec![' '; width];
            match row.status {
                Status::Succeeded | Status::Failed(_) => {
                    let fill = if matches!(row.status, Status::Failed(_)) {
                        '▒'
                    } else {
                        '█'
                    };
                    for cell in bar.iter_mut().take(to.max(from + 1).min(width)).skip(from) {
                        *cell = fill;
                    }
                }
                Status::Cached | Status::Skipped(_) => bar[from.min(width - 1)] = '·',
            }
            let bar: String = bar.into_iter().collect();
            let mark = if row.critical { '*' } else { ' ' };
            let _ = writeln!(
                out,
                "  {mark} {:<id_width$} |{bar}| {:>8} → {:>8}  {}",
                row.id,
                ms(row.start),
                ms(row.end),
                row.status.word()
            );
        }
        out
    }

    /// The timeline as JSON: times in milliseconds from the start of the run.
    pub fn to_json(&self) -> serde_json::Value {
        let millis = |d: Duration| d.as_secs_f64() * 1e3;
        let tasks: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut task = json!({
                    "id": r.id,
                    "status": r.status.word(),
                    "start_ms": millis(r.start),
                    "end_ms": millis(r.end),
                    "attempts": r.attempts,
                    "critical": r.critical,
                    "deps": r.deps,
                });
                match &r.status {
                    Status::Failed(e) => task["error"] = json!(e),
                    Status::Skipped(b) => task["skipped_because"] = json!(b),
                    Status::Succeeded | Status::Cached => {}
                }
                task
            })
            .collect();
        json!({
            "pipeline": self.pipeline,
            "total_ms": millis(self.total),
            "concurrency": self.concurrency,
            "critical_path": self.critical_ids(),
            "critical_path_ms": millis(self.critical_work),
            "tasks": tasks,
        })
    }
}

/// The chain with the most work: for each task in topological order, its
/// work plus the most along any dep's chain; then back from the largest,
/// each step to the dep with the most (the first in file order on a tie).
/// Empty when no task did any work.
pub fn critical_path(dag: &Dag, work: impl Fn(usize) -> Duration) -> Vec<usize> {
    let mut upto = vec![Duration::ZERO; dag.len()];
    let mut via: Vec<Option<usize>> = vec![None; dag.len()];
    for &i in dag.order() {
        let best = dag
            .deps(i)
            .iter()
            .copied()
            .fold(None, |best: Option<usize>, d| match best {
                Some(b) if upto[b] >= upto[d] => Some(b),
                _ => Some(d),
            });
        via[i] = best;
        upto[i] = work(i) + best.map_or(Duration::ZERO, |b| upto[b]);
    }
    let Some(mut at) = (0..dag.len()).fold(None, |best: Option<usize>, i| match best {
        Some(b) if upto[b] >= upto[i] => Some(b),
        _ => Some(i),
    }) else {
        return Vec::new();
    };
    if upto[at].is_zero() {
        // Nothing ran (all cached or skipped): no chain of work to name.
        return Vec::new();
    }
    let mut path = vec![at];
    while let Some(prev) = via[at] {
        path.push(prev);
        at = prev;
    }
    path.reverse();
    path
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
