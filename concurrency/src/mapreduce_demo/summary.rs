//! What `mastery mapreduce` prints about a run, in a form a person reads
//! and a program parses back.

use std::time::Duration;

use super::counts::WordCounts;

/// The summary `mastery mapreduce` prints: `key: value` lines a person can
/// read and a program (the demo, the tests) can parse back.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Which engine, in words.
    pub engine: String,
    /// Corpus bytes counted.
    pub bytes: u64,
    /// Words counted.
    pub words: u64,
    /// Distinct words.
    pub distinct: u64,
    /// Seconds spent counting (not generating, not connecting).
    pub seconds: f64,
    /// [`WordCounts::digest`] of the table.
    pub digest: u64,
}

impl RunSummary {
    /// The summary of `counts`, counted from `bytes` in `elapsed`.
    pub fn new(
        engine: impl Into<String>,
        bytes: u64,
        counts: &WordCounts,
        elapsed: Duration,
    ) -> Self {
        RunSummary {
            engine: engine.into(),
            bytes,
            words: counts.total(),
            distinct: counts.distinct() as u64,
            seconds: elapsed.as_secs_f64(),
            digest: counts.digest(),
        }
    }

    /// Throughput in MB/s (10^6 bytes).
    pub fn megabytes_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(f64::MIN_POSITIVE)
    }

    /// The summary as lines of `key: value`.
    pub fn render(&self) -> String {
        format!(
            "engine:     {}\nbytes:      {}\nwords:      {}\ndistinct:   {}\nseconds:    {:.6}\nthroughput: {:.1} MB/s\ndigest:     {:016x}\n",
            self.engine,
            self.bytes,
            self.words,
            self.distinct,
            self.seconds,
            self.megabytes_per_sec(),
            self.digest
        )
    }

    /// Reads a summary back from `text` (other lines are ignored); `None`
    /// when a field is missing or malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let field = |key: &str| {
            text.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_owned())
            })
        };
        let first = |key: &str| field(key)?.split_whitespace().next().map(str::to_owned);
        Some(RunSummary {
            engine: field("engine")?,
            bytes: first("bytes")?.parse().ok()?,
            words: first("words")?.parse().ok()?,
            distinct: first("distinct")?.parse().ok()?,
            seconds: first("seconds")?.parse().ok()?,
            digest: u64::from_str_radix(&first("digest")?, 16).ok()?,
        })
    }
}
