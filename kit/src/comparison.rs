//! Ours against a peer: the two values, the ratio, how sure it is, and the
//! verdict a reader may draw from it.
//!
//! Timings are noisy: the same comparison run three times can say "1.05×
//! better" once and "0.97× worse" the next. So a timed comparison keeps
//! every interleaved pair of samples, takes the median of the per-pair
//! ratios, and puts a confidence interval around it
//! ([`median_ratio_interval`]). The verdict is "better" or "worse" only when
//! the interval excludes 1.0; otherwise the two are tied within the
//! interval's half-width, and the reader is told so. Counts and sizes are
//! exact: their comparison needs no interval and says it is exact.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::narrator::Unit;
use crate::stats::{Interval, median, median_ratio_interval};

/// The least coverage an interval needs before its verdict is trusted:
/// below it (fewer than five pairs) the ratio is shown as indicative only.
pub const MIN_CONFIDENCE: f64 = 0.9;

/// What a comparison lets the reader conclude.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Verdict {
    /// Ours is better: the whole interval lies on our side of 1.0 (or, for
    /// an exact comparison, the values differ in our favour).
    Better,
    /// Ours is worse: the whole interval lies on the peer's side of 1.0.
    Worse,
    /// The interval holds 1.0: a difference of up to `within` (a fraction:
    /// 0.03 is ±3 %) either way is inside the noise of this run.
    Tie {
        /// The interval's largest distance from 1.0.
        within: f64,
    },
    /// The values are exactly equal (an exact comparison).
    Equal,
    /// Too few pairs for an interval that can be trusted (coverage below
    /// [`MIN_CONFIDENCE`]): the ratio is indicative only.
    TooFewSamples,
}

impl Verdict {
    /// The verdict on a timed ratio with its interval.
    pub fn from_interval(interval: &Interval) -> Verdict {
        if interval.confidence < MIN_CONFIDENCE {
            Verdict::TooFewSamples
        } else if interval.low > 1.0 {
            Verdict::Better
        } else if interval.high < 1.0 {
            Verdict::Worse
        } else {
            Verdict::Tie {
                within: (interval.high - 1.0).max(1.0 - interval.low),
            }
        }
    }

    /// The verdict on an exact ratio (counts, sizes).
    pub fn exact(speedup: f64) -> Verdict {
        if speedup > 1.0 {
            Verdict::Better
        } else if speedup < 1.0 {
            Verdict::Worse
        } else {
            Verdict::Equal
        }
    }

    /// Whether the verdict says one side won.
    pub fn is_decided(self) -> bool {
        matches!(self, Verdict::Better | Verdict::Worse)
    }
}

/// Ours against a named peer, both measured in the same run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The topic that measured it.
    pub topic: String,
    /// What was compared.
    pub label: String,
    /// Our value, in `unit` (the median of our samples when timed).
    pub ours: f64,
    /// The peer's value, in `unit` (the median of its samples when timed).
    pub peer: f64,
    /// Who the peer is (`lru crate`, `CPython 3.11`, ...).
    pub peer_name: String,
    /// The unit of both values.
    pub unit: Unit,
    /// How many times better ours is: > 1 means ours is faster (or
    /// better). For a timed comparison, the median of the per-pair ratios.
    pub speedup: f64,
    /// Pairs of interleaved samples behind the ratio; 0 when exact.
    pub pairs: usize,
    /// The confidence interval of `speedup`; `None` when exact.
    pub interval: Option<Interval>,
    /// What the reader may conclude.
    pub verdict: Verdict,
}

impl Comparison {
    /// A comparison of two exact values (a count, a size): no noise, so no
    /// interval, and the verdict follows the values.
    pub fn exact(
        topic: &str,
        label: &str,
        (ours, peer): (f64, f64),
        peer_name: &str,
        unit: Unit,
    ) -> Comparison {
        let speedup = ratio(ours, peer, unit);
        Comparison {
            topic: topic.to_owned(),
            label: label.to_owned(),
            ours,
            peer,
            peer_name: peer_name.to_owned(),
            unit,
            speedup,
            pairs: 0,
            interval: None,
            verdict: Verdict::exact(speedup),
        }
    }

    /// A comparison of paired samples: `ours[i]` and `peer[i]` were measured
    /// in the same round, one right after the other. Values are the
    /// medians; the ratio is the median of the per-pair ratios, with its
    /// sign-test interval. Pairs beyond the shorter side are ignored.
    pub fn paired(
        topic: &str,
        label: &str,
        (ours, peer): (&[f64], &[f64]),
        peer_name: &str,
        unit: Unit,
    ) -> Comparison {
        let mut ratios: Vec<f64> = ours
            .iter()
            .zip(peer)
            .map(|(&o, &p)| ratio(o, p, unit))
            .collect();
        let pairs = ratios.len();
        let interval = median_ratio_interval(&ratios);
        let speedup = median(&mut ratios);
        let verdict = interval
            .as_ref()
            .map_or(Verdict::TooFewSamples, Verdict::from_interval);
        Comparison {
            topic: topic.to_owned(),
            label: label.to_owned(),
            ours: median(&mut ours[..pairs].to_vec()),
            peer: median(&mut peer[..pairs].to_vec()),
            peer_name: peer_name.to_owned(),
            unit,
            speedup,
            pairs,
            interval,
            verdict,
        }
    }

