//! The four graph shapes the demo times, built the same way here and in
//! the Python runner (`graphlib_runner.py`), so both sides schedule the
//! same graph of no-op tasks.

use std::path::Path;

use super::spec::{Action, Builtin, Pipeline, TaskSpec};

/// A graph shape of `n` tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `t0 → t1 → … → tn-1`: no parallelism at all, every hand-off waits.
    Chain,
    /// `t0 → {t1 … tn-2} → tn-1`: fan out, then fan in.
    Diamond,
    /// `t0 → {t1 … tn-1}`: one task releases all the others.
    FanOut,
    /// `n` tasks without deps: as parallel as it gets.
    Independent,
}

impl Shape {
    /// All four, in the demo's order.
    pub const ALL: [Shape; 4] = [
        Shape::Chain,
        Shape::Diamond,
        Shape::FanOut,
        Shape::Independent,
    ];

    /// The name the Python runner knows it by.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Diamond => "diamond",
            Shape::FanOut => "fanout",
            Shape::Independent => "independent",
        }
    }

    /// A label for a table: `a diamond 1 → 198 → 1`.
    pub fn describe(self, n: usize) -> String {
        let n = n.max(3);
        match self {
            Shape::Chain => format!("a chain of {n}"),
            Shape::Diamond => format!("a diamond 1 → {} → 1", n - 2),
            Shape::FanOut => format!("a fan-out 1 → {}", n - 1),
            Shape::Independent => format!("{n} independent tasks"),
        }
    }

    /// The deps of each of `n` tasks (indices; `n` is at least 3).
    pub fn deps(self, n: usize) -> Vec<Vec<usize>> {
        let n = n.max(3);
        (0..n)
            .map(|i| match self {
                Shape::Chain if i > 0 => vec![i - 1],
                Shape::Diamond if i == n - 1 => (1..n - 1).collect(),
                Shape::Diamond | Shape::FanOut if i > 0 => vec![0],
                _ => Vec::new(),
            })
            .collect()
    }

    /// A pipeline of `n` no-op built-ins in this shape, based in `dir`.
    pub fn pipeline(self, n: usize, dir: &Path) -> Pipeline {
        let tasks = self
            .deps(n)
            .into_iter()
            .enumerate()
            .map(|(i, deps)| {
                let names: Vec<String> = deps.iter().map(|d| format!("t{d}")).collect();
                TaskSpec::new(format!("t{i}"), Action::Builtin(Builtin::Noop))
                    .after(names.iter().map(String::as_str))
            })
            .collect();
        Pipeline::in_dir(self.name(), dir, tasks)
    }
}
