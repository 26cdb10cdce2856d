//! Seeded workloads shared by demos and benches, so a demo and its criterion
//! bench measure the same thing.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Zipf};

/// `n` keys drawn from a Zipf distribution over `1..=universe` with exponent
/// `s` (1.0 is the classic "a few keys are hot" web-cache shape). The same
/// seed gives the same keys on every run on the same platform.
///
/// # Errors
/// When `universe` is 0 or `s` is negative or not finite.
pub fn zipf_keys(n: usize, universe: u64, s: f64, seed: u64) -> anyhow::Result<Vec<u64>> {
    anyhow::ensure!(universe > 0, "zipf universe must be at least 1");
    let zipf = Zipf::new(universe as f64, s)
        .map_err(|e| anyhow::anyhow!("zipf(universe {universe}, s {s}): {e}"))?;
    let mut rng = SmallRng::seed_from_u64(seed);
    Ok((0..n).map(|_| zipf.sample(&mut rng) as u64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_keys_are_seeded_in_range_and_skewed() -> anyhow::Result<()> {
        let a = zipf_keys(10_000, 1_000, 1.0, 7)?;
        assert_eq!(a, zipf_keys(10_000, 1_000, 1.0, 7)?);
        assert!(a.iter().all(|&k| (1..=1_000).contains(&k)));
        let ones = a.iter().filter(|&&k| k == 1).count();
        let thousands = a.iter().filter(|&&k| k == 1_000).count();
        assert!(ones > 10 * thousands.max(1), "key 1 must be far hotter");
        Ok(())
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(zipf_keys(1, 0, 1.0, 0).is_err());
        assert!(zipf_keys(1, 10, -1.0, 0).is_err());
    }
}
