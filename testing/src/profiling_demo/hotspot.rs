//! Reading two different profiles the same way: each tool's cost of the
//! functions [`summarize`](super::summarize) calls, grouped by stage. The
//! callgrind table holds inclusive instruction counts of calls, the sampler
//! holds stacks; both reduce to "how much of the pipeline went into each
//! stage", which is what cProfile's `cumtime` column says of a Python
//! function's callees — and what makes the two comparable.

use super::workload::{STAGES, stage_of};

/// One tool's cost of the pipeline, per stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCosts {
    /// The tool that measured it.
    pub tool: &'static str,
    /// Its unit (`Ir`, `samples`).
    pub unit: &'static str,
    /// Each stage of [`STAGES`], in pipeline order, with its cost.
    pub stages: Vec<(&'static str, u64)>,
    /// What the pipeline spent outside the stages (its own code, frees of
    /// the stages' results).
    pub other: u64,
}

impl StageCosts {
    /// Groups `callees` (function name and inclusive cost, as
    /// [`CallgrindProfile::callees`](super::CallgrindProfile::callees) and
    /// [`Samples::callees`](super::Samples::callees) give them) by stage.
    pub fn from_callees(tool: &'static str, unit: &'static str, callees: &[(String, u64)]) -> Self {
        let mut stages: Vec<(&'static str, u64)> = STAGES.iter().map(|&s| (s, 0)).collect();
        let mut other = 0;
        for (function, cost) in callees {
            match stage_of(function).and_then(|s| stages.iter_mut().find(|(name, _)| *name == s)) {
                Some((_, total)) => *total += cost,
                None => other += cost,
            }
        }
        StageCosts {
            tool,
            unit,
            stages,
            other,
        }
    }

    /// Everything the tool attributed to the pipeline.
    pub fn total(&self) -> u64 {
        self.stages.iter().map(|(_, c)| c).sum::<u64>() + self.other
    }

    /// The stage with the highest cost; `None` when the tool saw none of
    /// them (no samples, or a profile of something else).
    pub fn hottest(&self) -> Option<&'static str> {
        self.stages
            .iter()
            .filter(|(_, c)| *c > 0)
            .max_by_key(|(_, c)| *c)
            .map(|(s, _)| *s)
    }

    /// A stage's share of [`StageCosts::total`], in percent.
    pub fn percent(&self, stage: &str) -> f64 {
        let cost = self
            .stages
            .iter()
            .find(|(s, _)| *s == stage)
            .map_or(0, |(_, c)| *c);
        100.0 * cost as f64 / self.total().max(1) as f64
    }

    /// The table as lines: stage, cost, share.
    pub fn table(&self) -> Vec<String> {
        let mut rows: Vec<String> = self
            .stages
            .iter()
            .map(|(stage, cost)| {
                format!(
                    "{stage:<18} {cost:>12} {:<7} {:>5.1} %",
                    self.unit,
                    self.percent(stage)
                )
            })
            .collect();
        rows.push(format!(
            "{:<18} {:>12} {:<7} {:>5.1} %",
            "(outside stages)",
            self.other,
            self.unit,
            100.0 * self.other as f64 / self.total().max(1) as f64
        ));
        rows
    }
}

/// The stage every profile names as the hottest, when they all name the
/// same one (and there is at least one profile).
pub fn agreed_hotspot(profiles: &[&StageCosts]) -> Option<&'static str> {
    let first = profiles.first()?.hottest()?;
    profiles
        .iter()
        .all(|p| p.hottest() == Some(first))
        .then_some(first)
}
