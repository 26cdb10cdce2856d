//! How far a float sum may be from the exact one, in any order, and an
//! exact-enough reference to check the kernels against.

use super::dot::{LengthMismatch, same_len};

/// The unit roundoff of `f32`: 2⁻²⁴.
const F32_UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;

/// `γ(k) = k·u / (1 − k·u)`, infinite once `k·u ≥ 1` (no useful bound).
fn gamma(k: usize) -> f64 {
    let ku = k as f64 * F32_UNIT_ROUNDOFF;
    if ku >= 1.0 {
        f64::INFINITY
    } else {
        ku / (1.0 - ku)
    }
}

/// Bound on `|computed − exact|` for an `f32` sum of `n` terms in **any**
/// order (each term passes through at most `n − 1` rounded additions),
/// given `abs_sum = Σ|xᵢ|`. Adding 0.0 to a fresh accumulator is exact, so
/// zero-initialised SIMD lanes and zeroed tail lanes add nothing to it.
pub fn sum_error_bound(n: usize, abs_sum: f64) -> f64 {
    gamma(n.saturating_sub(1)) * abs_sum
}

/// Bound on `|computed − exact|` for an `f32` dot product of length `n` in
/// any order, with or without FMA, given `abs_dot = Σ|xᵢ·yᵢ|`: one more
/// rounding per term (the product) than [`sum_error_bound`].
pub fn dot_error_bound(n: usize, abs_dot: f64) -> f64 {
    gamma(n) * abs_dot
}

/// The exact-enough sum: `f64` with Neumaier's compensation (the reference
/// the tests and the Python script check the kernels against; every `f32`
/// is exact in `f64`).
pub fn reference_sum(xs: &[f32]) -> f64 {
    neumaier(xs.iter().map(|&x| f64::from(x)))
}

/// The exact-enough dot product: `f64` products (exact for `f32` inputs)
/// summed with Neumaier's compensation.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn reference_dot(xs: &[f32], ys: &[f32]) -> Result<f64, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(neumaier(
        xs.iter()
            .zip(ys)
            .map(|(&x, &y)| f64::from(x) * f64::from(y)),
    ))
}

fn neumaier(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        carry += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + carry
}
