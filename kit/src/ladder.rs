//! A ladder: the same workload timed on every step from the reader's
//! starting point to the production answer and its peer, so each idea shows
//! what it buys.
//!
//! An interview answer and a tuned crate differ by several ideas at once (a
//! better layout, a faster hasher, a smaller table slot …). Timing only the
//! two ends hides which idea mattered. A ladder names one type per idea —
//! a *rung* — and times them all **in the same rounds** ([`take_turns`]), so
//! machine noise hits every rung alike; then it compares each rung with the
//! one below it, with the interval the kit puts on every timing, and a step
//! that buys nothing is called a tie rather than a win.
//!
//! A kata adds the reader's own implementation as one more rung
//! ([`Kind::Reader`]): it is timed in the same rounds, left out of the step
//! chain, and placed against every other rung ([`Placement`]).

use std::fmt;
use std::hint::black_box;
use std::time::Instant;

use crate::comparison::{Comparison, Verdict, take_turns};
use crate::narrator::{Narrator, Unit, format_value};
use crate::stats::median;

/// Where a rung sits in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The reader's starting point: the Python idiom, timed in CPython.
    Python,
    /// What the idea is measured against: the work done without it (e.g.
    /// one handler call per request, for a batcher).
    Baseline,
    /// What a strong candidate writes in an interview.
    Textbook,
    /// One production idea added to the rung below.
    Step,
    /// The kit's production answer.
    Production,
    /// The crate people would use instead.
    Peer,
    /// The reader's own implementation (a kata).
    Reader,
}

impl Kind {
    /// The word printed beside a rung's name.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Python => "python",
            Kind::Baseline => "baseline",
            Kind::Textbook => "textbook",
            Kind::Step => "step",
            Kind::Production => "production",
            Kind::Peer => "peer",
            Kind::Reader => "yours",
        }
    }
}

/// A sample-taking closure: one timed sample, in the ladder's unit.
type Sampler<'a> = Box<dyn FnMut() -> anyhow::Result<f64> + 'a>;

/// One contender on the ladder.
pub struct Rung<'a> {
    name: String,
    kind: Kind,
    idea: String,
    sample: Sampler<'a>,
}

impl<'a> Rung<'a> {
    /// A rung called `name` (the type the bench also names), what it
    /// changes compared with the rung below (`idea`, one line), and a
    /// closure that takes **one** timed sample and returns it in the
    /// ladder's unit. The closure does its own timing so that a rung in
    /// another process can return the time it measured there; [`ns_per_op`]
    /// and [`mb_per_sec`] build one for work done in this process.
    pub fn new(
        name: impl Into<String>,
        kind: Kind,
        idea: impl Into<String>,
        sample: impl FnMut() -> anyhow::Result<f64> + 'a,
    ) -> Rung<'a> {
        Rung {
            name: name.into(),
            kind,
            idea: idea.into(),
            sample: Box::new(sample),
        }
    }
}

impl fmt::Debug for Rung<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rung")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A sampler that runs `work` once per sample, `ops` operations per call,
/// and returns nanoseconds per operation.
pub fn ns_per_op<R>(ops: u64, mut work: impl FnMut() -> R) -> impl FnMut() -> anyhow::Result<f64> {
    move || {
        let start = Instant::now();
        black_box(work());
        Ok(start.elapsed().as_secs_f64() * 1e9 / ops.max(1) as f64)
    }
}

/// A sampler that runs `work` once per sample, `bytes` bytes per call, and
/// returns megabytes (10^6 bytes) per second.
pub fn mb_per_sec<R>(
    bytes: u64,
    mut work: impl FnMut() -> R,
) -> impl FnMut() -> anyhow::Result<f64> {
    move || {
        let start = Instant::now();
        black_box(work());
        let seconds = start.elapsed().as_secs_f64().max(1e-12);
        Ok(bytes as f64 / seconds / 1e6)
    }
}

/// A rung once climbed: its median in the ladder's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct RungSummary {
    /// The rung's name.
    pub name: String,
    /// Its place in the story.
    pub kind: Kind,
    /// What it changes compared with the rung below.
    pub idea: String,
    /// The median of its samples.
    pub median: f64,
}

/// What [`climb`] measured.
#[derive(Debug, Clone)]
pub struct Climbed {
    /// What the ladder timed.
    pub label: String,
    /// The unit of every rung's samples.
    pub unit: Unit,
    /// Every rung, in the order given.
    pub rungs: Vec<RungSummary>,
    /// One comparison per step: each rung (as "ours") against the rung
    /// below it — except a [`Kind::Peer`] rung, against which the rung below
    /// is "ours" (the kit's code stays "ours" in the report). The reader's
    /// rung is not part of the chain.
    pub steps: Vec<Comparison>,
    /// Where the reader's rung lands, when one was given.
    pub placement: Option<Placement>,
}

