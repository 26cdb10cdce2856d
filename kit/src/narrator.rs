//! The narrator: how a topic talks to the reader, and the records it keeps.
//!
//! A topic never prints directly. It calls [`Narrator::section`],
//! [`Narrator::say`] and the measuring methods; the narrator formats the
//! story for the terminal and keeps every figure it printed as a
//! [`Measurement`] or [`Comparison`], which the tour turns into JSON and a
//! Markdown report.
//!
//! What is enforced, and what is not: the recording methods are the only way
//! a figure reaches the JSON document and the report, and each records what
//! it prints. [`Narrator::say`] and [`Narrator::show`] print any text, so a
//! demo *could* format a number into prose; the kit's rule is that such a
//! number is either measured in the run (a size the demo just computed, a
//! count it just made) or is not a measurement at all (a constant of the
//! workload, such as "1 000 000 records"). Review enforces that, not types.

use std::fmt;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::comparison::Comparison;
use crate::settings::Settings;

/// How long demos may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Small inputs and few samples: every demo well under a second, so the
    /// test suite runs all of them. Its comparisons are too short for a
    /// verdict; it checks that every story still runs.
    Quick,
    /// Sizes that show the real trade-off, in about a minute for the whole
    /// tour; what a reader runs.
    #[default]
    Full,
    /// The long measurements: the largest inputs and many samples, for a
    /// reader who wants the tightest intervals and has minutes to spare.
    Deep,
}

impl Mode {
    /// Picks the quick or the full value of a size or count; deep mode takes
    /// the full value (see [`Mode::pick_deep`] for a size of its own).
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Mode::Quick => quick,
            Mode::Full | Mode::Deep => full,
        }
    }

    /// Picks the quick, full or deep value of a size or count.
    pub fn pick_deep<T>(self, quick: T, full: T, deep: T) -> T {
        match self {
            Mode::Quick => quick,
            Mode::Full => full,
            Mode::Deep => deep,
        }
    }

    /// Timed samples per measurement in this mode unless configured.
    pub fn default_samples(self) -> usize {
        self.pick_deep(QUICK_SAMPLES, DEFAULT_SAMPLES, DEEP_SAMPLES)
    }
}

/// The unit of a measured value; it also knows which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Nanoseconds per operation (lower is better).
    #[serde(rename = "ns/op")]
    NsPerOp,
    /// Operations per second (higher is better).
    #[serde(rename = "ops/s")]
    OpsPerSec,
    /// Megabytes (10^6 bytes) per second (higher is better).
    #[serde(rename = "MB/s")]
    MegabytesPerSec,
    /// Bytes (lower is better: memory).
    #[serde(rename = "bytes")]
    Bytes,
    /// A percentage, 0–100 (higher is better: hit ratio, efficiency).
    #[serde(rename = "%")]
    Percent,
    /// A plain count of events (calls made, updates lost; lower is better).
    #[serde(rename = "count")]
    Count,
    /// Milliseconds of elapsed time (lower is better).
    #[serde(rename = "ms")]
    Millis,
}

impl Unit {
    /// Whether a larger value is the better one.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Unit::OpsPerSec | Unit::MegabytesPerSec | Unit::Percent
        )
    }

    /// Whether values in this unit are exact (counted, not timed): bytes,
    /// counts and percentages of counts carry no measurement noise.
    pub fn is_exact(self) -> bool {
        matches!(self, Unit::Bytes | Unit::Count | Unit::Percent)
    }

    /// The unit's short symbol, as printed and serialized.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::NsPerOp => "ns/op",
            Unit::OpsPerSec => "ops/s",
            Unit::MegabytesPerSec => "MB/s",
            Unit::Bytes => "bytes",
            Unit::Percent => "%",
            Unit::Count => "count",
            Unit::Millis => "ms",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The topic that measured it.
    pub topic: String,
    /// What was measured.
    pub label: String,
    /// The value, in `unit`.
    pub value: f64,
    /// The unit of `value`.
    pub unit: Unit,
}

/// The result of timing a closure: median time per operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Median over the samples of (sample time / operations per sample), in
    /// nanoseconds: a float, because sub-nanosecond operations are common.
    pub ns_per_op: f64,
    /// How many samples the median was taken over.
    pub samples: usize,
}

impl Timing {
    /// Median time per operation.
    pub fn per_op(&self) -> Duration {
        Duration::from_secs_f64(self.ns_per_op.max(0.0) / 1e9)
    }

