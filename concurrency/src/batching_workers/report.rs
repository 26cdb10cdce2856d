//! The report a finished pipeline hands back: per stage, what it received,
//! passed on and rejected, how busy it was, how long it waited for room,
//! and how full its output queue was — and the balance that proves no item
//! was lost.

use std::fmt;
use std::time::Duration;

use mastery_kit::narrator::{format_value, millis};

/// What a stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageKind {
    /// Where items enter ([`Source::send`](super::Source::send)).
    Source,
    /// One item in, one out or rejected
    /// ([`PipelineBuilder::map`](super::PipelineBuilder::map)).
    Map,
    /// Batches in, one output per item
    /// ([`PipelineBuilder::batch`](super::PipelineBuilder::batch)).
    Batch,
    /// Items in, nothing out
    /// ([`PipelineBuilder::sink`](super::PipelineBuilder::sink)).
    Sink,
}

/// A queue's figures at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueStats {
    /// Its capacity.
    pub capacity: usize,
    /// The most items it held at once.
    pub peak: usize,
    /// Items still in it when the run ended (0 after a clean drain).
    pub left: usize,
    /// How many times the sampler looked.
    pub samples: u64,
    /// Mean depth over the samples (`None` without samples).
    pub mean_depth: Option<f64>,
    /// Share of samples, 0–1, that found it full (`None` without samples).
    pub full_share: Option<f64>,
}

/// How a batching stage's batches ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Batches handed to the handler.
    pub batches: u64,
    /// ...of which were full.
    pub by_size: u64,
    /// ...of which were flushed at their deadline.
    pub by_deadline: u64,
    /// ...of which were flushed because the inbox closed.
    pub by_close: u64,
    /// The largest batch.
    pub largest: usize,
}

/// One stage's figures at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    /// The stage's name.
    pub name: String,
    /// What it does.
    pub kind: StageKind,
    /// Its worker tasks.
    pub workers: usize,
    /// Items taken from its inbox (for the source: items queued).
    pub received: u64,
    /// Items passed on (for the sink: items handled successfully).
    pub emitted: u64,
    /// Items its handler rejected (map stages).
    pub rejected: u64,
    /// Time inside the handler, summed over workers.
    pub busy: Duration,
    /// Time spent waiting for room in its output queue: backpressure.
    pub blocked: Duration,
    /// Sends that found the output queue full.
    pub blocked_sends: u64,
    /// From its first item received to its last item finished.
    pub active: Duration,
    /// Batch figures (batching stages).
    pub batches: Option<BatchStats>,
    /// Its output queue (every stage but the sink).
    pub outbox: Option<QueueStats>,
    /// The first few rejection messages.
    pub rejections: Vec<String>,
}

impl StageReport {
    /// Items it took but neither passed on nor rejected: held when the
    /// pipeline stopped after a failure (0 after a clean run).
    pub fn abandoned(&self) -> u64 {
        self.received
            .saturating_sub(self.emitted)
            .saturating_sub(self.rejected)
    }

    /// Items received per second over its active time (`None` if it was
    /// never active for a measurable time).
    pub fn throughput(&self) -> Option<f64> {
        let secs = self.active.as_secs_f64();
        (secs > 0.0 && self.received > 0).then(|| self.received as f64 / secs)
    }
}

/// What a pipeline did, stage by stage; `stages[0]` is the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The stages in pipeline order.
    pub stages: Vec<StageReport>,
    /// From `PipelineBuilder::new` to the end of `finish`.
    pub elapsed: Duration,
}

impl Report {
    /// Items the source queued.
    pub fn produced(&self) -> u64 {
        self.stages.first().map_or(0, |s| s.emitted)
    }

    /// Items the sink handled successfully.
    pub fn sunk(&self) -> u64 {
        self.stages.last().map_or(0, |s| s.emitted)
    }

    /// Items rejected by any stage.
    pub fn rejected(&self) -> u64 {
        self.stages.iter().map(|s| s.rejected).sum()
    }

    /// Items held by stages when a failure stopped them.
    pub fn abandoned(&self) -> u64 {
        self.stages.iter().map(StageReport::abandoned).sum()
    }