    /// The verdict as the terminal and the report print it, e.g.
    /// `ours 1.08× better (98.8 % interval 1.04–1.12×, 11 pairs)`.
    pub fn verdict_text(&self) -> String {
        VerdictText(self).to_string()
    }

    /// What the verdict lets a demo's sentence say: `better` or `worse`
    /// only when the verdict is decided, otherwise the tie with its width
    /// or the want of samples — so prose can never claim a win the
    /// interval does not support.
    pub fn in_words(&self, better: &str, worse: &str) -> String {
        match self.verdict {
            Verdict::Better => better.to_owned(),
            Verdict::Worse => worse.to_owned(),
            Verdict::Tie { within } => format!(
                "no difference this run can see (within ±{:.1} %)",
                within * 100.0
            ),
            Verdict::Equal => "the same".to_owned(),
            Verdict::TooFewSamples => format!(
                "too few pairs for a verdict ({} pair{})",
                self.pairs,
                if self.pairs == 1 { "" } else { "s" }
            ),
        }
    }

    /// [`Comparison::in_words`] with the factor: `1.50× faster` or `1.43×
    /// slower` (for a timing; ours against the peer).
    pub fn faster_or_slower(&self) -> String {
        let factor = if self.speedup >= 1.0 {
            self.speedup
        } else {
            1.0 / self.speedup
        };
        self.in_words(
            &format!("{factor:.2}× faster"),
            &format!("{factor:.2}× slower"),
        )
    }
}

/// Runs `contenders` timed samples per round for `rounds` rounds, forward
/// in even rounds and backward in odd ones, so that of any two contenders
/// each goes first equally often and a drift (a CPU clocking up, another
/// process starting) favours neither. `samples[i][r]` is contender `i` in
/// round `r`: two rows pair up by round for [`Comparison::paired`] and
/// `Narrator::compare_samples`. Stops at the first failed sample.
///
/// # Errors
/// The first error `sample` returns.
pub fn take_turns<E>(
    rounds: usize,
    contenders: usize,
    mut sample: impl FnMut(usize) -> Result<f64, E>,
) -> Result<Vec<Vec<f64>>, E> {
    let mut samples = vec![Vec::with_capacity(rounds); contenders];
    for round in 0..rounds {
        for turn in 0..contenders {
            let i = if round % 2 == 0 {
                turn
            } else {
                contenders - 1 - turn
            };
            samples[i].push(sample(i)?);
        }
    }
    Ok(samples)
}

/// How many times better `ours` is than `peer` in `unit`'s direction.
fn ratio(ours: f64, peer: f64, unit: Unit) -> f64 {
    if unit.higher_is_better() {
        ours / peer
    } else {
        peer / ours
    }
}

struct VerdictText<'a>(&'a Comparison);