    /// Operations per second.
    pub fn ops_per_sec(&self) -> f64 {
        1e9 / self.ns_per_op.max(f64::MIN_POSITIVE)
    }
}

/// Tells a topic's story and records its figures. See the module docs.
pub struct Narrator {
    topic: String,
    mode: Mode,
    samples: usize,
    out: Box<dyn Write + Send>,
    measurements: Vec<Measurement>,
    comparisons: Vec<Comparison>,
    settings: Settings,
}

impl fmt::Debug for Narrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Narrator")
            .field("topic", &self.topic)
            .field("mode", &self.mode)
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

/// Samples per measurement in quick mode: enough to run every branch, too
/// few for a verdict.
pub const QUICK_SAMPLES: usize = 3;
/// Samples per measurement in full mode, unless configured: nine pairs give
/// a sign-test interval of 96 % coverage (see `stats::median_ratio_interval`).
pub const DEFAULT_SAMPLES: usize = 9;
/// Samples per measurement in deep mode, unless configured.
pub const DEEP_SAMPLES: usize = 21;

const WIDTH: usize = 78;

impl Narrator {
    /// A narrator for `topic` writing to `out`, taking the mode's default
    /// number of samples ([`Mode::default_samples`]); see
    /// [`Narrator::with_samples`].
    pub fn new(topic: impl Into<String>, mode: Mode, out: Box<dyn Write + Send>) -> Self {
        Narrator {
            topic: topic.into(),
            mode,
            samples: mode.default_samples(),
            out,
            measurements: Vec::new(),
            comparisons: Vec::new(),
            settings: Settings::default(),
        }
    }

    /// Hands the demo the reader's settings (see [`Settings`]).
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The reader's settings: an external server, an interpreter, the
    /// worker program. [`Settings::default`] when nothing was configured.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A narrator that prints nothing (tests, `--json`) but still records.
    pub fn silent(topic: impl Into<String>, mode: Mode) -> Self {
        Self::new(topic, mode, Box::new(std::io::sink()))
    }

    /// Sets the number of timed samples per measurement in full and deep
    /// mode (quick mode always takes [`QUICK_SAMPLES`]). At least 1.
    pub fn with_samples(mut self, samples: usize) -> Self {
        if self.mode != Mode::Quick {
            self.samples = samples.max(1);
        }
        self
    }

    /// Timed samples per measurement in this run: for a demo that times
    /// several contenders round-robin itself and then calls
    /// [`Narrator::compare_samples`].
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// The mode the demo runs in; demos size their inputs with [`Mode::pick`].
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The topic id this narrator records for.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Everything measured so far.
    pub fn measurements(&self) -> &[Measurement] {
        &self.measurements
    }

    /// Every comparison made so far.
    pub fn comparisons(&self) -> &[Comparison] {
        &self.comparisons
    }

