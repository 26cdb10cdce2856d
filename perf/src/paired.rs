//! Paired timings for the demos that time their contenders themselves:
//! [`take_turns`] runs them round by round so that `samples[i][r]` pair up
//! by round for `Narrator::compare_samples`, and the words a sentence may
//! then use — one side is "faster" only when the comparison's verdict says
//! so, and a tie says how wide the noise was.

use mastery_kit::{Comparison, Verdict};

/// Runs `contenders` timed samples per round for `rounds` rounds, forward
/// in even rounds and backward in odd ones, so that of any two contenders
/// each goes first equally often and a drift (a CPU clocking up, another
/// process starting) favours neither; `samples[i][r]` is contender `i` in
/// round `r`. Stops at the first failed sample.
///
/// # Errors
/// The first error `sample` returns.
pub(crate) fn take_turns(
    rounds: usize,
    contenders: usize,
    mut sample: impl FnMut(usize) -> anyhow::Result<f64>,
) -> anyhow::Result<Vec<Vec<f64>>> {
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

/// `1.50× faster` or `1.43× slower`: how ours ran against the peer, for a
/// comparison whose verdict is decided (the ratio alone says nothing
/// about noise).
pub(crate) fn factor(c: &Comparison) -> String {
    if c.speedup >= 1.0 {
        format!("{:.2}× faster", c.speedup)
    } else {
        format!("{:.2}× slower", 1.0 / c.speedup)
    }
}

/// A tie's half-width: `within ±2.4 %`.
pub(crate) fn tie_band(within: f64) -> String {
    format!("within ±{:.1} %", within * 100.0)
}

/// What the verdict lets a sentence say, standing alone: `1.50× faster`,
/// `1.43× slower`, `no difference this run can see (within ±2.4 %)`, or
/// `too few pairs for a verdict`.
pub(crate) fn against(c: &Comparison) -> String {
    match c.verdict {
        Verdict::Better | Verdict::Worse => factor(c),
        Verdict::Tie { within } => {
            format!("no difference this run can see ({})", tie_band(within))
        }
        Verdict::Equal => "equal".to_owned(),
        Verdict::TooFewSamples => format!(
            "too few pairs for a verdict ({} pair{})",
            c.pairs,
            if c.pairs == 1 { "" } else { "s" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use mastery_kit::Unit;

    use super::*;

    fn timed(ratios: &[f64]) -> Comparison {
        let ours = vec![100.0; ratios.len()];
        let peer: Vec<f64> = ratios.iter().map(|r| 100.0 * r).collect();
        Comparison::paired("t", "x", (&ours, &peer), "peer", Unit::NsPerOp)
    }

    #[test]
    fn turns_alternate_who_goes_first() {
        let mut order = Vec::new();
        let samples = take_turns(4, 3, |i| {
            order.push(i);
            Ok(i as f64)
        })
        .expect("no sample fails");
        assert_eq!(order, [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]);
        assert_eq!(samples, [vec![0.0; 4], vec![1.0; 4], vec![2.0; 4]]);
        let failed = take_turns(2, 2, |i| {
            anyhow::ensure!(i == 0, "sample {i} failed");
            Ok(0.0)
        });
        assert!(failed.is_err());
    }

    #[test]
    fn only_a_decided_verdict_says_faster_or_slower() {
        let better = timed(&[1.5; 9]);
        assert_eq!(against(&better), "1.50× faster");
        let worse = timed(&[0.8; 9]);
        assert_eq!(against(&worse), "1.25× slower");
        let tie = timed(&[0.97, 1.03, 0.99, 1.01, 1.0, 0.98, 1.02, 1.005, 0.995]);
        assert_eq!(
            against(&tie),
            "no difference this run can see (within ±2.0 %)"
        );
        assert_eq!(
            against(&timed(&[2.0; 3])),
            "too few pairs for a verdict (3 pairs)"
        );
    }
}