impl fmt::Display for VerdictText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        let times = |r: f64| if r >= 1.0 { r } else { 1.0 / r };
        match (c.verdict, c.interval) {
            (Verdict::Equal, _) => write!(f, "equal (exact)"),
            (Verdict::Better | Verdict::Worse, None) => {
                let word = if c.verdict == Verdict::Better {
                    "better"
                } else {
                    "worse"
                };
                write!(f, "ours {:.2}× {word} (exact)", times(c.speedup))
            }
            (Verdict::Better | Verdict::Worse, Some(i)) => {
                let word = if c.verdict == Verdict::Better {
                    "better"
                } else {
                    "worse"
                };
                write!(
                    f,
                    "ours {:.2}× {word} ({} interval {:.2}–{:.2}×, {} pairs)",
                    times(c.speedup),
                    percent(i.confidence),
                    i.low,
                    i.high,
                    c.pairs
                )
            }
            (Verdict::Tie { within }, Some(i)) => write!(
                f,
                "tie: ours {:.2}×, within ±{:.1} % ({} interval {:.2}–{:.2}×, {} pairs)",
                c.speedup,
                within * 100.0,
                percent(i.confidence),
                i.low,
                i.high,
                c.pairs
            ),
            (Verdict::Tie { within }, None) => {
                write!(f, "tie within ±{:.1} %", within * 100.0)
            }
            (Verdict::TooFewSamples, _) => write!(
                f,
                "ours {:.2}× on {} pair{} — too few for a verdict",
                c.speedup,
                c.pairs,
                if c.pairs == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A coverage as the terminal shows it: `98.8 %`, `95 %`.
fn percent(confidence: f64) -> String {
    let p = confidence * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paired(ours: &[f64], peer: &[f64]) -> Comparison {
        Comparison::paired("t", "x", (ours, peer), "peer", Unit::NsPerOp)
    }

    #[test]
    fn a_clear_win_is_better_and_says_its_interval() {
        let ours = [
            10.0, 10.2, 9.9, 10.1, 10.0, 10.3, 9.8, 10.0, 10.1, 10.2, 9.9,
        ];
        let peer: Vec<f64> = ours.iter().map(|o| o * 1.5).collect();
        let c = paired(&ours, &peer);
        assert_eq!(c.verdict, Verdict::Better);
        assert!((c.speedup - 1.5).abs() < 1e-12);
        assert_eq!(c.pairs, 11);
        let text = c.verdict_text();
        assert!(
            text.starts_with("ours 1.50× better (98.8 % interval 1.50–1.50×, 11 pairs)"),
            "{text}"
        );
    }

    #[test]
    fn noise_around_one_is_a_tie_with_its_width() {
        // Per-pair ratios 0.97 … 1.03: the interval holds 1.0.
        let ours = [100.0; 9];
        let peer = [97.0, 103.0, 99.0, 101.0, 100.0, 98.0, 102.0, 100.5, 99.5];
        let c = paired(&ours, &peer);
        let Verdict::Tie { within } = c.verdict else {
            panic!("expected a tie, got {:?}", c.verdict)
        };
        assert!(
            (within - 0.02).abs() < 1e-9,
            "2nd to 8th of the sorted ratios: {within}"
        );
        assert!(
            c.verdict_text()
                .starts_with("tie: ours 1.00×, within ±2.0 %")
        );
    }

    #[test]
    fn a_clear_loss_is_worse_whatever_the_unit_direction() {
        let ours = [50.0, 52.0, 49.0, 51.0, 50.0, 48.0, 53.0];
        let peer = [100.0, 101.0, 99.0, 102.0, 98.0, 100.0, 97.0];
        // MB/s: higher is better, and ours is about half.
        let c = Comparison::paired("t", "x", (&ours, &peer), "p", Unit::MegabytesPerSec);
        assert_eq!(c.verdict, Verdict::Worse);
        assert!(
            c.verdict_text().starts_with("ours 2.0"),
            "{}",
            c.verdict_text()
        );
    }

    #[test]
    fn three_pairs_are_indicative_only() {
        let c = paired(&[1.0, 1.0, 1.0], &[2.0, 2.0, 2.0]);
        assert_eq!(c.verdict, Verdict::TooFewSamples);
        assert_eq!(
            c.verdict_text(),
            "ours 2.00× on 3 pairs — too few for a verdict"
        );
        assert_eq!(paired(&[], &[]).verdict, Verdict::TooFewSamples);
    }

    #[test]
    fn exact_values_need_no_interval() {
        let c = Comparison::exact("t", "heap", (24.0, 48.0), "python", Unit::Bytes);
        assert_eq!((c.verdict, c.interval, c.pairs), (Verdict::Better, None, 0));
        assert_eq!(c.verdict_text(), "ours 2.00× better (exact)");
        let same = Comparison::exact("t", "calls", (3.0, 3.0), "p", Unit::Count);
        assert_eq!(same.verdict_text(), "equal (exact)");
    }

    #[test]
    fn verdicts_serialize_with_their_kind() {
        let tie = serde_json::to_value(Verdict::Tie { within: 0.02 }).expect("serializes");
        assert_eq!(tie, serde_json::json!({"kind": "tie", "within": 0.02}));
        let better = serde_json::to_value(Verdict::Better).expect("serializes");
        assert_eq!(better, serde_json::json!({"kind": "better"}));
    }

    fn timed(ratios: &[f64]) -> Comparison {
        let ours = vec![100.0; ratios.len()];
        let peer: Vec<f64> = ratios.iter().map(|r| 100.0 * r).collect();
        Comparison::paired("t", "x", (&ours, &peer), "peer", Unit::NsPerOp)
    }

    #[test]
    fn turns_alternate_who_goes_first() {
        let mut order = Vec::new();
        let samples = take_turns::<()>(4, 3, |i| {
            order.push(i);
            Ok(i as f64)
        })
        .expect("no sample fails");
        assert_eq!(order, [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]);
        assert_eq!(samples, [vec![0.0; 4], vec![1.0; 4], vec![2.0; 4]]);
        let failed = take_turns(2, 2, |i| if i == 0 { Ok(0.0) } else { Err(i) });
        assert_eq!(failed, Err(1));
    }

    #[test]
    fn only_a_decided_verdict_says_faster_or_slower() {
        assert_eq!(timed(&[1.5; 9]).faster_or_slower(), "1.50× faster");
        assert_eq!(timed(&[0.8; 9]).faster_or_slower(), "1.25× slower");
        let tie = timed(&[0.97, 1.03, 0.99, 1.01, 1.0, 0.98, 1.02, 1.005, 0.995]);
        assert_eq!(
            tie.in_words("won", "lost"),
            "no difference this run can see (within ±2.0 %)"
        );
        assert_eq!(
            timed(&[2.0; 3]).in_words("won", "lost"),
            "too few pairs for a verdict (3 pairs)"
        );
        assert_eq!(timed(&[2.0; 9]).in_words("won", "lost"), "won");
    }
}
