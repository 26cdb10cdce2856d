//! Small statistics the demos share: the median of timed samples and the
//! spread around it.

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
}