    /// The value recorded under exactly `label`, if the demo recorded one:
    /// how a topic's test checks a figure its demo must produce.
    pub fn recorded(&self, label: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.label == label)
            .map(|m| m.value)
    }

    /// The first comparison made against the peer named `peer_name`, if any.
    pub fn comparison_with(&self, peer_name: &str) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| c.peer_name == peer_name)
    }

    /// Gives up the records (used by the runner once the demo is done).
    pub fn into_records(self) -> (Vec<Measurement>, Vec<Comparison>) {
        (self.measurements, self.comparisons)
    }

    /// The opening of a topic's story: id and title, then the Python idiom
    /// and the Rust answer on lines of their own.
    pub fn banner(&mut self, id: &str, title: &str, python: &str, rust: &str) {
        let rule = "━".repeat(WIDTH.min(id.chars().count() + title.chars().count() + 5));
        self.emit(&format!(
            "\n{rule}\n {id} — {title}\n{rule}\n  Python: {python}\n  Rust:   {rust}\n"
        ));
    }

    /// Starts a section of the story.
    pub fn section(&mut self, title: &str) {
        self.emit(&format!("\n== {title} ==\n"));
    }

    /// A paragraph of prose, wrapped to the terminal width.
    pub fn say(&mut self, text: &str) {
        let mut wrapped = wrap(text, WIDTH - 2, "  ");
        wrapped.push('\n');
        self.emit(&wrapped);
    }

    /// A line printed verbatim (code, small tables), indented.
    pub fn show(&mut self, line: impl fmt::Display) {
        self.emit(&format!("    {line}\n"));
    }

    /// Records a figure measured by the demo itself (a hit ratio, a count of
    /// calls, a size reported by the allocator) and prints it.
    pub fn record(&mut self, label: &str, value: f64, unit: Unit) -> f64 {
        self.emit(&format!("  * {label:<50} {} {unit}\n", format_value(value)));
        self.measurements.push(Measurement {
            topic: self.topic.clone(),
            label: label.to_owned(),
            value,
            unit,
        });
        value
    }

    /// Records a count the demo made (calls, items lost, rows) and prints it.
    /// Takes any integer type, so demos need no `as f64` casts.
    pub fn record_count(&mut self, label: &str, count: impl TryInto<u64>) -> u64 {
        // Counts are non-negative and fit in u64 on every platform the kit
        // builds for; a negative value is a bug in the demo, shown as 0.
        let count: u64 = count.try_into().unwrap_or(0);
        self.record(label, count as f64, Unit::Count);
        count
    }

    /// Records a size in bytes the demo measured and prints it.
    pub fn record_bytes(&mut self, label: &str, bytes: impl TryInto<u64>) -> u64 {
        let bytes: u64 = bytes.try_into().unwrap_or(0);
        self.record(label, bytes as f64, Unit::Bytes);
        bytes
    }

    /// Records an elapsed time the demo measured, in milliseconds.
    pub fn record_duration(&mut self, label: &str, elapsed: Duration) -> Duration {
        self.record(label, millis(elapsed), Unit::Millis);
        elapsed
    }

    /// Prints a multi-line value (a report, an error group) one line at a
    /// time, each indented like [`Narrator::show`].
    pub fn show_block(&mut self, text: &impl fmt::Display) {
        for line in text.to_string().lines() {
            self.show(line);
        }
    }

    /// Times `work`, which performs `ops` operations per call: one warm-up
    /// call, then the configured number of samples; records and prints the
    /// median time per operation.
    pub fn measure<R>(&mut self, label: &str, ops: u64, mut work: impl FnMut() -> R) -> Timing {
        black_box(work());
        let mut per_op: Vec<f64> = (0..self.samples).map(|_| sample(ops, &mut work)).collect();
        let timing = Timing {
            ns_per_op: median(&mut per_op),
            samples: self.samples,
        };
        self.record(label, timing.ns_per_op, Unit::NsPerOp);
        timing
    }

    /// Times ours against a peer on the same work, interleaving their samples
    /// so that machine noise hits both alike; records and prints both medians,
    /// the ratio with its confidence interval, and the verdict (see
    /// [`Comparison`]).
    pub fn compare_timed<A, B>(
        &mut self,
        label: &str,
        ops: u64,
        ours: impl FnMut() -> A,
        peer_name: &str,
        peer: impl FnMut() -> B,
    ) -> Comparison {
        let (ours_ns, peer_ns) = self.interleaved(ops, ours, peer);
        self.compare_samples(label, &ours_ns, &peer_ns, peer_name, Unit::NsPerOp)
    }

    /// As [`Narrator::compare_timed`] for work that processes `bytes` bytes
    /// per call: records and prints throughput in MB/s (10^6 bytes).
    pub fn compare_throughput<A, B>(
        &mut self,
        label: &str,
        bytes: u64,
        ours: impl FnMut() -> A,
        peer_name: &str,
        peer: impl FnMut() -> B,
    ) -> Comparison {
        let (ours_ns, peer_ns) = self.interleaved(bytes, ours, peer);
        let mb_per_sec = |ns_per_byte: &f64| 1e3 / ns_per_byte.max(f64::MIN_POSITIVE);
        let ours: Vec<f64> = ours_ns.iter().map(mb_per_sec).collect();
        let peer: Vec<f64> = peer_ns.iter().map(mb_per_sec).collect();
        self.compare_samples(label, &ours, &peer, peer_name, Unit::MegabytesPerSec)
    }

    /// One warm-up call each, then the configured number of samples of each,
    /// alternating which goes first; the nanoseconds per op of every sample,
    /// paired by round.
    fn interleaved<A, B>(
        &mut self,
        ops: u64,
        mut ours: impl FnMut() -> A,
        mut peer: impl FnMut() -> B,
    ) -> (Vec<f64>, Vec<f64>) {
        black_box(ours());
        black_box(peer());
        let mut ours_t = Vec::with_capacity(self.samples);
        let mut peer_t = Vec::with_capacity(self.samples);
        for i in 0..self.samples {
            // Alternating who goes first keeps a drift (a CPU clocking up, a
            // cache warming) from favouring one side.
            if i % 2 == 0 {
                ours_t.push(sample(ops, &mut ours));
                peer_t.push(sample(ops, &mut peer));
            } else {
                peer_t.push(sample(ops, &mut peer));
                ours_t.push(sample(ops, &mut ours));
            }
        }
        (ours_t, peer_t)
    }

    /// Records and prints a comparison of paired samples the demo measured
    /// itself (`ours[i]` and `peer[i]` from the same round, in `unit`): the
    /// medians, the median ratio with its interval, and the verdict.
    pub fn compare_samples(
        &mut self,
        label: &str,
        ours: &[f64],
        peer: &[f64],
        peer_name: &str,
        unit: Unit,
    ) -> Comparison {
        let comparison = Comparison::paired(&self.topic, label, (ours, peer), peer_name, unit);
        self.print_and_keep(comparison)
    }

    /// Records and prints a comparison of two values the demo measured.
    /// In an exact unit (counts, sizes, percentages of a count; see
    /// [`Unit::is_exact`]) there is no noise: no interval, and the comparison
    /// says it is exact. A timing passed here is one pair of samples, too
    /// few for a verdict — timings go through [`Narrator::compare_timed`] or
    /// [`Narrator::compare_samples`], which keep every sample. Debug builds
    /// (every demo's quick run under `cargo test`) reject a timing here, so
    /// a demo cannot ship a comparison that never gets a verdict.
    pub fn compare(
        &mut self,
        label: &str,
        ours: f64,
        peer: f64,
        peer_name: &str,
        unit: Unit,
    ) -> Comparison {
        debug_assert!(
            unit.is_exact(),
            "`{label}` compares a timing ({unit}) with Narrator::compare: time it with \
             compare_timed, compare_throughput or compare_samples so it gets an interval"
        );
        let comparison = if unit.is_exact() {
            Comparison::exact(&self.topic, label, (ours, peer), peer_name, unit)
        } else {
            Comparison::paired(&self.topic, label, (&[ours], &[peer]), peer_name, unit)
        };
        self.print_and_keep(comparison)
    }

    fn print_and_keep(&mut self, comparison: Comparison) -> Comparison {
        let c = &comparison;
        let name_width = c.peer_name.chars().count().max(4);
        let unit = c.unit;
        self.emit(&format!(
            "  ⇄ {}\n      {:<name_width$}  {} {unit}\n      {:<name_width$}  {} {unit}\n      → {}\n",
            c.label,
            "ours",
            format_value(c.ours),
            c.peer_name,
            format_value(c.peer),
            c.verdict_text(),
        ));
        self.comparisons.push(comparison.clone());
        comparison
    }

    fn emit(&mut self, text: &str) {
        // A closed stdout (`mastery tour | head`) must not kill the demo: the
        // figures are still recorded for JSON and the report.
        let _ = self.out.write_all(text.as_bytes());
    }
}