    /// Items still in queues when the run ended (dropped with a failed
    /// stage's inbox).
    pub fn left_in_queues(&self) -> u64 {
        self.stages
            .iter()
            .filter_map(|s| s.outbox.map(|q| q.left as u64))
            .sum()
    }

    /// `produced == sunk + rejected + abandoned + left_in_queues`: every item
    /// is in exactly one count, however the run ended.
    pub fn is_balanced(&self) -> bool {
        self.produced() == self.sunk() + self.rejected() + self.abandoned() + self.left_in_queues()
    }

    /// Balanced with nothing abandoned or left: `produced == sunk + rejected`.
    pub fn lost_nothing(&self) -> bool {
        self.is_balanced() && self.abandoned() == 0 && self.left_in_queues() == 0
    }

    /// The share, 0–1, of the run that `stage`'s workers spent in its
    /// handler (`None` for the source, or a run of no measurable length).
    pub fn utilization(&self, stage: &StageReport) -> Option<f64> {
        let capacity = self.elapsed.as_secs_f64() * stage.workers as f64;
        (stage.kind != StageKind::Source && capacity > 0.0)
            .then(|| stage.busy.as_secs_f64() / capacity)
    }

    /// The stage with the highest [`Report::utilization`]: the bottleneck,
    /// whose pace every other stage ends up keeping.
    pub fn bottleneck(&self) -> Option<&StageReport> {
        let busy = |s: &&StageReport| self.utilization(s).unwrap_or(0.0);
        self.stages
            .iter()
            .filter(|s| s.kind != StageKind::Source)
            .max_by(|a, b| busy(a).total_cmp(&busy(b)))
    }

    /// The stage called `name`.
    pub fn stage(&self, name: &str) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// The balance as one line: `produced 10 = sunk 8 + rejected 2 + …`.
    pub fn balance(&self) -> String {
        format!(
            "produced {} = sunk {} + rejected {} + abandoned {} + left in queues {}",
            self.produced(),
            self.sunk(),
            self.rejected(),
            self.abandoned(),
            self.left_in_queues()
        )
    }
}

impl fmt::Display for Report {
    /// A table, one row per stage (the queue columns describe the stage's
    /// output queue), then the batch figures and the balance.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.stages.iter().map(|s| s.name.len()).fold(5, usize::max);
        writeln!(
            f,
            "{:<w$} {:>2} {:>7} {:>7} {:>4} {:>5} {:>9} {:>9} | {:>5} {:>4} {:>5} {:>5}",
            "stage",
            "wk",
            "in",
            "out",
            "rej",
            "busy",
            "blocked",
            "items/s",
            "queue",
            "peak",
            "mean",
            "full"
        )?;
        for s in &self.stages {
            let busy = self.utilization(s).map(|u| format!("{:.0}%", 100.0 * u));
            let q = s.outbox;
            writeln!(
                f,
                "{:<w$} {:>2} {:>7} {:>7} {:>4} {:>5} {:>6.1} ms {:>9} | {:>5} {:>4} {:>5} {:>5}",
                s.name,
                s.workers,
                s.received,
                s.emitted,
                s.rejected,
                dash(busy),
                millis(s.blocked),
                dash(s.throughput().map(format_value)),
                dash(q.map(|q| q.capacity.to_string())),
                dash(q.map(|q| q.peak.to_string())),
                dash(q.and_then(|q| q.mean_depth).map(|m| format!("{m:.1}"))),
                dash(
                    q.and_then(|q| q.full_share)
                        .map(|s| format!("{:.0}%", 100.0 * s))
                ),
            )?;
        }
        for s in &self.stages {
            if let Some(b) = s.batches {
                writeln!(
                    f,
                    "{}: {} batches (full {}, at deadline {}, at close {}), largest {}, mean {:.1}",
                    s.name,
                    b.batches,
                    b.by_size,
                    b.by_deadline,
                    b.by_close,
                    b.largest,
                    s.received as f64 / b.batches.max(1) as f64
                )?;
            }
        }
        write!(f, "{}", self.balance())
    }
}

fn dash(cell: Option<String>) -> String {
    cell.unwrap_or_else(|| "-".to_owned())
}