/// Where the reader's rung lands: paired comparisons against every other
/// rung, and from their verdicts the best rung it beats, the weakest rung
/// that beats it, and the rungs it cannot be told apart from.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The reader's rung name.
    pub reader: String,
    /// Its median, in `unit`.
    pub median: f64,
    /// The ladder's unit.
    pub unit: Unit,
    /// The reader against each other rung (the reader is "ours").
    pub versus: Vec<Comparison>,
    /// The best rung the reader's rung beats (a decided verdict).
    pub beats: Option<Comparison>,
    /// The weakest rung that beats the reader's rung (a decided verdict).
    pub beaten_by: Option<Comparison>,
    /// Rungs tied with the reader's: the interval holds 1.
    pub tied_with: Vec<String>,
    /// Rungs with too few pairs for a verdict (a quick run's three
    /// samples): nothing may be said about them, not even a tie.
    pub undecided: Vec<String>,
}

impl Placement {
    /// Places `reader` (its samples) against `others` (name and samples,
    /// paired by round).
    pub fn of(
        topic: &str,
        label: &str,
        unit: Unit,
        reader: (&str, &[f64]),
        others: &[(&str, &[f64])],
    ) -> Placement {
        let versus: Vec<Comparison> = others
            .iter()
            .map(|(name, samples)| {
                Comparison::paired(
                    topic,
                    &format!("{label}: {} vs {name}", reader.0),
                    (reader.1, samples),
                    name,
                    unit,
                )
            })
            .collect();
        // "Best" in the unit's direction: the fastest rung beaten is the one
        // that says the most about the reader's code.
        let better = |a: f64, b: f64| {
            if unit.higher_is_better() {
                a > b
            } else {
                a < b
            }
        };
        let mut beats: Option<&Comparison> = None;
        let mut beaten_by: Option<&Comparison> = None;
        let mut tied_with = Vec::new();
        let mut undecided = Vec::new();
        for c in &versus {
            match c.verdict {
                Verdict::Better => {
                    if beats.is_none_or(|b| better(c.peer, b.peer)) {
                        beats = Some(c);
                    }
                }
                Verdict::Worse => {
                    if beaten_by.is_none_or(|b| better(b.peer, c.peer)) {
                        beaten_by = Some(c);
                    }
                }
                Verdict::Tie { .. } | Verdict::Equal => tied_with.push(c.peer_name.clone()),
                Verdict::TooFewSamples => undecided.push(c.peer_name.clone()),
            }
        }
        let (beats, beaten_by) = (beats.cloned(), beaten_by.cloned());
        Placement {
            reader: reader.0.to_owned(),
            median: median(&mut reader.1.to_vec()),
            unit,
            versus,
            beats,
            beaten_by,
            tied_with,
            undecided,
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}",
            self.reader,
            format_value(self.median),
            self.unit
        )?;
        let mut parts = Vec::new();
        // With no decided verdict but some undecided ones, "beats no rung"
        // would read as a finding; only the want of pairs is said then.
        let nothing_decided = self.beats.is_none() && self.beaten_by.is_none();
        if nothing_decided && !self.undecided.is_empty() {
            return write!(
                f,
                " — too few pairs to place it against {} (take more samples: full mode)",
                self.undecided.join(", ")
            );
        }
        match &self.beats {
            Some(c) => parts.push(format!(
                "faster than {} ({})",
                c.peer_name,
                c.verdict_text()
            )),
            None => parts.push("beats no rung".to_owned()),
        }
        match &self.beaten_by {
            Some(c) => parts.push(format!(
                "slower than {} ({})",
                c.peer_name,
                c.verdict_text()
            )),
            None => parts.push("no rung beats it".to_owned()),
        }
        if !self.tied_with.is_empty() {
            parts.push(format!(
                "no difference this run can see from {}",
                self.tied_with.join(", ")
            ));
        }
        if !self.undecided.is_empty() {
            parts.push(format!(
                "too few pairs to place it against {} (take more samples: full mode)",
                self.undecided.join(", ")
            ));
        }
        write!(f, " — {}", parts.join("; "))
    }
}