/// Nanoseconds per operation of one timed call of `work`.
fn sample<R>(ops: u64, work: &mut impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    black_box(work());
    start.elapsed().as_secs_f64() * 1e9 / ops.max(1) as f64
}

use crate::stats::median;

/// A duration as fractional milliseconds, the unit [`Unit::Millis`] prints.
pub fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}

/// Formats a figure with sensible precision: `1_234_567`, `123.5`, `1.23`,
/// `0.5000` (four significant places below one, a whole number unchanged).
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let abs = v.abs();
    if abs < 10_000.0 && v.fract() == 0.0 {
        return format!("{v:.0}");
    }
    if abs >= 10_000.0 {
        let digits = format!("{:.0}", abs);
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push('_');
            }
            grouped.push(c);
        }
        if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if abs >= 100.0 {
        format!("{v:.1}")
    } else if abs >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::from(indent);
        for word in paragraph.split_whitespace() {
            if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > width
            {
                out.push_str(&line);
                out.push('\n');
                line = String::from(indent);
            }
            if line.len() > indent.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::capture::SharedBuffer as Shared;

    #[test]
    fn settings_reach_the_demo() {
        let n = Narrator::silent("t", Mode::Quick);
        assert_eq!(n.settings().redis_url, None);
        let n = n.with_settings(Settings {
            redis_url: Some("redis://127.0.0.1:1".to_owned()),
            ..Settings::default()
        });
        assert_eq!(
            n.settings().redis_url.as_deref(),
            Some("redis://127.0.0.1:1")
        );
    }

    #[test]
    fn typed_records_carry_their_units() {
        let mut n = Narrator::silent("t", Mode::Quick);
        assert_eq!(n.record_count("calls", 3usize), 3);
        assert_eq!(n.recorded("calls"), Some(3.0));
        assert_eq!(n.recorded("call"), None);
        n.record_bytes("heap", 4096u32);
        n.record_duration("startup", Duration::from_micros(1500));
        let got: Vec<(f64, Unit)> = n.measurements().iter().map(|m| (m.value, m.unit)).collect();
        assert_eq!(
            got,
            [
                (3.0, Unit::Count),
                (4096.0, Unit::Bytes),
                (1.5, Unit::Millis)
            ]
        );
    }

    #[test]
    fn blocks_are_shown_line_by_line() {
        let buf = Shared::default();
        let mut n = Narrator::new("t", Mode::Quick, Box::new(buf.clone()));
        n.show_block(&"first\nsecond");
        let text = buf.text();
        assert_eq!(text, "    first\n    second\n");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn sub_nanosecond_operations_are_not_rounded_to_zero() {
        let mut n = Narrator::silent("t/x", Mode::Quick);
        let t = n.measure("many cheap ops", 1_000_000, || {
            std::thread::sleep(Duration::from_micros(200));
        });
        assert!(t.ns_per_op > 0.0 && t.ns_per_op < 1.0, "{}", t.ns_per_op);
    }

    #[test]
    fn speedup_direction_follows_the_unit() {
        let c = |unit| Comparison::exact("t", "x", (10.0, 20.0), "p", unit).speedup;
        assert_eq!(c(Unit::NsPerOp), 2.0);
        assert_eq!(c(Unit::OpsPerSec), 0.5);
    }

    #[test]
    fn measure_warms_up_then_samples_and_records() {
        let mut n = Narrator::silent("t/x", Mode::Quick);
        let mut calls = 0;
        let t = n.measure("spin", 10, || calls += 1);
        assert_eq!(calls, 1 + QUICK_SAMPLES);
        assert_eq!(t.samples, QUICK_SAMPLES);
        assert_eq!(n.measurements().len(), 1);
        assert_eq!(n.measurements()[0].unit, Unit::NsPerOp);
    }

    #[test]
    fn full_mode_honours_configured_samples() {
        let mut n = Narrator::silent("t/x", Mode::Full).with_samples(5);
        let mut calls = 0;
        n.measure("spin", 1, || calls += 1);
        assert_eq!(calls, 6);
    }

    #[test]
    fn compare_prints_both_sides_and_the_ratio() {
        let buf = Shared::default();
        let mut n = Narrator::new("t/x", Mode::Quick, Box::new(buf.clone()));
        let c = n.compare("lookups", 50.0, 100.0, "peer crate", Unit::Count);
        assert_eq!(c.speedup, 2.0);
        let text = buf.text();
        assert!(
            text.contains("ours") && text.contains("peer crate"),
            "{text}"
        );
        assert!(text.contains("2.00× better"), "{text}");
        assert_eq!(n.comparison_with("peer crate"), Some(&c));
        assert_eq!(n.comparison_with("another crate"), None);
    }

    #[test]
    fn throughput_is_megabytes_per_second_and_the_faster_side_wins() {
        let mut n = Narrator::silent("t/x", Mode::Quick);
        let data = vec![1u8; 1 << 20];
        let slow = || {
            (0..4)
                .map(|_| data.iter().map(|&b| u64::from(b)).sum::<u64>())
                .sum::<u64>()
        };
        let fast = || data.len() as u64;
        let c = n.compare_throughput("scan", data.len() as u64, fast, "slow scan", slow);
        assert_eq!(c.unit, Unit::MegabytesPerSec);
        assert!(c.ours > c.peer && c.speedup > 1.0, "{c:?}");
    }

    #[test]
    fn values_are_formatted_readably() {
        assert_eq!(format_value(1_234_567.0), "1_234_567");
        assert_eq!(format_value(123.45), "123.5");
        assert_eq!(format_value(1.2345), "1.23");
        assert_eq!(format_value(0.5), "0.5000");
        assert_eq!(format_value(21.0), "21");
    }

    #[test]
    fn prose_wraps_at_the_width() {
        let long = "word ".repeat(60);
        let wrapped = wrap(&long, 40, "  ");
        assert!(wrapped.lines().all(|l| l.chars().count() <= 40));
        assert_eq!(wrapped.split_whitespace().count(), 60);
    }
}
