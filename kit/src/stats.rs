//! Small statistics the demos share: the median of timed samples, the
//! spread around it, and how sure a comparison of two sides can be.

/// The median of `values` (sorted in place; the mean of the middle two for
/// an even count; 0 for none).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The median of a few timed runs and the range they spanned, so a demo can
/// say how far apart its runs were and not only their middle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The middle run.
    pub median: f64,
    /// The lowest run.
    pub min: f64,
    /// The highest run.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (all 0 for none).
    pub fn of(mut values: Vec<f64>) -> Spread {
        let median = median(&mut values);
        Spread {
            median,
            min: values.first().copied().unwrap_or(0.0),
            max: values.last().copied().unwrap_or(0.0),
        }
    }
}

/// A confidence interval for the median of paired ratios: with
/// probability `confidence`, the true median ratio lies in `low..=high`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// The lower end.
    pub low: f64,
    /// The upper end.
    pub high: f64,
    /// The interval's coverage: how often an interval built this way holds
    /// the true median (0.988 for 11 pairs, 0.75 for 3).
    pub confidence: f64,
}

/// The interval for the median of `ratios` (one per pair of interleaved
/// samples, ours against the peer), or `None` for no ratios.
///
/// **Method: the sign-test interval.** Sort the `n` ratios. Whatever their
/// distribution, each lands above the true median with probability ½, so
/// the number above it is Binomial(n, ½), and the interval from the k-th
/// smallest to the k-th largest ratio misses the median only when `k` or
/// fewer land on one side: probability `2·P(B ≤ k−1)`. We take the
/// narrowest such interval whose coverage is at least 95 %; with fewer than
/// six pairs none reaches 95 %, and the whole range is returned with the
/// coverage it has (93.75 % for 5 pairs, 75 % for 3), which the caller
/// must weigh. It assumes only that the pairs are independent and alike —
/// not a normal distribution, which timings rarely follow (a slow outlier
/// moves the mean but not the order statistics).
pub fn median_ratio_interval(ratios: &[f64]) -> Option<Interval> {
    let mut sorted: Vec<f64> = ratios.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // Largest k with 2·P(B ≤ k−1) ≤ 5 %, at least 1 (the whole range).
    let mut k = 1;
    while k < n.div_ceil(2) && 2.0 * binomial_half_cdf(n, k) <= 0.05 {
        k += 1;
    }
    Some(Interval {
        low: sorted[k - 1],
        high: sorted[n - k],
        confidence: 1.0 - 2.0 * binomial_half_cdf(n, k - 1),
    })
}

/// P(B ≤ k) for B ~ Binomial(n, ½).
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut term = 0.5_f64.powi(i32::try_from(n).unwrap_or(i32::MAX)); // C(n, 0) / 2^n
    let mut total = term;
    for i in 1..=k.min(n) {
        term *= (n + 1 - i) as f64 / i as f64;
        total += term;
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_no_values() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn spread_spans_the_runs() {
        let s = Spread::of(vec![5.0, 1.0, 9.0, 2.0, 7.0]);
        assert_eq!((s.median, s.min, s.max), (5.0, 1.0, 9.0));
        assert_eq!(
            Spread::of(Vec::new()),
            Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0
            }
        );
    }

    #[test]
    fn binomial_tail_matches_the_textbook_values() {
        assert_eq!(binomial_half_cdf(3, 0), 0.125);
        assert_eq!(binomial_half_cdf(11, 1), 12.0 / 2048.0);
        assert_eq!(binomial_half_cdf(11, 2), 67.0 / 2048.0);
        assert!((binomial_half_cdf(20, 20) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_sign_test_interval_picks_the_order_statistics_for_95_percent() {
        let ratios: Vec<f64> = (1..=11).map(f64::from).collect(); // shuffled below
        let shuffled = [7.0, 2.0, 11.0, 4.0, 9.0, 1.0, 6.0, 3.0, 10.0, 5.0, 8.0];
        let i = median_ratio_interval(&shuffled).expect("eleven ratios");
        // 11 pairs: the 2nd smallest to the 2nd largest, 1 − 2·12/2048.
        assert_eq!((i.low, i.high), (ratios[1], ratios[9]));
        assert!((i.confidence - (1.0 - 24.0 / 2048.0)).abs() < 1e-12);
        // 9 pairs: 2nd to 8th, 96.1 %.
        let i = median_ratio_interval(&[5.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0]).expect("9");
        assert_eq!((i.low, i.high), (2.0, 8.0));
        assert!((i.confidence - (1.0 - 20.0 / 512.0)).abs() < 1e-12);
        // 6 pairs: no narrower interval reaches 95 %, the range covers 96.9 %.
        let i = median_ratio_interval(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).expect("6");
        assert_eq!((i.low, i.high, i.confidence), (1.0, 6.0, 1.0 - 2.0 / 64.0));
    }

    #[test]
    fn too_few_pairs_give_the_range_with_its_low_coverage() {
        let i = median_ratio_interval(&[1.2, 0.9, 1.0]).expect("three ratios");
        assert_eq!((i.low, i.high, i.confidence), (0.9, 1.2, 0.75));
        let one = median_ratio_interval(&[1.1]).expect("one ratio");
        assert_eq!((one.low, one.high, one.confidence), (1.1, 1.1, 0.0));
        assert_eq!(median_ratio_interval(&[]), None);
    }
}