/// Times every rung in the same rounds and prints the ladder.
///
/// Every rung is warmed with one untimed sample, then `n.samples()` rounds
/// run each rung once, forward and backward in turn ([`take_turns`]). The
/// narrator prints a table of the rungs (kind, median, what each changes),
/// then one comparison per step — each rung against the one below it,
/// recorded like any other comparison (the peer crate's step is recorded
/// as the rung below it against the peer) — and, when a [`Kind::Reader`] rung
/// was given, where it lands. Give the rungs lowest first: Python,
/// baseline, textbook, steps, production, peer.
///
/// # Errors
/// No rungs, more than one reader rung, or the first error a sample
/// returns.
pub fn climb(
    n: &mut Narrator,
    label: &str,
    unit: Unit,
    mut rungs: Vec<Rung<'_>>,
) -> anyhow::Result<Climbed> {
    anyhow::ensure!(!rungs.is_empty(), "the ladder `{label}` has no rungs");
    let readers = rungs.iter().filter(|r| r.kind == Kind::Reader).count();
    anyhow::ensure!(
        readers <= 1,
        "the ladder `{label}` has {readers} reader rungs; it places one"
    );
    for rung in &mut rungs {
        (rung.sample)()?;
    }
    let samples = take_turns(n.samples(), rungs.len(), |i| (rungs[i].sample)())?;
    let summaries: Vec<RungSummary> = rungs
        .iter()
        .zip(&samples)
        .map(|(rung, samples)| RungSummary {
            name: rung.name.clone(),
            kind: rung.kind,
            idea: rung.idea.clone(),
            median: median(&mut samples.clone()),
        })
        .collect();
    print_table(n, label, unit, &summaries);

    let chain: Vec<usize> = (0..rungs.len())
        .filter(|&i| rungs[i].kind != Kind::Reader)
        .collect();
    let steps = chain
        .windows(2)
        .map(|pair| {
            let (below, above) = (pair[0], pair[1]);
            if rungs[above].kind == Kind::Peer {
                // The last step is the kit's answer against the crate people
                // would use: "ours" stays the kit's code, as in every other
                // comparison the report lists.
                n.compare_samples(
                    &format!("{label}: {} vs {}", rungs[below].name, rungs[above].name),
                    &samples[below],
                    &samples[above],
                    &rungs[above].name,
                    unit,
                )
            } else {
                n.compare_samples(
                    &format!("{label}: {} over {}", rungs[above].name, rungs[below].name),
                    &samples[above],
                    &samples[below],
                    &rungs[below].name,
                    unit,
                )
            }
        })
        .collect();

    let placement = rungs
        .iter()
        .position(|r| r.kind == Kind::Reader)
        .map(|reader| {
            let others: Vec<(&str, &[f64])> = chain
                .iter()
                .map(|&i| (rungs[i].name.as_str(), samples[i].as_slice()))
                .collect();
            let placement = Placement::of(
                n.topic(),
                label,
                unit,
                (&rungs[reader].name, &samples[reader]),
                &others,
            );
            print_placement(n, &placement);
            placement
        });
    Ok(Climbed {
        label: label.to_owned(),
        unit,
        rungs: summaries,
        steps,
        placement,
    })
}

fn print_table(n: &mut Narrator, label: &str, unit: Unit, rungs: &[RungSummary]) {
    let name_width = rungs
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let value_width = rungs
        .iter()
        .map(|r| format_value(r.median).chars().count())
        .max()
        .unwrap_or(0);
    n.show(format!(
        "ladder: {label} (median {unit}, lowest rung first)"
    ));
    for r in rungs {
        n.show(format!(
            "  {:<10} {:<name_width$}  {:>value_width$}  {}",
            r.kind.word(),
            r.name,
            format_value(r.median),
            r.idea
        ));
    }
}

fn print_placement(n: &mut Narrator, placement: &Placement) {
    n.show(format!(
        "your rung, {}, against every rung:",
        placement.reader
    ));
    // One column for the verdicts, as wide as the longest rung name.
    let width = placement
        .versus
        .iter()
        .map(|c| c.peer_name.chars().count())
        .max()
        .unwrap_or(0);
    for c in &placement.versus {
        n.show(format!("  vs {:<width$} {}", c.peer_name, c.verdict_text()));
    }
    n.show(format!("→ {placement}"));
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::narrator::Mode;

    /// A rung whose samples are `base` times a small wobble that repeats
    /// (starting `offset` places in), so verdicts are fixed and the test
    /// never times anything.
    fn fixed(name: &str, kind: Kind, base: f64, offset: usize) -> Rung<'static> {
        let round = Cell::new(offset);
        Rung::new(name, kind, format!("costs {base}"), move || {
            round.set(round.get() + 1);
            let wobble = [1.0, 1.01, 0.99, 1.02, 0.98][round.get() % 5];
            Ok(base * wobble)
        })
    }

    fn narrator() -> Narrator {
        Narrator::silent("area/topic", Mode::Full).with_samples(11)
    }

    #[test]
    fn each_step_is_compared_with_the_rung_below() {
        let mut n = narrator();
        let climbed = climb(
            &mut n,
            "get/put",
            Unit::NsPerOp,
            vec![
                fixed("python", Kind::Python, 400.0, 0),
                fixed("textbook", Kind::Textbook, 40.0, 0),
                fixed("step", Kind::Step, 40.0, 0),
                fixed("prod", Kind::Production, 20.0, 0),
                fixed("crate", Kind::Peer, 30.0, 0),
            ],
        )
        .expect("fixed samples never fail");
        let steps: Vec<(&str, Verdict)> = climbed
            .steps
            .iter()
            .map(|c| (c.peer_name.as_str(), c.verdict))
            .collect();
        assert_eq!(steps[0], ("python", Verdict::Better));
        assert_eq!(steps[2], ("step", Verdict::Better));
        // The same cost on both sides is a tie, not a win.
        assert!(
            matches!(steps[1], ("textbook", Verdict::Tie { .. })),
            "{steps:?}"
        );
        // Against the peer crate, the production rung is "ours".
        assert_eq!(steps[3], ("crate", Verdict::Better));
        assert_eq!(climbed.steps[3].label, "get/put: prod vs crate");
        assert_eq!(n.comparisons().len(), 4, "every step is recorded");
        assert!(climbed.placement.is_none());
        assert_eq!(climbed.rungs[3].name, "prod");
    }

    #[test]
    fn the_reader_is_placed_between_the_rungs_it_beats_and_loses_to() {
        let mut n = narrator();
        let climbed = climb(
            &mut n,
            "get/put",
            Unit::NsPerOp,
            vec![
                fixed("slow", Kind::Textbook, 100.0, 0),
                fixed("middle", Kind::Step, 50.0, 0),
                fixed("twin", Kind::Step, 30.0, 0),
                fixed("fast", Kind::Production, 10.0, 0),
                fixed("yours", Kind::Reader, 30.0, 2),
            ],
        )
        .expect("fixed samples never fail");
        assert_eq!(climbed.steps.len(), 3, "the reader is not a step");
        let placement = climbed.placement.expect("a reader rung was given");
        assert_eq!(placement.versus.len(), 4);
        assert_eq!(
            placement.beats.as_ref().map(|c| c.peer_name.as_str()),
            Some("middle"),
            "the best rung it beats"
        );
        assert_eq!(
            placement.beaten_by.as_ref().map(|c| c.peer_name.as_str()),
            Some("fast")
        );
        assert_eq!(placement.tied_with, ["twin"]);
        let text = placement.to_string();
        assert!(text.starts_with("yours: 30"), "{text}");
        assert!(text.contains("faster than middle"), "{text}");
        assert!(text.contains("slower than fast"), "{text}");
        assert!(text.contains("from twin"), "{text}");
    }

    #[test]
    fn throughput_ladders_place_by_the_higher_value() {
        let samples = |v: f64| vec![v; 9];
        let (a, b, r) = (samples(100.0), samples(300.0), samples(200.0));
        let p = Placement::of(
            "t",
            "parse",
            Unit::MegabytesPerSec,
            ("yours", &r),
            &[("a", &a), ("b", &b)],
        );
        assert_eq!(p.beats.map(|c| c.peer_name), Some("a".to_owned()));
        assert_eq!(p.beaten_by.map(|c| c.peer_name), Some("b".to_owned()));
        let alone = Placement::of("t", "parse", Unit::MegabytesPerSec, ("yours", &r), &[]);
        assert!(
            alone
                .to_string()
                .contains("beats no rung; no rung beats it")
        );
        // Three pairs decide nothing: not a win, and not a tie either.
        let few = Placement::of(
            "t",
            "parse",
            Unit::MegabytesPerSec,
            ("yours", &r[..3]),
            &[("a", &a[..3])],
        );
        assert!(few.beats.is_none() && few.tied_with.is_empty());
        assert_eq!(few.undecided, ["a"]);
        assert!(
            few.to_string()
                .contains("too few pairs to place it against a")
        );
        assert!(!few.to_string().contains("beats no rung"), "{few}");
    }

    #[test]
    fn bad_ladders_and_failing_samples_are_errors() {
        let mut n = narrator();
        assert!(climb(&mut n, "x", Unit::NsPerOp, Vec::new()).is_err());
        let two_readers = vec![
            fixed("a", Kind::Reader, 1.0, 0),
            fixed("b", Kind::Reader, 1.0, 0),
        ];
        assert!(climb(&mut n, "x", Unit::NsPerOp, two_readers).is_err());
        let failing = vec![
            fixed("a", Kind::Textbook, 1.0, 0),
            Rung::new("b", Kind::Python, "", || anyhow::bail!("python died")),
        ];
        let err = climb(&mut n, "x", Unit::NsPerOp, failing).expect_err("sample fails");
        assert_eq!(err.to_string(), "python died");
    }

    #[test]
    fn samplers_report_in_their_unit() {
        let mut per_op = ns_per_op(1_000, || (0..1_000u64).sum::<u64>());
        assert!(per_op().expect("never fails") >= 0.0);
        let mut rate = mb_per_sec(1_000_000, || ());
        assert!(rate().expect("never fails") > 0.0);
    }
}
